//! Memory bounds of the binary, measured as the kernel counts them: the peak resident set of the
//! child process (`ru_maxrss` from `wait4`), not a timing.

use std::io::Write;
use std::process::{Command, Stdio};

/// Peak resident memory in bytes, and the exit code, of `iotassay args…`.
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which also reports its peak memory
fn peak_rss(args: &[&str]) -> (u64, Option<i32>) {
    let child = Command::new(env!("CARGO_BIN_EXE_iotassay"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain out-parameters; `pid` is our child, waited for once (here, not by `child`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (usage.ru_maxrss as u64 * 1024, code)
}

/// A gzip bomb: `len` zeros, about 1000:1.
fn bomb(len: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mib = vec![0u8; 1 << 20];
    for _ in 0..len >> 20 {
        e.write_all(&mib).unwrap();
    }
    e.finish().unwrap()
}

const MIB: u64 = 1 << 20;

#[test]
fn a_gzip_bomb_stays_within_the_budget_in_unpack_and_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bomb.gz");
    std::fs::write(&path, bomb(300 << 20)).unwrap();
    let image = path.to_str().unwrap();
    let budget = 64 * MIB;
    // The binary itself, its threads and the allocator's caches: measured at about 20 MiB; the
    // bound allows three times that. The decode of the bomb past the budget (to 300 MiB, or to
    // the 256 MiB an identification decode was allowed) is what must not show.
    let slack = 64 * MIB;
    let out = tmp.path().join("out");
    let budget_arg = budget.to_string();
    let (peak, code) = peak_rss(&[
        "unpack",
        image,
        "-o",
        out.to_str().unwrap(),
        "--budget",
        &budget_arg,
    ]);
    assert_eq!(code, Some(2), "the budget stops the unpack");
    assert!(
        peak < budget + slack,
        "unpack peaked at {} MiB under a budget of {} MiB",
        peak / MIB,
        budget / MIB
    );
    for spill in ["memory", "disk"] {
        let (peak, code) = peak_rss(&[
            "scan",
            image,
            "--fail-on",
            "critical",
            "--budget",
            &budget_arg,
            "--spill",
            spill,
        ]);
        assert!(code.is_some(), "scan exits rather than dies");
        assert!(
            peak < budget + slack,
            "scan --spill {spill} peaked at {} MiB under a budget of {} MiB",
            peak / MIB,
            budget / MIB
        );
    }
}

/// `scan --spill disk` reads every file mapped from a temporary folder: the assessment must be the
/// one made in memory, and the folder must be gone afterwards.
#[test]
fn scanning_from_disk_assesses_as_in_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let image =
        iotassay_testkit::shared_dir().join("corpus/real/openwrt-12.09-tl-wr703n-factory.bin");
    let assess = |spill: &str| {
        let json = tmp.path().join(format!("{spill}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_iotassay"))
            .args([
                "scan",
                image.to_str().unwrap(),
                "--fail-on",
                "critical",
                "--spill",
                spill,
            ])
            .arg("--json")
            .arg(&json)
            .env("TMPDIR", &scratch)
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
        let mut a: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        // Timings differ run to run; everything else must not.
        a["timings"] = serde_json::Value::Null;
        a["unpack"]["stats"]["elapsed_ms"] = serde_json::Value::Null;
        a["inventory"]["stats"]["elapsed_ms"] = serde_json::Value::Null;
        a
    };
    let memory = assess("memory");
    let disk = assess("disk");
    assert!(memory["findings"].as_array().unwrap().len() > 5);
    assert_eq!(memory, disk);
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "the temporary folder is removed"
    );
}
