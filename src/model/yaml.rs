//! The one span-keeping YAML tree, shared by the snapshot and compose
//! models: an arena of nodes (children, and aliased nodes, before their
//! parents), each with its span, and mapping keys with theirs.
//!
//! Two parsers build it. A fast path reads the block-style subset that
//! `directus schema snapshot` (js-yaml) writes, about ten times faster; on
//! anything outside that subset it gives up and yaml-rust2's marked event
//! parser builds the same tree (the two are differential-tested below).
//!
//! Robustness, the same for every file: the event loop is iterative
//! (yaml-rust2's own `load` recurses per nesting level and overflows the
//! stack on deep input), nesting deeper than [`MAX_DEPTH`] stops the parse,
//! aliases are kept as shared nodes (never copied) and their expansion is
//! bounded by [`ALIAS_EXPANSION_BUDGET`], so a "billion laughs" document is
//! an error, not an out-of-memory. Problems are data ([`Issue`]), with the
//! duplicate-key check written once ([`duplicates`]); each model words them
//! for its own users.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::finding::Span;
use crate::source::SourceFile;

/// Deeper nesting than this is refused (a Directus snapshot needs about 10,
/// a compose file a handful).
pub const MAX_DEPTH: usize = 128;
/// Aliases may expand the document to at most this many nodes more than it
/// has YAML nodes.
pub const ALIAS_EXPANSION_BUDGET: usize = 200_000;

/// Index of a node in the [`Yaml`] arena.
pub type NodeId = usize;

/// A YAML problem as a model reports it: what, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

/// What is wrong, as data; the models turn it into their message.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// yaml-rust2's scanner or parser stopped here (its own words).
    Syntax(String),
    /// A key given twice in one mapping; `first` is where it was first given.
    DuplicateKey { key: String, first: Span },
    /// A `---` after the first document.
    SecondDocument,
    /// An alias to a node that contains it.
    RecursiveAlias,
    /// A tag that is not one of the YAML core schema's (`!custom`).
    UnknownTag(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A mapping key that is a mapping or a sequence.
    ComplexKey,
    /// Aliases expand the document beyond the budget (or [`MAX_DEPTH`]).
    AliasBomb { budget: usize },
    /// The YAML parser panicked (caught).
    ParserFailed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub problem: Problem,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's value after unescaping (quotes removed).
    pub text: String,
    /// Plain (unquoted, not a block scalar): subject to type resolution.
    pub plain: bool,
    /// `!!str`, `!!int` … resolved to its suffix; None when untagged.
    pub tag: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<NodeId>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping. Duplicate keys are kept (and
/// reported); lookups take the last one, as the JSON conversion does.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: NodeId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Scalars: the scalar as written (first line for multi-line ones);
    /// collections: from their first token to the end of that line.
    pub span: Span,
}

/// A resolved scalar as JSON would see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// How a model reads its file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Stop at the end of the first document (Docker Compose reads one);
    /// otherwise a second document is a [`Problem::SecondDocument`].
    pub first_document_only: bool,
}

/// The parsed document.
#[derive(Debug, Clone, Default)]
pub struct Yaml {
    pub nodes: Vec<Node>,
    /// None when the text is empty or could not be parsed.
    pub root: Option<NodeId>,
    /// Every problem, in the order found.
    pub issues: Vec<Issue>,
    /// The aliases expand within the budget: the tree may be converted
    /// whole (to JSON).
    pub expandable: bool,
}

/// Parses `src` (an unreadable file gives an empty tree: the engine
/// reports it once).
pub fn parse(src: &SourceFile, opts: Options) -> Yaml {
    let Ok(text) = src.text() else { return Yaml::default() };
    let mut y = match fast::parse(src, text) {
        Some(f) => {
            let root = f.root();
            Yaml { nodes: f.nodes, root, issues: f.issues, expandable: false }
        }
        None => events(src, text, opts),
    };
    y.nodes.shrink_to_fit();
    y.check_budget();
    y
}

impl Yaml {
    /// Node ids are in post-order (children, and aliased nodes, before
    /// their parents), so one forward pass gives every node's expanded size
    /// and height without recursion.
    fn check_budget(&mut self) {
        let Some(root) = self.root else { return };
        let budget = self.nodes.len() + ALIAS_EXPANSION_BUDGET;
        let mut size = vec![0usize; self.nodes.len()];
        let mut height = vec![0usize; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            let (mut sz, mut h) = (1usize, 0usize);
            let mut add = |c: NodeId| {
                if let (Some(&cs), Some(&ch)) = (size.get(c), height.get(c)) {
                    sz = sz.saturating_add(cs);
                    h = h.max(ch);
                }
            };
            match &n.kind {
                NodeKind::Scalar(_) => {}
                NodeKind::Seq(items) => items.iter().for_each(|&c| add(c)),
                NodeKind::Map(entries) => entries.iter().for_each(|e| add(e.value)),
            }
            size[i] = sz;
            height[i] = h + 1;
        }
        if size[root] <= budget && height[root] <= MAX_DEPTH + 1 {
            self.expandable = true;
        } else {
            let span = self.nodes[root].span;
            self.issues.push(Issue { problem: Problem::AliasBomb { budget }, span });
        }
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Whether node `id` is a mapping.
    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.nodes.get(id).map(|n| &n.kind), Some(NodeKind::Map(_)))
    }

    /// The entries of mapping `id` as written (empty when it is not a mapping).
    pub fn entries(&self, id: NodeId) -> &[Entry] {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Map(entries)) => entries,
            _ => &[],
        }
    }

    /// The entry of `key` in mapping `id` (the last one when duplicated).
    pub fn entry(&self, id: NodeId, key: &str) -> Option<&Entry> {
        self.entries(id).iter().rev().find(|e| e.key == key)
    }

    /// The value of `key` in mapping `id` (the last one when duplicated).
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entry(id, key).map(|e| e.value)
    }

    /// The items of sequence `id` (empty when it is not a sequence).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Seq(items)) => items,
            _ => &[],
        }
    }

    /// Node `id` when it is a scalar.
    pub fn scalar(&self, id: NodeId) -> Option<&Scalar> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Node `id`'s text and span when it is a scalar (any scalar, as written).
    pub fn text(&self, id: NodeId) -> Option<(&str, Span)> {
        self.scalar(id).map(|s| (s.text.as_str(), self.nodes[id].span))
    }

    /// The entries of mapping `id` with `<<` merge keys expanded (one level,
    /// as Docker Compose reads them): merged entries first, then its own.
    pub fn merged_entries(&self, id: NodeId) -> Vec<&Entry> {
        let mut out = Vec::new();
        for e in self.entries(id) {
            if e.key == "<<" {
                let merged: &[NodeId] = match self.nodes.get(e.value).map(|n| &n.kind) {
                    Some(NodeKind::Seq(items)) => items,
                    _ => std::slice::from_ref(&e.value),
                };
                for &m in merged {
                    out.extend(self.entries(m).iter());
                }
            } else {
                out.push(e);
            }
        }
        out
    }

    /// The entry of `key` in mapping `id`, merge keys included: its own
    /// entries override merged ones; the last one written wins.
    pub fn lookup(&self, id: NodeId, key: &str) -> Option<&Entry> {
        self.entry(id, key).filter(|e| e.key != "<<").or_else(|| self.merged_entries(id).into_iter().rev().find(|e| e.key == key))
    }

    /// From node `id`'s first character to the end of its last descendant.
    pub fn extent(&self, src: &SourceFile, id: NodeId) -> Option<Span> {
        let start = self.nodes.get(id)?.span.offset;
        let mut end = start;
        let mut at = id;
        // Follow the last child down; ids only decrease, so this ends.
        loop {
            let n = &self.nodes[at];
            end = end.max(n.span.offset + n.span.len);
            let next = match &n.kind {
                NodeKind::Scalar(_) => None,
                NodeKind::Seq(items) => items.last().copied(),
                NodeKind::Map(entries) => entries.last().map(|e| {
                    end = end.max(e.key_span.offset + e.key_span.len);
                    e.value
                }),
            };
            match next {
                Some(c) if c < at => at = c,
                _ => break,
            }
        }
        Some(src.span(start, end))
    }

    /// Node `id` as a resolved scalar (None for collections).
    pub fn value(&self, id: NodeId) -> Option<Value<'_>> {
        self.scalar(id).map(resolve)
    }

    /// Node `id` as JSON (None when the tree is not expandable).
    pub fn json_of(&self, id: NodeId) -> Option<serde_json::Value> {
        if !self.expandable || id >= self.nodes.len() {
            return None;
        }
        let mut budget = self.nodes.len() + ALIAS_EXPANSION_BUDGET;
        to_json(&self.nodes, id, 0, &mut budget)
    }
}

/// The keys given twice in one mapping: (the repeated entry, the first one
/// with its key), in order. `<<` merge keys may repeat (js-yaml and Docker
/// Compose merge each). Both parsers and every model use this one check.
pub fn duplicates(entries: &[Entry]) -> Vec<(&Entry, &Entry)> {
    let mut dups = Vec::new();
    if entries.len() <= 32 {
        for (i, e) in entries.iter().enumerate() {
            if e.key == "<<" {
                continue;
            }
            if let Some(first) = entries[..i].iter().find(|p| p.key == e.key) {
                dups.push((e, first));
            }
        }
        return dups;
    }
    let mut seen: HashMap<&str, &Entry> = HashMap::with_capacity(entries.len());
    for e in entries {
        if e.key == "<<" {
            continue;
        }
        match seen.get(e.key.as_str()) {
            Some(first) => dups.push((e, *first)),
            None => {
                seen.insert(e.key.as_str(), e);
            }
        }
    }
    dups
}

fn duplicate_issues(entries: &[Entry], out: &mut Vec<Issue>) {
    for (e, first) in duplicates(entries) {
        out.push(Issue { problem: Problem::DuplicateKey { key: e.key.clone(), first: first.key_span }, span: e.key_span });
    }
}

/// YAML 1.2 core schema resolution, as js-yaml (which Directus uses) does
/// for the types JSON has.
pub fn resolve(s: &Scalar) -> Value<'_> {
    let t = s.text.as_str();
    match s.tag {
        Some("str") => return Value::Str(t),
        Some("null") => return Value::Null,
        Some("bool") | Some("int") | Some("float") => {}
        Some(_) => return Value::Str(t),
        None if !s.plain => return Value::Str(t),
        None => {}
    }
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(t) {
        return Value::Int(i);
    }
    if is_float(t) {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(t)
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// Converts node `id` to JSON, spending one unit of `budget` per node (an
/// alias is converted each time it is used). None when the budget or the
/// depth limit runs out.
fn to_json(nodes: &[Node], id: NodeId, depth: usize, budget: &mut usize) -> Option<serde_json::Value> {
    if depth > MAX_DEPTH || *budget == 0 {
        return None;
    }
    *budget -= 1;
    Some(match &nodes.get(id)?.kind {
        NodeKind::Scalar(s) => match resolve(s) {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Int(i) => serde_json::Value::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
        },
        NodeKind::Seq(items) => {
            let mut v = Vec::with_capacity(items.len());
            for &i in items {
                v.push(to_json(nodes, i, depth + 1, budget)?);
            }
            serde_json::Value::Array(v)
        }
        NodeKind::Map(entries) => {
            let mut m = serde_json::Map::new();
            for e in entries {
                m.insert(e.key.clone(), to_json(nodes, e.value, depth + 1, budget)?);
            }
            serde_json::Value::Object(m)
        }
    })
}

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

enum Frame {
    Seq { items: Vec<NodeId>, span: Span, anchor: usize },
    Map { entries: Vec<Entry>, key: Option<(String, Span)>, span: Span, anchor: usize },
}

struct Builder<'a> {
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
        self.src.offset_at(line_of(m), m.col())
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
        let mut parser = Parser::new_from_str(self.text);
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

fn line_of(m: &Marker) -> u32 {
    m.line().clamp(1, u32::MAX as usize) as u32
}

/// The suffix of a YAML core tag (`!!str` → `str`), None for other tags.
fn core_tag(t: &Tag) -> Option<&'static str> {
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

/// A fast path for the YAML that `directus schema snapshot` writes (js-yaml's
/// block style: block mappings and sequences, plain and quoted one-line
/// scalars, `[]`/`{}`, literal and simple folded block scalars, comments).
/// It builds the same tree as the event parser, about ten times faster. On
/// anything outside that subset (anchors, tags, flow collections, multi-line
/// flow scalars, documents markers, tabs, any error but duplicate keys) it
/// gives up, and the file goes through yaml-rust2, which also reports the
/// errors.
mod fast {
    use super::*;

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
        if text.starts_with('\u{feff}') {
            return None;
        }
        let mut lines = Vec::with_capacity(text.len() / 16);
        let mut start = 0;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What js-yaml 4.1.1 (Directus 11.17.4's loader) said of each, with its own `load`.
    #[test]
    fn tags_on_collections_are_refused_where_directus_refuses_them() {
        let tags = |text: &str| {
            let src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
            parse(&src, Options::default())
                .issues
                .iter()
                .filter_map(|i| match &i.problem {
                    Problem::UnknownTag(t) => Some(t.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        for refused in ["a: !foo {b: 1}\n", "a: !foo [1]\n", "a: !!python/object:os.system {}\n", "a: !foo\n  b: 1\n", "a: !foo\n  - 1\n"] {
            assert_eq!(tags(refused).len(), 1, "{refused:?}");
        }
        for accepted in ["a: !!map {b: 1}\n", "a: !!seq [1]\n", "a: !!set {x: null}\n", "a: !!omap [x: 1]\n", "a: ! {b: 1}\n", "a: !!map\n  b: 1\n"] {
            assert_eq!(tags(accepted), Vec::<String>::new(), "{accepted:?}");
        }
    }

    const SMALL: &str = "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n  - collection: orders\n    meta:\n      icon: box\n    schema:\n      name: orders\n  - collection: folder\n    meta: null\n    schema: null\nfields:\n  - collection: orders\n    field: total\n    type: decimal\nrelations:\n  - collection: orders\n    field: customer\n    related_collection: directus_users\n    meta:\n      one_field: null\n      one_allowed_collections: [a, b]\n";

    /// Both parsers build the same tree (spans of empty scalars aside).
    fn same_tree(text: &str) -> Result<(), String> {
        let fast_src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
        let f = match fast::parse(&fast_src, text) {
            Some(f) => f,
            None => return Ok(()), // not in the subset: nothing to compare
        };
        let slow = events(&fast_src, text, Options::default());
        if slow.issues != f.issues {
            return Err(format!("problems differ: yaml-rust2 {:?} vs fast {:?}", slow.issues, f.issues));
        }
        let mut stack = vec![(f.root(), slow.root, String::new())];
        while let Some((a, b, path)) = stack.pop() {
            let (a, b) = match (a, b) {
                (None, None) => continue,
                (Some(a), Some(b)) => (&f.nodes[a], &slow.nodes[b]),
                _ => return Err(format!("{path}: one side has no node")),
            };
            match (&a.kind, &b.kind) {
                (NodeKind::Scalar(x), NodeKind::Scalar(y)) => {
                    if x != y {
                        return Err(format!("{path}: scalar {x:?} vs {y:?}"));
                    }
                    let block = text.get(a.span.offset..).is_some_and(|t| t.starts_with(['|', '>']));
                    if !x.text.is_empty() && !block && a.span != b.span {
                        return Err(format!("{path}: scalar span {:?} vs {:?}", a.span, b.span));
                    }
                }
                (NodeKind::Seq(x), NodeKind::Seq(y)) => {
                    if x.len() != y.len() {
                        return Err(format!("{path}: seq len {} vs {}", x.len(), y.len()));
                    }
                    if a.span.line != b.span.line {
                        return Err(format!("{path}: seq span {:?} vs {:?}", a.span, b.span));
                    }
                    for (i, (p, q)) in x.iter().zip(y).enumerate() {
                        stack.push((Some(*p), Some(*q), format!("{path}/{i}")));
                    }
                }
                (NodeKind::Map(x), NodeKind::Map(y)) => {
                    if x.len() != y.len() {
                        return Err(format!("{path}: map len {} vs {}", x.len(), y.len()));
                    }
                    if !x.is_empty() && a.span != b.span {
                        return Err(format!("{path}: map span {:?} vs {:?}", a.span, b.span));
                    }
                    for (p, q) in x.iter().zip(y) {
                        if p.key != q.key || p.key_span != q.key_span {
                            return Err(format!("{path}: key {:?}@{:?} vs {:?}@{:?}", p.key, p.key_span, q.key, q.key_span));
                        }
                        stack.push((Some(p.value), Some(q.value), format!("{path}/{}", p.key)));
                    }
                }
                _ => return Err(format!("{path}: kinds differ: {:?} vs {:?}", a.kind, b.kind)),
            }
        }
        Ok(())
    }

    #[test]
    fn the_fast_path_builds_the_same_tree_as_yaml_rust2() {
        let real = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/snapshot.yaml")).unwrap_or_default();
        let cases: Vec<String> = vec![
            real.clone(),
            SMALL.replace("[a, b]", "\n        - a\n        - b"),
            "a: 1\nb:\n- x\n- y\nc: d\n".into(),
            "- a\n- - b\n  - c\n-\n  k: v\n- k: v\n  l: w\n".into(),
            "a: 'it''s' # c\nb: \"q\\\"\\n\\u00e9\\x41\" \nc: []\nd: {}\ne: null\nf:\ng: ~\n".into(),
            "# comment\n\nkey: value # trailing\n  # indented comment\nother: x#y\n".into(),
            "lit: |\n  line 1\n\n  line 3\n    indented\nnext: 1\n".into(),
            "lit: |-\n  a\n  b\n\n\nnext: 1\n".into(),
            "lit: |+\n  a\n\n\nnext: 1\n".into(),
            "fold: >-\n  one\n  two\n\n  three\nnext: 1\n".into(),
            "fold: >\n  one\n  two\n".into(),
            "empty: |\nnext: 1\n".into(),
            "'quoted key': 1\n\"dq\": 2\nurl: http://x/y?z=1\ntime: 12:30\n".into(),
            "a:\n  b:\n    c:\n      - d: 1\n        e: [] # x\n      - f\n".into(),
            "a: 1\r\nb:\r\n  - c\r\n".into(),
            "é: ü\nç: 'ñ'\n".into(),
            "just a scalar\n".into(),
            "- 1\n- -2\n- .5\n- 0x1F\n- true\n- ''\n".into(),
            "a:   spaced   \nb:   \n".into(),
        ];
        for (i, c) in cases.iter().enumerate() {
            if c.is_empty() {
                continue;
            }
            assert!(fast::parse(&SourceFile::new("s", c.clone().into_bytes(), None), c).is_some(), "case {i} should take the fast path:\n{c}");
            if let Err(e) = same_tree(c) {
                panic!("case {i}: {e}\n{}", c.chars().take(400).collect::<String>());
            }
        }
        // The real snapshot takes the fast path.
        if !real.is_empty() {
            assert!(fast::parse(&SourceFile::new("s", real.clone().into_bytes(), None), &real).is_some());
        }
    }

    /// Random edits of a snapshot-like document: wherever the fast path
    /// accepts the result, yaml-rust2 accepts it too and builds the same tree.
    #[test]
    fn the_fast_path_agrees_with_yaml_rust2_on_mutations() {
        let base = SMALL.replace("[a, b]", "\n        - a\n        - b")
            + "lit: |-\n  one\n  two\nq: 'x''y'\ndq: \"a\\tb\"\nempty: []\nn:\n";
        let pieces = [":", ": ", " ", "  ", "-", "- ", "#", " #", "'", "\"", "\n", "\n  ", "|", ">", "[]", "{}", "a", "\\", "\t", "é", "?", "&", "*", "!", ",", "%"];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        let rounds: usize = std::env::var("TRM_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
        if let Some(seed0) = std::env::var("TRM_SEED").ok().and_then(|v| v.parse::<u64>().ok()) {
            for _ in 0..seed0 {
                next();
            }
        }
        for _ in 0..rounds {
            let mut t = base.clone();
            for _ in 0..(1 + next() % 3) {
                let mut at = (next() as usize) % (t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                match next() % 3 {
                    0 => t.insert_str(at, pieces[(next() as usize) % pieces.len()]),
                    1 => {
                        let mut end = (at + 1 + (next() as usize) % 4).min(t.len());
                        while !t.is_char_boundary(end) {
                            end -= 1;
                        }
                        t.replace_range(at..end, "");
                    }
                    _ => {
                        let mut end = (at + 1).min(t.len());
                        while !t.is_char_boundary(end) {
                            end += 1;
                        }
                        t.replace_range(at..end, pieces[(next() as usize) % pieces.len()]);
                    }
                }
            }
            if fast::parse(&SourceFile::new("s", t.clone().into_bytes(), None), &t).is_some() {
                accepted += 1;
            }
            if let Err(e) = same_tree(&t) {
                panic!("{e}\n--- input ---\n{t}");
            }
        }
        assert!(accepted > rounds / 40, "only {accepted} of {rounds} mutations took the fast path");
    }

    #[test]
    fn the_fast_path_gives_up_on_what_it_does_not_know() {
        for text in ["a: &x 1\nb: *x\n", "a: !!str 1\n", "a: [1, 2]\n", "a: 'multi\n  line'\n", "---\na: 1\n", "a: b: c\n", "a:\n\t- b\n", "? a\n: b\n", "a: 1\n  b: 2\n", "a: |2\n   x\n"] {
            assert!(fast::parse(&SourceFile::new("s", text.as_bytes().to_vec(), None), text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn one_duplicate_check_for_both_parsers_with_the_first_key() {
        let text = "a: 1\nb: 2\na: 3\n<<: {}\n";
        let src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
        let y = parse(&src, Options::default());
        assert_eq!(y.issues, events(&src, text, Options::default()).issues, "both parsers report the same");
        assert_eq!(y.issues.len(), 1, "{:?}", y.issues);
        match &y.issues[0].problem {
            Problem::DuplicateKey { key, first } => assert_eq!((key.as_str(), first.line, y.issues[0].span.line), ("a", 1, 3)),
            p => panic!("{p:?}"),
        }
        // Merge keys may repeat (js-yaml and Docker Compose merge each).
        let text = "x: &x {k: v}\ny:\n  <<: *x\n  <<: *x\n";
        let y = parse(&SourceFile::new("s.yaml", text.as_bytes().to_vec(), None), Options::default());
        assert!(y.issues.is_empty(), "{:?}", y.issues);
        // Many keys: the hashed branch finds the same first key.
        let mut big: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        big.push_str("k7: again\n");
        let y = parse(&SourceFile::new("s.yaml", big.as_bytes().to_vec(), None), Options::default());
        assert!(matches!(&y.issues[..], [Issue { problem: Problem::DuplicateKey { key, first }, .. }] if key == "k7" && first.line == 8), "{:?}", y.issues);
    }

    #[test]
    fn a_syntax_error_keeps_the_duplicates_found_before_it() {
        let text = "services:\n  d:\n    env:\n      A: 1\n      A: 2\n    ports:\n      - 1\n     - 2\n";
        let y = parse(&SourceFile::new("c.yaml", text.as_bytes().to_vec(), None), Options::default());
        let kinds: Vec<&Problem> = y.issues.iter().map(|i| &i.problem).collect();
        assert!(matches!(kinds[..], [Problem::DuplicateKey { .. }, Problem::Syntax(_)]), "{kinds:?}");
        assert!(y.root.is_none());
    }

    #[test]
    fn merge_keys_and_lookups() {
        let text = "base: &b\n  image: a\n  build: .\nsvc:\n  <<: *b\n  image: c\n";
        let src = SourceFile::new("c.yaml", text.as_bytes().to_vec(), None);
        let y = parse(&src, Options { first_document_only: true });
        let svc = y.get(y.root.unwrap(), "svc").unwrap();
        assert_eq!(y.lookup(svc, "image").and_then(|e| y.text(e.value)).map(|t| t.0), Some("c"));
        assert_eq!(y.lookup(svc, "build").and_then(|e| y.text(e.value)).map(|t| t.0), Some("."));
        assert_eq!(y.merged_entries(svc).iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), vec!["image", "build", "image"]);
        let ext = y.extent(&src, y.get(y.root.unwrap(), "base").unwrap()).unwrap();
        assert_eq!((ext.line, ext.end_line), (2, 3));
    }
}
