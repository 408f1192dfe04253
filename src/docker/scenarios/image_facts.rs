//! image facts: the main process runs as uid 1000 (node), db-init/ and snapshots/ are owned by
//! node, the image sets no ENV of its own. Checked in the running app container when warm left
//! one, else in an idle container of the image.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::engine::short_err;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::ImageFacts);
    let st = &ctx.stack;
    let container = if shared.app_running {
        shared.app.clone()
    } else {
        // The boot did not get far: look at the image in an idle container (same USER).
        let c = match st.create_app("facts", &ctx.opts.image, vec![], Some(vec!["sleep".into(), "300".into()]), false).await {
            Ok(c) => c,
            Err(e) => return r.abort(e, vec![]),
        };
        if let Err(e) = st.start(&c).await {
            return r.abort(e, vec![]);
        }
        r.note("(the boot failed: checked in an idle container of the image, PID 1 = sleep)");
        c
    };
    match st.exec(&container, &["cat", "/proc/1/status"], &[]).await {
        Ok((0, out)) => {
            let uid = out.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("?").to_string();
            if uid == "1000" {
                r.pass("the container's main process runs as uid 1000");
            } else {
                r.fail(format!("the container's main process runs as uid {uid}, expected 1000 (node)"));
            }
        }
        Ok((c, out)) => r.fail(format!("reading /proc/1/status exited {c}: {}", out.trim())),
        Err(e) => r.fail(e),
    }
    match st.exec(&container, &["id", "-un"], &[]).await {
        Ok((0, out)) if out.trim() == "node" => r.pass("the image's user is node"),
        Ok((_, out)) => r.fail(format!("the image's user is {:?}, expected node", out.trim())),
        Err(e) => r.fail(e),
    }
    let mut dirs = vec!["/directus/db-init", "/directus/snapshots"];
    if !ctx.expect.db_post_files.is_empty() {
        dirs.push("/directus/db-post");
    }
    let mut stat = vec!["stat", "-c", "%n %U:%G %u"];
    stat.extend(&dirs);
    match st.exec(&container, &stat, &[]).await {
        Ok((0, out)) => {
            for l in out.lines() {
                let w: Vec<&str> = l.split_whitespace().collect();
                if w.len() == 3 && w[1] == "node:node" {
                    r.pass(format!("{} is owned by node:node", w[0]));
                } else {
                    r.fail(format!("{l}: expected owner node:node"));
                }
            }
        }
        Ok((c, out)) => r.fail(format!("stat {} exited {c}: {}", dirs.join(" "), out.trim())),
        Err(e) => r.fail(e),
    }
    match ctx.base.clone() {
        Some(b) => match st.docker.inspect_image(&b).await {
            Ok(bi) => {
                let base_env = bi.config.and_then(|c| c.env).unwrap_or_default();
                let own: Vec<String> = ctx
                    .image
                    .config
                    .clone()
                    .and_then(|c| c.env)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| !base_env.contains(e))
                    .collect();
                if own.is_empty() {
                    r.pass(format!("no ENV of its own beyond the base {b}'s"));
                } else {
                    let keys: Vec<&str> = own.iter().map(|e| e.split('=').next().unwrap_or("")).collect();
                    r.fail(format!("the image sets ENV of its own: {} (the base {b} does not)", keys.join(", ")));
                }
            }
            Err(e) => r.fail(format!("inspecting the base image {b}: {}", short_err(&e))),
        },
        None => r.fail("cannot tell the base image (no Dockerfile FROM in --repo; pass --base-image)"),
    }
    r.finish(vec![])
}
