//! cramfs: a 64-byte superblock (either byte order) with a signature string, the image size, and
//! for version 2 a CRC-32 of the whole image computed with the CRC field zeroed.

use crate::bytes::{c_string, slice, Endian};
use crate::format::{Identified, Magic};

use super::identify_only;

const FLAG_FSID_V2: u32 = 0x1;
const FLAG_SORTED_DIRS: u32 = 0x2;
const FLAG_HOLES: u32 = 0x100;
const FLAG_WRONG_SIGNATURE: u32 = 0x200;
const FLAG_SHIFTED_ROOT: u32 = 0x400;
const FLAG_EXT_BLOCK_POINTERS: u32 = 0x800;
const KNOWN_FLAGS: u32 = FLAG_FSID_V2
    | FLAG_SORTED_DIRS
    | FLAG_HOLES
    | FLAG_WRONG_SIGNATURE
    | FLAG_SHIFTED_ROOT
    | FLAG_EXT_BLOCK_POINTERS;

/// cramfs (identification only).
pub struct Cramfs;
identify_only!(
    Cramfs,
    "cramfs",
    "cramfs",
    &[
        Magic::at_start(&[0x45, 0x3d, 0xcd, 0x28]),
        Magic::at_start(&[0x28, 0xcd, 0x3d, 0x45])
    ]
);

fn identify(data: &[u8]) -> Option<Identified> {
    let e = match data.get(..4)? {
        [0x45, 0x3d, 0xcd, 0x28] => Endian::Little,
        [0x28, 0xcd, 0x3d, 0x45] => Endian::Big,
        _ => return None,
    };
    if slice(data, 16, 16)? != b"Compressed ROMFS" {
        return None;
    }
    let size = usize::try_from(e.u32(data, 4)?).ok()?;
    let flags = e.u32(data, 8)?;
    if flags & !KNOWN_FLAGS != 0 || size < 76 {
        return None;
    }
    let (files, blocks, edition) = (e.u32(data, 44)?, e.u32(data, 40)?, e.u32(data, 36)?);
    let name = c_string(slice(data, 48, 16)?);
    let mut description = format!(
        "cramfs {} {}, {files} files, {blocks} blocks, edition {edition}, name \"{}\", flags {flags:#x}",
        if flags & FLAG_FSID_V2 != 0 { "v2" } else { "v1" },
        e.name(),
        name.escape_default()
    );
    if flags & FLAG_EXT_BLOCK_POINTERS != 0 {
        description.push_str(" (extended block pointers / XIP)");
    }
    if flags & FLAG_FSID_V2 != 0 {
        // The whole image must be present and its CRC must match.
        let image = slice(data, 0, size)?;
        let mut h = crc32fast::Hasher::new();
        h.update(&image[..32]);
        h.update(&[0; 4]);
        h.update(&image[36..]);
        if h.finalize() != e.u32(data, 32)? {
            return None;
        }
        description.push_str(", CRC ok");
    } else if size > data.len() {
        return None;
    }
    Some(Identified::new(Some(size as u64), description))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile, noise, only};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fixtures() {
        for (file, files) in [
            ("formats/binwalk__cramfs.bin", 2),
            ("formats/sevenz__cramfs.img", 5),
            ("real/esp32s3-rootfs-xip.cramfs", 401),
        ] {
            let data = corpus_bytes(file);
            let id = Cramfs.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(id.size, Some(data.len() as u64));
            assert!(
                id.description
                    .starts_with(&format!("cramfs v2 LE, {files} files")),
                "{}",
                id.description
            );
            assert!(id.description.ends_with("CRC ok"), "{}", id.description);
            only(&Cramfs, &data);
        }
        let xip = corpus_bytes("real/esp32s3-rootfs-xip.cramfs");
        assert!(Cramfs
            .identify(&xip)
            .unwrap()
            .description
            .contains("flags 0x803 (extended block pointers / XIP)"));
    }

    #[test]
    fn crc_and_hostile_inputs() {
        let data = corpus_bytes("formats/sevenz__cramfs.img");
        let mut bad = data.clone();
        bad[2000] ^= 1;
        assert!(Cramfs.identify(&bad).is_none(), "CRC must be checked");
        assert!(
            Cramfs.identify(&data[..4095]).is_none(),
            "truncated v2 image"
        );
        hostile(&Cramfs, &data);
        let mut junk = noise(4096, 8);
        junk[..4].copy_from_slice(&[0x28, 0xcd, 0x3d, 0x45]);
        junk[16..32].copy_from_slice(b"Compressed ROMFS");
        assert!(Cramfs.identify(&junk).is_none());
    }
}
