//! The job summary (`GITHUB_STEP_SUMMARY`, under its 1 MiB limit) and the
//! fallback annotations as workflow commands, for when there is no check run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::render::workflow_commands::{escape_data, escape_property};
use crate::render::markdown;
use crate::results::Results;

/// GitHub shows 10 errors and 10 warnings of a step and drops the rest.
pub const FALLBACK_PER_LEVEL: usize = 10;
/// What one step may append to its summary file (GitHub's limit is 1 MiB).
pub const SUMMARY_BYTES: usize = 1_000_000;

/// The 10 most severe errors and 10 warnings as `::error`/`::warning`
/// commands, and the findings left out (for the job summary).
pub fn workflow_annotations(doc: &Results) -> (String, Vec<Finding>) {
    let mut out = String::new();
    let mut rest = Vec::new();
    let (mut errors, mut warnings) = (0, 0);
    for f in doc.lint.as_ref().map(|l| l.most_severe_first()).unwrap_or_default() {
        let n = match f.severity {
            Severity::Error => &mut errors,
            Severity::Warning => &mut warnings,
        };
        if *n >= FALLBACK_PER_LEVEL {
            rest.push(f.clone());
            continue;
        }
        *n += 1;
        let mut props = format!("file={}", escape_property(&f.file));
        if let Some(s) = f.span {
            let _ = write!(props, ",line={},col={},endLine={},endColumn={}", s.line, s.col, s.end_line, s.end_col);
        }
        let _ = write!(props, ",title={}", escape_property(&f.rule));
        let msg = if f.help.is_empty() { f.message.clone() } else { format!("{}\nhelp: {}", f.message, f.help) };
        let _ = writeln!(out, "::{} {props}::{}", f.severity.as_str(), escape_data(&msg));
    }
    (out, rest)
}

/// Appends the summary (and the findings not shown as annotations) to `path`.
pub fn write(path: &Path, md: &str, rest: &[Finding]) -> std::io::Result<()> {
    let mut text = String::from(md);
    if !rest.is_empty() {
        let _ = writeln!(text, "\n#### Not shown as annotations ({})\n", rest.len());
        let footer_room = 200;
        for (i, f) in rest.iter().enumerate() {
            let place = match f.span {
                Some(s) => format!("{}:{}", f.file, s.line),
                None => f.file.clone(),
            };
            let line = format!(
                "- {} {} {} {}\n",
                if f.severity == Severity::Error { "❌" } else { "⚠️" },
                markdown::code(&place),
                markdown::code(&f.rule),
                markdown::message(&f.message)
            );
            if text.len() + line.len() + footer_room > SUMMARY_BYTES {
                let _ = writeln!(text, "- … and {} more (cut to fit the job summary's limit)", rest.len() - i);
                break;
            }
            text.push_str(&line);
        }
    }
    if text.len() > SUMMARY_BYTES {
        let mut end = SUMMARY_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(sev: Severity, n: u32) -> Finding {
        Finding {
            rule: "a/b".into(),
            severity: sev,
            file: "f,1.sql".into(),
            span: Some(crate::finding::Span { line: n, col: 1, end_line: n, end_col: 2, offset: 0, len: 0 }),
            message: "100% bad\nreally".into(),
            help: String::new(),
        }
    }

    #[test]
    fn ten_per_level_rest_returned() {
        let mut lint = crate::results::Lint::default();
        for n in 1..=15 {
            lint.findings.push(finding(Severity::Error, n));
            lint.findings.push(finding(Severity::Warning, n));
        }
        let doc = Results { lint: Some(lint), ..Results::default() };
        let (cmds, rest) = workflow_annotations(&doc);
        assert_eq!(cmds.lines().filter(|l| l.starts_with("::error ")).count(), 10);
        assert_eq!(cmds.lines().filter(|l| l.starts_with("::warning ")).count(), 10);
        assert_eq!(rest.len(), 10);
        assert!(cmds.contains("file=f%2C1.sql,line=1,col=1"), "{cmds}");
        assert!(cmds.contains("::100%25 bad%0Areally"), "{cmds}");
    }
}
