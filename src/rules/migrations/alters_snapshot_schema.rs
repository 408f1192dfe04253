//! `migrations/alters-snapshot-schema`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/alters-snapshot-schema`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/alters-snapshot-schema",
    severity: Severity::Error,
    summary: "db-post SQL alters a column or constraint the snapshot manages (the next schema step plans against it)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports an `ALTER TABLE` in `db-post/` on a table the snapshot creates
that changes what the snapshot defines: a field's column (`TYPE`, `SET` /
`DROP NOT NULL`, `SET` / `DROP DEFAULT`, `DROP COLUMN`, `RENAME COLUMN`,
`ADD COLUMN` of a name the snapshot defines), or a constraint Directus
manages (a relation's foreign key, the primary key `<table>_pkey`: `DROP`
/ `RENAME CONSTRAINT`). Indexes, triggers, CHECK constraints and columns
the snapshot does not know are db-post's job and not reported, and so are
`SET STATISTICS`, `SET STORAGE` and other column options Directus does not
record. Severity:
error; db-post only (db-init cannot touch these tables at all:
`migrations/references-snapshot-table`).

## Why is this bad?
The schema step runs before db-post at every boot and makes the database
match the snapshot: the next boot finds the column differing from the
snapshot and plans an update of the field, which changes it back (a type
changed back can fail or lose data), or fails. The change lasts one boot,
Directus's own view of the field (its type, nullability, default in the
app) disagrees with the database meanwhile, and the snapshot exported
from that database no longer matches the repository. No other migration
linter knows which columns another tool owns.

## Example
```sql
-- db-post/0003_orders_status.sql
ALTER TABLE public.orders ALTER COLUMN status TYPE varchar(8);
```

## Use instead
Change the field in Directus (dev stack), export the snapshot, and commit
it: the schema step then makes the change (`trm-ci diff` shows it, and
`snapshot/destructive-change` judges it). Keep db-post for what Directus
does not model: indexes, triggers, CHECK constraints, functions.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(snap) = ctx.head.snapshot.as_deref() else { return };
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        if d.step != SqlStep::DbPost || !in_public(d.s, d.table) {
            continue;
        }
        let Some(c) = snapshot_table(ctx, d.table) else { continue };
        let field = |col: &str| snap.fields.iter().any(|f| f.collection.value == c.name && f.field.value == col);
        for a in actions {
            let (what, span) = match a {
                Action::AlterType { column, span } if field(column) => (format!("changes the type of its field `{column}`"), span),
                Action::SetNotNull { column, span } if field(column) => (format!("sets its field `{column}` NOT NULL"), span),
                Action::AlterColumnOther { column, span, nullable_or_default: true } if field(column) => {
                    (format!("changes the nullability or default of its field `{column}`"), span)
                }
                Action::DropColumn { column, span } if field(column) => (format!("drops its field `{column}`"), span),
                Action::RenameColumn { column, span } if field(column) => (format!("renames its field `{column}`"), span),
                Action::AddColumn { column, span, .. } if field(column) => (format!("adds a column `{column}`, a field the snapshot defines"), span),
                Action::DropConstraint { name, span } if managed_constraint(snap, &c.name, name) => {
                    (format!("drops its constraint `{name}`, which Directus manages"), span)
                }
                Action::RenameConstraint { name, span } if managed_constraint(snap, &c.name, name) => {
                    (format!("renames its constraint `{name}`, which Directus manages"), span)
                }
                _ => continue,
            };
            e.emit(
                &d.m.path,
                Some(*span),
                format!(
                    "`{}` is a collection the snapshot manages, and this statement {what}: the next boot's schema step plans against it and changes it back (or fails)",
                    c.name
                ),
                "change the field in Directus and export the snapshot (`trm-ci diff` shows the change); keep db-post for indexes, triggers and CHECK constraints",
            );
        }
    }
}

/// The primary key `<table>_pkey`, or a relation's foreign key constraint
/// (`schema.constraint_name`, else Directus's `<table>_<column>_foreign`).
fn managed_constraint(snap: &crate::model::snapshot::Snapshot, table: &str, name: &str) -> bool {
    if name == format!("{table}_pkey") {
        return true;
    }
    snap.relations.iter().filter(|r| r.collection.value == table).any(|r| {
        let declared = snap
            .root()
            .and_then(|root| snap.get(root, "relations"))
            .and_then(|list| snap.items(list).get(r.index).copied())
            .and_then(|item| snap.get(item, "schema"))
            .and_then(|schema| snap.get(schema, "constraint_name"))
            .and_then(|n| match snap.scalar(n) {
                Some(crate::model::snapshot::Value::Str(s)) => Some(s.to_string()),
                _ => None,
            });
        declared.as_deref() == Some(name) || name == format!("{table}_{}_foreign", r.field.value)
    })
}
