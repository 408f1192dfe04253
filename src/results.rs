//! The results document: one versioned document holding every stage that ran — lint, build,
//! smoke and the upgrade drill — with the repository, its head and base revisions and
//! each stage's wall time. `lint --format json`, `build --json FILE` and `smoke --json FILE` each
//! write it with their own stage; every renderer (src/render/) takes it. It reads back
//! (`serde_json::from_str::<Results>`) into the same data: the PR report and the upgrade drill
//! stand on that. The format is documented in docs/json-output.md.
//!
//! **Version rule.** [`VERSION`] changes only on an incompatible change: a field removed, renamed,
//! or changed in type or meaning. Adding a field, a stage or a check status is compatible and does
//! not change it, so readers ignore what they do not know. Version 1 is the document
//! `lint --format json` has always written (`version`, `tool`, `base`, `summary`, `findings`,
//! `notes` keep their place and meaning: the lint stage's fields stay at the top level).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};

pub mod fact;
pub use fact::Fact;

pub const VERSION: u32 = 1;

/// The whole document. Keys come out in the order of the fields below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`VERSION`].
    pub version: u32,
    pub tool: Tool,
    /// The repository's root directory, as trm-ci resolved `--repo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The commit HEAD pointed at (40 hex digits); absent outside git or on an unborn branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The base the base-dependent lint rules compared with and how it was chosen, e.g.
    /// `origin/main (merge-base 1a2b3c4)`; null when there was none (or no lint ran).
    #[serde(default)]
    pub base: Option<String>,
    /// The base commit (40 hex digits) when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_revision: Option<String>,
    /// The lint stage (`summary`, `findings`, `omitted`, `notes` at the top level, as in version 1).
    #[serde(flatten)]
    pub lint: Option<Lint>,
    /// What the head's snapshot does to the schema against the base (`trm-ci ci`; absent when no
    /// comparison was made: no base, or a snapshot that does not parse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Smoke>,
    /// The upgrade drill (`smoke --upgrade-from REF`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    /// Each stage that ran, in order, with its outcome and wall time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// Each stage `trm-ci ci` did not run though it was asked to, and why (a stage switched off
    /// with `--skip-*` is not listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `trm-ci`.
    pub name: String,
    /// The trm-ci version that wrote the document.
    pub version: String,
    /// Where this trm-ci's rule documentation is published: rule `area/name` is documented at
    /// `{rules_url}area/name.md` (the repository's docs/rules/ at the ref the binary was built
    /// from). Absent when unknown; the PR comment and SARIF then carry no documentation links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_url: Option<String>,
}

impl Tool {
    /// The URL of rule `id`'s documentation, when [`Tool::rules_url`] is known.
    pub fn rule_doc_url(&self, id: &str) -> Option<String> {
        self.rules_url.as_ref().map(|base| format!("{base}{id}.md"))
    }
}

impl Default for Tool {
    /// The release build bakes the documentation's address in (`TRM_CI_RULES_URL` at compile
    /// time, set by .github/workflows/release.yml); the command layer may override it.
    fn default() -> Tool {
        Tool {
            name: "trm-ci".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            rules_url: option_env!("TRM_CI_RULES_URL").and_then(rules_url),
        }
    }
}

/// A documentation base URL as [`Tool::rules_url`] keeps it: http(s), no space, quote or
/// parenthesis, ending in `/`; None for anything else.
pub fn rules_url(url: &str) -> Option<String> {
    let url = url.trim();
    // Nothing that could end a Markdown link or a quoted attribute.
    let unsafe_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '(' | ')' | '<' | '>' | '"' | '\'' | '`');
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(unsafe_char) {
        return None;
    }
    Some(if url.ends_with('/') { url.to_string() } else { format!("{url}/") })
}

impl Default for Results {
    fn default() -> Results {
        Results {
            version: VERSION,
            tool: Tool::default(),
            repository: None,
            head: None,
            base: None,
            base_revision: None,
            lint: None,
            schema: None,
            build: None,
            smoke: None,
            upgrade: None,
            stages: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// Which stage a [`Stage`] entry times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Lint,
    Build,
    Smoke,
    Upgrade,
}

impl StageName {
    /// Every stage, in the order a run has them.
    pub const ALL: [StageName; 4] = [StageName::Lint, StageName::Build, StageName::Smoke, StageName::Upgrade];

    /// The name the document writes (`lint`, `build`, `smoke`, `upgrade`).
    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Lint => "lint",
            StageName::Build => "build",
            StageName::Smoke => "smoke",
            StageName::Upgrade => "upgrade",
        }
    }
}

/// Whether a run passes ([`Results::verdict`]): what `trm-ci ci` exits with and the check run
/// concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

/// One stage that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub name: StageName,
    /// Lint: no error-level finding; build: built and within `--max-size`; smoke: every scenario passed.
    pub ok: bool,
    /// Wall time of the whole stage, in seconds.
    pub seconds: f64,
}

/// A stage that did not run, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub stage: StageName,
    #[serde(flatten)]
    pub why: SkipReason,
}

/// Why a stage did not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// The build failed, so there is no image to boot.
    BuildFailed,
    /// On a pull request, no base revision to upgrade from (lint found none).
    NoBaseRevision,
    /// The base revision's build context is the head's, byte for byte (`context`: its hash,
    /// `sha256:<hex>`): both revisions build the same image, so an upgrade from one to the
    /// other changes nothing.
    SameImage { from: String, context: String },
}

impl Results {
    /// Why `stage` was skipped, when the run recorded it.
    pub fn skip_reason(&self, stage: StageName) -> Option<&SkipReason> {
        self.skipped.iter().find(|s| s.stage == stage).map(|s| &s.why)
    }

    /// A document holding only the lint stage (the command adds the
    /// repository and the revisions the run read).
    pub fn from_lint(lint: Lint) -> Results {
        Results { lint: Some(lint), ..Results::default() }
    }

    /// Whether `stage` passed; None when it did not run. Lint passes with no error-level finding
    /// in `findings`; build, smoke and the upgrade drill by their own `ok`.
    pub fn passed(&self, stage: StageName) -> Option<bool> {
        match stage {
            StageName::Lint => self.lint.as_ref().map(|l| l.count(Severity::Error) == 0),
            StageName::Build => self.build.as_ref().map(|b| b.ok),
            StageName::Smoke => self.smoke.as_ref().map(|s| s.ok),
            StageName::Upgrade => self.upgrade.as_ref().map(|u| u.ok),
        }
    }

    /// The wall time recorded for `stage` ([`Results::timed`]).
    pub fn seconds(&self, stage: StageName) -> Option<f64> {
        self.stages.iter().find(|s| s.name == stage).map(|s| s.seconds)
    }

    /// The run's verdict: it fails when a stage that ran failed, or a finding is at or above
    /// `fail_on` (the Action's `fail-on`, `--fail-on`; error by default).
    pub fn verdict(&self, fail_on: Severity) -> Verdict {
        let failed = StageName::ALL.into_iter().any(|s| self.passed(s) == Some(false));
        let found = self.lint.iter().flat_map(|l| &l.findings).any(|f| f.severity >= fail_on);
        if failed || found {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// Records a stage's outcome and wall time.
    pub fn timed(mut self, name: StageName, ok: bool, elapsed: std::time::Duration) -> Results {
        self.stages.push(Stage { name, ok, seconds: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0 });
        self
    }
}

/// The lint stage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Lint {
    pub summary: LintSummary,
    /// Sorted by file, line, column, rule.
    pub findings: Vec<Finding>,
    /// Findings a rule's cap left out (counted, not in `findings`); each also has a note.
    #[serde(default)]
    pub omitted: Vec<Omitted>,
    /// Findings of the `migrations/*` content rules in migrations unchanged since the
    /// base that the base has too: listed, not in `findings` nor in the counts, never
    /// failing the run (absent when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_existing: Vec<Finding>,
    /// Destructive schema changes the branch approves in `allow-destructive.txt` (each a note
    /// instead of a `snapshot/destructive-change` error; absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved: Vec<crate::model::approvals::ApprovedChange>,
    /// What the branch's `trm-ci.toml` weakens against the base's (a rule turned off or less
    /// severe, a path moved, `[lint] all` turned off), each also a note (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_weakened: Vec<crate::config::Weakening>,
    /// Why the rules that compare with the base were skipped (absent when they ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_skipped: Option<BaseSkipped>,
    /// The configuration file compared with the base's (its repository path), when it weakens
    /// the lint or could not be compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// Why the configuration file could not be compared with the base's (absent when it was,
    /// or there was nothing to compare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_not_compared: Option<String>,
    /// Things worth knowing that are not findings, in words, for version-1 readers: the JSON
    /// renderer fills them from the data above (`base_skipped`, `config_not_compared`,
    /// `config_weakened`, `approved`, `omitted`, `pre_existing`); trm-ci's renderers read them
    /// only in a document that has them (src/render/lint_notes.rs).
    pub notes: Vec<String>,
    /// The text of every file with a finding, for code frames (not in the document).
    #[serde(skip)]
    pub sources: BTreeMap<String, String>,
}

/// Why the rules that compare with the base did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum BaseSkipped {
    /// The repository is not a git repository.
    NotGit,
    /// No base could be chosen or read: `why` in the words of the git layer.
    NoBase { why: String },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LintSummary {
    /// Error-level findings in `findings`.
    pub errors: usize,
    pub warnings: usize,
    pub files_checked: usize,
    /// Findings left out by a rule's cap (not in `findings`, not in the counts above).
    #[serde(default)]
    pub omitted_errors: usize,
    #[serde(default)]
    pub omitted_warnings: usize,
    /// Findings in `pre_existing` (absent when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pre_existing: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Findings of one rule in one file that its cap left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Omitted {
    pub rule: String,
    pub severity: Severity,
    pub file: String,
    /// How many were left out.
    pub count: usize,
}

impl Lint {
    /// The lint stage of a run: its summary counted from the findings and
    /// those left out.
    pub fn new(
        findings: Vec<Finding>,
        omitted: Vec<Omitted>,
        notes: Vec<String>,
        sources: BTreeMap<String, String>,
        files_checked: usize,
    ) -> Lint {
        // `notes`: words as a document stores them (the lint stage itself passes none).
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let omitted_count = |s: Severity| omitted.iter().filter(|o| o.severity == s).map(|o| o.count).sum();
        let summary = LintSummary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            files_checked,
            omitted_errors: omitted_count(Severity::Error),
            omitted_warnings: omitted_count(Severity::Warning),
            pre_existing: 0,
        };
        Lint {
            summary,
            findings,
            omitted,
            pre_existing: Vec::new(),
            approved: Vec::new(),
            config_weakened: Vec::new(),
            base_skipped: None,
            config_file: None,
            config_not_compared: None,
            notes,
            sources,
        }
    }

    /// The same stage with these findings listed as pre-existing (see `pre_existing`).
    pub fn with_pre_existing(mut self, pre_existing: Vec<Finding>) -> Lint {
        self.summary.pre_existing = pre_existing.len();
        self.pre_existing = pre_existing;
        self
    }

    /// The same stage with the destructive schema changes the branch approves.
    pub fn with_approved(mut self, approved: Vec<crate::model::approvals::ApprovedChange>) -> Lint {
        self.approved = approved;
        self
    }

    /// The same stage with what the branch's configuration weakens (see `config_weakened`).
    pub fn with_config_weakened(mut self, weakened: Vec<crate::config::Weakening>) -> Lint {
        self.config_weakened = weakened;
        self
    }

    /// 1 when any error-level finding remains (reported or left out), else 0.
    pub fn exit_code(&self) -> i32 {
        if self.count(Severity::Error) + self.omitted_count(Severity::Error) > 0 {
            1
        } else {
            0
        }
    }

    /// The findings of severity `s` that are reported (not those left out).
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// The findings most severe first, then by file, line, column and rule: the order in which
    /// the PR report keeps them when it must cut.
    pub fn most_severe_first(&self) -> Vec<&Finding> {
        most_severe_first(&self.findings)
    }
    /// The pre-existing findings in the same order.
    pub fn pre_existing_most_severe_first(&self) -> Vec<&Finding> {
        most_severe_first(&self.pre_existing)
    }
    /// The findings of severity `s` left out by a rule's cap.
    pub fn omitted_count(&self, s: Severity) -> usize {
        self.omitted.iter().filter(|o| o.severity == s).map(|o| o.count).sum()
    }
}

/// Most severe first, then by file, line, column and rule.
fn most_severe_first(findings: &[Finding]) -> Vec<&Finding> {
    let at = |f: &Finding| (f.span.map(|s| s.line), f.span.map(|s| s.col));
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| (&a.file, at(a), &a.rule).cmp(&(&b.file, at(b), &b.rule))));
    v
}

/// The schema change against the base (`trm-ci diff`'s result, kept in the document).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchemaChange {
    /// How the base was chosen, e.g. `origin/main (merge-base 1a2b3c4)`.
    pub base: String,
    /// The snapshot's repository path.
    pub snapshot: String,
    /// The base has no snapshot: every collection is new.
    pub base_missing: bool,
    /// In snapshot order (not destructive-first).
    pub changes: Vec<crate::model::schema_diff::Change>,
}

impl From<crate::schema_change::Report> for SchemaChange {
    fn from(r: crate::schema_change::Report) -> SchemaChange {
        SchemaChange { base: r.base, snapshot: r.snapshot, base_missing: r.base_missing, changes: r.diff.changes }
    }
}

/// The build stage (`trm-ci build`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Build {
    /// Built, not over `--max-added-size`, and not over `--max-size` unless the base image alone is.
    pub ok: bool,
    pub tag: String,
    /// `sha256:…`; null when the build failed.
    pub image_id: Option<String>,
    /// The FROM of the final stage.
    pub base_image: Option<String>,
    /// Bytes.
    pub total_size: Option<i64>,
    pub base_size: Option<i64>,
    /// `total_size - base_size`: what the project adds.
    pub added_size: Option<i64>,
    /// `--max-size` (bytes): the whole image's budget.
    pub max_size: u64,
    /// The image is bigger than `--max-size`.
    pub over_max_size: bool,
    /// The base image alone is bigger than `--max-size`: nothing this repository does can meet
    /// it, so it is reported and `--max-added-size` decides.
    #[serde(default)]
    pub base_over_max_size: bool,
    /// `--max-added-size` (bytes): the budget for what the Dockerfile adds over the base.
    #[serde(default)]
    pub max_added_size: u64,
    /// `added_size` is bigger than `--max-added-size`.
    #[serde(default)]
    pub over_max_added_size: bool,
    pub build_seconds: f64,
    pub context_files: usize,
    pub context_bytes: u64,
    pub steps: Vec<BuildStep>,
    /// Numbers of the steps that came from the layer cache.
    pub cached_steps: Vec<usize>,
    /// The image's layers over the base, oldest first.
    pub layers: Vec<Layer>,
    /// The builder's error when the build failed.
    pub error: Option<String>,
    /// The failing step's last output lines (at most 30, blank lines dropped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_output: Vec<String>,
}

/// One build step as seen in the builder's stream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BuildStep {
    pub number: usize,
    pub instruction: String,
    pub cached: bool,
    pub seconds: f64,
    /// Its output (kept in memory for the failure report, not in the document).
    #[serde(skip)]
    pub output: Vec<String>,
}

/// One layer of the built image that the base image does not have.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Layer {
    /// The Dockerfile instruction of the step that made the layer, when the stream showed it.
    pub instruction: Option<String>,
    pub created_by: String,
    /// Bytes.
    pub size: i64,
}

/// The smoke stage (`trm-ci smoke`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Smoke {
    /// Every scenario passed (and at least one ran).
    pub ok: bool,
    pub image: String,
    pub postgres_image: String,
    /// The image's own HEALTHCHECK command.
    pub healthcheck: Vec<String>,
    pub healthcheck_interval_image_s: f64,
    /// The interval smoke polls it at.
    pub healthcheck_interval_used_s: f64,
    /// In the order they ran.
    pub scenarios: Vec<Scenario>,
    /// With `--baseline`.
    pub baseline: Option<Baseline>,
    /// With `--keep`: the command that removes what was left.
    pub kept: Option<String>,
}

/// The result of one smoke scenario.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Scenario {
    /// `cold`, `warm`, `image-facts`, `db-init-fault`, `schema-fault`, …
    pub name: String,
    /// No check failed.
    pub ok: bool,
    pub seconds: f64,
    /// Seconds from the container start to its HEALTHCHECK's first pass.
    pub time_to_healthy: Option<f64>,
    /// Seconds from the container start to the first `pong` from `GET /server/ping`.
    pub time_to_pong: Option<f64>,
    /// The stop scenario: seconds `docker stop` took until the container had exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_seconds: Option<f64>,
    /// The replicas scenario: the time to healthy of N replicas started at once against one
    /// replica's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaTimes>,
    /// What was checked, in order.
    pub checks: Vec<Check>,
    /// The failed checks' words joined with `; ` (null when it passed), for version-1 readers:
    /// the JSON renderer fills it from `checks`; trm-ci's renderers read it only in a document
    /// written before checks carried facts (src/render/check_words.rs, `failure`).
    pub failure: Option<String>,
    /// The container's last log lines when it failed (empty when it passed).
    pub log_tail: Vec<String>,
}

/// The replicas scenario's times: N replicas started at once on one database (each one's
/// seconds from its start to its first passing HEALTHCHECK; null: never healthy), cold (an
/// empty database) and warm (all restarted at once), against one replica alone (the cold and
/// warm scenarios of the same run, when they ran).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaTimes {
    pub replicas: u32,
    pub cold: Vec<Option<f64>>,
    pub warm: Vec<Option<f64>>,
    pub one_cold: Option<f64>,
    pub one_warm: Option<f64>,
}

impl ReplicaTimes {
    /// Seconds until every replica of `times` was healthy (None when one never was).
    pub fn all_healthy(times: &[Option<f64>]) -> Option<f64> {
        times.iter().try_fold(0.0f64, |m, t| t.map(|t| m.max(t)))
    }
}

/// One check a scenario made: `{"status": "pass", "detail": "…", "fact": {"kind": "…", …}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Check {
    /// Verified, and it held.
    Pass(Observation),
    /// Verified, and it did not hold: the scenario fails.
    Fail(Observation),
    /// How a check was made (neither pass nor fail).
    Note(Observation),
    /// When each entrypoint step began, after the container start.
    Steps { detail: Vec<StepStart> },
}

impl Check {
    pub fn pass(f: impl Into<Fact>) -> Check {
        Check::Pass(Observation::of(f.into()))
    }
    pub fn fail(f: impl Into<Fact>) -> Check {
        Check::Fail(Observation::of(f.into()))
    }
    pub fn note(f: impl Into<Fact>) -> Check {
        Check::Note(Observation::of(f.into()))
    }
    /// What a pass, fail or note observed (None for the step times).
    pub fn observation(&self) -> Option<&Observation> {
        match self {
            Check::Pass(o) | Check::Fail(o) | Check::Note(o) => Some(o),
            Check::Steps { .. } => None,
        }
    }
    pub fn failed(&self) -> bool {
        matches!(self, Check::Fail(_))
    }
}

/// What a check observed: the [`Fact`] (data), and in a written document its words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The fact in words, for version-1 readers: the JSON renderer fills it from `fact`; trm-ci's
    /// own renderers read it only in a document written before checks carried facts.
    #[serde(default)]
    pub detail: String,
    /// None only in a document written before checks carried facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<Fact>,
}

impl Observation {
    pub fn of(fact: Fact) -> Observation {
        Observation { detail: String::new(), fact: Some(fact) }
    }
}

/// When an entrypoint step began, in seconds after the container start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepStart {
    pub step: String,
    pub after: f64,
}

/// `--baseline`: the base image's own plain boot (bootstrap then start), and the ratios.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Baseline {
    pub base_image: String,
    pub plain_cold_pong: Option<f64>,
    pub plain_warm_pong: Option<f64>,
    pub cold_pong: Option<f64>,
    pub warm_pong: Option<f64>,
    pub cold_healthy: Option<f64>,
    pub warm_healthy: Option<f64>,
    pub cold_ratio: Option<f64>,
    pub warm_ratio: Option<f64>,
    pub cold_healthy_ratio: Option<f64>,
    pub warm_healthy_ratio: Option<f64>,
}

/// The upgrade drill (`trm-ci smoke --upgrade-from REF`): the base revision's image boots on a
/// fresh database and is seeded with rows through the REST API; the head's image then boots on
/// that same database; every seeded row is checked; the base image boots again on the upgraded
/// database (the rollback). Each step is reported like a smoke scenario.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Upgrade {
    /// Every step passed (the rollback's outcome is reported, not judged).
    pub ok: bool,
    /// The base revision's image (built from its tree, tagged by the tree's hash).
    pub from_image: Option<String>,
    /// The head's image (`--image`).
    pub to_image: Option<String>,
    /// `build-base`, `boot-base`, `seed`, `fingerprint`, `stop-base`, `boot-head`, `verify`,
    /// `rollback`, in the order they ran (a failed step ends the drill; verify still runs when
    /// the base's rows were fingerprinted).
    pub steps: Vec<Scenario>,
    /// `--upgrade-from` as given, e.g. `main`.
    #[serde(default)]
    pub from: String,
    /// The commit it named (40 hex digits).
    #[serde(default)]
    pub from_revision: Option<String>,
    /// The base image was already on the engine (same tree hash): not rebuilt.
    #[serde(default)]
    pub base_image_cached: bool,
    /// `--allow-destructive`: the head's boot ran with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1.
    #[serde(default)]
    pub allow_destructive: bool,
    /// Rows seeded per collection (`--seed-rows`).
    #[serde(default)]
    pub seed_rows: usize,
    /// The db-init files the head has and the base has not, sorted: what its boot must apply.
    #[serde(default)]
    pub migrations_expected: Vec<String>,
    /// The files the head's boot reported applying (`[db-init] applying <file>`), in order.
    #[serde(default)]
    pub migrations_applied: Vec<String>,
    /// The snapshot changes from base to head (SchemaDiff), counted in words: `3 fields added`.
    /// Words, kept for version-1 readers: the command layer fills it from [`Upgrade::changes`]
    /// with the renderer's wording (src/render/upgrade_drill.rs); the drill leaves it empty.
    #[serde(default)]
    pub schema_changes: Vec<String>,
    /// The snapshot changes from base to head (SchemaDiff), in snapshot order: the data
    /// `schema_changes` counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::model::schema_diff::Change>,
    /// The head's schema step in its own words: `plan: …`, `  - Delete field …`, `applied: …`.
    #[serde(default)]
    pub schema_plan: Vec<String>,
    /// Rows: seeded through the API, and what the head's boot left of the fingerprinted rows.
    #[serde(default)]
    pub rows: Option<UpgradeRows>,
    /// Per table (the base's table collections).
    #[serde(default)]
    pub tables: Vec<TableRows>,
    /// Columns (and whole tables) of the base that the upgraded database no longer has, with how
    /// many values they held.
    #[serde(default)]
    pub columns_dropped: Vec<DroppedColumn>,
    /// Directus itself: the version each image runs and Directus's own migrations the head's
    /// boot ran. None in documents written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directus: Option<DirectusUpgrade>,
    /// The base image booted again on the upgraded database.
    #[serde(default)]
    pub rollback: Option<Rollback>,
    /// The one-line summary, e.g. `upgrade from main: 2 migrations applied, 3 fields added; 480
    /// rows seeded, 480 preserved, 0 lost; rollback refused: would delete field projects.budget`.
    /// Words, kept for version-1 readers: the command layer fills it with the renderer's wording
    /// (src/render/upgrade_drill.rs); the drill leaves it empty.
    #[serde(default)]
    pub summary: String,
    /// With `--keep`: the command that removes what was left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
}

/// Row counts over every fingerprinted table.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct UpgradeRows {
    /// Created through the REST API.
    pub seeded: usize,
    /// In the base tables before the head's boot (seeded plus what Directus or db-init put there).
    pub before: usize,
    /// Still there (same primary key) with every shared column unchanged.
    pub preserved: usize,
    /// Still there, with a shared column's value changed (compared as text).
    pub changed: usize,
    /// Gone.
    pub lost: usize,
}

/// One table's rows before and after the head's boot.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct TableRows {
    pub collection: String,
    pub before: usize,
    /// None when the table is gone.
    pub after: Option<usize>,
    pub preserved: usize,
    pub changed: usize,
    pub lost: usize,
    /// The columns compared (in both the base and the head snapshots).
    pub columns: Vec<String>,
}

/// A column (or, with `field` null, a table) the upgraded database no longer has.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct DroppedColumn {
    pub collection: String,
    pub field: Option<String>,
    /// Non-null values it held (rows, for a table).
    pub values: usize,
}

/// Directus's side of the upgrade.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct DirectusUpgrade {
    /// The Directus version REF's image runs (the `version` of its `/directus/package.json`,
    /// read from the container); None when it could not be read.
    pub from: Option<String>,
    /// The Directus version the head's image runs, read the same way.
    pub to: Option<String>,
    /// Directus's own migrations the head's boot ran: the rows of `directus_migrations` that
    /// were not there before it, by version. None when the table could not be read.
    pub migrations: Option<Vec<DirectusMigration>>,
}

/// One of Directus's own migrations (a row of `directus_migrations`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DirectusMigration {
    /// E.g. `20260217A`.
    pub version: String,
    /// E.g. `Nullable Version Item`.
    pub name: String,
}

/// What the base image did on the upgraded database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Rollback {
    pub outcome: RollbackOutcome,
    /// `refused`: the reason in the container's words, e.g. `would delete field
    /// projects.budget`. `failed`: the boot failure in words, for version-1 readers (the JSON
    /// renderer fills it from `failure`).
    pub detail: Option<String>,
    /// What the schema step's snapshot-history guard did, read from the boot's `[schema]` lines.
    /// None in documents written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<SchemaGuard>,
    /// `failed`: why the boot failed, as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<fact::BootFailure>,
}

impl Rollback {
    /// The snapshot-history guard refused the base image (its reason is the guard's).
    pub fn refused_by_guard(&self) -> bool {
        matches!(self.guard, Some(SchemaGuard::Refused { .. }))
    }
}

/// What the schema step's snapshot-history guard (scripts/schema-apply.mjs: an image whose
/// snapshot is older than the schema applied last does not apply it) did on the rollback's boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum SchemaGuard {
    /// It refused the older image: the boot stopped before Directus started. `reason` in the
    /// schema step's words.
    Refused { reason: String },
    /// It started Directus on the newer schema without applying the image's older snapshot.
    KeptNewer { reason: String },
    /// It applied the older snapshot because the boot had TRM_ALLOW_SCHEMA_ROLLBACK=1.
    Overridden { reason: String },
    /// It let the image's snapshot through to the plan as always: the snapshot is not older
    /// than the database's schema (or the image predates the guard).
    Allowed,
    /// The boot ended before the schema step (db-init refused or failed first).
    NotReached,
}

impl SchemaGuard {
    /// The word the document writes in `verdict`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SchemaGuard::Refused { .. } => "refused",
            SchemaGuard::KeptNewer { .. } => "kept-newer",
            SchemaGuard::Overridden { .. } => "overridden",
            SchemaGuard::Allowed => "allowed",
            SchemaGuard::NotReached => "not-reached",
        }
    }
}

/// How the base image's boot on the upgraded database ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RollbackOutcome {
    /// It came up healthy.
    Healthy,
    /// The boot stopped itself, saying why.
    Refused,
    /// Anything else.
    Failed,
}

impl RollbackOutcome {
    /// The word the document writes (`healthy`, `refused`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            RollbackOutcome::Healthy => "healthy",
            RollbackOutcome::Refused => "refused",
            RollbackOutcome::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn every_stage() -> Results {
        let span = Span { line: 3, col: 1, end_line: 3, end_col: 18, offset: 0, len: 0 };
        Results {
            repository: Some("/src/app".into()),
            head: Some("a".repeat(40)),
            base: Some("origin/main (merge-base 1a2b3c4)".into()),
            base_revision: Some("b".repeat(40)),
            lint: Some(Lint {
                summary: LintSummary { errors: 1, warnings: 1, files_checked: 14, omitted_errors: 3, omitted_warnings: 0, pre_existing: 0 },
                findings: vec![
                    Finding {
                        rule: "migrations/destructive".into(),
                        severity: Severity::Error,
                        file: "db-init/0004_drop.sql".into(),
                        span: Some(span),
                        message: "DROP TABLE `legacy` deletes its rows".into(),
                        help: "add an ignore".into(),
                    },
                    Finding {
                        rule: "lint/unreadable-file".into(),
                        severity: Severity::Warning,
                        file: "scripts/logo.png".into(),
                        span: None,
                        message: "binary".into(),
                        help: "remove it".into(),
                    },
                ],
                omitted: vec![Omitted {
                    rule: "migrations/destructive".into(),
                    severity: Severity::Error,
                    file: "db-init/0004_drop.sql".into(),
                    count: 3,
                }],
                pre_existing: vec![],
                approved: vec![],
                config_weakened: vec![],
                base_skipped: Some(BaseSkipped::NoBase { why: "no origin/main".into() }),
                config_file: Some("trm-ci.toml".into()),
                config_not_compared: None,
                notes: vec!["a note".into()],
                sources: BTreeMap::new(),
            }),
            build: Some(Build {
                ok: true,
                tag: "trm-directus:dev".into(),
                image_id: Some("sha256:abc".into()),
                base_image: Some("directus/directus:11.17.4".into()),
                total_size: Some(600),
                base_size: Some(500),
                added_size: Some(100),
                max_size: 600_000_000,
                steps: vec![BuildStep { number: 1, instruction: "FROM x".into(), cached: true, seconds: 0.5, output: vec![] }],
                cached_steps: vec![1],
                layers: vec![Layer { instruction: Some("COPY a /a".into()), created_by: "COPY".into(), size: 100 }],
                error_output: vec!["npm ERR!".into()],
                ..Default::default()
            }),
            smoke: Some(Smoke {
                ok: false,
                image: "trm-directus:dev".into(),
                scenarios: vec![Scenario {
                    name: "cold".into(),
                    ok: false,
                    seconds: 12.5,
                    time_to_healthy: Some(8.25),
                    time_to_pong: None,
                    stop_seconds: None,
                    replicas: None,
                    checks: vec![
                        Check::pass(fact::CommonFact::Error { error: "[db-init] 3 applied, 0 skipped".into() }),
                        Check::Steps { detail: vec![StepStart { step: "db-init".into(), after: 0.125 }] },
                        Check::note(fact::CommonFact::Error { error: "in an idle container".into() }),
                        Check::fail(fact::CommonFact::Error { error: "no `[schema] applied` line".into() }),
                    ],
                    failure: Some("no `[schema] applied` line".into()),
                    log_tail: vec!["[schema] ERROR: boom".into()],
                }],
                baseline: Some(Baseline { base_image: "directus/directus:11.17.4".into(), cold_ratio: Some(1.25), ..Default::default() }),
                ..Default::default()
            }),
            upgrade: Some(Upgrade { ok: true, ..Default::default() }),
            stages: vec![Stage { name: StageName::Lint, ok: false, seconds: 0.5 }],
            ..Results::default()
        }
    }

    #[test]
    fn every_stage_reads_back_as_written() {
        let doc = every_stage();
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let back: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
    }

    #[test]
    fn a_document_without_lint_reads_back_without_lint() {
        let doc = Results { build: every_stage().build, ..Results::default() };
        let text = serde_json::to_string(&doc).unwrap();
        assert!(!text.contains("\"findings\"") && !text.contains("\"summary\""), "{text}");
        let back: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn version_1_fields_keep_their_place() {
        let v: serde_json::Value = serde_json::to_value(every_stage()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["tool"]["name"], "trm-ci");
        assert_eq!(v["summary"]["errors"], 1);
        let f = &v["findings"][0];
        assert_eq!(f["rule"], "migrations/destructive");
        assert_eq!((f["line"].as_u64(), f["column"].as_u64(), f["end_line"].as_u64(), f["end_column"].as_u64()), (Some(3), Some(1), Some(3), Some(18)));
        assert!(v["findings"][1]["line"].is_null() && v["findings"][1]["end_column"].is_null());
        assert_eq!(
            v["smoke"]["scenarios"][0]["checks"][0],
            serde_json::json!({"status": "pass", "detail": "", "fact": {"kind": "error", "error": "[db-init] 3 applied, 0 skipped"}})
        );
        // A reader of an older version's document gets the fields it knows.
        let old = r#"{"version":1,"tool":{"name":"trm-ci","version":"0.1.0"},"base":null,
            "summary":{"errors":0,"warnings":0,"files_checked":2},"findings":[],"notes":[],"future":{"x":1}}"#;
        let back: Results = serde_json::from_str(old).unwrap();
        assert_eq!(back.lint.unwrap().summary.files_checked, 2);
    }
}
