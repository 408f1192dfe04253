//! The GitHub Action and the workflows: actionlint (with shellcheck), the
//! GitHub JSON schemas (check-jsonschema's vendored ones) and zizmor --offline
//! find nothing; inputs reach scripts only through `env:`.
//!
//! The tools come from `$TRM_ACTION_TOOLS` (default `$TRM_CI_CACHE/action-tools/bin`,
//! installed by .ci/lib/install-action-tools.sh, which `bash .ci/test` runs).
//! A missing tool fails the test.
//!
//! `act_runs_the_pr_workflow_against_a_local_github` runs this repository's PR workflow for real
//! with nektos/act on the host, against tests/github/server.rs: deselect it with `--skip act_`.

#[path = "github/server.rs"]
#[allow(dead_code)]
mod server;

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

/// The workflow a team copies into its repository ("Use it in your repository" in the README).
const ADOPTED: &str = "docs/adopt/trm-ci.yml";

/// This repository's workflows and the one a team copies ([`ADOPTED`]).
fn workflows() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 2, "{v:?}");
    v.push(root().join(ADOPTED));
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
    let (ok, out) = run(Command::new(tool("zizmor")).args(["--offline", "--no-progress", ".", ADOPTED]));
    assert!(ok && out.contains("No findings to report"), "zizmor:\n{out}");
}

#[test]
fn action_scripts_pass_shellcheck() {
    let (ok, out) = run(Command::new("shellcheck").args([".github/action/install.sh", ".github/action/ci.sh"]));
    assert!(ok, "shellcheck:\n{out}");
}

/// The README's "Use it in your repository" shows [`ADOPTED`] verbatim, and this repository's own
/// PR workflow is that file with the action taken from the checkout (`uses: ./`): what a team
/// copies is what runs here, and what the act test below runs.
#[test]
fn action_readme_shows_the_adopted_workflow_and_this_repository_runs_it() {
    let adopted = std::fs::read_to_string(root().join(ADOPTED)).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme.split("\n## Use it in your repository\n").nth(1).expect("README has `## Use it in your repository`");
    let section = section.split("\n## ").next().unwrap();
    let block = section.split("```yaml\n").nth(1).and_then(|b| b.split("\n```").next()).expect("a ```yaml block in the section");
    assert_eq!(format!("{block}\n"), adopted, "the README's workflow is not {ADOPTED} (copy the file into the README)");

    let uses = adopted.lines().find(|l| l.trim_start().starts_with("- uses: acme/trm-ci@")).expect("the action's uses: line");
    let own = std::fs::read_to_string(root().join(".github/workflows/trm-ci.yml")).unwrap();
    let body = |text: &str| text.lines().skip_while(|l| l.starts_with('#')).map(str::to_string).collect::<Vec<_>>().join("\n");
    let reference = uses.split("uses: ").nth(1).unwrap();
    assert_eq!(
        body(&own),
        body(&adopted.replace(reference, "./")),
        ".github/workflows/trm-ci.yml must be {ADOPTED} with `uses: ./`"
    );
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

/// ci.sh, the Action's `trm-ci ci` step, on this repository (lint only: offline, seconds) as a
/// pull request would run it (GITHUB_BASE_REF set, where `trm-ci ci` drills by default): the
/// stages map to the skips (`stages: lint` runs no drill), SARIF is written only when asked for and
/// its rules link to the docs at the action's ref, `config` reaches the lint, and bad inputs stop
/// the step (exit 2) naming them.
#[test]
fn action_ci_script_maps_the_inputs() {
    let t = tempfile::tempdir().unwrap();
    let run_ci = |name: &str, vars: &[(&str, &str)]| {
        let temp = t.path().join(name);
        std::fs::create_dir_all(&temp).unwrap();
        let output = temp.join("github_output");
        let mut cmd = Command::new("bash");
        cmd.arg(root().join(".github/action/ci.sh")).current_dir(root());
        for v in ["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH", "TRM_CI_RULES_URL", "GITHUB_REPOSITORY"] {
            cmd.env_remove(v);
        }
        let defaults = [
            ("TRM_CI", env!("CARGO_BIN_EXE_trm-ci")),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_ACTION_PATH", root().to_str().unwrap()),
            ("STAGES", "lint"),
            ("BASE", ""),
            ("FAIL_ON", "error"),
            ("SARIF", "false"),
            ("MAX_SIZE", "600MB"),
            ("MAX_ADDED_SIZE", "25MB"),
            ("CONFIG", ""),
            ("POSTGRES_IMAGE", "postgres:16-alpine"),
            ("PULL", "missing"),
            ("ACTION_REPOSITORY", "acme/trm-ci"),
            ("ACTION_REF", "v1.2.3"),
            ("SERVER_URL", "https://github.example"),
            ("HEAD_SHA", ""),
        ];
        for (k, v) in defaults {
            cmd.env(k, v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.env("RUNNER_TEMP", &temp).env("GITHUB_OUTPUT", &output);
        let out = cmd.output().unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), std::fs::read_to_string(&output).unwrap_or_default(), log, temp)
    };

    // stages: lint on a pull request: no build, no smoke, no drill; SARIF asked for.
    let (code, outputs, log, temp) = run_ci("lint", &[("SARIF", "true")]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("--skip-build --skip-smoke --skip-upgrade"), "{log}");
    assert!(!log.contains("[ci] == upgrade") && !log.contains("upgrade failed"), "{log}");
    assert!(outputs.contains("verdict=pass\n"), "{outputs}{log}");
    let sarif = outputs.lines().find_map(|l| l.strip_prefix("sarif=")).unwrap_or_else(|| panic!("no sarif output: {outputs}"));
    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["helpUri"], format!("https://github.example/acme/trm-ci/blob/v1.2.3/docs/rules/{}.md", rule["id"].as_str().unwrap()));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(temp.join("trm-ci-results.json")).unwrap()).unwrap();
    assert_eq!(results["tool"]["rules_url"], "https://github.example/acme/trm-ci/blob/v1.2.3/docs/rules/");

    // sarif: false (the default) writes none; config reaches the lint; a local action (uses: ./)
    // links the docs of the repository it runs in, at the PR's head.
    let t2 = tempfile::tempdir().unwrap();
    let config = t2.path().join("trm-ci.toml");
    std::fs::write(&config, "[paths]\nsnapshot = \"elsewhere/snapshot.yaml\"\n").unwrap();
    let head = "0123456789abcdef0123456789abcdef01234567";
    let (code, outputs, log, temp) = run_ci(
        "local",
        &[("CONFIG", config.to_str().unwrap()), ("ACTION_REPOSITORY", ""), ("ACTION_REF", ""), ("GITHUB_REPOSITORY", "acme/shop"), ("HEAD_SHA", head)],
    );
    assert_eq!(code, Some(0), "{log}");
    assert!(!outputs.contains("sarif="), "{outputs}");
    assert!(outputs.contains("verdict=fail\n") && log.contains("lint/missing-artifact"), "{outputs}{log}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(temp.join("trm-ci-results.json")).unwrap()).unwrap();
    assert_eq!(results["tool"]["rules_url"], format!("https://github.example/acme/shop/blob/{head}/docs/rules/"));

    for (name, vars, says) in [
        ("smoke-without-build", &[("STAGES", "lint,smoke")][..], "add build"),
        ("upgrade-without-build", &[("STAGES", "upgrade")][..], "add build"),
        ("unknown-stage", &[("STAGES", "lint,deploy")][..], "unknown stage 'deploy'"),
        ("bad-sarif", &[("SARIF", "yes")][..], "sarif must be true or false"),
        ("bad-pull", &[("PULL", "sometimes")][..], "pull must be missing, always or never"),
        ("bad-fail-on", &[("FAIL_ON", "info")][..], "fail-on must be"),
    ] {
        let (code, _, log, _) = run_ci(name, vars);
        assert_eq!(code, Some(2), "{name}: {log}");
        assert!(log.contains(says) && log.contains("::error title=trm-ci::"), "{name}: {log}");
    }
}

const TOKEN: &str = "ghs_act_token_never_printed_0123456789";
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

/// The `uses:` of a workflow or action file that names `owner/repo[/path]@sha`, as act's
/// `--local-repository` wants it (`owner/repo@sha`), with the path inside the repository.
fn remote_uses(file: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut v = Vec::new();
    for line in text.lines() {
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        let Some(u) = t.strip_prefix("uses:") else { continue };
        let u = u.split('#').next().unwrap().trim();
        if u.starts_with("./") || u == "." {
            continue;
        }
        let (name, sha) = u.split_once('@').unwrap();
        let mut parts = name.splitn(3, '/');
        let (owner, repo, sub) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(""));
        v.push((format!("{owner}/{repo}@{sha}"), sub.to_string()));
    }
    v
}

/// A composite stand-in for a remote action act cannot fetch offline.
fn stand_in(dir: &Path, name: &str, inputs: &[&str], outputs: &str, script: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let mut y = format!("name: {name} (stand-in)\ndescription: stands in for {name}, which act cannot fetch offline\n");
    if !inputs.is_empty() {
        y.push_str("inputs:\n");
        for i in inputs {
            y.push_str(&format!("  {i}: {{ description: {i}, required: false, default: '' }}\n"));
        }
    }
    y.push_str(outputs);
    y.push_str("runs:\n  using: composite\n  steps:\n    - id: main\n      shell: bash\n      env:\n");
    y.push_str("        STANDIN: x\n");
    for i in inputs {
        y.push_str(&format!("        IN_{}: ${{{{ inputs.{i} }}}}\n", i.to_uppercase().replace('-', "_")));
    }
    y.push_str("      run: |\n");
    for l in script.lines() {
        y.push_str(&format!("        {l}\n"));
    }
    std::fs::write(dir.join("action.yml"), y).unwrap();
}

/// Runs the adopted `workflow` with act on the host for a `pull_request` event, in `workdir` (the
/// team's checkout), against the local GitHub `gh`: `uses: acme/trm-ci@<sha>` is this work tree
/// (act's `--local-repository`), the other remote actions get local stand-ins; `docker_host` is the
/// engine the steps see (None: the machine's own). Returns whether the job passed, and act's log
/// (also written to `log_name` in `t` and in $TRM_ARTIFACTS_DIR).
fn act_pull_request(t: &Path, workdir: &Path, workflow: &Path, gh: &server::FakeGitHub, docker_host: Option<&str>, log_name: &str) -> (bool, String) {
    let act = tool("act");
    // Stand-ins for the remote actions. The cache one restores a key from a local store, as
    // actions/cache restores from GitHub's (the install step below does not need it: see TRM_CI_BIN).
    let store = t.join("store");
    let mut repos = Vec::new();
    for (repo_at, sub) in remote_uses(&workflow).into_iter().chain(remote_uses(&root().join("action.yml"))) {
        let dir = t.join("standins").join(repo_at.replace(['/', '@'], "_"));
        let action_dir = dir.join(&sub);
        match repo_at.split('@').next().unwrap() {
            // trm-ci itself: this work tree, at the commit the workflow pins.
            "acme/trm-ci" => {
                repos.push(format!("{repo_at}={}", root().display()));
                continue;
            }
            "actions/checkout" => stand_in(&action_dir, "actions/checkout", &["fetch-depth", "persist-credentials"], "",
                "echo \"stand-in checkout: act provides the work tree ($PWD)\""),
            "actions/cache" => stand_in(&action_dir, "actions/cache", &["path", "key"],
                "outputs:\n  cache-hit:\n    description: hit\n    value: ${{ steps.main.outputs.hit }}\n",
                "hit=false\nwhile IFS= read -r p; do\n  [ -n \"$p\" ] || continue\n  p=${p/#\\~/$HOME}\n  src=\"$TRM_ACT_CACHE_STORE/$IN_KEY/$(basename \"$p\")\"\n  if [ -e \"$src\" ] && [ ! -e \"$p\" ]; then mkdir -p \"$(dirname \"$p\")\"; ln -s \"$src\" \"$p\"; hit=true; fi\ndone <<< \"$IN_PATH\"\necho \"stand-in cache: key $IN_KEY hit=$hit\"\necho \"hit=$hit\" >> \"$GITHUB_OUTPUT\""),
            "github/codeql-action" => stand_in(&action_dir, "github/codeql-action/upload-sarif", &["sarif_file", "category"], "",
                "echo \"stand-in upload-sarif: $IN_SARIF_FILE ($IN_CATEGORY)\"\ngrep -q '\"version\": \"2.1.0\"' \"$IN_SARIF_FILE\""),
            other => panic!("no stand-in for {other}: add one"),
        }
        repos.push(format!("{repo_at}={}", dir.display()));
    }
    assert!(repos.len() >= 4 && repos.iter().any(|r| r.starts_with("acme/trm-ci@")), "{repos:?}");

    let event = serde_json::json!({
        "action": "synchronize",
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": { "sha": HEAD, "ref": "feature/x", "repo": { "full_name": "acme/shop", "fork": false } },
            "base": { "sha": "fedcba9876543210fedcba9876543210fedcba98", "ref": "main", "repo": { "full_name": "acme/shop", "fork": false } },
        },
        "repository": { "full_name": "acme/shop" },
    });
    let event_path = t.join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();

    let mut cmd = Command::new(&act);
    cmd.args(["pull_request", "-W"]).arg(&workflow);
    cmd.args(["-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "-e"]).arg(&event_path);
    cmd.arg("--action-cache-path").arg(t.join("act"));
    cmd.args(["-s", &format!("GITHUB_TOKEN={TOKEN}")]);
    for e in [
        format!("GITHUB_API_URL={}", gh.url),
        "GITHUB_REPOSITORY=acme/shop".to_string(),
        format!("TRM_ACT_CACHE_STORE={}", store.display()),
        // The binary this test run built, instead of a `cargo install` of the copy act makes of
        // the work tree (its new mtimes rebuild trm-ci: minutes; the README gives that cost).
        format!("TRM_CI_BIN={}", env!("CARGO_BIN_EXE_trm-ci")),
    ] {
        cmd.args(["--env", &e]);
    }
    for r in &repos {
        cmd.args(["--local-repository", r]);
    }
    // The engine the steps see (trm-ci build and smoke); act itself needs none (host mode).
    match docker_host {
        Some(h) => {
            cmd.args(["--env", &format!("DOCKER_HOST={h}")]);
            cmd.env("DOCKER_HOST", h);
        }
        None => {
            cmd.env_remove("DOCKER_HOST");
        }
    }
    // Nothing of the test's own environment steers the run.
    for v in ["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH", "CARGO_TARGET_DIR"] {
        cmd.env_remove(v);
    }
    let out = cmd.current_dir(workdir).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let (ok, log) = (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    let _ = std::fs::write(t.join(log_name), &log);
    if let Some(dir) = std::env::var_os("TRM_ARTIFACTS_DIR") {
        let _ = std::fs::write(Path::new(&dir).join(log_name), &log);
    }
    (ok, log)
}

/// The workflow a team copies from the README ([`ADOPTED`]), run by a real Actions runner
/// (nektos/act, on the host): its `uses: acme/trm-ci@<sha>` is this work tree (act's
/// `--local-repository`, as GitHub would fetch that commit), the other remote actions get local
/// stand-ins; neither the workflow nor the action is edited. The composite steps run, every input
/// arrives at its default, the outputs are set, the comment and the check run arrive at the local
/// GitHub server, the job summary is written. The build finds no Docker engine (a dummy
/// DOCKER_HOST), so it ends at once with its reason; smoke and the drill are skipped, the verdict
/// is fail and the job fails at its last step, after posting.
#[test]
fn act_runs_the_pr_workflow_against_a_local_github() {
    let gh = server::FakeGitHub::start("acme/shop", TOKEN);
    let t = tempfile::tempdir().unwrap();
    let workflow = root().join(ADOPTED);

    let no_engine = format!("unix://{}/no-engine.sock", t.path().display());
    let (ok, log) = act_pull_request(t.path(), root(), &workflow, &gh, Some(&no_engine), "act.log");

    // The job ran every composite step and failed only at the verdict (build failed).
    assert!(!ok, "the verdict is fail, so is the job:\n{log}");
    for step in [
        "Success - Main Install trm-ci (release binary)",
        "Success - Main trm-ci ci",
        "Success - Main Post the results",
        "Failure - Main Verdict",
        "Success - Main Outputs",
    ] {
        assert!(log.contains(step), "{step:?} not in the log:\n{log}");
    }
    assert_eq!(log.matches("Failure - Main").count(), 2, "only the verdict (and the composite around it) fails:\n{log}");
    assert!(log.contains("trm-ci: using TRM_CI_BIN="), "{log}");
    assert!(!log.contains("Main Install trm-ci (cargo install)"), "nothing to install:\n{log}");
    assert!(!log.contains("Main Upload SARIF"), "sarif is off by default:\n{log}");
    // The inputs arrived (the workflow's `with:`), through env: into the script.
    let command = log.lines().find(|l| l.contains("trm-ci: running trm-ci ci --repo . --json ")).unwrap_or_else(|| panic!("{log}"));
    for arg in ["--fail-on error", "--pull missing", "--max-size 600MB --max-added-size 25MB", "--postgres-image postgres:16-alpine"] {
        assert!(command.contains(arg), "{arg} not in {command}");
    }
    assert!(!command.contains("--skip-") && !command.contains("--config"), "{command}");
    assert!(log.contains("[ci] smoke: skipped (the build failed)") && log.contains("[ci] upgrade: skipped"), "{log}");
    // The comment's rule links point at the docs of the commit the workflow pins.
    let sha = remote_uses(&workflow).into_iter().find_map(|(r, _)| r.strip_prefix("acme/trm-ci@").map(String::from)).unwrap();
    assert!(log.contains(&format!("trm-ci: rule documentation: https://github.com/acme/trm-ci/blob/{sha}/docs/rules/")), "{log}");
    // The outputs were set: the workflow's next step reads them.
    let outputs = log.lines().find(|l| l.contains("| verdict=")).unwrap_or_else(|| panic!("no outputs line:\n{log}"));
    assert!(outputs.contains("verdict=fail findings=") && outputs.contains("results=/") && outputs.contains("trm-ci-results.json"), "{outputs}");
    // The comment and the check run arrived, and the job summary was written.
    let st = gh.state();
    assert_eq!(st.comments.len(), 1, "{:?}", st.requests.iter().map(|r| format!("{} {} {}", r.method, r.target, r.status)).collect::<Vec<_>>());
    let body = &st.comments[0].body;
    assert!(body.starts_with("<!-- trm-ci:sticky-comment -->\n### ❌ trm-ci:") && body.contains("build failed"), "{body}");
    assert!(body.contains("| smoke | ⏭️ skipped (the build failed) |"), "{body}");
    assert_eq!(st.check_runs.len(), 1);
    assert_eq!((st.check_runs[0].name.as_str(), st.check_runs[0].head_sha.as_str()), ("trm-ci", HEAD));
    assert_eq!(st.check_runs[0].conclusion.as_deref(), Some("failure"));
    assert!(st.requests.iter().all(|r| r.authorization.as_deref().is_some_and(|a| a.contains(TOKEN))), "every request carries the token");
    assert!(log.contains("job summary written to"), "{log}");
    assert!(log.contains("Summary") && log.contains("| stage | result | time |"), "act prints the job summary:\n{log}");
    assert!(!log.contains(TOKEN), "the token was printed:\n{log}");
}

/// install.sh, the Action's first step, against a release laid out as GitHub serves it (here from
/// `file://`, which curl reads like `https://`): a release ref, or the full commit sha of a
/// release, downloads the binary and verifies its SHA-256; a mismatch fails the step; no release
/// (a branch ref, an unreleased sha) falls back to cargo install.
#[test]
fn action_install_verifies_the_release_binary() {
    let t = tempfile::tempdir().unwrap();
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        other => panic!("no release target for {other}"),
    };
    let asset = format!("trm-ci-{target}.tar.gz");
    let dir = t.path().join("srv/acme/trm-ci/releases/download/v1.2.3");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_trm-ci"));
    let sh = |script: &str, cwd: &Path| {
        let out = Command::new("bash").args(["-c", script]).current_dir(cwd).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    };
    sh(&format!("tar -czf {asset} -C {} trm-ci && sha256sum {asset} > {asset}.sha256", bin.parent().unwrap().display()), &dir);

    let install = |name: &str, reference: &str| {
        let temp = t.path().join(name);
        std::fs::create_dir_all(&temp).unwrap();
        let output = temp.join("github_output");
        let out = Command::new("bash")
            .arg(root().join(".github/action/install.sh"))
            .env("ACTION_REF", reference)
            .env("ACTION_REPOSITORY", "acme/trm-ci")
            .env("SERVER_URL", format!("file://{}/srv", t.path().display()))
            .env("GITHUB_ACTION_PATH", root())
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_OUTPUT", &output)
            .env_remove("TRM_CI_BIN")
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), std::fs::read_to_string(&output).unwrap_or_default(), log)
    };

    let (code, outputs, log) = install("ok", "v1.2.3");
    assert_eq!(code, Some(0), "{log}");
    assert!(outputs.contains("installed=true\n") && outputs.contains("lock="), "{outputs}");
    let installed = outputs.lines().find_map(|l| l.strip_prefix("bin=")).unwrap();
    let v = Command::new(installed).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("trm-ci "), "{log}");

    let (code, outputs, log) = install("branch", "main");
    assert_eq!(code, Some(0), "{log}");
    assert!(outputs.contains("installed=false\n") && log.contains("no release for ref 'main'"), "{outputs}{log}");

    let (code, outputs, log) = install("missing", "v9.9.9");
    assert_eq!(code, Some(0), "{log}");
    assert!(outputs.contains("installed=false\n") && log.contains("cannot download"), "{outputs}{log}");

    // Pinned by full commit sha: the release of the version in that commit's Cargo.toml, when
    // its trm-ci-commit.txt names that very commit; any other commit builds from source.
    let version = env!("CARGO_PKG_VERSION");
    let released = "5d7e9c3a1f2b4068a9c0e1d2f3a4b5c6d7e8f901";
    let vdir = t.path().join(format!("srv/acme/trm-ci/releases/download/v{version}"));
    std::fs::create_dir_all(&vdir).unwrap();
    sh(&format!("cp {0}/{asset} {0}/{asset}.sha256 . && echo {released} > trm-ci-commit.txt", dir.display()), &vdir);
    let (code, outputs, log) = install("sha", released);
    assert_eq!(code, Some(0), "{log}");
    assert!(outputs.contains("installed=true\n") && log.contains(&format!("is release v{version}")), "{outputs}{log}");
    let (code, outputs, log) = install("other-sha", "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(code, Some(0), "{log}");
    assert!(outputs.contains("installed=false\n") && log.contains(&format!("is not the commit of release v{version}")), "{outputs}{log}");

    // A binary that does not match its published checksum is an error, not a fallback.
    sh(&format!("echo tampered >> {asset}"), &dir);
    let (code, outputs, log) = install("tampered", "v1.2.3");
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("does not match its published SHA-256") && !outputs.contains("installed="), "{outputs}{log}");
}

/// The adopted workflow on a team's repository, as a real runner starts it: the Docker engine has
/// neither the Directus image the Dockerfile names nor the Postgres image (their names are removed
/// first; on CI they come from the local registry, the engine's mirror, as Docker Hub serves a
/// runner). The Action's default stages run: lint; build, which pulls the base image; smoke, which
/// pulls Postgres and boots the image; the drill is skipped because the PR changes only the README
/// (the base builds the same image). The job passes and the comment says so. Heavy (engine,
/// Directus boots, a few minutes): deselected with `--skip act_`.
#[test]
fn act_runs_the_default_stages_on_an_engine_without_the_images() {
    #[path = "common/mod.rs"]
    #[allow(dead_code)]
    mod common;
    let gh = server::FakeGitHub::start("acme/shop", TOKEN);
    let t = tempfile::tempdir().unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=trm-ci test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // The team's repository: the deployment and the adopted workflow on main; the PR's checkout
    // (a clone, so origin/main is the base, as with fetch-depth: 0) changes the README only.
    let upstream = t.path().join("upstream");
    std::fs::create_dir_all(upstream.join(".github/workflows")).unwrap();
    common::copy_deployment(&upstream);
    std::fs::copy(root().join("compose.dev.yaml"), upstream.join("compose.dev.yaml")).unwrap();
    std::fs::copy(root().join(ADOPTED), upstream.join(".github/workflows/trm-ci.yml")).unwrap();
    std::fs::write(upstream.join("README.md"), "# shop\n").unwrap();
    git(&upstream, &["init", "-q"]);
    git(&upstream, &["add", "."]);
    git(&upstream, &["commit", "-q", "-m", "base"]);
    let checkout = t.path().join("shop");
    git(t.path(), &["clone", "-q", upstream.to_str().unwrap(), checkout.to_str().unwrap()]);
    git(&checkout, &["checkout", "-q", "-b", "feature/x"]);
    std::fs::write(checkout.join("README.md"), "# shop\n\nHow to run it.\n").unwrap();
    git(&checkout, &["commit", "-q", "-am", "docs"]);

    // The engine starts without the two images the run needs (the names only: the layers the
    // registry's copies share stay, as in a runner's warm cache).
    let pg = "postgres:16-alpine";
    let pin = std::fs::read_to_string(checkout.join("Dockerfile"))
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("FROM ").map(|r| r.split_whitespace().next().unwrap().to_string()))
        .unwrap();
    assert!(pin.starts_with("directus/directus:"), "{pin}");
    for image in [pin.as_str(), pg] {
        let _ = Command::new("docker").args(["image", "rm", image]).output();
        let inspect = Command::new("docker").args(["image", "inspect", image]).output().expect("docker");
        assert!(!inspect.status.success(), "{image} is still on the engine");
    }

    let (ok, log) =
        act_pull_request(t.path(), &checkout, &checkout.join(".github/workflows/trm-ci.yml"), &gh, None, "act-engine-without-images.log");
    assert!(ok, "the job passes:\n{log}");
    for image in [pin.as_str(), pg] {
        assert!(log.contains(&format!("[pull] {image}: ")) && log.contains(&format!("[pull] {image}: pulled from ")), "{image} not pulled:\n{log}");
        let inspect = Command::new("docker").args(["image", "inspect", image]).output().expect("docker");
        assert!(inspect.status.success(), "{image} is not on the engine after the run");
    }
    assert!(log.contains("[ci] upgrade: skipped (main (") && log.contains("builds the same image as this tree"), "{log}");
    // act gives the step a pseudo-terminal; a CI log still gets plain progress lines, no rewrites.
    assert!(!log.contains("\x1b[2K"), "live progress lines in a CI log:\n{log}");
    let st = gh.state();
    assert_eq!(st.comments.len(), 1);
    let body = &st.comments[0].body;
    assert!(body.starts_with("<!-- trm-ci:sticky-comment -->\n### ✅ trm-ci"), "{body}");
    for row in ["| lint | ✅ pass", "| build | ✅ pass", "| smoke | ✅ pass", "| upgrade | ⏭️ skipped (main "] {
        assert!(body.contains(row), "{row} not in:\n{body}");
    }
    assert_eq!(st.check_runs[0].conclusion.as_deref(), Some("success"));
    assert!(!log.contains(TOKEN), "the token was printed");
}
