//! Per-provision verdicts from findings and the manufacturer's declaration: contradictions name
//! both sides, "not applicable" needs a justification, the PSTI summary follows the provisions.

use std::sync::OnceLock;

use iotassay_checks::{
    assess, attach_declaration, Assessment, CheckOptions, GuidelineStatus, Verdict,
};
use iotassay_declaration::{Declaration, Interface, ProvisionKey, ProvisionStatement};
use iotassay_testkit::corpus_bytes;
use iotassay_unpack::Options;

/// OpenWrt 12.09 for the WR703N: starts telnetd and dropbear at boot, root has no password.
fn openwrt_12_09() -> &'static Assessment {
    static A: OnceLock<Assessment> = OnceLock::new();
    A.get_or_init(|| {
        assess(
            "openwrt-12.09-tl-wr703n-factory.bin",
            &corpus_bytes("real/openwrt-12.09-tl-wr703n-factory.bin"),
            &Options::default(),
            &CheckOptions::default(),
        )
        .unwrap()
    })
}

/// The annotated template: lists only a web UI and a UART as interfaces.
fn template() -> Declaration {
    Declaration::parse(iotassay_declaration::TEMPLATE).unwrap()
}

fn with(declaration: Declaration) -> Assessment {
    let mut a = openwrt_12_09().clone();
    attach_declaration(&mut a, declaration);
    a
}

fn verdict(a: &Assessment, id: &str) -> Verdict {
    a.verdicts.get(id).unwrap().verdict
}

fn interface(name: &str, protocol: &str, exposed: bool) -> Interface {
    Interface {
        name: name.into(),
        protocol: protocol.into(),
        exposed,
        authenticated: true,
        purpose: "test".into(),
        debug: false,
    }
}

#[test]
fn declaring_no_telnet_is_contradicted_by_the_init_script() {
    let a = with(template());
    let p = a.verdicts.get("5.6-1").unwrap();
    assert_eq!(p.verdict, Verdict::Fail);
    let telnet = p
        .contradictions
        .iter()
        .find(|c| c.claim.contains("no telnet"))
        .unwrap_or_else(|| panic!("{:#?}", p.contradictions));
    assert!(telnet.claim.contains("web-ui, uart"), "{}", telnet.claim);
    assert_eq!(
        telnet.evidence,
        "etc/init.d/telnet:31 starts telnetd at boot"
    );
    let f = &a.findings[telnet.finding.expect("points at the finding")];
    assert_eq!(f.check, "services.remote_login");
    // The guideline the provision belongs to fails with the contradiction as its reason.
    let g6 = a.guidelines.iter().find(|g| g.number == 6).unwrap();
    assert_eq!(g6.status, GuidelineStatus::Fail);
}

#[test]
fn declaring_telnet_as_an_exposed_interface_is_no_contradiction() {
    let mut d = template();
    d.interfaces
        .push(interface("telnet", "telnet (TCP 23)", true));
    d.interfaces.push(interface("ssh", "SSH (TCP 22)", true));
    let a = with(d);
    let p = a.verdicts.get("5.6-1").unwrap();
    assert!(p.contradictions.is_empty(), "{:#?}", p.contradictions);
}

#[test]
fn declaring_telnet_unexposed_is_contradicted() {
    let mut d = template();
    d.interfaces
        .push(interface("telnet", "telnet (TCP 23), disabled", false));
    let a = with(d);
    let p = a.verdicts.get("5.6-1").unwrap();
    assert!(
        p.contradictions
            .iter()
            .any(|c| c.claim.contains("as not exposed") && c.evidence.contains("telnetd")),
        "{:#?}",
        p.contradictions
    );
}

#[test]
fn declared_password_mechanism_is_contradicted_by_an_empty_root_password() {
    let a = with(template());
    let p = a.verdicts.get("5.1-1").unwrap();
    assert_eq!(p.verdict, Verdict::Fail);
    assert!(
        p.contradictions[0].claim.contains("unique-per-device"),
        "{:#?}",
        p.contradictions
    );
    let psti = &a.verdicts.psti[0];
    assert_eq!(psti.verdict, Verdict::Fail);
    assert!(psti.provisions.contains(&"5.1-1".to_string()));
}

#[test]
fn without_a_declaration_disclosure_and_support_period_are_not_assessed() {
    let a = openwrt_12_09();
    assert!(!a.verdicts.declaration);
    assert_eq!(verdict(a, "5.2-1"), Verdict::NotAssessed);
    assert_eq!(verdict(a, "5.3-13"), Verdict::NotAssessed);
    // No contradiction can exist without claims.
    assert!(a
        .verdicts
        .provisions
        .iter()
        .all(|p| p.contradictions.is_empty()));
    // Evidence alone still fails 5.1-1, and the PSTI passwords requirement with it.
    assert_eq!(verdict(a, "5.1-1"), Verdict::Fail);
    assert_eq!(a.verdicts.psti[0].verdict, Verdict::Fail);
    assert_eq!(a.verdicts.psti[1].verdict, Verdict::NotAssessed);
}

#[test]
fn the_declaration_decides_disclosure_and_support_period() {
    let a = with(template());
    let p = a.verdicts.get("5.2-1").unwrap();
    assert_eq!(p.verdict, Verdict::Declared);
    assert!(
        p.reason.contains("mailto:security@acme.example"),
        "{}",
        p.reason
    );
    let p = a.verdicts.get("5.3-13").unwrap();
    assert_eq!(p.verdict, Verdict::Declared);
    assert!(p.reason.contains("2030-12-31"), "{}", p.reason);
    assert_eq!(a.verdicts.psti[2].verdict, Verdict::Declared);
}

#[test]
fn an_ended_support_period_fails_5_3_13() {
    let mut d = template();
    d.support_period.end_date = Some(iotassay_declaration::Date::parse("2020-01-31").unwrap());
    let a = with(d);
    let p = a.verdicts.get("5.3-13").unwrap();
    assert_eq!(p.verdict, Verdict::Fail);
    assert!(p.reason.contains("ended on 2020-01-31"), "{}", p.reason);
}

#[test]
fn no_disclosure_contact_fails_5_2_1() {
    let mut d = template();
    d.vulnerability_disclosure.contact.clear();
    let a = with(d);
    assert_eq!(verdict(&a, "5.2-1"), Verdict::Fail);
}

#[test]
fn not_applicable_needs_a_justification_when_mandatory() {
    let mut d = template();
    let statement = |justification: Option<&str>| ProvisionStatement {
        applies: false,
        justification: justification.map(str::to_string),
        implementation: None,
    };
    // 5.1-1 is mandatory without condition and has findings; 5.4-1 is mandatory, no findings here.
    d.provisions
        .insert(ProvisionKey("5.4-1".into()), statement(None));
    d.provisions.insert(
        ProvisionKey("5.8-1".into()),
        statement(Some("the product stores no personal data")),
    );
    d.provisions.insert(
        ProvisionKey("5.1-1".into()),
        statement(Some("the product has no passwords")),
    );
    let a = with(d);
    let p = a.verdicts.get("5.4-1").unwrap();
    assert!(p.findings.is_empty(), "the image stores no secret in clear");
    assert_eq!(p.verdict, Verdict::Fail);
    assert!(p.reason.contains("without a justification"), "{}", p.reason);
    let p = a.verdicts.get("5.8-1").unwrap();
    assert_eq!(p.verdict, Verdict::NotApplicable, "{}", p.reason);
    assert_eq!(
        p.justification.as_deref(),
        Some("the product stores no personal data")
    );
    // Declared not applicable, but the firmware shows the problem.
    let p = a.verdicts.get("5.1-1").unwrap();
    assert_eq!(p.verdict, Verdict::Fail);
    assert!(
        p.reason.starts_with("declared not applicable, but"),
        "{}",
        p.reason
    );
}

#[test]
fn pass_means_checks_ran_and_found_nothing() {
    let a = openwrt_12_09();
    for p in a.verdicts.provisions.iter() {
        match p.verdict {
            Verdict::Pass => {
                assert!(!p.checks.is_empty(), "{}", p.id);
                assert!(p.findings.is_empty(), "{}", p.id);
                assert!(p.examined && p.not_examined.is_empty(), "{}", p.id);
            }
            Verdict::Fail => assert!(
                !p.findings.is_empty() || !p.contradictions.is_empty(),
                "{}",
                p.id
            ),
            _ => {}
        }
    }
    assert!(
        a.verdicts
            .counts()
            .get(&Verdict::Pass)
            .copied()
            .unwrap_or(0)
            > 0
    );
}

#[test]
fn verdicts_survive_the_assessment_json() {
    let a = with(template());
    let json = serde_json::to_string(&a).unwrap();
    let back: Assessment = serde_json::from_str(&json).unwrap();
    assert_eq!(
        back.verdicts.get("5.6-1").unwrap().contradictions,
        a.verdicts.get("5.6-1").unwrap().contradictions
    );
    assert_eq!(back.declaration, a.declaration);
}

#[test]
fn guideline_2_without_a_disclosure_contact_is_not_pass() {
    // Only the outdated-components check (5.2-3) touches guideline 2; its disclosure policy
    // (5.2-1) is nowhere in the firmware and no declaration was given.
    let a = openwrt_12_09();
    let g2 = a.guidelines.iter().find(|g| g.number == 2).unwrap();
    assert_ne!(g2.status, GuidelineStatus::Pass, "{g2:?}");
    assert!(g2.not_examined.iter().any(|p| p == "5.2-1"), "{g2:?}");
    assert!(g2.core.is_empty(), "{g2:?}");
    // With the declaration the contact is declared, still not examined: guideline 2 stays
    // short of pass.
    let a = with(template());
    let g2 = a.guidelines.iter().find(|g| g.number == 2).unwrap();
    assert_ne!(g2.status, GuidelineStatus::Pass, "{g2:?}");
    assert_eq!(verdict(&a, "5.2-1"), Verdict::Declared);
}

#[test]
fn every_guideline_says_what_it_examined() {
    let a = openwrt_12_09();
    for g in &a.guidelines {
        let (n, total) = g.coverage().expect("coverage recorded");
        assert_eq!(n, g.examined.len());
        assert!(total > 0, "{g:?}");
        for id in &g.examined {
            assert!(a.verdicts.get(id).unwrap().examined, "{id}");
        }
        match g.status {
            GuidelineStatus::Pass => {
                assert!(!g.core.is_empty() && g.core.iter().all(|c| g.examined.contains(c)))
            }
            GuidelineStatus::Partial => assert!(!g.examined.is_empty(), "{g:?}"),
            GuidelineStatus::NotAssessed => assert!(g.examined.is_empty() && g.reason.is_some()),
            GuidelineStatus::Fail => {}
        }
    }
}

#[test]
fn a_schema_1_assessment_is_upgraded_without_green_on_one_check() {
    let mut old = serde_json::to_value(openwrt_12_09()).unwrap();
    old["schema"] = "iotassay.assessment/1".into();
    for p in old["verdicts"]["provisions"].as_array_mut().unwrap() {
        let p = p.as_object_mut().unwrap();
        p.remove("examined");
        p.remove("not_examined");
    }
    for g in old["guidelines"].as_array_mut().unwrap() {
        let g = g.as_object_mut().unwrap();
        g.insert("status".into(), "pass".into());
        for k in ["examined", "not_examined", "core"] {
            g.remove(k);
        }
    }
    let mut a: Assessment = serde_json::from_value(old).unwrap();
    assert!(iotassay_checks::assessment::upgrade(&mut a));
    assert_eq!(a.schema, iotassay_checks::assessment::SCHEMA);
    let fresh = openwrt_12_09();
    for (g, f) in a.guidelines.iter().zip(&fresh.guidelines) {
        assert_eq!(g.status, f.status, "guideline {}", g.number);
    }
    a.schema = "iotassay.assessment/0".into();
    assert!(!iotassay_checks::assessment::upgrade(&mut a));
}
