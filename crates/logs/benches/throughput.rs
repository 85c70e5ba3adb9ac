//! Throughput and memory of the log engine on synthetic GitHub Actions logs.
//!
//! `cargo bench -p sglang-logs` prints one row per size: seconds, MB/s and the peak resident
//! memory of a process that analysed only that log. Each size runs in a child process of this
//! binary so the peaks do not mix. The log is produced by a generator in 1 MiB chunks (the
//! analyser never sees it whole); generating is not timed. Targets: ≥ 500 MB/s and a peak RSS
//! ≤ 64 MB at every size, on one core.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use sglang_logs::Analyzer;

const MB: u64 = 1_000_000;
const SIZES: &[(&str, u64)] = &[
    ("10 MB", 10 * MB),
    ("100 MB", 100 * MB),
    ("1 GB", 1000 * MB),
];

/// A deterministic stream of realistic log lines (timestamps, groups, server noise, pytest
/// progress, a few real failures near the end).
struct Generator {
    state: u64,
    line: u64,
    second: u64,
}

impl Generator {
    fn next(&mut self) -> u64 {
        // xorshift64*: fast, deterministic, good enough for picking lines.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Appends lines to `out` until it holds at least `target` bytes.
    fn fill(&mut self, out: &mut Vec<u8>, target: usize, failures: bool) {
        while out.len() < target {
            self.line += 1;
            if self.line.is_multiple_of(7) {
                self.second += 1;
            }
            let (h, m, s) = (
                (self.second / 3600) % 24,
                (self.second / 60) % 60,
                self.second % 60,
            );
            let frac = self.line % 10_000_000;
            let _ = write!(out, "2026-11-24T{h:02}:{m:02}:{s:02}.{frac:07}Z ");
            let r = self.next();
            let _ = match r % 100 {
                0 => writeln!(out, "##[group]Run docker exec ci_sglang python3 run_suite.py --suite per-commit-amd"),
                1 => writeln!(out, "##[endgroup]"),
                2..=40 => writeln!(
                    out,
                    "[2026-11-24 {h:02}:{m:02}:{s:02} TP{}] Decode batch. #running-req: {}, #token: {}, token usage: 0.{:02}, gen throughput (token/s): {}.{}, #queue-req: 0",
                    r % 8,
                    r % 64,
                    r % 100_000,
                    r % 100,
                    r % 5000,
                    r % 10
                ),
                41..=70 => writeln!(
                    out,
                    "test/srt/test_case_{}.py::TestCase{}::test_variant_{} PASSED [{:>3}%]",
                    r % 300,
                    r % 40,
                    r % 17,
                    r % 100
                ),
                71..=85 => writeln!(
                    out,
                    "INFO:     127.0.0.1:{} - \"POST /generate HTTP/1.1\" 200 OK",
                    30000 + r % 30000
                ),
                86..=92 => writeln!(
                    out,
                    "/opt/venv/lib/python3.12/site-packages/torch/cuda/__init__.py:{}: UserWarning: expandable_segments not supported on this platform",
                    r % 900
                ),
                93 if failures && r % 5000 == 93 => writeln!(
                    out,
                    "FAILED test/srt/test_case_{}.py::TestCase::test_accuracy - AssertionError: 0.61 not greater than 0.65",
                    r % 300
                ),
                94 if failures && r % 5000 == 94 => {
                    writeln!(out, "RuntimeError: HIP error: an illegal memory access was encountered")
                }
                _ => writeln!(out, "  warnings.warn(  # progress {} of {}", r % 1000, 1000),
            };
        }
    }
}

/// Analyses a generated log of `bytes` and returns the time spent in the analyser.
fn measure(bytes: u64) -> (Duration, u64, usize) {
    let mut generator = Generator {
        state: 0x9e37_79b9_7f4a_7c15,
        line: 0,
        second: 3600,
    };
    let mut analyzer = Analyzer::default();
    let mut chunk = Vec::with_capacity(1 << 21);
    let mut fed = 0u64;
    let mut spent = Duration::ZERO;
    while fed < bytes {
        chunk.clear();
        let want = (bytes - fed).min(1 << 20) as usize;
        generator.fill(&mut chunk, want, bytes - fed < 4 * MB);
        let start = Instant::now();
        analyzer.feed(&chunk);
        spent += start.elapsed();
        fed += chunk.len() as u64;
    }
    let start = Instant::now();
    let analysis = analyzer.finish();
    spent += start.elapsed();
    (spent, fed, analysis.failed_tests.len())
}

/// Peak resident set size of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let bytes: u64 = args[i + 1].parse().expect("size in bytes");
        let (spent, fed, tests) = measure(bytes);
        println!(
            "{} {} {} {}",
            spent.as_secs_f64(),
            fed,
            peak_rss().unwrap_or(0),
            tests
        );
        return;
    }
    let only: Option<&String> = args.iter().skip(1).find(|a| !a.starts_with('-'));
    println!("| log size | seconds | MB/s | peak RSS | failed tests found |");
    println!("|---|---|---|---|---|");
    for (label, bytes) in SIZES {
        if only.is_some_and(|o| !label.replace(' ', "").eq_ignore_ascii_case(o)) {
            continue;
        }
        let out = Command::new(&args[0])
            .args(["--one", &bytes.to_string()])
            .output()
            .expect("run the measurement child");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<f64> = text
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [secs, fed, rss, tests] = fields[..] else {
            panic!(
                "child failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        println!(
            "| {label} | {secs:.2} | {:.0} | {:.1} MB | {tests} |",
            fed / MB as f64 / secs,
            rss / MB as f64
        );
    }
}
