//! `analyze-log` on the whole log corpus (tests/fixtures/logs, see its README for the truth
//! of each file): JSON snapshots checked by hand, plus the facts each snapshot must hold so a
//! careless snapshot update cannot hide a wrong analysis.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::Test;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

fn analyse(file: &str) -> (String, Value) {
    let path = corpus().join(file);
    let out = Test::new()
        .args(["--format", "json", "analyze-log", path.to_str().unwrap()])
        .success();
    let json: Value = serde_json::from_str(&out.stdout).expect("analyze-log prints JSON");
    (out.stdout.clone(), json)
}

fn test_ids(json: &Value) -> Vec<String> {
    json["failed_tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every corpus file: (file, category rule, failed test ids that must be reported).
const TRUTH: &[(&str, &str, &[&str])] = &[
    ("pytorch-cuda-oom.window.log", "gpu-oom", &[]),
    (
        "pytorch-distributed-pytest-timeout.window.log",
        "test-timeout",
        &["distributed/test_c10d_spawn_gloo.py::TestDistributedNNFunctionsGloo::test_all_gather"],
    ),
    (
        "pytorch-inductor-hf-download-timeout.full.log",
        "network",
        &[],
    ),
    ("pytorch-ninja-build-failed.window.log", "ninja-failed", &[]),
    ("pytorch-operation-canceled.window.log", "cancelled", &[]),
    (
        "pytorch-pytest-failures-section.window.log",
        "failed-tests",
        &["test_torch.py::TestTorchDeviceTypeCPU::test_cauchy_kstest_cpu_bfloat16"],
    ),
    (
        "pytorch-rocm-importerror-missing-so.window.log",
        "install",
        &[],
    ),
    (
        "pytorch-step-timeout-360min.window.log",
        "step-timeout",
        &[],
    ),
    (
        "rdd-pytest-linux-10-failed.full.log",
        "failed-tests",
        &[
            "tests/python/test_rdd_main.py::TestCLIHelp::test_version_command",
            "tests/python/test_rdd_main.py::TestMenuInteraction::test_curses_menu_selection",
        ],
    ),
    ("rdd-pytest-linux-pass.full.log", "", &[]),
    (
        "constructed-unittest-failures.log",
        "failed-tests",
        &[
            "test_eagle_infer.py::TestEAGLEEngine::test_logprob_match",
            "test_eagle_infer.py::TestEAGLEEngine::test_batch_generation",
        ],
    ),
    (
        "constructed-suite-runner-several-files.log",
        "failed-tests",
        &["registered/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu"],
    ),
    (
        "constructed-hip-illegal-memory-access.log",
        "gpu-memory-fault",
        &["srt/test_fused_moe.py::TestFusedMoE::test_fused_moe_fp8"],
    ),
    (
        "constructed-rocm-oom.log",
        "gpu-oom",
        &["srt/test_long_context.py::TestLongContext::test_128k_prefill"],
    ),
    (
        "constructed-per-file-timeout.log",
        "test-timeout",
        &["registered/test_deepseek_v3_long_ctx.py"],
    ),
    ("constructed-runner-lost.log", "runner-lost", &[]),
    ("constructed-docker-pull-failure.log", "docker-pull", &[]),
    ("constructed-pip-install-failure.log", "install", &[]),
    ("constructed-gate-job.log", "gate", &[]),
    (
        "constructed-cleanup-noise-after-failure.log",
        "failed-tests",
        &["srt/test_radix_cache.py::TestRadix::test_evict"],
    ),
    (
        "constructed-bom-crlf.log",
        "failed-tests",
        &["srt/test_bom.py::test_parse_config"],
    ),
    ("constructed-job-timeout.log", "job-timeout", &[]),
    ("constructed-runner-shutdown.log", "runner-shutdown", &[]),
    (
        "constructed-gpu-unavailable.log",
        "gpu-unavailable",
        &["registered/test_srt_endpoint.py::TestSRTEndpoint::test_simple_decode"],
    ),
    (
        "constructed-rccl-error.log",
        "gpu-hip-error",
        &["srt/test_custom_allreduce.py::TestCustomAllReduce::test_graph_allreduce"],
    ),
    ("constructed-disk-full.log", "disk-full", &[]),
    ("constructed-build-failure.log", "compile-error", &[]),
    (
        "constructed-run-suite-retries.log",
        "test-timeout",
        &[
            "registered/amd/accuracy/mi30x/test_grok_eval_amd.py::TestGrokEvalAMD::test_mgsm_en",
            "registered/lora/test_lora_qwen3.py",
        ],
    ),
    (
        "constructed-run-suite-stop-at-first-failure.nots.log",
        "failed-tests",
        &[
            "registered/quant/test_fp8_kernel.py::TestFP8Kernel::test_per_token_group_quant",
            "registered/quant/test_fp8_kernel.py::TestFP8Kernel::test_scaled_mm",
        ],
    ),
    (
        "constructed-run-suite-closing-lists-only.window.log",
        "test-timeout",
        &[
            "registered/amd/test_deepseek_v32_mtp.py",
            "registered/amd/test_qwen3_moe_fp8.py",
            "registered/lora/test_lora_tp.py",
        ],
    ),
    (
        "constructed-run-suite-gpu-fault.log",
        "gpu-memory-fault",
        &["registered/amd/test_mla_decode.py::TestMLADecode::test_decode_bs64_fp8"],
    ),
    (
        "constructed-pytorch-run-test-closing-lists.log",
        "failed-tests",
        &[
            "distributed/test_c10d_nccl.py::ProcessGroupNCCLTest::test_abort",
            "distributed/test_c10d_nccl.py::ProcessGroupNCCLTest::test_barrier_timeout",
            "inductor/test_torchinductor_opinfo.py",
        ],
    ),
];

/// A runner log's truth: (file, the exact failed tests, the exact flaky ones, the run's
/// summary line when the runner printed one).
type RunnerTruth = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static str>,
);

/// The run_suite and run_test.py logs.
const RUNNER_TRUTH: &[RunnerTruth] = &[
    (
        "constructed-run-suite-retries.log",
        &[
            "registered/amd/accuracy/mi30x/test_grok_eval_amd.py::TestGrokEvalAMD::test_mgsm_en",
            "registered/lora/test_lora_qwen3.py",
        ],
        &["registered/spec/eagle/test_eagle_constrained_decoding.py::TestEagleConstrainedDecoding::test_json_schema"],
        Some("Test Summary: 3/5 files passed, 2 failed; 2 retried"),
    ),
    (
        "constructed-run-suite-stop-at-first-failure.nots.log",
        &[
            "registered/quant/test_fp8_kernel.py::TestFP8Kernel::test_per_token_group_quant",
            "registered/quant/test_fp8_kernel.py::TestFP8Kernel::test_scaled_mm",
        ],
        &[],
        Some("Test Summary: 1/4 files passed, 1 failed, 2 not run"),
    ),
    (
        "constructed-run-suite-closing-lists-only.window.log",
        &[
            "registered/amd/test_deepseek_v32_mtp.py",
            "registered/amd/test_qwen3_moe_fp8.py",
            "registered/lora/test_lora_tp.py",
        ],
        &["registered/test_dp_attention.py"],
        Some("Test Summary: 4/7 files passed, 3 failed; 2 retried"),
    ),
    (
        "constructed-run-suite-gpu-fault.log",
        &["registered/amd/test_mla_decode.py::TestMLADecode::test_decode_bs64_fp8"],
        &[],
        Some("Test Summary: 1/2 files passed, 1 failed"),
    ),
    (
        "constructed-pytorch-run-test-closing-lists.log",
        &[
            "distributed/test_c10d_nccl.py::ProcessGroupNCCLTest::test_abort",
            "distributed/test_c10d_nccl.py::ProcessGroupNCCLTest::test_barrier_timeout",
            "inductor/test_torchinductor_opinfo.py",
        ],
        &["distributed/test_c10d_nccl.py::ProcessGroupNCCLTest::test_allreduce_coalesced"],
        None,
    ),
    (
        "constructed-suite-runner-several-files.log",
        &["registered/test_eval_accuracy_large.py::TestEvalAccuracyLarge::test_mmlu"],
        &[],
        Some("2/3 files run passed, 1 failed (no closing Test Summary in the log)"),
    ),
    (
        "constructed-runner-lost.log",
        &[],
        &[],
        Some("0/1 files run passed, 0 failed, 1 unfinished (no closing Test Summary in the log)"),
    ),
];

fn flaky_ids(json: &Value) -> Vec<String> {
    json["flaky"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

fn row<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["failed_tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {json}"))
}

#[test]
fn runner_logs_list_each_failure_once_and_flaky_tests_apart() {
    for (file, failed, flaky, summary) in RUNNER_TRUTH {
        let (_, json) = analyse(file);
        assert_eq!(test_ids(&json), *failed, "{file}");
        assert_eq!(flaky_ids(&json), *flaky, "{file}");
        if let Some(summary) = summary {
            assert_eq!(json["test_summary"], *summary, "{file}");
        }
        assert_eq!(json["schema_version"], 2, "{file}");
    }
}

#[test]
fn timeouts_crashes_and_retried_failures_are_marked() {
    let (_, json) = analyse("constructed-run-suite-retries.log");
    let timeout = row(&json, "registered/lora/test_lora_qwen3.py");
    assert_eq!(timeout["timed_out"], true);
    assert_eq!(timeout["message"], "timed out after 1800s");
    assert_eq!(timeout["name"], "(whole file)");
    let retried = row(
        &json,
        "registered/amd/accuracy/mi30x/test_grok_eval_amd.py::TestGrokEvalAMD::test_mgsm_en",
    );
    assert_eq!(retried["retried"], true);
    assert_eq!(
        json["flaky"][0]["message"],
        "AssertionError: 'Alic' != 'Alice'"
    );
    // The flaky file's first failure is not the job's reason, nor evidence of it.
    assert!(!json["reason"].as_str().unwrap().contains("Alic"));
    assert!(!json["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["text"].as_str().unwrap().contains("eagle")));

    let (_, json) = analyse("constructed-run-suite-gpu-fault.log");
    let crashed = row(
        &json,
        "registered/amd/test_mla_decode.py::TestMLADecode::test_decode_bs64_fp8",
    );
    assert_eq!(crashed["crashed"], true);
    assert!(crashed["message"]
        .as_str()
        .unwrap()
        .starts_with("Memory access fault by GPU node-2"));
    assert_ne!(json["category"], "passed");

    let (_, json) = analyse("constructed-run-suite-closing-lists-only.window.log");
    assert_eq!(
        row(&json, "registered/amd/test_qwen3_moe_fp8.py")["crashed"],
        true
    );
    assert_eq!(
        row(&json, "registered/amd/test_deepseek_v32_mtp.py")["retried"],
        true
    );

    let (_, json) = analyse("constructed-pytorch-run-test-closing-lists.log");
    let shard = row(&json, "inductor/test_torchinductor_opinfo.py");
    assert_eq!(shard["crashed"], true);
    assert!(shard["message"].as_str().unwrap().contains("SIGBUS"));
}

#[test]
fn no_corpus_log_has_a_file_row_beside_its_tests_or_a_flaky_test_among_failures() {
    for (file, _, _) in TRUTH {
        let (_, json) = analyse(file);
        let tests = json["failed_tests"].as_array().unwrap();
        let with_tests: Vec<&str> = tests
            .iter()
            .filter(|t| t["name"] != "(whole file)")
            .filter_map(|t| t["file"].as_str())
            .collect();
        for t in tests.iter().filter(|t| t["name"] == "(whole file)") {
            let f = t["file"].as_str().unwrap();
            assert!(
                !with_tests.contains(&f),
                "{file}: file row beside tests of {f}"
            );
        }
        let ids = test_ids(&json);
        assert_eq!(
            ids.iter().collect::<std::collections::HashSet<_>>().len(),
            ids.len(),
            "{file}: {ids:?}"
        );
        for flaky in flaky_ids(&json) {
            assert!(!ids.contains(&flaky), "{file}: flaky {flaky} also failed");
        }
    }
}

#[test]
fn evidence_in_markdown_does_not_repeat_the_step_name() {
    let path = corpus().join("constructed-run-suite-retries.log");
    let out = Test::new()
        .args(["analyze-log", path.to_str().unwrap()])
        .success();
    let evidence = out
        .stdout
        .split("### Evidence")
        .nth(1)
        .expect("an evidence section");
    let evidence = evidence.split("###").next().unwrap();
    assert!(
        evidence.contains("- line 97: `AssertionError"),
        "{evidence}"
    );
    assert!(!evidence.contains("run_suite.py"), "{evidence}");
    assert!(out.stdout.contains("### Passed on Retry"), "{out}");
}

#[test]
fn every_classification_rule_is_exercised_by_a_corpus_log() {
    for rule in sglang_bot::logs::RULES {
        // `build` and `ninja-stopped` back up `compile-error` on logs whose compiler says less.
        if ["build", "ninja-stopped"].contains(&rule.id) {
            continue;
        }
        assert!(
            TRUTH.iter().any(|(_, r, _)| *r == rule.id),
            "no corpus log for rule {}",
            rule.id
        );
    }
}

#[test]
fn the_corpus_has_at_least_twelve_logs_and_each_has_a_truth() {
    let files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".log"))
        .collect();
    assert!(files.len() >= 12, "{files:?}");
    for f in &files {
        assert!(
            TRUTH.iter().any(|(name, _, _)| name == f),
            "{f} has no truth"
        );
    }
}

#[test]
fn every_log_gets_its_true_category_and_failed_tests() {
    for (file, rule, tests) in TRUTH {
        let (_, json) = analyse(file);
        let got_rule = json["rule"].as_str().unwrap_or("");
        assert_eq!(got_rule, *rule, "{file}: {}", json["reason"]);
        let ids = test_ids(&json);
        for t in *tests {
            assert!(
                ids.iter().any(|id| id == t),
                "{file}: {t} missing from {ids:?}"
            );
        }
        if tests.is_empty() {
            assert!(ids.is_empty(), "{file}: unexpected tests {ids:?}");
        }
        if rule.is_empty() {
            assert_eq!(json["category"], "passed", "{file}");
            assert!(
                json["failing_step"].is_null(),
                "{file}: a pass has no failing step"
            );
        }
    }
}

#[test]
fn cleanup_noise_after_a_real_failure_is_not_the_reported_cause() {
    let (_, json) = analyse("constructed-cleanup-noise-after-failure.log");
    let reason = json["reason"].as_str().unwrap();
    assert!(!reason.contains("loky"), "{reason}");
    assert!(json["signatures"][0]
        .as_str()
        .unwrap()
        .contains("test_evict"));
    assert!(!json["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["source"] == "exception" && e["text"].as_str().unwrap().contains("loky")));
}

#[test]
fn snapshots_of_analyze_log_json() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (file, _, _) in TRUTH {
            let (stdout, _) = analyse(file);
            insta::assert_snapshot!(file.trim_end_matches(".log"), stdout);
        }
    });
}

#[test]
fn unreadable_input_exits_2_and_stdin_is_read_with_a_dash() {
    let out = Test::new()
        .args(["analyze-log", "no-such-file.log"])
        .status(2);
    assert!(out.stderr.contains("no-such-file.log"), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    let out = Test::new()
        .file("logs/keep", "")
        .args(["analyze-log", "logs"])
        .status(2);
    assert!(out.stderr.contains("logs"), "{out}");

    let out = Test::new()
        .args(["analyze-log", "--format", "json", "-"])
        .stdin("##[group]Run pytest\nFAILED test/a.py::test_x - ValueError: bad\n##[error]Process completed with exit code 1.\n")
        .success();
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(test_ids(&json), ["a.py::test_x"]);
}

#[test]
fn inputs_that_are_not_plain_logs_are_read_as_what_they_are_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(corpus().join("rdd-pytest-linux-10-failed.full.log")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let json_of = |path: &str| -> Value {
        let out = Test::new()
            .args(["--format", "json", "analyze-log", path])
            .success();
        serde_json::from_str(&out.stdout).unwrap()
    };
    let expected = json_of(&write("plain.log", &plain));

    // A gzip-compressed download and a UTF-16 file with a BOM: the same analysis.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(json_of(&write("job.log.gz", &gz)), expected);
    let text = String::from_utf8_lossy(&plain);
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let from_utf16 = json_of(&write("ps.log", &utf16));
    assert_eq!(from_utf16["failed_tests"], expected["failed_tests"]);
    assert_eq!(from_utf16["lines"], expected["lines"]);

    // An empty file is an empty log, with a warning, never "passed".
    let out = Test::new()
        .args(["analyze-log", &write("empty.log", b"")])
        .stderr_contains("is empty: nothing to analyse")
        .success();
    assert!(out.stdout.contains("**Category**: empty log"), "{out}");
    assert!(out.stdout.contains("(0 lines)"), "{out}");

    // A zip of a run's logs, a binary and UTF-16 without a BOM: exit 2 saying what they are.
    for (name, bytes, says) in [
        (
            "logs.zip",
            b"PK\x03\x04\x14\x00rest".to_vec(),
            "unzip it and pass one file",
        ),
        (
            "ls",
            std::fs::read("/bin/ls").unwrap(),
            "looks like a binary file",
        ),
        (
            "bomless.log",
            // GitHub's logs begin with a byte-order mark: this file has none.
            text.trim_start_matches('\u{feff}')
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
            "UTF-16 text without a byte-order mark",
        ),
    ] {
        let out = Test::new()
            .args(["analyze-log", &write(name, &bytes)])
            .stderr_contains(says)
            .status(2);
        assert!(out.stdout.is_empty(), "{out}");
    }
}

#[test]
fn an_error_in_the_unread_rest_of_a_long_line_is_named_in_the_report() {
    let log = format!(
        "2026-11-24T05:00:00.0000000Z ##[group]Run python3 run_suite.py\n\
         2026-11-24T05:00:01.0000000Z {} RuntimeError: HIP out of memory. Tried to allocate 2.00 GiB\n\
         2026-11-24T05:00:02.0000000Z ##[error]Process completed with exit code 1.\n",
        "progress ".repeat(3000)
    );
    let out = Test::new()
        .args(["analyze-log", "-"])
        .stdin(log.clone())
        .success();
    let section = out
        .stdout
        .split("### Lines Cut Short\n\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no section:\n{}", out.stdout));
    assert!(
        section.contains("- line 2: `RuntimeError: HIP out of memory. Tried to allocate 2.00 GiB`"),
        "{section}"
    );
    let json = Test::new()
        .args(["--format", "json", "analyze-log", "-"])
        .stdin(log)
        .success();
    let value: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["cut_lines"][0]["line"], 2, "{value}");

    // A long line whose rest is harmless is not mentioned.
    let quiet = format!("{}\nok\n", "x".repeat(40_000));
    let out = Test::new()
        .args(["analyze-log", "-"])
        .stdin(quiet)
        .success();
    assert!(!out.stdout.contains("Lines Cut Short"), "{}", out.stdout);
}
