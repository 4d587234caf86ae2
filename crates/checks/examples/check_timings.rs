//! Time every check on one image: `cargo run --release -p iotassay-checks --example check_timings -- IMAGE`.
//! Prints unpack and inventory time, then each check's time and finding count.

use std::time::Instant;

use iotassay_checks::{all_checks, CheckOptions, Context};
use iotassay_inventory::FileTree;
use iotassay_unpack::Options;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: check_timings IMAGE"))?;
    let data = std::fs::read(&path)?;
    let t = Instant::now();
    let manifest = iotassay_unpack::unpack(
        &path,
        &data,
        None,
        &Options {
            keep_data: true,
            ..Options::default()
        },
    )?;
    let unpack = t.elapsed();
    let t = Instant::now();
    let inventory = iotassay_inventory::inventory(&manifest);
    let inv = t.elapsed();
    let tree = FileTree::new(&manifest);
    let options = CheckOptions::default();
    let cx = Context {
        manifest: &manifest,
        tree: &tree,
        inventory: &inventory,
        options: &options,
    };
    println!(
        "{path}: {} bytes, {} nodes; unpack {:.1} ms, inventory {:.1} ms",
        data.len(),
        manifest.nodes.len(),
        unpack.as_secs_f64() * 1e3,
        inv.as_secs_f64() * 1e3
    );
    let all = Instant::now();
    for c in all_checks() {
        let t = Instant::now();
        let n = c.run(&cx).len();
        println!(
            "{:40} {:8.2} ms  {n} finding(s)",
            c.id(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    println!(
        "all checks, one after another: {:.1} ms",
        all.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let n = iotassay_checks::run_all(&cx).len();
    println!(
        "all checks, in parallel (run_all): {:.1} ms, {n} finding(s)",
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
