//! LZMA1 streams, decoded by liblzma: the "alone" format (`.lzma`: properties byte, dictionary
//! size, 64-bit uncompressed size or all-ones for unknown), the vendor variant without the size
//! field (5-byte header, TP-Link/Broadcom tools), headerless raw LZMA1 for other families
//! ([`decode_raw`]), and Arcadyan's obfuscated LZMA (a header shuffle documented by binwalk).
//!
//! There is no strong magic, so headers are checked for plausibility (properties liblzma can
//! decode, a power-of-two-ish dictionary, a size that is unknown or at most 1 GiB, the range
//! coder's mandatory leading zero byte) and then proven by decoding.

use liblzma::stream::{Filters, Stream};

use super::stream::{self, Decoded, Driven, End};
use super::xz::run_lzma;
use crate::bytes::{le_u32, le_u64};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

/// Largest plausible declared uncompressed size (0 is implausible too: nothing to compress).
const MAX_SIZE: u64 = 1 << 30;
/// Dictionary sizes accepted: 4 KiB ..= 256 MiB.
const MIN_DICT: u32 = 1 << 12;
const MAX_DICT: u32 = 1 << 28;
const MEMLIMIT: u64 = 512 << 20;

/// A parsed LZMA header.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub lc: u8,
    pub lp: u8,
    pub pb: u8,
    pub dict: u32,
    /// Declared uncompressed size, `None` when unknown or absent.
    pub size: Option<u64>,
    /// 13 for the standard header, 5 for the variant without a size field.
    pub len: usize,
}

/// lc/lp/pb of a properties byte, when liblzma can decode them (lc + lp <= 4).
pub fn split_props(props: u8) -> Option<(u8, u8, u8)> {
    if props >= 225 {
        return None;
    }
    let (lc, lp, pb) = (props % 9, (props / 9) % 5, props / 45);
    (lc + lp <= 4).then_some((lc, lp, pb))
}

/// Whether a dictionary size is one an encoder would write: 2^n or 2^n + 2^(n-1).
pub fn plausible_dict(dict: u32) -> bool {
    (MIN_DICT..=MAX_DICT).contains(&dict)
        && (dict.is_power_of_two() || (dict.is_multiple_of(3) && (dict / 3).is_power_of_two()))
}

/// Parse the header at `data[0]`: the standard 13-byte one when it is plausible, else the 5-byte
/// variant (whose first range-coder byte, always zero, sits at offset 5).
pub fn parse_header(data: &[u8]) -> Option<Header> {
    let (lc, lp, pb) = split_props(*data.first()?)?;
    let dict = le_u32(data, 1)?;
    if !plausible_dict(dict) {
        return None;
    }
    let declared = le_u64(data, 5);
    if let Some(declared) = declared {
        if (declared == u64::MAX || (1..=MAX_SIZE).contains(&declared)) && data.get(13) == Some(&0)
        {
            return Some(Header {
                lc,
                lp,
                pb,
                dict,
                size: (declared != u64::MAX).then_some(declared),
                len: 13,
            });
        }
    }
    (data.get(5) == Some(&0)).then_some(Header {
        lc,
        lp,
        pb,
        dict,
        size: None,
        len: 5,
    })
}

/// Decode an LZMA stream whose header is at the start of `head`, the stream continuing in `tail`
/// (two pieces so de-obfuscated headers need no copy of the whole stream).
fn decode_pieces(head: &[u8], tail: &[u8], limit: u64) -> Option<Decoded> {
    let header = parse_header(head)?;
    let Driven {
        out,
        consumed: used,
        end,
        survey,
        ..
    } = if header.len == 13 {
        let s = Stream::new_lzma_decoder(MEMLIMIT).ok()?;
        run_lzma(s, &[head, tail], limit, header.size, true)
    } else {
        let mut filters = Filters::new();
        filters.lzma1_properties(head.get(..5)?).ok()?;
        let s = Stream::new_raw_decoder(&filters).ok()?;
        run_lzma(s, &[head.get(5..)?, tail], limit, None, true).map_offsets(5)
    };
    let mut warnings = Vec::new();
    let end = match end {
        // Without a size or an end marker, the stream simply runs to the end of the data.
        End::Truncated if header.size.is_none() => {
            warnings.push((
                used as u64,
                "LZMA stream without size or end marker: decoded to the end of the data"
                    .to_string(),
            ));
            End::Complete
        }
        other => other,
    };
    if let (End::Complete, Some(size)) = (&end, header.size) {
        if size != out.len() as u64 {
            warnings.push((
                5,
                format!("declared size {size} but decoded {} bytes", out.len()),
            ));
        }
    }
    Some(Decoded {
        out,
        survey,
        size: used,
        end,
        warnings,
    })
}

trait MapOffsets {
    fn map_offsets(self, by: usize) -> Self;
}

impl MapOffsets for Driven {
    /// Shift consumed length and error offset by a header the decoder did not see.
    fn map_offsets(mut self, by: usize) -> Self {
        if let End::Corrupt { offset, .. } = &mut self.end {
            *offset += by as u64;
        }
        self.consumed += by;
        self
    }
}

/// Decode the LZMA stream (13- or 5-byte header) at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    decode_pieces(data, &[], limit)
}

/// Decode headerless raw LZMA1 (e.g. Broadcom's squashfs) with explicit properties. Returns the
/// output (at most `limit` bytes), the bytes consumed and how it ended (`Truncated` is the normal
/// end of a stream without an end marker).
pub fn decode_raw(data: &[u8], props: u8, dict: u32, limit: u64) -> Option<(Vec<u8>, usize, End)> {
    split_props(props)?;
    let mut header = [0u8; 5];
    header[0] = props;
    header[1..].copy_from_slice(&dict.to_le_bytes());
    let mut filters = Filters::new();
    filters.lzma1_properties(&header).ok()?;
    let s = Stream::new_raw_decoder(&filters).ok()?;
    let d = run_lzma(s, &[data], limit, None, false);
    Some((d.out, d.consumed, d.end))
}

fn describe(header: &Header, d: &Decoded) -> String {
    let mut s = format!(
        "LZMA{}, lc{} lp{} pb{}, dictionary {} KiB",
        if header.len == 5 {
            " (5-byte header, no size field)"
        } else {
            ""
        },
        header.lc,
        header.lp,
        header.pb,
        header.dict >> 10
    );
    match header.size {
        Some(size) => s.push_str(&format!(", uncompressed size {size}")),
        None if header.len == 13 => s.push_str(", uncompressed size unknown"),
        None => {}
    }
    s.push_str(&format!(", {} -> {} bytes", d.size, d.out.len()));
    s
}

/// LZMA "alone" stream handler (standard and size-less headers).
pub struct Lzma;

impl Format for Lzma {
    fn name(&self) -> &'static str {
        "lzma"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        // Properties byte then the dictionary size's low bytes: 0x5d (lc3 lp0 pb2, the default),
        // 0x6d/0x6c (OpenWrt's lc1/lc0 lp2), 0x6e (lc2 lp2: TP-Link's VxWorks kernels), 0x5e (lc4),
        // 0x5a (lc0); dictionaries that are multiples of 64 KiB, and for 0x5d also 4..32 KiB.
        const M: &[Magic] = &[
            Magic::at_start(b"\x5d\x00\x00"),
            Magic::at_start(b"\x5d\x00\x10"),
            Magic::at_start(b"\x5d\x00\x20"),
            Magic::at_start(b"\x5d\x00\x40"),
            Magic::at_start(b"\x5d\x00\x80"),
            Magic::at_start(b"\x6d\x00\x00"),
            Magic::at_start(b"\x6c\x00\x00"),
            Magic::at_start(b"\x6e\x00\x00"),
            Magic::at_start(b"\x5e\x00\x00"),
            Magic::at_start(b"\x5a\x00\x00"),
        ];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let header = parse_header(data)?;
        stream::identify_stream(data, decode, |d| describe(&header, d))
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode, b"data", Meta::default())
    }
}

/// Where Arcadyan's magic sits: the swapped-in second block.
const ARCADYAN_MAGIC_AT: usize = 0x68;
const ARCADYAN_BLOCK: usize = 32;
const ARCADYAN_HEAD: usize = ARCADYAN_MAGIC_AT + ARCADYAN_BLOCK;

/// Undo Arcadyan's obfuscation of the first 0x88 bytes: blocks [4, 0x24) and [0x68, 0x88) are
/// swapped, then the block now at 4 has each byte's nibbles swapped and each byte pair swapped.
/// The LZMA stream starts at offset 4 of the result.
fn arcadyan_head(data: &[u8]) -> Option<[u8; ARCADYAN_HEAD]> {
    let src: &[u8; ARCADYAN_HEAD] = data.get(..ARCADYAN_HEAD)?.try_into().ok()?;
    let mut head = *src;
    head[4..4 + ARCADYAN_BLOCK].copy_from_slice(&src[ARCADYAN_MAGIC_AT..ARCADYAN_HEAD]);
    head[ARCADYAN_MAGIC_AT..ARCADYAN_HEAD].copy_from_slice(&src[4..4 + ARCADYAN_BLOCK]);
    for pair in head[4..4 + ARCADYAN_BLOCK].chunks_exact_mut(2) {
        let (a, b) = (pair[0].rotate_left(4), pair[1].rotate_left(4));
        pair[0] = b;
        pair[1] = a;
    }
    Some(head)
}

fn decode_arcadyan(data: &[u8], limit: u64) -> Option<Decoded> {
    let head = arcadyan_head(data)?;
    let mut d = decode_pieces(head.get(4..)?, data.get(ARCADYAN_HEAD..)?, limit)?;
    d.size += 4;
    if let End::Corrupt { offset, .. } = &mut d.end {
        *offset += 4;
    }
    for (offset, _) in &mut d.warnings {
        *offset += 4;
    }
    Some(d)
}

/// Arcadyan-obfuscated LZMA (kernels of Arcadyan-built routers).
pub struct Arcadyan;

impl Format for Arcadyan {
    fn name(&self) -> &'static str {
        "arcadyan-lzma"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at(ARCADYAN_MAGIC_AT, b"\x00\xd5\x08\x00")];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let head = arcadyan_head(data)?;
        let header = parse_header(head.get(4..)?)?;
        if header.len != 13 {
            return None;
        }
        stream::identify_stream(data, decode_arcadyan, |d| {
            format!("Arcadyan-obfuscated {}", describe(&header, d))
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode_arcadyan, b"data", Meta::default())
    }
}
