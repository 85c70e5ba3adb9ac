//! `watch` (issue #15): answers `@bot` commands written in the upstream repository's issue
//! and PR comments. One pass lists the comments updated since a cursor (every repeated read
//! conditional, so an idle pass costs no rate limit), picks the commands the grammar and the
//! allow-list accept, claims each with the bot's 🚀 (GitHub's 201 makes exactly one watcher
//! the owner), acts (a dispatch to the bot repository or a reply) and then acknowledges with
//! 👀. The rules are pure and live in `report::watch`; this module does the I/O.

pub mod daemon;
pub mod pass;
pub mod state;

pub use pass::{PassError, PassReport, Watcher};
pub use state::WatchState;
