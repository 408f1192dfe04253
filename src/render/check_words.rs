//! The words of a smoke scenario's or a drill step's checks: each [`Fact`] worded here (one file
//! per area, beside the area's enum in src/results/fact/), for every renderer; and [`fill`], which
//! writes those words into a document's version-1 word fields before the JSON renderer
//! serializes it.

mod boot;
mod drill;
mod image;
mod replicas;

use std::fmt;

use crate::results::fact::{BootFailure, CommonFact};
use crate::results::{Check, Fact, Observation, Results, Scenario};

/// One fact in words.
pub fn words(f: &Fact) -> String {
    match f {
        Fact::Common(CommonFact::Error { error }) => error.clone(),
        Fact::Common(CommonFact::BootFailed { failure }) => boot_failure(failure),
        Fact::Boot(f) => boot::words(f),
        Fact::Image(f) => image::words(f),
        Fact::Replica(f) => replicas::words(f),
        Fact::Drill(f) => drill::words(f),
        Fact::Unknown(v) => v.to_string(),
    }
}

/// Why a boot failed, in words.
pub fn boot_failure(f: &BootFailure) -> String {
    match f {
        BootFailure::NotStarted { container, error } => format!("starting {container}: {error}"),
        BootFailure::Exited { code, after, cause } => format!(
            "the container exited with code {code} after {after:.1} s before it became healthy{}",
            cause.as_deref().map(|c| format!(": {c}")).unwrap_or_default()
        ),
        BootFailure::NotInspected { container, error } => format!("inspecting {container}: {error}"),
        BootFailure::HealthcheckWrong { command, exit, output } => format!(
            "the HEALTHCHECK never passes although GET /server/ping answers pong on port 8055 from the host: \
             its command {command:?} exited {exit}{}; the HEALTHCHECK is wrong (port or URL)",
            if output.trim().is_empty() { String::new() } else { format!(": {}", output.trim()) }
        ),
        BootFailure::Timeout { seconds, healthy, pong, last_probe } => format!(
            "not healthy within {seconds} s (healthy: {healthy}, pong: {pong}{})",
            last_probe.as_ref().map(|(c, o)| format!(", last HEALTHCHECK exit {c}: {}", o.trim())).unwrap_or_default()
        ),
    }
}

/// A boot failure in a progress line (the stages' live lines word it through this).
impl fmt::Display for BootFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&boot_failure(self))
    }
}

/// What a check observed, in words: its fact's, or (a document written before checks carried
/// facts, or a fact of a kind this trm-ci does not know) the words stored with it.
pub fn observation(o: &Observation) -> String {
    match &o.fact {
        Some(Fact::Unknown(_)) | None => o.detail.clone(),
        Some(f) => words(f),
    }
}

/// Why a scenario failed: its failed checks' words joined with `; `; None when it passed. A
/// document without failed checks may still store a reason (written before checks carried facts).
pub fn failure(s: &Scenario) -> Option<String> {
    let fails: Vec<String> = s.checks.iter().filter(|c| c.failed()).filter_map(Check::observation).map(observation).collect();
    if fails.is_empty() {
        s.failure.clone()
    } else {
        Some(fails.join("; "))
    }
}

/// Fills the document's version-1 word fields from its data: each check's `detail`, each
/// scenario's and drill step's `failure`, the drill's `schema_changes` and `summary`. Only for
/// readers of the written document: trm-ci's renderers word the data themselves.
pub fn fill(doc: &mut Results) {
    let scenarios = doc.smoke.iter_mut().flat_map(|s| s.scenarios.iter_mut());
    let steps = doc.upgrade.iter_mut().flat_map(|u| u.steps.iter_mut());
    for s in scenarios.chain(steps) {
        s.failure = failure(s);
        for c in &mut s.checks {
            if let Check::Pass(o) | Check::Fail(o) | Check::Note(o) = c {
                o.detail = observation(o);
            }
        }
    }
    if let Some(u) = doc.upgrade.as_mut() {
        if let Some(rb) = u.rollback.as_mut() {
            rb.detail = super::upgrade_drill::rollback_detail(rb);
        }
        super::upgrade_drill::fill_words(u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_has_words() {
        for f in crate::results::fact::samples() {
            let w = words(&f);
            assert!(!w.trim().is_empty(), "{f:?} has no words");
        }
    }

    #[test]
    fn a_boot_failure_reads_as_the_stack_said_it() {
        let f = crate::results::fact::boot_failures();
        assert_eq!(boot_failure(&f[0]), "starting trm-smoke-1-app: port is already allocated");
        assert_eq!(boot_failure(&f[1]), "the container exited with code 1 after 12.3 s before it became healthy: [db-init] ERROR: 0002_x.sql failed");
        assert_eq!(boot_failure(&f[2]), "the container exited with code 137 after 3.0 s before it became healthy");
        assert_eq!(
            boot_failure(&f[4]),
            "the HEALTHCHECK never passes although GET /server/ping answers pong on port 8055 from the host: its command \
             [\"CMD-SHELL\", \"wget -qO- http://localhost:8056/\"] exited 1: refused; the HEALTHCHECK is wrong (port or URL)"
        );
        assert_eq!(boot_failure(&f[6]), "not healthy within 240 s (healthy: false, pong: true, last HEALTHCHECK exit 1: connection refused)");
        assert_eq!(boot_failure(&f[7]), "not healthy within 240 s (healthy: false, pong: false)");
    }

    #[test]
    fn a_document_from_before_facts_keeps_its_words() {
        let s: Scenario = serde_json::from_str(
            r#"{"name":"cold","ok":false,"seconds":1.0,"time_to_healthy":null,"time_to_pong":null,
                "checks":[{"status":"pass","detail":"[db-init] 3 applied"},{"status":"fail","detail":"no line"}],
                "failure":"no line","log_tail":[]}"#,
        )
        .unwrap();
        assert_eq!(observation(s.checks[0].observation().unwrap()), "[db-init] 3 applied");
        assert_eq!(failure(&s).as_deref(), Some("no line"));
    }
}
