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
    /// Transitional: words not yet turned into data. Gone when every check reports a fact.
    Said { words: String },
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
impl From<String> for Fact {
    fn from(words: String) -> Fact {
        Fact::Common(CommonFact::Said { words })
    }
}
impl From<&String> for Fact {
    fn from(words: &String) -> Fact {
        Fact::Common(CommonFact::Said { words: words.clone() })
    }
}
impl From<&str> for Fact {
    fn from(words: &str) -> Fact {
        Fact::Common(CommonFact::Said { words: words.into() })
    }
}

#[cfg(test)]
pub(crate) fn samples() -> Vec<Fact> {
    let mut all: Vec<Fact> = vec![CommonFact::Error { error: "No such container: x".into() }.into()];
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
