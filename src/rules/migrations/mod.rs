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
mod concurrently_in_transaction;
mod destructive;
mod directus_system_table;
mod snapshot_collision;
mod references_snapshot_table;
mod postgres_error;

use bad_filename::*;
use duplicate_version::*;
use gap_in_sequence::*;
use out_of_order::*;
use edited_after_merge::*;
use removed_after_merge::*;
use empty::*;
use syntax_error::*;
use transaction_control::*;
use concurrently_in_transaction::*;
use destructive::*;
use directus_system_table::*;
use snapshot_collision::*;
use references_snapshot_table::*;
use postgres_error::*;

pub const RULES: &[Rule] = &[
    Rule {
        id: "migrations/bad-filename",
        severity: Severity::Error,
        summary: "a file in the migrations directory is not named `NNNN_snake_case.sql`",
        doc: BAD_FILENAME,
        needs_base: false,
        check: bad_filename,
    },
    Rule {
        id: "migrations/duplicate-version",
        severity: Severity::Error,
        summary: "two migrations share a version number",
        doc: DUPLICATE_VERSION,
        needs_base: false,
        check: duplicate_version,
    },
    Rule {
        id: "migrations/gap-in-sequence",
        severity: Severity::Warning,
        summary: "migration numbers are not contiguous from 0001",
        doc: GAP_IN_SEQUENCE,
        needs_base: false,
        check: gap_in_sequence,
    },
    Rule {
        id: "migrations/out-of-order",
        severity: Severity::Error,
        summary: "a migration added since the base is numbered at or below one already on the base",
        doc: OUT_OF_ORDER,
        needs_base: true,
        check: out_of_order,
    },
    Rule {
        id: "migrations/edited-after-merge",
        severity: Severity::Error,
        summary: "a migration that is on the base was changed",
        doc: EDITED_AFTER_MERGE,
        needs_base: true,
        check: edited_after_merge,
    },
    Rule {
        id: "migrations/removed-after-merge",
        severity: Severity::Error,
        summary: "a migration that is on the base was removed or renamed",
        doc: REMOVED_AFTER_MERGE,
        needs_base: true,
        check: removed_after_merge,
    },
    Rule {
        id: "migrations/empty",
        severity: Severity::Warning,
        summary: "a migration contains no SQL statement",
        doc: EMPTY,
        needs_base: false,
        check: empty,
    },
    Rule {
        id: "migrations/syntax-error",
        severity: Severity::Error,
        summary: "a migration has a certain syntax error (unterminated quote or comment, unknown command, unbalanced parentheses)",
        doc: SYNTAX_ERROR,
        needs_base: false,
        check: syntax_error,
    },
    Rule {
        id: "migrations/transaction-control",
        severity: Severity::Error,
        summary: "BEGIN / COMMIT / ROLLBACK in a migration, in a DO block, or run by a CALLed procedure: the runner owns the transaction",
        doc: TRANSACTION_CONTROL,
        needs_base: false,
        check: transaction_control,
    },
    Rule {
        id: "migrations/concurrently-in-transaction",
        severity: Severity::Error,
        summary: "CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY cannot run in the runner's transaction",
        doc: CONCURRENTLY_IN_TRANSACTION,
        needs_base: false,
        check: concurrently_in_transaction,
    },
    Rule {
        id: "migrations/destructive",
        severity: Severity::Error,
        summary: "DROP TABLE/COLUMN/SCHEMA, TRUNCATE, or DELETE/UPDATE without WHERE",
        doc: DESTRUCTIVE,
        needs_base: false,
        check: destructive,
    },
    Rule {
        id: "migrations/directus-system-table",
        severity: Severity::Warning,
        summary: "a migration statement reads, writes, alters or references one of Directus's own system tables",
        doc: DIRECTUS_SYSTEM_TABLE,
        needs_base: false,
        check: directus_system_table,
    },
    Rule {
        id: "migrations/snapshot-collision",
        severity: Severity::Error,
        summary: "a migration creates a table that the snapshot defines as a collection",
        doc: SNAPSHOT_COLLISION,
        needs_base: false,
        check: snapshot_collision,
    },
    Rule {
        id: "migrations/references-snapshot-table",
        severity: Severity::Error,
        summary: "a db-init statement uses a table that the snapshot creates, which does not exist yet when db-init runs",
        doc: REFERENCES_SNAPSHOT_TABLE,
        needs_base: false,
        check: references_snapshot_table,
    },
    Rule {
        id: "migrations/postgres-error",
        severity: Severity::Error,
        summary: "PostgreSQL rejected a migration when `--postgres URL` replayed them",
        doc: POSTGRES_ERROR,
        needs_base: false,
        // Reported by `crate::pgreplay` (only with `--postgres`): the server's
        // own error, mapped to file:line. Nothing to check without a server.
        check: |_, _| {},
    },
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

