//! `compose/local-build`: the rule (id, severity, summary), its doc (`trm-ci explain compose/local-build`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/local-build",
    severity: Severity::Error,
    summary: "the `directus` service is not built from the local Dockerfile",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the compose file's `directus` service is built from the
repository's own Dockerfile: `build: .` (or a `build:` mapping whose
`context` is the repository root and whose `dockerfile`, if given, is the
configured Dockerfile; paths are resolved from the compose file's
directory and `[paths]` in `trm-ci.toml`). An `image:` next to `build:` is
fine: it names the built image.

Severity: error.

## Why is this bad?
The dev stack exists to boot the same image as production, built from the
same Dockerfile with the same entrypoint, scripts, migrations and snapshot.
A service that pulls `directus/directus` or builds another Dockerfile tests
something else, and a broken boot sequence passes in dev.

## Example
```yaml
services:
  directus:
    image: directus/directus:11.17.4
```

## Use instead
```yaml
services:
  directus:
    build: .
    image: trm-directus:dev
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(c) = compose(ctx) else { return };
    if !c.errors.is_empty() || c.yaml.root.is_none() {
        return; // compose/invalid-yaml
    }
    let paths = &ctx.head.paths;
    let dockerfile = resolve("", &paths.dockerfile).unwrap_or_default();
    let compose_dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let help = format!("build it from the repository: `build: {}`", if compose_dir.is_empty() { ".".to_string() } else { rel_to_root(compose_dir) });
    let Some(svc) = c.service("directus") else {
        let span = c.services_key.or(c.root_span);
        e.emit(&c.path, span, "the compose file has no `directus` service", format!("add a `directus` service with {}", help.trim_start_matches("build it from the repository: ")));
        return;
    };
    let Some(build) = &svc.build else {
        let message = match &svc.image {
            Some((img, _)) => format!("the `directus` service runs the image `{img}` instead of building the local Dockerfile"),
            None => "the `directus` service has no `build:`, so it does not run the local Dockerfile".to_string(),
        };
        let span = svc.image.as_ref().map(|(_, s)| *s).unwrap_or(svc.name_span);
        e.emit(&c.path, Some(span), message, help);
        return;
    };
    if build.inline {
        e.emit(&c.path, Some(build.span), "the `directus` service builds an inline Dockerfile (`dockerfile_inline`)", help);
        return;
    }
    let (context, ctx_span) = match &build.context {
        Some((s, sp)) => (s.as_str(), *sp),
        None => (".", build.span),
    };
    if context.contains("://") || context.starts_with("git@") || context.contains(".git#") {
        e.emit(&c.path, Some(ctx_span), format!("the `directus` service is built from the remote context `{context}`"), help);
        return;
    }
    let resolved = resolve(compose_dir, context);
    if resolved.as_deref() != Some("") {
        let at = resolved.map(|r| format!("`{r}/`")).unwrap_or_else(|| "outside the repository".into());
        e.emit(
            &c.path,
            Some(ctx_span),
            format!("the `directus` service's build context `{context}` is {at}, not the repository root the Dockerfile's COPYs expect"),
            help,
        );
        return;
    }
    let (file, file_span) = match &build.dockerfile {
        Some((f, sp)) => (f.as_str(), *sp),
        None => ("Dockerfile", ctx_span),
    };
    let built = resolve("", file);
    if built.as_deref() != Some(dockerfile.as_str()) {
        e.emit(
            &c.path,
            Some(file_span),
            format!("the `directus` service is built from `{file}`, not the repository's `{dockerfile}`"),
            format!("use the Dockerfile the image is built from: `dockerfile: {dockerfile}` (or drop `dockerfile:` when it is `Dockerfile`)"),
        );
    }
}

/// `a/b` → `../..`.
fn rel_to_root(dir: &str) -> String {
    dir.split('/').filter(|p| !p.is_empty()).map(|_| "..").collect::<Vec<_>>().join("/")
}
