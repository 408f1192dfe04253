//! Migration files: a lexer that splits SQL into statements with exact byte
//! spans (comments, strings, dollar quotes, psql meta-commands), and a
//! classification of each statement.
//!
//! The lexer follows psql's own splitter (psqlscan.l): a `;` ends a statement
//! only outside quotes, comments and parentheses, and outside the
//! `BEGIN ATOMIC … END` body of a SQL-standard function; a backslash outside
//! quotes starts a meta-command that runs to the end of the line.
//!
//! Classification is by leading keywords, from the tokens, so every statement
//! is classified whatever a parser knows. `sqlparser` (PostgreSqlDialect) is
//! run only where its AST decides a finding: a DELETE / UPDATE that the
//! tokens say has no top-level WHERE is confirmed by the AST (its answer
//! wins where it parses). Running it on every statement would cost about six
//! times the whole model. A syntax error is reported only when it is certain: a lex
//! error (unterminated string, comment, quoted identifier or dollar quote),
//! unbalanced parentheses, or a statement whose first keyword (or the object
//! word after CREATE/ALTER/DROP) is not Postgres's. sqlparser failing is
//! never an error: it does not know all of Postgres.

use crate::finding::{parse_pragma, Span, Suppression};
use crate::source::SourceFile;

/// One migration file (any file directly inside the migrations directory).
#[derive(Debug, Clone)]
pub struct Migration {
    pub path: String,
    /// The last path component.
    pub file_name: String,
    /// The leading number of the file name (`0007_x.sql` → 7), when it has one
    /// followed by `_`, even if the rest of the name is malformed.
    pub version: Option<u64>,
    /// The digits of `version` as written (`0007`).
    pub version_text: Option<String>,
    /// Ends in `.sql`: only these are parsed (the runner applies only these).
    pub is_sql: bool,
    /// False for unreadable files (binary, not UTF-8, too large): no statements.
    pub readable: bool,
    pub statements: Vec<Statement>,
    /// Certain syntax errors (lexer, parentheses, unknown command).
    pub errors: Vec<SqlError>,
    pub suppressions: Vec<Suppression>,
}

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
    sets_search_path: Option<bool>,
}

impl Statement {
    pub fn is_meta(&self) -> bool {
        matches!(self.kind, Kind::Meta { .. })
    }
}

/// Postgres's statement-leading keywords (every SQL command of PostgreSQL 15).
const COMMANDS: &[&str] = &[
    "abort", "alter", "analyse", "analyze", "begin", "call", "checkpoint", "close", "cluster", "comment", "commit",
    "copy", "create", "deallocate", "declare", "delete", "discard", "do", "drop", "end", "execute", "explain",
    "fetch", "grant", "import", "insert", "listen", "load", "lock", "merge", "move", "notify", "prepare",
    "reassign", "refresh", "reindex", "release", "reset", "revoke", "rollback", "savepoint", "security", "select",
    "set", "show", "start", "table", "truncate", "unlisten", "update", "vacuum", "values", "with",
];

/// Words that may follow CREATE, ALTER or DROP (object types and modifiers,
/// the union over the three commands: only a word outside this set is an error).
const OBJECT_WORDS: &[&str] = &[
    "access", "aggregate", "cast", "collation", "constraint", "conversion", "database", "default", "domain",
    "event", "extension", "foreign", "function", "global", "group", "index", "language", "large", "local",
    "materialized", "operator", "or", "owned", "policy", "procedural", "procedure", "publication", "recursive",
    "role", "routine", "rule", "schema", "sequence", "server", "statistics", "subscription", "system", "table",
    "tablespace", "temp", "temporary", "text", "transform", "trigger", "trusted", "type", "unique", "unlogged",
    "user", "view",
];

// ---------------------------------------------------------------- lexer ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// Keyword or unquoted identifier.
    Word,
    /// "quoted identifier" (also U&"…").
    QuotedIdent,
    /// '…', E'…', B'…', X'…', U&'…'.
    Str,
    /// $$…$$ / $tag$…$tag$.
    Dollar,
    Number,
    /// $1
    Param,
    /// psql :var, :'var', :"var".
    Var,
    /// One ASCII punctuation or operator character.
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
}

/// What the lexer produces for a file.
#[derive(Debug, Default)]
pub struct Lexed {
    /// Statements as token index ranges plus their byte ranges.
    pub tokens: Vec<Token>,
    pub pieces: Vec<Piece>,
    /// `--` comments: (start, end) byte ranges including the `--`.
    pub line_comments: Vec<(usize, usize)>,
    /// An unterminated construct: (offset, message).
    pub error: Option<(usize, String)>,
}

/// A statement as the lexer splits it.
#[derive(Debug, Clone)]
pub enum Piece {
    Sql { start: usize, end: usize, tokens: std::ops::Range<usize> },
    /// A meta-command: byte range of the line from the backslash, the name.
    Meta { start: usize, end: usize, name_end: usize },
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}
fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Splits `text` into statements. Never panics; offsets are always on char
/// boundaries (every split point is an ASCII byte or the end).
#[allow(unused_assignments)]
pub fn lex(text: &str) -> Lexed {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Lexed::default();
    let mut i = 0;
    // The statement being collected.
    let mut stmt_first_tok: Option<usize> = None;
    let mut paren: i32 = 0;
    let mut begin_depth: i32 = 0;
    // Statement is CREATE [OR REPLACE] FUNCTION/PROCEDURE (BEGIN ATOMIC tracking).
    let mut in_routine = false;

    macro_rules! close_stmt {
        ($end:expr) => {
            if let Some(first) = stmt_first_tok.take() {
                let start = out.tokens[first].start;
                out.pieces.push(Piece::Sql { start, end: $end, tokens: first..out.tokens.len() });
            }
            paren = 0;
            begin_depth = 0;
            in_routine = false;
        };
    }

    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            let end = memchr(b'\n', &b[i..]).map(|k| i + k).unwrap_or(n);
            out.line_comments.push((i, end));
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let start = i;
            let mut depth = 1;
            i += 2;
            while i < n && depth > 0 {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if depth > 0 {
                out.error = Some((start, "unterminated /* comment".into()));
                close_stmt!(n);
                return out;
            }
            continue;
        }
        // psql meta-command: backslash outside quotes, to the end of the line.
        if c == b'\\' {
            let end = memchr(b'\n', &b[i..]).map(|k| i + k).unwrap_or(n);
            let mut name_end = i + 1;
            while name_end < end && !b[name_end].is_ascii_whitespace() && b[name_end] != b'\\' {
                name_end += 1;
            }
            // \g and friends send the query buffer: they end the statement.
            let name = &text[i + 1..name_end];
            if stmt_first_tok.is_some() && (name.starts_with('g') || name == "crosstabview" || name == ";") {
                close_stmt!(i);
            }
            out.pieces.push(Piece::Meta { start: i, end, name_end });
            let copy_in = name == "copy" && text[i..end].to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().windows(2).any(|w| w == ["from", "stdin"] || w == ["from", "pstdin"]);
            i = if copy_in { skip_copy_data(b, end) } else { end };
            continue;
        }
        let tok_start = i;
        let kind;
        match c {
            b'\'' => {
                match scan_quoted(b, i + 1, b'\'', false) {
                    Some(e) => i = e,
                    None => return fail(out, tok_start, "unterminated string literal ('…')", stmt_first_tok, n),
                }
                kind = TokKind::Str;
            }
            b'"' => {
                match scan_quoted(b, i + 1, b'"', false) {
                    Some(e) => i = e,
                    None => return fail(out, tok_start, "unterminated quoted identifier (\"…\")", stmt_first_tok, n),
                }
                kind = TokKind::QuotedIdent;
            }
            b'$' => {
                if b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                    while i < n && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    kind = TokKind::Param;
                } else if let Some(tag_end) = dollar_tag(b, i) {
                    let tag = &b[i..tag_end];
                    match find(&b[tag_end..], tag) {
                        Some(k) => i = tag_end + k + tag.len(),
                        None => {
                            let msg = format!("unterminated dollar-quoted string (no closing {})", String::from_utf8_lossy(tag));
                            return fail(out, tok_start, &msg, stmt_first_tok, n);
                        }
                    }
                    kind = TokKind::Dollar;
                } else {
                    i += 1;
                    kind = TokKind::Punct(b'$');
                }
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 2;
                kind = TokKind::Punct(b':');
            }
            b':' if matches!(b.get(i + 1), Some(b'\'') | Some(b'"')) => {
                let q = b[i + 1];
                match scan_quoted(b, i + 2, q, false) {
                    Some(e) => i = e,
                    None => return fail(out, tok_start, "unterminated psql variable (:'…')", stmt_first_tok, n),
                }
                kind = TokKind::Var;
            }
            b':' if b.get(i + 1).is_some_and(|&d| is_ident_start(d)) => {
                i += 1;
                while i < n && (is_ident_char(b[i]) && b[i] != b'$') {
                    i += 1;
                }
                kind = TokKind::Var;
            }
            b'0'..=b'9' => {
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                    i += 1;
                }
                kind = TokKind::Number;
            }
            b'.' if b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                i += 1;
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                kind = TokKind::Number;
            }
            _ if is_ident_start(c) => {
                // String-literal prefixes: E'…' (backslash escapes), B'…', X'…', N'…', U&'…', U&"…".
                let next = b.get(i + 1).copied();
                if (c == b'e' || c == b'E') && next == Some(b'\'') {
                    match scan_quoted(b, i + 2, b'\'', true) {
                        Some(e) => i = e,
                        None => return fail(out, tok_start, "unterminated string literal (E'…')", stmt_first_tok, n),
                    }
                    kind = TokKind::Str;
                } else if matches!(c, b'b' | b'B' | b'x' | b'X' | b'n' | b'N') && next == Some(b'\'') {
                    match scan_quoted(b, i + 2, b'\'', false) {
                        Some(e) => i = e,
                        None => return fail(out, tok_start, "unterminated string literal", stmt_first_tok, n),
                    }
                    kind = TokKind::Str;
                } else if (c == b'u' || c == b'U') && next == Some(b'&') && matches!(b.get(i + 2), Some(b'\'') | Some(b'"')) {
                    let q = b[i + 2];
                    match scan_quoted(b, i + 3, q, false) {
                        Some(e) => i = e,
                        None => return fail(out, tok_start, "unterminated Unicode-escaped literal (U&…)", stmt_first_tok, n),
                    }
                    kind = if q == b'"' { TokKind::QuotedIdent } else { TokKind::Str };
                } else {
                    while i < n && is_ident_char(b[i]) {
                        i += 1;
                    }
                    kind = TokKind::Word;
                }
            }
            _ => {
                i += 1;
                kind = TokKind::Punct(c);
            }
        }
        let tok_end = i;
        let idx = out.tokens.len();
        out.tokens.push(Token { kind, start: tok_start, end: tok_end });
        if stmt_first_tok.is_none() {
            if kind == TokKind::Punct(b';') {
                // An empty statement: nothing to keep.
                out.tokens.pop();
                continue;
            }
            stmt_first_tok = Some(idx);
        }
        match kind {
            TokKind::Punct(b'(') => paren += 1,
            TokKind::Punct(b')') => paren -= 1,
            TokKind::Punct(b';') if paren <= 0 && begin_depth <= 0 => {
                let copy_in = stmt_first_tok.is_some_and(|f| is_copy_from_stdin(text, &out.tokens[f..]));
                close_stmt!(tok_end);
                if copy_in {
                    i = skip_copy_data(b, i);
                }
            }
            TokKind::Word => {
                let w = &text[tok_start..tok_end];
                let first = stmt_first_tok.unwrap_or(idx);
                if idx - first <= 4 && !in_routine && (w.eq_ignore_ascii_case("function") || w.eq_ignore_ascii_case("procedure")) {
                    in_routine = word_at(text, &out.tokens, first).is_some_and(|f| f.eq_ignore_ascii_case("create"));
                } else if in_routine && paren <= 0 {
                    if w.eq_ignore_ascii_case("begin") {
                        begin_depth += 1;
                    } else if w.eq_ignore_ascii_case("case") && begin_depth > 0 {
                        begin_depth += 1;
                    } else if w.eq_ignore_ascii_case("end") && begin_depth > 0 {
                        begin_depth -= 1;
                    }
                }
            }
            _ => {}
        }
    }
    let end = last_token_end(&out, stmt_first_tok);
    close_stmt!(end);
    out
}

/// `COPY … FROM STDIN`: psql reads the data rows that follow from the same
/// file, up to a line `\.`.
fn is_copy_from_stdin(text: &str, toks: &[Token]) -> bool {
    let c = Cursor { text, toks };
    c.is(0, "copy") && (1..toks.len()).any(|k| c.is(k, "from") && c.is(k + 1, "stdin"))
}

/// Skips COPY data from `i` (just after the command) to after the `\.` line
/// (or to the end of the file). Returns the new offset.
fn skip_copy_data(b: &[u8], i: usize) -> usize {
    // Data starts on the next line.
    let mut pos = match memchr(b'\n', &b[i..]) {
        Some(k) => i + k + 1,
        None => return b.len(),
    };
    while pos < b.len() {
        let end = memchr(b'\n', &b[pos..]).map(|k| pos + k).unwrap_or(b.len());
        let line = &b[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"\\." {
            return (end + 1).min(b.len());
        }
        pos = end + 1;
    }
    b.len()
}

fn last_token_end(out: &Lexed, first: Option<usize>) -> usize {
    match first {
        Some(_) => out.tokens.last().map(|t| t.end).unwrap_or(0),
        None => 0,
    }
}

fn fail(mut out: Lexed, at: usize, msg: &str, first: Option<usize>, n: usize) -> Lexed {
    out.error = Some((at, msg.to_string()));
    let start = match first {
        Some(f) => out.tokens[f].start,
        None => at,
    };
    let tokens = first.unwrap_or(out.tokens.len())..out.tokens.len();
    out.pieces.push(Piece::Sql { start, end: n, tokens });
    out
}

/// Scans a quoted run starting after the opening quote; a doubled quote is an
/// escape; with `backslash`, `\x` escapes too. Returns the offset after the
/// closing quote.
fn scan_quoted(b: &[u8], mut i: usize, q: u8, backslash: bool) -> Option<usize> {
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
            continue;
        }
        if c == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// At a `$`: the end of a dollar-quote tag (`$$` or `$tag$`), if it is one.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'$') {
        return Some(j + 1);
    }
    if !b.get(j).is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    while j < b.len() && is_ident_char(b[j]) && b[j] != b'$' {
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1)
}

fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match memchr(first, &hay[i..hay.len() - needle.len() + 1]) {
            None => return None,
            Some(k) => {
                i += k;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

fn word_at<'t>(text: &'t str, toks: &[Token], i: usize) -> Option<&'t str> {
    let t = toks.get(i)?;
    (t.kind == TokKind::Word).then(|| &text[t.start..t.end])
}

// ------------------------------------------------------------ the model ---

impl Migration {
    pub fn parse(src: &SourceFile) -> Migration {
        let file_name = src.path.rsplit('/').next().unwrap_or(&src.path).to_string();
        let (version, version_text) = parse_version(&file_name);
        let is_sql = file_name.ends_with(".sql");
        let mut m = Migration {
            path: src.path.clone(),
            file_name,
            version,
            version_text,
            is_sql,
            readable: src.text().is_ok(),
            statements: Vec::new(),
            errors: Vec::new(),
            suppressions: Vec::new(),
        };
        let Ok(text) = src.text() else { return m };
        if !is_sql {
            return m;
        }
        let lexed = lex(text);
        if let Some((at, msg)) = &lexed.error {
            let end = text[*at..].find('\n').map(|k| at + k).unwrap_or(text.len());
            m.errors.push(SqlError {
                message: msg.clone(),
                help: "close it: everything from here to the end of the file is swallowed by it".into(),
                span: src.span(*at, end),
            });
        }
        for p in &lexed.pieces {
            match p {
                Piece::Meta { start, end, name_end } => {
                    let name = text[start + 1..*name_end].to_string();
                    let span = src.span(*start, *end);
                    m.statements.push(Statement {
                        start: *start,
                        end: *end,
                        span,
                        head_span: src.span(*start, *name_end),
                        kind: Kind::Meta { name },
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
                    });
                }
                Piece::Sql { start, end, tokens } => {
                    let toks = &lexed.tokens[tokens.clone()];
                    let st = classify(src, text, *start, *end, toks, &mut m.errors, lexed.error.is_some());
                    m.statements.push(st);
                }
            }
        }
        m.statements.sort_by_key(|s| s.start);
        let mut changed = false;
        for st in &mut m.statements {
            st.search_path_changed = changed;
            if let Some(away) = st.sets_search_path {
                changed = away;
            }
        }
        m.suppressions = suppressions(src, text, &lexed.line_comments, &m.statements);
        m
    }

    /// The statements that are SQL (not psql meta-commands).
    pub fn sql_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| !s.is_meta())
    }
}

/// `0007_add_x.sql` → (Some(7), Some("0007")).
fn parse_version(name: &str) -> (Option<u64>, Option<String>) {
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || !name[digits.len()..].starts_with('_') {
        return (None, None);
    }
    match digits.parse::<u64>() {
        Ok(v) => (Some(v), Some(digits)),
        Err(_) => (None, None),
    }
}

/// `NNNN_snake_case.sql`: four or more digits, `_`, lower-case words joined by `_`.
pub fn well_formed_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".sql") else { return false };
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 4 {
        return false;
    }
    let Some(rest) = stem[digits..].strip_prefix('_') else { return false };
    !rest.is_empty()
        && rest.split('_').all(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

fn suppressions(src: &SourceFile, text: &str, comments: &[(usize, usize)], stmts: &[Statement]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for &(start, end) in comments {
        let body = &text[start + 2..end];
        let Some((rules, reason)) = parse_pragma(body) else { continue };
        let body_end = if text[start..end].ends_with('\r') { end - 1 } else { end };
        let span = src.span(start, body_end);
        // The next statement that starts after the pragma.
        let next = stmts.get(stmts.partition_point(|s| s.start < end));
        let (first_line, last_line) = match next {
            Some(s) => (s.span.line, s.span.end_line),
            None => (span.line, span.line),
        };
        out.push(Suppression { file: src.path.clone(), span, rules, reason, first_line, last_line });
    }
    out
}

/// The value of an identifier token: unquoted words fold to lower case,
/// quoted ones keep their case with `""` unescaped.
fn ident_value(text: &str, t: &Token) -> Option<String> {
    let s = &text[t.start..t.end];
    match t.kind {
        TokKind::Word => Some(s.to_ascii_lowercase()),
        TokKind::QuotedIdent => {
            let inner = s.strip_prefix("U&").or_else(|| s.strip_prefix("u&")).unwrap_or(s);
            let inner = inner.get(1..inner.len().saturating_sub(1)).unwrap_or("");
            Some(inner.replace("\"\"", "\""))
        }
        _ => None,
    }
}

struct Cursor<'a> {
    text: &'a str,
    toks: &'a [Token],
}

impl<'a> Cursor<'a> {
    fn word(&self, i: usize) -> Option<&'a str> {
        word_at(self.text, self.toks, i)
    }
    fn is(&self, i: usize, w: &str) -> bool {
        self.word(i).is_some_and(|x| x.eq_ignore_ascii_case(w))
    }
    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == TokKind::Punct(c))
    }
    /// Skips `IF [NOT] EXISTS` and `ONLY` at `i`.
    fn skip_if_exists(&self, mut i: usize) -> usize {
        if self.is(i, "if") {
            i += 1;
            if self.is(i, "not") {
                i += 1;
            }
            if self.is(i, "exists") {
                i += 1;
            }
        }
        if self.is(i, "only") {
            i += 1;
        }
        i
    }
    /// A possibly qualified name at `i`: (name, index after it).
    fn name(&self, src: &SourceFile, i: usize) -> Option<(TableName, usize)> {
        let t = self.toks.get(i)?;
        let first = ident_value(self.text, t)?;
        let mut parts = vec![(first, *t)];
        let mut j = i + 1;
        while self.punct(j, b'.') {
            let Some(t2) = self.toks.get(j + 1) else { break };
            let Some(v) = ident_value(self.text, t2) else { break };
            parts.push((v, *t2));
            j += 2;
        }
        let (name, last) = parts.pop()?;
        let schema = parts.pop().map(|(s, _)| s);
        Some((TableName { schema, name, span: src.span(t.start, last.end) }, j))
    }
}

fn classify(
    src: &SourceFile,
    text: &str,
    start: usize,
    end: usize,
    toks: &[Token],
    errors: &mut Vec<SqlError>,
    lex_failed: bool,
) -> Statement {
    let c = Cursor { text, toks };
    let span = src.span(start, end);
    let mut st = Statement {
        start,
        end,
        span,
        head_span: span,
        kind: Kind::Unknown,
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
    };
    let Some(first) = toks.first() else { return st };
    let head = |k: usize| {
        let last = toks.get(k.min(toks.len() - 1)).map(|t| t.end).unwrap_or(first.end);
        src.span(first.start, last)
    };
    st.head_span = head(0);

    // Parentheses must balance (psql would swallow the rest of the file otherwise).
    if !lex_failed {
        let mut open: Vec<&Token> = Vec::new();
        for t in toks {
            match t.kind {
                TokKind::Punct(b'(') => open.push(t),
                TokKind::Punct(b')') => {
                    if open.pop().is_none() {
                        errors.push(SqlError {
                            message: "`)` without a matching `(`".into(),
                            help: "remove it or add the missing `(`".into(),
                            span: src.span(t.start, t.end),
                        });
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(t) = open.first() {
            errors.push(SqlError {
                message: "`(` is never closed: psql reads on to the end of the file looking for its `)`".into(),
                help: "add the missing `)`".into(),
                span: src.span(t.start, t.end),
            });
        }
    }

    // Leading `(` (a parenthesised SELECT) or a psql variable: a query, no checks.
    if first.kind == TokKind::Punct(b'(') || first.kind == TokKind::Var {
        st.kind = Kind::Select;
        return st;
    }
    let Some(w0) = c.word(0).map(str::to_ascii_lowercase) else {
        let tok = &text[first.start..first.end];
        let shown: String = tok.chars().take(30).collect();
        errors.push(SqlError {
            message: format!("a statement cannot start with `{shown}`"),
            help: "start the statement with a SQL command (CREATE, ALTER, INSERT, …) or remove the stray text".into(),
            span: src.span(first.start, first.end),
        });
        return st;
    };
    if !COMMANDS.contains(&w0.as_str()) {
        let mut message = format!("`{}` is not a SQL command", &text[first.start..first.end]);
        if let Some(s) = suggest(&w0, COMMANDS) {
            message.push_str(&format!(" (did you mean `{}`?)", s.to_ascii_uppercase()));
        }
        errors.push(SqlError {
            message,
            help: "fix the keyword; a statement starts with a command such as CREATE, ALTER, INSERT or DROP".into(),
            span: src.span(first.start, first.end),
        });
        return st;
    }
    if matches!(w0.as_str(), "create" | "alter" | "drop") {
        if let Some(w1) = c.word(1) {
            let l = w1.to_ascii_lowercase();
            if !OBJECT_WORDS.contains(&l.as_str()) {
                let t = toks[1];
                let mut message = format!("`{} {}` is not a SQL command", w0.to_ascii_uppercase(), w1);
                if let Some(s) = suggest(&l, OBJECT_WORDS) {
                    message.push_str(&format!(" (did you mean `{}`?)", s.to_ascii_uppercase()));
                }
                errors.push(SqlError {
                    message,
                    help: format!("fix the object type after {}: TABLE, INDEX, VIEW, FUNCTION, …", w0.to_ascii_uppercase()),
                    span: src.span(t.start, t.end),
                });
                return st;
            }
        }
    }

    st.tables = table_refs(src, &c);
    let upper = |s: &str| s.to_ascii_uppercase();
    match w0.as_str() {
        "begin" | "commit" | "end" | "abort" => {
            st.kind = Kind::TransactionControl { what: upper(&w0) };
            if w0 == "commit" && c.is(1, "prepared") {
                st.kind = Kind::TransactionControl { what: "COMMIT PREPARED".into() };
                st.head_span = head(1);
            }
        }
        "start" => {
            st.kind = if c.is(1, "transaction") {
                st.head_span = head(1);
                Kind::TransactionControl { what: "START TRANSACTION".into() }
            } else {
                Kind::Other { keyword: "START".into() }
            };
        }
        "rollback" => {
            if c.is(1, "to") || (c.is(1, "work") || c.is(1, "transaction")) && c.is(2, "to") {
                st.kind = Kind::Savepoint;
            } else if c.is(1, "prepared") {
                st.kind = Kind::TransactionControl { what: "ROLLBACK PREPARED".into() };
                st.head_span = head(1);
            } else {
                st.kind = Kind::TransactionControl { what: "ROLLBACK".into() };
            }
        }
        "prepare" if c.is(1, "transaction") => {
            st.kind = Kind::TransactionControl { what: "PREPARE TRANSACTION".into() };
            st.head_span = head(1);
        }
        "savepoint" | "release" => st.kind = Kind::Savepoint,
        "do" => {
            st.kind = Kind::Do;
            // DO [LANGUAGE plpgsql] body [LANGUAGE plpgsql]
            let body = (1..toks.len()).find(|&k| matches!(toks[k].kind, TokKind::Dollar | TokKind::Str));
            let lang_ok = (1..toks.len()).all(|k| !c.is(k, "language") || c.is(k + 1, "plpgsql") || c.toks.get(k + 1).is_some_and(|t| &text[t.start..t.end] == "'plpgsql'"));
            if let (Some(b), true) = (body, lang_ok) {
                let (tc, calls) = plpgsql_body(src, text, &toks[b]);
                st.body_transaction_control = tc;
                st.calls = calls;
            }
        }
        "set" | "reset" | "select" if search_path_setting(&c).is_some() => {
            st.sets_search_path = search_path_setting(&c);
            st.kind = if w0 == "select" { Kind::Select } else { Kind::Other { keyword: upper(&w0) } };
        }
        "call" => {
            if let Some((n, _)) = c.name(src, 1) {
                st.calls.push(n);
            }
            st.kind = Kind::Other { keyword: "CALL".into() };
        }
        "truncate" => {
            st.kind = Kind::Truncate;
            let mut i = 1;
            if c.is(i, "table") {
                i += 1;
            }
            loop {
                i = c.skip_if_exists(i);
                let Some((n, j)) = c.name(src, i) else { break };
                st.targets.push(n);
                i = j;
                if c.punct(i, b'*') {
                    i += 1;
                }
                if !c.punct(i, b',') {
                    break;
                }
                i += 1;
            }
        }
        "reindex" => {
            st.kind = Kind::Reindex;
            let mut i = 1;
            if c.punct(1, b'(') {
                i = skip_parens(&c, 1);
            }
            // REINDEX [(…)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name
            if c.is(i + 1, "concurrently") {
                let t = toks[i + 1];
                st.concurrently = Some(src.span(t.start, t.end));
                st.head_span = src.span(first.start, t.end);
            }
        }
        "create" => classify_create(src, &c, &mut st),
        "drop" => classify_drop(src, &c, &mut st),
        "alter" => {
            if c.is(1, "table") {
                st.kind = Kind::AlterTable;
                st.head_span = head(1);
                classify_alter_table(src, &c, &mut st);
            } else {
                st.kind = Kind::Other { keyword: "ALTER".into() };
            }
        }
        "delete" | "update" | "insert" | "select" | "with" | "values" | "table" => classify_dml(src, &c, &mut st, &w0),
        _ => st.kind = Kind::Other { keyword: upper(&w0) },
    }
    // The AST only where it decides a finding: an unfiltered DELETE/UPDATE
    // (sqlparser's WHERE wins when it parses). Parsing every statement costs
    // ~6x the whole model (measured: tests/sql_corpus.rs, `measure_…`).
    if matches!(st.kind, Kind::Delete | Kind::Update) && st.has_where == Some(false) {
        refine_with_ast(&text[start..end], &mut st);
    }
    st
}

fn skip_parens(c: &Cursor, mut i: usize) -> usize {
    let mut depth = 0;
    while i < c.toks.len() {
        if c.punct(i, b'(') {
            depth += 1;
        } else if c.punct(i, b')') {
            depth -= 1;
            if depth <= 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

fn classify_create(src: &SourceFile, c: &Cursor, st: &mut Statement) {
    let mut i = 1;
    if c.is(i, "or") && c.is(i + 1, "replace") {
        i += 2;
    }
    let mut temporary = false;
    loop {
        if c.is(i, "temp") || c.is(i, "temporary") {
            temporary = true;
            i += 1;
        } else if c.is(i, "global") || c.is(i, "local") || c.is(i, "unlogged") || c.is(i, "recursive") {
            i += 1;
        } else {
            break;
        }
    }
    let head_to = |k: usize| {
        let a = c.toks[0].start;
        let b = c.toks.get(k).or(c.toks.last()).map(|t| t.end).unwrap_or(a);
        src.span(a, b)
    };
    if c.is(i, "unique") {
        i += 1;
    }
    if c.is(i, "index") {
        st.kind = Kind::CreateIndex;
        st.head_span = head_to(i);
        if c.is(i + 1, "concurrently") {
            let t = c.toks[i + 1];
            st.concurrently = Some(src.span(t.start, t.end));
            st.head_span = head_to(i + 1);
        }
        return;
    }
    let relation = if c.is(i, "table") {
        Some(i + 1)
    } else if c.is(i, "view") {
        Some(i + 1)
    } else if c.is(i, "materialized") && c.is(i + 1, "view") {
        Some(i + 2)
    } else if c.is(i, "foreign") && c.is(i + 1, "table") {
        Some(i + 2)
    } else {
        None
    };
    if let Some(j) = relation {
        st.kind = if c.is(i, "table") { Kind::CreateTable } else { Kind::Other { keyword: "CREATE".into() } };
        st.head_span = head_to(j - 1);
        let j = c.skip_if_exists(j);
        if let Some((n, _)) = c.name(src, j) {
            if !temporary {
                st.creates.push(n);
            }
        }
        return;
    }
    if c.is(i, "function") || c.is(i, "procedure") {
        st.kind = Kind::CreateFunction;
        st.head_span = head_to(i);
        if c.is(i, "procedure") {
            st.procedure = c.name(src, i + 1).map(|(n, _)| n);
            // … LANGUAGE plpgsql AS body: the first string at depth 0 after the arguments.
            let plpgsql = (i..c.toks.len()).any(|k| c.is(k, "language") && (c.is(k + 1, "plpgsql") || c.toks.get(k + 1).is_some_and(|t| &c.text[t.start..t.end] == "'plpgsql'")));
            if plpgsql {
                if let Some(k) = top_word_after(c, i + 1, "as") {
                    if let Some(b) = c.toks.get(k + 1).filter(|t| matches!(t.kind, TokKind::Dollar | TokKind::Str)) {
                        st.body_transaction_control = plpgsql_body(src, c.text, b).0;
                    }
                }
            }
        }
        return;
    }
    st.kind = Kind::Other { keyword: "CREATE".into() };
}

fn classify_drop(src: &SourceFile, c: &Cursor, st: &mut Statement) {
    // The object type: one or two words before the names.
    let two = ["materialized", "foreign", "event", "text", "access", "user", "owned"];
    let mut i = 1;
    let mut object = c.word(1).unwrap_or("").to_ascii_uppercase();
    if two.iter().any(|w| c.is(1, w)) {
        if let Some(w2) = c.word(2) {
            object = format!("{object} {}", w2.to_ascii_uppercase());
            i = 2;
        }
    }
    let a = c.toks[0].start;
    let end_of = |k: usize| c.toks.get(k).map(|t| t.end).unwrap_or(a);
    st.head_span = src.span(a, end_of(i));
    let mut j = i + 1;
    if object == "INDEX" {
        st.kind = Kind::DropIndex;
        if c.is(j, "concurrently") {
            let t = c.toks[j];
            st.concurrently = Some(src.span(t.start, t.end));
            st.head_span = src.span(a, t.end);
            j += 1;
        }
    } else {
        st.kind = Kind::Drop { object: object.clone() };
    }
    if matches!(object.as_str(), "TABLE" | "SCHEMA" | "VIEW" | "MATERIALIZED VIEW" | "FOREIGN TABLE") {
        loop {
            j = c.skip_if_exists(j);
            let Some((n, k)) = c.name(src, j) else { break };
            st.targets.push(n);
            j = k;
            if !c.punct(j, b',') {
                break;
            }
            j += 1;
        }
    }
}

/// ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, action …]: finds
/// `DROP [COLUMN] [IF EXISTS] c` actions and DETACH PARTITION … CONCURRENTLY.
fn classify_alter_table(src: &SourceFile, c: &Cursor, st: &mut Statement) {
    let i = c.skip_if_exists(2);
    let Some((n, mut j)) = c.name(src, i) else { return };
    st.targets.push(n);
    if c.punct(j, b'*') {
        j += 1;
    }
    // Walk the actions, split by top-level commas.
    let mut action_start = true;
    let mut depth = 0;
    while j < c.toks.len() {
        if c.punct(j, b'(') {
            depth += 1;
        } else if c.punct(j, b')') {
            depth -= 1;
        } else if depth == 0 && c.punct(j, b',') {
            action_start = true;
            j += 1;
            continue;
        } else if depth == 0 && action_start && c.is(j, "drop") {
            let mut k = j + 1;
            let explicit = c.is(k, "column");
            if explicit {
                k += 1;
            }
            let kw = c.word(k).map(str::to_ascii_lowercase);
            let not_column = !explicit
                && matches!(kw.as_deref(), Some("constraint" | "default" | "not" | "expression" | "identity"));
            if !not_column {
                if c.is(k, "if") && c.is(k + 1, "exists") {
                    k += 2;
                }
                if let Some(t) = c.toks.get(k) {
                    if let Some(v) = ident_value(c.text, t) {
                        st.dropped_columns.push((v, src.span(c.toks[j].start, t.end)));
                    }
                }
            }
        } else if depth == 0 && c.is(j, "concurrently") && (0..j).rev().take(8).any(|k| c.is(k, "detach")) {
            let t = c.toks[j];
            st.concurrently = Some(src.span(t.start, t.end));
        }
        if depth == 0 {
            action_start = false;
        }
        j += 1;
    }
}

fn classify_dml(src: &SourceFile, c: &Cursor, st: &mut Statement, w0: &str) {
    // The main verb: the first DML keyword at depth 0 (after a WITH list).
    let mut depth = 0;
    let mut verb: Option<(usize, String)> = None;
    for (k, t) in c.toks.iter().enumerate() {
        match t.kind {
            TokKind::Punct(b'(') => depth += 1,
            TokKind::Punct(b')') => depth -= 1,
            TokKind::Word if depth == 0 => {
                let w = c.text[t.start..t.end].to_ascii_lowercase();
                if w0 != "with" || matches!(w.as_str(), "select" | "insert" | "update" | "delete" | "merge" | "values" | "table")
                {
                    verb = Some((k, w));
                    break;
                }
            }
            _ => {}
        }
    }
    let Some((v, verb)) = verb else {
        st.kind = Kind::Select;
        return;
    };
    let vt = c.toks[v];
    st.head_span = src.span(vt.start, vt.end);
    let has_where_after = |from: usize| {
        let mut depth = 0;
        for k in from..c.toks.len() {
            if c.punct(k, b'(') {
                depth += 1;
            } else if c.punct(k, b')') {
                depth -= 1;
            } else if depth == 0 && c.is(k, "where") {
                return true;
            }
        }
        false
    };
    match verb.as_str() {
        "delete" => {
            st.kind = Kind::Delete;
            let mut i = v + 1;
            if c.is(i, "from") {
                i += 1;
            }
            let i = c.skip_if_exists(i);
            if let Some((n, _)) = c.name(src, i) {
                st.targets.push(n);
            }
            st.has_where = Some(has_where_after(v + 1));
        }
        "update" => {
            st.kind = Kind::Update;
            let i = c.skip_if_exists(v + 1);
            if let Some((n, _)) = c.name(src, i) {
                st.targets.push(n);
            }
            st.has_where = Some(has_where_after(v + 1));
        }
        "insert" => st.kind = Kind::Insert,
        _ => st.kind = Kind::Select,
    }
}

/// `SET [SESSION|LOCAL] search_path {TO|=} …`, `RESET search_path`, `SELECT
/// set_config('search_path', '…', …)`: Some(true) when the path no longer
/// starts with `public` (or `"$user", public`), Some(false) when it is that
/// again; None for any other statement.
fn search_path_setting(c: &Cursor) -> Option<bool> {
    let public = |values: &[String]| {
        let v: Vec<&str> = values.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        v.is_empty() || v == ["public"] || v == ["$user", "public"] || v == ["default"]
    };
    if c.is(0, "reset") {
        return c.is(1, "search_path").then_some(false);
    }
    if c.is(0, "set") {
        let mut i = 1;
        if c.is(i, "session") || c.is(i, "local") {
            i += 1;
        }
        if !c.is(i, "search_path") {
            return None;
        }
        i += 1;
        if c.is(i, "to") || c.punct(i, b'=') {
            i += 1;
        }
        let mut values = Vec::new();
        for t in &c.toks[i.min(c.toks.len())..] {
            match t.kind {
                TokKind::Word => values.push(c.text[t.start..t.end].to_ascii_lowercase()),
                TokKind::QuotedIdent => values.push(ident_value(c.text, t).unwrap_or_default()),
                TokKind::Str => values.push(c.text[t.start + 1..t.end.saturating_sub(1).max(t.start + 1)].to_string()),
                _ => {}
            }
        }
        return Some(!public(&values));
    }
    // SELECT set_config('search_path', 'app, public', false)
    let k = (0..c.toks.len()).find(|&k| c.is(k, "set_config") && c.punct(k + 1, b'('))?;
    let arg = |t: Option<&Token>| t.filter(|t| t.kind == TokKind::Str).map(|t| c.text[t.start + 1..t.end - 1].to_string());
    if arg(c.toks.get(k + 2))?.as_str() != "search_path" {
        return None;
    }
    let value = arg(c.toks.get(k + 4)).unwrap_or_default();
    let values: Vec<String> = value.split(',').map(|v| v.trim().trim_matches('"').to_string()).collect();
    Some(!public(&values))
}

// ------------------------------------------------------- PL/pgSQL bodies ---

/// The COMMIT / ROLLBACK and CALL statements of a PL/pgSQL body (a `$$…$$`
/// or `'…'` token), with spans in the file. A statement starts the body,
/// or follows `;`, BEGIN, THEN, ELSE, LOOP or a `<<label>>`; strings,
/// comments and nested dollar quotes (EXECUTE 'COMMIT') are not looked into.
fn plpgsql_body(src: &SourceFile, text: &str, body: &Token) -> (Vec<(String, Span)>, Vec<TableName>) {
    let raw = &text[body.start..body.end];
    let (inner_start, inner) = match body.kind {
        TokKind::Dollar => {
            let tag_len = raw[1..].find('$').map(|i| i + 2).unwrap_or(raw.len());
            let end = raw.len().saturating_sub(tag_len).max(tag_len);
            (body.start + tag_len, &raw[tag_len..end])
        }
        // '…' with doubled quotes: the offsets stay those of the file, and a
        // doubled quote lexes as an empty string, which is not a statement.
        _ => (body.start + 1, raw.get(1..raw.len().saturating_sub(1)).unwrap_or("")),
    };
    let lexed = lex(inner);
    let toks = &lexed.tokens;
    let c = Cursor { text: inner, toks };
    let mut tc = Vec::new();
    let mut calls = Vec::new();
    for k in 0..toks.len() {
        let starts = k == 0
            || c.punct(k - 1, b';')
            || (k >= 2 && c.punct(k - 1, b'>') && c.punct(k - 2, b'>'))
            || ["begin", "then", "else", "loop"].iter().any(|w| c.is(k - 1, w));
        if !starts {
            continue;
        }
        let t = toks[k];
        if (c.is(k, "commit") || c.is(k, "rollback")) && !c.is(k + 1, "to") && !c.is(k + 1, "prepared") {
            tc.push((c.text[t.start..t.end].to_ascii_uppercase(), src.span(inner_start + t.start, inner_start + t.end)));
        } else if c.is(k, "call") {
            let parts = qualified_parts(&c, k + 1);
            if let Some((name, last)) = parts.last() {
                let schema = (parts.len() >= 2).then(|| parts[parts.len() - 2].0.clone());
                let span = src.span(inner_start + parts[0].1.start, inner_start + last.end);
                calls.push(TableName { schema, name: name.clone(), span });
            }
        }
    }
    (tc, calls)
}

// ------------------------------------------------------ table references ---

/// Words that end a FROM item instead of being its alias.
const NOT_ALIAS: &[&str] = &[
    "where", "join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "group", "order", "limit",
    "offset", "having", "window", "union", "intersect", "except", "for", "returning", "set", "lateral", "tablesample",
    "fetch", "with", "into", "values", "select", "do", "when", "then", "else", "end", "loop", "outer",
];

/// Every table a statement names in a table position, with how it uses it
/// ([`TableRole`]): the target of CREATE / ALTER / DROP / TRUNCATE / INSERT /
/// UPDATE / DELETE / MERGE / COPY, the table of CREATE INDEX / TRIGGER /
/// POLICY / RULE / STATISTICS … ON (and DROP TRIGGER / POLICY / RULE … ON),
/// REFERENCES / LIKE / INHERITS / PARTITION OF, FROM / JOIN of a query at any
/// depth, and LOCK / COMMENT ON / GRANT … ON / REFRESH MATERIALIZED VIEW.
/// Names are as written (schema-qualified or not, quoted identifiers keep
/// their case); names that a WITH clause defines are not tables. Columns,
/// index and constraint names, function calls in FROM, and anything inside
/// a string or a dollar-quoted body (DO blocks, function bodies) are not
/// table references.
fn table_refs(src: &SourceFile, c: &Cursor) -> Vec<TableRef> {
    let mut out = Vec::new();
    let Some(w0) = c.word(0).map(str::to_ascii_lowercase) else { return out };
    let ctes = cte_names(c);
    // FROM/JOIN: scanned in query contexts; `top` says whether depth 0 is one.
    let mut scan: Option<bool> = None;
    // Tokens that look like FROM/USING but belong to the statement itself.
    let mut skip: Vec<usize> = Vec::new();
    let push = |out: &mut Vec<TableRef>, table: TableName, role: TableRole| out.push(TableRef { table, role, if_exists: false });
    // The table named right after the first top-level `word` from token `from` on.
    let on_table = |out: &mut Vec<TableRef>, from: usize, word: &str| {
        if let Some((n, _)) = top_word_after(c, from, word).and_then(|k| c.name(src, k + 1)) {
            push(out, n, TableRole::On);
        }
    };
    match w0.as_str() {
        "create" => {
            let mut i = 1;
            if c.is(i, "or") && c.is(i + 1, "replace") {
                i += 2;
            }
            let mut temporary = false;
            while let Some(w) = c.word(i).map(str::to_ascii_lowercase) {
                match w.as_str() {
                    "temp" | "temporary" => temporary = true,
                    "global" | "local" | "unlogged" | "recursive" | "unique" => {}
                    _ => break,
                }
                i += 1;
            }
            let obj = c.word(i).map(str::to_ascii_lowercase).unwrap_or_default();
            match obj.as_str() {
                "table" => {
                    let j = c.skip_if_exists(i + 1);
                    if let Some((n, _)) = c.name(src, j) {
                        if !temporary {
                            push(&mut out, n, TableRole::Create);
                        }
                    }
                    references(src, c, &mut out, true);
                    scan = Some(true); // CREATE TABLE … AS SELECT
                }
                "view" => {
                    if let Some((n, _)) = c.name(src, c.skip_if_exists(i + 1)) {
                        if !temporary {
                            push(&mut out, n, TableRole::Create);
                        }
                    }
                    scan = Some(true);
                }
                "materialized" if c.is(i + 1, "view") => {
                    if let Some((n, _)) = c.name(src, c.skip_if_exists(i + 2)) {
                        push(&mut out, n, TableRole::Create);
                    }
                    scan = Some(true);
                }
                "foreign" if c.is(i + 1, "table") => {
                    if let Some((n, _)) = c.name(src, c.skip_if_exists(i + 2)) {
                        push(&mut out, n, TableRole::Create);
                    }
                }
                "index" => {
                    // CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table
                    if let Some(k) = top_word_after(c, i + 1, "on") {
                        if let Some((n, _)) = c.name(src, c.skip_if_exists(k + 1)) {
                            push(&mut out, n, TableRole::On);
                        }
                    }
                }
                "constraint" | "trigger" => {
                    // CREATE [CONSTRAINT] TRIGGER name {BEFORE|AFTER|INSTEAD OF} events ON table [FROM table]
                    if let Some(k) = top_word_after(c, i + 2, "on") {
                        if let Some((n, j)) = c.name(src, c.skip_if_exists(k + 1)) {
                            push(&mut out, n, TableRole::On);
                            if c.is(j, "from") {
                                if let Some((r, _)) = c.name(src, j + 1) {
                                    push(&mut out, r, TableRole::References);
                                }
                            }
                        }
                    }
                }
                "policy" => {
                    on_table(&mut out, i + 1, "on");
                    scan = Some(false); // subqueries in USING (…) / WITH CHECK (…)
                }
                // CREATE RULE name AS ON event TO table …
                "rule" => on_table(&mut out, i + 1, "to"),
                "statistics" => on_table(&mut out, i + 1, "from"),
                _ => {} // functions, procedures (their bodies are strings), types, schemas, …
            }
        }
        "alter" => {
            let obj = c.word(1).map(str::to_ascii_lowercase).unwrap_or_default();
            let at = match obj.as_str() {
                "table" | "view" => Some(2),
                "materialized" | "foreign" if c.is(2, "view") || c.is(2, "table") => Some(3),
                "policy" | "trigger" => {
                    if let Some(k) = top_word_after(c, 2, "on") {
                        if let Some((n, _)) = c.name(src, k + 1) {
                            push(&mut out, n, TableRole::On);
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(i) = at {
                let if_exists = c.is(i, "if") && c.is(i + 1, "exists");
                let i = c.skip_if_exists(i);
                if !(obj == "table" && c.is(i, "all")) {
                    if let Some((n, _)) = c.name(src, i) {
                        out.push(TableRef { table: n, role: TableRole::Alter, if_exists });
                    }
                }
                if obj == "table" {
                    references(src, c, &mut out, false);
                    // ATTACH / DETACH PARTITION child
                    for k in 0..c.toks.len() {
                        if (c.is(k, "attach") || c.is(k, "detach")) && c.is(k + 1, "partition") {
                            if let Some((n, _)) = c.name(src, k + 2) {
                                push(&mut out, n, TableRole::Alter);
                            }
                        }
                    }
                }
            }
        }
        "drop" => {
            let obj = c.word(1).map(str::to_ascii_lowercase).unwrap_or_default();
            let list = match obj.as_str() {
                "table" | "view" => Some(2),
                "materialized" if c.is(2, "view") => Some(3),
                "foreign" if c.is(2, "table") => Some(3),
                "trigger" | "policy" | "rule" => {
                    if let Some(k) = top_word_after(c, 2, "on") {
                        if let Some((n, _)) = c.name(src, k + 1) {
                            push(&mut out, n, TableRole::On);
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(i) = list {
                names(src, c, i, TableRole::Drop, &mut out);
            }
        }
        "truncate" => {
            let i = if c.is(1, "table") { 2 } else { 1 };
            names(src, c, i, TableRole::Truncate, &mut out);
        }
        "lock" => {
            let i = if c.is(1, "table") { 2 } else { 1 };
            names(src, c, i, TableRole::Other, &mut out);
        }
        "refresh" if c.is(1, "materialized") => {
            let i = if c.is(3, "concurrently") { 4 } else { 3 };
            if let Some((n, _)) = c.name(src, i) {
                push(&mut out, n, TableRole::Other);
            }
        }
        "comment" if c.is(1, "on") => {
            let obj = c.word(2).map(str::to_ascii_lowercase).unwrap_or_default();
            match obj.as_str() {
                "table" | "view" => {
                    if let Some((n, _)) = c.name(src, 3) {
                        push(&mut out, n, TableRole::Other);
                    }
                }
                "materialized" | "foreign" => {
                    if let Some((n, _)) = c.name(src, 4) {
                        push(&mut out, n, TableRole::Other);
                    }
                }
                "column" => {
                    // COMMENT ON COLUMN [schema.]table.column: the name without its last part.
                    let parts = qualified_parts(c, 3);
                    if parts.len() >= 2 {
                        let t = &parts[parts.len() - 2];
                        let schema = (parts.len() >= 3).then(|| parts[parts.len() - 3].0.clone());
                        let first = if parts.len() >= 3 { parts[parts.len() - 3].1 } else { t.1 };
                        push(&mut out, TableName { schema, name: t.0.clone(), span: src.span(first.start, t.1.end) }, TableRole::Other);
                    }
                }
                "trigger" | "policy" | "rule" | "constraint" => {
                    if let Some(k) = top_word_after(c, 3, "on") {
                        if !c.is(k + 1, "domain") {
                            if let Some((n, _)) = c.name(src, k + 1) {
                                push(&mut out, n, TableRole::Other);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        "grant" | "revoke" => {
            // GRANT privileges ON [TABLE] names TO …; not ON SCHEMA/FUNCTION/…, not role grants.
            if let Some(k) = top_word_after(c, 1, "on") {
                let kind = c.word(k + 1).map(str::to_ascii_lowercase).unwrap_or_default();
                let other = [
                    "schema", "function", "procedure", "routine", "sequence", "database", "domain", "foreign", "language",
                    "large", "tablespace", "type", "all", "parameter",
                ];
                if kind == "table" {
                    names(src, c, k + 2, TableRole::Other, &mut out);
                } else if !other.contains(&kind.as_str()) {
                    names(src, c, k + 1, TableRole::Other, &mut out);
                }
            }
        }
        "copy" => {
            if c.punct(1, b'(') {
                scan = Some(false); // COPY (query) TO …
            } else if let Some((n, _)) = c.name(src, 1) {
                push(&mut out, n, TableRole::Copy);
            }
        }
        "select" | "values" | "table" | "with" | "insert" | "update" | "delete" | "merge" => {
            scan = Some(true);
            // The main verb: the first DML keyword at depth 0 (after a WITH list).
            let mut depth = 0;
            let mut verb = None;
            for (k, t) in c.toks.iter().enumerate() {
                match t.kind {
                    TokKind::Punct(b'(') => depth += 1,
                    TokKind::Punct(b')') => depth -= 1,
                    TokKind::Word if depth == 0 => {
                        let w = c.text[t.start..t.end].to_ascii_lowercase();
                        if matches!(w.as_str(), "select" | "insert" | "update" | "delete" | "merge" | "values" | "table") {
                            verb = Some((k, w));
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some((v, verb)) = verb {
                match verb.as_str() {
                    "insert" if c.is(v + 1, "into") => {
                        if let Some((n, _)) = c.name(src, v + 2) {
                            push(&mut out, n, TableRole::Insert);
                        }
                    }
                    "update" => {
                        if let Some((n, _)) = c.name(src, c.skip_if_exists(v + 1)) {
                            push(&mut out, n, TableRole::Update);
                        }
                    }
                    "delete" if c.is(v + 1, "from") => {
                        skip.push(v + 1);
                        if let Some((n, j)) = c.name(src, c.skip_if_exists(v + 2)) {
                            push(&mut out, n, TableRole::Delete);
                            // DELETE FROM t [[AS] alias] USING from_items
                            let mut j = j;
                            if c.is(j, "as") {
                                j += 1;
                            }
                            if !c.is(j, "using") && !c.is(j, "where") {
                                j += 1;
                            }
                            if c.is(j, "using") {
                                from_items(src, c, j + 1, &ctes, &mut out);
                            }
                        }
                    }
                    "merge" if c.is(v + 1, "into") => {
                        if let Some((n, _)) = c.name(src, c.skip_if_exists(v + 2)) {
                            push(&mut out, n, TableRole::Update);
                        }
                        if let Some(k) = top_word_after(c, v + 2, "using") {
                            from_items(src, c, k + 1, &ctes, &mut out);
                        }
                    }
                    "table" => {
                        if let Some((n, _)) = c.name(src, c.skip_if_exists(v + 1)) {
                            if !(n.schema.is_none() && ctes.contains(&n.name)) {
                                push(&mut out, n, TableRole::Read);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(top) = scan {
        query_reads(src, c, &mut out, top, &ctes, &skip);
    }
    // One reference per table and role, at its first mention.
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert((r.table.schema.clone(), r.table.name.clone(), r.role)));
    out
}

/// The identifiers of a dotted name at `i` (`a.b.c`), with their tokens.
fn qualified_parts(c: &Cursor, i: usize) -> Vec<(String, Token)> {
    let mut parts = Vec::new();
    let mut j = i;
    while let Some(t) = c.toks.get(j) {
        let Some(v) = ident_value(c.text, t) else { break };
        parts.push((v, *t));
        if !c.punct(j + 1, b'.') {
            break;
        }
        j += 2;
    }
    parts
}

/// A comma-separated list of table names from `i` (each may have IF
/// EXISTS / ONLY before it and `*` after it).
fn names(src: &SourceFile, c: &Cursor, mut i: usize, role: TableRole, out: &mut Vec<TableRef>) {
    // DROP TABLE IF EXISTS a, b: the guard covers the whole list.
    let if_exists = c.is(i, "if") && c.is(i + 1, "exists");
    loop {
        i = c.skip_if_exists(i);
        let Some((n, j)) = c.name(src, i) else { break };
        out.push(TableRef { table: n, role, if_exists });
        i = j;
        if c.punct(i, b'*') {
            i += 1;
        }
        if !c.punct(i, b',') {
            break;
        }
        i += 1;
    }
}

/// The index of the first word `w` at parenthesis depth 0 from `from` on.
fn top_word_after(c: &Cursor, from: usize, w: &str) -> Option<usize> {
    let mut depth = 0i32;
    for k in from..c.toks.len() {
        if c.punct(k, b'(') {
            depth += 1;
        } else if c.punct(k, b')') {
            depth -= 1;
        } else if depth == 0 && c.is(k, w) {
            return Some(k);
        }
    }
    None
}

/// The index of the `)` matching the `(` at `open` (or the end).
fn matching(c: &Cursor, open: usize) -> usize {
    let mut depth = 0i32;
    for k in open..c.toks.len() {
        if c.punct(k, b'(') {
            depth += 1;
        } else if c.punct(k, b')') {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    c.toks.len()
}

/// REFERENCES t (any depth) of CREATE/ALTER TABLE; with `create`, also
/// `LIKE t` as a column-list item, `INHERITS (t, …)` and `PARTITION OF t`.
fn references(src: &SourceFile, c: &Cursor, out: &mut Vec<TableRef>, create: bool) {
    let mut depth = 0i32;
    for k in 0..c.toks.len() {
        if c.punct(k, b'(') {
            depth += 1;
            continue;
        }
        if c.punct(k, b')') {
            depth -= 1;
            continue;
        }
        if c.is(k, "references") {
            if let Some((n, _)) = c.name(src, k + 1) {
                out.push(TableRef { table: n, role: TableRole::References, if_exists: false });
            }
        } else if create && depth == 1 && c.is(k, "like") && k > 0 && (c.punct(k - 1, b'(') || c.punct(k - 1, b',')) {
            if let Some((n, _)) = c.name(src, k + 1) {
                out.push(TableRef { table: n, role: TableRole::References, if_exists: false });
            }
        } else if create && depth == 0 && c.is(k, "inherits") && c.punct(k + 1, b'(') {
            names(src, c, k + 2, TableRole::References, out);
        } else if create && depth == 0 && c.is(k, "partition") && c.is(k + 1, "of") {
            if let Some((n, _)) = c.name(src, k + 2) {
                out.push(TableRef { table: n, role: TableRole::References, if_exists: false });
            }
        }
    }
}

/// The names that WITH clauses define (`WITH [RECURSIVE] name [(cols)] AS
/// [[NOT] MATERIALIZED] (…)`, at any depth): FROM them is not a table.
fn cte_names(c: &Cursor) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for k in 0..c.toks.len() {
        if !c.is(k, "with") {
            continue;
        }
        let mut j = k + 1;
        if c.is(j, "recursive") {
            j += 1;
        }
        loop {
            let Some(name) = c.toks.get(j).and_then(|t| ident_value(c.text, t)) else { break };
            j += 1;
            if c.punct(j, b'(') {
                j = matching(c, j) + 1;
            }
            if !c.is(j, "as") {
                break;
            }
            j += 1;
            if c.is(j, "not") {
                j += 1;
            }
            if c.is(j, "materialized") {
                j += 1;
            }
            if !c.punct(j, b'(') {
                break;
            }
            out.insert(name);
            j = matching(c, j) + 1;
            if !c.punct(j, b',') {
                break;
            }
            j += 1;
        }
    }
    out
}

/// FROM / JOIN items in query contexts: depth 0 when `top`, and inside any
/// parentheses that hold a query (`(SELECT …`, `(WITH …`, `(VALUES …`, a
/// data-modifying WITH item `(DELETE FROM …`) or follow FROM/JOIN. Not in other parentheses, so `extract(year FROM t)`,
/// `substring(s FROM 2)` and `trim(x FROM s)` are not tables; nor is `IS
/// [NOT] DISTINCT FROM`. `skip`: FROM tokens that are the statement's own.
fn query_reads(
    src: &SourceFile,
    c: &Cursor,
    out: &mut Vec<TableRef>,
    top: bool,
    ctes: &std::collections::HashSet<String>,
    skip: &[usize],
) {
    let mut stack: Vec<bool> = vec![top];
    let mut k = 0;
    while k < c.toks.len() {
        if c.punct(k, b'(') {
            let query = ["select", "with", "values", "table", "insert", "update", "delete", "merge"].iter().any(|w| c.is(k + 1, w))
                || (k > 0 && (c.is(k - 1, "from") || c.is(k - 1, "join") || c.is(k - 1, "lateral")));
            stack.push(query);
            k += 1;
            continue;
        }
        if c.punct(k, b')') {
            if stack.len() > 1 {
                stack.pop();
            }
            k += 1;
            continue;
        }
        let in_query = stack.last().copied().unwrap_or(false);
        let is_from = c.is(k, "from") && !(k > 0 && c.is(k - 1, "distinct"));
        if in_query && !skip.contains(&k) && (is_from || c.is(k, "join")) {
            k = from_items(src, c, k + 1, ctes, out);
            continue;
        }
        k += 1;
    }
}

/// The items of a FROM list (or the one item after JOIN / USING) from `k`:
/// tables are [`TableRole::Read`]; a parenthesised item is scanned as a
/// query, a function call's arguments for subqueries. Returns the index
/// after the list.
fn from_items(src: &SourceFile, c: &Cursor, mut k: usize, ctes: &std::collections::HashSet<String>, out: &mut Vec<TableRef>) -> usize {
    loop {
        if c.is(k, "lateral") {
            k += 1;
        }
        if c.is(k, "only") {
            k += 1;
        }
        if c.punct(k, b'(') {
            let close = matching(c, k);
            let inner = Cursor { text: c.text, toks: &c.toks[k + 1..close.min(c.toks.len())] };
            query_reads(src, &inner, out, true, ctes, &[]);
            k = close + 1;
        } else if let Some((n, j)) = c.name(src, k) {
            if c.toks[k].kind == TokKind::Word && NOT_ALIAS.contains(&c.text[c.toks[k].start..c.toks[k].end].to_ascii_lowercase().as_str()) {
                return k;
            }
            if c.punct(j, b'(') {
                // A function in FROM (generate_series(…), unnest(…)): not a table.
                let close = matching(c, j);
                let inner = Cursor { text: c.text, toks: &c.toks[j + 1..close.min(c.toks.len())] };
                query_reads(src, &inner, out, false, ctes, &[]);
                k = close + 1;
            } else {
                if !(n.schema.is_none() && ctes.contains(&n.name)) {
                    out.push(TableRef { table: n, role: TableRole::Read, if_exists: false });
                }
                k = j;
                if c.punct(k, b'*') {
                    k += 1;
                }
            }
        } else {
            return k;
        }
        // [AS] alias [(columns)]
        if c.is(k, "as") {
            k += 2;
        } else if let Some(t) = c.toks.get(k) {
            let alias = match t.kind {
                TokKind::QuotedIdent => true,
                TokKind::Word => !NOT_ALIAS.contains(&c.text[t.start..t.end].to_ascii_lowercase().as_str()),
                _ => false,
            };
            if alias {
                k += 1;
            }
        }
        if c.punct(k, b'(') {
            k = matching(c, k) + 1;
        }
        if !c.punct(k, b',') {
            return k;
        }
        k += 1;
    }
}

/// The closest candidate within edit distance 2 (for "did you mean").
fn suggest<'a>(w: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if w.len() < 3 || w.len() > 24 {
        return None;
    }
    candidates.iter().map(|c| (levenshtein(w, c), *c)).filter(|(d, _)| *d <= 2).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Runs sqlparser on one statement and takes its answer where it parses.
fn refine_with_ast(sql: &str, st: &mut Statement) {
    use sqlparser::ast::Statement as S;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else { return };
    let Some(s) = parsed.first() else { return };
    match s {
        S::Delete(d) => st.has_where = Some(d.selection.is_some()),
        S::Update(u) => st.has_where = Some(u.selection.is_some()),
        S::CreateTable(ct) => {
            if ct.temporary {
                st.creates.clear();
            } else if let (Some(n), Some(last)) = (st.creates.first_mut(), ct.name.0.last()) {
                // The AST agrees on the name; keep our span, take its value.
                if let Some(id) = last.as_ident() {
                    let v = if id.quote_style.is_some() { id.value.clone() } else { id.value.to_ascii_lowercase() };
                    n.name = v;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Migration {
        Migration::parse(&SourceFile::new("db-init/0001_x.sql", sql.as_bytes().to_vec(), None))
    }

    fn texts(sql: &str) -> Vec<String> {
        parse(sql).statements.iter().map(|s| sql[s.start..s.end].to_string()).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_comments_and_parens() {
        let sql = "SELECT 'a;b', \"c;d\" -- x;y\n; /* p; /* nested; */ q; */ SELECT $$;$$; SELECT $f$ $$ ; $f$;\nSELECT E'\\';';";
        assert_eq!(
            texts(sql),
            vec!["SELECT 'a;b', \"c;d\" -- x;y\n;", "SELECT $$;$$;", "SELECT $f$ $$ ; $f$;", "SELECT E'\\';';"]
        );
        assert!(parse(sql).errors.is_empty());
    }

    #[test]
    fn meta_commands_are_their_own_statements() {
        let sql = "\\set ON_ERROR_STOP on\nSELECT :'v', :x::int;\n  \\echo done\n";
        let m = parse(sql);
        assert_eq!(m.statements.len(), 3);
        assert_eq!(m.statements[0].kind, Kind::Meta { name: "set".into() });
        assert_eq!(&sql[m.statements[0].start..m.statements[0].end], "\\set ON_ERROR_STOP on");
        assert_eq!(m.statements[2].kind, Kind::Meta { name: "echo".into() });
        assert!(m.errors.is_empty());
    }

    #[test]
    fn copy_from_stdin_data_is_not_sql() {
        let sql = "COPY t (a, b) FROM stdin;\n1\tit's; here\n2\t$$\n\\.\nSELECT 1;\n\\copy t FROM stdin\nx'y\n\\.\nSELECT 2;";
        let m = parse(sql);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(texts(sql), vec!["COPY t (a, b) FROM stdin;", "SELECT 1;", "\\copy t FROM stdin", "SELECT 2;"]);
    }

    #[test]
    fn begin_atomic_bodies_keep_their_semicolons() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\nSELECT 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("END; END;"));
    }

    #[test]
    fn unterminated_constructs_are_errors_at_their_start() {
        for (sql, line, col) in [
            ("SELECT 1;\nSELECT 'abc;\n", 2, 8),
            ("SELECT 1;\n  /* x /* y */\n", 2, 3),
            ("DO $body$ BEGIN END $$;\n", 1, 4),
            ("SELECT \"x;\n", 1, 8),
            ("SELECT E'\\';\n", 1, 8),
        ] {
            let m = parse(sql);
            assert_eq!(m.errors.len(), 1, "{sql}: {:?}", m.errors);
            assert_eq!((m.errors[0].span.line, m.errors[0].span.col), (line, col), "{sql}");
        }
    }

    #[test]
    fn unknown_commands_are_errors_with_suggestions() {
        let m = parse("CREATE TABLE a (id int);\n\nCREAT TABLE b (id int);\nCREATE TABEL c (id int);");
        assert_eq!(m.errors.len(), 2);
        assert_eq!((m.errors[0].span.line, m.errors[0].span.col), (3, 1));
        assert!(m.errors[0].message.contains("did you mean `CREATE`"), "{}", m.errors[0].message);
        assert_eq!((m.errors[1].span.line, m.errors[1].span.col), (4, 8));
    }

    #[test]
    fn classification() {
        let m = parse(
            "BEGIN; CREATE UNIQUE INDEX CONCURRENTLY i ON t (a); DROP INDEX CONCURRENTLY IF EXISTS i;\n\
             REINDEX (VERBOSE) TABLE CONCURRENTLY t; DELETE FROM t; UPDATE t SET a = (SELECT 1 WHERE true);\n\
             DELETE FROM t WHERE a = 1; ALTER TABLE ONLY public.t DROP COLUMN IF EXISTS b, DROP CONSTRAINT c, ALTER d DROP DEFAULT, DROP e;\n\
             CREATE TABLE IF NOT EXISTS \"Public\".\"Foo\" (id int); CREATE TEMP TABLE tmp (x int); SAVEPOINT a; ROLLBACK TO SAVEPOINT a; COMMIT;\n\
             INSERT INTO directus_settings (project_name) VALUES ('x'); SELECT * FROM other.directus_users;",
        );
        let k: Vec<&Kind> = m.statements.iter().map(|s| &s.kind).collect();
        assert_eq!(k[0], &Kind::TransactionControl { what: "BEGIN".into() });
        assert!(m.statements[1].concurrently.is_some() && m.statements[2].concurrently.is_some());
        assert!(m.statements[3].concurrently.is_some());
        assert_eq!(m.statements[4].has_where, Some(false));
        assert_eq!(m.statements[5].has_where, Some(false));
        assert_eq!(m.statements[6].has_where, Some(true));
        let cols: Vec<&str> = m.statements[7].dropped_columns.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cols, vec!["b", "e"]);
        assert_eq!(m.statements[8].creates[0].display(), "Public.Foo");
        assert!(m.statements[9].creates.is_empty());
        assert_eq!(k[10], &Kind::Savepoint);
        assert_eq!(k[11], &Kind::Savepoint);
        assert_eq!(k[12], &Kind::TransactionControl { what: "COMMIT".into() });
        assert_eq!(m.statements[13].tables[0].table.name, "directus_settings");
        assert_eq!(m.statements[13].tables[0].role, TableRole::Insert);
        assert_eq!(m.statements[14].tables[0].table.display(), "other.directus_users");
        assert_eq!(m.statements[14].tables[0].role, TableRole::Read);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
    }

    /// `schema.name role` of every table reference of each statement.
    fn refs(sql: &str) -> Vec<Vec<String>> {
        parse(sql)
            .sql_statements()
            .map(|s| s.tables.iter().map(|r| format!("{} {:?}{}", r.table.display(), r.role, if r.if_exists { "?" } else { "" })).collect())
            .collect()
    }

    #[test]
    fn table_references_of_every_statement_kind() {
        let cases: &[(&str, &[&str])] = &[
            ("CREATE TABLE app.a (id int REFERENCES public.customers (id), b int)", &["app.a Create", "public.customers References"]),
            ("CREATE TEMP TABLE t (x int)", &[]),
            ("CREATE TABLE c (LIKE customers INCLUDING ALL, CHECK (x LIKE y)) INHERITS (base1, base2)", &["c Create", "customers References", "base1 References", "base2 References"]),
            ("CREATE TABLE p1 PARTITION OF parent FOR VALUES FROM (1) TO (10)", &["p1 Create", "parent References"]),
            ("CREATE TABLE s AS SELECT * FROM src JOIN other o ON true", &["s Create", "src Read", "other Read"]),
            ("CREATE OR REPLACE VIEW app.v AS SELECT c.id, extract(year FROM c.date_created) FROM customers c LEFT JOIN \"Orders\" o ON o.c = c.id WHERE a IS DISTINCT FROM b", &["app.v Create", "customers Read", "Orders Read"]),
            ("CREATE MATERIALIZED VIEW mv AS WITH x AS (SELECT * FROM orders) SELECT * FROM x, products", &["mv Create", "orders Read", "products Read"]),
            ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_directus_users ON ONLY public.customers USING btree (directus_user_id)", &["public.customers On"]),
            ("CREATE INDEX ON orders (customer)", &["orders On"]),
            ("CREATE OR REPLACE TRIGGER trg BEFORE UPDATE OF a, b ON public.orders FOR EACH ROW EXECUTE FUNCTION app.touch()", &["public.orders On"]),
            ("CREATE CONSTRAINT TRIGGER t AFTER INSERT ON a FROM b FOR EACH ROW EXECUTE FUNCTION f()", &["a On", "b References"]),
            ("CREATE POLICY p ON customers USING (EXISTS (SELECT 1 FROM grants g WHERE g.u = current_user))", &["customers On", "grants Read"]),
            ("CREATE RULE r AS ON INSERT TO log DO INSTEAD NOTHING", &["log On"]),
            ("CREATE STATISTICS st (ndistinct) ON a, b FROM orders", &["orders On"]),
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM customers $$", &[]),
            ("ALTER TABLE public.customers ADD COLUMN legacy_code text", &["public.customers Alter"]),
            ("ALTER TABLE IF EXISTS ONLY customers ADD CONSTRAINT directus_x_pkey PRIMARY KEY (id), ADD FOREIGN KEY (u) REFERENCES directus_users (id)", &["customers Alter?", "directus_users References"]),
            ("ALTER TABLE parent ATTACH PARTITION child FOR VALUES IN (1)", &["parent Alter", "child Alter"]),
            ("ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b", &[]),
            ("ALTER VIEW v RENAME TO w", &["v Alter"]),
            ("ALTER INDEX ix_customers RENAME TO ix2", &[]),
            ("DROP TABLE IF EXISTS a, app.b CASCADE", &["a Drop?", "app.b Drop?"]),
            ("DROP TRIGGER IF EXISTS trg ON public.orders", &["public.orders On"]),
            ("DROP INDEX ix_directus_files", &[]),
            ("TRUNCATE TABLE ONLY a, b * RESTART IDENTITY", &["a Truncate", "b Truncate"]),
            ("INSERT INTO directus_settings (project_name) SELECT name FROM app.config", &["directus_settings Insert", "app.config Read"]),
            ("UPDATE ONLY t AS x SET a = u.a FROM u JOIN v USING (id) WHERE x.id = u.id", &["t Update", "u Read", "v Read"]),
            ("DELETE FROM t x USING u WHERE x.id = u.id AND x.k IN (SELECT k FROM w)", &["t Delete", "u Read", "w Read"]),
            ("WITH gone AS (DELETE FROM a RETURNING id) INSERT INTO b SELECT id FROM gone", &["b Insert", "a Read"]),
            ("MERGE INTO stock s USING deliveries d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = d.n", &["stock Update", "deliveries Read"]),
            ("SELECT * FROM generate_series(1, (SELECT max(id) FROM t)) g, LATERAL (SELECT 1 FROM u) x", &["t Read", "u Read"]),
            ("SELECT substring(s FROM 2), trim(both 'x' FROM s) FROM \"Public\".\"Mixed Case\"", &["Public.Mixed Case Read"]),
            ("TABLE customers", &["customers Read"]),
            ("COPY public.countries (code, name) FROM stdin", &["public.countries Copy"]),
            ("COPY (SELECT * FROM orders) TO stdout", &["orders Read"]),
            ("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", &["orders Other"]),
            ("COMMENT ON TABLE customers IS 'x'", &["customers Other"]),
            ("COMMENT ON COLUMN public.customers.email IS 'x'", &["public.customers Other"]),
            ("GRANT SELECT (id) ON TABLE customers, orders TO reporting", &["customers Other", "orders Other"]),
            ("GRANT USAGE ON SCHEMA app TO reporting", &[]),
            ("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM x", &[]),
            ("GRANT reporting TO alice", &[]),
            ("REFRESH MATERIALIZED VIEW CONCURRENTLY app.mv", &["app.mv Other"]),
            ("DO $$ BEGIN ALTER TABLE customers ADD x int; END $$", &[]),
            ("SELECT directus_user_id FROM app.profiles WHERE directus_user_id IS NOT NULL", &["app.profiles Read"]),
        ];
        for (sql, want) in cases {
            let got = refs(sql);
            assert_eq!(got.len(), 1, "{sql}");
            assert_eq!(got[0], want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{sql}");
        }
        // SET search_path away from public makes unqualified names unknown, for the rest of the file.
        let m = parse("ALTER TABLE a ADD x int; SET LOCAL search_path = app, public; ALTER TABLE b ADD x int; RESET search_path; TABLE c; SELECT set_config('search_path', 'x', true); TABLE d; SET search_path TO DEFAULT; TABLE e;");
        let changed: Vec<bool> = m.statements.iter().map(|s| s.search_path_changed).collect();
        assert_eq!(changed, [false, false, true, true, false, false, true, true, false]);
        // Spans point at the whole (qualified, quoted) name.
        let sql = "SELECT 1 FROM public . \"Orders\";";
        let m = parse(sql);
        let r = &m.statements[0].tables[0];
        assert_eq!(&sql[r.table.span.offset..r.table.span.offset + r.table.span.len], "public . \"Orders\"");
    }

    #[test]
    fn pragmas_cover_the_next_statement() {
        let m = parse("-- trm-ci: ignore=migrations/destructive reason here\nDROP TABLE a\n  CASCADE;\nSELECT 1;");
        assert_eq!(m.suppressions.len(), 1);
        let s = &m.suppressions[0];
        assert_eq!((s.first_line, s.last_line), (2, 3));
        assert_eq!(s.rules, vec!["migrations/destructive".to_string()]);
        assert_eq!(s.reason, "reason here");
    }

    #[test]
    fn file_names() {
        assert!(well_formed_name("0001_init.sql"));
        assert!(well_formed_name("12345_add_x2.sql"));
        assert!(!well_formed_name("001_init.sql"));
        assert!(!well_formed_name("0001-init.sql"));
        assert!(!well_formed_name("0001_Init.sql"));
        assert!(!well_formed_name("0001__init.sql"));
        assert!(!well_formed_name("0001_init.SQL"));
        assert_eq!(parse_version("0007_AddX.sql"), (Some(7), Some("0007".into())));
        assert_eq!(parse_version("x.sql"), (None, None));
    }

    #[test]
    fn large_inputs_are_handled_without_recursion_or_panic() {
        let mut big = "SELECT 1; -- trm-ci: ignore=migrations/destructive x\n".repeat(50_000);
        big.push_str(&"(".repeat(200_000));
        big.push_str(&"x".repeat(1_000_000));
        big.push_str(" $a$ unterminated");
        let m = parse(&big);
        assert_eq!(m.sql_statements().count(), 50_001);
        assert!(!m.errors.is_empty());
    }

    /// A small deterministic generator: random bytes and random mixes of SQL
    /// fragments never panic, and every span lies on char boundaries in order.
    #[test]
    fn random_input_never_panics() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let frags = [
            "'", "\"", "$$", "$a$", "$1", "--", "/*", "*/", "\\", "\n", ";", "(", ")", "E'", "U&'", ":'", "::", "é", "BEGIN",
            "END", "CREATE FUNCTION", "ATOMIC", "CASE", "x", " ", "DROP", "TABLE", "ALTER TABLE t DROP", ",", ".", "directus_",
            "DO", "$$ COMMIT; CALL p(); $$", "CALL a.b", "CREATE PROCEDURE p() LANGUAGE plpgsql AS", "FROM", "JOIN", "WITH x AS",
            "REFERENCES", " ON ", "COMMENT ON COLUMN", "GRANT ON", "CREATE INDEX", "TRIGGER", "USING", "MERGE INTO", "'x'",
        ];
        for round in 0..3000 {
            let s: String = if round % 2 == 0 {
                let len = (next() % 200) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| (next() % 128) as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                (0..(next() % 40)).map(|_| frags[(next() % frags.len() as u64) as usize]).collect()
            };
            let m = parse(&s);
            let mut last = 0;
            for st in &m.statements {
                assert!(st.start <= st.end && st.end <= s.len(), "{s:?}");
                assert!(s.is_char_boundary(st.start) && s.is_char_boundary(st.end));
                assert!(st.start >= last || st.is_meta(), "{s:?}");
                last = st.start;
            }
        }
        // Raw non-UTF-8 bytes: the model is empty, no panic.
        let m = Migration::parse(&SourceFile::new("db-init/0001_x.sql", vec![0xff, 0xfe, b';'], None));
        assert!(!m.readable && m.statements.is_empty());
    }
}
