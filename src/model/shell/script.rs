//! The script model: commands with spans, strict mode, the boot steps the
//! entrypoint runs, and the script's inline-ignore pragmas.

use super::lex::*;
use crate::finding::{parse_pragma, Span, Suppression};
use crate::source::SourceFile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Quotes removed, expansions as written.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    pub span: Span,
    pub depth: u32,
    pub in_function: bool,
}

impl Command {
    /// The words after the leading `VAR=value` assignments.
    pub fn argv(&self) -> &[Word] {
        let n = self.words.iter().take_while(|w| is_assignment(&w.text)).count();
        &self.words[n..]
    }

    /// The program, with `exec`, `command`, `env`, `nohup` and a shell
    /// interpreter (`bash script.sh`) skipped; `exec` is reported separately.
    /// Returns (exec?, index into `argv()` of the program).
    pub fn program(&self) -> (bool, usize) {
        let argv = self.argv();
        let mut exec = false;
        let mut k = 0;
        while k < argv.len() {
            match argv[k].text.as_str() {
                "exec" => exec = true,
                "command" | "nohup" | "env" => {}
                s if s.starts_with('-') && k > 0 => {}
                s if is_assignment(s) && k > 0 => {}
                "bash" | "sh" | "/bin/bash" | "/bin/sh" | "/usr/bin/env" | "/usr/bin/bash" if k + 1 < argv.len() => {}
                _ => break,
            }
            k += 1;
        }
        (exec, k)
    }
}

pub fn is_assignment(w: &str) -> bool {
    match w.find('=') {
        Some(p) if p > 0 => {
            let name = w[..p].trim_end_matches('+');
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// The flags of `set -euo pipefail` that the scripts rules want.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub errexit: bool,
    pub nounset: bool,
    pub pipefail: bool,
}

impl Flags {
    pub fn all(self) -> bool {
        self.errexit && self.nounset && self.pipefail
    }
    /// The names of the flags that are off, as `set` spells them.
    pub fn missing(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.errexit {
            v.push("-e");
        }
        if !self.nounset {
            v.push("-u");
        }
        if !self.pipefail {
            v.push("-o pipefail");
        }
        v
    }

    /// Applies one `set` command's arguments.
    pub fn apply_set(&mut self, args: &[Word]) {
        let mut k = 0;
        while k < args.len() {
            let a = args[k].text.as_str();
            if a == "--" || a == "-" {
                break;
            }
            let on = match a.as_bytes().first() {
                Some(b'-') => true,
                Some(b'+') => false,
                _ => break,
            };
            let mut takes_name = 0;
            for ch in a[1..].chars() {
                match ch {
                    'e' => self.errexit = on,
                    'u' => self.nounset = on,
                    'o' => takes_name += 1,
                    _ => {}
                }
            }
            for _ in 0..takes_name {
                k += 1;
                match args.get(k).map(|w| w.text.as_str()) {
                    Some("errexit") => self.errexit = on,
                    Some("nounset") => self.nounset = on,
                    Some("pipefail") => self.pipefail = on,
                    _ => {}
                }
            }
            k += 1;
        }
    }
}

/// What [`Script::strict_mode`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strict {
    /// All three flags are on before the first other top-level command and
    /// stay on to the end.
    Ok,
    /// No command at all.
    Empty,
    /// Not all flags are on when the first other command runs: the flags
    /// then, the last `set` before it, that command, and a later top-level
    /// `set` that completes them if any.
    LateOrPartial { flags: Flags, last_set: Option<Span>, first_command: Span, later_set: Option<Span> },
    /// A top-level `set +e` (etc.) turns a flag off and nothing turns it on again.
    TurnedOff { flags: Flags, at: Span },
}

/// A step of the boot sequence as the entrypoint runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BootStepKind {
    DbInit,
    SchemaApply,
    /// The post-schema SQL (db-post), between the schema apply and the start.
    DbPost,
    Start,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootStep {
    pub kind: BootStepKind,
    /// For `Start`: run with `exec` (replacing the shell).
    pub exec: bool,
    pub span: Span,
    /// Index into `Script::commands`.
    pub command: usize,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub path: String,
    pub suppressions: Vec<Suppression>,
    /// The `#!` line without `#!`, when the first line is one.
    pub shebang: Option<String>,
    pub commands: Vec<Command>,
    /// The commands inside command substitutions (`$(…)`, backquotes) in
    /// the words of `commands` (and of these, a few levels deep): they run
    /// too, but are not steps of the script's own sequence. Their `depth`
    /// counts the substitution as one more level.
    pub substituted: Vec<Command>,
    /// Unterminated quotes and heredocs.
    pub errors: Vec<(String, Span)>,
}

impl Script {
    pub fn parse(src: &SourceFile) -> Script {
        let text = src.text_or_empty();
        let lexed = lex(text);
        let shebang = text.strip_prefix("#!").map(|r| r.lines().next().unwrap_or("").trim().to_string());
        let to_command = |c: &LexCommand| Command {
            words: c.words.iter().map(|w| Word { text: w.text.clone(), span: src.span(w.start, w.end) }).collect(),
            span: src.span(c.start, trim_end(text, c.start, c.end)),
            depth: c.depth,
            in_function: c.in_function,
        };
        let commands: Vec<Command> = lexed.commands.iter().map(to_command).collect();
        let mut nested = Vec::new();
        collect_substituted(text, &lexed.commands, 0, &mut nested);
        let substituted: Vec<Command> = nested.iter().map(to_command).collect();
        let errors = lexed.errors.iter().map(|(at, m)| (m.clone(), src.span(*at, *at + 1))).collect();

        // Suppressions: a whole-line pragma covers the next line that is
        // neither blank nor a comment.
        let mut suppressions = Vec::new();
        let total = src.line_count() as u32;
        // next_code[l]: the first line >= l (1-based) that is neither blank nor a comment.
        let mut next_code = vec![total.max(1); total as usize + 2];
        let lines: Vec<&str> = text.split('\n').collect();
        for line in (1..=total).rev() {
            let l = lines.get(line as usize - 1).copied().unwrap_or("").trim();
            next_code[line as usize] = if !l.is_empty() && !l.starts_with('#') { line } else { next_code[line as usize + 1] };
        }
        for c in lexed.comments.iter().filter(|c| c.whole_line) {
            let body = &text[c.start + 1..c.end];
            let Some((rules, reason)) = parse_pragma(body) else { continue };
            let span = src.span(c.start, trim_end(text, c.start, c.end));
            let line = next_code.get(span.line as usize + 1).copied().unwrap_or(total).min(total.max(1));
            suppressions.push(Suppression {
                file: src.path.clone(),
                span,
                rules,
                reason,
                first_line: line,
                last_line: line,
            });
        }
        Script { path: src.path.clone(), suppressions, shebang, commands, substituted, errors }
    }

    /// Whether `set -euo pipefail` (in any spelling: `set -e -u -o pipefail`,
    /// `set -Eeuo pipefail`, `set -o errexit -o nounset -o pipefail`, split
    /// over several `set` lines) is in effect before the first top-level
    /// command that is not `set` — comments, blank lines and the shebang may
    /// come first, nothing else — and whether it stays on to the end (a
    /// top-level `set +e` must be followed by a `set -e`). Function bodies
    /// and nested blocks are not "top level": a `set` there does not count.
    pub fn strict_mode(&self) -> Strict {
        let top: Vec<&Command> = self.commands.iter().filter(|c| c.depth == 0 && !c.in_function).collect();
        if self.commands.is_empty() {
            return Strict::Empty;
        }
        let mut flags = Flags::default();
        let mut last_set = None;
        let mut first_other = None;
        for (k, c) in top.iter().enumerate() {
            let argv = c.argv();
            if argv.first().map(|w| w.text.as_str()) == Some("set") {
                flags.apply_set(&argv[1..]);
                last_set = Some(c.span);
            } else if argv.first().map(|w| w.text.as_str()) == Some("shopt") {
            } else {
                first_other = Some(k);
                break;
            }
        }
        let Some(first) = first_other else {
            // Only `set` commands at top level (the rest is in functions or blocks).
            return if flags.all() {
                Strict::Ok
            } else {
                let first_command = self.commands.iter().find(|c| c.argv().first().map(|w| w.text.as_str()) != Some("set")).map(|c| c.span);
                Strict::LateOrPartial { flags, last_set, first_command: first_command.or(last_set).unwrap_or(self.commands[0].span), later_set: None }
            };
        };
        if !flags.all() {
            // Is there a later top-level set that completes them?
            let mut f = flags;
            let mut later_set = None;
            for c in &top[first..] {
                let argv = c.argv();
                if argv.first().map(|w| w.text.as_str()) == Some("set") {
                    f.apply_set(&argv[1..]);
                    if f.all() {
                        later_set = Some(c.span);
                        break;
                    }
                }
            }
            return Strict::LateOrPartial { flags, last_set, first_command: top[first].span, later_set };
        }
        // Stays on to the end?
        let mut f = flags;
        let mut turned_off: Option<Span> = None;
        for c in &top[first..] {
            let argv = c.argv();
            if argv.first().map(|w| w.text.as_str()) == Some("set") {
                let before = f;
                f.apply_set(&argv[1..]);
                if f.all() {
                    turned_off = None;
                } else if before.all() {
                    turned_off = Some(c.span);
                }
            }
        }
        match turned_off {
            Some(at) => Strict::TurnedOff { flags: f, at },
            None => Strict::Ok,
        }
    }

    /// The boot steps this script runs, in the order they appear (function
    /// bodies included: they are usually defined where they are used).
    ///
    /// - db-init: a command whose program, or a `*.sh` argument, has a file
    ///   name containing `db-init`, `db_init` or one of `markers` (the
    ///   configured migrations directory's name);
    /// - db-post: the same with `db-post`, `db_post` or one of `post_markers`
    ///   (the configured post-schema directory's name), or the db-init runner
    ///   given one of those names as a plain argument
    ///   (`apply-db-init.sh db-post`);
    /// - schema apply: a program or `*.sh` argument whose name contains
    ///   `schema-apply`, `schema_apply` or `apply-schema`, or the words
    ///   `schema apply` (the Directus CLI);
    /// - start: `start` run by Directus's `cli.js`, `directus`, or
    ///   `pm2-runtime`; `exec` tells whether it replaces the shell.
    ///
    /// `echo`, `printf`, `:` and `test` never count (log lines name steps too).
    pub fn boot_steps(&self, markers: &[&str], post_markers: &[&str]) -> Vec<BootStep> {
        let mut out = Vec::new();
        let mut db_needles: Vec<&str> = vec!["db-init", "db_init"];
        db_needles.extend(markers.iter().copied().filter(|m| !m.is_empty()));
        let mut post_needles: Vec<&str> = vec!["db-post", "db_post"];
        post_needles.extend(post_markers.iter().copied().filter(|m| !m.is_empty() && !db_needles.contains(m)));
        for (idx, c) in self.commands.iter().enumerate() {
            let argv = c.argv();
            let (exec, p) = c.program();
            let Some(prog) = argv.get(p) else { continue };
            let prog_name = basename(&prog.text);
            if matches!(prog_name, "echo" | "printf" | ":" | "test" | "[" | "[[" | "true" | "false" | "cd" | "export" | "local" | "readonly" | "declare") {
                continue;
            }
            let named = |needles: &[&str]| -> bool {
                needles.iter().any(|n| prog_name.contains(n))
                    || argv[p..]
                        .iter()
                        .map(|w| basename(&w.text))
                        .filter(|n| n.ends_with(".sh") && !n.contains(char::is_whitespace))
                        .any(|name| needles.iter().any(|n| name.contains(n)))
            };
            let words: Vec<&str> = argv[p..].iter().map(|w| w.text.as_str()).collect();
            let kind = if words.contains(&"start")
                && (matches!(prog_name, "pm2-runtime" | "directus")
                    || argv[p..].iter().any(|w| matches!(basename(&w.text), "cli.js" | "directus")))
            {
                Some(BootStepKind::Start)
            } else if named(&["schema-apply", "schema_apply", "apply-schema", "apply_schema"])
                || words.windows(2).any(|w| w == ["schema", "apply"])
            {
                Some(BootStepKind::SchemaApply)
            } else if named(&post_needles) {
                Some(BootStepKind::DbPost)
            } else if named(&db_needles) {
                // The shared runner told to run the post-schema directory.
                let post_arg = argv[p + 1..].iter().any(|w| !w.text.ends_with(".sh") && post_needles.contains(&w.text.as_str()));
                Some(if post_arg { BootStepKind::DbPost } else { BootStepKind::DbInit })
            } else {
                None
            };
            if let Some(kind) = kind {
                out.push(BootStep { kind, exec, span: c.span, command: idx });
            }
        }
        out
    }
}

/// How deep command substitutions inside command substitutions are followed.
pub(super) const MAX_SUBSTITUTION_LEVELS: u32 = 4;

/// Lexes the bodies of the command substitutions in the words of `cmds`
/// (offsets into `text`), and theirs, up to [`MAX_SUBSTITUTION_LEVELS`].
pub(super) fn collect_substituted(text: &str, cmds: &[LexCommand], level: u32, out: &mut Vec<LexCommand>) {
    if level >= MAX_SUBSTITUTION_LEVELS {
        return;
    }
    for c in cmds {
        for w in &c.words {
            let Some(raw) = text.get(w.start..w.end) else { continue };
            if !raw.contains("$(") && !raw.contains('`') {
                continue;
            }
            for (s, e) in substitution_bodies(raw) {
                let (abs_s, abs_e) = (w.start + s, w.start + e);
                let Some(body) = text.get(abs_s..abs_e) else { continue };
                let mut inner = lex(body).commands;
                for ic in &mut inner {
                    ic.start += abs_s;
                    ic.end += abs_s;
                    for iw in &mut ic.words {
                        iw.start += abs_s;
                        iw.end += abs_s;
                    }
                    ic.depth += c.depth + 1;
                    ic.in_function |= c.in_function;
                }
                collect_substituted(text, &inner, level + 1, out);
                out.extend(inner);
            }
        }
    }
}

/// The byte ranges of the bodies of `$(…)` (not `$((…))`) and `` `…` ``
/// in a word as written, outside single quotes. Unterminated ones are left out.
pub(super) fn substitution_bodies(raw: &str) -> Vec<(usize, usize)> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut in_dq) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' if !in_dq => match raw[i + 1..].find('\'') {
                Some(p) => i += p + 2,
                None => return out,
            },
            b'"' => {
                in_dq = !in_dq;
                i += 1;
            }
            b'$' if b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') => match matching_paren(b, i + 2) {
                Some(close) => {
                    out.push((i + 2, close));
                    i = close + 1;
                }
                None => return out,
            },
            b'`' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'`' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= b.len() {
                    return out;
                }
                out.push((i + 1, j));
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// From just inside a `(`, the offset of its matching `)`, stepping over
/// quotes and escapes.
pub(super) fn matching_paren(b: &[u8], from: usize) -> Option<usize> {
    let (mut depth, mut j) = (1u32, from);
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'\'' => {
                j += 1;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
            }
            b'"' => {
                j += 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

pub(super) fn basename(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

/// `end` moved back over trailing blanks (never before `start`).
pub(super) fn trim_end(text: &str, start: usize, end: usize) -> usize {
    let end = end.min(text.len());
    match text.get(start..end) {
        Some(s) => start + s.trim_end().len(),
        None => end,
    }
}
