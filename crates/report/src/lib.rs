//! Reports rendered from the assessment JSON (`docs/assessment.md`), the source of truth:
//!
//! - [`sarif`]: SARIF 2.1.0 for GitHub code scanning and other CI tools (rules = checks, provision
//!   ids as tags, results with locations in the image and a provenance chain);
//! - [`html`]: one self-contained page (no network): guideline scorecard, PSTI summary, provision
//!   verdicts, filterable findings with evidence, SBOM, vulnerabilities and ELF hardening;
//! - [`markdown`]: GitHub-flavoured, for a pull request or a ticket;
//! - [`label`]: the consumer label as JSON, SVG and HTML;
//! - [`psti`]: the PSTI statement of compliance (Schedule 4 fields) as text and HTML, a draft
//!   whenever the verdicts or the declaration do not support it.
//!
//! Everything from the image (file names, excerpts, version strings) is attacker-controlled:
//! every renderer escapes it for its format ([`escape`]) and bounds how much of it is shown.
//! Indexes inside the assessment (a verdict's findings, a match's component) are looked up, never
//! trusted, so a hand-edited or hostile assessment renders or fails with an error, never panics.

use std::fmt;

use iotassay_checks::{Assessment, Finding};
use serde::Serialize;

pub mod escape;
pub mod html;
pub mod label;
pub mod markdown;
pub mod psti;
pub mod sarif;

/// The largest assessment JSON [`load`] reads (a router image's is about 0.5 MiB).
pub const MAX_ASSESSMENT_SIZE: usize = 256 * 1024 * 1024;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Sarif,
    Markdown,
    Label,
    Psti,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Html,
        Format::Sarif,
        Format::Markdown,
        Format::Label,
        Format::Psti,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Sarif => "sarif",
            Format::Markdown => "md",
            Format::Label => "label",
            Format::Psti => "psti",
        }
    }

    /// Parse a comma-separated list (`html,sarif,md,label,psti`; `all` for every format).
    pub fn parse_list(list: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let formats: &[Format] = match word.to_ascii_lowercase().as_str() {
                "all" => &Format::ALL,
                "html" => &[Format::Html],
                "sarif" => &[Format::Sarif],
                "md" | "markdown" => &[Format::Markdown],
                "label" => &[Format::Label],
                "psti" | "statement" => &[Format::Psti],
                _ => {
                    return Err(format!(
                        "unknown report format {word:?} (use html, sarif, md, label, psti or all)"
                    ))
                }
            };
            for f in formats {
                if !out.contains(f) {
                    out.push(*f);
                }
            }
        }
        if out.is_empty() {
            return Err("no report format given (use html, sarif, md, label, psti or all)".into());
        }
        Ok(out)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One file a report consists of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// File name (no folder), e.g. `report.html`.
    pub file_name: &'static str,
    pub bytes: Vec<u8>,
}

/// Render one format; some formats are several files (the label: JSON, SVG and HTML).
pub fn render(a: &Assessment, format: Format) -> Vec<Output> {
    let out = |file_name, text: String| Output {
        file_name,
        bytes: text.into_bytes(),
    };
    match format {
        Format::Html => vec![out("report.html", html::render(a))],
        Format::Sarif => vec![out("report.sarif", pretty_json(&sarif::render(a)))],
        Format::Markdown => vec![out("report.md", markdown::render(a))],
        Format::Label => {
            let l = label::Label::from_assessment(a);
            vec![
                out("label.json", pretty_json(&l)),
                out("label.svg", l.svg()),
                out("label.html", l.html()),
            ]
        }
        Format::Psti => {
            let s = psti::Statement::from_assessment(a);
            vec![
                out("psti-statement.txt", s.text()),
                out("psti-statement.html", s.html()),
            ]
        }
    }
}

fn pretty_json<T: Serialize>(value: &T) -> String {
    // Serialising plain data (strings, numbers, maps with string keys) cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// Why an assessment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the assessment is {0} bytes; the limit is {MAX_ASSESSMENT_SIZE}")]
    TooLarge(usize),
    #[error("not an assessment JSON: line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("schema {found:?} is not {expected:?} (written by another iotassay version?)")]
    Schema {
        found: String,
        expected: &'static str,
    },
}

/// Read an assessment written by `iotassay scan --json`: bounded, schema-checked (schema 1 files
/// are upgraded, see [`iotassay_checks::assessment::upgrade`]).
pub fn load(bytes: &[u8]) -> Result<Assessment, LoadError> {
    if bytes.len() > MAX_ASSESSMENT_SIZE {
        return Err(LoadError::TooLarge(bytes.len()));
    }
    let mut a: Assessment = serde_json::from_slice(bytes).map_err(|e| LoadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    // An assessment of an earlier schema this version reads is brought up to date.
    if !iotassay_checks::assessment::upgrade(&mut a) {
        return Err(LoadError::Schema {
            found: a.schema,
            expected: iotassay_checks::assessment::SCHEMA,
        });
    }
    Ok(a)
}

/// The finding at `index`, when the index is valid (indexes come from the JSON).
fn finding(a: &Assessment, index: usize) -> Option<&Finding> {
    a.findings.get(index)
}

/// What the report is about, for titles: the declared product, else the image name.
fn subject(a: &Assessment) -> String {
    match &a.declaration {
        Some(d) => format!(
            "{} {} (software {})",
            d.product.name, d.product.model, d.product.software_version
        ),
        None => a.input.name.clone(),
    }
}

/// Counts per severity, worst first, as `1 critical, 2 medium`.
fn severity_counts(findings: &[Finding]) -> String {
    let mut parts = Vec::new();
    for s in iotassay_checks::Severity::ALL.iter().rev() {
        let n = findings.iter().filter(|f| f.severity == *s).count();
        if n > 0 {
            parts.push(format!("{n} {s}"));
        }
    }
    if parts.is_empty() {
        "no findings".into()
    } else {
        parts.join(", ")
    }
}

/// The caveat every summary carries: what "pass" means.
pub const PASS_MEANS: &str = "\"pass\" means every mandatory provision of it that firmware can show was examined by checks that could see what they look at, and nothing was found: the absence of detected problems, not proof of conformance";
