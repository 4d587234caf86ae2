//! Helpers shared by the end-to-end unpack tests.

use iotassay_testkit::corpus;
use iotassay_unpack::{unpack_file, Manifest, Options};

/// Unpack a corpus image in memory, contents kept in the manifest.
pub fn unpack_mem(relative: &str) -> Manifest {
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    unpack_file(&corpus(relative), None, &options).expect("unpack runs")
}

/// One line per region, node and warning of `m`: what a failing assertion shows.
pub fn summary(m: &Manifest) -> String {
    let regions = m.regions.iter().map(|r| {
        format!(
            "region {} {:#x} {} {:?} {}",
            r.source, r.offset, r.format, r.status, r.description
        )
    });
    let nodes = m
        .nodes
        .iter()
        .map(|n| format!("node {} ({:?})", n.path, n.kind));
    let warnings = m
        .warnings
        .iter()
        .map(|w| format!("warning {} {:?} {}", w.source, w.offset, w.reason));
    regions
        .chain(nodes)
        .chain(warnings)
        .collect::<Vec<_>>()
        .join("\n")
}
