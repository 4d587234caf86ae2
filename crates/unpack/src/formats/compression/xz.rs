//! xz (the .xz container around LZMA2 and BCJ filters), decoded by liblzma's stream decoder, which
//! checks block padding, the index, the footer and the integrity check. One stream only: liblzma
//! stops at its footer, so the consumed length is exact and what follows is carved by the engine.

use liblzma::stream::{Action, Status, Stream};

use super::stream::{self, Decoded, Driven, Step};
use crate::bytes::le_u32;
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

pub const MAGIC: &[u8] = b"\xfd7zXZ\x00";
/// Memory the decoder may use (xz -9 needs 65 MiB; headers asking for more are not firmware).
pub const MEMLIMIT: u64 = 512 << 20;

/// The integrity check named in the stream flags, or `None` when the header is invalid.
fn check_name(data: &[u8]) -> Option<&'static str> {
    if data.get(..6)? != MAGIC {
        return None;
    }
    let flags = data.get(6..8)?;
    if flags.first()? != &0 || flags.get(1)? & 0xf0 != 0 {
        return None;
    }
    if crc32fast::hash(flags) != le_u32(data, 8)? {
        return None;
    }
    Some(match flags.get(1)? {
        0x00 => "no check",
        0x01 => "CRC32",
        0x04 => "CRC64",
        0x0a => "SHA-256",
        _ => "reserved check",
    })
}

/// Map a liblzma error to a reason.
pub fn lzma_error(e: liblzma::stream::Error) -> String {
    use liblzma::stream::Error as E;
    match e {
        E::Data => "corrupt data or integrity check mismatch".into(),
        E::Format => "invalid format".into(),
        E::Options => "unsupported options".into(),
        E::MemLimit => "needs more memory than allowed".into(),
        E::Mem => "out of memory".into(),
        other => format!("{other:?}"),
    }
}

/// Drive a liblzma decoder over `pieces` (surveying the output with `survey`, see
/// [`stream::drive`]).
pub fn run_lzma(
    mut s: Stream,
    pieces: &[&[u8]],
    limit: u64,
    size_hint: Option<u64>,
    survey: bool,
) -> Driven {
    stream::drive(pieces, limit, size_hint, survey, |input, output| {
        let (in0, out0) = (s.total_in(), s.total_out());
        let result = s.process(input, output, Action::Run);
        Step {
            consumed: usize::try_from(s.total_in().saturating_sub(in0)).unwrap_or(usize::MAX),
            produced: usize::try_from(s.total_out().saturating_sub(out0)).unwrap_or(usize::MAX),
            done: matches!(result, Ok(Status::StreamEnd)),
            error: result.err().map(lzma_error),
        }
    })
}

/// Decode the xz stream at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    check_name(data)?;
    let s = Stream::new_stream_decoder(MEMLIMIT, 0).ok()?;
    let driven = run_lzma(s, &[data], limit, None, true);
    Some(Decoded {
        out: driven.out,
        survey: driven.survey,
        size: driven.consumed,
        end: driven.end,
        warnings: Vec::new(),
    })
}

/// xz stream handler.
pub struct Xz;

impl Format for Xz {
    fn name(&self) -> &'static str {
        "xz"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(MAGIC)];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let check = check_name(data)?;
        stream::identify_stream(data, decode, |d| {
            format!("xz, check {check}, {} -> {} bytes", d.size, d.out.len())
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode, b"data", Meta::default())
    }
}
