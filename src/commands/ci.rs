//! `trm-ci ci`: lint → build → smoke → upgrade drill (on a pull request, from its base) in one run, going on past a failing stage where the next
//! still tells the reviewer something (lint errors do not stop the build; a failed build skips
//! smoke and says so); records the schema change against the base; writes the results document (`--json FILE`) and, inside Actions, the step
//! outputs `verdict`, `findings`, `results` (`$GITHUB_OUTPUT`). Exit 0 pass; 1 a stage failed or
//! a finding at or above `--fail-on`; 2 usage or environment error; 130 interrupted.

use std::io::Write as _;
use std::time::{Duration, Instant};

use crate::cli::CiArgs;
use crate::config::{self, Config};
use crate::docker::smoke::Outcome;
use crate::docker::{self, BuildOptions, SmokeOptions};
use crate::progress::Progress;
use crate::render::markdown;
use crate::results::{Build, Results, Scenario, Smoke, StageName, Upgrade, Verdict};
use crate::upgrade;

pub fn run(args: &CiArgs) -> i32 {
    let max_size = match docker::parse_size(&args.max_size) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("trm-ci ci: --max-size: {e}");
            return 2;
        }
    };
    let max_added_size = match docker::parse_size(&args.max_added_size) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("trm-ci ci: --max-added-size: {e}");
            return 2;
        }
    };
    let progress = Progress::stdout();
    let (repository, head) = super::repository(&args.repo);
    let mut doc = Results { repository, head, ..Results::default() };

    if !args.skip_lint {
        stage("lint");
        let opts = crate::linter::Options { repo: args.repo.clone(), base: args.base.clone(), ..Default::default() };
        let started = Instant::now();
        match crate::linter::run(&opts) {
            Ok((lint, run)) => {
                let ok = lint.exit_code() == 0;
                doc = Results { lint: Some(lint), base: run.base, base_revision: run.base_revision, ..doc }.timed(
                    StageName::Lint,
                    ok,
                    started.elapsed(),
                );
            }
            Err(e) => {
                eprintln!("trm-ci ci: lint: {e}");
                return 2;
            }
        }
        // The schema change against the same base, for the reviewer (the lint rules judge it).
        match crate::schema_change::run(&crate::schema_change::Options { repo: args.repo.clone(), base: args.base.clone() }) {
            Ok(r) => doc.schema = Some(r.into()),
            Err(e) => println!("[ci] schema change: not compared ({e})"),
        }
    }

    let mut build_failed = false;
    if !args.skip_build {
        stage("build");
        let opts = BuildOptions {
            repo: args.repo.clone(),
            tag: args.tag.clone(),
            max_size,
            max_added_size,
            dockerfile: "Dockerfile".into(),
            no_cache: false,
            pull: args.pull,
        };
        let started = Instant::now();
        let build = match docker::build(&opts, &progress) {
            Ok(b) => b,
            // The engine did not answer: the stage failed, and says why.
            Err(e) => Build { ok: false, tag: args.tag.clone(), max_size, max_added_size, error: Some(e), ..Build::default() },
        };
        build_failed = !build.ok;
        let ok = build.ok;
        doc.build = Some(build);
        doc = doc.timed(StageName::Build, ok, started.elapsed());
    }

    if !args.skip_smoke {
        if build_failed {
            println!("[ci] smoke: skipped (the build failed)");
        } else {
            stage("smoke");
            let paths = match Config::load(&args.repo.join(config::FILE_NAME), false) {
                Ok(c) => c.paths,
                Err(e) => {
                    eprintln!("trm-ci ci: {e}");
                    return 2;
                }
            };
            let opts = SmokeOptions {
                repo: args.repo.clone(),
                paths,
                image: args.tag.clone(),
                postgres_image: args.postgres_image.clone(),
                keep: false,
                only: Vec::new(),
                baseline: false,
                base_image: None,
                boot_timeout: Duration::from_secs(180),
                fault_timeout: Duration::from_secs(90),
                pull: args.pull,
                // The image it just built is the one judged; with --skip-build, an existing
                // image must be this tree's.
                check_tree: args.skip_build,
            };
            let started = Instant::now();
            let unusable = |why: String| Smoke {
                ok: false,
                image: args.tag.clone(),
                postgres_image: args.postgres_image.clone(),
                scenarios: vec![Scenario { name: "setup".into(), ok: false, failure: Some(why), ..Scenario::default() }],
                ..Smoke::default()
            };
            let smoke = match docker::smoke(&opts, &progress) {
                Err(e) => unusable(e),
                Ok(r) => {
                    for p in &r.cleanup_problems {
                        eprintln!("[smoke] cleanup: {p}");
                    }
                    match r.outcome {
                        Outcome::Done(s) => s,
                        Outcome::Environment(m) | Outcome::Unfit(m) => unusable(m),
                        Outcome::Interrupted => return 130,
                    }
                }
            };
            let ok = smoke.ok;
            doc.smoke = Some(smoke);
            doc = doc.timed(StageName::Smoke, ok, started.elapsed());
        }
    }

    if let Some((from, label)) = upgrade_from(args, &doc) {
        if build_failed {
            println!("[ci] upgrade: skipped (the build failed)");
        } else {
            stage("upgrade");
            let paths = match Config::load(&args.repo.join(config::FILE_NAME), false) {
                Ok(c) => c.paths,
                Err(e) => {
                    eprintln!("trm-ci ci: {e}");
                    return 2;
                }
            };
            let opts = upgrade::Options {
                repo: args.repo.clone(),
                paths,
                from,
                label,
                image: args.tag.clone(),
                postgres_image: args.postgres_image.clone(),
                seed_rows: args.seed_rows,
                allow_destructive: args.allow_destructive,
                keep: false,
                boot_timeout: Duration::from_secs(180),
                pull: args.pull,
                check_tree: args.skip_build,
            };
            let started = Instant::now();
            let unusable = |why: String| Upgrade {
                from: opts.label.clone(),
                to_image: Some(args.tag.clone()),
                steps: vec![Scenario { name: "setup".into(), ok: false, failure: Some(why), ..Scenario::default() }],
                ..Upgrade::default()
            };
            let mut u = match upgrade::run(&opts, &progress) {
                Err(e) => unusable(e),
                Ok(r) => {
                    for p in &r.cleanup_problems {
                        eprintln!("[drill] cleanup: {p}");
                    }
                    match r.outcome {
                        upgrade::Outcome::Done(u) => u,
                        upgrade::Outcome::Environment(m) => unusable(m),
                        upgrade::Outcome::Interrupted => return 130,
                    }
                }
            };
            crate::render::upgrade::fill_words(&mut u);
            let ok = u.ok;
            doc.upgrade = Some(u);
            doc = doc.timed(StageName::Upgrade, ok, started.elapsed());
        }
    }

    super::print(&crate::render::human::render(&doc, false));
    let fail_on = super::post::severity(args.fail_on);
    let verdict = doc.verdict(fail_on);
    let line = markdown::verdict_line(&doc, fail_on);
    println!("[ci] {line}");

    let results_path = match &args.json {
        Some(path) => {
            if let Err(e) = super::write_json(path, &doc) {
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
            Ok(env) => code = code.max(super::post::publish(&env, &doc, fail_on)),
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
fn upgrade_from(args: &CiArgs, doc: &Results) -> Option<(String, String)> {
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
            println!("[ci] upgrade: skipped (no base revision to upgrade from; pass --upgrade-from REF)");
            None
        }
    }
}

fn stage(name: &str) {
    println!("[ci] == {name}");
}
