//! The corpus of real exports: `tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml` was
//! written by a real Directus 11.17.4 (`.ci/dev/make-snapshot.sh --model
//! .ci/dev/kitchen-sink-model.mjs`, driven through its REST API) and uses every structural
//! kind: folder collections and nested groups, a singleton, many-to-one, one-to-many,
//! many-to-many, many-to-any, translations, file/image/files fields, user fields,
//! presentation fields and a field group, validation and conditions, sort and archive
//! fields. It is a test fixture, not the deployment's snapshot.
//!
//! - the lint reports nothing on this repository with the corpus as its snapshot;
//! - `snapshot/destructive-change` reads it against the deployment's snapshot, both ways;
//! - `trm-ci diff` (SchemaDiff) reads it against the deployment's snapshot, both ways;
//! - `boot_kitchen_sink_*` (heavy: run under `flock /tmp/trm-heavy.lock`, deselect with
//!   `--skip boot_`): the schema step applies it to an empty database, then reports
//!   `no changes` on the second run.
//!
//! `tests/fixtures/snapshots/real-12.4.1-kitchen-sink.yaml` is the same model exported by a
//! real Directus 12.4.1 (the same command with TRM_DIRECTUS_HOME on a 12.4.1 install): the
//! lint reports nothing on it under a 12.4.1 pin (the 12.x grammar), and on a native 12.4.1
//! the schema step applies it, `GET /license` counts its collections exactly as
//! `snapshot/core-tier-limit` does, and a second run reports `no changes`.

mod common;
#[path = "boot/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::copy_tree;
use trm_ci::finding::Finding;
use trm_ci::linter;

const CORPUS: &str = "tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml";
const CORPUS_12: &str = "tests/fixtures/snapshots/real-12.4.1-kitchen-sink.yaml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> String {
    std::fs::read_to_string(root().join(CORPUS)).expect("the corpus")
}

/// This repository's deployment (every artifact the lint reads) in `dir`, with
/// `snapshot` as snapshots/snapshot.yaml.
fn deployment_with(dir: &Path, snapshot: &str) {
    for entry in ["Dockerfile", "entrypoint.sh", "compose.dev.yaml", ".dockerignore", "trm-ci.toml"] {
        let p = root().join(entry);
        if p.is_file() {
            std::fs::copy(&p, dir.join(entry)).unwrap();
        }
    }
    for d in ["scripts", "db-init", "db-post", "extensions"] {
        let p = root().join(d);
        if p.is_dir() {
            copy_tree(&p, &dir.join(d));
        }
    }
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    std::fs::write(dir.join("snapshots/snapshot.yaml"), snapshot).unwrap();
}

#[test]
fn the_corpus_is_a_real_export_at_the_dockerfile_pin() {
    let text = corpus();
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let pin = dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix("FROM directus/directus:"))
        .and_then(|r| r.split_whitespace().next())
        .expect("the Dockerfile's pin")
        .to_string();
    assert!(text.contains(&format!("\ndirectus: {pin}\n")), "the corpus must be exported at the pin {pin}");
    // What makes it worth having: the kinds that were false errors before.
    assert!(text.contains("  - collection: website\n    meta:"), "a folder");
    assert!(text.contains("    related_collection: null\n"), "a many-to-any relation");
}

#[test]
fn the_lint_reports_nothing_on_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    deployment_with(tmp.path(), &corpus());
    let (report, _) = linter::run(&linter::Options { repo: tmp.path().to_path_buf(), ..Default::default() }).unwrap();
    let shown: Vec<String> = report.findings.iter().map(|f| format!("{}:{} {} {}", f.file, f.line(), f.rule, f.message)).collect();
    assert!(report.findings.is_empty() && report.omitted.is_empty(), "{shown:#?}");
}

/// A git repository whose single commit has the deployment with `base` as its
/// snapshot; the work tree has `head`.
fn history(tmp: &Path, base: &str, head: &str) -> PathBuf {
    let dir = tmp.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    deployment_with(&dir, base);
    common::init_and_commit_all(&dir, "base");
    std::fs::write(dir.join("snapshots/snapshot.yaml"), head).unwrap();
    dir
}

/// Lints `head` against the base `base` (see [`history`]).
fn destructive(base: &str, head: &str) -> Vec<Finding> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = history(tmp.path(), base, head);
    let (report, _) = linter::run(&linter::Options { repo: dir, base: Some("HEAD".into()), ..Default::default() }).unwrap();
    report.findings.into_iter().filter(|f| f.rule == "snapshot/destructive-change").collect()
}

/// The findings whose subject (the message's first `code span`) is `name`.
fn mentioning<'a>(findings: &'a [Finding], name: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.message.split('`').nth(1) == Some(name)).collect()
}

#[test]
fn destructive_change_reads_the_corpus_against_the_deployment_snapshot() {
    let deployment = std::fs::read_to_string(root().join("snapshots/snapshot.yaml")).unwrap();
    let kitchen = corpus();

    // The deployment replaced by the corpus: 11 of its 12 collections go (products
    // stays, losing 7 fields and their 2 relations).
    let found = destructive(&deployment, &kitchen);
    let all = found.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("\n");
    for gone in ["addresses", "categories", "countries", "customers", "invoices", "order_items", "orders", "payments", "shipments", "suppliers", "warehouses"] {
        assert_eq!(mentioning(&found, gone).len(), 1, "collection {gone}:\n{all}");
    }
    for field in ["products.sku", "products.description", "products.active", "products.date_created", "products.date_updated"] {
        assert_eq!(mentioning(&found, field).len(), 1, "field {field}:\n{all}");
    }
    // And products.price narrows: numeric(12,2) in the deployment, numeric(10,2) in the
    // corpus (a value of 10^8 or more makes the boot fail).
    let price = mentioning(&found, "products.price");
    assert_eq!(price.len(), 1, "{all}");
    assert!(price[0].message.contains("narrows numeric(12,2) to numeric(10,2)"), "{}", price[0].message);
    assert_eq!(found.len(), 11 + 7 + 2 + 1, "11 collections, 7 fields, 2 relations, 1 narrowing:\n{all}");
    assert!(mentioning(&found, "products").is_empty(), "products stays:\n{all}");

    // The other way: the corpus's 16 other collections go, three of them folders (no
    // table to drop), and products loses its sort field and its one-to-many alias.
    let found = destructive(&kitchen, &deployment);
    let all = found.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("\n");
    assert_eq!(found.len(), 16 + 2, "16 collections, 2 fields:\n{all}");
    for folder in ["website", "content", "shop"] {
        let f = mentioning(&found, folder);
        assert_eq!(f.len(), 1, "folder {folder}:\n{all}");
        assert!(!f[0].message.contains("table"), "a folder has no table: {}", f[0].message);
    }
    for table in ["articles", "pages_blocks", "articles_translations", "site_settings"] {
        let f = mentioning(&found, table);
        assert_eq!(f.len(), 1, "collection {table}:\n{all}");
        assert!(f[0].message.contains("table"), "{}", f[0].message);
    }
    assert_eq!(mentioning(&found, "products.variants").len(), 1, "{all}");

    // A many-to-any relation (no related collection, no foreign key) removed on its own.
    let item = "  - collection: pages_blocks\n    field: item\n    related_collection: null\n";
    let start = kitchen.find(item).expect("the m2a relation");
    let end = kitchen[start + 2..].find("\n  - ").map(|i| start + 3 + i).unwrap_or(kitchen.len());
    let without = format!("{}{}", &kitchen[..start], &kitchen[end..]);
    let found = destructive(&kitchen, &without);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("`pages_blocks.item`"), "{}", found[0].message);
}

/// `trm-ci diff`'s SchemaDiff of `head` against the base `base` (see [`history`]).
fn schema_diff(base: &str, head: &str) -> trm_ci::model::schema_diff::SchemaDiff {
    let tmp = tempfile::tempdir().unwrap();
    let dir = history(tmp.path(), base, head);
    let report = trm_ci::schema_change::run(&trm_ci::schema_change::Options { repo: dir, base: Some("HEAD".into()) }).expect("trm-ci diff");
    assert!(!report.base_missing);
    report.diff
}

#[test]
fn diff_reads_the_corpus_against_the_deployment_snapshot() {
    use trm_ci::model::schema_diff::What;
    let deployment = std::fs::read_to_string(root().join("snapshots/snapshot.yaml")).unwrap();
    let kitchen = corpus();

    // Deployment -> corpus: the same 11 collections, 7 fields and 2 relations go as
    // snapshot/destructive-change reports, all of them destructive.
    let d = schema_diff(&deployment, &kitchen);
    let removed: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| matches!(c.what, What::CollectionRemoved { .. }))
        .map(|c| c.collection.as_str())
        .collect();
    assert_eq!(removed.len(), 11, "{removed:?}");
    assert!(!removed.contains(&"products"), "products stays: {removed:?}");
    assert!(d.changes.iter().filter(|c| matches!(c.what, What::CollectionRemoved { .. })).all(|c| c.destructive));
    // The corpus's folders come in without a table; its tables with one.
    for folder in ["website", "content", "shop"] {
        let c = d.changes.iter().find(|c| c.collection == folder && c.field.is_none() && matches!(c.what, What::CollectionAdded { .. }));
        assert_eq!(c.map(|c| &c.what), Some(&What::CollectionAdded { table: false }), "folder {folder}");
    }
    let articles = d.changes.iter().find(|c| c.collection == "articles" && c.field.is_none());
    assert_eq!(articles.map(|c| &c.what), Some(&What::CollectionAdded { table: true }));
    // A many-to-any relation is added with no related collection.
    assert!(
        d.changes.iter().any(|c| c.collection == "pages_blocks"
            && c.field.as_deref() == Some("item")
            && c.what == What::RelationAdded { related_collection: None }),
        "{:#?}",
        d.changes.iter().filter(|c| c.collection == "pages_blocks").collect::<Vec<_>>()
    );
    // Destructive: the 11 collections and the 7 fields (their data goes). The 2 relations
    // removed with those fields are listed, but dropping a constraint loses no rows.
    let relations_removed = d.changes.iter().filter(|c| matches!(c.what, What::RelationRemoved { .. })).count();
    assert_eq!(relations_removed, 2);
    // And products.price narrows (numeric(12,2) -> numeric(10,2)): destructive here as in the rule.
    assert!(d.changes.iter().any(|c| c.collection == "products" && c.field.as_deref() == Some("price") && c.destructive));
    assert_eq!(d.destructive(), 11 + 7 + 1, "{:#?}", d.destructive_first());

    // Corpus -> deployment: the folders go without dropping a table.
    let d = schema_diff(&kitchen, &deployment);
    for folder in ["website", "content", "shop"] {
        let c = d.changes.iter().find(|c| c.collection == folder && c.field.is_none()).expect(folder);
        assert!(matches!(c.what, What::CollectionRemoved { table: false, .. }), "{folder}: {:?}", c.what);
    }
    // The same corpus on both sides: nothing.
    assert!(schema_diff(&kitchen, &kitchen).is_empty());
}

/// The schema step (scripts/schema-apply.mjs, through the real entrypoint) applies the
/// corpus to an empty database, and a second boot finds nothing to do.
#[test]
fn boot_kitchen_sink_corpus_applies_then_reports_no_changes() {
    let _slot = harness::slot();
    let pg = harness::Postgres::start();
    let cfg = harness::BootConfig { snapshot: root().join(CORPUS), ..harness::BootConfig::default() };
    let result = |l: &str| l == "[schema] no changes" || l.starts_with("[schema] applied: ") || l.starts_with("[schema] ERROR");
    let step = Duration::from_secs(240);

    let mut first = harness::Boot::start("kitchen-sink-first", &pg, &cfg);
    let line = first.wait_line("[schema] <result>", step, result);
    assert!(line.starts_with("[schema] applied: 17 collections created"), "{line}\n{}", first.log());
    first.kill();
    let tables = pg.psql(
        "directus",
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN \
         ('articles','articles_tags','articles_files','articles_translations','pages_blocks','site_settings','languages')",
    );
    assert_eq!(tables, "7");
    let folders = pg.psql("directus", "SELECT count(*) FROM directus_collections WHERE collection IN ('website','content','shop')");
    assert_eq!(folders, "3", "the folders are registered");
    let m2a = pg.psql("directus", "SELECT one_collection_field FROM directus_relations WHERE many_collection = 'pages_blocks' AND many_field = 'item'");
    assert_eq!(m2a, "collection");

    let mut second = harness::Boot::start("kitchen-sink-second", &pg, &cfg);
    let line = second.wait_line("[schema] <result>", step, result);
    assert_eq!(line, "[schema] no changes", "{}", second.log());
}

// ---------------------------------------------------------------------------------
// The same model, exported by a real Directus 12.4.1.

fn corpus_12() -> String {
    std::fs::read_to_string(root().join(CORPUS_12)).expect("the 12.4.1 corpus")
}

/// [`deployment_with`], with the Dockerfile pinned to `pin`.
fn deployment_pinned(dir: &Path, snapshot: &str, pin: &str) {
    deployment_with(dir, snapshot);
    let d = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let line = d.lines().find(|l| l.starts_with("FROM directus/directus:")).expect("the FROM line").to_string();
    std::fs::write(dir.join("Dockerfile"), d.replace(&line, &format!("FROM directus/directus:{pin}"))).unwrap();
}

#[test]
fn the_12_corpus_is_a_real_12_4_1_export_in_the_12_format() {
    let text = corpus_12();
    assert!(text.contains("\ndirectus: 12.4.1\n"), "exported by 12.4.1");
    assert!(text.starts_with("version: 1\n"), "the CLI writes version 1");
    // what 12.x adds: two collection meta keys, and more indexed system fields
    assert!(text.contains("      status: active\n") && text.contains("      autosave_revision_interval: null\n"));
    assert!(text.contains("collection: directus_oauth_"), "the 12.x system field indexes");
    assert!(text.contains("  - collection: website\n    meta:"), "a folder");
    assert!(text.contains("    related_collection: null\n"), "a many-to-any relation");
}

#[test]
fn the_lint_reports_nothing_on_the_12_corpus_under_a_12_pin() {
    let tmp = tempfile::tempdir().unwrap();
    deployment_pinned(tmp.path(), &corpus_12(), "12.4.1");
    let (report, _) = linter::run(&linter::Options { repo: tmp.path().to_path_buf(), ..Default::default() }).unwrap();
    let shown: Vec<String> = report.findings.iter().map(|f| format!("{}:{} {} {}", f.file, f.line(), f.rule, f.message)).collect();
    assert!(report.findings.is_empty() && report.omitted.is_empty(), "{shown:#?}");
}

/// Each line's grammar is its own: an 11.17.4 export under a 12.4.1 pin lacks the two keys
/// 12.x requires in every collection's meta (besides the version mismatch), and a 12.4.1
/// export under the 11.17.4 pin has two keys 11.x does not know.
#[test]
fn each_line_is_checked_with_its_own_grammar() {
    let schema_findings = |snapshot: &str, pin: &str| {
        let tmp = tempfile::tempdir().unwrap();
        deployment_pinned(tmp.path(), snapshot, pin);
        let (report, _) = linter::run(&linter::Options { repo: tmp.path().to_path_buf(), ..Default::default() }).unwrap();
        report.findings.into_iter().filter(|f| f.rule == "snapshot/schema").map(|f| f.message).collect::<Vec<_>>()
    };
    let on_12 = schema_findings(&corpus(), "12.4.1");
    assert!(!on_12.is_empty() && on_12.iter().all(|m| m.contains("`status`") && m.contains("`autosave_revision_interval`")), "{on_12:#?}");
    let on_11 = schema_findings(&corpus_12(), "11.17.4");
    assert!(!on_11.is_empty() && on_11.iter().all(|m| m.contains("unknown keys `autosave_revision_interval`, `status`")), "{on_11:#?}");
}

/// On a native Directus 12.4.1 (TRM_DIRECTUS_NEXT_HOME): the schema step applies the 12.4.1
/// corpus with one collection marked inactive, Directus's own `GET /license` counts the
/// collections exactly as `snapshot/core-tier-limit` does (folders out, junction and
/// translation tables in, the inactive one out), and a second run reports `no changes`.
#[test]
fn boot_kitchen_sink_12_applies_is_counted_as_directus_counts_then_no_changes() {
    let _slot = harness::slot();
    let directus = harness::next_major();
    let pg = harness::Postgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kitchen-sink-12-one-inactive.yaml");
    let text = corpus_12();
    let marker = "  - collection: tags\n    meta:\n";
    let at = text.find(marker).expect("the corpus has a tags collection");
    let status = at + text[at..].find("      status: active\n").expect("tags has a status");
    let text = format!("{}      status: inactive\n{}", &text[..status], &text[status + "      status: active\n".len()..]);
    std::fs::write(&path, &text).unwrap();
    let snap = trm_ci::model::snapshot::Snapshot::parse(&trm_ci::source::SourceFile::new("k.yaml", text.clone().into_bytes(), None));
    let counted: Vec<String> = trm_ci::rules::snapshot::counted_collections(&snap).iter().map(|c| c.name.clone()).collect();
    assert!(!counted.contains(&"tags".to_string()) && counted.contains(&"articles_tags".to_string()), "{counted:?}");

    let no_post = harness::empty_dir();
    let cfg = harness::BootConfig {
        snapshot: path,
        db_post_dir: no_post.path().to_path_buf(),
        directus: Some(directus),
        // Directus answers 503 "Under pressure" while its event loop lags, as on a loaded
        // 2-core machine; this test is about the count, not the load.
        extra_env: vec![("PRESSURE_LIMITER_ENABLED".into(), "false".into())],
        ..harness::BootConfig::default()
    };
    let mut first = harness::Boot::start("kitchen-sink-12-first", &pg, &cfg);
    first.wait_serving(Duration::from_secs(300));
    assert!(first.has_line(|l| l.starts_with("[schema] applied: 17 collections created")), "{}", first.log());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let license = rt.block_on(async {
        let client = trm_ci::directus::Client::login(first.port, harness::ADMIN_EMAIL, harness::ADMIN_PASSWORD).await?;
        client.get("/license").await
    });
    let data = license.unwrap_or_else(|e| panic!("GET /license: {e}\n{}", first.log()));
    let license = &data;
    eprintln!(
        "[boot-test] Directus 12.4.1 GET /license: name {}, collections {} of {}; trm-ci counts {}: {counted:?}",
        data["name"], data["usage"]["collections"], data["entitlements"]["collections"], counted.len()
    );
    assert_eq!(data["name"], "Core", "{license:#}");
    assert_eq!(data["usage"]["collections"].as_u64(), Some(counted.len() as u64), "{license:#}");
    first.kill();

    let mut second = harness::Boot::start("kitchen-sink-12-second", &pg, &cfg);
    let line = second.wait_line("[schema] <result>", Duration::from_secs(240), |l| {
        l == "[schema] no changes" || l.starts_with("[schema] applied: ") || l.starts_with("[schema] ERROR")
    });
    assert_eq!(line, "[schema] no changes", "{}", second.log());
}
