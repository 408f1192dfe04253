//! stop: `docker stop` with the engine's default timeout on the healthy container warm left
//! running. It must end within 10 s by Directus's own shutdown (`Directus shut down OK. Bye
//! bye!`, status 0 or 143 — never the SIGKILL of 137), and a warm boot on the same database
//! afterwards must be healthy. The stop time is the scenario's `stop_seconds`.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::results::fact::{BootFact, CommonFact};
use crate::docker::stack::{self, StopEnd, SHUTDOWN_LINE, TAIL};
use std::time::Duration;

/// A deployer's redeploy must not wait longer (the engine's default stop timeout).
const STOP_LIMIT_S: f64 = 10.0;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Stop);
    if !shared.app_running {
        return r.abort(BootFact::SkippedNothingToStop, vec![]);
    }
    let st = &ctx.stack;
    let app = shared.app.clone();
    // Everything the container printed, from its first boot (the stream ends when it stops):
    // the boot after the stop skips these lines.
    let logs = stack::follow_logs(&st.docker, &app, 0);
    let stopped = st.stop_app(&app, None).await;
    shared.app_running = false;
    let out = match stopped {
        Ok(o) => o,
        Err(e) => return r.abort(CommonFact::Error { error: e }, st.container_tail(&app).await),
    };
    let (code, took) = (out.exit_code, out.seconds);
    r.set_stop_seconds(took);
    match out.judge(STOP_LIMIT_S) {
        StopEnd::InTime => r.pass(BootFact::Stopped { seconds: took, status: code }),
        StopEnd::Slow => r.fail(BootFact::StopSlow { seconds: took, status: code, limit_s: STOP_LIMIT_S }),
        StopEnd::Killed => r.fail(BootFact::StopKilled { seconds: took }),
        StopEnd::Status(c) => r.fail(BootFact::StopStatus { status: c, seconds: took }),
    }
    if out.shutdown_line_seen {
        r.pass(BootFact::ShutdownLogged { line: SHUTDOWN_LINE.into() });
    } else {
        r.fail(BootFact::ShutdownNotLogged { line: SHUTDOWN_LINE.into() });
    }
    logs.wait_done(Duration::from_secs(15)).await;
    let printed = logs.snapshot().len();

    // The same container again: a warm boot on the database it left.
    let b = st.boot(&app, printed, true).await;
    r.times(&b);
    match &b.failure {
        Some(f) => r.fail(BootFact::BootAfterStopFailed { failure: f.clone() }),
        None => r.pass(BootFact::StartedAgain),
    }
    r.steps(&b);
    shared.app_running = b.failure.is_none();
    r.finish(b.logs.tail(TAIL))
}
