//! What the drill reads from git and the work tree before it touches the engine: REF's commit
//! and tree, both snapshots, both sets of migrations; and the columns both snapshots define.

use std::collections::BTreeMap;

use super::Options;
use crate::model::schema_diff;
use crate::model::snapshot::Snapshot;

/// What the drill reads from git and the work tree before it touches the engine.
pub(super) struct Inputs {
    pub from_commit: String,
    pub from_tree: git2::Oid,
    pub base_snapshot: Snapshot,
    pub head_snapshot: Snapshot,
    pub base_migrations: Vec<String>,
    pub head_migrations: Vec<String>,
}

fn parse_snapshot(path: &str, bytes: Vec<u8>) -> Result<Snapshot, String> {
    let src = crate::source::SourceFile::new(path, bytes, None);
    let s = Snapshot::parse(&src);
    match s.errors.first() {
        Some(e) => Err(format!("{path}: {}", e.message)),
        None => Ok(s),
    }
}

fn sql_names<'a>(files: impl Iterator<Item = &'a crate::source::SourceFile>) -> Vec<String> {
    let mut v: Vec<String> =
        files.map(|f| f.path.rsplit('/').next().unwrap_or(&f.path).to_string()).filter(|n| n.ends_with(".sql")).collect();
    v.sort();
    v
}

/// The repository holding `repo_dir` and REF (`--upgrade-from`) resolved in it.
pub(super) fn resolve_from(repo_dir: &std::path::Path, from: &str) -> Result<(git2::Repository, crate::repo::Base), String> {
    let repo = crate::repo::open(repo_dir).ok_or_else(|| format!("{} is not in a git repository", repo_dir.display()))?;
    // resolve_base words its errors for `--base`; here the REF is `--upgrade-from`'s.
    let base = crate::repo::resolve_base(&repo, Some(from)).map_err(|e| e.replacen("--base ", "", 1))?.map_err(|e| e.to_string())?;
    Ok((repo, base))
}

/// Reads REF (`--upgrade-from`) and the work tree.
pub(super) fn read(opts: &Options) -> Result<Inputs, String> {
    let (repo, base) = resolve_from(&opts.repo, &opts.from)?;
    let snap_path = &opts.paths.snapshot;
    let base_snap = crate::repo::file_in_tree(&repo, base.tree, snap_path)?
        .ok_or_else(|| format!("{} has no {snap_path}", opts.label))?;
    let base_snapshot = parse_snapshot(&format!("{}:{snap_path}", opts.label), base_snap.bytes.to_vec())?;
    let head_bytes = crate::repo::file_in_worktree(&opts.repo, snap_path)
        .map_err(|e| format!("reading {e}"))?
        .ok_or_else(|| format!("reading {snap_path}: no such file"))?
        .bytes;
    let head_snapshot = parse_snapshot(snap_path, head_bytes)?;
    let base_art = crate::repo::from_tree(&repo, base.tree, &opts.paths)?;
    let head_art = crate::repo::from_worktree(&opts.repo, &opts.paths)?;
    let dir = opts.paths.migrations.trim_end_matches('/');
    Ok(Inputs {
        from_commit: base.commit,
        from_tree: base.tree,
        base_snapshot,
        head_snapshot,
        base_migrations: sql_names(base_art.children(dir)),
        head_migrations: sql_names(head_art.children(dir)),
    })
}

/// Per base table collection: the columns (non-alias fields) both snapshots define on it.
pub fn shared_columns(base: &Snapshot, head: &Snapshot) -> BTreeMap<String, Vec<String>> {
    let columns = |s: &Snapshot, c: &str| -> Vec<String> {
        s.fields
            .iter()
            .filter(|f| f.collection.value == c)
            .filter(|f| !f.r#type.as_ref().is_some_and(|t| schema_diff::is_alias_type(&t.value)))
            .map(|f| f.field.value.clone())
            .collect()
    };
    let mut out = BTreeMap::new();
    for c in base.collections.iter().filter(|c| c.is_table()) {
        let in_head: Vec<String> = match head.collection(&c.name) {
            Some(h) if h.is_table() => columns(head, &c.name),
            _ => Vec::new(),
        };
        out.insert(c.name.clone(), columns(base, &c.name).into_iter().filter(|f| in_head.contains(f)).collect());
    }
    out
}

