//! `grep` (`egrep`, `fgrep`): options.

use super::getopt::{parse_opts, report_bad, BadOption, Spec};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

pub(super) const GREP: Spec = Spec {
    tool: "grep",
    flags: "lnqvscFiHhLorRwxEaI",
    with_arg: "efmABC",
    opt_arg: "",
    long: &[("color", false)],
    stop_at_operand: false,
};

pub(super) fn grep(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    let p = parse_opts(&GREP, args);
    let bad: Vec<BadOption> = p.bad.into_iter().filter(|b| !b.name.starts_with("--color")).collect();
    report_bad(&GREP, &bad, src, out, &|name| {
        let short = match name {
            "--quiet" | "--silent" => "-q",
            "--ignore-case" => "-i",
            "--fixed-strings" => "-F",
            "--extended-regexp" => "-E",
            "--count" => "-c",
            "--files-with-matches" => "-l",
            "--files-without-match" => "-L",
            "--invert-match" => "-v",
            "--word-regexp" => "-w",
            "--line-regexp" => "-x",
            "--max-count" => "-m N",
            "--only-matching" => "-o",
            "--recursive" => "-r",
            "--dereference-recursive" => "-R",
            "--no-messages" => "-s",
            "--regexp" => "-e PATTERN",
            "--file" => "-f FILE",
            "--line-number" => "-n",
            "--with-filename" => "-H",
            "--no-filename" => "-h",
            "--after-context" => "-A N",
            "--before-context" => "-B N",
            "--context" => "-C N",
            "--text" => "-a",
            "-y" => "-i",
            _ => "",
        };
        if !short.is_empty() {
            return Some(format!("use `{short}`: busybox grep has no long options (except --color)"));
        }
        Some(match name {
            "-P" | "--perl-regexp" => "use `grep -E` with a POSIX extended regular expression (`[0-9]` for `\\d`, no lookarounds or lazy quantifiers)".into(),
            "-z" | "--null-data" => "Alpine's busybox grep (musl) has no -z: `tr '\\0' '\\n' | grep … | tr '\\n' '\\0'`".into(),
            "-Z" | "--null" => "print the names with `-l` one per line, or use `find … -exec grep -l … {} +`".into(),
            "--include" | "--exclude" | "--exclude-dir" | "--exclude-from" => "busybox grep -r has no file filters: `find DIR -name 'GLOB' -exec grep … {} +`".into(),
            "-G" | "--basic-regexp" => "drop it: basic regular expressions are the default".into(),
            _ => "drop the option: busybox grep has nothing like it".into(),
        })
    });
}
