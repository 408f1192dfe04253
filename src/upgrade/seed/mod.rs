//! Seeding for the upgrade drill: fill every table collection of a snapshot with rows through
//! Directus's REST API, so that the PR's image boots on a database full of data.
//!
//! [`plan`] is pure and deterministic: from the snapshot alone it decides, per collection, the
//! rows to insert (values generated from each field's type and constraints as Directus 11.17.4
//! models them), the order (a collection after the ones it points at), and what cannot be
//! seeded and why. [`apply`] sends the plan as batched requests and returns the keys Directus
//! gave each row.
//!
//! What the values follow (read from Directus 11.17.4's `@directus/constants` TYPES, its
//! PayloadService specials and its payload validation):
//! - `string`/`text`/`hash` fit `schema.max_length` (slug-like `field-name-7`, so the common
//!   `^[a-z0-9]+(-[a-z0-9]+)*$` validations pass); `integer`/`bigInteger`/`float`;
//!   `decimal` as a string within `numeric_precision`/`numeric_scale`; `boolean`; `date`
//!   (`2024-01-08`), `time`, `dateTime` (no zone), `timestamp` (UTC); `uuid`; `json`;
//!   `csv` (an array, Directus joins it); `geometry*` as GeoJSON.
//! - `meta.options.choices` (select-dropdown, radio, checkboxes, ...): one of the choices'
//!   values (an array of one for the multiple-choice interfaces, whose types are json/csv).
//! - `schema.is_unique` (and the primary key): distinct values; when the column cannot hold
//!   that many distinct values (a unique boolean, a `varchar(1)`), fewer rows, with the reason.
//! - Fields Directus fills itself are left out: `date-created`, `date-updated`,
//!   `user-created`, `user-updated`, `role-created`, `role-updated`, generated columns,
//!   auto-increment keys. Alias fields (o2m, m2m, m2a, files, translations, presentation,
//!   groups) have no column: the junction's or child's many-to-one fields carry them.
//! - Many-to-one fields point at seeded rows of the related collection ([`Cell::Ref`]); a
//!   many-to-any field at rows of its allowed collections, with the collection's name in its
//!   `one_collection_field`. References to a collection's own rows, and references that
//!   close a cycle between collections, are set after every insert ([`SeedCollection::deferred`]).
//! - Relations to system collections (`directus_users`, `directus_files`, ...) and to
//!   collections that are not seeded are left null; when such a field may not be null, the
//!   collection is not seeded, with the reason ([`SeedPlan::skipped`]).

mod apply;
mod plan;
mod values;

use std::collections::BTreeMap;

use serde_json::Value;

pub use crate::results::fact::drill::{FieldGap, SeedGap};
pub use apply::apply;
pub use plan::plan;

/// What to insert, in insertion order (a collection after the collections it points at).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedPlan {
    pub collections: Vec<SeedCollection>,
    /// Table collections that get no rows, and fields that stay null, with the reason.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeedCollection {
    pub collection: String,
    pub primary_key: String,
    pub singleton: bool,
    /// field -> value per row; the primary key is omitted when the database generates it.
    /// Every row of a collection has the same fields (Directus processes a batch by the
    /// first item's fields).
    pub rows: Vec<Vec<(String, Cell)>>,
    /// (row, field, value) set by an update after every insert: self references and the
    /// references that close a cycle between collections.
    pub deferred: Vec<(usize, String, Cell)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Value(Value),
    /// The primary key Directus gave row `row` of `collection`.
    Ref { collection: String, row: usize },
}

/// A collection (field: None) that is not seeded, or a field that stays null or gets fewer
/// distinct values than rows asked: what the drill stores (`DrillFact::SeedLeftOut`).
pub use crate::results::fact::drill::SeedSkip as Skipped;

impl SeedPlan {
    /// How many rows the plan inserts.
    pub fn rows(&self) -> usize {
        self.collections.iter().map(|c| c.rows.len()).sum()
    }

    pub fn collection(&self, name: &str) -> Option<&SeedCollection> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

/// What [`apply`] did: per collection the primary keys of its rows in plan order, the
/// number of rows inserted, and the time it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeded {
    pub keys: BTreeMap<String, Vec<Value>>,
    pub rows: usize,
    pub seconds: f64,
}

/// Items per request: one request per collection per this many rows.
pub const BATCH: usize = 100;
