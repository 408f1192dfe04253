//! The Directus schema snapshot (`directus schema snapshot` YAML): parsed
//! once with yaml-rust2's event parser into a node tree that keeps a span per
//! node and per mapping key, converted to a `serde_json::Value` for the JSON
//! Schema, and viewed as typed collections, fields and relations.
//!
//! Robustness: the event loop is iterative (yaml-rust2's own `load` recurses
//! per nesting level), nesting deeper than [`MAX_DEPTH`] stops the parse with
//! an error, aliases are kept as shared nodes (never copied) and their
//! expansion into JSON is bounded by a node budget, so a "billion laughs"
//! document is an error, not an out-of-memory. YAML problems are data
//! (`errors`), reported by `snapshot/invalid-yaml`.

use std::collections::{HashMap, HashSet};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::finding::{parse_pragma, Span, Suppression};
use crate::source::SourceFile;

/// Deeper nesting than this is refused (a Directus snapshot needs about 10).
pub const MAX_DEPTH: usize = 128;
/// Aliases may expand the document to at most this many JSON nodes more
/// than it has YAML nodes.
pub const ALIAS_EXPANSION_BUDGET: usize = 200_000;

/// Index of a node in [`Snapshot`]'s node arena.
pub type NodeId = usize;

/// A YAML problem: the file cannot be read as one YAML document the way
/// Directus (js-yaml) would read it.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
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

/// A string value with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
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

#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub name: String,
    /// The `collection:` value.
    pub span: Span,
    /// Position in `collections:`.
    pub index: usize,
    /// `meta:` present and a mapping (not null).
    pub has_meta: bool,
    /// `schema:` present and a mapping: a database table. A collection
    /// without one (absent, as Directus writes it, or null) is a folder: a
    /// group with no table.
    pub has_schema: bool,
}

impl Collection {
    /// Whether Directus backs this collection with a table.
    pub fn is_table(&self) -> bool {
        self.has_schema
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub collection: Str,
    pub field: Str,
    /// `type:` when it is a string.
    pub r#type: Option<Str>,
    /// Position in `fields:`.
    pub index: usize,
    /// `schema.foreign_key_table` / `schema.foreign_key_column`.
    pub foreign_key_table: Option<Str>,
    pub foreign_key_column: Option<Str>,
    /// `meta.group`: the field this one is nested in.
    pub group: Option<Str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// The "many" side: `collection` and `field`.
    pub collection: Str,
    pub field: Str,
    /// The "one" side; None for many-to-any relations.
    pub related_collection: Option<Str>,
    /// Position in `relations:`.
    pub index: usize,
    /// `meta.one_field`: the alias field on the related collection.
    pub one_field: Option<Str>,
    /// `meta.junction_field`: the other foreign key of a junction collection.
    pub junction_field: Option<Str>,
    /// `meta.sort_field`.
    pub sort_field: Option<Str>,
    /// `meta.one_collection_field` (many-to-any).
    pub one_collection_field: Option<Str>,
    /// `meta.one_allowed_collections` (many-to-any).
    pub one_allowed_collections: Vec<Str>,
    /// `schema.foreign_key_table` / `schema.foreign_key_column`.
    pub foreign_key_table: Option<Str>,
    pub foreign_key_column: Option<Str>,
    /// `schema:` present and a mapping: the relation has a foreign key
    /// constraint. Directus writes none for a many-to-any relation.
    pub has_schema: bool,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: String,
    /// `# trm-ci: ignore=<id> <reason>` comments; each covers the next
    /// non-comment line.
    pub suppressions: Vec<Suppression>,
    /// YAML errors (syntax, duplicate keys, multiple documents, unknown
    /// tags, too deep, alias bombs). With a syntax error, there is no tree.
    pub errors: Vec<YamlError>,
    nodes: Vec<Node>,
    root: Option<NodeId>,
    /// The tree may be converted to JSON (no alias bomb, not too deep).
    json_ok: bool,
    /// `version:` as written (an integer when valid).
    pub version: Option<Str>,
    /// `directus:` as written (any scalar, as text).
    pub directus: Option<Str>,
    /// `vendor:` as written (any scalar, as text).
    pub vendor: Option<Str>,
    pub collections: Vec<Collection>,
    pub fields: Vec<Field>,
    pub relations: Vec<Relation>,
}

impl Snapshot {
    pub fn parse(src: &SourceFile) -> Snapshot {
        let mut s = Snapshot {
            path: src.path.clone(),
            suppressions: Vec::new(),
            errors: Vec::new(),
            nodes: Vec::new(),
            root: None,
            json_ok: false,
            version: None,
            directus: None,
            vendor: None,
            collections: Vec::new(),
            fields: Vec::new(),
            relations: Vec::new(),
        };
        let Ok(text) = src.text() else { return s };
        s.suppressions = suppressions(src, text);
        if let Some(f) = fast::parse(src, text) {
            s.root = f.root();
            s.errors = f.dup_errors;
            s.nodes = f.nodes;
        } else {
            s.parse_events(src, text);
            if s.root.is_none() {
                return s;
            }
        }
        s.finish();
        s
    }

    /// The full YAML parser (yaml-rust2's events), for files outside the
    /// fast path's subset; it also reports every YAML error.
    fn parse_events(&mut self, src: &SourceFile, text: &str) {
        let s = self;
        let mut b = Builder::new(src, text);
        // yaml-rust2 is not expected to panic, but a panic on some input
        // must not take the linter down: it becomes a YAML error.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            b.run();
            b
        }));
        let b = match outcome {
            Ok(b) => b,
            Err(_) => {
                s.errors.push(YamlError {
                    message: "the YAML parser failed on this file".into(),
                    span: src.span(0, 0),
                });
                return;
            }
        };
        s.errors = b.errors;
        s.nodes = b.nodes;
        s.root = if b.fatal { None } else { b.root };
    }

    /// JSON and typed views from the tree.
    fn finish(&mut self) {
        let s = self;
        s.nodes.shrink_to_fit();
        if let Some(root) = s.root {
            // Node ids are in post-order (children, and aliased nodes, before
            // their parents), so one forward pass gives every node's expanded
            // size and height without recursion.
            let budget = s.nodes.len() + ALIAS_EXPANSION_BUDGET;
            let mut size = vec![0usize; s.nodes.len()];
            let mut height = vec![0usize; s.nodes.len()];
            for (i, n) in s.nodes.iter().enumerate() {
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
                s.json_ok = true;
            } else {
                let span = s.nodes[root].span;
                s.errors.push(YamlError {
                    message: format!(
                        "aliases expand this document beyond {budget} nodes (or {MAX_DEPTH} levels); Directus snapshots need no aliases"
                    ),
                    span,
                });
            }
            s.build_views(root);
        }
    }

    /// The document as JSON (what the JSON Schema validates), built on each
    /// call and owned by the caller, so that it lives only while it is
    /// validated (the base's is never built). None when the YAML could not
    /// be read or its aliases expand beyond the budget.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.json_of(self.root?)
    }

    /// Node `id` as JSON (None when the document is not convertible).
    pub fn json_of(&self, id: NodeId) -> Option<serde_json::Value> {
        if !self.json_ok || id >= self.nodes.len() {
            return None;
        }
        let mut budget = self.nodes.len() + ALIAS_EXPANSION_BUDGET;
        to_json(&self.nodes, id, 0, &mut budget)
    }

    /// The names of every collection the snapshot defines (tables and
    /// folders), in file order.
    pub fn collection_names(&self) -> Vec<&str> {
        self.collections.iter().map(|c| c.name.as_str()).collect()
    }

    /// The collection named `name` (the first one, when duplicated).
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }

    /// The root node (None when the YAML could not be parsed or is empty).
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The value of `key` in mapping `id` (the last one when duplicated).
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entry(id, key).map(|e| e.value)
    }

    pub fn entry(&self, id: NodeId, key: &str) -> Option<&Entry> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The items of sequence `id` (empty when it is not a sequence).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Seq(items)) => items,
            _ => &[],
        }
    }

    /// Node `id` as a resolved scalar (None for collections).
    pub fn scalar(&self, id: NodeId) -> Option<Value<'_>> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Scalar(s) => Some(resolve(s)),
            _ => None,
        }
    }

    /// Node `id` when it is a string scalar.
    pub fn str_at(&self, id: NodeId) -> Option<Str> {
        match self.scalar(id)? {
            Value::Str(s) => Some(Str { value: s.to_string(), span: self.nodes[id].span }),
            _ => None,
        }
    }

    /// Node `id` when it is any scalar but null, as written.
    fn text_at(&self, id: NodeId) -> Option<Str> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Scalar(s) if resolve(s) != Value::Null => {
                Some(Str { value: s.text.clone(), span: self.nodes[id].span })
            }
            _ => None,
        }
    }

    /// Whether node `id` is a mapping.
    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.nodes.get(id).map(|n| &n.kind), Some(NodeKind::Map(_)))
    }

    /// The span to report for the node at a JSON pointer (`/fields/12/type`,
    /// as the JSON Schema validator gives instance paths): a scalar's own
    /// span; a mapping or sequence under a key, that key; a sequence item,
    /// its first line. Walks as far as the path exists and returns the span
    /// of the deepest node reached (None without a tree).
    pub fn span_at(&self, pointer: &str) -> Option<Span> {
        let root = self.root?;
        let mut id = root;
        let mut best = self.nodes[root].span;
        for seg in pointer_segments(pointer) {
            match &self.nodes[id].kind {
                NodeKind::Map(entries) => {
                    let Some(e) = entries.iter().rev().find(|e| e.key == seg) else { break };
                    id = e.value;
                    best = match self.nodes[id].kind {
                        NodeKind::Scalar(_) => self.nodes[id].span,
                        _ => e.key_span,
                    };
                }
                NodeKind::Seq(items) => {
                    let Some(&item) = seg.parse::<usize>().ok().and_then(|i| items.get(i)) else { break };
                    id = item;
                    best = self.nodes[id].span;
                }
                NodeKind::Scalar(_) => break,
            }
        }
        Some(best)
    }

    /// The key span of `key` in the mapping at `pointer`, for pointing at a
    /// property the schema does not allow.
    pub fn key_span_at(&self, pointer: &str, key: &str) -> Option<Span> {
        let mut id = self.root?;
        for seg in pointer_segments(pointer) {
            id = match &self.nodes[id].kind {
                NodeKind::Map(entries) => entries.iter().rev().find(|e| e.key == seg)?.value,
                NodeKind::Seq(items) => *items.get(seg.parse::<usize>().ok()?)?,
                NodeKind::Scalar(_) => return None,
            };
        }
        self.entry(id, key).map(|e| e.key_span)
    }

    fn build_views(&mut self, root: NodeId) {
        if !self.is_map(root) {
            return;
        }
        self.version = self.get(root, "version").and_then(|v| self.text_at(v));
        self.directus = self.get(root, "directus").and_then(|v| self.text_at(v));
        self.vendor = self.get(root, "vendor").and_then(|v| self.text_at(v));

        let mut collections = Vec::new();
        if let Some(list) = self.get(root, "collections") {
            for (index, &item) in self.items(list).iter().enumerate() {
                let Some(name) = self.get(item, "collection").and_then(|n| self.str_at(n)) else { continue };
                collections.push(Collection {
                    name: name.value,
                    span: name.span,
                    index,
                    has_meta: self.get(item, "meta").is_some_and(|m| self.is_map(m)),
                    has_schema: self.get(item, "schema").is_some_and(|m| self.is_map(m)),
                });
            }
        }

        let mut fields = Vec::new();
        if let Some(list) = self.get(root, "fields") {
            for (index, &item) in self.items(list).iter().enumerate() {
                let (Some(collection), Some(field)) = (self.str_path(item, &["collection"]), self.str_path(item, &["field"])) else {
                    continue;
                };
                fields.push(Field {
                    collection,
                    field,
                    r#type: self.str_path(item, &["type"]),
                    index,
                    foreign_key_table: self.str_path(item, &["schema", "foreign_key_table"]),
                    foreign_key_column: self.str_path(item, &["schema", "foreign_key_column"]),
                    group: self.str_path(item, &["meta", "group"]),
                });
            }
        }

        let mut relations = Vec::new();
        if let Some(list) = self.get(root, "relations") {
            for (index, &item) in self.items(list).iter().enumerate() {
                let (Some(collection), Some(field)) = (self.str_path(item, &["collection"]), self.str_path(item, &["field"])) else {
                    continue;
                };
                let allowed = self.get(item, "meta").and_then(|m| self.get(m, "one_allowed_collections"));
                relations.push(Relation {
                    collection,
                    field,
                    related_collection: self.str_path(item, &["related_collection"]),
                    index,
                    one_field: self.str_path(item, &["meta", "one_field"]),
                    junction_field: self.str_path(item, &["meta", "junction_field"]),
                    sort_field: self.str_path(item, &["meta", "sort_field"]),
                    one_collection_field: self.str_path(item, &["meta", "one_collection_field"]),
                    one_allowed_collections: allowed
                        .map(|a| self.items(a).iter().filter_map(|&c| self.str_at(c)).collect())
                        .unwrap_or_default(),
                    foreign_key_table: self.str_path(item, &["schema", "foreign_key_table"]),
                    foreign_key_column: self.str_path(item, &["schema", "foreign_key_column"]),
                    has_schema: self.get(item, "schema").is_some_and(|m| self.is_map(m)),
                });
            }
        }
        self.collections = collections;
        self.fields = fields;
        self.relations = relations;
    }

    /// The string at a key path below `id`.
    fn str_path(&self, id: NodeId, keys: &[&str]) -> Option<Str> {
        let mut id = id;
        for k in keys {
            id = self.get(id, k)?;
        }
        self.str_at(id)
    }
}

/// Splits a JSON pointer into unescaped segments.
fn pointer_segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~"))
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
fn suppressions(src: &SourceFile, text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let mut pending: Vec<Suppression> = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i as u32 + 1;
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some((rules, reason)) = parse_pragma(comment) {
                let end = offset + line.trim_end().len();
                pending.push(Suppression {
                    file: src.path.clone(),
                    span: src.span(offset + lead, end),
                    rules,
                    reason,
                    first_line: 0,
                    last_line: 0,
                });
            }
        } else if !trimmed.trim().is_empty() {
            for mut p in pending.drain(..) {
                p.first_line = lineno;
                p.last_line = lineno;
                out.push(p);
            }
        }
        offset += line.len() + 1;
    }
    // A pragma at the end of the file covers nothing (and is reported unused).
    out.extend(pending);
    out
}

enum Frame {
    Seq { items: Vec<NodeId>, span: Span, anchor: usize },
    Map { entries: Vec<Entry>, key: Option<(String, Span)>, span: Span, anchor: usize },
}

struct Builder<'a> {
    src: &'a SourceFile,
    text: &'a str,
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    documents: usize,
    errors: Vec<YamlError>,
    /// The tree is incomplete (syntax error, too deep): no JSON, no views.
    fatal: bool,
}

impl<'a> Builder<'a> {
    fn new(src: &'a SourceFile, text: &'a str) -> Self {
        Builder {
            src,
            text,
            nodes: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            documents: 0,
            errors: Vec::new(),
            fatal: false,
        }
    }

    /// Byte offset of a marker (line 1-based, column 0-based in chars).
    fn offset(&self, m: &Marker) -> usize {
        let line = m.line().max(1).min(u32::MAX as usize) as u32;
        let start = self.src.line_start(line);
        let rest = self.text.get(start..).unwrap_or("");
        let line_text = rest.split('\n').next().unwrap_or("");
        match line_text.char_indices().nth(m.col()) {
            Some((i, _)) => start + i,
            None => start + line_text.len(),
        }
    }

    /// Byte offset of the end of the line containing `offset` (before `\r\n`).
    fn line_end(&self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or("");
        let end = offset + rest.find('\n').unwrap_or(rest.len());
        let bytes = self.text.as_bytes();
        let mut e = end;
        while e > offset && (bytes[e - 1] == b'\r' || bytes[e - 1] == b' ' || bytes[e - 1] == b'\t') {
            e -= 1;
        }
        e
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        let span = self.src.span(start, end);
        self.errors.push(YamlError { message: message.into(), span });
    }

    fn run(&mut self) {
        let mut parser = Parser::new_from_str(self.text);
        loop {
            let (ev, mark) = match parser.next_token() {
                Ok(x) => x,
                Err(e) => {
                    let at = self.offset(e.marker());
                    let end = (at + 1).min(self.line_end(at).max(at));
                    self.error(format!("YAML syntax error: {}", e.info()), at, end);
                    self.fatal = true;
                    return;
                }
            };
            let is_map = matches!(ev, Event::MappingStart(..));
            match ev {
                Event::StreamEnd => return,
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                Event::DocumentStart => {
                    self.documents += 1;
                    if self.documents == 2 {
                        let at = self.offset(&mark);
                        let end = self.line_end(at);
                        self.error(
                            "a second YAML document starts here; Directus reads a snapshot as exactly one document",
                            at,
                            end,
                        );
                    }
                }
                Event::Alias(id) => {
                    let at = self.offset(&mark);
                    match self.anchors.get(&id).copied() {
                        Some(node) => self.push_value(node, at),
                        None => {
                            let end = self.line_end(at);
                            self.error("this alias refers to a node that contains it (a recursive alias)", at, end);
                            self.fatal = true;
                            return;
                        }
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let start = self.offset(&mark);
                    let end = self.scalar_end(start, &text, style);
                    let tag = match tag {
                        None => None,
                        Some(t) => match core_tag(&t) {
                            Some(s) => Some(s),
                            None => {
                                self.error(
                                    format!("unknown YAML tag `{}{}`; Directus (js-yaml) rejects it", t.handle, t.suffix),
                                    start,
                                    end,
                                );
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
                    self.push_value(id, start);
                }
                Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                    let _ = tag; // `!!map` / `!!seq` say nothing new; other tags on collections are rare
                    let start = self.offset(&mark);
                    if self.stack.len() >= MAX_DEPTH {
                        let end = self.line_end(start);
                        self.error(format!("nesting deeper than {MAX_DEPTH} levels; a Directus snapshot needs about 10"), start, end);
                        self.fatal = true;
                        return;
                    }
                    let end = self.line_end(start);
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
                            self.check_duplicates(&entries);
                            // yaml-rust2 marks a block mapping at its first `:`;
                            // the mapping starts at its first key.
                            let span = match entries.first() {
                                Some(e) if e.key_span.offset < span.offset => {
                                    let end = self.line_end(e.key_span.offset);
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
                    self.push_value(id, span.offset);
                }
            }
        }
    }

    fn alloc(&mut self, kind: NodeKind, span: Span) -> NodeId {
        self.nodes.push(Node { kind, span });
        self.nodes.len() - 1
    }

    /// Attaches a finished node to its parent (or makes it the root).
    fn push_value(&mut self, id: NodeId, at: usize) {
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
                    match k {
                        Some(k) => {
                            if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                                *key = Some((k, span));
                            }
                        }
                        None => {
                            if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                                *key = Some((String::new(), span));
                            }
                            let end = self.line_end(at);
                            self.error("a mapping key that is itself a mapping or a sequence; snapshot keys are plain names", at, end);
                        }
                    }
                }
            },
        }
    }

    fn check_duplicates(&mut self, entries: &[Entry]) {
        let mut seen: HashSet<&str> = HashSet::with_capacity(entries.len());
        let mut dups = Vec::new();
        for e in entries {
            if !seen.insert(e.key.as_str()) {
                dups.push((e.key.clone(), e.key_span));
            }
        }
        for (k, span) in dups {
            self.errors.push(YamlError {
                message: format!("duplicate key `{k}` in this mapping; Directus (js-yaml) refuses to load the file"),
                span,
            });
        }
    }

    /// Where a scalar that starts at `start` ends in the source.
    fn scalar_end(&self, start: usize, value: &str, style: TScalarStyle) -> usize {
        let rest = self.text.get(start..).unwrap_or("");
        let line_end = self.line_end(start);
        match style {
            TScalarStyle::Plain => {
                if !value.is_empty() && rest.starts_with(value) {
                    start + value.len()
                } else if value.is_empty() {
                    start
                } else {
                    line_end
                }
            }
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let q = if style == TScalarStyle::SingleQuoted { '\'' } else { '"' };
                let mut it = rest.char_indices().skip(1).peekable();
                while let Some((i, c)) = it.next() {
                    if c == '\n' {
                        return line_end;
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
                line_end
            }
            _ => line_end,
        }
    }
}

/// The suffix of a YAML core tag (`!!str` → `str`), None for other tags.
fn core_tag(t: &Tag) -> Option<&'static str> {
    if t.handle != "!!" && t.handle != "tag:yaml.org,2002:" {
        return None;
    }
    ["str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary"].into_iter().find(|c| *c == t.suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Snapshot {
        Snapshot::parse(&SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None))
    }

    const SMALL: &str = "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n  - collection: orders\n    meta:\n      icon: box\n    schema:\n      name: orders\n  - collection: folder\n    meta: null\n    schema: null\nfields:\n  - collection: orders\n    field: total\n    type: decimal\nrelations:\n  - collection: orders\n    field: customer\n    related_collection: directus_users\n    meta:\n      one_field: null\n      one_allowed_collections: [a, b]\n";

    /// Parses `text` with the event parser only (no fast path).
    fn parse_slow(text: &str) -> Snapshot {
        let src = SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None);
        let mut s = parse(""); // an empty model to fill
        s.parse_events(&src, src.text_or_empty());
        s.finish();
        s
    }

    /// Both parsers build the same tree (spans of empty scalars aside).
    fn same_tree(text: &str) -> Result<(), String> {
        let fast_src = SourceFile::new("s.yaml", text.as_bytes().to_vec(), None);
        let f = match fast::parse(&fast_src, text) {
            Some(f) => f,
            None => return Ok(()), // not in the subset: nothing to compare
        };
        let slow = parse_slow(text);
        if slow.errors != f.dup_errors {
            return Err(format!("errors differ: yaml-rust2 {:?} vs fast {:?}", slow.errors, f.dup_errors));
        }
        let mut stack = vec![(f.root(), slow.root(), String::new())];
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
    fn builds_typed_views_with_spans() {
        let s = parse(SMALL);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.collection_names(), vec!["orders", "folder"]);
        assert!(s.collections[0].is_table() && s.collections[0].has_meta);
        assert!(!s.collections[1].is_table() && !s.collections[1].has_meta);
        assert_eq!(s.collections[0].span.line, 5);
        assert_eq!(s.collections[0].span.col, 17);
        let d = s.directus.as_ref().unwrap();
        assert_eq!((d.value.as_str(), d.span.line, d.span.col, d.span.end_col), ("11.17.4", 2, 11, 18));
        assert_eq!(s.vendor.as_ref().unwrap().value, "postgres");
        let f = &s.fields[0];
        assert_eq!((f.collection.value.as_str(), f.field.value.as_str()), ("orders", "total"));
        assert_eq!(f.r#type.as_ref().unwrap().span.line, 16);
        let r = &s.relations[0];
        assert_eq!(r.related_collection.as_ref().unwrap().value, "directus_users");
        assert_eq!(r.one_field, None);
        assert_eq!(r.one_allowed_collections.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        let json = s.json().unwrap();
        assert_eq!(json["version"], serde_json::json!(1));
        assert_eq!(json["collections"][1]["meta"], serde_json::Value::Null);
    }

    #[test]
    fn json_pointers_map_to_lines() {
        let s = parse(SMALL);
        // A scalar: its own span.
        let t = s.span_at("/fields/0/type").unwrap();
        assert_eq!((t.line, t.col, t.end_col), (16, 11, 18));
        // A mapping under a key: the key.
        let m = s.span_at("/collections/0/meta").unwrap();
        assert_eq!((m.line, m.col, m.end_col), (6, 5, 9));
        // A sequence item: its first line, from its first key.
        let i = s.span_at("/collections/1").unwrap();
        assert_eq!((i.line, i.col), (10, 5));
        // The root, and a path that goes further than the document.
        assert_eq!(s.span_at("").unwrap().line, 1);
        assert_eq!(s.span_at("/collections/1/nothing/here").unwrap().line, 10);
        assert_eq!(s.key_span_at("/collections/0/meta", "icon").unwrap().line, 7);
    }

    #[test]
    fn scalars_resolve_like_js_yaml() {
        let s = parse("a: 11.17\nb: '1'\nc: ~\nd: 0x10\ne: true\nf: 1.2.3\ng: !!str 5\nh: -7\ni: .5e3\n");
        let j = s.json().unwrap();
        assert_eq!(j["a"], serde_json::json!(11.17));
        assert_eq!(j["b"], serde_json::json!("1"));
        assert_eq!(j["c"], serde_json::Value::Null);
        assert_eq!(j["d"], serde_json::json!(16));
        assert_eq!(j["e"], serde_json::json!(true));
        assert_eq!(j["f"], serde_json::json!("1.2.3"));
        assert_eq!(j["g"], serde_json::json!("5"));
        assert_eq!(j["h"], serde_json::json!(-7));
        assert_eq!(j["i"], serde_json::json!(500.0));
    }

    #[test]
    fn syntax_errors_are_data_with_a_line() {
        let s = parse("version: 1\ncollections:\n  - collection: 'orders\n");
        assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
        assert!(s.errors[0].message.starts_with("YAML syntax error"));
        assert!(s.errors[0].span.line >= 3);
        assert!(s.root().is_none() && s.json().is_none() && s.collections.is_empty());
    }

    #[test]
    fn duplicate_keys_multiple_documents_and_unknown_tags_are_errors() {
        let s = parse("a: 1\nb:\n  c: 1\n  c: 2\n");
        assert_eq!(s.errors.len(), 1);
        assert_eq!((s.errors[0].span.line, s.errors[0].span.col), (4, 3));
        assert_eq!(s.json().unwrap()["b"]["c"], serde_json::json!(2));
        let s = parse("a: 1\n---\nb: 2\n");
        assert!(s.errors.iter().any(|e| e.message.contains("second YAML document") && e.span.line == 2), "{:?}", s.errors);
        let s = parse("a: !custom 1\n");
        assert!(s.errors.iter().any(|e| e.message.contains("unknown YAML tag")), "{:?}", s.errors);
    }

    #[test]
    fn aliases_expand_but_a_billion_laughs_does_not() {
        let s = parse("a: &x {k: v}\nb: *x\n");
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.json().unwrap()["b"]["k"], serde_json::json!("v"));
        let mut lol = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..12 {
            let p = i - 1;
            lol.push_str(&format!("l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"));
        }
        let s = parse(&lol);
        assert!(s.json().is_none());
        assert!(s.errors.iter().any(|e| e.message.contains("aliases expand")), "{:?}", s.errors);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let flow = "a: ".to_string() + &"[".repeat(100_000);
        let s = parse(&flow);
        assert!(!s.errors.is_empty());
        let mut block = String::new();
        for i in 0..5_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("- \n");
        }
        let s = parse(&block);
        assert!(!s.errors.is_empty());
        let mut block = String::new();
        for i in 0..5_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let s = parse(&block);
        assert!(s.errors.iter().any(|e| e.message.contains("nesting deeper")), "{:?}", s.errors);
    }

    #[test]
    fn odd_inputs_never_panic() {
        for text in [
            "", "\u{feff}", "---", "...", "[", "{", "}", "]", "- - - -", "? a\n: b", "? [a]\n: b", "*x", "&a",
            "a: *b", "\t", "a:\n\t- b", "'", "\"\\", "a: |\n  x\n b", "%YAML 1.2\n---\na: 1", "a: b: c", "- a\nb: c",
            "a: &x [*x]", "\r\n\r\na: 1\r\n", "é: ü\nç: [ñ, 'ø']",
        ] {
            let _ = parse(text);
        }
        let s = Snapshot::parse(&SourceFile::new("s.yaml", vec![0xff, 0xfe, b'a'], None));
        assert!(s.root().is_none() && s.errors.is_empty());
    }

    #[test]
    fn crlf_and_multibyte_spans() {
        let s = parse("directus: \"11.17.4\"\r\nvendor: pöstgres\r\n");
        let d = s.directus.unwrap();
        assert_eq!((d.span.line, d.span.col, d.span.end_col), (1, 11, 20));
        let v = s.vendor.unwrap();
        assert_eq!((v.value.as_str(), v.span.line, v.span.col, v.span.end_col), ("pöstgres", 2, 9, 17));
    }

    #[test]
    fn pragmas_cover_the_next_line() {
        let s = parse("# trm-ci: ignore=snapshot/vendor taken on purpose\n\nvendor: mysql\n");
        assert_eq!(s.suppressions.len(), 1);
        assert_eq!((s.suppressions[0].first_line, s.suppressions[0].last_line), (3, 3));
        assert_eq!(s.suppressions[0].rules, vec!["snapshot/vendor".to_string()]);
    }
}

/// A fast path for the YAML that `directus schema snapshot` writes (js-yaml's
/// block style: block mappings and sequences, plain and quoted one-line
/// scalars, `[]`/`{}`, literal and simple folded block scalars, comments).
/// It builds the same tree as the event parser, about ten times faster. On
/// anything outside that subset (anchors, tags, flow collections, multi-line
/// flow scalars, documents markers, tabs, any error) it gives up, and the
/// file goes through yaml-rust2, which also reports the errors.
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
        text: &'a str,
        lines: Vec<Line>,
        i: usize,
        pub(super) nodes: Vec<Node>,
        pub(super) dup_errors: Vec<YamlError>,
    }

    type R<T> = Option<T>;

    pub(super) fn parse<'a>(_src: &'a SourceFile, text: &'a str) -> Option<Fast<'a>> {
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
        let mut f = Fast { text, lines, i: 0, nodes, dup_errors: Vec::new() };
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
            let l = &self.lines[j];
            let line = j as u32 + 1;
            let col = |off: usize| -> u32 {
                let seg = self.text.get(l.start..off.min(l.end).max(l.start)).unwrap_or("");
                (if seg.is_ascii() { seg.len() } else { seg.chars().count() }) as u32 + 1
            };
            Span { line, col: col(start), end_line: line, end_col: col(end), offset: start, len: end.saturating_sub(start) }
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
            for (k, span) in duplicates(&entries) {
                self.dup_errors.push(YamlError {
                    message: format!("duplicate key `{k}` in this mapping; Directus (js-yaml) refuses to load the file"),
                    span,
                });
            }
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

    fn duplicates(entries: &[Entry]) -> Vec<(String, Span)> {
        let mut dups = Vec::new();
        if entries.len() <= 32 {
            for (i, e) in entries.iter().enumerate() {
                if entries[..i].iter().any(|p| p.key == e.key) {
                    dups.push((e.key.clone(), e.key_span));
                }
            }
            return dups;
        }
        let mut seen: HashSet<&str> = HashSet::with_capacity(entries.len());
        for e in entries {
            if !seen.insert(e.key.as_str()) {
                dups.push((e.key.clone(), e.key_span));
            }
        }
        dups
    }
}
