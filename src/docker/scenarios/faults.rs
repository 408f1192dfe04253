//! db-init fault and schema fault: Postgres killed under a booting container, which must exit
//! non-zero within `--fault-timeout`, its last log lines naming the step.
//!
//! For db-init, a copy of `db-init/` with one extra slow migration (`SELECT pg_sleep(120)`) is
//! uploaded into the container before it starts and `TRM_DB_INIT_DIR` points at it; Postgres is
//! killed once `pg_stat_activity` shows that sleep running, i.e. while db-init is inside a
//! migration's transaction. For the schema step, Postgres is killed on the step's first
//! `[schema]` progress line (bootstrap on the empty database).

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::engine::short_err;
use crate::docker::stack::{self, is_step_marker, TAIL};
use crate::results::fact::boot::Step;
use crate::results::fact::{BootFact, CommonFact};
use bollard::query_parameters::UploadToContainerOptionsBuilder;
use std::time::{Duration, Instant};

const SLOW_FILE: &str = "9999_trm_smoke_slow.sql";
const UPLOAD_DIR: &str = "/tmp/trm-smoke-db-init";
/// How long db-init's slow file may take to show in pg_stat_activity after the step's marker.
const SLOW_SEEN_WITHIN: Duration = Duration::from_secs(60);
/// How many of the container's last log lines must hold the step's `ERROR` line.
const NAMING_LINES: usize = 10;

/// A tar holding `dir/` with the repo's db-init files plus the slow one, owned by node.
fn db_init_upload(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut b = tar::Builder::new(Vec::new());
    let dir = UPLOAD_DIR.trim_start_matches("/tmp/");
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_size(0);
    h.set_mtime(0);
    b.append_data(&mut h, format!("{dir}/"), std::io::empty()).map_err(|e| e.to_string())?;
    let slow = b"-- trm-ci smoke: a deliberately slow migration, so Postgres can be killed while db-init runs.\nSELECT pg_sleep(120);\n".to_vec();
    for (name, bytes) in files.iter().chain(std::iter::once(&(SLOW_FILE.to_string(), slow))) {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_uid(1000);
        h.set_gid(1000);
        h.set_size(bytes.len() as u64);
        h.set_mtime(0);
        b.append_data(&mut h, format!("{dir}/{name}"), &bytes[..]).map_err(|e| e.to_string())?;
    }
    b.into_inner().map_err(|e| e.to_string())
}

/// db-init fault: Postgres killed while the slow migration runs.
pub async fn db_init(ctx: &Ctx, _shared: &mut Shared) -> Scenario {
    let r = Recorder::new(Kind::DbInitFault);
    let st = &ctx.stack;
    let pg = match st.start_postgres("pg-dbinit").await {
        Ok(p) => p,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let mut env = st.app_env(&pg, "directus");
    env.push(format!("TRM_DB_INIT_DIR={UPLOAD_DIR}"));
    let app = match st.create_app("app-dbinit", &ctx.opts.image, env, None, true).await {
        Ok(a) => a,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let tar = match db_init_upload(&ctx.expect.db_init_files) {
        Ok(t) => t,
        Err(e) => return r.abort(BootFact::SlowCopyNotMade { error: e }, vec![]),
    };
    if let Err(e) = st
        .docker
        .upload_to_container(&app, Some(UploadToContainerOptionsBuilder::default().path("/tmp").build()), bollard::body_full(tar.into()))
        .await
    {
        return r.abort(BootFact::SlowCopyNotUploaded { error: short_err(&e) }, vec![]);
    }
    fault(ctx, r, &pg, &app, Step::DbInit).await
}

/// schema fault: Postgres killed when the schema step starts.
pub async fn schema(ctx: &Ctx, _shared: &mut Shared) -> Scenario {
    let r = Recorder::new(Kind::SchemaFault);
    let st = &ctx.stack;
    let pg = match st.start_postgres("pg-schema").await {
        Ok(p) => p,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let app = match st.create_app("app-schema", &ctx.opts.image, st.app_env(&pg, "directus"), None, true).await {
        Ok(a) => a,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    fault(ctx, r, &pg, &app, Step::Schema).await
}

async fn fault(ctx: &Ctx, mut r: Recorder, pg: &str, app: &str, step: Step) -> Scenario {
    let st = &ctx.stack;
    let db_init = step == Step::DbInit;
    if let Err(e) = st.start(app).await {
        return r.abort(CommonFact::Error { error: e }, vec![]);
    }
    let logs = crate::docker::stack::follow_logs(&st.docker, app, 0);
    let marker = if db_init {
        st.wait_line(&logs, app, "the db-init step's `[entrypoint]` line", |l| is_step_marker(l, "db-init")).await
    } else {
        // The entrypoint's step line, then the schema step's first progress line (`[schema]
        // bootstrap: ...`): Postgres dies while the step is talking to it, not before.
        match st.wait_line(&logs, app, "the schema step's `[entrypoint]` line", |l| is_step_marker(l, "schema")).await {
            Ok(_) => {
                st.wait_line(&logs, app, "a `[schema]` progress line", |l| l.contains("[schema] ") && !l.contains("[schema] ERROR"))
                    .await
            }
            Err(e) => Err(e),
        }
    };
    let marker = match marker {
        Ok(m) => m,
        Err(e) => return r.abort(CommonFact::Error { error: e }, logs.tail(TAIL)),
    };
    if db_init {
        // Kill inside a migration: once the slow file's pg_sleep is running.
        let deadline = Instant::now() + SLOW_SEEN_WITHIN;
        let mut seen = false;
        while Instant::now() < deadline && !logs.is_done() {
            if let Ok((0, out)) = st
                .psql(pg, "directus", "select count(*) from pg_stat_activity where query ilike '%pg_sleep(120)%' and pid <> pg_backend_pid()")
                .await
            {
                if out.trim() != "0" {
                    seen = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if seen {
            r.pass(BootFact::KilledInMigration { file: SLOW_FILE.into() });
        } else {
            // Without it the scenario would not prove what it claims.
            r.fail(BootFact::SlowMigrationNotSeen { file: SLOW_FILE.into(), waited_s: SLOW_SEEN_WITHIN.as_secs(), after: marker.trim().into() });
        }
    } else {
        r.pass(BootFact::KilledOnLine { line: marker.trim().into() });
    }
    let killed_at = Instant::now();
    if let Err(e) = st.kill(pg).await {
        return r.abort(CommonFact::Error { error: e }, logs.tail(TAIL));
    }
    match st.wait_exit(app, killed_at, ctx.opts.fault_timeout).await {
        Some((code, after)) if code != 0 => r.pass(BootFact::FaultExit { status: code, seconds: after }),
        Some((code, after)) => r.fail(BootFact::FaultExit { status: code, seconds: after }),
        None => r.fail(BootFact::FaultStillRunning { step, waited_s: ctx.opts.fault_timeout.as_secs() }),
    }
    logs.wait_done(Duration::from_secs(5)).await;
    let tail = logs.tail(NAMING_LINES);
    let want = format!("[{}] ERROR", step.name());
    match tail.iter().find(|l| l.contains(&want)) {
        Some(l) => r.pass(BootFact::StepNamed { line: crate::source::excerpt(l, stack::LOG_LINE_CHARS) }),
        None => r.fail(BootFact::StepNotNamed { step, lines: NAMING_LINES as u32 }),
    }
    r.finish(logs.tail(TAIL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_has_slow_file() {
        let t = db_init_upload(&[("0001_x.sql".into(), b"select 1;".to_vec())]).unwrap();
        let mut a = tar::Archive::new(&t[..]);
        let names: Vec<String> = a.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["trm-smoke-db-init/", "trm-smoke-db-init/0001_x.sql", "trm-smoke-db-init/9999_trm_smoke_slow.sql"]);
    }
}
