//! The engine's safety rules on synthetic hostile inputs: bombs, deep nesting, damage, garbage.

use std::io::Write;

use iotassay_unpack::{unpack, NodeKind, Options, RegionStatus};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_decompression_bomb_stops_with_a_clear_error() {
    let bomb = gzip(&vec![0u8; 64 << 20]);
    let options = Options {
        budget: Some(1 << 20),
        ..Options::default()
    };
    let m = unpack("bomb.gz", &bomb, None, &options).unwrap();
    let reason = m.aborted.expect("the run is stopped");
    assert!(reason.contains("budget"), "{reason}");
    assert!(m.stats.bytes_out <= 1 << 20);
}

#[test]
fn nesting_stops_at_the_depth_limit() {
    let mut data = b"innermost".to_vec();
    for _ in 0..12 {
        data = gzip(&data);
    }
    let options = Options {
        max_depth: 4,
        keep_data: true,
        ..Options::default()
    };
    let m = unpack("nested.gz", &data, None, &options).unwrap();
    assert!(m.stats.max_depth <= 4);
    assert!(
        m.warnings
            .iter()
            .any(|w| w.reason.contains("recursion limit")),
        "{:#?}",
        m.warnings
    );
    assert!(!m
        .nodes
        .iter()
        .any(|n| n.data.as_deref() == Some(&b"innermost"[..])));

    let deep = unpack(
        "nested.gz",
        &data,
        None,
        &Options {
            keep_data: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(deep
        .nodes
        .iter()
        .any(|n| n.data.as_deref() == Some(&b"innermost"[..])));
    assert_eq!(
        deep.regions.iter().filter(|r| r.format == "gzip").count(),
        12
    );
}

#[test]
fn a_damaged_region_is_a_warning_and_the_rest_is_extracted() {
    let good = gzip(b"first member, intact");
    let mut bad = gzip(
        &(0..20_000u32)
            .flat_map(|i| i.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let third = gzip(b"third member, intact");
    let mut image = good.clone();
    image.extend_from_slice(&[0xff; 100]);
    image.extend_from_slice(&bad);
    image.extend_from_slice(&[0xff; 100]);
    image.extend_from_slice(&third);
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    let m = unpack("damaged.bin", &image, None, &options).unwrap();
    let texts: Vec<&[u8]> = m.nodes.iter().filter_map(|n| n.data.as_deref()).collect();
    assert!(
        texts.contains(&&b"first member, intact"[..]),
        "{:#?}",
        m.regions
    );
    assert!(
        texts.contains(&&b"third member, intact"[..]),
        "{:#?}",
        m.regions
    );
    assert!(!m.warnings.is_empty(), "the damage is reported");
    let w = &m.warnings[0];
    assert_eq!(w.source, "damaged.bin");
    assert!(w.offset.is_some());
    assert!(m.aborted.is_none());
}

#[test]
fn random_bytes_yield_nothing_and_do_not_hang() {
    // xorshift: deterministic pseudo-random data.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..(4 << 20))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let m = unpack("random.bin", &data, None, &Options::default()).unwrap();
    let extracted = m
        .regions
        .iter()
        .filter(|r| r.status == RegionStatus::Extracted)
        .count();
    assert_eq!(extracted, 0, "false hits on random data: {:#?}", m.regions);
    assert!(m.nodes.iter().all(|n| n.kind != NodeKind::File));
}

/// Data made of look-alike headers that each claim the rest of the data and fail only on the
/// checksum (TRX) or lack an end record (zip) would cost a pass over the rest of the data per
/// header. The identification work budget stops that: the run ends with the budget's warning
/// instead of doing ~64 GiB of CRC work, and a real structure before the look-alikes is kept.
#[test]
fn look_alike_headers_cannot_make_identification_quadratic() {
    let real = gzip(b"a real stream before the look-alikes");
    let len = 16usize << 20;
    let mut data = real.clone();
    data.resize(len, 0);
    let headers = (len - real.len()) / 2048 - 1;
    for i in 0..headers {
        let at = real.len() + i * 2048;
        let claimed = (len - at) as u32;
        data[at..at + 4].copy_from_slice(b"HDR0");
        data[at + 4..at + 8].copy_from_slice(&claimed.to_le_bytes());
        data[at + 8..at + 12].copy_from_slice(&0xdead_beefu32.to_le_bytes()); // wrong CRC
        data[at + 12..at + 16].copy_from_slice(&(1u32 << 16).to_le_bytes()); // v1
        data[at + 16..at + 20].copy_from_slice(&28u32.to_le_bytes());
    }
    let m = unpack("look-alikes.bin", &data, None, &Options::default()).unwrap();
    assert!(
        m.warnings
            .iter()
            .any(|w| w.reason.contains("identification work budget")),
        "{:#?}",
        m.warnings
    );
    assert!(m
        .regions
        .iter()
        .any(|r| r.format == "gzip" && r.offset == 0 && r.status == RegionStatus::Extracted));
    assert!(m.regions.iter().all(|r| r.format != "trx"));
}
