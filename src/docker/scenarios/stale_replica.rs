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
use crate::results::fact::replicas::{PsqlAnswer, StaleRole};
use crate::results::fact::{CommonFact, ReplicaFact};
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
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let (collection, field) = (dropped.collection.clone(), dropped.field.clone());
    r.note(ReplicaFact::StaleSetup {
        image: ctx.opts.image.clone(),
        collection: collection.clone(),
        field: field.clone(),
        older: OLDER.into(),
        head: HEAD.into(),
    });
    let pg = match st.start_postgres("pg-stale").await {
        Ok(p) => p,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let mut env = st.app_env(&pg, "directus");
    env.push(format!("TRM_SNAPSHOT_FILE={UPLOAD_DIR}/snapshot.json"));
    env.push(format!("TRM_IMAGE_REVISION={OLDER}"));
    let older = match st.create_app("stale-older", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    let tar = match upload_tar(&json) {
        Ok(t) => t,
        Err(error) => return r.abort(ReplicaFact::SnapshotUploadUnmade { error }, vec![]),
    };
    if let Err(e) = st
        .docker
        .upload_to_container(&older, Some(UploadToContainerOptionsBuilder::default().path("/tmp").build()), bollard::body_full(tar.into()))
        .await
    {
        return r.abort(ReplicaFact::SnapshotUploadFailed { error: short_err(&e) }, vec![]);
    }
    let column = format!(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}' AND column_name = '{}'",
        dropped.collection.replace('\'', "''"),
        dropped.field.replace('\'', "''")
    );

    // 1. the older replica on the empty database, until it starts Directus
    let older_lines = match boot_until_start(ctx, &older, StaleRole::Older).await {
        Ok((schema_line, lines)) => {
            r.pass(ReplicaFact::OlderSchemaLine { schema_line });
            lines
        }
        Err((why, tail)) => return r.abort(why, tail),
    };
    // 2. the head: applies the field
    let mut env = st.app_env(&pg, "directus");
    env.push(format!("TRM_IMAGE_REVISION={HEAD}"));
    let head = match st.create_app("stale-head", &ctx.opts.image, env, None, true).await {
        Ok(n) => n,
        Err(e) => return r.abort(CommonFact::Error { error: e }, vec![]),
    };
    match boot_until_start(ctx, &head, StaleRole::Head).await {
        Ok((Some(schema_line), _)) if schema_line.ends_with("applied: 1 field created") => {
            r.pass(ReplicaFact::HeadAppliedField { schema_line, collection: collection.clone(), field: field.clone() })
        }
        Ok((schema_line, _)) => r.fail(ReplicaFact::HeadAppliedOther { schema_line, collection: collection.clone(), field: field.clone() }),
        Err((why, tail)) => return r.abort(why, tail),
    }
    match st.psql(&pg, "directus", &column).await {
        Ok((0, n)) if n.trim() == "1" => {}
        other => r.fail(ReplicaFact::ColumnMissingAfterHead { collection: collection.clone(), field: field.clone(), answer: PsqlAnswer::from(other) }),
    }

    // 3. the older replica restarts
    let b = st.boot(&older, older_lines, true).await;
    r.times(&b);
    let kept = b.logs.find(|l| l.contains("[schema] kept newer"));
    match (&b.failure, &kept) {
        (None, Some(l)) if l.contains(&format!("revision {OLDER}")) && l.contains(&format!("revision {HEAD}")) => {
            r.pass(ReplicaFact::OlderKeptNewer { line: l.trim().to_string(), seconds: b.healthy.unwrap_or_default() })
        }
        (None, Some(l)) => r.fail(ReplicaFact::KeptNewerUnnamed { line: l.trim().to_string(), older: OLDER.into(), head: HEAD.into() }),
        (None, None) => r.fail(ReplicaFact::OlderWithoutKeptNewer),
        (Some(f), _) => match b.logs.find(|l| l.contains("[schema] ERROR") && l.contains("refusing to start")) {
            Some(l) => r.fail(ReplicaFact::OlderRefused { line: l.trim().to_string() }),
            None => r.fail(ReplicaFact::OlderBootFailed { failure: f.clone() }),
        },
    }
    if let Some(l) = b.logs.find(|l| l.contains("[schema] plan:") || l.contains("[schema] applied")) {
        r.fail(ReplicaFact::OlderPlannedOrApplied { line: l.trim().to_string() });
    }
    match st.psql(&pg, "directus", &column).await {
        Ok((0, n)) if n.trim() == "1" => r.pass(ReplicaFact::ColumnKept { collection: collection.clone(), field: field.clone() }),
        other => r.fail(ReplicaFact::ColumnGone { collection: collection.clone(), field: field.clone(), answer: PsqlAnswer::from(other) }),
    }
    match st.psql(&pg, "directus", "SELECT revision || ' ' || result FROM trm_db_init.schema_history ORDER BY id DESC LIMIT 1").await {
        Ok((0, last)) if last.trim().starts_with(&format!("{HEAD} ")) => r.pass(ReplicaFact::HeadSchemaInForce { row: last.trim().to_string() }),
        other => r.fail(ReplicaFact::HistoryNotHead { answer: PsqlAnswer::from(other) }),
    }
    if let (None, Some(port)) = (&b.failure, b.port) {
        let s = &st.secrets;
        let served = match Client::login(port, &s.admin_email, &s.admin_password).await {
            Ok(c) => c.get(&format!("/fields/{}/{}", dropped.collection, dropped.field)).await.map(|_| ()),
            Err(e) => Err(e),
        };
        match served {
            Ok(()) => r.pass(ReplicaFact::OlderServesField { collection, field }),
            Err(error) => r.fail(ReplicaFact::OlderMissesField { collection, field, error }),
        }
    }
    st.stop(&older).await;
    r.finish(b.logs.tail(TAIL))
}

/// Starts `name` (the `role` container, not started before) and waits for its `[entrypoint]
/// step 4/4` line (the schema step done), then kills it: its `[schema]` result line (None: it
/// printed none) and how many lines it printed (for its next start); or why not, and its log.
async fn boot_until_start(ctx: &Ctx, name: &str, role: StaleRole) -> Result<(Option<String>, usize), (ReplicaFact, Vec<String>)> {
    let st = &ctx.stack;
    st.start(name).await.map_err(|error| (ReplicaFact::StartStepMissed { role, error, error_line: None }, vec![]))?;
    let logs = follow_logs(&st.docker, name, 0);
    let waited = st.wait_line(&logs, name, "the start step's `[entrypoint]` line", |l| is_step_marker(l, "step 4/4")).await;
    let _ = st.kill(name).await;
    logs.wait_done(Duration::from_secs(10)).await;
    if let Err(error) = waited {
        let error_line = logs.find(|l| l.contains("] ERROR")).map(|l| l.trim().to_string());
        return Err((ReplicaFact::StartStepMissed { role, error, error_line }, logs.tail(TAIL)));
    }
    let line = logs
        .find(|l| l.contains("[schema] applied") || l.contains("[schema] no changes") || l.contains("[schema] kept newer"))
        .map(|l| l.trim().to_string());
    Ok((line, logs.snapshot().len()))
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
