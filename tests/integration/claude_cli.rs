//! The Claude Code runner against a stub `claude` executable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sglang_bot::analysis::claude_code::{AgentError, AgentRun, ClaudeCli};

struct Stub {
    dir: tempfile::TempDir,
    bin: PathBuf,
    work: PathBuf,
}

const LONG_ANSWER: &str = "## Job Failure Analysis\nThe test test_eval_accuracy failed because the MI300 runner produced 0.61 accuracy against a 0.62 threshold; rerun after the aiter bump.";

impl Stub {
    fn new(mode: &str) -> Stub {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("claude");
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stub-claude"),
            &bin,
        )
        .unwrap();
        std::fs::write(dir.path().join("claude.mode"), mode).unwrap();
        std::fs::write(dir.path().join("claude.answer"), LONG_ANSWER).unwrap();
        let work = dir.path().join("sglang-wt-123");
        std::fs::create_dir_all(&work).unwrap();
        Stub { dir, bin, work }
    }

    fn cli(&self, env: &[(&str, &str)]) -> ClaudeCli {
        let mut vars: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
        vars.push(("HOME".into(), self.dir.path().display().to_string()));
        ClaudeCli {
            bin: self.bin.clone(),
            env: vars,
            home: self.dir.path().to_path_buf(),
            model: Some("opus".into()),
        }
    }

    fn record(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("claude.record")).unwrap_or_default()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

fn run<'a>(work: &'a Path, prompt: &'a str, timeout: Duration) -> AgentRun<'a> {
    AgentRun {
        prompt,
        work_dir: work,
        context_files: &[],
        max_turns: 150,
        timeout,
        must_contain: None,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn agent_runs_in_its_work_dir_with_the_documented_flags_and_prompt_on_stdin() {
    let stub = Stub::new("ok");
    let cli = stub.cli(&[]);
    let answer = rt()
        .block_on(cli.run(&run(
            &stub.work,
            "Task: Job Failure Analysis",
            Duration::from_secs(30),
        )))
        .unwrap();
    assert_eq!(answer.text, LONG_ANSWER);
    assert!(!answer.recovered && !answer.timed_out);
    assert_eq!(answer.num_turns, Some(3));
    let record = stub.record();
    let cwd = std::fs::canonicalize(&stub.work).unwrap();
    assert!(
        record.contains(&format!("cwd={}", cwd.display())),
        "{record}"
    );
    let args: Vec<&str> = record
        .lines()
        .filter_map(|l| l.strip_prefix("arg="))
        .collect();
    assert_eq!(args[0], "-p");
    for pair in [
        ["--output-format", "json"],
        ["--max-turns", "150"],
        ["--model", "opus"],
    ] {
        assert!(args.windows(2).any(|w| w == pair), "{pair:?} in {args:?}");
    }
    assert!(args.contains(&"--dangerously-skip-permissions"));
    assert!(args.contains(&"--session-id"));
    assert!(
        !args.iter().any(|a| a.contains("Task:")),
        "prompt must not be in argv"
    );
    assert_eq!(stub.file("claude.prompt"), "Task: Job Failure Analysis");
}

#[test]
fn agent_environment_is_exactly_the_allow_list() {
    let stub = Stub::new("ok");
    std::env::set_var(
        "SGLANG_BOT_TEST_WRITE_TOKEN",
        "ghp_writewritewritewritewritewrite1234",
    );
    let cli = stub.cli(&[("GH_PAT", "read-only-token-value")]);
    rt().block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap();
    let record = stub.record();
    let env: Vec<&str> = record
        .lines()
        .filter_map(|l| l.strip_prefix("env="))
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .collect();
    assert!(env.contains(&"GH_PAT"));
    assert!(!env.contains(&"SGLANG_BOT_TEST_WRITE_TOKEN"), "{env:?}");
    assert!(!record.contains("ghp_writewrite"));
}

fn is_gone(pid: &str) -> bool {
    let pid = pid.trim();
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie has exited; only its parent's bookkeeping remains.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn timeout_kills_the_agent_and_its_children_and_recovers_the_last_answer() {
    let stub = Stub::new("sleep");
    let cli = stub.cli(&[]);
    let answer = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(2))))
        .unwrap();
    assert!(answer.timed_out && answer.recovered);
    assert!(answer.text.starts_with(LONG_ANSWER));
    assert!(answer.text.contains("timed out after 2s"));
    let pid = stub.file("claude.pid");
    let grandchild = stub.file("claude.grandchild");
    assert!(!pid.is_empty() && !grandchild.is_empty());
    // Killing is immediate; reaping by init may take a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(is_gone(&pid) && is_gone(&grandchild)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(is_gone(&pid), "the agent survived the timeout");
    assert!(
        is_gone(&grandchild),
        "the agent's child survived the timeout"
    );
}

#[test]
fn empty_answer_is_recovered_from_this_runs_session_log() {
    let stub = Stub::new("empty");
    let cli = stub.cli(&[]);
    let answer = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap();
    assert!(answer.recovered);
    assert_eq!(answer.text, LONG_ANSWER);
}

#[test]
fn a_short_recovered_text_is_not_an_answer() {
    let stub = Stub::new("empty");
    std::fs::write(stub.dir.path().join("claude.answer"), "see above").unwrap();
    let cli = stub.cli(&[]);
    let err = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap_err();
    assert!(matches!(err, AgentError::Exited { .. }), "{err}");
}

#[test]
fn a_crash_reports_the_exit_code_and_stderr() {
    let stub = Stub::new("die");
    let cli = stub.cli(&[]);
    let err = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("exited 3"), "{message}");
    assert!(message.contains("stub failure on stderr"), "{message}");
}

#[test]
fn a_missing_cli_says_how_to_install_it() {
    let stub = Stub::new("ok");
    let mut cli = stub.cli(&[]);
    cli.bin = stub.dir.path().join("no-such-claude");
    let err = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap_err();
    assert!(matches!(err, AgentError::Missing { .. }));
    assert!(err
        .to_string()
        .contains("npm install -g @anthropic-ai/claude-code"));
    assert!(rt().block_on(cli.unavailable_because()).is_some());
    assert!(rt().block_on(stub.cli(&[]).unavailable_because()).is_none());
}

#[test]
fn context_files_exist_only_during_the_run() {
    let stub = Stub::new("ok");
    let cli = stub.cli(&[]);
    let files = [("per-job-analyses.md".to_string(), "analyses".to_string())];
    let mut r = run(&stub.work, "p", Duration::from_secs(30));
    r.context_files = &files;
    rt().block_on(cli.run(&r)).unwrap();
    assert!(!stub.work.join(".ci-context").exists());
}

#[test]
fn g26_a_reply_without_the_required_marker_gives_way_to_the_session_text_that_has_it() {
    let stub = Stub::new("marker");
    let cli = stub.cli(&[]);
    let mut request = run(&stub.work, "p", Duration::from_secs(30));
    request.must_contain = Some("## Job Failure Analysis");
    let answer = rt().block_on(cli.run(&request)).unwrap();
    assert_eq!(answer.text, LONG_ANSWER);
    assert!(answer.recovered);

    // Without a marker to look for, the short reply is what the agent said.
    let plain = rt()
        .block_on(cli.run(&run(&stub.work, "p", Duration::from_secs(30))))
        .unwrap();
    assert_eq!(plain.text, "Already delivered above.");
    assert!(!plain.recovered);
}

#[test]
fn credentials_come_from_the_agent_environment_or_the_login_file() {
    let stub = Stub::new("ok");
    assert_eq!(stub.cli(&[]).credentials(), None);
    assert_eq!(
        stub.cli(&[("ANTHROPIC_API_KEY", "sk-ant-key-123")])
            .credentials()
            .as_deref(),
        Some("$ANTHROPIC_API_KEY")
    );
    assert_eq!(
        stub.cli(&[("CLAUDE_CODE_OAUTH_TOKEN", " ")]).credentials(),
        None
    );
    let login = stub.dir.path().join(".claude/.credentials.json");
    std::fs::create_dir_all(login.parent().unwrap()).unwrap();
    std::fs::write(&login, "{}").unwrap();
    assert_eq!(
        stub.cli(&[]).credentials(),
        Some(login.display().to_string())
    );
}
