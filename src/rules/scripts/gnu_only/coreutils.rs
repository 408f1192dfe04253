//! GNU coreutils options (`readlink -e`, `date -d yesterday`, `sort -R`, …),
//! checked only when the Dockerfile does not `apk add coreutils`.

use super::getopt::{parse_opts, report_bad, Spec};
use super::words::{literal, sub_span};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

pub(super) const READLINK: Spec = Spec { tool: "readlink", flags: "fnvsq", with_arg: "", opt_arg: "", long: &[], stop_at_operand: false };
// busybox 1.36's option strings: sort "nghMVucszbrdfimS:T:o:k:*t:", stat "tLfc:",
// cut "b:c:f:d:O:sDF:n".
pub(super) const SORT: Spec = Spec { tool: "sort", flags: "nghMVucszbrdfim", with_arg: "STokt", opt_arg: "", long: &[], stop_at_operand: false };
pub(super) const STAT: Spec = Spec { tool: "stat", flags: "fLt", with_arg: "c", opt_arg: "", long: &[], stop_at_operand: false };
pub(super) const CUT: Spec = Spec { tool: "cut", flags: "sDn", with_arg: "bcfdOF", opt_arg: "", long: &[], stop_at_operand: false };

/// Words of a relative date, which busybox `date -d` does not parse.
pub(super) const RELATIVE: &[&str] = &[
    "ago", "now", "today", "yesterday", "tomorrow", "next", "last", "this", "sec", "secs", "second", "seconds", "min", "mins",
    "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "fortnight", "month", "months", "year", "years",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
];

pub(super) fn coreutils(tool: &str, _prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    let no_coreutils = "or add `coreutils` to the Dockerfile's `apk add`";
    match tool {
        "readlink" => {
            let p = parse_opts(&READLINK, args);
            report_bad(&READLINK, &p.bad, src, out, &|name| {
                Some(match name {
                    "-e" | "-m" | "--canonicalize" | "--canonicalize-existing" | "--canonicalize-missing" => format!("use `readlink -f` (busybox: the path must exist up to its last component), {no_coreutils}"),
                    _ => format!("use only -f, -n, -v, -s, -q, {no_coreutils}"),
                })
            });
        }
        "sort" => {
            let p = parse_opts(&SORT, args);
            report_bad(&SORT, &p.bad, src, out, &|name| {
                Some(match name {
                    "-R" | "--random-sort" => format!("shuffle with `shuf`, {no_coreutils}"),
                    "--version-sort" => format!("use `-V`: busybox sort has no long options, {no_coreutils}"),
                    "--human-numeric-sort" => format!("use `-h`: busybox sort has no long options, {no_coreutils}"),
                    _ => format!("busybox sort has no long options: use the short ones (`sort --help`), {no_coreutils}"),
                })
            });
        }
        "stat" => {
            let p = parse_opts(&STAT, args);
            report_bad(&STAT, &p.bad, src, out, &|name| {
                Some(match name {
                    "--printf" | "--format" => format!("use `stat -c FORMAT` (busybox prints a newline after each file), {no_coreutils}"),
                    _ => format!("busybox stat has only -c, -f, -L and -t, {no_coreutils}"),
                })
            });
            for (o, w, at) in &p.values {
                if o != "-c" || !literal(w) {
                    continue;
                }
                let f = &w.text[*at..];
                for (i, _) in f.match_indices('%') {
                    if matches!(f.as_bytes().get(i + 1), Some(b'W') | Some(b'w')) {
                        out.push(Hit {
                            span: sub_span(src, w, at + i, 2),
                            message: format!("`stat -c {}`: busybox stat has no birth time and prints `{}` literally", &f[i..i + 2], &f[i + 1..i + 2]),
                            help: format!("use the modification time `%Y`/`%y`, {no_coreutils}"),
                        });
                    }
                }
            }
        }
        "cut" => {
            let p = parse_opts(&CUT, args);
            report_bad(&CUT, &p.bad, src, out, &|name| {
                Some(match name {
                    "--complement" => format!("select the fields you keep instead, {no_coreutils}"),
                    "--output-delimiter" => format!("translate afterwards (`| tr`), {no_coreutils}"),
                    _ => format!("busybox cut has no long options: use -b, -c, -f, -d, -s, -n, {no_coreutils}"),
                })
            });
        }
        "date" => {
            let mut k = 0;
            while k < args.len() {
                let w = &args[k];
                let (value, at): (Option<&Word>, usize) = match w.text.as_str() {
                    "-d" | "--date" => (args.get(k + 1), 0),
                    t if t.starts_with("--date=") => (Some(w), 7),
                    t if t.starts_with("-d") && t.len() > 2 && !t.starts_with("--") => (Some(w), 2),
                    _ => (None, 0),
                };
                if let Some(v) = value.filter(|v| literal(v)) {
                    let text = v.text[at.min(v.text.len())..].to_ascii_lowercase();
                    let relative = text
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .any(|word| RELATIVE.contains(&word))
                        || text.trim_start().starts_with(['+', '-']);
                    if relative {
                        out.push(Hit {
                            span: v.span,
                            message: format!("`date -d '{}'`: busybox date parses absolute times only (`invalid date`)", &v.text[at.min(v.text.len())..]),
                            help: format!("compute in seconds and format with `@`: `date -d @$(( $(date +%s) - 86400 ))`, {no_coreutils}"),
                        });
                    }
                }
                k += 1;
            }
        }
        _ => {}
    }
}
