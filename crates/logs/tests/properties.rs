//! Properties of the log engine that must hold for any input.

use proptest::prelude::*;
use sglang_logs::{analyze_bytes, canonical_test_id, normalize, parse_test_id, Analyzer};

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

/// Lines of sglang's run_suite / unittest output and of PyTorch's run_test.py, where one test
/// or file is printed in several spellings, fails, passes on retry, times out or crashes.
fn runner_line() -> impl Strategy<Value = String> {
    let file = prop_oneof![Just("registered/a/test_x.py"), Just("registered/test_y.py")];
    let prefix = prop_oneof![Just(""), Just("test/"), Just("/sglang-checkout/test/")];
    let method = prop_oneof![Just("test_m"), Just("test_n")];
    (file, prefix, method, 0usize..16).prop_map(|(file, prefix, method, kind)| {
        let base = file.rsplit('/').next().unwrap();
        match kind {
            0 => format!("Begin (0/3):\npython3 /sglang-checkout/test/{file}"),
            1 => format!("End (0/3):\nfilename='{file}', elapsed=3, estimated_time=9"),
            2 => format!("FAIL: {method} (__main__.TestC.{method})\nAssertionError: 1 != 2"),
            3 => format!("ERROR: {method} (__main__.TestC)\nRuntimeError: boom"),
            4 => format!("✗ FAILED: {file} returned exit code 1"),
            5 => format!("✗ TIMEOUT: {file} after 1800 seconds"),
            6 => format!("✓ PASSED on retry (attempt 2): {file}"),
            7 => format!("[CI Retry] Attempt 2/2 for {file}"),
            8 => format!("FAILED {prefix}{file}::TestC::{method} - AssertionError: x"),
            9 => format!("FAILED CONSISTENTLY: {prefix}{file}::TestC::{method}"),
            10 => format!("FAILED {base}::TestC::{method} - AssertionError: y"),
            11 => format!("The following tests failed and then succeeded when run in a new process['{prefix}{file}::TestC::{method}']"),
            12 => format!("The following tests failed consistently: ['{prefix}{file}::TestC::{method}']"),
            13 => format!("{} 1/2 failed!", file.trim_end_matches(".py")),
            14 => format!("{method} (__main__.TestC.{method}) ... \nMemory access fault by GPU node-1 (Agent handle: 0x1) on address 0x2. Reason: x"),
            _ => format!("✗ FAILED:\n  {file} (exit code 1)\n\n↻ RETRIED:\n  {file} (2 attempts, passed)"),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn each_failure_is_listed_once_and_flaky_ones_only_as_flaky(
        lines in prop::collection::vec(runner_line(), 0..30),
        stamped in any::<bool>(),
    ) {
        let mut log = String::new();
        for (i, l) in lines.iter().enumerate() {
            for part in l.split('\n') {
                if stamped {
                    log.push_str(&format!("2026-11-25T02:00:{:02}.0000000Z ", i % 60));
                }
                log.push_str(part);
                log.push('\n');
            }
        }
        let a = analyze_bytes(log.as_bytes());
        let mut keys = std::collections::HashSet::new();
        for t in &a.failed_tests {
            let id = parse_test_id(&t.id, None);
            prop_assert!(keys.insert((id.file.clone(), id.class.clone(), id.method.clone())), "twice: {}", t.id);
            prop_assert_eq!(canonical_test_id(&t.id, None), t.id.clone());
        }
        for t in a.failed_tests.iter().filter(|t| t.name == "(whole file)") {
            prop_assert!(
                !a.failed_tests.iter().any(|o| o.name != "(whole file)" && o.file == t.file),
                "file row beside its tests: {:?}", t.file
            );
        }
        for f in &a.flaky {
            prop_assert!(!a.failed_tests.iter().any(|t| t.id == f.id), "flaky and failed: {}", f.id);
        }
    }

    #[test]
    fn canonical_ids_are_stable_under_every_path_spelling(
        dir in "[a-z]{1,6}(/[a-z]{1,6}){0,2}",
        base in "test_[a-z]{1,8}",
        class in "Test[A-Z][a-z]{0,6}",
        method in "test_[a-z]{1,8}",
    ) {
        let full = format!("{dir}/{base}.py");
        let want = format!("{full}::{class}::{method}");
        for spelling in [
            format!("test/{full}::{class}::{method}"),
            format!("/sglang-checkout/test/{full}::{class}::{method}"),
            want.clone(),
        ] {
            prop_assert_eq!(canonical_test_id(&spelling, None), want.clone());
        }
        let known = format!("/ck/test/{full}");
        prop_assert_eq!(canonical_test_id(&format!("{base}.py::{class}::{method}"), Some(&known)), want.clone());
        prop_assert_eq!(canonical_test_id(&format!("{method} (__main__.{class}.{method})"), Some(&known)), want.clone());
        prop_assert_eq!(canonical_test_id(&want, None), want.clone());
    }
}
