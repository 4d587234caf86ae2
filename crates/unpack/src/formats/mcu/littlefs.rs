//! LittleFS v2 (littlefs-project/littlefs `SPEC.md`), the file system of ESP32 / ESP8266 Arduino
//! and ESP-IDF data partitions.
//!
//! Metadata pairs: two blocks, the one with the newer revision count wins. A block is its revision
//! count then commits of tags — 32-bit big-endian, each XOR-ed with the one before (the first with
//! `0xFFFFFFFF`): valid bit, 11-bit type, 10-bit id, 10-bit length — each followed by its data; a
//! CRC tag (CRC-32 without final inversion over the commit) ends a commit. Names (`0x001` file,
//! `0x002` directory, `0x0FF` superblock), structs (`0x200` directory pair, `0x201` inline data,
//! `0x202` CTZ skip list: head block and size), create / delete splices shift ids, a hard tail
//! (`0x601`) continues the directory in another pair. A file in a CTZ list is read from its head
//! back: block `n` starts with `ctz(n) + 1` pointers, the first to block `n - 1`.
//!
//! Only committed (CRC-checked) tags are used. Every block index, size and count is checked
//! against the geometry the superblock gives; directories nest at most 32 deep and at most
//! 65,536 entries are read.

use std::collections::HashSet;

use crate::bytes::{be_u32, crc32_jam, le_u32, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

const MAX_DEPTH: usize = 32;
const MAX_ENTRIES: usize = 65_536;
/// Commits read per block (a block of 4 KiB holds far fewer).
const MAX_TAGS: usize = 4096;

/// Geometry from the superblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub version: u32,
    pub block_size: u32,
    pub block_count: u32,
}

#[derive(Debug, Clone)]
struct Tag {
    ty: u16,
    id: u16,
    data: Vec<u8>,
}

/// The committed tags of one block, in order, and its revision count.
fn block_tags(block: &[u8]) -> Option<(u32, Vec<Tag>)> {
    let rev = le_u32(block, 0)?;
    let mut off = 4usize;
    let mut ptag = 0xFFFF_FFFFu32;
    let mut crc_from = 0usize;
    let mut pending = Vec::new();
    let mut committed = Vec::new();
    let mut any_commit = false;
    for _ in 0..MAX_TAGS {
        let Some(raw) = be_u32(block, off) else { break };
        let tag = raw ^ ptag;
        if tag & 0x8000_0000 != 0 {
            break;
        }
        let size = tag & 0x3FF;
        let dsize = if size == 0x3FF { 0 } else { size as usize };
        let Some(data) = slice(block, off + 4, dsize) else {
            break;
        };
        ptag = tag;
        let ty = ((tag >> 20) & 0x7FF) as u16;
        if ty & 0x780 == 0x500 {
            // CRC tag: the checksum covers the commit up to this tag (inclusive).
            let stored = le_u32(data, 0)?;
            if crc32_jam(&block[crc_from..off + 4]) != stored {
                break;
            }
            committed.append(&mut pending);
            any_commit = true;
            ptag ^= ((tag >> 20) & 1) << 31;
            off += 4 + dsize;
            crc_from = off;
            continue;
        }
        pending.push(Tag {
            ty,
            id: ((tag >> 10) & 0x3FF) as u16,
            data: data.to_vec(),
        });
        off += 4 + dsize;
    }
    any_commit.then_some((rev, committed))
}

/// The newer of a pair's two blocks.
fn pair_tags(data: &[u8], g: &Geometry, pair: [u32; 2]) -> Option<Vec<Tag>> {
    let bs = g.block_size as usize;
    let mut best: Option<(u32, Vec<Tag>)> = None;
    for b in pair {
        if b >= g.block_count {
            continue;
        }
        let Some(block) = slice(data, b as usize * bs, bs) else {
            continue;
        };
        if let Some((rev, tags)) = block_tags(block) {
            let newer = match &best {
                None => true,
                Some((r, _)) => (rev.wrapping_sub(*r) as i32) > 0,
            };
            if newer {
                best = Some((rev, tags));
            }
        }
    }
    best.map(|(_, t)| t)
}

/// An entry of a directory, as its tags leave it.
#[derive(Debug, Clone, Default)]
struct DirEntry {
    name: Vec<u8>,
    /// 0x001 file, 0x002 directory, 0x0FF superblock.
    kind: u16,
    structure: Option<(u16, Vec<u8>)>,
}

/// The entries of the directory starting at `pair`, following hard tails.
fn read_dir(
    data: &[u8],
    g: &Geometry,
    pair: [u32; 2],
    seen: &mut HashSet<[u32; 2]>,
) -> Vec<DirEntry> {
    let mut out = Vec::new();
    let mut next = Some(pair);
    while let Some(p) = next.take() {
        if !seen.insert(p) || seen.len() > MAX_ENTRIES {
            break;
        }
        let Some(tags) = pair_tags(data, g, p) else {
            break;
        };
        let mut entries: Vec<DirEntry> = Vec::new();
        for t in tags {
            let id = usize::from(t.id);
            match t.ty {
                0x401 if id <= entries.len() && entries.len() < MAX_ENTRIES => {
                    entries.insert(id, DirEntry::default());
                }
                0x4FF if id < entries.len() => {
                    entries.remove(id);
                }
                0x001 | 0x002 | 0x0FF => {
                    while entries.len() <= id && entries.len() < MAX_ENTRIES {
                        entries.push(DirEntry::default());
                    }
                    if let Some(e) = entries.get_mut(id) {
                        e.name = t.data;
                        e.kind = t.ty;
                    }
                }
                0x200..=0x202 => {
                    if let Some(e) = entries.get_mut(id) {
                        e.structure = Some((t.ty, t.data));
                    }
                }
                0x601 if t.data.len() >= 8 => {
                    next = Some([
                        le_u32(&t.data, 0).unwrap_or(0),
                        le_u32(&t.data, 4).unwrap_or(0),
                    ]);
                }
                0x600 => next = None,
                _ => {}
            }
        }
        out.extend(entries.into_iter().filter(|e| !e.name.is_empty()));
    }
    out
}

/// Read a CTZ skip-list file.
fn read_ctz(data: &[u8], g: &Geometry, head: u32, size: u32) -> Result<Vec<u8>, String> {
    let bs = g.block_size as u64;
    let size = u64::from(size);
    if size == 0 {
        return Ok(Vec::new());
    }
    if size > bs * u64::from(g.block_count) {
        return Err(format!("file size {size} larger than the file system"));
    }
    // Index of the block holding the last byte (littlefs `lfs_ctz_index`).
    let index = |off: u64| -> u64 {
        let b = bs - 8;
        let i = off / b;
        if i == 0 {
            return 0;
        }
        (off - 4 * (u64::from((i - 1).count_ones()) + 2)) / b
    };
    let last = index(size - 1);
    let mut blocks = vec![0u32; last as usize + 1];
    blocks[last as usize] = head;
    for k in (1..=last as usize).rev() {
        let b = blocks[k];
        if b >= g.block_count {
            return Err(format!("block {b} out of range"));
        }
        blocks[k - 1] = le_u32(data, (u64::from(b) * bs) as usize)
            .ok_or_else(|| format!("block {b} beyond the data"))?;
    }
    let mut out = Vec::with_capacity(size as usize);
    for (k, &b) in blocks.iter().enumerate() {
        if b >= g.block_count {
            return Err(format!("block {b} out of range"));
        }
        let skip = if k == 0 {
            0
        } else {
            4 * (u64::from(k.trailing_zeros()) + 1)
        };
        let want = (bs - skip).min(size - out.len() as u64);
        let at = (u64::from(b) * bs + skip) as usize;
        let chunk =
            slice(data, at, want as usize).ok_or_else(|| format!("block {b} beyond the data"))?;
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// The superblock: name "littlefs" at id 0 and an inline struct with the geometry.
pub fn superblock(data: &[u8]) -> Option<Geometry> {
    // The geometry is not known yet: the first commit of block 0 is read within 4 KiB or less.
    let first = &data[..data.len().min(4096)];
    let (_, tags) = block_tags(first)?;
    let named = tags.iter().any(|t| t.ty == 0x0FF && t.data == b"littlefs");
    let sb = tags.iter().find(|t| t.ty == 0x201 && t.id == 0)?;
    if !named || sb.data.len() < 12 {
        return None;
    }
    let g = Geometry {
        version: le_u32(&sb.data, 0)?,
        block_size: le_u32(&sb.data, 4)?,
        block_count: le_u32(&sb.data, 8)?,
    };
    let major = g.version >> 16;
    if major != 2 || !(128..=1 << 20).contains(&g.block_size) || g.block_count < 2 {
        return None;
    }
    Some(g)
}

/// LittleFS v2.
pub struct LittleFs;

impl Format for LittleFs {
    fn name(&self) -> &'static str {
        "littlefs"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at(8, b"littlefs")];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let g = superblock(data)?;
        let size = u64::from(g.block_size) * u64::from(g.block_count);
        Some(Identified::new(
            Some(size),
            format!(
                "LittleFS v{}.{}, {} blocks of {} bytes{}",
                g.version >> 16,
                g.version & 0xFFFF,
                g.block_count,
                g.block_size,
                if size > data.len() as u64 {
                    " (truncated)"
                } else {
                    ""
                }
            ),
        ))
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let g = superblock(data).ok_or_else(|| Error::malformed(0, "no LittleFS superblock"))?;
        let mut seen = HashSet::new();
        let mut stack: Vec<(Vec<u8>, [u32; 2], usize)> = vec![(Vec::new(), [0, 1], 0)];
        let mut count = 0usize;
        while let Some((prefix, pair, depth)) = stack.pop() {
            for e in read_dir(data, &g, pair, &mut seen) {
                count += 1;
                if count > MAX_ENTRIES {
                    out.warn(
                        0,
                        format!("more than {MAX_ENTRIES} entries: the rest is not read"),
                    );
                    return Ok(());
                }
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&e.name);
                match (e.kind, e.structure) {
                    (0x002, Some((0x200, s))) if s.len() >= 8 => {
                        out.entry(Entry {
                            path: &path,
                            meta: Meta::default(),
                            body: Body::Dir,
                        })?;
                        if depth + 1 >= MAX_DEPTH {
                            out.warn(
                                0,
                                format!("directories nested deeper than {MAX_DEPTH}: not read"),
                            );
                            continue;
                        }
                        let child = [le_u32(&s, 0).unwrap_or(0), le_u32(&s, 4).unwrap_or(0)];
                        stack.push((path, child, depth + 1));
                    }
                    (0x001, Some((0x201, inline))) => {
                        out.entry(Entry {
                            path: &path,
                            meta: Meta::default(),
                            body: Body::File(&inline),
                        })?;
                    }
                    (0x001, Some((0x202, s))) if s.len() >= 8 => {
                        let head = le_u32(&s, 0).unwrap_or(0);
                        let size = le_u32(&s, 4).unwrap_or(0);
                        if u64::from(size) > out.budget() {
                            return Err(Error::Budget(format!("LittleFS file of {size} bytes")));
                        }
                        match read_ctz(data, &g, head, size) {
                            Ok(bytes) => out.entry(Entry {
                                path: &path,
                                meta: Meta::default(),
                                body: Body::File(&bytes),
                            })?,
                            Err(why) => out.warn(
                                u64::from(head) * u64::from(g.block_size),
                                format!("{}: {why}", String::from_utf8_lossy(&path)),
                            ),
                        }
                    }
                    (0x001, None) => {
                        out.entry(Entry {
                            path: &path,
                            meta: Meta::default(),
                            body: Body::File(&[]),
                        })?;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_blocks_never_panic() {
        let mut b = vec![0u8; 512];
        b[8..16].copy_from_slice(b"littlefs");
        for i in 0..64 {
            b[i * 7 % 512] ^= 0xA5;
            let _ = superblock(&b);
            let _ = block_tags(&b);
            let g = Geometry {
                version: 0x20000,
                block_size: 128,
                block_count: 4,
            };
            let _ = read_ctz(&b, &g, 3, 500);
            let _ = read_dir(&b, &g, [0, 1], &mut HashSet::new());
        }
    }
}
