//! `--backend auto` and fallbacks: backends asked in order for each task; when one fails, the
//! next answers and the result says so. One that does not do a task is skipped silently. An
//! analysis is never silently dropped.

use super::{AnalysisError, Correlation};
use super::{
    Answer, Backend, CrossJobRequest, CrossRunRequest, DailySummaryRequest, JobReport, JobRequest,
    PrCiStatusRequest, PrCorrelationRequest, PrReviewRequest, Produced, TrackerRequest, TrackerRow,
};

/// Backends in order of preference.
pub struct Chain {
    backends: Vec<Box<dyn Backend>>,
}

/// The note a result carries when preferred backends failed before `producer` answered.
fn fallback_note(failures: &[String], producer: &str, earlier: Option<String>) -> Option<String> {
    if failures.is_empty() {
        return earlier;
    }
    let note = format!(
        "{} failed (see the run log); this analysis is by the {producer}.",
        failures.join("; then ")
    );
    Some(match earlier {
        Some(n) => format!("{note} {n}"),
        None => note,
    })
}

impl Chain {
    /// A chain; the first backend is preferred.
    pub fn new(backends: Vec<Box<dyn Backend>>) -> Self {
        Chain { backends }
    }

    /// The producers, in order (for logs and `config`).
    pub fn producers(&self) -> Vec<&str> {
        self.backends.iter().map(|a| a.producer()).collect()
    }

    /// Asks each backend in turn with `ask` until one answers `task`.
    async fn first<'a, T>(
        &'a self,
        task: &'static str,
        what: &str,
        ask: impl Fn(&'a dyn Backend) -> Answer<'a, Produced<T>>,
    ) -> Result<Produced<T>, AnalysisError> {
        let mut failures: Vec<String> = Vec::new();
        for backend in &self.backends {
            match ask(backend.as_ref()).await {
                Ok(mut produced) => {
                    produced.note = fallback_note(&failures, &produced.producer, produced.note);
                    return Ok(produced);
                }
                Err(AnalysisError::Unsupported { .. }) => {}
                // No backend can do better without the log.
                Err(e @ AnalysisError::LogUnavailable(_)) => return Err(e),
                Err(AnalysisError::Failed(e)) => {
                    tracing::warn!("{} could not do {what}: {e:#}", backend.producer());
                    failures.push(backend.producer().to_string());
                }
            }
        }
        if failures.is_empty() {
            return Err(AnalysisError::Unsupported {
                backend: self.producers().join(", "),
                task,
            });
        }
        Err(AnalysisError::Failed(anyhow::anyhow!(
            "every backend failed: {}",
            failures.join(", ")
        )))
    }
}

impl Backend for Chain {
    fn producer(&self) -> &str {
        self.backends.first().map_or("no backend", |a| a.producer())
    }

    fn analyze_job<'a>(&'a self, request: JobRequest<'a>) -> Answer<'a, JobReport> {
        Box::pin(async move {
            let what = format!("the analysis of {}", request.job.name);
            let produced = self
                .first("Job Failure Analysis", &what, |b| {
                    Box::pin(async move {
                        let report = b.analyze_job(request).await?;
                        let producer = report.producer.clone();
                        let note = report.note.clone();
                        Ok(Produced {
                            value: report,
                            producer,
                            note,
                        })
                    })
                })
                .await?;
            Ok(JobReport {
                note: produced.note,
                ..produced.value
            })
        })
    }

    fn cross_job<'a>(&'a self, request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(
            self.first("Cross-Job Summary", "the cross-job summary", move |b| {
                b.cross_job(request)
            }),
        )
    }

    fn cross_run<'a>(&'a self, request: CrossRunRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(self.first(
            "Cross-Run Pattern Analysis",
            "the cross-run assessment",
            move |b| b.cross_run(request),
        ))
    }

    fn daily_summary<'a>(
        &'a self,
        request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        Box::pin(self.first(
            "Daily Cross-Workflow Summary",
            "the daily summary",
            move |b| b.daily_summary(request),
        ))
    }

    fn tracker_rows<'a>(
        &'a self,
        request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        Box::pin(
            self.first("Failure Tracker Data", "the tracker rows", move |b| {
                b.tracker_rows(request)
            }),
        )
    }

    fn pr_ci_status<'a>(&'a self, request: PrCiStatusRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(
            self.first("PR CI Status Check", "the PR CI status", move |b| {
                b.pr_ci_status(request)
            }),
        )
    }

    fn pr_review<'a>(&'a self, request: PrReviewRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(self.first("PR Code Review", "the PR review", move |b| {
            b.pr_review(request)
        }))
    }

    fn pr_correlation<'a>(
        &'a self,
        request: PrCorrelationRequest<'a>,
    ) -> Answer<'a, Produced<Vec<Correlation>>> {
        Box::pin(
            self.first("PR Correlation", "the PR correlation", move |b| {
                b.pr_correlation(request)
            }),
        )
    }
}
