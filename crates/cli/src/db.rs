//! `iotassay db …`: import vulnerability data into the local database and report its status.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use iotassay_vulndb::Db;

#[derive(Args)]
pub struct DbArgs {
    /// Database file (default: ~/.local/share/iotassay/vuln.db).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    action: DbAction,
}

#[derive(Subcommand)]
enum DbAction {
    /// Import NVD CVE API 2.0 feeds or records, CVE JSON 5 records, OSV records and the CISA KEV
    /// catalogue (files, or folders searched for *.json and *.json.gz). Nothing is downloaded.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// How many records the database holds, how fresh they are and its size.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `$XDG_DATA_HOME/iotassay/vuln.db`, else `~/.local/share/iotassay/vuln.db`.
pub fn default_path() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set: use --db")?)
            .join(".local/share"),
    };
    Ok(base.join("iotassay/vuln.db"))
}

pub fn run(args: DbArgs) -> Result<ExitCode> {
    let path = match args.db {
        Some(p) => p,
        None => default_path()?,
    };
    match args.action {
        DbAction::Import { paths } => {
            for p in &paths {
                if !p.exists() {
                    bail!("{}: no such file or folder", p.display());
                }
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut db = Db::open(&path).with_context(|| format!("opening {}", path.display()))?;
            let s = db.import(&paths)?;
            println!(
                "imported {} records from {} files in {:.1} s into {}: {} NVD, {} CVE 5 ({} already from the NVD), {} OSV, {} KEV (+{} flagged in NVD records); {} rejected/withdrawn skipped, {} unrecognised",
                s.records(), s.files, s.seconds, path.display(), s.nvd, s.cve5, s.cve5_superseded, s.osv, s.kev, s.kev_from_nvd, s.rejected, s.unrecognised
            );
            for e in &s.errors {
                eprintln!("warning: {e}");
            }
            Ok(if s.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        DbAction::Status { json } => {
            if !path.is_file() {
                bail!(
                    "{}: no database yet (run `iotassay db import`)",
                    path.display()
                );
            }
            let st = Db::open(&path)?.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                println!("database   {}", st.path.display());
                println!(
                    "CVEs       {} ({} NVD, {} CVE 5 only)",
                    st.cves, st.cves_from_nvd, st.cves_from_cve5
                );
                println!("OSV        {}", st.osv);
                println!("KEV        {}", st.kev);
                println!(
                    "newest     {}",
                    st.newest_modified.as_deref().unwrap_or("-")
                );
                println!("size       {:.1} MB", st.size_bytes as f64 / 1e6);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
