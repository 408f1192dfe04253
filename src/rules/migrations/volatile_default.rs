//! `migrations/volatile-default`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/volatile-default`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/volatile-default",
    severity: Severity::Warning,
    summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), serial, identity, stored generated): a table rewrite",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `ALTER TABLE … ADD COLUMN` on a table the same file did not create
when the new column's value must be computed for every existing row: a
`DEFAULT` calling a volatile function (`random()`, `gen_random_uuid()`,
`uuid_generate_v4()`, `clock_timestamp()`, `nextval()`, …), a `serial`
type, `GENERATED … AS IDENTITY` or `GENERATED ALWAYS AS (…) STORED`.
Constant and stable defaults (`0`, `'draft'`, `now()`,
`current_timestamp`) are not reported. Severity: warning in `db-init/` and
`db-post/`: both run on the production database at every boot, while the
previous image's replicas may still serve.

## Why is this bad?
Since PostgreSQL 11 a non-volatile default is stored once in the catalog
and the table is not touched; a volatile one is evaluated for each row, so
the whole table and its indexes are rewritten under an ACCESS EXCLUSIVE
lock (PostgreSQL 15, "ALTER TABLE", Notes: *"adding a column with a
volatile DEFAULT or changing the type of an existing column will require
the entire table and its indexes to be rewritten"*). squawk reports it as
`adding-field-with-default`.

## Example
```sql
ALTER TABLE app.notes ADD COLUMN token uuid DEFAULT gen_random_uuid();
```

## Use instead
Add the column without the default, set the default for new rows, then
backfill the existing rows in batches:
```sql
ALTER TABLE app.notes ADD COLUMN token uuid;
ALTER TABLE app.notes ALTER COLUMN token SET DEFAULT gen_random_uuid();
-- then, in batches: UPDATE app.notes SET token = gen_random_uuid() WHERE token IS NULL AND id BETWEEN …;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        if d.fresh {
            continue;
        }
        for a in actions {
            let Action::AddColumn { column, span, default, computed, .. } = a else { continue };
            let why = match default {
                Some(def) if def.volatile => format!("its DEFAULT `{}` is volatile, evaluated once", def.text),
                _ if *computed => "its value (serial, identity or stored generated) is computed".to_string(),
                _ => continue,
            };
            e.emit(
                &d.m.path,
                Some(*span),
                format!(
                    "adding `{column}` to `{}` rewrites the whole table under an ACCESS EXCLUSIVE lock: {why} for every existing row",
                    d.table.display()
                ),
                "add the column without it, SET DEFAULT for new rows, then backfill existing rows in batches",
            );
        }
    }
}
