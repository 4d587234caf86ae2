//! Senao / EnGenius firmware (also some D-Link access points), scrambled with a published XOR:
//! byte `i` of the payload is XORed with `(magic >> (i % 8)) & 0xff`, where `magic` is a big-endian
//! word of the header itself.
//!
//! - **v1** (OpenWrt's `mksenaofw.c`, the public reference): a 0x60-byte big-endian header — head,
//!   vendor and product ids, a 16-byte version string, firmware type, plain size, MD5 of the plain
//!   payload, a byte-sum checksum of the header, and the magic (default `0x12345678`) at 0x5c.
//!   Firmware type 0 ("combo") adds a CAPWAP header (`all` model marker, versions, date code, a
//!   length-prefixed model name; unblob's `engenius.py` documents the same). The header checksum
//!   identifies it (or, for payloads up to 64 KiB, the MD5); the MD5 is checked at extraction; the
//!   plain size trims the block padding.
//! - **v2** (magic `0x30471688` at 0x7c, 0xb4 or 0x11c for headers of 0x80, 0xb8 or 0x120 bytes):
//!   known only from FACT's `senao.py`, which records the magic offsets and nothing else, so the
//!   payload runs to the end of the data and nothing can be verified; the description says so.
//!
//! Parsed by hand (fixed layouts, no crate exists).

use md5::{Digest, Md5};

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::{payload, text_field};

/// Senao/EnGenius XOR-scrambled firmware.
pub struct Senao;

const V1_HEADER_LEN: usize = 0x60;
const V1_MAGIC: [u8; 4] = [0x12, 0x34, 0x56, 0x78];
const V2_MAGIC: [u8; 4] = [0x30, 0x47, 0x16, 0x88];
/// (magic offset, header length) of the v2 variants.
const V2_LAYOUTS: [(usize, usize); 3] = [(0x7c, 0x80), (0xb4, 0xb8), (0x11c, 0x120)];
/// The CAPWAP header's fixed part: mod, sku, 3 firmware version words, date code, 3 CAPWAP
/// version words, model name length.
const CAPWAP_LEN: usize = 40;
/// A model name longer than this is not credible.
const MODEL_MAX: usize = 64;
/// Largest payload believed on its MD5 alone (its header checksum failing).
const MAX_MD5_ONLY: usize = 64 << 10;

/// Undo the scramble.
fn unscramble(magic: u32, data: &[u8]) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, &b)| b ^ (magic >> (i % 8)) as u8)
        .collect()
}

struct V1<'a> {
    version: &'a [u8],
    vendor: u32,
    product: u32,
    firmware_type: u32,
    model: Option<&'a [u8]>,
    magic: u32,
    plain_len: usize,
    md5: &'a [u8],
    header_sum_ok: bool,
    payload_at: usize,
}

fn parse_v1(data: &[u8]) -> Option<V1<'_>> {
    if slice(data, 0x5c, 4)? != V1_MAGIC {
        return None;
    }
    let version = text_field(slice(data, 0x0c, 16)?)?;
    let firmware_type = be_u32(data, 0x1c)?;
    let plain_len = usize::try_from(be_u32(data, 0x20)?).ok()?;
    if firmware_type > 0x0c || be_u32(data, 0x24)? != 0 || plain_len == 0 {
        return None;
    }
    // `header_checksum` sums the header bytes with the checksum field still zero, plus the CAPWAP
    // header when there is one.
    let stored_sum = be_u32(data, 0x58)?;
    let mut sum = data[..V1_HEADER_LEN]
        .iter()
        .enumerate()
        .filter(|(i, _)| !(0x58..0x5c).contains(i))
        .fold(0u32, |s, (_, &b)| s.wrapping_add(u32::from(b)));
    let (model, payload_at) = if firmware_type == 0 && slice(data, V1_HEADER_LEN, 4)? == b"all\0" {
        let model_len = usize::try_from(be_u32(data, V1_HEADER_LEN + CAPWAP_LEN - 4)?).ok()?;
        if model_len > MODEL_MAX {
            return None;
        }
        let end = V1_HEADER_LEN + CAPWAP_LEN + model_len;
        let capwap = data.get(V1_HEADER_LEN..end)?;
        sum = capwap
            .iter()
            .fold(sum, |s, &b| s.wrapping_add(u32::from(b)));
        (Some(&capwap[CAPWAP_LEN..]), end)
    } else {
        (None, V1_HEADER_LEN)
    };
    Some(V1 {
        version,
        vendor: be_u32(data, 4)?,
        product: be_u32(data, 8)?,
        firmware_type,
        model,
        magic: be_u32(data, 0x5c)?,
        plain_len,
        md5: slice(data, 0x28, 16)?,
        header_sum_ok: sum == stored_sum,
        payload_at,
    })
}

/// The v1 plaintext and whether its MD5 matches.
fn decrypt_v1(data: &[u8], h: &V1<'_>) -> Option<(Vec<u8>, bool)> {
    let scrambled = slice(data, h.payload_at, h.plain_len)?;
    let plain = unscramble(h.magic, scrambled);
    let md5_ok = Md5::digest(&plain)[..] == *h.md5;
    Some((plain, md5_ok))
}

fn parse_v2(data: &[u8]) -> Option<(u32, usize)> {
    if be_u32(data, 0)? != 0 {
        return None;
    }
    V2_LAYOUTS.iter().find_map(|&(at, header_len)| {
        (slice(data, at, 4)? == V2_MAGIC && data.len() > header_len)
            .then(|| (u32::from_be_bytes(V2_MAGIC), header_len))
    })
}

impl Format for Senao {
    fn name(&self) -> &'static str {
        "senao"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[
            Magic::at(0x5c, &V1_MAGIC),
            Magic::at(0x7c, &V2_MAGIC),
            Magic::at(0xb4, &V2_MAGIC),
            Magic::at(0x11c, &V2_MAGIC),
        ];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        if let Some(h) = parse_v1(data) {
            // The header checksum is cheap; the MD5 costs a pass over the payload, so it stands in
            // for a failed checksum only on small payloads, and is otherwise checked at extraction.
            let header = if h.header_sum_ok {
                "header checksum ok"
            } else if h.plain_len <= MAX_MD5_ONLY && decrypt_v1(data, &h)?.1 {
                "header checksum MISMATCH, MD5 ok"
            } else {
                return None;
            };
            let model = h
                .model
                .map(|m| {
                    format!(
                        ", model \"{}\"",
                        String::from_utf8_lossy(m).escape_default()
                    )
                })
                .unwrap_or_default();
            return Some(Identified::new(
                Some((h.payload_at + h.plain_len) as u64),
                format!(
                    "Senao v1, version \"{}\", vendor {:#x}, product {:#x}, type {}{model}, {} bytes, \
                     XOR key {:#010x}, {header} (MD5 checked at extraction)",
                    String::from_utf8_lossy(h.version).escape_default(),
                    h.vendor,
                    h.product,
                    h.firmware_type,
                    h.plain_len,
                    h.magic,
                ),
            ));
        }
        let (key, header_len) = parse_v2(data)?;
        Some(Identified::new(
            None,
            format!(
                "Senao v2, {header_len:#x}-byte header, XOR key {key:#010x}; layout not publicly \
                 documented: payload runs to the end, nothing verified"
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let plain = match parse_v1(data) {
            Some(h) => {
                let (plain, md5_ok) = decrypt_v1(data, &h)
                    .ok_or_else(|| Error::malformed(h.payload_at as u64, "payload truncated"))?;
                if !h.header_sum_ok {
                    out.warn(0x58, "header checksum does not match".into());
                }
                if !md5_ok {
                    out.warn(0x28, "MD5 of the decrypted payload does not match".into());
                }
                plain
            }
            None => {
                let (key, header_len) = parse_v2(data)
                    .ok_or_else(|| Error::malformed(0, "Senao header no longer validates"))?;
                unscramble(key, &data[header_len..])
            }
        };
        payload(out, "decrypted", &plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    /// What `mksenaofw -e` writes, optionally with a CAPWAP header.
    fn build_v1(plain: &[u8], model: Option<&str>, pad_to: usize) -> Vec<u8> {
        let mut h = vec![0u8; V1_HEADER_LEN];
        h[4..8].copy_from_slice(&0x101u32.to_be_bytes());
        h[8..12].copy_from_slice(&0x6e4u32.to_be_bytes());
        h[0x0c..0x0c + 5].copy_from_slice(b"3.0.1");
        let fw_type: u32 = if model.is_some() { 0 } else { 3 };
        h[0x1c..0x20].copy_from_slice(&fw_type.to_be_bytes());
        h[0x20..0x24].copy_from_slice(&(plain.len() as u32).to_be_bytes());
        h[0x28..0x38].copy_from_slice(&Md5::digest(plain));
        h[0x5c..0x60].copy_from_slice(&V1_MAGIC);
        let mut capwap = Vec::new();
        if let Some(m) = model {
            capwap.extend_from_slice(b"all\0");
            capwap.extend_from_slice(&[0u8; 32]);
            capwap.extend_from_slice(&(m.len() as u32).to_be_bytes());
            capwap.extend_from_slice(m.as_bytes());
        }
        let sum = h.iter().chain(&capwap).fold(0u32, |s, &b| s + u32::from(b));
        h[0x58..0x5c].copy_from_slice(&sum.to_be_bytes());
        let mut padded = plain.to_vec();
        padded.resize(pad_to.max(plain.len()), 0);
        h.extend_from_slice(&capwap);
        h.extend_from_slice(&unscramble(0x1234_5678, &padded));
        h
    }

    #[test]
    fn fact_v2_fixture_decrypts() {
        let data = corpus_bytes("formats/senao__testfw_1.enc");
        let id = Senao.identify(&data).expect("identifies");
        assert_eq!(id.size, None);
        assert!(
            id.description.starts_with("Senao v2, 0x80-byte header"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Senao, &data, 1 << 20).unwrap();
        r.unwrap();
        let plain = c.file("decrypted").unwrap();
        assert_eq!(plain, b"foobar1234test\nthis is a test firmware image");
    }

    #[test]
    fn v1_checks_header_sum_and_md5_and_trims_padding() {
        let plain = b"\x27\x05\x19\x56 a uImage would start here".to_vec();
        let img = build_v1(&plain, None, 4096);
        let id = Senao.identify(&img).unwrap();
        assert!(
            id.description.contains("version \"3.0.1\"")
                && id.description.contains("header checksum ok"),
            "{}",
            id.description
        );
        assert_eq!(id.size, Some((V1_HEADER_LEN + plain.len()) as u64));
        let (c, r) = Collector::run(&Senao, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("decrypted").unwrap(), plain);
        // The CAPWAP ("combo") variant.
        let img = build_v1(&plain, Some("ENS620EXT"), 0);
        let id = Senao.identify(&img).unwrap();
        assert!(
            id.description.contains("model \"ENS620EXT\""),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Senao, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("decrypted").unwrap(), plain);
    }

    #[test]
    fn v1_needs_one_of_its_checks() {
        let plain = b"firmware".to_vec();
        let mut img = build_v1(&plain, None, 0);
        img[0x58] ^= 1;
        let id = Senao.identify(&img).expect("MD5 still holds");
        let (c, r) = Collector::run(&Senao, &img, 1 << 20).unwrap();
        r.unwrap();
        assert!(id.description.contains("header checksum MISMATCH, MD5 ok"));
        assert_eq!(c.warnings.lock().unwrap().len(), 1);
        // A payload that no longer matches its MD5 is still emitted, with a warning.
        let mut img = build_v1(&plain, None, 0);
        let n = img.len();
        img[n - 1] ^= 1;
        let (c, r) = Collector::run(&Senao, &img, 1 << 20).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap()[0].1.contains("MD5"));
        // Both broken: not a Senao header.
        img[0x28] ^= 1;
        assert!(Senao.identify(&img).is_none());
    }

    #[test]
    fn hostile_inputs() {
        hostile(&Senao, &corpus_bytes("formats/senao__testfw_1.enc"));
        let img = build_v1(b"payload bytes", Some("M"), 64);
        hostile(&Senao, &img);
        let mut junk = noise(4096, 11);
        junk[0x5c..0x60].copy_from_slice(&V1_MAGIC);
        assert!(Senao.identify(&junk).is_none());
        junk[..4].copy_from_slice(&[0; 4]);
        assert!(Senao.identify(&junk).is_none());
        let mut long = img.clone();
        long[0x20..0x24].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Senao.identify(&long).is_none());
    }
}
