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
fn openwrt_firmwares() {
    // The v4 images inside two OpenWrt TP-Link firmwares, at the offsets MANIFEST.md gives.
    for (name, offset, shadow) in [
        (
            "real/openwrt-15.05-tl-wr703n-sysupgrade.bin",
            0x11b0a0,
            "root::0:",
        ),
        (
            "real/openwrt-12.09-tl-wr703n-factory.bin",
            0xed044,
            "root:x:",
        ),
    ] {
        let data = corpus_bytes(name);
        let (c, r, desc) = run(&data[offset..]);
        assert_eq!(r, Ok(()), "{name}");
        assert!(desc.starts_with("v4.0 LE, xz"), "{name}: {desc}");
        let shadow_file = c.file("etc/shadow").expect("etc/shadow");
        assert!(
            String::from_utf8_lossy(&shadow_file).starts_with(shadow),
            "{name}"
        );
        assert!(c.warnings.lock().unwrap().is_empty(), "{name}");
    }
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
    // A whole 32-bit big-endian MIPS ELF: header, and program and section header tables inside it.
    assert_eq!(busybox.len(), 224_756);
    assert_eq!(&busybox[..6], b"\x7fELF\x01\x02");
    let be16 = |at: usize| usize::from(u16::from_be_bytes([busybox[at], busybox[at + 1]]));
    let be32 = |at: usize| u32::from_be_bytes(busybox[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(be16(18), 8, "EM_MIPS");
    assert!(
        be32(28) + be16(42) * be16(44) <= busybox.len(),
        "program headers"
    );
    assert!(
        be32(32) + be16(46) * be16(48) <= busybox.len(),
        "section headers"
    );
    let entries = by_path(c);
    // Every node of the image comes out (431 inodes; hard links would add to this).
    assert!(entries.len() >= 430, "{}", entries.len());
}

/// The mksquashfs of Realtek's RTL819x SDKs leaves garbage in the 16-bit copy of a 64 KiB block
/// size (0x9d1d in the D-Link DIR-600L's root file system) where others write 0: the image is
/// still SquashFS and extracts the same.
#[test]
fn v2_garbage_in_the_16_bit_block_size_of_64_kib_blocks() {
    for fixture in [
        "real/broadcom-squashfs-v2-be-lzma.bin",
        "formats/squashFS__lzma_be.sqfs2",
    ] {
        let data = corpus_bytes(fixture);
        assert_eq!(
            &data[32..36],
            b"\x00\x00\x00\x10",
            "{fixture}: 64 KiB blocks"
        );
        let mut realtek = data.clone();
        realtek[32..34].copy_from_slice(&[0x9d, 0x1d]);
        let (clean, r, _) = run(&data);
        r.unwrap();
        let (odd, r, desc) = run(&realtek);
        assert_eq!(r, Ok(()), "{fixture}: {desc}");
        assert_eq!(
            by_path(clean).keys().collect::<Vec<_>>(),
            by_path(odd).keys().collect::<Vec<_>>(),
            "{fixture}"
        );
    }
}

/// `ls -l` style permission string to mode bits (including setuid/setgid/sticky).
fn parse_perms(p: &str) -> u32 {
    let c: Vec<char> = p.chars().collect();
    let mut mode = 0;
    for (i, bit) in [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1]
        .into_iter()
        .enumerate()
    {
        let ch = c[i + 1];
        if ch != '-' && !matches!(ch, 'S' | 'T') {
            mode |= bit;
        }
        match (i, ch) {
            (2, 's' | 'S') => mode |= 0o4000,
            (5, 's' | 'S') => mode |= 0o2000,
            (8, 't' | 'T') => mode |= 0o1000,
            _ => {}
        }
    }
    mode
}

fn minutes(secs: i64) -> String {
    let tod = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        super::date(secs),
        tod / 3600,
        tod % 3600 / 60
    )
}

/// Every node as `unsquashfs -lln -UTC` lists it, keyed by path: "type mode uid/gid size|dev date [-> target]".
fn unsquashfs_listing(image: &std::path::Path) -> BTreeMap<String, String> {
    let out = Command::new("unsquashfs")
        .args(["-lln", "-UTC"])
        .arg(image)
        .output()
        .expect("unsquashfs not found: install squashfs-tools");
    assert!(
        out.status.success(),
        "unsquashfs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(at) = line.find(" squashfs-root") else {
            continue;
        };
        let (head, tail) = line.split_at(at);
        let tail = &tail[" squashfs-root".len()..];
        let Some(tail) = tail.strip_prefix('/') else {
            continue;
        }; // the root itself
        let (path, target) = match tail.split_once(" -> ") {
            Some((p, t)) => (p, Some(t)),
            None => (tail, None),
        };
        let tokens: Vec<&str> = head.split_whitespace().collect();
        let n = tokens.len();
        let kind = &tokens[0][..1];
        let size = tokens[2..n - 2].join("").replace(',', ":");
        let size = if kind == "l" { String::new() } else { size };
        let when = format!("{} {}", tokens[n - 2], tokens[n - 1]);
        let target = target.map(|t| format!(" -> {t}")).unwrap_or_default();
        let mode = parse_perms(tokens[0]);
        map.insert(
            path.to_string(),
            format!("{kind} {mode:o} {} {size} {when}{target}", tokens[1]),
        );
    }
    map
}

/// The same listing built from what our handler emitted.
fn our_listing(entries: &[Collected]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|e| {
            let (kind, size, target) = match &e.kind {
                CollectedKind::Dir => ("d", String::new(), String::new()),
                CollectedKind::File(d) => ("-", d.len().to_string(), String::new()),
                CollectedKind::Symlink(t) => ("l", String::new(), format!(" -> {t}")),
                CollectedKind::CharDevice(a, b) => ("c", format!("{a}:{b}"), String::new()),
                CollectedKind::BlockDevice(a, b) => ("b", format!("{a}:{b}"), String::new()),
                CollectedKind::Fifo => ("p", "0".into(), String::new()),
                CollectedKind::Socket => ("s", "0".into(), String::new()),
                k => panic!("unexpected {k:?}"),
            };
            let m = e.meta;
            let line = format!(
                "{kind} {:o} {}/{} {size} {}{target}",
                m.mode.unwrap(),
                m.uid.unwrap(),
                m.gid.unwrap(),
                minutes(m.mtime.unwrap())
            );
            (e.path.clone(), line)
        })
        .collect()
}

/// Compare every node's type, permission bits, uid/gid, size (or device numbers), mtime (to the
/// minute, which is what unsquashfs prints) and symlink target with squashfs-tools.
fn assert_matches_unsquashfs(relative: &str, skip_sizes: bool) {
    let path = iotassay_testkit::corpus(relative);
    let data = std::fs::read(&path).unwrap();
    let (c, r, _) = run(&data);
    assert_eq!(r, Ok(()), "{relative}");
    let ours = our_listing(&c.into_entries());
    let mut theirs = unsquashfs_listing(&path);
    assert!(theirs.len() > 3, "{relative}: unsquashfs listed nothing");
    let mut ours = ours;
    if skip_sizes {
        // Directory sizes differ in meaning (ours are empty); unsquashfs prints them for dirs only.
        for v in ours.values_mut().chain(theirs.values_mut()) {
            let mut parts: Vec<&str> = v.splitn(5, ' ').collect();
            if parts[0] == "d" {
                parts[3] = "";
            }
            *v = parts.join(" ");
        }
    }
    assert_eq!(ours.len(), theirs.len(), "{relative}: node count");
    for (p, line) in &theirs {
        assert_eq!(ours.get(p), Some(line), "{relative}: {p}");
    }
}

#[test]
fn metadata_matches_unsquashfs() {
    for image in [
        "real/tplink-mt7628-rootfs.squashfs",
        "real/broadcom-squashfs-v2-be-lzma.bin",
        "formats/squashFS__xz.sqfs",
        "formats/squashFS__zlib_be.sqfs3",
        "formats/squashFS__zlib_le.sqfs3",
    ] {
        assert_matches_unsquashfs(image, true);
    }
}

/// Offset of bin/busybox's inode in the Broadcom image (inside the second, uncompressed, metadata
/// block of the inode table at 0x274019).
const BUSYBOX_INODE: usize = 0x27_6346;

const ALL_FIXTURES: &[&str] = &[
    "formats/squashFS__gzip.sqfs",
    "formats/squashFS__lz4.sqfs",
    "formats/squashFS__lzma.sqfs",
    "formats/squashFS__lzo.sqfs",
    "formats/squashFS__xz.sqfs",
    "formats/squashFS__zstd.sqfs",
    "formats/squashFS__avm_le.sqfs4",
    "formats/squashFS__avm_be.sqfs4",
    "formats/squashFS__zlib_le.sqfs3",
    "formats/squashFS__zlib_be.sqfs3",
    "formats/squashFS__lzma1_le.sqfs3",
    "formats/squashFS__lzma1_be.sqfs3",
    "formats/squashFS__lzma_le.sqfs2",
    "formats/squashFS__lzma_be.sqfs2",
    "formats/binwalk__squashfs.bin",
];

/// Run every handler of the family on `data`; they must return, never panic.
fn run_all(data: &[u8]) -> Vec<Option<Result<(), Error>>> {
    super::HANDLERS
        .iter()
        .map(|h| Collector::run(*h, data, 1 << 20).map(|(_, r)| r))
        .collect()
}

#[test]
fn truncated_images_are_rejected() {
    for name in ALL_FIXTURES {
        let data = corpus_bytes(name);
        let used = handler_for(&data)
            .and_then(|h| h.identify(&data))
            .unwrap()
            .size
            .unwrap() as usize;
        for cut in (0..used).step_by(3) {
            // A cut image is short of its bytes_used: no handler may claim it.
            assert!(
                run_all(&data[..cut]).iter().all(Option::is_none),
                "{name} cut at {cut}"
            );
        }
    }
}

#[test]
fn damaged_images_never_panic() {
    // Flip every byte in turn (the whole of these small images, superblock included): each run
    // must end with entries, warnings or an error, never a panic or a hang.
    let mut outcomes = [0usize; 3];
    for name in ALL_FIXTURES {
        let data = corpus_bytes(name);
        let used = handler_for(&data)
            .and_then(|h| h.identify(&data))
            .unwrap()
            .size
            .unwrap() as usize;
        for at in 0..used {
            let mut bad = data.clone();
            bad[at] ^= 0x5a;
            for r in run_all(&bad) {
                outcomes[match r {
                    None => 0,
                    Some(Ok(())) => 1,
                    Some(Err(_)) => 2,
                }] += 1;
            }
        }
    }
    // The damage must be noticed somewhere: some runs are refused, some fail.
    assert!(outcomes[0] > 0 && outcomes[2] > 0, "{outcomes:?}");
}

/// A deterministic pseudo-random byte stream.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn random_bytes_with_a_magic_are_not_squashfs() {
    for seed in 0..2000u64 {
        let mut data = noise(seed, 4096);
        let magic: &[u8] = [b"hsqs", b"sqsh", b"shsq", b"qshs"][seed as usize % 4];
        data[..4].copy_from_slice(magic);
        // Even with a plausible version field the rest must not validate.
        let le = magic == b"hsqs" || magic == b"shsq";
        let (major, minor) = [(4u16, 0u16), (3, 1), (2, 0)][seed as usize % 3];
        let (a, b) = if le {
            (major.to_le_bytes(), minor.to_le_bytes())
        } else {
            (major.to_be_bytes(), minor.to_be_bytes())
        };
        data[28..30].copy_from_slice(&a);
        data[30..32].copy_from_slice(&b);
        for h in super::HANDLERS {
            assert!(h.identify(&data).is_none(), "seed {seed}: {}", h.name());
        }
    }
}

#[test]
fn huge_declared_sizes_are_refused() {
    // bytes_used far beyond the data.
    let mut data = corpus_bytes("real/tplink-mt7628-rootfs.squashfs");
    data[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(run_all(&data).iter().all(Option::is_none));
    let mut data = corpus_bytes("formats/squashFS__zlib_le.sqfs3");
    data[63..71].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(run_all(&data).iter().all(Option::is_none));
    // A file claiming 4 GiB (bin/busybox's inode in the Broadcom image, whose inode table is
    // stored uncompressed; file_size is the last field of the v2 regular-file inode).
    let mut data = corpus_bytes("real/broadcom-squashfs-v2-be-lzma.bin");
    let inode = BUSYBOX_INODE;
    assert_eq!(&data[inode + 20..inode + 24], &224_756u32.to_be_bytes());
    data[inode + 20..inode + 24].copy_from_slice(&u32::MAX.to_be_bytes());
    let (_, r) = Collector::run(&SquashfsLegacy, &data, BUDGET).unwrap();
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    // A small budget stops extraction with a budget error, not a panic or an allocation.
    let data = corpus_bytes("real/broadcom-squashfs-v2-be-lzma.bin");
    let (_, r) = Collector::run(&SquashfsLegacy, &data, 100_000).unwrap();
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    let data = corpus_bytes("real/tplink-mt7628-rootfs.squashfs");
    let (_, r) = Collector::run(&SquashfsV4, &data, 100_000).unwrap();
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
}

#[test]
fn directory_loop_in_v2_is_reported_not_followed() {
    // In the Broadcom image (uncompressed directory table), point the root's "bin" entry at the
    // root inode itself (block 0x2002, offset 0x5f5): bin now contains bin, forever.
    let mut data = corpus_bytes("real/broadcom-squashfs-v2-be-lzma.bin");
    let entry = 0x277bf6;
    assert_eq!(&data[entry..entry + 2], &[0x27, 0xc9]); // offset 1273, type 1 (directory)
    let patched = (0x5f5u16 << 3 | 1).to_be_bytes();
    data[entry..entry + 2].copy_from_slice(&patched);
    let (c, r) = Collector::run(&SquashfsLegacy, &data, BUDGET).unwrap();
    assert_eq!(r, Ok(()));
    let warnings = c.warnings.lock().unwrap().clone();
    assert!(
        warnings.iter().any(|(_, w)| w.contains("directory loop")),
        "{warnings:?}"
    );
    // The rest of the tree is still there.
    assert!(c.file("etc/default.cfg").is_some());
}

#[test]
fn directory_loop_in_v4_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("loopdir")).unwrap();
    std::fs::write(src.join("loopdir/f"), b"hi\n").unwrap();
    std::fs::write(src.join("top"), b"top\n").unwrap();
    let img = dir.path().join("img");
    let status = Command::new("mksquashfs")
        .arg(&src)
        .arg(&img)
        .args([
            "-noI",
            "-noD",
            "-noF",
            "-noX",
            "-no-xattrs",
            "-all-root",
            "-mkfs-time",
            "0",
            "-all-time",
            "0",
        ])
        .args(["-quiet", "-no-progress"])
        .status()
        .expect("mksquashfs not found: install squashfs-tools");
    assert!(status.success());
    let mut data = std::fs::read(&img).unwrap();
    assert_eq!(run(&data).1, Ok(()));
    // Uncompressed metadata: make the "loopdir" entry name the root inode (offset and number).
    let le16 = |d: &[u8], at: usize| u16::from_le_bytes([d[at], d[at + 1]]);
    let le32 = |d: &[u8], at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    let root = u64::from_le_bytes(data[32..40].try_into().unwrap());
    let inode_table = u64::from_le_bytes(data[64..72].try_into().unwrap()) as usize;
    let root_at = inode_table + 2 + (root & 0xffff) as usize;
    let root_number = le32(&data, root_at + 12);
    let name = data.windows(7).position(|w| w == b"loopdir").unwrap();
    let header_number = le32(&data, name - 8 - 4);
    assert_eq!(
        le16(&data, name - 4),
        1,
        "loopdir's entry type is a directory"
    );
    data[name - 8..name - 6].copy_from_slice(&((root & 0xffff) as u16).to_le_bytes());
    data[name - 6..name - 4].copy_from_slice(&((root_number - header_number) as i16).to_le_bytes());
    let (c, r, _) = run(&data);
    // backhand refuses the whole image; what matters is that it ends, without looping forever.
    assert!(r.is_err() || c.paths().len() < 10, "{r:?} {:?}", c.paths());
}

#[test]
fn fuzz_entry_points_run() {
    for name in ALL_FIXTURES {
        let data = corpus_bytes(name);
        super::fuzz_v4(&data);
        super::fuzz_legacy(&data);
    }
    super::fuzz_v4(b"hsqs");
    super::fuzz_legacy(b"sqsh");
}

/// Manual throughput check: `IOTASSAY_SQUASHFS_BENCH=/path/to/image cargo test -p iotassay-unpack
/// bench_extraction -- --ignored --nocapture`; compare with `unsquashfs -p 2`.
#[test]
#[ignore]
fn bench_extraction() {
    let path = std::env::var("IOTASSAY_SQUASHFS_BENCH").expect("set IOTASSAY_SQUASHFS_BENCH");
    let data = std::fs::read(path).unwrap();
    let start = std::time::Instant::now();
    let (c, r, desc) = run(&data);
    assert_eq!(r, Ok(()));
    let entries = c.into_entries();
    let bytes: usize = entries
        .iter()
        .map(|e| match &e.kind {
            CollectedKind::File(d) => d.len(),
            _ => 0,
        })
        .sum();
    eprintln!(
        "{desc}: {} entries, {bytes} bytes in {:?}",
        entries.len(),
        start.elapsed()
    );
}

/// Every regular file's bytes and exact mtime (seconds) against what unsquashfs extracts.
fn assert_contents_match_unsquashfs(relative: &str) {
    let image = iotassay_testkit::corpus(relative);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    // Device nodes fail when not root; regular files are what is compared here.
    let _ = Command::new("unsquashfs")
        .args(["-no-progress", "-no-xattrs", "-d"])
        .arg(&root)
        .arg(&image)
        .output()
        .expect("unsquashfs not found: install squashfs-tools");
    let (c, r, _) = run(&std::fs::read(&image).unwrap());
    assert_eq!(r, Ok(()));
    let mut files = 0;
    for e in c.into_entries() {
        let CollectedKind::File(ours) = &e.kind else {
            continue;
        };
        let theirs = root.join(&e.path);
        assert_eq!(
            &std::fs::read(&theirs).unwrap(),
            ours,
            "{relative}: {}",
            e.path
        );
        let mtime = std::fs::symlink_metadata(&theirs)
            .unwrap()
            .modified()
            .unwrap();
        let secs = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert_eq!(e.meta.mtime, Some(secs), "{relative}: {}", e.path);
        files += 1;
    }
    assert!(files >= 3, "{relative}: only {files} files compared");
}

#[test]
fn contents_match_unsquashfs() {
    for image in [
        "real/tplink-mt7628-rootfs.squashfs",
        "formats/squashFS__zlib_be.sqfs3",
        "formats/squashFS__zlib_le.sqfs3",
        "formats/squashFS__lzo.sqfs",
    ] {
        assert_contents_match_unsquashfs(image);
    }
}

#[test]
fn squashfs_1_is_reported_unsupported() {
    // A 2.0 superblock turned into a 1.0 one (major 1, 32 KiB blocks: the 1.x maximum).
    let mut data = corpus_bytes("formats/squashFS__lzma_le.sqfs2");
    data[28..30].copy_from_slice(&1u16.to_le_bytes());
    data[32..34].copy_from_slice(&0x8000u16.to_le_bytes());
    data[34..36].copy_from_slice(&15u16.to_le_bytes());
    let id = SquashfsLegacy
        .identify(&data)
        .expect("1.x superblock identified");
    assert!(id.description.starts_with("v1.76 LE") && id.description.contains("not extractable"));
    let (c, r) = Collector::run(&SquashfsLegacy, &data, BUDGET).unwrap();
    assert!(matches!(r, Err(Error::Unsupported(_))), "{r:?}");
    assert!(c.paths().is_empty());
}
