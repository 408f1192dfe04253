//! `migrations/concurrently-in-transaction`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/concurrently-in-transaction`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/concurrently-in-transaction",
    severity: Severity::Error,
    summary: "CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY cannot run in the runner's transaction",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
`REINDEX … CONCURRENTLY` and `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`
in a migration. Severity: error.

## Why is this bad?
PostgreSQL refuses them inside a transaction block ("cannot run inside a
transaction block"), and the runner (db-init and db-post alike) applies
every file in one transaction, together with its ledger row: the boot
fails. The runner has no way to apply a file outside a transaction, and
that is on purpose: a crash would leave a half-applied file.

## Example
```sql
CREATE INDEX CONCURRENTLY orders_customer_idx ON public.orders (customer);
```

## Use instead
```sql
CREATE INDEX orders_customer_idx ON public.orders (customer);
```
A plain `CREATE INDEX` blocks writes to the table (not reads) while it
builds: fine for a small table or a new one. For a table too large to lock
during the build, create the index concurrently by hand on each database
first (a one-off `psql` session, outside any migration), then add a
migration with `CREATE INDEX IF NOT EXISTS` of the same name, so the
runner finds it there and fresh databases get it too.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if s.concurrently.is_some() {
                let what = &ctx.head.files.get(&m.path).map(|f| f.text_or_empty()).unwrap_or("");
                let what = what.get(s.head_span.offset..s.head_span.offset + s.head_span.len).unwrap_or("CONCURRENTLY");
                let what = what.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase();
                e.emit(
                    &m.path,
                    Some(s.head_span),
                    format!(
                        "`{what}` cannot run inside a transaction block, and the {} runner applies each file in one transaction",
                        step_of(ctx, m)
                    ),
                    {
                        let dir = dir_of(ctx, m);
                        if what.starts_with("CREATE") {
                            format!("drop CONCURRENTLY (writes to the table wait while the index builds); for a large table, build it concurrently by hand with psql first, outside {dir}/, and write `CREATE INDEX IF NOT EXISTS` with the same name here")
                        } else if what.starts_with("DROP") {
                            format!("drop CONCURRENTLY (the drop waits for, then blocks, the table's queries briefly); or drop it concurrently by hand with psql first, outside {dir}/, and write `DROP INDEX IF EXISTS` here")
                        } else {
                            format!("drop CONCURRENTLY, or run it by hand with psql, outside {dir}/: a rebuild or a detach changes no schema a fresh database needs")
                        }
                    },
                );
            }
        }
    }
}
