//! Alpha Networks firmware (D-Link and other OEM access points): a shell script (`#!/bin/sh`, with
//! `VENDOR=`, `HWBOARD=`, `HWVERSION=` lines) that the device runs to flash the image, optionally a
//! `=== ddPack Boundary ===` line followed by a uuencode-style `begin-base64` block (a helper
//! program) closed by a `====` line, then a `=== Firmware Boundary ===` line and the firmware to
//! the end of the file. Firmware that starts with `REDSONIC` bit-inverted is stored inverted.
//! Layout: FACT's `alphanetworks.py`; base64 via the `base64` crate.
//!
//! The script is plain text up to the boundary line, which is what identifies the image. The scan
//! is bounded (1 MiB) and stops at the next `#!/bin/sh` line, so scanning costs linear time even on
//! text made of shebangs; a script that embeds a second shebang line is therefore not recognised.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

use super::payload;

/// Alpha Networks script + firmware image.
pub struct AlphaNetworks;

const SHEBANG: &[u8] = b"#!/bin/sh\n";
const FIRMWARE_BOUNDARY: &[u8] = b"\n=== Firmware Boundary ===\n";
const DDPACK_BOUNDARY: &[u8] = b"\n=== ddPack Boundary ===\n";
const BASE64_END: &[u8] = b"\n====\n";
/// The script is looked for in this many bytes at most.
const MAX_SCRIPT: usize = 1 << 20;
/// `REDSONIC`, bit-inverted: how inverted firmware starts.
const REDSONIC_INVERTED: [u8; 8] = [0xad, 0xba, 0xbb, 0xac, 0xb0, 0xb1, 0xb6, 0xbc];

struct Layout {
    /// End of the script (start of the first boundary line's newline).
    script_end: usize,
    /// The base64 text of the ddPack block, when there is one.
    ddpack: Option<std::ops::Range<usize>>,
    firmware_at: usize,
}

fn is_text(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e)
}

fn parse(data: &[u8]) -> Option<Layout> {
    if !data.starts_with(SHEBANG) {
        return None;
    }
    // The script ends before the next shebang: each candidate then reads only up to the next one,
    // so a blob of repeated shebangs costs linear time, not one full window per candidate.
    let mut limit = data.len().min(MAX_SCRIPT);
    if let Some(next) = memchr::memmem::find(&data[1..limit], SHEBANG) {
        limit = next + 1;
    }
    let text_end = data[..limit]
        .iter()
        .position(|&b| !is_text(b))
        .unwrap_or(limit);
    let text = &data[..text_end];
    let firmware = memchr::memmem::find(text, FIRMWARE_BOUNDARY)?;
    let firmware_at = firmware + FIRMWARE_BOUNDARY.len();
    let (script_end, ddpack) = match memchr::memmem::find(&text[..firmware], DDPACK_BOUNDARY) {
        Some(dd) => {
            let block = &text[dd + DDPACK_BOUNDARY.len()..firmware + 1];
            let begin = block.strip_prefix(b"begin-base64")?;
            let first_line = memchr::memchr(b'\n', begin)? + 1;
            let start = dd + DDPACK_BOUNDARY.len() + b"begin-base64".len() + first_line;
            let end = start + memchr::memmem::find(&data[start..=firmware], BASE64_END)?;
            (dd, Some(start..end))
        }
        None => (firmware, None),
    };
    Some(Layout {
        script_end,
        ddpack,
        firmware_at,
    })
}

/// `KEY="value"` from the script, for the description.
fn variable<'a>(script: &'a [u8], key: &str) -> Option<&'a [u8]> {
    script.split(|&b| b == b'\n').find_map(|line| {
        let value = line.strip_prefix(key.as_bytes())?.strip_prefix(b"=")?;
        Some(
            value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value),
        )
    })
}

fn decode_base64(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(compact)
}

impl Format for AlphaNetworks {
    fn name(&self) -> &'static str {
        "alphanetworks"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(SHEBANG)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let l = parse(data)?;
        let script = &data[..l.script_end];
        let mut fields: Vec<String> = ["VENDOR", "HWBOARD", "HWVERSION"]
            .iter()
            .filter_map(|k| {
                variable(script, k).map(|v| {
                    format!(
                        "{} \"{}\"",
                        k.to_lowercase(),
                        String::from_utf8_lossy(v).escape_default()
                    )
                })
            })
            .collect();
        fields.push(format!("script {} bytes", l.script_end));
        if l.ddpack.is_some() {
            fields.push("ddPack helper".into());
        }
        let firmware = &data[l.firmware_at..];
        fields.push(format!("firmware {} bytes", firmware.len()));
        if firmware.starts_with(&REDSONIC_INVERTED) {
            fields.push("bit-inverted".into());
        }
        Some(Identified::new(
            None,
            format!("Alpha Networks firmware, {}", fields.join(", ")),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let l = parse(data)
            .ok_or_else(|| Error::malformed(0, "Alpha Networks layout no longer validates"))?;
        let file = |path: &[u8], body: &[u8]| {
            out.entry(Entry {
                path,
                meta: Meta::default(),
                body: Body::File(body),
            })
        };
        file(b"script.sh", &data[..l.script_end])?;
        if let Some(range) = l.ddpack {
            match decode_base64(&data[range.clone()]) {
                Ok(helper) => file(b"ddPack", &helper)?,
                Err(e) => out.warn(range.start as u64, format!("ddPack base64 block: {e}")),
            }
        }
        let firmware = &data[l.firmware_at..];
        if firmware.starts_with(&REDSONIC_INVERTED) {
            let plain: Vec<u8> = firmware.iter().map(|b| !b).collect();
            payload(out, "firmware", &plain)
        } else {
            payload(out, "firmware", firmware)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fact_sample_with_ddpack() {
        let data = corpus_bytes("formats/alphanetworks__test_sample");
        let id = AlphaNetworks.identify(&data).expect("identifies");
        assert_eq!(
            id.description,
            "Alpha Networks firmware, vendor \"foo\", hwboard \"bar\", hwversion \"1.0.0\", script 55 bytes, \
             ddPack helper, firmware 16 bytes"
        );
        let (c, r) = Collector::run(&AlphaNetworks, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["script.sh", "ddPack", "firmware"]);
        assert!(c.file("ddPack").unwrap().starts_with(b"foobar"));
        assert_eq!(c.file("firmware").unwrap(), b"firmware_foobar\n");
        assert!(c
            .file("script.sh")
            .unwrap()
            .ends_with(b"HWVERSION=\"1.0.0\"\n"));
    }

    #[test]
    fn fact_sample_inverted() {
        let data = corpus_bytes("formats/alphanetworks__test_sample_inverted");
        let id = AlphaNetworks.identify(&data).expect("identifies");
        assert!(
            id.description.ends_with("bit-inverted"),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&AlphaNetworks, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.paths(), ["script.sh", "firmware"]);
        let fw = c.file("firmware").unwrap();
        assert!(
            fw.starts_with(b"REDSONIC") && fw.ends_with(b"fw_foobar"),
            "{fw:?}"
        );
    }

    #[test]
    fn plain_scripts_are_not_claimed() {
        assert!(AlphaNetworks.identify(b"#!/bin/sh\necho hello\n").is_none());
        // The boundary must be a line of its own.
        assert!(AlphaNetworks
            .identify(b"#!/bin/sh\nsed '1,/=== Firmware Boundary ===/d'\n\x7fELF")
            .is_none());
        // Binary before the boundary ends the script.
        assert!(AlphaNetworks
            .identify(b"#!/bin/sh\n\x00\n=== Firmware Boundary ===\nfw")
            .is_none());
    }

    #[test]
    fn repeated_shebangs_are_scanned_in_linear_time() {
        // Every line a candidate: each identify reads only to the next one.
        let blob = SHEBANG.repeat(100_000);
        let (hits, _) = crate::engine::scan(&blob);
        assert!(hits.is_empty());
        // A boundary after a second shebang does not count for the first.
        let mut two = SHEBANG.to_vec();
        two.extend_from_slice(b"echo\n");
        two.extend_from_slice(&corpus_bytes("formats/alphanetworks__test_sample"));
        let (hits, _) = crate::engine::scan(&two);
        let found: Vec<_> = hits.iter().map(|h| (h.offset, h.format)).collect();
        assert_eq!(found, [(15, "alphanetworks")]);
    }

    #[test]
    fn hostile_inputs() {
        hostile(
            &AlphaNetworks,
            &corpus_bytes("formats/alphanetworks__test_sample"),
        );
        hostile(
            &AlphaNetworks,
            &corpus_bytes("formats/alphanetworks__test_sample_inverted"),
        );
        let mut junk = noise(4096, 19);
        junk[..SHEBANG.len()].copy_from_slice(SHEBANG);
        assert!(AlphaNetworks.identify(&junk).is_none());
        // A ddPack block that never ends is not this layout.
        let data = corpus_bytes("formats/alphanetworks__test_sample");
        let cut = memchr::memmem::find(&data, b"\n====\n").unwrap();
        let mut broken = data[..cut].to_vec();
        broken.extend_from_slice(&data[cut + 6..]);
        assert!(AlphaNetworks.identify(&broken).is_none());
    }
}
