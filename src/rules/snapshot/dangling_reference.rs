//! `snapshot/dangling-reference`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/dangling-reference`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/dangling-reference",
    severity: Severity::Error,
    summary: "a field or relation names a collection or field that the snapshot does not define",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
