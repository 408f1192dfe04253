//! The Directus schema snapshot (`directus schema snapshot` YAML): parsed
//! once into the shared span-keeping YAML tree ([`crate::model::yaml`]:
//! fast path for what Directus writes, yaml-rust2's events otherwise, one
//! depth and alias budget), converted to a `serde_json::Value` for the JSON
//! Schema, and viewed as typed collections, fields and relations. YAML
//! problems are data (`errors`), reported by `snapshot/invalid-yaml`.

use crate::finding::{parse_pragma, Span, Suppression};
use crate::model::yaml::{self, Problem, Yaml};
use crate::source::SourceFile;

pub use crate::model::yaml::{resolve, Entry, Node, NodeId, NodeKind, Scalar, Value, YamlError, ALIAS_EXPANSION_BUDGET, MAX_DEPTH};

/// A string value with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub span: Span,
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
    /// The YAML tree (empty when the file could not be parsed).
    tree: Yaml,
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
            tree: Yaml::default(),
            version: None,
            directus: None,
            vendor: None,
            collections: Vec::new(),
            fields: Vec::new(),
            relations: Vec::new(),
        };
        let Ok(text) = src.text() else { return s };
        s.suppressions = suppressions(src, text);
        s.tree = yaml::parse(src, yaml::Options::default());
        s.errors = s.tree.issues.iter().map(|i| YamlError { message: message(&i.problem), span: i.span }).collect();
        if let Some(root) = s.tree.root {
            s.build_views(root);
        }
        s
    }

    /// The document as JSON (what the JSON Schema validates), built on each
    /// call and owned by the caller, so that it lives only while it is
    /// validated (the base's is never built). None when the YAML could not
    /// be read or its aliases expand beyond the budget.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.json_of(self.tree.root?)
    }

    /// Node `id` as JSON (None when the document is not convertible).
    pub fn json_of(&self, id: NodeId) -> Option<serde_json::Value> {
        self.tree.json_of(id)
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
        self.tree.root
    }

    /// The YAML tree.
    pub fn yaml(&self) -> &Yaml {
        &self.tree
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.tree.nodes.get(id)
    }

    /// The value of `key` in mapping `id` (the last one when duplicated).
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entry(id, key).map(|e| e.value)
    }

    pub fn entry(&self, id: NodeId, key: &str) -> Option<&Entry> {
        self.tree.entry(id, key)
    }

    /// The items of sequence `id` (empty when it is not a sequence).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        self.tree.items(id)
    }

    /// Node `id` as a resolved scalar (None for collections).
    pub fn scalar(&self, id: NodeId) -> Option<Value<'_>> {
        self.tree.value(id)
    }

    /// Node `id` when it is a string scalar.
    pub fn str_at(&self, id: NodeId) -> Option<Str> {
        match self.scalar(id)? {
            Value::Str(s) => Some(Str { value: s.to_string(), span: self.tree.nodes[id].span }),
            _ => None,
        }
    }

    /// Node `id` when it is any scalar but null, as written.
    fn text_at(&self, id: NodeId) -> Option<Str> {
        match &self.tree.nodes.get(id)?.kind {
            NodeKind::Scalar(s) if resolve(s) != Value::Null => {
                Some(Str { value: s.text.clone(), span: self.tree.nodes[id].span })
            }
            _ => None,
        }
    }

    /// Whether node `id` is a mapping.
    pub fn is_map(&self, id: NodeId) -> bool {
        self.tree.is_map(id)
    }

    /// The span to report for the node at a JSON pointer (`/fields/12/type`,
    /// as the JSON Schema validator gives instance paths): a scalar's own
    /// span; a mapping or sequence under a key, that key; a sequence item,
    /// its first line. Walks as far as the path exists and returns the span
    /// of the deepest node reached (None without a tree).
    pub fn span_at(&self, pointer: &str) -> Option<Span> {
        let root = self.tree.root?;
        let mut id = root;
        let mut best = self.tree.nodes[root].span;
        for seg in pointer_segments(pointer) {
            match &self.tree.nodes[id].kind {
                NodeKind::Map(entries) => {
                    let Some(e) = entries.iter().rev().find(|e| e.key == seg) else { break };
                    id = e.value;
                    best = match self.tree.nodes[id].kind {
                        NodeKind::Scalar(_) => self.tree.nodes[id].span,
                        _ => e.key_span,
                    };
                }
                NodeKind::Seq(items) => {
                    let Some(&item) = seg.parse::<usize>().ok().and_then(|i| items.get(i)) else { break };
                    id = item;
                    best = self.tree.nodes[id].span;
                }
                NodeKind::Scalar(_) => break,
            }
        }
        Some(best)
    }

    /// The key span of `key` in the mapping at `pointer`, for pointing at a
    /// property the schema does not allow.
    pub fn key_span_at(&self, pointer: &str, key: &str) -> Option<Span> {
        let mut id = self.tree.root?;
        for seg in pointer_segments(pointer) {
            id = match &self.tree.nodes[id].kind {
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

/// A YAML problem in the snapshot's words: what Directus (js-yaml) does with it.
fn message(p: &Problem) -> String {
    match p {
        Problem::Syntax(info) => format!("YAML syntax error: {info}"),
        Problem::DuplicateKey { key, .. } => {
            format!("duplicate key `{key}` in this mapping; Directus (js-yaml) refuses to load the file")
        }
        Problem::SecondDocument => {
            "a second YAML document starts here; Directus reads a snapshot as exactly one document".into()
        }
        Problem::RecursiveAlias => "this alias refers to a node that contains it (a recursive alias)".into(),
        Problem::UnknownTag(tag) => format!("unknown YAML tag `{tag}`; Directus (js-yaml) rejects it"),
        Problem::TooDeep => format!("nesting deeper than {MAX_DEPTH} levels; a Directus snapshot needs about 10"),
        Problem::ComplexKey => {
            "a mapping key that is itself a mapping or a sequence; snapshot keys are plain names".into()
        }
        Problem::AliasBomb { budget } => format!(
            "aliases expand this document beyond {budget} nodes (or {MAX_DEPTH} levels); Directus snapshots need no aliases"
        ),
        Problem::ParserFailed => "the YAML parser failed on this file".into(),
    }
}

/// Splits a JSON pointer into unescaped segments.
fn pointer_segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~"))
}

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


#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Snapshot {
        Snapshot::parse(&SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None))
    }

    const SMALL: &str = "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n  - collection: orders\n    meta:\n      icon: box\n    schema:\n      name: orders\n  - collection: folder\n    meta: null\n    schema: null\nfields:\n  - collection: orders\n    field: total\n    type: decimal\nrelations:\n  - collection: orders\n    field: customer\n    related_collection: directus_users\n    meta:\n      one_field: null\n      one_allowed_collections: [a, b]\n";

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

