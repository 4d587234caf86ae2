//! The unpacked image seen as file systems: lookups by path, detection of the root file systems,
//! and symlink resolution that never leaves the root it starts in.
//!
//! Everything here reads the [`Manifest`] and the contents it holds ([`Node::data`], present when
//! the image was unpacked with `keep_data: true`: in memory, or mapped from the very file the
//! unpack created for the node in its output folder); nothing opens a host path, so a hostile
//! symlink (`etc/passwd -> /etc/shadow`) can only ever name another node of the same image.

use std::collections::{HashMap, HashSet};

use iotassay_unpack::{Kind, Manifest, Node, NodeKind};
use serde::{Deserialize, Serialize};

/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS`); a loop exhausts it.
pub const MAX_LINK_HOPS: usize = 40;
/// Most path components processed while resolving one path, links included (bounds hostile
/// targets made of thousands of `a/../a/..`).
const MAX_RESOLVE_STEPS: usize = 4096;
/// Deepest folder, inside a region, that may hold a root file system (e.g. `rootfs/` in a tar).
const MAX_ROOT_PREFIX_DEPTH: usize = 3;

/// The marker folders of a Unix root; a root needs at least [`MIN_ROOT_MARKERS`] of these four
/// groups (`bin` and `sbin` count as one).
const MARKERS: [&[&str]; 4] = [&["etc"], &["bin", "sbin"], &["lib"], &["usr"]];
/// Folders that make a candidate look more like a root when two candidates tie on markers.
const EXTRAS: [&str; 9] = [
    "var", "dev", "proc", "sys", "tmp", "root", "mnt", "home", "lib64",
];
/// Files and folders that make a region's top look like the contents of `/etc` (a configuration
/// partition, as on devices whose `/etc` is a writable JFFS2): [`MIN_ETC_MARKERS`] are needed.
const ETC_MARKERS: [&str; 12] = [
    "passwd",
    "shadow",
    "group",
    "inittab",
    "inetd.conf",
    "init.d",
    "fstab",
    "profile",
    "hostname",
    "hosts",
    "rc.d",
    "dropbear",
];
const MIN_ETC_MARKERS: usize = 3;

/// Fewest marker groups for a region to be called a root file system. Two keeps small roots
/// (an initramfs with `etc` and `bin` only) while rejecting a config partition holding `etc/`.
pub const MIN_ROOT_MARKERS: u8 = 2;

/// Why a path could not be resolved inside a root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolveError {
    /// No such entry in the image (the target may be created at run time, e.g. under `/var`).
    NotFound(String),
    /// A component other than the last is a regular file or a special file.
    NotADirectory(String),
    /// More than [`MAX_LINK_HOPS`] links: a loop, or a chain too long to be honest.
    TooManyLinks,
    /// The path is absurdly long or deep.
    TooLong,
}

/// Where a path led.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'m> {
    /// The node at the end, or `None` for a folder that has no node of its own (the root itself,
    /// or a folder an archive only implies through the paths of its members).
    pub node: Option<&'m Node>,
    /// Index of that node in [`Manifest::nodes`].
    pub index: Option<usize>,
}

/// Summary of a root file system, for the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootInfo {
    /// The region (file system or archive) holding it.
    pub region: usize,
    /// Format of that region (`squashfs`, `cpio`, `jffs2`…).
    pub format: String,
    /// Folder inside the region that is the root (`""` when it is the region's top).
    pub prefix: String,
    /// Where the region is mounted in the device's tree: `""` for a root file system, `"etc"`
    /// for a configuration partition that holds what a root keeps under `/etc` (its `shadow` is
    /// then read as `etc/shadow`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mount: String,
    /// Output folder of the region, relative to the output root.
    pub output: Option<String>,
    /// Marker groups present (0–4): `etc`, `bin`/`sbin`, `lib`, `usr`.
    pub markers: u8,
    /// Other usual root folders present (`var`, `dev`, `proc`…).
    pub extras: u8,
    pub files: u64,
    pub bytes: u64,
    /// Chain of regions from the input, for people.
    pub provenance: String,
}

/// One root file system: a region (or a folder of one) that looks like a Unix `/`.
#[derive(Debug, Clone)]
pub struct Root<'m> {
    manifest: &'m Manifest,
    info: RootInfo,
    /// Root-relative path (no leading `/`) → node index.
    entries: HashMap<String, usize>,
    /// Folders implied by member paths (`a/b` for a member `a/b/c`), root-relative.
    dirs: HashSet<String>,
    /// Node indices of this root in path order.
    order: Vec<usize>,
    /// Node index → root-relative path (differs from the inner path by the prefix and mount).
    paths: HashMap<usize, String>,
}

/// A file of a root with where it is.
#[derive(Debug, Clone, Copy)]
pub struct RootFile<'m> {
    /// Root-relative path, e.g. `etc/shadow`.
    pub path: &'m str,
    pub index: usize,
    pub node: &'m Node,
}

impl<'m> Root<'m> {
    pub fn info(&self) -> &RootInfo {
        &self.info
    }

    pub fn region(&self) -> usize {
        self.info.region
    }

    /// The manifest this root belongs to.
    pub fn manifest(&self) -> &'m Manifest {
        self.manifest
    }

    /// The entry at `path` itself, without following a final symlink (like `lstat`); earlier
    /// components are resolved.
    pub fn entry(&self, path: &str) -> Option<&'m Node> {
        let (parent, name) = match normalise(path).rsplit_once('/') {
            Some((p, n)) => (p.to_string(), n.to_string()),
            None => (String::new(), normalise(path)),
        };
        if name.is_empty() {
            return None;
        }
        let parent_key = if parent.is_empty() {
            String::new()
        } else {
            let resolved = self.resolve_inner(&parent).ok()?;
            resolved.1
        };
        let key = join(&parent_key, &name);
        self.entries.get(&key).map(|&i| &self.manifest.nodes[i])
    }

    /// The node at `path` (absolute or relative, both taken from this root), following symlinks
    /// and hard links inside the root only. `None` when it does not resolve, including a link to a
    /// target absent from the image (`etc/passwd -> /var/passwd` in an image without `var/passwd`)
    /// and implied folders without a node.
    pub fn get(&self, path: &str) -> Option<&'m Node> {
        self.resolve(path).ok().and_then(|r| r.node)
    }

    /// Content of the file at `path` after following links, when the unpack kept it in memory.
    pub fn read(&self, path: &str) -> Option<&'m [u8]> {
        self.get(path).and_then(|n| n.data.as_deref())
    }

    /// Like [`Root::get`] but says why resolution failed, and resolves folders too.
    pub fn resolve(&self, path: &str) -> Result<Resolved<'m>, ResolveError> {
        let (index, _) = self.resolve_inner(path)?;
        Ok(Resolved {
            node: index.map(|i| &self.manifest.nodes[i]),
            index,
        })
    }

    /// The canonical root-relative path `path` leads to (all links followed), if it resolves.
    pub fn canonical(&self, path: &str) -> Result<String, ResolveError> {
        self.resolve_inner(path).map(|(_, p)| p)
    }

    /// Resolve to (node index, canonical root-relative path).
    fn resolve_inner(&self, path: &str) -> Result<(Option<usize>, String), ResolveError> {
        if path.len() > 4096 {
            return Err(ResolveError::TooLong);
        }
        // Components still to walk, last one first so links can push theirs in front cheaply.
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0usize;
        let mut steps = 0usize;
        while let Some(component) = pending.pop() {
            steps += 1;
            if steps > MAX_RESOLVE_STEPS {
                return Err(ResolveError::TooLong);
            }
            if component == ".." {
                current.pop(); // Clamped at the root: `..` of `/` is `/`.
                continue;
            }
            current.push(component);
            let key = current.join("/");
            let Some(&index) = self.entries.get(&key) else {
                if self.dirs.contains(&key) {
                    continue;
                }
                return Err(ResolveError::NotFound(key));
            };
            let node = &self.manifest.nodes[index];
            match node.kind {
                NodeKind::Dir => {}
                NodeKind::Symlink | NodeKind::Hardlink => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(ResolveError::TooManyLinks);
                    }
                    let target = node.link_target.as_deref().unwrap_or("");
                    current.pop();
                    // A symlink's relative target is relative to the link's folder; an absolute
                    // one starts again at this root. A hard link's target is a member path of
                    // the region, so it is taken from the region's top (this root's prefix).
                    let absolute = target.starts_with('/') || node.kind == NodeKind::Hardlink;
                    if absolute {
                        current.clear();
                    }
                    let mut target = target;
                    if node.kind == NodeKind::Hardlink && !self.info.prefix.is_empty() {
                        let t = target.trim_start_matches("./").trim_start_matches('/');
                        match t.strip_prefix(self.info.prefix.as_str()) {
                            Some(rest) if rest.is_empty() || rest.starts_with('/') => target = rest,
                            _ => return Err(ResolveError::NotFound(t.to_string())),
                        }
                    }
                    if pending.len() + target.len() > MAX_RESOLVE_STEPS {
                        return Err(ResolveError::TooLong);
                    }
                    pending.extend(
                        target
                            .split('/')
                            .rev()
                            .filter(|c| !c.is_empty() && *c != ".")
                            .map(str::to_string),
                    );
                }
                _ => {
                    if !pending.is_empty() {
                        return Err(ResolveError::NotADirectory(key));
                    }
                }
            }
        }
        let key = current.join("/");
        if key.is_empty() {
            return Ok((None, key));
        }
        match self.entries.get(&key) {
            Some(&i) => Ok((Some(i), key)),
            None if self.dirs.contains(&key) => Ok((None, key)),
            None => Err(ResolveError::NotFound(key)),
        }
    }

    /// Every node of this root with its root-relative path, in path order (links not followed).
    pub fn files(&self) -> impl Iterator<Item = RootFile<'_>> + '_ {
        self.order.iter().map(move |&index| {
            let node = &self.manifest.nodes[index];
            RootFile {
                path: self.paths.get(&index).map_or("", String::as_str),
                index,
                node,
            }
        })
    }

    /// Provenance of a node for people (`fw.bin @0x10000 tplink → rootfs @0x0 squashfs → etc/shadow`).
    /// Evidence pointing at `path` in this root (the link target's node when `path` is a link),
    /// with an optional line (1-based), byte offset and excerpt.
    pub fn evidence(
        &self,
        path: &str,
        line: Option<usize>,
        offset: Option<u64>,
        text: Option<String>,
    ) -> crate::Evidence {
        let node = self.get(path).or_else(|| self.entry(path));
        crate::Evidence {
            node: node.map(|n| n.path.clone()).unwrap_or_default(),
            path: path.to_string(),
            line,
            offset,
            text,
            provenance: node.map(|n| self.provenance(n)).unwrap_or_default(),
        }
    }

    pub fn provenance(&self, node: &Node) -> String {
        self.manifest.provenance(node)
    }

    /// Whether the root holds an entry (of any kind, or an implied folder) at the normalised path.
    pub fn contains(&self, path: &str) -> bool {
        let key = normalise(path);
        key.is_empty() || self.entries.contains_key(&key) || self.dirs.contains(&key)
    }
}

/// Length to cut from a region inner path to make it root-relative.
fn prefix_len(prefix: &str) -> usize {
    if prefix.is_empty() {
        0
    } else {
        prefix.len() + 1
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// `/a//./b/` → `a/b` (no `..` handling: that needs the links).
fn normalise(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The unpacked image: the manifest's nodes with lookups by path and the root file systems found.
#[derive(Debug)]
pub struct FileTree<'m> {
    manifest: &'m Manifest,
    by_path: HashMap<&'m str, usize>,
    roots: Vec<Root<'m>>,
    /// Node index → index of the root holding it.
    located: HashMap<usize, usize>,
}

impl<'m> FileTree<'m> {
    /// Index `manifest` and detect its root file systems. Content is read from [`Node::data`]
    /// only: unpack with `keep_data: true` for parsers to have anything to read.
    pub fn new(manifest: &'m Manifest) -> Self {
        let by_path = manifest
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path.as_str(), i))
            .collect();
        let roots = detect_roots(manifest);
        let mut located = HashMap::new();
        for (r, root) in roots.iter().enumerate() {
            for &i in &root.order {
                located.entry(i).or_insert(r);
            }
        }
        FileTree {
            manifest,
            by_path,
            roots,
            located,
        }
    }

    pub fn manifest(&self) -> &'m Manifest {
        self.manifest
    }

    /// The node at an output path (as in the manifest: `0x0-squashfs/etc/passwd`).
    pub fn node(&self, path: &str) -> Option<&'m Node> {
        self.by_path.get(path).map(|&i| &self.manifest.nodes[i])
    }

    /// Root file systems, best first: most Unix-like (marker folders, then other usual folders),
    /// then biggest.
    pub fn roots(&self) -> &[Root<'m>] {
        &self.roots
    }

    /// The best root file system, if any.
    pub fn root(&self) -> Option<&Root<'m>> {
        self.roots.first()
    }

    /// The root a node belongs to and its root-relative path.
    pub fn locate(&self, index: usize) -> Option<(&Root<'m>, &str)> {
        let &r = self.located.get(&index)?;
        let root = &self.roots[r];
        Some((root, root.paths.get(&index)?.as_str()))
    }

    /// The path of a node people should see: root-relative inside a root, else the inner path.
    pub fn display_path(&self, index: usize) -> &str {
        match self.locate(index) {
            Some((_, p)) => p,
            None => &self.manifest.nodes[index].inner_path,
        }
    }
}

/// Per-region layout used to pick a root prefix.
struct RegionLayout {
    /// Every folder path (explicit or implied) → nothing; plus names of links and files.
    present: HashSet<String>,
}

fn detect_roots(manifest: &Manifest) -> Vec<Root<'_>> {
    let mut by_region: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, node) in manifest.nodes.iter().enumerate() {
        let is_tree = manifest
            .regions
            .get(node.region)
            .is_some_and(|r| matches!(r.kind, Kind::Filesystem | Kind::Archive));
        if is_tree {
            by_region.entry(node.region).or_default().push(i);
        }
    }
    let mut roots = Vec::new();
    for (region, indices) in by_region {
        let mut layout = RegionLayout {
            present: HashSet::new(),
        };
        let mut candidates: HashSet<String> = HashSet::new();
        candidates.insert(String::new());
        for &i in &indices {
            let path = manifest.nodes[i].inner_path.as_str();
            layout.present.insert(path.to_string());
            let mut rest = path;
            while let Some((parent, _)) = rest.rsplit_once('/') {
                layout.present.insert(parent.to_string());
                rest = parent;
            }
            // `x/etc` makes `x` a candidate prefix.
            if let Some(prefix) = path.strip_suffix("/etc") {
                if prefix.split('/').count() <= MAX_ROOT_PREFIX_DEPTH {
                    candidates.insert(prefix.to_string());
                }
            }
        }
        let score = |prefix: &str| -> (u8, u8) {
            let has = |name: &str| layout.present.contains(&join(prefix, name));
            let markers = MARKERS
                .iter()
                .filter(|group| group.iter().any(|n| has(n)))
                .count() as u8;
            let extras = EXTRAS.iter().filter(|n| has(n)).count() as u8;
            (markers, extras)
        };
        let best = candidates
            .iter()
            .map(|p| (score(p), p.split('/').filter(|c| !c.is_empty()).count(), p))
            .filter(|((markers, _), _, p)| {
                let has = |n: &str| layout.present.contains(&join(p, n));
                *markers >= MIN_ROOT_MARKERS && (has("etc") || has("bin") || has("sbin"))
            })
            // Most markers, then most extras, then shallowest, then name for determinism.
            .max_by(|a, b| {
                (a.0, std::cmp::Reverse(a.1), std::cmp::Reverse(a.2)).cmp(&(
                    b.0,
                    std::cmp::Reverse(b.1),
                    std::cmp::Reverse(b.2),
                ))
            });
        // No root: the region may be a configuration partition mounted at /etc.
        let etc_partition = || {
            let top = |n: &str| layout.present.contains(n);
            let found = ETC_MARKERS.iter().filter(|n| top(n)).count();
            (found >= MIN_ETC_MARKERS && !top("etc") && !top("bin") && !top("sbin"))
                .then(|| ((0u8, 0u8), 0usize, String::new()))
        };
        let (((markers, extras), _, prefix), mount) = match best {
            Some(((m, e), d, p)) => (((m, e), d, p.clone()), String::new()),
            None => match etc_partition() {
                Some(found) => (found, "etc".to_string()),
                None => continue,
            },
        };
        let cut = prefix_len(&prefix);
        let mut entries = HashMap::new();
        let mut dirs = HashSet::new();
        let mut order = Vec::new();
        let mut paths = HashMap::new();
        let (mut files, mut bytes) = (0u64, 0u64);
        for &i in &indices {
            let node = &manifest.nodes[i];
            let inner = node.inner_path.as_str();
            let relative = if prefix.is_empty() {
                inner
            } else if let Some(rest) = inner.strip_prefix(prefix.as_str()) {
                match rest.strip_prefix('/') {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                continue;
            };
            debug_assert_eq!(&inner[cut.min(inner.len())..], relative);
            if relative.is_empty() {
                continue;
            }
            let mounted = join(&mount, relative);
            let relative = mounted.as_str();
            let mut rest = relative;
            while let Some((parent, _)) = rest.rsplit_once('/') {
                if !dirs.insert(parent.to_string()) {
                    break;
                }
                rest = parent;
            }
            if matches!(node.kind, NodeKind::File | NodeKind::Payload) {
                files += 1;
                bytes += node.size;
            }
            entries.insert(relative.to_string(), i);
            paths.insert(i, relative.to_string());
            order.push(i);
        }
        order.sort_by(|&a, &b| {
            manifest.nodes[a]
                .inner_path
                .cmp(&manifest.nodes[b].inner_path)
        });
        let r = &manifest.regions[region];
        let provenance = region_provenance(manifest, region);
        roots.push(Root {
            manifest,
            info: RootInfo {
                region,
                format: r.format.clone(),
                prefix,
                mount,
                output: r.output.clone(),
                markers,
                extras,
                files,
                bytes,
                provenance,
            },
            entries,
            dirs,
            order,
            paths,
        });
    }
    roots.sort_by(|a, b| {
        (b.info.markers, b.info.extras, b.info.bytes, a.info.region).cmp(&(
            a.info.markers,
            a.info.extras,
            a.info.bytes,
            b.info.region,
        ))
    });
    roots
}

/// The region chain from the input to `region`, for evidence:
/// `fw.bin @0x0 trx → rootfs @0x1c squashfs`.
pub fn region_provenance(manifest: &Manifest, region: usize) -> String {
    manifest
        .chain(region)
        .iter()
        .map(|r| {
            format!(
                "{} @{:#x} {}",
                r.source.rsplit('/').next().unwrap_or(""),
                r.offset,
                r.format
            )
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{unix_root, ManifestBuilder};

    fn sample() -> Manifest {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0x100000);
        b.file(r, "bin/busybox", 0o755, b"\x7fELF...")
            .symlink(r, "bin/sh", "busybox")
            .symlink(r, "etc/passwd", "/var/passwd")
            .file(r, "etc/passwd.bak", 0o644, b"root::0:0::/:/bin/sh\n")
            .symlink(r, "etc/rel", "../etc/passwd.bak")
            .symlink(r, "etc/escape", "../../../../etc/passwd.bak")
            .symlink(r, "etc/abs-escape", "/../../etc/passwd.bak")
            .symlink(r, "loop1", "loop2")
            .symlink(r, "loop2", "/loop1")
            .symlink(r, "self", "self")
            .symlink(r, "lib64", "lib")
            .file(r, "lib/libc.so", 0o755, b"lib")
            .symlink(r, "usr/lib", "../lib")
            .symlink(r, "host", "/etc/shadow")
            .hardlink(r, "sbin/init", "bin/busybox")
            .file(r, "deep/implied/file", 0o644, b"x");
        // A second region that is not a root (a config partition), and one that is smaller.
        let c = b.region("jffs2", Kind::Filesystem, 0x300000, None);
        b.file(c, "etc/config/network", 0o644, b"config");
        let i = b.region("cpio", Kind::Archive, 0x400000, None);
        b.dir(i, "etc", 0o755)
            .dir(i, "bin", 0o755)
            .file(i, "init", 0o755, b"#!/bin/sh");
        b.build()
    }

    #[test]
    fn a_configuration_partition_is_mounted_at_etc() {
        let mut b = ManifestBuilder::new("etc.jffs2");
        let c = b.region("jffs2", Kind::Filesystem, 0, None);
        b.file(c, "shadow", 0o600, b"root::::::::\n")
            .file(c, "passwd", 0o644, b"root:x:0:0::/root:/bin/sh\n")
            .file(
                c,
                "inetd.conf",
                0o644,
                b"ssh stream tcp nowait root /usr/sbin/dropbear dropbear -i\n",
            )
            .symlink(c, "localtime", "/usr/share/zoneinfo/UTC");
        // A region with only two /etc-like files is not taken for a configuration partition.
        let d = b.region("romfs", Kind::Filesystem, 0x10000, None);
        b.file(d, "hosts", 0o644, b"127.0.0.1 localhost\n")
            .file(d, "profile", 0o644, b"");
        let m = b.build();
        let tree = FileTree::new(&m);
        assert_eq!(tree.roots().len(), 1);
        let root = &tree.roots()[0];
        assert_eq!(root.info().mount, "etc");
        assert_eq!(root.read("etc/shadow"), Some(&b"root::::::::\n"[..]));
        assert_eq!(root.read("/etc/inetd.conf").map(|d| d.len()), Some(58));
        assert!(
            root.get("shadow").is_none(),
            "paths are those of the device"
        );
        assert!(
            root.get("etc/localtime").is_none(),
            "links outside the partition do not resolve"
        );
    }

    #[test]
    fn roots_are_found_best_first() {
        let m = sample();
        let tree = FileTree::new(&m);
        let roots = tree.roots();
        assert_eq!(
            roots.len(),
            2,
            "{:?}",
            roots.iter().map(|r| r.info()).collect::<Vec<_>>()
        );
        assert_eq!(roots[0].info().format, "squashfs");
        assert_eq!(roots[0].info().markers, 4);
        assert_eq!(roots[1].info().format, "cpio");
        assert_eq!(roots[1].info().markers, 2);
        assert!(roots[0].info().extras >= 3);
    }

    #[test]
    fn relative_and_absolute_links() {
        let m = sample();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert_eq!(root.get("bin/sh").unwrap().inner_path, "bin/busybox");
        assert_eq!(root.get("/bin/sh").unwrap().inner_path, "bin/busybox");
        assert_eq!(root.get("etc/rel").unwrap().inner_path, "etc/passwd.bak");
        assert_eq!(
            root.get("usr/lib/libc.so").unwrap().inner_path,
            "lib/libc.so"
        );
        assert_eq!(root.get("lib64/libc.so").unwrap().inner_path, "lib/libc.so");
        assert_eq!(
            root.canonical("lib64/../usr/lib/./libc.so").unwrap(),
            "lib/libc.so"
        );
        assert_eq!(root.read("etc/rel"), Some(&b"root::0:0::/:/bin/sh\n"[..]));
        // Hard link: resolved through its member path.
        assert_eq!(root.get("sbin/init").unwrap().inner_path, "bin/busybox");
    }

    #[test]
    fn escapes_are_clamped_at_the_root() {
        let m = sample();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert_eq!(root.get("etc/escape").unwrap().inner_path, "etc/passwd.bak");
        assert_eq!(
            root.get("etc/abs-escape").unwrap().inner_path,
            "etc/passwd.bak"
        );
        assert_eq!(
            root.get("../../../etc/passwd.bak").unwrap().inner_path,
            "etc/passwd.bak"
        );
        // `/etc/shadow` exists on the host, not in the image.
        assert!(root.get("host").is_none());
        assert_eq!(
            root.resolve("host").unwrap_err(),
            ResolveError::NotFound("etc/shadow".into())
        );
    }

    #[test]
    fn dangling_links_to_runtime_files_are_none() {
        let m = sample();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert!(root.get("etc/passwd").is_none());
        assert_eq!(
            root.resolve("etc/passwd").unwrap_err(),
            ResolveError::NotFound("var/passwd".into())
        );
        // lstat-like access still sees the link.
        let link = root.entry("etc/passwd").unwrap();
        assert_eq!(link.kind, NodeKind::Symlink);
        assert_eq!(link.link_target.as_deref(), Some("/var/passwd"));
    }

    #[test]
    fn loops_stop() {
        let m = sample();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert_eq!(
            root.resolve("loop1").unwrap_err(),
            ResolveError::TooManyLinks
        );
        assert_eq!(
            root.resolve("self").unwrap_err(),
            ResolveError::TooManyLinks
        );
        assert!(root.get("self/x").is_none());
        assert_eq!(
            root.resolve("bin/busybox/x").unwrap_err(),
            ResolveError::NotADirectory("bin/busybox".into())
        );
        assert_eq!(
            root.resolve(&"a/".repeat(5000)).unwrap_err(),
            ResolveError::TooLong
        );
    }

    #[test]
    fn exactly_forty_hops_resolve() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(r, "target", 0o644, b"t");
        for i in 0..41 {
            let next = if i == 40 {
                "target".to_string()
            } else {
                format!("l{}", i + 1)
            };
            b.symlink(r, &format!("l{i}"), &next);
        }
        let m = b.build();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert!(root.get("l1").is_some(), "40 hops");
        assert_eq!(root.resolve("l0").unwrap_err(), ResolveError::TooManyLinks);
    }

    #[test]
    fn folders_and_iteration() {
        let m = sample();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        let implied = root.resolve("deep/implied").unwrap();
        assert!(implied.node.is_none());
        assert_eq!(root.resolve("/").unwrap().node.map(|n| &n.path), None);
        assert!(root.contains("deep"));
        let paths: Vec<&str> = root.files().map(|f| f.path).collect();
        assert!(paths.contains(&"etc/passwd.bak"));
        assert!(paths.windows(2).all(|w| w[0] <= w[1]));
        let f = root.files().find(|f| f.path == "etc/passwd.bak").unwrap();
        assert_eq!(
            root.provenance(f.node),
            "fw.bin @0x100000 squashfs → etc/passwd.bak"
        );
        let (r, p) = tree.locate(f.index).unwrap();
        assert_eq!((r.region(), p), (root.region(), "etc/passwd.bak"));
        assert!(tree.node("0x100000-squashfs/etc/passwd.bak").is_some());
    }

    #[test]
    fn root_inside_a_folder_of_an_archive() {
        let mut b = ManifestBuilder::new("fw.tar");
        let r = b.region("tar", Kind::Archive, 0, None);
        for d in [
            "rootfs/etc",
            "rootfs/bin",
            "rootfs/lib",
            "rootfs/usr",
            "docs",
        ] {
            b.dir(r, d, 0o755);
        }
        b.file(r, "rootfs/etc/shadow", 0o600, b"root::0:::::\n")
            .symlink(r, "rootfs/etc/link", "/etc/shadow")
            .hardlink(r, "rootfs/etc/hard", "rootfs/etc/shadow")
            .hardlink(r, "rootfs/etc/outside", "docs/readme");
        let m = b.build();
        let tree = FileTree::new(&m);
        let root = tree.root().unwrap();
        assert_eq!(root.info().prefix, "rootfs");
        assert_eq!(
            root.get("etc/link").unwrap().inner_path,
            "rootfs/etc/shadow"
        );
        assert_eq!(
            root.get("etc/hard").unwrap().inner_path,
            "rootfs/etc/shadow"
        );
        assert!(root.get("etc/outside").is_none());
        assert!(root.files().all(|f| !f.path.starts_with("rootfs")));
    }

    #[test]
    fn payload_regions_are_not_roots() {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = b.region("lzma", Kind::Compression, 0, None);
        b.payload(r, "data", b"etc bin lib usr");
        let m = b.build();
        assert!(FileTree::new(&m).roots().is_empty());
    }
}
