//! What in a SQL file psql would run itself instead of sending to the
//! server, and which of it the db-init runner refuses
//! (`scripts/apply-db-init.sh`'s `meta_commands`, the same list and the same
//! reading): every meta-command except `\echo`, `\qecho` and `\warn`; those
//! three too when a backquote (psql runs its content as a shell command) or
//! another backslash (a second meta-command) follows on their line; and a
//! '…' string whose closing quote follows an odd run of backslashes, since
//! with `standard_conforming_strings` off (a file can turn it off) that
//! quote does not close it and what follows could be a meta-command.

use super::lex::{Piece, TokKind, Token};
use crate::finding::Span;
use crate::source::SourceFile;

/// The meta-commands the runner lets through: they only print (psql's
/// documentation: `\echo`, `\qecho` write their arguments to standard output
/// or the query output, `\warn` to standard error).
pub const ALLOWED: &[&str] = &["echo", "qecho", "warn"];

/// One thing in a file that the runner refuses before applying anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub span: Span,
    pub what: Refusal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `\name`, not in [`ALLOWED`].
    Command { name: String },
    /// An allowed command with a backquote or another backslash on its line.
    ShellOrSecond { name: String },
    /// A plain '…' string whose closing quote follows an odd run of backslashes.
    BackslashQuote,
}

/// Adds the refused constructs of one piece (a meta-command, or a
/// statement's strings, `tokens` being the lexer's tokens so far) to `out`;
/// the caller sorts them into file order.
pub(super) fn refused_in(src: &SourceFile, text: &str, tokens: &[Token], piece: &Piece, out: &mut Vec<Refused>) {
    match *piece {
        Piece::Meta { start, end, name_end } => {
            let name = &text[start + 1..name_end];
            // `\;` and `\:` put a `;` or `:` into the query (psqlscan.l): not commands.
            if name.starts_with(';') || name.starts_with(':') {
                return;
            }
            let head = src.span(start, name_end.max(start + 1));
            if !ALLOWED.contains(&name) {
                out.push(Refused { span: head, what: Refusal::Command { name: name.to_string() } });
            } else if text[name_end..end].contains(['`', '\\']) {
                out.push(Refused { span: head, what: Refusal::ShellOrSecond { name: name.to_string() } });
            }
        }
        Piece::Sql { tokens: ref range, .. } => {
            let b = text.as_bytes();
            for t in &tokens[range.clone()] {
                if t.kind != TokKind::Str {
                    continue;
                }
                // E'…' strings take backslash escapes in every setting.
                let Some(open) = b[t.start..t.end].iter().position(|&c| c == b'\'') else { continue };
                if open > 0 && b[t.start..t.start + open].eq_ignore_ascii_case(b"e") {
                    continue;
                }
                let mut run = 0usize;
                for i in t.start + open + 1..t.end {
                    match b[i] {
                        b'\\' => run += 1,
                        b'\'' => {
                            if run % 2 == 1 {
                                out.push(Refused { span: src.span(i, i + 1), what: Refusal::BackslashQuote });
                                break;
                            }
                            run = 0;
                        }
                        _ => run = 0,
                    }
                }
            }
        }
    }
}

impl Refused {
    /// What the finding (and `--postgres`'s refusal) says.
    pub fn message(&self) -> String {
        match &self.what {
            Refusal::Command { name } => format!(
                "psql meta-command `\\{name}`: psql runs it itself, outside the runner's one transaction; the image's runner refuses the file before applying anything"
            ),
            Refusal::ShellOrSecond { name } => format!(
                "`\\{name}` with a backquote or another backslash on its line: psql runs a backquoted text as a shell command, and a backslash starts another meta-command; the image's runner refuses the file"
            ),
            Refusal::BackslashQuote => "a backslash right before the closing quote of a '…' string: with standard_conforming_strings off the quote does not close the string, so where the string ends (and whether a psql meta-command follows) depends on a setting; the image's runner refuses the file".to_string(),
        }
    }

    pub fn help(&self) -> String {
        match &self.what {
            Refusal::Command { name } => match name.as_str() {
                "set" | "unset" | "pset" => "remove it: the runner sets ON_ERROR_STOP itself; write values into the SQL (or use `SET` / `set_config` for server settings)".into(),
                "c" | "connect" => "remove it: each file runs on the connection the runner opened (DB_* settings)".into(),
                "i" | "ir" | "include" | "include_relative" | "include_if_exists" => "put the statements into this migration (or their own numbered file): the runner applies only the files in the directory".into(),
                "copy" => "use SQL `COPY … FROM STDIN` with the data inline, or INSERT statements".into(),
                _ if name.starts_with('g') => "end the statement with `;`; for dynamic SQL use a DO block with EXECUTE".into(),
                _ => "remove it; only \\echo, \\qecho and \\warn (printing) are allowed in a migration".into(),
            },
            Refusal::ShellOrSecond { .. } => "keep the text of \\echo plain: no backquotes, no second backslash command on the line".into(),
            Refusal::BackslashQuote => "write the string as E'…\\\\' (an escaped backslash) or dollar-quoted ($$…\\$$)".into(),
        }
    }
}
