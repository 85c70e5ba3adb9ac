//! The command line and configuration, as a user meets them.

use crate::harness::Test;

const SUBCOMMANDS: &[&str] = &[
    "ensure-daily-issue",
    "monitor",
    "daily-summary",
    "failure-tracker",
    "analyze-url",
    "review-pr",
    "ci-status",
    "watch",
    "dashboard",
    "analyze-log",
    "config",
    "completions",
];

#[test]
fn every_subcommand_has_help() {
    for cmd in SUBCOMMANDS {
        let out = Test::new().args([*cmd, "--help"]).success();
        assert!(out.stdout.contains("Usage: sglang-bot"), "{cmd}: {out}");
        assert!(
            out.stdout.contains("--log-format"),
            "{cmd} lacks the global options: {out}"
        );
        // `--dry-run` only where there is something to write.
        let offline = ["analyze-log", "config", "completions"].contains(cmd);
        assert_eq!(out.stdout.contains("--dry-run"), !offline, "{cmd}: {out}");
    }
}

#[test]
fn monitor_defaults_are_the_originals() {
    let out = Test::new().args(["config"]).success();
    for line in [
        "hours_back = 24  # default",
        "branch = \"main\"  # default",
        "output = \"stdout\"  # default",
        "target_repo = \"sgl-project/sglang\"  # default",
        "parallel = 3  # default",
        "comment_max_chars = 60000  # default",
        "max_turns = 1000  # default",
        "timeout_secs = 1800  # default",
        "model = \"claude-opus-4-8\"  # default",
    ] {
        assert!(out.stdout.contains(line), "missing {line:?}\n{out}");
    }
    for wf in [
        "nightly-test-amd.yml",
        "nightly-test-amd-rocm720.yml",
        "release-docker-amd-nightly.yml",
        "release-docker-amd-rocm720-nightly.yml",
        "amd-aiter-scout.yml",
        "pr-test-amd.yml",
        "pr-test-amd-rocm720.yml",
    ] {
        assert!(out.stdout.contains(wf), "missing workflow {wf}\n{out}");
    }
}

#[test]
fn use_agent_environment_and_backend_flag_reach_the_configuration() {
    let out = Test::new()
        .env("USE_AGENT", "false")
        .args(["config"])
        .success();
    assert!(
        out.stdout.contains("kind = \"api\"  # env USE_AGENT"),
        "{out}"
    );
    let out = Test::new()
        .env("USE_AGENT", "false")
        .args(["--backend", "builtin", "config"])
        .success();
    assert!(
        out.stdout.contains("kind = \"builtin\"  # flag --backend"),
        "{out}"
    );
}

#[test]
fn config_precedence_is_file_then_env_then_flag() {
    let file = "[monitor]\nhours_back = 12\nbranch = \"from-file\"\nparallel = 5\n";
    let out = Test::new()
        .file("sglang-bot.toml", file)
        .args(["config"])
        .success();
    assert!(
        out.stdout
            .contains("hours_back = 12  # file sglang-bot.toml"),
        "{out}"
    );
    assert!(out.stdout.contains("parallel = 5  # file"), "{out}");

    let out = Test::new()
        .file("sglang-bot.toml", file)
        .env("AGENT_PARALLEL", "7")
        .args(["config"])
        .success();
    assert!(
        out.stdout.contains("parallel = 7  # env AGENT_PARALLEL"),
        "{out}"
    );

    let out = Test::new()
        .file("custom.toml", file)
        .env("SGLANG_BOT_CONFIG", "custom.toml")
        .env("BOT_REPO", "env/bot")
        .args(["--backend", "api", "config"])
        .success();
    assert!(
        out.stdout
            .contains("bot_repo = \"env/bot\"  # env BOT_REPO"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("branch = \"from-file\"  # file custom.toml"),
        "{out}"
    );
    assert!(
        out.stdout.contains("kind = \"api\"  # flag --backend"),
        "{out}"
    );
}

#[test]
fn unknown_config_key_is_named_with_the_file() {
    let out = Test::new()
        .file("sglang-bot.toml", "[monitor]\nhours_bak = 3\n")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("sglang-bot.toml"), "{out}");
    assert!(out.stderr.contains("hours_bak"), "{out}");
}

#[test]
fn bad_config_value_names_the_key_and_accepted_values() {
    let out = Test::new()
        .file("sglang-bot.toml", "[monitor]\noutput = \"email\"\n")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("output"), "{out}");
    assert!(
        out.stderr.contains("stdout") && out.stderr.contains("daily-issue"),
        "{out}"
    );
}

#[test]
fn bad_environment_value_is_a_usage_error() {
    let out = Test::new()
        .env("AGENT_PARALLEL", "lots")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("AGENT_PARALLEL"), "{out}");
}

#[test]
fn config_never_prints_the_token() {
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    let out = Test::new().env("GH_PAT", token).args(["config"]).success();
    assert!(
        !out.stdout.contains(token) && !out.stderr.contains(token),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("# github_token = [REDACTED] (from env GH_PAT)"),
        "{out}"
    );
}

#[test]
fn configs_output_loads_back_as_a_file_with_the_same_values() {
    let first = Test::new()
        .env("GH_PAT", "ghp_0123456789abcdefghijABCDEFGHIJ012345")
        .env("BOT_REPO", "amd-ci/sglang-ci-bot")
        .env("AGENT_PARALLEL", "7")
        .args(["config"])
        .success();
    let second = Test::new()
        .file("saved.toml", &first.stdout)
        .args(["--config", "saved.toml", "config"])
        .success();
    let values = |text: &str| -> toml::Table { text.parse().expect("config prints TOML") };
    assert_eq!(
        values(&first.stdout),
        values(&second.stdout),
        "{first}\n{second}"
    );
    // The values came from the file the second time.
    assert!(
        second.stdout.contains("parallel = 7  # file saved.toml"),
        "{second}"
    );
}

#[test]
fn token_precedence_prefers_bot_pat_and_skips_empty_values() {
    let out = Test::new()
        .env("BOT_PAT", "")
        .env("GH_PAT", "gh-pat-value-123456")
        .env("GITHUB_TOKEN", "github-token-value-123456")
        .args(["config"])
        .success();
    assert!(
        out.stdout
            .contains("# github_token = [REDACTED] (from env GH_PAT)"),
        "{out}"
    );
    let out = Test::new()
        .env("BOT_PAT", "bot-pat-value-123456")
        .env("GH_PAT", "gh-pat-value-123456")
        .args(["config"])
        .success();
    assert!(
        out.stdout
            .contains("# github_token = [REDACTED] (from env BOT_PAT)"),
        "{out}"
    );
}

#[test]
fn the_command_list_marks_exactly_the_commands_not_built_yet() {
    let help = Test::new().args(["--help"]).success().stdout.clone();
    for cmd in SUBCOMMANDS {
        let line = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(&format!("{cmd} ")))
            .enumerate()
            // The command's line, and the lines its description wraps onto (indented deeper).
            .take_while(|(i, l)| *i == 0 || l.starts_with("        "))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!line.is_empty(), "{cmd} is not listed: {help}");
        let marked = line.contains("(not built yet)");
        // A command not built exits 2 saying so before any network use (no token given).
        let args: Vec<&str> = match *cmd {
            "review-pr" | "ci-status" => vec![cmd, "1", "--no-post"],
            "analyze-url" => vec![cmd, "--url", "https://github.com/o/r/actions/runs/1"],
            "analyze-log" => vec![cmd, "-"],
            "completions" => vec![cmd, "bash"],
            _ => vec![cmd],
        };
        let out = Test::new().args(args).stdin("").run();
        let not_built = out.stderr.contains("not implemented yet");
        assert_eq!(
            marked, not_built,
            "{cmd}: help says {line:?}; running it: {out}"
        );
    }
}

#[test]
fn bad_flag_value_is_exit_2() {
    let out = Test::new().args(["monitor", "--output", "email"]).status(2);
    assert!(out.stderr.contains("daily-issue"), "{out}");
}

#[test]
fn completions_are_generated_for_bash() {
    let out = Test::new().args(["completions", "bash"]).success();
    assert!(out.stdout.contains("sglang-bot"), "{out}");
    assert!(out.stdout.contains("ensure-daily-issue"), "{out}");
}

/// Runs the binary with its standard output closed by the reader before it writes, or sent to
/// a full disk; returns (exit code, stderr).
fn run_into(stdout: std::process::Stdio, close_reader: bool, args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sglang-bot"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .current_dir(home.path())
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if close_reader {
        drop(child.stdout.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly_and_successfully() {
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/logs/rdd-pytest-linux-10-failed.full.log"
    );
    for args in [
        &["--format", "json", "analyze-log", log][..],
        &["config"][..],
        &["completions", "bash"][..],
    ] {
        // Several times: the reader may go away before or while the binary writes.
        for _ in 0..3 {
            let (code, stderr) = run_into(std::process::Stdio::piped(), true, args);
            assert_eq!(code, 0, "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn a_full_disk_is_a_one_line_error_and_exit_1() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        // No /dev/full on this system: nothing to check (Linux, where CI runs, has it).
        return;
    };
    for args in [&["config"][..], &["completions", "bash"][..]] {
        let (code, stderr) = run_into(full.try_clone().unwrap().into(), false, args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write to standard output"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_bad_github_api_url_is_a_configuration_error_naming_the_key() {
    let out = Test::new()
        .env("GITHUB_API_URL", "api.github.com")
        .args(["config"])
        .status(2);
    assert!(out.stderr.contains("github.api_url"), "{out}");
    assert!(out.stderr.contains("GITHUB_API_URL"), "{out}");
}

#[test]
fn the_readmes_sample_configuration_loads() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let install = readme
        .split("## Install")
        .nth(1)
        .expect("an Install section");
    let sample = install
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a TOML sample in the Install section");
    let out = Test::new()
        .file("sample.toml", sample)
        .args(["--config", "sample.toml", "config"])
        .success();
    assert!(
        out.stdout
            .contains("bot_repo = \"amd-ci/sglang-ci-bot\"  # file sample.toml"),
        "{out}"
    );
    assert!(
        out.stdout.contains("hours_back = 24  # file sample.toml"),
        "{out}"
    );
}
