//! The `scripts/*` rules: the entrypoint and the shell scripts under the
//! scripts directory, read from the [`Script`] model.
//!
//! A `*.sh` under the scripts directory without a `#!` line is a library
//! meant to be `source`d: strict mode and the executable bit are the
//! business of the script that sources it, so both rules skip it. The
//! entrypoint is always checked.

mod gnu_only;

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::shell::{BootStepKind, Script, Strict};
use crate::source::SourceFile;

mod strict_mode;
mod not_executable;
mod boot_order;

pub const RULES: &[Rule] = &[
    strict_mode::RULE,
    not_executable::RULE,
    boot_order::RULE,
    gnu_only::RULE,
];

fn norm(p: &str) -> &str {
    let p = p.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    p.trim_end_matches('/')
}

/// The scripts the rules check, with their sources: the entrypoint, and
/// the scripts with a `#!` line.
fn checked<'a>(ctx: &'a Context) -> Vec<(&'a Script, &'a SourceFile, bool)> {
    let entry = norm(&ctx.head.paths.entrypoint);
    ctx.head
        .scripts
        .iter()
        .filter_map(|s| {
            let src = ctx.head.files.get(&s.path)?;
            src.text().ok()?;
            let is_entry = s.path == entry;
            (is_entry || s.shebang.is_some()).then_some((s, src, is_entry))
        })
        .collect()
}

fn text_of<'a>(src: &'a SourceFile, span: Span) -> &'a str {
    src.text_or_empty().get(span.offset..span.offset + span.len).unwrap_or("")
}

fn first_line(src: &SourceFile, span: Span) -> String {
    let t = text_of(src, span);
    let l = t.lines().next().unwrap_or("");
    let short: String = l.chars().take(60).collect();
    if short.len() < l.len() || t.lines().nth(1).is_some() {
        format!("{}…", short.trim_end())
    } else {
        short
    }
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::source::Artifacts;

    /// scripts/boot-order's messages for this entrypoint, with a db-post/ file or not.
    fn boot(entry: &str, with_post: bool) -> Vec<String> {
        let cfg = Config::default();
        let mut files = Artifacts::default();
        files.files.insert("entrypoint.sh".into(), SourceFile::new("entrypoint.sh", entry.as_bytes().to_vec(), Some(0o100755)));
        if with_post {
            files.files.insert("db-post/0001_x.sql".into(), SourceFile::new("db-post/0001_x.sql", b"SELECT 1;\n".to_vec(), None));
        }
        let head = Project::parse(files, &cfg.paths);
        let ctx = Context { head: &head, base: None, config: &cfg };
        let mut e = Emitter::default();
        (boot_order::RULE.check)(&ctx, &mut e);
        e.out.into_iter().map(|r| r.message).collect()
    }

    const THREE: &str = "set -euo pipefail\nstep db-init \"$d/apply-db-init.sh\"\nstep schema \"$d/schema-apply.sh\"\nexec node /directus/cli.js start\n";
    const FOUR: &str = "set -euo pipefail\nstep db-init \"$d/apply-db-init.sh\"\nstep schema \"$d/schema-apply.sh\"\nstep db-post \"$d/apply-db-post.sh\"\nexec node /directus/cli.js start\n";

    #[test]
    fn the_db_post_step_is_required_with_db_post_and_in_its_place() {
        assert_eq!(boot(THREE, false), Vec::<String>::new());
        assert_eq!(boot(FOUR, false), Vec::<String>::new());
        assert_eq!(boot(FOUR, true), Vec::<String>::new());
        assert_eq!(boot(&FOUR.replace("\"$d/apply-db-post.sh\"", "\"$d/apply-db-init.sh\" db-post"), true), Vec::<String>::new());
        let f = boot(THREE, true);
        assert!(f.len() == 1 && f[0].contains("never runs it"), "{f:?}");
        let early = "set -euo pipefail\n\"$d/apply-db-init.sh\"\n\"$d/apply-db-post.sh\"\n\"$d/schema-apply.sh\"\nexec node /directus/cli.js start\n";
        let f = boot(early, true);
        assert!(f.len() == 1 && f[0].starts_with("The db-post step (line 3) runs before the schema apply (line 4)"), "{f:?}");
        let late = "set -euo pipefail\n\"$d/apply-db-init.sh\"\n\"$d/schema-apply.sh\"\nnode /directus/cli.js start &\n\"$d/apply-db-post.sh\"\n";
        let f = boot(late, true);
        assert!(f.iter().any(|m| m.starts_with("The Directus start (line 4) runs before the db-post step (line 5)")), "{f:?}");
    }
}
