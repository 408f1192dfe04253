//! What the replicas checks observe. Each variant's words are in src/render/check_words/replicas.rs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReplicaFact {
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<ReplicaFact> {
    vec![]
}
