//! lzop files: parsed here (no maintained crate reads the container), blocks decoded with
//! `rust-lzo` (a port of the kernel's bounds-checked `lzo1x_decompress_safe`).
//!
//! Layout (big-endian): magic, version, library version, [version needed, ≥ 0x0940], method,
//! [level, ≥ 0x0940], flags, [filter], mode, mtime low, [mtime high, ≥ 0x0940], name, header
//! checksum (Adler-32, or CRC-32 with `F_H_CRC32`), [extra field]; then blocks of uncompressed
//! size (0 ends the stream), compressed size, optional checksums, data (stored as is when both
//! sizes are equal).

use rust_lzo::{LZOContext, LZOError};

use super::stream::{self, Decoded, End};
use crate::bytes::{be_u16, be_u32};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic, Meta};

pub const MAGIC: &[u8] = b"\x89LZO\x00\x0d\x0a\x1a\x0a";

const F_ADLER32_D: u32 = 0x0001;
const F_ADLER32_C: u32 = 0x0002;
const F_H_EXTRA_FIELD: u32 = 0x0040;
const F_CRC32_D: u32 = 0x0100;
const F_CRC32_C: u32 = 0x0200;
const F_H_FILTER: u32 = 0x0800;
const F_H_CRC32: u32 = 0x1000;
/// Bits no lzop version sets.
const F_RESERVED: u32 = 0x000f_c000;
/// lzop's own block size limit.
const MAX_BLOCK: u32 = 64 << 20;
/// Longest extra field accepted (lzop never writes one; it only bounds garbage).
const MAX_EXTRA: u32 = 1 << 20;

/// Adler-32 as lzop computes it (initial value 1).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 is the largest n such that 255 n (n + 1) / 2 + (n + 1) (MOD - 1) fits in u32.
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// A parsed lzop header.
#[derive(Debug, Clone)]
pub struct Header {
    pub version: u16,
    pub method: u8,
    pub flags: u32,
    pub mode: u32,
    pub mtime: i64,
    pub name: Vec<u8>,
    /// Where the first block starts.
    pub len: usize,
}

/// Parse and checksum-verify the header at `data[0]`.
pub fn parse_header(data: &[u8]) -> Option<Header> {
    if data.get(..MAGIC.len())? != MAGIC {
        return None;
    }
    let mut pos = MAGIC.len();
    let version = be_u16(data, pos)?;
    pos += 4; // version, library version
    if version < 0x0900 {
        return None;
    }
    if version >= 0x0940 {
        pos += 2; // version needed to extract
    }
    let method = *data.get(pos)?;
    pos += 1;
    if version >= 0x0940 {
        pos += 1; // level
    }
    let flags = be_u32(data, pos)?;
    pos += 4;
    if flags & F_RESERVED != 0 {
        return None;
    }
    if flags & F_H_FILTER != 0 {
        pos += 4;
    }
    let mode = be_u32(data, pos)?;
    let mtime_low = be_u32(data, pos + 4)?;
    pos += 8;
    let mut mtime = i64::from(mtime_low);
    if version >= 0x0940 {
        mtime |= i64::from(be_u32(data, pos)?) << 32;
        pos += 4;
    }
    let name_len = usize::from(*data.get(pos)?);
    let name = data.get(pos + 1..pos + 1 + name_len)?.to_vec();
    pos += 1 + name_len;
    let stored = be_u32(data, pos)?;
    let covered = data.get(MAGIC.len()..pos)?;
    let computed = if flags & F_H_CRC32 != 0 {
        crc32fast::hash(covered)
    } else {
        adler32(covered)
    };
    if stored != computed {
        return None;
    }
    pos += 4;
    if flags & F_H_EXTRA_FIELD != 0 {
        let extra = be_u32(data, pos)?;
        if extra > MAX_EXTRA {
            return None;
        }
        pos = pos.checked_add(8 + extra as usize)?;
        if pos > data.len() {
            return None;
        }
    }
    Some(Header {
        version,
        method,
        flags,
        mode,
        mtime,
        name,
        len: pos,
    })
}

fn checksum_ok(
    flags: u32,
    adler_flag: u32,
    adler: Option<u32>,
    crc: Option<u32>,
    data: &[u8],
) -> bool {
    let adler_ok = flags & adler_flag == 0 || adler == Some(adler32(data));
    let crc_ok = crc.is_none_or(|c| c == crc32fast::hash(data));
    adler_ok && crc_ok
}

/// Decode the lzop file at `data[0]`.
pub fn decode(data: &[u8], limit: u64) -> Option<Decoded> {
    let h = parse_header(data)?;
    if !(1..=3).contains(&h.method) {
        // Only the LZO1X methods (1, 2 = LZO1X-1(15), 3 = LZO1X-999) exist in lzop's output.
        return None;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let flags = h.flags;
    let mut out: Vec<u8> = Vec::new();
    let mut warnings = Vec::new();
    let mut pos = h.len;
    let finish = |out, size, end, warnings| {
        Some(Decoded {
            survey: None,
            out,
            size,
            end,
            warnings,
        })
    };
    // Every iteration consumes at least 8 bytes or stops.
    loop {
        let block_at = pos;
        let Some(dst_len) = be_u32(data, pos) else {
            return finish(out, data.len(), End::Truncated, warnings);
        };
        pos += 4;
        if dst_len == 0 {
            return finish(out, pos, End::Complete, warnings);
        }
        let corrupt = |reason: &str| End::Corrupt {
            offset: block_at as u64,
            reason: reason.to_string(),
        };
        let Some(src_len) = be_u32(data, pos) else {
            return finish(out, data.len(), End::Truncated, warnings);
        };
        pos += 4;
        // LZO1X expands at most ~255:1 (long lengths cost a zero byte per 255).
        if dst_len > MAX_BLOCK
            || src_len == 0
            || src_len > dst_len
            || u64::from(dst_len) > u64::from(src_len) * 256 + 4096
        {
            return finish(
                out,
                block_at,
                corrupt("impossible lzop block sizes"),
                warnings,
            );
        }
        let mut field = |present: bool| -> Option<Option<u32>> {
            if !present {
                return Some(None);
            }
            let v = be_u32(data, pos)?;
            pos += 4;
            Some(Some(v))
        };
        let compressed = src_len < dst_len;
        let fields = (|| {
            let d_adler = field(flags & F_ADLER32_D != 0)?;
            let d_crc = field(flags & F_CRC32_D != 0)?;
            let c_adler = field(compressed && flags & F_ADLER32_C != 0)?;
            let c_crc = field(compressed && flags & F_CRC32_C != 0)?;
            Some((d_adler, d_crc, c_adler, c_crc))
        })();
        let Some((d_adler, d_crc, c_adler, c_crc)) = fields else {
            return finish(out, data.len(), End::Truncated, warnings);
        };
        let Some(src) = data.get(pos..pos + src_len as usize) else {
            return finish(out, data.len(), End::Truncated, warnings);
        };
        pos += src_len as usize;
        let dst_len = dst_len as usize;
        if out.len().saturating_add(dst_len) > limit {
            return finish(Vec::new(), block_at, End::Limit, warnings);
        }
        if compressed && !checksum_ok(flags, F_ADLER32_C, c_adler, c_crc, src) {
            warnings.push((
                block_at as u64,
                "lzop compressed block checksum mismatch".to_string(),
            ));
        }
        let start = out.len();
        if compressed {
            out.resize(start + dst_len, 0);
            let (produced, err) = LZOContext::decompress_to_slice(src, &mut out[start..]);
            let produced = produced.len();
            if !matches!(err, LZOError::OK) || produced != dst_len {
                out.truncate(start);
                return finish(
                    out,
                    block_at,
                    corrupt("LZO1X block does not decode"),
                    warnings,
                );
            }
        } else {
            out.extend_from_slice(src);
        }
        if !checksum_ok(flags, F_ADLER32_D, d_adler, d_crc, &out[start..]) {
            warnings.push((block_at as u64, "lzop block checksum mismatch".to_string()));
        }
    }
}

/// lzop file handler.
pub struct Lzop;

impl Format for Lzop {
    fn name(&self) -> &'static str {
        "lzop"
    }
    fn kind(&self) -> Kind {
        Kind::Compression
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(MAGIC)];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse_header(data)?;
        let mut description = format!("lzop v{:x}, method {}", h.version, h.method);
        if !h.name.is_empty() {
            description.push_str(&format!(", name \"{}\"", String::from_utf8_lossy(&h.name)));
        }
        if h.mtime != 0 {
            description.push_str(&format!(", mtime {}", stream::format_time(h.mtime)));
        }
        stream::identify_stream(data, decode, |d| {
            format!("{description}, {} -> {} bytes", d.size, d.out.len())
        })
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h = parse_header(data).ok_or_else(|| Error::malformed(0, "invalid lzop header"))?;
        let name: &[u8] = if h.name.is_empty() { b"data" } else { &h.name };
        let meta = Meta {
            mode: (h.mode != 0).then_some(h.mode & 0o7777),
            mtime: (h.mtime != 0).then_some(h.mtime),
            ..Meta::default()
        };
        stream::extract_stream(data, id, out, decode, name, meta)
    }
}
