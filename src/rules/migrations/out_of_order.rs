//! `migrations/out-of-order`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/out-of-order`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/out-of-order",
    severity: Severity::Error,
    summary: "a migration added since the base is numbered at or below one already on the base",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
Compares with the base: reports a migration added since the base whose
number is not above every number already on the base in the same directory
(`db-init/` and `db-post/` each on their own). Severity: error.

## Why is this bad?
Databases that already applied the base's migrations will apply the new one
after them, while a fresh database applies it before them: two databases,
two different histories. Typical after a rebase: `0004_x.sql` was written
when main stopped at 0003, and main has since merged its own 0004 and 0005.

## Example
Base has `0001`…`0005`; the branch adds `db-init/0004_add_tags.sql`.

## Use instead
Renumber it above the base: `db-init/0006_add_tags.sql`.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for set in ctx.head.migration_sets() {
        out_of_order_in(&set, &same_set(base, set.step), e);
    }
}

fn out_of_order_in(set: &MigrationSet, base: &MigrationSet, e: &mut Emitter) {
    let base_paths: HashMap<&str, ()> = base.files.iter().map(|m| (m.path.as_str(), ())).collect();
    let Some((base_max, base_max_file)) =
        base.files.iter().filter(|m| m.is_sql).filter_map(|m| m.version.map(|v| (v, m.file_name.as_str()))).max()
    else {
        return;
    };
    for m in set_sql(set) {
        let Some(v) = m.version else { continue };
        if base_paths.contains_key(m.path.as_str()) || v > base_max {
            continue;
        }
        e.emit(
            &m.path,
            None,
            format!("`{}` is new since the base, but the base already has `{base_max_file}`", m.file_name),
            format!("renumber it above the base's migrations, e.g. to {:04}", base_max + 1),
        );
    }
}
