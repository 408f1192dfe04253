//! compose.dev.yaml: services and their build/image settings with spans.
//! (Being implemented.)

use crate::source::SourceFile;

#[derive(Debug, Clone)]
pub struct Compose {
    pub path: String,
}

impl Compose {
    pub fn parse(src: &SourceFile) -> Compose {
        Compose { path: src.path.clone() }
    }
}
