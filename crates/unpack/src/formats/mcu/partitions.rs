//! The ESP32 partition table (ESP-IDF `gen_esp32part.py`): 32-byte entries — magic `0xAA50`
//! (bytes `AA 50`), type, subtype, offset, size, 16-byte label, flags — ended by an MD5 entry
//! (`EB EB` + 14 × `FF`, then the MD5 of the entries before it) and `FF` fill; at most 95 entries
//! in its 0xC00 bytes. It sits at flash offset 0x8000 by default.
//!
//! A flash dump is carved at the table: its region runs to the end of the last partition the
//! dump holds and every partition is emitted as a payload named by offset, label and subtype, so
//! the engine carves the apps, NVS, LittleFS inside them. Partition offsets are flash offsets;
//! the table's own flash offset is taken to be 0x8000, or 0x1000 before the first partition when
//! a partition starts below 0x9000 (a moved table). A partition past the end of the dump is
//! reported absent; one cut short is emitted as far as the dump goes, with a warning.

use md5::{Digest, Md5};

use crate::bytes::{le_u32, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::super::container::payloads;

const ENTRY: usize = 32;
const MAX_ENTRIES: usize = 95;
const DEFAULT_OFFSET: u64 = 0x8000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub kind: u8,
    pub subtype: u8,
    pub offset: u32,
    pub size: u32,
    pub label: String,
    pub encrypted: bool,
}

impl Partition {
    /// `app/factory`, `data/nvs`…
    pub fn type_name(&self) -> String {
        let sub = match (self.kind, self.subtype) {
            (0, 0x00) => "factory".to_string(),
            (0, s @ 0x10..=0x1F) => format!("ota_{}", s - 0x10),
            (0, 0x20) => "test".to_string(),
            (1, 0x00) => "ota".to_string(),
            (1, 0x01) => "phy".to_string(),
            (1, 0x02) => "nvs".to_string(),
            (1, 0x03) => "coredump".to_string(),
            (1, 0x04) => "nvs_keys".to_string(),
            (1, 0x05) => "efuse".to_string(),
            (1, 0x06) => "undefined".to_string(),
            (1, 0x80) => "esphttpd".to_string(),
            (1, 0x81) => "fat".to_string(),
            (1, 0x82) => "spiffs".to_string(),
            (1, 0x83) => "littlefs".to_string(),
            (_, s) => format!("{s:#04x}"),
        };
        let kind = match self.kind {
            0 => "app".to_string(),
            1 => "data".to_string(),
            2 => "bootloader".to_string(),
            3 => "partition_table".to_string(),
            k => format!("{k:#04x}"),
        };
        format!("{kind}/{sub}")
    }
}

/// A parsed table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub partitions: Vec<Partition>,
    /// `Some(ok)` when the table has an MD5 entry.
    pub md5: Option<bool>,
    /// Bytes the entries (and the MD5 entry) take.
    pub len: usize,
}

/// Parse the table at `data[0]`.
pub fn parse(data: &[u8]) -> Option<Table> {
    let mut partitions = Vec::new();
    let mut md5 = None;
    let mut at = 0;
    while partitions.len() < MAX_ENTRIES {
        let Some(e) = slice(data, at, ENTRY) else {
            break;
        };
        if e[0] == 0xAA && e[1] == 0x50 {
            let label_raw = &e[12..28];
            let end = label_raw.iter().position(|&b| b == 0).unwrap_or(16);
            let label = &label_raw[..end];
            if label.is_empty() || !label.iter().all(|b| b.is_ascii_graphic()) {
                return None;
            }
            let p = Partition {
                kind: e[2],
                subtype: e[3],
                offset: le_u32(e, 4)?,
                size: le_u32(e, 8)?,
                label: String::from_utf8_lossy(label).into_owned(),
                encrypted: le_u32(e, 28)? & 1 != 0,
            };
            if p.size == 0
                || !p.offset.is_multiple_of(0x1000)
                || p.offset.checked_add(p.size).is_none()
            {
                return None;
            }
            partitions.push(p);
            at += ENTRY;
        } else if e[..2] == [0xEB, 0xEB] && e[2..16].iter().all(|&b| b == 0xFF) {
            md5 = Some(Md5::digest(&data[..at]).as_slice() == &e[16..32]);
            at += ENTRY;
            break;
        } else {
            break;
        }
    }
    // Random bytes with `AA 50` in them must not pass as a table that then claims the rest of
    // the data: a matching MD5 entry, or two entries or more followed by erased (FF) flash.
    let erased_after = slice(data, at, ENTRY).is_some_and(|e| e.iter().all(|&b| b == 0xFF));
    let trusted = md5 == Some(true) || (partitions.len() >= 2 && (md5.is_some() || erased_after));
    if !trusted {
        return None;
    }
    // Partitions must not overlap.
    let mut spans: Vec<(u32, u32)> = partitions.iter().map(|p| (p.offset, p.size)).collect();
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[0].0 + w[0].1 > w[1].0) {
        return None;
    }
    Some(Table {
        partitions,
        md5,
        len: at,
    })
}

/// The table's own flash offset (see the module documentation).
pub fn table_offset(t: &Table) -> u64 {
    let first = t.partitions.iter().map(|p| u64::from(p.offset)).min();
    match first {
        Some(f) if (0x1000..DEFAULT_OFFSET + 0x1000).contains(&f) => f - 0x1000,
        _ => DEFAULT_OFFSET,
    }
}

fn describe(t: &Table, len: usize) -> (String, u64, Vec<(u64, String)>) {
    let base = table_offset(t);
    let mut warnings = Vec::new();
    let mut end = t.len as u64;
    let mut parts = Vec::new();
    for p in &t.partitions {
        let start = u64::from(p.offset);
        let stop = start + u64::from(p.size);
        let state = if start < base + t.len as u64 {
            warnings.push((
                0,
                format!(
                    "partition {} at {:#x} lies before the table",
                    p.label, p.offset
                ),
            ));
            "before the table"
        } else if start - base >= len as u64 {
            warnings.push((
                0,
                format!(
                    "partition {} ({}) at {:#x}, {} bytes: beyond the end of the dump (absent)",
                    p.label,
                    p.type_name(),
                    p.offset,
                    p.size
                ),
            ));
            "absent"
        } else if stop - base > len as u64 {
            warnings.push((
                start - base,
                format!(
                    "partition {} ({}) at {:#x}: the dump ends {} bytes into its {}",
                    p.label,
                    p.type_name(),
                    p.offset,
                    len as u64 + base - start,
                    p.size
                ),
            ));
            end = len as u64;
            "truncated"
        } else {
            end = end.max(stop - base);
            "present"
        };
        parts.push(format!(
            "{} {} @{:#x} {:#x}{}{}",
            p.label,
            p.type_name(),
            p.offset,
            p.size,
            if p.encrypted { " encrypted" } else { "" },
            if state == "present" {
                String::new()
            } else {
                format!(" ({state})")
            }
        ));
    }
    let md5 = match t.md5 {
        Some(true) => "MD5 ok",
        Some(false) => "MD5 MISMATCH",
        None => "no MD5 entry",
    };
    if t.md5 == Some(false) {
        warnings.push((0, "partition table MD5 entry does not match".into()));
    }
    (
        format!(
            "ESP32 partition table at flash {base:#x}, {} partitions, {md5}: {}",
            t.partitions.len(),
            parts.join(", ")
        ),
        end,
        warnings,
    )
}

/// ESP32 partition table (and the flash dump after it).
pub struct PartitionTable;

impl Format for PartitionTable {
    fn name(&self) -> &'static str {
        "esp-partition-table"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&[0xAA, 0x50])];
        MAGICS
    }
    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let t = parse(data)?;
        let (description, end, warnings) = describe(&t, data.len());
        let mut id = Identified::new(Some(end), description);
        id.warnings = warnings;
        Some(id)
    }
    fn extract(&self, data: &[u8], id: Identified, out: &dyn Emit) -> Result<(), Error> {
        for (offset, reason) in id.warnings {
            out.warn(offset, reason);
        }
        let t = parse(data).ok_or_else(|| Error::malformed(0, "not a partition table"))?;
        let base = table_offset(&t);
        let mut parts: Vec<(String, &[u8])> = Vec::new();
        for p in &t.partitions {
            let Some(start) = u64::from(p.offset).checked_sub(base) else {
                continue;
            };
            let start = start as usize;
            if start < t.len || start >= data.len() {
                continue;
            }
            let end = (start + p.size as usize).min(data.len());
            let name = format!(
                "{:#x}-{}-{}",
                p.offset,
                p.label,
                p.type_name().replace('/', "-")
            );
            parts.push((name, &data[start..end]));
        }
        payloads(out, &parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: u8, sub: u8, off: u32, size: u32, label: &str) -> Vec<u8> {
        let mut e = vec![0xAA, 0x50, kind, sub];
        e.extend_from_slice(&off.to_le_bytes());
        e.extend_from_slice(&size.to_le_bytes());
        let mut l = [0u8; 16];
        l[..label.len()].copy_from_slice(label.as_bytes());
        e.extend_from_slice(&l);
        e.extend_from_slice(&0u32.to_le_bytes());
        e
    }

    fn table() -> Vec<u8> {
        let mut t = entry(1, 2, 0x9000, 0x6000, "nvs");
        t.extend(entry(0, 0, 0x10000, 0x100000, "factory"));
        let md5 = Md5::digest(&t);
        t.extend_from_slice(&[0xEB, 0xEB]);
        t.extend_from_slice(&[0xFF; 14]);
        t.extend_from_slice(&md5);
        t.resize(0xC00, 0xFF);
        t
    }

    #[test]
    fn parses_with_md5_and_reports_absent_partitions() {
        let t = table();
        let p = parse(&t).unwrap();
        assert_eq!(p.partitions.len(), 2);
        assert_eq!(p.md5, Some(true));
        assert_eq!(p.partitions[0].type_name(), "data/nvs");
        assert_eq!(table_offset(&p), 0x8000);
        // The dump ends inside nvs: factory absent.
        let mut dump = t.clone();
        dump.resize(0x2000, 0xFF);
        let (d, _, w) = describe(&p, dump.len());
        assert!(
            d.contains("factory app/factory @0x10000 0x100000 (absent)"),
            "{d}"
        );
        assert!(w.iter().any(|(_, r)| r.contains("absent")));
    }

    #[test]
    fn a_bad_md5_is_reported_and_overlaps_refused() {
        let mut t = table();
        t[90] ^= 1; // inside the MD5 digest
        assert_eq!(parse(&t).unwrap().md5, Some(false));
        let mut o = entry(1, 2, 0x9000, 0x8000, "nvs");
        o.extend(entry(1, 1, 0xA000, 0x1000, "phy"));
        assert!(parse(&o).is_none());
    }

    #[test]
    fn truncations_never_panic() {
        let t = table();
        for n in 0..200 {
            let _ = parse(&t[..n]);
        }
    }
}
