//! The one sticky PR comment: found by the hidden marker AND the token's own
//! identity on every page of the PR's comments, updated in place, not re-sent
//! when unchanged. Comments by anyone else are never touched, even when they
//! carry the marker.

use serde::Deserialize;
use serde_json::json;

use super::client::{ApiError, Client};

/// The hidden first line of trm-ci's comment. User text in the body is
/// escaped (`<` becomes `\<`), so no finding can forge it.
pub const MARKER: &str = "<!-- trm-ci:sticky-comment -->";

/// A page holds at most 100 comments; this many pages is 100,000 comments.
const MAX_PAGES: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created(u64),
    Updated(u64),
    Unchanged(u64),
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    body: Option<String>,
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// The body trm-ci posts: the marker, then the Markdown.
pub fn body(markdown: &str) -> String {
    format!("{MARKER}\n{markdown}")
}

/// Creates or updates the comment on PR `number` of `repo` (`owner/name`).
pub async fn upsert(client: &Client, repo: &str, number: u64, author: &str, body: &str) -> Result<Action, ApiError> {
    match find(client, repo, number, author).await? {
        Some((id, old)) if same(&old, body) => Ok(Action::Unchanged(id)),
        Some((id, _)) => {
            client.patch(&format!("/repos/{repo}/issues/comments/{id}"), &json!({ "body": body })).await?;
            Ok(Action::Updated(id))
        }
        None => {
            let endpoint = format!("/repos/{repo}/issues/{number}/comments");
            let r = client.post(&endpoint, &json!({ "body": body })).await?;
            let id = r.json().and_then(|v| v.get("id").and_then(|i| i.as_u64())).ok_or_else(|| ApiError::Unexpected {
                endpoint: format!("POST {endpoint}"),
                what: "no comment id in the answer".into(),
            })?;
            Ok(Action::Created(id))
        }
    }
}

/// The first comment written by `author` that starts with the marker, on any page.
async fn find(client: &Client, repo: &str, number: u64, author: &str) -> Result<Option<(u64, String)>, ApiError> {
    let mut url = format!("/repos/{repo}/issues/{number}/comments?per_page=100");
    for _ in 0..MAX_PAGES {
        let r = client.get(&url).await?;
        let page: Vec<Comment> = serde_json::from_str(&r.body).map_err(|e| ApiError::Unexpected {
            endpoint: format!("GET /repos/{repo}/issues/{number}/comments"),
            what: format!("not a list of comments: {e}"),
        })?;
        for c in page {
            let mine = c.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(author));
            let body = c.body.unwrap_or_default();
            if mine && body.trim_start().starts_with(MARKER) {
                return Ok(Some((c.id, body)));
            }
        }
        match r.next_page() {
            Some(next) => url = next,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// GitHub stores the body as sent, but may hand back CRLF line ends.
fn same(old: &str, new: &str) -> bool {
    old.replace("\r\n", "\n").trim_end() == new.replace("\r\n", "\n").trim_end()
}
