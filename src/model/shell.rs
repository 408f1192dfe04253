//! Shell scripts (entrypoint.sh, scripts/*.sh) as commands with spans.
//!
//! Not a full shell parser: a single linear pass of a lexer that knows what a
//! linter needs to get right so that it never misreads a script — quotes
//! (`'…'`, `"…"`), `$(…)`, `${…}`, backticks, `\` escapes and line
//! continuations, comments, heredocs (`<<EOF`, `<<-EOF`, `<<'EOF'`: bodies
//! are skipped), redirections (their targets are not words), the command
//! separators `; & && || | |&` and newlines, and the nesting of compound
//! commands (`if … fi`, `while/until/for … done`, `case … esac`, `{ … }`,
//! `( … )`, function bodies). Each simple command keeps its words with the
//! quotes removed and byte ranges into the text.
//!
//! The same lexer splits a Dockerfile `RUN` into commands
//! ([`crate::model::dockerfile`]).
//!
//! On top of it, [`Script`] answers the questions of the `scripts/*` rules:
//! is strict mode on ([`Script::strict_mode`]) and which boot steps the
//! entrypoint runs, in which order ([`Script::boot_steps`]).

use crate::finding::{parse_pragma, Span, Suppression};
use crate::source::SourceFile;

/// A word of a command, quotes removed (`"$dir/cli.js"` → `$dir/cli.js`;
/// expansions are kept as written). `start..end` are byte offsets of the
/// word as written, quotes included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexWord {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Any part of it was quoted or escaped (so `"{"` is not a brace).
    pub quoted: bool,
}

/// A simple command: its words (assignments and redirections excluded from
/// nothing but the redirection targets), where it is and how deep it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexCommand {
    pub words: Vec<LexWord>,
    pub start: usize,
    pub end: usize,
    /// Nesting of compound commands around it (0: top level).
    pub depth: u32,
    /// Inside a function body (runs only when the function is called).
    pub in_function: bool,
}

/// A heredoc whose body had not started when the text ended (a Dockerfile
/// `RUN <<EOF` line: the Dockerfile parser reads the body from the lines
/// that follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHeredoc {
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from the body and the delimiter line.
    pub strip_tabs: bool,
    /// Byte offset of the `<<`.
    pub at: usize,
}

/// A `#` comment: `start` is the `#`, `end` the end of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexComment {
    pub start: usize,
    pub end: usize,
    /// Nothing but blanks before it on its line.
    pub whole_line: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexed {
    pub commands: Vec<LexCommand>,
    pub comments: Vec<LexComment>,
    /// Heredocs still open at the end of the text.
    pub pending_heredocs: Vec<PendingHeredoc>,
    /// (byte offset, message): unterminated quotes and the like.
    pub errors: Vec<(usize, String)>,
}

/// What [`Lexer::scan_nested`] is inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nest {
    Dq,
    Bt,
    Paren(u32),
    Brace(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Other,
    Case,
    Paren,
    Function,
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    out: Lexed,
    words: Vec<LexWord>,
    word: Option<LexWord>,
    stack: Vec<Block>,
    /// How many `Block::Function`s are on the stack.
    functions: usize,
    /// Reading a `case` arm's pattern (`a|b)`): `|` separates alternatives.
    in_pattern: bool,
    /// A `name()` or `function name` was just seen: the next `{` is a body.
    function_pending: bool,
    /// The next word is the target of a redirection.
    skip_next_word: bool,
    pending: Vec<PendingHeredoc>,
}

/// Lexes shell text into commands. Linear in the text; never panics.
pub fn lex(text: &str) -> Lexed {
    let mut lx = Lexer {
        s: text,
        b: text.as_bytes(),
        i: 0,
        out: Lexed::default(),
        words: Vec::new(),
        word: None,
        stack: Vec::new(),
        functions: 0,
        in_pattern: false,
        function_pending: false,
        skip_next_word: false,
        pending: Vec::new(),
    };
    lx.run();
    lx.out
}

const MAX_DEPTH: usize = 10_000;

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.end_word();
                    self.i += 1;
                }
                b'\n' => {
                    self.end_word();
                    self.end_command(self.i);
                    self.i += 1;
                    self.read_heredoc_bodies();
                }
                b'#' if self.word.is_none() => {
                    let end = self.line_end(self.i);
                    // Only blanks back to the line start (a bounded walk: linear overall).
                    let mut j = self.i;
                    while j > 0 && matches!(self.b[j - 1], b' ' | b'\t' | b'\r') {
                        j -= 1;
                    }
                    let whole_line = j == 0 || self.b[j - 1] == b'\n';
                    self.out.comments.push(LexComment { start: self.i, end, whole_line });
                    self.i = end;
                }
                b'\\' => {
                    if self.b.get(self.i + 1) == Some(&b'\n') {
                        self.i += 2; // line continuation
                    } else if self.b.get(self.i + 1) == Some(&b'\r') && self.b.get(self.i + 2) == Some(&b'\n') {
                        self.i += 3;
                    } else {
                        let start = self.i;
                        self.i += 1;
                        let ch = self.take_char();
                        let w = self.word_at(start);
                        w.quoted = true;
                        if let Some(ch) = ch {
                            w.text.push(ch);
                        }
                    }
                }
                b'\'' => {
                    let start = self.i;
                    let close = self.s[self.i + 1..].find('\'').map(|p| self.i + 1 + p);
                    let end = match close {
                        Some(p) => p,
                        None => {
                            self.out.errors.push((start, "unterminated single quote".into()));
                            self.b.len()
                        }
                    };
                    let content = &self.s[start + 1..end];
                    let w = self.word_at(start);
                    w.quoted = true;
                    w.text.push_str(content);
                    self.i = (end + 1).min(self.b.len());
                }
                b'"' => {
                    let start = self.i;
                    let end = self.skip_double_quoted(start + 1);
                    let closed = end <= self.b.len();
                    let content_end = if closed { end - 1 } else { self.b.len() };
                    if !closed {
                        self.out.errors.push((start, "unterminated double quote".into()));
                    }
                    let content = unescape_double(&self.s[start + 1..content_end.max(start + 1)]);
                    let w = self.word_at(start);
                    w.quoted = true;
                    w.text.push_str(&content);
                    self.i = end.min(self.b.len());
                }
                b'$' => {
                    let start = self.i;
                    let end = match self.b.get(self.i + 1) {
                        Some(b'(') => self.skip_balanced(self.i + 1, b'(', b')'),
                        Some(b'{') => self.skip_balanced(self.i + 1, b'{', b'}'),
                        _ => self.i + 1,
                    };
                    if end > self.b.len() {
                        self.out.errors.push((start, "unterminated `$(` or `${`".into()));
                    }
                    let end = end.min(self.b.len());
                    let raw = &self.s[start..end];
                    let w = self.word_at(start);
                    w.text.push_str(raw);
                    self.i = end;
                }
                b'`' => {
                    let start = self.i;
                    let mut j = self.i + 1;
                    while j < self.b.len() && self.b[j] != b'`' {
                        j += if self.b[j] == b'\\' { 2 } else { 1 };
                    }
                    if j >= self.b.len() {
                        self.out.errors.push((start, "unterminated backquote".into()));
                    }
                    let end = (j + 1).min(self.b.len());
                    let raw = &self.s[start..end];
                    let w = self.word_at(start);
                    w.text.push_str(raw);
                    self.i = end;
                }
                b'|' if self.in_pattern => {
                    self.end_word();
                    self.i += 1;
                }
                b';' | b'&' | b'|' => {
                    self.end_word();
                    let two = self.b.get(self.i + 1).copied();
                    let len = match (c, two) {
                        (b';', Some(b';')) | (b';', Some(b'&')) | (b'&', Some(b'&')) | (b'|', Some(b'|')) | (b'|', Some(b'&')) => 2,
                        (b'&', Some(b'>')) => {
                            // `&>file`: a redirection, not a separator.
                            self.i += 2;
                            if self.b.get(self.i) == Some(&b'>') {
                                self.i += 1;
                            }
                            self.skip_next_word = true;
                            continue;
                        }
                        _ => 1,
                    };
                    self.end_command(self.i);
                    if c == b';' && len == 2 && self.stack.last() == Some(&Block::Case) {
                        self.in_pattern = true; // `;;` ends an arm: a pattern follows
                    }
                    self.i += len;
                }
                b'<' | b'>' => self.redirection(),
                b'(' => {
                    // `a=(1 2)`: an array assignment stays one word.
                    if let Some(w) = &self.word {
                        if w.text.ends_with('=') && !w.quoted {
                            let start = self.i;
                            let end = self.skip_balanced(self.i, b'(', b')').min(self.b.len());
                            let raw = &self.s[start..end];
                            if let Some(w) = self.word.as_mut() {
                                w.text.push_str(raw);
                            }
                            self.i = end;
                            continue;
                        }
                    }
                    self.end_word();
                    // `name()` or `name ()`: a function definition.
                    let rest = &self.s[self.i + 1..];
                    let after = rest.trim_start_matches([' ', '\t']);
                    if after.starts_with(')') && self.words.len() == 1 && !self.words[0].quoted {
                        self.words.clear();
                        self.function_pending = true;
                        self.i = self.b.len() - after.len() + 1;
                        continue;
                    }
                    self.end_command(self.i);
                    self.push(Block::Paren);
                    self.i += 1;
                }
                b')' => {
                    self.end_word();
                    if self.stack.last() == Some(&Block::Case) {
                        // The end of a case pattern: the pattern is not a command.
                        self.words.clear();
                        self.in_pattern = false;
                    } else {
                        self.end_command(self.i);
                        if self.stack.last() == Some(&Block::Paren) {
                            self.pop();
                        }
                    }
                    self.i += 1;
                }
                _ => {
                    let start = self.i;
                    let ch = self.take_char();
                    let w = self.word_at(start);
                    if let Some(ch) = ch {
                        w.text.push(ch);
                    }
                }
            }
        }
        self.end_word();
        self.end_command(self.b.len());
        self.out.pending_heredocs = std::mem::take(&mut self.pending);
    }

    /// The next character at `self.i` (advancing past it).
    fn take_char(&mut self) -> Option<char> {
        let ch = self.s.get(self.i..).and_then(|r| r.chars().next());
        self.i += ch.map(char::len_utf8).unwrap_or(1);
        ch
    }

    fn line_end(&self, from: usize) -> usize {
        self.s[from..].find('\n').map(|p| from + p).unwrap_or(self.b.len())
    }

    fn word_at(&mut self, start: usize) -> &mut LexWord {
        let end = self.i;
        let w = self.word.get_or_insert_with(|| LexWord { text: String::new(), start, end, quoted: false });
        w.end = end.max(w.end);
        w
    }

    fn end_word(&mut self) {
        if let Some(mut w) = self.word.take() {
            w.end = self.i.max(w.start).min(self.b.len());
            if self.skip_next_word {
                self.skip_next_word = false;
            } else {
                self.words.push(w);
            }
        }
    }

    fn push(&mut self, b: Block) {
        if self.stack.len() < MAX_DEPTH {
            if b == Block::Function {
                self.functions += 1;
            }
            self.stack.push(b);
        }
    }

    fn pop(&mut self) {
        if self.stack.pop() == Some(Block::Function) {
            self.functions -= 1;
        }
    }

    /// Finishes the current simple command: strips reserved words (and
    /// tracks the nesting they open and close), then records it.
    fn end_command(&mut self, end: usize) {
        self.skip_next_word = false;
        let mut words = std::mem::take(&mut self.words);
        let mut k = 0;
        while k < words.len() && !words[k].quoted {
            match words[k].text.as_str() {
                "if" | "while" | "until" => self.push(Block::Other),
                "then" | "do" | "else" | "elif" | "!" | "time" => {}
                "fi" | "done" | "esac" | "}" => {
                    self.in_pattern = false;
                    self.pop()
                }
                "{" => {
                    let b = if self.function_pending { Block::Function } else { Block::Other };
                    self.function_pending = false;
                    self.push(b);
                }
                "case" => {
                    self.push(Block::Case);
                    self.in_pattern = true;
                    k = words.len(); // `case WORD in`
                    break;
                }
                "for" | "select" => {
                    self.push(Block::Other);
                    k = words.len(); // `for x in …` is a header, not a command
                    break;
                }
                "function" => {
                    self.function_pending = true;
                    k = words.len();
                    break;
                }
                _ => break,
            }
            k += 1;
        }
        if k >= words.len() {
            return;
        }
        let words: Vec<LexWord> = words.drain(k..).collect();
        let start = words[0].start;
        let end = end.max(words.last().map(|w| w.end).unwrap_or(start));
        let in_function = self.functions > 0;
        self.out.commands.push(LexCommand { words, start, end, depth: self.stack.len() as u32, in_function });
    }

    /// Skips from the `open` (`(` or `{`) at `i` to just past its matching
    /// `close`, stepping over quotes and nested substitutions. Returns
    /// `len + 1` when unterminated.
    fn skip_balanced(&self, i: usize, open: u8, _close: u8) -> usize {
        let ctx = if open == b'(' { Nest::Paren(1) } else { Nest::Brace(1) };
        self.scan_nested(i + 1, ctx)
    }

    /// From just after an opening `"`, returns the offset just past the
    /// closing `"` (or `len + 1` when there is none).
    fn skip_double_quoted(&self, from: usize) -> usize {
        self.scan_nested(from, Nest::Dq)
    }

    /// The scanner behind both: an explicit stack instead of recursion, so
    /// `"$("$("$(…` nested a million deep cannot overflow the stack.
    fn scan_nested(&self, from: usize, first: Nest) -> usize {
        let b = self.b;
        let mut stack = vec![first];
        let mut j = from;
        while j < b.len() {
            let c = b[j];
            let Some(top) = stack.last_mut() else { return j };
            match (top, c) {
                (_, b'\\') => {
                    j += 2;
                    continue;
                }
                (Nest::Dq, b'"') | (Nest::Bt, b'`') => {
                    stack.pop();
                }
                (Nest::Dq, b'$') if matches!(b.get(j + 1), Some(b'(') | Some(b'{')) => {
                    stack.push(if b[j + 1] == b'(' { Nest::Paren(1) } else { Nest::Brace(1) });
                    j += 2;
                    if stack.len() > 1_000_000 {
                        return b.len() + 1;
                    }
                    continue;
                }
                (Nest::Dq, b'`') | (Nest::Paren(_), b'`') => stack.push(Nest::Bt),
                (Nest::Dq, _) | (Nest::Bt, _) => {}
                (Nest::Paren(_), b'\'') => match self.s[j + 1..].find('\'') {
                    Some(p) => {
                        j = j + 1 + p + 1;
                        continue;
                    }
                    None => return b.len() + 1,
                },
                (Nest::Paren(_) | Nest::Brace(_), b'"') => stack.push(Nest::Dq),
                (Nest::Paren(d), b'(') | (Nest::Brace(d), b'{') => *d += 1,
                (Nest::Paren(d), b')') | (Nest::Brace(d), b'}') => {
                    *d -= 1;
                    if *d == 0 {
                        stack.pop();
                    }
                }
                _ => {}
            }
            j += 1;
            if stack.is_empty() {
                return j;
            }
        }
        b.len() + 1
    }

    /// `<`, `>`, `>>`, `<&`, `>&`, `<>`, `>|`, `<<<`, `<<EOF`, `<<-EOF`.
    fn redirection(&mut self) {
        // A word made only of digits right before the operator is a file descriptor.
        if let Some(w) = &self.word {
            if !w.quoted && w.end == self.i && w.text.bytes().all(|c| c.is_ascii_digit()) {
                self.word = None;
            }
        }
        self.end_word();
        let at = self.i;
        let c = self.b[self.i];
        self.i += 1;
        if c == b'<' && self.b.get(self.i) == Some(&b'<') {
            self.i += 1;
            if self.b.get(self.i) == Some(&b'<') {
                self.i += 1; // here-string: the next word is its text
                self.skip_next_word = true;
                return;
            }
            let strip_tabs = self.b.get(self.i) == Some(&b'-');
            if strip_tabs {
                self.i += 1;
            }
            while matches!(self.b.get(self.i), Some(b' ') | Some(b'\t')) {
                self.i += 1;
            }
            // The delimiter: a word, quotes removed.
            let mut delim = String::new();
            while self.i < self.b.len() {
                let d = self.b[self.i];
                match d {
                    b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
                    b'\'' | b'"' => {
                        let q = d as char;
                        let close = self.s[self.i + 1..].find(q).map(|p| self.i + 1 + p).unwrap_or(self.b.len());
                        delim.push_str(&self.s[self.i + 1..close]);
                        self.i = (close + 1).min(self.b.len());
                    }
                    b'\\' => {
                        self.i += 1;
                    }
                    _ => {
                        if let Some(ch) = self.take_char() {
                            delim.push(ch);
                        }
                    }
                }
            }
            if delim.is_empty() {
                self.out.errors.push((at, "heredoc `<<` without a delimiter".into()));
            } else {
                self.pending.push(PendingHeredoc { delimiter: delim, strip_tabs, at });
            }
            return;
        }
        match self.b.get(self.i) {
            Some(b'>') | Some(b'&') | Some(b'|') => self.i += 1,
            _ => {}
        }
        if c == b'<' && self.b.get(self.i) == Some(&b'>') {
            self.i += 1;
        }
        self.skip_next_word = true;
    }

    /// After a newline: skips the bodies of the heredocs opened on the line.
    fn read_heredoc_bodies(&mut self) {
        for h in std::mem::take(&mut self.pending) {
            match find_heredoc_end(self.s, self.i, &h.delimiter, h.strip_tabs) {
                Some(end) => {
                    self.i = end;
                }
                None => {
                    self.out.errors.push((h.at, format!("heredoc `{}` is never terminated", h.delimiter)));
                    self.i = self.b.len();
                }
            }
        }
    }
}

/// From `from` (the start of a line), finds the line that is exactly
/// `delim` (leading tabs stripped for `<<-`) and returns the offset just
/// past it (past its newline). None when there is none.
pub fn find_heredoc_end(s: &str, from: usize, delim: &str, strip_tabs: bool) -> Option<usize> {
    let mut pos = from;
    while pos < s.len() {
        let nl = s[pos..].find('\n').map(|p| pos + p);
        let line_end = nl.unwrap_or(s.len());
        let mut line = &s[pos..line_end];
        line = line.strip_suffix('\r').unwrap_or(line);
        if strip_tabs {
            line = line.trim_start_matches('\t');
        }
        if line == delim {
            return Some(nl.map(|n| n + 1).unwrap_or(s.len()));
        }
        match nl {
            Some(n) => pos = n + 1,
            None => break,
        }
    }
    None
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('"') | Some('\\') | Some('$') | Some('`') => {
                    if let Some(n) = it.next() {
                        out.push(n);
                    }
                }
                Some('\n') => {
                    it.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The script model

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
const MAX_SUBSTITUTION_LEVELS: u32 = 4;

/// Lexes the bodies of the command substitutions in the words of `cmds`
/// (offsets into `text`), and theirs, up to [`MAX_SUBSTITUTION_LEVELS`].
fn collect_substituted(text: &str, cmds: &[LexCommand], level: u32, out: &mut Vec<LexCommand>) {
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
fn substitution_bodies(raw: &str) -> Vec<(usize, usize)> {
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
fn matching_paren(b: &[u8], from: usize) -> Option<usize> {
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

fn basename(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

/// `end` moved back over trailing blanks (never before `start`).
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    let end = end.min(text.len());
    match text.get(start..end) {
        Some(s) => start + s.trim_end().len(),
        None => end,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::test_soup::soup;
    use super::*;

    fn words(c: &LexCommand) -> Vec<&str> {
        c.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn splits_commands_and_removes_quotes() {
        let l = lex("a 'b c' \"d $(e \"f\")\" && g | h; i\\\n j # k\nl 2>&1 >/dev/null m\n");
        let cs: Vec<Vec<&str>> = l.commands.iter().map(words).collect();
        assert_eq!(cs, vec![vec!["a", "b c", "d $(e \"f\")"], vec!["g"], vec!["h"], vec!["i", "j"], vec!["l", "m"]]);
        assert_eq!(l.comments.len(), 1);
    }

    #[test]
    fn heredocs_are_skipped_and_nesting_is_tracked() {
        let t = "f() {\n  cat <<-'EOF' >x\n\tnot a command\n\tEOF\n  g\n}\nif true; then\n  h\nfi\ncase $x in\n  a|b) k ;;\n  c) ;;\nesac\n";
        let l = lex(t);
        let cs: Vec<(Vec<&str>, u32, bool)> = l.commands.iter().map(|c| (words(c), c.depth, c.in_function)).collect();
        assert_eq!(
            cs,
            vec![
                (vec!["cat"], 1, true),
                (vec!["g"], 1, true),
                (vec!["true"], 1, false),
                (vec!["h"], 1, false),
                (vec!["k"], 1, false)
            ]
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
    }

    #[test]
    fn unterminated_things_are_errors_not_panics() {
        for t in ["'abc", "\"abc", "$(abc", "cat <<EOF\nabc\n", "`x", "\\", "<<", "a=(", "f(", "é\"ü", "))))}}}fi done"] {
            let _ = lex(t);
        }
        assert_eq!(lex("cat <<EOF\nabc\n").errors.len(), 1);
        assert_eq!(lex("RUN <<EOF").pending_heredocs.len(), 1);
    }

    fn script(t: &str) -> Script {
        Script::parse(&SourceFile::new("entrypoint.sh", t.as_bytes().to_vec(), Some(0o100755)))
    }

    #[test]
    fn strict_mode_spellings() {
        for ok in [
            "#!/bin/bash\nset -euo pipefail\nx\n",
            "set -e -u -o pipefail\nx\n",
            "set -Eeuo pipefail\nx\n",
            "set -o errexit -o nounset -o pipefail\nx\n",
            "set -eu\nset -o pipefail\nx\n",
            "set -euo pipefail\nw\nset +e\ny\nset -e\nx\n",
        ] {
            assert_eq!(script(ok).strict_mode(), Strict::Ok, "{ok}");
        }
        assert!(matches!(script("x\nset -euo pipefail\n").strict_mode(), Strict::LateOrPartial { later_set: Some(_), .. }));
        assert!(matches!(script("set -eu\nx\n").strict_mode(), Strict::LateOrPartial { flags: Flags { pipefail: false, .. }, .. }));
        assert!(matches!(script("set -euo pipefail\nw\nset +e\nx\n").strict_mode(), Strict::TurnedOff { .. }));
        assert!(matches!(script("f() { set -euo pipefail; }\nf\n").strict_mode(), Strict::LateOrPartial { .. }));
    }

    #[test]
    fn boot_steps_in_order() {
        let s = script(
            "set -euo pipefail\necho \"[entrypoint] db-init\"\n\"$scripts_dir/apply-db-init.sh\" || rc=$?\n[ \"$rc\" -eq 0 ] || failed db-init \"$rc\"\n\"$scripts_dir/schema-apply.sh\"\nexec \"$node\" \"$TRM_DIRECTUS_DIR/cli.js\" start\n",
        );
        let steps: Vec<(BootStepKind, bool, u32)> = s.boot_steps(&["db-init"], &["db-post"]).iter().map(|b| (b.kind, b.exec, b.span.line)).collect();
        assert_eq!(
            steps,
            vec![(BootStepKind::DbInit, false, 3), (BootStepKind::SchemaApply, false, 5), (BootStepKind::Start, true, 6)]
        );
        let s = script("node /directus/cli.js schema apply --yes /s.yaml\nexec node /directus/cli.js start\n");
        assert_eq!(s.boot_steps(&[], &[])[0].kind, BootStepKind::SchemaApply);
        // The four-step boot: db-post by its script, or the shared runner told its directory.
        for post in ["step db-post \"$scripts_dir/apply-db-post.sh\"", "\"$scripts_dir/apply-db-init.sh\" db-post", "run sql \"$d/apply-post.sh\""] {
            let s = script(&format!("step db-init \"$scripts_dir/apply-db-init.sh\"\nstep schema \"$scripts_dir/schema-apply.sh\"\n{post}\nexec node /directus/cli.js start\n"));
            let kinds: Vec<BootStepKind> = s.boot_steps(&["db-init"], &["db-post", "post"]).iter().map(|b| b.kind).collect();
            assert_eq!(kinds, vec![BootStepKind::DbInit, BootStepKind::SchemaApply, BootStepKind::DbPost, BootStepKind::Start], "{post}");
        }
    }

    #[test]
    fn commands_inside_substitutions_are_found() {
        let t = "x=$(grep -v a \"$1\" | sed -e 's/b/c/')\necho \"$(date -d \"$(cat f)\")\" '$(not)' $((1+2)) `tr a b`\n";
        let s = script(t);
        let progs: Vec<&str> = s.substituted.iter().map(|c| c.argv()[0].text.as_str()).collect();
        assert_eq!(progs, vec!["grep", "sed", "cat", "date", "tr"]);
        let sed = s.substituted.iter().find(|c| c.argv()[0].text == "sed").unwrap();
        assert_eq!((sed.span.line, sed.span.col), (1, 22));
        assert_eq!(sed.argv()[2].text, "s/b/c/");
        assert!(s.commands.iter().all(|c| c.depth == 0));
    }

    #[test]
    fn pragma_covers_next_code_line() {
        let s = script("#!/bin/sh\n# trm-ci: ignore=scripts/strict-mode legacy\n\n# more\nx\n");
        assert_eq!(s.suppressions.len(), 1);
        assert_eq!((s.suppressions[0].first_line, s.suppressions[0].last_line), (5, 5));
    }


    #[test]
    fn random_and_pathological_input_never_panics_and_stays_linear() {
        let alphabet = [
            " ", "\n", "\\", "'", "\"", "$(", "${", ")", "}", "(", "{", "`", "#", ";", "&&", "|", "<<", "<<-", "EOF", "x", "é", "if ",
            "fi", "case ", "esac", ")", "f()", "set -e", "\t", "\r", "=", "2>&1", "<<<",
        ];
        for seed in 0..300 {
            let t = soup(seed, 200, &alphabet);
            let _ = script(&t).strict_mode();
            let _ = script(&t).boot_steps(&["db-init"], &["db-post"]);
        }
        for t in [
            "# trm-ci: ignore=a/b x\n".repeat(50_000),
            "{ ".repeat(50_000) + &"x\n".repeat(50_000),
            "\"$(".repeat(50_000),
            "x 'y' \"z\" $(a) ${b} `c` # d\n".repeat(20_000),
            "cat <<A <<B <<C\n".repeat(20_000),
        ] {
            let s = script(&t);
            let _ = s.strict_mode();
        }
        for t in ["$(".repeat(50_000), "x $(a $(b $(c $(d $(e $(f))))))\n".repeat(2_000), "`".repeat(50_001)] {
            let _ = script(&t);
        }
    }
}
