//! The PR comment (src/render/markdown.rs) over hand-built runs: a passing
//! run, a run with findings, a run with a destructive schema change, and the
//! cut to GitHub's size limit.

use trm_ci::finding::Severity;
use trm_ci::render::markdown::{self, Image, Item, Links, Run, Scenario, SchemaLine, Stage, Status};

fn links() -> Links {
    Links {
        server_url: "https://github.com".into(),
        repository: "acme/shop".into(),
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        run_url: Some("https://github.com/acme/shop/actions/runs/777".into()),
    }
}

fn item(severity: Severity, file: &str, line: u32, rule: &str, message: &str, help: &str) -> Item {
    Item {
        rule: rule.into(),
        severity,
        file: file.into(),
        line: Some(line),
        col: Some(1),
        end_line: Some(line),
        end_col: Some(20),
        message: message.into(),
        help: help.into(),
    }
}

fn stage(name: &str, status: Status, seconds: Option<f64>, note: Option<&str>) -> Stage {
    Stage { name: name.into(), status, seconds, note: note.map(str::to_string) }
}

fn boots() -> Vec<Scenario> {
    vec![
        Scenario { name: "cold".into(), ok: true, seconds: 21.4, time_to_healthy: Some(19.8), failure: None },
        Scenario { name: "warm".into(), ok: true, seconds: 9.2, time_to_healthy: Some(8.1), failure: None },
        Scenario { name: "db-init-fault".into(), ok: true, seconds: 6.0, time_to_healthy: None, failure: None },
        Scenario { name: "schema-fault".into(), ok: true, seconds: 7.5, time_to_healthy: None, failure: None },
    ]
}

fn passing() -> Run {
    Run {
        stages: vec![
            stage("lint", Status::Pass, Some(0.21), Some("0 errors, 0 warnings")),
            stage("build", Status::Pass, Some(74.0), None),
            stage("smoke", Status::Pass, Some(131.0), None),
        ],
        base: Some("origin/main".into()),
        schema: Some(vec![SchemaLine::message("orders: field `note` added (text, nullable)", false)]),
        image: Some(Image { tag: "trm-directus:dev".into(), total_size: Some(512_300_000), added_size: Some(12_400_000), budget: Some(600_000_000) }),
        scenarios: boots(),
        stop_seconds: Some(0.4),
        ..Run::default()
    }
}

#[test]
fn passing_run() {
    insta::assert_snapshot!("passing", markdown::render(&passing(), &links(), markdown::COMMENT_LIMIT));
}

#[test]
fn run_with_findings() {
    let run = Run {
        stages: vec![
            stage("lint", Status::Fail, Some(0.3), Some("2 errors, 1 warning")),
            stage("build", Status::Fail, Some(12.0), Some("step 4/9 failed: COPY db-post/ /directus/db-post/")),
            stage("smoke", Status::Skipped, None, Some("the build failed")),
        ],
        findings: vec![
            item(Severity::Warning, "Dockerfile", 2, "dockerfile/expose", "EXPOSE has no effect here", "remove the instruction"),
            item(
                Severity::Error,
                "db-init/0004_drop_legacy.sql",
                5,
                "migrations/destructive",
                "`DROP TABLE legacy` deletes the table and its rows",
                "if intended, add `-- trm-ci: ignore=migrations/destructive <reason>` above it",
            ),
            item(
                Severity::Error,
                "db-init/0004_drop_legacy.sql",
                2,
                "migrations/snapshot-collision",
                "creates table `café`, which the snapshot defines as a collection",
                "let Directus own `café`: remove it from the migration",
            ),
        ],
        base: Some("origin/main".into()),
        image: Some(Image { tag: "trm-directus:dev".into(), total_size: None, added_size: None, budget: Some(600_000_000) }),
        ..Run::default()
    };
    insta::assert_snapshot!("findings", markdown::render(&run, &links(), markdown::COMMENT_LIMIT));
}

#[test]
fn destructive_schema_change() {
    let mut run = passing();
    run.stages[0] = stage("lint", Status::Fail, Some(0.2), Some("1 error, 0 warnings"));
    run.findings = vec![item(
        Severity::Error,
        "snapshots/snapshot.yaml",
        412,
        "snapshot/destructive-change",
        "field `customers.phone` changes type string → integer",
        "existing values may not convert; migrate the data first",
    )];
    run.schema = Some(vec![
        SchemaLine::message("orders: field `note` added (text, nullable)", false),
        SchemaLine::message("`customers.phone`: type string → integer (existing values may not convert)", true),
        SchemaLine::message("collection `legacy_notes` removed (its table and rows are dropped)", true),
    ]);
    run.scenarios[1] = Scenario {
        name: "warm".into(),
        ok: false,
        seconds: 30.0,
        time_to_healthy: None,
        failure: Some("[schema] ERROR: plan deletes collection legacy_notes | refusing".into()),
    };
    insta::assert_snapshot!("destructive_schema", markdown::render(&run, &links(), markdown::COMMENT_LIMIT));
}

#[test]
fn cut_to_the_limit_keeps_the_most_severe() {
    let mut run = Run { stages: vec![stage("lint", Status::Fail, Some(1.0), None)], ..Run::default() };
    for n in 0..3000u32 {
        let sev = if n % 2 == 0 { Severity::Warning } else { Severity::Error };
        run.findings.push(item(sev, &format!("db-init/{:04}_m.sql", n / 10 + 1), n % 10 + 1, "migrations/destructive", "DROP TABLE `t` deletes the table and its rows", "check"));
    }
    let md = markdown::render(&run, &links(), markdown::COMMENT_LIMIT);
    assert!(md.chars().count() <= markdown::COMMENT_LIMIT, "{}", md.chars().count());
    assert!(md.contains("more** not shown here"), "{md}");
    assert!(md.contains("(https://github.com/acme/shop/actions/runs/777)"));
    // Every shown finding is an error: the 1,500 errors come before any warning.
    assert!(md.contains("❌ ["));
    assert!(!md.contains("⚠️ ["), "a warning shown while errors were cut");
    // The rest are counted: shown + hidden = 3000.
    let shown = md.matches("- ❌ [").count();
    let hidden: usize = md.split("and **").nth(1).unwrap().split(" more").next().unwrap().parse().unwrap();
    assert_eq!(shown + hidden, 3000);
}

#[test]
fn from_lint_report() {
    let report = trm_ci::lint::Report {
        findings: vec![trm_ci::finding::Finding {
            rule: "dockerfile/expose".into(),
            severity: Severity::Warning,
            file: "Dockerfile".into(),
            span: None,
            message: "EXPOSE".into(),
            help: String::new(),
        }],
        ..Default::default()
    };
    let run = Run::from_lint(&report, Some(0.1));
    assert_eq!(run.verdict(), markdown::Verdict::Pass);
    assert_eq!(run.stages[0].note.as_deref(), Some("0 errors, 1 warning"));
    let strict = Run { fail_on: Some(Severity::Warning), ..run };
    assert_eq!(strict.verdict(), markdown::Verdict::Fail);
}

/// The comment from a results document (what `trm-ci post` reads): the schema change with its
/// destructive line first, the image against its budget, the boot scenarios with the stop, and
/// the upgrade drill.
#[test]
fn from_a_results_document() {
    let doc: trm_ci::results::Results = serde_json::from_value(serde_json::json!({
        "version": 1,
        "tool": {"name": "trm-ci", "version": "0.1.0"},
        "head": "0123456789abcdef0123456789abcdef01234567",
        "base": "origin/main (merge-base 1a2b3c4)",
        "summary": {"errors": 0, "warnings": 1, "files_checked": 14},
        "findings": [{"rule": "dockerfile/expose", "severity": "warning", "file": "Dockerfile", "line": 9, "column": 1,
                      "end_line": 9, "end_column": 12, "message": "`EXPOSE 8055` documents nothing here", "help": "remove it"}],
        "notes": [],
        "schema": {"base": "origin/main (merge-base 1a2b3c4)", "snapshot": "snapshots/snapshot.yaml", "base_missing": false, "changes": [
            {"collection": "orders", "field": "note", "what": {"kind": "field_added", "type": "text", "column": true, "nullable": true}, "destructive": false},
            {"collection": "legacy_<b>notes</b>", "what": {"kind": "collection_removed", "table": true, "fields": 3}, "destructive": true}
        ]},
        "build": {"ok": true, "tag": "trm-directus:dev", "image_id": "sha256:abc", "base_image": "directus/directus:11.17.4",
                  "total_size": 512300000, "base_size": 499900000, "added_size": 12400000, "max_size": 600000000,
                  "over_max_size": false, "build_seconds": 74.0, "context_files": 40, "context_bytes": 90000,
                  "steps": [], "cached_steps": [], "layers": [], "error": null},
        "smoke": {"ok": true, "image": "trm-directus:dev", "postgres_image": "trm-ci/postgres:15", "healthcheck": [],
                  "healthcheck_interval_image_s": 5.0, "healthcheck_interval_used_s": 1.0, "baseline": null, "kept": null,
                  "scenarios": [
                      {"name": "cold", "ok": true, "seconds": 21.4, "time_to_healthy": 19.8, "time_to_pong": 19.1, "checks": [], "failure": null, "log_tail": []},
                      {"name": "warm", "ok": true, "seconds": 9.2, "time_to_healthy": 8.1, "time_to_pong": 7.9, "checks": [], "failure": null, "log_tail": []},
                      {"name": "stop", "ok": true, "seconds": 14.9, "stop_seconds": 0.4, "time_to_healthy": null, "time_to_pong": null, "checks": [], "failure": null, "log_tail": []}
                  ]},
        "upgrade": {"ok": false, "from_image": "trm-directus:base-1a2b3c4", "to_image": "trm-directus:dev", "steps": [
            {"name": "boot-base", "ok": true, "seconds": 20.0, "time_to_healthy": 18.5, "time_to_pong": null, "checks": [], "failure": null, "log_tail": []},
            {"name": "boot-head", "ok": false, "seconds": 31.0, "time_to_healthy": null, "time_to_pong": null, "checks": [],
             "failure": "[schema] ERROR: plan deletes collection legacy_notes\nrefusing | set TRM_ALLOW_DESTRUCTIVE_SCHEMA=1", "log_tail": []}
        ]},
        "stages": [{"name": "lint", "ok": true, "seconds": 0.21}, {"name": "build", "ok": true, "seconds": 74.0},
                   {"name": "smoke", "ok": true, "seconds": 131.0}, {"name": "upgrade", "ok": false, "seconds": 58.0}]
    }))
    .unwrap();
    let run = Run::from_results(&doc);
    assert_eq!(run.verdict(), markdown::Verdict::Fail, "the upgrade drill failed");
    assert_eq!(run.stop_seconds, Some(0.4));
    let md = markdown::render(&run, &links(), markdown::COMMENT_LIMIT);
    let schema: Vec<&str> = md.lines().filter(|l| l.starts_with("- ") && l.contains("collection")).collect();
    assert!(schema[0].starts_with("- ⚠️ **destructive:** collection `legacy_<b>notes</b>` removed"), "{md}");
    insta::assert_snapshot!("from_results", md);
}
