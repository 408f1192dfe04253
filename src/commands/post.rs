//! `trm-ci post --results FILE [--dry-run]`: publishes a results document on the pull request
//! (src/github/). Outside Actions it names what it needs and exits 2; `--dry-run` prints the
//! comment. A fork's read-only token (or a 403) falls back to workflow-command annotations and
//! does not fail; any other GitHub error names its endpoint and status, exit 1.

use std::sync::Arc;

use crate::cli::{FailOn, PostArgs};
use crate::finding::Severity;
use crate::github::{self, comment, Env, Retry};
use crate::render::markdown::{self, Links};
use crate::results::Results;

pub fn run(args: &PostArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.results) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("trm-ci post: --results {}: {e}", args.results.display());
            return 2;
        }
    };
    let doc: Results = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("trm-ci post: --results {}: not a trm-ci results document: {e}", args.results.display());
            return 2;
        }
    };
    let fail_on = severity(args.fail_on);
    if args.dry_run {
        let env = Env::from_process().ok();
        let links = match &env {
            Some(e) => github::links(e),
            None => Links {
                server_url: std::env::var("GITHUB_SERVER_URL").unwrap_or_else(|_| "https://github.com".into()),
                repository: std::env::var("GITHUB_REPOSITORY").unwrap_or_else(|_| "OWNER/REPO".into()),
                sha: doc.head.clone().unwrap_or_default(),
                run_url: None,
            },
        };
        super::print(&comment::body(&markdown::render(&doc, fail_on, &links, markdown::COMMENT_LIMIT)));
        return 0;
    }
    let env = match Env::from_process() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("trm-ci post: {e}; `--dry-run` prints the comment without posting");
            return 2;
        }
    };
    publish(&env, &doc, fail_on)
}

/// The lowest severity that fails the run (`--fail-on`).
pub(super) fn severity(fail_on: FailOn) -> Severity {
    match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    }
}

/// Publishes and reports what was done; the exit code (0, or 1 for a GitHub error).
pub(super) fn publish(env: &Env, doc: &Results, fail_on: Severity) -> i32 {
    let log: github::Log = Arc::new(|s: &str| eprintln!("trm-ci post: {s}"));
    let out = github::publish(env, doc, fail_on, Retry::default(), log);
    super::print(&out.workflow_commands);
    match out.comment {
        Some(comment::Action::Created(id)) => eprintln!("trm-ci post: comment {id} created"),
        Some(comment::Action::Updated(id)) => eprintln!("trm-ci post: comment {id} updated"),
        Some(comment::Action::Unchanged(id)) => eprintln!("trm-ci post: comment {id} unchanged, not sent again"),
        None => {}
    }
    if let Some(c) = &out.check_run {
        eprintln!("trm-ci post: check run {} ({} annotations in {} requests)", c.id, c.annotations, c.requests);
    }
    if let Some(why) = &out.fallback {
        eprintln!("trm-ci post: {why}");
    }
    if let Some(p) = &out.summary {
        eprintln!("trm-ci post: job summary written to {}", p.display());
    }
    for e in &out.errors {
        eprintln!("trm-ci post: ERROR: {e}");
    }
    if out.errors.is_empty() {
        0
    } else {
        1
    }
}
