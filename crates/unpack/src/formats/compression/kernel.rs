//! Linux kernel images: ARM zImage and x86 bzImage. Both are a small decompressor plus the
//! compressed kernel; these handlers find the compressed kernel and decode it with this family's
//! stream decoders ([`stream::CODECS`]), emitting it as `vmlinux`.
//!
//! - ARM zImage: magic 0x016f2818 at 0x24 in either byte order, image start/end at 0x28/0x2c.
//!   The header does not say where the compressed kernel is, so its body is searched for stream
//!   magics (bounded); some flash layouts store the image 32-bit word-swapped ("BE32"), so a
//!   word-swapped copy is searched when the image itself holds no stream.
//! - x86 bzImage: boot sector flag 0xaa55 at 0x1fe, `HdrS` at 0x202; the setup header gives the
//!   setup size, the protected-mode size (`syssize`), the version string and, from boot protocol
//!   2.08, the compressed payload's offset and length.

use memchr::memmem;

use super::stream::{self, Decoded, CODECS};
use crate::bytes::{le_u16, le_u32, slice, Endian};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

const ZIMAGE_MAGIC: u32 = 0x016f_2818;
const ZIMAGE_HEADER: usize = 0x30;
/// `mov r0, r0`.
const ARM_NOP: u32 = 0xe1a0_0000;
/// Largest zImage accepted.
const MAX_ZIMAGE: u32 = 256 << 20;
/// Candidate stream offsets tried per image: bounds the search on hostile images.
const MAX_CANDIDATES: usize = 256;

/// A compressed kernel found in an image.
struct Found {
    /// Offset of the stream in the searched region.
    at: usize,
    codec: &'static str,
    decoded: Decoded,
}

/// The first offset of `region` where a stream decodes plausibly, trying candidates in order.
fn find_kernel(region: &[u8], limit: u64) -> Option<Found> {
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (index, codec) in CODECS.iter().enumerate() {
        candidates.extend(
            memmem::find_iter(region, codec.magic)
                .take(MAX_CANDIDATES)
                .map(|at| (at, index)),
        );
    }
    candidates.sort_unstable();
    candidates.truncate(MAX_CANDIDATES);
    // Failed candidates may each read far: bound their total to a few passes over the region.
    let mut work = 0usize;
    let max_work = region.len().saturating_mul(4).saturating_add(64 << 20);
    for (at, index) in candidates {
        let Some(codec) = CODECS.get(index) else {
            continue;
        };
        let Some(decoded) = region.get(at..).and_then(|r| (codec.decode)(r, limit)) else {
            continue;
        };
        if decoded.plausible() {
            return Some(Found {
                at,
                codec: codec.name,
                decoded,
            });
        }
        work = work.saturating_add(decoded.size);
        if work > max_work {
            break;
        }
    }
    None
}

/// The first offset of `region` holding any known stream magic, and that codec's name.
fn first_magic(region: &[u8]) -> Option<(usize, &'static str)> {
    CODECS
        .iter()
        .filter_map(|c| memmem::find(region, c.magic).map(|at| (at, c.name)))
        .min()
}

/// Emit a decoded kernel (warnings shifted by `base`, the stream's offset in the image).
fn emit_kernel(out: &dyn Emit, found: Found, base: usize) -> Result<(), Error> {
    if found.decoded.end == stream::End::Limit {
        return Err(Error::Budget(format!(
            "{} kernel expands beyond the remaining budget of {} bytes",
            found.codec,
            out.budget()
        )));
    }
    let base = base as u64;
    for (offset, reason) in found.decoded.all_warnings() {
        out.warn(base + offset, format!("{} kernel: {reason}", found.codec));
    }
    out.entry(Entry {
        path: b"vmlinux",
        meta: Meta::default(),
        body: Body::Payload {
            data: &found.decoded.out,
            survey: found.decoded.survey.as_ref(),
        },
    })
}

/// Emit a stream that could not be decoded, so the engine can still scan it.
fn emit_raw(
    out: &dyn Emit,
    data: &[u8],
    at: usize,
    name: &str,
    reason: String,
) -> Result<(), Error> {
    out.warn(at as u64, reason);
    out.entry(Entry {
        path: name.as_bytes(),
        meta: Meta::default(),
        body: Body::payload(data.get(at..).unwrap_or_default()),
    })
}

/// Search `data[from..]` for the compressed kernel and emit it (or what could not be decoded).
fn extract_by_search(
    data: &[u8],
    from: usize,
    out: &dyn Emit,
    allow_swapped: bool,
) -> Result<(), Error> {
    let region = data.get(from..).unwrap_or_default();
    if let Some(found) = find_kernel(region, out.budget()) {
        let at = from + found.at;
        return emit_kernel(out, found, at);
    }
    if allow_swapped {
        let swapped: Vec<u8> = data
            .chunks(4)
            .flat_map(|w| w.iter().rev().copied())
            .collect();
        if let Some(found) = find_kernel(swapped.get(from..).unwrap_or_default(), out.budget()) {
            let at = from + found.at;
            out.warn(
                at as u64,
                "compressed kernel found in the 32-bit word-swapped image (BE32 layout)".into(),
            );
            return emit_kernel(out, found, at);
        }
    }
    match first_magic(region) {
        Some((at, codec)) => emit_raw(
            out,
            data,
            from + at,
            &format!("vmlinux.{codec}"),
            format!("{codec} kernel stream does not decode; emitted the compressed data"),
        ),
        None => emit_raw(
            out,
            data,
            from,
            "payload",
            "no known compressed kernel found; emitted the image body".into(),
        ),
    }
}

/// ARM zImage handler.
pub struct ZImage;

fn zimage_header(data: &[u8]) -> Option<(Endian, u32, u32)> {
    let endian = [Endian::Little, Endian::Big]
        .into_iter()
        .find(|e| e.u32(data, 0x24) == Some(ZIMAGE_MAGIC))?;
    // The decompressor starts with eight `mov r0, r0` no-ops (the first may be replaced by an EFI
    // "MZ" instruction, the last by a branch); BE8 kernels store them little-endian.
    let nops = (1..8)
        .filter(|i| {
            let w = le_u32(data, i * 4);
            w == Some(ARM_NOP) || w == Some(ARM_NOP.swap_bytes())
        })
        .count();
    if nops < 4 {
        return None;
    }
    let start = endian.u32(data, 0x28)?;
    let end = endian.u32(data, 0x2c)?;
    let len = end.checked_sub(start)?;
    (len >= ZIMAGE_HEADER as u32 && len <= MAX_ZIMAGE).then_some((endian, start, len))
}

impl Format for ZImage {
    fn name(&self) -> &'static str {
        "linux-zimage"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at(0x24, b"\x18\x28\x6f\x01"),
            Magic::at(0x24, b"\x01\x6f\x28\x18"),
        ];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let (endian, start, len) = zimage_header(data)?;
        let len = len as usize;
        let size = len.min(data.len());
        let mut description = format!("Linux ARM zImage, {}, {len} bytes", endian.name());
        if start != 0 {
            description.push_str(&format!(", start {start:#x}"));
        }
        if let Some((at, codec)) = first_magic(data.get(ZIMAGE_HEADER..size)?) {
            description.push_str(&format!(", {codec} magic at {:#x}", at + ZIMAGE_HEADER));
        }
        if len > data.len() {
            description.push_str(&format!(", truncated to {} bytes", data.len()));
        }
        Some(Identified::new(Some(size as u64), description))
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let (_, _, len) =
            zimage_header(data).ok_or_else(|| Error::malformed(0x24, "invalid zImage header"))?;
        if len as usize > data.len() {
            out.warn(
                data.len() as u64,
                format!(
                    "zImage truncated: header says {len} bytes, {} present",
                    data.len()
                ),
            );
        }
        extract_by_search(data, ZIMAGE_HEADER, out, true)
    }
}

/// The parts of an x86 setup header this handler uses.
struct SetupHeader {
    protocol: u16,
    setup_len: usize,
    /// Setup plus protected-mode code, from `syssize`.
    total: usize,
    big: bool,
    version: Option<String>,
    /// Compressed payload (offset in the image, length), boot protocol >= 2.08.
    payload: Option<(usize, usize)>,
}

fn setup_header(data: &[u8]) -> Option<SetupHeader> {
    if le_u16(data, 0x1fe)? != 0xaa55 || slice(data, 0x202, 4)? != b"HdrS" {
        return None;
    }
    let protocol = le_u16(data, 0x206)?;
    if !(0x0200..0x0300).contains(&protocol) {
        return None;
    }
    let sects = match *data.get(0x1f1)? {
        0 => 4,
        n => usize::from(n),
    };
    let setup_len = (sects + 1) * 512;
    let syssize = if protocol >= 0x0204 {
        le_u32(data, 0x1f4)?
    } else {
        u32::from(le_u16(data, 0x1f4)?)
    };
    let sys_len = usize::try_from(syssize).ok()?.checked_mul(16)?;
    if sys_len == 0 {
        return None;
    }
    let total = setup_len.checked_add(sys_len)?;
    let version = match le_u16(data, 0x20e)? {
        0 => None,
        ptr => {
            let at = usize::from(ptr) + 0x200;
            let field = data.get(at..(at + 128).min(setup_len).min(data.len()))?;
            let s = crate::bytes::c_string(field);
            (!s.is_empty()).then_some(s)
        }
    };
    let payload = if protocol >= 0x0208 {
        let offset = usize::try_from(le_u32(data, 0x248)?).ok()?;
        let length = usize::try_from(le_u32(data, 0x24c)?).ok()?;
        let at = setup_len.checked_add(offset)?;
        (length > 0 && at.checked_add(length)? <= total).then_some((at, length))
    } else {
        None
    };
    Some(SetupHeader {
        protocol,
        setup_len,
        total,
        big: data.get(0x211)? & 0x01 != 0,
        version,
        payload,
    })
}

/// x86 bzImage handler.
pub struct BzImage;

impl Format for BzImage {
    fn name(&self) -> &'static str {
        "linux-bzimage"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at(0x202, b"HdrS")];
        M
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let h = setup_header(data)?;
        let mut description = format!(
            "Linux x86 {}, boot protocol {}.{:02}",
            if h.big { "bzImage" } else { "zImage" },
            h.protocol >> 8,
            h.protocol & 0xff
        );
        if let Some(v) = &h.version {
            description.push_str(&format!(", version \"{v}\""));
        }
        if let Some((at, len)) = h.payload {
            let codec = data
                .get(at..)
                .and_then(|p| CODECS.iter().find(|c| p.starts_with(c.magic)))
                .map_or("unknown", |c| c.name);
            description.push_str(&format!(", {codec} payload of {len} bytes at {at:#x}"));
        }
        if h.total > data.len() {
            description.push_str(&format!(", truncated: {} of {} bytes", data.len(), h.total));
        }
        Some(Identified::new(
            Some(h.total.min(data.len()) as u64),
            description,
        ))
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let h = setup_header(data)
            .ok_or_else(|| Error::malformed(0x202, "invalid bzImage setup header"))?;
        if h.total > data.len() {
            out.warn(
                data.len() as u64,
                format!(
                    "bzImage truncated: header says {} bytes, {} present",
                    h.total,
                    data.len()
                ),
            );
        }
        let Some((at, len)) = h.payload else {
            return extract_by_search(data, h.setup_len, out, false);
        };
        let payload = data.get(at..(at + len).min(data.len())).unwrap_or_default();
        for codec in CODECS.iter().filter(|c| payload.starts_with(c.magic)) {
            if let Some(decoded) = (codec.decode)(payload, out.budget()) {
                if decoded.plausible() {
                    let found = Found {
                        at: 0,
                        codec: codec.name,
                        decoded,
                    };
                    return emit_kernel(out, found, at);
                }
            }
        }
        let codec = CODECS.iter().find(|c| payload.starts_with(c.magic));
        let name = codec.map_or("payload".to_string(), |c| format!("vmlinux.{}", c.name));
        out.warn(
            at as u64,
            match codec {
                Some(c) => format!(
                    "{} kernel payload does not decode; emitted the compressed data",
                    c.name
                ),
                None => "kernel payload in an unknown compression; emitted it as is".to_string(),
            },
        );
        out.entry(Entry {
            path: name.as_bytes(),
            meta: Meta::default(),
            body: Body::payload(payload),
        })
    }
}
