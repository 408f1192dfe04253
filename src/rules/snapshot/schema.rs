//! `snapshot/schema`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/schema`) and its check.

use super::*;
use super::version_mismatch::dockerfile_pin;

pub const RULE: Rule = Rule {
    id: "snapshot/schema",
    severity: Severity::Error,
    summary: "the snapshot violates the snapshot JSON Schema of the pinned Directus line (schemas/directus-snapshot.schema.json, -12.schema.json)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Validates the snapshot against the JSON Schema of the snapshot format of the
pinned Directus line that trm-ci ships, and reports every violation at the
line of the offending key or value, with its path (e.g.
`collections[3].meta`). The line is the Dockerfile's `FROM
directus/directus:X.Y.Z` (without a Dockerfile: the snapshot's `directus:`):
- 11.x: `schemas/directus-snapshot.schema.json` (read from 11.17.4);
- 12.x and later: `schemas/directus-snapshot-12.schema.json` (read from
  12.4.1): `version` may also be 2 (a partial snapshot from the REST API),
  and a collection's `meta` has two more keys, `status` (`active` or
  `inactive`) and `autosave_revision_interval`.
It also checks that a collection's, field's or relation's `meta`/`schema`
name the item they belong to. Severity: error.

Each schema follows what that line's `directus schema snapshot` writes (its
writer `get-snapshot.js` and sanitisers `sanitize-schema.js`), checked
against a real export of every structural kind: `schema` is absent for a
folder collection (a group with no table), an alias field (divider, notice,
one-to-many, …) and a relation without a foreign key (many-to-any). Those are
valid. Directus's own Joi check requires only `version` and `directus`;
trm-ci requires more only where a missing key makes `schema apply` delete
something:
- a collection's `meta` and its 20 keys (22 on 12.x) (a missing one: the
  collection is deleted and its table dropped);
- a field's `type`, `meta` and, for a column, `schema` with its 16 keys (the
  field is deleted with its column); a field's `meta.*` keys are optional (a
  missing one is an update, not a deletion);
- a relation's `related_collection`, `meta` and its 9 keys, and its 7 `schema`
  keys when it has a foreign key (the relation is deleted);
- `schema` of a collection that has column fields, and of a relation whose
  many-side column has a foreign key (`schema.foreign_key_table` of its
  field): without it, the collection with its table, or the relation, is
  deleted. These two are checked in code; the file itself looks like a folder
  or a many-to-any relation.
Unknown keys are refused (in `meta`, each key is a column of a Directus
system table).

## Why is this bad?
`directus schema apply` (the CLI, which the entrypoint runs) does not validate
the snapshot at all. It diffs it against the database and, for a collection or
a relation, treats the *first* difference being a removal as "delete this
collection": a hand-edited collection whose `meta` lacks a key makes the
boot print `Delete clients` and **drop the table with its rows**, then report
success. The same happens to a relation, and to a field whose column
(`schema`) or one of its keys is missing.

## Example
```yaml
collections:
  - collection: clients
    meta:
      icon: person
      note: Our clients
    schema:
      name: clients
```

## Use instead
Never hand-write snapshot entries: create the collection in a Directus
instance and regenerate the file with `directus schema snapshot --format yaml`,
which writes every key:
```yaml
collections:
  - collection: clients
    meta:
      accountability: all
      archive_app_filter: true
      # … all 20 keys that Directus writes …
      versioning: false
    schema:
      name: clients
  - collection: crm          # a folder: no `schema`, no fields
    meta:
      # … all 20 keys …
      group: null
```
"#;

/// At most this many `snapshot/schema` violations are reported one by one;
/// the rest are counted (`Emitter::omit`) and the count is shown in every format.
pub const MAX_SCHEMA_FINDINGS: usize = 100;

/// The snapshot grammars trm-ci ships, one per Directus major line. Each is
/// written from that line's code and checked against a real export
/// (tests/fixtures/snapshots/real-<version>-kitchen-sink.yaml).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grammar {
    /// Directus 11.x (read from 11.17.4): `version: 1`, 20 collection `meta` keys.
    V11,
    /// Directus 12.x (read from 12.4.1): `version: 1|2`, collection `meta` also
    /// has `status` and `autosave_revision_interval`.
    V12,
}

impl Grammar {
    /// The grammar of a Directus version's line: 12 and later read as 12 (the
    /// newest line trm-ci knows), anything else (or unreadable) as 11.
    pub fn of_version(version: &str) -> Grammar {
        match version.split('.').next().and_then(|m| m.parse::<u32>().ok()) {
            Some(m) if m >= 12 => Grammar::V12,
            _ => Grammar::V11,
        }
    }

    /// The schema file, as named in messages and the README.
    pub fn file(self) -> &'static str {
        match self {
            Grammar::V11 => "schemas/directus-snapshot.schema.json",
            Grammar::V12 => "schemas/directus-snapshot-12.schema.json",
        }
    }

    pub fn line(self) -> &'static str {
        match self {
            Grammar::V11 => "11.x",
            Grammar::V12 => "12.x",
        }
    }
}

/// The compiled JSON Schema of Directus 11.x, built once per process.
pub fn validator() -> Option<&'static jsonschema::Validator> {
    validator_for(Grammar::V11)
}

/// The compiled JSON Schema of a line, built once per process.
pub fn validator_for(grammar: Grammar) -> Option<&'static jsonschema::Validator> {
    static V11: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    static V12: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    let (cell, text) = match grammar {
        Grammar::V11 => (&V11, include_str!("../../../schemas/directus-snapshot.schema.json")),
        Grammar::V12 => (&V12, include_str!("../../../schemas/directus-snapshot-12.schema.json")),
    };
    cell.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(text).ok()?;
        jsonschema::validator_for(&schema).ok()
    })
    .as_ref()
}

/// The grammar `snapshot/schema` applies: the line of the Dockerfile's pin,
/// else of the snapshot's own `directus:` (no Dockerfile), else 11.x.
fn grammar_of(ctx: &Context, s: &Snapshot) -> Grammar {
    match (dockerfile_pin(ctx), &s.directus) {
        (Some((_, pin, _)), _) => Grammar::of_version(&pin),
        (None, Some(d)) => Grammar::of_version(&d.value),
        (None, None) => Grammar::V11,
    }
}

/// `/collections/3/meta` → `collections[3].meta`; the root is `(root)`.
pub fn display_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() {
        "(root)".into()
    } else {
        out
    }
}

/// A short rendering of a JSON value for messages.
fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// One schema violation, in words.
fn describe(err: &jsonschema::ValidationError, grammar: Grammar) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match err.kind() {
        K::Required { property } => match property.as_str() {
            Some(p) => format!("missing required key `{p}`"),
            None => err.to_string(),
        },
        K::AdditionalProperties { unexpected } => {
            format!("unknown key{} {}", if unexpected.len() == 1 { "" } else { "s" }, unexpected.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", "))
        }
        K::Enum { options } => {
            let all: Vec<String> = options.as_array().map(|a| a.iter().map(|o| o.to_string()).collect()).unwrap_or_default();
            let opts = if all.len() > 8 {
                format!("{}, … ({} allowed values, see {})", all[..6].join(", "), all.len(), grammar.file())
            } else {
                all.join(", ")
            };
            format!("{} is not one of {opts}", short(err.instance()))
        }
        K::Constant { expected_value } => format!("{} is not {}", short(err.instance()), expected_value),
        K::Type { .. } => {
            let t = match err.instance().as_ref() {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::Object(_) => "a mapping",
            };
            // "… is not of type "x"" → name the expected type from the error text.
            let full = err.to_string();
            let expected = full.split(" is not of type").nth(1).map(str::trim).unwrap_or("the expected type");
            format!("{} ({t}) is not of type {expected}", short(err.instance()))
        }
        _ => err.to_string(),
    }
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(root) = s.root() else { return };
    let grammar = grammar_of(ctx, s);
    let Some(v) = validator_for(grammar) else {
        e.emit(&s.path, None, format!("trm-ci's bundled snapshot JSON Schema ({}) does not compile", grammar.file()), "report this as a trm-ci bug");
        return;
    };
    let help = "regenerate the snapshot with `directus schema snapshot --format yaml` rather than editing it by hand; \
                a partial `meta` or `schema` makes `schema apply` delete the collection, field or relation";
    // Missing keys of one mapping are reported together: a partial `meta`
    // is one mistake, not twenty.
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    let mut others: Vec<(String, Option<Span>, String)> = Vec::new();
    let mut classify = |err: &jsonschema::ValidationError, pointer: String| match err.kind() {
        jsonschema::error::ValidationErrorKind::Required { property } => {
            let key = property.as_str().map(str::to_string).unwrap_or_else(|| property.to_string());
            match missing.iter_mut().find(|(p, _)| *p == pointer) {
                Some((_, keys)) => keys.push(key),
                None => missing.push((pointer, vec![key])),
            }
        }
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
            let span = unexpected.first().and_then(|k| s.key_span_at(&pointer, k)).or_else(|| s.span_at(&pointer));
            others.push((pointer, span, describe(err, grammar)));
        }
        _ => {
            let span = s.span_at(&pointer);
            others.push((pointer, span, describe(err, grammar)));
        }
    };
    let mut all: Vec<(Option<Span>, String)> = Vec::new();

    // Validated piece by piece, so that only one entry's JSON exists at a
    // time (a 1.5 MiB snapshot as one JSON value costs ~13 MiB): first the
    // top level with its lists emptied, then each entry of each list inside
    // an otherwise valid document, its errors moved back to its index.
    const LISTS: [&str; 4] = ["collections", "fields", "systemFields", "relations"];
    let Some(top) = top_level(s, root, &LISTS) else { return };
    for err in v.iter_errors(&top) {
        classify(&err, err.instance_path().as_str().to_string());
    }
    if let Some(serde_json::Value::String(version)) = top.get("directus") {
        if !is_semver(version) {
            all.push((s.span_at("/directus"), format!("`directus`: \"{version}\" is not a Directus version (X.Y.Z)")));
        }
    }
    drop(top);
    if s.is_map(root) {
        let mut piece = serde_json::json!({
            "version": 1, "directus": "0.0.0", "vendor": "postgres",
            "collections": [], "fields": [], "systemFields": [], "relations": []
        });
        for list in LISTS {
            let Some(items) = s.get(root, list) else { continue };
            let prefix = format!("/{list}/0");
            for (i, &item) in s.items(items).iter().enumerate() {
                let Some(j) = s.json_of(item) else { continue };
                piece[list] = serde_json::Value::Array(vec![j]);
                for err in v.iter_errors(&piece) {
                    let p = err.instance_path().as_str();
                    let pointer = match p.strip_prefix(&prefix) {
                        Some(rest) => format!("/{list}/{i}{rest}"),
                        None => p.to_string(),
                    };
                    classify(&err, pointer);
                }
            }
            piece[list] = serde_json::Value::Array(Vec::new());
        }
    }

    for (pointer, keys) in missing {
        let list = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        let what = if keys.len() == 1 { format!("missing required key {list}") } else { format!("missing {} required keys: {list}", keys.len()) };
        let consequence = consequence_of_missing(&pointer);
        all.push((s.span_at(&pointer), format!("`{}`{}: {what}{consequence}", display_path(&pointer), owner(s, &pointer))));
    }
    for (pointer, span, what) in others {
        all.push((span, format!("`{}`{}: {what}", display_path(&pointer), owner(s, &pointer))));
    }
    all.sort_by_key(|(span, _)| span.map(|s| (s.line, s.col)));
    let count = all.len();
    for (span, message) in all.into_iter().take(MAX_SCHEMA_FINDINGS) {
        e.emit(&s.path, span, message, help);
    }
    // The rest are counted, not reported: the engine says how many were left out.
    e.omit(&s.path, count.saturating_sub(MAX_SCHEMA_FINDINGS));
    consistency(s, e);
    tables_and_foreign_keys(s, e);
}

/// The two places where a missing `schema` is a deletion although the entry
/// alone looks like what Directus writes for a folder or a many-to-any
/// relation: a collection without `schema` that has column fields, and a
/// relation without `schema` whose many-side column has a foreign key.
fn tables_and_foreign_keys(s: &Snapshot, e: &mut Emitter) {
    let help = "regenerate the snapshot with `directus schema snapshot --format yaml` rather than editing it by hand";
    let is_column = |f: &crate::model::snapshot::Field| f.r#type.as_ref().is_some_and(|t| !schema_diff::is_alias_type(&t.value));
    for c in s.collections.iter().filter(|c| !c.has_schema) {
        let columns: Vec<&str> =
            s.fields.iter().filter(|f| f.collection.value == c.name && is_column(f)).map(|f| f.field.value.as_str()).collect();
        if columns.is_empty() {
            continue; // a folder
        }
        let shown = columns.iter().take(3).map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        let more = if columns.len() > 3 { format!(" and {} more", columns.len() - 3) } else { String::new() };
        e.emit(
            &s.path,
            Some(c.span),
            format!(
                "collection `{}` has no `schema` (that is a folder, with no table), but the snapshot gives it column fields ({shown}{more}): \
                 if its table exists, `schema apply` DELETES the collection with its table",
                c.name
            ),
            help,
        );
    }
    for r in s.relations.iter().filter(|r| !r.has_schema) {
        let Some(fk) = s
            .fields
            .iter()
            .find(|f| f.collection.value == r.collection.value && f.field.value == r.field.value)
            .and_then(|f| f.foreign_key_table.as_ref())
        else {
            continue; // no foreign key: many-to-any, or a relation without a constraint
        };
        e.emit(
            &s.path,
            Some(r.field.span),
            format!(
                "relation on `{}.{}` has no `schema`, but its column has a foreign key to `{}` (line {}): \
                 `schema apply` DELETES the relation",
                r.collection.value, r.field.value, fk.value, fk.span.line
            ),
            help,
        );
    }
}

/// The document's top level as JSON, with every list that is a sequence
/// replaced by `[]` (its entries are validated one by one).
fn top_level(s: &Snapshot, root: NodeId, lists: &[&str]) -> Option<serde_json::Value> {
    let Some(NodeKind::Map(entries)) = s.node(root).map(|n| &n.kind) else { return s.json_of(root) };
    let mut m = serde_json::Map::new();
    for en in entries {
        let is_list = lists.contains(&en.key.as_str()) && matches!(s.node(en.value).map(|n| &n.kind), Some(NodeKind::Seq(_)));
        let v = if is_list { serde_json::Value::Array(Vec::new()) } else { s.json_of(en.value)? };
        m.insert(en.key.clone(), v);
    }
    Some(serde_json::Value::Object(m))
}

/// `X.Y.Z`, optionally `-prerelease` and `+build` (semver 2.0).
pub fn is_semver(v: &str) -> bool {
    let (core, build) = v.split_once('+').map(|(c, b)| (c, Some(b))).unwrap_or((v, None));
    if build.is_some_and(|b| b.is_empty() || !b.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))) {
        return false;
    }
    let (core, pre) = core.split_once('-').map(|(c, p)| (c, Some(p))).unwrap_or((core, None));
    if pre.is_some_and(|p| p.is_empty() || !p.split('.').all(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))) {
        return false;
    }
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
}

/// ` (collection `x`)` / ` (field `c.f`)` for a pointer into one of the lists.
fn owner(s: &Snapshot, pointer: &str) -> String {
    let mut segs = pointer.split('/').skip(1);
    let (Some(list), Some(i)) = (segs.next(), segs.next().and_then(|i| i.parse::<usize>().ok())) else { return String::new() };
    let Some(root) = s.root() else { return String::new() };
    let Some(&item) = s.get(root, list).and_then(|l| s.items(l).get(i)) else { return String::new() };
    let name = |k: &str| s.get(item, k).and_then(|n| s.str_at(n)).map(|v| v.value);
    match (list, name("collection"), name("field")) {
        ("collections", Some(c), _) => format!(" (collection `{c}`)"),
        ("fields", Some(c), Some(f)) => format!(" (field `{c}.{f}`)"),
        ("relations", Some(c), Some(f)) => format!(" (relation on `{c}.{f}`)"),
        _ => String::new(),
    }
}

/// What `schema apply` does with an entry missing keys at `pointer`.
fn consequence_of_missing(pointer: &str) -> &'static str {
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    match segs.as_slice() {
        ["collections", _, "meta"] | ["collections", _] => {
            "; `schema apply` can read a missing key as a removal and DELETE this collection with its table"
        }
        ["relations", _, "meta"] | ["relations", _, "schema"] | ["relations", _] => {
            "; `schema apply` can read a missing key as a removal and DELETE this relation"
        }
        ["fields", _, "schema"] | ["fields", _] => "; `schema apply` can read a missing key as a removal and DELETE this field with its column",
        _ => "",
    }
}

/// The names inside `meta` and `schema` must be the item's own: Directus
/// applies them as written, so a copied block renames or moves the item.
fn consistency(s: &Snapshot, e: &mut Emitter) {
    let Some(root) = s.root() else { return };
    let help = "copy-pasted entries keep the old names: regenerate the snapshot with `directus schema snapshot`";
    let mut check = |list: &str, own: &[(&str, &[&str])]| {
        let Some(items) = s.get(root, list) else { return };
        for (i, &item) in s.items(items).iter().enumerate() {
            for (own_key, paths) in own {
                let Some(own) = s.get(item, own_key).and_then(|n| s.str_at(n)) else { continue };
                for path in paths.iter() {
                    let mut id = Some(item);
                    for k in path.split('.') {
                        id = id.and_then(|n| s.get(n, k));
                    }
                    let Some(other) = id.and_then(|n| s.str_at(n)) else { continue };
                    if other.value != own.value {
                        e.emit(
                            &s.path,
                            Some(other.span),
                            format!(
                                "`{list}[{i}].{path}` is `{}` but the entry's `{own_key}` is `{}`",
                                other.value, own.value
                            ),
                            help,
                        );
                    }
                }
            }
        }
    };
    check("collections", &[("collection", &["meta.collection", "schema.name"])]);
    check("fields", &[("collection", &["meta.collection", "schema.table"]), ("field", &["meta.field", "schema.name"])]);
    check(
        "relations",
        &[
            ("collection", &["meta.many_collection", "schema.table"]),
            ("field", &["meta.many_field", "schema.column"]),
            ("related_collection", &["meta.one_collection", "schema.foreign_key_table"]),
        ],
    );
}

// ---------------------------------------------------------------------------
