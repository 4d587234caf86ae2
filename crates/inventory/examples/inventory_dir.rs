//! Inventory of a folder already extracted by another tool (e.g. `unsquashfs -d DIR image`), for
//! checking facts by hand and timing: `cargo run --release -p iotassay-inventory --example
//! inventory_dir -- DIR [--json]`. The folder is read into a synthetic one-region manifest (modes
//! and owners as the host sees them), then [`iotassay_inventory::inventory`] runs on it.

use std::path::Path;
use std::time::Instant;

use iotassay_inventory::testing::ManifestBuilder;
use iotassay_unpack::{Kind, NodeKind};

fn walk(b: &mut ManifestBuilder, region: usize, base: &Path, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&path)?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = std::fs::read_link(&path)?;
            b.symlink(region, &rel, &target.to_string_lossy());
        } else if ft.is_dir() {
            b.node(region, &rel, NodeKind::Dir, meta.mode(), None, None);
            walk(b, region, base, &path)?;
        } else if ft.is_file() {
            let data = std::fs::read(&path)?;
            b.node(region, &rel, NodeKind::File, meta.mode(), Some(&data), None);
        }
        b.owner(meta.uid(), meta.gid());
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).expect("usage: inventory_dir DIR [--json]"));
    let mut b = ManifestBuilder::new("dir");
    let r = b.region("dir", Kind::Filesystem, 0, None);
    walk(&mut b, r, dir, dir)?;
    let manifest = b.build();
    let started = Instant::now();
    let inv = iotassay_inventory::inventory(&manifest);
    let elapsed = started.elapsed();
    if args.iter().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&inv).unwrap());
    }
    let bytes: u64 = manifest.nodes.iter().map(|n| n.size).sum();
    eprintln!(
        "{} nodes, {} bytes, {} ELF files: inventory in {:.1} ms",
        manifest.nodes.len(),
        bytes,
        inv.elf.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}
