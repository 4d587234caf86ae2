//! The firmware checks: each module looks at one concern of an unpacked image (passwords,
//! secrets, services, hardening, updates, communications, input handling, personal data) and
//! reports [`Finding`]s that name the provisions they inform and carry evidence a person can check.
//!
//! A check never states more than its evidence supports: it reports what it saw, and whether it
//! could see what it looks at ([`Coverage`]); the provision verdicts (pass / fail / declared / not
//! assessed / not applicable) are derived later from the findings, the checks that ran and the
//! manufacturer's declaration, and each guideline's status from its provisions' verdicts.
//!
//! Modules depend downward only: [`framework`] (checks, coverage) ← [`verdict`] (per provision)
//! ← [`summary`] (per guideline) ← [`assessment`] (one image, the JSON every report reads).

use iotassay_inventory::{FileTree, Inventory};
use iotassay_unpack::Manifest;
use rayon::prelude::*;

pub mod assessment;
pub mod comms;
pub mod crypt;
mod filescan;
pub mod framework;
pub mod hardening;
pub mod input;
pub mod mcu;
pub mod opaque;
pub mod passwords;
pub mod privacy;
pub mod secrets;
pub mod services;
pub mod summary;
pub mod updates;
pub mod verdict;

pub use assessment::{
    assess, assess_file, assess_manifest, attach_declaration, attach_security_txt,
    attach_vulnerabilities, Assessment, Spill, Vulnerabilities,
};
pub use framework::{all_checks, run_checks, CheckInfo, CheckRun, Coverage};
pub use iotassay_findings::{Finding, Severity};
pub use opaque::{Opacity, Readability, Unread, OPAQUE};
pub use summary::{GuidelineStatus, GuidelineSummary};
pub use verdict::{Basis, Contradiction, Gap, ProvisionVerdict, PstiVerdict, Verdict, Verdicts};

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
    /// Whether it could examine its provisions on this image (see [`Coverage`]). By default a
    /// check examines them when the image has a root file system.
    fn coverage(&self, cx: &Context<'_>) -> Coverage {
        Coverage::of_root(cx)
    }
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
