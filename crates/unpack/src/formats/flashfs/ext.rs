//! ext2/ext3/ext4: the superblock at byte 1024 (magic 0xEF53 at 0x438). It has no checksum before
//! ext4's `metadata_csum`, so identification cross-checks the geometry instead: block size, blocks
//! and inodes per group, the inode count against the group count, the first data block, and the
//! free counts against the totals.

use crate::bytes::{c_string, le_u16, le_u32, slice};
use crate::format::{Identified, Magic};

use super::identify_only;

const SB: usize = 1024;
const COMPAT_HAS_JOURNAL: u32 = 0x4;
const INCOMPAT_EXTENTS: u32 = 0x40;
const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_FLEX_BG: u32 = 0x200;

/// ext2/3/4 (identification only).
pub struct Ext;
identify_only!(Ext, "ext", "ext2/3/4", &[Magic::at(0x438, &[0x53, 0xef])]);

fn identify(data: &[u8]) -> Option<Identified> {
    let sb = slice(data, SB, 1024)?;
    let u32_at = |at: usize| le_u32(sb, at);
    if le_u16(sb, 0x38)? != 0xef53 {
        return None;
    }
    let inodes = u64::from(u32_at(0)?);
    let log_block = u32_at(0x18)?;
    if log_block > 6 {
        return None;
    }
    let block_size = 1024u64 << log_block;
    let incompat = u32_at(0x60)?;
    let mut blocks = u64::from(u32_at(0x4)?);
    if incompat & INCOMPAT_64BIT != 0 {
        blocks |= u64::from(u32_at(0x150)?) << 32;
    }
    let free_blocks = u64::from(u32_at(0xc)?);
    let free_inodes = u64::from(u32_at(0x10)?);
    let first_data_block = u64::from(u32_at(0x14)?);
    let blocks_per_group = u64::from(u32_at(0x20)?);
    let inodes_per_group = u64::from(u32_at(0x28)?);
    let state = le_u16(sb, 0x3a)?;
    let errors = le_u16(sb, 0x3c)?;
    let rev = u32_at(0x4c)?;
    let sane = blocks > first_data_block
        && inodes > 0
        && first_data_block == u64::from(block_size == 1024)
        && blocks_per_group > 0
        && blocks_per_group <= 8 * block_size
        && inodes_per_group > 0
        && inodes_per_group <= 8 * block_size
        && free_blocks <= blocks
        && free_inodes <= inodes
        && (1..=7).contains(&state)
        && (1..=3).contains(&errors)
        && rev <= 1;
    if !sane {
        return None;
    }
    let groups = (blocks - first_data_block).div_ceil(blocks_per_group);
    if groups.checked_mul(inodes_per_group)? != inodes {
        return None;
    }
    let size = blocks.checked_mul(block_size)?;
    let compat = u32_at(0x5c)?;
    let flavour = if incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG) != 0 {
        "ext4"
    } else if compat & COMPAT_HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    };
    let uuid: String = sb[0x68..0x78].iter().map(|b| format!("{b:02x}")).collect();
    let mut description = format!(
        "{flavour}, {blocks} blocks of {block_size} bytes, {inodes} inodes ({} free), volume \"{}\", UUID {uuid}",
        free_inodes,
        c_string(&sb[0x78..0x88]).escape_default(),
    );
    let last_mounted = c_string(&sb[0x88..0xc8]);
    if !last_mounted.is_empty() {
        description.push_str(&format!(
            ", last mounted on \"{}\"",
            last_mounted.escape_default()
        ));
    }
    if let Some(mtime) = u32_at(0x2c).filter(|&t| t != 0) {
        description.push_str(&format!(
            ", mounted {}",
            crate::formats::container::utc(i64::from(mtime))
        ));
    }
    if size > data.len() as u64 {
        description.push_str(&format!(", truncated to {} bytes", data.len()));
    }
    Some(Identified::new(
        Some(size.min(data.len() as u64)),
        description,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::formats::flashfs::test_util::{hostile, noise, only};
    use iotassay_testkit::corpus_bytes;
    use std::io::Read;

    fn unxz(file: &str) -> Vec<u8> {
        let mut out = Vec::new();
        liblzma::read::XzDecoder::new(&corpus_bytes(file)[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn fixtures_ext2_3_4() {
        for (file, flavour) in [
            ("formats/sevenz__ext2.img.xz", "ext2"),
            ("formats/sevenz__ext3.img.xz", "ext3"),
            ("formats/sevenz__ext4.img.xz", "ext4"),
        ] {
            let data = unxz(file);
            let id = Ext.identify(&data).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(id.size, Some(data.len() as u64), "{}", id.description);
            assert!(
                id.description.starts_with(&format!("{flavour}, ")),
                "{}",
                id.description
            );
            only(&Ext, &data);
        }
    }

    #[test]
    fn hostile_inputs() {
        let data = unxz("formats/sevenz__ext2.img.xz");
        let mut bad = data.clone();
        bad[1024] ^= 1; // inode count no longer matches the groups
        assert!(Ext.identify(&bad).is_none());
        hostile(&Ext, &data[..4096]);
        let mut junk = noise(4096, 6);
        junk[0x438..0x43a].copy_from_slice(&[0x53, 0xef]);
        assert!(Ext.identify(&junk).is_none());
    }
}
