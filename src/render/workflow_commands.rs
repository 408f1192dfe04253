//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding, escaped exactly as `@actions/core` escapes them:
//!
//! ```text
//! ::error file=db-init/0003_x.sql,line=4,col=1,endLine=4,endColumn=22,title=migrations/destructive::DROP TABLE ...%0Ahelp: ...
//! ```
//!
//! Then each note as `::notice::` (main prints notes on stderr only for the
//! human format or `--output`) and a plain summary line (not a command, so
//! the runner just logs it).

use std::fmt::Write as _;

use crate::results::{Lint, Results};

/// The lint stage's findings as annotations (a document without lint has none).
pub fn render(doc: &Results) -> String {
    let empty = Lint::default();
    let report = doc.lint.as_ref().unwrap_or(&empty);
    let mut out = String::new();
    for f in &report.findings {
        // Workflow commands are named like the severities: ::error / ::warning.
        let cmd = f.severity.as_str();
        let mut props = format!("file={}", escape_property(&f.file));
        if let Some(s) = f.span {
            let _ = write!(props, ",line={},col={},endLine={},endColumn={}", s.line, s.col, s.end_line, s.end_col);
        }
        let _ = write!(props, ",title={}", escape_property(&f.rule));
        let msg = if f.help.is_empty() { f.message.clone() } else { format!("{}\nhelp: {}", f.message, f.help) };
        let _ = writeln!(out, "::{cmd} {props}::{}", escape_data(&msg));
    }
    for n in &super::lint_notes::words(report) {
        let _ = writeln!(out, "::notice title=trm-ci::{}", escape_data(n));
    }
    let _ = writeln!(out, "trm-ci: {}", super::human::summary_line(report, false));
    out
}

/// `escapeData` of @actions/core: `%` → `%25`, CR → `%0D`, LF → `%0A`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// `escapeProperty` of @actions/core: escapeData plus `:` → `%3A`, `,` → `%2C`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(escape_property("a%b\r\nc:d,e"), "a%25b%0D%0Ac%3Ad%2Ce");
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
    }
}
