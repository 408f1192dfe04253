//! The Dockerfile as a list of instructions with line numbers
//! (continuations, comments, parser directives, heredocs). (Being implemented.)

use crate::finding::Suppression;
use crate::source::SourceFile;

#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub path: String,
    pub suppressions: Vec<Suppression>,
}

impl Dockerfile {
    pub fn parse(src: &SourceFile) -> Dockerfile {
        Dockerfile { path: src.path.clone(), suppressions: Vec::new() }
    }
}
