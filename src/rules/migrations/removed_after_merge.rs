//! `migrations/removed-after-merge`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/removed-after-merge`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/removed-after-merge",
    severity: Severity::Error,
    summary: "a migration that is on the base was removed or renamed",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
Compares with the base: reports a migration that is on the base but is gone
now, or was renamed (same bytes under another name). Severity: error.

## Why is this bad?
Databases that applied it keep its effects while fresh databases never get
them; the db-init runner refuses to boot when an applied file is missing. A
rename looks to the runner like a removal plus a new, unapplied migration
that runs a second time.

## Example
Base has `db-init/0003_tags.sql`; the branch renames it to `db-init/0003_add_tags.sql`.

## Use instead
Restore the file under its old name. To undo what it did, add a new
migration that reverses it.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for m in base.all_migrations().filter(|m| m.is_sql) {
        if ctx.head.files.get(&m.path).is_some() {
            continue;
        }
        let Some(base_file) = base.files.get(&m.path) else { continue };
        let renamed = ctx
            .head
            .all_migrations()
            .filter(|h| base.files.get(&h.path).is_none())
            .find(|h| ctx.head.files.get(&h.path).is_some_and(|f| f.bytes == base_file.bytes));
        match renamed {
            Some(h) => e.emit(
                &m.path,
                None,
                format!("`{}` is on the base and was renamed to `{}`", m.file_name, h.file_name),
                format!("rename `{}` back to `{}`: applied migrations keep their names", h.file_name, m.file_name),
            ),
            None => e.emit(
                &m.path,
                None,
                format!("`{}` is on the base and was removed", m.file_name),
                "restore it; to undo what it did, add a new migration that reverses it",
            ),
        }
    }
}
