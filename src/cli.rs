//! The command line: global options and one Args struct per subcommand (clap derive).
//!
//! Flags that mirror configuration keys are `Option`s without clap defaults or env
//! fallbacks: `config` applies defaults, the file and the environment, so precedence and
//! provenance live in one place. Help texts state the default and the variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{BackendKind, FlagInputs, FlagValue, Key, MonitorOutput};

/// CI-watch and PR assistant bot for the AMD CI of sgl-project/sglang.
#[derive(Debug, Parser)]
#[command(name = "sglang-bot", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [env: SGLANG_BOT_CONFIG] [default: ./sglang-bot.toml if present]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log every write to GitHub ("would POST …") instead of sending it; reads still happen.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Analysis backend [env: SGLANG_BOT_BACKEND] [default: auto]
    #[arg(long, global = true, value_enum)]
    pub backend: Option<BackendKind>,
    /// Report format, for commands that print a report.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log output (repeat for more); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (repeat for less).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
}

/// Global options that mean nothing to a subcommand: hidden from its help (still accepted,
/// since scripts pass global flags uniformly). `(subcommand, option ids)`.
const IRRELEVANT_GLOBALS: &[(&str, &[&str])] = &[
    ("analyze-log", &["dry_run", "backend"]),
    ("config", &["dry_run", "format"]),
    ("completions", &["dry_run", "backend", "format"]),
    // The watcher analyses nothing and prints no report (its log is its output).
    ("watch", &["backend", "format"]),
];

/// The help of the subcommand named in `args` (the process's arguments, program name first)
/// without the global options it ignores, when it has any; `None` leaves the help to clap.
/// Only help is tailored: parsing keeps the derive's tree, so the hidden options still work.
pub fn tailored_help(args: &[std::ffi::OsString]) -> Option<String> {
    use clap::CommandFactory;
    let (name, ids) = args.iter().skip(1).find_map(|arg| {
        IRRELEVANT_GLOBALS
            .iter()
            .find(|(name, _)| arg.to_str() == Some(name))
    })?;
    let mut tree = Cli::command();
    // Global options reach the subcommands only when the tree is built.
    tree.build();
    let sub = tree.find_subcommand_mut(name)?;
    let mut sub = std::mem::take(sub);
    for id in *ids {
        sub = sub.mut_arg(*id, |a| a.hide(true));
    }
    let long = args.iter().any(|a| a == "--help");
    let help = if long {
        sub.render_long_help()
    } else {
        sub.render_help()
    };
    Some(help.to_string())
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown, as posted on GitHub.
    Text,
    /// Machine-readable JSON.
    Json,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl From<LogFormat> for crate::logging::LineFormat {
    fn from(f: LogFormat) -> Self {
        match f {
            LogFormat::Text => crate::logging::LineFormat::Text,
            LogFormat::Json => crate::logging::LineFormat::Json,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find or create today's daily CI report issue in the bot repo.
    EnsureDailyIssue(EnsureDailyIssueArgs),
    /// One monitor tick: analyse new failed jobs of the watched workflows and report them.
    Monitor(MonitorArgs),
    /// Build the cross-workflow summary in the daily issue's body.
    DailySummary(DailySummaryArgs),
    /// Update the per-workflow failure tracker issues.
    FailureTracker(FailureTrackerArgs),
    /// Analyse a GitHub Actions run or job given by URL.
    AnalyzeUrl(AnalyzeUrlArgs),
    /// Review a pull request.
    ReviewPr(ReviewPrArgs),
    /// Report a PR's CI status and whether its failures are its own.
    CiStatus(CiStatusArgs),
    /// Watch comments for `@bot` commands and answer them.
    Watch(WatchArgs),
    /// Write the static dashboard: workflows × days, open failures, new and fixed today.
    Dashboard(DashboardArgs),
    /// Analyse a local job log offline (no network, no LLM): FILE or - for stdin.
    AnalyzeLog(AnalyzeLogArgs),
    /// Print the effective configuration (secrets redacted) and where each value came from.
    Config(ConfigArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `--use-agent`/`--no-use-agent`, the original's backend switch, kept as aliases.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentSwitch {
    /// Prefer the Claude Code agent, then the API, then the builtin analyser: the original's
    /// switch, which deployed workflows pass on every runner (= --backend auto) [env: USE_AGENT]
    #[arg(long, overrides_with = "no_use_agent")]
    pub use_agent: bool,
    /// Use the API mode (alias of --backend api).
    #[arg(long, overrides_with = "use_agent")]
    pub no_use_agent: bool,
}

impl AgentSwitch {
    fn backend(&self) -> Option<BackendKind> {
        if self.use_agent {
            Some(BackendKind::Auto)
        } else if self.no_use_agent {
            Some(BackendKind::Api)
        } else {
            None
        }
    }
}

/// `--github-token` and `--bot-repo`, shared by the commands that talk to GitHub.
#[derive(Debug, Clone, Default, Args)]
pub struct GithubArgs {
    /// GitHub token [env: BOT_PAT, then GH_PAT, then GITHUB_TOKEN; first non-empty wins]
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,
    /// Repository of the bot's issues, OWNER/NAME [env: BOT_REPO]
    #[arg(long, value_name = "OWNER/NAME")]
    pub bot_repo: Option<String>,
}

/// Arguments of `ensure-daily-issue` (the original had none; these add flags with the
/// original's environment fallbacks).
#[derive(Debug, Clone, Args)]
pub struct EnsureDailyIssueArgs {
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `monitor`.
#[derive(Debug, Clone, Args)]
pub struct MonitorArgs {
    /// Workflow files to watch [default: the seven AMD workflows]; a bare flag watches none.
    #[arg(long, num_args = 0.., value_name = "WF")]
    pub workflows: Option<Vec<String>>,
    /// Lookback on run creation time, in hours [default: 24]
    #[arg(long, value_name = "N")]
    pub hours_back: Option<u32>,
    /// Where the report goes [default: stdout]
    #[arg(long, value_enum)]
    pub output: Option<MonitorOutput>,
    /// Only jobs whose name contains S (case-sensitive).
    #[arg(long, value_name = "S")]
    pub job_name: Option<String>,
    /// Branch of the runs [default: main]
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// The day whose daily issue gets the reports: the tick's date, today or yesterday (UTC)
    /// [default: today]. A matrix job that starts after midnight still writes to its tick's day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// A `YYYY-MM-DD` date, checked (the original took any text and searched for a title that
/// could never exist).
fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("expected YYYY-MM-DD ({e})"))
}

/// Arguments of `config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Print a commented sample with every default instead (a file to start from: uncomment
    /// only what you change)
    #[arg(long)]
    pub defaults: bool,
}

/// Arguments of `daily-summary`.
#[derive(Debug, Clone, Args)]
pub struct DailySummaryArgs {
    /// The day whose issue is summarised, YYYY-MM-DD [default: today, UTC]
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `failure-tracker`.
#[derive(Debug, Clone, Args)]
pub struct FailureTrackerArgs {
    /// The day whose daily issue is read, YYYY-MM-DD [default: today, UTC]
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `analyze-url`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeUrlArgs {
    /// A run or job URL of GitHub Actions; without --bot-repo the report is printed.
    #[arg(long, value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `review-pr`.
#[derive(Debug, Clone, Args)]
pub struct ReviewPrArgs {
    /// The pull request of sgl-project/sglang.
    pub pr_number: u64,
    /// What the review should look at closely.
    #[arg(long, value_name = "TEXT")]
    pub focus: Option<String>,
    /// Extra context for the reviewer.
    #[arg(long, value_name = "TEXT")]
    pub context: Option<String>,
    /// Print the review instead of posting it.
    #[arg(long)]
    pub no_post: bool,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `ci-status`.
#[derive(Debug, Clone, Args)]
pub struct CiStatusArgs {
    /// The pull request of sgl-project/sglang.
    pub pr_number: u64,
    /// Print the report instead of posting it.
    #[arg(long)]
    pub no_post: bool,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// One-shot look-back window, in hours.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub since_hours: u32,
    /// Poll forever instead of one pass.
    #[arg(long)]
    pub daemon: bool,
    /// Seconds between polls in daemon mode (±10 % jitter; fractions allowed).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub poll_interval: f64,
    #[command(flatten)]
    pub agent: AgentSwitch,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `dashboard`.
#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    /// Directory to write `index.html` and `data.json` into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Days in the grid, today included (1 to 90).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: u32,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Arguments of `analyze-log`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeLogArgs {
    /// The log file, or - for standard input.
    pub file: PathBuf,
}

/// Arguments of `completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

impl Cli {
    /// What the command line contributes to configuration resolution.
    pub fn flag_inputs(&self) -> FlagInputs {
        let mut values = Vec::new();
        let mut push = |key: Key, flag: &'static str, value: toml::Value| {
            values.push(FlagValue { key, value, flag });
        };
        let (github, agent) = self.command.github_and_agent();
        if let Some(repo) = github.and_then(|g| g.bot_repo.clone()) {
            push(Key::GithubBotRepo, "--bot-repo", repo.into());
        }
        if let Some(kind) = agent.and_then(AgentSwitch::backend) {
            let flag = if kind == BackendKind::ClaudeCode {
                "--use-agent"
            } else {
                "--no-use-agent"
            };
            push(Key::BackendKind, flag, name_value(kind));
        }
        if let Some(kind) = self.global.backend {
            push(Key::BackendKind, "--backend", name_value(kind));
        }
        if let Command::Monitor(m) = &self.command {
            if let Some(wfs) = &m.workflows {
                let list: Vec<toml::Value> = wfs
                    .iter()
                    .map(|file| {
                        let mut t = toml::Table::new();
                        t.insert("name".into(), file.clone().into());
                        t.insert("file".into(), file.clone().into());
                        toml::Value::Table(t)
                    })
                    .collect();
                push(
                    Key::MonitorWorkflows,
                    "--workflows",
                    toml::Value::Array(list),
                );
            }
            if let Some(h) = m.hours_back {
                push(Key::MonitorHoursBack, "--hours-back", i64::from(h).into());
            }
            if let Some(o) = m.output {
                push(Key::MonitorOutput, "--output", name_value(o));
            }
            if let Some(j) = &m.job_name {
                push(Key::MonitorJobName, "--job-name", j.clone().into());
            }
            if let Some(b) = &m.branch {
                push(Key::MonitorBranch, "--branch", b.clone().into());
            }
        }
        FlagInputs {
            config_path: self.global.config.clone(),
            values,
            github_token: github.and_then(|g| g.github_token.clone()),
            token_vars: self.command.token_vars(),
            dry_run: self.global.dry_run,
        }
    }
}

/// A choice as the file spells it (its serde name), so a flag and the file set the same value.
fn name_value<T: serde::Serialize>(choice: T) -> toml::Value {
    toml::Value::try_from(choice).expect("a choice serialises to its name")
}

impl Command {
    fn github_and_agent(&self) -> (Option<&GithubArgs>, Option<&AgentSwitch>) {
        match self {
            Command::EnsureDailyIssue(a) => (Some(&a.github), None),
            Command::Monitor(a) => (Some(&a.github), Some(&a.agent)),
            Command::DailySummary(a) => (Some(&a.github), Some(&a.agent)),
            Command::FailureTracker(a) => (Some(&a.github), Some(&a.agent)),
            Command::AnalyzeUrl(a) => (Some(&a.github), Some(&a.agent)),
            Command::ReviewPr(a) => (Some(&a.github), Some(&a.agent)),
            Command::CiStatus(a) => (Some(&a.github), Some(&a.agent)),
            Command::Watch(a) => (Some(&a.github), Some(&a.agent)),
            Command::Dashboard(a) => (Some(&a.github), None),
            Command::AnalyzeLog(_) | Command::Config(_) | Command::Completions(_) => (None, None),
        }
    }

    /// The token variables this command reads, in its own order.
    fn token_vars(&self) -> &'static [&'static str] {
        match self {
            Command::EnsureDailyIssue(_) => crate::config::TOKEN_VARS_DAILY_ISSUE,
            Command::ReviewPr(_) | Command::CiStatus(_) => crate::config::TOKEN_VARS_PR,
            _ => crate::config::TOKEN_VARS_BOT,
        }
    }

    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::EnsureDailyIssue(_) => "ensure-daily-issue",
            Command::Monitor(_) => "monitor",
            Command::DailySummary(_) => "daily-summary",
            Command::FailureTracker(_) => "failure-tracker",
            Command::AnalyzeUrl(_) => "analyze-url",
            Command::ReviewPr(_) => "review-pr",
            Command::CiStatus(_) => "ci-status",
            Command::Watch(_) => "watch",
            Command::Dashboard(_) => "dashboard",
            Command::AnalyzeLog(_) => "analyze-log",
            Command::Config(_) => "config",
            Command::Completions(_) => "completions",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    use crate::config::{resolve, Config};
    use std::collections::HashMap;

    fn resolved(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(args).expect("parses");
        resolve(&cli.flag_inputs(), &HashMap::<String, String>::new())
            .expect("resolves")
            .config
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn help_of(sub: &str) -> String {
        let args = ["sglang-bot", sub, "--help"].map(std::ffi::OsString::from);
        tailored_help(&args).unwrap_or_else(|| {
            let mut tree = Cli::command();
            tree.build();
            tree.find_subcommand_mut(sub)
                .expect("subcommand")
                .render_long_help()
                .to_string()
        })
    }

    #[test]
    fn global_options_a_subcommand_ignores_are_hidden_from_its_help_but_accepted() {
        let analyze = help_of("analyze-log");
        assert!(
            !analyze.contains("--dry-run") && !analyze.contains("--backend"),
            "{analyze}"
        );
        assert!(analyze.contains("--format"), "{analyze}");
        let config = help_of("config");
        assert!(
            !config.contains("--dry-run") && !config.contains("--format"),
            "{config}"
        );
        let monitor = help_of("monitor");
        assert!(
            monitor.contains("--dry-run") && monitor.contains("--backend"),
            "{monitor}"
        );
        let watch = help_of("watch");
        assert!(
            watch.contains("--dry-run")
                && !watch.contains("--backend <")
                && !watch.contains("--format <"),
            "{watch}"
        );
        for args in [
            &[
                "sglang-bot",
                "analyze-log",
                "--dry-run",
                "--backend",
                "builtin",
                "x.log",
            ][..],
            &["sglang-bot", "--dry-run", "config", "--format", "json"],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
        let args = ["sglang-bot", "monitor", "--help"].map(std::ffi::OsString::from);
        assert_eq!(
            tailored_help(&args),
            None,
            "nothing to hide: clap's own help"
        );
    }

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    #[test]
    fn every_original_flag_of_the_other_commands_parses_with_its_default() {
        let Command::Watch(w) = parse(&["sglang-bot", "watch", "--bot-repo", "o/r"]) else {
            panic!("watch")
        };
        assert_eq!((w.since_hours, w.daemon, w.poll_interval), (1, false, 30.0));
        let Command::Watch(w) = parse(&[
            "sglang-bot",
            "watch",
            "--daemon",
            "--poll-interval",
            "15",
            "--since-hours",
            "3",
            "--github-token",
            "t",
        ]) else {
            panic!("watch")
        };
        assert_eq!((w.since_hours, w.daemon, w.poll_interval), (3, true, 15.0));
        assert_eq!(w.github.github_token.as_deref(), Some("t"));

        let Command::ReviewPr(r) = parse(&[
            "sglang-bot",
            "review-pr",
            "24512",
            "--focus",
            "kernels",
            "--context",
            "ROCm 7.2",
            "--no-post",
            "--no-use-agent",
        ]) else {
            panic!("review-pr")
        };
        assert_eq!(r.pr_number, 24512);
        assert_eq!(r.focus.as_deref(), Some("kernels"));
        assert_eq!(r.context.as_deref(), Some("ROCm 7.2"));
        assert!(r.no_post);
        assert_eq!(r.agent.backend(), Some(BackendKind::Api));
        let Command::ReviewPr(r) = parse(&["sglang-bot", "review-pr", "7"]) else {
            panic!("review-pr")
        };
        assert_eq!((r.focus, r.context, r.no_post), (None, None, false));

        let Command::CiStatus(c) = parse(&["sglang-bot", "ci-status", "7", "--no-post"]) else {
            panic!("ci-status")
        };
        assert_eq!((c.pr_number, c.no_post), (7, true));

        let Command::AnalyzeUrl(a) = parse(&[
            "sglang-bot",
            "analyze-url",
            "--url",
            "https://github.com/sgl-project/sglang/actions/runs/1",
            "--bot-repo",
            "o/r",
            "--use-agent",
        ]) else {
            panic!("analyze-url")
        };
        assert!(a.url.ends_with("/runs/1"));
        assert_eq!(a.agent.backend(), Some(BackendKind::Auto));
        assert!(
            Cli::try_parse_from(["sglang-bot", "analyze-url"]).is_err(),
            "--url is required"
        );

        let Command::DailySummary(d) = parse(&[
            "sglang-bot",
            "daily-summary",
            "--bot-repo",
            "o/r",
            "--date",
            "2026-11-24",
        ]) else {
            panic!("daily-summary")
        };
        assert_eq!(d.date, chrono::NaiveDate::from_ymd_opt(2026, 11, 24));
        let Command::FailureTracker(f) =
            parse(&["sglang-bot", "failure-tracker", "--bot-repo", "o/r"])
        else {
            panic!("failure-tracker")
        };
        assert_eq!(f.date, None);
        assert!(
            Cli::try_parse_from(["sglang-bot", "daily-summary", "--date", "24/11/2026"]).is_err(),
            "a date that is not YYYY-MM-DD is refused"
        );
    }

    #[test]
    fn monitor_without_flags_gets_the_original_defaults() {
        let c = resolved(&["sglang-bot", "monitor"]);
        assert_eq!(c.monitor.hours_back, 24);
        assert_eq!(c.monitor.branch, "main");
        assert_eq!(c.monitor.output, MonitorOutput::Stdout);
        assert_eq!(c.monitor.job_name, None);
        assert_eq!(c.monitor.workflows.len(), 7);
        assert_eq!(c.github.bot_repo, None);
        assert_eq!(c.backend.kind, BackendKind::Auto);
        assert_eq!(c.secrets.github_token, None);
    }

    #[test]
    fn every_monitor_flag_reaches_the_configuration() {
        let c = resolved(&[
            "sglang-bot",
            "monitor",
            "--hours-back",
            "6",
            "--output",
            "daily-issue",
            "--branch",
            "release",
            "--job-name",
            "mi300",
            "--bot-repo",
            "o/bot",
            "--workflows",
            "a.yml",
            "b.yml",
            "--github-token",
            "tok-123456789",
        ]);
        assert_eq!(c.monitor.hours_back, 6);
        assert_eq!(c.monitor.output, MonitorOutput::DailyIssue);
        assert_eq!(c.monitor.branch, "release");
        assert_eq!(c.monitor.job_name.as_deref(), Some("mi300"));
        assert_eq!(c.github.bot_repo, "o/bot".parse().ok());
        let files: Vec<&str> = c
            .monitor
            .workflows
            .iter()
            .map(|w| w.file.as_str())
            .collect();
        assert_eq!(files, ["a.yml", "b.yml"]);
        assert_eq!(c.secrets.github_token.unwrap().expose(), "tok-123456789");
    }

    #[test]
    fn a_bare_workflows_flag_watches_nothing() {
        let c = resolved(&["sglang-bot", "monitor", "--workflows"]);
        assert!(c.monitor.workflows.is_empty());
    }

    #[test]
    fn use_agent_flags_are_aliases_of_backend() {
        // The original's meaning: prefer the agent and fall back (not the strict claude-code).
        assert_eq!(
            resolved(&["sglang-bot", "monitor", "--use-agent"])
                .backend
                .kind,
            BackendKind::Auto
        );
        assert_eq!(
            resolved(&["sglang-bot", "monitor", "--no-use-agent"])
                .backend
                .kind,
            BackendKind::Api
        );
        // The last of the pair wins, as with argparse.
        assert_eq!(
            resolved(&["sglang-bot", "monitor", "--no-use-agent", "--use-agent"])
                .backend
                .kind,
            BackendKind::Auto
        );
        // An explicit --backend beats the alias.
        assert_eq!(
            resolved(&[
                "sglang-bot",
                "--backend",
                "builtin",
                "monitor",
                "--use-agent"
            ])
            .backend
            .kind,
            BackendKind::Builtin
        );
    }
}
