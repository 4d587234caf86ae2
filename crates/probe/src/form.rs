//! Web login forms: the HTML `<form>` with one password field that most consumer devices put in
//! front of their admin pages instead of HTTP authentication.
//!
//! The tag scanner is written here: the probe needs `<form>`, `<input>`, `<button>`, `<meta>` and
//! `<title>` with their attributes, nothing of the document tree, and a full HTML5 parser
//! (html5ever) would bring a large dependency for that. It is bounded (tags, attributes, value
//! lengths) and fuzzed with the other parsers.
//!
//! One attempt per credential, each in a fresh session: fetch the form page (fresh cookies and
//! hidden fields such as CSRF tokens), submit the form, follow same-device redirects a few steps
//! with the session's cookies, and judge the page reached. Refused: the login form again, 401/403,
//! a redirect to a login or error page, or a page that says the login failed. Accepted: a page
//! without a password field that says nothing of failure. Anything else is unclear. The driver's
//! wrong-password control ([`crate::auth`]) turns an "accepted" random password into "accepts any
//! credential", and an unclear one into "inconclusive" — never into a default-password finding.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::{Cred, Outcome, Try};
use crate::http::{self, Response, Target};
use crate::net::Gate;

/// Tags looked at per page.
const MAX_TAGS: usize = 4096;
/// Attributes kept per tag.
const MAX_ATTRS: usize = 32;
/// Bytes kept of an attribute value or a title.
const MAX_VALUE: usize = 1024;
/// Fields kept per form.
const MAX_FIELDS: usize = 64;
/// Redirects followed to reach a form page or a page after login.
pub const MAX_REDIRECTS: usize = 3;

/// A login form found on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginForm {
    /// Path of the page that shows the form.
    pub page: String,
    /// Path the form is submitted to.
    pub action: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The user-name field; `None` for password-only forms.
    pub user_field: Option<String>,
    pub password_field: String,
    /// Every other field sent with the form, with its value (hidden inputs, checked boxes, the
    /// named submit button).
    pub fields: Vec<(String, String)>,
}

/// One tag: lowercase name (`/form` for an end tag) and attributes (names lowercased, values
/// with character references decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    /// Byte offset just past the tag's `>`.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The tags of `html`, bounded. Comments, scripts and styles are skipped whole.
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_TAGS {
        let Some(lt) = memchr(b'<', &b[i..]) else {
            break;
        };
        i += lt + 1;
        if b[i..].starts_with(b"!--") {
            i = find(b, i + 3, b"-->").map_or(b.len(), |p| p + 3);
            continue;
        }
        let start = i;
        if i < b.len() && b[i] == b'/' {
            i += 1;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        if name.is_empty() || name == "/" {
            continue;
        }
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i = (i + 1).min(b.len());
                break;
            }
            let n0 = i;
            while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            let attr = html[n0..i].to_ascii_lowercase();
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let v0;
                let v1;
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    v0 = i + 1;
                    v1 = memchr(q, &b[v0..]).map_or(b.len(), |p| v0 + p);
                    i = (v1 + 1).min(b.len());
                } else {
                    v0 = i;
                    while i < b.len() && b[i] != b'>' && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    v1 = i;
                }
                value = decode_entities(&html[v0..v1]);
            }
            if attrs.len() < MAX_ATTRS && !attr.is_empty() {
                attrs.push((attr, value));
            }
        }
        // The content of script and style elements is not markup.
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let lower_from = i;
            i = find_ci(b, lower_from, close.as_bytes()).unwrap_or(b.len());
        }
        out.push(Tag {
            name,
            attrs,
            end: i,
        });
    }
    out
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Just a string's character boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;` and `&#xHH;`; anything else as written.
fn decode_entities(s: &str) -> String {
    let s = &s[..floor_boundary(s, MAX_VALUE)];
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(semi) = rest[..floor_boundary(rest, 12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a text input's name says it takes the user name.
fn looks_like_user(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "user", "login", "name", "account", "email", "uid", "admin", "acc",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The first form on the page with exactly one password input (two or more is a "set a new
/// password" form, not a login). `page` is the path the HTML came from, `device` the address it
/// came from (an absolute `action` URL must name it).
pub fn find_login_form(body: &[u8], page: &str, device: Option<Target>) -> Option<LoginForm> {
    let html = String::from_utf8_lossy(&body[..body.len().min(http::MAX_RESPONSE)]);
    let tags = tags(&html);
    let mut i = 0;
    while i < tags.len() {
        if tags[i].name != "form" {
            i += 1;
            continue;
        }
        let form = &tags[i];
        let inner: Vec<&Tag> = tags[i + 1..]
            .iter()
            .take_while(|t| t.name != "/form" && t.name != "form")
            .collect();
        i += 1 + inner.len();
        let kind = |t: &Tag| t.attr("type").unwrap_or("text").to_ascii_lowercase();
        let passwords: Vec<&&Tag> = inner
            .iter()
            .filter(|t| t.name == "input" && kind(t) == "password" && t.attr("name").is_some())
            .collect();
        if passwords.len() != 1 {
            continue;
        }
        let password_field = passwords[0].attr("name")?.to_string();
        let texts: Vec<&str> = inner
            .iter()
            .filter(|t| {
                t.name == "input" && matches!(kind(t).as_str(), "text" | "email" | "tel" | "")
            })
            .filter_map(|t| t.attr("name"))
            .collect();
        let user_field = texts
            .iter()
            .find(|n| looks_like_user(n))
            .or(texts.first())
            .map(|s| s.to_string());
        let mut fields = Vec::new();
        let mut submit_taken = false;
        for t in &inner {
            let Some(name) = t.attr("name") else { continue };
            if Some(name) == user_field.as_deref() || name == password_field {
                continue;
            }
            let value = t.attr("value").unwrap_or("").to_string();
            let keep = match (t.name.as_str(), kind(t).as_str()) {
                ("input", "hidden") => true,
                ("input", "checkbox" | "radio") => t.attr("checked").is_some(),
                ("input", "submit") | ("button", "submit") if !submit_taken => {
                    submit_taken = true;
                    true
                }
                _ => false,
            };
            if keep && fields.len() < MAX_FIELDS {
                fields.push((name.to_string(), value));
            }
        }
        let method = match form.attr("method").map(str::to_ascii_uppercase) {
            Some(m) if m == "POST" => "POST",
            _ => "GET",
        };
        let action = match form.attr("action").map(str::trim) {
            None | Some("") => page.split(['?', '#']).next().unwrap_or(page).to_string(),
            Some(a) => resolve_same_device(page, a, device)?,
        };
        return Some(LoginForm {
            page: page.to_string(),
            action,
            method: method.to_string(),
            user_field,
            password_field,
            fields,
        });
    }
    None
}

/// The page's `<title>`, for vendor hints (`TP-LINK`, `NETGEAR`…).
pub fn title(body: &[u8]) -> Option<String> {
    let html = String::from_utf8_lossy(&body[..body.len().min(http::MAX_RESPONSE)]);
    let tags = tags(&html);
    let t = tags.iter().find(|t| t.name == "title")?;
    let rest = &html[t.end.min(html.len())..];
    let text = &rest[..rest.find('<').unwrap_or(rest.len())];
    let text = decode_entities(text.trim());
    (!text.is_empty()).then(|| text.chars().take(120).collect())
}

/// The target of a `<meta http-equiv="refresh" content="0; url=…">`, resolved on the device.
pub fn meta_refresh(body: &[u8], page: &str) -> Option<String> {
    let html = String::from_utf8_lossy(&body[..body.len().min(http::MAX_RESPONSE)]);
    let tags = tags(&html);
    let content = tags
        .iter()
        .filter(|t| t.name == "meta")
        .find(|t| {
            t.attr("http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
        })?
        .attr("content")?;
    let lower = content.to_ascii_lowercase();
    let at = lower.find("url=")?;
    let url = content[at + 4..].trim().trim_matches(['\'', '"']);
    resolve_same_device(page, url, None)
}

/// Resolve `target` (absolute path, relative path, or an `http://` URL naming `device`) against
/// the page at `base`. `None` when it leaves the device (another host, another scheme) or cannot
/// go in a request line.
pub fn resolve_same_device(base: &str, target: &str, device: Option<Target>) -> Option<String> {
    let target = target.trim();
    if target.len() > 2048 || target.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return None;
    }
    let lower = target.to_ascii_lowercase();
    let absolute = ["http://", "https://"]
        .into_iter()
        .find(|p| lower.starts_with(p));
    let path = if let Some(prefix) = absolute {
        let rest = &target[prefix.len()..];
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let device = device?;
        let default_port = if device.tls { 443 } else { 80 };
        let host = http::host(device.addr);
        let same = prefix.starts_with(device.scheme())
            && prefix.len() == device.scheme().len() + 3
            && (authority == host
                || (device.addr.port() == default_port
                    && authority == host.trim_end_matches(&format!(":{default_port}"))));
        if !same {
            return None;
        }
        if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        }
    } else if has_scheme(target) {
        // Another scheme: `https:`, `javascript:`, `mailto:`…
        return None;
    } else if target.starts_with("//") {
        return None;
    } else if target.starts_with('/') {
        target.to_string()
    } else {
        let dir = &base[..base
            .split(['?', '#'])
            .next()
            .unwrap_or(base)
            .rfind('/')
            .map_or(0, |p| p + 1)];
        format!("/{}{target}", dir.trim_start_matches('/'))
    };
    let path = path.split('#').next().unwrap_or("");
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut segments: Vec<&str> = Vec::new();
    for s in path.split('/').skip(1) {
        match s {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Some(out.replace(' ', "%20"))
}

/// Whether a URL starts with a scheme (RFC 3986 §3.1: a letter, then letters, digits, `+-.`).
fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `application/x-www-form-urlencoded` (the HTML form serialisation).
fn urlencode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, s) in [k, v].iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for &c in s.as_bytes() {
                match c {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                        out.push(c as char)
                    }
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{c:02X}")),
                }
            }
        }
    }
    out
}

/// A session's cookies: the latest value per name, from `Set-Cookie` headers.
#[derive(Debug, Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, r: &Response) {
        for v in r.headers_named("set-cookie") {
            let pair = v.split(';').next().unwrap_or("");
            if let Some((n, val)) = pair.split_once('=') {
                let (n, val) = (n.trim(), val.trim());
                if n.is_empty() || n.len() > 256 || val.len() > 4096 {
                    continue;
                }
                self.0.retain(|(k, _)| k != n);
                if self.0.len() < 32 {
                    self.0.push((n.to_string(), val.to_string()));
                }
            }
        }
    }
    fn header(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let v: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        format!("Cookie: {}\r\n", v.join("; "))
    }
}

/// Words a page uses to say a login failed (lowercase).
const FAILURE_WORDS: &[&str] = &[
    "invalid",
    "incorrect",
    "wrong",
    "failed",
    "failure",
    "denied",
    "error",
    "try again",
    "not match",
    "unauthori",
    "history.back",
];

/// GET `path` (or take `fetched`, its answer already in hand), following same-device redirects
/// (at most [`MAX_REDIRECTS`]) with `jar`'s cookies. Returns the final path and response.
async fn get_following(
    gate: &Gate,
    addr: Target,
    path: &str,
    mut fetched: Option<Response>,
    jar: &mut Jar,
    wait: Duration,
) -> Result<(String, Response), String> {
    let mut path = path.to_string();
    for hop in 0..=MAX_REDIRECTS {
        let r = match fetched.take() {
            Some(r) => r,
            None => {
                http::request(
                    gate,
                    addr,
                    &http::build("GET", addr.addr, &path, false, &jar.header()),
                    wait,
                )
                .await?
            }
        };
        jar.take(&r);
        match (r.status, r.header("location")) {
            (300..=399, Some(loc)) if hop < MAX_REDIRECTS => {
                path = resolve_same_device(&path, loc, Some(addr)).ok_or_else(|| {
                    format!("{} redirects off the device to {loc}", r.status_line())
                })?;
            }
            _ => return Ok((path, r)),
        }
    }
    Err("too many redirects".into())
}

/// Find the login form a device shows at `/` (`root` is its answer to `GET /`): on the page
/// itself, or after same-device redirects and `<meta refresh>` hops. Returns the form and the
/// `<title>` of the page that shows it.
pub async fn discover(
    gate: &Gate,
    addr: Target,
    root: &Response,
    wait: Duration,
) -> Result<Option<(LoginForm, Option<String>)>, String> {
    let mut path = "/".to_string();
    let mut fetched = Some(root.clone());
    let mut jar = Jar::default();
    for _ in 0..=MAX_REDIRECTS {
        let (at, r) = get_following(gate, addr, &path, fetched.take(), &mut jar, wait).await?;
        if let Some(form) = find_login_form(&r.body, &at, Some(addr)) {
            return Ok(Some((form, title(&r.body))));
        }
        match meta_refresh(&r.body, &at) {
            Some(next) if next != at => path = next,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// One login through `form` with `cred` (`None` = nothing to do: forms have no unauthenticated
/// request of their own, the page showing the form is that).
pub async fn attempt(
    gate: &Gate,
    addr: Target,
    form: &LoginForm,
    cred: Option<Cred>,
    wait: Duration,
) -> Try {
    let Some(cred) = cred else {
        return Try::new(
            Outcome::Rejected,
            format!("{} shows a login form", form.page),
        );
    };
    // A fresh session: new cookies and hidden values (CSRF tokens are often bound to both).
    let mut jar = Jar::default();
    let (page, shown) = match get_following(gate, addr, &form.page, None, &mut jar, wait).await {
        Ok(x) => x,
        Err(e) => return Try::unclear(e),
    };
    let Some(fresh) = find_login_form(&shown.body, &page, Some(addr)) else {
        return Try::unclear(format!(
            "GET {page}: {} without the login form",
            shown.status_line()
        ));
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(u) = &fresh.user_field {
        pairs.push((u, &cred.user));
    }
    pairs.push((&fresh.password_field, &cred.password));
    for (k, v) in &fresh.fields {
        pairs.push((k, v));
    }
    let body = urlencode(&pairs);
    let origin = addr.origin();
    let common = format!(
        "Referer: {origin}{page}\r\nOrigin: {origin}\r\n{}",
        jar.header()
    );
    let raw = if fresh.method == "POST" {
        let mut r = http::build(
            "POST",
            addr.addr,
            &fresh.action,
            false,
            &format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{common}",
                body.len()
            ),
        );
        r.push_str(&body);
        r
    } else {
        let sep = if fresh.action.contains('?') { '&' } else { '?' };
        http::build(
            "GET",
            addr.addr,
            &format!("{}{sep}{body}", fresh.action),
            false,
            &common,
        )
    };
    let submitted = match http::request(gate, addr, &raw, wait).await {
        Ok(r) => r,
        Err(e) => return Try::unclear(format!("{} {}: {e}", fresh.method, fresh.action)),
    };
    jar.take(&submitted);
    let how = format!(
        "{} {} → {}",
        fresh.method,
        fresh.action,
        submitted.status_line()
    );
    let (landed, last) = match (submitted.status, submitted.header("location")) {
        (300..=399, Some(loc)) => {
            let Some(next) = resolve_same_device(&fresh.action, loc, Some(addr)) else {
                return Try::unclear(format!("{how}: redirects off the device to {loc}"));
            };
            match get_following(gate, addr, &next, None, &mut jar, wait).await {
                Ok((at, r)) => (at, r),
                Err(e) => return Try::unclear(format!("{how}: {e}")),
            }
        }
        _ => (fresh.action.clone(), submitted),
    };
    judge(&landed, &last, &how)
}

/// Judge the page a login landed on (see the module comment).
fn judge(path: &str, r: &Response, how: &str) -> Try {
    let detail = if how.ends_with(&r.status_line()) {
        how.to_string()
    } else {
        format!("{how}; {path}: {}", r.status_line())
    };
    match r.status {
        401 | 403 => return Try::new(Outcome::Rejected, detail),
        200..=299 => {}
        _ => return Try::unclear(detail),
    }
    if find_login_form(&r.body, path, None).is_some() || http::has_login_form(&r.body) {
        return Try::new(Outcome::Rejected, format!("{detail}, the login form again"));
    }
    let text = String::from_utf8_lossy(&r.body[..r.body.len().min(64 << 10)]).to_ascii_lowercase();
    if let Some(w) = FAILURE_WORDS.iter().find(|w| text.contains(*w)) {
        return Try::new(
            Outcome::Rejected,
            format!("{detail}, the page says \"{w}\""),
        );
    }
    let html = r
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
    if !html {
        return Try::unclear(format!("{detail}, not an HTML page"));
    }
    Try::new(
        Outcome::Accepted,
        format!(
            "{detail}, a page without the login form{}",
            title(&r.body)
                .map(|t| format!(" (\"{t}\")"))
                .unwrap_or_default()
        ),
    )
}

/// Fuzz entry point: bytes as a page, its form, title and refresh target, and as a redirect target.
pub fn fuzz(data: &[u8]) {
    let _ = find_login_form(data, "/a/b.html", None);
    let _ = title(data);
    let _ = meta_refresh(data, "/");
    let text = String::from_utf8_lossy(data);
    let device = Target::plain("127.0.0.1:80".parse().expect("literal address"));
    let _ = resolve_same_device("/x/y", &text, Some(device));
    let _ = decode_entities(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTER: &str = r#"<!DOCTYPE html><html><head><title>TP-LINK &amp; Co</title>
<script>var x = "<form><input type=password name=fake>";</script></head><body>
<!-- <form action="/old"><input type="password" name="old"></form> -->
<form name="f" method="post" action="cgi/login.cgi?x=1">
 <input type="hidden" name="token" value="a&quot;b">
 <input type="text" name="lang" value="en">
 <input type="text" name="Username" value="">
 <input type="password" name="Password">
 <input type="checkbox" name="remember" checked>
 <input type="checkbox" name="unchecked">
 <input type="submit" name="Login" value="Log in">
 <button type="submit" name="other">x</button>
</form></body></html>"#;

    #[test]
    fn finds_the_login_form_and_its_fields() {
        let f = find_login_form(ROUTER.as_bytes(), "/web/index.html", None).unwrap();
        assert_eq!(f.action, "/web/cgi/login.cgi?x=1");
        assert_eq!(f.method, "POST");
        assert_eq!(f.user_field.as_deref(), Some("Username"));
        assert_eq!(f.password_field, "Password");
        assert_eq!(
            f.fields,
            [
                ("token".to_string(), "a\"b".to_string()),
                ("remember".to_string(), String::new()),
                ("Login".to_string(), "Log in".to_string()),
            ]
        );
        assert_eq!(title(ROUTER.as_bytes()).as_deref(), Some("TP-LINK & Co"));
    }

    #[test]
    fn password_change_forms_and_script_text_are_not_login_forms() {
        let change = br#"<form method=post><input type=password name=new><input type=password name=again></form>"#;
        assert_eq!(find_login_form(change, "/", None), None);
        let js = br#"<script>document.write('<form><input type=password name=p></form>')</script>"#;
        assert_eq!(find_login_form(js, "/", None), None);
        let unquoted = b"<FORM><INPUT TYPE=PASSWORD NAME=pw></FORM>";
        let f = find_login_form(unquoted, "/login.htm", None).unwrap();
        assert_eq!(
            (f.method.as_str(), f.action.as_str()),
            ("GET", "/login.htm")
        );
        assert_eq!(f.user_field, None);
    }

    #[test]
    fn redirect_targets_stay_on_the_device() {
        let dev = Target::plain("127.0.0.5:8080".parse().unwrap());
        let r = |base, t| resolve_same_device(base, t, Some(dev));
        assert_eq!(r("/a/b.html", "c.cgi").as_deref(), Some("/a/c.cgi"));
        assert_eq!(r("/a/b.html", "../c d.cgi").as_deref(), Some("/c%20d.cgi"));
        assert_eq!(r("/a/b", "/../../x#frag").as_deref(), Some("/x"));
        assert_eq!(
            r("/", "http://127.0.0.5:8080/s?q=1").as_deref(),
            Some("/s?q=1")
        );
        assert_eq!(r("/", "http://127.0.0.5:8080").as_deref(), Some("/"));
        assert_eq!(r("/", "http://evil.example/"), None);
        assert_eq!(r("/", "https://127.0.0.5:8080/"), None);
        assert_eq!(r("/", "//evil.example/x"), None);
        assert_eq!(r("/", "javascript:alert(1)"), None);
        assert_eq!(r("/", "/a\r\nHost: x"), None);
        assert_eq!(
            meta_refresh(
                br#"<meta http-equiv="Refresh" content="0; URL='login.html'">"#,
                "/web/"
            )
            .as_deref(),
            Some("/web/login.html")
        );
    }

    #[test]
    fn form_encoding_and_cookies() {
        assert_eq!(
            urlencode(&[("user name", "a&b=c"), ("pw", "ä~")]),
            "user+name=a%26b%3Dc&pw=%C3%A4%7E"
        );
        let r = http::parse_response(
            b"HTTP/1.1 200 OK\r\nSet-Cookie: sid=1; Path=/\r\nSet-Cookie: x=2\r\nSet-Cookie: sid=3\r\n\r\n",
        )
        .unwrap();
        let mut jar = Jar::default();
        jar.take(&r);
        assert_eq!(jar.header(), "Cookie: x=2; sid=3\r\n");
    }

    fn page(status: &str, ctype: &str, body: &str) -> Response {
        http::parse_response(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn landing_pages_are_judged() {
        let j = |r: Response| judge("/status", &r, "POST /login").outcome;
        assert_eq!(
            j(page(
                "200 OK",
                "text/html",
                "<title>Status</title>Uptime 3 days"
            )),
            Outcome::Accepted
        );
        assert_eq!(
            j(page("200 OK", "text/html", "<p>Invalid password</p>")),
            Outcome::Rejected
        );
        assert_eq!(j(page("200 OK", "text/html", ROUTER)), Outcome::Rejected);
        assert_eq!(j(page("403 Forbidden", "text/html", "")), Outcome::Rejected);
        assert_eq!(
            j(page("200 OK", "application/json", "{\"code\":0}")),
            Outcome::Unclear
        );
        assert_eq!(j(page("500 Oops", "text/html", "")), Outcome::Unclear);
    }

    #[test]
    fn hostile_markup_is_bounded() {
        let many = "<input name=a type=hidden>".repeat(10_000);
        let f = find_login_form(
            format!("<form>{many}<input type=password name=p></form>").as_bytes(),
            "/",
            None,
        );
        // The password input lies past the tag budget: no form, and no panic.
        assert_eq!(f, None);
        for s in [
            "<",
            "<form",
            "<a b='",
            "<a b=\"x",
            "&#xFFFFFFFF;&#99999999999;&",
            "<!--",
            // A multi-byte character across the entity look-ahead (fuzz crasher).
            "&amp type5h\u{fffd}dden",
        ] {
            fuzz(s.as_bytes());
        }
    }
}
