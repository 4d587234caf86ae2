//! Input handling (guideline 13; 5.13-1): web handlers that pass request data to a shell, and
//! network-facing programs whose imports suggest the same pattern in C.
//!
//! The script analysis is a line-ordered taint pass written here (no crate reads shell, Lua and
//! PHP CGI handlers together): request sources (`QUERY_STRING`, `luci.http.formvalue`, `$_GET`…)
//! mark the variables assigned from them, and a sink line (`eval`, `sh -c`, `os.execute`,
//! `io.popen`, `system()`…) that uses a marked variable is reported with both lines as evidence.
//! It cannot see sanitising done in another file, so it only reports when the sink line itself
//! carries no quoting helper (`shellquote`, `escapeshellarg`).

use std::collections::HashMap;

use iotassay_inventory::services::{excerpt, read_text, shell_lines, simple_commands, Enablement};
#[cfg(test)]
use iotassay_inventory::Evidence;
use iotassay_inventory::Root;
use rayon::prelude::*;

use crate::{Check, Context, Finding, Severity};

const MAX_FINDINGS: usize = 200;
/// Web scripts bigger than this are not read (`read_text` also stops at 1 MiB).
const MAX_WEB_FILE: u64 = 1 << 20;

/// Folders whose files a web server serves or runs.
const WEB_DIRS: &[&str] = &[
    "www/",
    "var/www/",
    "srv/www/",
    "usr/www/",
    "home/httpd/",
    "webs/",
    "web/",
    "htdocs/",
    "usr/lib/lua/luci/",
    "usr/share/www/",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Shell,
    Lua,
    Php,
}

/// Which language a web file is, if it is a handler worth reading.
fn web_language(path: &str, data: &[u8]) -> Option<Lang> {
    let in_web = WEB_DIRS.iter().any(|d| path.starts_with(d)) || path.contains("cgi-bin/");
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let head = &data[..data.len().min(64)];
    let shebang_shell = head.starts_with(b"#!/bin/sh")
        || head.starts_with(b"#!/bin/ash")
        || head.starts_with(b"#!/bin/bash")
        || head.starts_with(b"#!/usr/bin/haserl");
    let shebang_lua = head.starts_with(b"#!/usr/bin/lua");
    match ext {
        "lua" if in_web => Some(Lang::Lua),
        "php" if in_web => Some(Lang::Php),
        "sh" if in_web => Some(Lang::Shell),
        "cgi" | "" if shebang_shell && (in_web || ext == "cgi") => Some(Lang::Shell),
        "cgi" | "" if shebang_lua && (in_web || ext == "cgi") => Some(Lang::Lua),
        _ => None,
    }
}

/// A request source and a sink that uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flow {
    source_line: usize,
    source: String,
    sink_line: usize,
    sink: String,
    /// Reaches a shell that parses it (eval, sh -c, system…): command injection.
    shell: bool,
    what: String,
}

/// Shell variables that carry request data in CGI scripts.
fn shell_source(line: &str) -> bool {
    for name in [
        "QUERY_STRING",
        "REQUEST_URI",
        "PATH_INFO",
        "HTTP_COOKIE",
        "HTTP_USER_AGENT",
        "HTTP_REFERER",
        "FORM_",
        "GET_",
        "POST_",
    ] {
        if line.contains(&format!("${name}")) || line.contains(&format!("${{{name}")) {
            return true;
        }
    }
    false
}

/// `$NAME` / `${NAME}` references of a line with whether each is outside double quotes.
fn shell_refs(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                }
            }
            _ => {
                if c == '"' {
                    quote = if quote.is_some() { None } else { Some('"') };
                } else if c == '\'' && quote.is_none() {
                    quote = Some('\'');
                } else if c == '\\' {
                    i += 1;
                } else if c == '$' {
                    let mut j = i + 1;
                    let braced = chars.get(j) == Some(&'{');
                    if braced {
                        j += 1;
                    }
                    let start = j;
                    while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                        j += 1;
                    }
                    if j > start {
                        out.push((chars[start..j].iter().collect(), quote.is_none()));
                    }
                    i = j;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Commands whose arguments do not reach a program (or only print).
const HARMLESS: &[&str] = &[
    "echo", "printf", "test", "[", "[[", "case", "logger", "local", "export", "return", "exit",
    "if", "then", "elif", "while", "until", "for",
];

fn shell_flows(text: &str) -> Vec<Flow> {
    let mut tainted: HashMap<String, (usize, String)> = HashMap::new();
    let mut flows = Vec::new();
    for (n, line) in shell_lines(text) {
        let t = line.trim();
        let refs = shell_refs(t);
        let source_here = shell_source(t);
        let taint_of = |refs: &[(String, bool)]| -> Option<(usize, String)> {
            refs.iter().find_map(|(r, _)| tainted.get(r).cloned())
        };
        // Assignment `name=…` (also `local name=…`, `export name=…`).
        let assign = t
            .trim_start_matches("local ")
            .trim_start_matches("export ")
            .split_once('=')
            .filter(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if let Some((name, _)) = assign {
            if source_here {
                tainted.insert(name.to_string(), (n, t.to_string()));
                continue;
            }
            if let Some(src) = taint_of(&refs) {
                tainted.insert(name.to_string(), src);
                continue;
            }
        }
        // `read VAR` of a POST body.
        if t.starts_with("read ") && t.contains("CONTENT_LENGTH") {
            if let Some(var) = t.split_whitespace().last() {
                tainted.insert(var.to_string(), (n, t.to_string()));
            }
            continue;
        }
        // Sinks: every simple command of the line that uses request data.
        for words in simple_commands(t) {
            let Some(first) = words.iter().find(|w| !w.contains('=')) else {
                continue;
            };
            let cmd = first.rsplit('/').next().unwrap_or(first);
            let joined = words.join(" ");
            let uses: Vec<(String, bool)> = shell_refs(&joined)
                .into_iter()
                .filter(|(r, _)| tainted.contains_key(r))
                .collect();
            let direct = shell_source(&joined);
            if uses.is_empty() && !direct {
                continue;
            }
            let src = if direct {
                (n, t.to_string())
            } else {
                tainted[&uses[0].0].clone()
            };
            let shell_parses = cmd == "eval"
                || (matches!(cmd, "sh" | "ash" | "bash") && words.iter().any(|w| w == "-c"));
            if shell_parses {
                flows.push(Flow {
                    source_line: src.0,
                    source: src.1,
                    sink_line: n,
                    sink: t.to_string(),
                    shell: true,
                    what: format!("{cmd} runs request data as shell code"),
                });
                continue;
            }
            if HARMLESS.contains(&cmd) {
                continue;
            }
            // Unquoted expansion as an argument: word splitting and globbing let the request
            // add arguments (argument injection).
            let unquoted = shell_refs(t).into_iter().any(|(r, unq)| {
                unq && (tainted.contains_key(&r) || shell_source(&format!("${r}")))
            });
            if unquoted {
                flows.push(Flow {
                    source_line: src.0,
                    source: src.1,
                    sink_line: n,
                    sink: t.to_string(),
                    shell: false,
                    what: format!("request data reaches {cmd}'s command line unquoted"),
                });
            }
        }
    }
    flows
}

/// Identifier-level taint for Lua and PHP: `sources` mark assigned names; `sinks` report.
fn script_flows(text: &str, lang: Lang) -> Vec<Flow> {
    let (sources, sinks, quoting): (&[&str], &[&str], &[&str]) = match lang {
        Lang::Lua => (
            &[
                "formvalue(",
                "formvaluetable(",
                "http.content(",
                "getenv(\"QUERY_STRING\")",
                "getenv('QUERY_STRING')",
                "http.getenv(",
                "urldecode(",
            ],
            &[
                "os.execute(",
                "io.popen(",
                "sys.call(",
                "sys.exec(",
                "util.exec(",
                "nixio.exec",
            ],
            &["shellquote("],
        ),
        Lang::Php => (
            &[
                "$_GET",
                "$_POST",
                "$_REQUEST",
                "$_COOKIE",
                "$_SERVER['QUERY_STRING']",
            ],
            &[
                "system(",
                "exec(",
                "shell_exec(",
                "passthru(",
                "popen(",
                "proc_open(",
                "`",
            ],
            &["escapeshellarg(", "escapeshellcmd("],
        ),
        Lang::Shell => return shell_flows(text),
    };
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mentions = |line: &str, name: &str| {
        line.match_indices(name).any(|(i, _)| {
            let before = line[..i].chars().next_back();
            let after = line[i + name.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
    };
    let mut tainted: HashMap<String, (usize, String)> = HashMap::new();
    let mut flows = Vec::new();
    for (i, raw) in text.lines().enumerate().take(100_000) {
        let n = i + 1;
        let t = raw.trim();
        if t.starts_with("--") || t.starts_with("//") || t.starts_with('#') {
            continue;
        }
        // Lua locals live in their function: a new function starts clean.
        if lang == Lang::Lua && (t.starts_with("function ") || t.starts_with("local function ")) {
            tainted.clear();
        }
        // Names inside string literals are text, not variables (PHP interpolates "…$x…").
        let code = strip_strings(t, lang == Lang::Php);
        let direct = sources.iter().any(|s| t.contains(s)) && !t.contains("tonumber(");
        let via = tainted
            .iter()
            .find(|(name, _)| mentions(&code, name))
            .map(|(_, src)| src.clone())
            .filter(|_| !t.contains("tonumber("));
        let sink = sinks.iter().find(|s| t.contains(*s));
        if let (Some(sink), true) = (sink, direct || via.is_some()) {
            if !quoting.iter().any(|q| t.contains(q)) {
                let src = if direct {
                    (n, t.to_string())
                } else {
                    via.clone().unwrap_or_default()
                };
                flows.push(Flow {
                    source_line: src.0,
                    source: src.1,
                    sink_line: n,
                    sink: t.to_string(),
                    shell: true,
                    what: format!(
                        "request data is passed to {} (run by a shell)",
                        sink.trim_end_matches('(')
                    ),
                });
                continue;
            }
        }
        // Assignment: `local x = …`, `x = …`, `$x = …`.
        let lhs = t
            .trim_start_matches("local ")
            .split_once('=')
            .and_then(|(l, r)| {
                let l = l.trim();
                (!r.starts_with('=') && !l.is_empty() && l.chars().all(is_ident)).then_some(l)
            });
        if let Some(name) = lhs {
            if direct {
                tainted.insert(name.to_string(), (n, t.to_string()));
            } else if let Some(src) = via {
                tainted.insert(name.to_string(), src);
            }
        }
    }
    flows
}

/// The line with the contents of string literals blanked (double-quoted ones kept when
/// `keep_double`, for languages that interpolate variables there).
fn strip_strings(line: &str, keep_double: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                    continue;
                }
                out.push(if keep_double && q == '"' { c } else { ' ' });
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Web handlers that pass request data to a shell or a command line.
pub struct CommandInjection;

impl Check for CommandInjection {
    fn id(&self) -> &'static str {
        "input.command_injection"
    }
    fn title(&self) -> &'static str {
        "Web handlers passing request data to a shell or a command line"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.13-1", "5.13-1A", "5.13-1B"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let Some(root) = cx.tree.root() else {
            return Vec::new();
        };
        let candidates: Vec<(&str, &[u8])> = root
            .files()
            .filter(|f| f.node.size <= MAX_WEB_FILE)
            .filter_map(|f| Some((f.path, f.node.data.as_deref()?)))
            .collect();
        let mut found: Vec<(String, Lang, Flow)> = candidates
            .par_iter()
            .filter_map(|(path, data)| {
                let lang = web_language(path, data)?;
                let text = read_text(data)?;
                Some(
                    script_flows(&text, lang)
                        .into_iter()
                        .map(|f| (path.to_string(), lang, f))
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .collect();
        found.sort_by(|a, b| (&a.0, a.2.sink_line).cmp(&(&b.0, b.2.sink_line)));
        let mut out: Vec<Finding> = found
            .into_iter()
            .take(MAX_FINDINGS)
            .map(|(path, lang, flow)| self.finding(root, &path, lang, &flow))
            .collect();
        if out.len() == MAX_FINDINGS {
            out.push(Finding::new(
                self.id(),
                self.provisions(),
                Severity::Info,
                format!("more than {MAX_FINDINGS} flows: the rest are not listed"),
                "The list was cut to keep the report readable.",
                "Fix the flows above and scan again.",
            ));
        }
        out
    }
}

impl CommandInjection {
    fn finding(&self, root: &Root<'_>, path: &str, lang: Lang, flow: &Flow) -> Finding {
        let (severity, title, rationale) = if flow.shell {
            (
                Severity::High,
                format!("command injection: {} in {path}", flow.what),
                format!(
                    "Request data read at line {} reaches a shell at line {} without \
                     validation or quoting: a request can run commands on the device, \
                     typically as root.",
                    flow.source_line, flow.sink_line
                ),
            )
        } else {
            (
                Severity::Medium,
                format!("{} in {path}", flow.what),
                format!(
                    "Request data read at line {} is expanded unquoted at line {}: word \
                     splitting and globbing let a request add arguments and options \
                     (argument injection); it is not validated against what the command \
                     expects. Shell metacharacters are not interpreted there, so this is not \
                     by itself command injection.",
                    flow.source_line, flow.sink_line
                ),
            )
        };
        let lang_fix = match lang {
            Lang::Shell => "quote every expansion (\"$var\"), never eval request data",
            Lang::Lua => "pass arguments through luci.util.shellquote or avoid the shell (nixio.exec with an argument list)",
            Lang::Php => "use escapeshellarg or avoid the shell",
        };
        let mut f = Finding::new(
            self.id(),
            &["5.13-1", "5.13-1B"],
            severity,
            title,
            rationale,
            format!(
                "Validate the parameter against a strict allow-list (e.g. an IP address or host \
                 name pattern) before use, and {lang_fix}."
            ),
        );
        f = f.with_evidence(root.evidence(
            path,
            Some(flow.source_line),
            None,
            Some(excerpt(&flow.source)),
        ));
        if flow.sink_line != flow.source_line {
            f = f.with_evidence(root.evidence(
                path,
                Some(flow.sink_line),
                None,
                Some(excerpt(&flow.sink)),
            ));
        }
        f
    }
}

// ---------------------------------------------------------------------------------------------

/// Network-facing programs importing both a command runner and an unbounded string function.
pub struct ElfIndicators;

const RUNNERS: &[&str] = &[
    "system", "popen", "execl", "execlp", "execle", "execv", "execvp", "execve",
];
const UNSAFE: &[&str] = &["strcpy", "strcat", "sprintf", "vsprintf", "gets"];

impl Check for ElfIndicators {
    fn id(&self) -> &'static str {
        "input.elf_indicators"
    }
    fn title(&self) -> &'static str {
        "Network-facing programs importing command runners and unbounded string functions"
    }
    fn provisions(&self) -> &'static [&'static str] {
        &["5.13-1", "5.13-1B"]
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let Some(root) = cx.tree.root() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &cx.inventory.services.services {
            if s.enablement() == Enablement::No || s.program == "busybox" {
                continue;
            }
            let candidates: Vec<String> = if s.path.starts_with('/') {
                vec![s.path.trim_start_matches('/').to_string()]
            } else {
                [
                    "bin",
                    "sbin",
                    "usr/bin",
                    "usr/sbin",
                    "usr/local/bin",
                    "usr/local/sbin",
                ]
                .iter()
                .map(|d| format!("{d}/{}", s.program))
                .collect()
            };
            let Some(canonical) = candidates.iter().find_map(|c| root.canonical(c).ok()) else {
                continue;
            };
            if !seen.insert(canonical.clone()) {
                continue;
            }
            let Some(elf) = cx.inventory.elf_at(&canonical) else {
                continue;
            };
            let Ok(facts) = &elf.facts else { continue };
            let runners: Vec<&str> = RUNNERS
                .iter()
                .copied()
                .filter(|f| facts.imports(f))
                .collect();
            let unsafe_: Vec<&str> = UNSAFE
                .iter()
                .copied()
                .filter(|f| facts.imports(f))
                .collect();
            if runners.is_empty() || unsafe_.is_empty() || canonical.ends_with("busybox") {
                continue;
            }
            let text = format!("imports {} and {}", runners.join(", "), unsafe_.join(", "));
            let f = Finding::new(
                self.id(),
                &["5.13-1", "5.13-1B"],
                Severity::Info,
                format!("{} (started as a service) {text}", s.program),
                "An indicator, not a vulnerability: a program reachable from the network that \
                 both runs commands and copies strings without bounds is where command \
                 injection and buffer overflows are most often found. It tells a reviewer \
                 where to look first.",
                "Review how request data reaches these calls; prefer execve with an argument \
                 list over system/popen, and bounded functions (snprintf, strlcpy).",
            )
            .with_evidence(s.evidence.clone())
            .with_evidence(root.evidence(&canonical, None, None, Some(text)));
            out.push(f);
            if out.len() >= MAX_FINDINGS {
                break;
            }
        }
        out
    }
}

/// Evidence helper for tests.
#[cfg(test)]
fn lines_of(ev: &[Evidence]) -> Vec<Option<usize>> {
    ev.iter().map(|e| e.line).collect()
}

#[cfg(test)]
mod tests;
