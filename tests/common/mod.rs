//! Helpers shared by the integration test crates (`mod common;`).

use std::path::Path;

/// Copies a directory tree; `fs::copy` keeps the permission bits, which
/// `scripts/not-executable` fixtures depend on. Symbolic links are copied as
/// links (`lint/outside-repository` fixtures hold some).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &dest);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `git init` in `repo` and one commit of everything in its work tree (the
/// base of a fixture history).
#[allow(dead_code)] // not every test crate that shares this module commits
pub fn init_and_commit_all(repo: &Path, message: &str) {
    let r = git2::Repository::init(repo).unwrap();
    let mut index = r.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = r.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("fixture", "fixture@example.invalid").unwrap();
    r.commit(Some("HEAD"), &sig, &sig, message, &tree, &[]).unwrap();
}
