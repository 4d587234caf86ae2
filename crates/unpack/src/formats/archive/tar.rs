//! tar archives: v7, POSIX ustar, GNU (long names and long link names, base-256 numbers) and
//! POSIX pax (`path`, `linkpath`, `size`, `mtime`, `uid`, `gid`, local and global headers).
//!
//! Own parser rather than the `tar` crate: the crate reads through `io::Read`, so every member
//! would be copied out of the image, it stops at the first damaged header without telling where,
//! and it cannot report where the archive ends; here headers are walked over the slice (each step
//! advances at least one 512-byte block, so the walk is bounded), member data is emitted as
//! sub-slices, and damage is reported with its offset.

use std::borrow::Cow;

use crate::bytes::slice;
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::trim_dir_slash;

pub struct Tar;

const BLOCK: usize = 512;

/// One member, with long names and pax overrides already applied.
#[derive(Debug)]
struct Member<'a> {
    offset: usize,
    typeflag: u8,
    path: Cow<'a, [u8]>,
    link: Cow<'a, [u8]>,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    dev: (u32, u32),
    data: &'a [u8],
    /// GNU sparse member (old 'S' type or pax GNU.sparse keys): the stored data is not the file.
    sparse: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    V7,
    Ustar,
    Gnu,
}

struct Walk<'a> {
    flavor: Flavor,
    pax: bool,
    members: Vec<Member<'a>>,
    end: usize,
    /// Both end-of-archive blocks were found.
    complete: bool,
    /// Damage that stopped the walk or a missing end marker: (offset, reason).
    problems: Vec<(usize, String)>,
}

/// A numeric header field: octal (space/NUL padded) or GNU base-256 (high bit of the first byte).
/// Returns a signed value so negative base-256 times survive.
fn number(field: &[u8]) -> Option<i64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        // GNU base-256: 0x80 marks a positive number (the other 7 bits are its top bits), 0xff a
        // negative one in two's complement over the remaining bytes.
        let negative = first == 0xff;
        let mut v: i64 = if negative {
            -1
        } else {
            i64::from(first & 0x7f)
        };
        for &b in field.get(1..)? {
            v = v.checked_mul(256)?.checked_add(i64::from(b))?;
        }
        return Some(v);
    }
    let mut i = 0;
    while field.get(i).is_some_and(|&b| b == b' ' || b == 0) && i < field.len() {
        i += 1;
    }
    let mut v: i64 = 0;
    while let Some(&b) = field.get(i) {
        if !(b'0'..=b'7').contains(&b) {
            break;
        }
        v = v.checked_mul(8)?.checked_add(i64::from(b - b'0'))?;
        i += 1;
    }
    // Only padding may follow the digits.
    if field.get(i..)?.iter().all(|&b| b == b' ' || b == 0) {
        Some(v)
    } else {
        None
    }
}

fn unsigned(field: &[u8]) -> Option<u64> {
    u64::try_from(number(field)?).ok()
}

fn small(field: &[u8]) -> Option<u32> {
    u32::try_from(number(field)?).ok()
}

fn c_bytes(field: &[u8]) -> &[u8] {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}

/// The header checksum: the stored value must equal the byte sum with the checksum field taken
/// as spaces (unsigned, or signed as some old tars computed it).
fn checksum_ok(block: &[u8]) -> bool {
    let Some(stored) = block.get(148..156).and_then(number) else {
        return false;
    };
    let (mut unsigned_sum, mut signed_sum) = (0i64, 0i64);
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned_sum += i64::from(b);
        signed_sum += i64::from(b as i8);
    }
    stored == unsigned_sum || stored == signed_sum
}

fn flavor(block: &[u8]) -> Flavor {
    match block.get(257..265) {
        Some(b"ustar  \0") => Flavor::Gnu,
        Some(m) if m.starts_with(b"ustar") => Flavor::Ustar,
        _ => Flavor::V7,
    }
}

/// One pax record: key and value.
type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// pax extended header records, `"<len> <key>=<value>\n"`; stops at the first malformed one
/// (and at NUL padding). Returns the records and whether all of them parsed.
fn pax_records(data: &[u8]) -> (Vec<PaxRecord<'_>>, bool) {
    let mut records = Vec::new();
    let mut rest = data;
    while rest.first().is_some_and(|&b| b != 0) {
        let Some(space) = memchr::memchr(b' ', rest) else {
            return (records, false);
        };
        let len = std::str::from_utf8(rest.get(..space).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(record) = len.filter(|&l| l > space + 1).and_then(|l| rest.get(..l)) else {
            return (records, false);
        };
        let Some((b'\n', body)) = record.get(space + 1..).and_then(|r| r.split_last()) else {
            return (records, false);
        };
        let Some(eq) = memchr::memchr(b'=', body) else {
            return (records, false);
        };
        records.push((
            body.get(..eq).unwrap_or_default(),
            body.get(eq + 1..).unwrap_or_default(),
        ));
        rest = rest.get(record.len()..).unwrap_or_default();
    }
    (records, true)
}

fn pax_int(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// A pax time ("1630850400.25", "-3.5"): whole seconds, rounded down.
fn pax_time(value: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(value).ok()?;
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = whole.parse().ok()?;
    let fractional = frac.bytes().any(|b| b != b'0');
    Some(if whole.starts_with('-') && fractional {
        secs.saturating_sub(1)
    } else {
        secs
    })
}

/// Values that pax headers set, local ones overriding global ones.
#[derive(Default, Clone)]
struct Pax<'a> {
    path: Option<&'a [u8]>,
    linkpath: Option<&'a [u8]>,
    size: Option<u64>,
    mtime: Option<i64>,
    uid: Option<u32>,
    gid: Option<u32>,
    sparse: bool,
}

impl<'a> Pax<'a> {
    fn apply(&mut self, records: &[PaxRecord<'a>]) {
        for &(key, value) in records {
            match key {
                b"path" => self.path = Some(value),
                b"linkpath" => self.linkpath = Some(value),
                b"size" => self.size = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()),
                b"mtime" => self.mtime = pax_time(value),
                b"uid" => self.uid = pax_int(value),
                b"gid" => self.gid = pax_int(value),
                k if k.starts_with(b"GNU.sparse.") => self.sparse = true,
                _ => {}
            }
        }
    }
}

/// Walk every header from `data[0]`; `None` when the first block is not a tar header.
fn walk(data: &[u8]) -> Option<Walk<'_>> {
    let first = slice(data, 0, BLOCK)?;
    if !checksum_ok(first) || first.first() == Some(&0) || !known_type(first.get(156).copied()?) {
        return None;
    }
    let mut w = Walk {
        flavor: flavor(first),
        pax: false,
        members: Vec::new(),
        end: 0,
        complete: false,
        problems: Vec::new(),
    };
    let mut global = Pax::default();
    let mut local = Pax::default();
    let (mut long_name, mut long_link): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut at = 0usize;
    loop {
        let Some(block) = slice(data, at, BLOCK) else {
            if at < data.len() {
                w.problems.push((at, "truncated header block".into()));
                w.end = data.len();
            } else {
                w.problems.push((at, "no end-of-archive blocks".into()));
            }
            break;
        };
        if block.iter().all(|&b| b == 0) {
            match slice(data, at + BLOCK, BLOCK) {
                Some(next) if next.iter().all(|&b| b == 0) => {
                    w.end = at + 2 * BLOCK;
                    w.complete = true;
                }
                _ => {
                    w.end = (at + 2 * BLOCK).min(data.len());
                    w.problems
                        .push((at, "only one end-of-archive block".into()));
                }
            }
            break;
        }
        if !checksum_ok(block) {
            w.problems
                .push((at, "bad header checksum; the archive ends here".into()));
            break;
        }
        let typeflag = block.get(156).copied().unwrap_or(0);
        let Some(header_size) = block.get(124..136).and_then(unsigned) else {
            w.problems.push((at, "bad size field".into()));
            break;
        };
        let size = if matches!(typeflag, b'x' | b'g' | b'L' | b'K') {
            header_size
        } else {
            local.size.unwrap_or(header_size)
        };
        let has_data = !matches!(typeflag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6');
        let size = if has_data { size } else { 0 };
        let data_at = at + BLOCK;
        let member_data = usize::try_from(size)
            .ok()
            .and_then(|s| slice(data, data_at, s));
        let Some(member_data) = member_data else {
            w.problems
                .push((at, format!("member data ({size} bytes) runs past the end")));
            w.end = data.len();
            break;
        };
        // Both fit in the slice, so the rounded end cannot overflow.
        let next = data_at + member_data.len().div_ceil(BLOCK) * BLOCK;
        w.end = next.min(data.len());
        match typeflag {
            b'L' => long_name = Some(c_bytes(member_data)),
            b'K' => long_link = Some(c_bytes(member_data)),
            b'x' | b'g' => {
                w.pax = true;
                let (records, ok) = pax_records(member_data);
                if !ok {
                    w.problems
                        .push((at, "malformed pax extended header record".into()));
                }
                if typeflag == b'g' {
                    global.apply(&records);
                    // Only these make sense archive-wide.
                    global.path = None;
                    global.linkpath = None;
                    global.size = None;
                } else {
                    local.apply(&records);
                }
            }
            // A volume label names the tape, not a member.
            b'V' => {}
            _ => {
                w.members.push(member(
                    block,
                    at,
                    typeflag,
                    member_data,
                    &global,
                    &local,
                    long_name,
                    long_link,
                ));
                local = Pax::default();
                long_name = None;
                long_link = None;
            }
        }
        at = next;
    }
    Some(w)
}

fn known_type(t: u8) -> bool {
    matches!(
        t,
        0 | b'0'..=b'7' | b'L' | b'K' | b'x' | b'g' | b'D' | b'S' | b'V' | b'M'
    )
}

#[allow(clippy::too_many_arguments)]
fn member<'a>(
    block: &'a [u8],
    offset: usize,
    typeflag: u8,
    data: &'a [u8],
    global: &Pax<'a>,
    local: &Pax<'a>,
    long_name: Option<&'a [u8]>,
    long_link: Option<&'a [u8]>,
) -> Member<'a> {
    let field = |r: std::ops::Range<usize>| block.get(r).unwrap_or_default();
    let flavor = flavor(block);
    let name = c_bytes(field(0..100));
    let path: Cow<'a, [u8]> = if let Some(p) = local.path.or(long_name) {
        Cow::Borrowed(p)
    } else {
        let prefix = c_bytes(field(345..500));
        if flavor == Flavor::Ustar && !prefix.is_empty() {
            let mut joined = prefix.to_vec();
            joined.push(b'/');
            joined.extend_from_slice(name);
            Cow::Owned(joined)
        } else {
            Cow::Borrowed(name)
        }
    };
    let link = local
        .linkpath
        .or(long_link)
        .unwrap_or_else(|| c_bytes(field(157..257)));
    let dev = if flavor == Flavor::V7 {
        (0, 0)
    } else {
        (
            small(field(329..337)).unwrap_or(0),
            small(field(337..345)).unwrap_or(0),
        )
    };
    Member {
        offset,
        typeflag,
        path,
        link: Cow::Borrowed(link),
        mode: small(field(100..108)).unwrap_or(0) & 0o7777,
        uid: local
            .uid
            .or(global.uid)
            .or_else(|| small(field(108..116)))
            .unwrap_or(0),
        gid: local
            .gid
            .or(global.gid)
            .or_else(|| small(field(116..124)))
            .unwrap_or(0),
        mtime: local
            .mtime
            .or(global.mtime)
            .or_else(|| number(field(136..148)))
            .unwrap_or(0),
        dev,
        data,
        sparse: typeflag == b'S' || local.sparse,
    }
}

impl Format for Tar {
    fn name(&self) -> &'static str {
        "tar"
    }

    fn kind(&self) -> Kind {
        Kind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        // v7 archives have no magic: the empty one asks the engine to offer the start of each
        // file and payload, where they are recognised by their header checksum.
        const MAGICS: &[Magic] = &[Magic::at(257, b"ustar"), Magic::at_start(b"")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let w = walk(data)?;
        if w.members.is_empty() {
            return None;
        }
        let flavor = match (w.flavor, w.pax) {
            (Flavor::Ustar, true) => "POSIX pax",
            (Flavor::Ustar, false) => "POSIX ustar",
            (Flavor::Gnu, _) => "GNU",
            (Flavor::V7, _) => "v7",
        };
        let mut description = format!("{flavor}, {} entries", w.members.len());
        if !w.complete {
            description.push_str(", no end-of-archive marker");
        }
        Some(Identified::new(Some(w.end as u64), description))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let w = walk(data).ok_or_else(|| Error::malformed(0, "not a tar header"))?;
        for (at, reason) in &w.problems {
            out.warn(*at as u64, reason.clone());
        }
        for m in &w.members {
            emit_member(m, out)?;
        }
        Ok(())
    }
}

fn emit_member(m: &Member<'_>, out: &dyn Emit) -> Result<(), Error> {
    let meta = Meta::new(m.mode, m.uid, m.gid, m.mtime);
    let path: &[u8] = &m.path;
    let (path, body) = match m.typeflag {
        _ if m.sparse => {
            out.warn(
                m.offset as u64,
                format!(
                    "{}: GNU sparse member not supported, skipped",
                    String::from_utf8_lossy(path)
                ),
            );
            return Ok(());
        }
        b'M' => {
            out.warn(
                m.offset as u64,
                format!(
                    "{}: multi-volume continuation, skipped",
                    String::from_utf8_lossy(path)
                ),
            );
            return Ok(());
        }
        b'1' => (path, Body::Hardlink(&m.link)),
        b'2' => (path, Body::Symlink(&m.link)),
        b'3' => (
            path,
            Body::CharDevice {
                major: m.dev.0,
                minor: m.dev.1,
            },
        ),
        b'4' => (
            path,
            Body::BlockDevice {
                major: m.dev.0,
                minor: m.dev.1,
            },
        ),
        b'5' | b'D' => (trim_dir_slash(path), Body::Dir),
        b'6' => (path, Body::Fifo),
        // Old archives mark directories only by a trailing slash.
        0 | b'0' if path.ends_with(b"/") && m.data.is_empty() => (trim_dir_slash(path), Body::Dir),
        // Regular, contiguous, and (as POSIX asks) any unknown type.
        _ => (path, Body::File(m.data)),
    };
    out.entry(Entry { path, meta, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::test_util::{entry, file, noise};
    use crate::testing::{CollectedKind, Collector};

    const BUDGET: u64 = 1 << 30;

    #[test]
    fn dirtraversal_fixture() {
        let data = iotassay_testkit::corpus_bytes("formats/binwalk__dirtraversal.tar");
        let id = Tar.identify(&data).expect("identified");
        assert!(
            id.description.starts_with("GNU, 11 entries"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Tar, &data, BUDGET).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty(), "{:?}", c.warnings);
        let e = c.into_entries();
        let links: Vec<(&str, &str)> = e
            .iter()
            .filter_map(|x| match &x.kind {
                CollectedKind::Symlink(t) => Some((x.path.as_str(), t.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            links,
            [
                ("bar", "/etc/passwd"),
                ("foo", "../../"),
                ("README2_link", "subdir/README2.txt"),
                ("subdir/foo2", "../../../../"),
                ("subdir/README_link", "../README.txt"),
                ("subdir/bar2", "/etc/shadow"),
            ]
        );
        assert_eq!(e.len(), 11);
        assert_eq!(entry(&e, "subdir").kind, CollectedKind::Dir);
        assert_eq!(entry(&e, "subdir").meta.mode, Some(0o775));
        assert_eq!(file(&e, "ls").len(), 133_792);
        assert_eq!(file(&e, "subdir/ls2"), file(&e, "ls"));
        assert_eq!(file(&e, "ls").get(..4), Some(&b"\x7fELF"[..]));
        assert_eq!(file(&e, "README.txt"), b"Dir traversal test\n");
        assert_eq!(file(&e, "subdir/README2.txt"), b"Subdir traversal test.\n");
        assert_eq!(
            entry(&e, "ls").meta,
            Meta::new(0o755, 1000, 1000, 1_630_851_595)
        );
        assert_eq!(
            entry(&e, "README.txt").meta,
            Meta::new(0o664, 1000, 1000, 1_630_855_328)
        );
        assert_eq!(
            entry(&e, "foo").meta,
            Meta::new(0o777, 1000, 1000, 1_630_850_792)
        );
        // The structure ends after the two zero blocks that follow the last member (subdir/ls2,
        // 133792 bytes = 262 blocks), not at the end of GNU tar's record padding.
        let last = memchr::memmem::find(&data, b"subdir/ls2\0").unwrap();
        assert_eq!(id.size, Some((last + 512 + 262 * 512 + 1024) as u64));
        assert!(id.size.unwrap() < data.len() as u64);
    }

    /// A tar built with the `tar` crate covering long names, long links, pax, devices, setuid.
    fn built() -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut add = |name: &str,
                       t: ::tar::EntryType,
                       mode: u32,
                       link: Option<&str>,
                       data: &[u8],
                       gnu: bool| {
            let mut h = if gnu {
                ::tar::Header::new_gnu()
            } else {
                ::tar::Header::new_ustar()
            };
            h.set_entry_type(t);
            h.set_mode(mode);
            h.set_uid(1000);
            h.set_gid(50);
            h.set_mtime(1_600_000_000);
            h.set_size(data.len() as u64);
            if t.is_character_special() || t.is_block_special() {
                h.set_device_major(4).unwrap();
                h.set_device_minor(64).unwrap();
            }
            if let Some(l) = link {
                b.append_link(&mut h, name, l).unwrap();
            } else {
                b.append_data(&mut h, name, data).unwrap();
            }
        };
        use ::tar::EntryType as T;
        let long = format!("{}/file.txt", "d".repeat(150));
        add("dir/", T::Directory, 0o2755, None, b"", true);
        add("dir/suid", T::Regular, 0o4755, None, b"suid program", true);
        add("empty", T::Regular, 0o644, None, b"", true);
        add(&long, T::Regular, 0o600, None, b"long name content", true);
        add("sym", T::Symlink, 0o777, Some(&"t".repeat(120)), b"", true);
        add("hard", T::Link, 0o644, Some("dir/suid"), b"", true);
        add("dev/ttyS0", T::Char, 0o620, None, b"", false);
        add("dev/sda", T::Block, 0o660, None, b"", false);
        add("fifo", T::Fifo, 0o644, None, b"", false);
        let mut data = b.into_inner().unwrap();
        // A pax member appended by hand: path, linkpath-free file with pax uid/gid/mtime.
        let records = pax(&[
            ("path", "pax/ü-name.txt"),
            ("uid", "70000"),
            ("gid", "80000"),
            ("mtime", "1234567890.5"),
        ]);
        data.truncate(data.len() - 1024);
        let mut hx = ::tar::Header::new_ustar();
        hx.set_entry_type(T::XHeader);
        hx.set_size(records.len() as u64);
        hx.set_path("PaxHeader/x").unwrap();
        hx.set_cksum();
        data.extend_from_slice(hx.as_bytes());
        data.extend_from_slice(&records);
        data.resize(data.len().div_ceil(512) * 512, 0);
        let mut hf = ::tar::Header::new_ustar();
        hf.set_path("short").unwrap();
        hf.set_size(3);
        hf.set_mode(0o640);
        hf.set_mtime(1);
        hf.set_cksum();
        data.extend_from_slice(hf.as_bytes());
        data.extend_from_slice(b"pax");
        data.resize(data.len().div_ceil(512) * 512 + 1024, 0);
        data
    }

    fn pax(kv: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in kv {
            let body = format!(" {k}={v}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            out.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        out
    }

    #[test]
    fn built_archive_every_kind() {
        let data = built();
        let id = Tar.identify(&data).expect("identified");
        assert_eq!(id.size, Some(data.len() as u64));
        assert!(id.description.contains("10 entries"), "{}", id.description);
        let (c, r) = Collector::run(&Tar, &data, BUDGET).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty(), "{:?}", c.warnings);
        let e = c.into_entries();
        assert_eq!(e.len(), 10);
        assert_eq!(entry(&e, "dir").kind, CollectedKind::Dir);
        assert_eq!(entry(&e, "dir").meta.mode, Some(0o2755));
        assert_eq!(file(&e, "dir/suid"), b"suid program");
        assert_eq!(
            entry(&e, "dir/suid").meta,
            Meta::new(0o4755, 1000, 50, 1_600_000_000)
        );
        assert_eq!(file(&e, "empty"), b"");
        assert_eq!(
            file(&e, &format!("{}/file.txt", "d".repeat(150))),
            b"long name content"
        );
        assert_eq!(
            entry(&e, "sym").kind,
            CollectedKind::Symlink("t".repeat(120))
        );
        assert_eq!(
            entry(&e, "hard").kind,
            CollectedKind::Hardlink("dir/suid".into())
        );
        assert_eq!(
            entry(&e, "dev/ttyS0").kind,
            CollectedKind::CharDevice(4, 64)
        );
        assert_eq!(entry(&e, "dev/ttyS0").meta.mode, Some(0o620));
        assert_eq!(entry(&e, "dev/sda").kind, CollectedKind::BlockDevice(4, 64));
        assert_eq!(entry(&e, "fifo").kind, CollectedKind::Fifo);
        assert_eq!(file(&e, "pax/ü-name.txt"), b"pax");
        assert_eq!(
            entry(&e, "pax/ü-name.txt").meta,
            Meta::new(0o640, 70000, 80000, 1_234_567_890)
        );
    }

    #[test]
    fn v7_archive_by_checksum() {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut h = ::tar::Header::new_old();
        h.set_entry_type(::tar::EntryType::Regular);
        h.set_mode(0o755);
        h.set_mtime(42);
        h.set_size(0);
        b.append_data(&mut h, "etc/", &b""[..]).unwrap();
        h.set_size(5);
        h.set_mode(0o4711);
        b.append_data(&mut h, "etc/init", &b"#!/sh"[..]).unwrap();
        let data = b.into_inner().unwrap();
        assert_eq!(&data[257..262], &[0u8; 5]);
        let id = Tar.identify(&data).expect("v7 identified");
        assert_eq!(id.description, "v7, 2 entries");
        let (c, r) = Collector::run(&Tar, &data, BUDGET).unwrap();
        r.unwrap();
        let e = c.into_entries();
        // v7 marks directories only by the trailing slash.
        assert_eq!(entry(&e, "etc").kind, CollectedKind::Dir);
        assert_eq!(file(&e, "etc/init"), b"#!/sh");
        assert_eq!(entry(&e, "etc/init").meta, Meta::new(0o4711, 0, 0, 42));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"0000755\0"), Some(0o755));
        assert_eq!(number(b"  755 \0"), Some(0o755));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"12x4"), None);
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(number(&[0xff; 12]), Some(-1));
        assert_eq!(
            number(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(pax_time(b"-1.5"), Some(-2));
        assert_eq!(pax_time(b"17.000"), Some(17));
    }

    #[test]
    fn truncated_and_damaged() {
        let data = built();
        for cut in (0..data.len()).step_by(97) {
            if let Some((c, r)) = Collector::run(&Tar, &data[..cut], BUDGET) {
                r.unwrap();
                assert!(!c.warnings.lock().unwrap().is_empty(), "cut at {cut}");
            }
        }
        // Missing end blocks: size is the end of the last member's data, with a warning.
        let cut = &data[..data.len() - 1024];
        let id = Tar.identify(cut).unwrap();
        assert_eq!(id.size, Some(cut.len() as u64));
        let (c, r) = Collector::run(&Tar, cut, BUDGET).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap()[0].1.contains("end-of-archive"));
        assert_eq!(c.into_entries().len(), 10);
        // A corrupted header in the middle: the members before it survive, with a warning.
        let mut bad = data.clone();
        let at = memchr::memmem::find(&bad, b"empty\0").unwrap();
        bad[at + 148] ^= 1;
        let (c, r) = Collector::run(&Tar, &bad, BUDGET).unwrap();
        r.unwrap();
        assert_eq!(c.warnings.lock().unwrap()[0].0, at as u64);
        assert_eq!(c.into_entries().len(), 2);
        // A huge declared size stays within the data.
        let mut huge = data.clone();
        huge[124..136].copy_from_slice(&[
            0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let sum: u32 = huge[..512]
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        huge[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let (_, r) = Collector::run(&Tar, &huge, BUDGET).unwrap();
        r.unwrap();
    }

    #[test]
    fn garbage_is_not_tar() {
        for seed in 1..300u64 {
            let mut g = noise(seed, 1024);
            g[257..262].copy_from_slice(b"ustar");
            assert!(Tar.identify(&g).is_none());
        }
        assert!(Tar.identify(&[0u8; 4096]).is_none());
    }
}
