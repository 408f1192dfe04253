//! `trm-ci build` and `trm-ci smoke`: the Docker Engine API (bollard) side.
//! The only module that talks to Docker; the lint path never reaches it.
//!
//! The stages' entry points: [`build`] (options, progress sink) and [`smoke`] (options, progress
//! sink, a callback for each finished scenario); the upgrade drill's is `upgrade::run`. They
//! return data ([`Build`], [`Guarded`]`<Smoke>`) and never print: the command layer renders.

mod builder;
mod context;
pub mod credentials;
pub mod engine;
pub mod pull;
pub mod recorder;
pub mod reference;
pub mod scenarios;
pub mod stack;
pub mod tree_label;

pub use context::IgnoreRules;
pub use crate::units::{fmt_size, parse_size};

use crate::progress::Progress;
use crate::results::{Build, Scenario, Smoke};

pub use stack::{Guarded, Unfinished};

pub use builder::Options as BuildOptions;
pub use pull::Policy as PullPolicy;
pub use scenarios::Options as SmokeOptions;

/// `trm-ci build`: the report (a failed build is a report with its error); `Err` is an
/// environment problem (engine unreachable, base image missing, unreadable Dockerfile).
pub fn build(opts: &BuildOptions, progress: &Progress) -> Result<Build, String> {
    with_engine(|docker| async move { builder::build(&docker, opts, progress).await })?
}

/// Builds an image on a connected engine (the upgrade drill builds the base revision's image with
/// it); the same as [`build`].
pub async fn build_image(docker: &bollard::Docker, opts: &BuildOptions, progress: &Progress) -> Result<Build, String> {
    builder::build(docker, opts, progress).await
}

/// `trm-ci smoke`: progress to `progress`, each finished scenario to `on_scenario`; the report
/// or why there is none (the engine not answering is an environment problem).
pub fn smoke(opts: &SmokeOptions, progress: &Progress, on_scenario: &mut dyn FnMut(&Scenario)) -> Guarded<Smoke> {
    with_engine(|docker| async move { scenarios::run(docker, opts, progress, on_scenario).await }).unwrap_or_else(Guarded::unusable)
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
