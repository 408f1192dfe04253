use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use trm_ci::cli::{Cli, Command, DiffArgs, HookCommand, LintArgs};
use trm_ci::{diff, docker, hook, lint, render, rules};

// The lint of a large repository is allocation-bound (a 1.5 MB snapshot is a
// tree of small strings): mimalloc cut its wall time from 77 to 54 ms on the 1,000-migration
// synthetic repository (glibc malloc/free and page faults were half the run).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap: help/version are not errors.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Lint(args) => run_lint(args),
        Command::Rules => {
            let mut out = String::new();
            for r in rules::all() {
                out.push_str(&format!("{:<42} {:<8} {}\n", r.id, r.severity.as_str(), r.summary));
            }
            print(&out)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(r) => print(&format!(
                "# {}\n\nDefault severity: {}{}\n\n{}",
                r.id,
                r.severity.as_str(),
                if r.needs_base { " (compares with the base revision)" } else { "" },
                r.doc
            )),
            None => {
                eprintln!("trm-ci: unknown rule `{rule}`; `trm-ci rules` lists them");
                2
            }
        },
        Command::Diff(args) => run_diff(args),
        Command::Hook(HookCommand::Install { repo, force }) => match hook::install(&repo, force) {
            Ok(msg) => print(&format!("{msg}\n")),
            Err(e) => {
                eprintln!("trm-ci hook install: {e}");
                2
            }
        },
        Command::Build(args) => docker::run_build(&args),
        Command::Smoke(args) => docker::run_smoke(&args),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn print(s: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`trm-ci rules | head`) is not an error worth a panic.
    let _ = out.write_all(s.as_bytes());
    0
}

fn run_lint(args: LintArgs) -> i32 {
    let opts = lint::Options {
        repo: args.repo,
        base: args.base,
        staged: args.staged,
        config: args.config,
        only: args.paths,
        postgres: args.postgres,
    };
    let report = match lint::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trm-ci lint: {e}");
            return 2;
        }
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let text = render::render(&report, args.format, color);
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("trm-ci lint: cannot write {}: {e}", path.display());
                return 2;
            }
        }
        None => {
            print(&text);
        }
    }
    if args.format == render::Format::Human || args.output.is_some() {
        for n in &report.notes {
            eprintln!("note: {n}");
        }
    }
    report.exit_code()
}

fn run_diff(args: DiffArgs) -> i32 {
    match diff::run(&diff::Options { repo: args.repo, base: args.base }) {
        Ok(report) => print(&render::schema_diff::render(&report, args.format)),
        Err(e) => {
            eprintln!("trm-ci diff: {e}");
            2
        }
    }
}
