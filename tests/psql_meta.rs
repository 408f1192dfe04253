//! `trm-ci lint`'s `migrations/psql-meta-command` and the image's runner
//! (`scripts/apply-db-init.sh`, `meta_commands`, run by busybox awk as in the
//! Alpine image) must agree: a file the runner would refuse at boot is an
//! error on the pull request, at the same line and column, and a file lint
//! passes is never refused at boot. Checked on hand-written cases and on
//! every `.sql` file under tests/fixtures (the rules' fixtures, the corpus of
//! real-world migrations).
//!
//! Needs `busybox` (Debian: apt-get install busybox); fails without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use trm_ci::model::sql::Migration;
use trm_ci::source::SourceFile;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory whose `awk` is busybox's, as on the image's PATH.
fn busybox_path() -> tempfile::TempDir {
    let bb = which("busybox").expect("busybox is needed (Debian: apt-get install busybox); the runner's awk is busybox's");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bb, dir.path().join("awk")).unwrap();
    dir
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// The runner's verdict on one file: None (clean) or Some((line, col)).
fn runner(bb: &Path, file: &Path) -> Option<(u32, u32)> {
    // Only the function: the script's top level needs a database.
    let script = std::fs::read_to_string(root().join("scripts/apply-db-init.sh")).unwrap();
    let start = script.find("meta_commands() {").expect("meta_commands in the runner");
    let end = start + script[start..].find("}' \"$1\"\n}\n").expect("end of meta_commands") + "}' \"$1\"\n}\n".len();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{}\nmeta_commands \"$1\"", &script[start..end]))
        .arg("bash")
        .arg(file)
        .env("PATH", format!("{}:{}", bb.display(), std::env::var("PATH").unwrap_or_default()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    match out.status.code() {
        Some(0) => {
            assert!(stdout.is_empty(), "{}: exit 0 with output {stdout:?}", file.display());
            None
        }
        Some(1) => {
            let (at, _) = stdout.split_once(": ").unwrap_or_else(|| panic!("{}: {stdout:?}", file.display()));
            let (l, c) = at.split_once(':').unwrap();
            Some((l.parse().unwrap(), c.parse().unwrap()))
        }
        other => panic!("{}: runner's check exited {other:?}: {}", file.display(), String::from_utf8_lossy(&out.stderr)),
    }
}

/// Lint's verdict, in the runner's terms: the runner (awk in the C locale)
/// counts columns in bytes, lint in characters; on a file that is not ASCII
/// only the lines are compared.
fn lint(path: &Path) -> Option<(u32, u32)> {
    let bytes = std::fs::read(path).unwrap();
    let ascii = bytes.is_ascii();
    let m = Migration::parse_all(&SourceFile::new("db-init/0001_x.sql", bytes, None));
    m.refused.first().map(|r| (r.span.line, if ascii { r.span.col } else { 0 }))
}

fn same(runner: Option<(u32, u32)>, lint: Option<(u32, u32)>) -> bool {
    match (runner, lint) {
        (Some((rl, rc)), Some((ll, lc))) => rl == ll && (lc == 0 || rc == lc),
        (r, l) => r.is_none() && l.is_none(),
    }
}

const CASES: &[(&str, bool)] = &[
    ("SELECT 1;\n", false),
    ("\\set ON_ERROR_STOP off\nSELECT 1;\n", true),
    ("SELECT $q$COMMIT$q$ \\gexec\n", true),
    ("SELECT 1;\n  \\c other\n", true),
    ("\\! id\n", true),
    ("\\i /etc/passwd\n", true),
    ("\\ir x.sql\n", true),
    ("\\o /tmp/out\n", true),
    ("\\copy t to program 'cat'\n", true),
    ("SELECT 1 \\g /tmp/out\n", true),
    ("\\setenv X 1\n", true),
    ("\\echo hello\n\\qecho hi\n\\warn careful\n", false),
    ("\\echo `id`\n", true),
    ("\\echo one \\echo two\n", true),
    ("SELECT 1 \\; SELECT 2;\n", false),
    ("-- \\c in a comment\n/* \\! in a\n block */ SELECT 1;\n", false),
    ("SELECT 'C:\\path', E'it\\'s', $x$ \\gexec $x$, \"a\\b\";\n", false),
    ("SELECT 'C:\\';\n", true),
    ("SELECT 'a\\\\';\n", false),
    ("SELECT 'it''s \\';\n", true),
    ("SELECT e'x\\'' ;\n", false),
    ("CREATE TABLE s (a int, b text);\nCOPY s (a, b) FROM stdin;\n1\t\\N\n2\tC:\\\\x\n\\.\nSELECT 1;\n", false),
    ("COPY s FROM stdin;\n1\n\\.\n\\! id\n", true),
    ("COPY s TO stdout;\n\\! id\n", true),
    ("DO $$ BEGIN RAISE NOTICE '\\'; END $$;\n", false),
    ("SELECT 1; /* nested /* \\c */ still */ SELECT 2;\n", false),
    ("SELECT U&'d\\0061t\\+000061';\n", false),
    ("\\echo caf\u{e9}\n", false),
    // psql drops a byte-order mark: a COPY right after it still has its data.
    ("\u{feff}COPY s FROM stdin;\n1\t\\N\n\\.\n", false),
    ("\u{feff}\\! id\n", true),
];

#[test]
fn lint_and_the_runner_refuse_the_same_files_at_the_same_place() {
    let bb = busybox_path();
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, (sql, refused)) in CASES.iter().enumerate() {
        let f = tmp.path().join(format!("case{i}.sql"));
        std::fs::write(&f, sql).unwrap();
        let (r, l) = (runner(bb.path(), &f), lint(&f));
        if r.is_some() != *refused {
            problems.push(format!("case {i} {sql:?}: the runner says {r:?}, expected refused={refused}"));
        }
        if !same(r, l) {
            problems.push(format!("case {i} {sql:?}: runner {r:?}, lint {l:?}"));
        }
    }
    let mut files = Vec::new();
    collect(&root().join("tests/fixtures"), &mut files);
    assert!(files.len() > 50, "the fixtures' .sql files: {}", files.len());
    for f in &files {
        let (r, l) = (runner(bb.path(), f), lint(f));
        if !same(r, l) {
            problems.push(format!("{}: runner {r:?}, lint {l:?}", f.display()));
        }
    }
    assert!(problems.is_empty(), "lint and the runner disagree:\n{}", problems.join("\n"));
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let ft = std::fs::symlink_metadata(&p).unwrap().file_type();
        if ft.is_dir() {
            collect(&p, out);
        } else if ft.is_file() && p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}
