//! gzip (RFC 1952). The header is parsed here (flate2's `GzDecoder` hides how many bytes it
//! consumed, which the engine needs); the deflate body is decoded by `flate2::Decompress`.
//! Only the first member is decoded: what follows is carved by the engine.

use flate2::{Decompress, FlushDecompress, Status};

use super::stream::{self, Decoded, Driven, End, Step};
use crate::bytes::{le_u16, le_u32};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

const FTEXT: u8 = 0x01;
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = !(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT);
/// Longest FNAME/FCOMMENT accepted: real ones are short; a missing NUL means garbage.
const MAX_STRING: usize = 4096;

/// The parsed fixed part of a gzip member header.
#[derive(Debug)]
pub struct Header<'a> {
    pub mtime: u32,
    pub name: Option<&'a [u8]>,
    pub comment: Option<&'a [u8]>,
    /// Length of the header, where the deflate data starts.
    pub len: usize,
    /// The FHCRC field did not match.
    pub bad_header_crc: bool,
}

fn nul_terminated(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let field = data.get(at..)?;
    let field = field.get(..field.len().min(MAX_STRING))?;
    let end = memchr::memchr(0, field)?;
    Some((field.get(..end)?, at.checked_add(end)?.checked_add(1)?))
}

/// Parse a member header, or `None` when it is not one.
pub fn parse_header(data: &[u8]) -> Option<Header<'_>> {
    if data.get(..3)? != b"\x1f\x8b\x08" {
        return None;
    }
    let flags = *data.get(3)?;
    let os = *data.get(9)?;
    // Reserved flag bits must be zero; the OS byte is 0..=13 or 255 ("unknown").
    if flags & RESERVED != 0 || (os > 13 && os != 255) {
        return None;
    }
    let mtime = le_u32(data, 4)?;
    let mut pos = 10usize;
    if flags & FEXTRA != 0 {
        let xlen = usize::from(le_u16(data, pos)?);
        pos = pos.checked_add(2)?.checked_add(xlen)?;
        if pos > data.len() {
            return None;
        }
    }
    let mut name = None;
    if flags & FNAME != 0 {
        let (n, next) = nul_terminated(data, pos)?;
        name = Some(n);
        pos = next;
    }
    let mut comment = None;
    if flags & FCOMMENT != 0 {
        let (c, next) = nul_terminated(data, pos)?;
        comment = Some(c);
        pos = next;
    }
    let mut bad_header_crc = false;
    if flags & FHCRC != 0 {
        let stored = le_u16(data, pos)?;
        bad_header_crc = (crc32fast::hash(data.get(..pos)?) & 0xffff) as u16 != stored;
        pos = pos.checked_add(2)?;
    }
    Some(Header {
        mtime,
        name,
        comment,
        len: pos,
        bad_header_crc,
    })
}

/// Inflate raw deflate data (surveying the output with `survey`, see [`stream::drive`]).
pub fn inflate(data: &[u8], limit: u64, size_hint: Option<u64>, survey: bool) -> Driven {
    let mut z = Decompress::new(false);
    stream::drive(&[data], limit, size_hint, survey, |input, output| {
        let (in0, out0) = (z.total_in(), z.total_out());
        let result = z.decompress(input, output, FlushDecompress::None);
        Step {
            consumed: usize::try_from(z.total_in().saturating_sub(in0)).unwrap_or(usize::MAX),
            produced: usize::try_from(z.total_out().saturating_sub(out0)).unwrap_or(usize::MAX),
            done: matches!(result, Ok(Status::StreamEnd)),
            error: result.err().map(|e| format!("deflate: {e}")),
        }
    })
}

/// Decode the gzip member at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    let header = parse_header(data)?;
    let body = data.get(header.len..)?;
    let Driven {
        out,
        consumed: used,
        end,
        survey,
        ..
    } = inflate(body, limit, None, true);
    let mut warnings = Vec::new();
    if header.bad_header_crc {
        warnings.push((0, "gzip header CRC16 mismatch".to_string()));
    }
    let deflate_end = header.len + used;
    let end = match end {
        End::Corrupt { offset, reason } => End::Corrupt {
            offset: offset + header.len as u64,
            reason,
        },
        End::Complete => match (le_u32(data, deflate_end), le_u32(data, deflate_end + 4)) {
            (Some(crc), Some(isize)) => {
                let actual = crc32fast::hash(&out);
                if actual != crc {
                    warnings.push((
                        deflate_end as u64,
                        format!("gzip CRC32 mismatch: stored {crc:#010x}, computed {actual:#010x}"),
                    ));
                }
                if isize != out.len() as u32 {
                    warnings.push((
                        deflate_end as u64 + 4,
                        format!("gzip ISIZE mismatch: stored {isize}, decoded {}", out.len()),
                    ));
                }
                return Some(Decoded {
                    out,
                    survey,
                    size: deflate_end + 8,
                    end: End::Complete,
                    warnings,
                });
            }
            _ => {
                return Some(Decoded {
                    out,
                    survey,
                    size: data.len(),
                    end: End::Truncated,
                    warnings,
                })
            }
        },
        other => other,
    };
    Some(Decoded {
        out,
        survey,
        size: deflate_end,
        end,
        warnings,
    })
}

/// gzip stream handler.
pub struct Gzip;

impl Format for Gzip {
    fn name(&self) -> &'static str {
        "gzip"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(b"\x1f\x8b\x08")];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let header = parse_header(data)?;
        let mut description = String::from("gzip");
        if let Some(name) = header.name {
            description.push_str(&format!(", name \"{}\"", String::from_utf8_lossy(name)));
        }
        if header.mtime != 0 {
            description.push_str(&format!(
                ", mtime {}",
                stream::format_time(i64::from(header.mtime))
            ));
        }
        if let Some(comment) = header.comment {
            description.push_str(&format!(
                ", comment \"{}\"",
                String::from_utf8_lossy(comment)
            ));
        }
        stream::identify_stream(data, decode, |d| {
            format!("{description}, {} -> {} bytes", d.size, d.out.len())
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let header =
            parse_header(data).ok_or_else(|| Error::malformed(0, "invalid gzip header"))?;
        let name = header.name.filter(|n| !n.is_empty()).unwrap_or(b"data");
        let meta = Meta {
            mtime: (header.mtime != 0).then_some(i64::from(header.mtime)),
            ..Meta::default()
        };
        stream::extract_stream(data, id, out, decode, name, meta)
    }
}
