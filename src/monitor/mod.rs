//! The CI monitor: one tick finds new failed jobs of the watched workflows, analyses them
//! and keeps one comment (in parts) per workflow on the day's issue.

pub mod publish;
pub mod select;
pub mod tick;
