//! `dockerfile/layer-order`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/layer-order`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/layer-order",
    severity: Severity::Warning,
    summary: "layers not ordered package install → scripts/ → entrypoint.sh → db-init/ → snapshots/ → db-post/ → extensions/",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks the order of the final image's layers, least to most volatile:
the package install (`RUN apk add …`), then `COPY scripts/`, `COPY
entrypoint.sh`, `COPY db-init/`, `COPY snapshots/`, `COPY db-post/` (when
the repository has a post-schema directory, or the image copies one), `COPY
extensions/` (paths from `[paths]` in `trm-ci.toml`). It points at the first
instruction that comes after one that should follow it, and says the
expected order.

Severity: warning — the image works, it is just rebuilt and re-pushed more
than it needs to be.

## Why is this bad?
Docker reuses a layer only when it and every layer before it are unchanged.
A new migration changes `db-init/`; if `db-init/` is copied before the
scripts, every migration PR rebuilds and re-uploads all the layers after
it, and a package install after the COPYs reinstalls the packages on every
change.

## Example
```dockerfile
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node scripts/ /directus/scripts/
```

## Use instead
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node db-post/ /directus/db-post/
COPY --chown=node:node extensions/ /directus/extensions/
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let steps = copy_steps(ctx, &instructions);
    // Position 0 is the install, 1.. the COPY steps.
    let mut seen: Vec<(usize, &Instruction)> = Vec::new();
    let label = |k: usize| if k == 0 { "the package install".to_string() } else { format!("`COPY {}`", steps[k - 1].label) };
    for ins in instructions {
        let mut ks: Vec<usize> = copy_step_indices(ins, &steps).into_iter().map(|k| k + 1).collect();
        if ks.is_empty() && is_install(ins) {
            ks.push(0);
        }
        for k in ks {
            if let Some((later, at)) = seen.iter().filter(|(s, _)| *s > k).max_by_key(|(s, _)| *s) {
                let what = if k == 0 { format!("the package install {}", describe(ins)) } else { label(k) };
                e.emit(
                    &d.path,
                    Some(ins.span),
                    format!("{what} comes after {} (line {}): expected order is {}", label(*later), at.first_line, expected_order(&steps)),
                    format!("move it above line {} so that a change to a more volatile directory does not rebuild it", at.first_line),
                );
                return;
            }
            seen.push((k, ins));
        }
    }
}

// ---------------------------------------------------------------------------
