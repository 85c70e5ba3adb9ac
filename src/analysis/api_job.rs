//! The API analyst: one Messages API call per job, through the LLM gateway, with the
//! `focused-job-analysis` prompt from `agent/CLAUDE.md` filled from the log engine's findings.
//!
//! The log is streamed once through both the analyser (for the error lines) and the prefilter
//! (for the excerpt the model reads); it is never held whole.

use futures_util::future::BoxFuture;

use super::api::{ApiClient, MessageRequest};
use super::prompts::{clean_cross_job, cross_job_jobs_text};
use super::templates::Templates;
use super::tracker_prompt::{parse_tracker_answer, tracker_api_prompt};
use super::{
    stream_job_log, AnalysisError, Answer, Backend, CrossJobRequest, DailySummaryRequest,
    JobReport, JobRequest, Produced, TrackerRequest, TrackerRow,
};
use crate::logs::prefilter::Prefilter;
use crate::logs::{Analyzer, EvidenceSource, LogAnalysis};

/// What the API analyst names itself in footers (the original's wording).
pub const PRODUCER: &str = "Claude API";

/// `max_tokens` of the cross-job call (the original's budget: the summary is short).
const CROSS_JOB_MAX_TOKENS: u32 = 2048;

/// Said in the prompt when the log engine found no error line.
const NO_ERRORS: &str =
    "(No error lines were extracted automatically; read the log excerpt below.)";

/// Analyses jobs with one model call each.
pub struct ApiAnalyst {
    pub client: ApiClient,
    pub templates: Templates,
    pub max_tokens: u32,
}

/// The prompt's list of error lines: annotations and exceptions, never tail lines.
pub fn errors_section(analysis: &LogAnalysis) -> String {
    let lines: Vec<String> = analysis
        .evidence
        .iter()
        .filter(|e| e.source != EvidenceSource::Tail)
        .map(|e| {
            let source = match e.source {
                EvidenceSource::Annotation => "annotation",
                EvidenceSource::Exception => "exception",
                EvidenceSource::Tail => "tail",
                EvidenceSource::Context => "context",
            };
            let step = analysis.steps.get(e.step).map_or("?", |s| s.name.as_str());
            format!(
                "- **[{source}]** `{step}` line {}: `{}`",
                e.line_in_step, e.text
            )
        })
        .collect();
    if lines.is_empty() {
        NO_ERRORS.to_string()
    } else {
        lines.join("\n")
    }
}

impl Backend for ApiAnalyst {
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>> {
        Box::pin(async move {
            let job = request.job;
            let mut analyzer = Analyzer::default();
            let mut excerpt = Prefilter::new();
            stream_job_log(&request, |chunk| {
                analyzer.feed(chunk);
                excerpt.feed(chunk);
            })
            .await?;
            let analysis = analyzer.finish();
            let prompt = self
                .templates
                .fill(
                    "focused-job-analysis",
                    &[
                        ("job_name", &job.name),
                        ("run_url", &request.run.html_url),
                        ("errors_section", &errors_section(&analysis)),
                        ("filtered_log", &excerpt.finish()),
                    ],
                )
                .map_err(AnalysisError::Failed)?;
            let answer = self
                .client
                .complete_with_fallback(None, prompt, self.max_tokens)
                .await
                .map_err(|e| AnalysisError::Failed(e.into()))?;
            let text = answer.text.trim();
            if text.is_empty() {
                return Err(AnalysisError::Failed(anyhow::anyhow!(
                    "the model returned no text for job {}",
                    job.id
                )));
            }
            // The API has no checkout, so the commit comes from us, ahead of the model's report.
            let commit = match &request.run.head_sha {
                None => String::new(),
                Some(sha) => format!(
                    "### Commit Info\n\n- **sglang**: [`{}`](https://github.com/{}/commit/{sha})\n\n",
                    sha.short(),
                    request.repo
                ),
            };
            Ok(JobReport {
                markdown: format!("{commit}{}", strip_commit_info(text)),
                producer: PRODUCER.to_string(),
                note: None,
                signatures: super::signature_keys(&analysis.signatures),
            })
        })
    }

    fn producer(&self) -> &str {
        PRODUCER
    }

    fn daily_summary<'a>(
        &'a self,
        request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        Box::pin(self.summary(request))
    }

    fn cross_job<'a>(&'a self, request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(async move {
            let jobs = request.analyses.len().to_string();
            let prompt = self
                .templates
                .fill(
                    "cross-job-summary",
                    &[
                        ("num_jobs", &jobs),
                        ("workflow_name", request.workflow),
                        ("jobs_text", &cross_job_jobs_text(request.analyses)),
                    ],
                )
                .map_err(AnalysisError::Failed)?;
            let answer = self
                .client
                .complete(&MessageRequest {
                    system: None,
                    user: prompt,
                    max_tokens: CROSS_JOB_MAX_TOKENS,
                    thinking: false,
                })
                .await
                .map_err(|e| AnalysisError::Failed(e.into()))?;
            let text = clean_cross_job(&answer.text);
            if text.is_empty() {
                return Err(AnalysisError::Failed(anyhow::anyhow!(
                    "the model returned no cross-job summary"
                )));
            }
            Ok(Produced::by(PRODUCER, text))
        })
    }

    /// The rows as the model lists them from the analyses (sent inline), checked field by
    /// field; an answer without a JSON array is a failure, so the chain falls back.
    fn tracker_rows<'a>(
        &'a self,
        request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        Box::pin(async move {
            let answer = self
                .client
                .complete(&MessageRequest {
                    system: None,
                    user: tracker_api_prompt(request.workflows),
                    max_tokens: self.max_tokens,
                    thinking: false,
                })
                .await
                .map_err(|e| AnalysisError::Failed(e.into()))?;
            let (rows, warnings) = parse_tracker_answer(&answer.text).ok_or_else(|| {
                AnalysisError::Failed(anyhow::anyhow!("the model's answer holds no tracker rows"))
            })?;
            for w in warnings {
                tracing::warn!("{w}");
            }
            Ok(Produced::by(PRODUCER, rows))
        })
    }
}

impl ApiAnalyst {
    /// The daily summary from the guide's template; an answer without the summary heading, or
    /// with the bot's markers in it, is refused so the chain falls back.
    async fn summary(
        &self,
        request: DailySummaryRequest<'_>,
    ) -> Result<Produced<String>, AnalysisError> {
        let values = super::summary_prompt::api_values(&request);
        let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let prompt = self
            .templates
            .fill(super::summary_prompt::TEMPLATE, &pairs)
            .map_err(AnalysisError::Failed)?;
        let answer = self
            .client
            .complete(&MessageRequest {
                system: None,
                user: prompt,
                max_tokens: request.limits.max_tokens,
                thinking: false,
            })
            .await
            .map_err(|e| AnalysisError::Failed(e.into()))?;
        let text = crate::report::summary_output::accept(&answer.text)
            .map_err(|why| AnalysisError::Failed(anyhow::anyhow!("API summary refused: {why}")))?;
        Ok(Produced::by(PRODUCER, text))
    }
}

/// The model's text without a `### Commit Info` heading of its own (ours is the anchor the
/// report is cut at, so a second one would drop everything before it).
fn strip_commit_info(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("### Commit Info"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::analyze_bytes;

    #[test]
    fn the_errors_section_lists_annotations_and_exceptions_but_never_tail_lines() {
        let log = b"##[group]Run pytest\nValueError: bad\n##[error]boom\n##[endgroup]\n##[group]Run other\nquiet output\n";
        let a = analyze_bytes(log);
        assert_eq!(
            errors_section(&a),
            "- **[exception]** `Run pytest` line 1: `ValueError: bad`\n- **[annotation]** `Run pytest` line 2: `boom`"
        );
        let quiet = analyze_bytes(b"##[group]Run x\nall good\n");
        assert_eq!(errors_section(&quiet), NO_ERRORS);
    }

    #[test]
    fn a_commit_info_heading_from_the_model_is_dropped() {
        assert_eq!(
            strip_commit_info("### Commit Info\n- x\n### Failed Tests"),
            "- x\n### Failed Tests"
        );
    }
}
