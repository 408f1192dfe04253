//! `lint/unreadable-file`: the rule (id, severity, summary), its doc (`trm-ci explain lint/unreadable-file`) and its check.

use super::*;
use crate::source::Unreadable;

pub const RULE: Rule = Rule {
    id: "lint/unreadable-file",
    severity: Severity::Error,
    summary: "an artifact is binary, not UTF-8, or too large to read",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports an artifact file that trm-ci cannot read as text: it contains a NUL
byte (binary), is not valid UTF-8 (the position of the first bad byte is
given), or is larger than 16 MiB.

## Why is this bad?
psql, Directus and Docker read these files as UTF-8 text. A stray binary or
a file saved in Latin-1 fails at boot, at 3 am, in a container; and no other
rule can check a file that cannot be read.

## Example
`db-init/0004_seed.sql` saved as Windows-1252 with `café` in a string.

## Use instead
Save the file as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8`), and keep binary
files out of `db-init/`, `scripts/` and `snapshots/`.
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for f in ctx.head.files.files.values() {
        if let Err(why) = f.text() {
            let span = match why {
                Unreadable::Refused(_) => continue, // lint/outside-repository
                Unreadable::Binary { offset } | Unreadable::NotUtf8 { offset } => {
                    // Locate the byte on its line by counting the valid text before it.
                    let before = &f.bytes[..*offset];
                    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
                    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
                    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() as u32 + 1;
                    Some(crate::finding::Span {
                        line,
                        col,
                        end_line: line,
                        end_col: col + 1,
                        offset: *offset,
                        len: 1,
                    })
                }
                Unreadable::TooLarge { .. } => None,
            };
            e.emit(
                &f.path,
                span,
                format!("cannot read {}: {}", f.path, why.describe()),
                "save it as UTF-8 text; binary files do not belong among the deployment's artifacts",
            );
        }
    }
}
