//! The consumer label: what a buyer needs before purchase (PSTI and the 2019 UK label proposal,
//! `standards.md` §6.1): that the product connects to a network, until when it gets security
//! updates, how to report a vulnerability, where the privacy information is, and the 13-guideline
//! scorecard. JSON (`iotassay.label/1`) is the data; the SVG and the HTML card are drawn from it.
//!
//! Nothing is invented: without the manufacturer's declaration the support period, the reporting
//! contact and the privacy information read "unknown", with why.

use std::fmt::Write;

use iotassay_checks::{Assessment, GuidelineStatus, Verdict};
use iotassay_inventory::Enablement;
use serde::Serialize;

use crate::escape::{clip, html};
use crate::html::{hex_rgb, status_colour};

pub const SCHEMA: &str = "iotassay.label/1";

/// Where a label statement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The manufacturer's declaration states it.
    Declaration,
    /// The firmware shows it.
    Firmware,
    /// Nothing given says it.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub name: String,
    pub model: String,
    pub manufacturer: String,
    pub hardware_version: String,
    pub software_version: String,
}

/// One line of the label: the sentence printed, what it rests on, and the detail behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub text: String,
    pub basis: Basis,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityUpdates {
    #[serde(flatten)]
    pub line: Line,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// The declared period has ended.
    pub ended: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reporting {
    #[serde(flatten)]
    pub line: Line,
    pub contact: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_updates: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub guideline: u8,
    pub title: String,
    pub status: GuidelineStatus,
    /// Of its provisions, how many the firmware checks examined (absent for an assessment
    /// written before coverage was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examined: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisions: Option<usize>,
}

impl Score {
    /// `2. Implement a vulnerability disclosure policy: partly assessed, 1/3 examined`.
    fn tooltip(&self) -> String {
        let coverage = match (self.examined, self.provisions) {
            (Some(n), Some(total)) => format!(", {n}/{total} examined"),
            _ => String::new(),
        };
        format!(
            "{}. {}: {}{coverage}",
            self.guideline,
            self.title,
            self.status.as_str()
        )
    }

    /// The examined share, 0 to 100, when known.
    fn percent(&self) -> Option<usize> {
        match (self.examined, self.provisions) {
            (Some(n), Some(total)) if total > 0 => Some(n * 100 / total),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PstiLine {
    pub requirement: iotassay_catalog::Psti,
    pub title: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub image: String,
    pub sha256: String,
    pub tool: String,
    pub version: String,
}

/// The label's data.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub schema: &'static str,
    /// From the declaration; `None` without one.
    pub product: Option<Product>,
    pub connectivity: Line,
    pub security_updates: SecurityUpdates,
    pub vulnerability_reporting: Reporting,
    pub privacy: Line,
    pub scorecard: Vec<Score>,
    pub psti: Vec<PstiLine>,
    pub source: Source,
    pub caveat: String,
}

const NO_DECLARATION: &str = "no manufacturer's declaration was given";

impl Label {
    pub fn from_assessment(a: &Assessment) -> Label {
        let d = a.declaration.as_ref();
        let product = d.map(|d| Product {
            name: d.product.name.clone(),
            model: d.product.model.clone(),
            manufacturer: d.product.manufacturer.name.clone(),
            hardware_version: d.product.hardware_version.clone(),
            software_version: d.product.software_version.clone(),
        });

        let mut network: Vec<String> = a
            .inventory
            .services
            .services
            .iter()
            .filter(|s| s.enablement() == Enablement::Yes)
            .filter(|s| iotassay_inventory::services::network_service_kind(&s.program).is_some())
            .map(|s| s.program.clone())
            .collect();
        network.sort();
        network.dedup();
        let connectivity = match d {
            Some(d) => Line {
                text: "This product connects to the internet".into(),
                basis: Basis::Declaration,
                detail: if d.interfaces.is_empty() {
                    "the manufacturer's declaration covers it as a connectable product".into()
                } else {
                    format!(
                        "declared interfaces: {}",
                        d.interfaces
                            .iter()
                            .map(|i| format!("{} ({})", i.name, i.protocol))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            },
            None if !network.is_empty() => Line {
                text: "This product connects to a network".into(),
                basis: Basis::Firmware,
                detail: format!("its firmware starts {} at boot", network.join(", ")),
            },
            None => Line {
                text: "Unknown whether this product connects to the internet".into(),
                basis: Basis::Unknown,
                detail: format!(
                    "{NO_DECLARATION}, and the firmware starts no known network service at boot"
                ),
            },
        };

        let today = time::OffsetDateTime::now_utc().date();
        let security_updates = match d.map(|d| (d.support_period.end(), &d.support_period)) {
            Some((Some(end), period)) => {
                let ended = end.0 < today;
                SecurityUpdates {
                    line: Line {
                        text: if ended {
                            format!("Security updates ended on {end}")
                        } else {
                            format!("Security updates until at least {end}")
                        },
                        basis: Basis::Declaration,
                        detail: "the defined support period the manufacturer declares".into(),
                    },
                    end_date: Some(end.to_string()),
                    published_at: period.published_at.clone(),
                    ended,
                }
            }
            Some((None, _)) | None => SecurityUpdates {
                line: Line {
                    text: "Security update period: unknown".into(),
                    basis: Basis::Unknown,
                    detail: if d.is_some() {
                        "the declaration's support period has no representable end".into()
                    } else {
                        NO_DECLARATION.into()
                    },
                },
                end_date: None,
                published_at: None,
                ended: false,
            },
        };

        let vulnerability_reporting = match d.map(|d| &d.vulnerability_disclosure) {
            Some(v) if !v.contact.is_empty() => Reporting {
                line: Line {
                    text: format!("Report to {}", v.contact[0]),
                    basis: Basis::Declaration,
                    detail: String::new(),
                },
                contact: v.contact.clone(),
                policy: v.policy.clone(),
                acknowledgement: v.acknowledgement.clone(),
                status_updates: v.status_updates.clone(),
            },
            _ => Reporting {
                line: Line {
                    text: "How to report security issues: unknown".into(),
                    basis: Basis::Unknown,
                    detail: if d.is_some() {
                        "the declaration names no contact".into()
                    } else {
                        NO_DECLARATION.into()
                    },
                },
                contact: Vec::new(),
                policy: None,
                acknowledgement: None,
                status_updates: None,
            },
        };

        let privacy = match d.and_then(|d| d.product.privacy_policy.as_ref()) {
            Some(url) => Line {
                text: format!("Privacy: {}", url.0),
                basis: Basis::Declaration,
                detail: String::new(),
            },
            None => Line {
                text: "Privacy information: not given".into(),
                basis: Basis::Unknown,
                detail: if d.is_some() {
                    "the declaration gives no privacy_policy".into()
                } else {
                    NO_DECLARATION.into()
                },
            },
        };

        Label {
            schema: SCHEMA,
            product,
            connectivity,
            security_updates,
            vulnerability_reporting,
            privacy,
            scorecard: a
                .guidelines
                .iter()
                .map(|g| Score {
                    guideline: g.number,
                    title: g.title.clone(),
                    status: g.status,
                    examined: g.coverage().map(|(n, _)| n),
                    provisions: g.coverage().map(|(_, total)| total),
                })
                .collect(),
            psti: a
                .verdicts
                .psti
                .iter()
                .map(|p| PstiLine {
                    requirement: p.requirement,
                    title: p.title.clone(),
                    verdict: p.verdict,
                })
                .collect(),
            source: Source {
                image: a.input.name.clone(),
                sha256: a.input.sha256.clone(),
                tool: a.tool.name.clone(),
                version: a.tool.version.clone(),
            },
            caveat: format!(
                "Automated firmware assessment, not a certification; {}.",
                crate::PASS_MEANS
            ),
        }
    }

    fn heading(&self) -> (String, String) {
        match &self.product {
            Some(p) => (
                format!("{} {}", p.name, p.model),
                format!(
                    "{} · hardware {} · software {}",
                    p.manufacturer, p.hardware_version, p.software_version
                ),
            ),
            None => (
                self.source.image.clone(),
                "product not declared: facts from the firmware only".into(),
            ),
        }
    }

    /// The label as an SVG image (420 px wide; text clipped to fit, nothing fetched).
    pub fn svg(&self) -> String {
        const W: u32 = 420;
        let (title, sub) = self.heading();
        let mut body = String::new();
        let mut y = 96u32;
        let line = |o: &mut String, label: &str, l: &Line, y: &mut u32| {
            let colour = if l.basis == Basis::Unknown {
                "#8a6d00"
            } else {
                "#1b1b1b"
            };
            let _ = write!(
                o,
                "<text x=\"16\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text>\n<text x=\"16\" y=\"{}\" font-size=\"13\" font-weight=\"600\" fill=\"{colour}\">{}</text>\n",
                *y,
                html(label),
                *y + 17,
                html(&clip(&l.text, 46))
            );
            *y += 42;
        };
        line(&mut body, "CONNECTIVITY", &self.connectivity, &mut y);
        line(
            &mut body,
            "SECURITY UPDATES",
            &self.security_updates.line,
            &mut y,
        );
        line(
            &mut body,
            "VULNERABILITY REPORTING",
            &self.vulnerability_reporting.line,
            &mut y,
        );
        line(&mut body, "PRIVACY", &self.privacy, &mut y);

        let _ = writeln!(
            body,
            "<text x=\"16\" y=\"{}\" font-size=\"11\" fill=\"#555\">UK CODE OF PRACTICE: 13 GUIDELINES</text>",
            y
        );
        y += 8;
        let cell = 27u32;
        let gap = 2u32;
        for (i, s) in self.scorecard.iter().enumerate() {
            let x = 16 + (i as u32 % 13) * (cell + gap);
            let fill = hex_rgb(status_colour(s.status));
            // The examined share as a white strip along the cell's foot.
            let bar = s
                .percent()
                .map(|p| {
                    format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"3\" fill=\"#fff\" fill-opacity=\"0.7\"/>",
                        x + 3,
                        y + cell - 5,
                        (cell - 6) as usize * p / 100
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                body,
                "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" rx=\"4\" fill=\"{fill}\"/>{bar}<text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"700\" fill=\"#fff\" text-anchor=\"middle\">{}</text></g>",
                html(&s.tooltip()),
                x + cell / 2,
                y + 17,
                s.guideline
            );
        }
        y += cell + 14;
        let mut x = 16u32;
        for status in GuidelineStatus::ALL {
            let word = if status == GuidelineStatus::Partial {
                "partly (bar: share examined)"
            } else {
                status.as_str()
            };
            let _ = writeln!(
                body,
                "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{y}\" font-size=\"11\" fill=\"#333\">{word}</text>",
                y - 9,
                hex_rgb(status_colour(status)),
                x + 14
            );
            x += 20 + 6 * word.len() as u32;
        }
        y += 22;
        if !self.psti.is_empty() {
            let _ = writeln!(
                body,
                "<text x=\"16\" y=\"{y}\" font-size=\"11\" fill=\"#555\">UK PSTI REQUIREMENTS</text>"
            );
            y += 17;
            for p in &self.psti {
                let name = psti_name(p.requirement);
                let _ = writeln!(
                    body,
                    "<text x=\"16\" y=\"{y}\" font-size=\"13\" fill=\"#1b1b1b\">{}</text><text x=\"{}\" y=\"{y}\" font-size=\"13\" font-weight=\"600\" text-anchor=\"end\" fill=\"{}\">{}</text>",
                    html(name),
                    W - 16,
                    verdict_colour(p.verdict),
                    html(p.verdict.as_str())
                );
                y += 18;
            }
            y += 6;
        }
        let foot = format!(
            "{} {} · {} · sha256 {}",
            self.source.tool,
            self.source.version,
            clip(&self.source.image, 28),
            clip(&self.source.sha256, 12)
        );
        let _ = write!(
            body,
            "<text x=\"16\" y=\"{y}\" font-size=\"10\" fill=\"#555\">{}</text>\n<text x=\"16\" y=\"{}\" font-size=\"10\" fill=\"#555\">Automated assessment, not a certification. Pass = no problem found.</text>\n",
            html(&foot),
            y + 14
        );
        let h = y + 28;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" role=\"img\" aria-label=\"Security label: {}\">\n<rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" rx=\"10\" fill=\"#fff\" stroke=\"#263238\" stroke-width=\"2\"/>\n<path d=\"M0.5 10.5 a10 10 0 0 1 10 -10 h{} a10 10 0 0 1 10 10 v60 h-{} z\" fill=\"#263238\"/>\n<text x=\"16\" y=\"28\" font-size=\"12\" fill=\"#cfd8dc\">SECURITY INFORMATION</text>\n<text x=\"16\" y=\"50\" font-size=\"17\" font-weight=\"700\" fill=\"#fff\">{}</text>\n<text x=\"16\" y=\"64\" font-size=\"10\" fill=\"#cfd8dc\">{}</text>\n{body}</svg>\n",
            html(&title),
            W - 1,
            h - 1,
            W - 21,
            W - 1,
            html(&clip(&title, 40)),
            html(&clip(&sub, 66)),
        )
    }

    /// The label as a self-contained HTML card (no images, no network).
    pub fn html(&self) -> String {
        let (title, sub) = self.heading();
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>Security label: {}</title>\n<style>\n\
body {{ font: 14px/1.4 system-ui, \"DejaVu Sans\", sans-serif; margin: 16px; color: #1b1b1b; }}\n\
.label {{ width: 400px; border: 2px solid #263238; border-radius: 10px; overflow: hidden; }}\n\
.top {{ background: #263238; color: #fff; padding: 10px 14px; }} .top small {{ color: #cfd8dc; display: block; }}\n\
.top h1 {{ font-size: 18px; margin: 2px 0; overflow-wrap: anywhere; }}\n\
section {{ padding: 6px 14px; border-top: 1px solid #eceff1; }} h2 {{ font-size: 11px; color: #555; margin: 0; letter-spacing: .05em; }}\n\
p {{ margin: 2px 0; font-weight: 600; overflow-wrap: anywhere; }} p.unknown {{ color: #8a6d00; }} .detail {{ font-weight: 400; font-size: 12px; color: #555; }}\n\
ol {{ list-style: none; display: flex; flex-wrap: wrap; gap: 2px; padding: 0; margin: 4px 0; }}\n\
ol li {{ width: 25px; height: 25px; border-radius: 4px; color: #fff; font-weight: 700; text-align: center; line-height: 25px; font-size: 12px; }}\n\
.fail {{ background: {}; }} .pass {{ background: {}; }} .not-assessed {{ background: {}; }} .partial {{ background: {}; }}\n\
table {{ width: 100%; border-collapse: collapse; }} td {{ padding: 1px 0; }} td + td {{ text-align: right; font-weight: 600; }}\n\
footer {{ font-size: 11px; color: #555; padding: 6px 14px 10px; overflow-wrap: anywhere; }}\n\
</style>\n</head>\n<body>\n<div class=\"label\">\n<div class=\"top\"><small>SECURITY INFORMATION</small><h1>{}</h1><small>{}</small></div>\n",
            html(&title),
            hex_rgb(crate::html::FAIL_RGB),
            hex_rgb(crate::html::PASS_RGB),
            hex_rgb(crate::html::NOT_ASSESSED_RGB),
            hex_rgb(crate::html::PARTIAL_RGB),
            html(&title),
            html(&sub)
        );
        let section = |o: &mut String, name: &str, l: &Line, extra: &[(&str, Option<&str>)]| {
            let class = if l.basis == Basis::Unknown {
                " class=\"unknown\""
            } else {
                ""
            };
            let _ = write!(
                o,
                "<section><h2>{}</h2><p{class}>{}</p>",
                html(name),
                html(&l.text)
            );
            if !l.detail.is_empty() {
                let _ = write!(o, "<div class=\"detail\">{}</div>", html(&l.detail));
            }
            for (k, v) in extra {
                if let Some(v) = v {
                    let _ = write!(o, "<div class=\"detail\">{}: {}</div>", html(k), html(v));
                }
            }
            o.push_str("</section>\n");
        };
        section(&mut o, "CONNECTIVITY", &self.connectivity, &[]);
        section(
            &mut o,
            "SECURITY UPDATES",
            &self.security_updates.line,
            &[(
                "published at",
                self.security_updates.published_at.as_deref(),
            )],
        );
        let more_contacts = self
            .vulnerability_reporting
            .contact
            .get(1..)
            .map(|c| c.join(", "));
        section(
            &mut o,
            "VULNERABILITY REPORTING",
            &self.vulnerability_reporting.line,
            &[
                ("also", more_contacts.as_deref().filter(|s| !s.is_empty())),
                ("policy", self.vulnerability_reporting.policy.as_deref()),
                (
                    "acknowledgement",
                    self.vulnerability_reporting.acknowledgement.as_deref(),
                ),
                (
                    "status updates",
                    self.vulnerability_reporting.status_updates.as_deref(),
                ),
            ],
        );
        section(&mut o, "PRIVACY", &self.privacy, &[]);
        o.push_str("<section><h2>UK CODE OF PRACTICE: 13 GUIDELINES</h2><ol>");
        for s in &self.scorecard {
            // The examined share as a white strip along the cell's foot.
            let bar = s
                .percent()
                .map(|p| {
                    format!(
                        " style=\"background-image: linear-gradient(to right, rgba(255,255,255,.7) {p}%, transparent {p}%); background-size: 100% 3px; background-repeat: no-repeat; background-position: 0 100%\""
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                o,
                "<li class=\"{}\" title=\"{}\"{bar}>{}</li>",
                s.status.key(),
                html(&s.tooltip()),
                s.guideline
            );
        }
        o.push_str("</ol><div class=\"detail\">");
        for status in GuidelineStatus::ALL {
            let _ = write!(
                o,
                "<span style=\"color:{}\">■</span> {} ",
                hex_rgb(status_colour(status)),
                status.as_str()
            );
        }
        o.push_str("(the strip: share of provisions examined)</div></section>\n");
        if !self.psti.is_empty() {
            o.push_str("<section><h2>UK PSTI REQUIREMENTS</h2><table>");
            for p in &self.psti {
                let _ = write!(
                    o,
                    "<tr><td title=\"{}\">{}</td><td style=\"color:{}\">{}</td></tr>",
                    html(&p.title),
                    html(psti_name(p.requirement)),
                    verdict_colour(p.verdict),
                    html(p.verdict.as_str())
                );
            }
            o.push_str("</table></section>\n");
        }
        let _ = write!(
            o,
            "<footer>{} {} · image {} · sha256 {}<br>{}</footer>\n</div>\n</body>\n</html>\n",
            html(&self.source.tool),
            html(&self.source.version),
            html(&self.source.image),
            html(&self.source.sha256),
            html(&self.caveat)
        );
        o
    }
}

/// The short name of a PSTI requirement, for the label.
fn psti_name(req: iotassay_catalog::Psti) -> &'static str {
    match req {
        iotassay_catalog::Psti::Passwords => "No default passwords",
        iotassay_catalog::Psti::VulnerabilityReporting => "Vulnerability reporting",
        iotassay_catalog::Psti::SupportPeriod => "Support period published",
    }
}

fn verdict_colour(v: Verdict) -> String {
    match v {
        Verdict::Fail => hex_rgb(crate::html::FAIL_RGB),
        Verdict::Pass | Verdict::NotApplicable => hex_rgb(crate::html::PASS_RGB),
        Verdict::Declared => "#1565c0".into(),
        Verdict::NotAssessed => hex_rgb(crate::html::NOT_ASSESSED_RGB),
    }
}
