//! romfs: `-rom1fs-`, the image size and a checksum making the big-endian 32-bit words of the first
//! 512 bytes (or of the whole image when shorter) sum to zero, then the volume name.

use crate::bytes::{be_u32, c_string, slice};
use crate::format::{Identified, Magic};

use super::identify_only;

/// romfs (identification only).
pub struct Romfs;
identify_only!(Romfs, "romfs", "romfs", &[Magic::at_start(b"-rom1fs-")]);

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
    let sum = checked.chunks_exact(4).fold(0u32, |acc, w| {
        acc.wrapping_add(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    });
    if sum != 0 {
        return None;
    }
    let name_field = slice(data, 16, size.min(16 + 256) - 16)?;
    let name = c_string(name_field);
    Some(Identified::new(
        Some(size as u64),
        format!("romfs, volume \"{}\", {size} bytes", name.escape_default()),
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
        hostile(&Romfs, &data);
        let mut junk = noise(1024, 2);
        junk[..8].copy_from_slice(b"-rom1fs-");
        assert!(Romfs.identify(&junk).is_none());
    }
}
