//! The GitHub Action and the workflows: actionlint (with shellcheck), the
//! GitHub JSON schemas (check-jsonschema's vendored ones) and zizmor --offline
//! find nothing; inputs reach scripts only through `env:`.
//!
//! The tools come from `$TRM_ACTION_TOOLS` (default `$TRM_CI_CACHE/action-tools/bin`,
//! installed by .ci/lib/install-action-tools.sh, which `bash .ci/test` runs).
//! A missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("TRM_ACTION_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("TRM_CI_CACHE").map(PathBuf::from).unwrap_or_else(|| "/var/cache/trm-ci".into());
        cache.join("action-tools/bin")
    });
    let p = dir.join(name);
    assert!(p.exists(), "{} not found: run `bash .ci/lib/install-action-tools.sh` (bash .ci/test does) or set TRM_ACTION_TOOLS", p.display());
    p
}

fn workflows() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 2, "{v:?}");
    v
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.current_dir(root()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn action_workflows_pass_actionlint() {
    // actionlint runs shellcheck on every `run:` when it is on PATH.
    let sc = Command::new("shellcheck").arg("--version").output();
    assert!(sc.is_ok_and(|o| o.status.success()), "shellcheck is not installed (Debian package shellcheck)");
    let (ok, out) = run(Command::new(tool("actionlint")).args(["-oneline", "-no-color"]).args(workflows()));
    assert!(ok && out.trim().is_empty(), "actionlint:\n{out}");
}

#[test]
fn action_files_match_githubs_schemas() {
    let (ok, out) = run(Command::new(tool("check-jsonschema")).args(["--builtin-schema", "vendor.github-actions", "action.yml"]));
    assert!(ok, "action.yml:\n{out}");
    let (ok, out) = run(Command::new(tool("check-jsonschema")).args(["--builtin-schema", "vendor.github-workflows"]).args(workflows()));
    assert!(ok, "workflows:\n{out}");
}

#[test]
fn action_zizmor_finds_nothing() {
    let (ok, out) = run(Command::new(tool("zizmor")).args(["--offline", "--no-progress", "."]));
    assert!(ok && out.contains("No findings to report"), "zizmor:\n{out}");
}

#[test]
fn action_scripts_pass_shellcheck() {
    let (ok, out) = run(Command::new("shellcheck").args([".github/action/install.sh", ".github/action/ci.sh"]));
    assert!(ok, "shellcheck:\n{out}");
}

/// No `${{ … }}` inside a `run:` of action.yml or a workflow: inputs and
/// event fields reach scripts only through `env:` (zizmor's template-injection
/// audit flags only some contexts; this is stricter).
#[test]
fn action_inputs_reach_scripts_only_through_env() {
    let mut files = workflows();
    files.push(root().join("action.yml"));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_run: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let t = line.trim_start();
            if let Some(run_indent) = in_run {
                if !t.is_empty() && indent <= run_indent {
                    in_run = None;
                }
            }
            let key = t.strip_prefix("- ").unwrap_or(t);
            if let Some(rest) = key.strip_prefix("run:") {
                assert!(!rest.contains("${{"), "{}:{}: expression in run: {line}", f.display(), i + 1);
                in_run = Some(indent + (t.len() - key.len()));
                continue;
            }
            if in_run.is_some() {
                assert!(!line.contains("${{"), "{}:{}: expression in run: {line}", f.display(), i + 1);
            }
        }
    }
}
