//! Directus's side of the upgrade: the Directus version each image runs (the `version` of the
//! container's `/directus/package.json`: the `directus` package itself in the upstream image and
//! in the stand-ins) and Directus's own migrations the head's boot ran (the rows of
//! `directus_migrations` that were not there before it).
//!
//! The migrations are read from the database, not from the boot's log: Directus logs
//! `Applying <name>...` at the info level, which a deployment's `LOG_LEVEL` can hide, while
//! every migration it runs is a row of `directus_migrations` (version, name, timestamp),
//! written in the same transaction as the migration.

use bollard::query_parameters::DownloadFromContainerOptionsBuilder;
use futures_util::StreamExt;

use crate::docker::engine::short_err;
use crate::docker::stack::Stack;
use crate::results::DirectusMigration;
use crate::source::excerpt;

/// The Directus version in `container` (created, running or stopped).
pub async fn version(stack: &Stack, container: &str) -> Result<String, String> {
    let opts = DownloadFromContainerOptionsBuilder::default().path("/directus/package.json").build();
    let mut stream = stack.docker.download_from_container(container, Some(opts));
    let mut tar = Vec::new();
    while let Some(chunk) = stream.next().await {
        tar.extend_from_slice(&chunk.map_err(|e| format!("reading /directus/package.json from {container}: {}", short_err(&e)))?);
        if tar.len() > 1 << 20 {
            return Err(format!("{container}: /directus/package.json is over 1 MiB"));
        }
    }
    package_version(&tar).map_err(|e| format!("{container}: /directus/package.json: {e}"))
}

/// The `version` of the one `package.json` in a tar archive (what the engine's archive
/// endpoint answers).
fn package_version(tar: &[u8]) -> Result<String, String> {
    let mut archive = tar::Archive::new(tar);
    let mut entry = archive.entries().map_err(|e| e.to_string())?.next().ok_or("empty archive")?.map_err(|e| e.to_string())?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    json["version"].as_str().map(String::from).ok_or_else(|| "no \"version\"".to_string())
}

/// Every row of `directus_migrations`, by version; empty when Directus is not installed.
pub async fn migrations(stack: &Stack, pg: &str) -> Result<Vec<DirectusMigration>, String> {
    let sql = "select coalesce(json_agg(json_build_object('version', version, 'name', name) order by version), '[]') \
               from directus_migrations where to_regclass('public.directus_migrations') is not null";
    // to_regclass in WHERE does not stop the planner from resolving the table: ask first.
    match stack.psql(pg, "directus", "select to_regclass('public.directus_migrations') is not null").await? {
        (0, out) if out.trim() == "f" => return Ok(Vec::new()),
        (0, _) => {}
        (code, out) => return Err(format!("psql exited {code}: {}", excerpt(&out, 300))),
    }
    match stack.psql(pg, "directus", sql).await? {
        (0, out) => {
            let v: Vec<serde_json::Value> = serde_json::from_str(out.trim()).map_err(|e| format!("psql answered {:?}: {e}", excerpt(&out, 300)))?;
            Ok(v.iter()
                .map(|m| DirectusMigration {
                    version: m["version"].as_str().unwrap_or_default().to_string(),
                    name: m["name"].as_str().unwrap_or_default().to_string(),
                })
                .collect())
        }
        (code, out) => Err(format!("psql exited {code}: {}", excerpt(&out, 300))),
    }
}

/// The migrations in `after` that are not in `before` (by version), in `after`'s order.
pub fn ran(before: &[DirectusMigration], after: &[DirectusMigration]) -> Vec<DirectusMigration> {
    after.iter().filter(|m| !before.iter().any(|b| b.version == m.version)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &str, n: &str) -> DirectusMigration {
        DirectusMigration { version: v.into(), name: n.into() }
    }

    #[test]
    fn the_migrations_that_ran_are_the_new_rows() {
        let before = [m("20250101A", "A"), m("20250202A", "B")];
        let after = [m("20250101A", "A"), m("20250202A", "B"), m("20260217A", "Nullable Version Item"), m("20260303A", "C")];
        assert_eq!(ran(&before, &after), [m("20260217A", "Nullable Version Item"), m("20260303A", "C")]);
        assert!(ran(&after, &after).is_empty());
    }

    #[test]
    fn the_version_comes_from_the_archived_package_json() {
        let mut b = tar::Builder::new(Vec::new());
        let body = br#"{"name":"directus","version":"12.4.1","type":"module"}"#;
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "package.json", &body[..]).unwrap();
        let tar = b.into_inner().unwrap();
        assert_eq!(package_version(&tar).unwrap(), "12.4.1");
        assert!(package_version(b"").is_err());
    }
}
