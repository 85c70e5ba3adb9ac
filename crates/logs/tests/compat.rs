//! Compatibility with the original bot's step split and error-line extraction (Guards
//! M-G30–M-G36 in tests/GUARDS.md at the repository root), on small logs built for each rule.

use sglang_logs::{analyze_bytes, EvidenceSource, LogAnalysis};

const TS: &str = "2026-04-21T03:15:42.1234567Z ";

/// A log with a timestamp on every line.
fn log(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .map(|l| format!("{TS}{l}\n"))
        .collect::<String>()
        .into_bytes()
}

fn names(a: &LogAnalysis) -> Vec<&str> {
    a.steps.iter().map(|s| s.name.as_str()).collect()
}

/// (step name, source, text) of every evidence line.
fn evidence(a: &LogAnalysis) -> Vec<(String, EvidenceSource, String)> {
    a.evidence
        .iter()
        .map(|e| (a.steps[e.step].name.clone(), e.source, e.text.clone()))
        .collect()
}

#[test]
fn g30_groups_preamble_trailing_and_full_log() {
    let a = analyze_bytes(&log(&[
        "before",
        "##[group]Run A",
        "inside",
        "##[endgroup]",
        "after",
    ]));
    assert_eq!(names(&a), ["(preamble)", "Run A", "(trailing)"]);
    // Markers are never content: "Run A" holds one line.
    assert_eq!(a.steps[1].line_count, 1);
    assert_eq!((a.steps[1].first_line, a.steps[1].last_line), (3, 3));

    let plain = analyze_bytes(b"no markers here\nat all\n");
    assert_eq!(names(&plain), ["(full log)"]);
}

#[test]
fn g30_a_group_closes_the_open_segment_and_a_stray_endgroup_is_ignored() {
    let a = analyze_bytes(&log(&[
        "##[group]Run A",
        "a1",
        "##[group]Run B",
        "b1",
        "##[endgroup]",
        "##[endgroup]",
        "tail line",
    ]));
    assert_eq!(names(&a), ["Run A", "Run B", "(trailing)"]);
}

#[test]
fn g31_a_timestamped_group_marker_opens_a_segment_named_after_it() {
    let a = analyze_bytes(b"2026-04-21T03:15:42.1234567Z ##[group]Run x\nout\n");
    assert_eq!(a.steps[0].name, "Run x");
}

#[test]
fn g32_exit_code_annotations_are_noise_and_other_annotations_are_evidence() {
    let a = analyze_bytes(&log(&[
        "##[group]Run t",
        "##[error]boom",
        "##[error]Process completed with exit code 1.",
        "##[endgroup]",
    ]));
    assert_eq!(
        evidence(&a),
        [(
            "Run t".to_string(),
            EvidenceSource::Annotation,
            "boom".to_string()
        )]
    );
}

#[test]
fn g33_loky_noise_after_the_result_boundary_is_dropped_but_kept_before_it() {
    let after = analyze_bytes(&log(&[
        "##[group]Run pytest",
        "FAILED test_a.py::test_x - AssertionError: 1 != 2",
        "KeyError: '/loky-1234-abcd'",
    ]));
    // As in the original, the line may still be the step's `tail` (its last words), but it
    // is never an exception entry.
    let ev = evidence(&after);
    assert!(
        !ev.iter()
            .any(|e| e.1 == EvidenceSource::Exception && e.2.contains("loky")),
        "cleanup noise reported: {ev:?}"
    );

    let before = analyze_bytes(&log(&[
        "##[group]Run pytest",
        "KeyError: '/loky-1234-abcd'",
        "FAILED test_a.py::test_x - AssertionError: 1 != 2",
    ]));
    assert!(evidence(&before)
        .iter()
        .any(|e| e.1 == EvidenceSource::Exception && e.2 == "KeyError: '/loky-1234-abcd'"));
}

#[test]
fn g33_every_boundary_form_ends_the_test_output() {
    for boundary in [
        "FAILED test_a.py::test_x",
        "=== SUITE RESULT ===",
        "Ran 3 tests in 1.234s",
        "OK",
        "=== 2 failed, 1 passed in 3.00s ===",
        "=== short test summary info ===",
    ] {
        let a = analyze_bytes(&log(&[
            "##[group]Run t",
            boundary,
            "KeyError: '/loky-99-ff'",
        ]));
        assert!(
            !evidence(&a)
                .iter()
                .any(|e| e.1 == EvidenceSource::Exception),
            "{boundary}: {:?}",
            evidence(&a)
        );
    }
}

#[test]
fn g34_exceptions_are_found_anywhere_in_the_line_and_bare_error_is_not_one() {
    let a = analyze_bytes(&log(&[
        "##[group]Run t",
        "[TP1] FileNotFoundError: x",
        "Error: not an exception line",
    ]));
    let ev = evidence(&a);
    assert_eq!(
        ev,
        [(
            "Run t".to_string(),
            EvidenceSource::Exception,
            "[TP1] FileNotFoundError: x".to_string()
        )]
    );
}

#[test]
fn g35_a_step_without_entries_yields_its_last_meaningful_line() {
    let a = analyze_bytes(&log(&[
        "##[group]Run t",
        "one",
        "two",
        "the last words",
        "",
        "##[warning]not this",
    ]));
    let ev = evidence(&a);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].1, EvidenceSource::Tail);
    assert_eq!(
        ev[0].2,
        format!("{TS}the last words").trim_start_matches(TS)
    );
}

#[test]
fn g36_a_step_keeps_its_last_ten_entries_with_previews_of_at_most_200_chars() {
    let mut lines = vec!["##[group]Run t".to_string()];
    for i in 0..25 {
        lines.push(format!("ValueError: case {i} {}", "x".repeat(300)));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let a = analyze_bytes(&log(&refs));
    let ev = evidence(&a);
    assert_eq!(ev.len(), 10);
    assert!(ev[0].2.starts_with("ValueError: case 15 "), "{}", ev[0].2);
    assert!(ev.iter().all(|e| e.2.chars().count() <= 200));
}

#[test]
fn evidence_keeps_line_numbers_in_the_log_and_in_the_step() {
    let a = analyze_bytes(&log(&["pre", "##[group]Run t", "ok", "RuntimeError: bad"]));
    let e = &a.evidence[a.evidence.len() - 1];
    assert_eq!((e.line, e.line_in_step), (4, 2));
}

#[test]
fn a_bom_does_not_hide_the_first_group_marker() {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(log(&["##[group]Run first", "x"]));
    assert_eq!(analyze_bytes(&bytes).steps[0].name, "Run first");
}

#[test]
fn thousands_of_groups_fold_into_one_last_step() {
    let mut lines = Vec::new();
    for i in 0..3000 {
        lines.push(format!("##[group]Run step {i}"));
        lines.push(format!("output {i}"));
    }
    lines.push("ValueError: the last one".to_string());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let a = analyze_bytes(&log(&refs));
    assert_eq!(a.steps.len(), 1000);
    assert_eq!(a.steps[998].name, "Run step 998");
    let last = &a.steps[999];
    assert_eq!(last.name, "(later steps, folded)");
    // 6,001 lines and the empty one after the final newline.
    assert_eq!(last.last_line, 6002);
    let e = a.evidence.last().unwrap();
    assert_eq!((e.step, e.text.as_str()), (999, "ValueError: the last one"));
}

/// A runner whose GPU is missing or invisible is the host's fault, not the code's; a HIP error
/// while running (a fault, a hang) stays a GPU error, judged like any failure.
#[test]
fn a_gpu_the_runner_cannot_see_is_infrastructure_a_hip_fault_is_not() {
    for line in [
        "RuntimeError: No HIP GPUs are available",
        "RuntimeError: HIP error: no ROCm-capable device is detected",
        "torch._C._cuda_init() RuntimeError: No CUDA GPUs are available",
    ] {
        let a = analyze_bytes(&log(&[
            "##[group]Run test",
            line,
            "##[endgroup]",
            "##[error]Process completed with exit code 1.",
        ]));
        assert_eq!(
            a.category,
            sglang_logs::Category::Infrastructure,
            "{line}: {a:?}"
        );
    }
    let a = analyze_bytes(&log(&[
        "##[group]Run test",
        "RuntimeError: HIP error: an illegal memory access was encountered",
        "##[endgroup]",
        "##[error]Process completed with exit code 1.",
    ]));
    assert_eq!(a.category, sglang_logs::Category::GpuError);
}
