//! `migrations/bad-filename`: the rule (id, severity, summary), its doc (`trm-ci explain migrations/bad-filename`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "migrations/bad-filename",
    severity: Severity::Error,
    summary: "a file in the migrations directory is not named `NNNN_snake_case.sql`",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Reports a file in the migrations directory (`db-init/`) or the
post-schema directory (`db-post/`) whose name is not
`NNNN_snake_case.sql`: at least four digits, an underscore, lower-case words
(letters and digits) joined by single underscores, and `.sql`. Files that are
not `.sql` are reported too, except `README*` and dot-files (the runner skips
dot-files, `.0004_x.sql` included: they are not migrations). Severity: error.

## Why is this bad?
The db-init runner applies `*.sql` files in byte order of their names and
refuses to boot on a name it does not recognise. A file named `4_users.sql`
sorts after `0010_x.sql`; `0004_users.sql.bak` or `0004_users.SQL` is never
applied at all, silently.

## Example
`db-init/4-AddUsers.sql`

## Use instead
`db-init/0004_add_users.sql`
"#;

fn check(ctx: &Context, e: &mut Emitter) {
    for set in ctx.head.migration_sets() {
        bad_filename_in(&set, e);
    }
}

fn bad_filename_in(set: &MigrationSet, e: &mut Emitter) {
    let dir = set.dir;
    // A name without a number gets the next one of the sequence (never a
    // made-up 9999, which `gap-in-sequence` would report next).
    let next = set.files.iter().filter(|m| well_formed_name(&m.file_name)).filter_map(|m| m.version).max().unwrap_or(0) + 1;
    for m in set.files {
        let name = m.file_name.as_str();
        if is_note(name) || well_formed_name(name) {
            continue;
        }
        let suggestion = suggest_name(m, next);
        if !name.ends_with(".sql") {
            e.emit(
                &m.path,
                None,
                format!("`{name}` in {dir}/ is not a migration: the runner applies only `*.sql` files and ignores it"),
                format!("rename it to `{suggestion}` if it is a migration, else move it out of {dir}/ (a README is allowed)"),
            );
        } else {
            e.emit(
                &m.path,
                None,
                format!("`{name}` is not named `NNNN_snake_case.sql`"),
                format!("rename it, e.g. to `{suggestion}` (four or more digits, `_`, lower-case words joined by `_`)"),
            );
        }
    }
}

/// A well-formed name close to the file's: its number (or `next`) padded to
/// four digits, its words in snake case.
fn suggest_name(m: &Migration, next: u64) -> String {
    let name = m.file_name.as_str();
    let stem = name.split('.').next().unwrap_or(name);
    let digits: String = stem.chars().take_while(char::is_ascii_digit).collect();
    let rest = &stem[digits.len()..];
    let mut words = String::new();
    let mut prev_lower = false;
    for ch in rest.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower {
                words.push('_');
            }
            words.push(ch.to_ascii_lowercase());
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        } else {
            if !words.ends_with('_') && !words.is_empty() {
                words.push('_');
            }
            prev_lower = false;
        }
    }
    let words = words.trim_matches('_');
    let words = if words.is_empty() { "migration" } else { words };
    let number: u64 = digits.parse().unwrap_or(next);
    format!("{number:04}_{words}.sql")
}
