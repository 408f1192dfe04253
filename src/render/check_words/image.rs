//! The words of [`ImageFact`] (src/results/fact/image.rs).

use crate::results::fact::ImageFact;

pub fn words(f: &ImageFact) -> String {
    match f {
        ImageFact::IdleContainer => "(the boot failed: checked in an idle container of the image, PID 1 = sleep)".into(),
        ImageFact::MainProcessUid { uid } => format!("the container's main process runs as uid {uid}"),
        ImageFact::MainProcessUidUnexpected { uid } => format!("the container's main process runs as uid {uid}, expected 1000 (node)"),
        ImageFact::ProcStatusUnread { exit_code, output } => format!("reading /proc/1/status exited {exit_code}: {output}"),
        ImageFact::UserIsNode => "the image's user is node".into(),
        ImageFact::UserUnexpected { user } => format!("the image's user is {user:?}, expected node"),
        ImageFact::OwnedByNode { path } => format!("{path} is owned by node:node"),
        ImageFact::OwnerUnexpected { stat_line } => format!("{stat_line}: expected owner node:node"),
        ImageFact::StatFailed { paths, exit_code, output } => format!("stat {} exited {exit_code}: {output}", paths.join(" ")),
        ImageFact::NoOwnEnv { base } => format!("no ENV of its own beyond the base {base}'s"),
        ImageFact::OwnEnv { keys, base } => format!("the image sets ENV of its own: {} (the base {base} does not)", keys.join(", ")),
        ImageFact::BaseUninspected { base, error } => format!("inspecting the base image {base}: {error}"),
        ImageFact::BaseUnknown => "cannot tell the base image (no Dockerfile FROM in --repo; pass --base-image)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words the image-facts scenario wrote before its checks stored facts, byte for byte.
    #[test]
    fn the_words_are_the_scenarios_old_words() {
        let base = || "directus/directus:11.17.4".to_string();
        let cases: Vec<(ImageFact, &str)> = vec![
            (ImageFact::IdleContainer, "(the boot failed: checked in an idle container of the image, PID 1 = sleep)"),
            (ImageFact::MainProcessUid { uid: "1000".into() }, "the container's main process runs as uid 1000"),
            (ImageFact::MainProcessUidUnexpected { uid: "?".into() }, "the container's main process runs as uid ?, expected 1000 (node)"),
            (
                ImageFact::ProcStatusUnread { exit_code: 1, output: "cat: can't open '/proc/1/status': No such file or directory".into() },
                "reading /proc/1/status exited 1: cat: can't open '/proc/1/status': No such file or directory",
            ),
            (ImageFact::UserIsNode, "the image's user is node"),
            (ImageFact::UserUnexpected { user: "root".into() }, "the image's user is \"root\", expected node"),
            (ImageFact::OwnedByNode { path: "/directus/db-post".into() }, "/directus/db-post is owned by node:node"),
            (ImageFact::OwnerUnexpected { stat_line: "/directus/db-init root:root 0".into() }, "/directus/db-init root:root 0: expected owner node:node"),
            (
                ImageFact::StatFailed {
                    paths: vec!["/directus/db-init".into(), "/directus/snapshots".into()],
                    exit_code: 1,
                    output: "stat: can't stat '/directus/snapshots': No such file or directory".into(),
                },
                "stat /directus/db-init /directus/snapshots exited 1: stat: can't stat '/directus/snapshots': No such file or directory",
            ),
            (ImageFact::NoOwnEnv { base: base() }, "no ENV of its own beyond the base directus/directus:11.17.4's"),
            (
                ImageFact::OwnEnv { keys: vec!["API_TOKEN".into(), "DEBUG".into()], base: base() },
                "the image sets ENV of its own: API_TOKEN, DEBUG (the base directus/directus:11.17.4 does not)",
            ),
            (
                ImageFact::BaseUninspected { base: base(), error: "No such image: directus/directus:11.17.4".into() },
                "inspecting the base image directus/directus:11.17.4: No such image: directus/directus:11.17.4",
            ),
            (ImageFact::BaseUnknown, "cannot tell the base image (no Dockerfile FROM in --repo; pass --base-image)"),
        ];
        for (f, old) in cases {
            assert_eq!(words(&f), old, "{f:?}");
        }
    }
}
