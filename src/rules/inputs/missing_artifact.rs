//! `lint/missing-artifact`: the rule (id, severity, summary), its doc (`trm-ci explain lint/missing-artifact`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "lint/missing-artifact",
    severity: Severity::Error,
    summary: "a configured artifact (Dockerfile, snapshot, compose, entrypoint, db-init/, scripts/) does not exist",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
