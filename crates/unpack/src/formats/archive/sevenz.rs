//! 7z archives, read with `sevenz-rust2` over the slice.
//!
//! Identification checks the signature header itself (version, start-header CRC, next header
//! inside the slice and its CRC), which also gives the exact size. Extraction refuses, before
//! decoding anything, an archive whose declared unpacked sizes exceed the budget, caps decoder
//! memory, and still bounds every member read by the budget in case the sizes lie.

use std::io::{Cursor, Read};

use sevenz_rust2::{ArchiveEntry, ArchiveReader, EncoderMethod, Password};

use crate::bytes::{le_u32, le_u64, read_bounded_partial, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{special_body, trim_dir_slash, S_IFDIR, S_IFLNK, S_IFMT};

pub struct SevenZ;

const SIGNATURE: &[u8] = b"7z\xbc\xaf\x27\x1c";
/// Decoder dictionaries and header buffers above this are refused (a hostile header can ask
/// for gigabytes); 7-Zip's own maximum dictionary for firmware-sized data is far below.
const MEMORY_LIMIT_KB: usize = 256 * 1024;
/// Windows attribute bit meaning "the high 16 bits hold a Unix mode" (p7zip, 7-Zip on Unix).
const UNIX_EXTENSION: u32 = 0x8000;
/// Seconds between 1601-01-01 (NT epoch) and 1970-01-01.
const NT_TO_UNIX: i64 = 11_644_473_600;

/// The validated signature header: (format minor version, total size, encoded header?).
fn signature_header(data: &[u8]) -> Option<(u8, u64, bool)> {
    if slice(data, 0, 6)? != SIGNATURE || *data.get(6)? != 0 {
        return None;
    }
    let minor = *data.get(7)?;
    if crc32fast::hash(slice(data, 12, 20)?) != le_u32(data, 8)? {
        return None;
    }
    let next_offset = le_u64(data, 12)?;
    let next_size = le_u64(data, 20)?;
    let total = 32u64.checked_add(next_offset)?.checked_add(next_size)?;
    if total > data.len() as u64 || next_size == 0 {
        return None;
    }
    // Both fit in the slice, so they fit in usize.
    let header = slice(data, 32 + next_offset as usize, next_size as usize)?;
    if crc32fast::hash(header) != le_u32(data, 28)? {
        return None;
    }
    // kHeader or kEncodedHeader.
    let encoded = match header.first()? {
        0x01 => false,
        0x17 => true,
        _ => return None,
    };
    Some((minor, total, encoded))
}

fn map_error(e: sevenz_rust2::Error) -> Error {
    use sevenz_rust2::Error as E;
    match e {
        E::PasswordRequired | E::MaybeBadPassword(_) => {
            Error::Unsupported("encrypted 7z, password needed".into())
        }
        E::UnsupportedCompressionMethod(m) => {
            Error::Unsupported(format!("7z compression method {m}"))
        }
        E::Unsupported(m) => Error::Unsupported(format!("7z: {m}")),
        E::MaxMemLimited { actaul_kb, .. } => Error::Unsupported(format!(
            "7z decoder needs {actaul_kb} KiB, above the {MEMORY_LIMIT_KB} KiB limit"
        )),
        other => Error::malformed(0, format!("7z: {other}")),
    }
}

impl Format for SevenZ {
    fn name(&self) -> &'static str {
        "7z"
    }

    fn kind(&self) -> Kind {
        Kind::Archive
    }

    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(SIGNATURE)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let (minor, size, encoded) = signature_header(data)?;
        let header = if encoded {
            "compressed header"
        } else {
            "plain header"
        };
        Some(Identified::new(
            Some(size),
            format!("7z v0.{minor}, {header}"),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        super::guarded("7z", || extract_7z(data, out))
    }
}

fn extract_7z(data: &[u8], out: &dyn Emit) -> Result<(), Error> {
    let mut reader =
        ArchiveReader::new_with_memory_limit(Cursor::new(data), Password::empty(), MEMORY_LIMIT_KB)
            .map_err(map_error)?;
    // The engine parallelises across structures; one decoder thread each is enough.
    reader.set_thread_count(1);
    let archive = reader.archive();
    let encrypted = archive.blocks.iter().any(|b| {
        b.coders
            .iter()
            .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256)
    });
    if encrypted {
        return Err(Error::Unsupported(
            "7z content is AES-256 encrypted, password needed".into(),
        ));
    }
    let declared = archive
        .files
        .iter()
        .filter(|f| f.has_stream)
        .try_fold(0u64, |sum, f| sum.checked_add(f.size));
    let budget = out.budget();
    match declared {
        Some(total) if total <= budget => {}
        _ => {
            return Err(Error::Budget(format!(
                "7z declares {} unpacked bytes, beyond the remaining budget of {budget}",
                declared.map_or_else(|| "more than 2^64".into(), |t| t.to_string())
            )))
        }
    }
    let mut failure = None;
    let mut emitted = 0usize;
    let result = reader.for_each_entries(|entry, content| match emit_entry(entry, content, out) {
        Ok(()) => {
            emitted += 1;
            Ok(true)
        }
        Err(e) => {
            failure = Some(e);
            Ok(false)
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match result {
        Ok(()) => Ok(()),
        Err(e) if emitted == 0 => Err(map_error(e)),
        Err(e) => {
            out.warn(
                0,
                format!("7z decoding stopped after {emitted} entries: {e}"),
            );
            Ok(())
        }
    }
}

fn emit_entry(entry: &ArchiveEntry, content: &mut dyn Read, out: &dyn Emit) -> Result<(), Error> {
    if entry.is_anti_item {
        return Ok(());
    }
    let path = entry.name.as_bytes();
    let attributes = entry
        .has_windows_attributes
        .then_some(entry.windows_attributes);
    let mode = attributes
        .filter(|a| a & UNIX_EXTENSION != 0)
        .map(|a| a >> 16);
    let mtime = entry
        .has_last_modified_date
        .then(|| i64::try_from(u64::from(entry.last_modified_date) / 10_000_000).ok())
        .flatten()
        .map(|t| t - NT_TO_UNIX);
    let meta = Meta {
        mode: mode.map(|m| m & 0o7777),
        uid: None,
        gid: None,
        mtime,
    };
    let kind = mode.map(|m| m & S_IFMT);
    if entry.is_directory || kind == Some(S_IFDIR) {
        return out.entry(Entry {
            path: trim_dir_slash(path),
            meta,
            body: Body::Dir,
        });
    }
    if let Some(body) = kind.and_then(|k| special_body(k, 0, 0)) {
        return out.entry(Entry { path, meta, body });
    }
    let (data, problem) = read_bounded_partial(content, out.budget(), 0, &entry.name)?;
    if let Some(problem) = problem {
        out.warn(
            0,
            format!("{problem} (kept the {} bytes decoded)", data.len()),
        );
    }
    let body = if kind == Some(S_IFLNK) {
        Body::Symlink(&data)
    } else {
        Body::File(&data)
    };
    out.entry(Entry { path, meta, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::test_util::{entry, file, noise};
    use crate::testing::{CollectedKind, Collector};
    use sevenz_rust2::ArchiveWriter;

    const BUDGET: u64 = 1 << 30;

    #[test]
    fn binwalk_7z_fixture() {
        let data = iotassay_testkit::corpus_bytes("formats/binwalk__7z.bin");
        let id = SevenZ.identify(&data).expect("identified");
        assert_eq!(id.size, Some(218));
        assert_eq!(id.description, "7z v0.4, plain header");
        let (c, r) = Collector::run(&SevenZ, &data, BUDGET).unwrap();
        r.unwrap();
        assert!(c.warnings.lock().unwrap().is_empty(), "{:?}", c.warnings);
        let e = c.into_entries();
        assert_eq!(e.len(), 1);
        let content = file(&e, "lsb-release");
        assert_eq!(content.len(), 104);
        assert_eq!(crc32fast::hash(content), 0xa04e_36ea);
        assert!(
            content.starts_with(b"DISTRIB_ID="),
            "{:?}",
            String::from_utf8_lossy(content)
        );
        // -rw-r--r--, 2024-11-02 13:40:46 (UTC).
        assert_eq!(entry(&e, "lsb-release").meta.mode, Some(0o644));
        assert_eq!(entry(&e, "lsb-release").meta.mtime, Some(1_730_554_846));
    }

    fn unix_entry(name: &str, mode: u32, dir: bool) -> ArchiveEntry {
        let mut e = if dir {
            ArchiveEntry::new_directory(name)
        } else {
            ArchiveEntry::new_file(name)
        };
        e.has_windows_attributes = true;
        e.windows_attributes = (mode << 16) | UNIX_EXTENSION | if dir { 0x10 } else { 0x20 };
        e.has_last_modified_date = true;
        e.last_modified_date = ((1_600_000_000 + NT_TO_UNIX) as u64 * 10_000_000).into();
        e
    }

    fn built(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut w = ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
        for &(name, mode, content) in files {
            let dir = mode & S_IFMT == S_IFDIR;
            let e = unix_entry(name, mode, dir);
            let reader = (!dir).then_some(content);
            w.push_archive_entry(e, reader).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn built_archive_unix_metadata() {
        let data = built(&[
            ("bin", 0o042_755, b""),
            ("bin/suid", 0o104_755, b"setuid program"),
            ("empty", 0o100_600, b""),
            ("lnk", 0o120_777, b"../etc/passwd"),
        ]);
        let id = SevenZ.identify(&data).expect("identified");
        assert_eq!(id.size, Some(data.len() as u64));
        let (c, r) = Collector::run(&SevenZ, &data, BUDGET).unwrap();
        r.unwrap();
        let e = c.into_entries();
        assert_eq!(e.len(), 4, "{e:?}");
        assert_eq!(entry(&e, "bin").kind, CollectedKind::Dir);
        assert_eq!(entry(&e, "bin").meta.mode, Some(0o2755));
        assert_eq!(file(&e, "bin/suid"), b"setuid program");
        assert_eq!(
            entry(&e, "bin/suid").meta,
            Meta {
                mode: Some(0o4755),
                uid: None,
                gid: None,
                mtime: Some(1_600_000_000)
            }
        );
        assert_eq!(file(&e, "empty"), b"");
        assert_eq!(
            entry(&e, "lnk").kind,
            CollectedKind::Symlink("../etc/passwd".into())
        );
    }

    #[test]
    fn bomb_hits_the_budget() {
        let zeros = vec![0u8; 4 << 20];
        let data = built(&[("zeros", 0o100_644, &zeros)]);
        assert!(data.len() < 100_000, "{}", data.len());
        let (c, r) = Collector::run(&SevenZ, &data, 1 << 20).unwrap();
        assert!(matches!(r, Err(Error::Budget(_))), "{r:?}");
        assert!(c.into_entries().is_empty());
    }

    #[test]
    fn truncated_and_garbage() {
        let data = iotassay_testkit::corpus_bytes("formats/binwalk__7z.bin");
        for cut in 0..data.len() {
            assert!(SevenZ.identify(&data[..cut]).is_none(), "cut {cut}");
        }
        // Damage anywhere after the signature header: identified only if the CRCs still hold,
        // and extraction never panics.
        for at in 32..data.len() {
            let mut bad = data.clone();
            bad[at] ^= 0x55;
            if let Some((_, r)) = Collector::run(&SevenZ, &bad, BUDGET) {
                let _ = r;
            }
        }
        for seed in 1..300u64 {
            let mut g = noise(seed, 1024);
            g[..6].copy_from_slice(SIGNATURE);
            g[6] = 0;
            assert!(SevenZ.identify(&g).is_none());
        }
        // A start header declaring a next header far beyond the data.
        let mut big = data.clone();
        big[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        let crc = crc32fast::hash(&big[12..32]);
        big[8..12].copy_from_slice(&crc.to_le_bytes());
        assert!(SevenZ.identify(&big).is_none());
    }
}
