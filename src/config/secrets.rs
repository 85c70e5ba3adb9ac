//! Credentials and what the agent may see, kept apart from the printable configuration.
//!
//! Secrets never enter the layered tables: they are resolved here, in each command's own
//! token order, and only ever printed redacted. The Claude Code agent gets an allow-listed
//! environment that holds no token able to write to GitHub.

use super::env::Environment;
use super::layers::Source;

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

/// Token precedence: `--github-token`, then the command's variables in order; the first
/// non-empty one wins (the original let an empty variable shadow a real token).
pub(super) fn resolve_secrets(
    flag_token: Option<&str>,
    token_vars: &'static [&'static str],
    env: &dyn Environment,
) -> Secrets {
    let non_empty = |name: &str| {
        env.var(name)
            .filter(|v| !v.trim().is_empty())
            .map(|value| Secret {
                value,
                source: Source::Env(name.into()),
            })
    };
    let github_token = flag_token
        .filter(|t| !t.trim().is_empty())
        .map(|value| Secret {
            value: value.to_string(),
            source: Source::Flag("--github-token".into()),
        })
        .or_else(|| {
            let vars = if token_vars.is_empty() {
                TOKEN_VARS_BOT
            } else {
                token_vars
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

/// The agent's whole environment: the allowed variables that are set, plus the read-only
/// token under the names the agent's tools read.
pub(super) fn agent_environment(
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

#[cfg(test)]
mod tests {
    use super::super::layers::{resolve, FlagInputs};
    use super::super::test_env as env;
    use super::*;
    use std::collections::HashMap;

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
