//! The `compose/*` rules: the dev compose file, read from the [`Compose`]
//! model.

use super::{Context, Emitter, Rule};
use crate::finding::Severity;
use crate::model::compose::Compose;

pub const RULES: &[Rule] = &[
    Rule {
        id: "compose/invalid-yaml",
        severity: Severity::Error,
        summary: "the compose file is not valid YAML (or repeats a key)",
        doc: INVALID_YAML,
        needs_base: false,
        check: invalid_yaml,
    },
    Rule {
        id: "compose/local-build",
        severity: Severity::Error,
        summary: "the `directus` service is not built from the local Dockerfile",
        doc: LOCAL_BUILD,
        needs_base: false,
        check: local_build,
    },
];

fn compose<'a>(ctx: &'a Context) -> Option<&'a Compose> {
    let c = ctx.head.compose.as_ref()?;
    // Unreadable files are lint/unreadable-file's.
    ctx.head.files.get(&c.path)?.text().ok()?;
    Some(c)
}

const INVALID_YAML: &str = r#"## What it does
Reports a YAML syntax error in the dev compose file, at its line and
column, and a key given twice in the same mapping (Docker Compose rejects
both).

Severity: error.

## Why is this bad?
`docker compose` refuses the file: nobody can start the dev stack, and
`pnpm dev:reset` fails with a message about a line the reviewer never saw.

## Example
```yaml
services:
  directus:
    build: .
    environment:
      DB_HOST: postgres
      DB_HOST: localhost
```

## Use instead
```yaml
services:
  directus:
    build: .
    environment:
      DB_HOST: postgres
```
"#;

fn invalid_yaml(ctx: &Context, e: &mut Emitter) {
    let Some(c) = compose(ctx) else { return };
    for err in &c.errors {
        let help = if err.message.starts_with("duplicate key") {
            "keep one of the two keys (YAML does not allow a key twice in a mapping)"
        } else {
            "fix the YAML here; `docker compose -f <file> config` reports the same problem"
        };
        e.emit(&c.path, Some(err.span), format!("invalid YAML: {}", err.message), help);
    }
}

const LOCAL_BUILD: &str = r#"## What it does
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

/// Joins and normalises repo-relative paths; None when `..` leaves the repository.
fn resolve(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if rel.starts_with('/') { rel.to_string() } else { format!("{base}/{rel}") };
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn local_build(ctx: &Context, e: &mut Emitter) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::repo::Artifacts;
    use crate::source::SourceFile;

    fn findings(config: &str, compose_path: &str, yaml: &str) -> Vec<String> {
        let cfg = Config::parse(config).expect("config");
        let mut files = Artifacts::default();
        files.files.insert(compose_path.to_string(), SourceFile::new(compose_path, yaml.as_bytes().to_vec(), None));
        let head = Project::parse(files, &cfg.paths);
        let ctx = Context { head: &head, base: None, config: &cfg };
        let mut e = Emitter::default();
        local_build(&ctx, &mut e);
        e.out.into_iter().map(|r| r.message).collect()
    }

    #[test]
    fn local_build_resolves_context_and_dockerfile() {
        let ok = [
            ("", "compose.dev.yaml", "services:\n  directus:\n    build: .\n"),
            ("", "compose.dev.yaml", "services:\n  directus:\n    build: ./\n    image: x:dev\n"),
            ("", "compose.dev.yaml", "services:\n  directus:\n    build:\n      dockerfile: Dockerfile\n"),
            ("[paths]\ncompose = \"deploy/compose.dev.yaml\"\ndockerfile = \"docker/Dockerfile\"\n", "deploy/compose.dev.yaml", "services:\n  directus:\n    build:\n      context: ..\n      dockerfile: docker/Dockerfile\n"),
        ];
        for (cfg, path, y) in ok {
            assert_eq!(findings(cfg, path, y), Vec::<String>::new(), "{y}");
        }
        let bad = [
            ("services:\n  directus:\n    image: directus/directus:11.17.4\n", "runs the image"),
            ("services:\n  directus:\n    build: ./docker\n", "is `docker/`"),
            ("services:\n  directus:\n    build: ..\n", "outside the repository"),
            ("services:\n  directus:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n", "built from `Dockerfile.dev`"),
            ("services:\n  directus:\n    build: https://github.com/x/y.git\n", "remote context"),
            ("services:\n  api:\n    build: .\n", "no `directus` service"),
        ];
        for (y, want) in bad {
            let f = findings("", "compose.dev.yaml", y);
            assert!(f.len() == 1 && f[0].contains(want), "{y}: {f:?}");
        }
    }
}
