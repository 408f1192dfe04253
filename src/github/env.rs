//! The environment GitHub Actions gives a step: the token, the repository,
//! the event (pull request number, head sha, base ref, fork or not), the API
//! and server URLs, the run id and the job summary file.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// The login the Actions `GITHUB_TOKEN` comments as. The token may not call
/// `GET /user` (it is an installation token, not a user), so the identity is
/// this known name unless `TRM_CI_COMMENT_AUTHOR` names another (a PAT's user,
/// a GitHub App's `name[bot]`).
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// A token: its Debug and Display never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Token {
        Token(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    /// The head branch lives in another repository (or a deleted one): the
    /// token is read-only and secrets are absent.
    pub fork: bool,
}

#[derive(Debug, Clone)]
pub struct Env {
    pub token: Token,
    /// `owner/name`
    pub repository: String,
    pub api_url: String,
    pub server_url: String,
    /// `GITHUB_SHA`: for a pull_request event the merge commit, not the head.
    pub sha: Option<String>,
    pub run_id: Option<String>,
    pub step_summary: Option<PathBuf>,
    pub pull_request: Option<PullRequest>,
    /// The comment author trm-ci recognises as itself.
    pub comment_author: String,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Result<Env, String> {
        Env::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the variables through `get` (tests pass a map). Err names every
    /// variable that is missing or wrong, and what sets it.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Env, String> {
        let mut missing = Vec::new();
        let token = get("GITHUB_TOKEN");
        if token.is_none() {
            missing.push("GITHUB_TOKEN (pass it to the step: `env: GITHUB_TOKEN: ${{ github.token }}`)");
        }
        let repository = get("GITHUB_REPOSITORY");
        if repository.is_none() {
            missing.push("GITHUB_REPOSITORY (owner/name)");
        }
        let event_path = get("GITHUB_EVENT_PATH");
        if event_path.is_none() {
            missing.push("GITHUB_EVENT_PATH (the event JSON)");
        }
        if !missing.is_empty() {
            return Err(format!(
                "not running in GitHub Actions: missing {}; Actions sets all but the token itself (GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID and GITHUB_STEP_SUMMARY are used when set)",
                missing.join(", ")
            ));
        }
        let (token, repository, event_path) = (token.unwrap_or_default(), repository.unwrap_or_default(), event_path.unwrap_or_default());
        let token = checked_token(&token)?;
        if !valid_repository(&repository) {
            return Err(format!("GITHUB_REPOSITORY `{repository}` is not `owner/name`"));
        }
        let event = std::fs::read_to_string(&event_path).map_err(|e| format!("GITHUB_EVENT_PATH {event_path}: {e}"))?;
        let pull_request = parse_event(&event).map_err(|e| format!("GITHUB_EVENT_PATH {event_path}: {e}"))?;
        Ok(Env {
            token: Token(token),
            repository,
            api_url: get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()).trim_end_matches('/').to_string(),
            server_url: get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()).trim_end_matches('/').to_string(),
            sha: get("GITHUB_SHA"),
            run_id: get("GITHUB_RUN_ID"),
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            pull_request,
            comment_author: get("TRM_CI_COMMENT_AUTHOR").unwrap_or_else(|| ACTIONS_BOT.into()),
        })
    }

    /// The commit the check run and the links are about: the PR's head, else `GITHUB_SHA`.
    pub fn head_sha(&self) -> Option<&str> {
        self.pull_request.as_ref().map(|p| p.head_sha.as_str()).or(self.sha.as_deref())
    }

    /// `{server}/{repo}/actions/runs/{id}`
    pub fn run_url(&self) -> Option<String> {
        self.run_id.as_ref().map(|id| format!("{}/{}/actions/runs/{id}", self.server_url, self.repository))
    }
}

/// The token without the blanks around it (a secret pasted with its line break); Err
/// (never showing it) when what is left could not go into an `Authorization` header:
/// empty, or holding a space, a control character or a non-ASCII character. GitHub's
/// tokens are printable ASCII.
pub fn checked_token(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("GITHUB_TOKEN is empty (or only blanks)".into());
    }
    if let Some((i, c)) = t.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = if c.is_ascii_control() {
            "a control character"
        } else if c.is_whitespace() {
            "a blank"
        } else {
            "a non-ASCII character"
        };
        return Err(format!(
            "GITHUB_TOKEN is not a token: it holds {what} at byte {} (of {}); pass the token itself (`env: GITHUB_TOKEN: ${{{{ github.token }}}}`)",
            raw.len() - raw.trim_start().len() + i + 1,
            raw.len()
        ));
    }
    Ok(t.to_string())
}

/// `owner/name` with GitHub's characters only, so it is safe in a URL path.
fn valid_repository(s: &str) -> bool {
    let mut parts = s.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p != "." && p != ".." && p.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

#[derive(Deserialize)]
struct Event {
    pull_request: Option<EventPr>,
}

#[derive(Deserialize)]
struct EventPr {
    number: u64,
    head: EventRef,
    base: EventRef,
}

#[derive(Deserialize)]
struct EventRef {
    sha: String,
    #[serde(rename = "ref")]
    git_ref: String,
    /// null when the fork was deleted.
    repo: Option<EventRepo>,
}

#[derive(Deserialize)]
struct EventRepo {
    full_name: String,
}

/// The pull request of a `pull_request` / `pull_request_target` event; None for other events.
pub fn parse_event(json: &str) -> Result<Option<PullRequest>, String> {
    let ev: Event = serde_json::from_str(json).map_err(|e| format!("not a GitHub event: {e}"))?;
    Ok(ev.pull_request.map(|p| {
        let base_repo = p.base.repo.as_ref().map(|r| r.full_name.as_str());
        let head_repo = p.head.repo.as_ref().map(|r| r.full_name.as_str());
        let fork = match (head_repo, base_repo) {
            (Some(h), Some(b)) => !h.eq_ignore_ascii_case(b),
            _ => true,
        };
        PullRequest { number: p.number, head_sha: p.head.sha, head_ref: p.head.git_ref, base_ref: p.base.git_ref, fork }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"action":"opened","number":7,"pull_request":{"number":7,
        "head":{"sha":"abc","ref":"feature","repo":{"full_name":"someone/fork","fork":true}},
        "base":{"sha":"def","ref":"main","repo":{"full_name":"acme/shop","fork":false}}}}"#;

    #[test]
    fn event_gives_pr_and_fork() {
        let pr = parse_event(EVENT).unwrap().unwrap();
        assert_eq!(pr.number, 7);
        assert_eq!(pr.head_sha, "abc");
        assert_eq!(pr.base_ref, "main");
        assert!(pr.fork);
        let same = EVENT.replace("someone/fork", "acme/shop");
        assert!(!parse_event(&same).unwrap().unwrap().fork);
        assert_eq!(parse_event(r#"{"ref":"refs/heads/main"}"#).unwrap(), None);
        assert!(parse_event("[").is_err());
    }

    #[test]
    fn missing_variables_are_named_and_token_is_hidden() {
        let e = Env::from_lookup(|_| None).unwrap_err();
        assert!(e.contains("GITHUB_TOKEN") && e.contains("GITHUB_REPOSITORY") && e.contains("GITHUB_EVENT_PATH"), "{e}");
        assert_eq!(format!("{:?} {}", Token::new("ghs_secret"), Token::new("ghs_secret")), "Token(***) ***");
    }

    #[test]
    fn tokens_are_trimmed_and_checked_never_shown() {
        assert_eq!(checked_token("ghs_abc\n").unwrap(), "ghs_abc");
        assert_eq!(checked_token("  ghs_abc\r\n").unwrap(), "ghs_abc");
        for bad in ["", " \n", "ghs_a\nb", "ghs_a b", "ghs_\u{e9}", "ghs\u{7f}x"] {
            let e = checked_token(bad).unwrap_err();
            assert!(!e.contains("ghs_"), "{e}");
        }
        assert!(checked_token("ghs_a\nb").unwrap_err().contains("a control character at byte 6 (of 7)"));
    }

    #[test]
    fn repository_must_be_owner_name() {
        assert!(valid_repository("acme/shop.io"));
        assert!(!valid_repository("acme/../x"));
        assert!(!valid_repository("acme"));
        assert!(!valid_repository("acme/shop?x=1"));
    }
}
