//! Version comparison for the versions firmware and NVD actually use.
//!
//! Own code because no crate serves: `semver` rejects `0.9.8za`, `2012.55` or `2.6.36.4`, and the
//! Debian/RPM comparators disagree with NVD on letter suffixes. This follows the NVD/`vercmp` style:
//! split into numeric and alphabetic runs (separators `.`, `-`, `_`, `+`, `:` only delimit), compare
//! numbers numerically and letters lexically, and treat a trailing pre-release word (`rc`, `beta`,
//! `alpha`, `pre`, `dev`, `~`) as older than the release it precedes (`5.4.0-rc1` < `5.4.0`), while
//! any other trailing letter is newer (`1.0.2` < `1.0.2k`, `0.9.8z` < `0.9.8za`).

use std::cmp::Ordering;

/// A version is cut into at most this many runs; the rest is ignored, so hostile input costs O(n).
const MAX_TOKENS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// Digits without leading zeros (`"0"` stays `"0"`), compared by length then lexically: no overflow.
    Num(&'a str),
    /// Letters as written; compared without regard to case.
    Alpha(&'a str),
    /// `~`: Debian's "sorts before anything, even the end".
    Tilde,
}

/// Runs of a version, produced lazily without allocating (comparisons run in hot loops).
struct Toks<'a> {
    v: &'a str,
    i: usize,
    n: usize,
}

impl<'a> Toks<'a> {
    fn new(v: &'a str) -> Self {
        Toks {
            v: v.trim(),
            i: 0,
            n: 0,
        }
    }
}

impl<'a> Iterator for Toks<'a> {
    type Item = Tok<'a>;
    fn next(&mut self) -> Option<Tok<'a>> {
        let b = self.v.as_bytes();
        while self.i < b.len() && self.n < MAX_TOKENS {
            let c = b[self.i];
            let start = self.i;
            if c.is_ascii_digit() {
                while self.i < b.len() && b[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                self.n += 1;
                let trimmed = self.v[start..self.i].trim_start_matches('0');
                return Some(Tok::Num(if trimmed.is_empty() { "0" } else { trimmed }));
            }
            if c.is_ascii_alphabetic() {
                while self.i < b.len() && b[self.i].is_ascii_alphabetic() {
                    self.i += 1;
                }
                self.n += 1;
                return Some(Tok::Alpha(&self.v[start..self.i]));
            }
            self.i += 1;
            if c == b'~' {
                self.n += 1;
                return Some(Tok::Tilde);
            }
        }
        None
    }
}

fn starts_with_ci(w: &str, prefix: &str) -> bool {
    w.len() >= prefix.len() && w.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn rank(w: &str) -> Option<u8> {
    let is = |x: &str| w.eq_ignore_ascii_case(x);
    if starts_with_ci(w, "dev") || is("snapshot") {
        Some(0)
    } else if starts_with_ci(w, "alpha") {
        Some(1)
    } else if starts_with_ci(w, "beta") {
        Some(2)
    } else if is("pre") || is("preview") {
        Some(3)
    } else if is("rc") || is("cr") {
        Some(4)
    } else {
        None
    }
}

/// Where one version has run out: is the other's next token making it older or newer?
fn tail_sign(next: Tok<'_>) -> Ordering {
    match next {
        Tok::Tilde => Ordering::Less,
        Tok::Alpha(w) if rank(w).is_some() => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// The longer version's extra runs: zeros alone change nothing (`1.0` = `1.0.0`), then the first
/// other run decides.
fn tail<'a>(mut rest: impl Iterator<Item = Tok<'a>>) -> Ordering {
    rest.find(|t| *t != Tok::Num("0"))
        .map_or(Ordering::Equal, tail_sign)
}

fn cmp_tok(a: Tok<'_>, b: Tok<'_>) -> Ordering {
    match (a, b) {
        (Tok::Num(x), Tok::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Tok::Alpha(x), Tok::Alpha(y)) => {
            // Two pre-release words rank by maturity (alpha < beta < rc), anything else lexically.
            match (rank(x), rank(y)) {
                (Some(p), Some(q)) if p != q => p.cmp(&q),
                // A pre-release word is older than a letter suffix: `1.0.0-beta1` < `1.0.0a`.
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => x
                    .bytes()
                    .map(|c| c.to_ascii_lowercase())
                    .cmp(y.bytes().map(|c| c.to_ascii_lowercase())),
            }
        }
        (Tok::Tilde, Tok::Tilde) => Ordering::Equal,
        (Tok::Tilde, _) => Ordering::Less,
        (_, Tok::Tilde) => Ordering::Greater,
        // `1.0rc1` vs `1.0.1`: a word where the other has a number is older (RPM rule).
        (Tok::Alpha(_), Tok::Num(_)) => Ordering::Less,
        (Tok::Num(_), Tok::Alpha(_)) => Ordering::Greater,
    }
}

/// Compare two version strings (see the module doc for the rules).
pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut ta, mut tb) = (Toks::new(a), Toks::new(b));
    loop {
        match (ta.next(), tb.next()) {
            (Some(x), Some(y)) => {
                let o = cmp_tok(x, y);
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), None) => return tail(std::iter::once(x).chain(ta)),
            (None, Some(y)) => return tail(std::iter::once(y).chain(tb)).reverse(),
            (None, None) => return Ordering::Equal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[track_caller]
    fn lt(a: &str, b: &str) {
        assert_eq!(compare(a, b), Less, "{a} < {b}");
        assert_eq!(compare(b, a), Greater, "{b} > {a}");
    }

    #[test]
    fn the_cases_from_the_brief() {
        lt("0.9.8z", "0.9.8za");
        lt("0.9.8y", "0.9.8z");
        lt("0.9.8za", "0.9.8zb");
        lt("0.9.8zf", "0.9.8zg");
        lt("0.9.8zh", "1.0.0");
        lt("1.0.2", "1.0.2k");
        lt("1.0.2j", "1.0.2k");
        lt("1.0.2k", "1.0.10");
        lt("2012.55", "2013.56");
        lt("2011.54", "2012.55");
        lt("0.52", "2011.54");
        lt("1.19.2", "1.19.10");
        lt("1.9.2", "1.19.2");
        lt("2.6.36", "2.6.36.4");
        lt("5.4.0-rc1", "5.4.0");
        lt("5.4.0-rc1", "5.4.0-rc2");
        lt("5.3.99", "5.4.0-rc1");
    }

    #[test]
    fn prereleases_and_separators() {
        lt("1.0.0-alpha", "1.0.0-beta");
        lt("1.0.0beta1", "1.0.0");
        lt("1.0.0-beta.2", "1.0.0-rc.1");
        lt("1.0~rc1", "1.0");
        lt("1.0rc1", "1.0.1");
        lt("1.0", "1.0.0.1");
        lt("1.0.0", "1.0.0-p1");
        assert_eq!(compare("1.0", "1.0.0"), Equal);
        lt("1.0", "1.0.0.1");
        lt("1.0.0-rc1", "1.0");
        lt("0.9.8", "0.9.8a");
        assert_eq!(compare("1.19.02", "1.19.2"), Equal);
        assert_eq!(compare("1_2_3", "1.2.3"), Equal);
        assert_eq!(compare("V1.2", "v1.2"), Equal);
        assert_eq!(compare("", ""), Equal);
        lt("", "0.1");
    }

    #[test]
    fn big_numbers_do_not_overflow() {
        lt("1.99999999999999999999998", "1.99999999999999999999999");
        lt("99999999999999999999", "100000000000000000000");
    }

    #[test]
    fn ordering_is_consistent_over_a_sorted_list() {
        let sorted = [
            "0.9.7",
            "0.9.7f",
            "0.9.8",
            "0.9.8a",
            "0.9.8y",
            "0.9.8z",
            "0.9.8za",
            "0.9.8zh",
            "1.0.0-beta1",
            "1.0.0",
            "1.0.0a",
            "1.0.1",
            "1.0.1f",
            "1.0.1g",
            "1.0.2",
            "1.0.2k",
            "1.0.10",
            "1.1.0",
            "2.6.36",
            "2.6.36.4",
            "5.4.0-rc1",
            "5.4.0",
            "2011.54",
            "2012.55",
            "2013.56",
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(compare(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = "1.".repeat(100_000);
        assert_eq!(compare(&long, &long), Equal);
        let junk = "\u{fffd}ä!!--..";
        assert_eq!(compare(junk, junk), Equal);
    }
}
