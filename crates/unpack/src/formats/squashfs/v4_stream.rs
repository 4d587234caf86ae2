//! Large SquashFS 4.0 files, read block by block and decompressed in parallel.
//!
//! backhand decodes a file's blocks one after another into one buffer, so a single large file
//! keeps one core busy and sits in memory whole. For files of at least [`STREAM_THRESHOLD`] bytes
//! we read the block list backhand parsed, decompress batches of blocks in parallel (rayon) and
//! hand each batch to the engine as one chunk of a [`Body::Stream`](crate::format::Body::Stream):
//! memory stays at a batch per file and both cores work on the same file. Only the data-block and
//! fragment layouts are read here (plain, documented structures); directories and inodes stay
//! with backhand.

use std::io::Read;

use backhand::traits::filesystem::{BackhandDataSize, BackhandSquashfsFileReader};
use rayon::prelude::*;

use crate::bytes::{le_u16, le_u32, le_u64, slice};
use crate::format::{ChunkSource, Error};

/// Files at least this big are streamed.
pub const STREAM_THRESHOLD: u64 = 4 << 20;
/// Blocks decompressed together per chunk (4 MiB with 128 KiB blocks).
const BATCH_BLOCKS: usize = 32;
const NO_FRAGMENT: u32 = u32::MAX;
/// A metadata block holds at most this many bytes once decompressed.
const METADATA_MAX: usize = 8192;
/// Fragment-table entries per metadata block.
const FRAGMENTS_PER_BLOCK: u32 = 512;

/// What reading data blocks needs from a little-endian v4 superblock.
#[derive(Clone, Copy)]
pub struct Layout {
    compressor: u16,
    block_size: u32,
    frag_count: u32,
    frag_table: u64,
}

impl Layout {
    /// From a superblock already validated by [`super::v4`]; little-endian images only (the
    /// big-endian variants keep the backhand path).
    pub fn little_endian(data: &[u8]) -> Option<Layout> {
        if data.get(..4)? != b"hsqs" {
            return None;
        }
        Some(Layout {
            compressor: le_u16(data, 20)?,
            block_size: le_u32(data, 12)?,
            frag_count: le_u32(data, 16)?,
            frag_table: le_u64(data, 80)?,
        })
    }
}

/// Decompress one block with the image's compressor into at most `max` bytes.
pub fn decompress(compressor: u16, bytes: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let limit = max as u64 + 1;
    let mut out = Vec::with_capacity(max);
    let read = match compressor {
        1 => flate2::bufread::ZlibDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut out),
        2 => {
            let stream =
                liblzma::stream::Stream::new_lzma_decoder(u64::MAX).map_err(|e| e.to_string())?;
            liblzma::bufread::XzDecoder::new_stream(bytes, stream)
                .take(limit)
                .read_to_end(&mut out)
        }
        4 => liblzma::bufread::XzDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut out),
        3 => {
            out.resize(max, 0);
            let (done, err) = rust_lzo::LZOContext::decompress_to_slice(bytes, &mut out);
            if err != rust_lzo::LZOError::OK {
                return Err("LZO decompression failed".to_string());
            }
            let n = done.len();
            out.truncate(n);
            Ok(n)
        }
        5 => {
            out = lz4_flex::block::decompress(bytes, max).map_err(|e| e.to_string())?;
            Ok(out.len())
        }
        6 => {
            out = zstd::bulk::decompress(bytes, max).map_err(|e| e.to_string())?;
            Ok(out.len())
        }
        other => return Err(format!("unknown compressor id {other}")),
    };
    read.map_err(|e| e.to_string())?;
    if out.len() > max {
        return Err(format!("block expands beyond {max} bytes"));
    }
    Ok(out)
}

/// The decompressed contents of the metadata block at `at` (a 2-byte header, then the data).
fn metadata_block(data: &[u8], layout: &Layout, at: u64) -> Result<Vec<u8>, String> {
    let at = usize::try_from(at).map_err(|_| "metadata offset out of range")?;
    let header = le_u16(data, at).ok_or("metadata block beyond the image")?;
    let len = usize::from(header & 0x7fff);
    let raw = slice(data, at + 2, len).ok_or("metadata block beyond the image")?;
    if header & 0x8000 != 0 {
        Ok(raw.to_vec())
    } else {
        decompress(layout.compressor, raw, METADATA_MAX)
    }
}

/// The fragment-table entry `index`: (start, size word).
pub(crate) fn fragment_entry(
    data: &[u8],
    layout: &Layout,
    index: u32,
) -> Result<(u64, u32), String> {
    if index >= layout.frag_count {
        return Err(format!(
            "fragment {index} beyond the table of {}",
            layout.frag_count
        ));
    }
    let table = usize::try_from(layout.frag_table).map_err(|_| "fragment table out of range")?;
    let pointer_at = table
        .checked_add(8 * (index / FRAGMENTS_PER_BLOCK) as usize)
        .ok_or("fragment table out of range")?;
    let block_at = le_u64(data, pointer_at).ok_or("fragment table beyond the image")?;
    let block = metadata_block(data, layout, block_at)?;
    let at = 16 * (index % FRAGMENTS_PER_BLOCK) as usize;
    let start = le_u64(&block, at).ok_or("fragment entry beyond its block")?;
    let size = le_u32(&block, at + 8).ok_or("fragment entry beyond its block")?;
    Ok((start, size))
}

/// A large file's blocks, as a [`ChunkSource`] of decompressed batches.
pub struct BlockStream<'d> {
    data: &'d [u8],
    layout: Layout,
    file_size: u64,
    /// (offset in the image, stored size, stored uncompressed) of each full-size block.
    blocks: Vec<(u64, u32, bool)>,
    frag_index: u32,
    block_offset: u32,
}

impl<'d> BlockStream<'d> {
    pub fn new(data: &'d [u8], layout: Layout, file: &BackhandSquashfsFileReader) -> Option<Self> {
        let (start, frag_index, block_offset, file_size, sizes): (
            u64,
            u32,
            u32,
            u64,
            &[BackhandDataSize],
        ) = match file {
            BackhandSquashfsFileReader::Basic {
                blocks_start,
                frag_index,
                block_offset,
                file_size,
                block_sizes,
            } => (
                *blocks_start,
                *frag_index,
                *block_offset,
                u64::from(*file_size),
                block_sizes,
            ),
            BackhandSquashfsFileReader::Extended {
                blocks_start,
                frag_index,
                block_offset,
                file_size,
                block_sizes,
                ..
            } => (
                *blocks_start,
                *frag_index,
                *block_offset,
                *file_size,
                block_sizes,
            ),
        };
        let mut offset = start;
        let mut blocks = Vec::with_capacity(sizes.len());
        for s in sizes {
            blocks.push((offset, s.size, s.uncompressed));
            offset = offset.checked_add(u64::from(s.size))?;
        }
        Some(BlockStream {
            data,
            layout,
            file_size,
            blocks,
            frag_index,
            block_offset,
        })
    }

    fn batches(&self) -> usize {
        self.blocks.len().div_ceil(BATCH_BLOCKS)
    }

    /// Bytes of block `i` once decompressed: a full block, or what is left of the file.
    fn block_len(&self, i: usize) -> usize {
        let bs = u64::from(self.layout.block_size);
        let start = bs * i as u64;
        self.file_size.saturating_sub(start).min(bs) as usize
    }

    fn block(&self, i: usize) -> Result<Vec<u8>, Error> {
        let (offset, size, uncompressed) = self.blocks[i];
        let want = self.block_len(i);
        if size == 0 {
            return Ok(vec![0; want]); // a sparse block
        }
        let bad = |reason: String| Error::malformed(offset, format!("data block {i}: {reason}"));
        let raw = usize::try_from(offset)
            .ok()
            .and_then(|at| slice(self.data, at, size as usize))
            .ok_or_else(|| bad("beyond the image".into()))?;
        let out = if uncompressed {
            raw.to_vec()
        } else {
            decompress(self.layout.compressor, raw, self.layout.block_size as usize).map_err(bad)?
        };
        if out.len() < want {
            return Err(bad(format!(
                "{} bytes where {want} were expected",
                out.len()
            )));
        }
        let mut out = out;
        out.truncate(want);
        Ok(out)
    }

    /// The tail kept in a fragment block.
    fn tail(&self) -> Result<Vec<u8>, Error> {
        let full = self.blocks.len() as u64 * u64::from(self.layout.block_size);
        let want = self.file_size.saturating_sub(full) as usize;
        let bad =
            |reason: String| Error::malformed(0, format!("fragment {}: {reason}", self.frag_index));
        let (start, word) =
            fragment_entry(self.data, &self.layout, self.frag_index).map_err(bad)?;
        let size = word & !(1 << 24);
        let raw = usize::try_from(start)
            .ok()
            .and_then(|at| slice(self.data, at, size as usize))
            .ok_or_else(|| bad("beyond the image".into()))?;
        let block = if word & (1 << 24) != 0 {
            raw.to_vec()
        } else {
            decompress(self.layout.compressor, raw, self.layout.block_size as usize).map_err(bad)?
        };
        let from = self.block_offset as usize;
        block
            .get(from..from.saturating_add(want))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| bad(format!("tail {from}+{want} beyond the fragment block")))
    }
}

impl ChunkSource for BlockStream<'_> {
    fn chunk(&self, index: usize) -> Option<Result<Vec<u8>, Error>> {
        let batches = self.batches();
        if index < batches {
            let first = index * BATCH_BLOCKS;
            let last = (first + BATCH_BLOCKS).min(self.blocks.len());
            let decoded: Result<Vec<Vec<u8>>, Error> = (first..last)
                .into_par_iter()
                .map(|i| self.block(i))
                .collect();
            return Some(decoded.map(|parts| parts.concat()));
        }
        if index == batches && self.frag_index != NO_FRAGMENT {
            return Some(self.tail());
        }
        None
    }
}
