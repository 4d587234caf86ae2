//! `scan` end to end on the real corpus: the facts of `corpus/MANIFEST.md` come out as findings
//! with the right check, provision, severity and evidence.

use iotassay_checks::{assess, Assessment, CheckOptions, Finding, GuidelineStatus, Severity};
use iotassay_testkit::corpus_bytes;
use iotassay_unpack::Options;

fn scan(relative: &str) -> Assessment {
    let name = relative.rsplit('/').next().unwrap();
    assess(
        name,
        &corpus_bytes(relative),
        &Options::default(),
        &CheckOptions::default(),
    )
    .unwrap()
}

fn findings<'a>(a: &'a Assessment, check: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.check == check).collect()
}

fn cites(f: &Finding, path: &str, text: &str) -> bool {
    f.evidence
        .iter()
        .any(|e| e.path == path && e.text.as_deref().is_some_and(|t| t.contains(text)))
}

fn guideline(a: &Assessment, n: u8) -> GuidelineStatus {
    a.guidelines.iter().find(|g| g.number == n).unwrap().status
}

#[test]
fn openwrt_15_05_empty_root_password_fails_5_1_1() {
    let a = scan("real/openwrt-15.05-tl-wr703n-sysupgrade.bin");
    let empty = findings(&a, "passwords.empty");
    assert!(!empty.is_empty(), "{:#?}", a.findings);
    assert!(empty[0].provisions.iter().any(|p| p.as_str() == "5.1-1"));
    assert!(
        cites(empty[0], "etc/shadow", "root::0:"),
        "{:#?}",
        empty[0].evidence
    );
    assert_eq!(guideline(&a, 1), GuidelineStatus::Fail);
}

#[test]
fn openwrt_12_09_starts_telnetd_while_root_has_no_password() {
    let a = scan("real/openwrt-12.09-tl-wr703n-factory.bin");
    let telnet = findings(&a, "services.remote_login");
    let f = telnet
        .iter()
        .find(|f| f.title.contains("telnetd") && f.title.contains("no password"))
        .unwrap_or_else(|| panic!("{:#?}", a.findings));
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        cites(f, "etc/init.d/telnet", "telnetd"),
        "{:#?}",
        f.evidence
    );
    assert!(f.evidence.iter().any(|e| e.path == "etc/shadow"));
}

#[test]
fn tplink_flashdump_default_password_debug_daemon_and_executable_stacks() {
    let a = scan("real/tplink-mt7628-flashdump.bin");
    let cracked = findings(&a, "passwords.default");
    assert!(
        cracked
            .iter()
            .any(|f| f.title.contains("admin") && f.title.contains("'1234'")),
        "{:#?}",
        a.findings
    );
    assert!(cracked
        .iter()
        .any(|f| cites(f, "etc/passwd.bak", "$1$$iC.dUsGpxNNJGeOm1dFio/")));
    let weak = findings(&a, "passwords.weak-hash");
    assert!(
        !weak.is_empty(),
        "md5crypt with an empty salt is a weak scheme"
    );
    let tddp = findings(&a, "services.debug_daemon");
    assert!(
        tddp.iter().any(|f| f.title.contains("tddp")),
        "{:#?}",
        a.findings
    );
    let stacks = findings(&a, "hardening.exec_stack");
    let named: Vec<&str> = stacks
        .iter()
        .flat_map(|f| f.evidence.iter().map(|e| e.path.as_str()))
        .collect();
    assert!(
        named.contains(&"bin/busybox") && named.contains(&"usr/bin/tddp"),
        "{named:?}"
    );
}

#[test]
fn broadcom_image_embeds_a_private_key() {
    let a = scan("real/broadcom-squashfs-v2-be-lzma.bin");
    let keys = findings(&a, "secrets.private-key");
    assert!(
        keys.iter()
            .any(|f| f.title.contains("RSA")
                && f.evidence.iter().any(|e| e.path == "etc/rsa_host_key")),
        "{:#?}",
        a.findings
    );
    assert_eq!(guideline(&a, 4), GuidelineStatus::Fail);
}

#[test]
fn esp32_etc_partition_has_an_empty_root_password_with_dropbear_from_inetd() {
    let a = scan("real/esp32s3-rootfs.jffs2");
    assert_eq!(a.inventory.roots.len(), 1);
    assert_eq!(a.inventory.roots[0].mount, "etc");
    let empty = findings(&a, "passwords.empty");
    assert!(
        empty.iter().any(|f| cites(f, "etc/shadow", "root::")),
        "{:#?}",
        a.findings
    );
    let dropbear = findings(&a, "services.empty_password_login");
    assert!(
        dropbear.iter().any(|f| f.title.contains("dropbear")
            && f.evidence.iter().any(|e| e.path == "etc/inetd.conf")),
        "{:#?}",
        a.findings
    );
}

#[test]
fn a_clean_tree_gives_no_failure() {
    // The demo's building blocks without its deliberate flaws: a root with locked accounts only.
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};
    let mut b = ManifestBuilder::new("clean.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n")
        .file(r, "etc/shadow", 0o600, b"root:!:19000:0:99999:7:::\n")
        .file(
            r,
            "etc/inittab",
            0o644,
            b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n",
        );
    let m = b.build();
    let a = iotassay_checks::assess_manifest(&m, &CheckOptions::default(), 0);
    let failures: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.severity.is_failure())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(guideline(&a, 1), GuidelineStatus::Pass);
}

#[test]
fn tplink_components_long_superseded_at_build_date() {
    let a = scan("real/tplink-mt7628-flashdump.bin");
    assert_eq!(a.inventory.os.build_date.as_deref(), Some("2023-11-20"));
    let old = findings(&a, "updates.outdated_components");
    assert_eq!(old.len(), 1, "{:#?}", a.findings);
    let f = old[0];
    assert_eq!(f.severity, Severity::Medium);
    for (name, since) in [
        ("linux 2.6.36", "2011-01-04"),
        ("busybox 1.19.2", "2012-04-22"),
        ("dropbear 2012.55", "2012-12-31"),
        ("openssl 0.9.8zh", "2015-12-31"),
    ] {
        assert!(f.title.contains(name), "{name}: {}", f.title);
        assert!(
            f.evidence.iter().any(|e| e
                .text
                .as_deref()
                .is_some_and(|t| t.starts_with(name) && t.contains(since))),
            "{name}: {:#?}",
            f.evidence
        );
    }
    // The build date is part of the evidence.
    assert!(f.evidence.iter().any(|e| e
        .text
        .as_deref()
        .is_some_and(|t| t.starts_with("image built 2023-11-20"))));
}

#[test]
fn component_age_threshold_is_respected() {
    // OpenWrt 15.05 (built 2018-03-26) carries BusyBox 1.23.2, superseded on 2015-10-11: 2.4
    // years, so reported at a 2-year threshold and not at the default 5.
    let data = corpus_bytes("real/openwrt-15.05-tl-wr703n-sysupgrade.bin");
    let at = |years| {
        let options = CheckOptions {
            max_component_age_years: years,
            ..CheckOptions::default()
        };
        let a = assess("15.05", &data, &Options::default(), &options).unwrap();
        a.findings
            .iter()
            .filter(|f| f.check == "updates.outdated_components")
            .map(|f| f.title.clone())
            .collect::<Vec<_>>()
    };
    assert!(at(5).is_empty(), "{:?}", at(5));
    let two = at(2);
    assert_eq!(two.len(), 1);
    assert!(two[0].contains("busybox 1.23.2"), "{}", two[0]);
}
