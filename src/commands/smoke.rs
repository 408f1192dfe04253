//! `trm-ci smoke`: progress while the scenarios run, then the verdict; with `--upgrade-from REF`
//! the upgrade drill after them (`--only upgrade`: the drill alone). `--json FILE` writes the
//! results document with the smoke and upgrade stages. Exit 0 all passed; 1 a scenario failed or the image has
//! no HEALTHCHECK; 2 engine unreachable, an image missing, bad arguments or configuration; 130
//! interrupted.

use std::time::{Duration, Instant};

use super::stages::{self, Settings};
use crate::cli::SmokeArgs;
use crate::docker::scenarios::Kind;
use crate::docker::SmokeOptions;
use crate::progress::Progress;
use crate::results::{Results, StageName};
use crate::upgrade;

pub fn run(args: &SmokeArgs) -> i32 {
    let (opts, drill) = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("trm-ci smoke: {e}");
            return 2;
        }
    };
    let progress = Progress::stdout();
    let started = Instant::now();
    let (repository, head) = super::repository(&args.repo);
    let mut doc = Results { repository, head, ..Results::default() };
    let mut code = 0;
    if args.build {
        let dockerfile = opts.as_ref().map(|o| o.paths.dockerfile.clone()).or_else(|| drill.as_ref().map(|d| d.paths.dockerfile.clone()));
        match build_first(args, dockerfile.unwrap_or_else(|| "Dockerfile".into()), &progress) {
            Ok(report) => {
                let ok = report.ok;
                doc.build = Some(report);
                doc = doc.timed(StageName::Build, ok, started.elapsed());
                if !ok {
                    super::print(&crate::render::human::render(&doc, false));
                    if let Some(path) = &args.json {
                        if let Err(e) = super::write_json(path, &doc) {
                            eprintln!("trm-ci smoke: {e}");
                            return 2;
                        }
                    }
                    eprintln!("trm-ci smoke --build: the build of {} failed; nothing was booted", args.image);
                    return 1;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return 2;
            }
        }
    }
    if let Some(opts) = opts {
        let (report, keep_line) = match stages::report(stages::smoke(&opts, &progress), "smoke") {
            Ok(r) => r,
            Err(code) => return code,
        };
        let ok = report.ok;
        doc.smoke = Some(report);
        doc = doc.timed(StageName::Smoke, ok, started.elapsed());
        super::print(&crate::render::human::render(&doc, false));
        super::print(&keep_line);
        if !ok {
            code = 1;
        }
    }
    if let Some(drill) = drill {
        let started = Instant::now();
        let (u, keep_line) = match stages::report(stages::drill(&drill, &progress), "drill") {
            Ok(r) => r,
            Err(code) => return code,
        };
        let ok = u.ok;
        super::print(&crate::render::upgrade_drill::render(&u));
        super::print(&keep_line);
        doc.upgrade = Some(u);
        doc = doc.timed(StageName::Upgrade, ok, started.elapsed());
        if !ok {
            code = 1;
        }
    }
    if let Some(path) = &args.json {
        if let Err(e) = super::write_json(path, &doc) {
            eprintln!("trm-ci smoke: {e}");
            return 2;
        }
    }
    code
}

/// `--build`: the image of `--repo`'s tree, as `trm-ci build --tag IMAGE` with its defaults.
fn build_first(args: &SmokeArgs, dockerfile: String, progress: &Progress) -> Result<crate::results::Build, String> {
    // build's own defaults, read from its argument definitions.
    let cli = <crate::cli::Cli as clap::Parser>::try_parse_from(["trm-ci", "build"]).map_err(|e| e.to_string())?;
    let crate::cli::Command::Build(defaults) = cli.command else { return Err("trm-ci smoke --build: no build defaults".into()) };
    let opts = crate::docker::BuildOptions {
        repo: args.repo.clone(),
        tag: args.image.clone(),
        max_size: crate::docker::parse_size(&defaults.max_size)?,
        max_added_size: crate::docker::parse_size(&defaults.max_added_size)?,
        dockerfile,
        no_cache: false,
        pull: args.pull,
    };
    crate::docker::build(&opts, progress)
}

/// The options for `args`: the scenarios named by `--only` (None: `--only upgrade`, no scenario),
/// the drill's with `--upgrade-from`, and the repository's `[paths]` from its trm-ci.toml (the
/// defaults without one).
fn options(args: &SmokeArgs) -> Result<(Option<SmokeOptions>, Option<upgrade::Options>), String> {
    let mut only = Vec::new();
    let mut upgrade_only = false;
    for o in &args.only {
        if o == "upgrade" {
            upgrade_only = true;
            continue;
        }
        match Kind::parse(o) {
            Some(k) => only.push(k),
            None => {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                return Err(format!("--only: unknown scenario {o:?}; the scenarios are {}, and upgrade", names.join(", ")));
            }
        }
    }
    if upgrade_only && args.upgrade_from.is_none() {
        return Err("--only upgrade needs --upgrade-from REF (the revision to upgrade from, e.g. main)".into());
    }
    if args.seed_rows == 0 {
        return Err("--seed-rows must be at least 1".into());
    }
    let settings = Settings {
        repo: args.repo.clone(),
        paths: stages::paths(&args.repo)?,
        image: args.image.clone(),
        postgres_image: args.postgres_image.clone(),
        keep: args.keep,
        boot_timeout: Duration::from_secs(args.boot_timeout),
        fault_timeout: Duration::from_secs(args.fault_timeout),
        seed_rows: args.seed_rows,
        allow_destructive: args.allow_destructive,
        pull: args.pull,
        check_tree: true,
    };
    let drill = args.upgrade_from.as_ref().map(|from| settings.drill(from.clone(), from.clone()));
    let smoke = (!upgrade_only || !only.is_empty()).then(|| settings.smoke(only, args.baseline, args.base_image.clone()));
    Ok((smoke, drill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::scenarios::Expectations;
    use clap::Parser;

    fn write(path: &std::path::Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn snapshot(collection: &str) -> String {
        format!("version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:\n  - collection: {collection}\n    meta: {{}}\nfields: []\nrelations: []\n")
    }

    fn args(repo: &std::path::Path) -> SmokeArgs {
        let cli = crate::cli::Cli::parse_from(["trm-ci", "smoke", "--repo", repo.to_str().unwrap()]);
        match cli.command {
            crate::cli::Command::Smoke(a) => a,
            _ => unreachable!(),
        }
    }

    /// The defect: smoke read `db-init/`, `snapshots/snapshot.yaml` and `Dockerfile` whatever
    /// trm-ci.toml said. Decoys sit at the default paths; the configured ones must win.
    #[test]
    fn the_expectations_come_from_the_configured_paths() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path();
        write(&repo.join("db-init/0001_decoy.sql"), "select 1;\n");
        write(&repo.join("snapshots/snapshot.yaml"), &snapshot("decoy"));
        write(&repo.join("Dockerfile"), "FROM decoy/decoy:1\n");
        write(&repo.join("sql/init/0001_a.sql"), "select 1;\n");
        write(&repo.join("sql/init/0002_b.sql"), "select 2;\n");
        write(&repo.join("sql/init/README"), "not a migration\n");
        write(&repo.join("schema/snap.yaml"), &snapshot("orders"));
        write(&repo.join("docker/Dockerfile"), "FROM directus/directus:11.17.4\n");
        write(
            &repo.join("trm-ci.toml"),
            "[paths]\nmigrations = \"sql/init\"\nsnapshot = \"schema/snap.yaml\"\ndockerfile = \"docker/Dockerfile\"\n",
        );
        let opts = options(&args(repo)).unwrap().0.unwrap();
        let e = Expectations::read(&opts.repo, &opts.paths).unwrap();
        let names: Vec<&str> = e.db_init_files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["0001_a.sql", "0002_b.sql"]);
        assert_eq!(e.migrations_dir, "sql/init");
        assert_eq!(e.snapshot_collections, ["orders"]);
        assert_eq!(e.dockerfile_base.as_deref(), Some("directus/directus:11.17.4"));

        // Without trm-ci.toml: the defaults.
        std::fs::remove_file(repo.join("trm-ci.toml")).unwrap();
        let opts = options(&args(repo)).unwrap().0.unwrap();
        let e = Expectations::read(&opts.repo, &opts.paths).unwrap();
        assert_eq!(e.snapshot_collections, ["decoy"]);
        assert_eq!(e.dockerfile_base.as_deref(), Some("decoy/decoy:1"));
    }

    #[test]
    fn a_bad_config_or_scenario_is_an_argument_error() {
        let t = tempfile::tempdir().unwrap();
        write(&t.path().join("trm-ci.toml"), "[paths]\nmigrations = 3\n");
        let e = options(&args(t.path())).unwrap_err();
        assert!(e.contains("trm-ci.toml:2:14:"), "{e}");
        let mut a = args(t.path());
        a.only = vec!["tepid".into()];
        let e = options(&a).unwrap_err();
        assert!(e.contains("unknown scenario \"tepid\""), "{e}");
    }
}
