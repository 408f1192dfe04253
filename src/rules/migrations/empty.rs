//! `migrations/empty`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/empty`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/empty",
    severity: Severity::Warning,
    summary: "a migration contains no SQL statement",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a `.sql` migration that contains no SQL statement: empty, only
whitespace, comments or psql meta-commands. Severity: warning.

## Why is this bad?
It burns a version number and is recorded as applied, while doing nothing:
usually a file saved before its content, or content lost in a merge.

## Example
```sql
-- 0006: add the tags table
```

## Use instead
```sql
-- 0006: add the tags table
CREATE TABLE app.tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        if !m.readable || !m.errors.is_empty() || m.has_sql() {
            continue;
        }
        let only_meta = !m.statements.is_empty();
        e.emit(
            &m.path,
            None,
            if only_meta {
                format!("`{}` has only psql meta-commands, no SQL statement", m.file_name)
            } else {
                format!("`{}` contains no SQL statement", m.file_name)
            },
            "add the statements it was meant to contain, or delete the file if it is not merged yet",
        );
    }
}
