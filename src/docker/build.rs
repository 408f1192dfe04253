//! `trm-ci build`: the context, the classic-builder build through `/build`, and the size report.

use super::engine::{fmt_size, short_err};
use super::BuildArgs;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

/// One build step as seen in the builder's stream.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub number: usize,
    pub instruction: String,
    pub cached: bool,
    pub seconds: f64,
    #[serde(skip)]
    pub output: Vec<String>,
}

/// One layer of the built image that the base image does not have.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// The Dockerfile instruction of the step that made the layer, when the stream showed it.
    pub instruction: Option<String>,
    pub created_by: String,
    pub size: i64,
}

/// The build report (`--json`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct BuildReport {
    pub ok: bool,
    pub tag: String,
    pub image_id: Option<String>,
    pub base_image: Option<String>,
    pub total_size: Option<i64>,
    pub base_size: Option<i64>,
    pub added_size: Option<i64>,
    pub max_size: u64,
    pub over_max_size: bool,
    pub build_seconds: f64,
    pub context_files: usize,
    pub context_bytes: u64,
    pub steps: Vec<Step>,
    pub cached_steps: Vec<usize>,
    pub layers: Vec<Layer>,
    pub error: Option<String>,
}

/// The base image of the final stage, as the lint's Dockerfile model sees it
/// (multi-stage `FROM <stage>` chains followed to their root; flags and
/// `AS name` dropped).
pub fn base_image(dockerfile: &str) -> Option<String> {
    let src = crate::source::SourceFile::new("Dockerfile", dockerfile.as_bytes().to_vec(), None);
    crate::model::dockerfile::Dockerfile::parse(&src).final_base().map(|(_, arg)| arg.text.clone())
}

/// Tracks the classic builder's text stream.
struct StreamState {
    steps: Vec<Step>,
    step_started: Option<Instant>,
    partial: String,
    image_id: Option<String>,
    tty: bool,
    live_line: bool,
}

impl StreamState {
    fn finish_step(&mut self) {
        if let (Some(t), Some(s)) = (self.step_started.take(), self.steps.last_mut()) {
            s.seconds = t.elapsed().as_secs_f64();
        }
    }

    fn clear_live(&mut self) {
        if self.live_line {
            out!("\r\x1b[2K");
            self.live_line = false;
        }
    }

    fn line(&mut self, raw: &str) {
        let line = raw.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("Step ") {
            if let Some((_, instr)) = rest.split_once(" : ") {
                self.finish_step();
                self.clear_live();
                let number = self.steps.len() + 1;
                self.steps.push(Step {
                    number,
                    instruction: instr.trim().to_string(),
                    cached: false,
                    seconds: 0.0,
                    output: Vec::new(),
                });
                self.step_started = Some(Instant::now());
                outln!("{line}");
                return;
            }
        }
        let t = line.trim();
        if t == "---> Using cache" {
            if let Some(s) = self.steps.last_mut() {
                s.cached = true;
            }
            self.clear_live();
            outln!("  (cached)");
            return;
        }
        if t.starts_with("---> Running in ") || t.starts_with("Removing intermediate container") || t.starts_with("---> ") {
            return;
        }
        if let Some(id) = t.strip_prefix("Successfully built ") {
            self.finish_step();
            self.image_id.get_or_insert_with(|| id.to_string());
            self.clear_live();
            outln!("{t}");
            return;
        }
        if t.starts_with("Successfully tagged ") {
            self.clear_live();
            outln!("{t}");
            return;
        }
        if let Some(s) = self.steps.last_mut() {
            s.output.push(line.to_string());
        }
        if t.is_empty() {
            return;
        }
        if self.tty {
            // Compact live display: the step's latest output line, rewritten in place.
            let width = 100;
            let shown: String = t.chars().take(width).collect();
            out!("\r\x1b[2K  \x1b[2m{shown}\x1b[0m");
            let _ = std::io::stdout().flush();
            self.live_line = true;
        } else {
            outln!("  {line}");
        }
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
        self.clear_live();
    }
}

/// Runs the build; returns the report. `Err` is an environment problem (exit 2).
pub async fn build(docker: &Docker, args: &BuildArgs, max_size: u64) -> Result<BuildReport, String> {
    let repo = Path::new(&args.repo);
    let dockerfile_path = repo.join(&args.dockerfile);
    let dockerfile = std::fs::read_to_string(&dockerfile_path).map_err(|e| {
        format!("trm-ci build: cannot read {}: {e}; pass --repo DIR pointing at the repository with the Dockerfile", dockerfile_path.display())
    })?;
    let mut report = BuildReport { tag: args.tag.clone(), max_size, ..Default::default() };
    report.base_image = base_image(&dockerfile);
    let base_inspect = match &report.base_image {
        Some(b) if b != "scratch" => match docker.inspect_image(b).await {
            Ok(i) => Some(i),
            Err(e) if super::engine::is_not_found(&e) => {
                return Err(format!(
                    "trm-ci build: the base image {b} is not on this engine and nothing is pulled; \
                     build the offline stand-in first (bash .ci/images/standin/build.sh; bash .ci/run does it) or `docker pull {b}` where a registry is reachable"
                ))
            }
            Err(e) => return Err(format!("trm-ci build: inspecting the base image {b}: {}", short_err(&e))),
        },
        _ => None,
    };
    report.base_size = base_inspect.as_ref().and_then(|i| i.size);

    let ctx = super::context::build_context(repo, &args.dockerfile)
        .map_err(|e| format!("trm-ci build: making the build context from {}: {e}", repo.display()))?;
    report.context_files = ctx.files;
    report.context_bytes = ctx.bytes;
    outln!("engine: {}", super::engine::describe(docker).await);
    outln!(
        "build context: {} files, {} (honouring .dockerignore); base image {}",
        ctx.files,
        fmt_size(ctx.bytes as i64),
        report.base_image.as_deref().unwrap_or("?")
    );

    let options = BuildImageOptionsBuilder::default()
        .dockerfile(&args.dockerfile)
        .t(&args.tag)
        .rm(true)
        .forcerm(true)
        .pull("false")
        .nocache(args.no_cache)
        .build();
    let started = Instant::now();
    let mut state = StreamState {
        steps: Vec::new(),
        step_started: None,
        partial: String::new(),
        image_id: None,
        tty: std::io::stdout().is_terminal(),
        live_line: false,
    };
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
        report.error = Some(err.clone());
        outln!();
        outln!("BUILD FAILED after {:.1} s: {}", report.build_seconds, err.trim());
        if let Some(step) = state.steps.last() {
            outln!("  failing step {}: {}", step.number, step.instruction);
            let out: Vec<&String> = step.output.iter().filter(|l| !l.trim().is_empty()).collect();
            let tail = &out[out.len().saturating_sub(30)..];
            if !tail.is_empty() {
                outln!("  its output (last {} lines):", tail.len());
                for l in tail {
                    outln!("    | {l}");
                }
            }
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
    report.over_max_size = report.total_size.is_some_and(|t| t as u64 > max_size);
    report.ok = !report.over_max_size;
    print_summary(&report);
    Ok(report)
}

fn short_instruction(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s.strip_prefix("/bin/sh -c ").map(|r| format!("RUN {r}")).unwrap_or_else(|| s.trim().to_string());
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(89).collect::<String>())
    } else {
        s
    }
}

fn print_summary(r: &BuildReport) {
    outln!();
    outln!("image      {} ({})", r.tag, r.image_id.as_deref().unwrap_or("?"));
    outln!(
        "size       {} total; {} added over the base {} ({}); max {}",
        r.total_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        r.added_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        r.base_image.as_deref().unwrap_or("?"),
        r.base_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        fmt_size(r.max_size as i64)
    );
    outln!("build time {:.1} s", r.build_seconds);
    let cached: Vec<String> = r.steps.iter().filter(|s| s.cached).map(|s| s.number.to_string()).collect();
    let ran: Vec<String> = r.steps.iter().filter(|s| !s.cached && s.number > 1).map(|s| s.number.to_string()).collect();
    outln!(
        "cache      {} of {} steps cached{}{}",
        cached.len(),
        r.steps.len().saturating_sub(1),
        if cached.is_empty() { String::new() } else { format!(" (steps {})", cached.join(", ")) },
        if ran.is_empty() { String::new() } else { format!("; rebuilt steps {}", ran.join(", ")) }
    );
    outln!("layers over the base (oldest first):");
    for l in &r.layers {
        let what = l.instruction.clone().unwrap_or_else(|| l.created_by.clone());
        outln!("  {:>9}  {}", fmt_size(l.size), short_instruction(&what));
    }
    if r.over_max_size {
        outln!(
            "FAILED: the image is {} which exceeds --max-size {}",
            r.total_size.map(fmt_size).unwrap_or_default(),
            fmt_size(r.max_size as i64)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut s = StreamState { steps: vec![], step_started: None, partial: String::new(), image_id: None, tty: false, live_line: false };
        s.feed("Step 1/3 : FROM x\n ---> abc\nStep 2/3 : COPY a /a\n ---> Using cache\n ---> def\nStep 3/3 : RUN ma");
        s.feed("ke\n ---> Running in 123\nhello\nSuccessfully built 999\n");
        s.flush();
        assert_eq!(s.steps.len(), 3);
        assert!(s.steps[1].cached);
        assert!(!s.steps[2].cached);
        assert_eq!(s.steps[2].instruction, "RUN make");
        assert_eq!(s.steps[2].output, vec!["hello".to_string()]);
        assert_eq!(s.image_id.as_deref(), Some("999"));
    }
}
