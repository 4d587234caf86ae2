//! passwd/shadow/group parsing of hostile account files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| iotassay_inventory::fuzz_accounts(data));
