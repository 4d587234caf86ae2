//! TP-Link firmware header (`mktplinkfw` v1, `mktplinkfw2` v2/v3): a 512-byte big-endian header
//! with vendor and version strings, hardware id, kernel load/entry addresses and the offsets and
//! lengths of the kernel and root file system, plus a salted MD5 of the whole image. Parsed by
//! hand (fixed layout; no crate exists).
//!
//! OpenWrt images put the root file system right after the kernel while the header keeps the
//! layout's default `rootfs_ofs`; extraction therefore looks for a file system at the header's
//! offset first, then right after the kernel, and says which one it used.

use crate::bytes::{be_u32, le_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use md5::{Digest, Md5};

use super::{payloads, text_field};

const HEADER_LEN: usize = 0x200;
/// A firmware image larger than this is not credible for a TP-Link device.
const MAX_FW_LEN: u32 = 256 << 20;

/// `mktplinkfw`'s MD5 salts: one for images without a boot loader, one for images with one.
const SALT_NORMAL: [u8; 16] = [
    0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb, 0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38,
];
const SALT_BOOT: [u8; 16] = [
    0x8c, 0xef, 0x33, 0x5b, 0xd5, 0xc5, 0xce, 0xfa, 0xa7, 0x9c, 0x28, 0xda, 0xb2, 0xe9, 0x0f, 0x42,
];

/// TP-Link firmware header.
pub struct TpLink;

#[derive(Clone)]
struct Header {
    version: u32,
    vendor: Option<String>,
    fw_version: String,
    hw_id: u32,
    hw_rev: u32,
    md5_at: usize,
    kernel_la: u32,
    kernel_ep: u32,
    fw_len: usize,
    kernel_ofs: usize,
    kernel_len: usize,
    rootfs_ofs: usize,
    rootfs_len: usize,
}

/// A header whose kernel starts like a kernel, either right where it says or, for images that
/// carry a boot loader, where the second header says.
fn parse(data: &[u8]) -> Option<Header> {
    let h = parse_fields(data)?;
    if data.get(h.kernel_ofs..).is_some_and(kernel_plausible) {
        return Some(h);
    }
    inner_at(data, &h).map(|_| h)
}

/// Where the second header of an image with a boot loader sits, and that header: same version
/// and hardware id, a kernel that starts like one. The boot loader's size varies (64 KiB on the
/// TL-WR841N v14, 128 KiB elsewhere), so the places tried are right before the kernel the outer
/// header points at, then the usual [`BOOT_BASE`].
fn inner_at(data: &[u8], outer: &Header) -> Option<(usize, Header)> {
    let before_kernel = outer.kernel_ofs.checked_sub(HEADER_LEN);
    [before_kernel, Some(BOOT_BASE)]
        .into_iter()
        .flatten()
        .filter(|&at| at >= HEADER_LEN)
        .find_map(|at| {
            let inner_data = data.get(at..)?;
            let inner = parse_fields(inner_data)?;
            let same = inner.version == outer.version && inner.hw_id == outer.hw_id;
            let kernel = inner_data
                .get(inner.kernel_ofs..)
                .is_some_and(kernel_plausible);
            (same && kernel).then_some((at, inner))
        })
}

/// The header fields, checked for consistency.
fn parse_fields(data: &[u8]) -> Option<Header> {
    let version = be_u32(data, 0)?;
    // Offsets of: hw_id, md5sum1, kernel_la (the rest of the block follows kernel_la in order).
    let (vendor, fw_version, hw_id_at, md5_at, la_at) = match version {
        0x0100_0000 => (
            Some(text_field(slice(data, 4, 24)?)?),
            text_field(slice(data, 0x1c, 36)?)?,
            0x40,
            0x4c,
            0x74,
        ),
        0x0200_0000 | 0x0300_0000 => (None, text_field(slice(data, 4, 48)?)?, 0x34, 0x40, 0x68),
        _ => return None,
    };
    // The magic is only a version word, so a real header must also read as one: a version
    // string of a few printable characters and a kernel that starts like a kernel.
    if fw_version.len() < 3 || vendor.is_some_and(|v| v.is_empty()) {
        return None;
    }
    let field = |i: usize| be_u32(data, la_at + 4 * i);
    let to_usize = |v: u32| usize::try_from(v).ok();
    let fw_len = field(2)?;
    if !(HEADER_LEN as u32..=MAX_FW_LEN).contains(&fw_len) {
        return None;
    }
    let h = Header {
        version: version >> 24,
        vendor: vendor.map(|v| String::from_utf8_lossy(v).into_owned()),
        fw_version: String::from_utf8_lossy(fw_version).into_owned(),
        hw_id: be_u32(data, hw_id_at)?,
        hw_rev: be_u32(data, hw_id_at + 4)?,
        md5_at,
        kernel_la: field(0)?,
        kernel_ep: field(1)?,
        fw_len: to_usize(fw_len)?,
        kernel_ofs: to_usize(field(3)?)?,
        kernel_len: to_usize(field(4)?)?,
        rootfs_ofs: to_usize(field(5)?)?,
        rootfs_len: to_usize(field(6)?)?,
    };
    let kernel_end = h.kernel_ofs.checked_add(h.kernel_len)?;
    let rootfs_end = h.rootfs_ofs.checked_add(h.rootfs_len)?;
    let sane = h.kernel_ofs >= HEADER_LEN
        && h.kernel_len > 0
        && kernel_end <= h.fw_len
        && rootfs_end <= h.fw_len
        && (h.rootfs_len == 0 || h.rootfs_ofs >= HEADER_LEN)
        && h.kernel_ofs < data.len();
    sane.then_some(h)
}

/// Whether `kernel` starts like the kernels TP-Link images carry: LZMA (props < 225 and a
/// power-of-two dictionary of 4 KiB to 128 MiB), gzip, xz or a uImage.
fn kernel_plausible(kernel: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[b"\x1f\x8b\x08", b"\xfd7zXZ\x00", b"\x27\x05\x19\x56"];
    if MAGICS.iter().any(|m| kernel.starts_with(m)) {
        return true;
    }
    let lzma = kernel.first().is_some_and(|&p| p < 225)
        && le_u32(kernel, 1)
            .is_some_and(|d| d.is_power_of_two() && (1 << 12..=1 << 27).contains(&d));
    lzma
}

/// Where the inner header usually sits in images with a boot loader (128 KiB of it).
const BOOT_BASE: usize = HEADER_LEN + 0x20000;

/// Whether a root file system of a kind TP-Link devices use starts at `data[at]`.
fn fs_at(data: &[u8], at: usize) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"hsqs",
        b"sqsh",
        b"shsq",
        b"qshs",
        b"\x85\x19",
        b"\x19\x85",
        b"\x45\x3d\xcd\x28",
        b"\x28\xcd\x3d\x45",
        b"UBI#",
        b"-rom1fs-",
    ];
    MAGICS
        .iter()
        .any(|m| data.get(at..).is_some_and(|d| d.starts_with(m)))
}

impl Format for TpLink {
    fn name(&self) -> &'static str {
        "tplink"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[
            Magic::at_start(&[1, 0, 0, 0]),
            Magic::at_start(&[2, 0, 0, 0]),
            Magic::at_start(&[3, 0, 0, 0]),
        ];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse(data)?;
        let vendor = h
            .vendor
            .as_deref()
            .map(|v| format!("vendor \"{}\", ", v.escape_default()))
            .unwrap_or_default();
        let mut description = format!(
            "TP-Link v{} header, {vendor}firmware \"{}\", hardware {:#010x} rev {}, kernel {:#x}+{:#x} \
             (load {:#010x}, entry {:#010x}), rootfs {:#x}+{:#x}, {:#x} bytes",
            h.version,
            h.fw_version.escape_default(),
            h.hw_id,
            h.hw_rev,
            h.kernel_ofs,
            h.kernel_len,
            h.kernel_la,
            h.kernel_ep,
            h.rootfs_ofs,
            h.rootfs_len,
            h.fw_len,
        );
        if let Some((at, _)) = inner_at(data, &h) {
            description.push_str(&format!(", with a boot loader (second header at {at:#x})"));
        }
        if h.fw_len > data.len() {
            description.push_str(&format!(", {} bytes present", data.len()));
        }
        Some(Identified::new(
            Some(h.fw_len.min(data.len()) as u64),
            description,
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h =
            parse(data).ok_or_else(|| Error::malformed(0, "TP-Link header no longer validates"))?;
        let end = h.fw_len.min(data.len());
        // The MD5 (of several MB in a flash dump) is checked while the partitions are extracted.
        let ((), extracted) = rayon::join(
            || check_md5(&data[..end], &h, out),
            || extract_parts(data, end, &h, out),
        );
        extracted
    }
}

/// Emit the partitions of the image `data[..end]` whose outer header is `h`.
fn extract_parts(data: &[u8], end: usize, h: &Header, out: &dyn Emit) -> Result<(), Error> {
    // Images that carry a boot loader hold the header, the boot loader (64 or 128 KiB), then a
    // second header whose offsets are relative to itself.
    let mut parts: Vec<(String, &[u8])> = Vec::with_capacity(3);
    out.explained(0, HEADER_LEN as u64);
    let (image, h) = match inner_at(&data[..end], h) {
        Some((at, inner)) => {
            out.explained(at as u64, HEADER_LEN as u64);
            parts.push(("bootloader".into(), &data[HEADER_LEN..at]));
            (&data[at..end], inner)
        }
        None => (&data[..end], h.clone()),
    };
    let end = image.len();
    let kernel_end = (h.kernel_ofs + h.kernel_len).min(end);
    if kernel_end < h.kernel_ofs + h.kernel_len {
        out.warn(h.kernel_ofs as u64, "kernel truncated".into());
    }
    parts.push((
        "kernel".into(),
        image.get(h.kernel_ofs..kernel_end).unwrap_or_default(),
    ));

    let declared = (h.rootfs_len > 0 && fs_at(image, h.rootfs_ofs)).then_some(h.rootfs_ofs);
    let after_kernel = [kernel_end, kernel_end.next_multiple_of(4)]
        .into_iter()
        .find(|&at| at < end && fs_at(image, at));
    let (start, stop) = match (declared, after_kernel) {
        (Some(at), _) => (at, (at + h.rootfs_len).min(end)),
        (None, Some(at)) => {
            out.warn(
                h.rootfs_ofs as u64,
                format!("no file system at the header's rootfs offset; using the one right after the kernel at {at:#x}"),
            );
            (at, end)
        }
        (None, None) if h.rootfs_len > 0 && h.rootfs_ofs < end => {
            (h.rootfs_ofs, (h.rootfs_ofs + h.rootfs_len).min(end))
        }
        (None, None) => {
            if h.rootfs_len > 0 {
                out.warn(h.rootfs_ofs as u64, "rootfs lies beyond the data".into());
            }
            return payloads(out, &parts);
        }
    };
    parts.push(("rootfs".into(), &image[start..stop]));
    payloads(out, &parts)
}

/// Verify the salted MD5 when the whole image is present; a mismatch is a warning (the image may
/// have been modified after signing, which later checks want to know).
fn check_md5(image: &[u8], h: &Header, out: &dyn Emit) {
    let Some(stored) = slice(image, h.md5_at, 16) else {
        return;
    };
    if stored.iter().all(|&b| b == 0) || stored.iter().all(|&b| b == 0xff) {
        return; // no checksum recorded (e.g. flash-resident v3 headers)
    }
    let before = &image[..h.md5_at];
    let after = &image[h.md5_at + 16..];
    let ok = [SALT_NORMAL, SALT_BOOT].iter().any(|salt| {
        let mut hasher = Md5::new();
        hasher.update(before);
        hasher.update(salt);
        hasher.update(after);
        hasher.finalize().as_slice() == stored
    });
    if !ok {
        out.warn(
            h.md5_at as u64,
            "MD5 checksum does not match the image".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    fn warnings(c: &Collector) -> Vec<String> {
        c.warnings
            .lock()
            .unwrap()
            .iter()
            .map(|w| w.1.clone())
            .collect()
    }

    #[test]
    fn openwrt_factory_v1() {
        let data = corpus_bytes("real/openwrt-12.09-tl-wr703n-factory.bin");
        let id = TpLink.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(0x3c0000));
        assert!(
            id.description
                .contains("v1 header, vendor \"OpenWrt\", firmware \"r42647\""),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("hardware 0x07030101"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&TpLink, &data, 64 << 20).unwrap();
        r.unwrap();
        let w = warnings(&c);
        assert!(
            w.iter().all(|w| !w.contains("MD5")),
            "MD5 must verify: {w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("right after the kernel at 0xed044")),
            "{w:?}"
        );
        assert_eq!(c.file("kernel").unwrap()[..], data[0x200..0xed044]);
        let rootfs = c.file("rootfs").unwrap();
        assert_eq!(rootfs[..], data[0xed044..0x3c0000]);
        assert_eq!(&rootfs[..4], b"hsqs");
    }

    #[test]
    fn openwrt_sysupgrade_shorter_than_declared() {
        let data = corpus_bytes("real/openwrt-15.05-tl-wr703n-sysupgrade.bin");
        let id = TpLink.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        let (c, r) = Collector::run(&TpLink, &data, 64 << 20).unwrap();
        r.unwrap();
        assert!(warnings(&c).iter().all(|w| !w.contains("MD5")));
        assert_eq!(c.file("kernel").unwrap().len(), 0x11aea0);
        let rootfs = c.file("rootfs").unwrap();
        assert_eq!(rootfs[..], data[0x11b0a0..]);
        assert_eq!(&rootfs[..4], b"hsqs");
    }

    #[test]
    fn fact_tpl_with_boot_salt() {
        let data = corpus_bytes("formats/tpl__test.tpl");
        let id = TpLink.identify(&data).expect("identifies");
        assert!(
            id.description
                .contains("vendor \"TP-LINK Technologies\", firmware \"ver. 1.0\""),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&TpLink, &data, 64 << 20).unwrap();
        r.unwrap();
        assert!(
            id.description.contains("with a boot loader"),
            "{}",
            id.description
        );
        assert!(warnings(&c).is_empty(), "{:?}", warnings(&c));
        assert_eq!(c.sorted_paths(), ["bootloader", "kernel", "rootfs"]);
        assert_eq!(c.file("bootloader").unwrap()[..], data[0x200..0x20200]);
        let kernel = c.file("kernel").unwrap();
        assert_eq!(kernel[..], data[0x20400..0x20400 + 0xd9e1a]);
        assert_eq!(kernel[0], 0x5d, "LZMA kernel");
        let rootfs = c.file("rootfs").unwrap();
        assert_eq!(rootfs[..], data[0x120200..0x121200]);
        assert_eq!(&rootfs[..4], b"hsqs");
        // Any modified byte breaks the MD5.
        let mut bad = data.clone();
        bad[0x300] ^= 1;
        let (c, _) = Collector::run(&TpLink, &bad, 64 << 20).unwrap();
        assert!(warnings(&c).iter().any(|w| w.contains("MD5")));
    }

    #[test]
    fn mt7628_v3_header_in_flash_dump_and_alone() {
        let dump = corpus_bytes("real/tplink-mt7628-flashdump.bin");
        let at = &dump[0x10000..];
        let id = TpLink.identify(at).expect("identifies");
        assert!(
            id.description.contains("v3 header, firmware \"ver. 2.0\""),
            "{}",
            id.description
        );
        assert_eq!(id.size, Some(0x3d0000));
        let (c, r) = Collector::run(&TpLink, at, 64 << 20).unwrap();
        r.unwrap();
        let kernel = c.file("kernel").unwrap();
        assert_eq!(kernel.len(), 0xee46f);
        assert_eq!(kernel[0], 0x5d, "LZMA kernel");
        let rootfs = c.file("rootfs").unwrap();
        assert_eq!(rootfs[..], dump[0x100000..0x100000 + 0x2dd000]);

        let alone = corpus_bytes("real/tplink-mt7628-kernel.bin");
        let (c, r) = Collector::run(&TpLink, &alone, 64 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["kernel"]);
        assert_eq!(c.file("kernel").unwrap(), kernel);
        assert!(warnings(&c).iter().any(|w| w.contains("beyond")));
    }

    #[test]
    fn hostile_inputs() {
        let mut data = corpus_bytes("formats/tpl__test.tpl");
        data.truncate(0x2000);
        hostile(&TpLink, &data);
        for v in [1u8, 2, 3] {
            let mut junk = noise(4096, u64::from(v));
            junk[..4].copy_from_slice(&[v, 0, 0, 0]);
            assert!(TpLink.identify(&junk).is_none());
        }
        // Offsets that overflow or exceed the declared length are rejected.
        let mut bad = corpus_bytes("formats/tpl__test.tpl");
        bad[0x84..0x88].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(TpLink.identify(&bad).is_none());
    }
}
