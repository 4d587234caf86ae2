//! Microcontroller firmware: Espressif application and boot loader images (ESP8266, ESP32
//! family) with their app descriptor and secure boot v2 signature blocks, the ESP32 partition
//! table of a flash dump, ESP-IDF NVS partitions, LittleFS, and MCUboot images.
//!
//! Fixed little-endian layouts parsed by hand with the bounds-checked readers of [`crate::bytes`].

use crate::format::Format;

pub mod esp;
pub mod littlefs;
pub mod mcuboot;
pub mod nvs;
pub mod partitions;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[
    &partitions::PartitionTable,
    &esp::EspImage,
    &nvs::Nvs,
    &littlefs::LittleFs,
    &mcuboot::McuBoot,
];

use crate::testing::fuzz_with;

pub fn fuzz_esp_image(data: &[u8]) {
    fuzz_with(&esp::EspImage, data);
}
pub fn fuzz_esp_partitions(data: &[u8]) {
    fuzz_with(&partitions::PartitionTable, data);
}
pub fn fuzz_esp_nvs(data: &[u8]) {
    fuzz_with(&nvs::Nvs, data);
}
pub fn fuzz_littlefs(data: &[u8]) {
    fuzz_with(&littlefs::LittleFs, data);
}
pub fn fuzz_mcuboot(data: &[u8]) {
    fuzz_with(&mcuboot::McuBoot, data);
}
