//! Offline vulnerability database: imports NVD CVE API 2.0 JSON, CVE JSON 5, OSV and the CISA KEV
//! catalogue into SQLite, and answers which known vulnerabilities apply to a list of components by
//! NVD CPE applicability (AND/OR/negate, version ranges) or OSV ranges. Nothing is fetched.

pub mod cpe;
mod import;
mod matching;
pub mod records;
pub mod version;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

pub use import::ImportStats;
pub use matching::{ComponentRef, Match, MatchReport, Severity};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("database layout version {found} is not this build's ({SCHEMA_VERSION}): import into a new file")]
    Schema { found: i64 },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// A CVSS base score with its vector, e.g. 9.8 `CVSS:3.1/AV:N/…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `4.0`, `3.1`, `3.0` or `2.0`.
    pub version: String,
    pub score: f64,
    pub vector: String,
}

/// What the database holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Status {
    pub path: PathBuf,
    pub cves: u64,
    pub cves_from_nvd: u64,
    pub cves_from_cve5: u64,
    pub osv: u64,
    pub kev: u64,
    /// Newest `lastModified` / `dateUpdated` among the CVEs: how fresh the data is.
    pub newest_modified: Option<String>,
    /// Seconds since the Unix epoch of the last import.
    pub last_import_unix: Option<u64>,
    pub size_bytes: u64,
}

/// Bumped when the tables change; an older file is refused (re-import into a new file).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cve (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    published TEXT, modified TEXT, description TEXT, refs INTEGER NOT NULL DEFAULT 0,
    v40_score REAL, v40_vector TEXT, v31_score REAL, v31_vector TEXT,
    v30_score REAL, v30_vector TEXT, v2_score REAL, v2_vector TEXT,
    configs TEXT NOT NULL
);
-- One row per (product, vendor) a CVE's vulnerable entries name; `ranges` packs those entries'
-- version field and bounds (see matching::prefilter) so most non-matching CVEs are never loaded.
CREATE TABLE IF NOT EXISTS cpe_index (
    product TEXT NOT NULL, vendor TEXT NOT NULL, cve TEXT NOT NULL, ranges TEXT NOT NULL,
    PRIMARY KEY (product, vendor, cve)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cpe_index_cve ON cpe_index (cve);
CREATE TABLE IF NOT EXISTS osv (
    id TEXT PRIMARY KEY, aliases TEXT NOT NULL, summary TEXT, published TEXT, modified TEXT,
    severity TEXT, affected TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS osv_pkg (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, osv TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, osv)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS osv_pkg_osv ON osv_pkg (osv);
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, date_added TEXT, name TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
";

/// The local vulnerability database (one SQLite file).
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Open or create the database at `path` (`:memory:` works too).
    pub fn open(path: impl AsRef<Path>) -> Result<Db> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            // Memory-mapped reads and a 64 MiB page cache: matching does thousands of point
            // lookups, and going through read(2) for each page made them 3x slower.
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
             PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;",
        )?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 && version != SCHEMA_VERSION {
            return Err(Error::Schema { found: version });
        }
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        Ok(Db { conn, path })
    }

    /// Import files or folders (searched recursively for `*.json` and `*.json.gz`) in one
    /// transaction. A file that cannot be read or parsed is reported in `ImportStats::errors` and
    /// the rest carries on; only database failures are errors.
    pub fn import<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<ImportStats> {
        let stats = import::import(&mut self.conn, paths)?;
        // Fold the write-ahead log back into the database so its size is the file's size.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_import', ?1)",
            params![now.to_string()],
        )?;
        Ok(stats)
    }

    /// Counts, freshness and size.
    pub fn status(&self) -> Result<Status> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let page_count = count("PRAGMA page_count")?;
        let page_size = count("PRAGMA page_size")?;
        Ok(Status {
            path: self.path.clone(),
            cves: count("SELECT COUNT(*) FROM cve")?,
            cves_from_nvd: count("SELECT COUNT(*) FROM cve WHERE source = 'nvd'")?,
            cves_from_cve5: count("SELECT COUNT(*) FROM cve WHERE source = 'cve5'")?,
            osv: count("SELECT COUNT(*) FROM osv")?,
            kev: count("SELECT COUNT(*) FROM kev")?,
            newest_modified: self
                .conn
                .query_row("SELECT MAX(modified) FROM cve", [], |r| r.get(0))?,
            last_import_unix: self
                .conn
                .query_row(
                    "SELECT value FROM meta WHERE key = 'last_import'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|s| s.parse().ok()),
            size_bytes: page_count * page_size,
        })
    }

    /// The known vulnerabilities that apply to these components (see [`Db::match_report`]).
    pub fn matches(&self, components: &[ComponentRef]) -> Result<Vec<Match>> {
        Ok(self.match_report(components, false)?.matches)
    }

    /// Matches plus notes (what could not be evaluated and why). With `include_conditional`, also
    /// the matches of AND configurations whose vulnerable part is in the image but whose platform
    /// part (e.g. an OS or hardware CPE) is not; those carry `depends_on`.
    pub fn match_report(
        &self,
        components: &[ComponentRef],
        include_conditional: bool,
    ) -> Result<MatchReport> {
        matching::run(&self.conn, components, include_conditional)
    }
}
