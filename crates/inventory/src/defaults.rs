//! Values that exist only at run time, read statically: default configuration (NVRAM default
//! files, `key=value` / ini files, XML and JSON default-value trees) and the values boot scripts
//! compute from it (`$(cat /etc/x)`, `` `nvram get key` ``, variables assigned from those).
//!
//! Many images ship no real `passwd`: accounts and passwords are written at boot from default
//! configuration. This module gives the checks what they need to follow such a value from the
//! file that holds it to the command that uses it, with evidence for every step:
//! - [`collect`] reads the default-configuration files of a root into [`Defaults`] (key, value,
//!   the user named beside it, file and line);
//! - [`resolve_script`] walks a shell script's logical lines in order, substituting what it can
//!   resolve (a file read with `cat`, an `nvram get` of a default, a variable assigned from either
//!   or from a literal) and leaving everything else as written, so an unresolved `$PASSWORD` stays
//!   `$PASSWORD` and is never taken for a value;
//! - [`passwd_writers`] finds programs whose strings show they write an account file absent from
//!   the image (the path next to a literal passwd or group line).
//!
//! Nothing is executed; every size, count and nesting depth is bounded.

use std::collections::HashMap;

use iotassay_unpack::NodeKind;
use serde::{Deserialize, Serialize};

use crate::services::{excerpt, is_assignment, shell_lines, simple_commands};
use crate::tree::Root;
use crate::Evidence;

/// Default-configuration files bigger than this are not read.
const MAX_DEFAULT_FILE: usize = 4 << 20;
/// Values kept per root at most.
const MAX_VALUES: usize = 20_000;
/// Longest value kept (longer ones are data, not settings).
const MAX_VALUE: usize = 256;
/// Files read by `cat` in one script at most, and the largest such file.
const MAX_READS: usize = 64;
const MAX_READ_FILE: usize = 4096;
/// Variables tracked per script at most.
const MAX_VARS: usize = 2000;
/// Deepest nesting of `$( )` looked into.
const MAX_SUBST_DEPTH: usize = 8;
/// Longest `$( … )` or `${ … }` looked into, in characters.
const MAX_SUBST_SPAN: usize = 1024;
/// ELF files bigger than this are not searched for account-file strings.
const MAX_PROGRAM: usize = 16 << 20;
/// Bytes after an account-file path searched for a literal account line.
const WRITER_WINDOW: usize = 512;

/// How a default value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultFormat {
    /// `key=value` lines (NVRAM defaults, ini, shell-style), also NUL-separated NVRAM blobs.
    KeyValue,
    /// An XML element's text, attribute, or `value` attribute.
    Xml,
    /// A JSON string (or scalar) member.
    Json,
}

/// One setting of a default-configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultValue {
    pub key: String,
    pub value: String,
    pub format: DefaultFormat,
    /// Values of one XML element, JSON object or ini section share a group.
    pub group: usize,
    /// File, line and the line's excerpt.
    pub evidence: Evidence,
}

/// The default configuration of one root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defaults {
    pub values: Vec<DefaultValue>,
    /// Files read, root-relative.
    pub files: Vec<String>,
}

impl Defaults {
    /// The first value of a key (NVRAM `nvram get KEY`), case-sensitive like NVRAM.
    pub fn get(&self, key: &str) -> Option<&DefaultValue> {
        self.values.iter().find(|v| v.key == key)
    }

    /// The user name written beside value `i`: a user-like key of the same group (for `key=value`
    /// files, of the same key prefix: `http_username` for `http_passwd`, `Login` for `Password`).
    pub fn user_for(&self, i: usize) -> Option<&DefaultValue> {
        let v = self.values.get(i)?;
        let prefix = key_prefix(&v.key);
        self.values.iter().find(|u| {
            u.group == v.group
                && u.evidence.path == v.evidence.path
                && (user_key(&u.key)
                    || (v.format != DefaultFormat::KeyValue && u.key.eq_ignore_ascii_case("name")))
                && !u.value.is_empty()
                && (v.format != DefaultFormat::KeyValue || key_prefix(&u.key) == prefix)
        })
    }
}

/// Whether a key names a user (`username`, `http_username`, `Login`, `admin_user`, `sysUserName`).
pub fn user_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "username",
        "user_name",
        "user",
        "login",
        "loginname",
        "account",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// A key without its user/password word: `http_passwd` and `http_username` → `http_`.
fn key_prefix(key: &str) -> String {
    let k = key.to_ascii_lowercase();
    for s in [
        "username",
        "user_name",
        "loginname",
        "password",
        "passwd",
        "login",
        "user",
        "pass",
        "pwd",
        "name",
    ] {
        if let Some(p) = k.strip_suffix(s) {
            return p.to_string();
        }
    }
    k
}

/// Whether a path names a default-configuration file: `nvram.default`, `default.cfg`,
/// `defaults.xml`, `factory.ini`, `mib_default.json`…, or any XML/JSON file under `etc/`.
pub fn is_default_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if [
        ".htm", ".html", ".js", ".css", ".asp", ".php", ".so", ".ko", ".md", ".txt",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        || lower.starts_with("www/")
        || lower.contains("/www/")
        || lower.contains("/doc/")
        || lower.contains("/man/")
        || name.starts_with("readme")
    {
        return false;
    }
    ["default", "nvram", "factory"]
        .iter()
        .any(|w| name.contains(w))
        || (lower.starts_with("etc/") && (name.ends_with(".xml") || name.ends_with(".json")))
}

/// Read the default-configuration files of a root.
pub fn collect(root: &Root<'_>) -> Defaults {
    let mut out = Defaults::default();
    for f in root.files() {
        if f.node.kind != NodeKind::File || !is_default_file(f.path) {
            continue;
        }
        let Some(data) = f.node.data.as_deref() else {
            continue;
        };
        if data.len() > MAX_DEFAULT_FILE || data.starts_with(b"\x7fELF") {
            continue;
        }
        let before = out.values.len();
        parse_file(root, f.path, data, &mut out);
        if out.values.len() > before {
            out.files.push(f.path.to_string());
        }
        if out.values.len() >= MAX_VALUES {
            out.values.truncate(MAX_VALUES);
            break;
        }
    }
    out
}

/// Parse one default-configuration file by its content: XML, JSON or `key=value`.
fn parse_file(root: &Root<'_>, path: &str, data: &[u8], out: &mut Defaults) {
    let text = String::from_utf8_lossy(data);
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    // Groups are compared within one file only; distinct bases keep them apart anyway.
    let group_base = out.values.len() * 16 + out.files.len() * 1_000_000;
    let mut push = |key: &str,
                    value: &str,
                    format: DefaultFormat,
                    group: usize,
                    line: usize,
                    line_text: &str| {
        let key = key.trim();
        if key.is_empty() || key.len() > 128 || value.len() > MAX_VALUE {
            return;
        }
        out.values.push(DefaultValue {
            key: key.to_string(),
            value: value.to_string(),
            format,
            group,
            evidence: root.evidence(path, Some(line), None, Some(excerpt(line_text))),
        });
    };
    if start.starts_with('<') {
        parse_xml(&text, group_base, &mut push);
    } else if start.starts_with('{') || start.starts_with('[') {
        parse_json(&text, group_base, &mut push);
    } else if !data[..data.len().min(8192)].contains(&0) || path.contains("nvram") {
        parse_key_values(&text, group_base, &mut push);
    }
}

type Push<'a> = dyn FnMut(&str, &str, DefaultFormat, usize, usize, &str) + 'a;

/// `key=value` lines (NUL also ends a line, for NVRAM blobs); `[section]` starts a group;
/// comments (`#`, `;`) and lines without `=` are skipped.
fn parse_key_values(text: &str, group_base: usize, push: &mut Push<'_>) {
    let mut group = group_base;
    let mut line_no = 0usize;
    for physical in text.split('\n').take(200_000) {
        line_no += 1;
        for entry in physical.split('\0') {
            let t = entry.trim().trim_end_matches('\r');
            if t.starts_with('[') && t.ends_with(']') {
                group += 1;
                continue;
            }
            if t.is_empty() || t.starts_with(['#', ';']) || t.starts_with("//") {
                continue;
            }
            let t = t.strip_prefix("export ").unwrap_or(t);
            let Some((key, value)) = t.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':'))
            {
                continue;
            }
            let value = unquote(value.trim());
            push(key, value, DefaultFormat::KeyValue, group, line_no, t);
        }
    }
}

/// A value without one pair of surrounding quotes.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

fn line_at(text: &str, offset: usize) -> (usize, &str) {
    let line = text[..offset].bytes().filter(|&b| b == b'\n').count() + 1;
    let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
    (line, &text[start..end])
}

/// Elements and attributes of an XML tree: an attribute is a value of its element's group; an
/// element's text, or its `value=` attribute, is a value named by the element in its parent's
/// group. Comments, declarations and CDATA are skipped; nesting deeper than 256 is flattened.
fn parse_xml(text: &str, group_base: usize, push: &mut Push<'_>) {
    let mut stack: Vec<usize> = vec![group_base];
    let mut next_group = group_base + 1;
    let mut pos = 0usize;
    let mut tags = 0usize;
    while let Some(rel) = text[pos..].find('<') {
        let at = pos + rel;
        tags += 1;
        if tags > 1_000_000 {
            break;
        }
        if text[at..].starts_with("<!--") {
            pos = text[at..].find("-->").map_or(text.len(), |e| at + e + 3);
            continue;
        }
        let Some(end_rel) = text[at..].find('>') else {
            break;
        };
        let end = at + end_rel;
        let tag = &text[at + 1..end];
        pos = end + 1;
        if tag.starts_with(['?', '!']) {
            continue;
        }
        if tag.starts_with('/') {
            if stack.len() > 1 {
                stack.pop();
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];
        let parent = *stack.last().unwrap_or(&group_base);
        let group = next_group;
        next_group += 1;
        let (line, line_text) = line_at(text, at);
        for (key, value) in attributes(&tag[name_end..]) {
            if key == "value" {
                push(name, value, DefaultFormat::Xml, parent, line, line_text);
            } else {
                push(key, value, DefaultFormat::Xml, group, line, line_text);
            }
        }
        if self_closing {
            continue;
        }
        // Leaf text: `<password>admin</password>`.
        let body_end = text[pos..].find('<').map_or(text.len(), |e| pos + e);
        let close = format!("</{name}>");
        if text[body_end..].starts_with(&close) {
            let body = text[pos..body_end].trim();
            push(name, body, DefaultFormat::Xml, parent, line, line_text);
            pos = body_end + close.len();
            continue;
        }
        if stack.len() < 256 {
            stack.push(group);
        }
    }
}

/// `key="value"` / `key='value'` pairs of a tag.
fn attributes(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(close) = after[1..].find(q) else {
            break;
        };
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        out.push((key, &after[1..1 + close]));
        rest = &after[close + 2..];
        if out.len() > 256 {
            break;
        }
    }
    out
}

/// String and scalar members of a JSON document, each object its own group. Tolerant: it reads
/// members wherever they are and never fails.
fn parse_json(text: &str, group_base: usize, push: &mut Push<'_>) {
    let mut stack: Vec<usize> = vec![group_base];
    let mut next_group = group_base + 1;
    let mut chars = text.char_indices().peekable();
    let mut last_string: Option<(usize, String)> = None;
    let mut key: Option<(usize, String)> = None;
    let mut steps = 0usize;
    while let Some((i, c)) = chars.next() {
        steps += 1;
        if steps > 16 << 20 {
            break;
        }
        match c {
            '{' | '[' => {
                if stack.len() < 256 {
                    stack.push(next_group);
                    next_group += 1;
                }
                key = None;
            }
            '}' | ']' => {
                if stack.len() > 1 {
                    stack.pop();
                }
                key = None;
            }
            ':' => key = last_string.take(),
            ',' => key = None,
            '"' => {
                let mut s = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(match e {
                                    'n' => '\n',
                                    't' => '\t',
                                    other => other,
                                });
                            }
                        }
                        _ => {
                            if s.len() <= MAX_VALUE {
                                s.push(c)
                            }
                        }
                    }
                }
                if let Some((_, k)) = key.take() {
                    let (line, line_text) = line_at(text, i);
                    let group = *stack.last().unwrap_or(&group_base);
                    push(&k, &s, DefaultFormat::Json, group, line, line_text);
                } else {
                    last_string = Some((i, s));
                }
            }
            c if key.is_some() && (c.is_ascii_alphanumeric() || c == '-') => {
                let mut s = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '.' || n == '-' {
                        s.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if let Some((_, k)) = key.take() {
                    let (line, line_text) = line_at(text, i);
                    let group = *stack.last().unwrap_or(&group_base);
                    if s != "null" {
                        push(&k, &s, DefaultFormat::Json, group, line, line_text);
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scripts

/// A value a script holds, with where it came from (default file line, file read, assignments).
#[derive(Debug, Clone)]
struct Value {
    text: String,
    chain: Vec<Evidence>,
}

/// A logical line of a script with what could be resolved substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLine {
    /// 1-based number of the line's first physical line.
    pub line: usize,
    /// The line as written (comments removed, continuations joined).
    pub original: String,
    /// The line with resolved `$VAR`, `$(cat FILE)`, `` `nvram get KEY` `` substituted, quoted so a
    /// shell reader splits it as the shell would; unresolved ones left as written.
    pub text: String,
    /// Where the substituted values came from, in order (default file:line, file read,
    /// assignment lines); empty when nothing was substituted.
    pub chain: Vec<Evidence>,
}

/// Walk a script's logical lines in order, resolving values (see the module documentation).
/// Every line is returned, resolved or not.
pub fn resolve_script(
    root: &Root<'_>,
    path: &str,
    text: &str,
    defaults: &Defaults,
) -> Vec<ResolvedLine> {
    let mut r = Resolver {
        root,
        defaults,
        vars: HashMap::new(),
        reads: 0,
    };
    let mut out = Vec::new();
    for (line, code) in shell_lines(text) {
        let (expanded, chain) = r.expand(&code, 0);
        let here = root.evidence(path, Some(line), None, Some(excerpt(&code)));
        r.assign(&expanded, &chain, &here);
        out.push(ResolvedLine {
            line,
            original: excerpt(&code),
            text: expanded,
            chain,
        });
    }
    out
}

struct Resolver<'a, 'm> {
    root: &'a Root<'m>,
    defaults: &'a Defaults,
    vars: HashMap<String, Value>,
    reads: usize,
}

/// A value written into shell text so it reads back as one word with the same characters.
fn quoted(value: &str, in_double: bool) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:@%+,/=-".contains(c));
    if plain {
        value.to_string()
    } else if in_double {
        let mut s = String::new();
        for c in value.chars() {
            if matches!(c, '"' | '\\' | '$' | '`') {
                s.push('\\');
            }
            s.push(c);
        }
        s
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

impl Resolver<'_, '_> {
    /// The line with what can be resolved substituted, and the evidence of the substitutions.
    fn expand(&mut self, line: &str, depth: usize) -> (String, Vec<Evidence>) {
        let mut out = String::with_capacity(line.len());
        let mut chain: Vec<Evidence> = Vec::new();
        let mut in_single = false;
        let mut in_double = false;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0usize;
        while i < chars.len() {
            let c = chars[i];
            if in_single {
                out.push(c);
                if c == '\'' {
                    in_single = false;
                }
                i += 1;
                continue;
            }
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(&n) = chars.get(i + 1) {
                        out.push(n);
                    }
                    i += 2;
                    continue;
                }
                '\'' if !in_double => in_single = true,
                '"' => in_double = !in_double,
                '`' => {
                    if let Some(close) = chars[i + 1..].iter().position(|&c| c == '`') {
                        let inner: String = chars[i + 1..i + 1 + close].iter().collect();
                        if let Some(v) = self.substitute(&inner, depth) {
                            out.push_str(&quoted(&v.text, in_double));
                            extend(&mut chain, v.chain);
                        } else {
                            out.push('`');
                            out.push_str(&inner);
                            out.push('`');
                        }
                        i += close + 2;
                        continue;
                    }
                }
                '$' => match chars.get(i + 1) {
                    Some('(') if chars.get(i + 2) != Some(&'(') => {
                        if let Some(close) = matching_paren(&chars, i + 1) {
                            let inner: String = chars[i + 2..close].iter().collect();
                            if let Some(v) = self.substitute(&inner, depth) {
                                out.push_str(&quoted(&v.text, in_double));
                                extend(&mut chain, v.chain);
                            } else {
                                out.extend(&chars[i..=close]);
                            }
                            i = close + 1;
                            continue;
                        }
                    }
                    Some('{') => {
                        if let Some(close) = chars[i + 2..]
                            .iter()
                            .take(MAX_SUBST_SPAN)
                            .position(|&c| c == '}')
                        {
                            let name: String = chars[i + 2..i + 2 + close].iter().collect();
                            if let Some(v) = self.vars.get(&name) {
                                out.push_str(&quoted(&v.text, in_double));
                                extend(&mut chain, v.chain.clone());
                            } else {
                                out.extend(&chars[i..i + 3 + close]);
                            }
                            i += close + 3;
                            continue;
                        }
                    }
                    Some(n) if n.is_ascii_alphabetic() || *n == '_' => {
                        let len = chars[i + 1..]
                            .iter()
                            .position(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
                            .unwrap_or(chars.len() - i - 1);
                        let name: String = chars[i + 1..i + 1 + len].iter().collect();
                        if let Some(v) = self.vars.get(&name) {
                            out.push_str(&quoted(&v.text, in_double));
                            extend(&mut chain, v.chain.clone());
                        } else {
                            out.push('$');
                            out.push_str(&name);
                        }
                        i += len + 1;
                        continue;
                    }
                    _ => {}
                },
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        (out, chain)
    }

    /// The value of a command substitution, when it is a read this module can resolve: `cat FILE`
    /// (a file of the image), `nvram get KEY` / `nvram_get KEY` (a default of the image).
    fn substitute(&mut self, inner: &str, depth: usize) -> Option<Value> {
        if depth >= MAX_SUBST_DEPTH {
            return None;
        }
        let (expanded, mut chain) = self.expand(inner, depth + 1);
        let commands = simple_commands(&expanded);
        let [words] = commands.as_slice() else {
            return None;
        };
        let word = |i: usize| words.get(i).map(String::as_str);
        let program = word(0)?.rsplit('/').next().unwrap_or("");
        match (program, words.len()) {
            ("cat", 2) => {
                let path = word(1)?;
                if !path.starts_with('/') || path.contains(['$', '`', '*', '?']) {
                    return None;
                }
                if self.reads >= MAX_READS {
                    return None;
                }
                self.reads += 1;
                let data = self.root.read(path)?;
                if data.len() > MAX_READ_FILE || data.contains(&0) {
                    return None;
                }
                // `$( )` drops trailing newlines.
                let text = String::from_utf8_lossy(data)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                let rel = path.trim_start_matches('/');
                let first = text.lines().next().unwrap_or("");
                chain.push(self.root.evidence(rel, Some(1), None, Some(excerpt(first))));
                Some(Value { text, chain })
            }
            ("nvram", 3) if word(1) == Some("get") => self.default_value(word(2)?, chain),
            ("nvram_get", 2) => self.default_value(word(1)?, chain),
            _ => None,
        }
    }

    fn default_value(&self, key: &str, mut chain: Vec<Evidence>) -> Option<Value> {
        let d = self.defaults.get(key)?;
        chain.push(d.evidence.clone());
        Some(Value {
            text: d.value.clone(),
            chain,
        })
    }

    /// Record the assignments of a line (`NAME=value`, `export`/`local`/`readonly NAME=value`
    /// commands made only of assignments). A value that still holds an unresolved `$` or
    /// backtick after expansion makes the variable unknown.
    fn assign(&mut self, expanded: &str, chain: &[Evidence], here: &Evidence) {
        let unresolved = has_expansion(expanded);
        for words in simple_commands(expanded) {
            let words: Vec<&String> = words
                .iter()
                .skip_while(|w| matches!(w.as_str(), "export" | "local" | "readonly"))
                .collect();
            if words.is_empty() || !words.iter().all(|w| is_assignment(w)) {
                continue;
            }
            for w in words {
                let Some((name, value)) = w.split_once('=') else {
                    continue;
                };
                if unresolved || value.len() > MAX_VALUE {
                    self.vars.remove(name);
                    continue;
                }
                if self.vars.len() >= MAX_VARS && !self.vars.contains_key(name) {
                    continue;
                }
                let mut c = chain.to_vec();
                c.push(here.clone());
                self.vars.insert(
                    name.to_string(),
                    Value {
                        text: value.to_string(),
                        chain: c,
                    },
                );
            }
        }
    }
}

/// Push evidence not already in the chain.
fn extend(chain: &mut Vec<Evidence>, more: Vec<Evidence>) {
    for e in more {
        if !chain.contains(&e) && chain.len() < 16 {
            chain.push(e);
        }
    }
}

/// The index of the `)` matching the `(` at `open`, counting nesting and skipping quotes.
fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    // A `$(` whose `)` is not within this many characters is left unresolved (and a line of
    // thousands of unclosed `$(` stays linear).
    for (i, &c) in chars.iter().enumerate().skip(open).take(MAX_SUBST_SPAN) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => {
                    depth += 1;
                    if depth > 64 {
                        return None;
                    }
                }
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Whether shell text still holds an expansion (`$` followed by a name, `{` or `(`, or a
/// backtick) outside single quotes.
pub fn has_expansion(text: &str) -> bool {
    let mut in_single = false;
    let mut prev = ' ';
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_single {
            in_single = c != '\'';
        } else if prev != '\\' {
            match c {
                '\'' => in_single = true,
                '`' => return true,
                '$' if chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || "_{(@*#?!".contains(*n)) =>
                {
                    return true
                }
                _ => {}
            }
        }
        prev = if prev == '\\' { ' ' } else { c };
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Programs that write account files

/// A program whose strings show it writes an account file: the path at `offset` followed, within
/// a few hundred bytes, by a literal passwd or group line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWriter {
    /// The program, root-relative.
    pub path: String,
    pub offset: u64,
    /// The strings from the path to the account line, joined with `, ` (for people).
    pub strings: String,
    pub evidence: Evidence,
}

/// Programs (ELF files, not shared libraries) of a root whose strings hold one of `paths`
/// (`/etc/passwd`, `/var/passwd`) followed by a literal account line (`root::0:root,admin`,
/// `admin:x:0:0:…`) — a program that writes that file at run time, with the accounts it names.
/// Format templates alone (`%s:%s:%d`) do not count: every C library has them.
pub fn passwd_writers(root: &Root<'_>, paths: &[String]) -> Vec<AccountWriter> {
    let mut out = Vec::new();
    for f in root.files() {
        let lower = f.path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        if f.node.kind != NodeKind::File || name.contains(".so") || name.ends_with(".ko") {
            continue;
        }
        let Some(data) = f.node.data.as_deref() else {
            continue;
        };
        if !data.starts_with(b"\x7fELF") || data.len() > MAX_PROGRAM {
            continue;
        }
        let strings: Vec<(u64, &str)> = crate::services::c_strings_or_lines(data, true).collect();
        for (i, (offset, s)) in strings.iter().enumerate() {
            if !paths.iter().any(|p| p == s) {
                continue;
            }
            let window: Vec<&(u64, &str)> = strings[i..]
                .iter()
                .take_while(|(o, _)| *o <= offset + WRITER_WINDOW as u64)
                .take(24)
                .collect();
            let Some(last) = window.iter().position(|(_, s)| account_line(s)) else {
                continue;
            };
            let shown: Vec<&str> = window[..=last].iter().map(|(_, s)| *s).collect();
            let strings = excerpt(&shown.join(", "));
            out.push(AccountWriter {
                path: f.path.to_string(),
                offset: *offset,
                evidence: root.evidence(f.path, None, Some(*offset), Some(strings.clone())),
                strings,
            });
            break;
        }
        if out.len() >= 20 {
            break;
        }
    }
    out
}

/// A literal passwd (`name:pw:uid:gid:…`) or group (`name:pw:gid:members`) line: a name, then
/// numeric ids, no format directive.
fn account_line(s: &str) -> bool {
    if s.contains('%') {
        return false;
    }
    let f: Vec<&str> = s.split(':').collect();
    let name_ok = f.first().is_some_and(|n| {
        !n.is_empty()
            && n.len() <= 32
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    });
    let num = |i: usize| {
        f.get(i)
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
    };
    name_ok && ((f.len() == 7 && num(2) && num(3)) || (f.len() == 4 && num(2)))
}

#[cfg(test)]
mod tests;
