//! The rule registry. A rule is a stable id (`area/name`), a default
//! severity, its documentation (the text `trm-ci explain <id>` prints) and a
//! pure function from the parsed models to findings.
//!
//! One directory per area (`src/rules/<area>/`), one file per rule in it
//! (`src/rules/migrations/bad_filename.rs` is `migrations/bad-filename`):
//! the rule itself, `pub const RULE: Rule = Rule { id, severity, summary,
//! doc, needs_base, check }`, with its doc const and its check function, so
//! searching an id lands in the one file that holds all of it. The area's
//! `mod.rs` only lists its rules (`RULES`) and holds the helpers two rules
//! share. The `lint/*` rules (about trm-ci's own inputs) live in `inputs/`.
//!
//! To add a rule: write `src/rules/<area>/<name>.rs` with `use super::*;`,
//! its `pub const RULE` (id `<area>/<name-with-dashes>`), a `DOC` const with
//! the sections `## What it does`, `## Why is this bad?`, `## Example`, `##
//! Use instead`, and a `fn check(ctx: &Context, e: &mut Emitter)`; declare
//! `mod <name>;` in the area's `mod.rs` and add `<name>::RULE` to its
//! `RULES`; add `fail/` and `pass/` fixtures under
//! `tests/fixtures/rules/<area>/<name>/` and a line in the README's rules
//! table.

pub mod compose;
pub mod dockerfile;
pub mod inputs;
pub mod migrations;
pub mod scripts;
pub mod snapshot;

use std::sync::OnceLock;

use crate::config::Config;
use crate::finding::{Severity, Span};
use crate::model::Project;

#[derive(Clone, Copy)]
pub struct Rule {
    /// Stable id, `area/name`: configs, pragmas and the PR comment use it.
    pub id: &'static str,
    pub severity: Severity,
    /// One line, for `trm-ci rules`.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`,
    /// `## Example`, `## Use instead`.
    pub doc: &'static str,
    /// Compares against the base: skipped (with one note) when there is none.
    pub needs_base: bool,
    pub check: fn(&Context, &mut Emitter),
}

/// What a rule sees: the head version, the base version when there is one.
pub struct Context<'a> {
    pub head: &'a Project,
    pub base: Option<&'a Project>,
    pub config: &'a Config,
}

/// A finding as a rule reports it; the engine adds the rule id and the
/// configured severity.
#[derive(Debug, Clone)]
pub struct Raw {
    pub file: String,
    pub span: Option<Span>,
    pub message: String,
    pub help: String,
}

/// A rule reports at most this many findings in one file; the engine counts
/// the rest (a note says how many were left out). A generated or hostile
/// migration of a million `UPDATE t SET …;` is 500 findings and a count,
/// not a million code frames.
pub const MAX_PER_FILE: usize = 500;

#[derive(Default)]
pub struct Emitter {
    pub(crate) out: Vec<Raw>,
    /// Findings a rule counted but did not report (past its cap), by file.
    pub(crate) omitted: Vec<(String, usize)>,
    /// Findings reported so far, and past [`MAX_PER_FILE`], by file.
    per_file: std::collections::HashMap<String, (usize, usize)>,
}

impl Emitter {
    /// Reports one problem at `span` of `file` (None: the whole file).
    pub fn emit(&mut self, file: &str, span: Option<Span>, message: impl Into<String>, help: impl Into<String>) {
        let n = match self.per_file.get_mut(file) {
            Some(n) => n,
            None => self.per_file.entry(file.to_string()).or_default(),
        };
        if n.0 >= MAX_PER_FILE {
            n.1 += 1;
            return;
        }
        n.0 += 1;
        self.out.push(Raw { file: file.to_string(), span, message: message.into(), help: help.into() });
    }

    /// The findings past [`MAX_PER_FILE`] join the rule's own counts.
    pub(crate) fn close(&mut self) {
        let mut past: Vec<(String, usize)> = self.per_file.drain().filter(|(_, n)| n.1 > 0).map(|(f, n)| (f, n.1)).collect();
        past.sort();
        self.omitted.extend(past);
    }

    /// Counts `n` more problems in `file` that are not reported one by one
    /// (a rule's cap): the engine reports the count, never a finding for it.
    pub fn omit(&mut self, file: &str, n: usize) {
        if n > 0 {
            self.omitted.push((file.to_string(), n));
        }
    }
}

/// Every rule, in catalog order (area, then the order of its module).
pub fn all() -> &'static [Rule] {
    static ALL: OnceLock<Vec<Rule>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = Vec::new();
        for area in [
            migrations::RULES,
            snapshot::RULES,
            dockerfile::RULES,
            scripts::RULES,
            compose::RULES,
            inputs::RULES,
        ] {
            v.extend_from_slice(area);
        }
        v
    })
}

impl Rule {
    /// Judges only what a pull request changes (see [`PR_SCOPE_DOC`]): the
    /// `migrations/*` rules that judge a file's content, name or numbering
    /// without comparing with the base. A merged migration cannot be fixed (an
    /// edit is `edited-after-merge`, and the runner refuses a changed
    /// checksum), so its finding would block every later PR.
    pub fn pr_scoped(&self) -> bool {
        self.id.starts_with("migrations/") && !self.needs_base
    }
}

/// What `trm-ci explain` adds to the doc of a rule that [`Rule::pr_scoped`].
pub const PR_SCOPE_DOC: &str = r#"
## On a pull request
When there is a base (`--base`, the PR's base in GitHub Actions, else the
merge-base with `origin/main` or `main`), a finding of this rule in a
migration whose bytes are the same on the base, and that the base has too,
is *pre-existing*: listed apart (a note says how many), not counted, never
failing the run. A merged migration cannot be changed (`edited-after-merge`,
and the runner refuses a changed checksum), so it must not block every later
PR; the files the PR adds or changes are judged, and so is a finding the PR
causes in an old file (a collection added to the snapshot over a table an
old file creates). `lint --all` or `[lint] all = true` in `trm-ci.toml`
judges every migration (a full audit); without a base (not a git
repository, no `main`) every migration is judged.
"#;

pub fn find(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id)
}

/// The known rule id closest to an unknown `id`, as a clause for an error
/// message (` (did you mean `migrations/destructive`?)`), or empty when none
/// is close (Jaro-Winkler ≥ 0.85, or the same name in another area).
pub fn did_you_mean(id: &str) -> String {
    let name = |i: &str| i.rsplit('/').next().unwrap_or(i).to_string();
    let best = all()
        .iter()
        .map(|r| {
            let mut score = strsim::jaro_winkler(id, r.id);
            if name(id) == name(r.id) {
                score = score.max(0.9);
            }
            (score, r.id)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, best)) if score >= 0.85 => format!(" (did you mean `{best}`?)"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "duplicate id {}", r.id);
            let (area, name) = r.id.split_once('/').expect("area/name");
            assert!(!area.is_empty() && !name.is_empty(), "{}", r.id);
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/'),
                "{}",
                r.id
            );
            for section in ["## What it does", "## Why is this bad?", "## Example", "## Use instead"] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.id);
            }
            assert!(!r.summary.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn did_you_mean_names_the_closest_rule() {
        assert_eq!(did_you_mean("migrations/destructve"), " (did you mean `migrations/destructive`?)");
        assert_eq!(did_you_mean("migration/bad-filename"), " (did you mean `migrations/bad-filename`?)");
        assert_eq!(did_you_mean("snapshot/bad-filename"), " (did you mean `migrations/bad-filename`?)");
        assert_eq!(did_you_mean("zzz"), "");
    }
}
