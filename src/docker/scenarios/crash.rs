//! crash: the Directus process inside the healthy container (not PID 1, the init) is killed
//! with SIGKILL, as the kernel's OOM killer would. The container must end with a non-zero
//! status, so that the deployer's restart policy (`restart: unless-stopped`) starts it again.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::results::fact::{BootFact, CommonFact};
use std::time::{Duration, Instant};

/// Prints the pid of the `node … cli.js start` process (portable sh: busybox or dash).
const FIND_DIRECTUS: &str = r#"for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = 1 ] && continue
  c=$(tr '\000' ' ' < "$d/cmdline" 2>/dev/null) || continue
  case "$c" in node\ *cli.js\ start*|*/node\ *cli.js\ start*) echo "$p" ;; esac
done"#;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Crash);
    if !shared.app_running {
        return r.abort(BootFact::SkippedNoHealthyContainer, vec![]);
    }
    let st = &ctx.stack;
    let app = shared.app.clone();
    let pids: Vec<String> = match st.exec(&app, &["sh", "-c", FIND_DIRECTUS], &[]).await {
        Ok((0, out)) => out.split_whitespace().map(String::from).collect(),
        Ok((c, out)) => return r.abort(BootFact::DirectusPidUnread { exit_code: c, output: out.trim().into() }, vec![]),
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let [pid] = pids.as_slice() else {
        return r.abort(BootFact::DirectusProcesses { pids }, vec![]);
    };
    match st.exec(&app, &["cat", "/proc/1/cmdline"], &[]).await {
        Ok((0, out)) => r.note(BootFact::DirectusPid { pid: pid.clone(), pid1: Some(out.replace('\0', " ").trim().into()) }),
        _ => r.note(BootFact::DirectusPid { pid: pid.clone(), pid1: None }),
    }
    let t0 = Instant::now();
    match st.exec(&app, &["sh", "-c", &format!("kill -KILL {pid}")], &[]).await {
        Ok((0, _)) => {}
        Ok((c, out)) => return r.abort(BootFact::KillFailed { pid: pid.clone(), exit_code: c, output: out.trim().into() }, vec![]),
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    }
    let limit = Duration::from_secs(30);
    match st.wait_exit(&app, t0, limit).await {
        // Status 0: a restart policy would not restart it.
        Some((0, s)) => r.fail(BootFact::CrashExit { pid: pid.clone(), status: 0, seconds: s }),
        Some((code, s)) => r.pass(BootFact::CrashExit { pid: pid.clone(), status: code, seconds: s }),
        None => r.fail(BootFact::CrashStillRunning { pid: pid.clone(), waited_s: limit.as_secs() }),
    }
    shared.app_running = false;
    r.finish(st.container_tail(&app).await)
}
