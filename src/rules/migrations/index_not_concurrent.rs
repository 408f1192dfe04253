//! `migrations/index-not-concurrent`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/index-not-concurrent`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/index-not-concurrent",
    severity: Severity::Warning,
    summary: "CREATE INDEX on an existing table without CONCURRENTLY blocks its writes while the index builds",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `CREATE [UNIQUE] INDEX` without `CONCURRENTLY` on a table the same
file did not create. Severity: warning in `db-init/` and `db-post/`: both
run on the production database at every boot, while the previous image's
replicas may still serve. (`CONCURRENTLY` itself is
`migrations/concurrently-in-transaction`'s error: see below.)

## Why is this bad?
A plain `CREATE INDEX` locks the table against writes (a SHARE lock:
reads go on) until the whole index is built (PostgreSQL 15, "CREATE
INDEX", Building Indexes Concurrently: *"PostgreSQL locks the table to be
indexed against writes and performs the entire index build with a single
scan of the table"*). On a large table, every insert and update waits.
squawk reports it as `require-concurrent-index-creation`.

## Example
```sql
CREATE INDEX orders_customer_idx ON public.orders (customer);
```

## Use instead
`CREATE INDEX CONCURRENTLY` cannot run inside a transaction block, and
the runner applies each file in one transaction (with its ledger row, so
a crash never leaves half a file): it cannot be used in a migration. For a
small table, keep the plain statement with `IF NOT EXISTS`; the lock is
short. For a large one, build it by hand first, on each database, in a
psql session outside any migration:
```sql
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON public.orders (customer);
```
then commit the migration with the same name, `IF NOT EXISTS`, which then
finds it and does nothing (fresh databases, still empty, build it at once):
```sql
-- trm-ci: ignore=migrations/index-not-concurrent built concurrently by hand first (ops ticket 88)
CREATE INDEX IF NOT EXISTS orders_customer_idx ON public.orders (customer);
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for d in ddl_statements(ctx) {
        let Ddl::CreateIndex { concurrently: false, .. } = d.ddl else { continue };
        if d.fresh {
            continue;
        }
        e.emit(
            &d.m.path,
            Some(d.s.head_span),
            format!("building an index on `{}` blocks writes to it until the build ends (the previous replicas wait)", d.table.display()),
            "small table: keep it, with IF NOT EXISTS; large table: build it CONCURRENTLY by hand first (psql, outside the runner's transaction), then keep this as CREATE INDEX IF NOT EXISTS with the same name",
        );
    }
}
