//! The fingerprint of the base's rows: per table its row count, the non-null values of every
//! column, and one checksum per row (by primary key) over the columns both the base and the head
//! snapshots define, read with psql inside the Postgres container. Comparing two fingerprints is
//! pure ([`compare`]).
//!
//! Values are compared as text (`col::text`), so a conversion that keeps a value's meaning
//! (`'12'` string to `12` integer) counts as preserved and one that does not (`2.50` to `3`)
//! counts as changed.

use std::collections::{BTreeMap, BTreeSet};

use crate::docker::stack::Stack;
use crate::results::{DroppedColumn, TableRows, UpgradeRows};
use crate::source::{excerpt, EXCERPT_CHARS};

/// What the database holds in the tables that matter, at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fingerprint {
    pub tables: BTreeMap<String, Table>,
}

/// One table of a [`Fingerprint`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub rows: usize,
    /// Every column of the table, with its non-null values.
    pub values: BTreeMap<String, usize>,
    /// The columns the checksums cover, in order.
    pub compared: Vec<String>,
    /// Primary key (as text) -> md5 over the compared columns; empty without a primary key.
    pub checksums: BTreeMap<String, String>,
}

/// `"name"` with embedded quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The columns of every table in `public`, and each table's (first) primary-key column.
async fn catalog(stack: &Stack, pg: &str) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, String>), String> {
    let cols = query_json(
        stack,
        pg,
        "select coalesce(json_object_agg(t, c), '{}') from (select table_name::text t, \
         json_agg(column_name::text order by ordinal_position) c from information_schema.columns \
         where table_schema = 'public' group by table_name) s",
    )
    .await?;
    let pks = query_json(
        stack,
        pg,
        "select coalesce(json_object_agg(c.relname, a.attname), '{}') from pg_index i \
         join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace \
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0] \
         where i.indisprimary and n.nspname = 'public'",
    )
    .await?;
    let columns = serde_json::from_value(cols).map_err(|e| format!("reading the column catalog: {e}"))?;
    let keys = serde_json::from_value(pks).map_err(|e| format!("reading the primary keys: {e}"))?;
    Ok((columns, keys))
}

async fn query_json(stack: &Stack, pg: &str, sql: &str) -> Result<serde_json::Value, String> {
    match stack.psql(pg, "directus", sql).await? {
        (0, out) => serde_json::from_str(out.trim()).map_err(|e| format!("psql answered {:?}: {e}", excerpt(&out, EXCERPT_CHARS))),
        (code, out) => Err(format!("psql exited {code}: {}", excerpt(&out, EXCERPT_CHARS))),
    }
}

/// `'text'` with embedded quotes doubled.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Reads the fingerprint of `tables` (collection -> the columns to checksum, where present) in
/// one psql call (one JSON line per table). A table the database does not have is left out.
pub async fn take(stack: &Stack, pg: &str, tables: &BTreeMap<String, Vec<String>>) -> Result<Fingerprint, String> {
    let (columns, keys) = catalog(stack, pg).await?;
    let mut parts = Vec::new();
    let mut compared: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (table, wanted) in tables {
        let Some(cols) = columns.get(table) else { continue };
        let t = ident(table);
        let cmp: Vec<String> = wanted.iter().filter(|c| cols.contains(c)).cloned().collect();
        let sums = match keys.get(table) {
            Some(pk) => {
                let list: Vec<String> = cmp.iter().map(|c| format!("(r.{})::text", ident(c))).collect();
                format!(
                    "(select coalesce(json_object_agg((r.{})::text, md5(array_to_json(array[{}]::text[])::text)), '{{}}') from public.{t} r)",
                    ident(pk),
                    if list.is_empty() { "null".to_string() } else { list.join(", ") }
                )
            }
            None => "'{}'::json".to_string(),
        };
        parts.push(format!(
            "select json_build_object('table', {}, 'rows', (select count(*) from public.{t}), 'values', \
             (select coalesce(json_object_agg(k, n), '{{}}') from (select e.key k, count(e.value) n \
             from public.{t} r, json_each_text(row_to_json(r)) e group by e.key) s), 'sums', {sums})::text",
            literal(table)
        ));
        compared.insert(table, cmp);
    }
    let mut fp = Fingerprint::default();
    if parts.is_empty() {
        return Ok(fp);
    }
    let out = match stack.psql(pg, "directus", &parts.join(" union all ")).await? {
        (0, out) => out,
        (code, out) => return Err(format!("reading the rows: psql exited {code}: {}", excerpt(&out, EXCERPT_CHARS))),
    };
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("psql answered {:?}: {e}", excerpt(line, EXCERPT_CHARS)))?;
        let table = v["table"].as_str().unwrap_or_default().to_string();
        let cols = columns.get(&table).cloned().unwrap_or_default();
        let entry = Table {
            rows: v["rows"].as_u64().unwrap_or(0) as usize,
            values: cols.iter().map(|c| (c.clone(), v["values"][c].as_u64().unwrap_or(0) as usize)).collect(),
            compared: compared.get(table.as_str()).cloned().unwrap_or_default(),
            checksums: serde_json::from_value(v["sums"].clone()).map_err(|e| format!("checksums of {table}: {e}"))?,
        };
        fp.tables.insert(table, entry);
    }
    Ok(fp)
}

/// What became of the `before` rows in `after`: per table, the totals, and the columns (and
/// tables) `after` no longer has with how many values they held.
pub fn compare(before: &Fingerprint, after: &Fingerprint) -> (Vec<TableRows>, UpgradeRows, Vec<DroppedColumn>) {
    let mut tables = Vec::new();
    let mut total = UpgradeRows::default();
    let mut dropped = Vec::new();
    for (name, b) in &before.tables {
        let mut row = TableRows { collection: name.clone(), before: b.rows, columns: b.compared.clone(), ..Default::default() };
        match after.tables.get(name) {
            None => {
                row.lost = b.rows;
                dropped.push(DroppedColumn { collection: name.clone(), field: None, values: b.rows });
            }
            Some(a) => {
                row.after = Some(a.rows);
                if b.checksums.is_empty() && b.rows > 0 {
                    // No primary key: only the counts can be compared.
                    row.lost = b.rows.saturating_sub(a.rows);
                    row.preserved = b.rows - row.lost;
                } else {
                    // Checksums are comparable only over the same columns.
                    let same_columns = a.compared == b.compared;
                    for (pk, sum) in &b.checksums {
                        match a.checksums.get(pk) {
                            None => row.lost += 1,
                            Some(s) if s == sum || !same_columns => row.preserved += 1,
                            Some(_) => row.changed += 1,
                        }
                    }
                }
                let gone: BTreeSet<&String> = b.values.keys().filter(|c| !a.values.contains_key(*c)).collect();
                for c in gone {
                    dropped.push(DroppedColumn { collection: name.clone(), field: Some(c.clone()), values: b.values[c] });
                }
            }
        }
        total.before += row.before;
        total.preserved += row.preserved;
        total.changed += row.changed;
        total.lost += row.lost;
        tables.push(row);
    }
    (tables, total, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &str)], values: &[(&str, usize)], compared: &[&str]) -> Table {
        Table {
            rows: rows.len(),
            values: values.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            compared: compared.iter().map(|c| c.to_string()).collect(),
            checksums: rows.iter().map(|(k, s)| (k.to_string(), s.to_string())).collect(),
        }
    }

    #[test]
    fn rows_preserved_changed_lost_and_columns_dropped() {
        let mut before = Fingerprint::default();
        before.tables.insert("orders".into(), table(&[("1", "a"), ("2", "b"), ("3", "c")], &[("id", 3), ("total", 3), ("note", 2)], &["id", "total"]));
        before.tables.insert("legacy".into(), table(&[("1", "x")], &[("id", 1)], &["id"]));
        let mut after = Fingerprint::default();
        after.tables.insert("orders".into(), table(&[("1", "a"), ("2", "B")], &[("id", 2), ("total", 2)], &["id", "total"]));
        let (tables, total, dropped) = compare(&before, &after);
        let orders = tables.iter().find(|t| t.collection == "orders").unwrap();
        assert_eq!((orders.before, orders.after, orders.preserved, orders.changed, orders.lost), (3, Some(2), 1, 1, 1));
        let legacy = tables.iter().find(|t| t.collection == "legacy").unwrap();
        assert_eq!((legacy.after, legacy.lost), (None, 1));
        assert_eq!((total.before, total.preserved, total.changed, total.lost), (4, 1, 1, 2));
        assert_eq!(
            dropped,
            vec![
                DroppedColumn { collection: "legacy".into(), field: None, values: 1 },
                DroppedColumn { collection: "orders".into(), field: Some("note".into()), values: 2 },
            ]
        );
    }

    #[test]
    fn identical_fingerprints_preserve_everything() {
        let mut fp = Fingerprint::default();
        fp.tables.insert("t".into(), table(&[("1", "a"), ("2", "b")], &[("id", 2)], &["id"]));
        let (_, total, dropped) = compare(&fp, &fp);
        assert_eq!((total.before, total.preserved, total.changed, total.lost), (2, 2, 0, 0));
        assert!(dropped.is_empty());
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(literal("o'brien"), "'o''brien'");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
