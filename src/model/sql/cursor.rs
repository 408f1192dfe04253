//! Reading a statement's tokens: words, punctuation, identifiers and
//! (possibly qualified) names.

use super::lex::{word_at, TokKind, Token};
use super::statement::TableName;
use crate::source::SourceFile;

/// The value of an identifier token: unquoted words fold to lower case,
/// quoted ones keep their case with `""` unescaped.
pub(super) fn ident_value(text: &str, t: &Token) -> Option<String> {
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

pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    pub(super) toks: &'a [Token],
}

impl<'a> Cursor<'a> {
    #[inline]
    pub(super) fn word(&self, i: usize) -> Option<&'a str> {
        word_at(self.text, self.toks, i)
    }
    #[inline]
    pub(super) fn is(&self, i: usize, w: &str) -> bool {
        self.word(i).is_some_and(|x| x.eq_ignore_ascii_case(w))
    }
    #[inline]
    pub(super) fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == TokKind::Punct(c))
    }
    /// Skips `IF [NOT] EXISTS` and `ONLY` at `i`.
    pub(super) fn skip_if_exists(&self, mut i: usize) -> usize {
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
    pub(super) fn name(&self, src: &SourceFile, i: usize) -> Option<(TableName, usize)> {
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
