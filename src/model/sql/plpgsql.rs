//! PL/pgSQL bodies (DO blocks, procedures): the COMMIT / ROLLBACK and
//! CALL statements in them.

use super::cursor::Cursor;
use super::tables::qualified_parts;
use super::lex::{lex, TokKind, Token};
use super::statement::TableName;
use crate::finding::Span;
use crate::source::SourceFile;

/// The COMMIT / ROLLBACK and CALL statements of a PL/pgSQL body (a `$$…$$`
/// or `'…'` token), with spans in the file. A statement starts the body,
/// or follows `;`, BEGIN, THEN, ELSE, LOOP or a `<<label>>`; strings,
/// comments and nested dollar quotes (EXECUTE 'COMMIT') are not looked into.
pub(super) fn plpgsql_body(src: &SourceFile, text: &str, body: &Token) -> (Vec<(String, Span)>, Vec<TableName>) {
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
