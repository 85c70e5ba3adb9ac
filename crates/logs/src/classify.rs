//! The failure taxonomy as one ordered rule table. The first rule that holds decides.
//!
//! `Line` rules look at every line (a literal needle found by one Aho-Corasick pass, then the
//! regex on that line only); `Evidence` rules look only at the error lines and failed-test
//! messages, so an out-of-memory warning the job survived does not decide the category;
//! `Tests` holds when failed tests were found.

use std::sync::OnceLock;

use regex::Regex;

use crate::mask::{Mask, RULE_BITS};
use crate::{Category, Evidence, FailedTest, Step};

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Line,
    Evidence,
    Tests,
}

/// One classification rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, reported with the verdict.
    pub id: &'static str,
    pub category: Category,
    pub scope: Scope,
    /// Literal that must occur for the regex to be tried (`Line` rules).
    pub needle: &'static str,
    pub pattern: &'static str,
    /// What the report says.
    pub reason: &'static str,
}

const fn rule(
    id: &'static str,
    category: Category,
    scope: Scope,
    needle: &'static str,
    pattern: &'static str,
    reason: &'static str,
) -> Rule {
    Rule {
        id,
        category,
        scope,
        needle,
        pattern,
        reason,
    }
}

/// Rules in priority order.
pub static RULES: &[Rule] = &[
    rule(
        "runner-shutdown",
        Category::Infrastructure,
        Scope::Line,
        "shutdown signal",
        r"The runner has received a shutdown signal",
        "the runner was shut down mid-job",
    ),
    rule(
        "runner-lost",
        Category::Infrastructure,
        Scope::Line,
        "lost communication",
        r"lost communication with the server",
        "the runner lost contact with GitHub",
    ),
    rule(
        "step-timeout",
        Category::Timeout,
        Scope::Line,
        "has timed out after",
        r"has timed out after \d+ minutes",
        "a step hit its time limit",
    ),
    rule(
        "job-timeout",
        Category::Timeout,
        Scope::Line,
        "maximum execution time",
        r"exceeded the maximum execution time",
        "the job hit its time limit",
    ),
    rule(
        "cancelled",
        Category::Cancelled,
        Scope::Line,
        "The operation was canceled",
        r"##\[error\]The operation was canceled",
        "the job was cancelled",
    ),
    rule(
        "gpu-unavailable",
        Category::Infrastructure,
        Scope::Evidence,
        "",
        r"No (?:HIP|CUDA) GPUs are available|hipErrorNoDevice|no ROCm-capable device",
        "the runner's GPU is missing or not visible",
    ),
    rule(
        "gpu-memory-fault",
        Category::GpuError,
        Scope::Evidence,
        "",
        r"(?i)illegal memory access|memory access fault by gpu|hipErrorIllegalAddress|HSA_STATUS_ERROR",
        "the GPU faulted (illegal memory access)",
    ),
    rule(
        "gpu-hip-error",
        Category::GpuError,
        Scope::Evidence,
        "",
        r"HIP error|hipError\w+|RCCL error|NCCL error|GPU Hang|device lost|amdgpu: .*reset",
        "a HIP/RCCL error",
    ),
    rule(
        "gpu-oom",
        Category::GpuError,
        Scope::Evidence,
        "",
        r"(?i)OutOfMemoryError|(?:HIP|CUDA|GPU) out of memory",
        "the GPU ran out of memory",
    ),
    rule(
        "network",
        Category::Infrastructure,
        Scope::Evidence,
        "",
        r"ReadTimeoutError|ConnectionError|Connection reset|Could not resolve host|Temporary failure in name resolution|couldn't connect to|Max retries exceeded|Remote end closed connection|The read operation timed out",
        "a network download failed",
    ),
    rule(
        "test-timeout",
        Category::Timeout,
        Scope::Evidence,
        "",
        r"Failed: Timeout >|timed out after \d+",
        "a test timed out",
    ),
    rule(
        "disk-full",
        Category::Infrastructure,
        Scope::Line,
        "No space left on device",
        r"No space left on device",
        "the runner's disk is full",
    ),
    rule(
        "docker-pull",
        Category::Infrastructure,
        Scope::Evidence,
        "",
        r"Error response from daemon|manifest unknown|toomanyrequests|pull access denied|failed to pull image",
        "a container image could not be pulled",
    ),
    rule(
        "ninja-failed",
        Category::BuildFailure,
        Scope::Line,
        "FAILED: ",
        r"^FAILED: (?:\[code=\d+\] )?\S+",
        "a build step failed",
    ),
    rule(
        "compile-error",
        Category::BuildFailure,
        Scope::Line,
        ": error: ",
        r"\.(?:c|cc|cpp|cxx|cu|cuh|hip|h|hpp):\d+:\d+: error: ",
        "the compiler rejected the source",
    ),
    rule(
        "ninja-stopped",
        Category::BuildFailure,
        Scope::Line,
        "ninja: build stopped",
        r"ninja: build stopped",
        "the native build stopped",
    ),
    rule(
        "build",
        Category::BuildFailure,
        Scope::Evidence,
        "",
        r"ninja: build stopped|CMake Error|Failed building wheel|error: command '.*' failed|undefined reference to|compilation terminated|FAILED: \S+\.o",
        "the build failed",
    ),
    rule(
        "install",
        Category::BuildFailure,
        Scope::Evidence,
        "",
        r"Could not find a version that satisfies|No matching distribution found|ResolutionImpossible|cannot open shared object file|ERROR: Could not install packages",
        "a dependency could not be installed or loaded",
    ),
    rule(
        "failed-tests",
        Category::TestFailure,
        Scope::Tests,
        "",
        "",
        "tests failed",
    ),
    rule(
        "gate",
        Category::GateOnly,
        Scope::Line,
        "dependent job",
        r"(?i)Check all dependent job statuses|Wait for .* jobs to complete",
        "a gate job that only reports other jobs' failures",
    ),
];

/// Per-line matching of the `Line` rules, remembering the first hit of each.
pub(crate) struct LineRules {
    /// For each line rule (by mask bit), the index of its rule in [`RULES`].
    rule_of: &'static [usize],
    hits: Vec<Option<(u64, String)>>,
}

fn line_matcher() -> &'static (Vec<usize>, Vec<Regex>) {
    static M: OnceLock<(Vec<usize>, Vec<Regex>)> = OnceLock::new();
    M.get_or_init(|| {
        let line_rules: Vec<usize> = RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.scope == Scope::Line)
            .map(|(i, _)| i)
            .collect();
        let regexes = RULES
            .iter()
            .map(|r| Regex::new(r.pattern).expect("rule regex"))
            .collect();
        (line_rules, regexes)
    })
}

/// The literal needle of each line rule, in mask-bit order (for [`crate::scan`]).
pub(crate) fn line_rule_needles() -> Vec<&'static str> {
    line_matcher().0.iter().map(|&i| RULES[i].needle).collect()
}

impl LineRules {
    /// No hits yet.
    pub(crate) fn new() -> Self {
        let (rule_of, _) = line_matcher();
        LineRules {
            rule_of,
            hits: vec![None; RULES.len()],
        }
    }

    /// Looks at one cleaned line whose needles are in `mask`.
    pub(crate) fn feed(&mut self, line: &[u8], line_no: u64, mask: Mask) {
        let mut bits = mask & ((1 << RULE_BITS) - 1);
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let rule = self.rule_of[bit];
            if self.hits[rule].is_some() {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            if line_matcher().1[rule].is_match(&text) {
                self.hits[rule] = Some((line_no, crate::text::cut(&text, 200)));
            }
        }
    }
}

impl Default for LineRules {
    fn default() -> Self {
        Self::new()
    }
}

/// The category and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub category: Category,
    pub rule: Option<&'static str>,
    pub reason: String,
    pub line: Option<u64>,
    /// The text the deciding rule matched.
    pub matched: Option<String>,
}

/// Applies the rule table.
pub(crate) struct Classifier;

impl Classifier {
    /// The verdict for a finished log.
    pub(crate) fn decide(
        lines: &LineRules,
        evidence: &[Evidence],
        context: &[Evidence],
        tests: &[FailedTest],
        steps: &[Step],
        fatal: Option<&(u64, String)>,
    ) -> Verdict {
        let regexes = &line_matcher().1;
        for (i, rule) in RULES.iter().enumerate() {
            let hit: Option<(Option<u64>, String)> = match rule.scope {
                Scope::Line => lines.hits[i].clone().map(|(l, t)| (Some(l), t)),
                // A step's last words count when that step failed (an install or pull error
                // is often a plain last line, not an exception).
                Scope::Evidence => evidence
                    .iter()
                    .filter(|e| {
                        e.source != crate::EvidenceSource::Tail
                            || steps.get(e.step).is_some_and(|s| s.failed)
                    })
                    .chain(context)
                    .find(|e| regexes[i].is_match(&e.text))
                    .map(|e| (Some(e.line), e.text.clone()))
                    .or_else(|| {
                        tests
                            .iter()
                            .find(|t| t.message.as_deref().is_some_and(|m| regexes[i].is_match(m)))
                            .map(|t| (Some(t.line), t.message.clone().unwrap_or_default()))
                    }),
                Scope::Tests => tests.first().map(|t| {
                    let count = tests.len();
                    (
                        Some(t.line),
                        format!("{count} failed test(s), first {}", t.id),
                    )
                }),
            };
            if let Some((line, matched)) = hit {
                return Verdict {
                    category: rule.category,
                    rule: Some(rule.id),
                    reason: format!("{}: {matched}", rule.reason),
                    line,
                    matched: Some(matched),
                };
            }
        }
        let failed = steps.iter().any(|s| s.failed);
        match evidence
            .iter()
            .find(|e| e.source != crate::EvidenceSource::Tail)
        {
            Some(e) if failed => Verdict {
                category: Category::Unknown,
                rule: None,
                reason: format!("no rule matched; first error: {}", e.text),
                line: Some(e.line),
                matched: Some(e.text.clone()),
            },
            // A process that died is never a pass, even when no step reported an error.
            _ if !failed && fatal.is_some() => {
                let (line, text) = fatal.expect("checked");
                Verdict {
                    category: Category::Unknown,
                    rule: None,
                    reason: format!("a test process died: {text}"),
                    line: Some(*line),
                    matched: Some(text.clone()),
                }
            }
            _ if failed => Verdict {
                category: Category::Unknown,
                rule: None,
                reason: "the job reported an error but no error line explains it".into(),
                line: None,
                matched: None,
            },
            _ => Verdict {
                category: Category::Passed,
                rule: None,
                reason: "no failure in the log".into(),
                line: None,
                matched: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_line_rules_have_needles_their_regex_requires() {
        for r in RULES {
            Regex::new(r.pattern).unwrap();
            if r.scope == Scope::Line {
                assert!(!r.needle.is_empty(), "{}", r.id);
            }
        }
        let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
    }
}
