//! Tests of the compression family: corpus fixtures, streams built with the crates' encoders or the
//! reference tools (see `fixtures.rs`), exact carving, damage and hostile inputs.

use std::io::Write;

use iotassay_testkit::corpus_bytes;

use super::fixtures;
use super::*;
use crate::format::{Error, Format, Identified, Meta};
use crate::testing::{CollectedKind, Collector};

const BUDGET: u64 = 1 << 30;

/// The content of the tool-made fixtures.
fn lines() -> Vec<u8> {
    (0..200)
        .map(|n| format!("iotassay lzop fixture line {n}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Deterministic noise (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Text that compresses moderately, so a truncated stream still yields a useful prefix.
fn text(len: usize) -> Vec<u8> {
    let words: Vec<&[u8]> = vec![
        b"kernel ",
        b"squashfs ",
        b"busybox ",
        b"root ",
        b"0x1f8b ",
        b"passwd\n",
    ];
    let n = noise(7, len);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        out.extend_from_slice(words[usize::from(n[i % len]) % words.len()]);
        out.push(n[(i * 7 + 3) % len] % 26 + b'a');
        i += 1;
    }
    out.truncate(len);
    out
}

struct Extracted {
    size: Option<u64>,
    description: String,
    path: String,
    meta: Meta,
    payload: Vec<u8>,
    warnings: Vec<(u64, String)>,
}

/// Identify and extract `data` with `h`, expecting exactly one payload.
fn extract_one(h: &dyn Format, data: &[u8]) -> Extracted {
    let id = h
        .identify(data)
        .unwrap_or_else(|| panic!("{} does not identify", h.name()));
    let (size, description) = (id.size, id.description.clone());
    let end = size.map_or(data.len(), |s| (s as usize).min(data.len()));
    let c = Collector::new(BUDGET);
    h.extract(&data[..end], id, &c)
        .unwrap_or_else(|e| panic!("{} extract failed: {e}", h.name()));
    let warnings = c.warnings.lock().unwrap().clone();
    let mut entries = c.into_entries();
    assert_eq!(entries.len(), 1, "{}: one payload expected", h.name());
    let e = entries.remove(0);
    let CollectedKind::Payload(payload) = e.kind else {
        panic!("{}: not a payload: {:?}", h.name(), e.kind)
    };
    Extracted {
        size,
        description,
        path: e.path,
        meta: e.meta,
        payload,
        warnings,
    }
}

/// Hostile inputs derived from a good stream: truncated at ~100 offsets, a byte flipped at ~100
/// offsets; then the magic followed by noise, which must not identify. Nothing may panic.
fn hostile(h: &dyn Format, good: &[u8]) {
    let step = (good.len() / 97).max(1);
    for cut in (0..good.len()).step_by(step) {
        let _ = Collector::run(h, &good[..cut], BUDGET);
    }
    for at in (0..good.len()).step_by(step) {
        let mut d = good.to_vec();
        d[at] ^= 0x55;
        let _ = Collector::run(h, &d, BUDGET);
    }
    for magic in h.magics() {
        for seed in 0..40 {
            let mut d = noise(seed, magic.offset + 8192);
            d[magic.offset..magic.offset + magic.bytes.len()].copy_from_slice(magic.bytes);
            assert!(
                h.identify(&d).is_none(),
                "{} identifies noise behind magic {:02x?} (seed {seed})",
                h.name(),
                magic.bytes
            );
        }
    }
}

/// Stream followed by unrelated bytes: the identified size must be the stream's exact length.
fn assert_carves(h: &dyn Format, stream: &[u8], expected: &[u8]) {
    let mut data = stream.to_vec();
    data.extend_from_slice(&noise(99, 1000));
    let x = extract_one(h, &data);
    assert_eq!(x.size, Some(stream.len() as u64), "{}: size", h.name());
    assert_eq!(x.payload, expected, "{}: payload", h.name());
    assert!(x.warnings.is_empty(), "{}: {:?}", h.name(), x.warnings);
}

fn gzip_of(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz_of(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `.lzma` with unknown size and an end marker, as `lzma`/`xz --format=lzma` write it.
fn lzma_alone_of(data: &[u8]) -> Vec<u8> {
    let opts = liblzma::stream::LzmaOptions::new_preset(6).unwrap();
    let s = liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap();
    let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), s);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

// ---------------------------------------------------------------- gzip

#[test]
fn gzip_corpus_fixture() {
    let data = corpus_bytes("formats/binwalk__gzip.bin");
    let x = extract_one(&gzip::Gzip, &data);
    assert_eq!(x.size, Some(109));
    assert_eq!(x.path, "lsb-release");
    assert_eq!(x.payload.len(), 104);
    assert!(x
        .payload
        .starts_with(b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"));
    assert_eq!(x.meta.mtime, Some(1_730_475_076));
    assert!(x.description.contains("\"lsb-release\"") && x.description.contains("2024-11-01"));
    assert!(x.warnings.is_empty());
    hostile(&gzip::Gzip, &data);
}

#[test]
fn gzip_header_fields_and_exact_size() {
    let content = text(20_000);
    let mut e = flate2::GzBuilder::new()
        .filename("vmlinux.bin")
        .comment("a comment")
        .extra(vec![1, 2, 3, 4])
        .mtime(1_600_000_000)
        .write(Vec::new(), flate2::Compression::best());
    e.write_all(&content).unwrap();
    let stream = e.finish().unwrap();
    assert_carves(&gzip::Gzip, &stream, &content);
    let x = extract_one(&gzip::Gzip, &stream);
    assert_eq!(x.path, "vmlinux.bin");
    assert_eq!(x.meta.mtime, Some(1_600_000_000));
    assert!(x.description.contains("a comment"), "{}", x.description);

    // FHCRC: insert a header CRC16 after a flag-less header; a wrong one is reported.
    let plain = gzip_of(&content);
    let mut with_crc = plain[..10].to_vec();
    with_crc[3] |= 0x02;
    let crc = crc32fast::hash(&with_crc) as u16;
    with_crc.extend_from_slice(&crc.to_le_bytes());
    with_crc.extend_from_slice(&plain[10..]);
    assert_carves(&gzip::Gzip, &with_crc, &content);
    with_crc[10] ^= 1;
    let x = extract_one(&gzip::Gzip, &with_crc);
    assert_eq!(x.payload, content);
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("CRC16")),
        "{:?}",
        x.warnings
    );
}

#[test]
fn gzip_trailer_mismatch_is_a_warning() {
    let content = text(10_000);
    let mut stream = gzip_of(&content);
    let n = stream.len();
    stream[n - 8] ^= 0xff; // CRC32
    stream[n - 1] ^= 0x01; // ISIZE
    let x = extract_one(&gzip::Gzip, &stream);
    assert_eq!(x.payload, content);
    assert_eq!(x.size, Some(n as u64));
    assert!(x
        .warnings
        .iter()
        .any(|(o, w)| *o == (n - 8) as u64 && w.contains("CRC32")));
    assert!(x.warnings.iter().any(|(_, w)| w.contains("ISIZE")));
}

#[test]
fn gzip_truncated_keeps_prefix() {
    let content = text(100_000);
    let stream = gzip_of(&content);
    let cut = &stream[..stream.len() / 2];
    let x = extract_one(&gzip::Gzip, cut);
    assert_eq!(x.size, Some(cut.len() as u64));
    assert!(x.payload.len() > 10_000);
    assert!(content.starts_with(&x.payload));
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("truncated")),
        "{:?}",
        x.warnings
    );
}

#[test]
fn gzip_budget_is_enforced() {
    let stream = gzip_of(&vec![0u8; 4 << 20]);
    // With the prepared output: the emit refuses it.
    let r = Collector::run(&gzip::Gzip, &stream, 1 << 20).unwrap().1;
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    // Without it (identify hit its cap): the decoder stops at the budget.
    let c = Collector::new(1 << 20);
    let r = gzip::Gzip.extract(&stream, Identified::new(None, "gzip"), &c);
    assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    assert!(c.into_entries().is_empty());
    // And the same path succeeds under a sufficient budget.
    let c = Collector::new(8 << 20);
    gzip::Gzip
        .extract(&stream, Identified::new(None, "gzip"), &c)
        .unwrap();
    assert_eq!(c.file("data").unwrap().len(), 4 << 20);
}

// ---------------------------------------------------------------- xz

#[test]
fn xz_corpus_fixtures() {
    for (name, len) in [
        ("formats/sevenz__ext2.img.xz", 2_097_152),
        ("formats/sevenz__ext3.img.xz", 10_485_760),
        ("formats/sevenz__ext4.img.xz", 10_485_760),
    ] {
        let data = corpus_bytes(name);
        let x = extract_one(&xz::Xz, &data);
        assert_eq!(x.size, Some(data.len() as u64), "{name}");
        assert_eq!(x.payload.len(), len, "{name}");
        // ext2/3/4 superblock magic 0xEF53 at 1024 + 56.
        assert_eq!(&x.payload[1080..1082], b"\x53\xef", "{name}");
        assert!(x.description.contains("CRC64"), "{}", x.description);
        assert!(x.warnings.is_empty());
    }
    hostile(&xz::Xz, &corpus_bytes("formats/sevenz__ext2.img.xz"));
}

#[test]
fn xz_exact_size_truncation_and_corruption() {
    let content = text(50_000);
    let stream = xz_of(&content);
    assert_carves(&xz::Xz, &stream, &content);
    // Truncated: prefix plus warning.
    let x = extract_one(&xz::Xz, &stream[..stream.len() * 2 / 3]);
    assert!(!x.payload.is_empty() && content.starts_with(&x.payload));
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("truncated")),
        "{:?}",
        x.warnings
    );
    // A corrupted check: the data is kept, the mismatch reported.
    let mut bad = stream.clone();
    let check_at = bad.len() - 12 - 12 - 8; // footer, one-record index, then the block's CRC64
    bad[check_at] ^= 1;
    let x = extract_one(&xz::Xz, &bad);
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("corrupt")),
        "{:?}",
        x.warnings
    );
}

// ---------------------------------------------------------------- lzma

#[test]
fn lzma_real_kernels() {
    for (name, at, size, out_len, version) in [
        (
            "real/tplink-mt7628-kernel.bin",
            0x200,
            975_983,
            2_986_732,
            &b"Linux version 2.6.36"[..],
        ),
        (
            "real/openwrt-uImage-lzma.bin",
            64,
            1_389_599,
            4_492_980,
            b"Linux version 4.9.87",
        ),
        (
            "real/openwrt-12.09-tl-wr703n-factory.bin",
            0x200,
            970_305,
            2_946_676,
            b"Linux version 3.3.8",
        ),
    ] {
        let data = corpus_bytes(name);
        let x = extract_one(&lzma::Lzma, &data[at..]);
        assert_eq!(x.size, Some(size), "{name}");
        assert_eq!(x.payload.len(), out_len, "{name}");
        assert!(
            memchr::memmem::find(&x.payload, version).is_some(),
            "{name}"
        );
        assert!(x.warnings.is_empty(), "{name}: {:?}", x.warnings);
        assert!(x
            .description
            .contains(&format!("uncompressed size {out_len}")));
    }
    // A real kernel cut short (the fixture's second image): readable prefix plus a warning.
    let data = corpus_bytes("formats/uboot__uboot.image_with_header");
    let x = extract_one(&lzma::Lzma, &data[0x1c7b0..]);
    assert_eq!(x.size, Some((data.len() - 0x1c7b0) as u64));
    assert!(
        x.payload.len() > 500_000 && x.payload.len() < 2_713_248,
        "{}",
        x.payload.len()
    );
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("truncated")),
        "{:?}",
        x.warnings
    );
    // The uImage's LZMA uses OpenWrt's lc1 lp2 properties (0x6d).
    let data = corpus_bytes("real/openwrt-uImage-lzma.bin");
    assert!(lzma::Lzma
        .identify(&data[64..])
        .unwrap()
        .description
        .contains("lc1 lp2 pb2"));
}

#[test]
fn lzma_variants() {
    let content = text(30_000);
    let alone = lzma_alone_of(&content);
    assert_eq!(&alone[5..13], &[0xff; 8]);
    // Unknown size with an end marker: exact length.
    assert_carves(&lzma::Lzma, &alone, &content);
    // The same stream with the size field removed (TP-Link/Broadcom 5-byte header).
    let mut five = alone[..5].to_vec();
    five.extend_from_slice(&alone[13..]);
    let x = extract_one(&lzma::Lzma, &five);
    assert_eq!(x.payload, content);
    assert_eq!(x.size, Some(five.len() as u64));
    assert!(x.description.contains("5-byte header"), "{}", x.description);
    // Headerless raw LZMA1 through the public helper.
    let raw = &alone[13..];
    let (out, used, end) = lzma::decode_raw(
        raw,
        alone[0],
        u32::from_le_bytes(alone[1..5].try_into().unwrap()),
        BUDGET,
    )
    .unwrap();
    assert_eq!(
        (out, used, end),
        (content.clone(), raw.len(), stream::End::Complete)
    );
    // Implausible headers.
    let mut bad = alone.clone();
    bad[0] = 225;
    assert!(lzma::Lzma.identify(&bad).is_none());
    let mut bad = alone.clone();
    bad[1..5].copy_from_slice(&0x0012_3456u32.to_le_bytes());
    assert!(lzma::Lzma.identify(&bad).is_none());
    hostile(&lzma::Lzma, &alone);
    hostile(&lzma::Lzma, &five);
}

#[test]
fn arcadyan_corpus_fixture() {
    let data = corpus_bytes("formats/binwalk__arcadyan.bin");
    let x = extract_one(&lzma::Arcadyan, &data);
    assert_eq!(x.size, Some(733_166));
    assert_eq!(x.payload.len(), 2_813_252);
    assert_eq!(&x.payload[..8], b"\x00\x60\x02\x40\x40\x00\x01\x3c");
    assert!(x.description.starts_with("Arcadyan-obfuscated LZMA"));
    // Plain LZMA handlers must not claim it.
    assert!(lzma::Lzma.identify(&data).is_none());
    hostile(&lzma::Arcadyan, &data[..40_000]);
}

// ---------------------------------------------------------------- bzip2

#[test]
fn bzip2_corpus_fixture_and_exact_size() {
    let data = corpus_bytes("formats/binwalk__bzip2.bin");
    let x = extract_one(&bzip2::Bzip2, &data);
    // The fixture has trailing bytes after its stream.
    assert_eq!(x.size, Some(8125));
    assert_eq!(x.payload.len(), 21_043);
    assert!(x.payload.starts_with(b"EXPRESSION ]\n\nCheck file types"));
    assert!(x.description.contains("100k blocks"));
    hostile(&bzip2::Bzip2, &data[..8125]);

    let content = text(40_000);
    let mut e = ::bzip2::write::BzEncoder::new(Vec::new(), ::bzip2::Compression::best());
    e.write_all(&content).unwrap();
    let stream = e.finish().unwrap();
    assert_carves(&bzip2::Bzip2, &stream, &content);
}

// ---------------------------------------------------------------- zstd

#[test]
fn zstd_frames() {
    let content = text(400_000);
    let frame = ::zstd::encode_all(&content[..], 3).unwrap();
    assert_carves(&zstd::Zstd, &frame, &content);
    // pzstd layout: skippable frame, frame, skippable frame, frame => one payload.
    let second = ::zstd::encode_all(&b"second frame"[..], 3).unwrap();
    let mut multi = b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd".to_vec();
    multi.extend_from_slice(&frame);
    multi.extend_from_slice(b"\x5f\x2a\x4d\x18\x00\x00\x00\x00");
    multi.extend_from_slice(&second);
    let mut expected = content.clone();
    expected.extend_from_slice(b"second frame");
    assert_carves(&zstd::Zstd, &multi, &expected);
    assert!(zstd::Zstd
        .identify(&multi)
        .unwrap()
        .description
        .contains("2 frame(s)"));
    // Truncated.
    let x = extract_one(&zstd::Zstd, &frame[..frame.len() / 2]);
    assert!(content.starts_with(&x.payload) && x.payload.len() >= 512);
    assert!(!x.warnings.is_empty());
    // A skippable frame alone is not a stream.
    assert!(zstd::Zstd
        .identify(b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd")
        .is_none());
    hostile(&zstd::Zstd, &frame[..frame.len().min(20_000)]);
    hostile(&zstd::Zstd, &multi[..2000]);
}

// ---------------------------------------------------------------- lz4

#[test]
fn lz4_frames() {
    for fixture in [
        fixtures::LZ4_FRAME_LINKED,
        fixtures::LZ4_FRAME_BLOCK_CHECKSUMS,
    ] {
        assert_carves(&lz4::Lz4Frame, fixture, &lines());
        hostile(&lz4::Lz4Frame, fixture);
    }
    assert!(lz4::Lz4Frame
        .identify(fixtures::LZ4_FRAME_LINKED)
        .unwrap()
        .description
        .contains("content size 6090"));
    // Independent blocks from lz4_flex, several blocks.
    let content = text(300_000);
    let info = lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max64KB);
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(&content).unwrap();
    let frame = e.finish().unwrap();
    assert_carves(&lz4::Lz4Frame, &frame, &content);
    // Truncated inside the second block.
    let x = extract_one(&lz4::Lz4Frame, &frame[..frame.len() * 3 / 4]);
    assert!(content.starts_with(&x.payload) && x.payload.len() >= 64 << 10);
    assert!(x.warnings.iter().any(|(_, w)| w.contains("truncated")));
    // A damaged content checksum is reported and the data kept.
    let mut bad = fixtures::LZ4_FRAME_LINKED.to_vec();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let x = extract_one(&lz4::Lz4Frame, &bad);
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("corrupt")),
        "{:?}",
        x.warnings
    );
}

#[test]
fn lz4_legacy() {
    assert_carves(&lz4::Lz4Legacy, fixtures::LZ4_LEGACY, &lines());
    hostile(&lz4::Lz4Legacy, fixtures::LZ4_LEGACY);
    // Two chunks (8 MiB + rest) followed by the kernel's appended size: the size is not a chunk.
    let content: Vec<u8> = text(4096)
        .iter()
        .cycle()
        .take((8 << 20) + 5000)
        .copied()
        .collect();
    let mut stream = lz4::LEGACY_MAGIC.to_vec();
    for chunk in content.chunks(8 << 20) {
        let block = lz4_flex::block::compress(chunk);
        stream.extend_from_slice(&(block.len() as u32).to_le_bytes());
        stream.extend_from_slice(&block);
    }
    let mut data = stream.clone();
    data.extend_from_slice(&(content.len() as u32).to_le_bytes());
    let x = extract_one(&lz4::Lz4Legacy, &data);
    assert_eq!(x.size, Some(stream.len() as u64));
    assert!(x.payload == content);
}

// ---------------------------------------------------------------- lzop

#[test]
fn lzop_fixtures() {
    for fixture in [fixtures::LZOP_ADLER, fixtures::LZOP_CRC32] {
        assert_carves(&lzop::Lzop, fixture, &lines());
        let x = extract_one(&lzop::Lzop, fixture);
        assert_eq!(x.path, "lines.txt");
        assert_eq!(x.meta.mode, Some(0o640));
        assert_eq!(x.meta.mtime, Some(1_700_000_000));
        assert!(x.description.contains("2023-11-14"), "{}", x.description);
        hostile(&lzop::Lzop, fixture);
    }
    // A wrong uncompressed-data checksum is reported, the data kept. Header: 0x33 bytes for this
    // name; block: dst len, src len, Adler-32 of the data.
    let mut bad = fixtures::LZOP_ADLER.to_vec();
    let header_len = lzop::parse_header(&bad).unwrap().len;
    bad[header_len + 8] ^= 1;
    let x = extract_one(&lzop::Lzop, &bad);
    assert_eq!(x.payload, lines());
    assert!(
        x.warnings.iter().any(|(_, w)| w.contains("checksum")),
        "{:?}",
        x.warnings
    );
    // A wrong header checksum is not lzop.
    let mut bad = fixtures::LZOP_ADLER.to_vec();
    bad[header_len - 1] ^= 1;
    assert!(lzop::Lzop.identify(&bad).is_none());
    assert_eq!(lzop::adler32(b"Wikipedia"), 0x11e6_0398);
}

// ---------------------------------------------------------------- kernels

#[test]
fn zimage_be32_corpus_fixture() {
    let data = corpus_bytes("formats/linuxkernel__zImage_be32");
    let h = &kernel::ZImage;
    let x = extract_one(h, &data);
    assert_eq!(x.path, "vmlinux");
    assert_eq!(
        x.payload,
        b"foobar 1234 test foobar 1234 test Linux version foobar 1234 test foobar 1234 test\n"
    );
    assert!(
        x.description.starts_with("Linux ARM zImage, BE"),
        "{}",
        x.description
    );
    // The fixture is cut short of the length its header declares.
    assert_eq!(x.size, Some(data.len() as u64));
    assert!(x.warnings.iter().any(|(_, w)| w.contains("word-swapped")));
    hostile(h, &data);
}

/// A little-endian ARM zImage around `payload` at offset 0x100.
fn zimage_le(payload: &[u8]) -> Vec<u8> {
    let mut img = Vec::new();
    for _ in 0..8 {
        img.extend_from_slice(&0xe1a0_0000u32.to_le_bytes());
    }
    img.extend_from_slice(&0xea00_0002u32.to_le_bytes());
    img.extend_from_slice(&0x016f_2818u32.to_le_bytes());
    img.extend_from_slice(&0u32.to_le_bytes());
    let len = 0x100 + payload.len() + 4;
    img.extend_from_slice(&(len as u32).to_le_bytes());
    img.resize(0x100, 0);
    img.extend_from_slice(payload);
    img.extend_from_slice(&1234u32.to_le_bytes());
    img
}

#[test]
fn zimage_le_with_each_codec() {
    let kernel = text(50_000);
    let mut lz4_legacy = lz4::LEGACY_MAGIC.to_vec();
    let block = lz4_flex::block::compress(&kernel);
    lz4_legacy.extend_from_slice(&(block.len() as u32).to_le_bytes());
    lz4_legacy.extend_from_slice(&block);
    for stream in [
        gzip_of(&kernel),
        xz_of(&kernel),
        lzma_alone_of(&kernel),
        lz4_legacy,
    ] {
        let mut img = zimage_le(&stream);
        img.extend_from_slice(&noise(3, 500)); // what follows the image
        let x = extract_one(&kernel::ZImage, &img);
        assert_eq!(x.size, Some((0x100 + stream.len() + 4) as u64));
        assert_eq!(x.payload, kernel);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    }
    // An undecodable stream is emitted as is, with a warning.
    let mut broken = gzip_of(&kernel);
    broken[12..200].fill(0xff);
    let img = zimage_le(&broken);
    let c = Collector::run(&kernel::ZImage, &img, BUDGET).unwrap().0;
    assert!(c.file("vmlinux.gzip").unwrap().starts_with(&broken));
    assert!(!c.warnings.lock().unwrap().is_empty());
}

/// An x86 bzImage: protocol `protocol`, 4 setup sectors, `payload` in the protected-mode part.
fn bzimage(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let setup_len = 5 * 512;
    let mut img = vec![0u8; setup_len];
    img[0x1f1] = 4;
    img[0x1fe..0x200].copy_from_slice(&0xaa55u16.to_le_bytes());
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&protocol.to_le_bytes());
    img[0x20e..0x210].copy_from_slice(&0x0400u16.to_le_bytes());
    img[0x600..0x600 + 22].copy_from_slice(b"6.1.0-test (ci) #1 SMP");
    img[0x211] = 1;
    let payload_offset = 0x1234usize;
    img[0x248..0x24c].copy_from_slice(&(payload_offset as u32).to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(&noise(5, payload_offset));
    img.extend_from_slice(payload);
    img.extend_from_slice(&noise(6, 100));
    let sys = (img.len() - setup_len).div_ceil(16);
    img.resize(setup_len + sys * 16, 0);
    img[0x1f4..0x1f8].copy_from_slice(&(sys as u32).to_le_bytes());
    img
}

#[test]
fn bzimage_payload_from_the_setup_header() {
    let kernel = text(60_000);
    let xz = xz_of(&kernel);
    let img = bzimage(0x020f, &xz);
    let mut data = img.clone();
    data.extend_from_slice(&noise(8, 300));
    let x = extract_one(&kernel::BzImage, &data);
    assert_eq!(x.size, Some(img.len() as u64));
    assert_eq!(x.path, "vmlinux");
    assert_eq!(x.payload, kernel);
    assert!(
        x.description.contains("boot protocol 2.15"),
        "{}",
        x.description
    );
    assert!(
        x.description.contains("6.1.0-test (ci) #1 SMP"),
        "{}",
        x.description
    );
    assert!(x.description.contains("xz payload"), "{}", x.description);
    hostile(&kernel::BzImage, &img);

    // Before boot protocol 2.08 the payload is found by searching.
    let gz = gzip_of(&kernel);
    let old = bzimage(0x0204, &gz);
    assert_eq!(extract_one(&kernel::BzImage, &old).payload, kernel);

    // A payload in an unknown compression is emitted as is, with a warning.
    let img = bzimage(0x020f, &noise(9, 4000));
    let c = Collector::run(&kernel::BzImage, &img, BUDGET).unwrap().0;
    assert_eq!(c.file("payload").unwrap(), noise(9, 4000));
    assert!(!c.warnings.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------- family

#[test]
fn handlers_are_registered_and_fuzz_entry_points_survive_noise() {
    let mut names: Vec<&str> = HANDLERS.iter().map(|h| h.name()).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate handler names");
    assert!(HANDLERS.iter().all(|h| !h.magics().is_empty()));
    let fuzzers: &[fn(&[u8])] = &[
        fuzz_gzip,
        fuzz_xz,
        fuzz_lzma,
        fuzz_arcadyan,
        fuzz_bzip2,
        fuzz_zstd,
        fuzz_lz4,
        fuzz_lz4_legacy,
        fuzz_lzop,
        fuzz_zimage,
        fuzz_bzimage,
    ];
    for f in fuzzers {
        for seed in 0..20 {
            f(&noise(seed, 3000));
        }
        f(&[]);
        f(fixtures::LZOP_ADLER);
    }
}

#[test]
fn no_handler_claims_another_formats_stream() {
    let content = text(20_000);
    let streams: Vec<(&str, Vec<u8>)> = vec![
        ("gzip", gzip_of(&content)),
        ("xz", xz_of(&content)),
        ("lzma", lzma_alone_of(&content)),
        ("zstd", ::zstd::encode_all(&content[..], 3).unwrap()),
        ("lz4", fixtures::LZ4_FRAME_LINKED.to_vec()),
        ("lz4-legacy", fixtures::LZ4_LEGACY.to_vec()),
        ("lzop", fixtures::LZOP_ADLER.to_vec()),
    ];
    for (name, stream) in &streams {
        for h in HANDLERS {
            assert_eq!(
                h.identify(stream).is_some(),
                h.name() == *name,
                "{} on {name}",
                h.name()
            );
        }
    }
}

#[test]
fn huge_declared_sizes_are_not_trusted() {
    // LZMA declaring 1 GiB over a few bytes: rejected or tiny, quickly, without a big allocation.
    let content = text(20_000);
    let alone = lzma_alone_of(&content);
    let mut lie = alone[..alone.len() / 2].to_vec();
    lie[5..13].copy_from_slice(&(1u64 << 30).to_le_bytes());
    if let Some((c, _)) = Collector::run(&lzma::Lzma, &lie, BUDGET) {
        assert!(c.file("data").is_none_or(|d| d.len() <= content.len()));
    }
    lie[5..13].copy_from_slice(&((1u64 << 30) + 1).to_le_bytes());
    assert!(lzma::Lzma.identify(&lie).is_none());

    // lzop block declaring 64 MiB from 10 bytes, and more than the 64 MiB limit.
    let header_len = lzop::parse_header(fixtures::LZOP_ADLER).unwrap().len;
    for dst in [64u32 << 20, u32::MAX] {
        let mut bad = fixtures::LZOP_ADLER[..header_len].to_vec();
        bad.extend_from_slice(&dst.to_be_bytes());
        bad.extend_from_slice(&10u32.to_be_bytes());
        bad.extend_from_slice(&[0u8; 40]);
        assert!(lzop::Lzop.identify(&bad).is_none());
        let d = lzop::decode(&bad, BUDGET).unwrap();
        assert!(matches!(d.end, stream::End::Corrupt { .. }) && d.out.is_empty());
    }

    // LZ4 legacy chunk sizes past LZ4_compressBound(8 MiB), and an LZ4 frame block larger than
    // its declared maximum.
    let mut bad = lz4::LEGACY_MAGIC.to_vec();
    bad.extend_from_slice(&u32::MAX.to_le_bytes());
    bad.extend_from_slice(&[0u8; 64]);
    assert!(lz4::Lz4Legacy.identify(&bad).is_none());
    let mut frame = fixtures::LZ4_FRAME_BLOCK_CHECKSUMS.to_vec();
    frame[7..11].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    assert!(lz4::Lz4Frame.identify(&frame).is_none());

    // zImage/bzImage headers declaring sizes far past the data: clamped to the data.
    let mut img = zimage_le(&gzip_of(&content));
    img[0x2c..0x30].copy_from_slice(&(200u32 << 20).to_le_bytes());
    assert_eq!(
        kernel::ZImage.identify(&img).unwrap().size,
        Some(img.len() as u64)
    );
    let mut img = bzimage(0x020f, &gzip_of(&content));
    img[0x1f4..0x1f8].copy_from_slice(&u32::MAX.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&u32::MAX.to_le_bytes());
    let x = extract_one(&kernel::BzImage, &img);
    assert_eq!(x.size, Some(img.len() as u64));
    assert_eq!(x.payload, content);
}

#[test]
fn non_expanding_input_is_rejected_early() {
    // A gzip header then 8 MiB of empty stored blocks: valid deflate that never produces anything.
    let mut data = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec();
    for _ in 0..(8 << 20) / 5 {
        data.extend_from_slice(b"\x00\x00\x00\xff\xff");
    }
    let d = gzip::decode(&data, BUDGET).unwrap();
    assert!(matches!(d.end, stream::End::Corrupt { .. }), "{:?}", d.end);
    assert!(d.size <= 6 << 20, "{}", d.size);
    assert!(gzip::Gzip.identify(&data).is_none());
}

#[test]
fn zimage_without_its_compressed_kernel() {
    // The fixture's uImage holds the first 35 KiB of an ARM zImage: decompressor only.
    let data = corpus_bytes("formats/uboot__uboot.dtb");
    let id = kernel::ZImage.identify(&data[0x40..]).unwrap();
    assert!(
        id.description
            .starts_with("Linux ARM zImage, LE, 2330464 bytes"),
        "{}",
        id.description
    );
    let (c, r) = Collector::run(&kernel::ZImage, &data[0x40..], BUDGET).unwrap();
    r.unwrap();
    assert_eq!(c.paths(), vec!["payload".to_string()]);
    assert_eq!(c.file("payload").unwrap(), &data[0x70..]);
    let warnings = c.warnings.lock().unwrap();
    assert!(warnings.iter().any(|(_, w)| w.contains("zImage truncated")));
    assert!(warnings
        .iter()
        .any(|(o, w)| *o == 0x30 && w.contains("no known compressed kernel")));
}
