//! Zstandard, decoded by the `zstd` crate's streaming decoder (window limited to libzstd's default
//! 128 MiB). The stream length comes from the framing (`find_frame_compressed_size`, skippable
//! frame sizes), so it is exact; consecutive frames (as `pzstd` writes them, each possibly behind a
//! skippable frame) decode into one payload, as the `zstd` tool does.

use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
use zstd::zstd_safe;

use super::stream::{self, Decoded, Driven, End, Step};
use crate::bytes::le_u32;
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

pub const MAGIC: &[u8] = b"\x28\xb5\x2f\xfd";
/// Frames followed at most: each is at least 8 bytes, this only bounds pathological inputs.
const MAX_FRAMES: usize = 1 << 16;

fn is_skippable(data: &[u8]) -> bool {
    le_u32(data, 0).is_some_and(|m| m & 0xffff_fff0 == 0x184d_2a50)
}

/// Whether a real frame header starts here (magic, reserved descriptor bit clear).
fn is_frame(data: &[u8]) -> bool {
    data.get(..4) == Some(MAGIC) && data.get(4).is_some_and(|fhd| fhd & 0x08 == 0)
}

/// Length of the skippable or real frame at `data[0]`, when it lies whole inside `data`.
fn frame_len(data: &[u8]) -> Option<usize> {
    let len = if is_skippable(data) {
        usize::try_from(le_u32(data, 4)?).ok()?.checked_add(8)?
    } else if is_frame(data) {
        zstd_safe::find_frame_compressed_size(data).ok()?
    } else {
        return None;
    };
    (len <= data.len()).then_some(len)
}

/// What the first frame's structure shows about it being real.
struct Evidence {
    /// Where its first compressed block (type 2, which only decodes if genuine) ends.
    compressed_end: Option<usize>,
    /// It carries a content checksum, which the decoder verifies.
    checksum: bool,
}

/// Walk the block headers of the frame at `data[0]` (up to its last block or the data's end).
fn first_frame_evidence(data: &[u8]) -> Option<Evidence> {
    let fhd = *data.get(4)?;
    let single_segment = fhd & 0x20 != 0;
    let did_len = [0usize, 1, 2, 4][usize::from(fhd & 0x03)];
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let mut pos = 5 + usize::from(!single_segment) + did_len + fcs_len;
    let mut evidence = Evidence {
        compressed_end: None,
        checksum: fhd & 0x04 != 0,
    };
    // Every block advances by at least 3 bytes.
    while let Some(b) = data.get(pos..pos + 3) {
        let header = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
        let size = (header >> 3) as usize;
        match (header >> 1) & 3 {
            0 => pos += 3 + size,
            1 => pos += 4,
            2 => {
                evidence.compressed_end = Some(pos + 3 + size);
                break;
            }
            _ => return None,
        }
        if header & 1 != 0 {
            break;
        }
    }
    Some(evidence)
}

/// The layout of a frame sequence: where the first real frame starts, where the sequence ends
/// (`None` when the first real frame runs past the data) and how many real frames it holds.
struct Layout {
    first: usize,
    end: Option<usize>,
    frames: usize,
}

fn layout(data: &[u8]) -> Option<Layout> {
    let mut pos = 0usize;
    let mut first = None;
    let mut frames = 0usize;
    for _ in 0..MAX_FRAMES {
        let rest = data.get(pos..)?;
        if first.is_none() && is_frame(rest) {
            first = Some(pos);
        }
        match frame_len(rest) {
            Some(len) => {
                if is_frame(rest) {
                    frames += 1;
                }
                pos += len;
            }
            // The first real frame does not fit: a truncated or damaged stream.
            None if first == Some(pos) => {
                return Some(Layout {
                    first: pos,
                    end: None,
                    frames: 1,
                })
            }
            None => break,
        }
    }
    Some(Layout {
        first: first?,
        end: Some(pos),
        frames,
    })
}

/// Decode the zstd frames at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    if !is_frame(data) && !is_skippable(data) {
        return None;
    }
    let layout = layout(data)?;
    let input = match layout.end {
        Some(end) => data.get(layout.first..end)?,
        None => data.get(layout.first..)?,
    };
    let exact = layout.end.is_some();
    let total = input.len();
    let mut decoder = Decoder::new().ok()?;
    let mut fed = 0usize;
    let Driven {
        out,
        consumed: used,
        end,
        survey,
        ..
    } = stream::drive(&[input], limit, None, true, |input, output| {
        let mut inb = InBuffer::around(input);
        let mut outb = OutBuffer::around(output);
        let result = decoder.run(&mut inb, &mut outb);
        fed += inb.pos();
        Step {
            consumed: inb.pos(),
            produced: outb.pos(),
            done: result.as_ref().is_ok_and(|&hint| hint == 0) && (!exact || fed >= total),
            error: result.err().map(|e| format!("zstd: {e}")),
        }
    });
    // Raw and RLE blocks decode from any bytes: a frame proves itself with a compressed block
    // that decoded (the decoder reads the next block header only after decoding a block) or a
    // verified content checksum.
    let evidence = first_frame_evidence(input)?;
    let proven = match (&end, evidence.compressed_end) {
        (End::Complete, Some(_)) => true,
        (End::Complete, None) => evidence.checksum,
        (End::Truncated, Some(block_end)) => used >= block_end,
        (End::Corrupt { .. }, Some(block_end)) => used >= block_end + 3,
        (End::Limit, _) => true,
        _ => false,
    };
    if !proven {
        return None;
    }
    let end = match end {
        End::Corrupt { offset, reason } => End::Corrupt {
            offset: offset + layout.first as u64,
            reason,
        },
        other => other,
    };
    Some(Decoded {
        out,
        survey,
        size: layout.first + used,
        end,
        warnings: Vec::new(),
    })
}

/// zstd stream handler.
pub struct Zstd;

impl Format for Zstd {
    fn name(&self) -> &'static str {
        "zstd"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at_start(MAGIC),
            Magic::at_start(b"\x50\x2a\x4d\x18"),
            Magic::at_start(b"\x51\x2a\x4d\x18"),
            Magic::at_start(b"\x52\x2a\x4d\x18"),
            Magic::at_start(b"\x53\x2a\x4d\x18"),
            Magic::at_start(b"\x54\x2a\x4d\x18"),
            Magic::at_start(b"\x55\x2a\x4d\x18"),
            Magic::at_start(b"\x56\x2a\x4d\x18"),
            Magic::at_start(b"\x57\x2a\x4d\x18"),
            Magic::at_start(b"\x58\x2a\x4d\x18"),
            Magic::at_start(b"\x59\x2a\x4d\x18"),
            Magic::at_start(b"\x5a\x2a\x4d\x18"),
            Magic::at_start(b"\x5b\x2a\x4d\x18"),
            Magic::at_start(b"\x5c\x2a\x4d\x18"),
            Magic::at_start(b"\x5d\x2a\x4d\x18"),
            Magic::at_start(b"\x5e\x2a\x4d\x18"),
            Magic::at_start(b"\x5f\x2a\x4d\x18"),
        ];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let frames = layout(data)?.frames;
        stream::identify_stream(data, decode, |d| {
            format!(
                "zstd, {frames} frame(s), {} -> {} bytes",
                d.size,
                d.out.len()
            )
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode, b"data", Meta::default())
    }
}
