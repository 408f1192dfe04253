//! The snapshot model and the JSON Schema on whole files: the repository's
//! real snapshot (from Directus 11.17.4) validates; a 200-collection snapshot
//! (the benchmark's size) parses and validates.

use trm_ci::model::snapshot::Snapshot;
use trm_ci::rules::snapshot::validator;
use trm_ci::source::SourceFile;

fn collection(out: &mut String, name: &str, sort: usize) {
    out.push_str(&format!(
        "  - collection: {name}\n    meta:\n      accountability: all\n      archive_app_filter: true\n      archive_field: null\n      archive_value: null\n      collapse: open\n      collection: {name}\n      color: null\n      display_template: null\n      group: null\n      hidden: false\n      icon: box\n      item_duplication_fields: null\n      note: Generated\n      preview_url: null\n      singleton: false\n      sort: {sort}\n      sort_field: null\n      translations: null\n      unarchive_value: null\n      versioning: false\n    schema:\n      name: {name}\n"
    ));
}

fn field(out: &mut String, c: &str, f: &str, ty: &str, data_type: &str, fk: Option<&str>) {
    let (fkt, fkc) = match fk {
        Some(t) => (t, "id"),
        None => ("null", "null"),
    };
    out.push_str(&format!(
        "  - collection: {c}\n    field: {f}\n    type: {ty}\n    meta:\n      collection: {c}\n      conditions: null\n      display: null\n      display_options: null\n      field: {f}\n      group: null\n      hidden: false\n      interface: input\n      note: null\n      options: null\n      readonly: false\n      required: false\n      searchable: true\n      sort: 1\n      special: null\n      translations: null\n      validation: null\n      validation_message: null\n      width: full\n    schema:\n      name: {f}\n      table: {c}\n      data_type: {data_type}\n      default_value: null\n      max_length: null\n      numeric_precision: null\n      numeric_scale: null\n      is_nullable: true\n      is_unique: false\n      is_indexed: false\n      is_primary_key: false\n      is_generated: false\n      generation_expression: null\n      has_auto_increment: false\n      foreign_key_table: {fkt}\n      foreign_key_column: {fkc}\n"
    ));
}

fn relation(out: &mut String, c: &str, f: &str, rc: &str) {
    out.push_str(&format!(
        "  - collection: {c}\n    field: {f}\n    related_collection: {rc}\n    meta:\n      junction_field: null\n      many_collection: {c}\n      many_field: {f}\n      one_allowed_collections: null\n      one_collection: {rc}\n      one_collection_field: null\n      one_deselect_action: nullify\n      one_field: null\n      sort_field: null\n    schema:\n      table: {c}\n      column: {f}\n      foreign_key_table: {rc}\n      foreign_key_column: id\n      constraint_name: {c}_{f}_foreign\n      on_update: NO ACTION\n      on_delete: SET NULL\n"
    ));
}

/// A snapshot of `n` collections with 8 fields each (one a foreign key to
/// the previous collection) and one relation each.
pub fn synthetic(n: usize) -> String {
    let mut s = String::from("version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n");
    for i in 0..n {
        collection(&mut s, &format!("c{i:04}"), i + 1);
    }
    s.push_str("fields:\n");
    for i in 0..n {
        let c = format!("c{i:04}");
        field(&mut s, &c, "id", "integer", "integer", None);
        for (f, ty, dt) in [("name", "string", "character varying"), ("body", "text", "text"), ("amount", "decimal", "numeric"), ("at", "timestamp", "timestamp with time zone"), ("flag", "boolean", "boolean"), ("data", "json", "jsonb")] {
            field(&mut s, &c, f, ty, dt, None);
        }
        let prev = format!("c{:04}", i.saturating_sub(1));
        field(&mut s, &c, "parent", "integer", "integer", Some(&prev));
    }
    s.push_str("relations:\n");
    for i in 0..n {
        relation(&mut s, &format!("c{i:04}"), "parent", &format!("c{:04}", i.saturating_sub(1)));
    }
    s
}

fn parse(path: &str, text: String) -> Snapshot {
    Snapshot::parse(&SourceFile::new(path, text.into_bytes(), None))
}

#[test]
fn the_repository_snapshot_validates() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/snapshot.yaml");
    let text = std::fs::read_to_string(&path).expect("the repository's snapshot");
    let s = parse("snapshots/snapshot.yaml", text);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let json = &s.json().expect("json");
    let errors: Vec<String> = validator().unwrap().iter_errors(json).map(|e| format!("{} {e}", e.instance_path().as_str())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!s.collection_names().is_empty());
}

#[test]
fn a_200_collection_snapshot_parses_and_validates() {
    // The benchmark's size; its time is measured by `.ci/bench`, not here.
    let text = synthetic(200);
    let s = parse("snapshots/snapshot.yaml", text);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.collections.len(), 200);
    assert_eq!(s.fields.len(), 1600);
    let errors: Vec<String> = validator().unwrap().iter_errors(&s.json().unwrap()).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
