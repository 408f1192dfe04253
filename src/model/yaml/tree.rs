//! The tree: an arena of nodes, each with its span, mapping keys with
//! theirs; the problems found building it; lookups, the duplicate-key check
//! and the conversion to JSON within the alias budget.

use std::collections::HashMap;

use super::resolve::resolve;
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

impl Yaml {
    /// Node ids are in post-order (children, and aliased nodes, before
    /// their parents), so one forward pass gives every node's expanded size
    /// and height without recursion.
    pub(super) fn check_budget(&mut self) {
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

pub(super) fn duplicate_issues(entries: &[Entry], out: &mut Vec<Issue>) {
    for (e, first) in duplicates(entries) {
        out.push(Issue { problem: Problem::DuplicateKey { key: e.key.clone(), first: first.key_span }, span: e.key_span });
    }
}

/// Converts node `id` to JSON, spending one unit of `budget` per node (an
/// alias is converted each time it is used). None when the budget or the
/// depth limit runs out.
pub(super) fn to_json(nodes: &[Node], id: NodeId, depth: usize, budget: &mut usize) -> Option<serde_json::Value> {
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
