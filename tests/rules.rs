//! Every rule in the registry has a failing and a passing fixture:
//! `tests/fixtures/rules/<area>/<name>/fail/` must produce at least one
//! finding of that rule, `pass/` none. A fixture is a small repository tree;
//! one with `base/` and `head/` subdirectories becomes a git repository
//! whose single commit is `base/` and whose work tree is `head/`, linted
//! with `--base HEAD`. The failing fixture's findings are snapshot-tested
//! (tests/snapshots/), so a change in a message or a span shows in review.

mod common;
use common::copy_tree;

use std::path::{Path, PathBuf};

use trm_ci::linter;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Materialises a fixture in a temp dir; returns (dir guard, repo path, base).
pub fn materialise(fixture: &Path) -> (tempfile::TempDir, PathBuf, Option<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let base = fixture.join("base");
    let head = fixture.join("head");
    if base.is_dir() && head.is_dir() {
        copy_tree(&base, &repo);
        common::init_and_commit_all(&repo, "base");
        // Replace the work tree by head/.
        for e in std::fs::read_dir(&repo).unwrap() {
            let e = e.unwrap();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                std::fs::remove_dir_all(e.path()).unwrap();
            } else {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        copy_tree(&head, &repo);
        (tmp, repo, Some("HEAD".into()))
    } else {
        copy_tree(fixture, &repo);
        (tmp, repo, None)
    }
}

fn findings_of(rule: &str, fixture: &Path) -> Vec<trm_ci::finding::Finding> {
    let (_tmp, repo, base) = materialise(fixture);
    let (report, _) = linter::run(&linter::Options { repo, base, ..Default::default() })
        .unwrap_or_else(|e| panic!("{}: lint failed: {e}", fixture.display()));
    report.findings.into_iter().filter(|f| f.rule == rule).collect()
}

/// Rules whose findings come from a real server (`lint --postgres`): their
/// fixtures are required here but run by tests/pgreplay.rs, which has one.
pub const SERVER_RULES: &[&str] = &["migrations/postgres-error"];

#[test]
fn every_rule_has_a_failing_and_a_passing_fixture() {
    let mut problems = Vec::new();
    for rule in trm_ci::rules::all() {
        let dir = fixtures().join(rule.id);
        for kind in ["fail", "pass"] {
            if !dir.join(kind).is_dir() {
                problems.push(format!("{}: missing fixture {}", rule.id, dir.join(kind).display()));
            }
        }
        if SERVER_RULES.contains(&rule.id) || problems.iter().any(|p| p.starts_with(&format!("{}:", rule.id))) {
            continue;
        }
        let fail = findings_of(rule.id, &dir.join("fail"));
        if fail.is_empty() {
            problems.push(format!("{}: fail/ fixture produced no finding of this rule", rule.id));
        }
        for f in &fail {
            if let Some(s) = f.span {
                assert!(s.line >= 1 && s.col >= 1, "{}: spans are 1-based: {f:?}", rule.id);
            }
            assert!(!f.help.is_empty(), "{}: every finding says what to do: {f:?}", rule.id);
        }
        let pass = findings_of(rule.id, &dir.join("pass"));
        if !pass.is_empty() {
            problems.push(format!("{}: pass/ fixture produced {pass:#?}", rule.id));
        }
        let rendered: String = fail
            .iter()
            .map(|f| {
                let at = match f.span {
                    Some(s) => format!("{}:{}:{}-{}:{}", f.file, s.line, s.col, s.end_line, s.end_col),
                    None => f.file.clone(),
                };
                format!("{at} {} {}\n  help: {}\n", f.severity.as_str(), f.message, f.help)
            })
            .collect();
        insta::assert_snapshot!(rule.id.replace('/', "__"), rendered);
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn no_fixture_without_a_rule() {
    for area in std::fs::read_dir(fixtures()).unwrap() {
        let area = area.unwrap();
        for name in std::fs::read_dir(area.path()).unwrap() {
            let id = format!("{}/{}", area.file_name().to_string_lossy(), name.unwrap().file_name().to_string_lossy());
            assert!(trm_ci::rules::find(&id).is_some(), "fixture for unknown rule {id}");
        }
    }
}

/// PR-scoped judgement (issue 18). `tests/fixtures/pr-scope`: the base has a
/// db-init file merged long ago that `not-null-without-default` now flags,
/// and a db-post file that `alters-snapshot-schema` flags; the head adds a
/// file of each kind with the same kind of statement, and a collection
/// `legacy` to the snapshot, over a table the old db-init file creates.
#[test]
fn findings_in_migrations_unchanged_since_the_base_are_pre_existing() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pr-scope");
    let (_tmp, repo, base) = materialise(&fixture);
    assert!(base.is_some(), "a base/ and head/ fixture");
    let at = |fs: &[trm_ci::finding::Finding], rule: &str| -> Vec<String> {
        fs.iter().filter(|f| f.rule == rule).map(|f| format!("{}:{}", f.file, f.line())).collect()
    };

    let (lint, _) = linter::run(&linter::Options { repo: repo.clone(), base: base.clone(), ..Default::default() }).unwrap();
    // Judged: the files the PR adds.
    assert_eq!(at(&lint.findings, "migrations/not-null-without-default"), ["db-init/0003_notes_reviewer.sql:2"]);
    assert_eq!(at(&lint.findings, "migrations/alters-snapshot-schema"), ["db-post/0002_orders_status_text.sql:2"]);
    // Also judged: a finding the PR causes in an old file (its snapshot now defines `legacy`).
    assert_eq!(at(&lint.findings, "migrations/snapshot-collision"), ["db-init/0001_notes.sql:2"]);
    // Pre-existing: what the base had in the files nobody touched; not counted.
    assert_eq!(at(&lint.pre_existing, "migrations/not-null-without-default"), ["db-init/0002_notes_author.sql:2"]);
    assert_eq!(at(&lint.pre_existing, "migrations/alters-snapshot-schema").len(), 3, "{:#?}", lint.pre_existing);
    assert!(lint.pre_existing.iter().all(|f| f.file == "db-init/0002_notes_author.sql" || f.file == "db-post/0001_orders_status.sql"));
    assert_eq!(lint.summary.pre_existing, lint.pre_existing.len());
    assert_eq!(lint.summary.errors, lint.count(trm_ci::finding::Severity::Error));
    let note = trm_ci::render::lint_notes::words(&lint).into_iter().find(|n| n.contains("pre-existing")).expect("a note says so");
    assert!(note.starts_with(&format!("{} findings in migrations unchanged since the base", lint.pre_existing.len())), "{note}");

    // --all judges every migration, as without a base.
    let (all, _) = linter::run(&linter::Options { repo: repo.clone(), base: base.clone(), all: true, ..Default::default() }).unwrap();
    assert!(all.pre_existing.is_empty());
    assert_eq!(
        at(&all.findings, "migrations/not-null-without-default"),
        ["db-init/0002_notes_author.sql:2", "db-init/0003_notes_reviewer.sql:2"]
    );
    assert_eq!(at(&all.findings, "migrations/alters-snapshot-schema").len(), 4);
    // The history rules are not scoped: editing the old file to silence it is a finding.
    let old = repo.join("db-init/0002_notes_author.sql");
    std::fs::write(&old, "ALTER TABLE app_notes ADD COLUMN author text NOT NULL DEFAULT '';\n").unwrap();
    let (edited, _) = linter::run(&linter::Options { repo, base, ..Default::default() }).unwrap();
    assert_eq!(at(&edited.findings, "migrations/edited-after-merge"), ["db-init/0002_notes_author.sql:1"]);
}
