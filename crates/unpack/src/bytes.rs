//! Bounds-checked reading of integers and slices from untrusted data, and bounded decompression.
//!
//! Every handler reads attacker-controlled bytes; these helpers return `None` (or an [`Error`])
//! instead of panicking on a short read, so handlers can use `?` everywhere.

use std::io::Read;

use crate::format::Error;

/// Byte order of a structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub fn u16(self, data: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }
    pub fn u32(self, data: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }
    pub fn u64(self, data: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Endian::Little => "LE",
            Endian::Big => "BE",
        }
    }
}

pub fn le_u16(data: &[u8], at: usize) -> Option<u16> {
    Endian::Little.u16(data, at)
}
pub fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    Endian::Little.u32(data, at)
}
pub fn le_u64(data: &[u8], at: usize) -> Option<u64> {
    Endian::Little.u64(data, at)
}
pub fn be_u16(data: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(data, at)
}
pub fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(data, at)
}
pub fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Endian::Big.u64(data, at)
}

/// `data[at..at+len]`, or `None` when it does not fit (including on overflow).
pub fn slice(data: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    data.get(at..at.checked_add(len)?)
}

/// CRC-32/JAMCRC: zlib's CRC-32 without the final inversion, as U-Boot, TRX and Linux's
/// `crc32(~0, …)` (UBI, UBIFS, JFFS2) store it.
pub fn crc32_jam(data: &[u8]) -> u32 {
    !crc32fast::hash(data)
}

/// A NUL-terminated string inside a fixed-size field, lossily decoded, trailing NULs dropped.
pub fn c_string(field: &[u8]) -> String {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Read a decoder to its end, refusing to produce more than `limit` bytes.
///
/// Returns [`Error::Budget`] when the limit is hit (a decompression bomb or simply a budget that is
/// spent), and [`Error::Malformed`] with `offset` for a decoding error, keeping the reason.
pub fn read_bounded(
    reader: impl Read,
    limit: u64,
    offset: u64,
    what: &str,
) -> Result<Vec<u8>, Error> {
    match read_bounded_partial(reader, limit, offset, what)? {
        (out, None) => Ok(out),
        (_, Some(e)) => Err(e),
    }
}

/// Like [`read_bounded`] but keeps what was decoded before an error, so a truncated stream still
/// yields its readable prefix. Returns the data and the error, if any.
pub fn read_bounded_partial(
    mut reader: impl Read,
    limit: u64,
    offset: u64,
    what: &str,
) -> Result<(Vec<u8>, Option<Error>), Error> {
    const STEP: usize = 64 * 1024;
    let most = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    let mut buf = vec![0u8; STEP];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                trim(&mut out);
                return Ok((out, None));
            }
            Ok(n) => {
                if (out.len() + n) as u64 > limit {
                    return Err(Error::Budget(format!(
                        "{what} at offset {offset:#x} expands beyond the remaining budget of {limit} bytes"
                    )));
                }
                let len = out.len();
                grow_within(&mut out, len + n, len >= STEP, most);
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                trim(&mut out);
                return Ok((out, Some(Error::malformed(offset, format!("{what}: {e}")))));
            }
        }
    }
}

/// Give back the spare room [`grow_within`] reserved, when the output is small enough to copy:
/// shrinking moves the bytes to a new block, so a large output keeps its reservation (address
/// space, not memory) rather than exist twice for the copy.
pub fn trim(out: &mut Vec<u8>) {
    const COPY_AT_MOST: usize = 64 << 20;
    if out.len() <= COPY_AT_MOST && out.capacity() - out.len() > (1 << 20).max(out.len() / 8) {
        out.shrink_to_fit();
    }
}

/// Make room in `out` for `len` bytes of decoded output without ever holding two copies of a large
/// output, and never reserving more than `most` bytes (the output limit plus one).
///
/// Growing a vector by doubling copies it into a block twice its size: at the moment of the copy
/// both are resident, so a decode stopped by a 1 GiB limit peaked at 2 GiB. Once the output is
/// `real` (past a first step, so not a false hit on random bytes), the rest of the limit is
/// reserved in one block instead: address space only, since pages cost memory when written, and
/// output is written as it is decoded. Only when that reservation is refused (a limit larger than
/// the address space or the overcommit policy allows) does the buffer grow by doubling, still
/// capped at `most`.
pub fn grow_within(out: &mut Vec<u8>, len: usize, real: bool, most: usize) {
    if out.capacity() >= len {
        return;
    }
    if real
        && out
            .try_reserve_exact(most.saturating_sub(out.len()))
            .is_ok()
        && out.capacity() >= len
    {
        return;
    }
    let doubled = out.capacity().saturating_mul(2).clamp(len, most.max(len));
    if out.try_reserve_exact(doubled - out.len()).is_err() {
        out.reserve_exact(len - out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_reads_are_none() {
        assert_eq!(le_u32(&[1, 2, 3], 0), None);
        assert_eq!(be_u16(&[1, 2, 3], 2), None);
        assert_eq!(le_u32(&[1, 2, 3, 4], usize::MAX - 1), None);
        assert_eq!(be_u32(&[0, 0, 1, 0], 0), Some(256));
        assert_eq!(slice(&[1, 2, 3], 1, 2), Some(&[2u8, 3][..]));
        assert_eq!(slice(&[1, 2, 3], 2, usize::MAX), None);
    }

    #[test]
    fn bounded_read_stops_at_limit() {
        let data = vec![7u8; 1000];
        assert_eq!(read_bounded(&data[..], 1000, 0, "x").unwrap().len(), 1000);
        assert!(matches!(
            read_bounded(&data[..], 999, 0, "x"),
            Err(Error::Budget(_))
        ));
    }

    #[test]
    fn c_string_stops_at_nul() {
        assert_eq!(c_string(b"abc\0def"), "abc");
        assert_eq!(c_string(b"abc"), "abc");
    }
}
