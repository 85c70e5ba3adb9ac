//! The effective configuration: built-in defaults ◄ `sglang-bot.toml` ◄ environment ◄ flags.
//!
//! This is the only module that reads environment variables. Each layer is a TOML table; the
//! layers are merged key by key and every leaf remembers which layer set it, so `sglang-bot
//! config` can say where each value came from. Secrets (tokens, gateway key) never enter the
//! tables: they are resolved on their own and only ever printed redacted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// The file read when neither `--config` nor `SGLANG_BOT_CONFIG` names one (optional).
pub const DEFAULT_CONFIG_FILE: &str = "sglang-bot.toml";

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
    pub target_repo: String,
    /// The repository holding the bot's issues (daily reports, trackers).
    pub bot_repo: Option<String>,
    pub user_agent: String,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff wait, in milliseconds (doubles per attempt).
    pub retry_base_delay_ms: u64,
    /// Longest wait for a rate limit to reset before giving up.
    pub max_rate_limit_wait_secs: u64,
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: "https://api.github.com".into(),
            target_repo: "sgl-project/sglang".into(),
            bot_repo: None,
            user_agent: concat!("sglang-bot/", env!("CARGO_PKG_VERSION")).into(),
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            max_attempts: 5,
            retry_base_delay_ms: 1000,
            max_rate_limit_wait_secs: 300,
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
    /// Characters per comment part (GitHub's hard limit is 65,536).
    pub comment_max_chars: usize,
    /// Trigger the daily summary after publishing.
    pub build_daily_summary: bool,
    /// Label of the daily issue.
    pub daily_label: String,
    /// Local cache of processed jobs (the issue's markers stay the source of truth).
    pub state_file: PathBuf,
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
    /// The agent's instructions (installed as CLAUDE.md in every worktree).
    pub instructions: PathBuf,
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
            instructions: PathBuf::from("agent/CLAUDE.md"),
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

/// The comment watcher (`watch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    /// Logins whose `@bot` commands are obeyed (compared case-insensitively, whole login).
    pub authorized_users: Vec<String>,
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
}

impl Config {
    /// The command's start time (UTC).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.started_at.unwrap_or_else(chrono::Utc::now)
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => write!(f, "default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Flag(n) => write!(f, "flag {n}"),
        }
    }
}

/// A secret value with where it came from; Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    pub source: Source,
}

impl Secret {
    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<redacted>, from {})", self.source)
    }
}

/// Credentials, kept apart from the printable configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secrets {
    /// The bot's token: it writes issues and comments.
    pub github_token: Option<Secret>,
    /// A read-only token handed to the agent (never the bot's write token).
    pub agent_github_token: Option<Secret>,
    /// The LLM gateway's subscription key.
    pub gateway_key: Option<Secret>,
    /// The agent's own model credentials (`ANTHROPIC_API_KEY` …): passed to it, redacted here.
    pub agent_credentials: Vec<Secret>,
}

impl Secrets {
    /// Every secret value, for the redactor.
    pub fn values(&self) -> Vec<String> {
        [
            &self.github_token,
            &self.agent_github_token,
            &self.gateway_key,
        ]
        .into_iter()
        .flatten()
        .chain(&self.agent_credentials)
        .map(|s| s.value.clone())
        .collect()
    }
}

/// A configuration problem the user must fix: reported on one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("environment variable {var}={value:?}: {message}")]
    BadEnv {
        var: String,
        value: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

/// The raw inputs of resolution, so tests can pass a fake environment.
pub trait Environment {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: std::hash::BuildHasher> Environment for std::collections::HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A value set on the command line: a dotted key and its TOML value, plus the flag's name.
#[derive(Debug, Clone)]
pub struct FlagValue {
    pub key: &'static str,
    pub value: Value,
    pub flag: &'static str,
}

/// Environment variables that set configuration keys, with their parsers. Booleans accept
/// the original's spellings (`false`, `0`, `no` → false).
const ENV_KEYS: &[(&str, &str, EnvKind)] = &[
    ("GITHUB_API_URL", "github.api_url", EnvKind::Str),
    ("BOT_REPO", "github.bot_repo", EnvKind::Str),
    ("AGENT_PARALLEL", "monitor.parallel", EnvKind::Int),
    (
        "BUILD_DAILY_BOARD",
        "monitor.build_daily_summary",
        EnvKind::Bool,
    ),
    (
        "BUILD_DAILY_SUMMARY",
        "monitor.build_daily_summary",
        EnvKind::Bool,
    ),
    ("AGENT_MAX_TURNS", "backend.max_turns", EnvKind::Int),
    // The summary's own default differs (200), but the variable sets both, as it did.
    ("AGENT_MAX_TURNS", "summary.max_turns", EnvKind::Int),
    (
        "DAILY_SUMMARY_TIMEOUT_SECS",
        "summary.timeout_secs",
        EnvKind::Int,
    ),
    ("TRACKER_AGENT_MAX_TURNS", "tracker.max_turns", EnvKind::Int),
    (
        "TRACKER_AGENT_TIMEOUT_SECS",
        "tracker.timeout_secs",
        EnvKind::Int,
    ),
    ("AGENT_TIMEOUT_SECS", "backend.timeout_secs", EnvKind::Int),
    (
        "CROSS_RUN_TIMEOUT_SECS",
        "backend.cross_run_timeout_secs",
        EnvKind::Int,
    ),
    ("AGENT_WORKSPACE", "backend.workspace", EnvKind::Str),
    ("CLAUDE_BIN", "backend.claude_bin", EnvKind::Str),
    ("LLM_GATEWAY_URL", "backend.gateway_url", EnvKind::Str),
    ("CLAUDE_MODEL", "backend.model", EnvKind::Str),
    ("LLM_CA_BUNDLE", "backend.ca_bundle", EnvKind::Str),
    ("SGLANG_BOT_BACKEND", "backend.kind", EnvKind::Str),
];

#[derive(Debug, Clone, Copy)]
enum EnvKind {
    Str,
    Int,
    Bool,
}

/// The resolved configuration plus the provenance of every leaf key.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: Config,
    pub sources: BTreeMap<String, Source>,
}

/// Inputs of resolution that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct FlagInputs {
    pub config_path: Option<PathBuf>,
    pub values: Vec<FlagValue>,
    pub github_token: Option<String>,
    /// Token variables in the command's own order of precedence (the original's scripts
    /// differ, and deployments rely on it); empty values are skipped.
    pub token_vars: &'static [&'static str],
    pub dry_run: bool,
}

/// Token order of `monitor`, `analyze-url`, `watch`, `daily-summary`, `failure-tracker`.
pub const TOKEN_VARS_BOT: &[&str] = &["BOT_PAT", "GH_PAT", "GITHUB_TOKEN"];
/// Token order of `review-pr` and `ci-status`.
pub const TOKEN_VARS_PR: &[&str] = &["GH_PAT", "GITHUB_TOKEN"];
/// Token order of `ensure-daily-issue`.
pub const TOKEN_VARS_DAILY_ISSUE: &[&str] = &["GH_PAT", "BOT_PAT", "GITHUB_TOKEN"];

/// Variables the Claude Code agent may see: what it needs to run and reach its model, and
/// nothing that lets it write to GitHub. `GH_PAT`/`GH_TOKEN` are set from `AGENT_GH_TOKEN`.
const AGENT_ENV_ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TMPDIR",
    "TZ",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
    "DISABLE_TELEMETRY",
    "DISABLE_AUTOUPDATER",
    "CLAUDE_CONFIG_DIR",
];
/// Of the allowed variables, those whose values are credentials (redacted everywhere).
const AGENT_ENV_SECRET: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_OAUTH_TOKEN",
];

/// Resolves the configuration: defaults ◄ file ◄ env ◄ flags.
pub fn resolve(flags: &FlagInputs, env: &dyn Environment) -> Result<Resolved, ConfigError> {
    let defaults = Value::try_from(Config::default())
        .map_err(|e| ConfigError::Other(format!("defaults do not serialise: {e}")))?;
    let Value::Table(mut merged) = defaults else {
        return Err(ConfigError::Other("defaults are not a table".into()));
    };
    let mut sources = BTreeMap::new();
    record_leaves(&merged, "", &Source::Default, &mut sources);

    let explicit = flags
        .config_path
        .clone()
        .or_else(|| env.var("SGLANG_BOT_CONFIG").map(PathBuf::from));
    let path = explicit
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
    if explicit.is_some() || path.exists() {
        let file = load_file(&path)?;
        merge(
            &mut merged,
            file,
            "",
            &Source::File(path.clone()),
            &mut sources,
        );
    }

    for (var, key, kind) in ENV_KEYS {
        let Some(raw) = env.var(var) else { continue };
        let value = parse_env(var, &raw, *kind)?;
        set_dotted(&mut merged, key, value);
        sources.insert((*key).to_string(), Source::Env((*var).to_string()));
    }
    if let Some(raw) = env.var("USE_AGENT") {
        // The original's switch: off means API mode.
        if !parse_bool(&raw) {
            set_dotted(&mut merged, "backend.kind", Value::String("api".into()));
            sources.insert("backend.kind".into(), Source::Env("USE_AGENT".into()));
        }
    }

    for flag in &flags.values {
        set_dotted(&mut merged, flag.key, flag.value.clone());
        sources.insert(flag.key.to_string(), Source::Flag(flag.flag.to_string()));
    }

    let mut config: Config = Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Other(format!("invalid configuration: {e}")))?;
    config.secrets = resolve_secrets(flags, env);
    config.agent_env = agent_environment(env, config.secrets.agent_github_token.as_ref());
    config.dry_run = flags.dry_run;
    config.github_output = env
        .var("GITHUB_OUTPUT")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    config.step_summary = env
        .var("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    config.started_at = Some(match env.var("SGLANG_BOT_NOW") {
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| ConfigError::BadEnv {
                var: "SGLANG_BOT_NOW".into(),
                value: raw.clone(),
                message: format!("expected an RFC 3339 time ({e})"),
            })?,
        None => chrono::Utc::now(),
    });
    validate(&config)?;
    Ok(Resolved { config, sources })
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    for (key, repo) in [
        ("github.target_repo", Some(&config.github.target_repo)),
        ("github.bot_repo", config.github.bot_repo.as_ref()),
    ] {
        if let Some(repo) = repo {
            let ok = repo
                .split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
            if !ok {
                return Err(ConfigError::Other(format!(
                    "{key} = {repo:?}: expected OWNER/NAME"
                )));
            }
        }
    }
    if config.monitor.comment_max_chars > crate::limits::MAX_BODY_CHARS {
        return Err(ConfigError::Other(format!(
            "monitor.comment_max_chars = {}: must be at most {} (GitHub's limit)",
            config.monitor.comment_max_chars,
            crate::limits::MAX_BODY_CHARS
        )));
    }
    Ok(())
}

/// Token precedence: `--github-token`, then the command's variables in order; the first
/// non-empty one wins (the original let an empty variable shadow a real token).
fn resolve_secrets(flags: &FlagInputs, env: &dyn Environment) -> Secrets {
    let non_empty = |name: &str| {
        env.var(name)
            .filter(|v| !v.trim().is_empty())
            .map(|value| Secret {
                value,
                source: Source::Env(name.into()),
            })
    };
    let github_token = flags
        .github_token
        .clone()
        .filter(|t| !t.trim().is_empty())
        .map(|value| Secret {
            value,
            source: Source::Flag("--github-token".into()),
        })
        .or_else(|| {
            let vars = if flags.token_vars.is_empty() {
                TOKEN_VARS_BOT
            } else {
                flags.token_vars
            };
            vars.iter().find_map(|name| non_empty(name))
        });
    let agent_credentials = AGENT_ENV_SECRET
        .iter()
        .filter_map(|name| non_empty(name))
        .collect();
    Secrets {
        github_token,
        agent_github_token: non_empty("AGENT_GH_TOKEN"),
        gateway_key: non_empty("LLM_GATEWAY_KEY"),
        agent_credentials,
    }
}

fn agent_environment(
    env: &dyn Environment,
    read_only_token: Option<&Secret>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = AGENT_ENV_ALLOWED
        .iter()
        .filter_map(|name| env.var(name).map(|v| ((*name).to_string(), v)))
        .collect();
    if let Some(token) = read_only_token {
        // The agent's prompts say `$GH_PAT`; `gh` reads GH_TOKEN.
        out.push(("GH_PAT".into(), token.value.clone()));
        out.push(("GH_TOKEN".into(), token.value.clone()));
    }
    out
}

fn load_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    // Validate against the schema first: serde names the unknown key or the bad value and
    // its accepted values, with the line in the user's own file.
    toml::from_str::<Config>(&text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })?;
    text.parse::<Table>().map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn parse_bool(raw: &str) -> bool {
    !matches!(
        raw.trim().to_ascii_lowercase().as_str(),
        "false" | "0" | "no"
    )
}

fn parse_env(var: &str, raw: &str, kind: EnvKind) -> Result<Value, ConfigError> {
    match kind {
        EnvKind::Str => Ok(Value::String(raw.to_string())),
        EnvKind::Bool => Ok(Value::Boolean(parse_bool(raw))),
        EnvKind::Int => raw
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Value::Integer)
            .ok_or_else(|| ConfigError::BadEnv {
                var: var.into(),
                value: raw.into(),
                message: "expected a whole number ≥ 0".into(),
            }),
    }
}

fn record_leaves(table: &Table, prefix: &str, source: &Source, out: &mut BTreeMap<String, Source>) {
    for (key, value) in table {
        let path = join(prefix, key);
        match value {
            Value::Table(inner) => record_leaves(inner, &path, source, out),
            _ => {
                out.insert(path, source.clone());
            }
        }
    }
}

fn merge(
    base: &mut Table,
    layer: Table,
    prefix: &str,
    source: &Source,
    sources: &mut BTreeMap<String, Source>,
) {
    for (key, value) in layer {
        let path = join(prefix, &key);
        match (base.get_mut(&key), value) {
            (Some(Value::Table(inner)), Value::Table(layer_inner)) => {
                merge(inner, layer_inner, &path, source, sources)
            }
            (_, value) => {
                if let Value::Table(t) = &value {
                    record_leaves(t, &path, source, sources);
                } else {
                    sources.insert(path, source.clone());
                }
                base.insert(key, value);
            }
        }
    }
}

fn set_dotted(table: &mut Table, key: &str, value: Value) {
    let mut parts = key.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_string(), value);
            return;
        }
        current = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
            .expect("configuration sections are tables");
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Resolved {
    /// The configuration as TOML, each value annotated with its source, secrets redacted.
    pub fn to_annotated_toml(&self) -> String {
        let mut out = String::from("# Effective configuration of sglang-bot (secrets redacted)\n");
        let table = Value::try_from(&self.config).expect("config serialises");
        if let Value::Table(table) = table {
            for (section, value) in &table {
                let Value::Table(inner) = value else { continue };
                out.push_str(&format!("\n[{section}]\n"));
                for (key, value) in inner {
                    let path = format!("{section}.{key}");
                    let source = self.sources.get(&path).cloned().unwrap_or(Source::Default);
                    out.push_str(&format!("{key} = {}  # {source}\n", render_inline(value)));
                }
            }
        }
        out.push_str("\n[secrets]\n");
        for (name, secret) in [
            ("github_token", &self.config.secrets.github_token),
            (
                "agent_github_token",
                &self.config.secrets.agent_github_token,
            ),
            ("gateway_key", &self.config.secrets.gateway_key),
        ] {
            match secret {
                Some(s) => out.push_str(&format!("{name} = \"[REDACTED]\"  # {}\n", s.source)),
                None => out.push_str(&format!("# {name} is not set\n")),
            }
        }
        out
    }
}

fn render_inline(value: &Value) -> String {
    match value {
        Value::Array(items) if items.iter().any(Value::is_table) => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| format!("  {},", render_inline(v)))
                .collect();
            format!("[\n{}\n]", inner.join("\n"))
        }
        Value::Table(t) => {
            let fields: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", render_inline(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// Seconds as a `Duration`, for config fields kept in whole seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn token(flags: &FlagInputs, pairs: &[(&str, &str)]) -> Option<Source> {
        resolve(flags, &env(pairs))
            .unwrap()
            .config
            .secrets
            .github_token
            .map(|s| s.source)
    }

    #[test]
    fn each_command_keeps_its_original_token_order() {
        let all = [
            ("BOT_PAT", "bot-pat-123456"),
            ("GH_PAT", "gh-pat-123456"),
            ("GITHUB_TOKEN", "gt-123456"),
        ];
        let with = |vars| FlagInputs {
            token_vars: vars,
            ..FlagInputs::default()
        };
        assert_eq!(
            token(&with(TOKEN_VARS_BOT), &all),
            Some(Source::Env("BOT_PAT".into()))
        );
        assert_eq!(
            token(&with(TOKEN_VARS_PR), &all),
            Some(Source::Env("GH_PAT".into()))
        );
        assert_eq!(
            token(&with(TOKEN_VARS_DAILY_ISSUE), &all),
            Some(Source::Env("GH_PAT".into()))
        );
    }

    #[test]
    fn an_empty_token_variable_does_not_shadow_the_next() {
        let flags = FlagInputs {
            token_vars: TOKEN_VARS_BOT,
            ..FlagInputs::default()
        };
        assert_eq!(
            token(&flags, &[("BOT_PAT", ""), ("GH_PAT", "gh-pat-123456")]),
            Some(Source::Env("GH_PAT".into()))
        );
        assert_eq!(token(&flags, &[("BOT_PAT", " ")]), None);
    }

    #[test]
    fn g61_build_daily_board_applies_only_when_build_daily_summary_is_unset() {
        let due = |pairs: &[(&str, &str)]| {
            resolve(&FlagInputs::default(), &env(pairs))
                .unwrap()
                .config
                .monitor
                .build_daily_summary
        };
        assert!(due(&[]));
        assert!(!due(&[("BUILD_DAILY_SUMMARY", "False")]));
        assert!(!due(&[("BUILD_DAILY_SUMMARY", "0")]));
        assert!(!due(&[("BUILD_DAILY_SUMMARY", "NO")]));
        assert!(due(&[("BUILD_DAILY_SUMMARY", "yes")]));
        assert!(!due(&[("BUILD_DAILY_BOARD", "no")]));
        assert!(due(&[
            ("BUILD_DAILY_BOARD", "no"),
            ("BUILD_DAILY_SUMMARY", "true")
        ]));
        assert!(!due(&[
            ("BUILD_DAILY_BOARD", "true"),
            ("BUILD_DAILY_SUMMARY", "false")
        ]));
    }

    #[test]
    fn trackers_and_authorised_users_have_the_originals_defaults_and_env_names() {
        let c = resolve(&FlagInputs::default(), &env(&[])).unwrap().config;
        assert_eq!(c.tracker.workflows.len(), 1);
        assert_eq!(
            c.tracker.workflows[0].title,
            "[Failure Tracker] PR Test (AMD)"
        );
        assert_eq!((c.tracker.max_turns, c.tracker.timeout_secs), (80, 900));
        assert_eq!((c.summary.max_turns, c.summary.timeout_secs), (200, 1200));
        assert_eq!(c.watch.authorized_users.len(), 21);
        assert!(c.watch.is_authorized("haishaw"));
        assert!(c.watch.is_authorized("AT1A8"));
        assert!(!c.watch.is_authorized("haishaw2"), "whole logins only");
        assert!(!c.watch.is_authorized("amd-bot"));

        let c = resolve(
            &FlagInputs::default(),
            &env(&[
                ("TRACKER_AGENT_MAX_TURNS", "40"),
                ("TRACKER_AGENT_TIMEOUT_SECS", "60"),
                ("DAILY_SUMMARY_TIMEOUT_SECS", "300"),
                ("AGENT_MAX_TURNS", "150"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!((c.tracker.max_turns, c.tracker.timeout_secs), (40, 60));
        assert_eq!((c.summary.max_turns, c.summary.timeout_secs), (150, 300));
        assert_eq!(c.backend.max_turns, 150);
    }

    #[test]
    fn the_flag_token_beats_every_variable() {
        let flags = FlagInputs {
            token_vars: TOKEN_VARS_BOT,
            github_token: Some("flag-token-123".into()),
            ..FlagInputs::default()
        };
        assert_eq!(
            token(&flags, &[("BOT_PAT", "bot-pat-123456")]),
            Some(Source::Flag("--github-token".into()))
        );
    }

    #[test]
    fn agent_environment_holds_no_write_token() {
        let e = env(&[
            ("PATH", "/usr/bin"),
            ("BOT_PAT", "bot-write-token-1"),
            ("GH_PAT", "gh-write-token-12"),
            ("GITHUB_TOKEN", "actions-token-12"),
            ("LLM_GATEWAY_KEY", "gateway-key-1234"),
            ("ANTHROPIC_API_KEY", "sk-ant-agent-key-123"),
            ("AGENT_GH_TOKEN", "read-only-token-1"),
        ]);
        let resolved = resolve(&FlagInputs::default(), &e).unwrap().config;
        let agent: HashMap<_, _> = resolved.agent_env.iter().cloned().collect();
        assert_eq!(
            agent.get("GH_PAT").map(String::as_str),
            Some("read-only-token-1")
        );
        assert_eq!(
            agent.get("ANTHROPIC_API_KEY").map(String::as_str),
            Some("sk-ant-agent-key-123")
        );
        for leaked in [
            "bot-write-token-1",
            "gh-write-token-12",
            "actions-token-12",
            "gateway-key-1234",
        ] {
            assert!(
                !agent.values().any(|v| v == leaked),
                "{leaked} reached the agent"
            );
        }
        assert!(resolved
            .secrets
            .values()
            .contains(&"sk-ant-agent-key-123".to_string()));
    }

    #[test]
    fn without_a_read_only_token_the_agent_gets_no_github_token() {
        let e = env(&[("GH_PAT", "gh-write-token-12")]);
        let resolved = resolve(&FlagInputs::default(), &e).unwrap().config;
        assert!(!resolved
            .agent_env
            .iter()
            .any(|(k, _)| k == "GH_PAT" || k == "GH_TOKEN"));
    }
}
