//! Failed tests from pytest, unittest, sglang's suite runner (`run_suite.py`) and PyTorch's
//! `run_test.py`, each once under its canonical id, with the first message; files that passed
//! on retry apart as flaky; the test a dying process was running, as crashed.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use memchr::memmem;
use regex::Regex;

use crate::canonical::{canonical_file, parse_test_id};
use crate::scan::{self, Mask};
use crate::text::cut;
use crate::{FailedTest, TestRunner};

/// Characters kept of a failure message.
const MESSAGE_CHARS: usize = 300;
/// Lines after a unittest `FAIL:` header searched for its exception.
const UNITTEST_WINDOW: u32 = 80;
/// Suite files whose attempts are tracked (a bound, like every other cap of the engine).
const MAX_FILES: usize = 2000;

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

/// The patterns of run_suite's and run_test.py's own lines, compiled only when a log has one
/// (a log without them pays nothing for them).
struct RunnerPatterns {
    exit_code: Regex,
    consistently: Regex,
    quoted: Regex,
    shard_failed: Regex,
    retry_attempt: Regex,
    passed_on_retry: Regex,
    run_summary: Regex,
    retries: Regex,
    list_entry: Regex,
    verbose_test: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        pytest_line: Regex::new(
            r"^(FAILED|ERROR) (?:\[[\d.]+s\] )?(\S+?\.py(?:::\S+)?)(?: - (.*))?$",
        )
        .expect("re"),
        pytest_verbose: Regex::new(r"^(\S+?\.py::\S+) (FAILED|ERROR)\b").expect("re"),
        unittest: Regex::new(r"^(FAIL|ERROR): (\w+ \([\w.]+\))").expect("re"),
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

fn runner_patterns() -> &'static RunnerPatterns {
    static P: OnceLock<RunnerPatterns> = OnceLock::new();
    P.get_or_init(|| RunnerPatterns {
        exit_code: Regex::new(r"exit code (-?\d+)").expect("re"),
        consistently: Regex::new(r"^FAILED CONSISTENTLY: (\S+)").expect("re"),
        quoted: Regex::new(r"'([^']+)'").expect("re"),
        shard_failed: Regex::new(r"^(\S+) (\d+)/(\d+) failed!(?:\s*Received signal: (\w+))?")
            .expect("re"),
        retry_attempt: Regex::new(r"^\[CI Retry\] Attempt (\d+)/\d+ for (\S+\.py)").expect("re"),
        passed_on_retry: Regex::new(r"^✓ PASSED on retry \(attempt (\d+)\): (\S+\.py)")
            .expect("re"),
        run_summary: Regex::new(r"^Test Summary: (\d+)/(\d+) passed").expect("re"),
        retries: Regex::new(r"^Retries: (\d+) test\(s\) were retried").expect("re"),
        list_entry: Regex::new(r"^(\S+\.py)(?: \(([^)]*)\))?$").expect("re"),
        verbose_test: Regex::new(r"^(test\w* \([\w.]+\)) \.\.\.").expect("re"),
    })
}

/// Which closing list of `run_suite.py` is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Passed,
    Failed,
    Retried,
}

/// What the suite runner said about one file.
#[derive(Debug, Default, Clone)]
struct FileState {
    /// Attempts announced (`[CI Retry] Attempt k/n`), 1 when never retried.
    attempts: u32,
    /// `✓ PASSED on retry`, or `passed` in the RETRIED list.
    passed_on_retry: bool,
    /// In the RETRIED list as `failed` or `timeout`.
    retried_and_failed: bool,
    /// A `Begin` banner named it (it ran, in this window).
    started: bool,
    /// Its last attempt reached its `End` banner.
    ended: bool,
    /// Failed in some way (a line or a list said so).
    failed: bool,
    /// Line ranges of its attempts (Begin..End), for evidence of a flaky file.
    ranges: Vec<(u64, u64)>,
}

/// Attempts whose line ranges are kept per file; later ones widen the last range.
const MAX_RANGES: usize = 16;

impl FileState {
    /// Records an attempt's lines, within [`MAX_RANGES`] (a log repeating one file forever
    /// must not grow memory).
    fn add_range(&mut self, from: u64, to: u64) {
        let full = self.ranges.len() >= MAX_RANGES;
        match self.ranges.last_mut() {
            Some(last) if full => last.1 = last.1.max(to),
            _ => self.ranges.push((from, to)),
        }
    }
}

/// What the collector hands back.
pub(crate) struct Collected {
    pub tests: Vec<FailedTest>,
    pub flaky: Vec<FailedTest>,
    pub summary: Option<String>,
    /// The first line saying a test process died, if any.
    pub fatal: Option<(u64, String)>,
    /// Line ranges of the attempts of files that passed on retry (not the job's failure).
    pub flaky_ranges: Vec<(u64, u64)>,
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
    /// The test file sglang's suite runner is running (from its `python3 <file>` echo,
    /// canonical), so a unittest failure reported as `__main__.Class.test` gets its file.
    suite_file: Option<String>,
    /// The test the log last announced (verbose unittest line, `[Test Method]` marker).
    running: Option<String>,
    files: HashMap<String, FileState>,
    list: Option<List>,
    /// `Test Summary: P/T passed` of run_suite.
    run_counts: Option<(u32, u32)>,
    retries: Option<u32>,
    /// The window holds the run's first `Begin (0/…)` banner, so every file that ran is seen.
    first_banner: bool,
    fatal: Option<(u64, String)>,
    /// PyTorch's "failed and then succeeded" ids (canonical).
    flaky_ids: Vec<(String, u64)>,
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
            running: None,
            files: HashMap::new(),
            list: None,
            run_counts: None,
            retries: None,
            first_banner: false,
            fatal: None,
            flaky_ids: Vec::new(),
            max,
        }
    }

    fn file_state(&mut self, file: &str) -> Option<&mut FileState> {
        if !self.files.contains_key(file) && self.files.len() >= MAX_FILES {
            return None;
        }
        Some(
            self.files
                .entry(file.to_string())
                .or_insert_with(|| FileState {
                    attempts: 1,
                    ..FileState::default()
                }),
        )
    }

    /// Looks at one cleaned line whose needles are in `mask` (see [`crate::scan`]).
    #[inline]
    pub(crate) fn feed(&mut self, line: &[u8], line_no: u64, mask: Mask) {
        // Almost every line of a real log is none of ours: a few byte checks send it back
        // before any of the runner-specific work.
        let first = line[0];
        let plain = mask == 0
            && self.unittest_open.is_none()
            && self.section.is_none()
            && self.list.is_none()
            && match FIRST_BYTE[first as usize] {
                OURS => false,
                MAYBE => match first {
                    b'[' => !matches!(line.get(1), Some(b'T' | b'C')),
                    _ => line.get(4) != Some(&b'_') || !looks_like_unittest_header(line),
                },
                _ => true,
            }
            && !line.ends_with(b" failed!");
        if !plain {
            self.feed_line(line, line_no, mask);
        }
    }

    #[inline(never)]
    fn feed_line(&mut self, line: &[u8], line_no: u64, mask: Mask) {
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
        if mask & scan::CRASH != 0 {
            self.crash_line(line, line_no);
        }
        if self.list.is_some() && self.list_line(line, line_no) {
            return;
        }
        match first {
            b'p' => {
                if let Some(path) = line.strip_prefix(b"python3 ") {
                    if let Some(file) = suite_script(path) {
                        if let Some(state) = self.file_state(&file) {
                            state.started = true;
                            state.ended = false;
                            state.add_range(line_no, line_no);
                        }
                        self.suite_file = Some(file);
                        self.running = None;
                    }
                    return;
                }
            }
            b'B' if line.starts_with(b"Begin (0/") => {
                self.first_banner = true;
                return;
            }
            b'E' if line.starts_with(b"End (") => {
                if let Some(file) = self.suite_file.clone() {
                    if let Some(state) = self.files.get_mut(&file) {
                        state.ended = true;
                        if let Some(range) = state.ranges.last_mut() {
                            range.1 = line_no;
                        }
                    }
                }
                return;
            }
            b't' if looks_like_unittest_header(line) => {
                let text = String::from_utf8_lossy(line);
                if let Some(c) = runner_patterns().verbose_test.captures(&text) {
                    self.running = Some(c[1].to_string());
                    return;
                }
            }
            b'[' => {
                if let Some(name) = line.strip_prefix(b"[Test Method] ") {
                    self.running = Some(String::from_utf8_lossy(name).trim().to_string());
                    return;
                }
                if line.starts_with(b"[CI Retry] Attempt ") {
                    let text = String::from_utf8_lossy(line);
                    if let Some(c) = runner_patterns().retry_attempt.captures(&text) {
                        let k: u32 = c[1].parse().unwrap_or(1);
                        let file = canonical_file(&c[2]);
                        if let Some(state) = self.file_state(&file) {
                            state.attempts = state.attempts.max(k);
                        }
                    }
                    return;
                }
            }
            b'T' => {
                if line.starts_with(b"Test Summary: ") {
                    let text = String::from_utf8_lossy(line);
                    if let Some(c) = runner_patterns().run_summary.captures(&text) {
                        self.run_counts =
                            Some((c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0)));
                    }
                    return;
                }
                if line.starts_with(b"The following tests failed") {
                    self.pytorch_list(line, line_no);
                    return;
                }
            }
            b'R' if line.starts_with(b"Retries: ") => {
                let text = String::from_utf8_lossy(line);
                if let Some(c) = runner_patterns().retries.captures(&text) {
                    self.retries = c[1].parse().ok();
                }
                return;
            }
            _ => {}
        }
        if line.starts_with("✓ ".as_bytes()) {
            self.check_mark(line, line_no);
            return;
        }
        if line.starts_with("↻ RETRIED:".as_bytes()) {
            self.list = Some(List::Retried);
            return;
        }
        if line.ends_with(b" failed!")
            || (mask & scan::CRASH != 0 && memmem::find(line, b" failed! ").is_some())
        {
            self.shard_failed(line, line_no);
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
        let consistently = line
            .starts_with(b"FAILED CONSISTENTLY: ")
            .then(|| runner_patterns().consistently.captures(&text))
            .flatten();
        if let Some(c) = consistently {
            self.add(&c[1], TestRunner::Pytest, None, false, line_no);
        } else if let Some(c) = p.pytest_line.captures(&text) {
            let message = c
                .get(3)
                .map(|m| cut(m.as_str().trim(), MESSAGE_CHARS))
                .filter(|m| !m.is_empty());
            self.add(
                &c[2],
                TestRunner::Pytest,
                message,
                &c[1] == "ERROR",
                line_no,
            );
        } else if let Some(c) = p.pytest_verbose.captures(&text) {
            self.add(&c[1], TestRunner::Pytest, None, &c[2] == "ERROR", line_no);
        } else if let Some(c) = p.unittest.captures(&text) {
            let index = self.add(&c[2], TestRunner::Unittest, None, &c[1] == "ERROR", line_no);
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
            let file = canonical_file(&c[2]);
            let message = file_failure_message(&text, timed_out);
            self.file_failed(&file, message, timed_out, line_no);
        } else if line == "✗ FAILED:".as_bytes() {
            self.list = Some(List::Failed);
        }
    }

    /// A file-level failure of the suite runner (its line or its closing list).
    fn file_failed(&mut self, file: &str, message: Option<String>, timed_out: bool, line: u64) {
        if let Some(state) = self.file_state(file) {
            state.failed = true;
        }
        let crashed = message.as_deref().is_some_and(|m| m.starts_with("crashed"));
        if crashed {
            // The process died: the test it was running is the one to name.
            if let Some(running) = self.running.take() {
                let known = self.suite_file.clone().filter(|f| f == file);
                if known.is_some() {
                    let id = parse_test_id(&running, known.as_deref()).render();
                    if !self.by_id.contains_key(&id) {
                        if let Some(i) = self.add_with(
                            &running,
                            known.as_deref(),
                            TestRunner::Unittest,
                            message.clone(),
                            false,
                            line,
                        ) {
                            self.tests[i].crashed = true;
                        }
                    }
                }
            }
        }
        if let Some(i) = self.add_with(file, None, TestRunner::Suite, message, false, line) {
            self.tests[i].timed_out |= timed_out;
            self.tests[i].crashed |= crashed;
        }
    }

    /// `Memory access fault by GPU`, `Fatal Python error`, a segfault, a kill: the running
    /// test (or file) died with this line as its error.
    fn crash_line(&mut self, line: &[u8], line_no: u64) {
        if !scan::is_crash(line) {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let message = cut(text.trim(), MESSAGE_CHARS);
        if self.fatal.is_none() {
            self.fatal = Some((line_no, message.clone()));
        }
        // The step's own exit annotation comes after the run: it names no running test.
        if memmem::find(line, b"Process completed").is_some() {
            return;
        }
        let Some(file) = self.suite_file.clone() else {
            return;
        };
        match self.running.take() {
            Some(running) => {
                if let Some(i) = self.add_with(
                    &running,
                    Some(&file),
                    TestRunner::Unittest,
                    Some(message),
                    false,
                    line_no,
                ) {
                    self.tests[i].crashed = true;
                }
            }
            None => {
                if let Some(i) = self.add_with(
                    &file,
                    None,
                    TestRunner::Suite,
                    Some(message),
                    false,
                    line_no,
                ) {
                    self.tests[i].crashed = true;
                }
            }
        }
    }

    /// `✓ PASSED on retry (attempt k): <path>` or the `✓ PASSED:` list header.
    fn check_mark(&mut self, line: &[u8], line_no: u64) {
        let text = String::from_utf8_lossy(line);
        if let Some(c) = runner_patterns().passed_on_retry.captures(&text) {
            let k: u32 = c[1].parse().unwrap_or(2);
            let file = canonical_file(&c[2]);
            if let Some(state) = self.file_state(&file) {
                state.passed_on_retry = true;
                state.attempts = state.attempts.max(k);
                // The retry notices between its attempts belong to the flaky file too.
                let from = state.ranges.first().map_or(line_no, |r| r.0);
                state.add_range(from, line_no);
            }
        } else if text.trim() == "✓ PASSED:" {
            self.list = Some(List::Passed);
        }
    }

    /// An entry of a closing list; false (and the list closed) on any other line.
    fn list_line(&mut self, line: &[u8], line_no: u64) -> bool {
        let text = String::from_utf8_lossy(line);
        let Some(c) = runner_patterns().list_entry.captures(text.trim()) else {
            self.list = None;
            return false;
        };
        let file = canonical_file(&c[1]);
        let note = c.get(2).map_or("", |m| m.as_str()).to_string();
        match self.list {
            // Passing files need no row; the list is read so it ends where it should.
            Some(List::Passed) => {}
            Some(List::Failed) => {
                let timed_out = note.starts_with("timeout");
                let message = file_failure_message(&note, timed_out);
                self.file_failed(&file, message, timed_out, line_no);
            }
            Some(List::Retried) => {
                let attempts: u32 = note
                    .split_whitespace()
                    .next()
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(2);
                if let Some(state) = self.file_state(&file) {
                    state.attempts = state.attempts.max(attempts);
                    if note.ends_with("passed") {
                        state.passed_on_retry = true;
                        if state.ranges.is_empty() {
                            state.add_range(line_no, line_no);
                        }
                    } else {
                        state.retried_and_failed = true;
                    }
                }
            }
            None => {}
        }
        true
    }

    /// PyTorch's `The following tests failed consistently: [...]` and
    /// `… failed and then succeeded when run in a new process[...]`.
    fn pytorch_list(&mut self, line: &[u8], line_no: u64) {
        let text = String::from_utf8_lossy(line);
        let flaky = text.contains("and then succeeded");
        let ids: Vec<String> = runner_patterns()
            .quoted
            .captures_iter(&text)
            .map(|c| c[1].to_string())
            .collect();
        for id in ids {
            if flaky {
                let id = parse_test_id(&id, None).render();
                if !self.flaky_ids.iter().any(|(f, _)| f == &id) && self.flaky_ids.len() < self.max
                {
                    self.flaky_ids.push((id, line_no));
                }
            } else {
                self.add(&id, TestRunner::Pytest, None, false, line_no);
            }
        }
    }

    /// PyTorch's `<test file> <shard>/<n> failed!` (optionally ` Received signal: SIGBUS`).
    fn shard_failed(&mut self, line: &[u8], line_no: u64) {
        let text = String::from_utf8_lossy(line);
        let Some(c) = runner_patterns().shard_failed.captures(&text) else {
            return;
        };
        let file = if c[1].ends_with(".py") {
            c[1].to_string()
        } else {
            format!("{}.py", &c[1])
        };
        let (message, crashed) = match c.get(4) {
            Some(signal) => (
                format!(
                    "crashed: shard {}/{} received {}",
                    &c[2],
                    &c[3],
                    signal.as_str()
                ),
                true,
            ),
            None => (format!("shard {}/{} failed", &c[2], &c[3]), false),
        };
        if let Some(i) = self.add_with(
            &file,
            None,
            TestRunner::Suite,
            Some(message),
            false,
            line_no,
        ) {
            self.tests[i].crashed |= crashed;
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
        raw: &str,
        runner: TestRunner,
        message: Option<String>,
        error: bool,
        line: u64,
    ) -> Option<usize> {
        let known = self.suite_file.clone();
        self.add_with(raw, known.as_deref(), runner, message, error, line)
    }

    fn add_with(
        &mut self,
        raw: &str,
        known: Option<&str>,
        runner: TestRunner,
        message: Option<String>,
        error: bool,
        line: u64,
    ) -> Option<usize> {
        let parsed = parse_test_id(raw, known);
        let id = parsed.render();
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
        let file_level = parsed.method.is_none() && parsed.class.is_none();
        let name = match (&parsed.method, &parsed.file) {
            (Some(m), _) => m.clone(),
            (None, _) if file_level => FILE_LEVEL.to_string(),
            (None, _) => parsed.class.clone().unwrap_or_default(),
        };
        let timed_out = message.as_deref().is_some_and(is_timeout);
        self.by_id.insert(id.clone(), self.tests.len());
        self.tests.push(FailedTest {
            id,
            file: parsed.file,
            name,
            runner: if file_level {
                TestRunner::Suite
            } else {
                runner
            },
            message,
            error,
            timed_out,
            crashed: false,
            retried: false,
            line,
        });
        Some(self.tests.len() - 1)
    }

    /// The tests in the order first seen, the flaky ones apart, and the run's summary line.
    pub(crate) fn finish(mut self) -> Collected {
        // A bare `x.py` of a row is the known file it ends with, when exactly one does.
        let known: Vec<String> = self.files.keys().cloned().collect();
        for t in &mut self.tests {
            let Some(file) = t.file.clone() else { continue };
            if file.contains('/') {
                continue;
            }
            let mut matches = known.iter().filter(|k| k.ends_with(&format!("/{file}")));
            if let (Some(full), None) = (matches.next(), matches.next()) {
                t.id = format!("{full}{}", &t.id[file.len()..]);
                t.file = Some(full.clone());
            }
        }
        // One row per canonical id (the first), no file row where tests of the file are named.
        let mut seen = HashSet::new();
        self.tests.retain(|t| seen.insert(t.id.clone()));
        let files_with_tests: HashSet<String> = self
            .tests
            .iter()
            .filter(|t| t.runner != TestRunner::Suite)
            .filter_map(|t| t.file.clone())
            .collect();
        // A file-level row whose file has named tests lends them its timeout or crash.
        let file_rows: Vec<FailedTest> = self
            .tests
            .iter()
            .filter(|t| t.runner == TestRunner::Suite && (t.timed_out || t.crashed))
            .filter(|t| {
                t.file
                    .as_ref()
                    .is_some_and(|f| files_with_tests.contains(f))
            })
            .cloned()
            .collect();
        for row in &file_rows {
            for t in self
                .tests
                .iter_mut()
                .filter(|t| t.runner != TestRunner::Suite && t.file == row.file)
            {
                if t.message.is_none() {
                    t.timed_out |= row.timed_out;
                    t.crashed |= row.crashed;
                    t.message = row.message.clone();
                }
            }
        }
        self.tests.retain(|t| {
            t.runner != TestRunner::Suite
                || !t
                    .file
                    .as_ref()
                    .is_some_and(|f| files_with_tests.contains(f))
        });
        // Files that passed on retry are flaky; files that failed every attempt are retried.
        let mut flaky = Vec::new();
        let mut flaky_ranges = Vec::new();
        let mut kept = Vec::new();
        for mut t in std::mem::take(&mut self.tests) {
            let state = t.file.as_ref().and_then(|f| self.files.get(f));
            let is_flaky = state.is_some_and(|s| s.passed_on_retry)
                || self.flaky_ids.iter().any(|(f, _)| f == &t.id);
            if is_flaky {
                flaky.push(t);
                continue;
            }
            t.retried |= state.is_some_and(|s| s.attempts > 1 || s.retried_and_failed);
            kept.push(t);
        }
        for (file, state) in &self.files {
            if state.passed_on_retry {
                flaky_ranges.extend(state.ranges.iter().copied());
                if !flaky.iter().any(|t| t.file.as_deref() == Some(file)) {
                    flaky.push(FailedTest {
                        id: file.clone(),
                        file: Some(file.clone()),
                        name: FILE_LEVEL.to_string(),
                        runner: TestRunner::Suite,
                        message: Some(format!("passed on retry ({} attempts)", state.attempts)),
                        error: false,
                        timed_out: false,
                        crashed: false,
                        retried: true,
                        line: state.ranges.first().map_or(0, |r| r.0),
                    });
                }
            }
        }
        for (id, line) in &self.flaky_ids {
            if !flaky.iter().any(|t| &t.id == id) {
                let parsed = parse_test_id(id, None);
                flaky.push(FailedTest {
                    id: id.clone(),
                    name: parsed
                        .method
                        .clone()
                        .unwrap_or_else(|| FILE_LEVEL.to_string()),
                    file: parsed.file,
                    runner: TestRunner::Pytest,
                    message: None,
                    error: false,
                    timed_out: false,
                    crashed: false,
                    retried: true,
                    line: *line,
                });
            }
        }
        flaky.sort_by_key(|t| t.line);
        // Rows from the closing list have no line of their own: they come last, in list order.
        let started = self.files.values().filter(|s| s.started).count() as u32;
        let summary = match self.run_counts {
            Some((passed, total)) => Some(self.run_line(passed, total, &kept)),
            // The closing summary is gone but the banners are here: one file's own
            // `FAILED (failures=1)` is not the run's line; count the files that ran.
            None if started > 0 => Some(self.banner_line(started, &kept)),
            None => self.summary,
        };
        Collected {
            tests: kept,
            flaky,
            summary,
            fatal: self.fatal,
            flaky_ranges,
        }
    }

    /// `P/N files run passed, F failed; R retried`, from the Begin banners alone.
    fn banner_line(&self, started: u32, failed_rows: &[FailedTest]) -> String {
        let failed = self
            .files
            .iter()
            .filter(|(f, s)| {
                s.started
                    && !s.passed_on_retry
                    && (s.failed || failed_rows.iter().any(|t| t.file.as_deref() == Some(f)))
            })
            .count() as u32;
        let retried = self.files.values().filter(|s| s.attempts > 1).count();
        // A file the log leaves running (the job died or the window ends) did not pass.
        let unfinished = self
            .files
            .values()
            .filter(|s| s.started && !s.ended && !s.failed)
            .count() as u32;
        let passed = started.saturating_sub(failed + unfinished);
        let mut line = format!("{passed}/{started} files run passed, {failed} failed");
        if unfinished > 0 {
            line.push_str(&format!(", {unfinished} unfinished"));
        }
        line.push_str(" (no closing Test Summary in the log)");
        if retried > 0 {
            line.push_str(&format!("; {retried} retried"));
        }
        line
    }

    /// `Test Summary: P/T files passed, F failed, N not run; R retried`.
    fn run_line(&self, passed: u32, total: u32, failed_rows: &[FailedTest]) -> String {
        let failed_files: HashSet<&str> = failed_rows
            .iter()
            .filter_map(|t| t.file.as_deref())
            .chain(
                self.files
                    .iter()
                    .filter(|(_, s)| s.failed && !s.passed_on_retry)
                    .map(|(f, _)| f.as_str()),
            )
            .collect();
        let failed = failed_files.len() as u32;
        // With every banner in the window (it holds the first), a file counts as passed only
        // if it ran; a window that lost the first files trusts the runner's count.
        let passed = if self.first_banner {
            let ran_and_passed = self
                .files
                .iter()
                .filter(|(f, s)| s.started && s.ended && !failed_files.contains(f.as_str()))
                .count() as u32;
            passed.min(ran_and_passed)
        } else {
            passed
        };
        let not_run = total.saturating_sub(passed + failed);
        let mut line = format!("Test Summary: {passed}/{total} files passed");
        if failed > 0 {
            line.push_str(&format!(", {failed} failed"));
        }
        if not_run > 0 {
            line.push_str(&format!(", {not_run} not run"));
        }
        if let Some(r) = self.retries.filter(|&r| r > 0) {
            line.push_str(&format!("; {r} retried"));
        }
        line
    }
}

/// The `name` of a row that stands for a whole file (no test of it is known).
pub(crate) const FILE_LEVEL: &str = "(whole file)";

/// [`FIRST_BYTE`]: a line starting so is one of ours, or may be (a second look decides).
const OURS: u8 = 1;
const MAYBE: u8 = 2;

/// What a line's first byte says about it, in one load (most lines start with none of these).
static FIRST_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let ours = b"pBEFTR_=";
    let mut i = 0;
    while i < ours.len() {
        t[ours[i] as usize] = OURS;
        i += 1;
    }
    t[0xE2] = OURS; // ✓, ↻ (✗ has its own mask bit)
    t[b'[' as usize] = MAYBE; // [CI Retry], [Test Method]
    t[b't' as usize] = MAYBE; // unittest's verbose `test_x (…) ...`
    t
};

/// Whether a line starts `word (`, as unittest's verbose `test_x (module.Class.test_x) ...`
/// does; a byte check first, so the many `test/…` lines of pytest output cost no regex.
fn looks_like_unittest_header(line: &[u8]) -> bool {
    let word = line
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    word > 4 && line.starts_with(b"test") && line[word..].starts_with(b" (")
}

/// Why run_suite says a file failed, from its `✗ FAILED:`/`✗ TIMEOUT:` line or its closing
/// list entry: the timeout's duration, or what the exit code says.
fn file_failure_message(text: &str, timed_out: bool) -> Option<String> {
    if timed_out {
        return Some(match patterns().after.captures(text) {
            Some(a) => format!("timed out after {}s", &a[1]),
            None => "timed out".to_string(),
        });
    }
    runner_patterns()
        .exit_code
        .captures(text)
        .map(|e| exit_message(&e[1]))
}

/// What an exit code says: 137 and 134 (and negative signals) are a dead process.
fn exit_message(code: &str) -> String {
    match code {
        "137" | "-9" => "crashed: exit code 137 (killed)".to_string(),
        "134" | "-6" => "crashed: exit code 134 (aborted)".to_string(),
        "139" | "-11" => "crashed: exit code 139 (segmentation fault)".to_string(),
        other => format!("exit code {other}"),
    }
}

/// The test file of a suite runner's `python3 <path>.py` echo, relative to sglang's `test/`
/// (`/sglang-checkout/test/registered/x.py` → `registered/x.py`).
fn suite_script(path: &[u8]) -> Option<String> {
    let path = std::str::from_utf8(path).ok()?.trim();
    if !path.ends_with(".py") || path.contains(' ') {
        return None;
    }
    Some(canonical_file(path))
}

fn is_timeout(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("timeout") || lower.contains("timed out")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_all(lines: &[&str]) -> Collected {
        let mut c = TestCollector::new(100);
        for (i, l) in lines.iter().enumerate() {
            let l = l.trim();
            if !l.is_empty() {
                c.feed(l.as_bytes(), i as u64 + 1, scan::line_mask(l.as_bytes()));
            }
        }
        c.finish()
    }

    fn collect(lines: &[&str]) -> (Vec<FailedTest>, Option<String>) {
        let c = collect_all(lines);
        (c.tests, c.summary)
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
                "srt/test_a.py::TestA::test_x",
                "distributed/test_c10d.py::TestNN::test_all_gather",
                "srt/test_b.py"
            ]
        );
        assert_eq!(
            tests[0].message.as_deref(),
            Some("AssertionError: 0.61 < 0.65")
        );
        assert_eq!(tests[0].file.as_deref(), Some("srt/test_a.py"));
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
            "test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu"
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
        assert_eq!(tests[0].name, FILE_LEVEL);
        assert_eq!(tests[0].id, "registered/amd/test_deepseek_v32_mtp.py");
        assert!(!tests[0].timed_out && tests[1].timed_out);
    }

    #[test]
    fn a_file_that_passed_on_retry_is_flaky_with_its_first_failure() {
        let c = collect_all(&[
            "Begin (0/1):",
            "python3 /ck/test/registered/test_a.py",
            "FAIL: test_x (__main__.TestA.test_x)",
            "AssertionError: 1 != 2",
            "End (0/1):",
            "[CI Retry] Attempt 2/2 for registered/test_a.py",
            "Begin (0/1):",
            "python3 /ck/test/registered/test_a.py",
            "OK",
            "End (0/1):",
            "✓ PASSED on retry (attempt 2): registered/test_a.py",
        ]);
        assert!(c.tests.is_empty(), "{:?}", c.tests);
        assert_eq!(c.flaky.len(), 1);
        assert_eq!(c.flaky[0].id, "registered/test_a.py::TestA::test_x");
        assert_eq!(
            c.flaky[0].message.as_deref(),
            Some("AssertionError: 1 != 2")
        );
        assert_eq!(c.flaky_ranges.first().map(|r| r.0), Some(2));
    }

    #[test]
    fn a_dying_process_names_the_running_test_as_crashed() {
        let c = collect_all(&[
            "python3 /ck/test/registered/test_b.py",
            "test_y (__main__.TestB.test_y) ... ",
            "Fatal Python error: Segmentation fault",
            "✗ FAILED: registered/test_b.py returned exit code 139",
        ]);
        assert_eq!(c.tests.len(), 1, "{:?}", c.tests);
        assert_eq!(c.tests[0].id, "registered/test_b.py::TestB::test_y");
        assert!(c.tests[0].crashed);
        assert_eq!(
            c.tests[0].message.as_deref(),
            Some("Fatal Python error: Segmentation fault")
        );
        assert_eq!(c.fatal.map(|f| f.0), Some(3));
        assert_eq!(
            c.summary.as_deref(),
            Some("0/1 files run passed, 1 failed (no closing Test Summary in the log)")
        );
    }

    #[test]
    fn a_file_failing_every_attempt_is_retried_and_its_file_row_dropped() {
        let c = collect_all(&[
            "python3 /ck/test/registered/test_c.py",
            "FAIL: test_z (__main__.TestC)",
            "AssertionError: no",
            "[CI Retry] Attempt 2/2 for registered/test_c.py",
            "python3 /ck/test/registered/test_c.py",
            "FAIL: test_z (__main__.TestC)",
            "AssertionError: no",
            "✗ FAILED: registered/test_c.py returned exit code 1",
        ]);
        assert_eq!(c.tests.len(), 1, "{:?}", c.tests);
        assert!(c.tests[0].retried);
        assert_eq!(c.tests[0].name, "test_z");
    }

    #[test]
    fn a_file_run_over_and_over_keeps_bounded_line_ranges() {
        let mut c = TestCollector::new(10);
        for i in 0..1000u64 {
            let line = b"python3 /ck/test/registered/test_d.py";
            c.feed(line, i + 1, scan::line_mask(line));
        }
        assert_eq!(c.files["registered/test_d.py"].ranges.len(), MAX_RANGES);
    }

    #[test]
    fn files_not_reached_are_not_run_but_a_window_missing_the_first_files_trusts_the_count() {
        let run = |first: &str| {
            collect(&[
                first,
                "python3 /ck/test/registered/test_e.py",
                "FAIL: test_q (__main__.TestE)",
                "AssertionError: no",
                "End (1/3):",
                "✗ FAILED: registered/test_e.py returned exit code 1",
                "Test Summary: 3/4 passed",
            ])
            .1
        };
        assert_eq!(
            run("Begin (0/3):").as_deref(),
            Some("Test Summary: 0/4 files passed, 1 failed, 3 not run")
        );
        assert_eq!(
            run("Begin (1/3):").as_deref(),
            Some("Test Summary: 3/4 files passed, 1 failed")
        );
    }
}
