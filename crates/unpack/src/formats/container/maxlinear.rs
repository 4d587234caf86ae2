//! MaxLinear (formerly Intel, Puma 7/8 cable gateways) "unified image": a `VER2`/`VER3` big-endian
//! header naming the image, then tables of part sizes and part types; the parts follow the header
//! back to back. Parsed by hand (fixed layout, no public specification or crate; the layout follows
//! what FACT's extractor and the image files themselves show).

use crate::bytes::{be_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::{payloads, text_field};

/// MaxLinear/Intel Puma unified image.
pub struct MaxLinear;

struct Layout {
    /// Header length; the parts start here.
    header_len: usize,
    sizes_at: usize,
    types_at: usize,
    slots: usize,
}

struct Parsed {
    version: u8,
    name: String,
    /// (type, start, length) of each non-empty part.
    parts: Vec<(u8, usize, usize)>,
    total: usize,
}

fn parse(data: &[u8]) -> Option<Parsed> {
    let (version, layout) = match data.get(..4)? {
        b"VER2" => (
            2,
            Layout {
                header_len: 0xa0,
                sizes_at: 0x5c,
                types_at: 0x84,
                slots: 10,
            },
        ),
        b"VER3" => (
            3,
            Layout {
                header_len: 0xfc,
                sizes_at: 0x84,
                types_at: 0xd4,
                slots: 20,
            },
        ),
        _ => return None,
    };
    let name = text_field(slice(data, 4, 20)?)?;
    if name.len() < 4 {
        return None;
    }
    let types = slice(data, layout.types_at, layout.slots)?;
    let mut parts = Vec::new();
    let mut at = layout.header_len;
    for (i, &kind) in types.iter().enumerate() {
        let size = usize::try_from(be_u32(data, layout.sizes_at + 4 * i)?).ok()?;
        if size == 0 {
            continue;
        }
        parts.push((kind, at, size));
        at = at.checked_add(size)?;
    }
    if parts.is_empty() || at > data.len() {
        return None;
    }
    Some(Parsed {
        version,
        name: String::from_utf8_lossy(name).into_owned(),
        parts,
        total: at,
    })
}

fn part_name(kind: u8) -> Option<&'static str> {
    match kind {
        2 => Some("atomkernel"),
        3 => Some("atomrootfs"),
        8 => Some("armkernel"),
        9 => Some("armrootfs"),
        10 => Some("gwrootfs"),
        _ => None,
    }
}

impl Format for MaxLinear {
    fn name(&self) -> &'static str {
        "maxlinear"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(b"VER2"), Magic::at_start(b"VER3")];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let p = parse(data)?;
        let parts: Vec<String> = p
            .parts
            .iter()
            .map(|&(kind, _, len)| format!("{} {len} bytes", part_name(kind).unwrap_or("unknown")))
            .collect();
        Some(Identified::new(
            Some(p.total as u64),
            format!(
                "MaxLinear/Intel Puma unified image v{}, \"{}\", {} parts: {}",
                p.version,
                p.name.escape_default(),
                p.parts.len(),
                parts.join(", ")
            ),
        ))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let p = parse(data)
            .ok_or_else(|| Error::malformed(0, "MaxLinear header no longer validates"))?;
        let mut parts: Vec<(String, &[u8])> = Vec::with_capacity(p.parts.len());
        for (i, &(kind, start, len)) in p.parts.iter().enumerate() {
            let name = match part_name(kind) {
                Some(n) if !parts.iter().any(|(u, _)| u == n) => n.to_string(),
                _ => format!("part-{i}"),
            };
            // parse() checked every part lies inside `data`.
            let bytes = slice(data, start, len)
                .ok_or_else(|| Error::malformed(start as u64, "part outside data"))?;
            parts.push((name, bytes));
        }
        payloads(out, &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    #[test]
    fn fact_uimage_v2() {
        let data = corpus_bytes("formats/maxlinear__maxlinear-uimage-v2.bin");
        let id = MaxLinear.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        assert_eq!(
            id.description,
            "MaxLinear/Intel Puma unified image v2, \"Intel_Unified_Image\", 4 parts: atomkernel 128 bytes, \
             atomrootfs 128 bytes, armkernel 128 bytes, armrootfs 128 bytes"
        );
        let (c, r) = Collector::run(&MaxLinear, &data, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(
            c.sorted_paths(),
            ["armkernel", "armrootfs", "atomkernel", "atomrootfs"]
        );
        assert_eq!(c.file("armrootfs").unwrap()[..], data[0xa0 + 3 * 0x80..]);
    }

    #[test]
    fn hostile_inputs() {
        let data = corpus_bytes("formats/maxlinear__maxlinear-uimage-v2.bin");
        hostile(&MaxLinear, &data);
        // Truncated: the parts no longer fit, so it is not identified.
        assert!(MaxLinear.identify(&data[..data.len() - 1]).is_none());
        let mut junk = noise(4096, 9);
        junk[..4].copy_from_slice(b"VER3");
        assert!(MaxLinear.identify(&junk).is_none());
        let mut huge = data.clone();
        huge[0x5c..0x60].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(MaxLinear.identify(&huge).is_none());
    }
}
