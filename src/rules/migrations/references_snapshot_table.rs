//! `migrations/references-snapshot-table`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/references-snapshot-table`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/references-snapshot-table",
    severity: Severity::Error,
    summary: "a db-init statement uses a table that the snapshot creates, which does not exist yet when db-init runs",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a statement in `db-init/` that uses a table the schema snapshot
creates (a collection with a table, in `public`): ALTER / DROP / TRUNCATE it,
CREATE INDEX / TRIGGER / POLICY / RULE … ON it, a view or a query reading
it, INSERT / UPDATE / DELETE / MERGE / COPY on it, a foreign key
`REFERENCES` it, LOCK, COMMENT ON or GRANT … ON it. Creating such a table
is `migrations/snapshot-collision`'s finding, and a table that an earlier
db-init statement creates is not reported again. Only the migrations
directory (db-init) is checked: the post-schema directory `db-post/` is where
these statements belong. Statements inside DO blocks and function bodies
are not inspected (a PL/pgSQL body may test whether the table exists), nor
unqualified names after a `SET search_path` away from `public` in the same
file (they may name another schema's table). Severity: error.

## Why is this bad?
The boot runs db-init **before** the schema step: on a fresh database
(a new environment, CI, a restore into an empty server) the snapshot's
tables do not exist yet when db-init runs, so the statement fails and the
container never starts:
```
ALTER TABLE public.customers ADD COLUMN legacy_code text;
ERROR:  relation "public.customers" does not exist
```
On an existing database the same file succeeds, so the failure shows up
only on the next fresh one. With `IF EXISTS` the statement does not fail,
but it silently does nothing on a fresh database while it changes existing
ones: the environments drift apart.

## Example
```sql
-- db-init/0004_customers_legacy_code.sql
ALTER TABLE public.customers ADD COLUMN legacy_code text;
CREATE INDEX customers_email_lower_idx ON public.customers (lower(email));
```

## Use instead
Move the statements to the post-schema step: `db-post/` holds migrations
named like db-init's (`NNNN_snake_case.sql`), applied by the same runner,
with the same ledger, after the schema step and before Directus starts, so
the snapshot's tables exist:
```sql
-- db-post/0002_customers_email_lower_idx.sql
CREATE INDEX IF NOT EXISTS customers_email_lower_idx ON public.customers (lower(email));
```
A column Directus should manage (`legacy_code`) belongs in the snapshot
instead: add the field in Directus and export the snapshot again.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((snap_path, tables)) = snapshot_tables(ctx) else { return };
    // db-init only (db-post runs after the schema step), in the runner's order.
    let mut files: Vec<&Migration> = sql_files(ctx).collect();
    files.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    // Tables an earlier db-init statement created (snapshot-collision's finding).
    let mut created: HashSet<String> = HashSet::new();
    for m in files {
        for s in &m.statements {
            for r in &s.tables {
                let name = r.table.name.as_str();
                if !in_public(s, &r.table) || !tables.contains(name) {
                    continue;
                }
                if r.role == TableRole::Create {
                    created.insert(name.to_string());
                    continue;
                }
                if created.contains(name) {
                    continue;
                }
                let why = if r.if_exists {
                    "`IF EXISTS` makes it a silent no-op on a fresh database (the table does not exist yet when db-init runs, before the schema step) while it changes existing ones".to_string()
                } else {
                    format!(
                        "db-init runs before the schema step, so on a fresh database the table does not exist yet and the boot fails (`relation \"{}\" does not exist`)",
                        r.table.display()
                    )
                };
                e.emit(
                    &m.path,
                    Some(r.table.span),
                    format!("this statement {} `{}`, a table that {snap_path} creates: {why}", r.role.describe(), r.table.display()),
                    "move the statement to the post-schema step `db-post/` (same file naming, applied after the schema step); a column Directus should know about belongs in the snapshot",
                );
            }
        }
    }
}
