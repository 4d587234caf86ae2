//! YAFFS2 NAND images (as `mkyaffs2image` and friends write them): pages with a spare area holding
//! the packed tags (sequence number, object id, chunk id, byte count). YAFFS2 has no magic number,
//! so identification requires an object header in the first page (known type, parent = root,
//! a clean name, a mode whose file type matches the object type) *and* valid tags in its spare
//! area for one of the usual page/spare geometries. The extent is the run of chunks with valid tags
//! (erased chunks in between allowed).
//!
//! Extraction reads every chunk's tags in that geometry: for each object the header with the
//! highest (sequence number, position) wins, and so does each data chunk; objects in the
//! "unlinked" and "deleted" pseudo-directories are dropped, files are cut to their header's size,
//! and hard links (objects of type 4) point to their equivalent object's path. Hand-written: no
//! maintained crate reads YAFFS2 images.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::bytes::{slice, Endian};
use crate::format::{Body, ChunkSource, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

/// (page size, spare size) pairs tried, most common first.
const GEOMETRIES: &[(usize, usize)] =
    &[(2048, 64), (4096, 128), (4096, 224), (8192, 448), (512, 16)];
/// Where the packed tags start in the spare area (0, or 2 after the bad-block marker).
const TAG_OFFSETS: &[usize] = &[0, 2];
const LOWEST_SEQUENCE: u32 = 0x1000;
const HIGHEST_SEQUENCE: u32 = 0xefff_ff00;
const EXTRA_HEADER_INFO: u32 = 0x8000_0000;

/// YAFFS2.
pub struct Yaffs2;

impl Format for Yaffs2 {
    fn name(&self) -> &'static str {
        "yaffs2"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        identify(data)
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let g = geometry(data).ok_or_else(|| Error::malformed(0, "not a YAFFS2 image"))?;
        extract(data, &g, out)
    }
}

const MAGICS: &[Magic] = &[
    Magic::at_start(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[2, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[3, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[4, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[5, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 3, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff]),
    Magic::at_start(&[0, 0, 0, 5, 0, 0, 0, 1, 0xff, 0xff]),
];

/// Validate the object header at `data[0]`; returns its name.
fn object_header(data: &[u8], e: Endian) -> Option<&[u8]> {
    let kind = e.u32(data, 0)?;
    if e.u32(data, 4)? != 1 || e.u16(data, 8)? != 0xffff {
        return None;
    }
    let field = slice(data, 10, 256)?;
    let name = &field[..memchr::memchr(0, field)?];
    if name.is_empty() || name.contains(&b'/') || name.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let file_type = e.u32(data, 0x10c)? & 0o170000;
    let ok = match kind {
        1 => file_type == 0o100000,
        2 => file_type == 0o120000,
        3 => file_type == 0o040000,
        4 => true, // hard links carry no mode of their own
        5 => matches!(file_type, 0o020000 | 0o060000 | 0o010000 | 0o140000),
        _ => false,
    };
    ok.then_some(name)
}

/// What the tags of one chunk say.
#[derive(PartialEq)]
enum Chunk {
    Header,
    Data,
    Erased,
    Invalid,
}

fn chunk(data: &[u8], page: usize, spare: usize, tag_at: usize, e: Endian) -> Chunk {
    let Some(whole) = slice(data, 0, page + spare) else {
        return Chunk::Invalid;
    };
    let tags = &whole[page + tag_at..];
    let (Some(seq), Some(obj), Some(id), Some(bytes)) = (
        e.u32(tags, 0),
        e.u32(tags, 4),
        e.u32(tags, 8),
        e.u32(tags, 12),
    ) else {
        return Chunk::Invalid;
    };
    if (LOWEST_SEQUENCE..HIGHEST_SEQUENCE).contains(&seq) && obj & 0x0fff_ffff != 0 {
        if id == 0 || id & EXTRA_HEADER_INFO != 0 {
            return Chunk::Header;
        }
        if usize::try_from(bytes).is_ok_and(|b| b <= page) {
            return Chunk::Data;
        }
    }
    if whole.iter().all(|&b| b == 0xff) {
        return Chunk::Erased;
    }
    Chunk::Invalid
}

/// The extent of consecutive valid (or erased) chunks for one geometry.
struct Run {
    end: usize,
    objects: u64,
    chunks: u64,
}

fn run(data: &[u8], page: usize, spare: usize, tag_at: usize, e: Endian) -> Run {
    let stride = page + spare;
    let mut r = Run {
        end: 0,
        objects: 0,
        chunks: 0,
    };
    for (i, block) in data.chunks_exact(stride).enumerate() {
        match chunk(block, page, spare, tag_at, e) {
            Chunk::Header => r.objects += 1,
            Chunk::Data => {}
            Chunk::Erased => continue,
            Chunk::Invalid => break,
        }
        r.chunks += 1;
        r.end = (i + 1) * stride;
    }
    r
}

/// The layout chosen for an image.
struct Geometry {
    e: Endian,
    page: usize,
    spare: usize,
    tag_at: usize,
    run: Run,
}

fn geometry(data: &[u8]) -> Option<Geometry> {
    let e = match data.get(..4)? {
        [1..=5, 0, 0, 0] => Endian::Little,
        [0, 0, 0, 1..=5] => Endian::Big,
        _ => return None,
    };
    object_header(data, e)?;
    // Several geometries can make the first spare area look like tags by chance (a bad-block
    // marker read as part of a sequence number): keep the one whose run of valid chunks is longest.
    let mut best: Option<(Run, usize, usize, usize)> = None;
    for &(page, spare) in GEOMETRIES {
        for &tag_at in TAG_OFFSETS {
            if chunk(data, page, spare, tag_at, e) != Chunk::Header {
                continue;
            }
            let run = run(data, page, spare, tag_at, e);
            if best.as_ref().is_none_or(|b| run.chunks > b.0.chunks) {
                best = Some((run, page, spare, tag_at));
            }
        }
    }
    let (run, page, spare, tag_at) = best?;
    Some(Geometry {
        e,
        page,
        spare,
        tag_at,
        run,
    })
}

fn identify(data: &[u8]) -> Option<Identified> {
    let Geometry {
        e,
        page,
        spare,
        tag_at,
        run: Run {
            end,
            objects,
            chunks,
        },
    } = geometry(data)?;
    let name = object_header(data, e)?;
    Some(Identified::new(
        Some(end as u64),
        format!(
            "YAFFS2 {}, {page}-byte pages + {spare} spare (tags at {tag_at}), {objects} objects, {chunks} chunks, first object \"{}\"",
            e.name(),
            String::from_utf8_lossy(name).escape_default()
        ),
    ))
}

const ROOT: u32 = 1;
const UNLINKED: u32 = 3;
const DELETED: u32 = 4;
const MAX_PATH_DEPTH: usize = 256;
/// Pages per chunk of a streamed file.
const PAGES_PER_CHUNK: usize = 256;

/// The newest header of one object.
struct Object<'a> {
    /// (sequence number, chunk index): higher is newer.
    age: (u32, usize),
    kind: u32,
    parent: u32,
    name: &'a [u8],
    /// Raw mode, file type bits included.
    mode: u32,
    meta: Meta,
    size: u64,
    equiv: u32,
    alias: &'a [u8],
    rdev: u32,
}

/// The newest copy of one data chunk.
struct DataChunk {
    age: (u32, usize),
    at: usize,
    len: usize,
}

fn parse_object(page: &[u8], e: Endian, age: (u32, usize)) -> Option<Object<'_>> {
    let field = |at: usize| e.u32(page, at);
    let name_field = slice(page, 10, 256)?;
    let name = &name_field[..memchr::memchr(0, name_field).unwrap_or(255)];
    let alias_field = slice(page, 0x12c, 160)?;
    let alias = &alias_field[..memchr::memchr(0, alias_field).unwrap_or(159)];
    let mut size = u64::from(field(0x124)?);
    // Old writers leave the high word erased.
    let high = field(0x1f0)?;
    if high != u32::MAX {
        size |= u64::from(high) << 32;
    }
    Some(Object {
        age,
        kind: field(0)?,
        parent: field(4)?,
        name,
        mode: field(0x10c)?,
        meta: Meta::new(
            field(0x10c)?,
            field(0x110)?,
            field(0x114)?,
            i64::from(field(0x11c)?),
        ),
        size,
        equiv: field(0x128)?,
        alias,
        rdev: field(0x1cc)?,
    })
}

/// A file's bytes, page-chunk by page-chunk; missing chunks read as zeros.
struct FileData<'a> {
    data: &'a [u8],
    page: usize,
    chunks: BTreeMap<u32, DataChunk>,
    size: u64,
}

impl ChunkSource for FileData<'_> {
    fn chunk(&self, index: usize) -> Option<Result<Vec<u8>, Error>> {
        let span = (self.page * PAGES_PER_CHUNK) as u64;
        let start = (index as u64).checked_mul(span)?;
        if start >= self.size {
            return None;
        }
        let end = (start + span).min(self.size);
        let mut out = vec![0u8; (end - start) as usize];
        // Data chunk ids start at 1.
        let first = u32::try_from(start / self.page as u64 + 1).ok()?;
        let last = u32::try_from((end - 1) / self.page as u64 + 1).ok()?;
        for (&id, c) in self.chunks.range(first..=last) {
            let dst = (u64::from(id - 1) * self.page as u64 - start) as usize;
            let len = c.len.min(out.len() - dst);
            if let Some(src) = slice(self.data, c.at, len) {
                out[dst..dst + len].copy_from_slice(src);
            }
        }
        Some(Ok(out))
    }
}

fn extract(data: &[u8], g: &Geometry, out: &dyn Emit) -> Result<(), Error> {
    let stride = g.page + g.spare;
    let e = g.e;
    let mut objects: HashMap<u32, Object> = HashMap::new();
    let mut chunks: HashMap<u32, BTreeMap<u32, DataChunk>> = HashMap::new();
    for (index, block) in data.chunks_exact(stride).enumerate() {
        let kind = chunk(block, g.page, g.spare, g.tag_at, e);
        if kind == Chunk::Erased || kind == Chunk::Invalid {
            continue;
        }
        let tags = &block[g.page + g.tag_at..];
        let (Some(seq), Some(obj), Some(id), Some(bytes)) = (
            e.u32(tags, 0),
            e.u32(tags, 4),
            e.u32(tags, 8),
            e.u32(tags, 12),
        ) else {
            continue;
        };
        let obj = obj & 0x0fff_ffff;
        let age = (seq, index);
        if kind == Chunk::Header {
            let Some(object) = parse_object(&block[..g.page], e, age) else {
                out.warn((index * stride) as u64, "unreadable object header".into());
                continue;
            };
            if objects.get(&obj).is_none_or(|old| old.age < age) {
                objects.insert(obj, object);
            }
        } else {
            let len = (bytes as usize).min(g.page);
            let map = chunks.entry(obj).or_default();
            if map.get(&id).is_none_or(|old| old.age < age) {
                map.insert(
                    id,
                    DataChunk {
                        age,
                        at: index * stride,
                        len,
                    },
                );
            }
        }
    }
    let mut children: BTreeMap<u32, Vec<(&[u8], u32)>> = BTreeMap::new();
    for (&id, o) in &objects {
        if id != ROOT && !matches!(o.parent, UNLINKED | DELETED) {
            children.entry(o.parent).or_default().push((o.name, id));
        }
    }
    for list in children.values_mut() {
        list.sort();
    }
    // Walk from the root: directories first, hard links last (their targets need a path).
    let mut paths: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut links: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut entered = HashSet::new();
    let mut stack = vec![(ROOT, Vec::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        if !entered.insert(dir) {
            out.warn(
                0,
                format!("YAFFS2 directory object {dir} reached twice (a cycle)"),
            );
            continue;
        }
        let Some(list) = children.get(&dir) else {
            continue;
        };
        let mut subdirs = Vec::new();
        for &(name, id) in list {
            let Some(o) = objects.get(&id) else { continue };
            if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
                out.warn(0, format!("YAFFS2 object {id} has an invalid name"));
                continue;
            }
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            let entry = |body| Entry {
                path: &path,
                meta: o.meta,
                body,
            };
            let dev = o.rdev;
            let (major, minor) = ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
            match o.kind {
                3 => {
                    if depth >= MAX_PATH_DEPTH {
                        out.warn(0, "YAFFS2 directories nested too deep".into());
                        continue;
                    }
                    out.entry(entry(Body::Dir))?;
                    subdirs.push((id, path.clone(), depth + 1));
                }
                1 => {
                    if o.size > out.budget() {
                        out.warn(
                            0,
                            format!(
                                "{}: declares {} bytes, beyond the remaining budget: skipped",
                                String::from_utf8_lossy(&path),
                                o.size
                            ),
                        );
                        continue;
                    }
                    let file = FileData {
                        data,
                        page: g.page,
                        chunks: chunks.remove(&id).unwrap_or_default(),
                        size: o.size,
                    };
                    if o.size > (g.page * PAGES_PER_CHUNK) as u64 {
                        out.entry(entry(Body::Stream {
                            size: o.size,
                            chunks: &file,
                        }))?;
                    } else {
                        let bytes = match file.chunk(0) {
                            Some(c) => c?,
                            None => Vec::new(),
                        };
                        out.entry(entry(Body::File(&bytes)))?;
                    }
                }
                2 => out.entry(entry(Body::Symlink(o.alias)))?,
                4 => {
                    links.push((path.clone(), o.equiv));
                    continue;
                }
                5 => {
                    let body = match o.mode & 0o170000 {
                        0o020000 => Body::CharDevice { major, minor },
                        0o060000 => Body::BlockDevice { major, minor },
                        0o010000 => Body::Fifo,
                        _ => Body::Socket,
                    };
                    out.entry(entry(body))?;
                }
                other => {
                    out.warn(0, format!("YAFFS2 object {id} of unknown type {other}"));
                    continue;
                }
            }
            paths.insert(id, path);
        }
        stack.extend(subdirs.into_iter().rev());
    }
    for (path, equiv) in links {
        match (paths.get(&equiv), objects.get(&equiv)) {
            (Some(target), Some(o)) => out.entry(Entry {
                path: &path,
                meta: o.meta,
                body: Body::Hardlink(target),
            })?,
            _ => out.warn(
                0,
                format!(
                    "{}: hard link to missing object {equiv}",
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
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile_extract, noise, only};
    use crate::testing::{CollectedKind, Collector};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fixtures() {
        for (file, prefix) in [
            (
                "formats/yaffs__yaffs2_le.img",
                "YAFFS2 LE, 2048-byte pages + 64 spare (tags at 2)",
            ),
            (
                "formats/yaffs__yaffs2_be.img",
                "YAFFS2 BE, 2048-byte pages + 64 spare (tags at 2)",
            ),
            (
                "formats/binwalk__yaffs2.bin",
                "YAFFS2 LE, 2048-byte pages + 64 spare (tags at 0)",
            ),
        ] {
            let data = corpus_bytes(file);
            let id = Yaffs2.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert!(id.description.starts_with(prefix), "{}", id.description);
            // The extent ends with the last written chunk; only erased chunks may follow.
            let size = id.size.unwrap() as usize;
            assert!(size > 0 && size.is_multiple_of(2112), "{}", id.description);
            assert!(data[size..].iter().all(|&b| b == 0xff), "{file}");
            only(&Yaffs2, &data);
            let (c, r) = Collector::run(&Yaffs2, &data, 64 << 20).unwrap();
            assert_eq!(r, Ok(()), "{file}");
            assert!(
                c.warnings.lock().unwrap().is_empty(),
                "{file}: {:?}",
                c.warnings.lock().unwrap()
            );
            let entries = c.into_entries();
            let files: Vec<(&str, &[u8])> = entries
                .iter()
                .filter_map(|e| match &e.kind {
                    CollectedKind::File(d) => Some((e.path.as_str(), &d[..])),
                    _ => None,
                })
                .collect();
            if file.contains("binwalk") {
                // yaffs2utils' own sources: 13 text files, each whole (no erased or stray bytes).
                assert_eq!(files.len(), 13, "{file}");
                assert_eq!(files[0].0, "mkyaffs2image.c");
                assert_eq!(files[0].1.len(), 15107);
                assert!(files.iter().all(|(_, d)| std::str::from_utf8(d).is_ok()
                    && !d.contains(&0)
                    && d.starts_with(b"/*\n * YAFFS: Yet ")
                    && d.ends_with(b"\n")));
                assert!(entries.iter().all(|e| e.meta.mode == Some(0o664)));
            } else {
                assert_eq!(
                    files,
                    [
                        ("testfile1", TESTFILE1),
                        ("testfile2", TESTFILE2),
                        ("generic folder/test file 3_.txt", TESTFILE3)
                    ],
                    "{file}"
                );
                assert_eq!(entries[0].path, "generic folder");
                assert_eq!(entries[0].kind, CollectedKind::Dir);
                let m = entries[1].meta;
                assert_eq!(
                    (m.mode, m.uid, m.gid, m.mtime),
                    (Some(0o644), Some(1000), Some(1000), Some(1_484_299_126))
                );
            }
        }
        let le = Yaffs2
            .identify(&corpus_bytes("formats/yaffs__yaffs2_le.img"))
            .unwrap();
        assert!(
            le.description
                .ends_with("7 chunks, first object \"testfile1\""),
            "{}",
            le.description
        );
        let bw = Yaffs2
            .identify(&corpus_bytes("formats/binwalk__yaffs2.bin"))
            .unwrap();
        assert_eq!(bw.size, Some(60 * 2112), "{}", bw.description);
    }

    const TESTFILE1: &[u8] = b"test file:\ncontent: MyTestRule 1.2.3\nVersion: Program 0.0.0.0\n";
    const TESTFILE2: &[u8] = b"This is the second test file";
    const TESTFILE3: &[u8] = b"The third test file!";

    /// A little-endian 2048+64 image built chunk by chunk: (sequence, object, chunk id, bytes, page).
    fn image(chunks: &[(u32, u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (seq, obj, id, bytes, page) in chunks {
            let mut c = page.clone();
            c.resize(2048, 0xff);
            for v in [seq, obj, id, bytes] {
                c.extend_from_slice(&v.to_le_bytes());
            }
            c.resize(2048 + 64, 0xff);
            out.extend(c);
        }
        out
    }

    // One argument per header field the tests set; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    fn header(
        kind: u32,
        parent: u32,
        name: &str,
        mode: u32,
        size: u32,
        equiv: u32,
        alias: &str,
        rdev: u32,
    ) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[0..4].copy_from_slice(&kind.to_le_bytes());
        h[4..8].copy_from_slice(&parent.to_le_bytes());
        h[8..10].copy_from_slice(&[0xff, 0xff]);
        h[10..10 + name.len()].copy_from_slice(name.as_bytes());
        h[0x10c..0x110].copy_from_slice(&mode.to_le_bytes());
        h[0x110..0x114].copy_from_slice(&7u32.to_le_bytes());
        h[0x124..0x128].copy_from_slice(&size.to_le_bytes());
        h[0x128..0x12c].copy_from_slice(&equiv.to_le_bytes());
        h[0x12c..0x12c + alias.len()].copy_from_slice(alias.as_bytes());
        h[0x1cc..0x1d0].copy_from_slice(&rdev.to_le_bytes());
        h[0x1f0..0x1f4].copy_from_slice(&[0xff; 4]);
        h
    }

    /// Newest header and data win, deleted objects go, links and specials come out right.
    #[test]
    fn object_semantics() {
        let data = image(&[
            (
                0x1000,
                257,
                0,
                5,
                header(1, 1, "passwd", 0o100644, 5, 0, "", 0),
            ),
            (0x1000, 257, 1, 5, b"old!!".to_vec()),
            (0x1000, 258, 0, 0, header(3, 1, "etc", 0o40755, 0, 0, "", 0)),
            (
                0x1000,
                259,
                0,
                0,
                header(2, 258, "mtab", 0o120777, 0, 0, "/proc/mounts", 0),
            ),
            (
                0x1000,
                260,
                0,
                0,
                header(4, 258, "passwd-link", 0, 0, 257, "", 0),
            ),
            (
                0x1000,
                261,
                0,
                0,
                header(5, 258, "console", 0o20600, 0, 0, "", 0x0501),
            ),
            (
                0x1000,
                262,
                0,
                3,
                header(1, 1, "gone", 0o100644, 3, 0, "", 0),
            ),
            (0x1000, 262, 1, 3, b"bye".to_vec()),
            // A later block: new data, a renamed header (size 4), the deletion of "gone".
            (0x1001, 257, 1, 5, b"new!!".to_vec()),
            (
                0x1001,
                257,
                0,
                4,
                header(1, 1, "shadow", 0o100600, 4, 0, "", 0),
            ),
            (
                0x1001,
                262,
                0,
                0,
                header(1, 4, "gone", 0o100644, 0, 0, "", 0),
            ),
        ]);
        let (c, r) = Collector::run(&Yaffs2, &data, 1 << 20).unwrap();
        assert_eq!(r, Ok(()));
        let entries = c.into_entries();
        let got: Vec<(&str, &CollectedKind)> =
            entries.iter().map(|e| (e.path.as_str(), &e.kind)).collect();
        assert_eq!(
            got,
            [
                ("etc", &CollectedKind::Dir),
                ("shadow", &CollectedKind::File(b"new!".to_vec())),
                ("etc/console", &CollectedKind::CharDevice(5, 1)),
                ("etc/mtab", &CollectedKind::Symlink("/proc/mounts".into())),
                ("etc/passwd-link", &CollectedKind::Hardlink("shadow".into())),
            ]
        );
        assert_eq!(entries[1].meta.mode, Some(0o600));
        assert_eq!(entries[1].meta.uid, Some(7));
    }

    /// A file larger than one streamed chunk, written out of order with one chunk never written
    /// (read as zeros) and one chunk rewritten later.
    #[test]
    fn large_file_is_streamed_in_order() {
        let size = 2048 * 300 + 100;
        let content = noise(size, 3);
        let mut chunks = vec![(
            0x1000,
            300,
            0,
            size as u32,
            header(1, 1, "big", 0o100755, size as u32, 0, "", 0),
        )];
        for id in (1..=301u32).rev() {
            if id == 7 {
                continue;
            }
            let start = (id as usize - 1) * 2048;
            let piece = content[start..(start + 2048).min(size)].to_vec();
            chunks.push((0x1000, 300, id, piece.len() as u32, piece));
        }
        chunks.push((0x1000, 300, 9, 2048, vec![0xaa; 2048]));
        let mut expected = content.clone();
        expected[6 * 2048..7 * 2048].fill(0);
        expected[8 * 2048..9 * 2048].fill(0xaa);
        let (c, r) = Collector::run(&Yaffs2, &image(&chunks), 16 << 20).unwrap();
        assert_eq!(r, Ok(()));
        let entries = c.into_entries();
        assert_eq!(entries.len(), 1);
        assert!(entries[0].kind == CollectedKind::File(expected));
        assert_eq!(entries[0].meta.mode, Some(0o755));
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/yaffs__yaffs2_be.img");
        hostile_extract(&Yaffs2, &data);
        // A header-like first page without valid tags is not YAFFS2.
        let mut bad = data.clone();
        bad[0x802..0x806].copy_from_slice(&[0, 0, 0, 1]);
        assert!(Yaffs2.identify(&bad).is_none());
        let mut junk = noise(8192, 12);
        junk[..10].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]);
        assert!(Yaffs2.identify(&junk).is_none());
    }
}
