//! Import and match speed at real size: generates an NVD CVE API 2.0 year feed of 30,000 records
//! shaped like real ones (two descriptions, v3.1 + v2 metrics with every field, weaknesses, one to
//! three configurations of 1–40 `cpeMatch` with ranges, 5–20 tagged references), imports it into a
//! fresh database and matches 1,000 components.
//!
//! `cargo run --release -p iotassay-vulndb --example bench [RECORDS]`

use std::io::Write;
use std::time::Instant;

use iotassay_vulndb::{ComponentRef, Db};
use serde_json::json;

/// The allocator of the `iotassay` binary, which is what runs `db import` and `scan --db`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Small deterministic generator (xorshift) so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PRODUCTS: u64 = 6_000;

fn version(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("{}.{}.{}", r.below(5), r.below(30), r.below(40)),
        1 => format!("{}.{}", 2000 + r.below(25), r.below(99)),
        _ => format!(
            "{}.{}.{}{}",
            r.below(3),
            r.below(10),
            r.below(9),
            (b'a' + r.below(26) as u8) as char
        ),
    }
}

fn record(i: u64, r: &mut Rng) -> serde_json::Value {
    let words = "buffer overflow in the handler allows remote attackers to execute arbitrary code via a crafted request ";
    let configs: Vec<_> = (0..1 + r.below(3))
        .map(|c| {
            let wide = r.below(10) == 0;
            let n = 1 + r.below(if wide { 40 } else { 4 });
            let p = r.below(PRODUCTS);
            let matches: Vec<_> = (0..n)
                .map(|k| {
                    let mut m = json!({"vulnerable": c == 0 || r.below(2) == 0,
                        "criteria": if k % 3 == 2 {
                            format!("cpe:2.3:a:vendor{}:product{}:{}:*:*:*:*:*:*:*", p % 997, p, version(r))
                        } else {
                            format!("cpe:2.3:a:vendor{}:product{}:*:*:*:*:*:*:*:*", p % 997, p)
                        },
                        "matchCriteriaId": format!("{:08X}-0000-4000-8000-{:012X}", r.next() as u32, r.next() & 0xffff_ffff_ffff)});
                    if k % 3 != 2 {
                        m["versionStartIncluding"] = json!(version(r));
                        m["versionEndExcluding"] = json!(version(r));
                    }
                    m
                })
                .collect();
            json!({"nodes": [{"operator": "OR", "negate": false, "cpeMatch": matches}]})
        })
        .collect();
    let refs: Vec<_> = (0..5 + r.below(15))
        .map(|k| json!({"url": format!("https://example.invalid/advisories/{i}/{k}"), "source": "cve@mitre.org", "tags": ["Third Party Advisory", "VDB Entry"]}))
        .collect();
    json!({"cve": {
        "id": format!("CVE-2024-{:05}", i), "sourceIdentifier": "cve@mitre.org",
        "published": "2024-03-01T10:15:07.123", "lastModified": "2024-06-01T12:00:00.000", "vulnStatus": "Analyzed",
        "cveTags": [],
        "descriptions": [{"lang": "en", "value": words.repeat(3)}, {"lang": "es", "value": words.repeat(3)}],
        "metrics": {
            "cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"version": "3.1",
                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": (r.below(100) as f64) / 10.0,
                "baseSeverity": "CRITICAL", "attackVector": "NETWORK", "attackComplexity": "LOW", "privilegesRequired": "NONE",
                "userInteraction": "NONE", "scope": "UNCHANGED", "confidentialityImpact": "HIGH", "integrityImpact": "HIGH",
                "availabilityImpact": "HIGH"}, "exploitabilityScore": 3.9, "impactScore": 5.9}],
            "cvssMetricV2": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {"version": "2.0",
                "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "baseScore": 7.5, "accessVector": "NETWORK",
                "accessComplexity": "LOW", "authentication": "NONE", "confidentialityImpact": "PARTIAL",
                "integrityImpact": "PARTIAL", "availabilityImpact": "PARTIAL"}, "baseSeverity": "HIGH",
                "exploitabilityScore": 10.0, "impactScore": 6.4, "acInsufInfo": false, "obtainAllPrivilege": false,
                "obtainUserPrivilege": false, "obtainOtherPrivilege": false, "userInteractionRequired": false}]},
        "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary", "description": [{"lang": "en", "value": "CWE-787"}]}],
        "configurations": configs, "references": refs}})
}

/// CPU seconds (user + system) this process has used: on a shared machine, wall time overstates cost.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = dir.path().join("nvdcve-2.0-2024.json");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&feed).expect("create"));
        write!(w, r#"{{"resultsPerPage":{n},"startIndex":0,"totalResults":{n},"format":"NVD_CVE","version":"2.0","timestamp":"2024-06-01T00:00:00.000","vulnerabilities":["#).unwrap();
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..n {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            serde_json::to_writer(&mut w, &record(i, &mut r)).unwrap();
        }
        w.write_all(b"]}").unwrap();
    }
    let feed_size = std::fs::metadata(&feed).unwrap().len();
    let mut db = Db::open(dir.path().join("vuln.db")).expect("open");
    let t = Instant::now();
    let cpu = cpu_seconds();
    let stats = db.import(&[&feed]).expect("import");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let status = db.status().expect("status");
    println!(
        "import: {} records from a {:.1} MB feed in {:.2} s = {:.0} records/s ({:.2} CPU s on 2 threads); database {:.1} MB",
        stats.nvd,
        feed_size as f64 / 1e6,
        secs,
        stats.nvd as f64 / secs,
        cpu,
        status.size_bytes as f64 / 1e6
    );

    let mut r = Rng(42);
    let comps: Vec<ComponentRef> = (0..1000)
        .map(|_| {
            let p = r.below(PRODUCTS);
            ComponentRef {
                name: format!("product{p}"),
                vendor: Some(format!("vendor{}", p % 997)),
                product: Some(format!("product{p}")),
                version: Some(version(&mut r)),
                ..ComponentRef::default()
            }
        })
        .collect();
    // First call warms SQLite's page cache and the prepared statements, as a scan would.
    let _ = db.matches(&comps[..10]).expect("match");
    // Five runs: the machine is shared, so the minimum is the best estimate of the cost.
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let cpu = cpu_seconds();
        found = db.matches(&comps).expect("match").len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        cpu_times.push((cpu_seconds() - cpu) * 1e3);
    }
    times.sort_by(f64::total_cmp);
    cpu_times.sort_by(f64::total_cmp);
    println!(
        "match: 1000 components in {:.1} ms (min of 5; median {:.1} ms; CPU {:.1} ms min), {found} matches",
        times[0], times[2], cpu_times[0]
    );
}
