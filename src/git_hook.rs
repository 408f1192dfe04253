//! `trm-ci hook install`: writes the git pre-commit hook that runs
//! `trm-ci lint --staged` (the files as they will be committed, not as they
//! are in the work tree); `trm-ci hook uninstall` removes it again.
//!
//! The hook goes where git looks for it: `core.hooksPath` when set (relative
//! to the work tree root, as git reads it), else `<git common dir>/hooks`.
//! An existing hook that trm-ci did not write is never replaced without
//! `--force`; with it, the old hook is kept beside the new one as
//! `pre-commit.trm-ci-backup`.

use std::path::{Path, PathBuf};

use git2::Repository;

/// Every hook trm-ci writes contains this line; a hook with it is ours to
/// update without `--force`.
pub const MARKER: &str = "# trm-ci pre-commit hook";

/// The hook script. `TRM_CI` overrides the binary; when `trm-ci` is not on
/// PATH, the binary that installed the hook is tried, then the hook fails
/// with a message saying how to install it or skip the check once.
pub fn script(installed_by: Option<&Path>) -> String {
    let fallback = installed_by
        .map(|p| format!("  elif [ -x {} ]; then\n    bin={}\n", sh_quote(p), sh_quote(p)))
        .unwrap_or_default();
    format!(
        r#"#!/bin/sh
{MARKER} (written by `trm-ci hook install`; `trm-ci hook install --force` rewrites it).
# Lints the staged migrations, snapshot, Dockerfile, scripts and compose file.
# Skip it once with `git commit --no-verify`.
bin=${{TRM_CI:-}}
if [ -z "$bin" ]; then
  if command -v trm-ci >/dev/null 2>&1; then
    bin=trm-ci
{fallback}  else
    echo "trm-ci pre-commit hook: trm-ci is not on PATH." >&2
    echo "  install it: cargo install --locked --path <the trm-ci repository>" >&2
    echo "  or point TRM_CI at the binary, or skip the check once: git commit --no-verify" >&2
    exit 1
  fi
fi
exec "$bin" lint --staged
"#
    )
}

/// Installs the hook into the repository containing `repo`. Ok: what was
/// done, for the user. Err: why nothing was written.
pub fn install(repo: &Path, force: bool) -> Result<String, String> {
    let git = crate::repo::open(repo)
        .ok_or_else(|| format!("{} is not inside a git repository (run `git init` first)", repo.display()))?;
    let dir = hooks_dir(&git)?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let hook = dir.join("pre-commit");

    let mut backup = None;
    match std::fs::read(&hook) {
        Ok(old) => {
            let ours = String::from_utf8_lossy(&old).contains(MARKER);
            if !ours {
                if !force {
                    return Err(format!(
                        "{} already exists and was not written by trm-ci; \
                         re-run with --force to replace it (it is kept as pre-commit.trm-ci-backup), \
                         or call `trm-ci lint --staged` from it yourself",
                        hook.display()
                    ));
                }
                let b = dir.join("pre-commit.trm-ci-backup");
                std::fs::rename(&hook, &b).map_err(|e| format!("cannot move {} aside: {e}", hook.display()))?;
                backup = Some(b);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", hook.display())),
    }

    let exe = std::env::current_exe()
        .ok()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("trm-ci")));
    std::fs::write(&hook, script(exe.as_deref())).map_err(|e| format!("cannot write {}: {e}", hook.display()))?;
    make_executable(&hook)?;

    let mut msg = format!("installed {}: `trm-ci lint --staged` runs before each commit", hook.display());
    if let Some(b) = backup {
        msg.push_str(&format!(" (the previous hook is kept as {})", b.display()));
    }
    Ok(msg)
}

/// Removes the hook `install` wrote, putting back the hook it replaced
/// (`pre-commit.trm-ci-backup`) when there is one. A hook trm-ci did not write
/// is left alone (Err). Ok: what was done, for the user.
pub fn uninstall(repo: &Path) -> Result<String, String> {
    let git = crate::repo::open(repo).ok_or_else(|| format!("{} is not inside a git repository", repo.display()))?;
    let dir = hooks_dir(&git)?;
    let hook = dir.join("pre-commit");
    let backup = dir.join("pre-commit.trm-ci-backup");
    match std::fs::read(&hook) {
        Ok(old) if String::from_utf8_lossy(&old).contains(MARKER) => {}
        Ok(_) => {
            return Err(format!("{} was not written by trm-ci; left as it is", hook.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(format!("no trm-ci pre-commit hook in {}: nothing to remove", dir.display()));
        }
        Err(e) => return Err(format!("cannot read {}: {e}", hook.display())),
    }
    std::fs::remove_file(&hook).map_err(|e| format!("cannot remove {}: {e}", hook.display()))?;
    if backup.is_file() {
        std::fs::rename(&backup, &hook).map_err(|e| format!("cannot restore {}: {e}", backup.display()))?;
        return Ok(format!("removed the trm-ci hook; restored the previous one as {}", hook.display()));
    }
    Ok(format!("removed {}", hook.display()))
}

/// Where git runs hooks from for this repository.
pub fn hooks_dir(git: &Repository) -> Result<PathBuf, String> {
    let configured = git
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
        .filter(|p| !p.as_os_str().is_empty());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        // git resolves a relative hooksPath against the directory hooks run
        // in: the work tree root (the git dir for a bare repository).
        Some(p) => git.workdir().unwrap_or_else(|| git.path()).join(p),
        None => git.commondir().join("hooks"),
    })
}

#[cfg(unix)]
fn make_executable(p: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", p.display()))
}
#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), String> {
    Ok(())
}

/// Single-quotes a path for sh.
fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.to_string_lossy().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_runs_lint_staged_and_carries_the_marker() {
        let s = script(Some(Path::new("/opt/it's/trm-ci")));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(s.contains("exec \"$bin\" lint --staged"));
        assert!(s.contains(r"[ -x '/opt/it'\''s/trm-ci' ]"));
        assert!(!script(None).contains("elif"));
    }
}
