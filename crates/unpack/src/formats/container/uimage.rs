//! U-Boot legacy image (`mkimage` uImage): a 64-byte big-endian header protected by a CRC-32,
//! followed by the (usually compressed) data, which for MULTI and SCRIPT images starts with a
//! zero-terminated table of part lengths. Parsed by hand: the layout is fixed and tiny.

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::{payload, payloads, utc};

const HEADER_LEN: usize = 64;
const TYPE_MULTI: u8 = 4;
const TYPE_SCRIPT: u8 = 6;
/// More parts than this in a MULTI image is not credible (U-Boot itself handles a handful).
const MAX_PARTS: usize = 64;

/// U-Boot legacy uImage.
pub struct UImage;

struct Header {
    time: u32,
    size: u32,
    load: u32,
    entry: u32,
    dcrc: u32,
    os: u8,
    arch: u8,
    kind: u8,
    comp: u8,
    name: String,
}

fn parse(data: &[u8]) -> Option<Header> {
    let head = slice(data, 0, HEADER_LEN)?;
    if be_u32(head, 0)? != 0x2705_1956 {
        return None;
    }
    let stored = be_u32(head, 4)?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&head[..4]);
    hasher.update(&[0; 4]);
    hasher.update(&head[8..]);
    if hasher.finalize() != stored {
        return None;
    }
    Some(Header {
        time: be_u32(head, 8)?,
        size: be_u32(head, 12)?,
        load: be_u32(head, 16)?,
        entry: be_u32(head, 20)?,
        dcrc: be_u32(head, 24)?,
        os: head[28],
        arch: head[29],
        kind: head[30],
        comp: head[31],
        name: crate::bytes::c_string(&head[32..64]),
    })
}

fn os_name(os: u8) -> &'static str {
    const OS: &[&str] = &[
        "invalid",
        "OpenBSD",
        "NetBSD",
        "FreeBSD",
        "4.4BSD",
        "Linux",
        "SVR4",
        "Esix",
        "Solaris",
        "Irix",
        "SCO",
        "Dell",
        "NCR",
        "LynxOS",
        "VxWorks",
        "pSOS",
        "QNX",
        "U-Boot",
        "RTEMS",
        "ARTOS",
        "Unity OS",
        "INTEGRITY",
        "OSE",
        "Plan 9",
        "OpenRTOS",
        "ARM Trusted Firmware",
        "Trusted Execution Environment",
        "OpenSBI",
        "EFI",
    ];
    OS.get(usize::from(os)).copied().unwrap_or("unknown OS")
}

fn arch_name(arch: u8) -> &'static str {
    const ARCH: &[&str] = &[
        "invalid",
        "Alpha",
        "ARM",
        "x86",
        "IA64",
        "MIPS",
        "MIPS64",
        "PowerPC",
        "S390",
        "SuperH",
        "SPARC",
        "SPARC64",
        "M68K",
        "Nios",
        "MicroBlaze",
        "Nios-II",
        "Blackfin",
        "AVR32",
        "ST200",
        "Sandbox",
        "NDS32",
        "OpenRISC",
        "AArch64",
        "ARC",
        "x86_64",
        "Xtensa",
        "RISC-V",
    ];
    ARCH.get(usize::from(arch))
        .copied()
        .unwrap_or("unknown arch")
}

fn type_name(kind: u8) -> &'static str {
    match kind {
        1 => "standalone",
        2 => "kernel",
        3 => "ramdisk",
        4 => "multi",
        5 => "firmware",
        6 => "script",
        7 => "filesystem",
        8 => "flat_dt",
        14 => "kernel_noload",
        22 => "loadable",
        _ => "other",
    }
}

/// The payload name for an image type: what the part is, not the image's free-text name.
fn payload_name(kind: u8) -> &'static str {
    match kind {
        2 | 14 => "kernel",
        3 => "ramdisk",
        5 => "firmware",
        6 => "script",
        7 => "rootfs",
        8 => "fdt",
        1 => "standalone",
        _ => "data",
    }
}

fn comp_name(comp: u8) -> &'static str {
    match comp {
        0 => "uncompressed",
        1 => "gzip",
        2 => "bzip2",
        3 => "lzma",
        4 => "lzo",
        5 => "lz4",
        6 => "zstd",
        _ => "unknown compression",
    }
}

/// Split a MULTI/SCRIPT body into its parts using the zero-terminated length table. `None` when
/// the table does not describe the body (then the body is emitted whole).
fn split_parts(body: &[u8]) -> Option<Vec<&[u8]>> {
    let mut lens = Vec::new();
    let mut at = 0usize;
    loop {
        let len = be_u32(body, at)?;
        at += 4;
        if len == 0 {
            break;
        }
        if lens.len() >= MAX_PARTS {
            return None;
        }
        lens.push(usize::try_from(len).ok()?);
    }
    if lens.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(lens.len());
    for len in lens {
        parts.push(slice(body, at, len)?);
        // Parts are padded to 4 bytes, except after the last one.
        at = at.checked_add(len)?.checked_next_multiple_of(4)?;
    }
    Some(parts)
}

impl Format for UImage {
    fn name(&self) -> &'static str {
        "uimage"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&[0x27, 0x05, 0x19, 0x56])];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse(data)?;
        let total = HEADER_LEN as u64 + u64::from(h.size);
        let available = data.len() as u64;
        let mut description = format!(
            "\"{}\", {} {} {}, {}, {} bytes, load {:#010x}, entry {:#010x}, created {}",
            h.name.escape_default(),
            os_name(h.os),
            arch_name(h.arch),
            type_name(h.kind),
            comp_name(h.comp),
            h.size,
            h.load,
            h.entry,
            utc(i64::from(h.time)),
        );
        if total > available {
            description.push_str(&format!(
                ", truncated: {} of {} data bytes present",
                available - 64,
                h.size
            ));
        }
        Some(Identified::new(Some(total.min(available)), description))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h =
            parse(data).ok_or_else(|| Error::malformed(0, "uImage header no longer validates"))?;
        let want = usize::try_from(h.size).unwrap_or(usize::MAX);
        let body = data.get(HEADER_LEN..).unwrap_or_default();
        let body = if body.len() >= want {
            let body = &body[..want];
            if crc32fast::hash(body) != h.dcrc {
                out.warn(
                    HEADER_LEN as u64,
                    format!("data CRC mismatch (header says {:#010x})", h.dcrc),
                );
            }
            body
        } else {
            out.warn(
                HEADER_LEN as u64,
                format!(
                    "image truncated: {} of {} data bytes present",
                    body.len(),
                    h.size
                ),
            );
            body
        };
        if h.kind == TYPE_MULTI || h.kind == TYPE_SCRIPT {
            if let Some(parts) = split_parts(body) {
                let named: Vec<(String, &[u8])> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, &part)| {
                        let name = match (h.kind, i) {
                            (TYPE_SCRIPT, 0) => "script".to_string(),
                            (TYPE_MULTI, 0) => "kernel".to_string(),
                            (TYPE_MULTI, 1) => "ramdisk".to_string(),
                            (TYPE_MULTI, 2) => "fdt".to_string(),
                            _ => format!("part-{i}"),
                        };
                        (name, part)
                    })
                    .collect();
                return payloads(out, &named);
            }
            out.warn(
                HEADER_LEN as u64,
                "multi-file length table is invalid; data emitted whole".into(),
            );
        }
        payload(out, payload_name(h.kind), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::{CollectedKind, Collector};
    use iotassay_testkit::corpus_bytes;

    /// Build a uImage like `mkimage` does.
    fn build(kind: u8, body: &[u8], name: &str) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
        h[8..12].copy_from_slice(&0x6000_0000u32.to_be_bytes());
        h[12..16].copy_from_slice(&(body.len() as u32).to_be_bytes());
        h[16..20].copy_from_slice(&0x8000_8000u32.to_be_bytes());
        h[20..24].copy_from_slice(&0x8000_8000u32.to_be_bytes());
        h[24..28].copy_from_slice(&crc32fast::hash(body).to_be_bytes());
        h[28] = 5;
        h[29] = 2;
        h[30] = kind;
        h[31] = 0;
        h[32..32 + name.len()].copy_from_slice(name.as_bytes());
        let crc = crc32fast::hash(&h);
        h[4..8].copy_from_slice(&crc.to_be_bytes());
        h.extend_from_slice(body);
        h
    }

    #[test]
    fn openwrt_lzma_kernel() {
        let data = corpus_bytes("real/openwrt-uImage-lzma.bin");
        let id = UImage.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert!(
            id.description.contains("MIPS OpenWrt Linux-4.9.87"),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("load 0x80060000"),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("Linux MIPS kernel, lzma"),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("2018-03-22 12:29:22 UTC"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&UImage, &data, 64 << 20).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty());
        let kernel = c.file("kernel").expect("kernel payload");
        assert_eq!(kernel.len(), 1_389_599);
        assert_eq!(&kernel[..5], &[0x6d, 0x00, 0x00, 0x80, 0x00]);
        assert_eq!(kernel[..], data[64..]);
    }

    #[test]
    fn fact_uboot_image_with_trailing_data() {
        let data = corpus_bytes("formats/uboot__uboot.image_with_header");
        let id = UImage.identify(&data).expect("identifies");
        // The header covers 0x7ff1 bytes of data; the rest of the file is something else.
        assert_eq!(id.size, Some(64 + 0x7ff1));
        assert!(
            id.description.contains("\"u-boot image\""),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("firmware, lzma"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&UImage, &data, 64 << 20).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty());
        assert_eq!(c.file("firmware").unwrap(), data[64..64 + 0x7ff1]);
    }

    #[test]
    fn header_crc_is_required() {
        // uboot__uboot.dtb starts with a uImage header whose CRC is wrong: not a uImage.
        let data = corpus_bytes("formats/uboot__uboot.dtb");
        assert!(UImage.identify(&data).is_none());
        let mut good = build(2, b"payload!", "x");
        good[40] ^= 1;
        assert!(UImage.identify(&good).is_none());
    }

    #[test]
    fn data_crc_mismatch_warns_and_truncation_is_reported() {
        let mut img = build(2, &[7u8; 100], "k");
        *img.last_mut().unwrap() ^= 0xff;
        let (c, r) = Collector::run(&UImage, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.warnings.lock().unwrap().len(), 1);
        assert_eq!(c.file("kernel").unwrap().len(), 100);

        let img = build(2, &[7u8; 100], "k");
        let id = UImage.identify(&img[..120]).unwrap();
        assert_eq!(id.size, Some(120));
        assert!(id.description.contains("truncated"));
        let (c, r) = Collector::run(&UImage, &img[..120], 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("kernel").unwrap().len(), 56);
        assert!(c.warnings.lock().unwrap()[0].1.contains("truncated"));
    }

    #[test]
    fn multi_image_is_split() {
        let mut body = Vec::new();
        for len in [5u32, 8, 3, 0] {
            body.extend_from_slice(&len.to_be_bytes());
        }
        body.extend_from_slice(b"KKKKK\0\0\0RRRRRRRRFFF");
        let img = build(TYPE_MULTI, &body, "multi");
        let (c, r) = Collector::run(&UImage, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.sorted_paths(), ["fdt", "kernel", "ramdisk"]);
        assert_eq!(c.file("kernel").unwrap(), b"KKKKK");
        assert_eq!(c.file("ramdisk").unwrap(), b"RRRRRRRR");
        assert_eq!(c.file("fdt").unwrap(), b"FFF");

        // A table that runs past the data: emitted whole, with a warning.
        let mut bad = Vec::new();
        bad.extend_from_slice(&1000u32.to_be_bytes());
        bad.extend_from_slice(&0u32.to_be_bytes());
        let img = build(TYPE_MULTI, &bad, "multi");
        let (c, r) = Collector::run(&UImage, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["data"]);
        assert_eq!(c.warnings.lock().unwrap().len(), 1);
    }

    #[test]
    fn budget_error_is_returned() {
        let img = build(2, &[1u8; 4096], "k");
        let (_, r) = Collector::run(&UImage, &img, 100).unwrap();
        assert!(matches!(r, Err(Error::Budget(_))));
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let mut data = corpus_bytes("formats/uboot__uboot.image_with_header");
        data.truncate(4096);
        hostile(&UImage, &data);
        let mut body = Vec::new();
        for len in [0xffff_fff0u32, 8, 0] {
            body.extend_from_slice(&len.to_be_bytes());
        }
        hostile(&UImage, &build(TYPE_MULTI, &body, "m"));
        let mut junk = noise(4096, 1);
        junk[..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
        assert!(UImage.identify(&junk).is_none());
        // A huge declared size with a valid header CRC: identified as truncated, never allocated.
        let mut h = build(2, b"", "huge");
        h[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        h[4..8].copy_from_slice(&[0; 4]);
        let crc = crc32fast::hash(&h[..64]);
        h[4..8].copy_from_slice(&crc.to_be_bytes());
        let (c, r) = Collector::run(&UImage, &h, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("kernel").unwrap().len(), 0);
        assert!(matches!(
            c.into_entries()[0].kind,
            CollectedKind::Payload(_)
        ));
    }
}
