//! Live-device checks: `iotassay probe HOST` looks at a running device over the network —
//! which ports listen and what answers there, whether default or any credentials log in (with
//! controls), which TLS versions and certificate it offers, its SSH algorithms, and what MQTT,
//! UPnP, SNMP and ADB give away without authentication — and maps what it saw to EN 303 645
//! provisions as [`iotassay_findings::Finding`]s, like the firmware checks do.
//!
//! Safety is part of the design: only the addresses the user gave ([`scope`]); a global cap on
//! open connections and a rate limit on new ones ([`net::Gate`]); a hard attempt budget per
//! service ([`auth`]); a deadline on every read and on the whole run. The device's answers are
//! hostile input: every parser is bounded and has a fuzz entry point ([`fuzz`]).
//!
//! The crate does not print; `cli` shows [`ProbeReport`] and writes it as JSON
//! (`docs/probe.md` documents the schema, [`SCHEMA`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub mod adb;
pub mod auth;
pub mod findings;
pub mod form;
pub mod ftp;
pub mod http;
pub mod merge;
pub mod mqtt;
pub mod net;
pub mod ports;
pub mod scope;
pub mod snmp;
pub mod ssdp;
pub mod ssh;
pub mod telnet;
pub mod tls;

pub use auth::{AuthCheck, AuthVerdict, Cred, CredOptions};
pub use ports::{OpenPort, Service, DEFAULT_TCP_PORTS};
pub use scope::{resolve, ScopeRules};

/// Identifies the layout of [`ProbeReport`]; bump on incompatible change.
pub const SCHEMA: &str = "iotassay.probe/1";

/// UDP services probed, by what they speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UdpService {
    Snmp,
    Ssdp,
}

/// Default UDP services and ports.
pub const DEFAULT_UDP: &[(UdpService, u16)] = &[(UdpService::Snmp, 161), (UdpService::Ssdp, 1900)];

/// How to probe.
#[derive(Debug, Clone)]
pub struct Options {
    pub tcp_ports: Vec<u16>,
    pub udp: Vec<(UdpService, u16)>,
    /// Connections open at once, over the whole run.
    pub max_open: usize,
    /// New connections per second at most (0 = unlimited).
    pub rate: u32,
    pub connect_timeout: Duration,
    /// Wait for one answer (banners, HTTP, TLS, MQTT, UDP).
    pub read_timeout: Duration,
    /// Wait for one login attempt to settle (login programs delay failures by 2–3 s).
    pub login_timeout: Duration,
    /// The whole run, per address; what finished by then is reported.
    pub total_timeout: Duration,
    pub creds: CredOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tcp_ports: DEFAULT_TCP_PORTS.to_vec(),
            udp: DEFAULT_UDP.to_vec(),
            max_open: 64,
            rate: 200,
            connect_timeout: Duration::from_millis(1500),
            read_timeout: Duration::from_millis(1500),
            login_timeout: Duration::from_secs(6),
            total_timeout: Duration::from_secs(120),
            creds: CredOptions::default(),
        }
    }
}

/// HTTP facts of one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpFacts {
    pub port: u16,
    /// Spoken over TLS (HTTPS).
    #[serde(default)]
    pub tls: bool,
    /// `GET /` status line.
    pub root: String,
    pub server: Option<String>,
    /// `WWW-Authenticate` schemes at `/`.
    pub challenges: Vec<String>,
    pub login_form: bool,
    /// Where the login form is, when `/` leads to one (directly, by redirect or `<meta refresh>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_page: Option<String>,
    /// A random path answered 2xx too (a "soft 404" server).
    pub answers_every_path: bool,
}

/// Everything seen on one address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HostReport {
    pub address: String,
    /// Open TCP ports, in port order.
    pub ports: Vec<OpenPort>,
    pub auth: Vec<AuthCheck>,
    pub http: Vec<HttpFacts>,
    pub tls: Vec<(u16, tls::TlsFacts)>,
    pub ssh: Vec<(u16, ssh::SshFacts)>,
    pub mqtt: Vec<(u16, mqtt::MqttFacts)>,
    pub adb: Vec<(u16, adb::Message)>,
    pub snmp: Vec<snmp::SnmpFacts>,
    pub ssdp: Vec<ssdp::SsdpFacts>,
    /// Errors and limits met (timeouts, unreadable answers), for people.
    pub notes: Vec<String>,
    pub elapsed_ms: u64,
}

/// The result of one `iotassay probe`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeReport {
    pub schema: String,
    pub tool: String,
    /// As the user gave it.
    pub target: String,
    pub settings: Settings,
    pub hosts: Vec<HostReport>,
    /// Worst first.
    pub findings: Vec<iotassay_findings::Finding>,
    /// The comparison with a firmware scan or the declaration, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<merge::Comparison>,
    pub elapsed_ms: u64,
}

/// The limits the run used (recorded so a reader knows how hard the device was pushed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub tcp_ports: Vec<u16>,
    pub udp: Vec<(UdpService, u16)>,
    pub attempt_budget: usize,
    pub parallel_attempts: usize,
    pub max_open: usize,
    pub rate_per_second: u32,
    pub total_timeout_ms: u64,
}

/// Probe every address (one after the other) and map the results to findings.
pub fn run(target: &str, addresses: &[IpAddr], options: &Options) -> Result<ProbeReport, String> {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("async runtime: {e}"))?;
    let gate = Arc::new(net::Gate::new(
        options.max_open,
        options.rate,
        options.connect_timeout,
        options.read_timeout,
    ));
    let mut hosts = Vec::new();
    for &ip in addresses {
        hosts.push(rt.block_on(probe_host(gate.clone(), ip, options)));
    }
    let mut report = ProbeReport {
        schema: SCHEMA.into(),
        tool: format!("iotassay {}", env!("CARGO_PKG_VERSION")),
        target: target.into(),
        settings: Settings {
            tcp_ports: options.tcp_ports.clone(),
            udp: options.udp.clone(),
            attempt_budget: options.creds.budget,
            parallel_attempts: options.creds.parallel,
            max_open: options.max_open,
            rate_per_second: options.rate,
            total_timeout_ms: options.total_timeout.as_millis() as u64,
        },
        findings: Vec::new(),
        hosts,
        comparison: None,
        elapsed_ms: 0,
    };
    report.findings = findings::from_report(&report);
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Probe one address; what finished before the total timeout is kept.
pub async fn probe_host(gate: Arc<net::Gate>, ip: IpAddr, o: &Options) -> HostReport {
    let started = Instant::now();
    let shared = Arc::new(Mutex::new(HostReport {
        address: ip.to_string(),
        ..Default::default()
    }));
    let work = probe_host_inner(gate, ip, o, shared.clone());
    if tokio::time::timeout(o.total_timeout, work).await.is_err() {
        lock(&shared).notes.push(format!(
            "the run stopped at the total timeout ({} s): results are incomplete",
            o.total_timeout.as_secs()
        ));
    }
    let mut r = lock(&shared).clone();
    r.ports.sort_by_key(|p| p.port);
    r.auth
        .sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
    r.http.sort_by_key(|h| h.port);
    r.tls.sort_by_key(|t| t.0);
    r.ssh.sort_by_key(|t| t.0);
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

fn lock(m: &Mutex<HostReport>) -> std::sync::MutexGuard<'_, HostReport> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn probe_host_inner(
    gate: Arc<net::Gate>,
    ip: IpAddr,
    o: &Options,
    out: Arc<Mutex<HostReport>>,
) {
    let mut ports = o.tcp_ports.clone();
    ports.sort_unstable();
    ports.dedup();
    let tcp = futures::future::join_all(ports.into_iter().map(|port| {
        let gate = gate.clone();
        let out = out.clone();
        async move {
            let addr = SocketAddr::new(ip, port);
            if !ports::is_open(&gate, addr).await {
                return;
            }
            let open = ports::identify(
                &gate,
                addr,
                o.read_timeout.min(Duration::from_millis(800)),
                o.read_timeout,
            )
            .await;
            lock(&out).ports.push(open.clone());
            examine(&gate, addr, &open, o, &out).await;
        }
    }));
    let udp = futures::future::join_all(o.udp.iter().map(|&(service, port)| {
        let gate = gate.clone();
        let out = out.clone();
        async move {
            let addr = SocketAddr::new(ip, port);
            match service {
                UdpService::Snmp => match snmp_facts(&gate, addr).await {
                    Ok(Some(f)) => lock(&out).snmp.push(f),
                    Ok(None) => {}
                    Err(e) => lock(&out).notes.push(format!("snmp udp/{port}: {e}")),
                },
                UdpService::Ssdp => match ssdp::facts(&gate, addr, o.read_timeout).await {
                    Ok(Some(f)) => lock(&out).ssdp.push(f),
                    Ok(None) => {}
                    Err(e) => lock(&out).notes.push(format!("ssdp udp/{port}: {e}")),
                },
            }
        }
    }));
    futures::future::join(tcp, udp).await;
}

/// Hints for vendor default pairs: products and realms the device names.
fn hints(open: &OpenPort, extra: &[String]) -> Vec<String> {
    let mut h: Vec<String> = extra.to_vec();
    if let Some(p) = &open.product {
        if let Some(word) = p
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| w.len() >= 3)
        {
            h.push(word.to_string());
        }
    }
    h
}

/// The service-specific checks of one open port.
async fn examine(
    gate: &net::Gate,
    addr: SocketAddr,
    open: &OpenPort,
    o: &Options,
    out: &Mutex<HostReport>,
) {
    let port = addr.port();
    let login = o.login_timeout;
    let skip = o.creds.skip;
    match open.service {
        Service::Telnet if !skip => {
            let c = auth::candidates(&o.creds, &hints(open, &[]));
            let check = auth::run("telnet", port, &o.creds, c, true, |cred| {
                telnet::attempt(gate, addr, cred, login)
            })
            .await;
            lock(out).auth.push(check);
        }
        Service::Ssh => {
            let facts = match ssh::facts(gate, addr, o.read_timeout).await {
                Ok(f) => Some(f),
                Err(e) => {
                    lock(out).notes.push(format!("ssh tcp/{port}: {e}"));
                    None
                }
            };
            // The host key comes from a full key exchange: the `none` login's, or one of its
            // own when logins are off.
            let started = Instant::now();
            let (none, key) = if skip {
                let key = ssh::host_key(gate, addr, o.read_timeout).await;
                (None, key.ok())
            } else {
                let (t, key) = ssh::attempt_seeing_key(gate, addr, None, login).await;
                (Some(t), key)
            };
            if let Some(mut f) = facts {
                if let Some(k) = key {
                    f.set_host_key(k);
                }
                lock(out).ssh.push((port, f));
            }
            let Some(none) = none else {
                return;
            };
            let none_attempt = auth::Attempt {
                role: auth::Role::Unauthenticated,
                cred: None,
                outcome: none.outcome,
                detail: none.detail.clone(),
            };
            let check = if none.outcome == auth::Outcome::Accepted {
                AuthCheck {
                    protocol: "ssh".into(),
                    port,
                    verdict: AuthVerdict::NoAuthentication,
                    attempts: vec![none_attempt],
                    elapsed_ms: 0,
                }
            } else if none.outcome == auth::Outcome::Rejected && !ssh::offers_password(&none.detail)
            {
                let mut c = AuthCheck::not_tested(
                    "ssh",
                    port,
                    format!("password logins are not offered ({})", none.detail),
                );
                c.attempts.push(none_attempt);
                c
            } else {
                let c = auth::candidates(&o.creds, &hints(open, &[]));
                let mut check = auth::run("ssh", port, &o.creds, c, false, |cred| {
                    ssh::attempt(gate, addr, cred, login)
                })
                .await;
                check.attempts.insert(0, none_attempt);
                check
            };
            let check = AuthCheck {
                elapsed_ms: started.elapsed().as_millis() as u64,
                ..check
            };
            lock(out).auth.push(check);
        }
        Service::Ftp if !skip => {
            let c = auth::candidates(&o.creds, &hints(open, &[]));
            let check = auth::run("ftp", port, &o.creds, c, true, |cred| {
                ftp::attempt(gate, addr, cred, login)
            })
            .await;
            lock(out).auth.push(check);
        }
        Service::Mqtt => {
            let check = if skip {
                None
            } else {
                let c = auth::candidates(&o.creds, &[]);
                Some(
                    auth::run("mqtt", port, &o.creds, c, true, |cred| {
                        mqtt::attempt(gate, addr, cred, login)
                    })
                    .await,
                )
            };
            if check
                .as_ref()
                .is_some_and(|c| c.verdict == AuthVerdict::NoAuthentication)
            {
                match mqtt::anonymous_topics(gate, addr, o.read_timeout, Duration::from_millis(700))
                    .await
                {
                    Ok(f) => lock(out).mqtt.push((port, f)),
                    Err(e) => lock(out).notes.push(format!("mqtt tcp/{port}: {e}")),
                }
            }
            if let Some(c) = check {
                lock(out).auth.push(c);
            }
        }
        Service::Http => http_checks(gate, http::Target::plain(addr), open, o, out).await,
        Service::Rtsp if !skip => {
            let rtsp = http::Target::plain(addr);
            let check = match http::find_stream(gate, rtsp, o.read_timeout).await {
                Err(seen) => AuthCheck::not_tested(
                    "rtsp",
                    port,
                    format!(
                        "no stream found at / or {} common camera paths: {}",
                        http::RTSP_PATHS.len(),
                        seen.last().map(String::as_str).unwrap_or("")
                    ),
                ),
                Ok((path, _)) => {
                    let c = auth::candidates(&o.creds, &hints(open, &[]));
                    let path = path.as_str();
                    auth::run("rtsp", port, &o.creds, c, true, |cred| {
                        http::attempt(gate, rtsp, path, true, cred, login)
                    })
                    .await
                }
            };
            lock(out).auth.push(check);
        }
        Service::Tls => {
            let f = tls::facts(gate, addr, o.read_timeout).await;
            let speaks_modern_tls = f.accepted.iter().any(|v| v == "TLS 1.2" || v == "TLS 1.3");
            lock(out).tls.push((port, f));
            // HTTPS: the same web checks as on plain HTTP, over TLS (1.2 or 1.3: rustls).
            if speaks_modern_tls {
                let https = http::Target { addr, tls: true };
                http_checks(gate, https, open, o, out).await;
            }
        }
        Service::Adb => {
            let b = adb_exchange(gate, addr, o.read_timeout).await;
            match b {
                Ok(m) => lock(out).adb.push((port, m)),
                Err(e) => lock(out).notes.push(format!("adb tcp/{port}: {e}")),
            }
        }
        _ => {}
    }
}

async fn http_checks(
    gate: &net::Gate,
    target: http::Target,
    open: &OpenPort,
    o: &Options,
    out: &Mutex<HostReport>,
) {
    let addr = target.addr;
    let port = addr.port();
    let scheme = target.scheme();
    let root = match http::request(
        gate,
        target,
        &http::build("GET", addr, "/", false, ""),
        o.read_timeout,
    )
    .await
    {
        Ok(r) => r,
        // A TLS port need not carry HTTP (MQTT over TLS, a VPN…): not an error then.
        Err(e) if target.tls && !e.contains("TLS handshake") => {
            lock(out)
                .notes
                .push(format!("tls tcp/{port}: not HTTPS (GET / over TLS: {e})"));
            return;
        }
        Err(e) => {
            lock(out)
                .notes
                .push(format!("{scheme} tcp/{port}: GET /: {e}"));
            return;
        }
    };
    let random = format!("/iotassay-{}", net::random_token(12));
    let soft = http::request(
        gate,
        target,
        &http::build("GET", addr, &random, false, ""),
        o.read_timeout,
    )
    .await
    .is_ok_and(|r| (200..300).contains(&r.status));
    let challenge = http::pick_challenge(&root);
    let form = if challenge.is_some() && root.status == 401 {
        None
    } else {
        match form::discover(gate, target, &root, o.read_timeout).await {
            Ok(f) => f,
            Err(e) => {
                lock(out).notes.push(format!(
                    "{scheme} tcp/{port}: looking for a login form: {e}"
                ));
                None
            }
        }
    };
    lock(out).http.push(HttpFacts {
        port,
        tls: target.tls,
        root: root.status_line(),
        server: root.header("server").map(|s| s.chars().take(120).collect()),
        challenges: root
            .headers_named("www-authenticate")
            .flat_map(http::parse_challenges)
            .map(|c| c.scheme)
            .collect(),
        login_form: form.is_some() || http::has_login_form(&root.body),
        login_page: form.as_ref().map(|(f, _)| f.page.clone()),
        answers_every_path: soft,
    });
    if o.creds.skip {
        return;
    }
    let check = match (&challenge, root.status) {
        (Some(c), 401) => {
            let protocol = format!("{scheme}-{}", c.scheme);
            let mut h = hints(open, &http::realm_hints(&root));
            h.truncate(4);
            let cands = auth::candidates(&o.creds, &h);
            auth::run(&protocol, port, &o.creds, cands, false, |cred| {
                http::attempt(gate, target, "/", false, cred, o.login_timeout)
            })
            .await
        }
        _ if form.is_some() => {
            let (form, title) = form.as_ref().expect("matched is_some");
            let title: Vec<String> = title.iter().cloned().collect();
            let mut h = hints(open, &title);
            h.truncate(4);
            let cands = auth::candidates(&o.creds, &h);
            let protocol = format!("{scheme}-form");
            auth::run(&protocol, port, &o.creds, cands, false, |cred| {
                form::attempt(gate, target, form, cred, o.login_timeout)
            })
            .await
        }
        _ if http::has_login_form(&root.body) => AuthCheck::not_tested(
            &format!("{scheme}-form"),
            port,
            "a login form at / that the probe cannot submit (no named password field, or an action off the device)",
        ),
        _ => AuthCheck::not_tested(
            scheme,
            port,
            format!(
                "GET / answered {} without asking for credentials",
                root.status_line()
            ),
        ),
    };
    lock(out).auth.push(check);
}

async fn adb_exchange(
    gate: &net::Gate,
    addr: SocketAddr,
    wait: Duration,
) -> Result<adb::Message, String> {
    let mut conn = gate.connect(addr).await?;
    let deadline = tokio::time::Instant::now() + wait;
    net::write_all(&mut conn.stream, &adb::cnxn_packet(), deadline).await?;
    let mut buf = Vec::new();
    net::read_until(&mut conn.stream, &mut buf, 4096 + 24, deadline, |b| {
        b.len() >= 24
            && b.len() >= 24 + u32::from_le_bytes([b[12], b[13], b[14], b[15]]).min(4096) as usize
    })
    .await;
    adb::parse_message(&buf)
}

async fn snmp_facts(gate: &net::Gate, addr: SocketAddr) -> Result<Option<snmp::SnmpFacts>, String> {
    let public = gate
        .udp_exchange(addr, &snmp::get_request("public", 0x1a2b3c4d), 1, 4096)
        .await?;
    let descr = public
        .first()
        .and_then(|b| snmp::parse_response(b).ok())
        .map(|(_, d)| d);
    let control = net::random_token(16);
    let any = gate
        .udp_exchange(addr, &snmp::get_request(&control, 0x0a0b0c0d), 1, 4096)
        .await?;
    let accepts_any = any.first().is_some_and(|b| snmp::parse_response(b).is_ok());
    if descr.is_none() && !accepts_any {
        return Ok(None);
    }
    Ok(Some(snmp::SnmpFacts {
        port: addr.port(),
        community: descr.is_some().then(|| "public".to_string()),
        sys_descr: descr,
        accepts_any_community: accepts_any,
    }))
}

/// Fuzz entry points: every parser of device answers. Must never panic.
pub mod fuzz {
    pub fn banner(data: &[u8]) {
        crate::ports::fuzz(data);
        crate::telnet::fuzz(data);
        crate::ftp::fuzz(data);
        crate::ssh::fuzz(data);
        crate::adb::fuzz(data);
    }
    pub fn http(data: &[u8]) {
        crate::http::fuzz(data);
        crate::form::fuzz(data);
        crate::ssdp::fuzz(data);
    }
    pub fn mqtt(data: &[u8]) {
        crate::mqtt::fuzz(data);
    }
    pub fn snmp(data: &[u8]) {
        crate::snmp::fuzz(data);
    }
    pub fn tls(data: &[u8]) {
        crate::tls::fuzz(data);
    }
}
