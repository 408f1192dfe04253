//! The command line (clap). main.rs maps each command to its module and
//! exit code.

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
    /// List every rule: id, default severity, summary.
    Rules,
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
    Build(crate::docker::BuildArgs),
    /// Boot the image against a real Postgres: cold, warm, faults, image facts.
    Smoke(crate::docker::SmokeArgs),
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
    /// Report findings only in these files or directories (cross-file rules still see everything).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
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
    pub format: crate::render::schema_diff::DiffFormat,
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
}
