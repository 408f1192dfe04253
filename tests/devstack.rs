//! The dev stack and the admin UI, for real: the card's own command, `pnpm dev:reset`, brings
//! `compose.dev.yaml` up fresh (volumes removed, image rebuilt from the local Dockerfile, boot
//! on an empty database), Directus answers `GET /server/ping` on port 8055, and Debian's
//! headless `chromium` renders `http://127.0.0.1:8055/admin/login` with the sign-in form (email
//! and password inputs). A screenshot and the rendered DOM are kept under `$TRM_ARTIFACTS_DIR`
//! (default `target/artifacts`). The uploads volume is checked too: the Directus container
//! has a volume mounted on `/directus/uploads` and none on `/directus/extensions`.
//!
//! Needs a Docker engine, the stand-in base image, the local Postgres image named by
//! `TRM_POSTGRES_IMAGE`, `docker compose` or `docker-compose`, `chromium`, and pnpm
//! (`TRM_PNPM`, else `pnpm` on PATH; `.ci/lib/install-pnpm.sh` installs it from npm):
//! `bash .ci/test` provides all of them. These tests fail (they do not skip) when something is missing;
//! deselect them with `cargo test -- --skip devstack_`.
//!
//! The stack runs in a fresh copy of the repository files (its own `.env` from `.env.example`,
//! like a new clone) under a unique compose project name, and is brought down with `down -v`
//! whatever happens. It publishes port 8055 (`TRM_DEVSTACK_PORT` overrides it), so runs are
//! serialized across processes with a lock file, and the test fails early, naming the port,
//! when something else holds it.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The dev stack's published port (`DIRECTUS_PORT` in compose.dev.yaml); TRM_DEVSTACK_PORT
/// overrides it when 8055 is taken on a shared machine.
fn stack_port() -> u16 {
    match std::env::var("TRM_DEVSTACK_PORT") {
        Ok(p) => p.parse().unwrap_or_else(|_| panic!("TRM_DEVSTACK_PORT={p} is not a port number")),
        Err(_) => 8055,
    }
}
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
fn port_lock(port: u16) -> File {
    let path = std::env::temp_dir().join(format!("trm-ci-port-{port}.lock"));
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    f.lock().unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    f
}

fn assert_port_free(port: u16) {
    if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
        panic!(
            "port {port} is busy ({e}): the dev stack publishes it. Stop what holds it \
             (`docker ps --filter publish={port}`) or set TRM_DEVSTACK_PORT, and run again"
        );
    }
}

/// pnpm, to run `pnpm dev:reset` as the card says: `TRM_PNPM` (what .ci/test installs from
/// npm), else `pnpm` on PATH.
fn pnpm() -> String {
    if let Ok(p) = std::env::var("TRM_PNPM") {
        assert!(std::path::Path::new(&p).is_file(), "TRM_PNPM={p} does not exist (bash .ci/test installs pnpm there)");
        return p;
    }
    assert!(
        on_path("pnpm"),
        "pnpm is not installed: set TRM_PNPM or put pnpm on PATH (bash .ci/lib/install-pnpm.sh VERSION NODE installs it from npm; bash .ci/test does)"
    );
    "pnpm".into()
}

/// Parts of the repository the dev stack uses when they exist (the Dockerfile copies db-post/
/// only when the repository has it).
const OPTIONAL_STACK_FILES: &[&str] = &["db-post"];

/// The files of the repository that the dev stack is made of.
const STACK_FILES: &[&str] = &[
    "compose.dev.yaml",
    "package.json",
    ".env.example",
    "Dockerfile",
    ".dockerignore",
    "entrypoint.sh",
    "scripts",
    "db-init",
    "snapshots",
    "extensions",
];

/// The `dev:reset` script of package.json (what `pnpm dev:reset` runs; for messages).
fn dev_reset_script(package_json: &std::path::Path) -> String {
    let raw = std::fs::read_to_string(package_json)
        .unwrap_or_else(|e| panic!("reading {}: {e}", package_json.display()));
    let v: serde_json::Value =
        serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{} is not JSON: {e}", package_json.display()));
    v["scripts"]["dev:reset"]
        .as_str()
        .unwrap_or_else(|| panic!("{} has no scripts.dev:reset", package_json.display()))
        .to_owned()
}

/// A dev stack in a fresh copy of the repository (like a new clone: no `.env` yet), under a
/// unique compose project name; `down -v` on drop, pass or fail.
struct Stack {
    compose: Vec<String>,
    project: String,
    port: u16,
    pg_image: String,
    // Last: dropped after `Drop::drop` has brought the stack down.
    dir: tempfile::TempDir,
}

impl Stack {
    fn new(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for entry in STACK_FILES {
            let src = repo_root().join(entry);
            assert!(src.exists(), "{} is missing", src.display());
            let st = Command::new("cp").arg("-a").arg(&src).arg(dir.path()).status().expect("cp");
            assert!(st.success(), "copying {}", src.display());
        }
        for entry in OPTIONAL_STACK_FILES {
            let src = repo_root().join(entry);
            if src.exists() {
                let st = Command::new("cp").arg("-a").arg(&src).arg(dir.path()).status().expect("cp");
                assert!(st.success(), "copying {}", src.display());
            }
        }
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        Stack {
            compose: compose_command(),
            project: format!("trmdevstack{}x{nanos:x}", std::process::id()),
            port,
            pg_image: postgres_image(),
            dir,
        }
    }

    /// The environment a developer's shell would give compose, plus the project name and the
    /// offline Postgres image.
    fn env(&self, c: &mut Command) {
        c.current_dir(self.dir.path())
            .env("COMPOSE_PROJECT_NAME", &self.project)
            .env("TRM_POSTGRES_IMAGE", &self.pg_image)
            .env("DIRECTUS_PORT", self.port.to_string());
    }

    fn compose(&self, args: &[&str]) -> Output {
        let mut c = Command::new(&self.compose[0]);
        c.args(&self.compose[1..]).args(["-f", "compose.dev.yaml"]).args(args);
        self.env(&mut c);
        run(&mut c)
    }

    /// `pnpm dev:reset`, literally, in the repository copy: pnpm reads package.json and runs
    /// its script (it copies .env.example to .env, removes the volumes, rebuilds the image
    /// from the local Dockerfile and starts the stack). A package.json pnpm cannot read, or
    /// without the script, fails here.
    fn dev_reset(&self, pnpm: &str) {
        let script = dev_reset_script(&self.dir.path().join("package.json"));
        let t0 = Instant::now();
        // Bounded like the browser: a hung build fails the test instead of hanging it.
        let mut c = Command::new("timeout");
        c.arg(UP_TIMEOUT.as_secs().to_string()).arg(pnpm).arg("dev:reset");
        c.env("npm_config_update_notifier", "false");
        self.env(&mut c);
        let out = run(&mut c);
        assert!(out.status.success(), "`pnpm dev:reset` ({script}) failed or ran over {UP_TIMEOUT:?}; see above");
        eprintln!("pnpm dev:reset took {:.1}s", t0.elapsed().as_secs_f64());
    }

    /// The mount destinations of the `directus` service's container.
    fn directus_mounts(&self) -> Vec<String> {
        let out = self.compose(&["ps", "-q", "directus"]);
        let id = text(&out.stdout).trim().to_owned();
        assert!(!id.is_empty(), "no container for the directus service");
        let out = run(Command::new("docker").args(["inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Destination}}\n{{end}}", &id]));
        assert!(out.status.success(), "docker inspect {id} failed");
        text(&out.stdout).lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
    }

    /// Containers of this project that crashed: exited non-zero, or restarting after an exit.
    fn crashed(&self) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "--filter"])
            .arg(format!("label=com.docker.compose.project={}", self.project))
            .args(["--format", "{{.Names}}: {{.Status}}"])
            .output()
            .expect("docker ps");
        text(&out.stdout)
            .lines()
            .filter(|l| (l.contains(": Exited") && !l.contains("Exited (0)")) || l.contains(": Restarting"))
            .map(str::to_owned)
            .collect()
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
        let out = self.compose(&["down", "-v", "--remove-orphans"]);
        if !out.status.success() {
            eprintln!(
                "WARNING: `down -v` of compose project {} failed; remove it by hand: \
                 docker ps -a --filter label=com.docker.compose.project={}",
                self.project, self.project
            );
        }
    }
}

/// The body of `GET path` on 127.0.0.1:port, or None when nothing answers yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let resp = text(&buf);
    let (head, body) = resp.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

fn wait_for_pong(stack: &Stack) -> Duration {
    let t0 = Instant::now();
    loop {
        if http_get(stack.port, "/server/ping").is_some_and(|b| b.trim() == "pong") {
            return t0.elapsed();
        }
        let crashed = stack.crashed();
        assert!(crashed.is_empty(), "a dev-stack container crashed during the boot: {crashed:?}");
        assert!(
            t0.elapsed() < PING_TIMEOUT,
            "Directus did not answer pong on http://127.0.0.1:{}/server/ping within {PING_TIMEOUT:?}",
            stack.port
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

/// Removes what earlier runs left behind when they were killed before their `down -v` (their
/// project name carries their pid, and that process is gone): containers, volumes, networks.
fn remove_stale_stacks() {
    let out = Command::new("docker")
        .args(["ps", "-a", "--filter", "label=com.docker.compose.project", "--format"])
        .arg("{{.Label \"com.docker.compose.project\"}}")
        .output()
        .expect("docker ps");
    let mut projects: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|p| stale_project(p))
        .map(str::to_owned)
        .collect();
    projects.sort();
    projects.dedup();
    for project in projects {
        eprintln!("removing stale dev stack {project} (its test process is gone)");
        let label = format!("label=com.docker.compose.project={project}");
        let ids = Command::new("docker").args(["ps", "-aq", "--filter", &label]).output().expect("docker ps");
        let ids: Vec<String> = text(&ids.stdout).split_whitespace().map(str::to_owned).collect();
        if !ids.is_empty() {
            run(Command::new("docker").args(["rm", "-f", "-v"]).args(&ids));
        }
        let vols = Command::new("docker").args(["volume", "ls", "-q", "--filter", &label]).output().expect("docker volume ls");
        for v in text(&vols.stdout).split_whitespace() {
            run(Command::new("docker").args(["volume", "rm", v]));
        }
        let nets = Command::new("docker").args(["network", "ls", "-q", "--filter", &label]).output().expect("docker network ls");
        for n in text(&nets.stdout).split_whitespace() {
            run(Command::new("docker").args(["network", "rm", n]));
        }
    }
}

/// `trmdevstack<pid>x<nanos>` whose pid no longer runs.
fn stale_project(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("trmdevstack") else { return false };
    let Some((pid, _)) = rest.split_once('x') else { return false };
    match pid.parse::<u32>() {
        Ok(pid) => pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => false,
    }
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
fn devstack_stale_project_names() {
    assert!(!stale_project("main"));
    assert!(!stale_project(&format!("trmdevstack{}x1f", std::process::id())));
    assert!(stale_project("trmdevstack4294967295x1f"));
    assert!(!stale_project("trmdevstackfoo"));
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
    assert!(on_path("chromium"), "chromium is not installed (apt-get install -y chromium; bash .ci/test does)");
    let port = stack_port();
    let _lock = port_lock(port);
    remove_stale_stacks();
    assert_port_free(port);
    let pnpm = pnpm();
    let stack = Stack::new(port);
    eprintln!("compose project: {} ({}), port {port}, {pnpm}", stack.project, stack.compose.join(" "));
    stack.dev_reset(&pnpm);
    let took = wait_for_pong(&stack);
    eprintln!("dev stack: /server/ping answered pong {:.1}s after pnpm dev:reset returned", took.as_secs_f64());

    // Uploads survive a recreate; the extensions baked into the image are not hidden.
    let mounts = stack.directus_mounts();
    assert!(mounts.iter().any(|m| m == "volume /directus/uploads"), "no volume on /directus/uploads in the directus container: {mounts:?}");
    assert!(!mounts.iter().any(|m| m.ends_with(" /directus/extensions") || m.ends_with(" /directus")), "a mount hides the image's extensions: {mounts:?}");

    let url = format!("http://127.0.0.1:{port}/admin/login");
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
    eprintln!("admin UI screenshot: {} ({size} bytes)", shot.display());
}
