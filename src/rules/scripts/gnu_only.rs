//! `scripts/gnu-only`: GNU-only options and constructs in the scripts that
//! run inside the image, where `sed`, `grep`, `awk`, `find`, `xargs` and
//! `wget` are busybox's (Alpine, musl) even with `apk add coreutils`.
//!
//! Everything flagged here was checked against busybox 1.36.1's source
//! (option strings, applet code) and run with Debian's busybox 1.35 (same
//! option parsing; the differences are in the doc below); regular
//! expressions were checked against musl's `regcomp` (unchanged since 2017).
//! Anything not understood (an option in a variable, a sed script with an
//! expansion in it) is left alone: a missed warning is better than a false
//! error.

use std::collections::HashSet;

use crate::finding::Span;
use crate::model::dockerfile::Dockerfile;
use crate::model::shell::{Command, Script, Word};
use crate::rules::{Context, Emitter};
use crate::source::SourceFile;

pub const DOC: &str = r#"## What it does
Checks the entrypoint and every `*.sh` under the scripts directory (the
files copied into the image) for options and constructs that GNU tools
accept and busybox on Alpine rejects or silently mis-handles, and points at
each one (file:line:col) with the portable spelling:

- `sed`: `-z`, `-s`, `-u`, `-l`, long options other than `--in-place[=SFX]`,
  `--regexp-extended`, `--quiet`, `--silent`, `--expression`, `--file`; in
  the script: the commands `e`, `F`, `z`, `Q`, `R`, `W`, `v`, `L`, the `s`
  flags `e` and `M`, the addresses `first~step`, `addr,~N`, `0,/re/` and a
  regex address's `I`/`M` flag;
- `grep` (`egrep`, `fgrep`): `-P`, `-z` (accepted by Debian's busybox, not by
  Alpine's musl build), `-Z`, `-b`, `-T`, `-U`, `-D`, `-d`, `-y`, `-G`, and
  every long option except `--color` (`--include`, `--exclude`, `--quiet`, …);
- `find`: `-printf`, `-fprintf`, `-ls`, `-iregex`, `-regextype`, `-lname`,
  `-newerXY`, `-readable`, `-writable`, `-execdir`, `-true`, `-uid`, … ,
  `-size` with `M`/`G`, `-type f,d`;
- `xargs`: `-d`, `-L`, `-l` and the long options except `--no-run-if-empty`;
- `awk`: long options; `asort`, `asorti`, `strtonum`, `patsplit`, `typeof`,
  `isarray`; `PROCINFO`, `FPAT`, `FIELDWIDTHS`, `RT`; `BEGINFILE`, `ENDFILE`;
  `@include`/`@load`; `match()` with an array (`gensub`, `strftime`, `systime`,
  `mktime`, `and`/`or`/`xor` exist in busybox awk and are fine);
- `wget`: options busybox wget does not have (`--no-proxy`, `--connect-timeout`,
  `--retry-connrefused`, `--method`, `-N`, `-r`, …) and `--user` (which
  busybox reads as `--user-agent`);
- only when the Dockerfile does not `apk add coreutils`: `readlink -e`/`-m`,
  `date -d` with a relative date (`yesterday`, `1 hour ago`), `sort -R`,
  `stat -c %W`, and the long options of `sort`, `stat`, `cut`.

Commands inside `$(…)` and backquotes count; a tool the Dockerfile replaces
with its GNU package (`apk add sed grep gawk findutils wget`) is not checked,
and `busybox <tool>` always is. An option written in a variable is not seen.

Not flagged, because busybox and musl handle them: `sed -E`/`-r`, `sed
-i.bak`, `sed --in-place=.bak`, `\+`, `\?`, `\|`, `\s`, `\w`, `\<`, `\>` in
basic regular expressions (musl treats them as GNU does), `grep -E`/`-F`/`-o`/
`-w`/`-x`/`-m`/`-A`, `find -delete`/`-perm /MODE`/`-executable`,
`xargs -0`/`-r`/`-I`/`-P`/`-o`, `wget -Y off`/`-T`/`--timeout`/`--spider`/`-nv`.

The CI stand-in's busybox is Debian 12's 1.35 with Debian's configuration,
not Alpine's 1.36: it accepts `grep -z` (glibc build) and lacks `find
-delete`, `wget -T`/`--timeout` and `xargs -o`, which Alpine's has. This
rule follows Alpine.

Severity: error — each of these fails the boot in the real image (or
silently does something else), while passing on a GNU machine and in CI.

## Why is this bad?
The image is `node:22-alpine`: `coreutils` from apk replaces coreutils only;
`sed`, `grep`, `awk`, `find`, `xargs` and `wget` stay busybox. A script that
works on the developer's laptop and on the Debian CI stand-in dies in
production with `sed: invalid option -- 'z'` or `find: unrecognized:
-printf`, in the entrypoint, at 3 am.

## Example
```bash
files=$(find "$dir" -maxdepth 1 -name '*.sql' -printf '%f\n' | sort)
grep -P '^\d+_' <<<"$files"
```

## Use instead
```bash
files=$(cd "$dir" && for f in *.sql; do printf '%s\n' "$f"; done | LC_ALL=C sort)
grep -E '^[0-9]+_' <<<"$files"
```
"#;

/// One finding: where, what, what to do.
struct Hit {
    span: Span,
    message: String,
    help: String,
}

/// Which tools in the image are busybox's.
struct Userland {
    /// `apk add coreutils`: date, readlink, sort, stat, cut … are GNU.
    coreutils: bool,
    /// Tools whose GNU package the Dockerfile installs (`sed`, `grep`,
    /// `awk` for gawk, `find`/`xargs` for findutils, `wget`).
    gnu: HashSet<&'static str>,
}

impl Userland {
    fn of(d: Option<&Dockerfile>) -> Userland {
        let mut u = Userland { coreutils: false, gnu: HashSet::new() };
        let Some(d) = d else { return u };
        for ins in d.final_instructions().into_iter().filter(|i| i.is("RUN")) {
            let cmds: Vec<Vec<&str>> = match &ins.exec {
                Some(v) => vec![v.iter().map(String::as_str).collect()],
                None => ins.shell_commands().iter().map(|c| c.words.iter().map(|w| w.text.as_str()).collect()).collect(),
            };
            for words in cmds {
                let Some(p) = words.iter().position(|w| *w == "apk" || w.ends_with("/apk")) else { continue };
                let rest = &words[p + 1..];
                let Some(add) = rest.iter().position(|w| !w.starts_with('-')) else { continue };
                if rest[add] != "add" {
                    continue;
                }
                let mut k = add + 1;
                while k < rest.len() {
                    let w = rest[k];
                    if matches!(w, "-t" | "--virtual" | "-X" | "--repository" | "--repositories-file" | "-p" | "--root") {
                        k += 2;
                        continue;
                    }
                    let name = w.split(['=', '~', '<', '>']).next().unwrap_or(w);
                    match name {
                        "coreutils" => u.coreutils = true,
                        "sed" => {
                            u.gnu.insert("sed");
                        }
                        "grep" => {
                            u.gnu.insert("grep");
                        }
                        "gawk" => {
                            u.gnu.insert("awk");
                        }
                        "findutils" => {
                            u.gnu.insert("find");
                            u.gnu.insert("xargs");
                        }
                        "wget" => {
                            u.gnu.insert("wget");
                        }
                        _ => {}
                    }
                    k += 1;
                }
            }
        }
        u
    }
}

pub fn check(ctx: &Context, e: &mut Emitter) {
    let userland = Userland::of(ctx.head.dockerfile.as_ref());
    for s in &ctx.head.scripts {
        let Some(src) = ctx.head.files.get(&s.path) else { continue };
        if src.text().is_err() {
            continue;
        }
        for hit in script_hits(s, src, &userland) {
            e.emit(&s.path, Some(hit.span), hit.message, hit.help);
        }
    }
}

fn script_hits(s: &Script, src: &SourceFile, u: &Userland) -> Vec<Hit> {
    let mut out = Vec::new();
    for c in s.commands.iter().chain(&s.substituted) {
        check_command(c, src, u, &mut out);
    }
    out.sort_by_key(|h| (h.span.offset, h.span.len));
    out.dedup_by_key(|h| (h.span.offset, h.message.clone()));
    out
}

fn base(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn check_command(c: &Command, src: &SourceFile, u: &Userland, out: &mut Vec<Hit>) {
    let argv = c.argv();
    let (_, p) = c.program();
    let Some(prog) = argv.get(p) else { return };
    check_argv(&argv[p..], base(&prog.text), false, src, u, out, 0);
}

/// `words[0]` is the program (named `tool`); `forced`: run as `busybox tool`.
fn check_argv(words: &[Word], tool: &str, forced: bool, src: &SourceFile, u: &Userland, out: &mut Vec<Hit>, level: u32) {
    if level > 2 || words.is_empty() {
        return;
    }
    let args = &words[1..];
    if tool == "busybox" {
        if let Some(t) = args.first() {
            check_argv(args, base(&t.text), true, src, u, out, level + 1);
        }
        return;
    }
    let busybox = |t: &str| forced || !u.gnu.contains(t);
    let core = forced || !u.coreutils;
    match tool {
        "sed" if busybox("sed") => sed(&words[0], args, src, out),
        "grep" | "egrep" | "fgrep" if busybox("grep") => grep(&words[0], args, src, out),
        "xargs" if busybox("xargs") => {
            if let Some(k) = xargs(&words[0], args, src, out) {
                if let Some(inner) = args.get(k) {
                    check_argv(&args[k..], base(&inner.text), false, src, u, out, level + 1);
                }
            }
        }
        "find" if busybox("find") => {
            for (start, end) in find(&words[0], args, src, out) {
                if let Some(inner) = args.get(start) {
                    check_argv(&args[start..end], base(&inner.text), false, src, u, out, level + 1);
                }
            }
        }
        "awk" if busybox("awk") => awk(&words[0], args, src, out),
        "wget" if busybox("wget") => wget(&words[0], args, src, out),
        "readlink" | "date" | "sort" | "stat" | "cut" if core => coreutils(tool, &words[0], args, src, out),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Spans inside words

/// The span of `len` bytes at byte `i` of the word's text (quotes removed),
/// when the word is written plainly or wholly inside one pair of quotes;
/// else the whole word.
fn sub_span(src: &SourceFile, w: &Word, i: usize, len: usize) -> Span {
    match text_start(src, w) {
        Some(start) if i + len <= w.text.len() => src.span(start + i, start + i + len),
        _ => w.span,
    }
}

/// The byte offset in the file where the word's text starts, when its
/// text maps byte for byte onto the source.
fn text_start(src: &SourceFile, w: &Word) -> Option<usize> {
    let raw = src.text_or_empty().get(w.span.offset..w.span.offset + w.span.len)?;
    if raw == w.text {
        return Some(w.span.offset);
    }
    let b = raw.as_bytes();
    let quoted = b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0];
    (quoted && &raw[1..raw.len() - 1] == w.text).then_some(w.span.offset + 1)
}

/// An option word we can judge: written out, no expansion in it.
fn literal(w: &Word) -> bool {
    !w.text.contains('$') && !w.text.contains('`')
}

// ---------------------------------------------------------------------------
// Option parsing, getopt style

/// What an applet accepts.
struct Spec {
    tool: &'static str,
    /// Short options without an argument.
    flags: &'static str,
    /// Short options with a required argument (attached or the next word).
    with_arg: &'static str,
    /// Short options with an optional argument, attached only.
    opt_arg: &'static str,
    /// Long options (name, takes a required argument).
    long: &'static [(&'static str, bool)],
    /// Stop at the first operand (`+` in the option string, or POSIX awk).
    stop_at_operand: bool,
}

/// An option busybox rejects: the word and where in it.
struct BadOption<'a> {
    word: &'a Word,
    /// Byte offset of the option in the word's text, and its length.
    at: usize,
    len: usize,
    /// `-z` or `--null-data` as written (without `=value`).
    name: String,
}

/// Parsed arguments: rejected options, `(option, value)` pairs, operands.
struct Parsed<'a> {
    bad: Vec<BadOption<'a>>,
    values: Vec<(String, &'a Word, usize)>,
    operands: Vec<usize>,
}

fn parse_opts<'a>(spec: &Spec, args: &'a [Word]) -> Parsed<'a> {
    let mut p = Parsed { bad: Vec::new(), values: Vec::new(), operands: Vec::new() };
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if t == "--" {
            p.operands.extend(k + 1..args.len());
            break;
        }
        if !t.starts_with('-') || t == "-" || !literal(w) {
            p.operands.push(k);
            if spec.stop_at_operand {
                p.operands.extend(k + 1..args.len());
                break;
            }
            k += 1;
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            match spec.long.iter().find(|(n, _)| *n == name) {
                Some((_, true)) => {
                    if value.is_some() {
                        p.values.push((format!("--{name}"), w, 2 + name.len() + 1));
                    } else if let Some(v) = args.get(k + 1) {
                        p.values.push((format!("--{name}"), v, 0));
                        k += 1;
                    }
                }
                Some((_, false)) => {}
                None => p.bad.push(BadOption { word: w, at: 0, len: 2 + name.len(), name: format!("--{name}") }),
            }
            k += 1;
            continue;
        }
        // A cluster of short options: `-nE`, `-i.bak`, `-e'cmd'`.
        let mut consumed_next = false;
        for (i, ch) in t.char_indices().skip(1) {
            if spec.flags.contains(ch) {
                continue;
            }
            if spec.opt_arg.contains(ch) {
                if i + 1 < t.len() {
                    p.values.push((format!("-{ch}"), w, i + 1));
                }
                break;
            }
            if spec.with_arg.contains(ch) {
                if i + ch.len_utf8() < t.len() {
                    p.values.push((format!("-{ch}"), w, i + ch.len_utf8()));
                } else if let Some(v) = args.get(k + 1) {
                    p.values.push((format!("-{ch}"), v, 0));
                    consumed_next = true;
                }
                break;
            }
            // `-P` as a whole; in a cluster (`-nz`) just the letter.
            let (at, len) = if i == 1 { (0, 1 + ch.len_utf8()) } else { (i, ch.len_utf8()) };
            p.bad.push(BadOption { word: w, at, len, name: format!("-{ch}") });
            break; // getopt stops at the first unknown option
        }
        k += if consumed_next { 2 } else { 1 };
    }
    p
}

fn report_bad(spec: &Spec, bad: &[BadOption], src: &SourceFile, out: &mut Vec<Hit>, help: &dyn Fn(&str) -> Option<String>) {
    for b in bad {
        let tool = spec.tool;
        let message = format!(
            "`{tool} {}` is GNU-only: busybox {tool} (Alpine's) rejects it, so this fails in the image",
            b.name
        );
        let help = help(&b.name).unwrap_or_else(|| format!("use only options busybox {tool} has (`busybox {tool} --help`), or install GNU {tool} in the Dockerfile's `apk add`"));
        out.push(Hit { span: sub_span(src, b.word, b.at, b.len), message, help });
    }
}

// ---------------------------------------------------------------------------
// sed

const SED: Spec = Spec {
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

fn sed(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
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
fn sed_script_issues(s: &str) -> Vec<(usize, usize, String, &'static str)> {
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

// ---------------------------------------------------------------------------
// grep

const GREP: Spec = Spec {
    tool: "grep",
    flags: "lnqvscFiHhLorRwxEaI",
    with_arg: "efmABC",
    opt_arg: "",
    long: &[("color", false)],
    stop_at_operand: false,
};

fn grep(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
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

// ---------------------------------------------------------------------------
// xargs

const XARGS: Spec = Spec {
    tool: "xargs",
    flags: "trpxo0",
    with_arg: "nsEaPI",
    opt_arg: "ei",
    long: &[("no-run-if-empty", false)],
    stop_at_operand: true,
};

/// Returns the index in `args` of the command xargs runs.
fn xargs(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) -> Option<usize> {
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

// ---------------------------------------------------------------------------
// find

/// busybox find's primaries that take one argument.
const FIND_WITH_ARG: &[&str] = &[
    "-name", "-iname", "-path", "-wholename", "-ipath", "-regex", "-type", "-perm", "-mtime", "-atime", "-ctime", "-mmin",
    "-amin", "-cmin", "-newer", "-inum", "-samefile", "-user", "-group", "-size", "-context", "-links", "-mindepth",
    "-maxdepth",
];

/// GNU find primaries busybox find does not have: (name, arguments, help).
const FIND_GNU: &[(&str, usize, &str)] = &[
    ("-printf", 1, "print with `-print` (or `-exec printf '%s\\n' {} +`) and format in the shell; with GNU coreutils, `-exec stat -c FORMAT {} +`"),
    ("-fprintf", 2, "print with `-print` and redirect the output: `find … -print >FILE`"),
    ("-fprint", 1, "use `-print` and redirect the output: `find … -print >FILE`"),
    ("-fprint0", 1, "use `-print0` and redirect the output"),
    ("-ls", 0, "use `-exec ls -ld {} +`"),
    ("-fls", 1, "use `-exec ls -ld {} + >FILE`"),
    ("-iregex", 1, "use `-regex` (case-sensitive) or `-iname`"),
    ("-regextype", 1, "drop it: busybox `-regex` takes a POSIX basic regular expression"),
    ("-lname", 1, "select links with `-type l` and test their target in the shell (`readlink`)"),
    ("-ilname", 1, "select links with `-type l` and test their target in the shell (`readlink`)"),
    ("-iwholename", 1, "use `-ipath`"),
    ("-readable", 0, "test in the shell: `-exec test -r {} \\;`"),
    ("-writable", 0, "test in the shell: `-exec test -w {} \\;`"),
    ("-nouser", 0, "busybox find cannot test for a missing owner: check with `stat` in the shell"),
    ("-nogroup", 0, "busybox find cannot test for a missing group: check with `stat` in the shell"),
    ("-uid", 1, "use `-user UID` (busybox accepts a number)"),
    ("-gid", 1, "use `-group GID` (busybox accepts a number)"),
    ("-execdir", 0, "use `-exec sh -c 'cd \"${1%/*}\" && …' _ {} \\;`"),
    ("-okdir", 0, "use `-exec` (busybox find cannot ask)"),
    ("-true", 0, "drop it (an empty expression is true)"),
    ("-false", 0, "use `-prune` or a test that cannot match"),
    ("-daystart", 0, "drop it and compute the times with `-newer REF` and `touch -d`"),
    ("-mount", 0, "use `-xdev`"),
    ("-noleaf", 0, "drop it"),
    ("-ignore_readdir_race", 0, "drop it"),
    ("-noignore_readdir_race", 0, "drop it"),
    ("-fstype", 1, "busybox find cannot test the file system type"),
    ("-used", 1, "use `-atime`"),
    ("-anewer", 1, "use `-newer FILE` (busybox compares modification times)"),
    ("-cnewer", 1, "use `-newer FILE` (busybox compares modification times)"),
    ("-xtype", 1, "use `-type` (with `-follow` to see through links)"),
    ("-files0-from", 1, "give the paths as arguments (`xargs -0 find …`)"),
];

/// Checks a find expression; returns the `-exec`/`-ok` commands as
/// (start, end) index ranges into `args`.
fn find(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) -> Vec<(usize, usize)> {
    let mut execs = Vec::new();
    let mut k = 0;
    // Leading options (-H, -L) and the paths: up to the first primary.
    while k < args.len() && !(args[k].text.starts_with('-') && args[k].text.len() > 1 && !matches!(args[k].text.as_str(), "-H" | "-L" | "-P")) && !matches!(args[k].text.as_str(), "(" | "!") {
        k += 1;
    }
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if !literal(w) {
            k += 1;
            continue;
        }
        if matches!(t, "-exec" | "-ok" | "-execdir" | "-okdir") {
            let start = k + 1;
            let mut end = start;
            while end < args.len() && !matches!(args[end].text.as_str(), ";" | "+") {
                end += 1;
            }
            if matches!(t, "-execdir" | "-okdir") {
                let help = FIND_GNU.iter().find(|(n, _, _)| *n == t).map(|(_, _, h)| *h).unwrap_or("");
                out.push(Hit { span: w.span, message: format!("`find {t}` is GNU-only: busybox find (Alpine's) rejects it (`find: unrecognized: {t}`)"), help: help.into() });
            }
            if end > start {
                execs.push((start, end));
            }
            k = end + 1;
            continue;
        }
        if let Some((name, n, help)) = FIND_GNU.iter().find(|(n, _, _)| *n == t) {
            out.push(Hit { span: w.span, message: format!("`find {name}` is GNU-only: busybox find (Alpine's) rejects it (`find: unrecognized: {name}`)"), help: (*help).into() });
            k += 1 + n;
            continue;
        }
        if t.len() == 8 && t.starts_with("-newer") && t[6..].bytes().all(|c| b"amcBt".contains(&c)) {
            out.push(Hit {
                span: w.span,
                message: format!("`find {t}` is GNU-only: busybox find (Alpine's) rejects it (`find: unrecognized: {t}`)"),
                help: "use `-newer FILE` with a reference file (`touch -d '…' ref`), or `-mmin`/`-mtime`".into(),
            });
            k += 2;
            continue;
        }
        if FIND_WITH_ARG.contains(&t) {
            if let Some(v) = args.get(k + 1).filter(|v| literal(v)) {
                let vt = v.text.as_str();
                if t == "-size" && vt.ends_with(['M', 'G', 'T', 'P']) {
                    out.push(Hit {
                        span: sub_span(src, v, vt.len() - 1, 1),
                        message: format!("`find -size {vt}`: busybox find knows only the units c, w, b and k (`find: invalid number '{}'`)", vt.trim_start_matches(['+', '-'])),
                        help: "write the size in kilobytes, e.g. `-size +1024k` for `+1M`".into(),
                    });
                }
                if t == "-type" && vt.contains(',') {
                    out.push(Hit {
                        span: v.span,
                        message: format!("`find -type {vt}`: busybox find takes one type (`find: invalid argument '{vt}' to '-type'`)"),
                        help: "combine tests: `\\( -type f -o -type d \\)`".into(),
                    });
                }
            }
            k += 2;
            continue;
        }
        k += 1;
    }
    execs
}

// ---------------------------------------------------------------------------
// awk

// `-W` is accepted (and ignored) by busybox; `-E` only from 1.37 on, allowed here.
const AWK: Spec = Spec { tool: "awk", flags: "E", with_arg: "vFfeW", opt_arg: "", long: &[], stop_at_operand: true };

fn awk(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
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
fn awk_issues(s: &str) -> Vec<(usize, usize, String, &'static str)> {
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
fn top_level_args(s: &str) -> usize {
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

// ---------------------------------------------------------------------------
// wget

const WGET: Spec = Spec {
    tool: "wget",
    flags: "cqS",
    with_arg: "OoPYUTt",
    opt_arg: "n",
    long: &[
        ("continue", false),
        ("quiet", false),
        ("server-response", false),
        ("output-document", true),
        ("output-file", true),
        ("directory-prefix", true),
        ("proxy", true),
        ("user-agent", true),
        ("timeout", true),
        ("tries", true),
        ("header", true),
        ("post-data", true),
        ("spider", false),
        ("no-check-certificate", false),
        ("post-file", true),
        ("passive-ftp", false),
        ("no-cache", false),
        ("no-verbose", false),
        ("no-clobber", false),
        ("no-host-directories", false),
        ("no-parent", false),
    ],
    stop_at_operand: false,
};

fn wget(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    let p = parse_opts(&WGET, args);
    let mut bad = p.bad;
    // `--user` is accepted, as an abbreviation of `--user-agent`: mis-read, not rejected.
    let (user, rest): (Vec<BadOption>, Vec<BadOption>) = bad.drain(..).partition(|b| b.name == "--user");
    for b in user {
        out.push(Hit {
            span: sub_span(src, b.word, b.at, b.len),
            message: "`wget --user` is GNU's HTTP user name; busybox wget (Alpine's) reads it as `--user-agent` and sends no credentials".into(),
            help: "put the credentials in the URL (`http://user:password@host/…`), which busybox wget sends as Basic auth".into(),
        });
    }
    report_bad(&WGET, &rest, src, out, &|name| {
        Some(match name {
            "--no-proxy" => "use `-Y off` (busybox and GNU wget both accept it)".into(),
            "--connect-timeout" | "--read-timeout" | "--dns-timeout" => "use `-T SECONDS` (busybox wget's one timeout)".into(),
            "--retry-connrefused" | "--waitretry" | "--retry-on-http-error" => "retry in the script, with a bound: `for i in 1 2 3; do wget … && break; sleep 1; done`".into(),
            "--password" | "--http-user" | "--http-password" => "put the credentials in the URL (`http://user:password@host/…`)".into(),
            "--method" | "--body-data" | "--body-file" => "busybox wget sends GET, or POST with `--post-data`/`--post-file`".into(),
            "--output-document" => "use `-O FILE`".into(),
            "--verbose" | "-v" => "drop it (busybox wget prints progress unless `-q`)".into(),
            _ => "drop the option, or use one busybox wget has (`-q`, `-O`, `-T`, `-Y off`, `--header`, `--post-data`, `--spider`)".into(),
        })
    });
}

// ---------------------------------------------------------------------------
// coreutils (only when the Dockerfile does not install GNU coreutils)

const READLINK: Spec = Spec { tool: "readlink", flags: "fnvsq", with_arg: "", opt_arg: "", long: &[], stop_at_operand: false };
// busybox 1.36's option strings: sort "nghMVucszbrdfimS:T:o:k:*t:", stat "tLfc:",
// cut "b:c:f:d:O:sDF:n".
const SORT: Spec = Spec { tool: "sort", flags: "nghMVucszbrdfim", with_arg: "STokt", opt_arg: "", long: &[], stop_at_operand: false };
const STAT: Spec = Spec { tool: "stat", flags: "fLt", with_arg: "c", opt_arg: "", long: &[], stop_at_operand: false };
const CUT: Spec = Spec { tool: "cut", flags: "sDn", with_arg: "bcfdOF", opt_arg: "", long: &[], stop_at_operand: false };

/// Words of a relative date, which busybox `date -d` does not parse.
const RELATIVE: &[&str] = &[
    "ago", "now", "today", "yesterday", "tomorrow", "next", "last", "this", "sec", "secs", "second", "seconds", "min", "mins",
    "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "fortnight", "month", "months", "year", "years",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
];

fn coreutils(tool: &str, _prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(script: &str, coreutils: bool) -> Vec<String> {
        let src = SourceFile::new("scripts/x.sh", script.as_bytes().to_vec(), Some(0o100755));
        let s = Script::parse(&src);
        let u = Userland { coreutils, gnu: HashSet::new() };
        script_hits(&s, &src, &u).into_iter().map(|h| format!("{}:{} {}", h.span.line, h.span.col, h.message)).collect()
    }

    #[test]
    fn what_busybox_rejects_is_flagged_at_its_column() {
        let f = hits("sed -nz 's/a/b/' f\n", true);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].starts_with("1:7 `sed -z`"), "{f:?}");
        let f = hits("x=$(grep -P '\\d+' f | xargs -d '\\n' rm)\n", true);
        assert!(f[0].starts_with("1:10 `grep -P`") && f[1].starts_with("1:29 `xargs -d`"), "{f:?}");
        let f = hits("find \"$d\" -maxdepth 1 -name '*.sql' -printf '%f\\n'\n", true);
        assert!(f.len() == 1 && f[0].starts_with("1:37 `find -printf`"), "{f:?}");
        let f = hits("awk '{ n = asort(a); print PROCINFO[\"pid\"] }' f\n", true);
        assert!(f.len() == 2 && f[0].starts_with("1:12 `asort()`") && f[1].starts_with("1:28 `PROCINFO`"), "{f:?}");
        let f = hits("wget --no-proxy -qO- http://x/\nwget --user=u http://x/\n", true);
        assert!(f.len() == 2 && f[0].starts_with("1:6 `wget --no-proxy`") && f[1].contains("--user-agent"), "{f:?}");
        let f = hits("sed -e '0,/x/d' -e 's/a/b/M;2Q' f\n", true);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f[0].starts_with("1:9 the address `0,/re/`") && f[1].starts_with("1:27 the `s` flag `M`") && f[2].starts_with("1:30 the sed command `Q`"), "{f:?}");
        let f = hits("find . -size +1M -type f,d -exec sed -z p {} +\n", true);
        assert_eq!(f.len(), 3, "{f:?}");
    }

    #[test]
    fn what_busybox_and_musl_accept_is_not_flagged() {
        for ok in [
            "sed -e 's/[[:space:]]\\+/ /g' -e 's/a\\?b\\|c/x/' f\n",
            "sed -E 's/a+/b/' f; sed -r -n -i.bak '/x/p' f; sed --in-place=.bak -e 's/a/b/' f\n",
            "sed -i -e '1,/^$/d' -e '$!N;s/\\n/ /;2,+3d;y/abc/xyz/;/a/,/b/{s/x/y/g;p}' f\n",
            "grep -Eiq '^(BEGIN|COMMIT)' f; grep -v '^[[:space:]]*$' f; grep --color=never -rn x .; grep -e -P f\n",
            "find . -maxdepth 1 -type f -name '*.sql' -perm /u+x -newer ref -size +10k -print0 | xargs -0 -r -n1 -P2 echo\n",
            "find . -name x -delete; find . -exec sed -n p {} \\;\n",
            "awk -F: -v x=1 '{ print gensub(/a/, \"b\", \"g\"), strftime(\"%Y\"), and(1, 3); if (match($0, /x/)) print RSTART }' f\n",
            "awk '{ print \"asort(x) PROCINFO\" }' f; awk '/asort\\(/ { print }' f\n",
            "wget -Y off -qO- -T 3 --spider --header 'X: y' --post-data=a http://127.0.0.1/\n",
            "sed \"$script\" f; grep $flags x f; find . $expr\n",
            "readlink -e x; date -d yesterday; sort -h f\n",
            "echo 'sed -z' \"grep -P\"; printf '%s\\n' -printf\n",
            "busybox --list; xargs --no-run-if-empty echo\n",
        ] {
            assert_eq!(hits(ok, true), Vec::<String>::new(), "{ok}");
        }
    }

    #[test]
    fn coreutils_options_only_without_coreutils() {
        let f = hits("readlink -e x\ndate -d '1 hour ago' +%s\nsort --version-sort f\nstat -c '%W' f\ndate -d @0\nsort -h -V -t: -k2 f\ncut -d: -f1 -s f\n", false);
        assert_eq!(f.len(), 4, "{f:?}");
        assert!(f[0].starts_with("1:10 `readlink -e`"), "{f:?}");
        assert!(f[1].starts_with("2:9 `date -d '1 hour ago'`"), "{f:?}");
        // `busybox date` is busybox whatever the Dockerfile installs.
        assert_eq!(hits("busybox date -d yesterday\n", true).len(), 1);
    }

    #[test]
    fn gnu_packages_from_the_dockerfile_turn_checks_off() {
        let d = Dockerfile::parse(&SourceFile::new("Dockerfile", b"FROM directus/directus:11.17.4\nRUN apk add --no-cache bash coreutils grep=3.11-r0 findutils\n".to_vec(), None));
        let u = Userland::of(Some(&d));
        assert!(u.coreutils && u.gnu.contains("grep") && u.gnu.contains("find") && !u.gnu.contains("sed"));
        assert!(!Userland::of(None).coreutils);
    }

    #[test]
    fn random_input_never_panics() {
        use crate::model::test_soup::soup;
        let alphabet = ["sed ", "grep ", "awk ", "find ", "xargs ", "wget ", "-", "--", "z", "e", "'", "\"", "s/a/b/", "/", ";", "\\", "{", "}", "0,", "~", "(", ")", "$(", "`", " ", "\n", "é", "-printf", "-exec", "asort(", "match(", ","];
        for seed in 0..500 {
            let _ = hits(&soup(seed, 120, &alphabet), false);
        }
        for s in ["s", "s/", "s/a", "s/a/b", "y/", "0,/", "\\", "/a", "1~", "a\\", "e", "{{{{"] {
            let _ = sed_script_issues(s);
            let _ = awk_issues(s);
        }
    }
}
