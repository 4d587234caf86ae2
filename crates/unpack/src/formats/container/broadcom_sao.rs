//! Broadcom SAO images (recent Broadcom set-top and gateway SoCs): a run of objects, each a
//! 64-byte big-endian `SOBJ` header — CRC-32 of header bytes 8..64, a four-letter type (`META`,
//! `DTBB`, `KRNL`, `RTFS`…), version, flags, data size, code type, sign type (bit 7: encrypted),
//! CRC-32 of the data at 52 — followed by the data. Layout: binwalk v2's `SOBJ` magic and FACT's
//! `broadcom_sao.py`; both CRCs are zlib's CRC-32, as the test image confirms.
//!
//! An object is believed when its header CRC matches, or, for objects up to 64 KiB, its data CRC
//! (FACT's test image has one stale header CRC); the other mismatching is a warning. The data CRC
//! of a large object is checked once, at extraction. An encrypted object (sign type bit 7, or
//! data that starts with an `ENCK` encryption header) is reported "encrypted, vendor key needed"
//! and not emitted: Broadcom's keys are not public. Parsed by hand (fixed layout, no crate
//! exists).

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::{payloads, printable};

/// Broadcom SAO object chain.
pub struct BroadcomSao;

const HEADER_LEN: usize = 64;
/// Objects followed per image, at most.
const MAX_OBJECTS: usize = 256;
/// Largest object believed on its data CRC alone (its header CRC failing).
const MAX_DATA_CRC_ONLY: usize = 64 << 10;

struct Object {
    start: usize,
    kind: [u8; 4],
    data: std::ops::Range<usize>,
    encrypted: bool,
    header_crc_ok: bool,
    /// Checked only when the header CRC failed.
    data_crc_ok: Option<bool>,
}

impl Object {
    fn kind(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }
}

fn parse_object(data: &[u8], start: usize) -> Option<Object> {
    let h = slice(data, start, HEADER_LEN)?;
    if &h[..4] != b"SOBJ" {
        return None;
    }
    let kind: [u8; 4] = h[8..12].try_into().ok()?;
    if !printable(&kind) {
        return None;
    }
    let size = usize::try_from(be_u32(h, 16)?).ok()?;
    let data_at = start + HEADER_LEN;
    let body = slice(data, data_at, size)?;
    let header_crc_ok = crc32fast::hash(&h[8..]) == be_u32(h, 4)?;
    // The data CRC costs a pass over the object: needed only when the header CRC fails, and then
    // only for small objects, so a scan never pays a full pass per stray `SOBJ`.
    let data_crc_ok = if header_crc_ok {
        None
    } else if size <= MAX_DATA_CRC_ONLY {
        Some(crc32fast::hash(body) == be_u32(h, 52)?)
    } else {
        return None;
    };
    if data_crc_ok == Some(false) {
        return None;
    }
    let encrypted = h[26] & 0x80 != 0 || body.get(4..8) == Some(b"ENCK");
    Some(Object {
        start,
        kind,
        data: data_at..data_at + size,
        encrypted,
        header_crc_ok,
        data_crc_ok,
    })
}

/// The objects that follow each other from `data[0]`.
fn parse(data: &[u8]) -> Vec<Object> {
    let mut objects = Vec::new();
    let mut at = 0;
    while objects.len() < MAX_OBJECTS {
        let Some(o) = parse_object(data, at) else {
            break;
        };
        at = o.data.end;
        objects.push(o);
    }
    objects
}

impl Format for BroadcomSao {
    fn name(&self) -> &'static str {
        "broadcom-sao"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"SOBJ")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let objects = parse(data);
        let end = objects.last()?.data.end;
        let list: Vec<String> = objects
            .iter()
            .map(|o| {
                let enc = if o.encrypted { " encrypted" } else { "" };
                format!("{} {} bytes{enc}", o.kind(), o.data.len())
            })
            .collect();
        let mut id = Identified::new(
            Some(end as u64),
            format!(
                "Broadcom SAO image, {} objects: {}",
                objects.len(),
                list.join(", ")
            ),
        );
        for o in &objects {
            if !o.header_crc_ok {
                id.warnings.push((
                    o.start as u64 + 4,
                    format!("{} header CRC mismatch (data CRC ok)", o.kind()),
                ));
            }
        }
        Some(id)
    }

    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        for (at, why) in id.warnings {
            out.warn(at, why);
        }
        let objects = parse(data);
        if objects.is_empty() {
            return Err(Error::malformed(0, "SAO object no longer validates"));
        }
        let mut parts: Vec<(String, &[u8])> = Vec::with_capacity(objects.len());
        let mut encrypted = 0;
        for (i, o) in objects.iter().enumerate() {
            // The object headers, and the bodies of encrypted objects (never carved: ciphertext),
            // are accounted for.
            out.explained(o.start as u64, HEADER_LEN as u64);
            if o.encrypted {
                out.explained(o.data.start as u64, o.data.len() as u64);
            }
            let body = &data[o.data.clone()];
            if o.data_crc_ok.is_none() && be_u32(data, o.start + 52) != Some(crc32fast::hash(body))
            {
                out.warn(
                    o.start as u64 + 52,
                    format!("{} data CRC mismatch (header CRC ok)", o.kind()),
                );
            }
            if o.encrypted {
                out.warn(
                    o.start as u64,
                    format!(
                        "{} ({} bytes): encrypted, vendor key needed",
                        o.kind(),
                        o.data.len()
                    ),
                );
                encrypted += 1;
                continue;
            }
            let mut name = o.kind();
            if parts.iter().any(|(used, _)| *used == name) {
                name = format!("{name}-{i}");
            }
            parts.push((name, &data[o.data.clone()]));
        }
        payloads(out, &parts)?;
        if encrypted == objects.len() {
            return Err(Error::Unsupported(
                "every SAO object is encrypted, vendor key needed".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    fn object(kind: &[u8; 4], body: &[u8], sign_type: u8) -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN];
        h[..4].copy_from_slice(b"SOBJ");
        h[8..12].copy_from_slice(kind);
        h[12..14].copy_from_slice(&1u16.to_be_bytes());
        h[16..20].copy_from_slice(&(body.len() as u32).to_be_bytes());
        h[20..24].copy_from_slice(&(body.len() as u32).to_be_bytes());
        h[26] = sign_type;
        h[52..56].copy_from_slice(&crc32fast::hash(body).to_be_bytes());
        let crc = crc32fast::hash(&h[8..]);
        h[4..8].copy_from_slice(&crc.to_be_bytes());
        h.extend_from_slice(body);
        h
    }

    #[test]
    fn fact_fixture_yields_its_four_objects() {
        let data = corpus_bytes("formats/broadcom__broadcom-sao.bin");
        let id = BroadcomSao.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert_eq!(
            id.description,
            "Broadcom SAO image, 4 objects: META 29 bytes, DTBB 119 bytes, KRNL 40 bytes, RTFS 4096 bytes"
        );
        // FACT's META header carries a stale CRC; its data CRC holds.
        assert_eq!(id.warnings.len(), 1, "{:?}", id.warnings);
        let (c, r) = Collector::run(&BroadcomSao, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.sorted_paths(), ["DTBB", "KRNL", "META", "RTFS"]);
        assert_eq!(
            c.file("META").unwrap(),
            b"{\"extractor\":\"broadcom-sao\"}\n"
        );
        assert_eq!(&c.file("DTBB").unwrap()[..4], b"\xd0\x0d\xfe\xed");
        assert_eq!(&c.file("RTFS").unwrap()[..4], b"hsqs");
    }

    #[test]
    fn encrypted_objects_are_reported_not_emitted() {
        let mut img = object(b"KRNL", b"ciphertext......", 0x81);
        img.extend(object(b"RTFS", b"hsqs plain", 0x01));
        let id = BroadcomSao.identify(&img).unwrap();
        assert!(
            id.description.contains("KRNL 16 bytes encrypted"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&BroadcomSao, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["RTFS"]);
        let w = c.warnings.lock().unwrap();
        assert!(
            w[0].1
                .contains("KRNL (16 bytes): encrypted, vendor key needed"),
            "{w:?}"
        );
        // Only encrypted objects: the extraction itself says so.
        let mut enck = vec![0u8; 4];
        enck.extend_from_slice(b"ENCK");
        enck.extend_from_slice(&[0u8; 40]);
        let img = object(b"KRNL", &enck, 0);
        let (c, r) = Collector::run(&BroadcomSao, &img, 1 << 20).unwrap();
        assert!(r.unwrap_err().to_string().contains("vendor key needed"));
        assert!(c.paths().is_empty());
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/broadcom__broadcom-sao.bin");
        hostile(&BroadcomSao, &data);
        // Cut inside the last object: three objects remain.
        let id = BroadcomSao.identify(&data[..data.len() - 1]).unwrap();
        assert!(id.description.contains("3 objects"), "{}", id.description);
        let mut junk = noise(4096, 23);
        junk[..4].copy_from_slice(b"SOBJ");
        assert!(BroadcomSao.identify(&junk).is_none());
        // Both CRCs broken: not believed.
        let mut bad = object(b"KRNL", b"kernel", 0);
        bad[HEADER_LEN] ^= 1;
        bad[4] ^= 1;
        assert!(BroadcomSao.identify(&bad).is_none());
    }
}
