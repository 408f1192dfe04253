//! `migrations/psql-meta-command`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/psql-meta-command`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/psql-meta-command",
    severity: Severity::Error,
    summary: "a psql meta-command (\\set, \\c, \\gexec, \\i, \\!, \\copy, …) in a migration: psql runs it itself and the runner refuses the file",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports every psql meta-command in a db-init or db-post file except `\echo`,
`\qecho` and `\warn`, which only print: `\set` and `\unset` (among them
`\set ON_ERROR_STOP off`), `\c` / `\connect`, `\gexec`, `\g file`, `\gset`,
`\i` / `\ir` / `\include`, `\o`, `\!`, `\copy` (also `… program`),
`\setenv`, `\cd`, and any other. Also reported: `\echo` and friends with a
backquote (psql runs the backquoted text as a shell command) or another
backslash on their line, and a '…' string whose closing quote follows an odd
run of backslashes (`'C:\'`). Severity: error.

The detection is the image's runner's (`scripts/apply-db-init.sh`): a
backslash outside quotes, comments and dollar quotes starts a meta-command, as
psql's lexer reads it; `\;` and `\:` are not commands. The same list makes
`trm-ci lint --postgres` refuse to replay the files.

## Why is this bad?
The runner applies each file with psql in one transaction together with its
ledger row, and says "applied" only when that row is there. Meta-commands are
psql's, not the server's, and can break that from inside the file:
`\set ON_ERROR_STOP off` lets a failing statement pass (nothing applied, no
ledger row), `\c` or `\gexec` with a COMMIT ends the transaction half-way,
`\!`, `\copy … program` and backquotes run shell commands inside the
container at boot, `\i` and `\o` read and write files there. The runner
refuses a file holding any of them before applying anything, so the boot
stops; this rule says so on the pull request instead.

A string ending in a backslash is refused because where it ends depends on
`standard_conforming_strings`: with the setting off, `'C:\'` goes on past its
quote, and a meta-command can hide in what follows.

## Example
```sql
\set ON_ERROR_STOP off
SELECT format('GRANT SELECT ON %I TO reader', tablename) FROM pg_tables \gexec
```

## Use instead
```sql
\echo granting read access
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('GRANT SELECT ON %I TO reader', t);
  END LOOP;
END $$;
```
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for m in all_sql_files(ctx) {
        for r in &m.refused {
            e.emit(&m.path, Some(r.span), r.message(), r.help());
        }
    }
}
