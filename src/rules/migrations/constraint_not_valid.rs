//! `migrations/constraint-not-valid`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/constraint-not-valid`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/constraint-not-valid",
    severity: Severity::Warning,
    summary: "a FOREIGN KEY or CHECK added to an existing table without NOT VALID (validated under a lock that blocks writes)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports `ALTER TABLE … ADD [CONSTRAINT n] FOREIGN KEY … ` or `… CHECK (…)`
without `NOT VALID`, and `ADD COLUMN … REFERENCES …` / `… CHECK (…)`, on a
table the same file did not create. Severity: warning in `db-init/` and
`db-post/`: both run on the production database at every boot, while the
previous image's replicas may still serve.

## Why is this bad?
Adding the constraint scans the whole table to check every row, holding a
lock that blocks writes for the duration: SHARE ROW EXCLUSIVE on both
tables for a foreign key, ACCESS EXCLUSIVE for a CHECK (PostgreSQL 15,
"ALTER TABLE", Notes: *"the ADD CONSTRAINT … NOT VALID … the potentially-
lengthy initial check is deferred … VALIDATE CONSTRAINT … only needs a
SHARE UPDATE EXCLUSIVE lock"*). squawk reports these as
`adding-foreign-key-constraint` and `constraint-missing-not-valid`.

## Example
```sql
ALTER TABLE app.notes ADD CONSTRAINT notes_author_fk FOREIGN KEY (author) REFERENCES app.authors (id);
```

## Use instead
Add it `NOT VALID` (new rows are checked at once), then validate it, which
scans without blocking writes. The runner applies a file in one
transaction, so the validation is best in the next migration:
```sql
-- 0007_notes_author_fk.sql
ALTER TABLE app.notes ADD CONSTRAINT notes_author_fk FOREIGN KEY (author) REFERENCES app.authors (id) NOT VALID;
-- 0008_validate_notes_author_fk.sql
ALTER TABLE app.notes VALIDATE CONSTRAINT notes_author_fk;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for d in ddl_statements(ctx) {
        let Ddl::AlterTable { actions } = d.ddl else { continue };
        if d.fresh {
            continue;
        }
        for a in actions {
            let (what, span) = match a {
                Action::AddConstraint { kind: ConstraintKind::ForeignKey, not_valid: false, span, .. } => ("a FOREIGN KEY", span),
                Action::AddConstraint { kind: ConstraintKind::Check, not_valid: false, span, .. } => ("a CHECK constraint", span),
                Action::AddColumn { references: true, span, .. } => ("a column with REFERENCES", span),
                Action::AddColumn { check: true, span, .. } => ("a column with a CHECK", span),
                _ => continue,
            };
            let inline = matches!(a, Action::AddColumn { .. });
            e.emit(
                &d.m.path,
                Some(*span),
                format!(
                    "adding {what} to `{}` validates every row while holding a lock that blocks writes (the previous replicas wait)",
                    d.table.display()
                ),
                if inline {
                    "add the column first, then the constraint with `NOT VALID`, and `VALIDATE CONSTRAINT` in the next migration"
                } else {
                    "add it `NOT VALID` here, and `VALIDATE CONSTRAINT` it in the next migration (it scans without blocking writes)"
                },
            );
        }
    }
}
