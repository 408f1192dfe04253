//! stale-replica: an older replica restarting after a newer snapshot was applied (a rolling
//! update, a node drain, a rollback of the service) must not revert the schema.
//!
//! The older replica is made from the image under test: the same image with an older snapshot
//! — the repository's snapshot without one plain field (no key, no relation, nothing in its
//! collection's meta names it) — uploaded as JSON and pointed at with `TRM_SNAPSHOT_FILE`, and
//! `TRM_IMAGE_REVISION=smoke-older` (the image under test boots as `smoke-head`). So it needs
//! no base image and always has a snapshot that differs; a base built from git (the upgrade
//! drill's rollback step) may carry the same snapshot, or be refused by db-init first.
//!
//! On its own database: the older replica boots and applies its snapshot; the head applies its
//! own (`[schema] applied: 1 field created`); the older container is started again. Both are
//! the same Directus, so the README's guard says: `[schema] kept newer` naming both
//! revisions, no plan, healthy, and serving the newer schema — the field is still a column,
//! Directus answers `GET /fields/<collection>/<field>` through the older replica, and the last
//! row of `trm_db_init.schema_history` is still the head's.

use super::{Ctx, Kind, Recorder, Scenario, Shared};
use crate::directus::Client;
use crate::docker::engine::short_err;
use crate::docker::stack::{follow_logs, is_step_marker, TAIL};
use bollard::query_parameters::UploadToContainerOptionsBuilder;
use serde_json::Value;
use std::time::Duration;

const UPLOAD_DIR: &str = "/tmp/trm-smoke-stale";
const OLDER: &str = "smoke-older";
const HEAD: &str = "smoke-head";

/// The field the older snapshot lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    pub collection: String,
    pub field: String,
}

/// `text` (the snapshot at `path`) without its last plain field, as JSON (which the schema step
/// reads from a `.json` file): a field with a column of its own that is not a primary or
/// foreign key, that no relation uses, and that its collection's meta does not name.
pub fn older_snapshot(path: &str, text: &str) -> Result<(String, Dropped), String> {
    let src = crate::source::SourceFile::new(path, text.as_bytes().to_vec(), None);
    let s = crate::model::snapshot::Snapshot::parse(&src);
    if let Some(e) = s.errors.first() {
        return Err(format!("{path}: {}", e.message));
    }
    let mut doc = s.json().ok_or_else(|| format!("{path}: not readable as a snapshot document"))?;
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let related: Vec<(String, String)> = doc["relations"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .flat_map(|r| {
                    let c = str_of(r, "collection");
                    let rc = str_of(r, "related_collection");
                    let meta = &r["meta"];
                    [
                        (c.clone(), str_of(r, "field")),
                        (rc.clone(), str_of(meta, "one_field")),
                        (c.clone(), str_of(meta, "junction_field")),
                        (c, str_of(meta, "sort_field")),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let meta_of = |c: &str| -> String {
        doc["collections"]
            .as_array()
            .and_then(|cs| cs.iter().find(|x| x["collection"] == c))
            .map(|x| x["meta"].to_string())
            .unwrap_or_default()
    };
    let fields = doc["fields"].as_array().ok_or_else(|| format!("{path}: no fields list"))?;
    let pick = fields.iter().rposition(|f| {
        let (c, name) = (str_of(f, "collection"), str_of(f, "field"));
        let schema = &f["schema"];
        schema.is_object()
            && f["type"] != "alias"
            && schema["is_primary_key"] != true
            && schema["foreign_key_table"].is_null()
            && !related.iter().any(|(rc, rf)| *rc == c && *rf == name)
            && !meta_of(&c).contains(&format!("\"{name}\""))
            && !meta_of(&c).contains(&format!("{{{{{name}}}}}"))
    });
    let i = pick.ok_or_else(|| format!("{path}: no plain field to leave out of an older snapshot"))?;
    let f = doc["fields"].as_array_mut().map(|a| a.remove(i)).unwrap_or_default();
    let dropped = Dropped { collection: str_of(&f, "collection"), field: str_of(&f, "field") };
    Ok((doc.to_string(), dropped))
}

/// A tar of `UPLOAD_DIR/snapshot.json`, owned by node.
fn upload_tar(json: &str) -> Result<Vec<u8>, String> {
    let mut b = tar::Builder::new(Vec::new());
    let dir = UPLOAD_DIR.trim_start_matches("/tmp/");
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_size(0);
    h.set_mtime(0);
    b.append_data(&mut h, format!("{dir}/"), std::io::empty()).map_err(|e| e.to_string())?;
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_size(json.len() as u64);
    h.set_mtime(0);
    b.append_data(&mut h, format!("{dir}/snapshot.json"), json.as_bytes()).map_err(|e| e.to_string())?;
    b.into_inner().map_err(|e| e.to_string())
}

pub async fn run(ctx: &Ctx, _shared: &mut Shared) -> Scenario {
    let mut r = Recorder::new(Kind::StaleReplica);
    let st = &ctx.stack;
    let (json, dropped) = match older_snapshot(&ctx.expect.snapshot_path, &ctx.expect.snapshot_text) {
        Ok(x) => x,
        Err(e) => return r.abort(e, vec![]),
    };
    let field = format!("{}.{}", dropped.collection, dropped.field);
    r.note(format!(
        "the older replica: {} with the snapshot without {field} (TRM_SNAPSHOT_FILE, revision {OLDER}); the head: the image as built (revision {HEAD})",
        ctx.opts.image
    ));
    let pg = match st.start_postgres("pg-stale").await {
        Ok(p) => p,
        Err(e) => return r.abort(e, vec![]),
    };
    let mut env = st.app_env(&pg, "directus");
    env.push(format!("TRM_SNAPSHOT_FILE={UPLOAD_DIR}/snapshot.json"));
    env.push(format!("TRM_IMAGE_REVISION={OLDER}"));
    let older = match st.create_app("stale-older", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(e, vec![]),
    };
    let tar = match upload_tar(&json) {
        Ok(t) => t,
        Err(e) => return r.abort(format!("making the snapshot upload: {e}"), vec![]),
    };
    if let Err(e) = st
        .docker
        .upload_to_container(&older, Some(UploadToContainerOptionsBuilder::default().path("/tmp").build()), bollard::body_full(tar.into()))
        .await
    {
        return r.abort(format!("uploading the older snapshot: {}", short_err(&e)), vec![]);
    }
    let column = format!(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}' AND column_name = '{}'",
        dropped.collection.replace('\'', "''"),
        dropped.field.replace('\'', "''")
    );

    // 1. the older replica on the empty database, until it starts Directus
    let older_lines = match boot_until_start(ctx, &older, 0).await {
        Ok((applied, lines)) => {
            r.pass(format!("older replica: `{applied}`"));
            lines
        }
        Err((e, tail)) => return r.abort(format!("older replica: {e}"), tail),
    };
    // 2. the head: applies the field
    let mut env = st.app_env(&pg, "directus");
    env.push(format!("TRM_IMAGE_REVISION={HEAD}"));
    let head = match st.create_app("stale-head", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(e, vec![]),
    };
    match boot_until_start(ctx, &head, 0).await {
        Ok((applied, _)) if applied.ends_with("applied: 1 field created") => r.pass(format!("head: `{applied}` ({field})")),
        Ok((applied, _)) => r.fail(format!("head: expected `[schema] applied: 1 field created` ({field}), the log says `{applied}`")),
        Err((e, tail)) => return r.abort(format!("head: {e}"), tail),
    }
    match st.psql(&pg, "directus", &column).await {
        Ok((0, n)) if n.trim() == "1" => {}
        other => r.fail(format!("after the head's boot, {field} is not a column: {other:?}")),
    }

    // 3. the older replica restarts
    let b = st.boot(&older, older_lines, true).await;
    r.times(&b);
    let kept = b.logs.find(|l| l.contains("[schema] kept newer"));
    match (&b.failure, &kept) {
        (None, Some(l)) if l.contains(&format!("revision {OLDER}")) && l.contains(&format!("revision {HEAD}")) => r.pass(format!(
            "the older replica restarted: `{}`; healthy after {:.1} s",
            crate::source::excerpt(l.trim(), 200),
            b.healthy.unwrap_or_default()
        )),
        (None, Some(l)) => r.fail(format!("the `kept newer` line does not name both revisions ({OLDER}, {HEAD}): `{}`", l.trim())),
        (None, None) => r.fail("the older replica restarted healthy without a `[schema] kept newer` line"),
        (Some(f), _) => match b.logs.find(|l| l.contains("[schema] ERROR") && l.contains("refusing to start")) {
            Some(l) => r.fail(format!(
                "the older replica refused to start (`{}`): the README says a replica of the same Directus starts on the newer schema",
                crate::source::excerpt(l.trim(), 160)
            )),
            None => r.fail(format!("the older replica restarted: {f}")),
        },
    }
    if let Some(l) = b.logs.find(|l| l.contains("[schema] plan:") || l.contains("[schema] applied")) {
        r.fail(format!("the older replica planned or applied its snapshot: `{}`", l.trim()));
    }
    match st.psql(&pg, "directus", &column).await {
        Ok((0, n)) if n.trim() == "1" => r.pass(format!("{field} is still a column: the schema was not reverted")),
        other => r.fail(format!("{field} is gone after the older replica's boot: {other:?}")),
    }
    match st.psql(&pg, "directus", "SELECT revision || ' ' || result FROM trm_db_init.schema_history ORDER BY id DESC LIMIT 1").await {
        Ok((0, last)) if last.trim().starts_with(&format!("{HEAD} ")) => {
            r.pass(format!("the schema in force is still the head's (schema_history: `{}`)", last.trim()))
        }
        other => r.fail(format!("the last schema_history row is not the head's: {other:?}")),
    }
    if let (None, Some(port)) = (&b.failure, b.port) {
        let s = &st.secrets;
        let served = match Client::login(port, &s.admin_email, &s.admin_password).await {
            Ok(c) => c.get(&format!("/fields/{}/{}", dropped.collection, dropped.field)).await.map(|_| ()),
            Err(e) => Err(e),
        };
        match served {
            Ok(()) => r.pass(format!("the older replica serves the newer schema: GET /fields/{}/{} answers", dropped.collection, dropped.field)),
            Err(e) => r.fail(format!("the older replica does not serve {field}: {e}")),
        }
    }
    st.stop(&older).await;
    r.finish(b.logs.tail(TAIL))
}

/// Starts `name` and waits for its `[entrypoint] step 4/4` line (the schema step done), then
/// kills it: its `[schema]` result line and how many lines it printed (for its next start).
async fn boot_until_start(ctx: &Ctx, name: &str, skip: usize) -> Result<(String, usize), (String, Vec<String>)> {
    let st = &ctx.stack;
    st.start(name).await.map_err(|e| (e, vec![]))?;
    let logs = follow_logs(&st.docker, name, skip);
    let waited = st.wait_line(&logs, name, "the start step's `[entrypoint]` line", |l| is_step_marker(l, "step 4/4")).await;
    let _ = st.kill(name).await;
    logs.wait_done(Duration::from_secs(10)).await;
    if let Err(e) = waited {
        let cause = logs.find(|l| l.contains("] ERROR")).map(|l| format!(": {}", l.trim())).unwrap_or_default();
        return Err((format!("{e}{cause}"), logs.tail(TAIL)));
    }
    let line = logs
        .find(|l| l.contains("[schema] applied") || l.contains("[schema] no changes") || l.contains("[schema] kept newer"))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "no `[schema]` result line".into());
    Ok((line, skip + logs.snapshot().len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_older_snapshot_leaves_out_the_last_plain_field() {
        let y = [
            "version: 1",
            "directus: 11.17.4",
            "vendor: postgres",
            "collections:",
            "  - collection: a",
            "    meta: {sort_field: sort}",
            "    schema: {name: a}",
            "fields:",
            "  - collection: a",
            "    field: id",
            "    type: integer",
            "    schema: {is_primary_key: true}",
            "  - collection: a",
            "    field: note",
            "    type: string",
            "    schema: {is_primary_key: false, foreign_key_table: null}",
            "  - collection: a",
            "    field: sort",
            "    type: integer",
            "    schema: {is_primary_key: false}",
            "  - collection: a",
            "    field: owner",
            "    type: integer",
            "    schema: {foreign_key_table: b}",
            "  - collection: a",
            "    field: tags",
            "    type: alias",
            "    schema: null",
            "relations: []",
            "",
        ]
        .join("\n");
        let (json, d) = older_snapshot("s.yaml", &y).unwrap();
        assert_eq!(d, Dropped { collection: "a".into(), field: "note".into() });
        let v: Value = serde_json::from_str(&json).unwrap();
        let names: Vec<&str> = v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["id", "sort", "owner", "tags"]);
        assert_eq!(v["version"], 1);
    }

    #[test]
    fn the_project_snapshot_has_a_field_to_leave_out() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/snapshot.yaml")).unwrap();
        let (_, d) = older_snapshot("snapshots/snapshot.yaml", &text).unwrap();
        assert!(!d.field.is_empty() && !d.collection.is_empty());
    }
}
