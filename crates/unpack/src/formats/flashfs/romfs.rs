//! romfs: `-rom1fs-`, the image size and a checksum making the big-endian 32-bit words of the first
//! 512 bytes (or of the whole image when shorter) sum to zero, then the volume name.
//!
//! File headers (16-byte aligned, big-endian) follow: the next header's offset with the type in its
//! low 3 bits and an "executable" bit, a type-specific word (a directory's first entry, a hard
//! link's target header, a device's major << 16 | minor), the size, a checksum of the header and
//! name, the name padded to 16 bytes, then the data. romfs records no owners, times or permissions
//! beyond "executable": entries carry the mode Linux presents (`romfs_modemap`, 0644 or 0755, 0777
//! for symlinks, 0600 for devices) and no owner or time.

use std::collections::{HashMap, HashSet};

use crate::bytes::{be_u32, c_string, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::{join, MAX_DEPTH, MAX_ENTRIES};

const TYPE_HARDLINK: u32 = 0;
const TYPE_DIR: u32 = 1;
const TYPE_FILE: u32 = 2;
const TYPE_SYMLINK: u32 = 3;
const TYPE_BLOCK: u32 = 4;
const TYPE_CHAR: u32 = 5;
const TYPE_SOCKET: u32 = 6;
const EXEC: u32 = 8;

/// romfs.
pub struct Romfs;

impl Format for Romfs {
    fn name(&self) -> &'static str {
        "romfs"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at_start(b"-rom1fs-")];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        extract(data, out)
    }
}

fn identify(data: &[u8]) -> Option<Identified> {
    if data.get(..8)? != b"-rom1fs-" {
        return None;
    }
    let size = usize::try_from(be_u32(data, 8)?).ok()?;
    // Header (16) + a name of at least one 16-byte block + the root's file header (16).
    if size < 48 || size > data.len() {
        return None;
    }
    let checked = slice(data, 0, size.min(512) & !3)?;
    if word_sum(checked) != 0 {
        return None;
    }
    let name_field = slice(data, 16, size.min(16 + 256) - 16)?;
    let name = c_string(name_field);
    Some(Identified::new(
        Some(size as u64),
        format!("romfs, volume \"{}\", {size} bytes", name.escape_default()),
    ))
}

fn word_sum(data: &[u8]) -> u32 {
    data.chunks_exact(4).fold(0u32, |acc, w| {
        acc.wrapping_add(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    })
}

fn align16(n: usize) -> usize {
    n.saturating_add(15) & !15
}

/// A NUL-terminated name at `at` and the offset just past its 16-byte padding.
fn name_at(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(at..)?;
    let len = memchr::memchr(0, rest)?;
    Some((&rest[..len], at + align16(len + 1)))
}

/// One file header.
#[derive(Debug, Clone, Copy)]
struct Header<'a> {
    at: usize,
    next: usize,
    kind: u32,
    exec: bool,
    spec: u32,
    size: usize,
    name: &'a [u8],
    /// Offset of the data after the padded name.
    data: usize,
}

fn header(data: &[u8], at: usize) -> Option<Header<'_>> {
    let next = be_u32(data, at)?;
    let (name, data_at) = name_at(data, at.checked_add(16)?)?;
    Some(Header {
        at,
        next: (next & !15) as usize,
        kind: next & 7,
        exec: next & EXEC != 0,
        spec: be_u32(data, at + 4)?,
        size: be_u32(data, at + 8)? as usize,
        name,
        data: data_at,
    })
}

/// The mode Linux gives a romfs inode.
fn meta(h: &Header<'_>) -> Meta {
    let mode = match h.kind {
        TYPE_SYMLINK => 0o777,
        TYPE_BLOCK | TYPE_CHAR => 0o600,
        _ => 0o644,
    } | if h.exec && matches!(h.kind, TYPE_DIR | TYPE_FILE) {
        0o111
    } else {
        0
    };
    Meta {
        mode: Some(mode),
        ..Meta::default()
    }
}

fn extract(data: &[u8], out: &dyn Emit) -> Result<(), Error> {
    let (_, first) =
        name_at(data, 16).ok_or_else(|| Error::malformed(16, "unterminated volume name"))?;
    let mut seen = HashSet::new();
    let mut paths: HashMap<usize, (Vec<u8>, u32)> = HashMap::new();
    let mut links = Vec::new();
    let mut entries = 0usize;
    let mut stack = vec![(first, Vec::new(), 0usize)];
    while let Some((mut at, dir_path, depth)) = stack.pop() {
        let mut subdirs = Vec::new();
        while at != 0 {
            if !seen.insert(at) {
                out.warn(
                    at as u64,
                    format!(
                        "romfs: directory {}: entry chain loops",
                        String::from_utf8_lossy(&dir_path)
                    ),
                );
                break;
            }
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(Error::malformed(at as u64, "too many directory entries"));
            }
            let Some(h) = header(data, at) else {
                out.warn(at as u64, "romfs: file header beyond the image".into());
                break;
            };
            let head_len = h.data - at;
            if slice(data, at, head_len).is_some_and(|b| word_sum(b) != 0) {
                out.warn(at as u64, "romfs: file header checksum mismatch".into());
            }
            at = h.next;
            if h.name == b"." || h.name == b".." {
                continue;
            }
            let path = join(&dir_path, h.name);
            let lossy = || String::from_utf8_lossy(&path).into_owned();
            let file_data = || {
                slice(data, h.data, h.size).ok_or_else(|| {
                    out.warn(
                        h.data as u64,
                        format!("romfs: {}: data runs past the image", lossy()),
                    )
                })
            };
            let (major, minor) = (h.spec >> 16, h.spec & 0xffff);
            let body = match h.kind {
                TYPE_HARDLINK => {
                    links.push((path, h.spec as usize & !15, meta(&h)));
                    continue;
                }
                TYPE_DIR => {
                    if depth + 1 >= MAX_DEPTH {
                        out.warn(
                            h.at as u64,
                            format!("romfs: {}: directories nested too deep", lossy()),
                        );
                        continue;
                    }
                    subdirs.push((h.spec as usize & !15, path.clone(), depth + 1));
                    Body::Dir
                }
                TYPE_FILE => match file_data() {
                    Ok(d) => Body::File(d),
                    Err(()) => continue,
                },
                TYPE_SYMLINK => match file_data() {
                    Ok(d) => Body::Symlink(d),
                    Err(()) => continue,
                },
                TYPE_BLOCK => Body::BlockDevice { major, minor },
                TYPE_CHAR => Body::CharDevice { major, minor },
                TYPE_SOCKET => Body::Socket,
                // 7, the last of the 3-bit types.
                _ => Body::Fifo,
            };
            paths.insert(h.at, (path.clone(), h.kind));
            out.entry(Entry {
                path: &path,
                meta: meta(&h),
                body,
            })?;
        }
        stack.extend(subdirs.into_iter().rev());
    }
    for (path, target, meta) in links {
        match paths.get(&target) {
            Some((target_path, TYPE_FILE)) => out.entry(Entry {
                path: &path,
                meta,
                body: Body::Hardlink(target_path),
            })?,
            // "." and ".." style links to directories, or links to special files: a hard link
            // to those cannot be made; the target is extracted under its own name.
            Some(_) => {}
            None => out.warn(
                target as u64,
                format!(
                    "romfs: hard link {} points at no extracted file",
                    String::from_utf8_lossy(&path)
                ),
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::flashfs::test_util::{hostile_extract, noise, only};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fixtures() {
        for (file, size, name) in [
            ("formats/generic_fs__romfs.img", 432, "rom 56f292f7"),
            ("formats/binwalk__romfs.bin", 240, "rom 67269c23"),
        ] {
            let data = corpus_bytes(file);
            let id = Romfs.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(id.size, Some(size));
            assert_eq!(
                id.description,
                format!("romfs, volume \"{name}\", {size} bytes")
            );
            only(&Romfs, &data);
        }
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/generic_fs__romfs.img");
        let mut bad = data.clone();
        bad[40] ^= 1;
        assert!(Romfs.identify(&bad).is_none(), "checksum must be checked");
        hostile_extract(&Romfs, &data);
        let mut junk = noise(1024, 2);
        junk[..8].copy_from_slice(b"-rom1fs-");
        assert!(Romfs.identify(&junk).is_none());
    }
}
