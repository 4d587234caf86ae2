//! What an unpack produced: every region found, every node extracted, every warning, with the
//! provenance chain that ties a node back to the bytes of the input. Serialised as `manifest.json`.
//! The schema is versioned by [`SCHEMA`]; it is documented in `docs/manifest.md`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::content::Content;
use crate::format::Kind;

/// Identifies this document's layout; bump on any incompatible change.
pub const SCHEMA: &str = "iotassay.unpack.manifest/1";

/// The complete record of one unpack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub input: Input,
    /// Every structure found, in the order of their source then offset. `regions[i].id == i`.
    pub regions: Vec<Region>,
    /// Every extracted node, sorted by path.
    pub nodes: Vec<Node>,
    /// Damaged or unsupported parts, each with where and why.
    pub warnings: Vec<Warning>,
    /// Set when the whole run stopped early (output budget spent, output folder failure).
    pub aborted: Option<String>,
    pub stats: Stats,
}

/// The file that was unpacked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    /// The name given (file name only, no host directories).
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// A structure recognised at an offset of some data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Region {
    pub id: usize,
    /// The region whose output contained the data this region was found in; `None` for the input.
    pub parent: Option<usize>,
    /// The file the region was found in: the input's name, or an output path.
    pub source: String,
    pub offset: u64,
    pub size: Option<u64>,
    pub format: String,
    pub kind: Kind,
    pub description: String,
    /// Output folder of this region, relative to the output root (`None` for info-only regions).
    pub output: Option<String>,
    /// How extraction went.
    pub status: RegionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionStatus {
    /// Recognised only; nothing to extract.
    Identified,
    Extracted,
    /// Extraction stopped part-way; what was extracted before is kept.
    Partial,
    /// Nothing could be extracted; see the warnings.
    Failed,
}

/// One extracted file, folder, link or special file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// Path relative to the output root, `/`-separated.
    pub path: String,
    /// The region that yielded it.
    pub region: usize,
    /// Path inside that region's structure (sanitised), e.g. `etc/shadow`.
    pub inner_path: String,
    pub kind: NodeKind,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mtime: Option<i64>,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Symlink or hard-link target exactly as stored in the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<(u32, u32)>,
    /// Content, when the unpack keeps it ([`crate::Options::keep_data`]): in memory, or mapped
    /// from the output folder. Never serialised.
    #[serde(skip)]
    pub data: Option<Content>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    File,
    /// A payload of a compressed stream or a container partition.
    Payload,
    Dir,
    Symlink,
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// A damaged or unsupported part of some data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Warning {
    /// The file the problem is in: the input's name or an output path.
    pub source: String,
    /// Absolute offset in `source`, when known.
    pub offset: Option<u64>,
    /// The format being read.
    pub format: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub other: u64,
    /// Bytes of file and payload content produced.
    pub bytes_out: u64,
    pub max_depth: u32,
    pub elapsed_ms: u64,
}

impl Manifest {
    /// The chain of regions from the input down to `region`, outermost first.
    pub fn chain(&self, region: usize) -> Vec<&Region> {
        let mut chain = Vec::new();
        let mut current = self.regions.get(region);
        let mut guard = 0;
        while let Some(r) = current {
            chain.push(r);
            guard += 1;
            if guard > self.regions.len() {
                break;
            }
            current = r.parent.and_then(|p| self.regions.get(p));
        }
        chain.reverse();
        chain
    }

    /// Provenance of a node for people: `fw.bin @0x10000 tplink → rootfs @0x0 squashfs → etc/shadow`
    /// (each region's description is in [`Manifest::regions`]).
    pub fn provenance(&self, node: &Node) -> String {
        let mut out = String::new();
        for r in self.chain(node.region) {
            if !out.is_empty() {
                out.push_str(" → ");
            }
            let source = if r.parent.is_none() {
                r.source.as_str()
            } else {
                r.source.rsplit('/').next().unwrap_or(&r.source)
            };
            out.push_str(&format!("{source} @{:#x} {}", r.offset, r.format));
        }
        out.push_str(" → ");
        out.push_str(&node.inner_path);
        out
    }

    /// Nodes by output path.
    pub fn index(&self) -> HashMap<&str, &Node> {
        self.nodes.iter().map(|n| (n.path.as_str(), n)).collect()
    }
}
