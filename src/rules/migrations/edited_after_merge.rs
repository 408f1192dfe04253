//! `migrations/edited-after-merge`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/edited-after-merge`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/edited-after-merge",
    severity: Severity::Error,
    summary: "a migration that is on the base was changed",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
Compares with the base: reports a migration whose bytes differ from the
base's version of the same file, at the first line that differs.
Severity: error.

## Why is this bad?
Every database that ran the old version keeps the old schema; only fresh
databases get the new one. The db-init runner records each file's sha256
and refuses to boot when an applied file changed.

## Example
```diff
-CREATE TABLE app.notes (id bigint PRIMARY KEY);
+CREATE TABLE app.notes (id bigint PRIMARY KEY, body text);
```

## Use instead
Revert the change and add a new migration:
```sql
-- db-init/0007_notes_body.sql
ALTER TABLE app.notes ADD COLUMN body text;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for m in all_sql_files(ctx) {
        let (Some(head_file), Some(base_file)) = (ctx.head.files.get(&m.path), base.files.get(&m.path)) else { continue };
        if head_file.bytes == base_file.bytes {
            continue;
        }
        let first_diff = head_file.bytes.iter().zip(&base_file.bytes).position(|(a, b)| a != b);
        let at = first_diff.unwrap_or(head_file.bytes.len().min(base_file.bytes.len()));
        let span = head_file.text().ok().map(|_| {
            let (line, _) = head_file.line_col(at);
            head_file.line_span(line)
        });
        e.emit(
            &m.path,
            span,
            format!("`{}` is on the base and was changed (first difference on this line)", m.file_name),
            "revert this file to its version on the base and put the change in a new migration",
        );
    }
}
