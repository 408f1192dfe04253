//! The dev stack and the admin UI, for real: `compose.dev.yaml` is brought up fresh the way
//! `pnpm dev:reset` does it (volumes removed, image rebuilt from the local Dockerfile, boot on
//! an empty database), Directus answers `GET /server/ping` on port 8055, and Debian's headless
//! `chromium` renders `http://127.0.0.1:8055/admin/login` with the sign-in form (email and
//! password inputs). A screenshot and the rendered DOM are kept under `$TRM_ARTIFACTS_DIR`
//! (default `target/artifacts`).
//!
//! Needs a Docker engine, the stand-in base image, the local Postgres image named by
//! `TRM_POSTGRES_IMAGE`, `docker compose` or `docker-compose`, and `chromium`: `bash .ci/test`
//! provides all of them. These tests fail (they do not skip) when something is missing;
//! deselect them with `cargo test -- --skip devstack_`.
//!
//! The stack publishes the fixed port 8055, so runs are serialized across processes with a lock
//! file, and the test fails early, naming the port, when something else holds it.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PORT: u16 = 8055;
/// Image build (cached layers) plus container creation.
const UP_TIMEOUT: Duration = Duration::from_secs(600);
/// Fresh boot: db-init, bootstrap, schema apply, start.
const PING_TIMEOUT: Duration = Duration::from_secs(240);
const BROWSER_TIMEOUT_S: u32 = 120;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn artifacts_dir() -> PathBuf {
    let dir = match std::env::var_os("TRM_ARTIFACTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) => PathBuf::from(t).join("artifacts"),
            None => repo_root().join("target/artifacts"),
        },
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command to completion, echoing it and its output to the test log.
fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    eprintln!("$ {shown} -> {}", out.status);
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    if !so.trim().is_empty() {
        eprintln!("--- stdout\n{}", tail(&so, 60));
    }
    if !se.trim().is_empty() {
        eprintln!("--- stderr\n{}", tail(&se, 60));
    }
    out
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn on_path(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `docker compose` (v2, users' machines) when the plugin answers, else Debian's `docker-compose` (v1).
fn compose_command() -> Vec<String> {
    let v2 = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if v2 {
        return vec!["docker".into(), "compose".into()];
    }
    assert!(
        on_path("docker-compose"),
        "neither `docker compose` nor `docker-compose` is available: install Debian's docker-compose \
         (bash .ci/test does) or the compose plugin"
    );
    vec!["docker-compose".into()]
}

fn postgres_image() -> String {
    std::env::var("TRM_POSTGRES_IMAGE").unwrap_or_else(|_| {
        panic!("TRM_POSTGRES_IMAGE is not set: it must name the local Postgres image (bash .ci/test builds and exports it)")
    })
}

/// Serializes users of port 8055 on this machine (other test processes, other checkouts).
fn port_lock() -> File {
    let path = std::env::temp_dir().join(format!("trm-ci-port-{PORT}.lock"));
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    f.lock().unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    f
}

fn assert_port_free() {
    if let Err(e) = TcpListener::bind(("127.0.0.1", PORT)) {
        panic!(
            "port {PORT} is busy ({e}): the dev stack publishes it. Stop what holds it \
             (`docker ps --filter publish={PORT}`) and run again"
        );
    }
}

/// A dev stack under a unique compose project name; `down -v` on drop, pass or fail.
struct Stack {
    compose: Vec<String>,
    project: String,
    file: PathBuf,
    pg_image: String,
}

impl Stack {
    fn new(file: PathBuf) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        Stack {
            compose: compose_command(),
            project: format!("trm-devstack-{}-{nanos:x}", std::process::id()),
            file,
            pg_image: postgres_image(),
        }
    }

    /// `docker compose` / `docker-compose` with this stack's file, project and environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.compose[0]);
        c.args(&self.compose[1..])
            .arg("--project-directory")
            .arg(repo_root())
            .arg("-f")
            .arg(&self.file)
            .arg("-p")
            .arg(&self.project)
            .args(args)
            .current_dir(repo_root())
            .env("COMPOSE_PROJECT_NAME", &self.project)
            .env("TRM_POSTGRES_IMAGE", &self.pg_image)
            // compose v1 builds through the Engine API with the classic builder.
            .env("DOCKER_BUILDKIT", "0")
            .env("COMPOSE_DOCKER_CLI_BUILD", "0");
        c
    }

    fn compose(&self, args: &[&str]) -> Output {
        run(&mut self.cmd(args))
    }

    /// What `pnpm dev:reset` does: remove the stack and its volumes, rebuild the image from the
    /// local Dockerfile, start fresh.
    fn reset(&self) {
        let out = self.compose(&["down", "-v", "--remove-orphans"]);
        assert!(out.status.success(), "compose down -v failed; see above");
        let out = self.compose(&["build"]);
        assert!(out.status.success(), "compose build failed (the image from the local Dockerfile); see above");
        let t0 = Instant::now();
        let out = self.compose(&["up", "-d"]);
        assert!(out.status.success(), "compose up -d failed; see above");
        assert!(t0.elapsed() < UP_TIMEOUT, "compose up took {:?}", t0.elapsed());
    }

    /// Containers of this project that have exited non-zero (a crashed boot), as "name: status".
    fn exited(&self) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "--filter"])
            .arg(format!("label=com.docker.compose.project={}", self.project))
            .args(["--filter", "status=exited", "--format", "{{.Names}}: {{.Status}}"])
            .output()
            .expect("docker ps");
        text(&out.stdout).lines().filter(|l| !l.contains("Exited (0)")).map(str::to_owned).collect()
    }

    fn print_logs(&self) {
        self.compose(&["ps"]);
        self.compose(&["logs", "--no-color", "--tail", "80"]);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_logs();
        }
        // --rmi local: the image compose built under this one-off project name.
        let out = self.compose(&["down", "-v", "--remove-orphans", "--rmi", "local"]);
        if !out.status.success() {
            eprintln!("WARNING: `down -v` of compose project {} failed; remove it by hand", self.project);
        }
    }
}

/// The body of `GET path` on 127.0.0.1:PORT, or None when nothing answers yet.
fn http_get(path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], PORT).into(), Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{PORT}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let resp = text(&buf);
    let (head, body) = resp.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

fn wait_for_pong(stack: &Stack) -> Duration {
    let t0 = Instant::now();
    loop {
        if http_get("/server/ping").is_some_and(|b| b.trim() == "pong") {
            return t0.elapsed();
        }
        let exited = stack.exited();
        assert!(exited.is_empty(), "a dev-stack container exited during the boot: {exited:?}");
        assert!(
            t0.elapsed() < PING_TIMEOUT,
            "Directus did not answer pong on http://127.0.0.1:{PORT}/server/ping within {PING_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Debian's chromium, headless, on a new empty profile; `extra` picks the output
/// (`--dump-dom` or `--screenshot=FILE`). Returns stdout.
fn chromium(url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("tempdir");
    let mut c = Command::new("timeout");
    c.arg(BROWSER_TIMEOUT_S.to_string())
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=15000",
            "--window-size=1200,800",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    let out = c.output().unwrap_or_else(|e| panic!("cannot run chromium: {e}"));
    assert!(
        out.status.success(),
        "chromium {extra:?} {url} exited {} (124 = timed out after {BROWSER_TIMEOUT_S}s); stderr:\n{}",
        out.status,
        tail(&text(&out.stderr), 30)
    );
    text(&out.stdout)
}

/// The `<input ...>` tags of a rendered page.
fn input_tags(dom: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..];
        let end = tag.find('>').map_or(tag.len(), |e| e + 1);
        tags.push(&tag[..end]);
        rest = &tag[end..];
    }
    tags
}

fn has_input(tags: &[&str], ty: &str) -> bool {
    let needle = format!("type=\"{ty}\"");
    tags.iter().any(|t| t.contains(&needle))
}

#[test]
fn devstack_input_tags_finds_the_login_form() {
    // The parser the browser test relies on, on a fragment of Directus 11.17.4's sign-in page.
    let dom = r#"<form><input data-v-1="" placeholder="Email" autocomplete="username" type="email" value="">
        <input data-v-1="" placeholder="Password" type="password" value=""><button>Sign In</button></form>"#;
    let tags = input_tags(dom);
    assert_eq!(tags.len(), 2);
    assert!(has_input(&tags, "email") && has_input(&tags, "password"));
    assert!(!has_input(&input_tags("<div>no form</div>"), "email"));
}

#[test]
fn devstack_reset_boots_fresh_and_the_admin_ui_shows_the_login_form() {
    let root = repo_root();
    let file = root.join("compose.dev.yaml");
    assert!(file.is_file(), "{} is missing", file.display());
    assert!(on_path("chromium"), "chromium is not installed (apt-get install -y chromium; bash .ci/test does)");

    let _lock = port_lock();
    assert_port_free();
    let stack = Stack::new(file);
    eprintln!("compose project: {} ({})", stack.project, stack.compose.join(" "));
    stack.reset();
    let took = wait_for_pong(&stack);
    eprintln!("dev stack: /server/ping answered pong {:.1}s after `up`", took.as_secs_f64());

    let url = format!("http://127.0.0.1:{PORT}/admin/login");
    let dom = chromium(&url, &["--dump-dom"]);
    let dir = artifacts_dir();
    let dom_file = dir.join("devstack-admin-login.html");
    std::fs::write(&dom_file, &dom).unwrap_or_else(|e| panic!("writing {}: {e}", dom_file.display()));
    let tags = input_tags(&dom);
    assert!(
        has_input(&tags, "email") && has_input(&tags, "password"),
        "the admin UI at {url} has no sign-in form (email and password inputs); inputs found: {tags:?}; \
         rendered DOM saved at {}",
        dom_file.display()
    );

    let shot = dir.join("devstack-admin-login.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&url, &[&format!("--screenshot={}", shot.display())]);
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 0, "chromium wrote no screenshot at {}", shot.display());
    println!("admin UI screenshot: {} ({size} bytes)", shot.display());
    eprintln!("admin UI screenshot: {}", shot.display());
}
