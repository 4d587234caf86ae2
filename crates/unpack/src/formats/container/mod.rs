//! Firmware containers and headers (uImage, FIT, TRX, TP-Link, MaxLinear, Realtek RTL819x; the vendor containers of
//! D-Link, Buffalo, DrayTek, Senao, Dahua, Alpha Networks and Broadcom SAO) and informational
//! signatures (boot loader and kernel banners, ELF headers, VxWorks).
//!
//! Every header here is a tiny fixed layout, so they are parsed by hand with the bounds-checked
//! readers of [`crate::bytes`]; no crate is needed (and none exists for most vendor headers).
//! Containers never decode their payloads: they emit the raw partitions and the engine carves them.
//! Vendor containers scrambled or encrypted with a published key are decrypted ([`cipher`]) and
//! emit the plaintext as a payload; with a key that is not public they are identified and report
//! "encrypted, vendor key needed", never the ciphertext as content.

use crate::format::{Body, Emit, Entry, Error, Format, Meta};

pub mod alphanetworks;
pub mod banner;
pub mod broadcom_sao;
pub mod buffalo;
mod cipher;
pub mod dahua;
pub mod dlink;
pub mod draytek;
pub mod elf;
pub mod fit;
pub mod maxlinear;
pub mod realtek;
pub mod senao;
pub mod tplink;
pub mod trx;
pub mod uimage;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[
    &uimage::UImage,
    &fit::Fit,
    &fit::Dtb,
    &trx::Trx,
    &tplink::TpLink,
    &maxlinear::MaxLinear,
    &realtek::Realtek,
    &dlink::Shrs,
    &dlink::EncryptedImg,
    &dlink::Mh01,
    &buffalo::Buffalo,
    &draytek::DrayTek,
    &senao::Senao,
    &dahua::Dahua,
    &broadcom_sao::BroadcomSao,
    &alphanetworks::AlphaNetworks,
    &elf::Elf,
    &banner::UBootBanner,
    &banner::LinuxBanner,
    &banner::VxWorks,
    &banner::Cfe,
];

/// Emit one container partition as a payload.
pub(crate) fn payload(out: &dyn Emit, name: &str, data: &[u8]) -> Result<(), Error> {
    out.entry(Entry {
        path: name.as_bytes(),
        meta: Meta::default(),
        body: Body::payload(data),
    })
}

/// Emit a container's partitions as payloads, in parallel: they are independent (a kernel's LZMA
/// decode and a root file system's extraction overlap instead of running one after the other).
/// The engine renumbers regions afterwards, so the manifest does not depend on the order.
pub(crate) fn payloads(out: &dyn Emit, parts: &[(String, &[u8])]) -> Result<(), Error> {
    use rayon::prelude::*;
    parts
        .par_iter()
        .try_for_each(|(name, data)| payload(out, name, data))
}

/// `true` when every byte is printable ASCII (space to `~`).
pub(crate) fn printable(s: &[u8]) -> bool {
    s.iter().all(|&b| (0x20..0x7f).contains(&b))
}

/// A fixed-size, NUL-padded text field: the text before the first NUL, if it is printable.
pub(crate) fn text_field(field: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    let text = field.get(..end)?;
    printable(text).then_some(text)
}

/// A Unix time as `YYYY-MM-DD hh:mm:ss UTC` (proleptic Gregorian, no time-zone database needed).
pub(crate) fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

use crate::testing::fuzz_with;

pub fn fuzz_uimage(data: &[u8]) {
    fuzz_with(&uimage::UImage, data);
}
pub fn fuzz_fit(data: &[u8]) {
    fuzz_with(&fit::Fit, data);
    fuzz_with(&fit::Dtb, data);
}
pub fn fuzz_trx(data: &[u8]) {
    fuzz_with(&trx::Trx, data);
}
pub fn fuzz_tplink(data: &[u8]) {
    fuzz_with(&tplink::TpLink, data);
}
pub fn fuzz_maxlinear(data: &[u8]) {
    fuzz_with(&maxlinear::MaxLinear, data);
}
pub fn fuzz_realtek(data: &[u8]) {
    fuzz_with(&realtek::Realtek, data);
}
pub fn fuzz_dlink(data: &[u8]) {
    fuzz_with(&dlink::Shrs, data);
    fuzz_with(&dlink::EncryptedImg, data);
    fuzz_with(&dlink::Mh01, data);
}
pub fn fuzz_buffalo(data: &[u8]) {
    fuzz_with(&buffalo::Buffalo, data);
}
pub fn fuzz_draytek(data: &[u8]) {
    fuzz_with(&draytek::DrayTek, data);
}
pub fn fuzz_senao(data: &[u8]) {
    fuzz_with(&senao::Senao, data);
}
pub fn fuzz_dahua(data: &[u8]) {
    fuzz_with(&dahua::Dahua, data);
}
pub fn fuzz_broadcom_sao(data: &[u8]) {
    fuzz_with(&broadcom_sao::BroadcomSao, data);
}
pub fn fuzz_alphanetworks(data: &[u8]) {
    fuzz_with(&alphanetworks::AlphaNetworks, data);
}
pub fn fuzz_elf(data: &[u8]) {
    fuzz_with(&elf::Elf, data);
}
pub fn fuzz_banners(data: &[u8]) {
    fuzz_with(&banner::UBootBanner, data);
    fuzz_with(&banner::LinuxBanner, data);
    fuzz_with(&banner::VxWorks, data);
    fuzz_with(&banner::Cfe, data);
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::format::Format;

    /// Feed `data` truncated at many lengths and with bytes flipped through identify + extract:
    /// it must never panic (the result itself is not checked here).
    pub fn hostile(format: &dyn Format, data: &[u8]) {
        let len = data.len().min(1 << 16);
        let step = (len / 97).max(1);
        for cut in (0..len).step_by(step) {
            super::fuzz_with(format, &data[..cut]);
        }
        let mut mutated = data[..len].to_vec();
        let mut seed = 0x9e37_79b9u32;
        for _ in 0..64 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = (seed as usize) % len.max(1);
            if let Some(b) = mutated.get_mut(at) {
                *b ^= (seed >> 24) as u8 | 1;
            }
            super::fuzz_with(format, &mutated);
        }
    }

    /// Pseudo-random bytes (xorshift), deterministic.
    pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotassay_testkit::corpus_bytes;

    /// Every offset where a magic of `handlers` matches and the handler identifies the structure.
    pub(crate) fn scan(handlers: &[&dyn Format], data: &[u8]) -> Vec<(usize, &'static str)> {
        let mut hits = Vec::new();
        for h in handlers {
            for m in h.magics() {
                for found in memchr::memmem::find_iter(data, m.bytes) {
                    let Some(start) = found.checked_sub(m.offset) else {
                        continue;
                    };
                    if h.identify(&data[start..]).is_some() {
                        hits.push((start, h.name()));
                    }
                }
            }
        }
        hits.sort();
        hits.dedup();
        hits
    }

    #[test]
    fn flash_dump_scan_finds_exactly_the_known_structures() {
        let dump = corpus_bytes("real/tplink-mt7628-flashdump.bin");
        let mut all: Vec<&dyn Format> = HANDLERS.to_vec();
        all.extend_from_slice(crate::formats::flashfs::HANDLERS);
        let hits = scan(&all, &dump);
        assert_eq!(
            hits,
            [(0xd310, "uboot-banner"), (0x10000, "tplink")],
            "{hits:x?}"
        );
    }

    #[test]
    fn other_families_fixtures_are_not_claimed() {
        let mut all: Vec<&dyn Format> = HANDLERS.to_vec();
        all.extend_from_slice(crate::formats::flashfs::HANDLERS);
        for file in [
            "formats/squashFS__xz.sqfs",
            "formats/squashFS__zlib_be.sqfs3",
            "formats/binwalk__gzip.bin",
            "formats/binwalk__bzip2.bin",
            "formats/binwalk__zip.bin",
            "formats/binwalk__7z.bin",
            "formats/patool__test.cpio",
            "formats/linuxkernel__zImage_be32",
            "formats/binwalk__arcadyan.bin",
            "real/broadcom-squashfs-v2-be-lzma.bin",
        ] {
            let data = corpus_bytes(file);
            let hits = scan(&all, &data);
            assert!(hits.is_empty(), "{file}: {hits:x?}");
        }
        // The tar's members are real ELF programs: reported as such and as nothing else.
        let tar = corpus_bytes("formats/binwalk__dirtraversal.tar");
        let hits = scan(&all, &tar);
        assert!(
            !hits.is_empty() && hits.iter().all(|(_, n)| *n == "elf"),
            "{hits:x?}"
        );
    }

    #[test]
    fn whole_images_scan_to_their_container_only() {
        let mut all: Vec<&dyn Format> = HANDLERS.to_vec();
        all.extend_from_slice(crate::formats::flashfs::HANDLERS);
        for (file, expected) in [
            ("real/openwrt-uImage-lzma.bin", "uimage"),
            ("real/openwrt-12.09-tl-wr703n-factory.bin", "tplink"),
            ("formats/trx__trx.img", "trx"),
            ("formats/uboot__fit.itb", "fit"),
        ] {
            let data = corpus_bytes(file);
            let hits = scan(&all, &data);
            assert!(hits.contains(&(0, expected)), "{file}: {hits:x?}");
            // Nothing else at the start, and no flash file system claimed by accident.
            assert!(
                hits.iter()
                    .all(|&(at, n)| (at == 0 && n == expected) || at > 0 && n == "dtb"),
                "{file}: {hits:x?}"
            );
        }
    }

    #[test]
    fn utc_formats_known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(0x5ab3_a1a2), "2018-03-22 12:29:22 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn crc_variant_matches_trx_reference() {
        // zlib crc32("123456789") = 0xcbf43926; without the final inversion it is its complement.
        assert_eq!(crate::bytes::crc32_jam(b"123456789"), !0xcbf4_3926);
    }
}
