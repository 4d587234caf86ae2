//! Streaming import: the top level of each file is visited with serde, and the elements of a
//! `vulnerabilities` array are deserialised and inserted one at a time, so a 100 MB yearly feed is
//! never held as one `Value`. Single records (NVD, CVE 5, OSV) are small and classified by shape.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{params, Connection, Transaction};
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::records::{self, Config, Cve5, FeedItem, NvdCve, Osv};
use crate::{Error, Result};

/// Records handed from the parser thread to the inserting one at a time.
const BATCH: usize = 64;
/// Folder walks stop at this depth and file count.
const MAX_DEPTH: usize = 16;
const MAX_FILES: usize = 2_000_000;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportStats {
    pub files: u64,
    /// CVE records from the NVD format (feeds and single records).
    pub nvd: u64,
    /// CVE JSON 5 records stored (those the NVD already has are counted in `cve5_superseded`).
    pub cve5: u64,
    pub cve5_superseded: u64,
    pub osv: u64,
    pub kev: u64,
    /// NVD records that carry the CISA KEV listing (`cisaExploitAdd`); stored as KEV entries too.
    pub kev_from_nvd: u64,
    /// Rejected / withdrawn records skipped.
    pub rejected: u64,
    /// JSON values that are none of the known formats.
    pub unrecognised: u64,
    /// `path: reason` of each file that could not be read or parsed (what came before the fault is kept).
    pub errors: Vec<String>,
    pub seconds: f64,
}

impl ImportStats {
    /// All records stored.
    pub fn records(&self) -> u64 {
        self.nvd + self.cve5 + self.osv + self.kev
    }
}

pub(crate) fn import<P: AsRef<Path>>(conn: &mut Connection, paths: &[P]) -> Result<ImportStats> {
    let start = Instant::now();
    let mut files = Vec::new();
    for p in paths {
        collect(p.as_ref(), 0, &mut files)?;
    }
    let tx = conn.transaction()?;
    let mut imp = Importer {
        tx: &tx,
        stats: ImportStats::default(),
        db_error: None,
        index_rows: BTreeMap::new(),
    };
    for f in &files {
        imp.stats.files += 1;
        if let Err(e) = imp.file(f) {
            if let Some(db) = imp.db_error.take() {
                return Err(Error::Db(db));
            }
            imp.stats.errors.push(format!("{}: {e}", f.display()));
        }
    }
    let mut stats = std::mem::take(&mut imp.stats);
    drop(imp);
    tx.commit()?;
    stats.seconds = start.elapsed().as_secs_f64();
    Ok(stats)
}

fn collect(p: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(p).map_err(|source| Error::Io {
        path: p.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() || depth >= MAX_DEPTH {
        return Ok(());
    }
    let rd = std::fs::read_dir(p).map_err(|source| Error::Io {
        path: p.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        if out.len() >= MAX_FILES {
            break;
        }
        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Symlinks are not followed inside folders (no loops); plain JSON files and folders only.
        let Ok(m) = std::fs::symlink_metadata(&e) else {
            continue;
        };
        if m.is_dir() {
            collect(&e, depth + 1, out)?;
        } else if m.is_file() && (name.ends_with(".json") || name.ends_with(".json.gz")) {
            out.push(e);
        }
    }
    Ok(())
}

/// Vendor, product and version of a criteria string without escapes (nearly all of them), without
/// the allocations of a full parse; `None` sends the string to `Cpe::parse`.
fn quick_fields(criteria: &str) -> Option<(&str, &str, &str)> {
    if criteria.contains('\\') {
        return None;
    }
    let mut f = criteria.strip_prefix("cpe:2.3:")?.split(':');
    let (_part, vendor, product, version) = (f.next()?, f.next()?, f.next()?, f.next()?);
    let nonempty = |s: &str| !s.is_empty();
    (nonempty(vendor) && nonempty(product) && nonempty(version))
        .then_some((vendor, product, version))
}

struct Importer<'t> {
    tx: &'t Transaction<'t>,
    stats: ImportStats,
    db_error: Option<rusqlite::Error>,
    index_rows: BTreeMap<(String, String), String>,
}

type BoxErr = Box<dyn std::error::Error>;

impl Importer<'_> {
    /// Parse on a second thread while this one inserts (the two take about the same time).
    fn file(&mut self, path: &Path) -> std::result::Result<(), BoxErr> {
        let f = File::open(path)?;
        let gz = path.extension().is_some_and(|e| e == "gz");
        let map = if gz {
            None
        } else {
            if f.metadata()?.len() == 0 {
                return Err("empty file".into());
            }
            // SAFETY: read-only map of a file we opened; like every mmap reader we assume nobody
            // truncates the feed while it is imported. Parsing a slice is ~3x faster than a
            // reader, and elements are still deserialised one at a time (no whole-document `Value`).
            Some(unsafe { memmap2::Mmap::map(&f)? })
        };
        // Records travel in batches: one hand-off per record cost a tenth of the import in thread
        // wake-ups.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(8);
        std::thread::scope(|s| {
            let map = map.as_deref();
            let parser = s.spawn(move || -> std::result::Result<(), String> {
                let mut batch = Vec::with_capacity(BATCH);
                let mut send = |p: Parsed| {
                    batch.push(p);
                    if batch.len() < BATCH {
                        return Ok(());
                    }
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    tx.send(full).map_err(|_| "import stopped".to_string())
                };
                let err = |e: serde_json::Error| e.to_string();
                let parsed = match map {
                    Some(bytes) => {
                        let mut de = serde_json::Deserializer::from_slice(bytes);
                        Top { sink: &mut send }
                            .deserialize(&mut de)
                            .map_err(err)
                            .and_then(|()| de.end().map_err(err))
                    }
                    None => {
                        let gz = BufReader::with_capacity(1 << 20, flate2::read::GzDecoder::new(f));
                        let mut de = serde_json::Deserializer::from_reader(gz);
                        Top { sink: &mut send }
                            .deserialize(&mut de)
                            .map_err(err)
                            .and_then(|()| de.end().map_err(err))
                    }
                };
                // What was parsed before a fault is still stored.
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                parsed
            });
            let mut failed = None;
            for p in rx.iter().flatten() {
                let r = match p {
                    Parsed::Item(i) => self.item::<serde_json::Error>(*i),
                    Parsed::Value(m) => self.value::<serde_json::Error>(m),
                    Parsed::Unrecognised => {
                        self.stats.unrecognised += 1;
                        Ok(())
                    }
                };
                if let Err(e) = r {
                    failed = Some(e.to_string());
                    break; // dropping the receiver stops the parser
                }
            }
            let parsed = parser
                .join()
                .map_err(|_| "the parser panicked".to_string())?;
            match failed {
                Some(e) => Err(e.into()),
                None => parsed.map_err(Into::into),
            }
        })
    }

    /// Turn a database failure into a serde error that stops the parse, remembering the cause.
    fn db<T, E: serde::de::Error>(&mut self, r: rusqlite::Result<T>) -> std::result::Result<T, E> {
        r.map_err(|e| {
            let msg = e.to_string();
            self.db_error = Some(e);
            E::custom(msg)
        })
    }

    fn item<E: serde::de::Error>(&mut self, item: FeedItem) -> std::result::Result<(), E> {
        if let Some(cve) = item.cve {
            let r = self.nvd(cve);
            self.db(r)
        } else if let Some(id) = item.kev_cve {
            let r = self.kev(
                &id,
                item.kev_date_added.as_deref(),
                item.kev_name.as_deref(),
            );
            self.db(r)
        } else {
            self.stats.unrecognised += 1;
            Ok(())
        }
    }

    /// A standalone JSON object: CVE 5, NVD record (bare or wrapped), OSV or KEV entry.
    fn value<E: serde::de::Error>(&mut self, v: Map<String, Value>) -> std::result::Result<(), E> {
        let has = |k: &str| v.contains_key(k);
        let obj = Value::Object(v.clone());
        if has("cveMetadata") {
            let r: Cve5 = serde_json::from_value(obj).map_err(E::custom)?;
            let r = self.cve5(r);
            self.db(r)
        } else if has("cve") || has("cveID") {
            let r: FeedItem = serde_json::from_value(obj).map_err(E::custom)?;
            self.item(r)
        } else if has("id")
            && (has("configurations")
                || has("descriptions")
                || has("vulnStatus")
                || has("sourceIdentifier"))
        {
            let r: NvdCve = serde_json::from_value(obj).map_err(E::custom)?;
            let r = self.nvd(r);
            self.db(r)
        } else if has("id") && (has("affected") || has("schema_version") || has("modified")) {
            let r: Osv = serde_json::from_value(obj).map_err(E::custom)?;
            let r = self.osv(r);
            self.db(r)
        } else {
            self.stats.unrecognised += 1;
            Ok(())
        }
    }

    fn index(&mut self, id: &str, configs: &[Config]) -> rusqlite::Result<()> {
        self.index_rows.clear();
        for n in configs.iter().flat_map(|c| &c.nodes) {
            for m in n.cpe_match.iter().filter(|m| m.vulnerable) {
                let (key, version) = match quick_fields(&m.criteria) {
                    Some((v, p, ver)) => ((p.to_lowercase(), v.to_lowercase()), ver.to_lowercase()),
                    None => {
                        let Some(c) = crate::cpe::Cpe::parse(&m.criteria) else {
                            continue;
                        };
                        ((c.product.text(), c.vendor.text()), c.version.text())
                    }
                };
                let ranges = self.index_rows.entry(key).or_default();
                if !ranges.is_empty() {
                    ranges.push(crate::matching::RANGE_SEP);
                }
                crate::matching::pack_range(ranges, &version, m);
            }
        }
        let mut st = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO cpe_index (product, vendor, cve, ranges) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for ((product, vendor), ranges) in &self.index_rows {
            st.execute(params![product, vendor, id, ranges])?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn store_cve(
        &mut self,
        id: &str,
        source: &str,
        published: Option<&str>,
        modified: Option<&str>,
        description: Option<&str>,
        refs: usize,
        cvss: [Option<records::CvssData>; 4],
        mut configs: Vec<Config>,
    ) -> rusqlite::Result<()> {
        records::bound_configs(&mut configs);
        let exists: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM cve WHERE id = ?1)")?
            .query_row(params![id], |r| r.get(0))?;
        if exists {
            self.tx
                .prepare_cached("DELETE FROM cpe_index WHERE cve = ?1")?
                .execute(params![id])?;
        }
        let s = |i: usize| cvss[i].as_ref().and_then(|c| c.base_score);
        let v = |i: usize| cvss[i].as_ref().and_then(|c| c.vector_string.clone());
        let configs_json = serde_json::to_string(&configs).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO cve (id, source, published, modified, description, refs,
                 v40_score, v40_vector, v31_score, v31_vector, v30_score, v30_vector, v2_score, v2_vector,
                 configs) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
            )?
            .execute(params![
                id,
                source,
                published,
                modified,
                description,
                refs as i64,
                s(0),
                v(0),
                s(1),
                v(1),
                s(2),
                v(2),
                s(3),
                v(3),
                configs_json
            ])?;
        self.index(id, &configs)
    }

    fn nvd(&mut self, c: NvdCve) -> rusqlite::Result<()> {
        if c.vuln_status.as_deref() == Some("Rejected") {
            self.stats.rejected += 1;
            return Ok(());
        }
        let m = c.metrics.unwrap_or_default();
        let cvss = [
            records::primary(&m.v40),
            records::primary(&m.v31),
            records::primary(&m.v30),
            records::primary(&m.v2),
        ];
        let desc = records::english(&c.descriptions);
        if let Some(added) = &c.cisa_exploit_add {
            self.tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO kev (cve, date_added, name) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![c.id, added, c.cisa_vulnerability_name])?;
            self.stats.kev_from_nvd += 1;
        }
        self.store_cve(
            &c.id,
            "nvd",
            c.published.as_deref(),
            c.last_modified.as_deref(),
            desc.as_deref(),
            c.references,
            cvss,
            c.configurations,
        )?;
        self.stats.nvd += 1;
        Ok(())
    }

    fn cve5(&mut self, r: Cve5) -> rusqlite::Result<()> {
        let meta = r.cve_metadata;
        if meta.state.as_deref() == Some("REJECTED") {
            self.stats.rejected += 1;
            return Ok(());
        }
        let existing: Option<String> = self
            .tx
            .prepare_cached("SELECT source FROM cve WHERE id = ?1")?
            .query_row(params![meta.cve_id], |r| r.get(0))
            .ok();
        if existing.as_deref() == Some("nvd") {
            self.stats.cve5_superseded += 1;
            return Ok(());
        }
        let cna = r.containers.cna.unwrap_or_default();
        let mut cvss: [Option<records::CvssData>; 4] = Default::default();
        for m in cna
            .metrics
            .iter()
            .chain(r.containers.adp.iter().flat_map(|a| &a.metrics))
        {
            for (slot, v) in [&m.v40, &m.v31, &m.v30, &m.v2].into_iter().enumerate() {
                if cvss[slot].is_none() {
                    cvss[slot] = v.clone();
                }
            }
        }
        let desc = records::english(&cna.descriptions);
        let configs = records::cve5_configs(&cna.affected);
        self.store_cve(
            &meta.cve_id,
            "cve5",
            meta.date_published.as_deref(),
            meta.date_updated.as_deref(),
            desc.as_deref(),
            cna.references,
            cvss,
            configs,
        )?;
        self.stats.cve5 += 1;
        Ok(())
    }

    fn osv(&mut self, r: Osv) -> rusqlite::Result<()> {
        if r.withdrawn.is_some() {
            self.stats.rejected += 1;
            return Ok(());
        }
        self.tx
            .prepare_cached("DELETE FROM osv_pkg WHERE osv = ?1")?
            .execute(params![r.id])?;
        let mut affected = r.affected;
        affected.truncate(records::MAX_NODES);
        let severity = r.severity.first().map(|s| s.score.clone());
        let summary = r.summary.or(r.details).map(|mut s| {
            if s.len() > records::MAX_DESCRIPTION {
                let mut cut = records::MAX_DESCRIPTION;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
            }
            s
        });
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO osv (id, aliases, summary, published, modified, severity, affected)
                 VALUES (?1,?2,?3,?4,?5,?6,?7)",
            )?
            .execute(params![
                r.id,
                serde_json::to_string(&r.aliases).unwrap_or_default(),
                summary,
                r.published,
                r.modified,
                severity,
                serde_json::to_string(&affected).unwrap_or_default()
            ])?;
        let mut st = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO osv_pkg (ecosystem, name, osv) VALUES (?1, ?2, ?3)",
        )?;
        for a in &affected {
            if let Some(p) = &a.package {
                st.execute(params![
                    p.ecosystem.to_lowercase(),
                    p.name.to_lowercase(),
                    r.id
                ])?;
            }
        }
        self.stats.osv += 1;
        Ok(())
    }

    fn kev(&mut self, id: &str, date: Option<&str>, name: Option<&str>) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO kev (cve, date_added, name) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id.trim().to_ascii_uppercase(), date, name])?;
        self.stats.kev += 1;
        Ok(())
    }
}

/// What the parser thread hands over.
enum Parsed {
    Item(Box<FeedItem>),
    Value(Map<String, Value>),
    Unrecognised,
}

type Sink<'a> = &'a mut dyn FnMut(Parsed) -> std::result::Result<(), String>;

/// The top of a file: an object (feed with `vulnerabilities`, or a single record) or an array of records.
struct Top<'a> {
    sink: Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an NVD feed, CVE 5, OSV or KEV JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut rest = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "vulnerabilities" {
                map.next_value_seed(Items {
                    sink: &mut *self.sink,
                })?;
                streamed = true;
            } else {
                rest.insert(key, map.next_value::<Value>()?);
            }
        }
        if !streamed {
            (self.sink)(Parsed::Value(rest)).map_err(A::Error::custom)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            let p = match v {
                Value::Object(m) => Parsed::Value(m),
                _ => Parsed::Unrecognised,
            };
            (self.sink)(p).map_err(A::Error::custom)?;
        }
        Ok(())
    }
}

/// The `vulnerabilities` array, one element at a time.
struct Items<'a> {
    sink: Sink<'a>,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of vulnerabilities")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(item) = seq.next_element::<FeedItem>()? {
            (self.sink)(Parsed::Item(Box::new(item))).map_err(A::Error::custom)?;
        }
        Ok(())
    }
}
