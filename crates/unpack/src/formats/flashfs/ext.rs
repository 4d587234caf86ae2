//! ext2/ext3/ext4: the superblock at byte 1024 (magic 0xEF53 at 0x438). It has no checksum before
//! ext4's `metadata_csum`, so identification cross-checks the geometry instead: block size, blocks
//! and inodes per group, the inode count against the group count, the first data block, and the
//! free counts against the totals.
//!
//! Extraction reads the tree from inode 2: group descriptors (32- and 64-bit, `meta_bg`), inodes,
//! extent trees (depth-bounded) and classic block maps (direct to triple indirect), linear and
//! htree directories (an htree's leaves are ordinary directory blocks, its index blocks look like
//! empty entries), inline data, fast symlinks and device numbers; hard links by inode number.
//! The journal is not replayed and checksums are not verified. Own code rather than `ext4-view`:
//! that crate needs an owned `'static` copy of the image and exposes neither inode numbers (hard
//! links) nor device numbers.

use std::collections::{HashMap, HashSet};

use crate::bytes::{c_string, le_u16, le_u32, slice};
use crate::format::{Body, ChunkSource, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

const SB: usize = 1024;
const COMPAT_HAS_JOURNAL: u32 = 0x4;
const INCOMPAT_EXTENTS: u32 = 0x40;
const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_FLEX_BG: u32 = 0x200;

/// ext2/3/4 (read-only).
pub struct Ext;

impl Format for Ext {
    fn name(&self) -> &'static str {
        "ext"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at(0x438, &[0x53, 0xef])];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let fs = Fs::new(data).ok_or_else(|| Error::malformed(SB as u64, "bad superblock"))?;
        Walker {
            fs: &fs,
            out,
            first_path: HashMap::new(),
            entered: HashSet::new(),
            warnings: 0,
        }
        .run()
    }
}

fn identify(data: &[u8]) -> Option<Identified> {
    let sb = slice(data, SB, 1024)?;
    let u32_at = |at: usize| le_u32(sb, at);
    if le_u16(sb, 0x38)? != 0xef53 {
        return None;
    }
    let inodes = u64::from(u32_at(0)?);
    let log_block = u32_at(0x18)?;
    if log_block > 6 {
        return None;
    }
    let block_size = 1024u64 << log_block;
    let incompat = u32_at(0x60)?;
    let mut blocks = u64::from(u32_at(0x4)?);
    if incompat & INCOMPAT_64BIT != 0 {
        blocks |= u64::from(u32_at(0x150)?) << 32;
    }
    let free_blocks = u64::from(u32_at(0xc)?);
    let free_inodes = u64::from(u32_at(0x10)?);
    let first_data_block = u64::from(u32_at(0x14)?);
    let blocks_per_group = u64::from(u32_at(0x20)?);
    let inodes_per_group = u64::from(u32_at(0x28)?);
    let state = le_u16(sb, 0x3a)?;
    let errors = le_u16(sb, 0x3c)?;
    let rev = u32_at(0x4c)?;
    let sane = blocks > first_data_block
        && inodes > 0
        && first_data_block == u64::from(block_size == 1024)
        && blocks_per_group > 0
        && blocks_per_group <= 8 * block_size
        && inodes_per_group > 0
        && inodes_per_group <= 8 * block_size
        && free_blocks <= blocks
        && free_inodes <= inodes
        && (1..=7).contains(&state)
        // 0 is "unset": genext2fs (Buildroot's ext2 writer) leaves it so, the kernel defaults it.
        && errors <= 3
        && rev <= 1;
    if !sane {
        return None;
    }
    let groups = (blocks - first_data_block).div_ceil(blocks_per_group);
    if groups.checked_mul(inodes_per_group)? != inodes {
        return None;
    }
    let size = blocks.checked_mul(block_size)?;
    let compat = u32_at(0x5c)?;
    let flavour = if incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG) != 0 {
        "ext4"
    } else if compat & COMPAT_HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    };
    let uuid: String = sb[0x68..0x78].iter().map(|b| format!("{b:02x}")).collect();
    let mut description = format!(
        "{flavour}, {blocks} blocks of {block_size} bytes, {inodes} inodes ({} free), volume \"{}\", UUID {uuid}",
        free_inodes,
        c_string(&sb[0x78..0x88]).escape_default(),
    );
    let last_mounted = c_string(&sb[0x88..0xc8]);
    if !last_mounted.is_empty() {
        description.push_str(&format!(
            ", last mounted on \"{}\"",
            last_mounted.escape_default()
        ));
    }
    if let Some(mtime) = u32_at(0x2c).filter(|&t| t != 0) {
        description.push_str(&format!(
            ", mounted {}",
            crate::formats::container::utc(i64::from(mtime))
        ));
    }
    if size > data.len() as u64 {
        description.push_str(&format!(", truncated to {} bytes", data.len()));
    }
    Some(Identified::new(
        Some(size.min(data.len() as u64)),
        description,
    ))
}

const INCOMPAT_META_BG: u32 = 0x10;
const INCOMPAT_INLINE_DATA: u32 = 0x8000;
const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
const ROOT_INO: u32 = 2;
const EXTENTS_FL: u32 = 0x8_0000;
const INLINE_DATA_FL: u32 = 0x1000_0000;
const EXTENT_MAGIC: u16 = 0xf30a;
/// ext4 allows 5 levels; anything deeper is damage.
const MAX_EXTENT_DEPTH: u16 = 5;
/// Extent tree nodes read per file, so a hostile tree cannot fan out without end.
const MAX_EXTENT_NODES: usize = 1 << 16;
const MAX_PATH_DEPTH: usize = 256;
/// Pieces (runs of blocks) a file's map may have.
const MAX_RUNS: u64 = 1 << 22;
/// A directory larger than this (about a million entries) is damage.
const MAX_DIR_BYTES: u64 = 64 << 20;
/// Bytes per chunk of a streamed file.
const CHUNK: u64 = 1 << 20;

/// The parsed superblock: what is needed to find inodes and blocks.
struct Fs<'a> {
    data: &'a [u8],
    block_size: u64,
    blocks: u64,
    first_data_block: u64,
    blocks_per_group: u64,
    inodes_per_group: u64,
    inodes: u64,
    inode_size: u64,
    desc_size: u64,
    groups: u64,
    incompat: u32,
    ro_compat: u32,
    first_meta_bg: u64,
}

impl<'a> Fs<'a> {
    fn new(data: &'a [u8]) -> Option<Self> {
        identify(data)?;
        let sb = slice(data, SB, 1024)?;
        let u32_at = |at: usize| le_u32(sb, at).map(u64::from);
        let incompat = le_u32(sb, 0x60)?;
        let block_size = 1024u64 << u32_at(0x18)?;
        let mut blocks = u32_at(0x4)?;
        let mut desc_size = 32;
        if incompat & INCOMPAT_64BIT != 0 {
            blocks |= u32_at(0x150)? << 32;
            desc_size = u64::from(le_u16(sb, 0xfe)?);
            if !(32..=1024).contains(&desc_size) || !desc_size.is_power_of_two() {
                return None;
            }
        }
        let rev = u32_at(0x4c)?;
        let inode_size = if rev == 0 {
            128
        } else {
            u64::from(le_u16(sb, 0x58)?)
        };
        if !(128..=block_size).contains(&inode_size) || !inode_size.is_power_of_two() {
            return None;
        }
        let first_data_block = u32_at(0x14)?;
        let blocks_per_group = u32_at(0x20)?;
        Some(Fs {
            data,
            block_size,
            blocks,
            first_data_block,
            blocks_per_group,
            inodes_per_group: u32_at(0x28)?,
            inodes: u32_at(0)?,
            inode_size,
            desc_size,
            groups: (blocks - first_data_block).div_ceil(blocks_per_group),
            incompat,
            ro_compat: le_u32(sb, 0x64)?,
            first_meta_bg: u32_at(0x104)?,
        })
    }

    /// Block `n`, or `None` when it lies outside the file system or the data.
    fn block(&self, n: u64) -> Option<&'a [u8]> {
        if n >= self.blocks {
            return None;
        }
        let at = usize::try_from(n.checked_mul(self.block_size)?).ok()?;
        slice(self.data, at, self.block_size as usize)
    }

    fn has_super(&self, group: u64) -> bool {
        if self.ro_compat & RO_COMPAT_SPARSE_SUPER == 0 || group <= 1 {
            return true;
        }
        [3u64, 5, 7].iter().any(|&base| {
            let mut p = base;
            while p < group {
                match p.checked_mul(base) {
                    Some(next) => p = next,
                    None => return false,
                }
            }
            p == group
        })
    }

    /// The descriptor of `group`, found where `meta_bg` or the classic layout puts it.
    fn descriptor(&self, group: u64) -> Option<&'a [u8]> {
        let per_block = self.block_size / self.desc_size;
        let meta_group = group / per_block;
        let block = if self.incompat & INCOMPAT_META_BG != 0 && meta_group >= self.first_meta_bg {
            let first = meta_group.checked_mul(per_block)?;
            first
                .checked_mul(self.blocks_per_group)?
                .checked_add(self.first_data_block + u64::from(self.has_super(first)))?
        } else {
            self.first_data_block + 1 + meta_group
        };
        let at = ((group % per_block) * self.desc_size) as usize;
        slice(self.block(block)?, at, self.desc_size as usize)
    }

    /// The raw inode `ino` (full `inode_size` bytes).
    fn inode(&self, ino: u32) -> Option<&'a [u8]> {
        let ino = u64::from(ino);
        if ino == 0 || ino > self.inodes {
            return None;
        }
        let group = (ino - 1) / self.inodes_per_group;
        if group >= self.groups {
            return None;
        }
        let desc = self.descriptor(group)?;
        let mut table = u64::from(le_u32(desc, 8)?);
        if self.desc_size >= 64 {
            table |= u64::from(le_u32(desc, 0x28)?) << 32;
        }
        let at = table
            .checked_mul(self.block_size)?
            .checked_add(((ino - 1) % self.inodes_per_group) * self.inode_size)?;
        slice(
            self.data,
            usize::try_from(at).ok()?,
            self.inode_size as usize,
        )
    }
}

/// One inode's fields.
struct Inode<'a> {
    raw: &'a [u8],
    mode: u32,
    size: u64,
    flags: u32,
    links: u16,
    meta: Meta,
}

impl<'a> Inode<'a> {
    fn parse(raw: &'a [u8]) -> Option<Self> {
        let u16_at = |at| le_u16(raw, at).map(u32::from);
        let mode = u16_at(0)?;
        let uid = u16_at(2)? | u16_at(0x78)? << 16;
        let gid = u16_at(0x18)? | u16_at(0x7a)? << 16;
        Some(Inode {
            raw,
            mode,
            size: u64::from(le_u32(raw, 4)?) | u64::from(le_u32(raw, 0x6c)?) << 32,
            flags: le_u32(raw, 0x20)?,
            links: le_u16(raw, 0x1a)?,
            meta: Meta::new(mode, uid, gid, i64::from(le_u32(raw, 0x10)?)),
        })
    }

    fn file_type(&self) -> u32 {
        self.mode & 0o170000
    }

    /// The 60 bytes of `i_block`.
    fn i_block(&self) -> &'a [u8] {
        &self.raw[0x28..0x28 + 60]
    }

    /// Inline data: the first 60 bytes in `i_block`, the rest in the in-inode `system.data`
    /// extended attribute.
    fn inline_data(&self) -> Vec<u8> {
        let mut out = self.i_block().to_vec();
        if let Some(extra) = self.system_data() {
            out.extend_from_slice(extra);
        }
        out
    }

    fn system_data(&self) -> Option<&'a [u8]> {
        let extra = usize::from(le_u16(self.raw, 0x80)?);
        let start = 128usize.checked_add(extra)?;
        if le_u32(self.raw, start)? != 0xea02_0000 {
            return None;
        }
        let base = start + 4;
        let mut at = base;
        // Each entry is at least 16 bytes, so this ends within the inode.
        while let Some(head) = slice(self.raw, at, 16) {
            let name_len = usize::from(head[0]);
            if name_len == 0 && le_u32(head, 0) == Some(0) {
                break;
            }
            let name = slice(self.raw, at + 16, name_len)?;
            if head[1] == 7 && name == b"data" {
                let offs = usize::from(le_u16(head, 2)?);
                let len = le_u32(head, 8)? as usize;
                return slice(self.raw, base.checked_add(offs)?, len);
            }
            at += (16 + name_len).div_ceil(4) * 4;
        }
        None
    }
}

/// A run of a file: `len` blocks from logical block `logical` at physical block `physical`
/// (`None`: a hole or an unwritten extent, read as zeros).
#[derive(Clone, Copy)]
struct Run {
    logical: u64,
    physical: Option<u64>,
    len: u64,
}

/// Where the blocks of a file are.
struct Mapper<'f, 'a> {
    fs: &'f Fs<'a>,
    runs: Vec<Run>,
    /// Logical blocks the file size covers; nothing past it is mapped.
    needed: u64,
    nodes: usize,
    problem: Option<String>,
}

impl Mapper<'_, '_> {
    fn push(&mut self, logical: u64, physical: Option<u64>, len: u64) {
        if logical >= self.needed || len == 0 {
            return;
        }
        // A file cannot have more pieces than the file system has blocks.
        if self.runs.len() as u64 >= self.fs.blocks.min(MAX_RUNS) {
            return self.fail("more pieces than the file system has blocks".into());
        }
        let len = len.min(self.needed - logical);
        if let (Some(last), Some(p)) = (self.runs.last_mut(), physical) {
            if last.logical + last.len == logical && last.physical.map(|q| q + last.len) == Some(p)
            {
                last.len += len;
                return;
            }
        }
        self.runs.push(Run {
            logical,
            physical,
            len,
        });
    }

    fn fail(&mut self, reason: String) {
        self.problem.get_or_insert(reason);
    }

    /// One node of an extent tree (the root lives in `i_block`).
    fn extents(&mut self, node: &[u8], depth_left: u16) {
        self.nodes += 1;
        if self.nodes > MAX_EXTENT_NODES {
            return self.fail("extent tree too large".into());
        }
        let (Some(EXTENT_MAGIC), Some(entries), Some(depth)) =
            (le_u16(node, 0), le_u16(node, 2), le_u16(node, 6))
        else {
            return self.fail("bad extent header".into());
        };
        if depth > depth_left {
            return self.fail("extent tree too deep".into());
        }
        for i in 0..usize::from(entries) {
            if self.problem.is_some() {
                return;
            }
            let Some(e) = slice(node, 12 + i * 12, 12) else {
                return self.fail("extent node shorter than its entry count".into());
            };
            let logical = u64::from(le_u32(e, 0).unwrap_or(0));
            if depth == 0 {
                let raw_len = u64::from(le_u16(e, 4).unwrap_or(0));
                let start = u64::from(le_u16(e, 6).unwrap_or(0)) << 32
                    | u64::from(le_u32(e, 8).unwrap_or(0));
                // Lengths above 32768 mark an unwritten (preallocated) extent, read as zeros.
                let (len, physical) = if raw_len > 32768 {
                    (raw_len - 32768, None)
                } else {
                    (raw_len, Some(start))
                };
                self.push(logical, physical, len);
            } else {
                if logical >= self.needed {
                    continue;
                }
                let leaf = u64::from(le_u16(e, 8).unwrap_or(0)) << 32
                    | u64::from(le_u32(e, 4).unwrap_or(0));
                match self.fs.block(leaf) {
                    Some(child) => self.extents(child, depth - 1),
                    None => self.fail(format!("extent index points outside the image ({leaf})")),
                }
            }
        }
    }

    /// The classic map: 12 direct pointers, then single, double and triple indirect blocks.
    fn block_map(&mut self, i_block: &[u8]) {
        let per_block = self.fs.block_size / 4;
        let mut logical = 0u64;
        for i in 0..15 {
            let pointer = u64::from(le_u32(i_block, i * 4).unwrap_or(0));
            let level = i.saturating_sub(11) as u32;
            let span = per_block.saturating_pow(level);
            if logical >= self.needed {
                return;
            }
            self.indirect(pointer, level, logical);
            logical = logical.saturating_add(span);
        }
    }

    fn indirect(&mut self, pointer: u64, level: u32, logical: u64) {
        if logical >= self.needed {
            return;
        }
        if pointer == 0 {
            return; // a hole
        }
        if level == 0 {
            return self.push(logical, Some(pointer), 1);
        }
        let Some(block) = self.fs.block(pointer) else {
            return self.fail(format!("indirect block {pointer} outside the image"));
        };
        let span = (self.fs.block_size / 4).pow(level - 1);
        for (i, p) in block.chunks_exact(4).enumerate() {
            if self.problem.is_some() {
                return;
            }
            let child = u64::from(u32::from_le_bytes([p[0], p[1], p[2], p[3]]));
            self.indirect(child, level - 1, logical + i as u64 * span);
        }
    }
}

/// A regular file's bytes by chunks; holes and unreadable blocks read as zeros.
struct FileData<'f, 'a> {
    fs: &'f Fs<'a>,
    runs: Vec<Run>,
    size: u64,
}

impl ChunkSource for FileData<'_, '_> {
    fn chunk(&self, index: usize) -> Option<Result<Vec<u8>, Error>> {
        let start = (index as u64).checked_mul(CHUNK)?;
        if start >= self.size {
            return None;
        }
        let end = (start + CHUNK).min(self.size);
        let bs = self.fs.block_size;
        let mut out = vec![0u8; (end - start) as usize];
        // Runs are in logical order; only those overlapping [start, end) matter.
        let first = self
            .runs
            .partition_point(|r| (r.logical + r.len).saturating_mul(bs) <= start);
        for run in &self.runs[first..] {
            let run_start = run.logical.saturating_mul(bs);
            if run_start >= end {
                break;
            }
            let Some(physical) = run.physical else {
                continue;
            };
            let from = run_start.max(start);
            let to = (run_start.saturating_add(run.len.saturating_mul(bs))).min(end);
            if to <= from {
                continue; // overlapping runs of a damaged map
            }
            let src = physical
                .checked_mul(bs)
                .and_then(|p| p.checked_add(from - run_start));
            let Some(src) = src.and_then(|s| usize::try_from(s).ok()) else {
                continue;
            };
            let want = (to - from) as usize;
            let avail = self.fs.data.len().saturating_sub(src).min(want);
            if avail > 0 {
                let dst = (from - start) as usize;
                out[dst..dst + avail].copy_from_slice(&self.fs.data[src..src + avail]);
            }
        }
        Some(Ok(out))
    }
}

struct Walker<'f, 'a> {
    fs: &'f Fs<'a>,
    out: &'f dyn Emit,
    first_path: HashMap<u32, Vec<u8>>,
    entered: HashSet<u32>,
    warnings: usize,
}

impl<'a> Walker<'_, 'a> {
    fn warn(&mut self, path: &[u8], reason: impl std::fmt::Display) {
        self.warnings += 1;
        if self.warnings <= 64 {
            self.out
                .warn(0, format!("{}: {reason}", String::from_utf8_lossy(path)));
        }
    }

    fn inode(&mut self, ino: u32, path: &[u8]) -> Option<Inode<'a>> {
        let inode = self.fs.inode(ino).and_then(Inode::parse);
        if inode.is_none() {
            self.warn(path, format!("inode {ino} cannot be read"));
        }
        inode
    }

    /// The runs of a file's data, limited to `size` bytes.
    fn runs(&mut self, inode: &Inode, size: u64, path: &[u8]) -> Vec<Run> {
        let mut mapper = Mapper {
            fs: self.fs,
            runs: Vec::new(),
            needed: size.div_ceil(self.fs.block_size),
            nodes: 0,
            problem: None,
        };
        if inode.flags & EXTENTS_FL != 0 {
            mapper.extents(inode.i_block(), MAX_EXTENT_DEPTH);
        } else {
            mapper.block_map(inode.i_block());
        }
        if let Some(problem) = mapper.problem.take() {
            self.warn(path, problem);
        }
        let mut runs = mapper.runs;
        runs.sort_by_key(|r| r.logical);
        runs
    }

    /// The whole content of a small object (directory, symlink), at most `limit` bytes.
    fn content(&mut self, inode: &Inode, path: &[u8], limit: u64) -> Result<Vec<u8>, Error> {
        if inode.flags & INLINE_DATA_FL != 0 && self.fs.incompat & INCOMPAT_INLINE_DATA != 0 {
            let mut data = inode.inline_data();
            data.truncate(inode.size as usize);
            return Ok(data);
        }
        if inode.size > self.out.budget().min(limit) {
            return Err(Error::malformed(
                0,
                format!("declares {} bytes, more than {limit}", inode.size),
            ));
        }
        let runs = self.runs(inode, inode.size, path);
        let file = FileData {
            fs: self.fs,
            runs,
            size: inode.size,
        };
        let mut data = Vec::new();
        let mut i = 0;
        while let Some(chunk) = file.chunk(i) {
            data.extend_from_slice(&chunk?);
            i += 1;
        }
        Ok(data)
    }

    fn run(mut self) -> Result<(), Error> {
        let root = self
            .inode(ROOT_INO, b"/")
            .filter(|i| i.file_type() == 0o040000)
            .ok_or_else(|| Error::malformed(SB as u64, "the root directory inode is unreadable"))?;
        let mut stack = vec![(ROOT_INO, root, Vec::new(), 0usize)];
        while let Some((ino, dir, prefix, depth)) = stack.pop() {
            if !self.entered.insert(ino) {
                self.warn(&prefix, "directory reached twice (a cycle)");
                continue;
            }
            let content = match self.content(&dir, &prefix, MAX_DIR_BYTES) {
                Ok(c) => c,
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    self.warn(&prefix, e);
                    continue;
                }
            };
            // Inline directories start with the parent's inode number instead of "." and "..".
            let inline = dir.flags & INLINE_DATA_FL != 0;
            let entries = parse_dir(
                if inline {
                    &content[4.min(content.len())..]
                } else {
                    &content
                },
                self.fs.block_size,
            );
            let mut subdirs = Vec::new();
            for (child, name) in entries {
                if name == b"." || name == b".." {
                    continue;
                }
                if name.contains(&b'/') || name.contains(&0) {
                    self.warn(
                        &prefix,
                        format!("invalid entry name {:?}", String::from_utf8_lossy(&name)),
                    );
                    continue;
                }
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&name);
                let Some(inode) = self.inode(child, &path) else {
                    continue;
                };
                if inode.file_type() == 0o040000 {
                    if depth >= MAX_PATH_DEPTH {
                        self.warn(&path, "directories nested too deep");
                        continue;
                    }
                    self.out.entry(Entry {
                        path: &path,
                        meta: inode.meta,
                        body: Body::Dir,
                    })?;
                    subdirs.push((child, inode, path, depth + 1));
                    continue;
                }
                if let Some(first) = self.first_path.get(&child) {
                    self.out.entry(Entry {
                        path: &path,
                        meta: inode.meta,
                        body: Body::Hardlink(first),
                    })?;
                    continue;
                }
                if inode.links > 1 {
                    self.first_path.insert(child, path.clone());
                }
                self.emit(&inode, &path)?;
            }
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }

    fn emit(&mut self, inode: &Inode, path: &[u8]) -> Result<(), Error> {
        let entry = |body| Entry {
            path,
            meta: inode.meta,
            body,
        };
        let (major, minor) = device(inode.i_block());
        match inode.file_type() {
            0o120000 => {
                // A fast symlink keeps its target in i_block (and owns no data blocks).
                let blocks = le_u32(inode.raw, 0x1c).unwrap_or(0);
                let acl = le_u32(inode.raw, 0x68).unwrap_or(0);
                let acl_sectors = if acl != 0 {
                    (self.fs.block_size / 512) as u32
                } else {
                    0
                };
                let target = if inode.size < 60
                    && inode.flags & INLINE_DATA_FL == 0
                    && blocks == acl_sectors
                {
                    inode.i_block()[..inode.size as usize].to_vec()
                } else {
                    match self.content(inode, path, 4096) {
                        Ok(t) => t,
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(e) => {
                            self.warn(path, e);
                            return Ok(());
                        }
                    }
                };
                self.out.entry(entry(Body::Symlink(&target)))
            }
            0o020000 => self.out.entry(entry(Body::CharDevice { major, minor })),
            0o060000 => self.out.entry(entry(Body::BlockDevice { major, minor })),
            0o010000 => self.out.entry(entry(Body::Fifo)),
            0o140000 => self.out.entry(entry(Body::Socket)),
            0o100000 => {
                if inode.flags & INLINE_DATA_FL != 0 {
                    let mut data = inode.inline_data();
                    data.truncate(inode.size as usize);
                    return self.out.entry(entry(Body::File(&data)));
                }
                // A damaged size must not end the whole extraction; the engine still charges
                // every byte written against the budget.
                if inode.size > self.out.budget() {
                    self.warn(
                        path,
                        format!(
                            "declares {} bytes, beyond the remaining budget: skipped",
                            inode.size
                        ),
                    );
                    return Ok(());
                }
                let runs = self.runs(inode, inode.size, path);
                let file = FileData {
                    fs: self.fs,
                    runs,
                    size: inode.size,
                };
                if inode.size > CHUNK {
                    return self.out.entry(entry(Body::Stream {
                        size: inode.size,
                        chunks: &file,
                    }));
                }
                let data = match file.chunk(0) {
                    Some(chunk) => chunk?,
                    None => Vec::new(),
                };
                self.out.entry(entry(Body::File(&data)))
            }
            other => {
                self.warn(path, format!("unknown file type {other:#o}"));
                Ok(())
            }
        }
    }
}

/// Entries of linear directory blocks (inode, name); entries with inode 0 (deleted, htree index
/// blocks, checksum tails) are skipped. A damaged block is skipped to the next.
fn parse_dir(content: &[u8], block_size: u64) -> Vec<(u32, Vec<u8>)> {
    let mut entries = Vec::new();
    for block in content.chunks(block_size as usize) {
        let mut at = 0usize;
        while let (Some(ino), Some(rec_len), Some(&name_len)) =
            (le_u32(block, at), le_u16(block, at + 4), block.get(at + 6))
        {
            let rec_len = usize::from(rec_len);
            if rec_len < 8 || at + rec_len > block.len() {
                break;
            }
            if ino != 0 {
                if let Some(name) = slice(block, at + 8, usize::from(name_len)) {
                    if !name.is_empty() && 8 + name.len() <= rec_len {
                        entries.push((ino, name.to_vec()));
                    }
                }
            }
            at += rec_len;
        }
    }
    entries
}

/// Device numbers: the old 16-bit encoding in `i_block[0]`, else the new one in `i_block[1]`.
fn device(i_block: &[u8]) -> (u32, u32) {
    let old = le_u32(i_block, 0).unwrap_or(0);
    if old != 0 {
        return ((old >> 8) & 0xff, old & 0xff);
    }
    let dev = le_u32(i_block, 4).unwrap_or(0);
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile_extract, noise, only};
    use crate::testing::{Collected, CollectedKind, Collector};
    use iotassay_testkit::corpus_bytes;
    use std::collections::BTreeMap;
    use std::io::Read;

    fn unxz(file: &str) -> Vec<u8> {
        let mut out = Vec::new();
        liblzma::read::XzDecoder::new(&corpus_bytes(file)[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn fixtures_ext2_3_4() {
        for (file, flavour) in [
            ("formats/sevenz__ext2.img.xz", "ext2"),
            ("formats/sevenz__ext3.img.xz", "ext3"),
            ("formats/sevenz__ext4.img.xz", "ext4"),
        ] {
            let data = unxz(file);
            let id = Ext.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(id.size, Some(data.len() as u64), "{}", id.description);
            assert!(
                id.description.starts_with(&format!("{flavour}, ")),
                "{}",
                id.description
            );
            only(&Ext, &data);
            let (c, r) = Collector::run(&Ext, &data, 64 << 20).unwrap();
            assert_eq!(r, Ok(()), "{file}");
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{file}: {:?}",
                c.warnings.lock().unwrap()
            );
            let e = by_path(c);
            let names: Vec<_> = e.keys().cloned().collect();
            assert_eq!(
                names,
                [
                    "get_files_test",
                    "get_files_test/generic folder",
                    "get_files_test/generic folder/test file 3_.txt",
                    "get_files_test/testfile1",
                    "get_files_test/testfile2",
                    "lost+found"
                ],
                "{file}"
            );
            assert_eq!(
                e["get_files_test/testfile1"].kind,
                CollectedKind::File(TESTFILE1.to_vec())
            );
            assert_eq!(
                e["get_files_test/testfile2"].kind,
                CollectedKind::File(TESTFILE2.to_vec())
            );
            assert_eq!(
                e["get_files_test/generic folder/test file 3_.txt"].kind,
                CollectedKind::File(TESTFILE3.to_vec())
            );
            let m = e["get_files_test/testfile1"].meta;
            assert_eq!(
                (m.mode, m.uid, m.gid),
                (Some(0o644), Some(1000), Some(1000)),
                "{file}"
            );
            assert_eq!(e["lost+found"].meta.mode, Some(0o700), "{file}");
        }
    }

    const TESTFILE1: &[u8] = b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n";
    const TESTFILE2: &[u8] = b"This is the second test file";
    const TESTFILE3: &[u8] = b"The third test file!";

    fn by_path(c: Collector) -> BTreeMap<String, Collected> {
        c.into_entries()
            .into_iter()
            .map(|e| (e.path.clone(), e))
            .collect()
    }

    fn run_tool(program: &str, args: &[&std::ffi::OsStr]) {
        let found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .any(|d| std::path::Path::new(d).join(program).is_file());
        let package = if program == "genext2fs" {
            "genext2fs"
        } else {
            "e2fsprogs"
        };
        assert!(found, "{program} not found: install {package}");
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A tree made with `mke2fs -d` (ext2 with 1 KiB blocks: indirect maps; ext4 with extents,
    /// 64-bit descriptors, inline data, htree), owners and devices set with `debugfs`, read back.
    #[test]
    fn round_trip_through_e2fsprogs() {
        use std::ffi::OsStr;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/init.d")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("many")).unwrap();
        std::fs::write(root.join("etc/passwd"), b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
        // Past the 12 direct blocks and the single indirect block at 1 KiB, and streamed.
        let mut big = noise(3_000_000, 5);
        big[1_000_000..2_000_000].fill(0);
        std::fs::write(root.join("bin/busybox"), &big).unwrap();
        std::fs::set_permissions(
            root.join("bin/busybox"),
            std::fs::Permissions::from_mode(0o4755),
        )
        .unwrap();
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        let long_target = "/".to_string() + &"x".repeat(100);
        std::os::unix::fs::symlink(&long_target, root.join("bin/long")).unwrap();
        std::fs::hard_link(root.join("bin/busybox"), root.join("bin/ls")).unwrap();
        std::fs::write(root.join("etc/init.d/rcS"), b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            root.join("etc/init.d/rcS"),
            std::fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        // Enough entries for an htree directory.
        for i in 0..300 {
            std::fs::write(
                root.join(format!("many/file-with-a-long-name-{i:04}")),
                format!("{i}"),
            )
            .unwrap();
        }
        let cmds = dir.path().join("cmds");
        std::fs::write(
            &cmds,
            "set_inode_field /etc/passwd uid 12\nset_inode_field /etc/passwd gid 34\n\
             set_inode_field /etc/passwd mode 0100600\nmkdir /dev\ncd /dev\nmknod console c 5 1\n\
             set_inode_field console mode 020620\nmknod mtdblock0 b 31 0\nmknod big c 260 300\n",
        )
        .unwrap();
        for (name, args) in [
            ("ext2", &["-t", "ext2", "-b", "1024"][..]),
            (
                "ext4",
                &[
                    "-t",
                    "ext4",
                    "-O",
                    "64bit,inline_data,metadata_csum",
                    "-b",
                    "4096",
                ][..],
            ),
            // Descriptors spread over meta block groups (many small groups at 1 KiB blocks).
            (
                "ext4-meta_bg",
                &[
                    "-t",
                    "ext4",
                    "-O",
                    "meta_bg,^resize_inode",
                    "-b",
                    "1024",
                    "-g",
                    "256",
                    "-N",
                    "512",
                ][..],
            ),
        ] {
            let image = dir.path().join(format!("{name}.img"));
            let _ = std::fs::remove_file(&image);
            let mut full: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
            full.extend([
                OsStr::new("-q"),
                OsStr::new("-d"),
                root.as_os_str(),
                image.as_os_str(),
                OsStr::new("16M"),
            ]);
            run_tool("mke2fs", &full);
            run_tool(
                "debugfs",
                &[
                    OsStr::new("-w"),
                    OsStr::new("-f"),
                    cmds.as_os_str(),
                    image.as_os_str(),
                ],
            );
            // Index the large directory as an htree (exit code 1: "file system modified").
            let fsck = std::process::Command::new("e2fsck")
                .arg("-fyD")
                .arg(&image)
                .output()
                .expect("e2fsck runs");
            assert!(
                matches!(fsck.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&fsck.stdout)
            );
            let data = std::fs::read(&image).unwrap();
            let htree = std::process::Command::new("debugfs")
                .args(["-R", "htree /many"])
                .arg(&image)
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&htree.stdout).contains("Root node dump"),
                "{name}: no htree"
            );
            let (c, r) = Collector::run(&Ext, &data, 256 << 20).unwrap();
            assert_eq!(r, Ok(()), "{name}");
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{name}: {:?}",
                c.warnings.lock().unwrap()
            );
            let e = by_path(c);
            assert!(
                e["bin/busybox"].kind == CollectedKind::File(big.clone()),
                "{name}"
            );
            assert_eq!(e["bin/busybox"].meta.mode, Some(0o4755), "{name}");
            assert_eq!(
                e["bin/ls"].kind,
                CollectedKind::Hardlink("bin/busybox".into()),
                "{name}"
            );
            assert_eq!(
                e["bin/sh"].kind,
                CollectedKind::Symlink("busybox".into()),
                "{name}"
            );
            assert_eq!(
                e["bin/long"].kind,
                CollectedKind::Symlink(long_target.clone()),
                "{name}"
            );
            let m = e["etc/passwd"].meta;
            assert_eq!(
                (m.mode, m.uid, m.gid),
                (Some(0o600), Some(12), Some(34)),
                "{name}"
            );
            assert_eq!(
                e["etc/passwd"].kind,
                CollectedKind::File(b"root:x:0:0:root:/root:/bin/sh\n".to_vec())
            );
            assert_eq!(e["etc/init.d/rcS"].meta.mode, Some(0o750), "{name}");
            let mtime = std::fs::metadata(root.join("bin/busybox"))
                .unwrap()
                .modified()
                .unwrap();
            let mtime = mtime
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            assert_eq!(e["bin/busybox"].meta.mtime, Some(mtime), "{name}");
            assert_eq!(
                e["dev/console"].kind,
                CollectedKind::CharDevice(5, 1),
                "{name}"
            );
            assert_eq!(e["dev/console"].meta.mode, Some(0o620), "{name}");
            assert_eq!(
                e["dev/mtdblock0"].kind,
                CollectedKind::BlockDevice(31, 0),
                "{name}"
            );
            assert_eq!(
                e["dev/big"].kind,
                CollectedKind::CharDevice(260, 300),
                "{name}"
            );
            for i in [0, 150, 299] {
                assert_eq!(
                    e[&format!("many/file-with-a-long-name-{i:04}")].kind,
                    CollectedKind::File(i.to_string().into_bytes()),
                    "{name}"
                );
            }
            assert_eq!(
                e.keys().filter(|k| k.starts_with("many/")).count(),
                300,
                "{name}"
            );
            // A directory hard link back to the root: a cycle, reported once, and the walk ends.
            let cycle = dir.path().join("cycle");
            std::fs::write(&cycle, "ln / etc/loop\n").unwrap();
            run_tool(
                "debugfs",
                &[
                    OsStr::new("-w"),
                    OsStr::new("-f"),
                    cycle.as_os_str(),
                    image.as_os_str(),
                ],
            );
            let data = std::fs::read(&image).unwrap();
            let (c, r) = Collector::run(&Ext, &data, 256 << 20).unwrap();
            assert_eq!(r, Ok(()), "{name}");
            let warnings = c.warnings.lock().unwrap().clone();
            assert!(
                warnings.len() == 1 && warnings[0].1.contains("cycle"),
                "{name}: {warnings:?}"
            );
            assert_eq!(c.into_entries().len(), e.len() + 1, "{name}");
        }
    }

    /// A tree made with Buildroot's `genext2fs` (ext2, old revision-1 layout, its own block and
    /// inode allocation), owners, modes and device nodes from a device table, read back.
    #[test]
    fn round_trip_through_genext2fs() {
        use std::ffi::OsStr;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("usr/sbin")).unwrap();
        let shadow = b"root::0:0:99999:7:::\nadmin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:99999:7:::\n";
        std::fs::write(root.join("etc/shadow"), shadow).unwrap();
        // Beyond the direct and single-indirect blocks at 1 KiB, with a run of zeros.
        let mut big = noise(1_500_000, 9);
        big[300_000..700_000].fill(0);
        std::fs::write(root.join("usr/sbin/httpd"), &big).unwrap();
        std::os::unix::fs::symlink("../usr/sbin/httpd", root.join("etc/httpd")).unwrap();
        let table = dir.path().join("devices.txt");
        // <name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>
        std::fs::write(
            &table,
            "/etc/shadow f 600 0 42 - - - - -\n/usr/sbin/httpd f 4755 0 0 - - - - -\n\
             /dev d 755 0 0 - - - - -\n/dev/console c 600 0 5 5 1 - - -\n\
             /dev/mtdblock b 640 0 6 31 0 0 1 3\n",
        )
        .unwrap();
        let image = dir.path().join("genext2fs.img");
        run_tool(
            "genext2fs",
            &[
                OsStr::new("-B"),
                OsStr::new("1024"),
                OsStr::new("-b"),
                OsStr::new("4096"),
                OsStr::new("-d"),
                root.as_os_str(),
                OsStr::new("-D"),
                table.as_os_str(),
                image.as_os_str(),
            ],
        );
        let data = std::fs::read(&image).unwrap();
        let (c, r) = Collector::run(&Ext, &data, 64 << 20).unwrap();
        assert_eq!(r, Ok(()));
        assert!(c.warnings.lock().unwrap().is_empty());
        let e = by_path(c);
        assert_eq!(e["etc/shadow"].kind, CollectedKind::File(shadow.to_vec()));
        let m = e["etc/shadow"].meta;
        assert_eq!((m.mode, m.uid, m.gid), (Some(0o600), Some(0), Some(42)));
        assert!(e["usr/sbin/httpd"].kind == CollectedKind::File(big));
        assert_eq!(e["usr/sbin/httpd"].meta.mode, Some(0o4755));
        assert_eq!(
            e["etc/httpd"].kind,
            CollectedKind::Symlink("../usr/sbin/httpd".into())
        );
        assert_eq!(e["dev/console"].kind, CollectedKind::CharDevice(5, 1));
        assert_eq!(e["dev/console"].meta.gid, Some(5));
        for i in 0..3 {
            assert_eq!(
                e[&format!("dev/mtdblock{i}")].kind,
                CollectedKind::BlockDevice(31, i)
            );
        }
    }

    #[test]
    fn hostile_inputs() {
        let data = unxz("formats/sevenz__ext2.img.xz");
        let mut bad = data.clone();
        bad[1024] ^= 1; // inode count no longer matches the groups
        assert!(Ext.identify(&bad).is_none());
        hostile_extract(&Ext, &data);
        let mut junk = noise(4096, 6);
        junk[0x438..0x43a].copy_from_slice(&[0x53, 0xef]);
        assert!(Ext.identify(&junk).is_none());
    }
}
