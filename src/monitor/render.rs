//! The render stage: a workflow's analyses into the Markdown parts of its comment and, when
//! two or more runs failed, its cross-run comment. One function serves both outputs (stdout
//! and the daily issue); the backends add the cross-job summary and the cross-run assessment.

use super::context::TickContext;
use crate::analysis::{AnalysisError, CrossJobRequest, CrossRunRequest};
use crate::domain::RunId;
use crate::report::cross::{cross_run_comment, run_pattern, WindowRun};
use crate::report::{JobAnalysis, WorkflowReport};

/// What a workflow's report looks like this tick.
pub(super) struct Rendered {
    /// The comment's parts, each under GitHub's size limit.
    pub(super) parts: Vec<String>,
    /// The cross-run comment, when the window has two or more runs with failures.
    pub(super) cross_run: Option<String>,
}

/// The inputs of one rendering besides the analyses.
pub(super) struct RenderInput<'a> {
    pub(super) workflow: &'a str,
    pub(super) window: &'a [WindowRun],
    pub(super) pending: &'a [(RunId, usize)],
    /// Jobs whose analysis failed, (name, why): named at the end of the last part.
    pub(super) unanalysed: &'a [(String, String)],
}

/// Renders `analyses` (the day's, or only the new ones for stdout).
pub(super) async fn render(
    tick: &TickContext<'_>,
    input: &RenderInput<'_>,
    analyses: &[JobAnalysis],
) -> Rendered {
    let now = tick.now.format("%Y-%m-%d %H:%M UTC").to_string();
    let producer = tick.analyst.producer().to_string();
    let upstream = tick.config.github.target_repo.to_string();
    let summary = cross_job_text(tick, input.workflow, analyses).await;
    let parts = WorkflowReport {
        workflow: input.workflow,
        analyses,
        summary: summary.as_deref(),
        pending: input.pending,
        unanalysed: input.unanalysed,
        producer: &producer,
        now: &now,
        upstream: &upstream,
    }
    .render_parts_within(tick.config.monitor.comment_max_chars);
    let assessment = cross_run_assessment(tick, input.workflow, analyses, input.window).await;
    let cross_run = cross_run_comment(
        input.workflow,
        analyses,
        input.window,
        &now,
        &producer,
        assessment.as_deref(),
    );
    Rendered { parts, cross_run }
}

/// The cross-job summary of the day's analyses (more than one), from the first backend that
/// writes one; without one, part 1 simply has no summary.
async fn cross_job_text(
    tick: &TickContext<'_>,
    workflow: &str,
    analyses: &[JobAnalysis],
) -> Option<String> {
    if analyses.len() < 2 {
        return None;
    }
    let request = CrossJobRequest { workflow, analyses };
    // An agent's cross task is as heavy as a job's analysis: it takes one of the tick's slots.
    let _slot = tick.slots.acquire().await.ok();
    match tick.analyst.cross_job(request).await {
        Ok(p) => Some(match p.note {
            Some(note) => format!("{}\n\n_{note}_", p.value),
            None => p.value,
        }),
        Err(e) => {
            tracing::warn!("{workflow}: no cross-job summary: {e:#}");
            None
        }
    }
}

/// A backend's assessment of the pattern across two or more runs, when one offers it (the
/// agent does); the computed run tables are published either way.
async fn cross_run_assessment(
    tick: &TickContext<'_>,
    workflow: &str,
    analyses: &[JobAnalysis],
    window: &[WindowRun],
) -> Option<String> {
    run_pattern(analyses, window)?;
    let request = CrossRunRequest {
        workflow,
        analyses,
        window,
    };
    let _slot = tick.slots.acquire().await.ok();
    match tick.analyst.cross_run(request).await {
        Ok(p) => Some(p.value),
        Err(AnalysisError::Unsupported { .. }) => None,
        Err(e) => {
            tracing::warn!("{workflow}: no cross-run assessment: {e:#}");
            None
        }
    }
}
