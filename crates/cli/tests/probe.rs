//! `iotassay probe` end to end: the scope guard, and the comparison of a live (loopback) device with
//! a real firmware scan (the demo image's assessment) and a declaration.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn iotassay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iotassay"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn ranges_and_special_addresses_are_refused() {
    for (target, words) in [
        ("127.0.0.0/24", "--cidr"),
        ("224.0.0.251", "multicast"),
        ("127.0.0.0/16", "at most 256"),
    ] {
        let mut args = vec!["probe", target];
        if target.ends_with("/16") {
            args.push("--cidr");
        }
        let out = iotassay(&args);
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{target}: {err}");
        assert!(out.stdout.is_empty(), "nothing probed for {target}");
    }
}

#[test]
fn live_services_are_compared_with_the_scan_and_the_declaration() {
    let dropbear = Path::new("/usr/sbin/dropbear");
    assert!(
        dropbear.exists(),
        "dropbear is missing: install the Debian package dropbear-bin (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A real firmware scan: the demo image starts telnetd from etc/init.d/S50telnet.
    let demo = iotassay(&["demo", "--out", d.join("demo").to_str().unwrap()]);
    assert!(demo.status.success(), "{demo:?}");
    let assessment = d.join("demo/assessment.json");
    // The "device" runs SSH instead, which neither the firmware nor the declaration mentions.
    let key = d.join("key");
    assert!(Command::new("/usr/bin/dropbearkey")
        .args(["-t", "ed25519", "-f"])
        .arg(&key)
        .output()
        .unwrap()
        .status
        .success());
    let mut server = Command::new(dropbear)
        .args(["-F", "-E", "-s", "-p", "127.0.77.8:2222", "-r"])
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect("127.0.77.8:2222").is_err() {
        assert!(Instant::now() < until, "dropbear did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let decl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/declaration.example.toml");
    let json = d.join("probe.json");
    let out = iotassay(&[
        "probe",
        "127.0.77.8",
        "--ports",
        "23,2222",
        "--udp",
        "none",
        "--no-login",
        "--assessment",
        assessment.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).starts_with(
        "probing 127.0.77.8 (127.0.77.8): 2 TCP port(s), UDP none; at most 0 credential"
    ));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["schema"], "iotassay.probe/1");
    let c = &report["comparison"];
    assert_eq!(
        c["started_not_exposed"][0],
        "etc/init.d/S50telnet:3 starts telnetd (telnet) at boot; no telnet answered on the device's probed ports"
    );
    assert_eq!(
        c["exposed_not_started"][0],
        "SSH answers on 127.0.77.8:2222/ssh but the firmware starts no dropbear/sshd at boot"
    );
    assert_eq!(
        c["undeclared"][0],
        "the declaration lists its interfaces as web-ui, uart (no SSH); but SSH answers on 127.0.77.8:2222/ssh"
    );
    let checks: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    for want in [
        "probe.undeclared_interface",
        "probe.scan_mismatch",
        "probe.open_ports",
    ] {
        assert!(checks.contains(&want), "{checks:?}");
    }
    assert!(
        !checks.iter().any(|c| c.contains("credential")),
        "--no-login: {checks:?}"
    );
}
