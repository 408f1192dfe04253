//! The snapshot loader: YAML events → span-keeping tree → JSON value → typed view.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trm_ci::model::snapshot::Snapshot;
use trm_ci::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let src = SourceFile::new("snapshots/snapshot.yaml", data.to_vec(), Some(0o100644));
    let s = Snapshot::parse(&src);
    for p in &s.suppressions {
        assert!(p.span.offset + p.span.len <= data.len(), "suppression span past the end");
    }
});
