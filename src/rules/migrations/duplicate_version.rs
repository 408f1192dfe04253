//! `migrations/duplicate-version`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/duplicate-version`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/duplicate-version",
    severity: Severity::Error,
    summary: "two migrations share a version number",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports two or more migrations with the same number (`0004_a.sql` and
`0004_b.sql`) in the same directory. `db-init/` and `db-post/` are
numbered on their own: `db-init/0001_x.sql` and `db-post/0001_y.sql` do not
clash (the runner records db-post files as `db-post/<file>`).
Severity: error.

## Why is this bad?
Two branches each added "the next" migration. Which runs first depends on
the rest of the name, not on intent, and the next number is ambiguous for
everyone after.

## Example
```text
db-init/0004_add_orders.sql
db-init/0004_add_invoices.sql
```

## Use instead
Renumber the one that is not on the main branch yet:
```text
db-init/0004_add_orders.sql
db-init/0005_add_invoices.sql
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        duplicate_version_in(&set, e);
    }
}

fn duplicate_version_in(set: &MigrationSet, e: &mut Emitter) {
    let mut by_version: BTreeMap<u64, Vec<&Migration>> = BTreeMap::new();
    for m in set_sql(set) {
        if let Some(v) = m.version {
            by_version.entry(v).or_default().push(m);
        }
    }
    let next = by_version.keys().next_back().map(|v| v + 1).unwrap_or(1);
    for files in by_version.values().filter(|f| f.len() > 1) {
        let first = files[0];
        for m in &files[1..] {
            e.emit(
                &m.path,
                None,
                format!(
                    "version {} is used by both `{}` and `{}`",
                    m.version_text.as_deref().unwrap_or("?"),
                    first.file_name,
                    m.file_name
                ),
                format!("renumber the one that is not merged yet, e.g. to {next:04}"),
            );
        }
    }
}
