//! Device answers (live probe): the snmp parsers. Must never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| iotassay_probe::fuzz::snmp(data));
