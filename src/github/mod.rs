//! Publishing a run on GitHub (`trm-ci post`): the sticky PR comment, the
//! check run with annotations, the job summary, and — when the token may not
//! write (a fork's pull request, a 403) — workflow-command annotations instead.
//!
//! The only module that talks to GitHub (octocrab). It returns an [`Outcome`]
//! (data); the command layer prints it and picks the exit code.
//!
//! - [`env`]: the Actions variables and the event file
//! - [`client`]: octocrab plus bounded retries; errors name endpoint and status
//! - [`comment`]: the sticky comment
//! - [`checks`]: the check run
//! - [`summary`]: the job summary and the fallback annotations

pub mod checks;
pub mod client;
pub mod comment;
pub mod env;
pub mod summary;

use std::path::PathBuf;

pub use client::{ApiError, Log, Retry};
pub use env::Env;

use crate::finding::Severity;
use crate::render::markdown::{self, Links};
use crate::results::Results;

/// What `publish` did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub comment: Option<comment::Action>,
    pub check_run: Option<checks::Sent>,
    /// The job summary file written to.
    pub summary: Option<PathBuf>,
    /// Why the results went to workflow-command annotations instead of the
    /// pull request (a fork, a 403): to be said once in the log.
    pub fallback: Option<String>,
    /// The fallback's workflow commands, for standard output.
    pub workflow_commands: String,
    /// Errors that are not the token's read-only-ness: endpoint and status.
    pub errors: Vec<String>,
}

/// The links of the comment: blob URLs at the head sha, the run.
pub fn links(env: &Env) -> Links {
    Links {
        server_url: env.server_url.clone(),
        repository: env.repository.clone(),
        sha: env.head_sha().unwrap_or_default().to_string(),
        run_url: env.run_url(),
    }
}

/// Publishes the results document `doc`, whose verdict fails at `fail_on` (blocking: runs its
/// own small tokio runtime).
pub fn publish(env: &Env, doc: &Results, fail_on: Severity, retry: Retry, log: Log) -> Outcome {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Outcome { errors: vec![format!("cannot start the async runtime: {e}")], ..Outcome::default() },
    };
    rt.block_on(publish_async(env, doc, fail_on, retry, log))
}

pub async fn publish_async(env: &Env, doc: &Results, fail_on: Severity, retry: Retry, log: Log) -> Outcome {
    let links = links(env);
    let md = markdown::render(doc, fail_on, &links, markdown::COMMENT_LIMIT);
    let mut out = Outcome::default();
    let mut forbidden: Vec<String> = Vec::new();

    if let Some(pr) = env.pull_request.as_ref().filter(|p| p.fork) {
        forbidden.push(format!(
            "pull request #{} comes from a fork, whose token is read-only: no comment and no check run",
            pr.number
        ));
    } else {
        match client::Client::new(&env.api_url, &env.token, log) {
            Err(e) => out.errors.push(e),
            Ok(mut client) => {
                client.retry = retry;
                if let Some(pr) = &env.pull_request {
                    match comment::upsert(&client, &env.repository, pr.number, &env.comment_author, &comment::body(&md)).await {
                        Ok(a) => out.comment = Some(a),
                        Err(e) if e.is_forbidden() => forbidden.push(format!("the token may not comment ({e})")),
                        Err(e) => out.errors.push(e.to_string()),
                    }
                }
                match env.head_sha() {
                    Some(sha) => match checks::publish(&client, &env.repository, sha, doc, fail_on, &md, links.run_url.as_deref()).await {
                        Ok(s) => out.check_run = Some(s),
                        Err(e) if e.is_forbidden() => forbidden.push(format!("the token may not create check runs ({e})")),
                        Err(e) => out.errors.push(e.to_string()),
                    },
                    None => out.errors.push("no head sha: GITHUB_SHA is not set and the event is not a pull request".into()),
                }
            }
        }
    }

    // Without a check run the annotations go out as workflow commands (GitHub
    // shows 10 errors and 10 warnings per step; the rest go to the job summary).
    let mut rest = Vec::new();
    if out.check_run.is_none() {
        let (commands, r) = summary::workflow_annotations(doc);
        out.workflow_commands = commands;
        rest = r;
        let why = if forbidden.is_empty() { "the check run could not be created".to_string() } else { forbidden.join("; ") };
        out.fallback = Some(format!(
            "{why}: the findings are workflow-command annotations instead (the {} most severe errors and {} warnings), {}",
            summary::FALLBACK_PER_LEVEL,
            summary::FALLBACK_PER_LEVEL,
            if rest.is_empty() { "and the job summary".to_string() } else { format!("the other {} in the job summary", rest.len()) }
        ));
    }

    if let Some(path) = &env.step_summary {
        match summary::write(path, &md, &rest) {
            Ok(()) => out.summary = Some(path.clone()),
            Err(e) => out.errors.push(format!("GITHUB_STEP_SUMMARY {}: {e}", path.display())),
        }
    }
    out
}
