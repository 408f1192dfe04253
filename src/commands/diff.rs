//! `trm-ci diff`: what the branch does to the schema, against the base, in words.

use crate::cli::DiffArgs;

pub fn run(args: DiffArgs) -> i32 {
    match crate::schema_change::run(&crate::schema_change::Options { repo: args.repo, base: args.base }) {
        Ok(report) => {
            super::print(&crate::render::schema_report::render(&report, args.format));
            0
        }
        Err(e) => {
            eprintln!("trm-ci diff: {e}");
            2
        }
    }
}
