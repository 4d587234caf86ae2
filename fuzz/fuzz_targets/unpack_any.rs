//! The whole engine in memory: carving, every handler, recursion, budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = iotassay_unpack::Options {
        budget: Some(64 << 20),
        max_depth: 8,
        ..Default::default()
    };
    let _ = iotassay_unpack::unpack("fuzz", data, None, &options);
});
