//! `dockerfile/unpinned-base`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/unpinned-base`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/unpinned-base",
    severity: Severity::Error,
    summary: "the image is not built FROM directus/directus:X.Y.Z (digest optional)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the final image is built `FROM directus/directus:X.Y.Z` — an
exact release, optionally with `@sha256:` digest — literally, not through a
build argument. Multi-stage builds: the stage the final image starts from
is checked (`FROM base` is followed to `FROM … AS base`).

Severity: error.

## Why is this bad?
`latest`, `11` or `11.17` move under you: the next build runs a Directus
that the snapshot was not written for, and its migrations run on
production data at boot. The snapshot's `directus:` field must equal the pin
(`snapshot/version-mismatch`), which needs a pin to compare with.

## Example
```dockerfile
FROM directus/directus:11
```

## Use instead
```dockerfile
FROM directus/directus:11.17.4
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    let Some((_, arg)) = d.final_base() else {
        // A readable Dockerfile without FROM: dockerfile/syntax says so.
        return;
    };
    let image = arg.text.as_str();
    let help_pin = "pin an exact release: `FROM directus/directus:X.Y.Z` (optionally `@sha256:<digest>`); bump it in its own PR together with the snapshot";
    if image.contains('$') {
        e.emit(&d.path, Some(arg.span), format!("the base image `{image}` comes from a build argument, so any build can change it"), help_pin);
        return;
    }
    let r = ImageRef::parse(image);
    if !r.is_directus() {
        e.emit(
            &d.path,
            Some(arg.span),
            format!("the image is built FROM `{image}`, not from `directus/directus`"),
            "build the final stage FROM `directus/directus:X.Y.Z`",
        );
        return;
    }
    match &r.tag {
        None => e.emit(&d.path, Some(arg.span), format!("`{image}` has no tag, so it means `latest`"), help_pin),
        Some(t) if !is_exact_version(t) => {
            e.emit(&d.path, Some(arg.span), format!("`{image}` is not pinned to an exact release (`{t}` is not X.Y.Z)"), help_pin)
        }
        _ => {}
    }
    if let Some(dg) = &r.digest {
        if !is_valid_digest(dg) {
            e.emit(&d.path, Some(arg.span), format!("the digest `{dg}` is not `sha256:` and 64 hex digits"), "copy the digest from `docker buildx imagetools inspect`, or drop it");
        }
    }
}

// ---------------------------------------------------------------------------
