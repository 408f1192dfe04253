//! What the replicas checks observe (the replicas, kill-leader and stale-replica scenarios).
//! Each variant's words are in src/render/check_words/replicas.rs.

use serde::{Deserialize, Serialize};

use super::BootFailure;

/// Which start of the replicas a check is about: the first, on an empty database; the restart of
/// them all; or, in kill-leader, what the database holds after the lock holder was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Cold,
    Warm,
    AfterTheKill,
}

/// The two containers of stale-replica: the image with the older snapshot, and the image as built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaleRole {
    Older,
    Head,
}

/// Which of the database's counts could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Query {
    /// The users who can sign in as an administrator.
    Admins,
    /// `trm_db_init.ledger`.
    Ledger,
    /// `trm_db_init.install`.
    Install,
}

/// What a `SELECT count(*)` answered: the count, or psql's or the engine's words when it gave
/// no number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Count {
    Rows(u64),
    Unread(String),
}

impl Count {
    /// The count in `answer` (psql's trimmed output), or the answer itself.
    pub fn read(answer: String) -> Count {
        answer.parse().map(Count::Rows).unwrap_or(Count::Unread(answer))
    }
}

/// What psql answered when it did not answer what a check expected: its exit code and output,
/// or the error of the engine running it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PsqlAnswer {
    Exited { code: i64, output: String },
    Error(String),
}

impl From<Result<(i64, String), String>> for PsqlAnswer {
    fn from(r: Result<(i64, String), String>) -> PsqlAnswer {
        match r {
            Ok((code, output)) => PsqlAnswer::Exited { code, output },
            Err(e) => PsqlAnswer::Error(e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReplicaFact {
    // replicas (and, through the database checks, kill-leader)
    /// `replicas` containers of `image` created, to start at once on one empty database.
    ReplicasStarted { replicas: u32, image: String },
    /// A replica became healthy; what its schema step printed (`[schema] applied: …`, `no
    /// changes` or `kept newer`; None when it printed none), and whether it waited for the lock.
    ReplicaHealthy { phase: Phase, replica: u32, seconds: f64, schema_line: Option<String>, waited_for_lock: bool },
    /// A replica's boot failed (kill-leader's replicas have no phase).
    ReplicaBootFailed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phase: Option<Phase>,
        replica: u32,
        failure: BootFailure,
    },
    /// A replica answered pong, its HEALTHCHECK never passed.
    ReplicaPongUnhealthy { phase: Phase, replica: u32 },
    /// How many replicas printed `[schema] applied`, and how many should have (cold 1, warm 0).
    SnapshotAppliedBy { phase: Phase, replicas: u32, expected: u32 },
    /// How many of the `of` replicas printed `[db-init] 0 applied, <files> skipped`.
    DbInitSkippedBy { phase: Phase, replicas: u32, of: u32, files: u32 },
    /// How many users can sign in as an administrator.
    SignInAdmins { phase: Phase, admins: u64 },
    /// How many users `directus_users` holds (reported only when not the one admin).
    DirectusUsers { phase: Phase, users: u64 },
    /// `trm_db_init.ledger`'s rows and distinct files, against the db-init and db-post files.
    LedgerRows { phase: Phase, rows: u64, distinct: u64, files: u64 },
    /// How many installs `trm_db_init.install` records.
    InstallsRecorded { phase: Phase, installs: u64 },
    /// A count could not be read: psql's output or the engine's error.
    DatabaseUnread { phase: Phase, query: Query, error: String },
    /// A replica serves the snapshot's collections, `collections` of them.
    ReplicaServesSnapshot { phase: Phase, replica: u32, collections: u32 },
    /// A replica serves other collections than the snapshot's `snapshot`.
    ReplicaServesOther { phase: Phase, replica: u32, collections: Vec<String>, snapshot: u32 },
    /// A replica's collections could not be read.
    ReplicaCollectionsUnread { phase: Phase, replica: u32, error: String },

    // kill-leader
    /// No replica printed `[schema] bootstrap: installing …` within the boot timeout.
    NoLeader { seconds: u64 },
    /// The leader's bootstrap did not commit `directus_migrations` within `seconds`.
    LeaderNeverCommitted { seconds: u64 },
    /// The lock holder was killed `seconds` after the start, with no user yet.
    LeaderKilled { replica: u32, seconds: f64, migrations: Count },
    /// The lock holder was killed after users existed: the scenario proves nothing.
    LeaderKilledTooLate { replica: u32, seconds: f64, users: Count },
    /// A replica that waited became healthy with one admin; whether it printed that it completed
    /// the interrupted install.
    FollowerHealthy { replica: u32, seconds: f64, completed_install: bool },
    /// A replica that waited became healthy, but not exactly one user can sign in as an admin.
    FollowerHealthyWithoutAdmin { replica: u32, admins: Count },
    /// A replica that waited exited non-zero with its `[schema] ERROR` line.
    FollowerFailedLoudly { replica: u32, exit_code: i64, line: String },
    /// A replica that waited exited non-zero without a `[schema] ERROR` line.
    FollowerExitedSilently { replica: u32, exit_code: i64 },
    /// No replica serves: each failed loudly.
    NoFollowerServes,

    // stale-replica
    /// The older replica is `image` with the snapshot without `collection.field`, revision
    /// `older`; the head is the image as built, revision `head`.
    StaleSetup { image: String, collection: String, field: String, older: String, head: String },
    /// The older snapshot's upload could not be made.
    SnapshotUploadUnmade { error: String },
    /// The engine refused the older snapshot's upload.
    SnapshotUploadFailed { error: String },
    /// A container did not reach its start step: the error, and its own `ERROR` line if any.
    StartStepMissed { role: StaleRole, error: String, error_line: Option<String> },
    /// The older replica's first boot: its `[schema]` result line (None: it printed none).
    OlderSchemaLine { schema_line: Option<String> },
    /// The head applied the one field the older snapshot lacks.
    HeadAppliedField { schema_line: String, collection: String, field: String },
    /// The head's `[schema]` line says something else than `applied: 1 field created`.
    HeadAppliedOther { schema_line: Option<String>, collection: String, field: String },
    /// After the head's boot the field is not a column.
    ColumnMissingAfterHead { collection: String, field: String, answer: PsqlAnswer },
    /// The restarted older replica printed `[schema] kept newer` naming both revisions, and
    /// became healthy.
    OlderKeptNewer { line: String, seconds: f64 },
    /// The `kept newer` line does not name both revisions.
    KeptNewerUnnamed { line: String, older: String, head: String },
    /// The restarted older replica was healthy without a `[schema] kept newer` line.
    OlderWithoutKeptNewer,
    /// The restarted older replica refused to start (its `[schema] ERROR … refusing to start`).
    OlderRefused { line: String },
    /// The restarted older replica's boot failed otherwise.
    OlderBootFailed { failure: BootFailure },
    /// The restarted older replica printed a plan or applied its snapshot.
    OlderPlannedOrApplied { line: String },
    /// The field is still a column after the older replica's boot.
    ColumnKept { collection: String, field: String },
    /// The field is no column after the older replica's boot.
    ColumnGone { collection: String, field: String, answer: PsqlAnswer },
    /// The last `trm_db_init.schema_history` row is the head's.
    HeadSchemaInForce { row: String },
    /// The last `trm_db_init.schema_history` row is not the head's.
    HistoryNotHead { answer: PsqlAnswer },
    /// `GET /fields/<collection>/<field>` answers through the older replica.
    OlderServesField { collection: String, field: String },
    /// It does not: Directus's or the client's error.
    OlderMissesField { collection: String, field: String, error: String },
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<ReplicaFact> {
    use ReplicaFact::*;
    let (c, f) = ("orders".to_string(), "note".to_string());
    vec![
        ReplicasStarted { replicas: 3, image: "trm:dev".into() },
        ReplicaHealthy { phase: Phase::Cold, replica: 1, seconds: 12.34, schema_line: Some("[schema] no changes".into()), waited_for_lock: true },
        ReplicaBootFailed { phase: Some(Phase::Warm), replica: 2, failure: BootFailure::Exited { code: 1, after: 2.5, cause: None } },
        ReplicaPongUnhealthy { phase: Phase::Warm, replica: 3 },
        SnapshotAppliedBy { phase: Phase::Cold, replicas: 1, expected: 1 },
        DbInitSkippedBy { phase: Phase::Warm, replicas: 2, of: 3, files: 3 },
        SignInAdmins { phase: Phase::AfterTheKill, admins: 1 },
        DirectusUsers { phase: Phase::Cold, users: 2 },
        LedgerRows { phase: Phase::Cold, rows: 4, distinct: 4, files: 4 },
        InstallsRecorded { phase: Phase::Cold, installs: 1 },
        DatabaseUnread { phase: Phase::Cold, query: Query::Ledger, error: "relation does not exist".into() },
        ReplicaServesSnapshot { phase: Phase::Cold, replica: 1, collections: 12 },
        ReplicaServesOther { phase: Phase::Cold, replica: 1, collections: vec![c.clone()], snapshot: 12 },
        ReplicaCollectionsUnread { phase: Phase::Warm, replica: 2, error: "HTTP 503".into() },
        NoLeader { seconds: 300 },
        LeaderNeverCommitted { seconds: 60 },
        LeaderKilled { replica: 2, seconds: 3.25, migrations: Count::Rows(41) },
        LeaderKilledTooLate { replica: 2, seconds: 9.5, users: Count::Unread("ERROR: no such table".into()) },
        FollowerHealthy { replica: 1, seconds: 20.0, completed_install: true },
        FollowerHealthyWithoutAdmin { replica: 3, admins: Count::Rows(0) },
        FollowerFailedLoudly { replica: 3, exit_code: 1, line: "[schema] ERROR: interrupted install".into() },
        FollowerExitedSilently { replica: 3, exit_code: 137 },
        NoFollowerServes,
        StaleSetup { image: "trm:dev".into(), collection: c.clone(), field: f.clone(), older: "smoke-older".into(), head: "smoke-head".into() },
        SnapshotUploadUnmade { error: "tar: too long".into() },
        SnapshotUploadFailed { error: "No such container: x".into() },
        StartStepMissed { role: StaleRole::Head, error: "exited 1".into(), error_line: Some("[schema] ERROR: x".into()) },
        OlderSchemaLine { schema_line: None },
        HeadAppliedField { schema_line: "[schema] applied: 1 field created".into(), collection: c.clone(), field: f.clone() },
        HeadAppliedOther { schema_line: Some("[schema] no changes".into()), collection: c.clone(), field: f.clone() },
        ColumnMissingAfterHead { collection: c.clone(), field: f.clone(), answer: PsqlAnswer::Exited { code: 0, output: "0".into() } },
        OlderKeptNewer { line: "[schema] kept newer".into(), seconds: 8.0 },
        KeptNewerUnnamed { line: "[schema] kept newer".into(), older: "smoke-older".into(), head: "smoke-head".into() },
        OlderWithoutKeptNewer,
        OlderRefused { line: "[schema] ERROR: refusing to start".into() },
        OlderBootFailed { failure: BootFailure::Timeout { seconds: 240, healthy: false, pong: true, last_probe: None } },
        OlderPlannedOrApplied { line: "[schema] plan: 1 field deleted".into() },
        ColumnKept { collection: c.clone(), field: f.clone() },
        ColumnGone { collection: c.clone(), field: f.clone(), answer: PsqlAnswer::Error("No such container: pg".into()) },
        HeadSchemaInForce { row: "smoke-head applied".into() },
        HistoryNotHead { answer: PsqlAnswer::Exited { code: 0, output: "smoke-older applied".into() } },
        OlderServesField { collection: c.clone(), field: f.clone() },
        OlderMissesField { collection: c, field: f, error: "HTTP 403".into() },
    ]
}
