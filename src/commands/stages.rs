//! The container stages as every command runs them (`build`, `smoke`, `ci`): their options
//! from one place ([`Settings`]: the image, Postgres, the timeouts, the repository's `[paths]`
//! loaded once), each stage run with the progress sink and every finished scenario or drill step
//! rendered as it ends (src/render/container.rs), what cleanup could not remove said, and the
//! upgrade drill's words filled (src/render/upgrade_drill.rs). The stages themselves (src/docker/,
//! src/upgrade/) return data and never print.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{self, Config, Paths};
use crate::docker::{self, Guarded, PullPolicy, SmokeOptions, Unfinished};
use crate::progress::Progress;
use crate::render;
use crate::results::{Smoke, Upgrade};
use crate::upgrade;

/// What the container stages of one command run with.
pub(super) struct Settings {
    pub repo: PathBuf,
    /// The repository's `[paths]` (its trm-ci.toml, or the defaults without one).
    pub paths: Paths,
    /// The image under test (`--image`, or `ci`'s `--tag`).
    pub image: String,
    pub postgres_image: String,
    pub keep: bool,
    pub boot_timeout: Duration,
    pub fault_timeout: Duration,
    pub seed_rows: usize,
    pub allow_destructive: bool,
    /// When the images a stage needs are pulled (the image under test never is).
    pub pull: PullPolicy,
    /// Refuse an image under test whose context label is not `repo`'s (false: the caller just
    /// built it).
    pub check_tree: bool,
}

/// The repository's `[paths]`, from its trm-ci.toml (the defaults without one); an error is a
/// usage error (exit 2).
pub(super) fn paths(repo: &std::path::Path) -> Result<Paths, String> {
    Ok(Config::load(&repo.join(config::FILE_NAME), false)?.paths)
}

impl Settings {
    /// Smoke's options: these scenarios (empty: all), with or without the baseline.
    pub fn smoke(&self, only: Vec<docker::scenarios::Kind>, baseline: bool, base_image: Option<String>) -> SmokeOptions {
        SmokeOptions {
            repo: self.repo.clone(),
            paths: self.paths.clone(),
            image: self.image.clone(),
            postgres_image: self.postgres_image.clone(),
            keep: self.keep,
            only,
            baseline,
            base_image,
            boot_timeout: self.boot_timeout,
            fault_timeout: self.fault_timeout,
            pull: self.pull,
            check_tree: self.check_tree,
        }
    }

    /// The upgrade drill's options: from `from`, named `label` in the report.
    pub fn drill(&self, from: String, label: String) -> upgrade::Options {
        upgrade::Options {
            repo: self.repo.clone(),
            paths: self.paths.clone(),
            from,
            label,
            image: self.image.clone(),
            postgres_image: self.postgres_image.clone(),
            seed_rows: self.seed_rows,
            allow_destructive: self.allow_destructive,
            keep: self.keep,
            boot_timeout: self.boot_timeout,
            pull: self.pull,
            check_tree: self.check_tree,
        }
    }
}

/// Runs smoke: each scenario shown as it ends, cleanup problems on standard error.
pub(super) fn smoke(opts: &SmokeOptions, progress: &Progress) -> Guarded<Smoke> {
    let g = docker::smoke(opts, progress, &mut |s| progress.line(render::container::scenario(s).trim_end_matches('\n')));
    for p in &g.cleanup_problems {
        eprintln!("[smoke] cleanup: {p}");
    }
    g
}

/// Runs the upgrade drill: each step shown as it ends, cleanup problems on standard error.
pub(super) fn drill(opts: &upgrade::Options, progress: &Progress) -> Guarded<Upgrade> {
    let g = upgrade::run(opts, progress, &mut |s| progress.line(render::container::scenario_as("drill", s).trim_end_matches('\n')));
    for p in &g.cleanup_problems {
        eprintln!("[drill] cleanup: {p}");
    }
    g
}

/// The report of a guarded stage and the `--keep` line to print after it; or, when there is no
/// report, the keep line and the reason printed and the exit code (130 interrupted, 2 the
/// environment, 1 an unfit image).
pub(super) fn report<T>(g: Guarded<T>, what: &str) -> Result<(T, String), i32> {
    let keep_line = keep_line(what, g.kept.as_deref());
    match g.outcome {
        Ok(report) => Ok((report, keep_line)),
        Err(Unfinished::Interrupted) => {
            super::print(&keep_line);
            Err(130)
        }
        Err(Unfinished::Environment(msg)) => {
            super::print(&keep_line);
            eprintln!("{msg}");
            Err(2)
        }
        Err(Unfinished::Unfit(msg)) => {
            super::print(&keep_line);
            eprintln!("{msg}");
            Err(1)
        }
    }
}

fn keep_line(what: &str, kept: Option<&str>) -> String {
    match kept {
        Some(cmd) if !cmd.is_empty() => format!("[{what}] --keep: left for debugging; remove with:\n  {cmd}\n"),
        _ => String::new(),
    }
}
