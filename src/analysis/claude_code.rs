//! Runs the Claude Code CLI (`claude -p`) for one analysis and gets its answer back, even when
//! the run times out or prints nothing.
//!
//! Differences from the original runner, each fixing one of its defects:
//! - the prompt goes on stdin (no argv size limit, and it never shows in `ps`);
//! - `--output-format json` and a forced `--session-id`, so the result is parsed rather than
//!   guessed and recovery reads *this* run's session log, not the newest file of a shared cwd;
//! - the child runs in its own process group and a timeout kills the whole group;
//! - the environment is an allow-list (no inherited write tokens).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// Recovered session text shorter than this is a stub reply ("see above"), not an analysis.
const MIN_RECOVERED_CHARS: usize = 100;
/// How much of stdout/stderr an error carries.
const ERROR_EXCERPT_CHARS: usize = 1000;
/// Files handed to the agent live here, inside its working directory.
pub const CONTEXT_DIR: &str = ".ci-context";

/// How to start the CLI.
#[derive(Debug, Clone)]
pub struct ClaudeCli {
    /// The executable (a name on PATH or a path).
    pub bin: PathBuf,
    /// The agent's whole environment: built by `config::secrets` from an allow-list.
    pub env: Vec<(String, String)>,
    /// Where `~/.claude/projects` is (the agent's HOME).
    pub home: PathBuf,
    /// `--model`, when configured.
    pub model: Option<String>,
}

/// One agent run.
#[derive(Debug, Clone)]
pub struct AgentRun<'a> {
    pub prompt: &'a str,
    pub work_dir: &'a Path,
    /// Written to `{work_dir}/.ci-context/{name}` for the run, removed afterwards.
    pub context_files: &'a [(String, String)],
    pub max_turns: u32,
    pub timeout: Duration,
    /// A marker the answer must contain (e.g. `## CI Status for PR`); when stdout lacks it,
    /// the last session message that has it is preferred.
    pub must_contain: Option<&'a str>,
}

/// What the agent answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentAnswer {
    pub text: String,
    /// The text came from the session log rather than from the result.
    pub recovered: bool,
    /// The run hit the time limit; `text` is the last answer captured before the kill.
    pub timed_out: bool,
    pub session_id: String,
    pub num_turns: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// Why there is no answer.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the Claude Code CLI ({bin}) was not found; install it with `npm install -g @anthropic-ai/claude-code` or set CLAUDE_BIN")]
    Missing { bin: String },
    #[error("Claude Code exited {code}.\nstderr: {stderr}\nstdout: {stdout}")]
    Exited {
        code: i32,
        stderr: String,
        stdout: String,
    },
    #[error("Claude Code timed out after {0}s and left no answer to recover")]
    TimedOut(u64),
    #[error("Claude Code reported an error: {0}")]
    Reported(String),
    #[error("could not run Claude Code: {0}")]
    Io(#[from] std::io::Error),
}

/// Variables through which the CLI gets its model credentials (any one non-empty suffices).
pub const CREDENTIAL_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
];
/// Where `claude login` keeps its credentials, relative to the config dir (`~/.claude` or
/// `$CLAUDE_CONFIG_DIR`).
pub const CREDENTIALS_FILE: &str = "~/.claude/.credentials.json";

impl ClaudeCli {
    /// Where the agent's credentials come from, if it has any. Checked without a model call:
    /// a probe that costs tokens every 30 minutes is not worth it, and a key that is set but
    /// rejected still fails the run, which then falls down the chain like any other failure.
    pub fn credentials(&self) -> Option<String> {
        let var = |name: &str| {
            self.env
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.trim().is_empty())
        };
        if let Some(name) = CREDENTIAL_VARS.iter().find(|n| var(n).is_some()) {
            return Some(format!("${name}"));
        }
        let dir = var("CLAUDE_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join(".claude"));
        let file = dir.join(".credentials.json");
        file.is_file().then(|| file.display().to_string())
    }

    /// True when `claude --version` answers within 10 s.
    /// Why the CLI cannot be used, in words (`None` when it answers `--version` in 10 s).
    pub async fn unavailable_because(&self) -> Option<String> {
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("--version")
            .env_clear()
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let bin = self.bin.display();
        match tokio::time::timeout(Duration::from_secs(10), cmd.status()).await {
            Ok(Ok(status)) if status.success() => None,
            Ok(Ok(status)) => Some(format!("`{bin} --version` failed ({status})")),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Some(format!("{bin} not found on PATH"))
            }
            Ok(Err(e)) => Some(format!("{bin} cannot be started: {e}")),
            Err(_) => Some(format!("`{bin} --version` did not answer within 10 s")),
        }
    }

    /// Runs the agent and returns its answer.
    pub async fn run(&self, run: &AgentRun<'_>) -> Result<AgentAnswer, AgentError> {
        let context = ContextFiles::write(run.work_dir, run.context_files)?;
        let result = self.run_inner(run).await;
        context.remove();
        result
    }

    async fn run_inner(&self, run: &AgentRun<'_>) -> Result<AgentAnswer, AgentError> {
        let session_id = new_session_id();
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("-p")
            .args(["--output-format", "json"])
            .args(["--max-turns", &run.max_turns.to_string()])
            .args(["--session-id", &session_id])
            .arg("--dangerously-skip-permissions");
        if let Some(model) = &self.model {
            cmd.args(["--model", model]);
        }
        cmd.current_dir(run.work_dir)
            .env_clear()
            .envs(self.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AgentError::Missing {
                    bin: self.bin.display().to_string(),
                })
            }
            Err(e) => return Err(e.into()),
        };
        let pgid = child.id();
        if let Some(mut stdin) = child.stdin.take() {
            // A CLI that exits before reading its prompt is reported by its exit status.
            let _ = stdin.write_all(run.prompt.as_bytes()).await;
            drop(stdin);
        }
        let waited = tokio::time::timeout(run.timeout, child.wait_with_output()).await;
        let output = match waited {
            Ok(output) => output?,
            Err(_) => {
                if let Some(pgid) = pgid {
                    kill_group(pgid);
                }
                let recovered = self.recover(run.work_dir, &session_id, None);
                return match recovered {
                    Some(text) => Ok(AgentAnswer {
                        text: format!(
                            "{text}\n\n---\n*Note: the agent timed out after {}s; this is the last answer it gave before it was stopped. Re-run the bot command for a complete analysis.*\n",
                            run.timeout.as_secs()
                        ),
                        recovered: true,
                        timed_out: true,
                        session_id,
                        num_turns: None,
                        cost_usd: None,
                    }),
                    None => Err(AgentError::TimedOut(run.timeout.as_secs())),
                };
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let parsed = parse_result(&stdout);
        let code = output.status.code().unwrap_or(-1);
        let answer_text = parsed
            .as_ref()
            .map(|r| r.result.trim().to_string())
            .unwrap_or_else(|| stdout.trim().to_string());
        let reported_error = parsed.as_ref().filter(|r| r.is_error);

        if !output.status.success() || reported_error.is_some() {
            // A run that ended in error may still have produced a usable answer earlier.
            if let Some(text) = self.recover(run.work_dir, &session_id, run.must_contain) {
                return Ok(self.answer(text, true, &session_id, parsed.as_ref()));
            }
            if let Some(r) = reported_error {
                if output.status.success() {
                    return Err(AgentError::Reported(excerpt(&r.result)));
                }
            }
            return Err(AgentError::Exited {
                code,
                stderr: excerpt(&stderr),
                stdout: excerpt(&stdout),
            });
        }
        if answer_text.is_empty() {
            return match self.recover(run.work_dir, &session_id, None) {
                Some(text) => Ok(self.answer(text, true, &session_id, parsed.as_ref())),
                None => Err(AgentError::Exited {
                    code,
                    stderr: excerpt(&stderr),
                    stdout: "(empty)".into(),
                }),
            };
        }
        if let Some(marker) = run.must_contain {
            if !answer_text.contains(marker) {
                if let Some(text) = self.recover(run.work_dir, &session_id, Some(marker)) {
                    return Ok(self.answer(text, true, &session_id, parsed.as_ref()));
                }
            }
        }
        Ok(self.answer(answer_text, false, &session_id, parsed.as_ref()))
    }

    fn answer(
        &self,
        text: String,
        recovered: bool,
        session_id: &str,
        parsed: Option<&CliResult>,
    ) -> AgentAnswer {
        AgentAnswer {
            text,
            recovered,
            timed_out: false,
            session_id: parsed
                .and_then(|p| p.session_id.clone())
                .unwrap_or_else(|| session_id.to_string()),
            num_turns: parsed.and_then(|p| p.num_turns),
            cost_usd: parsed.and_then(|p| p.total_cost_usd),
        }
    }

    /// The last assistant text of this run's session log (optionally containing `marker`),
    /// if it is long enough to be an answer.
    fn recover(&self, work_dir: &Path, session_id: &str, marker: Option<&str>) -> Option<String> {
        let dir = session_dir(&self.home, work_dir);
        let file = dir.join(format!("{session_id}.jsonl"));
        let text = std::fs::read_to_string(&file).ok()?;
        last_assistant_text(&text, marker).filter(|t| t.chars().count() > MIN_RECOVERED_CHARS)
    }
}

/// The result object of `--output-format json`, leniently: fields come and go between versions.
#[derive(Debug, Clone, serde::Deserialize)]
struct CliResult {
    #[serde(default)]
    result: String,
    #[serde(default)]
    is_error: bool,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    num_turns: Option<u64>,
    #[serde(default)]
    total_cost_usd: Option<f64>,
}

fn parse_result(stdout: &str) -> Option<CliResult> {
    // The result is the last JSON object line (stream-json ends with it too).
    stdout
        .lines()
        .rev()
        .filter(|l| l.trim_start().starts_with('{'))
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l.trim()).ok()?;
            (v.get("type").and_then(|t| t.as_str()) == Some("result"))
                .then(|| serde_json::from_value::<CliResult>(v).ok())
                .flatten()
        })
        .map(|mut r| {
            if r.subtype.as_deref().is_some_and(|s| s != "success") {
                r.is_error = true;
            }
            r
        })
}

/// `~/.claude/projects/<cwd with every non-alphanumeric ASCII character replaced by '-'>`.
pub fn session_dir(home: &Path, work_dir: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(work_dir).unwrap_or_else(|_| work_dir.to_path_buf());
    let encoded: String = absolute
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    home.join(".claude").join("projects").join(encoded)
}

/// The last non-blank text block of an assistant message in a session log; lines that are
/// not JSON or not assistant messages are skipped.
pub fn last_assistant_text(session_log: &str, marker: Option<&str>) -> Option<String> {
    let mut last = None;
    for line in session_log.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if entry.get("type").and_then(|t| t.as_str()) != Some("assistant") {
            continue;
        }
        let message = &entry["message"];
        if message.get("role").and_then(|r| r.as_str()) != Some("assistant") {
            continue;
        }
        let Some(blocks) = message.get("content").and_then(|c| c.as_array()) else {
            continue;
        };
        for block in blocks {
            if block.get("type").and_then(|t| t.as_str()) != Some("text") {
                continue;
            }
            let text = block
                .get("text")
                .and_then(|t| t.as_str())
                .unwrap_or("")
                .trim();
            if text.is_empty() || marker.is_some_and(|m| !text.contains(m)) {
                continue;
            }
            last = Some(text.to_string());
        }
    }
    last
}

fn excerpt(text: &str) -> String {
    text.chars().take(ERROR_EXCERPT_CHARS).collect()
}

/// A random RFC 4122 version-4 UUID, the form `--session-id` requires.
fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// SIGKILL to the whole process group the child leads (it was spawned with
/// `process_group(0)`), so the CLI's own children die with it.
fn kill_group(pgid: u32) {
    let Some(pid) = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH (the group is already gone) is the only failure possible for our own group.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}

/// The `.ci-context/` files of one run; removed afterwards, the directory only when empty.
struct ContextFiles {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

impl ContextFiles {
    fn write(work_dir: &Path, files: &[(String, String)]) -> std::io::Result<Self> {
        let dir = work_dir.join(CONTEXT_DIR);
        std::fs::create_dir_all(&dir)?;
        let mut context = ContextFiles {
            dir,
            written: Vec::new(),
        };
        for (name, content) in files {
            // Names come from our code, but keep them inside the directory regardless.
            let file_name = Path::new(name)
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("context.txt"));
            let path = context.dir.join(file_name);
            std::fs::write(&path, content)?;
            context.written.push(path);
        }
        Ok(context)
    }

    fn remove(self) {
        for path in &self.written {
            let _ = std::fs::remove_file(path);
        }
        // Fails (and is meant to) when the agent left files of its own there.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_dir_encodes_every_non_alphanumeric_character() {
        let home = Path::new("/home/bot");
        assert_eq!(
            session_dir(home, Path::new("/workspace/sglang-wt-123")),
            PathBuf::from("/home/bot/.claude/projects/-workspace-sglang-wt-123")
        );
        assert_eq!(
            session_dir(home, Path::new("/workspace/sglang-wt-review-pr_42")),
            PathBuf::from("/home/bot/.claude/projects/-workspace-sglang-wt-review-pr-42")
        );
    }

    #[test]
    fn recovery_takes_the_last_assistant_text_and_skips_noise() {
        let log = [
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"first"}]}}"#,
            "not json",
            r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"user text"}]}}"#,
            r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","name":"Bash"},{"type":"text","text":"  second  "}]}}"#,
            "",
        ]
        .join("\n");
        assert_eq!(last_assistant_text(&log, None).as_deref(), Some("second"));
        assert_eq!(
            last_assistant_text(&log, Some("first")).as_deref(),
            Some("first")
        );
        assert_eq!(last_assistant_text(&log, Some("absent")), None);
    }

    #[test]
    fn result_object_is_parsed_leniently() {
        let out = "noise\n{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":false,\"result\":\"\",\"session_id\":\"s\",\"new_field\":1}\n";
        let r = parse_result(out).unwrap();
        assert!(r.is_error, "an error subtype counts as an error");
        assert_eq!(r.session_id.as_deref(), Some("s"));
        assert!(parse_result("plain text").is_none());
    }

    #[test]
    fn session_ids_are_version_4_uuids() {
        let id = new_session_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        let parsed = uuid::Uuid::parse_str(&id).expect("a UUID");
        assert_eq!(parsed.get_version(), Some(uuid::Version::Random));
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(
            parsed.hyphenated().to_string(),
            id,
            "lower-case, hyphenated"
        );
        assert_ne!(new_session_id(), id, "each run gets its own session");
    }
}
