//! Matching components against NVD applicability statements and OSV ranges.
//!
//! NVD semantics: a configuration is a list of nodes joined by its `operator` (OR when absent);
//! a node is a list of `cpeMatch` joined by the node's `operator`, inverted by `negate`. A
//! `cpeMatch` is satisfied when some component of the image matches its criteria and version
//! range. A component is reported for a CVE when it satisfied a `vulnerable` entry of a
//! configuration that holds. In "X running on Y" (AND) configurations the platform part must be
//! in the image too; otherwise the match is only reported on request, as conditional.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::cpe::{Av, Cpe};
use crate::records::{Config, CpeMatch, OsvAffected};
use crate::version::compare;
use crate::{Cvss, Result};

/// Components per call and candidates per component are bounded so one call stays fast.
const MAX_COMPONENTS: usize = 100_000;

/// A component of the image, as the inventory knows it. Any of the identifiers may be missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComponentRef {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    /// A CPE 2.3 formatted string; wins over name/vendor/product when it parses.
    #[serde(default)]
    pub cpe: Option<String>,
    /// A package URL (`pkg:type/namespace/name@version`), used for OSV.
    #[serde(default)]
    pub purl: Option<String>,
}

impl ComponentRef {
    /// A component known by name and version only (the override table supplies the CPE name).
    pub fn new(name: &str, version: &str) -> ComponentRef {
        ComponentRef {
            name: name.into(),
            version: Some(version.into()),
            ..ComponentRef::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The qualitative rating of a score: CVSS v3/v4 bands; v2 had no "critical" (7.0–10 is high).
    pub fn of(c: &Cvss) -> Severity {
        match Severity::from_score(c.score) {
            Severity::Critical if c.version == "2.0" => Severity::High,
            s => s,
        }
    }

    /// CVSS v3/v4 qualitative rating of a base score.
    pub fn from_score(s: f64) -> Severity {
        match s {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::None,
        }
    }
}

/// One vulnerability that applies to one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// CVE id, or the OSV id when the advisory has no CVE alias stored.
    pub cve: String,
    /// Index of the component in the slice given to `matches`.
    pub component: usize,
    /// `name version` of that component, for reading.
    pub component_label: String,
    /// The best score stored: v4.0, else v3.1, else v3.0, else v2.
    pub cvss: Option<Cvss>,
    pub severity: Severity,
    /// Listed in the CISA Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    pub published: Option<String>,
    /// Which criteria and range matched, e.g. `cpe:2.3:a:busybox:busybox:*:… version ≤ 1.24.2`.
    pub why: String,
    /// For conditional matches: the platform criteria that no component of the image satisfied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// `nvd`, `cve5` or `osv`.
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MatchReport {
    pub matches: Vec<Match>,
    /// What could not be evaluated (component without version, GIT ranges, …).
    pub notes: Vec<String>,
}

/// `(part, vendor, product)` of a CPE name.
type CpeName = (String, String, String);

/// The override table: firmware name → NVD CPE names (`part:vendor:product`).
fn overrides() -> &'static HashMap<String, Vec<CpeName>> {
    static TABLE: OnceLock<HashMap<String, Vec<CpeName>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for line in include_str!("../data/cpe-overrides.tsv").lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, cpes)) = line.split_once('\t') else {
                continue;
            };
            let list = cpes
                .split_whitespace()
                .filter_map(|c| {
                    let mut p = c.splitn(3, ':');
                    Some((p.next()?.into(), p.next()?.into(), p.next()?.into()))
                })
                .collect();
            m.insert(name.trim().to_lowercase(), list);
        }
        m
    })
}

/// The CPE names a component may be filed under, with a note on how they were found.
fn targets(c: &ComponentRef) -> Vec<(Cpe, Option<&'static str>)> {
    let version = c.version.as_deref().map_or(Av::Any, Av::literal);
    let named = |part: &str, vendor: Av, product: Av| Cpe {
        part: Av::literal(part),
        vendor,
        product,
        version: version.clone(),
        // A firmware version string names a release: no update qualifier such as `beta1`.
        update: if c.version.is_some() { Av::Na } else { Av::Any },
        edition: Av::Any,
        language: Av::Any,
        sw_edition: Av::Any,
        target_sw: Av::Any,
        target_hw: Av::Any,
        other: Av::Any,
    };
    if let Some(mut cpe) = c.cpe.as_deref().and_then(Cpe::parse) {
        if cpe.version == Av::Any {
            cpe.version = version.clone();
        }
        return vec![(cpe, None)];
    }
    if let (Some(v), Some(p)) = (&c.vendor, &c.product) {
        return vec![(named("*", Av::literal(v), Av::literal(p)), None)];
    }
    let key = c
        .product
        .as_deref()
        .unwrap_or(&c.name)
        .trim()
        .to_lowercase();
    if let Some(list) = overrides().get(&key) {
        return list
            .iter()
            .map(|(part, v, p)| (named(part, Av::literal(v), Av::literal(p)), None))
            .collect();
    }
    vec![(
        named("*", Av::Any, Av::literal(&key)),
        Some("vendor unknown: matched on product name only"),
    )]
}

/// Separators of the packed ranges in `cpe_index.ranges` (ASCII record/unit separators).
pub(crate) const RANGE_SEP: char = '\u{1e}';
const FIELD_SEP: char = '\u{1f}';

/// Append `version␟startIncl␟startExcl␟endIncl␟endExcl` for one vulnerable entry.
pub(crate) fn pack_range(out: &mut String, version: &str, m: &CpeMatch) {
    out.push_str(version);
    for b in [
        &m.version_start_including,
        &m.version_start_excluding,
        &m.version_end_including,
        &m.version_end_excluding,
    ] {
        out.push(FIELD_SEP);
        out.push_str(b.as_deref().unwrap_or(""));
    }
}

/// Could one of the packed entries accept version `v`? A cheap necessary condition: `true` sends
/// the CVE to the full evaluation, `false` skips loading it.
fn prefilter(ranges: &str, v: Option<&str>) -> bool {
    ranges.split(RANGE_SEP).any(|entry| {
        let f: Vec<&str> = entry.split(FIELD_SEP).collect();
        let (Some(&ver), Some(v)) = (f.first(), v) else {
            return true;
        };
        if ver == "-" || ver.contains(['*', '?']) && ver != "*" {
            return true;
        }
        if ver != "*" {
            return compare(ver, v) == Ordering::Equal;
        }
        let bound = |i: usize| f.get(i).copied().filter(|s| !s.is_empty());
        bound(1).is_none_or(|b| compare(v, b) != Ordering::Less)
            && bound(2).is_none_or(|b| compare(v, b) == Ordering::Greater)
            && bound(3).is_none_or(|b| compare(v, b) != Ordering::Greater)
            && bound(4).is_none_or(|b| compare(v, b) == Ordering::Less)
    })
}

struct Comp {
    idx: usize,
    cpe: Cpe,
    version: Option<String>,
}

/// Does `m` accept `comp`? On success, the reason.
fn cpe_match(m: &CpeMatch, crit: &Cpe, comp: &Comp) -> Option<String> {
    if !crit.accepts_except_version(&comp.cpe) {
        return None;
    }
    let has_range = m.version_start_including.is_some()
        || m.version_start_excluding.is_some()
        || m.version_end_including.is_some()
        || m.version_end_excluding.is_some();
    let v = comp.version.as_deref();
    let mut why = m.criteria.clone();
    match &crit.version {
        Av::Na => {
            if comp.cpe.version != Av::Na {
                return None;
            }
        }
        Av::Val { text, wild } => {
            let v = v?;
            let ok = if *wild {
                crit.version.accepts(&Av::literal(v))
            } else {
                compare(text, v) == Ordering::Equal
            };
            if !ok {
                return None;
            }
        }
        Av::Any => {
            if has_range {
                let v = v?;
                let check = |bound: &Option<String>,
                             ok: fn(Ordering) -> bool,
                             label: &str,
                             why: &mut String| {
                    match bound {
                        Some(b) if !ok(compare(v, b)) => false,
                        Some(b) => {
                            why.push_str(&format!(" {label} {b}"));
                            true
                        }
                        None => true,
                    }
                };
                if !(check(
                    &m.version_start_including,
                    |o| o != Ordering::Less,
                    "from",
                    &mut why,
                ) && check(
                    &m.version_start_excluding,
                    |o| o == Ordering::Greater,
                    "after",
                    &mut why,
                ) && check(
                    &m.version_end_including,
                    |o| o != Ordering::Greater,
                    "up to and including",
                    &mut why,
                ) && check(
                    &m.version_end_excluding,
                    |o| o == Ordering::Less,
                    "before",
                    &mut why,
                )) {
                    return None;
                }
            }
        }
    }
    if let Some(v) = v {
        why.push_str(&format!(" (component version {v})"));
    }
    Some(why)
}

struct Parsed {
    configs: Vec<Config>,
    /// Criteria parsed once per CVE, in `configs` order.
    crits: Vec<Vec<Option<Cpe>>>,
}

#[derive(Default)]
struct Outcome {
    /// component index → reason.
    hits: BTreeMap<usize, String>,
    conditional: BTreeMap<usize, (String, Vec<String>)>,
}

fn evaluate(p: &Parsed, comps: &[Comp], by_product: &HashMap<String, Vec<usize>>) -> Outcome {
    let mut out = Outcome::default();
    let mut node_i = 0;
    for cfg in &p.configs {
        let and = cfg.operator.as_deref() == Some("AND");
        let mut node_results = Vec::with_capacity(cfg.nodes.len());
        let mut node_hits: Vec<Vec<(usize, String)>> = Vec::with_capacity(cfg.nodes.len());
        for node in &cfg.nodes {
            let crits = &p.crits[node_i];
            node_i += 1;
            let node_and = node.operator == "AND";
            let mut any = false;
            let mut all = true;
            let mut hits = Vec::new();
            for (m, crit) in node.cpe_match.iter().zip(crits) {
                let mut matched = false;
                if let Some(crit) = crit {
                    let candidates: Box<dyn Iterator<Item = &usize>> = match &crit.product {
                        Av::Val { text, wild: false } => {
                            Box::new(by_product.get(text).into_iter().flatten())
                        }
                        _ => Box::new(by_product.values().flatten()),
                    };
                    for &ci in candidates {
                        if let Some(why) = cpe_match(m, crit, &comps[ci]) {
                            matched = true;
                            if m.vulnerable {
                                hits.push((comps[ci].idx, why));
                            }
                        }
                    }
                }
                any |= matched;
                all &= matched;
            }
            let value = if node_and { all } else { any } != node.negate;
            node_results.push(value);
            // A negated node contributes no vulnerable component.
            node_hits.push(if value && !node.negate {
                hits
            } else {
                Vec::new()
            });
        }
        let holds = if and {
            node_results.iter().all(|&b| b)
        } else {
            node_results.iter().any(|&b| b)
        } != cfg.negate;
        if holds && !cfg.negate {
            for h in node_hits.into_iter().flatten() {
                out.hits.entry(h.0).or_insert(h.1);
            }
        } else if and && !cfg.negate {
            // Conditional: every node with a vulnerable entry holds, only platform nodes fail.
            let mut platform_missing = Vec::new();
            let mut ok = true;
            for (node, &value) in cfg.nodes.iter().zip(&node_results) {
                if value {
                    continue;
                }
                if node.cpe_match.iter().any(|m| m.vulnerable) {
                    ok = false;
                    break;
                }
                let mut shown: Vec<String> = node
                    .cpe_match
                    .iter()
                    .take(3)
                    .map(|m| m.criteria.clone())
                    .collect();
                if node.cpe_match.len() > 3 {
                    shown.push(format!("… {} more", node.cpe_match.len() - 3));
                }
                platform_missing.extend(shown);
            }
            if ok && !platform_missing.is_empty() {
                for (ci, why) in node_hits.into_iter().flatten() {
                    out.conditional
                        .entry(ci)
                        .or_insert_with(|| (why, platform_missing.clone()));
                }
            }
        }
    }
    out
}

struct CveRow {
    /// Listed in the CISA KEV catalogue.
    kev: bool,
    source: String,
    published: Option<String>,
    cvss: Option<Cvss>,
    configs: String,
}

fn best_cvss(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Option<Cvss>> {
    for (i, version) in ["4.0", "3.1", "3.0", "2.0"].iter().enumerate() {
        let score: Option<f64> = r.get(first + 2 * i)?;
        let vector: Option<String> = r.get(first + 2 * i + 1)?;
        if let Some(score) = score {
            return Ok(Some(Cvss {
                version: (*version).into(),
                score,
                vector: vector.unwrap_or_default(),
            }));
        }
    }
    Ok(None)
}

fn load_cve(conn: &Connection, id: &str) -> Result<Option<CveRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT source, published, configs, v40_score, v40_vector, v31_score, v31_vector,
             v30_score, v30_vector, v2_score, v2_vector,
             EXISTS (SELECT 1 FROM kev WHERE kev.cve = cve.id) FROM cve WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(CveRow {
                kev: r.get(11)?,
                source: r.get(0)?,
                published: r.get(1)?,
                configs: r.get(2)?,
                cvss: best_cvss(r, 3)?,
            })
        })
        .optional()?)
}

fn is_kev(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM kev WHERE cve = ?1)")?
        .query_row(params![id], |r| r.get(0))?)
}

fn label(c: &ComponentRef) -> String {
    match &c.version {
        Some(v) => format!("{} {v}", c.name),
        None => c.name.clone(),
    }
}

pub(crate) fn run(
    conn: &Connection,
    input: &[ComponentRef],
    include_conditional: bool,
) -> Result<MatchReport> {
    let mut report = MatchReport::default();
    let input = if input.len() > MAX_COMPONENTS {
        report.notes.push(format!(
            "only the first {MAX_COMPONENTS} components were matched"
        ));
        &input[..MAX_COMPONENTS]
    } else {
        input
    };
    // Every CPE name each component may carry, indexed by product for the evaluation.
    let mut comps = Vec::new();
    let mut by_product: HashMap<String, Vec<usize>> = HashMap::new();
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    let mut lookup = conn
        .prepare_cached("SELECT cve, ranges FROM cpe_index WHERE product = ?1 AND vendor = ?2")?;
    let mut lookup_any =
        conn.prepare_cached("SELECT cve, ranges FROM cpe_index WHERE product = ?1")?;
    for (idx, c) in input.iter().enumerate() {
        if c.version.is_none() && c.cpe.is_none() {
            report.notes.push(format!(
                "{}: no version, so version ranges cannot be evaluated",
                c.name
            ));
        }
        for (cpe, note) in targets(c) {
            if let Some(note) = note {
                report.notes.push(format!("{}: {note}", label(c)));
            }
            let product = cpe.product.text();
            let version = c.version.clone().or_else(|| match &cpe.version {
                Av::Val { .. } => Some(cpe.version.text()),
                _ => None,
            });
            let row = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
            let rows: Vec<(String, String)> = match &cpe.vendor {
                Av::Val { .. } => lookup
                    .query_map(params![product, cpe.vendor.text()], row)?
                    .collect::<rusqlite::Result<_>>()?,
                _ => lookup_any
                    .query_map(params![product], row)?
                    .collect::<rusqlite::Result<_>>()?,
            };
            let pv = if cpe.version == Av::Na {
                Some("-")
            } else {
                version.as_deref()
            };
            candidates.extend(
                rows.into_iter()
                    .filter(|(_, ranges)| prefilter(ranges, pv))
                    .map(|(cve, _)| cve),
            );
            by_product.entry(product).or_default().push(comps.len());
            comps.push(Comp { idx, cpe, version });
        }
    }
    // Rows are read on this thread (the connection is not shared); parsing each CVE's
    // configurations and evaluating them is most of the work, and runs in parallel.
    let mut rows = Vec::with_capacity(candidates.len());
    for id in &candidates {
        if let Some(row) = load_cve(conn, id)? {
            rows.push((id, row));
        }
    }
    let outcomes: Vec<Outcome> = rows
        .par_iter()
        .map(|(_, row)| {
            let configs: Vec<Config> = serde_json::from_str(&row.configs).unwrap_or_default();
            // Parse only criteria that can concern a component: the product field (5th) must be
            // one of the image's, unless it holds escapes or wildcards.
            let crits = configs
                .iter()
                .flat_map(|c| &c.nodes)
                .map(|n| {
                    n.cpe_match
                        .iter()
                        .map(|m| match m.criteria.split(':').nth(4) {
                            Some(p)
                                if !p.contains(['\\', '*', '?'])
                                    && !by_product.contains_key(&p.to_lowercase()) =>
                            {
                                None
                            }
                            _ => Cpe::parse(&m.criteria),
                        })
                        .collect()
                })
                .collect();
            evaluate(&Parsed { configs, crits }, &comps, &by_product)
        })
        .collect();
    for ((id, row), outcome) in rows.into_iter().zip(outcomes) {
        if outcome.hits.is_empty() && (!include_conditional || outcome.conditional.is_empty()) {
            continue;
        }
        let kev = row.kev;
        let severity = row.cvss.as_ref().map_or(Severity::Unknown, Severity::of);
        let mk = |ci: usize, why: String, depends_on: Vec<String>| Match {
            cve: id.clone(),
            component: ci,
            component_label: label(&input[ci]),
            cvss: row.cvss.clone(),
            severity,
            kev,
            published: row.published.clone(),
            why,
            depends_on,
            source: row.source.clone(),
        };
        for (ci, why) in &outcome.hits {
            report.matches.push(mk(*ci, why.clone(), Vec::new()));
        }
        if include_conditional {
            for (ci, (why, dep)) in outcome.conditional {
                if !outcome.hits.contains_key(&ci) {
                    report.matches.push(mk(ci, why, dep));
                }
            }
        }
    }
    osv_matches(conn, input, &mut report)?;
    report.matches.sort_by(|a, b| {
        a.component
            .cmp(&b.component)
            .then_with(|| a.cve.cmp(&b.cve))
    });
    report.notes.sort();
    report.notes.dedup();
    Ok(report)
}

// ---- OSV ----

/// `pkg:type/namespace/name@version` → (OSV ecosystem, OSV package name, version).
pub(crate) fn purl_to_osv(purl: &str) -> Option<(String, String, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = match rest.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(pct_decode(v))),
        _ => (rest, None),
    };
    let (ty, name_path) = path.split_once('/')?;
    let ty = ty.to_ascii_lowercase();
    let segs: Vec<String> = name_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(pct_decode)
        .collect();
    let (ns, name) = match segs.split_last() {
        Some((n, ns)) => (ns.join("/"), n.clone()),
        None => return None,
    };
    let joined = |sep: &str| {
        if ns.is_empty() {
            name.clone()
        } else {
            format!("{ns}{sep}{name}")
        }
    };
    let (eco, pkg) = match ty.as_str() {
        "cargo" => ("crates.io", name.clone()),
        "pypi" => ("pypi", name.replace('_', "-")),
        "npm" => ("npm", joined("/")),
        "golang" => ("go", joined("/")),
        "maven" => ("maven", joined(":")),
        "gem" => ("rubygems", name.clone()),
        "nuget" => ("nuget", name.clone()),
        "composer" => ("packagist", joined("/")),
        "hex" => ("hex", name.clone()),
        "pub" => ("pub", name.clone()),
        "deb" => ("debian", name.clone()),
        "apk" => ("alpine", name.clone()),
        "github" => ("github actions", joined("/")),
        _ => (ty.as_str(), name.clone()),
    };
    Some((eco.to_string(), pkg.to_lowercase(), version))
}

fn pct_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Is `v` inside an OSV range? Events are applied in version order (OSV spec "evaluation").
pub(crate) fn osv_range_affects(events: &[crate::records::OsvEvent], v: &str) -> bool {
    let mut evs: Vec<(&str, u8)> = Vec::new();
    for e in events.iter().take(1_000) {
        if let Some(x) = &e.introduced {
            evs.push((x, 0));
        }
        if let Some(x) = &e.fixed {
            evs.push((x, 1));
        }
        if let Some(x) = &e.last_affected {
            evs.push((x, 2));
        }
    }
    fn key(s: &str) -> &str {
        if s == "0" {
            ""
        } else {
            s
        }
    }
    evs.sort_by(|a, b| compare(key(a.0), key(b.0)).then(a.1.cmp(&b.1)));
    let mut affected = false;
    for (x, kind) in evs {
        let o = if x == "0" {
            Ordering::Greater
        } else {
            compare(v, x)
        };
        match kind {
            0 if o != Ordering::Less => affected = true,
            1 if o != Ordering::Less => affected = false,
            2 if o == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

fn osv_matches(conn: &Connection, input: &[ComponentRef], report: &mut MatchReport) -> Result<()> {
    let mut q = conn.prepare_cached(
        "SELECT o.id, o.aliases, o.published, o.affected FROM osv_pkg p JOIN osv o ON o.id = p.osv
         WHERE p.ecosystem = ?1 AND p.name = ?2",
    )?;
    for (idx, c) in input.iter().enumerate() {
        let Some((eco, name, pv)) = c.purl.as_deref().and_then(purl_to_osv) else {
            continue;
        };
        let Some(v) = c.version.clone().or(pv) else {
            continue;
        };
        let rows: Vec<(String, String, Option<String>, String)> = q
            .query_map(params![eco, name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, aliases, published, affected) in rows {
            let affected: Vec<OsvAffected> = serde_json::from_str(&affected).unwrap_or_default();
            let aliases: Vec<String> = serde_json::from_str(&aliases).unwrap_or_default();
            let mut why = None;
            for a in &affected {
                let Some(p) = &a.package else { continue };
                if p.ecosystem.to_lowercase() != eco || p.name.to_lowercase() != name {
                    continue;
                }
                if a.versions.iter().any(|x| x == &v) {
                    why = Some(format!("{id}: {} {name} version {v} listed", p.ecosystem));
                    break;
                }
                for r in &a.ranges {
                    match r.kind.as_str() {
                        "SEMVER" | "ECOSYSTEM" if osv_range_affects(&r.events, &v) => {
                            why = Some(format!(
                                "{id}: {} {name} {} range contains {v}",
                                p.ecosystem, r.kind
                            ));
                        }
                        "GIT" => report.notes.push(format!(
                            "{id}: GIT range ignored (commits cannot be compared to {name} {v})"
                        )),
                        _ => {}
                    }
                }
                if why.is_some() {
                    break;
                }
            }
            let Some(why) = why else { continue };
            let cve_alias = aliases.iter().find(|a| a.starts_with("CVE-")).cloned();
            let row = match &cve_alias {
                Some(a) => load_cve(conn, a)?,
                None => None,
            };
            let cvss = row.as_ref().and_then(|r| r.cvss.clone());
            let mut kev = false;
            for a in aliases.iter().chain(std::iter::once(&id)) {
                kev |= is_kev(conn, a)?;
            }
            report.matches.push(Match {
                cve: cve_alias.unwrap_or_else(|| id.clone()),
                component: idx,
                component_label: label(c),
                severity: cvss.as_ref().map_or(Severity::Unknown, Severity::of),
                cvss,
                kev,
                published,
                why,
                depends_on: Vec::new(),
                source: "osv".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::OsvEvent;

    #[test]
    fn severity_bands() {
        let c = |version: &str, score: f64| Cvss {
            version: version.into(),
            score,
            vector: String::new(),
        };
        assert_eq!(Severity::of(&c("3.1", 9.8)), Severity::Critical);
        assert_eq!(Severity::of(&c("2.0", 10.0)), Severity::High);
        assert_eq!(Severity::of(&c("4.0", 6.9)), Severity::Medium);
        assert_eq!(Severity::of(&c("3.0", 0.1)), Severity::Low);
        assert_eq!(Severity::of(&c("3.1", 0.0)), Severity::None);
    }

    #[test]
    fn override_table_parses_every_line() {
        let t = overrides();
        let lines = include_str!("../data/cpe-overrides.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(t.len(), lines);
        assert!(t.values().all(|v| !v.is_empty()));
        let n = |k: &str| t[k][0].clone();
        assert_eq!(
            n("dropbear"),
            (
                "a".into(),
                "dropbear_ssh_project".into(),
                "dropbear_ssh".into()
            )
        );
        assert_eq!(
            n("linux"),
            ("o".into(), "linux".into(), "linux_kernel".into())
        );
        assert_eq!(n("u-boot"), ("a".into(), "denx".into(), "u-boot".into()));
        assert_eq!(n("dnsmasq").1, "thekelleys");
        assert_eq!(n("uclibc-ng").2, "uclibc-ng");
    }

    #[test]
    fn purls_map_to_osv_ecosystems() {
        let p = |s: &str| purl_to_osv(s).unwrap();
        assert_eq!(
            p("pkg:cargo/hyper@0.14.9"),
            ("crates.io".into(), "hyper".into(), Some("0.14.9".into()))
        );
        assert_eq!(p("pkg:npm/%40angular/core@1.0.0").1, "@angular/core");
        assert_eq!(
            p("pkg:maven/org.apache/log4j-core@2.14.1?type=jar").1,
            "org.apache:log4j-core"
        );
        assert_eq!(p("pkg:golang/github.com/x/y@v1.2.3").1, "github.com/x/y");
        assert_eq!(
            p("pkg:deb/debian/openssl@1.1.1n-0+deb11u3?arch=amd64").0,
            "debian"
        );
        assert_eq!(p("pkg:pypi/Foo_Bar").2, None);
        assert!(purl_to_osv("npm/foo@1").is_none());
        assert!(purl_to_osv("pkg:npm").is_none());
        assert_eq!(pct_decode("%4"), "%4");
        assert_eq!(pct_decode("%e2%82%ac%zz"), "€%zz");
    }

    fn ev(i: Option<&str>, f: Option<&str>, l: Option<&str>) -> OsvEvent {
        OsvEvent {
            introduced: i.map(Into::into),
            fixed: f.map(Into::into),
            last_affected: l.map(Into::into),
            limit: None,
        }
    }

    #[test]
    fn osv_ranges_follow_the_spec_evaluation() {
        // Given out of order on purpose: evaluation sorts the events.
        let r = [
            ev(None, Some("1.5"), None),
            ev(Some("2.0"), None, None),
            ev(Some("1.0"), None, None),
        ];
        for (v, hit) in [
            ("0.9", false),
            ("1.0", true),
            ("1.4.9", true),
            ("1.5", false),
            ("1.9", false),
            ("2.0", true),
            ("99", true),
        ] {
            assert_eq!(osv_range_affects(&r, v), hit, "{v}");
        }
        let r = [ev(Some("0"), None, None), ev(None, None, Some("3.1"))];
        assert!(osv_range_affects(&r, "0.0.1"));
        assert!(osv_range_affects(&r, "3.1"));
        assert!(!osv_range_affects(&r, "3.1.1"));
        assert!(!osv_range_affects(&[], "1.0"));
    }

    #[test]
    fn prefilter_never_drops_what_the_full_match_accepts() {
        let ranges = [
            ("*", Some("0.52"), None, Some("2012.54"), None),
            ("*", None, Some("1.19.2"), None, Some("1.23.2")),
            ("1.0.1a", None, None, None, None),
            ("2.7?", None, None, None, None),
            ("-", None, None, None, None),
        ];
        let versions = [
            "0.51", "0.52", "2011.54", "2012.54", "2012.55", "1.19.2", "1.19.3", "1.23.2",
            "1.0.1a", "1.0.1", "2.78", "-",
        ];
        for (ver, si, se, ei, ee) in ranges {
            let m = CpeMatch {
                vulnerable: true,
                criteria: format!("cpe:2.3:a:v:p:{ver}:*:*:*:*:*:*:*"),
                version_start_including: si.map(Into::into),
                version_start_excluding: se.map(Into::into),
                version_end_including: ei.map(Into::into),
                version_end_excluding: ee.map(Into::into),
            };
            let mut packed = String::new();
            pack_range(&mut packed, ver, &m);
            let crit = Cpe::parse(&m.criteria).unwrap();
            for v in versions {
                let comp = Comp {
                    idx: 0,
                    cpe: Cpe::parse(&format!("cpe:2.3:a:v:p:{v}:-:*:*:*:*:*:*")).unwrap(),
                    version: (v != "-").then(|| v.to_string()),
                };
                let full = cpe_match(&m, &crit, &comp).is_some();
                let pv = if v == "-" { Some("-") } else { Some(v) };
                assert!(!full || prefilter(&packed, pv), "{ver} {v}");
                if ver == "*" {
                    assert_eq!(
                        full,
                        prefilter(&packed, pv),
                        "ranges are exact: {si:?}{se:?}{ei:?}{ee:?} {v}"
                    );
                }
            }
        }
    }
}
