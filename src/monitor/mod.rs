//! The CI monitor: one tick finds new failed jobs of the watched workflows, analyses them
//! and keeps one comment (in parts) per workflow on the day's issue.

#![warn(clippy::too_many_lines)]

pub mod analyse;
mod context;
mod history;
mod listing;
pub mod publish;
mod render;
pub mod select;
pub mod tick;

use crate::config::{Config, MonitorOutput};
use tick::TickReport;

/// Whether this tick should rebuild the day's cross-workflow summary (the original does it
/// after every tick that published something new): only when writing to the daily issue of a
/// bot repo, only when some workflow got new analyses, and only when `BUILD_DAILY_SUMMARY`
/// (or its legacy alias) does not turn it off.
pub fn summary_due(config: &Config, report: &TickReport) -> bool {
    config.monitor.output == MonitorOutput::DailyIssue
        && config.github.bot_repo.is_some()
        && config.monitor.build_daily_summary
        && report.failure_count() > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::JobAnalysis;
    use tick::WorkflowOutcome;

    fn report(new_analyses: usize) -> TickReport {
        TickReport {
            workflows: vec![WorkflowOutcome {
                workflow: "nightly-test-amd.yml".into(),
                analysed: (0..new_analyses)
                    .map(|i| JobAnalysis {
                        job_id: crate::domain::JobId::new(1 + i as u64),
                        ..JobAnalysis::default()
                    })
                    .collect(),
                ..WorkflowOutcome::default()
            }],
            ..TickReport::default()
        }
    }

    fn config(output: MonitorOutput, bot_repo: Option<&str>, enabled: bool) -> Config {
        let mut c = Config::default();
        c.monitor.output = output;
        c.github.bot_repo = bot_repo.and_then(|r| r.parse().ok());
        c.monitor.build_daily_summary = enabled;
        c
    }

    #[test]
    fn g61_the_summary_is_due_only_after_new_analyses_reach_the_daily_issue() {
        let daily = config(MonitorOutput::DailyIssue, Some("amd/bot"), true);
        assert!(summary_due(&daily, &report(2)));
        assert!(!summary_due(&daily, &report(0)), "nothing new");
        let stdout = config(MonitorOutput::Stdout, Some("amd/bot"), true);
        assert!(!summary_due(&stdout, &report(2)), "stdout mode");
        let no_repo = config(MonitorOutput::DailyIssue, None, true);
        assert!(!summary_due(&no_repo, &report(2)), "no bot repo");
        let off = config(MonitorOutput::DailyIssue, Some("amd/bot"), false);
        assert!(!summary_due(&off, &report(2)), "BUILD_DAILY_SUMMARY=false");
    }
}
