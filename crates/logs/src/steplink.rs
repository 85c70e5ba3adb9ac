//! Links into GitHub's log viewer: which API step a log line belongs to, and its line there.
//!
//! The viewer numbers lines per step, from 1 at the step's `##[group]Run …` header; the
//! downloaded log numbers them across the whole job. The original matched segment names with
//! step names (they rarely agree) and used segment-relative lines (wrong even then, UW7).
//!
//! Here the log's `##[group]Run …` sections ([`RunSection`]) are matched with the job's API
//! steps that print one (not `Set up job`, post steps, `Complete job` or skipped steps):
//! - by order when the counts agree (and no timestamp contradicts it);
//! - else by timestamps: a section belongs to the one step whose `started_at`…`completed_at`
//!   (whole seconds, as the API gives them) holds the section's first timestamp; several
//!   sections may belong to one step (a composite action), counted from the first;
//! - else, or when the times allow several steps, the section is ambiguous: a line in it is
//!   linked to the step alone when it is the failing section and the API names one failed
//!   step, otherwise to the job page.

use std::collections::BTreeMap;

use crate::RunSection;

/// One step of the job as the jobs API reports it, reduced to what the mapping needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiStep {
    /// The API's step number (the `N` of `#step:N`); not always contiguous.
    pub number: u32,
    /// The step's name as the API gives it (what the job table shows).
    pub name: String,
    /// `started_at`, seconds since the epoch.
    pub started_secs: Option<f64>,
    /// `completed_at`, seconds since the epoch.
    pub completed_secs: Option<f64>,
    /// False for a skipped step (it printed nothing).
    pub ran: bool,
    /// Its conclusion was `failure`.
    pub failed: bool,
}

impl ApiStep {
    /// Steps the runner writes without a `##[group]Run …` header of their own.
    fn is_bookkeeping(&self) -> bool {
        let n = self.name.as_str();
        matches!(
            n,
            "Set up job" | "Complete job" | "Initialize containers" | "Stop containers"
        ) || n.starts_with("Post ")
    }

    /// Whether the step's time window holds `secs` (the API's times are whole seconds).
    fn holds(&self, secs: f64) -> Option<bool> {
        let (a, b) = (self.started_secs?, self.completed_secs?);
        Some(a <= secs && secs < b.max(a) + 1.0)
    }
}

/// Where a log line is in GitHub's viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLink {
    /// Step `step`, line `line` of it (1-based).
    Line {
        /// The API step number.
        step: u32,
        /// 1-based line within the step.
        line: u64,
    },
    /// Step `step`, line unknown.
    Step {
        /// The API step number.
        step: u32,
    },
    /// Neither is known: the job page.
    Job,
}

impl LogLink {
    /// The URL fragment: `#step:N:L`, `#step:N` or nothing.
    pub fn fragment(&self) -> String {
        match self {
            LogLink::Line { step, line } => format!("#step:{step}:{line}"),
            LogLink::Step { step } => format!("#step:{step}"),
            LogLink::Job => String::new(),
        }
    }

    /// The step it names, if any.
    pub fn step(&self) -> Option<u32> {
        match self {
            LogLink::Line { step, .. } | LogLink::Step { step } => Some(*step),
            LogLink::Job => None,
        }
    }
}

/// The log's run sections matched with the job's API steps.
#[derive(Debug, Clone, Default)]
pub struct StepMap {
    /// Each section with the API step it belongs to, when that is certain.
    sections: Vec<(RunSection, Option<u32>)>,
    /// Where each mapped step starts in the log (its first section's header).
    starts: BTreeMap<u32, u64>,
    /// The `Set up job` step: it holds the lines before the first section, from line 1.
    setup: Option<u32>,
    /// The one step the API says failed, when exactly one did.
    failed: Option<u32>,
    /// A line of the section the job failed in (the analysis's failing step).
    failing_line: Option<u64>,
    /// API step names by number.
    names: BTreeMap<u32, String>,
}

impl StepMap {
    /// Matches `sections` (from the log) with `steps` (from the jobs API). `failing_line` is a
    /// line of the log's failing step, if the analysis found one.
    pub fn new(sections: &[RunSection], steps: &[ApiStep], failing_line: Option<u64>) -> StepMap {
        let printing: Vec<&ApiStep> = steps
            .iter()
            .filter(|s| s.ran && !s.is_bookkeeping())
            .collect();
        let mapped = by_order(sections, &printing).unwrap_or_else(|| by_time(sections, &printing));
        let mut starts = BTreeMap::new();
        for (section, step) in sections.iter().zip(&mapped) {
            if let Some(n) = step {
                starts.entry(*n).or_insert(section.line);
            }
        }
        let failed: Vec<u32> = steps
            .iter()
            .filter(|s| s.failed)
            .map(|s| s.number)
            .collect();
        StepMap {
            sections: sections.iter().cloned().zip(mapped).collect(),
            starts,
            setup: steps
                .iter()
                .find(|s| s.name == "Set up job")
                .map(|s| s.number),
            failed: (failed.len() == 1).then(|| failed[0]),
            failing_line,
            names: steps.iter().map(|s| (s.number, s.name.clone())).collect(),
        }
    }

    /// Where log line `line` (1-based, whole log) is in GitHub's viewer.
    pub fn link(&self, line: u64) -> LogLink {
        let first = self.sections.first().map(|(s, _)| s.line);
        if first.is_none_or(|f| line < f) {
            // Before any step's header: the runner's own `Set up job` output, from line 1.
            return match (self.setup, first) {
                (Some(step), Some(_)) => LogLink::Line { step, line },
                _ => LogLink::Job,
            };
        }
        let Some((section, step)) = self.section_of(line) else {
            return LogLink::Job;
        };
        match step.and_then(|n| self.starts.get(&n).map(|start| (n, start))) {
            Some((step, start)) => LogLink::Line {
                step,
                line: line - start + 1,
            },
            None => match (self.failed, self.failing_line) {
                (Some(step), Some(f)) if section.line <= f && f <= section.last_line => {
                    LogLink::Step { step }
                }
                _ => LogLink::Job,
            },
        }
    }

    /// The API name of step `number`.
    pub fn name(&self, number: u32) -> Option<&str> {
        self.names.get(&number).map(String::as_str)
    }

    fn section_of(&self, line: u64) -> Option<&(RunSection, Option<u32>)> {
        self.sections
            .iter()
            .rev()
            .find(|(s, _)| s.line <= line)
            .filter(|(s, _)| line <= s.last_line)
    }
}

/// Sections and printing steps paired in order, when their counts agree and no timestamp
/// says otherwise.
fn by_order(sections: &[RunSection], steps: &[&ApiStep]) -> Option<Vec<Option<u32>>> {
    if sections.len() != steps.len() {
        return None;
    }
    let contradicted = sections.iter().zip(steps).any(|(section, step)| {
        section
            .started_secs
            .and_then(|t| step.holds(t))
            .is_some_and(|held| !held)
    });
    (!contradicted).then(|| steps.iter().map(|s| Some(s.number)).collect())
}

/// Each section to the one step whose time window holds its start, never going back to an
/// earlier step than the section before; `None` where no single step does.
fn by_time(sections: &[RunSection], steps: &[&ApiStep]) -> Vec<Option<u32>> {
    let mut floor = 0u32;
    sections
        .iter()
        .map(|section| {
            let t = section.started_secs?;
            let holding: Vec<u32> = steps
                .iter()
                .filter(|s| s.number >= floor && s.holds(t) == Some(true))
                .map(|s| s.number)
                .collect();
            match holding.as_slice() {
                [one] => {
                    floor = *one;
                    Some(*one)
                }
                _ => None,
            }
        })
        .collect()
}
