//! `trm-ci smoke`: boots the image for real next to its own Postgres, on its own network (the
//! container stack, [`super::stack`]), and runs the scenarios: cold, warm, image facts, stop,
//! crash, db-init fault, schema fault; and, only when `--only` names them (three Directus at
//! once cost minutes on a small runner), the replica scenarios: replicas, kill-leader,
//! stale-replica.
//!
//! Adding a scenario: a module beside these with `async fn run(ctx: &Ctx, shared: &mut Shared) ->
//! Scenario`, a variant in [`Kind`] (its name and place in [`Kind::ALL`], which is the run order),
//! and its arm in [`run_one`]. A scenario records typed [`Check`]s through [`Recorder`]
//! (src/docker/recorder.rs) and never prints; each finished one goes to the caller's callback.
//!
//! Kills are deterministic: the scenario follows the container's log stream and kills Postgres
//! when the step's marker line appears (see [`faults`]).

mod baseline;
mod cold;
mod crash;
mod faults;
mod image_facts;
mod kill_leader;
mod replicas;
mod stale_replica;
mod stop;
mod warm;

use super::engine::{is_not_found, random_hex, short_err};
use crate::units::fmt_size;
use super::stack::{self, Guarded, Stack, StackOptions, Tracker, Unfinished};
use crate::config::Paths;
use crate::progress::Progress;
pub use super::recorder::Recorder;
pub use crate::results::{Baseline, Check, ReplicaTimes, Scenario, Smoke};
use bollard::models::HealthConfig;
use bollard::Docker;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// `docker stop` on the healthy container: Directus's own shutdown, exit 0 or 143 within
    /// 10 s; then a warm boot on the same database is healthy.
    Stop,
    /// The Directus process (not PID 1) killed inside the container: the container ends non-zero.
    Crash,
    /// Postgres killed while a migration runs: the container exits non-zero naming db-init.
    DbInitFault,
    /// Postgres killed in the schema step: the container exits non-zero naming the schema step.
    SchemaFault,
    /// Three replicas started at once on one empty database, then restarted at once: all
    /// healthy, one admin, no duplicate ledger row, the snapshot's collections.
    Replicas,
    /// The replica holding the schema lock killed mid-bootstrap: the others complete the
    /// install or fail loudly, never healthy with no admin.
    KillLeader,
    /// An older snapshot booted after a newer one was applied: the schema is not reverted.
    StaleReplica,
}

impl Kind {
    /// The run order.
    pub const ALL: [Kind; 10] = [
        Kind::Cold,
        Kind::Warm,
        Kind::ImageFacts,
        Kind::Stop,
        Kind::Crash,
        Kind::DbInitFault,
        Kind::SchemaFault,
        Kind::Replicas,
        Kind::KillLeader,
        Kind::StaleReplica,
    ];

    /// What runs without `--only`: every scenario but the replica ones, which boot three
    /// Directus at once (or one three times) and run only when named.
    pub const DEFAULT: [Kind; 7] =
        [Kind::Cold, Kind::Warm, Kind::ImageFacts, Kind::Stop, Kind::Crash, Kind::DbInitFault, Kind::SchemaFault];

    /// The name `--only` takes and the report shows.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cold => "cold",
            Kind::Warm => "warm",
            Kind::ImageFacts => "image-facts",
            Kind::Stop => "stop",
            Kind::Crash => "crash",
            Kind::DbInitFault => "db-init-fault",
            Kind::SchemaFault => "schema-fault",
            Kind::Replicas => "replicas",
            Kind::KillLeader => "kill-leader",
            Kind::StaleReplica => "stale-replica",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Scenarios that must run first (warm restarts cold's container; stop and crash need the
    /// healthy container warm leaves running).
    fn needs(self) -> &'static [Kind] {
        match self {
            Kind::Warm => &[Kind::Cold],
            Kind::Stop | Kind::Crash => &[Kind::Cold, Kind::Warm],
            // one replica's times, to set the three's against
            Kind::Replicas => &[Kind::Cold, Kind::Warm],
            _ => &[],
        }
    }

    /// Whether it uses the app container cold/warm left running (others stop it first).
    fn uses_running_app(self) -> bool {
        matches!(self, Kind::Cold | Kind::Warm | Kind::ImageFacts | Kind::Stop | Kind::Crash)
    }
}

/// The scenarios to run for `--only` (empty: [`Kind::DEFAULT`]), with what they need, in run order.
pub fn plan(only: &[Kind]) -> Vec<Kind> {
    if only.is_empty() {
        return Kind::DEFAULT.to_vec();
    }
    Kind::ALL.into_iter().filter(|k| only.contains(k) || only.iter().any(|o| o.needs().contains(k))).collect()
}

/// What smoke is run with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository: its migrations, snapshot and Dockerfile are read for the expectations.
    pub repo: PathBuf,
    /// Where they are in it (`[paths]` of its trm-ci.toml).
    pub paths: Paths,
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
    /// When the Postgres image is pulled (the image itself never is: it is the tree's).
    pub pull: super::pull::Policy,
    /// Refuse an image whose context label is not `repo`'s (false: the caller just built it).
    pub check_tree: bool,
}

impl Recorder {
    /// A smoke scenario of `kind`, timed from now.
    pub fn new(kind: Kind) -> Recorder {
        Recorder::named(kind.name())
    }
}

/// What the repository says a boot must show, read from the configured paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectations {
    /// The migrations directory as configured (`db-init`), for messages.
    pub migrations_dir: String,
    /// Its `.sql` files (name, bytes), sorted by name.
    pub db_init_files: Vec<(String, Vec<u8>)>,
    /// The post-schema directory as configured (`db-post`), for messages.
    pub post_dir: String,
    /// Its `.sql` file names, sorted (none when the repository has no such directory).
    pub db_post_files: Vec<String>,
    /// The snapshot's collection names, sorted.
    pub snapshot_collections: Vec<String>,
    /// The snapshot's path (as configured) and its text.
    pub snapshot_path: String,
    pub snapshot_text: String,
    /// The Dockerfile's final base image, when it has one.
    pub dockerfile_base: Option<String>,
}

impl Expectations {
    /// Reads the migrations, the snapshot and the Dockerfile where `paths` puts them under `repo`,
    /// inside the repository boundary (src/boundary.rs): a link out of it or a FIFO is an error,
    /// never read.
    pub fn read(repo: &Path, paths: &Paths) -> Result<Expectations, String> {
        if !repo.join(&paths.migrations).is_dir() {
            return Err(format!("reading {}: not a directory; pass --repo DIR", repo.join(&paths.migrations).display()));
        }
        let files = crate::repo::from_worktree(repo, paths)?;
        let readable = |f: &crate::source::SourceFile| match f.refusal() {
            Some(r) => Err(format!("reading {}: {}: not read", f.path, r.describe())),
            None => Ok(()),
        };
        let name = |f: &crate::source::SourceFile| f.path.rsplit('/').next().unwrap_or("").to_string();
        let mut db_init_files = Vec::new();
        for f in files.children(&crate::repo::normalize(&paths.migrations)).filter(|f| f.path.ends_with(".sql")) {
            readable(f)?;
            db_init_files.push((name(f), f.bytes.clone()));
        }
        db_init_files.sort();
        let mut db_post_files: Vec<String> = files.children(&crate::repo::normalize(&paths.post_migrations)).map(name).filter(|n| n.ends_with(".sql")).collect();
        db_post_files.sort();
        let snap_file = files.get(&crate::repo::normalize(&paths.snapshot)).ok_or_else(|| format!("reading {}: no such file", paths.snapshot))?;
        readable(snap_file)?;
        let snap = snap_file.text().map_err(|why| format!("reading {}: {}", paths.snapshot, why.describe()))?.to_string();
        let snapshot_collections = snapshot_collections(&paths.snapshot, &snap)?;
        let dockerfile_base =
            files.get(&crate::repo::normalize(&paths.dockerfile)).and_then(|f| f.text().ok()).and_then(super::builder::base_image);
        Ok(Expectations {
            migrations_dir: paths.migrations.trim_end_matches('/').to_string(),
            db_init_files,
            post_dir: paths.post_migrations.trim_end_matches('/').to_string(),
            db_post_files,
            snapshot_collections,
            snapshot_path: paths.snapshot.clone(),
            snapshot_text: snap,
            dockerfile_base,
        })
    }
}

/// What every scenario is run with.
pub struct Ctx {
    pub stack: Stack,
    pub opts: Options,
    /// The inspected image under test.
    pub image: bollard::models::ImageInspect,
    pub expect: Expectations,
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
    /// The cold and warm scenarios' times to healthy (one replica), when they ran.
    pub one_cold: Option<f64>,
    pub one_warm: Option<f64>,
}

async fn run_one(kind: Kind, ctx: &Ctx, shared: &mut Shared) -> Scenario {
    match kind {
        Kind::Cold => cold::run(ctx, shared).await,
        Kind::Warm => warm::run(ctx, shared).await,
        Kind::ImageFacts => image_facts::run(ctx, shared).await,
        Kind::Stop => stop::run(ctx, shared).await,
        Kind::Crash => crash::run(ctx, shared).await,
        Kind::DbInitFault => faults::db_init(ctx, shared).await,
        Kind::SchemaFault => faults::schema(ctx, shared).await,
        Kind::Replicas => replicas::run(ctx, shared).await,
        Kind::KillLeader => kill_leader::run(ctx, shared).await,
        Kind::StaleReplica => stale_replica::run(ctx, shared).await,
    }
}

/// Parses `[db-init] N applied, M skipped`.
fn db_init_counts(line: &str) -> Option<(u32, u32)> {
    step_counts("db-init", line)
}

/// Parses `[db-post] N applied, M skipped`.
fn db_post_counts(line: &str) -> Option<(u32, u32)> {
    step_counts("db-post", line)
}

/// Parses `[<step>] N applied, M skipped` (the SQL runner's result line).
fn step_counts(step: &str, line: &str) -> Option<(u32, u32)> {
    let tag = format!("[{step}] ");
    let rest = &line[line.find(&tag)? + tag.len()..];
    let mut w = rest.split_whitespace();
    let n = w.next()?.parse().ok()?;
    if w.next()? != "applied," {
        return None;
    }
    let m = w.next()?.parse().ok()?;
    (w.next()? == "skipped").then_some((n, m))
}

/// The snapshot's collection names, read with the lint's snapshot model.
fn snapshot_collections(path: &str, text: &str) -> Result<Vec<String>, String> {
    let src = crate::source::SourceFile::new(path, text.as_bytes().to_vec(), None);
    let s = crate::model::snapshot::Snapshot::parse(&src);
    if let Some(e) = s.errors.first() {
        return Err(format!("{path}: {}", e.message));
    }
    let mut names: Vec<String> = s.collection_names().into_iter().map(String::from).collect();
    names.sort();
    Ok(names)
}

/// Runs smoke: the stack, the selected scenarios, cleanup. Progress goes to `progress`, each
/// finished scenario to `on_scenario`; the report is returned, never printed.
pub async fn run(docker: Docker, opts: &Options, progress: &Progress, on_scenario: &mut dyn FnMut(&Scenario)) -> Guarded<Smoke> {
    let run_id = random_hex(4);
    let keep = opts.keep;
    let mut g = stack::guarded(
        &docker,
        keep,
        |tracker| prepare_and_run(docker.clone(), opts.clone(), run_id.clone(), tracker, progress, on_scenario),
        || progress.warn(&format!("\n[smoke] interrupted (Ctrl-C){}", if keep { "" } else { ": cleaning up" })),
    )
    .await;
    if let Ok(report) = &mut g.outcome {
        report.kept = g.kept.clone();
    }
    g
}

async fn prepare_and_run(
    docker: Docker,
    opts: Options,
    run: String,
    tracker: Tracker,
    progress: &Progress,
    on_scenario: &mut dyn FnMut(&Scenario),
) -> Result<Smoke, Unfinished> {
    let env_err = |m: String| Unfinished::Environment(format!("trm-ci smoke: {m}"));
    // The image of the tree: built by `trm-ci build` here (never pulled), from the context
    // smoke judges; Postgres is pulled when the engine lacks it (--pull).
    let image = match docker.inspect_image(&opts.image).await {
        Ok(i) => i,
        Err(e) if is_not_found(&e) => {
            return Err(env_err(format!(
                "the image {} is not on this engine; build it first with `trm-ci build --tag {}`, or pass --build",
                opts.image, opts.image
            )))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", opts.image, short_err(&e)))),
    };
    if opts.check_tree {
        let labels = image.config.as_ref().and_then(|c| c.labels.as_ref());
        super::tree_label::check(&opts.image, labels, &opts.repo, &opts.paths.dockerfile).map_err(env_err)?;
    }
    super::pull::ensure(&docker, &opts.postgres_image, opts.pull, progress).await.map_err(env_err)?;
    let cfg = image.config.clone().unwrap_or_default();
    let Some(image_health) = cfg.healthcheck.clone().filter(|h| h.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE")) else {
        return Err(Unfinished::Unfit(format!(
            "trm-ci smoke: FAIL: the image {} has no HEALTHCHECK; the Dockerfile must declare one",
            opts.image
        )));
    };
    let expect = Expectations::read(&opts.repo, &opts.paths).map_err(env_err)?;
    // image-facts compares the ENV with the base image's and --baseline boots it: pulled too.
    if let Some(b) = opts.base_image.as_ref().or(expect.dockerfile_base.as_ref()) {
        if opts.baseline || plan(&opts.only).contains(&Kind::ImageFacts) {
            super::pull::ensure(&docker, b, opts.pull, progress).await.map_err(env_err)?;
        }
    }

    let image_interval = image_health.interval.unwrap_or(30_000_000_000);
    let health = HealthConfig { interval: Some(HEALTH_INTERVAL_S * 1_000_000_000), ..image_health.clone() };
    let mut report = Smoke {
        image: opts.image.clone(),
        postgres_image: opts.postgres_image.clone(),
        healthcheck: image_health.test.clone().unwrap_or_default(),
        healthcheck_interval_image_s: image_interval as f64 / 1e9,
        healthcheck_interval_used_s: HEALTH_INTERVAL_S as f64,
        ..Default::default()
    };
    progress.line(&format!(
        "[smoke] run {run}: image {} ({}), Postgres {}; {}",
        opts.image,
        image.size.map(fmt_size).unwrap_or_default(),
        opts.postgres_image,
        super::engine::describe(&docker).await
    ));
    progress.line(&format!(
        "[smoke] HEALTHCHECK: the image's own command {:?}; its interval ({} s) is overridden to {} s in the container's HealthConfig to poll faster",
        report.healthcheck, report.healthcheck_interval_image_s, HEALTH_INTERVAL_S
    ));

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
    let base = opts.base_image.clone().or_else(|| expect.dockerfile_base.clone());
    let ctx = Ctx { stack, opts: opts.clone(), image, expect, base };

    let pg = ctx.stack.start_postgres("pg").await.map_err(env_err)?;

    let mut base_for_baseline = None;
    if opts.baseline {
        match ctx.base.clone() {
            Some(b) => {
                progress.line(&format!("[smoke] baseline: the base image {b}'s plain boot (bootstrap then start) on an empty database"));
                base_for_baseline = Some(baseline::run(&ctx, &pg, &b, progress).await);
            }
            None => progress.line("[smoke] baseline: no base image (no Dockerfile FROM; pass --base-image)"),
        }
    }

    let mut shared = Shared { app: ctx.stack.name("app"), pg, app_running: false, cold_lines: 0, one_cold: None, one_warm: None };
    for kind in plan(&opts.only) {
        if !kind.uses_running_app() && shared.app_running {
            ctx.stack.stop(&shared.app).await;
            shared.app_running = false;
        }
        let s = run_one(kind, &ctx, &mut shared).await;
        match kind {
            Kind::Cold if s.ok => shared.one_cold = s.time_to_healthy,
            Kind::Warm if s.ok => shared.one_warm = s.time_to_healthy,
            _ => {}
        }
        on_scenario(&s);
        report.scenarios.push(s);
    }
    if let Some(b) = base_for_baseline {
        report.baseline = Some(baseline::compare(b, &report.scenarios));
    }
    report.ok = !report.scenarios.is_empty() && report.scenarios.iter().all(|s| s.ok);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(db_init_counts("[db-init] 3 applied, 0 skipped"), Some((3, 0)));
        assert_eq!(db_init_counts("x [db-init] 0 applied, 3 skipped"), Some((0, 3)));
        assert_eq!(db_init_counts("[db-init] ERROR: 0001.sql: boom"), None);
        assert_eq!(db_post_counts("[db-post] 1 applied, 0 skipped"), Some((1, 0)));
        assert_eq!(db_post_counts("[db-init] 1 applied, 0 skipped"), None);
        assert_eq!(db_init_counts("[db-post] 1 applied, 0 skipped"), None);
    }

    #[test]
    fn snapshot_names() {
        let y = "version: 1\ncollections:\n  - collection: b\n    meta: {}\n  - collection: a\nfields: []\n";
        assert_eq!(snapshot_collections("s.yaml", y).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn plan_adds_what_a_scenario_needs_in_run_order() {
        assert_eq!(plan(&[]), Kind::DEFAULT.to_vec());
        assert!(!plan(&[]).contains(&Kind::Replicas), "the replica scenarios run only when named");
        assert_eq!(plan(&[Kind::StaleReplica, Kind::Replicas]), vec![Kind::Cold, Kind::Warm, Kind::Replicas, Kind::StaleReplica]);
        assert_eq!(plan(&[Kind::KillLeader]), vec![Kind::KillLeader]);
        assert_eq!(plan(&[Kind::Warm]), vec![Kind::Cold, Kind::Warm]);
        assert_eq!(plan(&[Kind::SchemaFault, Kind::Cold]), vec![Kind::Cold, Kind::SchemaFault]);
        assert_eq!(plan(&[Kind::Crash]), vec![Kind::Cold, Kind::Warm, Kind::Crash]);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
        assert_eq!(Kind::parse("tepid"), None);
    }

    #[test]
    fn a_scenario_fails_exactly_when_a_check_fails() {
        use crate::results::fact::BootFact;
        let mut r = Recorder::new(Kind::Cold);
        r.pass(BootFact::AdminServed);
        r.note(BootFact::DirectusPid { pid: "7".into(), pid1: None });
        let s = r.finish(vec!["log".into()]);
        assert!(s.ok && s.failure.is_none() && s.log_tail.is_empty());
        let mut r = Recorder::new(Kind::Warm);
        r.fail(BootFact::SchemaNotApplied);
        r.pass(BootFact::Restarted);
        r.fail(BootFact::SchemaUnchangedMissing);
        let s = r.finish(vec!["log".into()]);
        assert!(!s.ok);
        assert_eq!(s.checks.iter().filter(|c| c.failed()).count(), 2);
        assert_eq!(s.log_tail, vec!["log".to_string()]);
    }
}
