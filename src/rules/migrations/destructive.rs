//! `migrations/destructive`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/destructive`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/destructive",
    severity: Severity::Error,
    summary: "DROP TABLE/COLUMN/SCHEMA, TRUNCATE, or DELETE/UPDATE without WHERE",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports statements that destroy data: `DROP TABLE`, `DROP SCHEMA`,
`ALTER TABLE … DROP [COLUMN]`, `TRUNCATE`, and `DELETE` or `UPDATE` without
a top-level `WHERE`. Statements inside `DO` blocks and function bodies are
not inspected. Severity: error (data loss); silence a deliberate one with
`-- trm-ci: ignore=migrations/destructive <reason>` on the line before it.

## Why is this bad?
Migrations run on every environment, production included, and cannot be
undone: the data is gone on the next boot. A `DELETE` without `WHERE` is
more often a lost line than an intent.

## Example
```sql
ALTER TABLE app.notes DROP COLUMN body;
DELETE FROM app.notes;
```

## Use instead
Make sure it is intended, say why, and keep it:
```sql
-- trm-ci: ignore=migrations/destructive body moved to app.note_bodies in 0011
ALTER TABLE app.notes DROP COLUMN body;
DELETE FROM app.notes WHERE archived;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let help_drop = "make sure the data is not needed (or copied elsewhere first), then add `-- trm-ci: ignore=migrations/destructive <why>` above it";
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            match &s.kind {
                Kind::Drop { object } if object == "TABLE" || object == "SCHEMA" => {
                    let names = s.targets.iter().map(|t| format!("`{}`", t.display())).collect::<Vec<_>>().join(", ");
                    let what = object.to_ascii_lowercase();
                    let message = match s.targets.len() {
                        0 => format!("`DROP {object}` deletes the {what} and all its data"),
                        1 => format!("`DROP {object}` deletes the {what} {names} and all its data"),
                        _ => format!("`DROP {object}` deletes the {what}s {names} and all their data"),
                    };
                    e.emit(&m.path, Some(s.head_span), message, help_drop);
                }
                Kind::Truncate => {
                    let names = s.targets.iter().map(|t| format!("`{}`", t.display())).collect::<Vec<_>>().join(", ");
                    e.emit(&m.path, Some(s.head_span), format!("`TRUNCATE` deletes every row of {names}"), help_drop);
                }
                Kind::AlterTable => {
                    let table = s.targets.first().map(|t| t.display()).unwrap_or_default();
                    for (col, span) in &s.dropped_columns {
                        e.emit(
                            &m.path,
                            Some(*span),
                            format!("`DROP COLUMN` deletes the column `{col}` of `{table}` and its data"),
                            help_drop,
                        );
                    }
                }
                Kind::Delete | Kind::Update if s.has_where == Some(false) => {
                    let verb = if s.kind == Kind::Delete { "DELETE" } else { "UPDATE" };
                    let table = s.targets.first().map(|t| format!(" `{}`", t.display())).unwrap_or_default();
                    let does = if s.kind == Kind::Delete { "deletes every row of" } else { "changes every row of" };
                    e.emit(
                        &m.path,
                        Some(s.head_span),
                        format!("`{verb}` without `WHERE` {does}{table}"),
                        format!("add the `WHERE` that selects the rows to {}, or `-- trm-ci: ignore=migrations/destructive <why>` above it if every row is meant", verb.to_ascii_lowercase()),
                    );
                }
                _ => {}
            }
        }
    }
}
