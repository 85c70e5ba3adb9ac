//! Failed tests from pytest, unittest and sglang's suite runner, with the first message.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::scan::{self, Mask};
use crate::text::cut;
use crate::{FailedTest, TestRunner};

/// Characters kept of a failure message.
const MESSAGE_CHARS: usize = 300;
/// Lines after a unittest `FAIL:` header searched for its exception.
const UNITTEST_WINDOW: u32 = 80;

struct Patterns {
    pytest_line: Regex,
    pytest_verbose: Regex,
    unittest: Regex,
    section: Regex,
    e_line: Regex,
    summary: Regex,
    unittest_summary: Regex,
    suite: Regex,
    after: Regex,
    exception: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        pytest_line: Regex::new(
            r"^(FAILED|ERROR) (?:\[[\d.]+s\] )?(\S+?\.py(?:::\S+)?)(?: - (.*))?$",
        )
        .expect("re"),
        pytest_verbose: Regex::new(r"^(\S+?\.py::\S+) (FAILED|ERROR)\b").expect("re"),
        unittest: Regex::new(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)").expect("re"),
        section: Regex::new(
            r"^_{3,} (?:ERROR (?:at (?:setup|teardown) of |collecting ))?(\S+) _{3,}$",
        )
        .expect("re"),
        e_line: Regex::new(r"^E\s+(\S.*)$").expect("re"),
        summary: Regex::new(r"^={3,} (.*\b(?:failed|passed|errors?)\b.*?) ={3,}$").expect("re"),
        unittest_summary: Regex::new(r"^FAILED \((?:failures|errors)=\d+.*\)$").expect("re"),
        suite: Regex::new(r"(?:✗|❌)\s*(FAILED|FAIL|TIMEOUT|TIMED OUT|TIMED_OUT)\b:?\s*(\S+\.py)")
            .expect("re"),
        after: Regex::new(r"\bafter (\d+)\s*s").expect("re"),
        exception: Regex::new(
            r"^(?:[\w.]+(?:Error|Exception|Failure|Interrupt)\b|AssertionError|Failed: Timeout)",
        )
        .expect("re"),
    })
}

/// Collects failed tests line by line.
pub(crate) struct TestCollector {
    tests: Vec<FailedTest>,
    by_id: HashMap<String, usize>,
    summary: Option<String>,
    /// A unittest failure whose message is still to come, and lines left to look.
    unittest_open: Option<(usize, u32)>,
    /// The pytest failure section being read (its test name) and whether its message is set.
    section: Option<String>,
    /// The test file sglang's suite runner is running (from its `python3 <file>` echo), so
    /// a unittest failure reported as `__main__.Class.test` gets its file.
    suite_file: Option<String>,
    max: usize,
}

impl TestCollector {
    /// A collector keeping at most `max` tests.
    pub(crate) fn new(max: usize) -> Self {
        TestCollector {
            tests: Vec::new(),
            by_id: HashMap::new(),
            summary: None,
            unittest_open: None,
            section: None,
            suite_file: None,
            max,
        }
    }

    /// Looks at one cleaned line.
    /// Looks at one cleaned line whose needles are in `mask` (see [`crate::scan`]).
    pub(crate) fn feed(&mut self, line: &[u8], line_no: u64, mask: Mask) {
        let n = scan::needles();
        let first = line[0];
        if let Some((index, left)) = self.unittest_open {
            if left == 0 {
                self.unittest_open = None;
            } else {
                self.unittest_open = Some((index, left - 1));
                if first.is_ascii_alphabetic()
                    && (scan::has_exception_word(line, mask)
                        || (mask & scan::FAILURE != 0 && n.failure.find(line).is_some()))
                {
                    let text = String::from_utf8_lossy(line);
                    if patterns().exception.is_match(&text) {
                        if self.tests[index].message.is_none() {
                            self.tests[index].message = Some(cut(&text, MESSAGE_CHARS));
                            self.tests[index].timed_out |= is_timeout(&text);
                        }
                        self.unittest_open = None;
                    }
                }
            }
        }
        if let Some(section) = self.section.clone() {
            if first.is_ascii_alphabetic() && first != b'E' && scan::has_exception_word(line, mask)
            {
                let text = String::from_utf8_lossy(line);
                if patterns().exception.is_match(&text) {
                    self.attach_section_message(&section, text.trim());
                    self.section = None;
                    return;
                }
            }
        }
        if let Some(path) = line.strip_prefix(b"python3 ") {
            if let Some(file) = suite_script(path) {
                self.suite_file = Some(file);
            }
            return;
        }
        let interesting = matches!(first, b'F' | b'E' | b'_' | b'=')
            || (mask & scan::FAILED != 0 && n.failed.find(line).is_some())
            || (mask & scan::ERROR_WORD != 0 && n.error_caps.find(line).is_some())
            || mask & scan::CROSS != 0;
        if !interesting {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let p = patterns();
        if let Some(c) = p.pytest_line.captures(&text) {
            let id = c[2].to_string();
            let message = c
                .get(3)
                .map(|m| cut(m.as_str().trim(), MESSAGE_CHARS))
                .filter(|m| !m.is_empty());
            self.add(id, TestRunner::Pytest, message, &c[1] == "ERROR", line_no);
        } else if let Some(c) = p.pytest_verbose.captures(&text) {
            self.add(
                c[1].to_string(),
                TestRunner::Pytest,
                None,
                &c[2] == "ERROR",
                line_no,
            );
        } else if let Some(c) = p.unittest.captures(&text) {
            let (name, qualified) = (&c[2], &c[3]);
            // Python ≥ 3.11 prints `test_x (mod.Class.test_x)`, older ones `test_x (mod.Class)`.
            let class_path = qualified
                .strip_suffix(name)
                .and_then(|q| q.strip_suffix('.'))
                .unwrap_or(qualified);
            let (id, runner) = match (class_path.strip_prefix("__main__."), &self.suite_file) {
                (Some(class), Some(file)) => {
                    (format!("{file}::{class}::{name}"), TestRunner::Unittest)
                }
                _ => (format!("{class_path}.{name}"), TestRunner::Unittest),
            };
            let index = self.add(id, runner, None, &c[1] == "ERROR", line_no);
            if let Some(index) = index {
                self.unittest_open = Some((index, UNITTEST_WINDOW));
            }
        } else if let Some(c) = p.section.captures(&text) {
            self.section = Some(c[1].to_string());
        } else if let Some(c) = p.e_line.captures(&text) {
            if let Some(section) = self.section.clone() {
                let message = c[1].trim().to_string();
                if p.exception.is_match(&message) || message.starts_with("assert") {
                    self.attach_section_message(&section, &message);
                    self.section = None;
                }
            }
        } else if let Some(c) = p.summary.captures(&text) {
            // Several sessions in one job: a later clean one must not hide a failing one.
            let summary = c[1].trim().to_string();
            let failing = |s: &str| s.contains("failed") || s.contains("error");
            if failing(&summary) || !self.summary.as_deref().is_some_and(failing) {
                self.summary = Some(summary);
            }
        } else if p.unittest_summary.is_match(&text) {
            self.summary.get_or_insert_with(|| text.trim().to_string());
        } else if let Some(c) = p.suite.captures(&text) {
            let timed_out = c[1].contains("TIME");
            let file = c[2].to_string();
            // A file whose failing tests were already named adds nothing new.
            let named = self
                .tests
                .iter()
                .any(|t| t.runner != TestRunner::Suite && t.file.as_deref() == Some(&file));
            if named {
                return;
            }
            let message = timed_out.then(|| match p.after.captures(&text) {
                Some(a) => format!("timed out after {}s", &a[1]),
                None => "timed out".to_string(),
            });
            if let Some(i) = self.add(file, TestRunner::Suite, message, false, line_no) {
                self.tests[i].timed_out |= timed_out;
            }
        }
    }

    fn attach_section_message(&mut self, section: &str, message: &str) {
        // Section headers name `Class.test` or `test`; ids are `file::Class::test`.
        let wanted = section.replace('.', "::");
        let found = self.tests.iter_mut().rev().find(|t| {
            t.message.is_none() && (t.id.ends_with(&format!("::{wanted}")) || t.name == section)
        });
        if let Some(t) = found {
            t.timed_out |= is_timeout(message);
            t.message = Some(cut(message, MESSAGE_CHARS));
        }
    }

    fn add(
        &mut self,
        id: String,
        runner: TestRunner,
        message: Option<String>,
        error: bool,
        line: u64,
    ) -> Option<usize> {
        if let Some(&i) = self.by_id.get(&id) {
            let t = &mut self.tests[i];
            if t.message.is_none() {
                if let Some(m) = message {
                    t.timed_out |= is_timeout(&m);
                    t.message = Some(m);
                }
            }
            return Some(i);
        }
        if self.tests.len() >= self.max {
            return None;
        }
        let (file, name) = split_id(&id, runner);
        let timed_out = message.as_deref().is_some_and(is_timeout);
        self.by_id.insert(id.clone(), self.tests.len());
        self.tests.push(FailedTest {
            id,
            file,
            name,
            runner,
            message,
            error,
            timed_out,
            line,
        });
        Some(self.tests.len() - 1)
    }

    /// The tests in the order first seen, and the runner's summary line.
    pub(crate) fn finish(self) -> (Vec<FailedTest>, Option<String>) {
        (self.tests, self.summary)
    }
}

/// The test file of a suite runner's `python3 <path>.py` echo, relative to the checkout
/// (`/sglang-checkout/test/registered/x.py` → `test/registered/x.py`).
fn suite_script(path: &[u8]) -> Option<String> {
    let path = std::str::from_utf8(path).ok()?.trim();
    if !path.ends_with(".py") || path.contains(' ') {
        return None;
    }
    Some(match path.find("/test/") {
        Some(i) => path[i + 1..].to_string(),
        None => path.trim_start_matches('/').to_string(),
    })
}

fn is_timeout(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("timeout") || lower.contains("timed out")
}

fn split_id(id: &str, runner: TestRunner) -> (Option<String>, String) {
    // Pytest ids, and unittest failures of a suite file, are `file::Class::test`.
    if runner != TestRunner::Suite {
        if let Some((file, rest)) = id.split_once("::") {
            let name = rest.rsplit("::").next().unwrap_or(rest);
            return (Some(file.to_string()), name.to_string());
        }
    }
    match runner {
        TestRunner::Pytest => (Some(id.to_string()), id.to_string()),
        TestRunner::Unittest => (None, id.rsplit('.').next().unwrap_or(id).to_string()),
        TestRunner::Suite => (
            Some(id.to_string()),
            id.rsplit('/').next().unwrap_or(id).to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(lines: &[&str]) -> (Vec<FailedTest>, Option<String>) {
        let mut c = TestCollector::new(100);
        for (i, l) in lines.iter().enumerate() {
            if !l.is_empty() {
                c.feed(l.as_bytes(), i as u64 + 1, scan::line_mask(l.as_bytes()));
            }
        }
        c.finish()
    }

    #[test]
    fn pytest_failures_with_messages_durations_and_dedupe() {
        let (tests, summary) = collect(&[
            "test/srt/test_a.py::TestA::test_x FAILED [ 50%]",
            "FAILED [310.0221s] distributed/test_c10d.py::TestNN::test_all_gather - RuntimeError: Process 0 terminated or timed out after 310.0 seconds",
            "=========================== short test summary info ============================",
            "FAILED test/srt/test_a.py::TestA::test_x - AssertionError: 0.61 < 0.65",
            "ERROR test/srt/test_b.py - ModuleNotFoundError: No module named 'aiter'",
            "======================== 2 failed, 1 error, 412 passed in 7803.11s ========================",
        ]);
        let ids: Vec<&str> = tests.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "test/srt/test_a.py::TestA::test_x",
                "distributed/test_c10d.py::TestNN::test_all_gather",
                "test/srt/test_b.py"
            ]
        );
        assert_eq!(
            tests[0].message.as_deref(),
            Some("AssertionError: 0.61 < 0.65")
        );
        assert_eq!(tests[0].file.as_deref(), Some("test/srt/test_a.py"));
        assert_eq!(tests[0].name, "test_x");
        assert!(tests[1].timed_out);
        assert!(tests[2].error);
        assert_eq!(
            summary.as_deref(),
            Some("2 failed, 1 error, 412 passed in 7803.11s")
        );
    }

    #[test]
    fn a_later_clean_pytest_session_does_not_hide_the_failing_summary() {
        let (_, summary) = collect(&[
            "======== 10 failed, 39 passed in 0.71s ========",
            "======== 13 passed in 0.09s ========",
            "======== 21 passed in 0.34s ========",
        ]);
        assert_eq!(summary.as_deref(), Some("10 failed, 39 passed in 0.71s"));
        let (_, clean) = collect(&[
            "======== 13 passed in 0.09s ========",
            "======== 21 passed in 0.34s ========",
        ]);
        assert_eq!(clean.as_deref(), Some("21 passed in 0.34s"));
    }

    #[test]
    fn pytest_failure_sections_give_the_first_error_line() {
        let (tests, _) = collect(&[
            "test/srt/test_a.py::TestA::test_x FAILED",
            "___________________________ TestA.test_x ___________________________",
            "    def test_x(self):",
            ">       assert score > 0.65",
            "E       AssertionError: assert 0.61 > 0.65",
            "E       second line ignored",
        ]);
        assert_eq!(
            tests[0].message.as_deref(),
            Some("AssertionError: assert 0.61 > 0.65")
        );
    }

    #[test]
    fn a_traceback_in_a_pytest_section_gives_its_exception() {
        let (tests, _) = collect(&[
            "FAILED test_torch.py::TestTorchDeviceTypeCPU::test_cauchy_kstest_cpu_bfloat16",
            "____________ TestTorchDeviceTypeCPU.test_cauchy_kstest_cpu_bfloat16 ____________",
            "Traceback (most recent call last):",
            "    return gm(*args)",
            "RuntimeError: Subtraction, the `-` operator, with a bool tensor is not supported.",
        ]);
        assert_eq!(
            tests[0].message.as_deref(),
            Some(
                "RuntimeError: Subtraction, the `-` operator, with a bool tensor is not supported."
            )
        );
    }

    #[test]
    fn unittest_failures_take_the_exception_after_the_header() {
        let (tests, summary) = collect(&[
            "FAIL: test_mmlu (test_eval_accuracy_large.TestEvalAccuracyLarge)",
            "----------------------------------------------------------------------",
            "Traceback (most recent call last):",
            "  File \"test_eval_accuracy_large.py\", line 60, in test_mmlu",
            "AssertionError: 0.6123 not greater than or equal to 0.65",
            "ERROR: test_gsm8k (test_eval.TestEval)",
            "torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB",
            "FAILED (failures=1, errors=1)",
        ]);
        assert_eq!(tests.len(), 2);
        assert_eq!(
            tests[0].id,
            "test_eval_accuracy_large.TestEvalAccuracyLarge.test_mmlu"
        );
        assert_eq!(
            tests[0].message.as_deref(),
            Some("AssertionError: 0.6123 not greater than or equal to 0.65")
        );
        assert!(tests[1].error);
        assert!(tests[1]
            .message
            .as_deref()
            .unwrap()
            .starts_with("torch.OutOfMemoryError"));
        assert_eq!(summary.as_deref(), Some("FAILED (failures=1, errors=1)"));
    }

    #[test]
    fn suite_runner_failed_and_timed_out_files() {
        let (tests, _) = collect(&[
            "✗ FAILED: test/registered/amd/test_deepseek_v32_mtp.py (returncode=1)",
            "✗ TIMEOUT: test/registered/lora/test_lora_qwen3.py (after 1800s)",
        ]);
        assert_eq!(tests.len(), 2);
        assert_eq!(tests[0].runner, TestRunner::Suite);
        assert_eq!(tests[0].name, "test_deepseek_v32_mtp.py");
        assert!(!tests[0].timed_out && tests[1].timed_out);
    }
}
