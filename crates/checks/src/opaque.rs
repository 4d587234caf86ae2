//! What could not be read: high-entropy bytes no recognised structure decodes (encrypted, or
//! compressed in a format nothing here knows), in the input and in every payload a container or
//! decompressor yielded. An image that is such bytes almost throughout is "encrypted or unknown
//! format: nothing could be assessed" and every guideline says so, never an empty, quiet result;
//! one with an identified header and an unreadable body gets a note naming the byte ranges.

use iotassay_unpack::entropy::{self, Profile};
use iotassay_unpack::{Kind, Manifest, NodeKind, RegionStatus};
use serde::{Deserialize, Serialize};

use crate::assessment::{Assessment, GuidelineStatus};
use crate::verdict::Verdict;

/// The reason every guideline and provision of an opaque image is not assessed.
pub const OPAQUE: &str = "encrypted or unknown format: nothing could be assessed";
/// Share of the input that, unread and high-entropy, makes the image opaque.
const OPAQUE_SHARE: f64 = 0.9;
/// Shortest unread stretch reported (smaller inputs: half their size, at least one block).
const MIN_STRETCH: u64 = 64 << 10;
/// Most unread stretches kept (the note gives the total).
const MAX_STRETCHES: usize = 64;

/// How much of the image could be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readability {
    /// No unread high-entropy stretch was found.
    #[default]
    Read,
    /// Some stretches could not be read; the rest was.
    PartlyOpaque,
    /// Almost all of the image is high-entropy bytes nothing decodes.
    Opaque,
}

/// A stretch of high-entropy bytes no structure covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unread {
    /// The input's name, or the output path of the payload holding it.
    pub source: String,
    pub offset: u64,
    pub size: u64,
    /// Bits per byte.
    pub entropy: f32,
}

/// What could not be read, with the input's entropy profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Opacity {
    pub status: Readability,
    /// For people: why nothing (or what) could not be assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Entropy of the input, block by block.
    pub entropy: Profile,
    /// Unread stretches, input first then payloads in manifest order (at most 64).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
    /// Bytes in all unread stretches (also those beyond the 64 listed).
    #[serde(default)]
    pub unread_bytes: u64,
}

/// The unread stretches of one blob whose regions (found in it) are `regions`.
fn stretches<'a>(
    manifest: &'a Manifest,
    data: &[u8],
    source: &str,
    found_in: impl Fn(&iotassay_unpack::Region) -> bool,
    min: u64,
) -> Vec<Unread> {
    let covered: Vec<(u64, u64)> = manifest
        .regions
        .iter()
        .filter(|r| found_in(r) && r.kind != Kind::Info)
        .filter(|r| matches!(r.status, RegionStatus::Extracted | RegionStatus::Partial))
        .map(|r| {
            let end = r.size.map_or(u64::MAX, |s| r.offset.saturating_add(s));
            (r.offset, end)
        })
        .collect();
    entropy::uncovered_high(data, &covered, min)
        .into_iter()
        .map(|s| Unread {
            source: source.to_string(),
            offset: s.offset,
            size: s.size,
            entropy: s.entropy,
        })
        .collect()
}

/// Examine the input (`data`, the bytes `manifest` was unpacked from) and every payload.
pub fn examine(manifest: &Manifest, data: &[u8]) -> Opacity {
    let min = MIN_STRETCH
        .min(data.len() as u64 / 2)
        .max(entropy::BLOCK as u64);
    let mut unread = stretches(
        manifest,
        data,
        &manifest.input.name,
        |r| r.parent.is_none(),
        min,
    );
    let input_unread: u64 = unread.iter().map(|u| u.size).sum();
    for node in &manifest.nodes {
        let (NodeKind::Payload, Some(bytes)) = (node.kind, node.data.as_deref()) else {
            continue;
        };
        unread.extend(stretches(
            manifest,
            bytes,
            &node.path,
            |r| r.parent == Some(node.region) && r.source == node.path,
            min,
        ));
    }
    let unread_bytes: u64 = unread.iter().map(|u| u.size).sum();
    let files = manifest
        .nodes
        .iter()
        .any(|n| n.kind == NodeKind::File && n.data.is_some());
    let profile = entropy::profile(data);
    let opaque = !data.is_empty()
        && !files
        && (input_unread.max(unread_bytes) as f64) >= OPAQUE_SHARE * data.len() as f64;
    let (status, note) = if opaque {
        (
            Readability::Opaque,
            Some(format!(
                "{OPAQUE}: {} of {} bytes are high-entropy data no known structure decodes \
                 (entropy {:.2} bits/byte overall)",
                unread_bytes.min(data.len() as u64),
                data.len(),
                profile.overall
            )),
        )
    } else if !unread.is_empty() {
        let listed: Vec<String> = unread
            .iter()
            .take(8)
            .map(|u| {
                format!(
                    "{} {:#x}-{:#x} ({} bytes, {:.2} bits/byte)",
                    u.source,
                    u.offset,
                    u.offset + u.size,
                    u.size,
                    u.entropy
                )
            })
            .collect();
        let more = unread.len().saturating_sub(listed.len());
        (
            Readability::PartlyOpaque,
            Some(format!(
                "{} byte range{} could not be read (high entropy, no known structure decodes \
                 {}; encrypted or compressed): {}{}",
                unread.len(),
                if unread.len() == 1 { "" } else { "s" },
                if unread.len() == 1 { "it" } else { "them" },
                listed.join("; "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )),
        )
    } else {
        (Readability::Read, None)
    };
    unread.truncate(MAX_STRETCHES);
    Opacity {
        status,
        note,
        entropy: profile,
        unread,
        unread_bytes,
    }
}

/// An opaque image: every guideline and provision the firmware checks would decide is not
/// assessed, for that reason (findings from the few readable bytes still fail).
pub(crate) fn apply(a: &mut Assessment) {
    if a.opacity.as_ref().map(|o| o.status) != Some(Readability::Opaque) {
        return;
    }
    for g in &mut a.guidelines {
        if g.status != GuidelineStatus::Fail {
            g.status = GuidelineStatus::NotAssessed;
            g.reason = Some(OPAQUE.to_string());
        }
    }
    for p in &mut a.verdicts.provisions {
        if matches!(p.verdict, Verdict::NotAssessed | Verdict::Pass) {
            p.verdict = Verdict::NotAssessed;
            p.reason = OPAQUE.to_string();
        }
    }
}
