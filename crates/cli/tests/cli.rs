//! The `iotassay` binary as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn iotassay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iotassay"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A usage error (exit 2) whose message names the problem.
fn usage_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
}

fn demo_image(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("demo.bin");
    std::fs::write(&path, iotassay_demo::build_image().unwrap()).unwrap();
    path
}

#[test]
fn identify_lists_the_demo_structures_at_their_offsets() {
    let tmp = tempfile::tempdir().unwrap();
    let image = demo_image(tmp.path());
    let out = iotassay(&["identify", image.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("0x10000") && stdout.contains("uimage"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0x40000") && stdout.contains("squashfs"),
        "{stdout}"
    );

    let json = iotassay(&["identify", "--json", image.to_str().unwrap()]);
    let hits: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let formats: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["format"].as_str().unwrap())
        .collect();
    assert!(
        formats.contains(&"uimage") && formats.contains(&"squashfs"),
        "{formats:?}"
    );
}

#[test]
fn unpack_writes_the_tree_and_a_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let image = demo_image(tmp.path());
    let out_dir = tmp.path().join("out");
    let out = iotassay(&[
        "unpack",
        image.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "iotassay.unpack.manifest/1");
    let nodes = manifest["nodes"].as_array().unwrap();
    let shadow = nodes
        .iter()
        .find(|n| n["inner_path"] == "etc/shadow")
        .expect("etc/shadow");
    assert_eq!(shadow["mode"], 0o600);
    let on_disk = std::fs::read(out_dir.join(shadow["path"].as_str().unwrap())).unwrap();
    assert!(on_disk.starts_with(b"root::"));
    let busybox = nodes
        .iter()
        .find(|n| n["inner_path"] == "bin/busybox")
        .unwrap();
    assert_eq!(
        busybox["mode"], 0o4755,
        "setuid is recorded in the manifest"
    );
    let sh = nodes.iter().find(|n| n["inner_path"] == "bin/sh").unwrap();
    assert_eq!(sh["kind"], "symlink");
    assert_eq!(sh["link_target"], "busybox");
    // The kernel payload was decompressed out of the uImage's gzip.
    let kernel = nodes.iter().filter(|n| n["kind"] == "payload").any(|n| {
        let data = std::fs::read(out_dir.join(n["path"].as_str().unwrap())).unwrap_or_default();
        data.windows(13).any(|w| w == b"Linux version")
    });
    assert!(kernel, "{}", text(&out.stdout));

    // A second run into the same folder is refused without --force…
    let again = iotassay(&[
        "unpack",
        image.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    usage_error(&again, "not empty");
    // …and allowed with it.
    let forced = iotassay(&[
        "unpack",
        image.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--force",
    ]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
}

#[test]
fn a_missing_image_is_a_clear_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iotassay(&[
        "unpack",
        "/nonexistent/fw.bin",
        "-o",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    usage_error(&out, "/nonexistent/fw.bin");
}

#[test]
fn demo_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iotassay(&["demo", "--out", tmp.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("unpacked/manifest.json").is_file());
    assert!(
        text(&out.stdout).contains("squashfs"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn provisions_filter_by_guideline_and_psti() {
    let out = iotassay(&["provisions", "--guideline", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("5.1-1") && stdout.contains("No universal default passwords"),
        "{stdout}"
    );
    assert!(!stdout.contains("5.3-13"), "{stdout}");

    let psti = iotassay(&["provisions", "--psti", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&psti.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["5.1-1", "5.1-2", "5.2-1", "5.3-13"]);

    let bad = iotassay(&["provisions", "--guideline", "14"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn scan_writes_cyclonedx_and_spdx_sboms() {
    let tmp = tempfile::tempdir().unwrap();
    let cdx = tmp.path().join("bom.cdx.json");
    let spdx = tmp.path().join("bom.spdx.json");
    let image = iotassay_testkit::corpus("real/tplink-mt7628-rootfs.squashfs");
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--sbom",
        cdx.to_str().unwrap(),
        "--spdx",
        spdx.to_str().unwrap(),
        "--fail-on",
        "critical",
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&out.stderr)
    );
    let bom: serde_json::Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    assert!(bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "dropbear" && c["version"] == "2012.55"));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert!(doc["packages"].as_array().unwrap().len() >= 5);
}

#[test]
fn db_import_then_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("sub/vuln.db");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vulndb/tests/data");
    let out = iotassay(&[
        "db",
        "--db",
        db.to_str().unwrap(),
        "import",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("6 NVD"), "{}", text(&out.stdout));
    let out = iotassay(&["db", "status", "--json", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (st["cves"].as_u64(), st["kev"].as_u64()),
        (Some(6), Some(1))
    );
    let missing = tmp.path().join("none.db");
    let out = iotassay(&["db", "status", "--db", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_matches_components_against_the_vulnerability_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("vuln.db");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vulndb/tests/data");
    let import = iotassay(&[
        "db",
        "--db",
        db.to_str().unwrap(),
        "import",
        data.to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    let image = iotassay_testkit::corpus("real/tplink-mt7628-rootfs.squashfs");
    let json = tmp.path().join("a.json");
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--fail-on",
        "critical",
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(a["vulnerabilities"]["assessed"], true);
    let found: Vec<(String, String)> = a["vulnerabilities"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["cve"].as_str().unwrap().to_string(),
                m["component_label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // BusyBox 1.19.2 and dropbear 2012.55 from the image, matched by CPE ranges.
    assert!(
        found
            .iter()
            .any(|(c, l)| c == "CVE-2016-2148" && l.contains("busybox")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, l)| c == "CVE-2013-4421" && l.contains("dropbear")),
        "{found:?}"
    );
    // dropbear 2012.55 is past CVE-2012-0920's range.
    assert!(
        !found.iter().any(|(c, _)| c == "CVE-2012-0920"),
        "{found:?}"
    );
    assert!(
        text(&out.stdout).contains("Known vulnerabilities:"),
        "{}",
        text(&out.stdout)
    );

    // Without a database: said plainly, never "no vulnerabilities".
    let empty_home = tmp.path().join("home");
    let out = Command::new(env!("CARGO_BIN_EXE_iotassay"))
        .args(["scan", image.to_str().unwrap(), "--fail-on", "critical"])
        .env("XDG_DATA_HOME", &empty_home)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("Known vulnerabilities: not assessed"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn scan_writes_reports_and_report_renders_them_again() {
    let tmp = tempfile::tempdir().unwrap();
    let image = demo_image(tmp.path());
    let decl = tmp.path().join("declaration.toml");
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/declaration.example.toml"
    ))
    .unwrap();
    std::fs::write(&decl, template).unwrap();
    let out_dir = tmp.path().join("reports");
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--report",
        "html,sarif,md,label,psti",
        "--out",
        out_dir.to_str().unwrap(),
        "--db",
        tmp.path().join("none.db").to_str().unwrap(),
    ]);
    // No database there: a usage error before anything is written.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--report",
        "html,sarif,md,label,psti",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the demo has critical findings");
    let stdout = text(&out.stdout);
    let files = [
        "assessment.json",
        "report.html",
        "report.sarif",
        "report.md",
        "label.json",
        "label.svg",
        "label.html",
        "psti-statement.txt",
        "psti-statement.html",
    ];
    for f in files {
        assert!(out_dir.join(f).is_file(), "{f} missing: {stdout}");
        assert!(
            stdout.contains(&format!("report: {}", out_dir.join(f).display())),
            "{stdout}"
        );
    }
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let statement = std::fs::read_to_string(out_dir.join("psti-statement.txt")).unwrap();
    assert!(statement.contains("DRAFT"), "{statement}");

    // `report` renders the same files from the assessment JSON alone.
    let again = tmp.path().join("again");
    let out = iotassay(&[
        "report",
        out_dir.join("assessment.json").to_str().unwrap(),
        "--report",
        "md",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(again.join("report.md")).unwrap(),
        std::fs::read(out_dir.join("report.md")).unwrap()
    );
    assert!(!again.join("report.html").exists());

    // Bad format names and inputs are usage errors naming the problem.
    let out = iotassay(&[
        "report",
        decl.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    usage_error(&out, "not an assessment JSON");
    let out = iotassay(&[
        "report",
        out_dir.join("assessment.json").to_str().unwrap(),
        "--report",
        "pdf",
        "--out",
        again.to_str().unwrap(),
    ]);
    usage_error(&out, "unknown report format \"pdf\"");
}

#[test]
fn the_declaration_template_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let decl = tmp.path().join("declaration.toml");
    let out = iotassay(&["declaration", "init", decl.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = iotassay(&["declaration", "check", decl.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Acme Cam 2 CAM-200"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_declared_security_txt_that_cannot_be_read_is_reported_by_check_and_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let image = demo_image(tmp.path());
    let decl = tmp.path().join("declaration.toml");
    let template = iotassay_declaration::TEMPLATE.replacen(
        "# security_txt = \"security.txt\"",
        "security_txt = \"security.txt\"",
        1,
    );
    std::fs::write(&decl, template).unwrap();
    let missing = tmp.path().join("security.txt");
    let out = iotassay(&["declaration", "check", decl.to_str().unwrap()]);
    usage_error(&out, &missing.display().to_string());

    let json = tmp.path().join("a.json");
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: the declared security.txt {} cannot be read: No such file",
            missing.display()
        )),
        "{stderr}"
    );
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(a["security_txt"]["source"], missing.display().to_string());
    assert!(a["security_txt"]["error"]
        .as_str()
        .unwrap()
        .contains("No such file"));
    let p = a["verdicts"]["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "5.2-1")
        .unwrap();
    assert!(
        p["reason"].as_str().unwrap().contains("security.txt")
            && p["reason"].as_str().unwrap().contains("cannot be read"),
        "{p}"
    );

    // Once the file is there, scan validates it like `declaration check`: the summary counts
    // its problems (no Policy field here), and the JSON holds the report.
    std::fs::write(
        &missing,
        "Contact: mailto:security@acme.example\nExpires: 2099-01-01T00:00:00Z\n",
    )
    .unwrap();
    let out = iotassay(&[
        "scan",
        image.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        !text(&out.stderr).contains("cannot be read"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("recommendation"),
        "{}",
        text(&out.stdout)
    );
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let problems = a["security_txt"]["report"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["code"] == "no_policy"),
        "{problems:?}"
    );
}
