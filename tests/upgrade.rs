//! The upgrade drill (`trm-ci smoke --upgrade-from REF`) against the real Docker engine, on
//! fixture histories of two commits: the deployment as the base, a change on top as the head.
//!
//! These tests fail (they do not skip) when the engine, the stand-in base image or the local
//! Postgres image (TRM_POSTGRES_IMAGE, exported by .ci/test) is missing. They run one at a time
//! (each boots Directus two or three times). Every history has the same base tree, so the base
//! image is built once (tagged by the tree's hash) and found cached by the tests after the first.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{lock, pg_image, repo_root, run, text};

/// Rows per collection: enough to hit every relation and unique column, few enough to be quick.
const ROWS: &str = "12";

/// A two-commit history: the deployment's files (commit `base`), then `change` applied to them
/// (commit `head`); the work tree is the head.
fn history(change: impl FnOnce(&Path)) -> tempfile::TempDir {
    history_with(|_| {}, change)
}

/// [`history`] with `base_change` applied to the deployment's files before the base commit.
fn history_with(base_change: impl FnOnce(&Path), change: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_deployment(dir.path());
    base_change(dir.path());
    common::init_and_commit_all(dir.path(), "base");
    change(dir.path());
    let r = git2::Repository::open(dir.path()).unwrap();
    let mut index = r.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = r.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("fixture", "fixture@example.invalid").unwrap();
    let parent = r.head().unwrap().peel_to_commit().unwrap();
    r.commit(Some("HEAD"), &sig, &sig, "head", &tree, &[&parent]).unwrap();
    dir
}

/// Builds the head's image from the work tree, then runs the drill alone against `HEAD~1`;
/// returns the output and the results document.
fn drill(repo: &Path, tag: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let r = repo.to_string_lossy().into_owned();
    let out = run(&["build", "--repo", &r, "--tag", tag, "--max-size", "4GB"]);
    assert_eq!(out.status.code(), Some(0), "building the head's image failed; see above");
    let json = repo.join("results.json");
    let j = json.to_string_lossy().into_owned();
    let pg = pg_image();
    let mut args = vec![
        "smoke", "--repo", &r, "--image", tag, "--postgres-image", &pg, "--only", "upgrade", "--upgrade-from", "HEAD~1",
        "--seed-rows", ROWS, "--json", &j,
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    let doc = std::fs::read_to_string(&json).map(|t| serde_json::from_str(&t).expect("results JSON")).unwrap_or_default();
    let _ = Command::new("docker").args(["rmi", "-f", tag]).output();
    (out, doc)
}

fn step<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["upgrade"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {doc:#}"))
}

/// Nothing of the drill's run is left on the engine.
fn assert_clean(stdout: &str) {
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("[drill] run ")?.split(':').next().map(String::from))
        .unwrap_or_else(|| panic!("the drill printed no run id: {stdout}"));
    let ps = Command::new("docker").args(["ps", "-a", "--filter", &format!("label=trm-ci.drill={id}"), "--format", "{{.Names}}"]).output().unwrap();
    let nets = Command::new("docker").args(["network", "ls", "--filter", &format!("name=trm-drill-{id}"), "--format", "{{.Name}}"]).output().unwrap();
    let left = format!("{}{}", text(&ps.stdout), text(&nets.stdout));
    assert!(left.trim().is_empty(), "left on the engine: {left}");
    assert!(!std::env::temp_dir().join(format!("trm-drill-{id}")).exists(), "the exported tree was left");
}

fn snapshot(repo: &Path) -> String {
    std::fs::read_to_string(repo.join("snapshots/snapshot.yaml")).unwrap()
}

fn write_snapshot(repo: &Path, text: &str) {
    std::fs::write(repo.join("snapshots/snapshot.yaml"), text).unwrap();
}

/// The byte range of one field's entry in the snapshot's `fields:` list.
fn field_block(snap: &str, collection: &str, field: &str) -> std::ops::Range<usize> {
    let head = format!("  - collection: {collection}\n    field: {field}\n");
    let start = snap.find(&head).unwrap_or_else(|| panic!("no field {collection}.{field} in the snapshot"));
    let rest = &snap[start + head.len()..];
    let end = rest.find("\n  - collection: ").map(|i| start + head.len() + i + 1).unwrap_or(snap.len());
    start..end
}

fn rows(doc: &serde_json::Value) -> (u64, u64, u64, u64) {
    let r = &doc["upgrade"]["rows"];
    (r["seeded"].as_u64().unwrap(), r["before"].as_u64().unwrap(), r["preserved"].as_u64().unwrap(), r["lost"].as_u64().unwrap())
}

/// A new migration and a new field: the head comes up, applies exactly that migration, every
/// row is still there; the base image then refuses to boot on the upgraded database (its db-init
/// does not know the applied migration).
#[test]
fn smoke_upgrade_safe_change_preserves_every_row() {
    let _g = lock();
    let repo = history(|r| {
        std::fs::write(
            r.join("db-init/0004_audit_log.sql"),
            "-- 0004: an app-owned audit table\nCREATE TABLE IF NOT EXISTS app.audit_log (id bigserial PRIMARY KEY, note text);\n",
        )
        .unwrap();
        let s = snapshot(r);
        let b = field_block(&s, "addresses", "label");
        let new = s[b.clone()].replace("label", "nickname");
        write_snapshot(r, &format!("{}{new}{}", &s[..b.end], &s[b.end..]));
    });
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-safe", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "the drill failed");
    let u = &doc["upgrade"];
    assert_eq!(u["ok"], true);
    assert_eq!(u["migrations_applied"], serde_json::json!(["0004_audit_log.sql"]));
    assert_eq!(u["migrations_expected"], serde_json::json!(["0004_audit_log.sql"]));
    assert_eq!(u["schema_changes"], serde_json::json!(["1 field added"]));
    assert!(u["schema_plan"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with("applied: ")), "{u:#}");
    let (seeded, before, preserved, lost) = rows(&doc);
    assert!(seeded > 0 && before >= seeded, "{u:#}");
    assert_eq!((preserved, lost), (before, 0));
    // REF's image refuses the upgraded database before its schema step: its db-init finds a
    // ledger row for a file it does not have.
    assert_eq!(u["rollback"]["outcome"], "refused", "{u:#}");
    let detail = u["rollback"]["detail"].as_str().unwrap();
    assert!(detail.contains("0004_audit_log.sql") && detail.contains("missing from"), "{u:#}");
    assert!(u["summary"].as_str().unwrap().starts_with("upgrade from HEAD~1: 1 migration applied, 1 field added; "), "{u:#}");
    for s in ["build-base", "boot-base", "seed", "fingerprint", "stop-base", "boot-head", "verify", "rollback"] {
        assert_eq!(step(&doc, s)["ok"], true, "{s}");
    }
    assert!(stdout.contains("UPGRADE DRILL PASSED"), "{stdout}");
    assert_clean(&stdout);
}

/// A migration that only works on an empty table (a NOT NULL column without a default): the
/// head's boot fails naming the file and Postgres's error; no row is lost.
#[test]
fn smoke_upgrade_migration_failing_on_existing_rows_names_it() {
    let _g = lock();
    let repo = history(|r| {
        std::fs::write(
            r.join("db-init/0004_products_sku_required.sql"),
            "DO $$ BEGIN\n  IF to_regclass('public.products') IS NOT NULL THEN\n    ALTER TABLE public.products ADD COLUMN sku_v2 text NOT NULL;\n  END IF;\nEND $$;\n",
        )
        .unwrap();
    });
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-notnull", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the drill must fail");
    let head = step(&doc, "boot-head");
    assert_eq!(head["ok"], false);
    let why = head["failure"].as_str().unwrap();
    assert!(why.contains("0004_products_sku_required.sql"), "{why}");
    assert!(why.contains("contains null values"), "Postgres's own error: {why}");
    let (_, before, preserved, lost) = rows(&doc);
    assert_eq!((preserved, lost), (before, 0));
    assert!(doc["upgrade"]["summary"].as_str().unwrap().contains("FAILED at boot-head"), "{doc:#}");
    assert_eq!(doc["upgrade"]["rollback"], serde_json::Value::Null);
    assert_clean(&stdout);
}

/// A snapshot that removes a field holding data: the head's boot refuses (the deployment's
/// rule), every row and value is intact, and the report says why.
#[test]
fn smoke_upgrade_removed_populated_field_is_refused_and_rows_stay() {
    let _g = lock();
    let repo = history(|r| {
        let s = snapshot(r);
        let b = field_block(&s, "addresses", "street");
        write_snapshot(r, &format!("{}{}", &s[..b.start], &s[b.end..]));
    });
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-drop", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the drill must fail");
    let head = step(&doc, "boot-head");
    let why = head["failure"].as_str().unwrap();
    assert!(why.contains("would delete field addresses.street"), "{why}");
    assert!(doc["upgrade"]["schema_plan"].as_array().unwrap().iter().any(|l| l == "  - Delete field addresses.street"), "{doc:#}");
    assert_eq!(step(&doc, "verify")["ok"], true, "rows intact");
    let (_, before, preserved, lost) = rows(&doc);
    assert_eq!((preserved, lost), (before, 0));
    assert_eq!(doc["upgrade"]["columns_dropped"], serde_json::json!([]));
    assert_clean(&stdout);
}

/// A field whose type changes string -> integer over seeded text: whatever happens is reported
/// as it is — converted (values compared as text), or the boot fails with the schema step's error.
#[test]
fn smoke_upgrade_type_change_is_reported_honestly() {
    let _g = lock();
    let repo = history(|r| {
        let s = snapshot(r);
        let b = field_block(&s, "addresses", "label");
        let new = s[b.clone()]
            .replace("type: string", "type: integer")
            .replace("data_type: character varying", "data_type: integer")
            .replace("max_length: 64", "max_length: null")
            .replace("numeric_precision: null", "numeric_precision: 32")
            .replace("numeric_scale: null", "numeric_scale: 0");
        write_snapshot(r, &format!("{}{new}{}", &s[..b.start], &s[b.end..]));
    });
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-retype", &[]);
    let stdout = text(&out.stdout);
    let u = &doc["upgrade"];
    assert_eq!(u["schema_changes"], serde_json::json!(["1 field retyped"]), "{u:#}");
    let head = step(&doc, "boot-head");
    if head["ok"] == true {
        // Converted: every row accounted for, a changed value counted as changed.
        assert_eq!(out.status.code(), Some(if u["ok"] == true { 0 } else { 1 }));
        let r = &u["rows"];
        assert_eq!(r["preserved"].as_u64().unwrap() + r["changed"].as_u64().unwrap() + r["lost"].as_u64().unwrap(), r["before"].as_u64().unwrap());
    } else {
        // Refused or failed: in the schema step's own words, and no row lost.
        assert_eq!(out.status.code(), Some(1));
        let why = head["failure"].as_str().unwrap();
        assert!(why.contains("[schema] ERROR"), "{why}");
        let (_, before, preserved, lost) = rows(&doc);
        assert_eq!((preserved, lost), (before, 0));
    }
    assert!(stdout.contains("UPGRADE DRILL"), "{stdout}");
    assert_clean(&stdout);
}

/// A pin bump: the base runs the Directus before the pin (TRM_DIRECTUS_PREVIOUS_IMAGE, the stand-in
/// .ci/test builds), the head the pin. The head's bootstrap runs Directus's own migrations over the
/// seeded database: the drill passes with every row, or fails showing Directus's error.
#[test]
fn smoke_upgrade_pin_bump_runs_directus_migrations_over_rows() {
    let _g = lock();
    let previous = std::env::var("TRM_DIRECTUS_PREVIOUS_IMAGE").unwrap_or_else(|_| {
        panic!("TRM_DIRECTUS_PREVIOUS_IMAGE is not set: it must name the stand-in of the Directus before the pin (bash .ci/test builds and exports it)")
    });
    let pin = std::fs::read_to_string(repo_root().join("Dockerfile"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("FROM directus/directus:").map(|v| v.trim().to_string()))
        .expect("the Dockerfile's FROM directus/directus:<pin>");
    let old = previous.rsplit(':').next().unwrap().to_string();
    assert_ne!(old, pin, "TRM_DIRECTUS_PREVIOUS_IMAGE must be another version than the pin");
    let repo = history_with(
        |r| {
            let d = std::fs::read_to_string(r.join("Dockerfile")).unwrap();
            std::fs::write(r.join("Dockerfile"), d.replace(&format!("FROM directus/directus:{pin}"), &format!("FROM {previous}"))).unwrap();
            let s = snapshot(r);
            write_snapshot(r, &s.replacen(&format!("\ndirectus: {pin}\n"), &format!("\ndirectus: {old}\n"), 1));
        },
        |r| {
            for f in ["Dockerfile", "snapshots/snapshot.yaml"] {
                std::fs::copy(repo_root().join(f), r.join(f)).unwrap();
            }
        },
    );
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-pin", &[]);
    let stdout = text(&out.stdout);
    let u = &doc["upgrade"];
    assert_eq!(step(&doc, "boot-base")["ok"], true, "the {old} stand-in must boot: {u:#}");
    assert_eq!(step(&doc, "seed")["ok"], true, "{u:#}");
    let head = step(&doc, "boot-head");
    if head["ok"] == true {
        assert_eq!(out.status.code(), Some(0), "{u:#}");
        let (_, before, preserved, lost) = rows(&doc);
        assert_eq!((preserved, lost), (before, 0));
    } else {
        // Directus's own migration error, in its words.
        assert_eq!(out.status.code(), Some(1));
        let why = head["failure"].as_str().unwrap();
        assert!(why.contains("ERROR"), "{why}");
    }
    assert_clean(&stdout);
}

/// A major bump as a team makes it: the PR changes the `FROM` pin from the deployment's 11.x pin to
/// the next major's stand-in (TRM_DIRECTUS_NEXT_IMAGE, directus/directus:12.4.1, built by .ci/test's
/// next phase) and replaces the snapshot with the deployment exported by a real Directus 12.4.1
/// (tests/fixtures/snapshots/real-12.4.1-deployment.yaml). The head's boot runs Directus's own
/// migrations over the seeded database; every row is still there; the document names both
/// Directus versions and the migrations (the rows `directus_migrations` gained); the rollback
/// (11 on a database 12 migrated) is reported with what the snapshot-history guard did.
#[test]
fn smoke_upgrade_major_bump_11_to_12_runs_directus_migrations_and_reports_the_rollback() {
    let _g = lock();
    let next = std::env::var("TRM_DIRECTUS_NEXT_IMAGE").unwrap_or_else(|_| {
        panic!("TRM_DIRECTUS_NEXT_IMAGE is not set: it must name the stand-in of Directus 12.4.1 (bash .ci/test builds and exports it)")
    });
    let to = next.rsplit(':').next().unwrap().to_string();
    let pin = std::fs::read_to_string(repo_root().join("Dockerfile"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("FROM directus/directus:").map(|v| v.trim().to_string()))
        .expect("the Dockerfile's FROM directus/directus:<pin>");
    assert!(pin.starts_with("11.") && to.starts_with("12."), "a major bump: {pin} -> {to}");
    let export = std::fs::read_to_string(repo_root().join("tests/fixtures/snapshots/real-12.4.1-deployment.yaml")).unwrap();
    assert!(export.contains(&format!("\ndirectus: {to}\n")), "the fixture is an export of {to}");
    let repo = history(|r| {
        let d = std::fs::read_to_string(r.join("Dockerfile")).unwrap();
        std::fs::write(r.join("Dockerfile"), d.replace(&format!("FROM directus/directus:{pin}"), &format!("FROM {next}"))).unwrap();
        write_snapshot(r, &export);
    });
    let (out, doc) = drill(repo.path(), "trm-directus:upgrade-major", &[]);
    let stdout = text(&out.stdout);
    let u = &doc["upgrade"];
    let times: Vec<String> = u["steps"].as_array().unwrap().iter().map(|s| format!("{} {:.1} s", s["name"].as_str().unwrap(), s["seconds"].as_f64().unwrap())).collect();
    eprintln!("major bump drill: {}; rollback {} / guard {}", times.join(", "), u["rollback"], u["rollback"]["guard"]);
    assert_eq!(out.status.code(), Some(0), "the drill failed: {u:#}");
    assert_eq!(u["ok"], true);
    let d = &u["directus"];
    assert_eq!((d["from"].as_str(), d["to"].as_str()), (Some(pin.as_str()), Some(to.as_str())), "{d:#}");
    let ran = d["migrations"].as_array().unwrap_or_else(|| panic!("the Directus migrations were not read: {d:#}"));
    assert!(!ran.is_empty(), "12's bootstrap must run its own migrations: {d:#}");
    assert!(ran.iter().all(|m| m["version"].as_str().unwrap() > "2026" && !m["name"].as_str().unwrap().is_empty()), "{d:#}");
    assert!(ran.iter().any(|m| m["version"] == "20260217A"), "12.0's first migration: {d:#}");
    let (seeded, before, preserved, lost) = rows(&doc);
    assert!(seeded > 0 && before >= seeded, "{u:#}");
    assert_eq!((preserved, lost), (before, 0), "{u:#}");
    assert!(u["summary"].as_str().unwrap().starts_with(&format!("upgrade from HEAD~1: Directus {pin} → {to} ({} Directus migrations ran), 0 migrations applied; ", ran.len())), "{u:#}");
    // 11 on the database 12 migrated: the guard refuses it before Directus starts, naming the
    // migrations it does not know.
    let rb = &u["rollback"];
    assert_eq!(rb["outcome"], "refused", "{u:#}");
    assert_eq!(rb["guard"]["verdict"], "refused", "{u:#}");
    assert!(rb["guard"]["reason"].as_str().unwrap().contains("migrated by a newer Directus"), "{u:#}");
    assert!(u["summary"].as_str().unwrap().ends_with("; rollback refused by the snapshot-history guard"), "{u:#}");
    assert!(stdout.contains(&format!("directus    Directus {pin} → {to}; {} Directus migrations ran", ran.len())), "{stdout}");
    assert!(stdout.contains("guard       refused the older image: "), "{stdout}");
    assert_clean(&stdout);
}

/// A REF that does not exist is an argument error before anything is created.
#[test]
fn smoke_upgrade_unknown_ref_is_an_environment_error() {
    let repo = history(|_| {});
    let r = repo.path().to_string_lossy().into_owned();
    let pg = pg_image();
    let out = run(&["smoke", "--repo", &r, "--postgres-image", &pg, "--only", "upgrade", "--upgrade-from", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-branch: no such commit"), "{}", text(&out.stderr));
    let out = run(&["smoke", "--repo", &r, "--only", "upgrade"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--only upgrade needs --upgrade-from"), "{}", text(&out.stderr));
}
