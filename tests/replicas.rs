//! Boot tests for many replicas on one database (issue 20): the real `entrypoint.sh`
//! and scripts, a real PostgreSQL server and Directus at the pin from npm (the harness
//! of tests/boot.rs). No mocks.
//!
//!   - an install interrupted (the lock holder killed mid-bootstrap, or an install that
//!     never created its admin) is completed by the next boot, or fails loudly; a
//!     database with no user is left to Directus's first-run setup page (a WARNING), one
//!     whose users cannot sign in as an administrator is an error with the fix;
//!   - a snapshot older than the one applied last is not applied again (kept newer),
//!     refused when another Directus applied the newer one, applied with the switch;
//!   - migrate-only mode and replicas that wait for it.
//!
//!   cargo test --release --test replicas          (heavy: under the machine lock)

#[path = "boot/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{one_field, slot, snapshot_without, tools, Boot, BootConfig, Postgres, ADMIN_EMAIL, DB_PASSWORD, KEY, SECRET};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVE: Duration = Duration::from_secs(240);
const STEP: Duration = Duration::from_secs(120);

fn assert_line(boot: &Boot, pred: impl Fn(&str) -> bool, what: &str) {
    assert!(boot.has_line(|l| pred(l)), "boot '{}': expected a line {what}\n{}", boot.name, boot.log());
}

/// The users that can sign in as an administrator (what the schema step requires).
fn admins(pg: &Postgres) -> String {
    pg.psql(
        "directus",
        "SELECT count(*) FROM directus_users u WHERE u.status = 'active' AND u.password IS NOT NULL AND u.role IN \
         (SELECT a.role FROM directus_access a JOIN directus_policies p ON p.id = a.policy WHERE p.admin_access)",
    )
}

fn install_recorded(pg: &Postgres) -> String {
    pg.psql("directus", "SELECT count(*) FROM trm_db_init.install")
}

fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn wait_sql(pg: &Postgres, sql: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while pg.psql("directus", sql) != "t" {
        assert!(Instant::now() < deadline, "not true within {timeout:?}: {sql}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Upstream's own `directus bootstrap --skipAdminInit`: Directus installed, no admin
/// role, no user, no record of a complete install -- the state a boot killed between
/// Directus's migrations and the admin's creation leaves.
fn upstream_bootstrap_without_admin(pg: &Postgres) {
    let t = tools();
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(&t.node)
        .arg(t.directus_dir.join("cli.js"))
        .args(["bootstrap", "--skipAdminInit"])
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DB_CLIENT", "pg")
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", pg.port.to_string())
        .env("DB_DATABASE", "directus")
        .env("DB_USER", "postgres")
        .env("DB_PASSWORD", DB_PASSWORD)
        .env("KEY", KEY)
        .env("SECRET", SECRET)
        .env("TELEMETRY", "false")
        .env("LOG_STYLE", "raw")
        .stdin(Stdio::null())
        .output()
        .expect("run cli.js bootstrap");
    assert!(out.status.success(), "cli.js bootstrap --skipAdminInit: {}\n{}", out.status, String::from_utf8_lossy(&out.stdout));
}

/// The lock holder killed during Directus's bootstrap (its migrations running): the
/// next boot completes the install and creates the admin, or fails loudly naming the
/// interrupted install -- it never serves a database nobody can sign in to.
#[test]
fn boot_killed_mid_bootstrap_next_boot_completes_the_install_or_fails_loudly() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut leader = Boot::start("leader", &pg, &BootConfig::default());
    leader.wait_line("[schema] bootstrap: installing ...", STEP, |l| l.starts_with("[schema] bootstrap: installing"));
    // the system tables are committed (one transaction): Directus's migrations start
    wait_sql(&pg, "SELECT to_regclass('public.directus_migrations') IS NOT NULL", STEP);
    leader.kill();
    let done = pg.psql("directus", "SELECT count(*) FROM directus_migrations");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM directus_users"), "0", "killed before the admin existed");
    eprintln!("[replicas-test] leader killed after {done} Directus migrations");

    let mut next = Boot::start("after-kill", &pg, &BootConfig::default());
    let t0 = Instant::now();
    loop {
        if harness::ping(next.port).as_deref() == Some("pong") {
            assert_eq!(admins(&pg), "1", "serving: there must be exactly one admin\n{}", next.log());
            assert_eq!(install_recorded(&pg), "1");
            assert_line(&next, |l| l.starts_with("[schema] install: Directus is installed but its install is not recorded"), "install: ... completing it");
            assert_line(&next, |l| l == "[schema] install: complete (recorded)", "install: complete");
            eprintln!("[replicas-test] the next boot completed the install and serves");
            break;
        }
        if let Some(st) = next.try_exit() {
            assert!(!st.success(), "{}", next.log());
            assert_line(&next, |l| l.starts_with("[schema] ERROR: ") && l.contains("interrupted"), "[schema] ERROR: ... interrupted ...");
            assert_eq!(install_recorded(&pg), "0");
            eprintln!("[replicas-test] the next boot failed loudly: {}", next.lines().iter().find(|l| l.starts_with("[schema] ERROR")).unwrap());
            break;
        }
        assert!(t0.elapsed() < SERVE, "neither serving nor failed\n{}", next.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    next.assert_no_secrets();
}

/// Directus installed without an admin (as upstream's bootstrap leaves it when killed
/// before creating one): the next boot creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD
/// in a new administrator role and records the install; the boot after that changes
/// nothing.
#[test]
fn boot_completes_an_install_that_never_created_its_admin() {
    let _slot = slot();
    let pg = Postgres::start();
    upstream_bootstrap_without_admin(&pg);
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM directus_users"), "0");

    let mut boot = Boot::start("complete", &pg, &BootConfig::default());
    boot.wait_serving(SERVE);
    assert_line(&boot, |l| l.starts_with("[schema] install: Directus is installed but its install is not recorded"), "install: completing");
    assert_line(&boot, |l| l == "[schema] install: created the first admin (ADMIN_EMAIL)", "install: created the first admin");
    assert_line(&boot, |l| l == "[schema] install: complete (recorded)", "install: complete");
    assert_line(&boot, |l| l.starts_with("[schema] applied: 12 collections created"), "applied");
    assert_eq!(admins(&pg), "1");
    assert_eq!(pg.psql("directus", &format!("SELECT count(*) FROM directus_users WHERE email = '{ADMIN_EMAIL}'")), "1");
    assert_eq!(install_recorded(&pg), "1");
    boot.assert_no_secrets();
    boot.kill();

    let mut warm = Boot::start("complete-warm", &pg, &BootConfig::default());
    warm.wait_serving(SERVE);
    assert!(!warm.has_line(|l| l.starts_with("[schema] install:")), "{}", warm.log());
    assert_eq!(admins(&pg), "1");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM directus_roles"), "1", "no second administrator role");
}

/// No ADMIN_EMAIL/ADMIN_PASSWORD on the first boot, which the upstream image allows:
/// Directus serves, a WARNING names its first-run setup page, and that page's request
/// (`POST /server/setup`, open while `directus_users` is empty) creates the first admin,
/// as Directus does it. Users of whom none can sign in as an administrator is an error
/// on every boot, naming the fix; with ADMIN_EMAIL/ADMIN_PASSWORD the next boot creates
/// that admin.
#[test]
fn boot_without_admin_env_serves_directus_setup_and_a_locked_out_database_fails_with_the_fix() {
    let _slot = slot();
    let pg = Postgres::start();
    let no_admin = BootConfig { extra_env: env(&[("ADMIN_PASSWORD", "")]), ..BootConfig::default() };
    let mut first = Boot::start("no-admin-env", &pg, &no_admin);
    first.wait_serving(SERVE);
    assert_line(
        &first,
        |l| l.starts_with("[schema] WARNING: no user exists yet") && l.contains("/admin/setup") && l.contains("ADMIN_EMAIL and ADMIN_PASSWORD"),
        "[schema] WARNING: no user exists yet ... /admin/setup ... ADMIN_EMAIL and ADMIN_PASSWORD",
    );
    assert_line(&first, |l| l.starts_with("[schema] applied: 12 collections created"), "applied");
    assert_eq!(install_recorded(&pg), "1", "the install is complete: the admin is Directus's setup page's to create");
    let (code, info) = http(first.port, "GET", "/server/info", None);
    assert!(code == 200 && info.contains("\"setupCompleted\":false"), "{code} {info}");
    let owner = r#"{"project_owner":"owner@example.com","password":"setup-page-password-81","first_name":"Ada","last_name":"Owner","project_usage":"personal","org_name":null,"product_updates":false}"#;
    let (code, body) = http(first.port, "POST", "/server/setup", Some(owner));
    assert!(code / 100 == 2, "POST /server/setup: {code} {body}");
    assert_eq!(admins(&pg), "1", "Directus's setup created the first admin");
    first.kill();

    // the same database booted again without the variables: nothing to say
    let mut again = Boot::start("after-setup", &pg, &no_admin);
    again.wait_serving(SERVE);
    assert!(!again.has_line(|l| l.contains("WARNING: no user")), "{}", again.log());
    again.kill();

    // locked out: the only admin suspended
    pg.psql("directus", "UPDATE directus_users SET status = 'suspended'");
    for name in ["locked-out", "locked-out-again"] {
        let mut boot = Boot::start(name, &pg, &no_admin);
        let st = boot.wait_exit(SERVE);
        assert!(!st.success(), "{}", boot.log());
        assert_line(
            &boot,
            |l| l.starts_with("[schema] ERROR: no user can sign in as an administrator") && l.contains("ADMIN_EMAIL and ADMIN_PASSWORD"),
            "[schema] ERROR: no user can sign in as an administrator ... ADMIN_EMAIL and ADMIN_PASSWORD",
        );
        assert_line(&boot, |l| l == "[entrypoint] ERROR: step 'schema' failed (exit 1); not starting Directus", "the step failed");
    }
    let mut fixed = Boot::start("admin-from-env", &pg, &BootConfig::default());
    fixed.wait_serving(SERVE);
    assert_line(&fixed, |l| l == "[schema] install: created the first admin (ADMIN_EMAIL)", "created the admin");
    assert_eq!(admins(&pg), "1");
    assert_eq!(pg.psql("directus", &format!("SELECT status FROM directus_users WHERE email = '{ADMIN_EMAIL}'")), "active");
    fixed.assert_no_secrets();
}

/// One HTTP/1.1 request to 127.0.0.1:port (JSON body), the status and the body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read the answer");
    let (head, rest) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, rest.to_string())
}

/// The schema never goes backwards by accident: boot the older snapshot (without
/// customers.phone), then the newer one (adds it), then the older one again: it is not
/// applied (`kept newer`, both revisions named), Directus serves, the column stays.
/// When another Directus applied the newer schema the older image refuses to start.
/// TRM_ALLOW_SCHEMA_ROLLBACK=1 rolls back deliberately (one boot), and is recorded.
#[test]
fn boot_older_snapshot_never_reverts_a_newer_schema() {
    let _slot = slot();
    let pg = Postgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let older = tmp.path().join("snapshot-older.yaml");
    snapshot_without(&older, one_field("customers", "phone"));
    let base = |extra: &[(&str, &str)]| BootConfig {
        snapshot: older.clone(),
        extra_env: env(&[&[("TRM_IMAGE_REVISION", "base-1")], extra].concat()),
        ..BootConfig::default()
    };
    let head = BootConfig { extra_env: env(&[("TRM_IMAGE_REVISION", "head-2")]), ..BootConfig::default() };
    let phone = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'phone'";

    let mut b = Boot::start("base", &pg, &base(&[]));
    b.wait_line("[entrypoint] step 4/4", SERVE, |l| l.starts_with("[entrypoint] step 4/4"));
    b.kill();
    let mut h = Boot::start("head", &pg, &head);
    h.wait_line("[entrypoint] step 4/4", SERVE, |l| l.starts_with("[entrypoint] step 4/4"));
    assert_line(&h, |l| l == "[schema] applied: 1 field created", "applied: 1 field created");
    h.kill();
    assert_eq!(pg.psql("directus", phone), "1");
    let rows = pg.psql("directus", "SELECT revision || ' ' || result FROM trm_db_init.schema_history ORDER BY id");
    assert!(rows.starts_with("base-1 applied: 12 collections created"), "{rows}");
    assert!(rows.ends_with("\nhead-2 applied: 1 field created"), "{rows}");

    // the stale replica: kept newer, serving, nothing reverted
    let mut stale = Boot::start("stale", &pg, &base(&[]));
    let secs = stale.wait_serving(SERVE);
    eprintln!("[replicas-test] stale replica serving after {secs:.1}s");
    let kept = stale.lines().into_iter().find(|l| l.starts_with("[schema] kept newer: ")).unwrap_or_else(|| panic!("{}", stale.log()));
    assert!(kept.contains("revision base-1") && kept.contains("revision head-2") && kept.contains("TRM_ALLOW_SCHEMA_ROLLBACK=1"), "{kept}");
    assert!(!stale.has_line(|l| l.starts_with("[schema] plan:")), "{}", stale.log());
    stale.kill();
    assert_eq!(pg.psql("directus", phone), "1", "the newer field survives the stale replica");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM trm_db_init.schema_history"), "2", "kept: no row");

    // the newer schema applied by another Directus: the older image refuses
    pg.psql("directus", "UPDATE trm_db_init.schema_history SET directus_version = '11.99.0' WHERE revision = 'head-2'");
    let mut refused = Boot::start("stale-other-directus", &pg, &base(&[]));
    let st = refused.wait_exit(STEP);
    assert!(!st.success(), "{}", refused.log());
    assert_line(
        &refused,
        |l| l.starts_with("[schema] ERROR: this image's snapshot (revision base-1") && l.contains("revision head-2, Directus 11.99.0")
            && l.contains("refusing to start"),
        "[schema] ERROR: ... revision base-1 ... revision head-2 ... refusing to start",
    );
    drop(refused);
    pg.psql("directus", "UPDATE trm_db_init.schema_history SET directus_version = (SELECT directus_version FROM trm_db_init.install)");

    // the deliberate rollback: one boot with the switch (and the destructive opt-in, as it drops a field)
    let mut rb = Boot::start("rollback", &pg, &base(&[("TRM_ALLOW_SCHEMA_ROLLBACK", "1"), ("TRM_ALLOW_DESTRUCTIVE_SCHEMA", "1")]));
    rb.wait_serving(SERVE);
    assert_line(&rb, |l| l.starts_with("[schema] WARNING: this image's snapshot") && l.contains("TRM_ALLOW_SCHEMA_ROLLBACK=1"), "WARNING");
    assert_line(&rb, |l| l == "[schema] applied: 1 field deleted", "applied: 1 field deleted");
    rb.kill();
    assert_eq!(pg.psql("directus", phone), "0");
    let last = pg.psql("directus", "SELECT revision || ' ' || result FROM trm_db_init.schema_history ORDER BY id DESC LIMIT 1");
    assert_eq!(last, "base-1 rollback applied: 1 field deleted");

    // after the rollback the older snapshot is the one in force: an ordinary boot
    let mut again = Boot::start("base-after-rollback", &pg, &base(&[]));
    again.wait_line("[entrypoint] step 4/4", SERVE, |l| l.starts_with("[entrypoint] step 4/4"));
    assert_line(&again, |l| l == "[schema] no changes", "no changes");
}

/// Migrate-only mode and waiting replicas: two replicas in TRM_BOOT_MODE=wait start
/// first and wait; the migrate job (TRM_BOOT_MODE=migrate) runs db-init, schema and
/// db-post and exits 0 without serving; then both replicas serve, having applied
/// nothing.
#[test]
fn boot_migrate_job_then_waiting_replicas_serve() {
    let _slot = slot();
    let pg = Postgres::start();
    let wait = BootConfig { extra_env: env(&[("TRM_BOOT_MODE", "wait")]), ..BootConfig::default() };
    let mut r1 = Boot::start("replica-1", &pg, &wait);
    let mut r2 = Boot::start("replica-2", &pg, &wait);
    for r in [&mut r1, &mut r2] {
        r.wait_line("[wait] waiting: ...", STEP, |l| l.starts_with("[wait] waiting: "));
        assert_line(r, |l| l.starts_with("[entrypoint] step 1/2: wait"), "step 1/2: wait");
    }

    let mut job = Boot::start("migrate", &pg, &BootConfig { extra_env: env(&[("TRM_BOOT_MODE", "migrate")]), ..BootConfig::default() });
    let st = job.wait_exit(SERVE);
    assert!(st.success(), "{}", job.log());
    for (step, line) in [(1, "db-init"), (2, "schema"), (3, "db-post")] {
        assert_line(&job, |l| l.starts_with(&format!("[entrypoint] step {step}/3: {line}")), line);
    }
    assert_line(&job, |l| l.starts_with("[entrypoint] migrate-only: db-init, schema and db-post done"), "migrate-only: done");
    assert_line(&job, |l| l.starts_with("[schema] applied: 12 collections created"), "applied");
    assert!(!job.has_line(|l| l.starts_with("[entrypoint] step 4/")), "{}", job.log());
    job.assert_no_secrets();

    for r in [&mut r1, &mut r2] {
        let secs = r.wait_serving(SERVE);
        eprintln!("[replicas-test] {} serving after {secs:.1}s", r.name);
        assert_line(r, |l| l.starts_with("[wait] ready: snapshot sha256 "), "[wait] ready");
        assert_line(r, |l| l == "[entrypoint] step 2/2: start (node cli.js start)", "step 2/2: start");
        assert!(!r.has_line(|l| l.starts_with("[db-init]") || l.starts_with("[schema]") || l.starts_with("[db-post]")), "{}", r.log());
        r.assert_no_secrets();
    }
    assert_eq!(admins(&pg), "1");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM trm_db_init.schema_history"), "1");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM trm_db_init.ledger"), "4");
}

/// A waiting replica whose image is newer than the database (a migration the migrate
/// job has not applied) times out naming what is missing.
#[test]
fn boot_waiting_replica_times_out_naming_what_is_missing() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut job = Boot::start("migrate", &pg, &BootConfig { extra_env: env(&[("TRM_BOOT_MODE", "migrate")]), ..BootConfig::default() });
    assert!(job.wait_exit(SERVE).success(), "{}", job.log());
    let dir = harness::db_init_copy(&["0002_zz_slow_for_tests.sql"]);
    let cfg = BootConfig {
        db_init_dir: dir.path().to_path_buf(),
        extra_env: env(&[("TRM_BOOT_MODE", "wait"), ("TRM_SCHEMA_WAIT_SECONDS", "3")]),
        ..BootConfig::default()
    };
    let mut r = Boot::start("waits-in-vain", &pg, &cfg);
    let st = r.wait_exit(STEP);
    assert!(!st.success(), "{}", r.log());
    assert_line(
        &r,
        |l| l.starts_with("[wait] ERROR: not ready after 3s (TRM_SCHEMA_WAIT_SECONDS): 0002_zz_slow_for_tests.sql not applied yet"),
        "[wait] ERROR: not ready ... 0002_zz_slow_for_tests.sql not applied yet",
    );
    assert_line(&r, |l| l == "[entrypoint] ERROR: step 'wait' failed (exit 1); not starting Directus", "step 'wait' failed");
}
