//! Large files are streamed block-parallel (SquashFS v4 → `Body::Stream`): contents must come out
//! byte for byte, in memory and on disk, including a tail kept in a fragment block.

use std::io::Cursor;

use backhand::compression::Compressor;
use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};
use iotassay_unpack::{unpack, NodeKind, Options};

/// 6 MiB + 1,234 bytes of varied, compressible data: blocks differ, so a block mix-up shows.
fn big_file() -> Vec<u8> {
    let mut x: u32 = 1;
    (0..(6 << 20) + 1234)
        .map(|i: usize| {
            if i.is_multiple_of(4096) {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            }
            ((i / 4096) as u32 ^ (x >> 16)) as u8 ^ (i as u8 & 0x0f)
        })
        .collect()
}

fn image(compressor: Compressor, content: &[u8]) -> Vec<u8> {
    let header = NodeHeader {
        permissions: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
    };
    let mut fs = FilesystemWriter::default();
    fs.set_compressor(FilesystemCompressor::new(compressor, None).unwrap());
    fs.push_file(Cursor::new(content.to_vec()), "big.bin", header)
        .unwrap();
    fs.push_file(Cursor::new(b"small".to_vec()), "small.txt", header)
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    fs.write(&mut out).unwrap();
    out.into_inner()
}

#[test]
fn large_files_stream_byte_for_byte() {
    let content = big_file();
    for compressor in [Compressor::Xz, Compressor::Gzip, Compressor::Zstd] {
        let img = image(compressor, &content);
        let options = Options {
            keep_data: true,
            ..Options::default()
        };
        let m = unpack("big.sqfs", &img, None, &options).unwrap();
        let big = m
            .nodes
            .iter()
            .find(|n| n.inner_path == "big.bin")
            .expect("big.bin");
        assert_eq!(big.kind, NodeKind::File);
        assert_eq!(big.size, content.len() as u64, "{compressor:?}");
        assert!(
            big.data.as_deref() == Some(&content[..]),
            "{compressor:?}: content differs"
        );
        assert!(m.warnings.is_empty(), "{:#?}", m.warnings);

        let out = tempfile::tempdir().unwrap();
        let m = unpack("big.sqfs", &img, Some(out.path()), &Options::default()).unwrap();
        let big = m.nodes.iter().find(|n| n.inner_path == "big.bin").unwrap();
        assert_eq!(std::fs::read(out.path().join(&big.path)).unwrap(), content);
        let sha = m
            .nodes
            .iter()
            .find(|n| n.inner_path == "big.bin")
            .unwrap()
            .sha256
            .clone();
        assert!(sha.is_some());
    }
}

#[test]
fn a_damaged_block_keeps_the_prefix_and_warns() {
    let content = big_file();
    let mut img = image(Compressor::Gzip, &content);
    // Damage data well inside the big file's blocks (they follow the 96-byte superblock).
    let at = img.len() / 3;
    for b in &mut img[at..at + 64] {
        *b ^= 0xa5;
    }
    let options = Options {
        keep_data: true,
        ..Options::default()
    };
    let m = unpack("damaged.sqfs", &img, None, &options).unwrap();
    assert!(m.aborted.is_none());
    assert!(!m.warnings.is_empty(), "the damage is reported");
    if let Some(big) = m.nodes.iter().find(|n| n.inner_path == "big.bin") {
        let data = big.data.as_deref().unwrap_or_default();
        assert!(data.len() < content.len());
        assert_eq!(
            data,
            &content[..data.len()],
            "what is kept is the true prefix"
        );
    }
}

/// An input bigger than the release interval: its mapped pages are dropped while it is hashed and
/// extracted (to keep the resident set small) and read back from the page cache, so every byte
/// must still come out right.
#[test]
fn a_large_mapped_input_released_while_unpacked_comes_out_intact() {
    use sha2::{Digest, Sha256};
    let part = |seed: u8| -> Vec<u8> {
        (0..40usize << 20)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ (i >> 12) as u8)
            .collect()
    };
    let (a, b) = (part(0x5a), part(0xa5));
    let mut builder = ::tar::Builder::new(Vec::new());
    for (name, content) in [("a.bin", &a), ("b.bin", &b)] {
        let mut header = ::tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, &content[..])
            .unwrap();
    }
    let image = builder.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.tar");
    std::fs::write(&input, &image).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let m = iotassay_unpack::unpack_file(&input, Some(&out), &Options::default()).unwrap();
    assert_eq!(m.input.sha256, hex::encode(Sha256::digest(&image)));
    for (name, content) in [("a.bin", &a), ("b.bin", &b)] {
        let node = m.nodes.iter().find(|n| n.path.ends_with(name)).unwrap();
        assert_eq!(
            node.sha256.as_deref(),
            Some(&*hex::encode(Sha256::digest(content)))
        );
        assert!(
            std::fs::read(out.join(&node.path)).unwrap() == *content,
            "{name}"
        );
    }
}
