//! `trm-ci ci` and `trm-ci post` end to end (the binary): stages, skips, the results document,
//! the step outputs, and `post` outside Actions.

use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trm-ci"));
    for v in ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "GITHUB_BASE_REF"] {
        c.env_remove(v);
    }
    c
}

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

#[test]
fn ci_failed_build_skips_smoke_and_fails() {
    let t = tempfile::tempdir().unwrap();
    let json = t.path().join("results.json");
    let out_file = t.path().join("github_output");
    // No engine answers on this socket: the build stage fails, smoke is skipped.
    let out = bin()
        .args(["ci", "--repo", root(), "--json", json.to_str().unwrap()])
        .env("DOCKER_HOST", format!("unix://{}/none.sock", t.path().display()))
        .env("GITHUB_OUTPUT", &out_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("[ci] smoke: skipped (the build failed)"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["build"]["ok"], false);
    assert!(doc["build"]["error"].as_str().unwrap().contains("Docker engine"), "{doc}");
    assert!(doc.get("smoke").is_none(), "{doc}");
    assert!(doc["summary"].is_object(), "the lint stage ran: {doc}");
    let outputs = std::fs::read_to_string(&out_file).unwrap();
    assert!(outputs.contains("verdict=fail\n") && outputs.contains("findings=0\n"), "{outputs}");
    assert!(outputs.contains("results=") && outputs.contains("results.json"), "{outputs}");
}

#[test]
fn ci_lint_only_passes_and_post_dry_run_prints_the_comment() {
    let t = tempfile::tempdir().unwrap();
    let json = t.path().join("results.json");
    let out = bin().args(["ci", "--repo", root(), "--skip-build", "--skip-smoke", "--json", json.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let post = bin().args(["post", "--results", json.to_str().unwrap(), "--dry-run"]).output().unwrap();
    assert_eq!(post.status.code(), Some(0));
    let body = String::from_utf8_lossy(&post.stdout);
    assert!(body.starts_with("<!-- trm-ci:sticky-comment -->\n### ✅ trm-ci"), "{body}");
    assert!(body.contains("| build | ⏭️ skipped |"), "{body}");
}

#[test]
fn post_outside_actions_says_what_it_needs() {
    let t = tempfile::tempdir().unwrap();
    let json = t.path().join("results.json");
    std::fs::write(&json, r#"{"version":1,"tool":{"name":"trm-ci","version":"0.1.0"},"base":null,"summary":{"errors":0,"warnings":0,"files_checked":1},"findings":[],"notes":[]}"#).unwrap();
    let out = bin().args(["post", "--results", json.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needed in ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "--dry-run"] {
        assert!(err.contains(needed), "{err}");
    }
    let bad = bin().args(["post", "--results", t.path().join("missing.json").to_str().unwrap()]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=trm-ci test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn ci_records_the_schema_change_and_the_comment_shows_it_destructive_first() {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir_all(repo.join("snapshots")).unwrap();
    let snapshot = std::fs::read_to_string(std::path::Path::new(root()).join("snapshots/snapshot.yaml")).unwrap();
    std::fs::write(repo.join("snapshots/snapshot.yaml"), &snapshot).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    // The head drops the second field of the snapshot (a column and its values).
    let fields = snapshot.find("\nfields:\n").unwrap();
    let blocks: Vec<usize> = snapshot[fields..].match_indices("\n  - collection: ").map(|(i, _)| fields + i).collect();
    let removed = &snapshot[blocks[1]..blocks[2]];
    let field = removed.lines().find_map(|l| l.trim().strip_prefix("field: ")).unwrap().to_string();
    let head = format!("{}{}", &snapshot[..blocks[1]], &snapshot[blocks[2]..]);
    std::fs::write(repo.join("snapshots/snapshot.yaml"), head).unwrap();

    let json = t.path().join("results.json");
    let out = bin()
        .args(["ci", "--repo", repo.to_str().unwrap(), "--base", "main", "--skip-build", "--skip-smoke", "--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(json.exists(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let changes = doc["schema"]["changes"].as_array().unwrap_or_else(|| panic!("no schema change: {doc}"));
    assert_eq!(changes.len(), 1, "{doc}");
    assert_eq!(changes[0]["field"], field.as_str());
    assert_eq!(changes[0]["destructive"], true);
    assert!(doc["schema"]["base"].as_str().unwrap().starts_with("main"), "{doc}");

    let post = bin().args(["post", "--results", json.to_str().unwrap(), "--dry-run"]).output().unwrap();
    assert_eq!(post.status.code(), Some(0));
    let body = String::from_utf8_lossy(&post.stdout);
    assert!(body.contains("#### Schema change against `main"), "{body}");
    let line = body.lines().find(|l| l.contains(&format!("`{field}`"))).unwrap_or_else(|| panic!("{body}"));
    assert!(line.starts_with("- ⚠️ **destructive:** "), "{line}");
}

/// `ci --config FILE` is the lint's `--config` (and the paths smoke and the drill read): a config
/// naming a snapshot that is not there makes the lint stage fail on it; a missing or bad config
/// file is a usage error naming it.
#[test]
fn ci_takes_a_config_file() {
    let t = tempfile::tempdir().unwrap();
    let run = |config: &std::path::Path| {
        let out = bin()
            .args(["ci", "--repo", root(), "--skip-build", "--skip-smoke", "--skip-upgrade", "--config"])
            .arg(config)
            .output()
            .unwrap();
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let moved = t.path().join("moved.toml");
    std::fs::write(&moved, "[paths]\nsnapshot = \"elsewhere/snapshot.yaml\"\n").unwrap();
    let (code, log) = run(&moved);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("lint/missing-artifact") && log.contains("elsewhere/snapshot.yaml"), "{log}");

    let missing = t.path().join("missing.toml");
    let (code, log) = run(&missing);
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("missing.toml"), "{log}");

    let bad = t.path().join("bad.toml");
    std::fs::write(&bad, "[rules]\n\"migrations/no-such-rule\" = \"off\"\n").unwrap();
    let (code, log) = run(&bad);
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("bad.toml:2:1"), "{log}");
}

/// A pull request that changes nothing the image is made of (here the README) costs no drill:
/// the base's build context is the head's, byte for byte, so the upgrade would be from an image
/// to itself. The skip is recorded as data and shown in the comment's stage table. A change to
/// a file the image holds (a db-init migration) makes the drill run: here it then fails at once
/// on the missing engine, which shows it was attempted.
#[test]
fn ci_skips_the_drill_when_the_base_builds_the_same_image() {
    #[path = "common/mod.rs"]
    #[allow(dead_code)]
    mod common;
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    common::copy_deployment(&repo);
    std::fs::copy(std::path::Path::new(root()).join("compose.dev.yaml"), repo.join("compose.dev.yaml")).unwrap();
    std::fs::write(repo.join("README.md"), "# shop\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(repo.join("README.md"), "# shop\n\nMore words.\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "docs"]);

    let ci = |json: &std::path::Path| {
        bin()
            .args(["ci", "--repo", repo.to_str().unwrap(), "--skip-build", "--skip-smoke", "--json", json.to_str().unwrap()])
            .env("GITHUB_BASE_REF", "main")
            .env("DOCKER_HOST", format!("unix://{}/none.sock", t.path().display()))
            .output()
            .unwrap()
    };
    let json = t.path().join("same.json");
    let out = ci(&json);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("[ci] upgrade: skipped (main (") && stdout.contains("builds the same image as this tree"), "{stdout}");
    assert!(!stdout.contains("[ci] == upgrade"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(doc.get("upgrade").is_none(), "{doc}");
    let skipped = &doc["skipped"][0];
    assert_eq!((skipped["stage"].as_str(), skipped["reason"].as_str()), (Some("upgrade"), Some("same-image")), "{doc}");
    assert!(skipped["context"].as_str().unwrap().starts_with("sha256:"), "{doc}");
    let post = bin().args(["post", "--results", json.to_str().unwrap(), "--dry-run"]).output().unwrap();
    let body = String::from_utf8_lossy(&post.stdout);
    let row = body.lines().find(|l| l.starts_with("| upgrade | ⏭️ skipped (main ")).unwrap_or_else(|| panic!("{body}"));
    assert!(row.contains("builds the same image as this tree") && row.contains("nothing to upgrade"), "{row}");

    // A migration added: the image differs, so the drill runs (and fails: no engine here).
    std::fs::write(repo.join("db-init/0999_note.sql"), "CREATE TABLE note (id int);\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "a migration"]);
    let json = t.path().join("differs.json");
    let out = ci(&json);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("[ci] == upgrade"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(doc.get("skipped").is_none(), "{doc}");
    assert_eq!(doc["upgrade"]["ok"], false, "{doc}");
}
