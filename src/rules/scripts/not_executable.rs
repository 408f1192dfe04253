//! `scripts/not-executable`: the rule (id, severity, summary), its doc (`trm-ci explain scripts/not-executable`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "scripts/not-executable",
    severity: Severity::Error,
    summary: "a script's git mode is not 100755",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the entrypoint and every script with a `#!` line under the
scripts directory are executable: git mode `100755`. In the work tree that
is the file system's exec bit; with `--staged`, the mode in the index (what
the commit will record).

Severity: error — the image runs these files directly.

## Why is this bad?
`COPY` keeps the mode git checked out. A script committed as `100644`
makes the container die at boot with `permission denied` on
`/directus/entrypoint.sh`, on a fresh clone or in CI, even though it ran on
the author's machine where the bit happened to be set.

## Example
```text
$ git ls-files -s scripts/apply-db-init.sh
100644 3f2a… 0	scripts/apply-db-init.sh
```

## Use instead
```text
$ git update-index --chmod=+x scripts/apply-db-init.sh   # or: chmod +x, then git add
$ git ls-files -s scripts/apply-db-init.sh
100755 3f2a… 0	scripts/apply-db-init.sh
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for (s, src, _) in checked(ctx) {
        let Some(mode) = src.mode else { continue };
        if mode & 0o170000 == 0o120000 {
            continue; // a symlink: its target is checked
        }
        if src.is_executable() == Some(false) {
            e.emit(
                &s.path,
                Some(src.line_span(1)),
                format!("`{}` is not executable (mode {:o}): the container fails with `permission denied` when it runs it", s.path, mode),
                format!("run `chmod +x {0}` and `git add {0}` (or `git update-index --chmod=+x {0}`)", s.path),
            );
        }
    }
}

// ---------------------------------------------------------------------------
