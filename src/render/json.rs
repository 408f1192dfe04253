//! `--format json` (and `build --json`, `smoke --json`): the results document
//! ([`crate::results::Results`]) as documented in docs/json-output.md, with its
//! version rule. Keys come out in the order of the structs there.

use crate::results::Results;

pub use crate::results::VERSION;

/// The document with its version-1 word fields filled from the data (the lint notes,
/// [`super::check_words::fill`]); a document with none to fill is written as it is.
pub fn render(doc: &Results) -> String {
    let notes = doc.lint.as_ref().map(super::lint_notes::words).unwrap_or_default();
    let filled;
    let doc = if doc.smoke.is_some() || doc.upgrade.is_some() || doc.lint.as_ref().is_some_and(|l| l.notes != notes) {
        let mut d = doc.clone();
        if let Some(l) = d.lint.as_mut() {
            l.notes = notes;
        }
        super::check_words::fill(&mut d);
        filled = d;
        &filled
    } else {
        doc
    };
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
