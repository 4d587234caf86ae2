//! Flash and ROM file systems: JFFS2, UBI, UBIFS, cramfs, YAFFS2, ext2/3/4 and romfs, all identified
//! with their exact extent; JFFS2, cramfs and romfs are also extracted (the others not yet).
//! Identification validates each format's own checksums or, where it has none (YAFFS2, ext),
//! several independent structural invariants, so random data with the magic number does not count.
//! Everything is parsed by hand: these are small layouts, and the crates that read these file
//! systems want a whole, trusted image.

use crate::format::Format;

pub mod cramfs;
pub mod ext;
pub mod jffs2;
pub mod romfs;
pub mod ubi;
pub mod yaffs2;

#[cfg(test)]
mod tests;

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

/// Directories nested deeper than this are not followed.
pub(crate) const MAX_DEPTH: usize = 512;
/// More directory entries than this in one image is an attack, not a file system.
pub(crate) const MAX_ENTRIES: usize = 1 << 22;

/// `parent/name` (just `name` at the root), raw bytes.
pub(crate) fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = Vec::with_capacity(parent.len() + 1 + name.len());
    path.extend_from_slice(parent);
    if !parent.is_empty() {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

/// The file type bits (`S_IFMT`) of a Unix mode, as JFFS2, cramfs and most images store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileType {
    Dir,
    File,
    Symlink,
    Char,
    Block,
    Fifo,
    Socket,
    Unknown,
}

impl FileType {
    pub(crate) fn from_mode(mode: u32) -> Self {
        match mode & 0o170000 {
            0o040000 => FileType::Dir,
            0o100000 => FileType::File,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::Char,
            0o060000 => FileType::Block,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => FileType::Unknown,
        }
    }
}

use crate::testing::fuzz_with;

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

    /// Truncations and bit flips through identify + extract for a handler that extracts: never a
    /// panic, never a hang, and any error is one a damaged image explains (never `Unsupported`).
    pub fn hostile_extract(format: &dyn Format, data: &[u8]) {
        mutations(data, |d| {
            let started = std::time::Instant::now();
            if let Some((_, r)) = Collector::run(format, d, 64 << 20) {
                assert!(
                    matches!(
                        r,
                        Ok(()) | Err(Error::Malformed { .. }) | Err(Error::Budget(_))
                    ),
                    "{r:?}"
                );
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "{} too slow",
                format.name()
            );
        });
    }

    /// Runs `check` on truncations of `data` and on a series of cumulative byte flips.
    pub fn mutations(data: &[u8], check: impl Fn(&[u8])) {
        let len = data.len().min(1 << 16);
        let step = (len / 89).max(1);
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
