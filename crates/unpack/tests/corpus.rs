//! End-to-end unpacking of the real images in `../shared/corpus/`, checked against the facts in
//! `corpus/MANIFEST.md`.

use std::path::Path;

mod common;

use common::{summary, unpack_mem};
use iotassay_testkit::corpus;
use iotassay_unpack::{unpack_file, Manifest, Node, NodeKind, Options};

/// The nodes whose path inside their structure is `inner`.
fn nodes<'m>(m: &'m Manifest, inner: &str) -> Vec<&'m Node> {
    m.nodes.iter().filter(|n| n.inner_path == inner).collect()
}

fn content<'m>(m: &'m Manifest, inner: &str) -> &'m [u8] {
    let found = nodes(m, inner);
    let node = found
        .iter()
        .find(|n| n.data.is_some())
        .unwrap_or_else(|| panic!("no file {inner} in {}: {}", m.input.name, summary(m)));
    node.data.as_deref().unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn openwrt_15_05_sysupgrade_yields_shadow_with_empty_root_password() {
    let m = unpack_mem("real/openwrt-15.05-tl-wr703n-sysupgrade.bin");
    let shadow = content(&m, "etc/shadow");
    assert!(
        shadow.starts_with(b"root::0:"),
        "{}",
        String::from_utf8_lossy(shadow)
    );
    // The squashfs was found at its known offset inside the TP-Link container.
    assert!(
        m.regions.iter().any(|r| r.format == "squashfs"),
        "{}",
        summary(&m)
    );
    assert!(m.aborted.is_none());
}

#[test]
fn tplink_flashdump_yields_kernel_and_rootfs() {
    let m = unpack_mem("real/tplink-mt7628-flashdump.bin");
    let passwd_bak = content(&m, "etc/passwd.bak");
    assert!(contains(passwd_bak, b"admin:$1$$iC.dUsGpxNNJGeOm1dFio/"));
    let passwd: Vec<_> = nodes(&m, "etc/passwd");
    assert!(
        passwd
            .iter()
            .any(|n| n.kind == NodeKind::Symlink && n.link_target.as_deref() == Some("/var/passwd")),
        "{passwd:#?}"
    );
    let squashfs = m
        .regions
        .iter()
        .find(|r| r.format == "squashfs")
        .expect("rootfs found");
    // The rootfs partition of the TP-Link header at 0x10000 (0xf0000 further: 0x100000 in the dump).
    let chain: Vec<(u64, &str)> = m
        .chain(squashfs.id)
        .iter()
        .map(|r| (r.offset, r.format.as_str()))
        .collect();
    assert_eq!(chain, [(0x10000, "tplink"), (0, "squashfs")]);
    let kernel = m
        .nodes
        .iter()
        .filter_map(|n| n.data.as_deref())
        .any(|d| contains(d, b"Linux version 2.6.36"));
    assert!(kernel, "the LZMA kernel is decompressed: {}", summary(&m));
}

#[test]
fn broadcom_squashfs_v2_yields_busybox() {
    let m = unpack_mem("real/broadcom-squashfs-v2-be-lzma.bin");
    let busybox = m
        .nodes
        .iter()
        .find(|n| n.inner_path.ends_with("bin/busybox") && n.data.is_some())
        .unwrap_or_else(|| panic!("no busybox: {}", summary(&m)));
    let data = busybox.data.as_deref().unwrap();
    assert_eq!(&data[..4], b"\x7fELF");
    assert!(contains(data, b"BusyBox v1.00"));
    // etc/group is a link into /var (written at run time); the default group line lives in the
    // configuration manager binary that writes it.
    let group = nodes(&m, "etc/group");
    assert!(
        group.iter().any(|n| n.kind == NodeKind::Symlink),
        "{group:#?}"
    );
    assert!(contains(
        content(&m, "bin/cfm"),
        b"root::0:root,admin,support,user"
    ));
}

#[test]
fn every_squashfs_fixture_yields_its_three_files() {
    let dir = iotassay_testkit::shared_dir().join("corpus/formats");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("squashFS__") {
            continue;
        }
        let m = unpack_mem(&format!("formats/{name}"));
        let one = content(&m, "testfile1");
        let two = content(&m, "testfile2");
        let three = content(&m, "generic folder/test file 3_.txt");
        assert!(
            !one.is_empty() && !two.is_empty() && !three.is_empty(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} squashfs fixtures found");
}

#[test]
fn dirtraversal_tar_leaves_nothing_outside_the_output() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let m = unpack_file(
        &corpus("formats/binwalk__dirtraversal.tar"),
        Some(&out),
        &Options::default(),
    )
    .unwrap();
    assert!(
        m.regions.iter().any(|r| r.format == "tar"),
        "{}",
        summary(&m)
    );
    // Nothing was written beside the output folder.
    let beside: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
    // Every symlink on disk resolves inside the output folder.
    let root = out.canonicalize().unwrap();
    let mut links = 0;
    for node in m.nodes.iter().filter(|n| n.kind == NodeKind::Symlink) {
        links += 1;
        let on_disk = out.join(&node.path);
        let target = std::fs::read_link(&on_disk).unwrap();
        assert!(
            target.is_relative(),
            "{} -> {}",
            node.path,
            target.display()
        );
        let resolved = lexical_resolve(on_disk.parent().unwrap(), &target);
        assert!(
            resolved.starts_with(&root),
            "{} escapes: {}",
            node.path,
            resolved.display()
        );
    }
    assert!(
        links >= 2,
        "the archive's escaping links are recorded: {:#?}",
        m.nodes
    );
}

/// Resolve `target` relative to `dir` without touching the file system.
fn lexical_resolve(dir: &Path, target: &Path) -> std::path::PathBuf {
    let mut p = dir.canonicalize().unwrap();
    for c in target.components() {
        match c {
            std::path::Component::ParentDir => {
                p.pop();
            }
            std::path::Component::Normal(n) => p.push(n),
            _ => {}
        }
    }
    p
}

#[test]
fn openwrt_12_09_factory_kernel_has_no_false_container_and_keeps_its_initramfs() {
    let m = unpack_mem("real/openwrt-12.09-tl-wr703n-factory.bin");
    // The 3.3.8 kernel carries TP-Link's header parser, whose constants once read as a header.
    let tplink: Vec<_> = m.regions.iter().filter(|r| r.format == "tplink").collect();
    assert_eq!(tplink.len(), 1, "{}", summary(&m));
    assert!(m
        .regions
        .iter()
        .any(|r| r.format == "linux-banner" && r.description.starts_with("Linux version 3.3.8")));
    assert!(
        m.regions.iter().any(|r| r.format == "cpio"),
        "{}",
        summary(&m)
    );
    let shadow = content(&m, "etc/shadow");
    assert!(
        shadow.starts_with(b"root:"),
        "{}",
        String::from_utf8_lossy(shadow)
    );
    assert!(!nodes(&m, "etc/init.d/telnet").is_empty());
}
