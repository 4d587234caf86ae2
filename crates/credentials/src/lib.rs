//! Publicly known default credentials, compiled into the binary: the 62 pairs of the Mirai
//! botnet's telnet scanner and the 3,766 vendor defaults of the DefaultCreds cheat sheet
//! (`data/README.md` says where each comes from and under which licence).
//!
//! One list for two uses: the firmware checks test whether a password hash found in an image is
//! one of these, and the live probe tries them against a device's login services. It sits below
//! both so neither depends on the other.

use std::sync::LazyLock;

const MIRAI_TSV: &str = include_str!("../data/mirai-telnet-credentials.tsv");
const DEFAULTCREDS_CSV: &str = include_str!("../data/defaultcreds-cheat-sheet.csv");

/// Which list a pair comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The Mirai scanner's list, with the pair's weight there (higher = tried more often).
    Mirai { weight: u32 },
    /// The DefaultCreds cheat sheet, with the vendor of the pair.
    DefaultCreds { vendor: String },
}

/// A known default user/password pair. An empty password is an empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub user: String,
    pub password: String,
    pub source: Source,
}

impl Pair {
    /// For people: `Mirai list` or `DefaultCreds: VENDOR`.
    pub fn source_label(&self) -> String {
        match &self.source {
            Source::Mirai { .. } => "Mirai list".to_string(),
            Source::DefaultCreds { vendor } => format!("DefaultCreds: {vendor}"),
        }
    }
}

static PAIRS: LazyLock<Vec<Pair>> = LazyLock::new(|| {
    let mut pairs = Vec::new();
    for line in MIRAI_TSV.lines().skip(1) {
        let mut f = line.split('\t');
        let (Some(user), Some(password)) = (f.next(), f.next()) else {
            continue;
        };
        let weight = f.next().and_then(|w| w.trim().parse().ok()).unwrap_or(0);
        pairs.push(Pair {
            user: user.to_string(),
            password: password.to_string(),
            source: Source::Mirai { weight },
        });
    }
    for line in DEFAULTCREDS_CSV.lines().skip(1) {
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
        pairs.push(Pair {
            user: blank(user),
            password: blank(password),
            source: Source::DefaultCreds {
                vendor: vendor.trim().to_string(),
            },
        });
    }
    pairs
});

/// Every pair: the Mirai list first, in its file order (heaviest first), then DefaultCreds.
pub fn pairs() -> &'static [Pair] {
    &PAIRS
}

/// The Mirai pairs, heaviest first.
pub fn mirai() -> impl Iterator<Item = &'static Pair> {
    pairs()
        .iter()
        .filter(|p| matches!(p.source, Source::Mirai { .. }))
}

/// The DefaultCreds pairs whose vendor contains `needle` (ASCII case-insensitive).
pub fn vendor(needle: &str) -> impl Iterator<Item = &'static Pair> + '_ {
    let needle = needle.to_ascii_lowercase();
    pairs().iter().filter(move |p| match &p.source {
        Source::DefaultCreds { vendor } => vendor.to_ascii_lowercase().contains(&needle),
        Source::Mirai { .. } => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lists_parse_completely() {
        assert_eq!(mirai().count(), 62);
        assert_eq!(pairs().len(), 62 + 3766);
        let first = mirai().next().unwrap();
        assert_eq!(
            (first.user.as_str(), first.password.as_str()),
            ("root", "xc3511")
        );
        assert_eq!(first.source, Source::Mirai { weight: 10 });
        // Empty passwords: an empty field in the Mirai file, `<blank>` in the cheat sheet.
        assert!(mirai().any(|p| p.password.is_empty()));
        assert!(vendor("3com").any(|p| p.user == "admin" && p.password.is_empty()));
        assert!(!pairs()
            .iter()
            .any(|p| p.password == "<blank>" || p.user == "<blank>"));
    }

    #[test]
    fn vendor_filter_is_case_insensitive() {
        let ubnt: Vec<_> = vendor("UBIQUITI").collect();
        assert!(ubnt
            .iter()
            .any(|p| p.user == "ubnt" && p.password == "ubnt"));
        assert!(ubnt
            .iter()
            .all(|p| p.source_label().starts_with("DefaultCreds: ")));
    }
}
