//! What the boot checks observe. Each variant's words are in src/render/check_words/boot.rs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BootFact {
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<BootFact> {
    vec![]
}
