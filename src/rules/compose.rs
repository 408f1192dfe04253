//! The `compose/*` rules: the dev compose file, read from the [`Compose`]
//! model.

use super::{Context, Emitter, Rule};
use crate::finding::Severity;
use crate::model::compose::{Compose, Mount, MountKind, Service};

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
    Rule {
        id: "compose/uploads-not-persisted",
        severity: Severity::Warning,
        summary: "the directus service has no volume or bind mount on its storage root (/directus/uploads): uploads are lost on recreate",
        doc: UPLOADS_NOT_PERSISTED,
        needs_base: false,
        check: uploads_not_persisted,
    },
    Rule {
        id: "compose/extensions-mount-shadows-image",
        severity: Severity::Error,
        summary: "a volume or bind mount on /directus/extensions (or a parent) hides the extensions built into the image",
        doc: EXTENSIONS_MOUNT_SHADOWS_IMAGE,
        needs_base: false,
        check: extensions_mount_shadows_image,
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
        findings_of(local_build, config, compose_path, yaml)
    }

    fn findings_of(check: fn(&Context, &mut Emitter), config: &str, compose_path: &str, yaml: &str) -> Vec<String> {
        let cfg = Config::parse(config).expect("config");
        let mut files = Artifacts::default();
        files.files.insert(compose_path.to_string(), SourceFile::new(compose_path, yaml.as_bytes().to_vec(), None));
        let head = Project::parse(files, &cfg.paths);
        let ctx = Context { head: &head, base: None, config: &cfg };
        let mut e = Emitter::default();
        check(&ctx, &mut e);
        e.out.into_iter().map(|r| r.message).collect()
    }

    #[test]
    fn uploads_are_persisted_by_a_mount_on_the_storage_root_or_object_storage() {
        let ok = [
            "services:\n  directus:\n    build: .\n    volumes:\n      - uploads:/directus/uploads\n",
            "services:\n  directus:\n    build: .\n    volumes:\n      - ./data/uploads:/directus/uploads/:rw\n",
            "services:\n  directus:\n    build: .\n    volumes:\n      - type: volume\n        source: up\n        target: /directus/uploads\n",
            "services:\n  directus:\n    build: .\n    environment:\n      STORAGE_LOCATIONS: s3\n      STORAGE_S3_DRIVER: s3\n",
            "services:\n  directus:\n    build: .\n    environment:\n      - STORAGE_LOCAL_ROOT=/data/files\n    volumes:\n      - files:/data\n",
            "services:\n  directus:\n    build: .\n    environment:\n      STORAGE_LOCATIONS: ${STORAGE}\n",
            "services:\n  directus:\n    build: .\n    environment:\n      - STORAGE_LOCAL_DRIVER\n",
            "services:\n  db:\n    image: postgres:16\n",
        ];
        for y in ok {
            assert_eq!(findings_of(uploads_not_persisted, "", "compose.dev.yaml", y), Vec::<String>::new(), "{y}");
        }
        let bad = [
            ("services:\n  directus:\n    build: .\n", "keeps uploads in `/directus/uploads` (Directus's default"),
            ("services:\n  cms:\n    image: directus/directus:11.17.4\n    volumes:\n      - /directus/uploads\n", "an anonymous volume"),
            ("services:\n  directus:\n    build: .\n    tmpfs:\n      - /directus/uploads\n", "on a tmpfs"),
            ("services:\n  directus:\n    build: .\n    environment:\n      STORAGE_LOCATIONS: local,s3\n      STORAGE_S3_DRIVER: s3\n      STORAGE_LOCAL_ROOT: files\n    volumes:\n      - uploads:/directus/uploads\n", "`/directus/files` (`STORAGE_LOCAL_ROOT`)"),
        ];
        for (y, want) in bad {
            let f = findings_of(uploads_not_persisted, "", "compose.dev.yaml", y);
            assert!(f.len() == 1 && f[0].contains(want), "{y}: {f:?}");
        }
    }

    #[test]
    fn a_mount_on_the_extensions_or_a_parent_shadows_the_image() {
        let bad = [
            ("services:\n  directus:\n    build: .\n    volumes:\n      - ./extensions:/directus/extensions\n", "the bind mount of `./extensions`"),
            ("services:\n  directus:\n    build: .\n    volumes:\n      - ext:/directus/extensions:ro\n", "the named volume `ext`"),
            ("services:\n  directus:\n    build: .\n    volumes:\n      - type: bind\n        source: /srv/directus\n        target: /directus\n", "everything the image has under `/directus`"),
            ("services:\n  api:\n    image: registry.example.com/directus/directus:11\n    working_dir: /directus\n    volumes:\n      - ./e:./extensions\n", "the bind mount of `./e`"),
        ];
        for (y, want) in bad {
            let f = findings_of(extensions_mount_shadows_image, "", "compose.dev.yaml", y);
            assert!(f.len() == 1 && f[0].contains(want), "{y}: {f:?}");
        }
        let ok = [
            "services:\n  directus:\n    build: .\n    volumes:\n      - uploads:/directus/uploads\n      - ./extensions-dev:/tmp/extensions\n",
            "services:\n  web:\n    image: nginx\n    volumes:\n      - ./extensions:/directus/extensions\n",
        ];
        for y in ok {
            assert_eq!(findings_of(extensions_mount_shadows_image, "", "compose.dev.yaml", y), Vec::<String>::new(), "{y}");
        }
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

// ---------------------------------------------------------------------------

/// The services that run this deployment's Directus: the one named
/// `directus`, one built from the local Dockerfile, or one running a
/// `directus/directus` image.
fn directus_services<'a>(ctx: &Context, c: &'a Compose) -> Vec<&'a Service> {
    let dockerfile = resolve("", &ctx.head.paths.dockerfile).unwrap_or_default();
    let compose_dir = c.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    c.services
        .iter()
        .filter(|s| {
            let local = s.build.as_ref().is_some_and(|b| {
                let context = b.context.as_ref().map(|(c, _)| c.as_str()).unwrap_or(".");
                let file = b.dockerfile.as_ref().map(|(f, _)| f.as_str()).unwrap_or("Dockerfile");
                !b.inline && resolve(compose_dir, context).as_deref() == Some("") && resolve("", file).as_deref() == Some(dockerfile.as_str())
            });
            let image = s.image.as_ref().is_some_and(|(i, _)| {
                let repo = i.split('@').next().unwrap_or(i);
                let repo = repo.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map(|(r, _)| r).unwrap_or(repo);
                repo == "directus/directus" || repo.ends_with("/directus/directus")
            });
            s.name == "directus" || local || image
        })
        .collect()
}

/// A container path, normalised: `/directus/uploads/` → `/directus/uploads`;
/// relative ones resolved against `cwd`.
fn container_path(cwd: &str, p: &str) -> String {
    let joined = if p.starts_with('/') { p.to_string() } else { format!("{cwd}/{p}") };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `dir` is `path` or one of its parents.
fn covers(dir: &str, path: &str) -> bool {
    dir == path || dir == "/" || path.starts_with(&format!("{dir}/"))
}

/// Directus's working directory in the container (the image's WORKDIR).
fn workdir(s: &Service) -> String {
    s.working_dir.as_deref().filter(|w| w.starts_with('/') && !w.contains('$')).map(|w| container_path("/", w)).unwrap_or_else(|| "/directus".into())
}

const UPLOADS_NOT_PERSISTED: &str = r#"## What it does
Checks that the compose file's Directus service (named `directus`, built
from the local Dockerfile, or running a `directus/directus` image) mounts a
named volume or a host directory on its storage root: `/directus/uploads`
(Directus's default `STORAGE_LOCAL_ROOT`, `./uploads` from `/directus`), or
whatever `STORAGE_<LOCATION>_ROOT` the service's `environment:` sets for
each `STORAGE_LOCATIONS` entry whose driver is `local`. A mount on a parent
directory counts; a `tmpfs` or an anonymous volume does not. Short syntax
(`uploads:/directus/uploads`, `./data:/directus/uploads:rw`), long syntax
(`type: volume`, `source`, `target`) and `environment:` as a map or a list
are read.

It says nothing when the uploads go elsewhere (every location's
`STORAGE_<LOC>_DRIVER` is `s3`, `gcs`, `azure`, `cloudinary`, `supabase`),
or when a storage variable comes from the host or an interpolation
(`STORAGE_LOCATIONS: ${STORAGE}`) and so cannot be known here.

Severity: warning — the storage may be configured where the lint cannot
see it (`env_file:`, the orchestrator).

## Why is this bad?
The upstream image declares no `VOLUME`: the files a user uploads are
written into the container's own layer and are lost when the container is
recreated — a Portainer redeploy, `docker compose up` after a pull, a host
move. An anonymous volume is no better: the next container gets a new,
empty one. The database keeps its `directus_files` rows, so Directus shows
files it cannot serve.

## Example
```yaml
services:
  directus:
    build: .
    ports: ["8055:8055"]
```

## Use instead
```yaml
services:
  directus:
    build: .
    ports: ["8055:8055"]
    volumes:
      - uploads:/directus/uploads
volumes:
  uploads:
```
(or keep the files in object storage: `STORAGE_LOCATIONS: s3` with
`STORAGE_S3_DRIVER: s3`.)
"#;

/// A variable's value when it is known: Err(()) when it is set without a
/// value or through an interpolation; Ok(None) when it is not set.
fn known<'a>(s: &'a Service, name: &str) -> Result<Option<&'a str>, ()> {
    match s.env(name) {
        None => Ok(None),
        Some(v) => match v.value.as_deref() {
            Some(x) if !x.contains('$') => Ok(Some(x)),
            _ => Err(()),
        },
    }
}

/// The local storage roots of the service, with the variable that sets
/// each (None: Directus's default); Err when they cannot be known.
fn local_roots(s: &Service) -> Result<Vec<(String, Option<String>)>, ()> {
    // Variables from files or another config file: not knowable here.
    if s.environment.iter().any(|v| v.name == "CONFIG_PATH" || (v.name.starts_with("STORAGE_") && v.name.ends_with("_FILE"))) {
        return Err(());
    }
    let locations = known(s, "STORAGE_LOCATIONS")?.unwrap_or("local");
    let mut roots = Vec::new();
    for loc in locations.split(',').map(str::trim).filter(|l| !l.is_empty()) {
        let up = loc.to_ascii_uppercase();
        let driver_var = format!("STORAGE_{up}_DRIVER");
        let root_var = format!("STORAGE_{up}_ROOT");
        let driver = known(s, &driver_var)?.or(if up == "LOCAL" { Some("local") } else { None });
        if driver != Some("local") {
            continue;
        }
        match known(s, &root_var)? {
            Some(r) => roots.push((r.to_string(), Some(root_var))),
            None if up == "LOCAL" => roots.push(("./uploads".to_string(), None)),
            None => {} // Directus refuses to start without it: not this rule's business
        }
    }
    Ok(roots)
}

fn uploads_not_persisted(ctx: &Context, e: &mut Emitter) {
    let Some(c) = compose(ctx) else { return };
    if !c.errors.is_empty() {
        return; // compose/invalid-yaml
    }
    for s in directus_services(ctx, c) {
        let Ok(roots) = local_roots(s) else { continue };
        let cwd = workdir(s);
        for (root, var) in roots {
            let path = container_path(&cwd, &root);
            let persisted = s.mounts.iter().any(|m| matches!(m.kind, MountKind::Volume | MountKind::Bind) && covers(&container_path(&cwd, &m.target), &path));
            if persisted {
                continue;
            }
            let weak = s.mounts.iter().find(|m| matches!(m.kind, MountKind::Anonymous | MountKind::Tmpfs) && covers(&container_path(&cwd, &m.target), &path));
            let set_by = match &var {
                Some(v) => format!("`{v}`"),
                None => "Directus's default `STORAGE_LOCAL_ROOT`".to_string(),
            };
            let (span, message) = match weak {
                Some(m) => (
                    m.span,
                    format!(
                        "the `{}` service keeps uploads in `{path}` ({set_by}) on {}: they are lost when the container is recreated",
                        s.name,
                        if m.kind == MountKind::Tmpfs { "a tmpfs" } else { "an anonymous volume, which a new container does not get back" }
                    ),
                ),
                None => (
                    var.as_ref().and_then(|v| s.env(v)).map(|v| v.span).unwrap_or(s.name_span),
                    format!(
                        "the `{}` service keeps uploads in `{path}` ({set_by}) with no volume or bind mount there: every uploaded file is lost when the container is recreated",
                        s.name
                    ),
                ),
            };
            e.emit(
                &c.path,
                Some(span),
                message,
                format!("mount a named volume there (`volumes: [\"uploads:{path}\"]` and `uploads:` under the top-level `volumes:`), or keep the files in object storage (`STORAGE_LOCATIONS` with an s3, gcs or azure driver)"),
            );
        }
    }
}

const EXTENSIONS_MOUNT_SHADOWS_IMAGE: &str = r#"## What it does
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

fn extensions_mount_shadows_image(ctx: &Context, e: &mut Emitter) {
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
