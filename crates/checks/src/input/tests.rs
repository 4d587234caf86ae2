use iotassay_inventory::testing::{unix_root, ManifestBuilder};

use super::*;
use crate::services::tests::{clean, Image, DEMO, OPENWRT_1505};

#[test]
fn demo_ping_cgi_argument_injection() {
    let f = DEMO.run(&CommandInjection);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(f[0].title.contains("www/cgi-bin/ping.cgi"));
    assert_eq!(lines_of(&f[0].evidence), vec![Some(4), Some(5)]);
    assert_eq!(f[0].evidence[1].text.as_deref(), Some("ping -c 1 $host"));
}

#[test]
fn clean_handlers_have_no_findings() {
    let img = clean();
    assert!(img.run(&CommandInjection).is_empty());
    assert!(img.run(&ElfIndicators).is_empty());
}

#[test]
fn shell_lua_php_sinks() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(r, "www/cgi-bin/a.cgi", 0o755, b"#!/bin/sh\nQ=\"$QUERY_STRING\"\nip=${Q#ip=}\neval \"ping $ip\"\n")
        .file(r, "www/cgi-bin/b.sh", 0o755, b"#!/bin/sh\nsh -c \"nslookup $QUERY_STRING\"\n")
        .file(r, "usr/lib/lua/luci/controller/diag.lua", 0o644, b"function ping()\n  local addr = luci.http.formvalue(\"addr\")\n  local cmd = \"ping -c 1 \" .. addr\n  local p = io.popen(cmd)\nend\n")
        .file(r, "www/x.php", 0o644, b"<?php\n$h = $_GET['h'];\nsystem(\"ping \" . $h);\nsystem('ping ' . escapeshellarg($h));\n")
        .file(r, "etc/init.d/x.sh", 0o755, b"#!/bin/sh\neval \"$QUERY_STRING\"\n");
    let img = Image::new(b.build());
    let f = img.run(&CommandInjection);
    let got: Vec<(String, Severity, Vec<Option<usize>>)> = f
        .iter()
        .map(|f| {
            (
                f.evidence[0].path.clone(),
                f.severity,
                lines_of(&f.evidence),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "usr/lib/lua/luci/controller/diag.lua".into(),
                Severity::High,
                vec![Some(2), Some(4)]
            ),
            (
                "www/cgi-bin/a.cgi".into(),
                Severity::High,
                vec![Some(2), Some(4)]
            ),
            ("www/cgi-bin/b.sh".into(), Severity::High, vec![Some(2)]),
            ("www/x.php".into(), Severity::High, vec![Some(2), Some(3)]),
        ]
    );
}

#[test]
fn openwrt_1505_luci_controllers_have_no_flows() {
    // LuCI 15.05 passes form values through tonumber or does not reach a shell with them; the
    // `dev` variable of network.lua must not match `/dev/null` in a command string.
    let f = OPENWRT_1505.run(&CommandInjection);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn hostile_web_files_do_not_panic() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(
        r,
        "www/cgi-bin/x.cgi",
        0o755,
        "#!/bin/sh\n$\n${\n\"$QUERY_STRING\n`$(é=$QUERY_STRING\n$é\n=\n".as_bytes(),
    )
    .file(
        r,
        "www/y.lua",
        0o644,
        "= formvalue(\n é = formvalue(\nos.execute(é)\n".as_bytes(),
    )
    .file(r, "www/z.php", 0o644, b"\xff\xfe$_GET\n`\n");
    let img = Image::new(b.build());
    let _ = img.run(&CommandInjection);
}

#[test]
fn names_in_strings_numbers_and_other_functions_are_not_flows() {
    let mut b = ManifestBuilder::new("fw.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    b.file(
        r,
        "usr/lib/lua/luci/controller/net.lua",
        0o644,
        b"function a()\n  local dev = luci.http.formvalue(\"device\")\n  luci.sys.call(\"ubus call network reload >/dev/null 2>/dev/null\")\n  local set = tonumber(luci.http.formvalue(\"set\"))\n  luci.sys.call(\"date -s %d\" % set)\nend\nfunction b()\n  luci.sys.call(\"ifup \" .. dev)\nend\n",
    );
    let img = Image::new(b.build());
    let f = img.run(&CommandInjection);
    assert!(f.is_empty(), "{f:#?}");
}
