//! The seeding plan: from the snapshot alone, per table collection the rows to insert (values
//! from src/upgrade/seed/values.rs), the order (a collection after the ones it points at),
//! the references deferred until every insert is done, and what cannot be seeded and why.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::values::{capacity, is_alias_type, value, writable};
use super::{Cell, FieldGap, SeedCollection, SeedGap, SeedPlan, Skipped};
use crate::model::snapshot::Snapshot;

// ---------------------------------------------------------------------------------------
// The snapshot as the planner reads it.

struct Col {
    name: String,
    singleton: bool,
}

pub(super) struct Fld<'a> {
    pub name: String,
    pub ty: String,
    pub schema: &'a Value,
    pub meta: &'a Value,
}

impl Fld<'_> {
    pub(super) fn special(&self, s: &str) -> bool {
        self.meta["special"].as_array().is_some_and(|a| a.iter().any(|v| v == s))
            || self.meta["special"].as_str().is_some_and(|v| v.split(',').any(|x| x.trim() == s))
    }
    pub(super) fn nullable(&self) -> bool {
        self.schema["is_nullable"] != false && self.meta["required"] != true
    }
    pub(super) fn has_default(&self) -> bool {
        !self.schema["default_value"].is_null()
    }
    pub(super) fn unique(&self) -> bool {
        self.schema["is_unique"] == true || self.schema["is_primary_key"] == true
    }
    pub(super) fn primary(&self) -> bool {
        self.schema["is_primary_key"] == true
    }
    pub(super) fn max_length(&self) -> Option<usize> {
        self.schema["max_length"].as_u64().map(|n| n as usize)
    }
    pub(super) fn choices(&self) -> Vec<Value> {
        self.meta["options"]["choices"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.get("value").cloned().filter(|v| !v.is_null())).collect())
            .unwrap_or_default()
    }
}

/// How a column is filled.
enum Fill {
    /// Generated from the row number.
    Gen,
    /// Points at rows of another seeded collection (or the collection itself).
    M2o { related: String },
    /// Many-to-any: points at rows of one of `allowed`; `collection_field` names which.
    M2a { allowed: Vec<String>, collection_field: String },
}

/// Fields Directus fills itself on create or update.
const FILLED_BY_DIRECTUS: [&str; 6] = ["date-created", "date-updated", "user-created", "user-updated", "role-created", "role-updated"];

/// The rows of a seeded collection: what the planner decided per column before it knows the
/// order.
struct Draft<'a> {
    name: String,
    singleton: bool,
    primary_key: String,
    columns: Vec<(Fld<'a>, Fill)>,
    /// Rows to insert.
    rows: usize,
}

/// The seeding plan of `snapshot` with `rows_per_collection` rows per collection (one for a
/// singleton). Pure: the same snapshot gives the same plan.
pub fn plan(snapshot: &Snapshot, rows_per_collection: usize) -> SeedPlan {
    let doc = snapshot.json().unwrap_or(Value::Null);
    let none = Vec::new();
    let collections = doc["collections"].as_array().unwrap_or(&none);
    let fields = doc["fields"].as_array().unwrap_or(&none);
    let relations = doc["relations"].as_array().unwrap_or(&none);
    let tables: Vec<Col> = collections
        .iter()
        .filter(|c| c["schema"].is_object())
        .filter_map(|c| {
            Some(Col { name: c["collection"].as_str()?.to_string(), singleton: c["meta"]["singleton"] == true })
        })
        .collect();
    // (collection, field) -> the relation whose "many" side it is.
    let mut rel: BTreeMap<(String, String), &Value> = BTreeMap::new();
    for r in relations {
        if let (Some(c), Some(f)) = (r["collection"].as_str(), r["field"].as_str()) {
            rel.entry((c.to_string(), f.to_string())).or_insert(r);
        }
    }

    let mut skipped = Vec::new();
    let snap = Tables { tables: &tables, fields, rel: &rel };
    let mut drafts: Vec<Draft> = tables.iter().filter_map(|t| snap.draft(t, rows_per_collection, &mut skipped)).collect();
    drop_unseeded_references(&mut drafts, &mut skipped);
    let (order, deferred_fields) = insert_order(&drafts, &mut skipped);
    let rows_of: BTreeMap<String, usize> = order.iter().map(|&i| (drafts[i].name.clone(), drafts[i].rows)).collect();
    drop_unplaced_references(&mut drafts, &order, &rows_of, &mut skipped);
    let collections = order.iter().map(|&i| rows(&drafts[i], &deferred_fields, &rows_of)).collect();
    SeedPlan { collections, skipped }
}

/// The snapshot's table collections, fields and relations, as the planner reads them.
struct Tables<'a> {
    tables: &'a [Col],
    fields: &'a [Value],
    /// (collection, field) -> the relation whose "many" side it is.
    rel: &'a BTreeMap<(String, String), &'a Value>,
}

impl<'a> Tables<'a> {
    fn is_table(&self, n: &str) -> bool {
        self.tables.iter().any(|t| t.name == n)
    }

    /// What table `t` gets, column by column (None: not seeded, the reason in `skipped`).
    fn draft(&self, t: &Col, rows_per_collection: usize, skipped: &mut Vec<Skipped>) -> Option<Draft<'a>> {
        let (fields, rel) = (self.fields, self.rel);
        let is_table = |n: &str| self.is_table(n);
        let flds: Vec<Fld> = fields
            .iter()
            .filter(|f| f["collection"] == t.name.as_str())
            .filter_map(|f| {
                Some(Fld { name: f["field"].as_str()?.to_string(), ty: f["type"].as_str().unwrap_or("").to_string(), schema: &f["schema"], meta: &f["meta"] })
            })
            .collect();
        let Some(pk) = flds.iter().find(|f| f.primary()).map(|f| f.name.clone()) else {
            skipped.push(Skipped { collection: t.name.clone(), field: None, reason: SeedGap::NoPrimaryKey });
            return None;
        };
        // The collection fields of its many-to-any relations are filled with those relations.
        let m2a_collection_fields: BTreeSet<String> = flds
            .iter()
            .filter_map(|f| rel.get(&(t.name.clone(), f.name.clone())))
            .filter(|r| r["related_collection"].is_null())
            .filter_map(|r| r["meta"]["one_collection_field"].as_str().map(str::to_string))
            .collect();
        let mut columns = Vec::new();
        let mut impossible: Option<SeedGap> = None;
        for f in flds {
            if !f.schema.is_object() || f.ty == "alias" || is_alias_type(&f.ty) || f.special("alias") || f.special("no-data") {
                continue; // no column
            }
            if f.schema["is_generated"] == true {
                continue;
            }
            if f.primary() && f.schema["has_auto_increment"] == true {
                continue; // the database's sequence
            }
            if FILLED_BY_DIRECTUS.iter().any(|s| f.special(s)) {
                continue;
            }
            if m2a_collection_fields.contains(&f.name) {
                continue;
            }
            let relation = rel.get(&(t.name.clone(), f.name.clone())).copied();
            let related = relation
                .and_then(|r| r["related_collection"].as_str())
                .or_else(|| f.schema["foreign_key_table"].as_str())
                .map(str::to_string);
            let leave_null = |cause: FieldGap, skipped: &mut Vec<Skipped>, impossible: &mut Option<SeedGap>| {
                if f.nullable() || f.has_default() {
                    skipped.push(Skipped { collection: t.name.clone(), field: Some(f.name.clone()), reason: SeedGap::LeftEmpty { cause } });
                } else if impossible.is_none() {
                    *impossible = Some(SeedGap::RequiredField { field: f.name.clone(), cause });
                }
            };
            if let Some(related) = related {
                if related.starts_with("directus_") {
                    leave_null(FieldGap::SystemCollection { related }, skipped, &mut impossible);
                } else if !is_table(&related) {
                    leave_null(FieldGap::NotATable { related }, skipped, &mut impossible);
                } else {
                    columns.push((f, Fill::M2o { related }));
                }
                continue;
            }
            if let Some(r) = relation.filter(|r| r["related_collection"].is_null()) {
                let allowed: Vec<String> = r["meta"]["one_allowed_collections"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|c| c.as_str()).filter(|c| is_table(c)).map(str::to_string).collect())
                    .unwrap_or_default();
                match r["meta"]["one_collection_field"].as_str() {
                    Some(cf) if !allowed.is_empty() => {
                        let collection_field = cf.to_string();
                        columns.push((f, Fill::M2a { allowed, collection_field }));
                    }
                    _ => leave_null(FieldGap::M2aWithoutTables, skipped, &mut impossible),
                }
                continue;
            }
            match writable(&f) {
                Ok(()) => columns.push((f, Fill::Gen)),
                Err(why) => leave_null(why, skipped, &mut impossible),
            }
        }
        if let Some(why) = impossible {
            skipped.push(Skipped { collection: t.name.clone(), field: None, reason: why });
            return None;
        }
        let wanted = if t.singleton { 1 } else { rows_per_collection };
        let mut rows = wanted;
        for (f, fill) in &columns {
            if matches!(fill, Fill::Gen) && f.unique() {
                let cap = capacity(f);
                if cap < rows {
                    skipped.push(Skipped {
                        collection: t.name.clone(),
                        field: Some(f.name.clone()),
                        reason: SeedGap::UniqueTooFew { distinct: cap, wanted },
                    });
                    rows = cap;
                }
            }
        }
        if rows == 0 && wanted > 0 {
            skipped.push(Skipped { collection: t.name.clone(), field: None, reason: SeedGap::UniqueHoldsNone });
            return None;
        }
        Some(Draft { name: t.name.clone(), singleton: t.singleton, primary_key: pk, columns, rows })
    }
}

/// A collection whose required reference points at one that is not seeded is not seeded
/// either (to a fixpoint); an optional one stays null.
fn drop_unseeded_references(drafts: &mut Vec<Draft>, skipped: &mut Vec<Skipped>) {
    loop {
        let seeded: BTreeSet<String> = drafts.iter().map(|d| d.name.clone()).collect();
        let mut dropped = None;
        for (i, d) in drafts.iter_mut().enumerate() {
            let mut keep = Vec::new();
            for (f, fill) in std::mem::take(&mut d.columns) {
                let missing: Vec<String> = match &fill {
                    Fill::M2o { related } if !seeded.contains(related) => vec![related.clone()],
                    Fill::M2a { allowed, .. } if !allowed.iter().any(|a| seeded.contains(a)) => allowed.clone(),
                    _ => vec![],
                };
                if missing.is_empty() {
                    let fill = match fill {
                        Fill::M2a { allowed, collection_field } => {
                            Fill::M2a { allowed: allowed.into_iter().filter(|a| seeded.contains(a)).collect(), collection_field }
                        }
                        other => other,
                    };
                    keep.push((f, fill));
                } else if f.nullable() || f.has_default() {
                    skipped.push(Skipped {
                        collection: d.name.clone(),
                        field: Some(f.name.clone()),
                        reason: SeedGap::LeftEmpty { cause: FieldGap::NotSeeded { related: missing } },
                    });
                } else if dropped.is_none() {
                    dropped = Some((i, SeedGap::RequiredField { field: f.name.clone(), cause: FieldGap::NotSeeded { related: missing } }));
                    keep.push((f, fill));
                } else {
                    keep.push((f, fill));
                }
            }
            d.columns = keep;
        }
        match dropped {
            Some((i, reason)) => {
                let d = drafts.remove(i);
                skipped.push(Skipped { collection: d.name, field: None, reason });
            }
            None => break,
        }
    }
}

/// The insert order: a collection after the ones its references point at. References to
/// itself, and optional references that close a cycle, are deferred (returned); a cycle of
/// required references cannot be inserted (its collections go to `skipped`).
fn insert_order(drafts: &[Draft], skipped: &mut Vec<Skipped>) -> (Vec<usize>, BTreeSet<(String, String)>) {
    let mut deferred_fields: BTreeSet<(String, String)> = BTreeSet::new();
    for d in drafts {
        for (f, fill) in &d.columns {
            let to_self = match fill {
                Fill::M2o { related } => *related == d.name,
                Fill::M2a { allowed, .. } => allowed.contains(&d.name),
                Fill::Gen => false,
            };
            if to_self {
                deferred_fields.insert((d.name.clone(), f.name.clone()));
            }
        }
    }
    let mut order: Vec<usize> = Vec::new();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut unplaceable: BTreeSet<usize> = BTreeSet::new();
    while order.len() + unplaceable.len() < drafts.len() {
        let waiting_on = |d: &Draft, placed: &BTreeSet<String>, deferred: &BTreeSet<(String, String)>| -> Vec<(String, String, bool)> {
            d.columns
                .iter()
                .filter(|(f, _)| !deferred.contains(&(d.name.clone(), f.name.clone())))
                .flat_map(|(f, fill)| {
                    let targets: Vec<String> = match fill {
                        Fill::M2o { related } => vec![related.clone()],
                        Fill::M2a { allowed, .. } => allowed.clone(),
                        Fill::Gen => vec![],
                    };
                    targets
                        .into_iter()
                        .filter(|t| !placed.contains(t))
                        .map(|t| (f.name.clone(), t, f.nullable() || f.has_default()))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let next = (0..drafts.len())
            .filter(|i| !order.contains(i) && !unplaceable.contains(i))
            .find(|&i| waiting_on(&drafts[i], &placed, &deferred_fields).is_empty());
        if let Some(i) = next {
            placed.insert(drafts[i].name.clone());
            order.push(i);
            continue;
        }
        // A cycle: defer the first optional reference among the waiting collections (in
        // snapshot order) and try again.
        let waiting: Vec<usize> = (0..drafts.len()).filter(|i| !order.contains(i) && !unplaceable.contains(i)).collect();
        let optional = waiting.iter().find_map(|&i| {
            waiting_on(&drafts[i], &placed, &deferred_fields)
                .into_iter()
                .find(|(_, _, optional)| *optional)
                .map(|(field, _, _)| (drafts[i].name.clone(), field))
        });
        match optional {
            Some(edge) => {
                deferred_fields.insert(edge);
            }
            None => {
                let names: Vec<&str> = waiting.iter().map(|&i| drafts[i].name.as_str()).collect();
                for &i in &waiting {
                    unplaceable.insert(i);
                    skipped.push(Skipped {
                        collection: drafts[i].name.clone(),
                        field: None,
                        reason: SeedGap::RequiredCycle { collections: names.iter().map(|n| n.to_string()).collect() },
                    });
                }
            }
        }
    }
    (order, deferred_fields)
}

/// An optional reference deferred to break a cycle may point at a collection that a cycle of
/// required references left out: it stays null.
fn drop_unplaced_references(drafts: &mut [Draft], order: &[usize], rows_of: &BTreeMap<String, usize>, skipped: &mut Vec<Skipped>) {
    for &i in order {
        let d = &mut drafts[i];
        let mut keep = Vec::new();
        for (f, fill) in std::mem::take(&mut d.columns) {
            let fill = match fill {
                Fill::M2o { related } if !rows_of.contains_key(&related) => {
                    skipped.push(Skipped { collection: d.name.clone(), field: Some(f.name.clone()), reason: SeedGap::LeftEmpty { cause: FieldGap::NotSeeded { related: vec![related] } } });
                    continue;
                }
                Fill::M2a { allowed, collection_field } => {
                    let allowed: Vec<String> = allowed.into_iter().filter(|a| rows_of.contains_key(a)).collect();
                    if allowed.is_empty() {
                        skipped.push(Skipped { collection: d.name.clone(), field: Some(f.name.clone()), reason: SeedGap::LeftEmpty { cause: FieldGap::NoAllowedSeeded } });
                        continue;
                    }
                    Fill::M2a { allowed, collection_field }
                }
                other => other,
            };
            keep.push((f, fill));
        }
        d.columns = keep;
    }
}

/// The rows of draft `d`: each column's values, references to the rows of the collections
/// inserted before it; deferred references apart.
fn rows(d: &Draft, deferred_fields: &BTreeSet<(String, String)>, rows_of: &BTreeMap<String, usize>) -> SeedCollection {
    let mut rows: Vec<Vec<(String, Cell)>> = vec![Vec::new(); d.rows];
    let mut deferred = Vec::new();
    for (f, fill) in &d.columns {
        let later = deferred_fields.contains(&(d.name.clone(), f.name.clone()));
        for (r, row) in rows.iter_mut().enumerate() {
            match fill {
                Fill::Gen => row.push((f.name.clone(), Cell::Value(value(&d.name, f, r)))),
                Fill::M2o { related } => {
                    let n = rows_of[related];
                    // A reference to the collection's own rows: a tree (row r under row
                    // (r-1)/2), the first row at the root.
                    let target = if *related == d.name { if r == 0 { None } else { Some((r - 1) / 2) } } else { Some(r % n) };
                    match (target, later) {
                        (Some(t), false) => row.push((f.name.clone(), Cell::Ref { collection: related.clone(), row: t })),
                        (Some(t), true) => deferred.push((r, f.name.clone(), Cell::Ref { collection: related.clone(), row: t })),
                        (None, _) => {}
                    }
                }
                Fill::M2a { allowed, collection_field } => {
                    let target = &allowed[r % allowed.len()];
                    let t = if *target == d.name { r.saturating_sub(1) } else { r % rows_of[target] };
                    let cells = [
                        (collection_field.clone(), Cell::Value(json!(target))),
                        (f.name.clone(), Cell::Ref { collection: target.clone(), row: t }),
                    ];
                    for (name, cell) in cells {
                        if later {
                            deferred.push((r, name, cell));
                        } else {
                            row.push((name, cell));
                        }
                    }
                }
            }
        }
    }
    deferred.sort_by(|a, b| a.0.cmp(&b.0));
    SeedCollection { collection: d.name.clone(), primary_key: d.primary_key.clone(), singleton: d.singleton, rows, deferred }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn snapshot(yaml: &str) -> Snapshot {
        Snapshot::parse(&SourceFile::new("snapshot.yaml", yaml.as_bytes().to_vec(), None))
    }

    fn fixture(rel: &str) -> Snapshot {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        snapshot(&std::fs::read_to_string(path).unwrap())
    }

    fn cell<'a>(row: &'a [(String, Cell)], field: &str) -> Option<&'a Cell> {
        row.iter().find(|(f, _)| f == field).map(|(_, c)| c)
    }

    fn val<'a>(row: &'a [(String, Cell)], field: &str) -> &'a Value {
        match cell(row, field) {
            Some(Cell::Value(v)) => v,
            other => panic!("{field}: {other:?}"),
        }
    }

    /// A snapshot of `collections` (name, singleton) and `fields` (YAML of each field's
    /// mapping after `- collection: c`), and `relations` (YAML list items).
    fn doc(collections: &[(&str, bool)], fields: &str, relations: &str) -> Snapshot {
        let mut y = String::from("version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n");
        for (c, singleton) in collections {
            y.push_str(&format!("  - collection: {c}\n    meta:\n      singleton: {singleton}\n    schema:\n      name: {c}\n"));
        }
        y.push_str("fields:\n");
        y.push_str(fields);
        y.push_str("relations:");
        if relations.is_empty() {
            y.push_str(" []\n");
        } else {
            y.push('\n');
            y.push_str(relations);
        }
        snapshot(&y)
    }

    fn field(c: &str, f: &str, ty: &str, schema: &str, meta: &str) -> String {
        let mut s = format!("  - collection: {c}\n    field: {f}\n    type: {ty}\n    meta:\n");
        if !meta.contains("special:") {
            s.push_str("      special: null\n");
        }
        for l in meta.lines().filter(|l| !l.trim().is_empty()) {
            s.push_str(&format!("      {l}\n"));
        }
        s.push_str("    schema:\n");
        for l in schema.lines().filter(|l| !l.trim().is_empty()) {
            s.push_str(&format!("      {l}\n"));
        }
        s
    }

    fn serial(c: &str) -> String {
        field(c, "id", "integer", "data_type: integer\nis_primary_key: true\nhas_auto_increment: true\nis_nullable: false\nis_unique: true", "")
    }

    fn m2o(c: &str, f: &str, related: &str, nullable: bool) -> (String, String) {
        (
            field(c, f, "integer", &format!("data_type: integer\nis_nullable: {nullable}\nforeign_key_table: {related}\nforeign_key_column: id"), ""),
            format!("  - collection: {c}\n    field: {f}\n    related_collection: {related}\n    meta:\n      one_field: null\n    schema:\n      on_delete: SET NULL\n"),
        )
    }

    #[test]
    fn values_follow_each_type_and_constraint() {
        let fields = [
            serial("t"),
            field("t", "name", "string", "data_type: character varying\nmax_length: 8\nis_nullable: false", ""),
            field("t", "code", "string", "data_type: character varying\nmax_length: 2\nis_unique: true", ""),
            field("t", "body", "text", "data_type: text", ""),
            field("t", "n", "integer", "data_type: integer", ""),
            field("t", "big", "bigInteger", "data_type: bigint", ""),
            field("t", "ratio", "float", "data_type: real", ""),
            field("t", "price", "decimal", "data_type: numeric\nnumeric_precision: 5\nnumeric_scale: 2", ""),
            field("t", "tiny", "decimal", "data_type: numeric\nnumeric_precision: 2\nnumeric_scale: 2\nis_unique: true", ""),
            field("t", "on", "boolean", "data_type: boolean", ""),
            field("t", "day", "date", "data_type: date", ""),
            field("t", "at", "time", "data_type: time without time zone", ""),
            field("t", "local", "dateTime", "data_type: timestamp without time zone", ""),
            field("t", "utc", "timestamp", "data_type: timestamp with time zone", ""),
            field("t", "ref", "uuid", "data_type: uuid", ""),
            field("t", "doc", "json", "data_type: json", ""),
            field("t", "list", "csv", "data_type: text", ""),
            field("t", "where", "geometry.Point", "data_type: point", ""),
            field("t", "area", "geometry.Polygon", "data_type: polygon", ""),
            field("t", "status", "string", "data_type: character varying\nmax_length: 16", "interface: select-dropdown\noptions:\n  choices:\n    - text: A\n      value: a\n    - text: B\n      value: b"),
            field("t", "flags", "json", "data_type: json", "interface: select-multiple-checkbox\noptions:\n  choices:\n    - text: X\n      value: x"),
            field("t", "secret", "hash", "data_type: character varying\nmax_length: 255", ""),
        ]
        .concat();
        let p = plan(&doc(&[("t", false)], &fields, ""), 40);
        let t = p.collection("t").expect("t is seeded");
        assert_eq!(t.rows.len(), 40);
        assert_eq!(t.primary_key, "id");
        let r0 = &t.rows[0];
        assert!(cell(r0, "id").is_none(), "the serial key is the database's");
        assert_eq!(val(r0, "name"), "name-1");
        assert_eq!(val(&t.rows[39], "name"), "name-40");
        assert!(t.rows.iter().all(|r| val(r, "name").as_str().unwrap().len() <= 8));
        let codes: BTreeSet<&str> = t.rows.iter().map(|r| val(r, "code").as_str().unwrap()).collect();
        assert_eq!(codes.len(), 40, "unique within varchar(2): {codes:?}");
        assert!(codes.iter().all(|c| c.len() <= 2));
        assert!(val(r0, "body").as_str().unwrap().contains("grüße"), "text carries non-ASCII");
        assert!(val(r0, "n").is_u64());
        assert_eq!(val(r0, "big"), &json!(10_000_000_000u64));
        assert_eq!(val(r0, "ratio"), &json!(1.25));
        assert_eq!(val(r0, "price"), "1.00");
        assert_eq!(val(&t.rows[1], "price"), "2.37");
        assert!(t.rows.iter().all(|r| val(r, "price").as_str().unwrap().split('.').next().unwrap().len() <= 3));
        let tiny: BTreeSet<&str> = t.rows.iter().map(|r| val(r, "tiny").as_str().unwrap()).collect();
        assert_eq!(tiny.len(), 40, "unique decimal(2,2): {tiny:?}");
        assert!(tiny.iter().all(|v| v.starts_with("0.") && v.len() == 4), "{tiny:?}");
        assert_eq!(val(r0, "on"), &json!(true));
        assert_eq!(val(&t.rows[1], "on"), &json!(false));
        assert_eq!(val(r0, "day"), "2024-01-01");
        assert_eq!(val(&t.rows[31], "day"), "2024-02-01");
        assert_eq!(val(r0, "at"), "08:00:00");
        assert_eq!(val(r0, "local"), "2024-01-01T08:00:00");
        assert_eq!(val(&t.rows[1], "utc"), "2024-01-01T09:01:01.000Z");
        let u = val(r0, "ref").as_str().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4", "{u}");
        assert_ne!(val(&t.rows[1], "ref"), val(r0, "ref"));
        assert_eq!(val(r0, "doc")["seed"], 1);
        assert_eq!(val(r0, "list"), &json!(["list-1", "seed"]));
        assert_eq!(val(r0, "where")["type"], "Point");
        assert_eq!(val(r0, "area")["coordinates"][0].as_array().unwrap().len(), 4);
        assert_eq!(val(r0, "status"), "a");
        assert_eq!(val(&t.rows[1], "status"), "b");
        assert_eq!(val(r0, "flags"), &json!(["x"]));
        assert_eq!(val(r0, "secret"), "secret-1");
        // Every row has the same fields (Directus reads a batch's fields from its first item).
        let names = |r: &Vec<(String, Cell)>| r.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
        assert!(t.rows.iter().all(|r| names(r) == names(r0)));
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    }

    #[test]
    fn the_same_snapshot_gives_the_same_plan() {
        let s = fixture("tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml");
        assert_eq!(plan(&s, 30), plan(&s, 30));
    }

    #[test]
    fn a_unique_field_that_cannot_hold_enough_values_limits_the_rows_with_a_reason() {
        let fields = [serial("t"), field("t", "flag", "boolean", "data_type: boolean\nis_unique: true", "")].concat();
        let p = plan(&doc(&[("t", false)], &fields, ""), 30);
        assert_eq!(p.collection("t").unwrap().rows.len(), 2);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].reason, SeedGap::UniqueTooFew { distinct: 2, wanted: 30 }, "{:?}", p.skipped);
    }

    #[test]
    fn keys_are_generated_unless_the_database_generates_them() {
        let fields = [
            field("u", "id", "uuid", "data_type: uuid\nis_primary_key: true\nis_nullable: false\nis_unique: true", "special:\n  - uuid"),
            field("s", "code", "string", "data_type: character varying\nmax_length: 2\nis_primary_key: true\nis_nullable: false", ""),
            field("i", "id", "integer", "data_type: integer\nis_primary_key: true\nis_nullable: false", ""),
            serial("a"),
        ]
        .concat();
        let p = plan(&doc(&[("u", false), ("s", false), ("i", false), ("a", false)], &fields, ""), 50);
        let u = p.collection("u").unwrap();
        assert!(val(&u.rows[0], "id").as_str().unwrap().len() == 36);
        let s = p.collection("s").unwrap();
        let codes: BTreeSet<&str> = s.rows.iter().map(|r| val(r, "code").as_str().unwrap()).collect();
        assert_eq!(codes.len(), 50);
        let i = p.collection("i").unwrap();
        assert_eq!(val(&i.rows[49], "id"), &json!(50));
        assert!(p.collection("a").unwrap().rows.iter().all(|r| r.is_empty()));
    }

    #[test]
    fn references_follow_the_insert_order_and_self_references_wait() {
        let (child, child_rel) = m2o("child", "parent", "parent", false);
        let (tree, tree_rel) = m2o("parent", "up", "parent", true);
        let fields = [serial("child"), child, serial("parent"), tree].concat();
        let p = plan(&doc(&[("child", false), ("parent", false)], &fields, &[child_rel, tree_rel].concat()), 5);
        let order: Vec<&str> = p.collections.iter().map(|c| c.collection.as_str()).collect();
        assert_eq!(order, ["parent", "child"]);
        let child = p.collection("child").unwrap();
        assert_eq!(cell(&child.rows[4], "parent"), Some(&Cell::Ref { collection: "parent".into(), row: 4 }));
        let parent = p.collection("parent").unwrap();
        assert!(parent.rows.iter().all(|r| cell(r, "up").is_none()), "set later");
        assert_eq!(
            parent.deferred,
            (1..5).map(|r| (r, "up".to_string(), Cell::Ref { collection: "parent".into(), row: (r - 1) / 2 })).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_cycle_is_broken_at_an_optional_reference() {
        let (ab, ab_rel) = m2o("a", "b", "b", false);
        let (ba, ba_rel) = m2o("b", "a", "a", true);
        let fields = [serial("a"), ab, serial("b"), ba].concat();
        let p = plan(&doc(&[("a", false), ("b", false)], &fields, &[ab_rel, ba_rel].concat()), 3);
        let order: Vec<&str> = p.collections.iter().map(|c| c.collection.as_str()).collect();
        assert_eq!(order, ["b", "a"]);
        assert_eq!(p.collection("b").unwrap().deferred.len(), 3);
        assert!(p.collection("a").unwrap().deferred.is_empty());

        // Both required: neither can go first.
        let (ab, ab_rel) = m2o("a", "b", "b", false);
        let (ba, ba_rel) = m2o("b", "a", "a", false);
        let fields = [serial("a"), ab, serial("b"), ba].concat();
        let p = plan(&doc(&[("a", false), ("b", false)], &fields, &[ab_rel, ba_rel].concat()), 3);
        assert!(p.collections.is_empty());
        assert_eq!(p.skipped.len(), 2);
        assert!(p.skipped.iter().all(|s| matches!(s.reason, SeedGap::RequiredCycle { .. })), "{:?}", p.skipped);
    }

    #[test]
    fn system_relations_stay_null_or_stop_the_collection() {
        let (opt, opt_rel) = m2o("a", "owner", "directus_users", true);
        let (req, req_rel) = m2o("b", "owner", "directus_users", false);
        let (dep, dep_rel) = m2o("c", "b", "b", false);
        let fields = [serial("a"), opt, serial("b"), req, serial("c"), dep].concat();
        let p = plan(&doc(&[("a", false), ("b", false), ("c", false)], &fields, &[opt_rel, req_rel, dep_rel].concat()), 3);
        let order: Vec<&str> = p.collections.iter().map(|c| c.collection.as_str()).collect();
        assert_eq!(order, ["a"]);
        assert!(p.collection("a").unwrap().rows.iter().all(|r| cell(r, "owner").is_none()));
        let why = |c: &str, f: Option<&str>| p.skipped.iter().find(|s| s.collection == c && s.field.as_deref() == f).map(|s| s.reason.clone());
        let users = || FieldGap::SystemCollection { related: "directus_users".into() };
        assert_eq!(why("a", Some("owner")), Some(SeedGap::LeftEmpty { cause: users() }));
        assert_eq!(why("b", None), Some(SeedGap::RequiredField { field: "owner".into(), cause: users() }));
        assert!(
            matches!(why("c", None), Some(SeedGap::RequiredField { cause: FieldGap::NotSeeded { related }, .. }) if related == ["b"]),
            "{:?}",
            p.skipped
        );
    }

    #[test]
    fn fields_directus_fills_itself_are_left_out() {
        let fields = [
            serial("t"),
            field("t", "date_created", "timestamp", "data_type: timestamp with time zone", "special:\n  - date-created"),
            field("t", "date_updated", "timestamp", "data_type: timestamp with time zone", "special:\n  - date-updated"),
            field("t", "user_created", "uuid", "data_type: uuid\nforeign_key_table: directus_users", "special:\n  - user-created"),
            field("t", "total", "integer", "data_type: integer\nis_generated: true", ""),
            field("t", "blob", "binary", "data_type: bytea", ""),
            "  - collection: t\n    field: divider\n    type: alias\n    meta:\n      special:\n        - alias\n        - no-data\n    schema: null\n".to_string(),
        ]
        .concat();
        let p = plan(&doc(&[("t", false)], &fields, ""), 2);
        let t = p.collection("t").unwrap();
        assert!(t.rows.iter().all(|r| r.is_empty()), "{:?}", t.rows);
        assert_eq!(p.skipped.len(), 1, "only the binary field is worth a note: {:?}", p.skipped);
        assert_eq!(p.skipped[0].field.as_deref(), Some("blob"));
    }

    #[test]
    fn the_kitchen_sink_corpus_gets_rows_in_every_table_or_a_reason() {
        let s = fixture("tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml");
        let p = plan(&s, 30);
        for c in s.collections.iter() {
            let seeded = p.collection(&c.name);
            let reason = p.skipped.iter().find(|k| k.collection == c.name && k.field.is_none());
            if c.is_table() {
                assert!(seeded.is_some() != reason.is_some(), "{}: rows or a reason, not both", c.name);
            } else {
                assert!(seeded.is_none() && reason.is_none(), "the folder {} has no table", c.name);
            }
        }
        assert_eq!(p.collections.len(), 14, "every table: {:?}", p.skipped);
        let site = p.collection("site_settings").unwrap();
        assert!(site.singleton);
        assert_eq!(site.rows.len(), 1);
        assert_eq!(p.rows(), 13 * 30 + 1);

        // Order: every reference points at an earlier collection (or waits).
        let pos = |n: &str| p.collections.iter().position(|c| c.collection == n).unwrap();
        for c in &p.collections {
            for row in &c.rows {
                for (f, cell) in row {
                    if let Cell::Ref { collection, row } = cell {
                        assert!(pos(collection) < pos(&c.collection), "{}.{f} -> {collection}", c.collection);
                        assert!(*row < p.collection(collection).unwrap().rows.len());
                    }
                }
            }
        }
        // m2o, m2m and translations junctions point at seeded rows; files and users stay null.
        let articles = p.collection("articles").unwrap();
        assert!(matches!(cell(&articles.rows[3], "author"), Some(Cell::Ref { collection, .. }) if collection == "authors"));
        assert!(cell(&articles.rows[0], "reviewer").is_none() && cell(&articles.rows[0], "cover").is_none());
        assert!(cell(&articles.rows[0], "user_created").is_none() && cell(&articles.rows[0], "date_created").is_none());
        assert!(cell(&articles.rows[0], "tags").is_none(), "an alias has no column");
        let id = val(&articles.rows[0], "id").as_str().unwrap();
        assert_eq!(id.len(), 36, "the uuid key is generated: {id}");
        // status from its choices, slug valid for its regex and unique
        assert_eq!(val(&articles.rows[0], "status"), "published");
        let slugs: BTreeSet<&str> = articles.rows.iter().map(|r| val(r, "slug").as_str().unwrap()).collect();
        assert_eq!(slugs.len(), 30);
        assert!(slugs.iter().all(|s| s.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))));
        let tags = p.collection("articles_tags").unwrap();
        assert!(matches!(cell(&tags.rows[0], "articles_id"), Some(Cell::Ref { collection, .. }) if collection == "articles"));
        assert!(matches!(cell(&tags.rows[0], "tags_id"), Some(Cell::Ref { collection, .. }) if collection == "tags"));
        let tr = p.collection("articles_translations").unwrap();
        assert!(matches!(cell(&tr.rows[0], "languages_code"), Some(Cell::Ref { collection, .. }) if collection == "languages"));
        let langs = p.collection("languages").unwrap();
        assert!(val(&langs.rows[0], "code").as_str().unwrap().len() <= 16);
        assert!(["ltr", "rtl"].contains(&val(&langs.rows[0], "direction").as_str().unwrap()));
        let files = p.collection("articles_files").unwrap();
        assert!(cell(&files.rows[0], "directus_files_id").is_none());
        assert!(p.skipped.iter().any(|k| k.collection == "articles_files" && k.field.as_deref() == Some("directus_files_id")));
        // The many-to-any junction: item and collection together, over both block types.
        let blocks = p.collection("pages_blocks").unwrap();
        assert_eq!(val(&blocks.rows[0], "collection"), "block_hero");
        assert_eq!(cell(&blocks.rows[0], "item"), Some(&Cell::Ref { collection: "block_hero".into(), row: 0 }));
        assert_eq!(val(&blocks.rows[1], "collection"), "block_richtext");
        assert!(pos("block_hero") < pos("pages_blocks") && pos("block_richtext") < pos("pages_blocks"));
        // decimal(10,2) fits
        let products = p.collection("products").unwrap();
        assert_eq!(val(&products.rows[29], "price"), "30.73");
    }

    #[test]
    fn the_deployment_snapshot_is_seeded_whole() {
        let s = fixture("snapshots/snapshot.yaml");
        let p = plan(&s, 30);
        assert_eq!(p.collections.len(), 12, "{:?}", p.skipped);
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        let categories = p.collection("categories").unwrap();
        assert_eq!(categories.deferred.len(), 29, "a tree of categories, set after the inserts");
        let countries = p.collection("countries").unwrap();
        let codes: BTreeSet<&str> = countries.rows.iter().map(|r| val(r, "code").as_str().unwrap()).collect();
        assert_eq!(codes.len(), 30);
        assert!(codes.iter().all(|c| c.len() <= 2), "{codes:?}");
        let orders = p.collection("orders").unwrap();
        assert!(["draft", "placed", "paid", "shipped", "cancelled"].contains(&val(&orders.rows[2], "status").as_str().unwrap()));
        assert_eq!(val(&orders.rows[0], "ordered_at"), "2024-01-01T08:00:00");
        assert_eq!(val(&orders.rows[0], "total"), "1.00");
    }

    #[test]
    fn a_broken_snapshot_gives_an_empty_plan() {
        let p = plan(&snapshot("collections: [\n"), 10);
        assert!(p.collections.is_empty());
        let p = plan(&doc(&[("t", false)], "", ""), 10);
        assert!(p.collections.is_empty());
        assert_eq!(p.skipped[0].reason, SeedGap::NoPrimaryKey);
    }
}

