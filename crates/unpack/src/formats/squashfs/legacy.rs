//! SquashFS 2.x and 3.x, our own reader.
//!
//! Why not a crate: backhand has no 2.x support, and its 3.x reader gets uid/gid wrong and knows
//! none of the vendor LZMA variants found in real firmware. The on-disk layout follows
//! squashfs-tools' `squashfs_compat.h`: structures are packed C bit-fields, so a big-endian image
//! is not just byte-swapped: GCC allocates bit-fields from the most significant bit on big-endian
//! hosts and from the least significant bit on little-endian ones. [`Bits`] reads a field at a bit
//! position the way each compiler laid it out.
//!
//! Compression is detected per block, because vendors mixed them: zlib (the standard), LZMA with
//! the 13-byte `.lzma` header, TP-Link's 5-byte header (properties + dictionary size, no size
//! field) and Broadcom's/the `squashfs-lzma` patch's raw LZMA1 stream (properties 0x5d, no header;
//! a raw stream always starts with a zero byte, which is how it is told apart).
//!
//! Safety: every read is bounds-checked, metadata decompression is capped, directories are walked
//! iteratively with a visited set (loops are reported, not followed), the number of entries and the
//! depth are capped, and file sizes are checked against the output budget before any allocation.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use liblzma::stream::{Action, Filters, Status, Stream};
use rayon::prelude::*;

use super::{date, emit, kib};
use crate::bytes::{read_bounded, Endian};
use crate::format::{Body, Emit, Error, Format, Identified, Kind, Magic, Meta};

/// SquashFS 2.x/3.x (and vendor magics), both endians.
pub struct SquashfsLegacy;

const METADATA_SIZE: usize = 8192;
const INVALID_FRAG: u32 = 0xffff_ffff;
/// Block-list flag: the data block is stored uncompressed.
const BLOCK_UNCOMPRESSED: u32 = 1 << 24;
/// `no_guids` value meaning "the gid is the uid".
const GUID_IS_UID: u8 = 255;
const FLAG_CHECK: u8 = 0x04;
const MAX_DEPTH: usize = 512;
const MAX_ENTRIES: usize = 1 << 22;
/// Metadata (inode and directory tables) we are willing to decompress, whatever the budget.
const MAX_METADATA: u64 = 1 << 30;
const MIN_METADATA: u64 = 16 << 20;

/// Reads bit-fields laid out by a C compiler of the image's byte order.
#[derive(Clone, Copy)]
struct Bits(Endian);

impl Bits {
    /// The `n`-bit field (n <= 32) starting `pos` bits into `buf`.
    fn get(self, buf: &[u8], pos: usize, n: u32) -> Option<u32> {
        let start = pos / 8;
        let shift = (pos % 8) as u32;
        let mut word = [0u8; 8];
        let avail = buf.get(start..)?;
        let needed = ((shift + n).div_ceil(8)) as usize;
        if avail.len() < needed || n == 0 || n > 32 {
            return None;
        }
        word[..needed].copy_from_slice(&avail[..needed]);
        let mask = (1u64 << n) - 1;
        let v = match self.0 {
            Endian::Little => (u64::from_le_bytes(word) >> shift) & mask,
            Endian::Big => (u64::from_be_bytes(word) >> (64 - n - shift)) & mask,
        };
        u32::try_from(v).ok()
    }
    fn u16(self, buf: &[u8], at: usize) -> Option<u16> {
        self.0.u16(buf, at)
    }
    fn u32(self, buf: &[u8], at: usize) -> Option<u32> {
        self.0.u32(buf, at)
    }
    fn u64(self, buf: &[u8], at: usize) -> Option<u64> {
        self.0.u64(buf, at)
    }
}

/// The fields of a 2.x/3.x superblock we use, with the version-specific widths resolved.
#[derive(Debug, Clone)]
struct Super {
    endian: Endian,
    magic: [u8; 4],
    major: u16,
    minor: u16,
    inodes: u32,
    bytes_used: u64,
    uid_start: u64,
    guid_start: u64,
    inode_table: u64,
    dir_table: u64,
    frag_table: u64,
    fragments: u32,
    block_size: u32,
    flags: u8,
    no_uids: u8,
    no_guids: u8,
    mkfs_time: i64,
    root_inode: u64,
}

impl Super {
    fn v3(&self) -> bool {
        self.major == 3
    }
    /// Length of the superblock on disk (the first data block follows it).
    fn len(&self) -> u64 {
        if self.v3() {
            119
        } else {
            63
        }
    }
}

const MAGICS: &[Magic] = &[
    Magic::at_start(b"hsqs"),
    Magic::at_start(b"sqsh"),
    // Vendor magics (LZMA builds of some SDKs, DD-WRT): the endianness is found by validation.
    Magic::at_start(b"shsq"),
    Magic::at_start(b"qshs"),
    Magic::at_start(b"tqsh"),
    Magic::at_start(b"hsqt"),
];

/// Parse a 2.x/3.x superblock in one byte order; `None` unless it is self-consistent.
fn parse_super(data: &[u8], endian: Endian) -> Option<Super> {
    let magic: [u8; 4] = data.get(..4)?.try_into().ok()?;
    if !MAGICS.iter().any(|m| m.bytes == magic) {
        return None;
    }
    let b = Bits(endian);
    let major = b.u16(data, 28)?;
    let minor = b.u16(data, 30)?;
    if !(1..=3).contains(&major) {
        return None;
    }
    let v1 = major == 1;
    let block_log = b.u16(data, 34)?;
    // 1.x has only the 16-bit block size (at most 32 KiB); later versions add a 32-bit one.
    let block_size = if v1 {
        u32::from(b.u16(data, 32)?)
    } else {
        b.u32(data, 51)?
    };
    let logs = if v1 { 12..=15 } else { 12..=20 };
    if !logs.contains(&block_log) || block_size != 1 << block_log {
        return None;
    }
    // The 16-bit copy of the block size (0 for 64 KiB and more, which does not fit; the mksquashfs
    // of Realtek's RTL819x SDKs leaves whatever was in memory there, so it is only checked where
    // the size fits).
    if block_size <= 0xffff && u32::from(b.u16(data, 32)?) != block_size {
        return None;
    }
    let v3 = major == 3;
    let wide = |at64: usize, at32: usize| -> Option<u64> {
        if v3 {
            b.u64(data, at64)
        } else {
            b.u32(data, at32).map(u64::from)
        }
    };
    let sb = Super {
        endian,
        magic,
        major,
        minor,
        inodes: b.u32(data, 4)?,
        bytes_used: wide(63, 8)?,
        uid_start: wide(71, 12)?,
        guid_start: wide(79, 16)?,
        inode_table: wide(87, 20)?,
        dir_table: wide(95, 24)?,
        frag_table: if v1 { 0 } else { wide(103, 59)? },
        flags: *data.get(36)?,
        no_uids: *data.get(37)?,
        no_guids: *data.get(38)?,
        mkfs_time: i64::from(b.u32(data, 39)? as i32),
        root_inode: b.u64(data, 43)?,
        fragments: if v1 { 0 } else { b.u32(data, 55)? },
        block_size,
    };
    let used = sb.bytes_used;
    let fits = |start: u64, len: u64| {
        start
            .checked_add(len)
            .is_some_and(|end| start >= sb.len() && end <= used)
    };
    let frag_entry = if v3 { 16 } else { 8 };
    let frag_index_len = u64::from(sb.fragments)
        .saturating_mul(frag_entry)
        .div_ceil(METADATA_SIZE as u64)
        .saturating_mul(if v3 { 8 } else { 4 });
    let sane = sb.inodes > 0
        && used >= sb.len()
        && used <= data.len() as u64
        && sb.inode_table >= sb.len()
        && sb.inode_table < sb.dir_table
        && sb.dir_table < used
        && sb.no_uids > 0
        && fits(sb.uid_start, u64::from(sb.no_uids) * 4)
        && (sb.no_guids == 0 || fits(sb.guid_start, u64::from(sb.no_guids) * 4))
        && (sb.fragments == 0 || fits(sb.frag_table, frag_index_len))
        && (sb.root_inode >> 16) < sb.dir_table - sb.inode_table
        && (sb.root_inode & 0xffff) < METADATA_SIZE as u64;
    sane.then_some(sb)
}

fn superblock(data: &[u8]) -> Option<Super> {
    let order = match data.get(..4)? {
        b"sqsh" | b"qshs" | b"tqsh" => [Endian::Big, Endian::Little],
        _ => [Endian::Little, Endian::Big],
    };
    order.into_iter().find_map(|e| parse_super(data, e))
}

// ---------------------------------------------------------------------------------------------
// Decompression

/// Decompress one block of at most `max` bytes, detecting zlib and the LZMA variants.
fn decompress(raw: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let zlib_header = raw.len() >= 2
        && raw[0] & 0x0f == 8
        && (u16::from(raw[0]) << 8 | u16::from(raw[1])) % 31 == 0;
    if zlib_header {
        let decoder = flate2::read::ZlibDecoder::new(raw);
        if let Ok(out) = read_bounded(decoder, max as u64, 0, "zlib") {
            return Ok(out);
        }
    }
    lzma_any(raw, max)
        .ok_or_else(|| "neither zlib nor any known LZMA variant decodes this block".into())
}

/// The LZMA flavours of SquashFS 2.x/3.x builds, tried from the most specific.
fn lzma_any(raw: &[u8], max: usize) -> Option<Vec<u8>> {
    let first = *raw.first()?;
    if first == 0 {
        // Headerless (Broadcom, squashfs-lzma): lc=3, lp=0, pb=2.
        return lzma_raw(0x5d, raw, max);
    }
    // `.lzma` header: properties, dictionary, 64-bit size (-1 or the real size), then the stream.
    if raw.len() > 13 && raw[13] == 0 {
        let size = u64::from_le_bytes(raw[5..13].try_into().ok()?);
        if size == u64::MAX || size <= max as u64 {
            if let Some(out) = lzma_raw(first, &raw[13..], max) {
                return Some(out);
            }
        }
    }
    // TP-Link: properties and dictionary only.
    if raw.len() > 5 && raw[5] == 0 {
        return lzma_raw(first, &raw[5..], max);
    }
    None
}

/// Decode a raw LZMA1 stream with properties byte `props`, producing at most `max` bytes. The
/// dictionary is sized to the output (larger would only cost memory: no match can reach further
/// back than the output is long), so a hostile header cannot make us allocate gigabytes.
fn lzma_raw(props: u8, input: &[u8], max: usize) -> Option<Vec<u8>> {
    if props >= 225 || max == 0 {
        return None;
    }
    let dict = u32::try_from(max.max(4096)).ok()?;
    let mut p = [props, 0, 0, 0, 0];
    p[1..].copy_from_slice(&dict.to_le_bytes());
    let mut filters = Filters::new();
    filters.lzma1_properties(&p).ok()?;
    let mut stream = Stream::new_raw_decoder(&filters).ok()?;
    let mut out = Vec::with_capacity(max);
    // Each round either makes progress or ends the loop; progress is bounded by input + output.
    loop {
        let (in_before, out_before) = (stream.total_in(), stream.total_out());
        let rest = input.get(usize::try_from(in_before).ok()?..)?;
        match stream.process_vec(rest, &mut out, Action::Run) {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {}
            Err(_) if out.len() == max => break,
            Err(_) => return None,
        }
        if out.len() >= max || (stream.total_in() == in_before && stream.total_out() == out_before)
        {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A short name for the compression of the block starting at `raw`, for descriptions.
fn compression_name(raw: &[u8]) -> &'static str {
    match raw {
        [b0, b1, ..] if b0 & 0x0f == 8 && (u16::from(*b0) << 8 | u16::from(*b1)) % 31 == 0 => {
            "zlib"
        }
        [0, ..] => "lzma (raw, no header)",
        [_, _, _, _, _, 0, ..] => "lzma (5-byte header)",
        [_, ..] => "lzma",
        [] => "unknown",
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata

/// Decompressed metadata blocks, keyed by their absolute position, with the position of the next.
struct Metadata<'a> {
    data: &'a [u8],
    sb: &'a Super,
    cache: HashMap<u64, (Arc<Vec<u8>>, u64)>,
    spent: u64,
    cap: u64,
}

impl<'a> Metadata<'a> {
    fn new(data: &'a [u8], sb: &'a Super, cap: u64) -> Self {
        Metadata {
            data,
            sb,
            cache: HashMap::new(),
            spent: 0,
            // Metadata is not output but it is held in memory: bound it even under a large budget,
            // and do not fail a small image only because little budget is left.
            cap: cap.clamp(MIN_METADATA, MAX_METADATA),
        }
    }

    /// The metadata block at absolute `pos` and where the next one starts.
    fn block(&mut self, pos: u64) -> Result<(Arc<Vec<u8>>, u64), Error> {
        if let Some((b, next)) = self.cache.get(&pos) {
            return Ok((b.clone(), *next));
        }
        let at = usize::try_from(pos)
            .map_err(|_| Error::malformed(pos, "metadata block beyond the image"))?;
        let header = Bits(self.sb.endian)
            .u16(self.data, at)
            .ok_or_else(|| Error::malformed(pos, "metadata block beyond the image"))?;
        let header_len = if self.sb.flags & FLAG_CHECK != 0 {
            3
        } else {
            2
        };
        let len = match usize::from(header & 0x7fff) {
            0 => 0x8000,
            n => n,
        };
        let start = at + header_len;
        let raw = crate::bytes::slice(self.data, start, len)
            .ok_or_else(|| Error::malformed(pos, "metadata block runs past the image"))?;
        let block = if header & 0x8000 != 0 {
            raw.get(..len.min(METADATA_SIZE)).unwrap_or(raw).to_vec()
        } else {
            decompress(raw, METADATA_SIZE)
                .map_err(|e| Error::malformed(pos, format!("metadata block: {e}")))?
        };
        self.spent = self.spent.saturating_add(block.len() as u64);
        if self.spent > self.cap {
            return Err(Error::Budget(
                "SquashFS metadata expands beyond the budget".into(),
            ));
        }
        let next = (start + len) as u64;
        let block = Arc::new(block);
        self.cache.insert(pos, (block.clone(), next));
        Ok((block, next))
    }

    /// Up to `n` bytes starting `offset` bytes into the metadata block at `pos`, following the
    /// chain of blocks. Stops early (returning what it has) only when `partial` is set.
    fn read(
        &mut self,
        mut pos: u64,
        offset: usize,
        n: usize,
        partial: bool,
    ) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(n.min(1 << 20));
        let mut skip = offset;
        while out.len() < n {
            let (block, next) = match self.block(pos) {
                Ok(b) => b,
                Err(e @ Error::Budget(_)) => return Err(e),
                Err(_) if partial => break,
                Err(e) => return Err(e),
            };
            if skip >= block.len() {
                // An offset past the block's end is only valid at the very end of a block.
                if skip > block.len() || block.is_empty() {
                    return Err(Error::malformed(pos, "metadata offset outside its block"));
                }
                skip = 0;
                pos = next;
                continue;
            }
            let take = (n - out.len()).min(block.len() - skip);
            out.extend_from_slice(&block[skip..skip + take]);
            skip = 0;
            pos = next; // strictly increasing: every block has a header, so this terminates
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Inodes

#[derive(Debug, Clone)]
enum Node {
    Dir {
        start_block: u32,
        offset: u32,
        size: u32,
    },
    File(FileInfo),
    Symlink(Vec<u8>),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
    Socket,
}

#[derive(Debug, Clone)]
struct FileInfo {
    start: u64,
    fragment: u32,
    frag_offset: u32,
    size: u64,
    /// Where the block list starts: metadata block position and offset inside it.
    list_at: (u64, usize),
}

struct Inode {
    node: Node,
    meta: Meta,
}

struct Reader<'a> {
    data: &'a [u8],
    sb: &'a Super,
    bits: Bits,
    md: Metadata<'a>,
    uids: Vec<u32>,
    guids: Vec<u32>,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], sb: &'a Super, cap: u64) -> Self {
        let bits = Bits(sb.endian);
        let table = |start: u64, count: u8| -> Vec<u32> {
            (0..usize::from(count))
                .filter_map(|i| bits.u32(data, usize::try_from(start).ok()?.checked_add(i * 4)?))
                .collect()
        };
        Reader {
            data,
            sb,
            bits,
            md: Metadata::new(data, sb, cap),
            uids: table(sb.uid_start, sb.no_uids),
            guids: table(sb.guid_start, sb.no_guids),
        }
    }

    /// Read the inode at `block` (relative to the inode table) and `offset`.
    fn inode(&mut self, block: u64, offset: usize) -> Result<Inode, Error> {
        let pos = self.sb.inode_table.saturating_add(block);
        let v3 = self.sb.v3();
        let b = self.bits;
        let bad = |what: &str| {
            Error::malformed(
                pos,
                format!("inode at block {block:#x} offset {offset:#x}: {what}"),
            )
        };
        let head = self.md.read(pos, offset, 4, false)?;
        let kind = b.get(&head, 0, 4).ok_or_else(|| bad("short"))?;
        let fixed = match (v3, kind) {
            (true, 1) => 28,
            (true, 8) => 31,
            (true, 2) => 32,
            (true, 9) => 40,
            (true, 3..=5) => 18,
            (true, 6 | 7) => 16,
            (false, 1) => 15,
            (false, 8) => 18,
            (false, 2) => 24,
            (false, 3..=5) => 6,
            (false, 6 | 7) => 4,
            _ => return Err(bad(&format!("unknown inode type {kind}"))),
        };
        let buf = self.md.read(pos, offset, fixed, false)?;
        let short = || bad("truncated");
        let mode = b.get(&buf, 4, 12).ok_or_else(short)?;
        let uid_idx = b.get(&buf, 16, 8).ok_or_else(short)? as u8;
        let guid_idx = b.get(&buf, 24, 8).ok_or_else(short)? as u8;
        let uid = self.uids.get(usize::from(uid_idx)).copied();
        let gid = if guid_idx == GUID_IS_UID {
            uid
        } else {
            self.guids.get(usize::from(guid_idx)).copied()
        };
        let mut mtime = if v3 {
            Some(i64::from(b.u32(&buf, 4).ok_or_else(short)? as i32))
        } else {
            None
        };
        let node = match (v3, kind) {
            (true, 1) => Node::Dir {
                size: b.get(&buf, 128, 19).ok_or_else(short)?,
                offset: b.get(&buf, 147, 13).ok_or_else(short)?,
                start_block: b.u32(&buf, 20).ok_or_else(short)?,
            },
            (true, 8) => Node::Dir {
                size: b.get(&buf, 128, 27).ok_or_else(short)?,
                offset: b.get(&buf, 155, 13).ok_or_else(short)?,
                start_block: b.get(&buf, 168, 32).ok_or_else(short)?,
            },
            (false, 1) => {
                mtime = Some(i64::from(b.u32(&buf, 8).ok_or_else(short)? as i32));
                Node::Dir {
                    size: b.get(&buf, 32, 19).ok_or_else(short)?,
                    offset: b.get(&buf, 51, 13).ok_or_else(short)?,
                    start_block: b.get(&buf, 96, 24).ok_or_else(short)?,
                }
            }
            (false, 8) => {
                mtime = Some(i64::from(b.get(&buf, 72, 32).ok_or_else(short)? as i32));
                Node::Dir {
                    size: b.get(&buf, 32, 27).ok_or_else(short)?,
                    offset: b.get(&buf, 59, 13).ok_or_else(short)?,
                    start_block: b.get(&buf, 104, 24).ok_or_else(short)?,
                }
            }
            (_, 2 | 9) => {
                let (start, fragment, frag_offset, size) = match (v3, kind) {
                    (true, 2) => (
                        b.u64(&buf, 12).ok_or_else(short)?,
                        b.u32(&buf, 20).ok_or_else(short)?,
                        b.u32(&buf, 24).ok_or_else(short)?,
                        u64::from(b.u32(&buf, 28).ok_or_else(short)?),
                    ),
                    (true, _) => (
                        b.u64(&buf, 16).ok_or_else(short)?,
                        b.u32(&buf, 24).ok_or_else(short)?,
                        b.u32(&buf, 28).ok_or_else(short)?,
                        b.u64(&buf, 32).ok_or_else(short)?,
                    ),
                    (false, _) => {
                        mtime = Some(i64::from(b.u32(&buf, 4).ok_or_else(short)? as i32));
                        (
                            u64::from(b.u32(&buf, 8).ok_or_else(short)?),
                            b.u32(&buf, 12).ok_or_else(short)?,
                            b.u32(&buf, 16).ok_or_else(short)?,
                            u64::from(b.u32(&buf, 20).ok_or_else(short)?),
                        )
                    }
                };
                // The block list follows the fixed part, possibly in the next metadata block.
                Node::File(FileInfo {
                    start,
                    fragment,
                    frag_offset,
                    size,
                    list_at: (pos, offset + fixed),
                })
            }
            (_, 3) => {
                let len = b.u16(&buf, fixed - 2).ok_or_else(short)?;
                let target = self.md.read(pos, offset + fixed, usize::from(len), false)?;
                Node::Symlink(target)
            }
            (_, 4 | 5) => {
                let rdev = u32::from(b.u16(&buf, fixed - 2).ok_or_else(short)?);
                let (major, minor) = (rdev >> 8, rdev & 0xff);
                if kind == 4 {
                    Node::Block(major, minor)
                } else {
                    Node::Char(major, minor)
                }
            }
            (_, 6) => Node::Fifo,
            _ => Node::Socket,
        };
        let meta = Meta {
            mode: Some(mode & 0o7777),
            uid,
            gid,
            mtime: Some(mtime.unwrap_or(self.sb.mkfs_time)),
        };
        Ok(Inode { node, meta })
    }

    /// The (name, inode block, inode offset) entries of a directory.
    fn list(
        &mut self,
        start_block: u32,
        offset: u32,
        size: u32,
    ) -> Result<Vec<(Vec<u8>, u64, usize)>, Error> {
        let pos = self.sb.dir_table.saturating_add(u64::from(start_block));
        let listing = self.md.read(pos, offset as usize, size as usize, true)?;
        let b = self.bits;
        let v3 = self.sb.v3();
        let (header_len, entry_len) = if v3 { (9, 5) } else { (4, 3) };
        let mut at = 0usize;
        let mut entries = Vec::new();
        while at + header_len <= listing.len() {
            let h = &listing[at..];
            let count = b.get(h, 0, 8).unwrap_or(0) as usize + 1;
            let inode_block = if v3 { b.get(h, 8, 32) } else { b.get(h, 8, 24) }.unwrap_or(0);
            at += header_len;
            for _ in 0..count {
                let Some(e) = listing.get(at..at + entry_len) else {
                    return Err(Error::malformed(
                        pos,
                        "directory entry runs past the listing",
                    ));
                };
                let inode_offset = b.get(e, 0, 13).unwrap_or(0) as usize;
                let name_len = b.get(e, 16, 8).unwrap_or(0) as usize + 1;
                at += entry_len;
                let Some(name) = listing.get(at..at + name_len) else {
                    return Err(Error::malformed(
                        pos,
                        "directory entry name runs past the listing",
                    ));
                };
                at += name_len;
                entries.push((name.to_vec(), u64::from(inode_block), inode_offset));
            }
        }
        Ok(entries)
    }

    /// The block sizes of a file (each u32 with the "uncompressed" flag), from its inode.
    fn block_list(&mut self, f: &FileInfo) -> Result<Vec<u32>, Error> {
        let bs = u64::from(self.sb.block_size);
        let count = if f.fragment == INVALID_FRAG {
            f.size.div_ceil(bs)
        } else {
            f.size / bs
        };
        let count =
            usize::try_from(count).map_err(|_| Error::malformed(f.list_at.0, "file too large"))?;
        let bytes = self
            .md
            .read(f.list_at.0, f.list_at.1, count.saturating_mul(4), false)?;
        Ok(bytes
            .chunks_exact(4)
            .filter_map(|c| self.bits.u32(c, 0))
            .collect())
    }

    /// Position and stored size word of fragment `index`.
    fn fragment(&mut self, index: u32) -> Result<(u64, u32), Error> {
        let v3 = self.sb.v3();
        let entry = if v3 { 16 } else { 8 };
        let bad = || {
            Error::malformed(
                self.sb.frag_table,
                format!("fragment {index} not in the fragment table"),
            )
        };
        if index >= self.sb.fragments {
            return Err(bad());
        }
        let byte = u64::from(index) * entry;
        let slot = usize::try_from(byte / METADATA_SIZE as u64).map_err(|_| bad())?;
        let table = usize::try_from(self.sb.frag_table).map_err(|_| bad())?;
        let block = if v3 {
            self.bits.u64(self.data, table + slot * 8)
        } else {
            self.bits.u32(self.data, table + slot * 4).map(u64::from)
        }
        .ok_or_else(bad)?;
        let e = self.md.read(
            block,
            (byte % METADATA_SIZE as u64) as usize,
            entry as usize,
            false,
        )?;
        let start = if v3 {
            self.bits.u64(&e, 0)
        } else {
            self.bits.u32(&e, 0).map(u64::from)
        }
        .ok_or_else(bad)?;
        let size = self.bits.u32(&e, if v3 { 8 } else { 4 }).ok_or_else(bad)?;
        Ok((start, size))
    }
}

/// One regular file to decompress, with everything read from metadata already.
struct Job {
    path: Vec<u8>,
    meta: Meta,
    file: FileInfo,
    blocks: Vec<u32>,
    fragment: Option<(u64, u32)>,
}

/// Decompress a data block at `pos` with stored size word `word`, expecting `want` bytes.
fn data_block(data: &[u8], pos: u64, word: u32, want: usize) -> Result<Vec<u8>, String> {
    let len = (word & !BLOCK_UNCOMPRESSED) as usize;
    let at = usize::try_from(pos).map_err(|_| "block beyond the image".to_string())?;
    let raw = crate::bytes::slice(data, at, len)
        .ok_or_else(|| format!("block at {pos:#x} runs past the image"))?;
    let mut out = if word & BLOCK_UNCOMPRESSED != 0 {
        raw.to_vec()
    } else {
        decompress(raw, want).map_err(|e| format!("block at {pos:#x}: {e}"))?
    };
    if out.len() < want {
        return Err(format!(
            "block at {pos:#x} decodes to {} bytes, expected {want}",
            out.len()
        ));
    }
    out.truncate(want);
    Ok(out)
}

fn read_file(
    data: &[u8],
    sb: &Super,
    job: &Job,
    frags: &Mutex<HashMap<u64, Arc<Vec<u8>>>>,
) -> Result<Vec<u8>, String> {
    let bs = sb.block_size as usize;
    let size = usize::try_from(job.file.size).map_err(|_| "file too large")?;
    let mut out = Vec::with_capacity(size);
    let mut pos = job.file.start;
    for &word in &job.blocks {
        let want = (size - out.len()).min(bs);
        let len = word & !BLOCK_UNCOMPRESSED;
        if len == 0 {
            out.resize(out.len() + want, 0); // sparse block
            continue;
        }
        out.extend_from_slice(&data_block(data, pos, word, want)?);
        pos = pos.saturating_add(u64::from(len));
    }
    if let Some((frag_pos, frag_word)) = job.fragment {
        let tail = size - out.len();
        let cached = frags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&frag_pos)
            .cloned();
        let block = match cached {
            Some(b) => b,
            None => {
                let len = (frag_word & !BLOCK_UNCOMPRESSED) as usize;
                let b = if frag_word & BLOCK_UNCOMPRESSED != 0 {
                    let at = usize::try_from(frag_pos).map_err(|_| "fragment beyond the image")?;
                    crate::bytes::slice(data, at, len.min(bs))
                        .ok_or("fragment runs past the image")?
                        .to_vec()
                } else {
                    let at = usize::try_from(frag_pos).map_err(|_| "fragment beyond the image")?;
                    let raw =
                        crate::bytes::slice(data, at, len).ok_or("fragment runs past the image")?;
                    decompress(raw, bs).map_err(|e| format!("fragment at {frag_pos:#x}: {e}"))?
                };
                let b = Arc::new(b);
                frags
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(frag_pos, b.clone());
                b
            }
        };
        let start = job.file.frag_offset as usize;
        let piece = start
            .checked_add(tail)
            .and_then(|end| block.get(start..end))
            .ok_or_else(|| format!("file tail lies outside fragment at {frag_pos:#x}"))?;
        out.extend_from_slice(piece);
    }
    if out.len() != size {
        return Err(format!(
            "file data is {} bytes, its inode says {size}",
            out.len()
        ));
    }
    Ok(out)
}

impl Format for SquashfsLegacy {
    fn name(&self) -> &'static str {
        "squashfs-v2v3"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let sb = superblock(data)?;
        if sb.major == 1 {
            return Some(Identified::new(
                Some(sb.bytes_used),
                format!(
                    "v1.{} {}, {} inodes, block {}, built {} (1.x layout: not extractable)",
                    sb.minor,
                    sb.endian.name(),
                    sb.inodes,
                    kib(sb.block_size),
                    date(sb.mkfs_time)
                ),
            ));
        }
        // Trial decode of the root inode's metadata block: the root must be a directory.
        let mut reader = Reader::new(data, &sb, 1 << 20);
        let root = reader
            .inode(sb.root_inode >> 16, (sb.root_inode & 0xffff) as usize)
            .ok()?;
        if !matches!(root.node, Node::Dir { .. }) {
            return None;
        }
        let first_block = usize::try_from(sb.inode_table).ok()?;
        let header = Bits(sb.endian).u16(data, first_block)?;
        let skip = if sb.flags & FLAG_CHECK != 0 { 3 } else { 2 };
        let comp = if header & 0x8000 == 0 {
            compression_name(data.get(first_block + skip..).unwrap_or_default())
        } else {
            // Uncompressed inodes: look at the first data block instead.
            compression_name(data.get(sb.len() as usize..).unwrap_or_default())
        };
        let vendor = if matches!(&sb.magic, b"hsqs" | b"sqsh") {
            String::new()
        } else {
            format!(", vendor magic {:?}", String::from_utf8_lossy(&sb.magic))
        };
        Some(Identified::new(
            Some(sb.bytes_used),
            format!(
                "v{}.{} {}, {comp}, {} inodes, block {}, built {}{vendor}",
                sb.major,
                sb.minor,
                sb.endian.name(),
                sb.inodes,
                kib(sb.block_size),
                date(sb.mkfs_time)
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let sb = superblock(data)
            .ok_or_else(|| Error::malformed(0, "invalid SquashFS 2.x/3.x superblock"))?;
        if sb.major == 1 {
            return Err(Error::Unsupported(
                "SquashFS 1.x (2002-2004) uses a different inode layout that this reader does not implement".into(),
            ));
        }
        let mut reader = Reader::new(data, &sb, out.budget());
        let root = reader.inode(sb.root_inode >> 16, (sb.root_inode & 0xffff) as usize)?;
        let Node::Dir {
            start_block,
            offset,
            size,
        } = root.node
        else {
            return Err(Error::malformed(
                sb.inode_table,
                "the root inode is not a directory",
            ));
        };
        let mut jobs = Vec::new();
        let mut visited = HashSet::from([sb.root_inode]);
        let mut stack = vec![(Vec::new(), start_block, offset, size, 0usize)];
        let mut entries = 0usize;
        while let Some((dir_path, start_block, offset, size, depth)) = stack.pop() {
            let listing = match reader.list(start_block, offset, size) {
                Ok(l) => l,
                Err(e @ Error::Budget(_)) => return Err(e),
                Err(e) => {
                    out.warn(
                        sb.dir_table,
                        format!("directory {}: {e}", String::from_utf8_lossy(&dir_path)),
                    );
                    continue;
                }
            };
            for (name, block, inode_offset) in listing {
                entries += 1;
                if entries > MAX_ENTRIES {
                    return Err(Error::malformed(sb.dir_table, "too many directory entries"));
                }
                let mut path = dir_path.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&name);
                let inode = match reader.inode(block, inode_offset) {
                    Ok(i) => i,
                    Err(e @ Error::Budget(_)) => return Err(e),
                    Err(e) => {
                        out.warn(
                            sb.inode_table,
                            format!("{}: {e}", String::from_utf8_lossy(&path)),
                        );
                        continue;
                    }
                };
                let body = match &inode.node {
                    Node::Dir {
                        start_block,
                        offset,
                        size,
                    } => {
                        let key = block << 16 | inode_offset as u64;
                        if !visited.insert(key) {
                            out.warn(
                                sb.inode_table,
                                format!(
                                    "{}: directory loop, not followed",
                                    String::from_utf8_lossy(&path)
                                ),
                            );
                            continue;
                        }
                        if depth + 1 >= MAX_DEPTH {
                            out.warn(
                                sb.inode_table,
                                format!(
                                    "{}: directories nested too deep",
                                    String::from_utf8_lossy(&path)
                                ),
                            );
                            continue;
                        }
                        stack.push((path.clone(), *start_block, *offset, *size, depth + 1));
                        Body::Dir
                    }
                    Node::File(f) => {
                        if f.size > out.budget() {
                            return Err(Error::Budget(format!(
                                "SquashFS file {} declares {} bytes, beyond the remaining budget",
                                String::from_utf8_lossy(&path),
                                f.size
                            )));
                        }
                        let prepared = reader.block_list(f).and_then(|blocks| {
                            let fragment = if f.fragment == INVALID_FRAG {
                                None
                            } else {
                                Some(reader.fragment(f.fragment)?)
                            };
                            Ok((blocks, fragment))
                        });
                        match prepared {
                            Ok((blocks, fragment)) => jobs.push(Job {
                                path,
                                meta: inode.meta,
                                file: f.clone(),
                                blocks,
                                fragment,
                            }),
                            Err(e @ Error::Budget(_)) => return Err(e),
                            Err(e) => out.warn(
                                sb.inode_table,
                                format!("{}: {e}", String::from_utf8_lossy(&path)),
                            ),
                        }
                        continue;
                    }
                    Node::Symlink(target) => Body::Symlink(target),
                    Node::Char(major, minor) => Body::CharDevice {
                        major: *major,
                        minor: *minor,
                    },
                    Node::Block(major, minor) => Body::BlockDevice {
                        major: *major,
                        minor: *minor,
                    },
                    Node::Fifo => Body::Fifo,
                    Node::Socket => Body::Socket,
                };
                emit(out, &path, inode.meta, body)?;
            }
        }
        let frags = Mutex::new(HashMap::new());
        jobs.par_iter()
            .try_for_each(|job| match read_file(data, &sb, job, &frags) {
                Ok(bytes) => emit(out, &job.path, job.meta, Body::File(&bytes)),
                Err(e) => {
                    out.warn(
                        job.file.start,
                        format!("{}: {e}", String::from_utf8_lossy(&job.path)),
                    );
                    Ok(())
                }
            })
    }
}
