//! Pulling an image the engine does not have, as `docker pull` does: the Engine API's
//! create-image with the credentials the Docker CLI would use ([`super::credentials`]),
//! per-layer progress through the progress sink (a live line on a terminal; in CI a line at
//! most every [`PLAIN_EVERY`], never one per chunk), a bound on how long the registry may stay
//! silent, and a failure that names the image, the registry and the engine's reason.
//!
//! `build` (every base image of the Dockerfile), `smoke` and the upgrade drill (the Postgres
//! image) call [`ensure`] with the `--pull` policy before they use an image.

use super::engine::short_err;
use super::reference::{Reference, DOCKER_HUB};
use crate::progress::Progress;
use crate::units::fmt_size;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `--pull`: when an image is pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Policy {
    /// Only an image the engine does not have (as `docker run` does).
    #[default]
    Missing,
    /// Every time, so a moved tag is followed (as `docker build --pull`).
    Always,
    /// Never: an absent image is an error.
    Never,
}

/// How long the engine may send nothing while pulling before the pull is given up: the
/// registry does not answer. `TRM_CI_PULL_TIMEOUT` (seconds) overrides it.
pub const DEFAULT_SILENCE: Duration = Duration::from_secs(120);

/// In CI (no terminal), at most one progress line per this interval.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// What [`ensure`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability {
    /// The engine had it (and the policy did not ask for a pull).
    Present,
    /// Pulled now.
    Pulled(Pulled),
}

/// A finished pull.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    pub image: String,
    /// Where from, as [`registry_words`] names it.
    pub registry: String,
    pub seconds: f64,
    pub layers: usize,
    /// Layers the engine already had.
    pub layers_present: usize,
    /// Bytes downloaded (as the engine reported them).
    pub bytes: u64,
    /// The engine's last status (`Downloaded newer image for …`, `Image is up to date for …`).
    pub status: String,
}

/// Makes sure the engine has `image`, pulling it as `policy` says. `Err` is the one message
/// (exit 2): the image, the registry, the reason.
pub async fn ensure(docker: &Docker, image: &str, policy: Policy, progress: &Progress) -> Result<Availability, String> {
    let present = match docker.inspect_image(image).await {
        Ok(_) => true,
        Err(e) if super::engine::is_not_found(&e) => false,
        Err(e) => return Err(format!("inspecting the image {image}: {}", short_err(&e))),
    };
    match (present, policy) {
        (true, Policy::Missing | Policy::Never) => Ok(Availability::Present),
        (false, Policy::Never) => Err(format!(
            "the image {image} is not on this engine and --pull never forbids pulling it; pull it (`docker pull {image}`) \
             or run with --pull missing"
        )),
        _ => {
            let why = if present { "--pull always: pulling" } else { "not on this engine; pulling" };
            pull(docker, image, why, progress).await.map(Availability::Pulled)
        }
    }
}

/// Pulls `image` now; `why` starts the first progress line.
pub async fn pull(docker: &Docker, image: &str, why: &str, progress: &Progress) -> Result<Pulled, String> {
    let reference = Reference::parse(image);
    let registry = registry_words(docker, &reference).await;
    let credentials = super::credentials::for_reference(&reference).map_err(|e| format!("pulling {image} from {registry}: {e}"))?;
    progress.line(&format!(
        "[pull] {image}: {why} it from {registry}{}",
        if credentials.is_some() { " (with the Docker configuration's credentials)" } else { "" }
    ));
    let silence = silence_limit();
    let options = CreateImageOptionsBuilder::default().from_image(&reference.pull_name()).build();
    let started = Instant::now();
    let mut stream = docker.create_image(Some(options), None, credentials);
    let mut layers = Layers::default();
    let mut last_plain = Instant::now();
    let mut status = String::new();
    loop {
        let item = match tokio::time::timeout(silence, stream.next()).await {
            Err(_) => {
                progress.clear_live();
                return Err(failure(image, &registry, Reason::Silent(silence), &format!("nothing from the engine for {} s", silence.as_secs())));
            }
            Ok(None) => break,
            Ok(Some(item)) => item,
        };
        match item {
            Ok(info) => {
                let text = info.status.clone().unwrap_or_default();
                match info.id.as_deref() {
                    Some(id) if !text.starts_with("Pulling from") => {
                        let (cur, total) =
                            info.progress_detail.as_ref().map(|p| (p.current.unwrap_or(0), p.total.unwrap_or(0))).unwrap_or((0, 0));
                        layers.update(id, &text, cur, total);
                    }
                    _ if text.starts_with("Status:") => status = text.trim_start_matches("Status:").trim().to_string(),
                    _ => {}
                }
                if progress.is_terminal() {
                    progress.live(&format!("[pull] {image}: {}", layers.summary()));
                } else if last_plain.elapsed() >= PLAIN_EVERY {
                    progress.line(&format!("  [pull] {image}: {} ({:.0} s)", layers.summary(), started.elapsed().as_secs_f64()));
                    last_plain = Instant::now();
                }
            }
            Err(e) => {
                progress.clear_live();
                let msg = match &e {
                    bollard::errors::Error::DockerStreamError { error } => error.clone(),
                    bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
                    other => short_err(other),
                };
                return Err(failure(image, &registry, Reason::of(&msg), &msg));
            }
        }
    }
    progress.clear_live();
    // The stream can end without an error and without the image (a dropped connection).
    if let Err(e) = docker.inspect_image(image).await {
        return Err(failure(image, &registry, Reason::Other, &format!("the pull ended but the engine has no {image}: {}", short_err(&e))));
    }
    let pulled = Pulled {
        image: image.to_string(),
        registry,
        seconds: started.elapsed().as_secs_f64(),
        layers: layers.all.len(),
        layers_present: layers.all.values().filter(|l| l.present).count(),
        bytes: layers.all.values().map(|l| l.total.max(0) as u64).sum(),
        status,
    };
    progress.line(&format!(
        "[pull] {image}: pulled from {} in {:.1} s: {} layers ({} already on the engine), {} downloaded",
        pulled.registry,
        pulled.seconds,
        pulled.layers,
        pulled.layers_present,
        fmt_size(pulled.bytes as i64)
    ));
    Ok(pulled)
}

/// The images a Dockerfile's stages start from (the classic builder builds every stage, so
/// every one must be on the engine): each `FROM` that is neither `scratch`, an earlier stage's
/// name, nor written with a build argument (`FROM $BASE`, which the builder resolves).
pub fn dockerfile_bases(dockerfile: &str) -> Vec<String> {
    let src = crate::source::SourceFile::new("Dockerfile", dockerfile.as_bytes().to_vec(), None);
    let parsed = crate::model::dockerfile::Dockerfile::parse(&src);
    let mut names: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for stage in parsed.stages() {
        if let Some(base) = &stage.base {
            let b = base.text.clone();
            let lower = b.to_ascii_lowercase();
            if lower != "scratch" && !b.contains('$') && !names.contains(&lower) && !out.contains(&b) {
                out.push(b);
            }
        }
        if let Some(n) = stage.name {
            names.push(n);
        }
    }
    out
}

fn silence_limit() -> Duration {
    std::env::var("TRM_CI_PULL_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_SILENCE)
}

/// The registry as a reader should know it: `docker.io` with the engine's mirrors when it has
/// some (they answer first), or the `host:port` of the name.
pub async fn registry_words(docker: &Docker, reference: &Reference) -> String {
    if reference.registry != DOCKER_HUB {
        return reference.registry.clone();
    }
    let mirrors = docker
        .info()
        .await
        .ok()
        .and_then(|i| i.registry_config)
        .and_then(|r| r.mirrors)
        .unwrap_or_default();
    if mirrors.is_empty() {
        "docker.io".to_string()
    } else {
        format!("docker.io (through the engine's registry mirror {})", mirrors.join(", "))
    }
}

/// Why a pull failed, read from the engine's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unreachable,
    Unauthorized,
    Denied,
    ManifestUnknown,
    RateLimited,
    Silent(Duration),
    Other,
}

impl Reason {
    pub fn of(message: &str) -> Reason {
        let m = message.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
        if has(&["toomanyrequests", "rate limit", "429 too many"]) {
            Reason::RateLimited
        } else if has(&["no basic auth credentials", "unauthorized", "authentication required", "401 unauthorized", "incorrect username or password"]) {
            Reason::Unauthorized
        } else if has(&["denied", "forbidden", "403"]) {
            Reason::Denied
        } else if has(&["manifest unknown", "not found: manifest", "manifest for", "name unknown", "not found"]) {
            Reason::ManifestUnknown
        } else if has(&[
            "connection refused",
            "no such host",
            "dial tcp",
            "i/o timeout",
            "network is unreachable",
            "tls handshake timeout",
            "connection reset",
            "server misbehaving",
            "eof",
        ]) {
            Reason::Unreachable
        } else {
            Reason::Other
        }
    }

    fn words(self) -> String {
        match self {
            Reason::Unreachable => "the registry is unreachable".into(),
            Reason::Unauthorized => "the registry wants credentials (401 unauthorized): none or wrong ones in the Docker configuration ($DOCKER_CONFIG or ~/.docker/config.json; docker login)".into(),
            Reason::Denied => "access denied (403), or no such repository".into(),
            Reason::ManifestUnknown => "manifest unknown: the registry has no such image or tag".into(),
            Reason::RateLimited => "rate limited by the registry (429); log in (docker login) or wait".into(),
            Reason::Silent(d) => format!("the registry did not answer within {} s (TRM_CI_PULL_TIMEOUT)", d.as_secs()),
            Reason::Other => "the engine could not pull it".into(),
        }
    }
}

/// The one failure message.
fn failure(image: &str, registry: &str, reason: Reason, engine: &str) -> String {
    let engine = engine.trim();
    let engine = crate::source::excerpt(engine.lines().next().unwrap_or(""), crate::source::EXCERPT_CHARS);
    format!("pulling {image} from {registry} failed: {}; the engine said: {engine}", reason.words())
}

/// Per-layer progress.
#[derive(Default)]
struct Layers {
    all: BTreeMap<String, Layer>,
}

#[derive(Default)]
struct Layer {
    current: i64,
    total: i64,
    done: bool,
    present: bool,
}

impl Layers {
    fn update(&mut self, id: &str, status: &str, current: i64, total: i64) {
        let l = self.all.entry(id.to_string()).or_default();
        match status {
            "Already exists" => {
                l.present = true;
                l.done = true;
            }
            "Pull complete" => l.done = true,
            s if s.starts_with("Downloading") => {
                l.current = current;
                if total > 0 {
                    l.total = total;
                }
            }
            "Download complete" | "Verifying Checksum" => l.current = l.total,
            _ => {}
        }
    }

    fn summary(&self) -> String {
        let done = self.all.values().filter(|l| l.done).count();
        let cur: i64 = self.all.values().map(|l| l.current).sum();
        let total: i64 = self.all.values().map(|l| l.total).sum();
        if total > 0 {
            format!("{done}/{} layers, {} of {}", self.all.len(), fmt_size(cur), fmt_size(total))
        } else {
            format!("{done}/{} layers", self.all.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_from_engine_messages() {
        let cases = [
            ("Get \"http://127.0.0.1:9/v2/\": dial tcp 127.0.0.1:9: connect: connection refused", Reason::Unreachable),
            ("Head \"http://127.0.0.1:5001/v2/p/b/manifests/1\": no basic auth credentials", Reason::Unauthorized),
            ("unauthorized: authentication required", Reason::Unauthorized),
            ("pull access denied for x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", Reason::Denied),
            ("manifest for 127.0.0.1:5000/a/b:9 not found: manifest unknown: manifest unknown", Reason::ManifestUnknown),
            ("toomanyrequests: You have reached your pull rate limit.", Reason::RateLimited),
            ("something else", Reason::Other),
        ];
        for (m, want) in cases {
            assert_eq!(Reason::of(m), want, "{m}");
        }
    }

    #[test]
    fn layer_progress_is_one_summary() {
        let mut l = Layers::default();
        l.update("a", "Already exists", 0, 0);
        l.update("b", "Pulling fs layer", 0, 0);
        l.update("b", "Downloading", 1_000_000, 4_000_000);
        assert_eq!(l.summary(), format!("1/2 layers, {} of {}", fmt_size(1_000_000), fmt_size(4_000_000)));
        l.update("b", "Download complete", 0, 0);
        l.update("b", "Extracting", 4_000_000, 4_000_000);
        l.update("b", "Pull complete", 0, 0);
        assert!(l.summary().starts_with("2/2 layers"));
    }

    #[test]
    fn every_stage_base_once() {
        let d = "FROM --platform=linux/amd64 node:22 AS deps\nRUN x\nFROM scratch AS empty\nFROM deps AS more\nFROM $BASE\nFROM directus/directus:11.17.4\nCOPY --from=deps /a /a\nFROM node:22\n";
        assert_eq!(dockerfile_bases(d), ["node:22", "directus/directus:11.17.4"]);
    }

    #[test]
    fn failure_names_image_registry_and_reason() {
        let m = failure("postgres:16-alpine", "docker.io", Reason::ManifestUnknown, "manifest unknown\nmore");
        assert!(m.contains("postgres:16-alpine") && m.contains("docker.io") && m.contains("manifest unknown"), "{m}");
        assert!(!m.contains("more"));
    }
}
