//! `iotassay probe HOST`: arguments and printing; the work is in `crates/probe`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use iotassay_probe::{AuthVerdict, Options, ScopeRules, UdpService};

#[derive(Args)]
pub struct ProbeArgs {
    /// The device: one IP address or a host name resolving to one address (a range only with --cidr).
    host: String,
    /// TCP ports to inventory: `23,80,8000-8100` (default: the built-in IoT list).
    #[arg(long)]
    ports: Option<String>,
    /// UDP services as NAME=PORT, comma-separated (default: snmp=161,ssdp=1900; `none` for none).
    #[arg(long, value_delimiter = ',')]
    udp: Vec<String>,
    /// Credential attempts per service, the wrong-password control included.
    #[arg(long, default_value_t = iotassay_probe::auth::DEFAULT_BUDGET)]
    budget: usize,
    /// Attempts in flight per service.
    #[arg(long, default_value_t = iotassay_probe::auth::DEFAULT_PARALLEL)]
    parallel: usize,
    /// Extra credentials to try first, `user:password` per line (e.g. what a firmware scan found).
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// No login attempts at all (inventory, TLS, SSH algorithms, discovery only).
    #[arg(long)]
    no_login: bool,
    /// Connections open at once.
    #[arg(long, default_value_t = 64)]
    max_open: usize,
    /// New connections per second at most (0 = unlimited).
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Stop after this many seconds per address and report what finished.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Accept ADDR/PREFIX and probe every address of it (at most a /24).
    #[arg(long)]
    cidr: bool,
    /// Accept a host name that resolves to several addresses and probe them all.
    #[arg(long)]
    all_addresses: bool,
    /// The manufacturer's declaration: a listening service it omits is a contradiction.
    #[arg(long)]
    declaration: Option<PathBuf>,
    /// A firmware assessment of the same product (`iotassay scan --json`): services the firmware
    /// starts but the device does not expose, and the reverse, are reported.
    #[arg(long)]
    assessment: Option<PathBuf>,
    /// Write the probe report (versioned JSON, see docs/probe.md) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Exit with 1 when a finding has at least this severity.
    #[arg(long, default_value = "high")]
    fail_on: iotassay_checks::Severity,
    /// Show every attempt.
    #[arg(short, long)]
    verbose: bool,
}

pub fn run(args: ProbeArgs) -> Result<ExitCode> {
    let addresses = iotassay_probe::resolve(
        &args.host,
        ScopeRules {
            all_addresses: args.all_addresses,
            cidr: args.cidr,
        },
    )
    .map_err(anyhow::Error::msg)?;
    let declaration = args
        .declaration
        .as_deref()
        .map(crate::read_declaration)
        .transpose()?;
    let services = match &args.assessment {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(
                iotassay_probe::merge::services_from_assessment(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            )
        }
        None => None,
    };
    let mut options = Options::default();
    if let Some(list) = &args.ports {
        options.tcp_ports =
            iotassay_probe::ports::parse_list(list).map_err(|e| anyhow::anyhow!("--ports: {e}"))?;
    }
    if !args.udp.is_empty() {
        options.udp.clear();
        for u in &args.udp {
            if u == "none" {
                continue;
            }
            let (name, port) = u
                .split_once('=')
                .context("--udp takes NAME=PORT (snmp=161, ssdp=1900)")?;
            let port: u16 = port
                .parse()
                .with_context(|| format!("bad port in --udp {u}"))?;
            let service = match name {
                "snmp" => UdpService::Snmp,
                "ssdp" => UdpService::Ssdp,
                _ => bail!("unknown UDP service {name:?} (snmp, ssdp)"),
            };
            options.udp.push((service, port));
        }
    }
    options.max_open = args.max_open;
    options.rate = args.rate;
    options.total_timeout = Duration::from_secs(args.timeout.max(1));
    options.creds.budget = args.budget;
    options.creds.parallel = args.parallel.max(1);
    options.creds.skip = args.no_login;
    if let Some(p) = &args.credentials {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        options.creds.extra =
            iotassay_probe::auth::parse_cred_list(&text, &p.display().to_string())
                .map_err(anyhow::Error::msg)?;
    }

    eprintln!(
        "probing {} ({}): {} TCP port(s), UDP {}; at most {} credential attempt(s) per service, {} connection(s) open, {}/s",
        args.host,
        addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
        options.tcp_ports.len(),
        if options.udp.is_empty() {
            "none".to_string()
        } else {
            options
                .udp
                .iter()
                .map(|(s, p)| format!("{}/{p}", if *s == UdpService::Snmp { "snmp" } else { "ssdp" }))
                .collect::<Vec<_>>()
                .join(",")
        },
        if args.no_login { 0 } else { options.creds.budget },
        options.max_open,
        options.rate
    );
    let mut report =
        iotassay_probe::run(&args.host, &addresses, &options).map_err(anyhow::Error::msg)?;
    if services.is_some() || declaration.is_some() {
        iotassay_probe::merge::attach(&mut report, services.as_ref(), declaration.as_ref());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    print(&report, args.verbose);
    let worst = report.findings.iter().map(|f| f.severity).max();
    Ok(if worst.is_some_and(|w| w >= args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(r: &iotassay_probe::ProbeReport, verbose: bool) {
    for h in &r.hosts {
        println!("{}  ({} ms)", h.address, h.elapsed_ms);
        for p in &h.ports {
            println!(
                "  tcp/{:<5} {:<8} {}{}",
                p.port,
                p.service.as_str(),
                p.product.as_deref().unwrap_or(""),
                p.banner
                    .as_deref()
                    .map(|b| format!("  [{}: {}]", p.by, b.chars().take(60).collect::<String>()))
                    .unwrap_or_default()
            );
        }
        for c in &h.auth {
            let v = match &c.verdict {
                AuthVerdict::NoAuthentication => "NO AUTHENTICATION".to_string(),
                AuthVerdict::AcceptsAnyCredential => "ACCEPTS ANY CREDENTIAL".to_string(),
                AuthVerdict::DefaultCredential { cred } => format!(
                    "DEFAULT CREDENTIAL {}/{} ({})",
                    cred.user, cred.password, cred.source
                ),
                AuthVerdict::Refused { tried } => {
                    format!("refused {tried} default(s) (control refused)")
                }
                AuthVerdict::Inconclusive { reason } => format!("inconclusive: {reason}"),
                AuthVerdict::NotTested { reason } => format!("not tested: {reason}"),
            };
            println!(
                "  login {}/{}: {v}  ({} attempt(s), {} ms)",
                c.protocol,
                c.port,
                c.attempts.len(),
                c.elapsed_ms
            );
            if verbose {
                for a in &c.attempts {
                    println!(
                        "      {:?} {} → {:?}: {}",
                        a.role,
                        a.cred
                            .as_ref()
                            .map(|c| format!("{}/{}", c.user, c.password))
                            .unwrap_or_default(),
                        a.outcome,
                        a.detail
                    );
                }
            }
        }
        for (port, t) in &h.tls {
            println!(
                "  tls/{port}: accepts {}",
                if t.accepted.is_empty() {
                    "nothing".into()
                } else {
                    t.accepted.join(", ")
                }
            );
        }
        for (port, s) in &h.ssh {
            let key = s
                .host_key
                .as_ref()
                .map(|k| match k.bits {
                    Some(b) => format!(", host key {} {b}-bit {}", k.algorithm, k.fingerprint),
                    None => format!(", host key {} {}", k.algorithm, k.fingerprint),
                })
                .unwrap_or_default();
            println!(
                "  ssh/{port}: {} ({} weak algorithm(s){key})",
                s.banner,
                s.weak.len()
            );
        }
        for n in &h.notes {
            println!("  note: {n}");
        }
    }
    if let Some(c) = &r.comparison {
        for s in c
            .started_not_exposed
            .iter()
            .chain(&c.exposed_not_started)
            .chain(&c.undeclared)
        {
            println!("  compare: {s}");
        }
    }
    println!("findings ({}):", r.findings.len());
    for f in &r.findings {
        println!(
            "  [{:<8}] {:<28} {}  ({})",
            f.severity,
            f.check,
            f.title,
            f.provisions
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("done in {} ms", r.elapsed_ms);
}
