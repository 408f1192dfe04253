//! The words of [`BootFact`] (src/results/fact/boot.rs).

use crate::results::fact::BootFact;

pub fn words(f: &BootFact) -> String {
    use BootFact::*;
    match f {
        BootAfterStopFailed { failure } => format!("the boot after the stop: {}", super::boot_failure(failure)),
        DeadProxyHint { proxy_vars, proxy } => format!(
            "the container has {} set to a dead proxy ({proxy}): a probe that does not bypass proxies fails \
             (busybox and GNU wget: `wget -Y off`)",
            proxy_vars.join(" and ")
        ),
        HealthyBehindDeadProxy { proxy_vars, proxy } => {
            format!("HEALTHCHECK healthy with {} set to a dead proxy ({proxy})", proxy_vars.join(" and "))
        }
        SqlAppliedAll { step: _, line, files, dir } => format!("{line} ({files} files in {dir}/)"),
        SqlSkippedAll { step: _, line } => line.clone(),
        SqlCountsUnexpected { step, expected_applied, expected_skipped, line } => format!(
            "expected `[{}] {expected_applied} applied, {expected_skipped} skipped`, the log says `{line}`",
            step.name()
        ),
        SqlCountsMissing { step, expected_applied, expected_skipped } => format!(
            "no `[{}] N applied, M skipped` line (expected {expected_applied} applied, {expected_skipped} skipped)",
            step.name()
        ),
        SchemaApplied { line } => line.clone(),
        SchemaNotApplied => "no `[schema] applied: ...` line: the schema step did not apply the snapshot".into(),
        SchemaUnchanged { line } => line.clone(),
        SchemaChangedWhenWarm { line } => format!("expected `[schema] no changes` on the warm database, the log says `{line}`"),
        SchemaUnchangedMissing => "no `[schema] no changes` line".into(),
        PongAndHealthy { port } => format!("GET /server/ping from the host (127.0.0.1:{port}) answers pong; HEALTHCHECK healthy"),
        Restarted => "restarted: HEALTHCHECK healthy, GET /server/ping answers pong".into(),
        StartedAgain => "started again on the same database: HEALTHCHECK healthy, GET /server/ping answers pong".into(),
        AdminServed => "GET /admin/login serves the admin app's HTML".into(),
        AdminNotServed { status } => format!("GET /admin/login answered {status} without the app's HTML"),
        AdminUnreachable { error } => format!("GET /admin/login: {error}"),
        CollectionsMatch { collections } => {
            format!("Directus reports the snapshot's {} collections ({})", collections.len(), collections.join(", "))
        }
        CollectionsDiffer { reported, snapshot } => {
            let missing: Vec<&str> = snapshot.iter().filter(|c| !reported.contains(c)).map(String::as_str).collect();
            let extra: Vec<&str> = reported.iter().filter(|c| !snapshot.contains(c)).map(String::as_str).collect();
            format!(
                "Directus reports {} collections, the snapshot has {}; missing: [{}], extra: [{}]",
                reported.len(),
                snapshot.len(),
                missing.join(", "),
                extra.join(", ")
            )
        }
        CollectionsUnread { error } => format!("reading the collections from Directus: {error}"),
        SkippedNoColdBoot => "skipped: the cold boot did not succeed".into(),
        SkippedNoHealthyContainer => "skipped: no healthy container (the boot before it did not succeed)".into(),
        SkippedNothingToStop => "skipped: no healthy container to stop (the warm boot did not succeed)".into(),
        Stopped { seconds, status } => {
            format!("docker stop (engine default timeout) ended the container in {seconds:.1} s with status {status}")
        }
        StopSlow { seconds, status, limit_s } => {
            format!("docker stop took {seconds:.1} s (status {status}); a graceful stop ends within {limit_s:.0} s")
        }
        StopKilled { seconds } => format!(
            "docker stop took {seconds:.1} s and ended in SIGKILL (status 137): Directus ignored SIGTERM (is it PID 1? the image needs an init \
             such as tini as its ENTRYPOINT)"
        ),
        StopStatus { status, seconds } => {
            format!("docker stop ended the container with status {status} after {seconds:.1} s, expected 0 or 143")
        }
        ShutdownLogged { line } => format!("the logs show Directus's own shutdown (`{line}`)"),
        ShutdownNotLogged { line } => format!("no `{line}` in the logs during the stop: Directus did not shut down by itself"),
        DirectusPidUnread { exit_code, output } => format!("finding the Directus process exited {exit_code}: {output}"),
        DirectusProcesses { pids } => format!("expected one `node … cli.js start` process in the container, found pids {pids:?}"),
        DirectusPid { pid, pid1: Some(pid1) } => format!("PID 1 is `{pid1}`; Directus is pid {pid}"),
        DirectusPid { pid, pid1: None } => format!("Directus is pid {pid}"),
        KillFailed { pid, exit_code, output } => format!("kill -KILL {pid} exited {exit_code}: {output}"),
        CrashExit { pid: _, status: 0, seconds } => {
            format!("the container exited with status 0 {seconds:.1} s after Directus was killed: a restart policy would not restart it")
        }
        CrashExit { pid, status, seconds } => {
            format!("killing Directus (pid {pid}, SIGKILL) ended the container {seconds:.1} s later with status {status}")
        }
        CrashStillRunning { pid, waited_s } => format!(
            "the container still runs {waited_s} s after its Directus process (pid {pid}) was killed: PID 1 does not pass its child's end on"
        ),
        SlowCopyNotMade { error } => format!("making the db-init upload: {error}"),
        SlowCopyNotUploaded { error } => format!("uploading the slow db-init copy: {error}"),
        KilledInMigration { file } => format!("Postgres killed while db-init ran {file} (pg_sleep seen in pg_stat_activity)"),
        SlowMigrationNotSeen { file, waited_s, after } => {
            format!("{file} was never seen running (pg_stat_activity) within {waited_s} s after `{after}`")
        }
        KilledOnLine { line } => format!("Postgres killed on `{line}`"),
        FaultExit { status: 0, seconds } => format!("the container exited with code 0 ({seconds:.1} s after the kill): expected non-zero"),
        FaultExit { status, seconds } => format!("the container exited with code {status}, {seconds:.1} s after the kill"),
        FaultStillRunning { step, waited_s } => format!(
            "the container was still running {waited_s} s after Postgres was killed during {}: the boot must fail fast",
            step.name()
        ),
        StepNamed { line } => format!("its last log lines name the step: `{line}`"),
        StepNotNamed { step, lines } => format!("its last {lines} log lines have no `[{}] ERROR` line naming the step", step.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fact::boot::Step;
    use crate::results::fact::BootFailure;
    use BootFact::*;

    /// The words before checks stored facts, copied from the scenarios' old format!s with the
    /// values filled in.
    #[test]
    fn words_are_the_old_sentences() {
        let s = |x: &str| x.to_string();
        let proxy_vars = vec![s("http_proxy"), s("HTTP_PROXY")];
        let cases: Vec<(BootFact, &str)> = vec![
            (
                SqlAppliedAll { step: Step::DbInit, line: s("[db-init] 3 applied, 0 skipped"), files: 3, dir: s("db-init") },
                "[db-init] 3 applied, 0 skipped (3 files in db-init/)",
            ),
            (
                SqlCountsUnexpected { step: Step::DbPost, expected_applied: 0, expected_skipped: 1, line: s("[db-post] 1 applied, 0 skipped") },
                "expected `[db-post] 0 applied, 1 skipped`, the log says `[db-post] 1 applied, 0 skipped`",
            ),
            (
                SqlCountsMissing { step: Step::DbInit, expected_applied: 3, expected_skipped: 0 },
                "no `[db-init] N applied, M skipped` line (expected 3 applied, 0 skipped)",
            ),
            (
                DeadProxyHint { proxy_vars: proxy_vars.clone(), proxy: s("http://127.0.0.1:9") },
                "the container has http_proxy and HTTP_PROXY set to a dead proxy (http://127.0.0.1:9): a probe that does not bypass \
                 proxies fails (busybox and GNU wget: `wget -Y off`)",
            ),
            (
                HealthyBehindDeadProxy { proxy_vars, proxy: s("http://127.0.0.1:9") },
                "HEALTHCHECK healthy with http_proxy and HTTP_PROXY set to a dead proxy (http://127.0.0.1:9)",
            ),
            (
                PongAndHealthy { port: 32768 },
                "GET /server/ping from the host (127.0.0.1:32768) answers pong; HEALTHCHECK healthy",
            ),
            (AdminNotServed { status: 404 }, "GET /admin/login answered 404 without the app's HTML"),
            (
                CollectionsMatch { collections: vec![s("addresses"), s("orders")] },
                "Directus reports the snapshot's 2 collections (addresses, orders)",
            ),
            (
                CollectionsDiffer { reported: vec![s("a"), s("c"), s("d")], snapshot: vec![s("a"), s("b")] },
                "Directus reports 3 collections, the snapshot has 2; missing: [b], extra: [c, d]",
            ),
            (
                SchemaChangedWhenWarm { line: s("[schema] applied: 1 field created") },
                "expected `[schema] no changes` on the warm database, the log says `[schema] applied: 1 field created`",
            ),
            (SkippedNoHealthyContainer, "skipped: no healthy container (the boot before it did not succeed)"),
            (
                Stopped { seconds: 0.24, status: 143 },
                "docker stop (engine default timeout) ended the container in 0.2 s with status 143",
            ),
            (
                StopSlow { seconds: 12.34, status: 0, limit_s: 10.0 },
                "docker stop took 12.3 s (status 0); a graceful stop ends within 10 s",
            ),
            (
                StopKilled { seconds: 10.4 },
                "docker stop took 10.4 s and ended in SIGKILL (status 137): Directus ignored SIGTERM (is it PID 1? the image needs \
                 an init such as tini as its ENTRYPOINT)",
            ),
            (
                StopStatus { status: 1, seconds: 0.5 },
                "docker stop ended the container with status 1 after 0.5 s, expected 0 or 143",
            ),
            (
                ShutdownNotLogged { line: s("Directus shut down OK. Bye bye!") },
                "no `Directus shut down OK. Bye bye!` in the logs during the stop: Directus did not shut down by itself",
            ),
            (
                BootAfterStopFailed { failure: BootFailure::Timeout { seconds: 180, healthy: false, pong: true, last_probe: None } },
                "the boot after the stop: not healthy within 180 s (healthy: false, pong: true)",
            ),
            (
                DirectusProcesses { pids: vec![s("7"), s("8")] },
                "expected one `node … cli.js start` process in the container, found pids [\"7\", \"8\"]",
            ),
            (
                DirectusPid { pid: s("7"), pid1: Some(s("/sbin/tini -- /directus/entrypoint.sh")) },
                "PID 1 is `/sbin/tini -- /directus/entrypoint.sh`; Directus is pid 7",
            ),
            (DirectusPid { pid: s("7"), pid1: None }, "Directus is pid 7"),
            (
                CrashExit { pid: s("7"), status: 137, seconds: 0.3 },
                "killing Directus (pid 7, SIGKILL) ended the container 0.3 s later with status 137",
            ),
            (
                CrashExit { pid: s("7"), status: 0, seconds: 0.3 },
                "the container exited with status 0 0.3 s after Directus was killed: a restart policy would not restart it",
            ),
            (
                CrashStillRunning { pid: s("7"), waited_s: 30 },
                "the container still runs 30 s after its Directus process (pid 7) was killed: PID 1 does not pass its child's end on",
            ),
            (
                SlowMigrationNotSeen { file: s("9999_trm_smoke_slow.sql"), waited_s: 60, after: s("[entrypoint] step 1/4: db-init") },
                "9999_trm_smoke_slow.sql was never seen running (pg_stat_activity) within 60 s after `[entrypoint] step 1/4: db-init`",
            ),
            (FaultExit { status: 1, seconds: 0.2 }, "the container exited with code 1, 0.2 s after the kill"),
            (FaultExit { status: 0, seconds: 0.2 }, "the container exited with code 0 (0.2 s after the kill): expected non-zero"),
            (
                FaultStillRunning { step: Step::DbInit, waited_s: 60 },
                "the container was still running 60 s after Postgres was killed during db-init: the boot must fail fast",
            ),
            (StepNotNamed { step: Step::Schema, lines: 10 }, "its last 10 log lines have no `[schema] ERROR` line naming the step"),
        ];
        for (f, want) in cases {
            assert_eq!(words(&f), want, "{f:?}");
        }
    }
}
