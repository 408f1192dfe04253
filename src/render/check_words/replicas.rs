//! The words of [`ReplicaFact`] (src/results/fact/replicas.rs).

use crate::results::fact::replicas::{Count, Phase, PsqlAnswer, Query, StaleRole};
use crate::results::fact::ReplicaFact;
use crate::source::excerpt;

use super::boot_failure;

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Cold => "cold",
        Phase::Warm => "warm",
        Phase::AfterTheKill => "after the kill",
    }
}

fn role(r: StaleRole) -> &'static str {
    match r {
        StaleRole::Older => "older replica",
        StaleRole::Head => "head",
    }
}

fn query(q: Query) -> &'static str {
    match q {
        Query::Admins => "counting the admins",
        Query::Ledger => "reading the ledger",
        Query::Install => "reading trm_db_init.install",
    }
}

fn count(c: &Count) -> String {
    match c {
        Count::Rows(n) => n.to_string(),
        Count::Unread(s) => s.clone(),
    }
}

/// psql's answer as the check's debug print of it showed it (`Ok((0, "0"))`, `Err("…")`).
fn answer(a: &PsqlAnswer) -> String {
    match a {
        PsqlAnswer::Exited { code, output } => format!("Ok(({code}, {output:?}))"),
        PsqlAnswer::Error(e) => format!("Err({e:?})"),
    }
}

/// A `[schema]` result line in backticks, or that there was none.
fn schema_line(line: &Option<String>, max: Option<usize>) -> String {
    match (line, max) {
        (Some(l), Some(max)) => format!("`{}`", excerpt(l, max)),
        (Some(l), None) => format!("`{l}`"),
        (None, Some(_)) => "no schema result line".into(),
        (None, None) => "`no `[schema]` result line`".into(),
    }
}

pub fn words(f: &ReplicaFact) -> String {
    use ReplicaFact::*;
    match f {
        ReplicasStarted { replicas, image } => format!("{replicas} containers of {image} started at once on one empty database"),
        ReplicaHealthy { phase: p, replica, seconds, schema_line: line, waited_for_lock } => {
            let result = schema_line(line, Some(80));
            let waited = if *waited_for_lock { " after waiting for the schema lock" } else { "" };
            format!("{}: replica {replica} healthy after {seconds:.1} s, {result}{waited}", phase(*p))
        }
        ReplicaBootFailed { phase: Some(p), replica, failure } => format!("{}: replica {replica}: {}", phase(*p), boot_failure(failure)),
        ReplicaBootFailed { phase: None, replica, failure } => format!("replica {replica}: {}", boot_failure(failure)),
        ReplicaPongUnhealthy { phase: p, replica } => format!("{}: replica {replica} answered pong without a passing HEALTHCHECK", phase(*p)),
        SnapshotAppliedBy { phase: p, replicas: 0, expected: 0 } => format!("{}: no replica applied the snapshot: each found no changes", phase(*p)),
        SnapshotAppliedBy { phase: p, replicas, expected } if replicas == expected => {
            format!("{}: {replicas} replica applied the snapshot (`[schema] applied`), the others found no changes", phase(*p))
        }
        SnapshotAppliedBy { phase: p, replicas, expected } => format!("{}: {replicas} replicas applied the snapshot, expected {expected}", phase(*p)),
        DbInitSkippedBy { phase: p, replicas, of, files } if replicas == of => format!("{}: every replica's db-init skipped all {files} files", phase(*p)),
        DbInitSkippedBy { phase: p, replicas, of, files } => {
            format!("{}: {replicas} of {of} replicas printed `[db-init] 0 applied, {files} skipped`", phase(*p))
        }
        SignInAdmins { phase: p, admins: 1 } => format!("{}: exactly one user can sign in as an administrator", phase(*p)),
        SignInAdmins { phase: p, admins } => format!("{}: {admins} users can sign in as an administrator, expected exactly 1", phase(*p)),
        DirectusUsers { phase: p, users } => format!("{}: {users} users in directus_users, expected the one admin", phase(*p)),
        LedgerRows { phase: p, rows, distinct, files } if rows == distinct && rows == files => {
            format!("{}: the ledger has {rows} rows, one per db-init and db-post file, no duplicate", phase(*p))
        }
        LedgerRows { phase: p, rows, distinct, files } => {
            format!("{}: the ledger has {rows} rows for {distinct} files, expected {files} files once each", phase(*p))
        }
        InstallsRecorded { phase: p, installs: 1 } => format!("{}: one complete install recorded (trm_db_init.install)", phase(*p)),
        InstallsRecorded { phase: p, installs } => format!("{}: {installs} installs recorded in trm_db_init.install, expected 1", phase(*p)),
        DatabaseUnread { phase: p, query: q, error } => format!("{}: {}: {error}", phase(*p), query(*q)),
        ReplicaServesSnapshot { phase: p, replica, collections } => {
            format!("{}: replica {replica} serves the snapshot's {collections} collections", phase(*p))
        }
        ReplicaServesOther { phase: p, replica, collections, snapshot } => format!(
            "{}: replica {replica} serves {} collections ({}), the snapshot has {snapshot}",
            phase(*p),
            collections.len(),
            collections.join(", ")
        ),
        ReplicaCollectionsUnread { phase: p, replica, error } => format!("{}: replica {replica}: reading the collections: {error}", phase(*p)),

        NoLeader { seconds } => format!("no replica printed `[schema] bootstrap: installing …` within {seconds} s"),
        LeaderNeverCommitted { seconds } => {
            format!("the leader's bootstrap never committed the system tables (directus_migrations) within {seconds} s")
        }
        LeaderKilled { replica, seconds, migrations } => format!(
            "replica {replica} held the schema lock and was killed (docker kill) {seconds:.1} s after the start, mid-bootstrap: {} Directus migrations done, 0 users",
            count(migrations)
        ),
        LeaderKilledTooLate { replica, seconds, users } => {
            format!("replica {replica} was killed too late ({seconds:.1} s after the start): the install already had {} users", count(users))
        }
        FollowerHealthy { replica, seconds, completed_install } => format!(
            "replica {replica} healthy after {seconds:.1} s with one admin{}",
            if *completed_install { ": it completed the interrupted install (`[schema] install: … completing it`)" } else { "" }
        ),
        FollowerHealthyWithoutAdmin { replica, admins } => {
            format!("replica {replica} is healthy, but {} users can sign in as an administrator: nobody can sign in", count(admins))
        }
        FollowerFailedLoudly { replica, exit_code, line } => format!("replica {replica} failed loudly (exit {exit_code}): `{}`", excerpt(line, 160)),
        FollowerExitedSilently { replica, exit_code } => format!("replica {replica} exited {exit_code} without a `[schema] ERROR` line saying why"),
        NoFollowerServes => {
            "no replica serves: each failed loudly (a restart policy keeps restarting them; the operator reads the error)".into()
        }

        StaleSetup { image, collection, field, older, head } => format!(
            "the older replica: {image} with the snapshot without {collection}.{field} (TRM_SNAPSHOT_FILE, revision {older}); the head: the image as built (revision {head})"
        ),
        SnapshotUploadUnmade { error } => format!("making the snapshot upload: {error}"),
        SnapshotUploadFailed { error } => format!("uploading the older snapshot: {error}"),
        StartStepMissed { role: r, error, error_line } => match error_line {
            Some(l) => format!("{}: {error}: {l}", role(*r)),
            None => format!("{}: {error}", role(*r)),
        },
        OlderSchemaLine { schema_line: line } => format!("older replica: {}", schema_line(line, None)),
        HeadAppliedField { schema_line, collection, field } => format!("head: `{schema_line}` ({collection}.{field})"),
        HeadAppliedOther { schema_line: line, collection, field } => format!(
            "head: expected `[schema] applied: 1 field created` ({collection}.{field}), the log says {}",
            schema_line(line, None)
        ),
        ColumnMissingAfterHead { collection, field, answer: a } => {
            format!("after the head's boot, {collection}.{field} is not a column: {}", answer(a))
        }
        OlderKeptNewer { line, seconds } => format!("the older replica restarted: `{}`; healthy after {seconds:.1} s", excerpt(line, 200)),
        KeptNewerUnnamed { line, older, head } => format!("the `kept newer` line does not name both revisions ({older}, {head}): `{line}`"),
        OlderWithoutKeptNewer => "the older replica restarted healthy without a `[schema] kept newer` line".into(),
        OlderRefused { line } => format!(
            "the older replica refused to start (`{}`): the README says a replica of the same Directus starts on the newer schema",
            excerpt(line, 160)
        ),
        OlderBootFailed { failure } => format!("the older replica restarted: {}", boot_failure(failure)),
        OlderPlannedOrApplied { line } => format!("the older replica planned or applied its snapshot: `{line}`"),
        ColumnKept { collection, field } => format!("{collection}.{field} is still a column: the schema was not reverted"),
        ColumnGone { collection, field, answer: a } => format!("{collection}.{field} is gone after the older replica's boot: {}", answer(a)),
        HeadSchemaInForce { row } => format!("the schema in force is still the head's (schema_history: `{row}`)"),
        HistoryNotHead { answer: a } => format!("the last schema_history row is not the head's: {}", answer(a)),
        OlderServesField { collection, field } => {
            format!("the older replica serves the newer schema: GET /fields/{collection}/{field} answers")
        }
        OlderMissesField { collection, field, error } => format!("the older replica does not serve {collection}.{field}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fact::replicas::*;
    use crate::results::fact::BootFailure;
    use ReplicaFact::*;

    /// The words each check wrote before it stored a fact (the reference run's, and the old
    /// format!s with values filled in).
    #[test]
    fn the_facts_read_as_the_checks_wrote_them() {
        let kept = "[schema] kept newer: this image's snapshot (revision smoke-older, Directus 11.17.4, sha256 bc93c591fee1, applied 2026-12-06T18:11:04Z) is older than the schema applied last (revision smoke-head, Directus 11.17.4, snapshot sha256 165d96467da5, applied 2026-12-06T18:11:10Z); not applying it";
        let error = "[schema] ERROR: the Directus install on this database was interrupted and its migrations cannot be completed: alter table \"directus_revisions\" drop constraint \"directus_revisions_parent_foreign\"";
        let applied = "[schema] applied: 12 collections created, 81 fields created, 15 relations created";
        let (c, f) = ("warehouses".to_string(), "city".to_string());
        let exited = BootFailure::Exited { code: 1, after: 12.34, cause: Some("[schema] ERROR: x".into()) };
        let cases: Vec<(ReplicaFact, &str)> = vec![
            (ReplicasStarted { replicas: 3, image: "trm-ref:core".into() }, "3 containers of trm-ref:core started at once on one empty database"),
            (
                ReplicaHealthy { phase: Phase::Cold, replica: 1, seconds: 21.44, schema_line: Some(applied.into()), waited_for_lock: false },
                "cold: replica 1 healthy after 21.4 s, `[schema] applied: 12 collections created, 81 fields created, 15 relations create…`",
            ),
            (
                ReplicaHealthy { phase: Phase::Cold, replica: 2, seconds: 22.5, schema_line: Some("[schema] no changes".into()), waited_for_lock: true },
                "cold: replica 2 healthy after 22.5 s, `[schema] no changes` after waiting for the schema lock",
            ),
            (
                ReplicaHealthy { phase: Phase::Warm, replica: 3, seconds: 2.0, schema_line: None, waited_for_lock: false },
                "warm: replica 3 healthy after 2.0 s, no schema result line",
            ),
            (
                ReplicaBootFailed { phase: Some(Phase::Warm), replica: 2, failure: exited.clone() },
                "warm: replica 2: the container exited with code 1 after 12.3 s before it became healthy: [schema] ERROR: x",
            ),
            (
                ReplicaBootFailed { phase: None, replica: 2, failure: exited.clone() },
                "replica 2: the container exited with code 1 after 12.3 s before it became healthy: [schema] ERROR: x",
            ),
            (ReplicaPongUnhealthy { phase: Phase::Cold, replica: 3 }, "cold: replica 3 answered pong without a passing HEALTHCHECK"),
            (
                SnapshotAppliedBy { phase: Phase::Cold, replicas: 1, expected: 1 },
                "cold: 1 replica applied the snapshot (`[schema] applied`), the others found no changes",
            ),
            (SnapshotAppliedBy { phase: Phase::Warm, replicas: 0, expected: 0 }, "warm: no replica applied the snapshot: each found no changes"),
            (SnapshotAppliedBy { phase: Phase::Cold, replicas: 2, expected: 1 }, "cold: 2 replicas applied the snapshot, expected 1"),
            (SnapshotAppliedBy { phase: Phase::Warm, replicas: 1, expected: 0 }, "warm: 1 replicas applied the snapshot, expected 0"),
            (DbInitSkippedBy { phase: Phase::Warm, replicas: 3, of: 3, files: 3 }, "warm: every replica's db-init skipped all 3 files"),
            (DbInitSkippedBy { phase: Phase::Warm, replicas: 2, of: 3, files: 3 }, "warm: 2 of 3 replicas printed `[db-init] 0 applied, 3 skipped`"),
            (SignInAdmins { phase: Phase::AfterTheKill, admins: 1 }, "after the kill: exactly one user can sign in as an administrator"),
            (SignInAdmins { phase: Phase::Cold, admins: 0 }, "cold: 0 users can sign in as an administrator, expected exactly 1"),
            (DirectusUsers { phase: Phase::Cold, users: 2 }, "cold: 2 users in directus_users, expected the one admin"),
            (LedgerRows { phase: Phase::Warm, rows: 4, distinct: 4, files: 4 }, "warm: the ledger has 4 rows, one per db-init and db-post file, no duplicate"),
            (LedgerRows { phase: Phase::Warm, rows: 5, distinct: 4, files: 4 }, "warm: the ledger has 5 rows for 4 files, expected 4 files once each"),
            (InstallsRecorded { phase: Phase::Cold, installs: 1 }, "cold: one complete install recorded (trm_db_init.install)"),
            (InstallsRecorded { phase: Phase::Cold, installs: 2 }, "cold: 2 installs recorded in trm_db_init.install, expected 1"),
            (DatabaseUnread { phase: Phase::Cold, query: Query::Admins, error: "x".into() }, "cold: counting the admins: x"),
            (DatabaseUnread { phase: Phase::Warm, query: Query::Ledger, error: "x".into() }, "warm: reading the ledger: x"),
            (DatabaseUnread { phase: Phase::Warm, query: Query::Install, error: "x".into() }, "warm: reading trm_db_init.install: x"),
            (ReplicaServesSnapshot { phase: Phase::Warm, replica: 3, collections: 12 }, "warm: replica 3 serves the snapshot's 12 collections"),
            (
                ReplicaServesOther { phase: Phase::Cold, replica: 1, collections: vec!["a".into(), "b".into()], snapshot: 12 },
                "cold: replica 1 serves 2 collections (a, b), the snapshot has 12",
            ),
            (ReplicaCollectionsUnread { phase: Phase::Cold, replica: 1, error: "HTTP 503".into() }, "cold: replica 1: reading the collections: HTTP 503"),
            (NoLeader { seconds: 300 }, "no replica printed `[schema] bootstrap: installing …` within 300 s"),
            (LeaderNeverCommitted { seconds: 60 }, "the leader's bootstrap never committed the system tables (directus_migrations) within 60 s"),
            (
                LeaderKilled { replica: 1, seconds: 10.24, migrations: Count::Rows(4) },
                "replica 1 held the schema lock and was killed (docker kill) 10.2 s after the start, mid-bootstrap: 4 Directus migrations done, 0 users",
            ),
            (
                LeaderKilledTooLate { replica: 1, seconds: 30.0, users: Count::Unread("ERROR: x".into()) },
                "replica 1 was killed too late (30.0 s after the start): the install already had ERROR: x users",
            ),
            (
                FollowerHealthy { replica: 2, seconds: 32.2, completed_install: true },
                "replica 2 healthy after 32.2 s with one admin: it completed the interrupted install (`[schema] install: … completing it`)",
            ),
            (FollowerHealthy { replica: 3, seconds: 33.3, completed_install: false }, "replica 3 healthy after 33.3 s with one admin"),
            (
                FollowerHealthyWithoutAdmin { replica: 3, admins: Count::Rows(0) },
                "replica 3 is healthy, but 0 users can sign in as an administrator: nobody can sign in",
            ),
            (
                FollowerFailedLoudly { replica: 2, exit_code: 1, line: error.into() },
                "replica 2 failed loudly (exit 1): `[schema] ERROR: the Directus install on this database was interrupted and its migrations cannot be completed: alter table \"directus_revisions\" drop constraint \"…`",
            ),
            (FollowerExitedSilently { replica: 3, exit_code: 137 }, "replica 3 exited 137 without a `[schema] ERROR` line saying why"),
            (NoFollowerServes, "no replica serves: each failed loudly (a restart policy keeps restarting them; the operator reads the error)"),
            (
                StaleSetup { image: "trm-ref:core".into(), collection: c.clone(), field: f.clone(), older: "smoke-older".into(), head: "smoke-head".into() },
                "the older replica: trm-ref:core with the snapshot without warehouses.city (TRM_SNAPSHOT_FILE, revision smoke-older); the head: the image as built (revision smoke-head)",
            ),
            (SnapshotUploadUnmade { error: "x".into() }, "making the snapshot upload: x"),
            (SnapshotUploadFailed { error: "x".into() }, "uploading the older snapshot: x"),
            (StartStepMissed { role: StaleRole::Older, error: "exited 1".into(), error_line: None }, "older replica: exited 1"),
            (
                StartStepMissed { role: StaleRole::Head, error: "exited 1".into(), error_line: Some("[db-init] ERROR: x".into()) },
                "head: exited 1: [db-init] ERROR: x",
            ),
            (
                OlderSchemaLine { schema_line: Some("[schema] applied: 12 collections created, 80 fields created, 15 relations created".into()) },
                "older replica: `[schema] applied: 12 collections created, 80 fields created, 15 relations created`",
            ),
            (OlderSchemaLine { schema_line: None }, "older replica: `no `[schema]` result line`"),
            (
                HeadAppliedField { schema_line: "[schema] applied: 1 field created".into(), collection: c.clone(), field: f.clone() },
                "head: `[schema] applied: 1 field created` (warehouses.city)",
            ),
            (
                HeadAppliedOther { schema_line: None, collection: c.clone(), field: f.clone() },
                "head: expected `[schema] applied: 1 field created` (warehouses.city), the log says `no `[schema]` result line`",
            ),
            (
                ColumnMissingAfterHead { collection: c.clone(), field: f.clone(), answer: PsqlAnswer::Exited { code: 0, output: "0\n".into() } },
                "after the head's boot, warehouses.city is not a column: Ok((0, \"0\\n\"))",
            ),
            (
                OlderKeptNewer { line: kept.into(), seconds: 8.2 },
                "the older replica restarted: `[schema] kept newer: this image's snapshot (revision smoke-older, Directus 11.17.4, sha256 bc93c591fee1, applied 2026-12-06T18:11:04Z) is older than the schema applied last (revision smoke-head, Direc…`; healthy after 8.2 s",
            ),
            (
                KeptNewerUnnamed { line: "[schema] kept newer".into(), older: "smoke-older".into(), head: "smoke-head".into() },
                "the `kept newer` line does not name both revisions (smoke-older, smoke-head): `[schema] kept newer`",
            ),
            (OlderWithoutKeptNewer, "the older replica restarted healthy without a `[schema] kept newer` line"),
            (
                OlderRefused { line: "[schema] ERROR: refusing to start".into() },
                "the older replica refused to start (`[schema] ERROR: refusing to start`): the README says a replica of the same Directus starts on the newer schema",
            ),
            (
                OlderBootFailed { failure: exited },
                "the older replica restarted: the container exited with code 1 after 12.3 s before it became healthy: [schema] ERROR: x",
            ),
            (OlderPlannedOrApplied { line: "[schema] plan: x".into() }, "the older replica planned or applied its snapshot: `[schema] plan: x`"),
            (ColumnKept { collection: c.clone(), field: f.clone() }, "warehouses.city is still a column: the schema was not reverted"),
            (
                ColumnGone { collection: c.clone(), field: f.clone(), answer: PsqlAnswer::Error("No such container: \"pg\"".into()) },
                "warehouses.city is gone after the older replica's boot: Err(\"No such container: \\\"pg\\\"\")",
            ),
            (
                HeadSchemaInForce { row: "smoke-head applied: 1 field created".into() },
                "the schema in force is still the head's (schema_history: `smoke-head applied: 1 field created`)",
            ),
            (
                HistoryNotHead { answer: PsqlAnswer::Exited { code: 1, output: "ERROR: x".into() } },
                "the last schema_history row is not the head's: Ok((1, \"ERROR: x\"))",
            ),
            (OlderServesField { collection: c.clone(), field: f.clone() }, "the older replica serves the newer schema: GET /fields/warehouses/city answers"),
            (OlderMissesField { collection: c, field: f, error: "HTTP 403".into() }, "the older replica does not serve warehouses.city: HTTP 403"),
        ];
        for (fact, old) in cases {
            assert_eq!(words(&fact), old, "{fact:?}");
        }
    }

    /// The answers the checks printed with `{:?}` read as they did.
    #[test]
    fn a_psql_answer_reads_as_its_debug_print() {
        for r in [Ok((0, "0\n".to_string())), Ok((2, "a \"b\"".to_string())), Err("x\ty".to_string())] {
            assert_eq!(answer(&PsqlAnswer::from(r.clone())), format!("{r:?}"));
        }
    }
}
