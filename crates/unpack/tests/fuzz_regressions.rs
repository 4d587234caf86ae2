//! Replays every saved crasher and hand-made hostile input in `fuzz/regressions/` through the
//! whole engine (in memory and on disk) and through its fuzz target's entry point.

use std::path::{Path, PathBuf};

use iotassay_unpack::formats::{archive, compression, container, flashfs, squashfs};
use iotassay_unpack::{unpack, Options};

/// The parser entry point of a fuzz target (as named by `fuzz/gen-targets.sh`).
fn entry_point(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "archive_cpio" => archive::fuzz_cpio,
        "archive_tar" => archive::fuzz_tar,
        "archive_zip" => archive::fuzz_zip,
        "archive_sevenz" => archive::fuzz_sevenz,
        "squashfs_v4" => squashfs::fuzz_v4,
        "squashfs_legacy" => squashfs::fuzz_legacy,
        "container_uimage" => container::fuzz_uimage,
        "container_fit" => container::fuzz_fit,
        "container_trx" => container::fuzz_trx,
        "container_tplink" => container::fuzz_tplink,
        "container_maxlinear" => container::fuzz_maxlinear,
        "container_dlink" => container::fuzz_dlink,
        "container_buffalo" => container::fuzz_buffalo,
        "container_draytek" => container::fuzz_draytek,
        "container_senao" => container::fuzz_senao,
        "container_dahua" => container::fuzz_dahua,
        "container_broadcom_sao" => container::fuzz_broadcom_sao,
        "container_alphanetworks" => container::fuzz_alphanetworks,
        "container_elf" => container::fuzz_elf,
        "container_banners" => container::fuzz_banners,
        "flashfs_jffs2" => flashfs::fuzz_jffs2,
        "flashfs_ubi" => flashfs::fuzz_ubi,
        "flashfs_cramfs" => flashfs::fuzz_cramfs,
        "flashfs_yaffs2" => flashfs::fuzz_yaffs2,
        "flashfs_ext" => flashfs::fuzz_ext,
        "flashfs_romfs" => flashfs::fuzz_romfs,
        "compression_gzip" => compression::fuzz_gzip,
        "compression_xz" => compression::fuzz_xz,
        "compression_lzma" => compression::fuzz_lzma,
        "compression_bzip2" => compression::fuzz_bzip2,
        "compression_zstd" => compression::fuzz_zstd,
        "compression_lz4" => compression::fuzz_lz4,
        "compression_lz4_legacy" => compression::fuzz_lz4_legacy,
        "compression_lzop" => compression::fuzz_lzop,
        "compression_arcadyan" => compression::fuzz_arcadyan,
        "compression_zimage" => compression::fuzz_zimage,
        "compression_bzimage" => compression::fuzz_bzimage,
        _ => return None,
    })
}

fn regressions() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fuzz/regressions exists") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).unwrap() {
            out.push((target.clone(), file.unwrap().path()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_saved_input_is_handled_without_panic_or_escape() {
    let inputs = regressions();
    assert!(inputs.len() >= 4, "the hand-made hostile inputs are there");
    for (target, path) in inputs {
        let data = std::fs::read(&path).unwrap();
        if target != "engine" {
            let f = entry_point(&target)
                .unwrap_or_else(|| panic!("unknown fuzz target folder {target}"));
            f(&data);
        }
        let options = Options {
            budget: Some(64 << 20),
            max_depth: 8,
            keep_data: true,
            ..Options::default()
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        unpack(&name, &data, None, &options).unwrap();
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        std::fs::create_dir(&out).unwrap();
        unpack(&name, &data, Some(&out), &options).unwrap();
        let beside: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
        assert_eq!(beside.len(), 1, "{name} wrote outside its output folder");
    }
}

#[test]
fn the_write_through_symlink_tar_stays_inside() {
    let data = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/engine/tar-write-through-symlink.tar"),
    )
    .unwrap();
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let m = unpack("t.tar", &data, Some(&out), &Options::default()).unwrap();
    // The file behind the link was refused (a warning), the absolute path landed inside.
    assert!(
        m.warnings.iter().any(|w| w.reason.contains("escape/pwned")),
        "{:#?}",
        m.warnings
    );
    let abs = m
        .nodes
        .iter()
        .find(|n| n.inner_path == "abs/path")
        .expect("absolute member kept inside");
    assert_eq!(std::fs::read(out.join(&abs.path)).unwrap(), b"pwned");
    assert!(!Path::new("/tmp/pwned").exists() || std::fs::read("/tmp/pwned").unwrap() != b"pwned");
}
