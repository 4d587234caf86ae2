//! SSH: the server's identification and algorithm lists (its KEXINIT, read by hand: it is sent in
//! the clear before any key exchange) graded like ssh-audit does, and password logins through the
//! `russh` client (`none` first: a server that lets `none` in needs no authentication).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::auth::{Cred, Outcome, Try};
use crate::net::{excerpt, read_until, write_all, Gate};

/// What the server announces before authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshFacts {
    /// `SSH-2.0-dropbear_2022.83`.
    pub banner: String,
    pub kex: Vec<String>,
    pub host_keys: Vec<String>,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub compression: Vec<String>,
    /// Offered algorithms considered weak, with why (`diffie-hellman-group1-sha1: 768/1024-bit…`).
    pub weak: Vec<String>,
    /// The host key the server proved it holds in a full key exchange (the one russh negotiated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<HostKey>,
}

/// A server's host key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKey {
    /// `ssh-ed25519`, `rsa-sha2-512`, `ecdsa-sha2-nistp256`…
    pub algorithm: String,
    /// RSA modulus, EC curve or Ed25519 size; `None` when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `SHA256:…`, as `ssh-keygen -l` shows it.
    pub fingerprint: String,
}

impl HostKey {
    fn of(key: &russh::keys::ssh_key::PublicKey) -> Self {
        use russh::keys::ssh_key::{public::KeyData, HashAlg};
        let bits = match key.key_data() {
            KeyData::Rsa(rsa) => Some(rsa.key_size()),
            KeyData::Ed25519(_) => Some(256),
            KeyData::Ecdsa(ec) => match ec.curve().as_str() {
                "nistp256" => Some(256),
                "nistp384" => Some(384),
                "nistp521" => Some(521),
                _ => None,
            },
            KeyData::Dsa(dsa) => {
                Some(dsa.p().as_positive_bytes().map_or(0, |b| b.len() * 8) as u32)
            }
            _ => None,
        };
        HostKey {
            algorithm: key.algorithm().as_str().to_string(),
            bits,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        }
    }

    /// Why this key is weak, if it is (NIST SP 800-57: RSA below 2048 bits; DSA is 1024-bit
    /// with SHA-1 by definition in SSH).
    pub fn weakness(&self) -> Option<String> {
        match (self.algorithm.as_str(), self.bits) {
            ("ssh-dss", _) => Some("host key: DSA (1024-bit, SHA-1)".into()),
            (a, Some(b)) if a.contains("rsa") && b < 2048 => {
                Some(format!("host key: RSA {b}-bit (below 2048)"))
            }
            _ => None,
        }
    }
}

/// Largest SSH packet we read (RFC 4253 §6.1 requires 35000 to be handled).
const MAX_PACKET: usize = 35_000;
/// Lines a server may send before its identification (RFC 4253 §4.2), bounded.
const MAX_PRE_BANNER: usize = 8 << 10;

/// Algorithms to report, with the reason (after ssh-audit's policy and RFC 9142).
const WEAK: &[(&str, &str)] = &[
    (
        "diffie-hellman-group1-sha1",
        "1024-bit group with SHA-1 (RFC 9142: MUST NOT)",
    ),
    (
        "diffie-hellman-group14-sha1",
        "SHA-1 key exchange (RFC 9142: SHOULD NOT)",
    ),
    (
        "diffie-hellman-group-exchange-sha1",
        "SHA-1 key exchange (RFC 9142: MUST NOT)",
    ),
    ("rsa1024-sha1", "1024-bit RSA with SHA-1"),
    ("ssh-dss", "DSA host key (1024-bit, SHA-1)"),
    ("ssh-rsa", "RSA signatures with SHA-1"),
    ("3des-cbc", "64-bit block cipher in CBC mode (Sweet32)"),
    ("blowfish-cbc", "64-bit block cipher"),
    ("cast128-cbc", "64-bit block cipher"),
    ("des-cbc", "56-bit key"),
    ("arcfour", "RC4"),
    ("arcfour128", "RC4"),
    ("arcfour256", "RC4"),
    ("aes128-cbc", "CBC mode (plaintext recovery attacks on SSH)"),
    ("aes192-cbc", "CBC mode (plaintext recovery attacks on SSH)"),
    ("aes256-cbc", "CBC mode (plaintext recovery attacks on SSH)"),
    ("rijndael-cbc@lysator.liu.se", "CBC mode"),
    ("none", "no encryption or no integrity protection"),
    ("hmac-md5", "MD5"),
    ("hmac-md5-96", "MD5, truncated"),
    ("hmac-sha1-96", "SHA-1, truncated"),
    ("hmac-md5-etm@openssh.com", "MD5"),
    ("hmac-md5-96-etm@openssh.com", "MD5, truncated"),
    ("hmac-sha1-96-etm@openssh.com", "SHA-1, truncated"),
    ("umac-64@openssh.com", "64-bit tag"),
    ("umac-64-etm@openssh.com", "64-bit tag"),
];

/// Parse the server's first binary packet as KEXINIT (RFC 4253 §7.1).
pub fn parse_kexinit(packet: &[u8]) -> Result<[Vec<String>; 10], String> {
    let len = u32::from_be_bytes(
        packet
            .get(..4)
            .ok_or("packet shorter than its length field")?
            .try_into()
            .map_err(|_| "length")?,
    ) as usize;
    if !(2..=MAX_PACKET).contains(&len) {
        return Err(format!("packet length {len} out of range"));
    }
    let body = packet.get(4..4 + len).ok_or("packet cut short")?;
    let pad = body[0] as usize;
    let payload = body
        .get(
            1..len
                .checked_sub(pad)
                .ok_or("padding longer than the packet")?,
        )
        .ok_or("padding longer than the packet")?;
    if payload.first() != Some(&20) {
        return Err(format!(
            "first packet is message {} not KEXINIT (20)",
            payload.first().copied().unwrap_or(0)
        ));
    }
    let mut at = 17; // message number + 16-byte cookie
    let mut lists: [Vec<String>; 10] = Default::default();
    for list in lists.iter_mut() {
        let n = u32::from_be_bytes(
            payload
                .get(at..at + 4)
                .ok_or("name-list length cut short")?
                .try_into()
                .map_err(|_| "length")?,
        ) as usize;
        at += 4;
        let names = payload.get(at..at + n).ok_or("name-list cut short")?;
        at += n;
        *list = String::from_utf8_lossy(names)
            .split(',')
            .filter(|s| !s.is_empty())
            .take(128)
            .map(|s| s.chars().take(96).collect())
            .collect();
    }
    Ok(lists)
}

/// Read the identification and KEXINIT.
pub async fn facts(gate: &Gate, addr: SocketAddr, wait: Duration) -> Result<SshFacts, String> {
    let mut conn = gate.connect(addr).await?;
    let deadline = Instant::now() + wait;
    let mut buf = Vec::new();
    let found = read_until(&mut conn.stream, &mut buf, MAX_PRE_BANNER, deadline, |b| {
        banner_end(b).is_some()
    })
    .await;
    let Some(end) = banner_end(&buf).filter(|_| found) else {
        return Err(format!("no SSH identification: {}", excerpt(&buf, 120)));
    };
    let line_start = buf[..end]
        .windows(4)
        .rposition(|w| w == b"SSH-")
        .unwrap_or(0);
    let banner = excerpt(&buf[line_start..end], 200)
        .trim_end_matches("\\n")
        .to_string();
    write_all(&mut conn.stream, b"SSH-2.0-iotassay_probe\r\n", deadline).await?;
    let mut packet = buf[end..].to_vec();
    read_until(
        &mut conn.stream,
        &mut packet,
        MAX_PACKET + 4,
        deadline,
        |b| b.len() >= 4 && b.len() >= 4 + u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
    )
    .await;
    let [kex, host_keys, c2s, _s2c, mac_c2s, _mac_s2c, comp, _, _, _] = parse_kexinit(&packet)?;
    let mut weak = Vec::new();
    for name in kex.iter().chain(&host_keys).chain(&c2s).chain(&mac_c2s) {
        if let Some((_, why)) = WEAK.iter().find(|(w, _)| w == name) {
            let line = format!("{name}: {why}");
            if !weak.contains(&line) {
                weak.push(line);
            }
        }
    }
    Ok(SshFacts {
        banner,
        kex,
        host_keys,
        ciphers: c2s,
        macs: mac_c2s,
        compression: comp,
        weak,
        host_key: None,
    })
}

impl SshFacts {
    /// Record the host key a key exchange showed (and its weakness).
    pub fn set_host_key(&mut self, key: HostKey) {
        if let Some(w) = key.weakness() {
            if !self.weak.contains(&w) {
                self.weak.push(w);
            }
        }
        self.host_key = Some(key);
    }
}

/// Complete a key exchange (no authentication) to see the host key the server signs with.
pub async fn host_key(gate: &Gate, addr: SocketAddr, wait: Duration) -> Result<HostKey, String> {
    let seen = Arc::new(std::sync::Mutex::new(None));
    session(gate, addr, wait, seen.clone(), async |_| Ok(())).await?;
    let key = seen.lock().map_err(|_| "poisoned")?.take();
    key.ok_or_else(|| "the key exchange showed no host key".to_string())
}

/// Connect through the gate, complete the key exchange (recording the host key in `seen`), run
/// `then` on the session and disconnect, all within `wait`.
async fn session<T>(
    gate: &Gate,
    addr: SocketAddr,
    wait: Duration,
    seen: Arc<std::sync::Mutex<Option<HostKey>>>,
    then: impl AsyncFnOnce(&mut russh::client::Handle<AcceptAnyHostKey>) -> Result<T, String>,
) -> Result<T, String> {
    let (stream, slot) = gate.connect(addr).await?.into_parts();
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(wait),
        ..Default::default()
    });
    let work = async move {
        let _slot = slot;
        let mut handle =
            russh::client::connect_stream(config, stream, AcceptAnyHostKey(Some(seen)))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
        let result = then(&mut handle).await;
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        result
    };
    tokio::time::timeout(wait, work)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", wait.as_millis())))
}

/// End of the identification line (`SSH-…\r\n`), after any lines before it.
fn banner_end(b: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(nl) = b[start..].iter().position(|&c| c == b'\n') {
        if b[start..].starts_with(b"SSH-") {
            return Some(start + nl + 1);
        }
        start += nl + 1;
    }
    None
}

/// We are assessing the device, not trusting it: any host key is fine (and may be recorded).
struct AcceptAnyHostKey(Option<Arc<std::sync::Mutex<Option<HostKey>>>>);

impl russh::client::Handler for AcceptAnyHostKey {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        key: &russh::keys::ssh_key::PublicKey,
    ) -> Result<bool, Self::Error> {
        if let Some(seen) = &self.0 {
            if let Ok(mut slot) = seen.lock() {
                *slot = Some(HostKey::of(key));
            }
        }
        Ok(true)
    }
}

/// One login: `None` tries the `none` method for user `root`.
pub async fn attempt(gate: &Gate, addr: SocketAddr, cred: Option<Cred>, wait: Duration) -> Try {
    attempt_seeing_key(gate, addr, cred, wait).await.0
}

/// [`attempt`], also returning the host key the key exchange showed.
pub async fn attempt_seeing_key(
    gate: &Gate,
    addr: SocketAddr,
    cred: Option<Cred>,
    wait: Duration,
) -> (Try, Option<HostKey>) {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let t = login(gate, addr, cred, wait, seen.clone()).await;
    let key = seen.lock().ok().and_then(|mut k| k.take());
    (t, key)
}

async fn login(
    gate: &Gate,
    addr: SocketAddr,
    cred: Option<Cred>,
    wait: Duration,
    seen: Arc<std::sync::Mutex<Option<HostKey>>>,
) -> Try {
    let result = session(gate, addr, wait, seen, async |handle| {
        match &cred {
            None => handle.authenticate_none("root").await,
            Some(c) => handle.authenticate_password(&c.user, &c.password).await,
        }
        .map_err(|e| format!("authentication: {e}"))
    })
    .await;
    match result {
        Err(e) => Try::unclear(e),
        Ok(russh::client::AuthResult::Success) => Try::new(Outcome::Accepted, "USERAUTH_SUCCESS"),
        Ok(russh::client::AuthResult::Failure {
            remaining_methods,
            partial_success,
        }) => {
            let methods: Vec<&str> = remaining_methods.iter().map(|m| m.into()).collect();
            Try::new(
                if partial_success {
                    Outcome::Unclear
                } else {
                    Outcome::Rejected
                },
                format!(
                    "USERAUTH_FAILURE{} (methods: {})",
                    if partial_success { " partial" } else { "" },
                    methods.join(",")
                ),
            )
        }
    }
}

/// Whether the server offers password (or keyboard-interactive) logins, from the methods a
/// refused `none` attempt lists.
pub fn offers_password(none_detail: &str) -> bool {
    none_detail.contains("password") || none_detail.contains("keyboard-interactive")
}

/// Fuzz entry point: bytes as an identification and KEXINIT packet.
pub fn fuzz(data: &[u8]) {
    let _ = banner_end(data);
    let _ = parse_kexinit(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_list(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn kexinit_parses_and_bounds() {
        let mut payload = vec![20u8];
        payload.extend_from_slice(&[7; 16]);
        for l in [
            "curve25519-sha256,diffie-hellman-group1-sha1",
            "ssh-ed25519",
            "aes128-ctr,3des-cbc",
            "aes128-ctr",
            "hmac-sha2-256",
            "hmac-sha2-256",
            "none",
            "none",
            "",
            "",
        ] {
            payload.extend(name_list(l));
        }
        payload.extend_from_slice(&[0, 0, 0, 0, 0]);
        let pad = 4u8;
        let len = (1 + payload.len() + pad as usize) as u32;
        let mut packet = len.to_be_bytes().to_vec();
        packet.push(pad);
        packet.extend(&payload);
        packet.extend([0; 4]);
        let lists = parse_kexinit(&packet).unwrap();
        assert_eq!(
            lists[0],
            ["curve25519-sha256", "diffie-hellman-group1-sha1"]
        );
        assert_eq!(lists[2], ["aes128-ctr", "3des-cbc"]);
        assert!(lists[8].is_empty());
        for cut in [0, 3, 10, packet.len() - 10] {
            assert!(parse_kexinit(&packet[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = packet.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_kexinit(&huge).is_err());
    }

    #[test]
    fn banner_after_other_lines() {
        assert_eq!(banner_end(b"hello\r\nSSH-2.0-x\r\nrest"), Some(18));
        assert_eq!(banner_end(b"SSH-2.0-x"), None);
    }
}
