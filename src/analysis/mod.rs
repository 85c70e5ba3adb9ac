//! The analysis backends. `claude_code` runs the Claude Code CLI; `templates` reads the
//! API-mode prompts from `agent/CLAUDE.md`.

pub mod api;
pub mod claude_code;
pub mod templates;
