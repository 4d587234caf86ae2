use super::*;
use crate::testing::{unix_root, ManifestBuilder};
use crate::tree::FileTree;
use iotassay_unpack::Manifest;

fn tree(files: &[(&str, &[u8])]) -> Manifest {
    let mut b = ManifestBuilder::new("synthetic.bin");
    let r = unix_root(&mut b, "squashfs", 0);
    for (path, data) in files {
        b.file(r, path, 0o755, data);
    }
    b.build()
}

fn values(d: &Defaults) -> Vec<(&str, &str, usize)> {
    d.values
        .iter()
        .map(|v| {
            (
                v.key.as_str(),
                v.value.as_str(),
                v.evidence.line.unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn key_value_defaults_with_users() {
    let m = tree(&[
        (
            "etc/nvram.default",
            b"# factory settings\nhttp_username=admin\nhttp_passwd=admin\nwl0_wpa_psk=\nLogin=Admin\nPassword=\"s3cret\"\n[section]\nuser=guest\n" as &[u8],
        ),
        // NUL-separated NVRAM blob.
        ("etc/nvram_defaults.bin", b"lan_ipaddr=192.168.0.1\0wan_pwd=x1\0"),
        // Not a default file by name: not read.
        ("etc/other.conf", b"password=zz\n"),
    ]);
    let t = FileTree::new(&m);
    let d = collect(&t.roots()[0]);
    assert_eq!(
        values(&d),
        [
            ("http_username", "admin", 2),
            ("http_passwd", "admin", 3),
            ("wl0_wpa_psk", "", 4),
            ("Login", "Admin", 5),
            ("Password", "s3cret", 6),
            ("user", "guest", 8),
            ("lan_ipaddr", "192.168.0.1", 1),
            ("wan_pwd", "x1", 1),
        ]
    );
    assert_eq!(d.user_for(1).map(|u| u.value.as_str()), Some("admin"));
    assert_eq!(d.user_for(4).map(|u| u.value.as_str()), Some("Admin"));
    // The ini section's user is another group; a PSK has no user of its prefix.
    assert_eq!(d.user_for(2).map(|u| u.key.as_str()), None);
    assert_eq!(
        d.get("http_passwd").unwrap().evidence.path,
        "etc/nvram.default"
    );
}

#[test]
fn xml_and_json_trees() {
    let m = tree(&[
        (
            "etc/default.xml",
            b"<?xml version=\"1.0\"?>\n<config>\n<!-- <password>not-this</password> -->\n<users>\n<user name=\"admin\" password=\"adm1n\"/>\n<account>\n<username>support</username>\n<password>supp0rt</password>\n</account>\n</users>\n<sysPassword value=\"root123\"/>\n<sysUserName value=\"root\"/>\n</config>\n" as &[u8],
        ),
        (
            "etc/defaults.json",
            b"{\n  \"users\": [\n    {\"username\": \"admin\",\n     \"password\": \"json-pw\"},\n    {\"username\": \"guest\", \"password\": \"\", \"level\": 1}\n  ],\n  \"wifi\": {\"psk\": \"\"}\n}\n",
        ),
    ]);
    let t = FileTree::new(&m);
    let d = collect(&t.roots()[0]);
    let got = values(&d);
    assert!(got.contains(&("password", "adm1n", 5)), "{got:?}");
    assert!(got.contains(&("password", "supp0rt", 8)), "{got:?}");
    assert!(got.contains(&("sysPassword", "root123", 11)), "{got:?}");
    assert!(!got.iter().any(|(_, v, _)| *v == "not-this"), "{got:?}");
    let user = |value: &str| {
        let i = d.values.iter().position(|v| v.value == value).unwrap();
        d.user_for(i).map(|u| u.value.clone())
    };
    assert_eq!(user("adm1n").as_deref(), Some("admin"));
    assert_eq!(user("supp0rt").as_deref(), Some("support"));
    assert_eq!(user("root123").as_deref(), Some("root"));
    assert_eq!(user("json-pw").as_deref(), Some("admin"));
    let i = d
        .values
        .iter()
        .position(|v| v.key == "password" && v.value.is_empty())
        .unwrap();
    assert_eq!(d.user_for(i).map(|u| u.value.as_str()), Some("guest"));
    assert!(got.contains(&("psk", "", 7)), "{got:?}");
    assert!(got.contains(&("level", "1", 5)), "{got:?}");
}

#[test]
fn scripts_resolve_reads_defaults_and_variables() {
    let m = tree(&[
        ("etc/alpha_config/image_sign", b"wrgn61_dlwbr_dir600L\n" as &[u8]),
        ("etc/nvram.default", b"http_passwd=nvpass\n"),
        (
            "bin/telnetd.sh",
            b"#!/bin/sh\nif [ -f /usr/bin/login ]; then\n\timage_sign=`cat /etc/alpha_config/image_sign`\n\ttelnetd -l /usr/bin/login -u Alphanetworks:$image_sign -i br0 &\nfi\nPW=$(nvram get http_passwd)\necho \"admin:${PW}\" | chpasswd\nX=$(cat /etc/missing)\necho \"root:$X\" | chpasswd\necho '$image_sign' $UNSET\nimage_sign=$(uname -a)\necho $image_sign\n",
        ),
    ]);
    let t = FileTree::new(&m);
    let root = &t.roots()[0];
    let d = collect(root);
    let text = String::from_utf8_lossy(root.read("bin/telnetd.sh").unwrap()).into_owned();
    let lines = resolve_script(root, "bin/telnetd.sh", &text, &d);
    let at = |n: usize| lines.iter().find(|l| l.line == n).unwrap();
    let telnet = at(4);
    assert_eq!(
        telnet.text.trim(),
        "telnetd -l /usr/bin/login -u Alphanetworks:wrgn61_dlwbr_dir600L -i br0 &"
    );
    let chain: Vec<(&str, Option<usize>)> = telnet
        .chain
        .iter()
        .map(|e| (e.path.as_str(), e.line))
        .collect();
    assert_eq!(
        chain,
        [
            ("etc/alpha_config/image_sign", Some(1)),
            ("bin/telnetd.sh", Some(3))
        ]
    );
    assert_eq!(
        telnet.chain[0].text.as_deref(),
        Some("wrgn61_dlwbr_dir600L")
    );
    let chpasswd = at(7);
    assert_eq!(chpasswd.text, "echo \"admin:nvpass\" | chpasswd");
    assert_eq!(chpasswd.chain[0].path, "etc/nvram.default");
    // A read of a file absent from the image stays unresolved, and so does what uses it.
    assert_eq!(at(9).text, "echo \"root:$X\" | chpasswd");
    assert!(at(9).chain.is_empty());
    // Single quotes are not expanded; unknown variables stay.
    assert_eq!(at(10).text, "echo '$image_sign' $UNSET");
    // Reassigned from something unresolvable: unknown again.
    assert_eq!(at(12).text, "echo $image_sign");
}

#[test]
fn values_with_shell_characters_stay_one_word() {
    let m = tree(&[
        ("etc/pw", b"a b'c\"$d\n" as &[u8]),
        ("etc/s.sh", b"P=`cat /etc/pw`\nprog -p $P\nprog \"$P\"\n"),
    ]);
    let t = FileTree::new(&m);
    let root = &t.roots()[0];
    let text = String::from_utf8_lossy(root.read("etc/s.sh").unwrap()).into_owned();
    let lines = resolve_script(root, "etc/s.sh", &text, &Defaults::default());
    for l in &lines[1..] {
        let words = simple_commands(&l.text);
        assert_eq!(words[0].last().unwrap(), "a b'c\"$d", "{}", l.text);
    }
}

#[test]
fn hostile_scripts_stay_bounded() {
    let mut deep = String::from("X=");
    for _ in 0..10_000 {
        deep.push_str("$(cat ");
    }
    deep.push('\n');
    let mut many = String::new();
    for i in 0..5000 {
        many.push_str(&format!("V{i}=`cat /etc/pw`\n"));
    }
    let m = tree(&[
        ("etc/pw", b"x\n" as &[u8]),
        ("etc/deep.sh", deep.as_bytes()),
        ("etc/many.sh", many.as_bytes()),
        (
            "etc/default.xml",
            b"<a><b><c x=\"1\"<<<>>>\n</z></z></z><d value='",
        ),
        (
            "etc/defaults.json",
            b"{\"a\":{\"b\":[\"c\",{\"password\":\"\\",
        ),
    ]);
    let t = FileTree::new(&m);
    let root = &t.roots()[0];
    let d = collect(root);
    for p in ["etc/deep.sh", "etc/many.sh"] {
        let text = String::from_utf8_lossy(root.read(p).unwrap()).into_owned();
        let lines = resolve_script(root, p, &text, &d);
        assert!(!lines.is_empty());
    }
    // Only the first reads are resolved.
    let text = String::from_utf8_lossy(root.read("etc/many.sh").unwrap()).into_owned();
    let lines = resolve_script(root, "etc/many.sh", &text, &d);
    assert!(lines.iter().filter(|l| !l.chain.is_empty()).count() <= MAX_READS);
}

#[test]
fn expansions_left_are_seen() {
    assert!(has_expansion("a $B"));
    assert!(has_expansion("a ${B}"));
    assert!(has_expansion("a $(b)"));
    assert!(has_expansion("a `b`"));
    assert!(!has_expansion("a '$B'"));
    assert!(!has_expansion("a \\$B"));
    assert!(!has_expansion("cost $ 5"));
}

#[test]
fn account_lines_in_program_strings() {
    assert!(account_line("root::0:root,admin,support,user"));
    assert!(account_line("admin:x:0:0:Administrator:/:/bin/sh"));
    assert!(!account_line("%s:%s:%d:%d:%s:%s:%s"));
    assert!(!account_line("http://a:b"));
    assert!(!account_line("admin"));
}

#[test]
fn broadcom_cfm_writes_passwd() {
    let bytes = iotassay_testkit::corpus_bytes("real/broadcom-squashfs-v2-be-lzma.bin");
    let m = iotassay_unpack::unpack(
        "broadcom-squashfs-v2-be-lzma.bin",
        &bytes,
        None,
        &iotassay_unpack::Options {
            keep_data: true,
            ..iotassay_unpack::Options::default()
        },
    )
    .expect("unpack");
    let t = FileTree::new(&m);
    let root = &t.roots()[0];
    let w = passwd_writers(root, &["/var/passwd".into(), "/etc/passwd".into()]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].path, "bin/cfm");
    assert_eq!(w[0].offset, 0x101298);
    // Broadcom's cfm writes /etc/passwd with these accounts and this group line.
    assert_eq!(
        w[0].strings,
        "/etc/passwd, admin, Administrator, support, Technical Support, user, Normal User, \
         nobody, nobody for ftp, /etc/group, root::0:root,admin,support,user"
    );
}
