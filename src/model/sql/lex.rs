//! The psql-compatible lexer: splits a file into tokens and statements
//! with exact byte spans (comments, strings, dollar quotes, psql
//! meta-commands, `COPY … FROM stdin` data, `BEGIN ATOMIC` bodies).

use super::cursor::Cursor;

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
    /// `--` and `/* */` comments, in file order.
    pub comments: Vec<Comment>,
    /// An unterminated construct: (offset, message).
    pub error: Option<(usize, String)>,
}

/// A comment: its byte range (with `--`, or `/*` and `*/`) and its body's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub body_start: usize,
    pub body_end: usize,
}

/// A statement as the lexer splits it.
#[derive(Debug, Clone)]
pub enum Piece {
    Sql { start: usize, end: usize, tokens: std::ops::Range<usize> },
    /// A meta-command: byte range of the line from the backslash, the name.
    Meta { start: usize, end: usize, name_end: usize },
}

pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}
pub(super) fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Splits `text` into statements. Never panics; offsets are always on char
/// boundaries (every split point is an ASCII byte or the end).
pub fn lex(text: &str) -> Lexed {
    lex_each(text, true, &mut |_, _| {})
}

/// Splits `text` into statements and hands each piece to `on` as soon as it
/// is complete, with the tokens so far (a `Piece::Sql`'s range indexes
/// them). With `keep` false, the pieces are not collected and a statement's
/// tokens are dropped once `on` has seen it: memory stays with one
/// statement's tokens, not the file's. A meta-command inside an open
/// statement comes before that statement.
#[allow(unused_assignments)]
pub fn lex_each(text: &str, keep: bool, on: &mut dyn FnMut(&Lexed, &Piece)) -> Lexed {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Lexed::default();
    // psql drops a UTF-8 byte-order mark at the start of a file (-f and \\i alike).
    let mut i = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
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
                let piece = Piece::Sql { start, end: $end, tokens: first..out.tokens.len() };
                emit(&mut out, keep, on, piece);
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
            out.comments.push(Comment { start: i, end, body_start: i + 2, body_end: end });
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
            out.comments.push(Comment { start, end: i, body_start: start + 2, body_end: i - 2 });
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
            emit(&mut out, keep, on, Piece::Meta { start: i, end, name_end });
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
                    None => return fail(out, tok_start, "unterminated string literal ('…')", stmt_first_tok, n, keep, on),
                }
                kind = TokKind::Str;
            }
            b'"' => {
                match scan_quoted(b, i + 1, b'"', false) {
                    Some(e) => i = e,
                    None => return fail(out, tok_start, "unterminated quoted identifier (\"…\")", stmt_first_tok, n, keep, on),
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
                            return fail(out, tok_start, &msg, stmt_first_tok, n, keep, on);
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
                    None => return fail(out, tok_start, "unterminated psql variable (:'…')", stmt_first_tok, n, keep, on),
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
                        None => return fail(out, tok_start, "unterminated string literal (E'…')", stmt_first_tok, n, keep, on),
                    }
                    kind = TokKind::Str;
                } else if matches!(c, b'b' | b'B' | b'x' | b'X' | b'n' | b'N') && next == Some(b'\'') {
                    match scan_quoted(b, i + 2, b'\'', false) {
                        Some(e) => i = e,
                        None => return fail(out, tok_start, "unterminated string literal", stmt_first_tok, n, keep, on),
                    }
                    kind = TokKind::Str;
                } else if (c == b'u' || c == b'U') && next == Some(b'&') && matches!(b.get(i + 2), Some(b'\'') | Some(b'"')) {
                    let q = b[i + 2];
                    match scan_quoted(b, i + 3, q, false) {
                        Some(e) => i = e,
                        None => return fail(out, tok_start, "unterminated Unicode-escaped literal (U&…)", stmt_first_tok, n, keep, on),
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
pub(super) fn is_copy_from_stdin(text: &str, toks: &[Token]) -> bool {
    let c = Cursor { text, toks };
    c.is(0, "copy") && (1..toks.len()).any(|k| c.is(k, "from") && c.is(k + 1, "stdin"))
}

/// Skips COPY data from `i` (just after the command) to after the `\.` line
/// (or to the end of the file). Returns the new offset.
pub(super) fn skip_copy_data(b: &[u8], i: usize) -> usize {
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

pub(super) fn last_token_end(out: &Lexed, first: Option<usize>) -> usize {
    match first {
        Some(_) => out.tokens.last().map(|t| t.end).unwrap_or(0),
        None => 0,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn fail(mut out: Lexed, at: usize, msg: &str, first: Option<usize>, n: usize, keep: bool, on: &mut dyn FnMut(&Lexed, &Piece)) -> Lexed {
    out.error = Some((at, msg.to_string()));
    let start = match first {
        Some(f) => out.tokens[f].start,
        None => at,
    };
    let tokens = first.unwrap_or(out.tokens.len())..out.tokens.len();
    emit(&mut out, keep, on, Piece::Sql { start, end: n, tokens });
    out
}

/// Hands a finished piece to `on`; keeps it, or drops a statement's tokens.
fn emit(out: &mut Lexed, keep: bool, on: &mut dyn FnMut(&Lexed, &Piece), piece: Piece) {
    on(out, &piece);
    if keep {
        out.pieces.push(piece);
    } else if matches!(piece, Piece::Sql { .. }) {
        out.tokens.clear();
    }
}

/// Scans a quoted run starting after the opening quote; a doubled quote is an
/// escape; with `backslash`, `\x` escapes too. Returns the offset after the
/// closing quote.
pub(super) fn scan_quoted(b: &[u8], mut i: usize, q: u8, backslash: bool) -> Option<usize> {
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
pub(super) fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
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

pub(super) fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

pub(super) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
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

#[inline]
pub(super) fn word_at<'t>(text: &'t str, toks: &[Token], i: usize) -> Option<&'t str> {
    let t = toks.get(i)?;
    (t.kind == TokKind::Word).then(|| &text[t.start..t.end])
}
