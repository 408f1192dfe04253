//! `trm-ci lint`: findings rendered in the chosen format; exit 1 when an error-level finding
//! remains, 2 for a usage or environment problem.

use std::io::IsTerminal;
use std::time::Instant;

use crate::cli::{LintArgs, LintFailOn};
use crate::finding::Severity;
use crate::render::{self, Format};
use crate::results::{Results, StageName};

pub fn run(args: LintArgs) -> i32 {
    let opts = crate::linter::Options {
        repo: args.repo,
        base: args.base,
        staged: args.staged,
        config: args.config,
        only: args.paths,
        postgres: args.postgres,
        all: args.all,
    };
    let started = Instant::now();
    let (lint, run) = match crate::linter::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trm-ci lint: {e}");
            return 2;
        }
    };
    let code = match args.fail_on {
        LintFailOn::Error => lint.exit_code(),
        LintFailOn::Warning => {
            let warnings = lint.count(Severity::Warning) + lint.omitted_count(Severity::Warning);
            if lint.exit_code() == 1 || warnings > 0 {
                1
            } else {
                0
            }
        }
        LintFailOn::Never => 0,
    };
    let ok = lint.exit_code() == 0;
    let doc = Results {
        tool: super::tool(),
        repository: Some(run.repository()),
        head: run.head,
        base: run.base,
        base_revision: run.base_revision,
        ..Results::from_lint(lint)
    }
    .timed(StageName::Lint, ok, started.elapsed());
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let text = render::render(&doc, args.format, color);
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("trm-ci lint: cannot write {}: {e}", path.display());
                return 2;
            }
        }
        None => super::print(&text),
    }
    if args.format == Format::Human || args.output.is_some() {
        for n in doc.lint.iter().flat_map(|l| &l.notes) {
            eprintln!("note: {n}");
        }
    }
    code
}
