//! `trm-ci build` and `trm-ci smoke`: the Docker Engine API (bollard) side.
//! The only module that talks to Docker; the lint path never reaches it.

/// `println!` that ignores a closed stdout (`trm-ci build | head` must not panic).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

mod build;
mod context;
mod engine;
mod http;
pub mod smoke;
pub mod stack;

pub use context::IgnoreRules;
pub use engine::parse_size;

use std::path::PathBuf;

/// Arguments of `trm-ci build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// The repository holding the Dockerfile (the build context, filtered by its .dockerignore).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Tag of the built image.
    #[arg(long, default_value = "trm-directus:dev")]
    pub tag: String,
    /// Fail (exit 1) when the image is larger: 600MB, 1.2GB, 25MiB, or bytes.
    #[arg(long, default_value = "600MB")]
    pub max_size: String,
    /// Write the build report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The Dockerfile, relative to --repo.
    #[arg(long, default_value = "Dockerfile")]
    pub dockerfile: String,
    /// Build without the layer cache.
    #[arg(long)]
    pub no_cache: bool,
}

/// Arguments of `trm-ci smoke`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {
    /// The repository (db-init/ and snapshots/ are read from it for the expectations).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The image to boot (built by `trm-ci build`).
    #[arg(long, default_value = "trm-directus:dev")]
    pub image: String,
    /// The PostgreSQL image; it must honour POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.
    #[arg(long, default_value = "postgres:16-alpine")]
    pub postgres_image: String,
    /// Write the smoke report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Leave the containers and the network for debugging, and print how to remove them.
    #[arg(long)]
    pub keep: bool,
    /// Run only these scenarios (comma separated): cold, warm, db-init-fault, schema-fault, image-facts.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Also time the base image's own plain boot (bootstrap then start; no db-init, no schema) on
    /// the same machine, and report the cold and warm ratios against it.
    #[arg(long)]
    pub baseline: bool,
    /// The base image for --baseline (default: the FROM of the repository's Dockerfile).
    #[arg(long)]
    pub base_image: Option<String>,
    /// Seconds a boot may take to become healthy before the scenario fails.
    #[arg(long, default_value_t = 180)]
    pub boot_timeout: u64,
    /// Seconds a container may take to exit after Postgres is killed under it.
    #[arg(long, default_value_t = 90)]
    pub fault_timeout: u64,
}

/// Runs `trm-ci build`; returns the process exit code (0 ok, 1 failed, 2 usage/environment).
pub fn run_build(args: &BuildArgs) -> i32 {
    let max_size = match engine::parse_size(&args.max_size) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("trm-ci build: --max-size: {e}");
            return 2;
        }
    };
    with_engine(|docker| async move {
        let report = match build::build(&docker, args, max_size).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return 2;
            }
        };
        if let Some(path) = &args.json {
            if let Err(e) = write_json(path, &report) {
                eprintln!("trm-ci build: {e}");
                return 2;
            }
        }
        if report.ok {
            0
        } else {
            1
        }
    })
}

/// Runs `trm-ci smoke`; returns the process exit code (0 ok, 1 failed, 2 usage/environment).
pub fn run_smoke(args: &SmokeArgs) -> i32 {
    let mut only = Vec::new();
    for o in &args.only {
        match smoke::Kind::parse(o) {
            Some(k) => only.push(k),
            None => {
                let names: Vec<&str> = smoke::Kind::ALL.iter().map(|k| k.name()).collect();
                eprintln!("trm-ci smoke: --only: unknown scenario {o:?}; the scenarios are {}", names.join(", "));
                return 2;
            }
        }
    }
    let opts = smoke::Options {
        repo: args.repo.clone(),
        image: args.image.clone(),
        postgres_image: args.postgres_image.clone(),
        keep: args.keep,
        only,
        baseline: args.baseline,
        base_image: args.base_image.clone(),
        boot_timeout: std::time::Duration::from_secs(args.boot_timeout),
        fault_timeout: std::time::Duration::from_secs(args.fault_timeout),
    };
    with_engine(|docker| async move {
        let (code, report) = smoke::run(docker, &opts).await;
        if let (Some(report), Some(path)) = (report, &args.json) {
            if let Err(e) = write_json(path, &report) {
                eprintln!("trm-ci smoke: {e}");
                return 2;
            }
        }
        code
    })
}

/// Starts the runtime, connects to the engine and runs `f`; a runtime or
/// connection failure is one line on stderr and exit 2.
fn with_engine<F, Fut>(f: F) -> i32
where
    F: FnOnce(bollard::Docker) -> Fut,
    Fut: std::future::Future<Output = i32>,
{
    let rt = match engine::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    rt.block_on(async {
        match engine::connect().await {
            Ok(docker) => f(docker).await,
            Err(line) => {
                eprintln!("{line}");
                2
            }
        }
    })
}

fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("serializing the report: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}
