//! A builder that runs the real binary with a clean environment and checks what it did.
//! On failure it prints the command, status, stdout and stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Environment variables that would leak the developer's own setup into a test.
const SCRUBBED: &[&str] = &[
    "BOT_PAT",
    "GH_PAT",
    "GITHUB_TOKEN",
    "AGENT_GH_TOKEN",
    "BOT_REPO",
    "GITHUB_API_URL",
    "LLM_GATEWAY_URL",
    "LLM_CA_BUNDLE",
    "CLAUDE_MODEL",
    "CLAUDE_BIN",
    "LLM_GATEWAY_KEY",
    "USE_AGENT",
    "BUILD_DAILY_SUMMARY",
    "BUILD_DAILY_BOARD",
    "AGENT_PARALLEL",
    "AGENT_MAX_TURNS",
    "AGENT_TIMEOUT_SECS",
    "SGLANG_BOT_CONFIG",
    "SGLANG_BOT_BACKEND",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "RUST_LOG",
];

/// One run of the binary, described fluently.
#[must_use]
pub struct Test {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    dir: tempfile::TempDir,
    stdin: Option<Vec<u8>>,
}

/// What a run produced.
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
    command: String,
}

impl Test {
    pub fn new() -> Self {
        Test {
            args: Vec::new(),
            env: BTreeMap::new(),
            dir: tempfile::tempdir().expect("temp dir"),
            stdin: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Writes a file into the test's working directory.
    pub fn file(self, name: &str, contents: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, contents).expect("write test file");
        self
    }

    #[allow(dead_code)] // used by the analyze-log tests
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs the binary and returns what it produced, whatever the status.
    pub fn run(self) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sglang-bot"));
        cmd.args(&self.args).current_dir(self.dir.path());
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.dir.path());
        cmd.envs(&self.env);
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn sglang-bot");
        if let Some(bytes) = &self.stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(bytes)
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("wait for sglang-bot");
        let dir = self.dir.keep();
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
            command: format!("sglang-bot {}", self.args.join(" ")),
        }
    }

    /// Runs and requires exit code 0.
    pub fn success(self) -> Output {
        self.status(0)
    }

    /// Runs and requires the given exit code.
    #[track_caller]
    pub fn status(self, code: i32) -> Output {
        let out = self.run();
        if out.status != code {
            panic!("expected exit {code}\n{out}");
        }
        out
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\ncwd: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.dir.display(),
            self.status,
            self.stdout,
            self.stderr
        )
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Our `agent/CLAUDE.md`, for configurations written by tests (the binary runs elsewhere).
pub fn agent_guide() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/agent/CLAUDE.md").to_string()
}

/// A `[backend]` table for the agent: our guide, a workspace and where to clone sglang from.
pub fn agent_config(workspace: &std::path::Path, clone_url: &str) -> String {
    format!(
        "[backend]\ninstructions = {:?}\nworkspace = {:?}\nclone_url = {:?}\n",
        agent_guide(),
        workspace.display().to_string(),
        clone_url
    )
}
