//! The builtin analyst: the log engine's findings as a report. No LLM, deterministic, and
//! always available, so the bot is useful on its own and tests are exact.

use futures_util::future::BoxFuture;

use super::{
    stream_job_log, AnalysisError, Answer, Backend, CrossJobRequest, DailySummaryRequest,
    JobReport, JobRequest, PrReviewRequest, Produced, TrackerRequest, TrackerRow,
};
use crate::logs::{render_markdown, Analyzer, ReportContext};
use crate::report::cross::cross_job_summary;

/// Streams the job's log through the log engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinAnalyst;

/// What the builtin analyst names itself in footers.
pub const PRODUCER: &str = "sglang-bot builtin analyser";

/// Jobs the builtin analyst works on at once. Each one waits on two round trips to GitHub
/// (the log URL, then its blob) before streaming, and the engine needs about one core per
/// 1.8 GB/s and a few MB of memory: eight in flight keep both cores of a runner busy while
/// the others wait on the network. The agent budget (3) would leave them idle.
const PARALLEL: usize = 6;

impl Backend for BuiltinAnalyst {
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>> {
        Box::pin(async move {
            let mut analyzer = Analyzer::default();
            stream_job_log(&request, |chunk| analyzer.feed(chunk)).await?;
            let analysis = analyzer.finish();
            let ctx = ReportContext {
                job_url: request.job.html_url.clone(),
                commit: request.run.head_sha.as_ref().map(ToString::to_string),
                repo: Some(request.repo.to_string()),
                steps: super::api_steps(request.job),
            };
            Ok(JobReport {
                markdown: render_markdown(&analysis, &ctx),
                producer: PRODUCER.to_string(),
                note: None,
                signatures: super::signature_keys(&analysis.signatures),
            })
        })
    }

    fn producer(&self) -> &str {
        PRODUCER
    }

    fn parallelism(&self) -> Option<usize> {
        Some(PARALLEL)
    }

    /// The deterministic checks the command ran (coverage gaps, registrations, binaries).
    fn pr_review<'a>(&'a self, request: PrReviewRequest<'a>) -> Answer<'a, Produced<String>> {
        let text = crate::report::review_findings::render(request.findings);
        Box::pin(async move { Ok(Produced::by(PRODUCER, text)) })
    }

    /// Clusters by each report's `Failure Cluster` line (the signature, for our own reports).
    fn cross_job<'a>(&'a self, request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
        let summary = cross_job_summary(request.analyses)
            .map(|text| Produced::by(PRODUCER, text))
            .ok_or_else(|| {
                AnalysisError::Failed(anyhow::anyhow!(
                    "a cross-job summary needs at least two analyses"
                ))
            });
        Box::pin(async move { summary })
    }

    /// The summary from the facts alone (clusters by saved signature, run counts, trend and
    /// the comparison with yesterday's cluster list): always answers.
    fn daily_summary<'a>(
        &'a self,
        request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        let text = crate::report::summary_builtin::render(request.facts);
        Box::pin(async move { Ok(Produced::by(PRODUCER, text)) })
    }

    /// The rows of every report's `### Failed Tests` table (the tracker's deterministic rules).
    fn tracker_rows<'a>(
        &'a self,
        request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        let rows = crate::report::tracker::rows(request.workflows);
        Box::pin(async move { Ok(Produced::by(PRODUCER, rows)) })
    }
}
