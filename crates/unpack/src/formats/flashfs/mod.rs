//! Flash and ROM file systems that are identified (with their exact extent) but not yet extracted:
//! JFFS2, UBI, UBIFS, cramfs, YAFFS2, ext2/3/4 and romfs. Identification validates each format's
//! own checksums or, where it has none (YAFFS2, ext), several independent structural invariants,
//! so random data with the magic number does not count. Superblocks are parsed by hand: they are
//! small fixed layouts, and the crates that read these file systems want a whole, trusted image.

use crate::format::{Error, Format};
use crate::testing::Collector;

pub mod cramfs;
pub mod ext;
pub mod jffs2;
pub mod romfs;
pub mod ubi;
pub mod yaffs2;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[
    &ubi::Ubi,
    &ubi::Ubifs,
    &cramfs::Cramfs,
    &romfs::Romfs,
    &ext::Ext,
    &jffs2::Jffs2,
    &yaffs2::Yaffs2,
];

/// The error every handler here returns from `extract`.
pub(crate) fn not_yet(format: &str) -> Error {
    Error::Unsupported(format!("{format} extraction is not implemented yet"))
}

/// CRC-32 as Linux's `crc32(~0, …)` computes it (UBI, UBIFS): zlib's CRC without the final inversion.
pub(crate) fn crc32_linux_inverted_seed(data: &[u8]) -> u32 {
    !crc32fast::hash(data)
}

/// Implements the parts of [`Format`] every identification-only handler shares.
macro_rules! identify_only {
    ($ty:ident, $name:literal, $label:literal, $magics:expr) => {
        impl crate::format::Format for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn kind(&self) -> crate::format::Kind {
                crate::format::Kind::Filesystem
            }
            fn magics(&self) -> &'static [crate::format::Magic] {
                const MAGICS: &[crate::format::Magic] = $magics;
                MAGICS
            }
            fn identify(&self, data: &[u8]) -> Option<crate::format::Identified> {
                identify(data)
            }
            fn extract(
                &self,
                _data: &[u8],
                _id: crate::format::Identified,
                _out: &dyn crate::format::Emit,
            ) -> Result<(), crate::format::Error> {
                Err(crate::formats::flashfs::not_yet($label))
            }
        }
    };
}
pub(crate) use identify_only;

fn fuzz_with(format: &dyn Format, data: &[u8]) {
    let _ = Collector::run(format, data, 64 << 20);
}

pub fn fuzz_jffs2(data: &[u8]) {
    fuzz_with(&jffs2::Jffs2, data);
}
pub fn fuzz_ubi(data: &[u8]) {
    fuzz_with(&ubi::Ubi, data);
    fuzz_with(&ubi::Ubifs, data);
}
pub fn fuzz_cramfs(data: &[u8]) {
    fuzz_with(&cramfs::Cramfs, data);
}
pub fn fuzz_yaffs2(data: &[u8]) {
    fuzz_with(&yaffs2::Yaffs2, data);
}
pub fn fuzz_ext(data: &[u8]) {
    fuzz_with(&ext::Ext, data);
}
pub fn fuzz_romfs(data: &[u8]) {
    fuzz_with(&romfs::Romfs, data);
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::format::{Error, Format};
    use crate::testing::Collector;

    /// Truncations and bit flips through identify + extract: never a panic; extraction, when
    /// identified, is always the documented `Unsupported`.
    pub fn hostile(format: &dyn Format, data: &[u8]) {
        let len = data.len().min(1 << 16);
        let step = (len / 89).max(1);
        let check = |d: &[u8]| {
            if let Some((_, r)) = Collector::run(format, d, 64 << 20) {
                assert!(matches!(r, Err(Error::Unsupported(_))));
            }
        };
        for cut in (0..len).step_by(step) {
            check(&data[..cut]);
        }
        let mut mutated = data[..len].to_vec();
        let mut seed = 0x2545_f491u32;
        for _ in 0..48 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = (seed as usize) % len.max(1);
            if let Some(b) = mutated.get_mut(at) {
                *b ^= (seed >> 24) as u8 | 1;
            }
            check(&mutated);
        }
    }

    /// Truncations and bit flips through identify + extract of a handler that extracts: never a
    /// panic, never a hang, whatever the result.
    pub fn hostile_extract(format: &dyn Format, data: &[u8]) {
        let len = data.len().min(1 << 16);
        let step = (len / 89).max(1);
        let check = |d: &[u8]| {
            let _ = Collector::run(format, d, 64 << 20);
        };
        for cut in (0..len).step_by(step) {
            check(&data[..cut]);
        }
        let mut mutated = data.to_vec();
        let mut seed = 0x2545_f491u32;
        for _ in 0..48 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = (seed as usize) % len.max(1);
            if let Some(b) = mutated.get_mut(at) {
                *b ^= (seed >> 24) as u8 | 1;
            }
            check(&mutated);
        }
    }

    /// Deterministic pseudo-random bytes.
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

    /// Every corpus fixture must be identified only by the handler meant for it.
    pub fn only(format: &dyn Format, data: &[u8]) {
        for other in super::HANDLERS {
            if other.name() != format.name() {
                assert!(
                    other.identify(data).is_none(),
                    "{} claims a {} image",
                    other.name(),
                    format.name()
                );
            }
        }
    }
}
