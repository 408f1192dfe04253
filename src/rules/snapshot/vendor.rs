//! `snapshot/vendor`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/vendor`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/vendor",
    severity: Severity::Error,
    summary: "the snapshot's `vendor:` is not `postgres`",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a snapshot whose `vendor:` is not `postgres`. Severity: error.

## Why is this bad?
This deployment runs Directus on PostgreSQL. A snapshot taken on SQLite or
MySQL carries that vendor's column types, defaults and constraint names; the
CLI's `schema apply` does not check the vendor and applies it anyway,
producing columns that differ from what the migrations expect.

## Example
```yaml
version: 1
directus: 11.17.4
vendor: sqlite
```

## Use instead
Take the snapshot from a Directus running on PostgreSQL (the dev compose
stack), so it says `vendor: postgres`.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(v) = &s.vendor else { return };
    if v.value != "postgres" {
        e.emit(
            &s.path,
            Some(v.span),
            format!("the snapshot was taken on `{}`, but this deployment runs PostgreSQL", v.value),
            "regenerate the snapshot from a Directus running on PostgreSQL (vendor: postgres)",
        );
    }
}

// ---------------------------------------------------------------------------
