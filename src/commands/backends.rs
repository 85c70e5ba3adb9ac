//! Choosing the analysis backend: `--backend` (or `--use-agent`/`--no-use-agent`), and the
//! fallback chain that ends in the builtin analyser so no job is ever left unanalysed.

use std::time::Duration;

use anyhow::Result;

use crate::analysis::agent::AgentAnalyst;
use crate::analysis::builtin::BuiltinAnalyst;
use crate::analysis::chain::Chain;
use crate::analysis::claude_code::ClaudeCli;
use crate::analysis::Analyst;
use crate::config::{BackendKind, Config};
use crate::workspace::Workspace;

/// The analyst for this run: the chosen backend, falling back to the builtin analyser.
pub async fn analyst_for(config: &Config) -> Result<Box<dyn Analyst>> {
    let builtin: Box<dyn Analyst> = Box::new(BuiltinAnalyst);
    let backend = &config.backend;
    let mut chain: Vec<Box<dyn Analyst>> = Vec::new();
    let want_agent = matches!(backend.kind, BackendKind::Auto | BackendKind::ClaudeCode);
    if want_agent {
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
        if cli.available().await {
            let workspace = Workspace::new(
                &backend.workspace,
                format!("https://github.com/{}.git", config.github.target_repo),
                "main",
            );
            let instructions = std::fs::read_to_string(&backend.instructions);
            match (instructions, workspace.ensure_clone().await) {
                (Err(e), _) => tracing::warn!(
                    "cannot read the agent's instructions {} ({e}); not using the agent",
                    backend.instructions.display()
                ),
                (Ok(instructions), Ok(_)) => chain.push(Box::new(AgentAnalyst {
                    cli,
                    workspace,
                    instructions,
                    api_url: config.github.api_url.clone(),
                    max_turns: backend.max_turns,
                    timeout: Duration::from_secs(backend.timeout_secs),
                })),
                (Ok(_), Err(e)) => tracing::warn!(
                    "the sglang checkout is unavailable ({e:#}); not using the agent"
                ),
            }
        } else if backend.kind == BackendKind::ClaudeCode {
            tracing::warn!(
                "the Claude Code CLI ({}) is not available; falling back",
                backend.claude_bin
            );
        }
    }
    if backend.kind == BackendKind::Api {
        // The gateway client exists (analysis::api) but the per-job API prompt is not wired
        // yet; say so instead of quietly analysing with something else.
        return Err(super::UsageError(
            "--backend api is not implemented yet for job analysis; use builtin or claude-code"
                .into(),
        )
        .into());
    }
    chain.push(builtin);
    let chain = Chain::new(chain);
    tracing::info!(
        "analysis backends, in order: {}",
        chain.producers().join(" → ")
    );
    Ok(Box::new(chain))
}
