//! `lint/outside-repository`: the rule (id, severity, summary), its doc (`trm-ci explain lint/outside-repository`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "lint/outside-repository",
    severity: Severity::Error,
    summary: "an artifact path is a symbolic link leading outside the repository, or not a regular file (FIFO, socket, device): never read",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
