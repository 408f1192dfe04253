//! `trm-ci.toml`: where the artifacts are and how severe each rule is.
//!
//! ```toml
//! [paths]
//! migrations = "db-init"
//! post_migrations = "db-post"
//! snapshot = "snapshots/snapshot.yaml"
//! dockerfile = "Dockerfile"
//! compose = "compose.dev.yaml"
//! stack = "deploy/stack.yaml"          # optional: the production stack file
//! entrypoint = "entrypoint.sh"
//! scripts = "scripts"
//!
//! [rules]
//! "migrations/destructive" = "warning"   # error | warning | off
//! "dockerfile/expose" = "off"
//!
//! [lint]
//! all = false                            # true: judge unchanged migrations too (as `--all`)
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::boundary;
use crate::finding::Severity;
use crate::source::LineIndex;

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
    /// The production stack file (compose format, `docker stack deploy`):
    /// optional, linted by the compose rules when it exists.
    pub stack: String,
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
            stack: "deploy/stack.yaml".into(),
            entrypoint: "entrypoint.sh".into(),
            scripts: "scripts".into(),
        }
    }
}

impl Paths {
    /// Every entry with its key as trm-ci.toml spells it, in the order of the struct.
    pub fn entries(&self) -> [(&'static str, &String); 8] {
        [
            ("migrations", &self.migrations),
            ("post_migrations", &self.post_migrations),
            ("snapshot", &self.snapshot),
            ("dockerfile", &self.dockerfile),
            ("compose", &self.compose),
            ("stack", &self.stack),
            ("entrypoint", &self.entrypoint),
            ("scripts", &self.scripts),
        ]
    }

    /// [`Paths::entries`]' values, to rewrite them (same order).
    fn values_mut(&mut self) -> [&mut String; 8] {
        [
            &mut self.migrations,
            &mut self.post_migrations,
            &mut self.snapshot,
            &mut self.dockerfile,
            &mut self.compose,
            &mut self.stack,
            &mut self.entrypoint,
            &mut self.scripts,
        ]
    }

    /// `allow-destructive.txt` in the snapshot's directory: the destructive
    /// schema changes a branch approves (see `model::approvals`); it goes into
    /// the image with the snapshot.
    pub fn approvals(&self) -> String {
        let s = self.snapshot.trim_start_matches("./");
        match s.rfind('/') {
            Some(i) => format!("{}/{APPROVALS_FILE}", &s[..i]),
            None => APPROVALS_FILE.to_string(),
        }
    }
}

/// The approvals file's name (the schema step reads it beside the snapshot).
pub const APPROVALS_FILE: &str = "allow-destructive.txt";

/// `[lint]`: how much of the repository the lint judges.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LintSection {
    /// Judge the migrations that are unchanged since the base too (a full
    /// audit, as `lint --all`); by default, when there is a base, the
    /// `migrations/*` rules about a file's content and name judge only the
    /// files added or changed since it.
    pub all: bool,
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
    pub lint: LintSection,
    /// Where it was read from, for messages (`file:line:col`).
    #[serde(skip)]
    file: Option<String>,
    /// The TOML text, for the position of a `[rules]` key.
    #[serde(skip)]
    text: String,
}

impl Config {
    /// Reads `file`; a missing default file means the defaults. Errors name
    /// the file, the line and column, and what is wrong. The rule ids are
    /// checked by [`Config::check_rule_ids`] (the registry is not this
    /// module's to know).
    ///
    /// `must_exist` false is the repository's own file (`file` is
    /// `<root>/trm-ci.toml`, part of the untrusted tree): it is read only when it
    /// is a regular file inside the root (not a link out of it, not a FIFO or a
    /// device). A `--config FILE` (`must_exist`) is the user's and may be
    /// anywhere, but must be a regular file too. Both are read up to the 16 MiB
    /// every file trm-ci reads is held to.
    pub fn load(file: &Path, must_exist: bool) -> Result<Config, String> {
        let cap = crate::source::MAX_FILE_BYTES;
        let read = if must_exist {
            boundary::read_named(file, cap)
        } else {
            match (file.parent().map(|d| d.canonicalize()), file.file_name()) {
                (Some(Ok(root)), Some(name)) => boundary::read_inside(&root, &name.to_string_lossy(), cap),
                (Some(Err(e)), _) => Err(format!("cannot read: {e}")),
                _ => Err("not a file name".into()),
            }
        };
        let text = match read {
            Ok(Some(b)) => b,
            Ok(None) if !must_exist => return Ok(Config::default()),
            Ok(None) => return Err(format!("{}: cannot read: no such file", file.display())),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        if text.len() > cap {
            return Err(format!("{}: larger than the {} MiB trm-ci reads", file.display(), cap >> 20));
        }
        let text = String::from_utf8(text).map_err(|e| {
            format!("{}: not valid UTF-8 at byte {}", file.display(), e.utf8_error().valid_up_to())
        })?;
        let mut cfg = Config::parse(&text).map_err(|e| format!("{}:{e}", file.display()))?;
        cfg.file = Some(file.display().to_string());
        Ok(cfg)
    }

    /// Parses the TOML text; errors start with `line:col: `.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| LineIndex::new(text).line_col(text, s.start)).unwrap_or((1, 1));
            format!("{line}:{col}: {}", e.message())
        })?;
        cfg.text = text.to_string();
        cfg.check_paths()?;
        cfg.normalize_paths();
        Ok(cfg)
    }

    /// Every `[paths]` entry as one spelling: `./db-init/` and `db-init/x/..` are `db-init`, as
    /// the shell and Docker read them. Everything that compares paths (the artifact kinds, the
    /// lint's file lists, the base's configuration) then sees the same name; written as
    /// `./db-init/`, the migrations were looked for as `./db-init//` and reported missing.
    fn normalize_paths(&mut self) {
        for value in self.paths.values_mut() {
            if let Some(n) = boundary::lexical("", value) {
                *value = n;
            }
        }
    }

    /// Every `[paths]` entry stays inside the repository: relative, and never
    /// climbing above the root with `..`. (Where a path leads after symbolic
    /// links is checked when the files are read.) Errors point at the key.
    fn check_paths(&self) -> Result<(), String> {
        for (key, value) in self.paths.entries() {
            if boundary::lexical("", value).is_none() {
                let (line, col) = self
                    .key_offset("paths", key)
                    .map(|o| LineIndex::new(&self.text).line_col(&self.text, o))
                    .unwrap_or((1, 1));
                return Err(format!(
                    "{line}:{col}: [paths] {key} = `{value}` leaves the repository: paths are relative to the repository root and stay inside it"
                ));
            }
        }
        Ok(())
    }

    /// Checks that every `[rules]` key names a rule `known` knows. The error
    /// points at the key: `file:line:col: ...` (`line:col: ...` for text
    /// parsed without a file).
    pub fn check_rule_ids(&self, known: impl Fn(&str) -> bool) -> Result<(), String> {
        self.check_rule_ids_suggesting(known, |_| String::new())
    }

    /// [`Config::check_rule_ids`], the error ending with `suggest(id)` (a
    /// "did you mean" clause, or empty).
    pub fn check_rule_ids_suggesting(&self, known: impl Fn(&str) -> bool, suggest: impl Fn(&str) -> String) -> Result<(), String> {
        let Some(id) = self.rules.keys().find(|id| !known(id)) else { return Ok(()) };
        let (line, col) = self.rule_key_offset(id).map(|o| LineIndex::new(&self.text).line_col(&self.text, o)).unwrap_or((1, 1));
        let at = match &self.file {
            Some(f) => format!("{f}:{line}:{col}"),
            None => format!("{line}:{col}"),
        };
        Err(format!("{at}: [rules] names unknown rule `{id}`{} (see `trm-ci rules` for the catalog)", suggest(id)))
    }

    /// The byte offset of `id`'s key in `[rules]` (the text parsed once
    /// more, with spans: only on this error path).
    fn rule_key_offset(&self, id: &str) -> Option<usize> {
        self.key_offset("rules", id)
    }

    /// The byte offset of `key` in the table `table`.
    fn key_offset(&self, table: &str, key: &str) -> Option<usize> {
        let doc = toml::de::DeTable::parse(&self.text).ok()?;
        let t = doc.get_ref().iter().find(|(k, _)| k.get_ref() == table)?.1;
        let toml::de::DeValue::Table(t) = t.get_ref() else { return None };
        t.iter().find(|(k, _)| k.get_ref() == key).map(|(k, _)| k.span().start)
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

/// A change of `trm-ci.toml` on the branch that makes the lint judge less than the base's
/// configuration did: a rule turned off or made less severe, a `[paths]` entry moved (the
/// rules no longer read what they read on the base), `[lint] all` turned off. On a pull request
/// the configuration is part of the untrusted tree, so the report names each one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weakening {
    /// The key as trm-ci.toml spells it: `rules."migrations/destructive"`, `paths.migrations`,
    /// `lint.all`.
    pub key: String,
    /// Its value on the base and on the branch, the default where the file does not set it
    /// (`error`, `warning`, `off`; a path; `true`, `false`); a value is cut at 200 characters.
    pub base: String,
    pub head: String,
}

/// How many characters of a value a [`Weakening`] keeps.
const VALUE_CHARS: usize = 200;

/// What `head` weakens against `base`: rules (each at its effective severity, `default` giving
/// a rule's own, None for an id the registry does not know, which is skipped), then paths, then
/// `[lint] all`.
pub fn weakenings(base: &Config, head: &Config, default: impl Fn(&str) -> Option<Severity>) -> Vec<Weakening> {
    let mut out = Vec::new();
    // Off < warning < error: Severity's order, with None (off) below both.
    let word = |s: Option<Severity>| s.map_or("off", Severity::as_str);
    let ids: std::collections::BTreeSet<&String> = base.rules.keys().chain(head.rules.keys()).collect();
    for id in ids {
        let Some(d) = default(id) else { continue };
        let (b, h) = (base.severity(id, d), head.severity(id, d));
        if h < b {
            out.push(Weakening { key: format!("rules.{}", toml_key(id)), base: word(b).into(), head: word(h).into() });
        }
    }
    for ((key, bv), (_, hv)) in base.paths.entries().into_iter().zip(head.paths.entries()) {
        // Normalised when parsed: `./db-init/` is `db-init`.
        if bv != hv {
            out.push(Weakening { key: format!("paths.{key}"), base: cut(bv), head: cut(hv) });
        }
    }
    if base.lint.all && !head.lint.all {
        out.push(Weakening { key: "lint.all".into(), base: "true".into(), head: "false".into() });
    }
    out
}

/// A `[rules]` key as written in TOML: quoted (every rule id has a `/`).
fn toml_key(id: &str) -> String {
    format!("\"{}\"", cut(id).replace('\\', "\\\\").replace('"', "\\\""))
}

fn cut(v: &str) -> String {
    if v.chars().count() <= VALUE_CHARS {
        v.to_string()
    } else {
        format!("{}…", v.chars().take(VALUE_CHARS).collect::<String>())
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
        let known = |id: &str| id == "lint/unused-ignore";
        let e = Config::parse("[rules]\n\"no/such\" = \"off\"\n").unwrap().check_rule_ids(known).unwrap_err();
        assert!(e.contains("unknown rule `no/such`"), "{e}");
        // At the key itself, not at 1:1.
        assert!(e.starts_with("2:1:"), "{e}");
        let text = "[paths]\nmigrations = \"db\"\n\n[rules]\n\"lint/unused-ignore\" = \"off\"\n  \"dockerfile/nope\" = \"warning\"\n";
        let e = Config::parse(text).unwrap().check_rule_ids(known).unwrap_err();
        assert!(e.starts_with("6:3: [rules] names unknown rule `dockerfile/nope`"), "{e}");
        let e = Config::parse("rules = { \"é/x\" = \"off\" }\n").unwrap().check_rule_ids(known).unwrap_err();
        assert!(e.starts_with("1:11:"), "{e}");
        assert!(Config::parse(text).unwrap().check_rule_ids(|_| true).is_ok());
    }

    #[test]
    fn paths_stay_inside_the_repository() {
        let e = Config::parse("[paths]\nsnapshot = \"s.yaml\"\nmigrations = \"../../..\"\n").unwrap_err();
        assert!(e.starts_with("3:1: [paths] migrations = `../../..` leaves the repository"), "{e}");
        let e = Config::parse("[paths]\n  dockerfile = \"/etc/passwd\"\n").unwrap_err();
        assert!(e.starts_with("2:3: [paths] dockerfile = `/etc/passwd` leaves"), "{e}");
        assert!(Config::parse("[paths]\nscripts = \"./a/../b/\"\nmigrations = \"sql/db-init\"\n").is_ok());
    }

    #[test]
    fn weakenings_name_each_rule_path_and_audit_the_branch_loosens() {
        let default = |id: &str| match id {
            "migrations/destructive" | "migrations/empty" | "dockerfile/expose" => Some(Severity::Error),
            "lint/unused-ignore" => Some(Severity::Warning),
            _ => None,
        };
        let base = Config::parse("[rules]\n\"dockerfile/expose\" = \"warning\"\n\"gone/rule\" = \"error\"\n[lint]\nall = true\n").unwrap();
        let head = Config::parse(
            "[paths]\nmigrations = \"./sql/\"\npost_migrations = \"./db-post/\"\nsnapshot = \"other.yaml\"\n[rules]\n\"migrations/destructive\" = \"warning\"\n\"migrations/empty\" = \"error\"\n\"lint/unused-ignore\" = \"off\"\n\"dockerfile/expose\" = \"error\"\n",
        )
        .unwrap();
        let w = weakenings(&base, &head, default);
        let got: Vec<(&str, &str, &str)> = w.iter().map(|w| (w.key.as_str(), w.base.as_str(), w.head.as_str())).collect();
        assert_eq!(
            got,
            [
                ("rules.\"lint/unused-ignore\"", "warning", "off"),
                ("rules.\"migrations/destructive\"", "error", "warning"),
                ("paths.migrations", "db-init", "sql"),
                ("paths.snapshot", "snapshots/snapshot.yaml", "other.yaml"),
                ("lint.all", "true", "false"),
            ]
        );
        // The other way round: only what the first file had stricter (and the moved path).
        let back: Vec<String> = weakenings(&head, &base, default).iter().map(|w| format!("{} {} {}", w.key, w.base, w.head)).collect();
        assert_eq!(back, ["rules.\"dockerfile/expose\" error warning", "paths.migrations sql db-init", "paths.snapshot other.yaml snapshots/snapshot.yaml"]);
        assert!(weakenings(&head, &head, default).is_empty());
        let long = Config::parse(&format!("[paths]\nscripts = \"{}\"\n", "s/".repeat(500))).unwrap();
        assert_eq!(weakenings(&Config::default(), &long, default)[0].head.chars().count(), 201);
    }

    #[cfg(unix)]
    #[test]
    fn the_repository_file_is_read_only_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
        let e = Config::load(&file, false).unwrap_err();
        assert!(e.contains("trm-ci.toml: a symbolic link to `/dev/zero`, outside the repository: not read"), "{e}");
        std::fs::remove_file(&file).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(&file).status().unwrap().success());
        let e = Config::load(&file, false).unwrap_err();
        assert!(e.contains("a FIFO (named pipe), not a regular file"), "{e}");
        let e = Config::load(&file, true).unwrap_err();
        assert!(e.contains("a FIFO (named pipe), not a regular file"), "{e}");
        assert!(Config::load(Path::new("/dev/zero"), true).unwrap_err().contains("a character device"));
        assert_eq!(Config::load(&dir.path().join("none.toml"), false).unwrap(), Config::default());
    }
}
