//! The lint engine: load the head (and base) artifacts, parse them once,
//! run every rule (each at its configured severity), add the `--postgres`
//! replay's findings, then apply the inline ignores to all of them, then the
//! path filter. Synchronous, no network, no Docker: it runs in a hook.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::finding::{Finding, Severity};
use crate::model::Project;
use crate::repo;
use crate::results::{BaseSkipped, Lint, Omitted};
use crate::rules::{self, Context, Emitter};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub repo: PathBuf,
    pub base: Option<String>,
    pub staged: bool,
    pub config: Option<PathBuf>,
    /// Only report findings in these repo-relative files or directories.
    pub only: Vec<String>,
    /// Replay the migrations on this server (`--postgres URL`).
    pub postgres: Option<String>,
    /// Judge every migration, also those unchanged since the base (`--all`).
    pub all: bool,
    /// A file read from standard input (`trm-ci lint - --stdin-filename PATH`): linted in
    /// place of the file at its path, and the findings limited to it (with `only`).
    pub stdin: Option<Stdin>,
}

/// The bytes of `-` and the path they are judged as (`--stdin-filename`, relative to the
/// current directory as a PATH argument is).
#[derive(Debug, Clone, Default)]
pub struct Stdin {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What a run read: the repository root it resolved and the revisions it
/// compared (the results document's `repository`, `head`, `base` and
/// `base_revision`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revisions {
    pub root: PathBuf,
    /// The commit HEAD points at, when in git.
    pub head: Option<String>,
    /// The base revision's description (how it was chosen), when there was one.
    pub base: Option<String>,
    /// The base commit, when there was one.
    pub base_revision: Option<String>,
}

impl Revisions {
    /// The root as the results document's `repository`.
    pub fn repository(&self) -> String {
        // `components()` drops the trailing `/` of a git work dir.
        self.root.components().collect::<PathBuf>().display().to_string()
    }
}

/// Runs `trm-ci lint`. Err is a usage or environment problem (exit 2).
pub fn run(opts: &Options) -> Result<(Lint, Revisions), String> {
    let root = opts.repo.canonicalize().map_err(|e| format!("{}: {e}", opts.repo.display()))?;
    let git = repo::open(&root);
    // The repository root: the git work tree when there is one, else --repo.
    let root = match git.as_ref().and_then(repo::workdir) {
        Some(w) if opts.repo == Path::new(".") || w.canonicalize().ok() == Some(root.clone()) => w,
        _ => root,
    };
    let cfg = match &opts.config {
        Some(p) => Config::load(p, true)?,
        None => Config::load(&root.join(config::FILE_NAME), false)?,
    };
    cfg.check_rule_ids_suggesting(|id| rules::find(id).is_some(), rules::did_you_mean)?;
    let paths = &cfg.paths;

    let mut head_files = if opts.staged {
        let g = git.as_ref().ok_or_else(|| format!("--staged: {} is not inside a git repository", root.display()))?;
        repo::from_index(g, paths)?
    } else {
        repo::from_worktree(&root, paths)?
    };
    // PATH arguments (and `-`'s path) as repository paths; each must name what the lint reads.
    let mut only = Vec::new();
    for arg in &opts.only {
        let rel = normalize_arg(arg, &root)?;
        // The file itself, or a file below it (a range lookup, not a scan of every path).
        if !rel.is_empty() && head_files.get(&rel).is_none() && head_files.below(&rel).next().is_none() {
            return Err(no_artifact(arg, &rel, paths));
        }
        only.push(rel);
    }
    if let Some(input) = &opts.stdin {
        let rel = normalize_arg(&input.path, &root).map_err(|e| format!("--stdin-filename {e}"))?;
        if !repo::is_artifact(&rel, paths) {
            return Err(format!("--stdin-filename {}", no_artifact(&input.path, &rel, paths)));
        }
        let mode = head_files.get(&rel).and_then(|f| f.mode);
        let bytes = input.bytes[..input.bytes.len().min(crate::source::MAX_FILE_BYTES + 1)].to_vec();
        head_files.insert(crate::source::SourceFile::new(rel.clone(), bytes, mode.or(Some(0o100644))));
        only.push(rel);
    }
    let mut base_skipped = None;
    let head_revision = git.as_ref().and_then(repo::head_commit);
    let mut base_tree = None;
    let (base_files, base_desc, base_revision) = match &git {
        None => {
            if let Some(b) = &opts.base {
                return Err(format!("--base {b}: {} is not inside a git repository", root.display()));
            }
            if repo::in_github_actions() {
                return Err(format!(
                    "{} is not inside a git repository, so there is no base to compare with: check it out with actions/checkout (`fetch-depth: 0`)",
                    root.display()
                ));
            }
            base_skipped = Some(BaseSkipped::NotGit);
            (None, None, None)
        }
        Some(g) => match repo::resolve_base(g, opts.base.as_deref())? {
            Ok(b) => {
                base_tree = Some(b.tree);
                (Some(repo::from_tree(g, b.tree, paths)?), Some(b.description), Some(b.commit))
            }
            Err(why) => {
                base_skipped = Some(BaseSkipped::NoBase { why });
                (None, None, None)
            }
        },
    };

    // The branch's trm-ci.toml against the base's: each weakening is data (and a note).
    let mut weakened = Vec::new();
    let (mut config_file, mut config_not_compared) = (None, None);
    if let (Some(g), Some(tree), Some(rel)) = (&git, base_tree, config_path(opts.config.as_deref(), &root)) {
        match base_config(g, tree, &rel) {
            Ok(base_cfg) => weakened = config::weakenings(&base_cfg, &cfg, |id| rules::find(id).map(|r| r.severity)),
            Err(why) => config_not_compared = Some(why),
        }
        // Named only where a note needs it.
        if !weakened.is_empty() || config_not_compared.is_some() {
            config_file = Some(rel);
        }
    }

    let head = Project::parse(head_files, paths);
    let base = base_files.map(|f| Project::parse_reusing(f, paths, Some(&head)));
    let ctx = Context { head: &head, base: base.as_ref(), config: &cfg };
    let (mut findings, mut omitted) = run_rules(&ctx);
    // Destructive schema changes allow-destructive.txt approves: data (and notes), not findings.
    let mut approved = Vec::new();
    if ctx.config.severity("snapshot/destructive-change", Severity::Error).is_some() {
        approved = rules::snapshot::approved(&ctx);
    }
    if let Some(url) = &opts.postgres {
        // The replay's findings are findings like the others: the pragmas
        // above a failing statement apply to them too.
        findings.extend(crate::pgreplay::replay(&head, url, &cfg)?);
    }
    let mut findings = apply_ignores(&head, &cfg, findings);
    for f in &mut findings {
        f.bound_text();
    }
    // PR-scoped judgement: what the base already had in a migration nobody
    // touched is pre-existing, listed but never failing the run.
    let mut pre_existing = Vec::new();
    if let (Some(base), false) = (base.as_ref(), opts.all || cfg.lint.all) {
        let judged;
        (judged, pre_existing) = split_pre_existing(&head, base, &cfg, findings, &mut omitted);
        findings = judged;
    }

    if !only.is_empty() {
        // (path, path + "/"): a file itself, or anything below a directory.
        let only: Vec<(String, String)> = only.into_iter().map(|o| { let dir = format!("{o}/"); (o, dir) }).collect();
        let wanted = |file: &str| only.iter().any(|(o, dir)| o.is_empty() || file == o || file.starts_with(dir.as_str()));
        findings.retain(|f| wanted(&f.file));
        pre_existing.retain(|f| wanted(&f.file));
        omitted.retain(|o| wanted(&o.file));
    }
    let order = |a: &Finding, b: &Finding| (&a.file, a.line(), a.col(), &a.rule).cmp(&(&b.file, b.line(), b.col(), &b.rule));
    findings.sort_by(order);
    pre_existing.sort_by(order);

    let mut sources = BTreeMap::new();
    for f in findings.iter().chain(&pre_existing) {
        if let Some(src) = head.files.get(&f.file) {
            if let Ok(t) = src.text() {
                sources.entry(f.file.clone()).or_insert_with(|| t.to_string());
            }
        }
    }
    let mut lint = Lint::new(findings, omitted, Vec::new(), sources, head.files.files.len())
        .with_pre_existing(pre_existing)
        .with_approved(approved)
        .with_config_weakened(weakened);
    (lint.base_skipped, lint.config_file, lint.config_not_compared) = (base_skipped, config_file, config_not_compared);
    Ok((lint, Revisions { root, head: head_revision, base: base_desc, base_revision }))
}

/// The repository path of the configuration in use: `trm-ci.toml`, or `--config FILE` when
/// that is inside the repository (None for a file outside it: the branch did not write it).
fn config_path(config: Option<&Path>, root: &Path) -> Option<String> {
    match config {
        None => Some(config::FILE_NAME.to_string()),
        Some(p) => {
            let root = root.canonicalize().ok()?;
            let rel = p.canonicalize().ok()?.strip_prefix(&root).ok()?.to_string_lossy().replace('\\', "/");
            Some(rel)
        }
    }
}

/// The configuration the base had at `rel` (the defaults when it had no such file).
fn base_config(git: &git2::Repository, tree: git2::Oid, rel: &str) -> Result<Config, String> {
    let Some(file) = repo::file_in_tree(git, tree, rel)? else { return Ok(Config::default()) };
    let text = file.text().map_err(|e| e.describe())?;
    Config::parse(text).map_err(|e| format!("{rel}:{e}"))
}

/// A finding of this rule may be pre-existing ([`rules::Rule::pr_scoped`]).
pub fn is_scoped(rule: &str) -> bool {
    rules::find(rule).is_some_and(|r| r.pr_scoped())
}

/// Splits the findings into (judged, pre-existing). A finding is
/// pre-existing when its rule [`is_scoped`], its file is a migration whose
/// bytes are the same on the base, and the base, linted alone with the same
/// configuration, has the same finding (rule, file, span, message): a
/// finding the PR causes in an untouched file (a collection added to the
/// snapshot over a table an old db-init file creates) is judged. The
/// `--postgres` replay's findings are not made again on the base: an
/// unchanged file after unchanged files replays the same, so its file
/// decides.
///
/// A rule's cap in such a file (counted, not listed) is dropped from
/// `omitted` when the base counted the same: it is not judged either.
fn split_pre_existing(
    head: &Project,
    base: &Project,
    cfg: &Config,
    findings: Vec<Finding>,
    omitted: &mut Vec<Omitted>,
) -> (Vec<Finding>, Vec<Finding>) {
    let unchanged = |file: &str| {
        head.all_migrations().any(|m| m.path == file)
            && matches!((head.files.get(file), base.files.get(file)), (Some(h), Some(b)) if h.bytes == b.bytes)
    };
    let (candidates, mut judged): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| is_scoped(&f.rule) && unchanged(&f.file));
    if candidates.is_empty() && !omitted.iter().any(|o| is_scoped(&o.rule) && unchanged(&o.file)) {
        return (judged, Vec::new());
    }
    let (on_base, omitted_on_base) = {
        let ctx = Context { head: base, base: None, config: cfg };
        let (mut found, omitted) = check_counted(&ctx);
        for f in &mut found {
            f.bound_text();
        }
        (found, omitted)
    };
    omitted.retain(|o| !(is_scoped(&o.rule) && unchanged(&o.file) && omitted_on_base.contains(o)));
    let mut pre_existing = Vec::new();
    for f in candidates {
        let same = |b: &Finding| b.rule == f.rule && b.file == f.file && b.span == f.span && b.message == f.message;
        if f.rule == "migrations/postgres-error" || on_base.iter().any(same) {
            pre_existing.push(f);
        } else {
            judged.push(f);
        }
    }
    (judged, pre_existing)
}

/// Runs every enabled rule over the models, then applies the inline ignores.
pub fn check(ctx: &Context) -> Vec<Finding> {
    check_counted(ctx).0
}

/// [`check`], and the findings that rules counted past their cap.
pub fn check_counted(ctx: &Context) -> (Vec<Finding>, Vec<Omitted>) {
    let (findings, omitted) = run_rules(ctx);
    (apply_ignores(ctx.head, ctx.config, findings), omitted)
}

/// Runs every enabled rule over the models, each at its configured
/// severity; also the findings that rules counted past their cap.
pub fn run_rules(ctx: &Context) -> (Vec<Finding>, Vec<Omitted>) {
    let mut findings = Vec::new();
    let mut omitted = Vec::new();
    for rule in rules::all() {
        let Some(severity) = ctx.config.severity(rule.id, rule.severity) else { continue };
        if rule.needs_base && ctx.base.is_none() {
            continue;
        }
        let mut e = Emitter::default();
        (rule.check)(ctx, &mut e);
        e.close();
        omitted.extend(e.omitted.into_iter().map(|(file, count)| Omitted { rule: rule.id.to_string(), severity, file, count }));
        findings.extend(e.out.into_iter().map(|r| Finding {
            rule: rule.id.to_string(),
            severity,
            file: r.file,
            span: r.span,
            message: r.message,
            help: r.help,
        }));
    }
    (findings, omitted)
}

/// Inline ignores: a pragma silences the findings of its rules on the lines
/// it covers (whichever rule or replay found them); a pragma that silenced
/// nothing is itself reported (`lint/unused-ignore`, at its configured
/// severity).
pub fn apply_ignores(head: &Project, config: &Config, mut findings: Vec<Finding>) -> Vec<Finding> {
    let sups = head.suppressions();
    let mut used = vec![false; sups.len()];
    findings.retain(|f| {
        let Some(span) = f.span else { return true };
        let mut keep = true;
        for (i, s) in sups.iter().enumerate() {
            if s.file == f.file
                && span.line >= s.first_line
                && span.line <= s.last_line
                && s.rules.iter().any(|r| *r == f.rule)
            {
                used[i] = true;
                keep = false;
            }
        }
        keep
    });
    if let Some(sev) = config.severity("lint/unused-ignore", Severity::Warning) {
        for (i, s) in sups.iter().enumerate() {
            if used[i] {
                continue;
            }
            let unknown: Vec<&String> = s.rules.iter().filter(|r| rules::find(r).is_none()).collect();
            let message = if unknown.is_empty() {
                format!("`trm-ci: ignore={}` silences nothing here", s.rules.join(","))
            } else {
                format!(
                    "`trm-ci: ignore=` names unknown rule {}",
                    unknown.iter().map(|u| format!("`{u}`{}", rules::did_you_mean(u))).collect::<Vec<_>>().join(", ")
                )
            };
            findings.push(Finding {
                rule: "lint/unused-ignore".into(),
                severity: sev,
                file: s.file.clone(),
                span: Some(s.span),
                message,
                help: "remove the pragma, or correct the rule id (`trm-ci rules` lists them)".into(),
            });
        }
    }
    findings
}

/// A PATH argument as a repository path (`/`-separated, no `./`; empty for the root):
/// relative to the current directory when that is inside the repository (`cd db-init &&
/// trm-ci lint 0005_x.sql`), else to the repository root (`--repo DIR` run from elsewhere).
/// Err when it leads out of the repository.
fn normalize_arg(p: &str, root: &Path) -> Result<String, String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let path = Path::new(p);
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir().and_then(|d| d.canonicalize()) {
            Ok(cwd) if cwd.starts_with(&root) => cwd.join(path),
            _ => root.join(path),
        }
    };
    // `.` and `..` by hand (the file need not exist); the directory holding it as the
    // filesystem has it, so that an absolute path through a linked directory (/tmp) matches.
    let mut clean = PathBuf::new();
    for c in full.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                clean.pop();
            }
            c => clean.push(c),
        }
    }
    let resolved = match (clean.parent().map(|d| d.canonicalize()), clean.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => clean.clone(),
    };
    let rel = resolved
        .strip_prefix(&root)
        .or_else(|_| clean.strip_prefix(&root))
        .map_err(|_| format!("`{p}` is outside the repository {}", root.display()))?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// The error for a PATH that names no file the lint reads.
fn no_artifact(arg: &str, rel: &str, paths: &config::Paths) -> String {
    let shown = if arg == rel { format!("`{arg}`") } else { format!("`{arg}` (`{rel}` in the repository)") };
    format!(
        "{shown} is not a file trm-ci lints: the artifacts are `{}/`, `{}/`, `{}/`, `{}`, `{}`, `{}`, `{}`, `{}` (see [paths] in trm-ci.toml)",
        repo::normalize(&paths.migrations),
        repo::normalize(&paths.post_migrations),
        repo::normalize(&paths.scripts),
        repo::normalize(&paths.snapshot),
        repo::normalize(&paths.dockerfile),
        repo::normalize(&paths.compose),
        repo::normalize(&paths.stack),
        repo::normalize(&paths.entrypoint),
    )
}
