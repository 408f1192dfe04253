//! The words of [`DrillFact`] (src/results/fact/drill.rs).

use crate::results::fact::drill::{DockerStop, FieldGap, RowCounts, SeedGap, TableLoss};
use crate::results::fact::DrillFact;
use crate::render::upgrade_drill::{dropped_word, rollback_detail};
use crate::results::DroppedColumn;

pub fn words(f: &DrillFact) -> String {
    match f {
        DrillFact::BaseImageCached { image, tree } => format!("{image}: cached (built earlier from the same tree {tree})"),
        DrillFact::BaseImageBuilt { image, label, seconds } => format!("built {image} from {label}'s tree in {seconds:.1} s"),
        DrillFact::BaseImageBuildFailed { label, step, error } => {
            let step = step.as_ref().map(|s| format!(" at step {}: {}", s.number, s.instruction)).unwrap_or_default();
            format!("building {label}'s image failed{step}: {error}")
        }
        DrillFact::BaseBootHealthy { label } => format!("{label}'s image on an empty database: healthy, GET /server/ping answers pong"),
        DrillFact::BaseBootFailed { label, failure } => format!("{label}'s image on an empty database: {}", super::boot_failure(failure)),
        DrillFact::DirectusVersionUnread { error } => format!("the Directus version: {error}"),
        DrillFact::Seeded { rows, collections, seconds } => {
            let per: Vec<String> = collections.iter().map(|c| format!("{} {}", c.collection, c.rows)).collect();
            format!("{rows} rows in {} collections through the REST API in {seconds:.1} s ({})", collections.len(), per.join(", "))
        }
        DrillFact::SeedLeftOut { skipped } => {
            let why: Vec<String> = skipped
                .iter()
                .map(|k| format!("{}{}: {}", k.collection, k.field.as_deref().map(|f| format!(".{f}")).unwrap_or_default(), seed_gap(&k.reason)))
                .collect();
            format!("left out of the seeding: {}", why.join("; "))
        }
        DrillFact::SeedNoPort => "seeding through the REST API: the base container publishes no port".into(),
        DrillFact::SeedLoginFailed { error } => format!("seeding through the REST API: logging in as the admin: {error}"),
        DrillFact::SeedFailed { error } => format!("seeding through the REST API: {error}"),
        DrillFact::Fingerprinted { rows, tables, columns } => {
            format!("{rows} rows in {tables} tables; a checksum per row over the {columns} columns both snapshots define")
        }
        DrillFact::BaseStopped { stop } => stop_words(stop),
        DrillFact::HeadBootHealthy { label } => format!("the head's image on {label}'s database: healthy, GET /server/ping answers pong"),
        DrillFact::HeadBootFailed { label, failure } => format!("the head's image on {label}'s database: {}", super::boot_failure(failure)),
        DrillFact::MigrationsAsExpected { applied, summary } => format!(
            "db-init applied exactly the head's new files: [{}]{}",
            applied.join(", "),
            summary.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
        ),
        DrillFact::MigrationsUnexpected { applied, expected } => {
            format!("db-init applied [{}], the head's new files are [{}]", applied.join(", "), expected.join(", "))
        }
        DrillFact::SchemaPlan { lines } => format!("the schema step: {}", lines.join(" | ")),
        DrillFact::DirectusMigrationsUnread { error } => format!("Directus's migrations (directus_migrations): {error}"),
        DrillFact::RereadFailed { error } => format!("reading the rows again: {error}"),
        DrillFact::RowsPreserved { rows } => format!("all {rows} rows preserved with their values in the shared columns"),
        DrillFact::RowsLost { rows, tables } => rows_lost(rows, tables),
        DrillFact::RowsDroppedAllowed { rows, tables } => format!("{} (dropped with --allow-destructive)", rows_lost(rows, tables)),
        DrillFact::Dropped { dropped } => dropped_words(dropped),
        DrillFact::DroppedAllowed { dropped } => format!("{} (--allow-destructive)", dropped_words(dropped)),
        DrillFact::HeadStopped { stop } => format!("the head: {}", stop_words(stop)),
        DrillFact::RollbackBooted { label, rollback } => format!(
            "{label}'s image on the upgraded database: {}{}",
            rollback.outcome.as_str(),
            rollback_detail(rollback).map(|d| format!(": {d}")).unwrap_or_default()
        ),
        DrillFact::RollbackSkipped => "skipped: the head's image did not come up".into(),
    }
}

/// Why the seed planner left a collection or a field out, as it said it.
pub fn seed_gap(g: &SeedGap) -> String {
    match g {
        SeedGap::LeftEmpty { cause } => format!("left empty: {}", field_gap(cause)),
        SeedGap::RequiredField { field, cause } => format!("its required field `{field}` {}", field_gap(cause)),
        SeedGap::NoPrimaryKey => "no field of it is the primary key in the snapshot".into(),
        SeedGap::UniqueTooFew { distinct, wanted } => {
            format!("unique, and its type holds only {distinct} distinct values: {distinct} rows instead of {wanted}")
        }
        SeedGap::UniqueHoldsNone => "a unique field can hold no value".into(),
        SeedGap::RequiredCycle { collections } => {
            format!("its required references form a cycle (`{}`): no order can insert them", collections.join("`, `"))
        }
    }
}

/// Why the drill cannot write a field (after the field's name: "points at …", "has type …").
fn field_gap(g: &FieldGap) -> String {
    match g {
        FieldGap::SystemCollection { related } => format!("points at the system collection `{related}`, which the drill does not seed"),
        FieldGap::NotATable { related } => format!("points at `{related}`, which is not a table collection of the snapshot"),
        FieldGap::NotSeeded { related } => format!("points at `{}`, which is not seeded", related.join("`, `")),
        FieldGap::NoAllowedSeeded => "none of its allowed collections is seeded".into(),
        FieldGap::M2aWithoutTables => "is a many-to-any field without allowed table collections".into(),
        FieldGap::Binary => "has type binary, which the REST API does not write".into(),
        FieldGap::UnmodelledColumn { data_type } => format!("has a column type Directus does not model (`{data_type}`)"),
        FieldGap::UnknownType { field_type } => format!("has type `{field_type}`, which the drill does not know"),
    }
}

fn stop_words(s: &DockerStop) -> String {
    let exited = |exit_code: &i64, seconds: &f64, bye: &bool| {
        format!("docker stop: exited {exit_code} after {seconds:.1} s{}", if *bye { ", Directus logged \"Bye bye!\"" } else { "" })
    };
    match s {
        DockerStop::Exited { exit_code, seconds, shutdown_line_seen } => exited(exit_code, seconds, shutdown_line_seen),
        DockerStop::Killed { exit_code, seconds, shutdown_line_seen } => {
            format!("{}: killed, not stopped (SIGKILL after the timeout)", exited(exit_code, seconds, shutdown_line_seen))
        }
        DockerStop::Error { error } => error.clone(),
    }
}

fn rows_lost(r: &RowCounts, tables: &[TableLoss]) -> String {
    format!("{} of {} rows preserved, {} with changed values, {} lost{}", r.preserved, r.before, r.changed, r.lost, lost_where(tables))
}

fn lost_where(tables: &[TableLoss]) -> String {
    let v: Vec<String> = tables
        .iter()
        .filter(|t| t.lost > 0 || t.changed > 0)
        .map(|t| {
            let mut parts = Vec::new();
            if t.lost > 0 {
                parts.push(format!("{} lost", t.lost));
            }
            if t.changed > 0 {
                parts.push(format!("{} changed", t.changed));
            }
            format!("{} {}", t.collection, parts.join(", "))
        })
        .collect();
    if v.is_empty() {
        String::new()
    } else {
        format!(" ({})", v.join("; "))
    }
}

fn dropped_words(dropped: &[DroppedColumn]) -> String {
    let w: Vec<String> = dropped.iter().map(dropped_word).collect();
    format!("dropped: {}", w.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fact::drill::{BuildStepAt, CollectionRows, SeedSkip};
    use crate::results::fact::BootFailure;
    use crate::results::RollbackOutcome;

    /// The words the drill wrote before its checks stored facts, byte for byte.
    #[test]
    fn the_words_are_the_drills_old_words() {
        let label = || "main".to_string();
        let rollback = |outcome, detail: Option<&str>, failure| crate::results::Rollback {
            outcome,
            detail: detail.map(str::to_string),
            guard: None,
            failure,
        };
        let cases: Vec<(DrillFact, &str)> = vec![
            (
                DrillFact::BaseImageCached { image: "trm-directus:base-5a1c9e0f3b2d".into(), tree: "5a1c9e0f3b2d7788".into() },
                "trm-directus:base-5a1c9e0f3b2d: cached (built earlier from the same tree 5a1c9e0f3b2d7788)",
            ),
            (
                DrillFact::BaseImageBuilt { image: "trm-directus:base-5a1c9e0f3b2d".into(), label: label(), seconds: 41.26 },
                "built trm-directus:base-5a1c9e0f3b2d from main's tree in 41.3 s",
            ),
            (
                DrillFact::BaseImageBuildFailed {
                    label: label(),
                    step: Some(BuildStepAt { number: 4, instruction: "RUN npm ci".into() }),
                    error: "exit code: 1".into(),
                },
                "building main's image failed at step 4: RUN npm ci: exit code: 1",
            ),
            (DrillFact::BaseImageBuildFailed { label: label(), step: None, error: "no FROM".into() }, "building main's image failed: no FROM"),
            (DrillFact::BaseBootHealthy { label: label() }, "main's image on an empty database: healthy, GET /server/ping answers pong"),
            (
                DrillFact::BaseBootFailed { label: label(), failure: BootFailure::Timeout { seconds: 240, healthy: false, pong: false, last_probe: None } },
                "main's image on an empty database: not healthy within 240 s (healthy: false, pong: false)",
            ),
            (
                DrillFact::HeadBootHealthy { label: label() },
                "the head's image on main's database: healthy, GET /server/ping answers pong",
            ),
            (
                DrillFact::HeadBootFailed {
                    label: label(),
                    failure: BootFailure::Exited {
                        code: 1,
                        after: 5.04,
                        cause: Some("[db-init] ERROR: 0004_x.sql failed: column \"sku_v2\" of relation \"products\" contains null values".into()),
                    },
                },
                "the head's image on main's database: the container exited with code 1 after 5.0 s before it became healthy: \
                 [db-init] ERROR: 0004_x.sql failed: column \"sku_v2\" of relation \"products\" contains null values",
            ),
            (
                DrillFact::Seeded {
                    rows: 60,
                    collections: vec![
                        CollectionRows { collection: "projects".into(), rows: 30 },
                        CollectionRows { collection: "tasks".into(), rows: 30 },
                    ],
                    seconds: 2.04,
                },
                "60 rows in 2 collections through the REST API in 2.0 s (projects 30, tasks 30)",
            ),
            (
                DrillFact::SeedLeftOut {
                    skipped: vec![
                        SeedSkip {
                            collection: "tags".into(),
                            field: Some("code".into()),
                            reason: SeedGap::LeftEmpty { cause: FieldGap::NotSeeded { related: vec!["x".into()] } },
                        },
                        SeedSkip { collection: "x".into(), field: None, reason: SeedGap::UniqueHoldsNone },
                    ],
                },
                "left out of the seeding: tags.code: left empty: points at `x`, which is not seeded; x: a unique field can hold no value",
            ),
            (DrillFact::SeedNoPort, "seeding through the REST API: the base container publishes no port"),
            (
                DrillFact::Fingerprinted { rows: 62, tables: 2, columns: 9 },
                "62 rows in 2 tables; a checksum per row over the 9 columns both snapshots define",
            ),
            (
                DrillFact::BaseStopped { stop: DockerStop::Exited { exit_code: 0, seconds: 0.44, shutdown_line_seen: true } },
                "docker stop: exited 0 after 0.4 s, Directus logged \"Bye bye!\"",
            ),
            (
                DrillFact::BaseStopped { stop: DockerStop::Killed { exit_code: 137, seconds: 10.2, shutdown_line_seen: false } },
                "docker stop: exited 137 after 10.2 s: killed, not stopped (SIGKILL after the timeout)",
            ),
            (
                DrillFact::MigrationsAsExpected {
                    applied: vec!["003_a.sql".into(), "004_b.sql".into()],
                    summary: Some("[db-init] 2 applied, 2 skipped".into()),
                },
                "db-init applied exactly the head's new files: [003_a.sql, 004_b.sql] ([db-init] 2 applied, 2 skipped)",
            ),
            (DrillFact::MigrationsAsExpected { applied: vec![], summary: None }, "db-init applied exactly the head's new files: []"),
            (
                DrillFact::MigrationsUnexpected { applied: vec!["003_a.sql".into()], expected: vec!["003_a.sql".into(), "004_b.sql".into()] },
                "db-init applied [003_a.sql], the head's new files are [003_a.sql, 004_b.sql]",
            ),
            (
                DrillFact::SchemaPlan { lines: vec!["plan: 1 change".into(), "  - create field projects.x".into(), "applied: 1 change".into()] },
                "the schema step: plan: 1 change |   - create field projects.x | applied: 1 change",
            ),
            (DrillFact::RowsPreserved { rows: 62 }, "all 62 rows preserved with their values in the shared columns"),
            (
                DrillFact::RowsLost {
                    rows: RowCounts { before: 62, preserved: 29, changed: 3, lost: 30 },
                    tables: vec![
                        TableLoss { collection: "projects".into(), lost: 0, changed: 3 },
                        TableLoss { collection: "tasks".into(), lost: 30, changed: 0 },
                        TableLoss { collection: "tags".into(), lost: 0, changed: 0 },
                    ],
                },
                "29 of 62 rows preserved, 3 with changed values, 30 lost (projects 3 changed; tasks 30 lost)",
            ),
            (
                DrillFact::RowsDroppedAllowed { rows: RowCounts { before: 62, preserved: 32, changed: 0, lost: 30 }, tables: vec![] },
                "32 of 62 rows preserved, 0 with changed values, 30 lost (dropped with --allow-destructive)",
            ),
            (
                DrillFact::Dropped {
                    dropped: vec![
                        DroppedColumn { collection: "projects".into(), field: Some("budget".into()), values: 30 },
                        DroppedColumn { collection: "tasks".into(), field: None, values: 30 },
                    ],
                },
                "dropped: column projects.budget (30 values), table tasks (30 rows)",
            ),
            (
                DrillFact::DroppedAllowed { dropped: vec![DroppedColumn { collection: "tasks".into(), field: None, values: 30 }] },
                "dropped: table tasks (30 rows) (--allow-destructive)",
            ),
            (
                DrillFact::HeadStopped { stop: DockerStop::Exited { exit_code: 143, seconds: 1.0, shutdown_line_seen: false } },
                "the head: docker stop: exited 143 after 1.0 s",
            ),
            (
                DrillFact::RollbackBooted { label: label(), rollback: rollback(RollbackOutcome::Refused, Some("would delete field projects.budget"), None) },
                "main's image on the upgraded database: refused: would delete field projects.budget",
            ),
            (
                DrillFact::RollbackBooted { label: label(), rollback: rollback(RollbackOutcome::Healthy, None, None) },
                "main's image on the upgraded database: healthy",
            ),
            (
                DrillFact::RollbackBooted {
                    label: label(),
                    rollback: rollback(RollbackOutcome::Failed, None, Some(BootFailure::Exited { code: 1, after: 3.0, cause: None })),
                },
                "main's image on the upgraded database: failed: the container exited with code 1 after 3.0 s before it became healthy",
            ),
            (DrillFact::RollbackSkipped, "skipped: the head's image did not come up"),
        ];
        for (f, old) in cases {
            assert_eq!(words(&f), old, "{f:?}");
        }
    }

    /// The seed planner's reasons, one of each, in the words it wrote when they were sentences.
    #[test]
    fn the_seed_gaps_are_the_planners_old_words() {
        for (skip, old) in crate::results::fact::drill::seed_gaps() {
            assert_eq!(seed_gap(&skip.reason), old, "{skip:?}");
        }
        let (owner, _) = crate::results::fact::drill::seed_gaps().remove(2);
        let (cycle, _) = crate::results::fact::drill::seed_gaps().pop().unwrap();
        assert_eq!(
            words(&DrillFact::SeedLeftOut { skipped: vec![owner, cycle] }),
            "left out of the seeding: tags.owner: left empty: points at `x`, which is not seeded; \
             tags: its required references form a cycle (`a`, `b`): no order can insert them"
        );
    }
}
