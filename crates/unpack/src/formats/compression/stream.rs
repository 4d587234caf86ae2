//! Machinery shared by the stream handlers: a bounded decode loop, the rules that decide whether a
//! decode proves a real stream, and the identify/extract glue.
//!
//! Problems found by the decode that identification does (a CRC mismatch, a truncated stream)
//! travel in [`Identified::warnings`] and are reported by [`extract_stream`].

use crate::bytes::{grow_within, trim};
use crate::format::{
    identify_work, identify_work_done, Body, Emit, Entry, Error, Identified, Meta,
};
use crate::scan::{Survey, Surveyor};
use std::cell::Cell;

/// Output limit of the decode done by `identify`. Past it the stream is reported with an unknown
/// size and `extract` decodes again under the real budget. A carve under a smaller remaining
/// budget lowers it to that budget ([`IdentifyLimit`]), so a bomb never decodes past the budget.
pub const IDENTIFY_CAP: u64 = 256 << 20;

thread_local! {
    /// Output limit of identification decodes in the carve running on this thread.
    static IDENTIFY_LIMIT: Cell<u64> = const { Cell::new(IDENTIFY_CAP) };
}

/// The output limit of an identification decode on this thread: [`IDENTIFY_CAP`], or less while
/// an [`IdentifyLimit`] is in force.
pub fn identify_limit() -> u64 {
    IDENTIFY_LIMIT.with(Cell::get)
}

/// Lowers [`identify_limit`] on this thread to an output budget (never above [`IDENTIFY_CAP`]);
/// the previous limit (an enclosing carve's) comes back on drop.
pub struct IdentifyLimit(u64);

impl IdentifyLimit {
    pub fn new(budget: u64) -> Self {
        IdentifyLimit(IDENTIFY_LIMIT.with(|c| c.replace(budget.min(IDENTIFY_CAP))))
    }
}

impl Drop for IdentifyLimit {
    fn drop(&mut self) {
        IDENTIFY_LIMIT.with(|c| c.set(self.0));
    }
}

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
    /// What the decode surveyed of `out` on the side (see [`drive`]).
    pub survey: Option<Survey>,
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
/// for corrupt data (the output produced before the error is kept). `Corrupt` offsets are relative
/// to the start of `pieces`. Every iteration either makes progress or stops, and output never
/// exceeds `limit` (one extra byte of room tells a stream of exactly `limit` bytes from a longer
/// one). With `survey`, an output that grows past [`SURVEY_FROM`] is surveyed (magics, SHA-256)
/// on a second thread while the decoder goes on, for outputs the engine will carve.
pub fn drive(
    pieces: &[&[u8]],
    limit: u64,
    size_hint: Option<u64>,
    survey: bool,
    step: impl FnMut(&[u8], &mut [u8]) -> Step,
) -> Driven {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // A declared size is trusted only as far as the input could plausibly expand.
    let input_len = pieces.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let reserve = size_hint
        .and_then(|h| usize::try_from(h).ok())
        .unwrap_or(0)
        .min(limit)
        .min(MAX_RESERVE)
        .min(input_len.saturating_mul(16).max(1 << 20));
    let mut decoder = Decoder {
        pieces,
        piece: 0,
        pos: 0,
        consumed: 0,
        limit,
        step,
    };
    // `out[..filled]` is output; `out[filled..]` is zeroed room the decoder writes into, zeroed
    // once and used across steps. Steps start small (cheap rejection of false hits) and the
    // declared size is reserved only once the decoder has produced a first step's worth: a false
    // magic hit then costs a small buffer, not the pages of a large reservation.
    let mut out: Vec<u8> = Vec::new();
    let mut reserved = 0usize;
    let mut filled = 0usize;
    let mut surveyor: Option<Surveyor> = None;
    // Room is never reserved past the limit plus the byte that tells the end.
    let most = limit.saturating_add(1);
    loop {
        if filled == out.len() {
            let room = filled
                .clamp(MIN_STEP, MAX_STEP)
                .min(most.saturating_sub(filled));
            if room == 0 {
                return finish(
                    out,
                    filled,
                    decoder.consumed,
                    End::Limit,
                    surveyor,
                    reserved,
                );
            }
            let mut len = filled + room;
            if filled >= MIN_STEP && reserve >= len {
                // The stream is real: take its declared size (plus the byte that tells the end)
                // as one stretch of room, so a surveyed decode runs through it with one survey
                // thread (zeroing it as the output grows instead cost 2 ms more on a 3 MB kernel
                // in thread starts). A stream that fails after this zeroed at most what a real
                // one of that declared size would have made us decode: the size is capped at
                // 16x the input, 64 MiB.
                len = reserve.saturating_add(1).min(most);
            }
            grow_within(&mut out, len, filled >= MIN_STEP, most);
            reserved = reserved.max(out.capacity());
            out.resize(len, 0);
        }
        if survey && surveyor.is_none() && filled >= SURVEY_FROM {
            let mut s = Surveyor::new();
            s.feed(&out[..filled]);
            surveyor = Some(s);
        }
        let ended = match surveyor.take() {
            None => {
                let room = (out.len() - filled).min(filled.clamp(MIN_STEP, MAX_STEP));
                let (produced, ended) = decoder.step(&mut out[filled..filled + room], filled);
                filled += produced;
                ended
            }
            Some(s) => {
                let (produced, ended, s) = decoder.steps_surveyed(&mut out[filled..], filled, s);
                filled += produced;
                surveyor = s;
                ended
            }
        };
        if let Some(end) = ended {
            let kept = if end == End::Limit { limit } else { filled };
            return finish(out, kept, decoder.consumed, end, surveyor, reserved);
        }
    }
}

/// Output a stream must reach before [`drive`] surveys it on a second thread: below it, scanning
/// afterwards costs less than starting a thread.
pub const SURVEY_FROM: usize = 256 << 10;
/// Output per decode step while surveying: the survey trails the decoder by at most this much.
const SURVEY_STEP: usize = 128 << 10;

/// What [`drive`] produced.
pub struct Driven {
    pub out: Vec<u8>,
    /// The most bytes the output buffer ever had reserved (never more than the limit plus one).
    pub reserved: usize,
    /// Input consumed.
    pub consumed: usize,
    pub end: End,
    /// The survey of `out` (only when asked for, `out` grew past [`SURVEY_FROM`], and the survey
    /// covers exactly `out`).
    pub survey: Option<Survey>,
}

/// The input side of [`drive`]: where the decoder stands in `pieces`, and the checks after a step.
struct Decoder<'p, F> {
    pieces: &'p [&'p [u8]],
    piece: usize,
    pos: usize,
    consumed: usize,
    limit: usize,
    step: F,
}

impl<F: FnMut(&[u8], &mut [u8]) -> Step> Decoder<'_, F> {
    /// One decode step into `room`, the output from offset `filled` on. Returns the bytes produced
    /// and, when the decode is over, how it ended.
    fn step(&mut self, room: &mut [u8], filled: usize) -> (usize, Option<End>) {
        // Move to the next piece once the current one is used up (never past the last).
        while self.piece + 1 < self.pieces.len()
            && self
                .pieces
                .get(self.piece)
                .is_some_and(|p| self.pos >= p.len())
        {
            self.piece += 1;
            self.pos = 0;
        }
        let input = self
            .pieces
            .get(self.piece)
            .and_then(|p| p.get(self.pos..))
            .unwrap_or(&[]);
        // Bounded input per step, so the expansion check below runs often enough.
        let input = input
            .get(..input.len().min(MAX_STEP_INPUT))
            .unwrap_or(input);
        let is_last = self.piece + 1 >= self.pieces.len();
        let s = (self.step)(input, room);
        let produced = s.produced.min(room.len());
        let filled = filled + produced;
        let used = s.consumed.min(input.len());
        self.pos += used;
        self.consumed += used;
        let corrupt = |consumed: usize, reason: String| End::Corrupt {
            offset: consumed as u64,
            reason,
        };
        let ended = if filled > self.limit {
            Some(End::Limit)
        } else if let Some(reason) = s.error {
            Some(corrupt(self.consumed, reason))
        } else if self.consumed
            > filled
                .saturating_mul(8)
                .saturating_add(MAX_NON_EXPANDING_INPUT)
        {
            let reason = "the compressed data does not expand: not a real stream".to_string();
            Some(corrupt(self.consumed, reason))
        } else if s.done {
            Some(End::Complete)
        } else if used == 0 && produced == 0 && input.is_empty() && is_last {
            Some(End::Truncated)
        } else if used == 0 && produced == 0 && !input.is_empty() {
            let reason = "the decoder stopped making progress".to_string();
            Some(corrupt(self.consumed, reason))
        } else {
            None
        };
        (produced, ended)
    }

    /// Steps filling `room` (the output from offset `filled` on) while a second thread surveys each
    /// piece as it is produced. Returns the bytes produced, how the decode ended if it did, and
    /// the surveyor (which has seen everything produced).
    fn steps_surveyed(
        &mut self,
        room: &mut [u8],
        filled: usize,
        mut surveyor: Surveyor,
    ) -> (usize, Option<End>, Option<Surveyor>) {
        let (tx, rx) = std::sync::mpsc::channel::<&[u8]>();
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .name("survey".into())
                .spawn_scoped(scope, move || {
                    for chunk in rx {
                        surveyor.feed(chunk);
                    }
                    surveyor
                });
            let Ok(worker) = worker else {
                // No thread to be had: decode on without a survey.
                let (produced, ended) = self.step(room, filled);
                return (produced, ended, None);
            };
            let mut rest = room;
            let mut produced = 0;
            let mut ended = None;
            while !rest.is_empty() && ended.is_none() {
                let n = rest.len().min(SURVEY_STEP);
                let (p, e) = self.step(&mut rest[..n], filled + produced);
                let (chunk, after) = std::mem::take(&mut rest).split_at_mut(p);
                // The worker only fails to receive if it panicked; the join below tells.
                let _ = tx.send(chunk);
                rest = after;
                produced += p;
                ended = e;
            }
            drop(tx);
            (produced, ended, worker.join().ok())
        })
    }
}

/// The output of [`drive`]: the first `kept` bytes, spare room given back when it is large, and
/// the survey when it covers exactly them.
fn finish(
    mut out: Vec<u8>,
    kept: usize,
    consumed: usize,
    end: End,
    surveyor: Option<Surveyor>,
    reserved: usize,
) -> Driven {
    out.truncate(kept);
    trim(&mut out);
    let survey = surveyor.map(Surveyor::finish).filter(|s| s.covers(&out));
    Driven {
        out,
        reserved,
        consumed,
        end,
        survey,
    }
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
    let cap = identify_limit();
    let decoded = decode(data, cap)?;
    identify_work_done((decoded.size + decoded.out.len()) as u64);
    if !decoded.plausible() {
        return None;
    }
    let base = describe(&decoded);
    if decoded.end == End::Limit {
        return Some(Identified::new(
            None,
            format!("{base}, expands beyond {cap} bytes"),
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
        survey: decoded.survey,
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
    let (bytes, survey, warnings) = match id.prepared {
        Some(p) => (p, id.survey, id.warnings),
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
            (decoded.out, decoded.survey, warnings)
        }
    };
    for (offset, reason) in warnings {
        out.warn(offset, reason);
    }
    out.entry(Entry {
        path: name,
        meta,
        body: Body::Payload {
            data: &bytes,
            survey: survey.as_ref(),
        },
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

    /// A "decoder" that copies input to output, ending when the input does.
    fn copy(i: &[u8], o: &mut [u8]) -> Step {
        let n = i.len().min(o.len());
        o[..n].copy_from_slice(&i[..n]);
        Step {
            consumed: n,
            produced: n,
            done: false,
            error: None,
        }
    }

    /// Raw deflate of `len` zeros: a decompression bomb in miniature (1000:1).
    fn deflated_zeros(len: usize) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..len >> 20 {
            e.write_all(&[0u8; 1 << 20]).unwrap();
        }
        e.finish().unwrap()
    }

    #[test]
    fn the_output_buffer_never_reserves_past_the_limit() {
        let bomb = deflated_zeros(48 << 20);
        for limit in [(1 << 20) + 3, 5 << 20, 40 << 20] {
            for hint in [None, Some(64 << 20), Some(limit as u64 / 2)] {
                for survey in [false, true] {
                    let mut z = flate2::Decompress::new(false);
                    let d = drive(&[&bomb], limit as u64, hint, survey, |i, o| {
                        let (in0, out0) = (z.total_in(), z.total_out());
                        let r = z.decompress(i, o, flate2::FlushDecompress::None);
                        Step {
                            consumed: (z.total_in() - in0) as usize,
                            produced: (z.total_out() - out0) as usize,
                            done: matches!(r, Ok(flate2::Status::StreamEnd)),
                            error: r.err().map(|e| e.to_string()),
                        }
                    });
                    assert_eq!((d.out.len(), &d.end), (limit, &End::Limit));
                    assert!(d.out.iter().all(|&b| b == 0));
                    assert!(
                        d.reserved <= limit + 1,
                        "reserved {} bytes for a limit of {limit} ({hint:?}, {survey})",
                        d.reserved
                    );
                }
            }
        }
        // Under a generous limit the stream completes and keeps no large spare room.
        let d = super::super::gzip::inflate(&bomb, 1 << 30, None, true);
        assert_eq!((d.out.len(), d.end), (48 << 20, End::Complete));
        assert!(d.reserved <= (1 << 30) + 1);
        assert!(d.out.capacity() - d.out.len() <= (1 << 20).max(d.out.len() / 8));
    }

    #[test]
    fn identification_decodes_no_further_than_the_budget() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&vec![0u8; 8 << 20]).unwrap();
        let gz = e.finish().unwrap();
        let decode = super::super::gzip::decode;
        let id = identify_stream(&gz, decode, |_| "gzip".into()).unwrap();
        assert_eq!(id.prepared.map(|p| p.len()), Some(8 << 20));
        {
            let _limit = IdentifyLimit::new(1 << 20);
            assert_eq!(identify_limit(), 1 << 20);
            let id = identify_stream(&gz, decode, |_| "gzip".into()).unwrap();
            assert!(id.prepared.is_none() && id.size.is_none());
            assert_eq!(id.description, "gzip, expands beyond 1048576 bytes");
            // A larger budget never raises the limit past the cap.
            let _inner = IdentifyLimit::new(u64::MAX);
            assert_eq!(identify_limit(), IDENTIFY_CAP);
        }
        assert_eq!(identify_limit(), IDENTIFY_CAP);
    }

    #[test]
    fn drive_stops_at_the_limit_and_on_stalls() {
        let data = vec![1u8; 100_000];
        let d = drive(&[&data], 1000, None, false, copy);
        assert_eq!((d.out.len(), d.end), (1000, End::Limit));
        assert!(d.consumed >= 1000);
        let d = drive(&[&data[..10], &data[10..20]], 1000, None, false, copy);
        assert_eq!((d.out.len(), d.consumed, d.end), (20, 20, End::Truncated));
        let stall = |_: &[u8], _: &mut [u8]| Step {
            consumed: 0,
            produced: 0,
            done: false,
            error: None,
        };
        let d = drive(&[&data], 1000, None, false, stall);
        assert!(matches!(d.end, End::Corrupt { .. }));
    }

    /// Data with gzip and squashfs magics every few KiB, some across 128 KiB step boundaries.
    fn data_with_magics(len: usize) -> Vec<u8> {
        let mut data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        for at in (1000..len - 8)
            .step_by(4093)
            .chain([SURVEY_STEP * 3 - 2, SURVEY_FROM - 1])
        {
            data[at..at + 4].copy_from_slice(if at % 2 == 0 {
                b"hsqs"
            } else {
                b"\x1f\x8b\x08\x00"
            });
        }
        data
    }

    #[test]
    fn drive_surveys_a_large_output_exactly_as_a_scan_would() {
        let data = data_with_magics(3_000_000);
        for hint in [None, Some(3_000_000), Some(1_000_000), Some(9_000_000)] {
            // Several pieces, so steps also end at piece boundaries.
            let (a, b) = data.split_at(1_234_567);
            let d = drive(&[a, b], 1 << 30, hint, true, copy);
            assert_eq!(d.out, data, "{hint:?}");
            let survey = d.survey.expect("a 3 MB output is surveyed");
            assert!(survey.covers(&data));
            assert_eq!(
                survey.sha256(),
                <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(&data))
            );
            let live: Vec<_> = crate::scan::Search::new(&data, None, 0).collect();
            let surveyed: Vec<_> = crate::scan::Search::new(&data, Some(&survey), 0).collect();
            assert!(live.len() > 700);
            let sorted = |mut v: Vec<(usize, usize)>| {
                v.sort_unstable_by_key(|&(pattern, p)| (p, pattern));
                v
            };
            assert_eq!(sorted(surveyed), sorted(live), "{hint:?}");
        }
    }

    #[test]
    fn drive_surveys_only_when_asked_and_only_what_it_returns() {
        let data = data_with_magics(1_000_000);
        assert!(drive(&[&data], 1 << 30, None, false, copy).survey.is_none());
        // Too small to be worth a thread.
        let small = &data[..SURVEY_FROM - 1];
        assert!(drive(&[small], 1 << 30, None, true, copy).survey.is_none());
        // Cut at the limit: the survey saw the byte past it, so it is not of the output.
        let d = drive(&[&data], 600_000, None, true, copy);
        assert_eq!((d.out.len(), d.end), (600_000, End::Limit));
        assert!(d.survey.is_none());
        // A decoder failing half way: the survey is of what was kept.
        let mut left = 700_000usize;
        let failing = |i: &[u8], o: &mut [u8]| {
            let mut s = copy(&i[..i.len().min(left)], o);
            left -= s.produced;
            if left == 0 {
                s.error = Some("bad block".into());
            }
            s
        };
        let d = drive(&[&data], 1 << 30, None, true, failing);
        assert_eq!(d.out.len(), 700_000);
        assert!(matches!(d.end, End::Corrupt { .. }));
        assert!(d.survey.is_some_and(|s| s.covers(&d.out)));
    }
}
