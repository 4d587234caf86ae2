//! Each RFC 9116 rule: one file that breaks it (asserting the code, severity and line) and one that
//! keeps it.

use iotassay_declaration::securitytxt::{validate, InputError, Options, Problem, Report, Severity};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-01-15 12:00 UTC);

const GOOD: &str = "\
# Acme security contacts
Contact: mailto:security@acme.example
Contact: https://acme.example/security
Contact: tel:+44-20-7946-0000
Encryption: https://acme.example/pgp-key.txt
Policy: https://acme.example/vdp
Acknowledgments: https://acme.example/thanks
Hiring: https://acme.example/jobs
Preferred-Languages: en, de, fr-CA
Expires: 2026-06-30T23:59:59Z
";

fn check(text: &str) -> Report {
    validate(text.as_bytes(), &Options::at(NOW)).unwrap()
}

fn with(code: &str, report: &Report) -> Vec<Problem> {
    report
        .problems
        .iter()
        .filter(|p| p.code == code)
        .cloned()
        .collect()
}

/// Exactly one problem with this code, at this line and severity.
#[track_caller]
fn one(text: &str, code: &str, severity: Severity, line: Option<usize>) -> Problem {
    let r = check(text);
    let found = with(code, &r);
    assert_eq!(found.len(), 1, "{code}: {:#?}", r.problems);
    assert_eq!(found[0].severity, severity, "{:?}", found[0]);
    assert_eq!(found[0].line, line, "{:?}", found[0]);
    found[0].clone()
}

#[track_caller]
fn none(text: &str, code: &str) {
    let r = check(text);
    assert!(with(code, &r).is_empty(), "{code}: {:#?}", r.problems);
}

#[test]
fn good_file_has_no_errors_or_recommendations_but_signing() {
    let r = check(GOOD);
    let relevant: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.severity != Severity::Note && p.code != "not_signed")
        .collect();
    assert!(relevant.is_empty(), "{relevant:#?}");
    assert_eq!(r.values("contact").count(), 3);
    assert!(!r.signed);
}

#[test]
fn contact_required() {
    let text = GOOD.replace("Contact: ", "X-Contact: ");
    let p = one(&text, "no_contact", Severity::Error, None);
    assert!(p.message.contains("MUST always be present"));
    none(GOOD, "no_contact");
}

#[test]
fn contact_must_be_a_uri() {
    let text = GOOD.replace(
        "Contact: mailto:security@acme.example",
        "Contact: security@acme.example",
    );
    let p = one(&text, "no_uri", Severity::Error, Some(2));
    assert!(p.message.contains("mailto:"), "{}", p.message);
    none(GOOD, "no_uri");
}

#[test]
fn contact_http_is_an_error() {
    let text = GOOD.replace("Contact: https://", "Contact: http://");
    one(&text, "no_https", Severity::Error, Some(3));
    none(GOOD, "no_https");
}

#[test]
fn contact_other_scheme_is_a_recommendation() {
    let text = GOOD.replace(
        "Contact: tel:+44-20-7946-0000",
        "Contact: xmpp:security@acme.example",
    );
    one(&text, "unusual_contact", Severity::Recommendation, Some(4));
    none(GOOD, "unusual_contact");
}

#[test]
fn email_contact_recommends_encryption() {
    let text = GOOD.replace("Encryption: https://acme.example/pgp-key.txt\n", "");
    one(&text, "no_encryption", Severity::Recommendation, Some(2));
    none(GOOD, "no_encryption");
}

#[test]
fn expires_required() {
    let text = GOOD.replace("Expires: 2026-06-30T23:59:59Z\n", "");
    one(&text, "no_expire", Severity::Error, None);
    none(GOOD, "no_expire");
}

#[test]
fn expires_exactly_once() {
    let text = format!("{GOOD}Expires: 2026-07-30T23:59:59Z\n");
    one(&text, "multi_expire", Severity::Error, Some(11));
    none(GOOD, "multi_expire");
}

#[test]
fn expires_rfc3339() {
    let text = GOOD.replace("2026-06-30T23:59:59Z", "30 June 2026");
    one(&text, "invalid_expiry", Severity::Error, Some(10));
    let text = GOOD.replace("2026-06-30T23:59:59Z", "2026-06-30");
    one(&text, "invalid_expiry", Severity::Error, Some(10));
    // RFC 3339 §5.6 allows lowercase t and z; offsets are fine.
    none(
        &GOOD.replace("2026-06-30T23:59:59Z", "2026-06-30t23:59:59z"),
        "invalid_expiry",
    );
    none(
        &GOOD.replace("2026-06-30T23:59:59Z", "2026-06-30T23:59:59.5+02:00"),
        "invalid_expiry",
    );
}

#[test]
fn expires_not_in_the_past() {
    let text = GOOD.replace("2026-06-30T23:59:59Z", "2026-01-15T11:59:59Z");
    one(&text, "expired", Severity::Error, Some(10));
    none(
        &GOOD.replace("2026-06-30T23:59:59Z", "2026-01-15T12:00:01Z"),
        "expired",
    );
}

#[test]
fn expires_recommended_under_a_year() {
    let text = GOOD.replace("2026-06-30T23:59:59Z", "2027-01-15T12:00:01Z");
    one(&text, "long_expiry", Severity::Recommendation, Some(10));
    none(
        &GOOD.replace("2026-06-30T23:59:59Z", "2027-01-15T11:59:59Z"),
        "long_expiry",
    );
}

#[test]
fn field_names_are_case_insensitive() {
    let text = GOOD
        .replace("Contact:", "cOnTaCt:")
        .replace("Expires:", "EXPIRES:");
    let r = check(&text);
    assert!(!r.has_errors(), "{:#?}", r.problems);
    assert_eq!(r.values("Contact").count(), 3);
}

#[test]
fn unknown_fields_are_allowed() {
    let text =
        format!("{GOOD}X-Bug-Bounty: https://acme.example/bounty\nOpenBugBounty: yes, see site\n");
    let r = check(&text);
    assert!(!r.has_errors(), "{:#?}", r.problems);
    assert_eq!(r.values("openbugbounty").next(), Some("yes, see site"));
}

#[test]
fn uri_fields_must_be_https() {
    for (i, name) in ["Encryption", "Policy", "Acknowledgments", "Hiring"]
        .iter()
        .enumerate()
    {
        let line = 5 + i;
        let text = GOOD.replace(&format!("{name}: https://"), &format!("{name}: http://"));
        let p = one(&text, "no_https", Severity::Error, Some(line));
        assert!(p.message.starts_with(name), "{}", p.message);
    }
    let text = format!("Canonical: http://acme.example/.well-known/security.txt\n{GOOD}");
    one(&text, "no_https", Severity::Error, Some(1));
    none(
        &format!("Canonical: https://acme.example/.well-known/security.txt\n{GOOD}"),
        "no_https",
    );
}

#[test]
fn uri_fields_must_be_well_formed() {
    let text = GOOD.replace(
        "Policy: https://acme.example/vdp",
        "Policy: https://acme.example/v dp",
    );
    one(&text, "no_uri", Severity::Error, Some(6));
    let text = GOOD.replace("Hiring: https://acme.example/jobs", "Hiring: https:///jobs");
    one(&text, "no_uri", Severity::Error, Some(8));
    // Non-web URIs the RFC shows for Encryption are fine.
    none(
        &GOOD.replace(
            "https://acme.example/pgp-key.txt",
            "openpgp4fpr:5f2de5521c63a801ab59ccb603d49de44b29100f",
        ),
        "no_uri",
    );
    none(
        &GOOD.replace(
            "https://acme.example/pgp-key.txt",
            "dns:5d2d37ab76d47d36._openpgpkey.example.com?type=OPENPGPKEY",
        ),
        "no_uri",
    );
}

#[test]
fn csaf_must_be_https() {
    let text = format!("{GOOD}CSAF: http://acme.example/.well-known/csaf/provider-metadata.json\n");
    one(&text, "no_https", Severity::Error, Some(11));
    none(
        &format!("{GOOD}CSAF: https://acme.example/.well-known/csaf/provider-metadata.json\n"),
        "no_https",
    );
}

#[test]
fn encryption_must_not_hold_a_key() {
    let text = GOOD.replace(
        "https://acme.example/pgp-key.txt",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----",
    );
    one(&text, "inline_key", Severity::Error, Some(5));
    none(GOOD, "inline_key");
}

#[test]
fn preferred_languages_at_most_once() {
    let text = format!("{GOOD}Preferred-Languages: es\n");
    one(&text, "multi_lang", Severity::Error, Some(11));
    none(GOOD, "multi_lang");
}

#[test]
fn preferred_languages_are_language_tags() {
    let text = GOOD.replace("en, de, fr-CA", "en, en_GB");
    one(&text, "invalid_lang", Severity::Error, Some(9));
    let text = GOOD.replace("en, de, fr-CA", "en,,de");
    one(&text, "invalid_lang", Severity::Error, Some(9));
    none(
        &GOOD.replace("en, de, fr-CA", "en,de\t,  zh-Hant-TW"),
        "invalid_lang",
    );
}

#[test]
fn syntax_of_a_field_line() {
    one(
        &GOOD.replace("Policy: ", "Policy : "),
        "prec_ws",
        Severity::Error,
        Some(6),
    );
    one(
        &GOOD.replace("Policy: ", "Policy:"),
        "no_space",
        Severity::Error,
        Some(6),
    );
    one(
        &GOOD.replace("Hiring: https://acme.example/jobs", "Hiring:"),
        "empty_value",
        Severity::Error,
        Some(8),
    );
    one(
        &GOOD.replace("Hiring: https://acme.example/jobs", "just some words"),
        "invalid_line",
        Severity::Error,
        Some(8),
    );
    one(
        &GOOD.replace("Hiring: ", "Hi ring: "),
        "invalid_line",
        Severity::Error,
        Some(8),
    );
    for code in ["prec_ws", "no_space", "empty_value", "invalid_line"] {
        none(GOOD, code);
    }
    // Comments and blank lines (with trailing whitespace) are fine.
    none(&format!("#comment\n \n\t\n{GOOD}"), "invalid_line");
}

#[test]
fn line_endings_crlf_or_lf() {
    let crlf = GOOD.replace('\n', "\r\n");
    assert!(!check(&crlf).has_errors(), "{:#?}", check(&crlf).problems);
    // LF only is equally valid (§2.2): no problem at all about separators.
    none(GOOD, "no_line_separators");
    none(&crlf, "no_line_separators");
    one(
        GOOD.trim_end(),
        "no_line_separators",
        Severity::Error,
        Some(10),
    );
    one(
        &GOOD.replace(
            "Hiring: https://acme.example/jobs\n",
            "Hiring: https://acme.example/jobs\r",
        ),
        "no_line_separators",
        Severity::Error,
        Some(8),
    );
}

#[test]
fn utf8_only() {
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(b"# caf\xe9\n");
    let r = validate(&bytes, &Options::at(NOW)).unwrap();
    let p = with("utf8", &r);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].severity, p[0].line), (Severity::Error, Some(11)));
    none(&format!("{GOOD}# café ✓\n"), "utf8");
}

#[test]
fn size_is_bounded() {
    let big = format!("{GOOD}#{}\n", "x".repeat(32 * 1024));
    let e = validate(big.as_bytes(), &Options::at(NOW)).unwrap_err();
    assert!(matches!(e, InputError::TooLarge(_)));
    assert!(e.to_string().contains("32 KiB"), "{e}");
    let just = format!("{GOOD}#{}\n", "x".repeat(32 * 1024 - GOOD.len() - 2));
    assert_eq!(just.len(), 32 * 1024);
    validate(just.as_bytes(), &Options::at(NOW)).unwrap();
}

#[test]
fn long_fields_and_many_lines_are_flagged() {
    let text = format!("{GOOD}X-Note: {}\n", "y".repeat(2100));
    one(&text, "field_too_long", Severity::Recommendation, Some(11));
    let text = format!("{GOOD}{}", "#\n".repeat(1000));
    one(&text, "too_many_lines", Severity::Recommendation, None);
    none(GOOD, "field_too_long");
    none(GOOD, "too_many_lines");
}

const SIGNED: &str = "\
-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Canonical: https://acme.example/.well-known/security.txt
Contact: mailto:security@acme.example
- Encryption: https://acme.example/pgp-key.txt
Expires: 2026-06-30T23:59:59.000Z
-----BEGIN PGP SIGNATURE-----
Version: GnuPG v2

iHUEARYKAB0WIQTfP4zzXfTJ9VK0ErROcd4Ir9W8SwUCZ2BvFQAKCRBOcd4Ir9W8
S2pIAQDN3YkXgSS+2hcGTSBtqCDC+lxyNWHDWVIN0h4GaEUCFAEAhLLkW1d4lTs3
=sRB7
-----END PGP SIGNATURE-----
";

#[test]
fn signed_file_structure_is_accepted_and_not_verified() {
    let r = check(SIGNED);
    assert!(r.signed);
    assert!(!r.has_errors(), "{:#?}", r.problems);
    assert_eq!(
        r.values("encryption").next(),
        Some("https://acme.example/pgp-key.txt")
    );
    let note = with("signature_not_verified", &r);
    assert_eq!(note.len(), 1);
    assert!(note[0].message.contains("NOT verified"));
    none(SIGNED, "not_signed");
    none(SIGNED, "no_canonical");
}

#[test]
fn unsigned_is_a_recommendation() {
    one(GOOD, "not_signed", Severity::Recommendation, None);
}

#[test]
fn signed_without_canonical_is_a_recommendation() {
    let text = SIGNED.replace(
        "Canonical: https://acme.example/.well-known/security.txt\n",
        "",
    );
    one(&text, "no_canonical", Severity::Recommendation, None);
}

#[test]
fn signed_structure_errors() {
    let sig = "signed_format_issue";
    one(
        &SIGNED.replace("Hash: SHA512\n", ""),
        sig,
        Severity::Error,
        Some(1),
    );
    one(
        &SIGNED.replace("Hash: SHA512", "Hash: SHA512\nComment: hi"),
        sig,
        Severity::Error,
        Some(3),
    );
    one(
        &SIGNED.replace(".000Z\n", ".000Z\n-- dash\n"),
        sig,
        Severity::Error,
        Some(8),
    );
    one(
        &format!("Contact: mailto:x@acme.example\n{SIGNED}"),
        sig,
        Severity::Error,
        Some(1),
    );
    one(
        &format!("{SIGNED}Contact: mailto:evil@attacker.example\n"),
        sig,
        Severity::Error,
        Some(15),
    );
    one(
        &SIGNED.replace("-----END PGP SIGNATURE-----\n", ""),
        sig,
        Severity::Error,
        Some(13),
    );
    one(
        &SIGNED.replace("=sRB7", "not base64!"),
        sig,
        Severity::Error,
        Some(13),
    );
    one(
        &SIGNED.replace("Version: GnuPG v2\n\n", "Version: GnuPG v2\n"),
        sig,
        Severity::Error,
        Some(10),
    );
    let cut = &SIGNED[..SIGNED.find("-----BEGIN PGP SIGNATURE").unwrap()];
    let p = one(cut, sig, Severity::Error, Some(7));
    assert!(p
        .message
        .contains("without \"-----BEGIN PGP SIGNATURE-----\""));
    none(SIGNED, sig);
}

#[test]
fn location_note_for_local_files() {
    let p = one(GOOD, "location", Severity::Note, None);
    assert!(p.message.contains("/.well-known/security.txt"));
}

#[test]
fn retrieval_url_rules() {
    let at = |url: &str, text: &str| {
        let o = Options {
            now: NOW,
            retrieved_from: Some(url.to_string()),
        };
        validate(text.as_bytes(), &o).unwrap()
    };
    let good_url = "https://acme.example/.well-known/security.txt";
    let r = at(good_url, SIGNED);
    assert!(
        with("location", &r).is_empty()
            && with("no_canonical_match", &r).is_empty()
            && with("invalid_uri_scheme", &r).is_empty(),
        "{:#?}",
        r.problems
    );
    let r = at("https://acme.example/security.txt", SIGNED);
    assert_eq!(with("location", &r)[0].severity, Severity::Error);
    assert_eq!(with("no_canonical_match", &r)[0].line, Some(4));
    let r = at("http://acme.example/.well-known/security.txt", GOOD);
    assert_eq!(with("invalid_uri_scheme", &r)[0].severity, Severity::Error);
}

#[test]
fn hostile_input_does_not_panic() {
    let samples: [&[u8]; 8] = [
        b"",
        b"\n\n\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----",
        b"-----BEGIN PGP SIGNED MESSAGE-----\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n-----BEGIN PGP SIGNATURE-----\n",
        b":\n: \n::::\n",
        b"\r\r\r\n\r",
        b"Expires: 9999-12-31T23:59:60Z\nContact: mailto:\xf0\x9f\x92\xa9@x\n",
    ];
    for s in samples {
        let r = validate(s, &Options::at(NOW)).unwrap();
        assert!(r.has_errors());
    }
}

#[test]
fn byte_order_mark_is_flagged_and_skipped() {
    let text = format!("\u{feff}{GOOD}");
    one(&text, "bom", Severity::Recommendation, Some(1));
    assert!(!check(&text).has_errors(), "{:#?}", check(&text).problems);
    none(GOOD, "bom");
}

/// The RFC's own examples (§2.6 unsigned, §2.7 signed with a "[signature]" placeholder), as of a
/// day before their Expires.
#[test]
fn rfc_9116_examples() {
    let at = Options::at(datetime!(2021-06-01 0:00 UTC));
    let unsigned = "\
# Our security address
Contact: mailto:security@example.com

# Our OpenPGP key
Encryption: https://example.com/pgp-key.txt

# Our security policy
Policy: https://example.com/security-policy.html

# Our security acknowledgments page
Acknowledgments: https://example.com/hall-of-fame.html

Expires: 2021-12-31T18:37:07z
";
    let r = validate(unsigned.as_bytes(), &at).unwrap();
    let codes: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.severity != Severity::Note)
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(codes, ["not_signed"]);
    assert_eq!(r.fields.len(), 5);

    let signed = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# Canonical URI\nCanonical: https://example.com/.well-known/security.txt\n\n{unsigned}-----BEGIN PGP SIGNATURE-----\nVersion: GnuPG v2.2\n\n[signature]\n-----END PGP SIGNATURE-----\n"
    );
    let r = validate(signed.as_bytes(), &at).unwrap();
    assert!(r.signed);
    let errors: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    // Only the placeholder where the base64 signature belongs is wrong.
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (errors[0].code.as_str(), errors[0].line),
        ("signed_format_issue", Some(23))
    );
}

#[test]
fn mailto_contact_needs_an_address() {
    let text = GOOD.replace(
        "Contact: mailto:security@acme.example",
        "Contact: mailto:security.acme.example",
    );
    one(&text, "invalid_contact", Severity::Error, Some(2));
    none(GOOD, "invalid_contact");
}

#[test]
fn a_field_needs_a_name() {
    let text = GOOD.replace(
        "Hiring: https://acme.example/jobs",
        ": https://acme.example/jobs",
    );
    one(&text, "empty_key", Severity::Error, Some(8));
    none(GOOD, "empty_key");
}
