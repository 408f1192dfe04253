//! `dockerfile/apk-no-cache`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/apk-no-cache`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/apk-no-cache",
    severity: Severity::Warning,
    summary: "`apk add` without --no-cache leaves the package index in the layer",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports an `apk add` in a `RUN` (shell form, exec form or heredoc) without
`--no-cache`.

Severity: warning — a bigger image, not a broken one.

## Why is this bad?
Without `--no-cache`, apk downloads the package index into
`/var/cache/apk/` and leaves it in the layer: megabytes that every node
pulls and that nothing uses at runtime.

## Example
```dockerfile
RUN apk update && apk add postgresql16-client bash coreutils
```

## Use instead
```dockerfile
RUN apk add --no-cache postgresql16-client bash coreutils
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("RUN")) {
        let cmds: Vec<(Vec<String>, Span)> = match &ins.exec {
            Some(v) => vec![(v.clone(), ins.span)],
            None => ins.shell_commands().iter().map(|c| (c.words.iter().map(|a| a.text.clone()).collect(), c.span)).collect(),
        };
        for (words, span) in cmds {
            let Some(p) = words.iter().position(|w| w == "apk" || w.ends_with("/apk")) else { continue };
            let rest = &words[p + 1..];
            let is_add = rest.iter().find(|w| !w.starts_with('-')).map(String::as_str) == Some("add");
            if is_add && !rest.iter().any(|w| w == "--no-cache") {
                e.emit(
                    &d.path,
                    Some(span),
                    "`apk add` without `--no-cache` leaves the package index in the image layer",
                    "write `apk add --no-cache …` (and drop any `apk update` before it)",
                );
            }
        }
    }
}
