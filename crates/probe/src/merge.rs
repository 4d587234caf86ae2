//! The probe beside the other evidence about the same product: the firmware scan's boot services
//! (`--assessment scan.json`) and the manufacturer's declaration (`--declaration`).
//!
//! - a service the firmware starts at boot that the device does not expose, and a service the
//!   device exposes that the firmware does not start (another image, or started some other way);
//! - a listening service the declaration's interface list omits, or declares not exposed: a
//!   contradiction, like the firmware verdicts report for boot services.
//!
//! Kinds are matched through [`iotassay_inventory::services::INTERFACE_KINDS`], the same table the
//! firmware verdicts use.

use iotassay_declaration::Declaration;
use iotassay_findings::{Finding, Severity};
use iotassay_inventory::services::INTERFACE_KINDS;
use iotassay_inventory::{Enablement, Services};
use serde::{Deserialize, Serialize};

use crate::{ProbeReport, Service};

/// The comparison, for people and JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Started at boot by the firmware, not answering on the device.
    pub started_not_exposed: Vec<String>,
    /// Answering on the device, not started by the firmware.
    pub exposed_not_started: Vec<String>,
    /// Answering on the device, omitted by the declaration or declared not exposed.
    pub undeclared: Vec<String>,
}

/// The interface kind (of [`INTERFACE_KINDS`]) a live service is.
fn kind_of(s: Service) -> Option<&'static str> {
    match s {
        Service::Telnet => Some("telnet"),
        Service::Ssh => Some("SSH"),
        Service::Ftp => Some("FTP"),
        Service::Http | Service::Tls => Some("web server"),
        Service::Rtsp => Some("RTSP"),
        Service::Mqtt => Some("MQTT broker"),
        Service::Adb => Some("ADB"),
        Service::Unknown => None,
    }
}

/// Live services by kind: (kind, "host:port/service" list).
fn live_kinds(r: &ProbeReport) -> Vec<(&'static str, Vec<String>)> {
    let mut out: Vec<(&'static str, Vec<String>)> = Vec::new();
    let mut add = |kind: &'static str, what: String| match out.iter_mut().find(|(k, _)| *k == kind)
    {
        Some((_, v)) => v.push(what),
        None => out.push((kind, vec![what])),
    };
    for h in &r.hosts {
        for p in &h.ports {
            if let Some(k) = kind_of(p.service) {
                add(
                    k,
                    format!("{}:{}/{}", h.address, p.port, p.service.as_str()),
                );
            }
        }
        for s in &h.snmp {
            add("SNMP", format!("{}:{}/snmp", h.address, s.port));
        }
        for s in &h.ssdp {
            add("UPnP", format!("{}:{}/ssdp", h.address, s.port));
        }
    }
    out
}

/// Compare and return the findings it gives.
pub fn compare(
    r: &ProbeReport,
    services: Option<&Services>,
    declaration: Option<&Declaration>,
) -> (Comparison, Vec<Finding>) {
    let mut c = Comparison::default();
    let mut findings = Vec::new();
    let live = live_kinds(r);
    let probed_kind = |kind: &str| -> bool {
        // A kind whose ports were all probed: only then is "not exposed" a fact.
        let ports = &r.settings.tcp_ports;
        match kind {
            "telnet" => ports.contains(&23) || live.iter().any(|(k, _)| *k == kind),
            "SSH" => ports.contains(&22) || live.iter().any(|(k, _)| *k == kind),
            "FTP" => ports.contains(&21) || live.iter().any(|(k, _)| *k == kind),
            "web server" => ports.contains(&80) || live.iter().any(|(k, _)| *k == kind),
            _ => live.iter().any(|(k, _)| *k == kind),
        }
    };
    if let Some(services) = services {
        for (kind, programs, _) in INTERFACE_KINDS {
            let started: Vec<_> = services
                .services
                .iter()
                .filter(|s| {
                    programs.contains(&s.program.as_str()) && s.enablement() == Enablement::Yes
                })
                .collect();
            let answering = live.iter().find(|(k, _)| *k == *kind);
            match (started.first(), answering) {
                (Some(s), None) if probed_kind(kind) => {
                    let line = s.evidence.line.map(|l| format!(":{l}")).unwrap_or_default();
                    let text = format!(
                        "{}{line} starts {} ({kind}) at boot; no {kind} answered on the device's probed ports",
                        s.evidence.path, s.program
                    );
                    c.started_not_exposed.push(text.clone());
                    findings.push(
                        Finding::new(
                            "probe.scan_mismatch",
                            &["5.6-1"],
                            Severity::Info,
                            text.clone(),
                            "The firmware and the running device differ: the service may listen elsewhere, start later, or the image is not the one running.",
                            "Check that the image scanned is the firmware the device runs; remove services the product does not use from the image.",
                        )
                        .with_evidence(crate::findings::evidence("firmware", "boot", 0, "services", text)),
                    );
                }
                (None, Some((_, where_))) => {
                    let text = format!(
                        "{kind} answers on {} but the firmware starts no {} at boot",
                        where_.join(", "),
                        programs.join("/")
                    );
                    c.exposed_not_started.push(text.clone());
                    findings.push(
                        Finding::new(
                            "probe.scan_mismatch",
                            &["5.6-1"],
                            Severity::Low,
                            text.clone(),
                            "A listening service the scanned firmware does not start means the scan missed it or the device runs other software.",
                            "Reconcile the image with the device; every exposed service should be visible in the firmware.",
                        )
                        .with_evidence(crate::findings::evidence("device", "tcp", 0, kind, text)),
                    );
                }
                _ => {}
            }
        }
    }
    if let Some(d) = declaration {
        for (kind, where_) in &live {
            let Some((_, _, words)) = INTERFACE_KINDS.iter().find(|(k, _, _)| k == kind) else {
                continue;
            };
            let claim = d.claim_against_interface(kind, words);
            if let Some(claim) = claim {
                let text = format!("{claim}; but {kind} answers on {}", where_.join(", "));
                c.undeclared.push(text.clone());
                findings.push(
                    Finding::new(
                        "probe.undeclared_interface",
                        &["5.6-1"],
                        Severity::Medium,
                        text.clone(),
                        "A reachable interface the manufacturer does not declare is either unused (5.6-1 wants it disabled) or a wrong declaration.",
                        "Disable the service, or declare it as an exposed interface with its purpose and authentication.",
                    )
                    .with_evidence(crate::findings::evidence("device", "tcp", 0, kind, text)),
                );
            }
        }
    }
    (c, findings)
}

/// Attach the comparison to the report and merge its findings (worst first).
pub fn attach(r: &mut ProbeReport, services: Option<&Services>, declaration: Option<&Declaration>) {
    let (c, f) = compare(r, services, declaration);
    r.comparison = Some(c);
    r.findings.extend(f);
    r.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
    });
}

/// The boot services of a firmware assessment JSON (`iotassay scan --json`), read without the
/// rest of the assessment.
pub fn services_from_assessment(json: &str) -> Result<Services, String> {
    #[derive(Deserialize)]
    struct A {
        inventory: I,
    }
    #[derive(Deserialize)]
    struct I {
        services: Services,
    }
    serde_json::from_str::<A>(json)
        .map(|a| a.inventory.services)
        .map_err(|e| format!("not an iotassay assessment (inventory.services): {e}"))
}
