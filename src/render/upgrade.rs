//! The human text of the upgrade drill (part of `--format human`): what `trm-ci smoke
//! --upgrade-from REF` prints once its step lines are done.

use std::fmt::Write as _;

use crate::results::Upgrade;

/// The verdict and summary line, each step's time, the migrations, the schema step's plan, the
/// rows per table, what was dropped, the rollback; on failure the failing step and its last log
/// lines.
pub fn render(u: &Upgrade) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\nUPGRADE DRILL {}: {}", if u.ok { "PASSED" } else { "FAILED" }, u.summary);
    let rev = u.from_revision.as_deref().map(|r| format!(" ({})", &r[..7.min(r.len())])).unwrap_or_default();
    let _ = writeln!(
        o,
        "  from        {}{rev}: {}{}",
        u.from,
        u.from_image.as_deref().unwrap_or("?"),
        if u.base_image_cached { " (cached)" } else { "" }
    );
    let _ = writeln!(o, "  to          {}", u.to_image.as_deref().unwrap_or("?"));
    let steps: Vec<String> =
        u.steps.iter().map(|s| format!("{} {:.1} s{}", s.name, s.seconds, if s.ok { "" } else { " FAILED" })).collect();
    let _ = writeln!(o, "  steps       {}", steps.join(", "));
    let _ = writeln!(
        o,
        "  migrations  applied [{}]; the head's new files [{}]",
        u.migrations_applied.join(", "),
        u.migrations_expected.join(", ")
    );
    if !u.schema_changes.is_empty() {
        let _ = writeln!(o, "  snapshot    {}", u.schema_changes.join(", "));
    }
    if !u.schema_plan.is_empty() {
        let _ = writeln!(o, "  schema step (in its words):");
        for l in &u.schema_plan {
            let _ = writeln!(o, "    {l}");
        }
    }
    if let Some(r) = &u.rows {
        let _ = writeln!(
            o,
            "  rows        {} seeded ({} per collection); {} before the head's boot: {} preserved, {} changed, {} lost",
            r.seeded, u.seed_rows, r.before, r.preserved, r.changed, r.lost
        );
    }
    for t in u.tables.iter().filter(|t| t.lost > 0 || t.changed > 0 || t.after.is_none()) {
        let after = t.after.map(|a| a.to_string()).unwrap_or_else(|| "table gone".into());
        let _ = writeln!(o, "    {:<24} {} -> {after}: {} preserved, {} changed, {} lost", t.collection, t.before, t.preserved, t.changed, t.lost);
    }
    for d in &u.columns_dropped {
        let _ = match &d.field {
            Some(f) => writeln!(o, "  dropped     column {}.{f} ({} non-null values)", d.collection, d.values),
            None => writeln!(o, "  dropped     table {} ({} rows)", d.collection, d.values),
        };
    }
    if let Some(rb) = &u.rollback {
        let _ = writeln!(o, "  rollback    {}{}", rb.outcome, rb.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default());
    }
    if let Some(failed) = u.steps.iter().find(|s| !s.ok) {
        let _ = writeln!(o, "  FAILED at {}: {}", failed.name, failed.failure.as_deref().unwrap_or("?"));
        if !failed.log_tail.is_empty() {
            let _ = writeln!(o, "  last log lines:");
            for l in &failed.log_tail {
                let _ = writeln!(o, "    | {l}");
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{DroppedColumn, Rollback, Scenario, TableRows, UpgradeRows};

    #[test]
    fn a_passed_drill() {
        let u = Upgrade {
            ok: true,
            from: "main".into(),
            from_revision: Some("1a2b3c4d5e".into()),
            from_image: Some("trm-directus:base-abc".into()),
            to_image: Some("trm-directus:dev".into()),
            base_image_cached: true,
            seed_rows: 40,
            steps: vec![
                Scenario { name: "boot-base".into(), ok: true, seconds: 14.0, ..Default::default() },
                Scenario { name: "seed".into(), ok: true, seconds: 2.0, ..Default::default() },
            ],
            migrations_applied: vec!["0004_a.sql".into()],
            migrations_expected: vec!["0004_a.sql".into()],
            schema_changes: vec!["1 field added".into()],
            schema_plan: vec!["plan: 1 field to create".into(), "applied: 1 field created".into()],
            rows: Some(UpgradeRows { seeded: 80, before: 80, preserved: 79, changed: 0, lost: 1 }),
            tables: vec![TableRows { collection: "orders".into(), before: 40, after: Some(39), preserved: 39, lost: 1, ..Default::default() }],
            columns_dropped: vec![DroppedColumn { collection: "orders".into(), field: Some("note".into()), values: 40 }],
            rollback: Some(Rollback { outcome: "refused".into(), detail: Some("would delete field orders.budget".into()) }),
            summary: "upgrade from main: …".into(),
            ..Default::default()
        };
        assert_eq!(
            render(&u),
            "\nUPGRADE DRILL PASSED: upgrade from main: …\n\
             \x20 from        main (1a2b3c4): trm-directus:base-abc (cached)\n\
             \x20 to          trm-directus:dev\n\
             \x20 steps       boot-base 14.0 s, seed 2.0 s\n\
             \x20 migrations  applied [0004_a.sql]; the head's new files [0004_a.sql]\n\
             \x20 snapshot    1 field added\n\
             \x20 schema step (in its words):\n\
             \x20   plan: 1 field to create\n\
             \x20   applied: 1 field created\n\
             \x20 rows        80 seeded (40 per collection); 80 before the head's boot: 79 preserved, 0 changed, 1 lost\n\
             \x20   orders                   40 -> 39: 39 preserved, 0 changed, 1 lost\n\
             \x20 dropped     column orders.note (40 non-null values)\n\
             \x20 rollback    refused: would delete field orders.budget\n"
        );
    }
}
