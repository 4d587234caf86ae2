//! The PSTI statement of compliance (Act s. 9; SI 2023/1007 Schedule 4) as text and HTML, with the
//! fields Schedule 4 requires: product type and batch; name and address of the manufacturer and of
//! any UK authorised representative; that it is prepared by or on behalf of the manufacturer; the
//! declaration of compliance with Schedule 1 naming the standard's number, version and date; the
//! defined support period; the signatory's signature, name and function; place and date of issue.
//!
//! The document never asserts more than the verdicts support: when a Schedule 1 requirement fails
//! or is not assessed, or a Schedule 4 field is missing from the declaration, it is a DRAFT that
//! says which requirement or field blocks it and why.

use std::fmt::Write;

use iotassay_checks::{Assessment, Verdict};
use serde::Serialize;

use crate::escape::html;

/// The standard Schedule 2 deems compliance by, as the Regulations cite it.
pub const STANDARD: &str = "ETSI EN 303 645 V2.1.1 (2020-06)";
const REGULATIONS: &str = "the Product Security and Telecommunications Infrastructure (Security Requirements for Relevant Connectable Products) Regulations 2023 (SI 2023/1007)";

/// One Schedule 4 item: its number, what it is, and the value (`None` when missing).
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub item: u8,
    pub name: &'static str,
    pub value: Option<String>,
}

/// One Schedule 1 requirement: the provisions relied on and the verdict on them.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub title: String,
    pub route: String,
    pub verdict: Verdict,
    pub reason: String,
}

/// The statement's content; [`Statement::text`] and [`Statement::html`] lay it out.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// True unless every requirement is supported and every field is present.
    pub draft: bool,
    /// Why it is a draft: each blocking requirement or missing field, with the reason.
    pub blockers: Vec<String>,
    pub fields: Vec<Field>,
    pub requirements: Vec<Requirement>,
    /// Keep the statement until then: the later of 10 years from issue and the support period's end.
    pub retain_until: Option<String>,
    pub image: String,
    pub sha256: String,
    pub tool: String,
}

fn routes(req: iotassay_catalog::Psti, provisions: &[String]) -> String {
    let p = if provisions.is_empty() {
        "—".to_string()
    } else {
        provisions.join(", ")
    };
    let para = match req {
        iotassay_catalog::Psti::Passwords => 1,
        iotassay_catalog::Psti::VulnerabilityReporting => 2,
        iotassay_catalog::Psti::SupportPeriod => 3,
    };
    format!("Schedule 2 para {para}: {STANDARD}, provision(s) {p}")
}

impl Statement {
    pub fn from_assessment(a: &Assessment) -> Statement {
        let d = a.declaration.as_ref();
        let mut blockers = Vec::new();
        if d.is_none() {
            blockers.push("no manufacturer's declaration was given (scan --declaration FILE): the Schedule 4 fields are unknown".to_string());
        }

        let requirements: Vec<Requirement> = a
            .verdicts
            .psti
            .iter()
            .map(|p| Requirement {
                title: p.title.clone(),
                route: routes(p.requirement, &p.provisions),
                verdict: p.verdict,
                reason: p.reason.clone(),
            })
            .collect();
        if requirements.is_empty() {
            blockers.push("the assessment holds no verdict on the Schedule 1 requirements".into());
        }
        for r in &requirements {
            match r.verdict {
                Verdict::Fail => blockers.push(format!("{} fails: {}", r.title, r.reason)),
                Verdict::NotAssessed => {
                    blockers.push(format!("{} is not assessed: {}", r.title, r.reason))
                }
                Verdict::Pass | Verdict::Declared | Verdict::NotApplicable => {}
            }
        }

        let product = d.map(|d| &d.product);
        let soc = d.and_then(|d| d.statement_of_compliance.as_ref());
        let end = d.and_then(|d| d.support_period.end());
        let type_and_batch = product.and_then(|p| {
            let kind = p.kind.as_deref()?;
            Some(format!(
                "{kind}: {} model {} (hardware {}, software {}); batch {}",
                p.name,
                p.model,
                p.hardware_version,
                p.software_version,
                if p.batch.is_empty() {
                    "all units of this model".to_string()
                } else {
                    p.batch.join(", ")
                }
            ))
        });
        let fields = vec![
            Field {
                item: 1,
                name: "Product type and batch",
                value: type_and_batch,
            },
            Field {
                item: 2,
                name: "Manufacturer (name and address)",
                value: product.map(|p| {
                    format!("{}, {}", p.manufacturer.name, p.manufacturer.address)
                }),
            },
            Field {
                item: 2,
                name: "UK authorised representative (name and address)",
                value: d.map(|d| match &d.uk_representative {
                    Some(r) => format!("{}, {}", r.name, r.address),
                    None => "none appointed".into(),
                }),
            },
            Field {
                item: 3,
                name: "Prepared by or on behalf of the manufacturer",
                value: soc.map(|s| {
                    if s.on_behalf_of_manufacturer {
                        format!("This statement of compliance has been prepared by {} on behalf of the manufacturer.", s.prepared_by)
                    } else {
                        format!("This statement of compliance has been prepared by the manufacturer, {}.", s.prepared_by)
                    }
                }),
            },
            Field {
                item: 5,
                name: "Defined support period",
                value: end.map(|e| {
                    let at = d
                        .and_then(|d| d.support_period.published_at.as_deref())
                        .map(|u| format!(" (published at {u})"))
                        .unwrap_or_default();
                    format!("security updates will be provided until at least {e}{at}, as correct at the date of first supply")
                }),
            },
            Field {
                item: 6,
                name: "Signatory (name and function)",
                value: soc.map(|s| format!("{}, {}", s.signatory_name, s.signatory_function)),
            },
            Field {
                item: 7,
                name: "Place and date of issue",
                value: soc.map(|s| format!("{}, {}", s.place_of_issue, s.date_of_issue)),
            },
        ];
        if d.is_some() {
            for f in &fields {
                if f.value.is_none() {
                    let key = match f.item {
                        1 => "product.type",
                        5 => "support_period",
                        _ => "[statement_of_compliance]",
                    };
                    blockers.push(format!(
                        "Schedule 4 item {} ({}) is missing: add {key} to the declaration",
                        f.item, f.name
                    ));
                }
            }
        }

        let retain_until = soc.and_then(|s| {
            let issued = s.date_of_issue.0;
            let ten = issued
                .replace_year(issued.year() + 10)
                .or_else(|_| time::Date::from_calendar_date(issued.year() + 10, issued.month(), 28))
                .ok()?;
            let until = match end {
                Some(e) if e.0 > ten => e.0,
                _ => ten,
            };
            Some(iotassay_declaration::Date(until).to_string())
        });

        Statement {
            draft: !blockers.is_empty(),
            blockers,
            fields,
            requirements,
            retain_until,
            image: a.input.name.clone(),
            sha256: a.input.sha256.clone(),
            tool: format!("{} {}", a.tool.name, a.tool.version),
        }
    }

    fn compliance_sentence(&self) -> String {
        if self.draft {
            "NOT DECLARED. The manufacturer cannot yet declare compliance with the security requirements of Schedule 1: see what blocks it below.".into()
        } else {
            format!(
                "The manufacturer declares that it has complied with the security requirements in Schedule 1 to {REGULATIONS}, relying on the conditions of Schedule 2 (deemed compliance) by the standard {STANDARD}:"
            )
        }
    }

    /// Plain text.
    pub fn text(&self) -> String {
        let mut o = String::new();
        o.push_str("STATEMENT OF COMPLIANCE\nProduct Security and Telecommunications Infrastructure Act 2022, section 9; SI 2023/1007, Schedule 4\n");
        if self.draft {
            o.push_str("\n*** DRAFT: NOT A STATEMENT OF COMPLIANCE. It cannot be issued until what blocks it is resolved. ***\n");
        }
        o.push('\n');
        let field = |o: &mut String, f: &Field| {
            let _ = writeln!(
                o,
                "{}. {}: {}",
                f.item,
                f.name,
                f.value.as_deref().unwrap_or("MISSING")
            );
        };
        for f in self.fields.iter().filter(|f| f.item <= 3) {
            field(&mut o, f);
        }
        let _ = writeln!(o, "4. Compliance: {}", self.compliance_sentence());
        for r in &self.requirements {
            let _ = writeln!(
                o,
                "   - {}\n     {} — verdict: {}",
                r.title,
                r.route,
                r.verdict.as_str()
            );
        }
        for f in self.fields.iter().filter(|f| f.item > 3) {
            field(&mut o, f);
        }
        o.push_str("   Signature: ______________________________\n");
        if self.draft {
            o.push_str("\nWhat blocks it:\n");
            for b in &self.blockers {
                let _ = writeln!(o, "  - {b}");
            }
        }
        if let Some(r) = &self.retain_until {
            let _ = writeln!(
                o,
                "\nKeep this statement until {r} (the longer of 10 years from issue and the defined support period)."
            );
        }
        let _ = writeln!(
            o,
            "\nPrepared with {} from the assessment of firmware image {} (sha256 {}). The verdicts are evidence for the manufacturer; the statement is the manufacturer's own.",
            self.tool, self.image, self.sha256
        );
        o
    }

    /// A printable HTML page (inline CSS, no script, nothing fetched).
    pub fn html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>{}Statement of compliance: {}</title>\n<style>\n\
body {{ font: 15px/1.5 Georgia, \"DejaVu Serif\", serif; max-width: 800px; margin: 24px auto; color: #111; padding: 0 16px; }}\n\
h1 {{ font-size: 22px; margin-bottom: 0; }} .sub {{ color: #444; margin-top: 2px; }}\n\
.draft {{ border: 3px solid #c62828; color: #c62828; font-weight: 700; padding: 8px 12px; margin: 16px 0; }}\n\
dl dt {{ font-weight: 700; margin-top: 10px; }} dl dd {{ margin-left: 24px; }} .missing {{ color: #c62828; font-weight: 700; }}\n\
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }}\n\
.sig {{ margin-top: 36px; border-top: 1px solid #111; width: 320px; padding-top: 4px; }} .note {{ color: #444; font-size: 13px; }}\n\
@media print {{ body {{ margin: 0; }} }}\n\
</style>\n</head>\n<body>\n<h1>Statement of compliance</h1>\n<p class=\"sub\">Product Security and Telecommunications Infrastructure Act 2022, section 9; SI 2023/1007, Schedule 4</p>\n",
            if self.draft { "DRAFT — " } else { "" },
            html(&self.image)
        );
        if self.draft {
            o.push_str("<div class=\"draft\">DRAFT: NOT A STATEMENT OF COMPLIANCE. It cannot be issued until what blocks it is resolved:<ul>");
            for b in &self.blockers {
                let _ = write!(o, "<li>{}</li>", html(b));
            }
            o.push_str("</ul></div>\n");
        }
        o.push_str("<dl>\n");
        let field = |o: &mut String, f: &Field| {
            let _ = write!(o, "<dt>{}. {}</dt><dd>", f.item, html(f.name));
            match &f.value {
                Some(v) => {
                    let _ = write!(o, "{}", html(v));
                }
                None => o.push_str("<span class=\"missing\">MISSING</span>"),
            }
            o.push_str("</dd>\n");
        };
        for f in self.fields.iter().filter(|f| f.item <= 3) {
            field(&mut o, f);
        }
        let _ = write!(
            o,
            "<dt>4. Compliance with Schedule 1</dt><dd>{}\n<table><tr><th>requirement</th><th>relied on</th><th>verdict</th><th>why</th></tr>\n",
            html(&self.compliance_sentence())
        );
        for r in &self.requirements {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html(&r.title),
                html(&r.route),
                html(r.verdict.as_str()),
                html(&r.reason)
            );
        }
        o.push_str("</table></dd>\n");
        for f in self.fields.iter().filter(|f| f.item > 3) {
            field(&mut o, f);
        }
        o.push_str("</dl>\n<div class=\"sig\">Signature</div>\n");
        if let Some(r) = &self.retain_until {
            let _ = writeln!(
                o,
                "<p class=\"note\">Keep this statement until {} (the longer of 10 years from issue and the defined support period).</p>",
                html(r)
            );
        }
        let _ = write!(
            o,
            "<p class=\"note\">Prepared with {} from the assessment of firmware image <code>{}</code> (sha256 <code>{}</code>). The verdicts are evidence for the manufacturer; the statement is the manufacturer's own.</p>\n</body>\n</html>\n",
            html(&self.tool),
            html(&self.image),
            html(&self.sha256)
        );
        o
    }
}
