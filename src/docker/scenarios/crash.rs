//! crash: the Directus process inside the healthy container (not PID 1, the init) is killed
//! with SIGKILL, as the kernel's OOM killer would. The container must end with a non-zero
//! status, so that the deployer's restart policy (`restart: unless-stopped`) starts it again.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
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
        return r.abort("skipped: no healthy container (the boot before it did not succeed)", vec![]);
    }
    let st = &ctx.stack;
    let app = shared.app.clone();
    let pids: Vec<String> = match st.exec(&app, &["sh", "-c", FIND_DIRECTUS], &[]).await {
        Ok((0, out)) => out.split_whitespace().map(String::from).collect(),
        Ok((c, out)) => return r.abort(format!("finding the Directus process exited {c}: {}", out.trim()), vec![]),
        Err(e) => return r.abort(e, vec![]),
    };
    let [pid] = pids.as_slice() else {
        return r.abort(format!("expected one `node … cli.js start` process in the container, found pids {pids:?}"), vec![]);
    };
    match st.exec(&app, &["cat", "/proc/1/cmdline"], &[]).await {
        Ok((0, out)) => r.note(format!("PID 1 is `{}`; Directus is pid {pid}", out.replace('\0', " ").trim())),
        _ => r.note(format!("Directus is pid {pid}")),
    }
    let t0 = Instant::now();
    match st.exec(&app, &["sh", "-c", &format!("kill -KILL {pid}")], &[]).await {
        Ok((0, _)) => {}
        Ok((c, out)) => return r.abort(format!("kill -KILL {pid} exited {c}: {}", out.trim()), vec![]),
        Err(e) => return r.abort(e, vec![]),
    }
    match st.wait_exit(&app, t0, Duration::from_secs(30)).await {
        Some((0, s)) => r.fail(format!(
            "the container exited with status 0 {s:.1} s after Directus was killed: a restart policy would not restart it"
        )),
        Some((code, s)) => {
            r.pass(format!("killing Directus (pid {pid}, SIGKILL) ended the container {s:.1} s later with status {code}"))
        }
        None => r.fail(format!(
            "the container still runs 30 s after its Directus process (pid {pid}) was killed: PID 1 does not pass its child's end on"
        )),
    }
    shared.app_running = false;
    r.finish(st.container_tail(&app).await)
}
