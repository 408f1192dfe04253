//! replicas: three containers of the image started at once on one empty database (a Swarm
//! service or a Deployment scaled to 3 on its first deploy), then all three stopped and
//! restarted at once. Each time: every replica healthy, exactly one user who can sign in as an
//! administrator, every db-init and db-post file in the ledger once, one install recorded, and
//! through every replica the snapshot's collections. The advisory locks of db-init/db-post and
//! of the schema step make them take turns: cold, one applies (`[schema] applied`), the others
//! find `no changes`.
//!
//! Its times (each replica's time to healthy, against the cold and warm scenarios' one
//! replica) are data in the scenario ([`ReplicaTimes`]).

use super::{cold, db_init_counts, Ctx, Kind, Recorder, ReplicaTimes, Scenario, Shared};
use crate::docker::stack::{Boot, Stack, TAIL};
use futures_util::future::join_all;
use std::time::Duration;

/// How many replicas boot at once.
pub const REPLICAS: usize = 3;

/// The users who can sign in as an administrator (what the schema step requires of every boot).
pub(super) const ADMINS_SQL: &str = "SELECT count(*) FROM directus_users u WHERE u.status = 'active' AND u.password IS NOT NULL \
     AND u.role IN (SELECT a.role FROM directus_access a JOIN directus_policies p ON p.id = a.policy WHERE p.admin_access)";

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Replicas);
    let st = &ctx.stack;
    let pg = match st.start_postgres("pg-replicas").await {
        Ok(p) => p,
        Err(e) => return r.abort(e, vec![]),
    };
    let mut names = Vec::new();
    for i in 1..=REPLICAS {
        match st.create_app(&format!("replica-{i}"), &ctx.opts.image, st.app_env(&pg, "directus"), None, true).await {
            Ok(n) => names.push(n),
            Err(e) => return r.abort(e, vec![]),
        }
    }
    r.note(format!("{REPLICAS} containers of {} started at once on one empty database", ctx.opts.image));
    let cold = join_all(names.iter().map(|n| st.boot(n, 0, true))).await;
    let mut times = ReplicaTimes { replicas: REPLICAS as u32, ..Default::default() };
    times.cold = cold.iter().map(|b| b.healthy).collect();
    let cold_ok = check_phase(ctx, &mut r, &pg, &cold, "cold").await;

    let mut tail = last_tails(&cold);
    if cold_ok {
        // Stop them all, then start them all at once again (a redeploy of the same image).
        join_all(names.iter().map(|n| st.stop(n))).await;
        let mut skip = Vec::new();
        for b in &cold {
            b.logs.wait_done(Duration::from_secs(15)).await;
            skip.push(b.logs.snapshot().len());
        }
        let warm = join_all(names.iter().zip(&skip).map(|(n, s)| st.boot(n, *s, true))).await;
        times.warm = warm.iter().map(|b| b.healthy).collect();
        check_phase(ctx, &mut r, &pg, &warm, "warm").await;
        tail = last_tails(&warm);
    }
    times.one_cold = shared.one_cold;
    times.one_warm = shared.one_warm;
    r.set_replicas(times);
    join_all(names.iter().map(|n| st.stop(n))).await;
    r.finish(tail)
}

/// The checks of one phase (`cold` or `warm`); true when every replica became healthy.
async fn check_phase(ctx: &Ctx, r: &mut Recorder, pg: &str, boots: &[Boot], phase: &str) -> bool {
    let st = &ctx.stack;
    let mut all = true;
    for (i, b) in boots.iter().enumerate() {
        let n = i + 1;
        match (&b.failure, b.healthy) {
            (None, Some(h)) => r.pass(format!("{phase}: replica {n} healthy after {h:.1} s, {}", schema_line(b))),
            (Some(f), _) => {
                all = false;
                r.fail(format!("{phase}: replica {n}: {f}"))
            }
            (None, None) => {
                all = false;
                r.fail(format!("{phase}: replica {n} answered pong without a passing HEALTHCHECK"))
            }
        }
    }
    let applied = boots.iter().filter(|b| b.logs.find(|l| l.contains("[schema] applied")).is_some()).count();
    let want_applied = usize::from(phase == "cold");
    if applied == want_applied && applied == 0 {
        r.pass(format!("{phase}: no replica applied the snapshot: each found no changes"));
    } else if applied == want_applied {
        r.pass(format!("{phase}: 1 replica applied the snapshot (`[schema] applied`), the others found no changes"));
    } else {
        r.fail(format!("{phase}: {applied} replicas applied the snapshot, expected {want_applied}"));
    }
    if phase == "warm" {
        let n = ctx.expect.db_init_files.len() as u32;
        let skipped = boots.iter().filter(|b| b.logs.find(|l| db_init_counts(l) == Some((0, n))).is_some()).count();
        if skipped == boots.len() {
            r.pass(format!("warm: every replica's db-init skipped all {n} files"));
        } else {
            r.fail(format!("warm: {} of {} replicas printed `[db-init] 0 applied, {n} skipped`", skipped, boots.len()));
        }
    }
    database_checks(st, r, pg, ctx, phase).await;
    if all {
        for (i, b) in boots.iter().enumerate() {
            let Some(port) = b.port else { continue };
            match cold::collections(ctx, port).await {
                Ok(got) if got == ctx.expect.snapshot_collections => {
                    r.pass(format!("{phase}: replica {} serves the snapshot's {} collections", i + 1, got.len()))
                }
                Ok(got) => r.fail(format!(
                    "{phase}: replica {} serves {} collections ({}), the snapshot has {}",
                    i + 1,
                    got.len(),
                    got.join(", "),
                    ctx.expect.snapshot_collections.len()
                )),
                Err(e) => r.fail(format!("{phase}: replica {}: reading the collections: {e}", i + 1)),
            }
        }
    }
    all
}

/// What the replica's schema step said: `[schema] applied: …`, `no changes`, or that it waited.
fn schema_line(b: &Boot) -> String {
    let waited = b.logs.find(|l| l.contains("[schema] waiting for another boot")).is_some();
    let result = b
        .logs
        .find(|l| l.contains("[schema] applied") || l.contains("[schema] no changes") || l.contains("[schema] kept newer"))
        .map(|l| format!("`{}`", crate::source::excerpt(l.trim(), 80)))
        .unwrap_or_else(|| "no schema result line".into());
    if waited {
        format!("{result} after waiting for the schema lock")
    } else {
        result
    }
}

/// One admin, one install, every file in the ledger once.
pub(super) async fn database_checks(st: &Stack, r: &mut Recorder, pg: &str, ctx: &Ctx, phase: &str) {
    let one = |sql: &'static str| async move { st.psql(pg, "directus", sql).await.map(|(c, o)| (c, o.trim().to_string())) };
    match one(ADMINS_SQL).await {
        Ok((0, n)) if n == "1" => r.pass(format!("{phase}: exactly one user can sign in as an administrator")),
        Ok((0, n)) => r.fail(format!("{phase}: {n} users can sign in as an administrator, expected exactly 1")),
        Ok((_, o)) => r.fail(format!("{phase}: counting the admins: {o}")),
        Err(e) => r.fail(format!("{phase}: counting the admins: {e}")),
    }
    match one("SELECT count(*) FROM directus_users").await {
        Ok((0, n)) if n == "1" => {}
        Ok((0, n)) => r.fail(format!("{phase}: {n} users in directus_users, expected the one admin")),
        _ => {}
    }
    let files = ctx.expect.db_init_files.len() + ctx.expect.db_post_files.len();
    match one("SELECT count(*) || ' ' || count(DISTINCT file) FROM trm_db_init.ledger").await {
        Ok((0, o)) => {
            let (rows, distinct) = o.split_once(' ').unwrap_or((&o, ""));
            if rows == distinct && rows == files.to_string() {
                r.pass(format!("{phase}: the ledger has {rows} rows, one per db-init and db-post file, no duplicate"));
            } else {
                r.fail(format!("{phase}: the ledger has {rows} rows for {distinct} files, expected {files} files once each"));
            }
        }
        Ok((_, o)) => r.fail(format!("{phase}: reading the ledger: {}", o.trim())),
        Err(e) => r.fail(format!("{phase}: reading the ledger: {e}")),
    }
    match one("SELECT count(*) FROM trm_db_init.install").await {
        Ok((0, n)) if n == "1" => r.pass(format!("{phase}: one complete install recorded (trm_db_init.install)")),
        Ok((0, n)) => r.fail(format!("{phase}: {n} installs recorded in trm_db_init.install, expected 1")),
        Ok((_, o)) => r.fail(format!("{phase}: reading trm_db_init.install: {o}")),
        Err(e) => r.fail(format!("{phase}: reading trm_db_init.install: {e}")),
    }
}

/// The last log lines of each replica, each line prefixed with its replica's number.
pub(super) fn last_tails(boots: &[Boot]) -> Vec<String> {
    let per = (TAIL / boots.len().max(1)).max(5);
    boots.iter().enumerate().flat_map(|(i, b)| b.logs.tail(per).into_iter().map(move |l| format!("replica {}: {l}", i + 1))).collect()
}
