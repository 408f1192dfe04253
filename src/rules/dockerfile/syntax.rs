//! `dockerfile/syntax`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/syntax`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/syntax",
    severity: Severity::Error,
    summary: "the Dockerfile does not parse: unknown instruction, bad exec-form JSON, unterminated heredoc or continuation",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports what makes the Dockerfile unreadable or misread: an unknown
instruction (`FORM`), an exec-form array that is not valid JSON
(`CMD ['a']`, a trailing comma), a heredoc without its closing delimiter, a
line continuation at the end of the file, an invalid `# escape=` directive,
an instruction before the first `FROM`, an instruction without arguments, or
an empty Dockerfile.

Severity: error — `docker build` fails, or (for broken JSON) silently runs
the command through `/bin/sh -c` instead of exec form.

## Why is this bad?
The image cannot be built, or is built differently from what the file
appears to say; and every other `dockerfile/*` rule reads a file that Docker
reads differently.

## Example
```dockerfile
FORM directus/directus:11.17.4
ENTRYPOINT ['/directus/entrypoint.sh']
```

## Use instead
```dockerfile
FROM directus/directus:11.17.4
ENTRYPOINT ["/directus/entrypoint.sh"]
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for err in &d.errors {
        let m = &err.message;
        let help = if m.contains("unknown instruction") {
            "use a Dockerfile instruction (FROM, RUN, COPY, USER, HEALTHCHECK, ENTRYPOINT, …)"
        } else if m.contains("exec form") {
            "write a JSON array of double-quoted strings, e.g. [\"/directus/entrypoint.sh\"]"
        } else if m.contains("heredoc") {
            "end the heredoc with a line holding only its delimiter"
        } else if m.contains("continuation") {
            "remove the trailing escape character, or add the line it continues to"
        } else if m.contains("before the first `FROM`") || m.contains("without any `FROM`") || m.contains("no instructions") {
            "start the Dockerfile with `FROM directus/directus:X.Y.Z`"
        } else if m.contains("escape") || m.contains("directive") {
            "use `# escape=\\` or `# escape=`` (backtick), once, at the top"
        } else {
            "fix the instruction so that `docker build` reads it as written"
        };
        e.emit(&d.path, Some(err.span), m.clone(), help);
    }
}

// ---------------------------------------------------------------------------
