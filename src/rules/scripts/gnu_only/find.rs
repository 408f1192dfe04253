//! `find`: GNU-only primaries and their arguments, and the `-exec` commands.

use super::words::{literal, sub_span};
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

/// busybox find's primaries that take one argument.
pub(super) const FIND_WITH_ARG: &[&str] = &[
    "-name", "-iname", "-path", "-wholename", "-ipath", "-regex", "-type", "-perm", "-mtime", "-atime", "-ctime", "-mmin",
    "-amin", "-cmin", "-newer", "-inum", "-samefile", "-user", "-group", "-size", "-context", "-links", "-mindepth",
    "-maxdepth",
];

/// GNU find primaries busybox find does not have: (name, arguments, help).
pub(super) const FIND_GNU: &[(&str, usize, &str)] = &[
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
pub(super) fn find(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) -> Vec<(usize, usize)> {
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
