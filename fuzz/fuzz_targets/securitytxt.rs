//! RFC 9116 validation of hostile security.txt files.
#![no_main]

use iotassay_declaration::securitytxt::{validate, Options};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let options = Options {
        now: time::OffsetDateTime::UNIX_EPOCH,
        retrieved_from: Some("https://example.com/.well-known/security.txt".into()),
    };
    let _ = validate(data, &options);
});
