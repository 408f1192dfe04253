//! One parser per artifact into a typed model that keeps source spans.
//! Models are built once per version of the repository (head, and base when
//! there is one); every rule reads them, none re-parses.

pub mod approvals;
pub mod column_type;
pub mod compose;
pub mod dockerfile;
pub mod schema_diff;
pub mod shell;
pub mod snapshot;
pub mod sql;
pub mod yaml;

/// Random-input helper shared by the parsers' robustness tests.
#[cfg(test)]
pub(crate) mod test_soup {
    /// A deterministic byte soup of the given pieces (xorshift).
    pub fn soup(seed: u64, n: usize, alphabet: &[&str]) -> String {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut s = String::new();
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        s
    }
}

use std::sync::Arc;

use crate::config::Paths;
use crate::finding::Suppression;
use crate::source::Artifacts;

/// One version of the repository, parsed.
#[derive(Debug)]
pub struct Project {
    pub paths: Paths,
    pub files: Artifacts,
    /// Every file directly inside the migrations directory (db-init), by
    /// path. Shared with the other version where the bytes are the same.
    pub migrations: Vec<Arc<sql::Migration>>,
    /// Every file directly inside the post-schema directory (db-post): SQL
    /// the runner applies after the schema step. Empty when there is none.
    pub post_migrations: Vec<Arc<sql::Migration>>,
    pub snapshot: Option<Arc<snapshot::Snapshot>>,
    pub dockerfile: Option<dockerfile::Dockerfile>,
    pub compose: Option<compose::Compose>,
    /// The production stack file (`[paths] stack`), when the repository has one.
    pub stack: Option<compose::Compose>,
    /// The entrypoint first (when present), then every `*.sh` below the scripts directory.
    pub scripts: Vec<shell::Script>,
    /// `allow-destructive.txt` beside the snapshot, when there is one.
    pub approvals: Option<approvals::Approvals>,
}

impl Project {
    pub fn parse(files: Artifacts, paths: &Paths) -> Project {
        Project::parse_reusing(files, paths, None)
    }

    /// Parses `files`, reusing `other`'s models of files whose bytes are the
    /// same (the base of a PR is mostly the head: its unchanged snapshot and
    /// migrations are not parsed twice).
    pub fn parse_reusing(files: Artifacts, paths: &Paths, other: Option<&Project>) -> Project {
        let same = |path: &str| match other {
            Some(o) => o.files.get(path).zip(files.get(path)).is_some_and(|(a, b)| a.bytes == b.bytes),
            None => false,
        };
        let reusable: std::collections::HashMap<&str, &Arc<sql::Migration>> = other
            .map(|o| o.migrations.iter().chain(&o.post_migrations).map(|m| (m.path.as_str(), m)).collect())
            .unwrap_or_default();
        let snapshot = files.get(&paths.snapshot).map(|f| match other.and_then(|o| o.snapshot.as_ref()) {
            Some(s) if same(&f.path) && s.path == f.path => Arc::clone(s),
            _ => Arc::new(snapshot::Snapshot::parse(f)),
        });
        // The tables the table rules judge: Directus's own and the snapshot's.
        // A statement naming only other tables (and nothing else a rule reads)
        // is counted, not kept; so another snapshot means other kept statements,
        // and the other version's models are reused only with the same snapshot.
        let watched_names: std::collections::HashSet<&str> =
            snapshot.iter().flat_map(|s| s.collections.iter().filter(|c| c.is_table()).map(|c| c.name.as_str())).collect();
        let watched = |name: &str| name.starts_with("directus_") || watched_names.contains(name);
        let same_snapshot = match other {
            Some(o) => o.files.get(&paths.snapshot).map(|f| &f.bytes) == files.get(&paths.snapshot).map(|f| &f.bytes),
            None => false,
        };
        let parse_dir = |dir: &str| -> Vec<Arc<sql::Migration>> {
            files
                .children(dir)
                .map(|f| match reusable.get(f.path.as_str()) {
                    Some(m) if same_snapshot && same(&f.path) => Arc::clone(m),
                    _ => Arc::new(sql::Migration::parse(f, &watched)),
                })
                .collect()
        };
        let migrations = parse_dir(&paths.migrations);
        // The same directory configured twice is one step, not two.
        let post_migrations = if norm_dir(&paths.post_migrations) == norm_dir(&paths.migrations) {
            Vec::new()
        } else {
            parse_dir(&paths.post_migrations)
        };
        let dockerfile = files.get(&paths.dockerfile).map(dockerfile::Dockerfile::parse);
        let compose = files.get(&paths.compose).map(compose::Compose::parse);
        let stack = files.get(&paths.stack).filter(|_| norm_dir(&paths.stack) != norm_dir(&paths.compose)).map(compose::Compose::parse);
        let mut scripts: Vec<shell::Script> = files.get(&paths.entrypoint).map(shell::Script::parse).into_iter().collect();
        scripts.extend(files.below(&paths.scripts).filter(|f| f.path.ends_with(".sh")).map(shell::Script::parse));
        let approvals = files.get(&paths.approvals()).map(approvals::Approvals::parse);
        Project { paths: paths.clone(), files, migrations, post_migrations, snapshot, dockerfile, compose, stack, scripts, approvals }
    }

    /// The SQL steps, in boot order: db-init (before the schema step), then
    /// db-post (after it). Each has its own numbering.
    pub fn migration_sets(&self) -> [MigrationSet<'_>; 2] {
        [
            MigrationSet { step: SqlStep::DbInit, dir: norm_dir(&self.paths.migrations), files: &self.migrations },
            MigrationSet { step: SqlStep::DbPost, dir: norm_dir(&self.paths.post_migrations), files: &self.post_migrations },
        ]
    }

    /// Every migration of both SQL steps, db-init first.
    pub fn all_migrations(&self) -> impl Iterator<Item = &Arc<sql::Migration>> + '_ {
        self.migrations.iter().chain(&self.post_migrations)
    }

    /// The repository has a post-schema directory with at least one file.
    pub fn has_post_migrations(&self) -> bool {
        let dir = norm_dir(&self.paths.post_migrations);
        dir != norm_dir(&self.paths.migrations) && self.files.below(dir).next().is_some()
    }

    /// Every inline ignore pragma in this version.
    pub fn suppressions(&self) -> Vec<&Suppression> {
        let mut v: Vec<&Suppression> = Vec::new();
        v.extend(self.all_migrations().flat_map(|m| m.suppressions.iter()));
        v.extend(self.dockerfile.iter().flat_map(|d| d.suppressions.iter()));
        v.extend(self.snapshot.iter().flat_map(|s| s.suppressions.iter()));
        v.extend(self.scripts.iter().flat_map(|s| s.suppressions.iter()));
        v
    }
}

/// Which SQL step of the boot a migrations directory feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlStep {
    /// `db-init/`: before the schema step.
    DbInit,
    /// `db-post/`: after the schema step, before Directus starts.
    DbPost,
}

impl SqlStep {
    /// The step's name in the boot log (`[db-init]`, `[db-post]`).
    pub fn name(self) -> &'static str {
        match self {
            SqlStep::DbInit => "db-init",
            SqlStep::DbPost => "db-post",
        }
    }
}

/// One SQL step's directory and its files.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet<'a> {
    pub step: SqlStep,
    /// The directory, repo-relative, without `./` or a trailing `/`.
    pub dir: &'a str,
    pub files: &'a [Arc<sql::Migration>],
}

/// A configured directory as a repo-relative path (`./db-post/` → `db-post`).
pub fn norm_dir(p: &str) -> &str {
    let p = p.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    p.trim_end_matches('/')
}
