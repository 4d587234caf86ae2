//! ELF facts (goblin plus our own header reading) on hostile binaries.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| iotassay_inventory::fuzz_elf(data));
