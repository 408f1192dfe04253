//! Seeding against a real Directus (the upgrade drill's data, `trm_ci::upgrade::seed`): the
//! real entrypoint boots Directus at the pin (npm install under TRM_DIRECTUS_HOME, Node 22)
//! on a local PostgreSQL with a snapshot applied, then `seed::plan` + `seed::apply` write
//! through its REST API as the admin, and PostgreSQL is asked what arrived.
//!
//! Heavy (boots Directus): run under `flock /tmp/trm-heavy.lock`, deselect with
//! `--skip boot_`. Without the install or PostgreSQL these tests FAIL, saying how to get them.

#[path = "boot/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::PathBuf;
use std::time::Duration;

use trm_ci::directus::Client;
use trm_ci::model::snapshot::Snapshot;
use trm_ci::source::SourceFile;
use trm_ci::upgrade::seed::{self, Cell, SeedPlan};

const SERVE: Duration = Duration::from_secs(300);

fn snapshot(rel: &str) -> (PathBuf, Snapshot) {
    let path = harness::repo().join(rel);
    let bytes = std::fs::read(&path).expect("the snapshot");
    (path, Snapshot::parse(&SourceFile::new(rel, bytes, None)))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// Every planned row is in its table, and every reference the plan made is set.
fn assert_arrived(pg: &harness::Postgres, plan: &SeedPlan, seeded: &seed::Seeded) {
    assert_eq!(seeded.rows, plan.rows(), "every planned row accepted");
    for c in &plan.collections {
        let n: usize = pg.psql("directus", &format!("SELECT count(*) FROM \"{}\"", c.collection)).parse().unwrap();
        assert_eq!(n, c.rows.len(), "rows in {}", c.collection);
        assert_eq!(seeded.keys[&c.collection].len(), c.rows.len(), "keys of {}", c.collection);
        let Some(first) = c.rows.first() else { continue };
        for (field, cell) in first {
            if matches!(cell, Cell::Ref { .. }) {
                let unset = pg.psql("directus", &format!("SELECT count(*) FROM \"{}\" WHERE \"{field}\" IS NULL", c.collection));
                assert_eq!(unset, "0", "{}.{field}: every row points at a seeded row", c.collection);
            }
        }
    }
}

/// The real-export corpus (every structural kind: m2o, o2m, m2m, m2a, translations, a
/// singleton, uuid and string keys, choices, a regex validation): a little over 1,000
/// rows, all accepted; the time is printed, not asserted.
#[test]
fn boot_seed_kitchen_sink_corpus_every_row_arrives() {
    let _slot = harness::slot();
    let pg = harness::Postgres::start();
    let (path, snap) = snapshot("tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml");
    // The deployment's db-post files are for its own tables, not the corpus's.
    let no_post = harness::empty_dir();
    let cfg = harness::BootConfig { snapshot: path, db_post_dir: no_post.path().to_path_buf(), ..harness::BootConfig::default() };
    let mut boot = harness::Boot::start("seed-kitchen-sink", &pg, &cfg);
    boot.wait_serving(SERVE);

    // 13 collections x 77 rows + the singleton = 1,002 rows.
    let plan = seed::plan(&snap, 77);
    assert!(plan.rows() >= 1000, "{}", plan.rows());
    let rt = runtime();
    let client = rt.block_on(Client::login(boot.port, harness::ADMIN_EMAIL, harness::ADMIN_PASSWORD)).expect("login as the admin");
    let seeded = rt.block_on(seed::apply(&client, &plan)).unwrap_or_else(|e| panic!("{e}\n{}", boot.log()));
    println!("seeded {} rows in {} collections in {:.2} s", seeded.rows, plan.collections.len(), seeded.seconds);
    assert_arrived(&pg, &plan, &seeded);

    // The many-to-any junction names the block collection each row points at, and that row exists.
    let dangling = pg.psql(
        "directus",
        "SELECT count(*) FROM pages_blocks b WHERE NOT ((b.collection = 'block_hero' AND b.item::int IN (SELECT id FROM block_hero)) \
         OR (b.collection = 'block_richtext' AND b.item::int IN (SELECT id FROM block_richtext)))",
    );
    assert_eq!(dangling, "0");
    // Keys come back in plan order: the uuid keys are the plan's own.
    let first_article = match plan.collection("articles").unwrap().rows[0].iter().find(|(f, _)| f == "id") {
        Some((_, Cell::Value(v))) => v.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(seeded.keys["articles"][0], first_article);
    // Directus filled what it fills itself.
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM articles WHERE date_created IS NULL OR user_created IS NULL"), "0");
    // The REST reads agree with PostgreSQL.
    assert_eq!(rt.block_on(client.count("tags")).unwrap(), 77);
    assert_eq!(rt.block_on(client.read_items("site_settings", "fields=id,site_name")).unwrap().len(), 1);

    // The same plan again: the unique keys collide, and the error says where and Directus's words.
    let again = rt.block_on(seed::apply(&client, &plan)).expect_err("duplicate keys");
    assert!(again.starts_with("seeding `"), "{again}");
    assert!(again.contains("POST /items/") && again.contains("answered 400: ") && again.contains("has to be unique"), "{again}");
    // A wrong password: the endpoint and the status.
    let denied = rt.block_on(Client::login(boot.port, harness::ADMIN_EMAIL, "not-the-password")).expect_err("wrong password");
    assert!(denied.starts_with("POST /auth/login answered 401: "), "{denied}");
    boot.assert_no_secrets();
}

/// The deployment's own snapshot: decimals, dates, booleans, string and uuid keys, and a
/// tree of categories set by the updates after the inserts.
#[test]
fn boot_seed_deployment_snapshot_every_row_arrives() {
    let _slot = harness::slot();
    let pg = harness::Postgres::start();
    let (path, snap) = snapshot("snapshots/snapshot.yaml");
    let cfg = harness::BootConfig { snapshot: path, ..harness::BootConfig::default() };
    let mut boot = harness::Boot::start("seed-deployment", &pg, &cfg);
    boot.wait_serving(SERVE);

    let plan = seed::plan(&snap, 30);
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    let rt = runtime();
    let client = rt.block_on(Client::login(boot.port, harness::ADMIN_EMAIL, harness::ADMIN_PASSWORD)).expect("login as the admin");
    let seeded = rt.block_on(seed::apply(&client, &plan)).unwrap_or_else(|e| panic!("{e}\n{}", boot.log()));
    println!("seeded {} rows in {} collections in {:.2} s", seeded.rows, plan.collections.len(), seeded.seconds);
    assert_arrived(&pg, &plan, &seeded);
    // The tree: every category but the root has a parent, and it is an earlier one.
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM categories WHERE parent IS NULL"), "1");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM categories c JOIN categories p ON p.id = c.parent WHERE p.id >= c.id"), "0");
    // Values kept their shape.
    assert_eq!(pg.psql("directus", "SELECT total::text FROM orders ORDER BY total LIMIT 1"), "1.00");
    assert_eq!(pg.psql("directus", "SELECT count(DISTINCT code) FROM countries"), "30");
    assert_eq!(pg.psql("directus", "SELECT count(*) FROM products WHERE active"), "15");
}
