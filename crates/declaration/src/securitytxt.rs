//! RFC 9116 `security.txt` validation.
//!
//! Own code rather than a crate: no maintained Rust crate validates security.txt with line numbers
//! and the error/recommendation split this tool reports. The building blocks are crates: URIs are
//! checked against RFC 3986 by `fluent-uri`, language tags against RFC 5646 by `language-tags`, and
//! dates against RFC 3339 by `time`.
//!
//! Section numbers in messages and comments refer to RFC 9116 unless another RFC is named.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Files larger than this are refused: §5.4 lets parsers refuse files over 32 KB, and a firmware
/// assessor has no reason to read more.
pub const MAX_SIZE: usize = 32 * 1024;
/// §5.4: parsers may refuse fields longer than 2,048 characters.
const MAX_FIELD_CHARS: usize = 2048;
/// §5.4: parsers may refuse files with more than 1,000 lines.
const MAX_LINES: usize = 1000;

const BEGIN_SIGNED: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &str = "-----END PGP SIGNATURE-----";

/// How much a problem matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Breaks a MUST of the RFC: researchers' tools may reject the file.
    Error,
    /// Misses a SHOULD or RECOMMENDED of the RFC.
    Recommendation,
    /// Information, not a defect (e.g. what was not checked).
    Note,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub severity: Severity,
    /// 1-based line number; `None` for whole-file problems (e.g. a missing field).
    pub line: Option<usize>,
    /// Short stable code (names follow the DTC `sectxt` validator where one exists).
    pub code: String,
    pub message: String,
}

/// One `Name: value` field as found (inside the signed text, after dash-unescaping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The name as written; compare case-insensitively (§2).
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// The outcome of validating one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub fields: Vec<Field>,
    /// An OpenPGP cleartext signature structure is present (structure checked, signature not verified).
    pub signed: bool,
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether any problem is an [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Values of every field with this name (case-insensitive), in file order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }
}

/// The file cannot be validated at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the file is {0} bytes; security.txt files over {MAX_SIZE} bytes (32 KiB) are refused (RFC 9116 §5.4)")]
    TooLarge(usize),
}

/// What the validator needs to know beyond the bytes.
#[derive(Debug, Clone)]
pub struct Options {
    /// "Now", for the Expires checks.
    pub now: OffsetDateTime,
    /// The URL the file was retrieved from, if it came from the web: checked for https and the
    /// `/.well-known/` location (§3) and against the Canonical fields (§2.5.2).
    pub retrieved_from: Option<String>,
}

impl Options {
    /// Validate as of the current time, for a file not fetched from the web.
    pub fn now() -> Options {
        Options::at(OffsetDateTime::now_utc())
    }

    pub fn at(now: OffsetDateTime) -> Options {
        Options {
            now,
            retrieved_from: None,
        }
    }
}

/// Read a security.txt file, refusing more than [`MAX_SIZE`] bytes without reading them all.
pub fn read_bounded(path: &std::path::Path) -> std::io::Result<Result<Vec<u8>, InputError>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SIZE as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SIZE {
        let len = std::fs::metadata(path).map_or(bytes.len(), |m| m.len() as usize);
        return Ok(Err(InputError::TooLarge(len)));
    }
    Ok(Ok(bytes))
}

/// Validate a security.txt file. Every rule of RFC 9116 that can be checked from the bytes (and
/// the retrieval URL, when given) yields a [`Problem`] with its line.
pub fn validate(bytes: &[u8], options: &Options) -> Result<Report, InputError> {
    if bytes.len() > MAX_SIZE {
        return Err(InputError::TooLarge(bytes.len()));
    }
    let mut v = Validator {
        problems: Vec::new(),
        fields: Vec::new(),
        signed: false,
    };
    // §4: the file MUST be UTF-8.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            v.push(
                Severity::Error,
                Some(line),
                "utf8",
                format!(
                    "invalid UTF-8 at byte {}: the file MUST be UTF-8 (§4)",
                    e.valid_up_to()
                ),
            );
            return Ok(v.finish());
        }
    };
    // RFC 5198 §2 (Net-Unicode, required by §4) says a leading byte order mark SHOULD NOT be used;
    // left in, it would also glue itself to the first field name.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            v.push(
                Severity::Recommendation,
                Some(1),
                "bom",
                "a byte order mark starts the file: Net-Unicode text SHOULD NOT use one (§4, RFC 5198 §2)".into(),
            );
            rest
        }
        None => text,
    };
    let lines = v.split_lines(text);
    if lines.len() > MAX_LINES {
        v.push(
            Severity::Recommendation,
            None,
            "too_many_lines",
            format!(
                "{} lines: parsers may refuse files over {MAX_LINES} lines (§5.4)",
                lines.len()
            ),
        );
    }
    let body = v.signature_structure(&lines);
    for (line_no, content) in body {
        v.line(line_no, &content);
    }
    v.field_rules(options);
    v.location_rules(options);
    Ok(v.finish())
}

struct Validator {
    problems: Vec<Problem>,
    fields: Vec<Field>,
    signed: bool,
}

impl Validator {
    fn push(&mut self, severity: Severity, line: Option<usize>, code: &str, message: String) {
        self.problems.push(Problem {
            severity,
            line,
            code: code.to_string(),
            message,
        });
    }

    fn finish(mut self) -> Report {
        self.problems
            .sort_by_key(|p| (p.line.unwrap_or(0), p.severity));
        Report {
            fields: self.fields,
            signed: self.signed,
            problems: self.problems,
        }
    }

    /// Split into lines without their terminators, checking the terminators. §2.2: "Every line MUST
    /// end with either a carriage return and line feed characters (CRLF) or just a line feed
    /// character (LF)" — both are equally valid, neither is preferred; the ABNF (§4, `eol = *WSP
    /// [CR] LF`) agrees. So a bare CR, or a last line with no LF, is an error; LF-only is fine.
    fn split_lines<'a>(&mut self, text: &'a str) -> Vec<&'a str> {
        let mut lines = Vec::new();
        let mut rest = text;
        let mut no = 0;
        while !rest.is_empty() {
            no += 1;
            let (line, next, terminated) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, "", false),
            };
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.contains('\r') {
                self.push(
                    Severity::Error,
                    Some(no),
                    "no_line_separators",
                    "a bare carriage return: lines MUST end with CRLF or LF (§2.2)".into(),
                );
            }
            if !terminated {
                self.push(
                    Severity::Error,
                    Some(no),
                    "no_line_separators",
                    "the last line has no line ending: every line MUST end with CRLF or LF (§2.2)"
                        .into(),
                );
            }
            lines.push(line);
            rest = next;
        }
        lines
    }

    /// Check the OpenPGP cleartext signature framework (RFC 4880 §7, ABNF `signed` in §4) when the
    /// file is signed, and return the lines that carry fields with their line numbers (dash-escaping
    /// removed). The signature itself is not verified.
    fn signature_structure(&mut self, lines: &[&str]) -> Vec<(usize, String)> {
        let first = lines.iter().position(|l| !l.trim().is_empty());
        let begin = lines.iter().position(|l| l.trim_end() == BEGIN_SIGNED);
        let Some(begin) = begin else {
            let body = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i + 1, l.to_string()))
                .collect();
            return body;
        };
        self.signed = true;
        if first != Some(begin) {
            self.push(
                Severity::Error,
                first.map(|i| i + 1),
                "signed_format_issue",
                format!("text before \"{BEGIN_SIGNED}\" is not covered by the signature"),
            );
        }
        // Hash headers, then one blank line.
        let mut i = begin + 1;
        let mut hashes = 0;
        while i < lines.len() && !lines[i].trim().is_empty() {
            let line = lines[i].trim_end();
            match line.strip_prefix("Hash: ") {
                Some(algs) if algs.split(',').all(|a| is_token(a.trim())) => hashes += 1,
                _ => self.push(
                    Severity::Error,
                    Some(i + 1),
                    "signed_format_issue",
                    format!("expected a \"Hash: <algorithm>\" armor header, found {line:?}"),
                ),
            }
            i += 1;
        }
        if hashes == 0 {
            self.push(
                Severity::Error,
                Some(begin + 1),
                "signed_format_issue",
                "the signed message has no \"Hash:\" header (§4, RFC 4880 §7)".into(),
            );
        }
        if i >= lines.len() {
            self.push(
                Severity::Error,
                Some(lines.len()),
                "signed_format_issue",
                "no blank line after the \"Hash:\" header".into(),
            );
            return Vec::new();
        }
        i += 1;
        // Dash-escaped cleartext up to the signature block.
        let mut body = Vec::new();
        while i < lines.len() && lines[i].trim_end() != BEGIN_SIGNATURE {
            let line = lines[i];
            if let Some(unescaped) = line.strip_prefix("- ") {
                body.push((i + 1, unescaped.to_string()));
            } else if line.starts_with('-') {
                self.push(
                    Severity::Error,
                    Some(i + 1),
                    "signed_format_issue",
                    "a line starting with '-' in signed text MUST be dash-escaped as \"- -…\" (RFC 4880 §7.1)".into(),
                );
            } else {
                body.push((i + 1, line.to_string()));
            }
            i += 1;
        }
        if i >= lines.len() {
            self.push(
                Severity::Error,
                Some(lines.len()),
                "signed_format_issue",
                format!("signed message without \"{BEGIN_SIGNATURE}\""),
            );
            return body;
        }
        let sig_begin = i;
        i += 1;
        // Armor headers ("Version: …"), a blank line, base64 data, the END line.
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].contains(": ") {
            i += 1;
        }
        if i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        } else {
            self.push(
                Severity::Error,
                Some((i + 1).min(lines.len())),
                "signed_format_issue",
                "no blank line between the signature armor headers and the signature data".into(),
            );
        }
        let mut data_lines = 0;
        let mut bad_data = false;
        while i < lines.len() && lines[i].trim_end() != END_SIGNATURE {
            let line = lines[i].trim_end();
            if line.is_empty()
                || !line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                bad_data = true;
                self.push(
                    Severity::Error,
                    Some(i + 1),
                    "signed_format_issue",
                    "signature data must be base64 lines (§4 `signature-data`)".into(),
                );
            } else {
                data_lines += 1;
            }
            i += 1;
        }
        if data_lines == 0 && !bad_data {
            self.push(
                Severity::Error,
                Some(sig_begin + 1),
                "signed_format_issue",
                "the signature block holds no signature data".into(),
            );
        }
        if i >= lines.len() {
            self.push(
                Severity::Error,
                Some(lines.len()),
                "signed_format_issue",
                format!("signature block without \"{END_SIGNATURE}\""),
            );
            return body;
        }
        if let Some(extra) = lines[i + 1..].iter().position(|l| !l.trim().is_empty()) {
            self.push(
                Severity::Error,
                Some(i + 2 + extra),
                "signed_format_issue",
                "text after the signature is not covered by it".into(),
            );
        }
        self.push(
            Severity::Note,
            Some(begin + 1),
            "signature_not_verified",
            "OpenPGP cleartext signature: structure checked, signature NOT verified".into(),
        );
        body
    }

    /// One line of the (unescaped) body: blank, comment or `Name: value` (§2, §2.1, §4).
    fn line(&mut self, no: usize, content: &str) {
        let trimmed = content.trim_end_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        if content.chars().count() > MAX_FIELD_CHARS {
            self.push(
                Severity::Recommendation,
                Some(no),
                "field_too_long",
                format!("parsers may refuse fields over {MAX_FIELD_CHARS} characters (§5.4)"),
            );
        }
        let Some((name, value)) = trimmed.split_once(':') else {
            self.push(
                Severity::Error,
                Some(no),
                "invalid_line",
                "not a field (\"Name: value\"), comment or blank line (§4)".into(),
            );
            return;
        };
        if name.ends_with([' ', '\t']) {
            self.push(
                Severity::Error,
                Some(no),
                "prec_ws",
                "whitespace before the colon (§4: `field-name fs SP`)".into(),
            );
        }
        let name = name.trim_end_matches([' ', '\t']);
        // RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126.
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            self.push(
                Severity::Error,
                Some(no),
                if name.is_empty() {
                    "empty_key"
                } else {
                    "invalid_line"
                },
                format!("{name:?} is not a valid field name (RFC 5322 §3.6.8)"),
            );
            return;
        }
        let Some(value) = value.strip_prefix(' ') else {
            let code = if value.is_empty() {
                "empty_value"
            } else {
                "no_space"
            };
            let message = if value.is_empty() {
                format!("{name} has no value: a field MUST have a name and a value (§2)")
            } else {
                format!("{name}: the colon must be followed by one space (§4: `fs SP`)")
            };
            self.push(Severity::Error, Some(no), code, message);
            return;
        };
        if value.trim().is_empty() {
            self.push(
                Severity::Error,
                Some(no),
                "empty_value",
                format!("{name} has no value: a field MUST have a name and a value (§2)"),
            );
            return;
        }
        self.fields.push(Field {
            name: name.to_string(),
            value: value.to_string(),
            line: no,
        });
    }

    fn named(&self, name: &str) -> Vec<Field> {
        self.fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    }

    fn field_rules(&mut self, options: &Options) {
        // Contact: required, one or more URIs (§2.5.3).
        let contacts = self.named("Contact");
        if contacts.is_empty() {
            self.push(
                Severity::Error,
                None,
                "no_contact",
                "no Contact field: it MUST always be present (§2.5.3)".into(),
            );
        }
        let mut email = false;
        for f in &contacts {
            let Some(scheme) = self.uri(f, true) else {
                continue;
            };
            match scheme.as_str() {
                "mailto" => {
                    email = true;
                    if !f.value.contains('@') {
                        self.push(
                            Severity::Error,
                            Some(f.line),
                            "invalid_contact",
                            format!("{:?} has no e-mail address (RFC 6068)", f.value),
                        );
                    }
                }
                "tel" | "https" | "http" => {} // http is reported above
                other => self.push(
                    Severity::Recommendation,
                    Some(f.line),
                    "unusual_contact",
                    format!(
                        "Contact uses the {other:?} scheme: use mailto:, tel: or https: (§2.5.3)"
                    ),
                ),
            }
        }
        // Expires: exactly once, RFC 3339, in the future, recommended < 1 year (§2.5.5).
        let expires = self.named("Expires");
        match expires.first() {
            None => self.push(
                Severity::Error,
                None,
                "no_expire",
                "no Expires field: it MUST always be present (§2.5.5)".into(),
            ),
            Some(f) => self.expires(f, options.now),
        }
        for f in expires.iter().skip(1) {
            self.push(
                Severity::Error,
                Some(f.line),
                "multi_expire",
                "Expires MUST NOT appear more than once (§2.5.5)".into(),
            );
        }
        // Preferred-Languages: at most once, comma-separated RFC 5646 tags (§2.5.8).
        let langs = self.named("Preferred-Languages");
        for f in langs.iter().skip(1) {
            self.push(
                Severity::Error,
                Some(f.line),
                "multi_lang",
                "Preferred-Languages MUST NOT appear more than once (§2.5.8)".into(),
            );
        }
        if let Some(f) = langs.first() {
            for tag in f.value.split(',') {
                let tag = tag.trim_matches([' ', '\t']);
                if let Err(e) = language_tags::LanguageTag::parse(tag) {
                    self.push(
                        Severity::Error,
                        Some(f.line),
                        "invalid_lang",
                        format!("{tag:?} is not an RFC 5646 language tag ({e}) (§2.5.8)"),
                    );
                }
            }
        }
        // URI fields whose web URIs MUST be https (§2.5.1, .2, .4, .6, .7).
        for name in [
            "Acknowledgments",
            "Canonical",
            "Encryption",
            "Hiring",
            "Policy",
        ] {
            for f in self.named(name) {
                if name == "Encryption" && f.value.contains("BEGIN PGP") {
                    self.push(
                        Severity::Error,
                        Some(f.line),
                        "inline_key",
                        "Encryption holds a key: keys MUST NOT appear in this field, give a URI to the key (§2.5.4)".into(),
                    );
                    continue;
                }
                self.uri(&f, true);
            }
        }
        // CSAF (registered by OASIS CSAF 2.0 §7.1.8): the provider-metadata.json URL, https only.
        for f in self.named("CSAF") {
            if let Some(scheme) = self.uri(&f, false) {
                if scheme != "https" {
                    self.push(
                        Severity::Error,
                        Some(f.line),
                        "no_https",
                        "CSAF MUST be an https URL of a provider-metadata.json (CSAF 2.0 §7.1.8)"
                            .into(),
                    );
                }
            }
        }
        if email && self.named("Encryption").is_empty() {
            let line = contacts.first().map(|f| f.line);
            self.push(
                Severity::Recommendation,
                line,
                "no_encryption",
                "an e-mail Contact without an Encryption field: encryption is RECOMMENDED (§2.5.3)"
                    .into(),
            );
        }
        if !self.signed {
            self.push(
                Severity::Recommendation,
                None,
                "not_signed",
                "not signed: an OpenPGP cleartext signature is RECOMMENDED (§2.3)".into(),
            );
        } else if self.named("Canonical").is_empty() {
            self.push(
                Severity::Recommendation,
                None,
                "no_canonical",
                "signed but without a Canonical field: Canonical is RECOMMENDED with signatures (§2.3)"
                    .into(),
            );
        }
    }

    /// Check a URI-valued field (RFC 3986 §3, web URIs https). Returns the lowercased scheme when
    /// the value is a URI.
    fn uri(&mut self, f: &Field, https_only: bool) -> Option<String> {
        let value = f.value.trim_end();
        let uri = match fluent_uri::Uri::parse(value) {
            Ok(uri) => uri,
            Err(e) => {
                self.push(
                    Severity::Error,
                    Some(f.line),
                    "no_uri",
                    format!(
                        "{}: {value:?} is not a URI ({e}); the value MUST be a URI (RFC 3986 §3){}",
                        f.name,
                        if value.contains('@') && !value.contains(':') {
                            " — write e-mail addresses as mailto:"
                        } else {
                            ""
                        }
                    ),
                );
                return None;
            }
        };
        let scheme = uri.scheme().as_str().to_ascii_lowercase();
        if https_only && scheme == "http" {
            self.push(
                Severity::Error,
                Some(f.line),
                "no_https",
                format!(
                    "{}: a web URI MUST begin with \"https://\" (§2.5, RFC 7230 §2.7.2)",
                    f.name
                ),
            );
        }
        if scheme == "https" && uri.authority().is_none_or(|a| a.host().is_empty()) {
            self.push(
                Severity::Error,
                Some(f.line),
                "no_uri",
                format!("{}: {value:?} has no host", f.name),
            );
        }
        Some(scheme)
    }

    fn expires(&mut self, f: &Field, now: OffsetDateTime) {
        // RFC 3339 §5.6 allows a lowercase "t" and "z" (RFC 9116's own example uses "z").
        let value = f.value.trim_end().to_ascii_uppercase();
        let when = match OffsetDateTime::parse(&value, &Rfc3339) {
            Ok(w) => w,
            Err(e) => {
                self.push(
                    Severity::Error,
                    Some(f.line),
                    "invalid_expiry",
                    format!(
                        "Expires {:?} is not an RFC 3339 date-time ({e}) (§2.5.5)",
                        f.value
                    ),
                );
                return;
            }
        };
        if when <= now {
            self.push(
                Severity::Error,
                Some(f.line),
                "expired",
                format!(
                    "expired on {}: the file is stale (§2.5.5, §5.3)",
                    f.value.trim_end()
                ),
            );
        } else {
            let year_ahead = now
                .replace_year(now.year() + 1)
                .unwrap_or(now + time::Duration::days(365));
            if when > year_ahead {
                self.push(
                    Severity::Recommendation,
                    Some(f.line),
                    "long_expiry",
                    "Expires is more than a year ahead: less than a year is RECOMMENDED (§2.5.5)"
                        .into(),
                );
            }
        }
    }

    fn location_rules(&mut self, options: &Options) {
        let Some(url) = options.retrieved_from.as_deref() else {
            self.push(
                Severity::Note,
                None,
                "location",
                "served over the web, the file MUST be at https://<host>/.well-known/security.txt (§3)"
                    .into(),
            );
            return;
        };
        match fluent_uri::Uri::parse(url) {
            Ok(uri) => {
                if !uri.scheme().as_str().eq_ignore_ascii_case("https") {
                    self.push(
                        Severity::Error,
                        None,
                        "invalid_uri_scheme",
                        format!("retrieved from {url}: the file MUST be served over https (§3)"),
                    );
                }
                if uri.path().as_str() != "/.well-known/security.txt" {
                    self.push(
                        Severity::Error,
                        None,
                        "location",
                        format!("retrieved from {url}: the file MUST be under /.well-known/ (§3)"),
                    );
                }
            }
            Err(e) => self.push(
                Severity::Error,
                None,
                "invalid_uri_scheme",
                format!("the retrieval URL {url:?} is not a URI ({e})"),
            ),
        }
        let canonical = self.named("Canonical");
        if !canonical.is_empty() && !canonical.iter().any(|f| f.value.trim_end() == url) {
            self.push(
                Severity::Recommendation,
                Some(canonical[0].line),
                "no_canonical_match",
                format!("{url} is not listed in any Canonical field: the contents SHOULD NOT be trusted (§2.5.2)"),
            );
        }
    }
}

/// RFC 2045 §5.1 `token`: printable ASCII except SP and tspecials.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}
