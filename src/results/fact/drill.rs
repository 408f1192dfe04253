//! What the drill checks observe. Each variant's words are in src/render/check_words/drill.rs.
//! `label` is how the drill names REF (`--upgrade-from`, e.g. `main`).

use serde::{Deserialize, Serialize};

use super::BootFailure;
use crate::results::{DroppedColumn, Rollback};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DrillFact {
    /// `build-base`: REF's image was on the engine already, built earlier from the same tree.
    BaseImageCached { image: String, tree: String },
    /// `build-base`: REF's image built from its exported tree.
    BaseImageBuilt { image: String, label: String, seconds: f64 },
    /// `build-base`: the build of REF's image failed, at the last step it began (if any); the
    /// error in the builder's words.
    BaseImageBuildFailed { label: String, step: Option<BuildStepAt>, error: String },
    /// REF's image on the empty database (`boot-base`) came up healthy and answered pong.
    BaseBootHealthy { label: String },
    /// REF's image on the empty database did not come up.
    BaseBootFailed { label: String, failure: BootFailure },
    /// The Directus version of an image could not be read from its container.
    DirectusVersionUnread { error: String },
    /// `seed`: rows created through the REST API, per collection in the plan's order.
    Seeded { rows: usize, collections: Vec<CollectionRows>, seconds: f64 },
    /// `seed`: what the seed plan left out (collections, or fields left empty), with the
    /// planner's reasons.
    SeedLeftOut { skipped: Vec<SeedSkip> },
    /// `seed`: the base container publishes no port to reach the REST API on.
    SeedNoPort,
    /// `seed`: logging in as the admin failed.
    SeedLoginFailed { error: String },
    /// `seed`: creating the rows failed.
    SeedFailed { error: String },
    /// `fingerprint`: the base's rows, tables and the columns compared.
    Fingerprinted { rows: usize, tables: usize, columns: usize },
    /// `stop-base`: what `docker stop` of the base's container did.
    BaseStopped { stop: DockerStop },
    /// The head's image on REF's database (`boot-head`) came up healthy and answered pong.
    HeadBootHealthy { label: String },
    /// The head's image on REF's database did not come up.
    HeadBootFailed { label: String, failure: BootFailure },
    /// db-init applied exactly the head's new files; `summary` is its `[db-init] … applied, …`
    /// line (trimmed) when it printed one.
    MigrationsAsExpected { applied: Vec<String>, summary: Option<String> },
    /// db-init applied other files than the head's new ones.
    MigrationsUnexpected { applied: Vec<String>, expected: Vec<String> },
    /// The schema step's plan, its own lines.
    SchemaPlan { lines: Vec<String> },
    /// Directus's migrations (`directus_migrations`) could not be read.
    DirectusMigrationsUnread { error: String },
    /// `verify`: the rows could not be read again.
    RereadFailed { error: String },
    /// `verify`: every row still there, with its values in the shared columns.
    RowsPreserved { rows: usize },
    /// `verify`: rows lost or changed (`tables`: where).
    RowsLost { rows: RowCounts, tables: Vec<TableLoss> },
    /// `verify`: rows lost only with the tables the drill was allowed to drop
    /// (--allow-destructive).
    RowsDroppedAllowed { rows: RowCounts, tables: Vec<TableLoss> },
    /// `verify`: columns or tables the upgraded database no longer has.
    Dropped { dropped: Vec<DroppedColumn> },
    /// `verify`: the same, dropped with --allow-destructive.
    DroppedAllowed { dropped: Vec<DroppedColumn> },
    /// `rollback`: what `docker stop` of the head's container did before it.
    HeadStopped { stop: DockerStop },
    /// `rollback`: how REF's image did on the upgraded database (the drill's `rollback`: its
    /// outcome, the container's reason or the boot failure, the guard).
    RollbackBooted { label: String, rollback: Rollback },
    /// `rollback`: not tried, the head's image did not come up.
    RollbackSkipped,
}

/// The build step a failed build was at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildStepAt {
    pub number: usize,
    pub instruction: String,
}

/// Rows seeded in one collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionRows {
    pub collection: String,
    pub rows: usize,
}

/// A collection (or, with `field`, a field of it) the seeding left out, and the seed planner's
/// reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSkip {
    pub collection: String,
    pub field: Option<String>,
    pub reason: SeedGap,
}

/// Why the seed planner left a collection (or a field) out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum SeedGap {
    /// The field stays null (it is optional or has a default): the drill cannot write it, for `cause`.
    LeftEmpty { cause: FieldGap },
    /// The collection is not seeded: its required field `field` cannot be written, for `cause`.
    RequiredField { field: String, cause: FieldGap },
    /// The collection is not seeded: no field of it is the primary key in the snapshot.
    NoPrimaryKey,
    /// The unique field's type holds only `distinct` values: the collection gets that many rows instead of `wanted`.
    UniqueTooFew { distinct: usize, wanted: usize },
    /// The collection is not seeded: a unique field of it can hold no value.
    UniqueHoldsNone,
    /// The collection is not seeded: the required references of `collections` (this one among them) form a cycle.
    RequiredCycle { collections: Vec<String> },
}

/// Why the drill cannot write a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum FieldGap {
    /// It points at `related`, a system collection (`directus_*`) the drill does not seed.
    SystemCollection { related: String },
    /// It points at `related`, which is not a table collection of the snapshot.
    NotATable { related: String },
    /// It points at `related` (a many-to-any field: its allowed collections), none of them seeded.
    NotSeeded { related: Vec<String> },
    /// A many-to-any field none of whose allowed collections is seeded.
    NoAllowedSeeded,
    /// A many-to-any field without allowed table collections.
    M2aWithoutTables,
    /// Its type is binary, which the REST API does not write.
    Binary,
    /// Its column's type (`data_type`) is one Directus does not model (type `unknown`).
    UnmodelledColumn { data_type: String },
    /// Its Directus type `field_type` is one the drill does not know.
    UnknownType { field_type: String },
}

/// What `docker stop` (graceful: SIGTERM, then SIGKILL after the engine's default timeout) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum DockerStop {
    /// The container exited by itself.
    Exited { exit_code: i64, seconds: f64, shutdown_line_seen: bool },
    /// The engine had to SIGKILL it at the timeout.
    Killed { exit_code: i64, seconds: f64, shutdown_line_seen: bool },
    /// The stop failed: the engine's (or the stack's) error.
    Error { error: String },
}

impl DockerStop {
    /// Whether the container did not stop by itself.
    pub fn failed(&self) -> bool {
        !matches!(self, DockerStop::Exited { .. })
    }
}

/// All the rows of the base's tables, before and after the head's boot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowCounts {
    pub before: usize,
    pub preserved: usize,
    pub changed: usize,
    pub lost: usize,
}

/// One table's lost and changed rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableLoss {
    pub collection: String,
    pub lost: usize,
    pub changed: usize,
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<DrillFact> {
    let label = || "main".to_string();
    let rows = RowCounts { before: 480, preserved: 470, changed: 2, lost: 8 };
    let tables = vec![TableLoss { collection: "projects".into(), lost: 8, changed: 2 }];
    let dropped = vec![
        DroppedColumn { collection: "projects".into(), field: Some("budget".into()), values: 40 },
        DroppedColumn { collection: "old".into(), field: None, values: 40 },
    ];
    let exited = DockerStop::Exited { exit_code: 0, seconds: 0.4, shutdown_line_seen: true };
    vec![
        DrillFact::BaseImageCached { image: "trm-directus:base-0123456789ab".into(), tree: "0123456789abcdef".into() },
        DrillFact::BaseImageBuilt { image: "trm-directus:base-0123456789ab".into(), label: label(), seconds: 12.3 },
        DrillFact::BaseImageBuildFailed {
            label: label(),
            step: Some(BuildStepAt { number: 3, instruction: "RUN false".into() }),
            error: "exit code 1".into(),
        },
        DrillFact::BaseBootHealthy { label: label() },
        DrillFact::BaseBootFailed { label: label(), failure: BootFailure::Timeout { seconds: 240, healthy: false, pong: true, last_probe: None } },
        DrillFact::DirectusVersionUnread { error: "x: /directus/package.json: no \"version\"".into() },
        DrillFact::Seeded { rows: 60, collections: vec![CollectionRows { collection: "projects".into(), rows: 30 }], seconds: 1.25 },
        DrillFact::SeedLeftOut { skipped: seed_gaps().into_iter().map(|(s, _)| s).collect() },
        DrillFact::SeedNoPort,
        DrillFact::SeedLoginFailed { error: "401".into() },
        DrillFact::SeedFailed { error: "POST /items/projects: 400".into() },
        DrillFact::Fingerprinted { rows: 480, tables: 4, columns: 17 },
        DrillFact::BaseStopped { stop: exited.clone() },
        DrillFact::HeadBootHealthy { label: label() },
        DrillFact::HeadBootFailed {
            label: label(),
            failure: BootFailure::Exited { code: 1, after: 6.5, cause: Some("[schema] ERROR: boom".into()) },
        },
        DrillFact::MigrationsAsExpected { applied: vec!["002_x.sql".into()], summary: Some("[db-init] 1 applied, 1 skipped".into()) },
        DrillFact::MigrationsUnexpected { applied: vec![], expected: vec!["002_x.sql".into()] },
        DrillFact::SchemaPlan { lines: vec!["plan: 1 change".into(), "  - create field projects.x".into()] },
        DrillFact::DirectusMigrationsUnread { error: "psql exited 2: no".into() },
        DrillFact::RereadFailed { error: "psql exited 2: no".into() },
        DrillFact::RowsPreserved { rows: 480 },
        DrillFact::RowsLost { rows: rows.clone(), tables: tables.clone() },
        DrillFact::RowsDroppedAllowed { rows, tables },
        DrillFact::Dropped { dropped: dropped.clone() },
        DrillFact::DroppedAllowed { dropped },
        DrillFact::HeadStopped { stop: DockerStop::Killed { exit_code: 137, seconds: 10.1, shutdown_line_seen: false } },
        DrillFact::HeadStopped { stop: DockerStop::Error { error: "docker stop x: gone".into() } },
        DrillFact::RollbackBooted {
            label: label(),
            rollback: Rollback {
                outcome: crate::results::RollbackOutcome::Refused,
                detail: Some("would delete field projects.budget".into()),
                guard: None,
                failure: None,
            },
        },
        DrillFact::RollbackSkipped,
    ]
}

/// One skip of every seed gap and field gap, with the words the planner wrote for it before
/// its reasons were data (byte for byte).
#[cfg(test)]
pub(crate) fn seed_gaps() -> Vec<(SeedSkip, &'static str)> {
    let skip = |field: Option<&str>, reason: SeedGap| SeedSkip { collection: "tags".into(), field: field.map(str::to_string), reason };
    let empty = |cause: FieldGap| skip(Some("owner"), SeedGap::LeftEmpty { cause });
    let related = || "directus_users".to_string();
    vec![
        (empty(FieldGap::SystemCollection { related: related() }), "left empty: points at the system collection `directus_users`, which the drill does not seed"),
        (empty(FieldGap::NotATable { related: "folder".into() }), "left empty: points at `folder`, which is not a table collection of the snapshot"),
        (empty(FieldGap::NotSeeded { related: vec!["x".into()] }), "left empty: points at `x`, which is not seeded"),
        (empty(FieldGap::NotSeeded { related: vec!["a".into(), "b".into()] }), "left empty: points at `a`, `b`, which is not seeded"),
        (empty(FieldGap::NoAllowedSeeded), "left empty: none of its allowed collections is seeded"),
        (empty(FieldGap::M2aWithoutTables), "left empty: is a many-to-any field without allowed table collections"),
        (empty(FieldGap::Binary), "left empty: has type binary, which the REST API does not write"),
        (empty(FieldGap::UnmodelledColumn { data_type: "tsvector".into() }), "left empty: has a column type Directus does not model (`tsvector`)"),
        (empty(FieldGap::UnknownType { field_type: "vector".into() }), "left empty: has type `vector`, which the drill does not know"),
        (
            skip(None, SeedGap::RequiredField { field: "owner".into(), cause: FieldGap::SystemCollection { related: related() } }),
            "its required field `owner` points at the system collection `directus_users`, which the drill does not seed",
        ),
        (
            skip(None, SeedGap::RequiredField { field: "b".into(), cause: FieldGap::NotSeeded { related: vec!["b".into()] } }),
            "its required field `b` points at `b`, which is not seeded",
        ),
        (skip(None, SeedGap::NoPrimaryKey), "no field of it is the primary key in the snapshot"),
        (
            skip(Some("flag"), SeedGap::UniqueTooFew { distinct: 2, wanted: 30 }),
            "unique, and its type holds only 2 distinct values: 2 rows instead of 30",
        ),
        (skip(None, SeedGap::UniqueHoldsNone), "a unique field can hold no value"),
        (
            skip(None, SeedGap::RequiredCycle { collections: vec!["a".into(), "b".into()] }),
            "its required references form a cycle (`a`, `b`): no order can insert them",
        ),
    ]
}
