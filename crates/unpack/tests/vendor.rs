//! Vendor firmware containers end to end through the engine: each `corpus/formats/` fixture is
//! identified as its container, decrypted or repaired where the key is published, and what it holds
//! is carved again — a SquashFS, a zip, a nested container — down to the known test files.

mod common;

use common::{summary, unpack_mem};
use iotassay_testkit::corpus;
use iotassay_unpack::{scan, unpack, Manifest, NodeKind, Options, RegionStatus};

/// The formats of the regions, outermost first (the order extraction recorded them in).
fn formats(m: &Manifest) -> Vec<&str> {
    m.regions.iter().map(|r| r.format.as_str()).collect()
}

/// Content of the node at output path `path`.
fn file<'m>(m: &'m Manifest, path: &str) -> &'m [u8] {
    m.nodes
        .iter()
        .find(|n| n.path == path && n.data.is_some())
        .and_then(|n| n.data.as_deref())
        .unwrap_or_else(|| panic!("no {path}:\n{}", summary(m)))
}

/// The three files most FACT fixtures hold, somewhere in the tree.
fn has_fact_test_files(m: &Manifest) {
    for name in ["testfile1", "testfile2", "test file 3_.txt"] {
        assert!(
            m.nodes
                .iter()
                .any(|n| n.path.ends_with(name) && n.data.as_ref().is_some_and(|d| !d.is_empty())),
            "{name}:\n{}",
            summary(m)
        );
    }
}

#[test]
fn draytek_rootfs_squashfs_unpacks() {
    let m = unpack_mem("formats/draytek_vigor_167__valid_draytekvigor167_image.bin");
    assert_eq!(formats(&m)[..2], ["draytek", "squashfs"], "{}", summary(&m));
    assert_eq!(m.regions[1].source, "0x0-draytek/rootfs", "{}", summary(&m));
    let hidden = file(
        &m,
        "0x0-draytek/rootfs.extracted/0x0-squashfs/bin/can_you_find_me.txt",
    );
    assert!(!hidden.is_empty());
    // The placeholder checksums of FACT's image are warnings with their offsets.
    assert!(
        m.warnings
            .iter()
            .any(|w| w.reason.contains("body CRC-32 mismatch") && w.offset == Some(12)),
        "{}",
        summary(&m)
    );
}

#[test]
fn broadcom_sao_objects_recurse_into_dtb_and_squashfs() {
    let m = unpack_mem("formats/broadcom__broadcom-sao.bin");
    let f = formats(&m);
    assert_eq!(f[0], "broadcom-sao", "{}", summary(&m));
    assert!(
        f.contains(&"dtb") && f.contains(&"squashfs"),
        "{}",
        summary(&m)
    );
    assert_eq!(
        file(&m, "0x0-broadcom-sao/META"),
        b"{\"extractor\":\"broadcom-sao\"}\n"
    );
    // The RTFS object is a SquashFS holding FACT's marker file.
    assert!(!file(
        &m,
        "0x0-broadcom-sao/RTFS.extracted/0x0-squashfs/root/fact.bin"
    )
    .is_empty());
}

#[test]
fn dahua_zip_is_repaired_and_unpacked() {
    let m = unpack_mem("formats/dahua__dh.bin");
    assert_eq!(formats(&m), ["dahua", "zip"], "{}", summary(&m));
    assert!(m
        .regions
        .iter()
        .all(|r| r.status == RegionStatus::Extracted));
    // The zip handler is no longer left to guess at a truncated zip inside.
    assert!(m.warnings.is_empty(), "{}", summary(&m));
    has_fact_test_files(&m);
}

#[test]
fn dlink_shrs_decrypts() {
    let m = unpack_mem("formats/dlink__test.dec");
    assert_eq!(formats(&m), ["dlink-shrs"], "{}", summary(&m));
    assert_eq!(
        file(&m, "0x0-dlink-shrs/decrypted"),
        b"This is a decrypted test file!\n\n"
    );
}

#[test]
fn dlink_encrpted_img_decrypts() {
    let m = unpack_mem("formats/dlink__testfile.encrpted_img");
    assert_eq!(formats(&m), ["dlink-encrpted-img"], "{}", summary(&m));
    let plain = file(&m, "0x0-dlink-encrpted-img/decrypted");
    assert!(plain.ends_with(b"foobar test!"), "{plain:?}");
}

#[test]
fn dlink_mh01_decrypts_and_the_plain_container_recurses() {
    let m = unpack_mem("formats/dlink__fw_mh01_test.bin");
    assert_eq!(formats(&m), ["dlink-mh01", "dlink-mh01"], "{}", summary(&m));
    // Outer MH01 → decrypted (a plain MH01) → firmware.
    assert_eq!(
        file(
            &m,
            "0x0-dlink-mh01/decrypted.extracted/0x0-dlink-mh01/firmware"
        ),
        b"foobar 1234 test\n"
    );
    assert_eq!(file(&m, "0x0-dlink-mh01/signature").len(), 256);
}

#[test]
fn buffalo_decrypts_after_its_bgn_prefix() {
    let m = unpack_mem("formats/buffalo__buffalo.bin");
    assert_eq!(formats(&m), ["buffalo"], "{}", summary(&m));
    assert_eq!(m.regions[0].offset, 0x14);
    assert_eq!(file(&m, "0x14-buffalo/decrypted"), b"foobar 123 test\n");
}

#[test]
fn senao_decrypts() {
    let m = unpack_mem("formats/senao__testfw_1.enc");
    assert_eq!(formats(&m), ["senao"], "{}", summary(&m));
    assert!(file(&m, "0x0-senao/decrypted").starts_with(b"foobar"));
}

#[test]
fn alphanetworks_script_helper_and_firmware() {
    let m = unpack_mem("formats/alphanetworks__test_sample");
    assert_eq!(formats(&m), ["alphanetworks"], "{}", summary(&m));
    assert!(file(&m, "0x0-alphanetworks/script.sh").starts_with(b"#!/bin/sh\n"));
    assert!(file(&m, "0x0-alphanetworks/ddPack").starts_with(b"foobar"));
    assert_eq!(file(&m, "0x0-alphanetworks/firmware"), b"firmware_foobar\n");
    let m = unpack_mem("formats/alphanetworks__test_sample_inverted");
    assert!(file(&m, "0x0-alphanetworks/firmware").starts_with(b"REDSONIC"));
}

/// A container no published key opens: identified, reported "encrypted, vendor key needed" with
/// its offset, and nothing of its ciphertext in the tree.
#[test]
fn unpublished_keys_are_reported_and_nothing_is_emitted() {
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    // SHRS whose plaintext digest belongs to another key, behind 0x100 bytes of padding.
    let mut shrs = vec![0xffu8; 0x100];
    shrs.extend(std::fs::read(corpus("formats/dlink__test.dec")).unwrap());
    shrs[0x100 + 0x5c] ^= 1;
    // MH01 whose salt no released passphrase opens.
    let mut mh01 = std::fs::read(corpus("formats/dlink__fw_mh01_test.bin")).unwrap();
    mh01[0x49] ^= 0x55;
    // The MH01's signature is plain and comes out: the region is partial.
    for (name, data, format, offset, status) in [
        ("shrs.bin", shrs, "dlink-shrs", 0x100, RegionStatus::Failed),
        ("mh01.bin", mh01, "dlink-mh01", 0, RegionStatus::Partial),
    ] {
        let m = unpack(name, &data, None, &options).unwrap();
        let region = &m.regions[0];
        assert_eq!(
            (region.format.as_str(), region.offset),
            (format, offset),
            "{}",
            summary(&m)
        );
        assert_eq!(region.status, status, "{}", summary(&m));
        assert!(
            m.warnings
                .iter()
                .any(|w| w.offset == Some(offset)
                    && w.reason.contains("encrypted, vendor key needed")),
            "{}",
            summary(&m)
        );
        assert!(
            m.nodes.iter().all(|n| n.kind != NodeKind::Payload),
            "{}",
            summary(&m)
        );
    }
}

/// Each fixture's top-level scan is its container at the known offset and nothing else, and no
/// vendor handler claims another family's fixture.
#[test]
fn vendor_fixtures_scan_to_their_container_only() {
    for (file, offset, format) in [
        ("formats/dlink__test.dec", 0, "dlink-shrs"),
        (
            "formats/dlink__testfile.encrpted_img",
            0,
            "dlink-encrpted-img",
        ),
        ("formats/dlink__fw_mh01_test.bin", 0, "dlink-mh01"),
        ("formats/buffalo__buffalo.bin", 0x14, "buffalo"),
        (
            "formats/draytek_vigor_167__valid_draytekvigor167_image.bin",
            0,
            "draytek",
        ),
        ("formats/senao__testfw_1.enc", 0, "senao"),
        ("formats/dahua__dh.bin", 0, "dahua"),
        ("formats/alphanetworks__test_sample", 0, "alphanetworks"),
        (
            "formats/alphanetworks__test_sample_inverted",
            0,
            "alphanetworks",
        ),
        ("formats/broadcom__broadcom-sao.bin", 0, "broadcom-sao"),
    ] {
        let data = std::fs::read(corpus(file)).unwrap();
        let (hits, _) = scan(&data);
        let found: Vec<_> = hits.iter().map(|h| (h.offset, h.format)).collect();
        assert_eq!(found, [(offset, format)], "{file}");
    }
    let vendor = [
        "dlink-shrs",
        "dlink-encrpted-img",
        "dlink-mh01",
        "buffalo",
        "draytek",
        "senao",
        "dahua",
        "alphanetworks",
        "broadcom-sao",
    ];
    for file in [
        "formats/trx__trx.img",
        "formats/tpl__test.tpl",
        "formats/maxlinear__maxlinear-uimage-v2.bin",
        "formats/binwalk__zip.bin",
        "formats/squashFS__xz.sqfs",
        "formats/patool__test.cpio",
        "real/openwrt-uImage-lzma.bin",
        "real/tplink-mt7628-flashdump.bin",
    ] {
        let data = std::fs::read(corpus(file)).unwrap();
        let (hits, _) = scan(&data);
        assert!(
            hits.iter().all(|h| !vendor.contains(&h.format)),
            "{file}: {hits:?}"
        );
    }
}
