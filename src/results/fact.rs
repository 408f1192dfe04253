//! What a smoke scenario's or a drill step's check observed, as data: one [`Fact`] per check,
//! with the numbers, names and the container's or the engine's own words it saw. The wording is
//! the renderers' (src/render/check_words.rs); a written document also carries those words in
//! `detail` for version-1 readers (the JSON renderer fills them).
//!
//! One enum per area, each in its own file; the document tags each fact with its `kind`
//! (kebab-case, unique across the areas: `every_kind_reads_back_as_itself` checks it).

use serde::{Deserialize, Serialize};

pub mod boot;
pub mod drill;
pub mod image;
pub mod replicas;

pub use boot::BootFact;
pub use drill::DrillFact;
pub use image::ImageFact;
pub use replicas::ReplicaFact;

/// One observation. Serialized as the area's own object, `{"kind": "…", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact {
    Common(CommonFact),
    Boot(BootFact),
    Image(ImageFact),
    Replica(ReplicaFact),
    Drill(DrillFact),
    /// A kind this trm-ci does not know (a newer trm-ci wrote the document): kept as it was read;
    /// its words are the document's `detail`.
    Unknown(serde_json::Value),
}

/// Facts every scenario can report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CommonFact {
    /// Something the check needed failed (the engine creating, starting or running a command in
    /// a container, git resolving a revision, …): the error in the words of what raised it.
    Error { error: String },
    /// A boot (of the scenario's container) failed.
    BootFailed { failure: BootFailure },
}

/// Why a boot failed: what src/docker/stack.rs saw while it watched the container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum BootFailure {
    /// `docker start` failed: the engine's error.
    NotStarted { container: String, error: String },
    /// The container exited before it became healthy, `after` seconds from its start; `cause`:
    /// the last `[step] ERROR` line it printed (cut to a log line's length), if any.
    Exited { code: i64, after: f64, cause: Option<String> },
    /// Inspecting the container failed: the engine's error.
    NotInspected { container: String, error: String },
    /// `GET /server/ping` answers pong from the host but the image's HEALTHCHECK keeps failing:
    /// its command, and the last probe's exit code and output.
    HealthcheckWrong { command: Vec<String>, exit: i64, output: String },
    /// Not healthy (and answering pong) within the boot timeout; the last probe's exit code and
    /// output, if one ran.
    Timeout { seconds: u64, healthy: bool, pong: bool, last_probe: Option<(i64, String)> },
}

impl From<BootFailure> for Fact {
    fn from(failure: BootFailure) -> Fact {
        Fact::Common(CommonFact::BootFailed { failure })
    }
}

impl From<CommonFact> for Fact {
    fn from(f: CommonFact) -> Fact {
        Fact::Common(f)
    }
}
impl From<BootFact> for Fact {
    fn from(f: BootFact) -> Fact {
        Fact::Boot(f)
    }
}
impl From<ImageFact> for Fact {
    fn from(f: ImageFact) -> Fact {
        Fact::Image(f)
    }
}
impl From<ReplicaFact> for Fact {
    fn from(f: ReplicaFact) -> Fact {
        Fact::Replica(f)
    }
}
impl From<DrillFact> for Fact {
    fn from(f: DrillFact) -> Fact {
        Fact::Drill(f)
    }
}
#[cfg(test)]
pub(crate) fn boot_failures() -> Vec<BootFailure> {
    vec![
        BootFailure::NotStarted { container: "trm-smoke-1-app".into(), error: "port is already allocated".into() },
        BootFailure::Exited { code: 1, after: 12.34, cause: Some("[db-init] ERROR: 0002_x.sql failed".into()) },
        BootFailure::Exited { code: 137, after: 3.0, cause: None },
        BootFailure::NotInspected { container: "trm-smoke-1-app".into(), error: "No such container".into() },
        BootFailure::HealthcheckWrong { command: vec!["CMD-SHELL".into(), "wget -qO- http://localhost:8056/".into()], exit: 1, output: "refused".into() },
        BootFailure::HealthcheckWrong { command: vec!["CMD".into()], exit: 1, output: String::new() },
        BootFailure::Timeout { seconds: 240, healthy: false, pong: true, last_probe: Some((1, " connection refused\n".into())) },
        BootFailure::Timeout { seconds: 240, healthy: false, pong: false, last_probe: None },
    ]
}

#[cfg(test)]
pub(crate) fn samples() -> Vec<Fact> {
    let mut all: Vec<Fact> = vec![CommonFact::Error { error: "No such container: x".into() }.into()];
    all.extend(boot_failures().into_iter().map(Fact::from));
    all.extend(boot::samples().into_iter().map(Fact::from));
    all.extend(image::samples().into_iter().map(Fact::from));
    all.extend(replicas::samples().into_iter().map(Fact::from));
    all.extend(drill::samples().into_iter().map(Fact::from));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_itself() {
        let mut kinds = std::collections::BTreeSet::new();
        for f in samples() {
            let v = serde_json::to_value(&f).unwrap();
            let kind = v["kind"].as_str().unwrap_or_else(|| panic!("{v}: no kind")).to_string();
            let back: Fact = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(back, f, "{kind} read back as another fact (two areas share the kind?)");
            kinds.insert(kind);
        }
    }

    #[test]
    fn an_unknown_kind_is_kept() {
        let v = serde_json::json!({"kind": "from-the-future", "n": 1});
        let f: Fact = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(f, Fact::Unknown(v));
    }
}
