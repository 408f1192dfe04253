//! Pulling images as Docker does, against real registries and the real engine: a private
//! registry with htpasswd auth (Debian's docker-registry, started here), a registry that does
//! not answer, `--pull never`, and the engine's registry mirror (CI's local registry,
//! TRM_CI_REGISTRY, set by .ci/test) answering for Docker Hub's names.
//!
//! They fail (never skip) when the engine, `docker-registry`, `htpasswd` or the mirror is
//! missing. Heavy (Docker): named `smoke_pull_…`, deselected with `--skip smoke_`.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

const USER: &str = "trm-puller";
/// Never printed by trm-ci: every test checks that it is absent from all output.
const PASSWORD: &str = "pw-7c1e5b0a9d";

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_trm-ci")
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// trm-ci with `args` and extra environment; echoes what it printed.
fn trm(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("running trm-ci");
    eprintln!("$ trm-ci {}\n--- stdout\n{}--- stderr\n{}", args.join(" "), text(&out.stdout), text(&out.stderr));
    out
}

fn docker(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new("docker");
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("running docker")
}

fn has_image(name: &str) -> bool {
    docker(&["image", "inspect", name], &[]).status.success()
}

fn rmi(name: &str) {
    let _ = docker(&["rmi", "-f", name], &[]);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn base64(s: &str) -> String {
    let out = Command::new("base64").arg("-w0").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
        c.stdin.take().unwrap().write_all(s.as_bytes())?;
        c.wait_with_output()
    });
    text(&out.expect("base64 (coreutils)").stdout).trim().to_string()
}

/// A directory holding a Docker config.json with `json`.
fn docker_config(json: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.json"), json).unwrap();
    d
}

/// Debian's docker-registry on a loopback port with htpasswd auth (bcrypt, `htpasswd -B`),
/// its storage in a temporary directory; stopped (the process this test started) on drop.
struct PrivateRegistry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl PrivateRegistry {
    fn start() -> PrivateRegistry {
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = dir.path().join("htpasswd");
        let st = Command::new("htpasswd")
            .args(["-B", "-b", "-c"])
            .arg(&htpasswd)
            .args([USER, PASSWORD])
            .output()
            .expect("htpasswd is missing: install Debian's apache2-utils (bash .ci/test does)");
        assert!(st.status.success(), "htpasswd: {}", text(&st.stderr));
        let addr = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\nauth:\n  htpasswd:\n    realm: trm-test\n    path: {}\n",
                dir.path().join("data").display(),
                htpasswd.display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry is missing: install Debian's docker-registry (bash .ci/test does)");
        let r = PrivateRegistry { child, addr, _dir: dir };
        let started = Instant::now();
        loop {
            let code = Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("http://{}/v2/", r.addr)]).output();
            if code.as_ref().is_ok_and(|o| text(&o.stdout) == "401") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the private registry did not answer 401 on /v2/ within 30 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        r
    }

    fn auth_config(&self) -> tempfile::TempDir {
        docker_config(&format!(r#"{{"auths": {{"{}": {{"auth": "{}"}}}}}}"#, self.addr, base64(&format!("{USER}:{PASSWORD}"))))
    }
}

impl Drop for PrivateRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny image (one file, no base) imported as `name`.
fn import_tiny(name: &str) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("hello.txt"), format!("tiny base image {name}\n")).unwrap();
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("tar -C '{}' -c . | docker import - '{name}'", d.path().display()))
        .output()
        .unwrap();
    assert!(st.status.success(), "docker import: {}", text(&st.stderr));
}

/// A build context whose Dockerfile starts from `base`.
fn repo_from(base: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), format!("FROM {base}\nCOPY a.txt /a.txt\n")).unwrap();
    std::fs::write(d.path().join("a.txt"), "a\n").unwrap();
    d
}

fn build(repo: &Path, tag: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let r = repo.to_string_lossy().into_owned();
    let mut args = vec!["build", "--repo", &r, "--tag", tag, "--max-size", "4GB"];
    args.extend_from_slice(extra);
    trm(&args, env)
}

fn all_output(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

#[test]
fn smoke_pull_private_registry_with_and_without_credentials() {
    let _g = lock();
    let reg = PrivateRegistry::start();
    let base = format!("{}/trm-pull-test/base:1", reg.addr);
    let built = "trm-pull-test:built";
    import_tiny(&base);
    let creds = reg.auth_config();
    let creds_dir = creds.path().to_string_lossy().into_owned();
    let push = docker(&["push", &base], &[("DOCKER_CONFIG", &creds_dir)]);
    assert!(push.status.success(), "docker push with the htpasswd user: {}", text(&push.stderr));
    rmi(&base);
    assert!(!has_image(&base));
    let repo = repo_from(&base);

    // Without credentials: exit 2, the image, the registry and 401 named, no secret anywhere.
    let none = docker_config("{}");
    let none_dir = none.path().to_string_lossy().into_owned();
    let out = build(repo.path(), built, &[], &[("DOCKER_CONFIG", &none_dir)]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&base) && err.contains(&reg.addr) && err.contains("401"), "names image, registry and 401: {err}");
    assert!(!all_output(&out).contains(PASSWORD));

    // With the Docker configuration's `auths`: pulled, said so, built and labelled.
    let out = build(repo.path(), built, &[], &[("DOCKER_CONFIG", &creds_dir)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stdout.contains(&format!("[pull] {base}: not on this engine; pulling it from {} (with the Docker configuration's credentials)", reg.addr)),
        "says it pulls: {stdout}"
    );
    assert!(stdout.contains(&format!("[pull] {base}: pulled from {}", reg.addr)), "{stdout}");
    assert!(!all_output(&out).contains(PASSWORD));
    let label = docker(&["image", "inspect", "-f", "{{ index .Config.Labels \"org.trm-ci.context\" }}", built], &[]);
    assert!(text(&label.stdout).trim().starts_with("sha256:"), "the built image carries the context label");

    // Through a credential helper (`credsStore`), as after docker/login-action with one.
    rmi(&base);
    let helper_dir = tempfile::tempdir().unwrap();
    let helper = helper_dir.path().join("docker-credential-trmtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread -r server\n[ \"$server\" = '{}' ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\necho '{{\"ServerURL\":\"{}\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n",
            reg.addr, reg.addr
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = docker_config(r#"{"credsStore": "trmtest"}"#);
    let store_dir = store.path().to_string_lossy().into_owned();
    let path = format!("{}:{}", helper_dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let out = build(repo.path(), built, &[], &[("DOCKER_CONFIG", &store_dir), ("PATH", &path)]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(text(&out.stdout).contains(&format!("[pull] {base}: pulled from")));
    assert!(!all_output(&out).contains(PASSWORD));

    // --pull never with the base absent: exit 2 naming it.
    rmi(&base);
    let out = build(repo.path(), built, &["--pull", "never"], &[("DOCKER_CONFIG", &creds_dir)]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&base) && err.contains("--pull never"), "{err}");
    assert!(!has_image(&base), "--pull never pulled nothing");

    rmi(built);
    rmi(&base);
}

#[test]
fn smoke_pull_registry_that_does_not_answer_fails_in_bounded_time() {
    let _g = lock();
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming() {
            held.push(s);
        }
    });
    let base = format!("{addr}/trm-pull-test/silent:1");
    let repo = repo_from(&base);
    let none = docker_config("{}");
    let none_dir = none.path().to_string_lossy().into_owned();
    let out = build(repo.path(), "trm-pull-test:silent", &[], &[("DOCKER_CONFIG", &none_dir), ("TRM_CI_PULL_TIMEOUT", "5")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&base) && err.contains(&addr) && err.contains("did not answer within 5 s"), "{err}");

    // Nothing listening at all: unreachable, named.
    let dead = format!("127.0.0.1:{}", free_port());
    let base = format!("{dead}/trm-pull-test/dead:1");
    let repo = repo_from(&base);
    let out = build(repo.path(), "trm-pull-test:dead", &[], &[("DOCKER_CONFIG", &none_dir), ("TRM_CI_PULL_TIMEOUT", "60")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&base) && err.contains(&dead) && err.contains("unreachable"), "{err}");
}

/// The engine's registry mirror: CI's local registry (TRM_CI_REGISTRY).
fn mirror() -> String {
    let reg = std::env::var("TRM_CI_REGISTRY")
        .unwrap_or_else(|_| panic!("TRM_CI_REGISTRY is not set: it names CI's local registry, the engine's mirror (bash .ci/test starts it)"));
    let mirrors = docker(&["info", "--format", "{{ json .RegistryConfig.Mirrors }}"], &[]);
    let mirrors = text(&mirrors.stdout);
    assert!(mirrors.contains(&format!("http://{reg}/")), "the engine's registry mirrors ({mirrors}) do not include http://{reg}/ (.ci/lib/docker-engine.sh sets it)");
    reg
}

fn pin() -> String {
    let df = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    df.lines().find_map(|l| l.strip_prefix("FROM directus/directus:")).map(|t| t.split_whitespace().next().unwrap().to_string()).unwrap()
}

#[test]
fn smoke_pull_build_pulls_an_absent_base_through_the_mirror() {
    let _g = lock();
    let reg = mirror();
    let base = format!("directus/directus:{}", pin());
    rmi(&base);
    assert!(!has_image(&base), "{base} could not be removed from the engine");
    let out = build(&repo_root(), "trm-directus:pull-test", &[], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        stdout.contains(&format!("[pull] {base}: not on this engine; pulling it from docker.io (through the engine's registry mirror http://{reg}/)")),
        "{stdout}"
    );
    assert!(has_image(&base));
    rmi("trm-directus:pull-test");
}

#[test]
fn smoke_pull_smoke_pulls_an_absent_postgres_image() {
    let _g = lock();
    mirror();
    let tag = "trm-directus:pull-test-smoke";
    let out = build(&repo_root(), tag, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let pg = "postgres:16-alpine";
    rmi(pg);
    assert!(!has_image(pg));
    let root = repo_root().to_string_lossy().into_owned();
    let out = trm(&["smoke", "--repo", &root, "--image", tag, "--postgres-image", pg, "--only", "image-facts"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(stdout.contains(&format!("[pull] {pg}: not on this engine; pulling it from docker.io")), "{stdout}");
    assert!(has_image(pg));
    rmi(tag);
}
