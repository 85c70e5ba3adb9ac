//! Deterministic, streaming analysis of GitHub Actions job logs.
//!
//! Pure: the analyser sees only the bytes it is fed (any chunking, one pass, bounded memory)
//! and knows nothing of the network, the clock or the environment. It splits the log into
//! steps as the original bot did, finds the same error lines, extracts failed tests, sorts the
//! failure into a small taxonomy by an ordered rule table, and computes versioned failure
//! signatures that stay equal across days and workflows.

#![warn(missing_docs)]

mod analyzer;
pub mod canonical;
mod classify;
pub mod linebuf;
mod markdown;
mod mask;
pub mod prefilter;
mod scan;
mod signature;
pub mod steplink;
mod tests_parse;
pub mod text;
mod why;

use serde::{Deserialize, Serialize};

pub use analyzer::{analyze_bytes, analyze_reader, Analyzer};
pub use canonical::{canonical_file, canonical_test_id, parse_test_id, TestId};
pub use classify::RULES;
pub use markdown::{render_markdown, ReportContext};
pub use signature::{normalize, SIGNATURE_VERSION};
pub use steplink::{ApiStep, LogLink, StepMap};

/// Version of the JSON schema of [`LogAnalysis`]; bumped on any incompatible change.
/// Version 2: test ids are canonical (path relative to sglang's `test/` + `::Class::method`),
/// and tests that passed on retry are in `flaky`, no longer in `failed_tests`.
pub const SCHEMA_VERSION: u32 = 2;

/// Knobs of the analysis; the defaults are the original's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Evidence entries kept per step (the last ones).
    pub max_errors_per_step: usize,
    /// Evidence entries kept in total (the last ones), so a pathological log stays bounded.
    pub max_evidence: usize,
    /// Failed tests kept.
    pub max_failed_tests: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_errors_per_step: 10,
            max_evidence: 200,
            max_failed_tests: 500,
        }
    }
}

/// The analysis of one job log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogAnalysis {
    /// Version of this structure as serialised (`analyze-log --format json`).
    pub schema_version: u32,
    /// Lines of the file: `wc -l`, plus one for a last line without a newline (0 for an empty
    /// file).
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines longer than the analysed prefix.
    pub long_lines: u64,
    /// Every step, in log order.
    pub steps: Vec<Step>,
    /// Index into `steps` of the step the job failed in, if it failed.
    pub failing_step: Option<usize>,
    /// Tests named as failing, each once under its canonical id; flaky ones are not here.
    pub failed_tests: Vec<FailedTest>,
    /// Tests (or files) that failed and then passed on retry, with the first failure's error:
    /// flaky, not failed, and never the job's failure reason.
    #[serde(default)]
    pub flaky: Vec<FailedTest>,
    /// pytest's or unittest's closing summary, e.g. `1 failed, 412 passed in 7803.11s`.
    pub test_summary: Option<String>,
    /// The error lines worth showing, with where they are.
    pub evidence: Vec<Evidence>,
    /// What kind of failure this is.
    pub category: Category,
    /// Why: the rule that decided and the line it matched.
    pub reason: String,
    /// The deciding rule's id.
    pub rule: Option<String>,
    /// 1-based line the deciding rule matched, when it matched a line.
    pub reason_line: Option<u64>,
    /// One signature per distinct failure (`v2:…`: each failed test its own).
    pub signatures: Vec<String>,
    /// The lines just before each of the first `##[error]` annotations: where a plain
    /// message (`Error response from daemon`, `ERROR: No matching distribution`) explains a
    /// failure that no exception line does.
    pub error_context: Vec<Evidence>,
    /// Lines longer than the analysed prefix whose unread part held an error word, so a
    /// report can say what it could not read (absent from older output).
    #[serde(default)]
    pub cut_lines: Vec<CutLine>,
    /// The `##[group]Run …` sections, in log order: where GitHub's log viewer starts each
    /// step, so a line can be linked as `#step:N:L` ([`StepMap`]); absent from older output.
    #[serde(default)]
    pub run_sections: Vec<RunSection>,
    /// Why the job failed, in one line, when tests failed: each failed file's cause counted
    /// (`3 files failed: 1 accuracy assertion, 1 timeout, 1 HIP error`); absent from older
    /// output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A `##[group]Run …` section: the output of one step (or of one step of a composite action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSection {
    /// 1-based line of the `##[group]Run …` header (line 1 of the step in GitHub's viewer).
    pub line: u64,
    /// Last line of the section (before the next section, a post step or the job's end).
    pub last_line: u64,
    /// The header's timestamp, seconds since the epoch, when the log has timestamps.
    pub started_secs: Option<f64>,
}

/// A line cut at the analysed prefix whose cut part held an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutLine {
    /// 1-based line in the whole log.
    pub line: u64,
    /// The cut part from the error word on, at most 200 characters.
    pub text: String,
}

/// One segment of the log, split as the original bot split it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The original's segment name: a group title, or `(preamble)`, `(trailing)`, `(full log)`.
    pub name: String,
    /// For unnamed segments, the title of the group just before (the step this output belongs to).
    pub title: Option<String>,
    /// 1-based line range in the log (markers excluded).
    pub first_line: u64,
    /// Last line of the step (1-based, inclusive).
    pub last_line: u64,
    /// Lines in the step.
    pub line_count: u64,
    /// Seconds from its first to its last timestamp, when the log has timestamps.
    pub duration_secs: Option<f64>,
    /// Saw an `##[error]` line.
    pub failed: bool,
}

impl Step {
    /// What a reader calls this step: the group it belongs to when the original's split left it
    /// unnamed (`(preamble)` output after a group's command echo), else its own name.
    pub fn display_name(&self) -> &str {
        self.title
            .as_deref()
            .filter(|_| self.name.starts_with('('))
            .unwrap_or(&self.name)
    }
}

/// Where an evidence line came from (the original's three kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// A `##[error]` annotation GitHub wrote.
    Annotation,
    /// An exception or error line of the tool itself.
    Exception,
    /// The last lines of a failing step with no better line.
    Tail,
    /// A line just before an `##[error]` annotation (kept apart from the original's three
    /// kinds, in [`LogAnalysis::error_context`]).
    Context,
}

/// One error line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Index into `steps`.
    pub step: usize,
    /// 1-based line in the whole log (for links).
    pub line: u64,
    /// 1-based line inside the step, as the original numbered it.
    pub line_in_step: u64,
    /// What kind of line it is.
    pub source: EvidenceSource,
    /// The message, at most 200 characters.
    pub text: String,
}

/// Which test runner reported a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestRunner {
    /// pytest (`FAILED file::test`).
    Pytest,
    /// unittest (`FAIL: test (module.Class)`).
    Unittest,
    /// A suite runner that runs files (`run_suite.py`, `run_test.py`).
    Suite,
}

/// A failed test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedTest {
    /// The canonical id ([`canonical_test_id`]): `registered/x.py::Class::test_y`, or the
    /// file alone for a file-level row.
    pub id: String,
    /// The test file, when the runner names one.
    pub file: Option<String>,
    /// The test function, or `(whole file)` for a file-level row (no test of it is named).
    pub name: String,
    /// The runner that printed it.
    pub runner: TestRunner,
    /// The first assertion or exception message.
    pub message: Option<String>,
    /// `ERROR` rather than `FAILED` (a setup/collection error).
    pub error: bool,
    /// Killed by a time limit rather than failing an assertion.
    pub timed_out: bool,
    /// The test process died while running it (GPU fault, fatal error, signal): the message
    /// is the fault line.
    #[serde(default)]
    pub crashed: bool,
    /// The runner retried it and it failed every attempt.
    #[serde(default)]
    pub retried: bool,
    /// 1-based line where it was first reported.
    pub line: u64,
}

/// The failure taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Tests failed.
    TestFailure,
    /// A step or test ran out of time.
    Timeout,
    /// The GPU or its driver failed (out of memory, memory access fault, RCCL).
    GpuError,
    /// Building or installing failed before any test ran.
    BuildFailure,
    /// The runner or the network failed, not the code.
    Infrastructure,
    /// Someone or something cancelled the job.
    Cancelled,
    /// Only a gate step failed (it reports other jobs' failures).
    GateOnly,
    /// The job failed but no rule says why.
    Unknown,
    /// No failure in the log.
    Passed,
    /// Nothing to analyse: the input held no bytes (never "passed").
    Empty,
}

impl Category {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Category::TestFailure => "test failure",
            Category::Timeout => "timeout",
            Category::GpuError => "GPU/driver error",
            Category::BuildFailure => "build/install failure",
            Category::Infrastructure => "infrastructure",
            Category::Cancelled => "cancelled",
            Category::GateOnly => "gate only",
            Category::Unknown => "unknown",
            Category::Passed => "passed",
            Category::Empty => "empty log",
        }
    }

    /// The stable key used in signatures.
    pub fn key(self) -> &'static str {
        match self {
            Category::TestFailure => "test",
            Category::Timeout => "timeout",
            Category::GpuError => "gpu",
            Category::BuildFailure => "build",
            Category::Infrastructure => "infra",
            Category::Cancelled => "cancelled",
            Category::GateOnly => "gate",
            Category::Unknown => "unknown",
            Category::Passed => "passed",
            Category::Empty => "empty",
        }
    }
}

impl LogAnalysis {
    /// The failing step, if any.
    pub fn failing_step(&self) -> Option<&Step> {
        self.failing_step.and_then(|i| self.steps.get(i))
    }
}
