//! `--backend auto` and fallbacks: backends asked in order for each task; when one fails, the
//! next answers and the result says so. One that does not do a task is skipped silently. An
//! analysis is never silently dropped.

use super::{AnalysisError, Correlation, Task};
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
        task: Task,
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
                task: task.title(),
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

    /// The preferred backend's: it does the work unless it fails.
    fn parallelism(&self) -> Option<usize> {
        self.backends.first().and_then(|a| a.parallelism())
    }

    fn analyze_job<'a>(&'a self, request: JobRequest<'a>) -> Answer<'a, JobReport> {
        Box::pin(async move {
            let what = format!("the analysis of {}", request.job.name);
            let produced = self
                .first(Task::JobFailure, &what, |b| {
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
            self.first(Task::CrossJob, "the cross-job summary", move |b| {
                b.cross_job(request)
            }),
        )
    }

    fn cross_run<'a>(&'a self, request: CrossRunRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(
            self.first(Task::CrossRun, "the cross-run assessment", move |b| {
                b.cross_run(request)
            }),
        )
    }

    fn daily_summary<'a>(
        &'a self,
        request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        Box::pin(
            self.first(Task::DailySummary, "the daily summary", move |b| {
                b.daily_summary(request)
            }),
        )
    }

    fn tracker_rows<'a>(
        &'a self,
        request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        Box::pin(self.first(Task::TrackerRows, "the tracker rows", move |b| {
            b.tracker_rows(request)
        }))
    }

    fn pr_ci_status<'a>(&'a self, request: PrCiStatusRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(self.first(Task::PrCiStatus, "the PR CI status", move |b| {
            b.pr_ci_status(request)
        }))
    }

    fn pr_review<'a>(&'a self, request: PrReviewRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(self.first(Task::PrReview, "the PR review", move |b| {
            b.pr_review(request)
        }))
    }

    fn pr_correlation<'a>(
        &'a self,
        request: PrCorrelationRequest<'a>,
    ) -> Answer<'a, Produced<Vec<Correlation>>> {
        Box::pin(
            self.first(Task::PrCorrelation, "the PR correlation", move |b| {
                b.pr_correlation(request)
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::builtin::BuiltinAnalyst;
    use crate::report::JobAnalysis;

    /// A backend whose cross-job summaries always fail and that does nothing else.
    struct Broken;

    impl Backend for Broken {
        fn producer(&self) -> &str {
            "broken backend"
        }
        fn analyze_job<'a>(&'a self, _request: JobRequest<'a>) -> Answer<'a, JobReport> {
            super::super::unsupported(self.producer(), Task::JobFailure)
        }
        fn cross_job<'a>(&'a self, _request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
            Box::pin(async { Err(AnalysisError::Failed(anyhow::anyhow!("gateway down"))) })
        }
    }

    fn analysis(id: u64, cluster: &str) -> JobAnalysis {
        JobAnalysis {
            job_id: crate::domain::JobId::new(id),
            job_name: format!("job-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/5".into(),
            analysis: format!(
                "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `t{id}.py` | `test_{id}` | `boom` |\n\n### Failure Cluster\n\n{cluster}\n"
            ),
            ..JobAnalysis::default()
        }
    }

    #[test]
    fn the_preferred_backend_sets_how_many_jobs_run_at_once() {
        let builtin_only = Chain::new(vec![Box::new(BuiltinAnalyst)]);
        assert!(builtin_only.parallelism().is_some_and(|n| n > 3));
        // An agent-like backend first: the agent budget applies, even with builtin behind it.
        let agent_first = Chain::new(vec![Box::new(Broken), Box::new(BuiltinAnalyst)]);
        assert_eq!(agent_first.parallelism(), None);
    }

    #[tokio::test]
    async fn a_failing_backend_gives_way_with_a_note_and_an_unsupported_one_silently() {
        let chain = Chain::new(vec![Box::new(Broken), Box::new(BuiltinAnalyst)]);
        let analyses = [analysis(1, "hip-oom"), analysis(2, "hip-oom")];
        let summary = chain
            .cross_job(CrossJobRequest {
                workflow: "nightly-test-amd.yml",
                analyses: &analyses,
            })
            .await
            .unwrap();
        assert_eq!(summary.producer, crate::analysis::builtin::PRODUCER);
        assert!(summary
            .value
            .starts_with("**Counts**: 2 failures · 1 clusters"));
        assert_eq!(
            summary.note.as_deref(),
            Some("broken backend failed (see the run log); this analysis is by the sglang-bot builtin analyser.")
        );

        let workflows = vec![("pr-test-amd.yml".to_string(), analyses.to_vec())];
        let rows = chain
            .tracker_rows(TrackerRequest {
                workflows: &workflows,
                limits: crate::analysis::TrackerLimits::default(),
            })
            .await
            .unwrap();
        assert_eq!(rows.note, None, "not doing a task is not a failure");
        let files: Vec<&str> = rows.value.iter().map(|r| r.test_file.as_str()).collect();
        assert_eq!(files, ["t1.py", "t2.py"]);
    }

    #[tokio::test]
    async fn a_task_no_backend_does_is_an_unsupported_error_naming_it() {
        let chain = Chain::new(vec![Box::new(Broken), Box::new(BuiltinAnalyst)]);
        let pr = crate::analysis::PullRequestFacts {
            number: 1,
            title: "t",
            author: "a",
            head_ref: "h",
            head_sha: "s",
            base_ref: "main",
            body: "",
            files_summary: "",
            diff: "",
        };
        let err = chain
            .pr_ci_status(PrCiStatusRequest { pr })
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AnalysisError::Unsupported {
                    task: "PR CI Status Check",
                    ..
                }
            ),
            "{err}"
        );
        // The review always has an answer: the builtin checks, when nothing better answers.
        let review = chain
            .pr_review(PrReviewRequest {
                pr,
                repo: "sgl-project/sglang",
                focus: None,
                context: None,
                findings: &crate::report::review_findings::Findings::default(),
            })
            .await
            .unwrap();
        assert_eq!(review.producer, crate::analysis::builtin::PRODUCER);
        assert!(review.value.contains("## Overall"), "{}", review.value);
    }
}
