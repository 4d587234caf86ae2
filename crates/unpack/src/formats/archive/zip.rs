//! zip archives, read with the `zip` crate over the slice.
//!
//! Identification finds the end-of-central-directory record (classic or zip64) that points back
//! to a central directory ending right before it. A zip without one (a truncated download or
//! flash dump) is walked through its local headers instead: the complete members, plus any
//! complete central-directory records that survive after them, are given to the crate behind a
//! synthesised central directory, so both paths share one decoder. Unix metadata (mode incl.
//! setuid, uid/gid, mtime) comes from the central-directory record and its extra fields, which
//! this module parses itself since the crate does not expose them all.

use std::io::Cursor;

use ::zip::ZipArchive;

use crate::bytes::{le_u16, le_u32, le_u64, read_bounded_partial, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{days_from_civil, special_body, trim_dir_slash, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

pub struct Zip;

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD64: &[u8; 4] = b"PK\x06\x06";
const LOCATOR64: &[u8; 4] = b"PK\x06\x07";
const DESCRIPTOR: &[u8; 4] = b"PK\x07\x08";

/// Host systems (high byte of "version made by") whose external attributes hold a Unix mode.
const HOST_UNIX: u8 = 3;
const HOST_OSX: u8 = 19;

/// A validated end of central directory.
#[derive(Debug)]
struct Eocd {
    entries: u64,
    /// End of the record including its comment (clamped to the data).
    end: usize,
}

/// Find the first end-of-central-directory record whose central directory sits right before it
/// (relative to `data[0]`) and starts with a central header. Bounded by the data length.
fn find_eocd(data: &[u8]) -> Option<Eocd> {
    // A forward search from every local header would be a pass over the rest of the data per
    // header: charged to the identification budget.
    if !crate::format::identify_work(data.len() as u64) {
        return None;
    }
    for pos in memchr::memmem::find_iter(data, EOCD) {
        if let Some(e) = check_eocd(data, pos) {
            return Some(e);
        }
    }
    None
}

fn check_eocd(data: &[u8], pos: usize) -> Option<Eocd> {
    let disk = le_u16(data, pos + 4)?;
    let cd_disk = le_u16(data, pos + 6)?;
    let mut entries = u64::from(le_u16(data, pos + 10)?);
    let mut cd_size = u64::from(le_u32(data, pos + 12)?);
    let mut cd_offset = u64::from(le_u32(data, pos + 16)?);
    let comment = usize::from(le_u16(data, pos + 20)?);
    let mut cd_end = pos as u64;
    let zip64 = entries == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff;
    if zip64 {
        let loc = pos.checked_sub(20)?;
        if slice(data, loc, 4)? != LOCATOR64 {
            return None;
        }
        let rec = usize::try_from(le_u64(data, loc + 8)?).ok()?;
        if slice(data, rec, 4)? != EOCD64 || rec >= loc {
            return None;
        }
        entries = le_u64(data, rec + 32)?;
        cd_size = le_u64(data, rec + 40)?;
        cd_offset = le_u64(data, rec + 48)?;
        cd_end = rec as u64;
    } else if disk != 0 || cd_disk != 0 {
        // Multi-disk archives are not extractable from one slice.
        return None;
    }
    if entries == 0 || cd_offset.checked_add(cd_size)? != cd_end {
        return None;
    }
    if slice(data, usize::try_from(cd_offset).ok()?, 4)? != CENTRAL {
        return None;
    }
    // Every central record is at least 46 bytes.
    if entries.checked_mul(46)? > cd_size {
        return None;
    }
    let end = pos.checked_add(22)?.saturating_add(comment).min(data.len());
    Some(Eocd { entries, end })
}

/// For containers that disguise a zip's first local-header magic (Dahua's `DH\x03\x04`): when
/// `data[0]` starts a complete zip apart from those four bytes — a plausible first local header and
/// an end of central directory pointing back at a central directory — its entry count and length.
pub(crate) fn disguised_zip(data: &[u8]) -> Option<(u64, usize)> {
    local_member(data, 0).ok()?;
    find_eocd(data).map(|e| (e.entries, e.end))
}

/// A complete member found by walking local headers.
#[derive(Debug, Clone)]
struct LocalMember {
    offset: usize,
    flags: u16,
    method: u16,
    version: u16,
    time: u16,
    date: u16,
    crc: u32,
    csize: u64,
    usize: u64,
    name_len: u16,
}

struct LocalWalk {
    members: Vec<LocalMember>,
    /// End of the last complete member.
    end: usize,
    /// Complete central-directory records found right after the members (raw bytes).
    central: Vec<u8>,
    /// Why the walk stopped, when it was not at a central directory.
    stop: Option<(usize, String)>,
}

fn known_method(m: u16) -> bool {
    matches!(m, 0..=14 | 18 | 19 | 93 | 95 | 96 | 97 | 98 | 99)
}

/// The zip64 extended sizes of a local header's extra field.
fn zip64_sizes(extra: &[u8]) -> Option<(u64, u64)> {
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (le_u16(extra, at), le_u16(extra, at + 2)) {
        let body = slice(extra, at + 4, usize::from(len))?;
        if id == 1 {
            return Some((le_u64(body, 0)?, le_u64(body, 8)?));
        }
        at += 4 + usize::from(len);
    }
    None
}

/// The data descriptor that ends a streamed member starting at `data_at`: the first
/// `PK\x07\x08` whose compressed size matches the distance. Returns (crc, csize, usize, length).
fn find_descriptor(data: &[u8], data_at: usize) -> Option<(u32, u64, u64, usize)> {
    let rest = data.get(data_at..)?;
    for rel in memchr::memmem::find_iter(rest, DESCRIPTOR) {
        let at = data_at + rel;
        let crc = le_u32(data, at + 4)?;
        if le_u32(data, at + 8).map(u64::from) == Some(rel as u64) {
            return Some((crc, rel as u64, u64::from(le_u32(data, at + 12)?), 16));
        }
        if le_u64(data, at + 8) == Some(rel as u64) {
            return Some((crc, rel as u64, le_u64(data, at + 16)?, 24));
        }
    }
    None
}

/// Walk local headers from `data[0]`, keeping every complete member.
fn walk_local(data: &[u8]) -> LocalWalk {
    let mut w = LocalWalk {
        members: Vec::new(),
        end: 0,
        central: Vec::new(),
        stop: None,
    };
    let mut at = 0usize;
    while slice(data, at, 4) == Some(LOCAL) {
        match local_member(data, at) {
            Ok((m, end)) => {
                w.members.push(m);
                w.end = end;
                at = end;
            }
            Err(reason) => {
                w.stop = Some((at, reason));
                return w;
            }
        }
    }
    // Complete central records that made it, for their attributes.
    while slice(data, at, 4) == Some(CENTRAL) {
        let lens = (
            le_u16(data, at + 28),
            le_u16(data, at + 30),
            le_u16(data, at + 32),
        );
        let (Some(n), Some(e), Some(c)) = lens else {
            break;
        };
        let len = 46 + usize::from(n) + usize::from(e) + usize::from(c);
        let Some(record) = slice(data, at, len) else {
            break;
        };
        w.central.extend_from_slice(record);
        at += len;
    }
    if w.stop.is_none() && slice(data, at, 4) != Some(EOCD) {
        w.stop = Some((at, "no end of central directory".into()));
    }
    w
}

fn local_member(data: &[u8], at: usize) -> Result<(LocalMember, usize), String> {
    let h = slice(data, at, 30).ok_or("truncated local header")?;
    let u16_at = |o| le_u16(h, o).unwrap_or(0);
    let u32_at = |o| le_u32(h, o).unwrap_or(0);
    let mut m = LocalMember {
        offset: at,
        version: u16_at(4),
        flags: u16_at(6),
        method: u16_at(8),
        time: u16_at(10),
        date: u16_at(12),
        crc: u32_at(14),
        csize: u64::from(u32_at(18)),
        usize: u64::from(u32_at(22)),
        name_len: u16_at(26),
    };
    let extra_len = usize::from(u16_at(28));
    if m.name_len == 0 || !known_method(m.method) || m.version & 0xff > 100 {
        return Err("implausible local header".into());
    }
    let name_at = at + 30;
    let extra_at = name_at + usize::from(m.name_len);
    let extra = slice(data, extra_at, extra_len).ok_or("truncated local header")?;
    let data_at = extra_at + extra_len;
    if m.csize == 0xffff_ffff || m.usize == 0xffff_ffff {
        let (u, c) = zip64_sizes(extra).ok_or("zip64 sizes missing")?;
        m.usize = u;
        m.csize = c;
    }
    let mut end = usize::try_from(m.csize)
        .ok()
        .and_then(|c| data_at.checked_add(c))
        .ok_or("member size out of range")?;
    if m.flags & 8 != 0 {
        // Streamed: the sizes follow the data.
        let (crc, csize, usize, len) = find_descriptor(data, data_at)
            .ok_or("streamed member without a complete data descriptor")?;
        m.crc = crc;
        m.csize = csize;
        m.usize = usize;
        end = data_at + csize as usize + len;
    }
    if end > data.len() {
        return Err("member data runs past the end".into());
    }
    Ok((m, end))
}

/// A zip image the crate can open: the members, the surviving central records (or synthesised
/// ones) and an end record.
fn synthesise(data: &[u8], w: &LocalWalk, out: &dyn Emit) -> Vec<u8> {
    let mut zip = data.get(..w.end).unwrap_or(data).to_vec();
    let cd_start = zip.len();
    let mut count = 0u16;
    for m in &w.members {
        if count == u16::MAX {
            out.warn(
                m.offset as u64,
                "too many members to rebuild a central directory".into(),
            );
            break;
        }
        let Ok(offset) = u32::try_from(m.offset) else {
            out.warn(
                m.offset as u64,
                "member beyond 4 GiB in a truncated zip, skipped".into(),
            );
            continue;
        };
        if let Some(record) = surviving_record(&w.central, offset) {
            zip.extend_from_slice(record);
        } else {
            let name = slice(data, m.offset + 30, usize::from(m.name_len)).unwrap_or_default();
            let big = m.csize >= 0xffff_ffff || m.usize >= 0xffff_ffff;
            let small = |v: u64| if big { 0xffff_ffff } else { v as u32 };
            zip.extend_from_slice(CENTRAL);
            zip.extend_from_slice(&20u16.to_le_bytes()); // made by: MS-DOS, spec 2.0
            for v in [m.version, m.flags, m.method, m.time, m.date] {
                zip.extend_from_slice(&v.to_le_bytes());
            }
            for v in [m.crc, small(m.csize), small(m.usize)] {
                zip.extend_from_slice(&v.to_le_bytes());
            }
            let extra_len: u16 = if big { 20 } else { 0 };
            for v in [m.name_len, extra_len, 0, 0, 0] {
                zip.extend_from_slice(&v.to_le_bytes());
            }
            zip.extend_from_slice(&0u32.to_le_bytes());
            zip.extend_from_slice(&offset.to_le_bytes());
            zip.extend_from_slice(name);
            if big {
                zip.extend_from_slice(&1u16.to_le_bytes());
                zip.extend_from_slice(&16u16.to_le_bytes());
                zip.extend_from_slice(&m.usize.to_le_bytes());
                zip.extend_from_slice(&m.csize.to_le_bytes());
            }
        }
        count += 1;
    }
    let cd_size = (zip.len() - cd_start) as u32;
    zip.extend_from_slice(EOCD);
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&count.to_le_bytes());
    zip.extend_from_slice(&count.to_le_bytes());
    zip.extend_from_slice(&cd_size.to_le_bytes());
    zip.extend_from_slice(&(cd_start as u32).to_le_bytes());
    zip.extend_from_slice(&[0; 2]);
    zip
}

/// The complete central record for the local header at `offset`, if it survived.
fn surviving_record(central: &[u8], offset: u32) -> Option<&[u8]> {
    let mut at = 0usize;
    while let Some(record) = record_at(central, at) {
        if le_u32(record, 42) == Some(offset) && le_u32(record, 20) != Some(0xffff_ffff) {
            return Some(record);
        }
        at += record.len();
    }
    None
}

fn record_at(buf: &[u8], at: usize) -> Option<&[u8]> {
    if slice(buf, at, 4)? != CENTRAL {
        return None;
    }
    let len = 46
        + usize::from(le_u16(buf, at + 28)?)
        + usize::from(le_u16(buf, at + 30)?)
        + usize::from(le_u16(buf, at + 32)?);
    slice(buf, at, len)
}

impl Format for Zip {
    fn name(&self) -> &'static str {
        "zip"
    }

    fn kind(&self) -> Kind {
        Kind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(LOCAL)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        // The first local header must be plausible either way.
        local_member(data, 0).ok()?;
        if let Some(e) = find_eocd(data) {
            return Some(Identified::new(
                Some(e.end as u64),
                format!("zip, {} entries", e.entries),
            ));
        }
        let w = walk_local(data);
        if w.members.is_empty() {
            return None;
        }
        let mut id = Identified::new(
            Some(w.end as u64),
            format!(
                "zip without end of central directory (truncated), {} complete members",
                w.members.len()
            ),
        );
        // The central records after the last member are outside the identified size; keep them.
        id.prepared = Some(w.central);
        Some(id)
    }

    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        super::guarded("zip", || extract_zip(data, id, out))
    }
}

fn extract_zip(data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
    if find_eocd(data).is_some() {
        match ZipArchive::new(Cursor::new(data)) {
            Ok(archive) => return extract_archive(archive, data, out),
            Err(e) => out.warn(
                0,
                format!("central directory unreadable ({e}); walking local headers"),
            ),
        }
    }
    let mut w = walk_local(data);
    if w.members.is_empty() {
        return Err(Error::malformed(0, "no complete zip member"));
    }
    if let Some(prepared) = id.prepared {
        w.central = prepared;
    }
    let (at, reason) = w
        .stop
        .clone()
        .unwrap_or((w.end, "no end of central directory".into()));
    out.warn(
        at as u64,
        format!(
            "zip is truncated ({reason}); extracting the {} complete members",
            w.members.len()
        ),
    );
    let rebuilt = synthesise(data, &w, out);
    let archive = ZipArchive::new(Cursor::new(&rebuilt[..]))
        .map_err(|e| Error::malformed(0, format!("rebuilt central directory rejected: {e}")))?;
    extract_archive(archive, &rebuilt, out)
}

/// Metadata from a central-directory record and its extra fields.
fn central_meta(record: &[u8], is_dir: bool) -> (Meta, Option<u32>) {
    let host = record.get(5).copied().unwrap_or(0);
    let external = le_u32(record, 38).unwrap_or(0);
    let high = external >> 16;
    let unix = matches!(host, HOST_UNIX | HOST_OSX);
    // Other hosts sometimes record a Unix mode too; trust it only when its type matches.
    let plausible = match high & S_IFMT {
        S_IFDIR => is_dir,
        S_IFREG => !is_dir,
        _ => false,
    };
    let mode = (high != 0 && (unix || plausible)).then_some(high);
    let mut meta = Meta {
        mode: mode.map(|m| m & 0o7777),
        ..Meta::default()
    };
    meta.mtime = dos_time(
        le_u16(record, 12).unwrap_or(0),
        le_u16(record, 14).unwrap_or(0),
    );
    let name_len = usize::from(le_u16(record, 28).unwrap_or(0));
    let extra_len = usize::from(le_u16(record, 30).unwrap_or(0));
    let extra = slice(record, 46 + name_len, extra_len).unwrap_or_default();
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (le_u16(extra, at), le_u16(extra, at + 2)) {
        let Some(body) = slice(extra, at + 4, usize::from(len)) else {
            break;
        };
        match id {
            // Extended timestamp: flags, then mtime first when bit 0 is set.
            0x5455 if body.first().is_some_and(|f| f & 1 != 0) => {
                if let Some(t) = le_u32(body, 1) {
                    meta.mtime = Some(i64::from(t));
                }
            }
            // Info-ZIP Unix (new): version 1, uid size, uid, gid size, gid.
            0x7875 if body.first() == Some(&1) => {
                let uid_len = usize::from(body.get(1).copied().unwrap_or(0));
                let gid_len = usize::from(body.get(2 + uid_len).copied().unwrap_or(0));
                meta.uid = slice(body, 2, uid_len).and_then(le_var);
                meta.gid = slice(body, 3 + uid_len, gid_len).and_then(le_var);
            }
            // Info-ZIP Unix (old) and PKWARE Unix: atime, mtime, then uid/gid if present.
            0x5855 | 0x000d => {
                if let Some(t) = le_u32(body, 4) {
                    meta.mtime = Some(i64::from(t));
                }
                if let (Some(u), Some(g)) = (le_u16(body, 8), le_u16(body, 10)) {
                    meta.uid = Some(u32::from(u));
                    meta.gid = Some(u32::from(g));
                }
            }
            _ => {}
        }
        at += 4 + usize::from(len);
    }
    (meta, mode)
}

/// A little-endian integer of 1 to 8 bytes that fits in a u32.
fn le_var(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let v = bytes
        .iter()
        .rev()
        .fold(0u64, |v, &b| (v << 8) | u64::from(b));
    u32::try_from(v).ok()
}

/// A DOS date and time (local time of the archiver, taken as UTC).
fn dos_time(time: u16, date: u16) -> Option<i64> {
    let (day, month) = (u32::from(date & 0x1f), u32::from((date >> 5) & 0xf));
    if day == 0 || month == 0 || month > 12 {
        return None;
    }
    let year = 1980 + i64::from(date >> 9);
    let secs = i64::from(time >> 11) * 3600
        + i64::from((time >> 5) & 0x3f) * 60
        + i64::from(time & 0x1f) * 2;
    Some(days_from_civil(year, month, day) * 86_400 + secs)
}

fn extract_archive(
    mut archive: ZipArchive<Cursor<&[u8]>>,
    buf: &[u8],
    out: &dyn Emit,
) -> Result<(), Error> {
    for i in 0..archive.len() {
        let (name, encrypted, size, central) = match archive.by_index_raw(i) {
            Ok(f) => (
                f.name_raw().to_vec(),
                f.encrypted(),
                f.size(),
                (f.central_header_start(), f.header_start()),
            ),
            Err(e) => {
                out.warn(0, format!("member {i}: {e}"));
                continue;
            }
        };
        // Warnings point at the member's local header, which is inside the structure.
        let (central, at) = central;
        let label = String::from_utf8_lossy(&name).into_owned();
        let record = usize::try_from(central)
            .ok()
            .and_then(|c| record_at(buf, c))
            .unwrap_or_default();
        let is_dir = name.ends_with(b"/");
        let (meta, mode) = central_meta(record, is_dir);
        let kind = mode.map(|m| m & S_IFMT);
        if is_dir || kind == Some(S_IFDIR) {
            out.entry(Entry {
                path: trim_dir_slash(&name),
                meta,
                body: Body::Dir,
            })?;
            continue;
        }
        if let Some(body) = kind.and_then(|k| special_body(k, 0, 0)) {
            out.entry(Entry {
                path: &name,
                meta,
                body,
            })?;
            continue;
        }
        if encrypted {
            out.warn(at, format!("{label}: encrypted, password needed; skipped"));
            continue;
        }
        let budget = out.budget();
        if size > budget {
            return Err(Error::Budget(format!(
                "zip member {label} declares {size} bytes, beyond the remaining budget of {budget}"
            )));
        }
        let content = match archive.by_index(i) {
            Ok(reader) => read_bounded_partial(reader, budget, at, &label)?,
            Err(e) => {
                out.warn(at, format!("{label}: {e}; skipped"));
                continue;
            }
        };
        let (content, problem) = content;
        if let Some(problem) = problem {
            out.warn(
                at,
                format!("{problem} (kept the {} bytes decoded)", content.len()),
            );
        }
        let body = if kind == Some(S_IFLNK) {
            Body::Symlink(&content)
        } else {
            Body::File(&content)
        };
        out.entry(Entry {
            path: &name,
            meta,
            body,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::test_util::{entry, file, noise};
    use crate::testing::{CollectedKind, Collector};
    use ::zip::write::SimpleFileOptions;
    use ::zip::CompressionMethod;
    use std::io::Write;

    const BUDGET: u64 = 1 << 30;

    #[test]
    fn binwalk_zip_fixture() {
        let data = iotassay_testkit::corpus_bytes("formats/binwalk__zip.bin");
        let id = Zip.identify(&data).expect("identified");
        assert_eq!(id.size, Some(data.len() as u64));
        assert_eq!(id.description, "zip, 1 entries");
        let (c, r) = Collector::run(&Zip, &data, BUDGET).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty(), "{:?}", c.warnings);
        let e = c.into_entries();
        assert_eq!(e.len(), 1);
        let content = file(&e, "CH-sys-48.53.64.67.bin");
        assert_eq!(content.len(), 612_699);
        assert_eq!(crc32fast::hash(content), 0x0f92_5598);
        assert!(content.starts_with(b"www.object-camer"));
        // Made on NTFS but records a regular-file Unix mode 0600; mtime from the UT field.
        assert_eq!(
            entry(&e, "CH-sys-48.53.64.67.bin").meta,
            Meta {
                mode: Some(0o600),
                uid: None,
                gid: None,
                mtime: Some(1_446_111_112)
            }
        );
    }

    #[test]
    fn truncated_zip_fixture() {
        let data = iotassay_testkit::corpus_bytes("formats/binwalk__zip_truncated.bin");
        let id = Zip.identify(&data).expect("identified");
        // The end of the last complete member (readme.txt), before the cut central directory.
        assert_eq!(id.size, Some(353_954));
        assert!(id.description.contains("truncated"), "{}", id.description);
        assert!(
            id.description.contains("4 complete members"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Zip, &data, BUDGET).unwrap();
        r.unwrap();
        let w = c.warnings.lock().unwrap().clone();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].1.contains("truncated"), "{w:?}");
        let e = c.into_entries();
        assert_eq!(e.len(), 4);
        assert_eq!(entry(&e, "AfuLnx64").kind, CollectedKind::Dir);
        assert_eq!(entry(&e, "AfuLnx64/AfuLnx64").kind, CollectedKind::Dir);
        let afu = file(&e, "AfuLnx64/AfuLnx64/afulnx_64");
        assert_eq!((afu.len(), crc32fast::hash(afu)), (1_103_728, 0x1d4c_1e2e));
        assert!(afu.starts_with(b"\x7fELF"));
        let readme = file(&e, "AfuLnx64/AfuLnx64/readme.txt");
        assert_eq!((readme.len(), crc32fast::hash(readme)), (5194, 0xeb56_122f));
        assert!(readme.starts_with(b"AFU (AMI Firmware Update) is a package"));
        // DOS times (2021-06-25 16:02:52), from the surviving central record or the local header.
        assert_eq!(entry(&e, "AfuLnx64").meta.mtime, Some(1_624_636_972));
        assert_eq!(entry(&e, "AfuLnx64").meta.mode, None);
    }

    fn opts() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(
                ::zip::DateTime::from_date_and_time(2020, 9, 13, 12, 26, 40).unwrap(),
            )
    }

    /// A zip built with the `zip` crate: dir, setuid file, empty file, symlink, stored file.
    fn built() -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.add_directory("bin/", opts().unix_permissions(0o2755))
            .unwrap();
        w.start_file("bin/suid", opts().unix_permissions(0o4755))
            .unwrap();
        w.write_all(&b"setuid program ".repeat(100)).unwrap();
        w.start_file("empty", opts().unix_permissions(0o600))
            .unwrap();
        w.add_symlink("lnk", "../../etc/passwd", opts().unix_permissions(0o777))
            .unwrap();
        w.start_file(
            "stored.txt",
            opts().compression_method(CompressionMethod::Stored),
        )
        .unwrap();
        w.write_all(b"plain").unwrap();
        w.start_file("secret", opts()).unwrap();
        w.write_all(b"not really secret").unwrap();
        let mut data = w.finish().unwrap().into_inner();
        // The crate writes only the 0o777 bits; record setgid/setuid as Info-ZIP does.
        set_mode(&mut data, b"bin/", 0o042_755);
        set_mode(&mut data, b"bin/suid", 0o104_755);
        data
    }

    /// Set the Unix mode in the external attributes of `name`'s central record.
    fn set_mode(data: &mut [u8], name: &[u8], mode: u32) {
        let hits: Vec<usize> = memchr::memmem::find_iter(data, CENTRAL).collect();
        for at in hits {
            let n = usize::from(le_u16(data, at + 28).unwrap());
            if &data[at + 46..at + 46 + n] == name {
                data[at + 38..at + 42].copy_from_slice(&(mode << 16).to_le_bytes());
            }
        }
    }

    /// Set the "encrypted" flag of the member `name` in its local and central headers.
    fn mark_encrypted(data: &mut [u8], name: &[u8]) {
        for sig in [LOCAL, CENTRAL] {
            let hits: Vec<usize> = memchr::memmem::find_iter(data, sig).collect();
            for at in hits {
                let (name_at, flag_at) = if sig == LOCAL {
                    (at + 30, at + 6)
                } else {
                    (at + 46, at + 8)
                };
                if data[name_at..].starts_with(name) {
                    data[flag_at] |= 1;
                }
            }
        }
    }

    #[test]
    fn built_archive_every_kind() {
        let mut data = built();
        mark_encrypted(&mut data, b"secret");
        let id = Zip.identify(&data).expect("identified");
        assert_eq!(id.size, Some(data.len() as u64));
        let (c, r) = Collector::run(&Zip, &data, BUDGET).unwrap();
        r.unwrap();
        let w = c.warnings.lock().unwrap().clone();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].1.contains("secret: encrypted, password needed"),
            "{w:?}"
        );
        let e = c.into_entries();
        assert_eq!(e.len(), 5);
        let when = Some(1_600_000_000);
        assert_eq!(entry(&e, "bin").kind, CollectedKind::Dir);
        assert_eq!(entry(&e, "bin").meta.mode, Some(0o2755));
        assert_eq!(file(&e, "bin/suid"), b"setuid program ".repeat(100));
        assert_eq!(
            entry(&e, "bin/suid").meta,
            Meta {
                mode: Some(0o4755),
                uid: None,
                gid: None,
                mtime: when
            }
        );
        assert_eq!(file(&e, "empty"), b"");
        assert_eq!(
            entry(&e, "lnk").kind,
            CollectedKind::Symlink("../../etc/passwd".into())
        );
        assert_eq!(file(&e, "stored.txt"), b"plain");
        assert_eq!(entry(&e, "stored.txt").meta.mode, Some(0o644));
    }

    #[test]
    fn zip_inside_other_data_and_truncated_everywhere() {
        let zip = built();
        // Carved from the middle of an image: the size stops at the end record.
        let mut image = zip.clone();
        image.extend_from_slice(&noise(3, 5000));
        assert_eq!(Zip.identify(&image).unwrap().size, Some(zip.len() as u64));
        for cut in (0..zip.len()).step_by(13) {
            if let Some((c, r)) = Collector::run(&Zip, &zip[..cut], BUDGET) {
                // A cut zip is always reported as truncated and yields only complete members.
                r.unwrap();
                assert!(!c.warnings.lock().unwrap().is_empty(), "cut {cut}");
                for e in c.into_entries() {
                    if let CollectedKind::File(d) = &e.kind {
                        // Without its central record a symlink is indistinguishable from a file.
                        let known: [&[u8]; 4] =
                            [b"", b"plain", b"not really secret", b"../../etc/passwd"];
                        assert!(
                            known.contains(&&d[..]) || d == &b"setuid program ".repeat(100),
                            "cut {cut}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bomb_hits_the_budget() {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("zeros", opts()).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..16 {
            w.write_all(&zeros).unwrap();
        }
        let data = w.finish().unwrap().into_inner();
        assert!(data.len() < 100_000);
        let (_, r) = Collector::run(&Zip, &data, 1 << 20).unwrap();
        assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
        // A lying declared size is still stopped by the bounded read.
        let mut lying = data.clone();
        for sig in [LOCAL, CENTRAL] {
            let at = memchr::memmem::find(&lying, sig).unwrap();
            let off = if sig == LOCAL { at + 22 } else { at + 24 };
            lying[off..off + 4].copy_from_slice(&100u32.to_le_bytes());
        }
        let (_, r) = Collector::run(&Zip, &lying, 1 << 20).unwrap();
        assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
    }

    #[test]
    fn garbage_and_hostile_end_records() {
        for seed in 1..300u64 {
            let mut g = noise(seed, 2048);
            g[..4].copy_from_slice(LOCAL);
            g[1000..1004].copy_from_slice(EOCD);
            assert!(Zip.identify(&g).is_none(), "seed {seed}");
        }
        // An end record whose central directory points outside the data falls back to the walk.
        let mut data = built();
        let eocd = memchr::memmem::rfind(&data, EOCD).unwrap();
        data[eocd + 16..eocd + 20].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
        let id = Zip.identify(&data).unwrap();
        assert!(id.description.contains("truncated"), "{}", id.description);
        let (c, r) = Collector::run(&Zip, &data, BUDGET).unwrap();
        r.unwrap();
        assert_eq!(c.into_entries().len(), 6);
        // Huge entry counts are rejected before anything is read.
        let mut data = built();
        let eocd = memchr::memmem::rfind(&data, EOCD).unwrap();
        data[eocd + 8..eocd + 12].copy_from_slice(&[0xfe, 0xff, 0xfe, 0xff]);
        assert!(Zip
            .identify(&data)
            .unwrap()
            .description
            .contains("truncated"));
    }

    #[test]
    fn dos_times() {
        // 2021-06-25 16:02:52
        assert_eq!(
            dos_time((16 << 11) | (2 << 5) | 26, (41 << 9) | (6 << 5) | 25),
            Some(1_624_636_972)
        );
        assert_eq!(dos_time(0, 0), None);
    }
}
