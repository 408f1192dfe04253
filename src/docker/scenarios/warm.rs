//! warm: the cold container restarted on the same database: db-init skips every file, the schema
//! step has no changes, db-post skips every file, healthy.

use super::{db_init_counts, db_post_counts, Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::stack::TAIL;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Warm);
    if shared.cold_lines == 0 {
        return r.abort("skipped: the cold boot did not succeed", vec![]);
    }
    let b = ctx.stack.boot(&shared.app, shared.cold_lines, true).await;
    r.times(&b);
    if let Some(f) = &b.failure {
        r.fail(f.clone());
    } else {
        r.pass("restarted: HEALTHCHECK healthy, GET /server/ping answers pong");
    }
    r.steps(&b);
    let n = ctx.expect.db_init_files.len() as u32;
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        Some(l) if db_init_counts(&l) == Some((0, n)) => r.pass(l.trim()),
        Some(l) => r.fail(format!("expected `[db-init] 0 applied, {n} skipped`, the log says `{}`", l.trim())),
        None => r.fail(format!("no `[db-init] N applied, M skipped` line (expected 0 applied, {n} skipped)")),
    }
    match b.logs.find(|l| l.contains("[schema] no changes")) {
        Some(l) => r.pass(l.trim()),
        None => match b.logs.find(|l| l.contains("[schema] applied") || l.contains("[schema] ERROR")) {
            Some(l) => r.fail(format!("expected `[schema] no changes` on the warm database, the log says `{}`", l.trim())),
            None => r.fail("no `[schema] no changes` line"),
        },
    }
    let m = ctx.expect.db_post_files.len() as u32;
    match b.logs.find(|l| db_post_counts(l).is_some()) {
        Some(l) if db_post_counts(&l) == Some((0, m)) => r.pass(l.trim()),
        Some(l) => r.fail(format!("expected `[db-post] 0 applied, {m} skipped`, the log says `{}`", l.trim())),
        None => r.fail(format!("no `[db-post] N applied, M skipped` line (expected 0 applied, {m} skipped)")),
    }
    shared.app_running = b.failure.is_none();
    r.finish(b.logs.tail(TAIL))
}
