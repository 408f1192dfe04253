//! The one span-keeping YAML tree, shared by the snapshot and compose
//! models: an arena of nodes (children, and aliased nodes, before their
//! parents), each with its span, and mapping keys with theirs.
//!
//! Two parsers build it. A fast path reads the block-style subset that
//! `directus schema snapshot` (js-yaml) writes, about ten times faster; on
//! anything outside that subset it gives up and yaml-rust2's marked event
//! parser builds the same tree (the two are differential-tested below).
//!
//! Robustness, the same for every file: the event loop is iterative
//! (yaml-rust2's own `load` recurses per nesting level and overflows the
//! stack on deep input), nesting deeper than [`MAX_DEPTH`] stops the parse,
//! aliases are kept as shared nodes (never copied) and their expansion is
//! bounded by [`ALIAS_EXPANSION_BUDGET`], so a "billion laughs" document is
//! an error, not an out-of-memory. Problems are data ([`Issue`]), with the
//! duplicate-key check written once ([`duplicates`]); each model words them
//! for its own users.
//!
//! The parts: `tree` (the nodes, problems and lookups), `resolve` (scalar
//! types), `fast` (the fast path), `build` (the event parser).

mod build;
mod fast;
mod resolve;
mod tree;
#[cfg(test)]
mod tests;

pub(crate) use build::events;
pub use resolve::resolve;
pub use tree::*;

use crate::source::SourceFile;

/// Parses `src` (an unreadable file gives an empty tree: the engine
/// reports it once).
pub fn parse(src: &SourceFile, opts: Options) -> Yaml {
    let Ok(text) = src.text() else { return Yaml::default() };
    let mut y = match fast::parse(src, text) {
        Some(f) => {
            let root = f.root();
            Yaml { nodes: f.nodes, root, issues: f.issues, expandable: false }
        }
        None => events(src, text, opts),
    };
    y.nodes.shrink_to_fit();
    y.check_budget();
    y
}
