//! Espressif application and boot loader images (ESP8266 and the ESP32 family), as esptool's
//! `bin_image.py` and ESP-IDF's `esp_app_format.h` lay them out:
//!
//! * an 8-byte header: magic `0xE9`, segment count, flash mode, flash size/frequency, entry point;
//! * on the ESP32 family a 16-byte extended header: WP pin, SPI pin drive, chip id, minimum and
//!   maximum chip revision, and whether a SHA-256 of the image is appended;
//! * the segments, each an 8-byte header (load address, length) and its bytes;
//! * zero padding up to a checksum byte at the last byte of a 16-byte block (0xEF XOR every
//!   segment byte), then the SHA-256 of everything before it when the header says so;
//! * with secure boot v2, the image padded with 0xFF to a 4 KiB sector and a signature sector of
//!   up to three 1216-byte blocks (magic `0xE7`, RSA-3072-PSS or ECDSA, CRC-32 over the first 1196
//!   bytes, the SHA-256 of everything before the sector).
//!
//! An ESP-IDF application starts its first segment with `esp_app_desc_t` (magic `0xABCD5432`):
//! secure version, app version, project, build time and date, ESP-IDF version, ELF SHA-256.

use sha2::{Digest, Sha256};

use crate::bytes::{le_u16, le_u32, slice};
use crate::format::{identify_work, Emit, Error, Format, Identified, Kind, Magic};

use super::super::container::payloads;

/// Image magic byte.
pub const IMAGE_MAGIC: u8 = 0xE9;
/// `esp_app_desc_t` magic word.
pub const APP_DESC_MAGIC: u32 = 0xABCD_5432;
/// Most segments esptool writes (ESP_IMAGE_MAX_SEGMENTS is 16).
const MAX_SEGMENTS: usize = 16;
/// Secure boot v2: the signature sector and one signature block.
pub const SECTOR: usize = 4096;
const SIG_BLOCK: usize = 1216;
const SIG_MAGIC: u8 = 0xE7;

/// Chip ids of the extended header (esptool's `IMAGE_CHIP_ID`).
pub fn chip_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0 => "ESP32",
        2 => "ESP32-S2",
        5 => "ESP32-C3",
        9 => "ESP32-S3",
        12 => "ESP32-C2",
        13 => "ESP32-C6",
        16 => "ESP32-H2",
        18 => "ESP32-P4",
        20 => "ESP32-C61",
        23 => "ESP32-C5",
        _ => return None,
    })
}

/// The chip ids above, for the magics.
const CHIP_IDS: [u8; 10] = [0, 2, 5, 9, 12, 13, 16, 18, 20, 23];

/// One segment: where it loads and where its bytes are in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub load: u32,
    /// Offset of the segment's bytes (after its 8-byte header) in the image.
    pub offset: usize,
    pub len: usize,
}

/// A secure boot v2 signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureBlock {
    /// Offset of the block in the image.
    pub offset: usize,
    /// "RSA-3072" or "ECDSA P-256"…
    pub scheme: String,
    /// Whether the image digest recorded in the block equals the SHA-256 of the signed image
    /// (`None` for an ECDSA-SHA-384 block, whose digest is not recomputed here).
    pub digest_matches: Option<bool>,
    /// SHA-256 of the public key in the block (what secure boot burns into eFuse), hex.
    pub key_digest: String,
}

/// `esp_app_desc_t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppDesc {
    pub secure_version: u32,
    pub version: String,
    pub project: String,
    pub time: String,
    pub date: String,
    pub idf_ver: String,
    /// SHA-256 of the ELF the image was made from, hex.
    pub elf_sha256: String,
}

/// `esp_app_desc_t` is 256 bytes.
pub const APP_DESC_LEN: usize = 256;

/// Read `esp_app_desc_t` at the start of `data` (the first segment's bytes), if its magic is there.
pub fn app_desc(data: &[u8]) -> Option<AppDesc> {
    let d = slice(data, 0, APP_DESC_LEN)?;
    if le_u32(d, 0)? != APP_DESC_MAGIC {
        return None;
    }
    let text = |at: usize, len: usize| -> String {
        let f = &d[at..at + len];
        let end = memchr::memchr(0, f).unwrap_or(len);
        String::from_utf8_lossy(&f[..end])
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .to_string()
    };
    Some(AppDesc {
        secure_version: le_u32(d, 4)?,
        version: text(16, 32),
        project: text(48, 32),
        time: text(80, 16),
        date: text(96, 16),
        idf_ver: text(112, 32),
        elf_sha256: hex(&d[144..176]),
    })
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A parsed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `None` for an ESP8266 image (no extended header).
    pub chip: Option<u16>,
    pub entry: u32,
    pub segments: Vec<Segment>,
    /// Offset of the checksum byte.
    pub checksum_at: usize,
    pub checksum_ok: bool,
    /// Whether a SHA-256 is appended, and whether it matches.
    pub sha256: Option<bool>,
    /// End of the image proper (after the checksum and the SHA-256).
    pub end: usize,
    /// Secure boot v2 signature blocks found after it.
    pub signatures: Vec<SignatureBlock>,
    /// End including the signature sector, when there is one.
    pub signed_end: Option<usize>,
    pub desc: Option<AppDesc>,
}

impl Image {
    /// The image's size in bytes, with its signature sector.
    pub fn size(&self) -> usize {
        self.signed_end.unwrap_or(self.end)
    }

    pub fn chip_name(&self) -> String {
        match self.chip {
            None => "ESP8266".into(),
            Some(id) => chip_name(id).map_or_else(|| format!("chip id {id}"), str::to_string),
        }
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} image, {} segments, entry {:#010x}, checksum {}",
            self.chip_name(),
            self.segments.len(),
            self.entry,
            if self.checksum_ok { "ok" } else { "BAD" }
        );
        match self.sha256 {
            Some(true) => s.push_str(", SHA-256 verified"),
            Some(false) => s.push_str(", SHA-256 MISMATCH"),
            None => s.push_str(", no SHA-256 appended"),
        }
        if let Some(d) = &self.desc {
            s.push_str(&format!(
                ", app \"{}\" version \"{}\", ESP-IDF {}, built {} {}, secure version {}",
                d.project, d.version, d.idf_ver, d.date, d.time, d.secure_version
            ));
        }
        if self.signatures.is_empty() {
            s.push_str(", no secure boot v2 signature block");
        } else {
            let schemes: Vec<String> = self
                .signatures
                .iter()
                .map(|b| {
                    let digest = match b.digest_matches {
                        Some(true) => "digest ok",
                        Some(false) => "digest MISMATCH",
                        None => "digest not checked",
                    };
                    format!("{} ({digest}, key {})", b.scheme, &b.key_digest[..16])
                })
                .collect();
            s.push_str(&format!(
                ", secure boot v2 signature: {}",
                schemes.join(", ")
            ));
        }
        s
    }
}

/// Whether a load address lies in the address space of some Espressif chip (internal RAM, ROM,
/// flash caches, RTC memory, the ESP8266's IRAM and DRAM).
fn plausible_load(addr: u32) -> bool {
    (0x3C00_0000..0x6000_0000).contains(&addr)
}

/// Parse an image at `data[0]`. Bounded: at most 16 segments, every length within `data`; the
/// checksum and the SHA-256 are computed only over what the segments span (charged as
/// identification work).
pub fn parse(data: &[u8]) -> Option<Image> {
    if data.first() != Some(&IMAGE_MAGIC) {
        return None;
    }
    // ESP32 family first: the extended header's reserved bytes are zero, the hash flag 0 or 1
    // and the chip id known.
    if let Some(e) = slice(data, 8, 16) {
        let chip = le_u16(e, 4)?;
        if e[11..15].iter().all(|&b| b == 0) && e[15] <= 1 && chip_name(chip).is_some() {
            if let Some(img) = parse_segments(data, 24, Some(chip), e[15] == 1) {
                return Some(img);
            }
        }
    }
    parse_segments(data, 8, None, false)
}

fn parse_segments(data: &[u8], first: usize, chip: Option<u16>, hashed: bool) -> Option<Image> {
    let count = usize::from(*data.get(1)?);
    if count == 0 || count > MAX_SEGMENTS {
        return None;
    }
    let entry = le_u32(data, 4)?;
    if !plausible_load(entry) {
        return None;
    }
    let mut segments = Vec::with_capacity(count);
    let mut at = first;
    for _ in 0..count {
        let load = le_u32(data, at)?;
        let len = le_u32(data, at + 4)? as usize;
        if !plausible_load(load) || len == 0 || len > data.len() {
            return None;
        }
        let offset = at.checked_add(8)?;
        let end = offset.checked_add(len)?;
        if end > data.len() {
            return None;
        }
        segments.push(Segment { load, offset, len });
        at = end;
    }
    // The checksum byte sits at the last byte of a 16-byte block.
    let checksum_at = at + (15 - at % 16);
    let stored = *data.get(checksum_at)?;
    let spanned: u64 = segments.iter().map(|s| s.len as u64).sum();
    if !identify_work(spanned + if hashed { checksum_at as u64 } else { 0 }) {
        return None;
    }
    let mut sum = 0xEFu8;
    for s in &segments {
        sum = data[s.offset..s.offset + s.len]
            .iter()
            .fold(sum, |a, &b| a ^ b);
    }
    let checksum_ok = sum == stored;
    let mut end = checksum_at + 1;
    let sha256 = if hashed {
        let stored = slice(data, end, 32)?;
        let ok = Sha256::digest(&data[..end]).as_slice() == stored;
        end += 32;
        Some(ok)
    } else {
        None
    };
    // A corrupt header that happens to parse would fail both: refuse it.
    if !checksum_ok && sha256 != Some(true) {
        return None;
    }
    let desc = segments.first().and_then(|s| app_desc(&data[s.offset..]));
    let (signatures, signed_end) = signature_sector(data, end);
    Some(Image {
        chip,
        entry,
        segments,
        checksum_at,
        checksum_ok,
        sha256,
        end,
        signatures,
        signed_end,
        desc,
    })
}

/// Secure boot v2 signature blocks in the sector after `end` (padded up to 4 KiB).
pub fn signature_sector(data: &[u8], end: usize) -> (Vec<SignatureBlock>, Option<usize>) {
    let start = end.div_ceil(SECTOR) * SECTOR;
    let Some(sector) = slice(data, start, SECTOR) else {
        return (Vec::new(), None);
    };
    let mut blocks = Vec::new();
    let mut digest: Option<[u8; 32]> = None;
    for i in 0..3 {
        let b = &sector[i * SIG_BLOCK..(i + 1) * SIG_BLOCK];
        if b[0] != SIG_MAGIC || !(b[1] == 2 || b[1] == 3) {
            break;
        }
        if le_u32(b, 1196) != Some(crc32fast::hash(&b[..1196])) {
            break;
        }
        let (scheme, recorded, key): (String, Option<&[u8]>, &[u8]) = if b[1] == 2 {
            ("RSA-3072-PSS".into(), Some(&b[4..36]), &b[36..36 + 776])
        } else {
            let sha384 = b[2] == 1;
            let curve = if sha384 { b[52] } else { b[36] };
            let curve_name = match curve {
                1 => "P-192",
                2 => "P-256",
                3 => "P-384",
                _ => "unknown curve",
            };
            if sha384 {
                (format!("ECDSA {curve_name} SHA-384"), None, &b[53..53 + 96])
            } else {
                (
                    format!("ECDSA {curve_name}"),
                    Some(&b[4..36]),
                    &b[37..37 + 64],
                )
            }
        };
        let digest_matches = match recorded {
            Some(r) => {
                let d = *digest.get_or_insert_with(|| {
                    if identify_work(start as u64) {
                        Sha256::digest(&data[..start]).into()
                    } else {
                        [0; 32]
                    }
                });
                Some(d.as_slice() == r)
            }
            None => None,
        };
        blocks.push(SignatureBlock {
            offset: start + i * SIG_BLOCK,
            scheme,
            digest_matches,
            key_digest: hex(&Sha256::digest(key)),
        });
    }
    if blocks.is_empty() {
        (blocks, None)
    } else {
        (blocks, Some(start + SECTOR))
    }
}

/// Name of the node holding a segment: its offset in the image first (so evidence inside it
/// translates to an image offset), then its index and load address.
pub fn segment_name(index: usize, s: &Segment) -> String {
    format!("{:#x}-seg{index}-{:#010x}.bin", s.offset, s.load)
}

/// The image offset of a segment node's byte `at`, read back from its name (see [`segment_name`]).
pub fn segment_image_offset(name: &str, at: u64) -> Option<u64> {
    let hexpart = name.strip_prefix("0x")?.split('-').next()?;
    u64::from_str_radix(hexpart, 16).ok()?.checked_add(at)
}

/// An ESP8266 / ESP32-family image.
pub struct EspImage;

/// Magics: the app descriptor at 0x20 of an ESP32-family app, and the extended header's usual
/// WP-pin-disabled, zero-drive start followed by a known chip id (boot loaders, apps without a
/// descriptor). ESP8266 images (no extended header) are recognised at the start of a file or
/// payload by the same handler when an ESP32 header is not found, via their first load address.
static MAGICS: [Magic; 12] = {
    const fn ext(chip: u8) -> Magic {
        // `'static` byte strings built per chip id.
        Magic::at(
            8,
            match chip {
                0 => &[0xEE, 0, 0, 0, 0, 0],
                2 => &[0xEE, 0, 0, 0, 2, 0],
                5 => &[0xEE, 0, 0, 0, 5, 0],
                9 => &[0xEE, 0, 0, 0, 9, 0],
                12 => &[0xEE, 0, 0, 0, 12, 0],
                13 => &[0xEE, 0, 0, 0, 13, 0],
                16 => &[0xEE, 0, 0, 0, 16, 0],
                18 => &[0xEE, 0, 0, 0, 18, 0],
                20 => &[0xEE, 0, 0, 0, 20, 0],
                _ => &[0xEE, 0, 0, 0, 23, 0],
            },
        )
    }
    [
        Magic::at(0x20, &[0x32, 0x54, 0xCD, 0xAB]),
        ext(CHIP_IDS[0]),
        ext(CHIP_IDS[1]),
        ext(CHIP_IDS[2]),
        ext(CHIP_IDS[3]),
        ext(CHIP_IDS[4]),
        ext(CHIP_IDS[5]),
        ext(CHIP_IDS[6]),
        ext(CHIP_IDS[7]),
        ext(CHIP_IDS[8]),
        ext(CHIP_IDS[9]),
        // ESP8266: the first segment usually loads at the start of IRAM (0x40100000).
        Magic::at(8, &[0x00, 0x00, 0x10, 0x40]),
    ]
};

impl Format for EspImage {
    fn name(&self) -> &'static str {
        "esp-image"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        &MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let img = parse(data)?;
        let mut id = Identified::new(Some(img.size() as u64), img.describe());
        if !img.checksum_ok {
            id.warnings.push((
                img.checksum_at as u64,
                "image checksum byte does not match".into(),
            ));
        }
        if img.sha256 == Some(false) {
            id.warnings.push((
                (img.end - 32) as u64,
                "appended SHA-256 does not match the image".into(),
            ));
        }
        for b in img
            .signatures
            .iter()
            .filter(|b| b.digest_matches == Some(false))
        {
            id.warnings.push((
                b.offset as u64,
                "secure boot v2 signature block records another image digest".into(),
            ));
        }
        Some(id)
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        for (offset, reason) in id.warnings {
            out.warn(offset, reason);
        }
        let img = parse(data).ok_or_else(|| Error::malformed(0, "not an ESP image"))?;
        let parts: Vec<(String, &[u8])> = img
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| (segment_name(i, s), &data[s.offset..s.offset + s.len]))
            .collect();
        payloads(out, &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ESP32 image: one segment, checksum, SHA-256 appended.
    pub(crate) fn image(desc: bool) -> Vec<u8> {
        let mut seg = vec![0u8; 300];
        if desc {
            seg[..4].copy_from_slice(&APP_DESC_MAGIC.to_le_bytes());
            seg[16..21].copy_from_slice(b"1.2.3");
            seg[48..52].copy_from_slice(b"demo");
            seg[112..118].copy_from_slice(b"v5.1.2");
        }
        let mut d = vec![0xE9, 1, 2, 0x20];
        d.extend_from_slice(&0x4008_0000u32.to_le_bytes());
        d.extend_from_slice(&[0xEE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        d.extend_from_slice(&0x3F40_0020u32.to_le_bytes());
        d.extend_from_slice(&(seg.len() as u32).to_le_bytes());
        d.extend_from_slice(&seg);
        while d.len() % 16 != 15 {
            d.push(0);
        }
        d.push(seg.iter().fold(0xEF, |a, &b| a ^ b));
        let h = Sha256::digest(&d);
        d.extend_from_slice(&h);
        d
    }

    #[test]
    fn parses_a_built_image() {
        let d = image(true);
        let img = parse(&d).expect("parses");
        assert_eq!(img.chip, Some(0));
        assert!(img.checksum_ok);
        assert_eq!(img.sha256, Some(true));
        assert_eq!(img.end, d.len());
        let desc = img.desc.expect("descriptor");
        assert_eq!(desc.version, "1.2.3");
        assert_eq!(desc.idf_ver, "v5.1.2");
        assert!(img.signatures.is_empty());
    }

    #[test]
    fn rejects_a_corrupted_image_and_flags_a_bad_hash() {
        let mut d = image(false);
        d[40] ^= 1; // segment byte: checksum and hash both fail
        assert!(parse(&d).is_none());
        let mut d = image(false);
        let n = d.len();
        d[n - 1] ^= 1; // only the hash
        let img = parse(&d).expect("checksum still ok");
        assert_eq!(img.sha256, Some(false));
    }

    #[test]
    fn truncations_never_panic() {
        let d = image(true);
        for n in 0..d.len() {
            let _ = parse(&d[..n]);
        }
    }

    #[test]
    fn segment_names_give_back_image_offsets() {
        let s = Segment {
            load: 0x3F40_0020,
            offset: 0x20,
            len: 5,
        };
        let name = segment_name(0, &s);
        assert_eq!(segment_image_offset(&name, 7), Some(0x27));
    }
}
