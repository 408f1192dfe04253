//! `dockerfile/copy-chown`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/copy-chown`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/copy-chown",
    severity: Severity::Warning,
    summary: "a COPY into /directus without --chown=node:node",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that every `COPY`/`ADD` of the final image whose destination is
`/directus` or below (relative destinations resolved against `WORKDIR`,
which is `/directus` in the upstream image) has `--chown=node:node`
(`node`, `1000` and `1000:1000` count too).

Severity: warning — not a boot failure by itself, but a permission
surprise waiting for the first script or extension that writes there.

## Why is this bad?
Without `--chown`, COPY creates the files as root. Directus runs as `node`
and cannot change, replace or clean up root-owned files in its own
directory; a later `RUN chown -R` fixes it at the cost of duplicating every
file in another layer.

## Example
```dockerfile
COPY db-init/ /directus/db-init/
```

## Use instead
```dockerfile
COPY --chown=node:node db-init/ /directus/db-init/
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let directus_base = d.final_base().map(|(_, a)| ImageRef::parse(&a.text).is_directus()).unwrap_or(false);
    let mut workdir = if directus_base { "/directus".to_string() } else { "/".to_string() };
    for ins in instructions {
        if ins.is("WORKDIR") {
            if let Some(w) = ins.words.first() {
                workdir = join_dir(&workdir, &w.text);
            }
            continue;
        }
        if !ins.is("COPY") && !ins.is("ADD") {
            continue;
        }
        let (_, Some(dest)) = copy_paths(ins) else { continue };
        let full = join_dir(&workdir, &dest);
        if !(full == "/directus" || full.starts_with("/directus/")) {
            continue;
        }
        let chown = ins.flag("chown").and_then(|f| f.value.clone());
        let ok = chown.as_deref().is_some_and(|c| {
            let mut it = c.split(':');
            let user = it.next().unwrap_or("");
            let group = it.next();
            matches!(user, "node" | "1000") && group.is_none_or(|g| matches!(g, "node" | "1000"))
        });
        if !ok {
            let message = match &chown {
                None => format!("{} copies into `{full}` without `--chown`, so the files are owned by root", describe(ins)),
                Some(c) => format!("{} copies into `{full}` with `--chown={c}`, not `node:node`", describe(ins)),
            };
            e.emit(&d.path, Some(ins.span), message, "add `--chown=node:node` so that Directus (user node) owns its files");
        }
    }
}

// ---------------------------------------------------------------------------
