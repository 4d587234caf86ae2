//! Which operating system and distribution the image carries, each fact with the file and line
//! that says so.
//!
//! Sources, most specific first: OpenWrt's `etc/openwrt_release` / `etc/openwrt_version` /
//! `etc/banner`, `etc/os-release` (also Buildroot's), BusyBox (the binary's version string and its
//! applet links), the C library's file names, the kernel's `Linux version …` banner in any payload
//! (kernel images are decompressed into payloads by the unpacker), `lib/modules/<version>`, and
//! info-only regions naming an RTOS such as VxWorks.

use std::collections::BTreeMap;

use iotassay_unpack::{Kind, Manifest, NodeKind};
use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::tree::{FileTree, Root};
use crate::Evidence;

/// Longest text file read for OS facts.
const MAX_TEXT: usize = 256 << 10;
/// Kernel banners kept per payload (a kernel holds one; more means a corpus of kernels).
const MAX_BANNERS_PER_PAYLOAD: usize = 4;

/// The broad kind of system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OsKind {
    /// A Linux user space or kernel was found.
    Linux,
    /// Wind River VxWorks.
    VxWorks,
    /// Another real-time OS, named as its format says (`ecos`, `threadx`…).
    Rtos(String),
    /// Nothing recognisable.
    Unknown,
}

/// One fact with its evidence: `key` names what it is (`openwrt.release`, `kernel.version`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub key: String,
    pub value: String,
    pub evidence: Evidence,
}

/// What the OS facts sum up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    pub kind: OsKind,
    /// Distribution id (`openwrt`, `buildroot`, `debian`…), when one says so.
    pub distribution: Option<String>,
    pub version: Option<String>,
    /// OpenWrt's revision (`r36088`) or os-release's `BUILD_ID`.
    pub revision: Option<String>,
    pub pretty_name: Option<String>,
    /// Kernel versions found (distinct), best evidence first.
    pub kernels: Vec<String>,
    pub busybox: Option<String>,
    /// `uclibc`, `glibc`, `musl`, with a version when the file names give one.
    pub libc: Option<(String, Option<String>)>,
    /// When the image was built (`YYYY-MM-DD`): the latest plausible date its file systems, boot
    /// images and kernel banner record (see `build.date` facts for the evidence).
    #[serde(default)]
    pub build_date: Option<String>,
    /// Every fact found, for evidence and for later checks.
    pub facts: Vec<Fact>,
}

impl OsInfo {
    /// The fact that gave [`OsInfo::build_date`].
    pub fn build_date_fact(&self) -> Option<&Fact> {
        let date = self.build_date.as_deref()?;
        self.facts
            .iter()
            .find(|f| f.key == "build.date" && f.value == date)
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A plausible calendar date as `YYYY-MM-DD`: 1990 up to the current year (clocks of build hosts
/// and zeroed fields give 1970 or far-future stamps, which say nothing).
fn plausible(year: u32, month: u32, day: u32) -> Option<String> {
    let now_year = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| 1970 + d.as_secs() / 31_556_952)
        .unwrap_or(2100);
    ((1990..=now_year).contains(&u64::from(year))
        && (1..=12).contains(&month)
        && (1..=31).contains(&day))
    .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// `YYYY-MM-DD` after "built " or "created " in a region description.
fn description_date(description: &str) -> Option<String> {
    for word in ["built ", "created "] {
        let Some(at) = description.find(word) else {
            continue;
        };
        let date = description.get(at + word.len()..at + word.len() + 10)?;
        let mut parts = date.split('-').map(|p| p.parse::<u32>().ok());
        if let (Some(Some(y)), Some(Some(m)), Some(Some(d))) =
            (parts.next(), parts.next(), parts.next())
        {
            return plausible(y, m, d);
        }
    }
    None
}

/// The build date at the end of a kernel banner: `… #5 Thu Nov 20 15:53:42 CET 2014`.
fn banner_date(banner: &str) -> Option<String> {
    let hash = banner.rfind(" #")?;
    let tokens: Vec<&str> = banner[hash..].split_whitespace().collect();
    let month_at = tokens.iter().position(|t| MONTHS.contains(t))?;
    let month = MONTHS.iter().position(|m| *m == tokens[month_at])? as u32 + 1;
    let day: u32 = tokens.get(month_at + 1)?.parse().ok()?;
    let year: u32 = tokens[month_at..]
        .iter()
        .rev()
        .find_map(|t| (t.len() == 4).then(|| t.parse().ok()).flatten())?;
    plausible(year, month, day)
}

/// `KEY=value` lines with shell quoting (`'…'`, `"…"`), as in os-release and openwrt_release.
pub fn parse_shell_vars(text: &str) -> BTreeMap<String, (String, usize)> {
    let mut vars = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            &value[1..value.len() - 1]
        } else {
            value
        };
        vars.insert(key.to_string(), (value.to_string(), i + 1));
    }
    vars
}

/// The first version-looking token (`12.09`, `2.6.36`, `15.05.1-rc3`) in `s`: digits and dots
/// with at least one dot, plus a suffix of `[A-Za-z0-9+~_-]`.
pub fn first_version(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A version starts at a digit not glued to a word (`v1.2` is fine, `x86.64` is not).
        let free = i == 0
            || !bytes[i - 1].is_ascii_alphanumeric()
            || (matches!(bytes[i - 1], b'v' | b'V')
                && (i == 1 || !bytes[i - 2].is_ascii_alphanumeric()));
        if bytes[i].is_ascii_digit() && !free {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
        } else if bytes[i].is_ascii_digit() {
            let start = i;
            let mut j = i;
            let mut dots = 0;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                if bytes[j] == b'.' {
                    dots += 1;
                }
                j += 1;
            }
            let mut end = j;
            while end > start && bytes[end - 1] == b'.' {
                end -= 1;
                dots -= 1;
            }
            if dots >= 1 {
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || b"+~_-".contains(&bytes[end]))
                {
                    end += 1;
                }
                return Some(&s[start..end]);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// Kernel version and banner text from every `Linux version ` occurrence in `data`.
pub fn kernel_banners(data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for at in memmem::find_iter(data, b"Linux version ") {
        let rest = &data[at..data.len().min(at + 512)];
        let end = rest
            .iter()
            .position(|&b| b == 0 || b == b'\n' || !(b == b'\t' || (0x20..0x7f).contains(&b)))
            .unwrap_or(rest.len());
        let banner = String::from_utf8_lossy(&rest[..end]).into_owned();
        let token = banner["Linux version ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        // `Linux version %s` format strings and prose are not banners: the token must start with
        // a digit and hold a dot.
        if token.starts_with(|c: char| c.is_ascii_digit())
            && token.contains('.')
            && token.len() <= 64
        {
            out.push((token.to_string(), banner));
            if out.len() >= MAX_BANNERS_PER_PAYLOAD {
                break;
            }
        }
    }
    out
}

/// BusyBox version from the binary's `BusyBox v1.19.2 (…)` string.
pub fn busybox_version(data: &[u8]) -> Option<String> {
    for at in memmem::find_iter(data, b"BusyBox v") {
        let rest = &data[at + 9..data.len().min(at + 9 + 64)];
        let end = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b"._-+".contains(&b)))
            .unwrap_or(rest.len());
        let v = String::from_utf8_lossy(&rest[..end]).into_owned();
        if v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.') {
            return Some(v);
        }
    }
    None
}

struct Collector<'t, 'm> {
    tree: &'t FileTree<'m>,
    facts: Vec<Fact>,
}

impl<'m> Collector<'_, 'm> {
    /// Text of a file of `root` (links followed), with its evidence base.
    fn text(&self, root: &Root<'m>, path: &str) -> Option<(String, Evidence)> {
        let resolved = root.resolve(path).ok()?;
        let index = resolved.index?;
        let node = resolved.node?;
        let data = node.data.as_deref()?;
        if data.len() > MAX_TEXT || data.contains(&0) {
            return None;
        }
        let evidence = Evidence {
            node: node.path.clone(),
            path: self.tree.display_path(index).to_string(),
            line: None,
            offset: None,
            text: None,
            provenance: self.tree.manifest().provenance(node),
        };
        Some((String::from_utf8_lossy(data).into_owned(), evidence))
    }

    fn push(
        &mut self,
        key: &str,
        value: impl Into<String>,
        evidence: &Evidence,
        line: Option<(usize, &str)>,
    ) {
        let mut evidence = evidence.clone();
        if let Some((n, text)) = line {
            evidence.line = Some(n);
            evidence.text = Some(text.chars().take(512).collect());
        }
        self.facts.push(Fact {
            key: key.to_string(),
            value: value.into(),
            evidence,
        });
    }

    fn root_facts(&mut self, root: &Root<'m>) {
        if let Some((text, ev)) = self.text(root, "etc/openwrt_release") {
            let lines: Vec<&str> = text.lines().collect();
            for (key, (value, n)) in parse_shell_vars(&text) {
                let fact = match key.as_str() {
                    "DISTRIB_ID" => "openwrt.id",
                    "DISTRIB_RELEASE" => "openwrt.release",
                    "DISTRIB_REVISION" => "openwrt.revision",
                    "DISTRIB_DESCRIPTION" => "openwrt.description",
                    "DISTRIB_TARGET" => "openwrt.target",
                    "DISTRIB_CODENAME" => "openwrt.codename",
                    _ => continue,
                };
                let line = lines.get(n - 1).copied().unwrap_or("");
                self.push(fact, value, &ev, Some((n, line)));
            }
        }
        if let Some((text, ev)) = self.text(root, "etc/openwrt_version") {
            if let Some((n, line)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) {
                self.push(
                    "openwrt.version-file",
                    line.trim(),
                    &ev,
                    Some((n + 1, line)),
                );
            }
        }
        if let Some((text, ev)) = self.text(root, "etc/banner") {
            if text.contains("OpenWrt") || text.contains("openwrt") {
                // "ATTITUDE ADJUSTMENT (12.09, r36088)", " OpenWrt 15.05.1, r49389".
                let found = text.lines().enumerate().find_map(|(n, l)| {
                    let looks = l.contains('(') || l.contains("OpenWrt");
                    first_version(l).filter(|_| looks).map(|v| (n + 1, l, v))
                });
                match found {
                    Some((n, line, v)) => self.push("openwrt.banner", v, &ev, Some((n, line))),
                    None => self.push("openwrt.banner", "", &ev, None),
                }
            }
        }
        for path in ["etc/os-release", "usr/lib/os-release"] {
            if let Some((text, ev)) = self.text(root, path) {
                let lines: Vec<&str> = text.lines().collect();
                for (key, (value, n)) in parse_shell_vars(&text) {
                    let fact = match key.as_str() {
                        "ID" => "os-release.id",
                        "VERSION_ID" => "os-release.version-id",
                        "PRETTY_NAME" => "os-release.pretty-name",
                        "NAME" => "os-release.name",
                        "BUILD_ID" => "os-release.build-id",
                        _ => continue,
                    };
                    let line = lines.get(n - 1).copied().unwrap_or("");
                    self.push(fact, value, &ev, Some((n, line)));
                }
                break;
            }
        }
        for path in ["etc/issue", "etc/hostname"] {
            if let Some((text, ev)) = self.text(root, path) {
                if let Some((n, line)) = text
                    .lines()
                    .enumerate()
                    .find(|(_, l)| l.to_ascii_lowercase().contains("buildroot"))
                {
                    self.push("buildroot.hint", line.trim(), &ev, Some((n + 1, line)));
                }
            }
        }
        self.busybox(root);
        self.libc_and_modules(root);
    }

    fn busybox(&mut self, root: &Root<'m>) {
        let mut applets = 0usize;
        let mut binary: Option<String> = None;
        for f in root.files() {
            if f.node.kind == NodeKind::Symlink {
                let target = f.node.link_target.as_deref().unwrap_or("");
                if target.rsplit('/').next() == Some("busybox") {
                    applets += 1;
                }
            } else if f.node.kind == NodeKind::File && f.path.rsplit('/').next() == Some("busybox")
            {
                binary.get_or_insert_with(|| f.path.to_string());
            }
        }
        let binary = ["bin/busybox", "sbin/busybox", "usr/bin/busybox"]
            .iter()
            .find(|p| root.get(p).is_some())
            .map(|p| p.to_string())
            .or(binary);
        let Some(path) = binary else {
            return;
        };
        let Ok(resolved) = root.resolve(&path) else {
            return;
        };
        let (Some(node), Some(index)) = (resolved.node, resolved.index) else {
            return;
        };
        let ev = Evidence {
            node: node.path.clone(),
            path: self.tree.display_path(index).to_string(),
            line: None,
            offset: None,
            text: None,
            provenance: self.tree.manifest().provenance(node),
        };
        let version = node.data.as_deref().and_then(busybox_version);
        let mut with_text = ev.clone();
        if let Some(v) = &version {
            with_text.text = Some(format!("BusyBox v{v}"));
        }
        self.facts.push(Fact {
            key: "busybox.version".into(),
            value: version.unwrap_or_default(),
            evidence: with_text,
        });
        self.push("busybox.applets", applets.to_string(), &ev, None);
    }

    fn libc_and_modules(&mut self, root: &Root<'m>) {
        let mut libc_done = false;
        let mut modules_done = std::collections::HashSet::new();
        for f in root.files() {
            let Some((dir, name)) = f.path.rsplit_once('/') else {
                continue;
            };
            let ev = || Evidence {
                node: f.node.path.clone(),
                path: f.path.to_string(),
                line: None,
                offset: None,
                text: None,
                provenance: String::new(),
            };
            if !libc_done && matches!(dir, "lib" | "usr/lib" | "lib64" | "lib32") {
                let found = if let Some(v) = name
                    .strip_prefix("libuClibc-")
                    .or_else(|| name.strip_prefix("ld-uClibc-"))
                    .and_then(|r| r.strip_suffix(".so"))
                {
                    Some(("uclibc", v.to_string()))
                } else if name.starts_with("ld-musl-") && name.ends_with(".so.1") {
                    Some(("musl", String::new()))
                } else {
                    name.strip_prefix("libc-")
                        .and_then(|r| r.strip_suffix(".so"))
                        .filter(|v| first_version(v) == Some(v))
                        .map(|v| ("glibc", v.to_string()))
                };
                if let Some((libc, version)) = found {
                    let mut e = ev();
                    e.provenance = self.tree.manifest().provenance(f.node);
                    self.push("libc.name", libc, &e, None);
                    if !version.is_empty() {
                        self.push("libc.version", version, &e, None);
                    }
                    libc_done = true;
                }
            }
            // lib/modules/<version>/…
            if let Some(rest) = f.path.strip_prefix("lib/modules/") {
                let version = rest.split('/').next().unwrap_or("");
                if first_version(version).is_some() && modules_done.insert(version.to_string()) {
                    let mut e = ev();
                    e.path = format!("lib/modules/{version}");
                    e.provenance = self.tree.manifest().provenance(f.node);
                    self.push("kernel.modules-dir", version, &e, None);
                }
            }
        }
    }

    fn manifest_facts(&mut self, manifest: &Manifest) {
        for node in &manifest.nodes {
            if node.kind != NodeKind::Payload {
                continue;
            }
            let Some(data) = node.data.as_deref() else {
                continue;
            };
            for (version, banner) in kernel_banners(data) {
                let ev = Evidence {
                    node: node.path.clone(),
                    path: node.inner_path.clone(),
                    line: None,
                    offset: None,
                    text: Some(banner.clone()),
                    provenance: manifest.provenance(node),
                };
                if banner.contains("Buildroot") {
                    let hint = banner
                        .split("Buildroot")
                        .nth(1)
                        .and_then(first_version)
                        .map(|v| format!("Buildroot {v}"))
                        .unwrap_or_else(|| "Buildroot".into());
                    self.push("buildroot.hint", hint, &ev, None);
                }
                if banner.contains("OpenWrt") {
                    self.push("openwrt.kernel-banner", "", &ev, None);
                }
                if let Some(date) = banner_date(&banner) {
                    self.push("build.date", date, &ev, None);
                }
                self.push("kernel.version", version, &ev, None);
            }
        }
        for region in &manifest.regions {
            let ev = || Evidence {
                node: region.source.clone(),
                path: format!("@{:#x} {}", region.offset, region.format),
                line: None,
                offset: None,
                text: Some(region.description.clone()),
                provenance: crate::tree::region_provenance(manifest, region.id),
            };
            let format = region.format.to_ascii_lowercase();
            let desc = region.description.to_ascii_lowercase();
            if region.kind == Kind::Info {
                const RTOS: [&str; 10] = [
                    "vxworks",
                    "ecos",
                    "threadx",
                    "freertos",
                    "nucleus",
                    "zephyr",
                    "rt-thread",
                    "ucos",
                    "qnx",
                    "contiki",
                ];
                if let Some(name) = RTOS
                    .iter()
                    .find(|n| format.contains(*n) || desc.contains(*n))
                {
                    let ev = ev();
                    self.push("rtos", *name, &ev, None);
                    // "VxWorks 5.5.1, built Aug 24 2011, …": the version right after the name.
                    let after = desc.find(name).map_or("", |at| &desc[at + name.len()..]);
                    let after = after.trim_start().trim_start_matches("smp ");
                    if let Some(v) = first_version(after).filter(|v| after.starts_with(v)) {
                        self.push("rtos.version", v, &ev, None);
                    }
                }
            }
            // File systems and boot images record when they were made ("built 2015-12-16",
            // "created 2014-11-20 …").
            if let Some(date) = description_date(&region.description) {
                self.push("build.date", date, &ev(), None);
            }
            // uImage names such as "MIPS OpenWrt Linux-4.9.87".
            if let Some(at) = region.description.find("Linux-") {
                if let Some(v) = first_version(&region.description[at + 6..]) {
                    self.push("kernel.image-name", v, &ev(), None);
                }
            }
        }
    }
}

fn first<'a>(facts: &'a [Fact], key: &str) -> Option<&'a Fact> {
    facts.iter().find(|f| f.key == key && !f.value.is_empty())
}

/// Collect every OS fact of the tree and sum them up.
pub fn detect(tree: &FileTree<'_>) -> OsInfo {
    let mut c = Collector {
        tree,
        facts: Vec::new(),
    };
    for root in tree.roots() {
        c.root_facts(root);
    }
    c.manifest_facts(tree.manifest());
    let facts = c.facts;
    let get = |key: &str| first(&facts, key).map(|f| f.value.clone());

    let mut info = OsInfo {
        kind: OsKind::Unknown,
        distribution: None,
        version: None,
        revision: None,
        pretty_name: None,
        kernels: Vec::new(),
        busybox: get("busybox.version"),
        libc: get("libc.name").map(|n| (n, get("libc.version"))),
        build_date: facts
            .iter()
            .filter(|f| f.key == "build.date")
            .map(|f| f.value.clone())
            .max(),
        facts: Vec::new(),
    };
    let openwrt = facts.iter().any(|f| f.key.starts_with("openwrt."))
        || get("os-release.id").is_some_and(|id| id == "openwrt");
    if openwrt {
        info.distribution = Some("openwrt".into());
        // DISTRIB_RELEASE is a number on most releases but the codename on some (15.05:
        // 'Chaos Calmer'); prefer whichever source holds a number.
        let numeric = |key: &str| get(key).and_then(|v| first_version(&v).map(str::to_string));
        info.version = numeric("openwrt.release")
            .or_else(|| numeric("os-release.version-id"))
            .or_else(|| numeric("openwrt.version-file"))
            .or_else(|| get("openwrt.banner"))
            .or_else(|| get("openwrt.release"));
        info.revision = get("openwrt.revision").or_else(|| {
            let banner = first(&facts, "openwrt.banner")?;
            let text = banner.evidence.text.as_deref()?;
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .find(|t| {
                    t.len() > 1 && t.starts_with('r') && t[1..].chars().all(|c| c.is_ascii_digit())
                })
                .map(str::to_string)
        });
        info.pretty_name = get("openwrt.description").or_else(|| get("os-release.pretty-name"));
    } else if let Some(id) = get("os-release.id") {
        info.distribution = Some(id);
        info.version = get("os-release.version-id");
        info.revision = get("os-release.build-id");
        info.pretty_name = get("os-release.pretty-name").or_else(|| get("os-release.name"));
    } else if let Some(hint) = get("buildroot.hint") {
        info.distribution = Some("buildroot".into());
        info.version = first_version(&hint)
            .filter(|_| hint.starts_with("Buildroot "))
            .map(str::to_string);
    }
    for key in ["kernel.version", "kernel.modules-dir", "kernel.image-name"] {
        for f in facts.iter().filter(|f| f.key == key) {
            if !info.kernels.contains(&f.value) {
                info.kernels.push(f.value.clone());
            }
        }
    }
    let linux = !tree.roots().is_empty() || !info.kernels.is_empty() || info.busybox.is_some();
    // An RTOS region beside a Linux root file system (a Wi-Fi or modem blob) does not make the
    // product an RTOS: a root file system wins.
    info.kind = match get("rtos") {
        Some(rtos) if tree.roots().is_empty() => {
            info.version = get("rtos.version");
            if rtos == "vxworks" {
                OsKind::VxWorks
            } else {
                OsKind::Rtos(rtos)
            }
        }
        _ if linux => OsKind::Linux,
        _ => OsKind::Unknown,
    };
    info.facts = facts;
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_vars() {
        let text = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE=\"12.09\"\n# c\nDISTRIB_REVISION=r36088\nbad line\n=x\nexport ID=buildroot\n";
        let v = parse_shell_vars(text);
        assert_eq!(v["DISTRIB_ID"], ("OpenWrt".to_string(), 1));
        assert_eq!(v["DISTRIB_RELEASE"].0, "12.09");
        assert_eq!(v["DISTRIB_REVISION"], ("r36088".to_string(), 4));
        assert_eq!(v["ID"].0, "buildroot");
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn build_dates() {
        assert_eq!(
            banner_date("Linux version 3.3.8 (u@h) (gcc version 4.6.3 20120201 (prerelease) (Linaro GCC 4.6-2012.02) ) #5 Thu Nov 20 15:53:42 CET 2014").as_deref(),
            Some("2014-11-20")
        );
        assert_eq!(
            banner_date("Linux version 2.6.36 (u@h) #1 SMP PREEMPT"),
            None
        );
        assert_eq!(
            banner_date("Linux version 4.4 #1 Mon Jan 1 00:00:00 UTC 1970"),
            None
        );
        assert_eq!(
            description_date("v4.0 LE, xz, 864 inodes, block 256 KiB, built 2015-12-16").as_deref(),
            Some("2015-12-16")
        );
        assert_eq!(
            description_date("\"x\", created 2014-01-02 03:04:05 UTC").as_deref(),
            Some("2014-01-02")
        );
        assert_eq!(description_date("built 2999-01-01"), None);
        assert_eq!(description_date("built 20"), None);
        assert_eq!(description_date("créé built 2015-13-01"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(
            first_version(" ATTITUDE ADJUSTMENT (12.09, r36088)"),
            Some("12.09")
        );
        assert_eq!(first_version("OpenWrt 15.05.1, r49389"), Some("15.05.1"));
        assert_eq!(first_version("v2.6.36-rc1 x"), Some("2.6.36-rc1"));
        assert_eq!(first_version("x86.64 mips2.1 then 1.2"), Some("1.2"));
        assert_eq!(first_version("2.6.36-rc1 x"), Some("2.6.36-rc1"));
        assert_eq!(first_version("r36088"), None);
        assert_eq!(first_version("12."), None);
        assert_eq!(first_version(""), None);
    }

    #[test]
    fn kernel_banner() {
        let mut data = b"\x00\x01Linux version %s\x00garbage".to_vec();
        data.extend_from_slice(b"Linux version 2.6.36 (root@host) (gcc version 4.6.3 (Buildroot 2012.11.1) ) #1 Mon\n\x00");
        let found = kernel_banners(&data);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "2.6.36");
        assert!(found[0].1.ends_with("#1 Mon"));
        assert!(kernel_banners(b"Linux version ").is_empty());
    }

    #[test]
    fn busybox_string() {
        assert_eq!(
            busybox_version(b"xxBusyBox v%s\0BusyBox v1.19.2 (2023-11-20 10:00:00 CST)"),
            Some("1.19.2".into())
        );
        assert_eq!(busybox_version(b"BusyBox v"), None);
    }
}
