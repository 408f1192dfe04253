//! `dockerfile/missing-copy`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/missing-copy`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/missing-copy",
    severity: Severity::Error,
    summary: "the image never copies one of scripts/, entrypoint.sh, db-init/, snapshots/, db-post/ (when it exists), extensions/",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the final image copies each of the deployment's parts:
`scripts/`, `entrypoint.sh`, `db-init/`, `snapshots/`, `db-post/` — only
when the repository has that post-schema directory with files in it — and
`extensions/` (paths from `[paths]` in `trm-ci.toml`; copying a file below
the directory, e.g. `db-init/*.sql`, counts). The package install is not required here:
a base image may already carry `psql`, and the boot test proves the
scripts' tools are there.

Severity: error — the entrypoint, a script, the migrations or the snapshot
missing from the image fail the boot (or silently skip a step).

## Why is this bad?
The image boots without migrations or with an old snapshot baked into the
base, and the failure shows up at deploy time instead of in review. A
missing `db-post/` is quieter still: the runner treats a missing directory
as empty, so the triggers and indexes on the collection tables silently
never exist.

## Example
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
ENTRYPOINT ["/directus/entrypoint.sh"]
```

## Use instead
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node extensions/ /directus/extensions/
ENTRYPOINT ["/directus/entrypoint.sh"]
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, last_from)) = final_image(ctx) else { return };
    let steps = copy_steps(ctx, &instructions);
    let present: Vec<usize> = instructions.iter().flat_map(|i| copy_step_indices(i, &steps)).collect();
    for (k, step) in steps.iter().enumerate() {
        if !present.contains(&k) {
            let src = step.label.trim_end_matches('/');
            let src = if step.label.ends_with('/') { format!("{src}/") } else { src.to_string() };
            e.emit(
                &d.path,
                Some(last_from.span),
                format!("the image never copies `{}`", step.label),
                format!("add `COPY --chown=node:node {src} {}` in its place in the layer order", step.dest),
            );
        }
    }
}

// ---------------------------------------------------------------------------
