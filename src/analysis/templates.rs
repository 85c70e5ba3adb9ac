//! Prompt templates from agent/CLAUDE.md (being written).
