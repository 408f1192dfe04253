//! `dockerfile/env-override`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/env-override`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/env-override",
    severity: Severity::Error,
    summary: "an ENV instruction: configuration baked into the image",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports every `ENV` instruction.

Severity: error.

## Why is this bad?
The image must be configured by its deployment's environment only — the
same image in dev, CI and production, with "only env vars differ". An
`ENV` bakes a value into every container started from the image: a default
`DB_HOST` that silently points a misconfigured deployment at the wrong
database, or a `KEY`/`SECRET`/`DB_PASSWORD` readable by anyone who can pull
the image (`docker history` shows it).

## Example
```dockerfile
ENV DB_CLIENT=pg DB_HOST=postgres
```

## Use instead
Set the variables where the container is run (compose `environment:`,
`.env`, the orchestrator's secrets); defaults the scripts need belong in the
scripts (`${DB_PORT:-5432}`).
"#;

fn env_keys(ins: &Instruction) -> Vec<String> {
    let legacy = ins.words.first().is_some_and(|w| !w.text.contains('='));
    if legacy {
        return ins.words.first().map(|w| vec![w.text.clone()]).unwrap_or_default();
    }
    ins.words.iter().filter_map(|w| w.text.split_once('=').map(|(k, _)| k.to_string())).collect()
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("ENV")) {
        let keys = env_keys(ins);
        let names = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        e.emit(
            &d.path,
            Some(ins.span),
            format!("`ENV` bakes {names} into the image"),
            "remove the ENV; set the variable in the deployment's environment (compose `environment:`, `.env`, secrets)",
        );
    }
}

// ---------------------------------------------------------------------------
