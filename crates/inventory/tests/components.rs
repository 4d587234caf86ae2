//! Component identification on the real corpus (facts from `shared/corpus/MANIFEST.md`, checked
//! by hand with `strings` and the opkg databases) and on a synthetic Debian/Buildroot root.

use std::sync::LazyLock;

use iotassay_inventory::testing::{unix_root, ManifestBuilder};
use iotassay_inventory::{inventory, Component, ComponentKind, Confidence, Inventory};
use iotassay_unpack::Kind;

fn scan(name: &str) -> Inventory {
    let path = iotassay_testkit::corpus(&format!("real/{name}"));
    let bytes = std::fs::read(&path).unwrap();
    let options = iotassay_unpack::Options {
        keep_data: true,
        ..Default::default()
    };
    let m = iotassay_unpack::unpack(name, &bytes, None, &options).unwrap();
    inventory(&m)
}

static TPLINK: LazyLock<Inventory> = LazyLock::new(|| scan("tplink-mt7628-rootfs.squashfs"));
static WRT12: LazyLock<Inventory> = LazyLock::new(|| scan("openwrt-12.09-tl-wr703n-factory.bin"));
static WRT15: LazyLock<Inventory> =
    LazyLock::new(|| scan("openwrt-15.05-tl-wr703n-sysupgrade.bin"));
static BROADCOM: LazyLock<Inventory> = LazyLock::new(|| scan("broadcom-squashfs-v2-be-lzma.bin"));

/// The components named `name` whose version starts with `version`.
fn find<'a>(inv: &'a Inventory, name: &str, version: &str) -> &'a Component {
    inv.components
        .iter()
        .find(|c| c.name == name && c.version.starts_with(version))
        .unwrap_or_else(|| {
            let all: Vec<String> = inv
                .components
                .iter()
                .map(|c| format!("{} {}", c.name, c.version))
                .collect();
            panic!("no {name} {version} in {all:?}")
        })
}

fn seen_in(c: &Component, path: &str) -> bool {
    c.evidence.iter().any(|e| e.path == path)
}

#[test]
fn tplink_statically_linked_openssl_and_friends() {
    let inv = &*TPLINK;
    let bb = find(inv, "busybox", "1.19.2");
    assert_eq!(bb.purl, "pkg:generic/busybox@1.19.2");
    assert_eq!(
        bb.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.19.2:*:*:*:*:*:*:*")
    );
    assert!(seen_in(bb, "bin/busybox"));

    let db = find(inv, "dropbear", "2012.55");
    assert_eq!(db.confidence, Confidence::High);
    assert!(db.evidence.iter().any(|e| e.path == "usr/bin/dropbearmulti"
        && e.text.as_deref() == Some("SSH-2.0-dropbear_2012.55")));
    assert_eq!(
        db.cpe.as_deref(),
        Some("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2012.55:*:*:*:*:*:*:*")
    );

    // MANIFEST says "OpenSSL 0.9.8z"; the strings say 0.9.8zh (3 Dec 2015).
    let ssl = find(inv, "openssl", "0.9.8z");
    assert_eq!(ssl.version, "0.9.8zh");
    assert_eq!(ssl.kind, ComponentKind::Library);
    let ev = ssl
        .evidence
        .iter()
        .find(|e| e.path == "lib/libgdpr.so")
        .expect("openssl inside lib/libgdpr.so");
    assert!(ev.offset.is_some());
    assert!(ev.text.as_deref().unwrap().contains("OpenSSL 0.9.8zh"));
    assert!(ev.provenance.contains("squashfs"), "{}", ev.provenance);

    let libc = find(inv, "uclibc", "0.9.33.2");
    assert_eq!(
        libc.cpe.as_deref(),
        Some("cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:*")
    );
    // No package database in this image: every component is generic.
    assert!(inv
        .components
        .iter()
        .all(|c| c.purl.starts_with("pkg:generic/")));
}

#[test]
fn openwrt_12_09_opkg_and_binaries() {
    let inv = &*WRT12;
    let opkg: Vec<&Component> = inv
        .components
        .iter()
        .filter(|c| c.purl.starts_with("pkg:opkg/"))
        .collect();
    // `usr/lib/opkg/status` lists 84 packages (grep -c ^Package).
    assert!(opkg.len() >= 84, "{}", opkg.len());
    let db = find(inv, "dropbear", "2011.54");
    assert_eq!(db.version, "2011.54-2");
    assert_eq!(db.purl, "pkg:opkg/dropbear@2011.54-2?arch=ar71xx");
    assert_eq!(db.kind, ComponentKind::Package);
    assert_eq!(
        db.cpe.as_deref(),
        Some("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*")
    );
    // The database entry and the banner in the binary are one component.
    assert!(db
        .evidence
        .iter()
        .any(|e| e.path == "usr/lib/opkg/status" && e.line.is_some()));
    assert!(db.evidence.iter().any(|e| e
        .text
        .as_deref()
        .is_some_and(|t| t.contains("dropbear_2011.54"))));
    let bb = find(inv, "busybox", "1.19.4");
    assert!(bb.purl.starts_with("pkg:opkg/busybox@1.19.4"));
    // OpenWrt's `kernel` package and the kernel's `Linux version 3.3.8` banner name the same
    // CPE: one component, with both pieces of evidence.
    let k = find(inv, "kernel", "3.3.8");
    assert_eq!(
        k.cpe.as_deref(),
        Some("cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*")
    );
    assert!(k.evidence.iter().any(|e| e
        .text
        .as_deref()
        .is_some_and(|t| t.starts_with("Linux version 3.3.8"))));
    assert!(!inv.components.iter().any(|c| c.name == "linux"));
    find(inv, "openwrt", "12.09");
    // OpenWrt's `libc` package is the image's uClibc.
    let libc = inv
        .components
        .iter()
        .find(|c| c.name == "libc" && c.purl.starts_with("pkg:opkg/"))
        .unwrap();
    assert_eq!(
        libc.cpe.as_deref(),
        Some("cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:*")
    );
    // Deduplicated by (name, version) and by CPE: the uClibc banner joined the `libc` package.
    let mut cpes: Vec<&str> = inv
        .components
        .iter()
        .filter_map(|c| c.cpe.as_deref())
        .collect();
    let n = cpes.len();
    cpes.sort_unstable();
    cpes.dedup();
    assert_eq!(cpes.len(), n);
    let mut keys: Vec<(&str, &str)> = inv
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_str()))
        .collect();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn openwrt_15_05_opkg_versions() {
    let inv = &*WRT15;
    let bb = find(inv, "busybox", "1.23.2");
    assert!(
        bb.purl.starts_with("pkg:opkg/busybox@1.23.2"),
        "{}",
        bb.purl
    );
    let db = inv
        .components
        .iter()
        .find(|c| c.name == "dropbear" && c.purl.starts_with("pkg:opkg/"))
        .expect("dropbear package");
    assert!(!db.version.is_empty());
    let uhttpd = inv
        .components
        .iter()
        .find(|c| c.name == "uhttpd")
        .expect("uhttpd package");
    assert!(uhttpd.purl.starts_with("pkg:opkg/uhttpd@2015-11-08-"));
    assert!(
        inv.components
            .iter()
            .filter(|c| c.purl.starts_with("pkg:opkg/") && !c.version.is_empty())
            .count()
            >= 80
    );
}

#[test]
fn broadcom_2009_router() {
    let inv = &*BROADCOM;
    find(inv, "busybox", "1.00");
    let ssl = find(inv, "openssl", "0.9.7f");
    assert!(seen_in(ssl, "lib/libcrypto.so.0.9.7"));
    let db = find(inv, "dropbear", "0.46");
    // Statically linked into the vendor's configuration manager.
    assert!(seen_in(db, "bin/cfm"));
}

/// A Debian-style root with dpkg, a Buildroot os-release and manifest, a U-Boot banner region.
#[test]
fn dpkg_buildroot_uboot() {
    let mut b = ManifestBuilder::new("fw.bin");
    let ub = b.region("uboot-banner", Kind::Info, 0, None);
    b.describe(ub, "U-Boot 2019.01 (Mar 01 2020 - 10:00:00 +0000)");
    let r = unix_root(&mut b, "squashfs", 0x10000);
    b.file(
        r,
        "var/lib/dpkg/status",
        0o644,
        b"Package: libc6\nStatus: install ok installed\nArchitecture: armhf\nVersion: 2.28-10+deb10u1\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: dnsmasq-base\nStatus: install ok installed\nVersion: 2.80-1\n",
    )
    .file(
        r,
        "etc/os-release",
        0o644,
        b"NAME=Buildroot\nVERSION=2020.02\nID=buildroot\nVERSION_ID=2020.02\n",
    )
    .file(
        r,
        "usr/lib/buildroot/manifest.csv",
        0o644,
        b"PACKAGE,VERSION,LICENSE\n\"zlib\",\"1.2.11\",\"Zlib\"\n",
    );
    let inv = inventory(&b.build());
    let libc6 = find(&inv, "libc6", "2.28");
    assert_eq!(
        libc6.purl,
        "pkg:deb/debian/libc6@2.28-10%2Bdeb10u1?arch=armhf"
    );
    assert_eq!(
        libc6.cpe.as_deref(),
        Some("cpe:2.3:a:gnu:glibc:2.28:*:*:*:*:*:*:*")
    );
    assert_eq!(libc6.evidence[0].line, Some(1));
    assert!(inv.components.iter().all(|c| c.name != "gone"));
    let uboot = find(&inv, "u-boot", "2019.01");
    assert_eq!(uboot.kind, ComponentKind::Firmware);
    assert_eq!(
        uboot.cpe.as_deref(),
        Some("cpe:2.3:a:denx:u-boot:2019.01:*:*:*:*:*:*:*")
    );
    find(&inv, "buildroot", "2020.02");
    let zlib = find(&inv, "zlib", "1.2.11");
    assert_eq!(zlib.purl, "pkg:generic/buildroot/zlib@1.2.11");
    assert_eq!(zlib.evidence[0].line, Some(2));
}

/// The full TP-Link flash dump: U-Boot from the unpacker's banner region, the kernel from the
/// decompressed LZMA payload.
#[test]
fn tplink_flashdump_uboot_and_kernel() {
    let inv = scan("tplink-mt7628-flashdump.bin");
    let uboot = find(&inv, "u-boot", "1.1.3");
    assert_eq!(uboot.evidence[0].offset, Some(0xd310));
    let kernel = find(&inv, "linux", "2.6.36");
    assert!(kernel.evidence[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("Linux version 2.6.36"));
    find(&inv, "openssl", "0.9.8zh");
}
