//! `migrations/set-not-null`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/set-not-null`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/set-not-null",
    severity: Severity::Warning,
    summary: "ALTER COLUMN … SET NOT NULL on an existing table without a validated CHECK (c IS NOT NULL) first",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `ALTER TABLE … ALTER COLUMN c SET NOT NULL` on a table the same
file did not create, unless an earlier migration (or statement) of the
same step validated a `CHECK (c IS NOT NULL)` on it: added without `NOT
VALID`, or `NOT VALID` and then `VALIDATE CONSTRAINT`. Severity: warning
in `db-init/` and `db-post/`: both run on the production database at every
boot, while the previous image's replicas may still serve.

## Why is this bad?
SET NOT NULL holds an ACCESS EXCLUSIVE lock (no reads, no writes) while it
scans the whole table for NULLs, unless a valid CHECK constraint already
proves there are none (PostgreSQL 15, "ALTER TABLE", SET/DROP NOT NULL:
*"SET NOT NULL may only be applied to a column provided none of the
records in the table contain a NULL value … the full table scan is
skipped if a valid CHECK constraint is found which proves no NULL can
exist"*). squawk reports it as `adding-not-nullable-field`.

## Example
```sql
ALTER TABLE app.notes ALTER COLUMN author SET NOT NULL;
```

## Use instead
```sql
-- 0009_notes_author_not_null_check.sql
ALTER TABLE app.notes ADD CONSTRAINT notes_author_not_null CHECK (author IS NOT NULL) NOT VALID;
-- 0010_notes_author_not_null.sql
ALTER TABLE app.notes VALIDATE CONSTRAINT notes_author_not_null;   -- scans without blocking writes
ALTER TABLE app.notes ALTER COLUMN author SET NOT NULL;               -- no scan now
ALTER TABLE app.notes DROP CONSTRAINT notes_author_not_null;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    // (table, column) proven NOT NULL by a validated CHECK, per step; and
    // NOT VALID checks waiting for VALIDATE: (table, constraint) -> column.
    let mut proven: HashSet<(SqlStep, String, String)> = HashSet::new();
    let mut pending: HashMap<(SqlStep, String, String), String> = HashMap::new();
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        let t = table_key(d.table);
        for a in actions {
            match a {
                Action::AddConstraint { not_null_check: Some(c), not_valid, name, .. } => {
                    if *not_valid {
                        if let Some(n) = name {
                            pending.insert((d.step, t.clone(), n.clone()), c.clone());
                        }
                    } else {
                        proven.insert((d.step, t.clone(), c.clone()));
                    }
                }
                Action::ValidateConstraint { name } => {
                    if let Some(c) = pending.remove(&(d.step, t.clone(), name.clone())) {
                        proven.insert((d.step, t.clone(), c));
                    }
                }
                Action::SetNotNull { column, span } => {
                    if d.fresh || proven.contains(&(d.step, t.clone(), column.clone())) {
                        continue;
                    }
                    if d.step == SqlStep::DbPost && snapshot_table(ctx, d.table).is_some() {
                        continue; // alters-snapshot-schema's
                    }
                    e.emit(
                        &d.m.path,
                        Some(*span),
                        format!(
                            "SET NOT NULL on `{}.{column}` scans the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes) unless a validated CHECK ({column} IS NOT NULL) proves it first",
                            d.table.display()
                        ),
                        "add `CHECK (… IS NOT NULL) NOT VALID` in one migration, `VALIDATE CONSTRAINT` it in the next, then SET NOT NULL (no scan) and drop the check",
                    );
                }
                _ => {}
            }
        }
    }
}

/// A table as a key: schema (public when unqualified) and name.
fn table_key(t: &TableName) -> String {
    format!("{}.{}", t.schema.as_deref().unwrap_or("public"), t.name)
}
