//! What the drill reads from a boot's log: the migrations db-init applied, the schema step's
//! plan in its own words, how the base image's boot on the upgraded database ended, and what
//! the schema step's snapshot-history guard did there.

use crate::docker::stack::{self, Boot};
use crate::results::{Rollback, RollbackOutcome, SchemaGuard};

/// The `[db-init] applying <file>` lines, in order.
pub fn applied_migrations(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("[db-init] applying ")? + 19..];
            let name = rest.split_whitespace().next()?;
            Some(name.rsplit('/').next().unwrap_or(name).to_string())
        })
        .collect()
}

/// The schema step's own words: its plan, the planned changes, and how it ended.
pub fn schema_plan(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("[schema] ")? + 9..];
            let keep = rest.starts_with("plan:")
                || rest.starts_with("  - ")
                || rest.starts_with("applied:")
                || rest.starts_with("no changes")
                || rest.starts_with("WARNING:")
                || rest.starts_with("ERROR:");
            keep.then(|| crate::source::excerpt(rest.trim_end(), stack::LOG_LINE_CHARS))
        })
        .map(|l| if l.starts_with("- ") { format!("  {l}") } else { l })
        .collect()
}

/// The most of the guard's reason kept (the schema step's lines are at most 2,000 characters).
const GUARD_REASON_CHARS: usize = 1_000;

/// What the schema step's snapshot-history guard did, from its `[schema]` lines
/// (scripts/schema-apply.mjs): `ERROR: … is older than the schema applied last …` or `ERROR: the
/// database was migrated by a newer Directus …` (refused), `kept newer: …` (started on the newer
/// schema), `WARNING: … TRM_ALLOW_SCHEMA_ROLLBACK=1 …` (overridden); a step that went on to
/// bootstrap or plan passed the guard (allowed); no such line: the boot ended before the step.
pub fn schema_guard(lines: &[String]) -> SchemaGuard {
    // Whole: the guard's sentence names both revisions and the Directus migrations last.
    let words = |rest: &str| crate::source::excerpt(rest.trim(), GUARD_REASON_CHARS);
    let mut passed = false;
    for l in lines {
        let Some(i) = l.find("[schema] ") else { continue };
        let rest = &l[i + 9..];
        if let Some(why) = rest.strip_prefix("ERROR: ") {
            if why.contains("is older than the schema applied last") || why.contains("migrated by a newer Directus") {
                return SchemaGuard::Refused { reason: words(why) };
            }
        } else if let Some(why) = rest.strip_prefix("kept newer: ") {
            return SchemaGuard::KeptNewer { reason: words(why) };
        } else if let Some(why) = rest.strip_prefix("WARNING: ").filter(|w| w.contains("TRM_ALLOW_SCHEMA_ROLLBACK=1")) {
            return SchemaGuard::Overridden { reason: words(why) };
        }
        passed |= ["bootstrap:", "install:", "plan:", "no changes", "applied:"].iter().any(|p| rest.starts_with(p));
    }
    if passed {
        SchemaGuard::Allowed
    } else {
        SchemaGuard::NotReached
    }
}

/// What the base image did on the upgraded database, and what the guard did there.
pub fn rollback_outcome(b: &Boot) -> Rollback {
    let lines = b.logs.snapshot();
    let guard = Some(schema_guard(&lines));
    if b.failure.is_none() {
        return Rollback { outcome: RollbackOutcome::Healthy, detail: None, guard, failure: None };
    }
    let err = lines.iter().rev().find(|l| l.contains("] ERROR") && !l.contains("[entrypoint]"));
    match err {
        Some(l) if b.exit_code.is_some() => {
            let l = l.trim();
            let detail = match l.find("the snapshot would delete ") {
                Some(i) => {
                    let rest = &l[i + "the snapshot ".len()..];
                    rest.split("; refusing").next().unwrap_or(rest).to_string()
                }
                None => crate::source::excerpt(l, stack::LOG_LINE_CHARS),
            };
            Rollback { outcome: RollbackOutcome::Refused, detail: Some(detail), guard, failure: None }
        }
        _ => Rollback { outcome: RollbackOutcome::Failed, detail: None, guard, failure: b.failure.clone() },
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn applied_files_and_the_schema_plan_come_from_the_log() {
        let log = lines(&[
            "[entrypoint] step 1/4: db-init (SQL migrations in /directus/db-init)",
            "[db-init] applying 0004_budget.sql",
            "[db-init] applying 0005_index.sql",
            "[db-init] 2 applied, 3 skipped",
            "[schema] bootstrap: Directus is installed; running pending Directus migrations",
            "[schema] plan: 1 field to create, 1 field to delete",
            "[schema]   - Delete field projects.budget",
            "[schema] ERROR: the snapshot would delete field projects.budget; refusing (data would be lost). If that is intended, boot once with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1",
        ]);
        assert_eq!(applied_migrations(&log), ["0004_budget.sql", "0005_index.sql"]);
        let plan = schema_plan(&log);
        assert_eq!(plan[0], "plan: 1 field to create, 1 field to delete");
        assert_eq!(plan[1], "  - Delete field projects.budget");
        assert!(plan[2].starts_with("ERROR: the snapshot would delete field projects.budget"), "{plan:?}");
        assert_eq!(plan.len(), 3);
    }

    #[test]
    fn the_guard_verdict_comes_from_the_schema_lines() {
        let g = |v: &[&str]| schema_guard(&lines(v));
        assert_eq!(
            g(&[
                "[db-init] 0 applied, 3 skipped",
                "[schema] ERROR: this image's snapshot (revision a, Directus 11.17.4, 1a2b, applied 2026-12-06) is older than the schema applied last (revision b, Directus 12.4.1), and the database was migrated by a newer Directus than this image's 11.17.4 (Directus migrations 20260217A unknown here): refusing to start. Deploy revision b (or newer) again",
            ]),
            SchemaGuard::Refused {
                reason: "this image's snapshot (revision a, Directus 11.17.4, 1a2b, applied 2026-12-06) is older than the schema applied last (revision b, Directus 12.4.1), and the database was migrated by a newer Directus than this image's 11.17.4 (Directus migrations 20260217A unknown here): refusing to start. Deploy revision b (or newer) again".into()
            }
        );
        assert!(matches!(
            g(&["[schema] ERROR: the database was migrated by a newer Directus than this image's 11.17.4 (…): refusing to start Directus 11.17.4 on it"]),
            SchemaGuard::Refused { .. }
        ));
        assert_eq!(
            g(&["[schema] bootstrap: Directus is installed; running pending Directus migrations", "[schema] kept newer: this image's snapshot is older; not applying it"]),
            SchemaGuard::KeptNewer { reason: "this image's snapshot is older; not applying it".into() }
        );
        assert!(matches!(g(&["[schema] WARNING: x is older; applying it anyway (TRM_ALLOW_SCHEMA_ROLLBACK=1: a deliberate rollback)"]), SchemaGuard::Overridden { .. }));
        // Another WARNING is not the guard's.
        assert_eq!(g(&["[schema] WARNING: deleting field a.b (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1)", "[schema] plan: 1 field to delete"]), SchemaGuard::Allowed);
        // A refusal of the plan is not the guard's either: it let the snapshot through.
        assert_eq!(g(&["[schema] plan: 1 field to delete", "[schema] ERROR: the snapshot would delete field a.b; refusing"]), SchemaGuard::Allowed);
        assert_eq!(g(&["[schema] no changes"]), SchemaGuard::Allowed);
        assert_eq!(g(&["[db-init] ERROR: 0004_a.sql: applied to this database (ledger) but missing from /directus/db-init"]), SchemaGuard::NotReached);
    }

    #[test]
    fn a_refused_rollback_says_what_it_would_delete() {
        let logs = crate::docker::stack::Logs::default();
        let b = Boot { failure: Some(crate::results::fact::BootFailure::Exited { code: 1, after: 1.0, cause: None }), exit_code: Some(1), logs, ..Default::default() };
        // No ERROR line: a failure, not a refusal.
        assert_eq!(rollback_outcome(&b).outcome, RollbackOutcome::Failed);
        let ok = Boot::default();
        assert_eq!(rollback_outcome(&ok).outcome, RollbackOutcome::Healthy);
    }
}
