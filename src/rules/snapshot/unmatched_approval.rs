//! `snapshot/unmatched-approval`: the rule (id, severity, summary), its doc (`trm-ci explain snapshot/unmatched-approval`) and its check.

use super::*;
use destructive_change::flagged;

pub const RULE: Rule = Rule {
    id: "snapshot/unmatched-approval",
    severity: Severity::Warning,
    summary: "an entry of allow-destructive.txt (beside the snapshot) approves no destructive change against the base",
    doc: DOC,
    needs_base: true,
    check,
};

const DOC: &str = r#"## What it does
Reads `allow-destructive.txt` beside the snapshot (the destructive schema
changes the branch approves, see `trm-ci explain
snapshot/destructive-change`) and reports each entry that approves nothing:
against the base, the snapshot neither removes that collection or field nor
changes its type destructively. Needs a base; skipped without one.
Severity: warning.

## Why is this bad?
The file is copied into the image, and the schema step deletes whatever it
names. An entry left over from a change that has shipped, or one with a
typo, approves nothing today, but a later pull request that removes a
collection or field of that name would pass the boot without anyone
approving it; a typo also means the intended deletion is still refused.

## Example
`snapshots/allow-destructive.txt` names `addresses.lable`; the snapshot
removes `addresses.label`.

## Use instead
Correct the name, or remove the line once the change it approved has been
deployed.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let Some(a) = ctx.head.approvals.as_ref() else { return };
    let (Some(h), Some(b)) = (head(ctx), ctx.base.and_then(|b| b.snapshot.as_deref())) else { return };
    if h.root().is_none() || b.root().is_none() {
        return;
    }
    let items: Vec<String> = flagged(b, h).into_iter().map(|f| f.item).collect();
    for x in &a.items {
        if items.contains(&x.item) {
            continue;
        }
        let known = h.fields.iter().any(|f| x.covers(&f.collection.value, Some(&f.field.value)))
            || h.collections.iter().any(|c| x.covers(&c.name, None));
        e.emit(
            &a.path,
            Some(x.span),
            format!(
                "`{}` approves nothing: against the base the snapshot neither removes it nor changes its type destructively{}",
                x.item,
                if known { " (it is still in the snapshot)" } else { "" }
            ),
            "correct the name (`collection` or `collection.field`), or remove the line once the change it approved has shipped",
        );
    }
}
