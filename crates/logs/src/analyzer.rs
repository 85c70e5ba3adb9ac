//! The streaming analyser: one pass over the lines, bounded state per open step.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::OnceLock;

use regex::Regex;

use crate::classify::{Classifier, LineRules};
use crate::linebuf::{LineBuffer, MAX_LINE};
use crate::scan::{self, ChunkHits, Mask};
use crate::tests_parse::TestCollector;
use crate::text::{cut, timestamp_len, timestamp_secs, trim};
use crate::{Evidence, EvidenceSource, LogAnalysis, Options, RunSection, Step, SCHEMA_VERSION};

/// Characters kept of an evidence line.
const PREVIEW_CHARS: usize = 200;
/// Steps recorded one by one; later ones are folded into the last (a job printing
/// thousands of `::group::` blocks must not grow memory without bound).
const MAX_STEPS: usize = 1000;
const FOLDED: &str = "(later steps, folded)";
/// `##[error]` annotations whose preceding lines are kept as context.
const CONTEXT_ERRORS: usize = 5;
/// Lines the tail fallback looks back over (and the context kept before an annotation).
const TAIL_LINES: usize = 5;
const EXIT_CODE_NOISE: &[u8] = b"Process completed with exit code";
/// `##[group]Run …` sections recorded (a bound on memory; GitHub caps a job at 1,000 steps).
const MAX_RUN_SECTIONS: usize = 1000;
/// The first line the runner writes for a post step and for "Complete job": no step's output
/// of its own, so they end the `Run` section before them.
const STEP_CLOSERS: &[&[u8]] = &[b"Post job cleanup.", b"Cleaning up orphan processes"];

fn exception_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\w+(?:Error|Exception)\b\s*:.+").expect("exception regex"))
}

fn boundary_re() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::bytes::Regex::new(r"^(?:FAILED\b|OK$|Ran \d+ tests? in |=== SUITE RESULT|={3,} \d+ (?:failed|passed)|={3,} short test summary)")
            .expect("boundary regex")
    })
}

#[derive(Debug, Clone)]
struct Entry {
    line: u64,
    in_step: u64,
    source: EvidenceSource,
    text: String,
}

/// Keeps the last `cap` items.
fn push_capped<T>(ring: &mut VecDeque<T>, item: T, cap: usize) {
    if cap == 0 {
        return;
    }
    if ring.len() == cap {
        ring.pop_front();
    }
    ring.push_back(item);
}

#[derive(Debug, Default)]
struct Segment {
    /// `None` until a group opens; `Some("")` for an empty title.
    name: Option<String>,
    /// Title of the group closed just before this unnamed segment.
    title: Option<String>,
    count: u64,
    first_line: u64,
    last_line: u64,
    first_ts: Option<f64>,
    /// The timestamp prefix of the segment's last timestamped line, parsed at the end.
    last_ts: TimestampPrefix,
    failed: bool,
    /// Entries certainly kept: annotations, and exceptions before a result boundary.
    valid: VecDeque<Entry>,
    /// Since the last boundary: annotations (kept) and exceptions (kept only if another
    /// boundary follows).
    pending_annotations: VecDeque<Entry>,
    pending_exceptions: VecDeque<Entry>,
    /// A result boundary was seen; without one, every exception of the step counts.
    boundary_seen: bool,
    /// The last lines, for the tail fallback.
    tail: TailRing,
}

/// Longest timestamp prefix kept (`2026-04-21T03:15:42.1234567Z ` is 29 bytes).
const TS_PREFIX: usize = 40;

/// A copy of a timestamp prefix in place, so tracking the last one never allocates.
#[derive(Debug, Clone, Copy)]
struct TimestampPrefix {
    bytes: [u8; TS_PREFIX],
    len: usize,
}

impl Default for TimestampPrefix {
    fn default() -> Self {
        TimestampPrefix {
            bytes: [0; TS_PREFIX],
            len: 0,
        }
    }
}

impl TimestampPrefix {
    fn set(&mut self, prefix: &[u8]) {
        let n = prefix.len().min(TS_PREFIX);
        self.bytes[..n].copy_from_slice(&prefix[..n]);
        self.len = n;
    }

    fn secs(&self) -> Option<f64> {
        timestamp_secs(&self.bytes[..self.len])
    }
}

/// Bytes kept of each tail line (a preview is 200 characters of at most 4 bytes).
const TAIL_BYTES: usize = 4 * PREVIEW_CHARS;

/// The last [`TAIL_LINES`] cleaned lines of a segment in reused buffers: (log line, line in
/// step, bytes).
#[derive(Debug, Default)]
struct TailRing {
    slots: [(u64, u64, Vec<u8>); TAIL_LINES],
    next: usize,
    len: usize,
}

impl TailRing {
    fn push(&mut self, line: u64, in_step: u64, text: &[u8]) {
        let slot = &mut self.slots[self.next];
        slot.0 = line;
        slot.1 = in_step;
        slot.2.clear();
        slot.2
            .extend_from_slice(&text[..text.len().min(TAIL_BYTES)]);
        self.next = (self.next + 1) % TAIL_LINES;
        self.len = (self.len + 1).min(TAIL_LINES);
    }

    /// Newest first.
    fn newest_first(&self) -> impl Iterator<Item = &(u64, u64, Vec<u8>)> {
        (0..self.len).map(move |k| &self.slots[(self.next + TAIL_LINES - 1 - k) % TAIL_LINES])
    }
}

/// Feeds on chunks of a job log and produces its [`LogAnalysis`].
pub struct Analyzer {
    options: Options,
    lines: LineBuffer,
    line_no: u64,
    bytes: u64,
    long_lines: u64,
    steps: Vec<Step>,
    evidence: VecDeque<Evidence>,
    segment: Segment,
    last_group_title: Option<String>,
    tests: TestCollector,
    rules: LineRules,
    hits: ChunkHits,
    error_context: Vec<Evidence>,
    context_errors: usize,
    /// Where each `##[group]Run …` section starts, for links into GitHub's log viewer.
    run_sections: Vec<RunSection>,
    /// The last run section has not been closed yet.
    section_open: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(Options::default())
    }
}

impl Analyzer {
    /// A fresh analyser.
    pub fn new(options: Options) -> Self {
        let max_tests = options.max_failed_tests;
        Analyzer {
            options,
            lines: LineBuffer::default(),
            line_no: 0,
            bytes: 0,
            long_lines: 0,
            steps: Vec::new(),
            evidence: VecDeque::new(),
            segment: Segment::default(),
            last_group_title: None,
            tests: TestCollector::new(max_tests),
            rules: LineRules::new(),
            hits: ChunkHits::default(),
            error_context: Vec::new(),
            context_errors: 0,
            run_sections: Vec::new(),
            section_open: false,
        }
    }

    /// Opens a `##[group]Run …` section at the current line (closing the one before).
    fn open_run_section(&mut self, raw: &[u8]) {
        self.close_run_section();
        if self.run_sections.len() < MAX_RUN_SECTIONS {
            self.run_sections.push(RunSection {
                line: self.line_no,
                last_line: self.line_no,
                started_secs: timestamp_secs(raw),
            });
            self.section_open = true;
        }
    }

    /// Ends the open run section on the line before the current one.
    fn close_run_section(&mut self) {
        if std::mem::take(&mut self.section_open) {
            if let Some(last) = self.run_sections.last_mut() {
                last.last_line = self.line_no.saturating_sub(1).max(last.line);
            }
        }
    }

    /// Feeds the next chunk, split anywhere.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut lines = std::mem::take(&mut self.lines);
        let mut hits = std::mem::take(&mut self.hits);
        hits.scan(chunk);
        let base = chunk.as_ptr() as usize;
        let end = base + chunk.len();
        lines.feed(chunk, &mut |line| {
            // A line lying inside the chunk is searched on its own only if the chunk's one
            // search found a needle in it; one assembled from two chunks always is.
            let at = line.as_ptr() as usize;
            let inside = at >= base && at + line.len() <= end;
            let mask = if !inside || hits.any(at - base, at - base + line.len()) {
                scan::line_mask(line)
            } else {
                0
            };
            self.line(line, mask)
        });
        self.hits = hits;
        self.lines = lines;
    }

    /// Ends the input and returns the analysis.
    pub fn finish(mut self) -> LogAnalysis {
        let mut lines = std::mem::take(&mut self.lines);
        // As the original splits on "\n", a log ending in a newline has one last empty line;
        // it keeps step ranges as the original's, but is not a line of the file.
        let pseudo_line = !lines.finish(&mut |line| self.line(line, scan::line_mask(line)));
        if pseudo_line {
            self.line(b"", 0);
        }
        if std::mem::take(&mut self.section_open) {
            if let Some(last) = self.run_sections.last_mut() {
                last.last_line = (self.line_no - u64::from(pseudo_line)).max(last.line);
            }
        }
        let cut_lines: Vec<crate::CutLine> = lines
            .take_cut_errors()
            .into_iter()
            .map(|c| crate::CutLine {
                line: c.line,
                text: cut(&String::from_utf8_lossy(&c.text), PREVIEW_CHARS),
            })
            .collect();
        if self.segment.count > 0 {
            let name = match self.segment.name.take() {
                Some(n) if !n.is_empty() => n,
                // With no segment before it, this is the whole log (no group markers).
                _ if self.steps.is_empty() => "(full log)".to_string(),
                _ => "(trailing)".to_string(),
            };
            self.emit(name);
        }
        if self.steps.is_empty() {
            self.steps.push(Step {
                name: "(full log)".into(),
                title: None,
                first_line: 1,
                last_line: self.line_no,
                line_count: self.line_no,
                duration_secs: None,
                failed: false,
            });
        }
        let collected = self.tests.finish();
        let (failed_tests, test_summary) = (collected.tests, collected.summary);
        // A flaky file's first failure is not the job's: its lines are not evidence.
        let mut evidence: Vec<Evidence> = self
            .evidence
            .into_iter()
            .filter(|e| {
                !collected
                    .flaky_ranges
                    .iter()
                    .any(|&(a, b)| a <= e.line && e.line <= b)
            })
            .collect();
        let failing_step = failing_step(&self.steps, &failed_tests, &evidence);
        // Steps after the failing one that did not fail themselves (artifact and coverage
        // uploads, cleanup) say nothing about the failure.
        if let Some(f) = failing_step {
            evidence.retain(|e| e.step <= f || self.steps.get(e.step).is_some_and(|s| s.failed));
        }
        let mut verdict = Classifier::decide(
            &self.rules,
            &evidence,
            &self.error_context,
            &failed_tests,
            &self.steps,
            collected.fatal.as_ref(),
        );
        let why = crate::why::why_line(&failed_tests);
        verdict.category = crate::why::settle_category(verdict.category, why.as_ref());
        if self.bytes == 0 {
            verdict.category = crate::Category::Empty;
            verdict.reason = "the log is empty: nothing to analyse".into();
        }
        // A log that passed has no failing step, whatever its exception lines say.
        let failing_step = failing_step.filter(|_| {
            !matches!(
                verdict.category,
                crate::Category::Passed | crate::Category::Empty
            )
        });
        let signatures =
            crate::signature::signatures(verdict.category, &failed_tests, &evidence, &verdict);
        LogAnalysis {
            schema_version: SCHEMA_VERSION,
            // What `wc -l` says, plus one for a last line without a newline.
            lines: self.line_no - u64::from(pseudo_line),
            bytes: self.bytes,
            long_lines: self.long_lines,
            steps: self.steps,
            failing_step,
            failed_tests,
            flaky: collected.flaky,
            test_summary,
            evidence,
            category: verdict.category,
            reason: verdict.reason,
            rule: verdict.rule.map(str::to_string),
            reason_line: verdict.line,
            signatures,
            error_context: self.error_context,
            cut_lines,
            run_sections: self.run_sections,
            why: why.map(|w| w.text),
        }
    }

    fn line(&mut self, raw: &[u8], mask: Mask) {
        self.line_no += 1;
        if raw.len() >= MAX_LINE {
            self.long_lines += 1;
        }
        let raw = if self.line_no == 1 {
            // A BOM would hide the first line's markers (a defect of the original).
            raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
        } else {
            raw
        };
        let ts = timestamp_len(raw);
        let stripped = ts.map_or(raw, |n| &raw[n..]);
        if let Some(title) = stripped.strip_prefix(b"##[group]") {
            if title.starts_with(b"Run ") {
                self.open_run_section(raw);
            }
            if self.segment.name.is_some() || self.segment.count > 0 {
                let name = match self.segment.name.take() {
                    Some(n) if !n.is_empty() => n,
                    _ => "(preamble)".to_string(),
                };
                self.emit(name);
            }
            let title = String::from_utf8_lossy(trim(title)).into_owned();
            self.rules.feed(
                title.as_bytes(),
                self.line_no,
                scan::line_mask(title.as_bytes()),
            );
            self.segment = Segment {
                name: Some(title),
                ..Segment::default()
            };
            return;
        }
        if trim(stripped) == b"##[endgroup]" {
            if let Some(name) = self.segment.name.take() {
                self.last_group_title = Some(name.clone());
                self.emit(name);
                self.segment = Segment {
                    title: self.last_group_title.clone(),
                    ..Segment::default()
                };
            }
            return;
        }
        if self.section_open && STEP_CLOSERS.contains(&trim(stripped)) {
            self.close_run_section();
        }
        self.content(raw, ts, stripped, mask);
    }

    fn content(&mut self, raw: &[u8], ts: Option<usize>, stripped: &[u8], mask: Mask) {
        let line = self.line_no;
        let cap = self.options.max_errors_per_step;
        let seg = &mut self.segment;
        seg.count += 1;
        if seg.count == 1 {
            seg.first_line = line;
            if seg.title.is_none() && seg.name.is_none() {
                seg.title = self.last_group_title.clone();
            }
        }
        seg.last_line = line;
        if let Some(n) = ts {
            if seg.first_ts.is_none() {
                seg.first_ts = timestamp_secs(raw);
            }
            seg.last_ts.set(&raw[..n]);
        }
        let cleaned = trim(stripped);
        let in_step = seg.count;
        let text = || String::from_utf8_lossy(cleaned);

        seg.tail.push(line, in_step, cleaned);
        if cleaned.is_empty() {
            return;
        }

        let mut entry = None;
        let annotation = if mask & scan::ANNOTATION != 0 {
            scan::needles().annotation.find(cleaned)
        } else {
            None
        };
        if let Some(at) = annotation {
            seg.failed = true;
            if self.context_errors < CONTEXT_ERRORS {
                self.context_errors += 1;
                let step = self.steps.len().min(MAX_STEPS - 1);
                let mut before: Vec<&(u64, u64, Vec<u8>)> = seg
                    .tail
                    .newest_first()
                    .skip(1)
                    .filter(|(_, _, t)| !t.is_empty() && !t.starts_with(b"##["))
                    .collect();
                before.reverse();
                for (l, in_step, t) in before {
                    if self.error_context.iter().any(|e| e.line == *l) {
                        continue;
                    }
                    self.error_context.push(Evidence {
                        step,
                        line: *l,
                        line_in_step: *in_step,
                        source: EvidenceSource::Context,
                        text: cut(&String::from_utf8_lossy(t), PREVIEW_CHARS),
                    });
                }
            }
            let message = trim(&cleaned[at + b"##[error]".len()..]);
            if !message.starts_with(EXIT_CODE_NOISE) {
                entry = Some(Entry {
                    line,
                    in_step,
                    source: EvidenceSource::Annotation,
                    text: cut(&String::from_utf8_lossy(message), PREVIEW_CHARS),
                });
            }
        } else if scan::has_exception_word(cleaned, mask) && exception_re().is_match(&text()) {
            entry = Some(Entry {
                line,
                in_step,
                source: EvidenceSource::Exception,
                text: cut(&text(), PREVIEW_CHARS),
            });
        } else if mask & scan::CRASH != 0 && scan::is_crash(cleaned) {
            // A process that died left no exception; its fault line is kept wherever it falls
            // (no result boundary may follow a crash).
            push_capped(
                &mut seg.pending_annotations,
                Entry {
                    line,
                    in_step,
                    source: EvidenceSource::Exception,
                    text: cut(&text(), PREVIEW_CHARS),
                },
                cap,
            );
        }
        if matches!(cleaned[0], b'F' | b'O' | b'R' | b'=') && boundary_re().is_match(cleaned) {
            // Everything before a result boundary is test output: its exceptions count.
            seg.boundary_seen = true;
            let mut merged: Vec<Entry> = seg
                .pending_annotations
                .drain(..)
                .chain(seg.pending_exceptions.drain(..))
                .collect();
            merged.sort_by_key(|e| e.line);
            for e in merged {
                push_capped(&mut seg.valid, e, cap);
            }
        }
        match entry {
            Some(e) if e.source == EvidenceSource::Annotation => {
                push_capped(&mut seg.pending_annotations, e, cap)
            }
            Some(e) => push_capped(&mut seg.pending_exceptions, e, cap),
            None => {}
        }
        self.tests.feed(cleaned, line, mask);
        self.rules.feed(cleaned, line, mask);
    }

    fn emit(&mut self, name: String) {
        let seg = std::mem::take(&mut self.segment);
        let index = self.steps.len().min(MAX_STEPS - 1);
        let cap = self.options.max_errors_per_step;
        // Exceptions after the last result boundary are cleanup noise; with no boundary the
        // whole step is test output.
        let trailing_exceptions = if seg.boundary_seen {
            VecDeque::new()
        } else {
            seg.pending_exceptions
        };
        let mut entries: Vec<Entry> = seg
            .valid
            .into_iter()
            .chain(seg.pending_annotations)
            .chain(trailing_exceptions)
            .collect();
        entries.sort_by_key(|e| e.line);
        if entries.len() > cap {
            entries.drain(..entries.len() - cap);
        }
        if entries.is_empty() {
            if let Some((line, in_step, text)) = seg
                .tail
                .newest_first()
                .find(|(_, _, t)| !t.is_empty() && !t.starts_with(b"##["))
            {
                entries.push(Entry {
                    line: *line,
                    in_step: *in_step,
                    source: EvidenceSource::Tail,
                    text: cut(&String::from_utf8_lossy(text), PREVIEW_CHARS),
                });
            }
        }
        for e in entries {
            push_capped(
                &mut self.evidence,
                Evidence {
                    step: index,
                    line: e.line,
                    line_in_step: e.in_step,
                    source: e.source,
                    text: e.text,
                },
                self.options.max_evidence,
            );
        }
        let step = Step {
            name,
            title: seg.title,
            first_line: seg.first_line,
            last_line: seg.last_line,
            line_count: seg.count,
            duration_secs: match (seg.first_ts, seg.last_ts.secs()) {
                (Some(a), Some(b)) if b >= a => Some(((b - a) * 1000.0).round() / 1000.0),
                _ => None,
            },
            failed: seg.failed,
        };
        if self.steps.len() < MAX_STEPS - 1 {
            self.steps.push(step);
            return;
        }
        // From the cap on, segments fold into one last step so memory stays bounded.
        if self.steps.len() == MAX_STEPS - 1 {
            self.steps.push(Step {
                name: FOLDED.into(),
                title: None,
                duration_secs: None,
                ..step
            });
            return;
        }
        let last = self.steps.last_mut().expect("steps at the cap");
        last.last_line = step.last_line;
        last.line_count += step.line_count;
        last.failed |= step.failed;
    }
}

/// The step the job failed in: the one holding the first failed test, else the last step
/// with an `##[error]`.
fn failing_step(
    steps: &[Step],
    tests: &[crate::FailedTest],
    evidence: &[Evidence],
) -> Option<usize> {
    if let Some(first) = tests.first() {
        if let Some(i) = steps
            .iter()
            .position(|s| s.first_line <= first.line && first.line <= s.last_line)
        {
            return Some(i);
        }
    }
    steps.iter().rposition(|s| s.failed).or_else(|| {
        evidence
            .iter()
            .find(|e| e.source != EvidenceSource::Tail)
            .map(|e| e.step)
    })
}

/// Analyses a whole reader, in 64 KiB chunks.
pub fn analyze_reader(mut reader: impl Read) -> std::io::Result<LogAnalysis> {
    let mut analyzer = Analyzer::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => analyzer.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(analyzer.finish())
}

/// Analyses a log held in memory (tests, small inputs).
pub fn analyze_bytes(log: &[u8]) -> LogAnalysis {
    let mut analyzer = Analyzer::default();
    analyzer.feed(log);
    analyzer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counts_are_what_wc_says_plus_a_last_line_without_newline() {
        assert_eq!(analyze_bytes(b"").lines, 0);
        assert_eq!(analyze_bytes(b"a\nb\nc\n").lines, 3);
        assert_eq!(analyze_bytes(b"a\nb\nc").lines, 3);
        assert_eq!(analyze_bytes(b"\n").lines, 1);
        assert_eq!(analyze_bytes(b"a\r\nb\r\n").lines, 2);
    }
}
