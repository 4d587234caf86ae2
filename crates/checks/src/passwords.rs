//! Passwords (UK CoP guideline 1; EN 303 645 5.1-1, 5.1-3; PSTI Schedule 1 paragraph 1): the
//! credentials an image ships and whether they are the same on every unit.
//!
//! Credential sources:
//! - the accounts of the inventory (`passwd`, `shadow`, `passwd.bak`…, with the shadow entry that
//!   holds the password), and shadow entries without a passwd line;
//! - `user:hash` password files anywhere (`.htpasswd` with `$apr1$`, `{SHA}`, crypt; Mosquitto's
//!   `$7$` / `$6$`) and BusyBox `httpd.conf` `/path:user:password` lines;
//! - plaintext values in configuration files and scripts (OpenWrt `uci` `option password`,
//!   `password=`, `echo "root:…" | chpasswd`, `echo -e "pw\npw" | passwd`, `--password`), and
//!   `login -f USER` (a login without a password).
//!
//! Hashes are tried against the built-in lists ([`iotassay_credentials`]: the Mirai scanner's
//! pairs, SecLists' telnet/SSH/FTP defaults, the DefaultCreds cheat sheet, SecLists' vendor
//! defaults, SecLists' 10,000 most common passwords) and user wordlists ([`crate::CheckOptions`]),
//! within a per-image budget (`crack`: the order, the budget, cheapest schemes first). A cracked
//! password's finding names the list that matched and every other list naming it; a hash not
//! cracked gets a `passwords.coverage` note saying its scheme, its cost and how far the search
//! went.
//!
//! Severity: an empty or cracked password on a login-capable account is High (a universal default
//! credential), Critical when a remote login service that would accept it is started at boot
//! (`telnetd`, `dropbear`, `sshd`, `rlogind`, read from [`iotassay_inventory::Services`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, LazyLock, Mutex};

use iotassay_inventory::defaults::{self, has_expansion, Defaults};
use iotassay_inventory::{AccountFormat, Enablement, Evidence, PasswordState, Root, Service};
use iotassay_unpack::NodeKind;
use rayon::prelude::*;
use regex::Regex;

use crate::crypt::Scheme;

mod crack;
use crate::framework::Coverage as Seen;
use crate::{Check, Context, Finding, Severity};
use crack::{Budget, Cracked, Origin};

/// Distinct (hash, user) pairs cracked per image at most.
const MAX_HASHES: usize = 256;
pub use crack::{IMAGE_BUDGET, MAX_TRIES};
/// Findings per check at most; the rest are summarised in one more finding.
const MAX_FINDINGS: usize = 200;
/// Text files bigger than this are not scanned.
const MAX_TEXT_FILE: usize = 16 << 20;
/// Lines longer than this are not scanned (minified data, not configuration).
const MAX_LINE: usize = 4096;
/// Lines scanned per file at most.
const MAX_LINES: usize = 200_000;
/// Longest excerpt kept as evidence.
const MAX_EXCERPT: usize = 160;

// ---------------------------------------------------------------------------------------------
// What a cracked password's lists say

/// Every public list naming `password`, for people, the list that matched (`first`) first: the
/// user's own pairs (`Mirai list (admin/1234)`, `DefaultCreds: V1, V2, V3 admin/1234 and 4 more`),
/// else the first pair of the list with that password (`Mirai list (password of root/admin)`),
/// and its rank in the common list.
fn describe_origin(user: &str, password: &str, first: &Origin) -> String {
    let mut parts: Vec<(&str, String)> = Vec::new();
    match first {
        Origin::Empty | Origin::UserName | Origin::UserList => {
            parts.push((first.list_name(), first.list_name().to_string()))
        }
        Origin::Pair(_) | Origin::Common(_) => {}
    }
    // Lists in their order, each with its exact pairs and its first pair holding the password.
    let mut lists: Vec<(
        &str,
        Vec<&iotassay_credentials::Pair>,
        Option<&iotassay_credentials::Pair>,
    )> = Vec::new();
    for p in iotassay_credentials::pairs()
        .iter()
        .filter(|p| p.password == password)
    {
        let name = p.source.list_name();
        let i = match lists.iter().position(|(n, _, _)| *n == name) {
            Some(i) => i,
            None => {
                lists.push((name, Vec::new(), None));
                lists.len() - 1
            }
        };
        let entry = &mut lists[i];
        if p.user == user {
            entry.1.push(p);
        } else if entry.2.is_none() {
            entry.2 = Some(p);
        }
    }
    for (name, exact, other) in lists {
        let text = match (exact.first(), other) {
            (Some(p), _) if p.source.vendor().is_some() => {
                let prefix = p.source_label();
                let prefix = prefix.split_once(": ").map_or(name, |(l, _)| l).to_string();
                let vendors: Vec<&str> = exact.iter().filter_map(|p| p.source.vendor()).collect();
                let more = if vendors.len() > 3 {
                    format!(" and {} more", vendors.len() - 3)
                } else {
                    String::new()
                };
                format!(
                    "{prefix}: {} {user}/{password}{more}",
                    vendors[..vendors.len().min(3)].join(", ")
                )
            }
            (Some(_), _) => format!("{name} ({user}/{password})"),
            (None, Some(p)) if p.source.vendor().is_some() => {
                format!("{} {}/{password}", p.source_label(), p.user)
            }
            (None, Some(p)) => format!("{name} (password of {}/{password})", p.user),
            (None, None) => continue,
        };
        parts.push((name, text));
    }
    if let Some(rank) = iotassay_credentials::common_passwords()
        .iter()
        .position(|c| *c == password)
    {
        parts.push((
            iotassay_credentials::COMMON_LIST_NAME,
            format!(
                "{} (number {} of 10,000)",
                iotassay_credentials::COMMON_LIST_NAME,
                rank + 1
            ),
        ));
    }
    // The list that matched first.
    if let Some(i) = parts.iter().position(|(n, _)| *n == first.list_name()) {
        let p = parts.remove(i);
        parts.insert(0, p);
    }
    if parts.is_empty() {
        return Origin::UserList.list_name().to_string();
    }
    parts
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// What kind of credential, for severity and wording.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A system account; `login_capable` is `None` for a shadow entry without a passwd line.
    Account {
        login_capable: Option<bool>,
        uid: Option<u32>,
        shell: Option<String>,
    },
    /// A `user:hash` password file (web server, Mosquitto…) or BusyBox `httpd.conf`.
    PasswordFile,
}

#[derive(Debug, Clone)]
struct Credential {
    user: String,
    /// `None` for an empty password, else the stored hash.
    hash: Option<String>,
    source: Source,
    /// The line holding the password first.
    evidence: Vec<Evidence>,
}

impl Credential {
    fn login_capable(&self) -> Option<bool> {
        match &self.source {
            Source::Account { login_capable, .. } => *login_capable,
            Source::PasswordFile => None,
        }
    }
    fn is_account(&self) -> bool {
        matches!(self.source, Source::Account { .. })
    }
    fn file(&self) -> &str {
        self.evidence.first().map_or("", |e| e.path.as_str())
    }
}

fn hash_of(state: &PasswordState) -> Option<Option<String>> {
    match state {
        PasswordState::Empty => Some(None),
        PasswordState::Hash { raw, .. } => Some(Some(raw.clone())),
        PasswordState::Locked { .. } | PasswordState::InShadow => None,
    }
}

/// Credentials of the inventory's accounts, merged by (user, password) so one password seen in
/// `passwd` and `passwd-` is one credential with two pieces of evidence.
fn account_credentials(cx: &Context<'_>) -> Vec<Credential> {
    let accounts = &cx.inventory.accounts;
    let mut out: Vec<Credential> = Vec::new();
    let mut used_shadow: HashSet<(String, Option<usize>)> = HashSet::new();
    let mut index: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut add = |c: Credential, out: &mut Vec<Credential>| {
        let key = (c.user.clone(), c.hash.clone());
        if let Some(prev) = index.get(&key).and_then(|&i| out.get_mut(i)) {
            for e in c.evidence {
                if prev.evidence.len() < 20 && !prev.evidence.contains(&e) {
                    prev.evidence.push(e);
                }
            }
            if let (
                Source::Account {
                    login_capable: a, ..
                },
                Source::Account {
                    login_capable: b, ..
                },
            ) = (&mut prev.source, &c.source)
            {
                // Login-capable if any of its lines says so.
                *a = match (*a, *b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
            }
        } else {
            index.insert(key, out.len());
            out.push(c);
        }
    };
    for a in &accounts.users {
        if let Some(s) = &a.shadow {
            used_shadow.insert((s.node.clone(), s.line));
        }
        let Some(hash) = hash_of(&a.password) else {
            continue;
        };
        let mut evidence = Vec::new();
        if a.passwd_field == PasswordState::InShadow {
            if let Some(s) = &a.shadow {
                evidence.push(s.clone());
            }
        }
        evidence.push(a.evidence.clone());
        add(
            Credential {
                user: a.name.clone(),
                hash,
                source: Source::Account {
                    login_capable: Some(a.login_capable),
                    uid: Some(a.uid),
                    shell: Some(a.shell.clone()),
                },
                evidence,
            },
            &mut out,
        );
    }
    for (entry, ev) in &accounts.shadow {
        if used_shadow.contains(&(ev.node.clone(), ev.line)) {
            continue;
        }
        let Some(hash) = hash_of(&entry.password) else {
            continue;
        };
        add(
            Credential {
                user: entry.name.clone(),
                hash,
                source: Source::Account {
                    login_capable: None,
                    uid: None,
                    shell: None,
                },
                evidence: vec![ev.clone()],
            },
            &mut out,
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scanning text files

/// What one line of a text file showed.
#[derive(Debug, Clone)]
enum Hit {
    /// A `user:hash` line of a password file.
    HashLine { user: String, hash: String },
    /// A plaintext credential; `login` when it sets or is a login password.
    Plain {
        what: String,
        user: Option<String>,
        value: String,
        login: bool,
    },
    /// `login -f USER`: a session without a password.
    AutoLogin { user: String },
    /// A boot script line that writes a file absent from the image (`cp /etc/passwd.bak
    /// /var/passwd`), for account files linked there.
    Writes { target: String },
    /// An account line a script writes (`echo 'root:…:0:0:…' > /var/passwd`) or an account whose
    /// password a script removes (`passwd -d USER`, `target` empty).
    AccountLine {
        target: String,
        user: String,
        password: PasswordState,
        uid: Option<u32>,
        shell: Option<String>,
    },
}

impl Hit {
    /// A plaintext login password of `user`.
    fn login(what: &str, user: &str, value: &str) -> Hit {
        Hit::Plain {
            what: what.to_string(),
            user: Some(user.to_string()),
            value: value.to_string(),
            login: true,
        }
    }
}

struct FileHit {
    root: usize,
    /// Output path of the node.
    node: String,
    path: String,
    line: usize,
    text: String,
    hit: Hit,
    /// Where the values a script substituted into the line came from (default file:line, file
    /// read, assignment lines), in order; empty for a line taken as written.
    chain: Vec<Evidence>,
}

impl FileHit {
    /// The line of the hit as evidence (path, line, excerpt, provenance).
    fn evidence(&self, roots: &[Root<'_>]) -> Evidence {
        roots[self.root].evidence(&self.path, Some(self.line), None, Some(self.text.clone()))
    }

    /// The chain of evidence: where the values came from, then the line that uses them.
    fn evidence_chain(&self, roots: &[Root<'_>]) -> Vec<Evidence> {
        let mut out = self.chain.clone();
        out.push(self.evidence(roots));
        out
    }
}

struct Patterns {
    uci: Regex,
    kv: Regex,
    chpasswd: Regex,
    passwd_echo: Regex,
    passwd_subshell: Regex,
    long_opt: Regex,
    login_f: Regex,
    telnetd_user: Regex,
    echo_account: Regex,
    passwd_delete: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let re = |s: &str| Regex::new(s).expect("static regex");
    Patterns {
        uci: re(r#"^\s*option\s+([A-Za-z0-9_]+)\s+(?:'([^']*)'|"([^"]*)"|(\S+))\s*$"#),
        kv: re(
            r#"^\s*(?:export\s+)?([A-Za-z][A-Za-z0-9_.\-]*)\s*=\s*(?:'([^']*)'|"([^"]*)"|([^\s#;'"]+))"#,
        ),
        chpasswd: re(
            r#"echo\s+(?:-[en]+\s+)?["']?([A-Za-z0-9_.\-]+):([^"'\s|:]+)["']?\s*\|\s*(?:\S*/)?chpasswd\b"#,
        ),
        passwd_echo: re(
            r#"echo\s+(?:-[en]+\s+)?["']?([^"'\s\\|]+)\\n([^"'\s\\|]+)(?:\\n)?["']?\s*\|\s*(?:\S*/)?passwd\b(?:\s+([A-Za-z0-9_.\-]+))?"#,
        ),
        passwd_subshell: re(
            r#"\(\s*echo\s+["']?([^"'\s;]+)["']?\s*;\s*(?:sleep\s+\d+\s*;\s*)?echo\s+["']?([^"'\s;)]+)["']?\s*;?\s*\)\s*\|\s*(?:\S*/)?passwd\b(?:\s+([A-Za-z0-9_.\-]+))?"#,
        ),
        long_opt: re(r#"\s--pass(?:word|wd)?[= ](?:'([^']*)'|"([^"]*)"|([^\s'"]+))"#),
        login_f: re(r#"(?:^|[\s/"'])login\s+-f\s+([A-Za-z0-9_.\-]+)"#),
        // Alpha Networks' telnetd: `-u USER:PASSWORD`, the only account it accepts.
        telnetd_user: re(
            r#"(?:^|[\s/;&|(])u?telnetd\s(?:[^|;&]*?\s)?-u\s*(?:'([^']*)'|"([^"]*)"|([^\s'";&|]+))"#,
        ),
        echo_account: re(
            r#"(?:^|[\s;&|(])(?:echo|printf)\s+(?:-[en]+\s+)?(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'";&|>]+))\s*>>?\s*["']?([^\s"';&|]+)"#,
        ),
        passwd_delete: re(r#"(?:^|[\s;&|(/])passwd\s+-d\s+([A-Za-z0-9_.\-]+)"#),
    }
});

/// Words of a key: split at `_ . -` and at camelCase humps, lowercased.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in key.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Whether a configuration key names a password.
fn password_key(key: &str, uci: bool) -> bool {
    const EXCLUDE: [&str; 15] = [
        "file", "path", "length", "len", "min", "max", "type", "mode", "prompt", "policy",
        "enable", "encod", "hash", "crypt", "dir",
    ];
    // A Kconfig symbol (`CONFIG_PPP_PASSWORD=y`, `CONFIG_FOO_PASS="…"`) configures a build.
    if key.starts_with("CONFIG_") {
        return false;
    }
    let words = key_words(key);
    // `CONFIG_…_PASS` is a kernel or BusyBox build option (Kconfig), not a setting.
    if key.starts_with("CONFIG_")
        || words
            .iter()
            .any(|w| EXCLUDE.iter().any(|x| w.starts_with(x)))
    {
        return false;
    }
    let k = key.to_ascii_lowercase();
    if uci && k == "key" {
        return true;
    }
    matches!(
        k.as_str(),
        "password" | "passwd" | "pass" | "pwd" | "passphrase" | "psk" | "wpa_psk"
    ) || ["password", "passwd", "_pass", "_pwd", "_psk", "passphrase"]
        .iter()
        .any(|s| k.ends_with(s))
}

/// Whether a value is a literal secret (not a variable, path, placeholder or switch).
fn literal_secret(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.len() > 128 {
        return false;
    }
    if v.starts_with(['$', '%', '<', '{', '/', '@', '`', '&', '[', '(']) {
        return false;
    }
    if v.contains("$(") || v.contains("${") || v.contains('`') {
        return false;
    }
    if v.chars()
        .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
    {
        return false;
    }
    !matches!(
        v.to_ascii_lowercase().as_str(),
        "none"
            | "null"
            | "nil"
            | "yes"
            | "no"
            | "true"
            | "false"
            | "on"
            | "off"
            | "0"
            | "1"
            | "required"
            | "optional"
            | "disabled"
            | "enabled"
            | "empty"
    )
}

fn excerpt(line: &str) -> String {
    let line = line.trim();
    if line.len() <= MAX_EXCERPT {
        return line.to_string();
    }
    let mut end = MAX_EXCERPT;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

fn valid_user(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
}

/// Text of a file if it is a text file of a sensible size.
fn text_of(data: &[u8]) -> Option<&[u8]> {
    if data.len() > MAX_TEXT_FILE || data.starts_with(b"\x7fELF") {
        return None;
    }
    if data[..data.len().min(8192)].contains(&0) {
        return None;
    }
    Some(data)
}

/// Whether a file is configuration or a script (where plaintext credentials are looked for).
fn config_like(path: &str, data: &[u8]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let web = path
        .split('/')
        .any(|c| matches!(c, "www" | "webs" | "web" | "html" | "htdocs"));
    if web
        || [
            ".htm", ".html", ".js", ".css", ".asp", ".lua", ".txt", ".md",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return false;
    }
    path.starts_with("etc/")
        || data.starts_with(b"#!")
        || [".conf", ".cfg", ".ini", ".env", ".properties", ".sh"]
            .iter()
            .any(|e| lower.ends_with(e))
}

fn scan_line(
    path: &str,
    name: &str,
    line: &str,
    config: bool,
    targets: &[String],
    out: &mut Vec<Hit>,
) {
    let t = line.trim();
    if t.is_empty() || t.len() > MAX_LINE {
        return;
    }
    if config && !t.starts_with('#') {
        for target in targets {
            let writes = t.split_whitespace().any(|w| {
                w.trim_matches(|c| c == '"' || c == '\'')
                    .trim_start_matches('>')
                    == target.as_str()
            }) && (t.starts_with("cp ")
                || t.contains("/cp ")
                || t.starts_with("ln ")
                || t.contains('>'));
            if writes {
                out.push(Hit::Writes {
                    target: target.clone(),
                });
            }
        }
    }
    // `user:hash` password files (htpasswd, Mosquitto).
    if let Some((user, hash)) = t.split_once(':') {
        if valid_user(user) && !hash.contains(':') && !hash.contains(char::is_whitespace) {
            let scheme = Scheme::of(hash);
            let named = ["passwd", "pw", "user", "auth"]
                .iter()
                .any(|n| name.to_ascii_lowercase().contains(n));
            let ok = scheme.verifiable()
                && (scheme != Scheme::Des && scheme != Scheme::BsdiDes || named);
            if ok {
                out.push(Hit::HashLine {
                    user: user.to_string(),
                    hash: hash.to_string(),
                });
                return;
            }
        }
    }
    // BusyBox httpd.conf: `/path:user:password` (plaintext or `$1$`).
    if name.contains("httpd") && name.ends_with(".conf") && t.starts_with('/') {
        let f: Vec<&str> = t.splitn(3, ':').collect();
        if let [_, user, pass] = f[..] {
            if valid_user(user) && !pass.is_empty() {
                if Scheme::of(pass).verifiable() && Scheme::of(pass).recognised() {
                    out.push(Hit::HashLine {
                        user: user.to_string(),
                        hash: pass.to_string(),
                    });
                } else {
                    out.push(Hit::login(
                        "BusyBox httpd basic-auth credential",
                        user,
                        pass,
                    ));
                }
                return;
            }
        }
    }
    if t.starts_with('#') || t.starts_with(';') || t.starts_with("//") || !config {
        return;
    }
    let p = &*PATTERNS;
    if let Some(c) = p.telnetd_user.captures(t) {
        let v = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        if let Some((user, pass)) = v.split_once(':') {
            if valid_user(user) && literal_secret(pass) && !has_expansion(pass) {
                out.push(Hit::login("telnetd -u login", user, pass));
                return;
            }
        }
    }
    if let Some(c) = p.passwd_delete.captures(t) {
        out.push(Hit::AccountLine {
            target: String::new(),
            user: c[1].to_string(),
            password: PasswordState::Empty,
            uid: None,
            shell: None,
        });
        return;
    }
    if let Some(c) = p.echo_account.captures(t) {
        if let Some(lines) = echoed_account_lines(&c) {
            out.extend(lines);
            return;
        }
    }
    if let Some(c) = p.chpasswd.captures(t) {
        let (user, value) = (&c[1], &c[2]);
        if literal_secret(value) {
            out.push(Hit::login("password set by chpasswd", user, value));
            return;
        }
    }
    for re in [&p.passwd_echo, &p.passwd_subshell] {
        if let Some(c) = re.captures(t) {
            if c[1] == c[2] && literal_secret(&c[1]) {
                out.push(Hit::login(
                    "password set by passwd from a script",
                    c.get(3).map_or("root", |m| m.as_str()),
                    &c[1],
                ));
                return;
            }
        }
    }
    if let Some(c) = p.login_f.captures(t) {
        out.push(Hit::AutoLogin {
            user: c[1].to_string(),
        });
        return;
    }
    if let Some(c) = p.uci.captures(t) {
        let value = c
            .get(2)
            .or(c.get(3))
            .or(c.get(4))
            .map_or("", |m| m.as_str());
        let key = &c[1];
        let index_key = key.eq_ignore_ascii_case("key")
            && value.len() <= 1
            && value.chars().all(|ch| ch.is_ascii_digit());
        if password_key(key, true) && literal_secret(value) && !index_key {
            out.push(Hit::Plain {
                what: format!("uci option {key}"),
                user: None,
                value: value.to_string(),
                login: false,
            });
        }
        return;
    }
    if let Some(c) = p.kv.captures(t) {
        let value = c
            .get(2)
            .or(c.get(3))
            .or(c.get(4))
            .map_or("", |m| m.as_str());
        let key = &c[1];
        // Outside single quotes a shell expands `$…`: the value is then not a literal.
        let rest = c.get(0).map_or("", |m| &t[m.start()..]);
        let expands = c.get(2).is_none() && (rest.contains('$') || rest.contains('\\'));
        if password_key(key, false) && literal_secret(value) && !expands {
            out.push(Hit::Plain {
                what: format!("{key}="),
                user: None,
                value: value.to_string(),
                login: false,
            });
        }
        return;
    }
    if let Some(c) = p.long_opt.captures(t) {
        let value = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        if literal_secret(value) {
            out.push(Hit::Plain {
                what: "--password argument".into(),
                user: None,
                value: value.to_string(),
                login: false,
            });
        }
    }
    let _ = path;
}

/// The account lines an `echo … > FILE` writes into a passwd or shadow file: single-quoted or
/// escaped text only (in double quotes an unescaped `$` is expanded by the shell, so what is
/// written is not what the script shows), `\n` separating lines as `echo -e` does.
fn echoed_account_lines(c: &regex::Captures<'_>) -> Option<Vec<Hit>> {
    let target = c.get(4)?.as_str();
    let format = AccountFormat::from_name(target.rsplit('/').next().unwrap_or(target))?;
    let content = if let Some(m) = c.get(1) {
        m.as_str().to_string()
    } else if let Some(m) = c.get(2) {
        let raw = m.as_str();
        if has_expansion(raw) {
            return None;
        }
        raw.replace("\\$", "$")
            .replace("\\\"", "\"")
            .replace("\\`", "`")
    } else {
        let raw = c.get(3)?.as_str();
        if has_expansion(raw) {
            return None;
        }
        raw.to_string()
    };
    let content = content.replace("\\n", "\n");
    let mut out = Vec::new();
    match format {
        AccountFormat::Passwd => {
            for e in iotassay_inventory::accounts::parse_passwd(content.as_bytes(), target).0 {
                out.push(Hit::AccountLine {
                    target: target.to_string(),
                    user: e.name,
                    password: e.password,
                    uid: Some(e.uid),
                    shell: Some(e.shell),
                });
            }
        }
        AccountFormat::Shadow => {
            for e in iotassay_inventory::accounts::parse_shadow(content.as_bytes(), target).0 {
                out.push(Hit::AccountLine {
                    target: target.to_string(),
                    user: e.name,
                    password: e.password,
                    uid: None,
                    shell: None,
                });
            }
        }
        AccountFormat::Group => {}
    }
    (!out.is_empty()).then_some(out)
}

/// Account files that link to a file absent from the image: (link path, absolute target) with the
/// root holding the link.
fn absent_links<'a, 't>(cx: &'a Context<'t>) -> Vec<(&'a Root<'t>, String, String)> {
    let mut out = Vec::new();
    for note in &cx.inventory.accounts.notes {
        if note.line.is_some() || !note.message.contains("absent from the image") {
            continue;
        }
        let Some(root) = cx.tree.roots().iter().find(|r| {
            r.entry(&note.path)
                .is_some_and(|n| n.kind == NodeKind::Symlink)
        }) else {
            continue;
        };
        let target = root
            .entry(&note.path)
            .and_then(|n| n.link_target.clone())
            .unwrap_or_default();
        // `../var/passwd` from `etc/` is `/var/passwd`.
        let absolute = match root.canonical(&note.path) {
            Err(iotassay_inventory::ResolveError::NotFound(p)) => format!("/{p}"),
            _ => target.clone(),
        };
        out.push((root, note.path.clone(), absolute));
    }
    out
}

/// Whether the account checks could examine the accounts: not when the image holds none, nor
/// when an account file links to a file created at run time whose source was not found (its
/// accounts were then never seen; [`accounts_not_examined`] says why).
fn accounts_coverage(cx: &Context<'_>) -> Seen {
    if let Seen::NotExamined(why) = Seen::of_root(cx) {
        return Seen::NotExamined(why);
    }
    if let Some(why) = accounts_not_examined(cx) {
        let seen =
            !cx.inventory.accounts.users.is_empty() || !cx.inventory.accounts.shadow.is_empty();
        return Seen::NotExamined(if seen {
            format!("the accounts created at boot were not seen: {why}")
        } else {
            format!("no accounts found: {why}")
        });
    }
    if cx.inventory.accounts.users.is_empty()
        && cx.inventory.accounts.shadow.is_empty()
        && analysis(cx).creds.is_empty()
    {
        return Seen::NotExamined(
            "no accounts found: the image holds no passwd or shadow file".to_string(),
        );
    }
    Seen::Examined
}

/// Where the entries of an account file linked to a file absent from the image come from.
struct LinkSource {
    root: usize,
    /// The link, root-relative (`etc/passwd`).
    path: String,
    /// The absolute path it resolves to (`/var/passwd`).
    target: String,
    /// Script lines that write it (`cp`, `ln`, `>`), first ones first.
    writers: Vec<usize>,
    /// A file of the image a writer copies into it, parsed as accounts: (path, writer hit).
    copied_from: Option<(String, usize)>,
    /// Account lines a script writes into it.
    echoed: usize,
    /// Programs whose strings show they write it.
    programs: Vec<defaults::AccountWriter>,
}

impl LinkSource {
    /// Whether it is a passwd or shadow file (not a group file).
    fn holds_accounts(&self) -> bool {
        matches!(
            AccountFormat::from_name(self.path.rsplit('/').next().unwrap_or(&self.path)),
            Some(AccountFormat::Passwd | AccountFormat::Shadow)
        )
    }

    /// Whether the accounts it will hold were seen (copied from a file of the image, or written
    /// line by line by a script).
    fn assessed(&self) -> bool {
        self.copied_from.is_some() || self.echoed > 0
    }

    /// Why its accounts could not be examined, when they could not.
    fn reason(&self, hits: &[FileHit]) -> Option<String> {
        if self.assessed() {
            return None;
        }
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        let mut reason = format!("{name} is a link to {}, written at run time; ", self.target);
        if let Some(p) = self.programs.first() {
            reason.push_str(&format!(
                "written by {} (strings at {:#x}: {}), the passwords it writes are not in the image",
                p.path, p.offset, p.strings
            ));
        } else if let Some(&w) = self.writers.first() {
            let h = &hits[w];
            reason.push_str(&format!(
                "{} line {} writes it (`{}`) from nothing the image holds",
                h.path, h.line, h.text
            ));
        } else {
            reason.push_str("no source found");
        }
        Some(reason)
    }
}

/// What writes each account file linked to an absent file: script lines, a file of the image a
/// script copies into it (parsed here as accounts when the inventory did not already read it,
/// its credentials added to `creds`), account lines a script echoes, programs whose strings
/// show they write it.
fn link_sources(
    cx: &Context<'_>,
    links: &[(&Root<'_>, String, String)],
    hits: &[FileHit],
    read: &HashSet<&str>,
    creds: &mut Vec<Credential>,
) -> Vec<LinkSource> {
    let roots = cx.tree.roots();
    let mut out = Vec::new();
    for (root, path, target) in links {
        let Some(r) = roots.iter().position(|x| std::ptr::eq(x, *root)) else {
            continue;
        };
        let names = [target.clone(), format!("/{path}")];
        let mut source = LinkSource {
            root: r,
            path: path.clone(),
            target: target.clone(),
            writers: Vec::new(),
            copied_from: None,
            echoed: 0,
            programs: Vec::new(),
        };
        for (i, h) in hits.iter().enumerate().filter(|(_, h)| h.root == r) {
            match &h.hit {
                Hit::Writes { target: t } if names.contains(t) => source.writers.push(i),
                Hit::AccountLine { target: t, .. } if names.contains(t) => source.echoed += 1,
                _ => {}
            }
        }
        source.writers.dedup();
        for &w in &source.writers {
            let Some(from) = copy_source(&hits[w].text) else {
                continue;
            };
            let rel = from.trim_start_matches('/');
            let Some(node) = root.get(rel) else { continue };
            let Some(data) = node.data.as_deref().and_then(text_of) else {
                continue;
            };
            let format = AccountFormat::from_name(path.rsplit('/').next().unwrap_or(path));
            let copy = hits[w].evidence(roots);
            if read.contains(node.path.as_str()) {
                // Accounts already read from the source: cite the line that installs them.
                for c in creds.iter_mut() {
                    if c.evidence.iter().any(|e| e.node == node.path)
                        && c.evidence.len() < 20
                        && !c.evidence.contains(&copy)
                    {
                        c.evidence.push(copy.clone());
                    }
                }
            } else {
                let copied = copied_accounts(root, rel, data, format, copy);
                if copied.is_empty() {
                    continue;
                }
                creds.extend(copied);
            }
            source.copied_from = Some((rel.to_string(), w));
            break;
        }
        if !source.assessed() {
            source.programs = defaults::passwd_writers(root, &names);
        }
        out.push(source);
    }
    out
}

/// The source of a `cp [-opts] SRC DST` line.
fn copy_source(line: &str) -> Option<String> {
    let words = iotassay_inventory::services::simple_commands(line);
    let cmd = words.iter().find(|w| {
        w.first()
            .is_some_and(|p| p.rsplit('/').next() == Some("cp"))
    })?;
    let args: Vec<&String> = cmd[1..].iter().filter(|a| !a.starts_with('-')).collect();
    (args.len() == 2 && args[0].starts_with('/')).then(|| args[0].clone())
}

/// Credentials of a file a boot script copies into an account file, parsed in that file's format.
fn copied_accounts(
    root: &Root<'_>,
    path: &str,
    data: &[u8],
    format: Option<AccountFormat>,
    copy: Evidence,
) -> Vec<Credential> {
    let line = |n: usize, text: &str| {
        vec![
            root.evidence(path, Some(n), None, Some(excerpt(text))),
            copy.clone(),
        ]
    };
    let mut out = Vec::new();
    match format {
        Some(AccountFormat::Passwd) => {
            for e in iotassay_inventory::accounts::parse_passwd(data, path).0 {
                if let Some(hash) = hash_of(&e.password) {
                    out.push(Credential {
                        user: e.name.clone(),
                        hash,
                        source: Source::Account {
                            login_capable: Some(e.login_capable()),
                            uid: Some(e.uid),
                            shell: Some(e.shell.clone()),
                        },
                        evidence: line(e.line, &e.text),
                    });
                }
            }
        }
        Some(AccountFormat::Shadow) => {
            for e in iotassay_inventory::accounts::parse_shadow(data, path).0 {
                if let Some(hash) = hash_of(&e.password) {
                    out.push(Credential {
                        user: e.name.clone(),
                        hash,
                        source: Source::Account {
                            login_capable: None,
                            uid: None,
                            shell: None,
                        },
                        evidence: line(e.line, &e.text),
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether a file is a shell script: a `#!` line naming a shell, a `.sh` name, or a boot script
/// location (`etc/init.d/`, `etc/rc.d/`, `rcS`, `rc.local`, `etc/profile`).
fn shell_script(path: &str, data: &[u8]) -> bool {
    if let Some(first) = data.strip_prefix(b"#!") {
        let first = &first[..first.len().min(64)];
        let first = first.split(|&b| b == b'\n').next().unwrap_or(first);
        return String::from_utf8_lossy(first)
            .split_whitespace()
            .next()
            .is_some_and(|i| {
                let base = i.rsplit('/').next().unwrap_or(i);
                iotassay_inventory::services::is_shell(base) || base == "env"
            });
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".sh")
        || path.starts_with("etc/init.d/")
        || path.starts_with("etc/rc.d/")
        || matches!(name, "rcS" | "rc.local" | "rc.sysinit")
        || path == "etc/profile"
}

/// Scan every text file of every root, in parallel. Shell scripts are read as logical lines with
/// the values [`defaults::resolve_script`] resolves substituted, so a credential assembled from a
/// default file or a file read is seen with the chain that made it.
fn scan_files(cx: &Context<'_>, targets: &[String], defaults: &[Defaults]) -> Vec<FileHit> {
    let roots = cx.tree.roots();
    let mut files = Vec::new();
    for (r, root) in roots.iter().enumerate() {
        for f in root.files() {
            if f.node.kind == NodeKind::File && f.node.data.is_some() {
                files.push((r, f));
            }
        }
    }
    let mut hits: Vec<FileHit> = files
        .par_iter()
        .flat_map_iter(|(r, f)| {
            let mut out = Vec::new();
            let Some(data) = f.node.data.as_deref().and_then(text_of) else {
                return out;
            };
            let name = f.path.rsplit('/').next().unwrap_or(f.path);
            let config = config_like(f.path, data);
            let mut line_hits = Vec::new();
            let mut push = |line: usize, text: &str, chain: &[Evidence], hits: &mut Vec<Hit>| {
                for hit in hits.drain(..) {
                    out.push(FileHit {
                        root: *r,
                        node: f.node.path.clone(),
                        path: f.path.to_string(),
                        line,
                        text: excerpt(text),
                        hit,
                        chain: chain.to_vec(),
                    });
                }
            };
            if config
                && shell_script(f.path, data)
                && data.len() <= iotassay_inventory::services::MAX_SCRIPT
            {
                let text = String::from_utf8_lossy(data);
                let empty = Defaults::default();
                let d = defaults.get(*r).unwrap_or(&empty);
                for l in defaults::resolve_script(&roots[*r], f.path, &text, d) {
                    if l.text.len() > MAX_LINE {
                        continue;
                    }
                    scan_line(f.path, name, &l.text, config, targets, &mut line_hits);
                    push(l.line, &l.original, &l.chain, &mut line_hits);
                }
                return out;
            }
            for (i, raw) in data.split(|&b| b == b'\n').take(MAX_LINES).enumerate() {
                if raw.len() > MAX_LINE {
                    continue;
                }
                let line = String::from_utf8_lossy(raw);
                scan_line(f.path, name, &line, config, targets, &mut line_hits);
                push(i + 1, &line, &[], &mut line_hits);
            }
            out
        })
        .collect();
    hits.sort_by(|a, b| (a.root, &a.path, a.line).cmp(&(b.root, &b.path, b.line)));
    hits
}

// ---------------------------------------------------------------------------------------------
// Remote login services

const REMOTE_LOGIN: [&str; 8] = [
    "telnetd",
    "utelnetd",
    "in.telnetd",
    "rlogind",
    "in.rlogind",
    "dropbear",
    "sshd",
    "login",
];

/// Flags of a command line (single-dash, combined letters allowed: `-sg`).
fn has_flag(command: &str, flag: char) -> bool {
    command.split_whitespace().skip(1).any(|t| {
        t.starts_with('-')
            && !t.starts_with("--")
            && t[1..].chars().all(|c| c.is_ascii_alphabetic())
            && t[1..].contains(flag)
    })
}

/// Remote login services shown to start at boot (not merely configured, nor launched by a vendor
/// program under conditions the image does not show) that would accept `cred` over the network.
fn remote_logins<'a>(cx: &'a Context<'_>, cred: &Credential) -> Vec<&'a Service> {
    if cred.login_capable() == Some(false) || !cred.is_account() {
        return Vec::new();
    }
    let uid0 = matches!(cred.source, Source::Account { uid: Some(0), .. }) || cred.user == "root";
    let empty = cred.hash.is_none();
    REMOTE_LOGIN
        .iter()
        .flat_map(|p| cx.inventory.services.started(p))
        .filter(|s| s.enablement() == Enablement::Yes)
        .filter(|s| match s.program.as_str() {
            // BusyBox/GNU login accepts an account with an empty password without asking.
            "telnetd" | "utelnetd" | "in.telnetd" | "rlogind" | "in.rlogind" => true,
            // `login` itself is remote only when inetd starts it on a port.
            "login" => matches!(s.started_by, iotassay_inventory::StartedBy::Inetd { .. }),
            // Dropbear: `-B` allows blank passwords, `-s` disables password logins, `-g`/`-w`
            // refuse root password logins / root logins.
            "dropbear" => {
                let c = &s.command;
                if has_flag(c, 's') || (uid0 && (has_flag(c, 'g') || has_flag(c, 'w'))) {
                    false
                } else {
                    !empty || has_flag(c, 'B')
                }
            }
            // OpenSSH refuses empty passwords unless PermitEmptyPasswords (not read here).
            "sshd" => !empty,
            _ => false,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shared analysis, computed once per image

struct Analysis {
    creds: Vec<Credential>,
    cracked: HashMap<(String, String), Cracked>,
    hits: Vec<FileHit>,
    /// The default configuration of each root (by root index).
    defaults: Vec<Defaults>,
    /// What is known of each account file linked to a file absent from the image.
    links: Vec<LinkSource>,
}

fn analyse(cx: &Context<'_>) -> Analysis {
    let mut creds = account_credentials(cx);
    let roots = cx.tree.roots();
    let defaults: Vec<Defaults> = roots.par_iter().map(defaults::collect).collect();
    let links = absent_links(cx);
    let mut targets: Vec<String> = links
        .iter()
        .flat_map(|(_, path, target)| [target.clone(), format!("/{path}")])
        .collect();
    targets.sort();
    targets.dedup();
    let hits = scan_files(cx, &targets, &defaults);
    // Nodes the inventory already read as account files: their `user:hash` lines (a two-field
    // shadow line) are accounts, not password-file entries, and a boot script copying one
    // installs accounts already assessed.
    let account_files: HashSet<&str> = cx
        .inventory
        .accounts
        .files
        .iter()
        .map(|f| f.node.as_str())
        .collect();
    let links = link_sources(cx, &links, &hits, &account_files, &mut creds);
    for h in &hits {
        let Hit::AccountLine {
            user,
            password,
            uid,
            shell,
            ..
        } = &h.hit
        else {
            continue;
        };
        let Some(hash) = hash_of(password) else {
            continue;
        };
        creds.push(Credential {
            user: user.clone(),
            hash,
            source: Source::Account {
                login_capable: shell
                    .as_deref()
                    .map(iotassay_inventory::accounts::login_shell),
                uid: *uid,
                shell: shell.clone(),
            },
            evidence: h.evidence_chain(roots),
        });
    }
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for h in &hits {
        if account_files.contains(h.node.as_str()) {
            continue;
        }
        if let Hit::HashLine { user, hash } = &h.hit {
            let ev = h.evidence(roots);
            let key = (user.clone(), hash.clone());
            if let Some(prev) = index.get(&key).and_then(|&i| creds.get_mut(i)) {
                if prev.evidence.len() < 20 {
                    prev.evidence.push(ev);
                }
            } else {
                index.insert(key, creds.len());
                creds.push(Credential {
                    user: user.clone(),
                    hash: Some(hash.clone()),
                    source: Source::PasswordFile,
                    evidence: vec![ev],
                });
            }
        }
    }
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for c in &creds {
        if let Some(h) = &c.hash {
            let key = (h.clone(), c.user.clone());
            if seen.insert(key.clone()) {
                keys.push(key);
            }
        }
    }
    keys.truncate(MAX_HASHES);
    let cracked = crack::crack_all(&keys, &cx.options.extra_passwords, &Budget::image());
    Analysis {
        creds,
        cracked,
        hits,
        defaults,
        links,
    }
}

/// Identity of the image and options a context shows (addresses and sizes of the nodes' contents,
/// paths, links, user wordlists): the checks of one run share one analysis.
fn fingerprint(cx: &Context<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (cx.manifest as *const _ as usize).hash(&mut h);
    (cx.inventory as *const _ as usize).hash(&mut h);
    cx.manifest.input.name.hash(&mut h);
    cx.manifest.nodes.len().hash(&mut h);
    for n in &cx.manifest.nodes {
        n.path.hash(&mut h);
        n.size.hash(&mut h);
        n.link_target.hash(&mut h);
        n.data.as_ref().map(|d| d.as_ptr() as usize).hash(&mut h);
    }
    cx.inventory.accounts.users.len().hash(&mut h);
    cx.options.extra_passwords.hash(&mut h);
    h.finish()
}

enum Slot {
    Computing,
    Done(Arc<Analysis>),
}

/// Analyses kept for reuse (the last few images).
const CACHED: usize = 4;

/// The analysis of the image in `cx`, computed once and shared by the checks of this module.
///
/// The checks run in parallel on rayon's global pool; the first to ask computes the analysis on a
/// dedicated pool from a plain scoped thread, and the others wait on a condition variable. A
/// global-pool worker therefore never waits while holding work the computation needs, and never
/// steals a job that waits on itself (which a lock held across a `par_iter` would allow).
fn analysis(cx: &Context<'_>) -> Arc<Analysis> {
    type Slots = (Mutex<Vec<(u64, Slot)>>, Condvar);
    static SLOTS: LazyLock<Slots> = LazyLock::new(|| (Mutex::new(Vec::new()), Condvar::new()));
    static POOL: LazyLock<Option<rayon::ThreadPool>> = LazyLock::new(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("passwords-{i}"))
            .build()
            .ok()
    });
    let key = fingerprint(cx);
    let (lock, ready) = &*SLOTS;
    {
        let mut slots = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match slots.iter().find(|(k, _)| *k == key) {
                Some((_, Slot::Done(a))) => return a.clone(),
                Some((_, Slot::Computing)) => {
                    slots = ready.wait(slots).unwrap_or_else(|e| e.into_inner());
                }
                None => {
                    slots.push((key, Slot::Computing));
                    break;
                }
            }
        }
    }
    let computed = std::thread::scope(|s| {
        s.spawn(|| match &*POOL {
            Some(pool) => pool.install(|| analyse(cx)),
            None => analyse(cx),
        })
        .join()
    });
    let a = Arc::new(computed.unwrap_or_else(|_| Analysis {
        creds: Vec::new(),
        cracked: HashMap::new(),
        hits: Vec::new(),
        defaults: Vec::new(),
        links: Vec::new(),
    }));
    let mut slots = lock.lock().unwrap_or_else(|e| e.into_inner());
    slots.retain(|(k, _)| *k != key);
    slots.push((key, Slot::Done(a.clone())));
    while slots.len() > CACHED {
        match slots.iter().position(|(_, s)| matches!(s, Slot::Done(_))) {
            Some(i) => {
                slots.remove(i);
            }
            None => break,
        }
    }
    ready.notify_all();
    a
}

fn cap(check: &str, mut findings: Vec<Finding>) -> Vec<Finding> {
    if findings.len() > MAX_FINDINGS {
        let dropped = findings.len() - MAX_FINDINGS;
        findings.truncate(MAX_FINDINGS);
        let provisions: Vec<String> = findings[0]
            .provisions
            .iter()
            .map(|p| p.to_string())
            .collect();
        let provisions: Vec<&str> = provisions.iter().map(String::as_str).collect();
        findings.push(Finding::new(
            check,
            &provisions,
            Severity::Info,
            format!("{dropped} more findings of {check} not listed"),
            format!("Only the first {MAX_FINDINGS} findings of this check are listed."),
            "Fix the listed ones and run the scan again.",
        ));
    }
    findings
}

fn service_evidence(services: &[&Service]) -> Vec<Evidence> {
    services.iter().map(|s| s.evidence.clone()).collect()
}

fn service_names(services: &[&Service]) -> String {
    let mut names: Vec<&str> = services.iter().map(|s| s.program.as_str()).collect();
    names.dedup();
    names.join(", ")
}

fn shell_note(c: &Credential) -> String {
    match &c.source {
        Source::Account {
            shell: Some(s),
            login_capable: Some(true),
            ..
        } => format!(
            " (login shell {})",
            if s.is_empty() { "/bin/sh" } else { s }
        ),
        Source::Account {
            login_capable: None,
            ..
        } => " (no passwd line: shell unknown)".into(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The checks

/// `passwords.empty`: login-capable accounts with an empty password field.
pub struct EmptyPassword;

impl Check for EmptyPassword {
    fn id(&self) -> &'static str {
        "passwords.empty"
    }
    fn title(&self) -> &'static str {
        "Accounts that log in with an empty password"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Seen {
        accounts_coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let mut out = Vec::new();
        for c in a
            .creds
            .iter()
            .filter(|c| c.is_account() && c.hash.is_none())
        {
            if c.login_capable() == Some(false) {
                continue;
            }
            let services = remote_logins(cx, c);
            let severity = if services.is_empty() {
                Severity::High
            } else {
                Severity::Critical
            };
            let remote = if services.is_empty() {
                String::new()
            } else {
                format!(
                    " {} is started at boot, so anyone on the network can log in as {} without a \
                     password.",
                    service_names(&services),
                    c.user
                )
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                severity,
                format!("{} has an empty password{}", c.user, shell_note(c)),
                format!(
                    "The password field of {} in {} is empty, so every unit of this firmware \
                     accepts {} with no password: a universal default credential, which EN 303 645 \
                     5.1-1 and PSTI Schedule 1 paragraph 1 forbid.{remote}",
                    c.user,
                    c.file(),
                    c.user
                ),
                format!(
                    "Ship {user} locked (`*` or `!` in the password field of {file}) and set a unique \
                     per-device password at manufacture, or force the user to set one on first \
                     use before any remote login is enabled; remove the empty `{user}::` field.",
                    user = c.user,
                    file = c.file()
                ),
            );
            f.evidence.extend(c.evidence.iter().cloned());
            f.evidence.extend(service_evidence(&services));
            out.push(f);
        }
        cap(self.id(), out)
    }
}

/// `passwords.default`: stored hashes that match a password from a public default list.
pub struct DefaultPassword;

impl Check for DefaultPassword {
    fn id(&self) -> &'static str {
        "passwords.default"
    }
    fn title(&self) -> &'static str {
        "Password hashes cracked from public default-credential lists"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Seen {
        accounts_coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let mut out = Vec::new();
        for c in &a.creds {
            let Some(hash) = &c.hash else { continue };
            let Some(r) = a.cracked.get(&(hash.clone(), c.user.clone())) else {
                continue;
            };
            let Some(found) = &r.found else { continue };
            let services = remote_logins(cx, c);
            let severity = if !services.is_empty() {
                Severity::Critical
            } else if c.login_capable() == Some(false) {
                Severity::Medium
            } else {
                Severity::High
            };
            let (password, first) = found;
            let origin = describe_origin(&c.user, password, first);
            let shown = if password.is_empty() {
                "an empty password".to_string()
            } else {
                format!("'{password}'")
            };
            let kind = match first {
                Origin::Common(_) => "a common password",
                Origin::UserList => "in the user wordlist:",
                _ => "the public default",
            };
            let what = if c.is_account() {
                "account"
            } else {
                "password-file entry"
            };
            let remote = if services.is_empty() {
                String::new()
            } else {
                format!(
                    " {} is started at boot, so the credential works over the network.",
                    service_names(&services)
                )
            };
            let login = if c.login_capable() == Some(false) {
                " The account has no login shell, which limits but does not remove its use."
            } else {
                ""
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                severity,
                format!(
                    "{}'s {what} password is {kind} {shown} ({}){}",
                    c.user,
                    first.list_name(),
                    shell_note(c)
                ),
                format!(
                    "The {} hash of {} in {} matches {shown}, found in: {origin}. The same \
                     credential ships on every unit and is among the first an attacker tries, so it \
                     is a universal default password (EN 303 645 5.1-1, PSTI Schedule 1 paragraph \
                     1).{remote}{login}",
                    Scheme::of(hash),
                    c.user,
                    c.file()
                ),
                format!(
                    "Do not ship a fixed password for {user}: generate a unique random password \
                     per device at manufacture or require the user to set one on first use; lock \
                     the entry in {file} (`*`) if the account needs no password login.",
                    user = c.user,
                    file = c.file()
                ),
            );
            f.evidence.extend(c.evidence.iter().cloned());
            f.evidence.extend(service_evidence(&services));
            out.push(f);
        }
        cap(self.id(), out)
    }
}

/// `passwords.weak-hash`: passwords stored with a fast or unsalted scheme.
pub struct WeakHash;

impl Check for WeakHash {
    fn id(&self) -> &'static str {
        "passwords.weak-hash"
    }
    fn title(&self) -> &'static str {
        "Passwords stored with a weak hash scheme (DES, md5crypt, apr1, unsalted SHA)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-3", "5.4-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Seen {
        accounts_coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let mut out = Vec::new();
        for c in &a.creds {
            let Some(hash) = &c.hash else { continue };
            let scheme = Scheme::of(hash);
            let Some(why) = scheme.weakness() else {
                continue;
            };
            let empty_salt = if hash.starts_with("$1$$") || hash.starts_with("$apr1$$") {
                " with an empty salt"
            } else {
                ""
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Medium,
                format!("{}'s password is stored as {scheme}{empty_salt}", c.user),
                format!(
                    "{} in {} uses {why}{}. A stored credential must resist offline guessing \
                     (EN 303 645 5.1-3 best-practice cryptography for authentication, 5.4-1 \
                     secure storage of security parameters).",
                    c.user,
                    c.file(),
                    if empty_salt.is_empty() {
                        ""
                    } else {
                        "; the empty salt makes the hash identical on every unit with the same password"
                    }
                ),
                "Store passwords with yescrypt, bcrypt or sha512crypt with a random per-password \
                 salt (and a high cost); for web and MQTT password files use bcrypt \
                 (`htpasswd -B`) or PBKDF2 (`mosquitto_passwd` 2.x).",
            );
            f.evidence.extend(c.evidence.iter().cloned());
            out.push(f);
        }
        cap(self.id(), out)
    }
}

/// `passwords.hardcoded`: plaintext passwords written in configuration files and scripts.
pub struct HardcodedPassword;

impl Check for HardcodedPassword {
    fn id(&self) -> &'static str {
        "passwords.hardcoded"
    }
    fn title(&self) -> &'static str {
        "Plaintext passwords in configuration files and scripts"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1", "5.4-3"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let roots = cx.tree.roots();
        let mut out = Vec::new();
        // Lines a script resolved into a credential, and default values reported on their own:
        // each is reported once.
        let in_chain: HashSet<(String, Option<usize>)> = a
            .hits
            .iter()
            .filter(|h| matches!(h.hit, Hit::Plain { .. }))
            .flat_map(|h| h.chain.iter().map(|e| (e.path.clone(), e.line)))
            .collect();
        let mut reported: HashSet<(usize, String, usize)> = HashSet::new();
        for (r, d) in a.defaults.iter().enumerate() {
            for (i, v) in d.values.iter().enumerate() {
                if in_chain.contains(&(v.evidence.path.clone(), v.evidence.line)) {
                    continue;
                }
                let user = d.user_for(i).map(|u| u.value.as_str());
                let Some(kind) = default_kind(&v.key, &v.value, user) else {
                    continue;
                };
                reported.insert((r, v.evidence.path.clone(), v.evidence.line.unwrap_or(0)));
                out.push(default_finding(self, v, user, kind));
            }
        }
        for h in &a.hits {
            let Hit::Plain {
                what,
                user,
                value,
                login,
            } = &h.hit
            else {
                continue;
            };
            // A line another finding's chain includes (a default, an assignment) is reported
            // there, with what uses it.
            if reported.contains(&(h.root, h.path.clone(), h.line))
                || in_chain.contains(&(h.path.clone(), Some(h.line)))
            {
                continue;
            }
            let telnet = what.starts_with("telnetd");
            let services: Vec<&Service> = if telnet {
                cx.inventory
                    .services
                    .started("telnetd")
                    .filter(|s| s.enablement() == Enablement::Yes)
                    .collect()
            } else {
                Vec::new()
            };
            let severity = if !services.is_empty() {
                Severity::Critical
            } else if *login {
                Severity::High
            } else {
                Severity::Medium
            };
            let who = user
                .as_deref()
                .map(|u| format!(" for {u}"))
                .unwrap_or_default();
            let known = user
                .as_deref()
                .map(|u| {
                    let o = describe_origin(u, value, &Origin::UserList);
                    match o.strip_prefix(Origin::UserList.list_name()) {
                        Some("") => String::new(),
                        Some(rest) => format!(
                            " It is also in public lists ({}).",
                            rest.trim_start_matches("; ")
                        ),
                        None => format!(" It is also in public lists ({o})."),
                    }
                })
                .unwrap_or_default();
            let resolved = if h.chain.is_empty() {
                String::new()
            } else {
                let steps: Vec<String> = h
                    .chain
                    .iter()
                    .map(|e| match e.line {
                        Some(l) => format!("{} line {l}", e.path),
                        None => e.path.clone(),
                    })
                    .collect();
                format!(
                    " The value is not written on that line: it comes from {} (evidence in that \
                     order).",
                    steps.join(" → ")
                )
            };
            let (title, what_sets) = if telnet {
                let u = user.as_deref().unwrap_or("?");
                (
                    format!(
                        "Hard-coded telnet login {u}/{value} in {} (telnetd -u)",
                        h.path
                    ),
                    format!(
                        "{} line {} starts telnetd with `-u {u}:{value}`: the telnet service \
                         accepts this one fixed login",
                        h.path, h.line
                    ),
                )
            } else {
                (
                    format!("Hard-coded password{who} in {} ({what})", h.path),
                    format!(
                        "{} line {} sets the password '{value}'{who} in plain text",
                        h.path, h.line
                    ),
                )
            };
            let remote = if services.is_empty() {
                String::new()
            } else {
                format!(
                    " {} is started at boot, so the login works over the network.",
                    service_names(&services)
                )
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                severity,
                title,
                format!(
                    "{what_sets}.{resolved} Every unit ships the same value, so it is not unique \
                     per device (EN 303 645 5.1-1) and it is a critical security parameter \
                     hard-coded in the software (5.4-3).{remote}{known}"
                ),
                if *login {
                    "Remove the fixed password from the image: generate a unique password per \
                     device at manufacture (stored outside the firmware image) or make the user \
                     set it on first use."
                        .to_string()
                } else {
                    format!(
                        "Leave the value empty in {} and provision a unique per-device value at \
                         manufacture or at first setup; never ship a working secret in the \
                         firmware image.",
                        h.path
                    )
                },
            );
            f.evidence.extend(h.evidence_chain(roots));
            f.evidence.extend(service_evidence(&services));
            out.push(f);
        }
        cap(self.id(), out)
    }
}

/// What a default-configuration value is, when it is a credential: (description, is a login
/// password). A non-empty password-like key counts; an empty one counts for a Wi-Fi key and a
/// login (web/admin) password, where empty means no protection at all.
fn default_kind(key: &str, value: &str, user: Option<&str>) -> Option<(&'static str, bool)> {
    let words = key_words(key);
    let wifi = words.iter().any(|w| {
        w.starts_with("psk")
            || w.starts_with("wpa")
            || w.starts_with("wep")
            || w.starts_with("wifi")
            || w.starts_with("wlan")
            || (w.starts_with("wl") && w[2..].chars().all(|c| c.is_ascii_digit()))
    });
    let login = user.is_some()
        || words.iter().any(|w| {
            [
                "http", "web", "admin", "sys", "login", "root", "telnet", "ssh", "user", "super",
            ]
            .iter()
            .any(|x| w.starts_with(x))
        });
    let password = password_key(key, false) || (wifi && words.iter().any(|w| w == "key"));
    if !password || (!value.is_empty() && !literal_secret(value)) {
        return None;
    }
    if wifi {
        Some(("Wi-Fi pre-shared key", false))
    } else if login {
        Some(("login password", true))
    } else if value.is_empty() {
        None
    } else {
        Some(("password setting", false))
    }
}

fn default_finding(
    check: &HardcodedPassword,
    v: &defaults::DefaultValue,
    user: Option<&str>,
    (kind, login): (&str, bool),
) -> Finding {
    let path = &v.evidence.path;
    let line = v.evidence.line.unwrap_or(0);
    let who = user.map(|u| format!(" for {u}")).unwrap_or_default();
    let (severity, title, what) = if v.value.is_empty() {
        (
            if login {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("Empty default {kind}{who} in {path} ({})", v.key),
            if login {
                format!(
                    "{path} line {line} sets {} to an empty value{who}: until someone sets one, \
                     every unit accepts that login with no password",
                    v.key
                )
            } else {
                format!(
                    "{path} line {line} sets {} to an empty value: until someone sets a key, the \
                     network is open or keyed by a value created at run time that the image does \
                     not show",
                    v.key
                )
            },
        )
    } else {
        let known = user
            .map(|u| {
                let o = describe_origin(u, &v.value, &Origin::UserList);
                if o == "user wordlist" {
                    String::new()
                } else {
                    format!(" It is also a public default ({o}).")
                }
            })
            .unwrap_or_default();
        (
            if login {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("Default {kind}{who} in {path} ({}): '{}'", v.key, v.value),
            format!(
                "{path} line {line} sets {} to '{}'{who} in the default configuration, which a \
                 unit uses until someone changes it.{known}",
                v.key, v.value
            ),
        )
    };
    Finding::new(
        check.id(),
        check.provisions(),
        severity,
        title,
        format!(
            "{what}. Every unit ships the same default, so it is a universal default credential \
             (EN 303 645 5.1-1, PSTI Schedule 1 paragraph 1) and a critical security parameter \
             hard-coded in the software (5.4-3)."
        ),
        format!(
            "Do not ship a working default in {path}: generate a unique {kind} per device at \
             manufacture (printed on the label, stored outside the image) or make the user set \
             one before the service is enabled."
        ),
    )
    .with_evidence(v.evidence.clone())
}

/// `passwords.autologin`: `login -f USER` — a session opened without asking for a password.
pub struct AutoLogin;

impl Check for AutoLogin {
    fn id(&self) -> &'static str {
        "passwords.autologin"
    }
    fn title(&self) -> &'static str {
        "Sessions opened without authentication (`login -f`)"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let roots = cx.tree.roots();
        let mut out = Vec::new();
        for h in &a.hits {
            let Hit::AutoLogin { user } = &h.hit else {
                continue;
            };
            out.push(
                Finding::new(
                    self.id(),
                    self.provisions(),
                    Severity::Medium,
                    format!("{} logs {user} in without a password (`login -f`)", h.path),
                    format!(
                        "`login -f {user}` skips authentication: whoever reaches the terminal it \
                         serves (a serial console, or a network service if one runs it) gets a \
                         {user} session with no password on every unit (EN 303 645 5.1-1)."
                    ),
                    format!(
                        "Call `login` without `-f` (or `getty`) so a per-device or user-set \
                         password is asked; remove `login -f {user}` from {}.",
                        h.path
                    ),
                )
                .with_evidence(h.evidence(roots)),
            );
        }
        cap(self.id(), out)
    }
}

/// `passwords.uid0`: several accounts of one file with uid 0.
pub struct SeveralRoots;

impl Check for SeveralRoots {
    fn id(&self) -> &'static str {
        "passwords.uid0"
    }
    fn title(&self) -> &'static str {
        "Several accounts with uid 0"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.6-7"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Seen {
        accounts_coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut by_file: Vec<Vec<&iotassay_inventory::Account>> = Vec::new();
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        for a in cx.inventory.accounts.users.iter().filter(|a| a.uid == 0) {
            let key = (a.evidence.node.as_str(), a.evidence.path.as_str());
            match index.get(&key) {
                Some(&i) => by_file[i].push(a),
                None => {
                    index.insert(key, by_file.len());
                    by_file.push(vec![a]);
                }
            }
        }
        /// Names listed at most in a title.
        const SHOWN: usize = 8;
        let list = |names: &[&str]| {
            let mut s = names
                .iter()
                .take(SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > SHOWN {
                s.push_str(&format!(" and {} more", names.len() - SHOWN));
            }
            s
        };
        let mut out = Vec::new();
        for accounts in by_file.into_iter().filter(|v| v.len() > 1) {
            let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
            let others: Vec<&str> = names.iter().filter(|n| **n != "root").copied().collect();
            let file = &accounts[0].evidence.path;
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Low,
                format!(
                    "{} accounts have uid 0 in {file}: {}",
                    names.len(),
                    list(&names)
                ),
                format!(
                    "Every uid-0 account is root: a daemon that drops privileges to one of them \
                     ({}) keeps full privileges, and each one with a password is one more root \
                     login to protect (EN 303 645 5.6-7 least privilege).",
                    list(&others)
                ),
                format!(
                    "Keep one uid-0 account; give the others ({}) their own unprivileged uid in \
                     {file}.",
                    list(&names[1..])
                ),
            );
            f.evidence
                .extend(accounts.iter().take(20).map(|a| a.evidence.clone()));
            out.push(f);
        }
        cap(self.id(), out)
    }
}

/// Why the password checks could not examine the device's accounts, when they could not: an
/// account file (`etc/passwd`, `etc/shadow`) links to a file absent from the image and no source
/// of its entries was found (e.g. "passwd is a link to /var/passwd, written at run time; no
/// source found"). `None` when the accounts were seen. Guideline 1's status should not count the
/// password checks as having examined the accounts when this says why.
pub fn accounts_not_examined(cx: &Context<'_>) -> Option<String> {
    let a = analysis(cx);
    let reasons: Vec<String> = a
        .links
        .iter()
        .filter(|l| l.holds_accounts())
        .filter_map(|l| l.reason(&a.hits))
        .collect();
    // Accounts seen elsewhere in the image (a `passwd.bak` nothing is shown to copy) do not make
    // up for the ones the device will use.
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// `passwords.coverage`: what could not be assessed (Info only): account files created at boot,
/// hashes of schemes not verifiable here, and hashes not cracked (with how far the search went).
pub struct Coverage;

impl Check for Coverage {
    fn id(&self) -> &'static str {
        "passwords.coverage"
    }
    fn title(&self) -> &'static str {
        "Credentials the image does not let us assess"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.1-1"]
    }
    fn coverage(&self, cx: &Context<'_>) -> Seen {
        accounts_coverage(cx)
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let a = analysis(cx);
        let mut out = Vec::new();
        let roots = cx.tree.roots();
        for link in &a.links {
            let root = &roots[link.root];
            let (path, target) = (&link.path, &link.target);
            let link_evidence = root.evidence(
                path,
                None,
                None,
                Some(format!(
                    "{path} -> {}",
                    root.entry(path)
                        .and_then(|n| n.link_target.clone())
                        .unwrap_or_default()
                )),
            );
            let mut f = match link.reason(&a.hits) {
                None => {
                    let how = match &link.copied_from {
                        Some((from, w)) => {
                            let h = &a.hits[*w];
                            format!("copied from {from} by {} line {}", h.path, h.line)
                        }
                        None => "written line by line by a boot script".to_string(),
                    };
                    Finding::new(
                        self.id(),
                        self.provisions(),
                        Severity::Info,
                        format!(
                            "{path} links to {target}, absent from the image: its entries are \
                             {how}, and assessed from there"
                        ),
                        format!(
                            "{path} is written at boot; its accounts are {how}, so the \
                             password checks examined them where the image holds them."
                        ),
                        "Nothing to do for this note; see the other password findings.",
                    )
                }
                Some(reason) => Finding::new(
                    self.id(),
                    self.provisions(),
                    Severity::Info,
                    format!(
                        "{} not examined: {reason}",
                        if link.holds_accounts() {
                            "Accounts"
                        } else {
                            "Groups"
                        }
                    ),
                    format!(
                        "{path} links to {target}, absent from the image: the accounts and \
                         passwords it will hold are created at run time, so whether they are \
                         unique per device (5.1-1) could not be examined from the firmware. The \
                         password checks therefore did not examine the device's accounts."
                    ),
                    "Declare how the accounts and their passwords are provisioned, or test a \
                     running unit (iotassay probe).",
                ),
            };
            f.evidence.push(link_evidence);
            for &w in link.writers.iter().take(5) {
                f.evidence.push(a.hits[w].evidence(roots));
            }
            if let Some((from, _)) = &link.copied_from {
                f.evidence.push(root.evidence(
                    from,
                    None,
                    None,
                    Some(format!("source of {target}")),
                ));
            }
            for p in link.programs.iter().take(5) {
                f.evidence.push(p.evidence.clone());
            }
            out.push(f);
        }
        let untried: Vec<&Credential> = a
            .creds
            .iter()
            .filter(|c| {
                c.hash
                    .as_ref()
                    .is_some_and(|h| !a.cracked.contains_key(&(h.clone(), c.user.clone())))
            })
            .collect();
        if !untried.is_empty() {
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Info,
                format!(
                    "{} password hashes not tried (more than {MAX_HASHES} in the image)",
                    untried.len()
                ),
                format!(
                    "Only the first {MAX_HASHES} distinct hashes of an image are tried against the \
                     default lists."
                ),
                "Run a dictionary attack offline (john, hashcat) on the remaining hashes.",
            );
            f.evidence.extend(
                untried
                    .iter()
                    .take(20)
                    .filter_map(|c| c.evidence.first().cloned()),
            );
            out.push(f);
        }
        for c in &a.creds {
            let Some(hash) = &c.hash else { continue };
            let Some(r) = a.cracked.get(&(hash.clone(), c.user.clone())) else {
                continue;
            };
            if r.found.is_some() {
                continue;
            }
            let scheme = crack::scheme_and_cost(hash);
            let (title, rationale) = if !r.verifiable {
                (
                    format!(
                        "{}'s password hash ({scheme}) could not be verified here",
                        c.user
                    ),
                    format!(
                        "The hash of {} in {} is of a scheme (or with parameters) this tool does \
                         not verify, so whether it is a public default is not known.",
                        c.user,
                        c.file()
                    ),
                )
            } else {
                let strength = if Scheme::of(hash).weakness().is_some() {
                    "a weak scheme: an offline attack with larger lists is cheap"
                } else {
                    "a strong scheme"
                };
                (
                    format!(
                        "{}'s password not cracked: {scheme}; tried {} candidates{}",
                        c.user,
                        crack::thousands(r.tried()),
                        if r.stopped.is_some() {
                            " (budget reached)"
                        } else {
                            " (every list)"
                        }
                    ),
                    format!(
                        "The {scheme} hash of {} in {} matched none of the candidates tried: {}. \
                         It is {strength}. Not cracked is not proof of a unique or strong \
                         password, only that it is none of these.",
                        c.user,
                        c.file(),
                        r.progress()
                    ),
                )
            };
            let mut f = Finding::new(
                self.id(),
                self.provisions(),
                Severity::Info,
                title,
                rationale,
                "Run a longer dictionary attack offline (john, hashcat) if the scheme allows.",
            );
            f.evidence.extend(c.evidence.iter().cloned());
            out.push(f);
        }
        cap(self.id(), out)
    }
}

#[cfg(test)]
mod tests;
