//! The command layer: each command turns its clap arguments (src/cli.rs) into its module's
//! options, runs it, gets a report back, renders it (src/render/) and picks the exit code. This
//! is the only place that prints results and decides exit codes; progress of the long-running
//! commands goes through [`crate::progress::Progress`].

mod build;
mod catalog;
mod ci;
mod diff;
mod hook;
mod lint;
mod post;
mod smoke;
mod stages;

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command, HookCommand};
use crate::results::Results;

/// Runs the command; the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Lint(args) => lint::run(args),
        Command::Rules(args) => match &args.write_docs {
            Some(dir) => catalog::write_docs(dir),
            None => catalog::list(args.format),
        },
        Command::Explain { rule } => catalog::explain(&rule),
        Command::Diff(args) => diff::run(args),
        Command::Hook(HookCommand::Install { repo, force }) => hook::install(&repo, force),
        Command::Hook(HookCommand::Uninstall { repo }) => hook::uninstall(&repo),
        Command::Build(args) => build::run(&args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Ci(args) => ci::run(&args),
        Command::Post(args) => post::run(&args),
    }
}

/// Writes to standard output; a closed pipe (`trm-ci rules | head`) is not an error worth a panic.
fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Writes the document as JSON to `path`.
fn write_json(path: &Path, doc: &Results) -> Result<(), String> {
    std::fs::write(path, crate::render::json::render(doc)).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The trm-ci that writes the document: `TRM_CI_RULES_URL` (the Action sets it to its own ref's
/// docs/rules/) overrides where the rule documentation is; else what the build baked in.
fn tool() -> crate::results::Tool {
    let mut tool = crate::results::Tool::default();
    if let Some(url) = std::env::var("TRM_CI_RULES_URL").ok().filter(|u| !u.trim().is_empty()) {
        match crate::results::rules_url(&url) {
            Some(u) => tool.rules_url = Some(u),
            None => eprintln!("trm-ci: TRM_CI_RULES_URL is not an http(s) URL; rule ids are not linked"),
        }
    }
    tool
}

/// The repository root and its HEAD commit, for a document whose stage did not read git itself.
fn repository(dir: &Path) -> (Option<String>, Option<String>) {
    let root = dir.canonicalize().ok();
    let head = root.as_deref().and_then(crate::repo::open).and_then(|g| crate::repo::head_commit(&g));
    (root.map(|r| r.display().to_string()), head)
}
