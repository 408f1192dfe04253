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
//!    boot itself unless `--allow-destructive` (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1). Directus's own
//!    migrations that boot ran are read from `directus_migrations` ([`directus_upgrade`]), with
//!    the Directus version of each image.
//! 7. `verify`: the fingerprint again; every row preserved, or what was lost and dropped.
//! 8. `rollback`: the base image again on the upgraded database; its outcome is reported, with
//!    what the schema step's snapshot-history guard did ([`log_lines::schema_guard`]).
//!
//! Everything runs inside [`crate::docker::stack::guarded`]: containers, network and volumes are
//! removed on success, failure, Ctrl-C and SIGTERM (or left with `--keep`); the exported tree is
//! removed in every case.

pub mod log_lines;
mod drill;
pub mod directus_upgrade;
pub mod fingerprint;
mod inputs;
pub mod same_image;
pub mod seed;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Paths;
use crate::docker::stack::{self, Guarded, Unfinished};
use crate::progress::Progress;
use crate::results::{Scenario, Upgrade};

pub use log_lines::{applied_migrations, rollback_outcome, schema_guard, schema_plan};
pub use inputs::shared_columns;

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

fn env_err(m: impl std::fmt::Display) -> Unfinished {
    Unfinished::Environment(format!("trm-ci smoke --upgrade-from: {m}"))
}

/// Runs the drill on its own runtime: engine, stack, steps, cleanup. Progress goes to
/// `progress`, each finished step to `on_step`; the report is returned, never printed (the
/// engine not answering is an environment problem).
pub fn run(opts: &Options, progress: &Progress, on_step: &mut dyn FnMut(&Scenario)) -> Guarded<Upgrade> {
    let inputs = match inputs::read(opts) {
        Ok(i) => i,
        Err(e) => return Guarded { outcome: Err(env_err(e)), kept: None, cleanup_problems: Vec::new() },
    };
    let rt = match crate::docker::engine::runtime() {
        Ok(rt) => rt,
        Err(e) => return Guarded::unusable(e),
    };
    rt.block_on(async {
        let docker = match crate::docker::engine::connect().await {
            Ok(d) => d,
            Err(e) => return Guarded::unusable(e),
        };
        let run_id = crate::docker::engine::random_hex(4);
        let export = std::env::temp_dir().join(format!("trm-drill-{run_id}"));
        let keep = opts.keep;
        let mut g = stack::guarded(
            &docker,
            keep,
            |tracker| drill::run(docker.clone(), opts, &inputs, run_id.clone(), tracker, &export, progress, on_step),
            || progress.warn(&format!("\n[drill] interrupted (Ctrl-C){}", if keep { "" } else { ": cleaning up" })),
        )
        .await;
        let _ = std::fs::remove_dir_all(&export);
        if let Ok(u) = &mut g.outcome {
            u.kept = g.kept.clone();
        }
        g
    })
}

/// The base image's tag: the tree's hash names its content.
pub fn base_tag(tree: &str) -> String {
    format!("trm-directus:base-{}", &tree[..tree.len().min(12)])
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_tags_name_the_tree() {
        assert_eq!(base_tag("0123456789abcdef0123"), "trm-directus:base-0123456789ab");
    }
}
