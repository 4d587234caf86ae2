//! UBI images (runs of physical erase blocks, each starting with a CRC-protected `UBI#` erase
//! counter header and usually a `UBI!` volume identifier header) and UBIFS volumes (identified by
//! their CRC-protected superblock node).

use crate::bytes::{be_u32, le_u32, slice};
use crate::format::{Identified, Magic};

use super::{crc32_linux_inverted_seed, identify_only};

const EC_LEN: usize = 64;
const LAYOUT_VOLUME: u32 = 0x7fff_efff;
const VTBL_RECORD: usize = 172;
const MAX_VOLUMES: usize = 128;

/// UBI image (identification only).
pub struct Ubi;
identify_only!(Ubi, "ubi", "UBI", &[Magic::at_start(b"UBI#")]);

struct Ec {
    version: u8,
    vid_at: usize,
    data_at: usize,
    image_seq: u32,
}

fn ec_header(data: &[u8]) -> Option<Ec> {
    let head = slice(data, 0, EC_LEN)?;
    if &head[..4] != b"UBI#" || crc32_linux_inverted_seed(&head[..60]) != be_u32(head, 60)? {
        return None;
    }
    Some(Ec {
        version: head[4],
        vid_at: usize::try_from(be_u32(head, 16)?).ok()?,
        data_at: usize::try_from(be_u32(head, 20)?).ok()?,
        image_seq: be_u32(head, 24)?,
    })
}

/// The volume id of a PEB's valid VID header.
fn vid_volume(peb: &[u8], vid_at: usize) -> Option<u32> {
    let vid = slice(peb, vid_at, 64)?;
    if &vid[..4] != b"UBI!" || crc32_linux_inverted_seed(&vid[..60]) != be_u32(vid, 60)? {
        return None;
    }
    be_u32(vid, 8)
}

/// Volume names from the layout volume's table (records with a valid CRC and reserved PEBs).
fn volume_names(peb: &[u8], data_at: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..MAX_VOLUMES {
        let Some(rec) = data_at
            .checked_add(i * VTBL_RECORD)
            .and_then(|at| slice(peb, at, VTBL_RECORD))
        else {
            break;
        };
        let valid = be_u32(rec, 0).is_some_and(|reserved| reserved > 0)
            && be_u32(rec, 168) == Some(crc32_linux_inverted_seed(&rec[..168]));
        if !valid {
            continue;
        }
        let len = usize::from(crate::bytes::be_u16(rec, 14).unwrap_or(0)).min(128);
        names.push(String::from_utf8_lossy(&rec[16..16 + len]).into_owned());
    }
    names
}

fn identify(data: &[u8]) -> Option<Identified> {
    let first = ec_header(data)?;
    if first.version != 1 || first.vid_at < EC_LEN || first.data_at <= first.vid_at {
        return None;
    }
    // The PEB size is the distance to the next erase counter header of the same image.
    let peb = (9..=24)
        .map(|shift| 1usize << shift)
        .filter(|&size| size > first.data_at)
        .find(|&size| {
            data.get(size..)
                .and_then(ec_header)
                .is_some_and(|ec| ec.image_seq == first.image_seq)
        });
    let Some(peb) = peb else {
        return Some(Identified::new(
            None,
            format!(
                "UBI v1, single erase block seen, VID header at {:#x}, data at {:#x}",
                first.vid_at, first.data_at
            ),
        ));
    };
    let mut count = 0usize;
    let mut volumes: Vec<u32> = Vec::new();
    let mut names = Vec::new();
    for block in data.chunks_exact(peb) {
        let Some(ec) = ec_header(block) else { break };
        if ec.image_seq != first.image_seq {
            break;
        }
        count += 1;
        if let Some(vol) = vid_volume(block, ec.vid_at) {
            if vol == LAYOUT_VOLUME && names.is_empty() {
                names = volume_names(block, ec.data_at);
            } else if vol != LAYOUT_VOLUME && !volumes.contains(&vol) && volumes.len() < MAX_VOLUMES
            {
                volumes.push(vol);
            }
        }
    }
    let size = count * peb;
    let mut description = format!(
        "UBI v1, {count} erase blocks of {peb} bytes, VID header at {:#x}, data at {:#x}, image sequence {:#010x}, {} volumes in use",
        first.vid_at,
        first.data_at,
        first.image_seq,
        volumes.len()
    );
    if !names.is_empty() {
        let quoted: Vec<String> = names
            .iter()
            .map(|n| format!("\"{}\"", n.escape_default()))
            .collect();
        description.push_str(&format!(" ({})", quoted.join(", ")));
    }
    Some(Identified::new(Some(size as u64), description))
}

/// UBIFS volume (identification only).
pub struct Ubifs;
mod ubifs {
    use super::*;

    identify_only!(
        Ubifs,
        "ubifs",
        "UBIFS",
        &[Magic::at_start(&[0x31, 0x18, 0x10, 0x06])]
    );

    const SB_NODE: u8 = 6;

    fn identify(data: &[u8]) -> Option<Identified> {
        if le_u32(data, 0)? != 0x0610_1831 || *data.get(20)? != SB_NODE {
            return None;
        }
        let len = usize::try_from(le_u32(data, 16)?).ok()?;
        if !(128..=4096).contains(&len) {
            return None;
        }
        let node = slice(data, 0, len)?;
        if crc32_linux_inverted_seed(&node[8..]) != le_u32(node, 4)? {
            return None;
        }
        let min_io = le_u32(node, 32)?;
        let leb_size = le_u32(node, 36)?;
        let leb_cnt = le_u32(node, 40)?;
        let fmt_version = le_u32(node, 80)?;
        let compr = match crate::bytes::le_u16(node, 84)? {
            0 => "no compression",
            1 => "lzo",
            2 => "zlib",
            3 => "zstd",
            _ => "unknown compression",
        };
        if leb_size == 0 || leb_cnt == 0 || min_io == 0 {
            return None;
        }
        let total = u64::from(leb_size) * u64::from(leb_cnt);
        let mut description = format!(
            "UBIFS format {fmt_version}, {leb_cnt} LEBs of {leb_size} bytes, min I/O {min_io}, default {compr}, max {} LEBs",
            le_u32(node, 44)?
        );
        if total > data.len() as u64 {
            description.push_str(&format!(", truncated to {} bytes", data.len()));
        }
        Some(Identified::new(
            Some(total.min(data.len() as u64)),
            description,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile, noise, only};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn ubi_fixture() {
        let data = corpus_bytes("formats/ubi__ubi.img");
        let id = Ubi.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64), "{}", id.description);
        assert!(
            id.description.contains("1904 erase blocks of 1024 bytes")
                && id.description.ends_with("1 volumes in use (\"rootfs\")"),
            "{}",
            id.description
        );
        only(&Ubi, &data);
        // Cut in the middle of a PEB: the extent stops at the last whole PEB.
        let id = Ubi.identify(&data[..10 * 1024 + 100]).unwrap();
        assert_eq!(id.size, Some(10 * 1024));
    }

    #[test]
    fn ubifs_fixture() {
        let data = corpus_bytes("formats/ubi__test.ubifs");
        let id = Ubifs.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(13 * 131_072));
        assert!(
            id.description.contains("13 LEBs of 131072 bytes"),
            "{}",
            id.description
        );
        only(&Ubifs, &data);
    }

    #[test]
    fn hostile_inputs() {
        let ubi = corpus_bytes("formats/ubi__ubi.img");
        hostile(&Ubi, &ubi[..16 << 10]);
        hostile(&Ubifs, &corpus_bytes("formats/ubi__test.ubifs")[..8192]);
        let mut junk = noise(8192, 4);
        junk[..4].copy_from_slice(b"UBI#");
        assert!(Ubi.identify(&junk).is_none());
        junk[..4].copy_from_slice(&[0x31, 0x18, 0x10, 0x06]);
        junk[20] = 6;
        assert!(Ubifs.identify(&junk).is_none());
    }
}
