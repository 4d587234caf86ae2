//! Every report format rendered from a real assessment (through its JSON): SARIF validated against
//! the official SARIF 2.1.0 schema, hostile image strings escaped everywhere, the label saying what
//! is unknown, the PSTI statement a draft unless the verdicts support it.

mod common;

use std::collections::HashSet;

use common::{bare, declared, text, via_json, IMAGE};
use iotassay_checks::{Assessment, Verdict};
use iotassay_report::Format;
use serde_json::{json, Value};

// ---------------------------------------------------------------- SARIF

fn sarif(a: &Assessment) -> Value {
    serde_json::from_str(&text(a, Format::Sarif, "report.sarif")).unwrap()
}

/// The official SARIF 2.1.0 schema as `.ci/schemas.sh` installs it. Its `language` patterns have
/// a stray `]` (`…-[a-zA-Z]{2}]?$`) that the regex engine rightly refuses; the OASIS errata 01
/// schema corrected them to the form used here. Only those patterns are replaced (this report
/// writes no `language`).
fn sarif_schema() -> Value {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn fix(v: &mut Value) -> usize {
        match v {
            Value::String(s) if s == BROKEN => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
                1
            }
            Value::Array(a) => a.iter_mut().map(fix).sum(),
            Value::Object(o) => o.values_mut().map(fix).sum(),
            _ => 0,
        }
    }
    let mut schema = iotassay_testkit::schema("sarif-2.1.0-rtm.5.json");
    assert!(fix(&mut schema) > 0, "the installed schema changed");
    schema
}

fn sarif_errors(doc: &Value) -> Vec<String> {
    let schema = sarif_schema();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    v.iter_errors(doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Two known vulnerabilities on the image's first components (one known exploited, one on a
/// component index the JSON does not hold), as `scan --db` would record them.
fn with_vulnerabilities(mut a: Assessment) -> Assessment {
    let matches = json!([
        {"cve": "CVE-2016-2147", "component": 0, "component_label": "busybox 1.19.4",
         "cvss": {"version": "3.1", "score": 9.8, "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
         "severity": "critical", "kev": true, "published": "2017-02-09",
         "why": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:* version < 1.25.0", "source": "nvd"},
        {"cve": "GHSA-xxxx-<b>", "component": 99999, "component_label": "<script>x</script> 1",
         "cvss": null, "severity": "unknown", "kev": false, "published": null,
         "why": "osv range", "source": "osv"}
    ]);
    a.vulnerabilities = iotassay_checks::Vulnerabilities {
        assessed: true,
        note: None,
        matches: serde_json::from_value(matches).unwrap(),
    };
    via_json(&a)
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    for (name, a) in [
        ("bare", bare()),
        ("declared", declared()),
        ("vulnerabilities", with_vulnerabilities(declared())),
    ] {
        let doc = sarif(&a);
        let errors = sarif_errors(&doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_schema_rejects_a_broken_log() {
    // The validator is really applied: a log without `version`, or with a result level SARIF does
    // not define, is refused.
    let mut doc = sarif(&bare());
    doc.as_object_mut().unwrap().remove("version");
    assert!(!sarif_errors(&doc).is_empty());
    let mut doc = sarif(&bare());
    doc["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!sarif_errors(&doc).is_empty());
}

#[test]
fn sarif_rules_are_the_checks_tagged_with_provisions() {
    let a = declared();
    let doc = sarif(&a);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for c in &a.checks {
        assert!(ids.contains(&c.id.as_str()), "no rule for {}", c.id);
    }
    assert_eq!(
        ids.len(),
        ids.iter().collect::<HashSet<_>>().len(),
        "rule ids repeat"
    );
    let remote = rules
        .iter()
        .find(|r| r["id"] == "services.remote_login")
        .unwrap();
    let tags: Vec<&str> = remote["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for t in [
        "en303645:5.1-1",
        "en303645:5.6-5",
        "uk-cop:1",
        "psti:passwords",
    ] {
        assert!(tags.contains(&t), "{t} not in {tags:?}");
    }
    assert_eq!(remote["properties"]["security-severity"], "9.5");
    assert!(!remote["help"]["text"].as_str().unwrap().is_empty());

    // Every result names a rule by id and index consistently.
    let results = run["results"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "{r}");
    }
    // The telnet finding points at the init script line, relative to the image root, with the
    // provenance chain from the image.
    let telnet = results
        .iter()
        .find(|r| r["ruleId"] == "services.remote_login")
        .unwrap();
    assert_eq!(telnet["level"], "error");
    let loc = &telnet["locations"][0];
    let phys = &loc["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "etc/init.d/telnet");
    assert_eq!(phys["artifactLocation"]["uriBaseId"], "IMAGEROOT");
    assert_eq!(phys["region"]["startLine"], 31);
    assert!(phys["region"]["snippet"]["text"]
        .as_str()
        .unwrap()
        .contains("telnetd"));
    let chain = loc["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .unwrap();
    assert!(
        chain.starts_with(IMAGE) && chain.contains("squashfs"),
        "{chain}"
    );
    assert!(!telnet["relatedLocations"].as_array().unwrap().is_empty());

    // The declared "no telnet" claim is a result of its own, naming both sides.
    let contradiction = results
        .iter()
        .find(|r| {
            r["ruleId"] == "declaration.contradiction"
                && r["message"]["text"].as_str().unwrap().contains("no telnet")
        })
        .expect("the telnet contradiction");
    let message = contradiction["message"]["text"].as_str().unwrap();
    assert!(
        message.contains("etc/init.d/telnet:31 starts telnetd at boot"),
        "{message}"
    );
    assert_eq!(
        contradiction["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "etc/init.d/telnet"
    );
}

#[test]
fn sarif_fingerprints_are_stable_and_distinct() {
    let first = sarif(&declared());
    let second = sarif(&declared());
    let prints = |doc: &Value| -> Vec<String> {
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["iotassay/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let (a, b) = (prints(&first), prints(&second));
    assert_eq!(
        a, b,
        "a re-run of the same image gives the same fingerprints"
    );
    assert_eq!(
        a.len(),
        a.iter().collect::<HashSet<_>>().len(),
        "fingerprints repeat"
    );
}

#[test]
fn sarif_vulnerabilities_are_results_with_their_cve_as_rule() {
    let a = with_vulnerabilities(declared());
    let doc = sarif(&a);
    let run = &doc["runs"][0];
    let r = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "CVE-2016-2147")
        .unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(r["properties"]["security-severity"], "9.8");
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .contains("known exploited"));
    let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(
        rule["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2016-2147"
    );
    // A component index outside the inventory falls back to the image as the location.
    let odd = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "GHSA-xxxx-<b>")
        .unwrap();
    assert_eq!(
        odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        IMAGE
    );
}

// ---------------------------------------------------------------- hostile strings

const XSS: &str = "<img src=x onerror=alert(1)>";
const XSS2: &str = "</script><script>alert(2)</script>";
const XSS3: &str = "\"><svg onload=alert(3)>";

/// The assessment with attacker-controlled strings where the image supplies them: a file name,
/// an excerpt, a provenance chain, a component name and version, an ELF path, a warning.
fn hostile() -> Assessment {
    let mut a = with_vulnerabilities(declared());
    let f = &mut a.findings[0];
    f.title = format!("title {XSS}");
    f.evidence[0].path = format!("etc/{XSS}");
    f.evidence[0].text = Some(XSS2.to_string());
    f.evidence[0].provenance = format!("fw.bin → {XSS3}");
    a.inventory.components[0].name = XSS.to_string();
    a.inventory.components[0].version = XSS3.to_string();
    a.inventory.elf[0].path = format!("bin/{XSS2}");
    a.input.name = format!("fw{XSS3}.bin");
    if let Some(d) = a.declaration.as_mut() {
        d.product.name = XSS.to_string();
        d.vulnerability_disclosure.contact[0] = format!("https://x/{XSS3}");
    }
    via_json(&a)
}

fn assert_no_markup(what: &str, s: &str) {
    for bad in [XSS, XSS2, XSS3, "<script>alert", "<svg onload", "<img src"] {
        assert!(!s.contains(bad), "{what} carries {bad:?} unescaped");
    }
}

#[test]
fn html_report_escapes_everything_from_the_image() {
    let a = hostile();
    let page = text(&a, Format::Html, "report.html");
    assert_no_markup("report.html", &page);
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    // The only script is ours, and the CSP allows nothing else.
    assert_eq!(page.matches("<script>").count(), 1);
    assert!(page.contains("script-src 'sha256-"));
}

#[test]
fn every_format_escapes_everything_from_the_image() {
    let a = hostile();
    for format in Format::ALL {
        for out in iotassay_report::render(&a, format) {
            let s = String::from_utf8(out.bytes).unwrap();
            match out.file_name {
                // JSON carries the strings as data, quoted by serde.
                "report.sarif" | "label.json" => {
                    let v: Value = serde_json::from_str(&s).unwrap();
                    assert!(v.is_object());
                }
                // Plain text is not markup.
                "psti-statement.txt" => {}
                name => assert_no_markup(name, &s),
            }
        }
    }
}

#[test]
fn the_html_report_fetches_nothing() {
    let page = text(&declared(), Format::Html, "report.html");
    for bad in [
        "<link",
        "src=\"http",
        "src='http",
        "@import",
        "url(",
        "<iframe",
        "<img",
    ] {
        assert!(!page.contains(bad), "{bad}");
    }
    assert!(page.contains("default-src 'none'"));
}

// ---------------------------------------------------------------- HTML content

#[test]
fn html_report_has_every_section() {
    let a = declared();
    let page = text(&a, Format::Html, "report.html");
    for id in [
        "scorecard",
        "psti",
        "findings",
        "provisions",
        "vulnerabilities",
        "sbom",
        "hardening",
        "unpacking",
    ] {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert_eq!(page.matches("class=\"tile ").count(), 13);
    assert_eq!(
        page.matches("<article class=\"finding").count(),
        a.findings.len()
    );
    // Every provision verdict is a row, and the contradiction names both sides.
    assert_eq!(
        page.matches("<tr data-verdict=").count(),
        a.verdicts.provisions.len()
    );
    assert!(page.contains("(no telnet) — but etc/init.d/telnet:31 starts telnetd at boot"));
    // Evidence with provenance, SBOM rows, the hardening table.
    assert!(page.contains("etc/init.d/telnet:31"));
    assert!(page.contains("tplink → rootfs @0x0 squashfs → etc/init.d/telnet"));
    assert!(page.contains("pkg:opkg/dropbear@"));
    // Long evidence lists fold after six places, readable without a script.
    let long = a.findings.iter().find(|f| f.evidence.len() > 7).unwrap();
    assert!(page.contains(&format!(
        "<details><summary>{} more places</summary>",
        long.evidence.len() - 6
    )));
    assert!(page.contains("<td class=\"path\">bin/busybox</td><td>mips</td>"));
    // No database: vulnerabilities are "not assessed", not "none".
    assert!(page.contains("<h2>Known vulnerabilities</h2>\n<p>not assessed: "));
}

// ---------------------------------------------------------------- Markdown

#[test]
fn markdown_summarises_for_a_pull_request() {
    let a = declared();
    let md = text(&a, Format::Markdown, "report.md");
    assert!(md.starts_with("## iotassay: Acme Cam 2 CAM-200"), "{md}");
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | "))
        .count();
    // 13 guidelines and 3 PSTI requirements, each one row (headers start with "| #" or "| Req").
    assert_eq!(rows, 13 + 3 + 2, "{md}");
    assert!(
        md.contains(
            "| 2 | Implement a vulnerability disclosure policy | ◐ partly assessed | 1/3: 5.2-3 |"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "| 1 | No universal default passwords | ❌ fail | 2/6: 5.1-1, 5.1-3 | 1 critical |"
        ),
        "{md}"
    );
    assert!(md.contains("⚠️ contradiction: the declaration lists its interfaces as web-ui, uart (no telnet) — but etc/init.d/telnet:31 starts telnetd at boot"), "{md}");
    assert!(md.contains("<code>etc/init.d/telnet:31</code>"), "{md}");
    assert!(
        md.contains("Not assessed: no vulnerability database"),
        "{md}"
    );
    let md = text(&with_vulnerabilities(a), Format::Markdown, "report.md");
    assert!(
        md.contains("| CVE-2016-2147 | busybox 1.19.4 | 9.8 (v3.1) | yes |"),
        "{md}"
    );
}

// ---------------------------------------------------------------- label

#[test]
fn label_carries_the_declared_facts() {
    let a = declared();
    let json: Value = serde_json::from_str(&text(&a, Format::Label, "label.json")).unwrap();
    assert_eq!(json["schema"], "iotassay.label/1");
    assert_eq!(
        json["connectivity"]["text"],
        "This product connects to the internet"
    );
    assert_eq!(json["security_updates"]["end_date"], "2030-12-31");
    assert_eq!(json["security_updates"]["basis"], "declaration");
    assert_eq!(
        json["vulnerability_reporting"]["contact"][0],
        "mailto:security@acme.example"
    );
    assert_eq!(
        json["privacy"]["text"],
        "Privacy: https://acme.example/privacy"
    );
    let scores = json["scorecard"].as_array().unwrap();
    assert_eq!(scores.len(), 13);
    assert_eq!(scores[0]["status"], "fail");
    assert_eq!(json["psti"][0]["verdict"], "fail");

    let svg = text(&a, Format::Label, "label.svg");
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>\n")
    );
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert!(svg.contains("Security updates until at least 2030-12-31"));
    assert_eq!(
        svg.matches("<rect x=").count(),
        13 + 13 + 4 + 1,
        "13 cells, the examined share on each, 4 legend keys, the frame"
    );
    // Each cell says its coverage; partly assessed is never painted green.
    let g2 = &scores[1];
    assert_eq!(g2["status"], "partial");
    assert_eq!(
        (g2["examined"].as_u64(), g2["provisions"].as_u64()),
        (Some(1), Some(3))
    );
    assert!(
        svg.contains(
            "2. Implement a vulnerability disclosure policy: partly assessed, 1/3 examined"
        ),
        "{svg}"
    );
    let html = text(&a, Format::Label, "label.html");
    assert!(html.contains("Report to mailto:security@acme.example"));
    assert_eq!(html.matches("<li class=").count(), 13);
}

#[test]
fn label_without_a_declaration_says_what_is_unknown() {
    let a = bare();
    let json: Value = serde_json::from_str(&text(&a, Format::Label, "label.json")).unwrap();
    assert!(json["product"].is_null());
    assert_eq!(
        json["security_updates"]["text"],
        "Security update period: unknown"
    );
    assert_eq!(json["security_updates"]["basis"], "unknown");
    assert!(json["security_updates"].get("end_date").is_none());
    assert_eq!(json["vulnerability_reporting"]["basis"], "unknown");
    assert_eq!(json["privacy"]["basis"], "unknown");
    // The firmware alone shows network services started at boot.
    assert_eq!(json["connectivity"]["basis"], "firmware");
    let detail = json["connectivity"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("telnetd") && detail.contains("dropbear"),
        "{detail}"
    );
    let svg = text(&a, Format::Label, "label.svg");
    assert!(svg.contains("Security update period: unknown"));
    assert!(!svg.contains("2030"));
}

// ---------------------------------------------------------------- PSTI statement

#[test]
fn psti_statement_is_a_draft_naming_the_failing_requirement() {
    let a = declared();
    let s = text(&a, Format::Psti, "psti-statement.txt");
    assert!(
        s.contains("*** DRAFT: NOT A STATEMENT OF COMPLIANCE."),
        "{s}"
    );
    assert!(s.contains("4. Compliance: NOT DECLARED."), "{s}");
    assert!(!s.contains("declares that it has complied"), "{s}");
    let blocks = &s[s.find("What blocks it:").unwrap()..];
    assert!(
        blocks.contains("Schedule 1 para 1: no universal default or guessable passwords fails: 5.1-1: the declaration states the password mechanism is unique-per-device"),
        "{blocks}"
    );
    // The Schedule 4 fields are all there, from the declaration.
    for needle in [
        "1. Product type and batch: smart security camera: Acme Cam 2 model CAM-200",
        "batch B2407-001 to B2407-999",
        "2. Manufacturer (name and address): Acme Devices Ltd, 1 Example Street",
        "2. UK authorised representative (name and address): Acme Devices UK Ltd",
        "3. Prepared by or on behalf of the manufacturer: This statement of compliance has been prepared by the manufacturer, Acme Devices Ltd.",
        "ETSI EN 303 645 V2.1.1 (2020-06), provision(s) 5.1-1, 5.1-2",
        "5. Defined support period: security updates will be provided until at least 2030-12-31",
        "6. Signatory (name and function): Jane Example, Head of Product Security",
        "7. Place and date of issue: London, 2025-03-01",
        "Keep this statement until 2035-03-01",
    ] {
        assert!(s.contains(needle), "{needle}\n{s}");
    }
    let h = text(&a, Format::Psti, "psti-statement.html");
    assert!(h.contains("<title>DRAFT — Statement of compliance"), "{h}");
    assert!(h.contains("<div class=\"draft\">"));
}

#[test]
fn psti_statement_is_issued_only_when_every_requirement_is_supported() {
    let mut a = declared();
    for p in &mut a.verdicts.psti {
        p.verdict = Verdict::Declared;
    }
    let s = text(&a, Format::Psti, "psti-statement.txt");
    assert!(!s.contains("DRAFT"), "{s}");
    assert!(s.contains("4. Compliance: The manufacturer declares that it has complied with the security requirements in Schedule 1"), "{s}");
    assert!(
        s.contains("by the standard ETSI EN 303 645 V2.1.1 (2020-06)"),
        "{s}"
    );

    // A requirement not assessed blocks it.
    let mut b = a.clone();
    b.verdicts.psti[2].verdict = Verdict::NotAssessed;
    b.verdicts.psti[2].reason = "nobody said".into();
    let s = text(&b, Format::Psti, "psti-statement.txt");
    assert!(s.contains("DRAFT"));
    assert!(s.contains("Schedule 1 para 3: defined minimum security update period is not assessed: nobody said"), "{s}");

    // A missing Schedule 4 field blocks it.
    let mut c = a.clone();
    c.declaration.as_mut().unwrap().statement_of_compliance = None;
    let s = text(&c, Format::Psti, "psti-statement.txt");
    assert!(
        s.contains("6. Signatory (name and function): MISSING"),
        "{s}"
    );
    assert!(s.contains("Schedule 4 item 6 (Signatory (name and function)) is missing: add [statement_of_compliance] to the declaration"), "{s}");
}

#[test]
fn psti_statement_without_a_declaration_lists_everything_missing() {
    let s = text(&bare(), Format::Psti, "psti-statement.txt");
    assert!(s.contains("DRAFT"));
    assert!(s.contains("no manufacturer's declaration was given"), "{s}");
    assert_eq!(s.matches(": MISSING").count(), 7, "{s}");
}

// ---------------------------------------------------------------- loading and hostile assessments

#[test]
fn load_refuses_what_is_not_an_assessment() {
    let e = iotassay_report::load(b"{\"schema\": 1,\n \"x\": }").unwrap_err();
    assert!(
        e.to_string().contains("line 1") || e.to_string().contains("line 2"),
        "{e}"
    );
    let mut v: Value = serde_json::to_value(bare()).unwrap();
    v["schema"] = json!("iotassay.assessment/99");
    let e = iotassay_report::load(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(e.to_string().contains("iotassay.assessment/99"), "{e}");
}

#[test]
fn dangling_indexes_render_without_panicking() {
    let mut a = declared();
    for p in &mut a.verdicts.provisions {
        p.findings.push(usize::MAX);
        for c in &mut p.contradictions {
            c.finding = Some(1 << 40);
        }
    }
    a.findings.truncate(1);
    for format in Format::ALL {
        assert!(!iotassay_report::render(&a, format).is_empty());
    }
    assert!(sarif_errors(&sarif(&a)).is_empty());
}

#[test]
fn format_lists() {
    assert_eq!(
        Format::parse_list("html, sarif,md").unwrap(),
        [Format::Html, Format::Sarif, Format::Markdown]
    );
    assert_eq!(Format::parse_list("all,html").unwrap(), Format::ALL);
    assert!(Format::parse_list("pdf").unwrap_err().contains("\"pdf\""));
    assert!(Format::parse_list(",").is_err());
}

/// An encrypted (random) image: the HTML says nothing could be assessed and plots the entropy
/// profile as inline SVG; a readable image's page plots its profile and lists nothing unread.
#[test]
fn html_report_plots_the_entropy_of_an_opaque_image() {
    let mut seed: u64 = 0x0bad_5eed_f00d_0001;
    let data: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect();
    let a = iotassay_checks::assess(
        "sealed.bin",
        &data,
        &iotassay_unpack::Options::default(),
        &iotassay_checks::CheckOptions::default(),
    )
    .unwrap();
    let page = text(&common::via_json(&a), Format::Html, "report.html");
    let section = &page[page.find("<section id=\"readability\">").expect("section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("encrypted or unknown format: nothing could be assessed"));
    assert!(section.contains("<svg class=\"entropy\""));
    let points = section
        .split("points=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a polyline");
    let points: Vec<(f64, f64)> = points
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    assert_eq!(
        points.len(),
        a.opacity.as_ref().unwrap().entropy.values.len()
    );
    // About 8 bits/byte: the top of the 120-unit plot, everywhere.
    assert!(points.iter().all(|&(_, y)| y < 2.0), "{points:?}");
    assert!(
        section.contains("class=\"unread\""),
        "the unread input is shaded"
    );
    assert!(!section.contains("<script"));
    // The scorecard says why for every guideline.
    assert!(page.matches("nothing could be assessed").count() >= 13);

    let readable = text(&common::bare(), Format::Html, "report.html");
    let section = &readable[readable.find("<section id=\"readability\">").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("<svg class=\"entropy\""));
    assert!(!section.contains("class=\"unread\""), "{section}");
}
