//! `allow-destructive.txt` beside the snapshot ([`crate::config::Paths::approvals`]): the destructive schema
//! changes a branch intends, reviewed with it. The same file is copied into
//! the image with the snapshot (`COPY snapshots/`), and the schema step
//! (scripts/schema-apply.mjs) deletes exactly the collections and fields it
//! names and refuses any other deletion; `snapshot/destructive-change`
//! reports each approved change as approved instead of as an error, and
//! `snapshot/unmatched-approval` an entry that approves nothing.
//!
//! ```text
//! # one per line: a collection, or collection.field; then, optionally, why
//! addresses.label     replaced by line1/line2 (db-post/0003 copies the values)
//! legacy_clients      merged into customers in #412
//! ```

use serde::{Deserialize, Serialize};

use crate::finding::Span;
use crate::source::SourceFile;

/// The file's name; it lives in the snapshot's directory ([`crate::config::Paths::approvals`]).
pub use crate::config::APPROVALS_FILE as FILE_NAME;

/// One approved item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// `collection` or `collection.field`, as written.
    pub item: String,
    /// The rest of the line, when given.
    pub reason: Option<String>,
    /// Where the item is written.
    pub span: Span,
}

impl Approval {
    /// Whether this approves a change of `collection` (and `field`).
    pub fn covers(&self, collection: &str, field: Option<&str>) -> bool {
        match field {
            None => self.item == collection,
            Some(f) => self.item.strip_prefix(collection).and_then(|r| r.strip_prefix('.')) == Some(f),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Approvals {
    pub path: String,
    pub items: Vec<Approval>,
}

impl Approvals {
    /// Reads the lines as the schema step does: `#` starts a comment, blank
    /// lines are skipped, the first word is the item. An unreadable file
    /// (binary, not UTF-8) approves nothing: `lint/unreadable-file` reports it,
    /// and the schema step fails on it.
    pub fn parse(f: &SourceFile) -> Approvals {
        let mut items = Vec::new();
        let text = f.text_or_empty();
        let mut start = 0;
        for (i, raw) in text.split('\n').enumerate() {
            let line_start = start;
            start += raw.len() + 1;
            let content = raw.split('#').next().unwrap_or("");
            let trimmed = content.trim_start();
            let lead = content.len() - trimmed.len();
            let Some(item) = trimmed.split_whitespace().next() else { continue };
            let rest = trimmed[item.len()..].trim();
            let at = line_start + lead;
            let span = f.span(at, at + item.len());
            debug_assert_eq!(span.line as usize, i + 1);
            items.push(Approval { item: item.to_string(), reason: (!rest.is_empty()).then(|| rest.to_string()), span });
        }
        Approvals { path: f.path.clone(), items }
    }

    /// The approval covering a change of `collection` (and `field`).
    pub fn find(&self, collection: &str, field: Option<&str>) -> Option<&Approval> {
        self.items.iter().find(|a| a.covers(collection, field))
    }
}

/// A destructive schema change the branch approves: the results document's
/// `lint.approved` (docs/json-output.md), listed in the PR comment under its
/// own heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedChange {
    /// `collection` or `collection.field`, as approved.
    pub item: String,
    /// The change in words (`trm-ci diff`'s line).
    pub change: String,
    /// Why, as the approval says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The approvals file and the line of the approval.
    pub file: String,
    pub line: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_reasons() {
        let f = SourceFile::new(
            "snapshots/allow-destructive.txt",
            b"# header\n\naddresses.label   replaced by line1\n  legacy_clients # merged\n\xe2\x80\x94x.y\n".to_vec(),
            None,
        );
        let a = Approvals::parse(&f);
        let items: Vec<(&str, Option<&str>, u32, u32)> =
            a.items.iter().map(|i| (i.item.as_str(), i.reason.as_deref(), i.span.line, i.span.col)).collect();
        assert_eq!(
            items,
            vec![
                ("addresses.label", Some("replaced by line1"), 3, 1),
                ("legacy_clients", None, 4, 3),
                ("\u{2014}x.y", None, 5, 1),
            ]
        );
        assert!(a.find("addresses", Some("label")).is_some());
        assert!(a.find("addresses", None).is_none());
        assert!(a.find("legacy_clients", None).is_some());
        assert!(a.find("legacy", Some("clients")).is_none());
        let paths = |snapshot: &str| crate::config::Paths { snapshot: snapshot.into(), ..Default::default() };
        assert_eq!(paths("snapshots/snapshot.yaml").approvals(), "snapshots/allow-destructive.txt");
        assert_eq!(paths("./snapshot.yaml").approvals(), "allow-destructive.txt");
    }
}
