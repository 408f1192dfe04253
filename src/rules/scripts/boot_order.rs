//! `scripts/boot-order`: the rule (id, severity, summary), its doc (`trm-ci explain scripts/boot-order`) and its check.

use super::*;

pub const RULE: Rule = Rule {
    id: "scripts/boot-order",
    severity: Severity::Error,
    summary: "the entrypoint does not run db-init, then schema apply, then db-post (when there is one), then `exec` the Directus start",
    doc: DOC,
    needs_base: false,
    check,
};

const DOC: &str = r#"## What it does
Checks that the entrypoint runs the boot steps in this order: the db-init
runner (a command whose program, or a `*.sh` it runs, is named after
`db-init` or the configured migrations directory), then the schema apply
(a `*schema-apply*` script, or `cli.js schema apply`), then — when the
repository has a post-schema directory (`db-post/`, `[paths]
post_migrations`) with files — the db-post runner (a `*db-post*` script,
or the db-init runner given `db-post` as an argument), then `exec` of the
Directus start (`exec node /directus/cli.js start`,
`exec "$node" "$dir/cli.js" start`, `exec pm2-runtime start …`). Each
missing step, a step before the one it must follow, and a start without
`exec` are reported. `echo`/`printf` lines that name a step do not count.
A db-post step is allowed without a db-post directory (the runner treats a
missing one as empty), but only in its place.

Severity: error.

## Why is this bad?
The schema apply needs the SQL objects db-init creates; the db-post SQL
alters, indexes and triggers the tables the schema apply creates, so it
must come after it and before Directus serves; Directus must not serve
before its schema is there; and without `exec` the shell stays in between,
so `docker stop`'s SIGTERM never reaches Directus and it is killed without
a clean shutdown.

## Example
```bash
"$scripts_dir/schema-apply.sh"
"$scripts_dir/apply-db-init.sh"
node /directus/cli.js start
```

## Use instead
```bash
"$scripts_dir/apply-db-init.sh"
"$scripts_dir/schema-apply.sh"
"$scripts_dir/apply-db-post.sh"   # when the repository has db-post/
exec node /directus/cli.js start
```
"#;

fn step_name(k: BootStepKind) -> &'static str {
    match k {
        BootStepKind::DbInit => "db-init",
        BootStepKind::SchemaApply => "the schema apply",
        BootStepKind::DbPost => "the db-post step",
        BootStepKind::Start => "the Directus start",
    }
}

fn check(ctx: &Context, e: &mut Emitter) {
    let Some((s, src, _)) = checked(ctx).into_iter().find(|(_, _, is_entry)| *is_entry) else { return };
    let migrations = norm(&ctx.head.paths.migrations);
    let marker = migrations.rsplit('/').next().unwrap_or(migrations);
    let post_dir = norm(&ctx.head.paths.post_migrations);
    let post_marker = post_dir.rsplit('/').next().unwrap_or(post_dir);
    let steps = s.boot_steps(&[marker], &[post_marker]);
    let first = |k: BootStepKind| steps.iter().find(|b| b.kind == k);
    let top = src.line_span(1);
    let (db, schema, post, start) =
        (first(BootStepKind::DbInit), first(BootStepKind::SchemaApply), first(BootStepKind::DbPost), first(BootStepKind::Start));
    if db.is_none() {
        e.emit(
            &s.path,
            Some(top),
            "the entrypoint never runs db-init: the migrations are not applied before Directus boots",
            "run the db-init runner first, e.g. `\"$scripts_dir/apply-db-init.sh\"`",
        );
    }
    if schema.is_none() {
        e.emit(
            &s.path,
            Some(top),
            "the entrypoint never applies the schema snapshot",
            "run the schema apply after db-init, e.g. `\"$scripts_dir/schema-apply.sh\"`",
        );
    }
    if post.is_none() && ctx.head.has_post_migrations() {
        e.emit(
            &s.path,
            Some(schema.map(|st| st.span).unwrap_or(top)),
            format!("the repository has `{post_dir}/`, but the entrypoint never runs it: its migrations are never applied"),
            "run the db-post runner after the schema apply and before the start, e.g. `\"$scripts_dir/apply-db-post.sh\"`",
        );
    }
    match start {
        None => e.emit(
            &s.path,
            Some(top),
            "the entrypoint never starts Directus",
            "end with `exec node /directus/cli.js start`",
        ),
        Some(st) if !st.exec => e.emit(
            &s.path,
            Some(st.span),
            format!("Directus is started without `exec` (`{}`): bash stays PID 1 and `docker stop` never reaches Directus", first_line(src, st.span)),
            "start it with `exec`, as the last command: `exec node /directus/cli.js start`",
        ),
        _ => {}
    }
    // Order: each present step must come after the present steps before it.
    let present: Vec<_> = [db, schema, post, start].into_iter().flatten().collect();
    let order = if post.is_some() || ctx.head.has_post_migrations() {
        "db-init, then schema apply, then db-post, then `exec` start"
    } else {
        "db-init, then schema apply, then `exec` start"
    };
    for (i, later_kind) in present.iter().enumerate() {
        if let Some(earlier) = present[..i].iter().find(|p| p.span.offset > later_kind.span.offset) {
            e.emit(
                &s.path,
                Some(later_kind.span),
                format!(
                    "{} (line {}) runs before {} (line {}): the order must be {order}",
                    capitalise(step_name(later_kind.kind)),
                    later_kind.span.line,
                    step_name(earlier.kind),
                    earlier.span.line
                ),
                format!("move it below line {}", earlier.span.line),
            );
            break;
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
