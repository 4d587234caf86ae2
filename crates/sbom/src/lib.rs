//! SBOMs from an inventory: CycloneDX 1.6 JSON and SPDX 2.3 JSON.
//!
//! The firmware image is the root: CycloneDX `metadata.component` (type `firmware`, with its
//! SHA-256) that every component is a dependency of; the SPDX package the document `DESCRIBES`,
//! which `CONTAINS` every other package. Each component carries its name, version, purl and CPE
//! and where it was seen: CycloneDX `evidence.occurrences[]` (location, line, offset, the string)
//! and `evidence.identity` (how it was identified, how sure); SPDX a package `comment` listing the
//! same places.
//!
//! Documents are built as `serde_json::Value` trees: the two formats are large and mostly
//! optional, and writing only the fields we fill keeps the output exactly what the schemas in
//! `tests/schemas/` accept.

use std::time::{SystemTime, UNIX_EPOCH};

use iotassay_inventory::{Component, ComponentKind, Confidence, Evidence, Inventory};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Occurrences written per component (the inventory keeps at most 64).
const MAX_OCCURRENCES: usize = 64;

/// The firmware image the inventory was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// File name of the image.
    pub name: String,
    /// SHA-256 of the image, lowercase hex.
    pub sha256: String,
    /// Creation time, RFC 3339 UTC (`2026-11-25T03:51:00Z`).
    pub created: String,
    /// Tool version written as the creator.
    pub tool_version: String,
}

impl ImageInfo {
    /// Image info created now, by this crate's version of iotassay.
    pub fn new(name: &str, sha256: &str) -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        ImageInfo {
            name: name.to_string(),
            sha256: sha256.to_ascii_lowercase(),
            created: rfc3339(secs),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// `secs` since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ` (days-to-civil after Howard Hinnant;
/// a date crate for one conversion is not worth the dependency).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A stable UUID (version 5 layout, SHA-256 based) for the image, time and component list, so
/// the same scan gives the same serial number and different scans different ones.
fn uuid(image: &ImageInfo, inv: &Inventory) -> String {
    let mut h = Sha256::new();
    h.update(image.sha256.as_bytes());
    h.update(image.created.as_bytes());
    for c in &inv.components {
        h.update(c.purl.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

fn cdx_type(c: &Component) -> &'static str {
    match c.kind {
        ComponentKind::Os => "operating-system",
        ComponentKind::Firmware => "firmware",
        ComponentKind::Library => "library",
        ComponentKind::Application => "application",
        ComponentKind::Package if c.name.starts_with("lib") => "library",
        ComponentKind::Package => "application",
    }
}

fn confidence(c: Confidence) -> f64 {
    match c {
        Confidence::High => 0.9,
        Confidence::Medium => 0.6,
        Confidence::Low => 0.3,
    }
}

/// How a piece of evidence identified the component, as CycloneDX names techniques.
fn technique(c: &Component, e: &Evidence) -> &'static str {
    if e.line.is_some() {
        "manifest-analysis"
    } else if e.offset.is_some() || e.text.is_some() {
        "binary-analysis"
    } else if c.kind == ComponentKind::Package {
        "manifest-analysis"
    } else {
        "filename"
    }
}

/// One line per evidence item: `path:line @0xoffset "text" (provenance)`.
fn evidence_line(e: &Evidence) -> String {
    let mut s = e.path.clone();
    if let Some(l) = e.line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(o) = e.offset {
        s.push_str(&format!(" @{o:#x}"));
    }
    if let Some(t) = &e.text {
        s.push_str(&format!(" {t:?}"));
    }
    if !e.provenance.is_empty() {
        s.push_str(&format!(" ({})", e.provenance));
    }
    s
}

/// The CycloneDX 1.6 JSON BOM of `inv`.
pub fn cyclonedx(inv: &Inventory, image: &ImageInfo) -> Value {
    let root_ref = "firmware";
    let mut components = Vec::new();
    let mut refs = Vec::new();
    for (i, c) in inv.components.iter().enumerate() {
        let bom_ref = format!("component-{}", i + 1);
        let mut o = Map::new();
        o.insert("type".into(), json!(cdx_type(c)));
        o.insert("bom-ref".into(), json!(bom_ref));
        o.insert("name".into(), json!(c.name));
        if !c.version.is_empty() {
            o.insert("version".into(), json!(c.version));
        }
        o.insert("purl".into(), json!(c.purl));
        if let Some(cpe) = &c.cpe {
            o.insert("cpe".into(), json!(cpe));
        }
        let occurrences: Vec<Value> = c
            .evidence
            .iter()
            .take(MAX_OCCURRENCES)
            .map(|e| {
                let mut occ = Map::new();
                occ.insert("location".into(), json!(e.path));
                if let Some(l) = e.line {
                    occ.insert("line".into(), json!(l));
                }
                if let Some(off) = e.offset {
                    occ.insert("offset".into(), json!(off));
                }
                let mut ctx = e.text.clone().unwrap_or_default();
                if !e.provenance.is_empty() {
                    if !ctx.is_empty() {
                        ctx.push_str(" — ");
                    }
                    ctx.push_str(&e.provenance);
                }
                if !ctx.is_empty() {
                    occ.insert("additionalContext".into(), json!(ctx));
                }
                Value::Object(occ)
            })
            .collect();
        let mut methods: Vec<Value> = Vec::new();
        for e in c.evidence.iter().take(MAX_OCCURRENCES) {
            let t = technique(c, e);
            let value = e.text.clone().unwrap_or_else(|| e.path.clone());
            let m =
                json!({ "technique": t, "confidence": confidence(c.confidence), "value": value });
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        let mut evidence = Map::new();
        let field = if c.version.is_empty() {
            "name"
        } else {
            "version"
        };
        let mut identity = json!({ "field": field, "confidence": confidence(c.confidence) });
        if !methods.is_empty() {
            identity["methods"] = Value::Array(methods);
        }
        evidence.insert("identity".into(), json!([identity]));
        if !occurrences.is_empty() {
            evidence.insert("occurrences".into(), Value::Array(occurrences));
        }
        o.insert("evidence".into(), Value::Object(evidence));
        components.push(Value::Object(o));
        refs.push(bom_ref);
    }
    let mut root = json!({
        "type": "firmware",
        "bom-ref": root_ref,
        "name": image.name,
    });
    if !image.sha256.is_empty() {
        root["hashes"] = json!([{ "alg": "SHA-256", "content": image.sha256 }]);
    }
    let mut dependencies = vec![json!({ "ref": root_ref, "dependsOn": refs })];
    dependencies.extend(refs.iter().map(|r| json!({ "ref": r })));
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid(image, inv)),
        "version": 1,
        "metadata": {
            "timestamp": image.created,
            "tools": { "components": [{
                "type": "application",
                "name": "iotassay",
                "version": image.tool_version,
            }]},
            "component": root,
        },
        "components": components,
        "dependencies": dependencies,
    })
}

/// `SPDXRef-` ids allow letters, digits, `.` and `-` only.
fn spdx_id(prefix: &str, i: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    format!("SPDXRef-{prefix}-{i}-{clean}")
}

fn spdx_purpose(c: &Component) -> &'static str {
    match c.kind {
        ComponentKind::Os => "OPERATING_SYSTEM",
        ComponentKind::Firmware => "FIRMWARE",
        ComponentKind::Library => "LIBRARY",
        ComponentKind::Application => "APPLICATION",
        ComponentKind::Package if c.name.starts_with("lib") => "LIBRARY",
        ComponentKind::Package => "APPLICATION",
    }
}

/// The SPDX 2.3 JSON document of `inv`.
pub fn spdx(inv: &Inventory, image: &ImageInfo) -> Value {
    let root_id = "SPDXRef-firmware";
    let mut root = json!({
        "SPDXID": root_id,
        "name": image.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "FIRMWARE",
        "comment": "The firmware image as scanned by iotassay.",
    });
    if !image.sha256.is_empty() {
        root["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": image.sha256 }]);
    }
    let mut packages = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root_id,
    })];
    for (i, c) in inv.components.iter().enumerate() {
        let id = spdx_id("Package", i + 1, &c.name);
        let mut refs = vec![json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": c.purl,
        })];
        if let Some(cpe) = &c.cpe {
            refs.push(json!({
                "referenceCategory": "SECURITY",
                "referenceType": "cpe23Type",
                "referenceLocator": cpe,
            }));
        }
        let mut comment = format!(
            "Identified by iotassay ({:?} confidence) from:",
            c.confidence
        )
        .to_lowercase();
        for e in c.evidence.iter().take(MAX_OCCURRENCES) {
            comment.push_str("\n- ");
            comment.push_str(&evidence_line(e));
        }
        let mut p = json!({
            "SPDXID": id,
            "name": c.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": spdx_purpose(c),
            "externalRefs": refs,
            "comment": comment,
        });
        if !c.version.is_empty() {
            p["versionInfo"] = json!(c.version);
        }
        packages.push(p);
        relationships.push(json!({
            "spdxElementId": root_id,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let name: String = image
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("iotassay SBOM of {}", image.name),
        "documentNamespace": format!("https://iotassay.invalid/spdx/{name}-{}", uuid(image, inv)),
        "creationInfo": {
            "created": image.created,
            "creators": [format!("Tool: iotassay-{}", image.tool_version)],
        },
        "documentDescribes": [root_id],
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_042_660), "2025-11-25T03:51:00Z");
    }

    #[test]
    fn ids() {
        assert_eq!(
            spdx_id("Package", 3, "wpa_supplicant"),
            "SPDXRef-Package-3-wpa-supplicant"
        );
    }
}
