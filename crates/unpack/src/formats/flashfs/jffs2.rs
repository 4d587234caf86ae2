//! JFFS2: a log of nodes, each starting with magic 0x1985 (in the image's byte order), a node type,
//! the node length and a CRC of those 8 bytes. The extent is the run of valid nodes, allowing the
//! 0xFF/0x00 padding that fills erase blocks between them and resynchronising past a damaged node
//! (one whose header CRC fails) when another valid node follows within an erase block or so.
//!
//! Extraction replays the log as the kernel does: directory entries (`pino`, name) → inode, the
//! highest `version` winning and inode 0 meaning "deleted"; file contents from the inode nodes in
//! version order, each covering `[offset, offset + dsize)` and setting the file's size (`isize`), so
//! later nodes override earlier ones, truncations drop data and holes read as zeros; metadata from
//! the newest inode node. Nodes whose CRCs fail are skipped with a warning.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::bytes::{slice, Endian};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{join, FileType, MAX_DEPTH, MAX_ENTRIES};

/// Padding longer than this between two nodes ends the file system (a JFFS2 erase block is at
/// most a few hundred KiB; a longer gap is the rest of the flash).
const MAX_GAP: usize = 1 << 20;

const NODETYPE_DIRENT: u16 = 0xe001;
const NODETYPE_INODE: u16 = 0xe002;
/// Nodes without this bit have been marked obsolete by the kernel.
const NODE_ACCURATE: u16 = 0x2000;
const COMPAT_MASK: u16 = 0xc000;
const FEATURE_INCOMPAT: u16 = 0xc000;

const DIRENT_HEADER: usize = 40;
const INODE_HEADER: usize = 68;

const COMPR_NONE: u8 = 0x00;
const COMPR_ZERO: u8 = 0x01;
const COMPR_RTIME: u8 = 0x02;
const COMPR_RUBINMIPS: u8 = 0x03;
const COMPR_COPY: u8 = 0x04;
const COMPR_DYNRUBIN: u8 = 0x05;
const COMPR_ZLIB: u8 = 0x06;
const COMPR_LZO: u8 = 0x07;
/// LZMA: 0x08 in OpenWrt/U-Boot's headers, 0x15 in DD-WRT's.
const COMPR_LZMA: u8 = 0x08;
const COMPR_LZMA_DDWRT: u8 = 0x15;

/// Largest decompressed size of one data node (the kernel writes at most a page per node).
const MAX_NODE_DATA: usize = 1 << 20;

/// Longest symbolic link target accepted (Linux's PATH_MAX is 4096).
const MAX_SYMLINK: usize = 64 << 10;

/// The root directory's inode number.
const ROOT_INO: u32 = 1;

/// JFFS2 (both byte orders).
pub struct Jffs2;

impl Format for Jffs2 {
    fn name(&self) -> &'static str {
        "jffs2"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at_start(&[0x85, 0x19]),
            Magic::at_start(&[0x19, 0x85]),
        ];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        for (offset, reason) in id.warnings {
            out.warn(offset, reason);
        }
        extract(data, out)
    }
}

/// JFFS2's CRC: Linux `crc32(0, …)`, i.e. zlib's CRC seeded with all ones and not inverted.
fn jffs2_crc(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(0xffff_ffff);
    h.update(data);
    !h.finalize()
}

fn endian(data: &[u8]) -> Option<Endian> {
    match data.get(..2)? {
        [0x85, 0x19] => Some(Endian::Little),
        [0x19, 0x85] => Some(Endian::Big),
        _ => None,
    }
}

/// A valid node header at `at`: its type and total length.
fn node(data: &[u8], at: usize, e: Endian) -> Option<(u16, usize)> {
    if e.u16(data, at)? != 0x1985 {
        return None;
    }
    let kind = e.u16(data, at + 2)?;
    let len = usize::try_from(e.u32(data, at + 4)?).ok()?;
    let head = data.get(at..at + 8)?;
    if jffs2_crc(head) != e.u32(data, at + 8)? || len < 12 || len > data.len() - at {
        return None;
    }
    Some((kind, len))
}

/// The next valid node header at a 4-byte aligned offset in `[from, limit)`.
fn resync(data: &[u8], from: usize, limit: usize, e: Endian) -> Option<usize> {
    let magic = match e {
        Endian::Little => [0x85, 0x19],
        Endian::Big => [0x19, 0x85],
    };
    let window = data.get(from..limit.min(data.len()))?;
    memchr::memmem::find_iter(window, &magic)
        .map(|i| from + i)
        .filter(|at| at % 4 == 0)
        .find(|&at| node(data, at, e).is_some())
}

/// Walk the node log: calls `f(offset, type, length)` for every node with a valid header CRC.
/// Returns the extent (end of the last valid node) and the damaged regions skipped.
fn walk(
    data: &[u8],
    e: Endian,
    mut f: impl FnMut(usize, u16, usize),
) -> (usize, Vec<(u64, String)>) {
    let mut warnings = Vec::new();
    let mut at = 0usize;
    let mut end = 0usize;
    while at < data.len() {
        if let Some((kind, len)) = node(data, at, e) {
            f(at, kind, len);
            at = at.saturating_add(len).next_multiple_of(4);
            end = at.min(data.len());
            continue;
        }
        // Skip padding word by word, but not forever.
        match e.u32(data, at) {
            Some(0xffff_ffff) | Some(0) if at - end < MAX_GAP => {
                at += 4;
                continue;
            }
            _ => {}
        }
        // Damage (a node whose header CRC fails, garbage): carry on at the next valid node
        // within reach, as the kernel's scan does.
        match resync(data, at + 4, end.saturating_add(MAX_GAP), e) {
            Some(next) => {
                warnings.push((
                    at as u64,
                    format!(
                        "JFFS2: {} bytes without a valid node header skipped",
                        next - at
                    ),
                ));
                at = next;
            }
            None => break,
        }
    }
    (end, warnings)
}

fn identify(data: &[u8]) -> Option<Identified> {
    let e = endian(data)?;
    node(data, 0, e)?;
    let (mut nodes, mut dirents, mut inodes) = (0u64, 0u64, 0u64);
    let (end, warnings) = walk(data, e, |_, kind, _| {
        nodes += 1;
        match kind {
            NODETYPE_DIRENT => dirents += 1,
            NODETYPE_INODE => inodes += 1,
            _ => {}
        }
    });
    let mut id = Identified::new(
        Some(end as u64),
        format!(
            "JFFS2 {}, {nodes} nodes ({dirents} directory entries, {inodes} inodes), {end} bytes",
            e.name()
        ),
    );
    if !warnings.is_empty() {
        id.description
            .push_str(&format!(", {} damaged regions", warnings.len()));
    }
    id.warnings = warnings;
    Some(id)
}

/// The newest directory entry for one name in one directory.
#[derive(Clone, Copy)]
struct Dirent {
    version: u32,
    ino: u32,
    dtype: u8,
    at: usize,
}

/// The compressors of an image's data nodes (for tests that check what a tool wrote).
#[cfg(test)]
pub(crate) fn compressors(data: &[u8]) -> std::collections::BTreeSet<u8> {
    let mut seen = std::collections::BTreeSet::new();
    if let Some(e) = endian(data) {
        walk(data, e, |at, kind, len| {
            if kind == NODETYPE_INODE {
                if let Some(Ok((_, n))) = slice(data, at, len).map(|n| inode(n, e)) {
                    if n.dsize > 0 {
                        seen.insert(n.compr);
                    }
                }
            }
        });
    }
    seen
}

/// One data (inode) node.
#[derive(Clone, Copy)]
struct DataNode<'a> {
    version: u32,
    at: usize,
    mode: u32,
    uid: u16,
    gid: u16,
    isize: u32,
    mtime: u32,
    offset: u32,
    dsize: u32,
    compr: u8,
    data: &'a [u8],
}

/// The file system as replayed from the log.
struct Log<'a> {
    /// pino → name → newest entry.
    dirs: HashMap<u32, HashMap<&'a [u8], Dirent>>,
    /// ino → data nodes, in log order.
    inodes: HashMap<u32, Vec<DataNode<'a>>>,
}

fn parse<'a>(data: &'a [u8], e: Endian, out: &dyn Emit) -> Log<'a> {
    let mut log = Log {
        dirs: HashMap::new(),
        inodes: HashMap::new(),
    };
    let (_, _) = walk(data, e, |at, kind, len| {
        let Some(n) = slice(data, at, len) else {
            return;
        };
        if kind & NODE_ACCURATE == 0 {
            return; // Obsoleted by the kernel.
        }
        match kind {
            NODETYPE_DIRENT => match dirent(n, e) {
                Ok((pino, name, d)) => {
                    let d = Dirent { at, ..d };
                    let names = log.dirs.entry(pino).or_default();
                    match names.get(name) {
                        Some(old) if old.version > d.version => {}
                        _ => {
                            names.insert(name, d);
                        }
                    }
                }
                Err(reason) => out.warn(at as u64, reason),
            },
            NODETYPE_INODE => match inode(n, e) {
                Ok((ino, d)) => log
                    .inodes
                    .entry(ino)
                    .or_default()
                    .push(DataNode { at, ..d }),
                Err(reason) => out.warn(at as u64, reason),
            },
            k if k & COMPAT_MASK == FEATURE_INCOMPAT && k != 0xe008 && k != 0xe009 => {
                out.warn(
                    at as u64,
                    format!("JFFS2: unknown incompatible node type {k:#06x}"),
                );
            }
            // Clean markers, padding, summaries, extended attributes: nothing to extract.
            _ => {}
        }
    });
    log
}

fn dirent(n: &[u8], e: Endian) -> Result<(u32, &[u8], Dirent), String> {
    let short = || "JFFS2 directory entry node too short".to_string();
    let head = n.get(..DIRENT_HEADER).ok_or_else(short)?;
    let u32_at = |i| e.u32(head, i).unwrap_or(0);
    if jffs2_crc(&head[..32]) != u32_at(32) {
        return Err("JFFS2 directory entry node CRC mismatch: skipped".into());
    }
    let nsize = usize::from(head[28]);
    let name = slice(n, DIRENT_HEADER, nsize).ok_or_else(short)?;
    if jffs2_crc(name) != u32_at(36) {
        return Err("JFFS2 directory entry name CRC mismatch: skipped".into());
    }
    Ok((
        u32_at(12),
        name,
        Dirent {
            version: u32_at(16),
            ino: u32_at(20),
            dtype: head[29],
            at: 0,
        },
    ))
}

fn inode(n: &[u8], e: Endian) -> Result<(u32, DataNode<'_>), String> {
    let short = || "JFFS2 inode node too short".to_string();
    let head = n.get(..INODE_HEADER).ok_or_else(short)?;
    let u32_at = |i| e.u32(head, i).unwrap_or(0);
    let u16_at = |i| e.u16(head, i).unwrap_or(0);
    if jffs2_crc(&head[..60]) != u32_at(64) {
        return Err("JFFS2 inode node CRC mismatch: skipped".into());
    }
    let csize = usize::try_from(u32_at(48)).map_err(|_| short())?;
    let data = slice(n, INODE_HEADER, csize).ok_or_else(short)?;
    if jffs2_crc(data) != u32_at(60) {
        return Err(format!(
            "JFFS2 inode {} data CRC mismatch: node skipped",
            u32_at(12)
        ));
    }
    Ok((
        u32_at(12),
        DataNode {
            version: u32_at(16),
            at: 0,
            mode: u32_at(20),
            uid: u16_at(24),
            gid: u16_at(26),
            isize: u32_at(28),
            mtime: u32_at(36),
            offset: u32_at(44),
            dsize: u32_at(52),
            compr: head[56],
            data,
        },
    ))
}

/// JFFS2's "rtime" compressor: pairs of (byte, repeat count), the repeat copying from just after
/// the previous occurrence of that byte.
pub(crate) fn rtime_decompress(src: &[u8], dsize: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(dsize);
    let mut positions = [0usize; 256];
    let mut pos = 0usize;
    while out.len() < dsize {
        let value = *src.get(pos)?;
        let repeat = usize::from(*src.get(pos + 1)?);
        pos += 2;
        out.push(value);
        let back = positions[usize::from(value)];
        positions[usize::from(value)] = out.len();
        if out.len() + repeat > dsize {
            return None;
        }
        // Byte by byte: the copy may overlap what it produces.
        for i in back..back + repeat {
            let b = *out.get(i)?;
            out.push(b);
        }
    }
    Some(out)
}

/// JFFS2's LZMA: either headerless raw LZMA1 with lc0 lp0 pb0 and an 8 KiB dictionary
/// (OpenWrt, U-Boot: the stream's first byte is the range coder's zero), or a 5-byte properties
/// header before the raw stream (DD-WRT).
fn lzma_decompress(src: &[u8], dsize: usize) -> Option<Vec<u8>> {
    use crate::formats::compression::lzma::decode_raw;
    let (props, dict, stream) = match src.first()? {
        0 => (0u8, 0x2000u32, src),
        &props => (props, crate::bytes::le_u32(src, 1)?, src.get(5..)?),
    };
    let (out, _, _) = decode_raw(stream, props, dict.max(4096), dsize as u64)?;
    (out.len() == dsize).then_some(out)
}

fn zlib_decompress(src: &[u8], dsize: usize) -> Option<Vec<u8>> {
    use flate2::{Decompress, FlushDecompress, Status};
    // The kernel inflates with or without the zlib header, whichever the data has.
    let has_header = src.len() >= 2
        && src[0] & 0x0f == 8
        && (u16::from(src[0]) << 8 | u16::from(src[1])) % 31 == 0;
    let mut d = Decompress::new(has_header);
    let mut out = Vec::with_capacity(dsize);
    match d.decompress_vec(src, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) | Ok(Status::Ok) | Ok(Status::BufError) if out.len() == dsize => {
            Some(out)
        }
        _ => None,
    }
}

fn lzo_decompress(src: &[u8], dsize: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; dsize];
    let (produced, err) = rust_lzo::LZOContext::decompress_to_slice(src, &mut out);
    let produced = produced.len();
    (matches!(err, rust_lzo::LZOError::OK) && produced == dsize).then(|| {
        out.truncate(produced);
        out
    })
}

/// The decompressed data of one node, or why not.
fn node_data(n: &DataNode<'_>) -> Result<Vec<u8>, String> {
    let dsize = n.dsize as usize;
    if n.compr != COMPR_ZERO && dsize > MAX_NODE_DATA {
        return Err(format!("a data node declares {dsize} bytes"));
    }
    let decoded = match n.compr {
        COMPR_NONE | COMPR_COPY => n.data.get(..dsize).map(<[u8]>::to_vec),
        COMPR_ZERO => Some(Vec::new()),
        COMPR_RTIME => rtime_decompress(n.data, dsize),
        COMPR_ZLIB => zlib_decompress(n.data, dsize),
        COMPR_LZO => lzo_decompress(n.data, dsize),
        COMPR_LZMA | COMPR_LZMA_DDWRT => lzma_decompress(n.data, dsize),
        COMPR_RUBINMIPS | COMPR_DYNRUBIN => {
            return Err("rubin compression is not supported".into());
        }
        other => return Err(format!("unknown compression {other:#04x}")),
    };
    decoded.ok_or_else(|| format!("compression {:#04x}: data does not decode", n.compr))
}

/// The inode's nodes sorted by version (log order on ties: the later write wins).
fn by_version<'a>(nodes: &[DataNode<'a>]) -> Vec<DataNode<'a>> {
    let mut v = nodes.to_vec();
    v.sort_by_key(|n| (n.version, n.at));
    v
}

/// Replay an inode's data nodes into its contents. `size` is the newest node's `isize`.
fn contents(nodes: &[DataNode<'_>], warn: &mut dyn FnMut(u64, String)) -> Vec<u8> {
    let Some(last) = nodes.last() else {
        return Vec::new();
    };
    let size = last.isize as usize;
    let mut buf = vec![0u8; size];
    // Highest position that may hold non-zero data.
    let mut high = 0usize;
    for n in nodes {
        if n.compr != COMPR_ZERO && n.dsize > 0 {
            match node_data(n) {
                Ok(d) => {
                    let start = (n.offset as usize).min(size);
                    let end = (n.offset as usize).saturating_add(d.len()).min(size);
                    if start < end {
                        buf[start..end].copy_from_slice(&d[..end - start]);
                        high = high.max(end);
                    }
                }
                Err(reason) => warn(n.at as u64, format!("JFFS2: {reason}: node skipped")),
            }
        } else if n.compr == COMPR_ZERO {
            let start = (n.offset as usize).min(size);
            let end = (n.offset as usize)
                .saturating_add(n.dsize as usize)
                .min(size);
            buf[start..end].fill(0);
        }
        // The node sets the file's size: anything beyond is gone.
        let isize = n.isize as usize;
        if isize < high {
            buf[isize..high].fill(0);
            high = isize;
        }
    }
    buf
}

/// Linux `dev_t` of a device inode: the old 16-bit or the new 32-bit encoding.
fn device(data: &[u8], e: Endian) -> Option<(u32, u32)> {
    match data.len() {
        2 => {
            let d = u32::from(e.u16(data, 0)?);
            Some((d >> 8, d & 0xff))
        }
        4 => Some(crate::formats::squashfs::split_dev(e.u32(data, 0)?)),
        _ => None,
    }
}

struct FileJob<'a> {
    path: Vec<u8>,
    meta: Meta,
    nodes: Vec<DataNode<'a>>,
}

fn extract(data: &[u8], out: &dyn Emit) -> Result<(), Error> {
    let e = endian(data).ok_or_else(|| Error::malformed(0, "not a JFFS2 node"))?;
    let log = parse(data, e, out);
    let empty = HashMap::new();
    let mut jobs: Vec<FileJob> = Vec::new();
    let mut links: Vec<(Vec<u8>, Meta, Vec<u8>)> = Vec::new();
    let mut first_path: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut visited_dirs = HashSet::from([ROOT_INO]);
    let mut entries = 0usize;
    let mut budget = out.budget();
    // (directory inode, its path, depth)
    let mut stack = vec![(ROOT_INO, Vec::new(), 0usize)];
    while let Some((dir, dir_path, depth)) = stack.pop() {
        let names = log.dirs.get(&dir).unwrap_or(&empty);
        let mut children: Vec<(&&[u8], &Dirent)> =
            names.iter().filter(|(_, d)| d.ino != 0).collect();
        children.sort_by(|a, b| a.0.cmp(b.0));
        let mut subdirs = Vec::new();
        for (name, d) in children {
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(Error::malformed(d.at as u64, "too many directory entries"));
            }
            let path = join(&dir_path, name);
            let lossy = || String::from_utf8_lossy(&path).into_owned();
            let nodes = by_version(log.inodes.get(&d.ino).map_or(&[][..], Vec::as_slice));
            let Some(latest) = nodes.last().copied() else {
                if visited_dirs.contains(&d.ino) {
                    // The root (which has no inode node) or a directory already seen.
                    out.warn(
                        d.at as u64,
                        format!("JFFS2: {}: directory loop, not followed", lossy()),
                    );
                } else if d.dtype == 4 {
                    // A directory whose inode node is lost: still a directory.
                    if visited_dirs.insert(d.ino) && depth + 1 < MAX_DEPTH {
                        out.entry(Entry {
                            path: &path,
                            meta: Meta::default(),
                            body: Body::Dir,
                        })?;
                        subdirs.push((d.ino, path.clone(), depth + 1));
                    }
                } else {
                    out.warn(
                        d.at as u64,
                        format!("JFFS2: {}: no inode node for inode {}", lossy(), d.ino),
                    );
                }
                continue;
            };
            let meta = Meta::new(
                latest.mode,
                latest.uid.into(),
                latest.gid.into(),
                latest.mtime.into(),
            );
            let kind = FileType::from_mode(latest.mode);
            let body = match kind {
                FileType::Dir => {
                    if !visited_dirs.insert(d.ino) {
                        out.warn(
                            d.at as u64,
                            format!("JFFS2: {}: directory loop, not followed", lossy()),
                        );
                        continue;
                    }
                    if depth + 1 >= MAX_DEPTH {
                        out.warn(
                            d.at as u64,
                            format!("JFFS2: {}: directories nested too deep", lossy()),
                        );
                        continue;
                    }
                    subdirs.push((d.ino, path.clone(), depth + 1));
                    Body::Dir
                }
                FileType::File => {
                    if let Some(first) = first_path.get(&d.ino) {
                        links.push((path, meta, first.clone()));
                        continue;
                    }
                    let size = u64::from(latest.isize);
                    if size > budget {
                        return Err(Error::Budget(format!(
                            "JFFS2 file {} declares {size} bytes, beyond the remaining budget",
                            lossy()
                        )));
                    }
                    budget -= size;
                    first_path.insert(d.ino, path.clone());
                    jobs.push(FileJob { path, meta, nodes });
                    continue;
                }
                FileType::Symlink => {
                    if latest.isize as usize > MAX_SYMLINK {
                        out.warn(
                            latest.at as u64,
                            format!(
                                "JFFS2: {}: symlink target of {} bytes",
                                lossy(),
                                latest.isize
                            ),
                        );
                        continue;
                    }
                    let mut warn = |at, reason| out.warn(at, reason);
                    let target = contents(&nodes, &mut warn);
                    out.entry(Entry {
                        path: &path,
                        meta,
                        body: Body::Symlink(&target),
                    })?;
                    continue;
                }
                FileType::Char | FileType::Block => {
                    // The device number is the newest node's data (its isize is 0).
                    let raw = node_data(&latest).unwrap_or_default();
                    let Some((major, minor)) = device(&raw, e) else {
                        out.warn(
                            latest.at as u64,
                            format!("JFFS2: {}: device number unreadable", lossy()),
                        );
                        continue;
                    };
                    if kind == FileType::Char {
                        Body::CharDevice { major, minor }
                    } else {
                        Body::BlockDevice { major, minor }
                    }
                }
                FileType::Fifo => Body::Fifo,
                FileType::Socket => Body::Socket,
                FileType::Unknown => {
                    out.warn(
                        latest.at as u64,
                        format!(
                            "JFFS2: {}: unknown file type in mode {:#o}",
                            lossy(),
                            latest.mode
                        ),
                    );
                    continue;
                }
            };
            out.entry(Entry {
                path: &path,
                meta,
                body,
            })?;
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    jobs.par_iter().try_for_each(|job| {
        let mut warnings = Vec::new();
        let bytes = contents(&job.nodes, &mut |at, reason| warnings.push((at, reason)));
        for (at, reason) in warnings {
            out.warn(
                at,
                format!("{} ({reason})", String::from_utf8_lossy(&job.path)),
            );
        }
        out.entry(Entry {
            path: &job.path,
            meta: job.meta,
            body: Body::File(&bytes),
        })
    })?;
    for (path, meta, target) in links {
        out.entry(Entry {
            path: &path,
            meta,
            body: Body::Hardlink(&target),
        })?;
    }
    Ok(())
}
