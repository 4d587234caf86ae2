//! D-Link's encrypted firmware containers, all decrypted with keys D-Link leaked or published:
//!
//! - **SHRS** (DAP/DIR/COVR): a 0x6dc-byte big-endian header — magic, plaintext length, ciphertext
//!   length, AES-128-CBC IV, SHA-512 of plaintext‖key, of plaintext and of ciphertext, two RSA
//!   signatures — then the ciphertext. The key is the one D-Link's `imgdecrypt` derives (published
//!   by FACT's `DecryptorLink.py` and unblob's `dlink/shrs.py`). Identification is structural
//!   (lengths a CBC encryption yields); extraction checks the ciphertext digest, then the two
//!   plaintext digests prove the key.
//! - **`encrpted_img`** (DIR-X, Eagle Pro): the 12-byte magic, a big-endian length, then the image
//!   encrypted with AES-256-CBC under a fixed key and IV (unblob's `dlink/encrpted_img.py`), every
//!   128 KiB flash erase block on its own, as EMBA's decryption script does. Nothing in it can check
//!   the key, so the plaintext is reported for what it looks like (a UBI image, or not).
//! - **MH01** (newer DIR/DAP): `MH01`, the offset and length of a second part, an endianness marker
//!   (`2b 1a` little-endian); the first part runs from the header to the second (layout: FACT's
//!   `dlink_mh01.py`, binwalk v3's `mh01.rs`). The encrypted form nests an MH01 whose parts are the
//!   IV (hex text) and an `openssl enc -aes-128-cbc -md sha256` file (`Salted__`), signed by the
//!   outer part 2. The passphrase is one of the keys D-Link released under the GPL (listed by FACT);
//!   an MH01 magic in the first plaintext block tells the right one, the PKCS#7 padding confirms it.
//!   The plaintext is a plain MH01 (firmware, then its signature), emitted as a payload so the
//!   engine carves it. Any MH01 with a `Salted__` part is treated as encrypted, never as plain.
//!
//! When the published key does not open a container, it is still identified with its sizes and
//! extraction says "encrypted, vendor key needed"; ciphertext is never emitted as content.
//! Headers are parsed by hand (fixed layouts, no crate exists).

use sha2::{Digest, Sha512};

use crate::bytes::{be_u32, slice, Endian};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::cipher::{
    aes128_cbc_decrypt_pkcs7, aes_cbc_decrypt, aes_cbc_decrypt_in_place, openssl_sha256_key128,
    AES_BLOCK,
};
use super::payload;

/// The extraction error of a container no published key opens.
fn vendor_key_needed(what: &str) -> Error {
    Error::Unsupported(format!("{what}: encrypted, vendor key needed"))
}

// ---------------------------------------------------------------------------------------------
// SHRS

/// D-Link SHRS (AES-128-CBC, SHA-512 digests).
pub struct Shrs;

const SHRS_HEADER_LEN: usize = 0x6dc;
/// The key D-Link's `imgdecrypt` derives by decrypting a constant with a constant key.
const SHRS_KEY: [u8; 16] = [
    0xc0, 0x5f, 0xbf, 0x19, 0x36, 0xc9, 0x94, 0x29, 0xce, 0x2a, 0x07, 0x81, 0xf0, 0x8d, 0x6a, 0xd8,
];

struct ShrsHeader<'a> {
    plain_len: usize,
    iv: [u8; 16],
    digest_plain_key: &'a [u8],
    digest_plain: &'a [u8],
    digest_cipher: &'a [u8],
    ciphertext: &'a [u8],
}

/// The header, checked structurally: the ciphertext whole AES blocks, at most one block of
/// padding more than the plaintext, and present. The digests cost a pass over the whole image, so
/// they are checked once, at extraction, not for every `SHRS` a scan meets.
fn parse_shrs(data: &[u8]) -> Option<ShrsHeader<'_>> {
    if data.get(..4)? != b"SHRS" {
        return None;
    }
    let plain_len = usize::try_from(be_u32(data, 4)?).ok()?;
    let enc_len = usize::try_from(be_u32(data, 8)?).ok()?;
    if plain_len == 0
        || !enc_len.is_multiple_of(AES_BLOCK)
        || plain_len > enc_len
        || enc_len - plain_len > AES_BLOCK
    {
        return None;
    }
    Some(ShrsHeader {
        plain_len,
        iv: slice(data, 12, 16)?.try_into().ok()?,
        digest_plain_key: slice(data, 0x1c, 64)?,
        digest_plain: slice(data, 0x5c, 64)?,
        digest_cipher: slice(data, 0x9c, 64)?,
        ciphertext: slice(data, SHRS_HEADER_LEN, enc_len)?,
    })
}

/// The plaintext, when the published key opens the container (both plaintext digests match).
fn shrs_decrypt(h: &ShrsHeader<'_>) -> Option<Vec<u8>> {
    let mut plain = aes_cbc_decrypt(&SHRS_KEY, &h.iv, h.ciphertext)?;
    plain.truncate(h.plain_len);
    let ok = Sha512::digest(&plain)[..] == *h.digest_plain
        && Sha512::new()
            .chain_update(&plain)
            .chain_update(SHRS_KEY)
            .finalize()[..]
            == *h.digest_plain_key;
    ok.then_some(plain)
}

impl Format for Shrs {
    fn name(&self) -> &'static str {
        "dlink-shrs"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"SHRS")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = parse_shrs(data)?;
        Some(Identified::new(
            Some((SHRS_HEADER_LEN + h.ciphertext.len()) as u64),
            format!(
                "D-Link SHRS, AES-128-CBC, {} bytes encrypted, {} bytes plain (SHA-512 digests and the \
                 published key are checked at extraction)",
                h.ciphertext.len(),
                h.plain_len
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h = parse_shrs(data)
            .ok_or_else(|| Error::malformed(0, "SHRS header no longer validates"))?;
        // The ciphertext digest tells an SHRS image from four stray bytes.
        if Sha512::digest(h.ciphertext)[..] != *h.digest_cipher {
            return Err(Error::malformed(
                0x9c,
                "ciphertext SHA-512 does not match the header's: not an SHRS image, or damaged",
            ));
        }
        let plain = shrs_decrypt(&h).ok_or_else(|| {
            vendor_key_needed("D-Link SHRS (the plaintext digests do not match the published key)")
        })?;
        payload(out, "decrypted", &plain)
    }
}

// ---------------------------------------------------------------------------------------------
// encrpted_img

/// D-Link `encrpted_img` (AES-256-CBC per 128 KiB erase block).
pub struct EncryptedImg;

const ENCIMG_MAGIC: &[u8] = b"encrpted_img";
const ENCIMG_HEADER_LEN: usize = 16;
const ENCIMG_KEY: &[u8; 32] = b"he9-4+M!)d6=m~we1,q2a3d1n&2*Z^%8";
const ENCIMG_IV: &[u8; 16] = b"J%1iQl8$=lm-;8AE";
/// Each erase block is encrypted on its own, restarting the CBC chain with the IV.
const ENCIMG_BLOCK: usize = 0x20000;

fn encimg_len(data: &[u8]) -> Option<usize> {
    if data.get(..ENCIMG_MAGIC.len())? != ENCIMG_MAGIC {
        return None;
    }
    let len = usize::try_from(be_u32(data, 12)?).ok()?;
    (len > 0 && len.is_multiple_of(AES_BLOCK) && slice(data, ENCIMG_HEADER_LEN, len).is_some())
        .then_some(len)
}

fn encimg_decrypt(ciphertext: &[u8]) -> Option<Vec<u8>> {
    let mut plain = ciphertext.to_vec();
    for block in plain.chunks_mut(ENCIMG_BLOCK) {
        aes_cbc_decrypt_in_place(ENCIMG_KEY, ENCIMG_IV, block)?;
    }
    Some(plain)
}

impl Format for EncryptedImg {
    fn name(&self) -> &'static str {
        "dlink-encrpted-img"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(ENCIMG_MAGIC)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let len = encimg_len(data)?;
        // One block tells what the key yields; extraction decrypts the rest.
        let head = aes_cbc_decrypt(
            ENCIMG_KEY,
            ENCIMG_IV,
            slice(data, ENCIMG_HEADER_LEN, AES_BLOCK)?,
        )?;
        let looks = if head.starts_with(b"UBI#") {
            "decrypts to a UBI image"
        } else {
            "no integrity check: the plaintext does not start like a UBI image"
        };
        Some(Identified::new(
            Some((ENCIMG_HEADER_LEN + len) as u64),
            format!(
                "D-Link encrpted_img, AES-256-CBC with the published key, {len} bytes, {looks}"
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let len = encimg_len(data)
            .ok_or_else(|| Error::malformed(0, "encrpted_img header no longer validates"))?;
        if (len as u64) > out.budget() {
            return Err(Error::Budget(format!(
                "encrpted_img of {len} bytes exceeds the remaining budget"
            )));
        }
        let plain = encimg_decrypt(&data[ENCIMG_HEADER_LEN..ENCIMG_HEADER_LEN + len])
            .ok_or_else(|| Error::malformed(ENCIMG_HEADER_LEN as u64, "AES decryption failed"))?;
        payload(out, "decrypted", &plain)
    }
}

// ---------------------------------------------------------------------------------------------
// MH01

/// D-Link MH01 (plain: firmware + signature; encrypted: nested MH01 with an OpenSSL-salted file).
pub struct Mh01;

const MH01_HEADER_LEN: usize = 16;

/// The passphrases D-Link released under the GPL, as FACT lists them (decimal) — used as the
/// 32-digit lowercase hex of each number.
const MH01_KEYS: [u128; 34] = [
    5707923367771304411745671248750824483,
    10894768012899131130521331528209746922,
    15288470472677139256755126505334224030,
    15684094658947152035377838769275126418,
    23335966381541562228843555154678213320,
    35758204719490132865802828225969932626,
    55796085441578870022055305014635464587,
    84685534971924495230307491298195576783,
    90689169725694446679934847122252508772,
    102843231306613166263088836093462280018,
    104150607981510203795488864067011889082,
    114757631173473038012387062720537970978,
    122827319385106288319261870763442386535,
    139748439958689321791739304844787857700,
    142445184766562174893386805873110982494,
    144584013712249949868423821316106489165,
    148910172501895975018656107080000705398,
    171163140727944594178400326348027629941,
    197309500221805730578821584982689310215,
    199166782498148755978511943517036940823,
    213332639786412688663978928290181517222,
    219279812981330897991123144996530024828,
    234873100902644763633564688918487935311,
    239326175726430359828602855454127173216,
    239684162915704711762592424676538179735,
    263148888178757173487260489009313288379,
    263186577619268302297875910062482816281,
    294812653955972892952199434070462443755,
    297229843036572496660253963048857992878,
    300193495476040623797083950726943683614,
    305304365912192958248475831895023682267,
    321768078914319598156789820506269093873,
    321924067544580491371387083761753396737,
    332370943350405508160278293449199176550,
];

/// An MH01 header: its two parts, as ranges of the data it starts.
struct Mh01Parts {
    endian: Endian,
    first: std::ops::Range<usize>,
    second: std::ops::Range<usize>,
}

fn parse_mh01(data: &[u8]) -> Option<Mh01Parts> {
    if data.get(..4)? != b"MH01" {
        return None;
    }
    let endian = match data.get(12..14)? {
        [0x2b, 0x1a] => Endian::Little,
        [0x1a, 0x2b] => Endian::Big,
        _ => return None,
    };
    let second_at = MH01_HEADER_LEN.checked_add(usize::try_from(endian.u32(data, 4)?).ok()?)?;
    let second_len = usize::try_from(endian.u32(data, 8)?).ok()?;
    let end = second_at.checked_add(second_len)?;
    (second_at > MH01_HEADER_LEN && end <= data.len()).then_some(Mh01Parts {
        endian,
        first: MH01_HEADER_LEN..second_at,
        second: second_at..end,
    })
}

/// An encryption layer: an MH01 whose parts are the hex IV and a `Salted__` file.
struct Mh01Encrypted<'a> {
    iv: [u8; 16],
    salt: [u8; 8],
    ciphertext: &'a [u8],
}

/// How an MH01 holds its firmware.
enum Shape<'a> {
    /// Firmware then signature.
    Plain,
    /// An encryption layer: the first part of a signed image (`signed`), or this container itself.
    Encrypted {
        signed: bool,
        layer: Option<Mh01Encrypted<'a>>,
    },
}

fn is_salted(data: &[u8], parts: &Mh01Parts) -> bool {
    data.get(parts.second.clone())
        .is_some_and(|p| p.starts_with(b"Salted__"))
}

fn shape<'a>(data: &'a [u8], outer: &Mh01Parts) -> Shape<'a> {
    if is_salted(data, outer) {
        return Shape::Encrypted {
            signed: false,
            layer: parse_layer(data),
        };
    }
    let inner = &data[outer.first.clone()];
    match parse_mh01(inner) {
        Some(parts) if is_salted(inner, &parts) => Shape::Encrypted {
            signed: true,
            layer: parse_layer(inner),
        },
        _ => Shape::Plain,
    }
}

/// The IV, salt and ciphertext of an encryption layer; `None` when its framing is not understood.
fn parse_layer(layer: &[u8]) -> Option<Mh01Encrypted<'_>> {
    let parts = parse_mh01(layer)?;
    let iv_text = layer.get(parts.first.clone())?;
    let iv_hex = iv_text.strip_suffix(b"\n").unwrap_or(iv_text);
    let iv: [u8; 16] = hex::decode(iv_hex).ok()?.try_into().ok()?;
    let rest = layer.get(parts.second.clone())?.strip_prefix(b"Salted__")?;
    let salt: [u8; 8] = rest.get(..8)?.try_into().ok()?;
    let ciphertext = &rest[8..];
    (!ciphertext.is_empty() && ciphertext.len().is_multiple_of(AES_BLOCK)).then_some(
        Mh01Encrypted {
            iv,
            salt,
            ciphertext,
        },
    )
}

fn mh01_passphrase(key: u128) -> String {
    format!("{key:032x}")
}

/// The index of the published key whose first plaintext block starts an MH01 container.
fn find_key(e: &Mh01Encrypted<'_>) -> Option<usize> {
    let first = e.ciphertext.get(..AES_BLOCK)?;
    MH01_KEYS.iter().position(|&k| {
        let key = openssl_sha256_key128(mh01_passphrase(k).as_bytes(), &e.salt);
        aes_cbc_decrypt(&key, &e.iv, first).is_some_and(|p| p.starts_with(b"MH01"))
    })
}

impl Format for Mh01 {
    fn name(&self) -> &'static str {
        "dlink-mh01"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"MH01")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let outer = parse_mh01(data)?;
        let (first, second) = (outer.first.len(), outer.second.len());
        let endian = outer.endian.name();
        let description = match shape(data, &outer) {
            Shape::Plain => {
                format!("D-Link MH01, {endian}, firmware {first} bytes, signature {second} bytes")
            }
            Shape::Encrypted { signed, layer } => {
                let signature = if signed {
                    format!(", signature {second} bytes")
                } else {
                    String::new()
                };
                let what = match &layer {
                    Some(e) => {
                        let key = match find_key(e) {
                            Some(i) => {
                                format!("opens with published key {} of {}", i + 1, MH01_KEYS.len())
                            }
                            None => "none of the published keys opens it".into(),
                        };
                        format!("{} bytes encrypted{signature}, {key}", e.ciphertext.len())
                    }
                    None => format!("IV or ciphertext framing not understood{signature}"),
                };
                format!("D-Link MH01, {endian}, encrypted (OpenSSL salted AES-128-CBC), {what}")
            }
        };
        Some(Identified::new(Some(outer.second.end as u64), description))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let outer = parse_mh01(data)
            .ok_or_else(|| Error::malformed(0, "MH01 header no longer validates"))?;
        let signature = |out: &dyn Emit| {
            out.entry(Entry {
                path: b"signature",
                meta: Meta::default(),
                body: Body::File(&data[outer.second.clone()]),
            })
        };
        let (signed, layer) = match shape(data, &outer) {
            Shape::Plain => {
                signature(out)?;
                return payload(out, "firmware", &data[outer.first.clone()]);
            }
            Shape::Encrypted { signed, layer } => (signed, layer),
        };
        if signed {
            signature(out)?;
        }
        let e = layer.ok_or_else(|| {
            Error::Unsupported(
                "D-Link MH01: encrypted, but its IV or ciphertext framing is not understood".into(),
            )
        })?;
        let index = find_key(&e).ok_or_else(|| vendor_key_needed("D-Link MH01"))?;
        let key = openssl_sha256_key128(mh01_passphrase(MH01_KEYS[index]).as_bytes(), &e.salt);
        let plain = aes128_cbc_decrypt_pkcs7(&key, &e.iv, e.ciphertext).ok_or_else(|| {
            Error::malformed(
                outer.first.start as u64,
                "decryption with the matching key gave bad PKCS#7 padding",
            )
        })?;
        payload(out, "decrypted", &plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::{CollectedKind, Collector};
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn shrs_fixture_decrypts_with_verified_digests() {
        let data = corpus_bytes("formats/dlink__test.dec");
        let id = Shrs.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert!(
            id.description
                .starts_with("D-Link SHRS, AES-128-CBC, 32 bytes encrypted, 32 bytes plain"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Shrs, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["decrypted"]);
        assert_eq!(
            c.file("decrypted").unwrap(),
            b"This is a decrypted test file!\n\n"
        );
    }

    #[test]
    fn shrs_with_another_key_or_damage_emits_nothing() {
        let mut data = corpus_bytes("formats/dlink__test.dec");
        // A different plaintext digest stands for a key we do not have.
        data[0x5c] ^= 1;
        let (c, r) = Collector::run(&Shrs, &data, 1 << 20).expect("still an SHRS header");
        let err = r.unwrap_err().to_string();
        assert!(err.contains("encrypted, vendor key needed"), "{err}");
        assert!(c.paths().is_empty());
        // A damaged ciphertext fails the ciphertext digest.
        let mut bad = corpus_bytes("formats/dlink__test.dec");
        bad[SHRS_HEADER_LEN] ^= 1;
        let (c, r) = Collector::run(&Shrs, &bad, 1 << 20).unwrap();
        assert!(
            matches!(r, Err(Error::Malformed { offset: 0x9c, .. })),
            "{r:?}"
        );
        assert!(c.paths().is_empty());
        // Lengths that no AES-CBC encryption produces are not SHRS.
        let mut lens = corpus_bytes("formats/dlink__test.dec");
        lens[4..8].copy_from_slice(&8u32.to_be_bytes());
        assert!(Shrs.identify(&lens).is_none());
    }

    #[test]
    fn encrpted_img_fixture_decrypts() {
        let data = corpus_bytes("formats/dlink__testfile.encrpted_img");
        let id = EncryptedImg.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(48));
        assert!(id.description.contains("32 bytes"), "{}", id.description);
        let (c, r) = Collector::run(&EncryptedImg, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(
            c.file("decrypted").unwrap(),
            b"foobar 123 test 321 foobar test!"
        );
    }

    #[test]
    fn encrpted_img_restarts_the_chain_every_erase_block() {
        // Two erase blocks encrypted on their own: each starts with the UBI magic once decrypted.
        use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
        let mut plain = vec![0u8; 2 * ENCIMG_BLOCK];
        for peb in plain.chunks_mut(ENCIMG_BLOCK) {
            peb[..4].copy_from_slice(b"UBI#");
        }
        let mut img = ENCIMG_MAGIC.to_vec();
        img.extend_from_slice(&(plain.len() as u32).to_be_bytes());
        for peb in plain.chunks(ENCIMG_BLOCK) {
            let mut buf = peb.to_vec();
            cbc::Encryptor::<aes::Aes256>::new(ENCIMG_KEY.into(), ENCIMG_IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, peb.len())
                .unwrap();
            img.extend_from_slice(&buf);
        }
        let id = EncryptedImg.identify(&img).unwrap();
        assert!(id.description.contains("UBI image"), "{}", id.description);
        let (c, r) = Collector::run(&EncryptedImg, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("decrypted").unwrap(), plain);
    }

    #[test]
    fn mh01_fixture_opens_with_a_published_key() {
        let data = corpus_bytes("formats/dlink__fw_mh01_test.bin");
        let id = Mh01.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert!(
            id.description.contains("MH01, LE, encrypted")
                && id.description.contains("signature 256 bytes")
                && id.description.contains("opens with published key 15 of 34"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Mh01, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["signature", "decrypted"]);
        assert_eq!(c.file("signature").unwrap()[..], data[0x181..]);
        // The plaintext is itself a plain MH01: firmware then its signature.
        let plain = c.file("decrypted").unwrap();
        let inner = Mh01.identify(&plain).expect("plain MH01");
        assert!(
            inner
                .description
                .contains("firmware 17 bytes, signature 256 bytes"),
            "{}",
            inner.description
        );
        let (c, r) = Collector::run(&Mh01, &plain, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("firmware").unwrap(), b"foobar 1234 test\n");
        let entries = c.into_entries();
        assert!(matches!(entries[0].kind, CollectedKind::File(_)));
        assert!(matches!(entries[1].kind, CollectedKind::Payload(_)));
    }

    #[test]
    fn mh01_bare_encryption_layer_decrypts_and_never_leaks_ciphertext() {
        let data = corpus_bytes("formats/dlink__fw_mh01_test.bin");
        // The layer inside the signed image, on its own (e.g. the outer header was cut off).
        let layer = &data[0x10..0x181];
        let id = Mh01.identify(layer).expect("identifies");
        assert!(
            id.description
                .contains("304 bytes encrypted, opens with published key"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Mh01, layer, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["decrypted"]);
        // An IV that is not hex: still encrypted, nothing emitted.
        let mut bad = layer.to_vec();
        bad[0x10] = b'z';
        let id = Mh01.identify(&bad).unwrap();
        assert!(
            id.description.contains("framing not understood"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Mh01, &bad, 1 << 20).unwrap();
        assert!(r.unwrap_err().to_string().contains("not understood"));
        assert!(c.paths().is_empty());
    }

    #[test]
    fn mh01_no_published_key_is_reported_not_emitted() {
        let mut data = corpus_bytes("formats/dlink__fw_mh01_test.bin");
        // Another salt: no published passphrase opens it any more.
        data[0x49] ^= 0x55;
        let id = Mh01.identify(&data).expect("still MH01");
        assert!(
            id.description.contains("none of the published keys"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Mh01, &data, 1 << 20).unwrap();
        assert!(r.unwrap_err().to_string().contains("vendor key needed"));
        // Only the signature came out, never the ciphertext.
        assert_eq!(c.paths(), ["signature"]);
    }

    #[test]
    fn hostile_inputs() {
        for (f, file) in [
            (&Shrs as &dyn Format, "formats/dlink__test.dec"),
            (&EncryptedImg, "formats/dlink__testfile.encrpted_img"),
            (&Mh01, "formats/dlink__fw_mh01_test.bin"),
        ] {
            let data = corpus_bytes(file);
            hostile(f, &data);
            // Truncated by one byte: the declared parts no longer fit.
            assert!(f.identify(&data[..data.len() - 1]).is_none(), "{file}");
        }
        for magic in [&b"SHRS"[..], b"encrpted_img", b"MH01"] {
            let mut junk = noise(8192, 3);
            junk[..magic.len()].copy_from_slice(magic);
            for f in [&Shrs as &dyn Format, &EncryptedImg, &Mh01] {
                assert!(f.identify(&junk).is_none());
            }
        }
        // Sizes past the end or overflowing are rejected.
        let mut huge = corpus_bytes("formats/dlink__fw_mh01_test.bin");
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Mh01.identify(&huge).is_none());
        let mut huge = corpus_bytes("formats/dlink__testfile.encrpted_img");
        huge[12..16].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        assert!(EncryptedImg.identify(&huge).is_none());
    }
}
