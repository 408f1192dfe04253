//! The upgrade drill in words: the human text (part of `--format human`: what `trm-ci smoke
//! --upgrade-from REF` prints once its step lines are done), the one-line [`summary`] and the
//! snapshot's changes counted in words ([`change_words`]). The drill itself reports data; the
//! JSON renderer fills the document's version-1 word fields (`summary`, `schema_changes`) from
//! here ([`fill_words`], called by [`super::check_words::fill`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::schema_diff::{Change, What};
use crate::results::{DirectusUpgrade, DroppedColumn, Rollback, SchemaGuard, Upgrade};

/// Fills the document's word fields from the drill's data: `schema_changes` from `changes`,
/// then `summary`. Only for version-1 readers of the document: trm-ci's own renderers word the
/// drill from its data ([`summary_line`], [`snapshot_words`]).
pub fn fill_words(u: &mut Upgrade) {
    u.schema_changes = change_words(&u.changes);
    u.summary = summary(u);
}

/// The snapshot's changes in words, from the data (`changes`); a document written before that
/// field existed has only the stored words (`schema_changes`).
pub fn snapshot_words(u: &Upgrade) -> Vec<String> {
    if u.changes.is_empty() {
        u.schema_changes.clone()
    } else {
        change_words(&u.changes)
    }
}

/// The summary line as the renderers show it: worded from the data; the stored `summary` only
/// for a document that has no steps to word it from.
pub fn summary_line(u: &Upgrade) -> String {
    if u.steps.is_empty() {
        u.summary.clone()
    } else {
        summary(u)
    }
}

/// The snapshot's changes counted in words, in a fixed order: `2 collections added`,
/// `3 fields added`, `1 field changed`, `1 relation changed`, ….
pub fn change_words(changes: &[Change]) -> Vec<String> {
    let mut counts: BTreeMap<(u8, &str, &str), usize> = BTreeMap::new();
    for c in changes {
        let key = match &c.what {
            What::CollectionAdded { .. } => (0, "collection", "added"),
            What::CollectionRemoved { .. } => (1, "collection", "removed"),
            What::FieldAdded { .. } => (2, "field", "added"),
            What::FieldRemoved { .. } => (3, "field", "removed"),
            // The one classification of type changes (src/model/column_type.rs): a
            // change every value survives is a widening, any other a retype.
            What::TypeChanged { .. } if !c.destructive => (4, "field", "widened"),
            What::TypeChanged { .. } => (4, "field", "retyped"),
            What::NullableChanged { .. } | What::DefaultChanged { .. } | What::UniqueChanged { .. } => (5, "field", "changed"),
            What::RelationAdded { .. } => (6, "relation", "added"),
            What::RelationRemoved { .. } => (7, "relation", "removed"),
            What::RelationTargetChanged { .. } | What::ForeignKeyChanged { .. } | What::OnDeleteChanged { .. } => {
                (8, "relation", "changed")
            }
        };
        *counts.entry(key).or_default() += 1;
    }
    counts.into_iter().map(|((_, what, verb), n)| format!("{n} {what}{} {verb}", if n == 1 { "" } else { "s" })).collect()
}

/// A column or table the upgrade dropped, with what it held.
pub(super) fn dropped_word(d: &DroppedColumn) -> String {
    match &d.field {
        Some(f) => format!("column {}.{f} ({} values)", d.collection, d.values),
        None => format!("table {} ({} rows)", d.collection, d.values),
    }
}

/// Directus's side in words: `Directus 11.17.4 → 12.4.1; 8 Directus migrations ran`; None
/// when the document has nothing on it. A version that could not be read is `?`.
pub fn directus_words(d: &DirectusUpgrade) -> Option<String> {
    let parts: Vec<String> = versions_word(d).into_iter().chain(ran_word(d)).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `Directus 11.17.4 → 12.4.1`, or `Directus 12.4.1` when both images run the same.
fn versions_word(d: &DirectusUpgrade) -> Option<String> {
    let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "?".into());
    match (&d.from, &d.to) {
        (None, None) => None,
        (f, t) if f == t => Some(format!("Directus {}", v(f))),
        (f, t) => Some(format!("Directus {} → {}", v(f), v(t))),
    }
}

/// `8 Directus migrations ran`; None when they were not read.
fn ran_word(d: &DirectusUpgrade) -> Option<String> {
    d.migrations.as_ref().map(|m| match m.len() {
        0 => "no Directus migration ran".to_string(),
        1 => "1 Directus migration ran".to_string(),
        n => format!("{n} Directus migrations ran"),
    })
}

/// What the snapshot-history guard did on the rollback's boot, in words.
pub fn guard_words(g: &SchemaGuard) -> String {
    match g {
        SchemaGuard::Refused { reason } => format!("refused the older image: {reason}"),
        SchemaGuard::KeptNewer { reason } => format!("started it on the newer schema without applying its snapshot: {reason}"),
        SchemaGuard::Overridden { reason } => format!("applied its older snapshot (TRM_ALLOW_SCHEMA_ROLLBACK=1): {reason}"),
        SchemaGuard::Allowed => "let its snapshot through (not older than the database's schema)".into(),
        SchemaGuard::NotReached => "not reached (the boot ended before the schema step)".into(),
    }
}

/// Why the rollback was refused (the container's words) or failed (its boot failure, worded).
pub fn rollback_detail(rb: &Rollback) -> Option<String> {
    rb.detail.clone().or_else(|| rb.failure.as_ref().map(super::check_words::boot_failure))
}

/// The one-line summary of the drill (its snapshot changes from `schema_changes`: see
/// [`fill_words`]), e.g. `upgrade from main: 2 migrations applied, 3 fields
/// added; 480 rows seeded, 480 preserved, 0 lost; rollback refused: would delete field
/// projects.budget`. A drill that could not run (its one step `setup` failed) says so.
pub fn summary(u: &Upgrade) -> String {
    let mut s = format!("upgrade from {}: ", u.from);
    if let Some(failed) = u.steps.iter().find(|s| !s.ok) {
        if failed.name == "setup" {
            s.push_str(&format!("could not run: {}", super::check_words::failure(failed).as_deref().unwrap_or("?")));
            return s;
        }
        s.push_str(&format!("FAILED at {}: {}", failed.name, super::check_words::failure(failed).as_deref().unwrap_or("?")));
        if let Some(rows) = &u.rows {
            if u.steps.iter().any(|s| s.name == "verify") {
                s.push_str(&format!("; {} rows seeded, {} preserved, {} lost", rows.seeded, rows.preserved, rows.lost));
            }
        }
        return s;
    }
    let n = u.migrations_applied.len();
    let mut what = Vec::new();
    // Directus itself, when the bump changed it or its migrations ran.
    if let Some(d) = u.directus.as_ref().filter(|d| d.from != d.to || d.migrations.as_ref().is_some_and(|m| !m.is_empty())) {
        let ran = ran_word(d).map(|r| format!(" ({r})")).unwrap_or_default();
        what.push(format!("{}{ran}", versions_word(d).unwrap_or_else(|| "Directus ?".into())));
    }
    what.push(format!("{n} migration{} applied", if n == 1 { "" } else { "s" }));
    what.extend(snapshot_words(u));
    s.push_str(&what.join(", "));
    if let Some(rows) = &u.rows {
        s.push_str(&format!("; {} rows seeded, {} preserved, {} lost", rows.seeded, rows.preserved, rows.lost));
        if rows.changed > 0 {
            s.push_str(&format!(", {} changed", rows.changed));
        }
    }
    if !u.columns_dropped.is_empty() {
        let d: Vec<String> = u.columns_dropped.iter().map(dropped_word).collect();
        s.push_str(&format!("; dropped {}", d.join(", ")));
    }
    match &u.rollback {
        // The guard's refusal is one long sentence (both revisions, the migrations): named here,
        // given whole in the guard's own field.
        Some(rb) if rb.refused_by_guard() => {
            s.push_str(&format!("; rollback {} by the snapshot-history guard", rb.outcome.as_str()))
        }
        Some(rb) => {
            s.push_str(&format!("; rollback {}", rb.outcome.as_str()));
            if let Some(d) = rollback_detail(rb) {
                s.push_str(&format!(": {d}"));
            }
        }
        None => s.push_str("; no rollback"),
    }
    s
}

/// The verdict and summary line, each step's time, the migrations, the schema step's plan, the
/// rows per table, what was dropped, the rollback; on failure the failing step and its last log
/// lines.
pub fn render(u: &Upgrade) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\nUPGRADE DRILL {}: {}", if u.ok { "PASSED" } else { "FAILED" }, summary_line(u));
    let rev = u.from_revision.as_deref().map(|r| format!(" ({})", &r[..7.min(r.len())])).unwrap_or_default();
    let _ = writeln!(
        o,
        "  from        {}{rev}: {}{}",
        u.from,
        u.from_image.as_deref().unwrap_or("?"),
        if u.base_image_cached { " (cached)" } else { "" }
    );
    let _ = writeln!(o, "  to          {}", u.to_image.as_deref().unwrap_or("?"));
    let steps: Vec<String> =
        u.steps.iter().map(|s| format!("{} {:.1} s{}", s.name, s.seconds, if s.ok { "" } else { " FAILED" })).collect();
    let _ = writeln!(o, "  steps       {}", steps.join(", "));
    let _ = writeln!(
        o,
        "  migrations  applied [{}]; the head's new files [{}]",
        u.migrations_applied.join(", "),
        u.migrations_expected.join(", ")
    );
    if let Some(d) = &u.directus {
        if let Some(w) = directus_words(d) {
            let _ = writeln!(o, "  directus    {w}");
        }
        for m in d.migrations.iter().flatten() {
            let _ = writeln!(o, "    {} {}", m.version, m.name);
        }
    }
    let snapshot = snapshot_words(u);
    if !snapshot.is_empty() {
        let _ = writeln!(o, "  snapshot    {}", snapshot.join(", "));
    }
    if !u.schema_plan.is_empty() {
        let _ = writeln!(o, "  schema step (in its words):");
        for l in &u.schema_plan {
            let _ = writeln!(o, "    {l}");
        }
    }
    if let Some(r) = &u.rows {
        let _ = writeln!(
            o,
            "  rows        {} seeded ({} per collection); {} before the head's boot: {} preserved, {} changed, {} lost",
            r.seeded, u.seed_rows, r.before, r.preserved, r.changed, r.lost
        );
    }
    for t in u.tables.iter().filter(|t| t.lost > 0 || t.changed > 0 || t.after.is_none()) {
        let after = t.after.map(|a| a.to_string()).unwrap_or_else(|| "table gone".into());
        let _ = writeln!(o, "    {:<24} {} -> {after}: {} preserved, {} changed, {} lost", t.collection, t.before, t.preserved, t.changed, t.lost);
    }
    for d in &u.columns_dropped {
        let _ = match &d.field {
            Some(f) => writeln!(o, "  dropped     column {}.{f} ({} non-null values)", d.collection, d.values),
            None => writeln!(o, "  dropped     table {} ({} rows)", d.collection, d.values),
        };
    }
    if let Some(rb) = &u.rollback {
        // A refusal by the guard: its whole reason on the guard's line.
        let detail = rollback_detail(rb).filter(|_| !rb.refused_by_guard());
        let _ = writeln!(o, "  rollback    {}{}", rb.outcome.as_str(), detail.map(|d| format!(": {d}")).unwrap_or_default());
        if let Some(g) = &rb.guard {
            let _ = writeln!(o, "  guard       {}", guard_words(g));
        }
    }
    if let Some(failed) = u.steps.iter().find(|s| !s.ok) {
        let _ = writeln!(o, "  FAILED at {}: {}", failed.name, super::check_words::failure(failed).as_deref().unwrap_or("?"));
        if !failed.log_tail.is_empty() {
            let _ = writeln!(o, "  last log lines:");
            for l in &failed.log_tail {
                let _ = writeln!(o, "    | {l}");
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{DirectusMigration, Rollback, RollbackOutcome, Scenario, TableRows, UpgradeRows};

    #[test]
    fn a_passed_drill() {
        let u = Upgrade {
            ok: true,
            from: "main".into(),
            from_revision: Some("1a2b3c4d5e".into()),
            from_image: Some("trm-directus:base-abc".into()),
            to_image: Some("trm-directus:dev".into()),
            base_image_cached: true,
            seed_rows: 40,
            steps: vec![
                Scenario { name: "boot-base".into(), ok: true, seconds: 14.0, ..Default::default() },
                Scenario { name: "seed".into(), ok: true, seconds: 2.0, ..Default::default() },
            ],
            migrations_applied: vec!["0004_a.sql".into()],
            migrations_expected: vec!["0004_a.sql".into()],
            schema_changes: vec!["1 field added".into()],
            schema_plan: vec!["plan: 1 field to create".into(), "applied: 1 field created".into()],
            rows: Some(UpgradeRows { seeded: 80, before: 80, preserved: 79, changed: 0, lost: 1 }),
            tables: vec![TableRows { collection: "orders".into(), before: 40, after: Some(39), preserved: 39, lost: 1, ..Default::default() }],
            columns_dropped: vec![DroppedColumn { collection: "orders".into(), field: Some("note".into()), values: 40 }],
            rollback: Some(Rollback {
                outcome: RollbackOutcome::Refused,
                detail: Some("would delete field orders.budget".into()),
                guard: Some(SchemaGuard::Allowed),
                failure: None,
            }),
            directus: Some(DirectusUpgrade {
                from: Some("11.17.4".into()),
                to: Some("12.4.1".into()),
                migrations: Some(vec![DirectusMigration { version: "20260217A".into(), name: "Nullable Version Item".into() }]),
            }),
            // Stale words: the renderer words the line from the data.
            summary: "upgrade from main: …".into(),
            ..Default::default()
        };
        assert_eq!(
            render(&u),
            "\nUPGRADE DRILL PASSED: upgrade from main: Directus 11.17.4 → 12.4.1 (1 Directus migration ran), 1 migration applied, \
             1 field added; 80 rows seeded, 79 preserved, 1 lost; dropped column orders.note (40 values); rollback refused: would \
             delete field orders.budget\n\
             \x20 from        main (1a2b3c4): trm-directus:base-abc (cached)\n\
             \x20 to          trm-directus:dev\n\
             \x20 steps       boot-base 14.0 s, seed 2.0 s\n\
             \x20 migrations  applied [0004_a.sql]; the head's new files [0004_a.sql]\n\
             \x20 directus    Directus 11.17.4 → 12.4.1; 1 Directus migration ran\n\
             \x20   20260217A Nullable Version Item\n\
             \x20 snapshot    1 field added\n\
             \x20 schema step (in its words):\n\
             \x20   plan: 1 field to create\n\
             \x20   applied: 1 field created\n\
             \x20 rows        80 seeded (40 per collection); 80 before the head's boot: 79 preserved, 0 changed, 1 lost\n\
             \x20   orders                   40 -> 39: 39 preserved, 0 changed, 1 lost\n\
             \x20 dropped     column orders.note (40 non-null values)\n\
             \x20 rollback    refused: would delete field orders.budget\n\
             \x20 guard       let its snapshot through (not older than the database's schema)\n"
        );
    }

    fn upgrade() -> Upgrade {
        Upgrade {
            from: "main".into(),
            steps: vec![Scenario { name: "boot-head".into(), ok: true, ..Default::default() }],
            migrations_applied: vec!["0004_a.sql".into(), "0005_b.sql".into()],
            schema_changes: vec!["3 fields added".into(), "1 relation changed".into()],
            rows: Some(UpgradeRows { seeded: 480, before: 481, preserved: 481, changed: 0, lost: 0 }),
            rollback: Some(Rollback {
                outcome: RollbackOutcome::Refused,
                detail: Some("would delete field projects.budget".into()),
                guard: None,
                failure: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_summary_line() {
        assert_eq!(
            summary(&upgrade()),
            "upgrade from main: 2 migrations applied, 3 fields added, 1 relation changed; 480 rows seeded, 481 preserved, 0 lost; \
             rollback refused: would delete field projects.budget"
        );
        let mut u = upgrade();
        u.steps.push(Scenario { name: "verify".into(), ok: false, failure: Some("3 lost".into()), ..Default::default() });
        assert_eq!(summary(&u), "upgrade from main: FAILED at verify: 3 lost; 480 rows seeded, 481 preserved, 0 lost");
        // A Directus bump leads the line; the same Directus with no migration of its own adds nothing.
        let mut u = upgrade();
        u.directus = Some(DirectusUpgrade { from: Some("11.17.4".into()), to: Some("11.17.4".into()), migrations: Some(vec![]) });
        assert!(summary(&u).starts_with("upgrade from main: 2 migrations applied, "), "{}", summary(&u));
        u.directus = Some(DirectusUpgrade { from: Some("11.17.4".into()), to: Some("12.4.1".into()), migrations: None });
        assert!(summary(&u).starts_with("upgrade from main: Directus 11.17.4 → 12.4.1, 2 migrations applied, "), "{}", summary(&u));
        u.directus.as_mut().unwrap().migrations = Some(vec![DirectusMigration { version: "20260217A".into(), name: "x".into() }]);
        assert!(summary(&u).starts_with("upgrade from main: Directus 11.17.4 → 12.4.1 (1 Directus migration ran), 2 migrations"), "{}", summary(&u));
        u.rollback.as_mut().unwrap().guard = Some(SchemaGuard::Refused { reason: "older".into() });
        assert!(summary(&u).ends_with("; rollback refused by the snapshot-history guard"), "{}", summary(&u));
    }

    #[test]
    fn directus_and_guard_words() {
        let d = |f: Option<&str>, t: Option<&str>, m: Option<usize>| DirectusUpgrade {
            from: f.map(String::from),
            to: t.map(String::from),
            migrations: m.map(|n| (0..n).map(|i| DirectusMigration { version: format!("2026010{i}A"), name: "x".into() }).collect()),
        };
        assert_eq!(directus_words(&d(None, None, None)), None);
        assert_eq!(directus_words(&d(Some("11.17.4"), None, Some(8))).unwrap(), "Directus 11.17.4 → ?; 8 Directus migrations ran");
        assert_eq!(directus_words(&d(Some("12.4.1"), Some("12.4.1"), Some(0))).unwrap(), "Directus 12.4.1; no Directus migration ran");
        assert_eq!(guard_words(&SchemaGuard::KeptNewer { reason: "r".into() }), "started it on the newer schema without applying its snapshot: r");
        assert_eq!(guard_words(&SchemaGuard::NotReached), "not reached (the boot ended before the schema step)");
    }
}
