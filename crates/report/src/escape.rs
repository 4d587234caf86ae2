//! Escaping for each output format, in one place: every string from the image goes through one of
//! these before it reaches a report.

use std::fmt;

/// Text escaped for HTML and XML (SVG) element content and quoted attribute values.
pub struct Html<'a>(pub &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                // Control characters are not allowed in XML 1.0 and mean nothing in HTML text;
                // bidirectional overrides could make a file name read as another.
                c if (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
                    || c == '\u{fffe}'
                    || c == '\u{ffff}'
                    || is_bidi_control(c) =>
                {
                    "\u{fffd}"
                }
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

/// Unicode bidirectional embedding, override and isolate controls (the "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Shorthand for [`Html`].
pub fn html(s: &str) -> Html<'_> {
    Html(s)
}

/// Text for GitHub-flavoured Markdown, in a paragraph or a table cell: ASCII punctuation becomes a
/// numeric character reference (never Markdown or HTML syntax, never a table pipe), line breaks
/// become spaces.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => out.push('\u{fffd}'),
            // Punctuation that is never Markdown syntax on its own (`(` and `)` only make a link
            // after `]`, which is escaped).
            c if c.is_ascii_alphanumeric() || " .,-/()':;=+%@?!\"".contains(c) => out.push(c),
            c if c.is_ascii() => {
                out.push_str("&#");
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `s`, with `…` when cut.
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => std::borrow::Cow::Owned(format!("{}…", &s[..i])),
    }
}

/// A path inside the image as a relative URI reference (RFC 3986): every byte outside the
/// unreserved set and `/` is percent-encoded (including `:`, which may not appear in a relative
/// reference's first segment), and leading slashes are dropped so it stays relative.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_start_matches('/').bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<img src=x onerror='a()'>&\"").to_string(),
            "&lt;img src=x onerror=&#39;a()&#39;&gt;&amp;&quot;"
        );
        assert_eq!(
            html("a\u{0}b\u{1b}c\nd").to_string(),
            "a\u{fffd}b\u{fffd}c\nd"
        );
        assert_eq!(html("plain ü").to_string(), "plain ü");
        assert_eq!(html("a\u{202e}txt.exe").to_string(), "a\u{fffd}txt.exe");
        assert_eq!(md("a\u{2066}b"), "a\u{fffd}b");
    }

    #[test]
    fn markdown_leaves_no_syntax() {
        let s = md("| *x* [a](javascript:b) <script> `c` \\ # _d_ ~e~ $f$ &amp;\nnext");
        // Without its character references, nothing of the syntax is left.
        let mut bare = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find("&#") {
            bare.push_str(&rest[..i]);
            let end = rest[i..].find(';').expect("references are closed");
            assert!(
                rest[i + 2..i + end].bytes().all(|b| b.is_ascii_digit()),
                "{s}"
            );
            rest = &rest[i + end + 1..];
        }
        bare.push_str(rest);
        for bad in [
            '|', '*', '[', ']', '<', '>', '`', '\\', '#', '_', '~', '$', '&', '\n',
        ] {
            assert!(!bare.contains(bad), "{bad:?} in {s}");
        }
        assert!(s.contains("&#124;") && s.ends_with(" next"), "{s}");
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("äöü", 3), "äöü");
        assert_eq!(clip("äöüß", 3), "äöü…");
    }

    #[test]
    fn uri_paths_are_relative_references() {
        assert_eq!(uri_path("/etc/init.d/telnet"), "etc/init.d/telnet");
        assert_eq!(uri_path("a b/c:d/ü%"), "a%20b/c%3Ad/%C3%BC%25");
        assert_eq!(uri_path("@0x10000 squashfs"), "%400x10000%20squashfs");
    }
}
