//! `scripts/strict-mode`: the rule (id, severity, summary), its doc (`trm-ci explain scripts/strict-mode`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "scripts/strict-mode",
    severity: Severity::Error,
    summary: "a script does not start with `set -euo pipefail`",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that each script turns on `set -euo pipefail` before it does
anything: only the shebang, comments, blank lines and other `set`/`shopt`
lines may come first. Any spelling counts (`set -e -u -o pipefail`,
`set -Eeuo pipefail`, `set -o errexit -o nounset -o pipefail`, or split
over several `set` lines), but only at the top level — a `set` inside a
function or an `if` does not protect the rest of the script. A later
top-level `set +e` must be followed by a `set -e` again (the usual
`set +e; cmd; rc=$?; set -e` is fine). A `*.sh` without `#!` under the
scripts directory is a library for `source` and is skipped.

Severity: error.

## Why is this bad?
Without `-e` a failed step is ignored: db-init fails, and the entrypoint
goes on to start Directus on a half-migrated database. Without `-u` a typo
in a variable name expands to nothing (`rm -rf "$DIR/"`); without
`pipefail` `psql … | tee log` succeeds whenever `tee` does.

## Example
```bash
#!/usr/bin/env bash
dir=${TRM_DB_INIT_DIR:-/directus/db-init}
set -e
```

## Use instead
```bash
#!/usr/bin/env bash
set -euo pipefail
dir=${TRM_DB_INIT_DIR:-/directus/db-init}
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let help = "put `set -euo pipefail` right after the shebang, before any other command";
    for (s, src, _) in checked(ctx) {
        match s.strict_mode() {
            Strict::Ok | Strict::Empty => {}
            Strict::LateOrPartial { flags, last_set, first_command, later_set } => {
                let missing = flags.missing().join(", ");
                let cmd = first_line(src, first_command);
                let message = match (later_set, last_set) {
                    (Some(later), _) => format!(
                        "`{cmd}` (line {}) runs before strict mode: `{}` comes only at line {}",
                        first_command.line,
                        first_line(src, later),
                        later.line
                    ),
                    (None, Some(set)) => format!(
                        "`{}` leaves {missing} off: the script goes on after a failing command, an unset variable or a failing pipeline stage",
                        first_line(src, set)
                    ),
                    (None, None) => format!("no `set -euo pipefail` before the first command `{cmd}` (line {})", first_command.line),
                };
                let span = match (later_set, last_set) {
                    (None, Some(set)) => set,
                    _ => first_command,
                };
                e.emit(&s.path, Some(span), message, help);
            }
            Strict::TurnedOff { flags, at } => {
                let off = flags.missing().join(", ");
                e.emit(
                    &s.path,
                    Some(at),
                    format!("`{}` turns {off} off and nothing turns it back on", first_line(src, at)),
                    "turn it back on after the command that needs it off (`set +e; cmd; rc=$?; set -e`)",
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
