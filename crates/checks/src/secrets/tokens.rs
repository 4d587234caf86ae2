//! API tokens and high-entropy secrets: provider tokens with a recognisable shape (AWS access
//! keys, Google API keys, Slack and GitHub tokens) in any file, and `api_key = "…"`-style
//! assignments in text files whose value looks random.
//!
//! **Entropy threshold.** A generic assignment is reported only when its value is 16–128
//! characters of `[A-Za-z0-9+/=_.-]`, mixes letters and digits, and its Shannon entropy is at least
//! [`MIN_ENTROPY`] = 3.5 bits per character. Random hex of 32 characters averages ~3.8 bits/char and
//! random base64 of 20+ characters above 4; words, identifiers and repeated patterns
//! (`my_secret_token_1`, `aaaa1111bbbb2222`) stay below 3.5. Only values assigned to a key whose
//! name says it is a secret (`api_key`, `secret`, `token`, `client_secret`, `private_key`…) are
//! considered, which keeps checksum lists (`SHA256sum: …`, `md5sums`) and base64 of public data
//! (icons, certificates) out: those are not assigned to such names. Passwords are left to the
//! passwords checks. Placeholders (`your_api_key`, `xxxx`, `example`, `changeme`) are skipped.

use std::sync::LazyLock;

use regex::bytes::Regex;

/// Minimum Shannon entropy, bits per character, of a generic secret value (see the module doc).
pub(crate) const MIN_ENTROPY: f64 = 3.5;

/// Kinds of token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TokenKind {
    AwsAccessKey,
    AwsSecretKey,
    GoogleApiKey,
    SlackToken,
    SlackWebhook,
    GithubToken,
    Jwt,
    Generic,
}

impl TokenKind {
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::AwsAccessKey => "AWS access key ID",
            TokenKind::AwsSecretKey => "AWS secret access key",
            TokenKind::GoogleApiKey => "Google API key",
            TokenKind::SlackToken => "Slack token",
            TokenKind::SlackWebhook => "Slack webhook URL",
            TokenKind::GithubToken => "GitHub token",
            TokenKind::Jwt => "JSON Web Token",
            TokenKind::Generic => "high-entropy secret",
        }
    }
}

/// A token seen in a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// Byte offset of the value in the file.
    pub offset: usize,
    /// The value itself (kept in memory to de-duplicate; shown only redacted).
    pub value: String,
    /// For generic secrets: the name it is assigned to.
    pub name: Option<String>,
    /// Entropy of the value, bits per character.
    pub entropy: f64,
}

static SHAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<aws>(?:AKIA|ASIA)[0-9A-Z]{16})",
        r"|(?P<google>AIza[0-9A-Za-z_\-]{35})",
        r"|(?P<slack>xox[abposr]-[0-9A-Za-z]{8,}-[0-9A-Za-z\-]{8,72})",
        r"|(?P<webhook>https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})",
        r"|(?P<github>gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,90})",
        // A signed JWT: base64url header `{"` and payload `{"`, then a signature.
        r"|(?P<jwt>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})",
    ))
    .expect("static regex")
});

static AWS_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)aws.{0,24}secret.{0,24}?[=:]\s*["']?([A-Za-z0-9/+]{40})(?:["'\s,;]|$)"#)
        .expect("static regex")
});

static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i-u)(?P<name>[a-z0-9_.\-]*(?:api[_\-]?key|apikey|secret[_\-]?key|client[_\-]?secret|app[_\-]?secret|"#,
        r#"secret|access[_\-]?token|auth[_\-]?token|bearer|token|private[_\-]?key|signing[_\-]?key|hmac[_\-]?key|"#,
        r#"aes[_\-]?key|encrypt(?:ion)?[_\-]?key|master[_\-]?key)[a-z0-9_\-]*)["']?\s*(?:=|:|=>|,)\s*["']?"#,
        r#"(?P<value>[A-Za-z0-9+/=_.\-]{16,128})(?:["'\s,;<)]|$)"#,
    ))
    .expect("static regex")
});

/// Shannon entropy in bits per character (of its bytes: [`iotassay_unpack::entropy::shannon`]).
pub(crate) fn entropy(s: &str) -> f64 {
    iotassay_unpack::entropy::shannon(s.as_bytes())
}

fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "example",
        "xxxx",
        "your",
        "changeme",
        "placeholder",
        "dummy",
        "sample",
        "<",
        "0000",
        "1234567890",
        "abcdef",
        "replace",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// The documented AWS example credentials are not real keys.
fn documented_example(v: &str) -> bool {
    v.ends_with("EXAMPLE") || v.contains("EXAMPLEKEY")
}

fn boundary_before(data: &[u8], at: usize) -> bool {
    at == 0 || !data[at - 1].is_ascii_alphanumeric()
}

/// Provider tokens with a recognisable shape, anywhere in the bytes.
pub(crate) fn shaped(data: &[u8], limit: usize) -> Vec<Token> {
    let mut out = Vec::new();
    for caps in SHAPED.captures_iter(data) {
        if out.len() >= limit {
            break;
        }
        let Some(m) = caps.get(0) else { continue };
        if !boundary_before(data, m.start()) {
            continue;
        }
        let kind = if caps.name("aws").is_some() {
            TokenKind::AwsAccessKey
        } else if caps.name("google").is_some() {
            TokenKind::GoogleApiKey
        } else if caps.name("slack").is_some() {
            TokenKind::SlackToken
        } else if caps.name("webhook").is_some() {
            TokenKind::SlackWebhook
        } else if caps.name("github").is_some() {
            TokenKind::GithubToken
        } else {
            TokenKind::Jwt
        };
        let value = String::from_utf8_lossy(m.as_bytes()).into_owned();
        // An access key ID is 16 characters of base32 after the prefix; a real one is not a word.
        if kind == TokenKind::AwsAccessKey
            && (documented_example(&value) || entropy(&value[4..]) < 3.0)
        {
            continue;
        }
        out.push(Token {
            kind,
            offset: m.start(),
            entropy: entropy(&value),
            value,
            name: None,
        });
    }
    out
}

/// AWS secret keys and generic secret assignments in one line of text.
pub(crate) fn in_line(line: &[u8], line_offset: usize, out: &mut Vec<Token>) {
    if let Some(c) = AWS_SECRET.captures(line) {
        if let Some(v) = c.get(1) {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            if !documented_example(&value) && entropy(&value) >= 4.0 {
                out.push(Token {
                    kind: TokenKind::AwsSecretKey,
                    offset: line_offset + v.start(),
                    entropy: entropy(&value),
                    value,
                    name: None,
                });
                return;
            }
        }
    }
    for c in GENERIC.captures_iter(line) {
        let (Some(name), Some(v)) = (c.name("name"), c.name("value")) else {
            continue;
        };
        let name = String::from_utf8_lossy(name.as_bytes()).into_owned();
        let lname = name.to_ascii_lowercase();
        if lname.contains("pass") || lname.contains("csrf") || lname.ends_with("_file") {
            continue;
        }
        let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
        let has_digit = value.bytes().any(|b| b.is_ascii_digit());
        let has_alpha = value.bytes().any(|b| b.is_ascii_alphabetic());
        let e = entropy(&value);
        if !has_digit || !has_alpha || e < MIN_ENTROPY || placeholder(&value) {
            continue;
        }
        // A dotted or dashed word list (`com.vendor.app-1.2.3`) is a name, not a secret.
        if value.contains("..")
            || value.starts_with('.')
            || value.split(['.', '-', '_']).count() > 4
        {
            continue;
        }
        out.push(Token {
            kind: TokenKind::Generic,
            offset: line_offset + v.start(),
            value,
            name: Some(name),
            entropy: e,
        });
    }
}

/// `AKIA…MPLE (20 chars)`: enough to find it again, not enough to use it.
pub(crate) fn redact(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return format!("… ({} chars)", chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail} ({} chars)", chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_values() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("my_secret_token_1") < MIN_ENTROPY);
        assert!(entropy("aaaa1111bbbb2222") < MIN_ENTROPY);
        assert!(entropy("9f86d081884c7d659a2feaa0c55ad015") > MIN_ENTROPY);
    }

    #[test]
    fn shaped_tokens() {
        let t = shaped(b"key=AKIAIOSFODNN7EXAMPLE id=AKIAZ7Q3MBX2KPL4VN6W x", 10);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].kind, TokenKind::AwsAccessKey);
        assert_eq!(t[0].value, "AKIAZ7Q3MBX2KPL4VN6W");
        let g = shaped(b"\0AIzaSyD3k9Xc2Vb7Qm1Lp8Rt5Wz0Yh6Nj4Ks2Fa\0", 10);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].kind, TokenKind::GoogleApiKey);
        assert!(shaped(b"XAKIAZ7Q3MBX2KPL4VN6W", 10).is_empty());
        let jwt = b"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXZpY2UiLCJpYXQiOjE1MTYyMzkwMjJ9.4Adcj3UFYzPUVaVF43FmMab6RlaQD8A9V8wFzzht-KQ\n";
        let t = shaped(jwt, 10);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].kind, TokenKind::Jwt);
        assert_eq!(t[0].offset, 22);
    }

    #[test]
    fn generic_assignments() {
        let mut out = Vec::new();
        in_line(b"api_key = \"k3J9xQ2mV7pL4rT8wZ1n\"", 0, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name.as_deref(), Some("api_key"));
        assert_eq!(out[0].offset, 11);
        let mut none = Vec::new();
        for line in [
            &b"token=$(cat /tmp/token)"[..],
            b"api_key = \"your_api_key_here_123\"",
            b"secret = \"aaaa1111bbbb2222\"",
            b"SHA256sum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            b"password = \"k3J9xQ2mV7pL4rT8wZ1n\"",
            b"token = com.vendor.app.module.name1",
        ] {
            in_line(line, 0, &mut none);
        }
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn redaction_keeps_secrets_out() {
        assert_eq!(redact("AKIAZ7Q3MBX2KPL4VN6W"), "AKIA…VN6W (20 chars)");
        assert_eq!(redact("ab€d"), "… (4 chars)");
        assert_eq!(redact("€€€€€€€€€€"), "€€€€…€€€€ (10 chars)");
    }
}
