//! `trm-ci build` and `trm-ci smoke`: the Docker Engine API (bollard) side.
//! The only module that talks to Docker; the lint path never reaches it.

/// Arguments of `trm-ci build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {}

/// Arguments of `trm-ci smoke`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {}

/// Runs `trm-ci build`; returns the process exit code (0 ok, 1 failed, 2 usage/environment).
pub fn run_build(_args: &BuildArgs) -> i32 {
    eprintln!("trm-ci build: not implemented yet");
    2
}

/// Runs `trm-ci smoke`; returns the process exit code (0 ok, 1 failed, 2 usage/environment).
pub fn run_smoke(_args: &SmokeArgs) -> i32 {
    eprintln!("trm-ci smoke: not implemented yet");
    2
}
