//! `trm-ci build` and `trm-ci smoke`: the Docker Engine API (bollard) side.
//! The only module that talks to Docker; the lint path never reaches it.

mod build;
mod context;
pub mod credentials;
pub mod engine;
pub mod pull;
pub mod reference;
pub mod smoke;
pub mod stack;
pub mod tree_label;

pub use context::IgnoreRules;
pub use crate::units::{fmt_size, parse_size};

use crate::progress::Progress;
use crate::results::Build;

pub use build::Options as BuildOptions;
pub use smoke::Options as SmokeOptions;
pub use pull::Policy as PullPolicy;

/// `trm-ci build`: the report (a failed build is a report with its error); `Err` is an
/// environment problem (engine unreachable, base image missing, unreadable Dockerfile).
pub fn build(opts: &BuildOptions, progress: &Progress) -> Result<Build, String> {
    with_engine(|docker| async move { build::build(&docker, opts, progress).await })?
}

/// Builds an image on a connected engine (the upgrade drill builds the base revision's image with
/// it); the same as [`build`].
pub async fn build_image(docker: &bollard::Docker, opts: &BuildOptions, progress: &Progress) -> Result<Build, String> {
    build::build(docker, opts, progress).await
}

/// `trm-ci smoke`: the run's outcome; `Err` is the engine not answering.
pub fn smoke(opts: &SmokeOptions, progress: &Progress) -> Result<smoke::Run, String> {
    with_engine(|docker| async move { smoke::run(docker, opts, progress).await })
}

/// Starts the runtime, connects to the engine and runs `f`; a runtime or connection failure is
/// the one line saying so.
fn with_engine<F, Fut, T>(f: F) -> Result<T, String>
where
    F: FnOnce(bollard::Docker) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let rt = engine::runtime()?;
    rt.block_on(async {
        let docker = engine::connect().await?;
        Ok(f(docker).await)
    })
}
