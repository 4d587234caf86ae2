//! TLS: which protocol versions the server accepts, and its certificate.
//!
//! rustls cannot speak SSL 3.0, TLS 1.0 or TLS 1.1, so each version is tried with a ClientHello
//! built here (RFC 5246 §7.4.1.2; for TLS 1.3 RFC 8446 §4.1.2 with `supported_versions` and an
//! X25519 `key_share`), one connection per version, serially (fragile devices: tls-scan#29). A
//! version is accepted when the ServerHello selects exactly it. The handshake is never completed.
//! The certificate is read from the clear-text Certificate message of a TLS ≤ 1.2 handshake and
//! parsed with `x509-parser`; a server that speaks only TLS 1.3 encrypts it, and then a full
//! handshake with rustls ([`connect`]) reads it.
//!
//! [`connect`] is also the transport of HTTPS checks: rustls with a verifier that accepts every
//! certificate and handshake signature — the probe examines the certificate, it does not trust
//! it, and devices' 1024-bit RSA keys would fail ring's signature checks.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::net::{read_until, write_all, Gate};

/// Protocol versions tried, oldest first.
pub const VERSIONS: [(u16, &str); 5] = [
    (0x0300, "SSL 3.0"),
    (0x0301, "TLS 1.0"),
    (0x0302, "TLS 1.1"),
    (0x0303, "TLS 1.2"),
    (0x0304, "TLS 1.3"),
];

const MAX_RECORD: usize = (1 << 14) + 2048;
/// Handshake bytes read at most (ServerHello + Certificate chains of a few certificates).
const MAX_HANDSHAKE: usize = 64 << 10;

/// What the TLS tests found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// Accepted versions (`TLS 1.2`…), oldest first.
    pub accepted: Vec<String>,
    /// Refused versions, with the server's answer (`alert protocol_version`…).
    pub refused: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertFacts>,
    /// Why the certificate was not read, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_note: Option<String>,
}

/// The leaf certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// Now outside `not_before..not_after`.
    pub expired: bool,
    pub not_yet_valid: bool,
    /// Issuer and subject are the same name.
    pub self_signed: bool,
    /// `RSA`, `EC`, `Ed25519`…
    pub key_type: String,
    pub key_bits: Option<u32>,
    /// `sha256WithRSAEncryption`…
    pub signature: String,
    pub sha256: String,
}

/// The ClientHello offering `version` (for TLS 1.3 through `supported_versions`).
pub fn client_hello(version: u16) -> Vec<u8> {
    let tls13 = version >= 0x0304;
    let mut body = Vec::new();
    body.extend_from_slice(&(if tls13 { 0x0303u16 } else { version }).to_be_bytes());
    let random = crate::net::random_token(64);
    body.extend_from_slice(&hex::decode(&random).unwrap_or_else(|_| vec![7; 32])[..32]);
    if tls13 {
        body.push(32);
        body.extend_from_slice(&[0x11; 32]);
    } else {
        body.push(0);
    }
    let suites: &[u16] = if tls13 {
        &[0x1301, 0x1302, 0x1303]
    } else {
        &[
            0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c,
            0x009d, 0x002f, 0x0035, 0x0033, 0x0039, 0x000a, 0x0005, 0x0004, 0x00ff,
        ]
    };
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    let mut ext = Vec::new();
    let mut put = |kind: u16, data: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    if version >= 0x0301 {
        put(0x000a, &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
        put(0x000b, &[1, 0]);
        if version >= 0x0303 {
            let algs: [u16; 11] = [
                0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203,
                0x0201,
            ];
            let mut d = ((algs.len() * 2) as u16).to_be_bytes().to_vec();
            for a in algs {
                d.extend_from_slice(&a.to_be_bytes());
            }
            put(0x000d, &d);
        }
        if tls13 {
            put(0x002b, &[2, 0x03, 0x04]);
            let mut ks = vec![0, 36, 0x00, 0x1d, 0, 32];
            ks.extend_from_slice(&[9; 32]);
            put(0x0033, &ks);
            put(0x002d, &[1, 1]);
        }
    }
    if !ext.is_empty() {
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend(ext);
    }
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16];
    rec.extend_from_slice(&(if version == 0x0300 { 0x0300u16 } else { 0x0301 }).to_be_bytes());
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

/// What the server answered to one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// ServerHello with the selected version; the Certificate message body if it was in clear.
    Hello {
        version: u16,
        certificate: Option<Vec<u8>>,
    },
    /// An alert (level, description).
    Alert(u8, u8),
    /// Not TLS, or nothing complete.
    Other(String),
}

/// Parse the server's records (bounded) into an [`Answer`].
pub fn parse_answer(b: &[u8]) -> Answer {
    let mut hs = Vec::new();
    let mut at = 0;
    while at + 5 <= b.len() {
        let kind = b[at];
        let len = u16::from_be_bytes([b[at + 3], b[at + 4]]) as usize;
        if len > MAX_RECORD || b[at + 1] != 3 {
            return Answer::Other("not a TLS record".into());
        }
        let Some(payload) = b.get(at + 5..at + 5 + len) else {
            break;
        };
        at += 5 + len;
        match kind {
            21 if payload.len() >= 2 && hs.is_empty() => {
                return Answer::Alert(payload[0], payload[1])
            }
            22 if hs.len() < MAX_HANDSHAKE => hs.extend_from_slice(payload),
            _ => {}
        }
    }
    let mut version = None;
    let mut certificate = None;
    let mut p = 0;
    while p + 4 <= hs.len() {
        let kind = hs[p];
        let len = u32::from_be_bytes([0, hs[p + 1], hs[p + 2], hs[p + 3]]) as usize;
        let Some(body) = hs.get(p + 4..p + 4 + len) else {
            break;
        };
        p += 4 + len;
        match kind {
            2 => version = server_hello_version(body),
            11 if version.is_some_and(|v| v < 0x0304) => certificate = Some(body.to_vec()),
            _ => {}
        }
    }
    match version {
        Some(v) => Answer::Hello {
            version: v,
            certificate,
        },
        None if b.is_empty() => Answer::Other("no answer".into()),
        None => Answer::Other("no complete ServerHello".into()),
    }
}

fn server_hello_version(body: &[u8]) -> Option<u16> {
    let legacy = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let sid = *body.get(34)? as usize;
    let mut at = 35 + sid + 3;
    if at + 2 > body.len() {
        return Some(legacy);
    }
    let ext_len = u16::from_be_bytes([body[at], body[at + 1]]) as usize;
    at += 2;
    let end = (at + ext_len).min(body.len());
    while at + 4 <= end {
        let kind = u16::from_be_bytes([body[at], body[at + 1]]);
        let len = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
        if kind == 0x002b && len == 2 {
            return Some(u16::from_be_bytes([*body.get(at + 4)?, *body.get(at + 5)?]));
        }
        at += 4 + len;
    }
    Some(legacy)
}

/// Whether the ServerHello of a complete answer is in; for the read loop.
fn answered(b: &[u8], want_cert: bool) -> bool {
    match parse_answer(b) {
        Answer::Alert(..) => true,
        Answer::Hello {
            certificate,
            version,
        } => !want_cert || certificate.is_some() || version >= 0x0304 || b.len() >= MAX_HANDSHAKE,
        Answer::Other(ref why) => why == "not a TLS record",
    }
}

/// Send one ClientHello and read the answer.
pub async fn hello(
    gate: &Gate,
    addr: SocketAddr,
    version: u16,
    wait: Duration,
) -> Result<Answer, String> {
    let mut conn = gate.connect(addr).await?;
    let deadline = Instant::now() + wait;
    write_all(&mut conn.stream, &client_hello(version), deadline).await?;
    let mut buf = Vec::new();
    read_until(&mut conn.stream, &mut buf, MAX_HANDSHAKE, deadline, |b| {
        answered(b, true)
    })
    .await;
    Ok(parse_answer(&buf))
}

/// Accepts any certificate and any handshake signature (see the module comment).
#[derive(Debug)]
struct Examine(Vec<SignatureScheme>);

impl ServerCertVerifier for Examine {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

fn client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            // ring, already built for russh. Its provider is deprecated for lacking
            // post-quantum key exchange, which no device answers and a probe does not need.
            #[allow(deprecated)]
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let schemes = provider
                .signature_verification_algorithms
                .supported_schemes();
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
                .expect("ring supports TLS 1.2 and 1.3")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Examine(schemes)))
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A TLS connection to the device (TLS 1.2 or 1.3), holding one of the gate's slots.
pub struct TlsConn {
    pub stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl TlsConn {
    /// The leaf certificate the server presented (DER).
    pub fn leaf_certificate(&self) -> Option<Vec<u8>> {
        let (_, session) = self.stream.get_ref();
        session
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.as_ref().to_vec())
    }
    /// `TLS 1.3 TLS13_AES_256_GCM_SHA384`.
    pub fn negotiated(&self) -> String {
        let (_, session) = self.stream.get_ref();
        let version = match session.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
            Some(v) => format!("{v:?}"),
            None => "?".to_string(),
        };
        let suite = session
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        format!("{version} {suite}").trim().to_string()
    }
}

/// A full TLS handshake (1.2 or 1.3) within `wait`.
pub async fn connect(gate: &Gate, addr: SocketAddr, wait: Duration) -> Result<TlsConn, String> {
    let (tcp, slot) = gate.connect(addr).await?.into_parts();
    let connector = tokio_rustls::TlsConnector::from(client_config());
    let name = ServerName::IpAddress(addr.ip().into());
    match tokio::time::timeout(wait, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok(TlsConn {
            stream,
            _slot: slot,
        }),
        Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
        Err(_) => Err(format!(
            "TLS handshake: no answer within {} ms",
            wait.as_millis()
        )),
    }
}

/// Try every version, serially, and read the certificate.
pub async fn facts(gate: &Gate, addr: SocketAddr, wait: Duration) -> TlsFacts {
    let mut f = TlsFacts::default();
    let mut cert_der = None;
    for (v, name) in VERSIONS {
        match hello(gate, addr, v, wait).await {
            Ok(Answer::Hello {
                version,
                certificate,
            }) if version == v => {
                f.accepted.push(name.to_string());
                if let Some(c) = certificate {
                    cert_der = first_certificate(&c);
                }
            }
            Ok(Answer::Hello { version, .. }) => f.refused.push((
                name.to_string(),
                format!("ServerHello chose 0x{version:04x}"),
            )),
            Ok(Answer::Alert(level, desc)) => f.refused.push((
                name.to_string(),
                format!("alert {}", alert_name(level, desc)),
            )),
            Ok(Answer::Other(why)) => f.refused.push((name.to_string(), why)),
            Err(e) => f.refused.push((name.to_string(), e)),
        }
    }
    match cert_der {
        Some(der) => match cert_facts(&der) {
            Ok(c) => f.certificate = Some(c),
            Err(e) => f.certificate_note = Some(e),
        },
        None if f.accepted.is_empty() => {}
        // Only TLS 1.3: the Certificate message is encrypted; a full handshake reads it.
        None => match connect(gate, addr, wait).await {
            Ok(conn) => match conn.leaf_certificate().map(|der| cert_facts(&der)) {
                Some(Ok(c)) => f.certificate = Some(c),
                Some(Err(e)) => f.certificate_note = Some(e),
                None => f.certificate_note = Some("the server sent no certificate".into()),
            },
            Err(e) => {
                f.certificate_note = Some(format!(
                    "not read: only TLS 1.3 was accepted (its Certificate message is encrypted) \
                     and a full handshake failed: {e}"
                ))
            }
        },
    }
    f
}

/// The first certificate of a Certificate message body (TLS ≤ 1.2: a u24 list of u24 entries).
pub fn first_certificate(body: &[u8]) -> Option<Vec<u8>> {
    let len = u32::from_be_bytes([0, *body.get(3)?, *body.get(4)?, *body.get(5)?]) as usize;
    body.get(6..6 + len).map(<[u8]>::to_vec)
}

fn alert_name(level: u8, desc: u8) -> String {
    let d = match desc {
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        112 => "unrecognized_name",
        _ => "",
    };
    if d.is_empty() {
        format!("level {level} description {desc}")
    } else {
        d.to_string()
    }
}

/// Facts of a DER certificate.
pub fn cert_facts(der: &[u8]) -> Result<CertFacts, String> {
    use sha2::{Digest, Sha256};
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("certificate: {e}"))?;
    let validity = cert.validity();
    let now = ASN1Time::now();
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            ("RSA".to_string(), Some(rsa.key_size() as u32))
        }
        Ok(x509_parser::public_key::PublicKey::EC(ec)) => {
            ("EC".to_string(), Some(ec.key_size() as u32))
        }
        Ok(x509_parser::public_key::PublicKey::DSA(_)) => ("DSA".to_string(), None),
        Ok(_) => (cert.public_key().algorithm.algorithm.to_id_string(), None),
        Err(_) => ("unknown".to_string(), None),
    };
    let sig_oid = cert.signature_algorithm.algorithm.clone();
    let signature = x509_parser::objects::oid2sn(&sig_oid, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| sig_oid.to_id_string());
    // Issuer equal to subject: self-issued (the signature is not verified here).
    let self_signed = cert.subject() == cert.issuer();
    Ok(CertFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: validity.not_before.to_string(),
        not_after: validity.not_after.to_string(),
        expired: validity.not_after < now,
        not_yet_valid: validity.not_before > now,
        self_signed,
        key_type,
        key_bits,
        signature,
        sha256: hex::encode(Sha256::digest(der)),
    })
}

/// Fuzz entry point: bytes as the server's records.
pub fn fuzz(data: &[u8]) {
    if let Answer::Hello {
        certificate: Some(c),
        ..
    } = parse_answer(data)
    {
        if let Some(der) = first_certificate(&c) {
            let _ = cert_facts(&der);
        }
    }
    let _ = server_hello_version(data);
    let _ = answered(data, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hellos_are_well_formed() {
        for (v, _) in VERSIONS {
            let h = client_hello(v);
            assert_eq!(h[0], 0x16);
            assert_eq!(u16::from_be_bytes([h[3], h[4]]) as usize, h.len() - 5);
            assert_eq!(h[5], 1, "ClientHello");
            let hs_len = u32::from_be_bytes([0, h[6], h[7], h[8]]) as usize;
            assert_eq!(hs_len, h.len() - 9);
            let offered = u16::from_be_bytes([h[9], h[10]]);
            assert_eq!(offered, v.min(0x0303));
        }
        let h13 = client_hello(0x0304);
        assert!(h13.windows(5).any(|w| w == [0x00, 0x2b, 0, 3, 2]));
    }

    #[test]
    fn answers_parse() {
        // Alert protocol_version.
        assert_eq!(parse_answer(&[21, 3, 1, 0, 2, 2, 70]), Answer::Alert(2, 70));
        // A ServerHello selecting TLS 1.3 via supported_versions.
        let mut sh = vec![0x03, 0x03];
        sh.extend([0u8; 32]);
        sh.push(0);
        sh.extend([0x13, 0x01, 0]);
        sh.extend([0, 6, 0x00, 0x2b, 0, 2, 0x03, 0x04]);
        let mut hs = vec![2, 0, 0, sh.len() as u8];
        hs.extend(&sh);
        let mut rec = vec![22, 3, 3, 0, hs.len() as u8];
        rec.extend(&hs);
        assert_eq!(
            parse_answer(&rec),
            Answer::Hello {
                version: 0x0304,
                certificate: None
            }
        );
        assert!(matches!(
            parse_answer(b"HTTP/1.1 400 Bad"),
            Answer::Other(_)
        ));
        assert!(matches!(
            parse_answer(&rec[..rec.len() - 3]),
            Answer::Other(_)
        ));
    }
}
