//! `snapshot/destructive-change`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/destructive-change`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/destructive-change",
    severity: Severity::Error,
    summary: "against the base, a collection, field or relation is removed or a field's type changed",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
