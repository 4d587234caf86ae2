//! The real-image regression set: every real image of the corpus, end to end (unpack → inventory →
//! checks → guideline summary), against `real-images.toml` beside this file — the facts a reviewer
//! established by hand that must be found, and the claims that must not be made. Accuracy cannot
//! slip silently: a fact lost or a false claim made fails the test, and the table of every image's
//! facts is printed (`cargo test -p iotassay-checks --test real_images -- --nocapture`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iotassay_checks::{assess_manifest, Assessment, CheckOptions};
use iotassay_testkit::corpus_bytes;
use iotassay_unpack::{Manifest, Options};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectations {
    image: Vec<Image>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    /// Corpus-relative path.
    file: String,
    /// Facts that must be found.
    #[serde(default)]
    found: Vec<Fact>,
    /// Claims that must not be made.
    #[serde(default)]
    withheld: Vec<Fact>,
}

/// One fact. Exactly one of the selectors is set: a `check` (a finding of that check whose JSON
/// contains every `text`; with `at`, one evidence item of it at that path must hold them all), a
/// `component` (name, and `version` when given: as found, or as a package release of it such as
/// opkg's `1.19.4-6`), a `path` (a node of the unpacked tree whose path inside its structure is
/// this), a `guideline` (its `status`), or `os` (text the inventory's OS description contains).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fact {
    /// What the fact is, for people.
    fact: String,
    check: Option<String>,
    #[serde(default)]
    text: Vec<String>,
    at: Option<String>,
    component: Option<String>,
    version: Option<String>,
    path: Option<String>,
    guideline: Option<u8>,
    status: Option<String>,
    os: Option<String>,
}

impl Fact {
    fn contains_all(&self, json: &str) -> bool {
        self.text.iter().all(|t| json.contains(t.as_str()))
    }

    /// Whether the assessment (and the manifest it came from) shows this fact.
    fn holds(&self, a: &Assessment, json: &Value, manifest: &Manifest) -> bool {
        let selectors = [
            self.check.is_some(),
            self.component.is_some(),
            self.path.is_some(),
            self.guideline.is_some(),
            self.os.is_some(),
        ];
        assert_eq!(
            selectors.iter().filter(|s| **s).count(),
            1,
            "fact {:?}: exactly one of check, component, path, guideline, os",
            self.fact
        );
        if let Some(check) = &self.check {
            return json["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["check"] == check.as_str())
                .any(|f| match &self.at {
                    None => self.contains_all(&f.to_string()),
                    Some(at) => f["evidence"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|e| e["path"] == at.as_str())
                        .any(|e| self.contains_all(&e.to_string())),
                });
        }
        if let Some(name) = &self.component {
            return a.inventory.components.iter().any(|c| {
                c.name.eq_ignore_ascii_case(name)
                    && self.version.as_ref().is_none_or(|v| {
                        &c.version == v
                            || c.version
                                .strip_prefix(v.as_str())
                                .is_some_and(|r| r.starts_with('-'))
                    })
            });
        }
        if let Some(path) = &self.path {
            let path = path.trim_start_matches('/');
            return manifest.nodes.iter().any(|n| n.inner_path == path);
        }
        if let Some(n) = self.guideline {
            let status = self
                .status
                .as_deref()
                .unwrap_or_else(|| panic!("fact {:?}: a guideline needs a status", self.fact));
            return json["guidelines"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|g| g["number"] == n && g["status"] == status);
        }
        let os = self.os.as_deref().unwrap();
        json["inventory"]["os"].to_string().contains(os)
    }
}

fn assess_image(file: &str) -> (Manifest, Assessment) {
    let name = file.rsplit('/').next().unwrap();
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    let manifest = iotassay_unpack::unpack(name, &corpus_bytes(file), None, &options)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let assessment = assess_manifest(&manifest, &CheckOptions::default(), 0);
    (manifest, assessment)
}

#[test]
fn every_real_image_yields_its_facts_and_no_false_claims() {
    let text = include_str!("real-images.toml");
    let expectations: Expectations = toml::from_str(text).expect("real-images.toml parses");
    // Every real image of the corpus is in the set.
    let real = iotassay_testkit::shared_dir().join("corpus/real");
    let mut listed: Vec<String> = expectations.image.iter().map(|i| i.file.clone()).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&real)
        .unwrap()
        .map(|e| format!("real/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    present.sort();
    for p in &present {
        assert!(
            listed.contains(p),
            "{p} is in the corpus but not in real-images.toml"
        );
    }

    let mut table = String::from(
        "| image | found | withheld | missed / wrongly claimed |\n|---|---|---|---|\n",
    );
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for image in &expectations.image {
        let (manifest, a) = assess_image(&image.file);
        let json = serde_json::to_value(&a).unwrap();
        let mut wrong = Vec::new();
        let found = image
            .found
            .iter()
            .filter(|f| {
                let ok = f.holds(&a, &json, &manifest);
                if !ok {
                    wrong.push(format!("missed: {}", f.fact));
                }
                ok
            })
            .count();
        let withheld = image
            .withheld
            .iter()
            .filter(|f| {
                let ok = !f.holds(&a, &json, &manifest);
                if !ok {
                    wrong.push(format!("claimed: {}", f.fact));
                }
                ok
            })
            .count();
        let _ = writeln!(
            table,
            "| {} | {found}/{} | {withheld}/{} | {} |",
            image.file,
            image.found.len(),
            image.withheld.len(),
            wrong.join("; ")
        );
        if !wrong.is_empty() {
            failures.insert(image.file.clone(), wrong);
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:#?}");
}
