//! Recognising key material in bytes: PEM blocks anywhere (text files and binaries), DER private
//! keys and certificates inside binaries, and whole-file formats (dropbear host keys, PuTTY `.ppk`,
//! PKCS#12). Every candidate is validated structurally (ASN.1 with the RustCrypto `pkcs1`, `pkcs8`
//! and `sec1` crates, OpenSSH with `ssh-key`, certificates with `x509-parser`) before it is
//! reported, so a string such as `"-----BEGIN RSA PRIVATE KEY-----"` inside a PEM library is not a
//! key.
//!
//! Dropbear's key file format and PuTTY's `.ppk` are parsed here: no maintained crate reads them,
//! and both are a few SSH wire-format strings.
//!
//! Nothing here keeps or prints secret material: a [`KeyFact`] holds the algorithm, size, whether
//! the key is encrypted, and a fingerprint of the *public* part only.

use std::sync::LazyLock;

use base64::Engine;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use der::{Decode, Encode, Reader, SliceReader};
use memchr::memmem::Finder;
use sha2::{Digest, Sha256};

/// Longest PEM block accepted (a 16384-bit RSA key is ~12 KiB of base64; CA bundles are split by
/// block so this bounds one block, not a file).
const MAX_PEM_BLOCK: usize = 64 * 1024;
/// Longest DER structure tried in a binary.
const MAX_DER: usize = 16 * 1024;
/// Most candidates examined in one file per pattern (a hostile file full of `-----BEGIN `).
const MAX_CANDIDATES: usize = 4096;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");

/// Where a fact sits in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

/// A private key found, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyFact {
    /// How it is stored: `PEM PKCS#1`, `DER PKCS#8`, `OpenSSH`, `dropbear`, `PuTTY PPK`…
    pub format: &'static str,
    /// `RSA`, `EC`, `DSA`, `Ed25519`…
    pub algorithm: String,
    /// Key size in bits, when known (RSA/DSA modulus, EC field size).
    pub bits: Option<u32>,
    /// Curve name for EC keys.
    pub curve: Option<String>,
    /// The secret is encrypted with a passphrase (the passphrase must still reach the device).
    pub encrypted: bool,
    /// Fingerprint of the public part people can reproduce (`SHA256:…` as `ssh-keygen -l` prints
    /// for SSH formats; `SPKI SHA-256 …` as `openssl pkey -pubout -outform DER | sha256sum`).
    pub fingerprint: Option<String>,
    /// Identity of the key for de-duplication and certificate matching: SHA-256 of the algorithm
    /// and the public material (RSA modulus, EC point, Ed25519 key); of the stored bytes when the
    /// public part is not available (encrypted), which then matches only identical copies.
    pub id: [u8; 32],
    /// Whether `id` derives from the public material (and can match a certificate).
    pub public_id: bool,
    /// Short excerpt to show (the PEM header line or a description of a binary format).
    pub excerpt: String,
}

impl KeyFact {
    /// `RSA 1024-bit`, `EC P-256`, `Ed25519`.
    pub fn describe(&self) -> String {
        match (&self.curve, self.bits) {
            (Some(c), _) => format!("{} {c}", self.algorithm),
            (None, Some(b)) => format!("{} {b}-bit", self.algorithm),
            (None, None) => self.algorithm.clone(),
        }
    }

    /// RSA or DSA below 2048 bits.
    pub fn weak(&self) -> bool {
        matches!(self.algorithm.as_str(), "RSA" | "DSA") && self.bits.is_some_and(|b| b < 2048)
    }
}

/// A certificate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertFact {
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    /// Issuer name equals subject name.
    pub self_issued: bool,
    /// basicConstraints CA:TRUE (or a v1 self-issued certificate, which acts as a root).
    pub is_ca: bool,
    /// Signature algorithm name.
    pub signature: String,
    /// `MD2`, `MD5` or `SHA-1` when the signature uses a broken hash.
    pub weak_hash: Option<&'static str>,
    /// `RSA 1024-bit`, `EC 256-bit`.
    pub key: String,
    /// RSA modulus size, for the weak-key test.
    pub rsa_bits: Option<u32>,
    /// Same scheme as [`KeyFact::id`], to match a private key.
    pub key_id: Option<[u8; 32]>,
    /// SHA-256 of the DER certificate, for de-duplication (`openssl x509 -fingerprint -sha256`).
    pub sha256: [u8; 32],
}

/// What was recognised at a place in a file.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Key(KeyFact),
    Cert(Box<CertFact>),
    /// A PKCS#12 container (its content is password-encrypted; not opened).
    Pkcs12,
}

/// One recognised item and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub span: Span,
    pub item: Item,
}

static BEGIN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"-----BEGIN "));

/// Everything recognisable in one file's bytes. `binary` enables the DER heuristics (text files
/// cannot hold DER, which always has NUL bytes).
pub(crate) fn scan(data: &[u8], binary: bool) -> Vec<Found> {
    let mut out = Vec::new();
    if let Some(f) = whole_file(data) {
        out.push(f);
        return out;
    }
    scan_pem(data, &mut out);
    if binary {
        scan_der(data, &mut out);
    }
    out.sort_by_key(|f| f.span.start);
    out
}

// ---------------------------------------------------------------------------------------------
// PEM

/// Find `-----BEGIN X-----` … `-----END X-----` blocks and decode the known labels.
fn scan_pem(data: &[u8], out: &mut Vec<Found>) {
    let mut from = 0usize;
    let mut seen = 0usize;
    while let Some(rel) = BEGIN.find(data.get(from..).unwrap_or(&[])) {
        seen += 1;
        if seen > MAX_CANDIDATES {
            break;
        }
        let start = from + rel;
        from = start + 11;
        let Some((label, body_start)) = pem_label(data, start) else {
            continue;
        };
        let end_marker = format!("-----END {label}-----");
        let window_end = data.len().min(body_start + MAX_PEM_BLOCK);
        let window = &data[body_start..window_end];
        let Some(end_rel) = memchr::memmem::find(window, end_marker.as_bytes()) else {
            continue;
        };
        let end = body_start + end_rel + end_marker.len();
        let body = &window[..end_rel];
        let item = decode_pem(&label, body);
        if let Some(item) = item {
            out.push(Found {
                span: Span { start, end },
                item,
            });
            from = end;
        }
    }
}

/// The label of a `-----BEGIN LABEL-----` at `start` and where its body starts.
fn pem_label(data: &[u8], start: usize) -> Option<(String, usize)> {
    let rest = data.get(start + 11..)?;
    let n = rest
        .iter()
        .take(64)
        .position(|&b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'#'))?;
    if !rest[n..].starts_with(b"-----") || n == 0 {
        return None;
    }
    let label = std::str::from_utf8(&rest[..n]).ok()?.trim().to_string();
    Some((label, start + 11 + n + 5))
}

/// Turn a PEM body found in arbitrary bytes (possibly with literal `\n` escapes from JSON or C
/// strings, quotes and trailing commas) into a canonical PEM document and decode it.
fn canonical_pem(label: &str, body: &[u8]) -> Option<pem::Pem> {
    let text = String::from_utf8_lossy(body);
    let text = text
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "\n");
    let mut headers = Vec::new();
    let mut b64 = String::new();
    for line in text.lines() {
        let mut line = line.trim();
        // JavaScript-style concatenation: `"MIIE…" +`.
        if let Some(s) = line.strip_suffix('+') {
            let s = s.trim_end();
            if s.ends_with('"') || s.ends_with('\'') {
                line = s;
            }
        }
        let line = line
            .trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == ';')
            .trim();
        if line.is_empty() {
            continue;
        }
        if line.contains(':') && b64.is_empty() {
            headers.push(line.to_string());
            continue;
        }
        if !line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        {
            return None;
        }
        b64.push_str(line);
    }
    if b64.len() < 16 {
        return None;
    }
    let mut doc = format!("-----BEGIN {label}-----\n");
    for h in &headers {
        doc.push_str(h);
        doc.push('\n');
    }
    if !headers.is_empty() {
        doc.push('\n');
    }
    let bytes = b64.as_bytes();
    for chunk in bytes.chunks(64) {
        doc.push_str(std::str::from_utf8(chunk).ok()?);
        doc.push('\n');
    }
    doc.push_str(&format!("-----END {label}-----\n"));
    pem::parse(doc).ok()
}

fn decode_pem(label: &str, body: &[u8]) -> Option<Item> {
    let interesting = label.ends_with("PRIVATE KEY") || label.contains("CERTIFICATE");
    if !interesting || label.contains("REQUEST") {
        return None;
    }
    let pem = canonical_pem(label, body)?;
    let der = pem.contents();
    let encrypted_header = pem
        .headers()
        .get("Proc-Type")
        .is_some_and(|v| v.contains("ENCRYPTED"));
    let header = format!("-----BEGIN {label}-----");
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            certificate(der).map(|(c, _)| Item::Cert(Box::new(c)))
        }
        "OPENSSH PRIVATE KEY" => openssh(der, header).map(Item::Key),
        _ if encrypted_header => {
            // Legacy OpenSSL encryption: the body is ciphertext, only its size can be checked.
            if der.len() < 64 {
                return None;
            }
            let algorithm = label.trim_end_matches(" PRIVATE KEY").to_string();
            Some(Item::Key(KeyFact {
                format: "PEM (legacy OpenSSL encryption)",
                algorithm: if algorithm.is_empty() {
                    "unknown".into()
                } else {
                    algorithm
                },
                bits: None,
                curve: None,
                encrypted: true,
                fingerprint: None,
                id: sha256(der),
                public_id: false,
                excerpt: header,
            }))
        }
        "RSA PRIVATE KEY" => pkcs1(der, "PEM PKCS#1", header).map(Item::Key),
        "EC PRIVATE KEY" => sec1_key(der, "PEM SEC1", header).map(Item::Key),
        "DSA PRIVATE KEY" => dsa(der, "PEM", header).map(Item::Key),
        "PRIVATE KEY" => pkcs8(der, "PEM PKCS#8", header).map(Item::Key),
        "ENCRYPTED PRIVATE KEY" => encrypted_pkcs8(der, "PEM PKCS#8", header).map(Item::Key),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// DER structures

/// Length of the DER SEQUENCE starting at `data[0]` (tag, length and content), if it fits.
fn der_len(data: &[u8]) -> Option<usize> {
    if *data.first()? != 0x30 {
        return None;
    }
    let first = *data.get(1)?;
    let (len, header) = match first {
        0..=0x7f => (first as usize, 2),
        0x81 => (*data.get(2)? as usize, 3),
        0x82 => (
            u16::from_be_bytes([*data.get(2)?, *data.get(3)?]) as usize,
            4,
        ),
        _ => return None,
    };
    let total = header + len;
    (total <= data.len() && total <= MAX_DER).then_some(total)
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn key_id(algorithm: &str, public: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(algorithm.as_bytes());
    h.update([0]);
    h.update(public);
    h.finalize().into()
}

/// Bits of a big-endian unsigned integer (leading zeros ignored).
fn bit_len(bytes: &[u8]) -> u32 {
    let bytes = strip_zeros(bytes);
    match bytes.first() {
        None => 0,
        Some(&b) => (bytes.len() as u32 - 1) * 8 + (8 - b.leading_zeros()),
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|&&b| b == 0).count();
    &bytes[n..]
}

fn spki_fingerprint(
    oid: ObjectIdentifier,
    params: Option<AnyRef<'_>>,
    key: &[u8],
) -> Option<String> {
    let spki = spki::SubjectPublicKeyInfo {
        algorithm: spki::AlgorithmIdentifier {
            oid,
            parameters: params,
        },
        subject_public_key: BitStringRef::from_bytes(key).ok()?,
    };
    let der = spki.to_der().ok()?;
    Some(format!("SPKI SHA-256 {}", hex::encode(sha256(&der))))
}

fn rsa_public_der(n: UintRef<'_>, e: UintRef<'_>) -> Option<Vec<u8>> {
    pkcs1::RsaPublicKey {
        modulus: n,
        public_exponent: e,
    }
    .to_der()
    .ok()
}

fn pkcs1(der: &[u8], format: &'static str, excerpt: String) -> Option<KeyFact> {
    let key = pkcs1::RsaPrivateKey::from_der(der).ok()?;
    let n = key.modulus.as_bytes();
    let bits = bit_len(n);
    if bits < 256 || key.private_exponent.as_bytes().is_empty() {
        return None;
    }
    let public = rsa_public_der(key.modulus, key.public_exponent)?;
    Some(KeyFact {
        format,
        algorithm: "RSA".into(),
        bits: Some(bits),
        curve: None,
        encrypted: false,
        fingerprint: spki_fingerprint(OID_RSA, Some(AnyRef::NULL), &public),
        id: key_id("RSA", strip_zeros(n)),
        public_id: true,
        excerpt,
    })
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.2.840.10045.3.1.1" => "P-192".into(),
        "1.3.132.0.33" => "P-224".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        other => other.to_string(),
    }
}

fn sec1_key(der: &[u8], format: &'static str, excerpt: String) -> Option<KeyFact> {
    sec1_with_curve(der, None, format, excerpt)
}

fn sec1_with_curve(
    der: &[u8],
    outer_curve: Option<ObjectIdentifier>,
    format: &'static str,
    excerpt: String,
) -> Option<KeyFact> {
    let key = sec1::EcPrivateKey::from_der(der).ok()?;
    if key.private_key.is_empty() || key.private_key.len() > 72 {
        return None;
    }
    let curve = key.parameters.and_then(|p| p.named_curve()).or(outer_curve);
    let (fingerprint, id, public_id) = match (key.public_key, curve) {
        (Some(point), Some(c)) => (
            spki_fingerprint(OID_EC, Some(AnyRef::from(&c)), point),
            key_id("EC", point),
            true,
        ),
        (Some(point), None) => (None, key_id("EC", point), true),
        (None, _) => (None, sha256(der), false),
    };
    Some(KeyFact {
        format,
        algorithm: "EC".into(),
        bits: Some(key.private_key.len() as u32 * 8),
        curve: curve.map(|c| curve_name(&c)),
        encrypted: false,
        fingerprint,
        id,
        public_id,
        excerpt,
    })
}

/// OpenSSL's DSA private key: SEQUENCE { version 0, p, q, g, y, x }.
fn dsa(der: &[u8], format: &'static str, excerpt: String) -> Option<KeyFact> {
    let ints = integer_sequence(der, 6)?;
    let p = ints.get(1)?;
    let y = ints.get(4)?;
    Some(KeyFact {
        format,
        algorithm: "DSA".into(),
        bits: Some(bit_len(p)),
        curve: None,
        encrypted: false,
        fingerprint: None,
        id: key_id("DSA", strip_zeros(y)),
        public_id: true,
        excerpt,
    })
}

/// A SEQUENCE of exactly `count` INTEGERs, as byte slices.
fn integer_sequence(der: &[u8], count: usize) -> Option<Vec<&[u8]>> {
    let mut reader = SliceReader::new(der).ok()?;
    let ints = reader
        .sequence(|r| {
            let mut v = Vec::with_capacity(count);
            for _ in 0..count {
                v.push(UintRef::decode(r)?.as_bytes());
            }
            Ok(v)
        })
        .ok()?;
    reader.finish(ints).ok()
}

fn pkcs8(der: &[u8], format: &'static str, excerpt: String) -> Option<KeyFact> {
    let info = pkcs8::PrivateKeyInfo::try_from(der).ok()?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        let mut k = pkcs1(info.private_key, format, excerpt)?;
        k.format = format;
        Some(k)
    } else if oid == OID_EC {
        let curve = info.algorithm.parameters_oid().ok();
        sec1_with_curve(info.private_key, curve, format, excerpt)
    } else if oid == OID_ED25519 || oid == OID_ED448 || oid == OID_X25519 {
        let name = if oid == OID_ED25519 {
            "Ed25519"
        } else if oid == OID_ED448 {
            "Ed448"
        } else {
            "X25519"
        };
        // The key is an OCTET STRING inside the OCTET STRING.
        let inner = der::asn1::OctetStringRef::from_der(info.private_key).ok()?;
        if !matches!(inner.as_bytes().len(), 32 | 57) {
            return None;
        }
        let (fingerprint, id, public_id) = match info.public_key {
            Some(p) => (spki_fingerprint(oid, None, p), key_id(name, p), true),
            None => (None, sha256(der), false),
        };
        Some(KeyFact {
            format,
            algorithm: name.into(),
            bits: None,
            curve: None,
            encrypted: false,
            fingerprint,
            id,
            public_id,
            excerpt,
        })
    } else if oid == OID_DSA {
        let p = info.algorithm.parameters.and_then(|any| {
            integer_sequence(any.to_der().ok()?.as_slice(), 3).map(|v| bit_len(v[0]))
        });
        Some(KeyFact {
            format,
            algorithm: "DSA".into(),
            bits: p,
            curve: None,
            encrypted: false,
            fingerprint: None,
            id: sha256(der),
            public_id: false,
            excerpt,
        })
    } else {
        None
    }
}

fn encrypted_pkcs8(der: &[u8], format: &'static str, excerpt: String) -> Option<KeyFact> {
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der).ok()?;
    if info.encrypted_data.len() < 32 {
        return None;
    }
    Some(KeyFact {
        format,
        algorithm: "unknown (encrypted PKCS#8)".into(),
        bits: None,
        curve: None,
        encrypted: true,
        fingerprint: None,
        id: sha256(der),
        public_id: false,
        excerpt,
    })
}

/// Parse an X.509 certificate; also returns its length.
pub(crate) fn certificate(der: &[u8]) -> Option<(CertFact, usize)> {
    use x509_parser::public_key::PublicKey;
    let (rest, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let len = der.len() - rest.len();
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let sig = cert.signature_algorithm.algorithm.to_id_string();
    let (signature, weak_hash) = match sig.as_str() {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption".to_string(), Some("MD2")),
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption".to_string(), Some("MD5")),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => {
            ("sha1WithRSAEncryption".to_string(), Some("SHA-1"))
        }
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1".to_string(), Some("SHA-1")),
        "1.2.840.10040.4.3" => ("dsa-with-sha1".to_string(), Some("SHA-1")),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption".to_string(), None),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption".to_string(), None),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption".to_string(), None),
        "1.2.840.113549.1.1.10" => ("RSASSA-PSS".to_string(), None),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256".to_string(), None),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384".to_string(), None),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512".to_string(), None),
        "1.3.101.112" => ("Ed25519".to_string(), None),
        other => (other.to_string(), None),
    };
    let spki = cert.public_key();
    let (key, rsa_bits, key_id) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = bit_len(rsa.modulus);
            (
                format!("RSA {bits}-bit"),
                Some(bits),
                Some(self::key_id("RSA", strip_zeros(rsa.modulus))),
            )
        }
        Ok(PublicKey::EC(point)) => (
            format!("EC {}-bit", point.key_size()),
            None,
            Some(self::key_id("EC", point.data())),
        ),
        Ok(PublicKey::DSA(y)) => (
            format!("DSA ({}-bit public value)", bit_len(y)),
            None,
            Some(self::key_id("DSA", strip_zeros(y))),
        ),
        _ => {
            let oid = spki.algorithm.algorithm.to_id_string();
            let name = match oid.as_str() {
                "1.3.101.112" => "Ed25519",
                "1.3.101.113" => "Ed448",
                _ => "unknown",
            };
            let data = &spki.subject_public_key.data;
            (
                format!("{name} key"),
                None,
                (name != "unknown").then(|| self::key_id(name, data)),
            )
        }
    };
    let is_ca = match cert.basic_constraints() {
        Ok(Some(bc)) => bc.value.ca,
        // A version 1 certificate has no extensions; a self-issued one is a root.
        Ok(None) => self_issued && cert.version().0 == 0,
        Err(_) => false,
    };
    Some((
        CertFact {
            subject,
            issuer,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            self_issued,
            is_ca,
            signature,
            weak_hash,
            key,
            rsa_bits,
            key_id,
            sha256: sha256(&der[..len]),
        },
        len,
    ))
}

/// DER patterns worth trying in a binary: (bytes to find, how far before the match the outer
/// SEQUENCE may start, what to parse).
#[derive(Clone, Copy)]
enum DerKind {
    Pkcs1,
    Pkcs8,
    Sec1,
    Cert,
}

static DER_PATTERNS: LazyLock<Vec<(Finder<'static>, &'static [usize], DerKind)>> =
    LazyLock::new(|| {
        vec![
            // PrivateKeyInfo first (it wraps the others): version 0, then an AlgorithmIdentifier SEQUENCE with an OID.
            (
                Finder::new(b"\x02\x01\x00\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"),
                &[4, 3][..],
                DerKind::Pkcs8,
            ),
            (
                Finder::new(b"\x02\x01\x00\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01"),
                &[4, 3, 2][..],
                DerKind::Pkcs8,
            ),
            (
                Finder::new(b"\x02\x01\x00\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01"),
                &[4, 3, 2][..],
                DerKind::Pkcs8,
            ),
            (
                Finder::new(b"\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20"),
                &[2][..],
                DerKind::Pkcs8,
            ),
            // RSAPrivateKey: version 0, then a modulus INTEGER of 128..65535 bytes.
            (
                Finder::new(b"\x02\x01\x00\x02\x82"),
                &[4][..],
                DerKind::Pkcs1,
            ),
            (
                Finder::new(b"\x02\x01\x00\x02\x81"),
                &[4, 3][..],
                DerKind::Pkcs1,
            ),
            // ECPrivateKey: version 1, then the private key OCTET STRING (P-256, P-384, P-521).
            (
                Finder::new(b"\x02\x01\x01\x04\x20"),
                &[2, 3][..],
                DerKind::Sec1,
            ),
            (
                Finder::new(b"\x02\x01\x01\x04\x30"),
                &[3][..],
                DerKind::Sec1,
            ),
            (
                Finder::new(b"\x02\x01\x01\x04\x42"),
                &[3][..],
                DerKind::Sec1,
            ),
            (
                Finder::new(b"\x02\x01\x01\x04\x41"),
                &[3][..],
                DerKind::Sec1,
            ),
            // Certificate: SEQUENCE { TBSCertificate SEQUENCE { [0] { INTEGER 2 } … } }.
            (
                Finder::new(b"\xa0\x03\x02\x01\x02"),
                &[8, 7, 6][..],
                DerKind::Cert,
            ),
        ]
    });

fn scan_der(data: &[u8], out: &mut Vec<Found>) {
    let mut taken: Vec<Span> = out.iter().map(|f| f.span).collect();
    for (finder, backs, kind) in DER_PATTERNS.iter() {
        for (count, pos) in finder.find_iter(data).enumerate() {
            if count >= MAX_CANDIDATES {
                break;
            }
            for &back in backs.iter() {
                let Some(start) = pos.checked_sub(back) else {
                    continue;
                };
                if taken.iter().any(|s| start >= s.start && start < s.end) {
                    break;
                }
                let Some(len) = der_len(&data[start..]) else {
                    continue;
                };
                // The header must end exactly where the pattern starts (or, for certificates,
                // where the TBSCertificate header does).
                let header_ok = match kind {
                    DerKind::Cert => true,
                    _ => start + (back) == pos && header_len(data[start + 1]) == back,
                };
                if !header_ok {
                    continue;
                }
                let der = &data[start..start + len];
                let item = match kind {
                    DerKind::Pkcs1 => {
                        pkcs1(der, "DER PKCS#1", "DER RSAPrivateKey".into()).map(Item::Key)
                    }
                    DerKind::Pkcs8 => {
                        pkcs8(der, "DER PKCS#8", "DER PrivateKeyInfo".into()).map(Item::Key)
                    }
                    DerKind::Sec1 => {
                        sec1_key(der, "DER SEC1", "DER ECPrivateKey".into()).map(Item::Key)
                    }
                    DerKind::Cert => certificate(der)
                        .filter(|(_, l)| *l == len)
                        .map(|(c, _)| Item::Cert(Box::new(c))),
                };
                if let Some(item) = item {
                    let span = Span {
                        start,
                        end: start + len,
                    };
                    taken.push(span);
                    out.push(Found { span, item });
                    break;
                }
            }
        }
    }
}

/// Size of a DER header given the first length byte.
fn header_len(first_len_byte: u8) -> usize {
    match first_len_byte {
        0..=0x7f => 2,
        0x81 => 3,
        0x82 => 4,
        _ => usize::MAX,
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-file formats

fn whole_file(data: &[u8]) -> Option<Found> {
    let span = Span {
        start: 0,
        end: data.len(),
    };
    if data.starts_with(b"PuTTY-User-Key-File-") {
        return ppk(data).map(|k| Found {
            span,
            item: Item::Key(k),
        });
    }
    if let Some(k) = dropbear(data) {
        return Some(Found {
            span,
            item: Item::Key(k),
        });
    }
    if pkcs12(data) {
        return Some(Found {
            span,
            item: Item::Pkcs12,
        });
    }
    None
}

/// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (pkcs7-data or signed-data) … }.
/// BER indefinite lengths are common here, so only the start is checked.
fn pkcs12(data: &[u8]) -> bool {
    const DATA: &[u8] = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07";
    if data.len() < 32 || data[0] != 0x30 {
        return false;
    }
    let after = match data[1] {
        0x80 => 2,
        0x81 => 3,
        0x82 => 4,
        0x83 => 5,
        _ => return false,
    };
    data.get(after..after + 4) == Some(b"\x02\x01\x03\x30")
        && memchr::memmem::find(&data[after..data.len().min(after + 24)], DATA).is_some()
}

/// An SSH wire-format reader (RFC 4251 strings and mpints).
struct Wire<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Wire<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let len =
            u32::from_be_bytes(self.data.get(self.pos..self.pos + 4)?.try_into().ok()?) as usize;
        let start = self.pos + 4;
        let s = self.data.get(start..start.checked_add(len)?)?;
        self.pos = start + len;
        Some(s)
    }
}

/// What an SSH public key blob says: (algorithm, bits, curve, public material).
type SshPublic = (String, Option<u32>, Option<String>, Vec<u8>);

fn ssh_public(blob: &[u8]) -> Option<SshPublic> {
    let mut w = Wire { data: blob, pos: 0 };
    let kind = w.string()?;
    match kind {
        b"ssh-rsa" => {
            let _e = w.string()?;
            let n = w.string()?;
            Some((
                "RSA".into(),
                Some(bit_len(n)),
                None,
                strip_zeros(n).to_vec(),
            ))
        }
        b"ssh-dss" => {
            let p = w.string()?;
            let _q = w.string()?;
            let _g = w.string()?;
            let y = w.string()?;
            Some((
                "DSA".into(),
                Some(bit_len(p)),
                None,
                strip_zeros(y).to_vec(),
            ))
        }
        b"ssh-ed25519" => {
            let p = w.string()?;
            (p.len() == 32).then(|| ("Ed25519".into(), None, None, p.to_vec()))
        }
        k if k.starts_with(b"ecdsa-sha2-") => {
            let curve = w.string()?;
            let q = w.string()?;
            let name = match curve {
                b"nistp256" => "P-256",
                b"nistp384" => "P-384",
                b"nistp521" => "P-521",
                _ => return None,
            };
            Some(("EC".into(), None, Some(name.into()), q.to_vec()))
        }
        _ => None,
    }
}

fn ssh_fingerprint(blob: &[u8]) -> String {
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha256(blob))
    )
}

fn ssh_fact(
    blob: &[u8],
    format: &'static str,
    encrypted: bool,
    excerpt: String,
) -> Option<KeyFact> {
    let (algorithm, bits, curve, material) = ssh_public(blob)?;
    Some(KeyFact {
        format,
        id: key_id(&algorithm, &material),
        algorithm,
        bits,
        curve,
        encrypted,
        fingerprint: Some(ssh_fingerprint(blob)),
        public_id: true,
        excerpt,
    })
}

/// Dropbear's key file: SSH wire strings — the public fields, then the private ones. The public
/// blob is the prefix of the file up to the end of the public fields.
fn dropbear(data: &[u8]) -> Option<KeyFact> {
    if data.len() < 40 || data.len() > 16 * 1024 {
        return None;
    }
    let mut w = Wire { data, pos: 0 };
    let kind = w.string()?;
    let (public_fields, private_fields): (usize, usize) = match kind {
        b"ssh-rsa" => (2, 3),                              // e n | d p q
        b"ssh-dss" => (4, 1),                              // p q g y | x
        b"ssh-ed25519" => (0, 1), // one string: 32 secret + 32 public bytes
        k if k.starts_with(b"ecdsa-sha2-nistp") => (2, 1), // curve Q | d
        _ => return None,
    };
    for _ in 0..public_fields {
        w.string()?;
    }
    let public_end = w.pos;
    for _ in 0..private_fields {
        if w.string()?.is_empty() {
            return None;
        }
    }
    let excerpt_kind = String::from_utf8_lossy(kind).into_owned();
    if kind == b"ssh-ed25519" {
        // Dropbear stores secret||public; rebuild the public blob.
        let both = Wire {
            data,
            pos: public_end,
        }
        .string()?;
        let public = both.get(32..64)?;
        let mut blob = Vec::with_capacity(51);
        blob.extend_from_slice(&(11u32).to_be_bytes());
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&(32u32).to_be_bytes());
        blob.extend_from_slice(public);
        return ssh_fact(
            &blob,
            "dropbear",
            false,
            format!("dropbear {excerpt_kind} private key"),
        );
    }
    ssh_fact(
        &data[..public_end],
        "dropbear",
        false,
        format!("dropbear {excerpt_kind} private key"),
    )
}

/// An OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). The public key is stored in
/// clear even when the private part is encrypted.
fn openssh(binary: &[u8], excerpt: String) -> Option<KeyFact> {
    let key = ssh_key::PrivateKey::from_bytes(binary).ok()?;
    let blob = key.public_key().to_bytes().ok()?;
    ssh_fact(&blob, "OpenSSH", key.is_encrypted(), excerpt)
}

/// PuTTY's `.ppk` (versions 2 and 3): `Encryption:` and the `Public-Lines:` base64 blob.
fn ppk(data: &[u8]) -> Option<KeyFact> {
    let text = std::str::from_utf8(data.get(..data.len().min(64 * 1024))?).ok()?;
    let mut lines = text.lines();
    let first = lines.next()?.trim().to_string();
    let mut encrypted = false;
    let mut blob = None;
    let mut private = false;
    while let Some(line) = lines.next() {
        if let Some(v) = line.strip_prefix("Encryption:") {
            encrypted = v.trim() != "none";
        } else if let Some(v) = line.strip_prefix("Public-Lines:") {
            let n: usize = v.trim().parse().ok()?;
            let mut b64 = String::new();
            for _ in 0..n.min(1024) {
                b64.push_str(lines.next()?.trim());
            }
            blob = base64::engine::general_purpose::STANDARD.decode(b64).ok();
        } else if line.starts_with("Private-Lines:") {
            private = true;
        }
    }
    if !private {
        return None;
    }
    let first = first.chars().take(80).collect::<String>();
    ssh_fact(&blob?, "PuTTY PPK", encrypted, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_bounded() {
        assert_eq!(der_len(b"\x30\x03abc"), Some(5));
        assert_eq!(der_len(b"\x30\x04abc"), None);
        assert_eq!(der_len(b"\x30\x82\xff\xff"), None);
        assert_eq!(der_len(b"\x30\x83\x00\x00\x01"), None);
        assert_eq!(der_len(b""), None);
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0x00, 0x86, 0x4b]), 16);
        assert_eq!(bit_len(&[0x01]), 1);
        assert_eq!(bit_len(&[]), 0);
    }

    #[test]
    fn pem_markers_alone_are_not_keys() {
        let lib = b"\0-----BEGIN RSA PRIVATE KEY-----\0-----END RSA PRIVATE KEY-----\0";
        assert!(scan(lib, true).is_empty());
        let js = b"var keystart = '-----BEGIN RSA PRIVATE KEY-----';\nvar keyend = '-----END RSA PRIVATE KEY-----';";
        assert!(scan(js, false).is_empty());
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        let mut data = Vec::new();
        for i in 0..2000u32 {
            data.extend_from_slice(b"-----BEGIN PRIVATE KEY-----");
            data.extend_from_slice(&i.to_le_bytes());
            data.extend_from_slice(
                b"\x30\x82\x02\x01\x00\x02\x82\xff\xff\x02\x01\x01\x04\x20\xa0\x03\x02\x01\x02",
            );
        }
        data.extend_from_slice(b"\x00\x00\x00\x07ssh-rsa\xff\xff\xff\xff");
        let _ = scan(&data, true);
        let _ = scan(
            b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x01\x03\xff\xff\xff\xff",
            true,
        );
        let _ = scan(
            b"PuTTY-User-Key-File-2: ssh-rsa\nPublic-Lines: 99999999999\n",
            false,
        );
        let _ = scan(b"\x30\x80\x02\x01\x03\x30", true);
    }
}
