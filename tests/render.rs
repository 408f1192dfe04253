//! Every output format over one hand-built report: the findings are made
//! here (not by the rules), so these snapshots change only when a renderer
//! does. The SARIF document is also validated against the SARIF 2.1.0 JSON
//! Schema (tests/fixtures/sarif/sarif-2.1.0-rtm.5.json, the schema shipped by
//! the npm package @microsoft/jest-sarif 1.0.0-beta.0, MIT) and against the
//! constraints GitHub code scanning adds.

use std::collections::BTreeMap;

use serde_json::Value;
use trm_ci::finding::{Finding, Severity};
use trm_ci::render::{self, Format};
use trm_ci::results::{Lint, Omitted, Results};
use trm_ci::source::SourceFile;

const MIGRATION: &str = "-- 0003: drop the old table\nCREATE TABLE café (\n  id int\n);\nDROP TABLE legacy;\nDELETE FROM orders;\n";
const DOCKERFILE: &str = "FROM directus/directus:latest\nEXPOSE 8055\nUSER root\n";

/// The byte range of the first occurrence of `needle` as a span.
fn span_of(src: &SourceFile, needle: &str) -> trm_ci::finding::Span {
    let text = src.text().unwrap();
    let start = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {}", src.path));
    src.span(start, start + needle.len())
}

fn finding(rule: &'static str, severity: Severity, file: &str, span: Option<trm_ci::finding::Span>, message: &str, help: &str) -> Finding {
    Finding { rule: rule.into(), severity, file: file.into(), span, message: message.into(), help: help.into() }
}

/// A lint stage as `linter::run` returns it, made by hand: its summary is
/// counted from these by [`Lint::new`].
#[derive(Debug, Clone, Default)]
struct Report {
    findings: Vec<Finding>,
    omitted: Vec<Omitted>,
    notes: Vec<String>,
    sources: BTreeMap<String, String>,
    files_checked: usize,
}

impl Report {
    fn lint(self) -> Lint {
        Lint::new(self.findings, self.omitted, self.notes, self.sources, self.files_checked)
    }
    fn exit_code(&self) -> i32 {
        self.clone().lint().exit_code()
    }
}

fn report() -> Report {
    let sql = SourceFile::new("db-init/0003_drop_legacy.sql", MIGRATION.as_bytes().to_vec(), None);
    let docker = SourceFile::new("Dockerfile", DOCKERFILE.as_bytes().to_vec(), None);
    let findings = vec![
        finding(
            "dockerfile/unpinned-base",
            Severity::Error,
            "Dockerfile",
            Some(span_of(&docker, "directus/directus:latest")),
            "base image `directus/directus:latest` is not pinned to an exact version",
            "pin it: `FROM directus/directus:11.17.4`",
        ),
        finding(
            "dockerfile/expose",
            Severity::Warning,
            "Dockerfile",
            Some(span_of(&docker, "EXPOSE 8055")),
            "EXPOSE has no effect here: 100% of the ports are published by compose, not the image",
            "remove the instruction",
        ),
        // A multi-line span with a non-ASCII character in it.
        finding(
            "migrations/snapshot-collision",
            Severity::Error,
            "db-init/0003_drop_legacy.sql",
            Some(span_of(&sql, "CREATE TABLE café (\n  id int\n)")),
            "creates table `café`, which the snapshot defines as a collection",
            "let Directus own `café`: remove it from the migration",
        ),
        finding(
            "migrations/destructive",
            Severity::Error,
            "db-init/0003_drop_legacy.sql",
            Some(span_of(&sql, "DROP TABLE legacy")),
            "DROP TABLE `legacy` deletes its rows",
            "if this is intended, add `-- trm-ci: ignore=migrations/destructive <reason>` above it",
        ),
        // A zero-length span (an insertion point) at the end of a line.
        finding(
            "migrations/destructive",
            Severity::Warning,
            "db-init/0003_drop_legacy.sql",
            Some({
                let s = span_of(&sql, "DELETE FROM orders");
                sql.span(s.offset + s.len, s.offset + s.len)
            }),
            "DELETE without WHERE, line 6:\r\nremoves every row",
            "add a WHERE clause",
        ),
        // File-level findings: one with its text known, one without.
        finding(
            "lint/unreadable-file",
            Severity::Error,
            "db-init/0004_seed, latin-1.sql",
            None,
            "not valid UTF-8",
            "save the file as UTF-8",
        ),
        finding(
            "migrations/removed-after-merge",
            Severity::Error,
            "db-init/0002_users.sql",
            Some(trm_ci::finding::Span { line: 3, col: 1, end_line: 3, end_col: 5, offset: 40, len: 4 }),
            "on the base, gone now",
            "restore it",
        ),
    ];
    let mut sources = BTreeMap::new();
    sources.insert(sql.path.clone(), MIGRATION.to_string());
    sources.insert(docker.path.clone(), DOCKERFILE.to_string());
    Report {
        findings,
        omitted: Vec::new(),
        notes: vec!["no base to compare with: rules that compare with the base were skipped".into()],
        sources,
        files_checked: 7,
    }
}

/// The results document of that report (the lint stage only, as `lint` writes it).
fn doc() -> Results {
    Results::from_lint(report().lint())
}

#[test]
fn human_without_colour() {
    let out = render::render(&doc(), Format::Human, false);
    assert!(!out.contains('\u{1b}'), "ANSI escape in non-terminal output:\n{out}");
    assert!(out.ends_with("5 errors, 2 warnings in 7 files\n"), "{out}");
    insta::assert_snapshot!("human", out);
}

#[test]
fn human_with_colour_has_escapes_and_the_same_text() {
    let plain = render::render(&doc(), Format::Human, false);
    let coloured = render::render(&doc(), Format::Human, true);
    assert!(coloured.contains('\u{1b}'));
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn human_for_no_findings_is_the_summary() {
    let r = Report { files_checked: 1, ..Default::default() };
    assert_eq!(render::render(&Results::from_lint(r.lint()), Format::Human, false), "0 errors, 0 warnings in 1 file\n");
}

#[test]
fn json() {
    let out = render::render(&doc(), Format::Json, false);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["errors"], 5);
    assert_eq!(v["summary"]["warnings"], 2);
    assert_eq!(v["findings"].as_array().unwrap().len(), 7);
    insta::assert_snapshot!("json", out);
}

#[test]
fn github() {
    let out = render::render(&doc(), Format::Github, false);
    for line in out.lines().filter(|l| l.starts_with("::")) {
        // One command per line: no raw CR/LF survived escaping.
        assert!(!line.contains('\r'));
    }
    assert!(out.contains("file=db-init/0004_seed%2C latin-1.sql,title=lint/unreadable-file::"), "{out}");
    assert!(out.contains("line 6:%0D%0Aremoves every row%0Ahelp: add a WHERE clause"), "{out}");
    assert!(out.contains("100%25 of the ports"), "{out}");
    insta::assert_snapshot!("github", out);
}

fn sarif_value() -> Value {
    serde_json::from_str(&render::render(&doc(), Format::Sarif, false)).unwrap()
}

#[test]
fn sarif_is_valid_against_the_sarif_2_1_0_schema() {
    let schema: Value = serde_json::from_str(include_str!("fixtures/sarif/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let doc = sarif_value();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));

    // The validator really validates: a broken document is rejected.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_meets_github_code_scanning_constraints() {
    let doc = sarif_value();
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().starts_with("https://"));
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "trm-ci");
    let rules = driver["rules"].as_array().unwrap();
    // Every registry rule is described, with its doc as help.
    for r in trm_ci::rules::all() {
        let d = rules.iter().find(|d| d["id"] == r.id).unwrap_or_else(|| panic!("{} not in rules[]", r.id));
        assert_eq!(d["shortDescription"]["text"], r.summary);
        assert_eq!(d["help"]["text"], r.doc);
        assert_eq!(d["defaultConfiguration"]["level"], r.severity.as_str());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let idx = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], id, "ruleIndex points at its rule");
        assert!(matches!(res["level"].as_str(), Some("error" | "warning")));
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let locs = res["locations"].as_array().expect("locations");
        assert_eq!(locs.len(), 1);
        let phys = &locs[0]["physicalLocation"];
        let uri = phys["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "repo-relative: {uri}");
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        if let Some(region) = phys.get("region") {
            let n = |k: &str| region[k].as_u64().unwrap();
            assert!(n("startLine") >= 1 && n("startColumn") >= 1);
            assert!((n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")));
        }
    }
    // The file-level finding has no region; the comma and space are encoded.
    let file_level = results.iter().find(|r| r["ruleId"] == "lint/unreadable-file").unwrap();
    let phys = &file_level["locations"][0]["physicalLocation"];
    assert!(phys.get("region").is_none());
    assert_eq!(phys["artifactLocation"]["uri"], "db-init/0004_seed%2C%20latin-1.sql");
}

#[test]
fn sarif_results() {
    // The rules[] array follows the registry (others' work); snapshot the
    // results, with the registry-dependent ruleIndex redacted.
    let mut doc = sarif_value();
    let run = &mut doc["runs"][0];
    run["tool"]["driver"]["rules"] = "[redacted: the registry]".into();
    for r in run["results"].as_array_mut().unwrap() {
        r["ruleIndex"] = "[redacted]".into();
    }
    insta::assert_snapshot!("sarif", serde_json::to_string_pretty(&doc).unwrap());
}

// ---- code frames on very long lines ----

/// A frame on a 500 KB line shows a few hundred characters around the span,
/// with `…` where text was left out, and the file's own line and column.
#[test]
fn a_frame_on_a_500_kb_line_is_a_window_around_the_span() {
    let mut text = String::from("-- generated\nINSERT INTO app.blob VALUES ('");
    text.push_str(&"x".repeat(250_000));
    text.push_str("é NEEDLE_HERE ");
    text.push_str(&"y".repeat(250_000));
    text.push_str("');\nSELECT 1;\n");
    let src = SourceFile::new("db-init/0009_blob.sql", text.clone().into_bytes(), None);
    let span = span_of(&src, "NEEDLE_HERE");
    assert_eq!(span.line, 2);
    let f = finding("migrations/destructive", Severity::Error, &src.path, Some(span), "the needle", "remove it");
    let r = Report { findings: vec![f], sources: BTreeMap::from([(src.path.clone(), text.clone())]), files_checked: 1, ..Default::default() };
    let out = render::render(&Results::from_lint(r.clone().lint()), Format::Human, false);
    assert!(out.chars().count() < 1500, "{} characters:\n{}", out.chars().count(), &out[..out.len().min(3000)]);
    assert!(out.contains("NEEDLE_HERE"), "{out}");
    assert!(out.contains("…xxx") && out.contains("yyy…"), "{out}");
    assert!(out.contains(&format!("[db-init/0009_blob.sql:2:{}]", span.offset - text.find("INSERT").unwrap() + 1)), "{out}");
    assert!(out.contains(" 1 │ -- generated") && out.contains(" 3 │ SELECT 1;"), "{out}");
    insta::assert_snapshot!("human_long_line", out);

    // The long line is a neighbour: it is cut short, the finding's own line is whole.
    let f = finding("migrations/destructive", Severity::Error, &src.path, Some(span_of(&src, "SELECT 1")), "a select", "keep it");
    let r = Report { findings: vec![f], sources: BTreeMap::from([(src.path.clone(), text)]), files_checked: 1, ..Default::default() };
    let out = render::render(&Results::from_lint(r.clone().lint()), Format::Human, false);
    assert!(out.chars().count() < 1000, "{out}");
    assert!(out.contains("[db-init/0009_blob.sql:3:1]") && out.contains("INSERT INTO app.blob VALUES ('xxx"), "{out}");

    // A span over several lines, the long one in the middle: still a window.
    let text = format!("SELECT\n  1,\n  '{}',\n  2;\n", "z".repeat(500_000));
    let src = SourceFile::new("db-init/0010_wide.sql", text.clone().into_bytes(), None);
    let f = finding("migrations/destructive", Severity::Error, &src.path, Some(src.span(0, text.len() - 1)), "the statement", "fix it");
    let r = Report { findings: vec![f], sources: BTreeMap::from([(src.path.clone(), text)]), files_checked: 1, ..Default::default() };
    let out = render::render(&Results::from_lint(r.lint()), Format::Human, false);
    assert!(out.chars().count() < 1000, "{}", &out[..out.len().min(3000)]);
    assert!(out.contains("[db-init/0010_wide.sql:1:1]"), "{out}");
}

// ---- the finding cap: findings left out are counted, in every format ----

/// What `linter::run` makes of a rule that reported 100 findings and counted
/// 250 more past its cap: 100 findings, one `Omitted`, one note.
fn capped_report() -> Report {
    let snap = SourceFile::new("snapshots/snapshot.yaml", "collections:\n".repeat(100).into_bytes(), None);
    let findings = (0..100)
        .map(|i| {
            let at = i * 13;
            finding("snapshot/schema", Severity::Error, &snap.path, Some(snap.span(at, at + 11)), "missing keys", "regenerate it")
        })
        .collect();
    Report {
        findings,
        omitted: vec![Omitted {
            rule: "snapshot/schema".into(),
            severity: Severity::Error,
            file: snap.path.clone(),
            count: 250,
        }],
        notes: vec!["`snapshot/schema`: 250 more findings in snapshots/snapshot.yaml left out (100 shown); fix those and run again to see the rest".into()],
        sources: BTreeMap::from([(snap.path.clone(), snap.text().unwrap().to_string())]),
        files_checked: 1,
        ..Default::default()
    }
}

#[test]
fn cap_human_counts_what_was_left_out_and_no_note_is_a_finding() {
    let r = capped_report();
    assert_eq!(r.exit_code(), 1);
    let out = render::render(&Results::from_lint(r.clone().lint()), Format::Human, false);
    assert!(out.ends_with("100 errors, 0 warnings in 1 file (250 more errors left out)\n"), "{}", &out[out.len() - 200..]);
    assert_eq!(out.matches("snapshot/schema").count(), 100, "one frame per reported finding, none for the count");
    // Only left-out findings: the count still decides the exit code.
    let only = Report { findings: Vec::new(), ..capped_report() };
    assert_eq!(only.exit_code(), 1);
    assert!(render::render(&Results::from_lint(only.clone().lint()), Format::Human, false).ends_with("0 errors, 0 warnings in 1 file (250 more errors left out)\n"));
    let w = Report {
        omitted: vec![Omitted { severity: Severity::Warning, count: 1, ..capped_report().omitted[0].clone() }],
        ..capped_report()
    };
    assert!(render::render(&Results::from_lint(w.clone().lint()), Format::Human, false).ends_with("100 errors, 0 warnings in 1 file (1 more warning left out)\n"));
}

#[test]
fn cap_json_counts_what_was_left_out() {
    let v: Value = serde_json::from_str(&render::render(&Results::from_lint(capped_report().lint()), Format::Json, false)).unwrap();
    assert_eq!(v["summary"]["errors"], 100);
    assert_eq!(v["summary"]["omitted_errors"], 250);
    assert_eq!(v["summary"]["omitted_warnings"], 0);
    assert_eq!(v["findings"].as_array().unwrap().len(), 100);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["line"].is_u64()), "no file-level pseudo-finding for the count");
    assert_eq!(v["omitted"], serde_json::json!([{ "rule": "snapshot/schema", "severity": "error", "file": "snapshots/snapshot.yaml", "count": 250 }]));
    assert!(v["notes"][0].as_str().unwrap().contains("250 more findings"), "{}", v["notes"]);
}

#[test]
fn cap_sarif_counts_what_was_left_out_and_stays_valid() {
    let doc: Value = serde_json::from_str(&render::render(&Results::from_lint(capped_report().lint()), Format::Sarif, false)).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 100);
    let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    let count = notes.iter().find(|n| n["level"] == "warning").expect("a warning notification for the count");
    assert!(count["message"]["text"].as_str().unwrap().starts_with("250 more `snapshot/schema` findings"), "{count}");
    assert_eq!(count["associatedRule"]["id"], "snapshot/schema");
    assert!(notes.iter().any(|n| n["level"] == "note" && n["message"]["text"].as_str().unwrap().contains("250 more")));
    let schema: Value = serde_json::from_str(include_str!("fixtures/sarif/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn cap_github_counts_what_was_left_out() {
    let out = render::render(&Results::from_lint(capped_report().lint()), Format::Github, false);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 100);
    assert!(out.lines().any(|l| l.starts_with("::notice title=trm-ci::") && l.contains("250 more findings")), "{out}");
    assert!(out.ends_with("trm-ci: 100 errors, 0 warnings in 1 file (250 more errors left out)\n"), "{}", &out[out.len() - 200..]);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
