//! `snapshot/version-mismatch`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/version-mismatch`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/version-mismatch",
    severity: Severity::Error,
    summary: "the snapshot's `directus:` version differs from the Dockerfile's directus/directus pin",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Compares the snapshot's `directus:` version with the version the Dockerfile
pins in `FROM directus/directus:X.Y.Z` and reports a difference, at the
snapshot's `directus:` line. Severity: error.

## Why is this bad?
The CLI's `schema apply` checks neither the version nor the vendor (only the
REST endpoint does): a snapshot written by another Directus version is applied
silently, and a version whose system tables or field metadata differ can
fail the boot or rewrite metadata nobody reviewed.

## Example
```dockerfile
FROM directus/directus:11.17.4
```
```yaml
version: 1
directus: 11.13.4
vendor: postgres
```

## Use instead
Regenerate the snapshot with the pinned version (`directus schema snapshot`
inside the image you build), or move the pin and the snapshot together in one
change.
"#;

/// The directus/directus pin of the Dockerfile (parsed once by its model):
/// (Dockerfile path, exact X.Y.Z version, span of the tag).
pub(super) fn dockerfile_pin(ctx: &Context) -> Option<(String, String, Span)> {
    let df = ctx.head.dockerfile.as_ref()?;
    let (version, span) = df.directus_pin()?;
    Some((df.path.clone(), version, span))
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some(directus) = &s.directus else { return };
    let Some((df_path, pin, pin_span)) = dockerfile_pin(ctx) else { return };
    // directus_pin() is an exact X.Y.Z (dockerfile/unpinned-base reports the rest).
    if directus.value == pin {
        return;
    }
    e.emit(
        &s.path,
        Some(directus.span),
        format!(
            "the snapshot was written by Directus {} but {df_path}:{} pins directus/directus:{pin}",
            directus.value, pin_span.line
        ),
        format!("regenerate the snapshot with Directus {pin} (`directus schema snapshot --format yaml`), or change the pin and the snapshot together"),
    );
}

// ---------------------------------------------------------------------------
