//! `snapshot/duplicate`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/duplicate`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "snapshot/duplicate",
    severity: Severity::Error,
    summary: "a collection, field or relation is defined twice in the snapshot",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a collection (same `collection:`), a field (same `collection` and
`field`) or a relation (same `collection` and `field`) that appears twice in
the snapshot, at the second occurrence. Severity: error.

## Why is this bad?
Directus looks entries up by name and takes the first; the second is silently
ignored by the diff, or created twice and fails the boot. Either way the file
no longer says what the database will look like. Duplicates come from merge
conflicts resolved by keeping both sides.

## Example
```yaml
fields:
  - collection: orders
    field: total
    type: decimal
  # … 200 lines later, from the other branch:
  - collection: orders
    field: total
    type: float
```

## Use instead
Keep one entry: regenerate the snapshot after resolving the merge in a
Directus instance.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let help = "keep one entry (merge conflicts resolved by keeping both sides cause this); regenerate the snapshot";
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for c in &s.collections {
        if let Some(line) = seen.get(c.name.as_str()) {
            e.emit(&s.path, Some(c.span), format!("collection `{}` is defined again (first at line {line})", c.name), help);
        } else {
            seen.insert(&c.name, c.span.line);
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for f in &s.fields {
        let key = (f.collection.value.as_str(), f.field.value.as_str());
        if let Some(line) = seen.get(&key) {
            e.emit(&s.path, Some(f.field.span), format!("field `{}.{}` is defined again (first at line {line})", key.0, key.1), help);
        } else {
            seen.insert(key, f.field.span.line);
        }
    }
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for r in &s.relations {
        let key = (r.collection.value.as_str(), r.field.value.as_str());
        if let Some(line) = seen.get(&key) {
            e.emit(&s.path, Some(r.field.span), format!("relation on `{}.{}` is defined again (first at line {line})", key.0, key.1), help);
        } else {
            seen.insert(key, r.field.span.line);
        }
    }
}

// ---------------------------------------------------------------------------
