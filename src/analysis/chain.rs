//! `--backend auto` and fallbacks: analysts tried in order for each job; when one fails, the
//! next answers and the report says so. An analysis is never silently dropped.

use futures_util::future::BoxFuture;

use super::{AnalysisError, Analyst, JobReport, JobRequest};

/// Analysts in order of preference.
pub struct Chain {
    analysts: Vec<Box<dyn Analyst>>,
}

impl Chain {
    /// A chain; the first analyst is preferred.
    pub fn new(analysts: Vec<Box<dyn Analyst>>) -> Self {
        Chain { analysts }
    }

    /// The producers, in order (for logs and `config`).
    pub fn producers(&self) -> Vec<&str> {
        self.analysts.iter().map(|a| a.producer()).collect()
    }
}

impl Analyst for Chain {
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>> {
        Box::pin(async move {
            let mut failures: Vec<String> = Vec::new();
            for analyst in &self.analysts {
                match analyst.analyze_job(request).await {
                    Ok(mut report) => {
                        if !failures.is_empty() {
                            let fell_back = format!(
                                "{} failed ({}); this analysis is by the {}.",
                                failures.join("; then "),
                                "see the run log",
                                report.producer
                            );
                            report.note = Some(match report.note {
                                Some(n) => format!("{fell_back} {n}"),
                                None => fell_back,
                            });
                        }
                        return Ok(report);
                    }
                    // No backend can do better without the log.
                    Err(AnalysisError::LogUnavailable(why)) => {
                        return Err(AnalysisError::LogUnavailable(why))
                    }
                    Err(AnalysisError::Failed(e)) => {
                        tracing::warn!(
                            "{} could not analyse {}: {e:#}",
                            analyst.producer(),
                            request.job.name
                        );
                        failures.push(analyst.producer().to_string());
                    }
                }
            }
            Err(AnalysisError::Failed(anyhow::anyhow!(
                "every backend failed: {}",
                failures.join(", ")
            )))
        })
    }

    fn producer(&self) -> &str {
        self.analysts.first().map_or("no backend", |a| a.producer())
    }
}
