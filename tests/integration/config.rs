//! Configuration as a user meets it: bad environment values are named.

use crate::harness::Test;

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
