//! `trm-ci lint`: findings rendered in the chosen format; exit 1 when an error-level finding
//! remains, 2 for a usage or environment problem.

use std::io::IsTerminal;
use std::time::Instant;

use crate::cli::{LintArgs, LintFailOn};
use crate::finding::Severity;
use crate::render::{self, Format};
use crate::results::{Results, StageName};

pub fn run(args: LintArgs) -> i32 {
    let stdin = match read_stdin(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trm-ci lint: {e}");
            return 2;
        }
    };
    let opts = crate::linter::Options {
        repo: args.repo,
        base: args.base,
        staged: args.staged,
        config: args.config,
        only: args.paths.into_iter().filter(|p| p != "-").collect(),
        postgres: args.postgres,
        all: args.all,
        stdin,
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
        for n in doc.lint.iter().flat_map(render::lint_notes::words) {
            eprintln!("note: {n}");
        }
    }
    code
}

/// `-` among the PATHs: the file from standard input (read up to one byte past the cap every
/// file is held to), judged as `--stdin-filename`.
fn read_stdin(args: &LintArgs) -> Result<Option<crate::linter::Stdin>, String> {
    let dashes = args.paths.iter().filter(|p| *p == "-").count();
    match (dashes, &args.stdin_filename) {
        (0, None) => Ok(None),
        (0, Some(_)) => Err("--stdin-filename names the file `-` reads from standard input: add `-` to the PATHs".into()),
        (1, None) => Err(
            "`-` reads a file from standard input: pass --stdin-filename PATH, the file of the repository it is (e.g. --stdin-filename db-init/0005_add_x.sql)"
                .into(),
        ),
        (1, Some(path)) => {
            use std::io::Read;
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(crate::source::MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("-: cannot read standard input: {e}"))?;
            Ok(Some(crate::linter::Stdin { path: path.clone(), bytes }))
        }
        _ => Err("`-` may be given once".into()),
    }
}
