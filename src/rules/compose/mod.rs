//! The `compose/*` rules: the dev compose file, read from the [`Compose`]
//! model.

use super::{Context, Emitter, Rule};
use crate::finding::Severity;
use crate::model::compose::{Compose, Mount, MountKind, Replicas, Service};

mod invalid_yaml;
mod local_build;
mod uploads_not_persisted;
mod extensions_mount_shadows_image;
mod replicas_without_redis;
mod replicas_local_uploads;
mod replicas_per_replica_secret;

pub const RULES: &[Rule] = &[
    invalid_yaml::RULE,
    local_build::RULE,
    uploads_not_persisted::RULE,
    extensions_mount_shadows_image::RULE,
    replicas_without_redis::RULE,
    replicas_local_uploads::RULE,
    replicas_per_replica_secret::RULE,
];

fn compose<'a>(ctx: &'a Context) -> Option<&'a Compose> {
    let c = ctx.head.compose.as_ref()?;
    // Unreadable files are lint/unreadable-file's.
    ctx.head.files.get(&c.path)?.text().ok()?;
    Some(c)
}

/// The compose files the replica rules read: the dev compose file and the
/// production stack file, each when it exists, is readable and parses.
fn compose_files<'a>(ctx: &'a Context) -> Vec<&'a Compose> {
    [ctx.head.compose.as_ref(), ctx.head.stack.as_ref()]
        .into_iter()
        .flatten()
        .filter(|c| c.errors.is_empty() && ctx.head.files.get(&c.path).is_some_and(|f| f.text().is_ok()))
        .collect()
}

/// `3 replicas`, `one replica per node`, for messages.
fn replicas_text(s: &Service) -> String {
    match &s.replicas {
        Some(r) if r.global => "one replica per node (`mode: global`)".into(),
        Some(Replicas { count: Some(n), .. }) => format!("{n} replicas"),
        _ => "several replicas".into(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::source::Artifacts;
    use crate::source::SourceFile;

    fn findings(config: &str, compose_path: &str, yaml: &str) -> Vec<String> {
        findings_of(local_build::RULE.check, config, compose_path, yaml)
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
            assert_eq!(findings_of(uploads_not_persisted::RULE.check, "", "compose.dev.yaml", y), Vec::<String>::new(), "{y}");
        }
        let bad = [
            ("services:\n  directus:\n    build: .\n", "keeps uploads in `/directus/uploads` (Directus's default"),
            ("services:\n  cms:\n    image: directus/directus:11.17.4\n    volumes:\n      - /directus/uploads\n", "an anonymous volume"),
            ("services:\n  directus:\n    build: .\n    tmpfs:\n      - /directus/uploads\n", "on a tmpfs"),
            ("services:\n  directus:\n    build: .\n    environment:\n      STORAGE_LOCATIONS: local,s3\n      STORAGE_S3_DRIVER: s3\n      STORAGE_LOCAL_ROOT: files\n    volumes:\n      - uploads:/directus/uploads\n", "`/directus/files` (`STORAGE_LOCAL_ROOT`)"),
        ];
        for (y, want) in bad {
            let f = findings_of(uploads_not_persisted::RULE.check, "", "compose.dev.yaml", y);
            assert!(f.len() == 1 && f[0].contains(want), "{y}: {f:?}");
        }
    }

    #[test]
    fn replica_rules_read_replicas_redis_storage_and_secrets() {
        let stack = "[paths]\nstack = \"deploy/stack.yaml\"\n";
        let redis = |y: &str| findings_of(replicas_without_redis::RULE.check, stack, "deploy/stack.yaml", y);
        let uploads = |y: &str| findings_of(replicas_local_uploads::RULE.check, stack, "deploy/stack.yaml", y);
        let secret = |y: &str| findings_of(replicas_per_replica_secret::RULE.check, stack, "deploy/stack.yaml", y);
        // one replica (or none said): nothing to say
        for y in [
            "services:\n  directus:\n    image: directus/directus:11.17.4\n",
            "services:\n  directus:\n    image: x\n    deploy:\n      replicas: 1\n",
            "services:\n  directus:\n    image: x\n    deploy:\n      replicas: ${N}\n",
        ] {
            assert_eq!((redis(y), uploads(y), secret(y)), (vec![], vec![], vec![]), "{y}");
        }
        // several, in every spelling
        for (y, n) in [
            ("services:\n  directus:\n    image: x\n    deploy:\n      replicas: 3\n", "3 replicas"),
            ("services:\n  directus:\n    image: x\n    deploy:\n      replicas: ${REPLICAS:-4}\n", "4 replicas"),
            ("services:\n  directus:\n    image: x\n    scale: 2\n", "2 replicas"),
            ("services:\n  directus:\n    image: x\n    deploy:\n      mode: global\n", "one replica per node"),
        ] {
            let f = redis(y);
            assert!(f.len() == 1 && f[0].contains(n) && f[0].contains("`REDIS`"), "{y}: {f:?}");
            assert_eq!(secret(y).len(), 2, "{y}");
        }
        let env = |extra: &str| {
            format!("services:\n  directus:\n    image: x\n    deploy:\n      replicas: 2\n    environment:\n      REDIS: redis://r:6379\n      SYNCHRONIZATION_STORE: redis\n      KEY: ${{KEY}}\n      SECRET: ${{SECRET}}\n{extra}")
        };
        assert_eq!(redis(&env("")), Vec::<String>::new());
        assert_eq!(secret(&env("")), Vec::<String>::new());
        assert!(redis(&env("      RATE_LIMITER_ENABLED: \"true\"\n"))[0].contains("`RATE_LIMITER_STORE: redis`"));
        assert!(redis(&env("      RATE_LIMITER_ENABLED: \"true\"\n      RATE_LIMITER_STORE: redis\n")).is_empty());
        assert!(redis("services:\n  directus:\n    image: x\n    scale: 2\n    env_file: .env\n").is_empty(), "env_file: unknowable");
        // uploads: local volume, bind mount, NFS, a plugin, external, object storage
        let vol = |mount: &str, volumes: &str| uploads(&(env(&format!("    volumes:\n      - {mount}\n")) + volumes));
        assert!(vol("uploads:/directus/uploads", "volumes:\n  uploads:\n")[0].contains("`local` driver"));
        assert!(vol("/srv/uploads:/directus/uploads", "")[0].contains("the host directory `/srv/uploads`"));
        for ok in [
            "volumes:\n  uploads:\n    driver_opts:\n      type: nfs4\n",
            "volumes:\n  uploads:\n    driver: rexray/efs\n",
            "volumes:\n  uploads:\n    external: true\n",
        ] {
            assert_eq!(vol("uploads:/directus/uploads", ok), Vec::<String>::new(), "{ok}");
        }
        assert!(uploads(&env("      STORAGE_LOCATIONS: s3\n      STORAGE_S3_DRIVER: s3\n")).is_empty());
        // per-replica values
        let f = secret(&env("").replace("${SECRET}", "s-{{.Task.Slot}}"));
        assert!(f.len() == 1 && f[0].contains("per container"), "{f:?}");
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
            let f = findings_of(extensions_mount_shadows_image::RULE.check, "", "compose.dev.yaml", y);
            assert!(f.len() == 1 && f[0].contains(want), "{y}: {f:?}");
        }
        let ok = [
            "services:\n  directus:\n    build: .\n    volumes:\n      - uploads:/directus/uploads\n      - ./extensions-dev:/tmp/extensions\n",
            "services:\n  web:\n    image: nginx\n    volumes:\n      - ./extensions:/directus/extensions\n",
        ];
        for y in ok {
            assert_eq!(findings_of(extensions_mount_shadows_image::RULE.check, "", "compose.dev.yaml", y), Vec::<String>::new(), "{y}");
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
