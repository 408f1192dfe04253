//! `trm-ci.toml`: where the artifacts are and how severe each rule is.
//!
//! ```toml
//! [paths]
//! migrations = "db-init"
//! post_migrations = "db-post"
//! snapshot = "snapshots/snapshot.yaml"
//! dockerfile = "Dockerfile"
//! compose = "compose.dev.yaml"
//! entrypoint = "entrypoint.sh"
//! scripts = "scripts"
//!
//! [rules]
//! "migrations/destructive" = "warning"   # error | warning | off
//! "dockerfile/expose" = "off"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::finding::Severity;

pub const FILE_NAME: &str = "trm-ci.toml";

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    /// SQL applied before the schema step (db-init).
    pub migrations: String,
    /// SQL applied after the schema step, before Directus starts (db-post):
    /// optional, the lint and the image only need it when it has files.
    pub post_migrations: String,
    pub snapshot: String,
    pub dockerfile: String,
    pub compose: String,
    pub entrypoint: String,
    pub scripts: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            migrations: "db-init".into(),
            post_migrations: "db-post".into(),
            snapshot: "snapshots/snapshot.yaml".into(),
            dockerfile: "Dockerfile".into(),
            compose: "compose.dev.yaml".into(),
            entrypoint: "entrypoint.sh".into(),
            scripts: "scripts".into(),
        }
    }
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub paths: Paths,
    pub rules: BTreeMap<String, Level>,
}

impl Config {
    /// Reads `file`; a missing default file means the defaults. Errors name
    /// the file, the line and column, and what is wrong.
    pub fn load(file: &Path, must_exist: bool) -> Result<Config, String> {
        let text = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(Config::default()),
            Err(e) => return Err(format!("{}: cannot read: {e}", file.display())),
        };
        let text = String::from_utf8(text).map_err(|e| {
            format!("{}: not valid UTF-8 at byte {}", file.display(), e.utf8_error().valid_up_to())
        })?;
        Config::parse(&text).map_err(|e| format!("{}:{e}", file.display()))
    }

    /// Parses the TOML text; errors start with `line:col: `.
    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
                    (line, col)
                })
                .unwrap_or((1, 1));
            format!("{line}:{col}: {}", e.message())
        })?;
        for id in cfg.rules.keys() {
            if crate::rules::find(id).is_none() {
                return Err(format!(
                    "1:1: [rules] names unknown rule `{id}` (see `trm-ci rules` for the catalog)"
                ));
            }
        }
        Ok(cfg)
    }

    /// The effective severity of a rule, None when it is turned off.
    pub fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.rules.get(rule) {
            None => Some(default),
            Some(Level::Error) => Some(Severity::Error),
            Some(Level::Warning) => Some(Severity::Warning),
            Some(Level::Off) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = Config::parse("[rules]\n\"lint/unused-ignore\" = \"off\"\n").unwrap();
        assert_eq!(c.paths, Paths::default());
        assert_eq!(c.severity("lint/unused-ignore", Severity::Error), None);
        assert_eq!(c.severity("migrations/empty", Severity::Error), Some(Severity::Error));
    }

    #[test]
    fn errors_have_a_position() {
        let e = Config::parse("[paths]\nmigrations = 3\n").unwrap_err();
        assert!(e.starts_with("2:14:"), "{e}");
        let e = Config::parse("[rules]\n\"no/such\" = \"off\"\n").unwrap_err();
        assert!(e.contains("unknown rule `no/such`"), "{e}");
    }
}
