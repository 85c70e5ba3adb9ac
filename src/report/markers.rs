//! Every marker, title and fixed string the bot writes or reads on GitHub, in one place.
//! These are compatibility-critical: open issues written by the original bot, the summary
//! and the tracker parse them byte for byte.

use crate::domain::{CommitSha, JobId, SignatureKey};

/// Title of the daily issue for a `YYYY-MM-DD` date.
pub fn daily_issue_title(date: &str) -> String {
    format!("[CI Monitor] Daily Report - {date}")
}

/// Line 1 of every part: every job id the workflow's comment covers.
pub fn processed_ids_marker(ids: &[JobId]) -> String {
    let list: Vec<String> = ids.iter().map(JobId::to_string).collect();
    format!("<!-- processed_job_ids: {} -->", list.join(","))
}
/// Start of the processed-ids marker, for the strict reader.
pub const PROCESSED_IDS_PREFIX: &str = "<!-- processed_job_ids: ";

/// Line 2 of every part.
pub fn part_marker(index: usize, total: usize) -> String {
    format!("<!-- ci-monitor-part: {index}/{total} -->")
}
/// Start of the part marker, for the strict reader.
pub const PART_PREFIX: &str = "<!-- ci-monitor-part: ";

/// Marker closing both HTML comments.
pub const COMMENT_END: &str = " -->";

/// The substring that makes a comment belong to workflow `wf`.
pub fn workflow_ownership(wf: &str) -> String {
    format!("## `{wf}`")
}

/// Heading of part 1.
pub fn part_one_heading(wf: &str, count: usize) -> String {
    format!("## `{wf}` — {count} failure(s)")
}

/// Heading of part `i` ≥ 2.
pub fn continued_heading(wf: &str, index: usize, total: usize) -> String {
    format!("## `{wf}` — Per-Job Analysis (continued {index}/{total})")
}

/// The anchor before each per-job block (the tracker's Detail links point here).
pub fn job_anchor(job_id: JobId) -> String {
    format!("<a id=\"job-{job_id}\"></a>")
}

/// Suffix of a block summary whose analysis did not complete.
pub const STUB_SUFFIX: &str = " — ⚠️ analysis failed";
/// First words of a did-not-complete body.
pub const STUB_BODY_START: &str = "**Analysis did not complete.**";
/// Separator in block summaries (U+2014 with spaces).
pub const DASH: &str = " — ";

/// Marker of a workflow's cross-run comment.
pub fn cross_run_marker(wf: &str) -> String {
    format!("<!-- ci-monitor-cross-run-summary: {wf} -->")
}

/// Start/end of the daily summary placeholder in the issue body.
pub const SUMMARY_START: &str = "<!-- daily-cross-workflow-summary:start -->";
/// See [`SUMMARY_START`].
pub const SUMMARY_END: &str = "<!-- daily-cross-workflow-summary:end -->";
/// Start of the summary block as the original wrote it from April to June 2026 (still read,
/// rewritten to [`SUMMARY_START`] on the next publish).
pub const LEGACY_SUMMARY_START: &str = "<!-- ci-monitor-daily-status-board:start -->";
/// See [`LEGACY_SUMMARY_START`].
pub const LEGACY_SUMMARY_END: &str = "<!-- ci-monitor-daily-status-board:end -->";
/// First line of the summary's content inside the block.
pub const SUMMARY_CONTENT: &str = "<!-- daily-cross-workflow-summary -->";
/// Marks an old summary *comment* (deleted on publish when the bot wrote it; yesterday's
/// fallback). It never matches the `:start`/`:end` forms, which end in `:start -->`.
pub const LEGACY_BOARD: &str = "<!-- ci-monitor-daily-status-board -->";
/// Written between the seeded body and an old body that had no summary markers.
pub const LEGACY_BODY_KEPT: &str = "<!-- legacy issue body preserved below -->";
/// Hidden digest of the summary's inputs: the same digest means nothing to rebuild.
pub const SUMMARY_INPUTS_PREFIX: &str = "<!-- daily-summary-inputs: ";
/// Hidden list of the summary's clusters (JSON, `>` escaped), read back the next day.
pub const SUMMARY_CLUSTERS_PREFIX: &str = "<!-- daily-summary-clusters: ";
/// Heading every published summary starts with (followed by ` — DATE`).
pub const SUMMARY_HEADING: &str = "# Daily Cross-Workflow Summary";

/// Hidden per-job metadata the original format has no room for (kept out of the `<details>`
/// tag, whose attribute list the original's strict parser fixes): the commit and the saved
/// failure signatures (`sig=`, comma-separated keys), each only when known.
pub fn job_meta(
    job_id: JobId,
    head_sha: Option<&CommitSha>,
    signatures: &[SignatureKey],
) -> String {
    let mut out = format!("<!-- ci-monitor-job: {job_id}");
    if let Some(sha) = head_sha {
        out.push_str(&format!(" sha={sha}"));
    }
    if !signatures.is_empty() {
        let keys: Vec<&str> = signatures.iter().map(SignatureKey::as_str).collect();
        out.push_str(&format!(" sig={}", keys.join(",")));
    }
    out.push_str(" -->");
    out
}
/// Start of the job metadata comment.
pub const JOB_META_PREFIX: &str = "<!-- ci-monitor-job: ";
/// The hidden marker that keeps since when a job fails (`report::since`), next to the job's.
pub const SINCE_MARKER_PREFIX: &str = "<!-- ci-monitor-since: ";

/// Anchor of the per-job report in LLM output: text is kept from its last match.
pub const COMMIT_INFO_ANCHOR: &str = r"(?m)^###\s+Commit Info\b";
/// Anchor of the cross-job report.
pub const COUNTS_ANCHOR: &str = r"(?m)^\*\*Counts\*\*:\s";
/// Anchor of the daily summary.
pub const DAILY_SUMMARY_ANCHOR: &str = r"(?m)^#\s+Daily Cross-Workflow Summary\b";

/// Footer of every part; `producer` names the backend.
pub fn footer(producer: &str, now: &str) -> String {
    format!("*Generated by amd-bot using {producer} (last updated: {now})*")
}

/// Characters per comment part we aim for (GitHub's hard limit is 65,536).
pub const PART_TARGET_CHARS: usize = 60_000;
/// Slack kept free in each part when packing.
pub const PACKING_SLACK: usize = 400;

/// First line of every tracker body.
pub const TRACKER_START: &str = "<!-- ci-failure-tracker:start -->";
/// Last line of every tracker body.
pub const TRACKER_END: &str = "<!-- ci-failure-tracker:end -->";
/// Start of an overflow part marker on a tracker comment.
pub const TRACKER_PART_PREFIX: &str = "<!-- ci-failure-tracker-part: ";

/// First line of a tracker's overflow comment `index` of `total` (the body is part 1).
pub fn tracker_part_marker(index: usize, total: usize) -> String {
    format!("{TRACKER_PART_PREFIX}{index}/{total} -->")
}

/// Start of the agent's tracker data block.
pub const TRACKER_DATA_START: &str = "<!-- ci-failure-tracker-data:start -->";
/// End of the agent's tracker data block.
pub const TRACKER_DATA_END: &str = "<!-- ci-failure-tracker-data:end -->";

/// The body a new tracker issue is created with (the original's, byte for byte).
pub fn tracker_placeholder(display: &str) -> String {
    format!(
        "{TRACKER_START}\n<!-- ci-failure-tracker-state:\n{{}}\n-->\n# {display} — Failure Tracker\n\n_Initializing… the first scan will populate this tracker._\n{TRACKER_END}\n"
    )
}

/// The hidden first line of the watcher's "could not run your command" reply on a PR, keyed
/// by the command comment's id: the reply is posted once however many watchers gave up.
pub fn watch_failed_marker(comment_id: crate::domain::CommentId) -> String {
    format!("<!-- amd-bot-watch-failed: {comment_id} -->")
}
