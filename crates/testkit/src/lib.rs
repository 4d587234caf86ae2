//! Test support shared by every crate's tests: where the firmware corpus lives.
//!
//! The corpus sits in `shared/` beside the checkout (and beside CI's clone); it is never copied into
//! the repository. `IOTASSAY_SHARED` overrides the location.

use std::path::{Path, PathBuf};

/// The `shared/` folder: `$IOTASSAY_SHARED`, else the first `shared/corpus/MANIFEST.md` found walking
/// up from this crate. Panics with a clear message when there is none, since tests cannot run without it.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IOTASSAY_SHARED") {
        return PathBuf::from(dir);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in here.ancestors() {
        let candidate = dir.join("shared");
        if candidate.join("corpus/MANIFEST.md").is_file() {
            return candidate;
        }
    }
    panic!(
        "the shared corpus was not found: expected shared/corpus/MANIFEST.md in a folder above {} \
         (or set IOTASSAY_SHARED)",
        here.display()
    );
}

/// Path of a corpus file, e.g. `corpus("real/tplink-mt7628-flashdump.bin")`. Panics with a clear
/// message when the file is absent.
pub fn corpus(relative: &str) -> PathBuf {
    let path = shared_dir().join("corpus").join(relative);
    assert!(path.is_file(), "corpus file missing: {}", path.display());
    path
}

/// The bytes of a corpus file.
pub fn corpus_bytes(relative: &str) -> Vec<u8> {
    let path = corpus(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Path of a file in `shared/data/`.
pub fn data(relative: &str) -> PathBuf {
    let path = shared_dir().join("data").join(relative);
    assert!(
        path.is_file(),
        "shared data file missing: {}",
        path.display()
    );
    path
}
