//! `trm-ci diff`: what this branch does to the schema. Reads the snapshot
//! from the work tree and from the base revision (chosen exactly as `lint`
//! chooses it, [`repo::resolve_base`]), and returns their [`SchemaDiff`].
//! Synchronous; no Docker, no network. Err is a usage or environment
//! problem (no base, unreadable or invalid snapshot): exit 2.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::model::schema_diff::{self, SchemaDiff};
use crate::model::snapshot::Snapshot;
use crate::repo;
use crate::source::SourceFile;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub repo: PathBuf,
    pub base: Option<String>,
}

/// The diff and what it compared.
#[derive(Debug, Clone)]
pub struct Report {
    /// How the base was chosen, e.g. `main (merge-base 1a2b3c4)`.
    pub base: String,
    /// The snapshot's repository path.
    pub snapshot: String,
    /// The base has no snapshot: every collection is new.
    pub base_missing: bool,
    pub diff: SchemaDiff,
}

pub fn run(opts: &Options) -> Result<Report, String> {
    let root = opts.repo.canonicalize().map_err(|e| format!("{}: {e}", opts.repo.display()))?;
    let git = repo::open(&root).ok_or_else(|| {
        format!("{} is not inside a git repository: `trm-ci diff` compares the work tree with a base revision", root.display())
    })?;
    let root = match repo::workdir(&git) {
        Some(w) if opts.repo == Path::new(".") || w.canonicalize().ok() == Some(root.clone()) => w,
        _ => root,
    };
    let cfg = Config::load(&root.join(config::FILE_NAME), false)?;
    let path = &cfg.paths.snapshot;
    let base = match repo::resolve_base(&git, opts.base.as_deref())? {
        Ok(b) => b,
        Err(why) => return Err(format!("no base to compare with: {why}; name one with --base REF")),
    };

    let head_file = repo::file_in_worktree(&root, path)?
        .ok_or_else(|| format!("{path}: no snapshot in the work tree (its path is [paths] snapshot in trm-ci.toml)"))?;
    let head = parse(&head_file, "the work tree")?;
    let (base_snapshot, base_missing) = match repo::file_in_tree(&git, base.tree, path)? {
        Some(f) => (parse(&f, &base.description)?, false),
        None => (Snapshot::parse(&SourceFile::new(path.clone(), Vec::new(), None)), true),
    };
    Ok(Report {
        base: base.description,
        snapshot: head_file.path.clone(),
        base_missing,
        diff: schema_diff::diff(&base_snapshot, &head),
    })
}

/// The snapshot of one side; Err when it cannot be read as one (the diff of
/// a file Directus would refuse would be made up).
fn parse(f: &SourceFile, side: &str) -> Result<Snapshot, String> {
    if let Err(why) = f.text() {
        return Err(format!("{} (in {side}): {}; `trm-ci lint` reports it", f.path, why.describe()));
    }
    let s = Snapshot::parse(f);
    if let Some(e) = s.errors.first() {
        return Err(format!(
            "{}:{}:{} (in {side}): {}; fix it first (`trm-ci lint` reports it)",
            f.path, e.span.line, e.span.col, e.message
        ));
    }
    Ok(s)
}
