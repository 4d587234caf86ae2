use iotassay_declaration::{
    Declaration, DeclarationError, PasswordMechanism, SensorKind, TEMPLATE,
};

fn err(text: &str) -> DeclarationError {
    Declaration::parse(text).expect_err("the declaration should be rejected")
}

/// The template with one line replaced (the first line containing `from`).
fn edit(from: &str, to: &str) -> String {
    assert!(TEMPLATE.contains(from), "template lacks {from:?}");
    TEMPLATE.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn example_parses_with_its_values() {
    let d = Declaration::parse(TEMPLATE).unwrap();
    assert_eq!(d.product.model, "CAM-200");
    assert_eq!(d.product.manufacturer.name, "Acme Devices Ltd");
    assert_eq!(d.support_period.end().unwrap().to_string(), "2030-12-31");
    assert_eq!(d.vulnerability_disclosure.contact.len(), 2);
    assert_eq!(d.passwords.mechanism, PasswordMechanism::UniquePerDevice);
    assert!(d.update.automatic);
    assert_eq!(d.interfaces.len(), 2);
    assert!(d.interfaces[1].debug && !d.interfaces[1].exposed);
    assert_eq!(d.sensors[0].kind, SensorKind::Camera);
    assert_eq!(d.personal_data.len(), 1);
    assert_eq!(d.telemetry[0].recipient, "Acme Devices Ltd");
    assert_eq!(d.provisions.len(), 4);
    let s = d
        .provisions
        .iter()
        .find(|(k, _)| k.0 == "5.3-14")
        .unwrap()
        .1;
    assert!(!s.applies && s.justification.is_some());
}

#[test]
fn docs_example_is_the_template() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/declaration.example.toml"
    );
    assert_eq!(std::fs::read_to_string(path).unwrap(), TEMPLATE);
}

#[test]
fn template_round_trips() {
    let first = Declaration::parse(TEMPLATE).unwrap();
    let written = first.to_toml();
    let second = Declaration::parse(&written).unwrap_or_else(|e| panic!("{e}\n{written}"));
    assert_eq!(first, second);
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let text = edit("automatic = true", "automatic = true\nautomatik = false");
    let e = err(&text);
    assert!(e.message.contains("unknown field `automatik`"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "automatik")));
    assert_eq!(e.column, Some(1));
}

#[test]
fn missing_field_is_an_error_with_the_table_line() {
    let text = edit("model = \"CAM-200\"", "");
    let e = err(&text);
    assert!(e.message.contains("missing field `model`"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "[product]")));
}

#[test]
fn missing_section_is_an_error() {
    let start = TEMPLATE.find("[factory_reset]").unwrap();
    let end = start + TEMPLATE[start..].find("\n\n").unwrap();
    let text = format!("{}{}", &TEMPLATE[..start], &TEMPLATE[end..]);
    let e = err(&text);
    assert!(e.message.contains("missing field `factory_reset`"), "{e}");
    assert_eq!(e.line, Some(1));
}

#[test]
fn bad_date_is_an_error_with_its_line() {
    let text = edit("end_date = 2030-12-31", "end_date = \"2030-02-30\"");
    let e = err(&text);
    assert!(e.message.contains("invalid date \"2030-02-30\""), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "end_date =")));

    let text = edit("end_date = 2030-12-31", "end_date = \"31/12/2030\"");
    let e = err(&text);
    assert!(e.message.contains("expected YYYY-MM-DD"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "end_date =")));

    let text = edit("end_date = 2030-12-31", "end_date = 2030-12-31T10:00:00Z");
    let e = err(&text);
    assert!(e.message.contains("not the date-time"), "{e}");
}

#[test]
fn string_dates_are_accepted() {
    let text = edit("end_date = 2030-12-31", "end_date = \"2030-12-31\"");
    let d = Declaration::parse(&text).unwrap();
    assert_eq!(d.support_period.end().unwrap().to_string(), "2030-12-31");
}

#[test]
fn support_period_from_start_and_length() {
    let text = edit(
        "end_date = 2030-12-31",
        "start = 2025-03-31\nyears = 5\nmonths = 11",
    );
    let d = Declaration::parse(&text).unwrap();
    // 5 y 11 m from 31 Mar 2025 is 29 Feb 2031 → clamped to 28 Feb, ends the day before.
    assert_eq!(d.support_period.end().unwrap().to_string(), "2031-02-27");
    let text = edit("end_date = 2030-12-31", "start = 2025-01-01\nyears = 5");
    let d = Declaration::parse(&text).unwrap();
    assert_eq!(d.support_period.end().unwrap().to_string(), "2029-12-31");
}

#[test]
fn support_period_needs_an_end_or_a_length() {
    let text = edit("end_date = 2030-12-31", "start = 2025-01-01");
    let e = err(&text);
    assert!(e.message.contains("`start` needs a length"), "{e}");
    // Whole-table rules point at the table header.
    assert_eq!(e.line, Some(line_of(&text, "[support_period]")));
    let text = edit("end_date = 2030-12-31", "end_date = 2030-12-31\nyears = 5");
    assert!(err(&text).message.contains("not both"));
    let text = edit("end_date = 2030-12-31", "");
    assert!(err(&text).message.contains("missing `end_date`"));
}

#[test]
fn unknown_provision_id_is_an_error_with_its_line() {
    let text = edit("[provision.\"5.3-14\"]", "[provision.\"5.3-99\"]");
    let e = err(&text);
    assert!(e.message.contains("unknown provision id \"5.3-99\""), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "5.3-99")));
}

#[test]
fn mandatory_provision_not_applicable_needs_a_justification() {
    let text = edit(
        "applies = true\nimplementation = \"unique per-device",
        "applies = false\nimplementation = \"unique per-device",
    );
    let e = err(&text);
    assert_eq!(
        e.message,
        "provision 5.1-1 is mandatory and declared not applicable without a `justification` (EN 303 645 5.0-1)"
    );
    assert_eq!(e.line, Some(line_of(&text, "[provision.\"5.1-1\"]")));
    // With a justification it is accepted.
    let ok = text.replacen(
        "applies = false\n",
        "applies = false\njustification = \"no passwords: pairing by NFC only\"\n",
        1,
    );
    Declaration::parse(&ok).unwrap();
}

#[test]
fn recommended_provision_not_applicable_needs_a_justification_too() {
    let text = edit(
        "justification = \"the firmware is updatable",
        "implementation = \"the firmware is updatable",
    );
    let e = err(&text);
    assert!(
        e.message.starts_with("provision 5.3-14 is recommended"),
        "{e}"
    );
}

#[test]
fn bad_contact_and_enum_values_are_errors() {
    let text = edit(
        "\"mailto:security@acme.example\"",
        "\"security@acme.example\"",
    );
    let e = err(&text);
    assert!(
        e.message.contains("use a mailto:, https: or tel: URI"),
        "{e}"
    );
    assert_eq!(e.line, Some(line_of(&text, "contact = [")));
    assert_eq!(e.column, Some(11)); // the array

    let text = edit(
        "mechanism = \"unique-per-device\"",
        "mechanism = \"admin-admin\"",
    );
    let e = err(&text);
    assert!(e.message.contains("unknown variant `admin-admin`"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "mechanism =")));
}

#[test]
fn not_toml_is_an_error_with_its_line() {
    let e = err("[product]\nname = \n");
    assert_eq!(e.line, Some(2));
    assert!(e.to_string().starts_with("line 2, column"), "{e}");
}

#[test]
fn oversized_input_is_refused() {
    let text = format!("# {}\n", "x".repeat(iotassay_declaration::MAX_SIZE));
    assert!(err(&text).message.contains("limit"));
}

/// The template's commented example line, as a user uncomments it.
const BY_PATH: &str = "# security_txt = \"security.txt\"";

#[test]
fn declared_security_txt_inline_or_by_path() {
    use iotassay_declaration::securitytxt::{validate, Options};
    let text = edit(
        BY_PATH,
        "security_txt_inline = \"\"\"\nContact: mailto:security@acme.example\nExpires: 2020-01-01T00:00:00Z\n\"\"\"",
    );
    let d = Declaration::parse(&text).unwrap();
    let bytes = d
        .vulnerability_disclosure
        .security_txt_bytes(std::path::Path::new("/nonexistent"))
        .unwrap()
        .unwrap()
        .unwrap();
    let r = validate(&bytes, &Options::now()).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.code == "expired" && p.line == Some(2)),
        "{:#?}",
        r.problems
    );

    let d = Declaration::parse(&edit(BY_PATH, "security_txt = \"security.txt\"")).unwrap();
    let missing = d
        .vulnerability_disclosure
        .security_txt_bytes(std::path::Path::new("/nonexistent"))
        .unwrap();
    assert!(missing.is_err());

    let both = edit(BY_PATH, "security_txt = \"a\"\nsecurity_txt_inline = \"b\"");
    assert!(err(&both).message.contains("not both"));
}

#[test]
fn the_template_names_no_security_txt_so_it_checks_clean() {
    use iotassay_declaration::securitytxt::Options;
    let d = Declaration::parse(TEMPLATE).unwrap();
    assert_eq!(d.vulnerability_disclosure.security_txt, None);
    assert_eq!(
        d.check_security_txt(std::path::Path::new("/nonexistent"), &Options::now()),
        None
    );
}

#[test]
fn a_declared_security_txt_is_read_and_validated_or_its_error_named() {
    use iotassay_declaration::securitytxt::Options;
    let dir = tempfile::tempdir().unwrap();
    let d = Declaration::parse(&edit(BY_PATH, "security_txt = \"security.txt\"")).unwrap();
    // Absent: the resolved path and the operating system's error.
    let c = d.check_security_txt(dir.path(), &Options::now()).unwrap();
    let path = dir.path().join("security.txt");
    assert_eq!(c.source, path.display().to_string());
    assert!(c.report.is_none());
    assert!(
        c.error.as_deref().unwrap().contains("No such file"),
        "{c:?}"
    );
    let summary = c.summary();
    assert!(
        summary.contains(&c.source) && summary.contains("cannot be read"),
        "{summary}"
    );
    // Present: the RFC 9116 problems (expired, line 2) and the cross-checks (no Policy).
    std::fs::write(
        &path,
        "Contact: mailto:security@acme.example\nExpires: 2020-01-01T00:00:00Z\n",
    )
    .unwrap();
    let c = d.check_security_txt(dir.path(), &Options::now()).unwrap();
    let codes: Vec<&str> = c
        .report
        .as_ref()
        .unwrap()
        .problems
        .iter()
        .map(|p| p.code.as_str())
        .collect();
    assert!(
        codes.contains(&"expired") && codes.contains(&"no_policy"),
        "{codes:?}"
    );
    assert!(c.summary().contains("line 2"), "{}", c.summary());
    // Too large: refused with the bound, not read whole.
    std::fs::write(&path, vec![b'#'; 40_000]).unwrap();
    let c = d.check_security_txt(dir.path(), &Options::now()).unwrap();
    assert!(c.error.as_deref().unwrap().contains("32 KiB"), "{c:?}");
}

#[test]
fn security_txt_cross_checked_against_the_declaration() {
    use iotassay_declaration::securitytxt::{validate, Options};
    let d = Declaration::parse(TEMPLATE).unwrap();
    let codes = |txt: &str| -> Vec<String> {
        let r = validate(txt.as_bytes(), &Options::now()).unwrap();
        d.cross_check_security_txt(&r)
            .into_iter()
            .map(|p| p.code)
            .collect()
    };
    let matching = "Contact: https://acme.example/security/report\nPolicy: https://acme.example/vulnerability-disclosure-policy\n";
    assert!(codes(matching).is_empty());
    assert_eq!(codes("Contact: mailto:other@acme.example\nPolicy: https://acme.example/vulnerability-disclosure-policy\n"), ["contact_mismatch"]);
    assert_eq!(
        codes("Contact: mailto:security@acme.example\n"),
        ["no_policy"]
    );
    assert_eq!(
        codes("Contact: mailto:security@acme.example\nPolicy: https://acme.example/other\n"),
        ["policy_mismatch"]
    );
}

#[test]
fn justification_error_points_at_the_table_not_a_mention() {
    let text = edit(
        "implementation = \"disclosure policy",
        "implementation = \"see also \\\"5.1-1\\\"; disclosure policy",
    )
    .replacen(
        "applies = true\nimplementation = \"unique per-device",
        "applies = false\nimplementation = \"unique per-device",
        1,
    );
    let text = text.replacen("name = \"Acme Cam 2\"", "name = \"Acme Cam 2 '5.1-1'\"", 1);
    let e = err(&text);
    assert_eq!(e.line, Some(line_of(&text, "[provision.\"5.1-1\"]")));
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let depth = 200_000;
    let text = format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    assert!(text.len() < iotassay_declaration::MAX_SIZE);
    err(&text);
    let text = format!(
        "x = {}1{}\n",
        "{a=".repeat(depth / 4),
        "}".repeat(depth / 4)
    );
    err(&text);
}

#[test]
fn statement_of_compliance_fields_are_read() {
    let d = Declaration::parse(TEMPLATE).unwrap();
    assert_eq!(d.product.kind.as_deref(), Some("smart security camera"));
    assert_eq!(d.product.batch, ["B2407-001 to B2407-999"]);
    assert_eq!(
        d.product.privacy_policy.as_ref().unwrap().0,
        "https://acme.example/privacy"
    );
    assert_eq!(
        d.uk_representative.as_ref().unwrap().name,
        "Acme Devices UK Ltd"
    );
    let s = d.statement_of_compliance.as_ref().unwrap();
    assert_eq!(s.signatory_function, "Head of Product Security");
    assert_eq!(s.date_of_issue.to_string(), "2025-03-01");
    assert!(!s.on_behalf_of_manufacturer);
}

#[test]
fn statement_of_compliance_fields_are_optional_but_checked() {
    // Without the optional tables and keys, the declaration still parses.
    let start = TEMPLATE.find("# The UK authorised representative").unwrap();
    let end = TEMPLATE.find("# The defined support period").unwrap();
    let text = format!("{}{}", &TEMPLATE[..start], &TEMPLATE[end..])
        .replacen("type = \"smart security camera\"", "", 1)
        .replacen("privacy_policy = \"https://acme.example/privacy\"", "", 1);
    let d = Declaration::parse(&text).unwrap();
    assert!(d.uk_representative.is_none() && d.statement_of_compliance.is_none());
    assert!(d.product.kind.is_none() && d.product.privacy_policy.is_none());

    let text = edit("signatory_name = \"Jane Example\"", "");
    let e = err(&text);
    assert!(e.message.contains("missing field `signatory_name`"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "[statement_of_compliance]")));

    let text = edit(
        "privacy_policy = \"https://acme.example/privacy\"",
        "privacy_policy = \"http://acme.example/privacy\"",
    );
    let e = err(&text);
    assert!(e.message.contains("must be an https:// URL"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "privacy_policy =")));

    let text = edit(
        "place_of_issue = \"London\"",
        "place_of_issue = \"London\"\nseal = true",
    );
    assert!(err(&text).message.contains("unknown field `seal`"));
}
