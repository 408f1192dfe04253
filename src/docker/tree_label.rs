//! The image of the tree: `build` labels the image with a hash of the build context it was
//! built from; `smoke` and the upgrade drill refuse an image whose label is not the hash of the
//! context of the repository they judge, so a stale `trm-directus:dev` built from another
//! branch is never booted in this one's name.
//!
//! Why the build context's content and not the git tree's hash: the image is made of exactly
//! the context (the files `.dockerignore` lets through, with the Dockerfile), so an edit that
//! is not committed yet, or a file git ignores but Docker sends, changes the image and must
//! change the label, while a change the context never sees (README, src/, tests/) must not
//! force a rebuild; and it works for any directory, a git repository or not. The context is
//! the deterministic tar [`super::context::build_context`] makes (sorted paths, fixed times,
//! owner 0, the executable bit kept), so its SHA-256 is a hash of paths, modes and contents,
//! the same on every checkout.

use sha2::{Digest, Sha256};
use std::path::Path;

/// The label on every image `trm-ci build` makes.
pub const LABEL: &str = "org.trm-ci.context";

/// `sha256:<hex>` of a build context tar.
pub fn digest(tar: &[u8]) -> String {
    let hash = Sha256::digest(tar);
    format!("sha256:{}", hash.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The context hash of `repo` built with `dockerfile` (relative to it).
pub fn of_repo(repo: &Path, dockerfile: &str) -> Result<String, String> {
    let ctx = super::context::build_context(repo, dockerfile)
        .map_err(|e| format!("making the build context of {} to compare with the image: {e}", repo.display()))?;
    Ok(digest(&ctx.tar))
}

use crate::units::short_hash as short;

/// Whether `image` (its inspected labels) is the image of `repo`'s build context; `Err` is the
/// refusal, naming both and how to get the right one.
pub fn check(image: &str, labels: Option<&std::collections::HashMap<String, String>>, repo: &Path, dockerfile: &str) -> Result<(), String> {
    let want = of_repo(repo, dockerfile)?;
    let how = format!("build it from this tree first (`trm-ci build --repo {} --tag {image}`) or pass --build", repo.display());
    match labels.and_then(|l| l.get(LABEL)) {
        Some(have) if *have == want => Ok(()),
        Some(have) => Err(format!(
            "the image {image} was built from another tree (build context {}) than the one judged here ({}: build context {}); {how}",
            short(have),
            repo.display(),
            short(&want)
        )),
        None => Err(format!(
            "the image {image} has no {LABEL} label (it was not built by trm-ci build), so nothing shows it is the image of {} \
             (build context {}); {how}",
            repo.display(),
            short(&want)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_the_context_not_the_rest() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("Dockerfile"), "FROM x\nCOPY a /a\n").unwrap();
        std::fs::write(r.join(".dockerignore"), "*\n!a\n").unwrap();
        std::fs::write(r.join("a"), "one").unwrap();
        std::fs::write(r.join("README"), "not sent").unwrap();
        let first = of_repo(r, "Dockerfile").unwrap();
        assert!(first.starts_with("sha256:") && first.len() == 71, "{first}");
        // Outside the context: same hash.
        std::fs::write(r.join("README"), "edited").unwrap();
        assert_eq!(of_repo(r, "Dockerfile").unwrap(), first);
        // A new modification time alone: same hash.
        let f = std::fs::File::options().append(true).open(r.join("a")).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000)).unwrap();
        assert_eq!(of_repo(r, "Dockerfile").unwrap(), first);
        // Content inside it: another hash, and check names both.
        std::fs::write(r.join("a"), "two").unwrap();
        let second = of_repo(r, "Dockerfile").unwrap();
        assert_ne!(second, first);
        let labels: std::collections::HashMap<String, String> = [(LABEL.to_string(), first.clone())].into();
        let e = check("img:dev", Some(&labels), r, "Dockerfile").unwrap_err();
        assert!(e.contains(short(&first)) && e.contains(short(&second)) && e.contains("img:dev") && e.contains("--build"), "{e}");
        let labels: std::collections::HashMap<String, String> = [(LABEL.to_string(), second)].into();
        assert!(check("img:dev", Some(&labels), r, "Dockerfile").is_ok());
        assert!(check("img:dev", None, r, "Dockerfile").unwrap_err().contains("no org.trm-ci.context label"));
    }
}
