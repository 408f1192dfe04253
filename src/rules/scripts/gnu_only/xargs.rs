//! `xargs`: options, and where the command it runs starts.

use super::getopt::{parse_opts, report_bad, Spec};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

pub(super) const XARGS: Spec = Spec {
    tool: "xargs",
    flags: "trpxo0",
    with_arg: "nsEaPI",
    opt_arg: "ei",
    long: &[("no-run-if-empty", false)],
    stop_at_operand: true,
};

/// Returns the index in `args` of the command xargs runs.
pub(super) fn xargs(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) -> Option<usize> {
    let p = parse_opts(&XARGS, args);
    report_bad(&XARGS, &p.bad, src, out, &|name| {
        Some(match name {
            "-d" | "--delimiter" => "busybox xargs splits on blanks and newlines, or on NUL with `-0`: `tr '\\n' '\\0' | xargs -0 …`".into(),
            "-L" | "-l" | "--max-lines" => "use `-n 1` (one argument per command) or `-I {}` (one line per command)".into(),
            "--null" => "use `-0`".into(),
            "--max-args" => "use `-n N`".into(),
            "--max-procs" => "use `-P N`".into(),
            "--arg-file" => "use `-a FILE`".into(),
            "--replace" => "use `-I STR`".into(),
            "--verbose" => "use `-t`".into(),
            "--interactive" => "use `-p`".into(),
            "--exit" => "use `-x`".into(),
            "--max-chars" => "use `-s N`".into(),
            "--eof" => "use `-E STR`".into(),
            "--open-tty" => "use `-o`".into(),
            _ => "drop the option: busybox xargs has nothing like it".into(),
        })
    });
    if p.bad.is_empty() { p.operands.first().copied() } else { None }
}
