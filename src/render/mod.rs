//! Renderers: each output format is its own function of the same results document
//! ([`crate::results::Results`]); a new format is one more file here.

pub mod check_words;
pub mod container;
pub mod human;
pub mod json;
pub mod line;
pub mod lint_notes;
pub mod markdown;
pub mod sarif;
pub mod schema_report;
pub mod upgrade_drill;
pub mod workflow_commands;

use crate::results::Results;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    /// One line per finding: `file:line:col: severity [rule] message`.
    Line,
}

/// Renders the document; `color` only matters for `human`.
pub fn render(doc: &Results, format: Format, color: bool) -> String {
    match format {
        Format::Human => human::render(doc, color),
        Format::Json => json::render(doc),
        Format::Sarif => sarif::render(doc),
        Format::Github => workflow_commands::render(doc),
        Format::Line => line::render(doc),
    }
}
