//! End-to-end tests of the `trm-ci` binary: exit codes, commands, options,
//! the hook, configuration errors, and hostile files. The repositories are
//! built here in temp dirs; where a deterministic result is needed, a
//! trm-ci.toml turns every rule off except the one under test, so these
//! tests do not move when other rules change.

mod common;
use common::copy_tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_trm-ci");

fn trm(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        // Nothing from the outer CI may choose a base or colour for us.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_BASE_REF")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .output()
        .expect("run trm-ci");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "trm-ci {args:?} panicked:\n{stderr}");
    out
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A trm-ci.toml turning off every rule but `keep`.
fn config_only(keep: &[&str]) -> String {
    let mut s = String::from("[rules]\n");
    for r in trm_ci::rules::all() {
        if !keep.contains(&r.id) {
            s.push_str(&format!("\"{}\" = \"off\"\n", r.id));
        }
    }
    s
}

/// A temp dir (outside any git repository) holding `repo/`.
fn tmp_repo() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    (t, repo)
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .expect("git");
    assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

// ---- commands -------------------------------------------------------------

#[test]
fn rules_lists_every_rule() {
    let (_t, dir) = tmp_repo();
    let out = trm(&dir, &["rules"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for r in trm_ci::rules::all() {
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(r.id));
        let line = line.unwrap_or_else(|| panic!("{} not listed:\n{text}", r.id));
        assert!(line.contains(r.severity.as_str()) && line.contains(r.summary), "{line}");
    }
    assert_eq!(text.lines().count(), trm_ci::rules::all().len());
}

#[test]
fn explain_prints_each_rules_doc() {
    let (_t, dir) = tmp_repo();
    for r in trm_ci::rules::all() {
        let out = trm(&dir, &["explain", r.id]);
        assert_eq!(code(&out), 0, "{}", r.id);
        let text = stdout(&out);
        assert!(text.starts_with(&format!("# {}\n", r.id)), "{text}");
        for section in ["## What it does", "## Why is this bad?", "## Example", "## Use instead"] {
            assert!(text.contains(section), "{}: no {section}", r.id);
        }
    }
}

#[test]
fn explain_unknown_rule_exits_2() {
    let (_t, dir) = tmp_repo();
    let out = trm(&dir, &["explain", "migrations/no-such-rule"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown rule `migrations/no-such-rule`"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let (_t, dir) = tmp_repo();
    assert_eq!(code(&trm(&dir, &["lint", "--format", "xml"])), 2);
    assert_eq!(code(&trm(&dir, &["no-such-command"])), 2);
    assert_eq!(code(&trm(&dir, &["lint", "--help"])), 0);
    assert_eq!(code(&trm(&dir, &["--version"])), 0);
}

// ---- lint: exit codes and formats ----------------------------------------

/// A repository whose only enabled rule is lint/unreadable-file, with one
/// binary migration (an error) unless `clean`.
fn unreadable_repo(clean: bool) -> (tempfile::TempDir, PathBuf) {
    let (t, repo) = tmp_repo();
    write(&repo.join("trm-ci.toml"), config_only(&["lint/unreadable-file"]));
    write(&repo.join("db-init/0001_init.sql"), "CREATE TABLE t (id int);\n");
    if !clean {
        write(&repo.join("db-init/0002_blob.sql"), b"\x00\x01binary");
    }
    (t, repo)
}

#[test]
fn lint_exits_0_without_errors_and_1_with_one() {
    let (_t, clean) = unreadable_repo(true);
    let out = trm(&clean, &["lint"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).ends_with("0 errors, 0 warnings in 1 file\n"), "{}", stdout(&out));

    let (_t, dirty) = unreadable_repo(false);
    let out = trm(&dirty, &["lint"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("lint/unreadable-file") && text.contains("db-init/0002_blob.sql"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when stdout is not a terminal:\n{text}");
    // Not a git repository: base rules skipped, with a note on stderr.
    assert!(stderr(&out).contains("note: not a git repository"), "{}", stderr(&out));

    // --repo from elsewhere gives the same answer.
    let parent = dirty.parent().unwrap();
    assert_eq!(code(&trm(parent, &["lint", "--repo", "repo"])), 1);
}

#[test]
fn warnings_alone_exit_0() {
    let (_t, repo) = unreadable_repo(false);
    let mut cfg = config_only(&["lint/unreadable-file"]);
    cfg.push_str("\"lint/unreadable-file\" = \"warning\"\n");
    write(&repo.join("trm-ci.toml"), cfg);
    let out = trm(&repo, &["lint"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("0 errors, 1 warning in 2 files"), "{}", stdout(&out));
}

#[test]
fn every_format_renders_the_finding() {
    let (_t, repo) = unreadable_repo(false);
    let json = trm(&repo, &["lint", "--format", "json"]);
    assert_eq!(code(&json), 1);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["files_checked"], 2);
    assert_eq!(v["findings"][0]["rule"], "lint/unreadable-file");
    assert_eq!(v["findings"][0]["file"], "db-init/0002_blob.sql");
    assert!(v["notes"][0].as_str().unwrap().contains("not a git repository"));

    let sarif = trm(&repo, &["lint", "--format", "sarif"]);
    assert_eq!(code(&sarif), 1);
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF on stdout");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "lint/unreadable-file");

    let gh = trm(&repo, &["lint", "--format", "github"]);
    assert_eq!(code(&gh), 1);
    assert!(stdout(&gh).lines().any(|l| l.starts_with("::error file=db-init/0002_blob.sql,")), "{}", stdout(&gh));
}

#[test]
fn lint_json_is_the_results_document_and_reads_back() {
    let (_t, repo) = unreadable_repo(false);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let out = trm(&repo, &["lint", "--format", "json", "--base", "HEAD"]);
    assert_eq!(code(&out), 1);
    let doc: trm_ci::results::Results = serde_json::from_slice(&out.stdout).expect("the document reads back");
    assert_eq!(doc.version, trm_ci::results::VERSION);
    let head = doc.head.as_deref().expect("the head revision");
    assert!(head.len() == 40 && head.chars().all(|c| c.is_ascii_hexdigit()), "{head}");
    assert_eq!(doc.base_revision.as_deref(), Some(head), "--base HEAD is the head commit");
    assert!(doc.base.as_deref().is_some_and(|b| b.starts_with("HEAD (")), "{:?}", doc.base);
    assert_eq!(doc.repository.as_deref().map(Path::new), Some(repo.canonicalize().unwrap().as_path()));
    let lint = doc.lint.as_ref().expect("the lint stage");
    assert_eq!(lint.summary.errors, 1);
    assert_eq!(lint.findings[0].rule, "lint/unreadable-file");
    assert_eq!(lint.findings[0].file, "db-init/0002_blob.sql");
    assert_eq!(doc.stages.len(), 1);
    assert_eq!(doc.stages[0].name, trm_ci::results::StageName::Lint);
    assert!(!doc.stages[0].ok);
    assert!(doc.build.is_none() && doc.smoke.is_none() && doc.upgrade.is_none());
    // Written again, it is the same document.
    let again = trm_ci::render::json::render(&doc);
    assert_eq!(again, stdout(&out));
}

#[test]
fn output_writes_the_file_and_nothing_on_stdout() {
    let (_t, repo) = unreadable_repo(false);
    let out = trm(&repo, &["lint", "--format", "json", "--output", "out/report.json"]);
    // The directory does not exist: an environment error, exit 2.
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));

    let out = trm(&repo, &["lint", "--format", "json", "--output", "report.json"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(repo.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["summary"]["errors"], 1);
    // The notes still reach the user.
    assert!(stderr(&out).contains("note: not a git repository"));
}

#[test]
fn path_arguments_limit_the_findings() {
    let (_t, repo) = unreadable_repo(false);
    write(&repo.join("db-init/0003_blob.sql"), b"\x00also binary");
    let files = |o: &Output| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["findings"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap().to_string()).collect()
    };
    let all = trm(&repo, &["lint", "--format", "json"]);
    assert_eq!(files(&all), ["db-init/0002_blob.sql", "db-init/0003_blob.sql"]);

    for arg in ["db-init/0003_blob.sql", "./db-init/0003_blob.sql"] {
        let one = trm(&repo, &["lint", "--format", "json", arg]);
        assert_eq!(code(&one), 1);
        assert_eq!(files(&one), ["db-init/0003_blob.sql"], "{arg}");
    }
    let abs = repo.join("db-init/0002_blob.sql");
    assert_eq!(files(&trm(&repo, &["lint", "--format", "json", abs.to_str().unwrap()])), ["db-init/0002_blob.sql"]);
    // A directory selects everything below it.
    assert_eq!(files(&trm(&repo, &["lint", "--format", "json", "db-init/"])).len(), 2);
    // A clean file: nothing to report, exit 0.
    let clean = trm(&repo, &["lint", "db-init/0001_init.sql"]);
    assert_eq!(code(&clean), 0, "{}", stdout(&clean));
}

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    let (_t, repo) = tmp_repo();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo.join("trm-ci.toml"), config_only(&["lint/unreadable-file"]));
    write(&repo.join("db-init/0001_init.sql"), "CREATE TABLE t (id int);\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "init"]);

    // Staged: a binary file. Work tree: fixed, not yet staged.
    write(&repo.join("db-init/0002_seed.sql"), b"\x00binary");
    git(&repo, &["add", "db-init/0002_seed.sql"]);
    write(&repo.join("db-init/0002_seed.sql"), "INSERT INTO t VALUES (1);\n");
    assert_eq!(code(&trm(&repo, &["lint"])), 0);
    let staged = trm(&repo, &["lint", "--staged"]);
    assert_eq!(code(&staged), 1, "{}", stdout(&staged));
    assert!(stdout(&staged).contains("db-init/0002_seed.sql"));

    // The other way round: staged text, broken work tree.
    git(&repo, &["add", "db-init/0002_seed.sql"]);
    write(&repo.join("db-init/0002_seed.sql"), b"\xff\xfe");
    assert_eq!(code(&trm(&repo, &["lint", "--staged"])), 0);
    assert_eq!(code(&trm(&repo, &["lint"])), 1);
}

#[test]
fn staged_outside_a_repository_exits_2() {
    let (_t, repo) = unreadable_repo(true);
    let out = trm(&repo, &["lint", "--staged"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not inside a git repository"), "{}", stderr(&out));
}

#[test]
fn base_outside_a_repository_exits_2() {
    let (_t, repo) = unreadable_repo(true);
    let out = trm(&repo, &["lint", "--base", "main"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--base main") && stderr(&out).contains("not inside a git repository"), "{}", stderr(&out));
}

#[test]
fn unknown_base_exits_2() {
    let (_t, repo) = unreadable_repo(true);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    let out = trm(&repo, &["lint", "--base", "no-such-branch"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-branch"), "{}", stderr(&out));
    assert_eq!(code(&trm(&repo, &["lint", "--base", "HEAD"])), 0);
}

#[test]
fn bad_config_exits_2_with_file_line_col() {
    let (_t, repo) = unreadable_repo(true);
    write(&repo.join("trm-ci.toml"), "[rules]\n\"migrations/destructive\" = \"loud\"\n");
    let out = trm(&repo, &["lint"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    let at = err.find("trm-ci.toml:").unwrap_or_else(|| panic!("no file name: {err}"));
    let pos: Vec<&str> = err[at + "trm-ci.toml:".len()..].splitn(3, ':').take(2).collect();
    assert!(pos.len() == 2 && pos.iter().all(|p| p.parse::<u32>().is_ok()), "no line:col in {err}");
    assert_eq!(pos[0], "2", "the error is on line 2: {err}");

    // An unknown rule id: at its key's line and column, not at 1:1.
    write(&repo.join("trm-ci.toml"), "[paths]\nmigrations = \"db-init\"\n\n[rules]\n  \"migrations/no-such-rule\" = \"off\"\n");
    let out = trm(&repo, &["lint"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("trm-ci.toml:5:3: [rules] names unknown rule `migrations/no-such-rule`"), "{err}");

    // Not TOML at all; and a --config that does not exist.
    write(&repo.join("trm-ci.toml"), "[rules\n");
    assert_eq!(code(&trm(&repo, &["lint"])), 2);
    write(&repo.join("trm-ci.toml"), "");
    let out = trm(&repo, &["lint", "--config", "missing.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn missing_repo_dir_exits_2() {
    let (_t, repo) = tmp_repo();
    let out = trm(&repo, &["lint", "--repo", "does/not/exist"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("does/not/exist"));
}

// ---- diff -----------------------------------------------------------------

/// A snapshot with these collections (name, is a table) and fields
/// (collection, field, type, nullable).
fn snapshot(collections: &[(&str, bool)], fields: &[(&str, &str, &str, bool)], relations: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n");
    for (c, table) in collections {
        s.push_str(&format!("  - collection: {c}\n    meta:\n      icon: box\n"));
        s.push_str(&if *table { format!("    schema:\n      name: {c}\n") } else { "    schema: null\n".to_string() });
    }
    s.push_str("fields:\n");
    for (c, f, t, nullable) in fields {
        s.push_str(&format!("  - collection: {c}\n    field: {f}\n    type: {t}\n    meta: null\n"));
        if *t == "alias" {
            s.push_str("    schema: null\n");
        } else {
            s.push_str(&format!("    schema:\n      name: {f}\n      table: {c}\n      default_value: null\n      is_nullable: {nullable}\n      is_unique: false\n      is_primary_key: false\n      has_auto_increment: false\n"));
        }
    }
    s.push_str(if relations.is_empty() { "relations: []\n" } else { "relations:\n" });
    for (c, f, target) in relations {
        s.push_str(&format!("  - collection: {c}\n    field: {f}\n    related_collection: {target}\n    meta: null\n    schema:\n      foreign_key_table: {target}\n      foreign_key_column: id\n      on_delete: SET NULL\n"));
    }
    s
}

/// A repository whose `main` has one snapshot and whose branch `feature`
/// (checked out) commits another.
fn diff_repo(base: &str, head: &str) -> (tempfile::TempDir, PathBuf) {
    let (t, repo) = tmp_repo();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo.join("snapshots/snapshot.yaml"), base);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write(&repo.join("snapshots/snapshot.yaml"), head);
    git(&repo, &["commit", "-q", "-am", "change the schema"]);
    (t, repo)
}

#[test]
fn diff_says_what_the_branch_does_to_the_schema() {
    let base = snapshot(
        &[("orders", true), ("customers", true), ("archive", true), ("tools", false)],
        &[("orders", "total", "decimal", false), ("customers", "phone", "string", true), ("archive", "x", "text", true), ("orders", "items", "alias", true)],
        &[("orders", "customer", "customers")],
    );
    let head = snapshot(
        &[("orders", true), ("customers", true), ("invoices", true)],
        &[("orders", "total", "decimal", false), ("orders", "note", "text", true), ("customers", "phone", "integer", true)],
        &[("orders", "customer", "invoices")],
    );
    let (_t, repo) = diff_repo(&base, &head);
    let out = trm(&repo, &["diff"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "collection archive removed (1 field) (destructive: drops table archive and its rows)",
            "customers.phone: type string → integer (destructive: existing values may not convert)",
            "relation orders.customer: target customers → invoices (destructive: existing values are ids of customers rows)",
            "collection tools removed (folder, no table)",
            "collection invoices added",
            "orders: field items removed (alias, no column)",
            "orders: field note added (text, nullable)",
            "",
            lines[8],
        ],
        "{text}"
    );
    assert!(lines[8].starts_with("7 changes (3 destructive) against main (merge-base "), "{text}");

    // The same with an explicit base, as JSON and as Markdown.
    let out = trm(&repo, &["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!((v["version"].as_u64(), v["summary"]["changes"].as_u64(), v["summary"]["destructive"].as_u64()), (Some(1), Some(7), Some(3)));
    assert!(v["base"].as_str().unwrap().starts_with("HEAD~1 ("), "{v}");
    let phone = v["changes"].as_array().unwrap().iter().find(|c| c["field"] == "phone").unwrap();
    assert_eq!((phone["what"]["kind"].as_str(), phone["what"]["from"].as_str(), phone["destructive"].as_bool()), (Some("type_changed"), Some("string"), Some(true)));
    let out = trm(&repo, &["diff", "--format", "markdown"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("- **destructive** `customers.phone`: type `string` → `integer`: existing values may not convert\n"), "{}", stdout(&out));

    // No change is not an error.
    let out = trm(&repo, &["diff", "--base", "HEAD"]);
    assert_eq!((code(&out), stdout(&out).starts_with("No schema changes against HEAD (")), (0, true), "{}", stdout(&out));
}

#[test]
fn diff_without_a_base_or_a_readable_snapshot_exits_2() {
    let s = snapshot(&[("orders", true)], &[], &[]);
    // Not a git repository.
    let (_t, dir) = tmp_repo();
    write(&dir.join("snapshots/snapshot.yaml"), &s);
    let out = trm(&dir, &["diff"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not inside a git repository"), "{}", stderr(&out));
    // A repository without main and without --base.
    git(&dir, &["init", "-q", "-b", "trunk"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "x"]);
    let out = trm(&dir, &["diff"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no base to compare with") && stderr(&out).contains("--base"), "{}", stderr(&out));
    assert_eq!(code(&trm(&dir, &["diff", "--base", "no-such-ref"])), 2);
    // An invalid snapshot, in the work tree and in the base.
    write(&dir.join("snapshots/snapshot.yaml"), "version: 1\ncollections:\n  - collection: 'open\n");
    let out = trm(&dir, &["diff", "--base", "HEAD"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("snapshots/snapshot.yaml:3:") && stderr(&out).contains("(in the work tree)"), "{}", stderr(&out));
    git(&dir, &["commit", "-q", "-am", "broken"]);
    write(&dir.join("snapshots/snapshot.yaml"), &s);
    let out = trm(&dir, &["diff", "--base", "HEAD"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("(in HEAD ("), "{}", stderr(&out));
    // No snapshot in the work tree.
    std::fs::remove_file(dir.join("snapshots/snapshot.yaml")).unwrap();
    let out = trm(&dir, &["diff", "--base", "HEAD"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no snapshot in the work tree"), "{}", stderr(&out));
}

// ---- hostile input: findings, never a panic ------------------------------

#[test]
fn hostile_files_give_findings_never_a_panic() {
    let (_t, repo) = tmp_repo();
    let huge = vec![b'x'; trm_ci::source::MAX_FILE_BYTES + 1];
    let mut big_sql = String::new();
    for i in 0..20_000 {
        big_sql.push_str(&format!("CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x''y');\n"));
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("Dockerfile", b"FROM \x00\x01\x02 AS \xff\n".to_vec()),
        ("snapshots/snapshot.yaml", b"version: 1\ndirectus: \xc3\x28\n".to_vec()),
        ("compose.dev.yaml", Vec::new()),
        ("entrypoint.sh", huge),
        ("scripts/empty.sh", Vec::new()),
        ("scripts/bin.sh", vec![0x7f, b'E', b'L', b'F', 0, 0, 1]),
        ("db-init/0001_empty.sql", Vec::new()),
        ("db-init/0002_bom.sql", "\u{feff}CREATE TABLE a (id int);\n".as_bytes().to_vec()),
        ("db-init/0003_latin1.sql", b"INSERT INTO t VALUES ('caf\xe9');\n".to_vec()),
        ("db-init/0004_big.sql", big_sql.into_bytes()),
        ("db-init/0005_unterminated.sql", b"SELECT $$ never closed; '\n/* and a comment".to_vec()),
        ("db-init/0006_crlf.sql", b"CREATE TABLE b (\r\n  id int\r\n);\r\nDROP TABLE b;\r\n".to_vec()),
    ];
    for (path, bytes) in &cases {
        write(&repo.join(path), bytes);
    }
    for format in ["human", "json", "sarif", "github"] {
        let out = trm(&repo, &["lint", "--format", format]);
        assert!(matches!(code(&out), 0 | 1), "{format}: exit {} {}", code(&out), stderr(&out));
        if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let unreadable: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == "lint/unreadable-file")
                .map(|f| f["file"].as_str().unwrap())
                .collect();
            for f in ["Dockerfile", "snapshots/snapshot.yaml", "entrypoint.sh", "scripts/bin.sh", "db-init/0003_latin1.sql"] {
                assert!(unreadable.contains(&f), "{f} not reported unreadable: {unreadable:?}");
            }
        }
    }
}

#[test]
fn garbage_text_in_every_artifact_never_panics() {
    // Valid UTF-8 that is nothing like the expected syntax.
    let samples: &[&str] = &[
        "\\",
        "$$",
        "$a$ $b$",
        "'",
        "\"",
        "--",
        "/*/*",
        "#",
        "\\\n\\\n",
        "<<EOF\n",
        "- - - [\n{",
        "&a [*a, *a]",
        "::::\n\t\t:",
        "é̃\u{200b}\u{feff}😀",
        "FROM\nRUN \\",
        "collections:\n  - collection: \n    fields: [",
    ];
    let (_t, repo) = tmp_repo();
    for (i, s) in samples.iter().enumerate() {
        let deep = format!("{}{}", "[".repeat(5_000), s);
        for (path, text) in [
            ("Dockerfile", s.to_string()),
            ("snapshots/snapshot.yaml", deep.clone()),
            ("compose.dev.yaml", deep),
            ("entrypoint.sh", s.to_string()),
            ("scripts/x.sh", s.to_string()),
            ("db-init/0001_x.sql", s.to_string()),
        ] {
            write(&repo.join(path), text);
        }
        let out = trm(&repo, &["lint", "--format", "json"]);
        assert!(matches!(code(&out), 0 | 1), "sample {i} {s:?}: exit {} {}", code(&out), stderr(&out));
    }
}

#[test]
fn a_deeply_nested_compose_file_is_a_finding_not_a_stack_overflow() {
    // 200,000 nested block sequences: yaml-rust2's recursive loader
    // overflowed the stack on this; the shared YAML tree stops at 128 levels.
    let (_t, repo) = tmp_repo();
    write(&repo.join("trm-ci.toml"), config_only(&["compose/invalid-yaml"]));
    write(&repo.join("compose.dev.yaml"), format!("services:\n  directus:\n    build:\n      {}x\n", "- ".repeat(200_000)));
    let out = trm(&repo, &["lint", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = &v["findings"][0];
    assert_eq!((f["rule"].as_str(), f["file"].as_str()), (Some("compose/invalid-yaml"), Some("compose.dev.yaml")), "{v}");
    assert!(f["message"].as_str().unwrap().contains("nesting deeper than 128 levels"), "{f}");
    assert_eq!(f["line"], serde_json::json!(4), "{f}");
}

// ---- hook install ---------------------------------------------------------

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn hook_install_writes_an_executable_hook_and_respects_existing_ones() {
    let (_t, repo) = tmp_repo();
    git(&repo, &["init", "-q"]);
    let hook = repo.join(".git/hooks/pre-commit");

    let out = trm(&repo, &["hook", "install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.starts_with("#!/bin/sh\n") && text.contains("lint --staged"), "{text}");
    #[cfg(unix)]
    assert_eq!(mode(&hook), 0o755);
    let syntax = Command::new("sh").arg("-n").arg(&hook).status().unwrap();
    assert!(syntax.success(), "the hook is valid sh");

    // Our own hook is updated in place.
    assert_eq!(code(&trm(&repo, &["hook", "install"])), 0);

    // A foreign hook is left alone without --force...
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = trm(&repo, &["hook", "install"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho mine\n");

    // ...and replaced with it, the old one kept.
    let out = trm(&repo, &["hook", "install", "--force"]);
    assert_eq!(code(&out), 0);
    assert!(std::fs::read_to_string(&hook).unwrap().contains("lint --staged"));
    assert_eq!(std::fs::read_to_string(repo.join(".git/hooks/pre-commit.trm-ci-backup")).unwrap(), "#!/bin/sh\necho mine\n");
}

#[test]
fn hook_install_respects_core_hooks_path_and_repo_option() {
    let (t, repo) = tmp_repo();
    git(&repo, &["init", "-q"]);
    git(&repo, &["config", "core.hooksPath", ".githooks"]);
    let out = trm(t.path(), &["hook", "install", "--repo", "repo"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(repo.join(".githooks/pre-commit").is_file());
    assert!(!repo.join(".git/hooks/pre-commit").exists());
}

#[test]
fn hook_install_outside_a_repository_exits_2() {
    let (_t, dir) = tmp_repo();
    let out = trm(&dir, &["hook", "install"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not inside a git repository"), "{}", stderr(&out));
}

#[test]
fn the_installed_hook_blocks_a_bad_commit() {
    let (_t, repo) = tmp_repo();
    git(&repo, &["init", "-q"]);
    write(&repo.join("trm-ci.toml"), config_only(&["lint/unreadable-file"]));
    write(&repo.join("db-init/0001_init.sql"), "CREATE TABLE t (id int);\n");
    assert_eq!(code(&trm(&repo, &["hook", "install"])), 0);
    let commit = |msg: &str| {
        Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"])
            .args(["commit", "-q", "-m", msg])
            .current_dir(&repo)
            .env("TRM_CI", BIN)
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap()
    };
    git(&repo, &["add", "."]);
    let ok = commit("good");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    write(&repo.join("db-init/0002_blob.sql"), b"\x00");
    git(&repo, &["add", "."]);
    let blocked = commit("bad");
    assert!(!blocked.status.success(), "the hook let a binary migration through");
    let all = format!("{}{}", String::from_utf8_lossy(&blocked.stdout), String::from_utf8_lossy(&blocked.stderr));
    assert!(all.contains("lint/unreadable-file"), "{all}");
}

// ---- SARIF of real findings -----------------------------------------------

/// The SARIF of every rule's failing fixture (the rules' real spans and
/// messages) is valid against the SARIF 2.1.0 schema and meets GitHub code
/// scanning's constraints.
#[test]
fn sarif_of_every_failing_fixture_is_valid() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sarif/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut checked = 0;
    for r in trm_ci::rules::all() {
        let fail = root.join(r.id).join("fail");
        if !fail.is_dir() {
            continue;
        }
        // base/head fixtures: lint the head tree alone (no base needed for the format).
        let tree = if fail.join("head").is_dir() { fail.join("head") } else { fail };
        let (_t, repo) = tmp_repo();
        copy_tree(&tree, &repo);
        let out = trm(&repo, &["lint", "--format", "sarif"]);
        assert!(matches!(code(&out), 0 | 1), "{}: exit {} {}", r.id, code(&out), stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: SARIF schema violations:\n{}", r.id, errors.join("\n"));
        let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        for res in doc["runs"][0]["results"].as_array().unwrap() {
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], res["ruleId"]);
            let phys = &res["locations"][0]["physicalLocation"];
            assert!(phys["artifactLocation"]["uri"].as_str().is_some_and(|u| !u.is_empty() && !u.starts_with('/')));
            if let Some(region) = phys.get("region") {
                let n = |k: &str| region[k].as_u64().unwrap();
                assert!(n("startLine") >= 1 && n("startColumn") >= 1, "{}: {region}", r.id);
                assert!((n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")), "{}: {region}", r.id);
            }
        }
        checked += 1;
    }
    assert!(checked > 0, "no failing fixture found");
}

/// The finding cap end to end: a snapshot with 130 violations gives 100
/// `snapshot/schema` findings, all pointing into the file, and every format
/// says that 30 were left out (the count is never itself a finding).
#[test]
fn the_cap_counts_what_it_leaves_out_in_every_format() {
    let (_t, repo) = tmp_repo();
    let mut snap = String::from("version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n");
    for i in 0..130 {
        snap.push_str(&format!("  - collection: c{i:03}\n    meta:\n      icon: box\n    schema:\n      name: c{i:03}\n"));
    }
    snap.push_str("fields: []\nrelations: []\n");
    write(&repo.join("snapshots/snapshot.yaml"), snap);
    write(&repo.join("trm-ci.toml"), config_only(&["snapshot/schema"]));

    let json = trm(&repo, &["lint", "--format", "json"]);
    assert_eq!(code(&json), 1, "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    assert_eq!(v["summary"]["errors"], 100, "{}", v["summary"]);
    assert_eq!(v["summary"]["omitted_errors"], 30, "{}", v["summary"]);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 100);
    assert!(findings.iter().all(|f| f["rule"] == "snapshot/schema" && f["line"].is_u64()), "no pseudo-finding for the count");
    assert_eq!(v["omitted"][0]["count"], 30);
    let note = "`snapshot/schema`: 30 more findings in snapshots/snapshot.yaml left out (100 shown)";
    assert!(v["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with(note)), "{}", v["notes"]);

    let human = trm(&repo, &["lint"]);
    assert_eq!(code(&human), 1);
    assert!(stdout(&human).ends_with("100 errors, 0 warnings in 1 file (30 more errors left out)\n"), "{}", stdout(&human));
    assert!(stderr(&human).contains(note), "{}", stderr(&human));

    let gh = trm(&repo, &["lint", "--format", "github"]);
    assert_eq!(stdout(&gh).lines().filter(|l| l.starts_with("::error ")).count(), 100);
    assert!(stdout(&gh).lines().any(|l| l.starts_with("::notice title=trm-ci::") && l.contains(note)), "{}", stdout(&gh));

    let sarif = trm(&repo, &["lint", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF is JSON");
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 100);
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"].as_str().unwrap().starts_with("30 more `snapshot/schema` findings")), "{notes:?}");
}

// ---- the repository boundary: links out, config paths out, FIFOs, devices ----

/// `trm-ci` with a bound: killed after `secs` seconds, which fails the test (a FIFO or
/// `/dev/zero` must never make it hang), instead of hanging CI.
fn trm_bounded(dir: &Path, args: &[&str], secs: u64) -> Output {
    use std::io::Read;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_BASE_REF")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run trm-ci");
    let readers: Vec<_> = [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())]
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                let _ = s.read_to_end(&mut b);
                b
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("trm-ci {args:?} still running after {secs} s: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut outs = readers.into_iter().map(|h| h.join().unwrap());
    let out = Output { status, stdout: outs.next().unwrap(), stderr: outs.next().unwrap() };
    assert!(!stderr(&out).contains("panicked"), "trm-ci {args:?} panicked:\n{}", stderr(&out));
    out
}

const SECRET: &str = "ghs_TOPSECRET123";

/// A directory outside the repository holding a secret file and a snapshot-shaped one.
fn outside_secrets(t: &Path) -> PathBuf {
    let outside = t.join("outside");
    write(&outside.join("secret"), format!("{SECRET} is the deploy token\nsecond line {SECRET}\n"));
    write(&outside.join("snapshot.yaml"), format!("version: 1\ndirectus: {SECRET}\n"));
    outside
}

/// A committed symlink out of the repository (a file, a directory on an artifact's path,
/// a dangling absolute one) is a `lint/outside-repository` finding at its path, in the work
/// tree and with `--staged`; what it points at is never read, so no format shows it.
#[test]
fn hostile_links_out_of_the_repository_are_findings_never_read() {
    let (t, repo) = tmp_repo();
    let outside = outside_secrets(t.path());
    write(&repo.join("db-init/0001_ok.sql"), "CREATE SCHEMA IF NOT EXISTS app;\n");
    std::os::unix::fs::symlink(outside.join("secret"), repo.join("db-init/0002_secret.sql")).unwrap();
    std::os::unix::fs::symlink("../../outside/secret", repo.join("db-init/0003_relative.sql")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/elsewhere", repo.join("db-init/0004_dangling.sql")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("snapshots")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", repo.join("Dockerfile")).unwrap();
    let expected = ["Dockerfile", "db-init/0002_secret.sql", "db-init/0003_relative.sql", "db-init/0004_dangling.sql", "snapshots/snapshot.yaml"];
    for format in ["human", "json", "sarif", "github"] {
        let out = trm_bounded(&repo, &["lint", "--format", format], 60);
        assert_eq!(code(&out), 1, "{format}: {}{}", stdout(&out), stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains("TOPSECRET") && !all.contains("root:x:0"), "{format} shows what a link points at:\n{all}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let mut refused: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == "lint/outside-repository")
                .map(|f| f["file"].as_str().unwrap())
                .collect();
            refused.sort();
            assert_eq!(refused, expected, "{}", stdout(&out));
        }
    }
    // The same links staged in the git index (`--staged` reads blobs: a link is its target's path).
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    let out = trm_bounded(&repo, &["lint", "--staged", "--format", "json"], 60);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!stdout(&out).contains("TOPSECRET"), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let refused: Vec<&str> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "lint/outside-repository").map(|f| f["file"].as_str().unwrap()).collect();
    for f in ["Dockerfile", "db-init/0002_secret.sql", "db-init/0003_relative.sql", "db-init/0004_dangling.sql"] {
        assert!(refused.contains(&f), "{f} not refused with --staged: {refused:?}");
    }
}

/// `[paths]` leaving the repository is an error at the key (exit 2), whatever it points at.
#[test]
fn hostile_config_paths_out_of_the_repository_are_errors() {
    let (t, repo) = tmp_repo();
    outside_secrets(t.path());
    for (text, at) in [
        ("[paths]\nmigrations = \"../outside\"\n", "trm-ci.toml:2:1: [paths] migrations = `../outside` leaves the repository"),
        ("[paths]\nsnapshot = \"/etc/passwd\"\n", "trm-ci.toml:2:1: [paths] snapshot = `/etc/passwd` leaves the repository"),
        ("[paths]\nscripts = \"db-init/../../..\"\n", "[paths] scripts = `db-init/../../..` leaves the repository"),
    ] {
        write(&repo.join("trm-ci.toml"), text);
        let out = trm_bounded(&repo, &["lint"], 60);
        assert_eq!(code(&out), 2, "{text}: {}{}", stdout(&out), stderr(&out));
        assert!(stderr(&out).contains(at), "{text}: {}", stderr(&out));
        assert!(!stdout(&out).contains("TOPSECRET") && !stderr(&out).contains("TOPSECRET"));
    }
    // A path inside that is a link out is a finding, not read.
    write(&repo.join("trm-ci.toml"), "[paths]\nmigrations = \"sql\"\n");
    std::os::unix::fs::symlink(t.path().join("outside"), repo.join("sql")).unwrap();
    let out = trm_bounded(&repo, &["lint", "--format", "json"], 60);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!stdout(&out).contains("TOPSECRET"), "{}", stdout(&out));
    assert!(stdout(&out).contains("\"file\": \"sql\"") || stdout(&out).contains("\"file\":\"sql\""), "{}", stdout(&out));
}

/// A FIFO or a device where an artifact or trm-ci.toml is expected never blocks and is never
/// read: a finding for an artifact, an error for the configuration (both bounded in time).
#[test]
fn hostile_fifos_and_devices_never_block() {
    let (_t, repo) = tmp_repo();
    write(&repo.join("db-init/0001_ok.sql"), "CREATE SCHEMA IF NOT EXISTS app;\n");
    let mkfifo = |p: &Path| assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    mkfifo(&repo.join("db-init/0002_fifo.sql"));
    mkfifo(&repo.join("entrypoint.sh"));
    std::os::unix::fs::symlink("/dev/zero", repo.join("db-init/0003_zero.sql")).unwrap();
    std::os::unix::fs::symlink("/proc/kmsg", repo.join("db-init/0004_kmsg.sql")).unwrap();
    let out = trm_bounded(&repo, &["lint", "--format", "json"], 60);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "lint/outside-repository")
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    let msg = |file: &str| found.iter().find(|(f, _)| f == file).map(|(_, m)| m.clone()).unwrap_or_else(|| panic!("{file}: no finding in {found:?}"));
    assert!(msg("db-init/0002_fifo.sql").contains("a FIFO (named pipe), not a regular file"));
    assert!(msg("entrypoint.sh").contains("a FIFO"));
    assert!(msg("db-init/0003_zero.sql").contains("a symbolic link to `/dev/zero`, outside the repository"));
    assert!(msg("db-init/0004_kmsg.sql").contains("outside the repository"));

    // trm-ci.toml as a FIFO, as a link to /dev/zero, and a --config FIFO: exit 2, named.
    mkfifo(&repo.join("trm-ci.toml"));
    let out = trm_bounded(&repo, &["lint"], 60);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("trm-ci.toml: a FIFO (named pipe), not a regular file: not read"), "{}", stderr(&out));
    let out = trm_bounded(&repo, &["lint", "--config", repo.join("trm-ci.toml").to_str().unwrap()], 60);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    std::fs::remove_file(repo.join("trm-ci.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", repo.join("trm-ci.toml")).unwrap();
    let out = trm_bounded(&repo, &["lint"], 60);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("trm-ci.toml: a symbolic link to `/dev/zero`, outside the repository: not read"), "{}", stderr(&out));
}

// ---- issue 18: one classification of type changes, approvals, CLI edges ------

/// `diff` and `snapshot/destructive-change` read one classification: string → text
/// (varchar → text) keeps every value, so neither calls it destructive; string → integer
/// both do. (Before, diff said "string → text" and the rule errored on it.)
#[test]
fn diff_and_lint_agree_on_type_changes() {
    let base = snapshot(&[("customers", true)], &[("customers", "name", "string", true), ("customers", "phone", "string", true)], &[]);
    let head = snapshot(&[("customers", true)], &[("customers", "name", "text", true), ("customers", "phone", "integer", true)], &[]);
    let (_t, repo) = diff_repo(&base, &head);
    let out = trm(&repo, &["diff", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let destructive = |f: &str| v["changes"].as_array().unwrap().iter().find(|c| c["field"] == f).unwrap()["destructive"].as_bool();
    assert_eq!((destructive("name"), destructive("phone")), (Some(false), Some(true)), "{v}");
    write(&repo.join("trm-ci.toml"), config_only(&["snapshot/destructive-change"]));
    let out = trm(&repo, &["lint", "--format", "line"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("`customers.phone` changes type from `string` (line "), "{text}");
    assert!(!text.contains("customers.name"), "string → text is not destructive:\n{text}");
}

/// A destructive change approved in snapshots/allow-destructive.txt is listed as approved, not
/// an error; an unapproved one stays an error; an approval that matches nothing is reported.
#[test]
fn approved_destructive_changes_are_notes_and_unmatched_approvals_are_reported() {
    let base = snapshot(&[("customers", true)], &[("customers", "phone", "string", true), ("customers", "fax", "string", true)], &[]);
    let head = snapshot(&[("customers", true)], &[], &[]);
    let (_t, repo) = diff_repo(&base, &head);
    write(&repo.join("trm-ci.toml"), config_only(&["snapshot/destructive-change", "snapshot/unmatched-approval"]));
    write(&repo.join("snapshots/allow-destructive.txt"), "# reviewed\ncustomers.phone  moved to contacts\n");
    let out = trm(&repo, &["lint", "--format", "line"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "customers.fax is not approved:\n{text}");
    assert!(text.contains("field `customers.fax`") && !text.contains("field `customers.phone`"), "{text}");
    assert!(stderr(&trm(&repo, &["lint"])).contains("approved: customers: field phone removed"), "the approved change is a note");
    // And data, which the PR comment lists under its own heading.
    let json_file = repo.parent().unwrap().join("approved.json");
    trm(&repo, &["lint", "--format", "json", "--output", json_file.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let approved = &doc["approved"][0];
    assert_eq!(
        (approved["item"].as_str(), approved["reason"].as_str(), approved["file"].as_str(), approved["line"].as_u64()),
        (Some("customers.phone"), Some("moved to contacts"), Some("snapshots/allow-destructive.txt"), Some(2)),
        "{doc}"
    );
    let body = stdout(&trm(&repo, &["post", "--results", json_file.to_str().unwrap(), "--dry-run"]));
    let heading = body.find("#### Approved destructive changes\n").unwrap_or_else(|| panic!("{body}"));
    assert!(body[heading..].contains("- ⚠️ `customers.phone`: customers\\: field phone removed"), "{body}");
    assert!(body[heading..].contains("— moved to contacts"), "{body}");

    write(&repo.join("snapshots/allow-destructive.txt"), "customers.phone  moved to contacts\ncustomers.fax\ncustomers.emial  typo\n");
    let out = trm(&repo, &["lint", "--format", "line"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "both approved; the typo is a warning:\n{text}");
    assert!(
        text.contains("snapshots/allow-destructive.txt:3:1: warning [snapshot/unmatched-approval] `customers.emial` approves nothing"),
        "{text}"
    );
}

#[test]
fn hook_uninstall_removes_only_our_hook_and_restores_the_previous_one() {
    let (_t, repo) = tmp_repo();
    git(&repo, &["init", "-q"]);
    let hook = repo.join(".git/hooks/pre-commit");
    assert_eq!(code(&trm(&repo, &["hook", "install"])), 0);
    let out = trm(&repo, &["hook", "uninstall"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!hook.exists());
    // Nothing to remove is fine.
    assert_eq!(code(&trm(&repo, &["hook", "uninstall"])), 0);
    // A foreign hook replaced with --force comes back.
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    assert_eq!(code(&trm(&repo, &["hook", "install", "--force"])), 0);
    assert_eq!(code(&trm(&repo, &["hook", "uninstall"])), 0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho mine\n");
    // A foreign hook is never removed.
    let out = trm(&repo, &["hook", "uninstall"]);
    assert_eq!(code(&out), 2);
    assert!(hook.exists());
}

#[test]
fn rules_as_json_and_did_you_mean_for_unknown_ids() {
    let (_t, dir) = tmp_repo();
    let out = trm(&dir, &["rules", "--format", "json"]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["rules"].as_array().unwrap().len(), trm_ci::rules::all().len());
    let d = v["rules"].as_array().unwrap().iter().find(|r| r["id"] == "migrations/destructive").unwrap();
    assert_eq!((d["severity"].as_str(), d["needs_base"].as_bool()), (Some("error"), Some(false)));
    assert!(d["doc"].as_str().unwrap().contains("## What it does"));

    let out = trm(&dir, &["explain", "migrations/destructve"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("(did you mean `migrations/destructive`?)"), "{}", stderr(&out));
    write(&dir.join("trm-ci.toml"), "[rules]\n\"migration/bad-filename\" = \"off\"\n");
    let out = trm(&dir, &["lint"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("(did you mean `migrations/bad-filename`?)"), "{}", stderr(&out));
    std::fs::remove_file(dir.join("trm-ci.toml")).unwrap();
    write(&dir.join("db-init/0001_x.sql"), "-- trm-ci: ignore=migrations/destructiv gone\nDROP TABLE app.x;\n");
    let out = trm(&dir, &["lint", "--format", "line"]);
    assert!(stdout(&out).contains("names unknown rule `migrations/destructiv` (did you mean `migrations/destructive`?)"), "{}", stdout(&out));
}

#[test]
fn fail_on_chooses_the_exit_code_and_line_is_one_line_per_finding() {
    let (_t, repo) = unreadable_repo(false);
    let mut cfg = config_only(&["lint/unreadable-file"]);
    cfg.push_str("\"lint/unreadable-file\" = \"warning\"\n");
    write(&repo.join("trm-ci.toml"), cfg);
    assert_eq!(code(&trm(&repo, &["lint"])), 0);
    assert_eq!(code(&trm(&repo, &["lint", "--fail-on", "warning"])), 1);
    let (_t2, dirty) = unreadable_repo(false);
    assert_eq!(code(&trm(&dirty, &["lint", "--fail-on", "never"])), 0);
    assert_eq!(code(&trm(&dirty, &["lint", "--fail-on", "error"])), 1);
    let out = trm(&dirty, &["lint", "--format", "line"]);
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("db-init/0002_blob.sql:1:1: error [lint/unreadable-file] cannot read"), "{first}");
}

/// Help lines that misled: bad-filename suggested `9999_…` (then gap-in-sequence fired); with
/// `[paths] migrations = "sql"` missing-copy suggested `COPY sql/ /directus/sql/`, where the runner
/// does not read.
#[test]
fn help_lines_name_the_next_number_and_where_the_runner_reads() {
    let (_t, repo) = tmp_repo();
    write(&repo.join("sql/0001_init.sql"), "SELECT 1;\n");
    write(&repo.join("sql/0002_more.sql"), "SELECT 1;\n");
    write(&repo.join("sql/add audit log.sql"), "SELECT 1;\n");
    write(&repo.join("Dockerfile"), "FROM directus/directus:11.17.4\nUSER node\n");
    let mut cfg = String::from("[paths]\nmigrations = \"sql\"\n\n");
    cfg.push_str(&config_only(&["migrations/bad-filename", "dockerfile/missing-copy"]));
    write(&repo.join("trm-ci.toml"), cfg);
    let out = trm(&repo, &["lint", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let helps: Vec<String> = v["findings"].as_array().unwrap().iter().map(|f| f["help"].as_str().unwrap().to_string()).collect();
    assert!(helps.iter().any(|h| h.contains("`0003_add_audit_log.sql`")), "{helps:#?}");
    assert!(helps.iter().any(|h| h.contains("COPY --chown=node:node sql/ /directus/db-init/")), "{helps:#?}");
    assert!(!helps.iter().any(|h| h.contains("9999") || h.contains("/directus/sql/")), "{helps:#?}");
}

/// PR-scoped judgement (issue 18): a statement a rule now flags in a migration
/// merged long ago does not fail the PR (it is listed as pre-existing); the
/// same statement in the file the PR adds does; `--all` and `[lint] all = true`
/// judge both; without a base every migration is judged, as before.
#[test]
fn an_old_merged_migration_does_not_fail_the_pr_the_same_statement_in_a_new_one_does() {
    let (_t, repo) = tmp_repo();
    let config = config_only(&["migrations/not-null-without-default", "migrations/edited-after-merge"]);
    write(&repo.join("trm-ci.toml"), &config);
    write(&repo.join("db-init/0001_notes.sql"), "CREATE TABLE app_notes (id bigint PRIMARY KEY);\n");
    write(&repo.join("db-init/0002_author.sql"), "ALTER TABLE app_notes ADD COLUMN author text NOT NULL;\n");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "merged long ago"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);

    // The PR adds a clean migration: it passes (the base is the merge-base with main).
    write(&repo.join("db-init/0003_body.sql"), "ALTER TABLE app_notes ADD COLUMN body text;\n");
    let out = trm(&repo, &["lint"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("0 errors, 0 warnings in ") && text.lines().next().unwrap().ends_with("; 1 pre-existing"), "{text}");
    let listed = text.lines().find(|l| l.starts_with("  db-init/0002_author.sql:1:")).unwrap_or_else(|| panic!("{text}"));
    assert!(listed.contains(": error [migrations/not-null-without-default] `author` is added NOT NULL"), "{listed}");
    assert!(stderr(&out).contains("note: 1 finding in migrations unchanged since the base is pre-existing"), "{}", stderr(&out));
    // In the results document: listed apart, not counted; it reads back.
    let json = trm(&repo, &["lint", "--format", "json", "--base", "main"]);
    assert_eq!(code(&json), 0);
    let doc: trm_ci::results::Results = serde_json::from_slice(&json.stdout).expect("the document reads back");
    let lint = doc.lint.as_ref().unwrap();
    assert_eq!((lint.summary.errors, lint.summary.pre_existing), (0, 1));
    assert_eq!(lint.pre_existing[0].file, "db-init/0002_author.sql");
    assert_eq!(trm_ci::render::json::render(&doc), stdout(&json));
    // A full audit judges it.
    assert_eq!(code(&trm(&repo, &["lint", "--all"])), 1);
    write(&repo.join("trm-ci.toml"), format!("{config}\n[lint]\nall = true\n"));
    assert_eq!(code(&trm(&repo, &["lint"])), 1);
    write(&repo.join("trm-ci.toml"), &config);

    // The same statement in the file the PR adds fails it.
    write(&repo.join("db-init/0003_body.sql"), "ALTER TABLE app_notes ADD COLUMN body text NOT NULL;\n");
    let out = trm(&repo, &["lint", "--format", "line"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("db-init/0003_body.sql:1:") && first.contains(": error [migrations/not-null-without-default]"), "{first}");
    assert!(!stdout(&out).contains("0002_author"), "{}", stdout(&out));

    // Without a base (not a git repository), every migration is judged, as before.
    write(&repo.join("db-init/0003_body.sql"), "ALTER TABLE app_notes ADD COLUMN body text;\n");
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    let out = trm(&repo, &["lint"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("db-init/0002_author.sql"), "{}", stdout(&out));
}

/// `trm`, with environment variables set and `stdin` on standard input.
fn trm_with(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_BASE_REF")
        .env("GIT_CEILING_DIRECTORIES", dir.ancestors().nth(2).unwrap_or(dir))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run trm-ci");
    // trm-ci may exit before reading (a usage error): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().expect("run trm-ci");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "trm-ci {args:?} panicked");
    out
}

/// Issue 18's CLI edges: a PATH that names no file trm-ci lints is exit 2 naming it (it printed
/// `0 errors`); PATHs are relative to the current directory inside the repository (`cd db-init
/// && trm-ci lint 0002_drop.sql` found nothing); `-` reads the file from standard input, judged
/// as `--stdin-filename` (and without it says to pass it).
#[test]
fn paths_name_files_from_the_current_directory_and_dash_reads_stdin() {
    let (_t, repo) = tmp_repo();
    write(&repo.join("trm-ci.toml"), config_only(&["migrations/destructive"]));
    write(&repo.join("db-init/0001_init.sql"), "CREATE TABLE app_x (id int);\n");
    write(&repo.join("db-init/0002_drop.sql"), "DROP TABLE app_x;\n");
    // A git repository: a run from a subdirectory finds its root.
    git(&repo, &["init", "-q", "-b", "main"]);
    let sub = repo.join("db-init");
    let trm = |dir: &Path, args: &[&str]| trm_with(dir, args, &[], b"");
    let line = |o: &Output| stdout(o).lines().next().unwrap_or_default().to_string();

    let out = trm(&repo, &["lint", "nosuch.sql"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("`nosuch.sql` is not a file trm-ci lints: the artifacts are `db-init/`"), "{}", stderr(&out));
    let out = trm(&sub, &["lint", "nosuch.sql"]);
    assert!(code(&out) == 2 && stderr(&out).contains("`nosuch.sql` (`db-init/nosuch.sql` in the repository)"), "{}", stderr(&out));
    let out = trm(&repo, &["lint", "../elsewhere.sql"]);
    assert!(code(&out) == 2 && stderr(&out).contains("`../elsewhere.sql` is outside the repository"), "{}", stderr(&out));

    // From a subdirectory.
    let out = trm(&sub, &["lint", "--format", "line", "0002_drop.sql"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(line(&out).starts_with("db-init/0002_drop.sql:1:1: error [migrations/destructive]"), "{}", stdout(&out));
    assert_eq!(code(&trm(&sub, &["lint", "0001_init.sql"])), 0);
    assert_eq!(code(&trm(&sub, &["lint", "../db-init/0001_init.sql", "."])), 1);
    assert_eq!(code(&trm(&repo, &["lint", "db-init/0001_init.sql"])), 0);

    // `-`: standard input as the file --stdin-filename names (new, or in place of the one on disk).
    let out = trm_with(&repo, &["lint", "-"], &[], b"DROP TABLE app_x;\n");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("pass --stdin-filename PATH"), "{}", stderr(&out));
    let args = ["lint", "--format", "line", "-", "--stdin-filename", "db-init/0003_new.sql"];
    let out = trm_with(&repo, &args, &[], b"DROP TABLE app_x;\n");
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(line(&out).starts_with("db-init/0003_new.sql:1:1: error [migrations/destructive]"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("0002_drop"), "only the file from stdin is reported: {}", stdout(&out));
    let out = trm_with(&sub, &["lint", "--format", "line", "-", "--stdin-filename", "0003_new.sql"], &[], b"DROP TABLE app_x;\n");
    assert!(code(&out) == 1 && line(&out).starts_with("db-init/0003_new.sql:1:1:"), "{}", stdout(&out));
    let out = trm_with(&repo, &["lint", "-", "--stdin-filename", "db-init/0002_drop.sql"], &[], b"SELECT 1;\n");
    assert_eq!(code(&out), 0, "the edited buffer, not the file on disk: {}", stdout(&out));
    let out = trm_with(&repo, &["lint", "-", "--stdin-filename", "README.md"], &[], b"x\n");
    assert!(code(&out) == 2 && stderr(&out).contains("--stdin-filename `README.md` is not a file trm-ci lints"), "{}", stderr(&out));
    let out = trm(&repo, &["lint", "--stdin-filename", "db-init/0003_new.sql"]);
    assert!(code(&out) == 2 && stderr(&out).contains("add `-` to the PATHs"), "{}", stderr(&out));
}

/// A `/* trm-ci: ignore=... */` block comment is a pragma, as `--` is (issue 18: it was
/// silently nothing); one that silences nothing is reported like any pragma.
#[test]
fn block_comment_pragmas_work_and_unused_ones_are_reported() {
    let (_t, repo) = tmp_repo();
    write(&repo.join("trm-ci.toml"), config_only(&["migrations/destructive", "lint/unused-ignore"]));
    write(&repo.join("db-init/0001_init.sql"), "CREATE TABLE app_x (id int);\nCREATE TABLE app_y (id int);\n");
    write(&repo.join("db-init/0002_drop.sql"), "/* trm-ci: ignore=migrations/destructive\n   app_x moved to app_y in 0001 */\nDROP TABLE app_x;\n");
    let out = trm(&repo, &["lint", "--format", "line"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    write(&repo.join("db-init/0002_drop.sql"), "/* trm-ci: ignore=migrations/destructiv */\nDROP TABLE app_x;\n");
    let out = trm(&repo, &["lint", "--format", "line"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("db-init/0002_drop.sql:1:1: warning [lint/unused-ignore] `trm-ci: ignore=` names unknown rule `migrations/destructiv`"), "{text}");
    assert!(text.contains("db-init/0002_drop.sql:2:1: error [migrations/destructive]"), "{text}");
}

/// Issue 18, "A missing base passes": inside GitHub Actions a base that cannot be read (not
/// fetched, a shallow clone, no git at all) and an unknown `--base` are exit 2 saying how to
/// fetch it; locally without `--base` it stays a note.
#[test]
fn a_missing_base_in_ci_is_exit_2_with_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let origin = t.path().join("origin");
    write(&origin.join("trm-ci.toml"), config_only(&["migrations/edited-after-merge"]));
    write(&origin.join("db-init/0001_init.sql"), "CREATE TABLE app_x (id int);\n");
    git(&origin, &["init", "-q", "-b", "main"]);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "one"]);
    write(&origin.join("db-init/0002_more.sql"), "CREATE TABLE app_y (id int);\n");
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "two"]);
    git(&origin, &["checkout", "-q", "-b", "feature"]);
    // The branch edits a merged migration: what the base rules are there to catch.
    write(&origin.join("db-init/0001_init.sql"), "CREATE TABLE app_x (id bigint);\n");
    git(&origin, &["commit", "-q", "-am", "edit"]);
    let actions = |base_ref: &'static str| [("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", base_ref)];

    // The full repository in Actions: the local branch of the base is found; the edit fails.
    let out = trm_with(&origin, &["lint", "--format", "line"], &actions("main"), b"");
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("[migrations/edited-after-merge]"), "{}", stdout(&out));
    // A base branch that is not in the clone.
    let out = trm_with(&origin, &["lint"], &actions("develop"), b"");
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("the pull request's base origin/develop is not in this clone: check out with actions/checkout `fetch-depth: 0`, or run `git fetch origin develop`"), "{}", stderr(&out));
    let out = trm(&origin, &["lint", "--base", "origin/develop"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--base origin/develop: no such commit, branch or tag in this repository (fetch it: `git fetch origin develop`"), "{}", stderr(&out));

    // A shallow clone of the branch, as actions/checkout makes by default, then the base's tip alone.
    let shallow = t.path().join("shallow");
    let url = format!("file://{}", origin.display());
    git(t.path(), &["clone", "-q", "--depth", "1", "--branch", "feature", &url, "shallow"]);
    git(&shallow, &["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"]);
    let out = trm_with(&shallow, &["lint"], &actions("main"), b"");
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("the pull request's base origin/main has no commit in common with HEAD in this clone (a shallow clone)"), "{}", stderr(&out));
    assert!(stderr(&out).contains("`git fetch --unshallow origin main`"), "{}", stderr(&out));
    // Not a pull request, still in Actions: no base at all is an error too.
    let out = trm_with(&shallow, &["lint"], &actions(""), b"");
    assert!(code(&out) == 2 && stderr(&out).contains("pass --base REF, or check out with actions/checkout `fetch-depth: 0`"), "{}", stderr(&out));
    // Locally, the same clone is a note and the lint runs.
    let out = trm_with(&shallow, &["lint"], &[], b"");
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("note: no base to compare with"), "{}", stderr(&out));
    // In Actions outside git: no base either.
    std::fs::remove_dir_all(shallow.join(".git")).unwrap();
    let out = trm_with(&shallow, &["lint"], &actions("main"), b"");
    assert!(code(&out) == 2 && stderr(&out).contains("is not inside a git repository, so there is no base to compare with"), "{}", stderr(&out));
}

/// Issue 17, "Trust on the PR": a branch whose trm-ci.toml turns a rule off, lowers one, moves a
/// path or turns the full audit off says so — a note, data in the results document, and the top
/// of the PR comment — compared with the base's file read from git; a stricter file, or the same
/// one, says nothing. And the comment folds the pre-existing findings (issue 18).
#[test]
fn a_branch_that_weakens_the_configuration_says_so() {
    let (_t, repo) = tmp_repo();
    let base_config = format!("{}\n[lint]\nall = true\n", config_only(&["migrations/destructive", "migrations/not-null-without-default", "lint/unused-ignore"]));
    write(&repo.join("trm-ci.toml"), &base_config);
    write(&repo.join("db-init/0001_notes.sql"), "CREATE TABLE app_notes (id bigint PRIMARY KEY);\n");
    write(&repo.join("db-init/0002_author.sql"), "ALTER TABLE app_notes ADD COLUMN author text NOT NULL;\n");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);

    // The same file: nothing to say.
    let out = trm(&repo, &["lint", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.get("config_weakened").is_none(), "{doc}");

    let head_config = base_config
        .replace("\"migrations/destructive\" = \"off\"\n", "")
        .replace("all = true", "all = false")
        .replace("[rules]\n", "[paths]\nmigrations = \"db-init\"\npost_migrations = \"sql-post\"\n\n[rules]\n\"migrations/destructive\" = \"off\"\n\"migrations/not-null-without-default\" = \"warning\"\n");
    write(&repo.join("trm-ci.toml"), &head_config);
    let out = trm(&repo, &["lint"]);
    let err = stderr(&out);
    for note in [
        "note: `trm-ci.toml` weakens the lint against the base: `rules.\"migrations/destructive\"` is `off` here, `error` on the base",
        "note: `trm-ci.toml` weakens the lint against the base: `rules.\"migrations/not-null-without-default\"` is `warning` here, `error` on the base",
        "note: `trm-ci.toml` weakens the lint against the base: `paths.post_migrations` is `sql-post` here, `db-post` on the base",
        "note: `trm-ci.toml` weakens the lint against the base: `lint.all` is `false` here, `true` on the base",
    ] {
        assert!(err.contains(note), "{note}\nnot in:\n{err}");
    }
    // `migrations = "db-init"` is the default the base had: not moved.
    assert_eq!(err.matches("weakens the lint").count(), 4, "{err}");
    let json_file = repo.parent().unwrap().join("results.json");
    let out = trm(&repo, &["lint", "--format", "json", "--output", json_file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: trm_ci::results::Results = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let lint = doc.lint.as_ref().unwrap();
    let keys: Vec<&str> = lint.config_weakened.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["rules.\"migrations/destructive\"", "rules.\"migrations/not-null-without-default\"", "paths.post_migrations", "lint.all"]);
    assert_eq!((lint.config_weakened[0].base.as_str(), lint.config_weakened[0].head.as_str()), ("error", "off"));
    // The old file's finding is pre-existing now that the audit is off.
    assert_eq!(lint.pre_existing.len(), 1, "{:?}", lint.pre_existing);

    // The PR comment: the weakening at the top, the pre-existing finding folded.
    let post = trm(&repo, &["post", "--results", json_file.to_str().unwrap(), "--dry-run"]);
    let body = stdout(&post);
    assert_eq!(code(&post), 0, "{body}{}", stderr(&post));
    let warning = body.find("> **This pull request weakens trm-ci's configuration**").unwrap_or_else(|| panic!("{body}"));
    assert!(warning < body.find("| stage |").unwrap(), "{body}");
    assert!(body.contains("> - `rules.\"migrations/destructive\"`: `error` → `off`"), "{body}");
    assert!(body.contains("<details><summary>1 finding in migrations unchanged since the base: pre-existing"), "{body}");
    assert!(body.contains("0002_author.sql"), "{body}");

    // A stricter file says nothing; a base file that no longer parses is a note, not an error.
    assert!(base_config.contains("\"dockerfile/expose\" = \"off\"\n"));
    write(&repo.join("trm-ci.toml"), base_config.replace("\"dockerfile/expose\" = \"off\"\n", ""));
    let out = trm(&repo, &["lint"]);
    assert!(!stderr(&out).contains("weakens"), "{}", stderr(&out));
    write(&repo.join("trm-ci.toml"), "[lint]\nall = 3\n");
    git(&repo, &["commit", "-q", "-am", "broken config"]);
    write(&repo.join("trm-ci.toml"), &head_config);
    let out = trm(&repo, &["lint", "--base", "HEAD"]);
    assert!(stderr(&out).contains("note: `trm-ci.toml` on the base was not compared with this one (trm-ci.toml:2:7:"), "{}", stderr(&out));
}

/// `[paths]` written as a shell would (`./db-init/`, `./snapshots/../snapshots/snapshot.yaml`)
/// names the same files as the plain spelling: the migrations were looked for as `./db-init//`
/// and reported missing, an error no file deserved.
#[test]
fn paths_spelled_with_dot_and_slash_are_the_same_paths() {
    let (_t, repo) = tmp_repo();
    write(&repo.join("db-init/0001_create.sql"), "CREATE TABLE app_note (id int);\nDROP TABLE app_note;\n");
    let plain = config_only(&["migrations/destructive", "lint/missing-artifact"]);
    write(&repo.join("trm-ci.toml"), format!("[paths]\nmigrations = \"db-init\"\n\n{plain}"));
    let want = trm(&repo, &["lint", "--format", "line"]);
    assert_eq!(code(&want), 1, "{}", stdout(&want));
    assert!(stdout(&want).contains("db-init/0001_create.sql:2:1: error [migrations/destructive]"), "{}", stdout(&want));
    for spelled in ["./db-init/", "db-init/", "./db-init", "db-init/../db-init"] {
        write(&repo.join("trm-ci.toml"), format!("[paths]\nmigrations = \"{spelled}\"\n\n{plain}"));
        let got = trm(&repo, &["lint", "--format", "line"]);
        assert_eq!(stdout(&got), stdout(&want), "migrations = {spelled:?}");
        assert_eq!(code(&got), 1);
    }
}
