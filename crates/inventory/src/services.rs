//! What the image starts at boot: programs launched by inittab, rc/init.d scripts (SysV and
//! OpenWrt procd), systemd units, inetd/xinetd and rc.local, and whether a shell is given on the
//! serial console. Later checks decide which of these are risky (telnetd, debug daemons…).
//!
//! Shell scripts are read with a small purpose-built reader rather than a shell parser crate: the
//! only question is "which programs does this line start", asked of hostile, often malformed,
//! vendor scripts, so the reader tokenises each logical line (quotes, `;`, `&&`, `|`, `$( )`,
//! backticks), drops shell keywords and helpers, resolves `$VAR` from the script's own top-level
//! assignments and recognises the launcher idioms (`start-stop-daemon -x`, `service_start`,
//! `procd_set_param command`, `busybox APPLET`). Boot scripts are followed as the shell would
//! run them — sourced files, functions where they are called, scripts run by path or bare name,
//! `/etc/profile` of a console login shell — keeping the `if`/`case`/`&&`/`||` conditions around
//! each start ([`Condition`]; see `walk`). It never executes anything; depth, files, lines and
//! line length are bounded.
//!
//! Vendor firmware often starts its daemons from a monolithic program (TP-Link's `cos`, Broadcom's
//! `cfm`) rather than from scripts; for those, command strings embedded in ELF files
//! (`"tddp &"`, `"dropbear -p %d …"`) are recorded as [`StartedBy::Program`]: started at boot
//! when the program itself is (its launcher kept), under a condition inside the program.

use std::collections::{BTreeMap, HashMap, HashSet};

use iotassay_unpack::NodeKind;
use serde::{Deserialize, Serialize};

use crate::tree::{FileTree, Root};
use crate::Evidence;

/// Scripts and configuration files bigger than this are skipped (noted).
pub const MAX_SCRIPT: usize = 1 << 20;
/// ELF files bigger than this are not searched for command strings.
const MAX_PROGRAM_SCAN: usize = 16 << 20;
/// Most services recorded per image.
const MAX_SERVICES: usize = 2000;
/// Longest excerpt kept as evidence text (characters).
pub const MAX_EXCERPT: usize = 160;
/// Lines read per script at most.
const MAX_LINES: usize = 50_000;

/// How a program is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum StartedBy {
    /// An `/etc/inittab` entry (`sysinit`, `respawn`, `askfirst`…), with its action.
    Inittab { action: String },
    /// A SysV or OpenWrt init script; `enabled` tells whether a start link (`rc.d/S*`,
    /// `rcS.d`) points to it, `None` when the image has no such links to tell. `link` is the
    /// start link found.
    InitScript {
        script: String,
        enabled: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
    },
    /// A systemd unit; `enabled` from `*.wants/` links.
    Systemd { unit: String, enabled: Option<bool> },
    /// An inetd or xinetd entry (started on connection to `port`). `server_started` is
    /// `Some(true)` when a boot script, inittab or unit starts the super-server itself, `None`
    /// when nothing in the image shows it being started.
    Inetd {
        port: String,
        protocol: String,
        #[serde(default)]
        server: String,
        #[serde(default)]
        server_started: Option<bool>,
    },
    /// `rc.local`, `rcS`, `/etc/profile` or another shell script run at boot, reached through
    /// `via` (the lines that lead to it from the boot entry, outermost first: an inittab line,
    /// the `telnetd.sh` line of `/etc/profile`…) and started only when every one of `conditions`
    /// holds (none: unconditionally).
    BootScript {
        script: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        via: Vec<Evidence>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
    },
    /// A command string inside a program or library (`"tddp &"` in TP-Link's `cos`): the program
    /// launches it under conditions the firmware does not show. `launcher` is how the program
    /// itself is started at boot, when the image shows it (then the launch happens at boot).
    Program {
        binary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        launcher: Option<Box<Service>>,
    },
}

/// A test a start depends on: the `if`, `case`, `&&` or `||` around it, as written and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// What must hold, in words: `the flash setting ENABLE_ECFLAG is 0`.
    pub meaning: String,
    /// The line that tests it (`if [ "$ENABLE_ECFLAG" = '0' ]; then`).
    pub evidence: Evidence,
}

/// Whether a start is shown to happen at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enablement {
    /// Started at boot (inittab, an enabled script or unit, a boot script, an inetd entry whose
    /// super-server is started).
    Yes,
    /// Configured to start but whether it does could not be decided from the image.
    Unknown,
    /// A start script or unit is present but not enabled.
    No,
}

/// One program started at boot or on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Base name of the program (`telnetd`, `dropbear`, `tddp`), applet names resolved through
    /// BusyBox links where the script calls `busybox telnetd`.
    pub program: String,
    /// The command line as written (variables of the script resolved), at most
    /// [`MAX_EXCERPT`] characters.
    pub command: String,
    /// The program's path as written (`/usr/sbin/telnetd`) or its bare name.
    #[serde(default)]
    pub path: String,
    /// Arguments after the program, as tokenised.
    #[serde(default)]
    pub args: Vec<String>,
    pub started_by: StartedBy,
    /// The user it runs as, when the configuration says (`root` for inetd's user field…).
    pub user: Option<String>,
    /// Where the start is written.
    pub evidence: Evidence,
}

impl Service {
    /// Whether the start is shown to happen.
    pub fn enablement(&self) -> Enablement {
        match &self.started_by {
            StartedBy::Inittab { .. } | StartedBy::BootScript { .. } => Enablement::Yes,
            StartedBy::InitScript { enabled, .. } | StartedBy::Systemd { enabled, .. } => {
                match enabled {
                    Some(true) => Enablement::Yes,
                    Some(false) => Enablement::No,
                    None => Enablement::Unknown,
                }
            }
            StartedBy::Inetd { server_started, .. } => match server_started {
                Some(true) => Enablement::Yes,
                _ => Enablement::Unknown,
            },
            StartedBy::Program { launcher, .. } => match launcher {
                Some(l) if l.enablement() == Enablement::Yes => Enablement::Yes,
                _ => Enablement::Unknown,
            },
        }
    }

    /// The conditions the start depends on (outermost first), and for a launch by a program the
    /// conditions of the program's own start.
    pub fn conditions(&self) -> &[Condition] {
        match &self.started_by {
            StartedBy::BootScript { conditions, .. } => conditions,
            StartedBy::Program {
                launcher: Some(l), ..
            } => l.conditions(),
            _ => &[],
        }
    }

    /// The value of option `flag` (`-l` → `/bin/sh`), from [`Service::args`].
    pub fn option(&self, flag: &str) -> Option<&str> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == flag {
                return it.next().map(String::as_str);
            }
            if let Some(rest) = a.strip_prefix(flag) {
                if !rest.is_empty() && flag.len() == 2 {
                    return Some(rest);
                }
            }
        }
        None
    }

    /// Whether `flag` appears among the arguments (alone or in a bundle like `-FB`).
    pub fn has_flag(&self, flag: char) -> bool {
        self.args.iter().any(|a| {
            a.strip_prefix('-')
                .is_some_and(|r| !r.starts_with('-') && r.contains(flag))
        })
    }
}

/// Interface kinds a boot service reveals: (kind, programs that provide it, words a manufacturer's
/// declaration would use for it). Shared by the firmware verdicts and the live probe's comparison,
/// so a service means the same interface whichever way it was seen.
pub const INTERFACE_KINDS: &[(&str, &[&str], &[&str])] = &[
    (
        "telnet",
        &["telnetd", "utelnetd", "in.telnetd"],
        &["telnet"],
    ),
    (
        "SSH",
        &["dropbear", "sshd"],
        &["ssh", "dropbear", "sftp", "scp"],
    ),
    (
        "FTP",
        &["ftpd", "vsftpd", "proftpd", "pure-ftpd", "bftpd", "tftpd"],
        &["ftp"],
    ),
    (
        "web server",
        &[
            "httpd",
            "uhttpd",
            "lighttpd",
            "nginx",
            "boa",
            "goahead",
            "mini_httpd",
            "thttpd",
        ],
        &["http", "web"],
    ),
    ("UPnP", &["miniupnpd", "upnpd"], &["upnp", "ssdp"]),
    ("SNMP", &["snmpd"], &["snmp"]),
    ("RTSP", &["rtspd", "live555"], &["rtsp"]),
    ("MQTT broker", &["mosquitto"], &["mqtt"]),
    ("ADB", &["adbd"], &["adb"]),
    (
        "TP-Link debug protocol (tddp)",
        &["tddp"],
        &["tddp", "debug"],
    ),
];

/// The kind of remote-access interface (of [`INTERFACE_KINDS`]) a boot service's program provides
/// (`telnetd` → telnet), or `None` for programs that serve no network interface of their own.
pub fn network_service_kind(program: &str) -> Option<&'static str> {
    INTERFACE_KINDS
        .iter()
        .find(|(_, programs, _)| programs.contains(&program))
        .map(|(kind, _, _)| *kind)
}

/// Everything started at boot, and the serial console's login policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Services {
    pub services: Vec<Service>,
    /// An inittab line that gives a shell on a console without a login prompt
    /// (`ttyS0::respawn:/bin/sh`, `::askfirst:-/bin/ash` with no `login`).
    pub console_shell: Option<Evidence>,
    /// Scripts or configs that could not be read as expected.
    pub notes: Vec<String>,
}

impl Services {
    /// Services whose program is `name` (exact base name).
    pub fn started<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Service> + 'a {
        self.services.iter().filter(move |s| s.program == name)
    }
}

/// Find what the image starts, in every root file system (best root first).
pub fn collect(tree: &FileTree<'_>) -> Services {
    let mut out = Services::default();
    for root in tree.roots() {
        let mut c = Collector::new(root);
        c.run();
        if out.console_shell.is_none() {
            out.console_shell = c.console_shell;
        }
        out.services.extend(c.services);
        out.notes.extend(c.notes);
        if out.services.len() >= MAX_SERVICES {
            out.services.truncate(MAX_SERVICES);
            out.notes.push(format!(
                "more than {MAX_SERVICES} services: the rest are not listed"
            ));
            break;
        }
    }
    out
}

/// Shorten a line for evidence: trimmed, at most [`MAX_EXCERPT`] characters.
pub fn excerpt(line: &str) -> String {
    let t = line.trim();
    match t.char_indices().nth(MAX_EXCERPT) {
        None => t.to_string(),
        Some((end, _)) => format!("{}…", &t[..end]),
    }
}

/// Text of a file of sensible size that is not binary, else `None`.
pub fn read_text(data: &[u8]) -> Option<String> {
    if data.len() > MAX_SCRIPT || data.starts_with(b"\x7fELF") {
        return None;
    }
    if data[..data.len().min(8192)].contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(data).into_owned())
}

/// Logical lines of a shell script: 1-based number of the first physical line, the text with
/// backslash continuations joined and comments removed.
pub fn shell_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().take(MAX_LINES).enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(body) = raw.strip_suffix('\\') {
            acc.push_str(body);
            acc.push(' ');
            if acc.len() < 64 * 1024 {
                pending = Some((start, acc));
                continue;
            }
        } else {
            acc.push_str(raw);
        }
        let code = strip_comment(&acc);
        if !code.trim().is_empty() {
            out.push((start, code.to_string()));
        }
    }
    if let Some((start, acc)) = pending {
        let code = strip_comment(&acc);
        if !code.trim().is_empty() {
            out.push((start, code.to_string()));
        }
    }
    out
}

/// The line without a trailing `# comment` (a `#` that starts a word outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if c == q && !(q == '"' && prev == Some('\\')) {
                    quote = None;
                }
            }
            None => {
                if (c == '\'' || c == '"') && prev != Some('\\') {
                    quote = Some(c);
                } else if c == '#' && prev.is_none_or(|p| p.is_whitespace() || p == ';') {
                    return &line[..i];
                }
            }
        }
        prev = Some(c);
    }
    line
}

/// Simple commands of a logical line: split on `;`, `&&`, `||`, `|`, `&`, parentheses, braces,
/// backticks and `$(`, outside quotes; each command as words with quotes removed.
pub fn simple_commands(line: &str) -> Vec<Vec<String>> {
    joined_commands(line).into_iter().map(|(_, w)| w).collect()
}

/// What joins a simple command to the one before it on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joiner {
    /// The first command, or one after `;`, `&`, a parenthesis, brace or substitution.
    Sequence,
    /// After `&&`: runs only when the previous command succeeded.
    And,
    /// After `||`: runs only when the previous command failed.
    Or,
    /// After `|`.
    Pipe,
}

/// [`simple_commands`] with the [`Joiner`] before each command.
pub fn joined_commands(line: &str) -> Vec<(Joiner, Vec<String>)> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut joiner = Joiner::Sequence;
    let mut chars = line.chars().peekable();
    let flush_word = |word: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    // Ends the current command; the next one is joined by `next`.
    let end = |words: &mut Vec<String>,
               commands: &mut Vec<(Joiner, Vec<String>)>,
               joiner: &mut Joiner,
               next: Joiner| {
        if !words.is_empty() {
            commands.push((*joiner, std::mem::take(words)));
        }
        *joiner = next;
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            } else if (c == '`' || (c == '$' && chars.peek() == Some(&'('))) && q == '"' {
                // Command substitution inside double quotes: a separate command.
                if c == '$' {
                    chars.next();
                }
                flush_word(&mut word, &mut words, &mut in_word);
                end(&mut words, &mut commands, &mut joiner, Joiner::Sequence);
                quote = None;
            } else {
                word.push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                in_word = true;
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    word.push(n);
                    in_word = true;
                }
            }
            ' ' | '\t' => flush_word(&mut word, &mut words, &mut in_word),
            ';' | '&' | '|' | '(' | ')' | '{' | '}' | '`' => {
                if c == '(' && word == "$" {
                    word.clear();
                    in_word = false;
                }
                if (c == '{' || c == '}') && in_word {
                    // `${VAR}` or a brace inside a word.
                    word.push(c);
                    continue;
                }
                flush_word(&mut word, &mut words, &mut in_word);
                let next = match c {
                    '&' if chars.peek() == Some(&'&') => {
                        chars.next();
                        Joiner::And
                    }
                    '|' if chars.peek() == Some(&'|') => {
                        chars.next();
                        Joiner::Or
                    }
                    '&' => {
                        if !words.is_empty() {
                            words.push("&".into());
                        }
                        Joiner::Sequence
                    }
                    '|' => Joiner::Pipe,
                    _ => Joiner::Sequence,
                };
                end(&mut words, &mut commands, &mut joiner, next);
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                flush_word(&mut word, &mut words, &mut in_word);
                end(&mut words, &mut commands, &mut joiner, Joiner::Sequence);
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
    }
    flush_word(&mut word, &mut words, &mut in_word);
    end(&mut words, &mut commands, &mut joiner, Joiner::Sequence);
    commands
}

/// Shell keywords and prefixes that come before the command word.
const PREFIXES: &[&str] = &[
    "if",
    "then",
    "else",
    "elif",
    "do",
    "while",
    "until",
    "!",
    "exec",
    "nohup",
    "time",
    "command",
    "setsid",
    "nice",
    "chroot_exec",
    "sudo",
];

/// Programs that are not services: utilities a script runs and that end at once.
const NOT_SERVICES: &[&str] = &[
    "[",
    "[[",
    "test",
    "echo",
    "printf",
    "true",
    "false",
    ":",
    "cat",
    "cp",
    "mv",
    "rm",
    "ln",
    "mkdir",
    "rmdir",
    "chmod",
    "chown",
    "chgrp",
    "touch",
    "mount",
    "umount",
    "insmod",
    "rmmod",
    "modprobe",
    "sleep",
    "usleep",
    "ifconfig",
    "route",
    "ip",
    "brctl",
    "iptables",
    "ip6tables",
    "ebtables",
    "xtables-multi",
    "sysctl",
    "grep",
    "egrep",
    "fgrep",
    "sed",
    "awk",
    "cut",
    "tr",
    "head",
    "tail",
    "sort",
    "uniq",
    "wc",
    "xargs",
    "find",
    "basename",
    "dirname",
    "kill",
    "killall",
    "pidof",
    "ps",
    "date",
    "hostname",
    "sync",
    "dd",
    "tar",
    "gzip",
    "gunzip",
    "ls",
    "df",
    "du",
    "free",
    "uname",
    "expr",
    "seq",
    "tee",
    "stty",
    "mknod",
    "mdev",
    "logger",
    "export",
    "local",
    "set",
    "unset",
    "shift",
    "return",
    "exit",
    "source",
    ".",
    "read",
    "wait",
    "trap",
    "ulimit",
    "umask",
    "cd",
    "pwd",
    "eval",
    "case",
    "esac",
    "for",
    "fi",
    "done",
    "in",
    "uci",
    "nvram",
    "lock",
    "ubus",
    "mtd",
    "fw_printenv",
    "fw_setenv",
    "iwpriv",
    "iwconfig",
    "vconfig",
    "ethtool",
    "swconfig",
    "wifi",
    "sh",
    "ash",
    "bash",
    "hush",
    "msh",
    "dash",
    "busybox",
    "env",
    "which",
    "chpasswd",
    "passwd",
    "md5sum",
    "sha256sum",
    "hexdump",
    "od",
    "strings",
    "readlink",
    "realpath",
    "mktemp",
    "flock",
    "start-stop-daemon",
    "service",
    "systemctl",
    "rc.common",
    "login",
    "getty",
    "reboot",
    "halt",
    "poweroff",
    "swapon",
    "swapoff",
    "hwclock",
    "dmesg",
    "klogd_ctl",
    "setterm",
    "clear",
    "vi",
    "less",
    "more",
    "wget",
    "curl",
    "tftp",
    "ping",
    "ping6",
    "arp",
    "nslookup",
    "ln",
    "mkfs",
    "jffs2reset",
    "firstboot",
    "ldconfig",
    "depmod",
    "lsmod",
    "udevadm",
    "fsck",
    "e2fsck",
    "reset",
    "init",
    "ifup",
    "ifdown",
    "mount_root",
    "kmodloader",
    "reload_config",
    "validate_data",
    "board_detect",
    "px5g",
    "dropbearkey",
    "ssh-keygen",
    "traceroute",
    "sysupgrade",
    "fw3",
    "ipcalc",
    "openssl",
    "config_foreach",
    "procd_open_instance",
];

/// Shells (a console process that is one of these gives a shell without login).
pub const SHELLS: &[&str] = &[
    "sh", "ash", "bash", "hush", "msh", "dash", "zsh", "ksh", "mksh",
];

/// Folders searched for a bare command name.
const PATH_DIRS: &[&str] = &[
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "usr/local/bin",
    "usr/local/sbin",
];

/// Base name of a path.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a program name is a shell.
pub fn is_shell(program: &str) -> bool {
    SHELLS.contains(&base_name(program).trim_start_matches('-'))
}

/// One start found in a script, before it becomes a [`Service`].
struct Start {
    program: String,
    path: String,
    args: Vec<String>,
    command: String,
}

struct Collector<'r, 'm> {
    root: &'r Root<'m>,
    services: Vec<Service>,
    console_shell: Option<Evidence>,
    notes: Vec<String>,
    /// (program, source file) already recorded.
    seen: HashSet<(String, String)>,
    /// Scripts (with their arguments) and functions already walked as boot scripts.
    parsed: HashSet<String>,
    /// Boot-script lines walked (bounded by [`walk::MAX_STEPS`]).
    steps: usize,
}

impl<'r, 'm> Collector<'r, 'm> {
    fn new(root: &'r Root<'m>) -> Self {
        Collector {
            root,
            services: Vec::new(),
            console_shell: None,
            notes: Vec::new(),
            seen: HashSet::new(),
            parsed: HashSet::new(),
            steps: 0,
        }
    }

    fn run(&mut self) {
        self.inittab();
        for rc in [
            "etc/init.d/rcS",
            "etc/rcS",
            "etc/rc.local",
            "etc/rc.d/rc.local",
            "etc/init.d/rc.local",
            "etc/rc.d/rcS",
        ] {
            if !self.walked(rc) {
                self.run_script(rc, &[], &walk::Ctx::default());
            }
        }
        self.init_scripts();
        self.systemd();
        let started = |name: &str| self.services.iter().any(|x| x.program == name);
        let (inetd, xinetd) = (started("inetd"), started("xinetd"));
        self.inetd(inetd);
        self.xinetd(xinetd);
        self.programs();
    }

    /// Whether the script `path` was walked already (with any arguments).
    fn walked(&self, path: &str) -> bool {
        let Ok(canonical) = self.root.canonical(path) else {
            return false;
        };
        let key = format!("{canonical}\0");
        self.parsed.iter().any(|k| k.starts_with(&key))
    }

    /// How the program at `binary` (root-relative) is itself started, preferring a start shown
    /// to happen at boot.
    fn launcher(&self, binary: &str) -> Option<Service> {
        let (dir, name) = binary.rsplit_once('/')?;
        self.services
            .iter()
            .filter(|s| {
                s.program == name
                    && match s.path.strip_prefix('/') {
                        Some(abs) => abs == binary,
                        None => s.path == name && PATH_DIRS.contains(&dir),
                    }
            })
            .min_by_key(|s| s.enablement() != Enablement::Yes)
            .cloned()
    }

    fn text(&mut self, path: &str) -> Option<String> {
        let node = self.root.get(path)?;
        if !matches!(node.kind, NodeKind::File | NodeKind::Payload) {
            return None;
        }
        let data = node.data.as_deref()?;
        let text = read_text(data);
        if text.is_none() {
            self.notes.push(format!(
                "{path}: not a text file under {} KiB; not read",
                MAX_SCRIPT >> 10
            ));
        }
        text
    }

    fn evidence(&self, path: &str, line: usize, text: &str) -> Evidence {
        self.root
            .evidence(path, Some(line), None, Some(excerpt(text)))
    }

    fn push(&mut self, start: Start, started_by: StartedBy, user: Option<String>, ev: Evidence) {
        if self.services.len() >= MAX_SERVICES {
            return;
        }
        if !self.seen.insert((start.program.clone(), ev.path.clone())) {
            return;
        }
        self.services.push(Service {
            program: start.program,
            command: excerpt(&start.command),
            path: start.path,
            args: start.args,
            started_by,
            user,
            evidence: ev,
        });
    }

    /// Whether a command word names a program in this root (a path, or a name found in the
    /// usual `PATH` folders) that is not a plain utility.
    fn plausible(&self, word: &str) -> bool {
        if word.is_empty()
            || word.len() > 256
            || word.starts_with(['$', '-', '='])
            || word.contains(['=', '*', '?', '[', ']', '<', '>', '\'', '"', '`', '{', '}'])
        {
            return false;
        }
        let base = base_name(word);
        if base.is_empty() || NOT_SERVICES.contains(&base) || base.ends_with(".sh") {
            return false;
        }
        if word.contains('/') {
            // A path must name a file of the image (a script may test for absent ones).
            return !word.starts_with("/etc/init.d/")
                && !word.starts_with("/etc/rc")
                && word.starts_with('/')
                && self.root.entry(word).is_some();
        }
        PATH_DIRS
            .iter()
            .any(|d| self.root.entry(&format!("{d}/{word}")).is_some())
    }

    /// The program a simple command starts, if any.
    fn start_of(&self, words: &[String], vars: &HashMap<String, String>) -> Option<Start> {
        let words: Vec<String> = words.iter().map(|w| expand(w, vars)).collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_str();
            if PREFIXES.contains(&w) || is_assignment(w) {
                i += 1;
                continue;
            }
            break;
        }
        let rest = words.get(i..)?;
        let first = rest.first()?.as_str();
        let command = rest.join(" ");
        let (path, args): (&str, &[String]) = match base_name(first) {
            "start-stop-daemon" => {
                if rest
                    .iter()
                    .any(|a| a == "-K" || a == "--stop" || a == "--status" || a == "-T")
                {
                    return None;
                }
                let mut exec = None;
                let mut j = 1;
                while j < rest.len() {
                    match rest[j].as_str() {
                        "-x" | "--exec" | "-a" | "--startas" => {
                            if exec.is_none() || matches!(rest[j].as_str(), "-a" | "--startas") {
                                exec = rest.get(j + 1).map(String::as_str);
                            }
                            j += 1;
                        }
                        "--" => break,
                        _ => {}
                    }
                    j += 1;
                }
                let after = rest
                    .iter()
                    .position(|a| a == "--")
                    .map_or(&rest[rest.len()..], |p| &rest[p + 1..]);
                (exec?, after)
            }
            "service_start" => (rest.get(1)?.as_str(), rest.get(2..).unwrap_or(&[])),
            "procd_set_param" => {
                if rest.get(1).map(String::as_str) != Some("command") {
                    return None;
                }
                (rest.get(2)?.as_str(), rest.get(3..).unwrap_or(&[]))
            }
            _ => (first, &rest[1..]),
        };
        let (path, args, applet) = if base_name(path) == "busybox" {
            (args.first()?.as_str(), args.get(1..).unwrap_or(&[]), true)
        } else {
            (path, args, false)
        };
        // A BusyBox applet needs no file of its own.
        let plausible = if applet {
            !path.is_empty()
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                && !NOT_SERVICES.contains(&path)
        } else {
            self.plausible(path)
        };
        if !plausible {
            return None;
        }
        let args: Vec<String> = args.iter().filter(|a| *a != "&").cloned().collect();
        Some(Start {
            program: base_name(path).to_string(),
            path: path.to_string(),
            args,
            command,
        })
    }

    fn inittab(&mut self) {
        let path = "etc/inittab";
        if self.root.entry(path).is_none() {
            self.busybox_default_inittab();
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        for (n, line) in text.lines().take(MAX_LINES).enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut f = t.splitn(4, ':');
            let (Some(id), Some(_runlevels), Some(action), Some(process)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let action = action.trim();
            if matches!(
                action,
                "shutdown" | "ctrlaltdel" | "restart" | "initdefault" | "powerfail" | "powerwait"
            ) {
                continue;
            }
            let process = process.trim();
            let words: Vec<String> = simple_commands(process)
                .into_iter()
                .next()
                .unwrap_or_default();
            let Some(first) = words.first() else {
                continue;
            };
            let program_path = first.trim_start_matches('-');
            let program = base_name(program_path);
            let args: Vec<String> = words[1..].to_vec();
            let ev = self.evidence(path, n + 1, t);
            // A shell on a console, or a getty/login that skips authentication.
            let interactive = matches!(
                action,
                "respawn" | "askfirst" | "askconsole" | "once" | "wait" | "boot" | "bootwait"
            );
            let shell_without_login = is_shell(program)
                || (program.ends_with("getty")
                    && args.iter().any(|a| a == "-n")
                    && args.windows(2).any(|w| w[0] == "-l" && is_shell(&w[1])))
                || (program == "login" && args.iter().any(|a| a == "-f"));
            if interactive && shell_without_login && self.console_shell.is_none() {
                let _ = id;
                self.console_shell = Some(ev.clone());
            }
            let ctx = walk::Ctx {
                conditions: console_condition(action, &ev),
                via: vec![ev.clone()],
                depth: 0,
            };
            // The script a line runs (`::sysinit:/etc/init.d/rcS S boot`, `::respawn:/bin/sh
            // /etc/start.sh`) stands for itself in the list through the programs it starts.
            let shell = is_shell(program);
            let script = if shell {
                args.iter().position(|a| !a.starts_with('-'))
            } else {
                None
            };
            let script_path = match script {
                Some(k) => Some(args[k].as_str()),
                None if !shell => Some(program_path),
                None => None,
            };
            if let Some(rel) = script_path.and_then(|p: &str| self.script_file(p, shell)) {
                let script_args = match script {
                    Some(k) => args[k + 1..].to_vec(),
                    None => args.clone(),
                };
                self.run_script(&rel, &script_args, &ctx);
                if !shell {
                    continue;
                }
            } else if shell && is_login_shell(first, &args) {
                // A login shell reads /etc/profile.
                self.run_script("etc/profile", &[], &ctx);
            }
            self.push(
                Start {
                    program: program.to_string(),
                    path: program_path.to_string(),
                    args,
                    command: process.to_string(),
                },
                StartedBy::Inittab {
                    action: action.to_string(),
                },
                None,
                ev,
            );
        }
    }

    /// With no `/etc/inittab`, BusyBox init runs its built-in table: `/etc/init.d/rcS` (read by
    /// [`Collector::run`]) and a login shell on the console (`::askfirst:-/bin/sh`), which reads
    /// `/etc/profile`.
    fn busybox_default_inittab(&mut self) {
        let init = "sbin/init";
        let Some(node) = self.root.entry(init) else {
            return;
        };
        let target = node.link_target.as_deref().unwrap_or("");
        if node.kind != NodeKind::Symlink || base_name(target) != "busybox" {
            return;
        }
        let ev = self.root.evidence(
            init,
            None,
            None,
            Some(format!(
                "{init} -> {target}, no etc/inittab: BusyBox init runs its built-in \
                 ::askfirst:-/bin/sh (a login shell on the console)"
            )),
        );
        if self.root.entry("bin/sh").is_some() && self.console_shell.is_none() {
            self.console_shell = Some(ev.clone());
        }
        let ctx = walk::Ctx {
            conditions: console_condition("askfirst", &ev),
            via: vec![ev],
            depth: 0,
        };
        self.run_script("etc/profile", &[], &ctx);
    }

    /// Init scripts in `etc/init.d` and scripts placed directly in `rc?.d` folders.
    fn init_scripts(&mut self) {
        let rc_dirs = [
            "etc/rc.d",
            "etc/rcS.d",
            "etc/rc0.d",
            "etc/rc1.d",
            "etc/rc2.d",
            "etc/rc3.d",
            "etc/rc4.d",
            "etc/rc5.d",
            "etc/rc6.d",
        ];
        let any_rc_dir = rc_dirs.iter().any(|d| self.root.contains(d));
        // Start links: target base name (or link name without `S##`) → link path.
        let mut starts: BTreeMap<String, String> = BTreeMap::new();
        let mut direct: Vec<String> = Vec::new();
        let mut scripts: Vec<String> = Vec::new();
        for f in self.root.files() {
            let Some((dir, name)) = f.path.rsplit_once('/') else {
                continue;
            };
            if dir == "etc/init.d" {
                if matches!(f.node.kind, NodeKind::File | NodeKind::Hardlink) {
                    scripts.push(f.path.to_string());
                }
                continue;
            }
            if !rc_dirs.contains(&dir)
                || !name.starts_with('S')
                || dir == "etc/rc0.d"
                || dir == "etc/rc6.d"
            {
                continue;
            }
            if f.node.kind == NodeKind::Symlink {
                let target = f.node.link_target.as_deref().unwrap_or("");
                starts
                    .entry(base_name(target).to_string())
                    .or_insert_with(|| f.path.to_string());
            } else if f.node.kind == NodeKind::File {
                direct.push(f.path.to_string());
            }
        }
        let rcs_runs_s = self.rcs_runs_s_scripts();
        for script in scripts {
            let name = base_name(&script).to_string();
            if matches!(
                name.as_str(),
                "rcS" | "rcK" | "rc" | "rc.local" | "functions" | "README" | "skeleton"
            ) {
                continue;
            }
            let (enabled, link) = if let Some(link) = starts.get(&name) {
                (Some(true), Some(link.clone()))
            } else if is_sysv_start_name(&name) && rcs_runs_s {
                (Some(true), None)
            } else if any_rc_dir {
                (Some(false), None)
            } else {
                (None, None)
            };
            self.init_script(&script, enabled, link);
        }
        for script in direct {
            self.init_script(&script, Some(true), None);
        }
    }

    /// Whether an `rcS` runs `/etc/init.d/S*` (BusyBox-style boot).
    fn rcs_runs_s_scripts(&self) -> bool {
        ["etc/init.d/rcS", "etc/rcS", "etc/init.d/rc"]
            .iter()
            .any(|p| {
                self.root
                    .read(p)
                    .and_then(read_text)
                    .is_some_and(|t| t.contains("/etc/init.d/S"))
            })
    }

    /// Programs an init script starts: launcher idioms anywhere, plain commands outside stop
    /// functions and `stop)` branches.
    fn init_script(&mut self, path: &str, enabled: Option<bool>, link: Option<String>) {
        let Some(text) = self.text(path) else {
            return;
        };
        let vars = assignments(&text);
        let mut function: Option<String> = None;
        let mut depth: i32 = 0;
        let mut branch: Option<String> = None;
        for (n, line) in shell_lines(&text) {
            let t = line.trim();
            if let Some(name) = function_name(t) {
                function = Some(name);
                depth = 0;
            }
            if let Some(pattern) = case_pattern(t) {
                branch = Some(pattern);
            }
            let stopping = function.as_deref().is_some_and(is_stop_name)
                || branch
                    .as_deref()
                    .is_some_and(|b| b.split('|').any(|p| is_stop_name(p.trim())));
            if !stopping {
                for words in simple_commands(&line) {
                    if let Some(start) = self.start_of(&words, &vars) {
                        let ev = self.evidence(path, n, &line);
                        self.push(
                            start,
                            StartedBy::InitScript {
                                script: path.to_string(),
                                enabled,
                                link: link.clone(),
                            },
                            None,
                            ev,
                        );
                    }
                }
            }
            if function.is_some() {
                depth += t.matches('{').count() as i32 - t.matches('}').count() as i32;
                if depth <= 0 && t.contains('}') {
                    function = None;
                }
            }
            if t.ends_with(";;") || t == ";;" {
                branch = None;
            }
        }
    }

    fn systemd(&mut self) {
        let unit_dirs = [
            "etc/systemd/system",
            "lib/systemd/system",
            "usr/lib/systemd/system",
        ];
        let mut units: Vec<String> = Vec::new();
        let mut wanted: HashSet<String> = HashSet::new();
        let mut any_wants = false;
        for f in self.root.files() {
            let Some((dir, name)) = f.path.rsplit_once('/') else {
                continue;
            };
            if unit_dirs.contains(&dir)
                && name.ends_with(".service")
                && f.node.kind == NodeKind::File
            {
                units.push(f.path.to_string());
            }
            if (dir.ends_with(".wants") || dir.ends_with(".requires"))
                && unit_dirs.iter().any(|d| dir.starts_with(d))
            {
                any_wants = true;
                wanted.insert(name.to_string());
            }
        }
        for unit_path in units {
            let unit = base_name(&unit_path).to_string();
            let template = unit.split_once('@').map(|(a, _)| format!("{a}@"));
            let is_wanted = wanted.contains(&unit)
                || template
                    .as_ref()
                    .is_some_and(|t| wanted.iter().any(|w| w.starts_with(t.as_str())));
            let enabled = if is_wanted {
                Some(true)
            } else if any_wants {
                Some(false)
            } else {
                None
            };
            let Some(text) = self.text(&unit_path) else {
                continue;
            };
            let mut user = None;
            let mut execs = Vec::new();
            let mut section = String::new();
            for (n, line) in text.lines().take(MAX_LINES).enumerate() {
                let t = line.trim();
                if t.starts_with('[') {
                    section = t.to_string();
                    continue;
                }
                if section != "[Service]" {
                    continue;
                }
                if let Some(v) = t.strip_prefix("User=") {
                    user = Some(v.trim().to_string());
                } else if let Some(v) = t.strip_prefix("ExecStart=") {
                    let v = v.trim().trim_start_matches(['-', '@', ':', '+', '!']);
                    execs.push((n + 1, t.to_string(), v.to_string()));
                }
            }
            for (n, line, exec) in execs {
                let words = simple_commands(&exec)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let Some(first) = words.first() else { continue };
                let (path, args) = if base_name(first) == "busybox" && words.len() > 1 {
                    (words[1].clone(), words[2..].to_vec())
                } else {
                    (first.clone(), words[1..].to_vec())
                };
                let ev = self.evidence(&unit_path, n, &line);
                self.push(
                    Start {
                        program: base_name(&path).to_string(),
                        path,
                        args,
                        command: exec,
                    },
                    StartedBy::Systemd {
                        unit: unit.clone(),
                        enabled,
                    },
                    Some(user.clone().unwrap_or_else(|| "root".into())),
                    ev,
                );
            }
        }
    }

    fn inetd(&mut self, server_started: bool) {
        let path = "etc/inetd.conf";
        let Some(text) = self.text(path) else {
            return;
        };
        for (n, line) in text.lines().take(MAX_LINES).enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = t.split_whitespace().collect();
            if f.len() < 6 {
                self.notes
                    .push(format!("{path}:{}: fewer than six fields; skipped", n + 1));
                continue;
            }
            let server = f[5];
            if server == "internal" {
                continue;
            }
            // `tcpd` wraps the real server, named by argv[0] (the next field).
            let (prog_path, args) = if base_name(server) == "tcpd" || base_name(server) == "busybox"
            {
                match f.get(6) {
                    Some(p) => (*p, f.get(7..).unwrap_or(&[])),
                    None => (server, &[][..]),
                }
            } else {
                (server, f.get(7..).unwrap_or(&[]))
            };
            let user = f[4].split(['.', ':']).next().unwrap_or(f[4]).to_string();
            let ev = self.evidence(path, n + 1, t);
            self.push(
                Start {
                    program: base_name(prog_path).to_string(),
                    path: prog_path.to_string(),
                    args: args.iter().map(|s| s.to_string()).collect(),
                    command: f[5..].join(" "),
                },
                StartedBy::Inetd {
                    port: f[0].to_string(),
                    protocol: f[2].to_string(),
                    server: "inetd".into(),
                    server_started: server_started.then_some(true),
                },
                Some(user),
                ev,
            );
        }
    }

    fn xinetd(&mut self, server_started: bool) {
        let mut files: Vec<String> = self
            .root
            .files()
            .filter(|f| {
                f.path
                    .strip_prefix("etc/xinetd.d/")
                    .is_some_and(|n| !n.contains('/'))
                    && f.node.kind == NodeKind::File
            })
            .map(|f| f.path.to_string())
            .collect();
        if self.root.contains("etc/xinetd.conf") {
            files.insert(0, "etc/xinetd.conf".into());
        }
        for path in files {
            let Some(text) = self.text(&path) else {
                continue;
            };
            let mut current: Option<XinetdBlock> = None;
            for (n, line) in text.lines().take(MAX_LINES).enumerate() {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                if let Some(name) = t.strip_prefix("service ") {
                    current = Some((
                        name.trim().trim_end_matches('{').trim().to_string(),
                        n + 1,
                        BTreeMap::new(),
                    ));
                    continue;
                }
                if t.starts_with('}') {
                    if let Some((name, start, kv)) = current.take() {
                        self.xinetd_service(&path, &name, start, &kv, server_started);
                    }
                    continue;
                }
                if let Some((_, _, kv)) = current.as_mut() {
                    if let Some((k, v)) = t.split_once('=') {
                        let k = k.trim().trim_end_matches(['+', '-']).trim();
                        kv.insert(k.to_string(), (v.trim().to_string(), n + 1));
                    }
                }
            }
        }
    }

    fn xinetd_service(
        &mut self,
        path: &str,
        name: &str,
        start: usize,
        kv: &BTreeMap<String, (String, usize)>,
        server_started: bool,
    ) {
        let get = |k: &str| kv.get(k).map(|(v, _)| v.as_str());
        if get("disable").is_some_and(|d| d.eq_ignore_ascii_case("yes")) {
            self.notes
                .push(format!("{path}:{start}: xinetd service {name} is disabled"));
            return;
        }
        let Some((server, line)) = kv.get("server") else {
            return;
        };
        let args: Vec<String> = get("server_args")
            .map(|a| a.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let ev = self.evidence(path, *line, &format!("server = {server}"));
        self.push(
            Start {
                program: base_name(server).to_string(),
                path: server.clone(),
                command: std::iter::once(server.clone())
                    .chain(args.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" "),
                args,
            },
            StartedBy::Inetd {
                port: get("port").unwrap_or(name).to_string(),
                protocol: get("protocol")
                    .or_else(|| get("socket_type"))
                    .unwrap_or("")
                    .to_string(),
                server: "xinetd".into(),
                server_started: server_started.then_some(true),
            },
            Some(get("user").unwrap_or("root").to_string()),
            ev,
        );
    }

    /// Command strings inside ELF programs and libraries that start a program of this root
    /// (`"tddp &"`, `"dropbear -p %d -r %s"`), for programs not started otherwise.
    fn programs(&mut self) {
        // Executables of the root that are not BusyBox applets, by name.
        let mut names: HashSet<String> = HashSet::new();
        for f in self.root.files() {
            let Some((dir, name)) = f.path.rsplit_once('/') else {
                continue;
            };
            if !PATH_DIRS.contains(&dir) || name.len() < 3 || NOT_SERVICES.contains(&name) {
                continue;
            }
            let to_busybox = f.node.kind == NodeKind::Symlink
                && f.node
                    .link_target
                    .as_deref()
                    .is_some_and(|t| base_name(t) == "busybox");
            if !to_busybox && !is_shell(name) {
                names.insert(name.to_string());
            }
        }
        let started: HashSet<String> = self.services.iter().map(|s| s.program.clone()).collect();
        let mut found: Vec<(String, String, u64, String)> = Vec::new();
        for f in self.root.files() {
            if f.node.kind != NodeKind::File {
                continue;
            }
            let Some(data) = f.node.data.as_deref() else {
                continue;
            };
            if !data.starts_with(b"\x7fELF") || data.len() > MAX_PROGRAM_SCAN {
                continue;
            }
            let own = base_name(f.path);
            for (offset, s) in c_strings(data) {
                let Some(program) = command_string_program(s, &names) else {
                    continue;
                };
                // Help text of the program itself is not a launch.
                if program == own || own.starts_with(program) || started.contains(program) {
                    continue;
                }
                found.push((
                    program.to_string(),
                    f.path.to_string(),
                    offset,
                    s.to_string(),
                ));
                if found.len() > MAX_SERVICES {
                    break;
                }
            }
        }
        for (program, binary, offset, s) in found {
            let ev = self
                .root
                .evidence(&binary, None, Some(offset), Some(excerpt(&s)));
            let words = simple_commands(&s).into_iter().next().unwrap_or_default();
            self.push(
                Start {
                    program,
                    path: words.first().cloned().unwrap_or_default(),
                    args: words
                        .get(1..)
                        .unwrap_or(&[])
                        .iter()
                        .filter(|a| *a != "&")
                        .cloned()
                        .collect(),
                    command: s,
                },
                StartedBy::Program {
                    launcher: self.launcher(&binary).map(Box::new),
                    binary,
                },
                None,
                ev,
            );
        }
    }
}

/// The condition an inittab action puts on what its process starts: `askfirst` waits for
/// someone to press Enter on the console.
fn console_condition(action: &str, ev: &Evidence) -> Vec<Condition> {
    (action == "askfirst")
        .then(|| Condition {
            meaning: "the console shell is activated (askfirst: BusyBox init waits for Enter on \
                      the console)"
                .into(),
            evidence: ev.clone(),
        })
        .into_iter()
        .collect()
}

/// A login shell (`-/bin/sh`, `sh -l`, `bash --login`), which reads `/etc/profile`.
fn is_login_shell(first: &str, args: &[String]) -> bool {
    first.starts_with('-') || args.iter().any(|a| a == "-l" || a == "--login")
}

/// An xinetd `service` block being read: name, first line, `key = (value, line)`.
type XinetdBlock = (String, usize, BTreeMap<String, (String, usize)>);

/// NUL-terminated printable strings of at least 4 bytes, with their offsets.
pub(crate) fn c_strings(data: &[u8]) -> impl Iterator<Item = (u64, &str)> + '_ {
    c_strings_or_lines(data, false)
}

/// [`c_strings`], and with `lines` also those ending in one `\n` (a line a program writes to a
/// file), returned without it.
pub(crate) fn c_strings_or_lines(
    data: &[u8],
    lines: bool,
) -> impl Iterator<Item = (u64, &str)> + '_ {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        while pos < data.len() {
            let start = pos;
            let end = memchr::memchr(0, &data[start..]).map_or(data.len(), |e| start + e);
            pos = end + 1;
            let bytes = &data[start..end];
            let bytes = match bytes.strip_suffix(b"\n") {
                Some(line) if lines => line,
                _ => bytes,
            };
            if bytes.len() >= 4
                && bytes.len() <= 512
                && bytes
                    .iter()
                    .all(|&b| (0x20..0x7f).contains(&b) || b == b'\t')
            {
                if let Ok(s) = std::str::from_utf8(bytes) {
                    return Some((start as u64, s));
                }
            }
        }
        None
    })
}

/// Daemons whose command strings count even without a trailing `&`.
const KNOWN_DAEMONS: &[&str] = &[
    "dropbear",
    "sshd",
    "telnetd",
    "utelnetd",
    "tddp",
    "upnpd",
    "miniupnpd",
    "httpd",
    "lighttpd",
    "uhttpd",
    "boa",
    "goahead",
    "mini_httpd",
    "thttpd",
    "adbd",
    "gdbserver",
    "snmpd",
    "ftpd",
    "vsftpd",
    "tftpd",
    "mp_daemon",
    "inetd",
    "xinetd",
];

/// The program a command string starts, when it looks like a launch: `name -…`, `name %…`,
/// `name … &`, or a known daemon name followed by arguments.
fn command_string_program<'a>(s: &'a str, names: &HashSet<String>) -> Option<&'a str> {
    let first = s.split_whitespace().next()?;
    let program = base_name(first);
    if !names.contains(program) || (first.contains('/') && !first.starts_with('/')) {
        return None;
    }
    let rest = s[s.find(first)? + first.len()..].trim();
    let backgrounded = s.trim_end().ends_with('&') && !s.trim_end().ends_with("&&");
    let launch = backgrounded
        || (KNOWN_DAEMONS.contains(&program) && (rest.starts_with('-') || rest.starts_with('%')));
    launch.then_some(program)
}

/// `NAME=value` (a shell assignment word).
pub(crate) fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Top-level `NAME=value` assignments of a script (first value wins; values with `$(` skipped).
fn assignments(text: &str) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for line in text.lines().take(MAX_LINES) {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let t = line.trim();
        let t = t.strip_prefix("export ").unwrap_or(t);
        let Some((name, value)) = t.split_once('=') else {
            continue;
        };
        if !is_assignment(t) || value.contains("$(") || value.contains('`') {
            continue;
        }
        let value = value
            .split_once(" #")
            .map_or(value, |(v, _)| v)
            .trim()
            .trim_matches(['"', '\''])
            .to_string();
        if vars.len() < 1000 {
            vars.entry(name.to_string()).or_insert(value);
        }
    }
    vars
}

/// `$NAME` and `${NAME}` replaced by the script's own values where known.
fn expand(word: &str, vars: &HashMap<String, String>) -> String {
    if !word.contains('$') {
        return word.to_string();
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(e) => (&inner[..e], e + 2),
                None => ("", 0),
            }
        } else {
            let e = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..e], e)
        };
        match vars.get(name) {
            Some(v) if !name.is_empty() && !v.contains('$') => out.push_str(v),
            _ => {
                out.push('$');
                out.push_str(&after[..len]);
            }
        }
        rest = &after[len..];
        if out.len() > 4096 {
            break;
        }
    }
    out.push_str(rest);
    out
}

/// `start() {`, `function start {`, `start_service()` → the function name.
fn function_name(line: &str) -> Option<String> {
    let t = line.strip_prefix("function ").unwrap_or(line);
    let (name, rest) = t.split_once("()").or_else(|| {
        line.starts_with("function ")
            .then(|| t.split_once([' ', '{']))
            .flatten()
    })?;
    let name = name.trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && (rest.trim().is_empty() || rest.trim().starts_with('{')))
    .then(|| name.to_string())
}

/// `start)`, `stop|restart)` → the pattern, for a case branch line.
fn case_pattern(line: &str) -> Option<String> {
    let (pattern, _) = line.split_once(')')?;
    let pattern = pattern.trim().trim_start_matches('(');
    (!pattern.is_empty()
        && !pattern.contains(['(', ' ', '$', '='])
        && pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '|' | '-' | '_' | '*' | '"' | '\'')))
    .then(|| pattern.trim_matches(['"', '\'']).to_string())
}

fn is_stop_name(name: &str) -> bool {
    let n = name.trim_matches(['"', '\'']);
    n.starts_with("stop")
        || n.ends_with("_stop")
        || n.contains("kill")
        || matches!(n, "status" | "usage" | "help" | "shutdown")
}

/// `S50telnet`: a SysV start script name.
fn is_sysv_start_name(name: &str) -> bool {
    name.strip_prefix('S')
        .is_some_and(|r| r.len() > 2 && r.as_bytes()[..2].iter().all(u8::is_ascii_digit))
}

mod walk;

#[cfg(test)]
mod tests;
