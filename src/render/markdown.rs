//! GitHub-flavoured Markdown for the pull request: the sticky comment, the
//! check run's summary and the job summary all come from [`render`].
//!
//! The renderer's input is the results document itself ([`Results`], src/results.rs), the
//! severity that fails the run (the Action's `fail-on`) and where links point ([`Links`]):
//! the stage table, the schema change, the findings, the image, the boot scenarios and the
//! upgrade drill are each worded here from the document's data.
//!
//! Everything user-controlled (file names, messages, SQL excerpts, branch
//! names, container log lines) goes through [`text`] or [`code`]: it cannot
//! break the layout, open an HTML tag or mention a user.

use std::fmt::Write as _;

use crate::finding::{Finding, Severity};
use crate::results::{Results, Scenario, SkipReason, StageName, Verdict};

/// The most a comment may hold: GitHub refuses bodies over 65,536 characters;
/// the rest is left for the marker and any later wording change.
pub const COMMENT_LIMIT: usize = 65_000;

/// How many lines of the schema change are listed before "… and N more".
const SCHEMA_LINES: usize = 200;

/// Where links point: `{server_url}/{repository}/blob/{sha}/{file}#L{line}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Links {
    pub server_url: String,
    pub repository: String,
    pub sha: String,
    /// The workflow run, for "see the run" when the comment is truncated.
    pub run_url: Option<String>,
}

/// How a stage shows in the stage table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    Skipped,
}

/// The stages the report shows: lint, build and smoke always (skipped when they did not run),
/// the upgrade drill when it ran or was skipped for a reason.
fn shown_stages(doc: &Results) -> impl Iterator<Item = StageName> + '_ {
    StageName::ALL
        .into_iter()
        .filter(|s| *s != StageName::Upgrade || doc.upgrade.is_some() || doc.skip_reason(StageName::Upgrade).is_some())
}

/// Why a stage was skipped, in words (plain text: the caller escapes), e.g. `the build failed`.
pub fn skip_words(why: &SkipReason) -> String {
    match why {
        SkipReason::BuildFailed => "the build failed".to_string(),
        SkipReason::NoBaseRevision => "no base revision to upgrade from; pass --upgrade-from REF".to_string(),
        SkipReason::SameImage { from, context } => {
            format!("{from} builds the same image as this tree (build context {}): nothing to upgrade", crate::units::short_hash(context))
        }
    }
}

fn status(doc: &Results, stage: StageName) -> Status {
    match doc.passed(stage) {
        Some(true) => Status::Pass,
        Some(false) => Status::Fail,
        None => Status::Skipped,
    }
}

/// The stage's time: its recorded wall time (the build's own time in a document without one).
fn stage_seconds(doc: &Results, stage: StageName) -> Option<f64> {
    match stage {
        StageName::Build => doc.build.as_ref().map(|b| doc.seconds(stage).unwrap_or(b.build_seconds)),
        _ if doc.passed(stage).is_some() => doc.seconds(stage),
        _ => None,
    }
}

/// Why a stage failed or was skipped, or what it found ("2 errors, 1 warning").
fn stage_note(doc: &Results, stage: StageName) -> Option<String> {
    if doc.passed(stage).is_none() {
        if let Some(why) = doc.skip_reason(stage) {
            return Some(skip_words(why));
        }
    }
    match stage {
        StageName::Lint => doc.lint.as_ref().map(|l| {
            let c = counts(l.count(Severity::Error), l.count(Severity::Warning));
            match l.pre_existing.len() {
                0 => c,
                n => format!("{c}; {n} pre-existing"),
            }
        }),
        StageName::Build => doc.build.as_ref().and_then(|b| {
            if b.over_max_added_size {
                Some(format!("adds more than the added-size budget of {}", size(b.max_added_size)))
            } else if b.base_over_max_size {
                Some(format!("the base image alone is over the size budget of {}", size(b.max_size)))
            } else if b.over_max_size {
                Some(format!("over the size budget of {}", size(b.max_size)))
            } else {
                b.error.as_deref().map(|e| e.lines().next().unwrap_or("").to_string())
            }
        }),
        StageName::Smoke => match &doc.smoke {
            Some(s) => {
                let failed = s.scenarios.iter().filter(|c| !c.ok).count();
                (failed > 0).then(|| format!("{failed} of {} scenarios failed", s.scenarios.len()))
            }
            None => doc.build.as_ref().is_some_and(|b| !b.ok).then(|| "the build failed".to_string()),
        },
        StageName::Upgrade => doc.upgrade.as_ref().and_then(|u| {
            let failed = u.steps.iter().filter(|c| !c.ok).count();
            (failed > 0).then(|| format!("{failed} of {} steps failed", u.steps.len()))
        }),
    }
}

/// The findings of the lint stage (none when it did not run).
fn findings(doc: &Results) -> &[Finding] {
    doc.lint.as_ref().map(|l| l.findings.as_slice()).unwrap_or(&[])
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
pub fn verdict_line(doc: &Results, fail_on: Severity) -> String {
    let mut parts = Vec::new();
    let (e, w) = doc.lint.as_ref().map(|l| (l.count(Severity::Error), l.count(Severity::Warning))).unwrap_or((0, 0));
    if e + w > 0 {
        parts.push(counts(e, w));
    }
    for s in shown_stages(doc) {
        match status(doc, s) {
            Status::Fail if s != StageName::Lint => parts.push(format!("{} failed", text(s.as_str()))),
            Status::Skipped => parts.push(format!("{} skipped", text(s.as_str()))),
            _ => {}
        }
    }
    match doc.verdict(fail_on) {
        Verdict::Pass if parts.is_empty() => {
            let ran: Vec<String> =
                shown_stages(doc).filter(|s| status(doc, *s) == Status::Pass).map(|s| text(s.as_str())).collect();
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

/// Renders the document in at most `limit` characters; the verdict fails at `fail_on`. When the
/// findings do not fit, the most severe are kept and the rest counted, with a link to the run.
pub fn render(doc: &Results, fail_on: Severity, links: &Links, limit: usize) -> String {
    // The judged findings, then the pre-existing ones: what is cut is cut from the end.
    let mut order = doc.lint.as_ref().map(|l| l.most_severe_first()).unwrap_or_default();
    order.extend(doc.lint.as_ref().map(|l| l.pre_existing_most_severe_first()).unwrap_or_default());
    let full = render_with(doc, fail_on, links, &order, order.len());
    if full.chars().count() <= limit {
        return full;
    }
    // The largest number of findings that fits (binary search: a render is linear).
    let (mut lo, mut hi) = (0usize, order.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if render_with(doc, fail_on, links, &order, mid).chars().count() <= limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let out = render_with(doc, fail_on, links, &order, lo);
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

fn render_with(doc: &Results, fail_on: Severity, links: &Links, order: &[&Finding], shown: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", verdict_line(doc, fail_on));
    config_weakened(&mut out, doc);

    out.push_str("| stage | result | time |\n|---|---|---|\n");
    for s in shown_stages(doc) {
        let result = match status(doc, s) {
            Status::Pass => "✅ pass",
            Status::Fail => "❌ fail",
            Status::Skipped => "⏭️ skipped",
        };
        let note = stage_note(doc, s).map(|n| format!(" ({})", message(&n))).unwrap_or_default();
        let time = stage_seconds(doc, s).map(duration).unwrap_or_else(|| "–".into());
        let _ = writeln!(out, "| {} | {result}{note} | {time} |", text(s.as_str()));
    }
    out.push('\n');

    if let Some(sc) = &doc.schema {
        let _ = writeln!(out, "#### Schema change against {}\n", code(&sc.base));
        if sc.changes.is_empty() {
            out.push_str("No change to collections, fields or relations.\n\n");
        } else {
            // Destructive lines first.
            let mut sorted: Vec<_> = sc.changes.iter().filter(|c| c.destructive).collect();
            sorted.extend(sc.changes.iter().filter(|c| !c.destructive));
            for c in sorted.iter().take(SCHEMA_LINES) {
                let line = crate::render::schema_report::markdown_line(c);
                if c.destructive {
                    let _ = writeln!(out, "- ⚠️ **destructive:** {line}");
                } else {
                    let _ = writeln!(out, "- {line}");
                }
            }
            if sorted.len() > SCHEMA_LINES {
                let _ = writeln!(out, "- … and {} more", sorted.len() - SCHEMA_LINES);
            }
            out.push('\n');
        }
    }

    approved(&mut out, doc, links);

    let judged = findings(doc).len();
    let see = match &links.run_url {
        Some(u) => format!("[the run]({u})"),
        None => "the check run".to_string(),
    };
    if judged > 0 {
        out.push_str("#### Findings\n\n");
        let kept = &order[..shown.min(judged)];
        finding_list(&mut out, doc, links, kept);
        let rest = judged - kept.len();
        if rest > 0 {
            let hidden = &order[kept.len()..judged];
            let e = hidden.iter().filter(|f| f.severity == Severity::Error).count();
            let _ = writeln!(out, "… and **{rest} more** not shown here ({}): see {see}.\n", counts(e, rest - e));
        }
    }
    // Pre-existing findings (PR-scoped judgement): counted and listed, folded, never failing.
    let pre = order.len() - judged;
    if pre > 0 {
        let _ = writeln!(
            out,
            "<details><summary>{} in migrations unchanged since the base: pre-existing, not counted, never failing the run</summary>\n",
            plural(pre, "finding")
        );
        let kept = &order[judged..shown.max(judged).min(order.len())];
        finding_list(&mut out, doc, links, kept);
        let rest = pre - kept.len();
        if rest > 0 {
            let _ = writeln!(out, "… and **{rest} more** not shown here: see {see}.\n");
        }
        out.push_str("</details>\n\n");
    }

    if let Some(b) = &doc.build {
        out.push_str("#### Image\n\n");
        let mut line = code(&b.tag);
        let total = b.total_size.and_then(|s| u64::try_from(s).ok());
        if let Some(t) = total {
            let _ = write!(line, ": {}", size(t));
        }
        if let Some(a) = b.added_size.and_then(|s| u64::try_from(s).ok()) {
            let _ = write!(line, ", {} added over the base", size(a));
        }
        if b.max_size > 0 {
            let budget = b.max_size;
            match total {
                Some(t) if t > budget => {
                    let _ = write!(line, " — ❌ over the budget of {}", size(budget));
                }
                Some(_) => {
                    let _ = write!(line, " — ✅ within the budget of {}", size(budget));
                }
                None => {
                    let _ = write!(line, " — budget {}", size(budget));
                }
            }
        }
        let _ = writeln!(out, "{line}\n");
    }

    let scenarios = doc.smoke.as_ref().map(|s| s.scenarios.as_slice()).unwrap_or(&[]);
    // The stop scenario's `docker stop` time (its whole time when a document written before
    // that field has none).
    let mut stop_seconds = None;
    for c in scenarios {
        if let Some(t) = c.stop_seconds {
            stop_seconds = Some(t);
        } else if c.name == "stop" {
            stop_seconds = Some(c.seconds);
        }
    }
    if !scenarios.is_empty() || stop_seconds.is_some() {
        out.push_str("#### Boot\n\n");
        if !scenarios.is_empty() {
            scenario_table(&mut out, "scenario", scenarios);
        }
        if let Some(s) = stop_seconds {
            let _ = writeln!(out, "Stop (`docker stop`): {}\n", duration(s));
        }
    }

    if let Some(u) = &doc.upgrade {
        out.push_str("#### Upgrade drill\n\n");
        let name = |i: &Option<String>| i.as_deref().map(code).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            out,
            "{} {} → {}\n",
            if u.ok { "✅ the head's image came up on the base's database:" } else { "❌ upgrading failed:" },
            name(&u.from_image),
            name(&u.to_image)
        );
        // Worded from the drill's data (the stored line only for a document without steps).
        let line = super::upgrade_drill::summary_line(u);
        if !line.is_empty() {
            let _ = writeln!(out, "{}\n", text(&line));
        }
        drill_details(&mut out, u);
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

/// At the top: what the branch's trm-ci.toml weakens against the base's, each change named
/// (the configuration is part of the tree the PR wrote).
fn config_weakened(out: &mut String, doc: &Results) {
    let Some(w) = doc.lint.as_ref().map(|l| &l.config_weakened).filter(|w| !w.is_empty()) else { return };
    out.push_str("> [!WARNING]\n");
    let _ = writeln!(
        out,
        "> **This pull request weakens trm-ci's configuration** against the base's, so the lint judges less than it did:"
    );
    for c in w {
        let _ = writeln!(out, "> - {}: {} → {}", code(&c.key), code(&c.base), code(&c.head));
    }
    out.push('\n');
}

/// The destructive schema changes the branch approves (allow-destructive.txt), under their own
/// heading: what the reviewer approves is what the image's schema step will delete.
fn approved(out: &mut String, doc: &Results, links: &Links) {
    let Some(a) = doc.lint.as_ref().map(|l| &l.approved).filter(|a| !a.is_empty()) else { return };
    out.push_str("#### Approved destructive changes\n\n");
    let file = &a[0].file;
    let _ = writeln!(
        out,
        "Approved in [{}]({}): the image's schema step deletes exactly these, and refuses any other deletion.\n",
        code(file),
        blob_url(links, file, None)
    );
    for c in a.iter().take(APPROVED_LINES) {
        let at = format!("{}#L{}", blob_url(links, &c.file, None), c.line);
        let _ = write!(out, "- ⚠️ {}: {} ([line {}]({at}))", code(&c.item), message(&c.change), c.line);
        if let Some(r) = &c.reason {
            let r: String = r.chars().take(REASON_CHARS).collect();
            let _ = write!(out, " — {}", text(&r));
        }
        out.push('\n');
    }
    if a.len() > APPROVED_LINES {
        let _ = writeln!(out, "- … and {} more (see the approvals file)", a.len() - APPROVED_LINES);
    }
    out.push('\n');
}

/// How many approved changes are listed before "… and N more", and how much of an approval's
/// reason is shown: together at most about a third of the comment.
const APPROVED_LINES: usize = 50;
const REASON_CHARS: usize = 200;

/// Findings grouped by file, files in the order of their most severe finding, findings by line
/// within a file.
fn finding_list(out: &mut String, doc: &Results, links: &Links, kept: &[&Finding]) {
    let mut files: Vec<&str> = Vec::new();
    for f in kept {
        if !files.contains(&f.file.as_str()) {
            files.push(&f.file);
        }
    }
    for file in files {
        let mut in_file: Vec<&&Finding> = kept.iter().filter(|f| f.file == file).collect();
        in_file.sort_by_key(|f| (f.span.map(|s| s.line), f.span.map(|s| s.col)));
        let _ = writeln!(out, "**[{}]({})**\n", code(file), blob_url(links, file, None));
        for f in in_file {
            let icon = match f.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
            };
            let place = match f.span {
                Some(s) => format!("[{}:{}]({})", s.line, s.col, blob_url(links, file, Some(f))),
                None => "file".to_string(),
            };
            let _ = write!(out, "- {icon} {place} {} {}", rule_id(doc, &f.rule), message(&f.message));
            if !f.help.is_empty() {
                let _ = write!(out, " — {}", message(&f.help));
            }
            out.push('\n');
        }
        out.push('\n');
    }
}

/// The drill's Directus versions and migrations, and the rollback with what the
/// snapshot-history guard did (words from src/render/upgrade_drill.rs).
fn drill_details(out: &mut String, u: &crate::results::Upgrade) {
    use super::upgrade_drill::{directus_words, guard_words};
    /// Directus migrations listed before "… and N more".
    const MIGRATIONS: usize = 30;
    if let Some(d) = &u.directus {
        if let Some(w) = directus_words(d) {
            let mut line = format!("**Directus**: {}", text(&w));
            let ran = d.migrations.as_deref().unwrap_or_default();
            if !ran.is_empty() {
                let names: Vec<String> = ran.iter().take(MIGRATIONS).map(|m| format!("{} {}", code(&m.version), text(&m.name))).collect();
                let _ = write!(line, ": {}", names.join(", "));
                if ran.len() > MIGRATIONS {
                    let _ = write!(line, ", … and {} more", ran.len() - MIGRATIONS);
                }
            }
            let _ = writeln!(out, "{line}\n");
        }
    }
    if let Some(rb) = &u.rollback {
        let mut line = format!("**Rollback** (the base's image again on the upgraded database): {}", rb.outcome.as_str());
        // A refusal by the guard is the guard's reason, said once below.
        if let Some(d) = super::upgrade_drill::rollback_detail(rb).filter(|_| !rb.refused_by_guard()) {
            let _ = write!(line, ": {}", text(&d));
        }
        let _ = writeln!(out, "{line}\n");
        if let Some(g) = &rb.guard {
            let _ = writeln!(out, "**Snapshot-history guard**: {}\n", text(&guard_words(g)));
        }
    }
}

/// A table of boot scenarios (or upgrade steps): result, time, time to healthy.
fn scenario_table(out: &mut String, what: &str, rows: &[Scenario]) {
    let _ = writeln!(out, "| {what} | result | time | healthy after |\n|---|---|---|---|");
    for s in rows {
        let result = if s.ok {
            "✅ pass".to_string()
        } else {
            match &super::check_words::failure(s) {
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

/// A finding's rule id as a code span, linked to the rule's page (docs/rules/<id>.md) where the
/// document says that trm-ci's documentation is published (`tool.rules_url`); ids the registry
/// does not know are not linked.
fn rule_id(doc: &Results, id: &str) -> String {
    match doc.tool.rule_doc_url(id).filter(|_| crate::rules::find(id).is_some()) {
        Some(url) => format!("[{}]({url})", code(id)),
        None => code(id),
    }
}

/// `{server}/{repo}/blob/{sha}/{file}#L{line}` (or `#L3-L5`), the path percent-encoded.
fn blob_url(links: &Links, file: &str, finding: Option<&Finding>) -> String {
    let mut u = format!(
        "{}/{}/blob/{}/{}",
        links.server_url.trim_end_matches('/'),
        links.repository,
        links.sha,
        percent_path(file)
    );
    if let Some(span) = finding.and_then(|f| f.span) {
        let l = span.line;
        let _ = write!(u, "#L{l}");
        if span.end_line > l {
            let _ = write!(u, "-L{}", span.end_line);
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
