//! `trm-ci hook install` and `trm-ci hook uninstall`.

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

pub fn uninstall(repo: &Path) -> i32 {
    match crate::git_hook::uninstall(repo) {
        Ok(msg) => {
            super::print(&format!("{msg}\n"));
            0
        }
        Err(e) => {
            eprintln!("trm-ci hook uninstall: {e}");
            2
        }
    }
}
