//! `compose/replicas-local-uploads`: the rule (id, severity, summary), its doc (`trm-ci explain compose/replicas-local-uploads`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/replicas-local-uploads",
    severity: Severity::Warning,
    summary: "a Directus service with more than one replica keeps its uploads on a node-local volume or a host directory",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
In the dev compose file and the production stack file, checks each
Directus service that runs more than one container (`deploy.replicas` or
`scale` above 1, `deploy.mode: global`) and keeps its uploads on the local
storage driver (`STORAGE_LOCATIONS` with a `local` driver, the default):
the mount on its storage root (`/directus/uploads`, or the
`STORAGE_<LOC>_ROOT` it sets) must be a volume every node shares — a
top-level volume with a network `driver_opts.type` (`nfs`, `cifs`, ...),
another driver (a volume plugin), or `external`. A named volume of the
default `local` driver, or a bind mount of a host directory, is reported.

It says nothing when the files go to object storage (`s3`, `gcs`,
`azure`, ...), when the storage settings cannot be read here, and when
nothing is mounted (`compose/uploads-not-persisted` reports that).

Severity: warning — on a single node, or a host directory that is itself
a network mount, the files are shared after all.

## Why is this bad?
On Docker Swarm each node creates its own `local` volume: a file uploaded
through a replica on one node is missing on the others, so a request
that lands on another replica answers 404 or a broken image, and the
`directus_files` row points at a file only one node has.

## Example
```yaml
services:
  directus:
    image: registry.example.com/team/directus:1.4.0
    volumes:
      - uploads:/directus/uploads
    deploy:
      replicas: 3
volumes:
  uploads:
```

## Use instead
```yaml
volumes:
  uploads:
    driver: local
    driver_opts:
      type: nfs
      o: addr=10.0.0.5,rw,nfsvers=4.1
      device: ":/exports/directus-uploads"
```
(or `STORAGE_LOCATIONS: s3` with `STORAGE_S3_DRIVER: s3` and no volume.)
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for c in compose_files(ctx) {
        for s in directus_services(ctx, c).into_iter().filter(|s| s.runs_several()) {
            let Ok(roots) = uploads_not_persisted::local_roots(s) else { continue };
            let cwd = workdir(s);
            for (root, _) in roots {
                let path = container_path(&cwd, &root);
                let Some(m) = s.mounts.iter().find(|m| {
                    matches!(m.kind, MountKind::Volume | MountKind::Bind) && covers(&container_path(&cwd, &m.target), &path)
                }) else {
                    continue;
                };
                let source = m.source.clone().unwrap_or_default();
                let what = match m.kind {
                    MountKind::Bind => format!("the host directory `{source}`, which each node has on its own"),
                    _ => match c.volume(&source) {
                        Some(v) if v.shared() => continue,
                        Some(_) => format!("the volume `{source}` of the `local` driver, which each node creates on its own"),
                        None if source.contains('$') => continue,
                        None => format!("the volume `{source}`, a `local` one on each node"),
                    },
                };
                e.emit(
                    &c.path,
                    Some(m.span),
                    format!("the `{}` service runs {} and keeps uploads in `{path}` on {what}: a file uploaded through one replica is missing on the others", s.name, replicas_text(s)),
                    "give every replica the same files: a volume on a network share (`driver_opts: {type: nfs, o: addr=<server>,rw, device: \":/export\"}`), a volume plugin, or object storage (`STORAGE_LOCATIONS: s3`)",
                );
            }
        }
    }
}
