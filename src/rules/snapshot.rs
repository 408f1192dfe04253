//! The `snapshot/*` rules: the Directus schema snapshot (`snapshots/snapshot.yaml`).
//! Each rule is a doc const beside its check function; all read the
//! [`Snapshot`] model, none re-parses.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::schema_diff::{self, What};
use crate::model::snapshot::{NodeId, NodeKind, Snapshot, Str};

pub const RULES: &[Rule] = &[
    Rule {
        id: "snapshot/invalid-yaml",
        severity: Severity::Error,
        summary: "the snapshot is not one well-formed YAML document (syntax, duplicate keys, aliases, tags)",
        doc: INVALID_YAML,
        needs_base: false,
        check: invalid_yaml,
    },
    Rule {
        id: "snapshot/schema",
        severity: Severity::Error,
        summary: "the snapshot violates the Directus 11 snapshot JSON Schema (schemas/directus-snapshot.schema.json)",
        doc: SCHEMA,
        needs_base: false,
        check: schema,
    },
    Rule {
        id: "snapshot/version-mismatch",
        severity: Severity::Error,
        summary: "the snapshot's `directus:` version differs from the Dockerfile's directus/directus pin",
        doc: VERSION_MISMATCH,
        needs_base: false,
        check: version_mismatch,
    },
    Rule {
        id: "snapshot/vendor",
        severity: Severity::Error,
        summary: "the snapshot's `vendor:` is not `postgres`",
        doc: VENDOR,
        needs_base: false,
        check: vendor,
    },
    Rule {
        id: "snapshot/duplicate",
        severity: Severity::Error,
        summary: "a collection, field or relation is defined twice in the snapshot",
        doc: DUPLICATE,
        needs_base: false,
        check: duplicate,
    },
    Rule {
        id: "snapshot/dangling-reference",
        severity: Severity::Error,
        summary: "a field or relation names a collection or field that the snapshot does not define",
        doc: DANGLING_REFERENCE,
        needs_base: false,
        check: dangling_reference,
    },
    Rule {
        id: "snapshot/destructive-change",
        severity: Severity::Error,
        summary: "against the base, a collection, field or relation is removed or a field's type changed",
        doc: DESTRUCTIVE_CHANGE,
        needs_base: true,
        check: destructive_change,
    },
];

/// The collections Directus 11.17.4 creates itself (`@directus/system-data`):
/// valid targets of fields and relations without being in the snapshot.
pub const SYSTEM_COLLECTIONS: &[&str] = &[
    "directus_access",
    "directus_activity",
    "directus_collections",
    "directus_comments",
    "directus_dashboards",
    "directus_deployment_projects",
    "directus_deployment_runs",
    "directus_deployments",
    "directus_extensions",
    "directus_fields",
    "directus_files",
    "directus_flows",
    "directus_folders",
    "directus_migrations",
    "directus_notifications",
    "directus_operations",
    "directus_panels",
    "directus_permissions",
    "directus_policies",
    "directus_presets",
    "directus_relations",
    "directus_revisions",
    "directus_roles",
    "directus_sessions",
    "directus_settings",
    "directus_shares",
    "directus_translations",
    "directus_users",
    "directus_versions",
];

fn is_system_collection(name: &str) -> bool {
    SYSTEM_COLLECTIONS.binary_search(&name).is_ok()
}

/// The head snapshot, when there is one.
fn head<'a>(ctx: &Context<'a>) -> Option<&'a Snapshot> {
    ctx.head.snapshot.as_deref()
}

// ---------------------------------------------------------------------------

const INVALID_YAML: &str = r#"## What it does
Reports a snapshot that Directus cannot load as one YAML document: a syntax
error (at its line and column), a duplicate key in a mapping, more than one
document, an unknown tag, an alias that expands without bound or refers to
itself, nesting deeper than 128 levels, or an empty file. Severity: error.

## Why is this bad?
The container runs `directus schema apply` on this file at every boot. js-yaml,
which Directus uses, refuses duplicate keys and multiple documents, so the boot
fails; a file that another YAML reader accepts differently (last duplicate key
wins) can also apply a schema nobody reviewed.

## Example
```yaml
collections:
  - collection: orders
    meta:
      icon: receipt
      icon: shopping_cart
```

## Use instead
Regenerate the snapshot with `directus schema snapshot --format yaml` from a
database that has the intended schema, instead of editing it by hand; fix the
reported line if you must edit.
"#;

fn invalid_yaml(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(src) = ctx.head.files.get(&s.path) else { return };
    if src.text().is_err() {
        return; // lint/unreadable-file reports it
    }
    for err in &s.errors {
        e.emit(
            &s.path,
            Some(err.span),
            err.message.clone(),
            "fix the YAML at this line, or regenerate the file with `directus schema snapshot --format yaml`",
        );
    }
    if s.errors.is_empty() && s.root().is_none() {
        e.emit(
            &s.path,
            None,
            "the snapshot is empty: it contains no YAML document",
            "regenerate it with `directus schema snapshot --format yaml`",
        );
    }
}

// ---------------------------------------------------------------------------

const SCHEMA: &str = r#"## What it does
Validates the snapshot against the JSON Schema of the Directus 11 snapshot
format that trm-ci ships (`schemas/directus-snapshot.schema.json`) and reports
every violation at the line of the offending key or value, with its path
(e.g. `collections[3].meta`). It also checks that a collection's, field's or
relation's `meta`/`schema` name the item they belong to. Severity: error.

The schema follows what Directus 11.17.4's `directus schema snapshot` writes
(its writer `get-snapshot.js` and sanitisers `sanitize-schema.js`): `schema`
is absent for a folder collection (a group with no table), an alias field
(divider, notice, one-to-many, …) and a relation without a foreign key
(many-to-any). Those are valid. Directus's own Joi check requires only
`version` and `directus`; trm-ci requires more only where a missing key makes
`schema apply` delete something:
- a collection's `meta` and its 20 keys (a missing one: the collection is
  deleted and its table dropped);
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

/// The compiled JSON Schema, built once per process.
pub fn validator() -> Option<&'static jsonschema::Validator> {
    static V: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/directus-snapshot.schema.json")).ok()?;
        jsonschema::validator_for(&schema).ok()
    })
    .as_ref()
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
fn describe(err: &jsonschema::ValidationError) -> String {
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
                format!("{}, … ({} allowed values, see schemas/directus-snapshot.schema.json)", all[..6].join(", "), all.len())
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

fn schema(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(root) = s.root() else { return };
    let Some(v) = validator() else {
        e.emit(&s.path, None, "trm-ci's bundled snapshot JSON Schema does not compile", "report this as a trm-ci bug");
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
            others.push((pointer, span, describe(err)));
        }
        _ => {
            let span = s.span_at(&pointer);
            others.push((pointer, span, describe(err)));
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

const VERSION_MISMATCH: &str = r#"## What it does
Compares the snapshot's `directus:` version with the version the Dockerfile
pins in `FROM directus/directus:X.Y.Z` and reports a difference, at the
snapshot's `directus:` line. Severity: error.

## Why is this bad?
The CLI's `schema apply` checks neither the version nor the vendor (only the
REST endpoint does): a snapshot written by another Directus version is applied
silently, and a version whose system tables or field metadata differ can
fail the boot or rewrite metadata nobody reviewed.

## Example
```dockerfile
FROM directus/directus:11.17.4
```
```yaml
version: 1
directus: 11.13.4
vendor: postgres
```

## Use instead
Regenerate the snapshot with the pinned version (`directus schema snapshot`
inside the image you build), or move the pin and the snapshot together in one
change.
"#;

/// The directus/directus pin of the Dockerfile (parsed once by its model):
/// (Dockerfile path, exact X.Y.Z version, span of the tag).
fn dockerfile_pin(ctx: &Context) -> Option<(String, String, Span)> {
    let df = ctx.head.dockerfile.as_ref()?;
    let (version, span) = df.directus_pin()?;
    Some((df.path.clone(), version, span))
}

fn version_mismatch(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(directus) = &s.directus else { return };
    let Some((df_path, pin, pin_span)) = dockerfile_pin(ctx) else { return };
    // directus_pin() is an exact X.Y.Z (dockerfile/unpinned-base reports the rest).
    if directus.value == pin {
        return;
    }
    e.emit(
        &s.path,
        Some(directus.span),
        format!(
            "the snapshot was written by Directus {} but {df_path}:{} pins directus/directus:{pin}",
            directus.value, pin_span.line
        ),
        format!("regenerate the snapshot with Directus {pin} (`directus schema snapshot --format yaml`), or change the pin and the snapshot together"),
    );
}

// ---------------------------------------------------------------------------

const VENDOR: &str = r#"## What it does
Reports a snapshot whose `vendor:` is not `postgres`. Severity: error.

## Why is this bad?
This deployment runs Directus on PostgreSQL. A snapshot taken on SQLite or
MySQL carries that vendor's column types, defaults and constraint names; the
CLI's `schema apply` does not check the vendor and applies it anyway,
producing columns that differ from what the migrations expect.

## Example
```yaml
version: 1
directus: 11.17.4
vendor: sqlite
```

## Use instead
Take the snapshot from a Directus running on PostgreSQL (the dev compose
stack), so it says `vendor: postgres`.
"#;

fn vendor(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(v) = &s.vendor else { return };
    if v.value != "postgres" {
        e.emit(
            &s.path,
            Some(v.span),
            format!("the snapshot was taken on `{}`, but this deployment runs PostgreSQL", v.value),
            "regenerate the snapshot from a Directus running on PostgreSQL (vendor: postgres)",
        );
    }
}

// ---------------------------------------------------------------------------

const DUPLICATE: &str = r#"## What it does
Reports a collection (same `collection:`), a field (same `collection` and
`field`) or a relation (same `collection` and `field`) that appears twice in
the snapshot, at the second occurrence. Severity: error.

## Why is this bad?
Directus looks entries up by name and takes the first; the second is silently
ignored by the diff, or created twice and fails the boot. Either way the file
no longer says what the database will look like. Duplicates come from merge
conflicts resolved by keeping both sides.

## Example
```yaml
fields:
  - collection: orders
    field: total
    type: decimal
  # … 200 lines later, from the other branch:
  - collection: orders
    field: total
    type: float
```

## Use instead
Keep one entry: regenerate the snapshot after resolving the merge in a
Directus instance.
"#;

fn duplicate(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let help = "keep one entry (merge conflicts resolved by keeping both sides cause this); regenerate the snapshot";
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for c in &s.collections {
        if let Some(line) = seen.get(c.name.as_str()) {
            e.emit(&s.path, Some(c.span), format!("collection `{}` is defined again (first at line {line})", c.name), help);
        } else {
            seen.insert(&c.name, c.span.line);
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for f in &s.fields {
        let key = (f.collection.value.as_str(), f.field.value.as_str());
        if let Some(line) = seen.get(&key) {
            e.emit(&s.path, Some(f.field.span), format!("field `{}.{}` is defined again (first at line {line})", key.0, key.1), help);
        } else {
            seen.insert(key, f.field.span.line);
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for r in &s.relations {
        let key = (r.collection.value.as_str(), r.field.value.as_str());
        if let Some(line) = seen.get(&key) {
            e.emit(&s.path, Some(r.field.span), format!("relation on `{}.{}` is defined again (first at line {line})", key.0, key.1), help);
        } else {
            seen.insert(key, r.field.span.line);
        }
    }
}

// ---------------------------------------------------------------------------

const DANGLING_REFERENCE: &str = r#"## What it does
Reports a name in the snapshot that points at nothing: a field of a
collection that is not defined; a field's `meta.group` or
`schema.foreign_key_table`/`foreign_key_column`; a relation's `collection`,
`field`, `related_collection`, `meta.one_field`, `meta.junction_field`,
`meta.sort_field`, `meta.one_collection_field`, `meta.one_allowed_collections`
or `schema.foreign_key_*` naming a collection or field the snapshot does not
define. Directus's own collections (`directus_users`, `directus_files`, …) are
valid targets without being in the snapshot. Severity: error.

## Why is this bad?
`schema apply` creates fields and relations in order; one that names a missing
collection or field fails half-way through the boot, leaving the schema
partly applied. Such references come from deleting a collection or renaming a
field by hand.

## Example
```yaml
relations:
  - collection: orders
    field: customer
    related_collection: clients   # no collection `clients` in the snapshot
```

## Use instead
Define the target (or remove the reference), then regenerate the snapshot
from a Directus instance so that collections, fields and relations agree.
"#;

fn dangling_reference(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    if s.root().is_none() {
        return;
    }
    let collections: HashSet<&str> = s.collections.iter().map(|c| c.name.as_str()).collect();
    let fields: HashSet<(&str, &str)> = s.fields.iter().map(|f| (f.collection.value.as_str(), f.field.value.as_str())).collect();
    let help = "define the collection or field it names, or remove the reference; then regenerate the snapshot";

    let known_collection = |c: &str| collections.contains(c) || is_system_collection(c);
    // A field reference can only be checked in a collection the snapshot
    // defines: system collections' own fields are not in snapshots.
    let missing_field = |c: &str, f: &str| collections.contains(c) && !fields.contains(&(c, f));

    let coll = |e: &mut Emitter, what: &str, name: &Str| {
        if !known_collection(&name.value) {
            e.emit(&s.path, Some(name.span), format!("{what} names collection `{}`, which the snapshot does not define", name.value), help);
        }
    };
    for f in &s.fields {
        let id = format!("field `{}.{}`", f.collection.value, f.field.value);
        coll(e, &id, &f.collection);
        if let Some(fk) = &f.foreign_key_table {
            coll(e, &format!("{id} (schema.foreign_key_table)"), fk);
            if let Some(col) = &f.foreign_key_column {
                if missing_field(&fk.value, &col.value) {
                    e.emit(&s.path, Some(col.span), format!("{id} has a foreign key to `{}.{}`, which the snapshot does not define", fk.value, col.value), help);
                }
            }
        }
        if let Some(g) = &f.group {
            if missing_field(&f.collection.value, &g.value) {
                e.emit(&s.path, Some(g.span), format!("{id} is in group `{}`, which is not a field of `{}`", g.value, f.collection.value), help);
            }
        }
    }
    for r in &s.relations {
        let id = format!("relation on `{}.{}`", r.collection.value, r.field.value);
        if !known_collection(&r.collection.value) {
            coll(e, &id, &r.collection);
        } else if missing_field(&r.collection.value, &r.field.value) {
            e.emit(&s.path, Some(r.field.span), format!("{id}: the snapshot defines no field `{}` in `{}`", r.field.value, r.collection.value), help);
        }
        let many = r.collection.value.as_str();
        for (key, f) in [("junction_field", &r.junction_field), ("sort_field", &r.sort_field), ("one_collection_field", &r.one_collection_field)] {
            if let Some(f) = f {
                if missing_field(many, &f.value) {
                    e.emit(&s.path, Some(f.span), format!("{id}: meta.{key} `{}` is not a field of `{many}`", f.value), help);
                }
            }
        }
        if let Some(rc) = &r.related_collection {
            if !known_collection(&rc.value) {
                coll(e, &id, rc);
            } else if let Some(of) = &r.one_field {
                if missing_field(&rc.value, &of.value) {
                    e.emit(&s.path, Some(of.span), format!("{id}: meta.one_field `{}` is not a field of `{}`", of.value, rc.value), help);
                }
            }
        }
        for c in &r.one_allowed_collections {
            coll(e, &format!("{id} (meta.one_allowed_collections)"), c);
        }
        if let Some(fk) = &r.foreign_key_table {
            if !known_collection(&fk.value) {
                coll(e, &format!("{id} (schema.foreign_key_table)"), fk);
            } else if let Some(col) = &r.foreign_key_column {
                if missing_field(&fk.value, &col.value) {
                    e.emit(&s.path, Some(col.span), format!("{id} has a foreign key to `{}.{}`, which the snapshot does not define", fk.value, col.value), help);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------

const DESTRUCTIVE_CHANGE: &str = r#"## What it does
Compares the snapshot with the one on the base branch and reports, one
finding each: a collection that is gone (its fields and relations are not
listed again), a field that is gone, a relation that is gone, and a field
whose `type` changed. A rename shows as a removal. Needs a base (`--base`, or
the pull request's base branch); skipped without one. Severity: error.
`trm-ci diff` shows the whole change (additions, nullability, defaults,
relation targets, `on_delete`), from the same comparison.

## Why is this bad?
At the next boot `schema apply` makes the database match the snapshot: a
removed collection drops its table, a removed field drops its column, a type
change rewrites the column; all without asking, and the rows are gone. A
removal is sometimes intended, but it must be a reviewed decision, not a side
effect of regenerating the snapshot from an incomplete database.

## Example
The base snapshot defines the collection `clients`; the new one does not.

## Use instead
Restore the collection, field or relation in the snapshot (regenerate it from
a database that still has it). If the removal is intended, back the data up,
say so in the pull request, and let this one change through by setting
`snapshot/destructive-change` to `warning` in `trm-ci.toml` for that pull
request.
"#;

fn destructive_change(ctx: &Context, e: &mut Emitter) {
    let (Some(h), Some(b)) = (head(ctx), ctx.base.and_then(|b| b.snapshot.as_deref())) else { return };
    // With an unreadable side, everything would look removed.
    let (Some(h_root), Some(_)) = (h.root(), b.root()) else { return };
    let base_desc = "the base";
    let whole = h.span_at("").unwrap_or(Span { line: 1, col: 1, end_line: 1, end_col: 1, offset: 0, len: 0 });
    let list_span = |key: &str| h.entry(h_root, key).map(|en| en.key_span).unwrap_or(whole);
    let help_restore = "restore it in the snapshot (regenerate from a database that has it); if the removal is intended, back the data up and say so in the pull request";
    let line = |l: Option<u32>| l.unwrap_or(1);

    for c in schema_diff::diff(b, h).changes {
        let field = c.field.as_deref().unwrap_or("");
        match &c.what {
            What::CollectionRemoved { table, fields } => {
                let what = if *table { "drops its table and every row" } else { "removes the folder" };
                e.emit(
                    &h.path,
                    Some(list_span("collections")),
                    format!(
                        "collection `{}` (line {} in {base_desc}{}) is removed: `schema apply` {what}",
                        c.collection,
                        line(c.base_line),
                        match fields {
                            0 => String::new(),
                            1 => ", 1 field".to_string(),
                            n => format!(", {n} fields"),
                        }
                    ),
                    help_restore,
                );
            }
            What::FieldRemoved { r#type, .. } => {
                let is_alias = r#type.as_deref().is_some_and(schema_diff::is_alias_type);
                let what = if is_alias { "removes it from the app" } else { "drops its column and its data" };
                e.emit(
                    &h.path,
                    Some(list_span("fields")),
                    format!("field `{}.{field}` (line {} in {base_desc}) is removed: `schema apply` {what}", c.collection, line(c.base_line)),
                    help_restore,
                );
            }
            What::TypeChanged { from, to } => {
                let find = |s: &Snapshot| s.fields.iter().find(|f| f.collection.value == c.collection && f.field.value == field).cloned();
                let (Some(bf), Some(hf)) = (find(b), find(h)) else { continue };
                let span = hf.r#type.as_ref().map(|t| t.span).unwrap_or(hf.field.span);
                e.emit(
                    &h.path,
                    Some(span),
                    format!(
                        "field `{}.{field}` changes type from `{from}` (line {} in {base_desc}) to `{to}`: `schema apply` {}",
                        c.collection,
                        bf.r#type.as_ref().map(|t| t.span.line).unwrap_or(bf.field.span.line),
                        if schema_diff::is_alias_type(from) || schema_diff::is_alias_type(to) {
                            "deletes the field and creates it again"
                        } else {
                            "rewrites the column, which can fail or lose data"
                        }
                    ),
                    "keep the type, or migrate the data explicitly (new field, copy, then remove the old one) and say so in the pull request",
                );
            }
            What::RelationRemoved { related_collection } => {
                let target = related_collection.as_ref().map(|t| format!(" → `{t}`")).unwrap_or_default();
                e.emit(
                    &h.path,
                    Some(list_span("relations")),
                    format!(
                        "relation on `{}.{field}`{target} (line {} in {base_desc}) is removed: `schema apply` drops its foreign key and the app loses the link",
                        c.collection,
                        line(c.base_line)
                    ),
                    help_restore,
                );
            }
            // Additions and the other changes are `trm-ci diff`'s to show.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_collections_are_sorted_for_binary_search() {
        let mut v = SYSTEM_COLLECTIONS.to_vec();
        v.sort_unstable();
        assert_eq!(v, SYSTEM_COLLECTIONS);
        assert!(is_system_collection("directus_users"));
        assert!(!is_system_collection("clients"));
    }

    #[test]
    fn the_schema_compiles() {
        assert!(validator().is_some());
    }

    #[test]
    fn semver_is_checked_in_code() {
        for ok in ["11.17.4", "0.0.0", "11.0.0-rc.1", "1.2.3+build.5", "1.2.3-beta-2+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["11.17", "11.17.4.1", "v11.17.4", "011.1.1", "1.2.x", "1.2.3-", "1.2.3+", "", "latest"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn paths_are_shown_as_dotted_keys() {
        assert_eq!(display_path("/collections/3/meta"), "collections[3].meta");
        assert_eq!(display_path(""), "(root)");
        assert_eq!(display_path("/a~1b/0"), "a/b[0]");
    }
}
