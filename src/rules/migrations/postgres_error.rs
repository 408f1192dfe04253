//! `migrations/postgres-error`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/postgres-error`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/postgres-error",
    severity: Severity::Error,
    summary: "PostgreSQL rejected a migration when `--postgres URL` replayed them",
    doc: DOC,
    needs_base: false,
    // Reported by `crate::pgreplay` (only with `--postgres`): the server's
    // own error, mapped to file:line. Nothing to check without a server.
    check: |_, _| {},
};

const DOC: &str = r#"## What it does
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
