//! `dockerfile/entrypoint`: the rule (id, severity, summary), its doc (`trm-ci explain dockerfile/entrypoint`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "dockerfile/entrypoint",
    severity: Severity::Error,
    summary: "the ENTRYPOINT is not the exec form of /directus/entrypoint.sh (directly or under tini/dumb-init)",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
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

fn check(ctx: &Context, e: &mut Emitter) {
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
