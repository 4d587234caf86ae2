//! Archive handlers: cpio, tar, zip and 7z. Each emits every member with the metadata the archive
//! records (permission bits incl. setuid, uid/gid, mtime, link targets, devices).

use crate::format::{Body, Error, Format};
use crate::testing::Collector;

pub mod cpio;
pub mod sevenz;
pub mod tar;
pub mod zip;

/// The handlers of this family, in priority order (the ones with the longest, most distinctive
/// magic first; cpio's 2-byte binary magic last).
pub const HANDLERS: &[&dyn Format] = &[&sevenz::SevenZ, &zip::Zip, &tar::Tar, &cpio::Cpio];

/// Fuzz budget: large enough to exercise real decoding, small enough to keep a run fast.
const FUZZ_BUDGET: u64 = 64 << 20;

/// Fuzz entry point for the cpio parser (all four variants).
pub fn fuzz_cpio(data: &[u8]) {
    let _ = Collector::run(&cpio::Cpio, data, FUZZ_BUDGET);
}

/// Fuzz entry point for the tar parser (v7, ustar, GNU, pax).
pub fn fuzz_tar(data: &[u8]) {
    let _ = Collector::run(&tar::Tar, data, FUZZ_BUDGET);
}

/// Fuzz entry point for the zip handler: end-of-central-directory location and the local-header
/// walk used for truncated archives (member decoding is the `zip` crate's).
pub fn fuzz_zip(data: &[u8]) {
    let _ = Collector::run(&zip::Zip, data, FUZZ_BUDGET);
}

/// Fuzz entry point for the 7z handler: signature-header validation, the budget pre-check and
/// the `sevenz-rust2` reader behind it.
pub fn fuzz_sevenz(data: &[u8]) {
    let _ = Collector::run(&sevenz::SevenZ, data, FUZZ_BUDGET);
}

/// Run third-party decoding (the `zip` and `sevenz-rust2` readers) so that a panic inside it on
/// hostile data becomes a malformed-structure error instead of taking the engine down.
pub(crate) fn guarded(what: &str, f: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::malformed(
            0,
            format!("{what} decoder panicked on malformed data"),
        ))
    })
}

/// Unix file-type bits of a mode.
pub(crate) const S_IFMT: u32 = 0o170_000;
pub(crate) const S_IFSOCK: u32 = 0o140_000;
pub(crate) const S_IFLNK: u32 = 0o120_000;
pub(crate) const S_IFREG: u32 = 0o100_000;
pub(crate) const S_IFBLK: u32 = 0o060_000;
pub(crate) const S_IFDIR: u32 = 0o040_000;
pub(crate) const S_IFCHR: u32 = 0o020_000;
pub(crate) const S_IFIFO: u32 = 0o010_000;

/// A directory path without the trailing `/` many archivers store (the slash marks the type, it
/// is not part of the name); a lone `/` is kept.
pub(crate) fn trim_dir_slash(path: &[u8]) -> &[u8] {
    let mut end = path.len();
    while end > 1 && path.get(end - 1) == Some(&b'/') {
        end -= 1;
    }
    path.get(..end).unwrap_or(path)
}

/// The entry body for a Unix mode whose type is not a regular file, directory or symlink (those
/// need content the caller has); `None` for an unknown type.
pub(crate) fn special_body(mode: u32, major: u32, minor: u32) -> Option<Body<'static>> {
    match mode & S_IFMT {
        S_IFCHR => Some(Body::CharDevice { major, minor }),
        S_IFBLK => Some(Body::BlockDevice { major, minor }),
        S_IFIFO => Some(Body::Fifo),
        S_IFSOCK => Some(Body::Socket),
        _ => None,
    }
}

/// Seconds since the Unix epoch of a proleptic Gregorian UTC date (Howard Hinnant's algorithm);
/// used for zip's DOS timestamps.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Helpers shared by the archive tests.

    use crate::testing::{Collected, CollectedKind};

    /// The entry at `path`, panicking with the list of paths when it is missing.
    pub fn entry<'a>(entries: &'a [Collected], path: &str) -> &'a Collected {
        entries.iter().find(|e| e.path == path).unwrap_or_else(|| {
            let paths: Vec<_> = entries.iter().map(|e| &e.path).collect();
            panic!("no entry {path:?} in {paths:?}")
        })
    }

    pub fn file<'a>(entries: &'a [Collected], path: &str) -> &'a [u8] {
        match &entry(entries, path).kind {
            CollectedKind::File(d) => d,
            other => panic!("{path} is not a file: {other:?}"),
        }
    }

    /// Cheap deterministic pseudo-random bytes (xorshift) for garbage inputs.
    pub fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2015, 10, 29), 16_737);
    }

    #[test]
    fn dir_slash_trimmed() {
        assert_eq!(trim_dir_slash(b"a/b//"), b"a/b");
        assert_eq!(trim_dir_slash(b"/"), b"/");
        assert_eq!(trim_dir_slash(b""), b"");
    }

    /// The real firmware images hold none of these archives: every magic hit in them (compressed
    /// kernels and file systems, so effectively random bytes) must be rejected.
    #[test]
    fn no_false_hits_in_real_images() {
        let dir = iotassay_testkit::shared_dir().join("corpus/real");
        let mut hits = 0usize;
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            for h in HANDLERS {
                for m in h.magics() {
                    // An empty magic means "offset 0 only" (v7 tar).
                    let hits_of_magic: Vec<usize> = if m.bytes.is_empty() {
                        vec![m.offset]
                    } else {
                        memchr::memmem::find_iter(&data, m.bytes).collect()
                    };
                    for hit in hits_of_magic {
                        let Some(start) = hit.checked_sub(m.offset) else {
                            continue;
                        };
                        hits += 1;
                        let id = h.identify(&data[start..]);
                        assert!(
                            id.is_none(),
                            "{} at {start:#x} in {}: {id:?}",
                            h.name(),
                            path.display()
                        );
                    }
                }
            }
        }
        // The test means something only if the magics do occur.
        assert!(hits > 10, "{hits}");
    }

    /// Single-byte corruption of the fixtures' header bytes never panics (identify + extract).
    #[test]
    fn corrupted_fixtures_never_panic() {
        type Case = (&'static str, fn(&[u8]), std::ops::Range<usize>);
        let cases: [Case; 5] = [
            ("formats/patool__test.cpio", fuzz_cpio, 0..512),
            ("formats/binwalk__dirtraversal.tar", fuzz_tar, 0..1536),
            ("formats/binwalk__zip.bin", fuzz_zip, 0..100),
            ("formats/binwalk__zip.bin", fuzz_zip, 605_600..605_739),
            ("formats/binwalk__7z.bin", fuzz_sevenz, 0..218),
        ];
        for (name, fuzz, range) in cases {
            let data = iotassay_testkit::corpus_bytes(name);
            for at in range.step_by(3) {
                let mut bad = data.clone();
                bad[at] ^= 0xa5;
                fuzz(&bad);
            }
        }
    }

    #[test]
    fn fuzz_entry_points_survive_garbage() {
        for seed in 1..20u64 {
            let mut g = test_util::noise(seed, 4096);
            for magic in [
                &b"070701"[..],
                b"PK\x03\x04",
                b"7z\xbc\xaf\x27\x1c",
                b"\xc7\x71",
            ] {
                g[..magic.len()].copy_from_slice(magic);
                fuzz_cpio(&g);
                fuzz_tar(&g);
                fuzz_zip(&g);
                fuzz_sevenz(&g);
            }
        }
    }
}
