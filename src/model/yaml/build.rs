//! The full parser: yaml-rust2's marked events, iteratively, into the tree.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::tree::*;
use crate::finding::Span;
use crate::source::SourceFile;

/// `# trm-ci: ignore=<id> <reason>` on a line of its own covers the next
/// line that is neither blank nor a comment.

/// The full parser: yaml-rust2's marked events, iteratively, with the depth
/// budget. Every YAML error is reported (the fast path reports none).
pub(crate) fn events(src: &SourceFile, text: &str, opts: Options) -> Yaml {
    let mut b = Builder {
        src,
        text,
        opts,
        nodes: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        issues: Vec::new(),
        fatal: false,
    };
    // yaml-rust2 is not expected to panic, but a panic on some input must
    // not take the linter down: it becomes a problem like the others.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        b.run();
        b
    }));
    match outcome {
        Ok(b) => {
            let root = if b.fatal { None } else { b.root };
            Yaml { nodes: b.nodes, root, issues: b.issues, expandable: false }
        }
        Err(_) => Yaml {
            issues: vec![Issue { problem: Problem::ParserFailed, span: src.span(0, 0) }],
            ..Yaml::default()
        },
    }
}

pub(super) enum Frame {
    Seq { items: Vec<NodeId>, span: Span, anchor: usize },
    Map { entries: Vec<Entry>, key: Option<(String, Span)>, span: Span, anchor: usize },
}

pub(super) struct Builder<'a> {
    src: &'a SourceFile,
    text: &'a str,
    opts: Options,
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    documents: usize,
    issues: Vec<Issue>,
    /// The tree is incomplete (syntax error, too deep): no root.
    fatal: bool,
}

impl Builder<'_> {
    /// Byte offset of a marker (line 1-based, column 0-based in chars).
    fn offset(&self, m: &Marker) -> usize {
        // The parser reads the text after a byte-order mark (one char on line 1).
        let bom = usize::from(line_of(m) == 1 && self.text.starts_with('\u{feff}'));
        self.src.offset_at(line_of(m), m.col() + bom)
    }

    /// Where the text of 1-based `line` ends, trailing blanks and `\r`
    /// trimmed (never before `from`).
    fn line_end(&self, line: u32, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut e = self.src.lines().line_end(self.text, line).max(from);
        while e > from && (bytes[e - 1] == b'\r' || bytes[e - 1] == b' ' || bytes[e - 1] == b'\t') {
            e -= 1;
        }
        e
    }

    fn issue(&mut self, problem: Problem, start: usize, end: usize) {
        let span = self.src.span(start, end);
        self.issues.push(Issue { problem, span });
    }

    /// Stops the parse: the tree is incomplete. Mappings still open are
    /// checked for duplicate keys up to here.
    fn fail(&mut self, problem: Problem, start: usize, end: usize) {
        for f in &self.stack {
            if let Frame::Map { entries, .. } = f {
                duplicate_issues(entries, &mut self.issues);
            }
        }
        self.issue(problem, start, end);
        self.fatal = true;
    }

    fn run(&mut self) {
        // js-yaml (Directus's loader) drops a leading byte-order mark; yaml-rust2 would
        // read it as content.
        let mut parser = Parser::new_from_str(self.text.strip_prefix('\u{feff}').unwrap_or(self.text));
        loop {
            let (ev, mark) = match parser.next_token() {
                Ok(x) => x,
                Err(e) => {
                    let at = self.offset(e.marker());
                    // One character wide where there is one (a caret in the code frame).
                    let end = self.text[at..].chars().next().filter(|c| *c != '\n' && *c != '\r').map(|c| at + c.len_utf8()).unwrap_or(at);
                    self.fail(Problem::Syntax(e.info().to_string()), at, end);
                    return;
                }
            };
            let is_map = matches!(ev, Event::MappingStart(..));
            match ev {
                Event::StreamEnd => return,
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentEnd => {
                    if self.opts.first_document_only && self.root.is_some() {
                        return;
                    }
                }
                Event::DocumentStart => {
                    self.documents += 1;
                    if self.documents == 2 {
                        let at = self.offset(&mark);
                        let end = self.line_end(line_of(&mark), at);
                        self.issue(Problem::SecondDocument, at, end);
                    }
                }
                Event::Alias(id) => {
                    let at = self.offset(&mark);
                    match self.anchors.get(&id).copied() {
                        Some(node) => self.push_value(node, at, line_of(&mark)),
                        None => {
                            // Anchors are registered when their node is complete.
                            let end = self.line_end(line_of(&mark), at);
                            self.fail(Problem::RecursiveAlias, at, end);
                            return;
                        }
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let start = self.offset(&mark);
                    let end = self.scalar_end(start, line_of(&mark), &text, style);
                    let tag = match tag {
                        None => None,
                        Some(t) => match core_tag(&t) {
                            Some(s) => Some(s),
                            None => {
                                self.issue(Problem::UnknownTag(format!("{}{}", t.handle, t.suffix)), start, end);
                                Some("str")
                            }
                        },
                    };
                    let plain = style == TScalarStyle::Plain;
                    let span = self.src.span(start, end);
                    let id = self.alloc(NodeKind::Scalar(Scalar { text, plain, tag }), span);
                    if anchor > 0 {
                        self.anchors.insert(anchor, id);
                    }
                    self.push_value(id, start, line_of(&mark));
                }
                Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                    let start = self.offset(&mark);
                    let end = self.line_end(line_of(&mark), start);
                    // `!!map` / `!!seq` (and js-yaml's other collection types) say nothing
                    // new; any other tag makes Directus's js-yaml refuse the whole file.
                    if let Some(t) = tag.filter(|t| !collection_tag(t)) {
                        self.issue(Problem::UnknownTag(format!("{}{}", t.handle, t.suffix)), start, end);
                    }
                    if self.stack.len() >= MAX_DEPTH {
                        self.fail(Problem::TooDeep, start, end);
                        return;
                    }
                    let span = self.src.span(start, end);
                    self.stack.push(if is_map {
                        Frame::Map { entries: Vec::new(), key: None, span, anchor }
                    } else {
                        Frame::Seq { items: Vec::new(), span, anchor }
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else { continue };
                    let (kind, span, anchor) = match frame {
                        Frame::Seq { items, span, anchor } => (NodeKind::Seq(items), span, anchor),
                        Frame::Map { entries, span, anchor, .. } => {
                            duplicate_issues(&entries, &mut self.issues);
                            // yaml-rust2 marks a block mapping at its first `:`;
                            // the mapping starts at its first key.
                            let span = match entries.first() {
                                Some(e) if e.key_span.offset < span.offset => {
                                    let end = self.line_end(e.key_span.line, e.key_span.offset);
                                    self.src.span(e.key_span.offset, end)
                                }
                                _ => span,
                            };
                            (NodeKind::Map(entries), span, anchor)
                        }
                    };
                    let id = self.alloc(kind, span);
                    if anchor > 0 {
                        self.anchors.insert(anchor, id);
                    }
                    self.push_value(id, span.offset, span.line);
                }
            }
        }
    }

    fn alloc(&mut self, kind: NodeKind, span: Span) -> NodeId {
        self.nodes.push(Node { kind, span });
        self.nodes.len() - 1
    }

    /// Attaches a finished node to its parent (or makes it the root).
    fn push_value(&mut self, id: NodeId, at: usize, line: u32) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(id);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(id),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((k, key_span)) => entries.push(Entry { key: k, key_span, value: id }),
                None => {
                    let span = self.nodes[id].span;
                    let k = match &self.nodes[id].kind {
                        NodeKind::Scalar(s) => Some(s.text.clone()),
                        _ => None,
                    };
                    let complex = k.is_none();
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some((k.unwrap_or_default(), span));
                    }
                    if complex {
                        let end = self.line_end(line, at);
                        self.issue(Problem::ComplexKey, at, end);
                    }
                }
            },
        }
    }

    /// Where a scalar that starts at `start` (on 1-based `line`) ends in the source.
    fn scalar_end(&self, start: usize, line: u32, value: &str, style: TScalarStyle) -> usize {
        let rest = self.text.get(start..).unwrap_or("");
        match style {
            TScalarStyle::Plain => {
                if value.is_empty() {
                    start
                } else if rest.starts_with(value) {
                    start + value.len()
                } else {
                    self.line_end(line, start)
                }
            }
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let q = if style == TScalarStyle::SingleQuoted { '\'' } else { '"' };
                let mut it = rest.char_indices().skip(1).peekable();
                while let Some((i, c)) = it.next() {
                    if c == '\n' {
                        return self.line_end(line, start);
                    }
                    if q == '"' && c == '\\' {
                        it.next();
                        continue;
                    }
                    if c == q {
                        if q == '\'' && it.peek().map(|&(_, c)| c) == Some('\'') {
                            it.next();
                            continue;
                        }
                        return start + i + 1;
                    }
                }
                self.line_end(line, start)
            }
            _ => self.line_end(line, start),
        }
    }
}

pub(super) fn line_of(m: &Marker) -> u32 {
    m.line().clamp(1, u32::MAX as usize) as u32
}

/// The suffix of a YAML core tag (`!!str` → `str`), None for other tags.
pub(super) fn core_tag(t: &Tag) -> Option<&'static str> {
    if t.handle != "!!" && t.handle != "tag:yaml.org,2002:" {
        return None;
    }
    ["str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary"].into_iter().find(|c| *c == t.suffix)
}

/// A tag js-yaml 4.1.1 (Directus 11.17.4's loader, its default schema) accepts on a
/// mapping or a sequence: `!!map`, `!!seq`, `!!omap`, `!!pairs`, `!!set`, and the
/// non-specific `!`. Tried with its own `load`: `!foo`, `!!python/…`, `!!js/…` or a
/// `%TAG` handle on a collection fail with "unknown tag".
fn collection_tag(t: &Tag) -> bool {
    format!("{}{}", t.handle, t.suffix) == "!"
        || ((t.handle == "!!" || t.handle == "tag:yaml.org,2002:") && ["map", "seq", "omap", "pairs", "set"].contains(&t.suffix.as_str()))
}
