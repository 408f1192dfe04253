//! `migrations/not-null-without-default`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/not-null-without-default`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/not-null-without-default",
    severity: Severity::Error,
    summary: "ALTER TABLE … ADD COLUMN … NOT NULL without a DEFAULT on a table that may hold rows",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `ALTER TABLE … ADD COLUMN c type NOT NULL` (or `PRIMARY KEY`)
without a `DEFAULT`, on a table the same file did not create. Severity:
error, in `db-init/` and `db-post/` alike: both run at every boot of a new
image, on the production database, where the table already holds rows.

## Why is this bad?
PostgreSQL fills the new column of every existing row with its default,
NULL when there is none, and then checks the constraint: on a table with a
row the statement fails (`ERROR: column "note" of relation "orders" contains
null values`, PostgreSQL 15, "ALTER TABLE": *"ADD COLUMN … NOT NULL … the
column's default value … existing rows"*), the runner rolls the file back
and the container does not start. It passes on an empty CI database and
fails in production: the worst kind. squawk reports it as
`adding-required-field`.

## Example
```sql
ALTER TABLE app.notes ADD COLUMN author text NOT NULL;
```

## Use instead
Give it a constant default (PostgreSQL 11+ stores it without rewriting the
table), or add it nullable, fill it, then set NOT NULL (see
`migrations/set-not-null` for doing that without a long lock):
```sql
ALTER TABLE app.notes ADD COLUMN author text NOT NULL DEFAULT 'unknown';
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        if d.fresh {
            continue;
        }
        for a in actions {
            if let Action::AddColumn { column, span, not_null: true, default: None, computed: false, .. } = a {
                e.emit(
                    &d.m.path,
                    Some(*span),
                    format!(
                        "`{column}` is added NOT NULL without a DEFAULT: when `{}` holds rows the statement fails (`column \"{column}\" … contains null values`) and the boot stops",
                        d.table.display()
                    ),
                    "give it a constant DEFAULT (stored without a table rewrite since PostgreSQL 11), or add it nullable, fill it, then SET NOT NULL",
                );
            }
        }
    }
}
