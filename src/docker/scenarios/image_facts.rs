//! image facts: the main process runs as uid 1000 (node), db-init/ and snapshots/ are owned by
//! node, the image sets no ENV of its own. Checked in the running app container when warm left
//! one, else in an idle container of the image.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::docker::engine::short_err;
use crate::results::fact::{CommonFact, ImageFact};

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::ImageFacts);
    let st = &ctx.stack;
    let container = if shared.app_running {
        shared.app.clone()
    } else {
        // The boot did not get far: look at the image in an idle container (same USER).
        let c = match st.create_app("facts", &ctx.opts.image, vec![], Some(vec!["sleep".into(), "300".into()]), false).await {
            Ok(c) => c,
            Err(error) => return r.abort(CommonFact::Error { error }, vec![]),
        };
        if let Err(error) = st.start(&c).await {
            return r.abort(CommonFact::Error { error }, vec![]);
        }
        r.note(ImageFact::IdleContainer);
        c
    };
    match st.exec(&container, &["cat", "/proc/1/status"], &[]).await {
        Ok((0, out)) => {
            let uid = out.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("?").to_string();
            if uid == "1000" {
                r.pass(ImageFact::MainProcessUid { uid });
            } else {
                r.fail(ImageFact::MainProcessUidUnexpected { uid });
            }
        }
        Ok((exit_code, out)) => r.fail(ImageFact::ProcStatusUnread { exit_code, output: out.trim().to_string() }),
        Err(error) => r.fail(CommonFact::Error { error }),
    }
    match st.exec(&container, &["id", "-un"], &[]).await {
        Ok((0, out)) if out.trim() == "node" => r.pass(ImageFact::UserIsNode),
        Ok((_, out)) => r.fail(ImageFact::UserUnexpected { user: out.trim().to_string() }),
        Err(error) => r.fail(CommonFact::Error { error }),
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
                    r.pass(ImageFact::OwnedByNode { path: w[0].to_string() });
                } else {
                    r.fail(ImageFact::OwnerUnexpected { stat_line: l.to_string() });
                }
            }
        }
        Ok((exit_code, out)) => {
            let paths = dirs.iter().map(|d| d.to_string()).collect();
            r.fail(ImageFact::StatFailed { paths, exit_code, output: out.trim().to_string() })
        }
        Err(error) => r.fail(CommonFact::Error { error }),
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
                    r.pass(ImageFact::NoOwnEnv { base: b });
                } else {
                    let keys = own.iter().map(|e| e.split('=').next().unwrap_or("").to_string()).collect();
                    r.fail(ImageFact::OwnEnv { keys, base: b });
                }
            }
            Err(e) => r.fail(ImageFact::BaseUninspected { base: b, error: short_err(&e) }),
        },
        None => r.fail(ImageFact::BaseUnknown),
    }
    r.finish(vec![])
}
