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
//!
//! The parts: `getopt` (busybox's option strings), `words` (spans inside a
//! word), and one file per tool (`sed`, `grep`, `xargs`, `find`, `awk`,
//! `wget`, `coreutils`).

mod awk;
mod coreutils;
mod find;
mod getopt;
mod grep;
mod sed;
mod wget;
mod words;
mod xargs;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use awk::awk;
use coreutils::coreutils;
use find::find;
use grep::grep;
use sed::sed;
use wget::wget;
use xargs::xargs;
use crate::finding::{Severity, Span};
use crate::model::dockerfile::Dockerfile;
use crate::model::shell::{Command, Script, Word};
use crate::rules::{Context, Emitter, Rule};
use crate::source::SourceFile;

pub const RULE: Rule = Rule {
    id: "scripts/gnu-only",
    severity: Severity::Error,
    summary: "a script copied into the image uses a GNU-only option or construct that busybox on Alpine rejects or mis-reads",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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
    pub(super) span: Span,
    pub(super) message: String,
    pub(super) help: String,
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
