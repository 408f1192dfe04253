//! `lint/unused-ignore`: the rule (id, severity, summary), its doc (`trm-ci explain lint/unused-ignore`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "lint/unused-ignore",
    severity: Severity::Warning,
    summary: "an inline `trm-ci: ignore=` pragma silences nothing",
    doc: DOC,
    needs_base: false,
    // Reported by the engine, which is the only place that knows which
    // pragmas silenced a finding.
    check: |_, _| {},
};

const DOC: &str = r#"## What it does
Reports an inline ignore pragma (`-- trm-ci: ignore=<id>` or
`/* trm-ci: ignore=<id> */` in SQL, `# trm-ci: ignore=<id>` in a Dockerfile or
shell script) that silenced no finding, or that names a rule that does not
exist.

## Why is this bad?
A stale ignore hides the next real problem on that line, and a misspelt id
silences nothing while looking as if it did.

## Example
```sql
-- trm-ci: ignore=migrations/destructive the column was never used
ALTER TABLE app.notes ADD COLUMN body text;
```

## Use instead
Remove the pragma, or correct the rule id (`trm-ci rules` lists them).
"#;
