//! The schema: every section of the configuration as a serde struct with the original's
//! defaults, and [`Key`], the typed name of each leaf a variable or flag may set.
//!
//! Sections deny unknown fields, so a misspelt key in the file is an error that names it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::secrets::Secrets;
use crate::domain::RepoName;

/// A monitored workflow: how humans call it and the file name GitHub addresses it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub name: String,
    pub file: String,
}

fn wf(name: &str, file: &str) -> Workflow {
    Workflow {
        name: name.into(),
        file: file.into(),
    }
}

/// Which analysis backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// claude-code if the CLI is found, else api if configured, else builtin.
    Auto,
    /// The Claude Code CLI in a worktree of sglang at the exact commit.
    ClaudeCode,
    /// The Anthropic Messages API through the LLM gateway.
    Api,
    /// The deterministic analyser: no LLM at all.
    Builtin,
}

/// Where the monitor sends its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MonitorOutput {
    Stdout,
    DailyIssue,
}

/// GitHub access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubConfig {
    /// REST base URL; GitHub Enterprise is `https://HOST/api/v3`.
    pub api_url: String,
    /// The repository whose CI is watched.
    pub target_repo: RepoName,
    /// The repository holding the bot's issues (daily reports, trackers).
    pub bot_repo: Option<RepoName>,
    pub user_agent: String,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff wait, in milliseconds (doubles per attempt).
    pub retry_base_delay_ms: u64,
    /// Longest wait for a rate limit to reset before giving up.
    pub max_rate_limit_wait_secs: u64,
    /// Pause after a secondary rate limit that names no time (GitHub asks for a minute).
    pub secondary_wait_secs: u64,
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: "https://api.github.com".into(),
            target_repo: "sgl-project/sglang"
                .parse()
                .expect("the default repository name parses"),
            bot_repo: None,
            user_agent: concat!("sglang-bot/", env!("CARGO_PKG_VERSION")).into(),
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            max_attempts: 5,
            retry_base_delay_ms: 1000,
            max_rate_limit_wait_secs: 300,
            secondary_wait_secs: 60,
        }
    }
}

/// The CI monitor (`monitor`, `ensure-daily-issue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    /// Watched workflows, in report order.
    pub workflows: Vec<Workflow>,
    /// Lookback on run creation time.
    pub hours_back: u32,
    pub branch: String,
    pub output: MonitorOutput,
    /// Keep only jobs whose name contains this (case-sensitive).
    pub job_name: Option<String>,
    /// Runs kept per workflow per tick.
    pub max_runs: usize,
    /// Jobs analysed at once.
    pub parallel: usize,
    /// Characters each part of a workflow's comment is packed to, at most (from
    /// [`MIN_COMMENT_CHARS`] to GitHub's hard limit of 65,536).
    pub comment_max_chars: usize,
    /// Trigger the daily summary after publishing.
    pub build_daily_summary: bool,
    /// The label the daily issue is created with and listed by (the original's `ci-monitor`).
    pub daily_label: String,
    /// Local cache of processed jobs (the issue's markers stay the source of truth).
    pub state_file: PathBuf,
    /// Seconds from the tick's start after which rate-limit waits are not waited out: the
    /// writes left are deferred to the next tick (keep it below the job's timeout).
    pub tick_budget_secs: u64,
    /// Runs of a workflow on the branch read to find since when a job fails (its last green
    /// and first red run); one page, at most 100.
    pub history_runs: usize,
    /// Requests a tick may spend on that history (the runs, their jobs, the compare), across
    /// all workflows: the lookback window's own reads are not counted.
    pub history_requests: usize,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            workflows: vec![
                wf("Nightly Test (AMD)", "nightly-test-amd.yml"),
                wf(
                    "Nightly Test (AMD ROCm 7.2)",
                    "nightly-test-amd-rocm720.yml",
                ),
                wf(
                    "Release Docker Images Nightly (AMD)",
                    "release-docker-amd-nightly.yml",
                ),
                wf(
                    "Release Docker Images Nightly (AMD ROCm 7.2)",
                    "release-docker-amd-rocm720-nightly.yml",
                ),
                wf("AMD AITER Scout", "amd-aiter-scout.yml"),
                wf("PR Test (AMD)", "pr-test-amd.yml"),
                wf("PR Test (AMD ROCm 7.2)", "pr-test-amd-rocm720.yml"),
            ],
            hours_back: 24,
            branch: "main".into(),
            output: MonitorOutput::Stdout,
            job_name: None,
            max_runs: 5,
            parallel: 3,
            comment_max_chars: 60_000,
            build_daily_summary: true,
            daily_label: "ci-monitor".into(),
            state_file: PathBuf::from(".state/ci_monitor.json"),
            tick_budget_secs: 3600,
            history_runs: 30,
            history_requests: 40,
        }
    }
}

/// The analysis backends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    pub kind: BackendKind,
    /// The Claude Code CLI executable.
    pub claude_bin: String,
    /// Model of the API backend.
    pub model: String,
    /// Per-job agent turn budget.
    pub max_turns: u32,
    /// Per-job agent time limit.
    pub timeout_secs: u64,
    /// Cross-run agent time limit.
    pub cross_run_timeout_secs: u64,
    /// Where the sglang clone and the worktrees live.
    pub workspace: PathBuf,
    /// The LLM gateway's base URL (requests go to `{url}/v1/messages`).
    pub gateway_url: Option<String>,
    /// Extra CA bundle (PEM) for the gateway, instead of turning verification off.
    pub ca_bundle: Option<PathBuf>,
    /// `max_tokens` of a per-job API call.
    pub max_tokens: u32,
    /// The agent's instructions (installed as CLAUDE.md in every worktree) and the API's
    /// prompts; unset, the guide built into the binary, so it runs from any directory.
    pub instructions: Option<PathBuf>,
    /// Where the sglang clone is fetched from; `https://github.com/{target_repo}.git` when
    /// unset (a local mirror or GitHub Enterprise sets it).
    pub clone_url: Option<String>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            kind: BackendKind::Auto,
            claude_bin: "claude".into(),
            model: "claude-opus-4-8".into(),
            max_turns: 1000,
            timeout_secs: 1800,
            cross_run_timeout_secs: 600,
            workspace: PathBuf::from("/workspace"),
            gateway_url: None,
            ca_bundle: None,
            max_tokens: 16_000,
            instructions: None,
            clone_url: None,
        }
    }
}

/// The daily cross-workflow summary (`daily-summary`, and the monitor's trigger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummaryConfig {
    /// Agent turn budget (the summary reads every workflow's reports).
    pub max_turns: u32,
    /// Agent time limit.
    pub timeout_secs: u64,
    /// `max_tokens` of the API fallback.
    pub max_tokens: u32,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            max_turns: 200,
            timeout_secs: 1200,
            max_tokens: 8192,
        }
    }
}

/// One workflow with a long-lived failure tracker issue upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackedWorkflow {
    /// Workflow file, e.g. `pr-test-amd.yml`.
    pub file: String,
    /// The tracker issue's exact title.
    pub title: String,
    /// Earlier titles: an issue found by one is renamed to `title` and kept.
    #[serde(default)]
    pub legacy_titles: Vec<String>,
    /// The name shown in the tracker's heading.
    pub display: String,
}

/// The failure trackers (`failure-tracker`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Tracked workflows, in order; adding one creates its tracker issue on the next run.
    pub workflows: Vec<TrackedWorkflow>,
    /// Label of the tracker issues.
    pub label: String,
    /// Agent turn budget.
    pub max_turns: u32,
    /// Agent time limit.
    pub timeout_secs: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            workflows: vec![TrackedWorkflow {
                file: "pr-test-amd.yml".into(),
                title: "[Failure Tracker] PR Test (AMD)".into(),
                legacy_titles: vec!["[CI Tracker] PR Test (AMD) — Persistent Failure Ledger".into()],
                display: "PR Test (AMD)".into(),
            }],
            label: "ci-failure-tracker".into(),
            max_turns: 80,
            timeout_secs: 900,
        }
    }
}

/// What `ci-status` expects of a PR and how far back it looks on the base branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CiStatusConfig {
    /// Workflow files every PR is expected to run; one without a run for the head commit is
    /// named as missing (a PR never learns from silence that AMD CI did not start).
    pub expected_workflows: Vec<String>,
    /// Days of base-branch history (runs and the bot's daily issues) searched for the same
    /// failure before a PR's failure is called new.
    pub lookback_days: u32,
}

impl Default for CiStatusConfig {
    fn default() -> Self {
        CiStatusConfig {
            expected_workflows: vec!["pr-test-amd.yml".into()],
            lookback_days: 7,
        }
    }
}

/// The comment watcher (`watch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    /// Logins whose `@bot` commands are obeyed (compared case-insensitively, whole login).
    pub authorized_users: Vec<String>,
    /// The account the watcher must run as (`GET /user`): its 🚀 is the claim every watcher
    /// recognises, and `@login` is the trigger. Daemon and cron must share it.
    pub bot_login: String,
    /// A claim (the bot's 🚀) without an answer (👀) older than this belongs to a watcher that
    /// died between claim and dispatch: another watcher takes it over.
    pub claim_timeout_secs: u64,
    /// Attempts at a command before the watcher gives up and says so on the PR.
    pub max_attempts: u32,
    /// At most one `review` per PR within this many minutes (a review is a long agent run).
    pub review_cooldown_mins: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        let users = [
            "bingxche",
            "yctseng0211",
            "michaelzhang-ai",
            "Jacob0226",
            "yichiche",
            "kkHuang-amd",
            "HaiShaw",
            "1am9trash",
            "sogalin",
            "Kangyan-Zhou",
            "Fridge003",
            "BowenBao",
            "ColinZ22",
            "fxmarty-amd",
            "hubertlu-tw",
            "RolaoDenthu",
            "Duyi-Wang",
            "amd-danli103",
            "akao-amd",
            "jonahbernard",
            "At1a8",
        ];
        WatchConfig {
            authorized_users: users.iter().map(|u| u.to_string()).collect(),
            bot_login: "amd-bot".into(),
            claim_timeout_secs: 600,
            max_attempts: 5,
            review_cooldown_mins: 30,
        }
    }
}

impl WatchConfig {
    /// Whether `login` may command the bot: a whole-login match, ignoring case.
    pub fn is_authorized(&self, login: &str) -> bool {
        self.authorized_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(login))
    }
}

/// Everything a command may need, after all layers are applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub github: GithubConfig,
    pub monitor: MonitorConfig,
    pub backend: BackendConfig,
    pub summary: SummaryConfig,
    pub tracker: TrackerConfig,
    pub ci_status: CiStatusConfig,
    pub watch: WatchConfig,
    #[serde(skip)]
    pub secrets: Secrets,
    #[serde(skip)]
    pub dry_run: bool,
    /// The Claude Code agent's whole environment (an allow-list, see `AGENT_ENV_ALLOWED`).
    #[serde(skip)]
    pub agent_env: Vec<(String, String)>,
    /// The moment the command starts, fixed once so a run crossing midnight stays on one day.
    /// `SGLANG_BOT_NOW` (RFC 3339) sets it for tests and replays.
    #[serde(skip)]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where GitHub Actions collects step outputs (`$GITHUB_OUTPUT`), when running in a workflow.
    #[serde(skip)]
    pub github_output: Option<PathBuf>,
    /// Where GitHub Actions collects the job summary (`$GITHUB_STEP_SUMMARY`).
    #[serde(skip)]
    pub step_summary: Option<PathBuf>,
    /// Who asked for a PR command (`COMMENT_AUTHOR`, set by the workflow `watch` dispatches):
    /// mentioned in the answer. Untrusted text; each use checks it is a plausible login.
    #[serde(skip)]
    pub requester: Option<String>,
}

/// Where the monitor's report goes: `monitor.output` and `github.bot_repo` resolved together,
/// so a daily-issue report always has its repository and nobody checks for one again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Printed; nothing is written to GitHub.
    Stdout,
    /// Comments on the day's issue in this repository.
    DailyIssue(RepoName),
}

impl Config {
    /// The monitor's destination; `--output daily-issue` without a bot repository is a usage
    /// error (exit 2) before any request.
    pub fn monitor_destination(&self) -> Result<Destination, crate::error::UsageError> {
        match (self.monitor.output, &self.github.bot_repo) {
            (MonitorOutput::Stdout, _) => Ok(Destination::Stdout),
            (MonitorOutput::DailyIssue, Some(repo)) => Ok(Destination::DailyIssue(repo.clone())),
            (MonitorOutput::DailyIssue, None) => Err(crate::error::UsageError(
                "--output daily-issue needs --bot-repo (or BOT_REPO)".into(),
            )),
        }
    }
}

impl Config {
    /// The command's start time (UTC).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.started_at.unwrap_or_else(chrono::Utc::now)
    }
}

/// Seconds as a `Duration`, for config fields kept in whole seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The most runs `monitor.history_runs` reads: GitHub's largest page.
pub(super) const MAX_HISTORY_RUNS: usize = 100;
/// The most requests `monitor.history_requests` allows a tick (a bound on a typo's cost).
pub(super) const MAX_HISTORY_REQUESTS: usize = 1000;

/// The smallest `monitor.comment_max_chars`: part 1's header alone holds the cross-job summary
/// (up to 20,000 characters) and the job table, and must still fit one part.
pub const MIN_COMMENT_CHARS: usize = 30_000;

/// A value that breaks a rule the types cannot express: which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Invalid {
    pub key: &'static str,
    pub message: String,
}

impl Config {
    /// The rules serde cannot check; the caller names where the offending value came from.
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let api = self.github.api_url.parse::<http::Uri>();
        let usable = api.as_ref().is_ok_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some()
        });
        if !usable {
            return Err(Invalid {
                key: "github.api_url",
                message: "expected an http(s) URL such as https://api.github.com".into(),
            });
        }
        let chars = self.monitor.comment_max_chars;
        if !(MIN_COMMENT_CHARS..=crate::limits::MAX_BODY_CHARS).contains(&chars) {
            return Err(Invalid {
                key: "monitor.comment_max_chars",
                message: format!(
                    "must be from {MIN_COMMENT_CHARS} to {} (GitHub's limit)",
                    crate::limits::MAX_BODY_CHARS
                ),
            });
        }
        let label = &self.monitor.daily_label;
        // The issue listing filters by a comma-separated list of labels.
        if label.trim().is_empty() || label.contains(',') {
            return Err(Invalid {
                key: "monitor.daily_label",
                message: "expected one non-empty label without commas".into(),
            });
        }
        if !(1..=MAX_HISTORY_RUNS).contains(&self.monitor.history_runs) {
            return Err(Invalid {
                key: "monitor.history_runs",
                message: format!("must be from 1 to {MAX_HISTORY_RUNS} (one page of runs)"),
            });
        }
        if self.monitor.history_requests > MAX_HISTORY_REQUESTS {
            return Err(Invalid {
                key: "monitor.history_requests",
                message: format!(
                    "must be at most {MAX_HISTORY_REQUESTS} (0 reads no history at all)"
                ),
            });
        }
        if !(1..=90).contains(&self.ci_status.lookback_days) {
            return Err(Invalid {
                key: "ci_status.lookback_days",
                message: "must be from 1 to 90 days".into(),
            });
        }
        self.watch.validate()
    }
}

impl WatchConfig {
    /// The watcher's own rules: a login GitHub could have, a claim timeout from a second to a
    /// day, at least one attempt, a cooldown of at most a day.
    fn validate(&self) -> Result<(), Invalid> {
        let login_ok = !self.bot_login.is_empty()
            && self.bot_login.len() <= 39
            && self
                .bot_login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let rules: [(&'static str, bool, &str); 4] = [
            (
                "watch.bot_login",
                login_ok,
                "expected a GitHub login (letters, digits, '-', at most 39)",
            ),
            (
                "watch.claim_timeout_secs",
                (1..=86_400).contains(&self.claim_timeout_secs),
                "must be from 1 to 86400 seconds",
            ),
            (
                "watch.max_attempts",
                (1..=100).contains(&self.max_attempts),
                "must be from 1 to 100",
            ),
            (
                "watch.review_cooldown_mins",
                self.review_cooldown_mins <= 1440,
                "must be at most 1440 minutes (0 turns it off)",
            ),
        ];
        match rules.into_iter().find(|(_, ok, _)| !ok) {
            Some((key, _, message)) => Err(Invalid {
                key,
                message: message.into(),
            }),
            None => Ok(()),
        }
    }
}

/// What kind of value a [`Key`] holds, so a variable's text is parsed and range-checked for
/// its key before it joins the layers (and an error can name the variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text (strings and paths).
    Text,
    /// A whole number that fits a `u32`.
    U32,
    /// A whole number that fits TOML's integers (`u64` and `usize` fields).
    U64,
    /// `true` or `false`.
    Bool,
    /// One of [`BackendKind`]'s names.
    Backend,
    /// One of [`MonitorOutput`]'s names.
    Output,
    /// A list of [`Workflow`] tables.
    Workflows,
}

// Hand-rolled rather than a derive crate (strum): one small macro keeps `Key::ALL` complete
// by construction without adding a dependency.
macro_rules! keys {
    ($($(#[$doc:meta])* $variant:ident => $path:literal, $kind:ident;)*) => {
        /// A leaf of the configuration that a variable or a flag sets: a misspelt key does
        /// not compile, and a key missing from the schema fails a test.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Key {
            $($(#[$doc])* $variant,)*
        }

        impl Key {
            /// Every key, in declaration order.
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            /// The dotted name, as in `sglang-bot.toml` and in `sglang-bot config`.
            pub fn path(self) -> &'static str {
                match self {
                    $(Key::$variant => $path,)*
                }
            }

            /// What the key holds.
            pub fn kind(self) -> Kind {
                match self {
                    $(Key::$variant => Kind::$kind,)*
                }
            }
        }
    };
}

keys! {
    /// `github.api_url`.
    GithubApiUrl => "github.api_url", Text;
    /// `github.bot_repo`.
    GithubBotRepo => "github.bot_repo", Text;
    /// `monitor.workflows`.
    MonitorWorkflows => "monitor.workflows", Workflows;
    /// `monitor.hours_back`.
    MonitorHoursBack => "monitor.hours_back", U32;
    /// `monitor.branch`.
    MonitorBranch => "monitor.branch", Text;
    /// `monitor.output`.
    MonitorOutput => "monitor.output", Output;
    /// `monitor.job_name`.
    MonitorJobName => "monitor.job_name", Text;
    /// `monitor.parallel`.
    MonitorParallel => "monitor.parallel", U64;
    /// `monitor.build_daily_summary`.
    MonitorBuildDailySummary => "monitor.build_daily_summary", Bool;
    /// `backend.kind`.
    BackendKind => "backend.kind", Backend;
    /// `backend.claude_bin`.
    BackendClaudeBin => "backend.claude_bin", Text;
    /// `backend.model`.
    BackendModel => "backend.model", Text;
    /// `backend.max_turns`.
    BackendMaxTurns => "backend.max_turns", U32;
    /// `backend.timeout_secs`.
    BackendTimeoutSecs => "backend.timeout_secs", U64;
    /// `backend.cross_run_timeout_secs`.
    BackendCrossRunTimeoutSecs => "backend.cross_run_timeout_secs", U64;
    /// `backend.workspace`.
    BackendWorkspace => "backend.workspace", Text;
    /// `backend.gateway_url`.
    BackendGatewayUrl => "backend.gateway_url", Text;
    /// `backend.ca_bundle`.
    BackendCaBundle => "backend.ca_bundle", Text;
    /// `summary.max_turns`.
    SummaryMaxTurns => "summary.max_turns", U32;
    /// `summary.timeout_secs`.
    SummaryTimeoutSecs => "summary.timeout_secs", U64;
    /// `tracker.max_turns`.
    TrackerMaxTurns => "tracker.max_turns", U32;
    /// `tracker.timeout_secs`.
    TrackerTimeoutSecs => "tracker.timeout_secs", U64;
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::super::layers::{lookup, set_dotted};
    use super::*;
    use toml::Value;

    /// A value of `kind` unlike any default, at the edge of its range.
    fn sample(kind: Kind) -> Value {
        match kind {
            Kind::Text => "sample/text".into(),
            Kind::U32 => i64::from(u32::MAX).into(),
            Kind::U64 => i64::MAX.into(),
            Kind::Bool => false.into(),
            Kind::Backend => "builtin".into(),
            Kind::Output => "daily-issue".into(),
            Kind::Workflows => {
                let mut wf = toml::Table::new();
                wf.insert("name".into(), "Sample".into());
                wf.insert("file".into(), "sample.yml".into());
                Value::Array(vec![Value::Table(wf)])
            }
        }
    }

    #[test]
    fn a_daily_issue_destination_always_carries_its_repository() {
        let mut c = Config::default();
        assert_eq!(c.monitor_destination().unwrap(), Destination::Stdout);
        c.monitor.output = MonitorOutput::DailyIssue;
        let err = c.monitor_destination().unwrap_err();
        assert!(err.0.contains("--bot-repo"), "{err}");
        c.github.bot_repo = "amd-ci/sglang-ci-bot".parse().ok();
        match c.monitor_destination().unwrap() {
            Destination::DailyIssue(repo) => assert_eq!(repo.to_string(), "amd-ci/sglang-ci-bot"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_key_is_a_leaf_of_the_default_configurations_serialisation() {
        let defaults = Value::try_from(Config::default()).unwrap();
        for &key in Key::ALL {
            // Leaves whose default is unset (`Option`) are absent from the serialisation; the
            // sections must still hold them: set the key, then read it back through the schema.
            let mut table = defaults.as_table().unwrap().clone();
            set_dotted(&mut table, key.path(), sample(key.kind()));
            let config: Config = Value::Table(table).try_into().unwrap_or_else(|e| {
                panic!("{key} is not in the schema as a {:?}: {e}", key.kind())
            });
            let back = Value::try_from(&config).unwrap();
            let leaf = lookup(&back, key.path());
            assert_eq!(leaf, Some(&sample(key.kind())), "{key} did not round-trip");
            if let Some(default) = lookup(&defaults, key.path()) {
                assert!(!default.is_table(), "{key} is a section, not a leaf");
            }
        }
    }

    #[test]
    fn a_key_outside_the_schema_is_refused_by_it() {
        // What the test above relies on: the sections deny unknown fields.
        let mut table = Value::try_from(Config::default())
            .unwrap()
            .as_table()
            .unwrap()
            .clone();
        set_dotted(&mut table, "github.api_ulr", "https://x".into());
        assert!(Value::Table(table).try_into::<Config>().is_err());
    }

    #[test]
    fn no_two_keys_share_a_path() {
        let mut paths: Vec<&str> = Key::ALL.iter().map(|k| k.path()).collect();
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(paths.len(), before);
    }

    #[test]
    fn the_default_comment_size_and_label_are_the_originals() {
        let m = MonitorConfig::default();
        assert_eq!(m.comment_max_chars, 60_000);
        assert_eq!(m.daily_label, "ci-monitor");
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn comment_size_and_daily_label_are_checked() {
        let with = |chars: usize, label: &str| {
            let mut c = Config::default();
            c.monitor.comment_max_chars = chars;
            c.monitor.daily_label = label.into();
            c.validate().err().map(|e| e.key)
        };
        assert_eq!(with(MIN_COMMENT_CHARS, "ci-monitor"), None);
        assert_eq!(with(crate::limits::MAX_BODY_CHARS, "ci-monitor"), None);
        assert_eq!(
            with(MIN_COMMENT_CHARS - 1, "ci-monitor"),
            Some("monitor.comment_max_chars")
        );
        assert_eq!(
            with(crate::limits::MAX_BODY_CHARS + 1, "ci-monitor"),
            Some("monitor.comment_max_chars")
        );
        assert_eq!(with(60_000, ""), Some("monitor.daily_label"));
        assert_eq!(with(60_000, "a,b"), Some("monitor.daily_label"));
    }

    #[test]
    fn history_runs_default_to_thirty_within_one_page_and_history_requests_are_bounded() {
        let m = MonitorConfig::default();
        assert_eq!((m.history_runs, m.history_requests), (30, 40));
        let with = |runs: usize, requests: usize| {
            let mut c = Config::default();
            c.monitor.history_runs = runs;
            c.monitor.history_requests = requests;
            c.validate().err().map(|e| e.key)
        };
        assert_eq!(with(1, 0), None);
        assert_eq!(with(MAX_HISTORY_RUNS, MAX_HISTORY_REQUESTS), None);
        assert_eq!(with(0, 40), Some("monitor.history_runs"));
        assert_eq!(with(MAX_HISTORY_RUNS + 1, 40), Some("monitor.history_runs"));
        assert_eq!(
            with(30, MAX_HISTORY_REQUESTS + 1),
            Some("monitor.history_requests")
        );
    }

    #[test]
    fn the_ci_status_lookback_is_from_one_to_ninety_days() {
        let with = |days: u32| {
            let mut c = Config::default();
            c.ci_status.lookback_days = days;
            c.validate().err().map(|e| e.key)
        };
        assert_eq!(Config::default().ci_status.lookback_days, 7);
        assert_eq!(with(1), None);
        assert_eq!(with(90), None);
        assert_eq!(with(0), Some("ci_status.lookback_days"));
        assert_eq!(with(91), Some("ci_status.lookback_days"));
    }

    #[test]
    fn the_watchers_login_timeout_attempts_and_cooldown_are_checked() {
        let with = |change: &dyn Fn(&mut WatchConfig)| {
            let mut c = Config::default();
            change(&mut c.watch);
            c.validate().err().map(|e| e.key)
        };
        let d = Config::default().watch;
        assert_eq!(
            (
                d.bot_login.as_str(),
                d.claim_timeout_secs,
                d.max_attempts,
                d.review_cooldown_mins
            ),
            ("amd-bot", 600, 5, 30)
        );
        assert_eq!(with(&|_| {}), None);
        assert_eq!(
            with(&|w| w.bot_login = "x".repeat(40)),
            Some("watch.bot_login")
        );
        assert_eq!(
            with(&|w| w.bot_login = "amd bot".into()),
            Some("watch.bot_login")
        );
        assert_eq!(
            with(&|w| w.bot_login = String::new()),
            Some("watch.bot_login")
        );
        assert_eq!(
            with(&|w| w.claim_timeout_secs = 0),
            Some("watch.claim_timeout_secs")
        );
        assert_eq!(with(&|w| w.claim_timeout_secs = 1), None);
        assert_eq!(
            with(&|w| w.claim_timeout_secs = 86_401),
            Some("watch.claim_timeout_secs")
        );
        assert_eq!(with(&|w| w.max_attempts = 0), Some("watch.max_attempts"));
        assert_eq!(with(&|w| w.review_cooldown_mins = 0), None);
        assert_eq!(
            with(&|w| w.review_cooldown_mins = 1441),
            Some("watch.review_cooldown_mins")
        );
    }
}
