//! `trm-ci post`'s GitHub side against a local server that speaks GitHub's
//! REST endpoints (tests/github/server.rs): the sticky comment, the check run,
//! pagination, forks, retries, escaping. No mock of octocrab: real HTTP.

#[path = "github/server.rs"]
mod server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use server::{FakeGitHub, Injection, Misbehave};
use trm_ci::finding::{Finding, Severity, Span};
use trm_ci::github::{self, comment, Env, Outcome, Retry};
use trm_ci::results::{Build, Lint, Results, Smoke, Stage, StageName};

const TOKEN: &str = "ghs_test_token_never_printed_0123456789";
const REPO: &str = "acme/shop";
const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

struct Setup {
    gh: FakeGitHub,
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
}

fn setup(fork: bool) -> Setup {
    let gh = FakeGitHub::start(REPO, TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let head_repo = if fork { "someone/shop" } else { REPO };
    let event = serde_json::json!({
        "action": "synchronize",
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": { "sha": HEAD, "ref": "feature/x", "repo": { "full_name": head_repo, "fork": fork } },
            "base": { "sha": "fedcba9876543210fedcba9876543210fedcba98", "ref": "main", "repo": { "full_name": REPO, "fork": false } },
        },
    });
    let event_path = dir.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let mut vars = HashMap::new();
    for (k, v) in [
        ("GITHUB_TOKEN", TOKEN.to_string()),
        ("GITHUB_REPOSITORY", REPO.to_string()),
        ("GITHUB_EVENT_PATH", event_path.display().to_string()),
        ("GITHUB_API_URL", gh.url.clone()),
        ("GITHUB_SERVER_URL", "https://github.com".to_string()),
        ("GITHUB_RUN_ID", "777".to_string()),
        ("GITHUB_SHA", "1111111111111111111111111111111111111111".to_string()),
        ("GITHUB_STEP_SUMMARY", dir.path().join("summary.md").display().to_string()),
    ] {
        vars.insert(k.to_string(), v);
    }
    Setup { gh, dir, vars }
}

impl Setup {
    fn env(&self) -> Env {
        Env::from_lookup(|k| self.vars.get(k).cloned()).unwrap()
    }
    /// Publishes and returns the outcome and the log lines.
    fn post(&self, doc: &Results) -> (Outcome, Vec<String>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        let log: github::Log = Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string()));
        let retry = Retry { max_retries: 3, base_delay: Duration::from_millis(20), max_wait: Duration::from_secs(5), ..Retry::default() };
        self.post_with(doc, retry, log, lines)
    }
    /// [`Setup::post`] with its own retry settings and log; bounded: a publish still
    /// running after two minutes fails the test instead of hanging it.
    fn post_with(&self, doc: &Results, retry: Retry, log: github::Log, lines: Arc<Mutex<Vec<String>>>) -> (Outcome, Vec<String>) {
        let (env, doc) = (self.env(), doc.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(github::publish(&env, &doc, Severity::Error, retry, log));
        });
        let out = rx.recv_timeout(Duration::from_secs(120)).expect("trm-ci post still running after 120 s");
        let lines = lines.lock().unwrap().clone();
        for text in lines.iter().chain(out.errors.iter()).chain(out.fallback.iter()).chain(std::iter::once(&out.workflow_commands)) {
            assert!(!text.contains(TOKEN), "the token was printed: {text}");
        }
        (out, lines)
    }
    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap_or_default()
    }
}

fn item(sev: Severity, file: &str, line: u32, rule: &str, message: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity: sev,
        file: file.into(),
        span: Some(Span { line, col: 1, end_line: line, end_col: 10, offset: 0, len: 0 }),
        message: message.into(),
        help: "fix it".into(),
    }
}

/// A lint-only run with an error and a warning.
fn failing_run() -> Results {
    Results {
        lint: Some(Lint {
            findings: vec![
                item(Severity::Error, "db-init/0004_drop.sql", 3, "migrations/destructive", "DROP TABLE `legacy` loses its rows"),
                item(Severity::Warning, "Dockerfile", 2, "dockerfile/expose", "EXPOSE has no effect here"),
            ],
            ..Lint::default()
        }),
        stages: vec![Stage { name: StageName::Lint, ok: false, seconds: 0.3 }],
        ..Results::default()
    }
}

/// Every stage ran and passed.
fn clean_run() -> Results {
    Results {
        lint: Some(Lint::default()),
        build: Some(Build { ok: true, tag: "trm-directus:dev".into(), ..Build::default() }),
        smoke: Some(Smoke { ok: true, ..Smoke::default() }),
        stages: vec![Stage { name: StageName::Lint, ok: true, seconds: 0.3 }],
        ..Results::default()
    }
}

/// The findings of a document's lint stage.
fn findings(doc: &mut Results) -> &mut Vec<Finding> {
    &mut doc.lint.as_mut().unwrap().findings
}

#[test]
fn first_run_creates_comment_and_check_run() {
    let s = setup(false);
    let (out, _) = s.post(&failing_run());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(matches!(out.comment, Some(comment::Action::Created(_))), "{out:?}");
    assert_eq!(out.fallback, None);
    assert_eq!(out.workflow_commands, "");
    let st = s.gh.state();
    assert_eq!(st.count("POST", "/repos/acme/shop/issues/12/comments"), 1);
    assert_eq!(st.comments.len(), 1);
    let c = &st.comments[0];
    assert!(c.body.starts_with(comment::MARKER), "{}", c.body);
    assert!(c.body.contains("migrations/destructive"));
    // The link to the line at the head sha.
    assert!(c.body.contains(&format!("https://github.com/acme/shop/blob/{HEAD}/db-init/0004_drop.sql#L3")), "{}", c.body);
    // Every request carried the token, as a bearer token.
    assert!(st.requests.iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
    assert_eq!(st.check_runs.len(), 1);
    let cr = &st.check_runs[0];
    assert_eq!((cr.name.as_str(), cr.head_sha.as_str(), cr.conclusion.as_deref()), ("trm-ci", HEAD, Some("failure")));
    assert_eq!(cr.annotations.len(), 2);
    assert_eq!(cr.annotations[0]["path"], "db-init/0004_drop.sql");
    assert_eq!(cr.annotations[0]["annotation_level"], "failure");
    assert_eq!(cr.annotations[0]["start_line"], 3);
    drop(st);
    assert!(s.summary().contains("migrations/destructive"), "{}", s.summary());
}

#[test]
fn second_run_updates_in_place_and_clean_run_rewrites_to_all_clear() {
    let s = setup(false);
    s.post(&failing_run());
    let (out, _) = s.post(&clean_run());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(matches!(out.comment, Some(comment::Action::Updated(_))), "{out:?}");
    let st = s.gh.state();
    assert_eq!(st.count("POST", "/repos/acme/shop/issues/12/comments"), 1, "no second comment");
    assert_eq!(st.count("PATCH", "/repos/acme/shop/issues/comments/"), 1);
    assert_eq!(st.comments.len(), 1);
    let body = &st.comments[0].body;
    assert!(body.contains("all clear"), "{body}");
    assert!(!body.contains("migrations/destructive"), "stale finding left: {body}");
    assert_eq!(st.check_runs[1].conclusion.as_deref(), Some("success"));
}

#[test]
fn unchanged_body_is_not_sent_again() {
    let s = setup(false);
    s.post(&failing_run());
    let (out, _) = s.post(&failing_run());
    assert!(matches!(out.comment, Some(comment::Action::Unchanged(_))), "{out:?}");
    let st = s.gh.state();
    assert_eq!(st.count("POST", "/repos/acme/shop/issues/12/comments"), 1);
    assert_eq!(st.count("PATCH", "/repos/acme/shop/issues/comments/"), 0);
}

#[test]
fn marker_found_on_page_two() {
    let s = setup(false);
    let mine = {
        let mut st = s.gh.state();
        for i in 0..120 {
            st.add_comment("reviewer", &format!("comment {i}"));
        }
        let id = st.add_comment("github-actions[bot]", &format!("{}\nold results", comment::MARKER));
        for i in 0..30 {
            st.add_comment("reviewer", &format!("later {i}"));
        }
        id
    };
    let (out, _) = s.post(&failing_run());
    assert_eq!(out.comment, Some(comment::Action::Updated(mine)), "{:?}", out.errors);
    let st = s.gh.state();
    assert_eq!(st.count("POST", "/repos/acme/shop/issues/12/comments"), 0, "a duplicate was posted");
    // Page 2 was read through the Link header's URL.
    assert!(st.requests.iter().any(|r| r.method == "GET" && r.target.contains("/repositories/") && r.target.contains("page=2")), "{:#?}", st.requests);
    let c = st.comments.iter().find(|c| c.id == mine).unwrap();
    assert!(c.body.contains("migrations/destructive"));
}

#[test]
fn another_bots_look_alike_comment_is_left_alone() {
    let s = setup(false);
    let theirs_body = format!("{}\nI am not trm-ci", comment::MARKER);
    let theirs = s.gh.state().add_comment("other-ci[bot]", &theirs_body);
    let (out, _) = s.post(&failing_run());
    assert!(matches!(out.comment, Some(comment::Action::Created(id)) if id != theirs), "{out:?}");
    let st = s.gh.state();
    assert_eq!(st.count("PATCH", &format!("/repos/acme/shop/issues/comments/{theirs}")), 0);
    assert_eq!(st.comments.iter().find(|c| c.id == theirs).unwrap().body, theirs_body);
    assert_eq!(st.comments.len(), 2);
}

#[test]
fn forbidden_falls_back_to_annotations_without_failing() {
    let s = setup(false);
    s.gh.state().read_only = true;
    let mut run = failing_run();
    for n in 0..30 {
        findings(&mut run).push(item(Severity::Error, "db-init/0005_more.sql", n + 1, "migrations/destructive", "DROP TABLE"));
    }
    let (out, _) = s.post(&run);
    assert!(out.errors.is_empty(), "a 403 must not fail the job: {:?}", out.errors);
    let why = out.fallback.clone().expect("fallback said once");
    assert!(why.contains("403"), "{why}");
    assert!(why.contains("POST /repos/acme/shop/issues/12/comments"), "{why}");
    assert_eq!(out.workflow_commands.lines().filter(|l| l.starts_with("::error ")).count(), 10);
    assert_eq!(out.workflow_commands.lines().filter(|l| l.starts_with("::warning ")).count(), 1);
    let summary = s.summary();
    assert!(summary.contains("Not shown as annotations (21)"), "{summary}");
    assert!(s.gh.state().comments.is_empty());
}

#[test]
fn fork_pull_request_does_not_try_to_write() {
    let s = setup(true);
    let (out, _) = s.post(&failing_run());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.fallback.as_deref().unwrap_or("").contains("fork"), "{out:?}");
    assert_eq!(out.workflow_commands.lines().count(), 2);
    assert!(s.gh.state().requests.is_empty(), "{:#?}", s.gh.state().requests);
    assert!(s.summary().contains("migrations/destructive"));
}

#[test]
fn one_502_then_success_is_retried() {
    let s = setup(false);
    s.gh.state().inject.push(Injection {
        method: "GET".into(),
        path_prefix: "/repos/acme/shop/issues/12/comments".into(),
        status: 502,
        headers: vec![],
        body: "<html>Bad Gateway</html>".into(),
        times: 1,
    });
    let (out, log) = s.post(&failing_run());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(matches!(out.comment, Some(comment::Action::Created(_))));
    let st = s.gh.state();
    let statuses: Vec<u16> = st.requests.iter().filter(|r| r.method == "GET").map(|r| r.status).collect();
    assert_eq!(statuses, vec![502, 200]);
    assert!(log.iter().any(|l| l.contains("HTTP 502") && l.contains("retry 1/3")), "{log:?}");
}

#[test]
fn secondary_rate_limit_is_waited_out() {
    let s = setup(false);
    s.gh.state().inject.push(Injection {
        method: "POST".into(),
        path_prefix: "/repos/acme/shop/issues/12/comments".into(),
        status: 403,
        headers: vec![("retry-after".into(), "1".into())],
        body: r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}"#.into(),
        times: 1,
    });
    let (out, log) = s.post(&failing_run());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.fallback, None, "a rate limit is not a fork");
    assert!(matches!(out.comment, Some(comment::Action::Created(_))));
    assert_eq!(s.gh.state().count("POST", "/repos/acme/shop/issues/12/comments"), 2);
    assert!(log.iter().any(|l| l.contains("rate limited") && l.contains("in 1.0 s")), "{log:?}");
}

#[test]
fn permanent_error_names_endpoint_and_status() {
    let s = setup(false);
    s.gh.state().inject.push(Injection {
        method: "POST".into(),
        path_prefix: "/repos/acme/shop/check-runs".into(),
        status: 422,
        headers: vec![],
        body: r#"{"message":"Validation Failed","status":"422"}"#.into(),
        times: 1,
    });
    let (out, _) = s.post(&failing_run());
    assert_eq!(out.errors, vec!["POST /repos/acme/shop/check-runs: HTTP 422: Validation Failed".to_string()]);
    // The comment still went out; the annotations fell back to workflow commands.
    assert!(matches!(out.comment, Some(comment::Action::Created(_))));
    assert_eq!(out.workflow_commands.lines().count(), 2);
    assert_eq!(s.gh.state().count("POST", "/repos/acme/shop/check-runs"), 1, "a 422 is not retried");
}

#[test]
fn annotations_go_fifty_per_request() {
    let s = setup(false);
    let mut run = failing_run();
    findings(&mut run).clear();
    for n in 0..120 {
        let sev = if n % 3 == 0 { Severity::Warning } else { Severity::Error };
        findings(&mut run).push(item(sev, &format!("db-init/{:04}_x.sql", n / 10 + 1), n % 10 + 1, "migrations/destructive", "DROP"));
    }
    let (out, _) = s.post(&run);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let sent = out.check_run.clone().unwrap();
    assert_eq!((sent.requests, sent.annotations), (3, 120));
    let st = s.gh.state();
    assert_eq!(st.count("POST", "/repos/acme/shop/check-runs"), 1);
    assert_eq!(st.count("PATCH", "/repos/acme/shop/check-runs/"), 2);
    // Every request's body carries at most 50 annotations.
    for r in st.requests.iter().filter(|r| r.target.contains("/check-runs")) {
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(v["output"]["annotations"].as_array().unwrap().len() <= 50);
    }
    assert_eq!(st.check_runs[0].annotations.len(), 120);
    // Errors first.
    assert_eq!(st.check_runs[0].annotations[0]["annotation_level"], "failure");
    assert_eq!(st.check_runs[0].annotations[119]["annotation_level"], "warning");
}

#[test]
fn file_names_and_messages_are_escaped() {
    let s = setup(false);
    let mut run = failing_run();
    let evil = "db-init/<img src=x onerror=alert(1)>[click](https://evil.example)@octocat|x.sql";
    findings(&mut run).push(item(Severity::Error, evil, 1, "migrations/bad-filename", "name <script>alert(1)</script> **bold** @octocat\n# not a heading"));
    let (out, _) = s.post(&run);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let st = s.gh.state();
    let body = &st.comments[0].body;
    // Outside code spans (where GitHub renders text literally, with no HTML
    // and no mention) nothing opens a tag, a link, a mention or a heading.
    let prose = outside_code(body.strip_prefix(comment::MARKER).unwrap());
    for bad in ["<img", "<script", "](https://evil", "@octocat", "\n# not", "**bold**"] {
        assert!(!prose.contains(bad), "{bad:?} in {prose}");
    }
    // The only tags are trm-ci's own footer.
    assert!(!prose.replace("<sub>", "").replace("</sub>", "").contains('<'), "{prose}");
    // The file is still named whole, in a code span, and its link is percent-encoded.
    assert!(body.contains(&format!("`{evil}`")), "{body}");
    assert!(body.contains("db-init/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"), "{body}");
    // The comment keeps exactly one marker: at the top.
    assert_eq!(body.matches(comment::MARKER).count(), 1);
    assert!(body.starts_with(comment::MARKER));
}

/// The text with every backslash escape and every code span (a run of N backticks up to the next run of
/// exactly N) removed, as CommonMark reads them.
fn outside_code(s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '\\' && i + 1 < b.len() {
            out.push_str("ESC");
            i += 2;
            continue;
        }
        if b[i] == '`' {
            let n = b[i..].iter().take_while(|c| **c == '`').count();
            let mut j = i + n;
            let mut close = None;
            while j < b.len() {
                if b[j] == '`' {
                    let m = b[j..].iter().take_while(|c| **c == '`').count();
                    if m == n {
                        close = Some(j + m);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(end) => {
                    out.push_str("CODE");
                    i = end;
                }
                None => {
                    out.extend(std::iter::repeat_n('`', n));
                    i += n;
                }
            }
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Hostile GitHub answers are bounded: a server trickling a byte every 5 s (which no
/// read timeout notices) is given up at the overall deadline, and an endless body at
/// the size cap; both end in an error naming the endpoint, and the findings still go
/// out as workflow commands.
#[test]
fn a_trickling_server_is_given_up_at_the_deadline() {
    let s = setup(false);
    s.gh.state().misbehave = Some(Misbehave::Trickle(Duration::from_secs(5)));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    let log: github::Log = Arc::new(move |m: &str| l.lock().unwrap().push(m.to_string()));
    let retry = Retry {
        max_retries: 3,
        base_delay: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
        request_timeout: Duration::from_secs(60),
        deadline: Duration::from_secs(3),
    };
    let (out, _) = s.post_with(&failing_run(), retry, log, lines);
    assert!(out.comment.is_none() && out.check_run.is_none(), "{out:?}");
    assert!(out.errors.iter().any(|e| e.contains("GET /repos/acme/shop/issues/12/comments") && e.contains("3 s in all")), "{:?}", out.errors);
    assert!(out.workflow_commands.contains("::error"), "{}", out.workflow_commands);
}

#[test]
fn an_endless_answer_is_cut_at_the_size_cap() {
    let s = setup(false);
    s.gh.state().misbehave = Some(Misbehave::Endless);
    let (out, _) = s.post(&failing_run());
    assert!(out.comment.is_none() && out.check_run.is_none(), "{out:?}");
    let cap = format!("an answer over {} MiB", github::client::MAX_BODY_BYTES >> 20);
    assert!(out.errors.iter().any(|e| e.contains("GET /repos/acme/shop/issues/12/comments") && e.contains(&cap)), "{:?}", out.errors);
    // Not retried: one request for the comment list, one for the check run.
    assert_eq!(s.gh.state().requests.len(), 2, "{:?}", s.gh.state().requests.iter().map(|r| &r.target).collect::<Vec<_>>());
}

/// `trm-ci post` (the binary) with `GITHUB_TOKEN`, killed if it runs past a minute.
fn post_binary(s: &Setup, token: &str) -> (Option<i32>, String) {
    let results = s.dir.path().join("results.json");
    std::fs::write(
        &results,
        r#"{"version":1,"tool":{"name":"trm-ci","version":"0.1.0"},"base":null,"summary":{"errors":0,"warnings":0,"files_checked":1},"findings":[],"notes":[]}"#,
    )
    .unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_trm-ci"));
    cmd.args(["post", "--results", results.to_str().unwrap()]).env_remove("GITHUB_ACTIONS");
    for (k, v) in &s.vars {
        cmd.env(k, v);
    }
    let mut child = cmd
        .env("GITHUB_TOKEN", token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("trm-ci post still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "trm-ci post panicked:\n{text}");
    (out.status.code(), text)
}

/// A token pasted with its line break is trimmed and works; one with a line break
/// inside is exit 2 with a message (octocrab panicked on both: exit 101), and is
/// never shown.
#[test]
fn a_token_with_a_line_break_is_trimmed_or_refused_never_a_panic() {
    let s = setup(false);
    let (code, text) = post_binary(&s, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("comment") && text.contains("created"), "{text}");
    assert_eq!(s.gh.state().comments.len(), 1);

    let s = setup(false);
    let (code, text) = post_binary(&s, &format!("{}\n{}", &TOKEN[..10], &TOKEN[10..]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("GITHUB_TOKEN is not a token: it holds a control character at byte 11"), "{text}");
    assert!(!text.contains(&TOKEN[..10]) && !text.contains(&TOKEN[10..]), "the token was printed:\n{text}");
    assert!(s.gh.state().requests.is_empty());
}
