//! The provisions iotassay assesses against, as data: each ETSI EN 303 645 provision (V2.1.1 and
//! V3.1.3 ids and status), the UK Code of Practice guideline it belongs to, the PSTI requirement it
//! is deemed to satisfy, and how it can be assessed.
//!
//! The catalogue is embedded (`data/provisions.json`, paraphrased summaries only) and parsed once.
//! Checks refer to provisions by [`ProvisionId`]; a typo there is caught by [`Catalog::get`] in tests.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// A provision id such as `5.1-1`, `5.3-4A` or `6-3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProvisionId(pub String);

impl ProvisionId {
    pub fn new(id: &str) -> Self {
        ProvisionId(id.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Sort key that orders `5.3-10` after `5.3-9` and `6-1` after `5.13-1B`.
    fn sort_key(&self) -> (u32, u32, u32, String) {
        let (clause, rest) = self.0.split_once('-').unwrap_or((&self.0, ""));
        let (major, minor) = clause.split_once('.').unwrap_or((clause, "0"));
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let suffix: String = rest.chars().skip_while(|c| c.is_ascii_digit()).collect();
        (
            major.parse().unwrap_or(u32::MAX),
            minor.parse().unwrap_or(u32::MAX),
            digits.parse().unwrap_or(u32::MAX),
            suffix,
        )
    }
}

impl fmt::Display for ProvisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// How strongly a provision applies in one version of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Mandatory,
    Recommended,
    /// Removed or split in this version.
    Void,
    /// Not present in this version.
    Absent,
}

/// Status of a provision in one version: level plus the Annex B conditions and (V3) features
/// that make it apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub level: Level,
    /// Annex B condition numbers, e.g. `C(3,4)` → `["3", "4"]`.
    pub conditions: Vec<String>,
    /// V3.1.3 feature letters, e.g. `F(a)` → `["a"]`.
    pub features: Vec<String>,
    /// The status as written in the catalogue (`M C(12)`).
    pub raw: String,
}

impl Status {
    fn parse(raw: &str) -> Status {
        let raw = raw.trim();
        let level = match raw.split_whitespace().next() {
            Some("M") => Level::Mandatory,
            Some("R") => Level::Recommended,
            Some("void") => Level::Void,
            _ => Level::Absent,
        };
        let mut conditions = Vec::new();
        let mut features = Vec::new();
        for token in raw.split_whitespace().skip(1) {
            let (kind, inner) = token.split_at(1);
            let inner = inner.trim_start_matches('(').trim_end_matches(')');
            let items = inner
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            match kind {
                "C" => conditions.extend(items),
                "F" => features.extend(items),
                _ => {}
            }
        }
        Status {
            level,
            conditions,
            features,
            raw: raw.to_string(),
        }
    }

    /// Present in this version (mandatory or recommended).
    pub fn applies(&self) -> bool {
        matches!(self.level, Level::Mandatory | Level::Recommended)
    }

    /// Mandatory with no condition or feature attached.
    pub fn unconditionally_mandatory(&self) -> bool {
        self.level == Level::Mandatory && self.conditions.is_empty() && self.features.is_empty()
    }
}

/// Where evidence for a provision can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Static analysis of the firmware image.
    Firmware,
    /// Checks of a live device.
    Live,
    /// Public web resources (disclosure policy, support period page).
    Web,
    /// The manufacturer's declaration.
    Declaration,
}

/// How well a source can decide a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// The source can decide it.
    Strong,
    /// The source gives partial or indicative evidence.
    Partial,
}

/// One provision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provision {
    pub id: ProvisionId,
    pub v2_1_1: Status,
    pub v3_1_3: Status,
    /// Paraphrase of the provision (not the standard's wording).
    pub summary: String,
    /// UK Code of Practice guidelines (1–13) it belongs to; empty for the CoP introduction.
    pub guidelines: Vec<u8>,
    /// The PSTI requirement it is deemed to satisfy, if any.
    pub psti: Option<Psti>,
    /// Related regimes and labels as noted in the catalogue (PSTI, CRA, Finnish and Singapore labels…).
    pub regimes: String,
    pub assessable_by: Vec<(Source, Strength)>,
    /// Names of the kinds of check that inform it (from the research).
    pub check_kinds: Vec<String>,
}

impl Provision {
    /// Whether static analysis of firmware can inform this provision.
    pub fn firmware_assessable(&self) -> bool {
        self.assessable_by
            .iter()
            .any(|(s, _)| *s == Source::Firmware)
    }
}

/// The three security requirements of the UK PSTI regime (Schedule 1 of SI 2023/1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Psti {
    /// Para. 1: no universal default or easily guessable passwords.
    Passwords,
    /// Para. 2: information on how to report security issues.
    VulnerabilityReporting,
    /// Para. 3: information on the minimum security update period.
    SupportPeriod,
}

impl Psti {
    pub const ALL: [Psti; 3] = [
        Psti::Passwords,
        Psti::VulnerabilityReporting,
        Psti::SupportPeriod,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Psti::Passwords => "Schedule 1 para 1: no universal default or guessable passwords",
            Psti::VulnerabilityReporting => "Schedule 1 para 2: how to report security issues",
            Psti::SupportPeriod => "Schedule 1 para 3: defined minimum security update period",
        }
    }
}

/// A UK Code of Practice guideline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Guideline {
    pub number: u8,
    pub title: &'static str,
}

/// The 13 guidelines of the UK Code of Practice for Consumer IoT Security (2018).
pub const GUIDELINES: [Guideline; 13] = [
    Guideline {
        number: 1,
        title: "No universal default passwords",
    },
    Guideline {
        number: 2,
        title: "Implement a vulnerability disclosure policy",
    },
    Guideline {
        number: 3,
        title: "Keep software updated",
    },
    Guideline {
        number: 4,
        title: "Securely store credentials and security-sensitive data",
    },
    Guideline {
        number: 5,
        title: "Communicate securely",
    },
    Guideline {
        number: 6,
        title: "Minimise exposed attack surfaces",
    },
    Guideline {
        number: 7,
        title: "Ensure software integrity",
    },
    Guideline {
        number: 8,
        title: "Ensure that personal data is protected",
    },
    Guideline {
        number: 9,
        title: "Make systems resilient to outages",
    },
    Guideline {
        number: 10,
        title: "Examine system telemetry data",
    },
    Guideline {
        number: 11,
        title: "Make it easy for consumers to delete personal data",
    },
    Guideline {
        number: 12,
        title: "Make installation and maintenance of devices easy",
    },
    Guideline {
        number: 13,
        title: "Validate input data",
    },
];

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalog {
    pub provisions: Vec<Provision>,
}

#[derive(Deserialize)]
struct RawFile {
    provisions: Vec<RawProvision>,
}

#[derive(Deserialize)]
struct RawProvision {
    id: String,
    status_v2_1_1: String,
    status_v3_1_3: String,
    summary_paraphrase: String,
    uk_cop_guideline: String,
    regimes: String,
    automation: String,
    checks: String,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::from_json(include_str!("../data/provisions.json"))
        .expect("the embedded catalogue is valid")
});

impl Catalog {
    /// The embedded catalogue.
    pub fn get_static() -> &'static Catalog {
        &CATALOG
    }

    /// Parse a catalogue in the `provisions.json` layout.
    pub fn from_json(text: &str) -> Result<Catalog, serde_json::Error> {
        let raw: RawFile = serde_json::from_str(text)?;
        let mut provisions: Vec<Provision> = raw
            .provisions
            .into_iter()
            .map(Provision::from_raw)
            .collect();
        provisions.sort_by_key(|p| p.id.sort_key());
        Ok(Catalog { provisions })
    }

    pub fn get(&self, id: &str) -> Option<&Provision> {
        self.provisions.iter().find(|p| p.id.0 == id)
    }

    /// Provisions belonging to guideline `n`.
    pub fn by_guideline(&self, n: u8) -> impl Iterator<Item = &Provision> {
        self.provisions
            .iter()
            .filter(move |p| p.guidelines.contains(&n))
    }

    /// Provisions deemed to satisfy a PSTI requirement.
    pub fn by_psti(&self, req: Psti) -> impl Iterator<Item = &Provision> {
        self.provisions.iter().filter(move |p| p.psti == Some(req))
    }
}

impl Provision {
    fn from_raw(r: RawProvision) -> Provision {
        let guidelines: BTreeSet<u8> = r
            .uk_cop_guideline
            .split('/')
            .filter_map(|g| g.trim().parse().ok())
            .filter(|g| (1..=13).contains(g))
            .collect();
        let psti = if r.regimes.contains("PSTI Sch1 p1 ") || r.regimes.contains("PSTI Sch1 p1(") {
            Some(Psti::Passwords)
        } else if r.regimes.contains("PSTI Sch1 p2") {
            Some(Psti::VulnerabilityReporting)
        } else if r.regimes.contains("PSTI Sch1 p3") {
            Some(Psti::SupportPeriod)
        } else {
            None
        };
        Provision {
            id: ProvisionId(r.id),
            v2_1_1: Status::parse(&r.status_v2_1_1),
            v3_1_3: Status::parse(&r.status_v3_1_3),
            summary: r.summary_paraphrase,
            guidelines: guidelines.into_iter().collect(),
            psti,
            regimes: r.regimes,
            assessable_by: parse_automation(&r.automation),
            check_kinds: r
                .checks
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        }
    }
}

/// `F●L◐D` → firmware strong, live partial, declaration strong.
fn parse_automation(code: &str) -> Vec<(Source, Strength)> {
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        let source = match c {
            'F' => Source::Firmware,
            'L' => Source::Live,
            'W' => Source::Web,
            'D' => Source::Declaration,
            _ => continue,
        };
        let strength = match chars.peek() {
            Some('◐') => {
                chars.next();
                Strength::Partial
            }
            Some('●') => {
                chars.next();
                Strength::Strong
            }
            _ => Strength::Strong,
        };
        out.push((source, strength));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provision_of_both_versions_is_there() {
        let c = Catalog::get_static();
        assert_eq!(c.provisions.len(), 84);
        let v2 = c.provisions.iter().filter(|p| p.v2_1_1.applies()).count();
        let v3 = c.provisions.iter().filter(|p| p.v3_1_3.applies()).count();
        assert_eq!(v2, 68, "V2.1.1 has 68 provisions");
        assert!(v3 > 60, "{v3}");
        // Sorted numerically, not as strings.
        let ids: Vec<&str> = c.provisions.iter().map(|p| p.id.as_str()).collect();
        let pos = |id| ids.iter().position(|x| *x == id).unwrap();
        assert!(pos("5.3-9") < pos("5.3-10"));
        assert!(pos("5.13-1B") < pos("6-1"));
        assert_eq!(ids[0], "5.0-1");
    }

    #[test]
    fn statuses_parse() {
        let c = Catalog::get_static();
        let p = c.get("5.1-1").unwrap();
        assert_eq!(p.v2_1_1.level, Level::Mandatory);
        assert_eq!(p.v2_1_1.conditions, vec!["1"]);
        assert_eq!(p.v3_1_3.features, vec!["a"]);
        assert_eq!(p.guidelines, vec![1]);
        assert!(p.firmware_assessable());
        let s = Status::parse("R C(3,4)");
        assert_eq!(s.level, Level::Recommended);
        assert_eq!(s.conditions, vec!["3", "4"]);
        assert_eq!(Status::parse("void").level, Level::Void);
        assert_eq!(Status::parse("—").level, Level::Absent);
        assert!(Status::parse("M").unconditionally_mandatory());
        assert!(!Status::parse("M C(14) F(e)").unconditionally_mandatory());
    }

    #[test]
    fn psti_maps_to_its_three_provisions() {
        let c = Catalog::get_static();
        let ids = |r| c.by_psti(r).map(|p| p.id.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(Psti::Passwords), vec!["5.1-1", "5.1-2"]);
        assert_eq!(ids(Psti::VulnerabilityReporting), vec!["5.2-1"]);
        assert_eq!(ids(Psti::SupportPeriod), vec!["5.3-13"]);
    }

    #[test]
    fn every_guideline_has_provisions_and_shared_ones_count_twice() {
        let c = Catalog::get_static();
        for g in GUIDELINES {
            assert!(
                c.by_guideline(g.number).count() > 0,
                "guideline {}",
                g.number
            );
        }
        // "1/5" in the data: belongs to both guidelines.
        let shared: Vec<_> = c
            .provisions
            .iter()
            .filter(|p| p.guidelines.len() == 2)
            .collect();
        assert!(shared.iter().any(|p| p.guidelines == vec![1, 5]));
    }

    #[test]
    fn automation_codes_parse() {
        assert_eq!(
            parse_automation("F●L◐D"),
            vec![
                (Source::Firmware, Strength::Strong),
                (Source::Live, Strength::Partial),
                (Source::Declaration, Strength::Strong)
            ]
        );
        assert_eq!(parse_automation("W◐D").len(), 2);
    }
}
