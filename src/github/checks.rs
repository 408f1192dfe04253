//! The check run `trm-ci` on the head sha: the verdict as its conclusion, the
//! Markdown summary, and one annotation per finding at file:line — 50 per
//! request (the API's limit): the first 50 with the create, the rest appended
//! by updates.

use serde::Serialize;
use serde_json::json;

use super::client::{ApiError, Client};
use crate::finding::{Finding, Severity};
use crate::results::{Results, Verdict};

pub const NAME: &str = "trm-ci";
/// Annotations per create/update request.
pub const BATCH: usize = 50;
/// `output.summary` and `output.text`: at most 65,535 characters each.
pub const SUMMARY_LIMIT: usize = 65_535;
/// An annotation's message and raw_details: at most 64 KB.
const MESSAGE_BYTES: usize = 64 * 1024 - 1;
/// An annotation's title: at most 255 characters.
const TITLE_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    pub annotation_level: &'static str,
    pub message: String,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub raw_details: String,
}

impl Annotation {
    pub fn from_finding(f: &Finding) -> Annotation {
        let start = f.span.map(|s| s.line).unwrap_or(1).max(1);
        let end = f.span.map(|s| s.end_line).unwrap_or(start).max(start);
        // Columns only on a one-line annotation (the API refuses them otherwise);
        // end_col points past the last character, the API's end_column at it.
        let (start_column, end_column) = match (f.span.map(|s| s.col), f.span.map(|s| s.end_col)) {
            (Some(c), Some(e)) if start == end => (Some(c), Some(e.saturating_sub(1).max(c))),
            _ => (None, None),
        };
        Annotation {
            path: f.file.clone(),
            start_line: start,
            end_line: end,
            start_column,
            end_column,
            annotation_level: match f.severity {
                Severity::Error => "failure",
                Severity::Warning => "warning",
            },
            message: cut_bytes(&f.message, MESSAGE_BYTES),
            title: f.rule.chars().take(TITLE_CHARS).collect(),
            raw_details: cut_bytes(&f.help, MESSAGE_BYTES),
        }
    }
}

/// What was sent: the check run's id and how many requests carried annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub id: u64,
    pub requests: usize,
    pub annotations: usize,
}

/// Creates the completed check run for `doc` (its verdict failing at `fail_on`), then appends
/// the remaining annotations.
pub async fn publish(
    client: &Client,
    repo: &str,
    head_sha: &str,
    doc: &Results,
    fail_on: Severity,
    summary: &str,
    details_url: Option<&str>,
) -> Result<Sent, ApiError> {
    let findings = doc.lint.as_ref().map(|l| l.most_severe_first()).unwrap_or_default();
    let annotations: Vec<Annotation> = findings.into_iter().map(Annotation::from_finding).collect();
    let mut batches = annotations.chunks(BATCH);
    let title = crate::render::markdown::verdict_line(doc, fail_on);
    let title: String = title.chars().take(TITLE_CHARS).collect();
    let summary: String = summary.chars().take(SUMMARY_LIMIT).collect();
    let conclusion = match doc.verdict(fail_on) {
        Verdict::Pass => "success",
        Verdict::Fail => "failure",
    };
    let first: &[Annotation] = batches.next().unwrap_or(&[]);
    let mut body = json!({
        "name": NAME,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": conclusion,
        "output": { "title": title, "summary": summary, "annotations": first },
    });
    if let Some(u) = details_url {
        body["details_url"] = json!(u);
    }
    let endpoint = format!("/repos/{repo}/check-runs");
    let r = client.post(&endpoint, &body).await?;
    let id = r.json().and_then(|v| v.get("id").and_then(|i| i.as_u64())).ok_or_else(|| ApiError::Unexpected {
        endpoint: format!("POST {endpoint}"),
        what: "no check run id in the answer".into(),
    })?;
    let mut requests = 1;
    for batch in batches {
        // Title and summary are required in every output; annotations append.
        let body = json!({ "output": { "title": title, "summary": summary, "annotations": batch } });
        client.patch(&format!("/repos/{repo}/check-runs/{id}"), &body).await?;
        requests += 1;
    }
    Ok(Sent { id, requests, annotations: annotations.len() })
}

/// At most `max` bytes, cut at a character boundary.
fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_only_on_one_line() {
        let span = crate::finding::Span { line: 3, col: 2, end_line: 3, end_col: 9, offset: 0, len: 0 };
        let mut f = Finding {
            rule: "a/b".into(),
            severity: Severity::Error,
            file: "x.sql".into(),
            span: Some(span),
            message: "m".into(),
            help: String::new(),
        };
        let a = Annotation::from_finding(&f);
        assert_eq!((a.start_line, a.end_line, a.start_column, a.end_column), (3, 3, Some(2), Some(8)));
        f.span = Some(crate::finding::Span { end_line: 5, ..span });
        let a = Annotation::from_finding(&f);
        assert_eq!((a.start_column, a.end_column, a.end_line), (None, None, 5));
        assert_eq!(cut_bytes("éé", 3), "é");
    }
}
