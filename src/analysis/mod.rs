//! The analysis backends. `claude_code` runs the Claude Code CLI.

pub mod claude_code;
