//! Per-provision verdicts: what the evidence (findings, the checks that ran) and the manufacturer's
//! declaration together support for each EN 303 645 provision, plus the PSTI summary.
//!
//! A verdict never claims more than its basis: "pass" means checks that examine the provision ran,
//! could see what they look at (their [`crate::Coverage`]) and found nothing; what only the manufacturer states is "declared", not
//! "pass"; with neither, the verdict is "not assessed" and says why. A declared claim the evidence
//! contradicts is a failure naming both.

use std::collections::BTreeMap;
use std::fmt;

use iotassay_catalog::{Catalog, Level, Provision, Psti};
use iotassay_declaration::{Declaration, PasswordMechanism, SecurityTxtCheck};
use iotassay_inventory::{Enablement, Inventory};
use serde::{Deserialize, Serialize};

use crate::framework::CheckInfo;
use crate::Finding;

/// The outcome for one provision. Ordered from best to worst for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The manufacturer declared it not applicable, with a justification, and nothing contradicts it.
    NotApplicable,
    /// Checks that inform it ran, could see what they look at, and found nothing (absence of
    /// detected problems).
    Pass,
    /// The manufacturer declares it implemented; nothing automated can confirm or refute it.
    Declared,
    /// Neither evidence nor declaration decides it; `reason` says what is missing.
    NotAssessed,
    /// Evidence shows it is not met, or a declared claim is contradicted, or a mandatory provision
    /// is declared not applicable without justification.
    Fail,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Fail,
        Verdict::NotAssessed,
        Verdict::Declared,
        Verdict::Pass,
        Verdict::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotApplicable => "not applicable",
            Verdict::Pass => "pass",
            Verdict::Declared => "declared",
            Verdict::NotAssessed => "not assessed",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Findings or the absence of findings of checks that ran on the firmware.
    Firmware,
    /// The manufacturer's declaration.
    Declaration,
    /// Known vulnerabilities of the components (local database).
    Vulnerabilities,
}

/// A declared statement and the evidence that contradicts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    /// What the declaration states, with where ("declares the interfaces: web-ui, uart (no telnet)").
    pub claim: String,
    /// What the firmware shows ("etc/init.d/telnet:31 starts telnetd at boot").
    pub evidence: String,
    /// The finding that carries the evidence, an index into `Assessment::findings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<usize>,
}

/// The verdict on one provision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisionVerdict {
    pub id: String,
    /// Paraphrase of the provision.
    pub summary: String,
    pub guidelines: Vec<u8>,
    /// Status in EN 303 645 V2.1.1 and V3.1.3 as the standard writes it (`M`, `R C(3)`, `void`, …).
    pub v2_1_1: String,
    pub v3_1_3: String,
    /// Mandatory without condition in either version.
    pub mandatory: bool,
    /// The PSTI requirement it is deemed to satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psti: Option<Psti>,
    pub verdict: Verdict,
    pub basis: Vec<Basis>,
    /// One sentence: why this verdict.
    pub reason: String,
    /// Findings (low or above) that inform it, indexes into `Assessment::findings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contradictions: Vec<Contradiction>,
    /// Checks that inform it and ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// Whether the firmware checks examined it: one of them found a problem, or they ran, could
    /// see what they look at and found nothing. False in assessments before schema 2.
    #[serde(default)]
    pub examined: bool,
    /// Checks that inform it but could not examine it on this image, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_examined: Vec<Gap>,
    /// The declaration's justification for "not applicable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The declaration's "implemented how".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
}

/// A check that ran but could not examine what it looks at, and why (its [`crate::Coverage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub check: String,
    /// `no accounts found: etc/passwd links to /var/passwd, absent from the image`.
    pub reason: String,
}

/// Gaps for people, the checks that share a reason named together:
/// `passwords.empty, passwords.default: no accounts found: …`.
pub fn gaps_text<'a>(gaps: impl IntoIterator<Item = &'a Gap>) -> String {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for g in gaps {
        match by_reason.iter_mut().find(|(r, _)| *r == g.reason) {
            Some((_, checks)) if checks.contains(&g.check.as_str()) => {}
            Some((_, checks)) => checks.push(&g.check),
            None => by_reason.push((&g.reason, vec![&g.check])),
        }
    }
    by_reason
        .iter()
        .map(|(reason, checks)| format!("{}: {reason}", checks.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The verdict on one PSTI security requirement (Schedule 1 of SI 2023/1007).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PstiVerdict {
    pub requirement: Psti,
    pub title: String,
    pub verdict: Verdict,
    /// The EN 303 645 provisions deemed to satisfy it.
    pub provisions: Vec<String>,
    pub reason: String,
}

/// Every provision's verdict and the PSTI summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verdicts {
    /// Whether a manufacturer's declaration was taken into account.
    pub declaration: bool,
    /// In catalogue order.
    pub provisions: Vec<ProvisionVerdict>,
    pub psti: Vec<PstiVerdict>,
}

impl Verdicts {
    pub fn get(&self, id: &str) -> Option<&ProvisionVerdict> {
        self.provisions.iter().find(|p| p.id == id)
    }

    /// How many provisions have each verdict.
    pub fn counts(&self) -> BTreeMap<Verdict, usize> {
        let mut counts = BTreeMap::new();
        for p in &self.provisions {
            *counts.entry(p.verdict).or_insert(0) += 1;
        }
        counts
    }
}

/// What the firmware showed: the checks that ran (with their coverage), their findings and the
/// inventory the declaration's claims are compared with.
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    pub checks: &'a [CheckInfo],
    pub findings: &'a [Finding],
    pub inventory: &'a Inventory,
}

/// What the manufacturer declared: the declaration and, when it names one, its security.txt as
/// read and validated.
#[derive(Clone, Copy)]
pub struct Declared<'a> {
    pub declaration: &'a Declaration,
    pub security_txt: Option<&'a SecurityTxtCheck>,
}

/// Judge every provision from the firmware facts and, when given, the declaration.
pub fn judge(a: Facts<'_>, declared: Option<Declared<'_>>) -> Verdicts {
    let catalog = Catalog::get_static();
    let declaration = declared.map(|d| d.declaration);
    let security_txt = declared.and_then(|d| d.security_txt);
    let contradictions = declaration
        .map(|d| contradictions(a, d))
        .unwrap_or_default();
    let provisions: Vec<ProvisionVerdict> = catalog
        .provisions
        .iter()
        .filter(|p| p.v2_1_1.applies() || p.v3_1_3.applies())
        .map(|p| {
            let against: Vec<Contradiction> = contradictions
                .iter()
                .filter(|(id, _)| *id == p.id.as_str())
                .map(|(_, c)| c.clone())
                .collect();
            judge_one(a, p, declaration, security_txt, against)
        })
        .collect();
    let psti = Psti::ALL
        .iter()
        .map(|&req| psti_verdict(req, &provisions, declaration))
        .collect();
    Verdicts {
        declaration: declaration.is_some(),
        provisions,
        psti,
    }
}

fn judge_one(
    a: Facts<'_>,
    p: &Provision,
    declaration: Option<&Declaration>,
    security_txt: Option<&SecurityTxtCheck>,
    contradictions: Vec<Contradiction>,
) -> ProvisionVerdict {
    let id = p.id.as_str();
    let findings: Vec<usize> = a
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity.is_failure() && f.provisions.iter().any(|x| x.as_str() == id))
        .map(|(i, _)| i)
        .collect();
    let informing: Vec<&CheckInfo> = a
        .checks
        .iter()
        .filter(|c| c.provisions.iter().any(|x| x == id))
        // On a microcontroller image without a root file system only the checks written for
        // such images apply; the others look for files a root holds.
        .filter(|c| crate::mcu::examines(a.inventory, &c.id))
        .collect();
    let checks: Vec<String> = informing.iter().map(|c| c.id.clone()).collect();
    let not_examined: Vec<Gap> = informing
        .iter()
        .filter_map(|c| {
            Some(Gap {
                check: c.id.clone(),
                reason: c.not_examined.clone()?,
            })
        })
        .collect();
    // One check that could not see what it looks at leaves the provision unexamined: the others
    // finding nothing there says nothing about what it could not see.
    let examined =
        !findings.is_empty() || (informing.iter().any(|c| c.examined()) && not_examined.is_empty());
    let statement = declaration.and_then(|d| d.provisions.iter().find(|(k, _)| k.0 == id));
    let statement = statement.map(|(_, s)| s);
    let mandatory = p.v2_1_1.unconditionally_mandatory() || p.v3_1_3.unconditionally_mandatory();
    let mut basis = Vec::new();
    if !checks.is_empty() || !findings.is_empty() {
        basis.push(Basis::Firmware);
    }
    if statement.is_some() || !contradictions.is_empty() {
        basis.push(Basis::Declaration);
    }
    let declared_fact = declaration.and_then(|d| declared_fact(p, d, security_txt));
    if declared_fact.is_some() && !basis.contains(&Basis::Declaration) {
        basis.push(Basis::Declaration);
    }

    let fact_problem = match &declared_fact {
        Some(Err(problem)) => Some(problem.clone()),
        _ => None,
    };
    let titles = |idx: &[usize]| -> String {
        let mut titles: Vec<&str> = idx.iter().map(|&i| a.findings[i].title.as_str()).collect();
        titles.dedup();
        let more = titles.len().saturating_sub(3);
        titles.truncate(3);
        let mut s = titles.join("; ");
        if more > 0 {
            s.push_str(&format!(" (and {more} more)"));
        }
        s
    };

    let (verdict, reason) = match statement {
        Some(s) if !s.applies => match (&s.justification, findings.is_empty()) {
            (_, false) => (
                Verdict::Fail,
                format!(
                    "declared not applicable, but the firmware shows: {}",
                    titles(&findings)
                ),
            ),
            (None, true) if mandatory => (
                Verdict::Fail,
                "a mandatory provision is declared not applicable without a justification (EN 303 645 5.0-1)".into(),
            ),
            (Some(j), true) => (
                Verdict::NotApplicable,
                format!("declared not applicable: {j}"),
            ),
            (None, true) => (
                Verdict::NotApplicable,
                "declared not applicable (a recommendation; no justification given)".into(),
            ),
        },
        _ if !contradictions.is_empty() => {
            let c = &contradictions[0];
            (
                Verdict::Fail,
                format!("{} — but {}", c.claim, c.evidence),
            )
        }
        _ if !findings.is_empty() => (Verdict::Fail, titles(&findings)),
        _ if fact_problem.is_some() => (Verdict::Fail, fact_problem.unwrap_or_default()),
        _ if examined => (
            Verdict::Pass,
            format!(
                "no problem found by {} check{} that examine{} it",
                checks.len(),
                if checks.len() == 1 { "" } else { "s" },
                if checks.len() == 1 { "s" } else { "" }
            ),
        ),
        _ if statement.is_some() || declared_fact.is_some() => {
            let mut parts = Vec::new();
            if let Some(Ok(fact)) = &declared_fact {
                parts.push(fact.clone());
            }
            match statement.and_then(|s| s.implementation.as_deref()) {
                Some(how) => parts.push(format!("declared implemented: {how}")),
                None if parts.is_empty() => {
                    parts.push("declared applicable; no automated check can confirm it".into())
                }
                None => {}
            }
            (Verdict::Declared, parts.join("; "))
        }
        _ if !checks.is_empty() => (
            Verdict::NotAssessed,
            format!("not examined: {}", gaps_text(&not_examined)),
        ),
        _ if declaration.is_none() => (
            Verdict::NotAssessed,
            if p.firmware_assessable() {
                "no automated firmware check covers it yet; the manufacturer's declaration or a lab test is needed".into()
            } else {
                "not visible in firmware: needs the manufacturer's declaration (scan --declaration) or a lab test".into()
            },
        ),
        _ => (
            Verdict::NotAssessed,
            "the declaration does not address it and no automated check covers it".into(),
        ),
    };

    ProvisionVerdict {
        id: id.to_string(),
        summary: p.summary.clone(),
        guidelines: p.guidelines.clone(),
        v2_1_1: status_text(p.v2_1_1.level, &p.v2_1_1.raw),
        v3_1_3: status_text(p.v3_1_3.level, &p.v3_1_3.raw),
        mandatory,
        psti: p.psti,
        verdict,
        basis,
        reason,
        findings,
        contradictions,
        checks,
        examined,
        not_examined,
        justification: statement.and_then(|s| s.justification.clone()),
        implementation: statement.and_then(|s| s.implementation.clone()),
    }
}

fn status_text(level: Level, raw: &str) -> String {
    match level {
        Level::Absent => "—".into(),
        _ => raw.to_string(),
    }
}

/// What the declaration's structured sections (not the per-provision table) establish for the
/// provisions they speak to: `Ok(reason)` when declared, `Err(problem)` when the declaration itself
/// shows the provision is not met.
fn declared_fact(
    p: &Provision,
    d: &Declaration,
    security_txt: Option<&SecurityTxtCheck>,
) -> Option<Result<String, String>> {
    match p.id.as_str() {
        "5.2-1" => {
            let contacts = &d.vulnerability_disclosure.contact;
            Some(if contacts.is_empty() {
                Err("the declaration names no vulnerability-disclosure contact".into())
            } else {
                let policy = d
                    .vulnerability_disclosure
                    .policy
                    .as_deref()
                    .map(|p| format!("; policy {p}"))
                    .unwrap_or_default();
                // An unreadable or invalid security.txt does not undo the declared contact, but
                // is said where the contact is.
                let txt = security_txt
                    .map(|t| format!("; {}", t.summary()))
                    .unwrap_or_default();
                Ok(format!(
                    "declared disclosure contact {}{policy}{txt}",
                    contacts.join(", ")
                ))
            })
        }
        "5.3-13" => Some(match d.support_period.end() {
            Some(end) => {
                let today = time::OffsetDateTime::now_utc().date();
                if end.0 < today {
                    Err(format!(
                        "the declared support period ended on {end}: the product no longer receives security updates"
                    ))
                } else {
                    Ok(format!("declared support period ends on {end}"))
                }
            }
            None => Err("the declaration does not define the support period's end".into()),
        }),
        "5.1-1" => Some(Ok(format!(
            "declared password mechanism: {}",
            mechanism_text(d.passwords.mechanism)
        ))),
        _ => None,
    }
}

fn mechanism_text(m: PasswordMechanism) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{m:?}"))
}

/// Declared statements the firmware evidence contradicts, as `(provision id, contradiction)`.
fn contradictions(a: Facts<'_>, d: &Declaration) -> Vec<(&'static str, Contradiction)> {
    let mut out = Vec::new();
    // Services the firmware starts at boot that the declaration's complete interface list omits
    // or declares unexposed.
    for (kind, programs, words) in iotassay_inventory::services::INTERFACE_KINDS {
        let started: Vec<_> = a
            .inventory
            .services
            .services
            .iter()
            .filter(|s| programs.contains(&s.program.as_str()))
            .filter(|s| s.enablement() == Enablement::Yes)
            .collect();
        let Some(service) = started.first() else {
            continue;
        };
        let where_ = match service.evidence.line {
            Some(line) => format!("{}:{line}", service.evidence.path),
            None => service.evidence.path.clone(),
        };
        let evidence = format!("{where_} starts {} at boot", service.program);
        let finding = finding_about(a.findings, &service.evidence.path, &service.program);
        if let Some(claim) = d.claim_against_interface(kind, words) {
            let debug = *kind == "TP-Link debug protocol (tddp)";
            out.push((
                if debug { "5.6-4" } else { "5.6-1" },
                Contradiction {
                    claim,
                    evidence,
                    finding,
                },
            ));
        }
    }

    // A universal default or empty password against the declared password mechanism.
    if let Some((i, f)) = a.findings.iter().enumerate().find(|(_, f)| {
        f.severity.is_failure() && f.provisions.iter().any(|p| p.as_str() == "5.1-1")
    }) {
        out.push((
            "5.1-1",
            Contradiction {
                claim: format!(
                    "the declaration states the password mechanism is {}",
                    mechanism_text(d.passwords.mechanism)
                ),
                evidence: match f.evidence.first() {
                    Some(e) => format!("{} ({})", f.title, e.path),
                    None => f.title.clone(),
                },
                finding: Some(i),
            },
        ));
    }
    out
}

/// The first finding whose evidence points at `path` or whose title names `program`.
fn finding_about(findings: &[Finding], path: &str, program: &str) -> Option<usize> {
    findings
        .iter()
        .position(|f| f.severity.is_failure() && f.evidence.iter().any(|e| e.path == path))
        .or_else(|| {
            findings
                .iter()
                .position(|f| f.severity.is_failure() && f.title.contains(program))
        })
}

fn psti_verdict(
    req: Psti,
    provisions: &[ProvisionVerdict],
    declaration: Option<&Declaration>,
) -> PstiVerdict {
    let mapped: Vec<&ProvisionVerdict> =
        provisions.iter().filter(|p| p.psti == Some(req)).collect();
    let worst = mapped
        .iter()
        .map(|p| p.verdict)
        .filter(|v| *v != Verdict::NotApplicable)
        .max()
        .unwrap_or(Verdict::NotAssessed);
    let reason = match worst {
        Verdict::Fail => mapped
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .map(|p| format!("{}: {}", p.id, p.reason))
            .collect::<Vec<_>>()
            .join("; "),
        Verdict::NotAssessed if declaration.is_none() => {
            "not assessed: give the manufacturer's declaration (scan --declaration FILE)".into()
        }
        _ => mapped
            .iter()
            .map(|p| format!("{}: {}", p.id, p.reason))
            .collect::<Vec<_>>()
            .join("; "),
    };
    PstiVerdict {
        requirement: req,
        title: req.title().to_string(),
        verdict: worst,
        provisions: mapped.iter().map(|p| p.id.clone()).collect(),
        reason,
    }
}
