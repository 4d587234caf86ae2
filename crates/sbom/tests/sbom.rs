//! CycloneDX 1.6 and SPDX 2.3 output of real images, validated against the official JSON
//! schemas (CycloneDX: installed by `.ci/schemas.sh` from the PyPI package that ships them; SPDX
//! 2.3: stored in `tests/schemas/`, no registry package carries it, source in its README), plus
//! checks the schemas cannot make (references resolve, ids unique, evidence present).

use std::collections::HashSet;
use std::sync::LazyLock;

use iotassay_inventory::{inventory, Inventory};
use iotassay_sbom::{cyclonedx, spdx, ImageInfo};
use jsonschema::{Registry, Validator};
use serde_json::Value;

fn schema(name: &str) -> Value {
    let path = format!("{}/tests/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The CycloneDX schemas as `cyclonedx-python-lib` ships them: its copy of `bom-1.6` refers to
/// the others by their `.SNAPSHOT` file names, resolved against its `$id`.
static CDX: LazyLock<(Registry<'static>, Value)> = LazyLock::new(|| {
    use iotassay_testkit::schema as installed;
    let registry = Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
            installed("spdx.SNAPSHOT.schema.json"),
        )
        .unwrap()
        .add(
            "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
            installed("jsf-0.82.SNAPSHOT.schema.json"),
        )
        .unwrap()
        .prepare()
        .unwrap();
    (registry, installed("bom-1.6.SNAPSHOT.schema.json"))
});

fn cdx_validator() -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .with_registry(&CDX.0)
        .build(&CDX.1)
        .unwrap()
}

fn spdx_validator() -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema("spdx-schema-2.3.json"))
        .unwrap()
}

fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

struct Scanned {
    inv: Inventory,
    image: ImageInfo,
}

fn scan(name: &str) -> Scanned {
    let path = iotassay_testkit::corpus(&format!("real/{name}"));
    let bytes = std::fs::read(&path).unwrap();
    let options = iotassay_unpack::Options {
        keep_data: true,
        ..Default::default()
    };
    let m = iotassay_unpack::unpack(name, &bytes, None, &options).unwrap();
    let mut image = ImageInfo::new(name, &m.input.sha256);
    image.created = "2026-11-25T03:51:00Z".into();
    Scanned {
        inv: inventory(&m),
        image,
    }
}

static TPLINK: LazyLock<Scanned> = LazyLock::new(|| scan("tplink-mt7628-flashdump.bin"));
static WRT12: LazyLock<Scanned> = LazyLock::new(|| scan("openwrt-12.09-tl-wr703n-factory.bin"));

#[test]
fn cyclonedx_validates_and_carries_evidence() {
    let v = cdx_validator();
    for s in [&*TPLINK, &*WRT12] {
        let bom = cyclonedx(&s.inv, &s.image);
        let errs = errors(&v, &bom);
        assert!(errs.is_empty(), "{}: {errs:#?}", s.image.name);
        let comps = bom["components"].as_array().unwrap();
        assert_eq!(comps.len(), s.inv.components.len());
        // bom-refs unique, every dependency resolves.
        let refs: HashSet<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), comps.len());
        let deps = bom["dependencies"].as_array().unwrap();
        let root = &deps[0];
        assert_eq!(root["ref"], "firmware");
        for d in root["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(d.as_str().unwrap()));
        }
        let meta = &bom["metadata"]["component"];
        assert_eq!(meta["type"], "firmware");
        assert_eq!(meta["hashes"][0]["content"].as_str().unwrap().len(), 64);
        assert!(comps
            .iter()
            .all(|c| !c["evidence"]["occurrences"].as_array().unwrap().is_empty()));
    }
    let bom = cyclonedx(&TPLINK.inv, &TPLINK.image);
    let ssl = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "openssl")
        .unwrap();
    assert_eq!(ssl["version"], "0.9.8zh");
    assert_eq!(ssl["purl"], "pkg:generic/openssl@0.9.8zh");
    assert_eq!(
        ssl["cpe"],
        "cpe:2.3:a:openssl:openssl:0.9.8zh:*:*:*:*:*:*:*"
    );
    let occ = &ssl["evidence"]["occurrences"][0];
    assert_eq!(occ["location"], "lib/libgdpr.so");
    assert!(occ["offset"].as_u64().is_some());
    assert!(occ["additionalContext"]
        .as_str()
        .unwrap()
        .contains("OpenSSL 0.9.8zh"));
    let uboot = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "u-boot")
        .unwrap();
    assert_eq!(uboot["type"], "firmware");
}

#[test]
fn spdx_validates_and_relates_everything() {
    let v = spdx_validator();
    for s in [&*TPLINK, &*WRT12] {
        let doc = spdx(&s.inv, &s.image);
        let errs = errors(&v, &doc);
        assert!(errs.is_empty(), "{}: {errs:#?}", s.image.name);
        let packages = doc["packages"].as_array().unwrap();
        assert_eq!(packages.len(), s.inv.components.len() + 1);
        let ids: HashSet<&str> = packages
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), packages.len());
        // SPDX 2.3 §3.2: SPDXRef- followed by letters, digits, '.' and '-'.
        for id in &ids {
            let rest = id.strip_prefix("SPDXRef-").unwrap();
            assert!(rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        }
        for r in doc["relationships"].as_array().unwrap() {
            let a = r["spdxElementId"].as_str().unwrap();
            let b = r["relatedSpdxElement"].as_str().unwrap();
            assert!(a == "SPDXRef-DOCUMENT" || ids.contains(a));
            assert!(ids.contains(b));
        }
        assert_eq!(doc["documentDescribes"][0], "SPDXRef-firmware");
    }
    let doc = spdx(&WRT12.inv, &WRT12.image);
    let dropbear = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "dropbear")
        .unwrap();
    assert_eq!(dropbear["versionInfo"], "2011.54-2");
    let refs = dropbear["externalRefs"].as_array().unwrap();
    assert!(refs
        .iter()
        .any(|r| r["referenceLocator"] == "pkg:opkg/dropbear@2011.54-2?arch=ar71xx"));
    assert!(refs.iter().any(|r| r["referenceType"] == "cpe23Type"
        && r["referenceLocator"]
            == "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*"));
    assert!(dropbear["comment"]
        .as_str()
        .unwrap()
        .contains("usr/lib/opkg/status:"));
}

/// The validators are not vacuous: broken documents fail.
#[test]
fn schemas_reject_broken_documents() {
    let mut bom = cyclonedx(&TPLINK.inv, &TPLINK.image);
    bom["components"][0]["type"] = "gadget".into();
    assert!(!cdx_validator().is_valid(&bom));
    let mut bom = cyclonedx(&TPLINK.inv, &TPLINK.image);
    bom["components"][0]["evidence"]["occurrences"][0]
        .as_object_mut()
        .unwrap()
        .remove("location");
    assert!(!cdx_validator().is_valid(&bom));
    let mut doc = spdx(&TPLINK.inv, &TPLINK.image);
    doc["packages"][1]
        .as_object_mut()
        .unwrap()
        .remove("downloadLocation");
    assert!(!spdx_validator().is_valid(&doc));
    let mut doc = spdx(&TPLINK.inv, &TPLINK.image);
    doc["relationships"][0]["relationshipType"] = "LIKES".into();
    assert!(!spdx_validator().is_valid(&doc));
    let mut bom = cyclonedx(&TPLINK.inv, &TPLINK.image);
    bom["metadata"]["timestamp"] = "yesterday".into();
    assert!(!cdx_validator().is_valid(&bom));
}
