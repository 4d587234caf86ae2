//! Shared, bounded helpers for the checks that read file contents (hardening, updates, comms,
//! privacy): which files are text, line iteration that never panics on hostile bytes, short
//! excerpts, URL extraction, printable-string extraction around a byte match, and evidence for
//! ELF files and regions.
//!
//! Written here rather than taken from a crate: each helper is a few lines over `memchr`, and the
//! URL "parser" is deliberately lenient (it reads URLs out of shell scripts and binaries' strings,
//! where `url::Url` would reject half of them and tell us nothing more).

use iotassay_inventory::{ElfFile, Evidence, Root, RootFile};
use iotassay_unpack::{Manifest, Node, NodeKind, Region};
use rayon::prelude::*;

use crate::Context;

/// Largest file read by a text scan.
pub(crate) const MAX_TEXT_FILE: u64 = 16 * 1024 * 1024;
/// Largest file read by a binary (byte) scan.
pub(crate) const MAX_BINARY_FILE: u64 = 32 * 1024 * 1024;
/// Most evidence items one finding carries; the title or rationale states the total.
pub(crate) const MAX_EVIDENCE: usize = 200;
/// Longest excerpt, in characters.
pub(crate) const MAX_EXCERPT: usize = 160;

/// A file with its content: in a root file system, or anywhere else the image yielded it (a
/// payload of a container or decompressor, a file of an archive that is not a Unix `/`).
#[derive(Clone, Copy)]
pub(crate) struct Content<'a, 'm> {
    /// The root file system holding it, if any.
    pub root: Option<&'a Root<'m>>,
    pub node: &'m Node,
    manifest: &'m Manifest,
    /// Root-relative path, or the path inside its region for a file outside every root.
    pub path: &'m str,
    pub data: &'m [u8],
}

impl Content<'_, '_> {
    /// Evidence pointing at this file.
    pub fn evidence(&self, line: Option<usize>, offset: Option<u64>, text: &str) -> Evidence {
        match self.root {
            Some(root) => root.evidence(self.path, line, offset, Some(excerpt(text))),
            None => Evidence {
                node: self.node.path.clone(),
                path: self.path.to_string(),
                line,
                offset,
                text: Some(excerpt(text)),
                provenance: self.manifest.provenance(self.node),
            },
        }
    }

    /// The file name (last component).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// Every regular file and payload with content: those of every root file system (best root
/// first, in path order), then those outside every root (RTOS images, payloads, archives that
/// are not a Unix `/`) in manifest order, so content checks read everything the image yielded.
pub(crate) fn root_files<'a, 'm>(cx: &'a Context<'m>) -> Vec<Content<'a, 'm>>
where
    'm: 'a,
{
    let manifest = cx.manifest;
    let mut out = Vec::new();
    for root in cx.tree.roots() {
        for RootFile { path, node, .. } in root.files() {
            if !matches!(node.kind, NodeKind::File | NodeKind::Payload) {
                continue;
            }
            if let Some(data) = node.data.as_deref() {
                out.push(Content {
                    root: Some(root),
                    node,
                    manifest,
                    path,
                    data,
                });
            }
        }
    }
    for (index, node) in manifest.nodes.iter().enumerate() {
        if !matches!(node.kind, NodeKind::File | NodeKind::Payload)
            || cx.tree.locate(index).is_some()
        {
            continue;
        }
        if let Some(data) = node.data.as_deref() {
            out.push(Content {
                root: None,
                node,
                manifest,
                path: &node.path,
                data,
            });
        }
    }
    out
}

/// Whether content looks like text: not ELF, no NUL byte in its first 8 KiB, and not too big.
pub(crate) fn is_text(data: &[u8]) -> bool {
    if data.len() as u64 > MAX_TEXT_FILE || data.starts_with(b"\x7fELF") {
        return false;
    }
    let head = &data[..data.len().min(8192)];
    memchr::memchr(0, head).is_none()
}

/// Text files of every root (see [`is_text`]).
pub(crate) fn text_files<'a, 'm>(cx: &'a Context<'m>) -> Vec<Content<'a, 'm>>
where
    'm: 'a,
{
    root_files(cx)
        .into_iter()
        .filter(|f| is_text(f.data))
        .collect()
}

/// Lines of a text file, 1-based, decoded lossily (never panics on invalid UTF-8).
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = (usize, String)> + '_ {
    data.split(|&b| b == b'\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        (i + 1, String::from_utf8_lossy(l).into_owned())
    })
}

/// Whether a line of a script or config is a comment (`#`, `//`, `;`).
pub(crate) fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("//") || t.starts_with(';')
}

/// A line trimmed and cut to [`MAX_EXCERPT`] characters (on a character boundary).
pub(crate) fn excerpt(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= MAX_EXCERPT {
        return t.to_string();
    }
    let mut s: String = t.chars().take(MAX_EXCERPT - 1).collect();
    s.push('…');
    s
}

/// An excerpt centred on byte `at` of `line` (for long lines): at most [`MAX_EXCERPT`] characters.
pub(crate) fn excerpt_around(line: &str, at: usize) -> String {
    if line.trim().chars().count() <= MAX_EXCERPT {
        return excerpt(line);
    }
    let mut start = at.saturating_sub(60).min(line.len());
    while start > 0 && !line.is_char_boundary(start) {
        start -= 1;
    }
    let tail = &line[start..];
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&excerpt(tail));
    s
}

/// A URL found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// Lower-case scheme (`http`, `ftp`, `mqtt`…).
    pub scheme: String,
    /// The URL as written.
    pub text: String,
    /// Lower-case host (empty when there is none).
    pub host: String,
    /// The URL carries `user:password@`.
    pub credentials: bool,
    /// Byte offset of the URL in the text.
    pub at: usize,
}

fn url_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\' | '(' | ')' | ',')
}

/// URLs of the given schemes in `text` (schemes lower-case, without `://`).
pub(crate) fn urls(text: &str, schemes: &[&str]) -> Vec<Url> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(rel) = lower.get(from..).and_then(|s| s.find("://")) {
        let sep = from + rel;
        from = sep + 3;
        // Scheme: the letters (and + - .) right before `://`.
        let before = &lower[..sep];
        let scheme_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(sep, |(i, _)| i);
        let scheme = &lower[scheme_start..sep];
        if !schemes.contains(&scheme) {
            continue;
        }
        let rest = &text[sep + 3..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !url_char(*c))
            .map_or(rest.len(), |(i, _)| i);
        let body = &rest[..len];
        let authority = body.split(['/', '?', '#']).next().unwrap_or("");
        let (credentials, hostport) = match authority.rsplit_once('@') {
            Some((user, h)) => (user.contains(':'), h),
            None => (false, authority),
        };
        let host = if let Some(v6) = hostport.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            hostport.split(':').next().unwrap_or("")
        };
        out.push(Url {
            scheme: scheme.to_string(),
            text: text[scheme_start..sep + 3 + len].to_string(),
            host: host.to_ascii_lowercase(),
            credentials,
            at: scheme_start,
        });
        from = sep + 3 + len;
    }
    out
}

/// Whether a host is local, private, a placeholder or a variable: not an Internet endpoint.
pub(crate) fn is_local_host(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    if h.is_empty()
        || h.contains(['$', '{', '}', '%', '*'])
        || h == "localhost"
        || h.ends_with(".localhost")
        || h.ends_with(".local")
        || h.ends_with(".lan")
        || h.ends_with(".localdomain")
        || h.ends_with(".home.arpa")
        || h == "::1"
        || h.starts_with("fe80:")
        || h.starts_with("fd") && h.contains(':')
    {
        return true;
    }
    let octets: Vec<u8> = h.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() == 4 && h.split('.').count() == 4 {
        return matches!(
            octets[..],
            [127, ..] | [10, ..] | [0, ..] | [192, 168, ..] | [169, 254, ..] | [255, 255, 255, 255]
        ) || matches!(octets[..], [172, b, ..] if (16..=31).contains(&b));
    }
    // A bare word (no dot) is a local name (`http://router/`).
    !h.contains('.') && !h.contains(':')
}

/// Every printable-ASCII run (at least `min` bytes) around each occurrence of `needle` in `data`:
/// (offset of the run, the run). Runs are capped at 512 bytes and deduplicated by offset.
pub(crate) fn strings_around(data: &[u8], needle: &[u8], min: usize) -> Vec<(u64, String)> {
    let printable = |b: u8| (0x20..0x7f).contains(&b) || b == b'\t';
    let mut out: Vec<(u64, String)> = Vec::new();
    let mut last_end = 0usize;
    for at in memchr::memmem::find_iter(data, needle) {
        if at < last_end {
            continue;
        }
        let mut start = at;
        while start > 0 && printable(data[start - 1]) && at - start < 256 {
            start -= 1;
        }
        let mut end = at;
        while end < data.len() && printable(data[end]) && end - at < 256 {
            end += 1;
        }
        last_end = end;
        if end - start >= min {
            out.push((
                start as u64,
                String::from_utf8_lossy(&data[start..end]).into_owned(),
            ));
        }
        if out.len() >= MAX_EVIDENCE {
            break;
        }
    }
    out
}

/// Evidence for an ELF file of the inventory: through its root when it has one, else from the
/// manifest node.
pub(crate) fn elf_evidence(cx: &Context<'_>, elf: &ElfFile, text: &str) -> Evidence {
    if let Some(root) = elf
        .root
        .and_then(|r| cx.tree.roots().iter().find(|x| x.region() == r))
    {
        return root.evidence(&elf.path, None, None, Some(excerpt(text)));
    }
    let node = cx.tree.node(&elf.node);
    Evidence {
        node: elf.node.clone(),
        path: elf.path.clone(),
        line: None,
        offset: None,
        text: Some(excerpt(text)),
        provenance: node.map(|n| cx.manifest.provenance(n)).unwrap_or_default(),
    }
}

/// Evidence for a region of the unpacked image (a FIT image, a signed container…).
pub(crate) fn region_evidence(manifest: &Manifest, region: &Region, text: &str) -> Evidence {
    let provenance = manifest
        .chain(region.id)
        .iter()
        .map(|r| {
            let source = if r.parent.is_none() {
                r.source.as_str()
            } else {
                r.source.rsplit('/').next().unwrap_or(&r.source)
            };
            format!("{source} @{:#x} {}", r.offset, r.format)
        })
        .collect::<Vec<_>>()
        .join(" → ");
    Evidence {
        node: region.output.clone().unwrap_or_default(),
        path: format!("@{:#x} {}", region.offset, region.format),
        line: None,
        offset: Some(region.offset),
        text: Some(excerpt(text)),
        provenance,
    }
}

/// Run `f` on every file in parallel and gather what it returns, in file order.
pub(crate) fn par_scan<'a, 'm, T, F>(files: &[Content<'a, 'm>], f: F) -> Vec<T>
where
    T: Send,
    F: Fn(&Content<'a, 'm>) -> Vec<T> + Sync + Send,
    'm: 'a,
{
    files.par_iter().flat_map_iter(f).collect()
}

/// Whether a file is a web page people see (not a help page).
pub(crate) fn is_web_page(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "htm" | "html" | "shtml" | "asp" | "php" | "lp")
        && !lower.contains("help")
        && !name.starts_with("hlp")
}

/// The first line (1-based, with its text and the byte offset of the phrase in it) of `data`
/// containing one of `phrases` (lower-case), compared case-insensitively.
pub(crate) fn find_phrase(data: &[u8], phrases: &[&str]) -> Option<(usize, String, usize)> {
    lines(data).find_map(|(n, l)| {
        let lower = l.to_ascii_lowercase();
        phrases
            .iter()
            .find_map(|p| lower.find(p))
            .map(|at| (n, l, at))
    })
}

/// Whether an HTML page has a file-upload input (`type="file"`, any quoting or case).
pub(crate) fn has_file_input(data: &[u8]) -> bool {
    let lower: Vec<u8> = data
        .iter()
        .filter(|b| !matches!(b, b'"' | b'\'' | b' ' | b'\t'))
        .map(u8::to_ascii_lowercase)
        .collect();
    memchr::memmem::find(&lower, b"type=file").is_some()
}

/// "a, b, c and 4 more" for titles.
pub(crate) fn short_list(items: &[String], max: usize) -> String {
    match items.len() {
        0 => String::new(),
        n if n <= max => items.join(", "),
        n => format!("{} and {} more", items[..max].join(", "), n - max),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Corpus images unpacked once per test binary, and a way to run one check on a manifest.

    use std::sync::LazyLock;

    use iotassay_inventory::{FileTree, Inventory};
    use iotassay_unpack::{Manifest, Options};

    use crate::{Check, CheckOptions, Context, Finding};

    fn unpack(relative: &str) -> (Manifest, Inventory) {
        let data = iotassay_testkit::corpus_bytes(relative);
        let m = iotassay_unpack::unpack(
            relative,
            &data,
            None,
            &Options {
                keep_data: true,
                ..Options::default()
            },
        )
        .expect("corpus image unpacks");
        let inv = iotassay_inventory::inventory(&m);
        (m, inv)
    }

    pub static TPLINK: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("real/tplink-mt7628-rootfs.squashfs"));
    pub static TPLINK_FLASH: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("real/tplink-mt7628-flashdump.bin"));
    pub static OPENWRT15: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("real/openwrt-15.05-tl-wr703n-sysupgrade.bin"));
    pub static OPENWRT12: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("real/openwrt-12.09-tl-wr703n-factory.bin"));
    pub static VXWORKS: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("formats/tpl__wr.fw"));
    pub static BROADCOM: LazyLock<(Manifest, Inventory)> =
        LazyLock::new(|| unpack("real/broadcom-squashfs-v2-be-lzma.bin"));
    pub static DEMO: LazyLock<(Manifest, Inventory)> = LazyLock::new(|| {
        let data = iotassay_demo::build_image().expect("demo image builds");
        let m = iotassay_unpack::unpack(
            "demo.bin",
            &data,
            None,
            &Options {
                keep_data: true,
                ..Options::default()
            },
        )
        .expect("demo unpacks");
        let inv = iotassay_inventory::inventory(&m);
        (m, inv)
    });

    /// Run one check on an unpacked image.
    pub fn run(check: &dyn Check, image: &(Manifest, Inventory)) -> Vec<Finding> {
        let tree = FileTree::new(&image.0);
        let options = CheckOptions::default();
        let cx = Context {
            manifest: &image.0,
            tree: &tree,
            inventory: &image.1,
            options: &options,
        };
        let findings = check.run(&cx);
        for f in &findings {
            assert_eq!(f.check, check.id(), "finding under the wrong check id");
            for p in &f.provisions {
                assert!(
                    check.provisions().contains(&p.as_str()),
                    "{}: provision {p} not declared by the check",
                    check.id()
                );
            }
            for e in &f.evidence {
                if let Some(t) = &e.text {
                    assert!(
                        t.chars().count() <= super::MAX_EXCERPT + 1,
                        "long excerpt {t}"
                    );
                    assert!(!t.contains('\n'), "multi-line excerpt {t:?}");
                }
            }
        }
        findings
    }

    /// Run one check on a synthetic manifest.
    pub fn run_on(check: &dyn Check, m: &Manifest) -> Vec<Finding> {
        let inv = iotassay_inventory::inventory(m);
        run(check, &(m.clone(), inv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_leniently() {
        let u = urls(
            "wget -q http://update.example.com/fw/latest.bin -O /tmp/x; curl 'ftp://u:p@10.0.0.1:21/a'",
            &["http", "ftp"],
        );
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].text, "http://update.example.com/fw/latest.bin");
        assert_eq!(u[0].host, "update.example.com");
        assert!(!u[0].credentials);
        assert_eq!(u[1].scheme, "ftp");
        assert_eq!(u[1].host, "10.0.0.1");
        assert!(u[1].credentials);
        assert!(urls("https://a.b/c", &["http"]).is_empty());
        assert!(urls("://", &["http"]).is_empty());
        assert!(urls("é://ü http://", &["http"])[0].host.is_empty());
        let v6 = urls("http://[2001:db8::1]:8080/x", &["http"]);
        assert_eq!(v6[0].host, "2001:db8::1");
    }

    #[test]
    fn local_hosts() {
        for h in [
            "localhost",
            "127.0.0.1",
            "192.168.1.1",
            "172.20.0.1",
            "10.1.2.3",
            "router",
            "$server",
            "",
            "printer.local",
        ] {
            assert!(is_local_host(h), "{h}");
        }
        for h in [
            "downloads.openwrt.org",
            "8.8.8.8",
            "172.32.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_local_host(h), "{h}");
        }
    }

    #[test]
    fn excerpts_are_bounded_and_char_safe() {
        let long = "é".repeat(500);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), MAX_EXCERPT);
        let e = excerpt_around(&long, 301);
        assert!(e.chars().count() <= MAX_EXCERPT + 1);
        assert_eq!(excerpt("  short  "), "short");
    }

    #[test]
    fn strings_around_matches() {
        let data = b"\x00\x01OpenSSL 0.9.8zh 3 Dec 2015\x00junk\xffOpenSSL 1.1.1w\x00";
        let s = strings_around(data, b"OpenSSL ", 8);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0], (2, "OpenSSL 0.9.8zh 3 Dec 2015".to_string()));
        assert!(strings_around(b"OpenSSL", b"OpenSSL ", 1).is_empty());
        assert!(strings_around(b"", b"x", 1).is_empty());
    }
}

#[cfg(test)]
mod rtos {
    use iotassay_inventory::{ComponentKind, FileTree, OsKind};

    use super::fixtures::VXWORKS;
    use super::*;
    use crate::{CheckOptions, Context};

    /// TP-Link's VxWorks 5.5.1 firmware: no Linux root, yet its OS is a component with its CPE
    /// and the content checks read the LZMA-compressed kernel and the web resources.
    #[test]
    fn vxworks_image_is_inventoried_and_its_files_are_read() {
        let (m, inv) = &*VXWORKS;
        assert!(inv.roots.is_empty());
        assert_eq!(inv.os.kind, OsKind::VxWorks);
        assert_eq!(inv.os.version.as_deref(), Some("5.5.1"));
        let vx = inv
            .components
            .iter()
            .find(|c| c.name == "vxworks")
            .expect("VxWorks component");
        assert_eq!(vx.version, "5.5.1");
        assert_eq!(vx.kind, ComponentKind::Os);
        assert_eq!(
            vx.cpe.as_deref(),
            Some("cpe:2.3:o:windriver:vxworks:5.5.1:*:*:*:*:*:*:*")
        );
        let ev = &vx.evidence[0];
        assert_eq!(ev.path, "@0x6864 vxworks");
        assert!(ev
            .text
            .as_deref()
            .unwrap()
            .starts_with("VxWorks 5.5.1, built Aug 24 2011"));

        let tree = FileTree::new(m);
        let options = CheckOptions::default();
        let cx = Context {
            manifest: m,
            tree: &tree,
            inventory: inv,
            options: &options,
        };
        let files = root_files(&cx);
        assert!(files.iter().all(|f| f.root.is_none()));
        // The 3.5 MB kernel (LZMA lc2 lp2) and 185 compressed web resources.
        assert!(files.len() >= 187, "{} files", files.len());
        assert!(files
            .iter()
            .any(|f| f.path == "0x40114-lzma/data" && f.data.len() > 3 << 20));
        let text = text_files(&cx);
        let pages: Vec<&Content<'_, '_>> = text
            .iter()
            .filter(|f| {
                let head =
                    String::from_utf8_lossy(&f.data[..f.data.len().min(4096)]).to_ascii_lowercase();
                head.contains("<html") || head.contains("<body") || head.contains("<script")
            })
            .collect();
        assert!(pages.len() >= 150, "{} web pages read", pages.len());
        let e = pages[0].evidence(Some(1), None, "x");
        assert_eq!(e.node, pages[0].node.path);
        // `formats/tpl__wr.fw @0x131a48 lzma → data`: where in the image, decoded by what.
        assert!(e.provenance.contains("tpl__wr.fw @0x"), "{}", e.provenance);
        assert!(e.provenance.contains(" lzma → data"), "{}", e.provenance);
        // Every check runs on it without a root.
        for c in crate::all_checks() {
            let _ = super::fixtures::run(c, &VXWORKS);
        }
    }
}

#[cfg(test)]
mod dump {
    /// `cargo test -p iotassay-checks dump_findings -- --ignored --nocapture`: every finding of
    /// every check on the corpus images, for reviewing by eye.
    #[test]
    #[ignore]
    fn dump_findings() {
        use super::fixtures::*;
        for (name, image) in [
            ("tplink", &*TPLINK),
            ("flash", &*TPLINK_FLASH),
            ("openwrt15", &*OPENWRT15),
            ("openwrt12", &*OPENWRT12),
            ("broadcom", &*BROADCOM),
            ("demo", &*DEMO),
        ] {
            for c in crate::all_checks() {
                for f in run(c, image) {
                    println!("[{name}] {} {} {}", f.check, f.severity, f.title);
                    for e in f.evidence.iter().take(6) {
                        println!(
                            "      {}:{:?} @{:?} {:?} | {}",
                            e.path, e.line, e.offset, e.text, e.provenance
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod hostile {
    use iotassay_inventory::testing::{unix_root, ManifestBuilder};

    /// Every check of these modules on files of hostile bytes: invalid UTF-8, multi-byte
    /// characters at excerpt boundaries, huge lines, truncated URLs and version strings.
    #[test]
    fn checks_never_panic_on_hostile_files() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces: [&[u8]; 14] = [
            b"http://",
            b"ftp://[",
            b"mqtt://a:b@",
            b"OpenSSL ",
            b"mbed TLS 2.",
            b"\xff\xfe",
            "é€😀".as_bytes(),
            b"\n",
            b"curl -k",
            b"option check_signature",
            b"md5sum image",
            b"type=file firmware upgrade",
            b"jffs2reset",
            b"://",
        ];
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        for i in 0..24 {
            let mut data = Vec::new();
            if i % 3 == 0 {
                data.extend_from_slice(b"\x7fELF");
            }
            for _ in 0..400 {
                let p = pieces[(next() % pieces.len() as u64) as usize];
                data.extend_from_slice(p);
                if next() % 5 == 0 {
                    data.extend(std::iter::repeat_n(b'a', (next() % 300) as usize));
                }
            }
            let path = match i % 6 {
                0 => format!("usr/bin/httpd{i}"),
                1 => format!("etc/opkg/feed{i}.conf"),
                2 => format!("lib/upgrade/up{i}.sh"),
                3 => format!("www/page{i}.htm"),
                4 => "etc/opkg.conf".to_string(),
                _ => format!("etc/fstab{i}"),
            };
            b.file(r, &path, 0o755, &data);
        }
        let m = b.build();
        for c in crate::all_checks() {
            let _ = super::fixtures::run_on(c, &m);
        }
    }
}
