//! The SQL lexer/splitter and statement classification of one migration file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trm_ci::model::sql::Migration;
use trm_ci::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let src = SourceFile::new("db-init/0001_fuzz.sql", data.to_vec(), Some(0o100644));
    let m = Migration::parse(&src);
    // Every span the model hands to renderers must point into the file.
    for s in &m.suppressions {
        assert!(s.span.offset + s.span.len <= data.len(), "suppression span past the end");
    }
});
