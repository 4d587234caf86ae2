//! The probe against real servers started on loopback addresses (127.0.77.x, never anything
//! else): Debian's busybox telnetd, dropbear, lighttpd, nginx, mosquitto, pure-ftpd, openssl
//! s_server and snmpd, configured in a temp dir with known default and non-default passwords.
//! Each test asserts the exact verdicts and findings, including none on the hardened servers and
//! no false success on servers that accept any password or answer 200 everywhere.
//!
//! `scripts/test` installs the servers. The telnet and SSH servers authenticate only against
//! /etc/passwd and /etc/shadow, so they run in a mount namespace of their own (`unshare --mount`)
//! in which a passwd and a shadow of the test's own, holding the one account `admin` / `admin`, are
//! bound over the host's: no account is ever created on the host. A missing server is a failure
//! naming its Debian package, never a skip.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use iotassay_probe::auth::{AuthCheck, AuthVerdict};
use iotassay_probe::{Options, ProbeReport, UdpService};

/// A server process, killed when dropped.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The program's path, or a failure naming the Debian package that provides it.
fn need(program: &str, package: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!("{program} is missing: install the Debian package `{package}` (scripts/test does)");
}

/// sha512crypt of `admin` (`openssl passwd -6 -salt iotassaytest admin`).
const ADMIN_HASH: &str = "$6$iotassaytest$x/g4amwWYHf5pQPDy6i1fhgVY0yJOcnu85Lh.XNxUabOa5uGlDb1uqEY5/KT2w5SKHsrheBHCdGDrQ0fsvp6/0";

/// How a server is started: as it is, or in a mount namespace of its own whose /etc/passwd and
/// /etc/shadow are the test's (root, and `admin` / `admin` with the unprivileged uid 65534).
#[derive(Clone, Copy, PartialEq)]
enum Accounts {
    Host,
    TestOnly,
}

/// Writes the namespace's passwd and shadow into `dir/accounts/` (once) and returns the command
/// that starts `program` inside the namespace: `unshare --mount --propagation private` (root is
/// needed for it, as for the servers themselves), the two files bound over the host's, then exec.
/// A user namespace is not used: an identity mapping needs newuidmap and /etc/subuid entries on the
/// host (the very change this avoids), and a root-only mapping makes initgroups() fail in login
/// and dropbear.
fn in_test_accounts(dir: &Path, program: &Path) -> Command {
    let unshare = need("unshare", "util-linux");
    let accounts = dir.join("accounts");
    std::fs::create_dir_all(&accounts).unwrap();
    std::fs::write(
        accounts.join("passwd"),
        "root:x:0:0:root:/root:/bin/sh\nadmin:x:65534:65534:probe test account:/tmp:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        accounts.join("shadow"),
        format!("root:*:19000:0:99999:7:::\nadmin:{ADMIN_HASH}:19000:0:99999:7:::\n"),
    )
    .unwrap();
    let mut c = Command::new(unshare);
    c.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg(r#"mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && shift 2 && exec "$@""#)
        .arg("sh")
        .arg(accounts.join("passwd"))
        .arg(accounts.join("shadow"))
        .arg(program);
    c
}

fn spawn(dir: &Path, name: &str, program: &Path, args: &[&str]) -> Server {
    spawn_as(dir, name, program, args, Accounts::Host)
}

fn spawn_as(dir: &Path, name: &str, program: &Path, args: &[&str], accounts: Accounts) -> Server {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut command = match accounts {
        Accounts::Host => Command::new(program),
        Accounts::TestOnly => in_test_accounts(dir, program),
    };
    let child = command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
    Server(child, name.to_string())
}

/// Wait until `addr` accepts TCP connections (or fail with the server's log).
fn wait_tcp(dir: &Path, server: &mut Server, addr: &str) {
    let addr: SocketAddr = addr.parse().unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            let log =
                std::fs::read_to_string(dir.join(format!("{}.log", server.1))).unwrap_or_default();
            panic!(
                "{} exited ({status}) before listening on {addr}:\n{log}",
                server.1
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} does not listen on {addr}", server.1);
}

fn options(ports: &[u16]) -> Options {
    Options {
        tcp_ports: ports.to_vec(),
        udp: Vec::new(),
        total_timeout: Duration::from_secs(60),
        ..Options::default()
    }
}

fn probe(ip: &str, options: &Options) -> ProbeReport {
    let ip: IpAddr = ip.parse().unwrap();
    assert!(ip.is_loopback(), "tests only ever probe loopback addresses");
    iotassay_probe::run(&ip.to_string(), &[ip], options).unwrap()
}

fn auth(r: &ProbeReport, port: u16) -> &AuthCheck {
    r.hosts[0]
        .auth
        .iter()
        .find(|a| a.port == port)
        .unwrap_or_else(|| panic!("no credential test on port {port}: {:#?}", r.hosts[0]))
}

/// `(check, port)` of every finding but the port inventory, sorted.
fn findings(r: &ProbeReport) -> Vec<(String, u16)> {
    let mut out: Vec<(String, u16)> = r
        .findings
        .iter()
        .filter(|f| f.check != "probe.open_ports")
        .map(|f| {
            let port = f.evidence[0]
                .node
                .rsplit('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (f.check.clone(), port)
        })
        .collect();
    out.sort();
    out
}

fn f(check: &str, port: u16) -> (String, u16) {
    (format!("probe.{check}"), port)
}

#[test]
fn telnet_default_no_auth_and_accept_any() {
    let busybox = need("busybox", "busybox-static");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A "login" that takes any user and password, then gives a shell: a honeypot-like fixture.
    let any = d.join("any-login.sh");
    std::fs::write(
        &any,
        "#!/bin/sh\nprintf 'Camera login: '; read u; printf 'Password: '; read p; exec /bin/sh\n",
    )
    .unwrap();
    std::fs::set_permissions(&any, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // A hardened device login: a unique per-unit password, three tries per connection.
    let unique = d.join("unique-login.sh");
    std::fs::write(
        &unique,
        r#"#!/bin/sh
for i in 1 2 3; do
  printf 'Camera login: '; read u; printf 'Password: '; read p
  [ "$u" = admin ] && [ "$p" = 'Xq7-unique-per-device-9f3k' ] && exec /bin/sh
  printf '\r\nLogin incorrect\r\n'
done
"#,
    )
    .unwrap();
    std::fs::set_permissions(&unique, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let ip = "127.0.77.1";
    let mut servers = Vec::new();
    for (port, login) in [
        (2323, "/bin/login"),
        (2324, "/bin/sh"),
        (2325, any.to_str().unwrap()),
        (2326, unique.to_str().unwrap()),
    ] {
        let p = port.to_string();
        let mut s = spawn_as(
            d,
            &format!("telnetd-{port}"),
            &busybox,
            &["telnetd", "-F", "-b", ip, "-p", &p, "-l", login],
            Accounts::TestOnly,
        );
        wait_tcp(d, &mut s, &format!("{ip}:{port}"));
        servers.push(s);
    }
    let started = Instant::now();
    let r = probe(ip, &options(&[2323, 2324, 2325, 2326]));
    let took = started.elapsed();
    let ports: Vec<_> = r.hosts[0]
        .ports
        .iter()
        .map(|p| (p.port, p.service.as_str()))
        .collect();
    assert_eq!(
        ports,
        [
            (2323, "telnet"),
            (2324, "telnet"),
            (2325, "telnet"),
            (2326, "telnet")
        ]
    );
    match &auth(&r, 2323).verdict {
        AuthVerdict::DefaultCredential { cred } => {
            assert_eq!(
                (cred.user.as_str(), cred.password.as_str()),
                ("admin", "admin")
            );
            assert_eq!(cred.source, "Mirai list");
        }
        v => panic!("2323: {v:?}\n{:#?}", auth(&r, 2323)),
    }
    // Controls first: the unauthenticated request, then the wrong password, refused.
    let a = &auth(&r, 2323).attempts;
    assert_eq!(a[0].role, iotassay_probe::auth::Role::Unauthenticated);
    assert_eq!(a[1].role, iotassay_probe::auth::Role::WrongPassword);
    assert_eq!(a[1].outcome, iotassay_probe::auth::Outcome::Rejected);
    assert_eq!(auth(&r, 2324).verdict, AuthVerdict::NoAuthentication);
    assert_eq!(
        auth(&r, 2325).verdict,
        AuthVerdict::AcceptsAnyCredential,
        "never a default-password success"
    );
    assert_eq!(
        auth(&r, 2326).verdict,
        AuthVerdict::Refused { tried: 9 },
        "{:#?}",
        auth(&r, 2326)
    );
    assert_eq!(
        findings(&r),
        [
            f("accepts_any_credential", 2325),
            f("cleartext_login", 2323),
            f("cleartext_login", 2324),
            f("cleartext_login", 2325),
            f("cleartext_login", 2326),
            f("default_credential", 2323),
            f("no_authentication", 2324),
        ]
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");

    // The budget is hard: with 3 attempts (control + 2 candidates) admin/admin, the 4th Mirai
    // pair, is never tried, and nothing is claimed.
    let mut o = options(&[2323]);
    o.creds.budget = 3;
    let r = probe(ip, &o);
    let c = auth(&r, 2323);
    assert_eq!(c.verdict, AuthVerdict::Refused { tried: 2 });
    assert_eq!(
        c.attempts.len(),
        1 + 3,
        "unauthenticated + control + 2 candidates"
    );
    assert_eq!(findings(&r), [f("cleartext_login", 2323)]);
    drop(servers);
}

#[test]
fn ssh_default_and_hardened() {
    let dropbear = need("dropbear", "dropbear-bin");
    let keygen = need("dropbearkey", "dropbear-bin");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("host_ed25519");
    let ok = Command::new(&keygen)
        .args(["-t", "ed25519", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(ok.status.success());
    // `Fingerprint: SHA256:…` as dropbearkey prints it, to compare with what the probe saw.
    let fingerprint = String::from_utf8_lossy(&ok.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Fingerprint: ").map(str::to_string))
        .expect("dropbearkey prints the fingerprint");
    // An old device's key: RSA 1024.
    let rsa = d.join("host_rsa1024");
    let ok = Command::new(&keygen)
        .args(["-t", "rsa", "-s", "1024", "-f"])
        .arg(&rsa)
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let ip = "127.0.77.2";
    let key = key.to_str().unwrap();
    let mut old_key = spawn_as(
        d,
        "dropbear-rsa1024",
        &dropbear,
        &[
            "-F",
            "-E",
            "-s",
            "-p",
            "127.0.77.2:2224",
            "-r",
            rsa.to_str().unwrap(),
        ],
        Accounts::TestOnly,
    );
    let mut open = spawn_as(
        d,
        "dropbear-open",
        &dropbear,
        &["-F", "-E", "-p", "127.0.77.2:2222", "-r", key],
        Accounts::TestOnly,
    );
    // Hardened: password logins disabled (-s), keys only.
    let mut hard = spawn_as(
        d,
        "dropbear-hard",
        &dropbear,
        &["-F", "-E", "-s", "-p", "127.0.77.2:2223", "-r", key],
        Accounts::TestOnly,
    );
    wait_tcp(d, &mut open, "127.0.77.2:2222");
    wait_tcp(d, &mut hard, "127.0.77.2:2223");
    wait_tcp(d, &mut old_key, "127.0.77.2:2224");
    let r = probe(ip, &options(&[2222, 2223, 2224]));
    for p in &r.hosts[0].ports {
        assert_eq!(p.service.as_str(), "ssh");
        assert!(
            p.product.as_deref().unwrap().starts_with("dropbear 20"),
            "{p:?}"
        );
    }
    match &auth(&r, 2222).verdict {
        AuthVerdict::DefaultCredential { cred } => assert_eq!(cred.user, "admin"),
        v => panic!("{v:?}"),
    }
    assert!(
        matches!(&auth(&r, 2223).verdict, AuthVerdict::NotTested { reason } if reason.contains("not offered")),
        "{:?}",
        auth(&r, 2223)
    );
    assert_eq!(auth(&r, 2223).attempts.len(), 1, "only the `none` request");
    let ssh = &r.hosts[0].ssh;
    assert_eq!(ssh.len(), 3);
    // The host key proved in a key exchange, identical to the key file's fingerprint.
    let hk = ssh[0].1.host_key.as_ref().expect("host key read");
    assert_eq!(
        (hk.algorithm.as_str(), hk.bits, hk.fingerprint.as_str()),
        ("ssh-ed25519", Some(256), fingerprint.as_str())
    );
    let rsa_key = ssh[2].1.host_key.as_ref().expect("RSA host key read");
    assert_eq!(rsa_key.bits, Some(1024), "{rsa_key:?}");
    assert!(
        ssh[2]
            .1
            .weak
            .contains(&"host key: RSA 1024-bit (below 2048)".to_string()),
        "{:?}",
        ssh[2].1.weak
    );
    assert!(
        ssh[0].1.kex.iter().any(|k| k.starts_with("curve25519")),
        "{:?}",
        ssh[0].1
    );
    assert!(
        ssh[0].1.host_keys.contains(&"ssh-ed25519".to_string()),
        "{:?}",
        ssh[0].1
    );
    let got = findings(&r);
    assert!(got.contains(&f("default_credential", 2222)), "{got:?}");
    assert!(
        !got.iter()
            .any(|(c, p)| *p == 2223 && c != "probe.ssh_weak_algorithms"),
        "no credential finding on the hardened server: {got:?}"
    );
}

/// lighttpd in the foreground on `ip:port`, serving `files` (name, content) with `conf` added to
/// the base configuration.
fn lighttpd_serving(
    d: &Path,
    name: &str,
    ip: &str,
    port: u16,
    files: &[(&str, &str)],
    conf: &str,
) -> Server {
    let bin = need("lighttpd", "lighttpd");
    let www = d.join(format!("www-{name}"));
    std::fs::create_dir_all(&www).unwrap();
    for (file, content) in files {
        std::fs::write(www.join(file), content).unwrap();
    }
    let path = d.join(format!("{name}.conf"));
    std::fs::write(
        &path,
        format!(
            "server.document-root = \"{www}\"\nserver.bind = \"{ip}\"\nserver.port = {port}\n\
             server.errorlog = \"{d}/{name}.err\"\n{conf}",
            www = www.display(),
            d = d.display()
        ),
    )
    .unwrap();
    let mut s = spawn(d, name, &bin, &["-D", "-f", path.to_str().unwrap()]);
    wait_tcp(d, &mut s, &format!("{ip}:{port}"));
    s
}

/// lighttpd asking for HTTP `method` authentication of `users` (`user:password` lines).
fn lighttpd(d: &Path, name: &str, ip: &str, port: u16, method: &str, users: &str) -> Server {
    std::fs::write(d.join(format!("{name}.users")), users).unwrap();
    let conf = format!(
        r#"server.modules += ("mod_indexfile", "mod_auth", "mod_authn_file")
index-file.names = ("index.html")
auth.backend = "plain"
auth.backend.plain.userfile = "{d}/{name}.users"
auth.require = ("/" => ("method" => "{method}", "realm" => "IPCam", "require" => "valid-user"))
"#,
        d = d.display()
    );
    let index = [("index.html", "<html>camera admin</html>\n")];
    lighttpd_serving(d, name, ip, port, &index, &conf)
}

/// nginx (`nginx-light`) in the foreground with `servers` (its `server { … }` blocks), everything
/// it writes kept in `d`.
fn nginx(d: &Path, servers: &str) -> Server {
    let bin = need("nginx", "nginx-light");
    std::fs::create_dir_all(d.join("tmp")).unwrap();
    let conf = d.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            r#"master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx.err;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
{servers}}}
"#,
            d = d.display()
        ),
    )
    .unwrap();
    spawn(
        d,
        "nginx",
        &bin,
        &[
            "-c",
            conf.to_str().unwrap(),
            "-p",
            d.to_str().unwrap(),
            "-g",
            "daemon off;",
        ],
    )
}

#[test]
fn http_basic_digest_hardened_accept_any_and_soft_200() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ip = "127.0.77.3";
    let _basic = lighttpd(d, "basic", ip, 8080, "basic", "admin:admin\n");
    let _digest = lighttpd(d, "digest", ip, 8081, "digest", "admin:admin\n");
    let _hard = lighttpd(
        d,
        "hard",
        ip,
        8082,
        "basic",
        "admin:Xq7-unique-per-device-9f3k\n",
    );
    let mut ng = nginx(
        d,
        &format!(
            r#"  # Demands an Authorization header, accepts any.
  server {{ listen {ip}:8083; location / {{
    if ($http_authorization = "") {{ add_header WWW-Authenticate 'Basic realm="router"' always; return 401; }}
    return 200 "welcome\n"; }} }}
  # 200 for every URL, no login at all.
  server {{ listen {ip}:8084; location / {{ return 200 "<html>status</html>\n"; }} }}
"#
        ),
    );
    wait_tcp(d, &mut ng, "127.0.77.3:8083");
    wait_tcp(d, &mut ng, "127.0.77.3:8084");

    let r = probe(ip, &options(&[8080, 8081, 8082, 8083, 8084]));
    let services: Vec<_> = r.hosts[0]
        .ports
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    assert_eq!(services, ["http"; 5]);
    assert!(r.hosts[0].ports[0]
        .product
        .as_deref()
        .unwrap()
        .starts_with("lighttpd/"));
    for port in [8080, 8081] {
        match &auth(&r, port).verdict {
            AuthVerdict::DefaultCredential { cred } => assert_eq!(
                (cred.user.as_str(), cred.password.as_str()),
                ("admin", "admin")
            ),
            v => panic!("{port}: {v:?}\n{:#?}", auth(&r, port)),
        }
    }
    assert_eq!(auth(&r, 8080).protocol, "http-basic");
    assert_eq!(auth(&r, 8081).protocol, "http-digest");
    assert_eq!(auth(&r, 8082).verdict, AuthVerdict::Refused { tried: 9 });
    assert_eq!(auth(&r, 8083).verdict, AuthVerdict::AcceptsAnyCredential);
    assert!(matches!(
        auth(&r, 8084).verdict,
        AuthVerdict::NotTested { .. }
    ));
    let soft = r.hosts[0].http.iter().find(|h| h.port == 8084).unwrap();
    assert!(soft.answers_every_path);
    assert_eq!(
        findings(&r),
        [
            f("accepts_any_credential", 8083),
            f("cleartext_login", 8080),
            f("cleartext_login", 8082),
            f("cleartext_login", 8083),
            f("default_credential", 8080),
            f("default_credential", 8081),
        ]
    );
}

/// The login page of a typical camera or router web interface, as a CGI program: `/` redirects
/// to `/login.cgi`, which shows a form with a CSRF token bound to a session cookie; a good login
/// redirects to `/status.cgi` with a session cookie, a bad one shows the form again with an error.
/// `LOGIN_MODE=any` accepts every password (still checking the token).
const LOGIN_CGI: &str = include_str!("fixtures/login.cgi");

const STATUS_CGI: &str = include_str!("fixtures/status.cgi");

/// lighttpd serving [`LOGIN_CGI`] with the given password (or `any`).
fn form_login(d: &Path, name: &str, ip: &str, port: u16, password: &str) -> Server {
    let python = need("python3", "python3");
    let mode = if password == "any" { "any" } else { "check" };
    let conf = format!(
        r#"server.modules += ("mod_cgi", "mod_redirect", "mod_setenv")
cgi.assign = (".cgi" => "{python}")
url.redirect = ("^/$" => "/login.cgi")
setenv.add-environment = ("LOGIN_USER" => "admin", "LOGIN_PASS" => "{password}", "LOGIN_MODE" => "{mode}")
"#,
        python = python.display(),
    );
    let files = [("login.cgi", LOGIN_CGI), ("status.cgi", STATUS_CGI)];
    lighttpd_serving(d, name, ip, port, &files, &conf)
}

#[test]
fn web_login_forms_default_hardened_and_accept_any() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ip = "127.0.77.11";
    let _default = form_login(d, "form-default", ip, 8090, "admin");
    let _hard = form_login(d, "form-hard", ip, 8091, "Xq7-unique-per-device-9f3k");
    let _any = form_login(d, "form-any", ip, 8092, "any");

    let r = probe(ip, &options(&[8090, 8091, 8092]));
    for port in [8090, 8091, 8092] {
        let h = r.hosts[0].http.iter().find(|h| h.port == port).unwrap();
        assert!(h.login_form, "{h:?}");
        assert_eq!(h.login_page.as_deref(), Some("/login.cgi"), "{h:?}");
        assert_eq!(auth(&r, port).protocol, "http-form");
    }
    let default = auth(&r, 8090);
    match &default.verdict {
        AuthVerdict::DefaultCredential { cred } => assert_eq!(
            (cred.user.as_str(), cred.password.as_str()),
            ("admin", "admin")
        ),
        v => panic!("8090: {v:?}\n{default:#?}"),
    }
    // The control was refused for the right reason, and the success shows where it landed.
    assert!(
        default.attempts[0].detail.contains("the login form again")
            || default.attempts[0].detail.contains("\"invalid\""),
        "{:?}",
        default.attempts[0]
    );
    assert!(
        default
            .attempts
            .last()
            .unwrap()
            .detail
            .contains("/status.cgi"),
        "{:?}",
        default.attempts.last()
    );
    assert_eq!(auth(&r, 8091).verdict, AuthVerdict::Refused { tried: 9 });
    assert_eq!(auth(&r, 8092).verdict, AuthVerdict::AcceptsAnyCredential);
    assert_eq!(
        findings(&r),
        [
            f("accepts_any_credential", 8092),
            f("cleartext_login", 8090),
            f("cleartext_login", 8091),
            f("cleartext_login", 8092),
            f("default_credential", 8090),
        ]
    );
}

#[test]
fn mqtt_anonymous_default_and_hardened() {
    let mosquitto = need("mosquitto", "mosquitto");
    let passwd = need("mosquitto_passwd", "mosquitto");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (file, pw) in [
        ("default.pw", "admin"),
        ("hard.pw", "Xq7-unique-per-device-9f3k"),
    ] {
        let ok = Command::new(&passwd)
            .args(["-b", "-c"])
            .arg(d.join(file))
            .args(["admin", pw])
            .output()
            .unwrap();
        assert!(ok.status.success(), "{ok:?}");
    }
    let conf = d.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "per_listener_settings true\npersistence false\nuser root\n\
             listener 1883 127.0.77.4\nallow_anonymous true\n\
             listener 1884 127.0.77.4\nallow_anonymous false\npassword_file {d}/default.pw\n\
             listener 1885 127.0.77.4\nallow_anonymous false\npassword_file {d}/hard.pw\n",
            d = d.display()
        ),
    )
    .unwrap();
    let mut m = spawn(d, "mosquitto", &mosquitto, &["-c", conf.to_str().unwrap()]);
    for p in [1883, 1884, 1885] {
        wait_tcp(d, &mut m, &format!("127.0.77.4:{p}"));
    }
    let r = probe("127.0.77.4", &options(&[1883, 1884, 1885]));
    let services: Vec<_> = r.hosts[0]
        .ports
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    assert_eq!(services, ["mqtt"; 3]);
    assert_eq!(auth(&r, 1883).verdict, AuthVerdict::NoAuthentication);
    match &auth(&r, 1884).verdict {
        AuthVerdict::DefaultCredential { cred } => assert_eq!(cred.user, "admin"),
        v => panic!("{v:?}"),
    }
    assert_eq!(auth(&r, 1885).verdict, AuthVerdict::Refused { tried: 9 });
    let (port, topics) = &r.hosts[0].mqtt[0];
    assert_eq!(*port, 1883);
    assert!(
        topics
            .broker_version
            .as_deref()
            .unwrap_or("")
            .starts_with("mosquitto version 2"),
        "{topics:?}"
    );
    assert_eq!(
        findings(&r),
        [
            f("default_credential", 1884),
            f("mqtt_topics", 1883),
            f("no_authentication", 1883)
        ]
    );
}

fn self_signed(d: &Path, bits: u32) -> (String, String) {
    certificate(
        d,
        "rsa",
        &["-newkey", &format!("rsa:{bits}")],
        "iotassay-test",
    )
}

/// A P-256 certificate, `CN=iotassay-ec`.
fn self_signed_ec(d: &Path) -> (String, String) {
    certificate(
        d,
        "ec",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        "iotassay-ec",
    )
}

fn certificate(d: &Path, name: &str, key_args: &[&str], cn: &str) -> (String, String) {
    let openssl = need("openssl", "openssl");
    let (cert, key) = (
        d.join(format!("{name}-cert.pem")),
        d.join(format!("{name}-key.pem")),
    );
    let ok = Command::new(openssl)
        .args(["req", "-x509"])
        .args(key_args)
        .args(["-nodes", "-days", "30", "-subj", &format!("/CN={cn}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    (cert.display().to_string(), key.display().to_string())
}

#[test]
fn tls_versions_and_certificate() {
    let openssl = need("openssl", "openssl");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cert, key) = self_signed(d, 2048);
    // Old settings: TLS 1.0 to 1.2 (security level 0 lets OpenSSL 3 speak them).
    let mut old = spawn(
        d,
        "tls-old",
        &openssl,
        &[
            "s_server",
            "-accept",
            "127.0.77.5:8443",
            "-cert",
            &cert,
            "-key",
            &key,
            "-www",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
        ],
    );
    // Current settings: TLS 1.2 and 1.3.
    let mut new = spawn(
        d,
        "tls-new",
        &openssl,
        &[
            "s_server",
            "-accept",
            "127.0.77.5:8444",
            "-cert",
            &cert,
            "-key",
            &key,
            "-www",
            "-min_protocol",
            "TLSv1.2",
        ],
    );
    // TLS 1.3 only: the certificate travels encrypted.
    let (cert_ec, key_ec) = self_signed_ec(d);
    let mut only13 = spawn(
        d,
        "tls-13",
        &openssl,
        &[
            "s_server",
            "-accept",
            "127.0.77.5:8445",
            "-cert",
            &cert_ec,
            "-key",
            &key_ec,
            "-www",
            "-min_protocol",
            "TLSv1.3",
        ],
    );
    // An HTTPS admin page behind Basic auth with the default admin/admin (nginx).
    std::fs::write(d.join("htpasswd"), "admin:{PLAIN}admin\n").unwrap();
    std::fs::create_dir_all(d.join("www")).unwrap();
    std::fs::write(d.join("www/index.html"), "<html>live view</html>\n").unwrap();
    let mut ng = nginx(
        d,
        &format!(
            r#"  server {{ listen 127.0.77.5:8446 ssl; ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    root {d}/www; location / {{ auth_basic "IPCam"; auth_basic_user_file {d}/htpasswd; }} }}
"#,
            d = d.display()
        ),
    );
    wait_tcp(d, &mut old, "127.0.77.5:8443");
    wait_tcp(d, &mut new, "127.0.77.5:8444");
    wait_tcp(d, &mut only13, "127.0.77.5:8445");
    wait_tcp(d, &mut ng, "127.0.77.5:8446");
    let r = probe("127.0.77.5", &options(&[8443, 8444, 8445, 8446]));
    let tls = &r.hosts[0].tls;
    assert_eq!(tls.len(), 4, "{:#?}", r.hosts[0]);
    assert_eq!(tls[0].1.accepted, ["TLS 1.0", "TLS 1.1", "TLS 1.2"]);
    assert_eq!(tls[1].1.accepted, ["TLS 1.2", "TLS 1.3"]);
    let c = tls[1].1.certificate.as_ref().unwrap();
    assert_eq!((c.key_type.as_str(), c.key_bits), ("RSA", Some(2048)));
    assert!(c.self_signed && !c.expired);
    assert_eq!(c.subject, "CN=iotassay-test");
    // Read through a full TLS 1.3 handshake.
    assert_eq!(tls[2].1.accepted, ["TLS 1.3"]);
    let c13 = tls[2]
        .1
        .certificate
        .as_ref()
        .unwrap_or_else(|| panic!("{:#?}", tls[2]));
    assert_eq!((c13.key_type.as_str(), c13.key_bits), ("EC", Some(256)));
    assert_eq!(c13.subject, "CN=iotassay-ec");
    // HTTPS gets the web checks: s_server's status page asks for nothing, nginx's Basic
    // default logs in — over TLS, so no cleartext-login finding.
    let web: Vec<_> = r.hosts[0].http.iter().map(|h| (h.port, h.tls)).collect();
    assert_eq!(
        web,
        [(8443, true), (8444, true), (8445, true), (8446, true)],
        "{:#?}",
        r.hosts[0].notes
    );
    let basic = auth(&r, 8446);
    assert_eq!(basic.protocol, "https-basic");
    match &basic.verdict {
        AuthVerdict::DefaultCredential { cred } => assert_eq!(
            (cred.user.as_str(), cred.password.as_str()),
            ("admin", "admin")
        ),
        v => panic!("8446: {v:?}\n{basic:#?}"),
    }
    assert_eq!(
        findings(&r),
        [
            f("default_credential", 8446),
            f("tls_certificate", 8443),
            f("tls_certificate", 8444),
            f("tls_certificate", 8445),
            f("tls_certificate", 8446),
            f("tls_obsolete", 8443)
        ]
    );
    let info: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == "probe.tls_certificate")
        .map(|f| f.severity)
        .collect();
    assert_eq!(
        info,
        [iotassay_findings::Severity::Info; 4],
        "self-issued is a fact, not a failure"
    );
}

#[test]
fn ftp_default_credential() {
    let ftpd = need("pure-ftpd", "pure-ftpd");
    let purepw = need("pure-pw", "pure-ftpd");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let pw = d.join("ftp.passwd");
    let mut add = Command::new(purepw)
        .args(["useradd", "admin", "-u", "65534", "-g", "65534", "-d"])
        .arg(&home)
        .arg("-f")
        .arg(&pw)
        .arg("-m")
        .env("PURE_DBFILE", d.join("ftp.pdb"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"admin\nadmin\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let db = format!("puredb:{}", d.join("ftp.pdb").display());
    // -E: no anonymous logins; -S: the loopback address and port; -l: the virtual user database.
    let mut s = spawn(
        d,
        "pure-ftpd",
        &ftpd,
        &[
            "-S",
            "127.0.77.6,2121",
            "-l",
            &db,
            "-E",
            "-A",
            "-H",
            "-u",
            "1",
        ],
    );
    wait_tcp(d, &mut s, "127.0.77.6:2121");
    let r = probe("127.0.77.6", &options(&[2121]));
    assert_eq!(r.hosts[0].ports[0].service.as_str(), "ftp");
    let c = auth(&r, 2121);
    assert_eq!(
        c.attempts[0].outcome,
        iotassay_probe::auth::Outcome::Rejected,
        "anonymous refused: {c:#?}"
    );
    match &c.verdict {
        AuthVerdict::DefaultCredential { cred } => assert_eq!(cred.user, "admin"),
        v => panic!("{v:?}\n{c:#?}"),
    }
    assert_eq!(
        findings(&r),
        [f("cleartext_login", 2121), f("default_credential", 2121)]
    );
}

#[test]
fn snmp_public_community() {
    let snmpd = need("snmpd", "snmpd");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = d.join("snmpd.conf");
    std::fs::write(
        &conf,
        "agentaddress udp:127.0.77.7:1161\nrocommunity public 127.0.0.0/8\nsysDescr iotassay test camera 1.0\n",
    )
    .unwrap();
    let _s = spawn(
        d,
        "snmpd",
        &snmpd,
        &[
            "-f",
            "-Lo",
            "-C",
            "-c",
            conf.to_str().unwrap(),
            "-p",
            d.join("snmpd.pid").to_str().unwrap(),
        ],
    );
    let mut o = options(&[]);
    o.udp = vec![(UdpService::Snmp, 1161)];
    // UDP has no connect: retry until the agent is up (it starts in well under a second).
    let until = Instant::now() + Duration::from_secs(10);
    let r = loop {
        let r = probe("127.0.77.7", &o);
        if !r.hosts[0].snmp.is_empty() || Instant::now() > until {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let s = &r.hosts[0].snmp[0];
    assert_eq!(s.community.as_deref(), Some("public"));
    assert_eq!(s.sys_descr.as_deref(), Some("iotassay test camera 1.0"));
    assert!(!s.accepts_any_community, "a random community is refused");
    assert_eq!(findings(&r), [f("snmp_community", 1161)]);
}

#[test]
fn upnp_discovery_and_description() {
    let miniupnpd = need("miniupnpd", "miniupnpd");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = d.join("miniupnpd.conf");
    // Loopback as the "external" interface: port forwarding cannot work (it says so), discovery
    // and the description do. (miniupnpd keeps at most 9 characters of the serial number.)
    std::fs::write(
        &conf,
        "ext_ifname=lo\nlistening_ip=127.0.77.9/8\nport=15000\nenable_natpmp=no\nenable_upnp=yes\n\
         secure_mode=yes\nsystem_uptime=yes\nuuid=3e3f8c3a-0000-4000-8000-00000000cafe\n\
         serial=SN1234567\nmodel_number=4.2\nfriendly_name=TestGateway\n\
         allow 1024-65535 127.0.0.0/8 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n",
    )
    .unwrap();
    let pid = d.join("miniupnpd.pid");
    let mut s = spawn(
        d,
        "miniupnpd",
        &miniupnpd,
        &[
            "-d",
            "-f",
            conf.to_str().unwrap(),
            "-P",
            pid.to_str().unwrap(),
        ],
    );
    wait_tcp(d, &mut s, "127.0.77.9:15000");
    let mut o = options(&[15000]);
    o.udp = vec![(UdpService::Ssdp, 1900)];
    let r = probe("127.0.77.9", &o);
    let u = r.hosts[0]
        .ssdp
        .first()
        .unwrap_or_else(|| panic!("no SSDP answer: {:#?}", r.hosts[0]));
    assert_eq!(
        u.location.as_deref(),
        Some("http://127.0.77.9:15000/rootDesc.xml")
    );
    assert_eq!(u.serial_number.as_deref(), Some("SN1234567"));
    assert_eq!(u.model_number.as_deref(), Some("4.2"));
    assert_eq!(u.friendly_name.as_deref(), Some("TestGateway"));
    assert!(
        u.services.iter().any(|s| s.contains("WANIPConnection")),
        "{:?}",
        u.services
    );
    assert!(u.responses >= 1 && u.response_bytes > u.request_bytes);
    assert_eq!(r.hosts[0].ports[0].service.as_str(), "http");
    assert_eq!(findings(&r), [f("upnp", 1900)]);
    assert_eq!(r.findings[0].severity, iotassay_findings::Severity::Low);
}

/// A real RTSP server (GStreamer's, through its Python bindings) with Basic, Digest or no
/// authentication on the mount `/`.
const RTSP_SERVER: &str = r#"import sys, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); gi.require_version('GstRtsp', '1.0')
from gi.repository import Gst, GstRtspServer, GstRtsp, GLib
Gst.init(None)
addr, port, mode = sys.argv[1], sys.argv[2], sys.argv[3]
mount = sys.argv[4] if len(sys.argv) > 4 else '/'
server = GstRtspServer.RTSPServer()
server.set_address(addr)
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch('( videotestsrc is-live=true ! video/x-raw,width=64,height=48 ! rtpvrawpay name=pay0 pt=96 )')
factory.set_shared(True)
if mode != 'open':
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'user')
    if mode == 'basic':
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic('admin', 'admin'), token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest('admin', 'admin', token)
    server.set_auth(auth)
    factory.add_role_from_structure(Gst.Structure.from_string(
        'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0])
server.get_mount_points().add_factory(mount, factory)
server.attach(None)
print('ready', flush=True)
GLib.MainLoop().run()
"#;

#[test]
fn rtsp_basic_digest_and_open_stream() {
    let python = need("python3", "python3");
    assert!(
        Path::new("/usr/lib/x86_64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib").exists()
            || Path::new("/usr/lib/aarch64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib").exists(),
        "GStreamer's RTSP server is missing: install the Debian packages gir1.2-gst-rtsp-server-1.0 \
         python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("rtsp.py"), RTSP_SERVER).unwrap();
    let ip = "127.0.77.10";
    let mut servers = Vec::new();
    for (port, mode, mount) in [
        (8554, "basic", "/"),
        (8555, "open", "/"),
        (8556, "digest", "/"),
        // A Hikvision-style camera: nothing at `/`, the stream at its vendor path.
        (8557, "basic", "/Streaming/Channels/101"),
    ] {
        let mut s = spawn(
            d,
            &format!("rtsp-{port}"),
            &python,
            &["rtsp.py", ip, &port.to_string(), mode, mount],
        );
        wait_tcp(d, &mut s, &format!("{ip}:{port}"));
        servers.push(s);
    }
    let r = probe(ip, &options(&[8554, 8555, 8556, 8557]));
    let services: Vec<_> = r.hosts[0]
        .ports
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    assert_eq!(services, ["rtsp"; 4], "{:#?}", r.hosts[0].ports);
    for port in [8554, 8556, 8557] {
        match &auth(&r, port).verdict {
            AuthVerdict::DefaultCredential { cred } => {
                assert_eq!(
                    (cred.user.as_str(), cred.password.as_str()),
                    ("admin", "admin")
                )
            }
            v => panic!("{port}: {v:?}\n{:#?}", auth(&r, port)),
        }
    }
    assert!(auth(&r, 8556).attempts[1]
        .detail
        .contains("digest authorization"));
    assert_eq!(auth(&r, 8555).verdict, AuthVerdict::NoAuthentication);
    let vendor_path = auth(&r, 8557).attempts.last().unwrap();
    assert!(
        vendor_path
            .detail
            .contains("DESCRIBE /Streaming/Channels/101 with basic authorization"),
        "{vendor_path:?}"
    );
    assert_eq!(
        findings(&r),
        [
            f("default_credential", 8554),
            f("default_credential", 8556),
            f("default_credential", 8557),
            f("no_authentication", 8555)
        ]
    );
    drop(servers);
}
