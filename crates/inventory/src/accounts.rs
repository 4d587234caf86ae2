//! Users and groups: `passwd`, `shadow` and `group` files, wherever the image keeps them.
//!
//! Firmware often keeps the real account files outside `etc/` (`etc/passwd` is frequently a link to
//! `/var/passwd`, written at boot from a template such as `etc/passwd.bak`), so every file whose name
//! says `passwd` or `shadow` is read, and each entry says which file and line it came from. The
//! parsers are tolerant: a line that does not parse is skipped with a [`ParseNote`], never an error.

use std::collections::HashSet;

use iotassay_unpack::NodeKind;
use serde::{Deserialize, Serialize};

use crate::tree::{FileTree, ResolveError};
use crate::Evidence;

/// Account files bigger than this are not account files (or are an attack on the parser).
const MAX_ACCOUNT_FILE: usize = 4 << 20;
/// Lines read per file at most.
const MAX_LINES: usize = 100_000;
/// Longest line kept as evidence text.
const MAX_EVIDENCE_LINE: usize = 512;

/// The crypt(3) scheme of a password hash, recognised from its prefix (or shape, for DES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashScheme {
    /// Traditional DES crypt: 13 characters of `./0-9A-Za-z`, 8-character passwords, trivially cracked.
    Des,
    /// BSDi extended DES: `_` and 19 characters.
    BsdiDes,
    /// `$1$`: md5crypt, fast to brute-force.
    Md5Crypt,
    /// `$apr1$`: Apache's md5crypt variant.
    Apr1,
    /// `$5$`: sha256crypt.
    Sha256Crypt,
    /// `$6$`: sha512crypt.
    Sha512Crypt,
    /// `$2a$`, `$2b$`, `$2x$`, `$2y$`: bcrypt.
    Bcrypt,
    /// `$y$`: yescrypt.
    Yescrypt,
    /// `$gy$`: gost-yescrypt.
    GostYescrypt,
    /// `$7$`: scrypt.
    Scrypt,
    /// `$sha1$`: NetBSD's sha1crypt.
    Sha1Crypt,
    /// `$md5$` / `$md5,`: Sun's md5.
    SunMd5,
    /// Anything else (possibly a plaintext password, or a vendor scheme).
    Unknown,
}

impl HashScheme {
    /// Recognise the scheme of a crypt(3) string.
    pub fn of(hash: &str) -> HashScheme {
        const PREFIXES: [(&str, HashScheme); 12] = [
            ("$1$", HashScheme::Md5Crypt),
            ("$apr1$", HashScheme::Apr1),
            ("$5$", HashScheme::Sha256Crypt),
            ("$6$", HashScheme::Sha512Crypt),
            ("$2a$", HashScheme::Bcrypt),
            ("$2b$", HashScheme::Bcrypt),
            ("$2x$", HashScheme::Bcrypt),
            ("$2y$", HashScheme::Bcrypt),
            ("$y$", HashScheme::Yescrypt),
            ("$gy$", HashScheme::GostYescrypt),
            ("$7$", HashScheme::Scrypt),
            ("$sha1$", HashScheme::Sha1Crypt),
        ];
        for (prefix, scheme) in PREFIXES {
            if hash.starts_with(prefix) {
                return scheme;
            }
        }
        if hash.starts_with("$md5$") || hash.starts_with("$md5,") {
            return HashScheme::SunMd5;
        }
        let crypt_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
        if hash.len() == 13 && hash.chars().all(crypt_char) {
            return HashScheme::Des;
        }
        if hash.len() == 20 && hash.starts_with('_') && hash[1..].chars().all(crypt_char) {
            return HashScheme::BsdiDes;
        }
        HashScheme::Unknown
    }
}

/// What the password field of an account says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum PasswordState {
    /// Empty field: no password at all (login without one, where the service allows it).
    Empty,
    /// No password login possible: `*`, `!`, `!!`, `!<hash>` (locked hash), or `x` in a shadow file.
    /// `raw` keeps the field so a locked hash (`!$1$…`) stays visible.
    Locked { raw: String },
    /// `x` in a passwd file: the hash is in the shadow file.
    InShadow,
    /// A crypt(3) hash (or something in its place).
    Hash { scheme: HashScheme, raw: String },
}

impl PasswordState {
    /// Classify a password field; `in_shadow` tells a shadow file (where `x` means locked) from a
    /// passwd file (where `x` means "see shadow").
    pub fn classify(field: &str, in_shadow: bool) -> PasswordState {
        match field {
            "" => PasswordState::Empty,
            "x" if !in_shadow => PasswordState::InShadow,
            "x" | "*" | "!" | "!!" | "*LK*" | "LK" | "NP" => PasswordState::Locked {
                raw: field.to_string(),
            },
            f if f.starts_with('!') || f.starts_with('*') => PasswordState::Locked {
                raw: field.to_string(),
            },
            f => PasswordState::Hash {
                scheme: HashScheme::of(f),
                raw: f.to_string(),
            },
        }
    }
}

/// A parse problem: a line skipped, a file that could not be read or a link that goes nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseNote {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// One line of a passwd file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswdEntry {
    pub name: String,
    pub password: PasswordState,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    /// 1-based line number.
    pub line: usize,
    pub text: String,
}

impl PasswdEntry {
    /// Whether the shell lets the account log in interactively (not `nologin`, `false`, `/dev/null`).
    /// An empty shell means `/bin/sh` to login(1), so it counts as capable.
    pub fn login_capable(&self) -> bool {
        login_shell(&self.shell)
    }
}

/// Whether a login shell gives a session.
pub fn login_shell(shell: &str) -> bool {
    let base = shell.trim().rsplit('/').next().unwrap_or("");
    !(base == "nologin" || base == "false" || shell.trim() == "/dev/null")
}

/// One line of a shadow file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowEntry {
    pub name: String,
    pub password: PasswordState,
    /// Days since 1970-01-01 of the last change (`0`: must change at next login).
    pub last_change: Option<i64>,
    pub max_days: Option<i64>,
    pub line: usize,
    pub text: String,
}

/// One line of a group file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub name: String,
    pub password: PasswordState,
    pub gid: u32,
    pub members: Vec<String>,
    pub line: usize,
    pub text: String,
}

/// Text lines of a file, 1-based, without `\r`, comments and blank lines skipped.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, String)> + '_ {
    data.split(|&b| b == b'\n')
        .take(MAX_LINES)
        .enumerate()
        .map(|(i, l)| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            (i + 1, String::from_utf8_lossy(l).into_owned())
        })
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

fn note(path: &str, line: usize, message: impl Into<String>) -> ParseNote {
    ParseNote {
        path: path.to_string(),
        line: Some(line),
        message: message.into(),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == ':')
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_EVIDENCE_LINE {
        return s.to_string();
    }
    let mut end = MAX_EVIDENCE_LINE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Parse a passwd file (`name:password:uid:gid:gecos:home:shell`). `path` only labels the notes.
pub fn parse_passwd(data: &[u8], path: &str) -> (Vec<PasswdEntry>, Vec<ParseNote>) {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    for (n, line) in lines(data) {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() != 7 {
            notes.push(note(
                path,
                n,
                format!("not a passwd line ({} fields, 7 expected)", fields.len()),
            ));
            continue;
        }
        let (Ok(uid), Ok(gid)) = (fields[2].trim().parse(), fields[3].trim().parse()) else {
            notes.push(note(path, n, "not a passwd line (uid or gid not a number)"));
            continue;
        };
        if !valid_name(fields[0]) {
            notes.push(note(path, n, "not a passwd line (bad user name)"));
            continue;
        }
        entries.push(PasswdEntry {
            name: fields[0].to_string(),
            password: PasswordState::classify(fields[1], false),
            uid,
            gid,
            gecos: fields[4].to_string(),
            home: fields[5].to_string(),
            shell: fields[6].to_string(),
            line: n,
            text: truncate(&line),
        });
    }
    (entries, notes)
}

/// Parse a shadow file (`name:password:lastchg:min:max:warn:inactive:expire:reserved`; only the
/// first two fields are required).
pub fn parse_shadow(data: &[u8], path: &str) -> (Vec<ShadowEntry>, Vec<ParseNote>) {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    for (n, line) in lines(data) {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 2 || fields.len() > 9 {
            notes.push(note(
                path,
                n,
                format!(
                    "not a shadow line ({} fields, 2 to 9 expected)",
                    fields.len()
                ),
            ));
            continue;
        }
        if !valid_name(fields[0]) {
            notes.push(note(path, n, "not a shadow line (bad user name)"));
            continue;
        }
        let number = |i: usize| fields.get(i).and_then(|f| f.trim().parse::<i64>().ok());
        entries.push(ShadowEntry {
            name: fields[0].to_string(),
            password: PasswordState::classify(fields[1], true),
            last_change: number(2),
            max_days: number(4),
            line: n,
            text: truncate(&line),
        });
    }
    (entries, notes)
}

/// Parse a group file (`name:password:gid:member,member`).
pub fn parse_group(data: &[u8], path: &str) -> (Vec<GroupEntry>, Vec<ParseNote>) {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    for (n, line) in lines(data) {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() != 4 {
            notes.push(note(
                path,
                n,
                format!("not a group line ({} fields, 4 expected)", fields.len()),
            ));
            continue;
        }
        let Ok(gid) = fields[2].trim().parse() else {
            notes.push(note(path, n, "not a group line (gid not a number)"));
            continue;
        };
        if !valid_name(fields[0]) {
            notes.push(note(path, n, "not a group line (bad group name)"));
            continue;
        }
        entries.push(GroupEntry {
            name: fields[0].to_string(),
            // A group's password field is like a shadow-less passwd one: `x` points to gshadow.
            password: PasswordState::classify(fields[1], false),
            gid,
            members: fields[3]
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
            line: n,
            text: truncate(&line),
        });
    }
    (entries, notes)
}

/// What kind of account file a name suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountFormat {
    Passwd,
    Shadow,
    Group,
}

impl AccountFormat {
    /// By file name: names with `shadow` (not `gshadow`), names with `passwd`, and `group`,
    /// `group-`, `group.bak`, … (not `groups`).
    pub fn from_name(name: &str) -> Option<AccountFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.contains("gshadow") {
            None
        } else if lower.contains("shadow") {
            Some(AccountFormat::Shadow)
        } else if lower.contains("passwd") {
            Some(AccountFormat::Passwd)
        } else if lower == "group"
            || lower.strip_prefix("group").is_some_and(|rest| {
                rest.starts_with(['-', '.', '~', '_']) && !rest.starts_with(".htm")
            })
        {
            Some(AccountFormat::Group)
        } else {
            None
        }
    }
}

/// A user account as one passwd line describes it, with its shadow entry when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    pub login_capable: bool,
    /// The password that counts: the shadow entry's when the passwd field is `x` and a shadow
    /// entry exists; otherwise the passwd field itself (still `InShadow` when no shadow was found).
    pub password: PasswordState,
    /// The passwd field as written.
    pub passwd_field: PasswordState,
    /// The passwd line.
    pub evidence: Evidence,
    /// The shadow line used, if any.
    pub shadow: Option<Evidence>,
}

/// A parsed account file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFile {
    pub format: AccountFormat,
    /// Root-relative path (or inner path outside a root).
    pub path: String,
    /// Output path of the node.
    pub node: String,
    pub entries: usize,
    pub skipped: usize,
}

/// Every account, shadow and group entry found, with the files read and the problems met.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    pub users: Vec<Account>,
    /// Shadow entries (also those without a passwd line).
    pub shadow: Vec<(ShadowEntry, Evidence)>,
    pub groups: Vec<(GroupEntry, Evidence)>,
    pub files: Vec<AccountFile>,
    pub notes: Vec<ParseNote>,
}

/// Whether bytes look like a text file (no NUL in the first 8 KiB, not an ELF).
fn is_text(data: &[u8]) -> bool {
    !data.starts_with(b"\x7fELF") && !data[..data.len().min(8192)].contains(&0)
}

/// Entries of one shadow file: (region, path, entries).
type ShadowFile = (Option<usize>, String, Vec<(ShadowEntry, Evidence)>);

/// A file queued for parsing.
struct Job {
    format: AccountFormat,
    index: usize,
    path: String,
    /// Canonical account files (`etc/passwd`…) are reported even when nothing parses.
    canonical: bool,
}

/// Read all account files of the tree.
pub fn collect(tree: &FileTree<'_>) -> Accounts {
    let manifest = tree.manifest();
    let mut out = Accounts::default();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut jobs: Vec<Job> = Vec::new();
    for root in tree.roots() {
        for (path, format) in [
            ("etc/passwd", AccountFormat::Passwd),
            ("etc/shadow", AccountFormat::Shadow),
            ("etc/group", AccountFormat::Group),
        ] {
            match root.resolve(path) {
                Ok(r) => {
                    if let Some(i) = r.index {
                        if seen.insert(i) {
                            jobs.push(Job {
                                format,
                                index: i,
                                path: tree.display_path(i).to_string(),
                                canonical: true,
                            });
                        }
                    }
                }
                Err(ResolveError::NotFound(missing)) if missing != path => {
                    let link = root
                        .entry(path)
                        .and_then(|n| n.link_target.clone())
                        .unwrap_or_default();
                    out.notes.push(ParseNote {
                        path: path.to_string(),
                        line: None,
                        message: format!(
                            "{path} links to {link}, which resolves to {missing}, absent from the \
                             image (likely created at boot)"
                        ),
                    });
                }
                Err(ResolveError::NotFound(_)) => {}
                Err(e) => out.notes.push(ParseNote {
                    path: path.to_string(),
                    line: None,
                    message: format!("{path} does not resolve: {e:?}"),
                }),
            }
        }
    }
    // Every other file named like an account file, in roots and elsewhere.
    for (i, node) in manifest.nodes.iter().enumerate() {
        if node.kind != NodeKind::File || seen.contains(&i) {
            continue;
        }
        let name = node.inner_path.rsplit('/').next().unwrap_or("");
        let Some(format) = AccountFormat::from_name(name) else {
            continue;
        };
        seen.insert(i);
        jobs.push(Job {
            format,
            index: i,
            path: tree.display_path(i).to_string(),
            canonical: false,
        });
    }

    let mut passwds = Vec::new();
    let mut shadows: Vec<ShadowFile> = Vec::new();
    for job in &jobs {
        let node = &manifest.nodes[job.index];
        let Some(data) = node.data.as_deref() else {
            out.notes.push(ParseNote {
                path: job.path.clone(),
                line: None,
                message: "content not in memory (unpack with keep_data)".into(),
            });
            continue;
        };
        if data.len() > MAX_ACCOUNT_FILE || !is_text(data) {
            if job.canonical {
                out.notes.push(ParseNote {
                    path: job.path.clone(),
                    line: None,
                    message: "not a text file of a sensible size; not parsed".into(),
                });
            }
            continue;
        }
        let provenance = manifest.provenance(node);
        let evidence = |line: usize, text: &str| Evidence {
            node: node.path.clone(),
            path: job.path.clone(),
            line: Some(line),
            offset: None,
            text: Some(text.to_string()),
            provenance: provenance.clone(),
        };
        let (entries, skipped, notes) = match job.format {
            AccountFormat::Passwd => {
                let (e, notes) = parse_passwd(data, &job.path);
                let n = e.len();
                passwds.push((job, e));
                (n, notes.len(), notes)
            }
            AccountFormat::Shadow => {
                let (e, notes) = parse_shadow(data, &job.path);
                let n = e.len();
                let with_evidence = e
                    .into_iter()
                    .map(|s| {
                        let ev = evidence(s.line, &s.text);
                        (s, ev)
                    })
                    .collect();
                shadows.push((Some(node.region), job.path.clone(), with_evidence));
                (n, notes.len(), notes)
            }
            AccountFormat::Group => {
                let (e, notes) = parse_group(data, &job.path);
                let n = e.len();
                out.groups.extend(e.into_iter().map(|g| {
                    let ev = evidence(g.line, &g.text);
                    (g, ev)
                }));
                (n, notes.len(), notes)
            }
        };
        // A file merely named like an account file (`www/passwd.htm`) that holds no entry is not one.
        if entries == 0 && !job.canonical {
            continue;
        }
        out.notes.extend(notes);
        out.files.push(AccountFile {
            format: job.format,
            path: job.path.clone(),
            node: node.path.clone(),
            entries,
            skipped,
        });
    }

    for (job, entries) in passwds {
        let node = &manifest.nodes[job.index];
        let provenance = manifest.provenance(node);
        let region = Some(node.region);
        // The shadow file of the same region with the matching name (`passwd.bak` →
        // `shadow.bak`), else that region's `etc/shadow`.
        let sibling = job.path.replace("passwd", "shadow");
        let pick = |name: &str| -> Option<&(ShadowEntry, Evidence)> {
            let same = |p: &str| {
                shadows
                    .iter()
                    .filter(|(r, path, _)| *r == region && path == p)
                    .flat_map(|(_, _, e)| e.iter())
                    .find(|(s, _)| s.name == name)
            };
            same(&sibling).or_else(|| same("etc/shadow"))
        };
        for e in entries {
            let shadow = pick(&e.name);
            let password = match (&e.password, shadow) {
                (PasswordState::InShadow, Some((s, _))) => s.password.clone(),
                (p, _) => p.clone(),
            };
            out.users.push(Account {
                login_capable: e.login_capable(),
                shadow: shadow.map(|(_, ev)| ev.clone()),
                evidence: Evidence {
                    node: node.path.clone(),
                    path: job.path.clone(),
                    line: Some(e.line),
                    offset: None,
                    text: Some(e.text.clone()),
                    provenance: provenance.clone(),
                },
                password,
                passwd_field: e.password,
                name: e.name,
                uid: e.uid,
                gid: e.gid,
                gecos: e.gecos,
                home: e.home,
                shell: e.shell,
            });
        }
    }
    out.shadow = shadows.into_iter().flat_map(|(_, _, e)| e).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            HashScheme::of("$1$$iC.dUsGpxNNJGeOm1dFio/"),
            HashScheme::Md5Crypt
        );
        assert_eq!(HashScheme::of("$apr1$abc$def"), HashScheme::Apr1);
        assert_eq!(HashScheme::of("$5$salt$hash"), HashScheme::Sha256Crypt);
        assert_eq!(HashScheme::of("$6$salt$hash"), HashScheme::Sha512Crypt);
        assert_eq!(
            HashScheme::of("$2a$10$abcdefghijklmnopqrstuv"),
            HashScheme::Bcrypt
        );
        assert_eq!(HashScheme::of("$2b$10$x"), HashScheme::Bcrypt);
        assert_eq!(HashScheme::of("$2y$10$x"), HashScheme::Bcrypt);
        assert_eq!(HashScheme::of("$y$j9T$salt$hash"), HashScheme::Yescrypt);
        assert_eq!(
            HashScheme::of("$gy$j9T$salt$hash"),
            HashScheme::GostYescrypt
        );
        assert_eq!(HashScheme::of("abJnggxhB/yWI"), HashScheme::Des);
        assert_eq!(HashScheme::of("_J9..rasmBYk8r9AiWNc"), HashScheme::BsdiDes);
        // 12 and 14 characters are not DES; a `$` in a 13-char string is not DES either.
        assert_eq!(HashScheme::of("abJnggxhB/yW"), HashScheme::Unknown);
        assert_eq!(HashScheme::of("abJnggxhB/yWIx"), HashScheme::Unknown);
        assert_eq!(HashScheme::of("abJnggxhB$yWI"), HashScheme::Unknown);
        assert_eq!(HashScheme::of("$9$x"), HashScheme::Unknown);
    }

    #[test]
    fn password_states() {
        assert_eq!(PasswordState::classify("", false), PasswordState::Empty);
        assert_eq!(PasswordState::classify("", true), PasswordState::Empty);
        assert_eq!(PasswordState::classify("x", false), PasswordState::InShadow);
        assert_eq!(
            PasswordState::classify("x", true),
            PasswordState::Locked { raw: "x".into() }
        );
        for locked in ["*", "!", "!!", "!$6$salt$hash"] {
            assert!(
                matches!(
                    PasswordState::classify(locked, true),
                    PasswordState::Locked { .. }
                ),
                "{locked}"
            );
        }
        assert_eq!(
            PasswordState::classify("$6$s$h", true),
            PasswordState::Hash {
                scheme: HashScheme::Sha512Crypt,
                raw: "$6$s$h".into()
            }
        );
    }

    #[test]
    fn passwd_with_garbage() {
        let data = b"# comment\r\nadmin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:root:/:/bin/sh\r\n\
                     garbage line\n\
                     bad:x:notanumber:0::/:/bin/sh\n\
                     \n\
                     nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
                     :x:1:1::/:/bin/sh\n\
                     daemon:x:1:1:daemon:/usr/sbin:/bin/false\n";
        let (entries, notes) = parse_passwd(data, "etc/passwd");
        assert_eq!(entries.len(), 3);
        assert_eq!(notes.len(), 3);
        assert_eq!(notes[0].line, Some(3));
        let admin = &entries[0];
        assert_eq!(admin.name, "admin");
        assert_eq!(admin.line, 2);
        assert_eq!(admin.uid, 0);
        assert!(admin.login_capable());
        assert_eq!(
            admin.password,
            PasswordState::Hash {
                scheme: HashScheme::Md5Crypt,
                raw: "$1$$iC.dUsGpxNNJGeOm1dFio/".into()
            }
        );
        assert_eq!(
            admin.text,
            "admin:$1$$iC.dUsGpxNNJGeOm1dFio/:0:0:root:/:/bin/sh"
        );
        assert!(!entries[1].login_capable());
        assert!(!entries[2].login_capable());
        assert_eq!(entries[2].line, 8);
    }

    #[test]
    fn shadow_forms() {
        // OpenWrt 12.09, 15.05, and the ESP32 image's 9-field empty line.
        let data =
            b"root:x:0:0:99999:7:::\nroot2::0:\nroot3::::::::\nnot-a-line\na:b:c:d:e:f:g:h:i:j\n";
        let (entries, notes) = parse_shadow(data, "etc/shadow");
        assert_eq!(entries.len(), 3);
        assert_eq!(notes.len(), 2);
        assert!(matches!(entries[0].password, PasswordState::Locked { .. }));
        assert_eq!(entries[0].last_change, Some(0));
        assert_eq!(entries[0].max_days, Some(99999));
        assert_eq!(entries[1].password, PasswordState::Empty);
        assert_eq!(entries[2].password, PasswordState::Empty);
        assert_eq!(entries[2].last_change, None);
    }

    #[test]
    fn groups() {
        let data = b"root::0:root,admin,support,user\nbin:x:1:\nbroken:x:y:\n";
        let (entries, notes) = parse_group(data, "etc/group");
        assert_eq!(entries.len(), 2);
        assert_eq!(notes.len(), 1);
        assert_eq!(entries[0].members, ["root", "admin", "support", "user"]);
        assert_eq!(entries[0].password, PasswordState::Empty);
        assert!(entries[1].members.is_empty());
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(
            AccountFormat::from_name("passwd"),
            Some(AccountFormat::Passwd)
        );
        assert_eq!(
            AccountFormat::from_name("passwd.bak"),
            Some(AccountFormat::Passwd)
        );
        assert_eq!(
            AccountFormat::from_name("passwd-"),
            Some(AccountFormat::Passwd)
        );
        assert_eq!(
            AccountFormat::from_name("shadow-"),
            Some(AccountFormat::Shadow)
        );
        assert_eq!(AccountFormat::from_name("gshadow"), None);
        assert_eq!(
            AccountFormat::from_name("group"),
            Some(AccountFormat::Group)
        );
        assert_eq!(
            AccountFormat::from_name("group-"),
            Some(AccountFormat::Group)
        );
        assert_eq!(AccountFormat::from_name("groups"), None);
        assert_eq!(AccountFormat::from_name("group.htm"), None);
        assert_eq!(AccountFormat::from_name("README"), None);
    }

    #[test]
    fn login_shells() {
        assert!(login_shell("/bin/sh"));
        assert!(login_shell(""));
        assert!(login_shell("/bin/ash"));
        assert!(!login_shell("/sbin/nologin"));
        assert!(!login_shell("/bin/false"));
        assert!(!login_shell("/dev/null"));
    }
}
