//! Verifying a candidate password against a stored hash, for every scheme met in firmware.
//!
//! - Traditional DES, BSDi extended DES, sha256crypt / sha512crypt (with `rounds=`) and bcrypt
//!   (`$2a$`, `$2b$`, `$2x$`, `$2y$`): the `pwhash` crate.
//! - md5crypt (`$1$`): `pwhash`, which handles the empty salt of `$1$$…` seen on real TP-Link
//!   firmware (tested against glibc's output). Apache's `$apr1$` is the same algorithm with another
//!   magic string, which `pwhash` lacks: [`md5crypt`] is written here on the `md-5` crate and
//!   tested on both magics.
//! - yescrypt (`$y$`): RustCrypto's `yescrypt` crate (verifies the crypt(3) MCF strings of
//!   libxcrypt).
//! - Mosquitto password files: `$7$iterations$salt$hash` (PBKDF2-HMAC-SHA512, standard base64) and
//!   `$6$salt$hash` (one salted SHA-512, standard base64 — not sha512crypt): `pbkdf2` + `sha2`.
//! - Apache `{SHA}` (unsalted SHA-1, base64): `sha1`.
//!
//! Every function takes attacker-controlled strings and never panics: a malformed hash verifies
//! nothing.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use iotassay_inventory::HashScheme;
use md5::{Digest, Md5};
use sha2::Sha512;

/// The scheme of a stored password, as far as verification is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Des,
    BsdiDes,
    Md5Crypt,
    Apr1,
    Sha256Crypt,
    Sha512Crypt,
    Bcrypt,
    Yescrypt,
    /// Mosquitto `$7$`: PBKDF2-HMAC-SHA512.
    MosquittoPbkdf2,
    /// Mosquitto `$6$`: SHA-512(password ‖ salt), once.
    MosquittoSha512,
    /// Apache `{SHA}`: unsalted SHA-1.
    ApacheSha1,
    /// A scheme recognised but not verifiable here (gost-yescrypt, scrypt, sha1crypt, Sun md5…).
    Other(HashScheme),
}

impl Scheme {
    /// Recognise a stored hash.
    pub fn of(hash: &str) -> Scheme {
        if hash.starts_with("{SHA}") {
            return Scheme::ApacheSha1;
        }
        if let Some(rest) = hash.strip_prefix("$7$") {
            // Mosquitto's `$7$<iterations>$<b64>$<b64>`; libxcrypt's scrypt `$7$` has no digits-only
            // second field followed by standard base64.
            let mut parts = rest.split('$');
            if parts
                .next()
                .is_some_and(|it| !it.is_empty() && it.bytes().all(|b| b.is_ascii_digit()))
                && parts.next().is_some_and(is_std_base64)
                && parts.next().is_some_and(is_std_base64)
                && parts.next().is_none()
            {
                return Scheme::MosquittoPbkdf2;
            }
        }
        if let Some(rest) = hash.strip_prefix("$6$") {
            // Mosquitto's digest is 64 bytes in padded standard base64 (88 characters, `==`);
            // sha512crypt's is 86 characters of `./0-9A-Za-z`.
            if let Some((salt, digest)) = rest.split_once('$') {
                if digest.len() == 88
                    && digest.ends_with("==")
                    && is_std_base64(salt)
                    && is_std_base64(digest)
                {
                    return Scheme::MosquittoSha512;
                }
            }
        }
        match HashScheme::of(hash) {
            HashScheme::Des => Scheme::Des,
            HashScheme::BsdiDes => Scheme::BsdiDes,
            HashScheme::Md5Crypt => Scheme::Md5Crypt,
            HashScheme::Apr1 => Scheme::Apr1,
            HashScheme::Sha256Crypt => Scheme::Sha256Crypt,
            HashScheme::Sha512Crypt => Scheme::Sha512Crypt,
            HashScheme::Bcrypt => Scheme::Bcrypt,
            HashScheme::Yescrypt => Scheme::Yescrypt,
            other => Scheme::Other(other),
        }
    }

    /// Whether [`verify`] can check candidates against this scheme.
    pub fn verifiable(self) -> bool {
        !matches!(self, Scheme::Other(_))
    }

    /// Whether the scheme is known to be a crypt(3)-like password hash at all (not `Unknown`).
    pub fn recognised(self) -> bool {
        !matches!(self, Scheme::Other(HashScheme::Unknown))
    }

    /// Cheap to compute: every candidate of every list can be tried.
    pub fn fast(self) -> bool {
        matches!(
            self,
            Scheme::Des
                | Scheme::BsdiDes
                | Scheme::Md5Crypt
                | Scheme::Apr1
                | Scheme::MosquittoSha512
                | Scheme::ApacheSha1
        )
    }

    /// Why the scheme is weak for stored passwords, or `None` when it is a current one.
    pub fn weakness(self) -> Option<&'static str> {
        match self {
            Scheme::Des => Some(
                "traditional DES crypt: 12-bit salt, only the first 8 characters count, over a \
                 billion guesses per second on one GPU",
            ),
            Scheme::BsdiDes => Some("BSDi extended DES crypt: DES-based, 24-bit salt, fast"),
            Scheme::Md5Crypt => Some(
                "md5crypt: a fixed 1,000 MD5 iterations, tens of millions of guesses per second \
                 on one GPU",
            ),
            Scheme::Apr1 => Some(
                "Apache apr1 (md5crypt): a fixed 1,000 MD5 iterations, tens of millions of \
                 guesses per second on one GPU",
            ),
            Scheme::MosquittoSha512 => {
                Some("a single salted SHA-512 (Mosquitto `$6$`): no key stretching")
            }
            Scheme::ApacheSha1 => Some("unsalted SHA-1 (`{SHA}`): no salt, no key stretching"),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Des => "DES crypt",
            Scheme::BsdiDes => "BSDi DES crypt",
            Scheme::Md5Crypt => "md5crypt ($1$)",
            Scheme::Apr1 => "apr1 ($apr1$)",
            Scheme::Sha256Crypt => "sha256crypt ($5$)",
            Scheme::Sha512Crypt => "sha512crypt ($6$)",
            Scheme::Bcrypt => "bcrypt ($2*$)",
            Scheme::Yescrypt => "yescrypt ($y$)",
            Scheme::MosquittoPbkdf2 => "Mosquitto PBKDF2-SHA512 ($7$)",
            Scheme::MosquittoSha512 => "Mosquitto salted SHA-512 ($6$)",
            Scheme::ApacheSha1 => "unsalted SHA-1 ({SHA})",
            Scheme::Other(HashScheme::GostYescrypt) => "gost-yescrypt ($gy$)",
            Scheme::Other(HashScheme::Scrypt) => "scrypt ($7$)",
            Scheme::Other(HashScheme::Sha1Crypt) => "sha1crypt ($sha1$)",
            Scheme::Other(HashScheme::SunMd5) => "Sun md5 ($md5$)",
            Scheme::Other(_) => "unrecognised",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn is_std_base64(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Most PBKDF2 iterations accepted from a Mosquitto hash (Mosquitto uses 101; a hostile file must
/// not make one candidate cost minutes).
const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// bcrypt costs above this are not tried (2^cost rounds; cost 16 is ~5 s a candidate).
const MAX_BCRYPT_COST: u32 = 14;
/// sha-crypt rounds above this are not tried.
const MAX_SHA_ROUNDS: u64 = 1_000_000;
/// Longest stored hash handled.
const MAX_HASH_LEN: usize = 512;

/// Whether `password` matches `hash`: `Some(true)` / `Some(false)`, `None` when the scheme is not
/// verifiable here or the hash is malformed or absurdly expensive.
pub fn verify(hash: &str, password: &str) -> Option<bool> {
    if hash.len() > MAX_HASH_LEN {
        return None;
    }
    let scheme = Scheme::of(hash);
    if !affordable(scheme, hash) {
        return None;
    }
    match scheme {
        // pwhash's md5crypt (compiled optimised even in test builds, where ours is 15× slower);
        // ours serves `$apr1$`, which pwhash lacks.
        Scheme::Md5Crypt => {
            let rest = &hash[3..];
            let salt_len = rest.find('$')?;
            if salt_len > 8 {
                return None;
            }
            // Deprecated for making new hashes; here it only verifies existing ones.
            #[allow(deprecated)]
            pwhash::md5_crypt::hash_with(hash, password)
                .ok()
                .map(|h| h == hash)
        }
        Scheme::Apr1 => md5crypt_verify(hash, password, b"$apr1$"),
        Scheme::Des | Scheme::BsdiDes | Scheme::Sha256Crypt | Scheme::Sha512Crypt => {
            // `pwhash::unix::verify` dispatches on the prefix; it returns false on malformed input.
            pwhash::unix::crypt(password, hash).ok().map(|h| h == hash)
        }
        Scheme::Bcrypt => {
            // pwhash knows `$2a$`/`$2b$`/`$2y$`; `$2x$` (the buggy 8-bit variant) equals `$2a$`
            // for ASCII passwords.
            let normalised = hash.replacen("$2x$", "$2a$", 1);
            pwhash::unix::crypt(password, &normalised)
                .ok()
                .map(|h| h == normalised)
        }
        Scheme::Yescrypt => {
            use yescrypt::PasswordVerifier as _;
            let y = yescrypt::Yescrypt::default();
            match y.verify_password(password.as_bytes(), hash) {
                Ok(()) => Some(true),
                Err(yescrypt::password_hash::Error::PasswordInvalid) => Some(false),
                Err(_) => None,
            }
        }
        Scheme::MosquittoPbkdf2 => mosquitto_pbkdf2_verify(hash, password),
        Scheme::MosquittoSha512 => mosquitto_sha512_verify(hash, password),
        Scheme::ApacheSha1 => {
            use sha1::Digest as _;
            let want = STANDARD.decode(hash.get(5..)?).ok()?;
            Some(sha1::Sha1::digest(password.as_bytes()).as_slice() == want.as_slice())
        }
        Scheme::Other(_) => None,
    }
}

/// Whether one verification of `hash` costs a bounded amount of work.
fn affordable(scheme: Scheme, hash: &str) -> bool {
    match scheme {
        Scheme::Sha256Crypt | Scheme::Sha512Crypt => {
            let rest = &hash[3..];
            match rest.strip_prefix("rounds=") {
                Some(r) => r
                    .split('$')
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|n| n <= MAX_SHA_ROUNDS),
                None => true,
            }
        }
        Scheme::Bcrypt => hash
            .get(4..6)
            .and_then(|c| c.parse::<u32>().ok())
            .is_some_and(|c| (4..=MAX_BCRYPT_COST).contains(&c)),
        Scheme::MosquittoPbkdf2 => hash[3..]
            .split('$')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=MAX_PBKDF2_ITERATIONS).contains(&n)),
        Scheme::Yescrypt => {
            // `$y$<params>$…`: the first params character encodes N (2^(c-?)); libxcrypt's defaults
            // are `j9T` / `jDT`. Reject very long parameter strings (large N, p, r).
            hash[3..].split('$').next().is_some_and(|p| p.len() <= 8)
        }
        _ => true,
    }
}

const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Byte order in which md5crypt encodes its digest.
const MD5_ORDER: [u8; 16] = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];
/// The crypt(3) base-64 text of `digest` taken in `order`, three bytes at a time, least
/// significant six bits first; written to `out`, its length returned (22, 43 or 86).
fn encode_digest(digest: &[u8], order: &[u8], out: &mut [u8; 86]) -> usize {
    let mut n = 0;
    for group in order.chunks(3) {
        let mut v = 0u32;
        for (k, &i) in group.iter().enumerate() {
            v |= u32::from(digest[usize::from(i)]) << (8 * k);
        }
        for _ in 0..=group.len() {
            out[n] = CRYPT_ALPHABET[(v & 0x3f) as usize];
            v >>= 6;
            n += 1;
        }
    }
    n
}

/// The raw md5crypt digest of `password` with `salt` (already cut) and `magic`.
fn md5crypt_digest(password: &[u8], salt: &[u8], magic: &[u8]) -> [u8; 16] {
    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt = alt.finalize();

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(magic);
    ctx.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(&alt[..n]);
        left -= n;
    }
    let mut i = password.len();
    while i != 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for r in 0..1000 {
        let mut c = Md5::new();
        if r & 1 == 1 {
            c.update(password);
        } else {
            c.update(fin);
        }
        if r % 3 != 0 {
            c.update(salt);
        }
        if r % 7 != 0 {
            c.update(password);
        }
        if r & 1 == 1 {
            c.update(fin);
        } else {
            c.update(password);
        }
        fin = c.finalize();
    }
    fin.into()
}

/// md5crypt with `magic` (`$1$` or `$apr1$`); `salt` is cut at 8 bytes and at the first `$`.
/// Returns the full crypt string.
pub fn md5crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> String {
    let salt = salt.split(|&b| b == b'$').next().unwrap_or(&[]);
    let salt = &salt[..salt.len().min(8)];
    let digest = md5crypt_digest(password, salt, magic);
    let mut text = [0u8; 86];
    let n = encode_digest(&digest, &MD5_ORDER, &mut text);
    let mut out = String::with_capacity(magic.len() + salt.len() + 1 + n);
    out.push_str(&String::from_utf8_lossy(magic));
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    out.push_str(&String::from_utf8_lossy(&text[..n]));
    out
}

/// The salt (at most 8 bytes) and digest text of an md5crypt-style hash.
fn md5_parts<'h>(hash: &'h str, magic: &[u8]) -> Option<(&'h [u8], &'h [u8])> {
    let rest = hash.as_bytes().get(magic.len()..)?;
    let dollar = rest.iter().position(|&b| b == b'$')?;
    let salt = &rest[..dollar];
    (salt.len() <= 8).then_some((salt, &rest[dollar + 1..]))
}

fn md5crypt_verify(hash: &str, password: &str, magic: &[u8]) -> Option<bool> {
    let (salt, _) = md5_parts(hash, magic)?;
    Some(md5crypt(password.as_bytes(), salt, magic) == hash)
}

/// Longest password the prepared md5crypt path takes (longer ones go through [`verify`]).
const MAX_FAST_PASSWORD: usize = 256;

/// A stored hash checked once, for trying many candidates: md5crypt and apr1 keep their salt and
/// digest text and verify a candidate without allocating; other schemes go through [`verify`].
/// (A prepared sha-crypt path was measured against pwhash's and gained nothing within the noise:
/// a candidate's cost is the scheme's rounds, not the parsing or the allocation.)
pub struct Prepared<'h> {
    hash: &'h str,
    fast: Option<Fast<'h>>,
}

enum Fast<'h> {
    Md5 {
        magic: &'static [u8],
        salt: &'h [u8],
        digest: &'h [u8],
    },
}

impl<'h> Prepared<'h> {
    /// `None` when [`verify`] would verify nothing for this hash (scheme not supported,
    /// malformed, unaffordable).
    pub fn new(hash: &'h str) -> Option<Prepared<'h>> {
        let scheme = Scheme::of(hash);
        if !scheme.verifiable() || verify(hash, "\u{1}probe").is_none() {
            return None;
        }
        let fast = match scheme {
            Scheme::Md5Crypt => Self::md5(hash, b"$1$"),
            Scheme::Apr1 => Self::md5(hash, b"$apr1$"),
            _ => None,
        };
        Some(Prepared { hash, fast })
    }

    fn md5(hash: &'h str, magic: &'static [u8]) -> Option<Fast<'h>> {
        let (salt, digest) = md5_parts(hash, magic)?;
        (digest.len() == 22).then_some(Fast::Md5 {
            magic,
            salt,
            digest,
        })
    }

    /// Whether `password` matches.
    pub fn verify(&self, password: &str) -> bool {
        let pw = password.as_bytes();
        let mut text = [0u8; 86];
        match &self.fast {
            Some(Fast::Md5 {
                magic,
                salt,
                digest,
            }) if pw.len() <= MAX_FAST_PASSWORD => {
                let d = md5crypt_digest(pw, salt, magic);
                let n = encode_digest(&d, &MD5_ORDER, &mut text);
                &text[..n] == *digest
            }
            _ => verify(self.hash, password) == Some(true),
        }
    }
}

/// The cost parameter of a hash, for people (`5,000 rounds`, `cost 10`), when it has one.
pub fn cost(hash: &str) -> Option<String> {
    match Scheme::of(hash) {
        Scheme::Sha256Crypt | Scheme::Sha512Crypt => Some(format!("{} rounds", sha_rounds(hash)?)),
        Scheme::Bcrypt => Some(format!("cost {}", hash.get(4..6)?)),
        Scheme::Yescrypt => Some(format!("parameters {}", hash.get(3..)?.split('$').next()?)),
        Scheme::MosquittoPbkdf2 => {
            Some(format!("{} iterations", hash.get(3..)?.split('$').next()?))
        }
        Scheme::BsdiDes => Some(format!("{} rounds", bsdi_rounds(hash)?)),
        _ => None,
    }
}

fn sha_rounds(hash: &str) -> Option<u64> {
    match hash.get(3..)?.strip_prefix("rounds=") {
        Some(r) => r.split('$').next()?.parse().ok(),
        None => Some(5000),
    }
}

/// BSDi's 24-bit iteration count, encoded after `_` in four base-64 characters, least first.
fn bsdi_rounds(hash: &str) -> Option<u32> {
    let mut n = 0u32;
    for (k, c) in hash.as_bytes().get(1..5)?.iter().enumerate() {
        let v = CRYPT_ALPHABET.iter().position(|a| a == c)? as u32;
        n |= v << (6 * k);
    }
    Some(n)
}

/// Relative work of verifying one candidate (about one unit per hash-function block), for
/// trying cheap hashes first; unaffordable or unverifiable hashes sort last.
pub fn work(hash: &str) -> u64 {
    match Scheme::of(hash) {
        Scheme::ApacheSha1 | Scheme::MosquittoSha512 => 1,
        Scheme::Des => 25,
        Scheme::BsdiDes => u64::from(bsdi_rounds(hash).unwrap_or(u32::MAX)),
        Scheme::Md5Crypt | Scheme::Apr1 => 1_000,
        Scheme::Sha256Crypt => sha_rounds(hash).unwrap_or(u64::MAX / 4).saturating_mul(2),
        Scheme::Sha512Crypt => sha_rounds(hash).unwrap_or(u64::MAX / 4).saturating_mul(3),
        Scheme::MosquittoPbkdf2 => hash
            .get(3..)
            .and_then(|h| h.split('$').next())
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(u64::MAX, |n| n.saturating_mul(4)),
        Scheme::Bcrypt => hash
            .get(4..6)
            .and_then(|c| c.parse::<u32>().ok())
            .and_then(|c| 1u64.checked_shl(c.min(62)))
            .map_or(u64::MAX, |r| r.saturating_mul(200)),
        Scheme::Yescrypt => 10_000_000,
        Scheme::Other(_) => u64::MAX,
    }
}

fn mosquitto_pbkdf2_verify(hash: &str, password: &str) -> Option<bool> {
    let mut parts = hash.get(3..)?.split('$');
    let iterations: u32 = parts.next()?.parse().ok()?;
    let salt = STANDARD.decode(parts.next()?).ok()?;
    let want = STANDARD.decode(parts.next()?).ok()?;
    if want.is_empty() || want.len() > 128 || !(1..=MAX_PBKDF2_ITERATIONS).contains(&iterations) {
        return None;
    }
    let mut got = vec![0u8; want.len()];
    pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), &salt, iterations, &mut got);
    Some(got == want)
}

fn mosquitto_sha512_verify(hash: &str, password: &str) -> Option<bool> {
    let (salt, digest) = hash.get(3..)?.split_once('$')?;
    let salt = STANDARD.decode(salt).ok()?;
    let want = STANDARD.decode(digest).ok()?;
    let mut h = Sha512::new();
    h.update(password.as_bytes());
    h.update(&salt);
    Some(h.finalize().as_slice() == want.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (hash, password), made with glibc/libxcrypt `crypt(3)` (Python's `crypt`), `openssl
    /// passwd`, Apache `htpasswd` and `mosquitto_passwd` 2.0.11.
    const VECTORS: &[(&str, &str, Scheme)] = &[
        ("abOV.DfJmdnYw", "admin", Scheme::Des),
        ("IhCswJy3kCYXI", "admin", Scheme::Des),
        ("_J9..saltk7/dRyUYM92", "admin", Scheme::BsdiDes),
        ("$1$saltsalt$Y3BMhxQHmg7scgLILa56u1", "admin", Scheme::Md5Crypt),
        ("$1$$iC.dUsGpxNNJGeOm1dFio/", "1234", Scheme::Md5Crypt),
        ("$apr1$abcdefgh$mMZnMi5KMcUTRCidnJ3Px0", "admin", Scheme::Apr1),
        ("$apr1$6sKT0a2u$25bcQEWNWdITROiBDkB0I1", "admin", Scheme::Apr1),
        (
            "$5$saltsalt$ajilCybiF3oQBEfeTHO1rkbsmz9HcJplt.gHWXkRfD4",
            "admin",
            Scheme::Sha256Crypt,
        ),
        (
            "$5$rounds=1000$saltsalt$AaBLO5ExCC3GHuSZJSRQSXJabwtG27DZBw.fGyB1q/9",
            "admin",
            Scheme::Sha256Crypt,
        ),
        (
            "$6$saltsalt$ZxoUf1bJzACFdk9GZkBGmxXd3Rq8nUoGjgon4GVoI91SlW41Ew2djlh60PmWr4flwags.7ULrKVSSmnCEsIOj1",
            "admin",
            Scheme::Sha512Crypt,
        ),
        (
            "$6$rounds=1000$saltsalt$/P1WCVaM8pp5FZxHmOOtBsT19vxcDX6OE.6omlO4UZ4mvzeRfa4ngRUxwi93yFLd7rxb1uJiaTyCGVDLIRsce0",
            "admin",
            Scheme::Sha512Crypt,
        ),
        (
            "$2b$04$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "admin",
            Scheme::Bcrypt,
        ),
        (
            "$2a$04$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "admin",
            Scheme::Bcrypt,
        ),
        (
            "$2y$04$r7nlh5Xpn5sX3Wwa/bfo6.mPCax36m9eHiMfZJo40hwgOUI30qzVu",
            "admin",
            Scheme::Bcrypt,
        ),
        (
            "$y$j9T$abcdefgh$y7YixSZSrQy8hU6ORzd2u2Wa2NMN3ZDzpKLLnB2kgT9",
            "admin",
            Scheme::Yescrypt,
        ),
        (
            "$7$101$GC2l/LU3ZeMOzg3r$zg7NN2jJYwrsM2fPhVDshXzJLgZS0hIXdD7puPH+T2IJ9t13qXHHZ+YjPc6qR0MeuAaXwlzCU9laOiRURsz6Lw==",
            "1234",
            Scheme::MosquittoPbkdf2,
        ),
        (
            "$6$eQbiwmgUUUBwOtYq$eSwCQgML+qTRzE8OR5h8fxyPCsT+Rn3x1a08pxmYc13kYd+r3uLYMRngxmCnlYmsvzt4NDuR2wNbBEK7/JPfGw==",
            "1234",
            Scheme::MosquittoSha512,
        ),
        ("{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=", "admin", Scheme::ApacheSha1),
    ];

    #[test]
    fn every_scheme_verifies_its_vector_and_rejects_a_wrong_password() {
        for &(hash, password, scheme) in VECTORS {
            assert_eq!(Scheme::of(hash), scheme, "{hash}");
            assert_eq!(verify(hash, password), Some(true), "{hash} = {password}");
            assert_eq!(verify(hash, "wrong"), Some(false), "{hash} != wrong");
            assert_eq!(verify(hash, ""), Some(false), "{hash} != empty");
        }
    }

    #[test]
    fn prepared_hashes_agree_with_verify() {
        // Made with glibc crypt(3) (Perl's `crypt`): passwords past one block, both sha widths,
        // explicit rounds.
        let long = "x".repeat(40);
        let more: &[(&str, &str)] = &[
            ("$1$h4$B2DF7MRSkMnIjlKKmfkIM.", &long),
            (
                "$6$h4salt$65fGSz0d61njvnKta3KU3U5aYRN69xrb5WN9wp1.U2k6FA3OCuc7IzJWNZygpFb17rJKZOUW49L3cGdoi6D.u1",
                &long,
            ),
            (
                "$5$rounds=1000$h4salt$FzSlxCZ4SHY7b/Mj7buxgrJK7ai3W.FdPWJ.KnmBOO1",
                "eleanor",
            ),
            (
                "$6$h4salt$kZ.dCqBCORgbseVmMbOJkZznuSL7UDNlwh7g.OuYn.seVbiYN6ODHoC3igxpX5xs10giIB/1C.EIJ/iJiFyWX.",
                "eleanor",
            ),
        ];
        let vectors = VECTORS
            .iter()
            .map(|&(h, p, _)| (h, p))
            .chain(more.iter().copied());
        for (hash, password) in vectors {
            let p = Prepared::new(hash).unwrap_or_else(|| panic!("{hash}"));
            assert!(p.verify(password), "{hash} = {password}");
            assert_eq!(verify(hash, password), Some(true), "{hash}");
            for wrong in ["wrong", "", "eleanor1", &long[1..]] {
                assert!(!p.verify(wrong), "{hash} != {wrong}");
                assert_eq!(verify(hash, wrong), Some(false), "{hash} != {wrong}");
            }
        }
        assert!(Prepared::new("$gy$j9T$salt$hash").is_none());
        assert!(Prepared::new("$6$rounds=99999999999$s$x").is_none());
        // A digest of the wrong length is not taken by the fast path and matches nothing.
        let p = Prepared::new("$1$saltsalt$Y3BMhxQHmg7scgLILa56u").unwrap();
        assert!(!p.verify("admin"));
    }

    #[test]
    fn costs_and_work() {
        assert_eq!(
            cost("$6$rounds=1000$saltsalt$x").as_deref(),
            Some("1000 rounds")
        );
        assert_eq!(cost("$6$saltsalt$x").as_deref(), Some("5000 rounds"));
        assert_eq!(
            cost("$2b$10$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju").as_deref(),
            Some("cost 10")
        );
        assert_eq!(cost("_J9..saltk7/dRyUYM92").as_deref(), Some("725 rounds"));
        assert_eq!(cost("abOV.DfJmdnYw"), None);
        let order = [
            "{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=",
            "abOV.DfJmdnYw",
            "$1$saltsalt$Y3BMhxQHmg7scgLILa56u1",
            "$6$rounds=1000$saltsalt$x",
            "$6$saltsalt$x",
            "$2b$10$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "$gy$j9T$salt$hash",
        ];
        for w in order.windows(2) {
            assert!(work(w[0]) < work(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn md5crypt_empty_salt_known_vector() {
        assert_eq!(md5crypt(b"1234", b"", b"$1$"), "$1$$iC.dUsGpxNNJGeOm1dFio/");
        // pwhash (used for `$1$`) agrees on the empty salt.
        assert!(pwhash::md5_crypt::verify(
            "1234",
            "$1$$iC.dUsGpxNNJGeOm1dFio/"
        ));
        // Salt is cut at 8 characters and at `$`.
        assert_eq!(
            md5crypt(b"admin", b"saltsaltEXTRA", b"$1$"),
            "$1$saltsalt$Y3BMhxQHmg7scgLILa56u1"
        );
        // Passwords longer than 16 bytes take the multi-block path.
        let long = md5crypt(b"a-password-longer-than-sixteen", b"ab", b"$1$");
        assert_eq!(verify(&long, "a-password-longer-than-sixteen"), Some(true));
    }

    #[test]
    fn malformed_and_unaffordable_hashes_verify_nothing() {
        for hash in [
            "",
            "$1$",
            "$1$toolongsalt$x",
            "$apr1$",
            "$5$rounds=999999999$salt$x",
            "$6$rounds=abc$salt$x",
            "$2b$31$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "$2b$04$short",
            "$2b$xx$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
            "$7$999999999$GC2l/LU3ZeMOzg3r$zg7N",
            "$y$$$",
            "$gy$j9T$salt$hash",
            "$sha1$x",
            "{SHA}not base64!",
            "plaintext",
            "é$1$ü",
        ] {
            assert_ne!(verify(hash, "admin"), Some(true), "{hash}");
            assert_ne!(verify(hash, ""), Some(true), "{hash}");
        }
        assert_eq!(verify("$gy$j9T$salt$hash", "x"), None);
        assert!(!Scheme::of("$gy$j9T$salt$hash").verifiable());
        assert_eq!(verify(&"$1$".repeat(400), "x"), None);
    }

    #[test]
    fn weak_schemes() {
        for s in [
            Scheme::Des,
            Scheme::BsdiDes,
            Scheme::Md5Crypt,
            Scheme::Apr1,
            Scheme::ApacheSha1,
            Scheme::MosquittoSha512,
        ] {
            assert!(s.weakness().is_some(), "{s}");
            assert!(s.fast(), "{s}");
        }
        for s in [
            Scheme::Sha256Crypt,
            Scheme::Sha512Crypt,
            Scheme::Bcrypt,
            Scheme::Yescrypt,
            Scheme::MosquittoPbkdf2,
        ] {
            assert!(s.weakness().is_none(), "{s}");
            assert!(!s.fast(), "{s}");
        }
    }
}
