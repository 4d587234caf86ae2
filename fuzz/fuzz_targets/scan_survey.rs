//! A survey taken chunk by chunk (as a decoder feeds it) equals a live search of the same bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| iotassay_unpack::scan::fuzz_survey(data));
