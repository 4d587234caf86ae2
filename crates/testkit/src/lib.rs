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

/// Where `.ci/schemas.sh` installs the official JSON schemas the tests validate against.
pub const DEFAULT_SCHEMA_DIR: &str = "/usr/local/share/iotassay/schemas";

/// An official JSON schema installed by `.ci/schemas.sh` (from the npm and PyPI packages that
/// ship them; never committed): `$IOTASSAY_SCHEMAS/<name>`, default [`DEFAULT_SCHEMA_DIR`].
/// Panics with what to run when it is missing.
pub fn schema(name: &str) -> serde_json::Value {
    let dir = std::env::var_os("IOTASSAY_SCHEMAS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SCHEMA_DIR));
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "schema {} is missing ({e}): run `bash .ci/schemas.sh` (it installs the official \
             schemas from npm and PyPI into $IOTASSAY_SCHEMAS, default {DEFAULT_SCHEMA_DIR})",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("schema {} is not JSON: {e}", path.display()))
}

/// `n` bytes from a seeded xorshift64 generator: data as random-looking as an encrypted image
/// (about 8 bits of entropy per byte), the same on every run.
pub fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect()
}
