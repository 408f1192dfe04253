//! The Directus schema snapshot: YAML with spans, the JSON value the schema
//! validates, and typed collections, fields and relations. (Being implemented.)

use crate::source::SourceFile;

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: String,
}

impl Snapshot {
    pub fn parse(src: &SourceFile) -> Snapshot {
        Snapshot { path: src.path.clone() }
    }
}
