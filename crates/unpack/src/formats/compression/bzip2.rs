//! bzip2, decoded by the `bzip2` crate's low-level `Decompress` (which reports the bytes it
//! consumed, so the stream length is exact). Only the first stream of a multi-stream file is
//! decoded; the next one is carved by the engine.

use bzip2::{Decompress, Status};

use super::stream::{self, Decoded, Step};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

const BLOCK_MAGIC: &[u8] = b"1AY&SY";

/// The block size digit of a valid stream header (`BZh1`..`BZh9` then a block).
fn level(data: &[u8]) -> Option<u8> {
    if data.get(..3)? != b"BZh" {
        return None;
    }
    let level = *data.get(3)?;
    ((b'1'..=b'9').contains(&level) && data.get(4..10)? == BLOCK_MAGIC).then(|| level - b'0')
}

/// Decode the bzip2 stream at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    level(data)?;
    let mut z = Decompress::new(false);
    let driven = stream::drive(&[data], limit, None, true, |input, output| {
        let (in0, out0) = (z.total_in(), z.total_out());
        let result = z.decompress(input, output);
        Step {
            consumed: usize::try_from(z.total_in().saturating_sub(in0)).unwrap_or(usize::MAX),
            produced: usize::try_from(z.total_out().saturating_sub(out0)).unwrap_or(usize::MAX),
            done: matches!(result, Ok(Status::StreamEnd)),
            error: result.err().map(|e| format!("bzip2: {e}")),
        }
    });
    Some(Decoded {
        out: driven.out,
        survey: driven.survey,
        size: driven.consumed,
        end: driven.end,
        warnings: Vec::new(),
    })
}

/// bzip2 stream handler.
pub struct Bzip2;

impl Format for Bzip2 {
    fn name(&self) -> &'static str {
        "bzip2"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(b"BZh")];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let level = level(data)?;
        stream::identify_stream(data, decode, |d| {
            format!(
                "bzip2, {}00k blocks, {} -> {} bytes",
                level,
                d.size,
                d.out.len()
            )
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        stream::extract_stream(data, id, out, decode, b"data", Meta::default())
    }
}
