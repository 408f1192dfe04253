//! The `lint/*` rules: about trm-ci's own inputs rather than one artifact.

use super::{Context, Emitter, Rule};
use crate::finding::Severity;
use crate::source::Unreadable;

pub const RULES: &[Rule] = &[
    Rule {
        id: "lint/unreadable-file",
        severity: Severity::Error,
        summary: "an artifact is binary, not UTF-8, or too large to read",
        doc: UNREADABLE_FILE,
        needs_base: false,
        check: unreadable_file,
    },
    Rule {
        id: "lint/outside-repository",
        severity: Severity::Error,
        summary: "an artifact path is a symbolic link leading outside the repository, or not a regular file (FIFO, socket, device): never read",
        doc: OUTSIDE_REPOSITORY,
        needs_base: false,
        check: outside_repository,
    },
    Rule {
        id: "lint/missing-artifact",
        severity: Severity::Error,
        summary: "a configured artifact (Dockerfile, snapshot, compose, entrypoint, db-init/, scripts/) does not exist",
        doc: MISSING_ARTIFACT,
        needs_base: false,
        check: missing_artifact,
    },
    Rule {
        id: "lint/unused-ignore",
        severity: Severity::Warning,
        summary: "an inline `trm-ci: ignore=` pragma silences nothing",
        doc: UNUSED_IGNORE,
        needs_base: false,
        // Reported by the engine, which is the only place that knows which
        // pragmas silenced a finding.
        check: |_, _| {},
    },
];

const UNREADABLE_FILE: &str = r#"## What it does
Reports an artifact file that trm-ci cannot read as text: it contains a NUL
byte (binary), is not valid UTF-8 (the position of the first bad byte is
given), or is larger than 16 MiB.

## Why is this bad?
psql, Directus and Docker read these files as UTF-8 text. A stray binary or
a file saved in Latin-1 fails at boot, at 3 am, in a container; and no other
rule can check a file that cannot be read.

## Example
`db-init/0004_seed.sql` saved as Windows-1252 with `café` in a string.

## Use instead
Save the file as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8`), and keep binary
files out of `db-init/`, `scripts/` and `snapshots/`.
"#;

fn unreadable_file(ctx: &Context, e: &mut Emitter) {
    for f in ctx.head.files.files.values() {
        if let Err(why) = f.text() {
            let span = match why {
                Unreadable::Refused(_) => continue, // lint/outside-repository
                Unreadable::Binary { offset } | Unreadable::NotUtf8 { offset } => {
                    // Locate the byte on its line by counting the valid text before it.
                    let before = &f.bytes[..*offset];
                    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
                    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
                    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() as u32 + 1;
                    Some(crate::finding::Span {
                        line,
                        col,
                        end_line: line,
                        end_col: col + 1,
                        offset: *offset,
                        len: 1,
                    })
                }
                Unreadable::TooLarge { .. } => None,
            };
            e.emit(
                &f.path,
                span,
                format!("cannot read {}: {}", f.path, why.describe()),
                "save it as UTF-8 text; binary files do not belong among the deployment's artifacts",
            );
        }
    }
}

const OUTSIDE_REPOSITORY: &str = r#"## What it does
Reports an artifact path (a file in `db-init/`, `db-post/` or `scripts/`, the
snapshot, the Dockerfile, the compose file, the entrypoint, or one of those
directories) that is a symbolic link leading outside the repository (itself or
through a linked directory above it; dangling or not), or that is not a regular
file: a FIFO, a socket, a device, a git submodule. trm-ci never opens it.

## Why is this bad?
On a pull request the tree is written by whoever opened it. A committed
`db-init/0004_x.sql -> /etc/shadow` would be read on the CI machine and quoted
back in the findings and the PR comment; a FIFO or a link to `/dev/zero` would
hang the lint or fill the memory. The image would not have the file either:
`COPY` sends the link, not its target.

## Example
```
db-init/0004_seed.sql -> ../../secrets/seed.sql
```

## Use instead
Commit the file itself, inside the repository. A link between two files of the
repository is followed.
"#;

fn outside_repository(ctx: &Context, e: &mut Emitter) {
    for f in ctx.head.files.files.values() {
        if let Some(why) = f.refusal() {
            e.emit(
                &f.path,
                None,
                format!("{} is {}: not read", f.path, why.describe()),
                "commit the file itself, inside the repository; trm-ci reads only regular files of the repository",
            );
        }
    }
}

const MISSING_ARTIFACT: &str = r#"## What it does
Reports a configured artifact that is not in the repository: the Dockerfile,
the snapshot, the dev compose file, the entrypoint, the migrations directory
or the scripts directory (paths from `[paths]` in `trm-ci.toml`).

## Why is this bad?
The image is built from these files; a missing one fails the build or the
boot, and the rules that would have checked it cannot run.

## Example
`snapshots/snapshot.yaml` renamed to `snapshots/schema.yaml` without telling trm-ci.

## Use instead
Restore the file, or point `[paths]` in `trm-ci.toml` at where it lives now.
"#;

fn missing_artifact(ctx: &Context, e: &mut Emitter) {
    let p = &ctx.head.paths;
    let files = &ctx.head.files;
    for (what, path) in [
        ("Dockerfile", &p.dockerfile),
        ("snapshot", &p.snapshot),
        ("dev compose file", &p.compose),
        ("entrypoint", &p.entrypoint),
    ] {
        if files.get(path).is_none() {
            e.emit(path, None, format!("the {what} `{path}` does not exist"), format!("add `{path}` or set its path under [paths] in trm-ci.toml"));
        }
    }
    for (what, dir) in [("migrations directory", &p.migrations), ("scripts directory", &p.scripts)] {
        // A refused directory (a link out of the repository) has its own finding.
        if files.below(dir).next().is_none() && files.get(dir).is_none() {
            e.emit(dir, None, format!("the {what} `{dir}/` is missing or empty"), format!("add `{dir}/` or set its path under [paths] in trm-ci.toml"));
        }
    }
}

const UNUSED_IGNORE: &str = r#"## What it does
Reports an inline ignore pragma (`-- trm-ci: ignore=<id>` in SQL,
`# trm-ci: ignore=<id>` in a Dockerfile or shell script) that silenced no
finding, or that names a rule that does not exist.

## Why is this bad?
A stale ignore hides the next real problem on that line, and a misspelt id
silences nothing while looking as if it did.

## Example
```sql
-- trm-ci: ignore=migrations/destructive the column was never used
ALTER TABLE app.notes ADD COLUMN body text;
```

## Use instead
Remove the pragma, or correct the rule id (`trm-ci rules` lists them).
"#;
