//! cramfs: a 64-byte superblock (either byte order) with a signature string, the image size, and
//! for version 2 a CRC-32 of the whole image computed with the CRC field zeroed. The superblock may
//! follow 512 bytes of boot code (`mkfs.cramfs -p`); offsets always count from the image start.
//!
//! Inodes are 12 bytes of bit fields (mode 16, uid 16; size 24, gid 8; name length 6 in 4-byte
//! units, offset 26 in 4-byte units), laid out by the compiler of the host that made the image: low
//! bits first in little-endian images, high bits first in big-endian ones. A directory's offset
//! points at its entries (inode + padded name), a file's or symlink's at a table of block pointers,
//! one per block of the page size the image was made for, each the end of a zlib block (a block
//! of length zero is a hole). Images with extended block pointers (XIP images for MMU-less
//! systems, flag 0x800) may mark a pointer "direct" (the block's start, shifted by 2) and/or
//! "uncompressed", as Linux's `cramfs_read_folio` reads them. Device numbers sit in the size field.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::bytes::{c_string, slice, Endian};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{join, FileType, MAX_DEPTH, MAX_ENTRIES};

const FLAG_FSID_V2: u32 = 0x1;
const FLAG_SORTED_DIRS: u32 = 0x2;
const FLAG_HOLES: u32 = 0x100;
const FLAG_WRONG_SIGNATURE: u32 = 0x200;
const FLAG_SHIFTED_ROOT: u32 = 0x400;
const FLAG_EXT_BLOCK_POINTERS: u32 = 0x800;
const KNOWN_FLAGS: u32 = FLAG_FSID_V2
    | FLAG_SORTED_DIRS
    | FLAG_HOLES
    | FLAG_WRONG_SIGNATURE
    | FLAG_SHIFTED_ROOT
    | FLAG_EXT_BLOCK_POINTERS;

const BLK_FLAG_UNCOMPRESSED: u32 = 1 << 31;
const BLK_FLAG_DIRECT_PTR: u32 = 1 << 30;
const BLK_FLAGS: u32 = BLK_FLAG_UNCOMPRESSED | BLK_FLAG_DIRECT_PTR;
const BLK_DIRECT_PTR_SHIFT: u32 = 2;

const SUPER_SIZE: usize = 76;
/// Where the superblock sits behind boot code (`mkfs.cramfs -p`).
const PADDED_AT: usize = 512;
const INODE_SIZE: usize = 12;
/// Page sizes an image may have been made for, most common first.
const BLOCK_SIZES: [usize; 6] = [4096, 16384, 65536, 8192, 32768, 2048];

const MAGIC_LE: [u8; 4] = [0x45, 0x3d, 0xcd, 0x28];
const MAGIC_BE: [u8; 4] = [0x28, 0xcd, 0x3d, 0x45];

/// cramfs (both byte orders, v1 and v2, extended block pointers).
pub struct Cramfs;

impl Format for Cramfs {
    fn name(&self) -> &'static str {
        "cramfs"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at_start(&MAGIC_LE),
            Magic::at_start(&MAGIC_BE),
            Magic::at(PADDED_AT, &MAGIC_LE),
            Magic::at(PADDED_AT, &MAGIC_BE),
        ];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        extract(data, out)
    }
}

/// The superblock's offset and byte order: at the start, or behind 512 bytes of boot code.
fn locate(data: &[u8]) -> Option<(usize, Endian)> {
    let endian = |at: usize| match data.get(at..at + 4)? {
        m if m == MAGIC_LE => Some(Endian::Little),
        m if m == MAGIC_BE => Some(Endian::Big),
        _ => None,
    };
    if let Some(e) = endian(0) {
        return Some((0, e));
    }
    let e = endian(PADDED_AT)?;
    // Behind boot code the root directory must follow the superblock (the kernel's own check).
    let root = Inode::parse(data, PADDED_AT + 64, e)?;
    (root.offset == PADDED_AT + SUPER_SIZE || root.offset == 0).then_some((PADDED_AT, e))
}

fn identify(data: &[u8]) -> Option<Identified> {
    let (sb, e) = locate(data)?;
    if slice(data, sb + 16, 16)? != b"Compressed ROMFS" {
        return None;
    }
    let size = usize::try_from(e.u32(data, sb + 4)?).ok()?;
    let flags = e.u32(data, sb + 8)?;
    if flags & !KNOWN_FLAGS != 0 || size < sb + SUPER_SIZE {
        return None;
    }
    let (files, blocks, edition) = (
        e.u32(data, sb + 44)?,
        e.u32(data, sb + 40)?,
        e.u32(data, sb + 36)?,
    );
    let name = c_string(slice(data, sb + 48, 16)?);
    let mut description = format!(
        "cramfs {} {}, {files} files, {blocks} blocks, edition {edition}, name \"{}\", flags {flags:#x}",
        if flags & FLAG_FSID_V2 != 0 { "v2" } else { "v1" },
        e.name(),
        name.escape_default()
    );
    if sb == PADDED_AT {
        description.push_str(", behind 512 bytes of boot code");
    }
    if flags & FLAG_EXT_BLOCK_POINTERS != 0 {
        description.push_str(" (extended block pointers / XIP)");
    }
    if flags & FLAG_FSID_V2 != 0 {
        // The whole image must be present and its CRC (from the superblock on) must match.
        let image = slice(data, 0, size)?;
        if !crate::format::identify_work(size as u64) {
            return None;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&image[sb..sb + 32]);
        h.update(&[0; 4]);
        h.update(&image[sb + 36..]);
        if h.finalize() != e.u32(data, sb + 32)? {
            return None;
        }
        description.push_str(", CRC ok");
    } else if size > data.len() {
        return None;
    }
    Some(Identified::new(Some(size as u64), description))
}

/// One 12-byte inode.
#[derive(Debug, Clone, Copy)]
struct Inode {
    mode: u32,
    uid: u32,
    gid: u32,
    /// File size, or a device's number.
    size: u32,
    /// Name length in bytes (a multiple of 4).
    namelen: usize,
    /// Byte offset of the entries or the block pointers.
    offset: usize,
}

impl Inode {
    fn parse(data: &[u8], at: usize, e: Endian) -> Option<Inode> {
        let (w0, w1, w2) = (e.u32(data, at)?, e.u32(data, at + 4)?, e.u32(data, at + 8)?);
        Some(match e {
            Endian::Little => Inode {
                mode: w0 & 0xffff,
                uid: w0 >> 16,
                size: w1 & 0xff_ffff,
                gid: w1 >> 24,
                namelen: ((w2 & 0x3f) as usize) << 2,
                offset: ((w2 >> 6) as usize) << 2,
            },
            Endian::Big => Inode {
                mode: w0 >> 16,
                uid: w0 & 0xffff,
                size: w1 >> 8,
                gid: w1 & 0xff,
                namelen: ((w2 >> 26) as usize) << 2,
                offset: ((w2 & 0x03ff_ffff) as usize) << 2,
            },
        })
    }

    fn meta(&self) -> Meta {
        // cramfs records no times.
        Meta {
            mtime: None,
            ..Meta::new(self.mode, self.uid, self.gid, 0)
        }
    }
}

struct Image<'a> {
    data: &'a [u8],
    e: Endian,
    block_size: usize,
}

/// Files with at least this many blocks have them decoded in parallel.
const PARALLEL_BLOCKS: usize = 64;

/// Why a file's data could not be read.
type ReadError = (u64, String);

impl Image<'_> {
    fn u32(&self, at: usize) -> Result<u32, ReadError> {
        self.e
            .u32(self.data, at)
            .ok_or((at as u64, "block pointer beyond the image".into()))
    }

    /// The contents of a file or symlink, `size` bytes from the block pointers at `offset`.
    fn read(&self, ino: &Inode) -> Result<Vec<u8>, ReadError> {
        let size = ino.size as usize;
        let bs = self.block_size;
        let blocks = size.div_ceil(bs);
        let table = ino.offset;
        if size > 0 && slice(self.data, table, blocks * 4).is_none() {
            return Err((table as u64, "block pointer table beyond the image".into()));
        }
        let decode = |i: usize| {
            let want = bs.min(size - i * bs);
            match self.block(table, blocks, i, want)? {
                Some(b) if b.len() != want => Err((
                    (table + 4 * i) as u64,
                    format!("block {i} holds {} bytes, not {want}", b.len()),
                )),
                b => Ok((b, want)),
            }
        };
        // A big file's blocks decode in parallel (each is its own zlib stream), so one large file
        // does not leave the other cores idle while the small ones are long done.
        let decoded: Vec<_> = if blocks >= PARALLEL_BLOCKS {
            (0..blocks).into_par_iter().map(decode).collect()
        } else {
            (0..blocks).map(decode).collect()
        };
        let mut out = Vec::with_capacity(size);
        for block in decoded {
            match block? {
                (None, want) => out.resize(out.len() + want, 0),
                (Some(b), _) => out.extend_from_slice(&b),
            }
        }
        Ok(out)
    }

    /// Block `i` of a file whose pointer table (of `blocks` entries) is at `table`: its data,
    /// or `None` for a hole.
    fn block(
        &self,
        table: usize,
        blocks: usize,
        i: usize,
        want: usize,
    ) -> Result<Option<Vec<u8>>, ReadError> {
        let at = table + 4 * i;
        let ptr = self.u32(at)?;
        let uncompressed = ptr & BLK_FLAG_UNCOMPRESSED != 0;
        let direct = ptr & BLK_FLAG_DIRECT_PTR != 0;
        let ptr = (ptr & !BLK_FLAGS) as usize;
        let (start, len) = if direct {
            let start = ptr << BLK_DIRECT_PTR_SHIFT;
            if uncompressed {
                (start, want)
            } else {
                let len = self
                    .e
                    .u16(self.data, start)
                    .ok_or((at as u64, "direct block beyond the image".into()))?;
                (start + 2, usize::from(len))
            }
        } else {
            // The block ends at the pointer and starts where the previous one ended.
            let start = if i == 0 {
                table + blocks * 4
            } else {
                let prev = self.u32(at - 4)?;
                let prev_start = ((prev & !BLK_FLAGS) as usize) << BLK_DIRECT_PTR_SHIFT;
                if prev & BLK_FLAG_DIRECT_PTR == 0 {
                    (prev & !BLK_FLAGS) as usize
                } else if prev & BLK_FLAG_UNCOMPRESSED != 0 {
                    prev_start + self.block_size
                } else {
                    let len = self
                        .e
                        .u16(self.data, prev_start)
                        .ok_or((at as u64, "direct block beyond the image".into()))?;
                    prev_start + 2 + usize::from(len)
                }
            };
            let len = ptr.checked_sub(start).ok_or((
                at as u64,
                format!("block {i} ends at {ptr:#x}, before it starts at {start:#x}"),
            ))?;
            (start, len)
        };
        if len == 0 {
            return Ok(None);
        }
        if len > 2 * self.block_size || (uncompressed && len > self.block_size) {
            return Err((at as u64, format!("block {i} is {len} bytes long")));
        }
        let src = slice(self.data, start, len)
            .ok_or((start as u64, format!("block {i} runs past the image")))?;
        if uncompressed {
            return Ok(Some(src.to_vec()));
        }
        inflate(src, self.block_size)
            .map(Some)
            .ok_or((start as u64, format!("block {i} does not inflate")))
    }
}

/// A zlib block, at most `limit` bytes out.
fn inflate(src: &[u8], limit: usize) -> Option<Vec<u8>> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut d = Decompress::new(true);
    let mut out = Vec::with_capacity(limit);
    match d.decompress_vec(src, &mut out, FlushDecompress::Finish) {
        Ok(Status::StreamEnd) => Some(out),
        // Output full before the end: more than a block, or a truncated stream.
        _ => None,
    }
}

/// The entries of a directory: (name, inode, offset of the entry).
fn list(data: &[u8], dir: &Inode, e: Endian) -> Result<Vec<(Vec<u8>, Inode, usize)>, ReadError> {
    let mut entries = Vec::new();
    let mut at = dir.offset;
    let end = dir.offset.saturating_add(dir.size as usize);
    while at < end {
        let ino = Inode::parse(data, at, e).ok_or((at as u64, "entry beyond the image".into()))?;
        if ino.namelen == 0 {
            return Err((at as u64, "entry without a name".into()));
        }
        let field = slice(data, at + INODE_SIZE, ino.namelen)
            .ok_or((at as u64, "name beyond the image".into()))?;
        let name = &field[..memchr::memchr(0, field).unwrap_or(field.len())];
        entries.push((name.to_vec(), ino, at));
        at += INODE_SIZE + ino.namelen;
    }
    Ok(entries)
}

/// The page size the image was made for: the one under which the first blocks of a few files
/// decode to exactly a block.
fn detect_block_size(data: &[u8], e: Endian, files: &[Inode]) -> Option<usize> {
    let mut sample: Vec<&Inode> = files.iter().filter(|f| f.size > 2048).collect();
    sample.sort_by_key(|f| std::cmp::Reverse(f.size));
    sample.truncate(8);
    if sample.is_empty() {
        return Some(4096);
    }
    BLOCK_SIZES.into_iter().find(|&bs| {
        let img = Image {
            data,
            e,
            block_size: bs,
        };
        sample.iter().all(|f| {
            let size = f.size as usize;
            let blocks = size.div_ceil(bs);
            let want = bs.min(size);
            match img.block(f.offset, blocks, 0, want) {
                Ok(Some(b)) => b.len() == want,
                Ok(None) => true,
                Err(_) => false,
            }
        })
    })
}

struct Node {
    path: Vec<u8>,
    ino: Inode,
}

fn extract(data: &[u8], out: &dyn Emit) -> Result<(), Error> {
    let (sb, e) = locate(data).ok_or_else(|| Error::malformed(0, "no cramfs superblock"))?;
    let root = Inode::parse(data, sb + 64, e)
        .ok_or_else(|| Error::malformed(sb as u64 + 64, "root inode beyond the image"))?;
    if FileType::from_mode(root.mode) != FileType::Dir {
        return Err(Error::malformed(
            sb as u64 + 64,
            "the root is not a directory",
        ));
    }
    // Walk the tree first: directories and special files are emitted as found; files and
    // symlinks need the block size, known once a few files have been seen.
    let mut nodes: Vec<Node> = Vec::new();
    let mut visited = HashSet::new();
    let mut stack = vec![(root, Vec::new(), 0usize)];
    let mut entries = 0usize;
    while let Some((dir, dir_path, depth)) = stack.pop() {
        if dir.size > 0 && !visited.insert(dir.offset) {
            out.warn(
                dir.offset as u64,
                format!(
                    "cramfs: {}: directory loop, not followed",
                    String::from_utf8_lossy(&dir_path)
                ),
            );
            continue;
        }
        let listing = match list(data, &dir, e) {
            Ok(l) => l,
            Err((at, reason)) => {
                out.warn(
                    at,
                    format!(
                        "cramfs: directory {}: {reason}",
                        String::from_utf8_lossy(&dir_path)
                    ),
                );
                continue;
            }
        };
        let mut subdirs = Vec::new();
        for (name, ino, at) in listing {
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(Error::malformed(at as u64, "too many directory entries"));
            }
            let path = join(&dir_path, &name);
            let (major, minor) = crate::formats::squashfs::split_dev(ino.size);
            let body = match FileType::from_mode(ino.mode) {
                FileType::Dir => {
                    if depth + 1 >= MAX_DEPTH {
                        out.warn(
                            at as u64,
                            format!(
                                "cramfs: {}: directories nested too deep",
                                String::from_utf8_lossy(&path)
                            ),
                        );
                        continue;
                    }
                    subdirs.push((ino, path.clone(), depth + 1));
                    Body::Dir
                }
                FileType::File | FileType::Symlink => {
                    nodes.push(Node { path, ino });
                    continue;
                }
                FileType::Char => Body::CharDevice { major, minor },
                FileType::Block => Body::BlockDevice { major, minor },
                FileType::Fifo => Body::Fifo,
                FileType::Socket => Body::Socket,
                FileType::Unknown => {
                    out.warn(
                        at as u64,
                        format!(
                            "cramfs: {}: unknown file type in mode {:#o}",
                            String::from_utf8_lossy(&path),
                            ino.mode
                        ),
                    );
                    continue;
                }
            };
            out.entry(Entry {
                path: &path,
                meta: ino.meta(),
                body,
            })?;
        }
        stack.extend(subdirs.into_iter().rev());
    }

    let files: Vec<Inode> = nodes
        .iter()
        .filter(|n| FileType::from_mode(n.ino.mode) == FileType::File)
        .map(|n| n.ino)
        .collect();
    let block_size = detect_block_size(data, e, &files).unwrap_or_else(|| {
        out.warn(
            0,
            "cramfs: block size not recognised (no page size makes the first blocks decode); assuming 4 KiB"
                .into(),
        );
        4096
    });
    let total = nodes
        .iter()
        .fold(0u64, |n, f| n.saturating_add(u64::from(f.ino.size)));
    if total > out.budget() {
        return Err(Error::Budget(format!(
            "cramfs files declare {total} bytes, beyond the remaining budget"
        )));
    }
    let img = Image {
        data,
        e,
        block_size,
    };
    nodes.par_iter().try_for_each(|n| {
        let path = String::from_utf8_lossy(&n.path);
        let bytes = match img.read(&n.ino) {
            Ok(b) => b,
            Err((at, reason)) => {
                out.warn(at, format!("cramfs: {path}: {reason}"));
                return Ok(());
            }
        };
        let body = if FileType::from_mode(n.ino.mode) == FileType::Symlink {
            Body::Symlink(&bytes)
        } else {
            Body::File(&bytes)
        };
        out.entry(Entry {
            path: &n.path,
            meta: n.ino.meta(),
            body,
        })
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile_extract, noise, only};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fixtures() {
        for (file, files) in [
            ("formats/binwalk__cramfs.bin", 2),
            ("formats/sevenz__cramfs.img", 5),
            ("real/esp32s3-rootfs-xip.cramfs", 401),
        ] {
            let data = corpus_bytes(file);
            let id = Cramfs.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(id.size, Some(data.len() as u64));
            assert!(
                id.description
                    .starts_with(&format!("cramfs v2 LE, {files} files")),
                "{}",
                id.description
            );
            assert!(id.description.ends_with("CRC ok"), "{}", id.description);
            only(&Cramfs, &data);
        }
        let xip = corpus_bytes("real/esp32s3-rootfs-xip.cramfs");
        assert!(Cramfs
            .identify(&xip)
            .unwrap()
            .description
            .contains("flags 0x803 (extended block pointers / XIP)"));
    }

    #[test]
    fn crc_and_hostile_inputs() {
        let data = corpus_bytes("formats/sevenz__cramfs.img");
        let mut bad = data.clone();
        bad[2000] ^= 1;
        assert!(Cramfs.identify(&bad).is_none(), "CRC must be checked");
        assert!(
            Cramfs.identify(&data[..4095]).is_none(),
            "truncated v2 image"
        );
        hostile_extract(&Cramfs, &data);
        let mut junk = noise(4096, 8);
        junk[..4].copy_from_slice(&[0x28, 0xcd, 0x3d, 0x45]);
        junk[16..32].copy_from_slice(b"Compressed ROMFS");
        assert!(Cramfs.identify(&junk).is_none());
    }
}
