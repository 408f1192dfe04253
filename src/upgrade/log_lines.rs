//! What the drill reads from a boot's log: the migrations db-init applied, the schema step's
//! plan in its own words, and how the base image's boot on the upgraded database ended.

use crate::docker::stack::{self, Boot};
use crate::results::{Rollback, RollbackOutcome};

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

/// What the base image did on the upgraded database.
pub fn rollback_outcome(b: &Boot) -> Rollback {
    if b.failure.is_none() {
        return Rollback { outcome: RollbackOutcome::Healthy, detail: None };
    }
    let lines = b.logs.snapshot();
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
            Rollback { outcome: RollbackOutcome::Refused, detail: Some(detail) }
        }
        _ => Rollback { outcome: RollbackOutcome::Failed, detail: b.failure.clone() },
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
    fn a_refused_rollback_says_what_it_would_delete() {
        let logs = crate::docker::stack::Logs::default();
        let b = Boot { failure: Some("exited 1".into()), exit_code: Some(1), logs, ..Default::default() };
        // No ERROR line: a failure, not a refusal.
        assert_eq!(rollback_outcome(&b).outcome, RollbackOutcome::Failed);
        let ok = Boot::default();
        assert_eq!(rollback_outcome(&ok).outcome, RollbackOutcome::Healthy);
    }
}
