//! TCP inventory: which ports of a built-in list accept a connection, what each sends first (its
//! banner), and which service it is. Identification is by what the service says, never by the
//! port number alone: first the unsolicited banner (SSH identification, telnet negotiation, FTP
//! greeting), then — for silent services — our own small probes in an order the port suggests
//! (HTTP GET, RTSP OPTIONS, TLS ClientHello, MQTT CONNECT, ADB CNXN). Our own probes, not nmap's
//! `nmap-service-probes` (NPSL-licensed).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::net::{excerpt, read_until, write_all, Gate};

/// The ports IoT devices use (EN 303 645 5.6 attack surface): file transfer, remote shells, web
/// and TR-069, RTSP, MQTT, ADB, UPnP's usual HTTP ports.
pub const DEFAULT_TCP_PORTS: &[u16] = &[
    21, 22, 23, 80, 81, 443, 554, 1883, 2323, 5000, 5555, 7547, 8000, 8080, 8081, 8443, 8554, 8883,
    8888, 9000, 49152, 49153, 49154,
];

/// Parse a port list: `23,80,8000-8100` (ranges inclusive, duplicates dropped, port 0 refused).
pub fn parse_list(text: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let port = |s: &str| -> Result<u16, String> {
            match s.trim().parse::<u16>() {
                Ok(0) | Err(_) => Err(format!("bad port {s:?} (1-65535)")),
                Ok(p) => Ok(p),
            }
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (port(a)?, port(b)?);
                if a > b {
                    return Err(format!("bad range {part}"));
                }
                out.extend(a..=b);
            }
            None => out.push(port(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err("no port given".into());
    }
    Ok(out)
}

/// What runs on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    Telnet,
    Ssh,
    Ftp,
    Http,
    /// TLS; what runs inside is not identified (HTTPS on web ports, MQTT on 8883).
    Tls,
    Rtsp,
    Mqtt,
    Adb,
    /// Accepts connections, says nothing we recognise.
    Unknown,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Telnet => "telnet",
            Service::Ssh => "ssh",
            Service::Ftp => "ftp",
            Service::Http => "http",
            Service::Tls => "tls",
            Service::Rtsp => "rtsp",
            Service::Mqtt => "mqtt",
            Service::Adb => "adb",
            Service::Unknown => "unknown",
        }
    }
}

/// One open port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPort {
    pub port: u16,
    pub service: Service,
    /// What identified it: `banner`, or the probe that got an answer (`http-get`…).
    pub by: String,
    /// The first bytes it sent (unsolicited, or in answer to the identifying probe), escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Product and version when the banner names them (`dropbear 2022.83`, `lighttpd/1.4.69`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

const MAX_BANNER: usize = 4096;

/// Is the port open? (A refused or silent connect is closed or filtered; either way, not listed.)
pub async fn is_open(gate: &Gate, addr: SocketAddr) -> bool {
    gate.connect(addr).await.is_ok()
}

/// Service from unsolicited bytes.
pub fn from_banner(b: &[u8]) -> Option<(Service, Option<String>)> {
    if b.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(b);
    if let Some(line) = text.lines().find(|l| l.starts_with("SSH-")) {
        // SSH-2.0-dropbear_2022.83 → dropbear 2022.83
        let soft = line
            .splitn(3, '-')
            .nth(2)
            .unwrap_or("")
            .split(' ')
            .next()
            .unwrap_or("");
        let product = soft.replacen('_', " ", 1);
        return Some((Service::Ssh, (!product.is_empty()).then_some(product)));
    }
    if b[0] == 0xff && b.len() >= 3 && (251..=254).contains(&b[1]) {
        return Some((Service::Telnet, None));
    }
    let lower = text.to_ascii_lowercase();
    let first = lower.lines().next().unwrap_or("");
    if first.len() >= 4
        && first.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        && matches!(first.as_bytes()[3], b' ' | b'-')
    {
        if first.starts_with("220") && (lower.contains("ftp") || !lower.contains("smtp")) {
            let product = ftp_product(&text);
            return Some((Service::Ftp, product));
        }
        return None;
    }
    if lower.contains("login:") || lower.contains("username:") || lower.contains("password:") {
        return Some((Service::Telnet, None));
    }
    None
}

fn ftp_product(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    [
        "pure-ftpd",
        "vsftpd",
        "proftpd",
        "bftpd",
        "filezilla",
        "busybox",
    ]
    .iter()
    .find(|p| lower.contains(*p))
    .map(|p| {
        let at = lower.find(p).unwrap_or(0);
        text[at..]
            .split(|c: char| c.is_whitespace() || c == ']' || c == ')')
            .next()
            .unwrap_or(p)
            .to_string()
    })
}

/// The probes tried on a silent port, in order.
fn probe_order(port: u16) -> Vec<&'static str> {
    let mut order = match port {
        443 | 8443 | 8883 | 993 | 995 => vec!["tls", "http", "mqtt", "rtsp", "adb"],
        1883 => vec!["mqtt", "http", "tls", "rtsp", "adb"],
        5555 => vec!["adb", "http", "tls", "mqtt", "rtsp"],
        554 | 8554 => vec!["rtsp", "http", "tls", "mqtt", "adb"],
        _ => vec!["http", "tls", "mqtt", "rtsp", "adb"],
    };
    order.dedup();
    order
}

/// Identify the service on an open port.
pub async fn identify(
    gate: &Gate,
    addr: SocketAddr,
    banner_wait: Duration,
    probe_wait: Duration,
) -> OpenPort {
    let port = addr.port();
    let mut banner = Vec::new();
    if let Ok(mut conn) = gate.connect(addr).await {
        let deadline = Instant::now() + banner_wait;
        read_until(&mut conn.stream, &mut banner, MAX_BANNER, deadline, |b| {
            b.contains(&b'\n') && from_banner(b).is_some() || b.len() >= 3 && b[0] == 0xff
        })
        .await;
    }
    if let Some((service, product)) = from_banner(&banner) {
        let shown = match service {
            // The identification line only (the key exchange follows it).
            Service::Ssh => {
                let text = String::from_utf8_lossy(&banner).into_owned();
                let line = text
                    .lines()
                    .find(|l| l.starts_with("SSH-"))
                    .unwrap_or("")
                    .to_string();
                line.chars().take(200).collect()
            }
            // The text without option negotiation.
            Service::Telnet => {
                let (mut text, mut reply) = (Vec::new(), Vec::new());
                crate::telnet::Filter::default().feed(&banner, &mut text, &mut reply);
                excerpt(&text, 200)
            }
            _ => excerpt(&banner, 200),
        };
        return OpenPort {
            port,
            service,
            by: "banner".into(),
            banner: Some(shown),
            product,
        };
    }
    for probe in probe_order(port) {
        if let Some(found) = run_probe(gate, addr, probe, probe_wait).await {
            return found;
        }
    }
    OpenPort {
        port,
        service: Service::Unknown,
        by: "none".into(),
        banner: (!banner.is_empty()).then(|| excerpt(&banner, 200)),
        product: None,
    }
}

async fn exchange(
    gate: &Gate,
    addr: SocketAddr,
    request: &[u8],
    wait: Duration,
    done: impl FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let Ok(mut conn) = gate.connect(addr).await else {
        return Vec::new();
    };
    let deadline = Instant::now() + wait;
    if write_all(&mut conn.stream, request, deadline)
        .await
        .is_err()
    {
        return Vec::new();
    }
    let mut buf = Vec::new();
    read_until(&mut conn.stream, &mut buf, MAX_BANNER, deadline, done).await;
    buf
}

async fn run_probe(gate: &Gate, addr: SocketAddr, probe: &str, wait: Duration) -> Option<OpenPort> {
    let port = addr.port();
    let found = |service, by: &str, bytes: &[u8], product| OpenPort {
        port,
        service,
        by: by.into(),
        banner: Some(excerpt(bytes, 200)),
        product,
    };
    match probe {
        "http" => {
            let req = crate::http::build("GET", addr, "/", false, "");
            let b = exchange(gate, addr, req.as_bytes(), wait, |b| {
                b.windows(4).any(|w| w == b"\r\n\r\n")
            })
            .await;
            let r = crate::http::parse_response(&b).ok()?;
            let product: Option<String> = r.header("server").map(|s| s.chars().take(80).collect());
            if r.version.starts_with("RTSP/") {
                return Some(found(
                    Service::Rtsp,
                    "http-get",
                    r.status_line().as_bytes(),
                    product,
                ));
            }
            // RTSP servers that tunnel RTSP over HTTP answer a GET (GStreamer: 503): an error
            // status or a server naming RTSP gets an OPTIONS too before it is called HTTP.
            let rtsp_hint = r.status >= 400
                || product
                    .as_deref()
                    .is_some_and(|p| p.to_ascii_lowercase().contains("rtsp"));
            if rtsp_hint {
                if let Some(rtsp) = Box::pin(run_probe(gate, addr, "rtsp", wait)).await {
                    return Some(rtsp);
                }
            }
            // HTTPS ports answer a plain request with 400 ("The plain HTTP request was sent to
            // HTTPS port", nginx): a ServerHello settles it.
            if r.status == 400 {
                if let Some(tls) = Box::pin(run_probe(gate, addr, "tls", wait)).await {
                    return Some(tls);
                }
            }
            Some(found(
                Service::Http,
                "http-get",
                r.status_line().as_bytes(),
                product,
            ))
        }
        "rtsp" => {
            let req = crate::http::build("OPTIONS", addr, "/", true, "");
            let b = exchange(gate, addr, req.as_bytes(), wait, |b| {
                b.windows(4).any(|w| w == b"\r\n\r\n")
            })
            .await;
            let r = crate::http::parse_response(&b).ok()?;
            // An RTSP server echoes the request's CSeq (RFC 2326 §12.17); an HTTP server that
            // merely mirrors the protocol version in its status line does not.
            if !r.version.starts_with("RTSP/") || r.header("cseq").map(str::trim) != Some("1") {
                return None;
            }
            let product = r.header("server").map(|s| s.chars().take(80).collect());
            Some(found(
                Service::Rtsp,
                "rtsp-options",
                r.status_line().as_bytes(),
                product,
            ))
        }
        "tls" => {
            let b = exchange(gate, addr, &crate::tls::client_hello(0x0303), wait, |b| {
                matches!(
                    crate::tls::parse_answer(b),
                    crate::tls::Answer::Hello { .. } | crate::tls::Answer::Alert(..)
                )
            })
            .await;
            match crate::tls::parse_answer(&b) {
                crate::tls::Answer::Hello { version, .. } => Some(found(
                    Service::Tls,
                    "tls-client-hello",
                    format!("ServerHello 0x{version:04x}").as_bytes(),
                    None,
                )),
                crate::tls::Answer::Alert(l, d) => Some(found(
                    Service::Tls,
                    "tls-client-hello",
                    format!("TLS alert {l}/{d}").as_bytes(),
                    None,
                )),
                crate::tls::Answer::Other(_) => None,
            }
        }
        "mqtt" => {
            let id = format!("iotassay-{}", crate::net::random_token(8));
            let b = exchange(
                gate,
                addr,
                &crate::mqtt::connect_packet(&id, None),
                wait,
                |b| b.len() >= 4,
            )
            .await;
            let rc = crate::mqtt::connack_code(&b).ok()?;
            Some(found(
                Service::Mqtt,
                "mqtt-connect",
                format!("CONNACK rc={rc}").as_bytes(),
                None,
            ))
        }
        "adb" => {
            let b = exchange(gate, addr, &crate::adb::cnxn_packet(), wait, |b| {
                b.len() >= 24
            })
            .await;
            let m = crate::adb::parse_message(&b).ok()?;
            Some(found(Service::Adb, "adb-cnxn", m.command.as_bytes(), None))
        }
        _ => None,
    }
}

/// Fuzz entry point.
pub fn fuzz(data: &[u8]) {
    let _ = from_banner(data);
    let _ = ftp_product(&String::from_utf8_lossy(data));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners_identify() {
        assert_eq!(
            from_banner(b"SSH-2.0-dropbear_2022.83\r\n"),
            Some((Service::Ssh, Some("dropbear 2022.83".into())))
        );
        assert_eq!(
            from_banner(b"\xff\xfd\x01\xff\xfb\x03").map(|s| s.0),
            Some(Service::Telnet)
        );
        assert_eq!(
            from_banner(b"220---------- Welcome to Pure-FTPd [privsep] ----------\r\n220 ok\r\n")
                .unwrap(),
            (Service::Ftp, Some("Pure-FTPd".into()))
        );
        assert_eq!(from_banner(b"220 mail ESMTP smtp ready\r\n"), None);
        assert_eq!(
            from_banner(b"IPCam login: ").map(|s| s.0),
            Some(Service::Telnet)
        );
        assert_eq!(from_banner(b""), None);
    }

    #[test]
    fn port_lists() {
        assert_eq!(parse_list("23, 80,21-22,80").unwrap(), [21, 22, 23, 80]);
        assert_eq!(parse_list("1-65535").unwrap().len(), 65535);
        for bad in ["0", "80-79", "x", "70000", "", "1-"] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn probe_order_follows_port() {
        assert_eq!(probe_order(1883)[0], "mqtt");
        assert_eq!(probe_order(8443)[0], "tls");
        assert_eq!(probe_order(12345)[0], "http");
        assert_eq!(probe_order(12345).len(), 5);
    }
}
