//! Device answers (live probe): the banner parsers. Must never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| iotassay_probe::fuzz::banner(data));
