//! `dockerfile/expose`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/expose`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/expose",
    severity: Severity::Warning,
    summary: "an EXPOSE instruction: ports are the deployment's business",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports every `EXPOSE` instruction.

Severity: warning — `EXPOSE` publishes nothing; it is documentation that
goes stale.

## Why is this bad?
Which port is published, and where, is the deployment's decision (compose
`ports:`, the orchestrator). Directus's port is configurable (`PORT`), and
an `EXPOSE 8055` that no longer matches misleads whoever reads the image.

## Example
```dockerfile
EXPOSE 8055
```

## Use instead
Publish the port where the container runs, e.g. in compose:
```yaml
ports:
  - "8055:8055"
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("EXPOSE")) {
        e.emit(
            &d.path,
            Some(ins.span),
            format!("`EXPOSE {}` in the image: ports are the deployment's decision", ins.args.trim()),
            "remove the EXPOSE and publish the port in compose (`ports:`) or the orchestrator",
        );
    }
}

// ---------------------------------------------------------------------------
