//! LZ4: the frame format (decoded by `lz4_flex::frame::FrameDecoder`, which checks the header,
//! block and content checksums) and the legacy format Linux kernels use (parsed here: the magic,
//! then chunks of a 32-bit compressed size and an LZ4 block of at most 8 MiB output, each decoded
//! by `lz4_flex::block`).
//!
//! The frame's length is found by walking its block sizes before decoding, and the decoder is given
//! exactly that slice, since `FrameDecoder` would otherwise read on into the next frame.

use lz4_flex::frame::FrameDecoder;

use super::stream::{self, Decoded, End};
use crate::bytes::{le_u32, read_bounded_partial};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

pub const FRAME_MAGIC: &[u8] = b"\x04\x22\x4d\x18";
pub const LEGACY_MAGIC: &[u8] = b"\x02\x21\x4c\x18";
const LEGACY_MAGIC_U32: u32 = 0x184c_2102;
/// Output of every legacy chunk but the last.
const LEGACY_CHUNK: usize = 8 << 20;
/// LZ4_compressBound(8 MiB): the largest legal compressed chunk.
const LEGACY_BOUND: usize = LEGACY_CHUNK + LEGACY_CHUNK / 255 + 16;

/// What walking a frame's block sizes found.
enum Walk {
    /// The frame ends here.
    End(usize),
    /// The data ends inside the frame.
    Truncated,
    /// An impossible block size at this offset.
    Bad(usize),
}

/// Parsed frame descriptor.
struct FrameHeader {
    len: usize,
    max_block: usize,
    block_checksums: bool,
    content_checksum: bool,
    content_size: Option<u64>,
}

fn frame_header(data: &[u8]) -> Option<FrameHeader> {
    if data.get(..4)? != FRAME_MAGIC {
        return None;
    }
    let flg = *data.get(4)?;
    let bd = *data.get(5)?;
    // Version 01, reserved bits clear, block size code 4..=7.
    if flg >> 6 != 1 || flg & 0x02 != 0 || bd & 0x8f != 0 || (bd >> 4) < 4 {
        return None;
    }
    let max_block = (64usize << 10) << (2 * usize::from((bd >> 4) - 4));
    let has_size = flg & 0x08 != 0;
    let len = 7 + if has_size { 8 } else { 0 } + if flg & 0x01 != 0 { 4 } else { 0 };
    if len > data.len() {
        return None;
    }
    Some(FrameHeader {
        len,
        max_block,
        block_checksums: flg & 0x10 != 0,
        content_checksum: flg & 0x04 != 0,
        content_size: if has_size {
            crate::bytes::le_u64(data, 6)
        } else {
            None
        },
    })
}

fn walk_frame(data: &[u8], h: &FrameHeader) -> Walk {
    let mut pos = h.len;
    // Every iteration advances by at least 4 bytes, so this ends within data.len() / 4 steps.
    loop {
        let Some(word) = le_u32(data, pos) else {
            return Walk::Truncated;
        };
        let at = pos;
        pos += 4;
        if word == 0 {
            if h.content_checksum {
                pos += 4;
            }
            return if pos <= data.len() {
                Walk::End(pos)
            } else {
                Walk::Truncated
            };
        }
        let size = (word & 0x7fff_ffff) as usize;
        if size > h.max_block {
            return Walk::Bad(at);
        }
        pos = pos
            .saturating_add(size)
            .saturating_add(if h.block_checksums { 4 } else { 0 });
        if pos > data.len() {
            return Walk::Truncated;
        }
    }
}

/// Decode the LZ4 frame at `data[0]`.
pub fn decode_frame(data: &[u8], limit: u64) -> Option<Decoded> {
    let header = frame_header(data)?;
    let walk = walk_frame(data, &header);
    let input = match walk {
        Walk::End(end) => data.get(..end)?,
        Walk::Truncated | Walk::Bad(_) => data,
    };
    let mut decoder = FrameDecoder::new(input);
    let result = read_bounded_partial(&mut decoder, limit, 0, "lz4 frame");
    let consumed = input.len() - decoder.get_ref().len();
    let (out, end) = match result {
        Err(_) => (Vec::new(), End::Limit),
        Ok((out, error)) => {
            let end = match (&walk, error) {
                (Walk::Truncated, _) => End::Truncated,
                (Walk::Bad(at), None) => End::Corrupt {
                    offset: *at as u64,
                    reason: "lz4 block larger than the frame's maximum".into(),
                },
                (_, Some(e)) => End::Corrupt {
                    offset: consumed as u64,
                    reason: match e {
                        Error::Malformed { reason, .. } => reason,
                        other => other.to_string(),
                    },
                },
                (Walk::End(_), None) => End::Complete,
            };
            (out, end)
        }
    };
    let size = match (&walk, &end) {
        (Walk::End(len), End::Complete) => *len,
        (Walk::Truncated, _) => data.len(),
        _ => consumed,
    };
    Some(Decoded {
        survey: None,
        out,
        size,
        end,
        warnings: Vec::new(),
    })
}

/// Decode the LZ4 legacy stream at `data[0]`: chunks until one decodes to less than 8 MiB (the
/// last), a size that cannot be a chunk, another stream's magic or the end of the data.
pub fn decode_legacy(data: &[u8], limit: u64) -> Option<Decoded> {
    if data.get(..4)? != LEGACY_MAGIC {
        return None;
    }
    let first = le_u32(data, 4)? as usize;
    if first == 0 || first > LEGACY_BOUND {
        return None;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    let mut scratch: Vec<u8> = Vec::new();
    let mut pos = 4usize;
    let mut chunks = 0usize;
    let done = |out: Vec<u8>, size: usize, end: End| Decoded {
        survey: None,
        out,
        size,
        end,
        warnings: Vec::new(),
    };
    // Every iteration consumes at least 5 bytes or stops.
    loop {
        let Some(word) = le_u32(data, pos) else {
            let end = if pos == data.len() {
                End::Complete
            } else {
                End::Truncated
            };
            return Some(done(out, data.len(), end));
        };
        let len = word as usize;
        if word == LEGACY_MAGIC_U32 || len == 0 || len > LEGACY_BOUND {
            // Not a chunk: the stream ended with the previous (full) chunk.
            return Some(done(out, pos, End::Complete));
        }
        let Some(block) = data.get(pos + 4..pos + 4 + len) else {
            return Some(done(out, data.len(), End::Truncated));
        };
        // LZ4 expands at most ~255:1, so the output buffer is sized by the block, not the maximum.
        let cap = LEGACY_CHUNK.min(len.saturating_mul(256).saturating_add(64));
        if scratch.len() < cap {
            scratch.resize(cap, 0);
        }
        let n = match lz4_flex::block::decompress_into(
            block,
            scratch.get_mut(..cap).unwrap_or_default(),
        ) {
            Ok(n) => n,
            // After a full chunk, something that does not decode is what follows the stream.
            Err(_) if chunks > 0 => return Some(done(out, pos, End::Complete)),
            Err(e) => {
                let end = End::Corrupt {
                    offset: pos as u64,
                    reason: format!("lz4 block: {e}"),
                };
                return Some(done(out, pos, end));
            }
        };
        if out.len().saturating_add(n) > limit {
            return Some(done(Vec::new(), pos, End::Limit));
        }
        out.extend_from_slice(scratch.get(..n).unwrap_or_default());
        chunks += 1;
        pos += 4 + len;
        if n < LEGACY_CHUNK {
            return Some(done(out, pos, End::Complete));
        }
    }
}

/// LZ4 frame handler.
pub struct Lz4Frame;

impl Format for Lz4Frame {
    fn name(&self) -> &'static str {
        "lz4"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(FRAME_MAGIC)];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let header = frame_header(data)?;
        let mut description = format!("lz4 frame, {} KiB blocks", header.max_block >> 10);
        if let Some(size) = header.content_size {
            description.push_str(&format!(", content size {size}"));
        }
        stream::identify_stream(data, decode_frame, |d| {
            format!("{description}, {} -> {} bytes", d.size, d.out.len())
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode_frame, b"data", Meta::default())
    }
}

/// LZ4 legacy format handler (Linux kernel `lz4 -l`).
pub struct Lz4Legacy;

impl Format for Lz4Legacy {
    fn name(&self) -> &'static str {
        "lz4-legacy"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(LEGACY_MAGIC)];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        stream::identify_stream(data, decode_legacy, |d| {
            format!(
                "lz4 legacy (Linux kernel), {} -> {} bytes",
                d.size,
                d.out.len()
            )
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode_legacy, b"data", Meta::default())
    }
}
