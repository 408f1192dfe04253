//! `trm-ci rules` (the catalog, one line each) and `trm-ci explain <id>` (a rule's doc).

use crate::rules;

pub fn list() -> i32 {
    let mut out = String::new();
    for r in rules::all() {
        out.push_str(&format!("{:<42} {:<8} {}\n", r.id, r.severity.as_str(), r.summary));
    }
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
            eprintln!("trm-ci: unknown rule `{id}`; `trm-ci rules` lists them");
            2
        }
    }
}
