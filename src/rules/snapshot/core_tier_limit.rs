//! `snapshot/core-tier-limit`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/core-tier-limit`) and its check.

use super::*;
use super::version_mismatch::dockerfile_pin;

pub const RULE: Rule = Rule {
    id: "snapshot/core-tier-limit",
    severity: Severity::Error,
    summary: "Directus 12+: more collections count against the licence than the Core tier (no LICENSE_KEY) allows (25)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
For a Dockerfile pinned to Directus 12.0 or later, counts the snapshot's
collections the way Directus counts them against its licence and reports,
at the snapshot's `collections:` key, when there are more than the **Core**
tier allows (25). Severity: error.

Counted, as `@directus/api`'s `license/entitlements/lib/collections.js`
counts (read from 12.4.1, and tried on a real 12.4.1): every collection that
has a table (`schema`) and Directus metadata (`meta`), whose `meta.status` is
`active` (a collection without `status`, as an 11.x export writes it, is
`active` in the database). Not counted: folders (no `schema`), collections
with `meta.status: inactive`, Directus's own `directus_*` collections. Junction
tables (many-to-many, many-to-any) and translation tables are collections
with a table like any other: they count.

## Why is this bad?
Directus 12 without a `LICENSE_KEY` runs the Core tier: at most 25
collections. Its `CollectionsService` refuses the 26th (`collections limit
exceeded.`, `LIMIT_EXCEEDED`), so the boot's schema step fails and the
container never starts: the team finds out when production boots. (At
exactly 25, Directus also refuses any later change that carries
`meta.status: active`, i.e. updating a collection's metadata with a 12.x
snapshot.) trm-ci's schema step checks the same before applying anything and
fails naming the limit and `LICENSE_KEY`.

## Example
```dockerfile
FROM directus/directus:12.4.1
```
```yaml
collections:      # 30 collections with a table, all `status: active`
  - collection: articles
    meta:
      status: active
      # …
    schema:
      name: articles
  # … 29 more
```

## Use instead
Give production a `LICENSE_KEY` whose licence allows the collections (and,
since this rule cannot see runtime configuration, turn it off for that
repository in `trm-ci.toml`: `"snapshot/core-tier-limit" = "off"`), or keep
at most 25 counted collections: remove some, or mark those nobody uses
`status: inactive` in Directus and export the snapshot again.
"#;

/// The Core tier's collection limit (`CORE_LICENSE.entitlements.collections`
/// of `@directus/license`, as `GET /license` reports it on 12.4.1).
pub const CORE_TIER_COLLECTIONS: usize = 25;

/// The collections of `s` that count against the licence, as Directus counts
/// them (see the doc above), in snapshot order.
pub fn counted_collections(s: &Snapshot) -> Vec<&crate::model::snapshot::Collection> {
    let items = s.root().and_then(|r| s.get(r, "collections")).map(|l| s.items(l)).unwrap_or(&[]);
    s.collections
        .iter()
        .filter(|c| c.has_schema && c.has_meta && !c.name.starts_with("directus_"))
        .filter(|c| {
            let status = items.get(c.index).and_then(|&i| s.get(i, "meta")).and_then(|m| s.get(m, "status")).and_then(|n| s.str_at(n));
            status.is_none_or(|st| st.value == "active")
        })
        .collect()
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(s) = head(ctx) else { return };
    let Some((df_path, pin, pin_span)) = dockerfile_pin(ctx) else { return };
    if Grammar::of_version(&pin) == Grammar::V11 {
        return; // 11.x has no licence tiers
    }
    let counted = counted_collections(s);
    if counted.len() <= CORE_TIER_COLLECTIONS {
        return;
    }
    let span = s.key_span_at("", "collections").or_else(|| counted.first().map(|c| c.span));
    let first_over = &counted[CORE_TIER_COLLECTIONS];
    e.emit(
        &s.path,
        span,
        format!(
            "{} collections count against Directus's licence ({df_path}:{} pins {pin}); the Core tier (no LICENSE_KEY) allows \
             {CORE_TIER_COLLECTIONS}: Directus refuses collection number {} (`{}`, line {}) and the boot's schema step fails",
            counted.len(),
            pin_span.line,
            CORE_TIER_COLLECTIONS + 1,
            first_over.name,
            first_over.span.line
        ),
        "set LICENSE_KEY in production to a licence that allows them (then turn this rule off in trm-ci.toml), or keep at most \
         25 counted collections (folders and `status: inactive` collections do not count)",
    );
}
