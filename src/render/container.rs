//! The human text of the build and smoke stages (part of `--format human`): what `trm-ci build`
//! and `trm-ci smoke` print as their result once their progress lines are done.

use std::fmt::Write as _;

use crate::units::fmt_size;
use crate::results::{Build, Check, ReplicaTimes, Scenario, Smoke, StepStart};
use super::check_words;

/// The build's summary: image, sizes, time, cache, layers; or the failing step and its output.
pub fn build(r: &Build) -> String {
    let mut o = String::new();
    o.push('\n');
    if let Some(err) = &r.error {
        let _ = writeln!(o, "BUILD FAILED after {:.1} s: {}", r.build_seconds, err.trim());
        if let Some(step) = r.steps.last() {
            let _ = writeln!(o, "  failing step {}: {}", step.number, step.instruction);
            if !r.error_output.is_empty() {
                let _ = writeln!(o, "  its output (last {} lines):", r.error_output.len());
                for l in &r.error_output {
                    let _ = writeln!(o, "    | {l}");
                }
            }
        }
        return o;
    }
    let _ = writeln!(o, "image      {} ({})", r.tag, r.image_id.as_deref().unwrap_or("?"));
    let _ = writeln!(
        o,
        "size       {} total; {} added over the base {} ({}); max {}, max added {}",
        r.total_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        r.added_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        r.base_image.as_deref().unwrap_or("?"),
        r.base_size.map(fmt_size).unwrap_or_else(|| "?".into()),
        fmt_size(r.max_size as i64),
        fmt_size(r.max_added_size as i64)
    );
    let _ = writeln!(o, "build time {:.1} s", r.build_seconds);
    let cached: Vec<String> = r.steps.iter().filter(|s| s.cached).map(|s| s.number.to_string()).collect();
    let ran: Vec<String> = r.steps.iter().filter(|s| !s.cached && s.number > 1).map(|s| s.number.to_string()).collect();
    let _ = writeln!(
        o,
        "cache      {} of {} steps cached{}{}",
        cached.len(),
        r.steps.len().saturating_sub(1),
        if cached.is_empty() { String::new() } else { format!(" (steps {})", cached.join(", ")) },
        if ran.is_empty() { String::new() } else { format!("; rebuilt steps {}", ran.join(", ")) }
    );
    let _ = writeln!(o, "layers over the base (oldest first):");
    for l in &r.layers {
        let what = l.instruction.clone().unwrap_or_else(|| l.created_by.clone());
        let _ = writeln!(o, "  {:>9}  {}", fmt_size(l.size), short_instruction(&what));
    }
    let base = r.base_image.as_deref().unwrap_or("?");
    if r.base_over_max_size {
        let _ = writeln!(
            o,
            "NOTE: the base image {base} alone is {}, over --max-size {}: no Dockerfile can meet that budget on this base \
             (it is met or not by the base you build on); what this repository adds, {}, is held to --max-added-size {}",
            r.base_size.map(fmt_size).unwrap_or_default(),
            fmt_size(r.max_size as i64),
            r.added_size.map(fmt_size).unwrap_or_default(),
            fmt_size(r.max_added_size as i64)
        );
    } else if r.over_max_size {
        let _ = writeln!(
            o,
            "FAILED: the image is {} which exceeds --max-size {}",
            r.total_size.map(fmt_size).unwrap_or_default(),
            fmt_size(r.max_size as i64)
        );
    }
    if r.over_max_added_size {
        let _ = writeln!(
            o,
            "FAILED: the Dockerfile adds {} over the base image {base}, which exceeds --max-added-size {} \
             (see the layers above for what is big)",
            r.added_size.map(fmt_size).unwrap_or_default(),
            fmt_size(r.max_added_size as i64)
        );
    }
    o
}

fn short_instruction(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s.strip_prefix("/bin/sh -c ").map(|r| format!("RUN {r}")).unwrap_or_else(|| s.trim().to_string());
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(89).collect::<String>())
    } else {
        s
    }
}

/// The smoke run's verdict: the baseline comparison (with `--baseline`), then
/// `[smoke] PASS: N of M scenarios passed`. Each scenario was shown as it finished ([`scenario`]).
pub fn smoke(r: &Smoke) -> String {
    let mut o = String::new();
    if let Some(b) = &r.baseline {
        let f = |v: Option<f64>| v.map(|v| format!("{v:.1} s")).unwrap_or_else(|| "?".into());
        let x = |v: Option<f64>| v.map(|v| format!("{v:.2}×")).unwrap_or_else(|| "?".into());
        let _ = writeln!(o, "[smoke] boot vs the base image's plain boot (time to pong from the host; healthy in brackets):");
        let _ = writeln!(
            o,
            "  cold: {} [{}] vs plain {} → {} [{}] (target ≤ 1.5×)",
            f(b.cold_pong), f(b.cold_healthy), f(b.plain_cold_pong), x(b.cold_ratio), x(b.cold_healthy_ratio)
        );
        let _ = writeln!(
            o,
            "  warm: {} [{}] vs plain {} → {} [{}] (target ≤ 1.3×)",
            f(b.warm_pong), f(b.warm_healthy), f(b.plain_warm_pong), x(b.warm_ratio), x(b.warm_healthy_ratio)
        );
    }
    let passed = r.scenarios.iter().filter(|s| s.ok).count();
    let _ = writeln!(o, "[smoke] {}: {passed} of {} scenarios passed", if r.ok { "PASS" } else { "FAIL" }, r.scenarios.len());
    o
}

/// `db-init +0.1 s, schema +0.9 s, start +6.0 s`.
fn step_times(steps: &[StepStart]) -> String {
    steps.iter().map(|s| format!("{} +{:.1} s", s.step, s.after)).collect::<Vec<_>>().join(", ")
}

/// `3 replicas at once: all healthy after 61.2 s cold (one replica: 38.0 s), 30.1 s warm (one: 21.5 s)`.
fn replica_times(r: &crate::results::ReplicaTimes) -> String {
    let all = |t: &[Option<f64>]| match ReplicaTimes::all_healthy(t) {
        Some(s) => format!("{s:.1} s"),
        None if t.is_empty() => "not run".to_string(),
        None => "not all healthy".to_string(),
    };
    let one = |t: Option<f64>| t.map(|s| format!(" (one replica: {s:.1} s)")).unwrap_or_default();
    format!(
        "{} replicas at once: all healthy after {} cold{}, {} warm{}",
        r.replicas,
        all(&r.cold),
        one(r.one_cold),
        all(&r.warm),
        one(r.one_warm)
    )
}

/// One finished scenario: PASS/FAIL, its time, time to healthy and to pong, its checks, and on
/// failure the reason and the last log lines.
pub fn scenario(s: &Scenario) -> String {
    scenario_as("smoke", s)
}

/// [`scenario`] with another prefix (`[drill]` for the upgrade drill's steps).
pub fn scenario_as(prefix: &str, s: &Scenario) -> String {
    let mut o = String::new();
    let mut times = Vec::new();
    if let Some(h) = s.time_to_healthy {
        times.push(format!("healthy {h:.1} s"));
    }
    if let Some(p) = s.time_to_pong {
        times.push(format!("pong {p:.1} s"));
    }
    if let Some(t) = s.stop_seconds {
        times.push(format!("stopped in {t:.1} s"));
    }
    let _ = writeln!(
        o,
        "[{prefix}] {:<14} {}  {:.1} s{}",
        s.name,
        if s.ok { "PASS" } else { "FAIL" },
        s.seconds,
        if times.is_empty() { String::new() } else { format!(" ({})", times.join(", ")) }
    );
    if let Some(r) = &s.replicas {
        let _ = writeln!(o, "        {}", replica_times(r));
    }
    for c in &s.checks {
        let _ = match c {
            Check::Pass(d) => writeln!(o, "    ok  {}", check_words::observation(d)),
            Check::Note(d) => writeln!(o, "    {}", check_words::observation(d)),
            Check::Steps { detail: steps } => writeln!(o, "        steps began at: {} (after the container start)", step_times(steps)),
            // Listed together below.
            Check::Fail(_) => Ok(()),
        };
    }
    if let Some(f) = check_words::failure(s) {
        let _ = writeln!(o, "    FAILED: {f}");
        if !s.log_tail.is_empty() {
            let _ = writeln!(o, "    last log lines:");
            for l in &s.log_tail {
                let _ = writeln!(o, "      | {l}");
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fact::boot::Step;
    use crate::results::fact::BootFact;

    #[test]
    fn a_failed_scenario_lists_its_checks_then_why() {
        let s = Scenario {
            name: "cold".into(),
            ok: false,
            seconds: 12.0,
            time_to_healthy: None,
            time_to_pong: Some(3.0),
            stop_seconds: None,
            replicas: None,
            checks: vec![
                Check::Steps { detail: vec![StepStart { step: "db-init".into(), after: 0.14 }, StepStart { step: "schema".into(), after: 1.0 }] },
                Check::fail(BootFact::SchemaNotApplied),
                Check::pass(BootFact::SqlAppliedAll { step: Step::DbInit, line: "[db-init] 3 applied, 0 skipped".into(), files: 3, dir: "db-init".into() }),
            ],
            failure: Some("no `[schema] applied: ...` line: the schema step did not apply the snapshot".into()),
            log_tail: vec!["[schema] ERROR: boom".into()],
        };
        assert_eq!(
            scenario(&s),
            "[smoke] cold           FAIL  12.0 s (pong 3.0 s)\n\
             \x20       steps began at: db-init +0.1 s, schema +1.0 s (after the container start)\n\
             \x20   ok  [db-init] 3 applied, 0 skipped (3 files in db-init/)\n\
             \x20   FAILED: no `[schema] applied: ...` line: the schema step did not apply the snapshot\n\
             \x20   last log lines:\n\
             \x20     | [schema] ERROR: boom\n"
        );
    }

    #[test]
    fn the_size_budgets_say_which_one_failed() {
        let b = |base: i64, total: i64, base_over: bool, over: bool, over_added: bool| Build {
            base_image: Some("directus/directus:11.17.4".into()),
            base_size: Some(base),
            total_size: Some(total),
            added_size: Some(total - base),
            max_size: 600_000_000,
            max_added_size: 25_000_000,
            base_over_max_size: base_over,
            over_max_size: over,
            over_max_added_size: over_added,
            ..Default::default()
        };
        let out = build(&b(920_000_000, 920_100_000, true, true, false));
        assert!(
            out.contains("NOTE: the base image directus/directus:11.17.4 alone is 920.0 MB, over --max-size 600.0 MB: "),
            "{out}"
        );
        assert!(out.contains("what this repository adds, 100.0 kB, is held to --max-added-size 25.0 MB"), "{out}");
        assert!(!out.contains("FAILED"), "{out}");
        let out = build(&b(590_000_000, 610_000_000, false, true, false));
        assert!(out.contains("FAILED: the image is 610.0 MB which exceeds --max-size 600.0 MB"), "{out}");
        assert!(!out.contains("NOTE") && !out.contains("--max-added-size 25"), "{out}");
        let out = build(&b(920_000_000, 950_000_000, true, true, true));
        assert!(out.contains("FAILED: the Dockerfile adds 30.0 MB over the base image directus/directus:11.17.4, which exceeds --max-added-size 25.0 MB"), "{out}");
    }
}
