//! `trm-ci hook install`.

use std::path::Path;

pub fn install(repo: &Path, force: bool) -> i32 {
    match crate::git_hook::install(repo, force) {
        Ok(msg) => {
            super::print(&format!("{msg}\n"));
            0
        }
        Err(e) => {
            eprintln!("trm-ci hook install: {e}");
            2
        }
    }
}
