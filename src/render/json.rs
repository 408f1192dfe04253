//! `--format json` (and `build --json`, `smoke --json`): the results document
//! ([`crate::results::Results`]) as documented in docs/json-output.md, with its
//! version rule. Keys come out in the order of the structs there.

use crate::results::Results;

pub use crate::results::VERSION;

/// The document with its version-1 word fields filled from the data
/// ([`super::check_words::fill`]); a lint-only document is written as it is.
pub fn render(doc: &Results) -> String {
    let filled;
    let doc = if doc.smoke.is_some() || doc.upgrade.is_some() {
        let mut d = doc.clone();
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
