//! One migration file: its name and version, its statements (lexed, then
//! classified) and its inline-ignore pragmas.

use super::classify::classify;
use super::lex::{lex, Piece};
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
    pub statements: Vec<Statement>,
    /// Certain syntax errors (lexer, parentheses, unknown command).
    pub errors: Vec<SqlError>,
    pub suppressions: Vec<Suppression>,
    /// What psql would run itself and the image's runner refuses
    /// (meta-commands other than \echo, \qecho, \warn; see [`psql_meta`]).
    pub refused: Vec<Refused>,
}

impl Migration {
    pub fn parse(src: &SourceFile) -> Migration {
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
            errors: Vec::new(),
            suppressions: Vec::new(),
            refused: Vec::new(),
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
                        ddl: None,
                    });
                }
                Piece::Sql { start, end, tokens } => {
                    let toks = &lexed.tokens[tokens.clone()];
                    let mut st = classify(src, text, *start, *end, toks, &mut m.errors, lexed.error.is_some());
                    if matches!(st.kind, Kind::AlterTable | Kind::CreateIndex) {
                        st.ddl = super::ddl::analyze(src, text, toks);
                    }
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
        m.refused = psql_meta::refused(src, text, &lexed);
        m
    }

    /// The statements that are SQL (not psql meta-commands).
    pub fn sql_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| !s.is_meta())
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

pub(super) fn suppressions(src: &SourceFile, text: &str, comments: &[(usize, usize)], stmts: &[Statement]) -> Vec<Suppression> {
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
