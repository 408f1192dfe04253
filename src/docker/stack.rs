//! The container stack: one run's network, its Postgres containers and app containers, exec and
//! psql inside them, followed logs, waiting for healthy, and cleanup on success, failure, Ctrl-C or
//! SIGTERM (or nothing removed with `--keep`). It knows nothing of scenarios: the smoke scenarios
//! and the upgrade drill both stand on it.
//!
//! Everything a run creates is named `trm-<kind>-<run>-<suffix>` (the network `trm-<kind>-<run>`)
//! and labelled `trm-ci.<kind>=<run>`, and registered in a [`Tracker`] before anything can fail,
//! so [`guarded`] can remove it whatever happens.

use super::engine::{is_not_found, random_hex, short_err};
use crate::http_client as http;
use crate::source::excerpt;
use crate::results::fact::BootFailure;
use crate::results::StepStart;
use bollard::models::{ContainerCreateBody, ExecConfig, HealthConfig, HostConfig, NetworkCreateRequest, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many log lines a failure shows.
pub const TAIL: usize = 25;

/// What Directus 11.17.4 logs when its shutdown handler (`@godaddy/terminus`) has closed the
/// HTTP server and the database pool (`@directus/api/dist/server.js`).
pub const SHUTDOWN_LINE: &str = "Directus shut down OK. Bye bye!";

/// How a [`Stack::stop_app`] ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StopOutcome {
    /// The container's exit status: 0 or 143 (SIGTERM) when it stopped by itself, 137 when the
    /// engine had to SIGKILL it at the timeout.
    pub exit_code: i64,
    /// Seconds from the stop request until the container had exited.
    pub seconds: f64,
    /// Directus logged [`SHUTDOWN_LINE`] during the stop.
    pub shutdown_line_seen: bool,
}

/// How a `docker stop` ended, judged from its [`StopOutcome`] ([`StopOutcome::judge`]): the one
/// judgement the smoke's stop scenario and the drill's stops share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEnd {
    /// Status 0 or 143 (SIGTERM) within the time allowed: the container stopped by itself.
    InTime,
    /// Status 0 or 143, but later than the time allowed.
    Slow,
    /// Status 137: the engine had to SIGKILL it at its timeout (the signal was ignored).
    Killed,
    /// Any other status.
    Status(i64),
}

impl StopOutcome {
    /// Directus shut itself down: status 0 or 143 and its shutdown line logged.
    pub fn graceful(&self) -> bool {
        matches!(self.exit_code, 0 | 143) && self.shutdown_line_seen
    }

    /// How the stop ended, allowing it `limit_s` seconds.
    pub fn judge(&self, limit_s: f64) -> StopEnd {
        match self.exit_code {
            0 | 143 if self.seconds <= limit_s => StopEnd::InTime,
            0 | 143 => StopEnd::Slow,
            137 => StopEnd::Killed,
            c => StopEnd::Status(c),
        }
    }
}

/// The entrypoint announces each step on a line starting `[entrypoint]` that names it
/// (`[entrypoint] step 1/4: db-init ...`, `[entrypoint] step 2/4: schema ...`).
pub fn is_step_marker(l: &str, step: &str) -> bool {
    l.contains("[entrypoint]") && l.contains(step) && !l.contains("ERROR")
}

/// How much of a log line a one-line check quotes ([`crate::source::excerpt`]): 219
/// characters, then `…`.
pub const LOG_LINE_CHARS: usize = 219;

/// Seconds, rounded to a tenth.
pub fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// What a run created, for cleanup: shared with the task that runs the work, so an interrupted
/// run still knows everything it made.
#[derive(Clone, Default)]
pub struct Tracker {
    inner: Arc<Mutex<Created>>,
}

#[derive(Default)]
struct Created {
    containers: Vec<String>,
    networks: Vec<String>,
}

impl Tracker {
    fn container(&self, name: &str) {
        if let Ok(mut c) = self.inner.lock() {
            c.containers.push(name.to_string());
        }
    }

    fn network(&self, name: &str) {
        if let Ok(mut c) = self.inner.lock() {
            c.networks.push(name.to_string());
        }
    }

    fn lists(&self) -> (Vec<String>, Vec<String>) {
        self.inner.lock().map(|c| (c.containers.clone(), c.networks.clone())).unwrap_or_default()
    }

    /// `docker rm -f -v … && docker network rm …` for everything created (empty when nothing was).
    pub fn removal_command(&self) -> String {
        let (containers, networks) = self.lists();
        let mut parts = Vec::new();
        if !containers.is_empty() {
            parts.push(format!("docker rm -f -v {}", containers.join(" ")));
        }
        if !networks.is_empty() {
            parts.push(format!("docker network rm {}", networks.join(" ")));
        }
        parts.join(" && ")
    }

    /// Removes every container (with its volumes), then every network. Returns one line per
    /// thing that could not be removed, saying how to remove it by hand.
    pub async fn remove_all(&self, docker: &Docker) -> Vec<String> {
        let (containers, networks) = self.lists();
        let mut problems = Vec::new();
        let opts = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        for c in &containers {
            if let Err(e) = docker.remove_container(c, Some(opts.clone())).await {
                if !is_not_found(&e) {
                    problems.push(format!("removing container {c}: {} (remove it with `docker rm -f -v {c}`)", short_err(&e)));
                }
            }
        }
        for n in &networks {
            if let Err(e) = docker.remove_network(n).await {
                if !is_not_found(&e) {
                    problems.push(format!("removing network {n}: {} (remove it with `docker network rm {n}`)", short_err(&e)));
                }
            }
        }
        problems
    }
}

/// Why a guarded stage (smoke, the upgrade drill) has no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfinished {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The engine, an image, a revision or the repository is not usable (exit 2).
    Environment(String),
    /// The image cannot be tested at all (no HEALTHCHECK; exit 1).
    Unfit(String),
}

/// How a guarded stage ended: the one outcome type of smoke and the upgrade drill.
#[derive(Debug)]
pub struct Guarded<T> {
    /// The stage's report (each scenario or step passed or failed), or why there is none.
    pub outcome: Result<T, Unfinished>,
    /// With `keep`: the command that removes what was left (empty when nothing was created).
    pub kept: Option<String>,
    /// Things cleanup could not remove (each says how to remove it by hand).
    pub cleanup_problems: Vec<String>,
}

impl<T> Guarded<T> {
    /// A stage that could not start (no engine, unreadable inputs): nothing was created.
    pub fn unusable(why: String) -> Guarded<T> {
        Guarded { outcome: Err(Unfinished::Environment(why)), kept: None, cleanup_problems: Vec::new() }
    }
}

/// Runs `work` with a fresh tracker; on its end, on Ctrl-C or on SIGTERM removes everything it
/// created, unless `keep`. `on_interrupt` is called at once when a signal arrives (before cleanup).
pub async fn guarded<T, Fut>(
    docker: &Docker,
    keep: bool,
    work: impl FnOnce(Tracker) -> Fut,
    on_interrupt: impl FnOnce(),
) -> Guarded<T>
where
    Fut: std::future::Future<Output = Result<T, Unfinished>>,
{
    let tracker = Tracker::default();
    let outcome = {
        let w = work(tracker.clone());
        tokio::select! {
            r = w => r,
            _ = interrupt() => Err(Unfinished::Interrupted),
        }
    };
    if matches!(outcome, Err(Unfinished::Interrupted)) {
        on_interrupt();
    }
    if keep {
        let cmd = tracker.removal_command();
        Guarded { outcome, kept: Some(cmd), cleanup_problems: Vec::new() }
    } else {
        let cleanup_problems = tracker.remove_all(docker).await;
        Guarded { outcome, kept: None, cleanup_problems }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (a cancelled CI job); never when no handler installs.
pub async fn interrupt() {
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

/// The credentials of one run: random per run, never printed.
pub struct Secrets {
    pub db_user: String,
    pub db_password: String,
    pub key: String,
    pub secret: String,
    pub admin_email: String,
    pub admin_password: String,
}

impl Secrets {
    pub fn random() -> Secrets {
        Secrets {
            db_user: "directus".into(),
            db_password: random_hex(16),
            key: random_hex(16),
            secret: random_hex(32),
            admin_email: "smoke@example.com".into(),
            admin_password: random_hex(12),
        }
    }
}

/// What a stack is made with.
pub struct StackOptions {
    /// Names and labels: `trm-<kind>-<run>-…`, `trm-ci.<kind>=<run>` (`smoke`, `drill`).
    pub kind: &'static str,
    /// The run id (random hex); it is in every name.
    pub run: String,
    /// The PostgreSQL image; it must honour POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.
    pub postgres_image: String,
    /// The HEALTHCHECK app containers get (the image's own command, a faster interval).
    pub health: HealthConfig,
    /// How long a boot may take to become healthy.
    pub boot_timeout: Duration,
}

/// One run's network and containers.
pub struct Stack {
    pub docker: Docker,
    pub run: String,
    pub network: String,
    pub secrets: Secrets,
    pub health: HealthConfig,
    pub boot_timeout: Duration,
    kind: &'static str,
    postgres_image: String,
    tracker: Tracker,
}

/// Followed container logs, collected line by line.
#[derive(Clone, Default)]
pub struct Logs {
    lines: Arc<Mutex<Vec<String>>>,
    /// When each `[entrypoint]` step line arrived.
    steps: Arc<Mutex<Vec<(Instant, String)>>>,
    done: Arc<Mutex<bool>>,
}

impl Logs {
    /// Every line so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
    /// The first line matching `pred`.
    pub fn find(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        self.lines.lock().ok()?.iter().find(|l| pred(l)).cloned()
    }
    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let l = self.snapshot();
        l[l.len().saturating_sub(n)..].to_vec()
    }
    /// When each `[entrypoint] step N/M: <name>` line arrived, relative to `t0`.
    pub fn step_starts(&self, t0: Instant) -> Vec<StepStart> {
        let steps = self.steps.lock().map(|s| s.clone()).unwrap_or_default();
        steps
            .iter()
            .filter_map(|(t, l)| {
                let rest = &l[l.find("[entrypoint] step ")? + 18..];
                let name = rest.split_once(": ")?.1.split_whitespace().next()?;
                Some(StepStart { step: name.to_string(), after: t.saturating_duration_since(t0).as_secs_f64() })
            })
            .collect()
    }
    /// Whether the stream ended (the container stopped).
    pub fn is_done(&self) -> bool {
        self.done.lock().map(|d| *d).unwrap_or(true)
    }
    /// Waits up to `limit` for the stream to end.
    pub async fn wait_done(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.is_done() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Follows `container`'s stdout and stderr in a background task, skipping the first `skip` lines
/// (those of an earlier start of the same container).
pub fn follow_logs(docker: &Docker, container: &str, skip: usize) -> Logs {
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

/// One start of an app container, watched until healthy and answering pong (or not).
#[derive(Default)]
pub struct Boot {
    pub started: Option<Instant>,
    pub healthy: Option<f64>,
    pub pong: Option<f64>,
    pub exit_code: Option<i64>,
    /// Why the boot failed (with the container's own ERROR line when it printed one).
    pub failure: Option<BootFailure>,
    pub logs: Logs,
    pub port: Option<u16>,
}

impl Boot {
    /// When each entrypoint step began, after the container start.
    pub fn step_starts(&self) -> Vec<StepStart> {
        self.started.map(|t0| self.logs.step_starts(t0)).unwrap_or_default()
    }
}

impl Stack {
    /// Creates the run's network (registered in `tracker` for cleanup).
    pub async fn create(docker: Docker, tracker: Tracker, opts: StackOptions) -> Result<Stack, String> {
        let network = format!("trm-{}-{}", opts.kind, opts.run);
        docker
            .create_network(NetworkCreateRequest {
                name: network.clone(),
                driver: Some("bridge".into()),
                labels: Some(HashMap::from([(format!("trm-ci.{}", opts.kind), opts.run.clone())])),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("creating the network {network}: {}", short_err(&e)))?;
        tracker.network(&network);
        Ok(Stack {
            docker,
            run: opts.run,
            network,
            secrets: Secrets::random(),
            health: opts.health,
            boot_timeout: opts.boot_timeout,
            kind: opts.kind,
            postgres_image: opts.postgres_image,
            tracker,
        })
    }

    /// `trm-<kind>-<run>-<suffix>`.
    pub fn name(&self, suffix: &str) -> String {
        format!("trm-{}-{}-{suffix}", self.kind, self.run)
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(format!("trm-ci.{}", self.kind), self.run.clone())])
    }

    /// Runs `cmd` in `container`; returns (exit code, stdout and stderr).
    pub async fn exec(&self, container: &str, cmd: &[&str], env: &[String]) -> Result<(i64, String), String> {
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

    /// One SQL command with psql inside the Postgres container `pg` (unaligned, tuples only).
    pub async fn psql(&self, pg: &str, db: &str, sql: &str) -> Result<(i64, String), String> {
        self.exec(
            pg,
            &["psql", "-h", "127.0.0.1", "-U", &self.secrets.db_user, "-d", db, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            &[format!("PGPASSWORD={}", self.secrets.db_password)],
        )
        .await
    }

    /// Creates and starts a Postgres container and waits until it accepts TCP connections.
    pub async fn start_postgres(&self, suffix: &str) -> Result<String, String> {
        let name = self.name(suffix);
        let body = ContainerCreateBody {
            image: Some(self.postgres_image.clone()),
            env: Some(vec![
                format!("POSTGRES_USER={}", self.secrets.db_user),
                format!("POSTGRES_PASSWORD={}", self.secrets.db_password),
                "POSTGRES_DB=directus".to_string(),
            ]),
            labels: Some(self.labels()),
            host_config: Some(HostConfig { network_mode: Some(self.network.clone()), ..Default::default() }),
            ..Default::default()
        };
        self.docker
            .create_container(Some(CreateContainerOptionsBuilder::default().name(&name).build()), body)
            .await
            .map_err(|e| format!("creating the Postgres container: {}", short_err(&e)))?;
        self.tracker.container(&name);
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

    /// The last [`TAIL`] log lines of a container (not followed).
    pub async fn container_tail(&self, name: &str) -> Vec<String> {
        let opts = LogsOptionsBuilder::default().stdout(true).stderr(true).tail(&TAIL.to_string()).build();
        let mut s = self.docker.logs(name, Some(opts));
        let mut text = String::new();
        while let Some(Ok(c)) = s.next().await {
            text.push_str(&String::from_utf8_lossy(c.as_ref()));
        }
        text.lines().map(String::from).collect()
    }

    /// Directus's environment against the Postgres container `pg`, database `db`.
    pub fn app_env(&self, pg: &str, db: &str) -> Vec<String> {
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
    /// loopback port, with the stack's HEALTHCHECK when `health`.
    pub async fn create_app(
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
            labels: Some(self.labels()),
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
        self.tracker.container(&name);
        Ok(name)
    }

    /// Starts a created container.
    pub async fn start(&self, name: &str) -> Result<(), String> {
        self.docker.start_container(name, None).await.map_err(|e| format!("starting {name}: {}", short_err(&e)))
    }

    /// Removes a container and its volumes now (cleanup would, later).
    pub async fn remove(&self, name: &str) {
        let _ = self
            .docker
            .remove_container(name, Some(RemoveContainerOptionsBuilder::default().force(true).v(true).build()))
            .await;
    }

    /// The host port 8055 is published on.
    pub async fn host_port(&self, name: &str) -> Option<u16> {
        let i = self.docker.inspect_container(name, None).await.ok()?;
        let ports = i.network_settings?.ports?;
        let b = ports.get("8055/tcp")?.as_ref()?.first()?.clone();
        b.host_port?.parse().ok()
    }

    /// SIGKILL.
    pub async fn kill(&self, name: &str) -> Result<(), String> {
        self.docker
            .kill_container(name, Some(KillContainerOptionsBuilder::default().signal("KILL").build()))
            .await
            .map_err(|e| format!("killing {name}: {}", short_err(&e)))
    }

    /// A graceful stop, as a deployer's engine does it (`docker stop`, Portainer's redeploy, a host
    /// shutdown): SIGTERM, then SIGKILL after `timeout` — `None` is the engine's default (the
    /// container's StopTimeout, else 10 s). Returns once the container has exited: its status,
    /// how long the stop took, and whether Directus logged its own shutdown ([`SHUTDOWN_LINE`])
    /// during it. Exit 0 or 143 with the line seen is a graceful stop; 137 means the engine had
    /// to SIGKILL it (the signal was ignored, e.g. Directus as PID 1).
    pub async fn stop_app(&self, name: &str, timeout: Option<Duration>) -> Result<StopOutcome, String> {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i32)
            .unwrap_or(0);
        let t0 = Instant::now();
        let opts = timeout.map(|t| StopContainerOptionsBuilder::default().t(t.as_secs() as i32).build());
        self.docker.stop_container(name, opts).await.map_err(|e| format!("docker stop {name}: {}", short_err(&e)))?;
        // `docker stop` returns when the container has exited; the state may lag a moment.
        let Some((exit_code, _)) = self.wait_exit(name, t0, Duration::from_secs(30)).await else {
            return Err(format!("{name} still runs 30 s after docker stop returned"));
        };
        let seconds = secs(t0.elapsed());
        // The logs since the stop began (whole seconds: a line of the same second before it is
        // harmless, Directus says goodbye only when it shuts down).
        let opts = LogsOptionsBuilder::default().stdout(true).stderr(true).since(since).build();
        let mut s = self.docker.logs(name, Some(opts));
        let mut text = String::new();
        while let Some(Ok(c)) = s.next().await {
            text.push_str(&String::from_utf8_lossy(c.as_ref()));
        }
        let shutdown_line_seen = text.lines().any(|l| l.contains(SHUTDOWN_LINE));
        Ok(StopOutcome { exit_code, seconds, shutdown_line_seen })
    }

    /// `docker stop -t 10`, errors ignored.
    pub async fn stop(&self, name: &str) {
        let _ = self.docker.stop_container(name, Some(StopContainerOptionsBuilder::default().t(10).build())).await;
    }

    /// Starts `name` and watches it until healthy and answering pong, or it exits, or the
    /// HEALTHCHECK keeps failing while pong answers, or the boot timeout.
    pub async fn boot(&self, name: &str, skip_lines: usize, want_health: bool) -> Boot {
        let started = Instant::now();
        if let Err(e) = self.docker.start_container(name, None).await {
            let failure = BootFailure::NotStarted { container: name.to_string(), error: short_err(&e) };
            return Boot { started: Some(started), failure: Some(failure), ..Default::default() };
        }
        let logs = follow_logs(&self.docker, name, skip_lines);
        self.watch(name, started, logs, want_health).await
    }

    /// Watches `name`, started at `started` and followed by `logs`, as [`Stack::boot`] does after
    /// starting it (for a scenario that starts several containers itself, or kills one of them
    /// while the others boot).
    pub async fn watch(&self, name: &str, started: Instant, logs: Logs, want_health: bool) -> Boot {
        let mut b = Boot { started: Some(started), logs, ..Default::default() };
        let port = self.host_port(name).await;
        let deadline = started + self.boot_timeout;
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
                        b.failure = Some(BootFailure::Exited {
                            code: st.exit_code.unwrap_or(-1),
                            after: took,
                            cause: cause.map(|c| excerpt(c, LOG_LINE_CHARS)),
                        });
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
                    b.failure = Some(BootFailure::NotInspected { container: name.to_string(), error: short_err(&e) });
                    break;
                }
            }
            let healthy_enough = b.healthy.is_some() || !want_health;
            if healthy_enough && b.pong.is_some() {
                break;
            }
            if want_health && failures_after_pong >= 5 {
                let (code, out) = last_probe.clone().unwrap_or_default();
                b.failure =
                    Some(BootFailure::HealthcheckWrong { command: self.health.test.clone().unwrap_or_default(), exit: code, output: out });
                break;
            }
            if Instant::now() > deadline {
                b.failure = Some(BootFailure::Timeout {
                    seconds: self.boot_timeout.as_secs(),
                    healthy: b.healthy.is_some(),
                    pong: b.pong.is_some(),
                    last_probe: last_probe.clone(),
                });
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        b.port = port;
        // Give the log stream a moment to catch up with what the container printed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        b
    }

    /// Waits (up to the boot timeout) for a log line matching `pred`; returns it, or why not.
    pub async fn wait_line(&self, logs: &Logs, name: &str, what: &str, pred: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + self.boot_timeout;
        loop {
            if let Some(l) = logs.find(&pred) {
                return Ok(l);
            }
            if logs.is_done() {
                return Err(format!("{name} stopped before it printed {what}"));
            }
            if Instant::now() > deadline {
                return Err(format!("{name} did not print {what} within {} s", self.boot_timeout.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `name` to exit; returns (exit code, seconds since `since`).
    pub async fn wait_exit(&self, name: &str, since: Instant, limit: Duration) -> Option<(i64, f64)> {
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
