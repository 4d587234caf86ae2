//! DrayTek Vigor 167 (and kin) firmware, `2RDH`: a 256-byte big-endian header — magic, header size,
//! file size, CRC-32 of the body — with the kernel and SquashFS sizes at 0x50 and 0x54; the kernel
//! and the SquashFS follow the header, then a footer `DrayTekImageMD5\n` with the hex MD5 of
//! everything before it and a newline. Layout and checks: q3k's `vraytekdigor` `fwtool`
//! (`fwimage.go`) and FACT's `draytek_vigor_167.py`.
//!
//! The footer at the exact end of the declared parts is what identifies the image; the CRC and the
//! MD5 (a pass over the whole image) are checked once, at extraction, and a mismatch is a warning,
//! not a rejection (FACT's test image carries placeholders). Parsed by hand (fixed layout, no crate exists).

use md5::{Digest, Md5};

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::payloads;

/// DrayTek `2RDH` firmware.
pub struct DrayTek;

const HEADER_LEN: usize = 0x100;
const FOOTER_MAGIC: &[u8] = b"DrayTekImageMD5\n";
const FOOTER_LEN: usize = FOOTER_MAGIC.len() + 33;

struct Image {
    kernel: std::ops::Range<usize>,
    rootfs: std::ops::Range<usize>,
    file_size: usize,
    crc: u32,
    md5_hex: [u8; 32],
}

fn parse(data: &[u8]) -> Option<Image> {
    if data.get(..4)? != b"2RDH" || be_u32(data, 4)? != HEADER_LEN as u32 {
        return None;
    }
    let file_size = usize::try_from(be_u32(data, 8)?).ok()?;
    let kernel_len = usize::try_from(be_u32(data, 0x50)?).ok()?;
    let rootfs_len = usize::try_from(be_u32(data, 0x54)?).ok()?;
    let kernel_end = HEADER_LEN.checked_add(kernel_len)?;
    let body_end = kernel_end.checked_add(rootfs_len)?;
    let footer = slice(data, body_end, FOOTER_LEN)?;
    let md5_hex: [u8; 32] = footer[FOOTER_MAGIC.len()..FOOTER_LEN - 1].try_into().ok()?;
    let ok = footer.starts_with(FOOTER_MAGIC)
        && footer[FOOTER_LEN - 1] == b'\n'
        && md5_hex.iter().all(u8::is_ascii_hexdigit)
        && body_end > HEADER_LEN;
    ok.then_some(Image {
        kernel: HEADER_LEN..kernel_end,
        rootfs: kernel_end..body_end,
        file_size,
        crc: be_u32(data, 12)?,
        md5_hex,
    })
}

/// Problems with the checksums, each with the offset it concerns.
fn checks(data: &[u8], img: &Image) -> Vec<(u64, String)> {
    let body_end = img.rootfs.end;
    let mut problems = Vec::new();
    // fwtool stores the complement of the IEEE CRC-32 of the body.
    let crc = !crc32fast::hash(&data[HEADER_LEN..body_end]);
    if crc != img.crc {
        problems.push((
            12,
            format!(
                "body CRC-32 mismatch: header says {:#010x}, body gives {crc:#010x}",
                img.crc
            ),
        ));
    }
    let md5 = hex::encode(Md5::digest(&data[..body_end]));
    if md5.as_bytes() != img.md5_hex {
        problems.push((
            body_end as u64,
            format!(
                "footer MD5 mismatch: footer says {}, image gives {md5}",
                String::from_utf8_lossy(&img.md5_hex)
            ),
        ));
    }
    if img.file_size != body_end && img.file_size != body_end + FOOTER_LEN {
        problems.push((
            8,
            format!(
                "header file size {} does not match the parts ({body_end} bytes)",
                img.file_size
            ),
        ));
    }
    problems
}

impl Format for DrayTek {
    fn name(&self) -> &'static str {
        "draytek"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"2RDH")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let img = parse(data)?;
        Some(Identified::new(
            Some((img.rootfs.end + FOOTER_LEN) as u64),
            format!(
                "DrayTek 2RDH firmware, kernel {} bytes, rootfs {} bytes (CRC-32 and MD5 checked at \
                 extraction)",
                img.kernel.len(),
                img.rootfs.len()
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let img =
            parse(data).ok_or_else(|| Error::malformed(0, "DrayTek header no longer validates"))?;
        for (at, why) in checks(data, &img) {
            out.warn(at, why);
        }
        let parts: Vec<(String, &[u8])> = [("kernel", img.kernel), ("rootfs", img.rootfs)]
            .into_iter()
            .filter(|(_, range)| !range.is_empty())
            .map(|(name, range)| (name.to_string(), &data[range]))
            .collect();
        payloads(out, &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;
    use sha2::Sha256;

    /// What fwtool writes.
    fn build(kernel: &[u8], rootfs: &[u8]) -> Vec<u8> {
        let mut img = vec![0u8; HEADER_LEN];
        img[..4].copy_from_slice(b"2RDH");
        img[4..8].copy_from_slice(&(HEADER_LEN as u32).to_be_bytes());
        let size = (HEADER_LEN + kernel.len() + rootfs.len()) as u32;
        img[8..12].copy_from_slice(&size.to_be_bytes());
        img[0x50..0x54].copy_from_slice(&(kernel.len() as u32).to_be_bytes());
        img[0x54..0x58].copy_from_slice(&(rootfs.len() as u32).to_be_bytes());
        let crc = !crc32fast::hash(&[kernel, rootfs].concat());
        img[12..16].copy_from_slice(&crc.to_be_bytes());
        img.extend_from_slice(kernel);
        img.extend_from_slice(rootfs);
        let md5 = hex::encode(Md5::digest(&img));
        img.extend_from_slice(FOOTER_MAGIC);
        img.extend_from_slice(md5.as_bytes());
        img.push(b'\n');
        img
    }

    #[test]
    fn fact_fixture_yields_its_squashfs() {
        let data = corpus_bytes("formats/draytek_vigor_167__valid_draytekvigor167_image.bin");
        let id = DrayTek.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert!(
            id.description
                .starts_with("DrayTek 2RDH firmware, kernel 0 bytes, rootfs 4096 bytes"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&DrayTek, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["rootfs"]);
        // The hash FACT's test expects of the SquashFS blob.
        assert_eq!(
            hex::encode(Sha256::digest(c.file("rootfs").unwrap())),
            "73b648f484ab0a34ce00729ce8b7ef183885b4b5c540344a8451d18fe94cc2fa"
        );
        // FACT's image carries placeholder checksums: reported, not fatal.
        let w = c.warnings.lock().unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].1.starts_with("body CRC-32 mismatch") && w[0].0 == 12,
            "{w:?}"
        );
        assert!(
            w[1].1.starts_with("footer MD5 mismatch") && w[1].0 == 0x1100,
            "{w:?}"
        );
    }

    #[test]
    fn fwtool_image_verifies() {
        let img = build(b"\x27\x05\x19\x56kernel", b"hsqs rootfs");
        let (c, r) = Collector::run(&DrayTek, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.sorted_paths(), ["kernel", "rootfs"]);
        assert_eq!(c.file("rootfs").unwrap(), b"hsqs rootfs");
        assert!(c.warnings.lock().unwrap().is_empty());
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/draytek_vigor_167__valid_draytekvigor167_image.bin");
        hostile(&DrayTek, &data);
        assert!(
            DrayTek.identify(&data[..data.len() - 1]).is_none(),
            "footer cut"
        );
        let mut junk = noise(8192, 13);
        junk[..8].copy_from_slice(b"2RDH\0\0\x01\0");
        assert!(DrayTek.identify(&junk).is_none());
        let mut huge = data.clone();
        huge[0x50..0x54].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(DrayTek.identify(&huge).is_none());
    }
}
