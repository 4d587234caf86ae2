//! Candidates per second per password scheme: the prepared verifier the cracking loop uses
//! (`crypt::Prepared`: md5crypt/apr1 salt and digest parsed once, no allocation per candidate;
//! the other schemes as `verify`) against the one-shot `crypt::verify` (parses the hash and
//! allocates the crypt string per candidate).
//! Not a test. Run: `cargo bench -p iotassay-checks --bench crack` (one thread; the scan tries
//! a hash's candidates on every thread of its pool). Each rate is the median of
//! `CRACK_BENCH_ROUNDS` (9) windows of `CRACK_BENCH_MS` (100) ms, the two verifiers in turn.

use std::hint::black_box;
use std::time::{Duration, Instant};

use iotassay_checks::crypt::{verify, Prepared, Scheme};

/// Hashes of a password in no list (glibc crypt(3), Perl's `crypt`; `openssl passwd`).
const HASHES: &[&str] = &[
    "{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=",
    "Hqo32ZKXmpY8s",
    "_J9..saltk7/dRyUYM92",
    "$1$h4salt$ToLZydCDP9DBDIe6/QMzL/",
    "$apr1$abcdefgh$mMZnMi5KMcUTRCidnJ3Px0",
    "$5$rounds=1000$h4salt$FzSlxCZ4SHY7b/Mj7buxgrJK7ai3W.FdPWJ.KnmBOO1",
    "$6$h4salt$kZ.dCqBCORgbseVmMbOJkZznuSL7UDNlwh7g.OuYn.seVbiYN6ODHoC3igxpX5xs10giIB/1C.EIJ/iJiFyWX.",
    "$6$rounds=5000$h4saltsalt$1C6S5MBnMC4Br59gJ8kZFZEhpk1wUklopTiodHw/tBJpVngkDSoWKt6oEAnNhERHqCTTFNySonvp1WogJdTLK/",
    "$2b$04$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
    "$2b$10$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
    "$y$j9T$abcdefgh$y7YixSZSrQy8hU6ORzd2u2Wa2NMN3ZDzpKLLnB2kgT9",
];

/// Candidates per second of `f` over the common list during one window of `time`.
fn rate(time: Duration, f: &mut dyn FnMut(&str) -> bool) -> f64 {
    let words = iotassay_credentials::common_passwords();
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < time {
        for w in words.iter().skip(n % words.len()).take(16) {
            black_box(f(black_box(w)));
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Median rates of `a` and `b` over `rounds` windows taken in turn (a loaded machine drifts: the
/// two see the same load).
fn compare(
    rounds: usize,
    time: Duration,
    a: &mut dyn FnMut(&str) -> bool,
    b: &mut dyn FnMut(&str) -> bool,
) -> (f64, f64) {
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ra.push(rate(time, a));
        rb.push(rate(time, b));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut ra), median(&mut rb))
}

fn main() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let time = Duration::from_millis(env("CRACK_BENCH_MS", 100));
    let rounds = env("CRACK_BENCH_ROUNDS", 9) as usize;
    println!("| hash | scheme, cost | prepared (candidates/s) | verify() (candidates/s) | ratio |");
    println!("|---|---|---|---|---|");
    for hash in HASHES {
        let prepared = Prepared::new(hash).expect("verifiable");
        let (fast, slow) = compare(rounds, time, &mut |w| prepared.verify(w), &mut |w| {
            verify(hash, w) == Some(true)
        });
        let cost = iotassay_checks::crypt::cost(hash)
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        let shown: String = hash.chars().take(24).collect();
        println!(
            "| `{shown}…` | {}{cost} | {fast:.0} | {slow:.0} | {:.2} |",
            Scheme::of(hash),
            fast / slow
        );
    }
}
