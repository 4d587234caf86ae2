//! Tests of the SquashFS family against the real corpus, squashfs-tools, and hostile inputs.

use std::collections::BTreeMap;
use std::process::Command;

use iotassay_testkit::corpus_bytes;

use super::legacy::SquashfsLegacy;
use super::v4::SquashfsV4;
use crate::format::{Error, Format};
use crate::testing::{Collected, CollectedKind, Collector};

const BUDGET: u64 = 512 << 20;

const TESTFILE1: &[u8] = b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n";
const TESTFILE2: &[u8] = b"This is the second test file";
const TESTFILE3: &[u8] = b"The third test file!";

/// The handler of this family that identifies `data`, like the engine would pick it.
fn handler_for(data: &[u8]) -> Option<&'static dyn Format> {
    super::HANDLERS
        .iter()
        .copied()
        .find(|h| h.identify(data).is_some())
}

/// Identify and extract with whichever handler claims the data; panics if none does.
fn run(data: &[u8]) -> (Collector, Result<(), Error>, String) {
    let h = handler_for(data).expect("no squashfs handler identifies the data");
    let desc = h.identify(data).unwrap().description;
    let (c, r) = Collector::run(h, data, BUDGET).unwrap();
    (c, r, desc)
}

fn by_path(c: Collector) -> BTreeMap<String, Collected> {
    c.into_entries()
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect()
}

#[test]
fn every_fixture_yields_the_three_test_files() {
    let fixtures = [
        ("squashFS__gzip.sqfs", "v4.0 LE, gzip"),
        ("squashFS__lz4.sqfs", "v4.0 LE, lz4"),
        ("squashFS__lzma.sqfs", "v4.0 LE, lzma"),
        ("squashFS__lzo.sqfs", "v4.0 LE, lzo"),
        ("squashFS__xz.sqfs", "v4.0 LE, xz"),
        ("squashFS__zstd.sqfs", "v4.0 LE, zstd"),
        ("squashFS__avm_le.sqfs4", "v4.0 LE"),
        ("squashFS__avm_be.sqfs4", "v4.0 BE"),
        ("squashFS__zlib_le.sqfs3", "v3.1 LE, zlib"),
        ("squashFS__zlib_be.sqfs3", "v3.1 BE, zlib"),
        ("squashFS__lzma1_le.sqfs3", "v3.76 LE, lzma"),
        ("squashFS__lzma1_be.sqfs3", "v3.76 BE, lzma"),
        ("squashFS__lzma_le.sqfs2", "v2.76 LE, lzma"),
        ("squashFS__lzma_be.sqfs2", "v2.76 BE, lzma"),
    ];
    for (name, desc_prefix) in fixtures {
        let data = corpus_bytes(&format!("formats/{name}"));
        let (c, r, desc) = run(&data);
        assert_eq!(r, Ok(()), "{name}: {desc}");
        assert!(
            desc.starts_with(desc_prefix),
            "{name}: description {desc:?}"
        );
        // AVM's tools leave the superblock time unset.
        let dated = name.contains("avm") || desc.contains("2024-07-23");
        assert!(desc.contains("5 inodes") && dated, "{name}: {desc}");
        assert!(
            c.warnings.lock().unwrap().is_empty(),
            "{name}: {:?}",
            c.warnings.lock().unwrap()
        );
        let entries = by_path(c);
        let names: Vec<_> = entries.keys().cloned().collect();
        assert_eq!(
            names,
            [
                "generic folder",
                "generic folder/test file 3_.txt",
                "testfile1",
                "testfile2"
            ],
            "{name}"
        );
        let file = |p: &str| match &entries[p].kind {
            CollectedKind::File(d) => d.clone(),
            k => panic!("{name}: {p} is {k:?}"),
        };
        assert_eq!(file("testfile1"), TESTFILE1, "{name}");
        assert_eq!(file("testfile2"), TESTFILE2, "{name}");
        assert_eq!(file("generic folder/test file 3_.txt"), TESTFILE3, "{name}");
        assert_eq!(entries["generic folder"].kind, CollectedKind::Dir, "{name}");
        let m = entries["testfile1"].meta;
        assert_eq!(
            (m.mode, m.uid, m.gid),
            (Some(0o644), Some(1000), Some(1000)),
            "{name}"
        );
        // 2024-07-23 08:53 UTC, as unsquashfs lists it for every fixture.
        let t = m.mtime.unwrap();
        assert!(
            (1_721_724_780..1_721_724_840).contains(&t),
            "{name}: mtime {t}"
        );
        assert_eq!(entries["generic folder"].meta.mode, Some(0o755), "{name}");
    }
}

#[test]
fn binwalk_squashfs() {
    let data = corpus_bytes("formats/binwalk__squashfs.bin");
    let (c, r, desc) = run(&data);
    assert_eq!(r, Ok(()));
    assert!(desc.starts_with("v4.0 LE, gzip"), "{desc}");
    assert_eq!(
        c.file("lsb-release").unwrap(),
        b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.5 LTS\"\n"
    );
    assert_eq!(c.paths(), ["lsb-release"]);
}

#[test]
fn tplink_rootfs() {
    let data = corpus_bytes("real/tplink-mt7628-rootfs.squashfs");
    let (c, r, desc) = run(&data);
    assert_eq!(r, Ok(()));
    assert!(desc.starts_with("v4.0 LE, xz"), "{desc}");
    let passwd = c.file("etc/passwd.bak").expect("etc/passwd.bak");
    assert!(String::from_utf8_lossy(&passwd).contains("admin:$1$$iC.dUsGpxNNJGeOm1dFio/"));
    let entries = by_path(c);
    assert_eq!(
        entries["etc/passwd"].kind,
        CollectedKind::Symlink("/var/passwd".into())
    );
}

#[test]
fn broadcom_v2_lzma() {
    let data = corpus_bytes("real/broadcom-squashfs-v2-be-lzma.bin");
    assert!(SquashfsV4.identify(&data).is_none());
    let (c, r, desc) = run(&data);
    assert_eq!(r, Ok(()), "{desc}");
    assert!(
        desc.starts_with("v2.0 BE, lzma (5-byte header), 431 inodes, block 64 KiB, built 2009-"),
        "{desc}"
    );
    assert!(
        c.warnings.lock().unwrap().is_empty(),
        "{:?}",
        c.warnings.lock().unwrap()
    );
    // /etc/group is a symlink into /var; the line is written at boot by a binary that holds it.
    let line: &[u8] = b"root::0:root,admin,support,user";
    let holders: Vec<String> = c
        .entries
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(&e.kind, CollectedKind::File(d) if d.windows(line.len()).any(|w| w == line)))
        .map(|e| e.path.clone())
        .collect();
    eprintln!("group line in {holders:?}");
    assert!(!holders.is_empty());
    let busybox = c.file("bin/busybox").expect("bin/busybox");
    assert_eq!(&busybox[..4], b"\x7fELF");
    let entries = by_path(c);
    // Every node of the image comes out (431 inodes; hard links would add to this).
    assert!(entries.len() >= 430, "{}", entries.len());
}
