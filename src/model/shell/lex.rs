//! The lexer: one linear pass that splits a script (or a Dockerfile `RUN`)
//! into simple commands with their words, comments and heredocs.

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
pub(super) enum Nest {
    Dq,
    Bt,
    Paren(u32),
    Brace(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Block {
    Other,
    Case,
    Paren,
    Function,
}

pub(super) struct Lexer<'a> {
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

pub(super) const MAX_DEPTH: usize = 10_000;

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

pub(super) fn unescape_double(s: &str) -> String {
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
