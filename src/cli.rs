//! The command line (clap): every argument struct, nothing else. The command layer
//! (src/commands/) turns each into its module's options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::render::Format;

#[derive(Debug, Parser)]
#[command(name = "trm-ci", version, about = "Lint, build and smoke-boot the Directus deployment", propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check migrations, snapshot, Dockerfile, scripts and compose in one pass.
    /// Exit 0: no error-level finding; 1: at least one; 2: usage or internal error.
    Lint(LintArgs),
    /// List every rule: id, default severity, summary (`--format json`: also whether it
    /// needs the base, and its documentation).
    Rules(RulesArgs),
    /// Print a rule's documentation: what, why, example, fix.
    Explain {
        /// A rule id, e.g. migrations/destructive
        rule: String,
    },
    /// What this branch does to the schema: the snapshot's changes against the
    /// base, in words, destructive ones first. Exit 0 with or without changes;
    /// 2: no base, unreadable snapshot, usage error.
    Diff(DiffArgs),
    /// Manage the git pre-commit hook.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Build the image through the Docker Engine API and report its layers and size.
    Build(BuildArgs),
    /// Boot the image against a real Postgres: cold, warm, faults, image facts.
    Smoke(SmokeArgs),
    /// Run lint, build and smoke, going on past a failing stage where the next still informs;
    /// write the results document. Exit 1 when a stage failed.
    Ci(CiArgs),
    /// Publish a results document on the pull request: sticky comment, check run, job summary.
    Post(PostArgs),
}

#[derive(Debug, clap::Args)]
pub struct CiArgs {
    /// The repository to check.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The git revision the base-dependent rules compare with (as for `lint`).
    #[arg(long)]
    pub base: Option<String>,
    /// The configuration file (default: trm-ci.toml at the repository root, if present): the
    /// lint's rules and the paths smoke and the drill read their expectations from.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not run the lint stage.
    #[arg(long)]
    pub skip_lint: bool,
    /// Do not build the image (smoke then boots an existing `--tag`).
    #[arg(long)]
    pub skip_build: bool,
    /// Do not boot the image.
    #[arg(long)]
    pub skip_smoke: bool,
    /// Do not run the upgrade drill (by default it runs on a pull request, from the base).
    #[arg(long)]
    pub skip_upgrade: bool,
    /// Run the upgrade drill from this revision (default on a pull request: the lint base's
    /// commit, i.e. the merge-base with origin/$GITHUB_BASE_REF; elsewhere no drill).
    #[arg(long, value_name = "REF")]
    pub upgrade_from: Option<String>,
    /// Rows the upgrade drill seeds per collection.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub seed_rows: usize,
    /// Let the upgrade drill's head boot delete collections and fields and report what was dropped.
    #[arg(long)]
    pub allow_destructive: bool,
    /// The image's tag (built, then booted).
    #[arg(long, default_value = "trm-directus:dev")]
    pub tag: String,
    /// The image size budget: 600MB, 1.2GB, 25MiB, or bytes (as for `build`: when the base image
    /// alone is larger, --max-added-size decides).
    #[arg(long, default_value = "600MB")]
    pub max_size: String,
    /// The budget for what the Dockerfile adds over the base image (as for `build`).
    #[arg(long, default_value = "25MB")]
    pub max_added_size: String,
    /// The Postgres image smoke and the drill boot against (pulled when missing, see --pull).
    #[arg(long, default_value = "postgres:16-alpine")]
    pub postgres_image: String,
    /// When an image the run needs is pulled from its registry (credentials as the Docker CLI
    /// finds them: $DOCKER_CONFIG or ~/.docker/config.json): `missing` (only one the engine
    /// lacks), `always`, `never` (an absent image is an error).
    #[arg(long, value_enum, default_value = "missing")]
    pub pull: crate::docker::PullPolicy,
    /// The lowest finding severity that fails the run.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Write the results document to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also publish the results as `trm-ci post` does.
    #[arg(long)]
    pub post: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, clap::Args)]
pub struct PostArgs {
    /// The results document (`trm-ci ci --json FILE`, `lint --format json`, `build/smoke --json`).
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,
    /// Print the comment instead of posting it.
    #[arg(long)]
    pub dry_run: bool,
    /// The lowest finding severity that makes the verdict (and the check run) a failure.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The repository to check.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The git revision base-dependent rules compare with (default: origin/$GITHUB_BASE_REF
    /// in GitHub Actions, else the merge-base with origin/main or main).
    #[arg(long)]
    pub base: Option<String>,
    /// Read the files from the git index instead of the work tree (pre-commit).
    #[arg(long)]
    pub staged: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The configuration file (default: trm-ci.toml at the repository root, if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also replay every migration on this PostgreSQL server (libpq URL) inside a
    /// transaction that is rolled back, and report the server's own errors.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// The lowest finding severity that makes the exit code 1 (`never`: always 0 unless a usage
    /// or environment error, exit 2).
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: LintFailOn,
    /// Judge every migration, also those unchanged since the base (a full audit; as
    /// `[lint] all = true`). By default, when there is a base, a finding of a `migrations/*`
    /// rule in a migration unchanged since the base that the base has too is pre-existing:
    /// listed, never failing the run.
    #[arg(long)]
    pub all: bool,
    /// Which file `-` is (its path, relative to the current directory like a PATH): the
    /// migration read from standard input is linted as that file of the repository.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<String>,
    /// Report findings only in these files or directories (relative to the current directory;
    /// cross-file rules still see everything). Each must name a file trm-ci lints (else exit 2).
    /// `-`: read the file from standard input (with --stdin-filename).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "human")]
    pub format: RulesFormat,
    /// Instead of listing: write each rule's documentation (what `explain` prints) to
    /// DIR/<area>/<name>.md and the catalog to DIR/README.md (the repository's docs/rules).
    #[arg(long, value_name = "DIR")]
    pub write_docs: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The repository to compare.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The git revision to compare with (chosen like `lint`'s: default
    /// origin/$GITHUB_BASE_REF in GitHub Actions, else the merge-base with origin/main or main).
    #[arg(long)]
    pub base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::render::schema_report::DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit running `trm-ci lint --staged`.
    Install {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// Replace an existing pre-commit hook.
        #[arg(long)]
        force: bool,
    },
    /// Remove the hook `install` wrote (restoring the one it replaced, if any).
    Uninstall {
        #[arg(long, default_value = ".")]
        repo: PathBuf,
    },
}

/// Arguments of `trm-ci build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// The repository holding the Dockerfile (the build context, filtered by its .dockerignore).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Tag of the built image.
    #[arg(long, default_value = "trm-directus:dev")]
    pub tag: String,
    /// Fail (exit 1) when the image is larger: 600MB, 1.2GB, 25MiB, or bytes. When the base
    /// image alone is larger, that is reported and --max-added-size decides.
    #[arg(long, default_value = "600MB")]
    pub max_size: String,
    /// Fail (exit 1) when the Dockerfile adds more than this over the base image (what this
    /// repository controls): 25MB, 1.5MiB, or bytes.
    #[arg(long, default_value = "25MB")]
    pub max_added_size: String,
    /// Write the results document (with the build stage) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The Dockerfile, relative to --repo.
    #[arg(long, default_value = "Dockerfile")]
    pub dockerfile: String,
    /// Build without the layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// When the Dockerfile's base images are pulled (the builder itself never pulls):
    /// `missing` (only those the engine lacks), `always`, `never` (an absent base is an error).
    /// Credentials as the Docker CLI finds them ($DOCKER_CONFIG or ~/.docker/config.json).
    #[arg(long, value_enum, default_value = "missing")]
    pub pull: crate::docker::PullPolicy,
}

/// The default of `smoke --boot-timeout` (seconds), which `ci` runs with.
pub const BOOT_TIMEOUT_S: u64 = 180;
/// The default of `smoke --fault-timeout` (seconds), which `ci` runs with.
pub const FAULT_TIMEOUT_S: u64 = 90;

/// Arguments of `trm-ci smoke`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {
    /// The repository: its migrations, snapshot and Dockerfile (where its trm-ci.toml's [paths]
    /// put them) are read for the expectations.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The image to boot (built by `trm-ci build`).
    #[arg(long, default_value = "trm-directus:dev")]
    pub image: String,
    /// The PostgreSQL image; it must honour POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.
    #[arg(long, default_value = "postgres:16-alpine")]
    pub postgres_image: String,
    /// When the Postgres image (and, with --build or the drill, the base images) is pulled:
    /// `missing` (only when the engine lacks it), `always`, `never` (absent is an error).
    /// --image is never pulled: it must be the image of --repo's tree.
    #[arg(long, value_enum, default_value = "missing")]
    pub pull: crate::docker::PullPolicy,
    /// Build --image from --repo first, as `trm-ci build --tag IMAGE` with its defaults (a failed
    /// build, budgets included, ends the run with exit 1). Without it, an --image built from
    /// another tree is refused.
    #[arg(long)]
    pub build: bool,
    /// Write the results document (with the smoke stage) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Leave the containers and the network for debugging, and print how to remove them.
    #[arg(long)]
    pub keep: bool,
    /// Run only these scenarios (comma separated): cold, warm, image-facts, stop, crash, db-init-fault,
    /// schema-fault, and the replica scenarios that run only when named here: replicas, kill-leader,
    /// stale-replica; `upgrade` alone runs no scenario, only the drill (--upgrade-from).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Also time the base image's own plain boot (bootstrap then start; no db-init, no schema) on
    /// the same machine, and report the cold and warm ratios against it.
    #[arg(long)]
    pub baseline: bool,
    /// The base image for --baseline (default: the FROM of the repository's Dockerfile).
    #[arg(long)]
    pub base_image: Option<String>,
    /// Seconds a boot may take to become healthy before the scenario fails.
    #[arg(long, default_value_t = BOOT_TIMEOUT_S)]
    pub boot_timeout: u64,
    /// Seconds a container may take to exit after Postgres is killed under it.
    #[arg(long, default_value_t = FAULT_TIMEOUT_S)]
    pub fault_timeout: u64,
    /// The upgrade drill: build REF's image from its tree (cached by the tree's hash), boot it on
    /// a fresh database, seed rows through the REST API, then boot --image on that database and
    /// check every row; then boot REF's image again (rollback). With --only upgrade, only the drill.
    #[arg(long, value_name = "REF")]
    pub upgrade_from: Option<String>,
    /// Rows the drill seeds per collection.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub seed_rows: usize,
    /// Let the drill's head boot delete collections and fields (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1)
    /// and report what was dropped.
    #[arg(long)]
    pub allow_destructive: bool,
}
