//! warm: the cold container restarted on the same database: db-init skips every file, the schema
//! step has no changes, db-post skips every file, healthy.

use super::{db_init_counts, db_post_counts, Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::stack::TAIL;
use crate::results::fact::boot::Step;
use crate::results::fact::BootFact;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Warm);
    if shared.cold_lines == 0 {
        return r.abort(BootFact::SkippedNoColdBoot, vec![]);
    }
    let b = ctx.stack.boot(&shared.app, shared.cold_lines, true).await;
    r.times(&b);
    if let Some(f) = &b.failure {
        r.fail(f.clone());
    } else {
        r.pass(BootFact::Restarted);
    }
    r.steps(&b);
    let n = ctx.expect.db_init_files.len() as u32;
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        Some(l) if db_init_counts(&l) == Some((0, n)) => r.pass(BootFact::SqlSkippedAll { step: Step::DbInit, line: l.trim().into() }),
        Some(l) => r.fail(BootFact::SqlCountsUnexpected { step: Step::DbInit, expected_applied: 0, expected_skipped: n, line: l.trim().into() }),
        None => r.fail(BootFact::SqlCountsMissing { step: Step::DbInit, expected_applied: 0, expected_skipped: n }),
    }
    match b.logs.find(|l| l.contains("[schema] no changes")) {
        Some(l) => r.pass(BootFact::SchemaUnchanged { line: l.trim().into() }),
        None => match b.logs.find(|l| l.contains("[schema] applied") || l.contains("[schema] ERROR")) {
            Some(l) => r.fail(BootFact::SchemaChangedWhenWarm { line: l.trim().into() }),
            None => r.fail(BootFact::SchemaUnchangedMissing),
        },
    }
    let m = ctx.expect.db_post_files.len() as u32;
    match b.logs.find(|l| db_post_counts(l).is_some()) {
        Some(l) if db_post_counts(&l) == Some((0, m)) => r.pass(BootFact::SqlSkippedAll { step: Step::DbPost, line: l.trim().into() }),
        Some(l) => r.fail(BootFact::SqlCountsUnexpected { step: Step::DbPost, expected_applied: 0, expected_skipped: m, line: l.trim().into() }),
        None => r.fail(BootFact::SqlCountsMissing { step: Step::DbPost, expected_applied: 0, expected_skipped: m }),
    }
    shared.app_running = b.failure.is_none();
    r.finish(b.logs.tail(TAIL))
}
