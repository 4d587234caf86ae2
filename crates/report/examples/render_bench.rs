//! Time to render each report format from an assessment JSON (run by `bench/report.sh`).
//! Usage: render_bench ASSESSMENT.json [iterations]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: render_bench ASSESSMENT.json [iterations]");
    let n: usize = args.next().map_or(20, |s| s.parse().expect("iterations"));
    let bytes = std::fs::read(&path).expect("read the assessment");
    let started = Instant::now();
    let a = iotassay_report::load(&bytes).expect("an assessment");
    println!(
        "load: {:.2} ms ({} KiB JSON, {} findings, {} ELF files, {} components)",
        started.elapsed().as_secs_f64() * 1e3,
        bytes.len() / 1024,
        a.findings.len(),
        a.inventory.elf.len(),
        a.inventory.components.len()
    );
    println!("| format | median ms | min ms | bytes |\n|---|---|---|---|");
    for format in iotassay_report::Format::ALL {
        let mut times = Vec::with_capacity(n);
        let mut size = 0;
        for _ in 0..n {
            let t = Instant::now();
            let out = iotassay_report::render(&a, format);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            size = out.iter().map(|o| o.bytes.len()).sum();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {format} | {:.3} | {:.3} | {size} |",
            times[n / 2],
            times[0]
        );
    }
}
