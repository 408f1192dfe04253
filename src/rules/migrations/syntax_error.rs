//! `migrations/syntax-error`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/syntax-error`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/syntax-error",
    severity: Severity::Error,
    summary: "a migration has a certain syntax error (unterminated quote or comment, unknown command, unbalanced parentheses)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a syntax error that is certain without a server: an unterminated
string, quoted identifier, comment or dollar quote; unbalanced parentheses;
a statement whose first keyword is not a SQL command (`CREAT TABLE`), or
whose object after CREATE/ALTER/DROP is not one (`CREATE TABEL`).
Severity: error.

It never reports valid PostgreSQL it does not understand (statements are
split by a psql-compatible lexer; a parser that fails is not an error).
`trm-ci lint --postgres URL` is the authoritative check: it reports
PostgreSQL's own errors as `migrations/postgres-error`.

## Why is this bad?
The boot stops at the db-init step with psql's error, and the container
restarts in a loop. An unterminated `$$` swallows every statement after it.

## Example
```sql
CREAT TABLE app.tags (id bigint PRIMARY KEY);
```

## Use instead
```sql
CREATE TABLE app.tags (id bigint PRIMARY KEY);
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for err in &m.errors {
            e.emit(&m.path, Some(err.span), err.message.clone(), err.help.clone());
        }
    }
}
