//! Rendering of everything the bot posts, and strict parsing of what it posted before.
//! Pure: no I/O, no clock (callers pass the time), no environment.

pub mod block;
pub mod comment;
pub mod coverage;
pub mod cross;
pub mod daily;
pub mod dashboard;
pub mod extract;
pub mod located;
pub mod markers;
pub mod on_demand;
pub mod pr_status;
pub mod pr_workflows;
pub mod registration;
pub mod review;
pub mod review_diff;
pub mod review_findings;
#[cfg(test)]
mod robustness;
pub mod sections;
pub mod since;
pub mod summary_block;
pub mod summary_builtin;
pub mod summary_clusters;
pub mod summary_facts;
pub mod summary_output;
pub mod tracker;
pub mod tracker_history;
pub mod tracker_merge;
pub mod tracker_parts;
pub mod tracker_render;
pub mod tracker_state;
pub mod watch;

pub use block::{parse_blocks, render_block, JobAnalysis};
pub use comment::{is_workflow_part, read_part, read_processed_ids, WorkflowReport};
