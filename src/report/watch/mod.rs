//! The comment watcher's pure rules (issue #15): which comment holds which command (grammar),
//! the help text made from the same command table, what a claim's reactions say, and what
//! each command does (a dispatch to the bot repository or a reply). No I/O, no clock.

pub mod action;
pub mod claim;
pub mod grammar;
pub mod help;

pub use action::{action_for, failure_reply, Action, Dispatch, Request};
pub use claim::{claim_state, ClaimState, SeenReaction};
pub use grammar::{parse, CommandKind, Parsed, COMMANDS};
pub use help::help_text;
