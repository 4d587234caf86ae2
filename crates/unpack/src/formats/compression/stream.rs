//! Machinery shared by the stream handlers: a bounded decode loop, the rules that decide whether a
//! decode proves a real stream, and the identify/extract glue.
//!
//! Problems found by the decode that identification does (a CRC mismatch, a truncated stream)
//! travel in [`Identified::warnings`] and are reported by [`extract_stream`].

use crate::format::{
    identify_work, identify_work_done, Body, Emit, Entry, Error, Identified, Meta,
};

/// Output limit of the decode done by `identify`. Past it the stream is reported with an unknown
/// size and `extract` decodes again under the real budget.
pub const IDENTIFY_CAP: u64 = 256 << 20;

/// Output a damaged stream must have produced before the damage for its prefix to be kept: less
/// than this is indistinguishable from random bytes behind a magic number.
pub const MIN_CORRUPT_OUTPUT: usize = 4096;
/// Same for a stream cut short by the end of the data.
pub const MIN_TRUNCATED_OUTPUT: usize = 512;

/// Input a decoder may consume beyond 8x its output. Real compressed data never grows by more
/// than a few percent, while hostile input (e.g. endless empty deflate blocks) could otherwise make
/// every magic candidate scan to the end of a big image.
const MAX_NON_EXPANDING_INPUT: usize = 4 << 20;

/// Initial output reservation cap: sizes declared in headers are attacker-controlled.
const MAX_RESERVE: usize = 64 << 20;
/// Decode step sizes: small first (cheap rejection of false hits), growing with the output.
const MIN_STEP: usize = 64 << 10;
const MAX_STEP: usize = 16 << 20;
const MAX_STEP_INPUT: usize = 1 << 20;

/// How a decode ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The stream ended cleanly.
    Complete,
    /// The data ran out before the end of the stream.
    Truncated,
    /// The decoder rejected the data at `offset` (relative to the structure start).
    Corrupt { offset: u64, reason: String },
    /// The output limit was reached before the end of the stream.
    Limit,
}

/// The result of decoding a stream.
#[derive(Debug)]
pub struct Decoded {
    pub out: Vec<u8>,
    /// Bytes of the structure consumed: header, compressed data and trailer.
    pub size: usize,
    pub end: End,
    /// Non-fatal problems (checksum mismatches), offsets relative to the structure start.
    pub warnings: Vec<(u64, String)>,
}

impl Decoded {
    /// Whether this decode proves a real stream rather than a magic number in random bytes.
    /// An empty output proves nothing (an empty stream is a few bytes any data may contain).
    pub fn plausible(&self) -> bool {
        if self.out.is_empty() && self.end != End::Limit {
            return false;
        }
        match self.end {
            End::Complete => self.warnings.is_empty() || self.out.len() >= MIN_CORRUPT_OUTPUT,
            End::Truncated => self.out.len() >= MIN_TRUNCATED_OUTPUT,
            End::Corrupt { .. } => self.out.len() >= MIN_CORRUPT_OUTPUT,
            End::Limit => true,
        }
    }

    /// All problems, including how the stream ended, as warnings.
    pub fn all_warnings(&self) -> Vec<(u64, String)> {
        let mut warnings = self.warnings.clone();
        match &self.end {
            End::Truncated => warnings.push((
                self.size as u64,
                format!(
                    "stream truncated: the data ends before the stream does; kept the {} bytes decoded",
                    self.out.len()
                ),
            )),
            End::Corrupt { offset, reason } => warnings.push((
                *offset,
                format!("corrupt stream ({reason}); kept the {} bytes decoded before it", self.out.len()),
            )),
            End::Complete | End::Limit => {}
        }
        warnings
    }
}

/// A decoder signature: decode the stream at `data[0]`, producing at most `limit` bytes. `None`
/// when the header is not valid for the format.
pub type DecodeFn = fn(&[u8], u64) -> Option<Decoded>;

/// One step of a decoder: input consumed, output produced, and whether the stream ended.
pub struct Step {
    pub consumed: usize,
    pub produced: usize,
    pub done: bool,
    /// The decoder rejected the data (after consuming and producing the above).
    pub error: Option<String>,
}

/// Run a push decoder over `pieces` (concatenated input), producing at most `limit` bytes.
///
/// `step(input, output)` must consume from `input`, write to `output`, and report an error string
/// for corrupt data (the output produced before the error is kept). Returns the output, the input consumed and how it ended (`Corrupt` offsets are
/// relative to the start of `pieces`). Every iteration either makes progress or stops, and output
/// never exceeds `limit` (one extra byte of room tells a stream of exactly `limit` bytes from a
/// longer one).
pub fn drive(
    pieces: &[&[u8]],
    limit: u64,
    size_hint: Option<u64>,
    mut step: impl FnMut(&[u8], &mut [u8]) -> Step,
) -> (Vec<u8>, usize, End) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // A declared size is trusted only as far as the input could plausibly expand.
    let input_len = pieces.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let reserve = size_hint
        .and_then(|h| usize::try_from(h).ok())
        .unwrap_or(0)
        .min(limit)
        .min(MAX_RESERVE)
        .min(input_len.saturating_mul(16).max(1 << 20));
    // `out[..filled]` is output; `out[filled..]` is zeroed room the decoder may write into. Room
    // is zeroed once and reused across steps (a step rarely fills all of it), and the declared
    // size is reserved only once the decoder has produced a first step's worth: a false magic
    // hit then costs a small buffer, not the pages of a large reservation.
    let mut out: Vec<u8> = Vec::new();
    let mut filled = 0usize;
    let mut piece = 0usize;
    let mut pos = 0usize;
    let mut consumed = 0usize;
    loop {
        // Move to the next piece once the current one is used up (never past the last).
        while piece + 1 < pieces.len() && pieces.get(piece).is_some_and(|p| pos >= p.len()) {
            piece += 1;
            pos = 0;
        }
        let input = pieces.get(piece).and_then(|p| p.get(pos..)).unwrap_or(&[]);
        // Bounded input per step, so the expansion check below runs often enough.
        let input = input
            .get(..input.len().min(MAX_STEP_INPUT))
            .unwrap_or(input);
        let is_last = piece + 1 >= pieces.len();
        let start = filled;
        let room = start
            .clamp(MIN_STEP, MAX_STEP)
            .min(limit.saturating_add(1).saturating_sub(start));
        if room == 0 {
            return finish(out, filled, consumed, End::Limit);
        }
        let need = start.saturating_add(room);
        if need > out.len() {
            if start >= MIN_STEP && reserve > out.capacity() {
                // The stream is real: take its declared size (plus the byte that tells the end)
                // in one allocation instead of doubling through it.
                out.reserve_exact(reserve.saturating_add(1).saturating_sub(out.len()));
            }
            out.resize(need, 0);
        }
        let s = step(input, out.get_mut(start..need).unwrap_or(&mut []));
        let produced = s.produced.min(room);
        filled = start + produced;
        let used = s.consumed.min(input.len());
        pos += used;
        consumed += used;
        if filled > limit {
            return finish(out, limit, consumed, End::Limit);
        }
        if let Some(reason) = s.error {
            let offset = consumed as u64;
            return finish(out, filled, consumed, End::Corrupt { offset, reason });
        }
        if consumed
            > filled
                .saturating_mul(8)
                .saturating_add(MAX_NON_EXPANDING_INPUT)
        {
            let offset = consumed as u64;
            let reason = "the compressed data does not expand: not a real stream".to_string();
            return finish(out, filled, consumed, End::Corrupt { offset, reason });
        }
        if s.done {
            return finish(out, filled, consumed, End::Complete);
        }
        if used == 0 && produced == 0 {
            if input.is_empty() && is_last {
                return finish(out, filled, consumed, End::Truncated);
            }
            if !input.is_empty() {
                let offset = consumed as u64;
                let reason = "the decoder stopped making progress".to_string();
                return finish(out, filled, consumed, End::Corrupt { offset, reason });
            }
        }
    }
}

/// The output of [`drive`]: the filled part of the buffer, spare room given back when it is large.
fn finish(mut out: Vec<u8>, filled: usize, consumed: usize, end: End) -> (Vec<u8>, usize, End) {
    out.truncate(filled);
    if out.capacity() - filled > (1 << 20).max(filled / 8) {
        out.shrink_to_fit();
    }
    (out, consumed, end)
}

/// The identify step of a stream handler: decode (bounded), keep the output when the decode proves
/// a real stream.
pub fn identify_stream(
    data: &[u8],
    decode: DecodeFn,
    describe: impl FnOnce(&Decoded) -> String,
) -> Option<Identified> {
    if !identify_work(0) {
        return None;
    }
    let decoded = decode(data, IDENTIFY_CAP)?;
    identify_work_done((decoded.size + decoded.out.len()) as u64);
    if !decoded.plausible() {
        return None;
    }
    let base = describe(&decoded);
    if decoded.end == End::Limit {
        return Some(Identified::new(
            None,
            format!("{base}, expands beyond {} MiB", IDENTIFY_CAP >> 20),
        ));
    }
    let warnings = decoded.all_warnings();
    let description = match warnings.len() {
        0 => base,
        n => format!("{base}, {n} warning{}", if n == 1 { "" } else { "s" }),
    };
    Some(Identified {
        size: Some(decoded.size as u64),
        description,
        prepared: Some(decoded.out),
        warnings,
    })
}

/// The extract step of a stream handler: emit the prepared output (or decode under the budget when
/// identify could not keep it) as one payload.
pub fn extract_stream(
    data: &[u8],
    id: Identified,
    out: &dyn Emit,
    decode: DecodeFn,
    name: &[u8],
    meta: Meta,
) -> Result<(), Error> {
    let (bytes, warnings) = match id.prepared {
        Some(p) => (p, id.warnings),
        None => {
            let decoded = decode(data, out.budget())
                .ok_or_else(|| Error::malformed(0, "invalid stream header"))?;
            match &decoded.end {
                End::Limit => {
                    return Err(Error::Budget(format!(
                        "stream expands beyond the remaining budget of {} bytes",
                        out.budget()
                    )))
                }
                End::Corrupt { offset, reason } if decoded.out.is_empty() => {
                    return Err(Error::malformed(*offset, reason.clone()))
                }
                _ => {}
            }
            let warnings = decoded.all_warnings();
            (decoded.out, warnings)
        }
    };
    for (offset, reason) in warnings {
        out.warn(offset, reason);
    }
    out.entry(Entry {
        path: name,
        meta,
        body: Body::Payload(&bytes),
    })
}

/// A kernel/container helper: which stream decoders exist, keyed by their magic.
pub struct Codec {
    pub name: &'static str,
    pub magic: &'static [u8],
    pub decode: DecodeFn,
}

/// Every stream decoder of this family, for scanning inside kernel images.
pub const CODECS: &[Codec] = &[
    Codec {
        name: "gzip",
        magic: b"\x1f\x8b\x08",
        decode: super::gzip::decode,
    },
    Codec {
        name: "xz",
        magic: b"\xfd7zXZ\x00",
        decode: super::xz::decode,
    },
    Codec {
        name: "lzma",
        magic: b"\x5d\x00\x00",
        decode: super::lzma::decode,
    },
    Codec {
        name: "bzip2",
        magic: b"BZh",
        decode: super::bzip2::decode,
    },
    Codec {
        name: "lzop",
        magic: super::lzop::MAGIC,
        decode: super::lzop::decode,
    },
    Codec {
        name: "lz4-legacy",
        magic: b"\x02\x21\x4c\x18",
        decode: super::lz4::decode_legacy,
    },
    Codec {
        name: "lz4",
        magic: b"\x04\x22\x4d\x18",
        decode: super::lz4::decode_frame,
    },
    Codec {
        name: "zstd",
        magic: b"\x28\xb5\x2f\xfd",
        decode: super::zstd::decode,
    },
];

/// `secs` since the epoch as `YYYY-MM-DD HH:MM:SS UTC` (civil-from-days, proleptic Gregorian).
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formatting() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_730_475_076), "2024-11-01 15:31:16 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        // Extreme values must not panic.
        let _ = format_time(i64::MIN / 2);
        let _ = format_time(i64::MAX / 2);
    }

    #[test]
    fn drive_stops_at_the_limit_and_on_stalls() {
        // A "decoder" that copies input to output.
        let copy = |i: &[u8], o: &mut [u8]| {
            let n = i.len().min(o.len());
            o[..n].copy_from_slice(&i[..n]);
            Step {
                consumed: n,
                produced: n,
                done: false,
                error: None,
            }
        };
        let data = vec![1u8; 100_000];
        let (out, used, end) = drive(&[&data], 1000, None, copy);
        assert_eq!((out.len(), end), (1000, End::Limit));
        assert!(used >= 1000);
        let (out, used, end) = drive(&[&data[..10], &data[10..20]], 1000, None, copy);
        assert_eq!((out.len(), used, end), (20, 20, End::Truncated));
        let stall = |_: &[u8], _: &mut [u8]| Step {
            consumed: 0,
            produced: 0,
            done: false,
            error: None,
        };
        let (_, _, end) = drive(&[&data], 1000, None, stall);
        assert!(matches!(end, End::Corrupt { .. }));
    }
}
