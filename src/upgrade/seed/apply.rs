//! Applying a seeding plan through the Directus REST client (src/directus/).

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

use super::{Cell, SeedPlan, Seeded, BATCH};
use crate::directus::Client;

// ---------------------------------------------------------------------------------------
// Applying a plan.

/// Inserts `plan` through `client`: collection by collection in plan order, [`BATCH`] rows
/// per request (a singleton with one `PATCH /items/<c>`), each [`Cell::Ref`] replaced by the
/// key Directus returned for that row; then the deferred references, one batch update per
/// collection. The first error stops it, naming the collection and Directus's message.
pub async fn apply(client: &Client, plan: &SeedPlan) -> Result<Seeded, String> {
    let started = Instant::now();
    let mut keys: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut rows = 0;
    for c in &plan.collections {
        let items: Vec<Value> = c.rows.iter().map(|row| item(row, &keys)).collect::<Result<_, _>>().map_err(|e| format!("seeding `{}`: {e}", c.collection))?;
        let mut got = Vec::with_capacity(items.len());
        if c.singleton {
            for it in &items {
                got.push(client.upsert_singleton(&c.collection, &c.primary_key, it).await.map_err(|e| format!("seeding `{}`: {e}", c.collection))?);
            }
        } else {
            for batch in items.chunks(BATCH) {
                let k = client.create_items(&c.collection, &c.primary_key, batch).await.map_err(|e| format!("seeding `{}`: {e}", c.collection))?;
                got.extend(k);
            }
        }
        rows += got.len();
        keys.insert(c.collection.clone(), got);
    }
    for c in plan.collections.iter().filter(|c| !c.deferred.is_empty()) {
        let mut by_row: BTreeMap<usize, Vec<(String, Cell)>> = BTreeMap::new();
        for (r, field, cell) in &c.deferred {
            by_row.entry(*r).or_default().push((field.clone(), cell.clone()));
        }
        let own = &keys[&c.collection];
        let err = |e: String| format!("seeding `{}` (references set after the inserts): {e}", c.collection);
        let mut updates = Vec::new();
        for (r, cells) in &by_row {
            let mut it = item(cells, &keys).map_err(err)?;
            let key = own.get(*r).ok_or_else(|| err(format!("row {r} was not inserted")))?;
            if c.singleton {
                client.upsert_singleton(&c.collection, &c.primary_key, &it).await.map_err(err)?;
                continue;
            }
            it[&c.primary_key] = key.clone();
            updates.push(it);
        }
        for batch in updates.chunks(BATCH) {
            client.update_items(&c.collection, &c.primary_key, batch).await.map_err(err)?;
        }
    }
    Ok(Seeded { keys, rows, seconds: started.elapsed().as_secs_f64() })
}

/// A row as a JSON item, its references replaced by the keys already inserted.
fn item(cells: &[(String, Cell)], keys: &BTreeMap<String, Vec<Value>>) -> Result<Value, String> {
    let mut m = serde_json::Map::new();
    for (field, cell) in cells {
        let v = match cell {
            Cell::Value(v) => v.clone(),
            Cell::Ref { collection, row } => keys
                .get(collection)
                .and_then(|k| k.get(*row))
                .cloned()
                .ok_or_else(|| format!("field `{field}` points at row {row} of `{collection}`, which was not inserted before it"))?,
        };
        m.insert(field.clone(), v);
    }
    Ok(Value::Object(m))
}

