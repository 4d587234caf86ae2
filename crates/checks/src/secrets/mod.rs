//! Hard-coded secrets (UK CoP guideline 4; EN 303 645 5.4-1, 5.4-3, 5.4-4, and 5.5-1 for
//! certificates): private keys and SSH host keys baked into the image, certificates that are
//! expired or weak, and API tokens or high-entropy secrets in configs, scripts and binaries.
//!
//! Every file and payload whose content the unpack kept is scanned (root file systems, and
//! payloads outside any root such as a decompressed kernel with its initramfs), in parallel.
//! Files over [`MAX_FILE`] are skipped and counted in an Info finding; text-only scans stop at
//! [`MAX_TEXT`]. A key or token found in several places is one finding with every place as
//! evidence. Nothing secret is ever printed: keys are shown by their header line, type, size and a
//! fingerprint of the public part; tokens are redacted to their first and last four characters.
//!
//! Whatever is in a distributed image is, by construction, the same on every unit: that is what
//! makes a private key or token in it a class-wide secret (5.4-3, 5.4-4).

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use iotassay_inventory::Evidence;
use iotassay_unpack::NodeKind;
use rayon::prelude::*;

use crate::{Check, Context, Finding, Severity};

mod keys;
mod tokens;

#[cfg(test)]
mod tests;

use keys::{CertFact, Found, Item, KeyFact};
use tokens::{Token, TokenKind};

/// Files larger than this are not scanned (noted in an Info finding).
pub const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Text scans (token assignments) stop at this many bytes of a file.
pub const MAX_TEXT: usize = 16 * 1024 * 1024;
/// Most findings one check reports before summarising the rest.
pub const MAX_FINDINGS: usize = 200;
/// Most places listed as evidence for one key, certificate or token.
const MAX_EVIDENCE: usize = 16;
/// Longest line looked at for token assignments.
const MAX_LINE: usize = 4096;
/// Longest excerpt shown.
const MAX_EXCERPT: usize = 160;

/// A file to scan.
struct Scanned<'m> {
    index: usize,
    data: &'m [u8],
    /// No NUL byte in its first 8 KiB.
    text: bool,
    /// A file of a file system (not a payload), so its mode is meaningful.
    kind_file: bool,
}

/// Files with content, and the ones skipped for size.
fn files<'m>(cx: &Context<'m>) -> (Vec<Scanned<'m>>, Vec<usize>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (index, node) in cx.manifest.nodes.iter().enumerate() {
        if !matches!(node.kind, NodeKind::File | NodeKind::Payload) {
            continue;
        }
        let Some(data) = node.data.as_deref() else {
            continue;
        };
        if data.len() as u64 > MAX_FILE {
            skipped.push(index);
            continue;
        }
        let head = &data[..data.len().min(8192)];
        out.push(Scanned {
            index,

            data,
            text: !head.contains(&0),
            kind_file: node.kind == NodeKind::File,
        });
    }
    (out, skipped)
}

/// Evidence for a place in a node: root-relative when the node is in a root file system.
fn evidence(
    cx: &Context<'_>,
    index: usize,
    line: Option<usize>,
    offset: Option<u64>,
    text: Option<String>,
) -> Evidence {
    let text = text.map(|t| excerpt(&t));
    match cx.tree.locate(index) {
        Some((root, path)) => root.evidence(path, line, offset, text),
        None => {
            let node = &cx.manifest.nodes[index];
            Evidence {
                node: node.path.clone(),
                path: node.inner_path.clone(),
                line,
                offset,
                text,
                provenance: cx.manifest.provenance(node),
            }
        }
    }
}

fn display_path(cx: &Context<'_>, index: usize) -> String {
    cx.tree.display_path(index).to_string()
}

/// One line, at most [`MAX_EXCERPT`] characters (char-boundary safe).
fn excerpt(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() <= MAX_EXCERPT {
        line.to_string()
    } else {
        let mut t: String = line.chars().take(MAX_EXCERPT - 1).collect();
        t.push('…');
        t
    }
}

/// 1-based line of a byte offset.
fn line_of(data: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &data[..offset.min(data.len())]).count() + 1
}

/// Where something is in a file, as evidence fields: a line for text files, an offset for binary.
fn place(f: &Scanned<'_>, offset: usize) -> (Option<usize>, Option<u64>) {
    if f.text {
        (Some(line_of(f.data, offset)), None)
    } else {
        (None, Some(offset as u64))
    }
}

/// Every key, certificate and PKCS#12 container in the image, with the file it is in.
fn scan_keys(files: &[Scanned<'_>]) -> Vec<(usize, Found)> {
    files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, f)| keys::scan(f.data, !f.text).into_iter().map(move |x| (i, x)))
        .collect()
}

/// An Info finding for files not scanned because of their size.
fn skipped_finding(cx: &Context<'_>, check: &str, skipped: &[usize]) -> Option<Finding> {
    if skipped.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        check,
        &["5.4-3"],
        Severity::Info,
        format!(
            "{} file(s) over {} MiB were not scanned for secrets",
            skipped.len(),
            MAX_FILE >> 20
        ),
        "Scanning is bounded per file; these files may still hold keys or tokens.",
        "Review these files by hand, or unpack them further if they are containers.",
    );
    for &i in skipped.iter().take(MAX_EVIDENCE) {
        f = f.with_evidence(evidence(cx, i, None, None, None));
    }
    Some(f)
}

/// Keep at most [`MAX_FINDINGS`], with an Info finding saying how many were left out.
fn cap(mut findings: Vec<Finding>, check: &str, provisions: &[&str]) -> Vec<Finding> {
    if findings.len() > MAX_FINDINGS {
        let extra = findings.len() - MAX_FINDINGS;
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        findings.truncate(MAX_FINDINGS);
        findings.push(Finding::new(
            check,
            provisions,
            Severity::Info,
            format!("{extra} further findings of this check are not listed"),
            "The number of findings per check is capped to keep reports readable.",
            "Fix the listed findings, then scan again to see the rest.",
        ));
    }
    findings
}

// ---------------------------------------------------------------------------------------------
// Private keys

/// Private keys (PEM, DER, OpenSSH, dropbear, PuTTY, PKCS#12) stored in the image.
pub struct PrivateKeys;

const KEY_PROVISIONS: &[&str] = &["5.4-1", "5.4-3", "5.4-4"];

/// A distinct key with every place it was seen.
struct KeySeen<'a> {
    fact: &'a KeyFact,
    places: Vec<(usize, usize)>, // (file, offset)
}

fn is_host_key_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.ends_with(".pub") {
        return false;
    }
    name.contains("host_key")
        || name.contains("hostkey")
        || name.contains("host-key")
        || name.starts_with("ssh_host_")
        || path.contains("etc/dropbear/")
}

impl Check for PrivateKeys {
    fn id(&self) -> &'static str {
        "secrets.private-key"
    }

    fn title(&self) -> &'static str {
        "Private keys and SSH host keys baked into the image"
    }

    fn provisions(&self) -> &'static [&'static str] {
        KEY_PROVISIONS
    }

    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let (files, skipped) = files(cx);
        let found = scan_keys(&files);
        // Certificates by the key they certify, to recognise a device's TLS identity.
        let mut certs: HashMap<[u8; 32], &CertFact> = HashMap::new();
        for (_, f) in &found {
            if let Item::Cert(c) = &f.item {
                if let Some(id) = c.key_id {
                    certs.entry(id).or_insert(c);
                }
            }
        }
        let mut keys: BTreeMap<[u8; 32], KeySeen<'_>> = BTreeMap::new();
        let mut pkcs12 = Vec::new();
        for (file, f) in &found {
            match &f.item {
                Item::Key(k) => keys
                    .entry(k.id)
                    .or_insert_with(|| KeySeen {
                        fact: k,
                        places: Vec::new(),
                    })
                    .places
                    .push((*file, f.span.start)),
                Item::Pkcs12 => pkcs12.push(*file),
                Item::Cert(_) => {}
            }
        }
        let mut findings = Vec::new();
        let mut seen: Vec<&KeySeen<'_>> = keys.values().collect();
        // Stable order: by the first place's path.
        seen.sort_by_key(|k| {
            k.places
                .first()
                .map(|&(f, o)| (display_path(cx, files[f].index), o))
        });
        for (n, k) in seen.into_iter().enumerate() {
            // Which files name the key's path (a daemon's command line, a server config): the
            // search costs one pass over the image per key, so only the first keys get it.
            let refs = if n < MAX_REFERENCED_KEYS {
                let owners: Vec<usize> = k.places.iter().map(|p| p.0).collect();
                references(cx, &files, &owners)
            } else {
                Vec::new()
            };
            findings.push(key_finding(cx, &files, k, &certs, &refs));
        }
        for file in pkcs12 {
            let f = &files[file];
            findings.push(
                Finding::new(
                    self.id(),
                    KEY_PROVISIONS,
                    Severity::Medium,
                    format!("PKCS#12 bundle in the image: {}", display_path(cx, f.index)),
                    "A PKCS#12 (.p12/.pfx) file normally holds a certificate with its private key, \
                     protected by a password the device must also hold; its contents were not \
                     opened, so whether it holds a private key is not confirmed. Any key in it is \
                     the same on every unit.",
                    "Do not ship key bundles in the firmware image: generate or inject a per-device \
                     key and certificate at manufacture or first boot, kept in secure storage.",
                )
                .with_evidence(evidence(
                    cx,
                    f.index,
                    None,
                    Some(0),
                    Some("PKCS#12 (PFX) structure".into()),
                )),
            );
        }
        findings.extend(skipped_finding(cx, self.id(), &skipped));
        cap(findings, self.id(), KEY_PROVISIONS)
    }
}

fn key_finding(
    cx: &Context<'_>,
    files: &[Scanned<'_>],
    k: &KeySeen<'_>,
    certs: &HashMap<[u8; 32], &CertFact>,
    refs: &[(usize, usize)],
) -> Finding {
    let fact = k.fact;
    let paths: Vec<String> = k
        .places
        .iter()
        .map(|&(f, _)| display_path(cx, files[f].index))
        .collect();
    let host = paths.iter().any(|p| is_host_key_path(p));
    let cert = if fact.public_id {
        certs.get(&fact.id).copied()
    } else {
        None
    };
    let desc = fact.describe();
    let (what, severity) = match (host, cert) {
        (true, _) => ("SSH host key".to_string(), Severity::Critical),
        (false, Some(c)) if !c.is_ca => (
            format!("TLS private key of the certificate \"{}\"", c.subject),
            Severity::Critical,
        ),
        (false, Some(c)) => (
            format!("Private key of the CA certificate \"{}\"", c.subject),
            Severity::Critical,
        ),
        (false, None) => ("Private key".to_string(), Severity::High),
    };
    // An encrypted key still needs its passphrase on the device, but one more step is needed.
    let severity = if fact.encrypted {
        severity.min(Severity::High)
    } else {
        severity
    };
    let mut title = format!("{what} ({desc}) is stored in the image, the same on every unit");
    if fact.encrypted {
        title.push_str(" (passphrase-encrypted)");
    }
    let mut rationale = format!(
        "A {} {desc} private key ({}) is part of the firmware image, so every unit and anyone \
         who downloads the image has it. ",
        if fact.encrypted {
            "passphrase-encrypted"
        } else {
            "plaintext"
        },
        fact.format
    );
    match fact.fingerprint.as_deref() {
        Some(fp) => rationale.push_str(&format!("Public key fingerprint: {fp}. ")),
        None if fact.encrypted => {
            rationale.push_str("Its public part is encrypted too, so no fingerprint can be shown. ")
        }
        None => rationale.push_str("The file does not store its public part. "),
    }
    if host {
        rationale.push_str(
            "As the SSH host key, it lets anyone impersonate any unit and intercept SSH sessions \
             to it (5.4-4: keys for device communication must be unique per device). ",
        );
    } else if let Some(c) = cert {
        if c.is_ca {
            rationale.push_str(
                "It signs a CA certificate, so anyone can issue certificates under that CA. ",
            );
        } else {
            rationale.push_str(
                "It matches a certificate in the image: it is the device's TLS identity, so \
                 anyone can impersonate any unit or decrypt recorded sessions that use RSA key \
                 exchange. ",
            );
        }
    }
    if fact.encrypted {
        rationale.push_str(
            "Encryption protects it only as well as the passphrase, which the device must hold. ",
        );
    }
    if fact.weak() {
        rationale.push_str("The key is also below 2048 bits. ");
    }
    let world_readable: Vec<String> = k
        .places
        .iter()
        .filter(|&&(f, _)| files[f].kind_file)
        .filter_map(|&(f, _)| {
            let node = &cx.manifest.nodes[files[f].index];
            let mode = node.mode? & 0o7777;
            (mode & 0o004 != 0)
                .then(|| format!("{} (mode {mode:04o})", display_path(cx, files[f].index)))
        })
        .collect();
    if !world_readable.is_empty() {
        rationale.push_str(&format!(
            "On the device any user or process can read it: {} is world-readable (5.4-1). ",
            world_readable.join(", ")
        ));
    }
    if !refs.is_empty() {
        let mut names: Vec<String> = refs
            .iter()
            .map(|&(f, _)| display_path(cx, files[f].index))
            .collect();
        names.dedup();
        rationale.push_str(&format!(
            "Its path is named by {}, which suggests it is in use. ",
            names.join(", ")
        ));
    }
    if k.places.len() > 1 {
        rationale.push_str(&format!(
            "The same key is stored in {} places. ",
            k.places.len()
        ));
    }
    let remediation = if host {
        "Remove the host key from the image (ship the file empty or absent) and generate a \
         unique host key on each unit at first boot (e.g. `dropbearkey -t ed25519` or \
         `ssh-keygen -A` from the init script), or inject one per unit at manufacture."
    } else {
        "Remove the private key from the image; generate a key pair on each unit (first boot or \
         manufacture) and keep it in secure storage (secure element, TEE or an encrypted \
         per-device partition); issue per-device certificates if a TLS identity is needed."
    };
    let mut finding = Finding::new(
        PrivateKeys.id(),
        KEY_PROVISIONS,
        severity,
        title,
        rationale.trim_end().to_string(),
        remediation,
    );
    for &(f, offset) in k.places.iter().take(MAX_EVIDENCE) {
        let file = &files[f];
        let (line, off) = place(file, offset);
        let mut text = fact.excerpt.clone();
        if let Some(fp) = &fact.fingerprint {
            text.push_str(&format!(" ({desc}, {fp})"));
        }
        finding = finding.with_evidence(evidence(cx, file.index, line, off, Some(text)));
    }
    for &(f, offset) in refs {
        let file = &files[f];
        let (line, off) = place(file, offset);
        let text = format!("references the key: {}", context_string(file.data, offset));
        finding = finding.with_evidence(evidence(cx, file.index, line, off, Some(text)));
    }
    finding
}

/// Most keys whose path is searched for in the other files.
const MAX_REFERENCED_KEYS: usize = 32;
/// Most references listed per key.
const MAX_REFERENCES: usize = 4;

/// Places in other files that name the absolute path of one of the `owners` files
/// (`/etc/rsa_host_key` in a daemon's binary or `option key '/etc/uhttpd.key'` in a config).
fn references(cx: &Context<'_>, files: &[Scanned<'_>], owners: &[usize]) -> Vec<(usize, usize)> {
    let mut needles: Vec<(usize, String)> = Vec::new();
    for &f in owners {
        let index = files[f].index;
        if cx.tree.locate(index).is_some() {
            let p = format!("/{}", display_path(cx, index));
            if p.len() > 4 && !needles.iter().any(|(_, n)| *n == p) {
                needles.push((f, p));
            }
        }
    }
    if needles.is_empty() {
        return Vec::new();
    }
    let mut refs: Vec<(usize, usize)> = files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, file)| {
            let mut hits = Vec::new();
            for (owner, needle) in &needles {
                if *owner == i {
                    continue;
                }
                for pos in memchr::memmem::find_iter(file.data, needle.as_bytes()) {
                    let next = file.data.get(pos + needle.len()).copied().unwrap_or(0);
                    if next.is_ascii_alphanumeric() || matches!(next, b'.' | b'_' | b'-' | b'/') {
                        continue;
                    }
                    hits.push((i, pos));
                    break;
                }
            }
            hits
        })
        .collect();
    refs.sort_unstable();
    refs.truncate(MAX_REFERENCES);
    refs
}

/// Whether the text around a reference to a certificate says it is trusted (`cafile`,
/// `--cacert`, `option ca`, `ssl.ca-file`, `trust`) rather than used as an identity.
fn names_trust(context: &str) -> bool {
    let l = context.to_ascii_lowercase();
    [
        "cafile",
        "ca_file",
        "ca-file",
        "cacert",
        "ca_cert",
        "ca-cert",
        "capath",
        "ca_path",
        "trust",
        "root",
        "verify",
        "option ca ",
        "ca ",
        "ca=",
        "ca:",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// The printable run of characters around `offset` (a line of text or a C string in a binary).
fn context_string(data: &[u8], offset: usize) -> String {
    let offset = offset.min(data.len());
    let printable = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\t';
    let start = data[..offset]
        .iter()
        .rev()
        .take(80)
        .take_while(|b| printable(b))
        .count();
    let end = data[offset..]
        .iter()
        .take(120)
        .take_while(|b| printable(b))
        .count();
    String::from_utf8_lossy(&data[offset - start..offset + end]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// Certificates that are expired or use weak keys or signatures.
pub struct Certificates;

const CERT_PROVISIONS: &[&str] = &["5.5-1"];

/// The newest modification time of any file of the image: its build date, as a proxy. Times
/// after `now` (a clock that was wrong when the image was made) are ignored.
fn build_time(cx: &Context<'_>, now: i64) -> Option<i64> {
    cx.manifest
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::File)
        .filter_map(|n| n.mtime)
        .filter(|&t| t > 0 && t <= now)
        .max()
}

fn date(t: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let days = t.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Per trust-bundle file: the problem certificates (offset, fact) and how many CAs it holds.
type Anchors<'a> = (Vec<(usize, &'a CertFact)>, usize);

struct CertSeen<'a> {
    fact: &'a CertFact,
    /// (file, offset, file holds several certificates)
    places: Vec<(usize, usize, bool)>,
}

impl Check for Certificates {
    fn id(&self) -> &'static str {
        "secrets.certificate"
    }

    fn title(&self) -> &'static str {
        "Certificates that are expired or use weak keys or signatures"
    }

    fn provisions(&self) -> &'static [&'static str] {
        CERT_PROVISIONS
    }

    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.run_at(cx, now)
    }
}

impl Certificates {
    /// Run with `now` as today (seconds since the epoch), for tests.
    pub fn run_at(&self, cx: &Context<'_>, now: i64) -> Vec<Finding> {
        let (files, _) = files(cx);
        let found = scan_keys(&files);
        let mut per_file: HashMap<usize, usize> = HashMap::new();
        for (file, f) in &found {
            if matches!(f.item, Item::Cert(_)) {
                *per_file.entry(*file).or_default() += 1;
            }
        }
        let mut certs: BTreeMap<[u8; 32], CertSeen<'_>> = BTreeMap::new();
        for (file, f) in &found {
            if let Item::Cert(c) = &f.item {
                let bundle = per_file.get(file).copied().unwrap_or(0) > 1;
                certs
                    .entry(c.sha256)
                    .or_insert_with(|| CertSeen {
                        fact: c,
                        places: Vec::new(),
                    })
                    .places
                    .push((*file, f.span.start, bundle));
            }
        }
        if certs.is_empty() {
            return Vec::new();
        }
        let built = build_time(cx, now);
        let mut findings = Vec::new();
        // Trust anchors in bundles, per bundle file: (expired, weak) subjects.
        let mut anchors: BTreeMap<usize, Anchors<'_>> = BTreeMap::new();
        let mut seen: Vec<&CertSeen<'_>> = certs.values().collect();
        seen.sort_by_key(|c| c.places.first().map(|&(f, o, _)| (f, o)));
        // Keys whose certificate is the device's own identity, not a trust anchor.
        let private_ids: std::collections::HashSet<[u8; 32]> = found
            .iter()
            .filter_map(|(_, f)| match &f.item {
                Item::Key(k) if k.public_id => Some(k.id),
                _ => None,
            })
            .collect();
        // Private trust anchors (outside bundles) that a config or program names.
        let mut trusted: Vec<(&CertSeen<'_>, Vec<(usize, usize)>)> = Vec::new();
        for c in &seen {
            let fact = c.fact;
            let anchor = fact.is_ca || fact.self_issued;
            let in_bundle = c.places.iter().all(|p| p.2);
            if anchor && in_bundle {
                for &(f, o, _) in &c.places {
                    let e = anchors.entry(f).or_default();
                    e.1 += 1;
                    let expired = fact.not_after < now;
                    let weak = fact.rsa_bits.is_some_and(|b| b < 2048);
                    if expired || weak {
                        e.0.push((o, fact));
                    }
                }
                continue;
            }
            let own_key = fact.key_id.is_some_and(|id| private_ids.contains(&id));
            if anchor && !own_key && trusted.len() < MAX_REFERENCED_KEYS {
                let owners: Vec<usize> = c.places.iter().map(|p| p.0).collect();
                let refs: Vec<(usize, usize)> = references(cx, &files, &owners)
                    .into_iter()
                    .filter(|&(f, o)| names_trust(&context_string(files[f].data, o)))
                    .collect();
                if !refs.is_empty() {
                    trusted.push((c, refs));
                }
            }
            let mut problems: Vec<(Severity, String)> = Vec::new();
            match built {
                Some(b) if fact.not_after < b => problems.push((
                    Severity::Medium,
                    format!(
                        "expired on {} before the image was built ({}; newest file time used as \
                         the build date)",
                        date(fact.not_after),
                        date(b)
                    ),
                )),
                _ if fact.not_after < now => problems.push((
                    Severity::Low,
                    format!("expired on {}", date(fact.not_after)),
                )),
                _ => {}
            }
            if let Some(bits) = fact.rsa_bits.filter(|&b| b < 2048) {
                problems.push((
                    Severity::Medium,
                    format!("RSA key of {bits} bits (below 2048)"),
                ));
            }
            // A self-signed certificate's own signature is never checked by a verifier.
            if let Some(h) = fact.weak_hash.filter(|_| !fact.self_issued) {
                let sev = if h == "SHA-1" {
                    Severity::Low
                } else {
                    Severity::Medium
                };
                problems.push((sev, format!("signed with {h} ({})", fact.signature)));
            }
            if problems.is_empty() {
                continue;
            }
            let severity = problems.iter().map(|p| p.0).max().unwrap_or(Severity::Low);
            let list = problems
                .iter()
                .map(|p| p.1.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let mut f = Finding::new(
                self.id(),
                CERT_PROVISIONS,
                severity,
                format!("Certificate \"{}\": {list}", fact.subject),
                format!(
                    "{} certificate for \"{}\" issued by \"{}\", {}, valid {} to {}. Expired \
                     certificates make clients fail or teach users to accept warnings; keys below \
                     2048 bits and MD5/SHA-1 signatures are not best-practice cryptography.",
                    if fact.is_ca { "A CA" } else { "A" },
                    fact.subject,
                    fact.issuer,
                    fact.key,
                    date(fact.not_before),
                    date(fact.not_after)
                ),
                "Replace the certificate with one using an RSA ≥ 2048-bit or ECDSA P-256 key signed \
                 with SHA-256 or better, valid for the support period; renew certificates \
                 through the update mechanism before they expire.",
            );
            for &(file, offset, _) in c.places.iter().take(MAX_EVIDENCE) {
                let s = &files[file];
                let (line, off) = place(s, offset);
                f = f.with_evidence(evidence(
                    cx,
                    s.index,
                    line,
                    off,
                    Some(format!("subject: {}", fact.subject)),
                ));
            }
            findings.push(f);
        }
        for (c, refs) in trusted {
            let fact = c.fact;
            let mut f = Finding::new(
                self.id(),
                CERT_PROVISIONS,
                Severity::Info,
                format!(
                    "A private {} \"{}\" is configured as a trust anchor",
                    if fact.is_ca {
                        "CA certificate"
                    } else {
                        "self-signed certificate"
                    },
                    fact.subject
                ),
                format!(
                    "The image ships a self-issued certificate ({}, valid to {}) outside any CA \
                     bundle, and its path is named by a config or program: the device trusts \
                     peers it (or its key) vouches for. This is sound when its private key is \
                     held only by the vendor; a private key for it in the image is reported by \
                     secrets.private-key.",
                    fact.key,
                    date(fact.not_after)
                ),
                "Keep the CA's private key off the device and out of the image; document the \
                 pinned CA and how it is rotated.",
            );
            if let Some(&(file, offset, _)) = c.places.first() {
                let s = &files[file];
                let (line, off) = place(s, offset);
                f = f.with_evidence(evidence(
                    cx,
                    s.index,
                    line,
                    off,
                    Some(format!("subject: {}", fact.subject)),
                ));
            }
            for (file, offset) in refs {
                let s = &files[file];
                let (line, off) = place(s, offset);
                let text = format!("references it: {}", context_string(s.data, offset));
                f = f.with_evidence(evidence(cx, s.index, line, off, Some(text)));
            }
            findings.push(f);
        }
        for (file, (bad, total)) in anchors {
            if bad.is_empty() {
                continue;
            }
            let s = &files[file];
            let expired = bad.iter().filter(|(_, c)| c.not_after < now).count();
            let weak = bad
                .iter()
                .filter(|(_, c)| c.rsa_bits.is_some_and(|b| b < 2048))
                .count();
            let mut f = Finding::new(
                self.id(),
                CERT_PROVISIONS,
                Severity::Low,
                format!(
                    "Trust store {}: {expired} expired and {weak} sub-2048-bit CA certificate(s) \
                     of {total}",
                    display_path(cx, s.index)
                ),
                "The bundle of trusted CA certificates has not been kept current: expired roots \
                 are dead weight and roots with short RSA keys should no longer be trusted.",
                "Ship a current CA bundle (e.g. from Mozilla's list) and update it through the \
                 update mechanism.",
            );
            for (offset, c) in bad.iter().take(MAX_EVIDENCE) {
                let (line, off) = place(s, *offset);
                f = f.with_evidence(evidence(
                    cx,
                    s.index,
                    line,
                    off,
                    Some(format!(
                        "{} (until {}, {})",
                        c.subject,
                        date(c.not_after),
                        c.key
                    )),
                ));
            }
            findings.push(f);
        }
        cap(findings, self.id(), CERT_PROVISIONS)
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// API tokens and high-entropy secrets in configs, scripts and binaries.
pub struct Tokens;

const TOKEN_PROVISIONS: &[&str] = &["5.4-3", "5.4-4"];

fn scan_tokens(f: &Scanned<'_>) -> Vec<Token> {
    let mut out = tokens::shaped(f.data, 64);
    if f.text {
        let data = &f.data[..f.data.len().min(MAX_TEXT)];
        let mut start = 0usize;
        for line in data.split(|&b| b == b'\n') {
            let l = &line[..line.len().min(MAX_LINE)];
            tokens::in_line(l, start, &mut out);
            start += line.len() + 1;
            if out.len() > 256 {
                break;
            }
        }
    }
    // A shaped token also matched as a generic assignment: keep the specific one.
    out.sort_by_key(|t| (t.offset, t.kind));
    out.dedup_by(|b, a| a.offset == b.offset);
    out
}

impl Check for Tokens {
    fn id(&self) -> &'static str {
        "secrets.token"
    }

    fn title(&self) -> &'static str {
        "API tokens and high-entropy secrets in configs, scripts and binaries"
    }

    fn provisions(&self) -> &'static [&'static str] {
        TOKEN_PROVISIONS
    }

    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let (files, _) = files(cx);
        let found: Vec<(usize, Token)> = files
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, f)| scan_tokens(f).into_iter().map(move |t| (i, t)))
            .collect();
        // Files holding an AWS secret key: an access key ID there makes a usable pair.
        let aws_secret_files: Vec<usize> = found
            .iter()
            .filter(|(_, t)| t.kind == TokenKind::AwsSecretKey)
            .map(|(f, _)| *f)
            .collect();
        let mut by_value: BTreeMap<(TokenKind, &str), Vec<(usize, &Token)>> = BTreeMap::new();
        for (f, t) in &found {
            by_value
                .entry((t.kind, t.value.as_str()))
                .or_default()
                .push((*f, t));
        }
        let mut findings = Vec::new();
        for ((kind, value), places) in by_value {
            let pair = kind == TokenKind::AwsAccessKey
                && places.iter().any(|(f, _)| aws_secret_files.contains(f));
            let severity = if pair || kind == TokenKind::AwsSecretKey {
                Severity::High
            } else {
                Severity::Medium
            };
            let first = places[0].1;
            let label = match (&first.name, kind) {
                (Some(n), TokenKind::Generic) => format!("high-entropy value of \"{n}\""),
                _ => kind.describe().to_string(),
            };
            let title = if pair {
                format!(
                    "AWS access key pair ({}) hard-coded in the image",
                    tokens::redact(value)
                )
            } else {
                format!("Hard-coded {label} ({})", tokens::redact(value))
            };
            let rationale = format!(
                "The {} {} is stored in the firmware, so every unit and anyone with the image has \
                 it{}. Hard-coded credentials for associated services are class-wide secrets \
                 (5.4-3, 5.4-4).{}",
                kind.describe(),
                tokens::redact(value),
                if places.len() > 1 {
                    format!(" ({} places)", places.len())
                } else {
                    String::new()
                },
                if kind == TokenKind::Generic {
                    format!(
                        " Its entropy is {:.2} bits/char (threshold {:.1}), which suggests a \
                         random secret rather than a word or name.",
                        first.entropy,
                        tokens::MIN_ENTROPY
                    )
                } else {
                    String::new()
                }
            );
            let mut f = Finding::new(
                self.id(),
                TOKEN_PROVISIONS,
                severity,
                title,
                rationale,
                "Revoke this credential and remove it from the firmware; give each unit its own \
                 credential (provisioned at manufacture or obtained at first use through an \
                 authenticated enrolment) and keep it in secure storage.",
            );
            for &(file, t) in places.iter().take(MAX_EVIDENCE) {
                let s = &files[file];
                let (line, off) = place(s, t.offset);
                let text = if s.text {
                    redacted_line(s.data, t.offset, &t.value)
                } else {
                    tokens::redact(&t.value)
                };
                f = f.with_evidence(evidence(cx, s.index, line, off, Some(text)));
            }
            findings.push(f);
        }
        cap(findings, self.id(), TOKEN_PROVISIONS)
    }
}

/// The line holding a token, with the token redacted.
fn redacted_line(data: &[u8], offset: usize, value: &str) -> String {
    let offset = offset.min(data.len());
    let start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |p| offset + p);
    // Text before the value, the redacted value, and what follows on the line; the excerpt is
    // cut to one short line later, so the secret never shows even on long lines.
    let before = String::from_utf8_lossy(&data[start..offset]);
    let after_start = (offset + value.len()).min(end);
    let after = String::from_utf8_lossy(&data[after_start..end.max(after_start)]);
    let before: String = before
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{before}{}{after}", tokens::redact(value))
}
