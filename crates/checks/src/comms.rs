//! Communicating securely (UK CoP guideline 5; EN 303 645 5.5-1, 5.5-2, 5.5-7, 5.8-1).
//!
//! - cleartext endpoints: `http://`, `mqtt://`, `ftp://`, `telnet://` URLs to Internet hosts in
//!   configuration files and scripts (update URLs are reported by `updates.cleartext_url`);
//! - TLS verification turned off in configuration or scripts (`curl -k`,
//!   `wget --no-check-certificate`, `tls_insecure true`, `verify = false`, `ssl_verify_peer=0`…),
//!   and TLS clients that never enable OpenSSL peer verification (an indicator only);
//! - obsolete TLS libraries, found by their version strings in ELF files (OpenSSL before 1.1.1,
//!   PolarSSL, old mbed TLS, CyaSSL, axTLS, MatrixSSL before 4): one Aho-Corasick pass per file,
//!   bounded by file size, in parallel.

use aho_corasick::AhoCorasick;
use iotassay_inventory::{ElfFile, Evidence};
use rayon::prelude::*;

use crate::filescan::{
    self, elf_evidence, excerpt_around, is_comment, is_local_host, lines, short_list, urls,
    Content, MAX_BINARY_FILE, MAX_EVIDENCE,
};
use crate::updates::{insecure_flag, is_update_line, is_update_url, is_web_or_doc};
use crate::{Check, Context, Finding, Severity};

/// Hosts of XML namespaces, schemas and licences: identifiers, not endpoints.
const IDENTIFIER_HOSTS: &[&str] = &[
    "www.w3.org",
    "w3.org",
    "schemas.xmlsoap.org",
    "schemas.upnp.org",
    "schemas.microsoft.com",
    "purl.org",
    "www.apache.org",
    "www.gnu.org",
    "opensource.org",
    "ns.adobe.com",
];

/// Whether a text file is a configuration file or a script (where endpoints are configured).
fn is_config_or_script(f: &Content<'_, '_>) -> bool {
    if is_web_or_doc(f.path) {
        return false;
    }
    let lower = f.path.to_ascii_lowercase();
    let ext = f.name().rsplit_once('.').map_or("", |(_, e)| e);
    lower.starts_with("etc/")
        || f.data.starts_with(b"#!")
        || matches!(
            ext,
            "sh" | "conf" | "cfg" | "ini" | "json" | "yaml" | "yml" | "toml" | "config"
        )
}

/// Cleartext URLs to Internet hosts in configuration files and scripts.
pub struct CleartextEndpoint;

impl Check for CleartextEndpoint {
    fn id(&self) -> &'static str {
        "comms.cleartext_endpoint"
    }
    fn title(&self) -> &'static str {
        "Cleartext (http/mqtt/ftp/telnet) endpoints in configuration and scripts"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.5-1", "5.5-7", "5.8-1"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let schemes = ["http", "mqtt", "ftp", "telnet", "ws"];
        let files: Vec<Content<'_, '_>> = filescan::text_files(cx)
            .into_iter()
            .filter(is_config_or_script)
            .collect();
        // (medium?, evidence, url)
        let hits: Vec<(bool, Evidence, String)> = filescan::par_scan(&files, |f| {
            let mut out = Vec::new();
            for (n, line) in lines(f.data) {
                if is_comment(&line) || line.contains("xmlns") {
                    continue;
                }
                for u in urls(&line, &schemes) {
                    if is_local_host(&u.host)
                        || IDENTIFIER_HOSTS.contains(&u.host.as_str())
                        || is_update_url(f.path, &line, &u.text)
                    {
                        continue;
                    }
                    let medium =
                        u.credentials || matches!(u.scheme.as_str(), "mqtt" | "ftp" | "telnet");
                    out.push((
                        medium,
                        f.evidence(Some(n), None, &excerpt_around(&line, u.at)),
                        u.text,
                    ));
                }
                if out.len() >= 50 {
                    break;
                }
            }
            out
        });
        if hits.is_empty() {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for medium in [true, false] {
            let group: Vec<&(bool, Evidence, String)> =
                hits.iter().filter(|h| h.0 == medium).collect();
            if group.is_empty() {
                continue;
            }
            let mut seen: Vec<String> = group.iter().map(|h| h.2.clone()).collect();
            seen.sort();
            seen.dedup();
            let (severity, title, rationale) = if medium {
                (
                    Severity::Medium,
                    format!(
                        "Cleartext MQTT/FTP/telnet endpoints or URLs with credentials: {}",
                        short_list(&seen, 2)
                    ),
                    "These protocols send credentials and data unencrypted (and a URL with \
                     `user:password@` puts the credentials on the wire and in the image); anyone \
                     on the path can read or alter them.",
                )
            } else {
                (
                    Severity::Low,
                    format!(
                        "Plain-HTTP endpoints in configuration or scripts: {}",
                        short_list(&seen, 2)
                    ),
                    "The device is configured to talk to these Internet hosts without TLS, so the \
                     exchange can be read and altered on the path; whether it carries personal or \
                     security data depends on the service.",
                )
            };
            let mut f = Finding::new(
                self.id(),
                &["5.5-1", "5.5-7", "5.8-1"],
                severity,
                title,
                rationale,
                "Use TLS (https://, mqtts:// on 8883, ftps/sftp) with certificate verification \
                 for every Internet endpoint, and keep credentials out of URLs.",
            );
            for (_, e, _) in group.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e.clone());
            }
            findings.push(f);
        }
        findings
    }
}

/// Settings in configuration files that turn TLS peer verification off.
const INSECURE_SETTINGS: &[&str] = &[
    "tls_insecure true",
    "ssl_verify_peer=0",
    "ssl_verify_peer = 0",
    "ssl_verify_peer=false",
    "ssl_verify_peer = false",
    "verify_peer=false",
    "verify_peer = false",
    "verify_peer=0",
    "verify = false",
    "verify=false",
    "verify: false",
    "insecure=1",
    "insecure = 1",
    "insecure=true",
    "insecure = true",
    "insecure: true",
    "sslverify=0",
    "sslverify = 0",
    "sslverify=false",
    "tls_verify=0",
    "tls_verify = 0",
    "tls_verify=false",
    "tls_verify = false",
    "skip_verify=true",
    "insecure_skip_verify: true",
    "insecureskipverify=true",
    "ca_verify=0",
    "check_certificate = off",
    "check_certificate=off",
];

/// TLS verification disabled in configuration or scripts; TLS clients that never ask for peer
/// verification (Info).
pub struct TlsVerificationDisabled;

impl Check for TlsVerificationDisabled {
    fn id(&self) -> &'static str {
        "comms.tls_verification_disabled"
    }
    fn title(&self) -> &'static str {
        "TLS certificate verification disabled"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.5-1", "5.5-7"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let files: Vec<Content<'_, '_>> = filescan::text_files(cx)
            .into_iter()
            .filter(is_config_or_script)
            .collect();
        let hits: Vec<Evidence> = filescan::par_scan(&files, |f| {
            let upgrade = crate::hardening::is_upgrade_path(f.path);
            lines(f.data)
                .filter(|(_, l)| !is_comment(l))
                .filter_map(|(n, l)| {
                    let lower = l.to_ascii_lowercase();
                    // Cheap pre-filter: every setting and flag contains one of these.
                    if !["verify", "insecure", "check_cert", "curl", "--no"]
                        .iter()
                        .any(|w| lower.contains(w))
                    {
                        return None;
                    }
                    let setting = INSECURE_SETTINGS.iter().find_map(|s| {
                        lower.match_indices(s).map(|(i, _)| i).find(|&i| {
                            // At the start of the line or after a space.
                            lower[..i].trim().is_empty() || lower[..i].ends_with(' ')
                        })
                    });
                    // Download flags in update context belong to updates.verification_disabled.
                    let flag = insecure_flag(&l)
                        .filter(|_| !(upgrade || is_update_line(&l)))
                        .map(|fl| l.find(fl.trim_start_matches("curl ")).unwrap_or(0));
                    let at = setting.or(flag)?;
                    Some(f.evidence(Some(n), None, &excerpt_around(&l, at)))
                })
                .take(20)
                .collect()
        });
        let mut findings = Vec::new();
        if !hits.is_empty() {
            let mut names: Vec<String> = hits.iter().map(|e| e.path.clone()).collect();
            names.dedup();
            let mut f = Finding::new(
                self.id(),
                &["5.5-1", "5.5-7"],
                Severity::Medium,
                format!(
                    "TLS certificate verification is turned off: {}",
                    short_list(&names, 3)
                ),
                "Without certificate verification TLS encrypts but does not authenticate: an \
                 attacker on the path presents any certificate and reads or alters the traffic.",
                "Remove the setting or flag; ship a CA bundle (or pin the server's key) and keep \
                 verification on.",
            );
            for e in hits.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e);
            }
            findings.push(f);
        }
        // OpenSSL TLS clients that never call SSL_(CTX_)set_verify: OpenSSL's default for a
        // client is SSL_VERIFY_NONE. An indicator only (verification may be done by hand).
        let mut clients: Vec<&ElfFile> = cx
            .inventory
            .elf
            .iter()
            .filter(|e| {
                e.facts.as_ref().is_ok_and(|f| {
                    f.imports("SSL_connect")
                        && !f.imports("SSL_CTX_set_verify")
                        && !f.imports("SSL_set_verify")
                        && !f.imports("SSL_get_verify_result")
                        && !f.imports("X509_verify_cert")
                })
            })
            .collect();
        if !clients.is_empty() {
            clients.sort_by(|a, b| a.path.cmp(&b.path));
            let names: Vec<String> = clients.iter().map(|e| e.path.clone()).collect();
            let mut f = Finding::new(
                self.id(),
                &["5.5-1"],
                Severity::Info,
                format!(
                    "TLS clients that never enable OpenSSL peer verification: {}",
                    short_list(&names, 3)
                ),
                "These programs import SSL_connect but none of SSL_CTX_set_verify, \
                 SSL_set_verify, SSL_get_verify_result or X509_verify_cert; OpenSSL does not \
                 verify the server's certificate unless asked, so they probably accept any \
                 server. An indicator only: confirm on a live device.",
                "Call SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL) with a loaded CA bundle and \
                 check the host name (SSL_set1_host).",
            );
            for e in clients.iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(elf_evidence(
                    cx,
                    e,
                    "imports SSL_connect; no SSL_CTX_set_verify/SSL_set_verify/SSL_get_verify_result",
                ));
            }
            findings.push(f);
        }
        findings
    }
}

/// An obsolete TLS library seen in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsLibrary {
    pub name: &'static str,
    pub version: String,
    pub severity: Severity,
    pub why: &'static str,
}

/// Version numbers of a string like `1.0.2k` → ([1, 0, 2], "k").
fn version_numbers(v: &str) -> Vec<u32> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The version token right after a library name (`0.9.8zh` from `OpenSSL 0.9.8zh 3 Dec 2015`).
fn version_after(s: &str) -> Option<String> {
    let v: String = s
        .trim_start_matches([' ', '/', '-', 'v', 'V'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .take(24)
        .collect();
    (v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.')).then_some(v)
}

/// Judge a library name and the text following it.
pub(crate) fn judge_tls(name: &str, rest: &str) -> Option<TlsLibrary> {
    match name {
        "OpenSSL" => {
            let version = version_after(rest)?;
            let n = version_numbers(&version);
            let (severity, why) = match n.as_slice() {
                [0, ..] | [1, 0, ..] | [1, 1, 0] => (
                    Severity::Medium,
                    "OpenSSL before 1.1.1: out of upstream support (1.0.2 ended 2019-12-31, \
                     0.9.8 in 2015), with unfixed published vulnerabilities and no TLS 1.3",
                ),
                [1, 1, 1] => (
                    Severity::Low,
                    "OpenSSL 1.1.1: out of public upstream support since 2023-09-11",
                ),
                _ => return None,
            };
            Some(TlsLibrary {
                name: "OpenSSL",
                version,
                severity,
                why,
            })
        }
        "PolarSSL" => Some(TlsLibrary {
            name: "PolarSSL",
            version: version_after(rest).unwrap_or_else(|| "unknown".into()),
            severity: Severity::Medium,
            why: "PolarSSL was renamed mbed TLS in 2015 and is no longer maintained",
        }),
        "mbed TLS" | "Mbed TLS" => {
            let version = version_after(rest)?;
            let n = version_numbers(&version);
            let (severity, why) = match n.as_slice() {
                [1, ..] | [2, 0..=27, ..] => (
                    Severity::Medium,
                    "mbed TLS before 2.28: branch out of upstream support, with unfixed \
                     published vulnerabilities",
                ),
                [2, 28, ..] => (
                    Severity::Low,
                    "mbed TLS 2.28 LTS: out of upstream support since the end of 2024",
                ),
                _ => return None,
            };
            Some(TlsLibrary {
                name: "mbed TLS",
                version,
                severity,
                why,
            })
        }
        "CyaSSL" => Some(TlsLibrary {
            name: "CyaSSL",
            version: version_after(rest).unwrap_or_else(|| "unknown".into()),
            severity: Severity::Medium,
            why: "CyaSSL is wolfSSL before its 2015 rename (3.x); those releases are long out of \
                  support",
        }),
        "axTLS" => Some(TlsLibrary {
            name: "axTLS",
            version: version_after(rest).unwrap_or_else(|| "unknown".into()),
            severity: Severity::Medium,
            why: "axTLS is unmaintained (last release 2019) and supports neither TLS 1.3 nor \
                  current cipher suites",
        }),
        "MatrixSSL" => {
            let version = version_after(rest)?;
            match version_numbers(&version).as_slice() {
                [0..=3, ..] => Some(TlsLibrary {
                    name: "MatrixSSL",
                    version,
                    severity: Severity::Medium,
                    why: "MatrixSSL before 4.0: out of support, with published vulnerabilities",
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

const TLS_NAMES: &[&str] = &[
    "OpenSSL",
    "PolarSSL",
    "mbed TLS",
    "Mbed TLS",
    "CyaSSL",
    "axTLS",
    "MatrixSSL",
];

/// (offset, library, the string) of the first obsolete-library version string per library in
/// `data`.
pub(crate) fn scan_tls(ac: &AhoCorasick, data: &[u8]) -> Vec<(u64, TlsLibrary, String)> {
    let mut out: Vec<(u64, TlsLibrary, String)> = Vec::new();
    let mut examined = 0usize;
    for m in ac.find_iter(data) {
        examined += 1;
        if examined > 100_000 {
            break;
        }
        let name = TLS_NAMES[m.pattern().as_usize()];
        if out
            .iter()
            .any(|(_, l, _)| l.name == name || (name.ends_with("TLS") && l.name == "mbed TLS"))
        {
            continue;
        }
        // The text after the name, up to the end of the printable run (64 bytes at most).
        let tail = data.get(m.end()..).unwrap_or(&[]);
        let len = tail
            .iter()
            .take(64)
            .take_while(|&&b| (0x20..0x7f).contains(&b))
            .count();
        let rest = String::from_utf8_lossy(&tail[..len]);
        // A word boundary before the name (not `libOpenSSL_foo`).
        if m.start() > 0 && data[m.start() - 1].is_ascii_alphanumeric() {
            continue;
        }
        if let Some(lib) = judge_tls(name, &rest) {
            let mut start = m.start();
            while start > 0 && (0x20..0x7f).contains(&data[start - 1]) && m.start() - start < 64 {
                start -= 1;
            }
            let text = String::from_utf8_lossy(&data[start..m.end() + len]).into_owned();
            out.push((m.start() as u64, lib, text));
        }
    }
    out
}

/// Obsolete TLS libraries, by their version strings in ELF files.
pub struct ObsoleteTlsLibrary;

impl Check for ObsoleteTlsLibrary {
    fn id(&self) -> &'static str {
        "comms.obsolete_tls_library"
    }
    fn title(&self) -> &'static str {
        "Obsolete TLS libraries (OpenSSL < 1.1.1, PolarSSL, old mbed TLS, CyaSSL, axTLS, MatrixSSL)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.5-1", "5.5-2"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let Ok(ac) = AhoCorasick::new(TLS_NAMES) else {
            return Vec::new();
        };
        let elves: Vec<&ElfFile> = cx
            .inventory
            .elf
            .iter()
            .filter(|e| e.size <= MAX_BINARY_FILE)
            .collect();
        let mut hits: Vec<(&ElfFile, u64, TlsLibrary, String)> = elves
            .par_iter()
            .flat_map_iter(|elf| {
                let data = cx
                    .tree
                    .node(&elf.node)
                    .and_then(|n| n.data.as_deref())
                    .unwrap_or(&[]);
                scan_tls(&ac, data)
                    .into_iter()
                    .map(move |(o, l, t)| (*elf, o, l, t))
            })
            .collect();
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_by(|a, b| {
            (&a.2.name, &a.2.version, &a.0.path).cmp(&(&b.2.name, &b.2.version, &b.0.path))
        });
        // One finding per library and version.
        let mut findings = Vec::new();
        let mut i = 0;
        while i < hits.len() {
            let (name, version) = (hits[i].2.name, hits[i].2.version.clone());
            let group: Vec<&(&ElfFile, u64, TlsLibrary, String)> = hits[i..]
                .iter()
                .take_while(|h| h.2.name == name && h.2.version == version)
                .collect();
            i += group.len();
            let lib = &group[0].2;
            let paths: Vec<String> = group.iter().map(|h| h.0.path.clone()).collect();
            let mut f = Finding::new(
                self.id(),
                &["5.5-1", "5.5-2"],
                lib.severity,
                if version == "unknown" {
                    format!("{name} (no version string) in {}", short_list(&paths, 3))
                } else {
                    format!("{name} {version} in {}", short_list(&paths, 3))
                },
                format!(
                    "{}. Secure communication (5.5-1) needs a TLS implementation that still \
                     receives fixes.",
                    lib.why
                ),
                format!(
                    "Move to a supported TLS library (OpenSSL 3.x LTS, a current mbed TLS 3.6 LTS \
                     or wolfSSL 5.x) and rebuild everything that links {name} statically."
                ),
            );
            for (elf, offset, _, text) in group.into_iter().take(MAX_EVIDENCE) {
                let mut e = elf_evidence(cx, elf, text);
                e.offset = Some(*offset);
                f = f.with_evidence(e);
            }
            findings.push(f);
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filescan::fixtures::{run, run_on, BROADCOM, OPENWRT15, TPLINK};
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};

    #[test]
    fn tplink_openssl_098_inside_libgdpr() {
        let f = run(&ObsoleteTlsLibrary, &TPLINK);
        let ssl = f
            .iter()
            .find(|f| f.title.starts_with("OpenSSL 0.9.8zh"))
            .unwrap_or_else(|| panic!("{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>()));
        assert_eq!(ssl.severity, Severity::Medium);
        let e = ssl
            .evidence
            .iter()
            .find(|e| e.path == "lib/libgdpr.so")
            .expect("libgdpr.so carries OpenSSL statically");
        let text = e.text.as_deref().unwrap();
        assert!(text.contains("OpenSSL 0.9.8zh 3 Dec 2015"), "{text}");
        let offset = e.offset.expect("byte offset");
        let data = iotassay_testkit::corpus_bytes("real/tplink-mt7628-rootfs.squashfs");
        drop(data);
        // The offset points at the name inside the file.
        let node = TPLINK
            .0
            .nodes
            .iter()
            .find(|n| n.inner_path == "lib/libgdpr.so")
            .unwrap();
        let bytes = node.data.as_deref().unwrap();
        assert_eq!(&bytes[offset as usize..offset as usize + 8], b"OpenSSL ");
    }

    #[test]
    fn broadcom_openssl_097f() {
        let f = run(&ObsoleteTlsLibrary, &BROADCOM);
        let ssl = f
            .iter()
            .find(|f| f.title.starts_with("OpenSSL 0.9.7f"))
            .unwrap_or_else(|| panic!("{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>()));
        assert_eq!(ssl.severity, Severity::Medium);
        let paths: Vec<&str> = ssl.evidence.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"lib/libcrypto.so.0.9.7"), "{paths:?}");
    }

    #[test]
    fn broadcom_cyassl_symbols() {
        let f = run(&ObsoleteTlsLibrary, &BROADCOM);
        let cya = f
            .iter()
            .find(|f| f.title == "CyaSSL (no version string) in lib/libbcmssl.so")
            .expect("CyaSSL_* symbols in libbcmssl.so");
        assert_eq!(
            cya.evidence[0].text.as_deref(),
            Some("CyaSSL_check_domain_name")
        );
    }

    #[test]
    fn openwrt15_has_no_cleartext_endpoint_outside_update_feeds() {
        // The feeds are update URLs (updates.cleartext_url); banners and LuCI views are links
        // for people.
        let f = run(&CleartextEndpoint, &OPENWRT15);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.evidence).collect::<Vec<_>>()
        );
        assert!(run(&TlsVerificationDisabled, &OPENWRT15)
            .iter()
            .all(|f| f.severity == Severity::Info));
    }

    #[test]
    fn synthetic_cleartext_and_insecure_tls() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(
            r,
            "etc/mosquitto/mosquitto.conf",
            0o644,
            b"connection cloud\naddress broker.vendor.com:1883\ntls_insecure true\n",
        )
        .file(
            r,
            "etc/cloud.json",
            0o644,
            b"{\"api\": \"http://api.vendor.com/v1/telemetry\", \"mq\": \"mqtt://dev:secret@mq.vendor.com\"}\n",
        )
        .file(
            r,
            "usr/bin/report.sh",
            0o755,
            b"#!/bin/sh\nwget --no-check-certificate https://api.vendor.com/report -O-\n# http://old.vendor.com/x\ncurl http://192.168.1.1/status\n",
        );
        let m = b.build();
        let f = run_on(&CleartextEndpoint, &m);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].evidence[0].path, "etc/cloud.json");
        assert_eq!(f[1].severity, Severity::Low);
        assert_eq!(
            f[1].evidence.len(),
            1,
            "comment and private address skipped"
        );
        let t = run_on(&TlsVerificationDisabled, &m);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].severity, Severity::Medium);
        let places: Vec<(&str, Option<usize>)> = t[0]
            .evidence
            .iter()
            .map(|e| (e.path.as_str(), e.line))
            .collect();
        assert_eq!(
            places,
            [
                ("etc/mosquitto/mosquitto.conf", Some(3)),
                ("usr/bin/report.sh", Some(2))
            ]
        );
    }

    #[test]
    fn synthetic_tls_library_strings_and_clean_tree() {
        let mut lib = b"\x7fELF".to_vec();
        lib.resize(64, 0);
        lib.extend_from_slice(b"\0mbed TLS 2.16.3\0PolarSSL 1.3.9\0OpenSSL 3.0.13 30 Jan 2024\0");
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "lib/libtls.so", 0o755, &lib);
        let m = b.build();
        let f = run_on(&ObsoleteTlsLibrary, &m);
        let titles: Vec<&str> = f.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "PolarSSL 1.3.9 in lib/libtls.so",
                "mbed TLS 2.16.3 in lib/libtls.so"
            ]
        );
        assert_eq!(f[1].evidence[0].offset, Some(65));

        let mut clean = b"\x7fELF".to_vec();
        clean.resize(64, 0);
        clean.extend_from_slice(b"OpenSSL 3.5.1 1 Jul 2025\0https://api.vendor.com\0");
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "lib/libssl.so.3", 0o755, &clean).file(
            r,
            "etc/cloud.conf",
            0o644,
            b"url=https://api.vendor.com\nverify=true\n",
        );
        let m = b.build();
        for check in [
            &ObsoleteTlsLibrary as &dyn Check,
            &CleartextEndpoint,
            &TlsVerificationDisabled,
        ] {
            assert!(
                run_on(check, &m).is_empty(),
                "{} on a clean tree",
                check.id()
            );
        }
    }

    #[test]
    fn judging_versions() {
        assert_eq!(
            judge_tls("OpenSSL", " 1.0.2k-fips 26 Jan 2017")
                .unwrap()
                .severity,
            Severity::Medium
        );
        assert_eq!(
            judge_tls("OpenSSL", " 1.1.1w 11 Sep 2023")
                .unwrap()
                .severity,
            Severity::Low
        );
        assert!(judge_tls("OpenSSL", " 3.0.2 15 Mar 2022").is_none());
        assert!(judge_tls("OpenSSL", " FAQ").is_none());
        assert!(judge_tls("MatrixSSL", " 4.2.2").is_none());
        assert_eq!(
            judge_tls("MatrixSSL", " 3.9.3-OPEN").unwrap().version,
            "3.9.3-OPEN"
        );
        assert!(judge_tls("mbed TLS", " 3.6.0").is_none());
    }
}
