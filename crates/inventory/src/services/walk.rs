//! Boot scripts followed the way the shell would run them, without running anything: scripts
//! run by path or by a bare name found in the usual `PATH` folders, files read with `.`/`source`,
//! shell functions (defined in the script or in a sourced file) where they are called, and the
//! conditions around each start — `if`/`elif`/`else`, `case` branches, `&&`/`||` — kept as
//! [`Condition`]s in words (`if [ "$ENABLE_ECFLAG" = '0' ]` after `eval `flash get
//! ENABLE_ECFLAG`` → "the flash setting ENABLE_ECFLAG is 0").
//!
//! Bounded: [`MAX_DEPTH`] nested runs, sources and calls; [`MAX_FILES`] scripts and
//! [`MAX_STEPS`] lines per root; lines longer than [`MAX_LINE`] are skipped (noted). A script
//! or function already walked with the same arguments is not walked again, so a script that
//! sources itself, or two functions calling each other, end.

use std::collections::HashMap;
use std::rc::Rc;

use super::*;

/// Nested script runs, sourced files and function calls followed from one boot entry.
pub(super) const MAX_DEPTH: usize = 8;
/// Scripts read per root file system.
pub(super) const MAX_FILES: usize = 512;
/// Logical lines walked per root file system (a function body counts each time it is walked).
pub(super) const MAX_STEPS: usize = 400_000;
/// Logical lines longer than this (bytes) are skipped, with a note.
pub(super) const MAX_LINE: usize = 8192;
/// Conditions kept per start (the outermost ones).
const MAX_CONDITIONS: usize = 8;

/// A shell function: the file defining it and its body's logical lines.
struct Func {
    path: String,
    name: String,
    body: Vec<(usize, String)>,
}

/// What a script run shares with the files it sources and the functions it calls.
#[derive(Default)]
pub(super) struct Scope {
    /// `NAME=value` assignments (top level, first value wins) of the script and its sources.
    vars: HashMap<String, String>,
    /// Variables read from a settings store: `ENABLE_ECFLAG` → "the flash setting ENABLE_ECFLAG".
    settings: HashMap<String, String>,
    functions: HashMap<String, Rc<Func>>,
    /// Positional parameters (`$1`…) when the caller's words tell them.
    args: Vec<String>,
}

/// Where a walk stands: how the file was reached and the conditions around it.
#[derive(Clone, Default)]
pub(super) struct Ctx {
    pub via: Vec<Evidence>,
    pub conditions: Vec<Condition>,
    pub depth: usize,
}

/// Where a `case` stands.
enum Branch {
    /// Between branches.
    Outside,
    /// In a branch that is not taken (a stop branch, or one the known value does not match).
    Dead,
    /// In a branch taken when the condition holds (none: always, the value being known).
    Live(Option<Condition>),
}

/// An open compound command of the body being walked.
enum Block {
    /// `if`: the condition of the branch being read (`None` once it cannot be told).
    If(Option<Condition>),
    /// `case WORD in`: the word described, its known value, the branch being read, and whether
    /// a branch already matched the known value (later ones are then not taken).
    Case {
        subject: String,
        value: Option<String>,
        branch: Branch,
        matched: bool,
    },
    /// `while`/`until`/`for` … `done`.
    Loop(Option<Condition>),
}

impl Collector<'_, '_> {
    /// Run the shell script `path` (a new scope) with the positional parameters `args`.
    pub(super) fn run_script(&mut self, path: &str, args: &[String], ctx: &Ctx) {
        let mut scope = Scope {
            args: args.to_vec(),
            ..Scope::default()
        };
        self.source(path, &mut scope, ctx);
    }

    /// Read the shell script `path` into `scope` (what `.` does) and walk its top level.
    fn source(&mut self, path: &str, scope: &mut Scope, ctx: &Ctx) {
        if ctx.depth > MAX_DEPTH {
            self.notes.push(format!(
                "{path}: nested more than {MAX_DEPTH} scripts or calls deep; not followed"
            ));
            return;
        }
        let Ok(canonical) = self.root.canonical(path) else {
            return;
        };
        if !self
            .parsed
            .insert(format!("{canonical}\0{}", scope.args.join(" ")))
        {
            return;
        }
        if self.parsed.len() > MAX_FILES {
            if self.parsed.len() == MAX_FILES + 1 {
                self.notes.push(format!(
                    "more than {MAX_FILES} boot scripts: {path} and later ones not read"
                ));
            }
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        for (k, v) in assignments(&text) {
            scope.vars.entry(k).or_insert(v);
        }
        let lines = shell_lines(&text);
        self.walk(path, &lines, scope, ctx);
    }

    /// Walk logical lines of `path` (a script's top level or a function body).
    fn walk(&mut self, path: &str, lines: &[(usize, String)], scope: &mut Scope, ctx: &Ctx) {
        let mut blocks: Vec<Block> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let (n, line) = (&lines[i].0, lines[i].1.trim());
            i += 1;
            self.steps += 1;
            if self.steps > MAX_STEPS {
                if self.steps == MAX_STEPS + 1 {
                    self.notes.push(format!(
                        "more than {MAX_STEPS} boot-script lines walked: {path}:{n} and the rest \
                         not read"
                    ));
                }
                return;
            }
            if line.len() > MAX_LINE {
                self.notes.push(format!(
                    "{path}:{n}: line longer than {MAX_LINE} bytes; not read"
                ));
                continue;
            }
            if let Some(name) = function_name(line) {
                let (body, used) = function_body(&lines[i - 1..]);
                i += used.saturating_sub(1);
                if scope.functions.len() < 1000 {
                    scope.functions.insert(
                        name.clone(),
                        Rc::new(Func {
                            path: path.to_string(),
                            name,
                            body,
                        }),
                    );
                }
                continue;
            }
            record_settings(line, scope);
            let mut rest = line;
            if let Some(Block::Case {
                subject,
                value,
                branch,
                matched,
            }) = blocks.last_mut()
            {
                if let Some(pattern) = case_pattern(rest) {
                    let taken = case_branch(subject, value.as_deref(), &pattern);
                    *branch = match taken {
                        _ if *matched => Branch::Dead,
                        None => Branch::Dead,
                        Some(None) => {
                            *matched = true;
                            Branch::Live(None)
                        }
                        Some(meaning) => Branch::Live(meaning.map(|meaning| Condition {
                            meaning,
                            evidence: self.evidence(path, *n, line),
                        })),
                    };
                    rest = rest.split_once(')').map_or("", |(_, r)| r).trim();
                }
            }
            let lifted = lift_substitutions(rest, scope);
            self.line_commands(path, *n, line, &lifted, &mut blocks, scope, ctx);
            if rest.ends_with(";;") {
                if let Some(Block::Case { branch, .. }) = blocks.last_mut() {
                    *branch = Branch::Outside;
                }
            }
        }
    }

    /// The simple commands of one line, with the blocks they open and close.
    #[allow(clippy::too_many_arguments)]
    fn line_commands(
        &mut self,
        path: &str,
        n: usize,
        line: &str,
        code: &str,
        blocks: &mut Vec<Block>,
        scope: &mut Scope,
        ctx: &Ctx,
    ) {
        // Conditions of the and-or list being read (`[ -x /bin/t ] && t &`).
        let mut and_or: Vec<Condition> = Vec::new();
        let mut previous: Option<Vec<String>> = None;
        for (joiner, words) in joined_commands(code) {
            match joiner {
                Joiner::And | Joiner::Or => {
                    if let Some(prev) = previous.take() {
                        if and_or.len() < MAX_CONDITIONS {
                            and_or.push(Condition {
                                meaning: test_meaning(&prev, joiner == Joiner::Or, scope),
                                evidence: self.evidence(path, n, line),
                            });
                        }
                    }
                }
                Joiner::Sequence => and_or.clear(),
                Joiner::Pipe => {}
            }
            let mut words: &[String] = &words;
            // Keywords that open, switch or close a block.
            while let Some(first) = words.first() {
                match first.as_str() {
                    "then" | "do" | "else" | "{" => {
                        if first == "else" {
                            if let Some(Block::If(cond)) = blocks.last_mut() {
                                *cond = cond.take().map(negate);
                            }
                        }
                        words = &words[1..];
                    }
                    "fi" | "done" | "esac" => {
                        blocks.pop();
                        words = &words[1..];
                    }
                    _ => break,
                }
            }
            let Some(first) = words.first() else {
                continue;
            };
            match first.as_str() {
                "if" | "elif" | "while" | "until" => {
                    let test = &words[1..];
                    let cond = (!test.is_empty()).then(|| Condition {
                        meaning: test_meaning(test, first == "until", scope),
                        evidence: self.evidence(path, n, line),
                    });
                    match first.as_str() {
                        "if" => blocks.push(Block::If(cond)),
                        "elif" => {
                            if let Some(Block::If(c)) = blocks.last_mut() {
                                *c = cond;
                            }
                        }
                        _ => blocks.push(Block::Loop(cond)),
                    }
                    previous = None;
                    continue;
                }
                "for" => {
                    blocks.push(Block::Loop(None));
                    continue;
                }
                "case" => {
                    let word = words.get(1).cloned().unwrap_or_default();
                    let expanded = expand(&word, &positional(scope));
                    blocks.push(Block::Case {
                        subject: operand(&word, scope),
                        value: (!expanded.contains('$')).then_some(expanded),
                        branch: Branch::Outside,
                        matched: false,
                    });
                    continue;
                }
                _ => {}
            }
            if blocks.len() > 64 {
                blocks.remove(0);
            }
            // Inside a case branch that cannot be taken, or a stop branch: nothing starts.
            let dead = blocks.iter().any(|b| {
                matches!(
                    b,
                    Block::Case {
                        branch: Branch::Dead,
                        ..
                    }
                )
            });
            previous = Some(words.to_vec());
            if dead {
                continue;
            }
            let mut inner = ctx.clone();
            for b in blocks.iter() {
                let c = match b {
                    Block::If(c) | Block::Loop(c) => c.as_ref(),
                    Block::Case {
                        branch: Branch::Live(c),
                        ..
                    } => c.as_ref(),
                    Block::Case { .. } => None,
                };
                if let Some(c) = c {
                    inner.conditions.push(c.clone());
                }
            }
            inner.conditions.extend(and_or.iter().cloned());
            inner.conditions.truncate(MAX_CONDITIONS);
            self.command(path, n, line, words, scope, &inner);
        }
    }

    /// One simple command: a sourced file, a function call, a script run, or a start.
    fn command(
        &mut self,
        path: &str,
        n: usize,
        line: &str,
        words: &[String],
        scope: &mut Scope,
        ctx: &Ctx,
    ) {
        let vars = merged_vars(scope);
        let expanded: Vec<String> = words
            .iter()
            .map(|w| expand(w, &vars))
            .skip_while(|w| PREFIXES.contains(&w.as_str()) || is_assignment(w))
            .collect();
        let Some(first) = expanded.first() else {
            return;
        };
        let here = self.evidence(path, n, line);
        let deeper = |ctx: &Ctx| {
            let mut c = ctx.clone();
            c.via.push(here.clone());
            c.depth += 1;
            c
        };
        // `. FILE` / `source FILE`: same scope.
        if first == "." || first == "source" {
            if let Some(file) = expanded.get(1).and_then(|w| self.script_file(w, true)) {
                let args = expanded[2..].to_vec();
                let saved = if args.is_empty() {
                    scope.args.clone()
                } else {
                    std::mem::replace(&mut scope.args, args)
                };
                self.source(&file, scope, &deeper(ctx));
                scope.args = saved;
            }
            return;
        }
        // A function of the scope.
        if let Some(func) = scope.functions.get(first.as_str()).cloned() {
            let args = expanded[1..].to_vec();
            let key = format!("{}\0{}()\0{}", func.path, func.name, args.join(" "));
            if ctx.depth >= MAX_DEPTH || !self.parsed.insert(key) {
                return;
            }
            let saved = std::mem::replace(&mut scope.args, args);
            let c = deeper(ctx);
            self.walk(&func.path, &func.body, scope, &c);
            scope.args = saved;
            return;
        }
        // `sh FILE args`, or a script run by its path or name.
        let (script, args) = if is_shell(first) {
            let mut rest = expanded[1..].iter().skip_while(|w| w.starts_with('-'));
            match rest.next() {
                Some(f) => (self.script_file(f, true), rest.cloned().collect()),
                None => (None, Vec::new()),
            }
        } else {
            (self.script_file(first, false), expanded[1..].to_vec())
        };
        if let Some(script) = script {
            let args: Vec<String> = args.into_iter().filter(|a| a != "&").collect();
            if !script.starts_with("etc/init.d/") || !self.rc_common(&script) {
                self.run_script(&script, &args, &deeper(ctx));
            }
            return;
        }
        if let Some(start) = self.start_of(words, &vars) {
            self.push(
                start,
                StartedBy::BootScript {
                    script: path.to_string(),
                    via: ctx.via.clone(),
                    conditions: ctx.conditions.clone(),
                },
                None,
                here,
            );
        }
    }

    /// The root-relative path of the shell script a command word names (`/etc/start.sh`, or a
    /// bare `telnetd.sh` found in the `PATH` folders), when it is one. `sourced`: read with `.`
    /// or given to a shell, so any text file counts.
    pub(super) fn script_file(&self, word: &str, sourced: bool) -> Option<String> {
        if word.is_empty() || word.contains(['$', '*', '?', '`']) || word.len() > 256 {
            return None;
        }
        let candidates: Vec<String> = if word.starts_with('/') {
            vec![word.trim_start_matches('/').to_string()]
        } else if word.contains('/') {
            return None;
        } else {
            PATH_DIRS.iter().map(|d| format!("{d}/{word}")).collect()
        };
        candidates.into_iter().find(|rel| {
            let Some(data) = self.root.read(rel) else {
                return false;
            };
            if data.starts_with(b"#!") {
                let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
                let line = String::from_utf8_lossy(&line[2..]);
                let interpreter = line.split_whitespace().next().unwrap_or("");
                return is_shell(interpreter) || base_name(interpreter) == "busybox";
            }
            read_text(data).is_some()
                && (sourced
                    || rel.ends_with(".sh")
                    || self
                        .root
                        .get(rel)
                        .is_some_and(|n| n.mode.is_some_and(|m| m & 0o111 != 0)))
        })
    }

    /// Whether an init script is an OpenWrt `rc.common` one (its start is read with its
    /// enablement by `init_scripts`).
    fn rc_common(&self, path: &str) -> bool {
        self.root.read(path).is_some_and(|d| {
            d.starts_with(b"#!")
                && memchr::memmem::find(&d[..d.len().min(128)], b"rc.common").is_some()
        })
    }
}

/// The body of the function whose definition starts `lines` (its logical lines, the `{ }`
/// removed) and how many lines the definition takes.
fn function_body(lines: &[(usize, String)]) -> (Vec<(usize, String)>, usize) {
    let mut body = Vec::new();
    let mut depth = 0i64;
    let mut opened = false;
    for (k, (n, line)) in lines.iter().enumerate() {
        let mut text = line.as_str();
        if k == 0 {
            text = text.split_once("()").map_or(text, |(_, r)| r);
            if !text.contains('{') {
                // `name()` with `{` on the next line, or `function name {`.
                text = text.split_once(char::is_whitespace).map_or("", |(_, r)| r);
            }
        }
        let opens = braces(text, '{');
        let closes = braces(text, '}');
        let mut inner = text;
        if !opened {
            match inner.find('{') {
                Some(p) => {
                    inner = &inner[p + 1..];
                    opened = true;
                }
                None => {
                    if k > 0 && !inner.trim().is_empty() {
                        // Not a braced body: give up on this definition.
                        return (body, k);
                    }
                    continue;
                }
            }
        }
        depth += opens - closes;
        if depth <= 0 {
            if let Some(p) = inner.rfind('}') {
                inner = &inner[..p];
            }
            if !inner.trim().is_empty() {
                body.push((*n, inner.to_string()));
            }
            return (body, k + 1);
        }
        if !inner.trim().is_empty() {
            body.push((*n, inner.to_string()));
        }
    }
    (body, lines.len())
}

/// Braces of a line that open or close a block (not `${…}`).
fn braces(text: &str, brace: char) -> i64 {
    let all = text.matches(brace).count() as i64;
    all - text.matches("${").count() as i64
}

/// The script's variables with its positional parameters.
fn merged_vars(scope: &Scope) -> HashMap<String, String> {
    let mut vars = scope.vars.clone();
    vars.extend(positional(scope));
    vars
}

/// `$1`… of the scope.
fn positional(scope: &Scope) -> HashMap<String, String> {
    scope
        .args
        .iter()
        .take(9)
        .enumerate()
        .map(|(k, a)| ((k + 1).to_string(), a.clone()))
        .collect()
}

/// Variables a line reads from a settings store: `eval `flash get NAME`` sets NAME;
/// `VAR=$(nvram get name)` and `VAR=`uci get a.b.c`` set VAR.
fn record_settings(line: &str, scope: &mut Scope) {
    if !line.contains('`') && !line.contains("$(") {
        return;
    }
    let t = line.trim();
    let t = t.strip_prefix("export ").unwrap_or(t);
    let t = t.strip_prefix("local ").unwrap_or(t);
    let (target, value) = if let Some(rest) = t.strip_prefix("eval ") {
        (None, rest.trim())
    } else {
        match t.split_once('=') {
            Some((name, value)) if is_assignment(&format!("{name}=")) => (Some(name), value),
            _ => return,
        }
    };
    let value = value.trim_matches('"');
    let inner = if let Some(v) = value.strip_prefix('`') {
        v.split('`').next()
    } else if let Some(v) = value.strip_prefix("$(") {
        v.split(')').next()
    } else {
        None
    };
    let Some(inner) = inner else {
        return;
    };
    let vars = merged_vars(scope);
    let words: Vec<String> = inner
        .split_whitespace()
        .map(|w| expand(w.trim_matches(['"', '\'']), &vars))
        .flat_map(|w| w.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let Some((kind, key)) = setting_source(&words) else {
        return;
    };
    let name = match target {
        Some(v) => v.to_string(),
        // `flash get NAME` prints `NAME=value`, which `eval` assigns.
        None => key.clone(),
    };
    if scope.settings.len() < 1000 {
        scope.settings.insert(name, format!("{kind} {key}"));
    }
}

/// A test's command substitutions (`[ "`uci get x.on`" = 1 ]`) replaced by variables standing
/// for what they read, so the test stays one command.
fn lift_substitutions(code: &str, scope: &mut Scope) -> String {
    let first = code.split_whitespace().next().unwrap_or("");
    if !matches!(
        first,
        "if" | "elif" | "while" | "until" | "[" | "[[" | "test"
    ) || !(code.contains('`') || code.contains("$("))
    {
        return code.to_string();
    }
    let mut out = String::new();
    let mut rest = code;
    while let Some(p) = rest.find(['`', '$']) {
        let (open, close) = if rest[p..].starts_with('`') {
            ("`", '`')
        } else if rest[p..].starts_with("$(") {
            ("$(", ')')
        } else {
            out.push_str(&rest[..=p]);
            rest = &rest[p + 1..];
            continue;
        };
        let inner_start = p + open.len();
        let Some(len) = rest[inner_start..].find(close) else {
            break;
        };
        let inner = &rest[inner_start..inner_start + len];
        let words: Vec<String> = inner
            .split_whitespace()
            .map(|w| expand(w.trim_matches(['"', '\'']), &merged_vars(scope)))
            .collect();
        let meaning = match setting_source(&words) {
            Some((kind, key)) => format!("{kind} {key}"),
            None => format!("the output of `{}`", excerpt(inner)),
        };
        let name = format!("_SUBST{}", scope.settings.len());
        if scope.settings.len() < 1000 {
            scope.settings.insert(name.clone(), meaning);
        }
        out.push_str(&rest[..p]);
        out.push('$');
        out.push_str(&name);
        rest = &rest[inner_start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// What a command substitution reads: (`the flash setting`, `ENABLE_ECFLAG`).
fn setting_source(words: &[String]) -> Option<(String, String)> {
    let first = base_name(words.first()?);
    let rest: Vec<&str> = words[1..]
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    let key = |i: usize| rest.get(i).map(|k| k.to_string());
    match first {
        "flash" if rest.first() == Some(&"get") => Some(("the flash setting".into(), key(1)?)),
        "nvram" if rest.first() == Some(&"get") => Some(("the NVRAM setting".into(), key(1)?)),
        "uci" if rest.first() == Some(&"get") => Some(("the UCI option".into(), key(1)?)),
        "fw_printenv" => Some(("the boot-loader variable".into(), key(0)?)),
        "cat" => Some(("the contents of".into(), key(0)?)),
        _ if rest.first() == Some(&"get") && first.len() <= 32 => {
            Some((format!("the {first} setting"), key(1)?))
        }
        _ => None,
    }
}

/// A word of a test in words: `$ENABLE_ECFLAG` → "the flash setting ENABLE_ECFLAG".
fn operand(word: &str, scope: &Scope) -> String {
    let name = word
        .strip_prefix("${")
        .and_then(|w| w.strip_suffix('}'))
        .or_else(|| word.strip_prefix('$'));
    if let Some(name) = name {
        if let Some(s) = scope.settings.get(name) {
            return s.clone();
        }
        if let Some(v) = positional(scope).get(name) {
            return format!("`{v}` (${name})");
        }
        return format!("${name}");
    }
    if word.is_empty() {
        "empty".into()
    } else {
        format!("`{word}`")
    }
}

/// What a test command (`[ "$X" = 0 ]`, `grep -q a f`) says when it succeeds (`negated`: when it
/// fails).
fn test_meaning(words: &[String], negated: bool, scope: &Scope) -> String {
    let mut w: &[String] = words;
    let mut neg = negated;
    while let Some(rest) = w.strip_prefix(&["!".to_string()][..]) {
        neg = !neg;
        w = rest;
    }
    let bracket = matches!(w.first().map(String::as_str), Some("[" | "[[" | "test"));
    if bracket {
        let inner = &w[1..];
        let inner = match inner.last().map(String::as_str) {
            Some("]" | "]]") => &inner[..inner.len() - 1],
            _ => inner,
        };
        let mut inner = inner;
        while let Some(rest) = inner.strip_prefix(&["!".to_string()][..]) {
            neg = !neg;
            inner = rest;
        }
        let is = if neg { "is not" } else { "is" };
        let isnt = if neg { "is" } else { "is not" };
        match inner {
            [a, op, b] => {
                let (a, b) = (operand(a, scope), operand(b, scope));
                let phrase = match op.as_str() {
                    "=" | "==" | "-eq" => Some(format!("{a} {is} {b}")),
                    "!=" | "-ne" => Some(format!("{a} {isnt} {b}")),
                    "-gt" => Some(format!("{a} {is} greater than {b}")),
                    "-ge" => Some(format!("{a} {is} at least {b}")),
                    "-lt" => Some(format!("{a} {is} less than {b}")),
                    "-le" => Some(format!("{a} {is} at most {b}")),
                    _ => None,
                };
                if let Some(p) = phrase {
                    return p;
                }
            }
            [op, a] => {
                let a_desc = operand(a, scope);
                let phrase = match op.as_str() {
                    "-z" => Some(format!("{a_desc} {is} empty")),
                    "-n" => Some(format!("{a_desc} {isnt} empty")),
                    "-e" | "-f" | "-d" | "-s" | "-r" | "-x" | "-L" | "-h" => Some(format!(
                        "the file {a} {}",
                        if neg { "does not exist" } else { "exists" }
                    )),
                    _ => None,
                };
                if let Some(p) = phrase {
                    return p;
                }
            }
            [a] => return format!("{} {isnt} empty", operand(a, scope)),
            _ => {}
        }
    }
    format!(
        "`{}` {}",
        excerpt(&w.join(" ")),
        if neg { "fails" } else { "succeeds" }
    )
}

/// The opposite of a condition (an `else` branch).
fn negate(c: Condition) -> Condition {
    let meaning = if let Some(m) = c.meaning.strip_suffix(" succeeds") {
        format!("{m} fails")
    } else if let Some(m) = c.meaning.strip_suffix(" fails") {
        format!("{m} succeeds")
    } else if c.meaning.contains(" is not ") {
        c.meaning.replacen(" is not ", " is ", 1)
    } else if c.meaning.contains(" is ") {
        c.meaning.replacen(" is ", " is not ", 1)
    } else if c.meaning.contains(" does not exist") {
        c.meaning.replacen(" does not exist", " exists", 1)
    } else if c.meaning.contains(" exists") {
        c.meaning.replacen(" exists", " does not exist", 1)
    } else {
        format!("not ({})", c.meaning)
    };
    Condition {
        meaning,
        evidence: c.evidence,
    }
}

/// The condition of a `case` branch in words: `None` when the branch is not taken (a stop
/// branch, or a pattern the known value does not match), `Some(None)` when it is taken whatever
/// happens (the value is known and matches).
fn case_branch(subject: &str, value: Option<&str>, pattern: &str) -> Option<Option<String>> {
    let patterns: Vec<&str> = pattern.split('|').map(str::trim).collect();
    match value {
        Some(v) => patterns.iter().any(|p| glob(p, v)).then_some(None),
        None => {
            if patterns.iter().all(|p| is_stop_name(p)) {
                None
            } else if patterns.contains(&"*") {
                Some(Some(format!("{subject} matches no earlier branch")))
            } else {
                Some(Some(format!("{subject} is {}", patterns.join(" or "))))
            }
        }
    }
}

/// A `case` pattern with `*` wildcards matches a value.
pub(super) fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value.ends_with(last) || value.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(p) => rest = &rest[p + mid.len()..],
            None => return false,
        }
    }
    true
}
