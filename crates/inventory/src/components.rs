//! Which third-party components the image carries, with versions, CPE and purl, each with the
//! file and line (or byte offset) that shows it — the input of an SBOM and of vulnerability
//! matching.
//!
//! Sources, most trustworthy first: package databases (opkg `usr/lib/opkg/status` and
//! `usr/lib/opkg/info/*.control`, dpkg `var/lib/dpkg/status`), the OS facts (kernel, BusyBox, C
//! library, distribution, Buildroot), U-Boot banners found by the unpacker, then version banners
//! inside every ELF file (statically linked copies count: OpenSSL inside a vendor library, dropbear
//! inside a vendor daemon). Banner scans are anchored on fixed strings (`SSH-2.0-dropbear_`,
//! `part of OpenSSL `…) found with `memchr::memmem`, and each hit reads at most a few dozen bytes.
//!
//! The package-database parser is our own: opkg and dpkg use the same small RFC 822-like stanza
//! format and no maintained crate parses both without pulling in a Debian toolchain model.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use iotassay_unpack::{Kind, NodeKind};
use memchr::memmem;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::os::{first_version, parse_shell_vars, OsInfo};
use crate::tree::{FileTree, Root};
use crate::{ElfFile, Evidence};

/// Largest package database read (OpenWrt's are tens of KiB, Debian's a few MiB).
const MAX_DB: usize = 16 << 20;
/// Largest `.control` file read.
const MAX_CONTROL: usize = 64 << 10;
/// `.control` files read per root.
const MAX_CONTROLS: usize = 8192;
/// Stanzas read from one database.
const MAX_STANZAS: usize = 100_000;
/// Largest ELF file scanned for banners.
const MAX_SCAN: usize = 64 << 20;
/// Hits of one anchor parsed per file (a library repeats its banner once per module).
const MAX_HITS: usize = 32;
/// Evidence items kept per component.
const MAX_EVIDENCE: usize = 64;
/// Longest version string kept.
const MAX_VERSION: usize = 48;

/// What a component is, for SBOM types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// An entry of a package database (opkg, dpkg).
    Package,
    Library,
    Application,
    /// A kernel or distribution.
    Os,
    /// A boot loader or other firmware.
    Firmware,
}

/// How sure the identification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// A version string that could be something else (`Samba 3.0` in prose).
    Low,
    /// A file name or a banner in a binary.
    Medium,
    /// A package database entry or a kernel banner.
    High,
}

/// One component with every place it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    /// Version as found (empty when only the presence is known).
    pub version: String,
    /// Package URL: `pkg:generic/busybox@1.19.2`, `pkg:opkg/dropbear@2011.54-2?arch=ar71xx`.
    pub purl: String,
    /// CPE 2.3 formatted string, when the NVD names the product.
    pub cpe: Option<String>,
    pub kind: ComponentKind,
    /// Highest confidence of any source.
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
}

/// NVD CPE vendor and product for a component name (canonical names as this module emits them,
/// and the opkg/dpkg package names that ship them).
pub fn cpe_product(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "busybox" => ("busybox", "busybox"),
        "openssl" | "libopenssl" | "libssl" | "libcrypto" => ("openssl", "openssl"),
        "libressl" => ("openbsd", "libressl"),
        "wolfssl" | "libwolfssl" => ("wolfssl", "wolfssl"),
        "cyassl" => ("wolfssl", "cyassl"),
        "mbedtls" | "libmbedtls" => ("arm", "mbed_tls"),
        "polarssl" | "libpolarssl" => ("polarssl", "polarssl"),
        "dropbear" => ("dropbear_ssh_project", "dropbear_ssh"),
        "openssh" | "openssh-server" | "openssh-client" => ("openbsd", "openssh"),
        "uclibc" => ("uclibc", "uclibc"),
        "uclibc-ng" => ("uclibc-ng_project", "uclibc-ng"),
        "glibc" | "libc6" => ("gnu", "glibc"),
        "musl" => ("musl-libc", "musl"),
        "dnsmasq" => ("thekelleys", "dnsmasq"),
        "lighttpd" => ("lighttpd", "lighttpd"),
        "nginx" => ("f5", "nginx"),
        "hostapd" => ("w1.fi", "hostapd"),
        "wpa_supplicant" | "wpad" | "wpad-mini" => ("w1.fi", "wpa_supplicant"),
        "curl" | "libcurl" => ("haxx", "curl"),
        "zlib" => ("zlib", "zlib"),
        "miniupnpd" => ("miniupnp_project", "miniupnpd"),
        "samba" | "samba36-server" => ("samba", "samba"),
        "mosquitto" => ("eclipse", "mosquitto"),
        "sqlite" | "libsqlite3" | "sqlite3-cli" => ("sqlite", "sqlite"),
        "u-boot" => ("denx", "u-boot"),
        "linux" | "kernel" => ("linux", "linux_kernel"),
        "openwrt" => ("openwrt", "openwrt"),
        "buildroot" => ("buildroot", "buildroot"),
        "esp-idf" => ("espressif", "esp-idf"),
        "arduino-esp32" => ("espressif", "arduino-esp32"),
        "lwip" => ("lwip_project", "lwip"),
        "freertos" => ("amazon", "freertos"),
        "vxworks" => ("windriver", "vxworks"),
        "zephyr" => ("zephyrproject", "zephyr"),
        _ => return None,
    })
}

/// Escape a CPE 2.3 formatted-string component: `\` before every character that is not
/// alphanumeric, `_`, `-` or `.` (CPE naming 2.3, §6.2).
fn cpe_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
            out.push(c);
        } else if c.is_ascii_graphic() {
            out.push('\\');
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

/// The CPE 2.3 formatted string `cpe:2.3:<part>:<vendor>:<product>:<version>:<update>:*:…`.
/// OpenSSH-style `7.4p1` versions split into version `7.4` and update `p1`, as the NVD does.
pub fn cpe(name: &str, version: &str, kind: ComponentKind) -> Option<String> {
    let (vendor, product) = cpe_product(name)?;
    let part = match kind {
        ComponentKind::Os if product != "buildroot" => 'o',
        _ => 'a',
    };
    let (version, update) = match (product, version.split_once('p')) {
        ("openssh", Some((v, u))) if u.chars().all(|c| c.is_ascii_digit()) && !u.is_empty() => {
            (v.to_string(), format!("p{u}"))
        }
        _ => (version.to_string(), "*".to_string()),
    };
    let version = if version.is_empty() {
        "*".to_string()
    } else {
        cpe_escape(&version)
    };
    Some(format!(
        "cpe:2.3:{part}:{vendor}:{product}:{version}:{update}:*:*:*:*:*:*"
    ))
}

/// Percent-encode a purl segment: everything but unreserved characters (RFC 3986).
fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `pkg:<type>/<namespace/>name@version?arch=…`.
pub fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    arch: Option<&str>,
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace {
        s.push_str(&purl_encode(ns));
        s.push('/');
    }
    s.push_str(&purl_encode(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&purl_encode(version));
    }
    if let Some(arch) = arch.filter(|a| !a.is_empty()) {
        s.push_str("?arch=");
        s.push_str(&purl_encode(arch));
    }
    s
}

/// One stanza of an opkg/dpkg database: fields (continuation lines folded) and the line of its
/// first field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    pub line: usize,
    pub fields: BTreeMap<String, String>,
}

/// Parse RFC 822-like stanzas separated by blank lines, as in opkg and dpkg `status` files and
/// `.control` files. Continuation lines (starting with a space) are dropped except for the first
/// line of the field: only single-line fields are used here.
pub fn parse_stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut current: Option<Stanza> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(s) = current.take() {
                out.push(s);
                if out.len() >= MAX_STANZAS {
                    return out;
                }
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let stanza = current.get_or_insert_with(|| Stanza {
            line: i + 1,
            fields: BTreeMap::new(),
        });
        stanza
            .fields
            .entry(key.trim().to_string())
            .or_insert_with(|| value.trim().to_string());
    }
    out.extend(current);
    out
}

/// The upstream part of a package version: epoch and distribution revision removed
/// (`1:2.80-1+deb10u1` → `2.80`, `2011.54-2` → `2011.54`).
pub fn upstream_version(version: &str) -> &str {
    let v = version.split_once(':').map_or(version, |(e, rest)| {
        if e.chars().all(|c| c.is_ascii_digit()) {
            rest
        } else {
            version
        }
    });
    match v.rsplit_once('-') {
        Some((up, _)) if !up.is_empty() => up,
        _ => v,
    }
}

/// A version banner anchored on fixed bytes: the version starts right after `anchor`.
struct Banner {
    anchor: &'static [u8],
    name: &'static str,
    kind: ComponentKind,
    confidence: Confidence,
    /// Bytes that must follow the version (`" Copyright"` for zlib), if any.
    then: Option<&'static [u8]>,
    /// The anchor must not follow an alphanumeric byte (`OpenSSL ` is not `LibreOpenSSL `).
    word_start: bool,
}

const fn banner(
    anchor: &'static [u8],
    name: &'static str,
    kind: ComponentKind,
    confidence: Confidence,
) -> Banner {
    Banner {
        anchor,
        name,
        kind,
        confidence,
        then: None,
        word_start: true,
    }
}

/// Every banner scanned for in ELF files.
static BANNERS: LazyLock<Vec<(Banner, memmem::Finder<'static>)>> = LazyLock::new(|| {
    use ComponentKind::{Application as App, Library as Lib};
    use Confidence::{High, Low, Medium};
    let list = vec![
        banner(b"BusyBox v", "busybox", App, High),
        banner(b"SSH-2.0-dropbear_", "dropbear", App, High),
        banner(b"Dropbear SSH multi-purpose v", "dropbear", App, High),
        banner(b"SSH-2.0-OpenSSH_", "openssh", App, High),
        banner(b"OpenSSH_", "openssh", App, Medium),
        banner(b"part of OpenSSL ", "openssl", Lib, High),
        banner(b"OpenSSL ", "openssl", Lib, Medium),
        banner(b"LibreSSL ", "libressl", Lib, Medium),
        banner(b"wolfSSL ", "wolfssl", Lib, Low),
        banner(b"CyaSSL ", "cyassl", Lib, Low),
        banner(b"mbed TLS ", "mbedtls", Lib, Medium),
        banner(b"PolarSSL ", "polarssl", Lib, Medium),
        banner(b"dnsmasq-", "dnsmasq", App, Medium),
        banner(b"Dnsmasq version ", "dnsmasq", App, Medium),
        banner(b"lighttpd/", "lighttpd", App, Medium),
        banner(b"nginx/", "nginx", App, Medium),
        banner(b"hostapd v", "hostapd", App, Medium),
        banner(b"wpa_supplicant v", "wpa_supplicant", App, Medium),
        banner(b"libcurl/", "curl", Lib, Medium),
        banner(b"MiniUPnPd/", "miniupnpd", App, Medium),
        banner(b"miniupnpd/", "miniupnpd", App, Medium),
        banner(b"Samba ", "samba", App, Low),
        banner(b"mosquitto version ", "mosquitto", App, Medium),
        banner(b"SQLite version ", "sqlite", Lib, Low),
        banner(b"stable release version ", "glibc", Lib, Medium),
        Banner {
            then: Some(b" Copyright"),
            word_start: false,
            ..banner(b"inflate ", "zlib", Lib, Medium)
        },
        Banner {
            then: Some(b" Copyright"),
            word_start: false,
            ..banner(b"deflate ", "zlib", Lib, Medium)
        },
    ];
    list.into_iter()
        .map(|b| {
            let finder = memmem::Finder::new(b.anchor);
            (b, finder)
        })
        .collect()
});

/// The version token at the start of `rest`: a digit, then `[A-Za-z0-9._+~-]`, holding a dot;
/// trailing dots and dashes trimmed.
fn version_at(rest: &[u8]) -> Option<String> {
    if !rest.first()?.is_ascii_digit() {
        return None;
    }
    let len = rest
        .iter()
        .take(MAX_VERSION + 1)
        .position(|&b| !(b.is_ascii_alphanumeric() || b"._+~-".contains(&b)))
        .unwrap_or(rest.len().min(MAX_VERSION + 1));
    if len > MAX_VERSION {
        return None;
    }
    let v = std::str::from_utf8(&rest[..len]).ok()?;
    let v = v.trim_end_matches(['.', '-']);
    v.contains('.').then(|| v.to_string())
}

/// The printable text around a hit, for evidence (at most 120 bytes, from the anchor).
fn excerpt(data: &[u8], at: usize) -> String {
    let end = data[at..]
        .iter()
        .take(120)
        .position(|&b| !(b == b' ' || b.is_ascii_graphic()))
        .map_or((at + 120).min(data.len()), |p| at + p);
    String::from_utf8_lossy(&data[at..end]).into_owned()
}

/// A banner hit: (component name, version, kind, confidence, offset, excerpt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub name: &'static str,
    pub version: String,
    pub kind: ComponentKind,
    pub confidence: Confidence,
    pub offset: u64,
    pub text: String,
}

/// Every known version banner in `data` (bounded per anchor).
pub fn scan_banners(data: &[u8]) -> Vec<Hit> {
    let data = &data[..data.len().min(MAX_SCAN)];
    let mut out: Vec<Hit> = Vec::new();
    for (b, finder) in BANNERS.iter() {
        for at in finder.find_iter(data).take(MAX_HITS) {
            if b.word_start && at > 0 && data[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let start = at + b.anchor.len();
            let Some(version) = version_at(&data[start..]) else {
                continue;
            };
            if let Some(then) = b.then {
                let after = start + version.len();
                if !data[after..].starts_with(then) {
                    continue;
                }
            }
            out.push(Hit {
                name: b.name,
                version,
                kind: b.kind,
                confidence: b.confidence,
                offset: at as u64,
                text: excerpt(data, at),
            });
        }
    }
    // `OpenSSH_` also matches inside `SSH-2.0-OpenSSH_`, `OpenSSL ` inside `part of OpenSSL `:
    // keep one hit per (name, version), the most confident, first offset.
    out.sort_by(|a, b| {
        (
            a.name,
            &a.version,
            std::cmp::Reverse(a.confidence),
            a.offset,
        )
            .cmp(&(
                b.name,
                &b.version,
                std::cmp::Reverse(b.confidence),
                b.offset,
            ))
    });
    out.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    out
}

/// Components keyed by (name, version), evidence merged.
#[derive(Default)]
struct Found {
    map: BTreeMap<(String, String), Component>,
}

impl Found {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        name: &str,
        version: &str,
        purl: String,
        cpe: Option<String>,
        kind: ComponentKind,
        confidence: Confidence,
        evidence: Evidence,
    ) {
        let entry = self
            .map
            .entry((name.to_string(), version.to_string()))
            .or_insert_with(|| Component {
                name: name.to_string(),
                version: version.to_string(),
                purl,
                cpe,
                kind,
                confidence,
                evidence: Vec::new(),
            });
        entry.confidence = entry.confidence.max(confidence);
        if entry.evidence.len() < MAX_EVIDENCE && !entry.evidence.contains(&evidence) {
            entry.evidence.push(evidence);
        }
    }

    fn generic(
        &mut self,
        name: &str,
        version: &str,
        kind: ComponentKind,
        confidence: Confidence,
        evidence: Evidence,
    ) {
        let p = purl("generic", None, name, version, None);
        let c = cpe(name, version, kind);
        self.add(name, version, p, c, kind, confidence, evidence);
    }
}

/// Text of a small file of a root, with its evidence base.
fn read_text<'m>(root: &Root<'m>, path: &str, max: usize) -> Option<(String, Evidence)> {
    let data = root.read(path)?;
    if data.len() > max {
        return None;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    Some((text, root.evidence(path, None, None, None)))
}

/// Package name and CPE-relevant kind for a package database entry.
fn package_kind(name: &str) -> ComponentKind {
    if name == "kernel" {
        ComponentKind::Os
    } else {
        ComponentKind::Package
    }
}

/// The version a package's CPE names: the upstream one, and for OpenWrt's `kernel` package
/// (`3.3.8-1-d6597ebf…`) the leading release number.
fn package_cpe_version<'a>(name: &str, version: &'a str) -> &'a str {
    if name == "kernel" {
        let end = version
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(version.len());
        version[..end].trim_end_matches('.')
    } else {
        upstream_version(version)
    }
}

fn add_stanzas(
    found: &mut Found,
    stanzas: &[Stanza],
    base: &Evidence,
    lines: &[&str],
    ty: &str,
    namespace: Option<&str>,
    skip_not_installed: bool,
) {
    for s in stanzas {
        let (Some(name), Some(version)) = (s.fields.get("Package"), s.fields.get("Version")) else {
            continue;
        };
        if name.is_empty() || name.len() > 256 || version.len() > 256 {
            continue;
        }
        if skip_not_installed
            && s.fields
                .get("Status")
                .is_some_and(|st| st.contains("not-installed") || st.contains("config-files"))
        {
            continue;
        }
        let arch = s.fields.get("Architecture").map(String::as_str);
        let p = purl(ty, namespace, name, version, arch);
        let mut ev = base.clone();
        ev.line = Some(s.line);
        let first = lines.get(s.line - 1).copied().unwrap_or("");
        ev.text = Some(
            format!("{first} (Version: {version})")
                .chars()
                .take(512)
                .collect(),
        );
        let kind = package_kind(name);
        let c = cpe(name, package_cpe_version(name, version), kind);
        found.add(name, version, p, c, kind, Confidence::High, ev);
    }
}

fn package_databases(found: &mut Found, root: &Root<'_>, distribution: Option<&str>) {
    // opkg: the status database, then control files of packages it does not list.
    if let Some((text, ev)) = read_text(root, "usr/lib/opkg/status", MAX_DB) {
        let lines: Vec<&str> = text.lines().collect();
        add_stanzas(
            found,
            &parse_stanzas(&text),
            &ev,
            &lines,
            "opkg",
            None,
            true,
        );
    }
    let controls: Vec<String> = root
        .files()
        .filter(|f| {
            f.node.kind == NodeKind::File
                && f.path.starts_with("usr/lib/opkg/info/")
                && f.path.ends_with(".control")
        })
        .take(MAX_CONTROLS)
        .map(|f| f.path.to_string())
        .collect();
    for path in controls {
        if let Some((text, ev)) = read_text(root, &path, MAX_CONTROL) {
            let lines: Vec<&str> = text.lines().collect();
            let stanzas = parse_stanzas(&text);
            add_stanzas(
                found,
                &stanzas[..stanzas.len().min(1)],
                &ev,
                &lines,
                "opkg",
                None,
                false,
            );
        }
    }
    // dpkg.
    if let Some((text, ev)) = read_text(root, "var/lib/dpkg/status", MAX_DB) {
        let lines: Vec<&str> = text.lines().collect();
        let ns = distribution
            .filter(|d| ["debian", "ubuntu", "raspbian", "devuan", "kali"].contains(d))
            .unwrap_or("debian");
        add_stanzas(
            found,
            &parse_stanzas(&text),
            &ev,
            &lines,
            "deb",
            Some(ns),
            true,
        );
    }
    // Buildroot: os-release says the release; `usr/lib/buildroot` may hold a manifest.csv
    // (`"package","version",…` per line) when the build kept it.
    for path in ["etc/os-release", "usr/lib/os-release"] {
        if let Some((text, ev)) = read_text(root, path, MAX_CONTROL) {
            let vars = parse_shell_vars(&text);
            if vars.get("ID").is_some_and(|(id, _)| id == "buildroot") {
                let (version, line) = vars
                    .get("VERSION_ID")
                    .or_else(|| vars.get("VERSION"))
                    .cloned()
                    .unwrap_or_default();
                let mut ev = ev;
                if line > 0 {
                    ev.line = Some(line);
                    ev.text = text.lines().nth(line - 1).map(str::to_string);
                }
                found.generic(
                    "buildroot",
                    &version,
                    ComponentKind::Os,
                    Confidence::High,
                    ev,
                );
            }
            break;
        }
    }
    let manifests: Vec<String> = root
        .files()
        .filter(|f| {
            f.node.kind == NodeKind::File
                && f.path.starts_with("usr/lib/buildroot/")
                && f.path.ends_with(".csv")
        })
        .take(16)
        .map(|f| f.path.to_string())
        .collect();
    for path in manifests {
        let Some((text, ev)) = read_text(root, &path, MAX_DB) else {
            continue;
        };
        for (i, line) in text.lines().enumerate().skip(1).take(MAX_STANZAS) {
            let mut cells = line.split(',').map(|c| c.trim().trim_matches('"'));
            let (Some(name), Some(version)) = (cells.next(), cells.next()) else {
                continue;
            };
            if name.is_empty() || name.len() > 256 || version.len() > 256 {
                continue;
            }
            let mut ev = ev.clone();
            ev.line = Some(i + 1);
            ev.text = Some(line.chars().take(512).collect());
            let p = purl("generic", Some("buildroot"), name, version, None);
            let c = cpe(name, version, ComponentKind::Package);
            found.add(
                name,
                version,
                p,
                c,
                ComponentKind::Package,
                Confidence::High,
                ev,
            );
        }
    }
}

/// Components the OS facts already identify: kernel, BusyBox, C library, distribution.
fn os_components(found: &mut Found, os: &OsInfo) {
    use ComponentKind::{Library, Os};
    for fact in &os.facts {
        let v = fact.value.as_str();
        match fact.key.as_str() {
            "kernel.version" => {
                found.generic("linux", v, Os, Confidence::High, fact.evidence.clone())
            }
            "kernel.modules-dir" | "kernel.image-name" => {
                // `2.6.36` from `lib/modules/2.6.36`; drop local suffixes only when a banner
                // gave the same base.
                if let Some(base) = first_version(v) {
                    found.generic("linux", base, Os, Confidence::Medium, fact.evidence.clone());
                }
            }
            "busybox.version" if !v.is_empty() => found.generic(
                "busybox",
                v,
                ComponentKind::Application,
                Confidence::High,
                fact.evidence.clone(),
            ),
            "libc.version" => {
                let name = match os.libc.as_ref().map(|(n, _)| n.as_str()) {
                    // uClibc-ng restarted at 1.0.0; 0.9.x is the original uClibc.
                    Some("uclibc") if !v.starts_with("0.") => "uclibc-ng",
                    Some(n) => n,
                    None => continue,
                };
                found.generic(name, v, Library, Confidence::Medium, fact.evidence.clone());
            }
            "libc.name"
                if v == "musl" && os.libc.as_ref().is_some_and(|(_, ver)| ver.is_none()) =>
            {
                found.generic("musl", "", Library, Confidence::Low, fact.evidence.clone())
            }
            _ => {}
        }
    }
    // The RTOS the image runs (only when no Linux root file system makes it a Wi-Fi or modem
    // blob beside the product's OS): `VxWorks 5.5.1` → cpe:2.3:o:windriver:vxworks:5.5.1.
    if let (Some(version), Some(fact)) = (
        os.version.as_deref(),
        os.facts.iter().find(|f| f.key == "rtos.version"),
    ) {
        if let Some(rtos) = os.facts.iter().find(|f| f.key == "rtos") {
            if matches!(os.kind, crate::OsKind::VxWorks | crate::OsKind::Rtos(_)) {
                found.generic(
                    &rtos.value,
                    version,
                    Os,
                    Confidence::High,
                    fact.evidence.clone(),
                );
            }
        }
    }
    if os.distribution.as_deref() == Some("openwrt") {
        if let (Some(v), Some(fact)) = (
            os.version.as_deref(),
            os.facts.iter().find(|f| f.key.starts_with("openwrt.")),
        ) {
            found.generic("openwrt", v, Os, Confidence::High, fact.evidence.clone());
        }
    }
}

/// U-Boot banners the unpacker recorded as info regions (`U-Boot 1.1.3 (Nov 19 2023 - …)`).
fn uboot(found: &mut Found, tree: &FileTree<'_>) {
    let manifest = tree.manifest();
    for region in &manifest.regions {
        if region.kind != Kind::Info || region.format != "uboot-banner" {
            continue;
        }
        let rest = region.description.trim_start();
        let rest = rest.strip_prefix("U-Boot ").unwrap_or(rest);
        let rest = rest.strip_prefix("SPL ").unwrap_or(rest);
        let Some(version) = version_at(rest.as_bytes()) else {
            continue;
        };
        let provenance = crate::tree::region_provenance(manifest, region.id);
        let ev = Evidence {
            node: region.source.clone(),
            path: format!("@{:#x} {}", region.offset, region.format),
            line: None,
            offset: Some(region.offset),
            text: Some(region.description.chars().take(256).collect()),
            provenance,
        };
        found.generic(
            "u-boot",
            &version,
            ComponentKind::Firmware,
            Confidence::High,
            ev,
        );
    }
}

/// Identify every component of the image. `elf` is the inventory's ELF list (every file that
/// starts with the ELF magic): its files are scanned for banners.
pub fn collect(
    tree: &FileTree<'_>,
    os: &OsInfo,
    elf: &[ElfFile],
    mcu: &[crate::mcu::McuImage],
) -> Vec<Component> {
    let mut found = Found::default();
    for (name, version, kind, confidence, ev) in crate::mcu::components(tree, mcu) {
        found.generic(&name, &version, kind, confidence, ev);
    }
    for root in tree.roots() {
        package_databases(&mut found, root, os.distribution.as_deref());
    }
    os_components(&mut found, os);
    uboot(&mut found, tree);

    let manifest = tree.manifest();
    let hits: Vec<(Evidence, Vec<Hit>)> = elf
        .par_iter()
        .filter_map(|e| {
            let node = tree.node(&e.node)?;
            let data = node.data.as_deref()?;
            let hits = scan_banners(data);
            (!hits.is_empty()).then(|| {
                let ev = Evidence {
                    node: node.path.clone(),
                    path: e.path.clone(),
                    line: None,
                    offset: None,
                    text: None,
                    provenance: manifest.provenance(node),
                };
                (ev, hits)
            })
        })
        .collect();
    for (base, hits) in hits {
        for h in hits {
            let mut ev = base.clone();
            ev.offset = Some(h.offset);
            ev.text = Some(h.text);
            found.generic(h.name, &h.version, h.kind, h.confidence, ev);
        }
    }

    let mut out: Vec<Component> = found.map.into_values().collect();
    // OpenWrt's `libc` package is whichever C library the image uses (uClibc, later musl).
    if let Some((libc, _)) = &os.libc {
        for p in out
            .iter_mut()
            .filter(|p| p.name == "libc" && p.purl.starts_with("pkg:opkg/") && p.cpe.is_none())
        {
            let v = upstream_version(&p.version);
            let name = if libc == "uclibc" && !v.starts_with("0.") {
                "uclibc-ng"
            } else {
                libc.as_str()
            };
            p.cpe = cpe(name, v, ComponentKind::Library);
        }
    }
    merge_into_packages(&mut out);
    out
}

/// A binary banner of the same upstream version as a package database entry (dropbear 2011.54
/// in `usr/sbin/dropbear` and opkg's `dropbear 2011.54-2`), or one naming the same CPE (the
/// kernel banner and OpenWrt's `kernel` package), is the same component: its evidence joins the
/// package's.
fn merge_into_packages(out: &mut Vec<Component>) {
    let mut i = 0;
    while i < out.len() {
        let c = &out[i];
        let generic = c.purl.starts_with("pkg:generic/");
        let target = generic
            .then(|| {
                out.iter().position(|p| {
                    let same_name = c.kind != ComponentKind::Os
                        && p.name == c.name
                        && upstream_version(&p.version) == c.version;
                    // Different names for one product: OpenWrt's `kernel 3.3.8-1-d659…` package
                    // and the `Linux version 3.3.8` banner both name cpe:…:linux_kernel:3.3.8.
                    let same_cpe = c.cpe.is_some() && p.cpe == c.cpe;
                    !p.purl.starts_with("pkg:generic/")
                        && ((same_name && p.kind == ComponentKind::Package) || same_cpe)
                })
            })
            .flatten();
        match target {
            Some(t) => {
                let c = out.remove(i);
                let t = if t > i { t - 1 } else { t };
                let p = &mut out[t];
                if p.cpe.is_none() {
                    p.cpe = cpe(&c.name, &c.version, c.kind);
                }
                for e in c.evidence {
                    if p.evidence.len() < MAX_EVIDENCE && !p.evidence.contains(&e) {
                        p.evidence.push(e);
                    }
                }
            }
            None => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas() {
        let text = "Package: dropbear\nVersion: 2011.54-2\nDescription: x\n more\n\n\nPackage: libc\nVersion: 0.9.33.2-1\nStatus: install ok installed\nArchitecture: ar71xx\n";
        let s = parse_stanzas(text);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].line, 1);
        assert_eq!(s[0].fields["Version"], "2011.54-2");
        assert_eq!(s[1].line, 7);
        assert_eq!(s[1].fields["Architecture"], "ar71xx");
        assert!(parse_stanzas("no colon\n\n \n").is_empty());
    }

    #[test]
    fn versions_and_ids() {
        assert_eq!(upstream_version("2011.54-2"), "2011.54");
        assert_eq!(upstream_version("1:2.80-1+deb10u1"), "2.80");
        assert_eq!(upstream_version("1.19.4"), "1.19.4");
        assert_eq!(
            cpe("dropbear", "2012.55", ComponentKind::Application).unwrap(),
            "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2012.55:*:*:*:*:*:*:*"
        );
        assert_eq!(
            cpe("linux", "3.3.8", ComponentKind::Os).unwrap(),
            "cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*"
        );
        assert_eq!(
            cpe("openssh", "7.4p1", ComponentKind::Application).unwrap(),
            "cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*"
        );
        assert_eq!(
            cpe("busybox", "1.2+x", ComponentKind::Application).unwrap(),
            "cpe:2.3:a:busybox:busybox:1.2\\+x:*:*:*:*:*:*:*"
        );
        assert_eq!(cpe("unknown-thing", "1", ComponentKind::Package), None);
        assert_eq!(
            purl("opkg", None, "dropbear", "2011.54-2", Some("ar71xx")),
            "pkg:opkg/dropbear@2011.54-2?arch=ar71xx"
        );
        assert_eq!(
            purl("deb", Some("debian"), "libc6", "2.28+x:1", None),
            "pkg:deb/debian/libc6@2.28%2Bx%3A1"
        );
    }

    #[test]
    fn banners() {
        let mut data = b"\0OpenSSL %s\0Big Number part of OpenSSL 0.9.8zh 3 Dec 2015\0".to_vec();
        data.extend_from_slice(b"SSH-2.0-dropbear_2012.55\0BusyBox v1.19.2 (2023)\0");
        data.extend_from_slice(b"inflate 1.2.3 Copyright 1995\0 deflate 9.9 nope\0");
        data.extend_from_slice(b"SSH-2.0-OpenSSH_7.4p1 Debian\0LibreOpenSSL 9.9\0");
        let hits = scan_banners(&data);
        let names: Vec<(&str, &str)> = hits.iter().map(|h| (h.name, h.version.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("busybox", "1.19.2"),
                ("dropbear", "2012.55"),
                ("openssh", "7.4p1"),
                ("openssl", "0.9.8zh"),
                ("zlib", "1.2.3"),
            ]
        );
        let ssl = hits.iter().find(|h| h.name == "openssl").unwrap();
        assert_eq!(ssl.confidence, Confidence::High);
        assert!(ssl.text.starts_with("part of OpenSSL 0.9.8zh"));
    }

    #[test]
    fn hostile_stanzas() {
        // Fields without values, keys only, binary junk, a huge single stanza: no panic, bounded.
        let junk = ":\n:::\nPackage\nPackage:\nVersion:\n\u{0}\u{ff}: x\n\n\n";
        let s = parse_stanzas(junk);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].fields.get("Package").map(String::as_str), Some(""));
        let many = "Package: a\nVersion: 1\n\n".repeat(MAX_STANZAS + 10);
        assert_eq!(parse_stanzas(&many).len(), MAX_STANZAS);
        assert_eq!(upstream_version("-"), "-");
        assert_eq!(upstream_version(":"), "");
        assert_eq!(package_cpe_version("kernel", "x"), "");
    }

    #[test]
    fn hostile_banners() {
        // Anchors at the very end, versions without dots, endless versions.
        assert!(scan_banners(b"BusyBox v").is_empty());
        assert!(scan_banners(b"BusyBox v12").is_empty());
        let long = [b"BusyBox v1.".as_slice(), &[b'1'; 10_000]].concat();
        assert!(scan_banners(&long).is_empty());
        let many = b"SSH-2.0-dropbear_1.1 ".repeat(100_000);
        assert_eq!(scan_banners(&many).len(), 1);
    }
}
