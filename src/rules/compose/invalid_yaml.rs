//! `compose/invalid-yaml`: the rule (id, severity, summary), its doc (`trm-ci explain compose/invalid-yaml`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "compose/invalid-yaml",
    severity: Severity::Error,
    summary: "the compose file is not valid YAML (or repeats a key)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
