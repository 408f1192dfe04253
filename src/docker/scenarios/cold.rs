//! cold: an empty database → db-init applies every file, the schema step applies, db-post applies
//! every file, healthy, pong, the admin page is served, the collections equal the snapshot's.
//!
//! The container runs with `http_proxy`/`HTTP_PROXY` pointing at a dead proxy, as a deployer
//! behind a corporate proxy sets them for Directus's outgoing requests: the HEALTHCHECK must
//! still pass, so its probe must bypass proxies (busybox wget ignores `no_proxy`).

use super::{db_init_counts, db_post_counts, Ctx, Kind, Recorder, Scenario, Shared};
use crate::directus::Client;
use crate::http_client as http;
use crate::docker::stack::TAIL;
use std::time::Duration;

/// The proxy variables the container gets, pointing at a port nothing listens on.
const DEAD_PROXY: [&str; 2] = ["http_proxy", "HTTP_PROXY"];

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Cold);
    let st = &ctx.stack;
    let mut env = st.app_env(&shared.pg, "directus");
    env.extend(DEAD_PROXY.iter().map(|v| format!("{v}=http://127.0.0.1:9")));
    let name = match st.create_app("app", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(e, vec![]),
    };
    let b = st.boot(&name, 0, true).await;
    r.times(&b);
    if let Some(f) = &b.failure {
        r.fail(f.clone());
        if matches!(f, crate::results::fact::BootFailure::HealthcheckWrong { .. }) {
            r.note(format!(
                "the container has {} set to a dead proxy (http://127.0.0.1:9): a probe that does not bypass proxies fails \
                 (busybox and GNU wget: `wget -Y off`)",
                DEAD_PROXY.join(" and ")
            ));
        }
    }
    r.steps(&b);
    let n = ctx.expect.db_init_files.len() as u32;
    let exited = b.exit_code.is_some();
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        None if exited => {}
        Some(l) if db_init_counts(&l) == Some((n, 0)) => r.pass(format!("{} ({n} files in {}/)", l.trim(), ctx.expect.migrations_dir)),
        Some(l) => r.fail(format!("expected `[db-init] {n} applied, 0 skipped`, the log says `{}`", l.trim())),
        None => r.fail(format!("no `[db-init] N applied, M skipped` line (expected {n} applied, 0 skipped)")),
    }
    match b.logs.find(|l| l.contains("[schema] applied")) {
        Some(l) => r.pass(l.trim()),
        None if exited => {}
        None => r.fail("no `[schema] applied: ...` line: the schema step did not apply the snapshot"),
    }
    let m = ctx.expect.db_post_files.len() as u32;
    match b.logs.find(|l| db_post_counts(l).is_some()) {
        None if exited => {}
        Some(l) if db_post_counts(&l) == Some((m, 0)) => r.pass(format!("{} ({m} files in {}/)", l.trim(), ctx.expect.post_dir)),
        Some(l) => r.fail(format!("expected `[db-post] {m} applied, 0 skipped`, the log says `{}`", l.trim())),
        None => r.fail(format!("no `[db-post] N applied, M skipped` line (expected {m} applied, 0 skipped)")),
    }
    if b.failure.is_none() {
        if let Some(port) = b.port {
            r.pass(format!("GET /server/ping from the host (127.0.0.1:{port}) answers pong; HEALTHCHECK healthy"));
            r.pass(format!("HEALTHCHECK healthy with {} set to a dead proxy (http://127.0.0.1:9)", DEAD_PROXY.join(" and ")));
            match http::request(port, "GET", "/admin/login", None, None).await {
                Ok(resp) if resp.status == 200 && resp.body.to_ascii_lowercase().contains("<html") => {
                    r.pass("GET /admin/login serves the admin app's HTML")
                }
                Ok(resp) => r.fail(format!("GET /admin/login answered {} without the app's HTML", resp.status)),
                Err(e) => r.fail(format!("GET /admin/login: {e}")),
            }
            let want = &ctx.expect.snapshot_collections;
            match collections(ctx, port).await {
                Ok(got) if got == *want => {
                    r.pass(format!("Directus reports the snapshot's {} collections ({})", got.len(), got.join(", ")))
                }
                Ok(got) => {
                    let missing: Vec<_> = want.iter().filter(|c| !got.contains(c)).cloned().collect();
                    let extra: Vec<_> = got.iter().filter(|c| !want.contains(c)).cloned().collect();
                    r.fail(format!(
                        "Directus reports {} collections, the snapshot has {}; missing: [{}], extra: [{}]",
                        got.len(),
                        want.len(),
                        missing.join(", "),
                        extra.join(", ")
                    ))
                }
                Err(e) => r.fail(format!("reading the collections from Directus: {e}")),
            }
        }
    }
    shared.cold_lines = if b.failure.is_none() {
        // Stop it for the warm restart; the followed stream then ends with every cold line.
        st.stop(&name).await;
        b.logs.wait_done(Duration::from_secs(15)).await;
        b.logs.snapshot().len()
    } else {
        0
    };
    shared.app_running = false;
    r.finish(b.logs.tail(TAIL))
}

/// Logs in as the admin smoke created and lists the user collections.
pub(super) async fn collections(ctx: &Ctx, port: u16) -> Result<Vec<String>, String> {
    let s = &ctx.stack.secrets;
    let client = Client::login(port, &s.admin_email, &s.admin_password).await.map_err(|e| format!("as ADMIN_EMAIL: {e}"))?;
    let v = client.get("/collections?limit=-1").await?;
    let mut names: Vec<String> = v
        .as_array()
        .ok_or("GET /collections returned no data list")?
        .iter()
        .filter_map(|c| c["collection"].as_str())
        .filter(|c| !c.starts_with("directus_"))
        .map(String::from)
        .collect();
    names.sort();
    Ok(names)
}
