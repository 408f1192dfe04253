//! What the image checks observe. Each variant's words are in src/render/check_words/image.rs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ImageFact {
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<ImageFact> {
    vec![]
}
