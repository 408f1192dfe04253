//! `--format json`: the documented, versioned document of docs/json-output.md.
//! Bump [`VERSION`] on any incompatible change (a field removed, renamed or
//! retyped); adding a field is compatible. Keys come out in the order of the
//! structs below.

use serde::Serialize;

use crate::finding::Severity;
use crate::lint::Report;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    base: Option<&'a str>,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    omitted: Vec<JsonOmitted<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    files_checked: usize,
    /// Findings left out by a rule's cap (not in `findings`, not in the
    /// counts above); `omitted` says which rule and file.
    omitted_errors: usize,
    omitted_warnings: usize,
}

#[derive(Serialize)]
struct JsonOmitted<'a> {
    rule: &'a str,
    severity: &'static str,
    file: &'a str,
    count: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'static str,
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    message: &'a str,
    help: &'a str,
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&document(report)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn document(report: &Report) -> Document<'_> {
    Document {
        version: VERSION,
        tool: Tool { name: "trm-ci", version: env!("CARGO_PKG_VERSION") },
        base: report.base.as_deref(),
        summary: Summary {
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            files_checked: report.files_checked,
            omitted_errors: report.omitted_count(Severity::Error),
            omitted_warnings: report.omitted_count(Severity::Warning),
        },
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule,
                severity: f.severity.as_str(),
                file: &f.file,
                line: f.span.map(|s| s.line),
                column: f.span.map(|s| s.col),
                end_line: f.span.map(|s| s.end_line),
                end_column: f.span.map(|s| s.end_col),
                message: &f.message,
                help: &f.help,
            })
            .collect(),
        omitted: report
            .omitted
            .iter()
            .map(|o| JsonOmitted { rule: o.rule, severity: o.severity.as_str(), file: &o.file, count: o.count })
            .collect(),
        notes: &report.notes,
    }
}
