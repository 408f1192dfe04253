//! `awk`: long options, and gawk-only functions, variables and keywords in the program.

use super::getopt::{parse_opts, report_bad, Spec};
use super::words::sub_span;
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

// `-W` is accepted (and ignored) by busybox; `-E` only from 1.37 on, allowed here.
pub(super) const AWK: Spec = Spec { tool: "awk", flags: "E", with_arg: "vFfeW", opt_arg: "", long: &[], stop_at_operand: true };

pub(super) fn awk(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    let p = parse_opts(&AWK, args);
    report_bad(&AWK, &p.bad, src, out, &|name| {
        Some(match name {
            "--assign" => "use `-v VAR=VALUE`: busybox awk has no long options".into(),
            "--field-separator" => "use `-F SEP`: busybox awk has no long options".into(),
            "--file" => "use `-f FILE`: busybox awk has no long options".into(),
            "--source" => "use `-e PROGRAM`: busybox awk has no long options".into(),
            _ => "drop the option: busybox awk has only -F, -v, -f and -e".into(),
        })
    });
    if !p.bad.is_empty() {
        return;
    }
    let mut programs: Vec<(&Word, usize)> = p.values.iter().filter(|(o, _, _)| o == "-e").map(|(_, w, at)| (*w, *at)).collect();
    let has_file = p.values.iter().any(|(o, _, _)| o == "-f");
    if programs.is_empty() && !has_file {
        if let Some(&k) = p.operands.first() {
            programs.push((&args[k], 0));
        }
    }
    for (w, at) in programs {
        if w.text.contains('`') {
            continue;
        }
        let prog = &w.text[at.min(w.text.len())..];
        for (i, len, message, help) in awk_issues(prog) {
            out.push(Hit { span: sub_span(src, w, at + i, len), message, help: help.into() });
        }
    }
}

/// gawk-only functions, variables and keywords in an awk program, outside
/// strings, regular expressions and comments.
pub(super) fn awk_issues(s: &str) -> Vec<(usize, usize, String, &'static str)> {
    const FUNCS: &[(&str, &str)] = &[
        ("asort", "sort outside awk (`… | sort`), or write the sort in awk"),
        ("asorti", "sort outside awk (`… | sort`), or write the sort in awk"),
        ("strtonum", "convert decimals with `x + 0`; hexadecimal in the shell: `$((16#ff))`"),
        ("patsplit", "use `split()` or a `match()` loop with RSTART/RLENGTH"),
        ("typeof", "track the type yourself"),
        ("isarray", "track the type yourself"),
        ("mkbool", "use `x != 0`"),
    ];
    const VARS: &[(&str, &str)] = &[
        ("PROCINFO", "busybox awk has no PROCINFO (it is just an empty array): pass what you need with `-v`"),
        ("FPAT", "busybox awk ignores FPAT: split the fields with `split()` or `match()`"),
        ("FIELDWIDTHS", "busybox awk ignores FIELDWIDTHS: cut the fields with `substr()`"),
        ("RT", "busybox awk does not set RT"),
    ];
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Whether a `/` here starts a regular expression (no operand before it).
    let mut operand_before = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                operand_before = true;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if !operand_before => {
                i += 1;
                let mut in_bracket = false;
                while i < b.len() && (b[i] != b'/' || in_bracket) && b[i] != b'\n' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'[' => in_bracket = true,
                        b']' => in_bracket = false,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
                operand_before = true;
            }
            b'@' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &s[start..i];
                if matches!(word, "@include" | "@load" | "@namespace") {
                    out.push((start, i - start, format!("`{word}` is gawk-only: busybox awk (Alpine's) fails with `Unexpected token`"), "put the code in one program, or pass several files with `-f`"));
                }
                operand_before = false;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &s[start..i];
                let mut j = i;
                while j < b.len() && matches!(b[j], b' ' | b'\t') {
                    j += 1;
                }
                let call = b.get(j) == Some(&b'(');
                if let Some((_, help)) = FUNCS.iter().find(|(f, _)| *f == word).filter(|_| call) {
                    out.push((start, i - start, format!("`{word}()` is gawk-only: busybox awk (Alpine's) fails with `Call to undefined function`"), *help));
                } else if let Some((_, help)) = VARS.iter().find(|(v, _)| *v == word) {
                    out.push((start, i - start, format!("`{word}` is gawk-only: busybox awk (Alpine's) does not have it and silently goes on without it"), *help));
                } else if matches!(word, "BEGINFILE" | "ENDFILE") {
                    out.push((start, i - start, format!("`{word}` is gawk-only: busybox awk (Alpine's) reads it as an unset variable, so the block never runs"), "use `FNR == 1 { … }` for the start of each file; for the end, act at the next file's `FNR == 1` and in `END`"));
                } else if word == "match" && call && top_level_args(&s[j..]) >= 3 {
                    out.push((start, i - start, "`match()` with an array is gawk-only: busybox awk (Alpine's) ignores the array".to_string(), "use RSTART and RLENGTH with `substr()` after a two-argument `match()`"));
                }
                operand_before = !matches!(word, "print" | "printf" | "return" | "in" | "if" | "while" | "do" | "else" | "for");
            }
            b')' | b']' => {
                operand_before = true;
                i += 1;
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                operand_before = true;
            }
            b' ' | b'\t' => i += 1,
            _ => {
                operand_before = false;
                i += 1;
            }
        }
    }
    out
}

/// The number of top-level comma-separated arguments of the call starting
/// at `(` (strings skipped); 0 when it does not close.
pub(super) fn top_level_args(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut depth, mut n, mut i) = (0i32, 1usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return n;
                }
            }
            b',' if depth == 1 => n += 1,
            _ => {}
        }
        i += 1;
    }
    0
}
