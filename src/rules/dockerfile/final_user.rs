//! `dockerfile/final-user`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/final-user`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/final-user",
    severity: Severity::Error,
    summary: "the last USER is not node: the container would run as root",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the last `USER` of the final image is `node` (the upstream
image's user; `1000` and `node:node` count too). A final stage without any
`USER` keeps the base image's `node`.

Severity: error.

## Why is this bad?
`USER root` for the package install is fine, but a `USER root` that is
never undone runs Directus, its extensions and every request handler as
root: one remote-code bug owns the container, and files Directus writes at
runtime (uploads, extension caches) end up root-owned.

## Example
```dockerfile
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
COPY --chown=node:node scripts/ /directus/scripts/
```

## Use instead
```dockerfile
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
USER node
COPY --chown=node:node scripts/ /directus/scripts/
```
"#;

fn is_node_user(u: &str) -> bool {
    let user = u.split(':').next().unwrap_or("");
    matches!(user, "node" | "1000")
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let Some(last) = instructions.iter().rev().find(|i| i.is("USER")) else { return };
    let user = last.words.first().map(|w| w.text.as_str()).unwrap_or("");
    if !is_node_user(user) {
        e.emit(
            &d.path,
            Some(last.span),
            format!("the image's last USER is `{user}`, so Directus runs as `{user}` instead of `node`"),
            "end with `USER node` after the steps that need root",
        );
    }
}

// ---------------------------------------------------------------------------
