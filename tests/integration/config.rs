//! Configuration as a user meets it: bad environment values are named, and the keys printed
//! by `sglang-bot config` change what the bot does.

use fake_github::{FakeComment, FakeGithub};
use serde_json::json;

use crate::harness::Test;
use crate::monitor::{
    bot, issue_number, nightly_with_jobs, scenario, tick, workflow_comments, BOT_REPO, NIGHTLY,
    OPEN_ISSUE, POST_COMMENT, TODAY_TITLE,
};

#[test]
fn use_agent_with_a_value_that_is_not_a_boolean_is_exit_2_naming_the_variable() {
    let out = Test::new()
        .env("USE_AGENT", "maybe")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("USE_AGENT"), "{out}");
    assert!(out.stderr.contains("\"maybe\""), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
}

#[test]
fn boolean_variables_take_on_and_off_in_any_case_and_empty_is_unset() {
    let out = Test::new()
        .env("USE_AGENT", " OFF ")
        .env("BUILD_DAILY_SUMMARY", "")
        .env("BUILD_DAILY_BOARD", "Off")
        .args(["config"])
        .success();
    assert!(
        out.stdout.contains("kind = \"api\"  # env USE_AGENT"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("build_daily_summary = false  # env BUILD_DAILY_BOARD"),
        "{out}"
    );
    let out = Test::new().env("USE_AGENT", "").args(["config"]).success();
    assert!(out.stdout.contains("kind = \"auto\"  # default"), "{out}");
}

#[test]
fn a_misspelt_backend_in_the_environment_names_the_variable_and_the_accepted_values() {
    let out = Test::new()
        .env("SGLANG_BOT_BACKEND", "claude")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("SGLANG_BOT_BACKEND"), "{out}");
    for accepted in ["auto", "claude-code", "api", "builtin"] {
        assert!(out.stderr.contains(accepted), "{accepted} missing: {out}");
    }
    assert!(!out.stderr.contains("invalid configuration"), "{out}");
}

#[test]
fn a_turn_budget_too_large_for_its_key_names_the_variable() {
    let out = Test::new()
        .env("AGENT_MAX_TURNS", "5000000000")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("AGENT_MAX_TURNS"), "{out}");
    assert!(!out.stderr.contains("invalid configuration"), "{out}");
}

#[test]
fn a_bad_repository_from_the_environment_names_the_variable() {
    let out = Test::new()
        .env("BOT_REPO", "just-a-name")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("github.bot_repo"), "{out}");
    assert!(out.stderr.contains("BOT_REPO"), "{out}");
    assert!(out.stderr.contains("OWNER/NAME"), "{out}");
}

#[test]
fn daily_label_from_the_file_labels_the_created_issue_and_finds_it_again() {
    // Today's issue under the default label exists, but this deployment uses its own label.
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {BOT_REPO: {"issues": [
            {"number": 1, "title": TODAY_TITLE, "labels": ["ci-monitor"]}
        ]}}
    })));
    fake.expect_writes([OPEN_ISSUE]);
    let config = "[monitor]\ndaily_label = \"amd-daily-report\"\n";
    let out = bot(&fake)
        .file("sglang-bot.toml", config)
        .args(["ensure-daily-issue"])
        .success();
    assert_eq!(out.stdout.trim(), "Created daily issue #2 for 2026-11-24");
    let issues = fake.issues(BOT_REPO);
    assert_eq!(issues[1].number, 2);
    assert_eq!(issues[1].labels, ["amd-daily-report"]);

    let again = bot(&fake)
        .file("sglang-bot.toml", config)
        .args(["ensure-daily-issue"])
        .success();
    assert_eq!(again.stdout.trim(), "Found daily issue #2 for 2026-11-24");
    assert_eq!(fake.issues(BOT_REPO).len(), 2);
}

#[test]
fn an_empty_daily_label_is_refused_before_any_request() {
    let out = Test::new()
        .file("sglang-bot.toml", "[monitor]\ndaily_label = \" \"\n")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("monitor.daily_label"), "{out}");
    assert!(out.stderr.contains("sglang-bot.toml"), "{out}");
}

#[test]
fn comment_max_chars_from_the_file_sets_the_size_of_the_monitors_parts() {
    let sizes = |parts: &[FakeComment]| -> Vec<usize> {
        parts.iter().map(|p| p.body.chars().count()).collect()
    };
    let fake = nightly_with_jobs(15);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).success();
    let default_parts = workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY);
    let default_sizes = sizes(&default_parts);
    assert!(
        default_sizes.iter().any(|s| *s > 30_000),
        "{default_sizes:?}"
    );

    let fake = nightly_with_jobs(15);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake)
        .file("sglang-bot.toml", "[monitor]\ncomment_max_chars = 30000\n")
        .success();
    let parts = workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY);
    let small_sizes = sizes(&parts);
    assert!(parts.len() > default_parts.len(), "{small_sizes:?}");
    assert!(small_sizes.iter().all(|s| *s <= 30_000), "{small_sizes:?}");
    let all: String = parts.iter().map(|p| p.body.as_str()).collect();
    for id in 56000000000u64..56000000015 {
        assert_eq!(
            all.matches(&format!("data-job-id=\"{id}\"")).count(),
            1,
            "job {id}"
        );
    }
}

#[test]
fn comment_max_chars_outside_its_bounds_is_refused() {
    for value in ["70000", "500"] {
        let out = Test::new()
            .file(
                "sglang-bot.toml",
                &format!("[monitor]\ncomment_max_chars = {value}\n"),
            )
            .args(["config"])
            .status(2);
        assert!(out.stderr.contains("monitor.comment_max_chars"), "{out}");
        assert!(out.stderr.contains("65536"), "{out}");
    }
}

#[test]
fn the_defaults_sample_loads_as_a_file_and_changes_nothing() {
    let sample = Test::new()
        .args(["config", "--defaults"])
        .success()
        .stdout
        .clone();
    assert!(sample.contains("\n[monitor]\n"), "{sample}");
    let plain = Test::new().args(["config"]).success().stdout.clone();
    let from_sample = Test::new()
        .file("sglang-bot.toml", &sample)
        .args(["config"])
        .success()
        .stdout
        .clone();
    assert_eq!(from_sample, plain, "every value is still the default");
    let edited = sample.replace("# hours_back = 24", "hours_back = 6");
    assert_ne!(edited, sample);
    let out = Test::new()
        .file("sglang-bot.toml", &edited)
        .args(["config"])
        .success();
    assert!(out.stdout.contains("hours_back = 6  # file "), "{out}");
}

#[test]
fn config_as_json_gives_the_files_values_for_scripts_and_no_secret() {
    let out = Test::new()
        .env("GH_PAT", "ghp_secretvalue1234567890")
        .file(
            "sglang-bot.toml",
            "[[monitor.workflows]]\nname = \"PR Test (AMD)\"\nfile = \"pr-test-amd.yml\"\n",
        )
        .args(["--format", "json", "config"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let files: Vec<&str> = v["monitor"]["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["pr-test-amd.yml"]);
    assert!(!out.stdout.contains("ghp_secretvalue"), "{out}");
    assert!(v.get("secrets").is_none());
}
