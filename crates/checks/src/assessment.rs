//! One image assessed: unpack in memory, inventory, run every check, summarise per guideline.
//! The [`Assessment`] is the source of truth every report is rendered from; its layout is
//! versioned by [`SCHEMA`] and documented in `docs/assessment.md`.

use std::time::Instant;

use iotassay_catalog::{Catalog, GUIDELINES};
use iotassay_inventory::{FileTree, Inventory};
use iotassay_unpack::{Manifest, Options, Region, Warning};
use serde::{Deserialize, Serialize};

use crate::framework::{run_checks, CheckInfo};
use crate::verdict::{judge, refresh_guidelines, Verdicts};
use crate::{CheckOptions, Context, Finding, Severity};

/// Identifies the layout of [`Assessment`]; bump on incompatible change.
pub const SCHEMA: &str = "iotassay.assessment/1";

/// Everything known about one firmware image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assessment {
    pub schema: String,
    pub tool: Tool,
    pub input: iotassay_unpack::manifest::Input,
    pub unpack: UnpackSummary,
    pub inventory: Inventory,
    /// The checks that ran, with the provisions each examined.
    pub checks: Vec<CheckInfo>,
    /// Worst first.
    pub findings: Vec<Finding>,
    /// One entry per UK Code of Practice guideline, 1 to 13.
    pub guidelines: Vec<GuidelineSummary>,
    /// Known vulnerabilities of the inventory's components, from the local database (`scan --db`).
    #[serde(default)]
    pub vulnerabilities: Vulnerabilities,
    /// The manufacturer's declaration the verdicts took into account (`scan --declaration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<iotassay_declaration::Declaration>,
    /// Per-provision verdicts and the PSTI summary, from findings, checks and the declaration.
    #[serde(default)]
    pub verdicts: Verdicts,
    /// What could not be read (encrypted or unknown-format bytes) and the input's entropy
    /// profile; absent when the input bytes were not at hand (`assess_manifest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<crate::opaque::Opacity>,
    pub timings: Timings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What unpacking found, without the node list (the inventory holds what checks need).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnpackSummary {
    pub regions: Vec<Region>,
    pub warnings: Vec<Warning>,
    pub aborted: Option<String>,
    pub stats: iotassay_unpack::manifest::Stats,
}

/// The outcome for one guideline, from the firmware checks alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuidelineStatus {
    /// At least one finding of severity low or above informs a provision of this guideline.
    Fail,
    /// Checks that examine this guideline ran on a root file system and found nothing.
    /// This is the absence of detected problems, not proof of conformance.
    Pass,
    /// No check could examine it (nothing automatable from firmware, or no file system found).
    NotAssessed,
}

impl GuidelineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GuidelineStatus::Fail => "fail",
            GuidelineStatus::Pass => "pass",
            GuidelineStatus::NotAssessed => "not assessed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuidelineSummary {
    pub number: u8,
    pub title: String,
    pub status: GuidelineStatus,
    /// Findings per severity, `[info, low, medium, high, critical]`.
    pub findings: [usize; 5],
    /// Checks that examine provisions of this guideline.
    pub checks: usize,
    /// Why it is not assessed, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
}

/// The components' known vulnerabilities, or why they were not looked up.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vulnerabilities {
    /// Whether a database was consulted; when not, `note` says why.
    pub assessed: bool,
    pub note: Option<String>,
    /// Matches, worst first (KEV first, then CVSS). `component` indexes `inventory.components`.
    pub matches: Vec<iotassay_vulndb::Match>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub unpack_ms: u64,
    pub inventory_ms: u64,
    pub checks_ms: u64,
    pub total_ms: u64,
}

impl Assessment {
    /// The worst severity among findings, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Assess an image already unpacked in memory (`keep_data` set).
pub fn assess_manifest(manifest: &Manifest, options: &CheckOptions, unpack_ms: u64) -> Assessment {
    let started = Instant::now();
    let inventory = iotassay_inventory::inventory(manifest);
    let inventory_ms = started.elapsed().as_millis() as u64;
    let tree = FileTree::new(manifest);
    let cx = Context {
        manifest,
        tree: &tree,
        inventory: &inventory,
        options,
    };
    let checks_started = Instant::now();
    let run = run_checks(&cx);
    let checks_ms = checks_started.elapsed().as_millis() as u64;
    let guidelines = summarise(
        &crate::mcu::applicable(&run.checks, &inventory),
        &run.findings,
        crate::mcu::examinable(&inventory),
    );
    let mut assessment = Assessment {
        schema: SCHEMA.to_string(),
        tool: Tool {
            name: "iotassay".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        input: manifest.input.clone(),
        unpack: UnpackSummary {
            regions: manifest.regions.clone(),
            warnings: manifest.warnings.clone(),
            aborted: manifest.aborted.clone(),
            stats: manifest.stats.clone(),
        },
        inventory,
        checks: run.checks,
        findings: run.findings,
        guidelines,
        vulnerabilities: Vulnerabilities {
            assessed: false,
            note: Some(
                "no vulnerability database was given (iotassay db import …, then scan --db)".into(),
            ),
            matches: Vec::new(),
        },
        declaration: None,
        verdicts: Verdicts::default(),
        opacity: None,
        timings: Timings {
            unpack_ms,
            inventory_ms,
            checks_ms,
            total_ms: 0,
        },
    };
    rejudge(&mut assessment);
    assessment.timings.total_ms = unpack_ms + started.elapsed().as_millis() as u64;
    assessment
}

/// Take the manufacturer's declaration into account: per-provision verdicts, contradictions
/// between declared claims and the firmware evidence, and the PSTI summary are recomputed.
pub fn attach_declaration(a: &mut Assessment, declaration: iotassay_declaration::Declaration) {
    a.declaration = Some(declaration);
    rejudge(a);
}

/// Recompute verdicts and the per-guideline summary from the findings and the declaration.
fn rejudge(a: &mut Assessment) {
    a.verdicts = judge(a, a.declaration.as_ref());
    a.guidelines = summarise(
        &crate::mcu::applicable(&a.checks, &a.inventory),
        &a.findings,
        crate::mcu::examinable(&a.inventory),
    );
    refresh_guidelines(&mut a.guidelines, &a.verdicts);
    crate::opaque::apply(a);
}

/// Match the inventory's components against a local vulnerability database and record the
/// result in the assessment (CPE and purl per component, as the inventory found them).
pub fn attach_vulnerabilities(a: &mut Assessment, db: &iotassay_vulndb::Db) -> Result<(), String> {
    let refs: Vec<iotassay_vulndb::ComponentRef> = a
        .inventory
        .components
        .iter()
        .map(|c| iotassay_vulndb::ComponentRef {
            name: c.name.clone(),
            version: (!c.version.is_empty()).then(|| c.version.clone()),
            vendor: None,
            product: None,
            cpe: c.cpe.clone(),
            purl: (!c.purl.is_empty()).then(|| c.purl.clone()),
        })
        .collect();
    let mut matches = db.matches(&refs).map_err(|e| e.to_string())?;
    matches.sort_by(|x, y| {
        let score = |m: &iotassay_vulndb::Match| m.cvss.as_ref().map_or(0.0, |c| c.score);
        (y.kev, score(y))
            .partial_cmp(&(x.kev, score(x)))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| x.cve.cmp(&y.cve))
    });
    a.vulnerabilities = Vulnerabilities {
        assessed: true,
        note: None,
        matches,
    };
    Ok(())
}

/// Inputs from this size on are unpacked to a temporary folder and their files read mapped from
/// it ([`Spill`]); smaller ones are unpacked in memory, which is faster while it fits easily.
pub const SPILL_FROM: u64 = 32 << 20;

/// Where `assess` keeps the unpacked files of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spill {
    /// In memory below [`SPILL_FROM`], in a temporary folder from it on.
    Auto,
    Memory,
    /// In a temporary folder (under `TMPDIR`), removed when the assessment ends, even on error;
    /// file contents are mapped from it, so memory stays bounded whatever the image unpacks to.
    Disk,
}

impl Spill {
    fn to_disk(self, input_len: u64) -> bool {
        match self {
            Spill::Auto => input_len >= SPILL_FROM,
            Spill::Memory => false,
            Spill::Disk => true,
        }
    }
}

/// Unpack `data` (in memory, or to a temporary folder when it is large) and assess it.
pub fn assess(
    name: &str,
    data: &[u8],
    unpack: &Options,
    options: &CheckOptions,
) -> std::io::Result<Assessment> {
    assess_with(data, unpack, options, Spill::Auto, |out, unpack| {
        iotassay_unpack::unpack(name, data, out, unpack)
    })
}

/// Assess the image at `path`, mapped rather than read (its pages are released as the unpack goes
/// through it), with its files kept as `spill` says.
pub fn assess_file(
    path: &std::path::Path,
    unpack: &Options,
    options: &CheckOptions,
    spill: Spill,
) -> std::io::Result<Assessment> {
    // The input's bytes, for what no structure explains (entropy profile, opaque stretches): a
    // shared read-only mapping, its pages read back from the page cache.
    let file = std::fs::File::open(path)?;
    // SAFETY: a read-only shared mapping of a file this process does not write; a file changed
    // underneath by another process gives wrong bytes to the entropy figures, never unsafety in
    // safe code reading a `&[u8]` of plain bytes.
    let input = unsafe { memmap2::Mmap::map(&file)? };
    assess_with(&input, unpack, options, spill, |out, unpack| {
        iotassay_unpack::unpack_file(path, out, unpack)
    })
}

/// Unpack with `run` (into the temporary folder it is given, if any) keeping every file's content,
/// then assess.
fn assess_with(
    input: &[u8],
    unpack: &Options,
    options: &CheckOptions,
    spill: Spill,
    run: impl FnOnce(Option<&std::path::Path>, &Options) -> std::io::Result<Manifest>,
) -> std::io::Result<Assessment> {
    let started = Instant::now();
    let unpack = Options {
        keep_data: true,
        ..unpack.clone()
    };
    let folder = if spill.to_disk(input.len() as u64) {
        Some(
            tempfile::Builder::new()
                .prefix("iotassay-scan.")
                .tempdir()?,
        )
    } else {
        None
    };
    let manifest = run(folder.as_ref().map(|f| f.path()), &unpack)?;
    // The mapped contents keep their files; their names are no longer needed.
    if let Some(folder) = folder {
        folder.close()?;
    }
    let mut a = assess_manifest(&manifest, options, started.elapsed().as_millis() as u64);
    a.opacity = Some(crate::opaque::examine(&manifest, input));
    rejudge(&mut a);
    Ok(a)
}

/// Per-guideline status from the checks that ran and what they found.
fn summarise(checks: &[CheckInfo], findings: &[Finding], have_root: bool) -> Vec<GuidelineSummary> {
    let catalog = Catalog::get_static();
    GUIDELINES
        .iter()
        .map(|g| {
            let mut counts = [0usize; 5];
            for f in findings.iter().filter(|f| f.guidelines.contains(&g.number)) {
                counts[f.severity as usize] += 1;
            }
            let examining = checks
                .iter()
                .filter(|c| {
                    c.provisions
                        .iter()
                        .filter_map(|p| catalog.get(p))
                        .any(|p| p.guidelines.contains(&g.number))
                })
                .count();
            let failed = counts[1..].iter().any(|&n| n > 0);
            let (status, reason) = if failed {
                (GuidelineStatus::Fail, None)
            } else if examining == 0 {
                (
                    GuidelineStatus::NotAssessed,
                    Some("no automated firmware check covers this guideline yet".to_string()),
                )
            } else if !have_root {
                (
                    GuidelineStatus::NotAssessed,
                    Some("no root file system was found in the image".to_string()),
                )
            } else {
                (GuidelineStatus::Pass, None)
            };
            GuidelineSummary {
                number: g.number,
                title: g.title.to_string(),
                status,
                findings: counts,
                checks: examining,
                reason,
            }
        })
        .collect()
}
