//! Publicly known default credentials, compiled into the binary: the 62 pairs of the Mirai
//! botnet's telnet scanner, the 3,766 vendor defaults of the DefaultCreds cheat sheet, SecLists'
//! telnet, SSH and FTP default pairs and its 2,863 vendor defaults, and SecLists' 10,000 most
//! common passwords (`data/README.md` says where each comes from and under which licence).
//!
//! One list for two uses: the firmware checks test whether a password hash found in an image is
//! one of these, and the live probe tries them against a device's login services. It sits below
//! both so neither depends on the other.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

const MIRAI_TSV: &str = include_str!("../data/mirai-telnet-credentials.tsv");
const DEFAULTCREDS_CSV: &str = include_str!("../data/defaultcreds-cheat-sheet.csv");
const SECLISTS_TELNET: &str = include_str!("../data/seclists/telnet-betterdefaultpasslist.txt");
const SECLISTS_SSH: &str = include_str!("../data/seclists/ssh-betterdefaultpasslist.txt");
const SECLISTS_FTP: &str = include_str!("../data/seclists/ftp-betterdefaultpasslist.txt");
const SECLISTS_VENDORS_CSV: &str = include_str!("../data/seclists/default-passwords.csv");
const SECLISTS_COMMON: &str = include_str!("../data/seclists/10k-most-common.txt");

/// The login service a SecLists `*-betterdefaultpasslist.txt` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Telnet,
    Ssh,
    Ftp,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Telnet => "telnet",
            Service::Ssh => "SSH",
            Service::Ftp => "FTP",
        }
    }
}

/// Which list a pair comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The Mirai scanner's list, with the pair's weight there (higher = tried more often).
    Mirai { weight: u32 },
    /// The DefaultCreds cheat sheet, with the vendor of the pair.
    DefaultCreds { vendor: String },
    /// SecLists' `<service>-betterdefaultpasslist.txt`.
    SecListsService { service: Service },
    /// SecLists' `default-passwords.csv`, with the vendor of the pair.
    SecListsVendor { vendor: String },
}

impl Source {
    /// The list, for people: `Mirai list`, `DefaultCreds cheat sheet`, `SecLists telnet
    /// defaults`, `SecLists vendor defaults`.
    pub fn list_name(&self) -> &'static str {
        match self {
            Source::Mirai { .. } => "Mirai list",
            Source::DefaultCreds { .. } => "DefaultCreds cheat sheet",
            Source::SecListsService {
                service: Service::Telnet,
            } => "SecLists telnet defaults",
            Source::SecListsService {
                service: Service::Ssh,
            } => "SecLists SSH defaults",
            Source::SecListsService {
                service: Service::Ftp,
            } => "SecLists FTP defaults",
            Source::SecListsVendor { .. } => "SecLists vendor defaults",
        }
    }

    /// The vendor the list names for the pair, if it names one.
    pub fn vendor(&self) -> Option<&str> {
        match self {
            Source::DefaultCreds { vendor } | Source::SecListsVendor { vendor } => {
                Some(vendor.as_str())
            }
            Source::Mirai { .. } | Source::SecListsService { .. } => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.list_name())
    }
}

/// The name of [`common_passwords`], for people.
pub const COMMON_LIST_NAME: &str = "10k most common passwords (SecLists)";

/// A known default user/password pair. An empty password is an empty string; so is the user of
/// a vendor default that has none (`<BLANK>` or `<N/A>` in SecLists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub user: String,
    pub password: String,
    pub source: Source,
}

impl Pair {
    /// For people: `Mirai list`, `DefaultCreds: VENDOR`, `SecLists telnet defaults` or
    /// `SecLists: VENDOR`.
    pub fn source_label(&self) -> String {
        match &self.source {
            Source::DefaultCreds { vendor } => format!("DefaultCreds: {vendor}"),
            Source::SecListsVendor { vendor } => format!("SecLists: {vendor}"),
            other => other.list_name().to_string(),
        }
    }
}

/// Lines of a compiled-in text file, LF or CRLF; only the line ending is removed (trailing spaces
/// belong to the password in SecLists' pair files).
fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// The fields of one CSV record: comma-separated, a field may be double-quoted with `""` for a
/// quote inside. A record is one line (SecLists' file has no quoted line breaks; its bare CRs
/// stay in the field).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// A SecLists field: `<BLANK>` is empty, `<N/A>` is `None` (does not apply).
fn seclists_field(s: &str) -> Option<String> {
    match s {
        "<BLANK>" => Some(String::new()),
        "<N/A>" => None,
        s => Some(s.to_string()),
    }
}

fn parse_mirai(out: &mut Vec<Pair>) {
    for line in lines(MIRAI_TSV).skip(1) {
        let mut f = line.split('\t');
        let (Some(user), Some(password)) = (f.next(), f.next()) else {
            continue;
        };
        let weight = f.next().and_then(|w| w.trim().parse().ok()).unwrap_or(0);
        out.push(Pair {
            user: user.to_string(),
            password: password.to_string(),
            source: Source::Mirai { weight },
        });
    }
}

fn parse_defaultcreds(out: &mut Vec<Pair>) {
    for line in lines(DEFAULTCREDS_CSV).skip(1) {
        // `vendor,user,password`; vendors may contain commas, users and passwords in this file
        // do not, so split from the right.
        let mut f = line.rsplitn(3, ',');
        let (Some(password), Some(user), Some(vendor)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let blank = |s: &str| {
            if s.eq_ignore_ascii_case("<blank>") {
                String::new()
            } else {
                s.to_string()
            }
        };
        out.push(Pair {
            user: blank(user),
            password: blank(password),
            source: Source::DefaultCreds {
                vendor: vendor.trim().to_string(),
            },
        });
    }
}

/// `user:password` lines, split at the first colon (`cirros:cubswin:)`); repeated pairs once.
fn parse_service_list(text: &'static str, service: Service, out: &mut Vec<Pair>) {
    let mut seen = HashSet::new();
    for line in lines(text) {
        let Some((user, password)) = line.split_once(':') else {
            continue;
        };
        if seen.insert((user, password)) {
            out.push(Pair {
                user: user.to_string(),
                password: password.to_string(),
                source: Source::SecListsService { service },
            });
        }
    }
}

/// `Vendor,Username,Password,Comments`; a row whose password does not apply (`<N/A>`) is no
/// credential; a user that does not apply is empty. Usernames are trimmed (`Cisco, EAdmin`).
fn parse_seclists_vendors(out: &mut Vec<Pair>) {
    for line in lines(SECLISTS_VENDORS_CSV).skip(1) {
        let f = csv_fields(line);
        let [vendor, user, password, ..] = &f[..] else {
            continue;
        };
        let Some(password) = seclists_field(password) else {
            continue;
        };
        let user = seclists_field(user.trim()).unwrap_or_default();
        out.push(Pair {
            user,
            password,
            source: Source::SecListsVendor {
                vendor: vendor.trim().to_string(),
            },
        });
    }
}

static PAIRS: LazyLock<Vec<Pair>> = LazyLock::new(|| {
    let mut pairs = Vec::new();
    parse_mirai(&mut pairs);
    parse_service_list(SECLISTS_TELNET, Service::Telnet, &mut pairs);
    parse_service_list(SECLISTS_SSH, Service::Ssh, &mut pairs);
    parse_service_list(SECLISTS_FTP, Service::Ftp, &mut pairs);
    parse_defaultcreds(&mut pairs);
    parse_seclists_vendors(&mut pairs);
    pairs
});

static COMMON: LazyLock<Vec<&'static str>> = LazyLock::new(|| lines(SECLISTS_COMMON).collect());

/// Every pair, in this order: the Mirai list (its file order, heaviest first), SecLists' telnet,
/// SSH and FTP defaults, the DefaultCreds cheat sheet, SecLists' vendor defaults. The small
/// IoT-login lists come first so a search cut short has tried them.
pub fn pairs() -> &'static [Pair] {
    &PAIRS
}

/// SecLists' 10,000 most common passwords, most common first.
pub fn common_passwords() -> &'static [&'static str] {
    &COMMON
}

/// The Mirai pairs, heaviest first.
pub fn mirai() -> impl Iterator<Item = &'static Pair> {
    pairs()
        .iter()
        .filter(|p| matches!(p.source, Source::Mirai { .. }))
}

/// The pairs of a vendor list (DefaultCreds, then SecLists) whose vendor contains `needle` (ASCII
/// case-insensitive).
pub fn vendor(needle: &str) -> impl Iterator<Item = &'static Pair> + '_ {
    let needle = needle.to_ascii_lowercase();
    pairs().iter().filter(move |p| {
        p.source
            .vendor()
            .is_some_and(|v| v.to_ascii_lowercase().contains(&needle))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pred: impl Fn(&Source) -> bool) -> Vec<&'static Pair> {
        pairs().iter().filter(|p| pred(&p.source)).collect()
    }

    #[test]
    fn every_list_parses_completely() {
        assert_eq!(mirai().count(), 62);
        let first = mirai().next().unwrap();
        assert_eq!(
            (first.user.as_str(), first.password.as_str()),
            ("root", "xc3511")
        );
        assert_eq!(first.source, Source::Mirai { weight: 10 });
        assert_eq!(of(|s| matches!(s, Source::DefaultCreds { .. })).len(), 3766);
        // SecLists' data/README.md: 134, 72 and 63 distinct lines.
        for (service, n) in [
            (Service::Telnet, 134),
            (Service::Ssh, 72),
            (Service::Ftp, 63),
        ] {
            assert_eq!(
                of(|s| *s == Source::SecListsService { service }).len(),
                n,
                "{service:?}"
            );
        }
        // 2,863 rows, 4 with a password that does not apply.
        assert_eq!(
            of(|s| matches!(s, Source::SecListsVendor { .. })).len(),
            2863 - 4
        );
        assert_eq!(pairs().len(), 62 + 134 + 72 + 63 + 3766 + 2859);
        // Empty passwords: an empty field in the Mirai file, `<blank>` in the cheat sheet.
        assert!(mirai().any(|p| p.password.is_empty()));
        assert!(vendor("3com").any(|p| p.user == "admin" && p.password.is_empty()));
        for p in pairs() {
            for field in [&p.user, &p.password] {
                assert!(!field.eq_ignore_ascii_case("<blank>"), "{p:?}");
                assert!(field != "<N/A>", "{p:?}");
                assert!(!field.ends_with('\r'), "{p:?}");
            }
        }
    }

    #[test]
    fn seclists_pitfalls() {
        let telnet = |user: &str| {
            of(|s| {
                *s == Source::SecListsService {
                    service: Service::Telnet,
                }
            })
            .into_iter()
            .filter(move |p| p.user == user)
            .map(|p| p.password.as_str())
            .collect::<Vec<_>>()
        };
        // The first colon splits; trailing spaces belong to the password.
        assert!(telnet("Root").contains(&"wago "), "{:?}", telnet("Root"));
        let ssh: Vec<_> = of(|s| {
            *s == Source::SecListsService {
                service: Service::Ssh,
            }
        });
        assert!(ssh
            .iter()
            .any(|p| p.user == "cirros" && p.password == "cubswin:)"));
        // Quoted vendors with commas, `<BLANK>` and `<N/A>`, a leading space before a user.
        let wire: Vec<_> = vendor("2wire").collect();
        assert_eq!(wire[0].source_label(), "SecLists: 2Wire, Inc.");
        assert_eq!(
            (wire[0].user.as_str(), wire[0].password.as_str()),
            ("http", "")
        );
        assert!(vendor("3com").any(|p| p.user.is_empty() && p.password == "PASSWORD"));
        assert!(vendor("cisco").any(|p| p.user == "EAdmin"));
        assert!(!pairs().iter().any(|p| p.user.starts_with(' ')));
    }

    #[test]
    fn common_passwords_in_order() {
        let common = common_passwords();
        assert_eq!(common.len(), 10_000);
        assert_eq!(common[0], "password");
        assert!(common.iter().all(|p| !p.is_empty() && !p.contains('\r')));
        assert!(common.contains(&"pic\\'s"));
        assert_eq!(common.iter().collect::<HashSet<_>>().len(), 10_000);
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(
            csv_fields(r#"a,"b, c","d""e",,"#),
            ["a", "b, c", "d\"e", "", ""]
        );
    }

    #[test]
    fn vendor_filter_is_case_insensitive() {
        let ubnt: Vec<_> = vendor("UBIQUITI").collect();
        assert!(ubnt
            .iter()
            .any(|p| p.user == "ubnt" && p.password == "ubnt"));
        assert!(ubnt.iter().all(|p| {
            let l = p.source_label();
            l.starts_with("DefaultCreds: ") || l.starts_with("SecLists: ")
        }));
        assert_eq!(
            Pair {
                user: "root".into(),
                password: "realtek".into(),
                source: Source::SecListsService {
                    service: Service::Telnet
                }
            }
            .source_label(),
            "SecLists telnet defaults"
        );
    }
}
