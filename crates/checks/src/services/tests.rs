use std::sync::LazyLock;

use iotassay_inventory::testing::{profile_telnet_layout, unix_root, ManifestBuilder};
use iotassay_inventory::{inventory, FileTree, Inventory};
use iotassay_unpack::{Manifest, Options};

use super::*;
use crate::CheckOptions;

/// An image unpacked in memory once, with its inventory.
pub(crate) struct Image {
    pub manifest: Manifest,
    pub inventory: Inventory,
}

impl Image {
    pub fn new(manifest: Manifest) -> Self {
        let inventory = inventory(&manifest);
        Image {
            manifest,
            inventory,
        }
    }

    pub fn unpack(name: &str, bytes: &[u8]) -> Self {
        let opts = Options {
            keep_data: true,
            ..Options::default()
        };
        Image::new(iotassay_unpack::unpack(name, bytes, None, &opts).unwrap())
    }

    pub fn corpus(rel: &str) -> Self {
        let bytes = iotassay_testkit::corpus_bytes(rel);
        Image::unpack(rel.rsplit('/').next().unwrap(), &bytes)
    }

    pub fn run(&self, check: &dyn Check) -> Vec<Finding> {
        let tree = FileTree::new(&self.manifest);
        let options = CheckOptions::default();
        let cx = Context {
            manifest: &self.manifest,
            tree: &tree,
            inventory: &self.inventory,
            options: &options,
        };
        check.run(&cx)
    }
}

pub(crate) static OPENWRT_1209: LazyLock<Image> =
    LazyLock::new(|| Image::corpus("real/openwrt-12.09-tl-wr703n-factory.bin"));
pub(crate) static OPENWRT_1505: LazyLock<Image> =
    LazyLock::new(|| Image::corpus("real/openwrt-15.05-tl-wr703n-sysupgrade.bin"));
pub(crate) static TPLINK: LazyLock<Image> =
    LazyLock::new(|| Image::corpus("real/tplink-mt7628-flashdump.bin"));
pub(crate) static BROADCOM: LazyLock<Image> =
    LazyLock::new(|| Image::corpus("real/broadcom-squashfs-v2-be-lzma.bin"));
pub(crate) static DEMO: LazyLock<Image> =
    LazyLock::new(|| Image::unpack("demo.bin", &iotassay_demo::build_image().unwrap()));

/// A small clean root: BusyBox, a login on the console, dropbear with a hashed root password.
pub(crate) fn clean() -> Image {
    let mut b = ManifestBuilder::new("clean.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "bin/busybox", 0o755, b"\x7fELF")
        .symlink(r, "bin/sh", "busybox")
        .file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/uhttpd", 0o755, b"\x7fELF")
        .file(r, "etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\nnobody:*:65534:65534::/:/bin/false\n")
        .file(r, "etc/shadow", 0o600, b"root:$6$salt$0123456789abcdef:19000:0:99999:7:::\nnobody:*:0:0:::::\n")
        .file(r, "etc/inittab", 0o644, b"::sysinit:/etc/init.d/rcS S boot\nttyS0::askfirst:/usr/libexec/login.sh\n")
        .file(r, "etc/init.d/dropbear", 0o755, b"#!/bin/sh /etc/rc.common\nPROG=/usr/sbin/dropbear\nstart_service() {\n\tprocd_set_param command $PROG -F -s\n}\n")
        .file(r, "etc/init.d/uhttpd", 0o755, b"#!/bin/sh /etc/rc.common\nstart_service() {\n\tprocd_set_param command /usr/sbin/uhttpd -f -p 443\n}\n")
        .symlink(r, "etc/rc.d/S50dropbear", "../init.d/dropbear")
        .symlink(r, "etc/rc.d/S50uhttpd", "../init.d/uhttpd")
        .file(r, "etc/inetd.conf", 0o644, b"# nothing\n")
        .file(r, "etc/snmp/snmpd.conf", 0o644, b"rocommunity s3cr3t-per-device\n")
        .file(r, "etc/config/upnpd", 0o644, b"config upnpd config\n\toption secure_mode '1'\n")
        .file(r, "www/cgi-bin/status.cgi", 0o755, b"#!/bin/sh\necho \"Content-type: text/plain\"\necho\nhost=\"$(echo \"$QUERY_STRING\" | sed 's/[^0-9.]//g')\"\necho \"$host\"\nping -c 1 \"$host\"\n")
        .file(r, "usr/lib/lua/luci/controller/x.lua", 0o644, b"local ip = luci.http.formvalue(\"ip\")\nluci.sys.call(\"ping -c 1 \" .. luci.util.shellquote(ip))\n");
    Image::new(b.build())
}

fn all_service_checks() -> Vec<&'static dyn Check> {
    vec![
        &RemoteLogin,
        &EmptyPasswordLogin,
        &DebugDaemon,
        &ConsoleShell,
        &Upnp,
        &SnmpCommunity,
        &RootDaemons,
        &DevTools,
    ]
}

#[test]
fn clean_tree_has_no_findings() {
    let img = clean();
    for c in all_service_checks() {
        let f = img.run(c);
        assert!(f.is_empty(), "{}: {f:#?}", c.id());
    }
}

#[test]
fn openwrt_1209_telnet_while_root_has_no_password_is_critical() {
    let f = OPENWRT_1209.run(&RemoteLogin);
    let critical: Vec<&Finding> = f
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .collect();
    assert_eq!(critical.len(), 1, "{f:#?}");
    let c = critical[0];
    assert_eq!(c.check, "services.remote_login");
    assert_eq!(
        c.title,
        "telnetd is started at boot while root has no password"
    );
    assert!(c.provisions.iter().any(|p| p.as_str() == "5.1-1"));
    assert!(c.guidelines.contains(&1) && c.guidelines.contains(&6));
    let at = |path: &str| {
        c.evidence
            .iter()
            .find(|e| e.path == path)
            .map(|e| (e.line, e.text.clone()))
    };
    assert_eq!(
        at("etc/init.d/telnet").unwrap(),
        (
            Some(31),
            Some("service_start /usr/sbin/telnetd -l /bin/login.sh".into())
        )
    );
    assert_eq!(
        at("etc/rc.d/S50telnet").unwrap().1.as_deref(),
        Some("etc/rc.d/S50telnet -> ../init.d/telnet")
    );
    assert_eq!(
        at("etc/shadow").unwrap(),
        (Some(1), Some("root:x:0:0:99999:7:::".into()))
    );
    assert!(c
        .evidence
        .iter()
        .any(|e| e.path == "bin/login.sh" && e.text.as_deref() == Some("exec /bin/ash --login")));
    assert!(c.evidence.iter().all(|e| e.provenance.contains("squashfs")));
}

#[test]
fn openwrt_1505_luci_accepts_empty_root_password_and_dropbear_refuses_it() {
    let f = OPENWRT_1505.run(&EmptyPasswordLogin);
    let luci = f
        .iter()
        .find(|f| f.severity == Severity::Critical)
        .expect("LuCI finding");
    assert!(luci.title.contains("LuCI"));
    assert!(luci.evidence.iter().any(|e| e.path == "etc/init.d/uhttpd"));
    assert!(luci
        .evidence
        .iter()
        .any(|e| e.path == "usr/lib/lua/luci/sys.lua" && e.line == Some(557)));
    assert!(luci
        .evidence
        .iter()
        .any(|e| e.path == "etc/shadow" && e.line == Some(1)));
    let dropbear = f
        .iter()
        .find(|f| f.title.starts_with("dropbear"))
        .expect("dropbear fact");
    assert_eq!(
        dropbear.severity,
        Severity::Info,
        "no -B: blank password refused"
    );
    assert!(dropbear
        .evidence
        .iter()
        .any(|e| e.path == "etc/config/dropbear"
            && e.text.as_deref() == Some("option RootPasswordAuth 'on'")));
    assert!(
        OPENWRT_1505.run(&RemoteLogin).is_empty(),
        "15.05 has no telnetd"
    );
    let console = OPENWRT_1505.run(&ConsoleShell);
    assert_eq!(console.len(), 1);
    assert_eq!(console[0].severity, Severity::Medium);
    assert_eq!(console[0].evidence[0].line, Some(3));
}

#[test]
fn dropbear_with_blank_passwords_allowed_is_critical() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "usr/sbin/dropbear", 0o755, b"\x7fELF")
        .file(r, "etc/passwd", 0o644, b"root::0:0:root:/root:/bin/sh\n")
        .file(
            r,
            "etc/init.d/rcS",
            0o755,
            b"#!/bin/sh\n/usr/sbin/dropbear -B -p 22\n",
        );
    let img = Image::new(b.build());
    let f = img.run(&EmptyPasswordLogin);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].evidence[0].path, "etc/init.d/rcS");
    assert_eq!(f[0].evidence[0].line, Some(2));
}

#[test]
fn tplink_tddp_launched_by_cos_at_boot_is_high() {
    let f = TPLINK.run(&DebugDaemon);
    let tddp = f.iter().find(|f| f.title.contains("tddp")).expect("tddp");
    assert_eq!(
        tddp.severity,
        Severity::High,
        "cos, which launches it, is started at boot"
    );
    assert!(
        tddp.title
            .contains("launched by usr/bin/cos, which is started at boot by etc/init.d/rcS"),
        "{}",
        tddp.title
    );
    assert_eq!(tddp.evidence[0].path, "usr/bin/cos");
    assert_eq!(tddp.evidence[0].text.as_deref(), Some("tddp &"));
    assert!(tddp.evidence[0].offset.is_some());
    assert_eq!(
        tddp.evidence[1].path, "etc/init.d/rcS",
        "where cos is started"
    );
    assert!(tddp.evidence[1].line.is_some());
    assert!(tddp.provisions.iter().any(|p| p.as_str() == "5.6-4"));
}

/// The D-Link DIR-600L layout (built here): /etc/profile, read by the console's login shell of
/// BusyBox init's built-in table, runs telnetd.sh when a flash setting is 0.
#[test]
fn telnet_started_from_profile_under_a_flash_setting() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    profile_telnet_layout(&mut b, r);
    b.file(
        r,
        "etc/passwd",
        0o644,
        b"root:abSQTPcIskFGc:0:0:root:/:/bin/sh\n",
    )
    .file(
        r,
        "etc/boa/boa.conf",
        0o644,
        b"Port 80\n# User nobody\nUser root\nGroup root\n",
    );
    let img = Image::new(b.build());
    let root = img.run(&RootDaemons);
    assert_eq!(root.len(), 1, "{root:#?}");
    assert!(root[0]
        .title
        .starts_with("boa runs as root (started at boot by etc/profile"));
    assert_eq!(root[0].evidence[0].path, "etc/boa/boa.conf");
    assert_eq!(root[0].evidence[0].line, Some(3));
    let f = img.run(&RemoteLogin);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::High);
    assert!(
        f[0].title.starts_with(
            "telnetd started at boot by bin/telnetd.sh (reached from sbin/init → etc/profile) when"
        ),
        "{}",
        f[0].title
    );
    assert!(
        f[0].title.ends_with(
            "and the flash setting ENABLE_ECFLAG is `0` and the file /usr/bin/login exists"
        ),
        "{}",
        f[0].title
    );
    let ev: Vec<(&str, Option<usize>)> = f[0]
        .evidence
        .iter()
        .map(|e| (e.path.as_str(), e.line))
        .collect();
    assert_eq!(
        ev,
        vec![
            ("bin/telnetd.sh", Some(4)),
            ("sbin/init", None),
            ("etc/profile", Some(6)),
            ("etc/profile", Some(5)),
            ("bin/telnetd.sh", Some(3)),
        ]
    );
    assert_eq!(
        img.run(&ConsoleShell).len(),
        1,
        "BusyBox's default console shell"
    );
}

#[test]
fn broadcom_inetd_telnetd_and_root() {
    let f = BROADCOM.run(&RemoteLogin);
    let telnet = f
        .iter()
        .find(|f| f.title.starts_with("telnetd"))
        .expect("telnetd");
    assert_eq!(
        telnet.severity,
        Severity::Medium,
        "inetd's own start is not shown"
    );
    assert_eq!(telnet.evidence[0].path, "etc/inetd.conf");
    assert_eq!(telnet.evidence[0].line, Some(12));
    assert!(f.iter().any(|f| f.title.starts_with("ftpd")));
    let root = BROADCOM.run(&RootDaemons);
    assert!(root
        .iter()
        .any(|f| f.title.starts_with("telnetd runs as root") && f.severity == Severity::Low));
    let console = BROADCOM.run(&ConsoleShell);
    assert_eq!(console.len(), 1);
}

#[test]
fn demo_telnet_and_console() {
    let f = DEMO.run(&RemoteLogin);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        f[0].severity,
        Severity::Critical,
        "root has an empty password"
    );
    assert_eq!(f[0].evidence[0].path, "etc/init.d/S50telnet");
    assert_eq!(f[0].evidence[0].line, Some(3));
    assert!(f[0]
        .evidence
        .iter()
        .any(|e| e.path == "etc/shadow" && e.line == Some(1)));
    assert_eq!(DEMO.run(&ConsoleShell).len(), 1);
}

#[test]
fn synthetic_shell_telnet_upnp_snmp_devtools() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "bin/busybox", 0o755, b"\x7fELF BusyBox -e PROG\tRun PROG after connect")
        .symlink(r, "usr/bin/nc", "../../bin/busybox")
        .file(r, "usr/bin/gdbserver", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/tcpdump", 0o755, b"\x7fELF")
        .file(r, "usr/sbin/miniupnpd", 0o755, b"\x7fELF")
        .file(r, "usr/bin/adbd", 0o755, b"\x7fELF")
        .file(r, "etc/init.d/rcS", 0o755, b"#!/bin/sh\n/bin/busybox telnetd -l /bin/sh\n/usr/sbin/miniupnpd -f /etc/miniupnpd.conf\n/usr/bin/adbd &\n")
        .file(r, "etc/miniupnpd.conf", 0o644, b"ext_ifname=eth1\nsecure_mode=no\n")
        .file(r, "etc/config/snmpd", 0o644, b"config agent\n\toption community 'public'\n")
        .file(r, "etc/snmp/snmpd.conf", 0o644, b"# rocommunity public\ncom2sec rw default private\n");
    let img = Image::new(b.build());
    let t = img.run(&RemoteLogin);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].severity, Severity::Critical);
    assert!(t[0].title.contains("shell without login"));
    let d = img.run(&DebugDaemon);
    let adbd = d.iter().find(|f| f.title.contains("adbd")).unwrap();
    assert_eq!(adbd.severity, Severity::High);
    assert_eq!(adbd.evidence[0].line, Some(4));
    let gdb = d.iter().find(|f| f.title.contains("gdbserver")).unwrap();
    assert_eq!(gdb.severity, Severity::Low, "present, not started");
    let u = img.run(&Upnp);
    assert!(u
        .iter()
        .any(|f| f.severity == Severity::Medium && f.evidence[0].line == Some(2)));
    assert!(u.iter().any(|f| f.severity == Severity::Info));
    let s = img.run(&SnmpCommunity);
    assert_eq!(s.len(), 2, "{s:#?}");
    assert!(s.iter().all(|f| f.severity == Severity::High));
    assert!(s
        .iter()
        .any(|f| f.evidence[0].path == "etc/snmp/snmpd.conf" && f.evidence[0].line == Some(2)));
    let tools = img.run(&DevTools);
    let names: Vec<&str> = tools.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(tools.len(), 3, "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("netcat")));
}
