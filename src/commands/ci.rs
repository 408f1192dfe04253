//! `trm-ci ci`: lint → build → smoke → upgrade drill (on a pull request, from its base) in one run, going on past a failing stage where the next
//! still tells the reviewer something (lint errors do not stop the build; a failed build skips
//! smoke and says so); records the schema change against the base; writes the results document (`--json FILE`) and, inside Actions, the step
//! outputs `verdict`, `findings`, `results` (`$GITHUB_OUTPUT`). Exit 0 pass; 1 a stage failed or
//! a finding at or above `--fail-on`; 2 usage or environment error; 130 interrupted.

use std::io::Write as _;
use std::time::{Duration, Instant};

use super::stages::{self, Settings};
use crate::cli::{self, CiArgs};
use crate::config::{self, Config};
use crate::docker::{self, BuildOptions, Unfinished};
use crate::progress::Progress;
use crate::render::markdown;
use crate::results::fact::CommonFact;
use crate::results::{Build, Check, Results, Scenario, SkipReason, Skipped, Smoke, StageName, Upgrade, Verdict};

pub fn run(args: &CiArgs) -> i32 {
    match ci(args) {
        Ok(code) | Err(code) => code,
    }
}

/// The stages in order; `Err` is an early exit code (2 usage or environment, 130 interrupted).
fn ci(args: &CiArgs) -> Result<i32, i32> {
    let build_opts = build_options(args).map_err(|e| {
        eprintln!("trm-ci ci: {e}");
        2
    })?;
    let progress = Progress::stdout();
    let (repository, head) = super::repository(&args.repo);
    let mut doc = Results { tool: super::tool(), repository, head, ..Results::default() };
    if !args.skip_lint {
        stage("lint");
        lint(args, &mut doc)?;
    }
    let mut build_failed = false;
    if !args.skip_build {
        stage("build");
        build_failed = !build(args, &build_opts, &progress, &mut doc);
    }
    // The container stages' settings: loaded once, when the first of them runs.
    let mut settings = None;
    if !args.skip_smoke {
        if build_failed {
            skip(&mut doc, StageName::Smoke, SkipReason::BuildFailed);
        } else {
            stage("smoke");
            smoke(args, load(&mut settings, args)?, &progress, &mut doc)?;
        }
    }
    if let Some((from, label)) = upgrade_from(args, &mut doc) {
        if build_failed {
            skip(&mut doc, StageName::Upgrade, SkipReason::BuildFailed);
        } else {
            let settings = load(&mut settings, args)?;
            // Both revisions build the same image: the drill would upgrade it to itself.
            match crate::upgrade::same_image::same_context(&args.repo, &from, &settings.paths.dockerfile) {
                Ok(Some(context)) => skip(&mut doc, StageName::Upgrade, SkipReason::SameImage { from: label, context }),
                _ => {
                    stage("upgrade");
                    drill(args, settings, from, label, &progress, &mut doc)?;
                }
            }
        }
    }
    Ok(report(args, &doc))
}

/// The build's options: `--max-size` and `--max-added-size` read.
fn build_options(args: &CiArgs) -> Result<BuildOptions, String> {
    Ok(BuildOptions {
        repo: args.repo.clone(),
        tag: args.tag.clone(),
        max_size: docker::parse_size(&args.max_size).map_err(|e| format!("--max-size: {e}"))?,
        max_added_size: docker::parse_size(&args.max_added_size).map_err(|e| format!("--max-added-size: {e}"))?,
        dockerfile: "Dockerfile".into(),
        no_cache: false,
        pull: args.pull,
    })
}

/// The smoke and drill settings of `ci` (smoke's default timeouts, nothing kept), loaded into
/// `slot` the first time.
fn load<'s>(slot: &'s mut Option<Settings>, args: &CiArgs) -> Result<&'s Settings, i32> {
    let settings = match slot.take() {
        Some(s) => s,
        None => Settings {
            repo: args.repo.clone(),
            paths: load_config(args).map(|c| c.paths).map_err(|e| {
                eprintln!("trm-ci ci: {e}");
                2
            })?,
            image: args.tag.clone(),
            postgres_image: args.postgres_image.clone(),
            keep: false,
            boot_timeout: Duration::from_secs(cli::BOOT_TIMEOUT_S),
            fault_timeout: Duration::from_secs(cli::FAULT_TIMEOUT_S),
            seed_rows: args.seed_rows,
            allow_destructive: args.allow_destructive,
            pull: args.pull,
            // The image it just built is the one judged; with --skip-build, an existing image
            // must be this tree's.
            check_tree: args.skip_build,
        },
    };
    Ok(slot.insert(settings))
}

/// Lint, and the schema change against the same base, for the reviewer (the lint rules judge it).
fn lint(args: &CiArgs, doc: &mut Results) -> Result<(), i32> {
    let opts = crate::linter::Options {
        repo: args.repo.clone(),
        base: args.base.clone(),
        config: args.config.clone(),
        ..Default::default()
    };
    let started = Instant::now();
    match crate::linter::run(&opts) {
        Ok((lint, run)) => {
            let ok = lint.exit_code() == 0;
            let d = std::mem::take(doc);
            *doc = Results { lint: Some(lint), base: run.base, base_revision: run.base_revision, ..d }.timed(
                StageName::Lint,
                ok,
                started.elapsed(),
            );
        }
        Err(e) => {
            eprintln!("trm-ci ci: lint: {e}");
            return Err(2);
        }
    }
    // The schema change against the same base, for the reviewer (the lint rules judge it).
    match crate::schema_change::run(&crate::schema_change::Options { repo: args.repo.clone(), base: args.base.clone() }) {
        Ok(r) => doc.schema = Some(r.into()),
        Err(e) => println!("[ci] schema change: not compared ({e})"),
    }
    Ok(())
}

/// Builds; whether the build passed. The engine not answering is a failed build saying why.
fn build(args: &CiArgs, opts: &BuildOptions, progress: &Progress, doc: &mut Results) -> bool {
    let started = Instant::now();
    let build = match docker::build(opts, progress) {
        Ok(b) => b,
        Err(e) => Build {
            ok: false,
            tag: args.tag.clone(),
            max_size: opts.max_size,
            max_added_size: opts.max_added_size,
            error: Some(e),
            ..Build::default()
        },
    };
    let ok = build.ok;
    doc.build = Some(build);
    record(doc, StageName::Build, ok, started);
    ok
}

/// Smoke; a smoke that could not run is a failed stage with one `setup` scenario saying why.
fn smoke(args: &CiArgs, settings: &Settings, progress: &Progress, doc: &mut Results) -> Result<(), i32> {
    let started = Instant::now();
    let smoke = match stages::smoke(&settings.smoke(Vec::new(), false, None), progress).outcome {
        Ok(s) => s,
        Err(Unfinished::Interrupted) => return Err(130),
        Err(Unfinished::Environment(why) | Unfinished::Unfit(why)) => Smoke {
            ok: false,
            image: args.tag.clone(),
            postgres_image: args.postgres_image.clone(),
            scenarios: vec![setup_failed(why)],
            ..Smoke::default()
        },
    };
    let ok = smoke.ok;
    doc.smoke = Some(smoke);
    record(doc, StageName::Smoke, ok, started);
    Ok(())
}

/// The upgrade drill; one that could not run is a failed stage with one `setup` step saying why.
fn drill(args: &CiArgs, settings: &Settings, from: String, label: String, progress: &Progress, doc: &mut Results) -> Result<(), i32> {
    let opts = settings.drill(from, label);
    let started = Instant::now();
    let u = match stages::drill(&opts, progress).outcome {
        Ok(u) => u,
        Err(Unfinished::Interrupted) => return Err(130),
        Err(Unfinished::Environment(why) | Unfinished::Unfit(why)) => {
            Upgrade { from: opts.label.clone(), to_image: Some(args.tag.clone()), steps: vec![setup_failed(why)], ..Upgrade::default() }
        }
    };
    let ok = u.ok;
    doc.upgrade = Some(u);
    record(doc, StageName::Upgrade, ok, started);
    Ok(())
}

fn setup_failed(why: String) -> Scenario {
    Scenario { name: "setup".into(), ok: false, checks: vec![Check::fail(CommonFact::Error { error: why })], ..Scenario::default() }
}

fn record(doc: &mut Results, name: StageName, ok: bool, started: Instant) {
    *doc = std::mem::take(doc).timed(name, ok, started.elapsed());
}

/// Prints the document and the verdict, writes `--json` and the step outputs, posts with
/// `--post`; the exit code.
fn report(args: &CiArgs, doc: &Results) -> i32 {
    super::print(&crate::render::human::render(doc, false));
    let fail_on = super::post::severity(args.fail_on);
    let verdict = doc.verdict(fail_on);
    println!("[ci] {}", markdown::verdict_line(doc, fail_on));

    let results_path = match &args.json {
        Some(path) => {
            if let Err(e) = super::write_json(path, doc) {
                eprintln!("trm-ci ci: {e}");
                return 2;
            }
            Some(path.canonicalize().unwrap_or_else(|_| path.clone()))
        }
        None => None,
    };
    if let Some(out) = std::env::var_os("GITHUB_OUTPUT").filter(|o| !o.is_empty()) {
        let mut text = format!(
            "verdict={}\nfindings={}\n",
            if verdict == Verdict::Pass { "pass" } else { "fail" },
            doc.lint.as_ref().map_or(0, |l| l.findings.len())
        );
        if let Some(p) = &results_path {
            text.push_str(&format!("results={}\n", p.display()));
        }
        let written = std::fs::OpenOptions::new().create(true).append(true).open(&out).and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            eprintln!("trm-ci ci: GITHUB_OUTPUT {}: {e}", std::path::Path::new(&out).display());
        }
    }

    let mut code = if verdict == Verdict::Pass { 0 } else { 1 };
    if args.post {
        match crate::github::Env::from_process() {
            Ok(env) => code = code.max(super::post::publish(&env, doc, fail_on)),
            Err(e) => {
                eprintln!("trm-ci ci --post: {e}");
                code = 2;
            }
        }
    }
    code
}

/// The revision the upgrade drill starts from and how to name it: `--upgrade-from`; else, on a
/// pull request (GITHUB_BASE_REF set), the lint base's commit (the merge-base); else none.
fn upgrade_from(args: &CiArgs, doc: &mut Results) -> Option<(String, String)> {
    if args.skip_upgrade {
        return None;
    }
    if let Some(r) = &args.upgrade_from {
        return Some((r.clone(), r.clone()));
    }
    let base_ref = std::env::var("GITHUB_BASE_REF").ok().filter(|b| !b.is_empty())?;
    match &doc.base_revision {
        Some(commit) => Some((commit.clone(), format!("{base_ref} ({})", &commit[..7.min(commit.len())]))),
        None => {
            skip(doc, StageName::Upgrade, SkipReason::NoBaseRevision);
            None
        }
    }
}

/// `--config FILE` (it must exist), else trm-ci.toml at the repository root when present.
fn load_config(args: &CiArgs) -> Result<Config, String> {
    match &args.config {
        Some(file) => Config::load(file, true),
        None => Config::load(&args.repo.join(config::FILE_NAME), false),
    }
}

/// Records that `stage` did not run and why, and says so.
fn skip(doc: &mut Results, stage: StageName, why: SkipReason) {
    println!("[ci] {}: skipped ({})", stage.as_str(), markdown::skip_words(&why));
    doc.skipped.push(Skipped { stage, why });
}

fn stage(name: &str) {
    println!("[ci] == {name}");
}
