//! Files whose metadata matters for security: setuid/setgid programs, world-writable files and
//! folders, device nodes, and system files owned by someone other than root.
//!
//! Modes and owners come from the image's metadata as recorded in the manifest (the host could not
//! apply them), so these facts hold even when unpacking ran as an ordinary user.

use iotassay_unpack::{Kind, NodeKind};
use serde::{Deserialize, Serialize};

use crate::tree::FileTree;

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const S_IWOTH: u32 = 0o002;

/// Folders whose content only root should own or change.
const SYSTEM_DIRS: [&str; 7] = ["bin", "sbin", "lib", "usr", "etc", "lib64", "boot"];

/// A file system entry with its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialFile {
    /// Root-relative path inside a root file system, else the path inside its region.
    pub path: String,
    /// Output path of the node.
    pub node: String,
    pub region: usize,
    pub kind: NodeKind,
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Major and minor numbers of a device node.
    pub device: Option<(u32, u32)>,
}

/// Every special file of the file systems and archives in the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialFiles {
    pub setuid: Vec<SpecialFile>,
    pub setgid: Vec<SpecialFile>,
    /// World-writable files and folders. Symlinks are excluded (their mode means nothing), and so
    /// are device nodes (`/dev/null` and `/dev/tty` are 0666 by design; judge them in
    /// [`SpecialFiles::devices`], where the mode is kept). Sticky folders (like `/tmp`) are in
    /// [`SpecialFiles::world_writable_sticky`] instead.
    pub world_writable: Vec<SpecialFile>,
    /// World-writable folders with the sticky bit: people can only remove their own files there.
    pub world_writable_sticky: Vec<SpecialFile>,
    pub devices: Vec<SpecialFile>,
    /// Files and folders under system folders (`bin`, `sbin`, `lib`, `usr`, `etc`…) owned by a
    /// user other than root.
    pub non_root_system: Vec<SpecialFile>,
    /// Nodes without a recorded mode (the format keeps none): nothing above can be said of them.
    pub without_mode: u64,
}

/// Collect special files from every file system and archive region.
pub fn collect(tree: &FileTree<'_>) -> SpecialFiles {
    let manifest = tree.manifest();
    let mut out = SpecialFiles::default();
    for (index, node) in manifest.nodes.iter().enumerate() {
        let in_tree = manifest
            .regions
            .get(node.region)
            .is_some_and(|r| matches!(r.kind, Kind::Filesystem | Kind::Archive));
        if !in_tree || node.kind == NodeKind::Payload {
            continue;
        }
        let Some(mode) = node.mode else {
            out.without_mode += 1;
            continue;
        };
        let path = tree.display_path(index);
        let entry = || SpecialFile {
            path: path.to_string(),
            node: node.path.clone(),
            region: node.region,
            kind: node.kind,
            mode: mode & 0o7777,
            uid: node.uid,
            gid: node.gid,
            device: node.device,
        };
        let regular = matches!(node.kind, NodeKind::File | NodeKind::Hardlink);
        if regular && mode & S_ISUID != 0 {
            out.setuid.push(entry());
        }
        // setgid on a folder only makes new files inherit its group: not a privilege.
        if regular && mode & S_ISGID != 0 {
            out.setgid.push(entry());
        }
        let device = matches!(node.kind, NodeKind::CharDevice | NodeKind::BlockDevice);
        if node.kind != NodeKind::Symlink && !device && mode & S_IWOTH != 0 {
            if node.kind == NodeKind::Dir && mode & S_ISVTX != 0 {
                out.world_writable_sticky.push(entry());
            } else {
                out.world_writable.push(entry());
            }
        }
        if device {
            out.devices.push(entry());
        }
        let top = path.split('/').next().unwrap_or("");
        let system = SYSTEM_DIRS.contains(&top) && tree.locate(index).is_some();
        if system && node.kind != NodeKind::Symlink && node.uid.is_some_and(|u| u != 0) {
            out.non_root_system.push(entry());
        }
    }
    out
}
