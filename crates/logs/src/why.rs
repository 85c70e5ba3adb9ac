//! Why a job failed, in one line: each failed file's cause named as a maintainer would
//! ("accuracy assertion", "timeout", "HIP error"), counted, so a job whose files failed for
//! different reasons says so ("3 files failed: 1 accuracy assertion, 1 timeout, 1 HIP error")
//! instead of promoting one error to the job's category. The category names a cause only
//! when it is the dominant one (more than half of the failed files).

use std::sync::OnceLock;

use regex::Regex;

use crate::{Category, FailedTest};

/// Why one file failed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cause {
    /// An assertion on a measured number (accuracy, score, closeness).
    Accuracy,
    /// Any other assertion.
    Assertion,
    /// A time limit killed it.
    Timeout,
    /// The GPU out of memory.
    OutOfMemory,
    /// A HIP error or GPU memory fault.
    Hip,
    /// A collective-communication (RCCL/NCCL) error.
    Rccl,
    /// The test process died (a signal, a fatal error) without a GPU fault named.
    Crash,
    /// A file the suite runner saw exit non-zero, with nothing more said.
    Exit,
    /// Another exception, by its type name.
    Exception(String),
    /// Nothing says why.
    Unknown,
}

impl Cause {
    fn of(t: &FailedTest) -> Cause {
        let message = t.message.as_deref().unwrap_or("");
        let lower = message.to_lowercase();
        if t.timed_out {
            Cause::Timeout
        } else if lower.contains("out of memory") {
            Cause::OutOfMemory
        } else if lower.contains("hip error")
            || lower.contains("hiperror")
            || lower.contains("memory access fault")
            || lower.contains("illegal memory access")
        {
            Cause::Hip
        } else if lower.contains("rccl") || lower.contains("nccl") {
            Cause::Rccl
        } else if t.crashed {
            Cause::Crash
        } else if message.starts_with("exit code") {
            Cause::Exit
        } else if message.starts_with("AssertionError") {
            if measured().is_match(message) {
                Cause::Accuracy
            } else {
                Cause::Assertion
            }
        } else {
            exception_name(message).map_or(Cause::Unknown, Cause::Exception)
        }
    }

    /// (one, several).
    fn names(&self) -> (String, String) {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        match self {
            Cause::Accuracy => pair("accuracy assertion", "accuracy assertions"),
            Cause::Assertion => pair("assertion", "assertions"),
            Cause::Timeout => pair("timeout", "timeouts"),
            Cause::OutOfMemory => pair("out-of-memory error", "out-of-memory errors"),
            Cause::Hip => pair("HIP error", "HIP errors"),
            Cause::Rccl => pair("RCCL error", "RCCL errors"),
            Cause::Crash => pair("crash", "crashes"),
            Cause::Exit => pair("non-zero exit", "non-zero exits"),
            Cause::Exception(name) => (name.clone(), name.clone()),
            Cause::Unknown => pair("failure without a message", "failures without a message"),
        }
    }

    /// The job category this cause names, when it is the dominant one.
    fn category(&self) -> Option<Category> {
        match self {
            Cause::Timeout => Some(Category::Timeout),
            Cause::OutOfMemory | Cause::Hip | Cause::Rccl => Some(Category::GpuError),
            Cause::Accuracy | Cause::Assertion | Cause::Exception(_) => Some(Category::TestFailure),
            Cause::Crash | Cause::Exit | Cause::Unknown => None,
        }
    }
}

/// A number with decimals or a word of measurement: an assertion about accuracy.
fn measured() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\d\.\d|accuracy|score|not close|tolerance|mismatch").expect("measured re")
    })
}

/// `KeyError` of `KeyError: 'x'`, `OSError` of `torch.OSError: …`.
fn exception_name(message: &str) -> Option<String> {
    let head = message.split([':', ' ', '(']).next()?;
    let name = head.rsplit('.').next()?;
    // Only an identifier: the line is shown as plain text.
    let identifier =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (identifier && (name.ends_with("Error") || name.ends_with("Exception")))
        .then(|| name.to_string())
}

/// The failed files of a job, each with its cause, and the summary of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WhyLine {
    /// The one line: `3 files failed: 1 accuracy assertion, 1 timeout, 1 HIP error`.
    pub(crate) text: String,
    /// How many files failed.
    pub(crate) files: usize,
    /// The category of the cause of more than half the files, when there is one and it names
    /// a category.
    pub(crate) dominant: Option<Category>,
    /// Whether the files failed for more than one cause.
    pub(crate) mixed: bool,
}

/// The why-line of a job's failed tests; `None` when no test failed.
pub(crate) fn why_line(tests: &[FailedTest]) -> Option<WhyLine> {
    // Each file once, with the cause of its first failed test.
    let mut files: Vec<(&str, Cause)> = Vec::new();
    for t in tests {
        let file = t.file.as_deref().unwrap_or(&t.id);
        if !files.iter().any(|(f, _)| *f == file) {
            files.push((file, Cause::of(t)));
        }
    }
    if files.is_empty() {
        return None;
    }
    let mut counts: Vec<(Cause, usize)> = Vec::new();
    for (_, cause) in files {
        match counts.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, n)) => *n += 1,
            None => counts.push((cause, 1)),
        }
    }
    // Most frequent first; ties keep the order the log showed them in.
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(cause, n)| {
            let (one, several) = cause.names();
            format!("{n} {}", if *n == 1 { one } else { several })
        })
        .collect();
    let dominant = counts
        .first()
        .filter(|(_, n)| n * 2 > total)
        .and_then(|(cause, _)| cause.category());
    Some(WhyLine {
        text: format!(
            "{total} {} failed: {}",
            if total == 1 { "file" } else { "files" },
            parts.join(", ")
        ),
        files: total,
        dominant,
        mixed: counts.len() > 1,
    })
}

/// The job's category once its files' causes are counted: with several failed files, a
/// test-level category (test failure, timeout, GPU error) names the dominant cause, or is
/// `test failure` when no cause is dominant. Other categories (infrastructure, build …) and
/// single-file jobs keep the rule table's verdict.
pub(crate) fn settle_category(category: Category, why: Option<&WhyLine>) -> Category {
    let test_level = matches!(
        category,
        Category::TestFailure | Category::Timeout | Category::GpuError
    );
    match why {
        Some(w) if test_level && w.files > 1 && w.mixed => {
            w.dominant.unwrap_or(Category::TestFailure)
        }
        _ => category,
    }
}
