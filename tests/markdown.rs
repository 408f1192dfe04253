//! The PR comment (src/render/markdown.rs) over hand-built results documents: a passing
//! run, a run with findings, a run with a destructive schema change, and the
//! cut to GitHub's size limit.

use trm_ci::finding::{Finding, Severity, Span};
use trm_ci::render::markdown::{self, Links};
use trm_ci::results::{Build, Lint, Results, Scenario, SchemaChange, Smoke, Stage, StageName, Verdict};

fn links() -> Links {
    Links {
        server_url: "https://github.com".into(),
        repository: "acme/shop".into(),
        sha: "0123456789abcdef0123456789abcdef01234567".into(),
        run_url: Some("https://github.com/acme/shop/actions/runs/777".into()),
    }
}

fn item(severity: Severity, file: &str, line: u32, rule: &str, message: &str, help: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        file: file.into(),
        span: Some(Span { line, col: 1, end_line: line, end_col: 20, offset: 0, len: 0 }),
        message: message.into(),
        help: help.into(),
    }
}

fn lint(findings: Vec<Finding>) -> Option<Lint> {
    Some(Lint { findings, ..Lint::default() })
}

/// A stage's recorded wall time.
fn stage(name: StageName, seconds: f64) -> Stage {
    Stage { name, ok: true, seconds }
}

fn scenario(name: &str, seconds: f64, time_to_healthy: Option<f64>) -> Scenario {
    Scenario { name: name.into(), ok: true, seconds, time_to_healthy, ..Scenario::default() }
}

fn boots() -> Vec<Scenario> {
    vec![
        scenario("cold", 21.4, Some(19.8)),
        scenario("warm", 9.2, Some(8.1)),
        scenario("db-init-fault", 6.0, None),
        // The `docker stop` time, as the stop scenario records it.
        Scenario { stop_seconds: Some(0.4), ..scenario("schema-fault", 7.5, None) },
    ]
}

fn image() -> Build {
    Build {
        ok: true,
        tag: "trm-directus:dev".into(),
        total_size: Some(512_300_000),
        added_size: Some(12_400_000),
        max_size: 600_000_000,
        ..Build::default()
    }
}

/// Schema changes as `trm-ci diff` records them.
fn changes(v: serde_json::Value) -> Option<SchemaChange> {
    Some(SchemaChange {
        base: "origin/main".into(),
        snapshot: "snapshots/snapshot.yaml".into(),
        base_missing: false,
        changes: serde_json::from_value(v).unwrap(),
    })
}

fn note_added() -> serde_json::Value {
    serde_json::json!({"collection": "orders", "field": "note", "what": {"kind": "field_added", "type": "text", "column": true, "nullable": true}, "destructive": false})
}

fn passing() -> Results {
    Results {
        base: Some("origin/main".into()),
        lint: lint(vec![]),
        schema: changes(serde_json::json!([note_added()])),
        build: Some(image()),
        smoke: Some(Smoke { ok: true, scenarios: boots(), ..Smoke::default() }),
        stages: vec![stage(StageName::Lint, 0.21), stage(StageName::Build, 74.0), stage(StageName::Smoke, 131.0)],
        ..Results::default()
    }
}

fn render(doc: &Results) -> String {
    markdown::render(doc, Severity::Error, &links(), markdown::COMMENT_LIMIT)
}

#[test]
fn passing_run() {
    insta::assert_snapshot!("passing", render(&passing()));
}

#[test]
fn run_with_findings() {
    let doc = Results {
        base: Some("origin/main".into()),
        lint: lint(vec![
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
        ]),
        build: Some(Build {
            ok: false,
            total_size: None,
            added_size: None,
            error: Some("step 4/9 failed: COPY db-post/ /directus/db-post/".into()),
            ..image()
        }),
        stages: vec![stage(StageName::Lint, 0.3), stage(StageName::Build, 12.0)],
        ..Results::default()
    };
    insta::assert_snapshot!("findings", render(&doc));
}

#[test]
fn destructive_schema_change() {
    let mut doc = passing();
    doc.stages[0].seconds = 0.2;
    doc.lint = lint(vec![item(
        Severity::Error,
        "snapshots/snapshot.yaml",
        412,
        "snapshot/destructive-change",
        "field `customers.phone` changes type string → integer",
        "existing values may not convert; migrate the data first",
    )]);
    doc.schema = changes(serde_json::json!([
        note_added(),
        {"collection": "customers", "field": "phone", "what": {"kind": "type_changed", "from": "string", "to": "integer"}, "destructive": true,
         "reason": "existing values may not convert"},
        {"collection": "legacy_notes", "what": {"kind": "collection_removed", "table": true, "fields": 3}, "destructive": true}
    ]));
    let smoke = doc.smoke.as_mut().unwrap();
    smoke.scenarios[1] = Scenario {
        ok: false,
        time_to_healthy: None,
        failure: Some("[schema] ERROR: plan deletes collection legacy_notes | refusing".into()),
        ..scenario("warm", 30.0, None)
    };
    smoke.ok = false;
    insta::assert_snapshot!("destructive_schema", render(&doc));
}

#[test]
fn cut_to_the_limit_keeps_the_most_severe() {
    let mut findings = Vec::new();
    for n in 0..3000u32 {
        let sev = if n % 2 == 0 { Severity::Warning } else { Severity::Error };
        findings.push(item(sev, &format!("db-init/{:04}_m.sql", n / 10 + 1), n % 10 + 1, "migrations/destructive", "DROP TABLE `t` deletes the table and its rows", "check"));
    }
    let doc = Results { lint: lint(findings), stages: vec![stage(StageName::Lint, 1.0)], ..Results::default() };
    let md = render(&doc);
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
    let doc = Results {
        lint: lint(vec![Finding {
            rule: "dockerfile/expose".into(),
            severity: Severity::Warning,
            file: "Dockerfile".into(),
            span: None,
            message: "EXPOSE".into(),
            help: String::new(),
        }]),
        stages: vec![stage(StageName::Lint, 0.1)],
        ..Results::default()
    };
    assert_eq!(doc.verdict(Severity::Error), Verdict::Pass);
    assert!(render(&doc).contains("| lint | ✅ pass (0 errors, 1 warning) | 0.1 s |"), "{}", render(&doc));
    assert_eq!(doc.verdict(Severity::Warning), Verdict::Fail);
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
        "upgrade": {"ok": false, "from": "main", "from_image": "trm-directus:base-1a2b3c4", "to_image": "trm-directus:dev", "steps": [
            {"name": "boot-base", "ok": true, "seconds": 20.0, "time_to_healthy": 18.5, "time_to_pong": null, "checks": [], "failure": null, "log_tail": []},
            {"name": "boot-head", "ok": false, "seconds": 31.0, "time_to_healthy": null, "time_to_pong": null, "checks": [],
             "failure": "[schema] ERROR: plan deletes collection legacy_notes\nrefusing | set TRM_ALLOW_DESTRUCTIVE_SCHEMA=1", "log_tail": []}
        ]},
        "stages": [{"name": "lint", "ok": true, "seconds": 0.21}, {"name": "build", "ok": true, "seconds": 74.0},
                   {"name": "smoke", "ok": true, "seconds": 131.0}, {"name": "upgrade", "ok": false, "seconds": 58.0}]
    }))
    .unwrap();
    assert_eq!(doc.verdict(Severity::Error), Verdict::Fail, "the upgrade drill failed");
    let md = render(&doc);
    assert!(md.contains("Stop (`docker stop`): 0.4 s\n"), "{md}");
    let schema: Vec<&str> = md.lines().filter(|l| l.starts_with("- ") && l.contains("collection")).collect();
    assert!(schema[0].starts_with("- ⚠️ **destructive:** collection `legacy_<b>notes</b>` removed"), "{md}");
    insta::assert_snapshot!("from_results", md);
}

/// The drill of a Directus major bump: the comment names both Directus versions and the Directus
/// migrations that ran, the rollback, and what the snapshot-history guard did (a document written
/// before those fields shows neither line).
#[test]
fn the_drill_names_directus_and_the_guard() {
    let reason = "this image's snapshot (revision 1a2b, Directus 11.17.4) is older than the schema applied last (revision 3c4d, Directus 12.4.1), and the database was migrated by a newer Directus than this image's 11.17.4: refusing to start";
    let mut doc: trm_ci::results::Results = serde_json::from_value(serde_json::json!({
        "version": 1,
        "tool": {"name": "trm-ci", "version": "0.1.0"},
        "summary": {"errors": 0, "warnings": 0, "files_checked": 1},
        "findings": [],
        "notes": [],
        "upgrade": {"ok": true, "from_image": "trm-directus:base-1a2b3c4", "to_image": "trm-directus:dev", "steps": [],
            "from": "main", "summary": "upgrade from main: Directus 11.17.4 → 12.4.1 (2 Directus migrations ran), 0 migrations applied",
            "directus": {"from": "11.17.4", "to": "12.4.1", "migrations": [
                {"version": "20260217A", "name": "Nullable Version Item"}, {"version": "20260909A", "name": "Add <Flows> Module"}]},
            "rollback": {"outcome": "refused", "detail": format!("[schema] ERROR: {reason}"), "guard": {"verdict": "refused", "reason": reason}}}
    }))
    .unwrap();
    let md = render(&doc);
    let t = trm_ci::render::markdown::text;
    let want = format!(
        "**Directus**: {}: `20260217A` {}, `20260909A` {}\n",
        t("Directus 11.17.4 → 12.4.1; 2 Directus migrations ran"),
        t("Nullable Version Item"),
        t("Add <Flows> Module")
    );
    assert!(md.contains(&want), "{want}\n{md}");
    // Refused by the guard: its reason once, on the guard's line.
    assert!(md.contains("**Rollback** (the base's image again on the upgraded database): refused\n"), "{md}");
    assert!(md.contains(&format!("**Snapshot-history guard**: {}\n", t(&format!("refused the older image: {reason}")))), "{md}");
    // A document from before: no Directus line, the rollback's detail, no guard line.
    let u = doc.upgrade.as_mut().unwrap();
    u.directus = None;
    u.rollback.as_mut().unwrap().guard = None;
    let md = render(&doc);
    assert!(!md.contains("**Directus**") && !md.contains("guard"), "{md}");
    assert!(md.contains(&format!("): refused: {}\n", t(&format!("[schema] ERROR: {reason}")))), "{md}");
}

/// With `tool.rules_url` (the Action sets it to the docs/rules/ of the trm-ci it runs), each rule id
/// links to its page; an id the registry does not know, or a document without the URL, is not linked.
#[test]
fn rule_ids_link_to_their_pages() {
    let base = "https://github.com/acme/trm-ci/blob/v0.1.0/docs/rules/";
    let findings = lint(vec![
        item(Severity::Error, "db-init/0004_drop_legacy.sql", 5, "migrations/destructive", "`DROP TABLE legacy` deletes rows", ""),
        item(Severity::Warning, "Dockerfile", 2, "future/rule", "from a newer trm-ci", ""),
    ]);
    let mut doc = Results { lint: findings, ..Results::default() };
    let plain = render(&doc);
    assert!(plain.contains(" `migrations/destructive` ") && !plain.contains("docs/rules/"), "{plain}");

    doc.tool.rules_url = trm_ci::results::rules_url(base);
    let linked = render(&doc);
    assert!(linked.contains(&format!(" [`migrations/destructive`]({base}migrations/destructive.md) ")), "{linked}");
    assert!(linked.contains(" `future/rule` ") && !linked.contains("future/rule.md"), "{linked}");

    for bad in ["javascript:alert(1)", "https://x/a b/", "https://x/(y)/", ""] {
        assert_eq!(trm_ci::results::rules_url(bad), None, "{bad}");
    }
    assert_eq!(trm_ci::results::rules_url("https://x/docs/rules").as_deref(), Some("https://x/docs/rules/"));
}

/// Pre-existing findings (PR-scoped judgement, issue 18): counted in the lint row, listed in a
/// folded section after the findings, never failing the verdict.
#[test]
fn pre_existing_findings_are_counted_and_folded_never_failing() {
    let mut l = Lint {
        findings: vec![item(Severity::Warning, "Dockerfile", 2, "dockerfile/expose", "EXPOSE has no effect here", "remove it")],
        ..Lint::default()
    };
    l.pre_existing = vec![
        item(Severity::Error, "db-init/0002_author.sql", 1, "migrations/not-null-without-default", "`author` is added NOT NULL", "add a default"),
        item(Severity::Error, "db-init/0001_notes.sql", 3, "migrations/destructive", "`DROP TABLE` deletes `old`", "check"),
    ];
    let doc = Results { lint: Some(l), stages: vec![stage(StageName::Lint, 0.3)], ..Results::default() };
    let md = render(&doc);
    assert!(md.starts_with("### ✅ trm-ci: passed · 0 errors, 1 warning"), "{md}");
    assert!(md.contains("| lint | ✅ pass (0 errors, 1 warning; 2 pre\\-existing) |"), "{md}");
    let details = md.find("<details><summary>2 findings in migrations unchanged since the base: pre-existing, not counted, never failing the run</summary>\n\n").unwrap_or_else(|| panic!("{md}"));
    assert!(md.find("#### Findings").unwrap() < details && md.find("EXPOSE").unwrap() < details, "{md}");
    let folded = &md[details..md.find("</details>").unwrap()];
    assert!(folded.contains("- ❌ [1:1](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/db-init/0002_author.sql#L1) `migrations/not-null-without-default`"), "{folded}");
    assert!(folded.contains("db-init/0001_notes.sql"), "{folded}");
}

/// The folded list is cut like the findings: the judged ones first, the rest of the folded ones
/// counted, the section still closed.
#[test]
fn pre_existing_findings_are_cut_after_the_judged_ones() {
    let mut l = Lint {
        findings: (1..=5).map(|n| item(Severity::Error, "db-init/0009_new.sql", n, "migrations/destructive", "`DROP TABLE` deletes `t`", "check")).collect(),
        ..Lint::default()
    };
    l.pre_existing = (0..3000u32)
        .map(|n| item(Severity::Error, &format!("db-init/{:04}_old.sql", n / 10 + 1), n % 10 + 1, "migrations/destructive", "`DROP TABLE` deletes `t`", "check"))
        .collect();
    let doc = Results { lint: Some(l), stages: vec![stage(StageName::Lint, 1.0)], ..Results::default() };
    let md = render(&doc);
    assert!(md.chars().count() <= markdown::COMMENT_LIMIT, "{}", md.chars().count());
    let (judged, folded) = md.split_once("<details>").unwrap_or_else(|| panic!("{md}"));
    assert_eq!(judged.matches("0009_new.sql#L").count(), 5, "every judged finding is shown");
    assert!(folded.trim_end().ends_with("</details>\n\n<sub>trm-ci 0.1.0</sub>") || folded.contains("</details>\n\n<sub>"), "{folded}");
    let shown = folded.matches("- ❌ [").count();
    let hidden: usize = folded.split("and **").nth(1).unwrap().split(" more").next().unwrap().parse().unwrap();
    assert!(shown > 0);
    assert_eq!(shown + hidden, 3000);
}

/// Issue 17, "Trust on the PR": the branch's trm-ci.toml weakening a rule against the base's is
/// said at the top of the comment, each change named.
#[test]
fn a_weakened_configuration_is_said_at_the_top() {
    let weak = |key: &str, base: &str, head: &str| trm_ci::config::Weakening { key: key.into(), base: base.into(), head: head.into() };
    let l = Lint {
        config_weakened: vec![
            weak("rules.\"migrations/destructive\"", "error", "off"),
            weak("paths.migrations", "db-init", "sql`<b>@x"),
            weak("lint.all", "true", "false"),
        ],
        ..Lint::default()
    };
    let doc = Results { lint: Some(l), stages: vec![stage(StageName::Lint, 0.3)], ..Results::default() };
    let md = render(&doc);
    let top: Vec<&str> = md.lines().skip(2).take(5).collect();
    assert_eq!(
        top,
        [
            "> [!WARNING]",
            "> **This pull request weakens trm-ci's configuration** against the base's, so the lint judges less than it did:",
            "> - `rules.\"migrations/destructive\"`: `error` → `off`",
            "> - `paths.migrations`: `db-init` → ``sql`<b>@x``",
            "> - `lint.all`: `true` → `false`",
        ],
        "{md}"
    );
    // Without a weakening, nothing of it.
    assert!(!render(&passing()).contains("[!WARNING]"));
}

/// Approved destructive schema changes (allow-destructive.txt) have their own heading, each with
/// the approval's line and reason, escaped and bounded.
#[test]
fn approved_destructive_changes_have_their_own_heading() {
    let approval = |item: &str, line: u32, reason: Option<&str>| trm_ci::model::approvals::ApprovedChange {
        item: item.into(),
        change: format!("`{item}` removed"),
        reason: reason.map(String::from),
        file: "snapshots/allow-destructive.txt".into(),
        line,
    };
    let mut l = Lint::default();
    l.approved = vec![approval("addresses.label", 2, Some("moved to <b>line1</b> @team")), approval("legacy", 3, None)];
    let doc = Results { lint: Some(l.clone()), stages: vec![stage(StageName::Lint, 0.3)], ..Results::default() };
    let md = render(&doc);
    let at = md.find("#### Approved destructive changes\n\nApproved in [`snapshots/allow-destructive.txt`](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/snapshots/allow-destructive.txt)").unwrap_or_else(|| panic!("{md}"));
    let section = &md[at..];
    assert!(section.contains("- ⚠️ `addresses.label`: `addresses.label` removed ([line 2](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/snapshots/allow-destructive.txt#L2)) — moved to \\<b\\>line1\\</b\\> @\u{2060}team\n"), "{section}");
    assert!(section.contains("- ⚠️ `legacy`: `legacy` removed ([line 3]("), "{section}");
    // Many, with long reasons: 50 listed, the rest counted, each reason cut; it fits.
    l.approved = (0..250).map(|n| approval(&format!("c{n}"), n + 1, Some(&"x".repeat(5000)))).collect();
    let md = render(&Results { lint: Some(l), ..Results::default() });
    assert!(md.contains("- … and 200 more (see the approvals file)\n"), "{md}");
    assert!(md.contains(&"x".repeat(200)) && !md.contains(&"x".repeat(201)), "a reason is cut");
    assert!(md.chars().count() < markdown::COMMENT_LIMIT / 2, "{}", md.chars().count());
}
