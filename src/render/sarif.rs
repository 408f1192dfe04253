//! (Being implemented.)

use crate::lint::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!("{}:{}:{}: {} [{}] {}\n  help: {}\n", f.file, f.line(), f.col(), f.severity.as_str(), f.rule, f.message, f.help));
    }
    out
}
