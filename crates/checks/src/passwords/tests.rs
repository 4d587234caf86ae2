use std::sync::LazyLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use iotassay_inventory::testing::{unix_root, ManifestBuilder};
use iotassay_inventory::{FileTree, Inventory, Service, Services, StartedBy};
use iotassay_unpack::{Manifest, Options};

use super::*;
use crate::CheckOptions;

fn corpus(name: &str) -> Manifest {
    let bytes = iotassay_testkit::corpus_bytes(&format!("real/{name}"));
    iotassay_unpack::unpack(
        name,
        &bytes,
        None,
        &Options {
            keep_data: true,
            ..Options::default()
        },
    )
    .expect("unpack")
}

static OPENWRT_15: LazyLock<Manifest> =
    LazyLock::new(|| corpus("openwrt-15.05-tl-wr703n-sysupgrade.bin"));
static OPENWRT_12: LazyLock<Manifest> =
    LazyLock::new(|| corpus("openwrt-12.09-tl-wr703n-factory.bin"));
static TPLINK_DUMP: LazyLock<Manifest> = LazyLock::new(|| corpus("tplink-mt7628-flashdump.bin"));
static TPLINK_ROOTFS: LazyLock<Manifest> =
    LazyLock::new(|| corpus("tplink-mt7628-rootfs.squashfs"));
static DLINK: LazyLock<Manifest> = LazyLock::new(|| corpus("dlink-dir600l-b1-2.04.bin"));
static BROADCOM: LazyLock<Manifest> = LazyLock::new(|| corpus("broadcom-squashfs-v2-be-lzma.bin"));

fn checks() -> Vec<&'static dyn Check> {
    vec![
        &EmptyPassword,
        &DefaultPassword,
        &HardcodedPassword,
        &AutoLogin,
        &WeakHash,
        &SeveralRoots,
        &Coverage,
    ]
}

/// Run this module's checks; `services` replaces the inventory's (its collector is a stub here).
fn run_with(
    manifest: &Manifest,
    services: Option<Services>,
    options: &CheckOptions,
) -> Vec<Finding> {
    let mut inventory: Inventory = iotassay_inventory::inventory(manifest);
    if let Some(s) = services {
        inventory.services = s;
    }
    let tree = FileTree::new(manifest);
    let cx = Context {
        manifest,
        tree: &tree,
        inventory: &inventory,
        options,
    };
    checks().iter().flat_map(|c| c.run(&cx)).collect()
}

fn run(manifest: &Manifest) -> Vec<Finding> {
    run_with(manifest, None, &CheckOptions::default())
}

fn of<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.check == check).collect()
}

fn service(program: &str, command: &str) -> Service {
    let mut words = command.split_whitespace();
    Service {
        program: program.into(),
        command: command.into(),
        path: words.next().unwrap_or(program).into(),
        args: words.map(str::to_string).collect(),
        started_by: StartedBy::InitScript {
            script: format!("etc/init.d/{program}"),
            enabled: Some(true),
            link: None,
        },
        user: None,
        evidence: Evidence {
            node: String::new(),
            path: format!("etc/init.d/{program}"),
            line: Some(10),
            offset: None,
            text: Some(command.into()),
            provenance: String::new(),
        },
    }
}

fn services(list: &[(&str, &str)]) -> Services {
    Services {
        services: list.iter().map(|(p, c)| service(p, c)).collect(),
        ..Services::default()
    }
}

/// A root with `files` (path, content) added.
fn tree(files: &[(&str, &[u8])]) -> Manifest {
    let mut b = ManifestBuilder::new("synthetic.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    for (path, data) in files {
        b.file(r, path, 0o644, data);
    }
    b.build()
}

// --- corpus -----------------------------------------------------------------------------------

#[test]
fn openwrt_15_05_root_has_an_empty_password() {
    let findings = run(&OPENWRT_15);
    let empty = of(&findings, "passwords.empty");
    assert_eq!(empty.len(), 1, "{findings:#?}");
    let f = empty[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.provisions.len(), 1);
    assert_eq!(f.provisions[0].to_string(), "5.1-1");
    assert_eq!(f.guidelines, [1]);
    assert!(
        f.title.starts_with("root has an empty password"),
        "{}",
        f.title
    );
    let ev = &f.evidence[0];
    assert_eq!(ev.path, "etc/shadow");
    assert_eq!(ev.line, Some(1));
    assert_eq!(ev.text.as_deref(), Some("root::0:0:99999:7:::"));
    assert!(ev.provenance.contains("squashfs"), "{}", ev.provenance);
    assert!(ev.provenance.ends_with("etc/shadow"), "{}", ev.provenance);
    assert_eq!(f.evidence[1].path, "etc/passwd");
    assert_eq!(f.evidence[1].line, Some(1));
    // Nothing else: no cracked hash, no plaintext password in OpenWrt's configs (rpcd's
    // `$p$root`, luci's `option passwd "/etc/passwd"`, uhttpd's key path, hostapd.sh variables).
    for check in [
        "passwords.default",
        "passwords.hardcoded",
        "passwords.weak-hash",
        "passwords.uid0",
        "passwords.autologin",
    ] {
        assert!(of(&findings, check).is_empty(), "{check}: {findings:#?}");
    }
}

#[test]
fn empty_root_password_with_telnetd_at_boot_is_critical() {
    let findings = run_with(
        &OPENWRT_15,
        Some(services(&[("telnetd", "/usr/sbin/telnetd -l /bin/login")])),
        &CheckOptions::default(),
    );
    let f = of(&findings, "passwords.empty")[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.rationale.contains("telnetd is started at boot"),
        "{}",
        f.rationale
    );
    assert!(f.evidence.iter().any(|e| e.path == "etc/init.d/telnetd"));

    // Dropbear refuses empty passwords unless `-B`: stays High; with `-B` it is Critical.
    let findings = run_with(
        &OPENWRT_15,
        Some(services(&[(
            "dropbear",
            "/usr/sbin/dropbear -F -P /var/run/d.pid",
        )])),
        &CheckOptions::default(),
    );
    assert_eq!(of(&findings, "passwords.empty")[0].severity, Severity::High);
    let findings = run_with(
        &OPENWRT_15,
        Some(services(&[("dropbear", "/usr/sbin/dropbear -B -p 22")])),
        &CheckOptions::default(),
    );
    assert_eq!(
        of(&findings, "passwords.empty")[0].severity,
        Severity::Critical
    );
}

fn assert_tplink_admin_1234(findings: &[Finding]) {
    let cracked = of(findings, "passwords.default");
    assert_eq!(cracked.len(), 1, "{findings:#?}");
    let f = cracked[0];
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.title
            .contains("admin's account password is the public default '1234' (Mirai list)"),
        "{}",
        f.title
    );
    assert!(
        f.rationale.contains("Mirai list (admin/1234)"),
        "{}",
        f.rationale
    );
    assert!(f.rationale.contains("DefaultCreds:"), "{}", f.rationale);
    assert!(f.rationale.contains("md5crypt"), "{}", f.rationale);
    let ev = &f.evidence[0];
    assert_eq!(ev.path, "etc/passwd.bak");
    assert_eq!(ev.line, Some(1));
    assert_eq!(
        ev.text.as_deref(),
        Some("admin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:root:/:/bin/sh")
    );
    // The boot script that installs passwd.bak as the passwd the device uses is cited.
    let copy = f
        .evidence
        .iter()
        .find(|e| e.path == "etc/init.d/rcS")
        .expect("rcS cited");
    assert_eq!(copy.line, Some(20));
    assert_eq!(
        copy.text.as_deref(),
        Some("cp -p /etc/passwd.bak /var/passwd")
    );

    let weak = of(findings, "passwords.weak-hash");
    assert_eq!(weak.len(), 1, "{weak:#?}");
    assert_eq!(weak[0].severity, Severity::Medium);
    assert!(
        weak[0].title.contains("md5crypt ($1$) with an empty salt"),
        "{}",
        weak[0].title
    );
    assert_eq!(weak[0].evidence[0].path, "etc/passwd.bak");

    // `nobody:*:0:0` is a second uid 0.
    let uid0 = of(findings, "passwords.uid0");
    assert_eq!(uid0.len(), 1);
    assert_eq!(uid0[0].severity, Severity::Low);
    assert!(uid0[0].title.contains("admin, nobody"), "{}", uid0[0].title);
    assert_eq!(uid0[0].evidence[1].line, Some(3));

    // `etc/passwd -> /var/passwd` (written at boot by rcS from passwd.bak) is reported as such.
    let coverage = of(findings, "passwords.coverage");
    assert!(coverage.iter().all(|f| f.severity == Severity::Info));
    let link = coverage
        .iter()
        .find(|f| f.evidence[0].path == "etc/passwd" && f.title.contains("/var/passwd"))
        .expect("etc/passwd link");
    // rcS writes it from passwd.bak at boot.
    assert_eq!(link.evidence[1].path, "etc/init.d/rcS");
    assert_eq!(link.evidence[1].line, Some(20));
    assert_eq!(
        link.evidence[1].text.as_deref(),
        Some("cp -p /etc/passwd.bak /var/passwd")
    );
    assert!(of(findings, "passwords.empty").is_empty());
}

#[test]
fn tplink_flashdump_admin_1234_from_the_mirai_list() {
    let findings = run(&TPLINK_DUMP);
    assert_tplink_admin_1234(&findings);
    // The flash dump's provenance goes through the carved squashfs at 0x100000.
    let ev = &of(&findings, "passwords.default")[0].evidence[0];
    assert!(
        ev.provenance
            .starts_with("tplink-mt7628-flashdump.bin @0x10000 tplink"),
        "{}",
        ev.provenance
    );
    assert!(ev.provenance.contains("squashfs"), "{}", ev.provenance);
}

#[test]
fn tplink_rootfs_admin_1234_and_critical_with_dropbear() {
    assert_tplink_admin_1234(&run(&TPLINK_ROOTFS));
    let findings = run_with(
        &TPLINK_ROOTFS,
        Some(services(&[("dropbear", "dropbear -p 22")])),
        &CheckOptions::default(),
    );
    assert_eq!(
        of(&findings, "passwords.default")[0].severity,
        Severity::Critical
    );
    // `-s` disables password logins; `-g` refuses root's (uid 0) password logins.
    for cmd in ["dropbear -s", "dropbear -g -p 22", "dropbear -sg"] {
        let findings = run_with(
            &TPLINK_ROOTFS,
            Some(services(&[("dropbear", cmd)])),
            &CheckOptions::default(),
        );
        assert_eq!(
            of(&findings, "passwords.default")[0].severity,
            Severity::High,
            "{cmd}"
        );
    }
}

/// The D-Link DIR-600L's `/etc/passwd` root line (corpus MANIFEST): DES crypt of `realtek`, a
/// Mirai pair, also in SecLists' telnet list and the DefaultCreds cheat sheet.
const DLINK_ROOT: &str = "root:abSQTPcIskFGc:0:0:root:/:/bin/sh";

fn assert_dlink_root_realtek(findings: &[Finding]) {
    let f = of(findings, "passwords.default");
    let root = f
        .iter()
        .find(|f| f.title.starts_with("root's"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        root.title
            .contains("root's account password is the public default 'realtek' (Mirai list)"),
        "{}",
        root.title
    );
    for list in [
        "Mirai list (root/realtek)",
        "SecLists telnet defaults (root/realtek)",
        "DefaultCreds: ",
    ] {
        assert!(root.rationale.contains(list), "{list}: {}", root.rationale);
    }
    assert!(root.rationale.contains("DES crypt"), "{}", root.rationale);
    assert_eq!(root.evidence[0].path, "etc/passwd");
    assert_eq!(root.evidence[0].text.as_deref(), Some(DLINK_ROOT));
}

#[test]
fn dlink_root_line_is_realtek() {
    assert_dlink_root_realtek(&[cracked(&format!("{DLINK_ROOT}\n"))]);
}

#[test]
fn dlink_corpus_root_is_realtek() {
    assert_dlink_root_realtek(&run(&DLINK));
}

#[test]
fn broadcom_accounts_are_created_at_boot() {
    let findings = run(&BROADCOM);
    // No account file in the image: nothing to crack, only what can be shown.
    for check in [
        "passwords.empty",
        "passwords.default",
        "passwords.weak-hash",
    ] {
        assert!(of(&findings, check).is_empty(), "{check}: {findings:#?}");
    }
    let coverage = of(&findings, "passwords.coverage");
    let passwd = coverage
        .iter()
        .find(|f| f.evidence[0].path == "etc/passwd")
        .expect("etc/passwd link reported");
    assert_eq!(passwd.severity, Severity::Info);
    // Broadcom's `cfm` writes it: its strings name the accounts (admin, support, user) and the
    // group line, but their passwords come from the device's configuration at run time.
    assert!(
        passwd.title.starts_with(
            "Accounts not examined: passwd is a link to /var/passwd, written at run time; \
             written by bin/cfm (strings at 0x101298: /etc/passwd, admin, Administrator, support"
        ),
        "{}",
        passwd.title
    );
    assert!(passwd.title.contains("root::0:root,admin,support,user"));
    let cfm = passwd
        .evidence
        .iter()
        .find(|e| e.path == "bin/cfm")
        .expect("cfm cited");
    assert_eq!(cfm.offset, Some(0x101298));
    assert!(not_examined(&BROADCOM).is_some());
    assert!(passwd.evidence[0]
        .text
        .as_deref()
        .unwrap_or("")
        .starts_with("etc/passwd -> "));
    assert!(!passwd.evidence[0].node.is_empty());
}

#[test]
fn openwrt_12_09_locked_root_gives_no_password_finding() {
    // `root:x:0:0:99999:7:::` in shadow: locked (no password set).
    let findings = run(&OPENWRT_12);
    for check in [
        "passwords.empty",
        "passwords.default",
        "passwords.weak-hash",
    ] {
        assert!(of(&findings, check).is_empty(), "{check}: {findings:#?}");
    }
}

// --- synthetic --------------------------------------------------------------------------------

const STRONG_SHA512: &str = "$6$Kq9uV3TtpqZbGmxJ$Q2YjOGfKzz3dBJRggjzheYTvwzIn5VFeHu4CuImwY6gfhoNr29H6a9CKNRA9H50y9TEkvge13Z2mm0XYKC28L/";

#[test]
fn strong_sha512crypt_is_not_cracked_and_coverage_says_how_much_was_tried() {
    let shadow = format!("root:{STRONG_SHA512}:19000:0:99999:7:::\n");
    let m = tree(&[
        ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
        ("etc/shadow", shadow.as_bytes()),
    ]);
    let started = Instant::now();
    let findings = run(&m);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        findings.iter().all(|f| !f.severity.is_failure()),
        "{findings:#?}"
    );
    let coverage = of(&findings, "passwords.coverage");
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    let t = &coverage[0].title;
    assert!(
        t.starts_with("root's password not cracked: sha512crypt ($6$), 5000 rounds; tried "),
        "{t}"
    );
    // Not every candidate fits in the budget: it says so and how far it went.
    assert!(t.ends_with(" candidates (budget reached)"), "{t}");
    let r = &coverage[0].rationale;
    assert!(r.contains("the default lists: "), "{r}");
    assert!(r.contains("stopped by the time budget"), "{r}");
    assert!(r.contains("It is a strong scheme"), "{r}");
    assert_eq!(coverage[0].evidence[0].path, "etc/shadow");
}

#[test]
fn user_wordlists_are_tried_and_named() {
    // DES crypt of a random password: every list is tried within the budget.
    let m = tree(&[(
        "etc/passwd",
        b"root:Hqo32ZKXmpY8s:0:0:root:/root:/bin/sh\n" as &[u8],
    )]);
    let findings = run(&m);
    assert!(of(&findings, "passwords.default").is_empty());
    // An uncracked weak hash is reported as such.
    let coverage = of(&findings, "passwords.coverage");
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    assert!(
        coverage[0]
            .title
            .starts_with("root's password not cracked: DES crypt; tried "),
        "{}",
        coverage[0].title
    );
    assert!(coverage[0].rationale.contains("a weak scheme"));
    let options = CheckOptions {
        extra_passwords: vec!["Zr8#tq2!vWm9Lp@x4Qe7".into()],
        ..CheckOptions::default()
    };
    let findings = run_with(&m, None, &options);
    let f = of(&findings, "passwords.default");
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert!(f[0].title.contains("(user wordlist)"), "{}", f[0].title);
}

#[test]
fn locked_accounts_give_no_finding() {
    let m = tree(&[
        (
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nadmin:!:1000:1000::/home/admin:/bin/sh\n\
              guest:*:1001:1001::/:/bin/sh\ndaemon:x:1:1::/:/bin/false\n",
        ),
        (
            "etc/shadow",
            b"root:!$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:::::\ndaemon:*:0:0:::::\n",
        ),
        ("etc/group", b"root:x:0:\n"),
    ]);
    let findings = run(&m);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn every_account_scheme_is_cracked() {
    // user admin, password admin, in each scheme.
    let hashes = [
        ("abOV.DfJmdnYw", "DES crypt"),
        ("_J9..saltk7/dRyUYM92", "BSDi DES crypt"),
        ("$1$saltsalt$Y3BMhxQHmg7scgLILa56u1", "md5crypt"),
        (
            "$5$saltsalt$ajilCybiF3oQBEfeTHO1rkbsmz9HcJplt.gHWXkRfD4",
            "sha256crypt",
        ),
        (
            "$2b$04$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "bcrypt",
        ),
        (
            "$y$j9T$abcdefgh$y7YixSZSrQy8hU6ORzd2u2Wa2NMN3ZDzpKLLnB2kgT9",
            "yescrypt",
        ),
    ];
    for (hash, scheme) in hashes {
        let passwd = format!("admin:{hash}:0:0:admin:/:/bin/sh\n");
        let m = tree(&[("etc/passwd", passwd.as_bytes())]);
        let findings = run(&m);
        let f = of(&findings, "passwords.default");
        assert_eq!(f.len(), 1, "{scheme}: {findings:#?}");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].title.contains("'admin'"), "{}", f[0].title);
        assert!(f[0].rationale.contains(scheme), "{}", f[0].rationale);
        assert!(
            f[0].rationale.contains("Mirai list (admin/admin)"),
            "{}",
            f[0].rationale
        );
        let weak = !of(&findings, "passwords.weak-hash").is_empty();
        assert_eq!(
            weak,
            matches!(scheme, "DES crypt" | "BSDi DES crypt" | "md5crypt"),
            "{scheme}"
        );
    }
}

#[test]
fn no_login_shell_lowers_a_cracked_password_to_medium() {
    let m = tree(&[(
        "etc/passwd",
        b"support:$1$saltsalt$Y3BMhxQHmg7scgLILa56u1:0:0::/:/sbin/nologin\n" as &[u8],
    )]);
    // support/admin is not a Mirai pair but `admin` is a Mirai password.
    let findings = run_with(
        &m,
        Some(services(&[("telnetd", "telnetd")])),
        &CheckOptions::default(),
    );
    let f = of(&findings, "passwords.default");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(
        f[0].rationale
            .contains("Mirai list (password of root/admin)"),
        "{}",
        f[0].rationale
    );
}

#[test]
fn web_and_mqtt_password_files() {
    let m = tree(&[
        (
            "etc/lighttpd/.htpasswd",
            b"admin:$apr1$6sKT0a2u$25bcQEWNWdITROiBDkB0I1\nweb:{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=\n",
        ),
        (
            "etc/mosquitto/pwfile",
            b"sensor:$7$101$GC2l/LU3ZeMOzg3r$zg7NN2jJYwrsM2fPhVDshXzJLgZS0hIXdD7puPH+T2IJ9t13qXHHZ+YjPc6qR0MeuAaXwlzCU9laOiRURsz6Lw==\n\
              old:$6$eQbiwmgUUUBwOtYq$eSwCQgML+qTRzE8OR5h8fxyPCsT+Rn3x1a08pxmYc13kYd+r3uLYMRngxmCnlYmsvzt4NDuR2wNbBEK7/JPfGw==\n",
        ),
        ("etc/httpd.conf", b"A:*\n/cgi-bin:admin:admin\n/adm:root:$1$saltsalt$Y3BMhxQHmg7scgLILa56u1\n"),
    ]);
    let findings = run(&m);
    let cracked = of(&findings, "passwords.default");
    let users: Vec<(&str, usize)> = cracked
        .iter()
        .map(|f| (f.evidence[0].path.as_str(), f.evidence[0].line.unwrap_or(0)))
        .collect();
    assert_eq!(
        users,
        [
            ("etc/httpd.conf", 3),
            ("etc/lighttpd/.htpasswd", 1),
            ("etc/lighttpd/.htpasswd", 2),
            ("etc/mosquitto/pwfile", 1),
            ("etc/mosquitto/pwfile", 2),
        ],
        "{cracked:#?}"
    );
    assert!(cracked.iter().all(|f| f.severity == Severity::High));
    assert!(cracked[3].title.contains("'1234'"), "{}", cracked[3].title);
    assert!(
        cracked[3].rationale.contains("Mosquitto PBKDF2"),
        "{}",
        cracked[3].rationale
    );
    // apr1, {SHA}, Mosquitto `$6$` and md5crypt are weak; Mosquitto `$7$` is not.
    let weak: Vec<usize> = of(&findings, "passwords.weak-hash")
        .iter()
        .map(|f| f.evidence[0].line.unwrap_or(0))
        .collect();
    assert_eq!(weak, [3, 1, 2, 2]);
    // The plaintext httpd.conf credential.
    let plain = of(&findings, "passwords.hardcoded");
    assert_eq!(plain.len(), 1, "{plain:#?}");
    assert_eq!(plain[0].severity, Severity::High);
    assert_eq!(plain[0].evidence[0].path, "etc/httpd.conf");
    assert_eq!(plain[0].evidence[0].line, Some(2));
    assert!(plain[0].rationale.contains("Mirai list (admin/admin)"));
}

#[test]
fn plaintext_passwords_in_configs_and_scripts() {
    let m = tree(&[
        (
            "etc/config/wireless",
            b"config wifi-iface\n\toption ssid 'OpenWrt'\n\toption encryption 'psk2'\n\toption key 'SharedWifiKey42'\n\toption key '1'\n",
        ),
        (
            "etc/config/system",
            b"config login\n\toption username 'admin'\n\toption password 'admin123'\n\toption password '$p$root'\n\toption passwd \"/etc/passwd\"\n\toption key /etc/uhttpd.key\n",
        ),
        (
            "etc/init.d/setup",
            b"#!/bin/sh\necho \"root:toor\" | chpasswd\necho -e \"s3cret\\ns3cret\" | passwd admin\n(echo pw1234; sleep 1; echo pw1234) | /bin/passwd\npassword=\"$password\"\nPASS=\"$1\"\nADMIN_PASSWORD='Factory#1'\n# password=commented\nddns --password hunter22 --user me\nmin_password_length=8\npassword_file=/etc/pw\n",
        ),
        ("etc/inittab", b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/login -f root\n"),
        // Web pages are not configuration: no finding.
        ("www/index.html", b"password=\"admin\"\n"),
    ]);
    let findings = run(&m);
    let plain: Vec<(String, usize, Severity)> = of(&findings, "passwords.hardcoded")
        .iter()
        .map(|f| {
            (
                f.evidence[0].path.clone(),
                f.evidence[0].line.unwrap_or(0),
                f.severity,
            )
        })
        .collect();
    let expect = [
        ("etc/config/system", 3, Severity::Medium),
        ("etc/config/wireless", 4, Severity::Medium),
        ("etc/init.d/setup", 2, Severity::High),
        ("etc/init.d/setup", 3, Severity::High),
        ("etc/init.d/setup", 4, Severity::High),
        ("etc/init.d/setup", 7, Severity::Medium),
        ("etc/init.d/setup", 9, Severity::Medium),
    ];
    let expect: Vec<(String, usize, Severity)> = expect
        .iter()
        .map(|(p, l, s)| (p.to_string(), *l, *s))
        .collect();
    assert_eq!(plain, expect, "{:#?}", of(&findings, "passwords.hardcoded"));
    let chpasswd = of(&findings, "passwords.hardcoded")
        .into_iter()
        .find(|f| f.evidence[0].line == Some(2) && f.evidence[0].path == "etc/init.d/setup")
        .expect("chpasswd");
    assert!(chpasswd.title.contains("for root"), "{}", chpasswd.title);
    assert_eq!(
        chpasswd.evidence[0].text.as_deref(),
        Some("echo \"root:toor\" | chpasswd")
    );
    let auto = of(&findings, "passwords.autologin");
    assert_eq!(auto.len(), 1);
    assert_eq!(auto[0].severity, Severity::Medium);
    assert_eq!(auto[0].evidence[0].path, "etc/inittab");
    assert_eq!(auto[0].evidence[0].line, Some(2));
}

#[test]
fn two_field_shadow_lines_are_accounts_only() {
    let m = tree(&[
        ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n" as &[u8]),
        ("etc/shadow", b"root:$1$saltsalt$Y3BMhxQHmg7scgLILa56u1\n"),
    ]);
    let findings = run(&m);
    let f = of(&findings, "passwords.default");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].title.starts_with("root's account password"),
        "{}",
        f[0].title
    );
    assert_eq!(f[0].evidence[0].path, "etc/shadow");
    assert_eq!(of(&findings, "passwords.weak-hash").len(), 1);
}

#[test]
fn clean_tree_gives_no_finding() {
    let m = tree(&[
        (
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nnobody:*:65534:65534::/:/bin/false\n",
        ),
        (
            "etc/shadow",
            b"root:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n",
        ),
        (
            "etc/config/system",
            b"config system\n\toption hostname 'box'\n",
        ),
        ("etc/init.d/rcS", b"#!/bin/sh\nmount -a\n"),
    ]);
    assert!(run(&m).is_empty());
}

#[test]
fn findings_are_capped_and_hostile_files_do_not_panic() {
    // 230 distinct `{SHA}` entries: weak-hash is capped at MAX_FINDINGS plus a summary.
    let mut htpasswd = String::new();
    for i in 0..230 {
        use sha1::Digest as _;
        let digest = sha1::Sha1::digest(format!("random-{i}-Xq9").as_bytes());
        htpasswd.push_str(&format!("u{i}:{{SHA}}{}\n", STANDARD.encode(digest)));
    }
    let mut hostile: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    hostile.retain(|&b| b != 0);
    let long_line = format!("password={}\n", "é".repeat(10_000));
    let m = tree(&[
        ("etc/webpw", htpasswd.as_bytes()),
        ("etc/garbage.conf", &hostile),
        ("etc/long.conf", long_line.as_bytes()),
        ("etc/shadow", b"root:\xff\xfe:0:\n\xc3:x\n:::::::::::::\n"),
        (
            "etc/passwd",
            b"root:$7$:0:0::/:/bin/sh\nx:$2b$99$aaaa:0:0::/:/bin/sh\nz:$y$$$:1:1::/:/bin/sh\n",
        ),
        ("etc/httpd.conf", b"/:\n/a:b\n/::::\n"),
    ]);
    let findings = run(&m);
    let weak = of(&findings, "passwords.weak-hash");
    assert_eq!(weak.len(), MAX_FINDINGS + 1);
    assert_eq!(weak[MAX_FINDINGS].severity, Severity::Info);
    assert!(weak[MAX_FINDINGS].title.starts_with("30 more findings"));
    // Hashes this tool cannot verify are reported as such.
    assert!(of(&findings, "passwords.coverage")
        .iter()
        .any(|f| f.title.contains("could not be verified")));
    for f in &findings {
        for e in &f.evidence {
            assert!(e.text.as_deref().unwrap_or("").chars().count() <= MAX_EXCERPT + 1);
        }
    }
}

// --- units ------------------------------------------------------------------------------------

#[test]
fn candidate_order() {
    let extra = ["mine".to_string(), "1234".to_string()];
    let set = crack::Candidates::new("admin", &extra);
    let c = &set.list;
    assert_eq!(c[0].password, "");
    assert_eq!(c[1].password, "admin");
    // admin's Mirai pairs come first; `admin` itself is already in.
    assert_eq!(c[2].password, "password");
    assert_eq!(c[2].origin.list_name(), "Mirai list");
    // Every default password, then the user lists (without what the built-in lists hold), then
    // the common list.
    assert_eq!(c[set.defaults].password, "mine");
    assert_eq!(c[set.defaults].origin, Origin::UserList);
    assert_eq!(set.user_lists, set.defaults + 1);
    assert!(c[..set.defaults]
        .iter()
        .all(|c| !matches!(c.origin, Origin::Common(_) | Origin::UserList)));
    assert!(c[set.user_lists..]
        .iter()
        .all(|c| matches!(c.origin, Origin::Common(_))));
    // One try per password, under the first list naming it.
    let distinct: HashSet<&str> = c.iter().map(|c| c.password).collect();
    assert_eq!(distinct.len(), c.len());
    assert!(c.len() - set.user_lists > 8000, "{}", c.len());
    // `password` heads the common list but a Mirai pair names it first.
    let password = c.iter().find(|c| c.password == "password").unwrap();
    assert_eq!(password.origin.list_name(), "Mirai list");
    let eleanor = c.iter().find(|c| c.password == "eleanor").unwrap();
    assert_eq!(eleanor.origin, Origin::Common(5013));
}

/// DES crypt of `eleanor`, number 5,014 of the common list and in no default list.
const ELEANOR_DES: &str = "Qxv7Bnss3YjdY";

#[test]
fn the_count_budget_stops_the_search_and_says_so() {
    let keys = vec![
        (ELEANOR_DES.to_string(), "bob".to_string()),
        (STRONG_SHA512.to_string(), "root".to_string()),
    ];
    let far = Instant::now() + Duration::from_secs(3600);
    let r = crack::crack_all(
        &keys,
        &[],
        &Budget {
            deadline: far,
            max_tries: 100,
        },
    );
    let des = &r[&keys[0]];
    let sha = &r[&keys[1]];
    // The cheap DES hash goes first and takes the whole budget; the sha512crypt hash gets none.
    assert_eq!(des.tried(), 100);
    assert_eq!(sha.tried(), 0);
    for c in [des, sha] {
        assert!(c.found.is_none());
        assert_eq!(c.stopped, Some(crack::Stop::Count));
        assert!(
            c.progress().contains("stopped by the image's budget"),
            "{}",
            c.progress()
        );
    }
    assert!(
        des.progress().starts_with("tried 100 of "),
        "{}",
        des.progress()
    );
    // Unbounded, the DES hash is cracked from the common list after every default list.
    let r = crack::crack_all(
        &keys[..1],
        &[],
        &Budget {
            deadline: far,
            max_tries: usize::MAX,
        },
    );
    let des = &r[&keys[0]];
    assert_eq!(
        des.found,
        Some(("eleanor".to_string(), Origin::Common(5013)))
    );
    assert_eq!(des.defaults.tried, des.defaults.total);
}

/// The one `passwords.default` finding of an image whose `etc/passwd` is `passwd`.
fn cracked(passwd: &str) -> Finding {
    let findings = run(&tree(&[("etc/passwd", passwd.as_bytes())]));
    let f = of(&findings, "passwords.default");
    assert_eq!(f.len(), 1, "{findings:#?}");
    f[0].clone()
}

#[test]
fn a_seclists_telnet_default_is_cracked_and_the_list_named() {
    // md5crypt of `oelinux123`, a pair of SecLists' telnet list only.
    let f = cracked("root:$1$h4salt$ToLZydCDP9DBDIe6/QMzL/:0:0:root:/root:/bin/sh\n");
    assert!(
        f.title.contains(
            "root's account password is the public default 'oelinux123' (SecLists telnet defaults)"
        ),
        "{}",
        f.title
    );
    assert!(
        f.rationale
            .contains("SecLists telnet defaults (root/oelinux123)"),
        "{}",
        f.rationale
    );
}

#[test]
fn a_common_password_is_cracked_and_the_list_named() {
    let f = cracked(&format!("bob:{ELEANOR_DES}:1000:1000::/home/bob:/bin/sh\n"));
    assert!(
        f.title.contains(
            "bob's account password is a common password 'eleanor' (10k most common passwords \
             (SecLists))"
        ),
        "{}",
        f.title
    );
    assert!(
        f.rationale.contains("number 5014 of 10,000"),
        "{}",
        f.rationale
    );
}

#[test]
fn key_and_value_filters() {
    for k in [
        "password",
        "PASSWD",
        "admin_password",
        "wpa_passphrase",
        "sysPassword",
        "ppp_pass",
    ] {
        assert!(password_key(k, false), "{k}");
    }
    for k in [
        "password_file",
        "min_password_length",
        "passwordtype",
        "key",
        "username",
    ] {
        assert!(!password_key(k, false), "{k}");
    }
    assert!(password_key("key", true));
    for v in ["admin", "1234", "Factory#1"] {
        assert!(literal_secret(v), "{v}");
    }
    for v in [
        "",
        "$password",
        "${PW}",
        "$(cat x)",
        "/etc/passwd",
        "********",
        "none",
        "%s",
        "<blank>",
    ] {
        assert!(!literal_secret(v), "{v}");
    }
    assert!(has_flag("dropbear -sg -p 22", 'g'));
    assert!(!has_flag("dropbear -p 22 --gs", 'g'));
    assert!(!has_flag("dropbear", 's'));
}

#[test]
fn many_accounts_stay_bounded() {
    // 20,000 uid-0 accounts with empty passwords and 300 with distinct hashes (of a scheme not
    // verified here, so the test stays fast).
    let mut passwd = String::new();
    for i in 0..20_000 {
        passwd.push_str(&format!("u{i}::0:0::/:/bin/sh\n"));
    }
    for i in 0..300 {
        passwd.push_str(&format!(
            "h{i}:$gy$j9T$s{i}$aaaaaaaaaaaaaaaaaaaaaa:1:1::/:/bin/sh\n"
        ));
    }
    let m = tree(&[("etc/passwd", passwd.as_bytes())]);
    let started = Instant::now();
    let findings = run(&m);
    assert!(started.elapsed() < Duration::from_secs(20));
    let empty = of(&findings, "passwords.empty");
    assert_eq!(empty.len(), MAX_FINDINGS + 1);
    let uid0 = of(&findings, "passwords.uid0");
    assert_eq!(uid0.len(), 1);
    assert!(
        uid0[0].title.starts_with("20000 accounts have uid 0"),
        "{}",
        uid0[0].title
    );
    assert!(
        uid0[0].title.ends_with("and 19992 more"),
        "{}",
        uid0[0].title
    );
    assert_eq!(uid0[0].evidence.len(), 20);
    // Only MAX_HASHES hashes are tried; the rest are reported, never silently dropped.
    let coverage = of(&findings, "passwords.coverage");
    assert!(
        coverage
            .iter()
            .any(|f| f.title == "44 password hashes not tried (more than 256 in the image)"),
        "{:#?}",
        coverage.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
}

// --- credentials that exist only at run time ----------------------------------------------------

/// A root with `files` (path, content, mode) and `links` (path, target).
fn tree_with_links(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Manifest {
    let mut b = ManifestBuilder::new("synthetic.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    for (path, data) in files {
        b.file(r, path, 0o755, data);
    }
    for (path, target) in links {
        b.symlink(r, path, target);
    }
    b.build()
}

/// The reason [`accounts_not_examined`] gives for a manifest.
fn not_examined(manifest: &Manifest) -> Option<String> {
    let inventory: Inventory = iotassay_inventory::inventory(manifest);
    let tree = FileTree::new(manifest);
    let options = CheckOptions::default();
    let cx = Context {
        manifest,
        tree: &tree,
        inventory: &inventory,
        options: &options,
    };
    accounts_not_examined(&cx)
}

fn chain(f: &Finding) -> Vec<(String, Option<usize>)> {
    f.evidence
        .iter()
        .map(|e| (e.path.clone(), e.line))
        .collect()
}

fn at(path: &str, line: usize) -> (String, Option<usize>) {
    (path.to_string(), Some(line))
}

#[test]
fn a_default_hash_written_into_passwd_at_boot_is_cracked_with_its_chain() {
    let m = tree_with_links(
        &[
            (
                "etc/nvram.default",
                b"lan_ipaddr=192.168.0.1\nadmin_hash=$1$$iC.dUsGpxNNJGeOm1dFio/\n" as &[u8],
            ),
            (
                "etc/init.d/rcS",
                b"#!/bin/sh\nmkdir -p /var/run\nH=$(nvram get admin_hash)\necho \"admin:$H:0:0:admin:/:/bin/sh\" > /var/passwd\n",
            ),
        ],
        &[("etc/passwd", "../var/passwd")],
    );
    let findings = run(&m);
    let cracked = of(&findings, "passwords.default");
    assert_eq!(cracked.len(), 1, "{findings:#?}");
    assert!(
        cracked[0]
            .title
            .contains("admin's account password is the public default '1234'"),
        "{}",
        cracked[0].title
    );
    assert_eq!(
        chain(cracked[0]),
        [
            at("etc/nvram.default", 2),
            at("etc/init.d/rcS", 3),
            at("etc/init.d/rcS", 4)
        ]
    );
    // The passwd the device uses is written by a script whose lines were all seen.
    assert_eq!(not_examined(&m), None);
    let coverage = of(&findings, "passwords.coverage");
    let link = coverage
        .iter()
        .find(|f| f.evidence[0].path == "etc/passwd")
        .expect("link note");
    assert!(
        link.title.contains("written line by line by a boot script"),
        "{}",
        link.title
    );
    assert_eq!(link.evidence[1].path, "etc/init.d/rcS");
    assert_eq!(link.evidence[1].line, Some(4));
}

#[test]
fn telnetd_login_read_from_a_file_is_a_hard_coded_credential() {
    // D-Link DIR-600L's /bin/telnetd.sh (Alpha Networks), with the value it reads.
    let m = tree(&[
        ("etc/alpha_config/image_sign", b"wrgn61_dlwbr_dir600L\n"),
        (
            "bin/telnetd.sh",
            b"#!/bin/sh\nif [ -f \"/usr/bin/login\" ]; then\n\timage_sign=`cat /etc/alpha_config/image_sign`\n\ttelnetd -l /usr/bin/login -u Alphanetworks:$image_sign -i br0 &\nelse\n\ttelnetd &\nfi\n",
        ),
    ]);
    let findings = run(&m);
    let hard = of(&findings, "passwords.hardcoded");
    assert_eq!(hard.len(), 1, "{hard:#?}");
    let f = hard[0];
    assert_eq!(
        f.title,
        "Hard-coded telnet login Alphanetworks/wrgn61_dlwbr_dir600L in bin/telnetd.sh (telnetd -u)"
    );
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        chain(f),
        [
            at("etc/alpha_config/image_sign", 1),
            at("bin/telnetd.sh", 3),
            at("bin/telnetd.sh", 4)
        ]
    );
    assert_eq!(f.evidence[0].text.as_deref(), Some("wrgn61_dlwbr_dir600L"));
    assert!(
        f.rationale
            .contains("etc/alpha_config/image_sign line 1 → bin/telnetd.sh line 3"),
        "{}",
        f.rationale
    );
    // Started at boot: the login works over the network.
    let started = run_with(
        &m,
        Some(services(&[(
            "telnetd",
            "telnetd -l /usr/bin/login -u Alphanetworks:$image_sign -i br0",
        )])),
        &CheckOptions::default(),
    );
    let f = of(&started, "passwords.hardcoded")[0];
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.evidence.last().unwrap().path, "etc/init.d/telnetd");
}

#[test]
fn chpasswd_from_nvram_defaults() {
    let m = tree(&[
        (
            "etc/nvram.default",
            b"http_username=admin\nhttp_passwd=s3cr3tpw\n" as &[u8],
        ),
        (
            "usr/sbin/setpw.sh",
            b"#!/bin/sh\nU=$(nvram get http_username)\necho \"$U:$(nvram get http_passwd)\" | chpasswd\n",
        ),
    ]);
    let findings = run(&m);
    let hard = of(&findings, "passwords.hardcoded");
    // One finding: the default is reported in the chain that uses it, not again on its own.
    assert_eq!(hard.len(), 1, "{hard:#?}");
    let f = hard[0];
    assert_eq!(
        f.title,
        "Hard-coded password for admin in usr/sbin/setpw.sh (password set by chpasswd)"
    );
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        chain(f),
        [
            at("etc/nvram.default", 1),
            at("usr/sbin/setpw.sh", 2),
            at("etc/nvram.default", 2),
            at("usr/sbin/setpw.sh", 3)
        ]
    );
}

#[test]
fn default_trees_and_empty_wifi_keys() {
    let m = tree(&[
        (
            "etc/default.xml",
            b"<config>\n<users>\n<user name=\"admin\" password=\"adm1nPw\" level=\"0\"/>\n</users>\n<wlan ssid=\"Home\" security=\"wpa2\" psk=\"\"/>\n</config>\n" as &[u8],
        ),
        (
            "etc/defaults.json",
            b"{\n  \"accounts\": [\n    {\n      \"username\": \"support\",\n      \"password\": \"supp0rtPw\"\n    }\n  ]\n}\n",
        ),
        ("etc/nvram.default", b"wl0_ssid=Home\nwl0_wpa_psk=\nhttp_passwd=\n"),
    ]);
    let findings = run(&m);
    let mut got: Vec<(String, Severity, String, Option<usize>)> =
        of(&findings, "passwords.hardcoded")
            .iter()
            .map(|f| {
                (
                    f.title.clone(),
                    f.severity,
                    f.evidence[0].path.clone(),
                    f.evidence[0].line,
                )
            })
            .collect();
    got.sort_by(|a, b| (&a.2, a.3).cmp(&(&b.2, b.3)));
    assert_eq!(
        got,
        [
            (
                "Default login password for admin in etc/default.xml (password): 'adm1nPw'".into(),
                Severity::High,
                "etc/default.xml".into(),
                Some(3)
            ),
            (
                "Empty default Wi-Fi pre-shared key in etc/default.xml (psk)".into(),
                Severity::Medium,
                "etc/default.xml".into(),
                Some(5)
            ),
            (
                "Default login password for support in etc/defaults.json (password): 'supp0rtPw'"
                    .into(),
                Severity::High,
                "etc/defaults.json".into(),
                Some(5)
            ),
            (
                "Empty default Wi-Fi pre-shared key in etc/nvram.default (wl0_wpa_psk)".into(),
                Severity::Medium,
                "etc/nvram.default".into(),
                Some(2)
            ),
            (
                "Empty default login password in etc/nvram.default (http_passwd)".into(),
                Severity::High,
                "etc/nvram.default".into(),
                Some(3)
            ),
        ],
        "{findings:#?}"
    );
}

#[test]
fn boot_created_passwd_without_a_source_is_not_examined() {
    let m = tree_with_links(
        &[("etc/init.d/rcS", b"#!/bin/sh\nmount -a\n" as &[u8])],
        &[("etc/passwd", "../var/passwd")],
    );
    let reason = "passwd is a link to /var/passwd, written at run time; no source found";
    assert_eq!(not_examined(&m).as_deref(), Some(reason));
    let findings = run(&m);
    let coverage = of(&findings, "passwords.coverage");
    assert_eq!(coverage.len(), 1, "{coverage:#?}");
    assert_eq!(
        coverage[0].title,
        format!("Accounts not examined: {reason}")
    );
    assert_eq!(coverage[0].severity, Severity::Info);
    assert_eq!(
        coverage[0].evidence[0].text.as_deref(),
        Some("etc/passwd -> ../var/passwd")
    );

    // A program that writes it (its strings: the path, then a literal group line) is cited, but
    // the passwords it writes are still not in the image.
    let mut cfm = b"\x7fELF\x01\x02\x01\0\0\0\0\0\0\0\0\0".to_vec();
    cfm.resize(0x100, 0);
    let offset = cfm.len();
    cfm.extend_from_slice(
        b"/etc/passwd\0admin\0Administrator\0support\0/etc/group\0root::0:root,admin,support\0",
    );
    let m = tree_with_links(&[("bin/cfm", &cfm)], &[("etc/passwd", "../var/passwd")]);
    let reason = not_examined(&m).expect("not examined");
    assert!(
        reason.starts_with(&format!(
            "passwd is a link to /var/passwd, written at run time; written by bin/cfm (strings at {offset:#x}: /etc/passwd, admin, Administrator, support"
        )),
        "{reason}"
    );
    let findings = run(&m);
    let f = of(&findings, "passwords.coverage")[0];
    assert_eq!(f.evidence[1].path, "bin/cfm");
    assert_eq!(f.evidence[1].offset, Some(offset as u64));

    // A copy from a file of the image that is not named like an account file is parsed as one.
    let m = tree_with_links(
        &[
            (
                "etc/pw.def",
                b"root:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:root:/:/bin/sh\n" as &[u8],
            ),
            ("etc/init.d/rcS", b"#!/bin/sh\ncp /etc/pw.def /var/passwd\n"),
        ],
        &[("etc/passwd", "../var/passwd")],
    );
    assert_eq!(not_examined(&m), None);
    let findings = run(&m);
    let cracked = of(&findings, "passwords.default");
    assert_eq!(cracked.len(), 1, "{findings:#?}");
    assert_eq!(
        chain(cracked[0]),
        [at("etc/pw.def", 1), at("etc/init.d/rcS", 2)]
    );
}

#[test]
fn unresolved_templates_comments_and_kernel_options_are_not_credentials() {
    let m = tree(&[
        (
            "etc/init.d/S50setup",
            b"#!/bin/sh\n# password=commented\n# echo \"root:toor\" | chpasswd\nPASSWORD=$PASSWORD\necho \"root:$PASSWORD\" | chpasswd\nPW=$(get_pw)\ntelnetd -u admin:$PW &\ntelnetd -u admin:`cat /etc/absent` &\nprintf 'password=%s' \"$1\" > /tmp/x.conf\n" as &[u8],
        ),
        ("etc/default.conf", b"# password=secret\npassword=%s\nwpa_psk=$PSK\n"),
        ("etc/kernel-default.config", b"CONFIG_CRYPTO_USER_API_PASS=y\nCONFIG_SOME_PASSWORD=\"abc\"\n"),
        ("usr/share/doc/app/README.default", b"password=changeme\n"),
    ]);
    let findings = run(&m);
    for check in [
        "passwords.hardcoded",
        "passwords.default",
        "passwords.empty",
    ] {
        assert!(of(&findings, check).is_empty(), "{check}: {findings:#?}");
    }
}

#[test]
fn passwd_deleted_at_boot_is_an_empty_password() {
    let m = tree(&[(
        "etc/init.d/rcS",
        b"#!/bin/sh\n/bin/passwd -d root\n" as &[u8],
    )]);
    let findings = run(&m);
    let empty = of(&findings, "passwords.empty");
    assert_eq!(empty.len(), 1, "{findings:#?}");
    assert_eq!(chain(empty[0]), [at("etc/init.d/rcS", 2)]);
}

/// A kernel or BusyBox configuration symbol is not a password; the same file's real assignment
/// still is.
#[test]
fn kconfig_symbols_are_not_passwords() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(
        r,
        "etc/kernel.config",
        0o644,
        b"CONFIG_PPP_PASSWORD=y\nCONFIG_RT2860V2_AP_WSC_PASS=\"12345670\"\n# CONFIG_FOO_PASSWD is not set\n",
    )
    .file(
        r,
        "etc/ppp.conf",
        0o644,
        b"CONFIG_AUTH_PASS=s3cret\nppp_password=Tr0ub4dor\n",
    );
    let m = b.build();
    let found = run(&m);
    let hard = of(&found, "passwords.hardcoded");
    assert_eq!(
        hard.len(),
        1,
        "{:?}",
        hard.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    assert_eq!(hard[0].evidence[0].path, "etc/ppp.conf");
    assert_eq!(hard[0].evidence[0].line, Some(2));
}
