//! Matching on real NVD / CVE 5 records (tests/data/README.md) for the component versions found in
//! the real firmware corpus (shared/corpus/MANIFEST.md): BusyBox 1.19.2 and 1.23.2, dropbear 2011.54
//! and 2012.55, OpenSSL 0.9.8z. Each range form is checked in both directions.

use std::collections::BTreeSet;
use std::path::PathBuf;

use iotassay_vulndb::{ComponentRef, Db, Severity};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(dir.path().join("vuln.db")).unwrap();
    let stats = db
        .import(&[
            data("nvd-feed-busybox-dropbear-openssl.json"),
            data("nvd-CVE-2023-1389.json"),
        ])
        .unwrap();
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert_eq!(stats.nvd, 6);
    (dir, db)
}

fn cves(db: &Db, name: &str, version: &str) -> BTreeSet<String> {
    db.matches(&[ComponentRef::new(name, version)])
        .unwrap()
        .into_iter()
        .map(|m| m.cve)
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_versions_are_the_corpus_versions() {
    let manifest =
        std::fs::read_to_string(iotassay_testkit::shared_dir().join("corpus/MANIFEST.md")).unwrap();
    for fact in [
        "BusyBox 1.19.2",
        "dropbear 2012.55",
        "OpenSSL 0.9.8z",
        "BusyBox 1.23.2",
        "dropbear 2011.54",
    ] {
        assert!(manifest.contains(fact), "MANIFEST.md no longer says {fact}");
    }
}

#[test]
fn busybox_end_including() {
    let (_d, db) = db();
    // CVE-2016-2148 ≤ 1.24.2, CVE-2014-9645 ≤ 1.22.1.
    assert_eq!(
        cves(&db, "busybox", "1.19.2"),
        set(&["CVE-2014-9645", "CVE-2016-2148"])
    );
    assert_eq!(cves(&db, "busybox", "1.23.2"), set(&["CVE-2016-2148"]));
    assert_eq!(
        cves(&db, "busybox", "1.22.1"),
        set(&["CVE-2014-9645", "CVE-2016-2148"])
    );
    assert_eq!(cves(&db, "busybox", "1.24.2"), set(&["CVE-2016-2148"]));
    assert_eq!(cves(&db, "busybox", "1.25.0"), set(&[]));
    assert_eq!(cves(&db, "BusyBox", "1.36.1"), set(&[]));
}

#[test]
fn dropbear_start_including_and_end_excluding() {
    let (_d, db) = db();
    // CVE-2012-0920: 0.52 ≤ v ≤ 2012.54; CVE-2013-4421: v < 2013.59.
    assert_eq!(
        cves(&db, "dropbear", "2011.54"),
        set(&["CVE-2012-0920", "CVE-2013-4421"])
    );
    assert_eq!(cves(&db, "dropbear", "2012.55"), set(&["CVE-2013-4421"]));
    assert_eq!(
        cves(&db, "dropbear", "0.52"),
        set(&["CVE-2012-0920", "CVE-2013-4421"])
    );
    assert_eq!(cves(&db, "dropbear", "0.51"), set(&["CVE-2013-4421"]));
    assert_eq!(cves(&db, "dropbear", "2013.58"), set(&["CVE-2013-4421"]));
    assert_eq!(cves(&db, "dropbear", "2013.59"), set(&[]));
}

#[test]
fn openssl_letter_versions_and_exact_versions() {
    let (_d, db) = db();
    assert_eq!(cves(&db, "openssl", "0.9.8z"), set(&["CVE-2015-1789"]));
    assert_eq!(cves(&db, "openssl", "0.9.8zf"), set(&["CVE-2015-1789"]));
    assert_eq!(cves(&db, "openssl", "0.9.8zg"), set(&[]));
    // Exact `cpe:…:1.0.1a:*` entries.
    assert_eq!(cves(&db, "openssl", "1.0.1a"), set(&["CVE-2015-1789"]));
    assert_eq!(cves(&db, "openssl", "1.0.1n"), set(&[]));
    // `1.0.1b` is in the real record but was left out of the excerpt: proves exact means exact.
    assert_eq!(cves(&db, "openssl", "1.0.1b"), set(&[]));
    // `1.0.0:beta1` (update field): a firmware "1.0.0" is the release, matched by the `1.0.0:*` entry.
    let m = db
        .matches(&[ComponentRef::new("openssl", "1.0.0")])
        .unwrap();
    assert_eq!(m.len(), 1);
    assert!(
        m[0].why.starts_with("cpe:2.3:a:openssl:openssl:1.0.0:*"),
        "{}",
        m[0].why
    );
    let beta = ComponentRef {
        cpe: Some("cpe:2.3:a:openssl:openssl:1.0.2:beta1:*:*:*:*:*:*".into()),
        ..ComponentRef::new("openssl", "1.0.2")
    };
    assert_eq!(db.matches(&[beta]).unwrap().len(), 1);
    let beta3 = ComponentRef {
        cpe: Some("cpe:2.3:a:openssl:openssl:1.0.2:beta3:*:*:*:*:*:*".into()),
        ..ComponentRef::new("openssl", "1.0.2")
    };
    // `1.0.2:*` accepts any update, so beta3 matches through it, not through `1.0.2:beta1`.
    let m = db.matches(&[beta3]).unwrap();
    assert_eq!(m.len(), 1);
    assert!(
        m[0].why.starts_with("cpe:2.3:a:openssl:openssl:1.0.2:*"),
        "{}",
        m[0].why
    );
}

#[test]
fn a_whole_image_with_scores_reasons_and_vendor_names() {
    let (_d, db) = db();
    // The TP-Link MT7628 rootfs of the corpus.
    let image = [
        ComponentRef::new("busybox", "1.19.2"),
        ComponentRef::new("dropbear", "2012.55"),
        ComponentRef::new("openssl", "0.9.8z"),
        ComponentRef::new("uclibc", "0.9.33.2"),
    ];
    let m = db.matches(&image).unwrap();
    let got: Vec<(usize, &str)> = m.iter().map(|m| (m.component, m.cve.as_str())).collect();
    assert_eq!(
        got,
        [
            (0, "CVE-2014-9645"),
            (0, "CVE-2016-2148"),
            (1, "CVE-2013-4421"),
            (2, "CVE-2015-1789")
        ]
    );
    let bb = &m[1];
    assert_eq!(bb.component_label, "busybox 1.19.2");
    let cvss = bb.cvss.as_ref().unwrap();
    assert_eq!((cvss.version.as_str(), cvss.score), ("3.1", 9.8));
    assert_eq!(cvss.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(bb.severity, Severity::Critical);
    assert_eq!(bb.published.as_deref(), Some("2017-02-09T15:59:00.927"));
    assert!(!bb.kev);
    assert!(
        bb.why.contains("busybox:busybox") && bb.why.contains("up to and including 1.24.2"),
        "{}",
        bb.why
    );
    // v3.0 when there is no v3.1; v2 alone for the dropbear record.
    assert_eq!(m[0].cvss.as_ref().unwrap().version, "3.0");
    assert_eq!(m[2].cvss.as_ref().unwrap().version, "2.0");
    assert_eq!(m[2].severity, Severity::Medium);
    assert!(m[2].why.contains("before 2013.59"), "{}", m[2].why);
    // The Debian platform configurations of these records do not drag Debian in: no OS component.
    assert!(m.iter().all(|m| m.depends_on.is_empty()));
}

#[test]
fn vendor_mismatch_needs_the_override_table() {
    let (_d, db) = db();
    // Without the table, "dropbear" would be looked up as product `dropbear`: NVD calls it dropbear_ssh.
    let wrong = ComponentRef {
        vendor: Some("matt_johnston".into()),
        product: Some("dropbear".into()),
        ..ComponentRef::new("dropbear", "2011.54")
    };
    assert!(db.matches(&[wrong]).unwrap().is_empty());
    let by_cpe = ComponentRef {
        cpe: Some("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*".into()),
        ..ComponentRef::default()
    };
    assert_eq!(db.matches(&[by_cpe]).unwrap().len(), 2);
}

#[test]
fn and_configuration_needs_its_platform() {
    let (_d, db) = db();
    let fw = |v: &str| ComponentRef {
        name: "archer_ax21_firmware".into(),
        cpe: Some(format!(
            "cpe:2.3:o:tp-link:archer_ax21_firmware:{v}:*:*:*:*:*:*:*"
        )),
        ..ComponentRef::default()
    };
    let hw = ComponentRef {
        name: "Archer AX21".into(),
        cpe: Some("cpe:2.3:h:tp-link:archer_ax21:-:*:*:*:*:*:*:*".into()),
        ..ComponentRef::default()
    };
    // Firmware alone: the hardware part is not in the image, so no match …
    assert!(db.matches(&[fw("1.1.2")]).unwrap().is_empty());
    // … unless conditional matches are asked for, and then it says what it depends on.
    let r = db.match_report(&[fw("1.1.2")], true).unwrap();
    assert_eq!(r.matches.len(), 1);
    assert_eq!(
        r.matches[0].depends_on,
        ["cpe:2.3:h:tp-link:archer_ax21:-:*:*:*:*:*:*:*"]
    );
    // Firmware on that hardware: a match, on the firmware (the vulnerable part), flagged KEV.
    let m = db.matches(&[hw.clone(), fw("1.1.2")]).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].cve.as_str(), m[0].component, m[0].kev),
        ("CVE-2023-1389", 1, true)
    );
    assert_eq!(m[0].severity, Severity::High);
    // Fixed firmware, or another model's hardware: nothing.
    assert!(db.matches(&[hw.clone(), fw("1.1.4")]).unwrap().is_empty());
    let other_hw = ComponentRef {
        cpe: Some("cpe:2.3:h:tp-link:archer_ax55:-:*:*:*:*:*:*:*".into()),
        ..hw.clone()
    };
    assert!(db.matches(&[other_hw, fw("1.1.2")]).unwrap().is_empty());
    // `-` means "no version": a hardware CPE with a version does not satisfy it.
    let versioned_hw = ComponentRef {
        cpe: Some("cpe:2.3:h:tp-link:archer_ax21:2.0:*:*:*:*:*:*:*".into()),
        ..hw
    };
    assert!(db.matches(&[versioned_hw, fw("1.1.2")]).unwrap().is_empty());
}

#[test]
fn cve5_records_defer_to_the_nvd_and_status_counts() {
    let (_d, mut db) = db();
    let s = db.import(&[data("cve5-CVE-2016-2148.json")]).unwrap();
    assert_eq!((s.cve5, s.cve5_superseded), (0, 1));
    let st = db.status().unwrap();
    assert_eq!(
        (st.cves, st.cves_from_nvd, st.cves_from_cve5, st.kev),
        (6, 6, 0, 1)
    );
    assert!(st.size_bytes > 0 && st.last_import_unix.is_some());
    assert_eq!(
        st.newest_modified.as_deref(),
        Some("2026-06-17T00:22:59.873")
    );

    // Alone, the CVE 5 record is stored (description, dates), but its `n/a` product matches nothing.
    let dir = tempfile::tempdir().unwrap();
    let mut db5 = Db::open(dir.path().join("v.db")).unwrap();
    let s = db5.import(&[data("cve5-CVE-2016-2148.json")]).unwrap();
    assert_eq!(s.cve5, 1);
    assert_eq!(db5.status().unwrap().cves_from_cve5, 1);
    assert!(db5
        .matches(&[ComponentRef::new("busybox", "1.19.2")])
        .unwrap()
        .is_empty());
}

#[test]
fn folders_are_walked_and_reimport_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(dir.path().join("vuln.db")).unwrap();
    let s1 = db.import(&[data("")]).unwrap();
    // Sorted order: the CVE 5 record comes first and is then replaced by the NVD's.
    assert_eq!(
        (s1.files, s1.nvd, s1.cve5, s1.cve5_superseded, s1.osv),
        (4, 6, 1, 0, 1)
    );
    let s2 = db.import(&[data("")]).unwrap();
    assert_eq!((s2.nvd, s2.cve5, s2.cve5_superseded), (6, 0, 1));
    let st = db.status().unwrap();
    assert_eq!((st.cves, st.cves_from_cve5), (6, 0));
    assert_eq!(cves(&db, "busybox", "1.19.2").len(), 2);
}

#[test]
fn osv_maven_ecosystem_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(dir.path().join("vuln.db")).unwrap();
    let s = db.import(&[data("osv-GHSA-mr95-9rr4-668f.json")]).unwrap();
    assert_eq!(s.osv, 1);
    let akka = |artifact: &str, v: &str| ComponentRef {
        name: artifact.into(),
        purl: Some(format!("pkg:maven/com.typesafe.akka/{artifact}@{v}")),
        ..ComponentRef::default()
    };
    let m = db.matches(&[akka("akka-actor_2.12", "2.5.15")]).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].cve.as_str(), m[0].source.as_str()),
        ("CVE-2018-16115", "osv")
    );
    assert!(m[0].why.contains("GHSA-mr95-9rr4-668f"), "{}", m[0].why);
    assert_eq!(
        db.matches(&[akka("akka-actor_2.11", "2.5.0")])
            .unwrap()
            .len(),
        1
    );
    for (artifact, v) in [
        ("akka-actor_2.12", "2.5.16"),
        ("akka-actor_2.12", "2.4.20"),
        ("akka-actor_2.13", "2.5.15"),
    ] {
        assert!(
            db.matches(&[akka(artifact, v)]).unwrap().is_empty(),
            "{artifact} {v}"
        );
    }
}
