//! Building synthetic manifests for tests (this crate's and downstream crates'): regions and nodes
//! with content in memory, as an unpack with `keep_data: true` would produce them.

use iotassay_unpack::manifest::{Input, Stats, SCHEMA};
use iotassay_unpack::{Content, Kind, Manifest, Node, NodeKind, Region, RegionStatus};

/// Builds a [`Manifest`] region by region, node by node.
#[derive(Debug, Clone)]
pub struct ManifestBuilder {
    manifest: Manifest,
}

impl ManifestBuilder {
    pub fn new(input_name: &str) -> Self {
        ManifestBuilder {
            manifest: Manifest {
                schema: SCHEMA.to_string(),
                input: Input {
                    name: input_name.to_string(),
                    size: 0,
                    sha256: String::new(),
                },
                regions: Vec::new(),
                nodes: Vec::new(),
                warnings: Vec::new(),
                aborted: None,
                stats: Stats::default(),
            },
        }
    }

    /// Add a region found at `offset` of the input (`parent: None`) or of a payload of `parent`.
    pub fn region(
        &mut self,
        format: &str,
        kind: Kind,
        offset: u64,
        parent: Option<usize>,
    ) -> usize {
        let id = self.manifest.regions.len();
        let source = match parent {
            None => self.manifest.input.name.clone(),
            Some(p) => format!(
                "{}/data",
                self.manifest.regions[p].output.clone().unwrap_or_default()
            ),
        };
        let output = (kind != Kind::Info).then(|| match parent {
            None => format!("{offset:#x}-{format}"),
            Some(_) => format!("{source}.extracted/{offset:#x}-{format}"),
        });
        self.manifest.regions.push(Region {
            id,
            parent,
            source,
            offset,
            size: None,
            format: format.to_string(),
            kind,
            description: String::new(),
            output,
            status: RegionStatus::Extracted,
        });
        id
    }

    /// Set the description of a region (e.g. a uImage name).
    pub fn describe(&mut self, region: usize, description: &str) -> &mut Self {
        self.manifest.regions[region].description = description.to_string();
        self
    }

    /// Add any node; `path` is inside the region.
    pub fn node(
        &mut self,
        region: usize,
        path: &str,
        kind: NodeKind,
        mode: u32,
        data: Option<&[u8]>,
        link: Option<&str>,
    ) -> &mut Self {
        let output = self.manifest.regions[region]
            .output
            .clone()
            .unwrap_or_default();
        self.manifest.nodes.push(Node {
            path: format!("{output}/{path}"),
            region,
            inner_path: path.to_string(),
            kind,
            mode: Some(mode),
            uid: Some(0),
            gid: Some(0),
            mtime: None,
            size: data.map_or(0, |d| d.len() as u64),
            sha256: None,
            link_target: link.map(str::to_string),
            device: None,
            data: data.map(Content::from),
        });
        self
    }

    pub fn file(&mut self, region: usize, path: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.node(
            region,
            path,
            NodeKind::File,
            0o100000 | mode,
            Some(data),
            None,
        )
    }

    pub fn payload(&mut self, region: usize, path: &str, data: &[u8]) -> &mut Self {
        self.node(region, path, NodeKind::Payload, 0o100644, Some(data), None)
    }

    pub fn dir(&mut self, region: usize, path: &str, mode: u32) -> &mut Self {
        self.node(region, path, NodeKind::Dir, 0o040000 | mode, None, None)
    }

    pub fn symlink(&mut self, region: usize, path: &str, target: &str) -> &mut Self {
        self.node(
            region,
            path,
            NodeKind::Symlink,
            0o120777,
            None,
            Some(target),
        )
    }

    pub fn hardlink(&mut self, region: usize, path: &str, target: &str) -> &mut Self {
        self.node(
            region,
            path,
            NodeKind::Hardlink,
            0o100755,
            None,
            Some(target),
        )
    }

    pub fn device(
        &mut self,
        region: usize,
        path: &str,
        block: bool,
        major: u32,
        minor: u32,
    ) -> &mut Self {
        let kind = if block {
            NodeKind::BlockDevice
        } else {
            NodeKind::CharDevice
        };
        self.node(region, path, kind, 0o666, None, None);
        if let Some(n) = self.manifest.nodes.last_mut() {
            n.device = Some((major, minor));
        }
        self
    }

    /// Set the owner of the last node added.
    pub fn owner(&mut self, uid: u32, gid: u32) -> &mut Self {
        if let Some(n) = self.manifest.nodes.last_mut() {
            n.uid = Some(uid);
            n.gid = Some(gid);
        }
        self
    }

    /// The manifest, nodes sorted by path as the unpacker sorts them.
    pub fn build(&self) -> Manifest {
        let mut m = self.manifest.clone();
        m.nodes.sort_by(|a, b| a.path.cmp(&b.path));
        m
    }
}

/// A region holding a minimal Unix root: `etc bin sbin lib usr var dev tmp` folders.
pub fn unix_root(b: &mut ManifestBuilder, format: &str, offset: u64) -> usize {
    let r = b.region(format, Kind::Filesystem, offset, None);
    for d in ["etc", "bin", "sbin", "lib", "usr", "usr/bin", "var", "dev"] {
        b.dir(r, d, 0o755);
    }
    b.dir(r, "tmp", 0o1777);
    r
}

/// The D-Link DIR-600L boot layout, cut down: no inittab and `sbin/init` → BusyBox (whose built-in
/// table runs a login shell on the console, which reads `/etc/profile`); the profile runs
/// `telnetd.sh` by its bare name when the flash setting ENABLE_ECFLAG is 0 (lines 5-7), then
/// `boa` (line 8); `bin/telnetd.sh` starts telnetd on line 4 when `/usr/bin/login` exists.
pub fn profile_telnet_layout(b: &mut ManifestBuilder, r: usize) {
    b.file(r, "bin/busybox", 0o755, b"\x7fELF")
        .symlink(r, "sbin/init", "../bin/busybox")
        .symlink(r, "bin/sh", "busybox")
        .symlink(r, "usr/bin/telnetd", "../../bin/busybox")
        .file(r, "bin/boa", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/profile",
            0o644,
            b"ifconfig lo 127.0.0.1\n# start telnetd for ATE\nGETMIB=\"flash get\"\neval `$GETMIB ENABLE_ECFLAG`\nif [ \"$ENABLE_ECFLAG\" = '0' ]; then\n       telnetd.sh\nfi\nboa\n",
        )
        .file(
            r,
            "bin/telnetd.sh",
            0o755,
            b"#!/bin/sh\nimage_sign=`cat /etc/alpha_config/image_sign`\nif [ -f \"/usr/bin/login\" ]; then\n\ttelnetd -l \"/usr/bin/login\" -u Alphanetworks:$image_sign -i br0 &\nelse\n\ttelnetd &\nfi\n",
        );
}
