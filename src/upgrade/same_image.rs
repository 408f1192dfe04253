//! Whether the drill has anything to judge: when REF's build context is the work tree's, byte
//! for byte (paths, modes, contents, after `.dockerignore`; the hash `trm-ci build` labels its
//! images with, [`crate::docker::tree_label`]), both revisions build the same image, and an
//! upgrade from one to the other changes nothing. A pull request that touches only what the
//! image is not made of (the README, CI files, trm-ci's own sources) then costs no drill.
//!
//! Conservative by construction: any difference (a file git ignores that Docker sends, a mode)
//! makes the contexts differ and the drill runs.

use std::path::Path;

/// The context hash both revisions share, or `None` when they differ. `Err`: REF or a tree
/// could not be read (the drill itself then reports it).
pub fn same_context(repo_dir: &Path, from: &str, dockerfile: &str) -> Result<Option<String>, String> {
    let (repo, base) = super::inputs::resolve_from(repo_dir, from)?;
    let head = crate::docker::tree_label::of_repo(repo_dir, dockerfile)?;
    let export = std::env::temp_dir().join(format!("trm-same-image-{}", crate::docker::engine::random_hex(4)));
    let base_hash = crate::repo::export_tree(&repo, base.tree, &export)
        .and_then(|_| crate::docker::tree_label::of_repo(&export, dockerfile));
    let _ = std::fs::remove_dir_all(&export);
    let base_hash = base_hash?;
    Ok((base_hash == head).then_some(head))
}
