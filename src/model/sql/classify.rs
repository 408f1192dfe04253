//! The class of each statement, from its leading keywords (and sqlparser's
//! AST where it decides a finding), and the certain syntax errors.

use super::cursor::{ident_value, Cursor};
use super::lex::{TokKind, Token};
use super::plpgsql::plpgsql_body;
use super::statement::{Kind, SqlError, Statement};
use super::tables::{table_refs, top_word_after};
use crate::source::SourceFile;

/// Postgres's statement-leading keywords (every SQL command of PostgreSQL 15).
pub(super) const COMMANDS: &[&str] = &[
    "abort", "alter", "analyse", "analyze", "begin", "call", "checkpoint", "close", "cluster", "comment", "commit",
    "copy", "create", "deallocate", "declare", "delete", "discard", "do", "drop", "end", "execute", "explain",
    "fetch", "grant", "import", "insert", "listen", "load", "lock", "merge", "move", "notify", "prepare",
    "reassign", "refresh", "reindex", "release", "reset", "revoke", "rollback", "savepoint", "security", "select",
    "set", "show", "start", "table", "truncate", "unlisten", "update", "vacuum", "values", "with",
];

/// Words that may follow CREATE, ALTER or DROP (object types and modifiers,
/// the union over the three commands: only a word outside this set is an error).
pub(super) const OBJECT_WORDS: &[&str] = &[
    "access", "aggregate", "cast", "collation", "constraint", "conversion", "database", "default", "domain",
    "event", "extension", "foreign", "function", "global", "group", "index", "language", "large", "local",
    "materialized", "operator", "or", "owned", "policy", "procedural", "procedure", "publication", "recursive",
    "role", "routine", "rule", "schema", "sequence", "server", "statistics", "subscription", "system", "table",
    "tablespace", "temp", "temporary", "text", "transform", "trigger", "trusted", "type", "unique", "unlogged",
    "user", "view",
];

pub(super) fn classify(
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
    let mut st = Statement::new(start, end, span, span, Kind::Unknown);
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
    // A statement longer than MAX_AST_TOKENS keeps the tokens' answer.
    if matches!(st.kind, Kind::Delete | Kind::Update) && st.has_where == Some(false) && toks.len() <= MAX_AST_TOKENS {
        refine_with_ast(&text[start..end], &mut st);
    }
    st
}

pub(super) fn skip_parens(c: &Cursor, mut i: usize) -> usize {
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

pub(super) fn classify_create(src: &SourceFile, c: &Cursor, st: &mut Statement) {
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

pub(super) fn classify_drop(src: &SourceFile, c: &Cursor, st: &mut Statement) {
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
pub(super) fn classify_alter_table(src: &SourceFile, c: &Cursor, st: &mut Statement) {
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

pub(super) fn classify_dml(src: &SourceFile, c: &Cursor, st: &mut Statement, w0: &str) {
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
pub(super) fn search_path_setting(c: &Cursor) -> Option<bool> {
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

/// The closest candidate within edit distance 2 (for "did you mean").
pub(super) fn suggest<'a>(w: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if w.len() < 3 || w.len() > 24 {
        return None;
    }
    candidates.iter().map(|c| (levenshtein(w, c), *c)).filter(|(d, _)| *d <= 2).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

pub(super) fn levenshtein(a: &str, b: &str) -> usize {
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

/// The longest statement (in tokens) handed to sqlparser. Its recursion limit
/// does not count an operator chain (`SET a = 'x' || 'x' || …` is parsed in a
/// loop into a left-deep tree), and dropping a tree 200,000 deep overflowed
/// the stack (exit 134, no location). A tree is never deeper than its
/// statement has tokens; 10,000 is far below what the stack holds and far
/// above any DELETE or UPDATE written by hand.
pub(super) const MAX_AST_TOKENS: usize = 10_000;

/// Runs sqlparser on one statement and takes its answer where it parses.
pub(super) fn refine_with_ast(sql: &str, st: &mut Statement) {
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
