//! `compose/uploads-not-persisted`: the rule (id, severity, summary), its doc (`trm-ci explain compose/uploads-not-persisted`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/uploads-not-persisted",
    severity: Severity::Warning,
    summary: "the directus service has no volume or bind mount on its storage root (/directus/uploads): uploads are lost on recreate",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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
pub(super) fn local_roots(s: &Service) -> Result<Vec<(String, Option<String>)>, ()> {
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

fn check(ctx: &Context, e: &mut Emitter) {
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
