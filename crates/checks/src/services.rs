//! Boot services and debug interfaces (guideline 6; 5.6-x), and remote logins that meet no
//! password (5.1-1): cleartext remote-login daemons, vendor debug daemons, a shell on the serial
//! console, UPnP and SNMP defaults, daemons run as root and development tools left in the image.
//!
//! Every check reads [`iotassay_inventory::Services`] (what the image starts and how that is
//! shown) and states how sure the start is: shown to start at boot (init link, inittab, boot
//! script) is the full severity; configured but not shown to start (an inetd entry whose inetd
//! start is not visible, a command string inside a vendor program) is one step lower and says so;
//! present but not started is lower again.

use iotassay_inventory::services::{base_name, is_shell, read_text, Enablement};
use iotassay_inventory::{Evidence, PasswordState, Root, Service, StartedBy};

use crate::{Check, Context, Finding, Severity};

/// Most findings one check reports; the rest are summarised in one Info finding.
const MAX_FINDINGS: usize = 200;

/// Severity for a service that is shown to start (`yes`), may start, or is only present.
fn graded(e: Enablement, yes: Severity) -> Severity {
    match (e, yes) {
        (Enablement::Yes, s) => s,
        (Enablement::Unknown, Severity::Critical) => Severity::High,
        (Enablement::Unknown, Severity::High) => Severity::Medium,
        (Enablement::Unknown, _) | (Enablement::No, Severity::Critical | Severity::High) => {
            Severity::Low
        }
        (Enablement::No, _) => Severity::Info,
    }
}

/// How the start is shown, for titles.
fn how(s: &Service) -> String {
    match &s.started_by {
        StartedBy::Inittab { action } => format!("started by inittab ({action})"),
        StartedBy::InitScript {
            script,
            enabled,
            link,
        } => match (enabled, link) {
            (Some(true), Some(l)) => format!("started at boot by {script} (enabled by {l})"),
            (Some(true), None) => format!("started at boot by {script}"),
            (Some(false), _) => format!("has an init script {script} that is not enabled"),
            (None, _) => format!(
                "has an init script {script} (whether it is enabled cannot be told: no rc.d links)"
            ),
        },
        StartedBy::Systemd { unit, enabled } => match enabled {
            Some(true) => format!("started by the enabled systemd unit {unit}"),
            Some(false) => format!("has a systemd unit {unit} that is not enabled"),
            None => format!("has a systemd unit {unit}"),
        },
        StartedBy::Inetd {
            server,
            server_started,
            port,
            ..
        } => {
            if *server_started == Some(true) {
                format!("started by {server} on connection to {port}")
            } else {
                format!(
                    "configured in {server} for {port} (no boot script shown to start {server})"
                )
            }
        }
        StartedBy::BootScript { script, via, .. } => {
            let from = via
                .iter()
                .filter(|v| v.path != *script)
                .map(|v| v.path.as_str())
                .collect::<Vec<_>>();
            let from = if from.is_empty() {
                String::new()
            } else {
                format!(" (reached from {})", from.join(" → "))
            };
            format!("started at boot by {script}{from}{}", when(s))
        }
        StartedBy::Program { binary, launcher } => match launcher {
            Some(l) if l.enablement() == Enablement::Yes => format!(
                "launched by {binary}, which is {} (command string in {binary}; the condition \
                 under which {binary} runs it is inside the program)",
                how(l)
            ),
            _ => format!(
                "launched by {binary} (command string; the condition under which it runs is not \
                 visible)"
            ),
        },
    }
}

/// ` when A and B` for a start that depends on conditions, else nothing.
fn when(s: &Service) -> String {
    let c = s.conditions();
    if c.is_empty() {
        return String::new();
    }
    let words: Vec<&str> = c.iter().map(|c| c.meaning.as_str()).collect();
    format!(" when {}", words.join(" and "))
}

/// The evidence of a service: its start line, the start link for init scripts, the lines that
/// lead to a boot script and the conditions tested, and how a launching program is started.
fn service_evidence(cx: &Context<'_>, s: &Service) -> Vec<Evidence> {
    let mut ev = vec![s.evidence.clone()];
    match &s.started_by {
        StartedBy::BootScript { via, .. } => ev.extend(via.iter().cloned()),
        StartedBy::Program {
            launcher: Some(l), ..
        } => ev.extend(service_evidence(cx, l)),
        _ => {}
    }
    for c in s.conditions() {
        if !ev.contains(&c.evidence) {
            ev.push(c.evidence.clone());
        }
    }
    if let StartedBy::InitScript {
        link: Some(link), ..
    } = &s.started_by
    {
        if let Some(root) = root_of(cx, &s.evidence) {
            let target = root
                .entry(link)
                .and_then(|n| n.link_target.clone())
                .unwrap_or_default();
            ev.push(root.evidence(link, None, None, Some(format!("{link} -> {target}"))));
        }
    }
    ev
}

/// The root holding a piece of evidence.
fn root_of<'a>(cx: &'a Context<'_>, ev: &Evidence) -> Option<&'a Root<'a>> {
    cx.tree
        .roots()
        .iter()
        .find(|r| r.get(&ev.path).is_some_and(|n| n.path == ev.node) || ev.node.is_empty())
        .or_else(|| cx.tree.root())
}

fn cap(mut findings: Vec<Finding>, id: &str, provisions: &[&str]) -> Vec<Finding> {
    if findings.len() > MAX_FINDINGS {
        let more = findings.len() - MAX_FINDINGS;
        findings.truncate(MAX_FINDINGS);
        findings.push(Finding::new(
            id,
            provisions,
            Severity::Info,
            format!("{more} more findings of this check are not listed"),
            "The list was cut to keep the report readable.",
            "Fix the findings above and run the scan again.",
        ));
    }
    findings
}

/// Services of the inventory, first per (program, file).
fn services<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = &'a Service> + 'a {
    cx.inventory.services.services.iter()
}

// ---------------------------------------------------------------------------------------------

/// Cleartext remote-login and file-transfer daemons: telnet, rlogin, rsh/rexec, FTP, TFTP.
pub struct RemoteLogin;

const TELNET: &[&str] = &["telnetd", "utelnetd", "in.telnetd"];
const RLOGIN: &[&str] = &[
    "rlogind",
    "in.rlogind",
    "rshd",
    "in.rshd",
    "rexecd",
    "in.rexecd",
];
const FTP: &[&str] = &[
    "ftpd",
    "in.ftpd",
    "vsftpd",
    "proftpd",
    "pure-ftpd",
    "bftpd",
    "tftpd",
    "in.tftpd",
    "atftpd",
];

/// A password field that the OpenWrt `telnet` script and `login.sh` (and LuCI) read as "no
/// password": empty, `x` or `!` (their test is `${pwd#[\!x]}` / `^root:[!x]\?:`).
fn openwrt_no_password(state: &PasswordState) -> bool {
    match state {
        PasswordState::Empty => true,
        PasswordState::Locked { raw } => raw == "x" || raw == "!",
        _ => false,
    }
}

/// Root's shadow entry (field as written) and its evidence, preferring `etc/shadow`.
fn root_shadow<'a>(cx: &Context<'a>) -> Option<(&'a PasswordState, &'a Evidence)> {
    let entries = &cx.inventory.accounts.shadow;
    entries
        .iter()
        .filter(|(e, _)| e.name == "root")
        .min_by_key(|(_, ev)| ev.path != "etc/shadow")
        .map(|(e, ev)| (&e.password, ev))
}

/// Root's passwd entry field and evidence, preferring `etc/passwd`.
fn root_passwd<'a>(cx: &Context<'a>) -> Option<(&'a PasswordState, &'a Evidence)> {
    cx.inventory
        .accounts
        .users
        .iter()
        .filter(|a| a.name == "root")
        .min_by_key(|a| a.evidence.path != "etc/passwd")
        .map(|a| (&a.passwd_field, &a.evidence))
}

/// A line of `path` in `root` matching `pred`, as evidence.
fn find_line(root: &Root<'_>, path: &str, pred: impl Fn(&str) -> bool) -> Option<(usize, String)> {
    let text = read_text(root.read(path)?)?;
    text.lines()
        .enumerate()
        .find(|(_, l)| pred(l))
        .map(|(i, l)| (i + 1, l.trim().to_string()))
}

fn line_evidence(root: &Root<'_>, path: &str, found: (usize, String)) -> Evidence {
    root.evidence(
        path,
        Some(found.0),
        None,
        Some(iotassay_inventory::services::excerpt(&found.1)),
    )
}

impl RemoteLogin {
    /// OpenWrt ≤ 14.07: `etc/init.d/telnet` starts telnetd exactly when root has no password,
    /// with `-l /bin/login.sh`, which then execs a root shell without asking for one.
    fn openwrt_no_password(&self, cx: &Context<'_>, s: &Service) -> Option<Finding> {
        let StartedBy::InitScript { script, .. } = &s.started_by else {
            return None;
        };
        let root = root_of(cx, &s.evidence)?;
        let login = s.option("-l")?.trim_start_matches('/');
        let condition = find_line(root, script, |l| l.contains("has_root_pwd /etc/shadow"))?;
        let test = find_line(root, login, |l| l.contains("^root:[!x]"))?;
        let shell = find_line(root, login, |l| {
            let t = l.trim_start();
            t.starts_with("exec ") && t.split_whitespace().nth(1).is_some_and(is_shell)
        })?;
        let (shadow_state, shadow_ev) = root_shadow(cx)?;
        if !openwrt_no_password(shadow_state) {
            return None;
        }
        let passwd_ok = root_passwd(cx)
            .is_none_or(|(p, _)| openwrt_no_password(p) || matches!(p, PasswordState::InShadow));
        if !passwd_ok {
            return None;
        }
        let mut f = Finding::new(
            "services.remote_login",
            &["5.1-1", "5.6-5", "5.5-1"],
            graded(s.enablement(), Severity::Critical),
            "telnetd is started at boot while root has no password",
            format!(
                "{script} starts telnetd when root has no password ({}), and root has none in \
                 the image ({}: {}). Its login program /{login} then runs a root shell without \
                 asking for any password, so anyone on the network gets root over cleartext \
                 telnet until a password is set.",
                condition.1,
                shadow_ev.path,
                shadow_ev.text.as_deref().unwrap_or(""),
            ),
            "Ship with a unique per-device root password set at manufacture (or force one to be \
             set before any remote service starts) and remove the telnet service and the \
             password-less login script from the image.",
        );
        for ev in service_evidence(cx, s) {
            f = f.with_evidence(ev);
        }
        f = f
            .with_evidence(line_evidence(root, script, condition))
            .with_evidence(shadow_ev.clone())
            .with_evidence(line_evidence(root, login, test))
            .with_evidence(line_evidence(root, login, shell));
        Some(f)
    }

    /// A login-capable account with an empty password, for a daemon that uses `login`.
    fn empty_password_account<'a>(cx: &Context<'a>) -> Option<&'a iotassay_inventory::Account> {
        cx.inventory
            .accounts
            .users
            .iter()
            .find(|a| a.login_capable && a.password == PasswordState::Empty)
    }
}

impl Check for RemoteLogin {
    fn id(&self) -> &'static str {
        "services.remote_login"
    }
    fn title(&self) -> &'static str {
        "Cleartext remote-login and file-transfer daemons (telnet, rlogin/rsh, FTP, TFTP)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1", "5.5-1", "5.6-5"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for s in services(cx) {
            let telnet = TELNET.contains(&s.program.as_str());
            let rlogin = RLOGIN.contains(&s.program.as_str());
            let ftp = FTP.contains(&s.program.as_str());
            if !(telnet || rlogin || ftp) {
                continue;
            }
            if telnet {
                if let Some(f) = self.openwrt_no_password(cx, s) {
                    out.push(f);
                    continue;
                }
            }
            let e = s.enablement();
            let login = s.option("-l").or_else(|| s.option("-L"));
            let mut f = if telnet && login.is_some_and(is_shell) {
                Finding::new(
                    self.id(),
                    &["5.1-1", "5.6-5", "5.5-1"],
                    graded(e, Severity::Critical),
                    format!("{} gives a shell without login ({})", s.program, how(s)),
                    format!(
                        "`{}` runs {} instead of a login program: anyone who reaches the port \
                         gets a shell with the daemon's privileges, with no password at all.",
                        s.command,
                        login.unwrap_or("a shell")
                    ),
                    "Remove the telnet daemon from the boot sequence; if a remote console is \
                     needed, use SSH with per-device credentials or keys.",
                )
            } else if let (true, Some(acct)) = (
                telnet || rlogin,
                Self::empty_password_account(cx).filter(|_| e != Enablement::No),
            ) {
                let mut f = Finding::new(
                    self.id(),
                    &["5.1-1", "5.6-5", "5.5-1"],
                    graded(e, Severity::Critical),
                    format!(
                        "{} is {} while account {} has an empty password",
                        s.program,
                        how(s),
                        acct.name
                    ),
                    format!(
                        "{} asks for a login, but {} has an empty password field, which \
                         login(1) accepts without asking: anyone on the network logs in as {}.",
                        s.program, acct.name, acct.name
                    ),
                    format!(
                        "Set a unique per-device password for {} at manufacture (or force a \
                         change on first use) and remove the {} service.",
                        acct.name, s.program
                    ),
                );
                f = f.with_evidence(acct.shadow.clone().unwrap_or_else(|| acct.evidence.clone()));
                f
            } else {
                let kind = if telnet {
                    "telnet sends credentials and the session in cleartext"
                } else if rlogin {
                    "rlogin/rsh/rexec trust host names or send passwords in cleartext"
                } else if s.program.contains("tftp") {
                    "TFTP has no authentication at all"
                } else {
                    "FTP sends credentials in cleartext"
                };
                Finding::new(
                    self.id(),
                    &["5.6-5", "5.5-1"],
                    graded(e, Severity::High),
                    format!("{} {}", s.program, how(s)),
                    format!(
                        "{kind}; a consumer device should not expose it (`{}`).",
                        s.command
                    ),
                    format!(
                        "Remove {} from the image or from the boot sequence; use SSH/SFTP with \
                         per-device credentials where remote access is needed.",
                        s.program
                    ),
                )
            };
            for ev in service_evidence(cx, s).into_iter().rev() {
                f.evidence.insert(0, ev);
            }
            if let Some(user) = &s.user {
                f.rationale.push_str(&format!(" It runs as {user}."));
            }
            out.push(f);
        }
        cap(out, self.id(), self.provisions())
    }
}

// ---------------------------------------------------------------------------------------------

/// Remote logins (SSH, the LuCI web login) that accept an account with no password.
pub struct EmptyPasswordLogin;

impl Check for EmptyPasswordLogin {
    fn id(&self) -> &'static str {
        "services.empty_password_login"
    }
    fn title(&self) -> &'static str {
        "SSH or web logins that accept an account with no password"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let empty: Vec<&iotassay_inventory::Account> = cx
            .inventory
            .accounts
            .users
            .iter()
            .filter(|a| a.login_capable && a.password == PasswordState::Empty)
            .collect();
        // dropbear: blank passwords are refused unless started with -B.
        for s in services(cx).filter(|s| s.program == "dropbear") {
            let Some(acct) = empty.first() else { break };
            let acct_ev = acct.shadow.clone().unwrap_or_else(|| acct.evidence.clone());
            let mut f = if s.has_flag('B') {
                Finding::new(
                    self.id(),
                    &["5.1-1"],
                    graded(s.enablement(), Severity::Critical),
                    format!(
                        "dropbear allows blank passwords (-B) and {} has an empty password",
                        acct.name
                    ),
                    "dropbear's -B option accepts a login with an empty password field: anyone \
                     on the network logs in over SSH with no credential.",
                    format!(
                        "Remove -B from the dropbear command line and set a unique per-device \
                         password for {} (or force a change on first use).",
                        acct.name
                    ),
                )
            } else {
                Finding::new(
                    self.id(),
                    &["5.1-1"],
                    Severity::Info,
                    format!(
                        "dropbear is started without -B while {} has an empty password",
                        acct.name
                    ),
                    "Upstream dropbear refuses a blank password unless started with -B, which \
                     this command line does not pass, so SSH does not let this account in \
                     without a password; the empty password itself is reported by the password \
                     checks. (A vendor-patched dropbear could behave otherwise.)",
                    "Set a unique per-device password at manufacture or force a change on first \
                     use.",
                )
            };
            for ev in service_evidence(cx, s) {
                f = f.with_evidence(ev);
            }
            if let Some(root) = root_of(cx, &s.evidence) {
                for opt in ["PasswordAuth", "RootPasswordAuth"] {
                    if let Some(l) = find_line(root, "etc/config/dropbear", |l| {
                        l.trim_start().starts_with("option")
                            && l.contains(opt)
                            && l.split_whitespace().nth(1) == Some(opt)
                    }) {
                        f = f.with_evidence(line_evidence(root, "etc/config/dropbear", l));
                    }
                }
            }
            out.push(f.with_evidence(acct_ev));
        }
        // LuCI: `user.checkpasswd` accepts any password when the stored field is empty, `x` or
        // `!` (`getpasswd` returns nil for those and `checkpasswd` tests `pwh == nil or …`).
        let web = services(cx).find(|s| {
            matches!(
                s.program.as_str(),
                "uhttpd" | "lighttpd" | "httpd" | "nginx"
            ) && s.enablement() == Enablement::Yes
        });
        if let Some((web, root)) = web.and_then(|w| Some((w, root_of(cx, &w.evidence)?))) {
            let sys = "usr/lib/lua/luci/sys.lua";
            let check = find_line(root, sys, |l| l.contains("pwh == nil or"));
            let get = find_line(root, sys, |l| l.contains("#pwh < 1") && l.contains("\"x\""));
            if let (Some(check), Some(get), Some((state, shadow_ev))) =
                (check, get, root_shadow(cx))
            {
                if openwrt_no_password(state) {
                    let mut f = Finding::new(
                        self.id(),
                        &["5.1-1"],
                        Severity::Critical,
                        "the LuCI web login accepts any password for root, which has none",
                        format!(
                            "{} serves LuCI at boot; LuCI's user.getpasswd treats an empty, `x` \
                             or `!` password field as no password and user.checkpasswd then \
                             accepts any password. Root's field is `{}`, so anyone on the \
                             network logs in to the web administration as root.",
                            web.program,
                            shadow_ev.text.as_deref().unwrap_or("")
                        ),
                        "Set a unique per-device root password at manufacture (or force one to \
                         be set before the web interface accepts logins).",
                    );
                    for ev in service_evidence(cx, web) {
                        f = f.with_evidence(ev);
                    }
                    f = f
                        .with_evidence(line_evidence(root, sys, get))
                        .with_evidence(line_evidence(root, sys, check))
                        .with_evidence(shadow_ev.clone());
                    out.push(f);
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------

/// Debug and factory-test daemons: what each is, to say so in findings.
const DEBUG_DAEMONS: &[(&str, &str)] = &[
    ("adbd", "the Android Debug Bridge daemon, which gives a shell to any adb client"),
    ("gdbserver", "a remote debugger stub that lets a network client control a process"),
    (
        "tddp",
        "TP-Link's Device Debug Protocol daemon (UDP 1040), a factory debug service that \
         published research shows accepting configuration and commands without authentication",
    ),
    (
        "mp_daemon",
        "Realtek's MP (manufacturing test) daemon, a factory RF test service driven over the network",
    ),
    (
        "ated",
        "MediaTek's ATE (factory RF calibration and test) daemon, driven over the LAN",
    ),
    (
        "ated_tp",
        "TP-Link's build of MediaTek's ATE (factory RF calibration and test) daemon, driven over the LAN",
    ),
    (
        "telnetenable",
        "Netgear's telnet-unlock daemon, which starts telnetd on a magic packet",
    ),
];

/// Debug daemons (adbd, gdbserver, TP-Link tddp, factory test daemons) started or present.
pub struct DebugDaemon;

impl Check for DebugDaemon {
    fn id(&self) -> &'static str {
        "services.debug_daemon"
    }
    fn title(&self) -> &'static str {
        "Debug and factory-test daemons started at boot or present in the image"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-4", "5.6-4A", "5.6-5"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut reported = std::collections::HashSet::new();
        for s in services(cx) {
            let Some((name, what)) = DEBUG_DAEMONS.iter().find(|(n, _)| *n == s.program) else {
                continue;
            };
            if !reported.insert(name.to_string()) {
                continue;
            }
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                graded(s.enablement(), Severity::High),
                format!("debug daemon {name} {}", how(s)),
                format!(
                    "{name} is {what}. A debug interface reachable on a production device \
                     bypasses its authentication (`{}`).",
                    s.command
                ),
                format!(
                    "Remove {name} from production images, or build it only into factory \
                     images; never start it in user mode."
                ),
            );
            for ev in service_evidence(cx, s) {
                f = f.with_evidence(ev);
            }
            out.push(f);
        }
        // Present but not started.
        for root in cx.tree.roots().iter().take(1) {
            for file in root.files() {
                let name = base_name(file.path);
                let Some((_, what)) = DEBUG_DAEMONS.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                if !reported.insert(name.to_string()) {
                    continue;
                }
                let f = Finding::new(
                    self.id(),
                    self.provisions(),
                    Severity::Low,
                    format!("debug daemon {name} is present but not shown to be started"),
                    format!(
                        "{name} is {what}. No boot script, unit or program in the image was \
                         seen starting it, but it can be started by anyone with a shell."
                    ),
                    format!("Remove {name} from production images."),
                )
                .with_evidence(root.evidence(file.path, None, None, None));
                out.push(f);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------

/// A shell on the serial console without a login.
pub struct ConsoleShell;

impl Check for ConsoleShell {
    fn id(&self) -> &'static str {
        "services.console_shell"
    }
    fn title(&self) -> &'static str {
        "Root shell on the serial console without login"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-4", "5.6-4A"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let Some(ev) = &cx.inventory.services.console_shell else {
            return Vec::new();
        };
        vec![Finding::new(
            self.id(),
            self.provisions(),
            Severity::Medium,
            "the serial console gives a root shell without asking for a password",
            format!(
                "inittab runs a shell on a console ({}) with no login: anyone with access to \
                 the board's UART gets root, a debug interface left open in software.",
                ev.text.as_deref().unwrap_or("")
            ),
            "Run a login (`getty`/`login`, or OpenWrt's `/usr/libexec/login.sh`) on the console \
             instead of a shell, with a per-device password, or disable the console in \
             production builds.",
        )
        .with_evidence(ev.clone())]
    }
}

// ---------------------------------------------------------------------------------------------

/// UPnP IGD daemons and their secure mode.
pub struct Upnp;

impl Check for Upnp {
    fn id(&self) -> &'static str {
        "services.upnp"
    }
    fn title(&self) -> &'static str {
        "UPnP port-mapping daemon started, and its secure mode"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-5"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let upnp: Vec<&Service> = services(cx)
            .filter(|s| matches!(s.program.as_str(), "miniupnpd" | "upnpd"))
            .filter(|s| s.enablement() != Enablement::No)
            .collect();
        for s in &upnp {
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Info,
                format!("UPnP daemon {} {}", s.program, how(s)),
                "A UPnP Internet Gateway Device daemon lets programs on the LAN open ports on \
                 the WAN side; this is a fact to weigh against the device's intended use.",
                "Disable UPnP by default, or enable its secure mode so a client can only map \
                 ports to itself.",
            );
            for ev in service_evidence(cx, s) {
                f = f.with_evidence(ev);
            }
            out.push(f);
        }
        let Some(root) = cx.tree.root() else {
            return out;
        };
        for (path, pred) in [
            (
                "etc/config/upnpd",
                (|l: &str| {
                    let t = l.trim();
                    t.starts_with("option") && t.contains("secure_mode") && {
                        let v = t.rsplit(char::is_whitespace).next().unwrap_or("");
                        matches!(v.trim_matches(['\'', '"']), "0" | "no" | "off" | "false")
                    }
                }) as fn(&str) -> bool,
            ),
            ("etc/miniupnpd.conf", |l: &str| {
                let t = l.trim().replace(' ', "");
                t == "secure_mode=no" || t == "secure_mode=0"
            }),
            ("etc/miniupnpd/miniupnpd.conf", |l: &str| {
                let t = l.trim().replace(' ', "");
                t == "secure_mode=no" || t == "secure_mode=0"
            }),
        ] {
            if let Some(found) = find_line(root, path, pred) {
                out.push(
                    Finding::new(
                        self.id(),
                        self.provisions(),
                        Severity::Medium,
                        "UPnP secure mode is off",
                        "With secure mode off, any LAN host (or malware on it) can map WAN ports \
                         to any other LAN host, exposing devices that never asked for it.",
                        "Turn secure_mode on (miniupnpd: `secure_mode=yes`; OpenWrt: `option \
                         secure_mode '1'`), or disable UPnP by default.",
                    )
                    .with_evidence(line_evidence(root, path, found)),
                );
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------

/// SNMP with the default communities `public`/`private`.
pub struct SnmpCommunity;

const SNMP_FILES: &[&str] = &[
    "etc/snmp/snmpd.conf",
    "etc/snmpd.conf",
    "usr/share/snmp/snmpd.conf",
    "etc/config/snmpd",
    "etc/default/snmpd.conf",
];

/// The default community a configuration line names, if any.
fn default_community(line: &str) -> Option<&'static str> {
    let t = line.trim();
    if t.starts_with('#') {
        return None;
    }
    let words: Vec<&str> = t
        .split_whitespace()
        .map(|w| w.trim_matches(['\'', '"']))
        .collect();
    let key = *words.first()?;
    let value = match key {
        "rocommunity" | "rwcommunity" | "rocommunity6" | "rwcommunity6" => words.get(1)?,
        "com2sec" | "com2sec6" => words.get(3)?,
        "option" if words.get(1).is_some_and(|k| k.contains("community")) => words.get(2)?,
        _ => return None,
    };
    match *value {
        "public" => Some("public"),
        "private" => Some("private"),
        _ => None,
    }
}

impl Check for SnmpCommunity {
    fn id(&self) -> &'static str {
        "services.snmp_community"
    }
    fn title(&self) -> &'static str {
        "SNMP with the default community public or private"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1", "5.6-5"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(root) = cx.tree.root() else {
            return out;
        };
        for path in SNMP_FILES {
            let Some(text) = root.read(path).and_then(read_text) else {
                continue;
            };
            for (i, line) in text.lines().enumerate().take(100_000) {
                let Some(community) = default_community(line) else {
                    continue;
                };
                let write = line.contains("rwcommunity") || line.contains("rw");
                out.push(
                    Finding::new(
                        self.id(),
                        self.provisions(),
                        Severity::High,
                        format!("SNMP community `{community}` is configured in {path}"),
                        format!(
                            "`{community}` is the universal default SNMP community, the same on \
                             every unit: anyone who can reach the agent reads{} the device's \
                             management data with it.",
                            if write { " and possibly writes" } else { "" }
                        ),
                        "Disable SNMP by default, or use SNMPv3 users with per-device \
                         credentials; never ship `public`/`private` communities.",
                    )
                    .with_evidence(line_evidence(
                        root,
                        path,
                        (i + 1, line.to_string()),
                    )),
                );
            }
        }
        cap(out, self.id(), self.provisions())
    }
}

// ---------------------------------------------------------------------------------------------

/// Daemons configured (inetd, xinetd, systemd) to run as root.
pub struct RootDaemons;

impl Check for RootDaemons {
    fn id(&self) -> &'static str {
        "services.root_user"
    }
    fn title(&self) -> &'static str {
        "Network daemons configured to run as root (inetd, xinetd, systemd, boa.conf)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-7"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for s in services(cx) {
            if s.user.as_deref() != Some("root") || s.enablement() == Enablement::No {
                continue;
            }
            let (what, default) = match &s.started_by {
                StartedBy::Inetd { server, .. } => (server.as_str(), false),
                StartedBy::Systemd { .. } => ("systemd", true),
                _ => continue,
            };
            // Login daemons must start as root to switch users; still worth knowing.
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Low,
                format!("{} runs as root ({})", s.program, how(s)),
                format!(
                    "{what} starts {} as root{}; a flaw in it gives the attacker the whole \
                     device. (Login daemons need root to switch users; others do not.)",
                    s.program,
                    if default {
                        " (no User= in the unit)"
                    } else {
                        ""
                    }
                ),
                format!(
                    "Run {} as a dedicated unprivileged user (inetd's user field, systemd's \
                     User=) with only the capabilities it needs.",
                    s.program
                ),
            );
            f = f.with_evidence(s.evidence.clone());
            out.push(f);
        }
        // Web servers whose own configuration keeps root (`User root` in boa.conf).
        for s in services(cx) {
            if s.enablement() == Enablement::No || !matches!(s.program.as_str(), "boa") {
                continue;
            }
            let Some(root) = root_of(cx, &s.evidence) else {
                continue;
            };
            let conf = s
                .option("-c")
                .map(|d| format!("{}/boa.conf", d.trim_matches('/')))
                .into_iter()
                .chain(["etc/boa/boa.conf".to_string(), "etc/boa.conf".to_string()])
                .find(|p| root.get(p).is_some());
            let Some(conf) = conf else { continue };
            let Some(found) = find_line(root, &conf, |l| {
                let mut w = l.split_whitespace();
                w.next() == Some("User") && matches!(w.next(), Some("root" | "0"))
            }) else {
                continue;
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Low,
                format!("{} runs as root ({})", s.program, how(s)),
                format!(
                    "{conf} tells {} to keep running as root (`{}`) instead of switching to an \
                     unprivileged user after binding its port: a flaw in the web server or its \
                     CGI programs gives the attacker the whole device.",
                    s.program, found.1
                ),
                format!(
                    "Set `User` in {conf} to a dedicated unprivileged account (boa switches to \
                     it after binding the port)."
                ),
            );
            f = f.with_evidence(line_evidence(root, &conf, found));
            for ev in service_evidence(cx, s) {
                f = f.with_evidence(ev);
            }
            out.push(f);
            if out.len() > MAX_FINDINGS {
                break;
            }
        }
        cap(out, self.id(), self.provisions())
    }
}

// ---------------------------------------------------------------------------------------------

/// Development tools left in the image.
pub struct DevTools;

const DEV_TOOLS: &[(&str, &str)] = &[
    ("gdb", "a debugger"),
    ("gdbserver", "a remote debugger stub"),
    ("strace", "a system-call tracer"),
    ("ltrace", "a library-call tracer"),
    ("tcpdump", "a packet capture tool"),
];

impl Check for DevTools {
    fn id(&self) -> &'static str {
        "services.dev_tools"
    }
    fn title(&self) -> &'static str {
        "Development and debugging tools left in the image (gdb, strace, tcpdump, nc -e)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-6"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(root) = cx.tree.root() else {
            return out;
        };
        for dir in [
            "bin",
            "sbin",
            "usr/bin",
            "usr/sbin",
            "usr/local/bin",
            "usr/local/sbin",
        ] {
            for (name, what) in DEV_TOOLS {
                let path = format!("{dir}/{name}");
                if root.entry(&path).is_none() {
                    continue;
                }
                out.push(
                    Finding::new(
                        self.id(),
                        self.provisions(),
                        Severity::Low,
                        format!("{name} ({what}) is left in the image"),
                        "Debugging tools help an attacker who gains a foothold inspect and \
                         manipulate processes and traffic; production images should carry only \
                         what the product needs.",
                        format!("Remove {name} from production builds."),
                    )
                    .with_evidence(root.evidence(&path, None, None, None)),
                );
            }
            // netcat with -e runs a program on a connection: a ready-made remote shell.
            let nc = format!("{dir}/nc");
            if let Some(node) = root.get(&nc) {
                let data = node.data.as_deref().unwrap_or(&[]);
                let needles: [&[u8]; 3] = [
                    b"-e PROG",
                    b"Run PROG after connect",
                    b"program to exec after connect",
                ];
                if let Some((offset, needle)) = needles.iter().find_map(|n| {
                    memchr::memmem::find(data, n).map(|o| (o, String::from_utf8_lossy(n)))
                }) {
                    out.push(
                        Finding::new(
                            self.id(),
                            self.provisions(),
                            Severity::Low,
                            "netcat with -e (run a program on a connection) is in the image",
                            format!(
                                "{nc} supports -e, which turns any connection into a remote \
                                 shell for whoever can run it."
                            ),
                            "Build BusyBox without NC_SERVER/NC_EXTRA (or remove nc) in \
                             production images.",
                        )
                        .with_evidence(root.evidence(
                            &nc,
                            None,
                            Some(offset as u64),
                            Some(needle.into_owned()),
                        )),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests;
