//! `migrations/directus-system-table`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/directus-system-table`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/directus-system-table",
    severity: Severity::Warning,
    summary: "a migration statement reads, writes, alters or references one of Directus's own system tables",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a migration statement that uses one of Directus's own system tables
as a table: the target of CREATE / ALTER / DROP / TRUNCATE / INSERT / UPDATE
/ DELETE / MERGE / COPY, the table of CREATE INDEX / TRIGGER / POLICY … ON,
a foreign key's REFERENCES, or FROM / JOIN of a query (a view over it
included), unqualified or in `public`. The system tables are the 29
collections of Directus 11.17.4 (`@directus/system-data`: `directus_users`,
`directus_files`, `directus_settings`, …), not every name that starts with
`directus_`: a column `directus_user_id`, an index `ix_directus_…` or a
constraint `directus_…_pkey` of an app table are not findings, nor are
GRANT, COMMENT ON and LOCK, nor anything in a string, a DO block or a
function body. Severity: warning.

## Why is this bad?
Directus owns its system tables: its own upgrade migrations alter them and
assume the shape they left. Rows written behind its back skip its
validation, caches and permissions; a column added to `directus_users`
breaks the next `directus bootstrap` that adds one of the same name. On a
fresh database db-init also runs before Directus installs these tables, so
the statement fails there.

## Example
```sql
INSERT INTO directus_settings (project_name) VALUES ('Shop');
```

## Use instead
Put the setting in the snapshot or set it through the API or the Directus
environment (`PROJECT_NAME`); keep app objects in the `app` schema. A column
that stores a Directus user id in an app table is fine:
```sql
ALTER TABLE app.audit ADD COLUMN directus_user_id uuid;
```
"#;

/// Whether `n` is one of Directus's own tables (in `public`).
fn is_directus_table(s: &Statement, n: &TableName) -> bool {
    in_public(s, n) && SYSTEM_COLLECTIONS.binary_search(&n.name.as_str()).is_ok()
}

fn check(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            for r in s.tables.iter().filter(|r| r.role != TableRole::Other && is_directus_table(s, &r.table)) {
                e.emit(
                    &m.path,
                    Some(r.table.span),
                    format!(
                        "this statement {} `{}`, a Directus system table; Directus owns it and migrates it itself",
                        r.role.describe(),
                        r.table.display()
                    ),
                    "leave Directus's tables to Directus: use the snapshot, the API or Directus's environment variables; if this is deliberate, add `-- trm-ci: ignore=migrations/directus-system-table <why>` above it",
                );
            }
        }
    }
}
