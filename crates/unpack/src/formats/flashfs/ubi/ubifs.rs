//! UBIFS volumes, identified by the CRC-protected superblock node at offset 0 of a volume.
//!
//! Extraction follows the committed state the way `ubi_reader` does: the newest valid master node
//! (LEB 1 or its copy in LEB 2) gives the root of the index B-tree; its leaves are the inode, directory
//! entry and data nodes, from which the tree is rebuilt starting at inode 1. The journal written
//! since the last commit (the buds the log's reference nodes point to) is replayed on top, newest
//! sequence number winning, as the kernel does at mount: a dump of a live device keeps its latest
//! writes. Hand-written because no maintained crate reads UBIFS; every
//! node is bounds-checked and CRC-checked (a bad node is a warning), the B-tree walk has a depth limit
//! and a visited set, and the directory walk refuses cycles.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use crate::bytes::{le_u16, le_u32, le_u64, read_bounded, slice};
use crate::format::{Body, ChunkSource, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use crate::bytes::crc32_jam;

const NODE_MAGIC: u32 = 0x0610_1831;
const HEADER_LEN: usize = 24;
const INO_NODE: u8 = 0;
const DATA_NODE: u8 = 1;
const DENT_NODE: u8 = 2;
const SB_NODE: u8 = 6;
const MST_NODE: u8 = 7;
const IDX_NODE: u8 = 9;
const INO_NODE_LEN: usize = 160;
const DENT_NODE_LEN: usize = 56;
const DATA_NODE_LEN: usize = 48;
/// Key length in index branches (the "simple" key format, the only one defined).
const BRANCH_LEN: usize = 12 + 8;
const BLOCK_SIZE: u64 = 4096;
const ROOT_INUM: u64 = 1;
/// The kernel's limit on index levels is 512; real trees are a handful deep.
const MAX_INDEX_DEPTH: usize = 64;
const MAX_PATH_DEPTH: usize = 256;

/// UBIFS volume.
pub struct Ubifs;

impl Format for Ubifs {
    fn name(&self) -> &'static str {
        "ubifs"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&[0x31, 0x18, 0x10, 0x06])];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let sb = superblock(data).ok_or_else(|| Error::malformed(0, "bad superblock node"))?;
        Reader::new(data, sb, out).run()
    }
}

struct Superblock {
    min_io: u32,
    leb_size: u32,
    leb_cnt: u32,
    max_leb_cnt: u32,
    log_lebs: u32,
    fmt_version: u32,
    compr: u16,
}

fn superblock(data: &[u8]) -> Option<Superblock> {
    if le_u32(data, 0)? != NODE_MAGIC || *data.get(20)? != SB_NODE {
        return None;
    }
    let len = usize::try_from(le_u32(data, 16)?).ok()?;
    if !(128..=4096).contains(&len) {
        return None;
    }
    let node = slice(data, 0, len)?;
    if crc32_jam(&node[8..]) != le_u32(node, 4)? {
        return None;
    }
    let sb = Superblock {
        min_io: le_u32(node, 32)?,
        leb_size: le_u32(node, 36)?,
        leb_cnt: le_u32(node, 40)?,
        max_leb_cnt: le_u32(node, 44)?,
        log_lebs: le_u32(node, 56)?,
        fmt_version: le_u32(node, 80)?,
        compr: le_u16(node, 84)?,
    };
    // The smallest LEB UBIFS accepts is 15 KiB; min I/O must divide it.
    if sb.leb_size < 1024 || sb.leb_cnt == 0 || sb.min_io == 0 || sb.min_io > sb.leb_size {
        return None;
    }
    Some(sb)
}

fn compression_name(c: u16) -> &'static str {
    match c {
        0 => "no compression",
        1 => "lzo",
        2 => "zlib",
        3 => "zstd",
        _ => "unknown compression",
    }
}

fn identify(data: &[u8]) -> Option<Identified> {
    let sb = superblock(data)?;
    let total = u64::from(sb.leb_size) * u64::from(sb.leb_cnt);
    let mut description = format!(
        "UBIFS format {}, {} LEBs of {} bytes, min I/O {}, default {}, max {} LEBs",
        sb.fmt_version,
        sb.leb_cnt,
        sb.leb_size,
        sb.min_io,
        compression_name(sb.compr),
        sb.max_leb_cnt
    );
    if total > data.len() as u64 {
        description.push_str(&format!(", truncated to {} bytes", data.len()));
    }
    Some(Identified::new(
        Some(total.min(data.len() as u64)),
        description,
    ))
}

/// Where a node sits in the volume.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Pos {
    lnum: u32,
    offs: u32,
}

struct Inode {
    sqnum: u64,
    size: u64,
    mtime: i64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u32,
    /// Symlink target or device number.
    data: Vec<u8>,
}

struct Dent {
    sqnum: u64,
    inum: u64,
    name: Vec<u8>,
}

struct DataRef {
    sqnum: u64,
    pos: Pos,
    len: usize,
}

struct Reader<'a> {
    data: &'a [u8],
    sb: Superblock,
    out: &'a dyn Emit,
    inodes: HashMap<u64, Inode>,
    /// Directory entries by parent inode and name hash (the key), newest kept.
    dents: HashMap<(u64, u32), Dent>,
    blocks: HashMap<u64, BTreeMap<u32, DataRef>>,
    visited: HashSet<Pos>,
    bad_nodes: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], sb: Superblock, out: &'a dyn Emit) -> Self {
        Reader {
            data,
            sb,
            out,
            inodes: HashMap::new(),
            dents: HashMap::new(),
            blocks: HashMap::new(),
            visited: HashSet::new(),
            bad_nodes: 0,
        }
    }

    fn offset(&self, pos: Pos) -> u64 {
        offset(&self.sb, pos)
    }

    /// The node at `pos`, checked: inside its LEB and the volume, magic, length, CRC and type.
    /// `len` is the length the index records (0 when unknown). A bad node is a warning.
    fn node(&mut self, pos: Pos, len: usize, want: u8) -> Option<&'a [u8]> {
        let at = self.offset(pos);
        match self.try_node(pos, len, want) {
            Ok(node) => Some(node),
            Err(reason) => {
                self.bad_nodes += 1;
                if self.bad_nodes <= 64 {
                    self.out.warn(at, format!("UBIFS node: {reason}"));
                }
                None
            }
        }
    }

    fn try_node(&self, pos: Pos, len: usize, want: u8) -> Result<&'a [u8], String> {
        read_node(self.data, &self.sb, pos, len, want)
    }

    /// The newest valid master node in LEB 1 or 2.
    fn master(&mut self) -> Option<&'a [u8]> {
        let mut best: Option<&[u8]> = None;
        for lnum in [1u32, 2] {
            let mut offs = 0u32;
            while offs < self.sb.leb_size {
                let pos = Pos { lnum, offs };
                let Ok(node) = self.try_node(pos, 0, MST_NODE) else {
                    break;
                };
                if best.is_none_or(|b| le_u64(node, 8) > le_u64(b, 8)) {
                    best = Some(node);
                }
                // Master nodes are written one after another, each aligned to min I/O.
                let step = (node.len() as u64).div_ceil(u64::from(self.sb.min_io))
                    * u64::from(self.sb.min_io);
                offs = offs.saturating_add(u32::try_from(step).unwrap_or(u32::MAX).max(1));
            }
        }
        best
    }

    fn run(mut self) -> Result<(), Error> {
        let master = self
            .master()
            .ok_or_else(|| Error::malformed(u64::from(self.sb.leb_size), "no valid master node"))?;
        let root = Pos {
            lnum: le_u32(master, 48).unwrap_or(0),
            offs: le_u32(master, 52).unwrap_or(0),
        };
        let root_len = le_u32(master, 56).unwrap_or(0) as usize;
        self.walk(root, root_len, 0);
        self.replay(master);
        if !self.inodes.contains_key(&ROOT_INUM) {
            return Err(Error::malformed(
                self.offset(root),
                "the index holds no root directory inode",
            ));
        }
        self.emit_tree()
    }

    /// Replay the journal: from the log LEB the master names, while each LEB starts with the commit
    /// start node of the current commit (or continues it), every reference node names a bud whose
    /// nodes are applied from its offset on.
    fn replay(&mut self, master: &[u8]) {
        const REF_NODE: u8 = 8;
        const CS_NODE: u8 = 10;
        let cmt_no = le_u64(master, 32);
        let log_lnum = le_u32(master, 44).unwrap_or(0);
        let first_log = 3u32;
        let log_lebs = self
            .sb
            .log_lebs
            .min(self.sb.leb_cnt.saturating_sub(first_log));
        if !(first_log..first_log.saturating_add(log_lebs)).contains(&log_lnum) {
            return;
        }
        // One bud per LEB (the lowest offset), so a hostile log cannot make us rescan a LEB.
        let mut buds: BTreeMap<u32, u32> = BTreeMap::new();
        let mut cs_sqnum = 0;
        for i in 0..log_lebs {
            let lnum = first_log + (log_lnum - first_log + i) % log_lebs;
            let nodes = self.scan(lnum, 0);
            let Some(&(_, kind, first)) = nodes.first() else {
                break;
            };
            let sqnum = le_u64(first, 8).unwrap_or(0);
            if i == 0 {
                // The log of the current commit starts with its commit start node.
                if kind != CS_NODE || le_u64(first, 24) != cmt_no {
                    self.out.warn(
                        self.offset(Pos { lnum, offs: 0 }),
                        "UBIFS log does not start with the current commit: journal not replayed"
                            .into(),
                    );
                    return;
                }
                cs_sqnum = sqnum;
            } else if sqnum < cs_sqnum {
                break; // an older commit's log: the journal ended in the previous LEB
            }
            for &(_, kind, node) in &nodes {
                if kind == REF_NODE && le_u64(node, 8).unwrap_or(0) > cs_sqnum {
                    let lnum = le_u32(node, 24).unwrap_or(u32::MAX);
                    let offs = le_u32(node, 28).unwrap_or(u32::MAX);
                    let entry = buds.entry(lnum).or_insert(offs);
                    *entry = (*entry).min(offs);
                }
            }
        }
        for (lnum, offs) in buds {
            let bud = Pos { lnum, offs };
            if bud.lnum >= self.sb.leb_cnt || bud.offs >= self.sb.leb_size {
                self.out.warn(
                    0,
                    format!(
                        "UBIFS log refers to bud {}:{} outside the volume",
                        bud.lnum, bud.offs
                    ),
                );
                continue;
            }
            for (offs, kind, node) in self.scan(bud.lnum, bud.offs) {
                let pos = Pos {
                    lnum: bud.lnum,
                    offs,
                };
                let key_type = le_u32(node, 28).unwrap_or(u32::MAX) >> 29;
                if matches!(kind, INO_NODE | DATA_NODE | DENT_NODE) && u32::from(kind) == key_type {
                    self.leaf(pos, node.len(), key_type);
                }
            }
        }
    }

    /// The valid nodes of LEB `lnum` from `offs` on, in order, as (offset, type, node): 8-byte
    /// aligned, padding skipped, ending at erased space or the first damaged node.
    fn scan(&self, lnum: u32, mut offs: u32) -> Vec<(u32, u8, &'a [u8])> {
        let mut nodes = Vec::new();
        while offs < self.sb.leb_size {
            let at = self.offset(Pos { lnum, offs });
            let Some(head) = usize::try_from(at)
                .ok()
                .and_then(|a| slice(self.data, a, HEADER_LEN))
            else {
                break;
            };
            if head[0] == 0xce {
                // Padding bytes up to the next write unit.
                offs = (offs + 8) & !7;
                continue;
            }
            let Ok(node) = self.try_node(Pos { lnum, offs }, 0, head[20]) else {
                break;
            };
            let kind = node[20];
            let mut next = u64::from(offs) + node.len() as u64;
            if kind == 5 {
                next += u64::from(le_u32(node, 24).unwrap_or(0));
            }
            nodes.push((offs, kind, node));
            offs = match u32::try_from(next.div_ceil(8) * 8) {
                Ok(n) => n,
                Err(_) => break,
            };
        }
        nodes
    }

    /// Walk the index B-tree from `pos`, collecting its leaves.
    fn walk(&mut self, pos: Pos, len: usize, depth: usize) {
        if depth > MAX_INDEX_DEPTH {
            self.out
                .warn(self.offset(pos), "UBIFS index too deep".into());
            return;
        }
        if !self.visited.insert(pos) {
            return;
        }
        let Some(node) = self.node(pos, len, IDX_NODE) else {
            return;
        };
        let count = le_u16(node, 24).unwrap_or(0) as usize;
        let level = le_u16(node, 26).unwrap_or(0);
        for i in 0..count {
            let Some(branch) = slice(node, 28 + i * BRANCH_LEN, BRANCH_LEN) else {
                self.out.warn(
                    self.offset(pos),
                    "UBIFS index node shorter than its branch count".into(),
                );
                break;
            };
            let child = Pos {
                lnum: le_u32(branch, 0).unwrap_or(0),
                offs: le_u32(branch, 4).unwrap_or(0),
            };
            let child_len = le_u32(branch, 8).unwrap_or(0) as usize;
            if level > 0 {
                self.walk(child, child_len, depth + 1);
            } else if self.visited.insert(child) {
                self.leaf(child, child_len, le_u32(branch, 16).unwrap_or(0) >> 29);
            }
        }
    }

    /// Record one leaf node of the index.
    fn leaf(&mut self, pos: Pos, len: usize, key_type: u32) {
        let want = match key_type {
            0 => INO_NODE,
            1 => DATA_NODE,
            2 => DENT_NODE,
            // Extended attribute entries and anything else are not part of the tree.
            _ => return,
        };
        let Some(node) = self.node(pos, len, want) else {
            return;
        };
        let sqnum = le_u64(node, 8).unwrap_or(0);
        let inum = u64::from(le_u32(node, 24).unwrap_or(0));
        let key_value = le_u32(node, 28).unwrap_or(0) & 0x1fff_ffff;
        match want {
            INO_NODE => {
                if node.len() < INO_NODE_LEN {
                    self.out
                        .warn(self.offset(pos), "short UBIFS inode node".into());
                    return;
                }
                let data_len =
                    (le_u32(node, 112).unwrap_or(0) as usize).min(node.len() - INO_NODE_LEN);
                let inode = Inode {
                    sqnum,
                    size: le_u64(node, 48).unwrap_or(0),
                    mtime: le_u64(node, 72).unwrap_or(0) as i64,
                    nlink: le_u32(node, 92).unwrap_or(0),
                    uid: le_u32(node, 96).unwrap_or(0),
                    gid: le_u32(node, 100).unwrap_or(0),
                    mode: le_u32(node, 104).unwrap_or(0),
                    data: node[INO_NODE_LEN..INO_NODE_LEN + data_len].to_vec(),
                };
                if self.inodes.get(&inum).is_none_or(|old| old.sqnum < sqnum) {
                    self.inodes.insert(inum, inode);
                }
            }
            DENT_NODE => {
                let name_len = le_u16(node, 50).unwrap_or(0) as usize;
                let Some(name) = slice(node, DENT_NODE_LEN, name_len) else {
                    self.out.warn(
                        self.offset(pos),
                        "UBIFS entry name runs past its node".into(),
                    );
                    return;
                };
                let dent = Dent {
                    sqnum,
                    inum: le_u64(node, 40).unwrap_or(0),
                    name: name.to_vec(),
                };
                let key = (inum, key_value);
                if self.dents.get(&key).is_none_or(|old| old.sqnum < sqnum) {
                    self.dents.insert(key, dent);
                }
            }
            _ => {
                let blocks = self.blocks.entry(inum).or_default();
                if blocks.get(&key_value).is_none_or(|old| old.sqnum < sqnum) {
                    blocks.insert(
                        key_value,
                        DataRef {
                            sqnum,
                            pos,
                            len: node.len(),
                        },
                    );
                }
            }
        }
    }

    /// Emit the tree: directories before their contents, each inode once; later names of an inode
    /// already emitted become hard links.
    fn emit_tree(&mut self) -> Result<(), Error> {
        let mut children: BTreeMap<u64, Vec<(Vec<u8>, u64)>> = BTreeMap::new();
        for (&(parent, _), dent) in &self.dents {
            // inum 0 marks a deletion entry.
            if dent.inum != 0 {
                children
                    .entry(parent)
                    .or_default()
                    .push((dent.name.clone(), dent.inum));
            }
        }
        for list in children.values_mut() {
            list.sort();
        }
        let mut first_path: HashMap<u64, Vec<u8>> = HashMap::new();
        let mut stack: Vec<(u64, Vec<u8>, usize)> = vec![(ROOT_INUM, Vec::new(), 0)];
        let mut entered: HashSet<u64> = HashSet::new();
        while let Some((dir, prefix, depth)) = stack.pop() {
            if !entered.insert(dir) {
                self.out.warn(
                    0,
                    format!("UBIFS directory inode {dir} reached twice (a cycle)"),
                );
                continue;
            }
            let Some(list) = children.get(&dir) else {
                continue;
            };
            let mut subdirs = Vec::new();
            for (name, inum) in list {
                if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
                    self.out.warn(
                        0,
                        format!(
                            "UBIFS entry with an invalid name {:?}",
                            String::from_utf8_lossy(name)
                        ),
                    );
                    continue;
                }
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(name);
                let Some(inode) = self.inodes.get(inum) else {
                    self.out.warn(
                        0,
                        format!("{}: inode {inum} missing", String::from_utf8_lossy(&path)),
                    );
                    continue;
                };
                let is_dir = inode.mode & 0o170000 == 0o040000;
                if !is_dir {
                    if let Some(target) = first_path.get(inum) {
                        let meta = meta(inode);
                        self.out.entry(Entry {
                            path: &path,
                            meta,
                            body: Body::Hardlink(target),
                        })?;
                        continue;
                    }
                    if inode.nlink > 1 {
                        first_path.insert(*inum, path.clone());
                    }
                }
                if is_dir {
                    if depth >= MAX_PATH_DEPTH {
                        self.out.warn(
                            0,
                            format!(
                                "{}: directories nested too deep",
                                String::from_utf8_lossy(&path)
                            ),
                        );
                        continue;
                    }
                    self.out.entry(Entry {
                        path: &path,
                        meta: meta(inode),
                        body: Body::Dir,
                    })?;
                    subdirs.push((*inum, path, depth + 1));
                } else {
                    self.emit_node(*inum, &path)?;
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }

    fn emit_node(&mut self, inum: u64, path: &[u8]) -> Result<(), Error> {
        let Some(inode) = self.inodes.get(&inum) else {
            return Ok(());
        };
        let meta = meta(inode);
        let entry = |body| Entry { path, meta, body };
        let (major, minor) = device(&inode.data);
        match inode.mode & 0o170000 {
            0o120000 => self.out.entry(entry(Body::Symlink(&inode.data))),
            0o020000 => self.out.entry(entry(Body::CharDevice { major, minor })),
            0o060000 => self.out.entry(entry(Body::BlockDevice { major, minor })),
            0o010000 => self.out.entry(entry(Body::Fifo)),
            0o140000 => self.out.entry(entry(Body::Socket)),
            _ => {
                let size = inode.size;
                // A damaged size must not end the whole extraction; the engine still charges
                // every byte written against the budget.
                if size > self.out.budget() {
                    self.out.warn(
                        0,
                        format!(
                            "{}: declares {size} bytes, beyond the remaining budget: skipped",
                            String::from_utf8_lossy(path)
                        ),
                    );
                    return Ok(());
                }
                let file = FileData {
                    data: self.data,
                    sb: &self.sb,
                    blocks: self.blocks.remove(&inum).unwrap_or_default(),
                    size,
                    out: self.out,
                    path,
                };
                if size > CHUNK {
                    return self.out.entry(entry(Body::Stream {
                        size,
                        chunks: &file,
                    }));
                }
                let content = match file.chunk(0) {
                    Some(Ok(bytes)) => bytes,
                    Some(Err(e)) => return Err(e),
                    None => Vec::new(),
                };
                self.out.entry(entry(Body::File(&content)))
            }
        }
    }
}

fn offset(sb: &Superblock, pos: Pos) -> u64 {
    u64::from(pos.lnum) * u64::from(sb.leb_size) + u64::from(pos.offs)
}

/// The node at `pos`, checked: inside its LEB and the volume, magic, length, CRC and type.
/// `len` is the length the index records (0 when unknown).
fn read_node<'a>(
    data: &'a [u8],
    sb: &Superblock,
    pos: Pos,
    len: usize,
    want: u8,
) -> Result<&'a [u8], String> {
    if pos.lnum >= sb.leb_cnt || pos.offs >= sb.leb_size {
        return Err(format!(
            "position {}:{} outside the volume",
            pos.lnum, pos.offs
        ));
    }
    let at = usize::try_from(offset(sb, pos)).map_err(|_| "offset overflow".to_string())?;
    let header = slice(data, at, HEADER_LEN).ok_or("truncated header")?;
    if le_u32(header, 0) != Some(NODE_MAGIC) {
        return Err("no node magic".into());
    }
    let node_len = le_u32(header, 16).unwrap_or(0) as usize;
    let room = (sb.leb_size - pos.offs) as usize;
    if node_len < HEADER_LEN || node_len > room || (len != 0 && len != node_len) {
        return Err(format!("bad node length {node_len}"));
    }
    let node = slice(data, at, node_len).ok_or("node runs past the end of the data")?;
    if crc32_jam(&node[8..]) != le_u32(node, 4).unwrap_or(0) {
        return Err("CRC mismatch".into());
    }
    if node[20] != want {
        return Err(format!(
            "node type {} where {} was expected",
            node[20], want
        ));
    }
    Ok(node)
}

/// Bytes per chunk of a streamed file: 64 blocks.
const CHUNK: u64 = 64 * BLOCK_SIZE;

/// A regular file's bytes, delivered chunk by chunk so a large (or hostile, sparse) file never sits
/// in memory whole: data blocks in order, holes as zeros, cut to the inode size. A damaged block is
/// a warning and reads as zeros.
struct FileData<'a> {
    data: &'a [u8],
    sb: &'a Superblock,
    blocks: BTreeMap<u32, DataRef>,
    size: u64,
    out: &'a dyn Emit,
    path: &'a [u8],
}

impl ChunkSource for FileData<'_> {
    fn chunk(&self, index: usize) -> Option<Result<Vec<u8>, Error>> {
        let start = (index as u64).checked_mul(CHUNK)?;
        if start >= self.size {
            return None;
        }
        let end = (start + CHUNK).min(self.size);
        let first = u32::try_from(start / BLOCK_SIZE).ok()?;
        let last = u32::try_from((end - 1) / BLOCK_SIZE).ok()?;
        let mut content = Vec::with_capacity((end - start) as usize);
        for (&block, r) in self.blocks.range(first..=last) {
            content.resize((u64::from(block) * BLOCK_SIZE - start) as usize, 0);
            let decoded = read_node(self.data, self.sb, r.pos, r.len, DATA_NODE)
                .map_err(|reason| Error::malformed(offset(self.sb, r.pos), reason))
                .and_then(|node| decompress(node, self.out));
            match decoded {
                Ok(bytes) => content.extend_from_slice(&bytes),
                Err(e) if e.is_fatal() => return Some(Err(e)),
                Err(e) => self.out.warn(
                    offset(self.sb, r.pos),
                    format!("{}: block {block}: {e}", String::from_utf8_lossy(self.path)),
                ),
            }
        }
        content.resize((end - start) as usize, 0);
        Some(Ok(content))
    }
}

fn meta(inode: &Inode) -> Meta {
    Meta::new(inode.mode, inode.uid, inode.gid, inode.mtime)
}

/// Decode a device number as the kernel stores it: `new_encode_dev` in 4 bytes, `huge_encode_dev`
/// in 8.
fn device(data: &[u8]) -> (u32, u32) {
    let dev = match data.len() {
        4 => u64::from(le_u32(data, 0).unwrap_or(0)),
        8 => le_u64(data, 0).unwrap_or(0),
        _ => 0,
    };
    let dev = dev as u32;
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// The uncompressed bytes of a data node (at most one 4 KiB block).
fn decompress(node: &[u8], out: &dyn Emit) -> Result<Vec<u8>, Error> {
    let size = le_u32(node, 40).unwrap_or(0) as usize;
    let compr = le_u16(node, 44).unwrap_or(0);
    let payload = &node[DATA_NODE_LEN.min(node.len())..];
    if size as u64 > BLOCK_SIZE {
        return Err(Error::malformed(0, format!("data node of {size} bytes")));
    }
    if size as u64 > out.budget() {
        return Err(Error::Budget(
            "UBIFS data beyond the remaining budget".into(),
        ));
    }
    let bytes = match compr {
        0 => payload
            .get(..size)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Error::malformed(0, "uncompressed data node shorter than its size"))?,
        1 => {
            let mut buf = vec![0u8; size];
            let (done, err) = rust_lzo::LZOContext::decompress_to_slice(payload, &mut buf);
            if err != rust_lzo::LZOError::OK {
                return Err(Error::malformed(0, "LZO decoding failed"));
            }
            done.to_vec()
        }
        2 => block(read_bounded(
            flate2::read::DeflateDecoder::new(payload),
            BLOCK_SIZE,
            0,
            "zlib",
        ))?,
        3 => {
            let decoder = zstd::stream::read::Decoder::new(payload)
                .map_err(|e| Error::malformed(0, format!("zstd: {e}")))?;
            block(read_bounded(
                decoder.take(BLOCK_SIZE + 1),
                BLOCK_SIZE,
                0,
                "zstd",
            ))?
        }
        other => return Err(Error::Unsupported(format!("compression type {other}"))),
    };
    if bytes.len() != size {
        return Err(Error::malformed(
            0,
            format!("block decodes to {} bytes, {size} expected", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// A block that decodes past 4 KiB is a damaged node, not a spent budget.
fn block(decoded: Result<Vec<u8>, Error>) -> Result<Vec<u8>, Error> {
    decoded.map_err(|e| match e {
        Error::Budget(_) => Error::malformed(0, "block decodes beyond 4 KiB"),
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Collector;

    fn data_node(size: u32, compr: u16, payload: &[u8]) -> Vec<u8> {
        let mut node = vec![0u8; DATA_NODE_LEN];
        node[40..44].copy_from_slice(&size.to_le_bytes());
        node[44..46].copy_from_slice(&compr.to_le_bytes());
        node.extend_from_slice(payload);
        node
    }

    /// mkfs.ubifs cannot write zstd, so that decoder is checked on a node built here.
    #[test]
    fn data_node_codecs() {
        let out = Collector::new(1 << 20);
        let block: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        let zstd = zstd::encode_all(&block[..], 3).unwrap();
        assert_eq!(
            decompress(&data_node(4096, 3, &zstd), &out),
            Ok(block.clone())
        );
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
        std::io::Write::write_all(&mut deflate, &block).unwrap();
        let deflate = deflate.finish().unwrap();
        assert_eq!(
            decompress(&data_node(4096, 2, &deflate), &out),
            Ok(block.clone())
        );
        // A wrong declared size, garbage, an unknown codec: errors, never panics.
        assert!(decompress(&data_node(4000, 3, &zstd), &out).is_err());
        assert!(decompress(&data_node(4096, 1, b"garbage"), &out).is_err());
        assert!(decompress(&data_node(4096, 3, b"garbage"), &out).is_err());
        assert!(matches!(
            decompress(&data_node(16, 9, &[0; 16]), &out),
            Err(Error::Unsupported(_))
        ));
        assert!(decompress(&data_node(8192, 0, &[0; 8192]), &out).is_err());
        assert_eq!(device(&0x0050_0301u32.to_le_bytes()), (3, 0x501));
    }
}
