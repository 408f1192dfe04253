//! `trm-ci lint --postgres URL` against a real PostgreSQL server.
//!
//! The tests start their own server once (initdb + pg_ctl as the `postgres`
//! user, in a temporary directory, on a free loopback port, password
//! authentication over TCP) and give each test its own database. They FAIL
//! when initdb, pg_ctl or psql are missing: the replay is the authoritative
//! check and must not silently go untested. A watchdog stops the server and
//! removes its directory when the test process exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use trm_ci::linter;

const PASSWORD: &str = "s3cret-Pw_for-trm";

struct Server {
    port: u16,
}

fn which(prog: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(prog)).find(|p| p.is_file())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        for p in ["initdb", "pg_ctl", "psql", "runuser"] {
            assert!(which(p).is_some(), "`{p}` is not on PATH: the pg_ tests need PostgreSQL 15 (Debian: postgresql-15, postgresql-client-15)");
        }
        let dir = std::env::temp_dir().join(format!("trm-ci-pgreplay-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        run(Command::new("chown").arg("-R").arg("postgres:").arg(&dir));
        let data = dir.join("data");
        run(Command::new("runuser")
            .args(["-u", "postgres", "--", "initdb", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .arg("-D")
            .arg(&data));
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = format!("-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off", dir.display());
        run(Command::new("runuser")
            .args(["-u", "postgres", "--", "pg_ctl", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .arg("-o")
            .arg(&opts)
            .arg("start"));
        // Watchdog: when this test process is gone, stop the server and clean up.
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; runuser -u postgres -- pg_ctl -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = data.display(),
            dir = dir.display()
        );
        Command::new("setsid").args(["sh", "-c", &script]).spawn().expect("watchdog");
        Server { port }
    })
}

/// A fresh database for one test; returns its URL (with the password).
fn database(name: &str) -> String {
    let s = server();
    run(Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(format!("postgresql://postgres@127.0.0.1:{}/postgres", s.port))
        .env("PGPASSWORD", PASSWORD)
        .arg("-c")
        .arg(format!("CREATE DATABASE {name}")));
    format!("postgresql://postgres:{PASSWORD}@127.0.0.1:{}/{name}", s.port)
}

fn psql_query(url: &str, sql: &str) -> String {
    let (u, pw) = trm_ci::pgreplay::split_password(url);
    run(Command::new("psql").args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", &u, "-c", sql]).env("PGPASSWORD", pw.unwrap_or_default()))
        .trim()
        .to_string()
}

/// A repository with these migrations (no git: base rules are skipped).
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db-init");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    tmp
}

fn replay(repo: &Path, url: &str) -> Result<Vec<trm_ci::finding::Finding>, String> {
    linter::run(&linter::Options { repo: repo.to_path_buf(), postgres: Some(url.to_string()), ..Default::default() })
        .map(|(r, _)| r.findings.into_iter().filter(|f| f.rule == "migrations/postgres-error").collect())
}

#[test]
fn pg_good_migrations_replay_cleanly_and_are_rolled_back() {
    let url = database("good");
    let r = repo(&[
        ("0001_init.sql", "CREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE app.notes (id bigint PRIMARY KEY);\n"),
        (
            "0002_body.sql",
            "ALTER TABLE app.notes ADD COLUMN body text;\nCREATE FUNCTION app.f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;\n",
        ),
        ("0003_index.sql", "\\echo indexing\nCREATE INDEX notes_body_idx ON app.notes (body);\n"),
    ]);
    let findings = replay(r.path(), &url).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(psql_query(&url, "SELECT coalesce(to_regclass('app.notes')::text, 'gone')"), "gone", "the replay must be rolled back");
}

#[test]
fn pg_an_error_is_reported_at_its_file_line_and_column() {
    let url = database("bad");
    let r = repo(&[
        ("0001_init.sql", "CREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE app.notes (id bigint PRIMARY KEY);\n"),
        ("0002_tags.sql", "-- the tags\nCREATE TABLE app.tags (\n  id bigint PRIMARY KEY,\n  name txet NOT NULL\n);\n"),
        ("0003_never.sql", "CREATE TABLE app.never (id int);\n"),
    ]);
    let findings = replay(r.path(), &url).unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.file, "db-init/0002_tags.sql");
    let s = f.span.unwrap();
    assert_eq!((s.line, s.col), (4, 8), "{f:#?}");
    assert!(f.message.contains("type \"txet\" does not exist"), "{}", f.message);
    assert_eq!(psql_query(&url, "SELECT coalesce(to_regclass('app.notes')::text, 'gone')"), "gone");
}

#[test]
fn pg_an_inline_ignore_silences_a_replay_finding_and_the_config_sets_its_severity() {
    let url = database("ignored");
    let failing = "CREATE TABLE app_tags (\n  id bigint PRIMARY KEY,\n  name txet NOT NULL\n);\n";
    let r = repo(&[(
        "0001_tags.sql",
        &format!("-- trm-ci: ignore=migrations/postgres-error txet is created by an extension on the real server\n{failing}"),
    )]);
    let (report, _) = linter::run(&linter::Options { repo: r.path().to_path_buf(), postgres: Some(url.clone()), ..Default::default() }).unwrap();
    let relevant: Vec<_> =
        report.findings.iter().filter(|f| f.rule == "migrations/postgres-error" || f.rule == "lint/unused-ignore").collect();
    assert!(relevant.is_empty(), "the pragma must silence the replay's finding and count as used: {relevant:#?}");

    // Without the pragma, trm-ci.toml's severity applies to the replay's finding.
    let r = repo(&[("0001_tags.sql", failing)]);
    std::fs::write(r.path().join("trm-ci.toml"), "[rules]\n\"migrations/postgres-error\" = \"warning\"\n").unwrap();
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, trm_ci::finding::Severity::Warning);
}

#[test]
fn pg_errors_without_a_position_point_at_the_statement_or_the_do_block_line() {
    let url = database("nopos");
    let r = repo(&[("0001_x.sql", "SELECT 1;\n\nALTER TABLE app.nots\n  ADD COLUMN body text;\n")]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    let s = f[0].span.unwrap();
    assert_eq!((s.line, s.end_line), (3, 4), "{:#?}", f[0]);

    let r = repo(&[("0001_x.sql", "SELECT 1;\nDO $$\nBEGIN\n  RAISE EXCEPTION 'boom %', 42;\nEND\n$$;\n")]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].span.unwrap().line, 4, "{:#?}", f[0]);
    assert!(f[0].message.contains("boom 42"));
}

#[test]
fn pg_concurrently_fails_in_the_replay_transaction_like_at_boot() {
    let url = database("conc");
    let r = repo(&[
        ("0001_init.sql", "CREATE TABLE t (id int);\n"),
        ("0002_idx.sql", "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n"),
    ]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].file.as_str(), f[0].line()), ("db-init/0002_idx.sql", 1));
    assert!(f[0].message.contains("cannot run inside a transaction block"), "{}", f[0].message);
}

#[test]
fn pg_commit_in_a_migration_refuses_the_replay() {
    let url = database("commit");
    let r = repo(&[("0001_init.sql", "CREATE TABLE t (id int);\nCOMMIT;\nCREATE TABLE u (id int);\n")]);
    let err = replay(r.path(), &url).unwrap_err();
    assert!(err.contains("db-init/0001_init.sql:2") && err.contains("COMMIT"), "{err}");
    assert_eq!(psql_query(&url, "SELECT coalesce(to_regclass('t')::text, 'none')"), "none", "nothing ran");
}

/// A pull request's psql meta-commands never run on the machine running lint:
/// a file with one is not replayed (nothing reaches the server, no shell
/// command or file write happens), and the result is not clean.
#[test]
fn pg_meta_commands_are_never_run_here_and_the_result_is_not_clean() {
    let url = database("meta");
    let out = tempfile::tempdir().unwrap();
    let pwned = out.path().join("pwned");
    let cases = [
        format!("\\! touch {}\n", pwned.display()),
        format!("SELECT 1;\n\\o {}\nSELECT 2;\n", pwned.display()),
        format!("\\echo `touch {}`\n", pwned.display()),
        "\\set ON_ERROR_STOP off\nSELECT * FROM no_such_table;\n".to_string(),
        "CREATE TABLE kept (id int);\nSELECT $q$COMMIT$q$ \\gexec\n".to_string(),
        format!("\\copy (SELECT 1) TO program 'touch {}'\n", pwned.display()),
    ];
    for (i, sql) in cases.iter().enumerate() {
        let r = repo(&[("0001_init.sql", "CREATE TABLE first (id int);\n"), ("0002_meta.sql", sql)]);
        let f = replay(r.path(), &url).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(f.len(), 1, "case {i}: {f:#?}");
        assert_eq!(f[0].file, "db-init/0002_meta.sql", "case {i}");
        assert!(f[0].message.contains("did not replay"), "case {i}: {}", f[0].message);
        assert!(!pwned.exists(), "case {i}: a meta-command ran on this machine");
        assert_eq!(psql_query(&url, "SELECT coalesce(to_regclass('first')::text, 'none') || coalesce(to_regclass('kept')::text, 'none')"), "nonenone", "case {i}");
    }
}

#[test]
fn pg_the_password_is_never_printed() {
    let s = server();
    let r = repo(&[("0001_init.sql", "CREATE TABLE t (id int);\n")]);
    let wrong = "Wr0ng-pa55word";
    let url = format!("postgresql://postgres:{wrong}@127.0.0.1:{}/postgres", s.port);
    let err = replay(r.path(), &url).unwrap_err();
    assert!(!err.contains(wrong), "{err}");
    assert!(err.contains("password authentication failed"), "{err}");

    // The right password, and an error whose text echoes it back.
    let url = database("echo");
    let r = repo(&[("0001_init.sql", &format!("SELECT 1/0 AS \"{PASSWORD}\";\nDO $$ BEGIN RAISE EXCEPTION '{PASSWORD}'; END $$;\n"))]);
    let f = replay(r.path(), &url).unwrap();
    let all = format!("{f:?}");
    assert!(!all.contains(PASSWORD), "{all}");
    assert!(!f.is_empty());
}

#[test]
fn pg_missing_psql_is_a_clear_error() {
    // No server needed, but the name keeps it with the other replay tests.
    let r = repo(&[("0001_init.sql", "CREATE TABLE t (id int);\n")]);
    let files = trm_ci::repo::from_worktree(r.path(), &Default::default()).unwrap();
    let head = trm_ci::model::Project::parse(files, &Default::default());
    let err = trm_ci::pgreplay::replay_with(&head, "postgresql://u:pw@127.0.0.1:1/db", &Default::default(), Path::new("/nonexistent/psql"))
        .unwrap_err();
    assert!(err.contains("needs") && err.contains("psql") && !err.contains("pw@"), "{err}");
}

/// The corpus of tests/sql_corpus.rs is valid PostgreSQL 15: every file runs
/// (autocommit: 04 holds statements that cannot run in a transaction).
#[test]
fn pg_sql_corpus_is_valid_postgres() {
    let url = database("corpus");
    let (u, pw) = trm_ci::pgreplay::split_password(&url);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "sql")) {
        run(Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &u, "-f"])
            .arg(f)
            .current_dir(&dir)
            .env("PGPASSWORD", pw.clone().unwrap_or_default())
            .env("PGOPTIONS", "-c client_min_messages=warning"));
    }
}

/// This repository's own migrations replay cleanly.
#[test]
fn pg_this_repositorys_migrations_replay_cleanly() {
    let url = database("own");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = repo(&[]);
    for e in std::fs::read_dir(root.join("db-init")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, r.path().join("db-init").join(p.file_name().unwrap())).unwrap();
    }
    let f = replay(r.path(), &url).unwrap();
    assert!(f.is_empty(), "{f:#?}");
}

/// The rule fixtures of `migrations/postgres-error` (tests/rules.rs leaves
/// them to this file, which has a server): fail/ reports, pass/ does not.
#[test]
fn pg_postgres_error_rule_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/migrations/postgres-error");
    let fail = replay(&dir.join("fail"), &database("rule_fail")).unwrap();
    assert!(!fail.is_empty(), "fail/ fixture produced no migrations/postgres-error finding");
    let rendered: String = fail
        .iter()
        .map(|f| {
            let s = f.span.expect("replay findings have a position");
            format!("{}:{}:{}-{}:{} {} {}\n  help: {}\n", f.file, s.line, s.col, s.end_line, s.end_col, f.severity.as_str(), f.message, f.help)
        })
        .collect();
    insta::assert_snapshot!("rules__migrations__postgres-error", rendered);
    let pass = replay(&dir.join("pass"), &database("rule_pass")).unwrap();
    assert!(pass.is_empty(), "pass/ fixture produced {pass:#?}");
}

/// What migrations/transaction-control says about DO blocks and procedures, on the
/// server: COMMIT in a DO block and a CALL of a committing procedure fail inside a
/// transaction with `invalid transaction termination`; defining that procedure does not.
#[test]
fn pg_commit_in_a_do_block_or_a_called_procedure_fails_in_a_transaction() {
    let url = database("docommit");
    let r = repo(&[("0001_do.sql", "CREATE TABLE t (id int);\nDO $$\nBEGIN\n  INSERT INTO t VALUES (1);\n  COMMIT;\nEND $$;\n")]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("invalid transaction termination"), "{}", f[0].message);
    let (lint, _) = linter::run(&linter::Options { repo: r.path().to_path_buf(), ..Default::default() }).unwrap();
    let tc: Vec<_> = lint.findings.iter().filter(|f| f.rule == "migrations/transaction-control").collect();
    assert_eq!(tc.len(), 1, "{tc:#?}");
    assert_eq!(tc[0].line(), 5);

    let url = database("proccommit");
    let define = "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$\nBEGIN\n  COMMIT;\nEND $$;\n";
    let r = repo(&[("0001_proc.sql", define)]);
    assert!(replay(r.path(), &url).unwrap().is_empty(), "defining it inside a transaction works");
    let r = repo(&[("0001_proc.sql", define), ("0002_call.sql", "CALL p();\n")]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].file, "db-init/0002_call.sql");
    assert!(f[0].message.contains("invalid transaction termination"), "{}", f[0].message);
}

/// What migrations/references-snapshot-table says: before the schema step the
/// snapshot's tables do not exist, so db-init's ALTER fails; with IF EXISTS it is skipped.
#[test]
fn pg_db_init_cannot_alter_a_table_the_schema_step_creates_later() {
    let url = database("beforeschema");
    let r = repo(&[("0001_legacy.sql", "ALTER TABLE public.customers ADD COLUMN legacy_code text;\n")]);
    let f = replay(r.path(), &url).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("relation \"public.customers\" does not exist"), "{}", f[0].message);
    let r = repo(&[("0001_legacy.sql", "ALTER TABLE IF EXISTS public.customers ADD COLUMN legacy_code text;\n")]);
    assert!(replay(r.path(), &url).unwrap().is_empty(), "IF EXISTS: a notice, nothing done");
}

/// psql that may fail: (success, stdout + stderr), for the server's own words.
fn psql_try(url: &str, sql: &str) -> (bool, String) {
    let (u, pw) = trm_ci::pgreplay::split_password(url);
    let out = Command::new("psql")
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", &u, "-c", sql])
        .env("PGPASSWORD", pw.unwrap_or_default())
        .output()
        .expect("psql");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The live-database rules (`migrations/not-null-without-default`, `column-type-change`,
/// `constraint-not-valid`, `index-not-concurrent`, `set-not-null`, `volatile-default`) say what
/// PostgreSQL does to a table that holds rows: each claim checked on a real server (the locks a
/// statement holds from pg_locks inside its transaction, a rewrite from the relfilenode), and the
/// same statements linted as a migration report each rule.
#[test]
fn pg_live_database_rules_say_what_postgres_does() {
    let url = database("live");
    psql_query(
        &url,
        "CREATE SCHEMA app; CREATE TABLE app.authors (id int PRIMARY KEY); INSERT INTO app.authors VALUES (1);
         CREATE TABLE app.notes (id int PRIMARY KEY, author int, status varchar(20), body text);
         INSERT INTO app.notes SELECT g, 1, 'draft', 'x' FROM generate_series(1, 100) g;",
    );
    let node = || psql_query(&url, "SELECT relfilenode FROM pg_class WHERE oid = 'app.notes'::regclass");
    // The lock modes `stmt` holds on `table` until its transaction ends.
    let locks = |stmt: &str, table: &str| {
        psql_query(
            &url,
            &format!(
                "BEGIN; {stmt}; SELECT string_agg(mode, ',' ORDER BY mode) FROM pg_locks WHERE relation = '{table}'::regclass AND pid = pg_backend_pid(); ROLLBACK;"
            ),
        )
    };

    // not-null-without-default: fails on a table with rows; with a default it does not.
    let (ok, out) = psql_try(&url, "ALTER TABLE app.notes ADD COLUMN note text NOT NULL");
    assert!(!ok && out.contains("contains null values"), "{out}");
    let (ok, out) = psql_try(&url, "BEGIN; ALTER TABLE app.notes ADD COLUMN note text NOT NULL DEFAULT ''; ROLLBACK;");
    assert!(ok, "{out}");

    // column-type-change: ACCESS EXCLUSIVE, and a rewrite (int -> bigint).
    assert!(locks("ALTER TABLE app.notes ALTER COLUMN status TYPE varchar(8)", "app.notes").contains("AccessExclusiveLock"));
    let before = node();
    psql_query(&url, "ALTER TABLE app.notes ALTER COLUMN author TYPE bigint");
    assert_ne!(node(), before, "ALTER COLUMN … TYPE bigint rewrote the table");

    // constraint-not-valid: a CHECK takes ACCESS EXCLUSIVE, a foreign key SHARE ROW EXCLUSIVE on
    // both tables; VALIDATE CONSTRAINT only SHARE UPDATE EXCLUSIVE.
    assert!(locks("ALTER TABLE app.notes ADD CONSTRAINT notes_len CHECK (length(body) < 100)", "app.notes").contains("AccessExclusiveLock"));
    let fk = "ALTER TABLE app.notes ADD CONSTRAINT notes_author_fk FOREIGN KEY (author) REFERENCES app.authors (id)";
    assert!(locks(fk, "app.notes").contains("ShareRowExclusiveLock"));
    assert!(locks(fk, "app.authors").contains("ShareRowExclusiveLock"));
    psql_query(&url, &format!("{fk} NOT VALID"));
    // (plus ACCESS SHARE for its scan): neither blocks writes
    let v = locks("ALTER TABLE app.notes VALIDATE CONSTRAINT notes_author_fk", "app.notes");
    assert!(v.contains("ShareUpdateExclusiveLock") && v.split(',').all(|m| m == "ShareUpdateExclusiveLock" || m == "AccessShareLock"), "{v}");

    // index-not-concurrent: a plain CREATE INDEX holds SHARE (blocks writes, not reads); CONCURRENTLY
    // cannot run in the runner's transaction.
    assert_eq!(locks("CREATE INDEX notes_status_idx ON app.notes (status)", "app.notes"), "ShareLock");
    let (ok, out) = psql_try(&url, "BEGIN; CREATE INDEX CONCURRENTLY notes_status_idx ON app.notes (status); COMMIT;");
    assert!(!ok && out.contains("cannot run inside a transaction block"), "{out}");

    // set-not-null: ACCESS EXCLUSIVE and a scan ("verifying table"), unless a validated CHECK proves it.
    let debug = |stmt: &str| psql_try(&url, &format!("SET client_min_messages = debug1; BEGIN; {stmt}; ROLLBACK;")).1;
    assert!(locks("ALTER TABLE app.notes ALTER COLUMN body SET NOT NULL", "app.notes").contains("AccessExclusiveLock"));
    assert!(debug("ALTER TABLE app.notes ALTER COLUMN body SET NOT NULL").contains("verifying table \"notes\""));
    psql_query(&url, "ALTER TABLE app.notes ADD CONSTRAINT notes_body_nn CHECK (body IS NOT NULL) NOT VALID");
    psql_query(&url, "ALTER TABLE app.notes VALIDATE CONSTRAINT notes_body_nn");
    let proven = debug("ALTER TABLE app.notes ALTER COLUMN body SET NOT NULL");
    assert!(proven.contains("are sufficient to prove that it does not contain nulls") && !proven.contains("verifying table"), "{proven}");

    // volatile-default: a volatile default rewrites the table, a stable one does not.
    let before = node();
    psql_query(&url, "ALTER TABLE app.notes ADD COLUMN created timestamptz DEFAULT now()");
    assert_eq!(node(), before, "a stable default is stored once, no rewrite");
    psql_query(&url, "ALTER TABLE app.notes ADD COLUMN token uuid DEFAULT gen_random_uuid()");
    assert_ne!(node(), before, "a volatile default rewrote the table");

    // The same statements as a migration: each rule reports its statement.
    let sql = "ALTER TABLE app.notes ADD COLUMN note text NOT NULL;
ALTER TABLE app.notes ALTER COLUMN status TYPE varchar(8);
ALTER TABLE app.notes ADD CONSTRAINT notes_len CHECK (length(body) < 100);
CREATE INDEX notes_status_idx ON app.notes (status);
ALTER TABLE app.notes ALTER COLUMN body SET NOT NULL;
ALTER TABLE app.notes ADD COLUMN token uuid DEFAULT gen_random_uuid();
";
    let r = repo(&[("0001_live.sql", sql)]);
    let (report, _) = linter::run(&linter::Options { repo: r.path().to_path_buf(), ..Default::default() }).unwrap();
    let lines: Vec<(String, u32)> = report
        .findings
        .iter()
        .filter(|f| !f.rule.starts_with("lint/") && f.rule != "migrations/gap-in-sequence")
        .map(|f| (f.rule.clone(), f.span.map(|s| s.line).unwrap_or(0)))
        .collect();
    for (rule, line) in [
        ("migrations/not-null-without-default", 1),
        ("migrations/column-type-change", 2),
        ("migrations/constraint-not-valid", 3),
        ("migrations/index-not-concurrent", 4),
        ("migrations/set-not-null", 5),
        ("migrations/volatile-default", 6),
    ] {
        assert!(lines.contains(&(rule.to_string(), line)), "{rule} at line {line}: {lines:?}");
    }
}
