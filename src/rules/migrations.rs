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

const BAD_FILENAME: &str = r#"## What it does
Reports a file in the migrations directory (`db-init/`) or the
post-schema directory (`db-post/`) whose name is not
`NNNN_snake_case.sql`: at least four digits, an underscore, lower-case words
(letters and digits) joined by single underscores, and `.sql`. Files that are
not `.sql` are reported too, except `README*` and dot-files. Severity: error.

## Why is this bad?
The db-init runner applies `*.sql` files in byte order of their names and
refuses to boot on a name it does not recognise. A file named `4_users.sql`
sorts after `0010_x.sql`; `0004_users.sql.bak` or `0004_users.SQL` is never
applied at all, silently.

## Example
`db-init/4-AddUsers.sql`

## Use instead
`db-init/0004_add_users.sql`
"#;

fn bad_filename(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        bad_filename_in(&set, e);
    }
}

fn bad_filename_in(set: &MigrationSet, e: &mut Emitter) {
    let dir = set.dir;
    for m in set.files {
        let name = m.file_name.as_str();
        if is_note(name) || well_formed_name(name) {
            continue;
        }
        let suggestion = suggest_name(m);
        if !name.ends_with(".sql") {
            e.emit(
                &m.path,
                None,
                format!("`{name}` in {dir}/ is not a migration: the runner applies only `*.sql` files and ignores it"),
                format!("rename it to `{suggestion}` if it is a migration, else move it out of {dir}/ (a README is allowed)"),
            );
        } else {
            e.emit(
                &m.path,
                None,
                format!("`{name}` is not named `NNNN_snake_case.sql`"),
                format!("rename it, e.g. to `{suggestion}` (four or more digits, `_`, lower-case words joined by `_`)"),
            );
        }
    }
}

/// A well-formed name close to the file's: its number (or 9999) padded to
/// four digits, its words in snake case.
fn suggest_name(m: &Migration) -> String {
    let name = m.file_name.as_str();
    let stem = name.split('.').next().unwrap_or(name);
    let digits: String = stem.chars().take_while(char::is_ascii_digit).collect();
    let rest = &stem[digits.len()..];
    let mut words = String::new();
    let mut prev_lower = false;
    for ch in rest.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower {
                words.push('_');
            }
            words.push(ch.to_ascii_lowercase());
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        } else {
            if !words.ends_with('_') && !words.is_empty() {
                words.push('_');
            }
            prev_lower = false;
        }
    }
    let words = words.trim_matches('_');
    let words = if words.is_empty() { "migration" } else { words };
    let number: u64 = digits.parse().unwrap_or(9999);
    format!("{number:04}_{words}.sql")
}

const DUPLICATE_VERSION: &str = r#"## What it does
Reports two or more migrations with the same number (`0004_a.sql` and
`0004_b.sql`) in the same directory. `db-init/` and `db-post/` are
numbered on their own: `db-init/0001_x.sql` and `db-post/0001_y.sql` do not
clash (the runner records db-post files as `db-post/<file>`).
Severity: error.

## Why is this bad?
Two branches each added "the next" migration. Which runs first depends on
the rest of the name, not on intent, and the next number is ambiguous for
everyone after.

## Example
```text
db-init/0004_add_orders.sql
db-init/0004_add_invoices.sql
```

## Use instead
Renumber the one that is not on the main branch yet:
```text
db-init/0004_add_orders.sql
db-init/0005_add_invoices.sql
```
"#;

fn duplicate_version(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        duplicate_version_in(&set, e);
    }
}

fn duplicate_version_in(set: &MigrationSet, e: &mut Emitter) {
    let mut by_version: BTreeMap<u64, Vec<&Migration>> = BTreeMap::new();
    for m in set_sql(set) {
        if let Some(v) = m.version {
            by_version.entry(v).or_default().push(m);
        }
    }
    let next = by_version.keys().next_back().map(|v| v + 1).unwrap_or(1);
    for files in by_version.values().filter(|f| f.len() > 1) {
        let first = files[0];
        for m in &files[1..] {
            e.emit(
                &m.path,
                None,
                format!(
                    "version {} is used by both `{}` and `{}`",
                    m.version_text.as_deref().unwrap_or("?"),
                    first.file_name,
                    m.file_name
                ),
                format!("renumber the one that is not merged yet, e.g. to {next:04}"),
            );
        }
    }
}

const GAP_IN_SEQUENCE: &str = r#"## What it does
Reports migration numbers that are not contiguous from 0001: a number
skipped, or a sequence that starts elsewhere. Each directory (`db-init/`,
`db-post/`) starts at 0001 on its own. Severity: warning (the runner
applies them anyway, in name order).

## Why is this bad?
A gap is usually a migration lost in a merge or a rebase, or a number
reserved by a branch that is still open: both deserve a look before the
gap becomes history.

## Example
```text
db-init/0001_init.sql
db-init/0002_users.sql
db-init/0004_orders.sql
```

## Use instead
```text
db-init/0001_init.sql
db-init/0002_users.sql
db-init/0003_orders.sql
```
"#;

fn gap_in_sequence(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        gap_in_sequence_in(&set, e);
    }
}

fn gap_in_sequence_in(set: &MigrationSet, e: &mut Emitter) {
    let mut files: Vec<(&Migration, u64)> = set_sql(set).filter_map(|m| m.version.map(|v| (m, v))).collect();
    files.sort_by_key(|(m, v)| (*v, m.file_name.clone()));
    let mut expected = 1u64;
    for (m, v) in files {
        if v == 0 {
            e.emit(&m.path, None, format!("`{}` is numbered 0; the sequence starts at 0001", m.file_name), "renumber it (0001 is the first migration)");
            continue;
        }
        if v > expected {
            let missing = if v - expected == 1 {
                format!("{expected:04} is missing")
            } else {
                format!("{expected:04} to {:04} are missing", v - 1)
            };
            let message = if expected == 1 {
                format!("the migrations start at `{}`: {missing}", m.file_name)
            } else {
                format!("`{}` follows {:04}: {missing}", m.file_name, expected - 1)
            };
            e.emit(&m.path, None, message, "renumber the migrations that are not merged yet so the numbers are contiguous, or restore the missing file");
        }
        expected = expected.max(v + 1);
    }
}

const OUT_OF_ORDER: &str = r#"## What it does
Compares with the base: reports a migration added since the base whose
number is not above every number already on the base in the same directory
(`db-init/` and `db-post/` each on their own). Severity: error.

## Why is this bad?
Databases that already applied the base's migrations will apply the new one
after them, while a fresh database applies it before them: two databases,
two different histories. Typical after a rebase: `0004_x.sql` was written
when main stopped at 0003, and main has since merged its own 0004 and 0005.

## Example
Base has `0001`…`0005`; the branch adds `db-init/0004_add_tags.sql`.

## Use instead
Renumber it above the base: `db-init/0006_add_tags.sql`.
"#;

fn out_of_order(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for set in ctx.head.migration_sets() {
        out_of_order_in(&set, &same_set(base, set.step), e);
    }
}

fn out_of_order_in(set: &MigrationSet, base: &MigrationSet, e: &mut Emitter) {
    let base_paths: HashMap<&str, ()> = base.files.iter().map(|m| (m.path.as_str(), ())).collect();
    let Some((base_max, base_max_file)) =
        base.files.iter().filter(|m| m.is_sql).filter_map(|m| m.version.map(|v| (v, m.file_name.as_str()))).max()
    else {
        return;
    };
    for m in set_sql(set) {
        let Some(v) = m.version else { continue };
        if base_paths.contains_key(m.path.as_str()) || v > base_max {
            continue;
        }
        e.emit(
            &m.path,
            None,
            format!("`{}` is new since the base, but the base already has `{base_max_file}`", m.file_name),
            format!("renumber it above the base's migrations, e.g. to {:04}", base_max + 1),
        );
    }
}

const EDITED_AFTER_MERGE: &str = r#"## What it does
Compares with the base: reports a migration whose bytes differ from the
base's version of the same file, at the first line that differs.
Severity: error.

## Why is this bad?
Every database that ran the old version keeps the old schema; only fresh
databases get the new one. The db-init runner records each file's sha256
and refuses to boot when an applied file changed.

## Example
```diff
-CREATE TABLE app.notes (id bigint PRIMARY KEY);
+CREATE TABLE app.notes (id bigint PRIMARY KEY, body text);
```

## Use instead
Revert the change and add a new migration:
```sql
-- db-init/0007_notes_body.sql
ALTER TABLE app.notes ADD COLUMN body text;
```
"#;

fn edited_after_merge(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for m in all_sql_files(ctx) {
        let (Some(head_file), Some(base_file)) = (ctx.head.files.get(&m.path), base.files.get(&m.path)) else { continue };
        if head_file.bytes == base_file.bytes {
            continue;
        }
        let first_diff = head_file.bytes.iter().zip(&base_file.bytes).position(|(a, b)| a != b);
        let at = first_diff.unwrap_or(head_file.bytes.len().min(base_file.bytes.len()));
        let span = head_file.text().ok().map(|_| {
            let (line, _) = head_file.line_col(at);
            head_file.line_span(line)
        });
        e.emit(
            &m.path,
            span,
            format!("`{}` is on the base and was changed (first difference on this line)", m.file_name),
            "revert this file to its version on the base and put the change in a new migration",
        );
    }
}

const REMOVED_AFTER_MERGE: &str = r#"## What it does
Compares with the base: reports a migration that is on the base but is gone
now, or was renamed (same bytes under another name). Severity: error.

## Why is this bad?
Databases that applied it keep its effects while fresh databases never get
them; the db-init runner refuses to boot when an applied file is missing. A
rename looks to the runner like a removal plus a new, unapplied migration
that runs a second time.

## Example
Base has `db-init/0003_tags.sql`; the branch renames it to `db-init/0003_add_tags.sql`.

## Use instead
Restore the file under its old name. To undo what it did, add a new
migration that reverses it.
"#;

fn removed_after_merge(ctx: &Context, e: &mut Emitter) {
    let Some(base) = ctx.base else { return };
    for m in base.all_migrations().filter(|m| m.is_sql) {
        if ctx.head.files.get(&m.path).is_some() {
            continue;
        }
        let Some(base_file) = base.files.get(&m.path) else { continue };
        let renamed = ctx
            .head
            .all_migrations()
            .filter(|h| base.files.get(&h.path).is_none())
            .find(|h| ctx.head.files.get(&h.path).is_some_and(|f| f.bytes == base_file.bytes));
        match renamed {
            Some(h) => e.emit(
                &m.path,
                None,
                format!("`{}` is on the base and was renamed to `{}`", m.file_name, h.file_name),
                format!("rename `{}` back to `{}`: applied migrations keep their names", h.file_name, m.file_name),
            ),
            None => e.emit(
                &m.path,
                None,
                format!("`{}` is on the base and was removed", m.file_name),
                "restore it; to undo what it did, add a new migration that reverses it",
            ),
        }
    }
}

const EMPTY: &str = r#"## What it does
Reports a `.sql` migration that contains no SQL statement: empty, only
whitespace, comments or psql meta-commands. Severity: warning.

## Why is this bad?
It burns a version number and is recorded as applied, while doing nothing:
usually a file saved before its content, or content lost in a merge.

## Example
```sql
-- 0006: add the tags table
```

## Use instead
```sql
-- 0006: add the tags table
CREATE TABLE app.tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
```
"#;

fn empty(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        if !m.readable || !m.errors.is_empty() || m.sql_statements().next().is_some() {
            continue;
        }
        let only_meta = !m.statements.is_empty();
        e.emit(
            &m.path,
            None,
            if only_meta {
                format!("`{}` has only psql meta-commands, no SQL statement", m.file_name)
            } else {
                format!("`{}` contains no SQL statement", m.file_name)
            },
            "add the statements it was meant to contain, or delete the file if it is not merged yet",
        );
    }
}

const SYNTAX_ERROR: &str = r#"## What it does
Reports a syntax error that is certain without a server: an unterminated
string, quoted identifier, comment or dollar quote; unbalanced parentheses;
a statement whose first keyword is not a SQL command (`CREAT TABLE`), or
whose object after CREATE/ALTER/DROP is not one (`CREATE TABEL`).
Severity: error.

It never reports valid PostgreSQL it does not understand (statements are
split by a psql-compatible lexer; a parser that fails is not an error).
`trm-ci lint --postgres URL` is the authoritative check: it reports
PostgreSQL's own errors as `migrations/postgres-error`.

## Why is this bad?
The boot stops at the db-init step with psql's error, and the container
restarts in a loop. An unterminated `$$` swallows every statement after it.

## Example
```sql
CREAT TABLE app.tags (id bigint PRIMARY KEY);
```

## Use instead
```sql
CREATE TABLE app.tags (id bigint PRIMARY KEY);
```
"#;

fn syntax_error(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for err in &m.errors {
            e.emit(&m.path, Some(err.span), err.message.clone(), err.help.clone());
        }
    }
}

const TRANSACTION_CONTROL: &str = r#"## What it does
Reports BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT and the
two-phase PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED in a
migration; COMMIT and ROLLBACK inside the PL/pgSQL body of a `DO` block; and
a `CALL` (top level or in a `DO` block) of a procedure that a migration
defines with COMMIT or ROLLBACK in its body. SAVEPOINT, RELEASE and ROLLBACK
TO are fine: they nest inside the runner's transaction. Severity: error.

Defining such a procedure is not reported: PostgreSQL accepts the `CREATE
PROCEDURE` inside a transaction, and the procedure works when it is called
outside one (psql in autocommit mode, pg_cron). Only calling it from a
migration fails.

## Why is this bad?
The db-init runner wraps each file in one transaction together with its
ledger row. A top-level COMMIT commits half of the file; if a later statement
fails, the first half stays applied but the ledger says nothing was, and the
next boot runs it again (the runner refuses such files before it starts).
Inside a DO block, or in a procedure CALLed from the file, PostgreSQL refuses
the COMMIT outright: a procedure may commit only when it is not inside a
transaction block, a DO block only when it is run on its own, so the boot
fails with `invalid transaction termination`. (A function cannot commit at
all.)

## Example
```sql
DO $$
BEGIN
  INSERT INTO app.settings VALUES ('mode', 'x');
  COMMIT;
END $$;
```

## Use instead
```sql
DO $$
BEGIN
  INSERT INTO app.settings VALUES ('mode', 'x');
END $$;
```
The runner commits the file, and its ledger row, when every statement has
succeeded.
"#;

fn transaction_control(ctx: &Context, e: &mut Emitter) {
    let refusal = "PostgreSQL refuses it inside the transaction the runner wraps each file in (`invalid transaction termination`)";
    // Procedures whose body commits or rolls back, by name: (file, line, command).
    let mut committing: Vec<(&TableName, &str, u32, &str)> = Vec::new();
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if let (Some(p), Some((what, span))) = (&s.procedure, s.body_transaction_control.first()) {
                committing.push((p, m.file_name.as_str(), span.line, what.as_str()));
            }
        }
    }
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if let Kind::TransactionControl { what } = &s.kind {
                e.emit(
                    &m.path,
                    Some(s.head_span),
                    format!("`{what}` in a migration: the runner already runs each file in one transaction (with its ledger row)"),
                    format!("remove the `{what}`; use SAVEPOINT / ROLLBACK TO if you need a partial rollback"),
                );
            }
            if s.kind == Kind::Do {
                for (what, span) in &s.body_transaction_control {
                    e.emit(
                        &m.path,
                        Some(*span),
                        format!("`{what}` inside a DO block: {refusal}"),
                        format!("remove the `{what}`: the runner commits the whole file once every statement has succeeded"),
                    );
                }
            }
            for call in &s.calls {
                let same = |p: &TableName| p.name == call.name && (p.schema.is_none() || call.schema.is_none() || p.schema == call.schema);
                if let Some((p, file, line, what)) = committing.iter().find(|(p, ..)| same(p)) {
                    e.emit(
                        &m.path,
                        Some(call.span),
                        format!("`CALL {}` runs a procedure that executes `{what}` ({file} line {line}): {refusal}", p.display()),
                        "remove the COMMIT/ROLLBACK from the procedure, or call it outside db-init (psql in autocommit mode, pg_cron)",
                    );
                }
            }
        }
    }
}

const CONCURRENTLY_IN_TRANSACTION: &str = r#"## What it does
Reports `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
`REINDEX … CONCURRENTLY` and `ALTER TABLE … DETACH PARTITION … CONCURRENTLY`
in a migration. Severity: error.

## Why is this bad?
PostgreSQL refuses them inside a transaction block ("cannot run inside a
transaction block"), and the db-init runner applies every file in one
transaction: the boot fails.

## Example
```sql
CREATE INDEX CONCURRENTLY orders_customer_idx ON public.orders (customer);
```

## Use instead
```sql
CREATE INDEX orders_customer_idx ON public.orders (customer);
```
For a table too large to lock during the build, create the index
concurrently outside db-init (a one-off psql session), then add a migration
with `CREATE INDEX IF NOT EXISTS` so fresh databases get it too.
"#;

fn concurrently_in_transaction(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if s.concurrently.is_some() {
                let what = &ctx.head.files.get(&m.path).map(|f| f.text_or_empty()).unwrap_or("");
                let what = what.get(s.head_span.offset..s.head_span.offset + s.head_span.len).unwrap_or("CONCURRENTLY");
                let what = what.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase();
                e.emit(
                    &m.path,
                    Some(s.head_span),
                    format!("`{what}` cannot run inside a transaction block, and the {} runner applies each file in one", step_of(ctx, m)),
                    "drop CONCURRENTLY (the table is locked while the index builds), or build it concurrently outside db-init and add `IF NOT EXISTS` here",
                );
            }
        }
    }
}

const DESTRUCTIVE: &str = r#"## What it does
Reports statements that destroy data: `DROP TABLE`, `DROP SCHEMA`,
`ALTER TABLE … DROP [COLUMN]`, `TRUNCATE`, and `DELETE` or `UPDATE` without
a top-level `WHERE`. Statements inside `DO` blocks and function bodies are
not inspected. Severity: error (data loss); silence a deliberate one with
`-- trm-ci: ignore=migrations/destructive <reason>` on the line before it.

## Why is this bad?
Migrations run on every environment, production included, and cannot be
undone: the data is gone on the next boot. A `DELETE` without `WHERE` is
more often a lost line than an intent.

## Example
```sql
ALTER TABLE app.notes DROP COLUMN body;
DELETE FROM app.notes;
```

## Use instead
Make sure it is intended, say why, and keep it:
```sql
-- trm-ci: ignore=migrations/destructive body moved to app.note_bodies in 0011
ALTER TABLE app.notes DROP COLUMN body;
DELETE FROM app.notes WHERE archived;
```
"#;

fn destructive(ctx: &Context, e: &mut Emitter) {
    let help_drop = "make sure the data is not needed (or copied elsewhere first), then add `-- trm-ci: ignore=migrations/destructive <why>` above it";
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            match &s.kind {
                Kind::Drop { object } if object == "TABLE" || object == "SCHEMA" => {
                    let names = s.targets.iter().map(|t| format!("`{}`", t.display())).collect::<Vec<_>>().join(", ");
                    let what = object.to_ascii_lowercase();
                    let message = match s.targets.len() {
                        0 => format!("`DROP {object}` deletes the {what} and all its data"),
                        1 => format!("`DROP {object}` deletes the {what} {names} and all its data"),
                        _ => format!("`DROP {object}` deletes the {what}s {names} and all their data"),
                    };
                    e.emit(&m.path, Some(s.head_span), message, help_drop);
                }
                Kind::Truncate => {
                    let names = s.targets.iter().map(|t| format!("`{}`", t.display())).collect::<Vec<_>>().join(", ");
                    e.emit(&m.path, Some(s.head_span), format!("`TRUNCATE` deletes every row of {names}"), help_drop);
                }
                Kind::AlterTable => {
                    let table = s.targets.first().map(|t| t.display()).unwrap_or_default();
                    for (col, span) in &s.dropped_columns {
                        e.emit(
                            &m.path,
                            Some(*span),
                            format!("`DROP COLUMN` deletes the column `{col}` of `{table}` and its data"),
                            help_drop,
                        );
                    }
                }
                Kind::Delete | Kind::Update if s.has_where == Some(false) => {
                    let verb = if s.kind == Kind::Delete { "DELETE" } else { "UPDATE" };
                    let table = s.targets.first().map(|t| format!(" `{}`", t.display())).unwrap_or_default();
                    let does = if s.kind == Kind::Delete { "deletes every row of" } else { "changes every row of" };
                    e.emit(
                        &m.path,
                        Some(s.head_span),
                        format!("`{verb}` without `WHERE` {does}{table}"),
                        format!("add the `WHERE` that selects the rows to {}, or `-- trm-ci: ignore=migrations/destructive <why>` above it if every row is meant", verb.to_ascii_lowercase()),
                    );
                }
                _ => {}
            }
        }
    }
}

const DIRECTUS_SYSTEM_TABLE: &str = r#"## What it does
Reports a migration statement that uses one of Directus's own system tables
as a table: the target of CREATE / ALTER / DROP / TRUNCATE / INSERT / UPDATE
/ DELETE / MERGE / COPY, the table of CREATE INDEX / TRIGGER / POLICY … ON,
a foreign key's REFERENCES, or FROM / JOIN of a query (a view over it
included), unqualified or in `public`. The system tables are the 29
collections of Directus 11.17.4 (`@directus/system-data`: `directus_users`,
`directus_files`, `directus_settings`, …), not every name that starts with
`directus_`: a column `directus_user_id`, an index `ix_directus_…` or a
constraint `directus_…_pkey` of an app table are not findings, nor are
GRANT, COMMENT ON and LOCK, nor anything in a string, a DO block or a
function body. Severity: warning.

## Why is this bad?
Directus owns its system tables: its own upgrade migrations alter them and
assume the shape they left. Rows written behind its back skip its
validation, caches and permissions; a column added to `directus_users`
breaks the next `directus bootstrap` that adds one of the same name. On a
fresh database db-init also runs before Directus installs these tables, so
the statement fails there.

## Example
```sql
INSERT INTO directus_settings (project_name) VALUES ('Shop');
```

## Use instead
Put the setting in the snapshot or set it through the API or the Directus
environment (`PROJECT_NAME`); keep app objects in the `app` schema. A column
that stores a Directus user id in an app table is fine:
```sql
ALTER TABLE app.audit ADD COLUMN directus_user_id uuid;
```
"#;

/// Whether `n`, named in `s`, is a table in `public`: qualified so, or
/// unqualified while the file has not moved the search path away from it
/// (after `SET search_path = app`, an unqualified name may be app's).
fn in_public(s: &Statement, n: &TableName) -> bool {
    n.in_public() && (n.schema.is_some() || !s.search_path_changed)
}

/// Whether `n` is one of Directus's own tables (in `public`).
fn is_directus_table(s: &Statement, n: &TableName) -> bool {
    in_public(s, n) && SYSTEM_COLLECTIONS.binary_search(&n.name.as_str()).is_ok()
}

fn directus_system_table(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            for r in s.tables.iter().filter(|r| r.role != TableRole::Other && is_directus_table(s, &r.table)) {
                e.emit(
                    &m.path,
                    Some(r.table.span),
                    format!(
                        "this statement {} `{}`, a Directus system table; Directus owns it and migrates it itself",
                        r.role.describe(),
                        r.table.display()
                    ),
                    "leave Directus's tables to Directus: use the snapshot, the API or Directus's environment variables; if this is deliberate, add `-- trm-ci: ignore=migrations/directus-system-table <why>` above it",
                );
            }
        }
    }
}

const SNAPSHOT_COLLISION: &str = r#"## What it does
Reports a migration that creates a table (or view, materialized view,
foreign table) in `public` whose name is a collection with a table in the
schema snapshot. Severity: error.

Any other statement that uses such a table (ALTER, CREATE INDEX … ON, a
foreign key to it, …) is `migrations/references-snapshot-table`'s finding.

## Why is this bad?
The snapshot owns that table: `directus schema apply` runs after db-init and
either fails because the table exists, or adopts a table whose columns
differ from what the snapshot says, and a later apply may drop them.

## Example
`snapshots/snapshot.yaml` has the collection `orders`, and
```sql
CREATE TABLE orders (id bigint PRIMARY KEY);
```

## Use instead
Let the snapshot create `orders`; keep SQL-owned tables out of its way
(another name, or the `app` schema, which Directus does not manage):
```sql
CREATE TABLE app.order_audit (id bigint PRIMARY KEY);
```
"#;

/// The collections of the head snapshot that have a table (folders have none).
fn snapshot_tables<'a>(ctx: &Context<'a>) -> Option<(&'a str, HashSet<&'a str>)> {
    let snap = ctx.head.snapshot.as_deref()?;
    let tables: HashSet<&str> = snap.collections.iter().filter(|c| c.is_table()).map(|c| c.name.as_str()).collect();
    (!tables.is_empty()).then_some((snap.path.as_str(), tables))
}

fn snapshot_collision(ctx: &Context, e: &mut Emitter) {
    let Some((snap_path, tables)) = snapshot_tables(ctx) else { return };
    for m in sql_files(ctx) {
        for s in &m.statements {
            for r in s.tables.iter().filter(|r| r.role == TableRole::Create && in_public(s, &r.table)) {
                if tables.contains(r.table.name.as_str()) {
                    e.emit(
                        &m.path,
                        Some(r.table.span),
                        format!("creates `{}`, which {snap_path} defines as a collection", r.table.display()),
                        "let the snapshot create it (remove it here), or give the SQL-owned table another name or schema",
                    );
                }
            }
        }
    }
}

const REFERENCES_SNAPSHOT_TABLE: &str = r#"## What it does
Reports a statement in `db-init/` that uses a table the schema snapshot
creates (a collection with a table, in `public`): ALTER / DROP / TRUNCATE it,
CREATE INDEX / TRIGGER / POLICY / RULE … ON it, a view or a query reading
it, INSERT / UPDATE / DELETE / MERGE / COPY on it, a foreign key
`REFERENCES` it, LOCK, COMMENT ON or GRANT … ON it. Creating such a table
is `migrations/snapshot-collision`'s finding, and a table that an earlier
db-init statement creates is not reported again. Only the migrations
directory (db-init) is checked: the post-schema directory `db-post/` is where
these statements belong. Statements inside DO blocks and function bodies
are not inspected (a PL/pgSQL body may test whether the table exists), nor
unqualified names after a `SET search_path` away from `public` in the same
file (they may name another schema's table). Severity: error.

## Why is this bad?
The boot runs db-init **before** the schema step: on a fresh database
(a new environment, CI, a restore into an empty server) the snapshot's
tables do not exist yet when db-init runs, so the statement fails and the
container never starts:
```
ALTER TABLE public.customers ADD COLUMN legacy_code text;
ERROR:  relation "public.customers" does not exist
```
On an existing database the same file succeeds, so the failure shows up
only on the next fresh one. With `IF EXISTS` the statement does not fail,
but it silently does nothing on a fresh database while it changes existing
ones: the environments drift apart.

## Example
```sql
-- db-init/0004_customers_legacy_code.sql
ALTER TABLE public.customers ADD COLUMN legacy_code text;
CREATE INDEX customers_email_lower_idx ON public.customers (lower(email));
```

## Use instead
Move the statements to the post-schema step: `db-post/` holds migrations
named like db-init's (`NNNN_snake_case.sql`), applied by the same runner,
with the same ledger, after the schema step and before Directus starts, so
the snapshot's tables exist:
```sql
-- db-post/0002_customers_email_lower_idx.sql
CREATE INDEX IF NOT EXISTS customers_email_lower_idx ON public.customers (lower(email));
```
A column Directus should manage (`legacy_code`) belongs in the snapshot
instead: add the field in Directus and export the snapshot again.
"#;

fn references_snapshot_table(ctx: &Context, e: &mut Emitter) {
    let Some((snap_path, tables)) = snapshot_tables(ctx) else { return };
    // db-init only (db-post runs after the schema step), in the runner's order.
    let mut files: Vec<&Migration> = sql_files(ctx).collect();
    files.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    // Tables an earlier db-init statement created (snapshot-collision's finding).
    let mut created: HashSet<String> = HashSet::new();
    for m in files {
        for s in &m.statements {
            for r in &s.tables {
                let name = r.table.name.as_str();
                if !in_public(s, &r.table) || !tables.contains(name) {
                    continue;
                }
                if r.role == TableRole::Create {
                    created.insert(name.to_string());
                    continue;
                }
                if created.contains(name) {
                    continue;
                }
                let why = if r.if_exists {
                    "`IF EXISTS` makes it a silent no-op on a fresh database (the table does not exist yet when db-init runs, before the schema step) while it changes existing ones".to_string()
                } else {
                    format!(
                        "db-init runs before the schema step, so on a fresh database the table does not exist yet and the boot fails (`relation \"{}\" does not exist`)",
                        r.table.display()
                    )
                };
                e.emit(
                    &m.path,
                    Some(r.table.span),
                    format!("this statement {} `{}`, a table that {snap_path} creates: {why}", r.role.describe(), r.table.display()),
                    "move the statement to the post-schema step `db-post/` (same file naming, applied after the schema step); a column Directus should know about belongs in the snapshot",
                );
            }
        }
    }
}

const POSTGRES_ERROR: &str = r#"## What it does
Only with `trm-ci lint --postgres URL`: every migration is replayed, in
order, on that PostgreSQL server inside one transaction that is rolled back,
and each error PostgreSQL reports is a finding at the file and line psql
names (with the server's own position in the statement where it gives one).
Severity: error. Without `--postgres` this rule reports nothing.

## Why is this bad?
It is exactly the error the container's db-init step would hit at boot:
a missing table, a wrong type, a function body that does not compile.

## Example
```sql
ALTER TABLE app.nots ADD COLUMN body text;  -- relation "app.nots" does not exist
```

## Use instead
Fix the statement until the replay passes:
```sql
ALTER TABLE app.notes ADD COLUMN body text;
```
"#;
