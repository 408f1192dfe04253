//! `trm-ci hook install`: the git pre-commit hook. (Being implemented.)

use std::path::Path;

pub fn install(_repo: &Path, _force: bool) -> Result<String, String> {
    Err("hook install is not implemented yet".into())
}
