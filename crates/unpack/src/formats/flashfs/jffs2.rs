//! JFFS2: a log of nodes, each starting with magic 0x1985 (in the image's byte order), a node type,
//! the node length and a CRC of those 8 bytes. The extent is the run of valid nodes, allowing the
//! 0xFF/0x00 padding that fills erase blocks between them.

use crate::bytes::Endian;

use super::identify_only;

/// Padding longer than this between two nodes ends the file system (a JFFS2 erase block is at
/// most a few hundred KiB; a longer gap is the rest of the flash).
const MAX_GAP: usize = 1 << 20;

/// JFFS2 (identification only).
pub struct Jffs2;
identify_only!(
    Jffs2,
    "jffs2",
    "JFFS2",
    &[
        crate::format::Magic::at_start(&[0x85, 0x19]),
        crate::format::Magic::at_start(&[0x19, 0x85])
    ]
);

/// JFFS2's CRC: Linux `crc32(0, …)`, i.e. zlib's CRC seeded with all ones and not inverted.
fn jffs2_crc(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(0xffff_ffff);
    h.update(data);
    !h.finalize()
}

/// A valid node header at `at`: its type and total length.
fn node(data: &[u8], at: usize, e: Endian) -> Option<(u16, usize)> {
    if e.u16(data, at)? != 0x1985 {
        return None;
    }
    let kind = e.u16(data, at + 2)?;
    let len = usize::try_from(e.u32(data, at + 4)?).ok()?;
    let head = data.get(at..at + 8)?;
    if jffs2_crc(head) != e.u32(data, at + 8)? || len < 12 || len > data.len() - at {
        return None;
    }
    Some((kind, len))
}

fn identify(data: &[u8]) -> Option<crate::format::Identified> {
    let e = match data.get(..2)? {
        [0x85, 0x19] => Endian::Little,
        [0x19, 0x85] => Endian::Big,
        _ => return None,
    };
    node(data, 0, e)?;
    let (mut nodes, mut dirents, mut inodes) = (0u64, 0u64, 0u64);
    let mut at = 0usize;
    let mut end = 0usize;
    while at < data.len() {
        if let Some((kind, len)) = node(data, at, e) {
            nodes += 1;
            match kind & 0x00ff {
                1 => dirents += 1,
                2 => inodes += 1,
                _ => {}
            }
            at = at.saturating_add(len).next_multiple_of(4);
            end = at.min(data.len());
            continue;
        }
        // Skip padding word by word, but not forever.
        match e.u32(data, at) {
            Some(0xffff_ffff) | Some(0) if at - end < MAX_GAP => at += 4,
            _ => break,
        }
    }
    Some(crate::format::Identified::new(
        Some(end as u64),
        format!(
            "JFFS2 {}, {nodes} nodes ({dirents} directory entries, {inodes} inodes), {end} bytes",
            e.name()
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
    fn fixtures_both_endians_and_esp32() {
        for (file, endian) in [
            ("formats/jffs2__jffs2_le.img", "LE"),
            ("formats/jffs2__jffs2_be.img", "BE"),
            ("real/esp32s3-rootfs.jffs2", "LE"),
        ] {
            let data = corpus_bytes(file);
            let id = Jffs2.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert!(
                id.description.starts_with(&format!("JFFS2 {endian}, ")),
                "{}",
                id.description
            );
            let size = id.size.unwrap() as usize;
            assert!(size > 0 && size <= data.len());
            // Nothing but padding after the extent.
            assert!(data[size..].iter().all(|&b| b == 0xff || b == 0), "{file}");
            only(&Jffs2, &data);
            let (_, r) = crate::testing::Collector::run(&Jffs2, &data, 1 << 20).unwrap();
            assert!(matches!(r, Err(crate::format::Error::Unsupported(_))));
        }
        let esp = corpus_bytes("real/esp32s3-rootfs.jffs2");
        let id = Jffs2.identify(&esp).unwrap();
        assert!(
            id.description.contains("directory entries"),
            "{}",
            id.description
        );
    }

    #[test]
    fn hostile_inputs() {
        hostile(&Jffs2, &corpus_bytes("formats/jffs2__jffs2_be.img"));
        let mut junk = noise(4096, 5);
        junk[..2].copy_from_slice(&[0x85, 0x19]);
        assert!(Jffs2.identify(&junk).is_none());
        // A node whose length runs past the data is not valid.
        let mut data = corpus_bytes("formats/jffs2__jffs2_le.img");
        data.truncate(8);
        assert!(Jffs2.identify(&data).is_none());
    }
}
