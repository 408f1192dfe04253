//! `sed`: options, and the script's GNU-only commands, flags and addresses.

use super::getopt::{parse_opts, report_bad, BadOption, Spec};
use super::words::{literal, sub_span};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

pub(super) const SED: Spec = Spec {
    tool: "sed",
    flags: "nrE",
    with_arg: "ef",
    opt_arg: "i",
    long: &[
        ("in-place", false),
        ("regexp-extended", false),
        ("quiet", false),
        ("silent", false),
        ("expression", true),
        ("file", true),
        ("version", false),
        ("help", false),
    ],
    stop_at_operand: false,
};

pub(super) fn sed(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    // `--in-place=SFX`: an optional argument that the table cannot express.
    let p = parse_opts(&SED, args);
    let bad: Vec<BadOption> = p.bad.into_iter().filter(|b| !b.name.starts_with("--in-place")).collect();
    report_bad(&SED, &bad, src, out, &|name| {
        Some(match name {
            "-z" | "--null-data" | "--zero-terminated" => "busybox sed reads newline-separated lines only: convert with `tr '\\0' '\\n'` before and `tr '\\n' '\\0'` after, or do it in bash".into(),
            "-s" | "--separate" => "run sed once per file: `for f in …; do sed … \"$f\"; done`".into(),
            "--expression" => "use `-e SCRIPT`".into(),
            "--regexp-extended" => "use `-E`".into(),
            _ => "drop the option: busybox sed has nothing like it".into(),
        })
    });
    // The scripts: -e/--expression values, else the first operand (no -f).
    let scripts: Vec<(&Word, usize)> = p.values.iter().filter(|(o, _, _)| o == "-e" || o == "--expression").map(|(_, w, at)| (*w, *at)).collect();
    let has_file = p.values.iter().any(|(o, _, _)| o == "-f" || o == "--file");
    let scripts = if scripts.is_empty() && !has_file { p.operands.first().map(|&k| vec![(&args[k], 0)]).unwrap_or_default() } else { scripts };
    for (w, at) in scripts {
        if !literal(w) {
            continue;
        }
        let script = &w.text[at.min(w.text.len())..];
        for (i, len, what, help) in sed_script_issues(script) {
            out.push(Hit {
                span: sub_span(src, w, at + i, len),
                message: format!("{what}: GNU sed only, busybox sed (Alpine's) rejects or mis-reads it"),
                help: help.to_string(),
            });
        }
    }
}

/// GNU-only commands, flags and addresses in a sed script: (byte offset,
/// length, what, help). Stops at the first thing it does not understand.
pub(super) fn sed_script_issues(s: &str) -> Vec<(usize, usize, String, &'static str)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    // Reads a delimited part (regex or replacement) from just after the
    // delimiter; returns the offset just past the closing delimiter.
    let delimited = |mut j: usize, d: u8| -> Option<usize> {
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'\n' if d != b'\n' => return None,
                c if c == d => return Some(j + 1),
                _ => j += 1,
            }
        }
        None
    };
    let mut guard = 0;
    while i < b.len() {
        guard += 1;
        if guard > 10_000 {
            break;
        }
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b';' | b'}') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'#' {
            match s[i..].find('\n') {
                Some(p) => {
                    i += p;
                    continue;
                }
                None => break,
            }
        }
        // Up to two addresses.
        for n in 0..2 {
            let start = i;
            if i < b.len() && b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if b.get(i) == Some(&b'~') {
                    let s2 = i;
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    out.push((start, i - start, format!("the address `{}`", &s[start..i]), "busybox sed has no `first~step` addresses: use `awk 'NR % STEP == FIRST'` or a loop with `n`"));
                    let _ = s2;
                }
            } else if b.get(i) == Some(&b'$') {
                i += 1;
            } else if b.get(i) == Some(&b'/') || (b.get(i) == Some(&b'\\') && i + 1 < b.len()) {
                let (d, from) = if b[i] == b'/' { (b'/', i + 1) } else { (b[i + 1], i + 2) };
                let Some(end) = delimited(from, d) else { return out };
                i = end;
                if matches!(b.get(i), Some(b'I') | Some(b'M')) {
                    out.push((i, 1, format!("the `{}` flag on the address `{}`", b[i] as char, &s[start..i]), "busybox sed has no address flags: match both cases with a bracket expression (`/[Ee]rror/`)"));
                    i += 1;
                }
            } else if n == 1 && matches!(b.get(i), Some(b'+')) {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            } else if n == 1 && matches!(b.get(i), Some(b'~')) {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((start, i - start, format!("the address `{}`", &s[start..i]), "busybox sed has no `addr,~N` addresses: give the end line or a regex"));
            } else {
                break;
            }
            if n == 0 && &s[start..i] == "0" && b.get(i) == Some(&b',') && b.get(i + 1) == Some(&b'/') {
                out.push((start, 1, "the address `0,/re/`".to_string(), "busybox sed ignores a 0 address, so `0,/re/` never ends where GNU's does: use `1,/re/` when the first line cannot match, or awk"));
            }
            if n == 0 && b.get(i) == Some(&b',') {
                i += 1;
                skip_ws(&mut i);
            } else {
                break;
            }
        }
        skip_ws(&mut i);
        while b.get(i) == Some(&b'!') {
            i += 1;
            skip_ws(&mut i);
        }
        let Some(&cmd) = b.get(i) else { break };
        let at = i;
        i += 1;
        match cmd {
            b'{' | b'=' | b'd' | b'D' | b'g' | b'G' | b'h' | b'H' | b'n' | b'N' | b'p' | b'P' | b'x' => {}
            b'q' | b'l' => {
                skip_ws(&mut i);
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            b's' => {
                let Some(&d) = b.get(i) else { break };
                if d == b'\\' || d == b'\n' {
                    break;
                }
                let Some(e1) = delimited(i + 1, d) else { break };
                let Some(e2) = delimited(e1, d) else { break };
                i = e2;
                while i < b.len() && !matches!(b[i], b';' | b'\n' | b'}' | b' ' | b'\t' | b'#') {
                    match b[i] {
                        b'e' | b'M' | b'm' => out.push((i, 1, format!("the `s` flag `{}`", b[i] as char), if b[i] == b'e' { "busybox sed cannot run the pattern space as a command: do it in the shell" } else { "busybox sed has no multi-line mode: use `N` and `\\n` in the pattern, or awk" })),
                        b'w' => {
                            i = s[i..].find('\n').map(|p| i + p).unwrap_or(b.len());
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'y' => {
                let Some(&d) = b.get(i) else { break };
                let Some(e1) = delimited(i + 1, d) else { break };
                let Some(e2) = delimited(e1, d) else { break };
                i = e2;
            }
            b'a' | b'i' | b'c' | b'r' | b'w' => {
                // Text or a file name to the end of the line (`\` continues it).
                while i < b.len() && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'b' | b't' | b'T' | b':' => {
                while i < b.len() && !matches!(b[i], b';' | b'\n') {
                    i += 1;
                }
            }
            b'e' | b'F' | b'z' | b'Q' | b'R' | b'W' | b'v' | b'L' => {
                let help = match cmd {
                    b'Q' => "use `q` (which prints the line first), or `NUMq` on the line before",
                    b'z' => "use `s/.*//` to empty the pattern space",
                    b'F' => "print the file name from the shell",
                    b'R' | b'W' => "use `r FILE` / `w FILE`, or do it in the shell",
                    _ => "do it in the shell or in awk",
                };
                out.push((at, 1, format!("the sed command `{}`", cmd as char), help));
                if matches!(cmd, b'e' | b'R' | b'W') {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
            }
            _ => break, // not understood: stop rather than guess
        }
    }
    out
}
