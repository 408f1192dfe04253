//! The drill's steps, in order, each a function that records one step of the report:
//! `build-base`, `boot-base`, `seed`, `fingerprint`, `stop-base`, `boot-head`, `verify`,
//! `rollback`. A step that fails ends the drill (its report is returned as it is), except that
//! `verify` runs whenever the base's rows were fingerprinted and `rollback` is reported as
//! skipped when the head did not come up. Each finished step goes to the caller's callback.

use std::collections::BTreeMap;
use std::path::Path;

use bollard::models::HealthConfig;
use bollard::Docker;

use super::log_lines::{applied_migrations, rollback_outcome, schema_plan};
use super::inputs::{shared_columns, Inputs};
use super::{base_tag, directus_upgrade, env_err, fingerprint, seed, Options};
use crate::docker::engine::{is_not_found, short_err};
use crate::docker::recorder::Recorder;
use crate::docker::stack::{self, Boot, Stack, StackOptions, Tracker, Unfinished, TAIL};
use crate::docker::BuildOptions;
use crate::model::schema_diff;
use crate::progress::Progress;
use crate::results::fact::drill::{BuildStepAt, CollectionRows, DockerStop, RowCounts, TableLoss};
use crate::results::fact::{CommonFact, DrillFact};
use crate::results::{DirectusMigration, DirectusUpgrade, RollbackOutcome, Scenario, Upgrade, UpgradeRows};

/// The drill's report as it grows; `push` hands each finished step to the caller's callback.
struct Report<'p> {
    u: Upgrade,
    on_step: &'p mut dyn FnMut(&Scenario),
}

impl Report<'_> {
    /// Records a finished step; whether it passed.
    fn push(&mut self, s: Scenario) -> bool {
        (self.on_step)(&s);
        let ok = s.ok;
        self.u.steps.push(s);
        ok
    }

    /// The report: it passed when every step did (the rollback is reported, not judged).
    fn finish(mut self) -> Upgrade {
        self.u.ok = !self.u.steps.is_empty() && self.u.steps.iter().all(|s| s.ok);
        self.u
    }
}

/// What the steps after the stack's creation share.
struct Drill<'a> {
    opts: &'a Options,
    inputs: &'a Inputs,
    stack: Stack,
    /// The drill's Postgres container.
    pg: String,
    /// The app containers' environment (on `pg`).
    env: Vec<String>,
    /// The base revision's image.
    from_image: String,
}

/// Runs every step inside the guarded stack; `Err` is an environment problem (an image missing,
/// the stack not created).
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    docker: Docker,
    opts: &Options,
    inputs: &Inputs,
    run: String,
    tracker: Tracker,
    export: &Path,
    progress: &Progress,
    on_step: &mut dyn FnMut(&Scenario),
) -> Result<Upgrade, Unfinished> {
    let health = head_healthcheck(&docker, opts, progress).await?;
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
        on_step,
    };
    progress.line(&format!(
        "[drill] run {run}: upgrade from {} ({}) to {}; Postgres {}",
        opts.label,
        &inputs.from_commit[..7.min(inputs.from_commit.len())],
        opts.image,
        opts.postgres_image
    ));

    if !build_base(&docker, opts, inputs, &from_image, export, progress, &mut r).await? {
        return Ok(r.finish());
    }
    let health = HealthConfig { interval: Some(1_000_000_000), ..health };
    let stack = Stack::create(
        docker.clone(),
        tracker,
        StackOptions { kind: "drill", run, postgres_image: opts.postgres_image.clone(), health, boot_timeout: opts.boot_timeout },
    )
    .await
    .map_err(env_err)?;
    let pg = stack.start_postgres("pg").await.map_err(env_err)?;
    let env = stack.app_env(&pg, "directus");
    let d = Drill { opts, inputs, stack, pg, env, from_image };

    let Some((base_app, base_boot)) = d.boot_base(&mut r).await else { return Ok(r.finish()) };
    let Some(seeded) = d.seed(&base_boot, &mut r).await else { return Ok(r.finish()) };
    let Some(before) = d.fingerprint(seeded, &mut r).await else { return Ok(r.finish()) };
    // Directus's own migrations before the head's boot: what it runs is what it adds.
    let directus_before = directus_upgrade::migrations(&d.stack, &d.pg).await;
    if !d.stop_base(&base_app, &base_boot, &mut r).await {
        return Ok(r.finish());
    }
    let head = d.boot_head(directus_before, &mut r).await;
    d.verify(&before, &mut r).await;
    d.rollback(head, &mut r).await;
    Ok(r.finish())
}

/// The head's image (with its HEALTHCHECK, returned): the image of the work tree (built by
/// `trm-ci build`, never pulled); Postgres, pulled when the engine lacks it (--pull).
async fn head_healthcheck(docker: &Docker, opts: &Options, progress: &Progress) -> Result<HealthConfig, Unfinished> {
    let head = match docker.inspect_image(&opts.image).await {
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
        let labels = head.config.as_ref().and_then(|c| c.labels.as_ref());
        crate::docker::tree_label::check(&opts.image, labels, &opts.repo, &opts.paths.dockerfile).map_err(env_err)?;
    }
    crate::docker::pull::ensure(docker, &opts.postgres_image, opts.pull, progress).await.map_err(env_err)?;
    head.config
        .as_ref()
        .and_then(|c| c.healthcheck.clone())
        .filter(|h| h.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE"))
        .ok_or_else(|| env_err(format!("the image {} has no HEALTHCHECK; the Dockerfile must declare one", opts.image)))
}

/// 1. `build-base`: REF's image, found by its tree's hash or built from the exported tree;
/// whether the drill goes on.
async fn build_base(
    docker: &Docker,
    opts: &Options,
    inputs: &Inputs,
    from_image: &str,
    export: &Path,
    progress: &Progress,
    r: &mut Report<'_>,
) -> Result<bool, Unfinished> {
    let mut st = Recorder::named("build-base");
    if docker.inspect_image(from_image).await.is_ok() {
        r.u.base_image_cached = true;
        st.pass(DrillFact::BaseImageCached { image: from_image.to_string(), tree: inputs.from_tree.to_string() });
        return Ok(r.push(st.finish(vec![])));
    }
    let built = build_from_tree(docker, opts, inputs, from_image, export, progress).await;
    let _ = std::fs::remove_dir_all(export);
    match built {
        Ok(b) if b.error.is_none() => {
            st.pass(DrillFact::BaseImageBuilt { image: from_image.to_string(), label: opts.label.clone(), seconds: b.build_seconds });
            Ok(r.push(st.finish(vec![])))
        }
        Ok(b) => {
            let step = b.steps.last().map(|s| BuildStepAt { number: s.number, instruction: s.instruction.clone() });
            let error = b.error.as_deref().unwrap_or_default().trim().to_string();
            st.fail(DrillFact::BaseImageBuildFailed { label: opts.label.clone(), step, error });
            r.push(st.finish(b.error_output));
            Ok(false)
        }
        Err(e) => Err(env_err(e)),
    }
}

/// Builds REF's image from its exported tree.
async fn build_from_tree(
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

impl Drill<'_> {
    /// The app environment for `image`, with `TRM_IMAGE_REVISION` set to the image's name: the
    /// schema step records it with each snapshot applied, and the snapshot-history guard names
    /// the revisions by it (else both are `unknown`).
    fn env_of(&self, image: &str) -> Vec<String> {
        let mut env = self.env.clone();
        env.push(format!("TRM_IMAGE_REVISION={image}"));
        env
    }

    /// 2. `boot-base`: REF's image on an empty database; its container and boot when healthy.
    async fn boot_base(&self, r: &mut Report<'_>) -> Option<(String, Boot)> {
        let mut st = Recorder::named("boot-base");
        let base_app = match self.stack.create_app("base", &self.from_image, self.env_of(&self.from_image), None, true).await {
            Ok(n) => n,
            Err(e) => {
                st.fail(CommonFact::Error { error: e });
                r.push(st.finish(vec![]));
                return None;
            }
        };
        let b = self.stack.boot(&base_app, 0, true).await;
        st.boot(&b);
        let version = directus_upgrade::version(&self.stack, &base_app).await;
        if let Err(e) = &version {
            st.note(DrillFact::DirectusVersionUnread { error: e.clone() });
        }
        r.u.directus = Some(DirectusUpgrade { from: version.ok(), ..Default::default() });
        match &b.failure {
            Some(f) => st.fail(DrillFact::BaseBootFailed { label: self.opts.label.clone(), failure: f.clone() }),
            None => st.pass(DrillFact::BaseBootHealthy { label: self.opts.label.clone() }),
        }
        r.push(st.finish(b.logs.tail(TAIL))).then_some((base_app, b))
    }

    /// 3. `seed`: rows in every table collection of REF's snapshot, through the REST API; how
    /// many.
    async fn seed(&self, b: &Boot, r: &mut Report<'_>) -> Option<usize> {
        let mut st = Recorder::named("seed");
        let plan = seed::plan(&self.inputs.base_snapshot, self.opts.seed_rows);
        let secrets = &self.stack.secrets;
        let seeded = match b.port {
            None => Err(DrillFact::SeedNoPort),
            Some(port) => match crate::directus::Client::login(port, &secrets.admin_email, &secrets.admin_password).await {
                Err(e) => Err(DrillFact::SeedLoginFailed { error: e.to_string() }),
                Ok(client) => seed::apply(&client, &plan).await.map_err(|error| DrillFact::SeedFailed { error }),
            },
        };
        match seeded {
            Ok(s) => {
                let collections = plan
                    .collections
                    .iter()
                    .map(|c| CollectionRows { collection: c.collection.clone(), rows: s.keys.get(&c.collection).map(|k| k.len()).unwrap_or(0) })
                    .collect();
                st.pass(DrillFact::Seeded { rows: s.rows, collections, seconds: s.seconds });
                if !plan.skipped.is_empty() {
                    st.note(DrillFact::SeedLeftOut { skipped: plan.skipped.clone() });
                }
                r.push(st.finish(vec![]));
                Some(s.rows)
            }
            Err(fact) => {
                st.fail(fact);
                r.push(st.finish(b.logs.tail(TAIL)));
                None
            }
        }
    }

    /// 4. `fingerprint`: REF's tables, checksummed over the columns both snapshots define.
    async fn fingerprint(&self, seeded: usize, r: &mut Report<'_>) -> Option<fingerprint::Fingerprint> {
        let mut st = Recorder::named("fingerprint");
        let wanted = shared_columns(&self.inputs.base_snapshot, &self.inputs.head_snapshot);
        let before = match fingerprint::take(&self.stack, &self.pg, &wanted).await {
            Ok(f) => f,
            Err(e) => {
                st.fail(CommonFact::Error { error: e });
                r.push(st.finish(vec![]));
                return None;
            }
        };
        let rows_before: usize = before.tables.values().map(|t| t.rows).sum();
        st.pass(DrillFact::Fingerprinted {
            rows: rows_before,
            tables: before.tables.len(),
            columns: before.tables.values().map(|t| t.compared.len()).sum::<usize>(),
        });
        r.push(st.finish(vec![]));
        r.u.rows = Some(UpgradeRows { seeded, before: rows_before, ..Default::default() });
        Some(before)
    }

    /// 5. `stop-base`: `docker stop`, graceful; whether the drill goes on.
    async fn stop_base(&self, base_app: &str, b: &Boot, r: &mut Report<'_>) -> bool {
        let mut st = Recorder::named("stop-base");
        let stop = graceful_stop(&self.stack, base_app).await;
        if stop.failed() {
            st.fail(DrillFact::BaseStopped { stop });
        } else {
            st.pass(DrillFact::BaseStopped { stop });
        }
        r.push(st.finish(b.logs.tail(TAIL)))
    }

    /// 6. `boot-head`: the head's image on the same database: healthy, db-init applies exactly
    /// the head's new files, the schema step's plan captured. Its container and whether it came
    /// up (None when it could not be created).
    async fn boot_head(&self, directus_before: Result<Vec<DirectusMigration>, String>, r: &mut Report<'_>) -> Option<(String, bool)> {
        let mut st = Recorder::named("boot-head");
        let mut head_env = self.env_of(&self.opts.image);
        if self.opts.allow_destructive {
            head_env.push("TRM_ALLOW_DESTRUCTIVE_SCHEMA=1".into());
        }
        let head_app = match self.stack.create_app("head", &self.opts.image, head_env, None, true).await {
            Err(e) => {
                st.fail(CommonFact::Error { error: e });
                r.push(st.finish(vec![]));
                return None;
            }
            Ok(n) => n,
        };
        let hb = self.stack.boot(&head_app, 0, true).await;
        st.boot(&hb);
        let lines = hb.logs.snapshot();
        match &hb.failure {
            Some(f) => st.fail(DrillFact::HeadBootFailed { label: self.opts.label.clone(), failure: f.clone() }),
            None => st.pass(DrillFact::HeadBootHealthy { label: self.opts.label.clone() }),
        }
        r.u.migrations_applied = applied_migrations(&lines);
        let (expected, applied) = (&r.u.migrations_expected, &r.u.migrations_applied);
        let summary = lines.iter().find(|l| l.contains("[db-init] ") && l.contains(" applied, ")).map(|l| l.trim().to_string());
        if applied == expected {
            st.pass(DrillFact::MigrationsAsExpected { applied: applied.clone(), summary });
        } else if hb.failure.is_none() || !applied.is_empty() {
            st.fail(DrillFact::MigrationsUnexpected { applied: applied.clone(), expected: expected.clone() });
        }
        r.u.schema_plan = schema_plan(&lines);
        if !r.u.schema_plan.is_empty() {
            st.note(DrillFact::SchemaPlan { lines: r.u.schema_plan.clone() });
        }
        self.directus_side(&head_app, directus_before, &mut st, r).await;
        let ok = r.push(st.finish(hb.logs.tail(TAIL)));
        Some((head_app, ok))
    }

    /// Part of `boot-head`: the head's Directus version and the Directus migrations its boot ran
    /// (the rows `directus_migrations` gained), also after a failed boot (a migration that
    /// failed leaves the ones before it).
    async fn directus_side(&self, head_app: &str, before: Result<Vec<DirectusMigration>, String>, st: &mut Recorder, r: &mut Report<'_>) {
        let version = directus_upgrade::version(&self.stack, head_app).await;
        if let Err(e) = &version {
            st.note(DrillFact::DirectusVersionUnread { error: e.clone() });
        }
        let after = directus_upgrade::migrations(&self.stack, &self.pg).await;
        let migrations = match (before, after) {
            (Ok(b), Ok(a)) => Some(directus_upgrade::ran(&b, &a)),
            (Err(e), _) | (_, Err(e)) => {
                st.note(DrillFact::DirectusMigrationsUnread { error: e });
                None
            }
        };
        let d = r.u.directus.get_or_insert_with(DirectusUpgrade::default);
        d.to = version.ok();
        d.migrations = migrations;
    }

    /// 7. `verify`: the fingerprint again; every row preserved, or what was lost and dropped.
    async fn verify(&self, before: &fingerprint::Fingerprint, r: &mut Report<'_>) {
        let mut st = Recorder::named("verify");
        let again: BTreeMap<String, Vec<String>> = before.tables.iter().map(|(n, t)| (n.clone(), t.compared.clone())).collect();
        match fingerprint::take(&self.stack, &self.pg, &again).await {
            Err(error) => st.fail(DrillFact::RereadFailed { error }),
            Ok(after) => {
                let (tables, total, dropped) = fingerprint::compare(before, &after);
                if total.lost == 0 && total.changed == 0 {
                    st.pass(DrillFact::RowsPreserved { rows: total.before });
                } else {
                    let rows = RowCounts { before: total.before, preserved: total.preserved, changed: total.changed, lost: total.lost };
                    let losses = tables
                        .iter()
                        .filter(|t| t.lost > 0 || t.changed > 0)
                        .map(|t| TableLoss { collection: t.collection.clone(), lost: t.lost, changed: t.changed })
                        .collect();
                    let allowed = self.opts.allow_destructive;
                    let only_opted_in_drops = total.changed == 0
                        && allowed
                        && dropped.iter().all(|d| d.field.is_none())
                        && tables.iter().all(|t| t.lost == 0 || t.after.is_none());
                    if only_opted_in_drops {
                        st.note(DrillFact::RowsDroppedAllowed { rows, tables: losses });
                    } else {
                        st.fail(DrillFact::RowsLost { rows, tables: losses });
                    }
                }
                if !dropped.is_empty() {
                    if self.opts.allow_destructive {
                        st.note(DrillFact::DroppedAllowed { dropped: dropped.clone() });
                    } else {
                        st.fail(DrillFact::Dropped { dropped: dropped.clone() });
                    }
                }
                let seeded = r.u.rows.as_ref().map(|x| x.seeded).unwrap_or(0);
                r.u.rows = Some(UpgradeRows { seeded, ..total });
                r.u.tables = tables;
                r.u.columns_dropped = dropped;
            }
        }
        r.push(st.finish(vec![]));
    }

    /// 8. `rollback`: REF's image again on the upgraded database, when the head came up; its
    /// outcome is reported, not judged.
    async fn rollback(&self, head: Option<(String, bool)>, r: &mut Report<'_>) {
        let mut st = Recorder::named("rollback");
        let mut tail = Vec::new();
        match head {
            Some((head_app, true)) => {
                st.note(DrillFact::HeadStopped { stop: graceful_stop(&self.stack, &head_app).await });
                match self.stack.create_app("rollback", &self.from_image, self.env_of(&self.from_image), None, true).await {
                    Err(error) => st.fail(CommonFact::Error { error }),
                    Ok(name) => {
                        let rb = self.stack.boot(&name, 0, true).await;
                        st.boot(&rb);
                        let rollback = rollback_outcome(&rb);
                        st.note(DrillFact::RollbackBooted { label: self.opts.label.clone(), rollback: rollback.clone() });
                        r.u.rollback = Some(rollback);
                        tail = rb.logs.tail(TAIL);
                        self.stack.stop(&name).await;
                    }
                }
            }
            _ => st.note(DrillFact::RollbackSkipped),
        }
        let mut s = st.finish(vec![]);
        // The rollback's last log lines are kept when it did not come up healthy.
        if r.u.rollback.as_ref().is_some_and(|x| x.outcome != RollbackOutcome::Healthy) {
            s.log_tail = tail;
        }
        r.push(s);
    }
}

/// `docker stop` (graceful: SIGTERM, then SIGKILL after the engine's default timeout), through
/// the stack's [`Stack::stop_app`]: the exit code and time, and whether Directus said goodbye.
/// Only the engine's SIGKILL at its default timeout (137) counts as not stopping by itself.
async fn graceful_stop(stack: &Stack, name: &str) -> DockerStop {
    match stack.stop_app(name, None).await {
        Ok(o) => {
            let (exit_code, seconds, shutdown_line_seen) = (o.exit_code, o.seconds, o.shutdown_line_seen);
            if o.judge(f64::INFINITY) == stack::StopEnd::Killed {
                DockerStop::Killed { exit_code, seconds, shutdown_line_seen }
            } else {
                DockerStop::Exited { exit_code, seconds, shutdown_line_seen }
            }
        }
        Err(error) => DockerStop::Error { error },
    }
}
