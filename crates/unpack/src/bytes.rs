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
    mut reader: impl Read,
    limit: u64,
    offset: u64,
    what: &str,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut taken = (&mut reader).take(limit.saturating_add(1));
    match taken.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > limit => Err(Error::Budget(format!(
            "{what} at offset {offset:#x} expands beyond the remaining budget of {limit} bytes"
        ))),
        Ok(_) => Ok(out),
        Err(e) => Err(Error::malformed(offset, format!("{what}: {e}"))),
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
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok((out, None)),
            Ok(n) => {
                if (out.len() + n) as u64 > limit {
                    return Err(Error::Budget(format!(
                        "{what} at offset {offset:#x} expands beyond the remaining budget of {limit} bytes"
                    )));
                }
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Ok((out, Some(Error::malformed(offset, format!("{what}: {e}"))))),
        }
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
