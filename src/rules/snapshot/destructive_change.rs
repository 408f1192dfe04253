//! `snapshot/destructive-change`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/destructive-change`) and its check.

use super::*;
use crate::model::approvals::ApprovedChange;
use crate::model::schema_diff::Change;

pub const RULE: Rule = Rule {
    id: "snapshot/destructive-change",
    severity: Severity::Error,
    summary: "against the base, a collection, field or relation is removed or a field's type changes destructively, unless allow-destructive.txt approves it",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
Compares the snapshot with the one on the base branch and reports, one
finding each: a collection that is gone (its fields and relations are not
listed again), a field that is gone, a relation that is gone, and a field
whose type changes in a way existing values may not survive. A type change
is judged by what PostgreSQL's `ALTER COLUMN … TYPE` does to the stored
values, from the Directus type and the column under it (`data_type`,
`max_length`, precision and scale): widening (varchar(32) → varchar(255)
or text, string → text, integer → bigInteger, numeric with more digits) is
safe and not reported; narrowing (text → string, varchar(255) →
varchar(8), numeric losing digits) can make the boot fail, and a change of
family (string → integer, dateTime → timestamp) can fail or change
values: those are. `trm-ci diff` uses the same classification. A rename shows as a removal. Needs a base (`--base`, or
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
a database that still has it). If the change is intended, approve exactly it:
name it in `allow-destructive.txt` beside the snapshot
(`snapshots/allow-destructive.txt`), one per line, a collection
(`legacy_clients`) or a field (`addresses.label`), then why:

```text
addresses.label   replaced by line1 and line2; db-post/0003 copied the values
```

The file is reviewed with the pull request and copied into the image with
the snapshot (`COPY snapshots/`): the boot's schema step deletes exactly the
collections and fields it names and refuses any other deletion, so what the
reviewer approved is what production does. Each approved change is then
listed as approved (the results document's `lint.approved`, its own heading in
the PR comment) instead of reported as an error; an entry that approves
nothing is `snapshot/unmatched-approval`. `TRM_ALLOW_DESTRUCTIVE_SCHEMA=1`
(every deletion, one boot) stays for emergencies.
"#;

/// A change this rule judges: against the base, it removes or rewrites
/// something that holds data or that the app relies on.
pub struct Flagged {
    pub change: Change,
    /// The `collection` or `collection.field` an approval must name.
    pub item: String,
}

/// The changes this rule reports (before approvals), in the diff's order.
pub fn flagged(b: &Snapshot, h: &Snapshot) -> Vec<Flagged> {
    let mut out = Vec::new();
    for c in schema_diff::diff(b, h).changes {
        let judged = match &c.what {
            What::CollectionRemoved { .. } | What::FieldRemoved { .. } | What::RelationRemoved { .. } => true,
            // A change every stored value survives (varchar(32) → text,
            // integer → bigInteger) is not: `trm-ci diff` shows it.
            What::TypeChanged { .. } => c.destructive,
            _ => false,
        };
        if judged {
            let item = match &c.field {
                Some(f) if !matches!(c.what, What::CollectionRemoved { .. }) => format!("{}.{f}", c.collection),
                _ => c.collection.clone(),
            };
            out.push(Flagged { change: c, item });
        }
    }
    out
}

/// The base and head snapshots, when both can be compared (with an
/// unreadable side, everything would look removed).
fn sides<'a>(ctx: &Context<'a>) -> Option<(&'a Snapshot, &'a Snapshot)> {
    let (h, b) = (head(ctx)?, ctx.base.and_then(|b| b.snapshot.as_deref())?);
    (h.root().is_some() && b.root().is_some()).then_some((b, h))
}

/// The destructive changes `allow-destructive.txt` approves: what the
/// results document lists under `approved` instead of as findings.
pub fn approved(ctx: &Context) -> Vec<ApprovedChange> {
    let (Some((b, h)), Some(a)) = (sides(ctx), ctx.head.approvals.as_ref()) else { return Vec::new() };
    flagged(b, h)
        .into_iter()
        .filter_map(|f| {
            let by = a.items.iter().find(|x| x.item == f.item)?;
            Some(ApprovedChange {
                item: f.item,
                change: f.change.sentence(&|x: &str| x.to_string()),
                reason: by.reason.clone(),
                file: a.path.clone(),
                line: by.span.line,
            })
        })
        .collect()
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((b, h)) = sides(ctx) else { return };
    let h_root = h.root().expect("checked by sides");
    let base_desc = "the base";
    let whole = h.span_at("").unwrap_or(Span { line: 1, col: 1, end_line: 1, end_col: 1, offset: 0, len: 0 });
    let list_span = |key: &str| h.entry(h_root, key).map(|en| en.key_span).unwrap_or(whole);
    let help_restore = |item: &str| {
        format!(
            "restore it in the snapshot (regenerate from a database that has it); if the removal is intended, back the data up and approve it: add `{item}` to {}",
            approvals_path(ctx)
        )
    };
    let line = |l: Option<u32>| l.unwrap_or(1);
    let approved = |item: &str| ctx.head.approvals.as_ref().is_some_and(|a| a.items.iter().any(|x| x.item == item));

    for Flagged { change: c, item } in flagged(b, h) {
        if approved(&item) {
            continue; // listed under `approved` (see [`approved`])
        }
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
                    help_restore(&item),
                );
            }
            What::FieldRemoved { r#type, .. } => {
                let is_alias = r#type.as_deref().is_some_and(schema_diff::is_alias_type);
                let what = if is_alias { "removes it from the app" } else { "drops its column and its data" };
                e.emit(
                    &h.path,
                    Some(list_span("fields")),
                    format!("field `{}.{field}` (line {} in {base_desc}) is removed: `schema apply` {what}", c.collection, line(c.base_line)),
                    help_restore(&item),
                );
            }
            What::TypeChanged { from, to, from_column, to_column, .. } => {
                let same = from == to;
                let alias = schema_diff::is_alias_type(from) || schema_diff::is_alias_type(to);
                let (from, to) = (
                    schema_diff::type_words(from, from_column, same, &|x: &str| x.to_string()),
                    schema_diff::type_words(to, to_column, same, &|x: &str| x.to_string()),
                );
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
                        if alias {
                            "deletes the field and creates it again".to_string()
                        } else {
                            format!("rewrites the column: {}", c.reason.as_deref().unwrap_or("existing values may not convert"))
                        }
                    ),
                    format!(
                        "keep the type, or migrate the data explicitly (new field, copy, then remove the old one); if the change is intended, approve it: add `{item}` to {}",
                        approvals_path(ctx)
                    ),
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
                    help_restore(&item),
                );
            }
            _ => {}
        }
    }
}

fn approvals_path(ctx: &Context) -> String {
    ctx.head.paths.approvals()
}
