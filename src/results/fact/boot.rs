//! What the boot checks observe (the smoke's cold, warm, stop, crash and fault scenarios). Each
//! variant's words are in src/render/check_words/boot.rs.

use serde::{Deserialize, Serialize};

use super::BootFailure;

/// A step of the image's entrypoint, as its log lines name it (`[db-init] …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    DbInit,
    Schema,
    DbPost,
}

impl Step {
    /// The step's name in the container's log lines and the entrypoint's step markers.
    pub fn name(self) -> &'static str {
        match self {
            Step::DbInit => "db-init",
            Step::Schema => "schema",
            Step::DbPost => "db-post",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BootFact {
    /// The boot that followed a `docker stop` did not end healthy and answering pong (the boot
    /// a scenario is about fails as `CommonFact::BootFailed`).
    BootAfterStopFailed { failure: BootFailure },
    /// Why a HEALTHCHECK may never pass in cold: the container has these proxy variables set to
    /// a proxy nothing listens on.
    DeadProxyHint { proxy_vars: Vec<String>, proxy: String },
    /// Healthy although the proxy variables point at a dead proxy.
    HealthyBehindDeadProxy { proxy_vars: Vec<String>, proxy: String },
    /// A SQL step (db-init, db-post) applied every file of its directory: its count line.
    SqlAppliedAll { step: Step, line: String, files: u32, dir: String },
    /// A SQL step skipped every file (all applied before): its count line.
    SqlSkippedAll { step: Step, line: String },
    /// A SQL step's count line says other counts than these expected ones.
    SqlCountsUnexpected { step: Step, expected_applied: u32, expected_skipped: u32, line: String },
    /// A SQL step printed no count line (these were expected).
    SqlCountsMissing { step: Step, expected_applied: u32, expected_skipped: u32 },
    /// The schema step's `[schema] applied: …` line.
    SchemaApplied { line: String },
    /// No `[schema] applied` line on an empty database.
    SchemaNotApplied,
    /// The schema step's `[schema] no changes` line.
    SchemaUnchanged { line: String },
    /// On a warm database, the schema step printed this (`applied` or `ERROR`) instead of no changes.
    SchemaChangedWhenWarm { line: String },
    /// No `[schema] no changes` line, nor any other schema outcome.
    SchemaUnchangedMissing,
    /// GET /server/ping from the host on this port answered pong, and the HEALTHCHECK passed.
    PongAndHealthy { port: u16 },
    /// The warm restart became healthy and answered pong.
    Restarted,
    /// The boot after a stop became healthy and answered pong.
    StartedAgain,
    /// GET /admin/login served the admin app's HTML.
    AdminServed,
    /// GET /admin/login answered this status without the app's HTML.
    AdminNotServed { status: u16 },
    /// GET /admin/login failed.
    AdminUnreachable { error: String },
    /// Directus reports exactly the snapshot's collections.
    CollectionsMatch { collections: Vec<String> },
    /// Directus reports other collections than the snapshot's.
    CollectionsDiffer { reported: Vec<String>, snapshot: Vec<String> },
    /// Reading the collections from Directus failed.
    CollectionsUnread { error: String },
    /// warm did not run: cold did not succeed.
    SkippedNoColdBoot,
    /// crash did not run: no healthy container was left by the boot before it.
    SkippedNoHealthyContainer,
    /// stop did not run: no healthy container was left by warm.
    SkippedNothingToStop,
    /// `docker stop` ended the container in time, by itself (status 0 or 143).
    Stopped { seconds: f64, status: i64 },
    /// `docker stop` ended it by itself, but later than the limit.
    StopSlow { seconds: f64, status: i64, limit_s: f64 },
    /// `docker stop` ended in the engine's SIGKILL (status 137).
    StopKilled { seconds: f64 },
    /// `docker stop` ended it with another status.
    StopStatus { status: i64, seconds: f64 },
    /// Directus logged its own shutdown line during the stop.
    ShutdownLogged { line: String },
    /// Directus did not log its shutdown line during the stop.
    ShutdownNotLogged { line: String },
    /// Looking for the Directus process in the container exited non-zero.
    DirectusPidUnread { exit_code: i64, output: String },
    /// Not exactly one Directus process in the container: the pids found.
    DirectusProcesses { pids: Vec<String> },
    /// The Directus process's pid, and PID 1's command line when it could be read.
    DirectusPid { pid: String, pid1: Option<String> },
    /// `kill -KILL` of the Directus process exited non-zero.
    KillFailed { pid: String, exit_code: i64, output: String },
    /// After Directus (pid) was killed, the container ended with this status, this many seconds later.
    CrashExit { pid: String, status: i64, seconds: f64 },
    /// The container still ran this many seconds after its Directus process was killed.
    CrashStillRunning { pid: String, waited_s: u64 },
    /// The db-init fault's upload (the repo's db-init files plus the slow one) could not be made.
    SlowCopyNotMade { error: String },
    /// Uploading that copy into the container failed.
    SlowCopyNotUploaded { error: String },
    /// Postgres was killed while db-init ran this (slow) file.
    KilledInMigration { file: String },
    /// The slow file was never seen running within this many seconds after the step's marker line.
    SlowMigrationNotSeen { file: String, waited_s: u64, after: String },
    /// Postgres was killed on this log line of the step.
    KilledOnLine { line: String },
    /// After Postgres was killed, the container exited with this status, this many seconds later.
    FaultExit { status: i64, seconds: f64 },
    /// The container still ran this many seconds after Postgres was killed during the step.
    FaultStillRunning { step: Step, waited_s: u64 },
    /// The container's last log lines name the step: its `[step] ERROR` line (an excerpt).
    StepNamed { line: String },
    /// None of the container's last `lines` log lines is the step's `[step] ERROR` line.
    StepNotNamed { step: Step, lines: u32 },
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<BootFact> {
    use BootFact::*;
    let proxy_vars = vec!["http_proxy".to_string(), "HTTP_PROXY".to_string()];
    let proxy = "http://127.0.0.1:9".to_string();
    vec![
        BootAfterStopFailed { failure: BootFailure::Timeout { seconds: 180, healthy: false, pong: true, last_probe: None } },
        DeadProxyHint { proxy_vars: proxy_vars.clone(), proxy: proxy.clone() },
        HealthyBehindDeadProxy { proxy_vars, proxy },
        SqlAppliedAll { step: Step::DbInit, line: "[db-init] 3 applied, 0 skipped".into(), files: 3, dir: "db-init".into() },
        SqlSkippedAll { step: Step::DbPost, line: "[db-post] 0 applied, 1 skipped".into() },
        SqlCountsUnexpected { step: Step::DbInit, expected_applied: 0, expected_skipped: 3, line: "[db-init] 1 applied, 2 skipped".into() },
        SqlCountsMissing { step: Step::DbPost, expected_applied: 1, expected_skipped: 0 },
        SchemaApplied { line: "[schema] applied: 12 collections created".into() },
        SchemaNotApplied,
        SchemaUnchanged { line: "[schema] no changes".into() },
        SchemaChangedWhenWarm { line: "[schema] applied: 1 field created".into() },
        SchemaUnchangedMissing,
        PongAndHealthy { port: 32768 },
        Restarted,
        StartedAgain,
        AdminServed,
        AdminNotServed { status: 404 },
        AdminUnreachable { error: "connection refused".into() },
        CollectionsMatch { collections: vec!["a".into(), "b".into()] },
        CollectionsDiffer { reported: vec!["a".into(), "c".into()], snapshot: vec!["a".into(), "b".into()] },
        CollectionsUnread { error: "as ADMIN_EMAIL: 401".into() },
        SkippedNoColdBoot,
        SkippedNoHealthyContainer,
        SkippedNothingToStop,
        Stopped { seconds: 0.2, status: 143 },
        StopSlow { seconds: 12.3, status: 0, limit_s: 10.0 },
        StopKilled { seconds: 10.4 },
        StopStatus { status: 1, seconds: 0.5 },
        ShutdownLogged { line: "Directus shut down OK. Bye bye!".into() },
        ShutdownNotLogged { line: "Directus shut down OK. Bye bye!".into() },
        DirectusPidUnread { exit_code: 1, output: "sh: not found".into() },
        DirectusProcesses { pids: vec!["7".into(), "8".into()] },
        DirectusPid { pid: "7".into(), pid1: Some("/sbin/tini -- /directus/entrypoint.sh".into()) },
        KillFailed { pid: "7".into(), exit_code: 1, output: "kill: No such process".into() },
        CrashExit { pid: "7".into(), status: 137, seconds: 0.3 },
        CrashStillRunning { pid: "7".into(), waited_s: 30 },
        SlowCopyNotMade { error: "disk full".into() },
        SlowCopyNotUploaded { error: "No such container: x".into() },
        KilledInMigration { file: "9999_trm_smoke_slow.sql".into() },
        SlowMigrationNotSeen { file: "9999_trm_smoke_slow.sql".into(), waited_s: 60, after: "[entrypoint] step 1/4: db-init".into() },
        KilledOnLine { line: "[schema] bootstrap: installing the Directus system tables".into() },
        FaultExit { status: 1, seconds: 0.2 },
        FaultStillRunning { step: Step::Schema, waited_s: 60 },
        StepNamed { line: "[schema] ERROR: lost the connection to the database".into() },
        StepNotNamed { step: Step::DbInit, lines: 10 },
    ]
}
