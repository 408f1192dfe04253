//! `compose/replicas-without-redis`: the rule (id, severity, summary), its doc (`trm-ci explain compose/replicas-without-redis`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/replicas-without-redis",
    severity: Severity::Error,
    summary: "a Directus service with more than one replica without Redis synchronization (REDIS, SYNCHRONIZATION_STORE=redis; the cache and rate limiter on Redis when enabled)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
In the dev compose file and the production stack file (`[paths] stack`,
`deploy/stack.yaml`), checks each Directus service that runs more than
one container (`deploy.replicas` or `scale` above 1, `deploy.mode:
global`) for the settings that make the replicas one Directus:

- `REDIS` (or `REDIS_HOST`) set, and `SYNCHRONIZATION_STORE: redis`;
- when `CACHE_ENABLED` is true, `CACHE_STORE: redis`;
- when `RATE_LIMITER_ENABLED` is true, `RATE_LIMITER_STORE: redis`.

It says nothing when the variables may come from elsewhere (`env_file:`,
`CONFIG_PATH`) or from an interpolation it cannot read.

Severity: error.

## Why is this bad?
Without Redis each replica keeps its own memory: a schema, permission or
flow change made through one replica is not seen by the others (they
serve the old schema until restarted), a scheduled flow runs once per
replica, each replica caches items on its own and serves stale data after
another replica's write, and each has its own rate limit (N times the
configured one).

## Example
```yaml
services:
  directus:
    image: registry.example.com/team/directus:1.4.0
    deploy:
      replicas: 3
```

## Use instead
```yaml
services:
  directus:
    image: registry.example.com/team/directus:1.4.0
    environment:
      REDIS: redis://redis:6379
      SYNCHRONIZATION_STORE: redis
    deploy:
      replicas: 3
  redis:
    image: redis:7-alpine
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for c in compose_files(ctx) {
        for s in directus_services(ctx, c).into_iter().filter(|s| s.runs_several()) {
            if s.env_file || s.env("CONFIG_PATH").is_some() {
                continue;
            }
            let span = s.replicas.as_ref().map(|r| r.span).unwrap_or(s.name_span);
            let has = |name: &str| s.env(name).is_some();
            let value = |name: &str| -> Result<Option<String>, ()> {
                match s.env(name) {
                    None => Ok(None),
                    Some(v) => match v.value.as_deref() {
                        Some(x) if !x.contains('$') => Ok(Some(x.trim().to_ascii_lowercase())),
                        _ => Err(()),
                    },
                }
            };
            let mut missing = Vec::new();
            if !(has("REDIS") || has("REDIS_HOST") || has("REDIS_FILE")) {
                missing.push("`REDIS` (e.g. `redis://redis:6379`)".to_string());
            }
            if let Ok(v) = value("SYNCHRONIZATION_STORE") {
                if v.as_deref() != Some("redis") {
                    missing.push("`SYNCHRONIZATION_STORE: redis`".to_string());
                }
            }
            for (enabled, store) in [("CACHE_ENABLED", "CACHE_STORE"), ("RATE_LIMITER_ENABLED", "RATE_LIMITER_STORE")] {
                if let (Ok(Some(on)), Ok(st)) = (value(enabled), value(store)) {
                    if on == "true" && st.as_deref() != Some("redis") {
                        missing.push(format!("`{store}: redis` (`{enabled}` is true)"));
                    }
                }
            }
            if missing.is_empty() {
                continue;
            }
            e.emit(
                &c.path,
                Some(span),
                format!(
                    "the `{}` service runs {} without {}: each replica keeps its own schema, permissions, cache and flow schedule",
                    s.name,
                    replicas_text(s),
                    missing.join(", ")
                ),
                "set `REDIS: redis://<host>:6379` and `SYNCHRONIZATION_STORE: redis` (and `CACHE_STORE`/`RATE_LIMITER_STORE: redis` when those are enabled), with a Redis service",
            );
        }
    }
}
