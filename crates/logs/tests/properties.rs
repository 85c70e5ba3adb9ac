//! Properties of the log engine that must hold for any input.

use proptest::prelude::*;
use sglang_logs::{analyze_bytes, normalize, Analyzer};

/// Lines that exercise every path of the engine: markers, timestamps, errors, tests,
/// boundaries, suite output, CRLF, a BOM, invalid UTF-8 and long lines.
fn log_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"2026-11-24T01:02:03.1234567Z ##[group]Run pytest -q test/srt".to_vec()),
        Just(b"2026-11-24T01:02:04.0000000Z ##[endgroup]".to_vec()),
        Just(b"##[error]Process completed with exit code 1.".to_vec()),
        Just(b"2026-11-24T01:02:05.5Z ##[error]The runner has received a shutdown signal.".to_vec()),
        Just(b"FAILED test/srt/test_a.py::TestA::test_x - AssertionError: 1 != 2".to_vec()),
        Just(b"ERROR test/srt/test_b.py::test_y - RuntimeError: HIP error: an illegal memory access was encountered".to_vec()),
        Just(b"FAIL: test_z (test_mod.TestC.test_z)".to_vec()),
        Just(b"Ran 3 tests in 1.234s".to_vec()),
        Just(b"=== 2 failed, 5 passed in 12.00s ===".to_vec()),
        Just("\u{2717} FAILED: test/srt/test_c.py returned exit code 1".as_bytes().to_vec()),
        Just(b"torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB".to_vec()),
        Just(b"KeyError: '/loky-1234-abcd'".to_vec()),
        Just(b"Traceback (most recent call last):".to_vec()),
        Just(b"\r".to_vec()),
        Just("\u{feff}2026-11-24T01:02:03.0Z x".as_bytes().to_vec()),
        Just(vec![0xff, 0xfe, b'E', b'r', b'r', b'o', b'r', 0xc3]),
        "[ -~]{0,80}".prop_map(String::into_bytes),
        (1usize..40_000).prop_map(|n| vec![b'a'; n]),
    ]
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(log_line(), 0..60).prop_map(|lines| {
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(&l);
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let a = analyze_bytes(&bytes);
        prop_assert_eq!(a.bytes, bytes.len() as u64);
    }

    #[test]
    fn any_chunking_gives_the_same_analysis(
        bytes in log(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let whole = analyze_bytes(&bytes);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut analyzer = Analyzer::default();
        let mut from = 0;
        for p in points {
            analyzer.feed(&bytes[from..p]);
            from = p;
        }
        analyzer.feed(&bytes[from..]);
        prop_assert_eq!(analyzer.finish(), whole);
    }

    #[test]
    fn byte_by_byte_feeding_gives_the_same_analysis(bytes in log()) {
        prop_assume!(bytes.len() < 20_000);
        let mut analyzer = Analyzer::default();
        for b in &bytes {
            analyzer.feed(std::slice::from_ref(b));
        }
        prop_assert_eq!(analyzer.finish(), analyze_bytes(&bytes));
    }

    #[test]
    fn signature_normalisation_is_idempotent(text in "\\PC{0,120}") {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn signature_normalisation_is_idempotent_on_log_lines(line in log_line()) {
        let text = String::from_utf8_lossy(&line);
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }
}
