//! Shannon entropy of byte ranges: a profile of a whole input (for a plot) and the high-entropy
//! stretches no recognised structure covers — what an assessment could not read (encrypted or
//! compressed in a format nothing here decodes).
//!
//! Everything is one linear pass over the bytes with a 256-entry histogram per block; the profile
//! has at most [`MAX_POINTS`] values whatever the input size.

use serde::{Deserialize, Serialize};

/// Bits per byte at and above which a block counts as encrypted or compressed. Machine code and
/// text stay well below (≈ 4.5–6.5); compressed and encrypted data of 4 KiB blocks measure 7.9+.
pub const HIGH: f64 = 7.5;
/// Block size when looking for unread high-entropy stretches.
pub const BLOCK: usize = 4096;
/// Most values in a [`Profile`].
pub const MAX_POINTS: usize = 256;

/// Shannon entropy of `data` in bits per byte (0 for empty data).
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Entropy of consecutive blocks of an input, for a plot: `values[i]` is the entropy of bytes
/// `[i * block, (i + 1) * block)` (the last block may be shorter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Bytes per value.
    pub block: u64,
    /// Bits per byte, two decimals.
    pub values: Vec<f32>,
    /// Entropy of the whole input, bits per byte.
    pub overall: f32,
}

fn round2(x: f64) -> f32 {
    ((x * 100.0).round() / 100.0) as f32
}

/// The entropy profile of `data`: at most [`MAX_POINTS`] blocks of at least 256 bytes.
pub fn profile(data: &[u8]) -> Profile {
    if data.is_empty() {
        return Profile::default();
    }
    let block = data.len().div_ceil(MAX_POINTS).max(256);
    Profile {
        block: block as u64,
        values: data.chunks(block).map(|c| round2(shannon(c))).collect(),
        overall: round2(shannon(data)),
    }
}

/// A stretch of bytes at or above [`HIGH`] entropy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stretch {
    pub offset: u64,
    pub size: u64,
    /// Bits per byte over the whole stretch, two decimals.
    pub entropy: f32,
}

/// High-entropy stretches of at least `min_len` bytes of `data` outside the `covered` ranges
/// (`(offset, end)`, any order, may overlap or run past the end). Blocks of [`BLOCK`] bytes are
/// measured from the start of each uncovered gap; consecutive high blocks merge into one stretch.
pub fn uncovered_high(data: &[u8], covered: &[(u64, u64)], min_len: u64) -> Vec<Stretch> {
    let len = data.len() as u64;
    let mut spans: Vec<(u64, u64)> = covered
        .iter()
        .map(|&(s, e)| (s.min(len), e.min(len)))
        .filter(|(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = 0u64;
    for (s, e) in spans {
        if s > at {
            gaps.push((at, s));
        }
        at = at.max(e);
    }
    if at < len {
        gaps.push((at, len));
    }
    let mut out = Vec::new();
    for (start, end) in gaps {
        let gap = &data[start as usize..end as usize];
        let mut run: Option<usize> = None;
        let flush = |from: usize, to: usize, out: &mut Vec<Stretch>| {
            if (to - from) as u64 >= min_len {
                out.push(Stretch {
                    offset: start + from as u64,
                    size: (to - from) as u64,
                    entropy: round2(shannon(&gap[from..to])),
                });
            }
        };
        for (i, block) in gap.chunks(BLOCK).enumerate() {
            // A short tail block is judged with the run it ends, never alone.
            let high = shannon(block) >= HIGH || (block.len() < BLOCK && run.is_some());
            match (high, run) {
                (true, None) => run = Some(i * BLOCK),
                (false, Some(from)) => {
                    flush(from, i * BLOCK, &mut out);
                    run = None;
                }
                _ => {}
            }
        }
        if let Some(from) = run {
            flush(from, gap.len(), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use iotassay_testkit::random_bytes as random;

    #[test]
    fn entropy_of_known_data() {
        assert_eq!(shannon(&[]), 0.0);
        assert_eq!(shannon(&[7; 1000]), 0.0);
        let two: Vec<u8> = (0..1000).map(|i| (i % 2) as u8).collect();
        assert!((shannon(&two) - 1.0).abs() < 1e-9);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon(&all) - 8.0).abs() < 1e-9);
        assert!(shannon(&random(BLOCK, 1)) >= HIGH);
        assert!(shannon(b"#!/bin/sh\necho hello world\n") < 5.0);
    }

    #[test]
    fn profile_is_bounded() {
        let p = profile(&random(1 << 20, 3));
        assert!(p.values.len() <= MAX_POINTS);
        assert_eq!(p.block, 4096);
        assert!(p.values.iter().all(|&v| v > 7.9), "{:?}", &p.values[..4]);
        assert!(p.overall > 7.99);
        assert_eq!(profile(&[]).values.len(), 0);
        assert_eq!(profile(&[1, 2, 3]).values.len(), 1);
    }

    #[test]
    fn stretches_skip_covered_and_low_entropy_bytes() {
        let mut data = vec![0u8; 64 << 10];
        data.extend(random(256 << 10, 5));
        data.extend(vec![b'a'; 64 << 10]);
        let s = uncovered_high(&data, &[], 64 << 10);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].offset, s[0].size), (64 << 10, 256 << 10));
        assert!(s[0].entropy > 7.99);
        // Covering the first half of the random block leaves the second half.
        let s = uncovered_high(&data, &[(0, 192 << 10), (1 << 40, 1 << 41)], 64 << 10);
        assert_eq!((s[0].offset, s[0].size), (192 << 10, 128 << 10));
        // Too short to report; all covered.
        assert!(uncovered_high(&data, &[], 512 << 10).is_empty());
        assert!(uncovered_high(&data, &[(0, u64::MAX)], 1).is_empty());
        assert!(uncovered_high(&[], &[], 1).is_empty());
        // A tail shorter than a block still ends the stretch at the end of the data.
        let odd = random(3 * BLOCK + 17, 9);
        let s = uncovered_high(&odd, &[], 1);
        assert_eq!((s[0].offset, s[0].size), (0, odd.len() as u64));
    }
}
