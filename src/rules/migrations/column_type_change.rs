//! `migrations/column-type-change`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/column-type-change`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/column-type-change",
    severity: Severity::Warning,
    summary: "ALTER TABLE … ALTER COLUMN … TYPE on an existing table: ACCESS EXCLUSIVE lock, usually a table rewrite",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `ALTER TABLE … ALTER COLUMN c TYPE t` (and `SET DATA TYPE`) on a
table the same file did not create. Severity: warning in `db-init/` and
`db-post/`: both run on the production database at every boot of a new
image, and in a rolling update the previous image's replicas keep serving
while they run. (A column the snapshot manages is
`migrations/alters-snapshot-schema`'s, an error.)

## Why is this bad?
PostgreSQL takes an ACCESS EXCLUSIVE lock on the table (no reads, no
writes) and, unless the old type is binary-coercible to the new one
(varchar(n) → varchar(m > n) or text), rewrites the whole table and its
indexes while holding it (PostgreSQL 15, "ALTER TABLE", Notes: *"changing
the type of an existing column will require the entire table and its
indexes to be rewritten"*). On a large table every request that touches
it waits for minutes; a value that does not convert fails the boot.
Clients still running the old code may also break on the new type.
squawk reports it as `changing-column-type`.

## Example
```sql
ALTER TABLE app.notes ALTER COLUMN status TYPE varchar(8);
```

## Use instead
Add a new column, backfill it in batches, switch the code, then drop the
old column in a later release. For a small table, keep the statement and
silence this finding with a pragma giving the reason:
```sql
-- trm-ci: ignore=migrations/column-type-change app.notes holds a few hundred rows
ALTER TABLE app.notes ALTER COLUMN status TYPE text;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        if d.fresh || (d.step == SqlStep::DbPost && snapshot_table(ctx, d.table).is_some()) {
            continue; // new and empty; or alters-snapshot-schema's
        }
        for a in actions {
            if let Action::AlterType { column, span } = a {
                e.emit(
                    &d.m.path,
                    Some(*span),
                    format!(
                        "changing the type of `{}.{column}` takes an ACCESS EXCLUSIVE lock on the table and, unless the types are binary-coercible, rewrites it while the previous replicas wait",
                        d.table.display()
                    ),
                    "add a new column, backfill it in batches, switch the code, drop the old one later; for a small table, keep it with `-- trm-ci: ignore=migrations/column-type-change <why>`",
                );
            }
        }
    }
}
