//! Statements the real fixtures do not contain (labelled synthetic, written to the published
//! schemas): `versionStartExcluding`, wildcards, node `AND`/`negate`, OSV ranges and the KEV
//! catalogue format; and hostile input.

use std::path::Path;

use iotassay_vulndb::{ComponentRef, Db};
use serde_json::json;

fn write(dir: &Path, name: &str, v: &serde_json::Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p
}

fn nvd(id: &str, configurations: serde_json::Value) -> serde_json::Value {
    json!({"cve": {"id": id, "published": "2020-01-01T00:00:00.000", "lastModified": "2020-01-02T00:00:00.000",
        "vulnStatus": "Analyzed", "descriptions": [{"lang": "es", "value": "x"}, {"lang": "en", "value": "synthetic"}],
        "metrics": {"cvssMetricV40": [{"source": "a", "type": "Secondary", "cvssData": {"version": "4.0",
            "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "baseScore": 9.3}}]},
        "configurations": configurations, "references": [{"url": "https://example.invalid/"}]}})
}

fn node(op: &str, negate: bool, matches: serde_json::Value) -> serde_json::Value {
    json!({"operator": op, "negate": negate, "cpeMatch": matches})
}

fn setup() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let feed = json!({"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [
        nvd("CVE-0000-0001", json!([{"nodes": [node("OR", false, json!([
            {"vulnerable": true, "criteria": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*",
             "versionStartExcluding": "1.19.2", "versionEndExcluding": "1.23.2"}]))]}])),
        nvd("CVE-0000-0002", json!([{"nodes": [node("OR", false, json!([
            {"vulnerable": true, "criteria": "cpe:2.3:a:thekelleys:dnsmasq:2.7?:*:*:*:*:*:*:*"}]))]}])),
        // Both entries of an AND node must be present.
        nvd("CVE-0000-0003", json!([{"nodes": [node("AND", false, json!([
            {"vulnerable": true, "criteria": "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", "versionEndExcluding": "1.0.0"},
            {"vulnerable": false, "criteria": "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", "versionStartIncluding": "2.6.36", "versionEndIncluding": "2.6.36.4"}]))]}])),
        // Vulnerable unless the kernel is 5.x (negated node).
        nvd("CVE-0000-0004", json!([{"operator": "AND", "nodes": [
            node("OR", false, json!([{"vulnerable": true, "criteria": "cpe:2.3:a:denx:u-boot:*:*:*:*:*:*:*:*"}])),
            node("OR", true, json!([{"vulnerable": false, "criteria": "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", "versionStartIncluding": "5.0"}]))]}])),
        // Rejected records are skipped.
        {"cve": {"id": "CVE-0000-0005", "vulnStatus": "Rejected", "descriptions": [], "configurations": []}},
        // `-` as version.
        nvd("CVE-0000-0006", json!([{"nodes": [node("OR", false, json!([
            {"vulnerable": true, "criteria": "cpe:2.3:a:acme:widget:-:*:*:*:*:*:*:*"}]))]}])),
    ]});
    let kev = json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
        "dateReleased": "2026-11-20T00:00:00.000Z", "count": 1, "vulnerabilities": [
        {"cveID": "CVE-0000-0002", "vendorProject": "Thekelleys", "product": "Dnsmasq",
         "vulnerabilityName": "synthetic", "dateAdded": "2026-01-01", "shortDescription": "x",
         "requiredAction": "x", "dueDate": "2026-01-22", "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}]});
    let osv = json!({"schema_version": "1.6.0", "id": "GHSA-xxxx-0000-0001", "modified": "2024-01-01T00:00:00Z",
        "published": "2023-06-01T00:00:00Z", "aliases": ["CVE-0000-0002"], "summary": "synthetic",
        "affected": [
          {"package": {"ecosystem": "crates.io", "name": "hyper", "purl": "pkg:cargo/hyper"},
           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.14.10"}, {"introduced": "1.0.0-rc.1"}, {"fixed": "1.0.1"}]},
                      {"type": "GIT", "repo": "https://example.invalid/hyper", "events": [{"introduced": "abc"}]}]},
          {"package": {"ecosystem": "PyPI", "name": "requests"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"last_affected": "2.31.0"}]}],
           "versions": ["1.2.3"]}]});
    let osv_withdrawn = json!({"id": "GHSA-xxxx-0000-0002", "modified": "2024-01-01T00:00:00Z",
        "withdrawn": "2024-02-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"}, "versions": ["1.0.0"]}]});
    let files = [
        write(dir.path(), "feed.json", &feed),
        write(dir.path(), "kev.json", &kev),
        write(dir.path(), "osv.json", &osv),
        write(dir.path(), "osv-withdrawn.json", &osv_withdrawn),
    ];
    let mut db = Db::open(dir.path().join("v.db")).unwrap();
    let s = db.import(&files).unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!((s.nvd, s.kev, s.osv, s.rejected), (5, 1, 1, 2));
    (dir, db)
}

fn ids(db: &Db, comps: &[ComponentRef]) -> Vec<String> {
    db.matches(comps)
        .unwrap()
        .into_iter()
        .map(|m| format!("{}#{}", m.cve, m.component))
        .collect()
}

#[test]
fn start_excluding_both_directions() {
    let (_d, db) = setup();
    assert!(ids(&db, &[ComponentRef::new("busybox", "1.19.2")]).is_empty());
    assert_eq!(
        ids(&db, &[ComponentRef::new("busybox", "1.19.3")]),
        ["CVE-0000-0001#0"]
    );
    assert_eq!(
        ids(&db, &[ComponentRef::new("busybox", "1.23.1")]),
        ["CVE-0000-0001#0"]
    );
    assert!(ids(&db, &[ComponentRef::new("busybox", "1.23.2")]).is_empty());
    // No version: ranges cannot be evaluated; nothing is claimed and a note says why.
    let r = db
        .match_report(
            &[ComponentRef {
                name: "busybox".into(),
                ..Default::default()
            }],
            false,
        )
        .unwrap();
    assert!(r.matches.is_empty());
    assert!(
        r.notes.iter().any(|n| n.contains("no version")),
        "{:?}",
        r.notes
    );
}

#[test]
fn wildcard_version_kev_and_v4_score() {
    let (_d, db) = setup();
    let m = db.matches(&[ComponentRef::new("dnsmasq", "2.78")]).unwrap();
    assert_eq!(m.len(), 1);
    assert!(m[0].kev);
    let c = m[0].cvss.as_ref().unwrap();
    assert_eq!((c.version.as_str(), c.score), ("4.0", 9.3));
    assert!(db
        .matches(&[ComponentRef::new("dnsmasq", "2.8")])
        .unwrap()
        .is_empty());
    assert!(db
        .matches(&[ComponentRef::new("dnsmasq", "2.780")])
        .unwrap()
        .is_empty());
}

#[test]
fn and_node_needs_both_parts() {
    let (_d, db) = setup();
    let ssl = ComponentRef::new("openssl", "0.9.8z");
    assert!(ids(&db, std::slice::from_ref(&ssl)).is_empty());
    assert_eq!(
        ids(&db, &[ssl.clone(), ComponentRef::new("linux", "2.6.36.4")]),
        ["CVE-0000-0003#0"]
    );
    assert!(ids(&db, &[ssl.clone(), ComponentRef::new("linux", "2.6.36.5")]).is_empty());
    assert!(ids(
        &db,
        &[
            ComponentRef::new("openssl", "1.0.0"),
            ComponentRef::new("linux", "2.6.36")
        ]
    )
    .is_empty());
}

#[test]
fn negated_node() {
    let (_d, db) = setup();
    let uboot = ComponentRef::new("u-boot", "2013.07");
    assert_eq!(
        ids(&db, &[uboot.clone(), ComponentRef::new("linux", "4.19.1")]),
        ["CVE-0000-0004#0"]
    );
    assert!(ids(
        &db,
        &[uboot.clone(), ComponentRef::new("linux", "5.4.0-rc1")]
    )
    .is_empty());
    // No kernel at all: the negated node holds.
    assert_eq!(ids(&db, &[uboot]), ["CVE-0000-0004#0"]);
}

#[test]
fn dash_version_matches_only_versionless() {
    let (_d, db) = setup();
    let c = |cpe: &str| ComponentRef {
        name: "widget".into(),
        cpe: Some(cpe.into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&db, &[c("cpe:2.3:a:acme:widget:-:*:*:*:*:*:*:*")]),
        ["CVE-0000-0006#0"]
    );
    assert!(ids(&db, &[c("cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*")]).is_empty());
}

#[test]
fn osv_semver_ecosystem_versions_and_git_note() {
    let (_d, db) = setup();
    let p = |purl: &str| ComponentRef {
        name: "x".into(),
        purl: Some(purl.into()),
        ..Default::default()
    };
    let r = db
        .match_report(&[p("pkg:cargo/hyper@0.14.9")], false)
        .unwrap();
    assert_eq!(r.matches.len(), 1);
    // The CVE alias is reported, and its KEV listing carries over.
    assert_eq!(
        (
            r.matches[0].cve.as_str(),
            r.matches[0].kev,
            r.matches[0].source.as_str()
        ),
        ("CVE-0000-0002", true, "osv")
    );
    assert!(
        r.notes.iter().any(|n| n.contains("GIT range ignored")),
        "{:?}",
        r.notes
    );
    for (purl, hit) in [
        ("pkg:cargo/hyper@0.14.10", false),
        ("pkg:cargo/hyper@1.0.0-rc.2", true),
        ("pkg:cargo/hyper@1.0.1", false),
        ("pkg:pypi/requests@2.31.0", true),
        ("pkg:pypi/requests@2.31.1", false),
        ("pkg:pypi/requests@1.2.3", true),
        ("pkg:pypi/requests@1.2.4", false),
        ("pkg:npm/left-pad@1.0.0", false),
        ("pkg:npm/%40scope/name@1.0.0", false),
    ] {
        assert_eq!(!db.matches(&[p(purl)]).unwrap().is_empty(), hit, "{purl}");
    }
}

#[test]
fn hostile_and_broken_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.json",
        &json!({"vulnerabilities": [nvd("CVE-0000-0009", json!([]))]}),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", br#"{"vulnerabilities":[{"cve":{"id":"CVE-1","descriptions":[]}},{"cve":{"id":"#.to_vec()),
        ("deep.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("garbage.json", vec![0xff, 0x00, 0x12, 0x80]),
        ("wrongtypes.json", br#"{"vulnerabilities":[{"cve":{"id":5}}]}"#.to_vec()),
        ("scalar.json", b"42".to_vec()),
        ("bigconfig.json", serde_json::to_vec(&json!({"vulnerabilities": [nvd("CVE-0000-0010", json!([{"nodes":
            (0..3000).map(|i| node("OR", false, json!([{"vulnerable": true, "criteria": format!("cpe:2.3:a:v:p{i}:*:*:*:*:*:*:*:*")}]))).collect::<Vec<_>>()}]))]})).unwrap()),
    ];
    let mut paths = vec![good];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    let mut db = Db::open(dir.path().join("v.db")).unwrap();
    let s = db.import(&paths).unwrap();
    assert_eq!(s.files, 7);
    assert_eq!(s.errors.len(), 5, "{:?}", s.errors);
    // The good file, the first record of the truncated one and the bounded big one are kept.
    assert_eq!(s.nvd, 3);
    assert_eq!(s.unrecognised, 0);
    // The big statement was cut to the node cap: p999 is indexed, p1000 is not.
    assert_eq!(
        db.matches(&[ComponentRef {
            name: "p999".into(),
            vendor: Some("v".into()),
            product: Some("p999".into()),
            version: Some("1".into()),
            ..Default::default()
        }])
        .unwrap()
        .len(),
        1
    );
    assert!(db
        .matches(&[ComponentRef {
            name: "p1000".into(),
            vendor: Some("v".into()),
            product: Some("p1000".into()),
            version: Some("1".into()),
            ..Default::default()
        }])
        .unwrap()
        .is_empty());
}

#[test]
fn gzip_feeds_and_json_arrays_of_records() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let feed = serde_json::to_vec(&json!({"vulnerabilities": [nvd("CVE-0000-0020", json!([{"nodes": [node("OR", false, json!([
        {"vulnerable": true, "criteria": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", "versionEndExcluding": "1.20"}]))]}]))]}))
    .unwrap();
    let gz = dir.path().join("nvdcve-2.0-0000.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&feed).unwrap();
    enc.finish().unwrap();
    // An array of OSV records, as some exports ship them.
    let arr = write(
        dir.path(),
        "osv-all.json",
        &json!([
            {"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0.0"]}]},
            {"id": "OSV-2", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "b"}, "versions": ["2.0.0"]}]},
            7
        ]),
    );
    let mut db = Db::open(dir.path().join("v.db")).unwrap();
    let s = db.import(&[dir.path().to_path_buf()]).unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!((s.files, s.nvd, s.osv, s.unrecognised), (2, 1, 2, 1));
    assert_eq!(
        ids(&db, &[ComponentRef::new("busybox", "1.19.2")]),
        ["CVE-0000-0020#0"]
    );
    let c = ComponentRef {
        name: "b".into(),
        purl: Some("pkg:npm/b@2.0.0".into()),
        ..Default::default()
    };
    assert_eq!(ids(&db, &[c]), ["OSV-2#0"]);
    drop(arr);
}

#[test]
fn a_database_of_another_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    drop(Db::open(&path).unwrap());
    // Reopening the same layout works.
    drop(Db::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = Db::open(&path).err().expect("refused");
    assert!(err.to_string().contains("layout version 99"), "{err}");
}

#[test]
fn cve5_affected_entries_become_statements_when_the_nvd_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let rec = json!({"dataType": "CVE_RECORD", "dataVersion": "5.1",
        "cveMetadata": {"cveId": "CVE-0000-0030", "state": "PUBLISHED", "datePublished": "2025-01-01T00:00:00Z", "dateUpdated": "2025-01-02T00:00:00Z"},
        "containers": {"cna": {
            "descriptions": [{"lang": "en", "value": "synthetic CVE 5 record"}],
            "metrics": [{"cvssV3_1": {"version": "3.1", "baseScore": 7.5, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "baseSeverity": "HIGH"}}],
            "affected": [
                {"vendor": "BusyBox", "product": "BusyBox", "versions": [
                    {"version": "0", "lessThan": "1.25.0", "status": "affected", "versionType": "custom"},
                    {"version": "1.30.1", "status": "affected"},
                    {"version": "1.31.0", "status": "unaffected"}]},
                {"vendor": "n/a", "product": "n/a", "versions": [{"version": "n/a", "status": "affected"}]},
                {"vendor": "x", "product": "y", "cpes": ["cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*"],
                 "versions": [{"version": "2.0", "lessThanOrEqual": "2.85", "status": "affected"}]}],
            "references": [{"url": "https://example.invalid/1"}, {"url": "https://example.invalid/2"}]}}});
    let p = write(dir.path(), "CVE-0000-0030.json", &rec);
    let mut db = Db::open(dir.path().join("v.db")).unwrap();
    assert_eq!(db.import(&[p]).unwrap().cve5, 1);
    for (name, v, hit) in [
        ("busybox", "1.19.2", true),
        ("busybox", "1.25.0", false),
        ("busybox", "1.30.1", true),
        ("busybox", "1.31.0", false),
        ("dnsmasq", "2.85", true),
        ("dnsmasq", "2.86", false),
        ("dnsmasq", "1.9", false),
    ] {
        let m = db.matches(&[ComponentRef::new(name, v)]).unwrap();
        assert_eq!(m.len(), usize::from(hit), "{name} {v}");
        if hit {
            assert_eq!(
                (m[0].source.as_str(), m[0].cvss.as_ref().unwrap().score),
                ("cve5", 7.5)
            );
        }
    }
}
