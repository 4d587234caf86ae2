//! YAFFS2 NAND images (as `mkyaffs2image` and friends write them): pages with a spare area holding
//! the packed tags (sequence number, object id, chunk id, byte count). YAFFS2 has no magic number,
//! so identification requires an object header in the first page (known type, parent = root,
//! a clean name, a mode whose file type matches the object type) *and* valid tags in its spare
//! area for one of the usual page/spare geometries. The extent is the run of chunks with valid tags
//! (erased chunks in between allowed).

use crate::bytes::{slice, Endian};
use crate::format::{Identified, Magic};

use super::identify_only;

/// (page size, spare size) pairs tried, most common first.
const GEOMETRIES: &[(usize, usize)] =
    &[(2048, 64), (4096, 128), (4096, 224), (8192, 448), (512, 16)];
/// Where the packed tags start in the spare area (0, or 2 after the bad-block marker).
const TAG_OFFSETS: &[usize] = &[0, 2];
const LOWEST_SEQUENCE: u32 = 0x1000;
const HIGHEST_SEQUENCE: u32 = 0xefff_ff00;
const EXTRA_HEADER_INFO: u32 = 0x8000_0000;

/// YAFFS2 (identification only).
pub struct Yaffs2;
identify_only!(
    Yaffs2,
    "yaffs2",
    "YAFFS2",
    &[
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
    ]
);

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

fn identify(data: &[u8]) -> Option<Identified> {
    let e = match data.get(..4)? {
        [1..=5, 0, 0, 0] => Endian::Little,
        [0, 0, 0, 1..=5] => Endian::Big,
        _ => return None,
    };
    let name = object_header(data, e)?;
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
    let (
        Run {
            end,
            objects,
            chunks,
        },
        page,
        spare,
        tag_at,
    ) = best?;
    Some(Identified::new(
        Some(end as u64),
        format!(
            "YAFFS2 {}, {page}-byte pages + {spare} spare (tags at {tag_at}), {objects} objects, {chunks} chunks, first object \"{}\"",
            e.name(),
            String::from_utf8_lossy(name).escape_default()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile, noise, only};
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

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/yaffs__yaffs2_be.img");
        hostile(&Yaffs2, &data);
        // A header-like first page without valid tags is not YAFFS2.
        let mut bad = data.clone();
        bad[0x802..0x806].copy_from_slice(&[0, 0, 0, 1]);
        assert!(Yaffs2.identify(&bad).is_none());
        let mut junk = noise(8192, 12);
        junk[..10].copy_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]);
        assert!(Yaffs2.identify(&junk).is_none());
    }
}
