//! Buffalo encrypted firmware (`buffalo-enc`): the magic `start` or `asar1` (6 bytes with its NUL),
//! a seed byte, then big-endian length-prefixed product name, version and data, each scrambled with
//! Buffalo's RC4 variant ("bcrypt", see [`super::cipher::buffalo_bcrypt`]) keyed with a seed and the
//! published default key `Buffalo`, and a big-endian checksum of the plain data. Identification
//! reads the header and the (short) names; the data is decrypted and its checksum checked once, at
//! extraction. Layout, key and
//! checksum: OpenWrt's `firmware-utils` (`buffalo-lib.c`, `buffalo-enc.c`), which FACT's Buffalo
//! plugin runs. Each field's seed is the first scrambled byte of the one before it; "longstate"
//! images size the RC4 state to each field instead of 256 bytes — both modes are tried, and the
//! checksum tells which one (if either) is right.
//!
//! Parsed by hand: a few length-prefixed fields, no crate exists.

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::cipher::buffalo_bcrypt;
use super::payload;

/// Buffalo `buffalo-enc` image.
pub struct Buffalo;

const MAGIC_LEN: usize = 6;
const PRODUCT_MAX: usize = 32;
const VERSION_MAX: usize = 8;
/// `buffalo-enc`'s default key; images made with another `-k` need that key.
const DEFAULT_KEY: &[u8] = b"Buffalo";
const RC4_STATE: usize = 256;

struct Fields<'a> {
    magic: &'a str,
    seed: u8,
    product: &'a [u8],
    version: &'a [u8],
    data: &'a [u8],
    data_at: usize,
    checksum: u32,
    end: usize,
}

fn parse(data: &[u8]) -> Option<Fields<'_>> {
    let magic = match data.get(..MAGIC_LEN)? {
        b"start\0" => "start",
        b"asar1\0" => "asar1",
        _ => return None,
    };
    let seed = *data.get(MAGIC_LEN)?;
    let mut at = MAGIC_LEN + 1;
    let mut field = |max: usize| -> Option<&[u8]> {
        let len = usize::try_from(be_u32(data, at)?).ok()?;
        if len == 0 || len > max {
            return None;
        }
        let f = slice(data, at + 4, len)?;
        at += 4 + len;
        Some(f)
    };
    let product = field(PRODUCT_MAX)?;
    let version = field(VERSION_MAX)?;
    let data_len = usize::try_from(be_u32(data, at)?).ok()?;
    let data_at = at + 4;
    let body = slice(data, data_at, data_len)?;
    let checksum = be_u32(data, data_at + data_len)?;
    Some(Fields {
        magic,
        seed,
        product,
        version,
        data: body,
        data_at,
        checksum,
        end: data_at + data_len + 4,
    })
}

/// `buffalo_csum`: a reflected CRC-32 step per byte, seeded with the length, over bytes taken as
/// *signed* chars (sign-extended before the XOR, as the C reference does).
fn checksum(seed: u32, data: &[u8]) -> u32 {
    data.iter().fold(seed, |mut csum, &b| {
        csum ^= b as i8 as i32 as u32;
        for _ in 0..8 {
            csum = (csum >> 1) ^ if csum & 1 != 0 { 0xedb8_8320 } else { 0 };
        }
        csum
    })
}

/// The product name and version with the published key: normal mode first, then longstate; the
/// one whose product name reads as a NUL-terminated printable string.
fn names(f: &Fields<'_>) -> Option<(String, String, bool)> {
    [false, true].into_iter().find_map(|longstate| {
        let state = |len: usize| if longstate { len } else { RC4_STATE };
        let product = buffalo_bcrypt(f.seed, DEFAULT_KEY, f.product, state(f.product.len()));
        let (text, nul) = product.split_at(product.len() - 1);
        if nul != [0] || !super::printable(text) {
            return None;
        }
        let version = buffalo_bcrypt(f.product[0], DEFAULT_KEY, f.version, state(f.version.len()));
        Some((
            String::from_utf8_lossy(text).into_owned(),
            crate::bytes::c_string(&version),
            longstate,
        ))
    })
}

/// Decrypt with the default key in normal, then longstate mode; `None` when neither checksum
/// matches.
fn decrypt(f: &Fields<'_>) -> Option<Vec<u8>> {
    [false, true].into_iter().find_map(|longstate| {
        let state = |len: usize| if longstate { len } else { RC4_STATE };
        let data = buffalo_bcrypt(f.version[0], DEFAULT_KEY, f.data, state(f.data.len()));
        (checksum(f.data.len() as u32, &data) == f.checksum).then_some(data)
    })
}

impl Format for Buffalo {
    fn name(&self) -> &'static str {
        "buffalo"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"start\0"), Magic::at_start(b"asar1\0")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let f = parse(data)?;
        // The names are a few bytes: decrypting them is cheap, and what they read as tells the
        // mode. The data and its checksum are left to extraction (one pass over the image).
        let names = names(&f);
        let what = match &names {
            Some((product, version, longstate)) => format!(
                "product \"{}\", version \"{}\" ({} mode), ",
                product.escape_default(),
                version.escape_default(),
                if *longstate { "longstate" } else { "normal" }
            ),
            None => "names unreadable with the published key, ".into(),
        };
        Some(Identified::new(
            Some(f.end as u64),
            format!(
                "Buffalo encrypted firmware ({}), {what}{} bytes (checksum checked at extraction)",
                f.magic,
                f.data.len()
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let f =
            parse(data).ok_or_else(|| Error::malformed(0, "Buffalo header no longer validates"))?;
        let d = decrypt(&f).ok_or_else(|| {
            Error::Unsupported(format!(
                "Buffalo firmware at {:#x}: encrypted, vendor key needed (the published key's checksum does not match)",
                f.data_at
            ))
        })?;
        payload(out, "decrypted", &d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    /// The `start` header of the fixture sits after a 20-byte `bgn` prefix.
    const AT: usize = 0x14;

    /// `buffalo-enc` in normal or longstate mode.
    fn encrypt(product: &str, version: &str, plain: &[u8], seed: u8, longstate: bool) -> Vec<u8> {
        let state = |len: usize| if longstate { len } else { RC4_STATE };
        let mut out = b"start\0".to_vec();
        out.push(seed);
        let p = [product.as_bytes(), b"\0"].concat();
        let ep = buffalo_bcrypt(seed, DEFAULT_KEY, &p, state(p.len()));
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
        out.extend_from_slice(&ep);
        let v = [version.as_bytes(), b"\0"].concat();
        let ev = buffalo_bcrypt(ep[0], DEFAULT_KEY, &v, state(v.len()));
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(&ev);
        out.extend_from_slice(&(plain.len() as u32).to_be_bytes());
        out.extend_from_slice(&buffalo_bcrypt(
            ev[0],
            DEFAULT_KEY,
            plain,
            state(plain.len()),
        ));
        out.extend_from_slice(&checksum(plain.len() as u32, plain).to_be_bytes());
        out
    }

    #[test]
    fn fact_fixture_decrypts() {
        let data = corpus_bytes("formats/buffalo__buffalo.bin");
        let id = Buffalo.identify(&data[AT..]).expect("identifies");
        assert_eq!(id.size, Some(0x4e - AT as u64));
        assert_eq!(
            id.description,
            "Buffalo encrypted firmware (start), product \"test-product\", version \"0.1.0\" (normal \
             mode), 16 bytes (checksum checked at extraction)"
        );
        let (c, r) = Collector::run(&Buffalo, &data[AT..], 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("decrypted").unwrap(), b"foobar 123 test\n");
    }

    #[test]
    fn longstate_and_high_bytes_round_trip() {
        // Bytes above 0x7f exercise the signed-char checksum.
        let plain: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let img = encrypt("WZR-HP-G300NH", "1.99", &plain, 0x5a, true);
        let id = Buffalo.identify(&img).unwrap();
        assert!(
            id.description.contains("longstate mode"),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("\"WZR-HP-G300NH\""),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Buffalo, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("decrypted").unwrap(), plain);
    }

    #[test]
    fn another_key_is_reported_not_emitted() {
        let mut img = encrypt("x", "1", b"some firmware", 1, false);
        // A checksum no mode reproduces stands for a key other than the published one.
        let n = img.len();
        img[n - 1] ^= 1;
        let (c, r) = Collector::run(&Buffalo, &img, 1 << 20).unwrap();
        assert!(r
            .unwrap_err()
            .to_string()
            .contains("encrypted, vendor key needed"));
        assert!(c.paths().is_empty());
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/buffalo__buffalo.bin");
        hostile(&Buffalo, &data[AT..]);
        assert!(Buffalo.identify(&data[AT..0x4d]).is_none(), "truncated");
        let mut junk = noise(4096, 5);
        junk[..6].copy_from_slice(b"start\0");
        assert!(Buffalo.identify(&junk).is_none());
        let mut long = data[AT..].to_vec();
        long[7..11].copy_from_slice(&33u32.to_be_bytes());
        assert!(Buffalo.identify(&long).is_none(), "product name too long");
    }
}
