//! Realtek RTL819x images (the SDK's `cvimg` tool): a chain of sections, each a 16-byte big-endian
//! header — a 4-byte signature, the load address, the flash (burn) address and the length of what
//! follows — then the data and a 16-bit checksum that makes the big-endian 16-bit words of data and
//! checksum sum to zero. The SDK's signatures are `cs6b`/`cr6b`/`r6br` (RTL8196B),
//! `cs6c`/`cr6c`/`r6cr` (RTL8196C, RTL8198), `csys`/`csro` (others) and `w6bp`/`w6cp`/`webp`
//! (web pages); vendors put their own tags there (D-Link's DIR-600L: `F6LB` kernel, `Mlnk` web
//! pages, `R6LB` root file system). Parsed by hand: fixed layout, no crate.
//!
//! A section with a signature of the SDK or a known vendor tag is identified by its header and
//! reported with its checksum's verdict; a section found only because a SquashFS starts right
//! after its header (the usual root file system section, whatever its tag) must carry a valid
//! checksum, and so must every further section of the chain whose tag is not known.

use crate::bytes::be_u32;
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::payloads;

const HEADER_LEN: usize = 16;
/// A section larger than this is not credible for the flash of an RTL819x device.
const MAX_SECTION: usize = 64 << 20;
/// Sections followed in one chain.
const MAX_SECTIONS: usize = 16;

/// The signatures of the Realtek SDK and known vendor tags at the start of a section, then a root
/// file system section under a tag nobody listed: its SquashFS follows the header (the checksum
/// must then hold).
const MAGICS: &[Magic] = &[
    Magic::at_start(b"cs6b"),
    Magic::at_start(b"cr6b"),
    Magic::at_start(b"r6br"),
    Magic::at_start(b"cs6c"),
    Magic::at_start(b"cr6c"),
    Magic::at_start(b"r6cr"),
    Magic::at_start(b"csys"),
    Magic::at_start(b"csro"),
    Magic::at_start(b"w6bp"),
    Magic::at_start(b"w6cp"),
    Magic::at_start(b"webp"),
    Magic::at_start(b"F6LB"),
    Magic::at_start(b"R6LB"),
    Magic::at(HEADER_LEN, b"hsqs"),
    Magic::at(HEADER_LEN, b"sqsh"),
];

/// Whether `signature` is one of the SDK's or a known vendor tag.
fn known(signature: &[u8; 4]) -> bool {
    MAGICS.iter().any(|m| m.offset == 0 && m.bytes == signature)
}

/// Realtek RTL819x firmware image (`cvimg` sections).
pub struct Realtek;

/// One section of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// Where its header starts, relative to the image.
    pub offset: usize,
    pub signature: [u8; 4],
    pub load_addr: u32,
    pub burn_addr: u32,
    /// Bytes of data, without the checksum.
    pub data_len: usize,
    /// Whether the checksum makes the words sum to zero.
    pub checksum_ok: bool,
}

impl Section {
    /// Where its data starts, relative to the image.
    fn data_start(&self) -> usize {
        self.offset + HEADER_LEN
    }
    /// Where the next section may start.
    fn end(&self) -> usize {
        self.data_start() + self.data_len + self.data_len % 2 + 2
    }
    fn tag(&self) -> String {
        String::from_utf8_lossy(&self.signature).into_owned()
    }
}

/// The `cvimg` sum: big-endian 16-bit words, an odd last byte added as it is.
fn word_sum(data: &[u8]) -> u16 {
    let mut words = data.chunks_exact(2);
    let mut sum = words.by_ref().fold(0u16, |s, w| {
        s.wrapping_add(u16::from_be_bytes([w[0], w[1]]))
    });
    if let [last] = words.remainder() {
        sum = sum.wrapping_add(u16::from(*last));
    }
    sum
}

/// Parse the section whose header starts at `data[at]`. `None` unless the header is plausible and
/// its data (with the checksum) lies inside `data`. The checksum is charged as identification work.
pub(crate) fn section(data: &[u8], at: usize) -> Option<Section> {
    let signature: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    if !signature.iter().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let load_addr = be_u32(data, at + 4)?;
    let burn_addr = be_u32(data, at + 8)?;
    let len = usize::try_from(be_u32(data, at + 12)?).ok()?;
    // `len` counts the data and the 2-byte checksum; an odd data length is padded by one byte.
    if !(3..=MAX_SECTION).contains(&len) {
        return None;
    }
    let data_len = len - 2;
    let stored = data_len + data_len % 2 + 2;
    let body = data.get(at + HEADER_LEN..(at + HEADER_LEN).checked_add(stored)?)?;
    if !crate::format::identify_work(stored as u64) {
        return None;
    }
    let sum = word_sum(&body[..data_len]);
    let checksum = u16::from_be_bytes([body[stored - 2], body[stored - 1]]);
    Some(Section {
        offset: at,
        signature,
        load_addr,
        burn_addr,
        data_len,
        checksum_ok: sum.wrapping_add(checksum) == 0,
    })
}

/// The chain of sections from `data[0]`: the first must have a known signature or a valid
/// checksum; each next one, directly after the previous, is followed while its signature is
/// known or its checksum is valid.
pub(crate) fn chain(data: &[u8]) -> Option<Vec<Section>> {
    let believed = |s: &Section| s.checksum_ok || known(&s.signature);
    let first = section(data, 0).filter(believed)?;
    let mut sections = vec![first];
    while sections.len() < MAX_SECTIONS {
        let at = sections.last().map(Section::end)?;
        match section(data, at).filter(believed) {
            Some(next) => sections.push(next),
            None => break,
        }
    }
    Some(sections)
}

impl Format for Realtek {
    fn name(&self) -> &'static str {
        "realtek"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let sections = chain(data)?;
        let end = sections.last().map(Section::end)?;
        let parts: Vec<String> = sections
            .iter()
            .map(|s| {
                format!(
                    "{} (load {:#010x}, flash {:#x}, {} bytes, checksum {})",
                    s.tag().escape_default(),
                    s.load_addr,
                    s.burn_addr,
                    s.data_len,
                    if s.checksum_ok { "ok" } else { "BAD" }
                )
            })
            .collect();
        let mut id = Identified::new(
            Some(end as u64),
            format!("Realtek RTL819x image, {}", parts.join(", ")),
        );
        for s in sections.iter().filter(|s| !s.checksum_ok) {
            id.warnings.push((
                (s.data_start() + s.data_len) as u64,
                format!(
                    "section {} checksum does not match its data (modified after it was built?)",
                    s.tag().escape_default()
                ),
            ));
        }
        Some(id)
    }

    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let sections =
            chain(data).ok_or_else(|| Error::malformed(0, "Realtek header no longer validates"))?;
        for (offset, reason) in id.warnings {
            out.warn(offset, reason);
        }
        for s in &sections {
            out.explained(s.offset as u64, HEADER_LEN as u64);
            let data_end = s.data_start() + s.data_len;
            out.explained(data_end as u64, (s.end() - data_end) as u64);
        }
        let parts: Vec<(String, &[u8])> = sections
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let name = format!("{i}-{}", sanitise_tag(&s.signature));
                (name, &data[s.data_start()..s.data_start() + s.data_len])
            })
            .collect();
        payloads(out, &parts)
    }
}

/// A tag as a file name part (it is alphanumeric already; kept explicit for safety).
fn sanitise_tag(tag: &[u8; 4]) -> String {
    tag.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                b as char
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;

    /// A section as `cvimg` writes it.
    pub(crate) fn cvimg(tag: &[u8; 4], load: u32, burn: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(tag);
        out.extend_from_slice(&load.to_be_bytes());
        out.extend_from_slice(&burn.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32 + 2).to_be_bytes());
        out.extend_from_slice(data);
        let sum = word_sum(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out.extend_from_slice(&(!sum).wrapping_add(1).to_be_bytes());
        out
    }

    #[test]
    fn checksums_good_bad_and_truncated() {
        for len in [1usize, 2, 1001, 4096] {
            let body = noise(len, len as u64);
            let img = cvimg(b"cs6c", 0x8050_0000, 0x10000, &body);
            let s = section(&img, 0).expect("parses");
            assert!(s.checksum_ok, "len {len}");
            assert_eq!(s.data_len, len);
            assert_eq!(s.end(), img.len());
            let id = Realtek.identify(&img).expect("identifies");
            assert!(id.warnings.is_empty());
            assert!(id
                .description
                .contains("cs6c (load 0x80500000, flash 0x10000"));
            let (c, r) = Collector::run(&Realtek, &img, 1 << 20).unwrap();
            r.unwrap();
            assert_eq!(c.file("0-cs6c").unwrap(), body);

            // One flipped data byte: a known tag still identifies, with the checksum reported.
            let mut bad = img.clone();
            bad[HEADER_LEN] ^= 0x40;
            let id = Realtek.identify(&bad).expect("known tag");
            assert!(
                id.description.contains("checksum BAD"),
                "{}",
                id.description
            );
            let (c, r) = Collector::run(&Realtek, &bad, 1 << 20).unwrap();
            r.unwrap();
            let w = c.warnings.lock().unwrap().clone();
            assert!(w.iter().any(|(_, why)| why.contains("checksum")), "{w:?}");
            // An unknown tag is only believed with a good checksum.
            let mut other = img.clone();
            other[..4].copy_from_slice(b"Zq9x");
            assert!(Realtek.identify(&other).is_some());
            other[HEADER_LEN] ^= 0x40;
            assert!(Realtek.identify(&other).is_none());

            // Truncated anywhere: not identified, never a panic.
            for cut in [0, 3, HEADER_LEN - 1, HEADER_LEN, img.len() - 1] {
                assert!(Realtek.identify(&img[..cut]).is_none(), "cut {cut}");
            }
        }
    }

    #[test]
    fn chain_follows_known_and_checked_sections() {
        let kernel = noise(3000, 1);
        let web = noise(777, 2);
        let mut root = b"hsqs".to_vec();
        root.extend(noise(5000, 3));
        let mut img = cvimg(b"F6LB", 0x8050_0000, 0x10000, &kernel);
        img.extend(cvimg(b"Mlnk", 0xe0000, 0xe0000, &web));
        let root_at = img.len();
        img.extend(cvimg(b"R6LB", 0xe0000, 0xe0000, &root));
        img.extend(noise(100, 4));
        let id = Realtek.identify(&img).expect("identifies");
        assert_eq!(id.size, Some((img.len() - 100) as u64));
        let (c, r) = Collector::run(&Realtek, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.sorted_paths(), ["0-F6LB", "1-Mlnk", "2-R6LB"]);
        assert_eq!(c.file("1-Mlnk").unwrap(), web);
        assert_eq!(c.file("2-R6LB").unwrap(), root);
        // The root section alone is found by the SquashFS after its header.
        assert!(Realtek
            .magics()
            .iter()
            .any(|m| img[root_at + m.offset..].starts_with(m.bytes)));
        assert!(Realtek.identify(&img[root_at..]).is_some());
        // An unknown tag with a broken checksum ends the chain.
        let mut broken = img.clone();
        broken[root_at - 10] ^= 1; // inside Mlnk's data
        let (c, _) = Collector::run(&Realtek, &broken, 1 << 20).unwrap();
        assert_eq!(c.sorted_paths(), ["0-F6LB"]);
    }

    #[test]
    fn hostile_inputs() {
        let mut img = cvimg(b"cr6c", 0x8050_0000, 0x10000, &noise(3000, 9));
        img.extend(cvimg(b"r6cr", 0, 0x20000, &noise(2000, 10)));
        hostile(&Realtek, &img);
        // Lengths past the data or absurd are rejected.
        let mut huge = img.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Realtek.identify(&huge).is_none());
        let mut junk = noise(4096, 7);
        junk[..4].copy_from_slice(b"cs6c");
        assert!(Realtek.identify(&junk).is_none());
    }
}
