//! `compose/replicas-per-replica-secret`: the rule (id, severity, summary), its doc (`trm-ci explain compose/replicas-per-replica-secret`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/replicas-per-replica-secret",
    severity: Severity::Error,
    summary: "a Directus service with more than one replica gets no KEY/SECRET (each replica makes its own) or a per-replica one",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
In the dev compose file and the production stack file, checks each
Directus service that runs more than one container (`deploy.replicas` or
`scale` above 1, `deploy.mode: global`) for `KEY` and `SECRET`: each must
be set in the service's `environment:` (or as `KEY_FILE`/`SECRET_FILE`,
e.g. a Docker secret), and not to a value that differs per container — a
Swarm template such as `{{.Task.Slot}}`, `{{.Task.ID}}` or `{{.Node.ID}}`.

It says nothing when the variables may come from elsewhere (`env_file:`,
`CONFIG_PATH`). A value from the deployer's environment (`${SECRET}`) is
the same for every replica and fine.

Severity: error.

## Why is this bad?
Directus signs its access tokens and sessions with `SECRET`. Without it,
each Directus process makes up a random one ("Using a random value
instead"), so a token one replica issued is refused by the others: a
user behind a load balancer is signed out on every other request, and
every restart signs everybody out. A per-container value does the same on
purpose.

## Example
```yaml
services:
  directus:
    image: registry.example.com/team/directus:1.4.0
    environment:
      KEY: directus-{{.Task.Slot}}
    deploy:
      replicas: 3
```

## Use instead
```yaml
services:
  directus:
    image: registry.example.com/team/directus:1.4.0
    environment:
      KEY: ${KEY}
      SECRET: ${SECRET}
    deploy:
      replicas: 3
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for c in compose_files(ctx) {
        for s in directus_services(ctx, c).into_iter().filter(|s| s.runs_several()) {
            if s.env_file || s.env("CONFIG_PATH").is_some() {
                continue;
            }
            for name in ["KEY", "SECRET"] {
                let file = format!("{name}_FILE");
                let (span, why) = match (s.env(name), s.env(&file)) {
                    (None, None) => (
                        s.replicas.as_ref().map(|r| r.span).unwrap_or(s.name_span),
                        format!("gets no `{name}` (each replica makes up its own)"),
                    ),
                    (Some(v), _) if v.value.as_deref().is_some_and(|x| x.contains("{{")) => {
                        (v.span, format!("sets `{name}` per container (`{}`)", v.value.as_deref().unwrap_or_default()))
                    }
                    _ => continue,
                };
                e.emit(
                    &c.path,
                    Some(span),
                    format!("the `{}` service runs {} and {why}: a token signed by one replica is refused by the others", s.name, replicas_text(s)),
                    format!("set `{name}` once for all replicas: `{name}: ${{{name}}}` from the deployer's environment, or `{name}_FILE` from a Docker secret"),
                );
            }
        }
    }
}
