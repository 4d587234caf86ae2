//! SquashFS 4.0 through `backhand`.
//!
//! `identify` validates the superblock itself (cheap, no decompression) so the engine can call it
//! on every `hsqs`/`sqsh` hit; `extract` hands the slice to backhand, picking the backhand "kind"
//! from the endianness and compressor (LZMA needs backhand's dedicated kinds; big-endian images
//! are tried as standard BE first, then as AVM/Fritz!Box, whose superblock is BE but whose other
//! structures are LE). backhand is third-party code fed hostile bytes, so every call into it runs
//! under `catch_unwind`: a panic there becomes `Malformed` instead of taking the engine down.

use std::io::Cursor;
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use backhand::kind::Kind;
use backhand::traits::filesystem::{BackhandInnerNode, BackhandNode};
use backhand::FilesystemReaderTrait;
use rayon::prelude::*;

use super::v4_stream::{fragment_entry, BlockStream, Layout, STREAM_THRESHOLD};
use super::{date, emit, kib, split_dev};
use crate::bytes::Endian;
use crate::format::{Body, Emit, Error, Format, Identified, Kind as FormatKind, Magic, Meta};

/// SquashFS 4.0, little- or big-endian (including AVM's variant).
pub struct SquashfsV4;

const SUPERBLOCK_LEN: u64 = 96;
const NO_TABLE: u64 = u64::MAX;

/// The validated fields of a v4 superblock.
struct Super {
    endian: Endian,
    inodes: u32,
    mtime: u32,
    block_size: u32,
    compressor: u16,
    bytes_used: u64,
}

fn compressor_name(id: u16) -> &'static str {
    match id {
        1 => "gzip",
        2 => "lzma",
        3 => "lzo",
        4 => "xz",
        5 => "lz4",
        6 => "zstd",
        _ => "unknown",
    }
}

/// Parse and check a v4 superblock at `data[0]`; `None` unless every field is consistent.
fn superblock(data: &[u8]) -> Option<Super> {
    let endian = match data.get(..4)? {
        b"hsqs" => Endian::Little,
        b"sqsh" => Endian::Big,
        _ => return None,
    };
    let u16_at = |at| endian.u16(data, at);
    let u32_at = |at| endian.u32(data, at);
    let u64_at = |at| endian.u64(data, at);
    if u16_at(28)? != 4 || u16_at(30)? != 0 {
        return None;
    }
    let inodes = u32_at(4)?;
    let block_size = u32_at(12)?;
    let compressor = u16_at(20)?;
    let block_log = u16_at(22)?;
    let id_count = u16_at(26)?;
    let root_inode = u64_at(32)?;
    let bytes_used = u64_at(40)?;
    let id_table = u64_at(48)?;
    let xattr_table = u64_at(56)?;
    let inode_table = u64_at(64)?;
    let dir_table = u64_at(72)?;
    let frag_table = u64_at(80)?;
    let export_table = u64_at(88)?;
    let sane = block_size.is_power_of_two()
        && (4096..=1 << 20).contains(&block_size)
        && u32::from(block_log) == block_size.trailing_zeros()
        && (1..=6).contains(&compressor)
        && inodes > 0
        && id_count > 0
        && bytes_used >= SUPERBLOCK_LEN
        && bytes_used <= data.len() as u64
        && inode_table >= SUPERBLOCK_LEN
        && inode_table < dir_table
        && dir_table < bytes_used
        && id_table >= SUPERBLOCK_LEN
        && id_table < bytes_used
        && [xattr_table, frag_table, export_table]
            .iter()
            .all(|&t| t == NO_TABLE || (t >= SUPERBLOCK_LEN && t < bytes_used))
        // The root inode reference: metadata block offset inside the inode table, offset < 8 KiB.
        && (root_inode >> 16) < dir_table - inode_table
        && (root_inode & 0xffff) < 8192;
    sane.then(|| Super {
        endian,
        inodes,
        mtime: u32_at(8).unwrap_or(0),
        block_size,
        compressor,
        bytes_used,
    })
}

/// The backhand kinds worth trying for this superblock, most likely first.
fn kinds(sb: &Super) -> Vec<(&'static str, &'static str)> {
    match (sb.endian, sb.compressor) {
        (Endian::Little, 2) => vec![("le_v4_0_lzma", "LE")],
        (Endian::Little, _) => vec![("le_v4_0", "LE")],
        (Endian::Big, 2) => vec![("be_v4_0_lzma", "BE")],
        (Endian::Big, _) => vec![("be_v4_0", "BE"), ("avm_be_v4_0", "BE (AVM)")],
    }
}

impl Format for SquashfsV4 {
    fn name(&self) -> &'static str {
        "squashfs"
    }
    fn kind(&self) -> FormatKind {
        FormatKind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(b"hsqs"), Magic::at_start(b"sqsh")];
        M
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let sb = superblock(data)?;
        Some(Identified::new(
            Some(sb.bytes_used),
            format!(
                "v4.0 {}, {}, {} inodes, block {}, built {}",
                sb.endian.name(),
                compressor_name(sb.compressor),
                sb.inodes,
                kib(sb.block_size),
                date(i64::from(sb.mtime))
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let sb = superblock(data)
            .ok_or_else(|| Error::malformed(0, "invalid SquashFS 4.0 superblock"))?;
        let data = data
            .get(..usize::try_from(sb.bytes_used).unwrap_or(usize::MAX))
            .unwrap_or(data);
        let mut last_error = String::new();
        for (target, _label) in kinds(&sb) {
            let Ok(kind) = Kind::from_target(target) else {
                continue;
            };
            let opened = catch_unwind(AssertUnwindSafe(|| {
                backhand::create_squashfs_from_kind(Cursor::new(data), 0, kind)
            }));
            match opened {
                Ok(Ok(fs)) => {
                    // Large files of little-endian images are read block-parallel (v4_stream).
                    let layout = if sb.endian == Endian::Little {
                        Layout::little_endian(data)
                    } else {
                        None
                    };
                    return extract_fs(fs.as_ref(), data, layout, out);
                }
                Ok(Err(e)) => last_error = format!("{target}: {}", backhand_reason(&e)),
                Err(_) => last_error = format!("{target}: the SquashFS reader panicked"),
            }
        }
        Err(Error::malformed(
            0,
            format!("cannot read the SquashFS 4.0 tables ({last_error})"),
        ))
    }
}

fn meta(node: &BackhandNode) -> Meta {
    Meta::new(
        u32::from(node.header.permissions),
        node.header.uid,
        node.header.gid,
        i64::from(node.header.mtime),
    )
}

/// Path bytes without the leading `/` backhand puts on every node.
fn rel_path(node: &BackhandNode) -> &[u8] {
    let raw = node.fullpath.as_os_str().as_bytes();
    raw.strip_prefix(b"/").unwrap_or(raw)
}

/// Emit every node: the tree first (so directories exist before their files), then file contents
/// decompressed in parallel.
fn extract_fs(
    fs: &dyn FilesystemReaderTrait,
    data: &[u8],
    layout: Option<Layout>,
    out: &dyn Emit,
) -> Result<(), Error> {
    let nodes: Vec<BackhandNode> = catch_unwind(AssertUnwindSafe(|| fs.files().collect()))
        .map_err(|_| Error::malformed(0, "the SquashFS reader panicked while listing files"))?;
    let mut files = Vec::new();
    for node in &nodes {
        let path = rel_path(node);
        let body = match &node.inner {
            BackhandInnerNode::File(_) => {
                files.push(node);
                continue;
            }
            BackhandInnerNode::Dir if path.is_empty() => continue,
            BackhandInnerNode::Dir => Body::Dir,
            BackhandInnerNode::Symlink { link } => Body::Symlink(link.as_os_str().as_bytes()),
            BackhandInnerNode::CharacterDevice { device_number } => {
                let (major, minor) = split_dev(*device_number);
                Body::CharDevice { major, minor }
            }
            BackhandInnerNode::BlockDevice { device_number } => {
                let (major, minor) = split_dev(*device_number);
                Body::BlockDevice { major, minor }
            }
            BackhandInnerNode::NamedPipe => Body::Fifo,
            BackhandInnerNode::Socket => Body::Socket,
        };
        emit(out, path, meta(node), body)?;
    }
    files.par_iter().try_for_each(|node| {
        let BackhandInnerNode::File(file) = &node.inner else {
            return Ok(());
        };
        let declared = file.file_len() as u64;
        if let Some(layout) = layout.filter(|_| declared >= STREAM_THRESHOLD) {
            if let Some(stream) = BlockStream::new(data, layout, file) {
                let body = Body::Stream {
                    size: declared,
                    chunks: &stream,
                };
                return emit(out, rel_path(node), meta(node), body);
            }
        }
        if declared > out.budget() {
            return Err(Error::Budget(format!(
                "SquashFS file {} declares {declared} bytes, beyond the remaining budget",
                String::from_utf8_lossy(rel_path(node))
            )));
        }
        let mut writer = Bounded {
            buf: Vec::with_capacity(declared.min(STREAM_THRESHOLD) as usize),
            limit: declared,
        };
        let read = catch_unwind(AssertUnwindSafe(|| {
            fs.file_data_to_writer(file, &mut writer)
        }));
        match read {
            Ok(Ok(_)) => emit(out, rel_path(node), meta(node), Body::File(&writer.buf)),
            Ok(Err(e)) => {
                out.warn(
                    data_offset(data, layout, file),
                    format!(
                        "{}: {}",
                        String::from_utf8_lossy(rel_path(node)),
                        backhand_reason(&e)
                    ),
                );
                Ok(())
            }
            Err(_) => {
                out.warn(
                    data_offset(data, layout, file),
                    format!(
                        "{}: the SquashFS reader panicked",
                        String::from_utf8_lossy(rel_path(node))
                    ),
                );
                Ok(())
            }
        }
    })
}

/// Where a file's data lies in the image, for warnings: its first block, or for a file held
/// whole in a fragment, that fragment's block (when the fragment table can be read).
fn data_offset(
    data: &[u8],
    layout: Option<Layout>,
    file: &backhand::traits::filesystem::BackhandSquashfsFileReader,
) -> u64 {
    let in_fragment_only = file.block_sizes().is_empty() && file.frag_index() != u32::MAX as usize;
    layout
        .filter(|_| in_fragment_only)
        .and_then(|l| fragment_entry(data, &l, u32::try_from(file.frag_index()).ok()?).ok())
        .map_or(file.blocks_start(), |(at, _)| at)
}

/// Why backhand failed. Built without its `error-strings` feature (which would pull in a logging
/// framework), its errors display as nothing, so the reason is read from the variant.
fn backhand_reason(e: &backhand::BackhandError) -> String {
    use backhand::BackhandError as E;
    match e {
        E::StdIo(io) if io.to_string().is_empty() => format!("read failed ({:?})", io.kind()),
        E::StdIo(io) => format!("data unreadable: {io}"),
        E::Deku(_) => "a structure does not parse".into(),
        E::StringUtf8(_) | E::StrUtf8(_) => "a name is not valid UTF-8".into(),
        E::UnsupportedCompression(c) => format!("unsupported compression {c}"),
        E::MissingCompressor => "no compressor for this image".into(),
        E::FileNotFound => "file not found".into(),
        E::Unreachable | E::UnexpectedInode | E::UnsupportedInode => {
            "unexpected or unsupported inode".into()
        }
        E::CorruptedOrInvalidSquashfs => {
            "corrupted data (a block does not decompress or is out of place)".into()
        }
        E::InvalidCompressionOption => "invalid compression options".into(),
        E::InvalidFilePath | E::UndefineFileName | E::DuplicatedFileName => {
            "invalid, missing or duplicated file name".into()
        }
        E::TryReserveError(_) => "a declared size is too large to allocate".into(),
        E::InvalidIdTable | E::IdNotFoundInTable => "owner id missing from the id table".into(),
        E::UnsupportedSquashfsVersion(major, minor) => {
            format!("unsupported SquashFS version {major}.{minor}")
        }
        E::NumericConversion(what) => format!("numeric field out of range: {what}"),
        E::SystemTime(_) => "invalid time".into(),
        E::MutexPoisoned => "internal lock poisoned".into(),
        E::InternalState(what) => format!("internal state error: {what}"),
        E::CompressionInit(what) => format!("decompressor could not start: {what}"),
    }
}

/// A writer that refuses to grow past the size the inode declares.
struct Bounded {
    buf: Vec<u8>,
    limit: u64,
}

impl std::io::Write for Bounded {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if (self.buf.len() as u64).saturating_add(b.len() as u64) > self.limit {
            return Err(std::io::Error::other(
                "file data longer than its inode declares",
            ));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
