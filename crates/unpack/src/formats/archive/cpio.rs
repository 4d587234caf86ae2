//! cpio archives: SVR4 `newc` (070701), SVR4 with checksums `crc` (070702), POSIX.1 portable
//! `odc` (070707) and the old binary format (0o070707 as a 16-bit word, either endianness).
//!
//! Own parser: the headers are fixed-size records of a few integer fields, and no maintained
//! pure-Rust crate reads all four variants with bounds checks and zero-copy access to member data.
//! Member contents are sub-slices of the input, so nothing is copied or allocated per member.

use std::collections::HashMap;

use crate::bytes::{slice, Endian};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{special_body, trim_dir_slash, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

pub struct Cpio;

const TRAILER: &[u8] = b"TRAILER!!!";
const BIN_MAGIC: u16 = 0o070_707;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Newc,
    Crc,
    Odc,
    Bin(Endian),
}

impl Variant {
    fn detect(data: &[u8], at: usize) -> Option<Variant> {
        match slice(data, at, 6)? {
            b"070701" => return Some(Variant::Newc),
            b"070702" => return Some(Variant::Crc),
            b"070707" => return Some(Variant::Odc),
            _ => {}
        }
        if Endian::Little.u16(data, at)? == BIN_MAGIC {
            Some(Variant::Bin(Endian::Little))
        } else if Endian::Big.u16(data, at)? == BIN_MAGIC {
            Some(Variant::Bin(Endian::Big))
        } else {
            None
        }
    }

    fn header_len(self) -> usize {
        match self {
            Variant::Newc | Variant::Crc => 110,
            Variant::Odc => 76,
            Variant::Bin(_) => 26,
        }
    }

    /// Alignment of the name end and of the data end, relative to the archive start.
    fn align(self) -> usize {
        match self {
            Variant::Newc | Variant::Crc => 4,
            Variant::Odc => 1,
            Variant::Bin(_) => 2,
        }
    }

    fn describe(self) -> String {
        match self {
            Variant::Newc => "newc (SVR4)".into(),
            Variant::Crc => "crc (SVR4 with checksums)".into(),
            Variant::Odc => "odc (POSIX.1 portable)".into(),
            Variant::Bin(e) => format!("old binary {}", e.name()),
        }
    }
}

/// One member header and its data, borrowed from the archive.
#[derive(Debug, Clone)]
struct Member<'a> {
    offset: usize,
    dev: (u32, u32),
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: i64,
    rdev: (u32, u32),
    check: u32,
    name: &'a [u8],
    data: &'a [u8],
}

/// The result of walking the headers from the start.
struct Walk<'a> {
    variant: Variant,
    members: Vec<Member<'a>>,
    /// End of the last complete member (through the trailer when there is one).
    end: usize,
    trailer: bool,
    /// Where and why the walk stopped before a trailer.
    stop: Option<(usize, String)>,
}

fn hex_field(field: &[u8]) -> Option<u32> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()
}

fn octal_field(field: &[u8]) -> Option<u64> {
    if field.is_empty() || !field.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(field).ok()?, 8).ok()
}

fn round_up(value: usize, align: usize) -> Option<usize> {
    value.checked_add(align - 1).map(|v| v / align * align)
}

/// Parse the member at `at`; returns it, whether it is the trailer, and where the next one starts.
fn parse_member(data: &[u8], at: usize, variant: Variant) -> Result<(Member<'_>, usize), String> {
    let header = slice(data, at, variant.header_len()).ok_or("truncated header")?;
    let bad = |what: &str| format!("bad {what} field");
    let (mut m, namesize, filesize) = match variant {
        Variant::Newc | Variant::Crc => {
            let f = |i: usize| {
                header
                    .get(6 + i * 8..14 + i * 8)
                    .and_then(hex_field)
                    .ok_or_else(|| {
                        bad([
                            "ino",
                            "mode",
                            "uid",
                            "gid",
                            "nlink",
                            "mtime",
                            "filesize",
                            "devmajor",
                            "devminor",
                            "rdevmajor",
                            "rdevminor",
                            "namesize",
                            "check",
                        ][i])
                    })
            };
            let m = Member {
                offset: at,
                ino: f(0)?,
                mode: f(1)?,
                uid: f(2)?,
                gid: f(3)?,
                nlink: f(4)?,
                mtime: i64::from(f(5)?),
                dev: (f(7)?, f(8)?),
                rdev: (f(9)?, f(10)?),
                check: f(12)?,
                name: &[],
                data: &[],
            };
            (m, f(11)? as usize, f(6)? as usize)
        }
        Variant::Odc => {
            // (offset, width) of dev, ino, mode, uid, gid, nlink, rdev, mtime, namesize, filesize.
            const FIELDS: [(usize, usize); 10] = [
                (6, 6),
                (12, 6),
                (18, 6),
                (24, 6),
                (30, 6),
                (36, 6),
                (42, 6),
                (48, 11),
                (59, 6),
                (65, 11),
            ];
            let mut v = [0u64; 10];
            for (i, (off, len)) in FIELDS.iter().enumerate() {
                v[i] = header
                    .get(*off..off + len)
                    .and_then(octal_field)
                    .ok_or_else(|| bad("octal"))?;
            }
            let small = |x: u64| u32::try_from(x).map_err(|_| bad("octal"));
            let rdev = small(v[6])?;
            let m = Member {
                offset: at,
                dev: (0, small(v[0])?),
                ino: small(v[1])?,
                mode: small(v[2])?,
                uid: small(v[3])?,
                gid: small(v[4])?,
                nlink: small(v[5])?,
                mtime: i64::try_from(v[7]).map_err(|_| bad("mtime"))?,
                rdev: (rdev >> 8, rdev & 0xff),
                check: 0,
                name: &[],
                data: &[],
            };
            let namesize = usize::try_from(v[8]).map_err(|_| bad("namesize"))?;
            let filesize = usize::try_from(v[9]).map_err(|_| bad("filesize"))?;
            (m, namesize, filesize)
        }
        Variant::Bin(e) => {
            let w = |i: usize| u32::from(e.u16(header, i * 2).unwrap_or(0));
            let rdev = w(7);
            let m = Member {
                offset: at,
                dev: (0, w(1)),
                ino: w(2),
                mode: w(3),
                uid: w(4),
                gid: w(5),
                nlink: w(6),
                mtime: i64::from((w(8) << 16) | w(9)),
                rdev: (rdev >> 8, rdev & 0xff),
                check: 0,
                name: &[],
                data: &[],
            };
            (m, w(10) as usize, ((w(11) << 16) | w(12)) as usize)
        }
    };
    if namesize == 0 {
        return Err("empty name".into());
    }
    let name_at = at + variant.header_len();
    let name = slice(data, name_at, namesize).ok_or("truncated name")?;
    // The stored name is NUL-terminated and holds no other NUL.
    let (last, body) = name.split_last().ok_or("empty name")?;
    if *last != 0 || body.contains(&0) {
        return Err("name is not a NUL-terminated string".into());
    }
    let align = variant.align();
    let data_at = round_up(name_at + namesize, align).ok_or("name too long")?;
    m.name = body;
    if body == TRAILER {
        let end = data_at.saturating_add(filesize).min(data.len());
        let end = round_up(end, align).unwrap_or(end).min(data.len());
        return Ok((m, end));
    }
    match m.mode & S_IFMT {
        S_IFREG | S_IFDIR | S_IFLNK => {}
        t if special_body(t, 0, 0).is_some() => {}
        _ => return Err(format!("unknown file type in mode {:o}", m.mode)),
    }
    m.data = slice(data, data_at, filesize).ok_or("member data runs past the end")?;
    let next = round_up(data_at + filesize, align).ok_or("member too long")?;
    Ok((m, next))
}

/// Walk every header from `data[0]` to the trailer (or the first damaged header). Bounded: each
/// step advances by at least one header.
fn walk(data: &[u8]) -> Option<Walk<'_>> {
    let variant = Variant::detect(data, 0)?;
    let mut w = Walk {
        variant,
        members: Vec::new(),
        end: 0,
        trailer: false,
        stop: None,
    };
    let mut at = 0usize;
    while at < data.len() {
        if Variant::detect(data, at) != Some(variant) {
            w.stop = Some((
                at,
                "no cpio header where the next member should start".into(),
            ));
            break;
        }
        match parse_member(data, at, variant) {
            Ok((m, next)) => {
                w.end = next;
                if m.name == TRAILER {
                    w.trailer = true;
                    break;
                }
                w.members.push(m);
                at = next;
            }
            Err(reason) => {
                w.stop = Some((at, reason));
                break;
            }
        }
    }
    Some(w)
}

impl Format for Cpio {
    fn name(&self) -> &'static str {
        "cpio"
    }

    fn kind(&self) -> Kind {
        Kind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[
            Magic::at_start(b"070701"),
            Magic::at_start(b"070702"),
            Magic::at_start(b"070707"),
            Magic::at_start(&[0xc7, 0x71]),
            Magic::at_start(&[0x71, 0xc7]),
        ];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let w = walk(data)?;
        // Without a trailer, insist on more evidence for the 2-byte binary magic. A lone trailer
        // holds nothing and is not worth reporting.
        let needed = if matches!(w.variant, Variant::Bin(_)) && !w.trailer {
            2
        } else {
            1
        };
        if w.members.len() < needed {
            return None;
        }
        let mut description = format!("{}, {} entries", w.variant.describe(), w.members.len());
        if !w.trailer {
            description.push_str(", truncated (no TRAILER!!!)");
        }
        Some(Identified::new(Some(w.end as u64), description))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let w = walk(data).ok_or_else(|| Error::malformed(0, "no cpio header"))?;
        if let Some((at, reason)) = &w.stop {
            out.warn(
                *at as u64,
                format!("cpio stops before its trailer: {reason}"),
            );
        } else if !w.trailer {
            out.warn(w.end as u64, "cpio has no TRAILER!!! record".into());
        }
        let links = hardlinks(&w.members);
        let mut deferred = Vec::new();
        for (i, m) in w.members.iter().enumerate() {
            match links.get(&i) {
                Some(&primary) => deferred.push((i, primary)),
                None => emit_member(m, w.variant, out)?,
            }
        }
        // Hard links go last so their targets exist (newc stores the data with the last link).
        for (i, primary) in deferred {
            let (Some(m), Some(p)) = (w.members.get(i), w.members.get(primary)) else {
                continue;
            };
            out.entry(Entry {
                path: m.name,
                meta: Meta::new(m.mode, m.uid, m.gid, m.mtime),
                body: Body::Hardlink(p.name),
            })?;
        }
        Ok(())
    }
}

/// Members that are hard links to another member: index → index of the member that carries the
/// data. Only regular files with a link count above one that share (dev, ino), and only when
/// their own data is empty or identical to the primary's, so a colliding inode number (the old
/// formats truncate them) can never lose content.
fn hardlinks(members: &[Member<'_>]) -> HashMap<usize, usize> {
    let mut groups: HashMap<((u32, u32), u32), Vec<usize>> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        if m.mode & S_IFMT == S_IFREG && m.nlink > 1 {
            groups.entry((m.dev, m.ino)).or_default().push(i);
        }
    }
    let mut links = HashMap::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        let primary = group
            .iter()
            .copied()
            .find(|&i| members.get(i).is_some_and(|m| !m.data.is_empty()))
            .or_else(|| group.first().copied());
        let Some(primary) = primary else { continue };
        let Some(p) = members.get(primary) else {
            continue;
        };
        for &i in group {
            if i != primary
                && members
                    .get(i)
                    .is_some_and(|m| m.data.is_empty() || m.data == p.data)
            {
                links.insert(i, primary);
            }
        }
    }
    links
}

fn emit_member(m: &Member<'_>, variant: Variant, out: &dyn Emit) -> Result<(), Error> {
    let meta = Meta::new(m.mode, m.uid, m.gid, m.mtime);
    let (path, body) = match m.mode & S_IFMT {
        S_IFDIR => (trim_dir_slash(m.name), Body::Dir),
        S_IFLNK => (m.name, Body::Symlink(m.data)),
        S_IFREG => {
            if variant == Variant::Crc {
                let sum = m
                    .data
                    .iter()
                    .fold(0u32, |s, &b| s.wrapping_add(u32::from(b)));
                if sum != m.check {
                    out.warn(
                        m.offset as u64,
                        format!(
                            "{}: checksum {:#x} does not match the stored {:#x}",
                            String::from_utf8_lossy(m.name),
                            sum,
                            m.check
                        ),
                    );
                }
            }
            (m.name, Body::File(m.data))
        }
        t => match special_body(t, m.rdev.0, m.rdev.1) {
            Some(body) => (m.name, body),
            None => {
                out.warn(
                    m.offset as u64,
                    format!("unknown file type in mode {:o}", m.mode),
                );
                return Ok(());
            }
        },
    };
    out.entry(Entry { path, meta, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::test_util::{entry, file, noise};
    use crate::testing::{CollectedKind, Collector};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::process::{Command, Stdio};

    const BUDGET: u64 = 1 << 30;

    #[test]
    fn patool_fixture() {
        let data = iotassay_testkit::corpus_bytes("formats/patool__test.cpio");
        let id = Cpio.identify(&data).expect("identified");
        assert!(
            id.description.contains("old binary LE"),
            "{}",
            id.description
        );
        assert!(id.description.contains("5 entries"), "{}", id.description);
        let size = id.size.expect("size") as usize;
        assert!(size <= data.len() && size > 400, "size {size}");
        // Everything after the trailer is zero padding to the 512-byte block.
        assert!(data[size..].iter().all(|&b| b == 0));
        let (c, r) = Collector::run(&Cpio, &data, BUDGET).expect("identified");
        r.expect("extracted");
        assert!(c.warnings.lock().unwrap().is_empty());
        let e = c.into_entries();
        assert_eq!(e.len(), 5);
        assert_eq!(entry(&e, "get_files_test").kind, CollectedKind::Dir);
        assert_eq!(
            entry(&e, "get_files_test/generic folder").kind,
            CollectedKind::Dir
        );
        assert_eq!(
            file(&e, "get_files_test/generic folder/test file 3_.txt"),
            b"The third test file!"
        );
        assert_eq!(
            file(&e, "get_files_test/testfile1"),
            b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n"
        );
        assert_eq!(
            file(&e, "get_files_test/testfile2"),
            b"This is the second test file"
        );
        let t1 = entry(&e, "get_files_test/testfile1");
        assert_eq!(t1.meta, Meta::new(0o644, 1000, 1000, 1_442_312_440));
        assert_eq!(entry(&e, "get_files_test").meta.mode, Some(0o755));
    }

    /// A temporary tree covering the interesting cases, and its files' ids.
    fn build_tree(dir: &std::path::Path) {
        let p = |s: &str| dir.join(s);
        std::fs::create_dir_all(p("a/b/c")).unwrap();
        std::fs::write(p("a/b/c/deep.txt"), b"hello world\n").unwrap();
        std::fs::write(p("empty"), b"").unwrap();
        std::fs::write(p("suid"), b"suid-bin").unwrap();
        std::fs::set_permissions(p("suid"), std::fs::Permissions::from_mode(0o4755)).unwrap();
        std::os::unix::fs::symlink("a/b/c/deep.txt", p("link")).unwrap();
        std::fs::write(p("hl1"), b"linked content\n").unwrap();
        std::fs::hard_link(p("hl1"), p("a/hl2")).unwrap();
        std::fs::set_permissions(p("a/b"), std::fs::Permissions::from_mode(0o2750)).unwrap();
        let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        for f in ["a/b/c/deep.txt", "empty", "suid", "hl1"] {
            std::fs::File::options()
                .write(true)
                .open(p(f))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }

    /// Build an archive of the tree with Debian's cpio (`apt-get install cpio`).
    fn cpio_archive(dir: &std::path::Path, format: &str) -> Vec<u8> {
        let list = "a\na/b\na/b/c\na/b/c/deep.txt\nempty\nsuid\nlink\nhl1\na/hl2\n";
        let mut child = Command::new("cpio")
            .args(["-o", "--quiet", "-H", format])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("Debian's cpio is needed to build test archives: apt-get install cpio");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(list.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "cpio -H {format} failed");
        out.stdout
    }

    #[test]
    fn built_archives_all_variants() {
        let tmp = tempfile::tempdir().unwrap();
        build_tree(tmp.path());
        let md = |s: &str| std::fs::symlink_metadata(tmp.path().join(s)).unwrap();
        for (format, want) in [
            ("newc", "newc"),
            ("crc", "crc"),
            ("odc", "odc"),
            ("bin", "old binary"),
        ] {
            let data = cpio_archive(tmp.path(), format);
            let id = Cpio
                .identify(&data)
                .unwrap_or_else(|| panic!("{format} not identified"));
            assert!(
                id.description.starts_with(want),
                "{format}: {}",
                id.description
            );
            assert!(
                id.description.contains("9 entries"),
                "{format}: {}",
                id.description
            );
            let (c, r) = Collector::run(&Cpio, &data, BUDGET).unwrap();
            r.unwrap_or_else(|e| panic!("{format}: {e}"));
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{format}: {:?}",
                c.warnings
            );
            let e = c.into_entries();
            assert_eq!(e.len(), 9, "{format}: {e:?}");
            assert_eq!(file(&e, "a/b/c/deep.txt"), b"hello world\n");
            assert_eq!(file(&e, "empty"), b"");
            assert_eq!(file(&e, "suid"), b"suid-bin");
            let m = md("suid");
            assert_eq!(
                entry(&e, "suid").meta,
                Meta::new(0o4755, m.uid(), m.gid(), 1_600_000_000)
            );
            assert_eq!(entry(&e, "a/b").meta.mode, Some(0o2750));
            assert_eq!(entry(&e, "a/b").kind, CollectedKind::Dir);
            assert_eq!(
                entry(&e, "link").kind,
                CollectedKind::Symlink("a/b/c/deep.txt".into())
            );
            // One of the two names carries the data, the other links to it.
            let (h1, h2) = (&entry(&e, "hl1").kind, &entry(&e, "a/hl2").kind);
            match (h1, h2) {
                (CollectedKind::File(d), CollectedKind::Hardlink(t)) if t == "hl1" => {
                    assert_eq!(d, b"linked content\n")
                }
                (CollectedKind::Hardlink(t), CollectedKind::File(d)) if t == "a/hl2" => {
                    assert_eq!(d, b"linked content\n")
                }
                other => panic!("{format}: hard link not recognised: {other:?}"),
            }
            // The structure size covers the trailer and nothing of the zero block padding
            // beyond its alignment.
            let size = id.size.unwrap() as usize;
            assert!(data[size..].iter().all(|&b| b == 0), "{format}");
            assert!(data.len() - size < 512, "{format}");
        }
    }

    #[test]
    fn crc_mismatch_is_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        build_tree(tmp.path());
        let mut data = cpio_archive(tmp.path(), "crc");
        let at = memchr::memmem::find(&data, b"hello world").unwrap();
        data[at] = b'j';
        let (c, r) = Collector::run(&Cpio, &data, BUDGET).unwrap();
        r.unwrap();
        let w = c.warnings.lock().unwrap().clone();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].1.contains("a/b/c/deep.txt") && w[0].1.contains("checksum"),
            "{w:?}"
        );
        assert_eq!(c.file("a/b/c/deep.txt").unwrap(), b"jello world\n");
    }

    #[test]
    fn truncated_everywhere_never_panics() {
        let tmp = tempfile::tempdir().unwrap();
        build_tree(tmp.path());
        for format in ["newc", "odc", "bin"] {
            let data = cpio_archive(tmp.path(), format);
            let full = Cpio.identify(&data).unwrap().size.unwrap() as usize;
            for cut in (0..full).step_by(7) {
                let part = &data[..cut];
                if let Some((c, r)) = Collector::run(&Cpio, part, BUDGET) {
                    r.unwrap();
                    // A cut archive is reported, never silently complete (only the trailer's
                    // alignment padding may be missing).
                    let warned = !c.warnings.lock().unwrap().is_empty();
                    assert!(warned || cut + 3 >= full, "{format} cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn lone_trailer_is_not_reported() {
        let data = iotassay_testkit::corpus_bytes("formats/patool__test.cpio");
        let at = memchr::memmem::find(&data, b"TRAILER!!!").unwrap() - 26;
        assert!(Cpio.identify(&data[at..]).is_none());
        // The last member plus the trailer still is an archive.
        let last = memchr::memmem::rfind(&data[..at], b"\xc7\x71").unwrap();
        assert!(Cpio
            .identify(&data[last..])
            .unwrap()
            .description
            .contains("1 entries"));
    }

    #[test]
    fn garbage_and_hostile_headers() {
        for seed in 1..200u64 {
            let mut g = noise(seed, 2048);
            g[..6].copy_from_slice(b"070701");
            assert!(Cpio.identify(&g).is_none());
            g[..2].copy_from_slice(&[0xc7, 0x71]);
            assert!(Cpio.identify(&g).is_none());
        }
        // A huge declared file size must not read out of bounds.
        let mut h = Vec::new();
        h.extend_from_slice(b"070701");
        for v in [1u32, 0o100644, 0, 0, 1, 0, 0xffff_ffff, 0, 0, 0, 0, 2, 0] {
            h.extend_from_slice(format!("{v:08X}").as_bytes());
        }
        h.extend_from_slice(b"a\0");
        h.extend_from_slice(&[0u8; 64]);
        assert!(Cpio.identify(&h).is_none());
        // An endless run of empty members is bounded by the data.
        let mut many = Vec::new();
        for _ in 0..1000 {
            many.extend_from_slice(&h[..6]);
            for v in [1u32, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0] {
                many.extend_from_slice(format!("{v:08X}").as_bytes());
            }
            many.extend_from_slice(b"a\0");
        }
        let (c, r) = Collector::run(&Cpio, &many, BUDGET).unwrap();
        r.unwrap();
        assert_eq!(c.into_entries().len(), 1000);
    }
}
