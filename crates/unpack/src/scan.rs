//! Where the magic numbers of every format lie in a byte buffer.
//!
//! One automaton over every handler's magics ([`SCANNER`]) finds each position where some magic
//! starts; [`Starts`] walks them lazily for the carve. A [`Surveyor`] does the same search, plus a
//! SHA-256, on data that arrives chunk by chunk: a stream decoder feeds it from a second thread
//! while it decodes, so by the time a decompressed kernel is complete its magics are already known
//! ([`Survey`]) and the carve does not scan it again. Both give exactly the same positions.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use sha2::{Digest, Sha256};

use crate::formats;
pub use crate::survey::Survey;

/// Hits a survey keeps at most (16 bytes each): data made of magic numbers gets a live scan
/// instead, which the carve's lazy search keeps bounded.
const MAX_SURVEY_HITS: usize = 1 << 18;

pub(crate) struct Scanner {
    /// Finds the next position where some magic starts (leftmost match).
    automaton: AhoCorasick,
    /// Pattern index → magic.
    pub(crate) needles: Vec<&'static [u8]>,
    /// Pattern index → (handler index, offset of the magic inside the structure).
    pub(crate) patterns: Vec<(usize, usize)>,
    /// Pattern indices by the first byte of their magic.
    by_first: Vec<Vec<usize>>,
    /// Handlers without a magic number: tried at offset 0 only.
    pub(crate) at_start_only: Vec<usize>,
    /// Largest offset of a magic inside its structure.
    pub(crate) reach: usize,
    /// Length of the longest magic.
    longest: usize,
}

pub(crate) static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    let mut needles: Vec<&'static [u8]> = Vec::new();
    let mut patterns = Vec::new();
    let mut at_start_only = Vec::new();
    for (h, handler) in formats::all().iter().enumerate() {
        for magic in handler.magics() {
            if magic.bytes.is_empty() {
                at_start_only.push(h);
            } else {
                needles.push(magic.bytes);
                patterns.push((h, magic.offset));
            }
        }
    }
    // A full DFA: every input byte of every payload goes through this automaton, and the
    // default (contiguous NFA) spent a sixth of a flash dump's unpack time here. A leftmost
    // search for where the next magic starts, then a check of every magic there, is a third
    // faster than reporting overlapping matches (3 MB decompressed kernel: 8.9 → 6.2 ms).
    let mut distinct = needles.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let automaton = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostFirst)
        .build(&distinct)
        .expect("magic patterns are valid");
    let mut by_first = vec![Vec::new(); 256];
    for (i, n) in needles.iter().enumerate() {
        by_first[usize::from(n[0])].push(i);
    }
    let reach = patterns
        .iter()
        .map(|&(_, offset)| offset)
        .max()
        .unwrap_or(0);
    let longest = needles.iter().map(|n| n.len()).max().unwrap_or(1);
    Scanner {
        automaton,
        needles,
        patterns,
        by_first,
        at_start_only,
        reach,
        longest,
    }
});

/// Every (pattern, start) of the magics lying wholly in `data`, by start, from a position on.
pub(crate) struct Starts<'d> {
    data: &'d [u8],
    /// Where the search resumes.
    pos: usize,
    /// A position where some magic starts, and the next of its first byte's patterns to check.
    at: Option<(usize, usize)>,
}

impl<'d> Starts<'d> {
    pub(crate) fn new(data: &'d [u8], pos: usize) -> Self {
        Starts {
            data,
            pos,
            at: None,
        }
    }

    /// No match starting before this is still to come.
    pub(crate) fn searched_to(&self) -> usize {
        self.at.map_or(self.pos, |(p, _)| p)
    }
}

impl Iterator for Starts<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let scanner = &*SCANNER;
        loop {
            if let Some((p, i)) = self.at {
                let rest = self.data.get(p..).unwrap_or(&[]);
                let group = rest
                    .first()
                    .map_or(&[][..], |&b| &scanner.by_first[usize::from(b)]);
                if let Some(&pattern) = group.get(i) {
                    self.at = Some((p, i + 1));
                    if rest.starts_with(scanner.needles[pattern]) {
                        return Some((pattern, p));
                    }
                    continue;
                }
                self.at = None;
                self.pos = p + 1;
            }
            if self.pos >= self.data.len() {
                return None;
            }
            let input = aho_corasick::Input::new(self.data).range(self.pos..);
            let m = SCANNER.automaton.try_find(input).ok()??;
            self.at = Some((m.start(), 0));
        }
    }
}

/// Surveys data that arrives in consecutive chunks: hashes it and finds its magics, including
/// those that straddle two chunks.
pub struct Surveyor {
    hasher: Sha256,
    len: usize,
    hits: Option<Vec<(usize, usize)>>,
    /// The last bytes fed (shorter than the longest magic): where a straddling magic may start.
    carry: Vec<u8>,
}

impl Default for Surveyor {
    fn default() -> Self {
        Self::new()
    }
}

impl Surveyor {
    pub fn new() -> Self {
        Surveyor {
            hasher: Sha256::new(),
            len: 0,
            hits: Some(Vec::new()),
            carry: Vec::new(),
        }
    }

    /// The next chunk of the data.
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        self.hasher.update(chunk);
        let keep = SCANNER.longest - 1;
        if let Some(hits) = self.hits.as_mut() {
            // Magics starting in the carry and ending in this chunk (each magic is found at the
            // last chunk boundary it crosses, so exactly once).
            let carried = self.carry.len();
            let mut joined = self.carry.clone();
            joined.extend_from_slice(&chunk[..chunk.len().min(keep)]);
            let base = self.len - carried;
            hits.extend(
                Starts::new(&joined, 0)
                    .take_while(|&(_, p)| p < carried)
                    .filter(|&(pattern, p)| p + SCANNER.needles[pattern].len() > carried)
                    .map(|(pattern, p)| (base + p, pattern)),
            );
            // Magics wholly inside this chunk.
            let len = self.len;
            hits.extend(Starts::new(chunk, 0).map(|(pattern, p)| (len + p, pattern)));
            if hits.len() > MAX_SURVEY_HITS {
                self.hits = None;
            }
        }
        let tail = &chunk[chunk.len().saturating_sub(keep)..];
        let drop = (self.carry.len() + tail.len()).saturating_sub(keep);
        self.carry.drain(..drop.min(self.carry.len()));
        self.carry.extend_from_slice(tail);
        self.len += chunk.len();
    }

    pub fn finish(self) -> Survey {
        let mut hits = self.hits;
        if let Some(h) = hits.as_mut() {
            h.sort_unstable();
        }
        Survey::new(self.len, self.hasher.finalize().into(), hits)
    }
}

/// The magic starts of one buffer, from a live search or from a survey of it.
pub(crate) enum Search<'d> {
    Live(Starts<'d>),
    Surveyed(std::slice::Iter<'d, (usize, usize)>),
}

impl<'d> Search<'d> {
    /// Search `data` from `pos` on, using its survey when there is a complete one.
    pub(crate) fn new(data: &'d [u8], survey: Option<&'d Survey>, pos: usize) -> Self {
        match survey
            .filter(|s| s.covers(data))
            .and_then(|s| s.starts_from(pos))
        {
            Some(hits) => Search::Surveyed(hits.iter()),
            None => Search::Live(Starts::new(data, pos)),
        }
    }

    /// No match starting before this is still to come.
    pub(crate) fn searched_to(&self) -> usize {
        match self {
            Search::Live(s) => s.searched_to(),
            Search::Surveyed(hits) => hits.as_slice().first().map_or(usize::MAX, |&(p, _)| p),
        }
    }

    /// Continue from `pos` (which must not be before where the search stands).
    pub(crate) fn skip_to(&mut self, data: &'d [u8], pos: usize) {
        match self {
            Search::Live(s) => *s = Starts::new(data, pos),
            Search::Surveyed(hits) => {
                let rest = hits.as_slice();
                *hits = rest[rest.partition_point(|&(p, _)| p < pos)..].iter();
            }
        }
    }
}

impl Iterator for Search<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        match self {
            Search::Live(s) => s.next(),
            Search::Surveyed(hits) => hits.next().map(|&(p, pattern)| (pattern, p)),
        }
    }
}

/// Fuzz entry point: a survey taken in chunks whose sizes the input chooses finds exactly what a
/// live search finds, and hashes exactly the bytes. Panics on a difference.
pub fn fuzz_survey(input: &[u8]) {
    let (sizes, data) = input.split_at(input.len().min(8));
    let sizes: Vec<usize> = sizes.iter().map(|&n| usize::from(n)).collect();
    let survey = surveyed(data, &sizes);
    assert!(survey.covers(data));
    assert_eq!(survey.sha256(), <[u8; 32]>::from(Sha256::digest(data)));
    if let Some(hits) = survey.starts_from(0) {
        assert_eq!(hits, live(data));
    }
}

/// Every (start, pattern) a live search finds in `data`, ordered as a survey keeps them.
fn live(data: &[u8]) -> Vec<(usize, usize)> {
    let mut v: Vec<_> = Starts::new(data, 0)
        .map(|(pattern, p)| (p, pattern))
        .collect();
    v.sort_unstable();
    v
}

/// A survey of `data` fed in chunks of `chunk_sizes` bytes, cycling (0 counts as 1).
fn surveyed(data: &[u8], chunk_sizes: &[usize]) -> Survey {
    let mut s = Surveyor::new();
    let mut sizes = chunk_sizes.iter().cycle();
    let mut at = 0;
    while at < data.len() {
        let n = sizes.next().map_or(1, |&n| n.max(1)).min(data.len() - at);
        s.feed(&data[at..at + n]);
        at += n;
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magic numbers of many formats packed densely, so chunk boundaries cut through them.
    fn magic_soup() -> Vec<u8> {
        let scanner = &*SCANNER;
        let mut data = Vec::new();
        for (i, n) in scanner.needles.iter().enumerate() {
            data.extend_from_slice(n);
            data.extend(std::iter::repeat_n(b'x', i % 3));
            data.extend_from_slice(&n[..n.len() / 2]);
        }
        data
    }

    #[test]
    fn a_survey_finds_what_a_live_search_finds_whatever_the_chunks() {
        let mut inputs = vec![magic_soup()];
        for f in ["squashFS__gzip.sqfs", "binwalk__gzip.bin", "trx__trx.img"] {
            inputs.push(iotassay_testkit::corpus_bytes(&format!("formats/{f}")));
        }
        for data in &inputs {
            let expected = live(data);
            assert!(!expected.is_empty());
            for sizes in [
                &[1][..],
                &[2],
                &[3, 1],
                &[7],
                &[13, 1, 2],
                &[4096],
                &[usize::MAX],
            ] {
                let survey = surveyed(data, sizes);
                assert!(survey.covers(data));
                assert_eq!(
                    survey.starts_from(0),
                    Some(&expected[..]),
                    "chunks {sizes:?}"
                );
                assert_eq!(survey.sha256(), <[u8; 32]>::from(Sha256::digest(data)));
            }
        }
    }

    #[test]
    fn a_search_uses_only_a_survey_of_the_same_data_and_skips_like_a_live_one() {
        let data = magic_soup();
        let survey = surveyed(&data, &[5]);
        let mid = data.len() / 2;
        let data = &data[..];
        fn from<'d>(data: &'d [u8], mut s: Search<'d>, mid: usize) -> Vec<(usize, usize)> {
            s.skip_to(data, mid);
            assert!(s.searched_to() >= mid);
            s.map(|(pattern, p)| (p, pattern)).collect()
        }
        let from_mid = |s| from(data, s, mid);
        let live_rest = from_mid(Search::new(data, None, 0));
        assert!(matches!(
            Search::new(data, Some(&survey), 0),
            Search::Surveyed(_)
        ));
        assert_eq!(from_mid(Search::new(data, Some(&survey), 0)), {
            let mut v = live_rest.clone();
            v.sort_unstable();
            v
        });
        // A survey of other bytes is ignored.
        assert!(matches!(
            Search::new(&data[1..], Some(&survey), 0),
            Search::Live(_)
        ));
    }

    #[test]
    fn the_fuzz_entry_point_holds_on_magics_and_on_nothing() {
        let mut input = vec![3, 250, 1, 17, 64, 2, 9, 128];
        input.extend(magic_soup());
        fuzz_survey(&input);
        fuzz_survey(&[]);
        fuzz_survey(&[5]);
    }

    #[test]
    fn a_survey_of_data_full_of_magics_gives_up_counting_but_still_hashes() {
        let data: Vec<u8> = b"hsqs".repeat(MAX_SURVEY_HITS + 1);
        let survey = surveyed(&data, &[1 << 16]);
        assert!(survey.starts_from(0).is_none());
        assert!(matches!(
            Search::new(&data, Some(&survey), 0),
            Search::Live(_)
        ));
        assert_eq!(survey.sha256(), <[u8; 32]>::from(Sha256::digest(&data)));
    }
}
