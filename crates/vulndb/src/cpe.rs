//! CPE 2.3 formatted strings (NISTIR 7695 §6.2) and attribute matching (NISTIR 7696, simplified to
//! what NVD applicability statements use).
//!
//! Own code: the `cpe` crates on crates.io either lack the formatted-string escapes or pull in URI
//! binding and language-tag machinery we do not need.

use serde::{Deserialize, Serialize};

/// One attribute value of a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Av {
    /// `*`: any value.
    Any,
    /// `-`: not applicable / no value.
    Na,
    /// A value, unescaped and lower-cased; `wild` when it holds unescaped `*`/`?` (kept as `\u{1}` and
    /// `\u{2}` so a literal star cannot be confused with a wildcard).
    Val { text: String, wild: bool },
}

const STAR: char = '\u{1}';
const QUEST: char = '\u{2}';

impl Av {
    fn parse(raw: &str) -> Av {
        match raw {
            "*" | "" => return Av::Any,
            "-" => return Av::Na,
            _ => {}
        }
        let mut text = String::with_capacity(raw.len());
        let mut wild = false;
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        text.extend(n.to_lowercase());
                    }
                }
                '*' => {
                    wild = true;
                    text.push(STAR);
                }
                '?' => {
                    wild = true;
                    text.push(QUEST);
                }
                _ => text.extend(c.to_lowercase()),
            }
        }
        Av::Val { text, wild }
    }

    /// A plain value from firmware (no wildcards), normalised like NVD names: lower case, spaces → `_`.
    pub fn literal(s: &str) -> Av {
        let t = s.trim();
        if t.is_empty() || t == "*" {
            return Av::Any;
        }
        if t == "-" {
            return Av::Na;
        }
        Av::Val {
            text: t.to_lowercase().replace(' ', "_"),
            wild: false,
        }
    }

    /// The value text for display and index keys (wildcards shown as `*` / `?`).
    pub fn text(&self) -> String {
        match self {
            Av::Any => "*".into(),
            Av::Na => "-".into(),
            Av::Val { text, .. } => text.replace(STAR, "*").replace(QUEST, "?"),
        }
    }

    /// Does this (source, from the applicability statement) value accept `target` (from the image)?
    /// A target of `Any` means "unknown": accepted, since firmware rarely states editions or targets.
    pub fn accepts(&self, target: &Av) -> bool {
        match (self, target) {
            (Av::Any, _) | (_, Av::Any) => true,
            (Av::Na, Av::Na) => true,
            (Av::Na, _) | (_, Av::Na) => false,
            (Av::Val { text: s, wild }, Av::Val { text: t, .. }) => {
                if *wild {
                    glob(s, t)
                } else {
                    s == t
                }
            }
        }
    }
}

/// Wildcard match with `STAR` (any run) and `QUEST` (one char); iterative, O(n·m) worst case.
fn glob(pat: &str, text: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == QUEST || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == STAR {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == STAR)
}

/// A parsed CPE 2.3 name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpe {
    pub part: Av,
    pub vendor: Av,
    pub product: Av,
    pub version: Av,
    pub update: Av,
    pub edition: Av,
    pub language: Av,
    pub sw_edition: Av,
    pub target_sw: Av,
    pub target_hw: Av,
    pub other: Av,
}

impl Cpe {
    /// Parse `cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:
    /// target_hw:other`; missing trailing fields are `*`. `None` when it is not a CPE 2.3 string.
    pub fn parse(s: &str) -> Option<Cpe> {
        if s.len() > 4096 {
            return None;
        }
        let rest = s
            .strip_prefix("cpe:2.3:")
            .or_else(|| s.strip_prefix("CPE:2.3:"))?;
        let mut fields: Vec<&str> = Vec::with_capacity(11);
        let mut start = 0;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ':' {
                fields.push(&rest[start..i]);
                start = i + 1;
                if fields.len() > 11 {
                    return None;
                }
            }
        }
        fields.push(&rest[start..]);
        if fields.len() > 11 {
            return None;
        }
        let f = |i: usize| fields.get(i).map_or(Av::Any, |r| Av::parse(r));
        Some(Cpe {
            part: f(0),
            vendor: f(1),
            product: f(2),
            version: f(3),
            update: f(4),
            edition: f(5),
            language: f(6),
            sw_edition: f(7),
            target_sw: f(8),
            target_hw: f(9),
            other: f(10),
        })
    }

    /// Every attribute except the version (which the caller compares with ranges) accepts `target`.
    pub fn accepts_except_version(&self, target: &Cpe) -> bool {
        self.part.accepts(&target.part)
            && self.vendor.accepts(&target.vendor)
            && self.product.accepts(&target.product)
            && self.update.accepts(&target.update)
            && self.edition.accepts(&target.edition)
            && self.language.accepts(&target.language)
            && self.sw_edition.accepts(&target.sw_edition)
            && self.target_sw.accepts(&target.target_sw)
            && self.target_hw.accepts(&target.target_hw)
            && self.other.accepts(&target.other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nvd_criteria() {
        let c = Cpe::parse("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.part, Av::literal("a"));
        assert_eq!(c.product.text(), "busybox");
        assert_eq!(c.version, Av::Any);
        let c = Cpe::parse("cpe:2.3:a:openssl:openssl:1.0.0:beta1:*:*:*:*:*:*").unwrap();
        assert_eq!(c.update.text(), "beta1");
        let c = Cpe::parse("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.version, Av::Na);
    }

    #[test]
    fn escapes_are_literal_and_colons_do_not_split() {
        let c = Cpe::parse(r"cpe:2.3:a:busybox:busybox:1.19.2\:1:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.version.text(), "1.19.2:1");
        assert_eq!(c.update, Av::Any);
        let c = Cpe::parse(r"cpe:2.3:a:a\!b:c\*d:*:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.vendor.text(), "a!b");
        // An escaped star is a literal star, not a wildcard.
        assert!(!c.product.accepts(&Av::literal("cxxd")));
        assert!(c.product.accepts(&Av::Val {
            text: "c*d".into(),
            wild: false
        }));
    }

    #[test]
    fn wildcards_any_and_na() {
        let c = Cpe::parse("cpe:2.3:a:gnu:glib*:2.?:*:*:*:*:*:*:*").unwrap();
        assert!(c.product.accepts(&Av::literal("glibc")));
        assert!(!c.product.accepts(&Av::literal("gli")));
        assert!(c.version.accepts(&Av::literal("2.3")));
        assert!(!c.version.accepts(&Av::literal("2.31")));
        assert!(Av::Any.accepts(&Av::literal("x")));
        assert!(Av::Na.accepts(&Av::Na));
        assert!(!Av::Na.accepts(&Av::literal("1.0")));
        assert!(!Av::literal("1.0").accepts(&Av::Na));
    }

    #[test]
    fn rejects_non_cpe_and_hostile() {
        assert!(Cpe::parse("cpe:/a:busybox:busybox:1.0").is_none());
        assert!(Cpe::parse("cpe:2.3:a:b:c:d:e:f:g:h:i:j:k:l:m").is_none());
        assert!(Cpe::parse(&format!("cpe:2.3:{}", "a".repeat(10_000))).is_none());
        let p = Cpe::parse(&format!("cpe:2.3:a:{}:x", "*a".repeat(500))).unwrap();
        assert!(p.vendor.accepts(&Av::literal(&"a".repeat(999))));
        assert!(!p.vendor.accepts(&Av::literal(&"a".repeat(499))));
        assert!(Cpe::parse("cpe:2.3:a:x:y\\").is_some());
    }
}
