//! Failure signatures: a normalised key per failure, equal for the same failure in two
//! workflows or on two days.
//!
//! Version 2: every failed test has its own signature, from its own kind (failed, timed out,
//! crashed), its canonical id, its exception type and its normalised message, never from the
//! job's category; other failures have one from the deciding line. Normalisation, applied in
//! this order to the text of a failure:
//! 1. temporary paths (`/tmp/…`, `/var/tmp/…`, `/dev/shm/…`) → `<tmp>`;
//! 2. GPU, rank and device ids written as one word (`gpu3`, `rank_7`, `cuda:1`, `GPU 2`) →
//!    `<id>` (new in v2: the same failure on another GPU of the runner is the same failure);
//! 3. `0x…` hexadecimal numbers → `<hex>`, and other hex runs of 7+ digits containing a
//!    letter (commit ids, hashes, addresses) → `<hex>`;
//! 4. ISO timestamps → `<ts>`;
//! 5. every remaining number not inside a word (with `.`/`,` decimals: counts, ports, PIDs,
//!    durations, sizes, ranks) → `<n>`; digits inside a name (`c10d`, `bfloat16`) stay;
//! 6. runs of whitespace → one space; trimmed; cut to 160 characters.
//!
//! Changing any step changes keys, so it must bump [`SIGNATURE_VERSION`].

use std::sync::OnceLock;

use regex::Regex;

use crate::classify::Verdict;
use crate::{Category, Evidence, EvidenceSource, FailedTest};

/// Prefix of every signature.
pub const SIGNATURE_VERSION: &str = "v2";

struct Norm {
    tmp: Regex,
    device: Regex,
    hex0x: Regex,
    hexrun: Regex,
    ts: Regex,
    num: Regex,
    space: Regex,
}

fn norm() -> &'static Norm {
    static N: OnceLock<Norm> = OnceLock::new();
    N.get_or_init(|| Norm {
        tmp: Regex::new(r"(?:/var)?/tmp/[^\s'\x22:,)]+|/dev/shm/[^\s'\x22:,)]+").expect("re"),
        device: Regex::new(
            r"(?i)\b(gpu|rank|device|cuda|hip|local_rank|tp|dp|ep|pp)(?:[_ ]?|:)\d+\b",
        )
        .expect("re"),
        hex0x: Regex::new(r"0[xX][0-9a-fA-F]+").expect("re"),
        hexrun: Regex::new(r"\b[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b").expect("re"),
        ts: Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?").expect("re"),
        num: Regex::new(r"[A-Za-z_]*\d+(?:[.,]\d+)*").expect("re"),
        space: Regex::new(r"\s+").expect("re"),
    })
}

/// The normal form of a failure text (idempotent).
pub fn normalize(text: &str) -> String {
    let n = norm();
    let s = n.tmp.replace_all(text, "<tmp>");
    let s = n.device.replace_all(&s, "$1 <id>");
    let s = n.hex0x.replace_all(&s, "<hex>");
    let s = n.hexrun.replace_all(&s, |c: &regex::Captures<'_>| {
        let m = &c[0];
        if m.len() >= 7 && m.bytes().any(|b| b.is_ascii_digit()) {
            "<hex>".to_string()
        } else {
            m.to_string()
        }
    });
    let s = n.ts.replace_all(&s, "<ts>");
    // Digits inside a word (`c10d`, `bfloat16`, `mi325`) are part of a name, not a number.
    let s = n.num.replace_all(&s, |c: &regex::Captures<'_>| {
        let m = &c[0];
        if m.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
            m.to_string()
        } else {
            "<n>".to_string()
        }
    });
    let s = n.space.replace_all(&s, " ");
    crate::text::cut(s.trim(), 160)
}

/// The exception type at the start of a message (`AssertionError`, `torch.OutOfMemoryError`).
fn exception_type(message: &str) -> Option<&str> {
    let head = message.split([':', ' ', '(']).next()?;
    (head.ends_with("Error") || head.ends_with("Exception") || head.ends_with("Failure"))
        .then_some(head)
}

/// One failed test's signature: its own kind, its canonical id (a stable name, kept
/// verbatim), its exception type and its normalised message (first 80 characters).
fn test_signature(t: &FailedTest) -> String {
    let kind = if t.crashed {
        "crashed"
    } else if t.timed_out {
        "timeout"
    } else {
        "failed"
    };
    let message = t.message.as_deref().unwrap_or("");
    let exception = exception_type(message).unwrap_or("-");
    let text: String = normalize(message).chars().take(80).collect();
    format!("{SIGNATURE_VERSION}:{kind}:{}:{exception}:{text}", t.id)
}

/// Signatures of the failures found: one per failed test, or one for the deciding error line.
pub(crate) fn signatures(
    category: Category,
    tests: &[FailedTest],
    evidence: &[Evidence],
    verdict: &Verdict,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match category {
        Category::Passed | Category::Empty => {}
        Category::TestFailure | Category::Timeout | Category::GpuError if !tests.is_empty() => {
            for t in tests {
                push(test_signature(t));
            }
        }
        _ => {
            let text = verdict
                .matched
                .clone()
                .or_else(|| {
                    evidence
                        .iter()
                        .find(|e| e.source != EvidenceSource::Tail)
                        .map(|e| e.text.clone())
                })
                .unwrap_or_default();
            push(format!(
                "{SIGNATURE_VERSION}:{}:{}",
                category.key(),
                normalize(&text)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_parts_are_normalised() {
        assert_eq!(
            normalize("Process 12345 on port 30001 failed at 0x7f3a2b after 310.0221s in /tmp/pytest-of-root/p0/x.log, sha fe887e69"),
            "Process <n> on port <n> failed at <hex> after <n>s in <tmp>, sha <hex>"
        );
        assert_eq!(
            normalize("2026-11-24T01:02:03.123Z  rank 3"),
            "<ts> rank <id>"
        );
    }

    #[test]
    fn same_failure_on_two_days_has_one_signature() {
        let a = normalize(
            "RuntimeError: Process 0 terminated or timed out after 310.0221 seconds (pid 4121)",
        );
        let b = normalize(
            "RuntimeError: Process 0 terminated or timed out after 305.9 seconds (pid 99)",
        );
        assert_eq!(a, b);
    }

    #[test]
    fn the_same_failure_on_another_gpu_or_rank_is_the_same() {
        assert_eq!(
            normalize("HIP error on gpu3 (rank_7, cuda:1): invalid device ordinal"),
            normalize("HIP error on gpu0 (rank_2, cuda:6): invalid device ordinal")
        );
        assert_eq!(normalize("GPU 2 hung"), "GPU <id> hung");
    }

    #[test]
    fn each_failed_test_has_its_own_signature_from_its_own_kind() {
        let test = |id: &str, message: &str, timed_out: bool| FailedTest {
            id: id.into(),
            file: None,
            name: id.into(),
            runner: crate::TestRunner::Unittest,
            message: Some(message.into()),
            error: false,
            timed_out,
            crashed: false,
            retried: false,
            line: 1,
        };
        let a = test_signature(&test("x.py::C::a", "AssertionError: 3 != 4", false));
        let a_elsewhere = test_signature(&test("x.py::C::a", "AssertionError: 5 != 4", false));
        let b = test_signature(&test("x.py::C::b", "AssertionError: 3 != 4", false));
        let t = test_signature(&test("y.py", "timed out after 600s", true));
        assert_eq!(
            a,
            "v2:failed:x.py::C::a:AssertionError:AssertionError: <n> != <n>"
        );
        assert_eq!(a, a_elsewhere, "the same failure in another workflow");
        assert_ne!(a, b);
        assert!(t.starts_with("v2:timeout:y.py:"), "{t}");
    }

    #[test]
    fn digits_inside_names_are_kept() {
        assert_eq!(
            normalize("test_c10d on mi325 bfloat16 took 3.5s"),
            "test_c10d on mi325 bfloat16 took <n>s"
        );
    }

    #[test]
    fn words_are_not_mistaken_for_hex() {
        assert_eq!(
            normalize("decode failed: bad face"),
            "decode failed: bad face"
        );
    }
}
