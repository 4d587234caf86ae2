//! Microcontroller firmware: the Espressif images the unpacker found (chip, app descriptor,
//! signature state, where each segment sits) and the SDK, RTOS and library components they carry.
//!
//! ESP-IDF's version comes from the app descriptor (`esp_app_desc_t.idf_ver`), a struct the build
//! writes, so it is trusted. The components ESP-IDF bundles (mbedTLS, lwIP, FreeRTOS) and the
//! Arduino-ESP32 core are recognised by their source paths compiled into assertion and log
//! strings (`/IDF/components/mbedtls/…`, `framework-arduinoespressif32/cores/esp32/…`); those
//! carry no version of their own, so the version is left empty rather than guessed from ESP-IDF's.

use iotassay_unpack::formats::mcu::esp;
use iotassay_unpack::{Node, NodeKind};
use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::components::{ComponentKind, Confidence};
use crate::tree::{region_provenance, FileTree};
use crate::Evidence;

/// Format name of the unpacker's Espressif image handler.
pub const ESP_IMAGE: &str = "esp-image";
/// Format name of the unpacker's MCUboot handler.
pub const MCUBOOT: &str = "mcuboot";

/// One segment node of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McuSegment {
    /// Output path of the node.
    pub node: String,
    /// Offset of the segment's bytes in the image.
    pub offset: u64,
    pub size: u64,
}

/// One microcontroller application or boot loader image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McuImage {
    /// The unpacker's format: `esp-image` or `mcuboot`.
    pub format: String,
    /// Region id of the image in the manifest.
    pub region: usize,
    /// Where it is: `@0x… esp-image` with its provenance.
    pub evidence: Evidence,
    /// What the unpacker said about it (chip, segments, checksum, SHA-256, descriptor, signature).
    pub description: String,
    /// The ESP-IDF app descriptor's fields, when the image has one.
    pub project: Option<String>,
    pub version: Option<String>,
    pub idf_version: Option<String>,
    pub build_date: Option<String>,
    pub secure_version: Option<u32>,
    /// A secure boot v2 signature block follows the image (ESP), or a signature TLV (MCUboot).
    pub signed: bool,
    pub segments: Vec<McuSegment>,
}

impl McuImage {
    /// An application (it has an app descriptor), not a boot loader.
    pub fn is_app(&self) -> bool {
        self.project.is_some() || self.format == MCUBOOT
    }
}

/// Every Espressif image the unpacker found, with its segment nodes.
pub fn images(tree: &FileTree<'_>) -> Vec<McuImage> {
    let manifest = tree.manifest();
    let mut out = Vec::new();
    for region in manifest
        .regions
        .iter()
        .filter(|r| r.format == ESP_IMAGE || r.format == MCUBOOT)
    {
        let nodes: Vec<&Node> = manifest
            .nodes
            .iter()
            .filter(|n| n.region == region.id && matches!(n.kind, NodeKind::Payload))
            .collect();
        let mut segments: Vec<McuSegment> = nodes
            .iter()
            .filter_map(|n| {
                let name = n.inner_path.rsplit('/').next().unwrap_or("");
                Some(McuSegment {
                    node: n.path.clone(),
                    offset: esp::segment_image_offset(name, 0)?,
                    size: n.size,
                })
            })
            .collect();
        segments.sort_by_key(|s| s.offset);
        if region.format == MCUBOOT {
            segments.clear();
        }
        let desc = nodes
            .iter()
            .filter_map(|n| n.data.as_deref())
            .find_map(esp::app_desc);
        out.push(McuImage {
            format: region.format.clone(),
            region: region.id,
            evidence: Evidence {
                node: region.source.clone(),
                path: format!("@{:#x} {}", region.offset, region.format),
                line: None,
                offset: Some(region.offset),
                text: Some(region.description.chars().take(400).collect()),
                provenance: region_provenance(manifest, region.id),
            },
            description: region.description.clone(),
            project: desc.as_ref().map(|d| d.project.clone()),
            version: desc.as_ref().map(|d| d.version.clone()),
            idf_version: desc.as_ref().map(|d| d.idf_ver.clone()),
            build_date: desc.as_ref().map(|d| format!("{} {}", d.date, d.time)),
            secure_version: desc.as_ref().map(|d| d.secure_version),
            signed: region.description.contains("secure boot v2 signature:")
                || region.description.contains("signature TLV:"),
            segments,
        });
    }
    out
}

/// `v5.4.1-1-g2f7dcd862a-dirty` → `5.4.1`; `esp-idf: v4.4.4 e8bdaf9198` → `4.4.4`.
pub fn idf_release(idf_ver: &str) -> Option<String> {
    let at = idf_ver.find(|c: char| c.is_ascii_digit())?;
    let v: String = idf_ver[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.');
    v.contains('.').then(|| v.to_string())
}

/// A library recognised by a source path compiled into the image.
struct PathMark {
    needle: &'static [u8],
    name: &'static str,
    kind: ComponentKind,
}

const MARKS: &[PathMark] = &[
    PathMark {
        needle: b"/components/mbedtls/",
        name: "mbedtls",
        kind: ComponentKind::Library,
    },
    PathMark {
        needle: b"/components/lwip/",
        name: "lwip",
        kind: ComponentKind::Library,
    },
    PathMark {
        needle: b"/components/freertos/",
        name: "freertos",
        kind: ComponentKind::Os,
    },
    PathMark {
        needle: b"framework-arduinoespressif32/",
        name: "arduino-esp32",
        kind: ComponentKind::Library,
    },
    PathMark {
        needle: b"Arduino Version   : ",
        name: "arduino-esp32",
        kind: ComponentKind::Library,
    },
    PathMark {
        needle: b"/cores/esp32/esp32-hal",
        name: "arduino-esp32",
        kind: ComponentKind::Library,
    },
];

/// The printable string around `at` (at most 160 bytes), for evidence.
fn string_at(data: &[u8], at: usize) -> String {
    let printable = |b: &u8| *b == b' ' || b.is_ascii_graphic();
    let start = data[..at]
        .iter()
        .rev()
        .take(80)
        .take_while(|b| printable(b))
        .count();
    let end = data[at..]
        .iter()
        .take(80)
        .take_while(|b| printable(b))
        .count();
    String::from_utf8_lossy(&data[at - start..at + end]).into_owned()
}

/// Components of every Espressif image: (name, version, kind, confidence, evidence).
pub fn components(
    tree: &FileTree<'_>,
    images: &[McuImage],
) -> Vec<(String, String, ComponentKind, Confidence, Evidence)> {
    let manifest = tree.manifest();
    let mut out = Vec::new();
    for img in images {
        if let Some(v) = img.idf_version.as_deref().and_then(idf_release) {
            let mut ev = img.evidence.clone();
            // The descriptor is at the start of the first segment.
            if let Some(first) = img.segments.first() {
                ev.offset = Some(first.offset);
                ev.path = format!("@{:#x} esp_app_desc_t.idf_ver", first.offset);
            }
            ev.text = Some(format!(
                "idf_ver \"{}\"",
                img.idf_version.as_deref().unwrap_or("")
            ));
            out.push((
                "esp-idf".to_string(),
                v,
                ComponentKind::Firmware,
                Confidence::High,
                ev,
            ));
        }
        for seg in &img.segments {
            let Some(node) = tree.node(&seg.node) else {
                continue;
            };
            let Some(data) = node.data.as_deref() else {
                continue;
            };
            for m in MARKS {
                let Some(at) = memmem::find(data, m.needle) else {
                    continue;
                };
                let ev = Evidence {
                    node: node.path.clone(),
                    path: format!("@{:#x}", seg.offset + at as u64),
                    line: None,
                    offset: Some(seg.offset + at as u64),
                    text: Some(string_at(data, at)),
                    provenance: manifest.provenance(node),
                };
                out.push((
                    m.name.to_string(),
                    String::new(),
                    m.kind,
                    Confidence::Medium,
                    ev,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_releases() {
        assert_eq!(
            idf_release("v5.4.1-1-g2f7dcd862a-dirty").as_deref(),
            Some("5.4.1")
        );
        assert_eq!(
            idf_release("esp-idf: v4.4.4 e8bdaf9198").as_deref(),
            Some("4.4.4")
        );
        assert_eq!(idf_release("v5.1").as_deref(), Some("5.1"));
        assert_eq!(idf_release("master"), None);
        assert_eq!(idf_release("v5"), None);
    }

    #[test]
    fn string_at_is_bounded() {
        let d = b"\x00abc/components/lwip/x.c\x00";
        assert_eq!(string_at(d, 4), "abc/components/lwip/x.c");
    }
}
