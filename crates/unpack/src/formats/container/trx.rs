//! Broadcom TRX (`HDR0`): a 28-byte (v1) or 32-byte (v2) little-endian header with a CRC-32 over
//! everything after the CRC field and up to three (v1) or four (v2) partition offsets. Parsed by
//! hand: fixed layout.
//!
//! Identification requires the CRC to match when the whole image is present: `HDR0` is a short,
//! common byte string and the CRC is the only strong check. A truncated image (a partial flash dump)
//! is still accepted when its header is strictly consistent (known version, first partition right
//! after the header, offsets ascending and inside the declared length), and is reported as such.

use crate::bytes::{le_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::payloads;
use crate::bytes::crc32_jam;

/// Broadcom TRX container.
pub struct Trx;

struct Header {
    len: usize,
    crc: u32,
    flags: u16,
    version: u16,
    /// Non-zero partition offsets, ascending.
    offsets: Vec<usize>,
}

fn parse(data: &[u8]) -> Option<Header> {
    if data.get(..4)? != b"HDR0" {
        return None;
    }
    let len = usize::try_from(le_u32(data, 4)?).ok()?;
    let crc = le_u32(data, 8)?;
    let flag_version = le_u32(data, 12)?;
    let (flags, version) = (flag_version as u16, (flag_version >> 16) as u16);
    let slots = match version {
        1 => 3,
        2 => 4,
        _ => return None,
    };
    let header_len = 16 + 4 * slots;
    if len < header_len {
        return None;
    }
    let mut offsets = Vec::with_capacity(slots);
    for i in 0..slots {
        let off = usize::try_from(le_u32(data, 16 + 4 * i)?).ok()?;
        if off == 0 {
            continue;
        }
        if off < header_len || off >= len || offsets.last().is_some_and(|&last| off <= last) {
            return None;
        }
        offsets.push(off);
    }
    if offsets.is_empty() {
        return None;
    }
    Some(Header {
        len,
        crc,
        flags,
        version,
        offsets,
    })
}

impl Trx {
    /// What the CRC covers; `None` when the image is truncated.
    fn crc_covered<'d>(data: &'d [u8], h: &Header) -> Option<&'d [u8]> {
        slice(data, 12, h.len - 12)
    }
}

impl Format for Trx {
    fn name(&self) -> &'static str {
        "trx"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"HDR0")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse(data)?;
        let header_len = if h.version == 1 { 28 } else { 32 };
        let mut description = format!(
            "TRX v{}, {} bytes, flags {:#06x}, {} partitions at {}",
            h.version,
            h.len,
            h.flags,
            h.offsets.len(),
            h.offsets
                .iter()
                .map(|o| format!("{o:#x}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        match Self::crc_covered(data, &h) {
            Some(covered) => {
                if !crate::format::identify_work(covered.len() as u64)
                    || crc32_jam(covered) != h.crc
                {
                    return None;
                }
                description.push_str(", CRC ok");
            }
            None => {
                // Truncated: only a strictly consistent header is believed.
                if h.offsets.first() != Some(&header_len) {
                    return None;
                }
                description.push_str(&format!(
                    ", truncated to {} bytes, CRC not checked",
                    data.len()
                ));
            }
        }
        Some(Identified::new(
            Some(h.len.min(data.len()) as u64),
            description,
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h = parse(data).ok_or_else(|| Error::malformed(0, "TRX header no longer validates"))?;
        if Self::crc_covered(data, &h).is_none() {
            out.warn(
                0,
                format!("image truncated: {} of {} bytes present", data.len(), h.len),
            );
        }
        let end = h.len.min(data.len());
        let mut parts = Vec::with_capacity(h.offsets.len());
        for (i, &start) in h.offsets.iter().enumerate() {
            let stop = h.offsets.get(i + 1).copied().unwrap_or(h.len).min(end);
            let Some(part) = data.get(start..stop) else {
                out.warn(start as u64, format!("partition {i} lies beyond the data"));
                continue;
            };
            parts.push((format!("partition-{i}"), part));
        }
        payloads(out, &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    fn build(version: u16, parts: &[&[u8]]) -> Vec<u8> {
        let header_len = if version == 1 { 28 } else { 32 };
        let mut img = vec![0u8; header_len];
        img[..4].copy_from_slice(b"HDR0");
        img[12..16].copy_from_slice(&(u32::from(version) << 16).to_le_bytes());
        for (i, p) in parts.iter().enumerate() {
            let off = img.len() as u32;
            img[16 + 4 * i..20 + 4 * i].copy_from_slice(&off.to_le_bytes());
            img.extend_from_slice(p);
        }
        let len = img.len() as u32;
        img[4..8].copy_from_slice(&len.to_le_bytes());
        let crc = crc32_jam(&img[12..]);
        img[8..12].copy_from_slice(&crc.to_le_bytes());
        img
    }

    #[test]
    fn fact_trx_fixture() {
        let data = corpus_bytes("formats/trx__trx.img");
        let id = Trx.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(0x1000));
        assert!(
            id.description.contains("TRX v1") && id.description.contains("CRC ok"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Trx, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["partition-0"]);
        let part = c.file("partition-0").unwrap();
        assert_eq!(part[..], data[0x1c..0x1000]);
        // The partition is a zip holding the three FACT test files.
        assert_eq!(&part[..4], b"PK\x03\x04");
    }

    #[test]
    fn v2_with_four_partitions_and_crc_check() {
        let img = build(2, &[b"aaaa", b"bb", b"cccccc", b"d"]);
        let (c, r) = Collector::run(&Trx, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(
            c.sorted_paths(),
            ["partition-0", "partition-1", "partition-2", "partition-3"]
        );
        assert_eq!(c.file("partition-2").unwrap(), b"cccccc");
        assert_eq!(c.file("partition-3").unwrap(), b"d");
        let mut bad = img.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(
            Trx.identify(&bad).is_none(),
            "CRC mismatch must not identify"
        );
        // Truncated but consistent: identified, partitions clipped, warned.
        let cut = &img[..40];
        let id = Trx.identify(cut).unwrap();
        assert!(id.description.contains("truncated"));
        let (c, r) = Collector::run(&Trx, cut, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("partition-1").unwrap(), b"bb");
        assert_eq!(c.file("partition-2").unwrap(), b"cc");
        assert!(!c.warnings.lock().unwrap().is_empty());
    }

    #[test]
    fn hostile_inputs() {
        hostile(&Trx, &corpus_bytes("formats/trx__trx.img"));
        let mut junk = noise(8192, 7);
        junk[..4].copy_from_slice(b"HDR0");
        assert!(Trx.identify(&junk).is_none());
        // Descending offsets and huge length are rejected.
        let mut img = build(1, &[b"aaaa", b"bbbb"]);
        img[16..20].copy_from_slice(&40u32.to_le_bytes());
        assert!(Trx.identify(&img).is_none());
        let mut img = build(1, &[b"aaaa"]);
        img[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let id = Trx.identify(&img).expect("consistent truncated header");
        assert_eq!(id.size, Some(img.len() as u64));
    }
}
