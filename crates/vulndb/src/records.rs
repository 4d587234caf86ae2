//! Serde shapes of the feed formats, with the field names of their published schemas:
//! NVD CVE API 2.0 (`cve_api_json_2.0.schema`), CVE JSON 5 (`CVE_Record_Format.json`), OSV
//! (`osv-schema`), and the CISA KEV catalogue. Unknown fields are ignored; only what we store is read.

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Cap on stored description length (bytes): real ones are under 4 KiB.
pub const MAX_DESCRIPTION: usize = 16 * 1024;
/// Caps on applicability statements: the largest real NVD records have a few thousand `cpeMatch`.
pub const MAX_NODES: usize = 1_000;
pub const MAX_CPE_MATCHES: usize = 20_000;

/// Count the elements of a JSON array without keeping them.
fn count_seq<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
        fn visit_unit<E>(self) -> Result<usize, E> {
            Ok(0)
        }
    }
    d.deserialize_any(Count)
}

#[derive(Debug, Deserialize)]
pub struct LangString {
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub value: String,
}

/// The English text of a description list (NVD and CVE 5 both use `lang`/`value`), bounded.
pub fn english(list: &[LangString]) -> Option<String> {
    let pick = list
        .iter()
        .find(|d| {
            d.lang.eq_ignore_ascii_case("en") || d.lang.to_ascii_lowercase().starts_with("en-")
        })
        .or_else(|| list.first())?;
    let mut s = pick.value.clone();
    if s.len() > MAX_DESCRIPTION {
        let mut cut = MAX_DESCRIPTION;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    Some(s)
}

/// `cvssData` (NVD) and the `cvssV*` objects of CVE 5 share these names.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssData {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub vector_string: Option<String>,
    #[serde(default)]
    pub base_score: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct NvdMetric {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(rename = "cvssData")]
    pub data: CvssData,
}

#[derive(Debug, Default, Deserialize)]
pub struct NvdMetrics {
    #[serde(default, rename = "cvssMetricV40")]
    pub v40: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    pub v31: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    pub v30: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV2")]
    pub v2: Vec<NvdMetric>,
}

/// The NVD's own ("Primary") score first, else the first one given.
pub fn primary(list: &[NvdMetric]) -> Option<CvssData> {
    list.iter()
        .find(|m| m.kind.as_deref() == Some("Primary"))
        .or_else(|| list.first())
        .map(|m| m.data.clone())
}

/// NVD applicability statement: `configurations[]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    #[serde(default)]
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default)]
    pub operator: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    #[serde(default)]
    pub cpe_match: Vec<CpeMatch>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    pub vulnerable: bool,
    pub criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_excluding: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Keep hostile statements bounded: at most `MAX_NODES` nodes and `MAX_CPE_MATCHES` entries in all.
pub fn bound_configs(configs: &mut Vec<Config>) {
    let mut nodes = 0;
    let mut matches = 0;
    configs.retain_mut(|c| {
        c.nodes.retain_mut(|n| {
            nodes += 1;
            let room = MAX_CPE_MATCHES.saturating_sub(matches);
            n.cpe_match.truncate(room);
            matches += n.cpe_match.len();
            nodes <= MAX_NODES && !n.cpe_match.is_empty()
        });
        !c.nodes.is_empty()
    });
}

/// One CVE of the NVD CVE API 2.0 (`vulnerabilities[].cve`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NvdCve {
    pub id: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub vuln_status: Option<String>,
    #[serde(default)]
    pub descriptions: Vec<LangString>,
    #[serde(default)]
    pub metrics: Option<NvdMetrics>,
    #[serde(default)]
    pub configurations: Vec<Config>,
    #[serde(default, deserialize_with = "count_seq")]
    pub references: usize,
    /// The NVD copies the KEV listing into the record (`cisaExploitAdd`, `cisaVulnerabilityName`).
    #[serde(default)]
    pub cisa_exploit_add: Option<String>,
    #[serde(default)]
    pub cisa_vulnerability_name: Option<String>,
}

/// An element of a top-level `vulnerabilities` array: an NVD `{"cve": …}` or a KEV entry.
#[derive(Debug, Deserialize)]
pub struct FeedItem {
    #[serde(default)]
    pub cve: Option<NvdCve>,
    #[serde(default, rename = "cveID")]
    pub kev_cve: Option<String>,
    #[serde(default, rename = "dateAdded")]
    pub kev_date_added: Option<String>,
    #[serde(default, rename = "vulnerabilityName")]
    pub kev_name: Option<String>,
}

// ---- CVE JSON 5 ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cve5 {
    pub cve_metadata: Cve5Meta,
    #[serde(default)]
    pub containers: Cve5Containers,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cve5Meta {
    pub cve_id: String,
    #[serde(default)]
    pub date_published: Option<String>,
    #[serde(default)]
    pub date_updated: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Cve5Containers {
    #[serde(default)]
    pub cna: Option<Cve5Container>,
    #[serde(default)]
    pub adp: Vec<Cve5Container>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Cve5Container {
    #[serde(default)]
    pub descriptions: Vec<LangString>,
    #[serde(default)]
    pub metrics: Vec<Cve5Metric>,
    #[serde(default)]
    pub affected: Vec<Cve5Affected>,
    #[serde(default, deserialize_with = "count_seq")]
    pub references: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct Cve5Metric {
    #[serde(default, rename = "cvssV4_0")]
    pub v40: Option<CvssData>,
    #[serde(default, rename = "cvssV3_1")]
    pub v31: Option<CvssData>,
    #[serde(default, rename = "cvssV3_0")]
    pub v30: Option<CvssData>,
    #[serde(default, rename = "cvssV2_0")]
    pub v2: Option<CvssData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cve5Affected {
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub cpes: Vec<String>,
    #[serde(default)]
    pub versions: Vec<Cve5Version>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cve5Version {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub less_than: Option<String>,
    #[serde(default)]
    pub less_than_or_equal: Option<String>,
}

fn cpe_name_part(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().to_lowercase().chars() {
        match c {
            ' ' => out.push('_'),
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// CVE 5 `affected` → NVD-style configurations, so one matcher serves both. Used only when the NVD
/// has no applicability statement for the CVE. Entries whose vendor/product is `n/a` are dropped.
pub fn cve5_configs(affected: &[Cve5Affected]) -> Vec<Config> {
    let mut out = Vec::new();
    for a in affected {
        let mut bases: Vec<String> = a
            .cpes
            .iter()
            .filter(|c| c.starts_with("cpe:2.3:"))
            .cloned()
            .collect();
        if bases.is_empty() {
            let (Some(v), Some(p)) = (a.vendor.as_deref(), a.product.as_deref()) else {
                continue;
            };
            if v.eq_ignore_ascii_case("n/a") || p.eq_ignore_ascii_case("n/a") {
                continue;
            }
            bases.push(format!(
                "cpe:2.3:a:{}:{}:*:*:*:*:*:*:*:*",
                cpe_name_part(v),
                cpe_name_part(p)
            ));
        }
        let mut node = Node {
            operator: "OR".into(),
            ..Node::default()
        };
        for base in bases.iter().take(16) {
            for v in a
                .versions
                .iter()
                .filter(|v| v.status == "affected")
                .take(1_000)
            {
                let mut cm = CpeMatch {
                    vulnerable: true,
                    criteria: base.clone(),
                    ..CpeMatch::default()
                };
                let ver = v.version.trim();
                if ver.eq_ignore_ascii_case("n/a") || ver.is_empty() {
                    continue;
                }
                if v.less_than.is_some() || v.less_than_or_equal.is_some() {
                    if ver != "0" && ver != "*" {
                        cm.version_start_including = Some(ver.to_string());
                    }
                    cm.version_end_excluding = v.less_than.clone().filter(|s| s != "*");
                    cm.version_end_including = v.less_than_or_equal.clone().filter(|s| s != "*");
                } else if let Some(c) = crate::cpe::Cpe::parse(base) {
                    // Exact version: put it into the criteria's version field.
                    let mut parts: Vec<String> = base.splitn(7, ':').map(str::to_string).collect();
                    if parts.len() == 7 && c.version == crate::cpe::Av::Any {
                        parts[5] = cpe_name_part(ver);
                        cm.criteria = parts.join(":");
                    }
                }
                node.cpe_match.push(cm);
            }
        }
        if !node.cpe_match.is_empty() {
            out.push(Config {
                nodes: vec![node],
                ..Config::default()
            });
        }
    }
    bound_configs(&mut out);
    out
}

// ---- OSV ----

#[derive(Debug, Deserialize)]
pub struct Osv {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    #[serde(default)]
    pub affected: Vec<OsvAffected>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OsvAffected {
    #[serde(default)]
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub ranges: Vec<OsvRange>,
    #[serde(default)]
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OsvPackage {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<OsvEvent>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OsvEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}
