//! `migrations/snapshot-collision`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/snapshot-collision`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/snapshot-collision",
    severity: Severity::Error,
    summary: "a migration creates a table that the snapshot defines as a collection",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a migration that creates a table (or view, materialized view,
foreign table) in `public` whose name is a collection with a table in the
schema snapshot. Severity: error.

Any other statement that uses such a table (ALTER, CREATE INDEX … ON, a
foreign key to it, …) is `migrations/references-snapshot-table`'s finding.

## Why is this bad?
The snapshot owns that table: `directus schema apply` runs after db-init and
either fails because the table exists, or adopts a table whose columns
differ from what the snapshot says, and a later apply may drop them.

## Example
`snapshots/snapshot.yaml` has the collection `orders`, and
```sql
CREATE TABLE orders (id bigint PRIMARY KEY);
```

## Use instead
Let the snapshot create `orders`; keep SQL-owned tables out of its way
(another name, or the `app` schema, which Directus does not manage):
```sql
CREATE TABLE app.order_audit (id bigint PRIMARY KEY);
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((snap_path, tables)) = snapshot_tables(ctx) else { return };
    for m in sql_files(ctx) {
        for s in &m.statements {
            for r in s.tables.iter().filter(|r| r.role == TableRole::Create && in_public(s, &r.table)) {
                if tables.contains(r.table.name.as_str()) {
                    e.emit(
                        &m.path,
                        Some(r.table.span),
                        format!("creates `{}`, which {snap_path} defines as a collection", r.table.display()),
                        "let the snapshot create it (remove it here), or give the SQL-owned table another name or schema",
                    );
                }
            }
        }
    }
}
