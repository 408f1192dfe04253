//! kill-leader: three replicas started at once on one empty database; the one that holds the
//! schema lock (the one that prints `[schema] bootstrap: installing …`) is killed with `docker
//! kill` while Directus's migrations run (once `directus_migrations` exists, before any user
//! does). The two others were waiting for that lock: each must then complete the install
//! (`[schema] install: … completing it`, the admin created) and become healthy, or exit
//! non-zero with a `[schema] ERROR` line naming the interrupted install. Never healthy with no
//! user able to sign in as an administrator — the state Directus alone leaves (it decides
//! "installed" from `directus_collections`, so no later boot creates the admin).

use super::replicas::{database_checks, last_tails, ADMINS_SQL, REPLICAS};
use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::stack::{follow_logs, Logs};
use crate::results::fact::replicas::{Count, Phase};
use crate::results::fact::{CommonFact, ReplicaFact};
use futures_util::future::join_all;
use std::time::{Duration, Instant};

const BOOTSTRAP_LINE: &str = "[schema] bootstrap: installing";

pub async fn run(ctx: &Ctx, _shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::KillLeader);
    let st = &ctx.stack;
    let pg = match st.start_postgres("pg-kill").await {
        Ok(p) => p,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let mut names = Vec::new();
    for i in 1..=REPLICAS {
        match st.create_app(&format!("kill-{i}"), &ctx.opts.image, st.app_env(&pg, "directus"), None, true).await {
            Ok(n) => names.push(n),
            Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
        }
    }
    let started = Instant::now();
    for n in &names {
        if let Err(e) = st.start(n).await {
            return r.abort(CommonFact::Error { error: e }, vec![]);
        }
    }
    let logs: Vec<Logs> = names.iter().map(|n| follow_logs(&st.docker, n, 0)).collect();
    let tails = |logs: &[Logs]| -> Vec<String> {
        logs.iter().enumerate().flat_map(|(i, l)| l.tail(8).into_iter().map(move |x| format!("replica {}: {x}", i + 1))).collect()
    };

    // The lock holder: the one replica that installs.
    let deadline = Instant::now() + st.boot_timeout;
    let leader = loop {
        if let Some(i) = logs.iter().position(|l| l.find(|x| x.contains(BOOTSTRAP_LINE)).is_some()) {
            break i;
        }
        if Instant::now() > deadline || logs.iter().all(|l| l.is_done()) {
            return r.abort(ReplicaFact::NoLeader { seconds: st.boot_timeout.as_secs() }, tails(&logs));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Mid-bootstrap: the system tables are committed (one transaction), Directus's migrations run.
    const COMMIT_WAIT: u64 = 60;
    let deadline = Instant::now() + Duration::from_secs(COMMIT_WAIT);
    loop {
        if let Ok((0, o)) = st.psql(&pg, "directus", "SELECT to_regclass('public.directus_migrations') IS NOT NULL").await {
            if o.trim() == "t" {
                break;
            }
        }
        if Instant::now() > deadline || logs[leader].is_done() {
            return r.abort(ReplicaFact::LeaderNeverCommitted { seconds: COMMIT_WAIT }, tails(&logs));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Err(e) = st.kill(&names[leader]).await {
        return r.abort(CommonFact::Error { error: e }, tails(&logs));
    }
    let seconds = crate::docker::stack::secs(started.elapsed());
    let count = |sql: &'static str| {
        let pg = pg.clone();
        async move { st.psql(&pg, "directus", sql).await.map(|(_, o)| o.trim().to_string()).unwrap_or_else(|e| e) }
    };
    let (migrations, users) = (count("SELECT count(*) FROM directus_migrations").await, count("SELECT count(*) FROM directus_users").await);
    let replica = leader as u32 + 1;
    if users == "0" {
        r.pass(ReplicaFact::LeaderKilled { replica, seconds, migrations: Count::read(migrations) });
    } else {
        // Killed after the admin existed: the scenario would prove nothing.
        r.fail(ReplicaFact::LeaderKilledTooLate { replica, seconds, users: Count::read(users) });
    }

    // The others, which waited for the lock: each completes the install, or fails loudly.
    let others: Vec<usize> = (0..names.len()).filter(|i| *i != leader).collect();
    let boots = join_all(others.iter().map(|&i| st.watch(&names[i], started, logs[i].clone(), true))).await;
    let admins = count(ADMINS_SQL).await;
    let mut serving = 0;
    for (&i, b) in others.iter().zip(&boots) {
        let replica = i as u32 + 1;
        let completed = b.logs.find(|l| l.contains("[schema] install: Directus is installed but its install is not recorded")).is_some();
        match (&b.failure, b.exit_code) {
            (None, _) if admins == "1" => {
                serving += 1;
                r.pass(ReplicaFact::FollowerHealthy { replica, seconds: b.healthy.unwrap_or_default(), completed_install: completed })
            }
            (None, _) => r.fail(ReplicaFact::FollowerHealthyWithoutAdmin { replica, admins: Count::read(admins.clone()) }),
            (Some(_), Some(exit_code)) if exit_code != 0 => match b.logs.find(|l| l.contains("[schema] ERROR")) {
                Some(l) => r.pass(ReplicaFact::FollowerFailedLoudly { replica, exit_code, line: l.trim().to_string() }),
                None => r.fail(ReplicaFact::FollowerExitedSilently { replica, exit_code }),
            },
            (Some(f), _) => r.fail(ReplicaFact::ReplicaBootFailed { phase: None, replica, failure: f.clone() }),
        }
    }
    if serving > 0 {
        database_checks(st, &mut r, &pg, ctx, Phase::AfterTheKill).await;
    } else {
        r.note(ReplicaFact::NoFollowerServes);
    }
    join_all(names.iter().map(|n| st.stop(n))).await;
    r.finish(last_tails(&boots))
}
