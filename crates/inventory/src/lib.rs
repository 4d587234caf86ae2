//! From an unpacked firmware image to an inventory: which root file systems it holds, which OS and
//! distribution, which accounts and how their passwords are stored, how every ELF binary is hardened,
//! and which files carry dangerous permissions — each fact with the file (and line) that shows it.
//!
//! The input is an [`iotassay_unpack::Manifest`] unpacked with `keep_data: true`; the crate reads
//! contents only from it (never from the disk) and never prints. The output, [`Inventory`], is plain
//! owned data with serde, so checks and reports downstream never need the image again.

use std::time::Instant;

use iotassay_unpack::{Manifest, NodeKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub mod accounts;
pub mod components;
pub mod defaults;
pub mod elf;
pub mod mcu;
pub mod os;
pub mod releases;
pub mod services;
pub mod special;
pub mod testing;
pub mod tree;

pub use accounts::{
    Account, AccountFile, AccountFormat, Accounts, GroupEntry, HashScheme, ParseNote, PasswdEntry,
    PasswordState, ShadowEntry,
};
pub use components::{Component, ComponentKind, Confidence};
pub use elf::{ElfClass, ElfFacts, ElfType, Endianness, Machine, Nx, ParseDepth, Relro};
pub use os::{Fact, OsInfo, OsKind};
pub use services::{Enablement, Service, Services, StartedBy};
pub use special::{SpecialFile, SpecialFiles};
pub use tree::{FileTree, ResolveError, Resolved, Root, RootFile, RootInfo};

/// Identifies the layout of [`Inventory`]; bump on incompatible change.
pub const SCHEMA: &str = "iotassay.inventory/1";

/// Where a fact was seen: enough for a person to find it again and for a report to cite it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Output path of the node in the manifest (or the source of a region, for region facts).
    pub node: String,
    /// The path people know: root-relative (`etc/shadow`) inside a root file system, else the
    /// path inside its region (or `@0x… format` for a region).
    pub path: String,
    /// 1-based line number, for text files.
    pub line: Option<usize>,
    /// Byte offset in the file, for binary files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The line or string that shows the fact.
    pub text: Option<String>,
    /// Region chain from the input (`fw.bin @0x10000 tplink → rootfs @0x0 squashfs → etc/shadow`).
    pub provenance: String,
}

/// One ELF file and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfFile {
    /// Root-relative path (or path inside its region).
    pub path: String,
    /// Output path of the node.
    pub node: String,
    pub region: usize,
    pub size: u64,
    /// Region of the root file system holding it, if any.
    pub root: Option<usize>,
    /// The facts, or why the file could not be read as ELF.
    pub facts: Result<ElfFacts, String>,
}

/// Counts and timing of one inventory run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryStats {
    pub nodes: u64,
    /// Files and payloads whose content was in memory.
    pub files_with_content: u64,
    pub elf_files: u64,
    pub elf_errors: u64,
    pub elapsed_ms: u64,
}

/// Everything the inventory found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub schema: String,
    /// Root file systems, best first.
    pub roots: Vec<RootInfo>,
    pub os: OsInfo,
    pub accounts: Accounts,
    /// Every ELF file, in manifest path order.
    pub elf: Vec<ElfFile>,
    pub special: SpecialFiles,
    /// What the image starts at boot.
    pub services: services::Services,
    /// Third-party components with versions, CPE and purl (the SBOM), by name and version.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Microcontroller images (ESP8266 / ESP32 family) with their descriptor and signature state.
    #[serde(default)]
    pub mcu: Vec<mcu::McuImage>,
    /// What limited the inventory (no content in memory, no root found…).
    pub notes: Vec<String>,
    pub stats: InventoryStats,
}

impl Inventory {
    /// The ELF file at a root-relative path of the best root (or any region path).
    pub fn elf_at(&self, path: &str) -> Option<&ElfFile> {
        let best = self.roots.first().map(|r| r.region);
        self.elf
            .iter()
            .find(|e| e.path == path && (e.root == best || best.is_none()))
            .or_else(|| self.elf.iter().find(|e| e.path == path))
    }
}

/// Build the inventory of an unpacked image. Contents come from [`iotassay_unpack::Node::data`]:
/// unpack with `keep_data: true`, or only metadata facts (roots, special files) are found.
pub fn inventory(manifest: &Manifest) -> Inventory {
    let started = Instant::now();
    let tree = FileTree::new(manifest);
    let mut notes = Vec::new();
    let files_with_content = manifest
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::File | NodeKind::Payload) && n.data.is_some())
        .count() as u64;
    let any_content = manifest
        .nodes
        .iter()
        .any(|n| matches!(n.kind, NodeKind::File | NodeKind::Payload));
    if any_content && files_with_content == 0 {
        notes.push(
            "no file content in memory: unpack with keep_data to read accounts, OS files and ELF"
                .into(),
        );
    }
    if tree.roots().is_empty()
        && !manifest
            .regions
            .iter()
            .any(|r| r.format == mcu::ESP_IMAGE || r.format == mcu::MCUBOOT)
    {
        notes.push("no root file system found (no region with etc/, bin/, lib/, usr/)".into());
    }

    let ((os, accounts), ((elf, special), services)) = rayon::join(
        || rayon::join(|| os::detect(&tree), || accounts::collect(&tree)),
        || {
            rayon::join(
                || (collect_elf(&tree), special::collect(&tree)),
                || services::collect(&tree),
            )
        },
    );
    let mcu = mcu::images(&tree);
    let components = components::collect(&tree, &os, &elf, &mcu);
    let stats = InventoryStats {
        nodes: manifest.nodes.len() as u64,
        files_with_content,
        elf_files: elf.len() as u64,
        elf_errors: elf.iter().filter(|e| e.facts.is_err()).count() as u64,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    Inventory {
        schema: SCHEMA.to_string(),
        roots: tree.roots().iter().map(|r| r.info().clone()).collect(),
        os,
        accounts,
        elf,
        special,
        services,
        components,
        mcu,
        notes,
        stats,
    }
}

/// ELF facts of every file and payload that starts with the ELF magic, in parallel.
fn collect_elf(tree: &FileTree<'_>) -> Vec<ElfFile> {
    let manifest = tree.manifest();
    let candidates: Vec<usize> = manifest
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            matches!(n.kind, NodeKind::File | NodeKind::Payload)
                && n.data.as_deref().is_some_and(elf::is_elf)
        })
        .map(|(i, _)| i)
        .collect();
    candidates
        .par_iter()
        .map(|&i| {
            let node = &manifest.nodes[i];
            let data = node.data.as_deref().unwrap_or(&[]);
            let name = node.inner_path.rsplit('/').next().unwrap_or("");
            ElfFile {
                path: tree.display_path(i).to_string(),
                node: node.path.clone(),
                region: node.region,
                size: node.size,
                root: tree.locate(i).map(|(r, _)| r.region()),
                facts: elf::analyse(data, name),
            }
        })
        .collect()
}

/// Fuzz entry point: arbitrary bytes as passwd, shadow and group files. Must never panic.
pub fn fuzz_accounts(data: &[u8]) {
    let _ = accounts::parse_passwd(data, "fuzz");
    let _ = accounts::parse_shadow(data, "fuzz");
    let _ = accounts::parse_group(data, "fuzz");
    if let Ok(text) = std::str::from_utf8(data) {
        for field in text.split(':').take(64) {
            let _ = PasswordState::classify(field, true);
            let _ = PasswordState::classify(field, false);
        }
        let _ = os::parse_shell_vars(text);
        let _ = os::first_version(text);
        let _ = components::parse_stanzas(text);
        let _ = components::upstream_version(text);
    }
    let _ = components::scan_banners(data);
    let _ = os::kernel_banners(data);
    let _ = os::busybox_version(data);
}

/// Fuzz entry point: arbitrary bytes as an ELF file (magic forced so the parser is reached).
/// Must never panic.
pub fn fuzz_elf(data: &[u8]) {
    let _ = elf::analyse(data, "fuzz.ko");
    if data.len() >= 4 {
        let mut forced = data.to_vec();
        forced[..4].copy_from_slice(b"\x7fELF");
        let _ = elf::analyse(&forced, "fuzz");
    }
}
