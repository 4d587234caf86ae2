//! One image assessed: unpack in memory, inventory, run every check, summarise per guideline.
//! The [`Assessment`] is the source of truth every report is rendered from; its layout is
//! versioned by [`SCHEMA`] and documented in `docs/assessment.md`.

use std::time::Instant;

use iotassay_inventory::{FileTree, Inventory};
use iotassay_unpack::{Manifest, Options, Region, Warning};
use serde::{Deserialize, Serialize};

use crate::framework::{run_checks, CheckInfo};
use crate::summary::{summarise, GuidelineSummary};
use crate::verdict::{judge, Declared, Facts, Verdicts};
use crate::{CheckOptions, Context, Finding, Severity};

/// Identifies the layout of [`Assessment`]; bump on incompatible change. Schema 2 adds coverage:
/// `checks[].not_examined`, `verdicts.provisions[].examined` / `not_examined`, the `partial`
/// guideline status and `guidelines[].examined` / `not_examined` / `core`; schema 1 still loads.
pub const SCHEMA: &str = "iotassay.assessment/2";

/// The schema before coverage was recorded; [`upgrade`] reads it.
pub const SCHEMA_1: &str = "iotassay.assessment/1";

/// Bring an assessment written with an earlier schema to [`SCHEMA`]; false when its schema is
/// not one this version reads. Schema 1 recorded no coverage: a provision counts as examined
/// where its verdict was `pass` or a finding failed it (what schema 1's `pass` meant), and the
/// guideline statuses are derived again, so an old "pass" on one unrelated check is not shown
/// green.
pub fn upgrade(a: &mut Assessment) -> bool {
    if a.schema == SCHEMA {
        return true;
    }
    if a.schema != SCHEMA_1 {
        return false;
    }
    if !a.verdicts.provisions.is_empty() {
        for p in &mut a.verdicts.provisions {
            p.examined = p.verdict == crate::Verdict::Pass || !p.findings.is_empty();
        }
        a.guidelines = summarise(&a.findings, &a.verdicts);
    }
    a.schema = SCHEMA.to_string();
    true
}

/// Everything known about one firmware image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assessment {
    pub schema: String,
    pub tool: Tool,
    pub input: iotassay_unpack::manifest::Input,
    pub unpack: UnpackSummary,
    pub inventory: Inventory,
    /// The checks that ran, with the provisions each informs and whether it could examine them.
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
    /// The security.txt the declaration names, read and validated (`scan --declaration`): an
    /// unreadable or invalid one is noted on provision 5.2-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_txt: Option<iotassay_declaration::SecurityTxtCheck>,
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
        guidelines: Vec::new(),
        vulnerabilities: Vulnerabilities {
            assessed: false,
            note: Some(
                "no vulnerability database was given (iotassay db import …, then scan --db)".into(),
            ),
            matches: Vec::new(),
        },
        declaration: None,
        security_txt: None,
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

/// Record the declared security.txt as read and validated
/// ([`iotassay_declaration::Declaration::check_security_txt`]); the verdicts are recomputed.
pub fn attach_security_txt(a: &mut Assessment, checked: iotassay_declaration::SecurityTxtCheck) {
    a.security_txt = Some(checked);
    rejudge(a);
}

/// Recompute verdicts and the per-guideline summary from the findings and the declaration.
fn rejudge(a: &mut Assessment) {
    let facts = Facts {
        checks: &a.checks,
        findings: &a.findings,
        inventory: &a.inventory,
    };
    let declared = a.declaration.as_ref().map(|declaration| Declared {
        declaration,
        security_txt: a.security_txt.as_ref(),
    });
    a.verdicts = judge(facts, declared);
    a.guidelines = summarise(&a.findings, &a.verdicts);
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
