//! `--format human`: one miette code frame per finding (rule id, message,
//! the offending lines, the help line), then a one-line summary.
//!
//! Colour only when `color` is true (main passes true for a terminal without
//! `NO_COLOR`); otherwise the output contains no ANSI escape at all.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use crate::finding::{Finding, Severity};
use crate::lint::Report;

/// Width of the frames; fixed so the output does not depend on the terminal
/// (and snapshot tests are stable). Messages and help lines are not wrapped:
/// a help line often holds a pragma or a command to copy whole.
const WIDTH: usize = 100;

pub fn render(report: &Report, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(false)
        .with_width(WIDTH)
        .with_wrap_lines(false)
        .with_context_lines(1);
    // One shared copy of each file's text for all its frames.
    let sources: BTreeMap<&str, Arc<str>> =
        report.sources.iter().map(|(k, v)| (k.as_str(), Arc::<str>::from(v.as_str()))).collect();

    let mut out = String::new();
    for f in &report.findings {
        let src = sources.get(f.file.as_str());
        let frame = Frame::new(f, src);
        let mut one = String::new();
        if handler.render_report(&mut one, &frame).is_ok() {
            out.push_str(&one);
        } else {
            // A span that does not fit the text: never lose the finding.
            out.push_str(&plain(f));
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
    }
    out.push_str(&summary_line(report, color));
    out.push('\n');
    out
}

/// `2 errors, 1 warning in 14 files`
pub fn summary_line(report: &Report, color: bool) -> String {
    let e = report.count(Severity::Error);
    let w = report.count(Severity::Warning);
    let errors = plural(e, "error");
    let warnings = plural(w, "warning");
    let files = plural(report.files_checked, "file");
    if color {
        let errors = if e > 0 { format!("\u{1b}[1;31m{errors}\u{1b}[0m") } else { errors };
        let warnings = if w > 0 { format!("\u{1b}[1;33m{warnings}\u{1b}[0m") } else { warnings };
        format!("{errors}, {warnings} in {files}")
    } else {
        format!("{errors}, {warnings} in {files}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The fallback when miette cannot draw a frame.
fn plain(f: &Finding) -> String {
    let mut s = String::new();
    let _ = match f.span {
        Some(sp) => writeln!(s, "{}:{}:{}: {} [{}] {}", f.file, sp.line, sp.col, f.severity.as_str(), f.rule, f.message),
        None => writeln!(s, "{}: {} [{}] {}", f.file, f.severity.as_str(), f.rule, f.message),
    };
    let _ = writeln!(s, "  help: {}", f.help);
    s
}

/// One finding as a miette diagnostic.
struct Frame<'a> {
    finding: &'a Finding,
    /// `file: message` for findings that cannot point into the text.
    headline: String,
    source: Option<NamedSource<Arc<str>>>,
    label: Option<(usize, usize)>,
}

impl<'a> Frame<'a> {
    fn new(f: &'a Finding, text: Option<&Arc<str>>) -> Frame<'a> {
        let range = match (f.span, text) {
            (Some(sp), Some(t)) => Some(clamp(t, sp.offset, sp.len)),
            _ => None,
        };
        match (range, text) {
            (Some(r), Some(t)) => Frame {
                finding: f,
                headline: f.message.clone(),
                source: Some(NamedSource::new(&f.file, t.clone())),
                label: Some(r),
            },
            _ => {
                let headline = match f.span {
                    Some(sp) => format!("{}:{}:{}: {}", f.file, sp.line, sp.col, f.message),
                    None => format!("{}: {}", f.file, f.message),
                };
                Frame { finding: f, headline, source: None, label: None }
            }
        }
    }
}

/// A byte range inside `text`, on character boundaries.
fn clamp(text: &str, offset: usize, len: usize) -> (usize, usize) {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = offset.saturating_add(len).min(text.len()).max(start);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end - start)
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame").field("finding", self.finding).finish()
    }
}

impl fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline)
    }
}

impl std::error::Error for Frame<'_> {}

impl Diagnostic for Frame<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.finding.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.finding.help))
        }
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (start, len) = self.label?;
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(self.finding.severity.as_str().to_string()),
            (start, len),
        ))))
    }
}
