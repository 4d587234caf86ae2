//! What every check reports, whether it looked at a firmware image (`iotassay-checks`) or at a
//! live device (`iotassay-probe`): a [`Finding`] names the provisions it informs, how bad it is and
//! the evidence a person can check. Both producers share the type so reports, verdicts and the
//! merge of a scan with a probe treat them alike; it sits below both so neither depends on the
//! other.

use std::fmt;

use iotassay_catalog::{Catalog, ProvisionId};
pub use iotassay_inventory::Evidence;
use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A fact worth knowing (an inventory item, a positive indicator); never a failure.
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Whether a finding of this severity breaks the provisions it names (Info does not).
    pub fn is_failure(self) -> bool {
        self >= Severity::Low
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity {s:?} (use info, low, medium, high or critical)")
            })
    }
}

/// One thing a check found, with the evidence that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that found it, `module.name` (e.g. `passwords.empty`).
    pub check: String,
    /// EN 303 645 provisions it informs.
    pub provisions: Vec<ProvisionId>,
    /// UK Code of Practice guidelines of those provisions (derived from the catalogue).
    pub guidelines: Vec<u8>,
    pub severity: Severity,
    /// One line for people: what is wrong, specifically ("root has an empty password").
    pub title: String,
    /// Why this breaks the provisions, in a sentence or two.
    pub rationale: String,
    /// Where it was seen: path, line, excerpt, provenance chain.
    pub evidence: Vec<Evidence>,
    /// What the manufacturer should do.
    pub remediation: String,
}

impl Finding {
    /// A finding with its guidelines filled in from the catalogue. Unknown provision ids are a
    /// programming error caught by the framework's tests.
    pub fn new(
        check: &str,
        provisions: &[&str],
        severity: Severity,
        title: impl Into<String>,
        rationale: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Self {
        let catalog = Catalog::get_static();
        let mut guidelines: Vec<u8> = provisions
            .iter()
            .filter_map(|p| catalog.get(p))
            .flat_map(|p| p.guidelines.iter().copied())
            .collect();
        guidelines.sort_unstable();
        guidelines.dedup();
        Finding {
            check: check.to_string(),
            provisions: provisions.iter().map(|p| ProvisionId::new(p)).collect(),
            guidelines,
            severity,
            title: title.into(),
            rationale: rationale.into(),
            evidence: Vec::new(),
            remediation: remediation.into(),
        }
    }

    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }
}
