//! Software updates (UK CoP guideline 3; EN 303 645 5.3-x, with 5.5-1 for the transport).
//!
//! What the firmware shows about its update path: which mechanism it carries (OpenWrt
//! `sysupgrade`/`opkg`, SWUpdate, RAUC, Mender, U-Boot environment tools, vendor upgrade tools and
//! web upload pages, update scripts), update and package-feed URLs fetched over plain `http://` or
//! `ftp://`, signature verification turned off (opkg `check_signature`, `curl -k`,
//! `wget --no-check-certificate`), and upgrade scripts whose only image check is an MD5 or CRC.
//!
//! Everything is read from text files of the root file systems (bounded, in parallel) and from
//! printable strings of ELF files around `http://`/`ftp://`.

use iotassay_inventory::{Evidence, Root};

use crate::filescan::{
    self, excerpt, excerpt_around, is_comment, is_local_host, lines, short_list, urls, Content,
    MAX_BINARY_FILE, MAX_EVIDENCE,
};
use crate::hardening::is_upgrade_path;
use crate::{Check, Context, Finding, Severity};

/// Words that make a URL or a line about updates.
const UPDATE_WORDS: &[&str] = &[
    "firmware", "upgrade", "update", "/fw/", "fw_", ".bin", ".img", ".trx", ".chk", "fota", "/ota",
    "ota.", "swu", "packages", "feed",
];

/// Web assets and documentation: their URLs are links for people, not endpoints the device uses.
pub(crate) fn is_web_or_doc(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "htm"
            | "html"
            | "js"
            | "css"
            | "svg"
            | "png"
            | "gif"
            | "jpg"
            | "jpeg"
            | "ico"
            | "md"
            | "txt"
            | "po"
            | "pot"
            | "lmo"
    ) || lower.starts_with("usr/share/doc/")
        || lower.starts_with("usr/share/man/")
        || lower.contains("license")
        || lower.contains("copying")
        || lower.starts_with("etc/banner")
        || lower.starts_with("etc/motd")
        || lower.starts_with("etc/issue")
}

/// Whether a file is an opkg configuration (feeds).
fn is_opkg_conf(path: &str) -> bool {
    path == "etc/opkg.conf" || (path.starts_with("etc/opkg/") && path.ends_with(".conf"))
}

/// Whether a URL found on `line` of `path` is one an update is fetched from.
pub(crate) fn is_update_url(path: &str, line: &str, url: &str) -> bool {
    if is_web_or_doc(path) {
        return false;
    }
    if is_opkg_conf(path) {
        return line.trim_start().starts_with("src");
    }
    let u = url.to_ascii_lowercase();
    is_upgrade_path(path) || UPDATE_WORDS.iter().any(|w| u.contains(w))
}

/// Whether opkg signature checking is on in this root: `Some((line, text))` of the option when it
/// is set to something other than 0.
fn opkg_check_signature(root: &Root<'_>) -> Option<(usize, String, bool)> {
    let data = root.read("etc/opkg.conf")?;
    lines(data).find_map(|(n, l)| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (w.len() >= 2 && w[0] == "option" && w[1] == "check_signature")
            .then(|| (n, l.clone(), w.get(2).is_none_or(|v| *v != "0")))
    })
}

/// The update mechanisms the image carries (Info).
pub struct Mechanism;

/// (path in the root, mechanism) — the first path present names the mechanism.
const MECHANISMS: &[(&[&str], &str)] = &[
    (
        &["sbin/sysupgrade"],
        "OpenWrt sysupgrade (whole-image upgrade)",
    ),
    (&["bin/opkg", "usr/bin/opkg"], "opkg package manager"),
    (&["usr/bin/swupdate", "etc/swupdate.cfg"], "SWUpdate"),
    (&["usr/bin/rauc", "etc/rauc/system.conf"], "RAUC"),
    (&["usr/bin/mender", "etc/mender/mender.conf"], "Mender"),
    (
        &[
            "usr/sbin/fw_setenv",
            "sbin/fw_setenv",
            "usr/bin/fw_setenv",
            "etc/fw_env.config",
        ],
        "U-Boot environment tools (fw_setenv: boot-slot or boot-loader driven updates)",
    ),
];

/// Vendor upgrade tools, by file name.
const VENDOR_TOOLS: &[&str] = &[
    "tpupgrade",
    "fwupgrade",
    "fw_upgrade",
    "firmware_upgrade",
    "upgrade_fw",
    "fwupdate",
    "fw_update",
    "ota_update",
    "otad",
    "fotad",
    "mtd_write",
    "rc_upgrade",
];

/// Phrases of a firmware-upload web page (with a file input).
const UPGRADE_PAGE_PHRASES: &[&str] = &[
    "firmware upgrade",
    "upgrade firmware",
    "firmware update",
    "update firmware",
    "software upgrade",
    "upgrade software",
    "update software",
    "software update",
    "flash new firmware",
    "flash image",
];

/// Programs that download.
const DOWNLOADERS: &[&str] = &["wget", "curl", "tftp", "uclient-fetch", "ftpget", "fetch"];

impl Check for Mechanism {
    fn id(&self) -> &'static str {
        "updates.mechanism"
    }
    fn title(&self) -> &'static str {
        "Software update mechanism"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-1", "5.3-2"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut found: Vec<(String, Vec<Evidence>)> = Vec::new();
        let mut add = |name: String, e: Evidence| match found.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                if v.len() < 20 {
                    v.push(e)
                }
            }
            None => found.push((name, vec![e])),
        };
        for root in cx.tree.roots() {
            for (paths, name) in MECHANISMS {
                for p in paths.iter() {
                    if root.get(p).is_some() {
                        add(name.to_string(), root.evidence(p, None, None, None));
                    }
                }
            }
        }
        for f in filescan::root_files(cx) {
            let name = f.name();
            if VENDOR_TOOLS.contains(&name) {
                add(
                    format!("vendor upgrade tool {name}"),
                    f.evidence(None, None, name),
                );
            }
            let lower = f.path.to_ascii_lowercase();
            let web = filescan::is_web_page(f.path);
            if web && filescan::is_text(f.data) && filescan::has_file_input(f.data) {
                if let Some((n, l, at)) = filescan::find_phrase(f.data, UPGRADE_PAGE_PHRASES) {
                    add(
                        "web interface firmware upload page".into(),
                        f.evidence(Some(n), None, &excerpt_around(&l, at)),
                    );
                }
            }
            // A script named for updates that downloads something.
            if !lower.starts_with("lib/upgrade/")
                && lower != "sbin/sysupgrade"
                && !web
                && is_upgrade_path(f.path)
                && f.data.starts_with(b"#!")
                && filescan::is_text(f.data)
            {
                let download = lines(f.data).find(|(_, l)| {
                    !is_comment(l)
                        && l.split(|c: char| c.is_whitespace() || c == ';' || c == '|')
                            .any(|w| {
                                let base = w.rsplit('/').next().unwrap_or(w);
                                DOWNLOADERS.contains(&base)
                            })
                });
                if let Some((n, l)) = download {
                    add("update script".into(), f.evidence(Some(n), None, &l));
                }
            }
        }
        if found.is_empty() {
            if cx.tree.roots().is_empty() {
                return Vec::new();
            }
            return vec![Finding::new(
                self.id(),
                &["5.3-2"],
                Severity::Info,
                "No software update mechanism identified in the firmware",
                "No known update tool (sysupgrade, opkg, SWUpdate, RAUC, Mender, fw_setenv, vendor \
                 upgrade tools), upgrade web page or update script was found. An update path may \
                 still exist inside a vendor binary; the manufacturer's declaration must say how \
                 the device is updated.",
                "Document the update mechanism; if there is none, provide a secure one (signed \
                 images verified on the device) or publish why the device is not updateable \
                 (5.3-14).",
            )];
        }
        found
            .into_iter()
            .map(|(name, evidence)| {
                let mut f = Finding::new(
                    self.id(),
                    &["5.3-1", "5.3-2"],
                    Severity::Info,
                    format!("Update mechanism: {name}"),
                    "The firmware carries this way of installing new software; whether updates \
                     are authenticated is examined by the other update checks.",
                    "Nothing to fix: keep it, and make sure it verifies a signature on every \
                     update it installs.",
                );
                for e in evidence {
                    f = f.with_evidence(e);
                }
                f
            })
            .collect()
    }
}

/// Update and package-feed URLs fetched over plain HTTP or FTP.
pub struct CleartextUrl;

impl Check for CleartextUrl {
    fn id(&self) -> &'static str {
        "updates.cleartext_url"
    }
    fn title(&self) -> &'static str {
        "Update or package-feed URLs over plain HTTP/FTP"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-7", "5.3-10", "5.5-1"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let schemes = ["http", "ftp", "tftp"];
        let files = filescan::text_files(cx);
        // (signed opkg feed?, evidence, url)
        let mut hits: Vec<(bool, Evidence, String)> = filescan::par_scan(&files, |f| {
            let signed = is_opkg_conf(f.path)
                && f.root
                    .and_then(opkg_check_signature)
                    .is_some_and(|(_, _, on)| on);
            let mut out = Vec::new();
            for (n, line) in lines(f.data) {
                if is_comment(&line) {
                    continue;
                }
                for u in urls(&line, &schemes) {
                    if !is_local_host(&u.host) && is_update_url(f.path, &line, &u.text) {
                        out.push((
                            signed,
                            f.evidence(Some(n), None, &excerpt_around(&line, u.at)),
                            u.text,
                        ));
                    }
                }
                if out.len() >= MAX_EVIDENCE {
                    break;
                }
            }
            out
        });
        // Strings of ELF files.
        let elves: Vec<_> = cx
            .inventory
            .elf
            .iter()
            .filter(|e| e.size <= MAX_BINARY_FILE)
            .collect();
        let from_binaries: Vec<(bool, Evidence, String)> = {
            use rayon::prelude::*;
            elves
                .par_iter()
                .flat_map_iter(|elf| {
                    let data = cx
                        .tree
                        .node(&elf.node)
                        .and_then(|n| n.data.as_deref())
                        .unwrap_or(&[]);
                    let mut out = Vec::new();
                    for needle in [&b"http://"[..], b"ftp://"] {
                        for (off, s) in filescan::strings_around(data, needle, 10) {
                            for u in urls(&s, &schemes) {
                                let lu = u.text.to_ascii_lowercase();
                                if !is_local_host(&u.host)
                                    && UPDATE_WORDS.iter().any(|w| lu.contains(w))
                                {
                                    let mut e = filescan::elf_evidence(cx, elf, &s);
                                    e.offset = Some(off + u.at as u64);
                                    out.push((false, e, u.text));
                                }
                            }
                        }
                    }
                    out
                })
                .collect()
        };
        hits.extend(from_binaries);
        if hits.is_empty() {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for signed in [false, true] {
            let group: Vec<&(bool, Evidence, String)> =
                hits.iter().filter(|h| h.0 == signed).collect();
            if group.is_empty() {
                continue;
            }
            let mut urls_seen: Vec<String> = group.iter().map(|h| h.2.clone()).collect();
            urls_seen.dedup();
            let mut f = if signed {
                Finding::new(
                    self.id(),
                    &["5.3-7", "5.5-1"],
                    Severity::Low,
                    format!(
                        "opkg package feeds use plain HTTP (package-list signatures are checked): {}",
                        short_list(&urls_seen, 2)
                    ),
                    "opkg checks the usign signature of each feed's package index \
                     (`option check_signature` is on), so a tampered package is rejected; but \
                     the transfer is unencrypted, so an observer learns what the device installs \
                     and an attacker on the path can hold back updates by replaying an older \
                     signed index.",
                    "Serve the feeds over HTTPS (`src/gz … https://…` with a CA bundle and \
                     a TLS-capable wget/uclient-fetch) and keep `option check_signature 1`.",
                )
            } else {
                Finding::new(
                    self.id(),
                    &["5.3-7", "5.3-10", "5.5-1"],
                    Severity::Medium,
                    format!(
                        "Updates or packages are fetched over plain HTTP/FTP: {}",
                        short_list(&urls_seen, 2)
                    ),
                    "Anyone on the network path can read and replace what is downloaded; unless \
                     the device verifies a signature on it (none is shown next to these URLs), a \
                     replaced update runs as the device's own software.",
                    "Fetch updates over HTTPS with certificate verification, and verify a \
                     signature on every image or package before installing it (e.g. usign/ \
                     opkg `check_signature 1`, signed FIT, SWUpdate/RAUC signed bundles).",
                )
            };
            for (_, e, _) in group.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e.clone());
            }
            findings.push(f);
        }
        findings
    }
}

/// Command-line flags and settings that turn certificate or signature checks off.
pub(crate) const INSECURE_FLAGS: &[&str] = &[
    "--no-check-certificate",
    "--insecure",
    "--no-verify",
    "--no-check-signature",
    "--nosignature",
    "--nogpgcheck",
];

/// Whether a shell line runs curl with `-k`.
pub(crate) fn curl_k(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let mut in_curl = false;
    for w in words.by_ref() {
        let base = w.rsplit('/').next().unwrap_or(w);
        if base == "curl" {
            in_curl = true;
            continue;
        }
        if in_curl {
            if matches!(w, ";" | "&&" | "||" | "|") {
                in_curl = false;
                continue;
            }
            if w.starts_with('-')
                && !w.starts_with("--")
                && w.len() > 1
                && w[1..].contains('k')
                && w[1..].chars().all(|c| c.is_ascii_alphabetic())
            {
                return true;
            }
        }
    }
    false
}

/// The insecure flag a line uses, if any.
pub(crate) fn insecure_flag(line: &str) -> Option<&'static str> {
    if !line.contains("--") && !line.contains("curl") {
        return None;
    }
    if curl_k(line) {
        return Some("curl -k");
    }
    INSECURE_FLAGS.iter().copied().find(|f| {
        line.match_indices(f).any(|(i, _)| {
            // Whole flag: not followed by another flag character.
            !line[i + f.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    })
}

/// Whether a line is about updates (for lines outside update scripts).
pub(crate) fn is_update_line(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    UPDATE_WORDS.iter().any(|w| l.contains(w)) || l.contains("sysupgrade") || l.contains("opkg")
}

/// Signature or certificate verification turned off for updates.
pub struct VerificationDisabled;

impl Check for VerificationDisabled {
    fn id(&self) -> &'static str {
        "updates.verification_disabled"
    }
    fn title(&self) -> &'static str {
        "Update signature or certificate verification disabled"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-9", "5.3-10"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for root in cx.tree.roots() {
            let Some(conf) = root.read("etc/opkg.conf") else {
                continue;
            };
            match opkg_check_signature(root) {
                Some((n, line, false)) => findings.push(
                    Finding::new(
                        self.id(),
                        &["5.3-9", "5.3-10"],
                        Severity::Medium,
                        "opkg signature checking is turned off (`option check_signature 0`)",
                        "opkg installs packages without checking the feed's signature, so a \
                         replaced package list or package is installed as if it came from the \
                         vendor.",
                        "Set `option check_signature 1` in etc/opkg.conf and ship the feed's \
                         usign public key in etc/opkg/keys.",
                    )
                    .with_evidence(root.evidence(
                        "etc/opkg.conf",
                        Some(n),
                        None,
                        Some(excerpt(&line)),
                    )),
                ),
                Some(_) => {}
                None => {
                    // Feeds over plain HTTP/FTP in opkg.conf or etc/opkg/*.conf.
                    let mut feeds: Vec<Evidence> = Vec::new();
                    let mut sources: Vec<(&str, &[u8])> = vec![("etc/opkg.conf", conf)];
                    for f in root.files() {
                        if f.path.starts_with("etc/opkg/") && f.path.ends_with(".conf") {
                            if let Some(d) = f.node.data.as_deref() {
                                sources.push((f.path, d));
                            }
                        }
                    }
                    for (path, data) in sources {
                        for (n, l) in lines(data) {
                            if l.trim_start().starts_with("src")
                                && !urls(&l, &["http", "ftp"]).is_empty()
                            {
                                feeds.push(root.evidence(path, Some(n), None, Some(excerpt(&l))));
                            }
                        }
                    }
                    if !feeds.is_empty() {
                        let mut f = Finding::new(
                            self.id(),
                            &["5.3-9", "5.3-10"],
                            Severity::Medium,
                            "opkg installs from plain-HTTP feeds without signature checking \
                             (no `option check_signature` in etc/opkg.conf)",
                            "Without `check_signature`, opkg trusts whatever package list and \
                             packages the HTTP server (or anyone on the path) returns.",
                            "Add `option check_signature 1` to etc/opkg.conf, ship the feed's \
                             usign key in etc/opkg/keys, and serve the feeds over HTTPS.",
                        )
                        .with_evidence(root.evidence(
                            "etc/opkg.conf",
                            None,
                            None,
                            Some("no `option check_signature` line".into()),
                        ));
                        for e in feeds.into_iter().take(MAX_EVIDENCE) {
                            f = f.with_evidence(e);
                        }
                        findings.push(f);
                    }
                }
            }
        }
        // Insecure download flags in update context.
        let files: Vec<Content<'_, '_>> = filescan::text_files(cx)
            .into_iter()
            .filter(|f| !is_web_or_doc(f.path))
            .collect();
        let hits: Vec<Evidence> = filescan::par_scan(&files, |f| {
            let upgrade_file = is_upgrade_path(f.path);
            lines(f.data)
                .filter(|(_, l)| !is_comment(l))
                .filter_map(|(n, l)| {
                    let flag = insecure_flag(&l)?;
                    (upgrade_file || is_update_line(&l)).then(|| {
                        let at = l.find(flag.trim_start_matches("curl ")).unwrap_or(0);
                        f.evidence(Some(n), None, &excerpt_around(&l, at))
                    })
                })
                .take(20)
                .collect()
        });
        if !hits.is_empty() {
            let mut f = Finding::new(
                self.id(),
                &["5.3-9", "5.3-10"],
                Severity::Medium,
                format!(
                    "Update downloads skip certificate or signature checks ({} place(s))",
                    hits.len()
                ),
                "These update commands turn off TLS certificate or signature verification, so a \
                 network attacker can serve a replaced update over a connection that looks \
                 secure.",
                "Remove `-k`/`--insecure`/`--no-check-certificate`; ship a CA bundle (or pin the \
                 update server's key) and verify a signature on the downloaded image.",
            );
            for e in hits.into_iter().take(MAX_EVIDENCE) {
                f = f.with_evidence(e);
            }
            findings.push(f);
        }
        findings
    }
}

/// Upgrade scripts whose only image check is a checksum.
pub struct WeakIntegrity;

const CHECKSUM_TOOLS: &[&str] = &["md5sum", "md5", "crc32", "cksum", "sha1sum", "crc"];
const IMAGE_WORDS: &[&str] = &[
    "img", "image", "firmware", "fw", "rootfs", "kernel", "vmlinux", "checksum",
];
const SIGNATURE_WORDS: &[&str] = &[
    "usign",
    "ucert",
    "fwtool",
    "signature",
    "-verify",
    "gpg",
    "gpgv",
    "signify",
    "minisign",
    "rsa_verify",
];

impl Check for WeakIntegrity {
    fn id(&self) -> &'static str {
        "updates.weak_integrity"
    }
    fn title(&self) -> &'static str {
        "Upgrade scripts that check images with MD5/CRC only"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-9", "5.3-10"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let files: Vec<Content<'_, '_>> = filescan::text_files(cx)
            .into_iter()
            .filter(|f| is_upgrade_path(f.path) && !is_web_or_doc(f.path))
            .collect();
        // (is a signature check, evidence)
        let hits: Vec<(bool, Evidence)> = filescan::par_scan(&files, |f| {
            let mut out = Vec::new();
            for (n, l) in lines(f.data) {
                if is_comment(&l) {
                    continue;
                }
                let lower = l.to_ascii_lowercase();
                let words: Vec<&str> = lower
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .collect();
                if SIGNATURE_WORDS
                    .iter()
                    .any(|w| words.contains(w) || (w.starts_with('-') && lower.contains(w)))
                {
                    out.push((true, f.evidence(Some(n), None, &l)));
                } else if words.iter().any(|w| {
                    CHECKSUM_TOOLS.contains(w)
                        || CHECKSUM_TOOLS
                            .iter()
                            .any(|t| w.starts_with(&format!("{t}_")))
                }) && IMAGE_WORDS.iter().any(|w| lower.contains(w))
                {
                    out.push((false, f.evidence(Some(n), None, &l)));
                }
                if out.len() >= 20 {
                    break;
                }
            }
            out
        });
        if hits.iter().any(|(sig, _)| *sig) {
            return Vec::new();
        }
        let checks: Vec<Evidence> = hits.into_iter().map(|(_, e)| e).collect();
        if checks.is_empty() {
            return Vec::new();
        }
        let mut names: Vec<String> = checks.iter().map(|e| e.path.clone()).collect();
        names.dedup();
        let mut f = Finding::new(
            self.id(),
            &["5.3-9", "5.3-10"],
            Severity::Low,
            format!(
                "Upgrade scripts check images with checksums only; no signature verification \
                 found: {}",
                short_list(&names, 3)
            ),
            "An MD5 or CRC detects a damaged download but not a deliberate replacement: anyone \
             can compute the checksum of a modified image. No signature check appears in any \
             upgrade script of the image (one may still exist inside a binary).",
            "Verify a signature over each image with a key whose private half stays with the \
             vendor (e.g. usign/fwtool sysupgrade signatures, signed FIT), and reject unsigned \
             images.",
        );
        for e in checks.into_iter().take(MAX_EVIDENCE) {
            f = f.with_evidence(e);
        }
        vec![f]
    }
}

/// Components whose release line had been superseded or out of support for more than
/// [`crate::CheckOptions::max_component_age_years`] when the image was built.
pub struct OutdatedComponents;

/// Months from `from` to `to`, both `YYYY-MM-DD` (days ignored: the result is for people).
fn months_between(from: &str, to: &str) -> Option<i64> {
    let ym = |d: &str| -> Option<(i64, i64)> {
        let mut parts = d.split('-');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    let ((fy, fm), (ty, tm)) = (ym(from)?, ym(to)?);
    Some((ty - fy) * 12 + (tm - fm))
}

impl Check for OutdatedComponents {
    fn id(&self) -> &'static str {
        "updates.outdated_components"
    }
    fn title(&self) -> &'static str {
        "Components long superseded when the image was built"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.3-8", "5.2-3"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let os = &cx.inventory.os;
        let (Some(built), Some(built_fact)) = (os.build_date.as_deref(), os.build_date_fact())
        else {
            return Vec::new();
        };
        let years = cx.options.max_component_age_years;
        let mut old = Vec::new();
        for c in &cx.inventory.components {
            if c.version.is_empty() {
                continue;
            }
            let Some(s) = iotassay_inventory::releases::superseded(&c.name, &c.version) else {
                continue;
            };
            let Some(months) = months_between(&s.since, built) else {
                continue;
            };
            if months > i64::from(years) * 12 {
                old.push((c, s, months));
            }
        }
        if old.is_empty() {
            return Vec::new();
        }
        old.sort_by_key(|(_, _, months)| std::cmp::Reverse(*months));
        let names: Vec<String> = old
            .iter()
            .map(|(c, _, m)| format!("{} {} ({:.1} years)", c.name, c.version, *m as f64 / 12.0))
            .collect();
        let mut f = Finding::new(
            self.id(),
            self.provisions(),
            Severity::Medium,
            format!(
                "{} component{} had been superseded for more than {years} years when the image was built ({built}): {}",
                old.len(),
                if old.len() == 1 { "" } else { "s" },
                short_list(&names, 4)
            ),
            "A release line that upstream had superseded or stopped supporting years before the \
             build receives no security fixes; shipping it shows security updates are not \
             applied in a timely way (EN 303 645 5.3-8) and that vulnerabilities of the \
             components are not monitored and rectified (5.2-3).",
            "Move each component to a maintained release line and keep it current for the \
             support period; track the components in an SBOM against vulnerability feeds.",
        );
        let mut build = built_fact.evidence.clone();
        build.text = Some(format!(
            "image built {built}: {}",
            build.text.as_deref().unwrap_or("")
        ));
        for (c, s, months) in old.iter().take(MAX_EVIDENCE) {
            if let Some(e) = c.evidence.first() {
                let mut e = e.clone();
                e.text = Some(format!(
                    "{} {}: {}; current at the latest until {}, {:.1} years before the build; found as {}",
                    c.name,
                    c.version,
                    s.why,
                    s.since,
                    *months as f64 / 12.0,
                    e.text.as_deref().unwrap_or("?")
                ));
                f = f.with_evidence(e);
            }
        }
        vec![f.with_evidence(build)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filescan::fixtures::{run, run_on, BROADCOM, DEMO, OPENWRT12, OPENWRT15, TPLINK};
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};

    #[test]
    fn openwrt15_mechanisms_are_sysupgrade_and_opkg() {
        let f = run(&Mechanism, &OPENWRT15);
        let titles: Vec<&str> = f.iter().map(|f| f.title.as_str()).collect();
        assert!(f.iter().all(|f| f.severity == Severity::Info));
        let sys = f
            .iter()
            .find(|f| f.title.contains("sysupgrade"))
            .unwrap_or_else(|| panic!("{titles:?}"));
        assert_eq!(sys.evidence[0].path, "sbin/sysupgrade");
        assert!(
            titles.contains(&"Update mechanism: opkg package manager"),
            "{titles:?}"
        );
        assert!(titles
            .iter()
            .any(|t| t.contains("web interface firmware upload page")));
        assert!(
            !titles.contains(&"Update mechanism: update script"),
            "hotplug firmware loaders and odhcpd-update download nothing"
        );
    }

    #[test]
    fn openwrt15_http_feeds_with_signature_checking_are_low() {
        let f = run(&CleartextUrl, &OPENWRT15);
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        assert_eq!(f[0].severity, Severity::Low);
        assert!(f[0].title.contains("package-list signatures are checked"));
        assert_eq!(f[0].evidence.len(), 6, "six distfeeds lines");
        let e = &f[0].evidence[0];
        assert_eq!(e.path, "etc/opkg/distfeeds.conf");
        assert_eq!(e.line, Some(1));
        assert!(e
            .text
            .as_deref()
            .unwrap()
            .starts_with("src/gz chaos_calmer_base http://downloads.openwrt.org/"));
        // Signature checking is on: nothing disabled.
        assert!(run(&VerificationDisabled, &OPENWRT15).is_empty());
    }

    #[test]
    fn openwrt15_upgrade_scripts_check_md5_only() {
        let f = run(&WeakIntegrity, &OPENWRT15);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        let e = f[0]
            .evidence
            .iter()
            .find(|e| e.path == "lib/upgrade/platform.sh" && e.line == Some(450))
            .expect("platform.sh:450 reads the image's embedded MD5");
        assert!(e.text.as_deref().unwrap().contains("md5_img"));
        // Calibration-data comparisons are not image checks.
        assert!(!f[0]
            .evidence
            .iter()
            .any(|e| e.path == "lib/upgrade/dir825.sh" && e.line == Some(58)));
    }

    #[test]
    fn openwrt12_http_feeds_without_check_signature() {
        let f = run(&VerificationDisabled, &OPENWRT12);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].evidence[0].path, "etc/opkg.conf");
        assert_eq!(f[0].evidence[1].line, Some(1));
        assert!(f[0].evidence[1]
            .text
            .as_deref()
            .unwrap()
            .contains("http://downloads.openwrt.org/attitude_adjustment/12.09"));
        let c = run(&CleartextUrl, &OPENWRT12);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].severity, Severity::Medium);
    }

    #[test]
    fn demo_update_script_uses_plain_http() {
        let f = run(&CleartextUrl, &DEMO);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
        let e = &f[0].evidence[0];
        assert_eq!(e.path, "usr/share/update/update.sh");
        assert_eq!(e.line, Some(2));
        assert!(e
            .text
            .as_deref()
            .unwrap()
            .contains("http://update.example.com/fw/latest.bin"));
        assert!(e.provenance.contains("squashfs"));
        let m = run(&Mechanism, &DEMO);
        assert!(m
            .iter()
            .any(|f| f.title == "Update mechanism: update script"
                && f.evidence[0].path == "usr/share/update/update.sh"));
    }

    #[test]
    fn tplink_has_a_web_upgrade_page_and_no_cleartext_update_url() {
        assert!(run(&CleartextUrl, &TPLINK).is_empty());
        assert!(run(&VerificationDisabled, &TPLINK).is_empty());
        let m = run(&Mechanism, &TPLINK);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].title,
            "Update mechanism: web interface firmware upload page"
        );
        assert_eq!(m[0].evidence[0].path, "web/main/softup.htm");
        assert_eq!(m[0].evidence[0].line, Some(2));
    }

    #[test]
    fn broadcom_update_software_page() {
        let m = run(&Mechanism, &BROADCOM);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].title,
            "Update mechanism: web interface firmware upload page"
        );
        assert_eq!(m[0].evidence[0].path, "webs/upload.html");
        assert!(m[0].evidence[0]
            .text
            .as_deref()
            .unwrap()
            .contains("Update Software"));
    }

    #[test]
    fn synthetic_insecure_flags_and_clean_tree() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(
            r,
            "usr/sbin/fw-update.sh",
            0o755,
            b"#!/bin/sh\n# curl -k is bad\ncurl -sk https://fw.vendor.com/latest.bin -o /tmp/fw\nmd5sum /tmp/fw | grep $checksum\n",
        )
        .file(
            r,
            "etc/opkg.conf",
            0o644,
            b"src/gz base https://feeds.vendor.com/base\noption check_signature 0\n",
        );
        let m = b.build();
        let f = run_on(&VerificationDisabled, &m);
        assert_eq!(
            f.len(),
            2,
            "{:?}",
            f.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        assert_eq!(f[0].evidence[0].line, Some(2));
        assert_eq!(f[1].evidence[0].path, "usr/sbin/fw-update.sh");
        assert_eq!(f[1].evidence[0].line, Some(3));
        let w = run_on(&WeakIntegrity, &m);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].evidence[0].line, Some(4));
        assert!(run_on(&CleartextUrl, &m).is_empty(), "HTTPS only");

        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(
            r,
            "usr/sbin/fw-update.sh",
            0o755,
            b"#!/bin/sh\ncurl -s https://fw.vendor.com/latest.bin -o /tmp/fw\nusign -V -m /tmp/fw -P /etc/keys || exit 1\nmd5sum /tmp/fw\n",
        )
        .file(r, "etc/config", 0o644, b"# http://example.com/update.bin\n");
        let m = b.build();
        for check in [
            &CleartextUrl as &dyn Check,
            &VerificationDisabled,
            &WeakIntegrity,
        ] {
            assert!(
                run_on(check, &m).is_empty(),
                "{} on a clean tree",
                check.id()
            );
        }
    }

    #[test]
    fn flags() {
        assert!(curl_k("curl -k https://x"));
        assert!(curl_k("/usr/bin/curl -fsSLk https://x"));
        assert!(!curl_k("curl -o k https://x"));
        assert!(!curl_k("echo -k; curl https://x"));
        assert_eq!(
            insecure_flag("wget --no-check-certificate https://x"),
            Some("--no-check-certificate")
        );
        assert_eq!(insecure_flag("foo --insecure-mode"), None);
    }
}
