//! The model of one statement: its class ([`Kind`]), the tables it names
//! and how ([`TableRef`]), and the facts the rules read ([`Statement`]).

use crate::finding::Span;

/// A syntax error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub message: String,
    pub help: String,
    pub span: Span,
}

/// The class of a statement, from its leading keywords (and the AST where
/// sqlparser parsed it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A psql meta-command (`\set x 1`, `\i file`); `name` without the backslash.
    Meta { name: String },
    /// BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, PREPARE
    /// TRANSACTION, COMMIT/ROLLBACK PREPARED: `what` is the command as written
    /// upper-cased (`COMMIT`).
    TransactionControl { what: String },
    /// SAVEPOINT, RELEASE, ROLLBACK TO: legal inside the runner's transaction.
    Savepoint,
    CreateTable,
    CreateIndex,
    DropIndex,
    Reindex,
    /// DROP TABLE / DROP SCHEMA / DROP <other>: `object` upper-cased (`TABLE`,
    /// `MATERIALIZED VIEW`, ...).
    Drop { object: String },
    AlterTable,
    Truncate,
    Delete,
    Update,
    Insert,
    Select,
    Do,
    CreateFunction,
    /// Any other known command: its first keyword upper-cased.
    Other { keyword: String },
    /// The first keyword is not a SQL command (a syntax error is recorded).
    Unknown,
}

/// A table-like name as written: schema (if qualified) and name, with
/// unquoted identifiers folded to lower case as Postgres does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
    /// Where the name is in the file.
    pub span: Span,
}

impl TableName {
    /// Unqualified or in `public`: where Directus looks for its tables.
    pub fn in_public(&self) -> bool {
        self.schema.as_deref().is_none_or(|s| s == "public")
    }
    pub fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// How a statement uses a table it names (see [`table_refs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableRole {
    /// CREATE TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE name
    /// (temporary tables excluded).
    Create,
    /// ALTER TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE name.
    Alter,
    /// DROP TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE name.
    Drop,
    Truncate,
    /// INSERT INTO name.
    Insert,
    /// UPDATE name, MERGE INTO name.
    Update,
    /// DELETE FROM name.
    Delete,
    /// COPY name FROM/TO.
    Copy,
    /// The table of CREATE INDEX / TRIGGER / POLICY / RULE / STATISTICS …
    /// ON it, and of DROP TRIGGER / POLICY / RULE … ON it.
    On,
    /// REFERENCES name (a foreign key), LIKE name, INHERITS (name),
    /// PARTITION OF name, a constraint trigger's FROM name.
    References,
    /// FROM / JOIN (and USING in DELETE and MERGE) of a query: a SELECT, the
    /// query of a view, of CREATE TABLE AS, INSERT … SELECT, a subquery.
    Read,
    /// LOCK, COMMENT ON, GRANT/REVOKE … ON, REFRESH MATERIALIZED VIEW.
    Other,
}

impl TableRole {
    /// The statement's verb, for messages (`ALTER`, `FOREIGN KEY REFERENCES`, …).
    pub fn describe(self) -> &'static str {
        match self {
            TableRole::Create => "creates",
            TableRole::Alter => "alters",
            TableRole::Drop => "drops",
            TableRole::Truncate => "truncates",
            TableRole::Insert => "inserts into",
            TableRole::Update => "updates",
            TableRole::Delete => "deletes from",
            TableRole::Copy => "copies",
            TableRole::On => "puts an index, trigger, policy or rule on",
            TableRole::References => "references",
            TableRole::Read => "reads",
            TableRole::Other => "names (COMMENT ON, LOCK, GRANT or REFRESH)",
        }
    }
}

/// A table a statement names, and how it uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    pub table: TableName,
    pub role: TableRole,
    /// `IF EXISTS` guards this name (ALTER TABLE IF EXISTS, DROP … IF
    /// EXISTS): a missing table is a notice, not an error.
    pub if_exists: bool,
}

/// One statement: its exact byte range (first token to the terminating `;`
/// inclusive, or to the end of a meta-command line), its class and facts.
#[derive(Debug, Clone)]
pub struct Statement {
    pub start: usize,
    pub end: usize,
    pub span: Span,
    /// The span of the leading keyword(s) that classify it (`CREATE INDEX
    /// CONCURRENTLY`, `DELETE`), for pointing findings at.
    pub head_span: Span,
    pub kind: Kind,
    /// CREATE/DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY, ALTER TABLE …
    /// DETACH PARTITION … CONCURRENTLY: cannot run in a transaction block.
    pub concurrently: Option<Span>,
    /// DELETE/UPDATE: has a top-level WHERE (None for other kinds).
    pub has_where: Option<bool>,
    /// ALTER TABLE … DROP [COLUMN] c: the dropped columns, with their spans.
    pub dropped_columns: Vec<(String, Span)>,
    /// Relations this statement creates (CREATE TABLE / VIEW / MATERIALIZED
    /// VIEW / FOREIGN TABLE; temporary tables excluded).
    pub creates: Vec<TableName>,
    /// The relations a DROP/TRUNCATE/DELETE/UPDATE/ALTER TABLE acts on.
    pub targets: Vec<TableName>,
    /// Every table the statement names in a table position ([`table_refs`]),
    /// top level only (not inside strings, DO blocks or function bodies).
    pub tables: Vec<TableRef>,
    /// COMMIT / ROLLBACK statements in the PL/pgSQL body of a DO block or a
    /// CREATE PROCEDURE: the command (`COMMIT`) and where it is in the file.
    pub body_transaction_control: Vec<(String, Span)>,
    /// CREATE [OR REPLACE] PROCEDURE: the procedure's name.
    pub procedure: Option<TableName>,
    /// The procedures this statement CALLs: a CALL statement, or CALL
    /// statements in a DO block's PL/pgSQL body.
    pub calls: Vec<TableName>,
    /// An earlier top-level `SET search_path` (or `set_config('search_path', …)`)
    /// in this file names a schema other than `public`: where an unqualified
    /// name resolves is then unknown (the runner gives each file its own
    /// session, so it does not carry over to the next file).
    pub search_path_changed: bool,
    /// This statement sets the search path: Some(true) away from `public`,
    /// Some(false) back to it (`public`, `"$user", public`, DEFAULT, RESET).
    pub(super) sets_search_path: Option<bool>,
    /// ALTER TABLE / CREATE INDEX: what it does to a table that may hold rows
    /// ([`super::ddl`]), for the live-database rules.
    pub ddl: Option<super::ddl::Ddl>,
}

impl Statement {
    /// A statement of `kind` at `start..end` with no facts yet.
    pub(super) fn new(start: usize, end: usize, span: Span, head_span: Span, kind: Kind) -> Statement {
        Statement {
            start,
            end,
            span,
            head_span,
            kind,
            concurrently: None,
            has_where: None,
            dropped_columns: Vec::new(),
            creates: Vec::new(),
            targets: Vec::new(),
            tables: Vec::new(),
            body_transaction_control: Vec::new(),
            procedure: None,
            calls: Vec::new(),
            search_path_changed: false,
            sets_search_path: None,
            ddl: None,
        }
    }

    pub fn is_meta(&self) -> bool {
        matches!(self.kind, Kind::Meta { .. })
    }

    /// Whether a rule can read anything in it. Not: a query, an INSERT or
    /// another command naming no table in `public` (or unqualified) that is
    /// `watched` (the project watches Directus's `directus_*` tables and the
    /// snapshot's: the only ones the table rules judge), an UPDATE or DELETE
    /// with a WHERE likewise, with no fact the rules read (CONCURRENTLY,
    /// dropped columns, COMMIT in a body, a CALL, a procedure, a search path
    /// change, DDL). Those are counted, not kept: the memory of a huge
    /// migration follows what its findings need.
    pub fn matters(&self, watched: &dyn Fn(&str) -> bool) -> bool {
        let plain_kind = match self.kind {
            Kind::Select | Kind::Insert | Kind::Other { .. } | Kind::Savepoint => self.targets.is_empty(),
            Kind::Update | Kind::Delete => self.has_where == Some(true),
            _ => false,
        };
        !plain_kind
            || self.tables.iter().any(|r| r.table.in_public() && watched(&r.table.name))
            || self.ddl.is_some()
            || !self.creates.is_empty()
            || !self.dropped_columns.is_empty()
            || self.concurrently.is_some()
            || !self.body_transaction_control.is_empty()
            || self.procedure.is_some()
            || !self.calls.is_empty()
            || self.sets_search_path.is_some()
    }
}
