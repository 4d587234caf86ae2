//! End to end through the engine: flash file systems found at any offset of a raw dump and
//! unpacked recursively (UBI → volume payload → UBIFS → files).

use iotassay_testkit::corpus_bytes;
use iotassay_unpack::{unpack_file, Manifest, Options};

fn unpack_bytes(data: &[u8]) -> Manifest {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.bin");
    std::fs::write(&path, data).unwrap();
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    unpack_file(&path, None, &options).expect("unpack runs")
}

fn content<'m>(m: &'m Manifest, inner: &str) -> &'m [u8] {
    m.nodes
        .iter()
        .find(|n| n.inner_path == inner && n.data.is_some())
        .and_then(|n| n.data.as_deref())
        .unwrap_or_else(|| {
            let formats: Vec<_> = m.regions.iter().map(|r| (r.offset, &r.format)).collect();
            panic!(
                "no {inner}: regions {formats:?} {:#?} {:#?}",
                m.regions, m.warnings
            )
        })
}

#[test]
fn ubifs_inside_ubi_inside_a_flash_dump() {
    // A boot loader's worth of erased flash, then the UBI partition.
    let mut dump = vec![0xffu8; 256 << 10];
    dump.extend(corpus_bytes("formats/ubi__ubi.img"));
    let m = unpack_bytes(&dump);
    let formats: Vec<&str> = m.regions.iter().map(|r| r.format.as_str()).collect();
    assert!(
        formats.contains(&"ubi") && formats.contains(&"ubifs"),
        "{formats:?}"
    );
    assert_eq!(
        content(&m, "testfile2"),
        b"This is the second test file".as_slice()
    );
    let ubi = m.regions.iter().find(|r| r.format == "ubi").unwrap();
    assert_eq!(ubi.offset, 256 << 10);
}

#[test]
fn ext_and_yaffs2_through_the_engine() {
    let m = unpack_bytes(&corpus_bytes("formats/yaffs__yaffs2_be.img"));
    assert_eq!(
        content(&m, "testfile2"),
        b"This is the second test file".as_slice()
    );
    let mut ext4 = Vec::new();
    std::io::Read::read_to_end(
        &mut liblzma::read::XzDecoder::new(&corpus_bytes("formats/sevenz__ext4.img.xz")[..]),
        &mut ext4,
    )
    .unwrap();
    let m = unpack_bytes(&ext4);
    assert_eq!(
        content(&m, "get_files_test/generic folder/test file 3_.txt"),
        b"The third test file!".as_slice()
    );
}
