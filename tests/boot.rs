//! Boot tests: the real `entrypoint.sh` and scripts against a real PostgreSQL server
//! (temp data directory, loopback port) and Directus at the Dockerfile's pin on Node 22
//! (the npm install under TRM_DIRECTUS_HOME), on busybox's sed/grep/awk/... as in the
//! Alpine image (see the harness). No mocks.
//!
//!   cargo test --release --test boot              (needs TRM_DIRECTUS_HOME; `bash .ci/test` sets it)
//!   cargo test --release -- --skip boot_          (deselect them)
//!
//! Without the install or the PostgreSQL binaries these tests FAIL, saying how to get
//! them. At most TRM_BOOT_TEST_JOBS (default 2) Directus boots run at once.

#[path = "boot/harness.rs"]
mod harness;

use harness::{
    collection_and_its_relations, db_init_copy, db_post_copy, empty_dir, next_major, one_field, ping, repo, run_sql_step, slot,
    snapshot_without, Boot, BootConfig, Postgres, COLLECTIONS,
};
use std::time::{Duration, Instant};

const SERVE: Duration = Duration::from_secs(240);
const STEP: Duration = Duration::from_secs(120);
const SLOW: &str = "0002_zz_slow_for_tests.sql";
const POST_BROKEN: &str = "0002_zz_broken_post_for_tests.sql";
/// The collection tables with a `date_updated` field (snapshots/snapshot.yaml), which
/// db-post/0001_touch_date_updated.sql gives the trigger.
const DATE_UPDATED_TABLES: [&str; 3] = ["customers", "orders", "products"];

fn is(expected: &'static str) -> impl Fn(&str) -> bool {
    move |l| l == expected
}

fn assert_line(boot: &Boot, expected: &str) {
    assert!(boot.has_line(|l| l == expected), "boot '{}': expected the line {expected:?}\n{}", boot.name, boot.log());
}

fn assert_no_line(boot: &Boot, prefix: &str) {
    assert!(!boot.has_line(|l| l.starts_with(prefix)), "boot '{}': unexpected line {prefix:?}...\n{}", boot.name, boot.log());
}

/// Index of the first line starting with `prefix`, for order checks.
fn pos(boot: &Boot, prefix: &str) -> usize {
    boot.lines()
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("boot '{}': no line {prefix:?}\n{}", boot.name, boot.log()))
}

/// The db-init rows of the ledger (file names without a `/`, as the runner always wrote them).
fn ledger(pg: &Postgres) -> Vec<(String, i64)> {
    ledger_rows(pg, "strpos(file, '/') = 0")
}

/// The db-post rows of the ledger (`db-post/<file>`).
fn post_ledger(pg: &Postgres) -> Vec<(String, i64)> {
    ledger_rows(pg, "file LIKE 'db-post/%'")
}

fn ledger_rows(pg: &Postgres, filter: &str) -> Vec<(String, i64)> {
    pg.psql("directus", &format!("SELECT file, count(*) FROM trm_db_init.ledger WHERE {filter} GROUP BY file ORDER BY file"))
        .lines()
        .map(|l| {
            let (f, n) = l.split_once('|').unwrap();
            (f.to_string(), n.parse().unwrap())
        })
        .collect()
}

fn sql_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(",")
}

/// The tables that have the BEFORE UPDATE trigger touch_date_updated calling
/// app.touch_date_updated().
fn touched_tables(pg: &Postgres) -> Vec<String> {
    let sql = "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid \
               JOIN pg_namespace n ON n.oid = p.pronamespace \
               WHERE t.tgname = 'touch_date_updated' AND NOT t.tgisinternal AND n.nspname = 'app' \
               AND p.proname = 'touch_date_updated' ORDER BY 1";
    pg.psql("directus", sql).lines().map(String::from).collect()
}

/// The trigger fires: a customer written by SQL with an old date_updated, then updated
/// by SQL (as a report or a psql fix would), gets date_updated = the update's time.
fn assert_update_touches_date_updated(pg: &Postgres) {
    let id = pg.psql(
        "directus",
        "INSERT INTO customers (id, first_name, last_name, email, date_updated) \
         VALUES (gen_random_uuid(), 'Ada', 'Lovelace', 'ada@example.com', '2000-01-01T00:00:00Z') RETURNING id",
    );
    let id = id.lines().next().unwrap_or_default().to_string();
    assert_eq!(pg.psql("directus", &format!("SELECT date_updated = '2000-01-01T00:00:00Z' FROM customers WHERE id = '{id}'")), "t");
    pg.psql("directus", &format!("UPDATE customers SET phone = '+49 30 1234' WHERE id = '{id}'"));
    let changed = pg.psql(
        "directus",
        &format!("SELECT date_updated > now() - interval '1 hour' FROM customers WHERE id = '{id}'"),
    );
    assert_eq!(changed, "t", "the UPDATE did not stamp date_updated: the trigger did not fire");
}

/// 1. A fresh database: every migration, the 12 collections, and it serves.
#[test]
fn boot_fresh_database_applies_migrations_and_snapshot_then_serves() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut boot = Boot::start("fresh", &pg, &BootConfig::default());
    let secs = boot.wait_serving(SERVE);
    eprintln!("[boot-test] fresh: serving after {secs:.1}s");

    assert_line(&boot, "[db-init] 3 applied, 0 skipped");
    assert!(boot.has_line(|l| l.starts_with("[schema] applied: 12 collections created")), "{}", boot.log());
    assert_line(&boot, "[db-post] applying 0001_touch_date_updated.sql");
    assert_line(&boot, "[db-post] 1 applied, 0 skipped");
    // the steps, in order, each announced
    let (a, b) = (pos(&boot, "[entrypoint] step 1/4: db-init"), pos(&boot, "[entrypoint] step 2/4: schema"));
    let (c, d) = (pos(&boot, "[entrypoint] step 3/4: db-post"), pos(&boot, "[entrypoint] step 4/4: start"));
    assert!(a < pos(&boot, "[db-init] 3 applied") && pos(&boot, "[db-init] 3 applied") < b, "{}", boot.log());
    assert!(b < pos(&boot, "[schema] applied: ") && pos(&boot, "[schema] applied: ") < c, "{}", boot.log());
    assert!(c < pos(&boot, "[db-post] 1 applied") && pos(&boot, "[db-post] 1 applied") < d, "{}", boot.log());
    assert_eq!(ping(boot.port).as_deref(), Some("pong"));

    let list = sql_list(&COLLECTIONS);
    let registered = pg.psql("directus", &format!("SELECT count(*) FROM directus_collections WHERE collection IN ({list})"));
    assert_eq!(registered, "12", "directus_collections rows for the 12 collections");
    let tables = pg.psql(
        "directus",
        &format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ({list})"),
    );
    assert_eq!(tables, "12", "tables for the 12 collections");
    let fks = pg.psql("directus", "SELECT count(*) FROM directus_relations WHERE many_collection NOT LIKE 'directus\\_%'");
    assert_eq!(fks, "15", "relations of the snapshot");
    let files: Vec<String> = ledger(&pg).into_iter().map(|(f, n)| format!("{f}:{n}")).collect();
    assert_eq!(files, ["0001_extensions.sql:1", "0002_app_schema.sql:1", "0003_app_functions.sql:1"]);
    let post: Vec<String> = post_ledger(&pg).into_iter().map(|(f, n)| format!("{f}:{n}")).collect();
    assert_eq!(post, ["db-post/0001_touch_date_updated.sql:1"]);
    assert_eq!(pg.psql("directus", "SELECT app.slugify('Crème Brûlée  Bar')"), "creme-brulee-bar");
    // db-post ran after the schema step: the collection tables have the trigger, and it fires
    assert_eq!(touched_tables(&pg), DATE_UPDATED_TABLES);
    assert_update_touches_date_updated(&pg);
    let admins = pg.psql("directus", "SELECT count(*) FROM directus_users WHERE email = 'admin@example.com'");
    assert_eq!(admins, "1", "the first admin from ADMIN_EMAIL/ADMIN_PASSWORD");
    boot.assert_no_secrets();
}

/// 2. The same database again: nothing to do, and it serves.
#[test]
fn boot_warm_database_skips_everything_then_serves() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut first = Boot::start("warm-first", &pg, &BootConfig::default());
    first.wait_serving(SERVE);
    first.kill();

    let mut boot = Boot::start("warm", &pg, &BootConfig::default());
    let secs = boot.wait_serving(SERVE);
    eprintln!("[boot-test] warm: serving after {secs:.1}s");
    assert_line(&boot, "[db-init] 0 applied, 3 skipped");
    assert_line(&boot, "[schema] no changes");
    assert_line(&boot, "[db-post] 0 applied, 1 skipped");
    assert_no_line(&boot, "[schema] applied");
    assert_no_line(&boot, "[db-init] applying");
    assert_no_line(&boot, "[db-post] applying");
    assert_eq!(touched_tables(&pg), DATE_UPDATED_TABLES);
    assert_eq!(ping(boot.port).as_deref(), Some("pong"));
    boot.assert_no_secrets();
}

/// 3. Postgres stopped hard while a migration runs: a bounded, non-zero exit naming the
///    file; once Postgres is back a boot completes and each file is in the ledger once.
#[test]
fn boot_postgres_stopped_during_db_init_fails_then_recovers() {
    let _slot = slot();
    let pg = Postgres::start();
    let dir = db_init_copy(&[SLOW]);
    let cfg = BootConfig { db_init_dir: dir.path().to_path_buf(), ..BootConfig::default() };

    let mut boot = Boot::start("db-init-crash", &pg, &cfg);
    boot.wait_line("[db-init] applying <slow migration>", STEP, is("[db-init] applying 0002_zz_slow_for_tests.sql"));
    std::thread::sleep(Duration::from_millis(500)); // inside its pg_sleep
    pg.stop_hard();
    let t0 = Instant::now();
    let status = boot.wait_exit(Duration::from_secs(60));
    eprintln!("[boot-test] db-init crash: exited {status} {:.1}s after the stop", t0.elapsed().as_secs_f64());
    assert!(!status.success(), "{}", boot.log());
    assert!(boot.has_line(|l| l.starts_with(&format!("[db-init] ERROR: {SLOW}: "))), "{}", boot.log());
    assert_line(&boot, "[entrypoint] ERROR: step 'db-init' failed (exit 1); not starting Directus");
    assert_no_line(&boot, "[entrypoint] step 2/4");
    drop(boot);

    pg.up();
    // the crashed file left nothing behind: its table does not exist, it is not in the ledger
    assert_eq!(pg.psql("directus", "SELECT to_regclass('app.boot_test_slow_marker') IS NULL"), "t");
    let before: Vec<String> = ledger(&pg).into_iter().map(|(f, _)| f).collect();
    assert_eq!(before, ["0001_extensions.sql", "0002_app_schema.sql"]);

    let mut again = Boot::start("db-init-recovered", &pg, &cfg);
    again.wait_serving(SERVE);
    assert_line(&again, "[db-init] 2 applied, 2 skipped");
    let after = ledger(&pg);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|(_, n)| *n == 1), "each file once: {after:?}");
    assert_eq!(pg.psql("directus", "SELECT to_regclass('app.boot_test_slow_marker') IS NOT NULL"), "t");
    again.assert_no_secrets();
}

/// 4. Postgres stopped hard while the schema step runs: a bounded, non-zero exit with
///    a `[schema] ERROR` line that names the lost connection first (not the statement
///    that happened to be running).
#[test]
fn boot_postgres_stopped_during_schema_step_fails() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut boot = Boot::start("schema-crash", &pg, &BootConfig::default());
    boot.wait_line("[schema] bootstrap: installing ...", STEP, |l| l.starts_with("[schema] bootstrap: installing"));
    pg.stop_hard();
    let t0 = Instant::now();
    let status = boot.wait_exit(Duration::from_secs(90));
    eprintln!("[boot-test] schema crash: exited {status} {:.1}s after the stop", t0.elapsed().as_secs_f64());
    assert!(!status.success(), "{}", boot.log());
    let lost = format!("[schema] ERROR: lost the connection to the database at 127.0.0.1:{}: ", pg.port);
    assert!(boot.has_line(|l| l.starts_with(&lost)), "expected a line starting {lost:?}\n{}", boot.log());
    assert_line(&boot, "[entrypoint] ERROR: step 'schema' failed (exit 1); not starting Directus");
    assert_no_line(&boot, "[entrypoint] step 3/4");
    boot.assert_no_secrets();
}

/// 5. An applied migration edited afterwards: the boot refuses, naming the file.
#[test]
fn boot_refuses_an_edited_applied_migration() {
    let _slot = slot();
    let pg = Postgres::start();
    let dir = db_init_copy(&[]);
    let cfg = BootConfig { db_init_dir: dir.path().to_path_buf(), ..BootConfig::default() };
    let mut first = Boot::start("edit-first", &pg, &cfg);
    first.wait_line("[entrypoint] step 2/4", STEP, |l| l.starts_with("[entrypoint] step 2/4"));
    first.kill();

    let file = dir.path().join("0002_app_schema.sql");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text + "COMMENT ON SCHEMA app IS 'edited after it was applied';\n").unwrap();

    let mut boot = Boot::start("edited", &pg, &cfg);
    let status = boot.wait_exit(STEP);
    assert!(!status.success(), "{}", boot.log());
    assert!(
        boot.has_line(|l| l.starts_with("[db-init] ERROR: 0002_app_schema.sql: changed after it was applied")),
        "{}",
        boot.log()
    );
    assert_no_line(&boot, "[entrypoint] step 2/4");
    assert_eq!(ledger(&pg).len(), 3);
}

/// 6. Two boots at once on a fresh database: every migration applied exactly once, and
///    both serve. A slow migration makes the two runs overlap for sure.
#[test]
fn boot_two_at_once_apply_each_migration_once() {
    let _slot = slot();
    let pg = Postgres::start();
    let dir = db_init_copy(&[SLOW]);
    let cfg = BootConfig { db_init_dir: dir.path().to_path_buf(), ..BootConfig::default() };
    let mut a = Boot::start("twin-a", &pg, &cfg);
    let mut b = Boot::start("twin-b", &pg, &cfg);
    a.wait_serving(SERVE);
    b.wait_serving(SERVE);

    let results: Vec<String> = [&a, &b]
        .iter()
        .map(|boot| boot.lines().into_iter().find(|l| l.starts_with("[db-init] ") && l.ends_with(" skipped")).unwrap())
        .collect();
    let mut sorted = results.clone();
    sorted.sort();
    assert_eq!(sorted, ["[db-init] 0 applied, 4 skipped", "[db-init] 4 applied, 0 skipped"], "{}\n{}", a.log(), b.log());
    let l = ledger(&pg);
    assert_eq!(l.len(), 4, "{l:?}");
    assert!(l.iter().all(|(_, n)| *n == 1), "each file once: {l:?}");
    // the schema step ran once too: one boot applied, the other found nothing to do
    let applied = [&a, &b].iter().filter(|x| x.has_line(|l| l.starts_with("[schema] applied: "))).count();
    let unchanged = [&a, &b].iter().filter(|x| x.has_line(|l| l == "[schema] no changes")).count();
    assert_eq!((applied, unchanged), (1, 1), "{}\n{}", a.log(), b.log());
    let list = sql_list(&COLLECTIONS);
    let registered = pg.psql("directus", &format!("SELECT count(*) FROM directus_collections WHERE collection IN ({list})"));
    assert_eq!(registered, "12");
}

/// 7. A snapshot that would delete a collection holding rows: the boot refuses, the
///    rows are still there. The documented opt-in lets a deletion through (shown with a
///    field: Directus 11.17.4 itself fails to apply the deletion of a collection that
///    other collections' relations point to).
#[test]
fn boot_refuses_a_snapshot_that_deletes_a_collection_with_rows() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut first = Boot::start("destructive-first", &pg, &BootConfig::default());
    first.wait_line("[entrypoint] step 4/4", SERVE, |l| l.starts_with("[entrypoint] step 4/4"));
    first.kill();
    pg.psql("directus", "INSERT INTO countries (code, name) VALUES ('DE', 'Germany'), ('FR', 'France')");

    let tmp = tempfile::tempdir().unwrap();
    let snapshot = tmp.path().join("snapshot-without-countries.yaml");
    snapshot_without(&snapshot, collection_and_its_relations("countries"));
    let cfg = BootConfig { snapshot, ..BootConfig::default() };
    let mut boot = Boot::start("destructive", &pg, &cfg);
    let status = boot.wait_exit(STEP);
    assert!(!status.success(), "{}", boot.log());
    assert!(
        boot.has_line(|l| l.starts_with("[schema] ERROR: the snapshot would delete collection countries")
            && l.contains("TRM_ALLOW_DESTRUCTIVE_SCHEMA=1")),
        "{}",
        boot.log()
    );
    assert_line(&boot, "[entrypoint] ERROR: step 'schema' failed (exit 1); not starting Directus");
    assert_no_line(&boot, "[entrypoint] step 3/4");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM countries"), "2", "the rows survive");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM directus_collections WHERE collection = 'countries'"), "1");
    drop(boot);

    // The opt-in: a snapshot without the field customers.phone is refused without it,
    // applied with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1.
    let snapshot = tmp.path().join("snapshot-without-customers-phone.yaml");
    snapshot_without(&snapshot, one_field("customers", "phone"));
    let cfg = BootConfig {
        snapshot,
        extra_env: vec![("TRM_ALLOW_DESTRUCTIVE_SCHEMA".into(), "1".into())],
        ..BootConfig::default()
    };
    let mut opted = Boot::start("destructive-opt-in", &pg, &cfg);
    opted.wait_serving(SERVE);
    assert_line(&opted, "[schema] WARNING: deleting field customers.phone (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1)");
    assert_line(&opted, "[schema] applied: 1 field deleted");
    let column = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'phone'";
    assert_eq!(pg.psql("directus", column), "0");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM countries"), "2");
}

/// 7b. Approved deletions (`allow-destructive.txt` beside the snapshot, as `COPY
///     snapshots/` puts it in the image): the schema step deletes exactly what is approved
///     and refuses any other deletion, naming it; the rows of a refused boot are intact.
#[test]
fn boot_deletes_exactly_the_approved_fields() {
    let _slot = slot();
    let pg = Postgres::start();
    let mut first = Boot::start("approved-first", &pg, &BootConfig::default());
    first.wait_line("[entrypoint] step 4/4", SERVE, |l| l.starts_with("[entrypoint] step 4/4"));
    first.kill();
    pg.psql(
        "directus",
        "INSERT INTO customers (id, first_name, last_name, email, phone) VALUES (gen_random_uuid(), 'Ada', 'Lovelace', 'ada@example.com', '+44 1')",
    );

    // The snapshot drops customers.phone and customers.last_name; only phone is approved.
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = tmp.path().join("snapshot.yaml");
    let (phone, last) = (one_field("customers", "phone"), one_field("customers", "last_name"));
    snapshot_without(&snapshot, |item| phone(item) || last(item));
    let approvals = tmp.path().join("allow-destructive.txt");
    std::fs::write(&approvals, "# reviewed in the pull request\ncustomers.phone   moved to the contacts table\n").unwrap();
    let cfg = BootConfig { snapshot: snapshot.clone(), ..BootConfig::default() };
    let mut refused = Boot::start("approved-partly", &pg, &cfg);
    let status = refused.wait_exit(STEP);
    assert!(!status.success(), "{}", refused.log());
    assert!(
        refused.has_line(|l| l.starts_with("[schema] ERROR: the snapshot would delete field customers.last_name; refusing")
            && l.contains("add customers.last_name to allow-destructive.txt")),
        "{}",
        refused.log()
    );
    let columns = "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns \
                   WHERE table_name = 'customers' AND column_name IN ('phone', 'last_name')";
    assert_eq!(pg.psql("directus", columns), "last_name,phone", "nothing was deleted");
    drop(refused);

    // Both approved: exactly those two are deleted; the row stays.
    std::fs::write(&approvals, "customers.phone   moved to contacts\ncustomers.last_name  merged into first_name\n").unwrap();
    let mut approved = Boot::start("approved-all", &pg, &cfg);
    approved.wait_serving(SERVE);
    assert_line(&approved, "[schema] deleting field customers.last_name, field customers.phone (approved in allow-destructive.txt)");
    assert_line(&approved, "[schema] applied: 2 fields deleted");
    assert_no_line(&approved, "[schema] WARNING");
    assert_eq!(pg.psql("directus", columns), "");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM customers"), "1");
}

/// 8. The post-schema step on a database booted before db-post/ existed (db-init and
///    schema done, ledger rows as the older runner wrote them): the next boot applies
///    db-post/ after the schema step; a failing db-post file stops the boot naming it,
///    with the files before it applied (one transaction each) and Directus not started.
#[test]
fn boot_db_post_attaches_the_date_updated_trigger_on_an_existing_database() {
    let _slot = slot();
    let pg = Postgres::start();
    let none = empty_dir();
    let mut before = Boot::start("pre-db-post", &pg, &BootConfig { db_post_dir: none.path().to_path_buf(), ..BootConfig::default() });
    before.wait_serving(SERVE);
    assert_line(&before, "[db-post] 0 applied, 0 skipped");
    before.kill();
    assert!(touched_tables(&pg).is_empty(), "no trigger before db-post/ existed");
    assert!(post_ledger(&pg).is_empty());

    // db-post/ as in the repository plus a file that fails: 0001 applies, 0002 stops the boot.
    let dir = db_post_copy(&[POST_BROKEN]);
    let cfg = BootConfig { db_post_dir: dir.path().to_path_buf(), ..BootConfig::default() };
    let mut broken = Boot::start("db-post-broken", &pg, &cfg);
    let status = broken.wait_exit(SERVE);
    assert!(!status.success(), "{}", broken.log());
    assert_line(&broken, "[db-init] 0 applied, 3 skipped");
    assert_line(&broken, "[schema] no changes");
    assert_line(&broken, "[db-post] applying 0001_touch_date_updated.sql");
    assert!(
        broken.has_line(|l| l.starts_with(&format!("[db-post] ERROR: {POST_BROKEN}: ")) && l.contains("rolled back")),
        "{}",
        broken.log()
    );
    assert_line(&broken, "[entrypoint] ERROR: step 'db-post' failed (exit 1); not starting Directus");
    assert_no_line(&broken, "[entrypoint] step 4/4");
    let post: Vec<String> = post_ledger(&pg).into_iter().map(|(f, _)| f).collect();
    assert_eq!(post, ["db-post/0001_touch_date_updated.sql"]);
    assert_eq!(ledger(&pg).len(), 3, "db-init's rows unchanged");
    assert_eq!(touched_tables(&pg), DATE_UPDATED_TABLES);
    assert_update_touches_date_updated(&pg);
    drop(broken);

    // Without the failing file the boot completes; 0001 is not applied twice.
    let mut fixed = Boot::start("db-post-fixed", &pg, &BootConfig::default());
    fixed.wait_serving(SERVE);
    assert_line(&fixed, "[db-post] 0 applied, 1 skipped");
    assert!(pos(&fixed, "[schema] no changes") < pos(&fixed, "[db-post] 0 applied"), "{}", fixed.log());
    assert_eq!(post_ledger(&pg), [("db-post/0001_touch_date_updated.sql".to_string(), 1)]);
    fixed.assert_no_secrets();
}

// ---------------------------------------------------------------------------------
// The runner against hostile files: psql meta-commands are refused before anything is
// applied, and "applied" is said only once the ledger row is read back.

/// How long one run of the runner alone may take before it is killed (it takes about a
/// second; the bound only keeps a regression from hanging CI).
const RUNNER: Duration = Duration::from_secs(60);

/// A directory holding `files` (name, text), for the runner.
fn sql_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("trm-boot-hostile-").tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The tables of schema `public` of database `directus`.
fn public_tables(pg: &Postgres) -> Vec<String> {
    pg.psql("directus", "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").lines().map(String::from).collect()
}

/// Every ledger row (there may be no ledger table yet).
fn all_ledger_rows(pg: &Postgres) -> Vec<String> {
    pg.psql("directus", "SELECT file FROM trm_db_init.ledger WHERE to_regclass('trm_db_init.ledger') IS NOT NULL ORDER BY 1")
        .lines()
        .map(String::from)
        .collect()
}

/// Each file is refused before anything runs: exit 1, the file and the meta-command
/// named, no `applying` line, no table, no ledger row, nothing written in the working
/// directory.
#[test]
fn boot_runner_refuses_psql_meta_commands_and_applies_nothing() {
    let pg = Postgres::start();
    let cases: [(&str, &str, &str); 7] = [
        (
            "on_error_stop_off",
            "CREATE TABLE hostile_a (id int);\n\\set ON_ERROR_STOP off\nSELECT * FROM no_such_table;\nCREATE TABLE hostile_b (id int);\n",
            "psql meta-command \\set",
        ),
        (
            "gexec_commit",
            "CREATE TABLE hostile_a (id int);\nSELECT $q$COMMIT$q$ \\gexec\nCREATE TABLE hostile_b (id int);\nSELECT 1/0;\n",
            "psql meta-command \\gexec",
        ),
        ("connect", "CREATE TABLE hostile_a (id int);\n\\c directus\nCREATE TABLE hostile_b (id int);\nSELECT 1/0;\n", "psql meta-command \\c"),
        ("shell", "CREATE TABLE hostile_a (id int);\n\\! id > pwned.txt\n", "psql meta-command \\!"),
        ("include", "CREATE TABLE hostile_a (id int);\n\\i /etc/passwd\n", "psql meta-command \\i"),
        ("echo_backquote", "CREATE TABLE hostile_a (id int);\n\\echo `id > pwned.txt`\n", "with a backquote or another backslash"),
        (
            // With standard_conforming_strings off the first string swallows the second's
            // opening quote, and `\! ...` is outside any string.
            "scs_off",
            "SET standard_conforming_strings = off;\nCREATE TABLE hostile_a (x text DEFAULT 'a\\' '\\! id > pwned.txt ');\n",
            "a backslash right before the closing quote",
        ),
    ];
    for (name, sql, said) in cases {
        let file = format!("0001_{name}.sql");
        let dir = sql_dir(&[(&file, sql)]);
        let cwd = tempfile::tempdir().unwrap();
        let run = run_sql_step(&pg, "db-init", dir.path(), cwd.path(), RUNNER);
        assert_eq!(run.code, Some(1), "{name}: {}", run.output);
        assert!(run.output.contains(&format!("[db-init] ERROR: {file}: line ")), "{name}: {}", run.output);
        assert!(run.output.contains(said), "{name}: expected {said:?} in\n{}", run.output);
        assert!(run.output.contains("refused, nothing was applied"), "{name}: {}", run.output);
        assert!(!run.output.contains("applying"), "{name}: {}", run.output);
        assert_eq!(public_tables(&pg), Vec::<String>::new(), "{name}: {}", run.output);
        assert_eq!(all_ledger_rows(&pg), Vec::<String>::new(), "{name}");
        assert!(!cwd.path().join("pwned.txt").exists(), "{name}: a shell command ran");
    }
    // db-post is the same runner.
    let dir = sql_dir(&[("0001_shell.sql", "SELECT 1;\n\\! id > pwned.txt\n")]);
    let cwd = tempfile::tempdir().unwrap();
    let run = run_sql_step(&pg, "db-post", dir.path(), cwd.path(), RUNNER);
    assert_eq!(run.code, Some(1), "{}", run.output);
    assert!(run.output.contains("[db-post] ERROR: 0001_shell.sql: line 2, column 1: psql meta-command \\!"), "{}", run.output);
    assert!(!cwd.path().join("pwned.txt").exists());
}

/// What is not a meta-command (a backslash in a string, a comment, a dollar quote or an
/// E'' escape; `\;`) and the allowed printing commands run as usual.
#[test]
fn boot_runner_applies_backslashes_that_are_not_meta_commands() {
    let pg = Postgres::start();
    let sql = "-- a comment: \\c elsewhere\n/* and \\! here */\n\\echo creating the table\n\
               CREATE TABLE plain (a text DEFAULT 'C:\\path', b text DEFAULT E'it\\'s', c text DEFAULT $x$ \\gexec $x$);\n\
               SELECT 1 \\; SELECT 2;\n\\warn done\n";
    // COPY … FROM stdin data (as pg_dump writes it): `\N` and `\\` are data, `\.` ends it.
    let copy = "CREATE TABLE seeded (a int, b text);\nCOPY seeded (a, b) FROM stdin;\n1\t\\N\n2\tC:\\\\x\n\\.\nSELECT 1;\n";
    let dir = sql_dir(&[("0001_backslashes.sql", sql), ("0002_copy.sql", copy)]);
    let cwd = tempfile::tempdir().unwrap();
    let run = run_sql_step(&pg, "db-init", dir.path(), cwd.path(), RUNNER);
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert!(run.output.contains("[db-init] 2 applied, 0 skipped"), "{}", run.output);
    assert_eq!(public_tables(&pg), vec!["plain".to_string(), "seeded".to_string()]);
    assert_eq!(all_ledger_rows(&pg), vec!["0001_backslashes.sql".to_string(), "0002_copy.sql".to_string()]);
}

/// A COMMIT the runner's line check does not see (not at the start of a line) ends its
/// transaction: psql exits 0, but the ledger row is never written, so the runner fails
/// instead of saying `1 applied`.
#[test]
fn boot_runner_says_applied_only_with_its_ledger_row() {
    let pg = Postgres::start();
    let dir = sql_dir(&[("0001_commits.sql", "CREATE TABLE half (id int); COMMIT;\nCREATE TABLE other_half (id int);\n")]);
    let cwd = tempfile::tempdir().unwrap();
    let run = run_sql_step(&pg, "db-init", dir.path(), cwd.path(), RUNNER);
    assert_eq!(run.code, Some(1), "{}", run.output);
    assert!(
        run.output.contains("[db-init] ERROR: 0001_commits.sql: psql ran it without an error, but its ledger row is missing"),
        "{}",
        run.output
    );
    assert!(!run.output.contains("applied, "), "{}", run.output);
    assert_eq!(all_ledger_rows(&pg), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------
// Directus 12 (the next major, 12.4.1 from npm under TRM_DIRECTUS_NEXT_HOME): the same
// scripts, with the deployment's snapshot exported by a real 12.4.1
// (`.ci/dev/make-snapshot.sh` on it). The deployment's pin stays 11.17.4.

/// The deployment's 12 collections as a real Directus 12.4.1 exports them.
const SNAPSHOT_12: &str = "tests/fixtures/snapshots/real-12.4.1-deployment.yaml";

fn on_directus_12(snapshot: std::path::PathBuf) -> BootConfig {
    BootConfig { snapshot, directus: Some(next_major()), ..BootConfig::default() }
}

/// 9. Directus 12.4.1: a fresh database boots (db-init, bootstrap with the entitlement
///    manager, the licence manager before the apply, db-post), then the same database
///    again: `no changes`.
#[test]
fn boot_directus_12_fresh_then_warm() {
    let _slot = slot();
    let pg = Postgres::start();
    let cfg = on_directus_12(repo().join(SNAPSHOT_12));
    let version = cfg.directus.as_ref().map(|d| d.version.clone()).unwrap_or_default();
    let mut fresh = Boot::start("fresh-12", &pg, &cfg);
    let secs = fresh.wait_serving(SERVE);
    eprintln!("[boot-test] fresh on Directus {version}: serving after {secs:.1}s");
    assert_line(&fresh, "[db-init] 3 applied, 0 skipped");
    assert!(fresh.has_line(|l| l.starts_with("[schema] applied: 12 collections created")), "{}", fresh.log());
    assert_line(&fresh, "[db-post] 1 applied, 0 skipped");
    let list = sql_list(&COLLECTIONS);
    // Directus 12's own columns exist and the snapshot's collections are active
    let active = pg.psql("directus", &format!("SELECT count(*) FROM directus_collections WHERE status = 'active' AND collection IN ({list})"));
    assert_eq!(active, "12", "directus_collections rows (status active) for the 12 collections");
    let tables = pg.psql(
        "directus",
        &format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ({list})"),
    );
    assert_eq!(tables, "12");
    let latest = pg.psql("directus", "SELECT max(version) FROM directus_migrations");
    assert!(latest.starts_with("20260909A"), "Directus 12.4.1's last migration ran: {latest}");
    assert_eq!(touched_tables(&pg), DATE_UPDATED_TABLES);
    fresh.assert_no_secrets();
    fresh.kill();

    let mut warm = Boot::start("warm-12", &pg, &cfg);
    let secs = warm.wait_serving(SERVE);
    eprintln!("[boot-test] warm on Directus {version}: serving after {secs:.1}s");
    assert_line(&warm, "[db-init] 0 applied, 3 skipped");
    assert_line(&warm, "[schema] no changes");
    assert_line(&warm, "[db-post] 0 applied, 1 skipped");
    assert_no_line(&warm, "[schema] applied");
    warm.assert_no_secrets();
}

/// A 12.4.1 snapshot with `extra` copies of the `countries` collection (its fields
/// included, renamed core_01, core_02, …), as a real export of them would read.
fn snapshot_12_with_copies(out: &std::path::Path, extra: usize) {
    let text = std::fs::read_to_string(repo().join(SNAPSHOT_12)).expect("read the 12.4.1 snapshot");
    let mut sections: Vec<(String, Vec<Vec<String>>)> = Vec::new(); // (header line, items)
    let mut head: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && !line.starts_with('-') {
            if line.ends_with(':') && matches!(line, "collections:" | "fields:" | "systemFields:" | "relations:") {
                sections.push((line.to_string(), Vec::new()));
            } else if sections.is_empty() {
                head.push(line.to_string());
            } else {
                sections.push((line.to_string(), Vec::new()));
            }
            continue;
        }
        let Some((_, items)) = sections.last_mut() else { panic!("unexpected line {line:?}") };
        if line.starts_with("  - ") {
            items.push(vec![line.to_string()]);
        } else {
            items.last_mut().expect("item").push(line.to_string());
        }
    }
    let mut outtext = head.join("\n") + "\n";
    for (header, items) in &sections {
        outtext.push_str(header);
        outtext.push('\n');
        let mut copies = Vec::new();
        for item in items {
            let is_countries = item[0] == "  - collection: countries";
            let related = item.iter().any(|l| l.trim() == "related_collection: countries");
            if is_countries && !related && (header == "collections:" || header == "fields:") {
                for n in 1..=extra {
                    let name = format!("core_{n:02}");
                    copies.push(
                        item.iter()
                            .map(|l| l.replace(": countries", &format!(": {name}")).replace("countries_", &format!("{name}_")))
                            .collect::<Vec<_>>(),
                    );
                }
            }
            for l in item {
                outtext.push_str(l);
                outtext.push('\n');
            }
        }
        for c in copies {
            for l in c {
                outtext.push_str(&l);
                outtext.push('\n');
            }
        }
    }
    std::fs::write(out, outtext).expect("write the snapshot");
}

/// 10. Directus 12.4.1 without LICENSE_KEY runs the Core tier (25 collections): a
///     30-collection snapshot fails the schema step naming the limit and LICENSE_KEY,
///     and nothing of the snapshot is applied.
#[test]
fn boot_directus_12_core_tier_refuses_30_collections_and_applies_nothing() {
    let _slot = slot();
    let pg = Postgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = tmp.path().join("snapshot-30-collections.yaml");
    snapshot_12_with_copies(&snapshot, 18);
    let mut boot = Boot::start("core-tier-12", &pg, &on_directus_12(snapshot));
    let st = boot.wait_exit(STEP + SERVE);
    assert!(!st.success(), "a 30-collection snapshot must stop the boot on the Core tier\n{}", boot.log());
    let error = boot.wait_line("[schema] ERROR", STEP, |l| l.starts_with("[schema] ERROR: "));
    for needle in ["30 collections", "allows 25", "LICENSE_KEY", "Nothing was applied"] {
        assert!(error.contains(needle), "the error must name {needle:?}: {error}\n{}", boot.log());
    }
    assert_line(&boot, "[entrypoint] ERROR: step 'schema' failed (exit 1); not starting Directus");
    assert_no_line(&boot, "[entrypoint] step 3/4");
    // nothing of the snapshot: no table, no Directus row, for any of the 30
    let tables = pg.psql(
        "directus",
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'directus\\_%'",
    );
    assert_eq!(tables, "0", "no collection table may exist after the refused schema step");
    let rows = pg.psql("directus", "SELECT count(*) FROM directus_collections");
    assert_eq!(rows, "0", "no directus_collections row may exist after the refused schema step");
    boot.assert_no_secrets();
}

/// `snapshot` with one more field, `customers.loyalty`: a copy of `customers.phone` whose
/// `schema.data_type` says `bigint` while its `type` (string) makes Directus create a
/// `character varying` column: applying it can never make the database match it.
fn snapshot_that_does_not_converge(snapshot: &str, out: &std::path::Path) {
    let text = std::fs::read_to_string(repo().join(snapshot)).expect("read the snapshot");
    let start = text.find("  - collection: customers\n    field: phone\n").expect("customers.phone in the snapshot");
    let end = start + 4 + text[start + 4..].find("\n  - ").expect("a field after customers.phone") + 1;
    let loyalty = text[start..end]
        .replace("field: phone", "field: loyalty")
        .replace("name: phone", "name: loyalty")
        .replace("data_type: character varying", "data_type: bigint")
        .replace("sort: 5", "sort: 50");
    assert!(loyalty.contains("data_type: bigint"), "{loyalty}");
    std::fs::write(out, format!("{}{loyalty}{}", &text[..end], &text[end..])).expect("write the snapshot");
}

/// 11. A snapshot that does not converge (after the apply, Directus still plans a change):
///     the boot fails naming what still differs, and the apply, its check and the history
///     row are one transaction: the database keeps the schema it had (no new column, no
///     `schema_history` row), on the pin and on Directus 12; the next boot with the
///     repository's snapshot finds no changes.
#[test]
fn boot_a_snapshot_that_does_not_converge_applies_nothing() {
    let _slot = slot();
    for (name, snapshot, directus) in
        [("11", "snapshots/snapshot.yaml", None), ("12", SNAPSHOT_12, Some(next_major()))]
    {
        let pg = Postgres::start();
        let good = BootConfig { snapshot: repo().join(snapshot), directus: directus.clone(), ..BootConfig::default() };
        let mut first = Boot::start(&format!("converge-first-{name}"), &pg, &good);
        first.wait_serving(SERVE);
        first.kill();
        let history = "SELECT count(*) FROM trm_db_init.schema_history";
        let rows_before = pg.psql("directus", history);

        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("snapshot.yaml");
        snapshot_that_does_not_converge(snapshot, &bad);
        let cfg = BootConfig { snapshot: bad, directus: directus.clone(), ..BootConfig::default() };
        let mut boot = Boot::start(&format!("converge-{name}"), &pg, &cfg);
        let status = boot.wait_exit(STEP);
        assert!(!status.success(), "{}", boot.log());
        assert!(
            boot.has_line(|l| l.starts_with("[schema] ERROR: the snapshot does not converge: after applying it, still to change:")
                && l.contains("customers.loyalty")
                && l.ends_with("nothing was applied (one transaction)")),
            "{}",
            boot.log()
        );
        assert_line(&boot, "[entrypoint] ERROR: step 'schema' failed (exit 1); not starting Directus");
        let column = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'loyalty'";
        assert_eq!(pg.psql("directus", column), "0", "Directus {name}: the column was rolled back\n{}", boot.log());
        assert_eq!(pg.psql("directus", "SELECT count(*) FROM directus_fields WHERE field = 'loyalty'"), "0");
        assert_eq!(pg.psql("directus", history), rows_before, "no schema_history row for a snapshot that was not applied");
        drop(boot);

        let mut again = Boot::start(&format!("converge-again-{name}"), &pg, &good);
        again.wait_serving(SERVE);
        assert_line(&again, "[schema] no changes");
    }
}
