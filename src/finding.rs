//! Finding, Severity, Span: the one type every rule returns. Renderers turn
//! a list of findings into human, JSON, SARIF or GitHub output.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A source range. Lines and columns are 1-based; columns count characters.
/// `end_line`/`end_col` point just past the last character. `offset`/`len`
/// are byte offsets into the file (for code frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

/// In the results document a finding is `rule`, `severity`, `file`, `line`, `column`,
/// `end_line`, `end_column`, `message`, `help` (docs/json-output.md); the byte offsets of its
/// span are not written, so a finding read back has them 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FindingRecord", from = "FindingRecord")]
pub struct Finding {
    /// Stable rule id, `area/name` (owned, so a finding read back from a document is one).
    pub rule: String,
    pub severity: Severity,
    /// Repository-relative path, `/`-separated.
    pub file: String,
    /// None for findings about a whole file (missing, renamed, unreadable).
    pub span: Option<Span>,
    pub message: String,
    /// What to do about it.
    pub help: String,
}

/// A finding's message and help line are cut to this many characters in the
/// results document (so in every output): one finding quoting a 70 KB line
/// cannot push the others out of a PR comment.
pub const MAX_TEXT_CHARS: usize = 1000;

impl Finding {
    /// Cuts the message and the help line to [`MAX_TEXT_CHARS`].
    pub fn bound_text(&mut self) {
        for s in [&mut self.message, &mut self.help] {
            if let Some((cut, _)) = s.char_indices().nth(MAX_TEXT_CHARS) {
                let rest = s[cut..].chars().count();
                s.truncate(cut);
                s.push_str(&format!("… ({rest} more characters)"));
            }
        }
    }
}

/// A [`Finding`] as the results document writes it.
#[derive(Serialize, Deserialize)]
struct FindingRecord {
    rule: String,
    severity: Severity,
    file: String,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    message: String,
    help: String,
}

impl From<Finding> for FindingRecord {
    fn from(f: Finding) -> FindingRecord {
        FindingRecord {
            rule: f.rule,
            severity: f.severity,
            file: f.file,
            line: f.span.map(|s| s.line),
            column: f.span.map(|s| s.col),
            end_line: f.span.map(|s| s.end_line),
            end_column: f.span.map(|s| s.end_col),
            message: f.message,
            help: f.help,
        }
    }
}

impl From<FindingRecord> for Finding {
    fn from(r: FindingRecord) -> Finding {
        let span = match (r.line, r.column) {
            (Some(line), Some(col)) => Some(Span {
                line,
                col,
                end_line: r.end_line.unwrap_or(line),
                end_col: r.end_column.unwrap_or(col),
                offset: 0,
                len: 0,
            }),
            _ => None,
        };
        Finding { rule: r.rule, severity: r.severity, file: r.file, span, message: r.message, help: r.help }
    }
}

impl Finding {
    pub fn line(&self) -> u32 {
        self.span.map(|s| s.line).unwrap_or(1)
    }
    pub fn col(&self) -> u32 {
        self.span.map(|s| s.col).unwrap_or(1)
    }
}

/// An inline `trm-ci: ignore=<id>[,<id>] <reason>` pragma, found by a model's
/// parser in a comment, and the line range it covers (the next statement,
/// instruction or shell line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: String,
    /// Where the pragma itself is (for `lint/unused-ignore`).
    pub span: Span,
    pub rules: Vec<String>,
    pub reason: String,
    /// 1-based inclusive line range of what the pragma covers.
    pub first_line: u32,
    pub last_line: u32,
}

/// Parses the text of one comment (without its `--` or `#`) as a pragma:
/// `trm-ci: ignore=a/b,c/d reason words`. Returns the ids and the reason.
pub fn parse_pragma(comment: &str) -> Option<(Vec<String>, String)> {
    let rest = comment.trim_start().strip_prefix("trm-ci:")?.trim_start();
    let rest = rest.strip_prefix("ignore=")?;
    let (ids, reason) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let ids: Vec<String> = ids.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    if ids.is_empty() {
        return None;
    }
    Some((ids, reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragma_parses_ids_and_reason() {
        assert_eq!(
            parse_pragma(" trm-ci: ignore=migrations/destructive,migrations/empty cleaning up"),
            Some((vec!["migrations/destructive".into(), "migrations/empty".into()], "cleaning up".into()))
        );
        assert_eq!(parse_pragma("trm-ci: ignore=a/b"), Some((vec!["a/b".into()], String::new())));
        assert_eq!(parse_pragma("just a comment"), None);
        assert_eq!(parse_pragma("trm-ci: ignore="), None);
    }
}
