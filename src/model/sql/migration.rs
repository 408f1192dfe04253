//! One migration file: its name and version, its statements (lexed, then
//! classified) and its inline-ignore pragmas.

use super::classify::classify;
use super::lex::{lex_each, Comment, Piece};
use super::psql_meta::{self, Refused};
use super::statement::{Kind, SqlError, Statement};
use crate::finding::{parse_pragma, Suppression};
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
    /// Ends in `.sql` and is not a dot-file: only these are parsed (the runner
    /// applies only these).
    pub is_sql: bool,
    /// False for unreadable files (binary, not UTF-8, too large): no statements.
    pub readable: bool,
    /// The statements a rule reads, in file order: every statement except
    /// plain ones ([`Statement::matters`]), which are only counted in
    /// `plain_statements` (a 16 MB file of INSERTs into `app.*` keeps none).
    /// [`Migration::parse_all`] keeps them all.
    pub statements: Vec<Statement>,
    /// SQL statements not kept in `statements` because no rule reads them.
    pub plain_statements: usize,
    /// Certain syntax errors (lexer, parentheses, unknown command).
    pub errors: Vec<SqlError>,
    pub suppressions: Vec<Suppression>,
    /// What psql would run itself and the image's runner refuses
    /// (meta-commands other than \echo, \qecho, \warn; see [`psql_meta`]).
    pub refused: Vec<Refused>,
}

impl Migration {
    /// Parses a file, keeping the statements the rules read; a statement
    /// that names tables in `public` is one of them when `watched` says so of
    /// one of its tables (see [`Statement::matters`]).
    pub fn parse(src: &SourceFile, watched: &dyn Fn(&str) -> bool) -> Migration {
        Self::parse_keeping(src, Some(watched))
    }

    /// Parses a file, keeping every statement (the replay's error location,
    /// tests).
    pub fn parse_all(src: &SourceFile) -> Migration {
        Self::parse_keeping(src, None)
    }

    fn parse_keeping(src: &SourceFile, watched: Option<&dyn Fn(&str) -> bool>) -> Migration {
        let file_name = src.path.rsplit('/').next().unwrap_or(&src.path).to_string();
        let (version, version_text) = parse_version(&file_name);
        // The runner's `*.sql` glob skips dot-files: `.0004_x.sql` is never applied.
        let is_sql = file_name.ends_with(".sql") && !file_name.starts_with('.');
        let mut m = Migration {
            path: src.path.clone(),
            file_name,
            version,
            version_text,
            is_sql,
            readable: src.text().is_ok(),
            statements: Vec::new(),
            plain_statements: 0,
            errors: Vec::new(),
            suppressions: Vec::new(),
            refused: Vec::new(),
        };
        let Ok(text) = src.text() else { return m };
        if !is_sql {
            return m;
        }
        // Statements are classified as the lexer finishes each, and only the
        // statement being lexed keeps its tokens: memory follows what is kept.
        let mut refused = Vec::new();
        // Where the statements around an inline-ignore pragma are (kept or
        // not): a pragma applies to the statement that starts after it.
        let mut bounds: Vec<Bounds> = Vec::new();
        let (mut seen_comments, mut record_next) = (0, false);
        let mut pragmas: Vec<Pragma> = Vec::new();
        let lexed = lex_each(text, false, &mut |lexed, p| {
            psql_meta::refused_in(src, text, &lexed.tokens, p, &mut refused);
            let st = match p {
                Piece::Meta { start, end, name_end } => meta_statement(src, text, *start, *end, *name_end),
                Piece::Sql { start, end, tokens } => {
                    let toks = &lexed.tokens[tokens.clone()];
                    let mut st = classify(src, text, *start, *end, toks, &mut m.errors, lexed.error.is_some());
                    if matches!(st.kind, Kind::AlterTable | Kind::CreateIndex) {
                        st.ddl = super::ddl::analyze(src, text, toks);
                    }
                    st
                }
            };
            // Each comment is read for a pragma once, when the statement after it is handed over.
            let before = pragmas.len();
            pragmas.extend(lexed.comments[seen_comments..].iter().filter_map(|c| Pragma::read(text, c)));
            seen_comments = lexed.comments.len();
            let pragma = pragmas.len() > before;
            if pragma || record_next {
                bounds.push(Bounds { start: st.start, line: st.span.line, end_line: st.span.end_line });
            }
            record_next = pragma;
            if watched.is_none_or(|w| st.matters(w)) {
                m.statements.push(st);
            } else {
                m.plain_statements += 1;
            }
        });
        if let Some((at, msg)) = &lexed.error {
            let end = text[*at..].find('\n').map(|k| at + k).unwrap_or(text.len());
            m.errors.insert(
                0,
                SqlError {
                    message: msg.clone(),
                    help: "close it: everything from here to the end of the file is swallowed by it".into(),
                    span: src.span(*at, end),
                },
            );
        }
        refused.sort_by_key(|r| (r.span.line, r.span.col));
        m.refused = refused;
        // The comments after the last statement.
        pragmas.extend(lexed.comments[seen_comments..].iter().filter_map(|c| Pragma::read(text, c)));
        m.statements.sort_by_key(|s| s.start);
        m.statements.shrink_to_fit();
        bounds.sort_by_key(|b| b.start);
        let mut changed = false;
        for st in &mut m.statements {
            st.search_path_changed = changed;
            if let Some(away) = st.sets_search_path {
                changed = away;
            }
        }
        m.suppressions = suppressions(src, text, pragmas, &bounds);
        m
    }

    /// The kept statements that are SQL (not psql meta-commands).
    pub fn sql_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| !s.is_meta())
    }

    /// Whether the file has a SQL statement (kept or only counted).
    pub fn has_sql(&self) -> bool {
        self.plain_statements > 0 || self.sql_statements().next().is_some()
    }
}

/// `0007_add_x.sql` → (Some(7), Some("0007")).
pub(super) fn parse_version(name: &str) -> (Option<u64>, Option<String>) {
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

/// A meta-command as a statement of its own.
fn meta_statement(src: &SourceFile, text: &str, start: usize, end: usize, name_end: usize) -> Statement {
    let kind = Kind::Meta { name: text[start + 1..name_end].to_string() };
    Statement::new(start, end, src.span(start, end), src.span(start, name_end), kind)
}

/// Where a statement is: its first byte and its lines.
pub(super) struct Bounds {
    start: usize,
    line: u32,
    end_line: u32,
}

/// An inline-ignore pragma in a `--` or `/* */` comment: the comment's byte
/// range, the rule ids and the reason.
struct Pragma {
    start: usize,
    end: usize,
    rules: Vec<String>,
    reason: String,
}

impl Pragma {
    fn read(text: &str, c: &Comment) -> Option<Pragma> {
        let (rules, reason) = parse_pragma(&text[c.body_start..c.body_end])?;
        Some(Pragma { start: c.start, end: c.end, rules, reason })
    }
}

fn suppressions(src: &SourceFile, text: &str, pragmas: Vec<Pragma>, stmts: &[Bounds]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for Pragma { start, end, rules, reason } in pragmas {
        let body_end = if text[start..end].ends_with('\r') { end - 1 } else { end };
        let span = src.span(start, body_end);
        // The next statement that starts after the pragma.
        let next = stmts.get(stmts.partition_point(|s| s.start < end));
        let (first_line, last_line) = match next {
            Some(s) => (s.line, s.end_line),
            None => (span.line, span.line),
        };
        out.push(Suppression { file: src.path.clone(), span, rules, reason, first_line, last_line });
    }
    out
}
