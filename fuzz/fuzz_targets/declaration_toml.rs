//! The manufacturer's declaration parser on hostile TOML.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = iotassay_declaration::Declaration::parse(text);
    }
});
