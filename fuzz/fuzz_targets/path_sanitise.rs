//! Sanitised paths never climb, never contain separators or NUL in a component.
#![no_main]

use iotassay_unpack::path::{resolve_link_target, SafePath};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (a, b) = data.split_at(data.len() / 2);
    let link = SafePath::sanitise(a);
    for p in [&link, &resolve_link_target(&link, b)] {
        for c in p.components() {
            assert!(!c.is_empty() && c != "." && c != "..");
            assert!(!c.contains('/') && !c.contains('\0'));
        }
    }
    let rel = resolve_link_target(&link, b).relative_from(&link.parent().unwrap_or_default());
    assert!(!rel.starts_with('/'));
});
