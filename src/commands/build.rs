//! `trm-ci build`: progress while building, then the build's summary; `--json FILE` writes the
//! results document with the build stage. Exit 0 ok; 1 the build failed, it adds more than
//! `--max-added-size` over the base, or the image is over `--max-size` (unless the base image
//! alone is); 2 engine unreachable, base image missing, bad arguments.

use std::time::Instant;

use crate::cli::BuildArgs;
use crate::docker::{self, BuildOptions};
use crate::progress::Progress;
use crate::results::{Results, StageName};

pub fn run(args: &BuildArgs) -> i32 {
    let opts = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("trm-ci build: {e}");
            return 2;
        }
    };
    let started = Instant::now();
    let report = match docker::build(&opts, &Progress::stdout()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let ok = report.ok;
    let (repository, head) = super::repository(&args.repo);
    let doc = Results { repository, head, build: Some(report), ..Results::default() }.timed(StageName::Build, ok, started.elapsed());
    super::print(&crate::render::human::render(&doc, false));
    if let Some(path) = &args.json {
        if let Err(e) = super::write_json(path, &doc) {
            eprintln!("trm-ci build: {e}");
            return 2;
        }
    }
    if ok {
        0
    } else {
        1
    }
}

fn options(args: &BuildArgs) -> Result<BuildOptions, String> {
    Ok(BuildOptions {
        repo: args.repo.clone(),
        tag: args.tag.clone(),
        max_size: docker::parse_size(&args.max_size).map_err(|e| format!("--max-size: {e}"))?,
        max_added_size: docker::parse_size(&args.max_added_size).map_err(|e| format!("--max-added-size: {e}"))?,
        dockerfile: args.dockerfile.clone(),
        no_cache: args.no_cache,
        pull: args.pull,
    })
}
