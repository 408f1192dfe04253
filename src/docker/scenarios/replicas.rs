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
use crate::results::fact::replicas::{Phase, Query};
use crate::results::fact::{CommonFact, ReplicaFact};
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
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let mut names = Vec::new();
    for i in 1..=REPLICAS {
        match st.create_app(&format!("replica-{i}"), &ctx.opts.image, st.app_env(&pg, "directus"), None, true).await {
            Ok(n) => names.push(n),
            Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
        }
    }
    r.note(ReplicaFact::ReplicasStarted { replicas: REPLICAS as u32, image: ctx.opts.image.clone() });
    let cold = join_all(names.iter().map(|n| st.boot(n, 0, true))).await;
    let mut times = ReplicaTimes { replicas: REPLICAS as u32, ..Default::default() };
    times.cold = cold.iter().map(|b| b.healthy).collect();
    let cold_ok = check_phase(ctx, &mut r, &pg, &cold, Phase::Cold).await;

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
        check_phase(ctx, &mut r, &pg, &warm, Phase::Warm).await;
        tail = last_tails(&warm);
    }
    times.one_cold = shared.one_cold;
    times.one_warm = shared.one_warm;
    r.set_replicas(times);
    join_all(names.iter().map(|n| st.stop(n))).await;
    r.finish(tail)
}

/// The checks of one phase (cold or warm); true when every replica became healthy.
async fn check_phase(ctx: &Ctx, r: &mut Recorder, pg: &str, boots: &[Boot], phase: Phase) -> bool {
    let st = &ctx.stack;
    let mut all = true;
    for (i, b) in boots.iter().enumerate() {
        let replica = i as u32 + 1;
        match (&b.failure, b.healthy) {
            (None, Some(seconds)) => r.pass(ReplicaFact::ReplicaHealthy {
                phase,
                replica,
                seconds,
                schema_line: schema_line(b),
                waited_for_lock: b.logs.find(|l| l.contains("[schema] waiting for another boot")).is_some(),
            }),
            (Some(f), _) => {
                all = false;
                r.fail(ReplicaFact::ReplicaBootFailed { phase: Some(phase), replica, failure: f.clone() })
            }
            (None, None) => {
                all = false;
                r.fail(ReplicaFact::ReplicaPongUnhealthy { phase, replica })
            }
        }
    }
    let applied = boots.iter().filter(|b| b.logs.find(|l| l.contains("[schema] applied")).is_some()).count() as u32;
    let expected = u32::from(phase == Phase::Cold);
    let fact = ReplicaFact::SnapshotAppliedBy { phase, replicas: applied, expected };
    if applied == expected {
        r.pass(fact);
    } else {
        r.fail(fact);
    }
    if phase == Phase::Warm {
        let files = ctx.expect.db_init_files.len() as u32;
        let skipped = boots.iter().filter(|b| b.logs.find(|l| db_init_counts(l) == Some((0, files))).is_some()).count();
        let fact = ReplicaFact::DbInitSkippedBy { phase, replicas: skipped as u32, of: boots.len() as u32, files };
        if skipped == boots.len() {
            r.pass(fact);
        } else {
            r.fail(fact);
        }
    }
    database_checks(st, r, pg, ctx, phase).await;
    if all {
        for (i, b) in boots.iter().enumerate() {
            let Some(port) = b.port else { continue };
            let replica = i as u32 + 1;
            match cold::collections(ctx, port).await {
                Ok(got) if got == ctx.expect.snapshot_collections => {
                    r.pass(ReplicaFact::ReplicaServesSnapshot { phase, replica, collections: got.len() as u32 })
                }
                Ok(got) => r.fail(ReplicaFact::ReplicaServesOther {
                    phase,
                    replica,
                    collections: got,
                    snapshot: ctx.expect.snapshot_collections.len() as u32,
                }),
                Err(error) => r.fail(ReplicaFact::ReplicaCollectionsUnread { phase, replica, error }),
            }
        }
    }
    all
}

/// What the replica's schema step said (`[schema] applied: …`, `no changes`, `kept newer`), if it did.
fn schema_line(b: &Boot) -> Option<String> {
    b.logs
        .find(|l| l.contains("[schema] applied") || l.contains("[schema] no changes") || l.contains("[schema] kept newer"))
        .map(|l| l.trim().to_string())
}

/// One admin, one install, every file in the ledger once.
pub(super) async fn database_checks(st: &Stack, r: &mut Recorder, pg: &str, ctx: &Ctx, phase: Phase) {
    // psql's trimmed output when it exited 0, else its output or the engine's error.
    let one = |sql: &'static str| async move {
        match st.psql(pg, "directus", sql).await {
            Ok((0, o)) => Ok(o.trim().to_string()),
            Ok((_, o)) => Err(o.trim().to_string()),
            Err(e) => Err(e),
        }
    };
    // A count psql answered, or (its output was no number) what it said instead.
    let number = |a: Result<String, String>| a.and_then(|o| o.parse::<u64>().map_err(|_| o));
    match number(one(ADMINS_SQL).await) {
        Ok(1) => r.pass(ReplicaFact::SignInAdmins { phase, admins: 1 }),
        Ok(admins) => r.fail(ReplicaFact::SignInAdmins { phase, admins }),
        Err(error) => r.fail(ReplicaFact::DatabaseUnread { phase, query: Query::Admins, error }),
    }
    if let Ok(users) = number(one("SELECT count(*) FROM directus_users").await) {
        if users != 1 {
            r.fail(ReplicaFact::DirectusUsers { phase, users });
        }
    }
    let files = (ctx.expect.db_init_files.len() + ctx.expect.db_post_files.len()) as u64;
    let ledger = one("SELECT count(*) || ' ' || count(DISTINCT file) FROM trm_db_init.ledger").await.and_then(|o| {
        let counts = o.split_once(' ').and_then(|(rows, distinct)| Some((rows.parse::<u64>().ok()?, distinct.parse::<u64>().ok()?)));
        counts.ok_or(o)
    });
    match ledger {
        Ok((rows, distinct)) if rows == distinct && rows == files => r.pass(ReplicaFact::LedgerRows { phase, rows, distinct, files }),
        Ok((rows, distinct)) => r.fail(ReplicaFact::LedgerRows { phase, rows, distinct, files }),
        Err(error) => r.fail(ReplicaFact::DatabaseUnread { phase, query: Query::Ledger, error }),
    }
    match number(one("SELECT count(*) FROM trm_db_init.install").await) {
        Ok(1) => r.pass(ReplicaFact::InstallsRecorded { phase, installs: 1 }),
        Ok(installs) => r.fail(ReplicaFact::InstallsRecorded { phase, installs }),
        Err(error) => r.fail(ReplicaFact::DatabaseUnread { phase, query: Query::Install, error }),
    }
}

/// The last log lines of each replica, each line prefixed with its replica's number.
pub(super) fn last_tails(boots: &[Boot]) -> Vec<String> {
    let per = (TAIL / boots.len().max(1)).max(5);
    boots.iter().enumerate().flat_map(|(i, b)| b.logs.tail(per).into_iter().map(move |l| format!("replica {}: {l}", i + 1))).collect()
}
