//! The assessments the report tests render: OpenWrt 12.09 for the WR703N (telnetd and dropbear at
//! boot, root without a password), with and without the declaration template, through the JSON.

#![allow(dead_code)]

use std::sync::OnceLock;

use iotassay_checks::{assess, attach_declaration, Assessment, CheckOptions};
use iotassay_declaration::{Declaration, TEMPLATE};

pub const IMAGE: &str = "openwrt-12.09-tl-wr703n-factory.bin";

fn scanned() -> &'static Assessment {
    static A: OnceLock<Assessment> = OnceLock::new();
    A.get_or_init(|| {
        assess(
            IMAGE,
            &iotassay_testkit::corpus_bytes(&format!("real/{IMAGE}")),
            &iotassay_unpack::Options::default(),
            &CheckOptions::default(),
        )
        .unwrap()
    })
}

/// The assessment as `scan --json` writes it, read back the way `iotassay report` reads it.
pub fn via_json(a: &Assessment) -> Assessment {
    iotassay_report::load(&serde_json::to_vec(a).unwrap()).unwrap()
}

/// Without a declaration.
pub fn bare() -> Assessment {
    via_json(scanned())
}

/// With the annotated declaration template (claims no telnet, unique passwords).
pub fn declared() -> Assessment {
    let mut a = scanned().clone();
    attach_declaration(&mut a, Declaration::parse(TEMPLATE).unwrap());
    via_json(&a)
}

pub fn text(a: &Assessment, format: iotassay_report::Format, file: &str) -> String {
    let out = iotassay_report::render(a, format);
    let f = out
        .into_iter()
        .find(|o| o.file_name == file)
        .unwrap_or_else(|| panic!("{format} renders no {file}"));
    String::from_utf8(f.bytes).unwrap()
}
