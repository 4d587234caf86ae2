//! Dahua firmware: a zip archive whose first local-header magic `PK\x03\x04` reads `DH\x03\x04`
//! (FACT's `dahua.py` restores the two bytes; binwalk v2 did the same). Identified when the rest is
//! a complete zip (plausible first local header, end of central directory pointing back at a
//! central directory); extraction emits the repaired archive as a payload, which the engine then
//! unpacks with the zip handler — one zip reader for both.

use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
use crate::formats::archive::zip::disguised_zip;

use super::payload;

/// Dahua `DH` zip.
pub struct Dahua;

const MAGIC: &[u8] = b"DH\x03\x04";

impl Format for Dahua {
    fn name(&self) -> &'static str {
        "dahua"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(MAGIC)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        if !data.starts_with(MAGIC) {
            return None;
        }
        let (entries, end) = disguised_zip(data)?;
        Some(Identified::new(
            Some(end as u64),
            format!("Dahua firmware: zip with a DH header, {entries} entries"),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let mut zip = data.to_vec();
        zip[..2].copy_from_slice(b"PK");
        payload(out, "firmware.zip", &zip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::archive::zip::Zip;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fact_fixture_is_a_repaired_zip() {
        let data = corpus_bytes("formats/dahua__dh.bin");
        let id = Dahua.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert_eq!(
            id.description,
            "Dahua firmware: zip with a DH header, 5 entries"
        );
        let (c, r) = Collector::run(&Dahua, &data, 1 << 20).unwrap();
        r.unwrap();
        let zip = c.file("firmware.zip").unwrap();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(zip[4..], data[4..]);
        // The repaired bytes are a complete zip with FACT's three test files.
        let (z, r) = Collector::run(&Zip, &zip, 1 << 20).expect("a zip");
        r.unwrap();
        assert_eq!(
            z.file("get_files_test/testfile2").unwrap(),
            b"This is the second test file"
        );
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/dahua__dh.bin");
        hostile(&Dahua, &data);
        // Without its end of central directory it is not claimed (the zip handler's walk of
        // local headers takes over for truncated zips).
        assert!(Dahua.identify(&data[..data.len() - 22]).is_none());
        let mut junk = noise(4096, 17);
        junk[..4].copy_from_slice(MAGIC);
        assert!(Dahua.identify(&junk).is_none());
        // A real zip is the zip handler's.
        let mut zip = data.clone();
        zip[..2].copy_from_slice(b"PK");
        assert!(Dahua.identify(&zip).is_none());
    }
}
