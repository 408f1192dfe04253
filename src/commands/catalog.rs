//! `trm-ci rules` (the catalog, one line each, or JSON) and `trm-ci explain <id>` (a rule's doc).

use serde::Serialize;

use crate::cli::RulesFormat;
use crate::rules;

#[derive(Serialize)]
struct RuleRecord {
    id: &'static str,
    severity: &'static str,
    summary: &'static str,
    needs_base: bool,
    doc: &'static str,
}

pub fn list(format: RulesFormat) -> i32 {
    let out = match format {
        RulesFormat::Human => {
            let mut out = String::new();
            for r in rules::all() {
                out.push_str(&format!("{:<42} {:<8} {}\n", r.id, r.severity.as_str(), r.summary));
            }
            out
        }
        RulesFormat::Json => {
            let records: Vec<RuleRecord> = rules::all()
                .iter()
                .map(|r| RuleRecord { id: r.id, severity: r.severity.as_str(), summary: r.summary, needs_base: r.needs_base, doc: r.doc })
                .collect();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "rules": records })).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    super::print(&out);
    0
}

pub fn explain(id: &str) -> i32 {
    match rules::find(id) {
        Some(r) => {
            super::print(&format!(
                "# {}\n\nDefault severity: {}{}\n\n{}",
                r.id,
                r.severity.as_str(),
                if r.needs_base { " (compares with the base revision)" } else { "" },
                r.doc
            ));
            0
        }
        None => {
            eprintln!("trm-ci: unknown rule `{id}`{}; `trm-ci rules` lists them", rules::did_you_mean(id));
            2
        }
    }
}
