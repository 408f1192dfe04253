//! Where the artifacts are, and reading them from the work tree, the git
//! index (`--staged`) or a base tree (git2). The only module that uses git.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::boundary::{self, Refusal, Resolved};
use crate::config::Paths;
use crate::source::{Artifacts, SourceFile};

/// Which configured paths are single files and which are directories (the
/// approvals of destructive schema changes live beside the snapshot).
fn wanted(paths: &Paths) -> (Vec<String>, Vec<&str>) {
    (
        vec![
            paths.snapshot.clone(),
            paths.approvals(),
            paths.dockerfile.clone(),
            paths.compose.clone(),
            paths.stack.clone(),
            paths.entrypoint.clone(),
        ],
        vec![&paths.migrations, &paths.post_migrations, &paths.scripts],
    )
}

/// A configured path as the artifacts are keyed: no leading `./`, no trailing `/`.
pub fn normalize(p: &str) -> String {
    p.trim_start_matches("./").trim_end_matches('/').to_string()
}

/// Reads the artifacts from the work tree under `root`, inside the repository boundary
/// (src/boundary.rs): a path that is a symbolic link leading out of `root` (or below a
/// directory that is one), or that is not a regular file, is never opened; it is kept as a
/// refused file (the `lint/outside-repository` finding). Links inside the repository are
/// followed to files (not to directories, as before).
pub fn from_worktree(root: &Path, paths: &Paths) -> Result<Artifacts, String> {
    let root = root.canonicalize().map_err(|e| format!("{}: {e}", root.display()))?;
    let mut out = Artifacts::default();
    let (files, dirs) = wanted(paths);
    for f in files {
        let rel = normalize(&f);
        match boundary::resolve(&root, &rel) {
            Resolved::File(p) => out.insert(read_fs(&p, rel)?),
            Resolved::Refused(r) => out.insert(SourceFile::refused(rel, r)),
            Resolved::Dir(_) | Resolved::Missing => {}
        }
    }
    for d in dirs {
        let rel = normalize(d);
        match boundary::resolve(&root, &rel) {
            Resolved::Dir(p) => walk_fs(&root, &p, &rel, &mut out)?,
            Resolved::Refused(r) => out.insert(SourceFile::refused(rel, r)),
            Resolved::File(_) | Resolved::Missing => {} // missing directory: the rules say so
        }
    }
    Ok(out)
}

/// A regular file inside the root (a canonical path from [`boundary::resolve`] or the walk),
/// read non-blocking and capped: past the cap, the first bytes are enough for the
/// `lint/unreadable-file` finding.
fn read_fs(full: &Path, rel: String) -> Result<SourceFile, String> {
    let bytes = boundary::read_capped(full, crate::source::MAX_FILE_BYTES).map_err(|e| format!("{rel}: {e}"))?;
    let meta = std::fs::metadata(full).map_err(|e| format!("{}: cannot read: {e}", full.display()))?;
    Ok(SourceFile::new(rel, bytes, Some(fs_mode(&meta))))
}

#[cfg(unix)]
fn fs_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    }
}
#[cfg(not(unix))]
fn fs_mode(_: &std::fs::Metadata) -> u32 {
    0o100644
}

/// Walks the directory `dir` (canonical, inside `root`), whose repository path is `rel`.
fn walk_fs(root: &Path, dir: &Path, rel: &str, out: &mut Artifacts) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return Ok(()), // missing directory: the rules say so
    };
    let mut names: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let name = e.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        // The entry's own type: a link is not followed here.
        let ft = match e.file_type() {
            Ok(t) => t,
            Err(_) => continue,
        };
        if ft.is_dir() {
            walk_fs(root, &e.path(), &child_rel, out)?;
        } else if ft.is_file() {
            out.insert(read_fs(&e.path(), child_rel)?);
        } else if ft.is_symlink() {
            match boundary::resolve(root, &child_rel) {
                Resolved::File(p) => out.insert(read_fs(&p, child_rel)?),
                Resolved::Refused(r) => out.insert(SourceFile::refused(child_rel, r)),
                Resolved::Dir(_) | Resolved::Missing => {}
            }
        } else {
            let kind = std::fs::symlink_metadata(e.path()).map(|m| boundary::kind_of(&m)).unwrap_or("a special file");
            out.insert(SourceFile::refused(child_rel, Refusal::NotRegular { kind }));
        }
    }
    Ok(())
}

/// Whether `path` (a repository path) is one the lint reads under `paths`.
pub fn is_artifact(path: &str, paths: &Paths) -> bool {
    is_wanted(path, paths)
}

fn is_wanted(path: &str, paths: &Paths) -> bool {
    let (files, dirs) = wanted(paths);
    files.iter().any(|f| normalize(f) == path)
        || dirs.iter().any(|d| {
            let d = normalize(d);
            path.starts_with(&format!("{d}/"))
        })
}

const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;
/// How many links in a row are followed inside a tree or the index.
const MAX_HOPS: usize = 8;

/// The bytes a blob gives a lint: at most one byte past the cap.
fn capped(content: &[u8]) -> Vec<u8> {
    content[..content.len().min(crate::source::MAX_FILE_BYTES + 1)].to_vec()
}

/// A git entry (of a tree or the index) at `path` with `mode` and `content`, as a source
/// file inside the repository boundary: a symbolic link is followed through `lookup`
/// (path -> (mode, content)) while it stays inside the repository; one that leaves it is
/// refused, one to nothing is None; a submodule is refused.
fn git_entry(
    path: String,
    mode: u32,
    content: Vec<u8>,
    lookup: &dyn Fn(&str) -> Result<Option<(u32, Vec<u8>)>, String>,
) -> Result<Option<SourceFile>, String> {
    let (mut at, mut mode, mut content) = (path.clone(), mode, content);
    for _ in 0..MAX_HOPS {
        if mode == MODE_GITLINK {
            return Ok(Some(SourceFile::refused(path, Refusal::NotRegular { kind: "a git submodule" })));
        }
        if mode != MODE_SYMLINK {
            return Ok(Some(SourceFile::new(path, capped(&content), Some(mode))));
        }
        let target = String::from_utf8_lossy(&content).into_owned();
        let dir = at.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let Some(next) = boundary::lexical(dir, &target) else {
            return Ok(Some(SourceFile::refused(path, Refusal::Outside { target })));
        };
        match lookup(&next)? {
            Some((m, c)) => {
                at = next;
                mode = m;
                content = c;
            }
            None => return Ok(None), // a link to nothing (or to a directory) inside: skipped
        }
    }
    Ok(None)
}

/// Reads the artifacts as staged in the git index (`--staged`).
pub fn from_index(repo: &Repository, paths: &Paths) -> Result<Artifacts, String> {
    let index = repo.index().map_err(|e| format!("cannot read the git index: {}", e.message()))?;
    let lookup = |p: &str| -> Result<Option<(u32, Vec<u8>)>, String> {
        let Some(entry) = index.get_path(Path::new(p), 0) else { return Ok(None) };
        if entry.mode == MODE_GITLINK {
            return Ok(Some((entry.mode, Vec::new())));
        }
        let blob = repo.find_blob(entry.id).map_err(|e| format!("{p}: cannot read staged blob: {}", e.message()))?;
        Ok(Some((entry.mode, capped(blob.content()))))
    };
    let mut out = Artifacts::default();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !is_wanted(&path, paths) {
            continue;
        }
        let (mode, content) = match lookup(&path)? {
            Some(x) => x,
            None => continue,
        };
        if let Some(f) = git_entry(path, mode, content, &lookup)? {
            out.insert(f);
        }
    }
    Ok(out)
}

/// The entry of `tree` at `path`: (mode, at most the capped content); None when absent or a
/// directory.
fn tree_lookup(repo: &Repository, tree: &git2::Tree, path: &str) -> Result<Option<(u32, Vec<u8>)>, String> {
    let Ok(entry) = tree.get_path(Path::new(path)) else { return Ok(None) };
    tree_entry_content(repo, path, entry.filemode() as u32, entry.kind(), entry.id())
}

/// A tree entry's (mode, at most the capped content): a blob read by its id, a submodule
/// (gitlink) empty; None for anything else (a directory).
fn tree_entry_content(repo: &Repository, path: &str, mode: u32, kind: Option<ObjectType>, id: Oid) -> Result<Option<(u32, Vec<u8>)>, String> {
    match kind {
        Some(ObjectType::Blob) => {
            let blob = repo.find_blob(id).map_err(|e| format!("{path}: cannot read base blob: {}", e.message()))?;
            Ok(Some((mode, capped(blob.content()))))
        }
        Some(ObjectType::Commit) => Ok(Some((MODE_GITLINK, Vec::new()))),
        _ => Ok(None),
    }
}

/// Reads the artifacts from a tree (the base).
pub fn from_tree(repo: &Repository, tree: Oid, paths: &Paths) -> Result<Artifacts, String> {
    let tree = repo.find_tree(tree).map_err(|e| format!("cannot read base tree: {}", e.message()))?;
    // The walk hands over each entry's mode and object id: the blobs are read by id. Looking
    // each path up again (`Tree::get_path`) re-read its directory's tree object every time,
    // and libgit2 caches no tree over 4 KiB, so 2,000 migrations cost 2,000 inflations of a
    // 100 KB tree: a quadratic second of a lint that takes 0.2 s.
    let mut wanted = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let kind = entry.kind();
        if matches!(kind, Some(ObjectType::Blob) | Some(ObjectType::Commit)) {
            let path = format!("{dir}{}", entry.name().unwrap_or(""));
            if is_wanted(&path, paths) {
                wanted.push((path, entry.filemode() as u32, kind, entry.id()));
            }
        }
        TreeWalkResult::Ok
    })
    .map_err(|e| format!("cannot walk base tree: {}", e.message()))?;
    let lookup = |p: &str| tree_lookup(repo, &tree, p);
    let mut out = Artifacts::default();
    for (path, mode, kind, id) in wanted {
        let Some((mode, content)) = tree_entry_content(repo, &path, mode, kind, id)? else { continue };
        if let Some(f) = git_entry(path, mode, content, &lookup)? {
            out.insert(f);
        }
    }
    Ok(out)
}

/// One file of the work tree under `root` (None when it does not exist); Err when it is
/// outside the repository or not a regular file.
pub fn file_in_worktree(root: &Path, rel: &str) -> Result<Option<SourceFile>, String> {
    let rel = normalize(rel);
    let root = root.canonicalize().map_err(|e| format!("{}: {e}", root.display()))?;
    match boundary::resolve(&root, &rel) {
        Resolved::File(p) => read_fs(&p, rel).map(Some),
        Resolved::Refused(r) => Err(format!("{rel}: {}: not read", r.describe())),
        Resolved::Dir(_) | Resolved::Missing => Ok(None),
    }
}

/// One file of a tree (the base), None when the tree has no such file.
pub fn file_in_tree(repo: &Repository, tree: Oid, rel: &str) -> Result<Option<SourceFile>, String> {
    let rel = normalize(rel);
    let tree = repo.find_tree(tree).map_err(|e| format!("cannot read base tree: {}", e.message()))?;
    let lookup = |p: &str| tree_lookup(repo, &tree, p);
    let Some((mode, content)) = lookup(&rel)? else { return Ok(None) };
    git_entry(rel, mode, content, &lookup)
}

/// The git repository containing `dir`, if any.
pub fn open(dir: &Path) -> Option<Repository> {
    // Re-hashing every object read from the base tree was ~4% of a lint of
    // 1,000 migrations; git itself verifies objects when they are written.
    git2::opts::strict_hash_verification(false);
    Repository::discover(dir).ok()
}

/// The repository's work-tree root.
pub fn workdir(repo: &Repository) -> Option<PathBuf> {
    repo.workdir().map(Path::to_path_buf)
}

/// The commit HEAD points at (40 hex digits); None on an unborn branch.
pub fn head_commit(repo: &Repository) -> Option<String> {
    repo.head().ok()?.target().map(|o| o.to_string())
}

/// The base the base-dependent rules compare against.
#[derive(Debug, Clone)]
pub struct Base {
    pub tree: Oid,
    /// The base commit, 40 hex digits.
    pub commit: String,
    /// How it was chosen, e.g. `origin/main (merge-base 1a2b3c4)`.
    pub description: String,
}

/// Chooses the base: `--base REF`, else `origin/$GITHUB_BASE_REF` (or the local branch of that
/// name) inside GitHub Actions, else the merge-base of HEAD with `origin/main` or `main`.
/// Ok(Err(why)) when there is none, locally: the base rules are skipped with a note. Err (exit 2,
/// saying how to fetch it) when `--base` names something this clone does not have, or inside
/// GitHub Actions when no base can be read (a shallow clone, a base branch not fetched): CI
/// must not pass because it could not compare.
pub fn resolve_base(repo: &Repository, explicit: Option<&str>) -> Result<Result<Base, String>, String> {
    if let Some(r) = explicit {
        let obj = repo.revparse_single(r).map_err(|_| {
            format!("--base {r}: no such commit, branch or tag in this repository (fetch it: `git fetch origin {}`, or check out with fetch-depth: 0)", r.strip_prefix("origin/").unwrap_or(r))
        })?;
        let commit = obj.peel_to_commit().map_err(|_| format!("--base {r}: does not name a commit"))?;
        return Ok(Ok(Base {
            tree: commit.tree_id(),
            commit: commit.id().to_string(),
            description: format!("{r} ({})", short(commit.id())),
        }));
    }
    if in_github_actions() {
        return match std::env::var("GITHUB_BASE_REF").ok().filter(|b| !b.is_empty()) {
            Some(b) => {
                let remote = format!("origin/{b}");
                let found = [remote.as_str(), b.as_str()].into_iter().find_map(|n| base_with(repo, n));
                match found {
                    Some(Ok(base)) => Ok(Ok(base)),
                    Some(Err(name)) => Err(format!(
                        "the pull request's base {name} has no commit in common with HEAD in this clone (a shallow clone): check out with actions/checkout `fetch-depth: 0`, or run `git fetch --unshallow origin {b}` before trm-ci"
                    )),
                    None => Err(format!(
                        "the pull request's base {remote} is not in this clone: check out with actions/checkout `fetch-depth: 0`, or run `git fetch origin {b}` before trm-ci (or pass --base REF)"
                    )),
                }
            }
            None => match ["origin/main", "main"].into_iter().find_map(|n| base_with(repo, n)) {
                Some(Ok(base)) => Ok(Ok(base)),
                _ => Err("no base to compare with in this clone (not a pull request, and no origin/main or main with a commit in common with HEAD): pass --base REF, or check out with actions/checkout `fetch-depth: 0` (or `git fetch origin main`)".into()),
            },
        };
    }
    for name in ["origin/main", "main"] {
        if let Some(Ok(base)) = base_with(repo, name) {
            return Ok(Ok(base));
        }
    }
    Ok(Err("no --base given and neither origin/main nor main exists".into()))
}

/// `GITHUB_ACTIONS=true`: a missing base is an error there, not a note.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The merge-base of HEAD with the branch `name`: None when there is no such branch,
/// Some(Err(name)) when it has no commit in common with HEAD (a shallow clone).
fn base_with(repo: &Repository, name: &str) -> Option<Result<Base, String>> {
    repo.revparse_single(name).ok()?.peel_to_commit().ok()?;
    Some(merge_base_with(repo, name).ok_or_else(|| name.to_string()))
}

fn merge_base_with(repo: &Repository, name: &str) -> Option<Base> {
    let other = repo.revparse_single(name).ok()?.peel_to_commit().ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    let mb = repo.merge_base(head.id(), other.id()).ok()?;
    let commit = repo.find_commit(mb).ok()?;
    Some(Base { tree: commit.tree_id(), commit: mb.to_string(), description: format!("{name} (merge-base {})", short(mb)) })
}

fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Writes every file of `tree` under `dest` (created if missing): blobs with their executable
/// bit, symbolic links as links; submodules are skipped. Returns how many files were written.
/// The upgrade drill builds the base revision's image from such an export.
pub fn export_tree(repo: &Repository, tree: Oid, dest: &Path) -> Result<usize, String> {
    let tree = repo.find_tree(tree).map_err(|e| format!("cannot read tree {tree}: {}", e.message()))?;
    std::fs::create_dir_all(dest).map_err(|e| format!("creating {}: {e}", dest.display()))?;
    let mut written = 0usize;
    let mut err = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let path = format!("{dir}{}", entry.name().unwrap_or(""));
        let full = dest.join(&path);
        let result = match entry.kind() {
            Some(ObjectType::Tree) => std::fs::create_dir_all(&full).map_err(|e| format!("creating {}: {e}", full.display())),
            Some(ObjectType::Blob) => repo
                .find_blob(entry.id())
                .map_err(|e| format!("{path}: cannot read blob: {}", e.message()))
                .and_then(|b| write_entry(&full, b.content(), entry.filemode() as u32))
                .map(|_| written += 1),
            _ => Ok(()), // a submodule (commit): not part of this repository's content
        };
        match result {
            Ok(()) => TreeWalkResult::Ok,
            Err(e) => {
                err = Some(e);
                TreeWalkResult::Abort
            }
        }
    })
    .map_err(|e| err.clone().unwrap_or_else(|| format!("cannot walk tree: {}", e.message())))?;
    match err {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

fn write_entry(full: &Path, content: &[u8], mode: u32) -> Result<(), String> {
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    #[cfg(unix)]
    if mode == 0o120000 {
        let target = String::from_utf8_lossy(content).into_owned();
        return std::os::unix::fs::symlink(&target, full).map_err(|e| format!("linking {}: {e}", full.display()));
    }
    std::fs::write(full, content).map_err(|e| format!("writing {}: {e}", full.display()))?;
    #[cfg(unix)]
    if mode == 0o100755 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(full, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("{}: {e}", full.display()))?;
    }
    Ok(())
}
