//! The Dockerfile parser: directives, continuations, heredocs, instructions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trm_ci::model::dockerfile::Dockerfile;
use trm_ci::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let src = SourceFile::new("Dockerfile", data.to_vec(), Some(0o100644));
    let d = Dockerfile::parse(&src);
    for s in &d.suppressions {
        assert!(s.span.offset + s.span.len <= data.len(), "suppression span past the end");
    }
});
