//! The `dockerfile/*` rules: the image the deployment runs. They read the
//! parsed [`Dockerfile`] model; the rules about the image's layout look at
//! the final image (the last stage and the stages it is built `FROM`).
//! Paths in the expected `COPY`s follow `[paths]` in `trm-ci.toml`.

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::dockerfile::{is_exact_version, is_valid_digest, Dockerfile, ImageRef, Instruction};
use crate::source::SourceFile;

pub const RULES: &[Rule] = &[
    Rule {
        id: "dockerfile/syntax",
        severity: Severity::Error,
        summary: "the Dockerfile does not parse: unknown instruction, bad exec-form JSON, unterminated heredoc or continuation",
        doc: SYNTAX,
        needs_base: false,
        check: syntax,
    },
    Rule {
        id: "dockerfile/unpinned-base",
        severity: Severity::Error,
        summary: "the image is not built FROM directus/directus:X.Y.Z (digest optional)",
        doc: UNPINNED_BASE,
        needs_base: false,
        check: unpinned_base,
    },
    Rule {
        id: "dockerfile/layer-order",
        severity: Severity::Warning,
        summary: "layers not ordered package install → scripts/ → entrypoint.sh → db-init/ → snapshots/ → db-post/ → extensions/",
        doc: LAYER_ORDER,
        needs_base: false,
        check: layer_order,
    },
    Rule {
        id: "dockerfile/missing-copy",
        severity: Severity::Error,
        summary: "the image never copies one of scripts/, entrypoint.sh, db-init/, snapshots/, db-post/ (when it exists), extensions/",
        doc: MISSING_COPY,
        needs_base: false,
        check: missing_copy,
    },
    Rule {
        id: "dockerfile/final-user",
        severity: Severity::Error,
        summary: "the last USER is not node: the container would run as root",
        doc: FINAL_USER,
        needs_base: false,
        check: final_user,
    },
    Rule {
        id: "dockerfile/copy-chown",
        severity: Severity::Warning,
        summary: "a COPY into /directus without --chown=node:node",
        doc: COPY_CHOWN,
        needs_base: false,
        check: copy_chown,
    },
    Rule {
        id: "dockerfile/healthcheck",
        severity: Severity::Error,
        summary: "no HEALTHCHECK, or one that does not probe /server/ping or /server/health",
        doc: HEALTHCHECK,
        needs_base: false,
        check: healthcheck,
    },
    Rule {
        id: "dockerfile/env-override",
        severity: Severity::Error,
        summary: "an ENV instruction: configuration baked into the image",
        doc: ENV_OVERRIDE,
        needs_base: false,
        check: env_override,
    },
    Rule {
        id: "dockerfile/expose",
        severity: Severity::Warning,
        summary: "an EXPOSE instruction: ports are the deployment's business",
        doc: EXPOSE,
        needs_base: false,
        check: expose,
    },
    Rule {
        id: "dockerfile/entrypoint",
        severity: Severity::Error,
        summary: "the ENTRYPOINT is not the exec form of /directus/entrypoint.sh (directly or under tini/dumb-init)",
        doc: ENTRYPOINT,
        needs_base: false,
        check: entrypoint,
    },
    Rule {
        id: "dockerfile/apk-no-cache",
        severity: Severity::Warning,
        summary: "`apk add` without --no-cache leaves the package index in the layer",
        doc: APK_NO_CACHE,
        needs_base: false,
        check: apk_no_cache,
    },
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

const SYNTAX: &str = r#"## What it does
Reports what makes the Dockerfile unreadable or misread: an unknown
instruction (`FORM`), an exec-form array that is not valid JSON
(`CMD ['a']`, a trailing comma), a heredoc without its closing delimiter, a
line continuation at the end of the file, an invalid `# escape=` directive,
an instruction before the first `FROM`, an instruction without arguments, or
an empty Dockerfile.

Severity: error — `docker build` fails, or (for broken JSON) silently runs
the command through `/bin/sh -c` instead of exec form.

## Why is this bad?
The image cannot be built, or is built differently from what the file
appears to say; and every other `dockerfile/*` rule reads a file that Docker
reads differently.

## Example
```dockerfile
FORM directus/directus:11.17.4
ENTRYPOINT ['/directus/entrypoint.sh']
```

## Use instead
```dockerfile
FROM directus/directus:11.17.4
ENTRYPOINT ["/directus/entrypoint.sh"]
```
"#;

fn syntax(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for err in &d.errors {
        let m = &err.message;
        let help = if m.contains("unknown instruction") {
            "use a Dockerfile instruction (FROM, RUN, COPY, USER, HEALTHCHECK, ENTRYPOINT, …)"
        } else if m.contains("exec form") {
            "write a JSON array of double-quoted strings, e.g. [\"/directus/entrypoint.sh\"]"
        } else if m.contains("heredoc") {
            "end the heredoc with a line holding only its delimiter"
        } else if m.contains("continuation") {
            "remove the trailing escape character, or add the line it continues to"
        } else if m.contains("before the first `FROM`") || m.contains("without any `FROM`") || m.contains("no instructions") {
            "start the Dockerfile with `FROM directus/directus:X.Y.Z`"
        } else if m.contains("escape") || m.contains("directive") {
            "use `# escape=\\` or `# escape=`` (backtick), once, at the top"
        } else {
            "fix the instruction so that `docker build` reads it as written"
        };
        e.emit(&d.path, Some(err.span), m.clone(), help);
    }
}

// ---------------------------------------------------------------------------

const UNPINNED_BASE: &str = r#"## What it does
Checks that the final image is built `FROM directus/directus:X.Y.Z` — an
exact release, optionally with `@sha256:` digest — literally, not through a
build argument. Multi-stage builds: the stage the final image starts from
is checked (`FROM base` is followed to `FROM … AS base`).

Severity: error.

## Why is this bad?
`latest`, `11` or `11.17` move under you: the next build runs a Directus
that the snapshot was not written for, and its migrations run on
production data at boot. The snapshot's `directus:` field must equal the pin
(`snapshot/version-mismatch`), which needs a pin to compare with.

## Example
```dockerfile
FROM directus/directus:11
```

## Use instead
```dockerfile
FROM directus/directus:11.17.4
```
"#;

fn unpinned_base(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    let Some((_, arg)) = d.final_base() else {
        // A readable Dockerfile without FROM: dockerfile/syntax says so.
        return;
    };
    let image = arg.text.as_str();
    let help_pin = "pin an exact release: `FROM directus/directus:X.Y.Z` (optionally `@sha256:<digest>`); bump it in its own PR together with the snapshot";
    if image.contains('$') {
        e.emit(&d.path, Some(arg.span), format!("the base image `{image}` comes from a build argument, so any build can change it"), help_pin);
        return;
    }
    let r = ImageRef::parse(image);
    if !r.is_directus() {
        e.emit(
            &d.path,
            Some(arg.span),
            format!("the image is built FROM `{image}`, not from `directus/directus`"),
            "build the final stage FROM `directus/directus:X.Y.Z`",
        );
        return;
    }
    match &r.tag {
        None => e.emit(&d.path, Some(arg.span), format!("`{image}` has no tag, so it means `latest`"), help_pin),
        Some(t) if !is_exact_version(t) => {
            e.emit(&d.path, Some(arg.span), format!("`{image}` is not pinned to an exact release (`{t}` is not X.Y.Z)"), help_pin)
        }
        _ => {}
    }
    if let Some(dg) = &r.digest {
        if !is_valid_digest(dg) {
            e.emit(&d.path, Some(arg.span), format!("the digest `{dg}` is not `sha256:` and 64 hex digits"), "copy the digest from `docker buildx imagetools inspect`, or drop it");
        }
    }
}

// ---------------------------------------------------------------------------

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
    let dir = |p: &str| {
        let n = norm(p);
        CopyStep { label: format!("{n}/"), dest: format!("/directus/{}/", basename(&n)), sources: vec![n] }
    };
    let entry = norm(&paths.entrypoint);
    let snapshot = norm(&paths.snapshot);
    let snap_dir = snapshot.rsplit_once('/').map(|(d, _)| d.to_string());
    let snapshots = match snap_dir {
        Some(dd) if !dd.is_empty() => {
            CopyStep { label: format!("{dd}/"), dest: format!("/directus/{}/", basename(&dd)), sources: vec![dd, snapshot] }
        }
        _ => CopyStep { label: snapshot.clone(), dest: format!("/directus/{}", basename(&snapshot)), sources: vec![snapshot] },
    };
    let mut steps = vec![
        dir(&paths.scripts),
        CopyStep { label: entry.clone(), dest: format!("/directus/{}", basename(&entry)), sources: vec![entry] },
        dir(&paths.migrations),
        snapshots,
    ];
    let post = dir(&paths.post_migrations);
    if norm(&paths.post_migrations) != norm(&paths.migrations)
        && (ctx.head.has_post_migrations()
            || instructions.iter().any(|i| !copy_step_indices(i, std::slice::from_ref(&post)).is_empty()))
    {
        steps.push(post);
    }
    steps.push(dir("extensions"));
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

const LAYER_ORDER: &str = r#"## What it does
Checks the order of the final image's layers, least to most volatile:
the package install (`RUN apk add …`), then `COPY scripts/`, `COPY
entrypoint.sh`, `COPY db-init/`, `COPY snapshots/`, `COPY db-post/` (when
the repository has a post-schema directory, or the image copies one), `COPY
extensions/` (paths from `[paths]` in `trm-ci.toml`). It points at the first
instruction that comes after one that should follow it, and says the
expected order.

Severity: warning — the image works, it is just rebuilt and re-pushed more
than it needs to be.

## Why is this bad?
Docker reuses a layer only when it and every layer before it are unchanged.
A new migration changes `db-init/`; if `db-init/` is copied before the
scripts, every migration PR rebuilds and re-uploads all the layers after
it, and a package install after the COPYs reinstalls the packages on every
change.

## Example
```dockerfile
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node scripts/ /directus/scripts/
```

## Use instead
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node db-post/ /directus/db-post/
COPY --chown=node:node extensions/ /directus/extensions/
```
"#;

fn layer_order(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let steps = copy_steps(ctx, &instructions);
    // Position 0 is the install, 1.. the COPY steps.
    let mut seen: Vec<(usize, &Instruction)> = Vec::new();
    let label = |k: usize| if k == 0 { "the package install".to_string() } else { format!("`COPY {}`", steps[k - 1].label) };
    for ins in instructions {
        let mut ks: Vec<usize> = copy_step_indices(ins, &steps).into_iter().map(|k| k + 1).collect();
        if ks.is_empty() && is_install(ins) {
            ks.push(0);
        }
        for k in ks {
            if let Some((later, at)) = seen.iter().filter(|(s, _)| *s > k).max_by_key(|(s, _)| *s) {
                let what = if k == 0 { format!("the package install {}", describe(ins)) } else { label(k) };
                e.emit(
                    &d.path,
                    Some(ins.span),
                    format!("{what} comes after {} (line {}): expected order is {}", label(*later), at.first_line, expected_order(&steps)),
                    format!("move it above line {} so that a change to a more volatile directory does not rebuild it", at.first_line),
                );
                return;
            }
            seen.push((k, ins));
        }
    }
}

// ---------------------------------------------------------------------------

const MISSING_COPY: &str = r#"## What it does
Checks that the final image copies each of the deployment's parts:
`scripts/`, `entrypoint.sh`, `db-init/`, `snapshots/`, `db-post/` — only
when the repository has that post-schema directory with files in it — and
`extensions/` (paths from `[paths]` in `trm-ci.toml`; copying a file below
the directory, e.g. `db-init/*.sql`, counts). The package install is not required here:
a base image may already carry `psql`, and the boot test proves the
scripts' tools are there.

Severity: error — the entrypoint, a script, the migrations or the snapshot
missing from the image fail the boot (or silently skip a step).

## Why is this bad?
The image boots without migrations or with an old snapshot baked into the
base, and the failure shows up at deploy time instead of in review. A
missing `db-post/` is quieter still: the runner treats a missing directory
as empty, so the triggers and indexes on the collection tables silently
never exist.

## Example
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
ENTRYPOINT ["/directus/entrypoint.sh"]
```

## Use instead
```dockerfile
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node extensions/ /directus/extensions/
ENTRYPOINT ["/directus/entrypoint.sh"]
```
"#;

fn missing_copy(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, last_from)) = final_image(ctx) else { return };
    let steps = copy_steps(ctx, &instructions);
    let present: Vec<usize> = instructions.iter().flat_map(|i| copy_step_indices(i, &steps)).collect();
    for (k, step) in steps.iter().enumerate() {
        if !present.contains(&k) {
            let src = step.label.trim_end_matches('/');
            let src = if step.label.ends_with('/') { format!("{src}/") } else { src.to_string() };
            e.emit(
                &d.path,
                Some(last_from.span),
                format!("the image never copies `{}`", step.label),
                format!("add `COPY --chown=node:node {src} {}` in its place in the layer order", step.dest),
            );
        }
    }
}

// ---------------------------------------------------------------------------

const FINAL_USER: &str = r#"## What it does
Checks that the last `USER` of the final image is `node` (the upstream
image's user; `1000` and `node:node` count too). A final stage without any
`USER` keeps the base image's `node`.

Severity: error.

## Why is this bad?
`USER root` for the package install is fine, but a `USER root` that is
never undone runs Directus, its extensions and every request handler as
root: one remote-code bug owns the container, and files Directus writes at
runtime (uploads, extension caches) end up root-owned.

## Example
```dockerfile
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
COPY --chown=node:node scripts/ /directus/scripts/
```

## Use instead
```dockerfile
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
USER node
COPY --chown=node:node scripts/ /directus/scripts/
```
"#;

fn is_node_user(u: &str) -> bool {
    let user = u.split(':').next().unwrap_or("");
    matches!(user, "node" | "1000")
}

fn final_user(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let Some(last) = instructions.iter().rev().find(|i| i.is("USER")) else { return };
    let user = last.words.first().map(|w| w.text.as_str()).unwrap_or("");
    if !is_node_user(user) {
        e.emit(
            &d.path,
            Some(last.span),
            format!("the image's last USER is `{user}`, so Directus runs as `{user}` instead of `node`"),
            "end with `USER node` after the steps that need root",
        );
    }
}

// ---------------------------------------------------------------------------

const COPY_CHOWN: &str = r#"## What it does
Checks that every `COPY`/`ADD` of the final image whose destination is
`/directus` or below (relative destinations resolved against `WORKDIR`,
which is `/directus` in the upstream image) has `--chown=node:node`
(`node`, `1000` and `1000:1000` count too).

Severity: warning — not a boot failure by itself, but a permission
surprise waiting for the first script or extension that writes there.

## Why is this bad?
Without `--chown`, COPY creates the files as root. Directus runs as `node`
and cannot change, replace or clean up root-owned files in its own
directory; a later `RUN chown -R` fixes it at the cost of duplicating every
file in another layer.

## Example
```dockerfile
COPY db-init/ /directus/db-init/
```

## Use instead
```dockerfile
COPY --chown=node:node db-init/ /directus/db-init/
```
"#;

fn join_dir(dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        let p = p.strip_prefix("./").unwrap_or(p);
        let p = if p == "." { "" } else { p };
        format!("{}/{}", dir.trim_end_matches('/'), p)
    }
}

fn copy_chown(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, _)) = final_image(ctx) else { return };
    let directus_base = d.final_base().map(|(_, a)| ImageRef::parse(&a.text).is_directus()).unwrap_or(false);
    let mut workdir = if directus_base { "/directus".to_string() } else { "/".to_string() };
    for ins in instructions {
        if ins.is("WORKDIR") {
            if let Some(w) = ins.words.first() {
                workdir = join_dir(&workdir, &w.text);
            }
            continue;
        }
        if !ins.is("COPY") && !ins.is("ADD") {
            continue;
        }
        let (_, Some(dest)) = copy_paths(ins) else { continue };
        let full = join_dir(&workdir, &dest);
        if !(full == "/directus" || full.starts_with("/directus/")) {
            continue;
        }
        let chown = ins.flag("chown").and_then(|f| f.value.clone());
        let ok = chown.as_deref().is_some_and(|c| {
            let mut it = c.split(':');
            let user = it.next().unwrap_or("");
            let group = it.next();
            matches!(user, "node" | "1000") && group.is_none_or(|g| matches!(g, "node" | "1000"))
        });
        if !ok {
            let message = match &chown {
                None => format!("{} copies into `{full}` without `--chown`, so the files are owned by root", describe(ins)),
                Some(c) => format!("{} copies into `{full}` with `--chown={c}`, not `node:node`", describe(ins)),
            };
            e.emit(&d.path, Some(ins.span), message, "add `--chown=node:node` so that Directus (user node) owns its files");
        }
    }
}

// ---------------------------------------------------------------------------

const HEALTHCHECK: &str = r#"## What it does
Checks that the final image has a `HEALTHCHECK` whose command probes
Directus's `/server/ping` (preferred: cheap, answers `pong` before auth) or
`/server/health`, and that the last one is not `HEALTHCHECK NONE`.

Severity: error — without a working probe an orchestrator keeps routing to
a Directus that has stopped answering, and the smoke test's "healthy" never
comes.

## Why is this bad?
The upstream 11.x image has no HEALTHCHECK of its own. A container whose
Node process is alive but whose API is wedged looks "running" forever; a
probe of `/` or of a port only proves that something listens.

## Example
```dockerfile
HEALTHCHECK CMD wget -qO- http://localhost:8055/ || exit 1
```

## Use instead
```dockerfile
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
  CMD wget -qO- http://127.0.0.1:8055/server/ping || exit 1
```
"#;

fn healthcheck(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, last_from)) = final_image(ctx) else { return };
    let help = "add `HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 CMD wget -qO- http://127.0.0.1:8055/server/ping || exit 1`";
    let Some(hc) = instructions.iter().rev().find(|i| i.is("HEALTHCHECK")) else {
        e.emit(&d.path, Some(last_from.span), "the image has no HEALTHCHECK: nothing notices when Directus stops answering", help);
        return;
    };
    let first = hc.words.first().map(|w| w.text.to_ascii_uppercase()).unwrap_or_default();
    if first == "NONE" {
        e.emit(&d.path, Some(hc.span), "`HEALTHCHECK NONE` disables the health check", help);
        return;
    }
    let probes = |s: &str| s.contains("/server/ping") || s.contains("/server/health");
    let ok = match &hc.exec {
        Some(v) => v.iter().any(|a| probes(a)),
        None => probes(&hc.args),
    };
    if !ok {
        e.emit(
            &d.path,
            Some(hc.span),
            "the HEALTHCHECK does not probe Directus's `/server/ping` or `/server/health`",
            "probe `http://127.0.0.1:8055/server/ping` (it answers `pong` once the API serves)",
        );
    }
}

// ---------------------------------------------------------------------------

const ENV_OVERRIDE: &str = r#"## What it does
Reports every `ENV` instruction.

Severity: error.

## Why is this bad?
The image must be configured by its deployment's environment only — the
same image in dev, CI and production, with "only env vars differ". An
`ENV` bakes a value into every container started from the image: a default
`DB_HOST` that silently points a misconfigured deployment at the wrong
database, or a `KEY`/`SECRET`/`DB_PASSWORD` readable by anyone who can pull
the image (`docker history` shows it).

## Example
```dockerfile
ENV DB_CLIENT=pg DB_HOST=postgres
```

## Use instead
Set the variables where the container is run (compose `environment:`,
`.env`, the orchestrator's secrets); defaults the scripts need belong in the
scripts (`${DB_PORT:-5432}`).
"#;

fn env_keys(ins: &Instruction) -> Vec<String> {
    let legacy = ins.words.first().is_some_and(|w| !w.text.contains('='));
    if legacy {
        return ins.words.first().map(|w| vec![w.text.clone()]).unwrap_or_default();
    }
    ins.words.iter().filter_map(|w| w.text.split_once('=').map(|(k, _)| k.to_string())).collect()
}

fn env_override(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("ENV")) {
        let keys = env_keys(ins);
        let names = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        e.emit(
            &d.path,
            Some(ins.span),
            format!("`ENV` bakes {names} into the image"),
            "remove the ENV; set the variable in the deployment's environment (compose `environment:`, `.env`, secrets)",
        );
    }
}

// ---------------------------------------------------------------------------

const EXPOSE: &str = r#"## What it does
Reports every `EXPOSE` instruction.

Severity: warning — `EXPOSE` publishes nothing; it is documentation that
goes stale.

## Why is this bad?
Which port is published, and where, is the deployment's decision (compose
`ports:`, the orchestrator). Directus's port is configurable (`PORT`), and
an `EXPOSE 8055` that no longer matches misleads whoever reads the image.

## Example
```dockerfile
EXPOSE 8055
```

## Use instead
Publish the port where the container runs, e.g. in compose:
```yaml
ports:
  - "8055:8055"
```
"#;

fn expose(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("EXPOSE")) {
        e.emit(
            &d.path,
            Some(ins.span),
            format!("`EXPOSE {}` in the image: ports are the deployment's decision", ins.args.trim()),
            "remove the EXPOSE and publish the port in compose (`ports:`) or the orchestrator",
        );
    }
}

// ---------------------------------------------------------------------------

const ENTRYPOINT: &str = r#"## What it does
Checks that the final image's last `ENTRYPOINT` is the exec form (a JSON
array) whose program is the entrypoint copied into the image —
`/directus/entrypoint.sh` by default, or wherever the `COPY` of the
configured entrypoint puts it. A minimal init may run it:
`["/sbin/tini", "--", "/directus/entrypoint.sh"]` (also `/usr/bin/tini`,
tini's options such as `-g`, `dumb-init`), and then the image must install
that init (`apk add --no-cache … tini`) or copy it in, because the upstream
image has none.

Severity: error — without it the upstream CMD starts Directus with no
db-init and no schema apply.

## Why is this bad?
The shell form (`ENTRYPOINT /directus/entrypoint.sh`) runs under
`/bin/sh -c`: the shell is PID 1, `docker stop`'s SIGTERM never reaches
Directus, and the container is killed after the timeout. With no
`ENTRYPOINT`, or another program, the boot sequence (db-init → bootstrap +
schema apply → db-post → start) does not run at all. An init that is not in
the image fails every start with `exec /sbin/tini: no such file or
directory`.

## Example
```dockerfile
ENTRYPOINT /directus/entrypoint.sh
```

## Use instead
```dockerfile
RUN apk add --no-cache postgresql16-client bash coreutils tini
ENTRYPOINT ["/sbin/tini", "--", "/directus/entrypoint.sh"]
```
(or `ENTRYPOINT ["/directus/entrypoint.sh"]` without an init)
"#;

fn entrypoint(ctx: &Context, e: &mut Emitter) {
    let Some((d, _, instructions, last_from)) = final_image(ctx) else { return };
    let steps = copy_steps(ctx, &instructions);
    // Where the configured entrypoint lands in the image.
    let mut expected = "/directus/entrypoint.sh".to_string();
    let mut workdir = "/directus".to_string();
    for ins in &instructions {
        if ins.is("WORKDIR") {
            if let Some(w) = ins.words.first() {
                workdir = join_dir(&workdir, &w.text);
            }
        }
        if copy_step_indices(ins, &steps).contains(&1) {
            if let (sources, Some(dest)) = copy_paths(ins) {
                let dest = join_dir(&workdir, &dest);
                expected = if dest.ends_with('/') || sources.len() > 1 {
                    format!("{}/{}", dest.trim_end_matches('/'), basename(&norm(&ctx.head.paths.entrypoint)))
                } else {
                    dest
                };
            }
        }
    }
    let help = format!("use the exec form: `ENTRYPOINT [\"{expected}\"]`");
    let Some(ep) = instructions.iter().rev().find(|i| i.is("ENTRYPOINT")) else {
        e.emit(
            &d.path,
            Some(last_from.span),
            "the image has no ENTRYPOINT: the upstream CMD would start Directus without db-init and schema apply",
            help,
        );
        return;
    };
    match &ep.exec {
        None => e.emit(
            &d.path,
            Some(ep.span),
            "the ENTRYPOINT is in shell form: /bin/sh becomes PID 1 and `docker stop` never reaches Directus",
            help,
        ),
        Some(v) => match split_init(v) {
            Err(why) => e.emit(&d.path, Some(ep.span), why, help),
            Ok((init, program)) if program != Some(expected.as_str()) => {
                let runs = match (init, program) {
                    (Some(i), Some(p)) => format!("the ENTRYPOINT runs `{p}` under `{i}`, not `{expected}`"),
                    (Some(i), None) => format!("the ENTRYPOINT runs `{i}` with no program after it"),
                    (None, p) => format!("the ENTRYPOINT runs `{}`, not `{expected}`", p.unwrap_or("")),
                };
                e.emit(&d.path, Some(ep.span), runs, help);
            }
            Ok((Some(init), _)) if directus_base(d) && !provides_init(&instructions, init) => e.emit(
                &d.path,
                Some(ep.span),
                format!("the ENTRYPOINT starts with `{init}`, but the image never installs it (the upstream image has no init): the container cannot start"),
                format!("install it in the package step (`apk add --no-cache … {}`), or drop the wrapper", basename(init)),
            ),
            _ => {}
        },
    }
}

/// An exec-form ENTRYPOINT as (init wrapper, program): `["/sbin/tini", "--",
/// "/directus/entrypoint.sh"]` → (Some("/sbin/tini"), Some("/directus/entrypoint.sh")).
/// A minimal init (`tini`, `dumb-init`) may come first, with its options
/// and an optional `--`; anything else is the program itself.
fn split_init(v: &[String]) -> Result<(Option<&str>, Option<&str>), String> {
    let Some(first) = v.first() else { return Ok((None, None)) };
    let name = basename(first);
    let (is_tini, is_dumb) = (name == "tini" || name == "tini-static", name == "dumb-init");
    if !is_tini && !is_dumb {
        return Ok((None, Some(first.as_str())));
    }
    // Options that take a value: tini `-e CODE` `-p SIGNAL`, dumb-init `-r s:r`.
    let takes_value = |o: &str| if is_tini { matches!(o, "-e" | "-p") } else { matches!(o, "-r" | "--rewrite") };
    let mut k = 1;
    while k < v.len() {
        let a = v[k].as_str();
        if a == "--" {
            k += 1;
            break;
        }
        if !a.starts_with('-') {
            break;
        }
        if is_tini && matches!(a, "-h" | "--version") || is_dumb && matches!(a, "-h" | "--help" | "-V" | "--version") {
            return Err(format!("the ENTRYPOINT runs `{first} {a}`, which prints and exits instead of starting the boot sequence"));
        }
        k += if takes_value(a) { 2 } else { 1 };
    }
    Ok((Some(first.as_str()), v.get(k).map(String::as_str)))
}

/// The final image starts from directus/directus (which has no init of its own).
fn directus_base(d: &Dockerfile) -> bool {
    d.final_base().is_some_and(|(_, a)| ImageRef::parse(&a.text).is_directus())
}

/// The final image puts the init there: a package install naming it
/// (`apk add tini`, `apt-get install dumb-init`), or a COPY/ADD to its path.
fn provides_init(instructions: &[&Instruction], init: &str) -> bool {
    let name = basename(init);
    let package = if name.starts_with("tini") { "tini" } else { "dumb-init" };
    instructions.iter().any(|ins| {
        if ins.is("COPY") || ins.is("ADD") {
            let (_, dest) = copy_paths(ins);
            return dest.is_some_and(|d| d == init || (d.ends_with('/') && format!("{d}{name}") == init) || basename(&d) == name);
        }
        if !is_install(ins) {
            return false;
        }
        let words: Vec<String> = match &ins.exec {
            Some(v) => v.clone(),
            None => ins.shell_commands().iter().flat_map(|c| c.words.iter().map(|a| a.text.clone())).collect(),
        };
        words.iter().any(|w| w == package || w.starts_with(&format!("{package}=")) || w.starts_with(&format!("{package}~")))
    })
}

// ---------------------------------------------------------------------------

const APK_NO_CACHE: &str = r#"## What it does
Reports an `apk add` in a `RUN` (shell form, exec form or heredoc) without
`--no-cache`.

Severity: warning — a bigger image, not a broken one.

## Why is this bad?
Without `--no-cache`, apk downloads the package index into
`/var/cache/apk/` and leaves it in the layer: megabytes that every node
pulls and that nothing uses at runtime.

## Example
```dockerfile
RUN apk update && apk add postgresql16-client bash coreutils
```

## Use instead
```dockerfile
RUN apk add --no-cache postgresql16-client bash coreutils
```
"#;

fn apk_no_cache(ctx: &Context, e: &mut Emitter) {
    let Some((d, _)) = dockerfile(ctx) else { return };
    for ins in d.instructions.iter().filter(|i| i.is("RUN")) {
        let cmds: Vec<(Vec<String>, Span)> = match &ins.exec {
            Some(v) => vec![(v.clone(), ins.span)],
            None => ins.shell_commands().iter().map(|c| (c.words.iter().map(|a| a.text.clone()).collect(), c.span)).collect(),
        };
        for (words, span) in cmds {
            let Some(p) = words.iter().position(|w| w == "apk" || w.ends_with("/apk")) else { continue };
            let rest = &words[p + 1..];
            let is_add = rest.iter().find(|w| !w.starts_with('-')).map(String::as_str) == Some("add");
            if is_add && !rest.iter().any(|w| w == "--no-cache") {
                e.emit(
                    &d.path,
                    Some(span),
                    "`apk add` without `--no-cache` leaves the package index in the image layer",
                    "write `apk add --no-cache …` (and drop any `apk update` before it)",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Project;
    use crate::repo::Artifacts;

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
