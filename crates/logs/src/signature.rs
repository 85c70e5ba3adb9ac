//! Failure signatures: a normalised key per failure, equal for the same failure in two
//! workflows or on two days.
//!
//! Version 1 normalisation, applied in this order to the text of a failure:
//! 1. temporary paths (`/tmp/…`, `/var/tmp/…`, `/dev/shm/…`) → `<tmp>`;
//! 2. `0x…` hexadecimal numbers → `<hex>`, and other hex runs of 7+ digits containing a
//!    letter (commit ids, hashes, addresses) → `<hex>`;
//! 3. ISO timestamps → `<ts>`;
//! 4. every remaining number not inside a word (with `.`/`,` decimals: counts, ports, PIDs,
//!    durations, sizes, ranks) → `<n>`; digits inside a name (`c10d`, `bfloat16`) stay;
//! 5. runs of whitespace → one space; trimmed; cut to 160 characters.
//!
//! Changing any step changes keys, so it must bump [`SIGNATURE_VERSION`].

use std::sync::OnceLock;

use regex::Regex;

use crate::classify::Verdict;
use crate::{Category, Evidence, EvidenceSource, FailedTest};

/// Prefix of every signature.
pub const SIGNATURE_VERSION: &str = "v1";

struct Norm {
    tmp: Regex,
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
        hex0x: Regex::new(r"0[xX][0-9a-fA-F]+").expect("re"),
        hexrun: Regex::new(r"\b[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b").expect("re"),
        ts: Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?").expect("re"),
        num: Regex::new(r"[A-Za-z_]*\d+(?:[.,]\d+)*").expect("re"),
        space: Regex::new(r"\s+").expect("re"),
    })
}

/// The version-1 normal form of a failure text (idempotent).
pub fn normalize(text: &str) -> String {
    let n = norm();
    let s = n.tmp.replace_all(text, "<tmp>");
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

/// Signatures of the failures found: one per failed test (test id + exception type), or one
/// for the deciding error line.
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
        Category::Passed => {}
        Category::TestFailure | Category::Timeout | Category::GpuError if !tests.is_empty() => {
            for t in tests {
                let kind = t
                    .message
                    .as_deref()
                    .and_then(exception_type)
                    .unwrap_or(if t.timed_out { "timeout" } else { "failed" });
                // Test ids are stable names: kept verbatim.
                push(format!(
                    "{SIGNATURE_VERSION}:{}:{}:{kind}",
                    category.key(),
                    t.id
                ));
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
            "<ts> rank <n>"
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
