//! Choosing the analysis backend: `--backend` (or `--use-agent`/`--no-use-agent`), and the
//! fallback chain that ends in the builtin analyser so no job is ever left unanalysed.

use std::time::Duration;

use anyhow::{Context, Result};

use crate::analysis::agent::AgentAnalyst;
use crate::analysis::api::{ApiClient, GatewayOptions};
use crate::analysis::api_job::ApiAnalyst;
use crate::analysis::builtin::BuiltinAnalyst;
use crate::analysis::chain::Chain;
use crate::analysis::claude_code::ClaudeCli;
use crate::analysis::templates::Templates;
use crate::analysis::Backend;
use crate::config::{BackendKind, Config};
use crate::github::RetryPolicy;
use crate::workspace::Workspace;

/// The API analyst, when the gateway is configured and the prompts can be read.
fn api_analyst(config: &Config) -> Result<ApiAnalyst> {
    let backend = &config.backend;
    let url = backend
        .gateway_url
        .clone()
        .context("LLM_GATEWAY_URL (backend.gateway_url) is not set")?;
    let key = config
        .secrets
        .gateway_key
        .as_ref()
        .context("LLM_GATEWAY_KEY is not set")?
        .expose()
        .to_string();
    let client = ApiClient::new(GatewayOptions {
        url,
        key,
        user: "sglang-bot".into(),
        model: backend.model.clone(),
        timeout: Duration::from_secs(backend.timeout_secs.clamp(60, 900)),
        ca_bundle: backend.ca_bundle.clone(),
        retry: RetryPolicy::default(),
    })?;
    let templates = Templates::load(backend.instructions.as_deref())?;
    Ok(ApiAnalyst {
        client,
        templates,
        max_tokens: backend.max_tokens,
    })
}

/// The Claude Code agent, when its CLI answers, has credentials, and the sglang checkout and
/// the agent guide can be had; else why not, in words.
async fn agent_analyst(config: &Config) -> Result<AgentAnalyst, String> {
    let backend = &config.backend;
    let cli = ClaudeCli {
        bin: backend.claude_bin.clone().into(),
        env: config.agent_env.clone(),
        home: config
            .agent_env
            .iter()
            .find(|(k, _)| k == "HOME")
            .map(|(_, v)| v.into())
            .unwrap_or_else(|| "/root".into()),
        model: None,
    };
    if let Some(why) = cli.unavailable_because().await {
        return Err(format!("the Claude Code CLI cannot be used: {why}"));
    }
    match cli.credentials() {
        Some(source) => tracing::debug!("the Claude Code CLI authenticates with {source}"),
        None => {
            return Err(format!(
                "the Claude Code CLI ({}) has no credentials (none of {} is set for the agent, and no {} exists)",
                backend.claude_bin,
                crate::analysis::claude_code::CREDENTIAL_VARS.join(", "),
                crate::analysis::claude_code::CREDENTIALS_FILE
            ))
        }
    }
    let instructions = crate::analysis::templates::guide_text(backend.instructions.as_deref())
        .map_err(|e| format!("{e:#}"))?;
    let remote = backend
        .clone_url
        .clone()
        .unwrap_or_else(|| format!("https://github.com/{}.git", config.github.target_repo));
    let workspace = Workspace::new(&backend.workspace, remote, "main");
    if let Err(e) = workspace.ensure_clone().await {
        return Err(format!("the sglang checkout is unavailable ({e:#})"));
    }
    Ok(AgentAnalyst {
        cli,
        workspace,
        instructions,
        api_url: config.github.api_url.clone(),
        max_turns: backend.max_turns,
        timeout: Duration::from_secs(backend.timeout_secs),
        cross_run_timeout: Duration::from_secs(backend.cross_run_timeout_secs),
    })
}

/// The analyst for this run: the chosen backend, falling back to the builtin analyser. A
/// backend chosen by name that cannot run is a usage error naming why; `auto` moves on.
pub(crate) async fn analyst_for(config: &Config) -> Result<Box<dyn Backend>> {
    let builtin: Box<dyn Backend> = Box::new(BuiltinAnalyst);
    let backend = &config.backend;
    let mut chain: Vec<Box<dyn Backend>> = Vec::new();
    if matches!(backend.kind, BackendKind::Auto | BackendKind::ClaudeCode) {
        match agent_analyst(config).await {
            Ok(agent) => chain.push(Box::new(agent)),
            // Asked for explicitly: a configuration error, not a silent downgrade.
            Err(why) if backend.kind == BackendKind::ClaudeCode => {
                return Err(super::UsageError(format!("--backend claude-code: {why}")).into())
            }
            Err(why) => tracing::warn!("{why}; not using the agent"),
        }
    }
    let want_api = matches!(backend.kind, BackendKind::Auto | BackendKind::Api);
    if want_api {
        match api_analyst(config) {
            Ok(api) => chain.push(Box::new(api)),
            // Asked for explicitly: a configuration error, not a silent downgrade.
            Err(e) if backend.kind == BackendKind::Api => {
                return Err(super::UsageError(format!("--backend api: {e:#}")).into())
            }
            Err(e) => tracing::info!("API backend not used: {e:#}"),
        }
    }
    chain.push(builtin);
    let chain = Chain::new(chain);
    tracing::info!(
        "analysis backends, in order: {}",
        chain.producers().join(" → ")
    );
    Ok(Box::new(chain))
}
