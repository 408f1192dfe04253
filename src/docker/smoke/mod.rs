//! `trm-ci smoke`: boots the image for real next to its own Postgres, on its own network (the
//! container stack, [`super::stack`]), and runs the scenarios: cold, warm, image facts, db-init
//! fault, schema fault.
//!
//! Adding a scenario: a module beside these with `async fn run(ctx: &Ctx, shared: &mut Shared) ->
//! Scenario`, a variant in [`Kind`] (its name and place in [`Kind::ALL`], which is the run order),
//! and its arm in [`run_one`]. A scenario records typed [`Check`]s through [`Recorder`] and never
//! prints.
//!
//! Kills are deterministic: the scenario follows the container's log stream and kills Postgres
//! when the step's marker line appears (see [`faults`]).

mod baseline;
mod cold;
mod faults;
mod image_facts;
mod warm;

use super::engine::{fmt_size, is_not_found, random_hex, short_err};
use super::stack::{self, Stack, StackOptions, StepStart, Tracker};
use bollard::models::HealthConfig;
use bollard::Docker;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const HEALTH_INTERVAL_S: i64 = 1;

/// Every scenario, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Empty database: db-init applies every file, the schema applies, healthy, pong, admin, collections.
    Cold,
    /// The cold container restarted on the same database: nothing applied, no changes, healthy.
    Warm,
    /// uid 1000, ownership of db-init/ and snapshots/, no ENV of its own.
    ImageFacts,
    /// Postgres killed while a migration runs: the container exits non-zero naming db-init.
    DbInitFault,
    /// Postgres killed in the schema step: the container exits non-zero naming the schema step.
    SchemaFault,
}

impl Kind {
    /// The run order.
    pub const ALL: [Kind; 5] = [Kind::Cold, Kind::Warm, Kind::ImageFacts, Kind::DbInitFault, Kind::SchemaFault];

    /// The name `--only` takes and the report shows.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cold => "cold",
            Kind::Warm => "warm",
            Kind::ImageFacts => "image-facts",
            Kind::DbInitFault => "db-init-fault",
            Kind::SchemaFault => "schema-fault",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Scenarios that must run first (warm restarts cold's container).
    fn needs(self) -> &'static [Kind] {
        match self {
            Kind::Warm => &[Kind::Cold],
            _ => &[],
        }
    }

    /// Whether it uses the app container cold/warm left running (others stop it first).
    fn uses_running_app(self) -> bool {
        matches!(self, Kind::Cold | Kind::Warm | Kind::ImageFacts)
    }
}

/// The scenarios to run for `--only` (empty: all), with what they need, in run order.
pub fn plan(only: &[Kind]) -> Vec<Kind> {
    if only.is_empty() {
        return Kind::ALL.to_vec();
    }
    Kind::ALL.into_iter().filter(|k| only.contains(k) || only.iter().any(|o| o.needs().contains(k))).collect()
}

/// What smoke is run with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository (db-init/, the snapshot and the Dockerfile are read from it for the expectations).
    pub repo: PathBuf,
    /// The image to boot.
    pub image: String,
    /// The PostgreSQL image; it must honour POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.
    pub postgres_image: String,
    /// Leave everything for debugging.
    pub keep: bool,
    /// Run only these (empty: all).
    pub only: Vec<Kind>,
    /// Also time the base image's plain boot.
    pub baseline: bool,
    /// The base image for the baseline and the ENV comparison (default: the Dockerfile's FROM).
    pub base_image: Option<String>,
    pub boot_timeout: Duration,
    pub fault_timeout: Duration,
}

/// One check a scenario made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum Check {
    /// Verified and it held.
    Pass(String),
    /// Verified and it did not hold: the scenario fails.
    Fail(String),
    /// How a check was made (neither pass nor fail).
    Note(String),
    /// When each entrypoint step began, in seconds after the container start.
    Steps(Vec<StepStart>),
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub ok: bool,
    pub seconds: f64,
    pub time_to_healthy: Option<f64>,
    pub time_to_pong: Option<f64>,
    pub checks: Vec<Check>,
    /// The failed checks' details joined with `; ` (None when it passed).
    pub failure: Option<String>,
    /// The container's last log lines when it failed.
    pub log_tail: Vec<String>,
}

/// The base image's own plain boot (bootstrap then start), for the ratios.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Baseline {
    pub base_image: String,
    pub plain_cold_pong: Option<f64>,
    pub plain_warm_pong: Option<f64>,
    pub cold_pong: Option<f64>,
    pub warm_pong: Option<f64>,
    pub cold_healthy: Option<f64>,
    pub warm_healthy: Option<f64>,
    pub cold_ratio: Option<f64>,
    pub warm_ratio: Option<f64>,
    pub cold_healthy_ratio: Option<f64>,
    pub warm_healthy_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct SmokeReport {
    pub ok: bool,
    pub image: String,
    pub postgres_image: String,
    pub healthcheck: Vec<String>,
    pub healthcheck_interval_image_s: f64,
    pub healthcheck_interval_used_s: f64,
    pub scenarios: Vec<Scenario>,
    pub baseline: Option<Baseline>,
    pub kept: Option<String>,
}

/// Builds one [`Scenario`]: checks in order, then [`Recorder::finish`].
pub struct Recorder {
    s: Scenario,
    started: Instant,
}

impl Recorder {
    pub fn new(kind: Kind) -> Recorder {
        Recorder { s: Scenario { name: kind.name().into(), ..Default::default() }, started: Instant::now() }
    }
    pub fn pass(&mut self, detail: impl Into<String>) {
        self.s.checks.push(Check::Pass(detail.into()));
    }
    pub fn fail(&mut self, detail: impl Into<String>) {
        self.s.checks.push(Check::Fail(detail.into()));
    }
    pub fn note(&mut self, detail: impl Into<String>) {
        self.s.checks.push(Check::Note(detail.into()));
    }
    /// The step start times of a boot (nothing when it printed no step line).
    pub fn steps(&mut self, b: &stack::Boot) {
        let steps = b.step_starts();
        if !steps.is_empty() {
            self.s.checks.push(Check::Steps(steps));
        }
    }
    pub fn times(&mut self, b: &stack::Boot) {
        self.s.time_to_healthy = b.healthy;
        self.s.time_to_pong = b.pong;
    }
    /// Ends the scenario: it passed when no check failed; `tail` is kept only when it failed.
    pub fn finish(mut self, tail: Vec<String>) -> Scenario {
        self.s.seconds = stack::secs(self.started.elapsed());
        let fails: Vec<&str> =
            self.s.checks.iter().filter_map(|c| if let Check::Fail(d) = c { Some(d.as_str()) } else { None }).collect();
        if !fails.is_empty() {
            self.s.failure = Some(fails.join("; "));
            self.s.log_tail = tail;
        }
        self.s.ok = self.s.failure.is_none();
        self.s
    }
    /// Ends the scenario with one failure (it could not be run).
    pub fn abort(mut self, why: impl Into<String>, tail: Vec<String>) -> Scenario {
        self.fail(why);
        self.finish(tail)
    }
}

/// What every scenario is run with.
pub struct Ctx {
    pub stack: Stack,
    pub opts: Options,
    /// The inspected image under test.
    pub image: bollard::models::ImageInspect,
    /// db-init/'s `.sql` files (name, bytes), sorted by name.
    pub db_init_files: Vec<(String, Vec<u8>)>,
    /// The snapshot's collection names, sorted.
    pub snapshot_collections: Vec<String>,
    /// The image the project's image is built FROM (`--base-image`, else the Dockerfile's).
    pub base: Option<String>,
}

/// What scenarios hand on to the ones after them.
pub struct Shared {
    /// The run's Postgres container (cold's database).
    pub pg: String,
    /// The app container cold creates and warm restarts.
    pub app: String,
    /// Whether `app` is running now.
    pub app_running: bool,
    /// How many log lines cold's boot printed (warm skips them); 0 when cold did not succeed.
    pub cold_lines: usize,
}

async fn run_one(kind: Kind, ctx: &Ctx, shared: &mut Shared) -> Scenario {
    match kind {
        Kind::Cold => cold::run(ctx, shared).await,
        Kind::Warm => warm::run(ctx, shared).await,
        Kind::ImageFacts => image_facts::run(ctx, shared).await,
        Kind::DbInitFault => faults::db_init(ctx, shared).await,
        Kind::SchemaFault => faults::schema(ctx, shared).await,
    }
}

/// Parses `[db-init] N applied, M skipped`.
fn db_init_counts(line: &str) -> Option<(u32, u32)> {
    let rest = &line[line.find("[db-init] ")? + 10..];
    let mut w = rest.split_whitespace();
    let n = w.next()?.parse().ok()?;
    if w.next()? != "applied," {
        return None;
    }
    let m = w.next()?.parse().ok()?;
    (w.next()? == "skipped").then_some((n, m))
}

/// The snapshot's collection names, read with the lint's snapshot model.
fn snapshot_collections(text: &str) -> Result<Vec<String>, String> {
    let src = crate::source::SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None);
    let s = crate::model::snapshot::Snapshot::parse(&src);
    if let Some(e) = s.errors.first() {
        return Err(format!("snapshots/snapshot.yaml: {}", e.message));
    }
    let mut names: Vec<String> = s.collection_names().into_iter().map(String::from).collect();
    names.sort();
    Ok(names)
}

/// Runs smoke; the exit code.
pub async fn run(docker: Docker, opts: &Options) -> (i32, Option<SmokeReport>) {
    let run_id = random_hex(4);
    let keep = opts.keep;
    let g = stack::guarded(
        &docker,
        keep,
        |tracker| prepare_and_run(docker.clone(), opts.clone(), run_id.clone(), tracker),
        || eprintln!("\n[smoke] interrupted (Ctrl-C){}", if keep { "" } else { ": cleaning up" }),
    );
    let g = g.await;
    match &g.kept {
        Some(cmd) if !cmd.is_empty() => outln!("[smoke] --keep: left for debugging; remove with:\n  {cmd}"),
        _ => {}
    }
    for p in &g.cleanup_problems {
        eprintln!("[smoke] cleanup: {p}");
    }
    match g.outcome {
        None => (130, None),
        Some(Err((code, msg))) => {
            eprintln!("{msg}");
            (code, None)
        }
        Some(Ok(mut report)) => {
            if keep {
                report.kept = g.kept;
            }
            (if report.ok { 0 } else { 1 }, Some(report))
        }
    }
}

type Fatal = (i32, String);

async fn prepare_and_run(docker: Docker, opts: Options, run: String, tracker: Tracker) -> Result<SmokeReport, Fatal> {
    let env_err = |m: String| (2, format!("trm-ci smoke: {m}"));
    // The images must be local: there is no registry to pull from.
    let image = match docker.inspect_image(&opts.image).await {
        Ok(i) => i,
        Err(e) if is_not_found(&e) => {
            return Err(env_err(format!("the image {} is not on this engine; build it first with `trm-ci build --tag {}`", opts.image, opts.image)))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", opts.image, short_err(&e)))),
    };
    match docker.inspect_image(&opts.postgres_image).await {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => {
            return Err(env_err(format!(
                "the Postgres image {} is not on this engine and nothing is pulled here; pass --postgres-image with a local image \
                 that honours POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB (CI builds one; see TRM_POSTGRES_IMAGE)",
                opts.postgres_image
            )))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", opts.postgres_image, short_err(&e)))),
    }
    let cfg = image.config.clone().unwrap_or_default();
    let Some(image_health) = cfg.healthcheck.clone().filter(|h| h.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE")) else {
        return Err((1, format!("trm-ci smoke: FAIL: the image {} has no HEALTHCHECK; the Dockerfile must declare one", opts.image)));
    };
    let repo = opts.repo.clone();
    let mut db_init_files = Vec::new();
    let dir = repo.join("db-init");
    let rd = std::fs::read_dir(&dir).map_err(|e| env_err(format!("reading {}: {e}; pass --repo DIR", dir.display())))?;
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.ends_with(".sql") {
            let bytes = std::fs::read(e.path()).map_err(|er| env_err(format!("reading {}: {er}", e.path().display())))?;
            db_init_files.push((n, bytes));
        }
    }
    db_init_files.sort();
    let snap_path = repo.join("snapshots/snapshot.yaml");
    let snap = std::fs::read_to_string(&snap_path).map_err(|e| env_err(format!("reading {}: {e}", snap_path.display())))?;
    let snapshot_collections = snapshot_collections(&snap).map_err(env_err)?;

    let image_interval = image_health.interval.unwrap_or(30_000_000_000);
    let health = HealthConfig { interval: Some(HEALTH_INTERVAL_S * 1_000_000_000), ..image_health.clone() };
    let mut report = SmokeReport {
        image: opts.image.clone(),
        postgres_image: opts.postgres_image.clone(),
        healthcheck: image_health.test.clone().unwrap_or_default(),
        healthcheck_interval_image_s: image_interval as f64 / 1e9,
        healthcheck_interval_used_s: HEALTH_INTERVAL_S as f64,
        ..Default::default()
    };
    outln!(
        "[smoke] run {run}: image {} ({}), Postgres {}; {}",
        opts.image,
        image.size.map(fmt_size).unwrap_or_default(),
        opts.postgres_image,
        super::engine::describe(&docker).await
    );
    outln!(
        "[smoke] HEALTHCHECK: the image's own command {:?}; its interval ({} s) is overridden to {} s in the container's HealthConfig to poll faster",
        report.healthcheck, report.healthcheck_interval_image_s, HEALTH_INTERVAL_S
    );

    let stack = Stack::create(
        docker.clone(),
        tracker,
        StackOptions {
            kind: "smoke",
            run: run.clone(),
            postgres_image: opts.postgres_image.clone(),
            health,
            boot_timeout: opts.boot_timeout,
        },
    )
    .await
    .map_err(env_err)?;
    let base = opts
        .base_image
        .clone()
        .or_else(|| std::fs::read_to_string(repo.join("Dockerfile")).ok().and_then(|d| super::build::base_image(&d)));
    let ctx = Ctx { stack, opts: opts.clone(), image, db_init_files, snapshot_collections, base };

    let pg = ctx.stack.start_postgres("pg").await.map_err(env_err)?;

    let mut base_for_baseline = None;
    if opts.baseline {
        match ctx.base.clone() {
            Some(b) => {
                outln!("[smoke] baseline: the base image {b}'s plain boot (bootstrap then start) on an empty database");
                base_for_baseline = Some(baseline::run(&ctx, &pg, &b).await);
            }
            None => outln!("[smoke] baseline: no base image (no Dockerfile FROM; pass --base-image)"),
        }
    }

    let mut shared = Shared { app: ctx.stack.name("app"), pg, app_running: false, cold_lines: 0 };
    for kind in plan(&opts.only) {
        if !kind.uses_running_app() && shared.app_running {
            ctx.stack.stop(&shared.app).await;
            shared.app_running = false;
        }
        let s = run_one(kind, &ctx, &mut shared).await;
        print_scenario(&s);
        report.scenarios.push(s);
    }
    if let Some(b) = base_for_baseline {
        report.baseline = Some(baseline::compare(b, &report.scenarios));
    }
    report.ok = !report.scenarios.is_empty() && report.scenarios.iter().all(|s| s.ok);
    let passed = report.scenarios.iter().filter(|s| s.ok).count();
    outln!(
        "[smoke] {}: {passed} of {} scenarios passed",
        if report.ok { "PASS" } else { "FAIL" },
        report.scenarios.len()
    );
    Ok(report)
}

/// `db-init +0.1 s, schema +0.9 s, start +6.0 s`.
fn step_times(steps: &[StepStart]) -> String {
    steps.iter().map(|s| format!("{} +{:.1} s", s.step, s.after)).collect::<Vec<_>>().join(", ")
}

fn print_scenario(s: &Scenario) {
    let mut times = Vec::new();
    if let Some(h) = s.time_to_healthy {
        times.push(format!("healthy {h:.1} s"));
    }
    if let Some(p) = s.time_to_pong {
        times.push(format!("pong {p:.1} s"));
    }
    outln!(
        "[smoke] {:<14} {}  {:.1} s{}",
        s.name,
        if s.ok { "PASS" } else { "FAIL" },
        s.seconds,
        if times.is_empty() { String::new() } else { format!(" ({})", times.join(", ")) }
    );
    for c in &s.checks {
        match c {
            Check::Pass(d) => outln!("    ok  {d}"),
            Check::Note(d) => outln!("    {d}"),
            Check::Steps(steps) => outln!("        steps began at: {} (after the container start)", step_times(steps)),
            Check::Fail(_) => {}
        }
    }
    if let Some(f) = &s.failure {
        outln!("    FAILED: {f}");
        if !s.log_tail.is_empty() {
            outln!("    last log lines:");
            for l in &s.log_tail {
                outln!("      | {l}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(db_init_counts("[db-init] 3 applied, 0 skipped"), Some((3, 0)));
        assert_eq!(db_init_counts("x [db-init] 0 applied, 3 skipped"), Some((0, 3)));
        assert_eq!(db_init_counts("[db-init] ERROR: 0001.sql: boom"), None);
    }

    #[test]
    fn snapshot_names() {
        let y = "version: 1\ncollections:\n  - collection: b\n    meta: {}\n  - collection: a\nfields: []\n";
        assert_eq!(snapshot_collections(y).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn plan_adds_what_a_scenario_needs_in_run_order() {
        assert_eq!(plan(&[]), Kind::ALL.to_vec());
        assert_eq!(plan(&[Kind::Warm]), vec![Kind::Cold, Kind::Warm]);
        assert_eq!(plan(&[Kind::SchemaFault, Kind::Cold]), vec![Kind::Cold, Kind::SchemaFault]);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
        assert_eq!(Kind::parse("tepid"), None);
    }

    #[test]
    fn a_scenario_fails_exactly_when_a_check_fails() {
        let mut r = Recorder::new(Kind::Cold);
        r.pass("a");
        r.note("b");
        let s = r.finish(vec!["log".into()]);
        assert!(s.ok && s.failure.is_none() && s.log_tail.is_empty());
        let mut r = Recorder::new(Kind::Warm);
        r.fail("x");
        r.pass("a");
        r.fail("y");
        let s = r.finish(vec!["log".into()]);
        assert!(!s.ok);
        assert_eq!(s.failure.as_deref(), Some("x; y"));
        assert_eq!(s.log_tail, vec!["log".to_string()]);
    }
}
