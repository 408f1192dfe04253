//! `--format human`: one miette code frame per finding (rule id, message,
//! the offending lines, the help line), then a one-line summary.
//!
//! Colour only when `color` is true (main passes true for a terminal without
//! `NO_COLOR`); otherwise the output contains no ANSI escape at all.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use crate::finding::{Finding, Severity};
use crate::results::{Lint, Results};

/// Width of the frames; fixed so the output does not depend on the terminal
/// (and snapshot tests are stable). Messages and help lines are not wrapped:
/// a help line often holds a pragma or a command to copy whole.
const WIDTH: usize = 100;

/// A frame whose lines (the span's first line and one line of context on
/// each side) are longer than this many bytes shows a window instead: a
/// minified or generated line of hundreds of kilobytes is never printed whole.
const LONG_LINE: usize = 400;
/// Bytes of the span's line kept before and after the span in a window.
const WINDOW_CONTEXT: usize = 120;
/// At most this many bytes of the span itself are shown in a window.
const WINDOW_SPAN: usize = 160;
/// A context line in a window is cut to this many bytes.
const WINDOW_LINE: usize = 120;
const ELLIPSIS: &str = "…";

/// Each stage the document holds: the lint's code frames and summary line, the build's
/// summary, the smoke run's verdict, the upgrade drill's report.
pub fn render(doc: &Results, color: bool) -> String {
    let mut out = String::new();
    if let Some(l) = &doc.lint {
        out.push_str(&lint(l, color));
    }
    if let Some(b) = &doc.build {
        out.push_str(&super::container::build(b));
    }
    if let Some(s) = &doc.smoke {
        out.push_str(&super::container::smoke(s));
    }
    if let Some(u) = &doc.upgrade {
        out.push_str(&super::upgrade_drill::render(u));
    }
    out
}

/// The lint stage: one frame per finding, then the summary line.
fn lint(report: &Lint, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(false)
        .with_width(WIDTH)
        .with_wrap_lines(false)
        .with_context_lines(1);
    // Each file's line starts, built once for all its frames (the frame is a
    // window of a few lines: 40,000 findings in a 16 MB file stay linear).
    let mut texts: BTreeMap<&str, Text<'_>> = BTreeMap::new();

    let mut out = String::new();
    for f in &report.findings {
        let src = match report.sources.get(&f.file) {
            Some(t) => Some(&*texts.entry(f.file.as_str()).or_insert_with(|| Text::new(t))),
            None => None,
        };
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
    if !report.pre_existing.is_empty() {
        out.push_str("pre-existing, in migrations unchanged since the base (not failing; `--all` judges them):\n");
        for f in &report.pre_existing {
            out.push_str("  ");
            out.push_str(&super::line::one(f));
            out.push('\n');
        }
    }
    out
}

/// `2 errors, 1 warning in 14 files`; when a rule's cap left findings out,
/// `… in 14 files (250 more errors left out)`.
pub fn summary_line(report: &Lint, color: bool) -> String {
    let e = report.count(Severity::Error);
    let w = report.count(Severity::Warning);
    let errors = plural(e, "error");
    let warnings = plural(w, "warning");
    let files = plural(report.summary.files_checked, "file");
    let (oe, ow) = (report.omitted_count(Severity::Error), report.omitted_count(Severity::Warning));
    let left_out = match (oe, ow) {
        (0, 0) => String::new(),
        (n, 0) => format!(" ({} more {} left out)", n, if n == 1 { "error" } else { "errors" }),
        (0, n) => format!(" ({} more {} left out)", n, if n == 1 { "warning" } else { "warnings" }),
        (n, m) => format!(" ({} and {} more left out)", plural(n, "error"), plural(m, "warning")),
    };
    let left_out = match report.pre_existing.len() {
        0 => left_out,
        n => format!("{left_out}; {n} pre-existing"),
    };
    if color {
        let errors = if e > 0 { format!("\u{1b}[1;31m{errors}\u{1b}[0m") } else { errors };
        let warnings = if w > 0 { format!("\u{1b}[1;33m{warnings}\u{1b}[0m") } else { warnings };
        format!("{errors}, {warnings} in {files}{left_out}")
    } else {
        format!("{errors}, {warnings} in {files}{left_out}")
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
    let (file, message) = (visible(&f.file), visible(&f.message));
    let _ = match f.span {
        Some(sp) => writeln!(s, "{file}:{}:{}: {} [{}] {message}", sp.line, sp.col, f.severity.as_str(), f.rule),
        None => writeln!(s, "{file}: {} [{}] {message}", f.severity.as_str(), f.rule),
    };
    let _ = writeln!(s, "  help: {}", visible(&f.help));
    s
}

/// Text from a repository (a file name, a message quoting a file) as it is
/// printed: control characters shown as escapes (`\r`, `\n`, `\x1b`), so a
/// name or a line can neither move the cursor, colour the terminal, nor start
/// a line of its own (a `::error` workflow command in an Actions log).
pub fn visible(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A file's text and where its lines start.
struct Text<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Text<'a> {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        Text { text, starts }
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }
}

/// One finding as a miette diagnostic.
struct Frame<'a> {
    finding: &'a Finding,
    /// `file: message` for findings that cannot point into the text.
    headline: String,
    help: String,
    /// The lines the frame shows.
    source: Option<Window>,
    label: Option<(usize, usize)>,
}

impl<'a> Frame<'a> {
    fn new(f: &'a Finding, text: Option<&Text<'_>>) -> Frame<'a> {
        let range = match (f.span, text) {
            (Some(sp), Some(t)) => Some(clamp(t.text, sp.offset, sp.len)),
            _ => None,
        };
        let help = visible(&f.help);
        match (range, text) {
            (Some(r), Some(t)) => {
                let name = visible(&f.file);
                let line0 = t.line_of(r.0);
                let (window, label) = match Window::around(&name, t.text, r, line0) {
                    Some(w) => w,
                    None => Window::lines(&name, t.text, r, line0),
                };
                Frame { finding: f, headline: visible(&f.message), help, source: Some(window), label: Some(label) }
            }
            _ => {
                let headline = match f.span {
                    Some(sp) => format!("{}:{}:{}: {}", visible(&f.file), sp.line, sp.col, visible(&f.message)),
                    None => format!("{}: {}", visible(&f.file), visible(&f.message)),
                };
                Frame { finding: f, headline, help, source: None, label: None }
            }
        }
    }
}

/// The lines a frame shows: the span's lines and one on each side, or, on a
/// very long line, a few hundred characters around the span (and its
/// neighbour lines, cut short) with `…` where text was left out. Line
/// numbers and the header's column are those of the file. Control
/// characters in the lines are shown as `?` (one byte for one byte, so the
/// label stays on its text).
struct Window {
    name: String,
    /// At most three lines: the line before, the span's line, the line after.
    text: String,
    /// 0-based file line of the window's first line.
    first_line: usize,
    /// Which of the window's lines holds the span (0 or 1).
    span_line: usize,
    /// File byte column of the window's span line minus its window column:
    /// added to miette's column on that line.
    col_shift: isize,
}

impl Window {
    /// A window for the byte range `(start, len)` of `text`, with the label's
    /// range inside it; None when the lines are short enough to show whole.
    /// The span's lines (`line0`: 0-based line of `start`) and one on each side.
    fn lines(name: &str, text: &str, (start, len): (usize, usize), line0: usize) -> (Window, (usize, usize)) {
        let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let from = if line_start > 0 { text[..line_start - 1].rfind('\n').map(|i| i + 1).unwrap_or(0) } else { 0 };
        let span_line = usize::from(line_start > 0);
        let end = (start + len).min(text.len());
        let last_end = text[end..].find('\n').map(|i| end + i).unwrap_or(text.len());
        let to = if last_end < text.len() {
            let s = last_end + 1;
            text[s..].find('\n').map(|i| s + i).unwrap_or(text.len())
        } else {
            text.len()
        };
        let window = Window {
            name: name.to_string(),
            text: shown(&text[from..to]),
            first_line: line0.saturating_sub(span_line),
            span_line,
            col_shift: 0,
        };
        (window, (start - from, len))
    }

    fn around(name: &str, text: &str, (start, len): (usize, usize), line0: usize) -> Option<(Window, (usize, usize))> {
        let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line_end = text[start..].find('\n').map(|i| start + i).unwrap_or(text.len());
        let prev = (line_start > 0).then(|| {
            let end = line_start - 1;
            (text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0), end)
        });
        let next = (line_end < text.len()).then(|| {
            let s = line_end + 1;
            (s, text[s..].find('\n').map(|i| s + i).unwrap_or(text.len()))
        });
        let long = |(a, b): (usize, usize)| b - a > LONG_LINE;
        // Every line miette would print: the span's lines and one on each side.
        let span_end = (start + len).min(text.len());
        let last_end = text[span_end..].find('\n').map(|i| span_end + i).unwrap_or(text.len());
        let after = (last_end < text.len()).then(|| {
            let s = last_end + 1;
            (s, text[s..].find('\n').map(|i| s + i).unwrap_or(text.len()))
        });
        let span_lines_long = text[line_start..last_end].split('\n').any(|l| l.len() > LONG_LINE);
        if !span_lines_long && !prev.is_some_and(long) && !after.is_some_and(long) {
            return None;
        }
        let floor = |mut i: usize| {
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let cut = |(a, b): (usize, usize)| {
            let l = text[a..b].trim_end_matches('\r');
            if l.len() > WINDOW_LINE {
                format!("{}{ELLIPSIS}", &l[..floor_in(l, WINDOW_LINE)])
            } else {
                l.to_string()
            }
        };
        // The span's part on its line, at most WINDOW_SPAN bytes, and the
        // context around it.
        let span_end = floor((start + len).min(line_end).min(start + WINDOW_SPAN).max(start));
        let ws = floor(start.saturating_sub(WINDOW_CONTEXT).max(line_start));
        let we = floor((span_end + WINDOW_CONTEXT).min(line_end));
        let mut out = String::new();
        let mut span_line = 0;
        if let Some(p) = prev {
            out.push_str(&cut(p));
            out.push('\n');
            span_line = 1;
        }
        let lead = if ws > line_start { ELLIPSIS } else { "" };
        out.push_str(lead);
        let label_start = out.len() + (start - ws);
        out.push_str(text[ws..we].trim_end_matches('\r'));
        let label = (label_start, (span_end - start).min(out.len() - label_start));
        if we < line_end {
            out.push_str(ELLIPSIS);
        }
        if let Some(n) = next {
            out.push('\n');
            out.push_str(&cut(n));
        }
        let first_line = line0.saturating_sub(span_line);
        let col_shift = (ws - line_start) as isize - lead.len() as isize;
        Some((Window { name: name.to_string(), text: shown(&out), first_line, span_line, col_shift }, label))
    }
}

/// Source lines as a frame prints them: each control character but tab and
/// newline replaced by as many `?` as its bytes (offsets stay the same).
fn shown(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\t' && c != '\n') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        // `\r` before a newline (or at the end) is a line ending: kept.
        let line_end = c == '\r' && matches!(chars.peek(), None | Some('\n'));
        if c.is_control() && c != '\t' && c != '\n' && !line_end {
            for _ in 0..c.len_utf8() {
                out.push('?');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The largest char boundary of `s` at or below `i`.
fn floor_in(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let column = if inner.line() == self.span_line {
            (inner.column() as isize + self.col_shift).max(0) as usize
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + inner.line(),
            column,
            inner.line_count(),
        )))
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
        Some(Box::new(&self.finding.rule))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.help))
        }
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|w| w as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (start, len) = self.label?;
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            Some(self.finding.severity.as_str().to_string()),
            (start, len),
        ))))
    }
}
