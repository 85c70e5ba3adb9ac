//! The environment layer: which variable sets which key, and how its text is read.
//!
//! This is the only code that reads environment variables (through [`Environment`], so tests
//! pass a map). A value is parsed for its key's [`Kind`] here, so a bad one is reported with
//! the variable's name rather than later as a bad configuration.

use std::path::PathBuf;

use clap::ValueEnum;
use toml::Value;

use super::layers::ConfigError;
use super::schema::{BackendKind, Key, Kind, MonitorOutput};

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

/// Variables that set configuration keys, applied in this order (a later one wins).
const ENV_KEYS: &[(&str, Key)] = &[
    ("GITHUB_API_URL", Key::GithubApiUrl),
    ("BOT_REPO", Key::GithubBotRepo),
    ("AGENT_PARALLEL", Key::MonitorParallel),
    // The legacy name first, so it applies only when BUILD_DAILY_SUMMARY is unset.
    ("BUILD_DAILY_BOARD", Key::MonitorBuildDailySummary),
    ("BUILD_DAILY_SUMMARY", Key::MonitorBuildDailySummary),
    ("AGENT_MAX_TURNS", Key::BackendMaxTurns),
    // The summary's own default differs (200), but the variable sets both, as it did.
    ("AGENT_MAX_TURNS", Key::SummaryMaxTurns),
    ("DAILY_SUMMARY_TIMEOUT_SECS", Key::SummaryTimeoutSecs),
    ("TRACKER_AGENT_MAX_TURNS", Key::TrackerMaxTurns),
    ("TRACKER_AGENT_TIMEOUT_SECS", Key::TrackerTimeoutSecs),
    ("AGENT_TIMEOUT_SECS", Key::BackendTimeoutSecs),
    ("CROSS_RUN_TIMEOUT_SECS", Key::BackendCrossRunTimeoutSecs),
    ("AGENT_WORKSPACE", Key::BackendWorkspace),
    ("CLAUDE_BIN", Key::BackendClaudeBin),
    ("LLM_GATEWAY_URL", Key::BackendGatewayUrl),
    ("CLAUDE_MODEL", Key::BackendModel),
    ("LLM_CA_BUNDLE", Key::BackendCaBundle),
    ("SGLANG_BOT_BACKEND", Key::BackendKind),
];

/// The variables that set the key at `path` (a dotted name), for the commented sample.
pub(super) fn variables_for(path: &str) -> Vec<&'static str> {
    let mut vars: Vec<&'static str> = ENV_KEYS
        .iter()
        .filter(|(_, key)| key.path() == path)
        .map(|(var, _)| *var)
        .collect();
    vars.dedup();
    vars
}

/// The original's backend switch: off means API mode, on leaves the choice to `backend.kind`.
const USE_AGENT: &str = "USE_AGENT";

/// One key set by one variable.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Setting {
    pub key: Key,
    pub value: Value,
    pub var: &'static str,
}

/// Every key the environment sets, in the order to apply them; the first bad value is an
/// error naming its variable.
pub(super) fn settings(env: &dyn Environment) -> Result<Vec<Setting>, ConfigError> {
    let mut out = Vec::new();
    for &(var, key) in ENV_KEYS {
        let Some(raw) = env.var(var) else { continue };
        if let Some(value) = parse(var, &raw, key.kind())? {
            out.push(Setting { key, value, var });
        }
    }
    if let Some(raw) = env.var(USE_AGENT) {
        if parse_bool(USE_AGENT, &raw)? == Some(false) {
            out.push(Setting {
                key: Key::BackendKind,
                value: choice_value(BackendKind::Api),
                var: USE_AGENT,
            });
        }
    }
    Ok(out)
}

/// A variable's text as a value of `kind`; `None` when it counts as unset.
fn parse(var: &str, raw: &str, kind: Kind) -> Result<Option<Value>, ConfigError> {
    let bad = |message: String| ConfigError::BadEnv {
        var: var.into(),
        value: raw.into(),
        message,
    };
    match kind {
        Kind::Text => Ok(Some(Value::String(raw.to_string()))),
        Kind::U32 => whole(raw, u64::from(u32::MAX))
            .map(Some)
            .ok_or_else(|| bad(format!("expected a whole number from 0 to {}", u32::MAX))),
        // TOML integers are i64, so that is the ceiling of the wider fields.
        Kind::U64 => whole(raw, i64::MAX as u64)
            .map(Some)
            .ok_or_else(|| bad("expected a whole number ≥ 0".into())),
        Kind::Bool => Ok(parse_bool(var, raw)?.map(Value::Boolean)),
        Kind::Backend => parse_choice::<BackendKind>(raw).map(Some).map_err(bad),
        Kind::Output => parse_choice::<MonitorOutput>(raw).map(Some).map_err(bad),
        Kind::Workflows => Err(bad(
            "workflows are set in the configuration file or with --workflows".into(),
        )),
    }
}

fn whole(raw: &str, max: u64) -> Option<Value> {
    let n = raw.trim().parse::<u64>().ok().filter(|n| *n <= max)?;
    i64::try_from(n).ok().map(Value::Integer)
}

/// A boolean variable: `true/1/yes/on` or `false/0/no/off` in any case, surrounding
/// whitespace ignored; empty counts as unset (`Ok(None)`), anything else is an error.
// Hand-rolled: the accepted spellings are this project's contract, not a crate's.
fn parse_bool(var: &str, raw: &str) -> Result<Option<bool>, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(ConfigError::BadEnv {
            var: var.into(),
            value: raw.into(),
            message: "expected true/false, 1/0, yes/no or on/off".into(),
        }),
    }
}

/// One of an enum's names, exactly as the flag and the file take it.
fn parse_choice<T: ValueEnum + serde::Serialize>(raw: &str) -> Result<Value, String> {
    T::from_str(raw, false)
        .map(|v| choice_value(v))
        .map_err(|_| {
            let names: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|p| p.get_name().to_string())
                .collect();
            format!("expected one of: {}", names.join(", "))
        })
}

fn choice_value<T: serde::Serialize>(v: T) -> Value {
    Value::try_from(v).expect("a choice serialises to its name")
}

/// A path from a variable, unless unset or empty (GitHub Actions' step files).
pub(super) fn path_var(env: &dyn Environment, name: &str) -> Option<PathBuf> {
    env.var(name).filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// The command's start: `SGLANG_BOT_NOW` (RFC 3339) for tests and replays, else now.
pub(super) fn started_at(
    env: &dyn Environment,
) -> Result<chrono::DateTime<chrono::Utc>, ConfigError> {
    match env.var("SGLANG_BOT_NOW") {
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| ConfigError::BadEnv {
                var: "SGLANG_BOT_NOW".into(),
                value: raw.clone(),
                message: format!("expected an RFC 3339 time ({e})"),
            }),
        None => Ok(chrono::Utc::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::layers::{resolve, FlagInputs};
    use super::super::test_env as env;
    use super::*;

    fn error(pairs: &[(&str, &str)]) -> String {
        resolve(&FlagInputs::default(), &env(pairs))
            .unwrap_err()
            .to_string()
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
        // An empty BUILD_DAILY_SUMMARY is unset, so the legacy name still applies.
        assert!(!due(&[
            ("BUILD_DAILY_BOARD", "off"),
            ("BUILD_DAILY_SUMMARY", "")
        ]));
    }

    #[test]
    fn booleans_take_four_spellings_each_in_any_case_with_whitespace() {
        for raw in ["true", "1", "yes", "on", " TRUE ", "Yes", "ON\n"] {
            assert_eq!(parse_bool("V", raw).unwrap(), Some(true), "{raw:?}");
        }
        for raw in ["false", "0", "no", "off", "\tFalse", "NO", " Off "] {
            assert_eq!(parse_bool("V", raw).unwrap(), Some(false), "{raw:?}");
        }
        for raw in ["", "  "] {
            assert_eq!(parse_bool("V", raw).unwrap(), None, "{raw:?}");
        }
    }

    #[test]
    fn a_boolean_that_is_neither_names_its_variable() {
        for var in ["USE_AGENT", "BUILD_DAILY_SUMMARY", "BUILD_DAILY_BOARD"] {
            for raw in ["maybe", "2", "enabled", "truee"] {
                let e = error(&[(var, raw)]);
                assert!(
                    e.starts_with(&format!("environment variable {var}={raw:?}: expected")),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn use_agent_off_selects_the_api_and_on_or_empty_changes_nothing() {
        let kind = |raw: &str| {
            resolve(&FlagInputs::default(), &env(&[("USE_AGENT", raw)]))
                .unwrap()
                .config
                .backend
                .kind
        };
        assert_eq!(kind("off"), BackendKind::Api);
        assert_eq!(kind("0"), BackendKind::Api);
        assert_eq!(kind("on"), BackendKind::Auto);
        assert_eq!(kind(""), BackendKind::Auto);
    }

    #[test]
    fn a_bad_backend_names_the_variable_and_every_accepted_value() {
        assert_eq!(
            error(&[("SGLANG_BOT_BACKEND", "claude")]),
            "environment variable SGLANG_BOT_BACKEND=\"claude\": expected one of: auto, claude-code, api, builtin"
        );
        let c = resolve(
            &FlagInputs::default(),
            &env(&[("SGLANG_BOT_BACKEND", "claude-code")]),
        )
        .unwrap()
        .config;
        assert_eq!(c.backend.kind, BackendKind::ClaudeCode);
    }

    #[test]
    fn a_number_out_of_its_keys_range_names_the_variable() {
        let e = error(&[("TRACKER_AGENT_MAX_TURNS", "4294967296")]);
        assert!(
            e.starts_with("environment variable TRACKER_AGENT_MAX_TURNS=\"4294967296\""),
            "{e}"
        );
        let e = error(&[("AGENT_TIMEOUT_SECS", "-1")]);
        assert!(
            e.starts_with("environment variable AGENT_TIMEOUT_SECS=\"-1\""),
            "{e}"
        );
        let c = resolve(
            &FlagInputs::default(),
            &env(&[("TRACKER_AGENT_MAX_TURNS", "4294967295")]),
        )
        .unwrap()
        .config;
        assert_eq!(c.tracker.max_turns, u32::MAX);
    }

    #[test]
    fn every_variable_sets_a_key_it_can_parse() {
        for &(var, key) in ENV_KEYS {
            assert_ne!(key.kind(), Kind::Workflows, "{var} cannot set {key}");
        }
    }
}
