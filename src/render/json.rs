//! `--format json` (and `build --json`, `smoke --json`): the results document
//! ([`crate::results::Results`]) as documented in docs/json-output.md, with its
//! version rule. Keys come out in the order of the structs there.

use crate::results::Results;

pub use crate::results::VERSION;

pub fn render(doc: &Results) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
