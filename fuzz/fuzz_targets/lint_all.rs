//! Every parser and every rule at once: the input is split on NUL-free
//! markers into the six artifacts of a repository, which is then linted
//! with the default configuration (no base). Catches panics in rules that
//! read odd models, not only in parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trm_ci::config::Config;
use trm_ci::model::Project;
use trm_ci::source::Artifacts;
use trm_ci::rules::Context;
use trm_ci::source::SourceFile;

const PATHS: [&str; 6] = [
    "db-init/0001_init.sql",
    "Dockerfile",
    "snapshots/snapshot.yaml",
    "compose.dev.yaml",
    "entrypoint.sh",
    "scripts/run.sh",
];

fuzz_target!(|data: &[u8]| {
    let mut files = Artifacts::default();
    // Parts are separated by the byte 0x1e (record separator).
    for (i, part) in data.split(|&b| b == 0x1e).take(PATHS.len()).enumerate() {
        let path = PATHS[i];
        let mode = if i >= 4 { 0o100755 } else { 0o100644 };
        files.files.insert(path.to_string(), SourceFile::new(path, part.to_vec(), Some(mode)));
    }
    let cfg = Config::default();
    let head = Project::parse(files, &cfg.paths);
    let ctx = Context { head: &head, base: None, config: &cfg };
    let _ = trm_ci::linter::check(&ctx);
});
