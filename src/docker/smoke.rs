//! `trm-ci smoke`: boots the image for real next to its own Postgres, on its own network, and runs
//! the scenarios cold, warm, db-init fault, schema fault and image facts.
//!
//! Kills are deterministic: the scenario follows the container's log stream and kills Postgres
//! when the step's marker line appears. For db-init, a temporary copy of `db-init/` with one extra
//! slow migration (`SELECT pg_sleep(120)`) is uploaded into the container before it starts and
//! `TRM_DB_INIT_DIR` points at it; Postgres is killed once `pg_stat_activity` shows that sleep
//! running, i.e. while db-init is inside a migration's transaction. For the schema step, Postgres
//! is killed on the step's first `[schema]` progress line (bootstrap on the empty database).

use super::engine::{fmt_size, is_not_found, random_hex, short_err};
use super::http;
use super::SmokeArgs;
use bollard::models::{ContainerCreateBody, ExecConfig, HealthConfig, HostConfig, NetworkCreateRequest, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The entrypoint announces each step on a line starting `[entrypoint]` that names it
/// (`[entrypoint] step 1/3: db-init ...`, `[entrypoint] step 2/3: schema ...`).
fn is_step_marker(l: &str, step: &str) -> bool {
    l.contains("[entrypoint]") && l.contains(step) && !l.contains("ERROR")
}
const HEALTH_INTERVAL_S: i64 = 1;
const TAIL: usize = 25;
const SLOW_FILE: &str = "9999_trm_smoke_slow.sql";
const UPLOAD_DIR: &str = "/tmp/trm-smoke-db-init";

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Scenario {
    pub name: String,
    pub ok: bool,
    pub seconds: f64,
    pub time_to_healthy: Option<f64>,
    pub time_to_pong: Option<f64>,
    pub checks: Vec<String>,
    pub failure: Option<String>,
    pub log_tail: Vec<String>,
}

/// The base image's own plain boot (bootstrap then start), for the ratios.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Baseline {
    pub base_image: String,
    pub plain_cold_pong: Option<f64>,
    pub plain_warm_pong: Option<f64>,
    pub cold_pong: Option<f64>,
    pub warm_pong: Option<f64>,
    pub cold_healthy: Option<f64>,
    pub warm_healthy: Option<f64>,
    pub cold_ratio: Option<f64>,
    pub warm_ratio: Option<f64>,
    pub cold_healthy_ratio: Option<f64>,
    pub warm_healthy_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SmokeReport {
    pub ok: bool,
    pub image: String,
    pub postgres_image: String,
    pub healthcheck: Vec<String>,
    pub healthcheck_interval_image_s: f64,
    pub healthcheck_interval_used_s: f64,
    pub scenarios: Vec<Scenario>,
    pub baseline: Option<Baseline>,
    pub kept: Option<String>,
}

/// What smoke created, for cleanup.
#[derive(Default)]
struct Created {
    containers: Vec<String>,
    networks: Vec<String>,
}

struct Secrets {
    db_user: String,
    db_password: String,
    key: String,
    secret: String,
    admin_email: String,
    admin_password: String,
}

struct Ctx {
    docker: Docker,
    run: String,
    network: String,
    created: Arc<Mutex<Created>>,
    secrets: Secrets,
    health: HealthConfig,
    db_init_files: Vec<(String, Vec<u8>)>,
    snapshot_collections: Vec<String>,
    /// The image the project's image is built FROM (`--base-image`, else the Dockerfile's).
    base: Option<String>,
    args: SmokeArgs,
}

/// Followed container logs, collected line by line.
#[derive(Clone, Default)]
struct Logs {
    lines: Arc<Mutex<Vec<String>>>,
    /// When each `[entrypoint]` step line arrived.
    steps: Arc<Mutex<Vec<(Instant, String)>>>,
    done: Arc<Mutex<bool>>,
}

impl Logs {
    fn snapshot(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
    fn find(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        self.lines.lock().ok()?.iter().find(|l| pred(l)).cloned()
    }
    fn tail(&self, n: usize) -> Vec<String> {
        let l = self.snapshot();
        l[l.len().saturating_sub(n)..].to_vec()
    }
    /// `db-init +0.1 s, schema +0.9 s, start +6.0 s` relative to `t0`.
    fn step_times(&self, t0: Instant) -> String {
        let steps = self.steps.lock().map(|s| s.clone()).unwrap_or_default();
        steps
            .iter()
            .filter_map(|(t, l)| {
                let rest = &l[l.find("[entrypoint] step ")? + 18..];
                let name = rest.split_once(": ")?.1.split_whitespace().next()?;
                Some(format!("{name} +{:.1} s", t.saturating_duration_since(t0).as_secs_f64()))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn is_done(&self) -> bool {
        self.done.lock().map(|d| *d).unwrap_or(true)
    }
}

fn follow_logs(docker: &Docker, container: &str, skip: usize) -> Logs {
    let logs = Logs::default();
    let out = logs.clone();
    let docker = docker.clone();
    let container = container.to_string();
    tokio::spawn(async move {
        let opts = LogsOptionsBuilder::default().follow(true).stdout(true).stderr(true).build();
        let mut stream = docker.logs(&container, Some(opts));
        let mut seen = 0usize;
        let mut partial: HashMap<u8, String> = HashMap::new();
        while let Some(item) = stream.next().await {
            let Ok(chunk) = item else { break };
            let key = matches!(chunk, bollard::container::LogOutput::StdErr { .. }) as u8;
            let buf = partial.entry(key).or_default();
            buf.push_str(&String::from_utf8_lossy(chunk.as_ref()));
            while let Some(pos) = buf.find('\n') {
                let line: String = buf.drain(..=pos).collect();
                seen += 1;
                if seen > skip {
                    if line.contains("[entrypoint] step ") {
                        if let Ok(mut s) = out.steps.lock() {
                            s.push((Instant::now(), line.trim_end().to_string()));
                        }
                    }
                    if let Ok(mut l) = out.lines.lock() {
                        l.push(line.trim_end().to_string());
                    }
                }
            }
        }
        for (_, rest) in partial {
            if !rest.is_empty() {
                seen += 1;
                if seen > skip {
                    if let Ok(mut l) = out.lines.lock() {
                        l.push(rest.trim_end().to_string());
                    }
                }
            }
        }
        if let Ok(mut d) = out.done.lock() {
            *d = true;
        }
    });
    logs
}

/// Parses `[db-init] N applied, M skipped`.
fn db_init_counts(line: &str) -> Option<(u32, u32)> {
    let rest = &line[line.find("[db-init] ")? + 10..];
    let mut w = rest.split_whitespace();
    let n = w.next()?.parse().ok()?;
    if w.next()? != "applied," {
        return None;
    }
    let m = w.next()?.parse().ok()?;
    (w.next()? == "skipped").then_some((n, m))
}

/// The snapshot's collection names, read with the lint's snapshot model.
fn snapshot_collections(text: &str) -> Result<Vec<String>, String> {
    let src = crate::source::SourceFile::new("snapshots/snapshot.yaml", text.as_bytes().to_vec(), None);
    let s = crate::model::snapshot::Snapshot::parse(&src);
    if let Some(e) = s.errors.first() {
        return Err(format!("snapshots/snapshot.yaml: {}", e.message));
    }
    let mut names: Vec<String> = s.collection_names().into_iter().map(String::from).collect();
    names.sort();
    Ok(names)
}

/// A log line shortened for a one-line check.
fn clip(l: &str) -> String {
    let l = l.trim();
    if l.chars().count() > 220 {
        format!("{}…", l.chars().take(219).collect::<String>())
    } else {
        l.to_string()
    }
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

impl Ctx {
    fn register_container(&self, name: &str) {
        if let Ok(mut c) = self.created.lock() {
            c.containers.push(name.to_string());
        }
    }

    fn name(&self, suffix: &str) -> String {
        format!("trm-smoke-{}-{suffix}", self.run)
    }

    async fn exec(&self, container: &str, cmd: &[&str], env: &[String]) -> Result<(i64, String), String> {
        let cfg = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            env: Some(env.to_vec()),
            ..Default::default()
        };
        let created = self
            .docker
            .create_exec(container, cfg)
            .await
            .map_err(|e| format!("exec in {container}: {}", short_err(&e)))?;
        let mut text = String::new();
        match self.docker.start_exec(&created.id, None).await {
            Ok(bollard::exec::StartExecResults::Attached { mut output, .. }) => {
                while let Some(Ok(chunk)) = output.next().await {
                    text.push_str(&String::from_utf8_lossy(chunk.as_ref()));
                }
            }
            Ok(bollard::exec::StartExecResults::Detached) => {}
            Err(e) => return Err(format!("exec in {container}: {}", short_err(&e))),
        }
        let code = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| format!("exec in {container}: {}", short_err(&e)))?
            .exit_code
            .unwrap_or(-1);
        Ok((code, text))
    }

    async fn psql(&self, pg: &str, db: &str, sql: &str) -> Result<(i64, String), String> {
        self.exec(
            pg,
            &["psql", "-h", "127.0.0.1", "-U", &self.secrets.db_user, "-d", db, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            &[format!("PGPASSWORD={}", self.secrets.db_password)],
        )
        .await
    }

    /// Creates and starts a Postgres container and waits until it accepts TCP connections.
    async fn start_postgres(&self, suffix: &str) -> Result<String, String> {
        let name = self.name(suffix);
        let body = ContainerCreateBody {
            image: Some(self.args.postgres_image.clone()),
            env: Some(vec![
                format!("POSTGRES_USER={}", self.secrets.db_user),
                format!("POSTGRES_PASSWORD={}", self.secrets.db_password),
                "POSTGRES_DB=directus".to_string(),
            ]),
            labels: Some(HashMap::from([("trm-ci.smoke".to_string(), self.run.clone())])),
            host_config: Some(HostConfig { network_mode: Some(self.network.clone()), ..Default::default() }),
            ..Default::default()
        };
        self.docker
            .create_container(Some(CreateContainerOptionsBuilder::default().name(&name).build()), body)
            .await
            .map_err(|e| format!("creating the Postgres container: {}", short_err(&e)))?;
        self.register_container(&name);
        self.docker
            .start_container(&name, None)
            .await
            .map_err(|e| format!("starting the Postgres container: {}", short_err(&e)))?;
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.psql(&name, "directus", "select 1").await {
                Ok((0, _)) => return Ok(name),
                Ok((_, out)) => last = out.trim().to_string(),
                Err(e) => last = e,
            }
            let st = self.docker.inspect_container(&name, None).await.ok().and_then(|i| i.state);
            if st.as_ref().and_then(|s| s.running) == Some(false) {
                let tail = self.container_tail(&name).await;
                return Err(format!("the Postgres container {name} exited during start-up: {}", tail.join(" | ")));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Err(format!("Postgres in {name} did not accept connections within 90 s (last: {last})"))
    }

    async fn container_tail(&self, name: &str) -> Vec<String> {
        let opts = LogsOptionsBuilder::default().stdout(true).stderr(true).tail(&TAIL.to_string()).build();
        let mut s = self.docker.logs(name, Some(opts));
        let mut text = String::new();
        while let Some(Ok(c)) = s.next().await {
            text.push_str(&String::from_utf8_lossy(c.as_ref()));
        }
        text.lines().map(String::from).collect()
    }

    fn app_env(&self, pg: &str, db: &str) -> Vec<String> {
        let s = &self.secrets;
        vec![
            "DB_CLIENT=pg".into(),
            format!("DB_HOST={pg}"),
            "DB_PORT=5432".into(),
            format!("DB_DATABASE={db}"),
            format!("DB_USER={}", s.db_user),
            format!("DB_PASSWORD={}", s.db_password),
            format!("KEY={}", s.key),
            format!("SECRET={}", s.secret),
            format!("ADMIN_EMAIL={}", s.admin_email),
            format!("ADMIN_PASSWORD={}", s.admin_password),
            "TELEMETRY=false".into(),
            "NPM_CONFIG_UPDATE_NOTIFIER=false".into(),
        ]
    }

    /// Creates (does not start) a container of `image` on the network, 8055 published on a free
    /// loopback port, with the image's HEALTHCHECK polled every second.
    async fn create_app(
        &self,
        suffix: &str,
        image: &str,
        env: Vec<String>,
        entrypoint: Option<Vec<String>>,
        health: bool,
    ) -> Result<String, String> {
        let name = self.name(suffix);
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            env: Some(env),
            entrypoint,
            exposed_ports: Some(vec!["8055/tcp".into()]),
            healthcheck: health.then(|| self.health.clone()),
            labels: Some(HashMap::from([("trm-ci.smoke".to_string(), self.run.clone())])),
            host_config: Some(HostConfig {
                network_mode: Some(self.network.clone()),
                port_bindings: Some(HashMap::from([(
                    "8055/tcp".to_string(),
                    Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.docker
            .create_container(Some(CreateContainerOptionsBuilder::default().name(&name).build()), body)
            .await
            .map_err(|e| format!("creating the container from {image}: {}", short_err(&e)))?;
        self.register_container(&name);
        Ok(name)
    }

    async fn host_port(&self, name: &str) -> Option<u16> {
        let i = self.docker.inspect_container(name, None).await.ok()?;
        let ports = i.network_settings?.ports?;
        let b = ports.get("8055/tcp")?.as_ref()?.first()?.clone();
        b.host_port?.parse().ok()
    }

    async fn kill(&self, name: &str) -> Result<(), String> {
        self.docker
            .kill_container(name, Some(KillContainerOptionsBuilder::default().signal("KILL").build()))
            .await
            .map_err(|e| format!("killing {name}: {}", short_err(&e)))
    }

    async fn stop(&self, name: &str) {
        let _ = self.docker.stop_container(name, Some(StopContainerOptionsBuilder::default().t(10).build())).await;
    }

    /// Starts `name` and watches it until healthy and answering pong, or it exits, or the
    /// HEALTHCHECK keeps failing while pong answers, or the boot timeout.
    async fn boot(&self, name: &str, skip_lines: usize, want_health: bool) -> Boot {
        let started = Instant::now();
        let mut b = Boot { started: Some(started), ..Default::default() };
        if let Err(e) = self.docker.start_container(name, None).await {
            b.failure = Some(format!("starting {name}: {}", short_err(&e)));
            return b;
        }
        b.logs = follow_logs(&self.docker, name, skip_lines);
        let port = self.host_port(name).await;
        let deadline = started + Duration::from_secs(self.args.boot_timeout);
        let mut seen_probe_starts: Vec<String> = Vec::new();
        let mut failures_after_pong = 0u32;
        let mut last_probe: Option<(i64, String)> = None;
        loop {
            if let (None, Some(p)) = (b.pong, port) {
                if let Ok(r) = http::request(p, "GET", "/server/ping", None, None).await {
                    if r.status == 200 && r.body.trim() == "pong" {
                        b.pong = Some(secs(started.elapsed()));
                    }
                }
            }
            match self.docker.inspect_container(name, None).await {
                Ok(i) => {
                    let st = i.state.unwrap_or_default();
                    if st.running == Some(false) {
                        b.exit_code = st.exit_code;
                        let took = started.elapsed().as_secs_f64();
                        // Name the cause: the last `[step] ERROR: ...` line the container printed.
                        let until = Instant::now() + Duration::from_secs(3);
                        while !b.logs.is_done() && Instant::now() < until {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        let lines = b.logs.snapshot();
                        let cause = lines
                            .iter()
                            .rev()
                            .find(|l| l.contains("] ERROR") && !l.contains("[entrypoint]"))
                            .or_else(|| lines.iter().rev().find(|l| l.contains("ERROR")));
                        b.failure = Some(format!(
                            "the container exited with code {} after {took:.1} s before it became healthy{}",
                            st.exit_code.unwrap_or(-1),
                            cause.map(|c| format!(": {}", clip(c))).unwrap_or_default()
                        ));
                        break;
                    }
                    if let Some(h) = st.health {
                        let status = h.status.map(|s| s.to_string()).unwrap_or_default();
                        if status == "healthy" && b.healthy.is_none() {
                            b.healthy = Some(secs(started.elapsed()));
                        }
                        for r in h.log.unwrap_or_default() {
                            let key = r.start.clone().unwrap_or_default();
                            if seen_probe_starts.contains(&key) || r.end.is_none() {
                                continue;
                            }
                            seen_probe_starts.push(key);
                            let code = r.exit_code.unwrap_or(-1);
                            last_probe = Some((code, r.output.clone().unwrap_or_default()));
                            if b.pong.is_some() && code != 0 {
                                failures_after_pong += 1;
                            } else if code == 0 {
                                failures_after_pong = 0;
                            }
                        }
                    }
                }
                Err(e) => {
                    b.failure = Some(format!("inspecting {name}: {}", short_err(&e)));
                    break;
                }
            }
            let healthy_enough = b.healthy.is_some() || !want_health;
            if healthy_enough && b.pong.is_some() {
                break;
            }
            if want_health && failures_after_pong >= 5 {
                let (code, out) = last_probe.clone().unwrap_or_default();
                b.failure = Some(format!(
                    "the HEALTHCHECK never passes although GET /server/ping answers pong on port 8055 from the host: \
                     its command {:?} exited {code}{}; the HEALTHCHECK is wrong (port or URL)",
                    self.health.test.clone().unwrap_or_default(),
                    if out.trim().is_empty() { String::new() } else { format!(": {}", out.trim()) }
                ));
                break;
            }
            if Instant::now() > deadline {
                b.failure = Some(format!(
                    "not healthy within {} s (healthy: {}, pong: {}{})",
                    self.args.boot_timeout,
                    b.healthy.is_some(),
                    b.pong.is_some(),
                    last_probe.as_ref().map(|(c, o)| format!(", last HEALTHCHECK exit {c}: {}", o.trim())).unwrap_or_default()
                ));
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        b.port = port;
        // Give the log stream a moment to catch up with what the container printed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        b
    }

    /// Waits for a log line matching `pred`; returns it, or why not.
    async fn wait_line(&self, logs: &Logs, name: &str, what: &str, pred: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(self.args.boot_timeout);
        loop {
            if let Some(l) = logs.find(&pred) {
                return Ok(l);
            }
            if logs.is_done() {
                return Err(format!("{name} stopped before it printed {what}"));
            }
            if Instant::now() > deadline {
                return Err(format!("{name} did not print {what} within {} s", self.args.boot_timeout));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `name` to exit; returns (exit code, seconds).
    async fn wait_exit(&self, name: &str, since: Instant, limit: Duration) -> Option<(i64, f64)> {
        let deadline = since + limit;
        while Instant::now() < deadline {
            if let Ok(i) = self.docker.inspect_container(name, None).await {
                let st = i.state.unwrap_or_default();
                if st.running == Some(false) {
                    return Some((st.exit_code.unwrap_or(-1), secs(since.elapsed())));
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    }
}

#[derive(Default)]
struct Boot {
    started: Option<Instant>,
    healthy: Option<f64>,
    pong: Option<f64>,
    exit_code: Option<i64>,
    failure: Option<String>,
    logs: Logs,
    port: Option<u16>,
}

/// Runs smoke; the exit code.
pub async fn run(docker: Docker, args: &SmokeArgs) -> i32 {
    let created = Arc::new(Mutex::new(Created::default()));
    let run_id = random_hex(4);
    let outcome = {
        let work = prepare_and_run(docker.clone(), args.clone(), run_id.clone(), created.clone());
        tokio::select! {
            r = work => Some(r),
            _ = interrupt() => None,
        }
    };
    let interrupted = outcome.is_none();
    if interrupted {
        eprintln!("\n[smoke] interrupted (Ctrl-C){}", if args.keep { "" } else { ": cleaning up" });
    }
    let cleanup_cmd = {
        let c = created.lock().map(|c| (c.containers.clone(), c.networks.clone())).unwrap_or_default();
        let mut parts = Vec::new();
        if !c.0.is_empty() {
            parts.push(format!("docker rm -f -v {}", c.0.join(" ")));
        }
        if !c.1.is_empty() {
            parts.push(format!("docker network rm {}", c.1.join(" ")));
        }
        parts.join(" && ")
    };
    let keep = args.keep;
    if keep {
        if !cleanup_cmd.is_empty() {
            outln!("[smoke] --keep: left for debugging; remove with:\n  {cleanup_cmd}");
        }
    } else {
        cleanup(&docker, &created).await;
    }
    match outcome {
        None => 130,
        Some(Err((code, msg))) => {
            eprintln!("{msg}");
            code
        }
        Some(Ok(mut report)) => {
            if keep {
                report.kept = Some(cleanup_cmd);
            }
            if let Some(path) = &args.json {
                if let Err(e) = super::write_json(path, &report) {
                    eprintln!("trm-ci smoke: {e}");
                    return 2;
                }
            }
            if report.ok {
                0
            } else {
                1
            }
        }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (a cancelled CI job); never when no handler installs.
async fn interrupt() {
    let int = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = int => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    int.await
}

async fn cleanup(docker: &Docker, created: &Arc<Mutex<Created>>) {
    let (containers, networks) = created.lock().map(|c| (c.containers.clone(), c.networks.clone())).unwrap_or_default();
    let opts = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    for c in &containers {
        if let Err(e) = docker.remove_container(c, Some(opts.clone())).await {
            if !is_not_found(&e) {
                eprintln!("[smoke] cleanup: removing container {c}: {} (remove it with `docker rm -f -v {c}`)", short_err(&e));
            }
        }
    }
    for n in &networks {
        if let Err(e) = docker.remove_network(n).await {
            if !is_not_found(&e) {
                eprintln!("[smoke] cleanup: removing network {n}: {} (remove it with `docker network rm {n}`)", short_err(&e));
            }
        }
    }
}

type Fatal = (i32, String);

async fn prepare_and_run(
    docker: Docker,
    args: SmokeArgs,
    run: String,
    created: Arc<Mutex<Created>>,
) -> Result<SmokeReport, Fatal> {
    let env_err = |m: String| (2, format!("trm-ci smoke: {m}"));
    // The images must be local: there is no registry to pull from.
    let image = match docker.inspect_image(&args.image).await {
        Ok(i) => i,
        Err(e) if is_not_found(&e) => {
            return Err(env_err(format!("the image {} is not on this engine; build it first with `trm-ci build --tag {}`", args.image, args.image)))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", args.image, short_err(&e)))),
    };
    match docker.inspect_image(&args.postgres_image).await {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => {
            return Err(env_err(format!(
                "the Postgres image {} is not on this engine and nothing is pulled here; pass --postgres-image with a local image \
                 that honours POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB (CI builds one; see TRM_POSTGRES_IMAGE)",
                args.postgres_image
            )))
        }
        Err(e) => return Err(env_err(format!("inspecting {}: {}", args.postgres_image, short_err(&e)))),
    }
    let cfg = image.config.clone().unwrap_or_default();
    let Some(image_health) = cfg.healthcheck.clone().filter(|h| h.test.as_ref().is_some_and(|t| !t.is_empty() && t[0] != "NONE")) else {
        return Err((1, format!("trm-ci smoke: FAIL: the image {} has no HEALTHCHECK; the Dockerfile must declare one", args.image)));
    };
    let repo = args.repo.clone();
    let mut db_init_files = Vec::new();
    let dir = repo.join("db-init");
    let rd = std::fs::read_dir(&dir).map_err(|e| env_err(format!("reading {}: {e}; pass --repo DIR", dir.display())))?;
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.ends_with(".sql") {
            let bytes = std::fs::read(e.path()).map_err(|er| env_err(format!("reading {}: {er}", e.path().display())))?;
            db_init_files.push((n, bytes));
        }
    }
    db_init_files.sort();
    let snap_path = repo.join("snapshots/snapshot.yaml");
    let snap = std::fs::read_to_string(&snap_path).map_err(|e| env_err(format!("reading {}: {e}", snap_path.display())))?;
    let snapshot_collections = snapshot_collections(&snap).map_err(env_err)?;

    let image_interval = image_health.interval.unwrap_or(30_000_000_000);
    let health = HealthConfig { interval: Some(HEALTH_INTERVAL_S * 1_000_000_000), ..image_health.clone() };
    let mut report = SmokeReport {
        image: args.image.clone(),
        postgres_image: args.postgres_image.clone(),
        healthcheck: image_health.test.clone().unwrap_or_default(),
        healthcheck_interval_image_s: image_interval as f64 / 1e9,
        healthcheck_interval_used_s: HEALTH_INTERVAL_S as f64,
        ..Default::default()
    };
    outln!(
        "[smoke] run {run}: image {} ({}), Postgres {}; {}",
        args.image,
        image.size.map(fmt_size).unwrap_or_default(),
        args.postgres_image,
        super::engine::describe(&docker).await
    );
    outln!(
        "[smoke] HEALTHCHECK: the image's own command {:?}; its interval ({} s) is overridden to {} s in the container's HealthConfig to poll faster",
        report.healthcheck, report.healthcheck_interval_image_s, HEALTH_INTERVAL_S
    );

    let network = format!("trm-smoke-{run}");
    docker
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            driver: Some("bridge".into()),
            labels: Some(HashMap::from([("trm-ci.smoke".to_string(), run.clone())])),
            ..Default::default()
        })
        .await
        .map_err(|e| env_err(format!("creating the network {network}: {}", short_err(&e))))?;
    if let Ok(mut c) = created.lock() {
        c.networks.push(network.clone());
    }
    let ctx = Ctx {
        docker: docker.clone(),
        run: run.clone(),
        network,
        created,
        secrets: Secrets {
            db_user: "directus".into(),
            db_password: random_hex(16),
            key: random_hex(16),
            secret: random_hex(32),
            admin_email: "smoke@example.com".into(),
            admin_password: random_hex(12),
        },
        health,
        db_init_files,
        snapshot_collections,
        base: args.base_image.clone().or_else(|| {
            std::fs::read_to_string(repo.join("Dockerfile")).ok().and_then(|d| super::build::base_image(&d))
        }),
        args: args.clone(),
    };
    let want = |n: &str| args.only.is_empty() || args.only.iter().any(|o| o == n);

    let pg = ctx.start_postgres("pg").await.map_err(env_err)?;

    let mut base_for_baseline = None;
    if args.baseline {
        match ctx.base.clone() {
            Some(b) => {
                outln!("[smoke] baseline: the base image {b}'s plain boot (bootstrap then start) on an empty database");
                base_for_baseline = Some(baseline(&ctx, &pg, &b).await);
            }
            None => outln!("[smoke] baseline: no base image (no Dockerfile FROM; pass --base-image)"),
        }
    }

    let app = ctx.name("app");
    let mut app_running = false;
    if want("cold") || want("warm") {
        let cold = cold(&ctx, &pg).await;
        report.scenarios.push(cold.0);
        let cold_lines = cold.1;
        if want("warm") {
            let (w, running) = warm(&ctx, &app, cold_lines).await;
            report.scenarios.push(w);
            app_running = running;
        } else {
            app_running = true;
        }
    }
    if want("image-facts") {
        report.scenarios.push(image_facts(&ctx, &image, if app_running { Some(&app) } else { None }).await);
    }
    if app_running {
        ctx.stop(&app).await;
    }
    if want("db-init-fault") {
        report.scenarios.push(db_init_fault(&ctx).await);
    }
    if want("schema-fault") {
        report.scenarios.push(schema_fault(&ctx).await);
    }
    if let Some(mut b) = base_for_baseline {
        let find = |n: &str| report.scenarios.iter().find(|s| s.name == n);
        b.cold_pong = find("cold").and_then(|s| s.time_to_pong);
        b.cold_healthy = find("cold").and_then(|s| s.time_to_healthy);
        b.warm_pong = find("warm").and_then(|s| s.time_to_pong);
        b.warm_healthy = find("warm").and_then(|s| s.time_to_healthy);
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some((a / b * 100.0).round() / 100.0),
            _ => None,
        };
        b.cold_ratio = ratio(b.cold_pong, b.plain_cold_pong);
        b.warm_ratio = ratio(b.warm_pong, b.plain_warm_pong);
        b.cold_healthy_ratio = ratio(b.cold_healthy, b.plain_cold_pong);
        b.warm_healthy_ratio = ratio(b.warm_healthy, b.plain_warm_pong);
        let f = |v: Option<f64>| v.map(|v| format!("{v:.1} s")).unwrap_or_else(|| "?".into());
        let r = |v: Option<f64>| v.map(|v| format!("{v:.2}×")).unwrap_or_else(|| "?".into());
        outln!("[smoke] boot vs the base image's plain boot (time to pong from the host; healthy in brackets):");
        outln!(
            "  cold: {} [{}] vs plain {} → {} [{}] (target ≤ 1.5×)",
            f(b.cold_pong), f(b.cold_healthy), f(b.plain_cold_pong), r(b.cold_ratio), r(b.cold_healthy_ratio)
        );
        outln!(
            "  warm: {} [{}] vs plain {} → {} [{}] (target ≤ 1.3×)",
            f(b.warm_pong), f(b.warm_healthy), f(b.plain_warm_pong), r(b.warm_ratio), r(b.warm_healthy_ratio)
        );
        report.baseline = Some(b);
    }
    report.ok = !report.scenarios.is_empty() && report.scenarios.iter().all(|s| s.ok);
    let passed = report.scenarios.iter().filter(|s| s.ok).count();
    outln!(
        "[smoke] {}: {passed} of {} scenarios passed",
        if report.ok { "PASS" } else { "FAIL" },
        report.scenarios.len()
    );
    Ok(report)
}

fn print_scenario(s: &Scenario) {
    let mut times = Vec::new();
    if let Some(h) = s.time_to_healthy {
        times.push(format!("healthy {h:.1} s"));
    }
    if let Some(p) = s.time_to_pong {
        times.push(format!("pong {p:.1} s"));
    }
    outln!(
        "[smoke] {:<14} {}  {:.1} s{}",
        s.name,
        if s.ok { "PASS" } else { "FAIL" },
        s.seconds,
        if times.is_empty() { String::new() } else { format!(" ({})", times.join(", ")) }
    );
    for c in &s.checks {
        outln!("    {c}");
    }
    if let Some(f) = &s.failure {
        outln!("    FAILED: {f}");
        if !s.log_tail.is_empty() {
            outln!("    last log lines:");
            for l in &s.log_tail {
                outln!("      | {l}");
            }
        }
    }
}

fn finish(mut s: Scenario, started: Instant, problems: Vec<String>, tail: Vec<String>) -> Scenario {
    s.seconds = secs(started.elapsed());
    if !problems.is_empty() {
        s.failure = Some(problems.join("; "));
        s.log_tail = tail;
    }
    s.ok = s.failure.is_none();
    print_scenario(&s);
    s
}

/// cold: empty database → db-init applies every file, the schema step applies, healthy, pong,
/// the admin page is served, the collections equal the snapshot's. Returns the number of log lines.
async fn cold(ctx: &Ctx, pg: &str) -> (Scenario, usize) {
    let started = Instant::now();
    let mut s = Scenario { name: "cold".into(), ..Default::default() };
    let mut problems = Vec::new();
    let name = match ctx.create_app("app", &ctx.args.image, ctx.app_env(pg, "directus"), None, true).await {
        Ok(n) => n,
        Err(e) => return (finish(s, started, vec![e], vec![]), 0),
    };
    let b = ctx.boot(&name, 0, true).await;
    s.time_to_healthy = b.healthy;
    s.time_to_pong = b.pong;
    if let Some(f) = &b.failure {
        problems.push(f.clone());
    }
    push_step_times(&mut s, &b);
    let n = ctx.db_init_files.len() as u32;
    let exited = b.exit_code.is_some();
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        None if exited => {}
        Some(l) if db_init_counts(&l) == Some((n, 0)) => s.checks.push(format!("ok  {} ({n} files in db-init/)", l.trim())),
        Some(l) => problems.push(format!("expected `[db-init] {n} applied, 0 skipped`, the log says `{}`", l.trim())),
        None => problems.push(format!("no `[db-init] N applied, M skipped` line (expected {n} applied, 0 skipped)")),
    }
    match b.logs.find(|l| l.contains("[schema] applied")) {
        Some(l) => s.checks.push(format!("ok  {}", l.trim())),
        None if exited => {}
        None => problems.push("no `[schema] applied: ...` line: the schema step did not apply the snapshot".into()),
    }
    if b.failure.is_none() {
        if let Some(port) = b.port {
            s.checks.push(format!("ok  GET /server/ping from the host (127.0.0.1:{port}) answers pong; HEALTHCHECK healthy"));
            match http::request(port, "GET", "/admin/login", None, None).await {
                Ok(r) if r.status == 200 && r.body.to_ascii_lowercase().contains("<html") => {
                    s.checks.push("ok  GET /admin/login serves the admin app's HTML".into())
                }
                Ok(r) => problems.push(format!("GET /admin/login answered {} without the app's HTML", r.status)),
                Err(e) => problems.push(format!("GET /admin/login: {e}")),
            }
            match collections(ctx, port).await {
                Ok(got) if got == ctx.snapshot_collections => s.checks.push(format!(
                    "ok  Directus reports the snapshot's {} collections ({})",
                    got.len(),
                    got.join(", ")
                )),
                Ok(got) => {
                    let missing: Vec<_> = ctx.snapshot_collections.iter().filter(|c| !got.contains(c)).cloned().collect();
                    let extra: Vec<_> = got.iter().filter(|c| !ctx.snapshot_collections.contains(c)).cloned().collect();
                    problems.push(format!(
                        "Directus reports {} collections, the snapshot has {}; missing: [{}], extra: [{}]",
                        got.len(),
                        ctx.snapshot_collections.len(),
                        missing.join(", "),
                        extra.join(", ")
                    ))
                }
                Err(e) => problems.push(format!("reading the collections from Directus: {e}")),
            }
        }
    }
    let lines = if b.failure.is_none() {
        // Stop it for the warm restart; the followed stream then ends with every cold line.
        ctx.stop(&name).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while !b.logs.is_done() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b.logs.snapshot().len()
    } else {
        0
    };
    (finish(s, started, problems, b.logs.tail(TAIL)), lines)
}

fn push_step_times(s: &mut Scenario, b: &Boot) {
    if let Some(t0) = b.started {
        let t = b.logs.step_times(t0);
        if !t.is_empty() {
            s.checks.push(format!("    steps began at: {t} (after the container start)"));
        }
    }
}

/// Logs in as the admin smoke created and lists the user collections.
async fn collections(ctx: &Ctx, port: u16) -> Result<Vec<String>, String> {
    let body = serde_json::json!({"email": ctx.secrets.admin_email, "password": ctx.secrets.admin_password}).to_string();
    let r = http::request(port, "POST", "/auth/login", None, Some(&body)).await?;
    if r.status != 200 {
        return Err(format!("POST /auth/login as ADMIN_EMAIL answered {}", r.status));
    }
    let v: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| format!("/auth/login: {e}"))?;
    let token = v["data"]["access_token"].as_str().ok_or("/auth/login returned no access_token")?.to_string();
    let r = http::request(port, "GET", "/collections?limit=-1", Some(&token), None).await?;
    if r.status != 200 {
        return Err(format!("GET /collections answered {}", r.status));
    }
    let v: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| format!("/collections: {e}"))?;
    let mut names: Vec<String> = v["data"]
        .as_array()
        .ok_or("/collections returned no data list")?
        .iter()
        .filter_map(|c| c["collection"].as_str())
        .filter(|c| !c.starts_with("directus_"))
        .map(String::from)
        .collect();
    names.sort();
    Ok(names)
}

/// warm: the same container restarted on the same database.
async fn warm(ctx: &Ctx, app: &str, skip: usize) -> (Scenario, bool) {
    let started = Instant::now();
    let s = Scenario { name: "warm".into(), ..Default::default() };
    if skip == 0 {
        return (finish(s, started, vec!["skipped: the cold boot did not succeed".into()], vec![]), false);
    }
    let mut s = s;
    let mut problems = Vec::new();
    let b = ctx.boot(app, skip, true).await;
    s.time_to_healthy = b.healthy;
    s.time_to_pong = b.pong;
    if let Some(f) = &b.failure {
        problems.push(f.clone());
    } else {
        s.checks.push("ok  restarted: HEALTHCHECK healthy, GET /server/ping answers pong".into());
    }
    push_step_times(&mut s, &b);
    let n = ctx.db_init_files.len() as u32;
    match b.logs.find(|l| db_init_counts(l).is_some()) {
        Some(l) if db_init_counts(&l) == Some((0, n)) => s.checks.push(format!("ok  {}", l.trim())),
        Some(l) => problems.push(format!("expected `[db-init] 0 applied, {n} skipped`, the log says `{}`", l.trim())),
        None => problems.push(format!("no `[db-init] N applied, M skipped` line (expected 0 applied, {n} skipped)")),
    }
    match b.logs.find(|l| l.contains("[schema] no changes")) {
        Some(l) => s.checks.push(format!("ok  {}", l.trim())),
        None => match b.logs.find(|l| l.contains("[schema] applied") || l.contains("[schema] ERROR")) {
            Some(l) => problems.push(format!("expected `[schema] no changes` on the warm database, the log says `{}`", l.trim())),
            None => problems.push("no `[schema] no changes` line".into()),
        },
    }
    let running = b.failure.is_none();
    (finish(s, started, problems, b.logs.tail(TAIL)), running)
}

/// image facts: uid 1000 (node), ownership of db-init and snapshots, no ENV of its own.
async fn image_facts(ctx: &Ctx, image: &bollard::models::ImageInspect, running: Option<&str>) -> Scenario {
    let started = Instant::now();
    let mut s = Scenario { name: "image-facts".into(), ..Default::default() };
    let mut problems = Vec::new();
    let container = match running {
        Some(c) => c.to_string(),
        None => {
            // The boot did not get far: look at the image in an idle container (same USER).
            let c = match ctx
                .create_app("facts", &ctx.args.image, vec![], Some(vec!["sleep".into(), "300".into()]), false)
                .await
            {
                Ok(c) => c,
                Err(e) => return finish(s, started, vec![e], vec![]),
            };
            if let Err(e) = ctx.docker.start_container(&c, None).await {
                return finish(s, started, vec![format!("starting {c}: {}", short_err(&e))], vec![]);
            }
            s.checks.push("(the boot failed: checked in an idle container of the image, PID 1 = sleep)".into());
            c
        }
    };
    match ctx.exec(&container, &["cat", "/proc/1/status"], &[]).await {
        Ok((0, out)) => {
            let uid = out.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("?").to_string();
            if uid == "1000" {
                s.checks.push("ok  the container's main process runs as uid 1000".into());
            } else {
                problems.push(format!("the container's main process runs as uid {uid}, expected 1000 (node)"));
            }
        }
        Ok((c, out)) => problems.push(format!("reading /proc/1/status exited {c}: {}", out.trim())),
        Err(e) => problems.push(e),
    }
    match ctx.exec(&container, &["id", "-un"], &[]).await {
        Ok((0, out)) if out.trim() == "node" => s.checks.push("ok  the image's user is node".into()),
        Ok((_, out)) => problems.push(format!("the image's user is {:?}, expected node", out.trim())),
        Err(e) => problems.push(e),
    }
    match ctx.exec(&container, &["stat", "-c", "%n %U:%G %u", "/directus/db-init", "/directus/snapshots"], &[]).await {
        Ok((0, out)) => {
            for l in out.lines() {
                let w: Vec<&str> = l.split_whitespace().collect();
                if w.len() == 3 && w[1] == "node:node" {
                    s.checks.push(format!("ok  {} is owned by node:node", w[0]));
                } else {
                    problems.push(format!("{l}: expected owner node:node"));
                }
            }
        }
        Ok((c, out)) => problems.push(format!("stat /directus/db-init /directus/snapshots exited {c}: {}", out.trim())),
        Err(e) => problems.push(e),
    }
    match ctx.base.clone() {
        Some(b) => match ctx.docker.inspect_image(&b).await {
            Ok(bi) => {
                let base_env = bi.config.and_then(|c| c.env).unwrap_or_default();
                let own: Vec<String> = image
                    .config
                    .clone()
                    .and_then(|c| c.env)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| !base_env.contains(e))
                    .collect();
                if own.is_empty() {
                    s.checks.push(format!("ok  no ENV of its own beyond the base {b}'s"));
                } else {
                    let keys: Vec<&str> = own.iter().map(|e| e.split('=').next().unwrap_or("")).collect();
                    problems.push(format!("the image sets ENV of its own: {} (the base {b} does not)", keys.join(", ")));
                }
            }
            Err(e) => problems.push(format!("inspecting the base image {b}: {}", short_err(&e))),
        },
        None => problems.push("cannot tell the base image (no Dockerfile FROM in --repo; pass --base-image)".into()),
    }
    finish(s, started, problems, vec![])
}

/// A tar holding `dir/` with the repo's db-init files plus the slow one, owned by node.
fn db_init_upload(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut b = tar::Builder::new(Vec::new());
    let dir = UPLOAD_DIR.trim_start_matches("/tmp/");
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_size(0);
    h.set_mtime(0);
    b.append_data(&mut h, format!("{dir}/"), std::io::empty()).map_err(|e| e.to_string())?;
    let slow = b"-- trm-ci smoke: a deliberately slow migration, so Postgres can be killed while db-init runs.\nSELECT pg_sleep(120);\n".to_vec();
    for (name, bytes) in files.iter().chain(std::iter::once(&(SLOW_FILE.to_string(), slow))) {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_uid(1000);
        h.set_gid(1000);
        h.set_size(bytes.len() as u64);
        h.set_mtime(0);
        b.append_data(&mut h, format!("{dir}/{name}"), &bytes[..]).map_err(|e| e.to_string())?;
    }
    b.into_inner().map_err(|e| e.to_string())
}

/// db-init fault: Postgres killed while the slow migration runs.
async fn db_init_fault(ctx: &Ctx) -> Scenario {
    let started = Instant::now();
    let s = Scenario { name: "db-init-fault".into(), ..Default::default() };
    let pg = match ctx.start_postgres("pg-dbinit").await {
        Ok(p) => p,
        Err(e) => return finish(s, started, vec![e], vec![]),
    };
    let mut env = ctx.app_env(&pg, "directus");
    env.push(format!("TRM_DB_INIT_DIR={UPLOAD_DIR}"));
    let app = match ctx.create_app("app-dbinit", &ctx.args.image, env, None, true).await {
        Ok(a) => a,
        Err(e) => return finish(s, started, vec![e], vec![]),
    };
    let tar = match db_init_upload(&ctx.db_init_files) {
        Ok(t) => t,
        Err(e) => return finish(s, started, vec![format!("making the db-init upload: {e}")], vec![]),
    };
    if let Err(e) = ctx
        .docker
        .upload_to_container(&app, Some(UploadToContainerOptionsBuilder::default().path("/tmp").build()), bollard::body_full(tar.into()))
        .await
    {
        return finish(s, started, vec![format!("uploading the slow db-init copy: {}", short_err(&e))], vec![]);
    }
    fault(ctx, s, started, &pg, &app, "db-init", true).await
}

/// schema fault: Postgres killed when the schema step starts.
async fn schema_fault(ctx: &Ctx) -> Scenario {
    let started = Instant::now();
    let s = Scenario { name: "schema-fault".into(), ..Default::default() };
    let pg = match ctx.start_postgres("pg-schema").await {
        Ok(p) => p,
        Err(e) => return finish(s, started, vec![e], vec![]),
    };
    let app = match ctx.create_app("app-schema", &ctx.args.image, ctx.app_env(&pg, "directus"), None, true).await {
        Ok(a) => a,
        Err(e) => return finish(s, started, vec![e], vec![]),
    };
    fault(ctx, s, started, &pg, &app, "schema", false).await
}

fn is_schema_marker(l: &str) -> bool {
    is_step_marker(l, "schema")
}

async fn fault(ctx: &Ctx, mut s: Scenario, started: Instant, pg: &str, app: &str, step: &str, db_init: bool) -> Scenario {
    let mut problems = Vec::new();
    if let Err(e) = ctx.docker.start_container(app, None).await {
        return finish(s, started, vec![format!("starting {app}: {}", short_err(&e))], vec![]);
    }
    let logs = follow_logs(&ctx.docker, app, 0);
    let marker = if db_init {
        ctx.wait_line(&logs, app, "the db-init step's `[entrypoint]` line", |l| is_step_marker(l, "db-init")).await
    } else {
        // The entrypoint's step line, then the schema step's first progress line (`[schema]
        // bootstrap: ...`): Postgres dies while the step is talking to it, not before.
        match ctx.wait_line(&logs, app, "the schema step's `[entrypoint]` line", is_schema_marker).await {
            Ok(_) => {
                ctx.wait_line(&logs, app, "a `[schema]` progress line", |l| {
                    l.contains("[schema] ") && !l.contains("[schema] ERROR")
                })
                .await
            }
            Err(e) => Err(e),
        }
    };
    let marker = match marker {
        Ok(m) => m,
        Err(e) => return finish(s, started, vec![e], logs.tail(TAIL)),
    };
    if db_init {
        // Kill inside a migration: once the slow file's pg_sleep is running.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = false;
        while Instant::now() < deadline && !logs.is_done() {
            if let Ok((0, out)) = ctx
                .psql(pg, "directus", "select count(*) from pg_stat_activity where query ilike '%pg_sleep(120)%' and pid <> pg_backend_pid()")
                .await
            {
                if out.trim() != "0" {
                    seen = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if seen {
            s.checks.push(format!("ok  Postgres killed while db-init ran {SLOW_FILE} (pg_sleep seen in pg_stat_activity)"));
        } else {
            // Without it the scenario would not prove what it claims.
            problems.push(format!("{SLOW_FILE} was never seen running (pg_stat_activity) within 60 s after `{}`", marker.trim()));
        }
    } else {
        s.checks.push(format!("ok  Postgres killed on `{}`", marker.trim()));
    }
    let killed_at = Instant::now();
    if let Err(e) = ctx.kill(pg).await {
        return finish(s, started, vec![e], logs.tail(TAIL));
    }
    match ctx.wait_exit(app, killed_at, Duration::from_secs(ctx.args.fault_timeout)).await {
        Some((code, after)) if code != 0 => {
            s.checks.push(format!("ok  the container exited with code {code}, {after:.1} s after the kill"));
        }
        Some((code, after)) => problems.push(format!("the container exited with code {code} ({after:.1} s after the kill): expected non-zero")),
        None => problems.push(format!(
            "the container was still running {} s after Postgres was killed during {step}: the boot must fail fast",
            ctx.args.fault_timeout
        )),
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logs.is_done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tail = logs.tail(10);
    let want = format!("[{step}] ERROR");
    match tail.iter().find(|l| l.contains(&want)) {
        Some(l) => s.checks.push(format!("ok  its last log lines name the step: `{}`", clip(l))),
        None => problems.push(format!("its last 10 log lines have no `{want}` line naming the step")),
    }
    finish(s, started, problems, logs.tail(TAIL))
}

/// The base image's own plain boot on an empty database, cold and then warm (same database).
async fn baseline(ctx: &Ctx, pg: &str, base: &str) -> Baseline {
    let mut b = Baseline { base_image: base.to_string(), ..Default::default() };
    // Warm the machine's file cache with one discarded plain boot, so neither the baseline nor
    // the scenarios pay for reading Directus's node_modules from disk the first time.
    if let Ok((0, _)) = ctx.psql(pg, "directus", "create database warmup").await {
        let entry = vec!["sh".to_string(), "-c".to_string(), "node /directus/cli.js bootstrap && exec node /directus/cli.js start".to_string()];
        if let Ok(c) = ctx.create_app("warmup", base, ctx.app_env(pg, "warmup"), Some(entry), false).await {
            let w = ctx.boot(&c, 0, false).await;
            outln!(
                "[smoke] baseline: warm-up boot (discarded): {}",
                w.pong.map(|p| format!("pong after {p:.1} s")).unwrap_or_else(|| w.failure.clone().unwrap_or_default())
            );
            let _ = ctx
                .docker
                .remove_container(&c, Some(RemoveContainerOptionsBuilder::default().force(true).v(true).build()))
                .await;
        }
    }
    if let Err(e) = ctx.psql(pg, "directus", "create database plain").await.and_then(|(c, o)| {
        if c == 0 {
            Ok(())
        } else {
            Err(o)
        }
    }) {
        outln!("[smoke] baseline: creating its database failed: {}", e.trim());
        return b;
    }
    let entry = vec![
        "sh".to_string(),
        "-c".to_string(),
        "node /directus/cli.js bootstrap && exec node /directus/cli.js start".to_string(),
    ];
    let c = match ctx.create_app("plain", base, ctx.app_env(pg, "plain"), Some(entry), false).await {
        Ok(c) => c,
        Err(e) => {
            outln!("[smoke] baseline: {e}");
            return b;
        }
    };
    let cold = ctx.boot(&c, 0, false).await;
    b.plain_cold_pong = cold.pong;
    if let Some(f) = &cold.failure {
        outln!("[smoke] baseline: the plain cold boot failed: {f}");
        for l in cold.logs.tail(10) {
            outln!("      | {l}");
        }
        return b;
    }
    ctx.stop(&c).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cold.logs.is_done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let warm = ctx.boot(&c, cold.logs.snapshot().len(), false).await;
    b.plain_warm_pong = warm.pong;
    ctx.stop(&c).await;
    outln!(
        "[smoke] baseline: plain boot of {base}: cold {} s, warm {} s to pong",
        b.plain_cold_pong.map(|v| format!("{v:.1}")).unwrap_or("?".into()),
        b.plain_warm_pong.map(|v| format!("{v:.1}")).unwrap_or("?".into())
    );
    b
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(db_init_counts("[db-init] 3 applied, 0 skipped"), Some((3, 0)));
        assert_eq!(db_init_counts("x [db-init] 0 applied, 3 skipped"), Some((0, 3)));
        assert_eq!(db_init_counts("[db-init] ERROR: 0001.sql: boom"), None);
    }

    #[test]
    fn snapshot_names() {
        let y = "version: 1\ncollections:\n  - collection: b\n    meta: {}\n  - collection: a\nfields: []\n";
        assert_eq!(snapshot_collections(y).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn upload_has_slow_file() {
        let t = db_init_upload(&[("0001_x.sql".into(), b"select 1;".to_vec())]).unwrap();
        let mut a = tar::Archive::new(&t[..]);
        let names: Vec<String> = a.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["trm-smoke-db-init/", "trm-smoke-db-init/0001_x.sql", "trm-smoke-db-init/9999_trm_smoke_slow.sql"]);
    }
}
