//! Per-guideline status and coverage, derived from the provision verdicts ([`crate::verdict`]).
//!
//! A guideline is `pass` only when every one of its core provisions — mandatory in either version
//! of EN 303 645 (conditions included, since firmware cannot tell whether they hold) and visible in
//! firmware (catalogue automation `F`) — was examined by the firmware checks and nothing failed. A
//! guideline some of whose provisions were examined is `partial` and says which; one none of whose
//! provisions were examined is `not assessed` with the reason. A guideline without a core
//! provision (guideline 2: its disclosure policy is not in the firmware) never passes on firmware
//! evidence alone.

use std::collections::BTreeSet;

use iotassay_catalog::{Catalog, Level, Provision, GUIDELINES};
use serde::{Deserialize, Serialize};

use crate::verdict::{gaps_text, ProvisionVerdict, Verdict, Verdicts};
use crate::{Finding, Severity};

/// The outcome for one guideline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuidelineStatus {
    /// One of its provisions fails: a finding of severity low or above, or a declared claim the
    /// firmware contradicts.
    Fail,
    /// Every core provision was examined and nothing was found. This is the absence of detected
    /// problems, not proof of conformance.
    Pass,
    /// Some of its provisions were examined and nothing was found; the others were not
    /// (`examined`, `not_examined` say which).
    Partial,
    /// None of its provisions could be examined (nothing automatable from firmware, no file
    /// system found, or the checks could not see what they look at).
    NotAssessed,
}

impl GuidelineStatus {
    pub const ALL: [GuidelineStatus; 4] = [
        GuidelineStatus::Fail,
        GuidelineStatus::Pass,
        GuidelineStatus::Partial,
        GuidelineStatus::NotAssessed,
    ];

    /// For people.
    pub fn as_str(self) -> &'static str {
        match self {
            GuidelineStatus::Fail => "fail",
            GuidelineStatus::Pass => "pass",
            GuidelineStatus::Partial => "partly assessed",
            GuidelineStatus::NotAssessed => "not assessed",
        }
    }

    /// As serialised (`not-assessed`), for CSS classes and machine-readable outputs.
    pub fn key(self) -> &'static str {
        match self {
            GuidelineStatus::Fail => "fail",
            GuidelineStatus::Pass => "pass",
            GuidelineStatus::Partial => "partial",
            GuidelineStatus::NotAssessed => "not-assessed",
        }
    }
}

/// One guideline's status, findings and coverage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuidelineSummary {
    pub number: u8,
    pub title: String,
    pub status: GuidelineStatus,
    /// Findings per severity, `[info, low, medium, high, critical]`.
    pub findings: [usize; 5],
    /// Checks that inform provisions of this guideline and ran.
    pub checks: usize,
    /// Why this status: the failing provisions, what was and was not examined, or why nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its provisions the firmware checks examined, in catalogue order (schema 2).
    #[serde(default)]
    pub examined: Vec<String>,
    /// Its provisions they did not examine (declared not applicable ones left out; schema 2).
    #[serde(default)]
    pub not_examined: Vec<String>,
    /// Its core provisions: mandatory and visible in firmware; `pass` needs all examined (schema 2).
    #[serde(default)]
    pub core: Vec<String>,
}

impl GuidelineSummary {
    /// Its findings per severity, worst first (`["1 critical", "3 medium"]`); empty when none.
    pub fn finding_counts(&self) -> Vec<String> {
        Severity::ALL
            .iter()
            .rev()
            .zip(self.findings.iter().rev())
            .filter(|(_, &n)| n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect()
    }

    /// Provisions examined of those it has (`(2, 6)`); `None` in an assessment written before
    /// coverage was recorded.
    pub fn coverage(&self) -> Option<(usize, usize)> {
        let total = self.examined.len() + self.not_examined.len();
        (total > 0).then_some((self.examined.len(), total))
    }

    /// `2/6 examined`, or nothing before coverage was recorded.
    pub fn coverage_short(&self) -> Option<String> {
        self.coverage()
            .map(|(n, total)| format!("{n}/{total} examined"))
    }

    /// `2 of 6 provisions examined: 5.1-1, 5.1-3; not examined: 5.1-2, …`.
    pub fn coverage_text(&self) -> Option<String> {
        self.coverage()?;
        Some(coverage_text(&self.examined, &self.not_examined))
    }
}

fn coverage_text(examined: &[String], not_examined: &[String]) -> String {
    let mut s = format!(
        "{} of {} provisions examined",
        examined.len(),
        examined.len() + not_examined.len()
    );
    if !examined.is_empty() {
        s.push_str(&format!(": {}", examined.join(", ")));
    }
    if !not_examined.is_empty() {
        s.push_str(&format!("; not examined: {}", not_examined.join(", ")));
    }
    s
}

/// Whether a provision is core to its guideline: mandatory in either version (conditions and
/// features included) and visible in firmware.
pub fn is_core(p: &Provision) -> bool {
    let mandatory = p.v2_1_1.level == Level::Mandatory || p.v3_1_3.level == Level::Mandatory;
    mandatory && p.firmware_assessable()
}

/// Per-guideline status from the findings and the provision verdicts.
pub fn summarise(findings: &[Finding], verdicts: &Verdicts) -> Vec<GuidelineSummary> {
    GUIDELINES
        .iter()
        .map(|g| {
            let mut counts = [0usize; 5];
            for f in findings.iter().filter(|f| f.guidelines.contains(&g.number)) {
                counts[f.severity as usize] += 1;
            }
            let provisions: Vec<&ProvisionVerdict> = verdicts
                .provisions
                .iter()
                .filter(|p| p.guidelines.contains(&g.number))
                .collect();
            let (status, reason, coverage) = status_of(&provisions, &counts);
            let checks: BTreeSet<&str> = provisions
                .iter()
                .flat_map(|p| p.checks.iter().map(String::as_str))
                .collect();
            GuidelineSummary {
                number: g.number,
                title: g.title.to_string(),
                status,
                findings: counts,
                checks: checks.len(),
                reason,
                examined: coverage.examined,
                not_examined: coverage.not_examined,
                core: coverage.core,
            }
        })
        .collect()
}

#[derive(Default)]
struct Split {
    examined: Vec<String>,
    not_examined: Vec<String>,
    core: Vec<String>,
}

/// The status of a guideline with these provisions and finding counts, why, and its coverage.
fn status_of(
    provisions: &[&ProvisionVerdict],
    counts: &[usize; 5],
) -> (GuidelineStatus, Option<String>, Split) {
    let catalog = Catalog::get_static();
    let mut split = Split::default();
    for p in provisions
        .iter()
        .filter(|p| p.verdict != Verdict::NotApplicable)
    {
        if p.examined {
            split.examined.push(p.id.clone());
        } else {
            split.not_examined.push(p.id.clone());
        }
        if catalog.get(&p.id).is_some_and(is_core) {
            split.core.push(p.id.clone());
        }
    }
    let failing: Vec<&&ProvisionVerdict> = provisions
        .iter()
        .filter(|p| p.verdict == Verdict::Fail)
        .collect();
    if !failing.is_empty() || counts[1..].iter().any(|&n| n > 0) {
        let reason = (!failing.is_empty()).then(|| {
            failing
                .iter()
                .map(|p| format!("{}: {}", p.id, p.reason))
                .collect::<Vec<_>>()
                .join("; ")
        });
        return (GuidelineStatus::Fail, reason, split);
    }
    let examined = |id: &String| split.examined.contains(id);
    // Why the provisions not examined were not (`passwords.empty, …: no accounts found: …`).
    let gaps = gaps_text(
        provisions
            .iter()
            .filter(|p| !p.examined)
            .flat_map(|p| &p.not_examined),
    );
    let coverage = |split: &Split| coverage_text(&split.examined, &split.not_examined);
    if !split.core.is_empty() && split.core.iter().all(examined) {
        let reason = format!(
            "no problem found; every mandatory provision visible in firmware was examined ({})",
            coverage(&split)
        );
        return (GuidelineStatus::Pass, Some(reason), split);
    }
    if !split.examined.is_empty() {
        let missing: Vec<&str> = split
            .core
            .iter()
            .filter(|id| !examined(id))
            .map(String::as_str)
            .collect();
        let mut reason = format!("partly assessed: {}", coverage(&split));
        if split.core.is_empty() {
            reason.push_str(
                "; no mandatory provision of this guideline is visible in firmware, so firmware \
                 evidence alone cannot pass it",
            );
        } else {
            reason.push_str(&format!(
                "; mandatory provisions not examined: {}",
                missing.join(", ")
            ));
        }
        if !gaps.is_empty() {
            reason.push_str(&format!("; {gaps}"));
        }
        return (GuidelineStatus::Partial, Some(reason), split);
    }
    let reason = if !gaps.is_empty() {
        format!("not examined: {gaps}")
    } else if provisions.iter().any(|p| !p.checks.is_empty()) {
        // Informing checks ran without a gap but examined nothing: cannot happen with
        // verdicts from `judge`; said plainly for verdicts from elsewhere.
        "the checks that inform it examined none of its provisions".into()
    } else if provisions
        .iter()
        .filter_map(|p| catalog.get(&p.id))
        .any(|p| p.firmware_assessable())
    {
        "no automated firmware check covers this guideline yet".into()
    } else {
        "its provisions are not visible in firmware: the manufacturer's declaration or a lab \
         test is needed"
            .into()
    };
    (GuidelineStatus::NotAssessed, Some(reason), split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Basis;

    /// A verdict on a catalogue provision: examined (nothing found) or not, by the given checks.
    fn verdict(
        id: &str,
        examined: bool,
        checks: &[&str],
        gap: Option<(&str, &str)>,
    ) -> ProvisionVerdict {
        let p = Catalog::get_static().get(id).unwrap();
        ProvisionVerdict {
            id: id.into(),
            summary: p.summary.clone(),
            guidelines: p.guidelines.clone(),
            v2_1_1: p.v2_1_1.raw.clone(),
            v3_1_3: p.v3_1_3.raw.clone(),
            mandatory: p.v2_1_1.unconditionally_mandatory(),
            psti: p.psti,
            verdict: if examined {
                Verdict::Pass
            } else {
                Verdict::NotAssessed
            },
            basis: vec![Basis::Firmware],
            reason: String::new(),
            findings: Vec::new(),
            contradictions: Vec::new(),
            checks: checks.iter().map(|c| c.to_string()).collect(),
            examined,
            not_examined: gap
                .map(|(check, reason)| {
                    vec![crate::verdict::Gap {
                        check: check.into(),
                        reason: reason.into(),
                    }]
                })
                .unwrap_or_default(),
            justification: None,
            implementation: None,
        }
    }

    /// Every provision of the catalogue not examined, except those given.
    fn verdicts(given: Vec<ProvisionVerdict>) -> Verdicts {
        let mut provisions: Vec<ProvisionVerdict> = Catalog::get_static()
            .provisions
            .iter()
            .filter(|p| p.v2_1_1.applies() || p.v3_1_3.applies())
            .map(|p| verdict(p.id.as_str(), false, &[], None))
            .collect();
        for v in given {
            let i = provisions.iter().position(|p| p.id == v.id).unwrap();
            provisions[i] = v;
        }
        Verdicts {
            declaration: false,
            provisions,
            psti: Vec::new(),
        }
    }

    fn guideline(s: &[GuidelineSummary], n: u8) -> &GuidelineSummary {
        s.iter().find(|g| g.number == n).unwrap()
    }

    #[test]
    fn one_unrelated_check_does_not_pass_a_guideline() {
        // Guideline 2 (disclosure policy) with only the outdated-components check (5.2-3).
        let v = verdicts(vec![verdict(
            "5.2-3",
            true,
            &["updates.outdated_components"],
            None,
        )]);
        let s = summarise(&[], &v);
        let g = guideline(&s, 2);
        assert_eq!(g.status, GuidelineStatus::Partial);
        assert_eq!(g.examined, ["5.2-3"]);
        assert_eq!(g.not_examined, ["5.2-1", "5.2-2"]);
        assert!(g.core.is_empty(), "{:?}", g.core);
        let reason = g.reason.as_deref().unwrap();
        assert!(
            reason.contains("1 of 3 provisions examined: 5.2-3; not examined: 5.2-1, 5.2-2"),
            "{reason}"
        );
        assert!(reason.contains("cannot pass it"), "{reason}");
        assert_eq!(g.coverage_short().as_deref(), Some("1/3 examined"));
    }

    #[test]
    fn pass_needs_every_core_provision_examined() {
        // Guideline 13: 5.13-1 (V2), 5.13-1A and 5.13-1B (V3) are all mandatory and visible.
        let checks = ["input.command_injection"];
        let some = verdicts(vec![verdict("5.13-1", true, &checks, None)]);
        let g = guideline(&summarise(&[], &some), 13).clone();
        assert_eq!(g.status, GuidelineStatus::Partial);
        assert_eq!(g.core, ["5.13-1", "5.13-1A", "5.13-1B"]);
        assert!(
            g.reason
                .as_deref()
                .unwrap()
                .contains("mandatory provisions not examined: 5.13-1A, 5.13-1B"),
            "{:?}",
            g.reason
        );
        let all = verdicts(
            ["5.13-1", "5.13-1A", "5.13-1B"]
                .iter()
                .map(|id| verdict(id, true, &checks, None))
                .collect(),
        );
        let g = guideline(&summarise(&[], &all), 13).clone();
        assert_eq!(g.status, GuidelineStatus::Pass, "{:?}", g.reason);
        assert_eq!(g.coverage_short().as_deref(), Some("3/3 examined"));
    }

    #[test]
    fn checks_that_could_not_see_leave_a_guideline_not_assessed_with_why() {
        let why = "no accounts found: etc/passwd links to /var/passwd";
        let checks = ["passwords.empty", "passwords.default"];
        let v = verdicts(vec![
            verdict("5.1-1", false, &checks, Some((checks[0], why))),
            verdict("5.1-3", false, &checks, Some((checks[1], why))),
        ]);
        let s = summarise(&[], &v);
        let g = guideline(&s, 1);
        assert_eq!(g.status, GuidelineStatus::NotAssessed);
        // One reason, said once for the checks that share it.
        assert_eq!(
            g.reason.as_deref(),
            Some(&*format!(
                "not examined: passwords.empty, passwords.default: {why}"
            ))
        );
        assert!(g.examined.is_empty());
        // Nothing examinable and no check: said as such.
        let g = guideline(&s, 9);
        assert_eq!(g.status, GuidelineStatus::NotAssessed);
        assert!(g
            .reason
            .as_deref()
            .unwrap()
            .contains("not visible in firmware"));
    }

    #[test]
    fn a_failing_provision_fails_its_guideline() {
        let mut failing = verdict("5.1-1", true, &["passwords.empty"], None);
        failing.verdict = Verdict::Fail;
        failing.reason = "root has no password".into();
        let s = summarise(&[], &verdicts(vec![failing]));
        let g = guideline(&s, 1);
        assert_eq!(g.status, GuidelineStatus::Fail);
        assert_eq!(g.reason.as_deref(), Some("5.1-1: root has no password"));
    }

    #[test]
    fn old_summaries_without_coverage_still_load() {
        let old = r#"{"number":1,"title":"No universal default passwords","status":"pass",
            "findings":[0,0,0,0,0],"checks":8}"#;
        let g: GuidelineSummary = serde_json::from_str(old).unwrap();
        assert_eq!(g.status, GuidelineStatus::Pass);
        assert_eq!(g.coverage(), None);
    }
}
