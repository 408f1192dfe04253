//! cold: an empty database → db-init applies every file, the schema step applies, db-post applies
//! every file, healthy, pong, the admin page is served, the collections equal the snapshot's.
//!
//! The container runs with `http_proxy`/`HTTP_PROXY` pointing at a dead proxy, as a deployer
//! behind a corporate proxy sets them for Directus's outgoing requests: the HEALTHCHECK must
//! still pass, so its probe must bypass proxies (busybox wget ignores `no_proxy`).

use super::{db_init_counts, db_post_counts, Ctx, Kind, Recorder, Scenario, Shared};
use crate::results::fact::boot::Step;
use crate::results::fact::{BootFact, BootFailure, CommonFact};
use crate::directus::Client;
use crate::http_client as http;
use crate::docker::stack::TAIL;
use std::time::Duration;

/// The proxy variables the container gets, pointing at a port nothing listens on.
const DEAD_PROXY: [&str; 2] = ["http_proxy", "HTTP_PROXY"];
/// Where they point.
const DEAD_PROXY_URL: &str = "http://127.0.0.1:9";

fn dead_proxy_vars() -> Vec<String> {
    DEAD_PROXY.iter().map(|v| v.to_string()).collect()
}

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::Cold);
    let st = &ctx.stack;
    let mut env = st.app_env(&shared.pg, "directus");
    env.extend(DEAD_PROXY.iter().map(|v| format!("{v}={DEAD_PROXY_URL}")));
    let name = match st.create_app("app", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let b = st.boot(&name, 0, true).await;
    r.times(&b);
    if let Some(f) = &b.failure {
        r.fail(f.clone());
        if matches!(f, BootFailure::HealthcheckWrong { .. }) {
            r.note(BootFact::DeadProxyHint { proxy_vars: dead_proxy_vars(), proxy: DEAD_PROXY_URL.into() });
        }
    }
    r.steps(&b);
    let n = ctx.expect.db_init_files.len() as u32;
    let exited = b.exit_code.is_some();
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        None if exited => {}
        Some(l) if db_init_counts(&l) == Some((n, 0)) => {
            r.pass(BootFact::SqlAppliedAll { step: Step::DbInit, line: l.trim().into(), files: n, dir: ctx.expect.migrations_dir.clone() })
        }
        Some(l) => r.fail(BootFact::SqlCountsUnexpected { step: Step::DbInit, expected_applied: n, expected_skipped: 0, line: l.trim().into() }),
        None => r.fail(BootFact::SqlCountsMissing { step: Step::DbInit, expected_applied: n, expected_skipped: 0 }),
    }
    match b.logs.find(|l| l.contains("[schema] applied")) {
        Some(l) => r.pass(BootFact::SchemaApplied { line: l.trim().into() }),
        None if exited => {}
        None => r.fail(BootFact::SchemaNotApplied),
    }
    let m = ctx.expect.db_post_files.len() as u32;
    match b.logs.find(|l| db_post_counts(l).is_some()) {
        None if exited => {}
        Some(l) if db_post_counts(&l) == Some((m, 0)) => {
            r.pass(BootFact::SqlAppliedAll { step: Step::DbPost, line: l.trim().into(), files: m, dir: ctx.expect.post_dir.clone() })
        }
        Some(l) => r.fail(BootFact::SqlCountsUnexpected { step: Step::DbPost, expected_applied: m, expected_skipped: 0, line: l.trim().into() }),
        None => r.fail(BootFact::SqlCountsMissing { step: Step::DbPost, expected_applied: m, expected_skipped: 0 }),
    }
    if b.failure.is_none() {
        if let Some(port) = b.port {
            r.pass(BootFact::PongAndHealthy { port });
            r.pass(BootFact::HealthyBehindDeadProxy { proxy_vars: dead_proxy_vars(), proxy: DEAD_PROXY_URL.into() });
            match http::request(port, "GET", "/admin/login", None, None).await {
                Ok(resp) if resp.status == 200 && resp.body.to_ascii_lowercase().contains("<html") => {
                    r.pass(BootFact::AdminServed)
                }
                Ok(resp) => r.fail(BootFact::AdminNotServed { status: resp.status }),
                Err(e) => r.fail(BootFact::AdminUnreachable { error: e }),
            }
            let want = &ctx.expect.snapshot_collections;
            match collections(ctx, port).await {
                Ok(got) if got == *want => r.pass(BootFact::CollectionsMatch { collections: got }),
                Ok(got) => r.fail(BootFact::CollectionsDiffer { reported: got, snapshot: want.clone() }),
                Err(e) => r.fail(BootFact::CollectionsUnread { error: e }),
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
