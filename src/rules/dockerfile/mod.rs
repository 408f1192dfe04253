//! The `dockerfile/*` rules: the image the deployment runs. They read the
//! parsed [`Dockerfile`] model; the rules about the image's layout look at
//! the final image (the last stage and the stages it is built `FROM`).
//! Paths in the expected `COPY`s follow `[paths]` in `trm-ci.toml`.

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::dockerfile::{is_exact_version, is_valid_digest, Dockerfile, ImageRef, Instruction};
use crate::source::SourceFile;

mod syntax;
mod unpinned_base;
mod layer_order;
mod missing_copy;
mod final_user;
mod copy_chown;
mod healthcheck;
mod env_override;
mod expose;
mod entrypoint;
mod apk_no_cache;

pub const RULES: &[Rule] = &[
    syntax::RULE,
    unpinned_base::RULE,
    layer_order::RULE,
    missing_copy::RULE,
    final_user::RULE,
    copy_chown::RULE,
    healthcheck::RULE,
    env_override::RULE,
    expose::RULE,
    entrypoint::RULE,
    apk_no_cache::RULE,
];

/// The Dockerfile model and its source, when the file exists.
fn dockerfile<'a>(ctx: &'a Context) -> Option<(&'a Dockerfile, &'a SourceFile)> {
    let d = ctx.head.dockerfile.as_ref()?;
    let src = ctx.head.files.get(&d.path)?;
    Some((d, src))
}

/// The final image's instructions, when there is a `FROM` to start from.
fn final_image<'a>(ctx: &'a Context) -> Option<(&'a Dockerfile, &'a SourceFile, Vec<&'a Instruction>, &'a Instruction)> {
    let (d, src) = dockerfile(ctx)?;
    let (from, _) = d.final_base()?;
    let last_from = d.stages().last().map(|s| &d.instructions[s.from]).unwrap_or(from);
    Some((d, src, d.final_instructions(), last_from))
}

// ---------------------------------------------------------------------------

fn join_dir(dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        let p = p.strip_prefix("./").unwrap_or(p);
        let p = if p == "." { "" } else { p };
        format!("{}/{}", dir.trim_end_matches('/'), p)
    }
}

/// The final image starts from directus/directus (which has no init of its own).
fn directus_base(d: &Dockerfile) -> bool {
    d.final_base().is_some_and(|(_, a)| ImageRef::parse(&a.text).is_directus())
}

fn norm(p: &str) -> String {
    let p = p.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    let p = p.trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// The deployment's COPY steps in layer order. `db-post/` (the post-schema
/// SQL) is one of them when the repository has files in it or the image
/// copies it: a repository without it needs no COPY of it.
fn copy_steps(ctx: &Context, instructions: &[&Instruction]) -> Vec<CopyStep> {
    let paths = &ctx.head.paths;
    // The destination is where the boot reads (entrypoint.sh and scripts/ use fixed
    // paths under /directus), whatever the repository calls the source: with
    // `[paths] migrations = "sql"` the COPY is still `sql/ /directus/db-init/`.
    let dir = |p: &str, dest: &str| {
        let n = norm(p);
        CopyStep { label: format!("{n}/"), dest: dest.to_string(), sources: vec![n] }
    };
    let entry = norm(&paths.entrypoint);
    let snapshot = norm(&paths.snapshot);
    let snap_dir = snapshot.rsplit_once('/').map(|(d, _)| d.to_string());
    let snapshots = match snap_dir {
        Some(dd) if !dd.is_empty() => {
            CopyStep { label: format!("{dd}/"), dest: "/directus/snapshots/".into(), sources: vec![dd, snapshot] }
        }
        _ => CopyStep { label: snapshot.clone(), dest: "/directus/snapshots/snapshot.yaml".into(), sources: vec![snapshot] },
    };
    let mut steps = vec![
        dir(&paths.scripts, "/directus/scripts/"),
        CopyStep { label: entry.clone(), dest: "/directus/entrypoint.sh".into(), sources: vec![entry] },
        dir(&paths.migrations, "/directus/db-init/"),
        snapshots,
    ];
    let post = dir(&paths.post_migrations, "/directus/db-post/");
    if norm(&paths.post_migrations) != norm(&paths.migrations)
        && (ctx.head.has_post_migrations()
            || instructions.iter().any(|i| !copy_step_indices(i, std::slice::from_ref(&post)).is_empty()))
    {
        steps.push(post);
    }
    steps.push(dir("extensions", "/directus/extensions/"));
    steps
}

/// A COPY/ADD's sources and destination (flags excluded; JSON form too).
fn copy_paths(ins: &Instruction) -> (Vec<String>, Option<String>) {
    let mut words: Vec<String> = if ins.args.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(&ins.args).unwrap_or_default()
    } else {
        ins.words.iter().map(|w| w.text.clone()).collect()
    };
    let dest = words.pop();
    (words, dest)
}

/// Which expected steps a COPY provides (indices into `copy_steps`).
fn copy_step_indices(ins: &Instruction, steps: &[CopyStep]) -> Vec<usize> {
    if !ins.is("COPY") && !ins.is("ADD") || ins.flag("from").is_some() {
        return Vec::new();
    }
    let (sources, _) = copy_paths(ins);
    let mut out = Vec::new();
    for s in sources.iter().map(|s| norm(s)) {
        for (k, step) in steps.iter().enumerate() {
            if step.sources.iter().any(|p| !p.is_empty() && (s == *p || s.starts_with(&format!("{p}/")))) && !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// A RUN that installs packages (apk, apt, dnf, yum).
fn is_install(ins: &Instruction) -> bool {
    if !ins.is("RUN") {
        return false;
    }
    let cmds: Vec<Vec<String>> = match &ins.exec {
        Some(v) => vec![v.clone()],
        None => ins.shell_commands().iter().map(|c| c.words.iter().map(|a| a.text.clone()).collect()).collect(),
    };
    cmds.iter().any(|w| {
        let w: Vec<&str> = w.iter().map(String::as_str).filter(|s| !s.starts_with('-')).collect();
        matches!(
            w.as_slice(),
            ["apk", "add", ..] | ["apt-get", "install", ..] | ["apt", "install", ..] | ["dnf", "install", ..] | ["yum", "install", ..] | ["microdnf", "install", ..]
        )
    })
}

fn expected_order(steps: &[CopyStep]) -> String {
    let mut v = vec!["package install".to_string()];
    v.extend(steps.iter().map(|s| s.label.clone()));
    v.join(" → ")
}

fn describe(ins: &Instruction) -> String {
    let first_line = ins.args.lines().next().unwrap_or("");
    let short: String = first_line.chars().take(60).collect();
    let ell = if short.len() < first_line.len() { "…" } else { "" };
    format!("`{} {}{}`", ins.keyword, short.trim(), ell)
}

/// The deployment's COPY steps, in the expected order, from the configured paths.
struct CopyStep {
    /// How the step is shown: `scripts/`, `entrypoint.sh` …
    label: String,
    /// Normalised source paths that count as this step (a directory also
    /// matches anything below it).
    sources: Vec<String>,
    /// Where it goes in the image, for help texts.
    dest: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::source::Artifacts;

    /// Every dockerfile/* finding for this Dockerfile, as "rule line: message".
    fn lint(dockerfile: &str) -> Vec<String> {
        lint_files(dockerfile, &[])
    }

    /// Like `lint`, with more files in the repository (path, text).
    fn lint_files(dockerfile: &str, extra: &[(&str, &str)]) -> Vec<String> {
        let cfg = Config::default();
        let mut files = Artifacts::default();
        files.files.insert("Dockerfile".into(), SourceFile::new("Dockerfile", dockerfile.as_bytes().to_vec(), None));
        for (path, text) in extra {
            files.files.insert(path.to_string(), SourceFile::new(*path, text.as_bytes().to_vec(), None));
        }
        let head = Project::parse(files, &cfg.paths);
        let ctx = Context { head: &head, base: None, config: &cfg };
        let mut out = Vec::new();
        for r in RULES {
            let mut e = Emitter::default();
            (r.check)(&ctx, &mut e);
            out.extend(e.out.into_iter().map(|f| format!("{} {}: {}", r.id, f.span.map(|s| s.line).unwrap_or(0), f.message)));
        }
        out
    }

    const DEPLOYMENT: &str = "FROM directus/directus:11.17.4
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
USER node
COPY --chown=node:node scripts/ /directus/scripts/
RUN chmod +x /directus/scripts/*.sh
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node extensions/ /directus/extensions/
HEALTHCHECK --interval=30s CMD wget -qO- http://localhost:8055/server/ping || exit 1
ENTRYPOINT [\"/directus/entrypoint.sh\"]
";

    #[test]
    fn the_expected_deployment_lints_clean() {
        assert_eq!(lint(DEPLOYMENT), Vec::<String>::new());
        let variant = DEPLOYMENT.replace("USER node", "USER 1000:1000").replace("/server/ping", "/server/health");
        assert_eq!(lint(&variant), Vec::<String>::new());
    }

    #[test]
    fn an_install_after_the_copies_is_out_of_order() {
        let d = DEPLOYMENT.replace("RUN chmod +x /directus/scripts/*.sh", "RUN apk add --no-cache jq");
        let f = lint(&d);
        assert!(f.len() == 1 && f[0].starts_with("dockerfile/layer-order 6: the package install"), "{f:?}");
    }

    /// Like `lint`, with a db-post/ directory holding one migration.
    fn lint_with_post(dockerfile: &str) -> Vec<String> {
        lint_files(dockerfile, &[("db-post/0001_x.sql", "SELECT 1;\n")])
    }

    #[test]
    fn db_post_is_required_only_when_the_repository_has_it_and_sits_after_the_snapshots() {
        let with_post = DEPLOYMENT.replace(
            "COPY --chown=node:node extensions/",
            "COPY --chown=node:node db-post/ /directus/db-post/\nCOPY --chown=node:node extensions/",
        );
        assert_eq!(lint_with_post(&with_post), Vec::<String>::new());
        assert_eq!(lint(&with_post), Vec::<String>::new(), "copying db-post/ is fine without the directory too");
        let f = lint_with_post(DEPLOYMENT);
        assert!(f.len() == 1 && f[0].starts_with("dockerfile/missing-copy 1: the image never copies `db-post/`"), "{f:?}");
        let early = DEPLOYMENT.replace(
            "COPY --chown=node:node snapshots/",
            "COPY --chown=node:node db-post/ /directus/db-post/\nCOPY --chown=node:node snapshots/",
        );
        let f = lint_with_post(&early);
        assert!(f.len() == 1 && f[0].contains("`COPY snapshots/` comes after `COPY db-post/`") && f[0].contains("snapshots/ → db-post/ → extensions/"), "{f:?}");
    }

    #[test]
    fn an_init_wrapper_runs_the_entrypoint() {
        let tini = DEPLOYMENT.replace("bash coreutils", "bash coreutils tini");
        for ep in [
            r#"["/sbin/tini", "--", "/directus/entrypoint.sh"]"#,
            r#"["/usr/bin/tini", "--", "/directus/entrypoint.sh"]"#,
            r#"["tini", "-g", "--", "/directus/entrypoint.sh"]"#,
            r#"["/sbin/tini", "-e", "143", "--", "/directus/entrypoint.sh"]"#,
            r#"["/sbin/tini", "/directus/entrypoint.sh"]"#,
        ] {
            let d = tini.replace(r#"["/directus/entrypoint.sh"]"#, ep);
            assert_eq!(lint(&d), Vec::<String>::new(), "{ep}");
        }
        let dumb = DEPLOYMENT.replace("bash coreutils", "bash coreutils dumb-init").replace(r#"["/directus/entrypoint.sh"]"#, r#"["/usr/bin/dumb-init", "--", "/directus/entrypoint.sh"]"#);
        assert_eq!(lint(&dumb), Vec::<String>::new());
        let copied = DEPLOYMENT.replace("RUN chmod +x /directus/scripts/*.sh", "COPY --from=tini /tini /sbin/tini").replace(r#"["/directus/entrypoint.sh"]"#, r#"["/sbin/tini", "--", "/directus/entrypoint.sh"]"#);
        assert!(lint(&copied).iter().all(|f| !f.starts_with("dockerfile/entrypoint")), "{:?}", lint(&copied));
        let bad = [
            (tini.replace(r#"["/directus/entrypoint.sh"]"#, r#"["/sbin/tini", "--", "/bin/sh"]"#), "runs `/bin/sh` under `/sbin/tini`"),
            (tini.replace(r#"["/directus/entrypoint.sh"]"#, r#"["/sbin/tini", "--"]"#), "with no program after it"),
            (tini.replace(r#"["/directus/entrypoint.sh"]"#, r#"["/sbin/tini", "--version"]"#), "prints and exits"),
            (DEPLOYMENT.replace(r#"["/directus/entrypoint.sh"]"#, r#"["/sbin/tini", "--", "/directus/entrypoint.sh"]"#), "never installs it"),
        ];
        for (d, want) in bad {
            let f: Vec<String> = lint(&d).into_iter().filter(|f| f.starts_with("dockerfile/entrypoint")).collect();
            assert!(f.len() == 1 && f[0].contains(want), "{want}: {f:?}");
        }
    }

    #[test]
    fn a_missing_base_or_empty_file_does_not_cascade() {
        let f = lint("");
        assert_eq!(f, vec!["dockerfile/syntax 1: the Dockerfile has no instructions".to_string()]);
        let f = lint("RUN x\n");
        assert!(f.iter().all(|m| m.starts_with("dockerfile/syntax")), "{f:?}");
    }
}
