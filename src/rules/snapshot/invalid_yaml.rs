//! `snapshot/invalid-yaml`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/invalid-yaml`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/invalid-yaml",
    severity: Severity::Error,
    summary: "the snapshot is not one well-formed YAML document (syntax, duplicate keys, aliases, tags)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a snapshot that Directus cannot load as one YAML document: a syntax
error (at its line and column), a duplicate key in a mapping, more than one
document, an unknown tag, an alias that expands without bound or refers to
itself, nesting deeper than 128 levels, or an empty file. Severity: error.

## Why is this bad?
The container runs `directus schema apply` on this file at every boot. js-yaml,
which Directus uses, refuses duplicate keys and multiple documents, so the boot
fails; a file that another YAML reader accepts differently (last duplicate key
wins) can also apply a schema nobody reviewed.

## Example
```yaml
collections:
  - collection: orders
    meta:
      icon: receipt
      icon: shopping_cart
```

## Use instead
Regenerate the snapshot with `directus schema snapshot --format yaml` from a
database that has the intended schema, instead of editing it by hand; fix the
reported line if you must edit.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(src) = ctx.head.files.get(&s.path) else { return };
    if src.text().is_err() {
        return; // lint/unreadable-file reports it
    }
    for err in &s.errors {
        e.emit(
            &s.path,
            Some(err.span),
            err.message.clone(),
            "fix the YAML at this line, or regenerate the file with `directus schema snapshot --format yaml`",
        );
    }
    if s.errors.is_empty() && s.root().is_none() {
        e.emit(
            &s.path,
            None,
            "the snapshot is empty: it contains no YAML document",
            "regenerate it with `directus schema snapshot --format yaml`",
        );
    }
}

// ---------------------------------------------------------------------------
