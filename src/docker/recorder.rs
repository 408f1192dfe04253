//! [`Recorder`]: builds one [`Scenario`] of the results document — a smoke scenario or an upgrade
//! drill step — from its checks, in order, then [`Recorder::finish`]. A scenario records typed
//! [`Check`]s and never prints.

use std::time::Instant;

use super::stack::{self, Boot};
use crate::results::{Check, Fact, Scenario};

pub struct Recorder {
    s: Scenario,
    started: Instant,
}

impl Recorder {
    /// A scenario (or drill step) named `name`, timed from now.
    pub fn named(name: &str) -> Recorder {
        Recorder { s: Scenario { name: name.into(), ..Default::default() }, started: Instant::now() }
    }
    pub fn pass(&mut self, fact: impl Into<Fact>) {
        self.s.checks.push(Check::pass(fact));
    }
    pub fn fail(&mut self, fact: impl Into<Fact>) {
        self.s.checks.push(Check::fail(fact));
    }
    pub fn note(&mut self, fact: impl Into<Fact>) {
        self.s.checks.push(Check::note(fact));
    }
    /// The step start times of a boot (nothing when it printed no step line).
    pub fn steps(&mut self, b: &Boot) {
        let steps = b.step_starts();
        if !steps.is_empty() {
            self.s.checks.push(Check::Steps { detail: steps });
        }
    }
    /// How long `docker stop` took (the stop scenario).
    pub fn set_stop_seconds(&mut self, seconds: f64) {
        self.s.stop_seconds = Some(seconds);
    }
    /// The replicas scenario's times.
    pub fn set_replicas(&mut self, times: crate::results::ReplicaTimes) {
        self.s.replicas = Some(times);
    }
    /// Times to healthy and to pong of a boot.
    pub fn times(&mut self, b: &Boot) {
        self.s.time_to_healthy = b.healthy;
        self.s.time_to_pong = b.pong;
    }
    /// A boot's times, then its step start times.
    pub fn boot(&mut self, b: &Boot) {
        self.times(b);
        self.steps(b);
    }
    /// Ends the scenario: it passed when no check failed; `tail` is kept only when it failed.
    pub fn finish(mut self, tail: Vec<String>) -> Scenario {
        self.s.seconds = stack::secs(self.started.elapsed());
        self.s.ok = !self.s.checks.iter().any(Check::failed);
        if !self.s.ok {
            self.s.log_tail = tail;
        }
        self.s
    }
    /// Ends the scenario with one failure (it could not be run).
    pub fn abort(mut self, why: impl Into<Fact>, tail: Vec<String>) -> Scenario {
        self.fail(why);
        self.finish(tail)
    }
}
