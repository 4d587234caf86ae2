//! The HTML report: one self-contained page (inline CSS and script, no external fetch; a Content
//! Security Policy allows only that script, by hash). Without JavaScript every section is shown;
//! with it, findings filter by severity, guideline and text and provisions by verdict (also from
//! the address: `?severity=&guideline=&q=&verdict=`).
//!
//! Hand-rendered rather than templated: every value goes through [`crate::escape::html`], and the
//! tests feed hostile names and excerpts through it.

use std::fmt::Write;

use base64::Engine;
use iotassay_checks::{Assessment, GuidelineStatus, Readability, Severity, Verdict};
use iotassay_inventory::Evidence;
use sha2::{Digest, Sha256};

use crate::escape::{clip, html};

/// Colours of the scorecard (the screenshot test looks for them).
pub const FAIL_RGB: [u8; 3] = [0xc6, 0x28, 0x28];
pub const PASS_RGB: [u8; 3] = [0x2e, 0x7d, 0x32];
pub const NOT_ASSESSED_RGB: [u8; 3] = [0x75, 0x75, 0x75];
/// Partly assessed: a neutral blue-grey, never green, with the coverage written on it.
pub const PARTIAL_RGB: [u8; 3] = [0x45, 0x5a, 0x64];

/// Most rows of any table and most evidence items per finding; the rest is counted, not shown.
const MAX_ROWS: usize = 3000;
const MAX_EVIDENCE: usize = 100;
const MAX_EXCERPT: usize = 300;
/// Evidence rows shown before the rest is folded into `<details>`.
const OPEN_EVIDENCE: usize = 6;

pub(crate) fn hex_rgb(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The scorecard colour of a guideline status.
pub fn status_colour(s: GuidelineStatus) -> [u8; 3] {
    match s {
        GuidelineStatus::Fail => FAIL_RGB,
        GuidelineStatus::Pass => PASS_RGB,
        GuidelineStatus::Partial => PARTIAL_RGB,
        GuidelineStatus::NotAssessed => NOT_ASSESSED_RGB,
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Fail => "v-fail",
        Verdict::Pass => "v-pass",
        Verdict::Declared => "v-declared",
        Verdict::NotApplicable => "v-na",
        Verdict::NotAssessed => "v-na2",
    }
}

const SCRIPT: &str = r#"(function () {
  var form = document.getElementById('filters');
  if (!form) return;
  form.hidden = false;
  var items = [].slice.call(document.querySelectorAll('.finding'));
  var groups = [].slice.call(document.querySelectorAll('.fgroup'));
  var shown = document.getElementById('shown');
  var rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  function apply() {
    var sev = rank[form.elements.severity.value] || 0;
    var g = form.elements.guideline.value;
    var q = form.elements.q.value.toLowerCase().trim();
    var n = 0;
    items.forEach(function (el) {
      var ok = rank[el.getAttribute('data-severity')] >= sev &&
        (!g || (' ' + el.getAttribute('data-guidelines') + ' ').indexOf(' ' + g + ' ') >= 0) &&
        (!q || el.textContent.toLowerCase().indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) n++;
    });
    groups.forEach(function (gr) { gr.hidden = !gr.querySelector('.finding:not([hidden])'); });
    shown.textContent = n + ' of ' + items.length + ' findings shown';
  }
  var pform = document.getElementById('pfilter');
  var rows = [].slice.call(document.querySelectorAll('tr[data-verdict]'));
  var pshown = document.getElementById('pshown');
  function applyVerdict() {
    var v = pform.elements.verdict.value;
    var n = 0;
    rows.forEach(function (tr) {
      var ok = !v || tr.getAttribute('data-verdict') === v;
      tr.hidden = !ok;
      if (ok) n++;
    });
    pshown.textContent = n + ' of ' + rows.length + ' provisions shown';
  }
  var params = new URLSearchParams(window.location.search);
  ['severity', 'guideline', 'q'].forEach(function (k) {
    if (params.has(k)) form.elements[k].value = params.get(k);
  });
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  apply();
  if (pform) {
    pform.hidden = false;
    if (params.has('verdict')) pform.elements.verdict.value = params.get('verdict');
    pform.addEventListener('change', applyVerdict);
    pform.addEventListener('submit', function (e) { e.preventDefault(); applyVerdict(); });
    applyVerdict();
  }
  document.documentElement.setAttribute('data-js', 'ready');
})();
"#;

const STYLE: &str = r#"
:root { --fail: FAIL; --pass: PASS; --na: NA; --partial: PARTIAL; --declared: #1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #263238; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #cfd8dc; font-size: 13px; word-break: break-all; }
main { padding: 12px 24px 40px; max-width: 1400px; }
h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.scorecard { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
.tile { color: #fff; border-radius: 6px; padding: 8px 10px; min-height: 92px; }
.tile.fail { background: var(--fail); } .tile.pass { background: var(--pass); } .tile.not-assessed { background: var(--na); } .tile.partial { background: var(--partial); }
.tile .bar { height: 5px; background: rgba(255,255,255,.25); border-radius: 3px; margin: 4px 0 2px; }
.tile .bar i { display: block; height: 100%; background: #fff; border-radius: 3px; }
.tile .p { font-size: 11px; opacity: .85; word-break: break-word; }
.tile .n { font-size: 22px; font-weight: 700; float: right; }
.tile .t { font-weight: 600; padding-right: 28px; }
.tile .s { text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
.tile .c { font-size: 12px; opacity: .92; }
.legend, .note { color: #555; font-size: 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { border: 1px solid #e0e0e0; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eceff1; position: sticky; top: 0; }
td.path, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; border-radius: 3px; padding: 0 6px; color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.sev-critical { background: #7f0000; } .sev-high { background: var(--fail); } .sev-medium { background: #ef6c00; }
.sev-low { background: #f9a825; color: #000; } .sev-info { background: #607d8b; }
.v-fail { background: var(--fail); } .v-pass { background: var(--pass); } .v-declared { background: var(--declared); }
.v-na { background: #8d6e63; } .v-na2 { background: var(--na); }
.finding { background: #fff; border: 1px solid #e0e0e0; border-left: 5px solid #90a4ae; border-radius: 4px; padding: 6px 12px; margin: 8px 0; }
.finding.sev-critical, .finding.sev-high, .finding.sev-medium, .finding.sev-low, .finding.sev-info { background: #fff; }
.finding.sev-critical { border-left-color: #7f0000; } .finding.sev-high { border-left-color: var(--fail); }
.finding.sev-medium { border-left-color: #ef6c00; } .finding.sev-low { border-left-color: #f9a825; }
.finding h4 { margin: 4px 0; font-size: 14px; }
.meta { color: #555; font-size: 12px; margin: 2px 0; }
.bad { color: var(--fail); font-weight: 600; } .good { color: var(--pass); }
.contradiction { background: #ffebee; border-radius: 3px; padding: 2px 6px; margin: 3px 0; }
form#filters, form#pfilter { background: #fff; border: 1px solid #e0e0e0; padding: 8px; border-radius: 4px; display: flex; gap: 12px; flex-wrap: wrap; align-items: center; }
form#filters input[type=search] { min-width: 260px; }
.more { color: #555; font-style: italic; }
details { margin: 4px 0; } summary { cursor: pointer; color: #37474f; font-size: 13px; }
"#;

fn style() -> String {
    STYLE
        .replace("PARTIAL", &hex_rgb(PARTIAL_RGB))
        .replace("FAIL", &hex_rgb(FAIL_RGB))
        .replace("PASS", &hex_rgb(PASS_RGB))
        .replace("NA;", &format!("{};", hex_rgb(NOT_ASSESSED_RGB)))
}

/// The CSP source for the inline script: its SHA-256, so no other script can run.
fn script_hash() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A value from serde as its JSON word (`"disabled"` → `disabled`).
fn word<T: serde::Serialize>(t: &T) -> String {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
}

fn where_(e: &Evidence) -> String {
    match (e.line, e.offset) {
        (Some(l), _) => format!("{}:{l}", e.path),
        (None, Some(o)) => format!("{} @{o:#x}", e.path),
        (None, None) => e.path.clone(),
    }
}

/// The whole page.
pub fn render(a: &Assessment) -> String {
    let mut o = String::with_capacity(256 * 1024);
    let title = format!("iotassay report: {}", crate::subject(a));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {}\">\n\
<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        script_hash(),
        html(&title),
        style()
    );
    header(&mut o, a);
    o.push_str("<main>\n");
    scorecard(&mut o, a);
    psti(&mut o, a);
    findings(&mut o, a);
    provisions(&mut o, a);
    vulnerabilities(&mut o, a);
    components(&mut o, a);
    hardening(&mut o, a);
    readability(&mut o, a);
    unpacking(&mut o, a);
    let _ = writeln!(
        o,
        "<p class=\"note\">Rendered by {} {} from the assessment (schema <code>{}</code>), the source of truth for every report format.</p>",
        html(&a.tool.name),
        html(&a.tool.version),
        html(&a.schema)
    );
    let _ = write!(o, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n");
    o
}

fn header(o: &mut String, a: &Assessment) {
    let _ = write!(o, "<header>\n<h1>{}</h1>\n", html(&crate::subject(a)));
    if let Some(d) = &a.declaration {
        let _ = writeln!(
            o,
            "<p>by {} · hardware {} · declared support until {}</p>",
            html(&d.product.manufacturer.name),
            html(&d.product.hardware_version),
            html(
                &d.support_period
                    .end()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "?".into())
            )
        );
    }
    let os = &a.inventory.os;
    let system = os
        .pretty_name
        .clone()
        .or_else(|| os.distribution.clone())
        .unwrap_or_else(|| word(&os.kind));
    let _ = write!(
        o,
        "<p>image <code>{}</code> · {} bytes · sha256 <code>{}</code></p>\n<p>system: {} · kernel {} · {} files, {} ELF binaries, {} components · {} findings ({})</p>\n</header>\n",
        html(&a.input.name),
        a.input.size,
        html(&a.input.sha256),
        html(&system),
        html(os.kernels.first().map(String::as_str).unwrap_or("?")),
        a.unpack.stats.files,
        a.inventory.elf.len(),
        a.inventory.components.len(),
        a.findings.len(),
        html(&crate::severity_counts(&a.findings)),
    );
}

fn scorecard(o: &mut String, a: &Assessment) {
    o.push_str("<section id=\"scorecard\">\n<h2>UK Code of Practice: the 13 guidelines</h2>\n<div class=\"scorecard\">\n");
    for g in &a.guidelines {
        let status = g.status;
        let class = status.key();
        let mut detail = g.finding_counts();
        if detail.is_empty() {
            detail.push(format!(
                "{} check{}",
                g.checks,
                if g.checks == 1 { "" } else { "s" }
            ));
        }
        // Coverage: how many of its provisions the checks examined, as a bar and in words.
        let coverage = match g.coverage() {
            Some((n, total)) => {
                detail.insert(0, format!("{n}/{total} examined"));
                format!(
                    "<div class=\"bar\" title=\"{}\"><i style=\"width:{}%\"></i></div><div class=\"p\">examined: {}</div>",
                    html(&g.coverage_text().unwrap_or_default()),
                    n * 100 / total,
                    html(&if g.examined.is_empty() {
                        "none".to_string()
                    } else {
                        g.examined.join(", ")
                    })
                )
            }
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "<div class=\"tile {class}\" data-guideline=\"{}\" data-status=\"{class}\" title=\"{}\"><span class=\"n\">{}</span><div class=\"t\">{}</div><div class=\"s\">{}</div><div class=\"c\">{}</div>{coverage}</div>",
            g.number,
            html(g.reason.as_deref().unwrap_or("")),
            g.number,
            html(&g.title),
            html(status.as_str()),
            html(&detail.join(" · "))
        );
    }
    let _ = write!(
        o,
        "</div>\n<p class=\"legend\">fail: a finding (low or above) or a failed provision; {}; partly assessed: some of its provisions were examined and nothing was found, the bar and the count say how many; not assessed: nothing automated could examine it{}.</p>\n</section>\n",
        html(crate::PASS_MEANS),
        if a.verdicts.declaration {
            ""
        } else {
            " (no manufacturer's declaration was given)"
        }
    );
}

fn psti(o: &mut String, a: &Assessment) {
    o.push_str("<section id=\"psti\">\n<h2>UK PSTI security requirements (Schedule 1)</h2>\n");
    if a.verdicts.psti.is_empty() {
        o.push_str("<p>not assessed: the assessment holds no PSTI summary.</p>\n</section>\n");
        return;
    }
    o.push_str(
        "<table>\n<tr><th>requirement</th><th>verdict</th><th>provisions</th><th>why</th></tr>\n",
    );
    for p in &a.verdicts.psti {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            html(&p.title),
            verdict_class(p.verdict),
            html(p.verdict.as_str()),
            html(&p.provisions.join(", ")),
            html(&p.reason)
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn findings(o: &mut String, a: &Assessment) {
    let _ = write!(
        o,
        "<section id=\"findings\">\n<h2>Findings ({})</h2>\n",
        a.findings.len()
    );
    o.push_str("<form id=\"filters\" hidden>\n<label>at least <select name=\"severity\">");
    for s in Severity::ALL {
        let _ = write!(o, "<option value=\"{s}\">{s}</option>");
    }
    o.push_str("</select></label>\n<label>guideline <select name=\"guideline\"><option value=\"\">any</option>");
    for g in &a.guidelines {
        let _ = write!(
            o,
            "<option value=\"{}\">{}. {}</option>",
            g.number,
            g.number,
            html(&g.title)
        );
    }
    let _ = write!(
        o,
        "</select></label>\n<label>text <input type=\"search\" name=\"q\" placeholder=\"path, check, provision…\"></label>\n<span id=\"shown\">{} findings</span>\n</form>\n",
        a.findings.len()
    );
    if a.findings.is_empty() {
        o.push_str("<p>No findings.</p>\n");
    }
    for s in Severity::ALL.iter().rev() {
        let group: Vec<(usize, &iotassay_checks::Finding)> = a
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.severity == *s)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            "<div class=\"fgroup\" data-severity=\"{s}\">\n<h3>{} ({})</h3>\n",
            capital(s.as_str()),
            group.len()
        );
        let shown = group.len().min(MAX_ROWS);
        let total = group.len();
        for (i, f) in group.into_iter().take(shown) {
            finding(o, i, f);
        }
        more(o, total);
        o.push_str("</div>\n");
    }
    o.push_str("</section>\n");
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn finding(o: &mut String, i: usize, f: &iotassay_checks::Finding) {
    let guidelines: Vec<String> = f.guidelines.iter().map(u8::to_string).collect();
    let provisions: Vec<&str> = f.provisions.iter().map(|p| p.as_str()).collect();
    let s = f.severity.as_str();
    let _ = write!(
        o,
        "<article class=\"finding sev-{s}\" id=\"f{i}\" data-severity=\"{s}\" data-guidelines=\"{}\">\n<h4><span class=\"badge sev-{s}\">{s}</span> {}</h4>\n<p class=\"meta\">check <code>{}</code> · EN 303 645 {} · UK CoP guideline {}</p>\n<p>{}</p>\n<p><b>Remediation:</b> {}</p>\n",
        guidelines.join(" "),
        html(&f.title),
        html(&f.check),
        html(&provisions.join(", ")),
        html(&guidelines.join(", ")),
        html(&f.rationale),
        html(&f.remediation)
    );
    if !f.evidence.is_empty() {
        // The first few places open, the rest folded (no script needed).
        let shown = &f.evidence[..f.evidence.len().min(MAX_EVIDENCE)];
        let (open, folded) = shown.split_at(shown.len().min(OPEN_EVIDENCE));
        evidence_table(o, open);
        if !folded.is_empty() {
            let _ = writeln!(
                o,
                "<details><summary>{} more place{}</summary>",
                f.evidence.len() - open.len(),
                if f.evidence.len() - open.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
            evidence_table(o, folded);
            if f.evidence.len() > MAX_EVIDENCE {
                let _ = writeln!(
                    o,
                    "<p class=\"more\">… and {} more (all in the assessment JSON)</p>",
                    f.evidence.len() - MAX_EVIDENCE
                );
            }
            o.push_str("</details>\n");
        }
    }
    o.push_str("</article>\n");
}

fn evidence_table(o: &mut String, evidence: &[Evidence]) {
    o.push_str("<table class=\"evidence\">\n<tr><th>where</th><th>excerpt</th><th>provenance (from the image)</th></tr>\n");
    for e in evidence {
        let _ = writeln!(
            o,
            "<tr><td class=\"path\">{}</td><td><code>{}</code></td><td class=\"path\">{}</td></tr>",
            html(&clip(&where_(e), MAX_EXCERPT)),
            html(&clip(e.text.as_deref().unwrap_or(""), MAX_EXCERPT)),
            html(&clip(&e.provenance, MAX_EXCERPT))
        );
    }
    o.push_str("</table>\n");
}

fn provisions(o: &mut String, a: &Assessment) {
    let counts = a.verdicts.counts();
    let summary: Vec<String> = Verdict::ALL
        .iter()
        .filter_map(|v| counts.get(v).map(|n| format!("{n} {v}")))
        .collect();
    let _ = write!(
        o,
        "<section id=\"provisions\">\n<h2>ETSI EN 303 645 provisions ({}: {})</h2>\n",
        a.verdicts.provisions.len(),
        html(&summary.join(", "))
    );
    if !a.verdicts.declaration {
        o.push_str("<p class=\"note\">No manufacturer's declaration was given: what only the manufacturer can state is not assessed (<code>scan --declaration FILE</code>).</p>\n");
    }
    o.push_str("<form id=\"pfilter\" hidden>\n<label>verdict <select name=\"verdict\"><option value=\"\">any</option>");
    for v in Verdict::ALL {
        let _ = write!(
            o,
            "<option value=\"{}\">{}</option>",
            html(&word(&v)),
            html(v.as_str())
        );
    }
    let _ = writeln!(
        o,
        "</select></label>\n<span id=\"pshown\">{} provisions</span>\n</form>",
        a.verdicts.provisions.len()
    );
    o.push_str("<table>\n<tr><th>provision</th><th>V2.1.1</th><th>V3.1.3</th><th>CoP</th><th>verdict</th><th>why</th></tr>\n");
    for p in a.verdicts.provisions.iter().take(MAX_ROWS) {
        let guidelines: Vec<String> = p.guidelines.iter().map(u8::to_string).collect();
        let _ = write!(
            o,
            "<tr data-verdict=\"{}\"><td><b>{}</b><br><span class=\"meta\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td>{}",
            html(&word(&p.verdict)),
            html(&p.id),
            html(&p.summary),
            html(&p.v2_1_1),
            html(&p.v3_1_3),
            html(&guidelines.join(", ")),
            verdict_class(p.verdict),
            html(p.verdict.as_str()),
            html(&p.reason)
        );
        for c in &p.contradictions {
            let link = c
                .finding
                .filter(|&i| i < a.findings.len())
                .map(|i| format!(" (<a href=\"#f{i}\">finding</a>)"))
                .unwrap_or_default();
            let _ = write!(
                o,
                "<div class=\"contradiction\"><b>contradiction</b>: {} — but {}{link}</div>",
                html(&c.claim),
                html(&c.evidence)
            );
        }
        let links: Vec<String> = p
            .findings
            .iter()
            .filter(|&&i| i < a.findings.len())
            .take(20)
            .map(|i| format!("<a href=\"#f{i}\">#{i}</a>"))
            .collect();
        if !links.is_empty() {
            let _ = write!(o, "<div class=\"meta\">findings {}</div>", links.join(" "));
        }
        o.push_str("</td></tr>\n");
    }
    o.push_str("</table>\n");
    more(o, a.verdicts.provisions.len());
    o.push_str("</section>\n");
}

fn vulnerabilities(o: &mut String, a: &Assessment) {
    let v = &a.vulnerabilities;
    o.push_str("<section id=\"vulnerabilities\">\n<h2>Known vulnerabilities</h2>\n");
    if !v.assessed {
        let _ = write!(
            o,
            "<p>not assessed: {}</p>\n</section>\n",
            html(
                v.note
                    .as_deref()
                    .unwrap_or("no vulnerability database was consulted")
            )
        );
        return;
    }
    let kev = v.matches.iter().filter(|m| m.kev).count();
    let _ = writeln!(
        o,
        "<p>{} matches ({kev} known exploited), from the local database.</p>",
        v.matches.len()
    );
    if v.matches.is_empty() {
        o.push_str("</section>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>id</th><th>component</th><th>CVSS</th><th>severity</th><th>KEV</th><th>published</th><th>why it matched</th></tr>\n");
    for m in v.matches.iter().take(MAX_ROWS) {
        let cvss = m
            .cvss
            .as_ref()
            .map(|c| format!("{:.1} (v{}) {}", c.score, c.version, c.vector))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html(&m.cve),
            html(&m.component_label),
            html(&cvss),
            html(&word(&m.severity)),
            if m.kev { "<span class=\"bad\">yes</span>" } else { "no" },
            html(m.published.as_deref().unwrap_or("")),
            html(&clip(&m.why, MAX_EXCERPT))
        );
    }
    o.push_str("</table>\n");
    more(o, v.matches.len());
    o.push_str("</section>\n");
}

fn more(o: &mut String, total: usize) {
    if total > MAX_ROWS {
        let _ = writeln!(
            o,
            "<p class=\"more\">… and {} more rows (all in the assessment JSON)</p>",
            total - MAX_ROWS
        );
    }
}

fn components(o: &mut String, a: &Assessment) {
    let c = &a.inventory.components;
    let _ = write!(
        o,
        "<section id=\"sbom\">\n<h2>Software bill of materials ({} components)</h2>\n",
        c.len()
    );
    if c.is_empty() {
        o.push_str("<p>No component was identified.</p>\n</section>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>component</th><th>version</th><th>kind</th><th>confidence</th><th>purl / CPE</th><th>evidence</th></tr>\n");
    for x in c.iter().take(MAX_ROWS) {
        let evidence = x
            .evidence
            .first()
            .map(|e| format!("{} — {}", where_(e), e.text.as_deref().unwrap_or("")))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"path\">{}{}</td><td class=\"path\">{}</td></tr>",
            html(&x.name),
            html(&x.version),
            html(&word(&x.kind)),
            html(&word(&x.confidence)),
            html(&x.purl),
            x.cpe
                .as_deref()
                .map(|c| format!("<br>{}", html(c)))
                .unwrap_or_default(),
            html(&clip(&evidence, MAX_EXCERPT))
        );
    }
    o.push_str("</table>\n");
    more(o, c.len());
    o.push_str("</section>\n");
}

fn yes_no(ok: bool, yes: &str, no: &str) -> String {
    if ok {
        format!("<span class=\"good\">{yes}</span>")
    } else {
        format!("<span class=\"bad\">{no}</span>")
    }
}

fn hardening(o: &mut String, a: &Assessment) {
    let elf = &a.inventory.elf;
    let _ = write!(
        o,
        "<section id=\"hardening\">\n<h2>Binary hardening ({} ELF files)</h2>\n",
        elf.len()
    );
    if elf.is_empty() {
        o.push_str("<p>No ELF file was found.</p>\n</section>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>path</th><th>machine</th><th>type</th><th>PIE</th><th>NX</th><th>RELRO</th><th>canary</th><th>FORTIFY</th><th>RPATH / RUNPATH</th><th>stripped</th></tr>\n");
    for e in elf.iter().take(MAX_ROWS) {
        match &e.facts {
            Ok(f) => {
                use iotassay_inventory::elf::{Nx, Relro};
                let pie = if f.shared_object || f.kernel_module {
                    "n/a".to_string()
                } else {
                    yes_no(f.pie, "yes", "no")
                };
                let nx = match f.nx {
                    Nx::Enabled => yes_no(true, "yes", ""),
                    Nx::Disabled => yes_no(false, "", "no (RWE stack)"),
                    _ => html(&word(&f.nx)).to_string(),
                };
                let relro = match f.relro {
                    Relro::Full => yes_no(true, "full", ""),
                    Relro::Partial => "partial".to_string(),
                    Relro::None => yes_no(false, "", "none"),
                };
                let mut paths: Vec<String> = f.rpath.clone();
                paths.extend(f.runpath.iter().cloned());
                let _ = writeln!(
                    o,
                    "<tr><td class=\"path\">{}</td><td>{}</td><td>{}</td><td>{pie}</td><td title=\"{}\">{nx}</td><td>{relro}</td><td>{}</td><td>{}</td><td class=\"path\">{}</td><td>{}</td></tr>",
                    html(&clip(&e.path, MAX_EXCERPT)),
                    html(&word(&f.machine)),
                    html(&word(&f.elf_type)),
                    html(&f.nx_reason),
                    yes_no(f.canary, "yes", "no"),
                    if f.fortify { "yes" } else { "no" },
                    html(&clip(&paths.join(":"), MAX_EXCERPT)),
                    if f.stripped { "yes" } else { "no" }
                );
            }
            Err(reason) => {
                let _ = writeln!(
                    o,
                    "<tr><td class=\"path\">{}</td><td colspan=\"9\">not readable as ELF: {}</td></tr>",
                    html(&clip(&e.path, MAX_EXCERPT)),
                    html(&clip(reason, MAX_EXCERPT))
                );
            }
        }
    }
    o.push_str("</table>\n");
    more(o, elf.len());
    o.push_str("</section>\n");
}

/// What could not be read, with the input's entropy profile as an inline SVG plot (no script):
/// bits per byte along the input, the high-entropy threshold dashed, unread stretches shaded.
fn readability(o: &mut String, a: &Assessment) {
    let Some(op) = &a.opacity else {
        return;
    };
    let class = match op.status {
        Readability::Opaque => " class=\"bad\"",
        _ => "",
    };
    let _ = writeln!(
        o,
        "<section id=\"readability\">\n<h2>What could be read</h2>\n<p{class}>{}</p>",
        html(op.note.as_deref().unwrap_or(
            "Every high-entropy stretch of the image was decoded by a recognised structure."
        ))
    );
    let p = &op.entropy;
    if p.values.is_empty() {
        o.push_str("</section>\n");
        return;
    }
    const W: f64 = 640.0;
    const H: f64 = 120.0;
    let total = (p.block * p.values.len() as u64).max(1) as f64;
    let y = |bits: f64| H - bits.clamp(0.0, 8.0) / 8.0 * H;
    let step = W / p.values.len() as f64;
    let _ = write!(
        o,
        "<svg class=\"entropy\" role=\"img\" viewBox=\"-40 -10 {} {}\" width=\"{}\" height=\"{}\" \
xmlns=\"http://www.w3.org/2000/svg\">\n<title>Entropy of {} ({} bytes per point, {:.2} bits/byte overall)</title>\n",
        W + 50.0,
        H + 30.0,
        W + 50.0,
        H + 30.0,
        html(&a.input.name),
        p.block,
        p.overall
    );
    for u in op.unread.iter().filter(|u| u.source == a.input.name) {
        let _ = writeln!(
            o,
            "<rect class=\"unread\" x=\"{:.1}\" y=\"0\" width=\"{:.1}\" height=\"{H}\" fill=\"#ef6c00\" fill-opacity=\"0.2\"/>",
            u.offset as f64 / total * W,
            (u.size as f64 / total * W).max(1.0)
        );
    }
    let points: Vec<String> = p
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| format!("{:.1},{:.1}", (i as f64 + 0.5) * step, y(v as f64)))
        .collect();
    let _ = write!(
        o,
        "<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"none\" stroke=\"#9e9e9e\"/>\n\
<line x1=\"0\" x2=\"{W}\" y1=\"{hi:.1}\" y2=\"{hi:.1}\" stroke=\"#ef6c00\" stroke-dasharray=\"4 3\"/>\n\
<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"{}\"/>\n\
<text x=\"-4\" y=\"4\" text-anchor=\"end\" font-size=\"10\">8</text>\n\
<text x=\"-4\" y=\"{H}\" text-anchor=\"end\" font-size=\"10\">0</text>\n\
<text x=\"-30\" y=\"{mid}\" font-size=\"10\">bits</text>\n\
<text x=\"0\" y=\"{ty}\" font-size=\"10\">0x0</text>\n\
<text x=\"{W}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"10\">{:#x}</text>\n</svg>\n",
        points.join(" "),
        a.input.size,
        hi = y(iotassay_checks::opaque::HIGH_ENTROPY),
        mid = H / 2.0,
        ty = H + 14.0,
    );
    if !op.unread.is_empty() {
        o.push_str(
            "<table>\n<tr><th>where</th><th>offset</th><th>bytes</th><th>bits/byte</th></tr>\n",
        );
        for u in &op.unread {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{:#x}</td><td>{}</td><td>{:.2}</td></tr>",
                html(&clip(&u.source, MAX_EXCERPT)),
                u.offset,
                u.size,
                u.entropy
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("</section>\n");
}

fn unpacking(o: &mut String, a: &Assessment) {
    let u = &a.unpack;
    let _ = write!(
        o,
        "<section id=\"unpacking\">\n<h2>Unpacking</h2>\n<p>{} structures recognised, {} extracted; {} files, {} folders, {} symlinks; depth {}.</p>\n",
        u.regions.len(),
        u.regions.iter().filter(|r| r.output.is_some()).count(),
        u.stats.files,
        u.stats.dirs,
        u.stats.symlinks,
        u.stats.max_depth
    );
    if let Some(reason) = &u.aborted {
        let _ = writeln!(
            o,
            "<p class=\"bad\">Unpacking stopped early: {}</p>",
            html(reason)
        );
    }
    if !u.warnings.is_empty() {
        o.push_str("<ul>\n");
        for w in u.warnings.iter().take(MAX_EVIDENCE) {
            let at = w.offset.map(|x| format!(" @{x:#x}")).unwrap_or_default();
            let _ = writeln!(
                o,
                "<li><code>{}{}</code>: {}</li>",
                html(&clip(&w.source, MAX_EXCERPT)),
                html(&at),
                html(&clip(&w.reason, MAX_EXCERPT))
            );
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_has_the_scorecard_colours() {
        let s = style();
        assert!(
            s.contains("--fail: #c62828") && s.contains("--pass: #2e7d32"),
            "{s}"
        );
        assert!(s.contains("--na: #757575"), "{s}");
    }

    #[test]
    fn the_csp_hash_is_of_the_script() {
        let h = script_hash();
        assert!(h.starts_with("'sha256-") && h.ends_with("='"), "{h}");
    }
}
