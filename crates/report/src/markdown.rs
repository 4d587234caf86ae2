//! GitHub-flavoured Markdown for a pull request comment or a ticket: the 13-guideline table, the
//! PSTI summary, failing provisions with their contradictions, the worst findings with evidence,
//! and known vulnerabilities. Text from the image is escaped by [`crate::escape::md`], so it can
//! neither break a table nor inject Markdown or HTML.

use std::fmt::Write;

use iotassay_checks::{Assessment, GuidelineStatus, Verdict};

use crate::escape::{clip, md};

/// Findings listed in full; the rest are counted.
const TOP_FINDINGS: usize = 15;
const MAX_EVIDENCE: usize = 3;
const MAX_VULNS: usize = 25;
const MAX_TEXT: usize = 240;

fn status_mark(s: GuidelineStatus) -> &'static str {
    match s {
        GuidelineStatus::Fail => "❌ fail",
        GuidelineStatus::Pass => "✅ pass",
        GuidelineStatus::Partial => "◐ partly assessed",
        GuidelineStatus::NotAssessed => "➖ not assessed",
    }
}

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Fail => "❌ fail",
        Verdict::Pass => "✅ pass",
        Verdict::Declared => "📝 declared",
        Verdict::NotApplicable => "⚪ not applicable",
        Verdict::NotAssessed => "➖ not assessed",
    }
}

pub fn render(a: &Assessment) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## iotassay: {}\n", md(&crate::subject(a)));
    let _ = writeln!(
        o,
        "Image {} (sha256 {}, {} bytes): **{}** findings ({}).\n",
        md(&a.input.name),
        md(&clip(&a.input.sha256, 16)),
        a.input.size,
        a.findings.len(),
        md(&crate::severity_counts(&a.findings))
    );

    o.push_str("### UK Code of Practice guidelines\n\n| # | Guideline | Status | Examined | Findings / why |\n|---:|---|---|---|---|\n");
    for g in &a.guidelines {
        let counts = g.finding_counts();
        let detail = match (&g.reason, counts.is_empty()) {
            (_, false) => counts.join(", "),
            (Some(r), true) => clip(r, MAX_TEXT).into_owned(),
            (None, true) => format!(
                "{} check{}, nothing found",
                g.checks,
                if g.checks == 1 { "" } else { "s" }
            ),
        };
        let examined = match g.coverage() {
            Some((n, total)) if g.examined.is_empty() => format!("{n}/{total}"),
            Some((n, total)) => format!("{n}/{total}: {}", g.examined.join(", ")),
            None => "?".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            g.number,
            md(&g.title),
            status_mark(g.status),
            md(&examined),
            md(&detail)
        );
    }
    let _ = writeln!(o, "\n<sub>{}.</sub>\n", md(crate::PASS_MEANS));

    o.push_str("### UK PSTI requirements\n\n");
    if !a.verdicts.declaration {
        o.push_str("No manufacturer's declaration was given (`scan --declaration FILE`): what only the manufacturer can state is not assessed.\n\n");
    }
    o.push_str("| Requirement | Verdict | Why |\n|---|---|---|\n");
    for p in &a.verdicts.psti {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            md(&p.title),
            verdict_mark(p.verdict),
            md(&clip(&p.reason, 2 * MAX_TEXT))
        );
    }

    let failing: Vec<_> = a
        .verdicts
        .provisions
        .iter()
        .filter(|p| p.verdict == Verdict::Fail)
        .collect();
    let counts = a.verdicts.counts();
    let summary: Vec<String> = Verdict::ALL
        .iter()
        .filter_map(|v| counts.get(v).map(|n| format!("{n} {v}")))
        .collect();
    let _ = writeln!(
        o,
        "\n### Failing EN 303 645 provisions ({} of {}: {})\n",
        failing.len(),
        a.verdicts.provisions.len(),
        md(&summary.join(", "))
    );
    if failing.is_empty() {
        o.push_str("None.\n");
    }
    for p in failing {
        let _ = writeln!(
            o,
            "- **{}** ({}, {}): {}",
            md(&p.id),
            md(&p.v3_1_3),
            md(&clip(&p.summary, MAX_TEXT)),
            md(&clip(&p.reason, 2 * MAX_TEXT))
        );
        for c in &p.contradictions {
            let _ = writeln!(
                o,
                "  - ⚠️ contradiction: {} — but {}",
                md(&c.claim),
                md(&c.evidence)
            );
        }
    }

    let _ = writeln!(o, "\n### Findings (worst first)\n");
    if a.findings.is_empty() {
        o.push_str("No findings.\n");
    }
    for f in a.findings.iter().take(TOP_FINDINGS) {
        let provisions: Vec<&str> = f.provisions.iter().map(|p| p.as_str()).collect();
        let _ = writeln!(
            o,
            "- **{}** {} <sub>({}; {})</sub>",
            f.severity,
            md(&clip(&f.title, 2 * MAX_TEXT)),
            md(&f.check),
            md(&provisions.join(", "))
        );
        for e in f.evidence.iter().take(MAX_EVIDENCE) {
            let at = match (e.line, e.offset) {
                (Some(l), _) => format!("{}:{l}", e.path),
                (None, Some(x)) => format!("{} @{x:#x}", e.path),
                _ => e.path.clone(),
            };
            let _ = write!(o, "  - <code>{}</code>", md(&clip(&at, MAX_TEXT)));
            if let Some(t) = &e.text {
                let _ = write!(o, ": <code>{}</code>", md(&clip(t, MAX_TEXT)));
            }
            let _ = writeln!(o, " <sub>from {}</sub>", md(&clip(&e.provenance, MAX_TEXT)));
        }
        if f.evidence.len() > MAX_EVIDENCE {
            let _ = writeln!(
                o,
                "  - … and {} more places",
                f.evidence.len() - MAX_EVIDENCE
            );
        }
        let _ = writeln!(o, "  - Fix: {}", md(&clip(&f.remediation, 2 * MAX_TEXT)));
    }
    if a.findings.len() > TOP_FINDINGS {
        let _ = writeln!(
            o,
            "\n… and {} more findings in the full report.",
            a.findings.len() - TOP_FINDINGS
        );
    }

    let v = &a.vulnerabilities;
    o.push_str("\n### Known vulnerabilities\n\n");
    if !v.assessed {
        let _ = writeln!(
            o,
            "Not assessed: {}.",
            md(v.note
                .as_deref()
                .unwrap_or("no vulnerability database was consulted"))
        );
    } else if v.matches.is_empty() {
        o.push_str("None matched in the local database.\n");
    } else {
        let kev = v.matches.iter().filter(|m| m.kev).count();
        let _ = writeln!(
            o,
            "{} matches, {kev} known exploited.\n\n| ID | Component | CVSS | KEV |\n|---|---|---|---|",
            v.matches.len()
        );
        for m in v.matches.iter().take(MAX_VULNS) {
            let score = m
                .cvss
                .as_ref()
                .map(|c| format!("{:.1} (v{})", c.score, c.version))
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md(&m.cve),
                md(&m.component_label),
                md(&score),
                if m.kev { "yes" } else { "" }
            );
        }
        if v.matches.len() > MAX_VULNS {
            let _ = writeln!(o, "\n… and {} more.", v.matches.len() - MAX_VULNS);
        }
    }
    let _ = writeln!(
        o,
        "\n<sub>{} {} · assessment schema {}</sub>",
        md(&a.tool.name),
        md(&a.tool.version),
        md(&a.schema)
    );
    o
}
