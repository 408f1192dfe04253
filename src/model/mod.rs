//! One parser per artifact into a typed model that keeps source spans.
//! Models are built once per version of the repository (head, and base when
//! there is one); every rule reads them, none re-parses.

pub mod compose;
pub mod dockerfile;
pub mod shell;
pub mod snapshot;
pub mod sql;

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
use crate::repo::Artifacts;

/// One version of the repository, parsed.
#[derive(Debug)]
pub struct Project {
    pub paths: Paths,
    pub files: Artifacts,
    /// Every file directly inside the migrations directory, by path.
    /// Shared with the other version where the bytes are the same.
    pub migrations: Vec<Arc<sql::Migration>>,
    pub snapshot: Option<Arc<snapshot::Snapshot>>,
    pub dockerfile: Option<dockerfile::Dockerfile>,
    pub compose: Option<compose::Compose>,
    /// The entrypoint first (when present), then every `*.sh` below the scripts directory.
    pub scripts: Vec<shell::Script>,
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
        let reusable: std::collections::HashMap<&str, &Arc<sql::Migration>> =
            other.map(|o| o.migrations.iter().map(|m| (m.path.as_str(), m)).collect()).unwrap_or_default();
        let migrations = files
            .children(&paths.migrations)
            .map(|f| match reusable.get(f.path.as_str()) {
                Some(m) if same(&f.path) => Arc::clone(m),
                _ => Arc::new(sql::Migration::parse(f)),
            })
            .collect();
        let snapshot = files.get(&paths.snapshot).map(|f| match other.and_then(|o| o.snapshot.as_ref()) {
            Some(s) if same(&f.path) && s.path == f.path => Arc::clone(s),
            _ => Arc::new(snapshot::Snapshot::parse(f)),
        });
        let dockerfile = files.get(&paths.dockerfile).map(dockerfile::Dockerfile::parse);
        let compose = files.get(&paths.compose).map(compose::Compose::parse);
        let mut scripts: Vec<shell::Script> = files.get(&paths.entrypoint).map(shell::Script::parse).into_iter().collect();
        scripts.extend(files.below(&paths.scripts).filter(|f| f.path.ends_with(".sh")).map(shell::Script::parse));
        Project { paths: paths.clone(), files, migrations, snapshot, dockerfile, compose, scripts }
    }

    /// Every inline ignore pragma in this version.
    pub fn suppressions(&self) -> Vec<&Suppression> {
        let mut v: Vec<&Suppression> = Vec::new();
        v.extend(self.migrations.iter().flat_map(|m| m.suppressions.iter()));
        v.extend(self.dockerfile.iter().flat_map(|d| d.suppressions.iter()));
        v.extend(self.snapshot.iter().flat_map(|s| s.suppressions.iter()));
        v.extend(self.scripts.iter().flat_map(|s| s.suppressions.iter()));
        v
    }
}
