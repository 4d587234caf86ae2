//! Microcontroller firmware end to end: the corpus' ESP32 application images (facts from
//! `corpus/MANIFEST.md`) come out with segments, verified SHA-256, app descriptor, ESP-IDF as a
//! component with its CPE, the hard-coded Wi-Fi password with its image offset and the OTA
//! mechanism reported as unsigned.

use iotassay_checks::{assess, Assessment, CheckOptions, GuidelineStatus};
use iotassay_testkit::corpus_bytes;
use iotassay_unpack::Options;

fn scan_bytes(name: &str, data: &[u8]) -> Assessment {
    assess(name, data, &Options::default(), &CheckOptions::default()).unwrap()
}

fn guideline(a: &Assessment, n: u8) -> GuidelineStatus {
    a.guidelines.iter().find(|g| g.number == n).unwrap().status
}

fn esp_idf(a: &Assessment) -> (&str, Option<&str>) {
    let c = a
        .inventory
        .components
        .iter()
        .find(|c| c.name == "esp-idf")
        .unwrap_or_else(|| panic!("no esp-idf in {:#?}", a.inventory.components));
    (c.version.as_str(), c.cpe.as_deref())
}

#[test]
fn https_ota_app_descriptor_components_wifi_password_and_unsigned_ota() {
    let data = corpus_bytes("real/esp32-arduino-https-ota-app.bin");
    let a = scan_bytes("esp32-arduino-https-ota-app.bin", &data);
    assert_eq!(a.inventory.mcu.len(), 1, "{:#?}", a.unpack.regions);
    let img = &a.inventory.mcu[0];
    assert_eq!(img.segments.len(), 5);
    assert!(img.description.starts_with("ESP32 image, 5 segments"));
    assert!(img.description.contains("checksum ok, SHA-256 verified"));
    assert_eq!(img.idf_version.as_deref(), Some("v4.4.4"));
    assert_eq!(img.version.as_deref(), Some("esp-idf: v4.4.4 e8bdaf9198"));
    assert_eq!(img.build_date.as_deref(), Some("Apr 20 2023 00:53:55"));
    assert!(!img.signed);
    // The first segment's bytes start right after the 24-byte header and its 8-byte header.
    assert_eq!(img.segments[0].offset, 0x20);
    assert_eq!(
        esp_idf(&a),
        (
            "4.4.4",
            Some("cpe:2.3:a:espressif:esp-idf:4.4.4:*:*:*:*:*:*:*")
        )
    );
    for lib in ["mbedtls", "lwip", "freertos", "arduino-esp32"] {
        assert!(
            a.inventory.components.iter().any(|c| c.name == lib
                && c.cpe.is_some()
                && c.evidence.iter().all(|e| e.offset.is_some())),
            "{lib} missing: {:#?}",
            a.inventory.components
        );
    }

    let wifi: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.check == "mcu.wifi_credentials")
        .collect();
    assert_eq!(wifi.len(), 1, "{wifi:#?}");
    assert!(wifi[0].title.contains("\"Panda1234\"") && wifi[0].title.contains("\"Programming\""));
    // The cited offset is where the password is in the image file.
    let at = wifi[0].evidence[0].offset.unwrap() as usize;
    assert_eq!(&data[at..at + 9], b"Panda1234");
    assert!(wifi[0].provisions.iter().any(|p| p.as_str() == "5.1-1"));

    let ota: Vec<_> = a.findings.iter().filter(|f| f.check == "mcu.ota").collect();
    assert!(ota
        .iter()
        .any(|f| f.title.contains("esp_https_ota") && f.title.starts_with("OTA update mechanism")));
    let unsigned = ota
        .iter()
        .find(|f| f.title.contains("not signed"))
        .expect("unsigned OTA reported");
    assert!(unsigned.provisions.iter().any(|p| p.as_str() == "5.3-9"));
    let at = unsigned.evidence[1].offset.unwrap() as usize;
    assert_eq!(&data[at..at + 13], b"esp_https_ota");

    assert_eq!(guideline(&a, 1), GuidelineStatus::Fail);
    assert_eq!(guideline(&a, 3), GuidelineStatus::Fail);
    // Guidelines no microcontroller check examines stay not assessed, never an empty pass.
    assert_eq!(guideline(&a, 6), GuidelineStatus::NotAssessed);
    assert_eq!(guideline(&a, 13), GuidelineStatus::NotAssessed);
}

#[test]
fn ota_app_on_esp_idf_5_4_1() {
    let data = corpus_bytes("real/esp32-arduino-ota-app.bin");
    let a = scan_bytes("esp32-arduino-ota-app.bin", &data);
    let img = &a.inventory.mcu[0];
    assert_eq!(img.segments.len(), 6);
    assert!(img.description.contains("SHA-256 verified"));
    assert_eq!(
        img.idf_version.as_deref(),
        Some("v5.4.1-1-g2f7dcd862a-dirty")
    );
    assert_eq!(img.build_date.as_deref(), Some("Mar 28 2025 06:14:09"));
    assert_eq!(
        esp_idf(&a),
        (
            "5.4.1",
            Some("cpe:2.3:a:espressif:esp-idf:5.4.1:*:*:*:*:*:*:*")
        )
    );
    // No Wi-Fi literal pair in this one: no credential finding invented from log strings.
    assert!(!a.findings.iter().any(|f| f.check == "mcu.wifi_credentials"));
    assert!(a
        .findings
        .iter()
        .any(|f| f.check == "mcu.ota" && f.title.contains("not signed")));
    // Nothing fails guideline 1, but not every mandatory provision of it can be examined in an
    // application image (5.1-2, 5.1-4, 5.1-5 are about the device's running behaviour).
    assert_eq!(guideline(&a, 1), GuidelineStatus::Partial);
}

#[test]
fn a_corrupted_segment_is_not_an_image_and_a_bad_hash_is_reported() {
    let data = corpus_bytes("real/esp32-arduino-ota-app.bin");
    let mut bad = data.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xFF; // the appended SHA-256 only: checksum still good
    let a = scan_bytes("bad-hash.bin", &bad);
    assert!(a.inventory.mcu[0].description.contains("SHA-256 MISMATCH"));
    assert!(a
        .unpack
        .warnings
        .iter()
        .any(|w| w.reason.contains("SHA-256 does not match")));
}

/// The Python virtual environment `.ci/mcu-tools.sh` installs (esptool, espsecure,
/// esp-idf-nvs-partition-gen, littlefs-python, imgtool): `$IOTASSAY_MCU_VENV`, default
/// `${XDG_CACHE_HOME:-~/.cache}/iotassay/mcu-venv`, where `.ci/mcu-tools.sh` installs them. Missing tools fail the test with how to install them: never a silent skip.
fn venv_python() -> std::path::PathBuf {
    let venv = std::env::var_os("IOTASSAY_MCU_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache"))
                })
                .unwrap_or_else(|| "/tmp".into())
                .join("iotassay/mcu-venv")
        });
    let py = venv.join("bin/python");
    let ok = std::process::Command::new(&py)
        .args([
            "-c",
            "import esptool, espsecure, esp_idf_nvs_partition_gen, littlefs",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the MCU fixture tools are missing from {}: run `bash .ci/mcu-tools.sh` (or set IOTASSAY_MCU_VENV to a venv holding esptool, esp-idf-nvs-partition-gen, littlefs-python and imgtool)",
        venv.display()
    );
    py
}

fn workdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("iotassay-mcu-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(py: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new(py).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{py:?} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn flash_dump_partitions_nvs_and_littlefs_with_both_passwords() {
    let py = venv_python();
    let dir = workdir("flash");
    let app = iotassay_testkit::corpus("real/esp32-arduino-https-ota-app.bin");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcu/make_flash.py");
    run(&py, &[script, app.to_str().unwrap(), dir.to_str().unwrap()]);
    let flash = std::fs::read(dir.join("flash.bin")).unwrap();
    let a = scan_bytes("flash.bin", &flash);

    let table = a
        .unpack
        .regions
        .iter()
        .find(|r| r.format == "esp-partition-table")
        .unwrap_or_else(|| panic!("{:#?}", a.unpack.regions));
    assert_eq!(table.offset, 0x8000);
    let d = &table.description;
    assert!(d.contains("5 partitions, MD5 ok"), "{d}");
    for p in [
        "nvs data/nvs @0x9000 0x6000",
        "phy_init data/phy @0xf000",
        "factory app/factory @0x10000",
        "littlefs data/littlefs @0x110000 0x20000",
        "ota_1 app/ota_1 @0x200000 0x100000 (absent)",
    ] {
        assert!(d.contains(p), "{p} not in {d}");
    }
    assert!(a
        .unpack
        .warnings
        .iter()
        .any(|w| w.reason.contains("ota_1") && w.reason.contains("absent")));
    for f in ["esp-nvs", "littlefs", "esp-image"] {
        assert!(
            a.unpack.regions.iter().any(|r| r.format == f),
            "{f} not found: {:#?}",
            a.unpack.regions
        );
    }
    // The app inside the factory partition is assessed as the standalone one is.
    assert!(a
        .findings
        .iter()
        .any(|f| f.check == "mcu.wifi_credentials" && f.title.contains("Panda1234")));

    let stored: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.check == "mcu.stored_credentials")
        .collect();
    let nvs = stored
        .iter()
        .find(|f| f.evidence[0].text.as_deref() == Some("password=Tr0ub4dor&3x"))
        .unwrap_or_else(|| panic!("NVS password not reported: {stored:#?}"));
    assert!(nvs.evidence[0].path.contains("esp-nvs") && nvs.evidence[0].path.contains("wifi.txt"));
    assert!(nvs.evidence[0]
        .provenance
        .contains("@0x8000 esp-partition-table"));
    assert!(stored
        .iter()
        .any(|f| f.evidence[0].text.as_deref() == Some("sta.pswd=Sup3rS3cretWifi")));
    let lfs = stored
        .iter()
        .find(|f| f.title.starts_with("Default password \"admin\""))
        .unwrap_or_else(|| panic!("LittleFS default password not reported: {stored:#?}"));
    assert_eq!(lfs.evidence[0].line, Some(3));
    assert!(lfs.evidence[0].provenance.contains("littlefs"));
    assert!(lfs.evidence[0].path.contains("config.json"));
    // The web page in a LittleFS directory is extracted too.
    assert!(a.unpack.stats.files >= 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secure_boot_v2_signed_app_is_recognised_and_unsigned_is_not() {
    let py = venv_python();
    let dir = workdir("sbv2");
    let app = iotassay_testkit::corpus("real/esp32-arduino-ota-app.bin");
    for (scheme, expect) in [
        ("rsa3072", "RSA-3072-PSS (digest ok"),
        ("ecdsa256", "ECDSA P-256 (digest ok"),
    ] {
        let key = dir.join(format!("{scheme}.pem"));
        let out = dir.join(format!("{scheme}.bin"));
        run(
            &py,
            &[
                "-m",
                "espsecure",
                "generate_signing_key",
                "--version",
                "2",
                "--scheme",
                scheme,
                key.to_str().unwrap(),
            ],
        );
        run(
            &py,
            &[
                "-m",
                "espsecure",
                "sign_data",
                "--version",
                "2",
                "--keyfile",
                key.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                app.to_str().unwrap(),
            ],
        );
        let signed = std::fs::read(&out).unwrap();
        let a = scan_bytes("signed.bin", &signed);
        let img = &a.inventory.mcu[0];
        assert!(img.signed, "{}", img.description);
        assert!(img.description.contains(expect), "{}", img.description);
        assert!(!a
            .findings
            .iter()
            .any(|f| f.check == "mcu.ota" && f.title.contains("not signed")));
        // A signature over other bytes is reported.
        let mut tampered = signed.clone();
        tampered[0x100] ^= 1;
        tampered[0x101] ^= 1; // keep the XOR checksum
        let a = scan_bytes("tampered.bin", &tampered);
        assert!(
            a.inventory.mcu[0].description.contains("digest MISMATCH"),
            "{}",
            a.inventory.mcu[0].description
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mcuboot_signed_shows_its_signature_tlv_and_unsigned_is_reported() {
    let py = venv_python();
    let imgtool = py.with_file_name("imgtool");
    let dir = workdir("mcuboot");
    // The body: the first 64 KiB of a real ESP32 application (any bytes would do).
    let body: Vec<u8> = corpus_bytes("real/esp32-arduino-ota-app.bin")[..0x10000].to_vec();
    std::fs::write(dir.join("body.bin"), &body).unwrap();
    let key = dir.join("key.pem");
    run(
        &imgtool,
        &["keygen", "-k", key.to_str().unwrap(), "-t", "ecdsa-p256"],
    );
    let common = [
        "--header-size",
        "0x200",
        "--pad-header",
        "--align",
        "4",
        "--version",
        "1.2.3",
        "--slot-size",
        "0x20000",
    ];
    let body_path = dir.join("body.bin");
    let signed = dir.join("signed.bin");
    let unsigned = dir.join("unsigned.bin");
    let mut args = vec![
        "sign",
        "--key",
        key.to_str().unwrap(),
        "--security-counter",
        "7",
    ];
    args.extend(common);
    args.extend([body_path.to_str().unwrap(), signed.to_str().unwrap()]);
    run(&imgtool, &args);
    let mut args = vec!["sign"];
    args.extend(common);
    args.extend([body_path.to_str().unwrap(), unsigned.to_str().unwrap()]);
    run(&imgtool, &args);

    let a = scan_bytes("signed.bin", &std::fs::read(&signed).unwrap());
    let img = mcuboot(&a);
    assert!(img.signed);
    let d = &img.description;
    assert!(
        d.contains("v1.2.3+0")
            && d.contains("SHA-256 ok")
            && d.contains("signature TLV: ECDSA-P256"),
        "{d}"
    );
    assert!(
        d.contains("key hash") && d.contains("security counter 7"),
        "{d}"
    );
    assert!(!a.findings.iter().any(|f| f.title.contains("not signed")));

    let a = scan_bytes("unsigned.bin", &std::fs::read(&unsigned).unwrap());
    let img = mcuboot(&a);
    assert!(!img.signed);
    assert!(img.description.contains("unsigned (no signature TLV)"));
    assert!(a.findings.iter().any(
        |f| f.check == "mcu.ota" && f.title == "MCUboot image is not signed (no signature TLV)"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The MCUboot image of an assessment.
fn mcuboot(a: &Assessment) -> &iotassay_inventory::mcu::McuImage {
    a.inventory
        .mcu
        .iter()
        .find(|i| i.format == "mcuboot")
        .expect("mcuboot image")
}
