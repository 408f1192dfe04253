//! `trm-ci build`: the context, the classic-builder build through `/build`, and the size report.

use super::engine::short_err;
use crate::units::fmt_size;
use crate::progress::Progress;
use crate::results::{Build, BuildStep, Layer};
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use std::path::PathBuf;
use std::time::Instant;

/// What `trm-ci build` is run with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The build context (filtered by its .dockerignore).
    pub repo: PathBuf,
    /// Tag of the built image.
    pub tag: String,
    /// Bytes; a bigger image fails the build report, unless the base image alone is bigger.
    pub max_size: u64,
    /// Bytes; adding more than this over the base image fails the build report.
    pub max_added_size: u64,
    /// The Dockerfile, relative to `repo`.
    pub dockerfile: String,
    pub no_cache: bool,
    /// When the base images are pulled.
    pub pull: super::pull::Policy,
}

/// How many output lines of the failing step the report keeps.
const ERROR_OUTPUT_LINES: usize = 30;

/// The base image of the final stage, as the lint's Dockerfile model sees it
/// (multi-stage `FROM <stage>` chains followed to their root; flags and
/// `AS name` dropped).
pub fn base_image(dockerfile: &str) -> Option<String> {
    let src = crate::source::SourceFile::new("Dockerfile", dockerfile.as_bytes().to_vec(), None);
    crate::model::dockerfile::Dockerfile::parse(&src).final_base().map(|(_, arg)| arg.text.clone())
}

/// Tracks the classic builder's text stream; shows it through the progress sink.
struct StreamState<'p> {
    steps: Vec<BuildStep>,
    step_started: Option<Instant>,
    partial: String,
    image_id: Option<String>,
    progress: &'p Progress,
}

impl StreamState<'_> {
    fn new(progress: &Progress) -> StreamState<'_> {
        StreamState { steps: Vec::new(), step_started: None, partial: String::new(), image_id: None, progress }
    }

    fn finish_step(&mut self) {
        if let (Some(t), Some(s)) = (self.step_started.take(), self.steps.last_mut()) {
            s.seconds = t.elapsed().as_secs_f64();
        }
    }

    fn line(&mut self, raw: &str) {
        let line = raw.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("Step ") {
            if let Some((_, instr)) = rest.split_once(" : ") {
                self.finish_step();
                let number = self.steps.len() + 1;
                self.steps.push(BuildStep {
                    number,
                    instruction: instr.trim().to_string(),
                    cached: false,
                    seconds: 0.0,
                    output: Vec::new(),
                });
                self.step_started = Some(Instant::now());
                self.progress.line(line);
                return;
            }
        }
        let t = line.trim();
        if t == "---> Using cache" {
            if let Some(s) = self.steps.last_mut() {
                s.cached = true;
            }
            self.progress.line("  (cached)");
            return;
        }
        if t.starts_with("---> Running in ") || t.starts_with("Removing intermediate container") || t.starts_with("---> ") {
            return;
        }
        if let Some(id) = t.strip_prefix("Successfully built ") {
            self.finish_step();
            self.image_id.get_or_insert_with(|| id.to_string());
            self.progress.line(t);
            return;
        }
        if t.starts_with("Successfully tagged ") {
            self.progress.line(t);
            return;
        }
        if let Some(s) = self.steps.last_mut() {
            s.output.push(line.to_string());
        }
        // On a terminal: the step's latest output line, rewritten in place.
        self.progress.live(line);
    }

    fn feed(&mut self, text: &str) {
        self.partial.push_str(text);
        while let Some(pos) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=pos).collect();
            self.line(line.trim_end_matches('\n'));
        }
    }

    fn flush(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.line(&rest);
        }
        self.finish_step();
        self.progress.clear_live();
    }
}

/// Runs the build; returns the report (a failed build is a report with `error`). `Err` is an
/// environment problem (exit 2).
pub async fn build(docker: &Docker, args: &Options, progress: &Progress) -> Result<Build, String> {
    let max_size = args.max_size;
    let repo = args.repo.as_path();
    let dockerfile_path = repo.join(&args.dockerfile);
    // Inside the repository boundary (src/boundary.rs): not a link out of it, not a FIFO, capped.
    let cap = crate::source::MAX_FILE_BYTES;
    let read = repo
        .canonicalize()
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|root| match crate::boundary::lexical("", &args.dockerfile) {
            Some(rel) => crate::boundary::read_inside(&root, &rel, cap),
            None => Err("outside the repository".into()),
        })
        .and_then(|b| match b {
            None => Err("No such file or directory".into()),
            Some(b) if b.len() > cap => Err(format!("larger than the {} MiB trm-ci reads", cap >> 20)),
            Some(b) => String::from_utf8(b).map_err(|_| "not valid UTF-8".into()),
        });
    let dockerfile = read.map_err(|e| {
        format!("trm-ci build: cannot read {}: {e}; pass --repo DIR pointing at the repository with the Dockerfile", dockerfile_path.display())
    })?;
    let mut report = Build { tag: args.tag.clone(), max_size, max_added_size: args.max_added_size, ..Default::default() };
    report.base_image = base_image(&dockerfile);
    // Every image the stages start from, pulled as --pull says (the builder itself never pulls).
    for base in super::pull::dockerfile_bases(&dockerfile) {
        super::pull::ensure(docker, &base, args.pull, progress).await.map_err(|e| format!("trm-ci build: {e}"))?;
    }
    let base_inspect = match &report.base_image {
        Some(b) if b != "scratch" => match docker.inspect_image(b).await {
            Ok(i) => Some(i),
            Err(e) => return Err(format!("trm-ci build: inspecting the base image {b}: {}", short_err(&e))),
        },
        _ => None,
    };
    report.base_size = base_inspect.as_ref().and_then(|i| i.size);

    let ctx = super::context::build_context(repo, &args.dockerfile)
        .map_err(|e| format!("trm-ci build: making the build context from {}: {e}", repo.display()))?;
    report.context_files = ctx.files;
    report.context_bytes = ctx.bytes;
    progress.line(&format!("engine: {}", super::engine::describe(docker).await));
    progress.line(&format!(
        "build context: {} files, {} (honouring .dockerignore); base image {}",
        ctx.files,
        fmt_size(ctx.bytes as i64),
        report.base_image.as_deref().unwrap_or("?")
    ));

    // The image of the tree: the context's hash, compared by smoke and the drill.
    let labels: std::collections::HashMap<&str, String> = [(super::tree_label::LABEL, super::tree_label::digest(&ctx.tar))].into();
    let options = BuildImageOptionsBuilder::default()
        .labels(&labels)
        .dockerfile(&args.dockerfile)
        .t(&args.tag)
        .rm(true)
        .forcerm(true)
        .pull("false")
        .nocache(args.no_cache)
        .build();
    let started = Instant::now();
    let mut state = StreamState::new(progress);
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(ctx.tar.into())));
    let mut error: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(s) = &info.stream {
                    state.feed(s);
                }
                if let Some(st) = &info.status {
                    state.feed(&format!("{st}\n"));
                }
                if let Some(aux) = &info.aux {
                    if let Some(id) = &aux.id {
                        state.image_id = Some(id.clone());
                    }
                }
                if let Some(d) = &info.error_detail {
                    error = d.message.clone().or(Some("build failed".into()));
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error: e }) => {
                error = Some(e);
                break;
            }
            Err(e) => {
                state.flush();
                if matches!(e, bollard::errors::Error::DockerResponseServerError { .. }) {
                    error = Some(short_err(&e));
                    break;
                }
                return Err(format!("trm-ci build: the engine connection failed during the build: {}", short_err(&e)));
            }
        }
    }
    state.flush();
    report.build_seconds = started.elapsed().as_secs_f64();
    report.cached_steps = state.steps.iter().filter(|s| s.cached).map(|s| s.number).collect();

    if let Some(err) = error {
        report.error = Some(err);
        if let Some(step) = state.steps.last() {
            let out: Vec<&String> = step.output.iter().filter(|l| !l.trim().is_empty()).collect();
            report.error_output = out[out.len().saturating_sub(ERROR_OUTPUT_LINES)..].iter().map(|l| l.to_string()).collect();
        }
        report.steps = state.steps;
        return Ok(report);
    }
    report.steps = state.steps;

    let image = docker
        .inspect_image(&args.tag)
        .await
        .map_err(|e| format!("trm-ci build: inspecting the built image {}: {}", args.tag, short_err(&e)))?;
    report.image_id = image.id.clone().or(state.image_id);
    report.total_size = image.size;
    let history = docker
        .image_history(&args.tag)
        .await
        .map_err(|e| format!("trm-ci build: reading the history of {}: {}", args.tag, short_err(&e)))?;
    let base_layers = match &report.base_image {
        Some(b) if base_inspect.is_some() => docker.image_history(b).await.map(|h| h.len()).unwrap_or(0),
        _ => 0,
    };
    let own = history.len().saturating_sub(base_layers);
    // History is newest first; the image's own layers are the first `own` entries.
    report.layers = history[..own]
        .iter()
        .rev()
        .map(|h| Layer { instruction: None, created_by: h.created_by.clone(), size: h.size })
        .collect();
    // The classic builder records one history entry per instruction after FROM.
    if report.layers.len() + 1 == report.steps.len() {
        for (l, s) in report.layers.iter_mut().zip(report.steps.iter().skip(1)) {
            l.instruction = Some(s.instruction.clone());
        }
    }
    report.added_size = match (report.total_size, report.base_size) {
        (Some(t), Some(b)) => Some(t - b),
        (Some(_), None) => Some(report.layers.iter().map(|l| l.size).sum()),
        _ => None,
    };
    judge_size(&mut report);
    Ok(report)
}

/// The size budgets. `--max-size` is the whole image's: when the base image alone is over it,
/// no Dockerfile can meet it (the offline stand-in is 920 MB), so that is recorded rather than
/// failed, and `--max-added-size` — what this repository adds — is the check that decides.
fn judge_size(r: &mut Build) {
    let over = |size: Option<i64>, max: u64| size.is_some_and(|s| s > 0 && s as u64 > max);
    r.over_max_size = over(r.total_size, r.max_size);
    r.base_over_max_size = over(r.base_size, r.max_size);
    r.over_max_added_size = over(r.added_size, r.max_added_size);
    r.ok = !(r.over_max_size && !r.base_over_max_size) && !r.over_max_added_size;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(base: i64, total: i64) -> Build {
        Build {
            base_size: Some(base),
            total_size: Some(total),
            added_size: Some(total - base),
            max_size: 600_000_000,
            max_added_size: 25_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn size_budgets() {
        // within both
        let mut r = sized(500_000_000, 510_000_000);
        judge_size(&mut r);
        assert!(r.ok && !r.over_max_size && !r.base_over_max_size && !r.over_max_added_size);
        // the whole image over --max-size although the base fits: fails
        let mut r = sized(590_000_000, 610_000_000);
        judge_size(&mut r);
        assert!(!r.ok && r.over_max_size && !r.base_over_max_size && !r.over_max_added_size);
        // the base alone over --max-size (the stand-in): recorded, not failed
        let mut r = sized(922_000_000, 922_100_000);
        judge_size(&mut r);
        assert!(r.ok && r.over_max_size && r.base_over_max_size && !r.over_max_added_size);
        // adding too much fails, whatever the base
        for base in [100_000_000, 922_000_000] {
            let mut r = sized(base, base + 30_000_000);
            judge_size(&mut r);
            assert!(!r.ok && r.over_max_added_size, "{r:?}");
        }
    }

    #[test]
    fn base_of_final_stage() {
        assert_eq!(base_image("FROM directus/directus:11.17.4\nUSER root\n").as_deref(), Some("directus/directus:11.17.4"));
        assert_eq!(base_image("FROM --platform=linux/amd64 a:1 AS x\nFROM b:2\n").as_deref(), Some("b:2"));
        assert_eq!(base_image("FROM a:1 AS x\nFROM x\n").as_deref(), Some("a:1"));
        assert_eq!(base_image("FROM a:1 AS x\nFROM b:2 AS y\nFROM x\n").as_deref(), Some("a:1"));
        assert_eq!(base_image("# nothing\n"), None);
    }

    #[test]
    fn stream_steps_and_cache() {
        let p = Progress::capture();
        let mut s = StreamState::new(&p);
        s.feed("Step 1/3 : FROM x\n ---> abc\nStep 2/3 : COPY a /a\n ---> Using cache\n ---> def\nStep 3/3 : RUN ma");
        s.feed("ke\n ---> Running in 123\nhello\nSuccessfully built 999\n");
        s.flush();
        assert_eq!(s.steps.len(), 3);
        assert!(s.steps[1].cached);
        assert!(!s.steps[2].cached);
        assert_eq!(s.steps[2].instruction, "RUN make");
        assert_eq!(s.steps[2].output, vec!["hello".to_string()]);
        assert_eq!(s.image_id.as_deref(), Some("999"));
        assert_eq!(p.captured(), "Step 1/3 : FROM x\nStep 2/3 : COPY a /a\n  (cached)\nStep 3/3 : RUN make\n  hello\nSuccessfully built 999\n");
    }
}
