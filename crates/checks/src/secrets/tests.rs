//! Tests of the secrets checks: the real corpus (what each image really holds, verified by hand
//! with unsquashfs, dropbearkey and ssh-keygen) and synthetic trees built from the throwaway keys in
//! `testdata/` (made by `testdata/gen.sh`, whose `fingerprints.txt` the expected values come from).

use std::sync::LazyLock;

use iotassay_inventory::testing::{unix_root, ManifestBuilder};
use iotassay_inventory::FileTree;
use iotassay_unpack::{Kind, Manifest, Options};

use super::*;
use crate::{CheckOptions, Context};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("testdata/", $name)).as_slice()
    };
}

fn unpack(relative: &str) -> Manifest {
    let bytes = iotassay_testkit::corpus_bytes(relative);
    let name = relative.rsplit('/').next().unwrap_or(relative);
    iotassay_unpack::unpack(
        name,
        &bytes,
        None,
        &Options {
            keep_data: true,
            ..Options::default()
        },
    )
    .expect("corpus image unpacks")
}

static BROADCOM: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/broadcom-squashfs-v2-be-lzma.bin"));
static OPENWRT_15: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/openwrt-15.05-tl-wr703n-sysupgrade.bin"));
static OPENWRT_12: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/openwrt-12.09-tl-wr703n-factory.bin"));
static TPLINK: LazyLock<Manifest> = LazyLock::new(|| unpack("real/tplink-mt7628-rootfs.squashfs"));

/// 2030-01-01, a fixed "today" for certificate tests.
const NOW_2030: i64 = 1_893_456_000;
/// 2020-06-01, a build date for synthetic images.
const BUILT_2020: i64 = 1_590_969_600;

fn with_cx<T>(m: &Manifest, f: impl FnOnce(&Context<'_>) -> T) -> T {
    let inventory = iotassay_inventory::inventory(m);
    let tree = FileTree::new(m);
    let options = CheckOptions::default();
    let cx = Context {
        manifest: m,
        tree: &tree,
        inventory: &inventory,
        options: &options,
    };
    f(&cx)
}

fn keys(m: &Manifest) -> Vec<Finding> {
    with_cx(m, |cx| PrivateKeys.run(cx))
}

fn certs(m: &Manifest, now: i64) -> Vec<Finding> {
    with_cx(m, |cx| Certificates.run_at(cx, now))
}

fn tokens(m: &Manifest) -> Vec<Finding> {
    with_cx(m, |cx| Tokens.run(cx))
}

fn all(m: &Manifest) -> Vec<Finding> {
    let mut v = keys(m);
    v.extend(certs(m, NOW_2030));
    v.extend(tokens(m));
    v
}

/// A synthetic image whose files all have the 2020 build date.
fn image(files: &[(&str, &[u8])]) -> Manifest {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0x100000);
    for (path, data) in files {
        b.file(r, path, 0o644, data);
    }
    let mut m = b.build();
    for n in &mut m.nodes {
        n.mtime = Some(BUILT_2020);
    }
    m
}

/// A fake ELF with `payload` at `offset`.
fn binary_with(payload: &[u8], offset: usize) -> Vec<u8> {
    let mut v = b"\x7fELF\x01\x01\x01\0".to_vec();
    v.resize(offset, 0);
    v.extend_from_slice(payload);
    v.extend_from_slice(&[0u8; 64]);
    v
}

fn fingerprint(name: &str) -> String {
    let text = std::str::from_utf8(fixture!("fingerprints.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no fingerprint for {name}"));
    line[name.len() + 1..].to_string()
}

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

// ---------------------------------------------------------------------------------------------
// Real corpus

#[test]
fn broadcom_dropbear_host_key_is_found() {
    let findings = keys(&BROADCOM);
    let f = only(&findings);
    assert_eq!(f.check, "secrets.private-key");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.title.starts_with("SSH host key (RSA 1040-bit)"),
        "{}",
        f.title
    );
    // Same as `dropbearkey -y -f etc/rsa_host_key` and `ssh-keygen -lf` after dropbearconvert.
    assert!(f
        .rationale
        .contains("SHA256:F9KYIspH9Bhy0ohvvWPEgP5HeCUIeZZ5pA+8Xu2Eky8"));
    assert!(f.rationale.contains("below 2048 bits"));
    // -rwxrwxrwx in the squashfs.
    assert!(f
        .rationale
        .contains("etc/rsa_host_key (mode 0777) is world-readable"));
    assert_eq!(f.evidence.len(), 2, "{:#?}", f.evidence);
    let e = &f.evidence[0];
    assert_eq!(e.path, "etc/rsa_host_key");
    assert_eq!(e.offset, Some(0));
    assert_eq!(e.line, None);
    assert_eq!(
        e.text.as_deref(),
        Some("dropbear ssh-rsa private key (RSA 1040-bit, SHA256:F9KYIspH9Bhy0ohvvWPEgP5HeCUIeZZ5pA+8Xu2Eky8)")
    );
    assert!(e.provenance.contains("squashfs-v2v3"), "{}", e.provenance);
    assert!(e.provenance.ends_with("→ etc/rsa_host_key"));
    // Broadcom's configuration manager names the key file (it starts dropbear with it).
    let r = &f.evidence[1];
    assert_eq!(r.path, "bin/cfm");
    assert_eq!(r.offset, Some(1_136_876));
    assert_eq!(
        r.text.as_deref(),
        Some("references the key: /etc/rsa_host_key")
    );
    assert!(f.rationale.contains("Its path is named by bin/cfm"));
    assert_eq!(f.provisions.len(), 3);
    assert!(f.guidelines.contains(&4));
}

#[test]
fn broadcom_pem_markers_in_libraries_and_pages_are_not_secrets() {
    // lib/libbcmssl.so and webs/certimport.html hold "-----BEGIN RSA PRIVATE KEY-----" strings
    // (a PEM parser and a form's JavaScript), not keys.
    let tree = FileTree::new(&BROADCOM);
    let root = tree.root().unwrap();
    let lib = root.read("lib/libbcmssl.so").unwrap();
    assert!(memchr::memmem::find(lib, b"-----BEGIN RSA PRIVATE KEY-----").is_some());
    let page = root.read("webs/certimport.html").unwrap();
    assert!(memchr::memmem::find(page, b"-----BEGIN RSA PRIVATE KEY-----").is_some());
    assert!(certs(&BROADCOM, NOW_2030).is_empty());
    assert!(tokens(&BROADCOM).is_empty(), "{:#?}", tokens(&BROADCOM));
}

#[test]
fn openwrt_host_keys_are_generated_at_first_boot() {
    for (m, files) in [
        (&*OPENWRT_15, &["etc/dropbear/dropbear_rsa_host_key"][..]),
        (
            &*OPENWRT_12,
            &[
                "etc/dropbear/dropbear_rsa_host_key",
                "etc/dropbear/dropbear_dss_host_key",
            ][..],
        ),
    ] {
        let tree = FileTree::new(m);
        let root = tree.root().unwrap();
        for f in files {
            // The files exist but are empty: dropbear's init script fills them on first boot.
            assert_eq!(root.get(f).map(|n| n.size), Some(0), "{f}");
        }
        let findings = all(m);
        assert!(findings.is_empty(), "{findings:#?}");
    }
    // 15.05 ships usign public keys for opkg: public, never a finding.
    let tree = FileTree::new(&OPENWRT_15);
    assert!(tree
        .root()
        .unwrap()
        .read("etc/opkg/keys/b5043e70f9a75cde")
        .or_else(|| tree.root().unwrap().read("etc/opkg/keys/ab4d8009f58fc45c"))
        .is_some());
}

#[test]
fn tplink_rootfs_has_no_keys_or_certificates() {
    // Checked by hand: no PEM, DER, SSH or PKCS#12 material in the image (dropbear generates its
    // keys at run time; default_config.xml is an encrypted blob without secret names).
    let findings = all(&TPLINK);
    assert!(findings.is_empty(), "{findings:#?}");
}

// ---------------------------------------------------------------------------------------------
// Synthetic: private keys

#[test]
fn tls_identity_key_with_its_certificate_is_critical() {
    let m = image(&[
        ("etc/ssl/private/server.key", fixture!("server.key")),
        ("etc/ssl/certs/server.crt", fixture!("server.crt")),
        (
            "etc/config/uhttpd",
            b"config uhttpd main\n\toption cert '/etc/ssl/certs/server.crt'\n\toption key '/etc/ssl/private/server.key'\n",
        ),
        // A longer name with the key's path as prefix is not a reference.
        ("etc/init.d/other", b"cp /etc/ssl/private/server.key.bak /tmp\n"),
    ]);
    let findings = keys(&m);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.title
            .starts_with("TLS private key of the certificate \"CN=device.local\" (RSA 2048-bit)"),
        "{}",
        f.title
    );
    assert!(f.rationale.contains(&fingerprint("server.key")));
    let e = &f.evidence[0];
    assert_eq!(e.path, "etc/ssl/private/server.key");
    assert_eq!(e.line, Some(1));
    assert!(e
        .text
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY----- (RSA 2048-bit, SPKI SHA-256 "));
    assert_eq!(f.evidence.len(), 2, "{:#?}", f.evidence);
    let r = &f.evidence[1];
    assert_eq!((r.path.as_str(), r.line), ("etc/config/uhttpd", Some(3)));
    assert_eq!(
        r.text.as_deref(),
        Some("references the key: \toption key '/etc/ssl/private/server.key'")
    );
    // The valid, current certificate alone is no certificate finding.
    assert!(certs(&m, NOW_2030).is_empty());
}

#[test]
fn pem_key_in_a_config_is_high_with_line_and_fingerprint() {
    let mut conf = b"# vendor cloud client\nserver=cloud.example\n".to_vec();
    conf.extend_from_slice(fixture!("rsa1024.pem"));
    let m = image(&[("etc/cloud/client.conf", &conf)]);
    let findings = keys(&m);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.title,
        "Private key (RSA 1024-bit) is stored in the image, the same on every unit"
    );
    assert!(f.rationale.contains(&fingerprint("rsa1024.pem")));
    assert_eq!(f.evidence[0].line, Some(3));
    assert!(f.evidence[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    // The secret itself never appears in the finding.
    let body = std::str::from_utf8(fixture!("rsa1024.pem"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap();
    assert!(!format!("{f:?}").contains(body));
}

#[test]
fn der_and_pem_keys_inside_binaries_are_found_at_their_offsets() {
    let der = binary_with(fixture!("rsa1024.der"), 0x1234);
    let mut c_string = fixture!("ec.pem").to_vec();
    c_string.push(0);
    let pem_bin = binary_with(&c_string, 0x800);
    let m = image(&[("usr/bin/cloudd", &der), ("usr/lib/libvendor.so", &pem_bin)]);
    let mut findings = keys(&m);
    findings.sort_by(|a, b| a.title.cmp(&b.title));
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let ec = &findings[0];
    assert!(
        ec.title.starts_with("Private key (EC P-256)"),
        "{}",
        ec.title
    );
    assert_eq!(ec.evidence[0].path, "usr/lib/libvendor.so");
    assert_eq!(ec.evidence[0].offset, Some(0x800));
    assert!(ec.rationale.contains(&fingerprint("ec.pem")));
    let rsa = &findings[1];
    assert!(rsa.title.starts_with("Private key (RSA 1024-bit)"));
    assert_eq!(rsa.evidence[0].path, "usr/bin/cloudd");
    assert_eq!(rsa.evidence[0].offset, Some(0x1234));
    assert_eq!(rsa.evidence[0].line, None);
    assert!(rsa.evidence[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("DER RSAPrivateKey"));
    assert!(rsa.rationale.contains(&fingerprint("rsa1024.pem")));
}

#[test]
fn one_key_in_several_places_is_one_finding() {
    let der = binary_with(fixture!("rsa1024.der"), 0x40);
    let json = {
        let pem = std::str::from_utf8(fixture!("rsa1024.pem")).unwrap();
        format!(
            "{{\n  \"key\": \"{}\"\n}}\n",
            pem.trim_end().replace('\n', "\\n")
        )
    };
    let m = image(&[
        ("etc/key.pem", fixture!("rsa1024.pem")),
        ("usr/bin/app", &der),
        ("www/config.json", json.as_bytes()),
    ]);
    let findings = keys(&m);
    let f = only(&findings);
    assert_eq!(f.evidence.len(), 3);
    let paths: Vec<_> = f.evidence.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["etc/key.pem", "usr/bin/app", "www/config.json"]);
    assert_eq!(f.evidence[2].line, Some(2));
    assert!(f.rationale.contains("stored in 3 places"));
}

#[test]
fn ssh_host_keys_in_every_format_are_critical() {
    let m = image(&[
        ("etc/ssh/ssh_host_ed25519_key", fixture!("id_ed25519")),
        (
            "etc/dropbear/dropbear_ecdsa_host_key",
            fixture!("dropbear_ecdsa_host_key"),
        ),
        (
            "etc/dropbear/dropbear_ed25519_host_key",
            fixture!("dropbear_ed25519_host_key"),
        ),
    ]);
    let findings = keys(&m);
    assert_eq!(findings.len(), 3, "{findings:#?}");
    for (path, fp, desc) in [
        (
            "etc/ssh/ssh_host_ed25519_key",
            fingerprint("id_ed25519"),
            "Ed25519",
        ),
        (
            "etc/dropbear/dropbear_ecdsa_host_key",
            fingerprint("dropbear_ecdsa_host_key"),
            "EC P-256",
        ),
        (
            "etc/dropbear/dropbear_ed25519_host_key",
            fingerprint("dropbear_ed25519_host_key"),
            "Ed25519",
        ),
    ] {
        let f = findings
            .iter()
            .find(|f| f.evidence[0].path == path)
            .unwrap_or_else(|| panic!("{path}: {findings:#?}"));
        assert_eq!(f.severity, Severity::Critical, "{path}");
        assert!(
            f.title.starts_with(&format!("SSH host key ({desc})")),
            "{}",
            f.title
        );
        assert!(f.rationale.contains(&fp), "{path}: {}", f.rationale);
    }
}

#[test]
fn other_key_formats() {
    let m = image(&[
        ("etc/keys/ed25519.pem", fixture!("ed25519.pem")),
        ("etc/keys/encrypted.pem", fixture!("encrypted.pem")),
        ("etc/keys/legacy.pem", fixture!("legacy-encrypted.pem")),
        ("root/.ssh/putty.ppk", fixture!("putty.ppk")),
        ("etc/keys/server.p12", fixture!("server.p12")),
    ]);
    let findings = keys(&m);
    assert_eq!(findings.len(), 5, "{findings:#?}");
    let by_path = |p: &str| {
        findings
            .iter()
            .find(|f| f.evidence[0].path == p)
            .unwrap_or_else(|| panic!("{p}: {findings:#?}"))
    };
    let ed = by_path("etc/keys/ed25519.pem");
    assert_eq!(ed.severity, Severity::High);
    assert!(ed.title.starts_with("Private key (Ed25519)"));
    let enc = by_path("etc/keys/encrypted.pem");
    assert_eq!(enc.severity, Severity::High);
    assert!(
        enc.title.ends_with("(passphrase-encrypted)"),
        "{}",
        enc.title
    );
    let legacy = by_path("etc/keys/legacy.pem");
    assert!(
        legacy.title.starts_with("Private key (RSA)"),
        "{}",
        legacy.title
    );
    assert!(legacy.title.ends_with("(passphrase-encrypted)"));
    let ppk = by_path("root/.ssh/putty.ppk");
    assert_eq!(ppk.severity, Severity::High);
    assert!(
        ppk.title.starts_with("Private key (RSA 2048-bit)"),
        "{}",
        ppk.title
    );
    assert!(ppk.rationale.contains(&fingerprint("putty.ppk")));
    let p12 = by_path("etc/keys/server.p12");
    assert_eq!(p12.severity, Severity::Medium);
    assert!(p12.title.starts_with("PKCS#12 bundle"));
}

#[test]
fn public_material_alone_is_no_key_finding() {
    let ssh_pub =
        b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFw5rKf1c0XnQw1lq7cXWd0VQ3mXnB7x2Zl6Vb8kQk9s test\n";
    let m = image(&[
        ("etc/keys/rsa.pub", fixture!("rsa1024.pub.pem")),
        ("root/.ssh/authorized_keys", ssh_pub),
        ("etc/ssl/certs/server.crt", fixture!("server.crt")),
        ("etc/ssl/certs/ca-certificates.crt", fixture!("newca.crt")),
    ]);
    let findings = all(&m);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn ordinary_high_entropy_data_is_no_finding() {
    // Compressed data, a checksum list, base64 of public data, opkg's usign public keys.
    let mut noise = Vec::with_capacity(256 * 1024);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..256 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push((x >> 24) as u8);
    }
    let sums = b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  ./bin/busybox\n\
                 SHA256sum: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752\n\
                 MD5Sum: 5d41402abc4b2a76b9719d911017c592\n";
    let usign = b"untrusted comment: openwrt.org 15.05 release key\n\
                  RWTemKLdHQ+KBxOILy8gyk+5PaDVdfyJ32TFnY/jnQOrBAd1wobbLNYz\n";
    let html = b"<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAABHNCSVQICAgIfAhkiAAAAAlwSFlz\">\n";
    let m = image(&[
        ("usr/share/blob.gz", &noise),
        ("usr/lib/opkg/info/busybox.list.sha256", sums),
        ("etc/opkg/keys/b5043e70f9a75cde", usign),
        ("www/index.html", html),
    ]);
    let findings = all(&m);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn keys_in_payloads_outside_a_root_are_found() {
    // A decompressed kernel holding an initramfs with a key: no root file system, a payload.
    let mut b = ManifestBuilder::new("fw.bin");
    let r = b.region("lzma", Kind::Compression, 0x200, None);
    b.payload(r, "data", &binary_with(fixture!("rsa1024.pem"), 0x3000));
    let m = b.build();
    let findings = keys(&m);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.evidence[0].path, "data");
    assert_eq!(f.evidence[0].offset, Some(0x3000));
    assert_eq!(f.evidence[0].provenance, "fw.bin @0x200 lzma → data");
}

#[test]
fn oversized_files_are_skipped_with_a_note() {
    let big = vec![0u8; (MAX_FILE + 1) as usize];
    let m = image(&[
        ("usr/share/huge.bin", &big),
        ("etc/key.pem", fixture!("rsa1024.pem")),
    ]);
    let findings = keys(&m);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let note = findings
        .iter()
        .find(|f| f.severity == Severity::Info)
        .unwrap();
    assert!(note.title.starts_with("1 file(s) over 64 MiB"));
    assert_eq!(note.evidence[0].path, "usr/share/huge.bin");
}

// ---------------------------------------------------------------------------------------------
// Synthetic: certificates

#[test]
fn expired_weak_md5_certificate() {
    let m = image(&[("etc/ssl/old.crt", fixture!("old.crt"))]);
    let findings = certs(&m, NOW_2030);
    let f = only(&findings);
    assert_eq!(f.check, "secrets.certificate");
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.title.starts_with("Certificate \"CN=old.device\": expired on 2008-01-01 before the image was built (2020-06-01"), "{}", f.title);
    assert!(f.title.contains("RSA key of 1024 bits"));
    assert!(f.title.contains("signed with MD5"));
    assert_eq!(f.evidence[0].path, "etc/ssl/old.crt");
    assert_eq!(f.evidence[0].line, Some(1));
    assert_eq!(
        f.evidence[0].text.as_deref(),
        Some("subject: CN=old.device")
    );
}

#[test]
fn certificate_expired_only_after_the_build_is_low() {
    let m = image(&[("etc/ssl/server.crt", fixture!("server.crt"))]);
    assert!(certs(&m, NOW_2030).is_empty());
    // 2041: the certificate (valid to 2040-01-01) has expired since.
    let findings = certs(&m, NOW_2030 + 11 * 365 * 86_400);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.title,
        "Certificate \"CN=device.local\": expired on 2040-01-01"
    );
}

#[test]
fn file_times_after_today_are_not_a_build_date() {
    let mut m = image(&[("etc/ssl/server.crt", fixture!("server.crt"))]);
    // A clock set to 2045 when the image was made: the certificate (to 2040) must not be called
    // expired at build time while "today" is 2030.
    for n in &mut m.nodes {
        n.mtime = Some(2_366_841_600);
    }
    assert!(certs(&m, NOW_2030).is_empty());
}

#[test]
fn stale_trust_store_is_one_low_finding() {
    let m = image(&[("etc/ssl/certs/ca-certificates.crt", fixture!("bundle.crt"))]);
    let findings = certs(&m, NOW_2030);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.title,
        "Trust store etc/ssl/certs/ca-certificates.crt: 1 expired and 1 sub-2048-bit CA certificate(s) of 2"
    );
    assert_eq!(f.evidence.len(), 1);
    // The old CA is the second certificate of the bundle.
    assert!(f.evidence[0].line.unwrap() > 10);
    assert!(f.evidence[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("CN=Old Vendor CA (until 2015-01-01"));
}

#[test]
fn private_trust_anchor_named_by_a_config_is_info() {
    let m = image(&[
        ("etc/mqtt/vendor-ca.crt", fixture!("newca.crt")),
        (
            "etc/mosquitto/bridge.conf",
            b"connection cloud\naddress mqtt.vendor.example:8883\nbridge_cafile /etc/mqtt/vendor-ca.crt\n",
        ),
    ]);
    let findings = certs(&m, NOW_2030);
    let f = only(&findings);
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(
        f.title,
        "A private CA certificate \"CN=Current Root CA\" is configured as a trust anchor"
    );
    assert_eq!(f.evidence.len(), 2);
    assert_eq!(f.evidence[1].path, "etc/mosquitto/bridge.conf");
    assert_eq!(f.evidence[1].line, Some(3));
    // Not named by anything: no finding.
    let m = image(&[("etc/mqtt/vendor-ca.crt", fixture!("newca.crt"))]);
    assert!(certs(&m, NOW_2030).is_empty());
}

#[test]
fn der_certificate_in_a_binary() {
    let pem = pem::parse(fixture!("old.crt")).unwrap();
    let bin = binary_with(pem.contents(), 0x2000);
    let m = image(&[("usr/bin/agent", &bin)]);
    let findings = certs(&m, NOW_2030);
    let f = only(&findings);
    assert_eq!(f.evidence[0].offset, Some(0x2000));
    assert_eq!(f.severity, Severity::Medium);
}

// ---------------------------------------------------------------------------------------------
// Synthetic: tokens

#[test]
fn aws_pair_google_key_and_generic_secret() {
    let cloud = b"# cloud\n\
                  aws_access_key_id = AKIAZ7Q3MBX2KPL4VN6W\n\
                  aws_secret_access_key = kT9vQ2mLx8Rz4pW7nB3cY6dF1hJ5sA0eG8uI2oK4\n";
    let app =
        b"[service]\nendpoint=https://api.vendor.example\napi_key = \"k3J9xQ2mV7pL4rT8wZ1n\"\n";
    let bin = binary_with(b"AIzaSyD3k9Xc2Vb7Qm1Lp8Rt5Wz0Yh6Nj4Ks2Fa\0", 0x500);
    let js = b"const auth = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXZpY2UiLCJpYXQiOjE1MTYyMzkwMjJ9.4Adcj3UFYzPUVaVF43FmMab6RlaQD8A9V8wFzzht-KQ';\n";
    let m = image(&[
        ("etc/cloud/credentials", cloud),
        ("etc/app.conf", app),
        ("usr/bin/mapd", &bin),
        ("www/js/app.js", js),
    ]);
    let mut findings = tokens(&m);
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.title.cmp(&b.title)));
    assert_eq!(findings.len(), 5, "{findings:#?}");
    let jwt = findings
        .iter()
        .find(|f| f.title.contains("JSON Web Token"))
        .unwrap();
    assert_eq!(jwt.severity, Severity::Medium);
    assert_eq!(jwt.evidence[0].line, Some(1));
    assert_eq!(
        jwt.evidence[0].text.as_deref(),
        Some("const auth = 'eyJh…t-KQ (109 chars)';")
    );
    assert_eq!(findings[0].severity, Severity::High);
    assert_eq!(
        findings[0].title,
        "AWS access key pair (AKIA…VN6W (20 chars)) hard-coded in the image"
    );
    assert_eq!(findings[0].evidence[0].line, Some(2));
    assert_eq!(
        findings[0].evidence[0].text.as_deref(),
        Some("aws_access_key_id = AKIA…VN6W (20 chars)")
    );
    assert_eq!(findings[1].severity, Severity::High);
    assert!(findings[1]
        .title
        .starts_with("Hard-coded AWS secret access key (kT9v…"));
    let generic = findings
        .iter()
        .find(|f| f.title.contains("\"api_key\""))
        .unwrap();
    assert_eq!(generic.severity, Severity::Medium);
    assert_eq!(generic.evidence[0].path, "etc/app.conf");
    assert_eq!(generic.evidence[0].line, Some(3));
    assert!(generic.rationale.contains("threshold 3.5"));
    let google = findings
        .iter()
        .find(|f| f.title.contains("Google API key"))
        .unwrap();
    assert_eq!(google.severity, Severity::Medium);
    assert_eq!(google.evidence[0].offset, Some(0x500));
    // No full secret anywhere in the findings.
    let all_text = format!("{findings:?}");
    assert!(!all_text.contains("AKIAZ7Q3MBX2KPL4VN6W"));
    assert!(!all_text.contains("kT9vQ2mLx8Rz4pW7nB3cY6dF1hJ5sA0eG8uI2oK4"));
    assert!(!all_text.contains("k3J9xQ2mV7pL4rT8wZ1n"));
}

#[test]
fn documented_examples_and_placeholders_are_not_tokens() {
    let doc = b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
                api_key = \"YOUR_API_KEY_1234567890\"\n\
                token=$(cat /tmp/token)\n";
    let m = image(&[("usr/share/doc/README", doc)]);
    let findings = tokens(&m);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn findings_are_capped() {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut text = String::new();
    for i in 0..250u32 {
        // Distinct random-looking values of 24 characters.
        let v: String = (0..24)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
            })
            .collect();
        text.push_str(&format!("secret_{i} = \"{v}7\"\n"));
    }
    let m = image(&[("etc/secrets.conf", text.as_bytes())]);
    let findings = tokens(&m);
    assert_eq!(findings.len(), MAX_FINDINGS + 1);
    let last = findings.last().unwrap();
    assert_eq!(last.severity, Severity::Info);
    assert_eq!(
        last.title,
        "50 further findings of this check are not listed"
    );
}

#[test]
fn hostile_files_do_not_panic() {
    let mut many = Vec::new();
    for _ in 0..5000 {
        many.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    }
    let truncated = &fixture!("server.crt")[..600];
    let mut half_der = fixture!("rsa1024.der").to_vec();
    half_der.truncate(300);
    let m = image(&[
        ("a", &many),
        ("b", truncated),
        ("c", &binary_with(&half_der, 8)),
        ("d", b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x40"),
        (
            "e",
            "api_key = \"ééééééééééééééééé1\"\n€€€ token: 'ü1ü1ü1ü1ü1ü1ü1ü1ü1'".as_bytes(),
        ),
        (
            "f",
            b"PuTTY-User-Key-File-3: ssh-rsa\nPublic-Lines: 3\nAAAA\n",
        ),
    ]);
    let findings = all(&m);
    assert!(
        findings.iter().all(|f| f.severity < Severity::High),
        "{findings:#?}"
    );
}

#[test]
fn checks_are_registered_with_catalogue_provisions() {
    let ids: Vec<_> = crate::all_checks().iter().map(|c| c.id()).collect();
    for id in [
        "secrets.private-key",
        "secrets.certificate",
        "secrets.token",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn host_key_paths() {
    for p in [
        "etc/ssh/ssh_host_rsa_key",
        "etc/dropbear/dropbear_rsa_host_key",
        "etc/rsa_host_key",
        "etc/ssh_hostkey",
    ] {
        assert!(is_host_key_path(p), "{p}");
    }
    for p in [
        "etc/ssl/localhost.key",
        "etc/ssh/ssh_host_rsa_key.pub",
        "etc/hostapd.key",
    ] {
        assert!(!is_host_key_path(p), "{p}");
    }
}
