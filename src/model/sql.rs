//! Migration files: a lexer that splits SQL into statements with exact spans
//! (comments, strings, dollar quotes, psql meta-commands), and a
//! classification of each statement. (Being implemented.)

use crate::finding::Suppression;
use crate::source::SourceFile;

#[derive(Debug, Clone)]
pub struct Migration {
    pub path: String,
    pub suppressions: Vec<Suppression>,
}

impl Migration {
    pub fn parse(src: &SourceFile) -> Migration {
        Migration { path: src.path.clone(), suppressions: Vec::new() }
    }
}
