//! `compose/extensions-mount-shadows-image`: the rule (id, severity, summary), its doc (`trm-ci explain compose/extensions-mount-shadows-image`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/extensions-mount-shadows-image",
    severity: Severity::Error,
    summary: "a volume or bind mount on /directus/extensions (or a parent) hides the extensions built into the image",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a volume, bind mount or tmpfs of the compose file's Directus service
(named `directus`, built from the local Dockerfile, or running a
`directus/directus` image) on `/directus/extensions`, where the Dockerfile
copies the repository's `extensions/`, or on a parent of it (`/directus`).
Short and long `volumes:` syntax and `tmpfs:` are read.

Severity: error.

## Why is this bad?
A mount replaces what the image has at that path. A bind mount
(`./extensions:/directus/extensions`) serves the host directory instead of
the extensions built into the image, so the container runs something no
review or CI build saw. A named volume is filled from the image only when
it is created: every later image's extensions stay hidden behind that stale
first copy, and upgrades silently keep old extension code. Building the
extensions into the image is what this image exists for.

## Example
```yaml
services:
  directus:
    build: .
    volumes:
      - ./extensions:/directus/extensions
```

## Use instead
```yaml
services:
  directus:
    build: .
    volumes:
      - uploads:/directus/uploads
```
Rebuild the image (`pnpm dev:reset`) to try a changed extension.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(c) = compose(ctx) else { return };
    if !c.errors.is_empty() {
        return; // compose/invalid-yaml
    }
    const EXTENSIONS: &str = "/directus/extensions";
    for s in directus_services(ctx, c) {
        let cwd = workdir(s);
        for m in &s.mounts {
            let target = container_path(&cwd, &m.target);
            if m.target.contains('$') || !covers(&target, EXTENSIONS) {
                continue;
            }
            let what = mount_words(m);
            let hides = if target == EXTENSIONS {
                "the extensions built into the image".to_string()
            } else {
                format!("everything the image has under `{target}` (Directus itself and the extensions built into the image)")
            };
            let why = match m.kind {
                MountKind::Bind => "the container runs whatever that host directory holds",
                MountKind::Volume | MountKind::Anonymous => "a volume is filled from the image only once, so later images' extensions never show",
                MountKind::Tmpfs | MountKind::Other => "the container sees an empty directory",
            };
            e.emit(
                &c.path,
                Some(m.span),
                format!("{what} on `{target}` in the `{}` service hides {hides}: {why}", s.name),
                "remove the mount: the Dockerfile copies extensions/ into the image; rebuild the image to run changed extensions",
            );
        }
    }
}

fn mount_words(m: &Mount) -> String {
    match (m.kind, &m.source) {
        (MountKind::Bind, Some(src)) => format!("the bind mount of `{src}`"),
        (MountKind::Bind, None) => "a bind mount".to_string(),
        (MountKind::Volume, Some(src)) => format!("the named volume `{src}`"),
        (MountKind::Volume, None) | (MountKind::Anonymous, _) => "an anonymous volume".to_string(),
        (MountKind::Tmpfs, _) => "a tmpfs".to_string(),
        (MountKind::Other, _) => "a mount".to_string(),
    }
}
