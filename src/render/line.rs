//! `--format line`: one line per finding, as compilers and editors read it
//! (`file:line:col: severity [rule] message`), for grep, vim's quickfix and
//! editor problem matchers. A finding about a whole file has no position
//! (`file: severity [rule] message`). No help, no code frame; then the
//! summary line. Control characters in messages become U+FFFD, so a
//! finding is always exactly one line.

use std::fmt::Write as _;

use crate::finding::Finding;
use crate::results::{Lint, Results};

/// The findings to judge, one line each, then the summary line (which counts
/// the pre-existing ones; they are not listed here).
pub fn render(doc: &Results) -> String {
    let empty = Lint::default();
    let report = doc.lint.as_ref().unwrap_or(&empty);
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(out, "{}", one(f));
    }
    let _ = writeln!(out, "{}", super::human::summary_line(report, false));
    out
}

/// `file:line:col: severity [rule] message`, always one line.
pub fn one(f: &Finding) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect::<String>();
    let at = match f.span {
        Some(s) => format!("{}:{}:{}", clean(&f.file), s.line, s.col),
        None => clean(&f.file),
    };
    format!("{at}: {} [{}] {}", f.severity.as_str(), f.rule, clean(&f.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Severity, Span};

    #[test]
    fn one_line_per_finding() {
        let f = |file: &str, span: Option<Span>, msg: &str| Finding {
            rule: "migrations/destructive".into(),
            severity: Severity::Error,
            file: file.into(),
            span,
            message: msg.into(),
            help: "h".into(),
        };
        let s = Span { line: 4, col: 2, end_line: 4, end_col: 9, offset: 0, len: 0 };
        let lint = Lint { findings: vec![f("db-init/0001_x.sql", Some(s), "DROP TABLE\ndrops"), f("db-init/x", None, "m")], ..Lint::default() };
        let out = render(&Results { lint: Some(lint), ..Results::default() });
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "db-init/0001_x.sql:4:2: error [migrations/destructive] DROP TABLE\u{fffd}drops");
        assert_eq!(lines[1], "db-init/x: error [migrations/destructive] m");
        assert_eq!(lines.len(), 3);
    }
}
