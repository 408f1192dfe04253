//! The `migrations/*` rules: the files in the migrations directory
//! (`db-init/` by default) and in the post-schema directory (`db-post/`),
//! their names and numbering (each directory numbered on its own), their
//! history against the base, and the statements in them (from `model::sql`).
//! `snapshot-collision` is about db-init only: db-post runs after the
//! schema step, when the snapshot's tables exist.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::snapshot::SYSTEM_COLLECTIONS;
use super::{Context, Emitter, Rule};
use crate::finding::Severity;
use crate::model::sql::ddl::{Action, ConstraintKind, Ddl};
use crate::model::sql::{well_formed_name, Kind, Migration, Statement, TableName, TableRole};
use crate::model::{MigrationSet, Project, SqlStep};

mod bad_filename;
mod duplicate_version;
mod gap_in_sequence;
mod out_of_order;
mod edited_after_merge;
mod removed_after_merge;
mod empty;
mod syntax_error;
mod transaction_control;
mod psql_meta_command;
mod concurrently_in_transaction;
mod destructive;
mod directus_system_table;
mod snapshot_collision;
mod references_snapshot_table;
mod postgres_error;
mod not_null_without_default;
mod column_type_change;
mod constraint_not_valid;
mod index_not_concurrent;
mod set_not_null;
mod volatile_default;
mod alters_snapshot_schema;

pub const RULES: &[Rule] = &[
    bad_filename::RULE,
    duplicate_version::RULE,
    gap_in_sequence::RULE,
    out_of_order::RULE,
    edited_after_merge::RULE,
    removed_after_merge::RULE,
    empty::RULE,
    syntax_error::RULE,
    transaction_control::RULE,
    psql_meta_command::RULE,
    concurrently_in_transaction::RULE,
    destructive::RULE,
    directus_system_table::RULE,
    snapshot_collision::RULE,
    references_snapshot_table::RULE,
    postgres_error::RULE,
    not_null_without_default::RULE,
    column_type_change::RULE,
    constraint_not_valid::RULE,
    index_not_concurrent::RULE,
    set_not_null::RULE,
    volatile_default::RULE,
    alters_snapshot_schema::RULE,
];

/// Files in the migrations directory that are notes, not migrations.
fn is_note(name: &str) -> bool {
    name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme")
}

/// The db-init migrations that the runner applies (`*.sql`), readable or not.
fn sql_files<'a>(ctx: &Context<'a>) -> impl Iterator<Item = &'a Migration> {
    ctx.head.migrations.iter().map(|m| &**m).filter(|m| m.is_sql)
}

/// The `*.sql` migrations of both SQL steps (db-init, then db-post).
fn all_sql_files<'a>(ctx: &Context<'a>) -> impl Iterator<Item = &'a Migration> {
    ctx.head.all_migrations().map(|m| &**m).filter(|m| m.is_sql)
}

/// The `*.sql` files of one step's directory.
fn set_sql<'a>(set: &MigrationSet<'a>) -> impl Iterator<Item = &'a Migration> {
    set.files.iter().map(|m| &**m).filter(|m| m.is_sql)
}

/// The same step's directory in another version (the base).
fn same_set<'a>(p: &'a Project, step: SqlStep) -> MigrationSet<'a> {
    let sets = p.migration_sets();
    if step == SqlStep::DbInit { sets[0] } else { sets[1] }
}

/// Which step applies `m` ("db-init" or "db-post").
/// The directory of the step `m` belongs to, as configured (`db-init`, `db-post`).
fn dir_of<'a>(ctx: &'a Context, m: &Migration) -> &'a str {
    let [init, post] = ctx.head.migration_sets();
    if !post.dir.is_empty() && m.path.starts_with(post.dir) && m.path[post.dir.len()..].starts_with('/') {
        post.dir
    } else {
        init.dir
    }
}

fn step_of(ctx: &Context, m: &Migration) -> &'static str {
    let post = ctx.head.migration_sets()[1];
    if !post.dir.is_empty() && m.path.starts_with(post.dir) && m.path[post.dir.len()..].starts_with('/') {
        SqlStep::DbPost.name()
    } else {
        SqlStep::DbInit.name()
    }
}

/// Whether `n`, named in `s`, is a table in `public`: qualified so, or
/// unqualified while the file has not moved the search path away from it
/// (after `SET search_path = app`, an unqualified name may be app's).
fn in_public(s: &Statement, n: &TableName) -> bool {
    n.in_public() && (n.schema.is_some() || !s.search_path_changed)
}

/// The collections of the head snapshot that have a table (folders have none).
fn snapshot_tables<'a>(ctx: &Context<'a>) -> Option<(&'a str, HashSet<&'a str>)> {
    let snap = ctx.head.snapshot.as_deref()?;
    let tables: HashSet<&str> = snap.collections.iter().filter(|c| c.is_table()).map(|c| c.name.as_str()).collect();
    (!tables.is_empty()).then_some((snap.path.as_str(), tables))
}

/// A statement with DDL facts (ALTER TABLE, CREATE INDEX), in the runner's order.
struct DdlStatement<'a> {
    m: &'a Migration,
    s: &'a Statement,
    ddl: &'a Ddl,
    step: SqlStep,
    /// The table it alters or indexes.
    table: &'a TableName,
    /// An earlier statement of the same file created that table: it is empty
    /// and no other session sees it before the file commits.
    fresh: bool,
}

/// Every ALTER TABLE / CREATE INDEX of both SQL steps.
fn ddl_statements<'a>(ctx: &Context<'a>) -> Vec<DdlStatement<'a>> {
    let mut out = Vec::new();
    for set in ctx.head.migration_sets() {
        for m in set.files.iter().filter(|m| m.is_sql) {
            let mut created: Vec<&TableName> = Vec::new();
            for s in &m.statements {
                created.extend(s.tables.iter().filter(|r| r.role == TableRole::Create).map(|r| &r.table));
                let Some(ddl) = s.ddl.as_ref() else { continue };
                let table = match ddl {
                    Ddl::AlterTable { .. } => s.tables.iter().find(|r| r.role == TableRole::Alter),
                    Ddl::CreateIndex { .. } => s.tables.iter().find(|r| r.role == TableRole::On),
                };
                let Some(table) = table.map(|r| &r.table) else { continue };
                let same = |t: &&TableName| t.name == table.name && (t.schema == table.schema || t.schema.as_deref().unwrap_or("public") == table.schema.as_deref().unwrap_or("public"));
                let fresh = created.iter().any(|t| same(t));
                out.push(DdlStatement { m: &**m, s, ddl, step: set.step, table, fresh });
            }
        }
    }
    out
}

/// The snapshot collection whose table `t` is (in `public`), when there is one.
fn snapshot_table<'a>(ctx: &Context<'a>, t: &TableName) -> Option<&'a crate::model::snapshot::Collection> {
    let snap = ctx.head.snapshot.as_deref()?;
    if !t.in_public() {
        return None;
    }
    snap.collections.iter().find(|c| c.is_table() && c.name == t.name)
}
