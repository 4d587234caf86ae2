//! SARIF 2.1.0 (OASIS), shaped for GitHub code scanning: one rule per check (tags = EN 303 645
//! provision ids, UK Code of Practice guidelines, PSTI requirements; `security-severity`), one
//! result per finding with its evidence as locations inside the image (`IMAGEROOT`-relative path,
//! line or byte offset, excerpt as snippet, provenance chain as a logical location), plus results
//! for contradicted declaration claims, failures the declaration itself shows, and known
//! vulnerabilities. `partialFingerprints` let a re-run of the same image deduplicate.

use std::collections::BTreeMap;

use iotassay_catalog::Catalog;
use iotassay_checks::{Assessment, Finding, Severity, Verdict};
use iotassay_inventory::Evidence;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::escape::{clip, uri_path};

/// `$schema` of the log: the OASIS SARIF 2.1.0 schema as published (errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base the evidence paths are relative to.
pub const IMAGE_ROOT: &str = "IMAGEROOT";

/// Most related locations per result (a finding can list hundreds of files).
const MAX_RELATED: usize = 50;
/// Most characters of an excerpt or message taken from the image.
const MAX_TEXT: usize = 400;
/// Most notifications from unpacking.
const MAX_NOTIFICATIONS: usize = 100;

/// GitHub code scanning keeps at most 20 tags per rule; `properties.provisions` stays complete.
const MAX_TAGS: usize = 20;

const CONTRADICTION: &str = "declaration.contradiction";
const DECLARATION_UNMET: &str = "declaration.unmet";

/// GitHub's numeric severity scale: critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
        Severity::Info => "none",
    }
}

/// `services.remote_login` → `ServicesRemoteLogin` (SARIF's `name`: an identifier for people).
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Tags for a set of provisions: `en303645:5.1-1`, `uk-cop:1`, `psti:passwords`.
fn tags(provisions: &[String]) -> (Vec<String>, Vec<u8>) {
    let catalog = Catalog::get_static();
    let mut tags = vec!["security".to_string()];
    let mut guidelines = Vec::new();
    let mut psti = Vec::new();
    for id in provisions {
        tags.push(format!("en303645:{id}"));
        if let Some(p) = catalog.get(id) {
            guidelines.extend(p.guidelines.iter().copied());
            if let Some(req) = p.psti {
                psti.push(
                    serde_json::to_value(req)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from)),
                );
            }
        }
    }
    guidelines.sort_unstable();
    guidelines.dedup();
    tags.extend(guidelines.iter().map(|g| format!("uk-cop:{g}")));
    let mut psti: Vec<String> = psti.into_iter().flatten().collect();
    psti.sort();
    psti.dedup();
    tags.extend(psti.into_iter().map(|p| format!("psti:{p}")));
    tags.truncate(MAX_TAGS);
    (tags, guidelines)
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

/// One piece of evidence as a SARIF location.
fn location(id: usize, e: &Evidence) -> Value {
    let mut physical = json!({
        "artifactLocation": { "uri": uri_path(&e.path), "uriBaseId": IMAGE_ROOT },
    });
    let snippet = e
        .text
        .as_deref()
        .map(|t| json!({ "text": clip(t, MAX_TEXT) }));
    let mut region = Map::new();
    if let Some(line) = e.line.filter(|&l| l >= 1) {
        region.insert("startLine".into(), json!(line));
    } else if let Some(offset) = e.offset {
        region.insert("byteOffset".into(), json!(offset));
    }
    if !region.is_empty() {
        if let Some(s) = &snippet {
            region.insert("snippet".into(), s.clone());
        }
        physical["region"] = Value::Object(region);
    }
    let mut loc = json!({
        "id": id,
        "physicalLocation": physical,
        "logicalLocations": [{ "fullyQualifiedName": clip(&e.provenance, 2 * MAX_TEXT), "kind": "module" }],
        "properties": { "provenance": clip(&e.provenance, 2 * MAX_TEXT), "node": clip(&e.node, 2 * MAX_TEXT) },
    });
    if physical_has_no_region(&loc) {
        if let Some(t) = &e.text {
            loc["message"] = json!({ "text": clip(t, MAX_TEXT) });
        }
    }
    loc
}

fn physical_has_no_region(loc: &Value) -> bool {
    loc["physicalLocation"].get("region").is_none()
}

/// A location for results that have no place in the image: the image file itself.
fn image_location(a: &Assessment) -> Value {
    json!({
        "physicalLocation": { "artifactLocation": { "uri": uri_path(&a.input.name), "index": 0 } }
    })
}

struct Rules {
    list: Vec<Value>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn add(&mut self, id: &str, rule: impl FnOnce() -> Value) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.list.len();
        self.list.push(rule());
        self.index.insert(id.to_string(), i);
        i
    }
}

/// The SARIF log for an assessment.
pub fn render(a: &Assessment) -> Value {
    let mut rules = Rules {
        list: Vec::new(),
        index: BTreeMap::new(),
    };
    // The worst severity and the first remediation each check reported.
    let mut worst: BTreeMap<&str, Severity> = BTreeMap::new();
    let mut remediation: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &a.findings {
        let w = worst.entry(&f.check).or_insert(f.severity);
        *w = (*w).max(f.severity);
        remediation.entry(&f.check).or_insert(&f.remediation);
    }
    let check_rule = |id: &str, title: &str, provisions: &[String]| -> Value {
        let (tags, guidelines) = tags(provisions);
        let help = remediation
            .get(id)
            .copied()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "See EN 303 645 provision{} {}.",
                    if provisions.len() == 1 { "" } else { "s" },
                    provisions.join(", ")
                )
            });
        let mut properties = json!({
            "tags": tags,
            "provisions": provisions,
            "guidelines": guidelines,
        });
        let severity = worst.get(id).copied();
        if let Some(s) = severity.and_then(security_severity) {
            properties["security-severity"] = json!(s);
        }
        json!({
            "id": id,
            "name": rule_name(id),
            "shortDescription": { "text": title },
            "fullDescription": { "text": format!(
                "{title}. Informs ETSI EN 303 645 provision{} {}{}.",
                if provisions.len() == 1 { "" } else { "s" },
                provisions.join(", "),
                if guidelines.is_empty() { String::new() } else {
                    format!(" (UK Code of Practice guideline{} {})",
                        if guidelines.len() == 1 { "" } else { "s" },
                        guidelines.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))
                }
            ) },
            "help": { "text": help },
            "defaultConfiguration": { "level": level(severity.unwrap_or(Severity::Medium)) },
            "properties": properties,
        })
    };
    for c in &a.checks {
        rules.add(&c.id, || check_rule(&c.id, &c.title, &c.provisions));
    }

    let mut results = Vec::new();
    for f in &a.findings {
        let provisions: Vec<String> = f
            .provisions
            .iter()
            .map(|p| p.as_str().to_string())
            .collect();
        let index = rules.add(&f.check, || check_rule(&f.check, &f.check, &provisions));
        results.push(finding_result(a, f, index));
    }

    // Declared claims the firmware contradicts, and failures the declaration itself shows.
    for p in &a.verdicts.provisions {
        let provisions = vec![p.id.clone()];
        for c in &p.contradictions {
            let index = rules.add(CONTRADICTION, || {
                declaration_rule(
                    CONTRADICTION,
                    "A declared claim the firmware contradicts",
                    "Correct the firmware or the declaration so that what the manufacturer states is true of the product.",
                )
            });
            let evidence = c.finding.and_then(|i| crate::finding(a, i));
            let locations = match evidence.and_then(|f| f.evidence.first()) {
                Some(e) => vec![location(0, e)],
                None => vec![image_location(a)],
            };
            let (tags, guidelines) = tags(&provisions);
            results.push(json!({
                "ruleId": CONTRADICTION,
                "ruleIndex": index,
                "kind": "fail",
                "level": "error",
                "message": { "text": clip(&format!("{} {}: {}; but {}", p.id, "declared claim contradicted", c.claim, c.evidence), 2 * MAX_TEXT) },
                "locations": locations,
                "partialFingerprints": { "iotassay/v1": fingerprint(&[CONTRADICTION, &p.id, &c.claim, &c.evidence]) },
                "properties": { "provisions": provisions, "guidelines": guidelines, "tags": tags, "claim": c.claim, "evidence": c.evidence, "security-severity": "8.0" },
            }));
        }
        let declaration_only =
            p.verdict == Verdict::Fail && p.findings.is_empty() && p.contradictions.is_empty();
        if declaration_only {
            let index = rules.add(DECLARATION_UNMET, || {
                declaration_rule(
                    DECLARATION_UNMET,
                    "A provision the manufacturer's declaration shows unmet",
                    "Meet the provision, or justify in the declaration why it does not apply (EN 303 645 5.0-1).",
                )
            });
            let (tags, guidelines) = tags(&provisions);
            results.push(json!({
                "ruleId": DECLARATION_UNMET,
                "ruleIndex": index,
                "kind": "fail",
                "level": "error",
                "message": { "text": clip(&format!("{}: {}", p.id, p.reason), 2 * MAX_TEXT) },
                "locations": [image_location(a)],
                "partialFingerprints": { "iotassay/v1": fingerprint(&[DECLARATION_UNMET, &p.id, &p.reason]) },
                "properties": { "provisions": provisions, "guidelines": guidelines, "tags": tags, "security-severity": "8.0" },
            }));
        }
    }

    // Known vulnerabilities of the components.
    for m in &a.vulnerabilities.matches {
        let index = rules.add(&m.cve, || vulnerability_rule(m));
        let component = a.inventory.components.get(m.component);
        let locations = match component.and_then(|c| c.evidence.first()) {
            Some(e) => vec![location(0, e)],
            None => vec![image_location(a)],
        };
        let score = m
            .cvss
            .as_ref()
            .map(|c| format!("CVSS {} {:.1}", c.version, c.score))
            .unwrap_or_else(|| "no CVSS score".into());
        let mut properties = json!({
            "tags": ["security", "vulnerability"],
            "component": m.component_label,
            "kev": m.kev,
            "why": m.why,
        });
        if let Some(c) = &m.cvss {
            properties["security-severity"] = json!(format!("{:.1}", c.score.clamp(0.0, 10.0)));
        }
        results.push(json!({
            "ruleId": m.cve,
            "ruleIndex": index,
            "kind": "fail",
            "level": vulnerability_level(m),
            "message": { "text": clip(&format!(
                "{} affects {} ({score}{}); matched by {}",
                m.cve, m.component_label, if m.kev { ", known exploited" } else { "" }, m.why
            ), 2 * MAX_TEXT) },
            "locations": locations,
            "partialFingerprints": { "iotassay/v1": fingerprint(&["vulnerability", &m.cve, &m.component_label]) },
            "properties": properties,
        }));
    }

    let notifications: Vec<Value> = a
        .unpack
        .warnings
        .iter()
        .take(MAX_NOTIFICATIONS)
        .map(|w| {
            let at = w.offset.map(|o| format!(" @{o:#x}")).unwrap_or_default();
            json!({
                "level": "warning",
                "message": { "text": clip(&format!("{}{at}: {}", w.source, w.reason), 2 * MAX_TEXT) },
            })
        })
        .collect();
    let mut invocation = json!({
        "executionSuccessful": a.unpack.aborted.is_none(),
        "toolExecutionNotifications": notifications,
    });
    if let Some(reason) = &a.unpack.aborted {
        invocation["exitCodeDescription"] = json!(clip(reason, 2 * MAX_TEXT));
    }

    let guidelines: Vec<Value> = a
        .guidelines
        .iter()
        .map(|g| {
            json!({
                "number": g.number,
                "title": g.title,
                "status": g.status.as_str(),
                "examined": g.examined,
                "notExamined": g.not_examined,
            })
        })
        .collect();
    let psti: Vec<Value> = a
        .verdicts
        .psti
        .iter()
        .map(|p| json!({ "requirement": p.requirement, "verdict": p.verdict.as_str(), "reason": p.reason }))
        .collect();

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": a.tool.name,
                "version": a.tool.version,
                "semanticVersion": a.tool.version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules.list,
            } },
            "automationDetails": { "id": format!("iotassay/{}/", a.input.name) },
            "artifacts": [{
                "location": { "uri": uri_path(&a.input.name) },
                "length": a.input.size,
                "hashes": { "sha-256": a.input.sha256 },
                "roles": ["analysisTarget"],
            }],
            "originalUriBaseIds": { IMAGE_ROOT: { "description": { "text": format!(
                "Inside the firmware image {}: paths are relative to the root file system (or to the region) the evidence's provenance chain names",
                a.input.name
            ) } } },
            "invocations": [invocation],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "assessmentSchema": a.schema,
                "image": { "name": a.input.name, "sha256": a.input.sha256, "size": a.input.size },
                "guidelines": guidelines,
                "psti": psti,
                "declaration": a.verdicts.declaration,
            },
        }],
    })
}

fn finding_result(a: &Assessment, f: &Finding, index: usize) -> Value {
    let provisions: Vec<&str> = f.provisions.iter().map(|p| p.as_str()).collect();
    let owned: Vec<String> = provisions.iter().map(|p| p.to_string()).collect();
    let (tags, _) = tags(&owned);
    let mut evidence = f.evidence.iter();
    let locations = match evidence.next() {
        Some(e) => vec![location(0, e)],
        None => vec![image_location(a)],
    };
    let related: Vec<Value> = evidence
        .take(MAX_RELATED)
        .enumerate()
        .map(|(i, e)| location(i + 1, e))
        .collect();
    let first_path = f.evidence.first().map(|e| e.path.as_str()).unwrap_or("");
    let mut properties = json!({
        "severity": f.severity.as_str(),
        "provisions": provisions,
        "guidelines": f.guidelines,
        "tags": tags,
        "evidenceCount": f.evidence.len(),
        "remediation": f.remediation,
    });
    if let Some(s) = security_severity(f.severity) {
        properties["security-severity"] = json!(s);
    }
    let mut r = json!({
        "ruleId": f.check,
        "ruleIndex": index,
        "kind": if f.severity.is_failure() { "fail" } else { "informational" },
        "level": level(f.severity),
        "message": { "text": clip(&format!("{}. {}", f.title.trim_end_matches('.'), f.rationale), 4 * MAX_TEXT) },
        "locations": locations,
        "partialFingerprints": { "iotassay/v1": fingerprint(&[&f.check, first_path, &f.title]) },
        "properties": properties,
    });
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    r
}

fn declaration_rule(id: &str, title: &str, help: &str) -> Value {
    json!({
        "id": id,
        "name": rule_name(id),
        "shortDescription": { "text": title },
        "fullDescription": { "text": format!("{title}: the manufacturer's declaration weighed against the firmware evidence (the provision is in each result's properties and tags).") },
        "help": { "text": help },
        "defaultConfiguration": { "level": "error" },
        "properties": { "tags": ["security", "declaration"], "security-severity": "8.0" },
    })
}

fn vulnerability_level(m: &iotassay_vulndb::Match) -> &'static str {
    use iotassay_vulndb::Severity as V;
    match m.severity {
        _ if m.kev => "error",
        V::Critical | V::High => "error",
        V::Medium => "warning",
        V::Low | V::None | V::Unknown => "note",
    }
}

fn vulnerability_rule(m: &iotassay_vulndb::Match) -> Value {
    let uri = if m.cve.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{}", uri_path(&m.cve))
    } else {
        format!("https://osv.dev/vulnerability/{}", uri_path(&m.cve))
    };
    let mut properties = json!({ "tags": ["security", "vulnerability"] });
    if let Some(c) = &m.cvss {
        properties["security-severity"] = json!(format!("{:.1}", c.score.clamp(0.0, 10.0)));
    }
    json!({
        "id": m.cve,
        "name": "KnownVulnerability",
        "shortDescription": { "text": format!("Known vulnerability {}", m.cve) },
        "fullDescription": { "text": format!("{} is recorded against a component version found in the image (local vulnerability database, source {}).", m.cve, m.source) },
        "help": { "text": "Update the component to a release that fixes it, or show why the vulnerable code is not reachable in this product." },
        "helpUri": uri,
        "defaultConfiguration": { "level": vulnerability_level(m) },
        "properties": properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(rule_name("services.remote_login"), "ServicesRemoteLogin");
        assert_eq!(rule_name("declaration.unmet"), "DeclarationUnmet");
    }

    #[test]
    fn tags_name_provisions_guidelines_and_psti() {
        let (tags, guidelines) = tags(&["5.1-1".into(), "5.6-1".into()]);
        assert!(tags.contains(&"en303645:5.1-1".to_string()), "{tags:?}");
        assert!(tags.contains(&"uk-cop:1".to_string()), "{tags:?}");
        assert!(tags.contains(&"psti:passwords".to_string()), "{tags:?}");
        assert!(guidelines.contains(&1) && guidelines.contains(&6));
        let many: Vec<String> = Catalog::get_static()
            .provisions
            .iter()
            .map(|p| p.id.as_str().to_string())
            .collect();
        assert!(many.len() > MAX_TAGS);
        assert_eq!(super::tags(&many).0.len(), MAX_TAGS);
    }
}
