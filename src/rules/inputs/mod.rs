//! The `lint/*` rules: about trm-ci's own inputs (unreadable files, missing
//! artifacts, inline ignores) rather than one artifact. The directory is
//! `inputs/`, not `lint/`, so that no two modules share a name (the `lint`
//! command is `commands/lint.rs`); the ids keep their `lint/` area.

use super::{Context, Emitter, Rule};
use crate::finding::Severity;

mod unreadable_file;
mod outside_repository;
mod missing_artifact;
mod unused_ignore;

pub const RULES: &[Rule] = &[
    unreadable_file::RULE,
    outside_repository::RULE,
    missing_artifact::RULE,
    unused_ignore::RULE,
];
