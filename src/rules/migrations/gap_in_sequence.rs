//! `migrations/gap-in-sequence`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/gap-in-sequence`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/gap-in-sequence",
    severity: Severity::Warning,
    summary: "migration numbers are not contiguous from 0001",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports migration numbers that are not contiguous from 0001: a number
skipped, or a sequence that starts elsewhere. Each directory (`db-init/`,
`db-post/`) starts at 0001 on its own. Severity: warning (the runner
applies them anyway, in name order).

## Why is this bad?
A gap is usually a migration lost in a merge or a rebase, or a number
reserved by a branch that is still open: both deserve a look before the
gap becomes history.

## Example
```text
db-init/0001_init.sql
db-init/0002_users.sql
db-init/0004_orders.sql
```

## Use instead
```text
db-init/0001_init.sql
db-init/0002_users.sql
db-init/0003_orders.sql
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        gap_in_sequence_in(&set, e);
    }
}

fn gap_in_sequence_in(set: &MigrationSet, e: &mut Emitter) {
    let mut files: Vec<(&Migration, u64)> = set_sql(set).filter_map(|m| m.version.map(|v| (m, v))).collect();
    files.sort_by_key(|(m, v)| (*v, m.file_name.clone()));
    let mut expected = 1u64;
    for (m, v) in files {
        if v == 0 {
            e.emit(&m.path, None, format!("`{}` is numbered 0; the sequence starts at 0001", m.file_name), "renumber it (0001 is the first migration)");
            continue;
        }
        if v > expected {
            let missing = if v - expected == 1 {
                format!("{expected:04} is missing")
            } else {
                format!("{expected:04} to {:04} are missing", v - 1)
            };
            let message = if expected == 1 {
                format!("the migrations start at `{}`: {missing}", m.file_name)
            } else {
                format!("`{}` follows {:04}: {missing}", m.file_name, expected - 1)
            };
            e.emit(&m.path, None, message, "renumber the migrations that are not merged yet so the numbers are contiguous, or restore the missing file");
        }
        expected = expected.max(v + 1);
    }
}
