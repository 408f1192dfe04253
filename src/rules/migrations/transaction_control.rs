//! `migrations/transaction-control`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/transaction-control`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/transaction-control",
    severity: Severity::Error,
    summary: "BEGIN / COMMIT / ROLLBACK in a migration, in a DO block, or run by a CALLed procedure: the runner owns the transaction",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT and the
two-phase PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED in a
migration; COMMIT and ROLLBACK inside the PL/pgSQL body of a `DO` block; and
a `CALL` (top level or in a `DO` block) of a procedure that a migration
defines with COMMIT or ROLLBACK in its body. SAVEPOINT, RELEASE and ROLLBACK
TO are fine: they nest inside the runner's transaction. Severity: error.

Defining such a procedure is not reported: PostgreSQL accepts the `CREATE
PROCEDURE` inside a transaction, and the procedure works when it is called
outside one (psql in autocommit mode, pg_cron). Only calling it from a
migration fails.

## Why is this bad?
The db-init runner wraps each file in one transaction together with its
ledger row. A top-level COMMIT commits half of the file; if a later statement
fails, the first half stays applied but the ledger says nothing was, and the
next boot runs it again (the runner refuses such files before it starts).
Inside a DO block, or in a procedure CALLed from the file, PostgreSQL refuses
the COMMIT outright: a procedure may commit only when it is not inside a
transaction block, a DO block only when it is run on its own, so the boot
fails with `invalid transaction termination`. (A function cannot commit at
all.)

## Example
```sql
DO $$
BEGIN
  INSERT INTO app.settings VALUES ('mode', 'x');
  COMMIT;
END $$;
```

## Use instead
```sql
DO $$
BEGIN
  INSERT INTO app.settings VALUES ('mode', 'x');
END $$;
```
The runner commits the file, and its ledger row, when every statement has
succeeded.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    let refusal = "PostgreSQL refuses it inside the transaction the runner wraps each file in (`invalid transaction termination`)";
    // Procedures whose body commits or rolls back, by name: (file, line, command).
    let mut committing: Vec<(&TableName, &str, u32, &str)> = Vec::new();
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if let (Some(p), Some((what, span))) = (&s.procedure, s.body_transaction_control.first()) {
                committing.push((p, m.file_name.as_str(), span.line, what.as_str()));
            }
        }
    }
    for m in all_sql_files(ctx) {
        for s in &m.statements {
            if let Kind::TransactionControl { what } = &s.kind {
                e.emit(
                    &m.path,
                    Some(s.head_span),
                    format!("`{what}` in a migration: the runner already runs each file in one transaction (with its ledger row)"),
                    format!("remove the `{what}`; use SAVEPOINT / ROLLBACK TO if you need a partial rollback"),
                );
            }
            if s.kind == Kind::Do {
                for (what, span) in &s.body_transaction_control {
                    e.emit(
                        &m.path,
                        Some(*span),
                        format!("`{what}` inside a DO block: {refusal}"),
                        format!("remove the `{what}`: the runner commits the whole file once every statement has succeeded"),
                    );
                }
            }
            for call in &s.calls {
                let same = |p: &TableName| p.name == call.name && (p.schema.is_none() || call.schema.is_none() || p.schema == call.schema);
                if let Some((p, file, line, what)) = committing.iter().find(|(p, ..)| same(p)) {
                    e.emit(
                        &m.path,
                        Some(call.span),
                        format!("`CALL {}` runs a procedure that executes `{what}` ({file} line {line}): {refusal}", p.display()),
                        "remove the COMMIT/ROLLBACK from the procedure, or call it outside db-init (psql in autocommit mode, pg_cron)",
                    );
                }
            }
        }
    }
}
