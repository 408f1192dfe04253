//! `migrations/postgres-error`: its doc (`trm-ci explain migrations/postgres-error`) and its check.

pub(super) const POSTGRES_ERROR: &str = r#"## What it does
Only with `trm-ci lint --postgres URL`: every migration is replayed, in
order, on that PostgreSQL server inside one transaction that is rolled back,
and each error PostgreSQL reports is a finding at the file and line psql
names (with the server's own position in the statement where it gives one).
Severity: error. Without `--postgres` this rule reports nothing.

## Why is this bad?
It is exactly the error the container's db-init step would hit at boot:
a missing table, a wrong type, a function body that does not compile.

## Example
```sql
ALTER TABLE app.nots ADD COLUMN body text;  -- relation "app.nots" does not exist
```

## Use instead
Fix the statement until the replay passes:
```sql
ALTER TABLE app.notes ADD COLUMN body text;
```
"#;
