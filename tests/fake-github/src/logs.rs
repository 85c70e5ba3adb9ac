//! Job log bodies: scenario text, a file, or a synthetic log generated while it streams (so a
//! 1 GB log costs the fake no memory).

use bytes::Bytes;
use futures_util::stream::{self, Stream};

/// Size of one streamed chunk.
const CHUNK: usize = 64 * 1024;

/// A synthetic GitHub Actions log of `total` bytes: timestamped lines, a step group, pytest
/// progress noise, and at the end a real-looking failure.
pub fn generated(
    total: u64,
    seed: u64,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let tail = failure_tail();
    let body_len = total.saturating_sub(tail.len() as u64);
    let state = Generator {
        produced: 0,
        limit: body_len,
        rng: seed.wrapping_mul(6364136223846793005).wrapping_add(1),
        line_no: 0,
        tail: Some(tail),
    };
    stream::unfold(state, |mut g| async move {
        let chunk = g.next_chunk()?;
        Some((Ok(chunk), g))
    })
}

struct Generator {
    produced: u64,
    limit: u64,
    rng: u64,
    line_no: u64,
    tail: Option<String>,
}

impl Generator {
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.produced >= self.limit {
            return self.tail.take().map(Bytes::from);
        }
        let mut buf = String::with_capacity(CHUNK + 256);
        if self.produced == 0 {
            buf.push_str("\u{feff}2026-11-24T01:00:00.0000000Z ##[group]Run bash scripts/ci/amd_ci_exec.sh python3 run_suite.py --suite nightly-amd\n");
        }
        while buf.len() < CHUNK && self.produced + (buf.len() as u64) < self.limit {
            self.rng = self
                .rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.line_no += 1;
            let secs = self.line_no / 50;
            let pct = (self.line_no % 100) as u32;
            let kind = (self.rng >> 33) % 4;
            let line = match kind {
                0 => format!("test/srt/test_case_{}.py::TestModel::test_variant_{} PASSED [{pct:>3}%]", self.rng % 97, self.rng % 13),
                1 => format!("[TP0] Prefill batch. #new-seq: {}, #new-token: {}, #cached-token: 0, token usage: 0.{:02}", self.rng % 9, self.rng % 8192, pct),
                2 => format!("INFO:     127.0.0.1:{} - \"POST /generate HTTP/1.1\" 200 OK", 30000 + self.rng % 20000),
                _ => format!("Decode batch. #running-req: {}, #token: {}, gen throughput (token/s): {}.{}", self.rng % 64, self.rng % 100000, self.rng % 5000, pct),
            };
            buf.push_str(&format!(
                "2026-11-24T01:{:02}:{:02}.{:07}Z {line}\n",
                (secs / 60) % 60,
                secs % 60,
                self.line_no % 10_000_000
            ));
        }
        let remaining = (self.limit - self.produced) as usize;
        if buf.len() > remaining {
            let mut cut = remaining;
            while !buf.is_char_boundary(cut) {
                cut -= 1;
            }
            buf.truncate(cut);
        }
        self.produced += buf.len() as u64;
        Some(Bytes::from(buf))
    }
}

fn failure_tail() -> String {
    [
        "2026-11-24T03:10:00.0000000Z FAILED test/srt/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu - AssertionError: 0.6123 not greater than or equal to 0.65",
        "2026-11-24T03:10:00.0000000Z =========================== short test summary info ============================",
        "2026-11-24T03:10:00.0000000Z FAILED test/srt/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu - AssertionError: 0.6123 not greater than or equal to 0.65",
        "2026-11-24T03:10:00.0000000Z ======================== 1 failed, 412 passed in 7803.11s ========================",
        "2026-11-24T03:10:01.0000000Z ##[error]Process completed with exit code 1.",
        "2026-11-24T03:10:01.0000000Z ##[endgroup]",
        "",
    ]
    .join("\n")
}
