//! The `scripts/*` rules: the entrypoint and the shell scripts under the
//! scripts directory, read from the [`Script`] model.
//!
//! A `*.sh` under the scripts directory without a `#!` line is a library
//! meant to be `source`d: strict mode and the executable bit are the
//! business of the script that sources it, so both rules skip it. The
//! entrypoint is always checked.

mod gnu_only;

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::shell::{BootStepKind, Script, Strict};
use crate::source::SourceFile;

pub const RULES: &[Rule] = &[
    Rule {
        id: "scripts/strict-mode",
        severity: Severity::Error,
        summary: "a script does not start with `set -euo pipefail`",
        doc: STRICT_MODE,
        needs_base: false,
        check: strict_mode,
    },
    Rule {
        id: "scripts/not-executable",
        severity: Severity::Error,
        summary: "a script's git mode is not 100755",
        doc: NOT_EXECUTABLE,
        needs_base: false,
        check: not_executable,
    },
    Rule {
        id: "scripts/boot-order",
        severity: Severity::Error,
        summary: "the entrypoint does not run db-init, then schema apply, then db-post (when there is one), then `exec` the Directus start",
        doc: BOOT_ORDER,
        needs_base: false,
        check: boot_order,
    },
    Rule {
        id: "scripts/gnu-only",
        severity: Severity::Error,
        summary: "a script copied into the image uses a GNU-only option or construct that busybox on Alpine rejects or mis-reads",
        doc: gnu_only::DOC,
        needs_base: false,
        check: gnu_only::check,
    },
];

fn norm(p: &str) -> &str {
    let p = p.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    p.trim_end_matches('/')
}

/// The scripts the rules check, with their sources: the entrypoint, and
/// the scripts with a `#!` line.
fn checked<'a>(ctx: &'a Context) -> Vec<(&'a Script, &'a SourceFile, bool)> {
    let entry = norm(&ctx.head.paths.entrypoint);
    ctx.head
        .scripts
        .iter()
        .filter_map(|s| {
            let src = ctx.head.files.get(&s.path)?;
            src.text().ok()?;
            let is_entry = s.path == entry;
            (is_entry || s.shebang.is_some()).then_some((s, src, is_entry))
        })
        .collect()
}

fn text_of<'a>(src: &'a SourceFile, span: Span) -> &'a str {
    src.text_or_empty().get(span.offset..span.offset + span.len).unwrap_or("")
}

fn first_line(src: &SourceFile, span: Span) -> String {
    let t = text_of(src, span);
    let l = t.lines().next().unwrap_or("");
    let short: String = l.chars().take(60).collect();
    if short.len() < l.len() || t.lines().nth(1).is_some() {
        format!("{}…", short.trim_end())
    } else {
        short
    }
}

// ---------------------------------------------------------------------------

const STRICT_MODE: &str = r#"## What it does
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

fn strict_mode(ctx: &Context, e: &mut Emitter) {
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

const NOT_EXECUTABLE: &str = r#"## What it does
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

fn not_executable(ctx: &Context, e: &mut Emitter) {
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

const BOOT_ORDER: &str = r#"## What it does
Checks that the entrypoint runs the boot steps in this order: the db-init
runner (a command whose program, or a `*.sh` it runs, is named after
`db-init` or the configured migrations directory), then the schema apply
(a `*schema-apply*` script, or `cli.js schema apply`), then — when the
repository has a post-schema directory (`db-post/`, `[paths]
post_migrations`) with files — the db-post runner (a `*db-post*` script,
or the db-init runner given `db-post` as an argument), then `exec` of the
Directus start (`exec node /directus/cli.js start`,
`exec "$node" "$dir/cli.js" start`, `exec pm2-runtime start …`). Each
missing step, a step before the one it must follow, and a start without
`exec` are reported. `echo`/`printf` lines that name a step do not count.
A db-post step is allowed without a db-post directory (the runner treats a
missing one as empty), but only in its place.

Severity: error.

## Why is this bad?
The schema apply needs the SQL objects db-init creates; the db-post SQL
alters, indexes and triggers the tables the schema apply creates, so it
must come after it and before Directus serves; Directus must not serve
before its schema is there; and without `exec` the shell stays in between,
so `docker stop`'s SIGTERM never reaches Directus and it is killed without
a clean shutdown.

## Example
```bash
"$scripts_dir/schema-apply.sh"
"$scripts_dir/apply-db-init.sh"
node /directus/cli.js start
```

## Use instead
```bash
"$scripts_dir/apply-db-init.sh"
"$scripts_dir/schema-apply.sh"
"$scripts_dir/apply-db-post.sh"   # when the repository has db-post/
exec node /directus/cli.js start
```
"#;

fn step_name(k: BootStepKind) -> &'static str {
    match k {
        BootStepKind::DbInit => "db-init",
        BootStepKind::SchemaApply => "the schema apply",
        BootStepKind::DbPost => "the db-post step",
        BootStepKind::Start => "the Directus start",
    }
}

fn boot_order(ctx: &Context, e: &mut Emitter) {
    let Some((s, src, _)) = checked(ctx).into_iter().find(|(_, _, is_entry)| *is_entry) else { return };
    let migrations = norm(&ctx.head.paths.migrations);
    let marker = migrations.rsplit('/').next().unwrap_or(migrations);
    let post_dir = norm(&ctx.head.paths.post_migrations);
    let post_marker = post_dir.rsplit('/').next().unwrap_or(post_dir);
    let steps = s.boot_steps(&[marker], &[post_marker]);
    let first = |k: BootStepKind| steps.iter().find(|b| b.kind == k);
    let top = src.line_span(1);
    let (db, schema, post, start) =
        (first(BootStepKind::DbInit), first(BootStepKind::SchemaApply), first(BootStepKind::DbPost), first(BootStepKind::Start));
    if db.is_none() {
        e.emit(
            &s.path,
            Some(top),
            "the entrypoint never runs db-init: the migrations are not applied before Directus boots",
            "run the db-init runner first, e.g. `\"$scripts_dir/apply-db-init.sh\"`",
        );
    }
    if schema.is_none() {
        e.emit(
            &s.path,
            Some(top),
            "the entrypoint never applies the schema snapshot",
            "run the schema apply after db-init, e.g. `\"$scripts_dir/schema-apply.sh\"`",
        );
    }
    if post.is_none() && ctx.head.has_post_migrations() {
        e.emit(
            &s.path,
            Some(schema.map(|st| st.span).unwrap_or(top)),
            format!("the repository has `{post_dir}/`, but the entrypoint never runs it: its migrations are never applied"),
            "run the db-post runner after the schema apply and before the start, e.g. `\"$scripts_dir/apply-db-post.sh\"`",
        );
    }
    match start {
        None => e.emit(
            &s.path,
            Some(top),
            "the entrypoint never starts Directus",
            "end with `exec node /directus/cli.js start`",
        ),
        Some(st) if !st.exec => e.emit(
            &s.path,
            Some(st.span),
            format!("Directus is started without `exec` (`{}`): bash stays PID 1 and `docker stop` never reaches Directus", first_line(src, st.span)),
            "start it with `exec`, as the last command: `exec node /directus/cli.js start`",
        ),
        _ => {}
    }
    // Order: each present step must come after the present steps before it.
    let present: Vec<_> = [db, schema, post, start].into_iter().flatten().collect();
    let order = if post.is_some() || ctx.head.has_post_migrations() {
        "db-init, then schema apply, then db-post, then `exec` start"
    } else {
        "db-init, then schema apply, then `exec` start"
    };
    for (i, later_kind) in present.iter().enumerate() {
        if let Some(earlier) = present[..i].iter().find(|p| p.span.offset > later_kind.span.offset) {
            e.emit(
                &s.path,
                Some(later_kind.span),
                format!(
                    "{} (line {}) runs before {} (line {}): the order must be {order}",
                    capitalise(step_name(later_kind.kind)),
                    later_kind.span.line,
                    step_name(earlier.kind),
                    earlier.span.line
                ),
                format!("move it below line {}", earlier.span.line),
            );
            break;
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::repo::Artifacts;

    /// scripts/boot-order's messages for this entrypoint, with a db-post/ file or not.
    fn boot(entry: &str, with_post: bool) -> Vec<String> {
        let cfg = Config::default();
        let mut files = Artifacts::default();
        files.files.insert("entrypoint.sh".into(), SourceFile::new("entrypoint.sh", entry.as_bytes().to_vec(), Some(0o100755)));
        if with_post {
            files.files.insert("db-post/0001_x.sql".into(), SourceFile::new("db-post/0001_x.sql", b"SELECT 1;\n".to_vec(), None));
        }
        let head = Project::parse(files, &cfg.paths);
        let ctx = Context { head: &head, base: None, config: &cfg };
        let mut e = Emitter::default();
        boot_order(&ctx, &mut e);
        e.out.into_iter().map(|r| r.message).collect()
    }

    const THREE: &str = "set -euo pipefail\nstep db-init \"$d/apply-db-init.sh\"\nstep schema \"$d/schema-apply.sh\"\nexec node /directus/cli.js start\n";
    const FOUR: &str = "set -euo pipefail\nstep db-init \"$d/apply-db-init.sh\"\nstep schema \"$d/schema-apply.sh\"\nstep db-post \"$d/apply-db-post.sh\"\nexec node /directus/cli.js start\n";

    #[test]
    fn the_db_post_step_is_required_with_db_post_and_in_its_place() {
        assert_eq!(boot(THREE, false), Vec::<String>::new());
        assert_eq!(boot(FOUR, false), Vec::<String>::new());
        assert_eq!(boot(FOUR, true), Vec::<String>::new());
        assert_eq!(boot(&FOUR.replace("\"$d/apply-db-post.sh\"", "\"$d/apply-db-init.sh\" db-post"), true), Vec::<String>::new());
        let f = boot(THREE, true);
        assert!(f.len() == 1 && f[0].contains("never runs it"), "{f:?}");
        let early = "set -euo pipefail\n\"$d/apply-db-init.sh\"\n\"$d/apply-db-post.sh\"\n\"$d/schema-apply.sh\"\nexec node /directus/cli.js start\n";
        let f = boot(early, true);
        assert!(f.len() == 1 && f[0].starts_with("The db-post step (line 3) runs before the schema apply (line 4)"), "{f:?}");
        let late = "set -euo pipefail\n\"$d/apply-db-init.sh\"\n\"$d/schema-apply.sh\"\nnode /directus/cli.js start &\n\"$d/apply-db-post.sh\"\n";
        let f = boot(late, true);
        assert!(f.iter().any(|m| m.starts_with("The Directus start (line 4) runs before the db-post step (line 5)")), "{f:?}");
    }
}
