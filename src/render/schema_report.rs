//! `trm-ci diff` output: the schema change in words, one line per change,
//! destructive changes first and marked — as plain text, as Markdown for the
//! pull request (every user-controlled name in a code span, so no name can
//! break the layout, mention someone or inject HTML), or as JSON.

use serde::Serialize;

use crate::schema_change::Report;
use crate::model::schema_diff::{Change, Namer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    Markdown,
}

pub fn render(report: &Report, format: DiffFormat) -> String {
    match format {
        DiffFormat::Human => human(report),
        DiffFormat::Markdown => markdown(report),
        DiffFormat::Json => json(report),
    }
}

fn plain(s: &str) -> String {
    // Control characters (a newline in a name) would forge lines.
    s.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

/// `orders: field note added (text, nullable)`,
/// `customers.phone: type string → integer (destructive: existing values may not convert)`.
pub fn line(c: &Change, n: Namer) -> String {
    let mut s = c.sentence(n);
    match (c.reason_with(n), c.destructive) {
        (Some(r), true) => s.push_str(&format!(" (destructive: {r})")),
        (None, true) => s.push_str(" (destructive)"),
        (Some(r), false) => s.push_str(&format!(" ({r})")),
        (None, false) => {}
    }
    s
}

fn summary(report: &Report) -> String {
    let n = report.diff.changes.len();
    let d = report.diff.destructive();
    let changes = if n == 1 { "1 change".to_string() } else { format!("{n} changes") };
    if d > 0 {
        format!("{changes} ({d} destructive)")
    } else {
        changes
    }
}

fn human(report: &Report) -> String {
    let base = plain(&report.base);
    if report.diff.is_empty() {
        return format!("No schema changes against {base}.\n");
    }
    let mut out = String::new();
    for c in report.diff.destructive_first() {
        out.push_str(&line(c, &plain));
        out.push('\n');
    }
    out.push_str(&format!("\n{} against {base}", summary(report)));
    if report.base_missing {
        out.push_str(&format!(" (which has no {})", plain(&report.snapshot)));
    }
    out.push_str(".\n");
    out
}

/// The names go through the PR comment's code-span escaper: one escaper for all Markdown.
pub use crate::render::markdown::code;

/// One change as Markdown, its names in code spans, with its reason:
/// ``` `customers.phone`: type `string` → `integer`: existing values may not convert ```.
pub fn markdown_line(c: &Change) -> String {
    let mut s = c.sentence(&code);
    if let Some(r) = c.reason_with(&code) {
        s.push_str(&format!(": {r}"));
    }
    s
}

fn markdown(report: &Report) -> String {
    let mut out = String::from("### Schema changes\n\n");
    if report.diff.is_empty() {
        out.push_str(&format!("No schema changes against {}.\n", code(&report.base)));
        return out;
    }
    out.push_str(&format!("{} against {}", summary(report), code(&report.base)));
    if report.base_missing {
        out.push_str(&format!(" (which has no {})", code(&report.snapshot)));
    }
    out.push_str(":\n\n");
    for c in report.diff.destructive_first() {
        let s = markdown_line(c);
        if c.destructive {
            out.push_str(&format!("- **destructive** {s}\n"));
        } else {
            out.push_str(&format!("- {s}\n"));
        }
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    base: &'a str,
    snapshot: &'a str,
    base_missing: bool,
    summary: JsonSummary,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    changes: usize,
    destructive: usize,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    #[serde(flatten)]
    change: &'a Change,
    /// The line `human` prints.
    text: String,
}

fn json(report: &Report) -> String {
    let doc = JsonReport {
        version: 1,
        base: &report.base,
        snapshot: &report.snapshot,
        base_missing: report.base_missing,
        summary: JsonSummary { changes: report.diff.changes.len(), destructive: report.diff.destructive() },
        changes: report.diff.changes.iter().map(|c| JsonChange { change: c, text: line(c, &|s: &str| s.to_string()) }).collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema_diff::{SchemaDiff, What};

    fn report(changes: Vec<Change>) -> Report {
        Report { base: "main (merge-base 1a2b3c4)".into(), snapshot: "snapshots/snapshot.yaml".into(), base_missing: false, diff: SchemaDiff { changes } }
    }

    fn change(collection: &str, field: Option<&str>, what: What, destructive: bool) -> Change {
        Change { collection: collection.into(), field: field.map(Into::into), what, destructive, reason: None, base_line: None, head_line: None }
    }

    /// The text outside CommonMark code spans (a run of n backticks up to
    /// the next run of exactly n).
    fn without_code_spans(l: &str) -> String {
        let b: Vec<char> = l.chars().collect();
        let (mut out, mut i) = (String::new(), 0);
        while i < b.len() {
            if b[i] != '`' {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let n = b[i..].iter().take_while(|&&c| c == '`').count();
            let mut j = i + n;
            let close = loop {
                if j >= b.len() {
                    break None;
                }
                let m = b[j..].iter().take_while(|&&c| c == '`').count();
                if m == n {
                    break Some(j);
                }
                j += m.max(1);
            };
            match close {
                Some(j) => i = j + n,
                None => panic!("unclosed code span in {l}"),
            }
        }
        out
    }

    #[test]
    fn code_spans_hold_any_name() {
        assert_eq!(code("orders"), "`orders`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("x\ny"), "`x\u{fffd}y`");
        assert_eq!(code("<b>@team|x</b>"), "`<b>@team|x</b>`");
    }

    #[test]
    fn markdown_puts_every_name_in_a_code_span_destructive_first() {
        let r = report(vec![
            change("notes", Some("body"), What::FieldAdded { r#type: Some("text".into()), column: true, nullable: Some(true) }, false),
            change("@admins <img src=x>", None, What::CollectionRemoved { table: true, fields: 0 }, true),
            change("a|b`c", Some("d*e_"), What::TypeChanged { from: "string".into(), to: "integer".into(), from_column: None, to_column: None, loss: Some("existing values may not convert".into()) }, true),
        ]);
        let md = render(&r, DiffFormat::Markdown);
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(
            lines,
            vec![
                "- **destructive** collection `@admins <img src=x>` removed: drops table `@admins <img src=x>` and its rows",
                "- **destructive** ``a|b`c.d*e_``: type `string` → `integer`: existing values may not convert",
                "- `notes`: field `body` added (`text`, nullable)",
            ]
        );
        assert!(md.contains("3 changes (2 destructive) against `main (merge-base 1a2b3c4)`"), "{md}");
        // Outside code spans, no user text at all.
        for l in &lines {
            let outside = without_code_spans(l);
            assert!(!outside.contains('@') && !outside.contains('<') && !outside.contains('|'), "{l} -> {outside}");
        }
    }

    #[test]
    fn human_is_one_line_per_change_and_says_when_there_is_none() {
        let r = report(vec![
            change("orders", Some("note"), What::FieldAdded { r#type: Some("text".into()), column: true, nullable: Some(true) }, false),
            change("customers", Some("phone"), What::TypeChanged { from: "string".into(), to: "integer".into(), from_column: None, to_column: None, loss: Some("existing values may not convert".into()) }, true),
        ]);
        assert_eq!(
            render(&r, DiffFormat::Human),
            "customers.phone: type string → integer (destructive: existing values may not convert)\norders: field note added (text, nullable)\n\n2 changes (1 destructive) against main (merge-base 1a2b3c4).\n"
        );
        assert_eq!(render(&report(vec![]), DiffFormat::Human), "No schema changes against main (merge-base 1a2b3c4).\n");
    }

    #[test]
    fn json_is_versioned_and_carries_the_text() {
        let r = report(vec![change("customers", Some("phone"), What::TypeChanged { from: "string".into(), to: "integer".into(), from_column: None, to_column: None, loss: Some("existing values may not convert".into()) }, true)]);
        let v: serde_json::Value = serde_json::from_str(&render(&r, DiffFormat::Json)).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["summary"]["destructive"], 1);
        assert_eq!(v["changes"][0]["what"]["kind"], "type_changed");
        assert_eq!(v["changes"][0]["field"], "phone");
        assert_eq!(v["changes"][0]["text"], "customers.phone: type string → integer (destructive: existing values may not convert)");
    }
}
