use std::sync::LazyLock;

use iotassay_unpack::{Manifest, Options};

use super::*;
use crate::testing::{profile_telnet_layout, unix_root, ManifestBuilder};
use crate::tree::FileTree;

fn services_of(m: &Manifest) -> Services {
    collect(&FileTree::new(m))
}

fn unpack(rel: &str) -> Manifest {
    let path = iotassay_testkit::corpus(rel);
    let bytes = std::fs::read(&path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    iotassay_unpack::unpack(
        &name,
        &bytes,
        None,
        &Options {
            keep_data: true,
            ..Options::default()
        },
    )
    .unwrap()
}

static OPENWRT_1209: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/openwrt-12.09-tl-wr703n-factory.bin"));
static OPENWRT_1505: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/openwrt-15.05-tl-wr703n-sysupgrade.bin"));
static TPLINK: LazyLock<Manifest> = LazyLock::new(|| unpack("real/tplink-mt7628-flashdump.bin"));
static BROADCOM: LazyLock<Manifest> =
    LazyLock::new(|| unpack("real/broadcom-squashfs-v2-be-lzma.bin"));

fn one<'a>(s: &'a Services, program: &'a str) -> &'a Service {
    let found: Vec<&Service> = s.started(program).collect();
    assert!(
        !found.is_empty(),
        "{program} not found among {:?}",
        s.services
            .iter()
            .map(|x| (&x.program, &x.evidence.path))
            .collect::<Vec<_>>()
    );
    found[0]
}

#[test]
fn inittab_console_shells() {
    for (line, shell) in [
        ("ttyS0::respawn:/bin/sh", true),
        ("::askfirst:-/bin/ash", true),
        (
            "ttyS1::respawn:/sbin/getty -n -l /bin/sh -L 115200 ttyS1 vt100",
            true,
        ),
        ("console::respawn:/bin/login -f root", true),
        ("ttyS1::askfirst:/bin/login", false),
        ("ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100", false),
        ("::shutdown:/bin/sh -c 'umount -a'", false),
        ("s0:12345:respawn:/sbin/agetty -L 115200 ttyS0 vt102", false),
        ("1:2345:respawn:/bin/bash", true),
    ] {
        let mut b = ManifestBuilder::new("fw.bin");
        let r = unix_root(&mut b, "squashfs", 0);
        b.file(
            r,
            "etc/inittab",
            0o644,
            format!("# comment\n\n{line}\n").as_bytes(),
        );
        let m = b.build();
        let s = services_of(&m);
        assert_eq!(s.console_shell.is_some(), shell, "{line}");
        if let Some(ev) = &s.console_shell {
            assert_eq!(ev.path, "etc/inittab");
            assert_eq!(ev.line, Some(3));
            assert_eq!(ev.text.as_deref(), Some(line));
        }
    }
}

#[test]
fn init_scripts_with_links_launchers_and_applets() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "bin/busybox", 0o755, b"\x7fELF")
        .symlink(r, "usr/sbin/telnetd", "../../bin/busybox")
        .file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/lighttpd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/snmpd", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/init.d/telnet",
            0o755,
            b"#!/bin/sh /etc/rc.common\nSTART=50\nstart() {\n\tservice_start /usr/sbin/telnetd -l /bin/login.sh\n}\nstop() {\n\tservice_stop /usr/sbin/telnetd\n}\n",
        )
        .file(
            r,
            "etc/init.d/dropbear",
            0o755,
            b"#!/bin/sh /etc/rc.common\nUSE_PROCD=1\nPROG=/usr/sbin/dropbear\ninstance() {\n\tprocd_open_instance\n\tprocd_set_param command \"$PROG\" -F -P /var/run/d.pid\n}\n",
        )
        .file(
            r,
            "etc/init.d/lighttpd",
            0o755,
            b"#!/bin/sh\nDAEMON=/usr/sbin/lighttpd\ncase \"$1\" in\n  start)\n    start-stop-daemon -S -q -x $DAEMON -- -f /etc/lighttpd.conf\n    ;;\n  stop)\n    start-stop-daemon -K -q -x $DAEMON\n    ;;\nesac\n",
        )
        .file(
            r,
            "etc/init.d/snmpd",
            0o755,
            b"#!/bin/sh\nstart() {\n  /bin/busybox echo starting\n  snmpd -c /etc/snmpd.conf &\n}\n",
        )
        .symlink(r, "etc/rc.d/S50telnet", "../init.d/telnet")
        .symlink(r, "etc/rc.d/S50dropbear", "../init.d/dropbear")
        .symlink(r, "etc/rc.d/K50dropbear", "../init.d/dropbear")
        .symlink(r, "etc/rc.d/S60lighttpd", "../init.d/lighttpd");
    let m = b.build();
    let s = services_of(&m);

    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.path, "/usr/sbin/telnetd");
    assert_eq!(telnetd.option("-l"), Some("/bin/login.sh"));
    assert_eq!(telnetd.evidence.path, "etc/init.d/telnet");
    assert_eq!(telnetd.evidence.line, Some(4));
    assert_eq!(
        telnetd.started_by,
        StartedBy::InitScript {
            script: "etc/init.d/telnet".into(),
            enabled: Some(true),
            link: Some("etc/rc.d/S50telnet".into())
        }
    );
    assert_eq!(telnetd.enablement(), Enablement::Yes);
    assert_eq!(
        s.started("telnetd").count(),
        1,
        "the stop() line is not a start"
    );

    let dropbear = one(&s, "dropbear");
    assert_eq!(dropbear.path, "/usr/sbin/dropbear");
    assert!(dropbear.has_flag('F'));
    assert!(!dropbear.has_flag('B'));
    assert_eq!(dropbear.evidence.line, Some(6));

    let lighttpd = one(&s, "lighttpd");
    assert_eq!(lighttpd.args, vec!["-f", "/etc/lighttpd.conf"]);
    assert_eq!(lighttpd.evidence.line, Some(5));

    let snmpd = one(&s, "snmpd");
    assert_eq!(snmpd.enablement(), Enablement::No, "no S link to snmpd");
    assert!(s.started("echo").next().is_none());
}

#[test]
fn busybox_style_rcs_and_applet_calls() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "bin/busybox", 0o755, b"\x7fELF")
        .file(r, "usr/bin/tddp", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/miniupnpd", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/inittab",
            0o644,
            b"::sysinit:/etc/init.d/rcS\nttyS1::askfirst:/bin/login\n",
        )
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\nmount -a\n/bin/busybox telnetd -l /bin/sh &\ntddp &\n/etc/start.sh\nfor s in /etc/init.d/S*; do \"$s\" start; done\n",
        )
        .file(r, "etc/start.sh", 0o755, b"#!/bin/sh\n/usr/bin/tddp -x\nbusybox httpd -p 80 -h /www\n")
        .file(
            r,
            "etc/init.d/S50upnp",
            0o755,
            b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/miniupnpd -f /etc/miniupnpd.conf ;;\nesac\n",
        );
    let m = b.build();
    let s = services_of(&m);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.option("-l"), Some("/bin/sh"));
    assert!(matches!(
        &telnetd.started_by,
        StartedBy::BootScript { script, conditions, .. }
            if script == "etc/init.d/rcS" && conditions.is_empty()
    ));
    assert_eq!(telnetd.evidence.line, Some(3));
    assert_eq!(one(&s, "tddp").evidence.line, Some(4));
    let httpd = one(&s, "httpd");
    assert_eq!(
        httpd.evidence.path, "etc/start.sh",
        "one level of nested scripts"
    );
    let upnp = one(&s, "miniupnpd");
    assert_eq!(
        upnp.enablement(),
        Enablement::Yes,
        "rcS runs /etc/init.d/S*"
    );
    assert!(s.started("mount").next().is_none());
    assert!(
        s.console_shell.is_none(),
        "a login prompt is not a console shell"
    );
    assert!(s.started("login").next().is_some());
}

#[test]
fn systemd_units_and_enablement() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "ext4", 0);
    b.file(
        r,
        "lib/systemd/system/adbd.service",
        0o644,
        b"[Unit]\nDescription=adb\n[Service]\nExecStart=-/usr/bin/adbd --root\n[Install]\nWantedBy=multi-user.target\n",
    )
    .file(
        r,
        "lib/systemd/system/web.service",
        0o644,
        b"[Service]\nUser=www\nExecStart=/usr/bin/web -p 80\n",
    )
    .symlink(
        r,
        "etc/systemd/system/multi-user.target.wants/adbd.service",
        "/lib/systemd/system/adbd.service",
    );
    let m = b.build();
    let s = services_of(&m);
    let adbd = one(&s, "adbd");
    assert_eq!(adbd.user.as_deref(), Some("root"));
    assert_eq!(adbd.enablement(), Enablement::Yes);
    assert_eq!(adbd.evidence.line, Some(4));
    let web = one(&s, "web");
    assert_eq!(web.user.as_deref(), Some("www"));
    assert_eq!(web.enablement(), Enablement::No);
}

#[test]
fn inetd_and_xinetd() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(
        r,
        "etc/inetd.conf",
        0o644,
        b"echo stream tcp nowait root internal\ntelnet stream tcp nowait root /usr/sbin/telnetd telnetd -L /bin/login\nftp stream tcp nowait root.root /usr/sbin/tcpd in.ftpd -l\nbad line\n",
    )
    .file(
        r,
        "etc/xinetd.d/tftp",
        0o644,
        b"service tftp\n{\n\tsocket_type = dgram\n\tprotocol = udp\n\tuser = nobody\n\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv\n\tdisable = no\n}\n",
    )
    .file(
        r,
        "etc/xinetd.d/rsh",
        0o644,
        b"service shell\n{\n\tserver = /usr/sbin/in.rshd\n\tdisable = yes\n}\n",
    )
    .file(r, "etc/init.d/rcS", 0o755, b"#!/bin/sh\n/usr/sbin/inetd\n")
    .file(r, "usr/sbin/inetd", 0o755, b"\x7fELF");
    let m = b.build();
    let s = services_of(&m);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.user.as_deref(), Some("root"));
    assert_eq!(telnetd.evidence.line, Some(2));
    assert_eq!(telnetd.enablement(), Enablement::Yes, "rcS starts inetd");
    let ftpd = one(&s, "in.ftpd");
    assert_eq!(ftpd.user.as_deref(), Some("root"));
    assert_eq!(ftpd.args, vec!["-l"]);
    let tftpd = one(&s, "in.tftpd");
    assert_eq!(tftpd.user.as_deref(), Some("nobody"));
    assert_eq!(tftpd.evidence.line, Some(6));
    assert_eq!(
        tftpd.enablement(),
        Enablement::Unknown,
        "nothing starts xinetd"
    );
    assert!(s.started("in.rshd").next().is_none(), "disabled");
    assert!(s.notes.iter().any(|n| n.contains("fewer than six")));
}

#[test]
fn hostile_scripts_do_not_panic_and_are_bounded() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    let big = vec![b'a'; MAX_SCRIPT + 1];
    let mut junk = Vec::new();
    for i in 0..20_000u32 {
        junk.extend_from_slice(&i.to_le_bytes());
        junk.extend_from_slice("é\\\n\"'`$(${{}}) ;;&|ü\u{1F600}#".as_bytes());
    }
    b.file(
        r,
        "etc/inittab",
        0o644,
        b":::\n::::\n\xff\xfe:respawn:\n::respawn:\"\n",
    )
    .file(r, "etc/init.d/big", 0o755, &big)
    .file(r, "etc/init.d/junk", 0o755, &junk)
    .file(
        r,
        "etc/init.d/rcS",
        0o755,
        "start() {\n\"$(\nfoo\\".as_bytes(),
    )
    .file(r, "etc/inetd.conf", 0o644, &junk)
    .file(
        r,
        "etc/xinetd.d/x",
        0o644,
        b"service\nserver =\n}\n}\nservice a {\nserver = /x\n",
    )
    .symlink(r, "etc/init.d/loop", "loop")
    .file(r, "bin/prog", 0o755, b"\x7fELF\0prog &\0\xff\xff\0");
    let m = b.build();
    let s = services_of(&m);
    assert!(s.notes.iter().any(|n| n.contains("etc/init.d/big")));
    for t in [
        "a\\",
        "$(",
        "`",
        "${",
        "\"",
        "'",
        "é$",
        "case x in ) ;;",
        "function {",
    ] {
        let _ = simple_commands(t);
        let _ = shell_lines(t);
        let _ = function_name(t);
        let _ = case_pattern(t);
        let _ = expand(t, &HashMap::new());
        let _ = joined_commands(t);
    }
    for (pattern, value, matches) in [
        ("st*", "start", true),
        ("*é*", "aéb", true),
        ("a*é", "aé", true),
        ("*b", "é", false),
        ("é*é", "é", false),
        ("x", "x", true),
    ] {
        assert_eq!(walk::glob(pattern, value), matches, "{pattern} {value}");
    }
    assert_eq!(excerpt(&"é".repeat(500)).chars().count(), MAX_EXCERPT + 1);
}

#[test]
fn corpus_openwrt_1209_telnet_script_enabled() {
    let s = services_of(&OPENWRT_1209);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.evidence.path, "etc/init.d/telnet");
    assert_eq!(telnetd.evidence.line, Some(31));
    assert_eq!(
        telnetd.evidence.text.as_deref(),
        Some("service_start /usr/sbin/telnetd -l /bin/login.sh")
    );
    assert_eq!(telnetd.option("-l"), Some("/bin/login.sh"));
    assert!(matches!(
        &telnetd.started_by,
        StartedBy::InitScript { enabled: Some(true), link: Some(l), .. } if l == "etc/rc.d/S50telnet"
    ));
    assert!(telnetd.evidence.provenance.contains("squashfs"));
    assert!(telnetd.evidence.provenance.ends_with("etc/init.d/telnet"));
    assert!(s.started("dropbear").next().is_some());
    assert!(s.console_shell.is_none());
}

#[test]
fn corpus_openwrt_1505_procd_services_and_console() {
    let s = services_of(&OPENWRT_1505);
    let dropbear = one(&s, "dropbear");
    assert_eq!(dropbear.path, "/usr/sbin/dropbear");
    assert_eq!(dropbear.evidence.path, "etc/init.d/dropbear");
    assert_eq!(dropbear.enablement(), Enablement::Yes);
    assert!(!dropbear.has_flag('B'));
    let uhttpd = one(&s, "uhttpd");
    assert_eq!(uhttpd.path, "/usr/sbin/uhttpd");
    assert_eq!(uhttpd.enablement(), Enablement::Yes);
    let console = s.console_shell.as_ref().expect("askconsole shell");
    assert_eq!(console.path, "etc/inittab");
    assert_eq!(console.line, Some(3));
    assert_eq!(
        console.text.as_deref(),
        Some("::askconsole:/bin/ash --login")
    );
    assert!(s.started("telnetd").next().is_none());
}

#[test]
fn corpus_tplink_daemons_launched_by_programs() {
    let s = services_of(&TPLINK);
    let cos = one(&s, "cos");
    assert_eq!(cos.evidence.path, "etc/init.d/rcS");
    let tddp = one(&s, "tddp");
    let StartedBy::Program { binary, launcher } = &tddp.started_by else {
        panic!("{:?}", tddp.started_by)
    };
    assert_eq!(binary, "usr/bin/cos");
    let launcher = launcher.as_ref().expect("cos is started by rcS");
    assert_eq!(launcher.evidence.path, "etc/init.d/rcS");
    assert_eq!(tddp.evidence.text.as_deref(), Some("tddp &"));
    assert!(tddp.evidence.offset.is_some());
    assert_eq!(
        tddp.enablement(),
        Enablement::Yes,
        "cos, which launches tddp, is started at boot"
    );
    let dropbear = one(&s, "dropbear");
    assert!(matches!(
        &dropbear.started_by,
        StartedBy::Program { binary, launcher: None } if binary == "lib/libcmm.so"
    ));
    assert!(dropbear.command.starts_with("dropbear -p %d"));
    assert!(s.console_shell.is_none(), "ttyS1 asks for a login");
}

#[test]
fn corpus_broadcom_inetd_telnetd() {
    let s = services_of(&BROADCOM);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.evidence.path, "etc/inetd.conf");
    assert_eq!(telnetd.evidence.line, Some(12));
    assert_eq!(telnetd.user.as_deref(), Some("root"));
    assert_eq!(
        telnetd.enablement(),
        Enablement::Unknown,
        "rcS's inetd line is commented out"
    );
    assert!(s.started("ftpd").next().is_some());
    let console = s.console_shell.as_ref().expect("::respawn:-/bin/sh");
    assert_eq!(console.line, Some(2));
}

fn meanings(s: &Service) -> Vec<&str> {
    s.conditions().iter().map(|c| c.meaning.as_str()).collect()
}

fn script_of(s: &Service) -> (&str, Vec<(&str, Option<usize>)>) {
    let StartedBy::BootScript { script, via, .. } = &s.started_by else {
        panic!("not a boot script: {:?}", s.started_by)
    };
    (
        script.as_str(),
        via.iter().map(|v| (v.path.as_str(), v.line)).collect(),
    )
}

#[test]
fn function_in_a_sourced_file_starts_only_when_called() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/bin/tddp", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/utelnetd", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\n. /etc/functions\nstart_debug factory\n",
        )
        // No shebang and no `.sh`: read because it is sourced.
        .file(
            r,
            "etc/functions",
            0o644,
            b"start_debug()\n{\n\tif [ \"$1\" = factory ]; then\n\t\ttddp &\n\tfi\n}\nunused() { utelnetd -l /bin/sh; }\n",
        );
    let m = b.build();
    let s = services_of(&m);
    let tddp = one(&s, "tddp");
    assert_eq!(tddp.evidence.path, "etc/functions");
    assert_eq!(tddp.evidence.line, Some(4));
    assert_eq!(tddp.enablement(), Enablement::Yes);
    let (script, via) = script_of(tddp);
    assert_eq!(script, "etc/functions");
    assert_eq!(via, vec![("etc/init.d/rcS", Some(3))], "the call line");
    // `$1` is known from the call: the test is shown with its value.
    assert_eq!(meanings(tddp), vec!["`factory` ($1) is `factory`"]);
    assert_eq!(tddp.conditions()[0].evidence.line, Some(3));
    assert!(
        s.started("utelnetd").next().is_none(),
        "a function never called starts nothing"
    );
}

#[test]
fn case_on_a_setting_and_and_or_lists_keep_their_condition() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/sbin/telnetd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/lighttpd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/snmpd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/miniupnpd", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\nMODE=$(nvram get telnet_mode)\ncase \"$MODE\" in\n  1|on)\n    telnetd -l /bin/login &\n    ;;\n  stop)\n    dropbear\n    ;;\nesac\n\
[ -f /etc/web.off ] || lighttpd -f /etc/l.conf\nif [ \"`uci get snmp.enabled`\" = 1 ]; then :\nelse\n  snmpd\nfi\n\
UPNP=`cfg get upnp_on`\nif [ \"$UPNP\" != 0 ]; then miniupnpd; fi\n",
        );
    let m = b.build();
    let s = services_of(&m);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.evidence.line, Some(5));
    assert_eq!(
        meanings(telnetd),
        vec!["the NVRAM setting telnet_mode is 1 or on"]
    );
    assert_eq!(telnetd.conditions()[0].evidence.line, Some(4));
    assert!(s.started("dropbear").next().is_none(), "a stop branch");
    let lighttpd = one(&s, "lighttpd");
    assert_eq!(
        meanings(lighttpd),
        vec!["the file /etc/web.off does not exist"]
    );
    let snmpd = one(&s, "snmpd");
    assert_eq!(snmpd.conditions().len(), 1);
    assert!(
        snmpd.conditions()[0].meaning.ends_with(" is not `1`"),
        "else of an if: {:?}",
        meanings(snmpd)
    );
    assert_eq!(
        meanings(one(&s, "miniupnpd")),
        vec!["the cfg setting upnp_on is not `0`"]
    );
}

/// The D-Link DIR-600L layout: no inittab (BusyBox init's built-in table starts a login shell,
/// which reads /etc/profile), telnetd started from a script the profile runs by its bare name
/// when a flash setting is 0.
#[test]
fn profile_of_a_busybox_default_console_and_a_flash_setting() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    profile_telnet_layout(&mut b, r);
    let m = b.build();
    let s = services_of(&m);
    let telnetd = one(&s, "telnetd");
    assert_eq!(telnetd.evidence.path, "bin/telnetd.sh");
    assert_eq!(telnetd.evidence.line, Some(4));
    assert_eq!(telnetd.enablement(), Enablement::Yes);
    let (script, via) = script_of(telnetd);
    assert_eq!(script, "bin/telnetd.sh");
    assert_eq!(via, vec![("sbin/init", None), ("etc/profile", Some(6))]);
    let m = meanings(telnetd);
    assert!(m[0].contains("askfirst"), "{m:?}");
    assert_eq!(m[1], "the flash setting ENABLE_ECFLAG is `0`");
    assert_eq!(telnetd.conditions()[1].evidence.line, Some(5));
    assert_eq!(m[2], "the file /usr/bin/login exists");
    assert_eq!(s.started("telnetd").count(), 1);
    let boa = one(&s, "boa");
    assert_eq!(boa.evidence.path, "etc/profile");
    assert_eq!(boa.conditions().len(), 1, "only the console's");
    let console = s
        .console_shell
        .as_ref()
        .expect("BusyBox's default console shell");
    assert_eq!(console.path, "sbin/init");
}

#[test]
fn inittab_respawn_script_and_login_shell_profile() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/bin/tddp", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/inittab",
            0o644,
            b"::respawn:/etc/watch.sh\nttyS0::respawn:-/bin/sh\n",
        )
        .file(r, "etc/watch.sh", 0o755, b"#!/bin/sh\ntddp\n")
        .file(r, "etc/profile", 0o644, b"dropbear -p 22\n");
    let m = b.build();
    let s = services_of(&m);
    let tddp = one(&s, "tddp");
    assert_eq!(script_of(tddp).1, vec![("etc/inittab", Some(1))]);
    assert!(s.started("watch.sh").next().is_none());
    let dropbear = one(&s, "dropbear");
    assert_eq!(
        script_of(dropbear),
        ("etc/profile", vec![("etc/inittab", Some(2))])
    );
    assert!(dropbear.conditions().is_empty(), "respawn starts at once");
}

#[test]
fn vendor_program_command_string_started_at_boot() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/bin/tddp", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/telnetd", 0o755, b"\x7fELF")
        .file(r, "usr/bin/cos", 0o755, b"\x7fELF\0\0tddp &\0other\0")
        .file(r, "usr/bin/idle", 0o755, b"\x7fELF\0telnetd -p %d\0")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\n[ -e /dev/mtd4 ] && cos &\n",
        );
    let m = b.build();
    let s = services_of(&m);
    let tddp = one(&s, "tddp");
    assert_eq!(tddp.evidence.path, "usr/bin/cos");
    assert_eq!(tddp.evidence.offset, Some(6));
    assert_eq!(tddp.enablement(), Enablement::Yes);
    assert_eq!(meanings(tddp), vec!["the file /dev/mtd4 exists"]);
    let telnetd = one(&s, "telnetd");
    assert!(matches!(
        &telnetd.started_by,
        StartedBy::Program { launcher: None, .. }
    ));
    assert_eq!(
        telnetd.enablement(),
        Enablement::Unknown,
        "nothing starts idle"
    );
}

#[test]
fn sourcing_cycles_recursion_and_depth_terminate() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/sbin/telnetd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\n. /etc/a.sh\nsource /etc/init.d/rcS\nping_a\n/etc/s0.sh\n",
        )
        .file(
            r,
            "etc/a.sh",
            0o644,
            b". /etc/b.sh\n. /etc/a.sh\nping_a() { ping_b; telnetd; }\n",
        )
        .file(r, "etc/b.sh", 0o644, b". /etc/a.sh\nping_b() { ping_a; }\n");
    // A chain of scripts deeper than the bound, each running the next.
    for k in 0..(walk::MAX_DEPTH + 4) {
        b.file(
            r,
            &format!("etc/s{k}.sh"),
            0o755,
            format!("#!/bin/sh\n/etc/s{}.sh\ndropbear -p {k}\n", k + 1).as_bytes(),
        );
    }
    let m = b.build();
    let s = services_of(&m);
    assert_eq!(one(&s, "telnetd").evidence.path, "etc/a.sh");
    let dropbears: Vec<&Service> = s.started("dropbear").collect();
    assert_eq!(
        dropbears.len(),
        walk::MAX_DEPTH,
        "s0 … s7 read (rcS is depth 0)"
    );
    assert!(
        s.notes.iter().any(|n| n.contains("nested more than")),
        "{:?}",
        s.notes
    );
}

#[test]
fn boot_script_lines_are_bounded() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    let mut rcs = b"#!/bin/sh\n".to_vec();
    rcs.extend(std::iter::repeat_n(b'x', walk::MAX_LINE + 1));
    rcs.extend_from_slice(b"\ntelnetd\n");
    // Many functions calling each other with different arguments: the walk is bounded.
    let mut lib = String::new();
    for k in 0..200 {
        lib.push_str(&format!(
            "f{k}() {{ f{} \"$1$1\"; f{} \"$1\"; }}\n",
            k + 1,
            k + 2
        ));
    }
    b.file(r, "usr/sbin/telnetd", 0o755, b"\x7fELF")
        .file(r, "etc/init.d/rcS", 0o755, &rcs)
        .file(r, "etc/lib.sh", 0o644, lib.as_bytes())
        .file(r, "etc/rc.local", 0o755, b". /etc/lib.sh\nf0 a\n");
    let m = b.build();
    let s = services_of(&m);
    assert!(s.notes.iter().any(|n| n.contains("longer than")));
    assert_eq!(one(&s, "telnetd").evidence.line, Some(3));
}

#[test]
fn case_on_a_known_argument_takes_the_first_matching_branch_only() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/utelnetd", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/snmpd", 0o755, b"\x7fELF")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\nsh /etc/svc start\n",
        )
        .file(
            r,
            "etc/svc",
            0o644,
            b"case \"$1\" in\n  st*) dropbear ;;\n  start) snmpd ;;\n  *) utelnetd ;;\nesac\n",
        );
    let m = b.build();
    let s = services_of(&m);
    let dropbear = one(&s, "dropbear");
    assert!(dropbear.conditions().is_empty(), "$1 is known");
    assert_eq!(script_of(dropbear).1, vec![("etc/init.d/rcS", Some(2))]);
    assert!(s.started("snmpd").next().is_none());
    assert!(s.started("utelnetd").next().is_none());
}
