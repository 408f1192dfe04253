//! What a change of the snapshot does to the schema: a pure function from
//! two parsed snapshots (the base's and the head's) to the collections,
//! fields and relations added, removed and changed, each change marked
//! destructive or not, with the reason.
//!
//! It follows what Directus 11.17.4 itself does at `schema apply`
//! (`getSnapshotDiff` + `applyDiff` in `@directus/api/dist/utils/`):
//! collections are matched by name, fields and relations by (collection,
//! field); a removed collection takes its fields and relations with it (they
//! are not listed again); a field whose type changes to or from `alias` is
//! deleted and created again; the schema of an auto-increment primary key is
//! not compared. Folder collections (no `schema`, no table) and alias fields
//! (no column) are reported as such, never as table or column changes.
//!
//! The data is serde both ways: the PR comment and the upgrade drill read it.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::column_type::{self, ColumnType, Verdict};
use crate::model::snapshot::{NodeId, Snapshot, Value};

/// The changes, in snapshot order: collections, then fields, then relations
/// (removed and changed ones in the base's order, added ones in the head's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    pub changes: Vec<Change>,
}

impl SchemaDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn destructive(&self) -> usize {
        self.changes.iter().filter(|c| c.destructive).count()
    }

    /// The changes with the destructive ones first (otherwise in order).
    pub fn destructive_first(&self) -> Vec<&Change> {
        let mut v: Vec<&Change> = self.changes.iter().collect();
        v.sort_by_key(|c| !c.destructive);
        v
    }
}

/// One change of one collection, field or relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub collection: String,
    /// The field (fields and relations; a relation is named by its "many"
    /// side's field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub what: What,
    /// Data is lost, or existing values lose their meaning.
    pub destructive: bool,
    /// Why it is destructive, or what may go wrong applying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where it is written in the base snapshot (removed and changed items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_line: Option<u32>,
    /// Where it is written in the head snapshot (added and changed items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_line: Option<u32>,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// `table: false`: a folder (no `schema`, no table).
    CollectionAdded { table: bool },
    /// `fields`: how many fields the base defines in it.
    CollectionRemoved { table: bool, fields: usize },
    /// `column: false`: an alias field (o2m, m2m, presentation; no column).
    FieldAdded {
        #[serde(rename = "type")]
        r#type: Option<String>,
        column: bool,
        nullable: Option<bool>,
    },
    FieldRemoved {
        #[serde(rename = "type")]
        r#type: Option<String>,
        column: bool,
    },
    /// The Directus type, or the column under it, changed. `from_column` /
    /// `to_column`: the PostgreSQL column type (`varchar(32)`), when known;
    /// `loss`: what PostgreSQL's
    /// conversion does to existing values when it can fail or lose data
    /// (None: every value converts; src/model/column_type.rs decides).
    TypeChanged {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_column: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_column: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss: Option<String>,
    },
    NullableChanged { from: bool, to: bool },
    DefaultChanged { from: serde_json::Value, to: serde_json::Value },
    UniqueChanged { from: bool, to: bool },
    /// `related_collection`: None for a many-to-any relation.
    RelationAdded { related_collection: Option<String> },
    RelationRemoved { related_collection: Option<String> },
    /// The "one" side of a many-to-one moved to another collection.
    RelationTargetChanged { from: Option<String>, to: Option<String> },
    /// `schema.foreign_key_table.foreign_key_column`.
    ForeignKeyChanged { from: Option<String>, to: Option<String> },
    OnDeleteChanged { from: Option<String>, to: Option<String> },
}

/// Field types Directus keeps no column for.
pub fn is_alias_type(t: &str) -> bool {
    matches!(t, "alias" | "o2m" | "m2m" | "m2a" | "o2a" | "files" | "translations")
}

/// A field's column type: from its `schema` when the snapshot says
/// (`data_type`, `max_length`, `numeric_precision`, `numeric_scale`), else
/// the column Directus creates for its type.
fn column_type(s: &Snapshot, schema: Option<NodeId>, r#type: Option<&str>) -> Option<ColumnType> {
    let number = |key: &str| match s.scalar(s.get(schema?, key)?)? {
        Value::Int(i) if i >= 0 => Some(i as u64),
        _ => None,
    };
    text(s, schema, "data_type")
        .and_then(|d| ColumnType::from_schema(&d, number("max_length"), number("numeric_precision"), number("numeric_scale")))
        .or_else(|| ColumnType::of_directus_type(r#type?))
}

/// The [`What::TypeChanged`] of a field whose Directus type or column type
/// differs, None when neither does.
fn type_change(from: &str, from_col: Option<ColumnType>, to: &str, to_col: Option<ColumnType>) -> Option<What> {
    if from == to && (from_col.is_none() || to_col.is_none() || from_col == to_col) {
        return None;
    }
    let loss = match (&from_col, &to_col) {
        _ if is_alias_type(from) || is_alias_type(to) => None,
        (Some(a), Some(b)) => match column_type::classify(a, b) {
            Verdict::Destructive(why) => Some(why),
            Verdict::Same | Verdict::Safe => None,
        },
        // A column type trm-ci does not know (geometry, a custom data_type).
        _ => Some("existing values may not convert".to_string()),
    };
    Some(What::TypeChanged {
        from: from.to_string(),
        to: to.to_string(),
        from_column: from_col.map(|c| c.sql()),
        to_column: to_col.map(|c| c.sql()),
        loss,
    })
}

/// One field as the diff reads it.
struct FieldFacts {
    r#type: Option<String>,
    column: bool,
    line: u32,
    /// Its `schema` mapping (None for alias fields).
    schema: Option<NodeId>,
    auto_increment_pk: bool,
    /// Its column's type (None: alias, or unknown).
    column_type: Option<ColumnType>,
}

/// One relation as the diff reads it.
struct RelationFacts {
    related_collection: Option<String>,
    line: u32,
    schema: Option<NodeId>,
}

/// The `index`-th item of the top-level list `key`.
fn item(s: &Snapshot, key: &str, index: usize) -> Option<NodeId> {
    let list = s.get(s.root()?, key)?;
    s.items(list).get(index).copied()
}

fn schema_of(s: &Snapshot, item: Option<NodeId>) -> Option<NodeId> {
    item.and_then(|i| s.get(i, "schema")).filter(|&m| s.is_map(m))
}

fn flag(s: &Snapshot, schema: Option<NodeId>, key: &str) -> Option<bool> {
    match s.scalar(s.get(schema?, key)?)? {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

fn text(s: &Snapshot, schema: Option<NodeId>, key: &str) -> Option<String> {
    match s.scalar(s.get(schema?, key)?)? {
        Value::Null => None,
        Value::Str(t) => Some(t.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
    }
}

/// A value as JSON (missing: null).
fn json(s: &Snapshot, schema: Option<NodeId>, key: &str) -> serde_json::Value {
    let Some(id) = schema.and_then(|m| s.get(m, key)) else { return serde_json::Value::Null };
    match s.scalar(id) {
        Some(Value::Null) => serde_json::Value::Null,
        Some(Value::Bool(b)) => serde_json::Value::Bool(b),
        Some(Value::Int(i)) => serde_json::Value::from(i),
        Some(Value::Float(f)) => serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
        Some(Value::Str(t)) => serde_json::Value::String(t.to_string()),
        None => s.json_of(id).unwrap_or(serde_json::Value::Null),
    }
}

fn fields(s: &Snapshot) -> HashMap<(&str, &str), FieldFacts> {
    let mut out = HashMap::new();
    for f in &s.fields {
        let key = (f.collection.value.as_str(), f.field.value.as_str());
        if out.contains_key(&key) {
            continue; // a duplicate is snapshot/duplicate's; the first one counts
        }
        let node = item(s, "fields", f.index);
        let schema = schema_of(s, node);
        let r#type = f.r#type.as_ref().map(|t| t.value.clone());
        let column = match &r#type {
            Some(t) => !is_alias_type(t),
            None => schema.is_some(),
        };
        let auto_increment_pk = flag(s, schema, "is_primary_key") == Some(true) && flag(s, schema, "has_auto_increment") == Some(true);
        let column_type = if column { column_type(s, schema, r#type.as_deref()) } else { None };
        out.insert(key, FieldFacts { r#type, column, line: f.field.span.line, schema, auto_increment_pk, column_type });
    }
    out
}

fn relations(s: &Snapshot) -> HashMap<(&str, &str), RelationFacts> {
    let mut out = HashMap::new();
    for r in &s.relations {
        let key = (r.collection.value.as_str(), r.field.value.as_str());
        if out.contains_key(&key) {
            continue;
        }
        let schema = schema_of(s, item(s, "relations", r.index));
        out.insert(
            key,
            RelationFacts { related_collection: r.related_collection.as_ref().map(|c| c.value.clone()), line: r.field.span.line, schema },
        );
    }
    out
}

fn foreign_key(s: &Snapshot, schema: Option<NodeId>) -> Option<String> {
    let table = text(s, schema, "foreign_key_table")?;
    Some(match text(s, schema, "foreign_key_column") {
        Some(c) => format!("{table}.{c}"),
        None => table,
    })
}

/// The schema change from `base` to `head`.
pub fn diff(base: &Snapshot, head: &Snapshot) -> SchemaDiff {
    if std::ptr::eq(base, head) {
        // The lint shares one model between base and head when the bytes
        // are the same: nothing changed.
        return SchemaDiff::default();
    }
    let mut changes = Vec::new();
    let change = |collection: &str, field: Option<&str>, what: What, base_line: Option<u32>, head_line: Option<u32>| {
        let (destructive, reason) = assess(&what, collection, field.unwrap_or(""), &|x: &str| x.to_string());
        Change { collection: collection.to_string(), field: field.map(str::to_string), what, destructive, reason, base_line, head_line }
    };

    // Collections.
    let head_collections: HashMap<&str, &crate::model::snapshot::Collection> =
        head.collections.iter().rev().map(|c| (c.name.as_str(), c)).collect();
    let base_collections: HashMap<&str, &crate::model::snapshot::Collection> =
        base.collections.iter().rev().map(|c| (c.name.as_str(), c)).collect();
    let mut removed: HashSet<&str> = HashSet::new();
    for c in &base.collections {
        if head_collections.contains_key(c.name.as_str()) || !removed.insert(c.name.as_str()) {
            continue;
        }
        let n = base.fields.iter().filter(|f| f.collection.value == c.name).count();
        changes.push(change(&c.name, None, What::CollectionRemoved { table: c.is_table(), fields: n }, Some(c.span.line), None));
    }
    let mut added: HashSet<&str> = HashSet::new();
    for c in &head.collections {
        if base_collections.contains_key(c.name.as_str()) || !added.insert(c.name.as_str()) {
            continue;
        }
        changes.push(change(&c.name, None, What::CollectionAdded { table: c.is_table() }, None, Some(c.span.line)));
    }

    // Fields.
    let (bf, hf) = (fields(base), fields(head));
    let mut seen = HashSet::new();
    for f in &base.fields {
        let key = (f.collection.value.as_str(), f.field.value.as_str());
        if removed.contains(key.0) || !seen.insert(key) {
            continue;
        }
        let b = &bf[&key];
        let Some(h) = hf.get(&key) else {
            changes.push(change(key.0, Some(key.1), What::FieldRemoved { r#type: b.r#type.clone(), column: b.column }, Some(b.line), None));
            continue;
        };
        let at = (Some(key.0), Some(key.1), Some(b.line), Some(h.line));
        let mut push = |what: What| changes.push(change(at.0.unwrap(), at.1, what, at.2, at.3));
        if let (Some(bt), Some(ht)) = (&b.r#type, &h.r#type) {
            // Directus compares no schema for an auto-increment primary key.
            let cols = if b.auto_increment_pk { (None, None) } else { (b.column_type.clone(), h.column_type.clone()) };
            if let Some(what) = type_change(bt, cols.0, ht, cols.1) {
                push(what);
            }
        }
        // Directus compares no schema for an auto-increment primary key,
        // and an alias field has none.
        if b.auto_increment_pk || !b.column || !h.column {
            continue;
        }
        if let (Some(from), Some(to)) = (flag(base, b.schema, "is_nullable"), flag(head, h.schema, "is_nullable")) {
            if from != to {
                push(What::NullableChanged { from, to });
            }
        }
        let (from, to) = (json(base, b.schema, "default_value"), json(head, h.schema, "default_value"));
        if from != to {
            push(What::DefaultChanged { from, to });
        }
        if let (Some(from), Some(to)) = (flag(base, b.schema, "is_unique"), flag(head, h.schema, "is_unique")) {
            if from != to {
                push(What::UniqueChanged { from, to });
            }
        }
    }
    let mut seen = HashSet::new();
    for f in &head.fields {
        let key = (f.collection.value.as_str(), f.field.value.as_str());
        if !seen.insert(key) || bf.contains_key(&key) {
            continue;
        }
        let h = &hf[&key];
        let nullable = if h.column { flag(head, h.schema, "is_nullable") } else { None };
        changes.push(change(key.0, Some(key.1), What::FieldAdded { r#type: h.r#type.clone(), column: h.column, nullable }, None, Some(h.line)));
    }

    // Relations.
    let (br, hr) = (relations(base), relations(head));
    let mut seen = HashSet::new();
    for r in &base.relations {
        let key = (r.collection.value.as_str(), r.field.value.as_str());
        if removed.contains(key.0) || !seen.insert(key) {
            continue;
        }
        let b = &br[&key];
        let Some(h) = hr.get(&key) else {
            let what = What::RelationRemoved { related_collection: b.related_collection.clone() };
            changes.push(change(key.0, Some(key.1), what, Some(b.line), None));
            continue;
        };
        let at = (Some(b.line), Some(h.line));
        if b.related_collection != h.related_collection {
            let what = What::RelationTargetChanged { from: b.related_collection.clone(), to: h.related_collection.clone() };
            changes.push(change(key.0, Some(key.1), what, at.0, at.1));
        } else {
            let (from, to) = (foreign_key(base, b.schema), foreign_key(head, h.schema));
            if from != to && from.is_some() && to.is_some() {
                changes.push(change(key.0, Some(key.1), What::ForeignKeyChanged { from, to }, at.0, at.1));
            }
        }
        let (from, to) = (text(base, b.schema, "on_delete"), text(head, h.schema, "on_delete"));
        if from != to && b.schema.is_some() && h.schema.is_some() {
            changes.push(change(key.0, Some(key.1), What::OnDeleteChanged { from, to }, at.0, at.1));
        }
    }
    let mut seen = HashSet::new();
    for r in &head.relations {
        let key = (r.collection.value.as_str(), r.field.value.as_str());
        if !seen.insert(key) || br.contains_key(&key) {
            continue;
        }
        let h = &hr[&key];
        let what = What::RelationAdded { related_collection: h.related_collection.clone() };
        changes.push(change(key.0, Some(key.1), what, None, Some(h.line)));
    }
    SchemaDiff { changes }
}

/// Whether a change loses data, and why (or what may go wrong applying it),
/// with names written by `n`.
fn assess(what: &What, collection: &str, field: &str, n: Namer) -> (bool, Option<String>) {
    let (collection, field) = (n(collection), n(field));
    match what {
        What::CollectionRemoved { table: true, .. } => (true, Some(format!("drops table {collection} and its rows"))),
        What::CollectionRemoved { table: false, .. } => (false, None),
        What::CollectionAdded { .. } => (false, None),
        What::FieldRemoved { column: true, .. } => (true, Some(format!("drops column {field} and its data"))),
        What::FieldRemoved { column: false, .. } | What::FieldAdded { .. } => (false, None),
        What::TypeChanged { from, to, loss, .. } => {
            if is_alias_type(from) && !is_alias_type(to) {
                (false, Some("Directus deletes the field and creates it again".into()))
            } else if is_alias_type(to) && !is_alias_type(from) {
                (true, Some(format!("drops column {field} and its data: Directus deletes the field and creates it again")))
            } else if is_alias_type(from) {
                (false, None)
            } else {
                match loss {
                    Some(why) => (true, Some(why.clone())),
                    None => (false, None),
                }
            }
        }
        What::NullableChanged { from: true, to: false } => (false, Some("fails if an existing row holds NULL".into())),
        What::NullableChanged { .. } | What::DefaultChanged { .. } => (false, None),
        What::UniqueChanged { from: false, to: true } => (false, Some("fails if existing rows repeat a value".into())),
        What::UniqueChanged { .. } => (false, None),
        What::RelationRemoved { .. } => (false, Some("drops its foreign key; the values stay".into())),
        What::RelationAdded { .. } => (false, None),
        What::RelationTargetChanged { from: Some(from), .. } => {
            (true, Some(format!("existing values are ids of {} rows", n(from))))
        }
        What::RelationTargetChanged { from: None, .. } => (false, None),
        What::ForeignKeyChanged { from, .. } => (
            true,
            Some(format!("existing values refer to {}", from.as_deref().map(n).unwrap_or_else(|| "the old key".into()))),
        ),
        What::OnDeleteChanged { to, .. } if to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("CASCADE")) => (
            false,
            Some(format!("deleting a referenced row now deletes the {collection} rows that point at it")),
        ),
        What::OnDeleteChanged { .. } => (false, None),
    }
}

/// How a name is written in a sentence: as is (human), or in a Markdown
/// code span (the PR comment).
pub type Namer<'a> = &'a dyn Fn(&str) -> String;

impl Change {
    /// The change in words, one line, without its reason: `orders: field note
    /// added (text, nullable)`, `customers.phone: type string → integer`.
    pub fn sentence(&self, n: Namer) -> String {
        let c = n(&self.collection);
        let f = n(self.field.as_deref().unwrap_or(""));
        let cf = n(&format!("{}.{}", self.collection, self.field.as_deref().unwrap_or("")));
        let opt = |v: &Option<String>| v.as_deref().map(n).unwrap_or_else(|| "none".to_string());
        match &self.what {
            What::CollectionAdded { table: true } => format!("collection {c} added"),
            What::CollectionAdded { table: false } => format!("collection {c} added (folder, no table)"),
            What::CollectionRemoved { table: true, fields } => format!(
                "collection {c} removed{}",
                match fields {
                    0 => String::new(),
                    1 => " (1 field)".into(),
                    k => format!(" ({k} fields)"),
                }
            ),
            What::CollectionRemoved { table: false, .. } => format!("collection {c} removed (folder, no table)"),
            What::FieldAdded { r#type, column: false, .. } => {
                format!("{c}: field {f} added ({}, no column)", r#type.as_deref().map(n).unwrap_or_else(|| "alias".into()))
            }
            What::FieldAdded { r#type, column: true, nullable } => {
                let mut facts: Vec<String> = r#type.iter().map(|t| n(t)).collect();
                match nullable {
                    Some(true) => facts.push("nullable".into()),
                    Some(false) => facts.push("not null".into()),
                    None => {}
                }
                if facts.is_empty() {
                    format!("{c}: field {f} added")
                } else {
                    format!("{c}: field {f} added ({})", facts.join(", "))
                }
            }
            What::FieldRemoved { r#type, column: false } => {
                format!("{c}: field {f} removed ({}, no column)", r#type.as_deref().map(n).unwrap_or_else(|| "alias".into()))
            }
            What::FieldRemoved { column: true, .. } => format!("{c}: field {f} removed"),
            What::TypeChanged { from, to, from_column, to_column, .. } => {
                format!("{cf}: type {} → {}", type_words(from, from_column, from == to, n), type_words(to, to_column, from == to, n))
            }
            What::NullableChanged { from, to } => {
                let w = |b: &bool| if *b { "nullable" } else { "not null" };
                format!("{cf}: {} → {}", w(from), w(to))
            }
            What::DefaultChanged { from, to } => format!("{cf}: default {} → {}", value(from, n), value(to, n)),
            What::UniqueChanged { to: true, .. } => format!("{cf}: becomes unique"),
            What::UniqueChanged { .. } => format!("{cf}: no longer unique"),
            What::RelationAdded { related_collection } => format!("relation {cf} → {} added", target(related_collection, n)),
            What::RelationRemoved { related_collection } => format!("relation {cf} → {} removed", target(related_collection, n)),
            What::RelationTargetChanged { from, to } => format!("relation {cf}: target {} → {}", target(from, n), target(to, n)),
            What::ForeignKeyChanged { from, to } => format!("relation {cf}: foreign key {} → {}", opt(from), opt(to)),
            What::OnDeleteChanged { from, to } => format!("relation {cf}: on delete {} → {}", opt(from), opt(to)),
        }
    }

    /// The reason in words with names written by `n` (the stored `reason`
    /// is this with names as they are).
    pub fn reason_with(&self, n: Namer) -> Option<String> {
        // A document written before `loss` existed keeps its reason in `reason`.
        assess(&self.what, &self.collection, self.field.as_deref().unwrap_or(""), n).1.or_else(|| self.reason.clone())
    }
}

/// A Directus type in a sentence, with its column when that says more
/// (`string (varchar(32))`; always when the Directus type did not change).
pub fn type_words(t: &str, column: &Option<String>, always: bool, n: Namer) -> String {
    let default = ColumnType::of_directus_type(t).map(|c| c.sql());
    match column {
        Some(c) if always || default.as_ref() != Some(c) => format!("{} ({})", n(t), n(c)),
        _ => n(t),
    }
}

fn target(t: &Option<String>, n: Namer) -> String {
    match t {
        Some(t) => n(t),
        None => "any collection".into(),
    }
}

/// A default value in a sentence: `none` for null, strings quoted.
fn value(v: &serde_json::Value, n: Namer) -> String {
    match v {
        serde_json::Value::Null => "none".into(),
        serde_json::Value::String(s) => n(&format!("'{s}'")),
        other => n(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn snap(text: &str) -> Snapshot {
        Snapshot::parse(&SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None))
    }

    /// A snapshot with the given collections, fields and relations (YAML items).
    fn doc(collections: &[&str], fields: &[&str], relations: &[&str]) -> Snapshot {
        let list = |items: &[&str]| -> String {
            if items.is_empty() {
                " []\n".into()
            } else {
                let mut s = String::from("\n");
                for i in items {
                    for (k, line) in i.lines().enumerate() {
                        s.push_str(if k == 0 { "  - " } else { "    " });
                        s.push_str(line);
                        s.push('\n');
                    }
                }
                s
            }
        };
        let text = format!(
            "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:{}fields:{}relations:{}",
            list(collections),
            list(fields),
            list(relations)
        );
        let s = snap(&text);
        assert!(s.errors.is_empty(), "{:?}\n{text}", s.errors);
        s
    }

    fn table(name: &str) -> String {
        format!("collection: {name}\nmeta:\n  icon: box\nschema:\n  name: {name}")
    }
    fn folder(name: &str) -> String {
        format!("collection: {name}\nmeta:\n  icon: folder\nschema: null")
    }
    fn field(c: &str, f: &str, t: &str, nullable: bool, default: &str, unique: bool) -> String {
        format!(
            "collection: {c}\nfield: {f}\ntype: {t}\nmeta: null\nschema:\n  name: {f}\n  table: {c}\n  data_type: x\n  default_value: {default}\n  is_nullable: {nullable}\n  is_unique: {unique}\n  is_primary_key: false\n  has_auto_increment: false\n  foreign_key_table: null\n  foreign_key_column: null"
        )
    }
    fn alias(c: &str, f: &str) -> String {
        format!("collection: {c}\nfield: {f}\ntype: alias\nmeta:\n  special:\n    - o2m\nschema: null")
    }
    fn relation(c: &str, f: &str, target: &str, on_delete: &str) -> String {
        format!(
            "collection: {c}\nfield: {f}\nrelated_collection: {target}\nmeta:\n  one_field: null\nschema:\n  table: {c}\n  column: {f}\n  foreign_key_table: {target}\n  foreign_key_column: id\n  on_delete: {on_delete}"
        )
    }

    fn words(d: &SchemaDiff) -> Vec<String> {
        d.destructive_first()
            .iter()
            .map(|c| {
                let mut s = c.sentence(&|x: &str| x.to_string());
                match (&c.reason, c.destructive) {
                    (Some(r), true) => s.push_str(&format!(" (destructive: {r})")),
                    (Some(r), false) => s.push_str(&format!(" ({r})")),
                    (None, true) => s.push_str(" (destructive)"),
                    (None, false) => {}
                }
                s
            })
            .collect()
    }

    #[test]
    fn no_change_is_an_empty_diff() {
        let a = doc(&[&table("orders")], &[&field("orders", "note", "text", true, "null", false)], &[]);
        let b = doc(&[&table("orders")], &[&field("orders", "note", "text", true, "null", false)], &[]);
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn collections_added_and_removed_tables_and_folders() {
        let base = doc(&[&table("orders"), &table("archive"), &folder("old_tools")], &[&field("archive", "x", "text", true, "null", false)], &[]);
        let head = doc(&[&table("orders"), &table("invoices"), &folder("tools")], &[], &[]);
        let d = diff(&base, &head);
        assert_eq!(
            words(&d),
            vec![
                "collection archive removed (1 field) (destructive: drops table archive and its rows)",
                "collection old_tools removed (folder, no table)",
                "collection invoices added",
                "collection tools added (folder, no table)",
            ]
        );
        // The removed collection's field is not listed again.
        assert!(d.changes.iter().all(|c| c.field.is_none()));
        assert_eq!(d.destructive(), 1);
        assert_eq!(d.changes[0].base_line, Some(base.collection("archive").unwrap().span.line));
    }

    #[test]
    fn fields_added_and_removed_columns_and_aliases() {
        let base = doc(&[&table("orders")], &[&field("orders", "total", "decimal", false, "0", false), &alias("orders", "items")], &[]);
        let head = doc(
            &[&table("orders")],
            &[&field("orders", "note", "text", true, "null", false), &field("orders", "qty", "integer", false, "1", false), &alias("orders", "lines")],
            &[],
        );
        assert_eq!(
            words(&diff(&base, &head)),
            vec![
                "orders: field total removed (destructive: drops column total and its data)",
                "orders: field items removed (alias, no column)",
                "orders: field note added (text, nullable)",
                "orders: field qty added (integer, not null)",
                "orders: field lines added (alias, no column)",
            ]
        );
    }

    #[test]
    fn field_changes_type_nullability_default_uniqueness() {
        let base = doc(
            &[&table("customers")],
            &[
                &field("customers", "phone", "string", true, "null", false),
                &field("customers", "name", "string", true, "null", false),
                &field("customers", "email", "string", true, "null", false),
                &field("customers", "status", "string", true, "draft", false),
                &field("customers", "id2", "integer", false, "null", true),
            ],
            &[],
        );
        let head = doc(
            &[&table("customers")],
            &[
                &field("customers", "phone", "integer", true, "null", false),
                &field("customers", "name", "text", false, "null", false),
                &field("customers", "email", "string", true, "null", true),
                &field("customers", "status", "string", true, "open", false),
                &field("customers", "id2", "bigInteger", false, "null", false),
            ],
            &[],
        );
        let d = diff(&base, &head);
        assert_eq!(
            words(&d),
            vec![
                "customers.phone: type string → integer (destructive: existing values may not convert)",
                "customers.name: type string → text",
                "customers.name: nullable → not null (fails if an existing row holds NULL)",
                "customers.email: becomes unique (fails if existing rows repeat a value)",
                "customers.status: default 'draft' → 'open'",
                "customers.id2: type integer → bigInteger",
                "customers.id2: no longer unique",
            ]
        );
        assert!(matches!(&d.changes[0].what, What::TypeChanged { from, to, .. } if from == "string" && to == "integer"));
    }

    #[test]
    fn alias_type_changes_delete_and_recreate_the_field() {
        let base = doc(&[&table("orders")], &[&field("orders", "x", "string", true, "null", false), &alias("orders", "y")], &[]);
        let head = doc(&[&table("orders")], &[&alias("orders", "x"), &field("orders", "y", "string", true, "null", false)], &[]);
        assert_eq!(
            words(&diff(&base, &head)),
            vec![
                "orders.x: type string → alias (destructive: drops column x and its data: Directus deletes the field and creates it again)",
                "orders.y: type alias → string (Directus deletes the field and creates it again)",
            ]
        );
    }

    #[test]
    fn an_auto_increment_primary_key_compares_its_type_only() {
        let pk = |default: &str| {
            format!("collection: orders\nfield: id\ntype: integer\nschema:\n  name: id\n  default_value: {default}\n  is_nullable: false\n  is_unique: true\n  is_primary_key: true\n  has_auto_increment: true")
        };
        let base = doc(&[&table("orders")], &[&pk("nextval('orders_id_seq'::regclass)")], &[]);
        let head = doc(&[&table("orders")], &[&pk("nextval('other_seq'::regclass)")], &[]);
        assert!(diff(&base, &head).is_empty());
    }

    #[test]
    fn relations_added_removed_retargeted_and_on_delete() {
        let fields = [
            field("orders", "customer", "integer", true, "null", false),
            field("orders", "owner", "uuid", true, "null", false),
            field("orders", "shop", "integer", true, "null", false),
        ];
        let f: Vec<&str> = fields.iter().map(String::as_str).collect();
        let base = doc(
            &[&table("orders"), &table("customers"), &table("clients")],
            &f,
            &[&relation("orders", "customer", "customers", "SET NULL"), &relation("orders", "owner", "directus_users", "SET NULL")],
        );
        let head = doc(
            &[&table("orders"), &table("customers"), &table("clients")],
            &f,
            &[&relation("orders", "customer", "clients", "CASCADE"), &relation("orders", "shop", "customers", "NO ACTION")],
        );
        assert_eq!(
            words(&diff(&base, &head)),
            vec![
                "relation orders.customer: target customers → clients (destructive: existing values are ids of customers rows)",
                "relation orders.customer: on delete SET NULL → CASCADE (deleting a referenced row now deletes the orders rows that point at it)",
                "relation orders.owner → directus_users removed (drops its foreign key; the values stay)",
                "relation orders.shop → customers added",
            ]
        );
    }

    #[test]
    fn a_foreign_key_column_change_is_reported_when_the_target_stays() {
        let rel = |col: &str| {
            format!("collection: orders\nfield: customer\nrelated_collection: customers\nschema:\n  foreign_key_table: customers\n  foreign_key_column: {col}\n  on_delete: SET NULL")
        };
        let base = doc(&[&table("orders"), &table("customers")], &[], &[&rel("id")]);
        let head = doc(&[&table("orders"), &table("customers")], &[], &[&rel("code")]);
        assert_eq!(
            words(&diff(&base, &head)),
            vec!["relation orders.customer: foreign key customers.id → customers.code (destructive: existing values refer to customers.id)"]
        );
    }

    #[test]
    fn a_removed_collection_takes_its_fields_and_relations_with_it() {
        let base = doc(
            &[&table("orders"), &table("legacy")],
            &[&field("legacy", "a", "text", true, "null", false), &field("legacy", "b", "text", true, "null", false)],
            &[&relation("legacy", "a", "orders", "SET NULL")],
        );
        let head = doc(&[&table("orders")], &[], &[]);
        assert_eq!(words(&diff(&base, &head)), vec!["collection legacy removed (2 fields) (destructive: drops table legacy and its rows)"]);
    }

    #[test]
    fn fields_of_an_added_collection_are_listed_as_added() {
        let base = doc(&[], &[], &[]);
        let head = doc(&[&table("notes")], &[&field("notes", "body", "text", true, "null", false)], &[&relation("notes", "body", "notes", "SET NULL")]);
        assert_eq!(
            words(&diff(&base, &head)),
            vec!["collection notes added", "notes: field body added (text, nullable)", "relation notes.body → notes added"]
        );
    }

    #[test]
    fn the_diff_is_data_both_ways() {
        let base = doc(&[&table("a")], &[&field("a", "x", "string", true, "null", false)], &[]);
        let head = doc(&[&table("a")], &[&field("a", "x", "integer", true, "null", false)], &[]);
        let d = diff(&base, &head);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["changes"][0]["what"]["kind"], "type_changed");
        assert_eq!(json["changes"][0]["destructive"], true);
        let back: SchemaDiff = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }
}
