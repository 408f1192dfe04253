//! `--baseline`: the base image's own plain boot (bootstrap then start; no db-init, no schema) on
//! an empty database, cold and then warm, after one discarded warm-up boot; and the ratios of the
//! project image's boots against it.

use super::{Baseline, Ctx, Scenario};
use crate::progress::Progress;
use std::time::Duration;

fn plain_entrypoint() -> Vec<String> {
    vec!["sh".to_string(), "-c".to_string(), "node /directus/cli.js bootstrap && exec node /directus/cli.js start".to_string()]
}

/// The base image's own plain boot on an empty database, cold and then warm (same database).
pub async fn run(ctx: &Ctx, pg: &str, base: &str, progress: &Progress) -> Baseline {
    let st = &ctx.stack;
    let mut b = Baseline { base_image: base.to_string(), ..Default::default() };
    // Warm the machine's file cache with one discarded plain boot, so neither the baseline nor
    // the scenarios pay for reading Directus's node_modules from disk the first time.
    if let Ok((0, _)) = st.psql(pg, "directus", "create database warmup").await {
        if let Ok(c) = st.create_app("warmup", base, st.app_env(pg, "warmup"), Some(plain_entrypoint()), false).await {
            let w = st.boot(&c, 0, false).await;
            progress.line(&format!(
                "[smoke] baseline: warm-up boot (discarded): {}",
                w.pong.map(|p| format!("pong after {p:.1} s")).unwrap_or_else(|| w.failure.as_ref().map(|f| f.to_string()).unwrap_or_default())
            ));
            st.remove(&c).await;
        }
    }
    if let Err(e) = st.psql(pg, "directus", "create database plain").await.and_then(|(c, o)| if c == 0 { Ok(()) } else { Err(o) }) {
        progress.line(&format!("[smoke] baseline: creating its database failed: {}", e.trim()));
        return b;
    }
    let c = match st.create_app("plain", base, st.app_env(pg, "plain"), Some(plain_entrypoint()), false).await {
        Ok(c) => c,
        Err(e) => {
            progress.line(&format!("[smoke] baseline: {e}"));
            return b;
        }
    };
    let cold = st.boot(&c, 0, false).await;
    b.plain_cold_pong = cold.pong;
    if let Some(f) = &cold.failure {
        progress.line(&format!("[smoke] baseline: the plain cold boot failed: {f}"));
        for l in cold.logs.tail(10) {
            progress.line(&format!("      | {l}"));
        }
        return b;
    }
    st.stop(&c).await;
    cold.logs.wait_done(Duration::from_secs(15)).await;
    let warm = st.boot(&c, cold.logs.snapshot().len(), false).await;
    b.plain_warm_pong = warm.pong;
    st.stop(&c).await;
    progress.line(&format!(
        "[smoke] baseline: plain boot of {base}: cold {} s, warm {} s to pong",
        b.plain_cold_pong.map(|v| format!("{v:.1}")).unwrap_or("?".into()),
        b.plain_warm_pong.map(|v| format!("{v:.1}")).unwrap_or("?".into())
    ));
    b
}

/// Fills in the project image's cold and warm times and the ratios against the plain boot
/// (render::container::smoke shows them).
pub fn compare(mut b: Baseline, scenarios: &[Scenario]) -> Baseline {
    let find = |n: &str| scenarios.iter().find(|s| s.name == n);
    b.cold_pong = find("cold").and_then(|s| s.time_to_pong);
    b.cold_healthy = find("cold").and_then(|s| s.time_to_healthy);
    b.warm_pong = find("warm").and_then(|s| s.time_to_pong);
    b.warm_healthy = find("warm").and_then(|s| s.time_to_healthy);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some((a / b * 100.0).round() / 100.0),
        _ => None,
    };
    b.cold_ratio = ratio(b.cold_pong, b.plain_cold_pong);
    b.warm_ratio = ratio(b.warm_pong, b.plain_warm_pong);
    b.cold_healthy_ratio = ratio(b.cold_healthy, b.plain_cold_pong);
    b.warm_healthy_ratio = ratio(b.warm_healthy, b.plain_warm_pong);
    b
}
