//! Replays the probe's fuzz seeds (`fuzz/seeds/probe_*`) and any saved crasher
//! (`fuzz/regressions-probe/probe_*`) through the fuzz entry points: device answers must never panic.

use std::path::Path;

fn entry_point(target: &str) -> fn(&[u8]) {
    match target {
        "probe_banner" => iotassay_probe::fuzz::banner,
        "probe_http" => iotassay_probe::fuzz::http,
        "probe_mqtt" => iotassay_probe::fuzz::mqtt,
        "probe_snmp" => iotassay_probe::fuzz::snmp,
        "probe_tls" => iotassay_probe::fuzz::tls,
        other => panic!("unknown probe fuzz target folder {other}"),
    }
}

#[test]
fn seeds_and_saved_crashers_are_handled() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for base in ["seeds", "regressions-probe"] {
        let Ok(dirs) = std::fs::read_dir(fuzz.join(base)) else {
            continue;
        };
        for dir in dirs {
            let dir = dir.unwrap().path();
            let target = dir.file_name().unwrap().to_string_lossy().into_owned();
            if !target.starts_with("probe_") {
                continue;
            }
            let f = entry_point(&target);
            for file in std::fs::read_dir(&dir).unwrap() {
                let data = std::fs::read(file.unwrap().path()).unwrap();
                f(&data);
                // Every prefix too: answers cut short anywhere.
                for cut in 0..data.len().min(512) {
                    f(&data[..cut]);
                }
                n += 1;
            }
        }
    }
    assert!(n >= 10, "the seeds are there ({n})");
}
