//! The large-log prefilter: what of a job log fits into an LLM prompt.
//!
//! The original's `prefilter_large_step_log`, with its windows and caps,
//! for logs whose lines are under [`MAX_LINE`](crate::linebuf::MAX_LINE) bytes; one change:
//! counters and options such as `0 failed` or `--timeout=` no longer open windows (M-W10 in
//! tests/GUARDS.md at the repository root). A log of at most
//! [`MAX_CHARS`] characters passes unchanged; a larger one keeps its first 100 and last 200
//! lines and a window of 30 lines before and 10 after every keyword line, with a marker for
//! each gap; if that is still too long, its first quarter and its end are kept around a
//! truncation marker. Unlike the original it streams: memory is bounded by the 200-line tail
//! window and the two kept ends, whatever the size of the log.

use std::collections::VecDeque;
use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::linebuf::LineBuffer;

/// Logs up to this many characters are used whole.
pub const MAX_CHARS: usize = 150_000;
const HEAD_LINES: u64 = 100;
const TAIL_LINES: usize = 200;
const BEFORE: usize = 30;
const AFTER: u32 = 10;
/// Characters kept before the final truncation marker (`150000 // 4`).
const FINAL_HEAD: usize = MAX_CHARS / 4;
/// Characters kept after it (`150000 − 37500 − 100`).
const FINAL_TAIL: usize = MAX_CHARS - FINAL_HEAD - 100;
const FINAL_MARKER: &str = "\n\n... [FINAL TRUNCATION — log extremely large] ...\n\n";

fn keywords() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?i)ERROR|FAIL(?:ED)?|Exception|Traceback|assert(?:ion)?.*(?:error|fail)",
            r"|exit\s+code\s+[1-9]|TIMEOUT|OOM|Out\s*[Oo]f\s*[Mm]emory|killed|KILLED",
            r"|[Ss]egmentation\s+fault|segfault|SEGFAULT|FATAL|panic|cannot\s+find",
            r"|No\s+such\s+file|Permission\s+denied|ModuleNotFoundError|ImportError",
            r"|RuntimeError|ConnectionError|FileNotFoundError",
        ))
        .expect("prefilter keywords compile")
    })
}

/// Counters and options that only look like trouble (`0 failed`, `errors=0`, `timeout=600`,
/// `--fail-fast`, `killed 0`). The original matched them, so most big logs hit the final cut
/// and lost the context around the real error (M-W10); here they are blanked before the
/// keyword search, so a line holding only them is not a hit while one with a real error is.
fn benign() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?i)\b0\s+(?:failed|failures?|errors?)\b|\b(?:failed|failures?|errors?)[=:]\s*0\b",
            r"|\btimeout[=:]\s*\S*|--[a-z-]*fail[a-z-]*|--[a-z-]*timeout[a-z-]*|\bkilled\s+0\b",
        ))
        .expect("benign patterns compile")
    })
}

/// Whether a line is worth a context window: a keyword outside the benign look-alikes.
fn is_hit(line: &[u8]) -> bool {
    if !keywords().is_match(line) {
        return false;
    }
    if !benign().is_match(line) {
        return true;
    }
    keywords().is_match(&benign().replace_all(line, &b" "[..]))
}

/// Feeds a log in chunks and returns the prompt text at the end.
#[derive(Debug, Default)]
pub struct Prefilter {
    lines: LineBuffer,
    /// The raw bytes while the log may still be short enough to be used whole (a character
    /// takes at most 4 bytes, so past `4 × MAX_CHARS` bytes it cannot be).
    raw: Option<Vec<u8>>,
    index: u64,
    /// The last lines, each with whether a window keeps it.
    window: VecDeque<(String, bool)>,
    after: u32,
    gap: u64,
    out: Output,
}

impl Prefilter {
    /// A fresh prefilter.
    pub fn new() -> Self {
        Prefilter {
            raw: Some(Vec::new()),
            ..Prefilter::default()
        }
    }

    /// Feeds the next chunk, split anywhere.
    pub fn feed(&mut self, chunk: &[u8]) {
        if let Some(raw) = self.raw.as_mut() {
            if raw.len() + chunk.len() > 4 * MAX_CHARS {
                self.raw = None;
            } else {
                raw.extend_from_slice(chunk);
            }
        }
        let mut lines = std::mem::take(&mut self.lines);
        lines.feed(chunk, &mut |line| self.line(line));
        self.lines = lines;
    }

    /// The text for the prompt.
    pub fn finish(mut self) -> String {
        let mut lines = std::mem::take(&mut self.lines);
        if !lines.finish(&mut |line| self.line(line)) {
            // Splitting on "\n" leaves one last empty line after a final newline.
            self.line(b"");
        }
        if let Some(raw) = self.raw.take() {
            let text = String::from_utf8_lossy(&raw);
            if text.chars().count() <= MAX_CHARS {
                return text.into_owned();
            }
        }
        while let Some((text, _)) = self.window.pop_front() {
            self.flush_gap();
            self.out.push(&text);
        }
        self.flush_gap();
        self.out.finish()
    }

    fn line(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw).into_owned();
        let hit = is_hit(raw);
        let mut keep = self.index < HEAD_LINES;
        if hit {
            keep = true;
            let n = self.window.len();
            for entry in self.window.iter_mut().skip(n.saturating_sub(BEFORE)) {
                entry.1 = true;
            }
            self.after = AFTER;
        } else if self.after > 0 {
            keep = true;
            self.after -= 1;
        }
        self.index += 1;
        self.window.push_back((text, keep));
        if self.window.len() > TAIL_LINES {
            let (text, keep) = self.window.pop_front().expect("window is not empty");
            if keep {
                self.flush_gap();
                self.out.push(&text);
            } else {
                self.gap += 1;
            }
        }
    }

    fn flush_gap(&mut self) {
        if self.gap > 0 {
            self.out
                .push(&format!("\n... [{} lines omitted] ...\n", self.gap));
            self.gap = 0;
        }
    }
}

/// The filtered text joined with "\n": whole while short, else its two kept ends.
#[derive(Debug, Default)]
struct Output {
    whole: Option<String>,
    chars: usize,
    head: String,
    head_chars: usize,
    tail: VecDeque<char>,
    started: bool,
}

impl Output {
    fn push(&mut self, element: &str) {
        if self.started {
            self.append("\n");
        }
        self.started = true;
        self.append(element);
    }

    fn append(&mut self, text: &str) {
        if self.chars == 0 && self.whole.is_none() {
            self.whole = Some(String::new());
        }
        for c in text.chars() {
            self.chars += 1;
            if self.head_chars < FINAL_HEAD {
                self.head.push(c);
                self.head_chars += 1;
            }
            self.tail.push_back(c);
            if self.tail.len() > FINAL_TAIL {
                self.tail.pop_front();
            }
        }
        if self.chars > MAX_CHARS {
            self.whole = None;
        } else if let Some(w) = self.whole.as_mut() {
            w.push_str(text);
        }
    }

    fn finish(self) -> String {
        if self.chars <= MAX_CHARS {
            return self.whole.unwrap_or_default();
        }
        let mut out = self.head;
        out.push_str(FINAL_MARKER);
        out.extend(self.tail);
        out
    }
}

/// The prompt text of a log held in memory.
pub fn prefilter(log: &[u8]) -> String {
    let mut p = Prefilter::new();
    p.feed(log);
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize, width: usize) -> String {
        (0..n)
            .map(|i| format!("{i:0width$}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn g37_a_log_of_exactly_the_limit_is_unchanged() {
        let log = "a".repeat(MAX_CHARS);
        assert_eq!(prefilter(log.as_bytes()), log);
        let lines = format!("{}\n{}", "b".repeat(1000), "c".repeat(MAX_CHARS - 1001));
        assert_eq!(prefilter(lines.as_bytes()), lines);
    }

    #[test]
    fn g37_a_larger_log_keeps_head_tail_and_keyword_windows_with_gap_markers() {
        // 2,000 lines of 99 chars: 200,000 chars, no keyword except at line 1,000.
        let mut lines: Vec<String> = (0..2000).map(|i| format!("{i:099}")).collect();
        lines[1000] = format!("{:092}ERROR x", 0);
        let log = lines.join("\n");
        let out = prefilter(log.as_bytes());
        let expected: Vec<String> = (0..100)
            .map(|i| lines[i].clone())
            .chain(["\n... [870 lines omitted] ...\n".to_string()])
            .chain((970..=1010).map(|i| lines[i].clone()))
            .chain(["\n... [789 lines omitted] ...\n".to_string()])
            .chain((1800..2000).map(|i| lines[i].clone()))
            .collect();
        assert_eq!(out, expected.join("\n"));
    }

    #[test]
    fn g37_a_result_still_too_long_is_cut_around_the_final_marker() {
        // Every line is a keyword line, so every line is kept.
        let log = numbered(20_000, 12).replace('\n', "\nFAILED ");
        let out = prefilter(log.as_bytes());
        let (head, tail) = out.split_once(FINAL_MARKER).expect("final marker");
        assert_eq!(head.chars().count(), FINAL_HEAD);
        assert_eq!(tail.chars().count(), FINAL_TAIL);
        assert!(log.starts_with(head));
        assert!(log.ends_with(tail));
    }

    #[test]
    fn w10_counters_and_options_are_not_keywords_but_real_errors_next_to_them_are() {
        for quiet in [
            "== 12 passed, 0 failed in 3.2s ==",
            "errors=0 warnings=3",
            "python run_suite.py --timeout=1800 --fail-fast",
            "collected 40 items / 0 errors",
            "killed 0 processes",
            "timeout: 600",
        ] {
            assert!(!is_hit(quiet.as_bytes()), "{quiet}");
        }
        for loud in [
            "FAILED test/a.py::test_x - timeout=30 exceeded",
            "RuntimeError: HIP error: an illegal memory access",
            "1 failed, 0 errors",
            "Process killed by OOM killer",
            "##[error]Process completed with exit code 1.",
        ] {
            assert!(is_hit(loud.as_bytes()), "{loud}");
        }
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let mut lines: Vec<String> = (0..3000)
            .map(|i| format!("line {i} {}", "x".repeat(60)))
            .collect();
        lines[1500] = "Traceback (most recent call last):".into();
        let log = lines.join("\n");
        let whole = prefilter(log.as_bytes());
        let mut p = Prefilter::new();
        for chunk in log.as_bytes().chunks(777) {
            p.feed(chunk);
        }
        assert_eq!(p.finish(), whole);
    }
}
