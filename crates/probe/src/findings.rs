//! What the probe saw, as findings mapped to EN 303 645 provisions (check ids `probe.*`).
//!
//! Severities follow the firmware checks: a default credential that logs in, or a service that
//! needs none, is Critical/High (5.1-1, PSTI); obsolete TLS or weak SSH algorithms Medium/Low
//! (5.5-1); disclosure without authentication Low/Medium (5.6-2); the open-port inventory is Info.
//! Nothing is reported that the attempts do not show: an inconclusive credential test is Info and
//! says why.

use iotassay_findings::{Evidence, Finding, Severity};

use crate::auth::{AuthCheck, AuthVerdict, Outcome, Role};
use crate::{HostReport, ProbeReport, Service};

/// Evidence for something seen on `host`, port `port`.
pub fn evidence(
    host: &str,
    proto: &str,
    port: u16,
    what: &str,
    text: impl Into<String>,
) -> Evidence {
    Evidence {
        node: format!("{proto}/{port}"),
        path: format!("{host}:{port} {what}"),
        line: None,
        offset: None,
        text: Some(text.into()),
        provenance: format!("iotassay probe {host} ({proto}/{port} {what})"),
    }
}

/// Every finding of the report, worst first.
pub fn from_report(r: &ProbeReport) -> Vec<Finding> {
    let mut out = Vec::new();
    for h in &r.hosts {
        host_findings(h, &mut out);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
    });
    out
}

fn attempts_text(c: &AuthCheck) -> String {
    c.attempts
        .iter()
        .map(|a| {
            let who = match (&a.role, &a.cred) {
                (Role::Unauthenticated, _) | (_, None) => "no credentials".to_string(),
                (_, Some(cr)) => format!(
                    "{}/{} ({})",
                    cr.user,
                    if cr.password.is_empty() {
                        "<empty>"
                    } else {
                        &cr.password
                    },
                    cr.source
                ),
            };
            let outcome = match a.outcome {
                Outcome::Accepted => "accepted",
                Outcome::Rejected => "refused",
                Outcome::Unclear => "unclear",
            };
            format!("{who}: {outcome} — {}", a.detail)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn host_findings(h: &HostReport, out: &mut Vec<Finding>) {
    let host = h.address.as_str();
    if !h.ports.is_empty() {
        let list = h
            .ports
            .iter()
            .map(|p| {
                format!(
                    "{}/{}{}",
                    p.port,
                    p.service.as_str(),
                    p.product
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(
                "probe.open_ports",
                &["5.6-1"],
                Severity::Info,
                format!("{host}: {} TCP port(s) open: {list}", h.ports.len()),
                "Every listening service is attack surface; each should be one the product needs and declares.",
                "Disable services the product does not need; list the rest in the declaration's interfaces.",
            )
            .with_evidence(evidence(host, "tcp", 0, "connect scan", list)),
        );
    }
    for c in &h.auth {
        auth_finding(host, c, out);
    }
    for p in &h.ports {
        let cleartext = match p.service {
            Service::Telnet => Some("telnet"),
            Service::Ftp => Some("FTP"),
            _ => None,
        };
        if let Some(name) = cleartext {
            out.push(
                Finding::new(
                    "probe.cleartext_login",
                    &["5.5-1", "5.6-1"],
                    Severity::Medium,
                    format!("{host}:{} offers {name}, a login over cleartext", p.port),
                    "Credentials and sessions of this protocol cross the network unencrypted.",
                    "Remove the service, or replace it with an encrypted one (SSH, TLS).",
                )
                .with_evidence(evidence(
                    host,
                    "tcp",
                    p.port,
                    p.service.as_str(),
                    p.banner.clone().unwrap_or_default(),
                )),
            );
        }
    }
    for hf in h.http.iter().filter(|hf| !hf.tls) {
        if hf.challenges.iter().any(|c| c == "basic") {
            out.push(
                Finding::new(
                    "probe.cleartext_login",
                    &["5.5-1"],
                    Severity::Medium,
                    format!("{host}:{} asks for HTTP Basic credentials without TLS", hf.port),
                    "Basic authorization sends the password base64-encoded, readable by anyone on the path.",
                    "Serve the interface over HTTPS only, or use a login that does not expose the password.",
                )
                .with_evidence(evidence(host, "tcp", hf.port, "http", hf.root.clone())),
            );
        } else if let Some(page) = &hf.login_page {
            out.push(
                Finding::new(
                    "probe.cleartext_login",
                    &["5.5-1"],
                    Severity::Medium,
                    format!(
                        "{host}:{} serves a login form over plain HTTP ({page})",
                        hf.port
                    ),
                    "The form sends the password unencrypted, readable by anyone on the path.",
                    "Serve the interface over HTTPS only (redirect HTTP to it).",
                )
                .with_evidence(evidence(
                    host,
                    "tcp",
                    hf.port,
                    "http",
                    format!("GET {page}: password field in a form"),
                )),
            );
        }
    }
    for (port, t) in &h.tls {
        let old: Vec<&String> = t
            .accepted
            .iter()
            .filter(|v| matches!(v.as_str(), "SSL 3.0" | "TLS 1.0" | "TLS 1.1"))
            .collect();
        if !old.is_empty() {
            let sev = if old.iter().any(|v| *v == "SSL 3.0") {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(
                Finding::new(
                    "probe.tls_obsolete",
                    &["5.5-1"],
                    sev,
                    format!(
                        "{host}:{port} accepts obsolete {}",
                        old.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    "SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated (RFC 7568, RFC 8996); best-practice cryptography means TLS 1.2 or 1.3.",
                    "Accept TLS 1.2 and 1.3 only.",
                )
                .with_evidence(evidence(host, "tcp", *port, "tls", format!("accepted: {}", t.accepted.join(", ")))),
            );
        }
        if let Some(c) = &t.certificate {
            let ev = || {
                evidence(
                    host,
                    "tcp",
                    *port,
                    "tls certificate",
                    format!(
                        "subject {}; issuer {}; {} {} bits; {}; valid {} – {}; sha256 {}",
                        c.subject,
                        c.issuer,
                        c.key_type,
                        c.key_bits.map(|b| b.to_string()).unwrap_or("?".into()),
                        c.signature,
                        c.not_before,
                        c.not_after,
                        c.sha256
                    ),
                )
            };
            if c.expired || c.not_yet_valid {
                out.push(Finding::new("probe.tls_certificate", &["5.5-1"], Severity::Medium,
                    format!("{host}:{port} presents a certificate outside its validity ({} – {})", c.not_before, c.not_after),
                    "Clients that check validity fail; clients that do not are trained to accept anything.",
                    "Provision a valid certificate and renew it before it expires.").with_evidence(ev()));
            }
            let weak_key = match (c.key_type.as_str(), c.key_bits) {
                ("RSA" | "DSA", Some(b)) => b < 2048,
                ("EC", Some(b)) => b < 224,
                _ => false,
            };
            if weak_key {
                out.push(
                    Finding::new(
                        "probe.tls_certificate",
                        &["5.5-1"],
                        Severity::Medium,
                        format!(
                            "{host}:{port} certificate key is {} {} bits",
                            c.key_type,
                            c.key_bits.unwrap_or(0)
                        ),
                        "Keys below 2048-bit RSA (or 224-bit EC) are below current best practice.",
                        "Use RSA ≥ 2048 bits or an EC key on P-256 or better.",
                    )
                    .with_evidence(ev()),
                );
            }
            let sig = c.signature.to_ascii_lowercase();
            if sig.contains("md5") || sig.contains("sha1") {
                out.push(
                    Finding::new(
                        "probe.tls_certificate",
                        &["5.5-1"],
                        Severity::Low,
                        format!("{host}:{port} certificate is signed with {}", c.signature),
                        "MD5 and SHA-1 signatures can be forged.",
                        "Sign certificates with SHA-256 or better.",
                    )
                    .with_evidence(ev()),
                );
            }
            if c.self_signed {
                out.push(Finding::new("probe.tls_certificate", &["5.5-1"], Severity::Info,
                    format!("{host}:{port} certificate is self-issued ({})", c.subject),
                    "A self-issued certificate cannot be validated by clients unless they pin it; common on devices, worth knowing.",
                    "Pin the certificate in the companion app, or use a per-device certificate from a device CA.").with_evidence(ev()));
            }
        }
    }
    for (port, s) in &h.ssh {
        if !s.weak.is_empty() {
            let sev = if s.weak.iter().any(|w| {
                w.starts_with("diffie-hellman-group1-sha1")
                    || w.starts_with("des-cbc")
                    || w.starts_with("arcfour")
                    || w.starts_with("none")
            }) {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.push(
                Finding::new(
                    "probe.ssh_weak_algorithms",
                    &["5.5-1"],
                    sev,
                    format!("{host}:{port} SSH offers {} weak algorithm(s)", s.weak.len()),
                    "A client can be made to negotiate them; best-practice cryptography leaves them out.",
                    "Remove them from the server's key exchange, host key, cipher and MAC lists.",
                )
                .with_evidence(evidence(host, "tcp", *port, "ssh", format!("{}: {}", s.banner, s.weak.join("; ")))),
            );
        }
    }
    for (port, m) in &h.adb {
        let (sev, title) = if m.command == "CNXN" {
            (
                Severity::Critical,
                format!(
                    "{host}:{port} ADB answers without authentication ({})",
                    m.payload
                ),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "{host}:{port} ADB debug interface is reachable ({} required)",
                    m.command
                ),
            )
        };
        out.push(
            Finding::new(
                "probe.adb",
                &["5.6-4", "5.6-1"],
                sev,
                title,
                "ADB over the network is a debug interface; unauthenticated it is a root shell for anyone on the network.",
                "Disable adbd's TCP transport (service.adb.tcp.port) in production builds.",
            )
            .with_evidence(evidence(host, "tcp", *port, "adb", format!("{} arg0=0x{:08x} {}", m.command, m.arg0, m.payload))),
        );
    }
    for (port, m) in &h.mqtt {
        out.push(
            Finding::new(
                "probe.mqtt_topics",
                &["5.8-2", "5.6-2"],
                if m.topics.iter().any(|t| !t.starts_with("$SYS")) { Severity::High } else { Severity::Medium },
                format!("{host}:{port} MQTT lets anyone subscribe: {} message(s) on {} topic(s) in the sampling window", m.messages, m.topics.len()),
                "Anyone on the network reads what the device publishes (payloads not kept by the probe).",
                "Require authentication and per-client ACLs on the broker.",
            )
            .with_evidence(evidence(host, "tcp", *port, "mqtt", format!("broker {}; topics: {}", m.broker_version.as_deref().unwrap_or("?"), m.topics.join(", ")))),
        );
    }
    for s in &h.snmp {
        let (sev, title) = if s.accepts_any_community {
            (
                Severity::High,
                format!("{host}:{} SNMP answers any community string", s.port),
            )
        } else {
            (
                Severity::High,
                format!(
                    "{host}:{} SNMP answers the default community `public`",
                    s.port
                ),
            )
        };
        out.push(
            Finding::new(
                "probe.snmp_community",
                &["5.1-1", "5.6-2"],
                sev,
                title,
                "An SNMP community is a password; `public` is the universal default.",
                "Disable SNMP, or use SNMPv3 with per-device credentials.",
            )
            .with_evidence(evidence(
                host,
                "udp",
                s.port,
                "snmp",
                format!("sysDescr.0 = {}", s.sys_descr.as_deref().unwrap_or("?")),
            )),
        );
    }
    for u in &h.ssdp {
        let mut leaks = Vec::new();
        for (k, v) in [
            ("model", &u.model_name),
            ("model number", &u.model_number),
            ("serial number", &u.serial_number),
            ("server", &u.server),
        ] {
            if let Some(v) = v {
                leaks.push(format!("{k} {v}"));
            }
        }
        let igd: Vec<&String> = u
            .services
            .iter()
            .filter(|s| s.contains("WANIPConnection") || s.contains("WANPPPConnection"))
            .collect();
        let sev = if u.serial_number.is_some() || !igd.is_empty() {
            Severity::Low
        } else {
            Severity::Info
        };
        out.push(
            Finding::new(
                "probe.upnp",
                &["5.6-2", "5.6-1"],
                sev,
                format!(
                    "{host}:{} UPnP answers discovery{}{}",
                    u.port,
                    if u.serial_number.is_some() { " and discloses its serial number" } else { "" },
                    if igd.is_empty() { String::new() } else { " and offers IGD port mapping".into() }
                ),
                "UPnP tells anyone on the network what the device is; IGD port mapping lets software on the LAN open the firewall.",
                "Disable UPnP where not needed; never expose serial numbers; disable IGD port mapping by default.",
            )
            .with_evidence(evidence(host, "udp", u.port, "ssdp", format!("{}; services: {}; {} answer(s), {} bytes for a {}-byte request", leaks.join("; "), u.services.join(", "), u.responses, u.response_bytes, u.request_bytes))),
        );
    }
}

fn auth_finding(host: &str, c: &AuthCheck, out: &mut Vec<Finding>) {
    let proto = c.protocol.as_str();
    let ev = evidence(host, "tcp", c.port, proto, attempts_text(c));
    let f = match &c.verdict {
        AuthVerdict::DefaultCredential { cred } => Finding::new(
            "probe.default_credential",
            &["5.1-1"],
            Severity::Critical,
            format!(
                "{host}:{} {proto} accepts the default credential {}/{} ({}) and refused a wrong password",
                c.port,
                cred.user,
                if cred.password.is_empty() { "<empty>" } else { &cred.password },
                cred.source
            ),
            "A publicly known default that logs in is a universal default password (PSTI Schedule 1 §1).",
            "Give every unit a unique password, or make the user set one before the service is usable.",
        ),
        AuthVerdict::AcceptsAnyCredential => Finding::new(
            "probe.accepts_any_credential",
            &["5.1-1", "5.5-5"],
            Severity::High,
            format!("{host}:{} {proto} accepts any credential (a random password logged in)", c.port),
            "Authentication that accepts anything is no authentication; default-password results are meaningless here.",
            "Check the credential; if this is a honeypot or test fixture, say so in the declaration.",
        ),
        AuthVerdict::NoAuthentication => Finding::new(
            "probe.no_authentication",
            &["5.5-5", "5.6-2", "5.1-1"],
            if matches!(proto, "telnet" | "ssh" | "adb") { Severity::Critical } else { Severity::High },
            format!("{host}:{} {proto} requires no authentication", c.port),
            "Anyone who reaches the port gets in without any credential.",
            "Require authentication with a unique or user-set credential.",
        ),
        AuthVerdict::Inconclusive { reason } => Finding::new(
            "probe.login_inconclusive",
            &["5.1-1"],
            Severity::Info,
            format!("{host}:{} {proto}: default-credential test inconclusive ({reason})", c.port),
            "The controls did not allow a conclusion; nothing is claimed.",
            "Check this service by hand.",
        ),
        AuthVerdict::Refused { .. } | AuthVerdict::NotTested { .. } => return,
    };
    out.push(f.with_evidence(ev));
}
