//! `dockerfile/healthcheck`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/healthcheck`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/healthcheck",
    severity: Severity::Error,
    summary: "no HEALTHCHECK, or one that does not probe /server/ping or /server/health",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the final image has a `HEALTHCHECK` whose command probes
Directus's `/server/ping` (preferred: cheap, answers `pong` before auth) or
`/server/health`, and that the last one is not `HEALTHCHECK NONE`.

Severity: error — without a working probe an orchestrator keeps routing to
a Directus that has stopped answering, and the smoke test's "healthy" never
comes.

## Why is this bad?
The upstream 11.x image has no HEALTHCHECK of its own. A container whose
Node process is alive but whose API is wedged looks "running" forever; a
probe of `/` or of a port only proves that something listens.

## Example
```dockerfile
HEALTHCHECK CMD wget -qO- http://localhost:8055/ || exit 1
```

## Use instead
```dockerfile
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
  CMD wget -qO- http://127.0.0.1:8055/server/ping || exit 1
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, last_from)) = final_image(ctx) else { return };
    let help = "add `HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 CMD wget -qO- http://127.0.0.1:8055/server/ping || exit 1`";
    let Some(hc) = instructions.iter().rev().find(|i| i.is("HEALTHCHECK")) else {
        e.emit(&d.path, Some(last_from.span), "the image has no HEALTHCHECK: nothing notices when Directus stops answering", help);
        return;
    };
    let first = hc.words.first().map(|w| w.text.to_ascii_uppercase()).unwrap_or_default();
    if first == "NONE" {
        e.emit(&d.path, Some(hc.span), "`HEALTHCHECK NONE` disables the health check", help);
        return;
    }
    let probes = |s: &str| s.contains("/server/ping") || s.contains("/server/health");
    let ok = match &hc.exec {
        Some(v) => v.iter().any(|a| probes(a)),
        None => probes(&hc.args),
    };
    if !ok {
        e.emit(
            &d.path,
            Some(hc.span),
            "the HEALTHCHECK does not probe Directus's `/server/ping` or `/server/health`",
            "probe `http://127.0.0.1:8055/server/ping` (it answers `pong` once the API serves)",
        );
    }
}

// ---------------------------------------------------------------------------
