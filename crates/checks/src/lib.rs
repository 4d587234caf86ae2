//! The firmware checks: each module looks at one concern of an unpacked image (passwords,
//! secrets, services, hardening, updates, communications, input handling, personal data) and
//! reports [`Finding`]s that name the provisions they inform and carry evidence a person can check.
//!
//! A check never states more than its evidence supports: it reports what it saw, and the provision
//! verdicts (pass / fail / not assessed / not applicable) are derived later from the findings, the
//! checks that ran and the manufacturer's declaration.

use std::fmt;

use iotassay_catalog::{Catalog, ProvisionId};
use iotassay_inventory::{Evidence, FileTree, Inventory};
use iotassay_unpack::Manifest;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub mod assessment;
pub mod comms;
pub mod crypt;
mod filescan;
pub mod framework;
pub mod hardening;
pub mod input;
pub mod passwords;
pub mod privacy;
pub mod secrets;
pub mod services;
pub mod updates;
pub mod verdict;

pub use assessment::{
    assess, assess_manifest, attach_declaration, attach_vulnerabilities, Assessment,
    GuidelineStatus, GuidelineSummary, Vulnerabilities,
};
pub use framework::{all_checks, run_checks, CheckInfo, CheckRun};
pub use verdict::{Basis, Contradiction, ProvisionVerdict, PstiVerdict, Verdict, Verdicts};

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

/// Options the user gives the checks.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Extra password candidates (user wordlists), tried after the built-in lists.
    pub extra_passwords: Vec<String>,
    /// A component whose release line had been superseded for more than this many years when
    /// the image was built is reported (`updates.outdated_components`).
    pub max_component_age_years: u32,
}

/// The default for [`CheckOptions::max_component_age_years`].
pub const DEFAULT_MAX_COMPONENT_AGE_YEARS: u32 = 5;

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            extra_passwords: Vec::new(),
            max_component_age_years: DEFAULT_MAX_COMPONENT_AGE_YEARS,
        }
    }
}

/// What every check sees: the unpacked image, its file tree and its inventory.
pub struct Context<'a> {
    pub manifest: &'a Manifest,
    pub tree: &'a FileTree<'a>,
    pub inventory: &'a Inventory,
    pub options: &'a CheckOptions,
}

/// One check. Implementations are unit structs listed in [`framework::all_checks`].
pub trait Check: Sync {
    /// Stable id, `module.name`.
    fn id(&self) -> &'static str;
    /// What it looks for, for people (one line).
    fn title(&self) -> &'static str;
    /// Provisions this check informs: when it runs and finds nothing, these were examined.
    fn provisions(&self) -> &'static [&'static str];
    /// Run on an image; return findings (empty when nothing was found).
    fn run(&self, cx: &Context<'_>) -> Vec<Finding>;
}

/// Run every check in parallel; findings sorted by severity (worst first), then check id.
pub fn run_all(cx: &Context<'_>) -> Vec<Finding> {
    let checks = all_checks();
    let mut findings: Vec<Finding> = checks.par_iter().flat_map_iter(|c| c.run(cx)).collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
    });
    findings
}
