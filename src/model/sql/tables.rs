//! Table references: every table a statement names in a table position,
//! and how it uses it.

use super::cursor::{ident_value, Cursor};
use super::lex::{TokKind, Token};
use super::statement::{TableName, TableRef, TableRole};
use crate::source::SourceFile;

/// Words that end a FROM item instead of being its alias.
pub(super) const NOT_ALIAS: &[&str] = &[
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
pub(super) fn table_refs(src: &SourceFile, c: &Cursor) -> Vec<TableRef> {
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
pub(super) fn qualified_parts(c: &Cursor, i: usize) -> Vec<(String, Token)> {
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
pub(super) fn names(src: &SourceFile, c: &Cursor, mut i: usize, role: TableRole, out: &mut Vec<TableRef>) {
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
pub(super) fn top_word_after(c: &Cursor, from: usize, w: &str) -> Option<usize> {
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
pub(super) fn matching(c: &Cursor, open: usize) -> usize {
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
pub(super) fn references(src: &SourceFile, c: &Cursor, out: &mut Vec<TableRef>, create: bool) {
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
pub(super) fn cte_names(c: &Cursor) -> std::collections::HashSet<String> {
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
pub(super) fn query_reads(
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
pub(super) fn from_items(src: &SourceFile, c: &Cursor, mut k: usize, ctes: &std::collections::HashSet<String>, out: &mut Vec<TableRef>) -> usize {
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
