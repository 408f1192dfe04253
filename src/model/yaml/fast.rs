//! A fast path for the YAML that `directus schema snapshot` writes (js-yaml's
//! block style: block mappings and sequences, plain and quoted one-line
//! scalars, `[]`/`{}`, literal and simple folded block scalars, comments).
//! It builds the same tree as the event parser, about ten times faster. On
//! anything outside that subset (anchors, tags, flow collections, multi-line
//! flow scalars, documents markers, tabs, any error but duplicate keys) it
//! gives up, and the file goes through yaml-rust2, which also reports the
//! errors.

use super::*;
use crate::finding::Span;

struct Line {
    /// Byte offset where the line starts.
    start: usize,
    /// Columns of structural indentation (spaces; `- ` of a compact
    /// sequence entry counts as indentation for its content).
    indent: usize,
    /// Byte offset where the line's text ends (before `\r\n` / `\n`).
    end: usize,
    /// Blank or a comment only.
    blank: bool,
}

pub(super) struct Fast<'a> {
    src: &'a SourceFile,
    text: &'a str,
    lines: Vec<Line>,
    i: usize,
    pub(super) nodes: Vec<Node>,
    pub(super) issues: Vec<Issue>,
}

type R<T> = Option<T>;

pub(super) fn parse<'a>(src: &'a SourceFile, text: &'a str) -> Option<Fast<'a>> {
    let mut lines = Vec::with_capacity(text.len() / 16);
    // A byte-order mark is dropped, as js-yaml (Directus's loader) drops it.
    let mut start = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let bytes = text.as_bytes();
    while start <= text.len() {
        let nl = memchr(bytes, b'\n', start).unwrap_or(text.len());
        let mut end = nl;
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        let blank = rest.iter().all(|&b| b == b' ' || b == b'\t') || rest.first() == Some(&b'#');
        if !blank && rest.first() == Some(&b'\t') {
            return None;
        }
        lines.push(Line { start, indent, end, blank });
        if nl == text.len() {
            break;
        }
        start = nl + 1;
    }
    // About two nodes per line in a snapshot: allocate once.
    let nodes = Vec::with_capacity(lines.len() * 2 + 8);
    let mut f = Fast { src, text, lines, i: 0, nodes, issues: Vec::new() };
    f.run()?;
    Some(f)
}

fn memchr(hay: &[u8], needle: u8, from: usize) -> Option<usize> {
    hay.get(from..)?.iter().position(|&b| b == needle).map(|p| p + from)
}

impl<'a> Fast<'a> {
    fn run(&mut self) -> R<()> {
        let Some(first) = self.next_content(0) else { return Some(()) };
        let c = self.content(first);
        if c.starts_with("---") || c.starts_with("...") || c.starts_with('%') {
            return None;
        }
        self.i = first;
        self.node(0)?;
        if self.next_content(self.i).is_some() {
            return None;
        }
        Some(())
    }

    /// The root node (the first allocated is not necessarily the root:
    /// children are allocated first).
    pub(super) fn root(&self) -> Option<NodeId> {
        if self.nodes.is_empty() {
            None
        } else {
            Some(self.nodes.len() - 1)
        }
    }

    fn next_content(&self, from: usize) -> Option<usize> {
        (from..self.lines.len()).find(|&j| !self.lines[j].blank)
    }

    fn content(&self, j: usize) -> &'a str {
        let l = &self.lines[j];
        self.text.get(l.start + l.indent..l.end).unwrap_or("")
    }

    fn content_start(&self, j: usize) -> usize {
        self.lines[j].start + self.lines[j].indent
    }

    /// The span of bytes `start..end`, both on line `j` (no line-index search).
    fn span(&self, j: usize, start: usize, end: usize) -> Span {
        self.src.span_on_line(j as u32 + 1, start, end)
    }

    fn alloc(&mut self, kind: NodeKind, span: Span) -> NodeId {
        self.nodes.push(Node { kind, span });
        self.nodes.len() - 1
    }

    fn line_end_trimmed(&self, j: usize) -> usize {
        let l = &self.lines[j];
        let b = self.text.as_bytes();
        let mut e = l.end;
        while e > l.start + l.indent && (b[e - 1] == b' ' || b[e - 1] == b'\t') {
            e -= 1;
        }
        e
    }

    fn is_dash(c: &str) -> bool {
        c == "-" || c.starts_with("- ")
    }

    /// The node starting at the current line.
    fn node(&mut self, depth: usize) -> R<NodeId> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let j = self.i;
        let c = self.content(j);
        if Self::is_dash(c) {
            self.seq(depth)
        } else if split_key(c).is_some() {
            self.map(depth)
        } else {
            // A lone scalar (the root, or a compact sequence entry).
            let n = self.lines[j].indent;
            let at = self.content_start(j);
            let id = self.inline_scalar(j, at)?;
            self.i = j + 1;
            if let Some(k) = self.next_content(self.i) {
                if self.lines[k].indent > n {
                    return None; // a multi-line plain scalar, or an error
                }
            }
            Some(id)
        }
    }

    fn seq(&mut self, depth: usize) -> R<NodeId> {
        let first = self.i;
        let n = self.lines[first].indent;
        let start = self.content_start(first);
        let span = self.span(first, start, self.line_end_trimmed(first));
        let mut items = Vec::new();
        loop {
            let Some(j) = self.next_content(self.i) else { break };
            let ind = self.lines[j].indent;
            if ind < n {
                break;
            }
            if ind > n {
                return None;
            }
            let c = self.content(j);
            if !Self::is_dash(c) {
                break;
            }
            let after = &c[1..];
            let spaces = after.bytes().take_while(|&b| b == b' ').count();
            let rest = &after[spaces..];
            if rest.is_empty() || rest.starts_with('#') {
                self.i = j + 1;
                match self.next_content(self.i) {
                    Some(k) if self.lines[k].indent > n => items.push(self.node(depth + 1)?),
                    _ => {
                        let at = self.content_start(j) + 1;
                        let sp = self.span(j, at, at);
                        items.push(self.alloc(NodeKind::Scalar(Scalar { text: String::new(), plain: true, tag: None }), sp));
                    }
                }
            } else {
                if rest.starts_with('|') || rest.starts_with('>') {
                    return None;
                }
                self.lines[j].indent = n + 1 + spaces;
                self.i = j;
                items.push(self.node(depth + 1)?);
            }
        }
        Some(self.alloc(NodeKind::Seq(items), span))
    }

    fn map(&mut self, depth: usize) -> R<NodeId> {
        let first = self.i;
        let n = self.lines[first].indent;
        let start = self.content_start(first);
        let span = self.span(first, start, self.line_end_trimmed(first));
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            let Some(j) = self.next_content(self.i) else { break };
            let ind = self.lines[j].indent;
            if ind < n {
                break;
            }
            if ind > n {
                return None;
            }
            let c = self.content(j);
            if Self::is_dash(c) {
                // `key:` followed by `- item` at the key's own indentation
                // is consumed by the value; here it is out of place.
                return None;
            }
            let (key, key_len, value_rel) = split_key(c)?;
            let cs = self.content_start(j);
            let key_span = self.span(j, cs, cs + key_len);
            let rest = &c[value_rel..];
            let trimmed = rest.trim_start_matches(' ');
            let value_at = cs + value_rel + (rest.len() - trimmed.len());
            let value = if trimmed.is_empty() || trimmed.starts_with('#') {
                self.i = j + 1;
                match self.next_content(self.i) {
                    Some(k) if self.lines[k].indent > n || (self.lines[k].indent == n && Self::is_dash(self.content(k))) => {
                        self.node(depth + 1)?
                    }
                    _ => {
                        let at = cs + value_rel;
                        let sp = self.span(j, at, at);
                        self.alloc(NodeKind::Scalar(Scalar { text: String::new(), plain: true, tag: None }), sp)
                    }
                }
            } else if trimmed.starts_with('|') || trimmed.starts_with('>') {
                self.block_scalar(j, n, value_at, trimmed)?
            } else {
                let id = self.inline_scalar(j, value_at)?;
                self.i = j + 1;
                if let Some(k) = self.next_content(self.i) {
                    if self.lines[k].indent > n {
                        return None;
                    }
                }
                id
            };
            entries.push(Entry { key: key.into_owned(), key_span, value });
        }
        duplicate_issues(&entries, &mut self.issues);
        entries.shrink_to_fit();
        Some(self.alloc(NodeKind::Map(entries), span))
    }

    /// A one-line scalar starting at byte `at` of line `j`, which must
    /// end the line (but for a comment).
    fn inline_scalar(&mut self, j: usize, at: usize) -> R<NodeId> {
        let end_of_line = self.lines[j].end;
        let s = self.text.get(at..end_of_line)?;
        let first = s.chars().next()?;
        let (text, plain, len) = match first {
            '\'' | '"' => {
                let (text, len) = quoted(s)?;
                let tail = &s[len..];
                let after = tail.trim_start_matches([' ', '\t']);
                if !(after.is_empty() || (after.starts_with('#') && tail.len() > after.len())) {
                    return None;
                }
                (text, false, len)
            }
            '[' | '{' => {
                let close = if first == '[' { "[]" } else { "{}" };
                let tail = s.strip_prefix(close)?;
                let after = tail.trim_start_matches([' ', '\t']);
                if !(after.is_empty() || (after.starts_with('#') && tail.len() > after.len())) {
                    return None;
                }
                let span = self.span(j, at, at + 2);
                let kind = if first == '[' { NodeKind::Seq(Vec::new()) } else { NodeKind::Map(Vec::new()) };
                return Some(self.alloc(kind, span));
            }
            '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`' | ',' | ']' | '}' | '#' => return None,
            '-' | '?' | ':' if s[1..].starts_with([' ', '\t']) || s.len() == 1 => return None,
            _ => {
                let v = plain_end(s);
                let v = v.trim_end_matches([' ', '\t']);
                if v.contains(": ") || v.ends_with(':') || v.contains(" #") || v.contains('\t') {
                    return None;
                }
                (v.to_string(), true, v.len())
            }
        };
        let span = self.span(j, at, at + len);
        Some(self.alloc(NodeKind::Scalar(Scalar { text, plain, tag: None }), span))
    }

    /// `|`, `|-`, `|+`, `>`, `>-`, `>+` after `key:` on line `j`
    /// (mapping indentation `n`).
    fn block_scalar(&mut self, j: usize, n: usize, at: usize, header: &str) -> R<NodeId> {
        let mut chars = header.chars();
        let literal = chars.next()? == '|';
        let rest: &str = chars.as_str();
        let (chomp, after) = match rest.chars().next() {
            Some('-') => ('-', &rest[1..]),
            Some('+') => ('+', &rest[1..]),
            _ => (' ', rest),
        };
        let raw_after = after;
        let after = raw_after.trim_start_matches([' ', '\t']);
        if !(after.is_empty() || (after.starts_with('#') && raw_after.len() > after.len())) {
            return None; // an indentation indicator or garbage
        }
        // Content lines: every following line that is blank or indented deeper than n.
        let mut k = j + 1;
        let mut content_indent = None;
        let mut raw: Vec<(usize, bool)> = Vec::new(); // (line index, blank)
        while k < self.lines.len() {
            let l = &self.lines[k];
            let line = &self.text[l.start..l.end];
            let is_blank = line.bytes().all(|b| b == b' ');
            if !is_blank && line.bytes().all(|b| b == b' ' || b == b'\t') {
                return None; // whitespace with tabs: leave it to the full parser
            }
            if is_blank {
                raw.push((k, true));
                k += 1;
                continue;
            }
            let ind = line.bytes().take_while(|&b| b == b' ').count();
            if ind <= n {
                break;
            }
            let ci = *content_indent.get_or_insert(ind);
            if ind < ci {
                return None;
            }
            raw.push((k, false));
            k += 1;
        }
        // Trailing blank lines belong to the scalar only for chomping;
        // lines after the scalar resume at k.
        let ci = content_indent.unwrap_or(n + 1);
        let mut texts: Vec<Option<&str>> = Vec::with_capacity(raw.len());
        for &(li, blank) in &raw {
            let l = &self.lines[li];
            let line = &self.text[l.start..l.end];
            if blank {
                if line.len() > ci {
                    return None; // a blank line with more spaces than the content: keep it simple
                }
                texts.push(None);
            } else {
                texts.push(Some(line.get(ci..)?));
            }
        }
        // Leading blank lines before the first content line: (literal) "\n" each.
        let last_content = texts.iter().rposition(|t| t.is_some());
        let mut body = String::new();
        match last_content {
            None => {}
            Some(last) => {
                if literal {
                    for (idx, t) in texts[..=last].iter().enumerate() {
                        if idx > 0 {
                            body.push('\n');
                        }
                        body.push_str(t.unwrap_or(""));
                    }
                } else {
                    let mut prev_nonblank = false;
                    let mut pending_breaks = 0usize;
                    for t in &texts[..=last] {
                        match t {
                            None => pending_breaks += 1,
                            Some(t) => {
                                if t.starts_with([' ', '\t']) {
                                    return None; // more-indented lines fold differently
                                }
                                if prev_nonblank {
                                    if pending_breaks == 0 {
                                        body.push(' ');
                                    } else {
                                        body.extend(std::iter::repeat_n('\n', pending_breaks));
                                    }
                                } else {
                                    body.extend(std::iter::repeat_n('\n', pending_breaks));
                                }
                                pending_breaks = 0;
                                body.push_str(t);
                                prev_nonblank = true;
                            }
                        }
                    }
                }
            }
        }
        let trailing_blanks = match last_content {
            Some(last) => texts.len() - last - 1,
            None => texts.len(),
        };
        match chomp {
            '-' => {}
            '+' => {
                if last_content.is_some() {
                    body.push('\n');
                }
                body.extend(std::iter::repeat_n('\n', trailing_blanks));
            }
            _ => {
                if last_content.is_some() {
                    body.push('\n');
                }
            }
        }
        if last_content.is_none() && chomp != '+' {
            body.clear();
        }
        // Lines after the scalar: the first non-blank line not consumed.
        self.i = k;
        if let Some(next) = self.next_content(self.i) {
            if self.lines[next].indent > n {
                return None;
            }
        }
        let span = self.span(j, at, self.line_end_trimmed(j));
        Some(self.alloc(NodeKind::Scalar(Scalar { text: body, plain: false, tag: None }), span))
    }
}

/// `key: …` → (key, key length in bytes as written, offset of what follows the `:`).
fn split_key(c: &str) -> Option<(std::borrow::Cow<'_, str>, usize, usize)> {
    let first = c.chars().next()?;
    match first {
        '\'' | '"' => {
            let (key, len) = quoted(c)?;
            let rest = &c[len..];
            if rest == ":" || rest.starts_with(": ") {
                Some((key.into(), len, len + 1))
            } else {
                None
            }
        }
        '-' | '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`' => None,
        _ => {
            let b = c.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b':' if i + 1 == b.len() || b[i + 1] == b' ' => {
                        let key = c[..i].trim_end_matches(' ');
                        if key.is_empty() || key.contains('\t') {
                            return None;
                        }
                        return Some((key.into(), key.len(), i + 1));
                    }
                    b'#' if i > 0 && b[i - 1] == b' ' => return None,
                    b'\t' => return None,
                    _ => {}
                }
                i += 1;
            }
            None
        }
    }
}

/// A plain scalar's text: up to a ` #` comment or the end of the line.
fn plain_end(s: &str) -> &str {
    match s.find(" #") {
        Some(i) => &s[..i],
        None => s,
    }
}

/// A quoted scalar closed on the same line: (value, length in bytes including quotes).
fn quoted(s: &str) -> Option<(String, usize)> {
    let mut it = s.char_indices();
    let (_, q) = it.next()?;
    let mut out = String::new();
    while let Some((i, c)) = it.next() {
        if c == q {
            if q == '\'' && s[i + 1..].starts_with('\'') {
                it.next();
                out.push('\'');
                continue;
            }
            return Some((out, i + 1));
        }
        if q == '"' && c == '\\' {
            let (_, e) = it.next()?;
            match e {
                '0' => out.push('\0'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                't' | '\t' => out.push('\t'),
                'n' => out.push('\n'),
                'v' => out.push('\x0b'),
                'f' => out.push('\x0c'),
                'r' => out.push('\r'),
                'e' => out.push('\x1b'),
                ' ' => out.push(' '),
                '"' => out.push('"'),
                '/' => out.push('/'),
                '\\' => out.push('\\'),
                'N' => out.push('\u{85}'),
                '_' => out.push('\u{a0}'),
                'L' => out.push('\u{2028}'),
                'P' => out.push('\u{2029}'),
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut v = 0u32;
                    for _ in 0..n {
                        let (_, h) = it.next()?;
                        v = v * 16 + h.to_digit(16)?;
                    }
                    out.push(char::from_u32(v)?);
                }
                _ => return None,
            }
            continue;
        }
        if c == '\t' && q == '"' {
            out.push(c);
            continue;
        }
        out.push(c);
    }
    None
}
