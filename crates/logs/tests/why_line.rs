//! The why-line (issue #16): one honest line on why a job failed, counting each failed file's
//! cause, and a category that names a cause only when it is the dominant one.

use sglang_logs::{analyze_bytes, render_markdown, Category, ReportContext};

fn pytest(failed: &[&str]) -> String {
    let mut log = String::from(
        "2026-11-24T05:00:00.0000000Z ##[group]Run docker exec ci_sglang pytest -q test/registered\n\
         2026-11-24T05:00:00.1000000Z ##[endgroup]\n",
    );
    for line in failed {
        log.push_str(&format!("2026-11-24T05:00:10.0000000Z FAILED {line}\n"));
    }
    log.push_str(&format!(
        "2026-11-24T05:00:10.1000000Z ========== {} failed, 3 passed in 9.80s ==========\n\
         2026-11-24T05:00:10.2000000Z ##[error]Process completed with exit code 1.\n",
        failed.len()
    ));
    log
}

#[test]
fn three_files_failing_for_three_reasons_say_so_and_the_category_promotes_none_of_them() {
    let log = pytest(&[
        "test/registered/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu - AssertionError: 0.612 not greater than or equal to 0.65",
        "test/registered/test_deepseek_v3_long_ctx.py::TestLongCtx::test_128k - Failed: Timeout >1800.0s",
        "test/registered/test_fused_moe.py::TestFusedMoE::test_fp8 - RuntimeError: HIP error: an illegal memory access was encountered",
    ]);
    let a = analyze_bytes(log.as_bytes());
    assert_eq!(
        a.why.as_deref(),
        Some("3 files failed: 1 accuracy assertion, 1 timeout, 1 HIP error")
    );
    // The HIP error matched a GPU rule first; with no dominant cause it is not the job's.
    assert_eq!(a.category, Category::TestFailure);
    let md = render_markdown(&a, &ReportContext::default());
    assert!(
        md.contains("- **Category**: test failure\n- **In one line**: 3 files failed: 1 accuracy assertion, 1 timeout, 1 HIP error\n"),
        "{md}"
    );
    // Each failed test keeps its own signature: the category does not enter them.
    assert_eq!(a.signatures.len(), 3);
}

#[test]
fn one_failed_file_names_its_cause_and_keeps_its_category() {
    let log = pytest(&[
        "test/registered/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu - AssertionError: 0.612 not greater than or equal to 0.65",
        "test/registered/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_gsm8k - AssertionError: 0.701 not greater than or equal to 0.75",
    ]);
    let a = analyze_bytes(log.as_bytes());
    assert_eq!(
        a.why.as_deref(),
        Some("1 file failed: 1 accuracy assertion")
    );
    assert_eq!(a.category, Category::TestFailure);
    let md = render_markdown(&a, &ReportContext::default());
    assert!(
        md.contains("- **In one line**: 1 file failed: 1 accuracy assertion\n"),
        "{md}"
    );
}

#[test]
fn a_dominant_cause_names_the_category() {
    // Two of three files timed out: the timeout is the job's category.
    let log = pytest(&[
        "test/registered/test_a.py::TestA::test_x - Failed: Timeout >1800.0s",
        "test/registered/test_b.py::TestB::test_y - Failed: Timeout >1800.0s",
        "test/registered/test_c.py::TestC::test_z - KeyError: 'output_token_logprobs'",
    ]);
    let a = analyze_bytes(log.as_bytes());
    assert_eq!(
        a.why.as_deref(),
        Some("3 files failed: 2 timeouts, 1 KeyError")
    );
    assert_eq!(a.category, Category::Timeout);
}

#[test]
fn a_job_without_failed_tests_has_no_why_line() {
    let a = analyze_bytes(b"##[group]Run x\nERROR: No matching distribution found for torch\n##[error]Process completed with exit code 1.\n");
    assert_eq!(a.why, None);
    assert!(!render_markdown(&a, &ReportContext::default()).contains("In one line"));
}
