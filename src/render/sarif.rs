//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it
//! (`github/codeql-action/upload-sarif`).
//!
//! - `runs[0].tool.driver.rules` is the whole registry (`trm_ci::rules::all()`),
//!   in catalog order, so `ruleIndex` is stable between runs; a finding of a
//!   rule that is not in the registry appends a minimal descriptor. Each rule
//!   has `helpUri` (its docs/rules/<id>.md) when the document's
//!   `tool.rules_url` says where the documentation is published.
//! - Every result has `ruleId`, `ruleIndex`, `level`, `message.text` (the
//!   message, then `help: ...`) and one location whose `artifactLocation.uri`
//!   is repository-relative with `uriBaseId: %SRCROOT%`. File-level findings
//!   have no `region`.
//! - Columns count Unicode code points (`columnKind: unicodeCodePoints`),
//!   `endColumn` points just past the last character, as SARIF wants.

use serde_json::{json, Value};

use crate::results::{Lint, Results, Tool};
use crate::rules;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The lint stage's findings as one SARIF run (a document without lint has no results).
pub fn render(doc: &Results) -> String {
    let empty = Lint::default();
    let mut s = serde_json::to_string_pretty(&value(doc.lint.as_ref().unwrap_or(&empty), &doc.tool)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

pub fn value(report: &Lint, tool: &Tool) -> Value {
    let mut ids: Vec<&str> = rules::all().iter().map(|r| r.id).collect();
    let mut descriptors: Vec<Value> = rules::all()
        .iter()
        .map(|r| {
            let mut d = json!({
                "id": r.id,
                "name": rule_name(r.id),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": what_it_does(r.doc).unwrap_or(r.summary) },
                "help": { "text": r.doc, "markdown": r.doc },
                "defaultConfiguration": { "level": r.severity.as_str() },
                "properties": { "tags": [area(r.id)] },
            });
            // docs/rules/<id>.md where this trm-ci's documentation is published.
            if let Some(u) = tool.rule_doc_url(r.id) {
                d["helpUri"] = json!(u);
            }
            d
        })
        .collect();

    let mut results = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let index = match ids.iter().position(|id| *id == f.rule) {
            Some(i) => i,
            None => {
                ids.push(&f.rule);
                descriptors.push(json!({
                    "id": f.rule,
                    "name": rule_name(&f.rule),
                    "shortDescription": { "text": f.rule },
                    "defaultConfiguration": { "level": f.severity.as_str() },
                }));
                ids.len() - 1
            }
        };
        let mut physical = json!({
            "artifactLocation": { "uri": uri(&f.file), "uriBaseId": "%SRCROOT%" },
        });
        if let Some(s) = f.span {
            // SARIF: endColumn > startColumn unless the region is empty; an
            // end before the start (never produced by SourceFile::span) is
            // clamped rather than emitted invalid.
            let (end_line, end_col) =
                if (s.end_line, s.end_col) < (s.line, s.col) { (s.line, s.col) } else { (s.end_line, s.end_col) };
            physical["region"] = json!({
                "startLine": s.line.max(1),
                "startColumn": s.col.max(1),
                "endLine": end_line.max(1),
                "endColumn": end_col.max(1),
            });
        }
        let text = if f.help.is_empty() { f.message.clone() } else { format!("{}\nhelp: {}", f.message, f.help) };
        results.push(json!({
            "ruleId": f.rule,
            "ruleIndex": index,
            "level": f.severity.as_str(),
            "message": { "text": text },
            "locations": [ { "physicalLocation": physical } ],
        }));
    }

    let mut driver = json!({
        "name": "trm-ci",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": descriptors,
    });
    // The project's home page, when Cargo.toml names one (`repository`/`homepage`).
    let home = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")].into_iter().find(|u| !u.is_empty());
    if let Some(u) = home {
        driver["informationUri"] = json!(u);
    }
    // Notes, including the count of findings a rule's cap left out (which
    // are not results): a warning-level notification for those.
    let mut notifications: Vec<Value> =
        super::lint_notes::words(report).iter().map(|n| json!({ "level": "note", "message": { "text": n } })).collect();
    for o in &report.omitted {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{} more `{}` findings in {} were left out (not listed as results)", o.count, o.rule, o.file) },
            "associatedRule": { "id": o.rule },
            "locations": [ { "physicalLocation": { "artifactLocation": { "uri": uri(&o.file), "uriBaseId": "%SRCROOT%" } } } ],
        }));
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root." } } },
            "invocations": [ {
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            } ],
            "results": results,
        } ],
    })
}

fn area(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

/// `migrations/bad-filename` → `MigrationsBadFilename` (SARIF's `name`:
/// an identifier-like, human-readable name).
fn rule_name(id: &str) -> String {
    id.split(['/', '-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The first paragraph of the doc's `## What it does` section.
fn what_it_does(doc: &str) -> Option<&str> {
    let rest = doc.split_once("## What it does")?.1;
    let rest = rest.trim_start();
    let end = rest.find("\n\n").or_else(|| rest.find("\n## ")).unwrap_or(rest.len());
    let para = rest[..end].trim();
    if para.is_empty() {
        None
    } else {
        Some(para)
    }
}

/// A repository-relative path as a relative URI reference: unreserved
/// characters and `/` are kept, everything else is percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("db-init/0001_init.sql"), "db-init/0001_init.sql");
        assert_eq!(uri("a b/c#d%.sql"), "a%20b/c%23d%25.sql");
        assert_eq!(uri("é"), "%C3%A9");
    }

    #[test]
    fn names_are_camel_case() {
        assert_eq!(rule_name("migrations/bad-filename"), "MigrationsBadFilename");
    }
}
