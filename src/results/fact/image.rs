//! What the image checks observe. Each variant's words are in src/render/check_words/image.rs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ImageFact {
    /// The boot failed: the checks ran in an idle container of the image (PID 1 = sleep).
    IdleContainer,
    /// The container's main process (PID 1) runs as the expected uid (1000, node).
    MainProcessUid { uid: String },
    /// It runs as another uid (`?` when /proc/1/status named none).
    MainProcessUidUnexpected { uid: String },
    /// `cat /proc/1/status` exited non-zero, with its output.
    ProcStatusUnread { exit_code: i64, output: String },
    /// `id -un` answered node.
    UserIsNode,
    /// `id -un` answered another name (or failed), trimmed.
    UserUnexpected { user: String },
    /// A directory is owned by node:node.
    OwnedByNode { path: String },
    /// stat's line of a directory not owned by node:node (`%n %U:%G %u`).
    OwnerUnexpected { stat_line: String },
    /// `stat` of the directories exited non-zero, with its output.
    StatFailed { paths: Vec<String>, exit_code: i64, output: String },
    /// The image sets no ENV beyond its base image's.
    NoOwnEnv { base: String },
    /// The image sets ENV of its own: the variables' names.
    OwnEnv { keys: Vec<String>, base: String },
    /// The base image could not be inspected: the engine's error.
    BaseUninspected { base: String, error: String },
    /// No base image known: no Dockerfile FROM in --repo and no --base-image.
    BaseUnknown,
}

/// One of each variant, for the round-trip and wording tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<ImageFact> {
    let base = || "directus/directus:11.17.4".to_string();
    vec![
        ImageFact::IdleContainer,
        ImageFact::MainProcessUid { uid: "1000".into() },
        ImageFact::MainProcessUidUnexpected { uid: "0".into() },
        ImageFact::ProcStatusUnread { exit_code: 1, output: "cat: can't open '/proc/1/status'".into() },
        ImageFact::UserIsNode,
        ImageFact::UserUnexpected { user: "root".into() },
        ImageFact::OwnedByNode { path: "/directus/db-init".into() },
        ImageFact::OwnerUnexpected { stat_line: "/directus/db-init root:root 0".into() },
        ImageFact::StatFailed { paths: vec!["/directus/db-init".into()], exit_code: 1, output: "no such file".into() },
        ImageFact::NoOwnEnv { base: base() },
        ImageFact::OwnEnv { keys: vec!["SECRET".into()], base: base() },
        ImageFact::BaseUninspected { base: base(), error: "No such image".into() },
        ImageFact::BaseUnknown,
    ]
}
