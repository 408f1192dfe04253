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
transaction block"), and the db-init runner applies every file in one
transaction: the boot fails.

## Example
```sql
CREATE INDEX CONCURRENTLY orders_customer_idx ON public.orders (customer);
```

## Use instead
```sql
CREATE INDEX orders_customer_idx ON public.orders (customer);
```
For a table too large to lock during the build, create the index
concurrently outside db-init (a one-off psql session), then add a migration
with `CREATE INDEX IF NOT EXISTS` so fresh databases get it too.
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
                    format!("`{what}` cannot run inside a transaction block, and the {} runner applies each file in one", step_of(ctx, m)),
                    "drop CONCURRENTLY (the table is locked while the index builds), or build it concurrently outside db-init and add `IF NOT EXISTS` here",
                );
            }
        }
    }
}
