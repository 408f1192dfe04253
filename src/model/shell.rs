//! Shell scripts (entrypoint.sh, scripts/*.sh) as lines and commands with
//! spans. (Being implemented.)

use crate::finding::Suppression;
use crate::source::SourceFile;

#[derive(Debug, Clone)]
pub struct Script {
    pub path: String,
    pub suppressions: Vec<Suppression>,
}

impl Script {
    pub fn parse(src: &SourceFile) -> Script {
        Script { path: src.path.clone(), suppressions: Vec::new() }
    }
}
