//! Every report format rendered from a hostile assessment JSON: out-of-range indexes, huge or
//! odd strings, missing sections. Reading must fail cleanly or rendering must finish.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(a) = iotassay_report::load(data) {
        for format in iotassay_report::Format::ALL {
            let _ = iotassay_report::render(&a, format);
        }
    }
});
