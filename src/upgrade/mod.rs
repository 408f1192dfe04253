//! The upgrade drill (`trm-ci smoke --upgrade-from REF`): does the head's image come up on the
//! database the base revision's image left behind, full of rows, and is every row still there?
//!
//! 1. `build-base`: the image of REF, built from its tree (exported with git2 to a temporary
//!    folder, the same build context and build as `trm-ci build`), tagged by the tree's hash
//!    (`trm-directus:base-<tree>`), so a second run finds it and says "cached".
//! 2. `boot-base`: that image on a fresh database (the container stack of src/docker/stack.rs).
//! 3. `seed`: rows in every table collection of the base snapshot, through the REST API
//!    ([`seed`]).
//! 4. `fingerprint`: row counts, non-null values per column and a checksum per row over the
//!    columns both snapshots define ([`fingerprint`]).
//! 5. `stop-base`: `docker stop`, graceful.
//! 6. `boot-head`: the head's image on the same database: healthy; db-init applies exactly the
//!    head's new files; the schema step's plan is captured. A plan that deletes is refused by the
//!    boot itself unless `--allow-destructive` (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1).
//! 7. `verify`: the fingerprint again; every row preserved, or what was lost and dropped.
//! 8. `rollback`: the base image again on the upgraded database; its outcome is reported.
//!
//! Everything runs inside [`crate::docker::stack::guarded`]: containers, network and volumes are
//! removed on success, failure, Ctrl-C and SIGTERM (or left with `--keep`); the exported tree is
//! removed in every case.

pub mod fingerprint;
pub mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::HealthConfig;
use bollard::Docker;

use crate::config::Paths;
use crate::docker::stack::{self, Boot, Stack, StackOptions, Tracker, TAIL};
use crate::docker::BuildOptions;
use crate::model::schema_diff;
use crate::model::snapshot::Snapshot;
use crate::progress::Progress;
use crate::results::{Check, Rollback, RollbackOutcome, Scenario, Upgrade, UpgradeRows};

/// What the drill is run with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository (its git history holds REF; its work tree is the head).
    pub repo: PathBuf,
    pub paths: Paths,
    /// `--upgrade-from`: a branch, tag or commit.
    pub from: String,
    /// How the report names it (`main`, `main (1a2b3c4)`); usually `from` itself.
    pub label: String,
    /// The head's image (built by `trm-ci build` from the work tree).
    pub image: String,
    pub postgres_image: String,
    /// Rows per collection.
    pub seed_rows: usize,
    /// Boot the head with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1.
    pub allow_destructive: bool,
    pub keep: bool,
    pub boot_timeout: Duration,
    /// When the Postgres image and the base revision's base images are pulled.
    pub pull: crate::docker::PullPolicy,
    /// Refuse a head image whose context label is not the work tree's (false: the caller just
    /// built it).
    pub check_tree: bool,
}

/// How a drill ended.
#[derive(Debug)]
pub enum Outcome {
    /// The drill ran (its steps passed or one failed).
    Done(Upgrade),
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The engine, an image, REF or the repository is not usable (exit 2).
    Environment(String),
}

/// A finished drill and what became of what it created.
#[derive(Debug)]
pub struct Run {
    pub outcome: Outcome,
    pub kept: Option<String>,
    pub cleanup_problems: Vec<String>,
}

/// What the drill reads from git and the work tree before it touches the engine.
struct Inputs {
    from_commit: String,
    from_tree: git2::Oid,
    base_snapshot: Snapshot,
    head_snapshot: Snapshot,
    base_migrations: Vec<String>,
    head_migrations: Vec<String>,
}

fn env_err(m: impl std::fmt::Display) -> Outcome {
    Outcome::Environment(format!("trm-ci smoke --upgrade-from: {m}"))
}

fn parse_snapshot(path: &str, bytes: Vec<u8>) -> Result<Snapshot, String> {
    let src = crate::source::SourceFile::new(path, bytes, None);
    let s = Snapshot::parse(&src);
    match s.errors.first() {
        Some(e) => Err(format!("{path}: {}", e.message)),
        None => Ok(s),
    }
}

fn sql_names<'a>(files: impl Iterator<Item = &'a crate::source::SourceFile>) -> Vec<String> {
    let mut v: Vec<String> =
        files.map(|f| f.path.rsplit('/').next().unwrap_or(&f.path).to_string()).filter(|n| n.ends_with(".sql")).collect();
    v.sort();
    v
}

fn read_inputs(opts: &Options) -> Result<Inputs, String> {
    let repo = crate::repo::open(&opts.repo).ok_or_else(|| format!("{} is not in a git repository", opts.repo.display()))?;
    // resolve_base words its errors for `--base`; here the REF is `--upgrade-from`'s.
    let base = crate::repo::resolve_base(&repo, Some(&opts.from))
        .map_err(|e| e.replacen("--base ", "", 1))?
        .map_err(|e| e.to_string())?;
    let snap_path = &opts.paths.snapshot;
    let base_snap = crate::repo::file_in_tree(&repo, base.tree, snap_path)?
        .ok_or_else(|| format!("{} has no {snap_path}", opts.label))?;
    let base_snapshot = parse_snapshot(&format!("{}:{snap_path}", opts.label), base_snap.bytes.to_vec())?;
    let head_bytes = crate::repo::file_in_worktree(&opts.repo, snap_path)
        .map_err(|e| format!("reading {e}"))?
        .ok_or_else(|| format!("reading {snap_path}: no such file"))?
        .bytes;
    let head_snapshot = parse_snapshot(snap_path, head_bytes)?;
    let base_art = crate::repo::from_tree(&repo, base.tree, &opts.paths)?;
    let head_art = crate::repo::from_worktree(&opts.repo, &opts.paths)?;
    let dir = opts.paths.migrations.trim_end_matches('/');
    Ok(Inputs {
        from_commit: base.commit,
        from_tree: base.tree,
        base_snapshot,
        head_snapshot,
        base_migrations: sql_names(base_art.children(dir)),
        head_migrations: sql_names(head_art.children(dir)),
    })
}

/// Runs the drill on its own runtime: engine, stack, steps, cleanup. `Err` is the engine not
/// answering.
pub fn run(opts: &Options, progress: &Progress) -> Result<Run, String> {
    let inputs = match read_inputs(opts) {
        Ok(i) => i,
        Err(e) => return Ok(Run { outcome: env_err(e), kept: None, cleanup_problems: Vec::new() }),
    };
    let rt = crate::docker::engine::runtime()?;
    rt.block_on(async {
        let docker = crate::docker::engine::connect().await?;
        let run_id = crate::docker::engine::random_hex(4);
        let export = std::env::temp_dir().join(format!("trm-drill-{run_id}"));
        let keep = opts.keep;
        let g = stack::guarded(
            &docker,
            keep,
            |tracker| drill(docker.clone(), opts, &inputs, run_id.clone(), tracker, &export, progress),
            || progress.warn(&format!("\n[drill] interrupted (Ctrl-C){}", if keep { "" } else { ": cleaning up" })),
        )
        .await;
        let _ = std::fs::remove_dir_all(&export);
        let outcome = match g.outcome {
            None => Outcome::Interrupted,
            Some(Err(o)) => o,
            Some(Ok(mut u)) => {
                u.kept = g.kept.clone();
                Outcome::Done(u)
            }
        };
        Ok(Run { outcome, kept: g.kept, cleanup_problems: g.cleanup_problems })
    })
}

/// Builds one step's [`Scenario`].
struct Step {
    s: Scenario,
    started: Instant,
}

impl Step {
    fn new(name: &str) -> Step {
        Step { s: Scenario { name: name.into(), ..Default::default() }, started: Instant::now() }
    }
    fn pass(&mut self, d: impl Into<String>) {
        self.s.checks.push(Check::Pass(d.into()));
    }
    fn fail(&mut self, d: impl Into<String>) {
        self.s.checks.push(Check::Fail(d.into()));
    }
    fn note(&mut self, d: impl Into<String>) {
        self.s.checks.push(Check::Note(d.into()));
    }
    fn boot(&mut self, b: &Boot) {
        self.s.time_to_healthy = b.healthy;
        self.s.time_to_pong = b.pong;
        let steps = b.step_starts();
        if !steps.is_empty() {
            self.s.checks.push(Check::Steps(steps));
        }
    }
    fn finish(mut self, tail: Vec<String>) -> Scenario {
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
}

/// The drill's report as it grows; `push` shows each finished step.
struct Report<'p> {
    u: Upgrade,
    progress: &'p Progress,
}

impl Report<'_> {
    /// Records a finished step; whether it passed.
    fn push(&mut self, s: Scenario) -> bool {
        self.progress.line(crate::render::docker::scenario_as("drill", &s).trim_end_matches('\n'));
        let ok = s.ok;
        self.u.steps.push(s);
        ok
    }
}

/// The base image's tag: the tree's hash names its content.
pub fn base_tag(tree: &str) -> String {
    format!("trm-directus:base-{}", &tree[..tree.len().min(12)])
}

async fn drill(
    docker: Docker,
    opts: &Options,
    inputs: &Inputs,
    run: String,
    tracker: Tracker,
    export: &Path,
    progress: &Progress,
) -> Result<Upgrade, Outcome> {
    // The head's image: the image of the work tree (built by `trm-ci build`, never pulled);
    // Postgres is pulled when the engine lacks it (--pull).
    let head = match docker.inspect_image(&opts.image).await {
        Ok(i) => i,
        Err(e) if crate::docker::engine::is_not_found(&e) => {
            return Err(env_err(format!(
                "the image {} is not on this engine; build it first with `trm-ci build --tag {}`, or pass --build",
                opts.image, opts.image
            )))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", opts.image, crate::docker::engine::short_err(&e)))),
    };
    if opts.check_tree {
        let labels = head.config.as_ref().and_then(|c| c.labels.as_ref());
        crate::docker::tree_label::check(&opts.image, labels, &opts.repo, &opts.paths.dockerfile).map_err(env_err)?;
    }
    crate::docker::pull::ensure(&docker, &opts.postgres_image, opts.pull, progress).await.map_err(env_err)?;
    let Some(image_health) = head
        .config
        .as_ref()
        .and_then(|c| c.healthcheck.clone())
        .filter(|h| h.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE"))
    else {
        return Err(env_err(format!("the image {} has no HEALTHCHECK; the Dockerfile must declare one", opts.image)));
    };
    let from_image = base_tag(&inputs.from_tree.to_string());
    let diff = schema_diff::diff(&inputs.base_snapshot, &inputs.head_snapshot);
    let mut r = Report {
        u: Upgrade {
            from_image: Some(from_image.clone()),
            to_image: Some(opts.image.clone()),
            from: opts.label.clone(),
            from_revision: Some(inputs.from_commit.clone()),
            allow_destructive: opts.allow_destructive,
            seed_rows: opts.seed_rows,
            migrations_expected: inputs.head_migrations.iter().filter(|m| !inputs.base_migrations.contains(m)).cloned().collect(),
            changes: diff.changes,
            ..Default::default()
        },
        progress,
    };
    progress.line(&format!(
        "[drill] run {run}: upgrade from {} ({}) to {}; Postgres {}",
        opts.label,
        &inputs.from_commit[..7.min(inputs.from_commit.len())],
        opts.image,
        opts.postgres_image
    ));

    // 1. build-base
    let mut st = Step::new("build-base");
    match docker.inspect_image(&from_image).await {
        Ok(_) => {
            r.u.base_image_cached = true;
            st.pass(format!("{from_image}: cached (built earlier from the same tree {})", inputs.from_tree));
        }
        Err(_) => {
            let built = build_base(&docker, opts, inputs, &from_image, export, progress).await;
            let _ = std::fs::remove_dir_all(export);
            match built {
                Ok(b) if b.error.is_none() => st.pass(format!("built {from_image} from {}'s tree in {:.1} s", opts.label, b.build_seconds)),
                Ok(b) => {
                    let step = b.steps.last().map(|s| format!(" at step {}: {}", s.number, s.instruction)).unwrap_or_default();
                    st.fail(format!("building {}'s image failed{step}: {}", opts.label, b.error.unwrap_or_default().trim()));
                    let s = st.finish(b.error_output);
                    r.push(s);
                    return Ok(r.finish());
                }
                Err(e) => return Err(env_err(e)),
            }
        }
    }
    r.push(st.finish(vec![]));

    let health = HealthConfig { interval: Some(1_000_000_000), ..image_health };
    let stack = Stack::create(
        docker.clone(),
        tracker,
        StackOptions { kind: "drill", run, postgres_image: opts.postgres_image.clone(), health, boot_timeout: opts.boot_timeout },
    )
    .await
    .map_err(env_err)?;
    let pg = stack.start_postgres("pg").await.map_err(env_err)?;
    let env = stack.app_env(&pg, "directus");

    // 2. boot-base
    let mut st = Step::new("boot-base");
    let base_app = match stack.create_app("base", &from_image, env.clone(), None, true).await {
        Ok(n) => n,
        Err(e) => {
            st.fail(e);
            r.push(st.finish(vec![]));
            return Ok(r.finish());
        }
    };
    let b = stack.boot(&base_app, 0, true).await;
    st.boot(&b);
    match &b.failure {
        Some(f) => st.fail(format!("{}'s image on an empty database: {f}", opts.label)),
        None => st.pass(format!("{}'s image on an empty database: healthy, GET /server/ping answers pong", opts.label)),
    }
    if !r.push(st.finish(b.logs.tail(TAIL))) {
        return Ok(r.finish());
    }

    // 3. seed
    let mut st = Step::new("seed");
    let plan = seed::plan(&inputs.base_snapshot, opts.seed_rows);
    let seeded = match b.port {
        None => Err("the base container publishes no port".to_string()),
        Some(port) => match crate::directus::Client::login(port, &stack.secrets.admin_email, &stack.secrets.admin_password).await {
            Err(e) => Err(format!("logging in as the admin: {e}")),
            Ok(client) => seed::apply(&client, &plan).await,
        },
    };
    let seeded_rows = match seeded {
        Ok(s) => {
            let per: Vec<String> = plan
                .collections
                .iter()
                .map(|c| format!("{} {}", c.collection, s.keys.get(&c.collection).map(|k| k.len()).unwrap_or(0)))
                .collect();
            st.pass(format!("{} rows in {} collections through the REST API in {:.1} s ({})", s.rows, plan.collections.len(), s.seconds, per.join(", ")));
            if !plan.skipped.is_empty() {
                let why: Vec<String> = plan
                    .skipped
                    .iter()
                    .map(|k| format!("{}{}: {}", k.collection, k.field.as_deref().map(|f| format!(".{f}")).unwrap_or_default(), k.reason))
                    .collect();
                st.note(format!("left out of the seeding: {}", why.join("; ")));
            }
            s.rows
        }
        Err(e) => {
            st.fail(format!("seeding through the REST API: {e}"));
            r.push(st.finish(b.logs.tail(TAIL)));
            return Ok(r.finish());
        }
    };
    r.push(st.finish(vec![]));

    // 4. fingerprint: the base's tables, checksummed over the columns both snapshots define.
    let mut st = Step::new("fingerprint");
    let wanted = shared_columns(&inputs.base_snapshot, &inputs.head_snapshot);
    let before = match fingerprint::take(&stack, &pg, &wanted).await {
        Ok(f) => f,
        Err(e) => {
            st.fail(e);
            r.push(st.finish(vec![]));
            return Ok(r.finish());
        }
    };
    let rows_before: usize = before.tables.values().map(|t| t.rows).sum();
    st.pass(format!(
        "{rows_before} rows in {} tables; a checksum per row over the {} columns both snapshots define",
        before.tables.len(),
        before.tables.values().map(|t| t.compared.len()).sum::<usize>()
    ));
    r.push(st.finish(vec![]));
    r.u.rows = Some(UpgradeRows { seeded: seeded_rows, before: rows_before, ..Default::default() });

    // 5. stop-base
    let mut st = Step::new("stop-base");
    graceful_stop(&stack, &base_app, &mut st).await;
    if !r.push(st.finish(b.logs.tail(TAIL))) {
        return Ok(r.finish());
    }

    // 6. boot-head
    let mut st = Step::new("boot-head");
    let mut head_env = env.clone();
    if opts.allow_destructive {
        head_env.push("TRM_ALLOW_DESTRUCTIVE_SCHEMA=1".into());
    }
    let head_ok = match stack.create_app("head", &opts.image, head_env, None, true).await {
        Err(e) => {
            st.fail(e);
            r.push(st.finish(vec![]));
            None
        }
        Ok(head_app) => {
            let hb = stack.boot(&head_app, 0, true).await;
            st.boot(&hb);
            let lines = hb.logs.snapshot();
            match &hb.failure {
                Some(f) => st.fail(format!("the head's image on {}'s database: {f}", opts.label)),
                None => st.pass(format!("the head's image on {}'s database: healthy, GET /server/ping answers pong", opts.label)),
            }
            r.u.migrations_applied = applied_migrations(&lines);
            let (expected, applied) = (&r.u.migrations_expected, &r.u.migrations_applied);
            let summary = lines.iter().find(|l| l.contains("[db-init] ") && l.contains(" applied, ")).map(|l| l.trim().to_string());
            if applied == expected {
                st.pass(format!(
                    "db-init applied exactly the head's new files: [{}]{}",
                    applied.join(", "),
                    summary.map(|s| format!(" ({s})")).unwrap_or_default()
                ));
            } else if hb.failure.is_none() || !applied.is_empty() {
                st.fail(format!(
                    "db-init applied [{}], the head's new files are [{}]",
                    applied.join(", "),
                    expected.join(", ")
                ));
            }
            r.u.schema_plan = schema_plan(&lines);
            if !r.u.schema_plan.is_empty() {
                st.note(format!("the schema step: {}", r.u.schema_plan.join(" | ")));
            }
            let ok = r.push(st.finish(hb.logs.tail(TAIL)));
            Some((head_app, ok))
        }
    };

    // 7. verify: always, once the base's rows were fingerprinted.
    let mut st = Step::new("verify");
    let again: BTreeMap<String, Vec<String>> = before.tables.iter().map(|(n, t)| (n.clone(), t.compared.clone())).collect();
    match fingerprint::take(&stack, &pg, &again).await {
        Err(e) => st.fail(format!("reading the rows again: {e}")),
        Ok(after) => {
            let (tables, total, dropped) = fingerprint::compare(&before, &after);
            let dropped_words: Vec<String> = dropped.iter().map(dropped_word).collect();
            if total.lost == 0 && total.changed == 0 {
                st.pass(format!("all {} rows preserved with their values in the shared columns", total.before));
            } else {
                let words = format!(
                    "{} of {} rows preserved, {} with changed values, {} lost{}",
                    total.preserved,
                    total.before,
                    total.changed,
                    total.lost,
                    lost_where(&tables)
                );
                let only_opted_in_drops = total.changed == 0 && opts.allow_destructive && dropped.iter().all(|d| d.field.is_none())
                    && tables.iter().all(|t| t.lost == 0 || t.after.is_none());
                if only_opted_in_drops {
                    st.note(format!("{words} (dropped with --allow-destructive)"));
                } else {
                    st.fail(words);
                }
            }
            if !dropped.is_empty() {
                let msg = format!("dropped: {}", dropped_words.join(", "));
                if opts.allow_destructive {
                    st.note(format!("{msg} (--allow-destructive)"));
                } else {
                    st.fail(msg);
                }
            }
            let seeded = r.u.rows.as_ref().map(|x| x.seeded).unwrap_or(0);
            r.u.rows = Some(UpgradeRows { seeded, ..total });
            r.u.tables = tables;
            r.u.columns_dropped = dropped;
        }
    }
    r.push(st.finish(vec![]));

    // 8. rollback: the base image on the upgraded database (only when the head came up).
    let mut st = Step::new("rollback");
    match head_ok {
        Some((head_app, true)) => {
            let mut stop = Step::new("stop-head");
            graceful_stop(&stack, &head_app, &mut stop).await;
            let stop_line = stop.s.checks.iter().find_map(|c| match c {
                Check::Pass(d) | Check::Fail(d) => Some(d.clone()),
                _ => None,
            });
            if let Some(l) = stop_line {
                st.note(format!("the head: {l}"));
            }
            match stack.create_app("rollback", &from_image, env.clone(), None, true).await {
                Err(e) => st.fail(e),
                Ok(name) => {
                    let rb = stack.boot(&name, 0, true).await;
                    st.boot(&rb);
                    let rollback = rollback_outcome(&rb);
                    st.note(format!(
                        "{}'s image on the upgraded database: {}{}",
                        opts.label,
                        rollback.outcome.as_str(),
                        rollback.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                    ));
                    r.u.rollback = Some(rollback);
                    st.s.log_tail = rb.logs.tail(TAIL);
                    stack.stop(&name).await;
                }
            }
        }
        _ => st.note("skipped: the head's image did not come up"),
    }
    let tail = std::mem::take(&mut st.s.log_tail);
    let mut s = st.finish(vec![]);
    if r.u.rollback.as_ref().is_some_and(|x| x.outcome != RollbackOutcome::Healthy) {
        s.log_tail = tail;
    }
    r.push(s);
    Ok(r.finish())
}

impl Report<'_> {
    fn finish(mut self) -> Upgrade {
        // The rollback is reported, not judged.
        self.u.ok = !self.u.steps.is_empty() && self.u.steps.iter().all(|s| s.ok);
        self.u
    }
}

/// Builds REF's image from its exported tree.
async fn build_base(
    docker: &Docker,
    opts: &Options,
    inputs: &Inputs,
    tag: &str,
    export: &Path,
    progress: &Progress,
) -> Result<crate::results::Build, String> {
    let repo = crate::repo::open(&opts.repo).ok_or("the repository went away")?;
    let files = crate::repo::export_tree(&repo, inputs.from_tree, export)?;
    progress.line(&format!("[drill] building {}'s image from its tree ({files} files exported to {})", opts.label, export.display()));
    let b = BuildOptions {
        repo: export.to_path_buf(),
        tag: tag.to_string(),
        max_size: u64::MAX,
        max_added_size: u64::MAX,
        dockerfile: opts.paths.dockerfile.clone(),
        no_cache: false,
        pull: opts.pull,
    };
    crate::docker::build_image(docker, &b, progress).await
}

/// `docker stop` (graceful: SIGTERM, then SIGKILL after the engine's default timeout), through
/// the stack's [`Stack::stop_app`]: the exit code and time, and whether Directus said goodbye.
async fn graceful_stop(stack: &Stack, name: &str, st: &mut Step) {
    match stack.stop_app(name, None).await {
        Ok(o) => {
            let words = format!(
                "docker stop: exited {} after {:.1} s{}",
                o.exit_code,
                o.seconds,
                if o.shutdown_line_seen { ", Directus logged \"Bye bye!\"" } else { "" }
            );
            // 0 or 143 (SIGTERM) is a graceful end; 137 is the engine's SIGKILL after its timeout.
            if o.exit_code == 137 {
                st.fail(format!("{words}: killed, not stopped (SIGKILL after the timeout)"));
            } else {
                st.pass(words);
            }
        }
        Err(e) => st.fail(e),
    }
}

/// The `[db-init] applying <file>` lines, in order.
pub fn applied_migrations(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("[db-init] applying ")? + 19..];
            let name = rest.split_whitespace().next()?;
            Some(name.rsplit('/').next().unwrap_or(name).to_string())
        })
        .collect()
}

/// The schema step's own words: its plan, the planned changes, and how it ended.
pub fn schema_plan(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("[schema] ")? + 9..];
            let keep = rest.starts_with("plan:")
                || rest.starts_with("  - ")
                || rest.starts_with("applied:")
                || rest.starts_with("no changes")
                || rest.starts_with("WARNING:")
                || rest.starts_with("ERROR:");
            keep.then(|| stack::clip(rest.trim_end()).to_string())
        })
        .map(|l| if l.starts_with("- ") { format!("  {l}") } else { l })
        .collect()
}

/// What the base image did on the upgraded database.
pub fn rollback_outcome(b: &Boot) -> Rollback {
    if b.failure.is_none() {
        return Rollback { outcome: RollbackOutcome::Healthy, detail: None };
    }
    let lines = b.logs.snapshot();
    let err = lines.iter().rev().find(|l| l.contains("] ERROR") && !l.contains("[entrypoint]"));
    match err {
        Some(l) if b.exit_code.is_some() => {
            let l = l.trim();
            let detail = match l.find("the snapshot would delete ") {
                Some(i) => {
                    let rest = &l[i + "the snapshot ".len()..];
                    rest.split("; refusing").next().unwrap_or(rest).to_string()
                }
                None => stack::clip(l),
            };
            Rollback { outcome: RollbackOutcome::Refused, detail: Some(detail) }
        }
        _ => Rollback { outcome: RollbackOutcome::Failed, detail: b.failure.clone() },
    }
}

/// Per base table collection: the columns (non-alias fields) both snapshots define on it.
pub fn shared_columns(base: &Snapshot, head: &Snapshot) -> BTreeMap<String, Vec<String>> {
    let columns = |s: &Snapshot, c: &str| -> Vec<String> {
        s.fields
            .iter()
            .filter(|f| f.collection.value == c)
            .filter(|f| !f.r#type.as_ref().is_some_and(|t| schema_diff::is_alias_type(&t.value)))
            .map(|f| f.field.value.clone())
            .collect()
    };
    let mut out = BTreeMap::new();
    for c in base.collections.iter().filter(|c| c.is_table()) {
        let in_head: Vec<String> = match head.collection(&c.name) {
            Some(h) if h.is_table() => columns(head, &c.name),
            _ => Vec::new(),
        };
        out.insert(c.name.clone(), columns(base, &c.name).into_iter().filter(|f| in_head.contains(f)).collect());
    }
    out
}

fn dropped_word(d: &crate::results::DroppedColumn) -> String {
    match &d.field {
        Some(f) => format!("column {}.{f} ({} values)", d.collection, d.values),
        None => format!("table {} ({} rows)", d.collection, d.values),
    }
}

fn lost_where(tables: &[crate::results::TableRows]) -> String {
    let v: Vec<String> = tables
        .iter()
        .filter(|t| t.lost > 0 || t.changed > 0)
        .map(|t| {
            let mut parts = Vec::new();
            if t.lost > 0 {
                parts.push(format!("{} lost", t.lost));
            }
            if t.changed > 0 {
                parts.push(format!("{} changed", t.changed));
            }
            format!("{} {}", t.collection, parts.join(", "))
        })
        .collect();
    if v.is_empty() {
        String::new()
    } else {
        format!(" ({})", v.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn applied_files_and_the_schema_plan_come_from_the_log() {
        let log = lines(&[
            "[entrypoint] step 1/4: db-init (SQL migrations in /directus/db-init)",
            "[db-init] applying 0004_budget.sql",
            "[db-init] applying 0005_index.sql",
            "[db-init] 2 applied, 3 skipped",
            "[schema] bootstrap: Directus is installed; running pending Directus migrations",
            "[schema] plan: 1 field to create, 1 field to delete",
            "[schema]   - Delete field projects.budget",
            "[schema] ERROR: the snapshot would delete field projects.budget; refusing (data would be lost). If that is intended, boot once with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1",
        ]);
        assert_eq!(applied_migrations(&log), ["0004_budget.sql", "0005_index.sql"]);
        let plan = schema_plan(&log);
        assert_eq!(plan[0], "plan: 1 field to create, 1 field to delete");
        assert_eq!(plan[1], "  - Delete field projects.budget");
        assert!(plan[2].starts_with("ERROR: the snapshot would delete field projects.budget"), "{plan:?}");
        assert_eq!(plan.len(), 3);
    }

    #[test]
    fn a_refused_rollback_says_what_it_would_delete() {
        let logs = crate::docker::stack::Logs::default();
        let b = Boot { failure: Some("exited 1".into()), exit_code: Some(1), logs, ..Default::default() };
        // No ERROR line: a failure, not a refusal.
        assert_eq!(rollback_outcome(&b).outcome, RollbackOutcome::Failed);
        let ok = Boot::default();
        assert_eq!(rollback_outcome(&ok).outcome, RollbackOutcome::Healthy);
    }

    #[test]
    fn base_tags_name_the_tree() {
        assert_eq!(base_tag("0123456789abcdef0123"), "trm-directus:base-0123456789ab");
    }
}
