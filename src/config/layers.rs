//! Resolution: built-in defaults ◄ `sglang-bot.toml` ◄ environment ◄ flags.
//!
//! Each layer is a TOML table; the layers are merged key by key and every leaf remembers which
//! layer set it, so `sglang-bot config` can say where each value came from and an error can
//! name the variable or flag that brought a bad value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::env::{self, Environment};
use super::schema::{Config, Key};
use super::secrets;
use crate::domain::RepoName;

/// The file read when neither `--config` nor `SGLANG_BOT_CONFIG` names one (optional).
pub const DEFAULT_CONFIG_FILE: &str = "sglang-bot.toml";

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

/// A value set on the command line: the key, its TOML value, and the flag's name.
#[derive(Debug, Clone)]
pub struct FlagValue {
    pub key: Key,
    pub value: Value,
    pub flag: &'static str,
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

    for setting in env::settings(env)? {
        set_dotted(&mut merged, setting.key.path(), setting.value);
        sources.insert(
            setting.key.path().to_string(),
            Source::Env(setting.var.to_string()),
        );
    }

    for flag in &flags.values {
        set_dotted(&mut merged, flag.key.path(), flag.value.clone());
        sources.insert(
            flag.key.path().to_string(),
            Source::Flag(flag.flag.to_string()),
        );
    }

    check_repositories(&merged, &sources)?;
    let mut config: Config = Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Other(format!("invalid configuration: {e}")))?;
    config.secrets = secrets::resolve_secrets(flags.github_token.as_deref(), flags.token_vars, env);
    config.agent_env = secrets::agent_environment(env, config.secrets.agent_github_token.as_ref());
    config.dry_run = flags.dry_run;
    config.github_output = env::path_var(env, "GITHUB_OUTPUT");
    config.step_summary = env::path_var(env, "GITHUB_STEP_SUMMARY");
    config.requester = env
        .var("COMMENT_AUTHOR")
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    config.started_at = Some(env::started_at(env)?);
    config.validate().map_err(|invalid| {
        let value = Value::try_from(&config)
            .ok()
            .and_then(|v| lookup(&v, invalid.key).map(ToString::to_string))
            .unwrap_or_default();
        let from = sources.get(invalid.key).unwrap_or(&Source::Default);
        ConfigError::Other(format!(
            "{} = {value} (from {from}): {}",
            invalid.key, invalid.message
        ))
    })?;
    Ok(Resolved { config, sources })
}

/// The repository names, parsed before the whole table is (so the error can say which layer
/// set a bad one; after this, serde parses each exactly once into a `RepoName`).
fn check_repositories(
    merged: &Table,
    sources: &BTreeMap<String, Source>,
) -> Result<(), ConfigError> {
    for key in ["github.target_repo", "github.bot_repo"] {
        let (section, name) = key.split_once('.').expect("a dotted key");
        let Some(Value::String(text)) = merged.get(section).and_then(|s| s.get(name)) else {
            continue;
        };
        if text.parse::<RepoName>().is_err() {
            let from = sources.get(key).unwrap_or(&Source::Default);
            return Err(ConfigError::Other(format!(
                "{key} = {text:?} (from {from}): expected OWNER/NAME"
            )));
        }
    }
    Ok(())
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

/// Sets the leaf at a dotted path, making the sections on the way.
pub(super) fn set_dotted(table: &mut Table, key: &str, value: Value) {
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

/// The value at a dotted path, if there is one.
pub(super) fn lookup<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(value, |v, part| v.get(part))
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

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
    fn a_flag_beats_the_environment_and_is_recorded_as_the_source() {
        let flags = FlagInputs {
            values: vec![FlagValue {
                key: Key::GithubBotRepo,
                value: "flag/bot".into(),
                flag: "--bot-repo",
            }],
            ..FlagInputs::default()
        };
        let r = resolve(&flags, &env(&[("BOT_REPO", "env/bot")])).unwrap();
        assert_eq!(r.config.github.bot_repo, "flag/bot".parse().ok());
        assert_eq!(
            r.sources.get("github.bot_repo"),
            Some(&Source::Flag("--bot-repo".into()))
        );
    }

    #[test]
    fn a_value_breaking_a_rule_is_reported_with_the_variable_that_set_it() {
        let e = resolve(&FlagInputs::default(), &env(&[("BOT_REPO", "no-slash")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "github.bot_repo = \"no-slash\" (from env BOT_REPO): expected OWNER/NAME"
        );
    }
}
