//! GitHub-flavoured Markdown for the pull request: the sticky comment, the
//! check run's summary and the job summary all come from [`render`].
//!
//! The renderer's input is [`Run`], a narrow, owned view of one `trm-ci`
//! run (stages, findings, the schema change, the image, the boot scenarios),
//! so the renderer does not depend on how the stages produce their reports.
//! [`Run::from_results`] builds it from the results document (src/results.rs).
//!
//! Everything user-controlled (file names, messages, SQL excerpts, branch
//! names, container log lines) goes through [`text`] or [`code`]: it cannot
//! break the layout, open an HTML tag or mention a user.

use std::fmt::Write as _;

use crate::finding::Severity;
use crate::lint::Report;

/// The most a comment may hold: GitHub refuses bodies over 65,536 characters;
/// the rest is left for the marker and any later wording change.
pub const COMMENT_LIMIT: usize = 65_000;

/// How many lines of the schema change are listed before "… and N more".
const SCHEMA_LINES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skipped,
}

/// One stage of the run: lint, build, smoke.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub status: Status,
    pub seconds: Option<f64>,
    /// Why it failed or was skipped, or what it found ("2 errors, 1 warning").
    pub note: Option<String>,
}

/// A finding as the PR sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub rule: String,
    pub severity: Severity,
    pub file: String,
    /// 1-based; None for a finding about a whole file.
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub end_line: Option<u32>,
    pub end_col: Option<u32>,
    pub message: String,
    pub help: String,
}

/// One line of the schema change against the base, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaLine {
    /// Already Markdown (every name in a code span); see [`SchemaLine::from_change`].
    pub markdown: String,
    pub destructive: bool,
}

impl SchemaLine {
    /// A change of the schema (src/model/schema_diff.rs), its names in code spans.
    pub fn from_change(c: &crate::model::schema_diff::Change) -> SchemaLine {
        SchemaLine { markdown: crate::render::schema_diff::markdown_line(c), destructive: c.destructive }
    }

    /// A line written as a trm-ci message (names between backticks), see [`message`].
    pub fn message(text: &str, destructive: bool) -> SchemaLine {
        SchemaLine { markdown: message(text), destructive }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub tag: String,
    pub total_size: Option<u64>,
    pub added_size: Option<u64>,
    /// The size budget (`--max-size`), in bytes.
    pub budget: Option<u64>,
}

/// One boot scenario of smoke (cold, warm, a fault, the stop).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub ok: bool,
    pub seconds: f64,
    pub time_to_healthy: Option<f64>,
    pub failure: Option<String>,
}

/// The upgrade drill (the base revision's image and data, then the head's image on the same
/// database): its steps are shown like boot scenarios.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Upgrade {
    pub ok: bool,
    pub from_image: Option<String>,
    pub to_image: Option<String>,
    pub steps: Vec<Scenario>,
    /// The drill's one-line summary (migrations, schema changes, rows, rollback).
    pub summary: String,
}

/// Where links point: `{server_url}/{repository}/blob/{sha}/{file}#L{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Links {
    pub server_url: String,
    pub repository: String,
    pub sha: String,
    /// The workflow run, for "see the run" when the comment is truncated.
    pub run_url: Option<String>,
}

/// What one run of trm-ci found: the renderer's whole input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub stages: Vec<Stage>,
    pub findings: Vec<Item>,
    /// The base the comparison was made with (a branch name: user-controlled).
    pub base: Option<String>,
    /// None: no schema comparison was made; Some(empty): the schema is unchanged.
    pub schema: Option<Vec<SchemaLine>>,
    pub image: Option<Image>,
    pub scenarios: Vec<Scenario>,
    /// How long `docker stop` took on the running container.
    pub stop_seconds: Option<f64>,
    /// The upgrade drill, when it ran.
    pub upgrade: Option<Upgrade>,
    /// The lowest severity that fails the run (the Action's `fail-on`).
    pub fail_on: Option<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

impl Run {
    /// The lint stage alone.
    pub fn from_lint(report: &Report, seconds: Option<f64>) -> Run {
        let findings: Vec<Item> = report.findings.iter().map(Item::from).collect();
        let mut run = Run { base: report.base.clone(), ..Run::default() };
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        let warnings = findings.len() - errors;
        run.stages.push(Stage {
            name: "lint".into(),
            status: if errors > 0 { Status::Fail } else { Status::Pass },
            seconds,
            note: Some(counts(errors, warnings)),
        });
        run.findings = findings;
        run
    }

    /// The whole results document (src/results.rs): lint, build, smoke; a
    /// stage that did not run is shown as skipped.
    pub fn from_results(doc: &crate::results::Results) -> Run {
        use crate::results::StageName;
        let secs = |n: StageName| doc.stages.iter().find(|s| s.name == n).map(|s| s.seconds);
        let mut run = Run { base: doc.base.clone(), ..Run::default() };
        if let Some(sc) = &doc.schema {
            run.base = Some(sc.base.clone());
            run.schema = Some(sc.changes.iter().map(SchemaLine::from_change).collect());
        }
        match &doc.lint {
            Some(l) => {
                run.findings = l.findings.iter().map(Item::from).collect();
                let (e, w) = (run.count(Severity::Error), run.count(Severity::Warning));
                run.stages.push(Stage {
                    name: "lint".into(),
                    status: if e > 0 { Status::Fail } else { Status::Pass },
                    seconds: secs(StageName::Lint),
                    note: Some(counts(e, w)),
                });
            }
            None => run.stages.push(Stage { name: "lint".into(), status: Status::Skipped, seconds: None, note: None }),
        }
        match &doc.build {
            Some(b) => {
                let note = if b.over_max_added_size {
                    Some(format!("adds more than the added-size budget of {}", size(b.max_added_size)))
                } else if b.base_over_max_size {
                    Some(format!("the base image alone is over the size budget of {}", size(b.max_size)))
                } else if b.over_max_size {
                    Some(format!("over the size budget of {}", size(b.max_size)))
                } else {
                    b.error.as_deref().map(|e| e.lines().next().unwrap_or("").to_string())
                };
                run.stages.push(Stage {
                    name: "build".into(),
                    status: if b.ok { Status::Pass } else { Status::Fail },
                    seconds: secs(StageName::Build).or(Some(b.build_seconds)),
                    note,
                });
                run.image = Some(Image {
                    tag: b.tag.clone(),
                    total_size: b.total_size.and_then(|s| u64::try_from(s).ok()),
                    added_size: b.added_size.and_then(|s| u64::try_from(s).ok()),
                    budget: (b.max_size > 0).then_some(b.max_size),
                });
            }
            None => run.stages.push(Stage { name: "build".into(), status: Status::Skipped, seconds: None, note: None }),
        }
        match &doc.smoke {
            Some(s) => {
                let failed = s.scenarios.iter().filter(|c| !c.ok).count();
                run.stages.push(Stage {
                    name: "smoke".into(),
                    status: if s.ok { Status::Pass } else { Status::Fail },
                    seconds: secs(StageName::Smoke),
                    note: (failed > 0).then(|| format!("{failed} of {} scenarios failed", s.scenarios.len())),
                });
                for c in &s.scenarios {
                    // The stop scenario's `docker stop` time (its whole time when a document
                    // written before that field has none).
                    if let Some(t) = c.stop_seconds {
                        run.stop_seconds = Some(t);
                    } else if c.name == "stop" {
                        run.stop_seconds = Some(c.seconds);
                    }
                    run.scenarios.push(Scenario::from(c));
                }
            }
            None => {
                let build_failed = doc.build.as_ref().is_some_and(|b| !b.ok);
                run.stages.push(Stage {
                    name: "smoke".into(),
                    status: Status::Skipped,
                    seconds: None,
                    note: build_failed.then(|| "the build failed".to_string()),
                });
            }
        }
        if let Some(u) = &doc.upgrade {
            let failed = u.steps.iter().filter(|c| !c.ok).count();
            run.stages.push(Stage {
                name: "upgrade".into(),
                status: if u.ok { Status::Pass } else { Status::Fail },
                seconds: secs(StageName::Upgrade),
                note: (failed > 0).then(|| format!("{failed} of {} steps failed", u.steps.len())),
            });
            run.upgrade = Some(Upgrade {
                ok: u.ok,
                from_image: u.from_image.clone(),
                to_image: u.to_image.clone(),
                steps: u.steps.iter().map(Scenario::from).collect(),
                summary: u.summary.clone(),
            });
        }
        run
    }

    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }

    /// Fail when a stage failed or a finding is at or above `fail_on` (error by default).
    pub fn verdict(&self) -> Verdict {
        let fail_on = self.fail_on.unwrap_or(Severity::Error);
        if self.stages.iter().any(|s| s.status == Status::Fail) || self.findings.iter().any(|f| f.severity >= fail_on) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// Findings most severe first, then by file and line: the order in
    /// which they are kept when the comment must be cut.
    pub fn by_severity(&self) -> Vec<&Item> {
        let mut v: Vec<&Item> = self.findings.iter().collect();
        v.sort_by(|a, b| {
            b.severity.cmp(&a.severity).then_with(|| (&a.file, a.line, a.col, &a.rule).cmp(&(&b.file, b.line, b.col, &b.rule)))
        });
        v
    }
}

impl From<&crate::results::Scenario> for Scenario {
    fn from(c: &crate::results::Scenario) -> Scenario {
        Scenario { name: c.name.clone(), ok: c.ok, seconds: c.seconds, time_to_healthy: c.time_to_healthy, failure: c.failure.clone() }
    }
}

impl From<&crate::finding::Finding> for Item {
    fn from(f: &crate::finding::Finding) -> Item {
        Item {
            rule: f.rule.to_string(),
            severity: f.severity,
            file: f.file.clone(),
            line: f.span.map(|s| s.line),
            col: f.span.map(|s| s.col),
            end_line: f.span.map(|s| s.end_line),
            end_col: f.span.map(|s| s.end_col),
            message: f.message.clone(),
            help: f.help.clone(),
        }
    }
}

/// `2 errors, 1 warning`
pub fn counts(errors: usize, warnings: usize) -> String {
    format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The one-line verdict, e.g. `❌ trm-ci: 2 errors, 1 warning · build failed · smoke skipped`.
pub fn verdict_line(run: &Run) -> String {
    let mut parts = Vec::new();
    let (e, w) = (run.count(Severity::Error), run.count(Severity::Warning));
    if e + w > 0 {
        parts.push(counts(e, w));
    }
    for s in &run.stages {
        match s.status {
            Status::Fail if s.name != "lint" => parts.push(format!("{} failed", text(&s.name))),
            Status::Skipped => parts.push(format!("{} skipped", text(&s.name))),
            _ => {}
        }
    }
    match run.verdict() {
        Verdict::Pass if parts.is_empty() => {
            let ran: Vec<String> =
                run.stages.iter().filter(|s| s.status == Status::Pass).map(|s| text(&s.name)).collect();
            if ran.is_empty() {
                "✅ trm-ci: all clear".to_string()
            } else {
                format!("✅ trm-ci: all clear ({} passed)", ran.join(", "))
            }
        }
        Verdict::Pass => format!("✅ trm-ci: passed · {}", parts.join(" · ")),
        Verdict::Fail => format!("❌ trm-ci: {}", if parts.is_empty() { "failed".to_string() } else { parts.join(" · ") }),
    }
}

/// Renders the run in at most `limit` characters. When the findings do not
/// fit, the most severe are kept and the rest counted, with a link to the run.
pub fn render(run: &Run, links: &Links, limit: usize) -> String {
    let order = run.by_severity();
    let full = render_with(run, links, &order, order.len());
    if full.chars().count() <= limit {
        return full;
    }
    // The largest number of findings that fits (binary search: a render is linear).
    let (mut lo, mut hi) = (0usize, order.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if render_with(run, links, &order, mid).chars().count() <= limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let out = render_with(run, links, &order, lo);
    if out.chars().count() <= limit {
        return out;
    }
    // Even without findings it does not fit (a huge schema change): cut at a
    // line boundary and say so.
    let note = "\n\n… (cut to fit GitHub's size limit)\n";
    let budget = limit.saturating_sub(note.chars().count());
    let mut cut: String = out.chars().take(budget).collect();
    if let Some(i) = cut.rfind('\n') {
        cut.truncate(i);
    }
    cut.push_str(note);
    cut
}

fn render_with(run: &Run, links: &Links, order: &[&Item], shown: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", verdict_line(run));

    if !run.stages.is_empty() {
        out.push_str("| stage | result | time |\n|---|---|---|\n");
        for s in &run.stages {
            let result = match s.status {
                Status::Pass => "✅ pass",
                Status::Fail => "❌ fail",
                Status::Skipped => "⏭️ skipped",
            };
            let note = s.note.as_deref().map(|n| format!(" ({})", message(n))).unwrap_or_default();
            let time = s.seconds.map(duration).unwrap_or_else(|| "–".into());
            let _ = writeln!(out, "| {} | {result}{note} | {time} |", text(&s.name));
        }
        out.push('\n');
    }

    if let Some(lines) = &run.schema {
        let against = run.base.as_deref().map(|b| format!(" against {}", code(b))).unwrap_or_default();
        let _ = writeln!(out, "#### Schema change{against}\n");
        if lines.is_empty() {
            out.push_str("No change to collections, fields or relations.\n\n");
        } else {
            // Destructive lines first.
            let mut sorted: Vec<&SchemaLine> = lines.iter().filter(|l| l.destructive).collect();
            sorted.extend(lines.iter().filter(|l| !l.destructive));
            for l in sorted.iter().take(SCHEMA_LINES) {
                if l.destructive {
                    let _ = writeln!(out, "- ⚠️ **destructive:** {}", l.markdown);
                } else {
                    let _ = writeln!(out, "- {}", l.markdown);
                }
            }
            if sorted.len() > SCHEMA_LINES {
                let _ = writeln!(out, "- … and {} more", sorted.len() - SCHEMA_LINES);
            }
            out.push('\n');
        }
    }

    if !run.findings.is_empty() {
        out.push_str("#### Findings\n\n");
        // Files in the order of their most severe finding; findings by line within a file.
        let kept = &order[..shown.min(order.len())];
        let mut files: Vec<&str> = Vec::new();
        for f in kept {
            if !files.contains(&f.file.as_str()) {
                files.push(&f.file);
            }
        }
        for file in files {
            let mut in_file: Vec<&&Item> = kept.iter().filter(|f| f.file == file).collect();
            in_file.sort_by_key(|f| (f.line, f.col));
            let _ = writeln!(out, "**[{}]({})**\n", code(file), blob_url(links, file, None));
            for f in in_file {
                let icon = match f.severity {
                    Severity::Error => "❌",
                    Severity::Warning => "⚠️",
                };
                let place = match (f.line, f.col) {
                    (Some(l), Some(c)) => format!("[{l}:{c}]({})", blob_url(links, file, Some(f))),
                    (Some(l), None) => format!("[{l}]({})", blob_url(links, file, Some(f))),
                    _ => "file".to_string(),
                };
                let _ = write!(out, "- {icon} {place} {} {}", code(&f.rule), message(&f.message));
                if !f.help.is_empty() {
                    let _ = write!(out, " — {}", message(&f.help));
                }
                out.push('\n');
            }
            out.push('\n');
        }
        let rest = order.len() - shown.min(order.len());
        if rest > 0 {
            let hidden = &order[shown..];
            let e = hidden.iter().filter(|f| f.severity == Severity::Error).count();
            let see = match &links.run_url {
                Some(u) => format!("[the run]({u})"),
                None => "the check run".to_string(),
            };
            let _ = writeln!(out, "… and **{rest} more** not shown here ({}): see {see}.\n", counts(e, rest - e));
        }
    }

    if let Some(img) = &run.image {
        out.push_str("#### Image\n\n");
        let mut line = code(&img.tag);
        if let Some(t) = img.total_size {
            let _ = write!(line, ": {}", size(t));
        }
        if let Some(a) = img.added_size {
            let _ = write!(line, ", {} added over the base", size(a));
        }
        if let Some(b) = img.budget {
            let measured = img.total_size;
            match measured {
                Some(t) if t > b => {
                    let _ = write!(line, " — ❌ over the budget of {}", size(b));
                }
                Some(_) => {
                    let _ = write!(line, " — ✅ within the budget of {}", size(b));
                }
                None => {
                    let _ = write!(line, " — budget {}", size(b));
                }
            }
        }
        let _ = writeln!(out, "{line}\n");
    }

    if !run.scenarios.is_empty() || run.stop_seconds.is_some() {
        out.push_str("#### Boot\n\n");
        if !run.scenarios.is_empty() {
            scenario_table(&mut out, "scenario", &run.scenarios);
        }
        if let Some(s) = run.stop_seconds {
            let _ = writeln!(out, "Stop (`docker stop`): {}\n", duration(s));
        }
    }

    if let Some(u) = &run.upgrade {
        out.push_str("#### Upgrade drill\n\n");
        let name = |i: &Option<String>| i.as_deref().map(code).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            out,
            "{} {} → {}\n",
            if u.ok { "✅ the head's image came up on the base's database:" } else { "❌ upgrading failed:" },
            name(&u.from_image),
            name(&u.to_image)
        );
        if !u.summary.is_empty() {
            let _ = writeln!(out, "{}\n", text(&u.summary));
        }
        if !u.steps.is_empty() {
            scenario_table(&mut out, "step", &u.steps);
        }
    }

    let mut foot = format!("<sub>trm-ci {}", env!("CARGO_PKG_VERSION"));
    if !links.sha.is_empty() {
        let short: String = links.sha.chars().take(7).collect();
        let _ = write!(foot, " · head {}", code(&short));
    }
    if let Some(u) = &links.run_url {
        let _ = write!(foot, " · [run]({u})");
    }
    foot.push_str("</sub>\n");
    out.push_str(&foot);
    out
}

/// A table of boot scenarios (or upgrade steps): result, time, time to healthy.
fn scenario_table(out: &mut String, what: &str, rows: &[Scenario]) {
    let _ = writeln!(out, "| {what} | result | time | healthy after |\n|---|---|---|---|");
    for s in rows {
        let result = if s.ok {
            "✅ pass".to_string()
        } else {
            match &s.failure {
                // A multi-line failure reads as one line in the cell.
                Some(f) => format!("❌ {}", code_in_table(&f.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))),
                None => "❌ fail".to_string(),
            }
        };
        let healthy = s.time_to_healthy.map(duration).unwrap_or_else(|| "–".into());
        let _ = writeln!(out, "| {} | {result} | {} | {healthy} |", text(&s.name), duration(s.seconds));
    }
    out.push('\n');
}

/// `{server}/{repo}/blob/{sha}/{file}#L{line}` (or `#L3-L5`), the path percent-encoded.
fn blob_url(links: &Links, file: &str, item: Option<&Item>) -> String {
    let mut u = format!(
        "{}/{}/blob/{}/{}",
        links.server_url.trim_end_matches('/'),
        links.repository,
        links.sha,
        percent_path(file)
    );
    if let Some(l) = item.and_then(|i| i.line) {
        let _ = write!(u, "#L{l}");
        if let Some(e) = item.and_then(|i| i.end_line).filter(|e| *e > l) {
            let _ = write!(u, "-L{e}");
        }
    }
    u
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_path(p: &str) -> String {
    let mut s = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

/// `0.4 s`, `12.3 s`, `2 min 05 s`
pub fn duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "–".into();
    }
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        let t = s.round() as u64;
        format!("{} min {:02} s", t / 60, t % 60)
    }
}

/// `512.3 MB` (decimal units, as `--max-size` reads `600MB`).
pub fn size(b: u64) -> String {
    let f = b as f64;
    if f >= 1e9 {
        format!("{:.2} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{b} B")
    }
}

/// A trm-ci message: the parts between backticks become code spans, the rest
/// is escaped text. An unpaired backtick is text.
pub fn message(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::new();
    // Pairs: parts[1], parts[3], … are code when a closing backtick exists.
    let paired = if parts.len() % 2 == 1 { parts.len() } else { parts.len() - 1 };
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 && i < paired {
            // Prose: a line break inside its code part is layout, not content.
            let flat: String = p.chars().map(|c| if matches!(c, '\r' | '\n' | '\t') { ' ' } else { c }).collect();
            out.push_str(&code(&flat));
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&text(p));
        }
    }
    out
}

/// Escapes text for a Markdown paragraph, list item or table cell: no line
/// break, no emphasis, link, HTML tag or entity, and no `@mention` (a word
/// joiner follows every `@`, which GitHub's mention filter does not match).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push(' ');
                }
            }
            '\n' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '~'
            | '<' | '>' | '&' | '"' | '\'' | '=' | ':' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{2060}"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A code span holding `s` literally, outside a table: the one code-span
/// escaper of every Markdown trm-ci writes (the PR comment, the job summary,
/// `trm-ci diff --format markdown`). Fenced with one more backtick than the
/// longest run inside; every control character, line breaks included, becomes
/// U+FFFD (a literal name keeps its length and shows where it was odd, and
/// cannot forge a line); an empty or all-space value shows as `␣`. Inside a
/// code span nothing is markup: no emphasis, HTML, link or `@` mention.
pub fn code(s: &str) -> String {
    code_span(s, false)
}

/// A code span inside a GFM table cell: `|` is escaped (the table parser
/// removes the backslash before the code span is read).
pub fn code_in_table(s: &str) -> String {
    code_span(s, true)
}

fn code_span(s: &str, table: bool) -> String {
    let mut body = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' if table => body.push_str("\\|"),
            c if c.is_control() => body.push('\u{FFFD}'),
            c => body.push(c),
        }
    }
    if body.trim().is_empty() {
        // An empty or all-space code span renders as nothing useful.
        return format!("`{}`", "\u{2423}".repeat(body.chars().count().max(1)));
    }
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    // A leading or trailing backtick needs a space between it and the fence
    // (CommonMark strips one space on each side).
    let pad = if body.starts_with('`') || body.ends_with('`') || (body.starts_with(' ') && body.ends_with(' ')) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_open_html_mention_or_break_lines() {
        let t = text("<img src=x onerror=alert(1)> @octocat\n# heading | cell *b*");
        assert!(!t.contains('\n'));
        assert!(!t.contains("@octocat"), "{t}");
        assert!(t.contains("\\<img"), "{t}");
        assert!(t.contains("\\|"), "{t}");
        assert!(t.contains("\\*b\\*"), "{t}");
        assert_eq!(text("a\r\nb"), "a b");
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a\u{FFFD}b`");
        assert_eq!(code(""), "`\u{2423}`");
        assert_eq!(code_in_table("a|b"), "`a\\|b`");
        assert_eq!(code("a|b"), "`a|b`");
    }

    #[test]
    fn message_keeps_code_spans() {
        assert_eq!(message("table `café` is *new*"), "table `café` is \\*new\\*");
        assert_eq!(message("odd ` tick"), "odd \\` tick");
        assert_eq!(message("run `DROP TABLE\n  t`"), "run `DROP TABLE   t`");
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(percent_path("db-init/a b(1).sql"), "db-init/a%20b%281%29.sql");
        assert_eq!(percent_path("é"), "%C3%A9");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(size(600_000_000), "600.0 MB");
        assert_eq!(duration(0.44), "0.4 s");
        assert_eq!(duration(125.0), "2 min 05 s");
    }
}
