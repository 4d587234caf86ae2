//! MQTT 3.1.1 (OASIS, 2014): CONNECT/CONNACK for the login tests (return code 0 = accepted,
//! 4 bad user name or password / 5 not authorised = refused), and after an accepted anonymous
//! CONNECT a bounded SUBSCRIBE to `$SYS/#` and `#`: the broker's version and how many topics
//! anyone can read. Payloads are never kept, only topic names and counts.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::auth::{Cred, Outcome, Try};
use crate::net::{read_until, write_all, Gate};

/// What an anonymous client can see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqttFacts {
    /// `$SYS/broker/version`, when published.
    pub broker_version: Option<String>,
    /// Distinct topics seen (names only), at most [`MAX_TOPICS`].
    pub topics: Vec<String>,
    pub messages: usize,
}

pub const MAX_TOPICS: usize = 50;
const MAX_MESSAGES: usize = 200;
const MAX_BYTES: usize = 1 << 20;

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

/// A CONNECT packet.
pub fn connect_packet(client_id: &str, cred: Option<&Cred>) -> Vec<u8> {
    let mut var = Vec::new();
    put_str(&mut var, "MQTT");
    var.push(4);
    let mut flags = 0x02; // clean session
    if cred.is_some() {
        flags |= 0xC0;
    }
    var.push(flags);
    var.extend_from_slice(&10u16.to_be_bytes());
    put_str(&mut var, client_id);
    if let Some(c) = cred {
        put_str(&mut var, &c.user);
        put_str(&mut var, &c.password);
    }
    let mut out = vec![0x10];
    put_len(&mut out, var.len());
    out.extend(var);
    out
}

/// A control packet: type and flags, body, bytes taken.
pub type Packet<'a> = (u8, &'a [u8], usize);

/// One control packet, or `None` if incomplete.
pub fn parse_packet(b: &[u8]) -> Result<Option<Packet<'_>>, String> {
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let mut len = 0usize;
    let mut mult = 1usize;
    let mut i = 1;
    loop {
        let Some(&byte) = b.get(i) else {
            return Ok(None);
        };
        len += (byte & 0x7f) as usize * mult;
        i += 1;
        if byte & 0x80 == 0 {
            break;
        }
        mult *= 128;
        if i > 4 {
            return Err("remaining length longer than 4 bytes".into());
        }
    }
    if len > MAX_BYTES {
        return Err(format!("packet of {len} bytes"));
    }
    match b.get(i..i + len) {
        Some(body) => Ok(Some((first, body, i + len))),
        None => Ok(None),
    }
}

/// Return code of a CONNACK packet.
pub fn connack_code(b: &[u8]) -> Result<u8, String> {
    match parse_packet(b)? {
        Some((0x20, body, _)) if body.len() >= 2 => Ok(body[1]),
        Some((t, _, _)) => Err(format!("expected CONNACK, got packet type {}", t >> 4)),
        None => Err("no complete CONNACK".into()),
    }
}

async fn connect(
    gate: &Gate,
    addr: SocketAddr,
    cred: Option<&Cred>,
    wait: Duration,
) -> Result<(crate::net::Conn, u8), String> {
    let mut conn = gate.connect(addr).await?;
    let deadline = Instant::now() + wait;
    let id = format!("iotassay-{}", crate::net::random_token(8));
    write_all(&mut conn.stream, &connect_packet(&id, cred), deadline).await?;
    let mut buf = Vec::new();
    read_until(&mut conn.stream, &mut buf, 64, deadline, |b| b.len() >= 4).await;
    Ok((conn, connack_code(&buf)?))
}

/// One CONNECT; `None` = anonymous.
pub async fn attempt(gate: &Gate, addr: SocketAddr, cred: Option<Cred>, wait: Duration) -> Try {
    match connect(gate, addr, cred.as_ref(), wait).await {
        Err(e) => Try::unclear(e),
        Ok((_, 0)) => Try::new(Outcome::Accepted, "CONNACK rc=0 (accepted)"),
        Ok((_, rc @ (4 | 5))) => Try::new(
            Outcome::Rejected,
            format!(
                "CONNACK rc={rc} ({})",
                if rc == 4 {
                    "bad user name or password"
                } else {
                    "not authorised"
                }
            ),
        ),
        Ok((_, rc)) => Try::unclear(format!("CONNACK rc={rc}")),
    }
}

/// Anonymous SUBSCRIBE to `$SYS/#` and `#` for at most `listen`; topic names and counts only.
pub async fn anonymous_topics(
    gate: &Gate,
    addr: SocketAddr,
    wait: Duration,
    listen: Duration,
) -> Result<MqttFacts, String> {
    let (mut conn, rc) = connect(gate, addr, None, wait).await?;
    if rc != 0 {
        return Err(format!("anonymous CONNECT refused (rc={rc})"));
    }
    let mut body = vec![0, 1];
    for topic in ["$SYS/#", "#"] {
        put_str(&mut body, topic);
        body.push(0);
    }
    let mut packet = vec![0x82];
    put_len(&mut packet, body.len());
    packet.extend(body);
    let deadline = Instant::now() + listen;
    write_all(&mut conn.stream, &packet, deadline).await?;
    let mut facts = MqttFacts::default();
    let mut buf = Vec::new();
    read_until(&mut conn.stream, &mut buf, MAX_BYTES, deadline, |b| {
        count_publishes(b) >= MAX_MESSAGES
    })
    .await;
    let mut at = 0;
    while let Ok(Some((kind, body, used))) = parse_packet(&buf[at..]) {
        at += used;
        if kind >> 4 != 3 {
            continue;
        }
        let Some(topic) = topic_of(kind, body) else {
            continue;
        };
        facts.messages += 1;
        if topic == "$SYS/broker/version" {
            let qos = (kind >> 1) & 3;
            let start = 2 + topic.len() + if qos > 0 { 2 } else { 0 };
            facts.broker_version = body
                .get(start..)
                .map(|p| String::from_utf8_lossy(&p[..p.len().min(128)]).into_owned());
        }
        if facts.topics.len() < MAX_TOPICS && !facts.topics.contains(&topic) {
            facts.topics.push(topic);
        }
    }
    Ok(facts)
}

fn topic_of(_kind: u8, body: &[u8]) -> Option<String> {
    let n = u16::from_be_bytes([*body.first()?, *body.get(1)?]) as usize;
    let t = body.get(2..2 + n)?;
    Some(String::from_utf8_lossy(&t[..t.len().min(256)]).into_owned())
}

fn count_publishes(b: &[u8]) -> usize {
    let mut at = 0;
    let mut n = 0;
    while let Ok(Some((kind, _, used))) = parse_packet(&b[at..]) {
        at += used;
        if kind >> 4 == 3 {
            n += 1;
        }
    }
    n
}

/// Fuzz entry point: bytes as packets from a broker.
pub fn fuzz(data: &[u8]) {
    let _ = connack_code(data);
    let mut at = 0;
    while let Ok(Some((kind, body, used))) = parse_packet(&data[at..]) {
        assert!(used > 0);
        at += used;
        let _ = topic_of(kind, body);
    }
    let _ = count_publishes(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_layout() {
        let p = connect_packet(
            "c",
            Some(&Cred {
                user: "u".into(),
                password: "pw".into(),
                source: "t".into(),
            }),
        );
        assert_eq!(
            p,
            [
                0x10, 20, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 10, 0, 1, b'c', 0, 1, b'u', 0,
                2, b'p', b'w'
            ]
        );
        let mut long = Vec::new();
        put_len(&mut long, 321);
        assert_eq!(long, [0xC1, 0x02]);
    }

    #[test]
    fn packets_parse_and_bound() {
        assert_eq!(connack_code(&[0x20, 2, 0, 5]).unwrap(), 5);
        assert!(connack_code(&[0x20, 2, 0]).is_err());
        assert!(parse_packet(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        let publish = [0x30, 7, 0, 3, b'a', b'/', b'b', b'h', b'i'];
        let (kind, body, used) = parse_packet(&publish).unwrap().unwrap();
        assert_eq!((kind, used), (0x30, 9));
        assert_eq!(topic_of(kind, body).unwrap(), "a/b");
    }
}
