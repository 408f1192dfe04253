//! Helpers shared by the integration test crates (`mod common;`).

use std::path::Path;

/// Copies a directory tree; `fs::copy` keeps the permission bits, which
/// `scripts/not-executable` fixtures depend on.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}
