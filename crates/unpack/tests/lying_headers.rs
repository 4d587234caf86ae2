//! Containers whose header does not match their content, Realtek RTL819x images, and warnings
//! that always say why: end to end through the engine, on images built here and on the corpus.

use std::collections::BTreeMap;
use std::process::Command;

mod common;

use common::{summary, unpack_mem};
use iotassay_testkit::corpus_bytes;
use iotassay_unpack::{unpack, Manifest, NodeKind, Options};

fn unpack_bytes(name: &str, data: &[u8]) -> Manifest {
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    unpack(name, data, None, &options).expect("unpack runs")
}

/// The three files every FACT SquashFS fixture holds, found below a `squashfs` region.
fn has_fixture_files(m: &Manifest) -> bool {
    let file = |inner: &str| {
        m.nodes.iter().any(|n| {
            n.inner_path == inner && n.kind == NodeKind::File && n.path.contains("squashfs")
        })
    };
    file("testfile1") && file("testfile2")
}

fn disagreement(m: &Manifest, format: &str) -> bool {
    m.warnings.iter().any(|w| {
        w.reason
            .contains(&format!("the {format} header and the content disagree"))
    })
}

/// A TP-Link v1 header whose rootfs field points 0x100 bytes into the SquashFS that follows the
/// kernel (and not right after the kernel either): the file system must still come out.
#[test]
fn tplink_header_with_a_wrong_rootfs_offset() {
    let kernel = corpus_bytes("formats/binwalk__gzip.bin");
    let squashfs = corpus_bytes("formats/squashFS__gzip.sqfs");
    let fs_at = 0x1000;
    let fw_len = fs_at + squashfs.len();
    let mut image = vec![0u8; fw_len];
    image[..4].copy_from_slice(&[1, 0, 0, 0]);
    image[4..4 + 20].copy_from_slice(b"TP-LINK Technologies");
    image[0x1c..0x1c + 8].copy_from_slice(b"ver. 1.0");
    image[0x40..0x44].copy_from_slice(&0x0841_0001u32.to_be_bytes());
    let fields = [
        0x8000_2000u32,
        0x8000_2000,
        fw_len as u32,
        0x200,
        kernel.len() as u32,
        (fs_at + 0x100) as u32, // wrong: inside the file system
        (fw_len - fs_at - 0x100) as u32,
    ];
    for (i, f) in fields.iter().enumerate() {
        image[0x74 + 4 * i..0x78 + 4 * i].copy_from_slice(&f.to_be_bytes());
    }
    image[0x200..0x200 + kernel.len()].copy_from_slice(&kernel);
    image[fs_at..].copy_from_slice(&squashfs);

    let m = unpack_bytes("tplink-lying.bin", &image);
    assert!(has_fixture_files(&m), "{}", summary(&m));
    assert!(disagreement(&m, "tplink"), "{}", summary(&m));
    let fs = m
        .regions
        .iter()
        .find(|r| r.format == "squashfs")
        .expect("squashfs region");
    assert_eq!(
        (fs.source.as_str(), fs.offset),
        ("tplink-lying.bin", fs_at as u64)
    );
    // The same image with the right offset: no disagreement, the rootfs partition is the file
    // system.
    let mut honest = image.clone();
    honest[0x74 + 20..0x74 + 24].copy_from_slice(&(fs_at as u32).to_be_bytes());
    honest[0x74 + 24..0x74 + 28].copy_from_slice(&(squashfs.len() as u32).to_be_bytes());
    let m = unpack_bytes("tplink-honest.bin", &honest);
    assert!(has_fixture_files(&m), "{}", summary(&m));
    assert!(!disagreement(&m, "tplink"), "{}", summary(&m));
}

/// A TRX (CRC correct) whose second partition offset points 0x40 bytes past where the SquashFS
/// starts, so the file system begins inside the kernel partition.
#[test]
fn trx_with_a_wrong_partition_offset() {
    let kernel = corpus_bytes("formats/binwalk__gzip.bin");
    let squashfs = corpus_bytes("formats/squashFS__gzip.sqfs");
    let fs_at = 0x400;
    let len = fs_at + squashfs.len();
    let mut image = vec![0u8; len];
    image[..4].copy_from_slice(b"HDR0");
    image[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    image[12..16].copy_from_slice(&(1u32 << 16).to_le_bytes()); // version 1, no flags
    image[16..20].copy_from_slice(&28u32.to_le_bytes());
    image[20..24].copy_from_slice(&((fs_at + 0x40) as u32).to_le_bytes()); // wrong
    image[28..28 + kernel.len()].copy_from_slice(&kernel);
    image[fs_at..].copy_from_slice(&squashfs);
    let crc = iotassay_unpack::bytes::crc32_jam(&image[12..]);
    image[8..12].copy_from_slice(&crc.to_le_bytes());

    let m = unpack_bytes("trx-lying.bin", &image);
    assert!(
        m.regions.iter().any(|r| r.format == "trx"),
        "{}",
        summary(&m)
    );
    assert!(has_fixture_files(&m), "{}", summary(&m));
    assert!(disagreement(&m, "trx"), "{}", summary(&m));
}

/// TL-WR841N v14: the boot loader is 64 KiB, so the second header (whose rootfs offset is right)
/// sits at 0x10200; the outer header's own rootfs field does not point at the SquashFS at
/// 0x100200. The root file system comes out whole: the 542 entries below its root that
/// `unsquashfs -o 1049088 -ls` lists.
#[test]
fn tplink_wr841n_v14_root_file_system_comes_out() {
    let m = unpack_mem("real/tplink-wr841nv14-up-boot.bin");
    let fs = m
        .regions
        .iter()
        .find(|r| r.format == "squashfs")
        .unwrap_or_else(|| panic!("no squashfs: {}", summary(&m)));
    assert!(fs.description.contains("543 inodes"), "{}", fs.description);
    let out = fs.output.clone().unwrap();
    let entries = m
        .nodes
        .iter()
        .filter(|n| n.path.starts_with(&format!("{out}/")))
        .count();
    assert_eq!(entries, 542, "{}", summary(&m));
    for (inner, needle) in [
        (
            "etc/passwd.bak",
            &b"admin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0"[..],
        ),
        ("usr/bin/cos", b"tddp &"),
        ("etc/inittab", b"ttyS1::respawn:/bin/sh"),
    ] {
        let node = m
            .nodes
            .iter()
            .find(|n| n.inner_path == inner && n.data.is_some())
            .unwrap_or_else(|| panic!("no {inner}: {}", summary(&m)));
        let data = node.data.as_deref().unwrap();
        assert!(
            data.windows(needle.len()).any(|w| w == needle),
            "{inner}: {}",
            String::from_utf8_lossy(data)
        );
    }
    let tplink = &m.regions[0];
    assert!(
        tplink
            .description
            .contains("with a boot loader (second header at 0x10200)"),
        "{}",
        tplink.description
    );
}

/// D-Link DIR-600L B1: Realtek `F6LB` kernel, `Mlnk` web pages and `R6LB` root file system
/// sections, checksums verified; the SquashFS 2.0 BE LZMA root file system holds what the
/// corpus manifest lists and equals what 7-Zip extracts from it, file for file.
#[test]
fn dlink_dir600l_realtek_image() {
    let m = unpack_mem("real/dlink-dir600l-b1-2.04.bin");
    let realtek = &m.regions[0];
    assert_eq!(realtek.format, "realtek", "{}", summary(&m));
    for part in ["F6LB", "Mlnk", "R6LB"] {
        assert!(
            realtek.description.contains(&format!("{part} (load")),
            "{}",
            realtek.description
        );
    }
    assert!(
        !realtek.description.contains("BAD"),
        "{}",
        realtek.description
    );
    assert!(m.warnings.is_empty(), "{}", summary(&m));
    let root = m
        .regions
        .iter()
        .find(|r| r.format == "squashfs-v2v3" && r.description.contains("513 inodes"))
        .unwrap_or_else(|| panic!("no root squashfs: {}", summary(&m)));
    let prefix = format!("{}/", root.output.clone().unwrap());
    let ours: BTreeMap<String, &iotassay_unpack::Node> = m
        .nodes
        .iter()
        .filter_map(|n| Some((n.path.strip_prefix(&prefix)?.to_string(), n)))
        .collect();
    let file = |p: &str| {
        ours.get(p)
            .and_then(|n| n.data.as_deref())
            .unwrap_or_else(|| panic!("no {p}: {}", summary(&m)))
    };
    assert!(file("etc/passwd").starts_with(b"root:abSQTPcIskFGc:0:0:root:/:/bin/sh"));
    assert_eq!(
        file("etc/alpha_config/image_sign"),
        b"wrgn61_dlwbr_dir600L\n"
    );
    let telnetd = String::from_utf8_lossy(file("bin/telnetd.sh")).into_owned();
    assert!(
        telnetd.contains("-u Alphanetworks:$image_sign"),
        "{telnetd}"
    );
    assert!(String::from_utf8_lossy(file("etc/profile")).contains("telnetd.sh"));
    assert!(file("bin/busybox").starts_with(b"\x7fELF"));
    let crypto = file("lib/libcrypto.so.0.9.8");
    assert!(crypto.windows(13).any(|w| w == b"OpenSSL 0.9.8"));

    // 7-Zip on the SquashFS alone: the same entries, the same contents for every regular file.
    let data = corpus_bytes("real/dlink-dir600l-b1-2.04.bin");
    let dir = tempfile::tempdir().unwrap();
    let sq = dir.path().join("root.sqfs");
    std::fs::write(&sq, &data[0xa4834..]).unwrap();
    let out = dir.path().join("x");
    let status = Command::new("7z")
        .arg("x")
        .arg("-y")
        .arg(format!("-o{}", out.display()))
        .arg(&sq)
        .output()
        .expect("7z not found: install p7zip-full");
    assert!(out.is_dir(), "{}", String::from_utf8_lossy(&status.stdout));
    let mut theirs = BTreeMap::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p.clone());
            }
            theirs.insert(rel, (meta.is_file(), p));
        }
    }
    let names_ours: Vec<_> = ours.keys().cloned().collect();
    let names_theirs: Vec<_> = theirs.keys().cloned().collect();
    assert_eq!(names_ours, names_theirs);
    let mut compared = 0;
    for (rel, (is_file, p)) in &theirs {
        let node = ours[rel];
        if *is_file && node.kind == NodeKind::File {
            assert_eq!(
                node.data.as_deref().unwrap(),
                &std::fs::read(p).unwrap()[..],
                "{rel}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 382);
}

/// Data blocks of a real SquashFS 4.0 overwritten: every file that cannot be read is a warning
/// that names the file, an offset and a reason.
#[test]
fn corrupted_squashfs_data_blocks_warn_with_reasons() {
    let mut data = corpus_bytes("real/tplink-mt7628-rootfs.squashfs");
    // The data blocks lie between the superblock and the inode table.
    let inode_table = u64::from_le_bytes(data[64..72].try_into().unwrap()) as usize;
    for at in (0x2000..inode_table).step_by(0x800) {
        for b in &mut data[at..at + 64] {
            *b = !*b;
        }
    }
    let m = unpack_bytes("corrupt.squashfs", &data);
    assert!(m.warnings.len() > 20, "{}", summary(&m));
    for w in &m.warnings {
        assert!(w.offset.is_some(), "{w:?}");
        let why = w.reason.rsplit(": ").next().unwrap_or_default().trim();
        assert!(!why.is_empty(), "{w:?}");
        assert!(w.reason.contains('/') || w.reason.contains(' '), "{w:?}");
    }
    // Files whose blocks were damaged are named with why.
    assert!(
        m.warnings
            .iter()
            .any(|w| w.reason.contains("decompress") && w.offset > Some(0x2000)),
        "{}",
        summary(&m)
    );
}
