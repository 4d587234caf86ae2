//! The `iotassay` command: argument parsing, progress and printing only; the work is in the crates.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use iotassay_unpack::{Manifest, Options, RegionStatus};

mod db;
mod probe;

/// mimalloc instead of glibc's malloc: extraction hands buffers between rayon threads, and glibc's
/// per-thread arenas kept up to 10× the live heap resident (measured on a 15,000-member zip).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "iotassay",
    version,
    about = "Assess consumer IoT firmware against the UK Code of Practice, ETSI EN 303 645 and PSTI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every structure recognised in an image: offset, size, format and details.
    Identify {
        image: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Unpack in memory and list nested structures too.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Unpack an image in memory, inventory it, run every firmware check and summarise per guideline.
    Scan(ScanArgs),
    /// Check a live device on a network you own: ports, banners, default credentials (with
    /// controls), TLS, SSH algorithms, MQTT, UPnP, SNMP, ADB. Only the address given is probed.
    Probe(probe::ProbeArgs),
    /// Extract an image recursively into a folder, with a manifest.json of every node.
    Unpack {
        image: PathBuf,
        /// Output folder (created if missing; must be empty unless --force).
        #[arg(short, long)]
        out: PathBuf,
        /// Write into a non-empty folder, replacing entries of the same name.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        limits: Limits,
    },
    /// List the provisions of ETSI EN 303 645 with their UK Code of Practice guideline and PSTI link.
    Provisions {
        /// Only this Code of Practice guideline (1-13).
        #[arg(short, long, value_parser = clap::value_parser!(u8).range(1..=13))]
        guideline: Option<u8>,
        /// Only the provisions behind the three PSTI requirements.
        #[arg(long)]
        psti: bool,
        /// Only provisions firmware analysis can inform.
        #[arg(long)]
        firmware: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write or check a manufacturer's declaration (TOML; see docs/declaration.example.toml).
    Declaration {
        #[command(subcommand)]
        command: DeclarationCommand,
    },
    /// Validate an RFC 9116 security.txt file; exit 1 when it has errors.
    Securitytxt {
        file: PathBuf,
        /// The URL the file was fetched from (checks https, /.well-known/ and Canonical).
        #[arg(long)]
        url: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Render reports from an assessment JSON (`scan --json`): HTML, SARIF, Markdown, the
    /// consumer label (JSON, SVG, HTML) and the PSTI statement of compliance (text, HTML).
    Report {
        /// The assessment JSON written by `iotassay scan --json`.
        assessment: PathBuf,
        /// Formats, comma-separated: html, sarif, md, label, psti (or all).
        #[arg(long, default_value = "all")]
        report: String,
        /// Folder to write them to (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// The offline vulnerability database: import NVD / CVE 5 / OSV / KEV files, show its status.
    Db(db::DbArgs),
    /// Build the embedded demo firmware image, unpack it and scan it: a real run with no download.
    Demo {
        /// Where to put the demo image and its unpacked tree (default: a new temporary folder).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DeclarationCommand {
    /// Write the annotated declaration template.
    Init {
        /// Where to write it.
        #[arg(default_value = "declaration.toml")]
        path: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Parse a declaration, and validate the security.txt it names; exit 1 on errors.
    Check { file: PathBuf },
}

#[derive(clap::Args)]
struct ScanArgs {
    image: PathBuf,
    /// The manufacturer's declaration (TOML, see `iotassay declaration init`): per-provision
    /// verdicts then weigh its claims against the evidence, and the PSTI summary uses it.
    #[arg(long)]
    declaration: Option<PathBuf>,
    /// Write the assessment (versioned JSON, see docs/assessment.md) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Reports to write into --out, comma-separated: html, sarif, md, label, psti (or all).
    #[arg(long, requires = "out")]
    report: Option<String>,
    /// Folder for --report (with the assessment.json they are rendered from).
    #[arg(long, requires = "report")]
    out: Option<PathBuf>,
    /// Write a CycloneDX 1.6 JSON SBOM of the components found to this file.
    #[arg(long)]
    sbom: Option<PathBuf>,
    /// Write an SPDX 2.3 JSON SBOM of the components found to this file.
    #[arg(long)]
    spdx: Option<PathBuf>,
    /// Exit with 1 when a finding has at least this severity (info, low, medium, high, critical);
    /// a declared claim the evidence contradicts counts as high.
    #[arg(long, default_value = "high")]
    fail_on: iotassay_checks::Severity,
    /// Extra password candidates, one per line, tried after the built-in default lists.
    #[arg(long)]
    wordlist: Vec<PathBuf>,
    /// Show every piece of evidence, not just the first of each finding.
    #[arg(short, long)]
    verbose: bool,
    /// Report components whose release line had been superseded for more than this many years
    /// when the image was built.
    #[arg(long, value_name = "YEARS", default_value_t = iotassay_checks::DEFAULT_MAX_COMPONENT_AGE_YEARS)]
    max_age: u32,
    /// Vulnerability database to match components against (default: the one `iotassay db
    /// import` fills, when it exists; without one, vulnerabilities are "not assessed").
    #[arg(long)]
    db: Option<PathBuf>,
    /// Where the unpacked files are kept while checked: `memory`, `disk` (a temporary folder
    /// under TMPDIR, removed at the end; contents mapped from it, so memory stays bounded) or
    /// `auto` (disk from a 32 MiB image on).
    #[arg(long, value_name = "WHERE", default_value = "auto", value_parser = ["auto", "memory", "disk"])]
    spill: String,
    #[command(flatten)]
    limits: Limits,
}

#[derive(clap::Args)]
struct Limits {
    /// Deepest nesting of structures to extract.
    #[arg(long, default_value_t = iotassay_unpack::DEFAULT_MAX_DEPTH)]
    max_depth: u32,
    /// Most bytes to extract in total (default: 64× the input, at least 1 GiB, at most 8 GiB).
    #[arg(long)]
    budget: Option<u64>,
}

fn main() -> ExitCode {
    // No transparent huge pages for the heap: each first touch of a 2 MiB page zeroes all of it,
    // and extraction's many short-lived buffers made that a fifth of the CPU time of unpacking a
    // router image (258 → 201 ms task-clock on openwrt-12.09).
    // SAFETY: sets a process-wide allocator option; no allocation is in flight across the call.
    unsafe { libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 0) };
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Identify {
            image,
            json,
            recursive,
        } => identify(&image, json, recursive),
        Command::Unpack {
            image,
            out,
            force,
            limits,
        } => {
            prepare_out(&out, force)?;
            let manifest = unpack_with_progress(&image, Some(&out), &limits)?;
            print_unpack_summary(&manifest, &out);
            Ok(exit_for(&manifest))
        }
        Command::Demo { out } => demo(out),
        Command::Db(args) => db::run(args),
        Command::Report {
            assessment,
            report,
            out,
        } => {
            let report = parse_formats(&report)?;
            let meta = std::fs::metadata(&assessment)
                .with_context(|| format!("cannot read {}", assessment.display()))?;
            if meta.len() > iotassay_report::MAX_ASSESSMENT_SIZE as u64 {
                bail!(
                    "{}: {} bytes is larger than an assessment can be",
                    assessment.display(),
                    meta.len()
                );
            }
            let bytes = std::fs::read(&assessment)
                .with_context(|| format!("cannot read {}", assessment.display()))?;
            let a = iotassay_report::load(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", assessment.display()))?;
            for path in write_reports(&a, &report, &out)? {
                println!("report: {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Scan(args) => scan(&args),
        Command::Probe(args) => probe::run(args),
        Command::Provisions {
            guideline,
            psti,
            firmware,
            json,
        } => provisions(guideline, psti, firmware, json),
        Command::Declaration { command } => declaration(command),
        Command::Securitytxt { file, url, json } => securitytxt(&file, url, json),
    }
}

fn declaration(command: DeclarationCommand) -> Result<ExitCode> {
    match command {
        DeclarationCommand::Init { path, force } => {
            if path.exists() && !force {
                bail!("{} exists (use --force to replace it)", path.display());
            }
            std::fs::write(&path, iotassay_declaration::TEMPLATE)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote the declaration template to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        DeclarationCommand::Check { file } => {
            let text = read_declaration_text(&file)?;
            let decl = match iotassay_declaration::Declaration::parse(&text) {
                Ok(d) => d,
                Err(e) => {
                    println!("{}: {e}", file.display());
                    return Ok(ExitCode::from(1));
                }
            };
            let end = decl.support_period.end().map(|d| d.to_string());
            println!(
                "{}: {} {} (hardware {}, software {}) by {}: support until {}, {} provision statements",
                file.display(),
                decl.product.name,
                decl.product.model,
                decl.product.hardware_version,
                decl.product.software_version,
                decl.product.manufacturer.name,
                end.as_deref().unwrap_or("?"),
                decl.provisions.len()
            );
            let dir = file.parent().unwrap_or(Path::new("."));
            let options = iotassay_declaration::securitytxt::Options::now();
            let Some(checked) = decl.check_security_txt(dir, &options) else {
                return Ok(ExitCode::SUCCESS);
            };
            let Some(report) = &checked.report else {
                bail!("{}", checked.summary());
            };
            Ok(print_securitytxt(&checked.source, report))
        }
    }
}

fn securitytxt(file: &Path, url: Option<String>, json: bool) -> Result<ExitCode> {
    use iotassay_declaration::securitytxt;
    let bytes = securitytxt::read_bounded(file)
        .with_context(|| format!("cannot read {}", file.display()))??;
    let mut options = securitytxt::Options::now();
    options.retrieved_from = url;
    let report = securitytxt::validate(&bytes, &options)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(if report.has_errors() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    Ok(print_securitytxt(&file.display().to_string(), &report))
}

fn print_securitytxt(name: &str, report: &iotassay_declaration::securitytxt::Report) -> ExitCode {
    use iotassay_declaration::securitytxt::Severity;
    for p in &report.problems {
        let severity = match p.severity {
            Severity::Error => "error",
            Severity::Recommendation => "recommendation",
            Severity::Note => "note",
        };
        let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!("{name}{at}: {severity}: {} [{}]", p.message, p.code);
    }
    let count = |s| report.problems.iter().filter(|p| p.severity == s).count();
    println!(
        "{name}: {} fields, {}signed; {} errors, {} recommendations",
        report.fields.len(),
        if report.signed { "" } else { "not " },
        count(Severity::Error),
        count(Severity::Recommendation)
    );
    if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn identify(image: &Path, json: bool, recursive: bool) -> Result<ExitCode> {
    if recursive {
        let limits = Limits {
            max_depth: iotassay_unpack::DEFAULT_MAX_DEPTH,
            budget: None,
        };
        let manifest = unpack_with_progress(image, None, &limits)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&manifest.regions)?);
        } else {
            println!(
                "{:<12} {:<12} {:<14} {:<10} DESCRIPTION",
                "OFFSET", "SIZE", "FORMAT", "STATUS"
            );
            for r in &manifest.regions {
                let depth = manifest.chain(r.id).len().saturating_sub(1);
                let indent = "  ".repeat(depth);
                println!(
                    "{indent}{:<12} {:<12} {:<14} {:<10} {}{}",
                    format!("{:#x}", r.offset),
                    r.size.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    r.format,
                    status_word(&r.status),
                    r.description,
                    if depth > 0 {
                        format!("  [in {}]", r.source)
                    } else {
                        String::new()
                    }
                );
            }
            print_warnings(&manifest);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let data = std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
    let (hits, warnings) = iotassay_unpack::scan(&data);
    if json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
    } else {
        println!(
            "{:<12} {:<12} {:<14} DESCRIPTION",
            "OFFSET", "SIZE", "FORMAT"
        );
        for h in &hits {
            println!(
                "{:<12} {:<12} {:<14} {}",
                format!("{:#x}", h.offset),
                h.size.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                h.format,
                h.description
            );
        }
        if hits.is_empty() {
            println!("(nothing recognised)");
        }
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_word(s: &RegionStatus) -> &'static str {
    match s {
        RegionStatus::Identified => "info",
        RegionStatus::Extracted => "extracted",
        RegionStatus::Partial => "partial",
        RegionStatus::Failed => "failed",
    }
}

/// Create `out` if needed and refuse a non-empty folder unless `force`.
fn prepare_out(out: &Path, force: bool) -> Result<()> {
    if out.exists() {
        if !out.is_dir() {
            bail!("{} exists and is not a folder", out.display());
        }
        let non_empty = std::fs::read_dir(out)
            .with_context(|| format!("cannot read {}", out.display()))?
            .next()
            .is_some();
        if non_empty && !force {
            bail!(
                "{} is not empty: choose an empty folder or pass --force",
                out.display()
            );
        }
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    }
    Ok(())
}

fn unpack_with_progress(image: &Path, out: Option<&Path>, limits: &Limits) -> Result<Manifest> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Some(bar)
    } else {
        None
    };
    let progress_bar = bar.clone();
    let options = Options {
        max_depth: limits.max_depth,
        budget: limits.budget,
        keep_data: false,
        progress: progress_bar.map(|bar| {
            Arc::new(move |files: u64, bytes: u64| {
                bar.set_message(format!("{files} files, {}", human_bytes(bytes)));
            }) as iotassay_unpack::ProgressFn
        }),
    };
    if !image.is_file() {
        bail!("{} is not a readable file", image.display());
    }
    let manifest = iotassay_unpack::unpack_file(image, out, &options)
        .with_context(|| format!("cannot unpack {}", image.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(out) = out {
        let path = out.join("manifest.json");
        let json = serde_json::to_vec_pretty(&manifest)?;
        std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(manifest)
}

fn print_unpack_summary(m: &Manifest, out: &Path) {
    let extracted = m.regions.iter().filter(|r| r.output.is_some()).count();
    println!(
        "{}: {} structures extracted ({} recognised), {} files, {} folders, {} symlinks, {} other, {} in {} ms, depth {}",
        m.input.name,
        extracted,
        m.regions.len(),
        m.stats.files,
        m.stats.dirs,
        m.stats.symlinks,
        m.stats.other,
        human_bytes(m.stats.bytes_out),
        m.stats.elapsed_ms,
        m.stats.max_depth
    );
    for r in m.regions.iter().filter(|r| r.output.is_some()) {
        println!(
            "  {:<10} {:<14} {}  {}",
            status_word(&r.status),
            r.format,
            r.output.as_deref().unwrap_or(""),
            r.description
        );
    }
    print_warnings(m);
    println!("manifest: {}", out.join("manifest.json").display());
}

fn print_warnings(m: &Manifest) {
    for w in &m.warnings {
        let at = w.offset.map(|o| format!(" @{o:#x}")).unwrap_or_default();
        let fmt = w
            .format
            .as_deref()
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default();
        eprintln!("warning: {}{at}{fmt}: {}", w.source, w.reason);
    }
    if let Some(reason) = &m.aborted {
        eprintln!("error: unpacking stopped early: {reason}");
    }
}

fn exit_for(m: &Manifest) -> ExitCode {
    if m.aborted.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn demo(out: Option<PathBuf>) -> Result<ExitCode> {
    let (_keep, dir) = match out {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            (None, dir)
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("iotassay-demo-")
                .tempdir()?;
            let path = tmp.path().to_path_buf();
            (Some(tmp.keep()), path)
        }
    };
    let image = dir.join("demo-firmware.bin");
    std::fs::write(&image, iotassay_demo::build_image()?)
        .with_context(|| format!("cannot write {}", image.display()))?;
    println!("demo image: {}", image.display());
    let unpacked = dir.join("unpacked");
    prepare_out(&unpacked, true)?;
    let limits = Limits {
        max_depth: iotassay_unpack::DEFAULT_MAX_DEPTH,
        budget: None,
    };
    let manifest = unpack_with_progress(&image, Some(&unpacked), &limits)?;
    print_unpack_summary(&manifest, &unpacked);
    println!();
    let json = dir.join("assessment.json");
    let assessment = assess_with_progress(
        &image,
        &[],
        iotassay_checks::DEFAULT_MAX_COMPONENT_AGE_YEARS,
        &limits,
        iotassay_checks::Spill::Auto,
    )?;
    std::fs::write(&json, serde_json::to_vec_pretty(&assessment)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    print_assessment(&assessment, false);
    println!("assessment: {}", json.display());
    Ok(ExitCode::SUCCESS)
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    // A bad declaration or format list is reported before the image is read: quicker to fix.
    let formats = args.report.as_deref().map(parse_formats).transpose()?;
    let declaration = args
        .declaration
        .as_deref()
        .map(|file| read_declaration(file).map(|d| (d, file)))
        .transpose()?;
    let spill = match args.spill.as_str() {
        "memory" => iotassay_checks::Spill::Memory,
        "disk" => iotassay_checks::Spill::Disk,
        _ => iotassay_checks::Spill::Auto,
    };
    let mut assessment = assess_with_progress(
        &args.image,
        &args.wordlist,
        args.max_age,
        &args.limits,
        spill,
    )?;
    // The database the user named must open; the default one is used only when it exists.
    let db_path = match args.db.clone() {
        Some(p) => Some(p),
        None => db::default_path().ok().filter(|p| p.is_file()),
    };
    if let Some(path) = db_path {
        if !path.is_file() {
            bail!(
                "{}: no vulnerability database (create it with iotassay db import)",
                path.display()
            );
        }
        let db = iotassay_vulndb::Db::open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        iotassay_checks::attach_vulnerabilities(&mut assessment, &db)
            .map_err(|e| anyhow::anyhow!("matching against {}: {e}", path.display()))?;
    }
    if let Some((d, file)) = declaration {
        // The security.txt it names is read and validated as `declaration check` does; one that
        // cannot be read is said on 5.2-1 and here, not silently skipped.
        let dir = file.parent().unwrap_or(Path::new("."));
        let checked = d.check_security_txt(dir, &iotassay_declaration::securitytxt::Options::now());
        iotassay_checks::attach_declaration(&mut assessment, d);
        if let Some(checked) = checked {
            if checked.report.is_none() {
                eprintln!("warning: {}", checked.summary());
            }
            iotassay_checks::attach_security_txt(&mut assessment, checked);
        }
    }
    let (json, cyclonedx, spdx) = (
        args.json.as_deref(),
        args.sbom.as_deref(),
        args.spdx.as_deref(),
    );
    if let Some(path) = json {
        let text = serde_json::to_vec_pretty(&assessment)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let info = iotassay_sbom::ImageInfo::new(&assessment.input.name, &assessment.input.sha256);
    let sboms = [
        (cyclonedx, iotassay_sbom::cyclonedx as fn(_, _) -> _),
        (spdx, iotassay_sbom::spdx),
    ];
    for (path, render) in sboms {
        if let Some(path) = path {
            let doc = render(&assessment.inventory, &info);
            std::fs::write(path, serde_json::to_vec_pretty(&doc)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let reports = match (&formats, &args.out) {
        (Some(formats), Some(out)) => {
            let mut written = write_reports(&assessment, formats, out)?;
            let path = out.join("assessment.json");
            std::fs::write(&path, serde_json::to_vec_pretty(&assessment)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.insert(0, path);
            written
        }
        _ => Vec::new(),
    };
    print_assessment(&assessment, args.verbose);
    for path in &reports {
        println!("report: {}", path.display());
    }
    if let Some(path) = json {
        println!("assessment: {}", path.display());
    }
    for path in [cyclonedx, spdx].into_iter().flatten() {
        println!("sbom: {}", path.display());
    }
    let contradicted = assessment
        .verdicts
        .provisions
        .iter()
        .any(|p| !p.contradictions.is_empty())
        .then_some(iotassay_checks::Severity::High);
    Ok(match assessment.worst().max(contradicted) {
        Some(worst) if worst >= args.fail_on => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn parse_formats(list: &str) -> Result<Vec<iotassay_report::Format>> {
    iotassay_report::Format::parse_list(list).map_err(|e| anyhow::anyhow!("--report: {e}"))
}

/// Render each format into `out` (created if missing); the paths written, in order.
fn write_reports(
    a: &iotassay_checks::Assessment,
    formats: &[iotassay_report::Format],
    out: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Vec::new();
    for format in formats {
        for file in iotassay_report::render(a, *format) {
            let path = out.join(file.file_name);
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Read and parse a declaration file, with the file name in every error.
fn read_declaration(file: &Path) -> Result<iotassay_declaration::Declaration> {
    let text = read_declaration_text(file)?;
    iotassay_declaration::Declaration::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// A declaration file's text, refused beyond the declaration size bound.
fn read_declaration_text(file: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > iotassay_declaration::MAX_SIZE as u64 {
        bail!(
            "{}: {} bytes is too large for a declaration",
            file.display(),
            meta.len()
        );
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

fn assess_with_progress(
    image: &Path,
    wordlists: &[PathBuf],
    max_component_age_years: u32,
    limits: &Limits,
    spill: iotassay_checks::Spill,
) -> Result<iotassay_checks::Assessment> {
    let mut extra = Vec::new();
    for w in wordlists {
        let text =
            std::fs::read(w).with_context(|| format!("cannot read wordlist {}", w.display()))?;
        extra.extend(
            String::from_utf8_lossy(&text)
                .lines()
                .map(|l| l.trim_end_matches('\r').to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    let options = iotassay_checks::CheckOptions {
        extra_passwords: extra,
        max_component_age_years,
    };
    if !image.is_file() {
        bail!("{} is not a readable file", image.display());
    }
    let bar = spinner();
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    if let Some(bar) = &bar {
        bar.set_message(format!("unpacking and checking {name}"));
    }
    let unpack = Options {
        max_depth: limits.max_depth,
        budget: limits.budget,
        keep_data: true,
        progress: None,
    };
    let assessment = iotassay_checks::assess_file(image, &unpack, &options, spill)
        .with_context(|| format!("cannot assess {}", image.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(assessment)
}

/// The PSTI summary, the verdict counts and every contradicted declaration claim.
fn print_verdicts(v: &iotassay_checks::Verdicts) {
    println!();
    println!(
        "UK PSTI security requirements{}:",
        if v.declaration {
            ""
        } else {
            " (no declaration given: scan --declaration FILE)"
        }
    );
    for p in &v.psti {
        println!("  {:<62} {:<13} {}", p.title, p.verdict.as_str(), p.reason);
    }
    let counts = v.counts();
    let counts: Vec<String> = iotassay_checks::Verdict::ALL
        .iter()
        .filter_map(|k| counts.get(k).map(|n| format!("{n} {k}")))
        .collect();
    println!(
        "EN 303 645 provisions: {} ({})",
        v.provisions.len(),
        counts.join(", ")
    );
    for p in v.provisions.iter().filter(|p| !p.contradictions.is_empty()) {
        for c in &p.contradictions {
            println!(
                "  contradiction on {}: {}; but {}",
                p.id, c.claim, c.evidence
            );
        }
    }
}

fn print_assessment(a: &iotassay_checks::Assessment, verbose: bool) {
    let os = &a.inventory.os;
    let os_line = os
        .pretty_name
        .clone()
        .or_else(|| {
            os.distribution
                .as_ref()
                .map(|d| format!("{d} {}", os.version.as_deref().unwrap_or("")))
        })
        .unwrap_or_else(|| match &os.version {
            Some(v) => format!("{:?} {v}", os.kind),
            None => format!("{:?}", os.kind),
        });
    println!(
        "{} ({} bytes, sha256 {}…)",
        a.input.name,
        a.input.size,
        &a.input.sha256[..16.min(a.input.sha256.len())]
    );
    println!(
        "  system: {os_line}; kernel {}; BusyBox {}",
        os.kernels.first().map(String::as_str).unwrap_or("?"),
        os.busybox.as_deref().unwrap_or("-")
    );
    println!(
        "  unpacked {} structures, {} files; {} ELF binaries; {} accounts; {} boot services; {} components",
        a.unpack
            .regions
            .iter()
            .filter(|r| r.output.is_some())
            .count(),
        a.unpack.stats.files,
        a.inventory.elf.len(),
        a.inventory.accounts.users.len(),
        a.inventory.services.services.len(),
        a.inventory.components.len()
    );
    // What could not be read: "encrypted or unknown format: nothing could be assessed", or the
    // byte ranges nothing decodes.
    if let Some(note) = a.opacity.as_ref().and_then(|o| o.note.as_deref()) {
        println!("  {note}");
    }
    for w in a.unpack.warnings.iter().take(5) {
        eprintln!(
            "  warning: {} @{:#x}: {}",
            w.source,
            w.offset.unwrap_or(0),
            w.reason
        );
    }
    println!();
    println!("UK Code of Practice guidelines (firmware checks only; examined: of its provisions, those the checks could examine):");
    for g in &a.guidelines {
        use iotassay_checks::GuidelineStatus;
        let counts = g.finding_counts().join(", ");
        let examined = || match g.examined.is_empty() {
            true => "none examined".to_string(),
            false => format!("examined {}", g.examined.join(", ")),
        };
        let detail = match (g.status, &g.reason) {
            (GuidelineStatus::Fail, Some(r)) if counts.is_empty() => r.clone(),
            (GuidelineStatus::Fail, _) => counts,
            (GuidelineStatus::NotAssessed, Some(r)) => r.clone(),
            _ if counts.is_empty() => examined(),
            _ => format!("{}; {counts}", examined()),
        };
        println!(
            "  {:>2}. {:<55} {:<15} {:<13} {detail}",
            g.number,
            g.title,
            g.status.as_str(),
            g.coverage_short().unwrap_or_default(),
        );
        if verbose && g.status != GuidelineStatus::NotAssessed {
            if let Some(r) = &g.reason {
                println!("      {r}");
            }
        }
    }
    print_verdicts(&a.verdicts);
    if let Some(t) = &a.security_txt {
        println!("  {}", t.summary());
    }
    println!();
    if a.findings.is_empty() {
        println!("No findings.");
    }
    for f in &a.findings {
        let provisions: Vec<&str> = f.provisions.iter().map(|p| p.as_str()).collect();
        println!(
            "[{}] {} ({}; {})",
            f.severity,
            f.title,
            f.check,
            provisions.join(", ")
        );
        let shown = if verbose { f.evidence.len() } else { 1 };
        for e in f.evidence.iter().take(shown) {
            let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            println!("    at {}{line}", e.path);
            if let Some(text) = &e.text {
                println!("       {}", text.chars().take(160).collect::<String>());
            }
            println!("       from {}", e.provenance);
        }
        if !verbose && f.evidence.len() > 1 {
            println!("    … and {} more places (--verbose)", f.evidence.len() - 1);
        }
    }
    let v = &a.vulnerabilities;
    if v.assessed {
        let kev = v.matches.iter().filter(|m| m.kev).count();
        println!(
            "\nKnown vulnerabilities: {} ({kev} known exploited)",
            v.matches.len()
        );
        let shown = if verbose { v.matches.len() } else { 15 };
        for m in v.matches.iter().take(shown) {
            let score = m
                .cvss
                .as_ref()
                .map(|c| format!("CVSS {} {:.1}", c.version, c.score))
                .unwrap_or_else(|| "no CVSS".into());
            println!(
                "  {:<16} {:<28} {:<14}{}",
                m.cve,
                m.component_label,
                score,
                if m.kev { " KEV" } else { "" }
            );
        }
        if v.matches.len() > shown {
            println!("  … and {} more (--verbose)", v.matches.len() - shown);
        }
    } else if let Some(note) = &v.note {
        println!("\nKnown vulnerabilities: not assessed ({note})");
    }
    println!(
        "\n{} findings in {} ms (unpack {} ms, inventory {} ms, checks {} ms)",
        a.findings.len(),
        a.timings.total_ms,
        a.timings.unpack_ms,
        a.timings.inventory_ms,
        a.timings.checks_ms
    );
}

fn spinner() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

fn provisions(guideline: Option<u8>, psti: bool, firmware: bool, json: bool) -> Result<ExitCode> {
    use iotassay_catalog::{Catalog, GUIDELINES};
    let catalog = Catalog::get_static();
    let selected: Vec<_> = catalog
        .provisions
        .iter()
        .filter(|p| guideline.is_none_or(|g| p.guidelines.contains(&g)))
        .filter(|p| !psti || p.psti.is_some())
        .filter(|p| !firmware || p.firmware_assessable())
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&selected)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(g) = guideline {
        if let Some(info) = GUIDELINES.iter().find(|x| x.number == g) {
            println!("Guideline {g}: {}\n", info.title);
        }
    }
    println!(
        "{:<9} {:<14} {:<14} {:<6} {:<10} SUMMARY",
        "ID", "V2.1.1", "V3.1.3", "CoP", "PSTI"
    );
    for p in &selected {
        let cop = p
            .guidelines
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join("/");
        let psti = match p.psti {
            Some(iotassay_catalog::Psti::Passwords) => "para 1",
            Some(iotassay_catalog::Psti::VulnerabilityReporting) => "para 2",
            Some(iotassay_catalog::Psti::SupportPeriod) => "para 3",
            None => "",
        };
        println!(
            "{:<9} {:<14} {:<14} {:<6} {:<10} {}",
            p.id, p.v2_1_1.raw, p.v3_1_3.raw, cop, psti, p.summary
        );
    }
    println!("\n{} provisions", selected.len());
    Ok(ExitCode::SUCCESS)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
