//! MCUboot images (mcu-tools/mcuboot `docs/design.md`, `bootutil/image.h`), as Zephyr, nRF
//! Connect SDK and ESP-IDF's MCUboot port build them: a 32-byte little-endian header (magic
//! `0x96f3b83d`, load address, header size, protected TLV size, image size, flags, version
//! major.minor.revision+build), the image, then the TLV area — protected TLVs (info magic `0x6908`)
//! and the others (`0x6907`), each TLV a 16-bit type and length. The SHA-256 TLV covers the
//! header, the image and the protected TLVs; the signature TLV (RSA-PSS, ECDSA, Ed25519) signs
//! that hash, the key-hash TLV names the key, the security counter guards against rollback.

use sha2::{Digest, Sha256};

use crate::bytes::{le_u16, le_u32, slice};
use crate::format::{identify_work, Emit, Error, Format, Identified, Kind, Magic};

use super::super::container::payload;

const MAGIC: u32 = 0x96f3_b83d;
const TLV_INFO: u16 = 0x6907;
const TLV_PROT_INFO: u16 = 0x6908;
/// At most this many TLVs are read.
const MAX_TLVS: usize = 64;

/// A parsed MCUboot image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub load_addr: u32,
    pub header_size: usize,
    pub image_size: usize,
    pub flags: u32,
    pub version: String,
    /// Whether the SHA-256 TLV matches (`None` without one).
    pub sha256: Option<bool>,
    /// Signature TLV names (`ECDSA-P256`, `RSA-3072-PSS`, `Ed25519`…).
    pub signatures: Vec<String>,
    pub key_hash: Option<String>,
    pub security_counter: Option<u32>,
    pub encrypted: bool,
    pub end: usize,
}

fn tlv_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x20 => "RSA-2048-PSS",
        0x21 => "ECDSA-P224",
        0x22 => "ECDSA-P256",
        0x23 => "RSA-3072-PSS",
        0x24 => "Ed25519",
        0x25 => "pure signature",
        _ => return None,
    })
}

/// Parse an MCUboot image at `data[0]`.
pub fn parse(data: &[u8]) -> Option<Image> {
    if le_u32(data, 0)? != MAGIC {
        return None;
    }
    let load_addr = le_u32(data, 4)?;
    let header_size = usize::from(le_u16(data, 8)?);
    let protected = usize::from(le_u16(data, 10)?);
    let image_size = le_u32(data, 12)? as usize;
    let flags = le_u32(data, 16)?;
    let h = slice(data, 20, 8)?;
    let version = format!(
        "{}.{}.{}+{}",
        h[0],
        h[1],
        u16::from_le_bytes([h[2], h[3]]),
        u32::from_le_bytes([h[4], h[5], h[6], h[7]])
    );
    if header_size < 32 || image_size == 0 {
        return None;
    }
    let tlv_start = header_size.checked_add(image_size)?;
    let mut at = tlv_start;
    let mut img = Image {
        load_addr,
        header_size,
        image_size,
        flags,
        version,
        sha256: None,
        signatures: Vec::new(),
        key_hash: None,
        security_counter: None,
        encrypted: flags & 0x4 != 0,
        end: tlv_start,
    };
    let mut hash: Option<&[u8]> = None;
    let mut areas = 0;
    // The protected area (if any) comes first, then the unprotected one.
    while areas < 2 {
        let Some(magic) = le_u16(data, at) else { break };
        if magic != TLV_INFO && magic != TLV_PROT_INFO {
            break;
        }
        let total = usize::from(le_u16(data, at + 2)?);
        let area = slice(data, at, total)?;
        let mut p = 4;
        let mut n = 0;
        while p + 4 <= area.len() && n < MAX_TLVS {
            let t = le_u16(area, p)?;
            let len = usize::from(le_u16(area, p + 2)?);
            let v = slice(area, p + 4, len)?;
            match t {
                0x01 => img.key_hash = Some(super::esp::hex(v)),
                0x10 => hash = Some(v),
                0x50 if len >= 4 => img.security_counter = le_u32(v, 0),
                0x30..=0x33 => img.encrypted = true,
                _ => {
                    if let Some(name) = tlv_name(t) {
                        img.signatures.push(name.to_string());
                    }
                }
            }
            p += 4 + len;
            n += 1;
        }
        at += total;
        areas += 1;
        if magic == TLV_INFO {
            break;
        }
    }
    if areas == 0 {
        return None;
    }
    img.end = at;
    if let Some(h) = hash {
        let covered = tlv_start + protected;
        if covered <= data.len() && identify_work(covered as u64) {
            img.sha256 = Some(Sha256::digest(&data[..covered]).as_slice() == h);
        }
    }
    Some(img)
}

impl Image {
    pub fn describe(&self) -> String {
        let mut s = format!(
            "MCUboot image v{}, load {:#x}, header {:#x}, {} bytes",
            self.version, self.load_addr, self.header_size, self.image_size
        );
        match self.sha256 {
            Some(true) => s.push_str(", SHA-256 ok"),
            Some(false) => s.push_str(", SHA-256 MISMATCH"),
            None => s.push_str(", no SHA-256 TLV"),
        }
        if self.signatures.is_empty() {
            s.push_str(", unsigned (no signature TLV)");
        } else {
            s.push_str(&format!(", signature TLV: {}", self.signatures.join(", ")));
        }
        if let Some(k) = &self.key_hash {
            s.push_str(&format!(", key hash {}", &k[..k.len().min(16)]));
        }
        if let Some(c) = self.security_counter {
            s.push_str(&format!(", security counter {c}"));
        }
        if self.encrypted {
            s.push_str(", encrypted");
        }
        s
    }
}

/// An MCUboot image.
pub struct McuBoot;

impl Format for McuBoot {
    fn name(&self) -> &'static str {
        "mcuboot"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&[0x3d, 0xb8, 0xf3, 0x96])];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let img = parse(data)?;
        let mut id = Identified::new(Some(img.end as u64), img.describe());
        if img.sha256 == Some(false) {
            id.warnings
                .push((0, "MCUboot SHA-256 TLV does not match the image".into()));
        }
        Some(id)
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        for (o, r) in id.warnings {
            out.warn(o, r);
        }
        let img = parse(data).ok_or_else(|| Error::malformed(0, "not an MCUboot image"))?;
        if img.encrypted {
            out.warn(
                0,
                "MCUboot image is encrypted: its body is not emitted".into(),
            );
            return Ok(());
        }
        let body = &data[img.header_size..img.header_size + img.image_size];
        payload(out, "image.bin", body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(sign: bool) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&MAGIC.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&0x200u16.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&100u32.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&[1, 2, 3, 0, 0, 0, 0, 0]);
        d.resize(0x200 + 100, 0xAB);
        let h = Sha256::digest(&d);
        let mut tlv = vec![];
        tlv.extend_from_slice(&0x10u16.to_le_bytes());
        tlv.extend_from_slice(&32u16.to_le_bytes());
        tlv.extend_from_slice(&h);
        if sign {
            tlv.extend_from_slice(&0x22u16.to_le_bytes());
            tlv.extend_from_slice(&8u16.to_le_bytes());
            tlv.extend_from_slice(&[7; 8]);
        }
        d.extend_from_slice(&TLV_INFO.to_le_bytes());
        d.extend_from_slice(&((tlv.len() + 4) as u16).to_le_bytes());
        d.extend_from_slice(&tlv);
        d
    }

    #[test]
    fn signed_and_unsigned() {
        let s = parse(&image(true)).unwrap();
        assert_eq!(s.sha256, Some(true));
        assert_eq!(s.signatures, vec!["ECDSA-P256".to_string()]);
        assert_eq!(s.version, "1.2.3+0");
        let u = parse(&image(false)).unwrap();
        assert!(u.describe().contains("unsigned"));
        let d = image(true);
        for n in 0..d.len() {
            let _ = parse(&d[..n]);
        }
    }
}
