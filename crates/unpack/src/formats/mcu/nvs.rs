//! ESP-IDF Non-Volatile Storage (NVS) partitions, as ESP-IDF's "NVS internals" documentation and
//! `esp-idf-nvs-partition-gen` lay them out: 4 KiB pages, each a 32-byte header (state, sequence
//! number, version `0xFE` for v2 / `0xFF` for v1, CRC-32 over bytes 4..28), a 32-byte bitmap of
//! two bits per entry (`10` written, `11` empty, `00` erased) and 126 entries of 32 bytes:
//! namespace index, type, span, chunk index, CRC-32 (over bytes 0..4 and 8..32), 16-byte key, 8 bytes
//! of data. Strings and blob chunks continue in the `span - 1` entries after their header.
//! Namespace index 0 entries name the namespaces.
//!
//! Extraction writes one text file per namespace, `<namespace>.txt`, with a `key=value` line per
//! key (integers in decimal, strings as stored, blobs as text when printable up to a NUL, else
//! hex), so the checks that read configuration files read NVS too. Newer pages (higher sequence
//! number) win. Encrypted NVS (XTS-AES) decodes to noise and is reported, not guessed.

use std::collections::BTreeMap;

use crate::bytes::{le_u16, le_u32, slice};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind, Magic, Meta};

const PAGE: usize = 4096;
const ENTRIES: usize = 126;
/// At most this many pages are read (16 MiB).
const MAX_PAGES: usize = 4096;
/// Longest value rendered.
const MAX_VALUE: usize = 4096;

const ACTIVE: u32 = 0xFFFF_FFFE;
const FULL: u32 = 0xFFFF_FFFC;
const FREEING: u32 = 0xFFFF_FFF8;
const EMPTY: u32 = 0xFFFF_FFFF;

fn crc(data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(0xFFFF_FFFF);
    h.update(data);
    h.finalize()
}

/// Whether the page at `p` has a valid header; `Some(state)`.
fn page_state(p: &[u8]) -> Option<u32> {
    let state = le_u32(p, 0)?;
    if state == EMPTY {
        return p.iter().all(|&b| b == 0xFF).then_some(EMPTY);
    }
    if !matches!(state, ACTIVE | FULL | FREEING) || !matches!(p[8], 0xFE | 0xFF) {
        return None;
    }
    (le_u32(p, 28)? == crc(&p[4..28])).then_some(state)
}

/// One decoded key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub namespace: String,
    pub key: String,
    pub value: String,
    /// Offset of the entry in the partition.
    pub offset: usize,
}

/// What a decode found.
#[derive(Debug, Default)]
pub struct Decoded {
    pub items: Vec<Item>,
    pub pages: usize,
    pub warnings: Vec<(u64, String)>,
}

fn render_blob(key: &str, b: &[u8]) -> String {
    // `wifi_ssid_t`-style blobs (sta.ssid, ap.ssid): a u32 length, then the bytes.
    if key.ends_with(".ssid") && b.len() >= 4 {
        if let Some(n) = le_u32(b, 0) {
            if let Some(s) = slice(b, 4, n as usize) {
                if s.iter().all(|c| (0x20..0x7f).contains(c)) {
                    return String::from_utf8_lossy(s).into_owned();
                }
            }
        }
    }
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let text = &b[..end];
    if !text.is_empty()
        && text.iter().all(|c| (0x20..0x7f).contains(c))
        && b[end..].iter().all(|&c| c == 0 || c == 0xFF)
    {
        return String::from_utf8_lossy(text).into_owned();
    }
    let mut s = String::from("hex:");
    for c in b.iter().take(MAX_VALUE / 2) {
        s.push_str(&format!("{c:02x}"));
    }
    s
}

/// Decode every written entry of an NVS partition image.
pub fn decode(data: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    // (seq, page index) of the pages in use, oldest first.
    let mut pages: Vec<(u32, usize)> = Vec::new();
    for (i, p) in data.chunks_exact(PAGE).take(MAX_PAGES).enumerate() {
        match page_state(p) {
            Some(EMPTY) => {}
            Some(_) => pages.push((le_u32(p, 4).unwrap_or(0), i)),
            None => out.warnings.push((
                (i * PAGE) as u64,
                "not a valid NVS page header (CRC or state)".into(),
            )),
        }
    }
    pages.sort_unstable();
    out.pages = pages.len();
    let mut namespaces: BTreeMap<u8, String> = BTreeMap::new();
    // (ns, key) → (value, offset); blob chunks by (ns, key) → index → bytes.
    let mut values: BTreeMap<(u8, String), (String, usize)> = BTreeMap::new();
    let mut chunks: BTreeMap<(u8, String), BTreeMap<u8, Vec<u8>>> = BTreeMap::new();
    let mut blob_idx: BTreeMap<(u8, String), usize> = BTreeMap::new();
    for &(_, pi) in &pages {
        let page = &data[pi * PAGE..(pi + 1) * PAGE];
        let bitmap = &page[32..64];
        let mut i = 0;
        while i < ENTRIES {
            let state = (bitmap[i / 4] >> ((i % 4) * 2)) & 3;
            let at = 64 + i * 32;
            let e = &page[at..at + 32];
            if state != 2 {
                i += 1;
                continue;
            }
            let span = usize::from(e[2]).max(1);
            let offset = pi * PAGE + at;
            if le_u32(e, 4) != Some(crc(&[&e[..4], &e[8..]].concat())) {
                out.warnings
                    .push((offset as u64, "NVS entry CRC mismatch: skipped".into()));
                i += 1;
                continue;
            }
            let ns = e[0];
            let ty = e[1];
            let kend = e[8..24].iter().position(|&b| b == 0).unwrap_or(16);
            let key = String::from_utf8_lossy(&e[8..8 + kend]).into_owned();
            let d = &e[24..32];
            let follow = |n: usize| -> &[u8] {
                let start = at + 32;
                let end = (start + n).min(PAGE).min(at + span * 32);
                &page[start.min(end)..end]
            };
            let value = match ty {
                0x01 => Some(d[0].to_string()),
                0x11 => Some((d[0] as i8).to_string()),
                0x02 => Some(u16::from_le_bytes([d[0], d[1]]).to_string()),
                0x12 => Some(i16::from_le_bytes([d[0], d[1]]).to_string()),
                0x04 => le_u32(d, 0).map(|v| v.to_string()),
                0x14 => le_u32(d, 0).map(|v| (v as i32).to_string()),
                0x08 => Some(u64::from_le_bytes(d.try_into().unwrap_or([0; 8])).to_string()),
                0x18 => Some(i64::from_le_bytes(d.try_into().unwrap_or([0; 8])).to_string()),
                0x21 => {
                    let n = usize::from(le_u16(d, 0).unwrap_or(0));
                    let s = follow(n);
                    let s = s.strip_suffix(&[0]).unwrap_or(s);
                    Some(String::from_utf8_lossy(&s[..s.len().min(MAX_VALUE)]).into_owned())
                }
                0x41 => {
                    let n = usize::from(le_u16(d, 0).unwrap_or(0));
                    Some(render_blob(&key, follow(n)))
                }
                0x42 => {
                    let n = usize::from(le_u16(d, 0).unwrap_or(0));
                    let slot = chunks.entry((ns, key.clone())).or_default();
                    if slot.len() < 64 {
                        slot.insert(e[3], follow(n).to_vec());
                    }
                    blob_idx.entry((ns, key.clone())).or_insert(offset);
                    None
                }
                0x48 => {
                    blob_idx.insert((ns, key.clone()), offset);
                    None
                }
                _ => {
                    out.warnings.push((
                        offset as u64,
                        format!("NVS entry of unknown type {ty:#04x} (encrypted NVS?)"),
                    ));
                    None
                }
            };
            if let Some(v) = value {
                if ns == 0 && ty == 0x01 {
                    namespaces.insert(d[0], key);
                } else {
                    values.insert((ns, key), (v, offset));
                }
            }
            i += span;
        }
    }
    for ((ns, key), parts) in chunks {
        let bytes: Vec<u8> = parts.into_values().flatten().take(1 << 20).collect();
        let offset = blob_idx.get(&(ns, key.clone())).copied().unwrap_or(0);
        values.insert((ns, key.clone()), (render_blob(&key, &bytes), offset));
    }
    for ((ns, key), (value, offset)) in values {
        let namespace = namespaces
            .get(&ns)
            .cloned()
            .unwrap_or_else(|| format!("namespace-{ns}"));
        out.items.push(Item {
            namespace,
            key,
            value,
            offset,
        });
    }
    out
}

/// An NVS partition.
pub struct Nvs;

/// A v2 page header: version `0xFE` and 19 reserved `0xFF` bytes.
const MAGIC: [u8; 20] = {
    let mut m = [0xFF; 20];
    m[0] = 0xFE;
    m
};

impl Format for Nvs {
    fn name(&self) -> &'static str {
        "esp-nvs"
    }
    fn kind(&self) -> Kind {
        Kind::Filesystem
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at(8, &MAGIC)];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let first = slice(data, 0, PAGE)?;
        if !matches!(page_state(first), Some(ACTIVE | FULL | FREEING)) {
            return None;
        }
        // The partition runs as long as pages have valid headers.
        let pages = data
            .chunks_exact(PAGE)
            .take(MAX_PAGES)
            .take_while(|p| page_state(p).is_some())
            .count();
        let d = decode(&data[..pages * PAGE]);
        let mut ns: Vec<&str> = d.items.iter().map(|i| i.namespace.as_str()).collect();
        ns.sort_unstable();
        ns.dedup();
        Some(Identified::new(
            Some((pages * PAGE) as u64),
            format!(
                "ESP-IDF NVS, {pages} pages ({} in use), {} keys in {} namespaces: {}",
                d.pages,
                d.items.len(),
                ns.len(),
                ns.join(", ")
            ),
        ))
    }
    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let d = decode(data);
        for (offset, reason) in d.warnings.iter().take(64) {
            out.warn(*offset, reason.clone());
        }
        let mut files: BTreeMap<&str, String> = BTreeMap::new();
        for item in &d.items {
            let f = files.entry(item.namespace.as_str()).or_default();
            f.push_str(&format!(
                "{}={}\n",
                item.key,
                item.value.replace('\n', "\\n")
            ));
        }
        for (ns, text) in files {
            let path = format!("{ns}.txt");
            out.entry(Entry {
                path: path.as_bytes(),
                meta: Meta::default(),
                body: Body::File(text.as_bytes()),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page NVS with namespace "wifi" (index 1) holding ssid and a password string.
    pub(crate) fn partition() -> Vec<u8> {
        let mut p = vec![0xFFu8; PAGE * 2];
        p[0..4].copy_from_slice(&ACTIVE.to_le_bytes());
        p[4..8].copy_from_slice(&0u32.to_le_bytes());
        p[8] = 0xFE;
        let c = crc(&p[4..28]);
        p[28..32].copy_from_slice(&c.to_le_bytes());
        let mut n = 0;
        let mut put = |p: &mut Vec<u8>, e: [u8; 32], extra: &[u8]| {
            let mut e = e;
            let c = crc(&[&e[..4], &e[8..]].concat());
            e[4..8].copy_from_slice(&c.to_le_bytes());
            let at = 64 + n * 32;
            p[at..at + 32].copy_from_slice(&e);
            let mut padded = extra.to_vec();
            padded.resize(extra.len().div_ceil(32) * 32, 0xFF);
            p[at + 32..at + 32 + padded.len()].copy_from_slice(&padded);
            for k in 0..usize::from(e[2]).max(1) {
                let bit = (n + k) * 2;
                p[32 + bit / 8] &= !(1 << (bit % 8));
            }
            n += usize::from(e[2]).max(1);
        };
        let entry = |ns: u8, ty: u8, span: u8, key: &str, data: [u8; 8]| {
            let mut e = [0xFFu8; 32];
            e[0] = ns;
            e[1] = ty;
            e[2] = span;
            e[3] = 0xFF;
            e[8..24].fill(0);
            e[8..8 + key.len()].copy_from_slice(key.as_bytes());
            e[24..32].copy_from_slice(&data);
            e
        };
        put(
            &mut p,
            entry(
                0,
                0x01,
                1,
                "wifi",
                [1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            ),
            &[],
        );
        let s = b"Hunter2pass\0";
        let sz = (s.len() as u16).to_le_bytes();
        let dc = crc(s).to_le_bytes();
        put(
            &mut p,
            entry(
                1,
                0x21,
                2,
                "pass",
                [sz[0], sz[1], 0xFF, 0xFF, dc[0], dc[1], dc[2], dc[3]],
            ),
            s,
        );
        put(
            &mut p,
            entry(1, 0x04, 1, "retries", [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
            &[],
        );
        p
    }

    #[test]
    fn decodes_strings_and_integers_by_namespace() {
        let p = partition();
        let d = decode(&p);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        let got: Vec<(&str, &str, &str)> = d
            .items
            .iter()
            .map(|i| (i.namespace.as_str(), i.key.as_str(), i.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("wifi", "pass", "Hunter2pass"), ("wifi", "retries", "7")]
        );
        let id = Nvs.identify(&p).unwrap();
        assert_eq!(id.size, Some(2 * PAGE as u64));
    }

    #[test]
    fn a_corrupted_entry_is_skipped_with_a_warning() {
        let mut p = partition();
        p[64 + 32 + 10] ^= 1; // the key of "pass"
        let d = decode(&p);
        assert!(d.items.iter().all(|i| i.key != "pass"));
        assert!(!d.warnings.is_empty());
    }

    #[test]
    fn hostile_pages_never_panic() {
        let p = partition();
        for i in (0..p.len()).step_by(7) {
            let mut q = p.clone();
            q[i] ^= 0x5A;
            let _ = decode(&q);
            let _ = Nvs.identify(&q);
        }
    }
}
