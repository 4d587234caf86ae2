//! What could not be read: high-entropy bytes no recognised structure decodes (encrypted, or
//! compressed in a format nothing here knows), in the input and in every payload a container or
//! decompressor yielded. An image that is such bytes almost throughout is "encrypted or unknown
//! format: nothing could be assessed" and every guideline says so, never an empty, quiet result;
//! one with an identified header and an unreadable body gets a note naming the byte ranges.

/// Bits per byte at and above which bytes count as encrypted or compressed.
pub use iotassay_unpack::entropy::HIGH as HIGH_ENTROPY;
use iotassay_unpack::entropy::{self, Profile};
use iotassay_unpack::{Kind, Manifest, NodeKind, RegionStatus};
use serde::{Deserialize, Serialize};

use crate::assessment::Assessment;
use crate::summary::GuidelineStatus;
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

/// The unread stretches of one blob (`source`): regions `found_in` it cover what they decoded.
fn stretches(
    manifest: &Manifest,
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
    // Any structure identified (a header, a container, even one whose key is not published)
    // makes the image partly readable; a magic that failed to parse is no structure.
    let structure = manifest
        .regions
        .iter()
        .any(|r| r.kind != Kind::Info && r.status != RegionStatus::Failed);
    let profile = entropy::profile(data);
    let opaque = !data.is_empty()
        && !structure
        && !files
        && input_unread as f64 >= OPAQUE_SHARE * data.len() as f64;
    let (status, note) = if opaque {
        (
            Readability::Opaque,
            Some(format!(
                "{OPAQUE}: {} of {} bytes are high-entropy data no known structure decodes \
                 (entropy {:.2} bits/byte overall)",
                input_unread,
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

#[cfg(test)]
mod tests {
    use iotassay_unpack::Options;

    use super::*;
    use crate::{assess, CheckOptions};

    use iotassay_testkit::random_bytes as random;

    fn run(name: &str, data: &[u8]) -> Assessment {
        assess(name, data, &Options::default(), &CheckOptions::default()).expect("assessed")
    }

    #[test]
    fn random_image_is_encrypted_or_unknown_for_every_guideline() {
        let data = random(4 << 20, 0x5eed_1234_abcd_0001);
        let a = run("encrypted.bin", &data);
        let o = a.opacity.as_ref().expect("input examined");
        assert_eq!(o.status, Readability::Opaque);
        let note = o.note.as_deref().unwrap();
        assert!(note.starts_with(OPAQUE), "{note}");
        assert!(note.contains("of 4194304 bytes"), "{note}");
        // The profile covers the whole input, about 8 bits/byte everywhere.
        assert_eq!(o.entropy.block * o.entropy.values.len() as u64, 4 << 20);
        assert!(o.entropy.values.len() <= entropy::MAX_POINTS);
        assert!(o.entropy.values.iter().all(|&v| v > 7.9));
        assert!(o.entropy.overall > 7.99);
        assert_eq!(o.unread.len(), 1);
        assert_eq!((o.unread[0].offset, o.unread[0].size), (0, 4 << 20));
        assert_eq!(o.unread[0].source, "encrypted.bin");
        assert!(a.findings.is_empty());
        assert_eq!(a.guidelines.len(), 13);
        for g in &a.guidelines {
            assert_eq!(
                g.status,
                GuidelineStatus::NotAssessed,
                "guideline {}",
                g.number
            );
            assert_eq!(g.reason.as_deref(), Some(OPAQUE), "guideline {}", g.number);
        }
        assert!(a
            .verdicts
            .provisions
            .iter()
            .all(|p| p.verdict == Verdict::NotAssessed && p.reason == OPAQUE));
        // The JSON keeps it (reports are rendered from the JSON alone).
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["opacity"]["status"], "opaque");
        assert_eq!(json["guidelines"][0]["reason"], OPAQUE);
    }

    /// A legacy uImage header (CRCs valid, compression none) whose payload is random bytes.
    fn uimage(payload: &[u8]) -> Vec<u8> {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&0x2705_1956u32.to_be_bytes());
        h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        h[24..28].copy_from_slice(&crc32fast::hash(payload).to_be_bytes());
        h[28] = 5; // Linux
        h[29] = 5; // MIPS
        h[30] = 2; // kernel
        h[32..42].copy_from_slice(b"sealed fw ");
        let hcrc = crc32fast::hash(&h);
        h[4..8].copy_from_slice(&hcrc.to_be_bytes());
        let mut out = h.to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn random_body_behind_a_valid_header_is_partly_opaque() {
        let body = random(512 << 10, 42);
        let mut image = uimage(&body);
        image.extend(std::iter::repeat_n(0xff, 64 << 10)); // erased flash after it
        let a = run("sealed.bin", &image);
        let o = a.opacity.as_ref().unwrap();
        assert_eq!(o.status, Readability::PartlyOpaque, "{:?}", o.note);
        assert_eq!(o.unread.len(), 1, "{:?}", o.unread);
        let u = &o.unread[0];
        assert!(u.source.ends_with("0x0-uimage/kernel") || u.source.contains("uimage"));
        assert_eq!((u.offset, u.size), (0, 512 << 10));
        assert!(u.entropy > 7.99);
        let note = o.note.as_deref().unwrap();
        assert!(note.contains("1 byte range could not be read"), "{note}");
        assert!(note.contains("0x0-0x80000 (524288 bytes, "), "{note}");
        // Not the opaque verdict: a structure was read.
        assert!(a
            .guidelines
            .iter()
            .all(|g| g.reason.as_deref() != Some(OPAQUE)));
    }

    #[test]
    fn readable_images_have_nothing_unread() {
        let data = iotassay_demo::build_image().expect("demo image builds");
        let a = run("demo.bin", &data);
        let o = a.opacity.as_ref().unwrap();
        assert_eq!(o.status, Readability::Read, "{:?}", o.unread);
        assert!(o.note.is_none());
        // Plain text is nowhere near the threshold either.
        let text = b"#!/bin/sh\necho hello\n".repeat(50_000);
        let a = run("script.sh", &text);
        assert_eq!(a.opacity.unwrap().status, Readability::Read);
    }
}
