//! A builder that runs the real binary as a user would, in a temporary directory with a
//! cleared environment, and checks the exit code, stdout and stderr together: every mismatch
//! is listed at once, followed by the command, status, stdout and stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Variables passed on from the test's own environment: where programs are (`git`, the
/// stub `claude`'s interpreter) and where a coverage run wants the child's profile. Nothing
/// else of the developer's setup (tokens, `RUST_LOG`, `SGLANG_BOT_*`, CI variables) reaches
/// the binary; a test sets what it needs with [`Test::env`].
const PASSED_ON: &[&str] = &["PATH", "LLVM_PROFILE_FILE"];

/// One run of the binary, described fluently.
#[must_use]
pub struct Test {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    dir: tempfile::TempDir,
    stdin: Option<Vec<u8>>,
    expected: Vec<Expect>,
}

/// What the user must (or must not) see.
enum Expect {
    Contains(Stream, String),
    Lacks(Stream, String),
    Is(Stream, String),
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn of(self, out: &Output) -> &str {
        match self {
            Stream::Stdout => &out.stdout,
            Stream::Stderr => &out.stderr,
        }
    }
}

impl Expect {
    /// Why `out` does not meet this expectation, if it does not.
    fn mismatch(&self, out: &Output) -> Option<String> {
        match self {
            Expect::Contains(s, text) => {
                (!s.of(out).contains(text.as_str())).then(|| format!("{} lacks {text:?}", s.name()))
            }
            Expect::Lacks(s, text) => s
                .of(out)
                .contains(text.as_str())
                .then(|| format!("{} contains {text:?}", s.name())),
            Expect::Is(s, text) => {
                (s.of(out) != text).then(|| format!("{} is not exactly {text:?}", s.name()))
            }
        }
    }
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
            expected: Vec::new(),
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

    /// Sets a variable for the binary (over the harness's own `HOME`, `TMPDIR`, `PATH`).
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

    /// Feeds `bytes` to the binary's stdin (otherwise stdin is empty).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Requires `text` somewhere in stdout.
    pub fn stdout_contains(mut self, text: &str) -> Self {
        self.expected
            .push(Expect::Contains(Stream::Stdout, text.into()));
        self
    }

    /// Requires `text` nowhere in stdout.
    pub fn stdout_lacks(mut self, text: &str) -> Self {
        self.expected
            .push(Expect::Lacks(Stream::Stdout, text.into()));
        self
    }

    /// Requires stdout to be exactly `text`.
    pub fn stdout_is(mut self, text: &str) -> Self {
        self.expected.push(Expect::Is(Stream::Stdout, text.into()));
        self
    }

    /// Requires `text` somewhere in stderr (the log lines).
    pub fn stderr_contains(mut self, text: &str) -> Self {
        self.expected
            .push(Expect::Contains(Stream::Stderr, text.into()));
        self
    }

    /// Requires `text` nowhere in stderr.
    pub fn stderr_lacks(mut self, text: &str) -> Self {
        self.expected
            .push(Expect::Lacks(Stream::Stderr, text.into()));
        self
    }

    /// Runs the binary and returns what it produced, whatever the status; the stdout and
    /// stderr expectations are checked.
    #[track_caller]
    pub fn run(self) -> Output {
        let (out, expected) = self.spawn();
        check(&out, None, &expected);
        out
    }

    fn spawn(self) -> (Output, Vec<Expect>) {
        let home = self.dir.path().join("home");
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&home).expect("create HOME");
        std::fs::create_dir_all(&tmp).expect("create TMPDIR");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sglang-bot"));
        cmd.args(&self.args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("HOME", &home)
            .env("TMPDIR", &tmp);
        for var in PASSED_ON {
            if let Some(value) = std::env::var_os(var) {
                cmd.env(var, value);
            }
        }
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
        let output = Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
            command: format!("sglang-bot {}", self.args.join(" ")),
        };
        (output, self.expected)
    }

    /// Runs and requires exit code 0 and every expectation.
    #[track_caller]
    pub fn success(self) -> Output {
        self.status(0)
    }

    /// Runs and requires the given exit code and every expectation.
    #[track_caller]
    pub fn status(self, code: i32) -> Output {
        let (out, expected) = self.spawn();
        check(&out, Some(code), &expected);
        out
    }
}

/// Panics with every way `out` differs from what was expected, then the whole output.
#[track_caller]
fn check(out: &Output, code: Option<i32>, expected: &[Expect]) {
    let mut mismatches: Vec<String> = code
        .filter(|c| *c != out.status)
        .map(|c| format!("expected exit {c}, got {}", out.status))
        .into_iter()
        .collect();
    mismatches.extend(expected.iter().filter_map(|e| e.mismatch(out)));
    if !mismatches.is_empty() {
        panic!("{}\n{out}", mismatches.join("\n"));
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

#[test]
fn the_binary_sees_nothing_of_the_test_runners_environment_but_path() {
    // A variable the bot reads, set where a developer's shell would set it.
    std::env::set_var("AGENT_WORKSPACE", "/from-the-developers-shell");
    let out = Test::new()
        .args(["config"])
        .stdout_contains("workspace = \"/workspace\"  # default")
        .stdout_lacks("/from-the-developers-shell")
        .success();
    std::env::remove_var("AGENT_WORKSPACE");
    assert!(out.dir.join("home").is_dir() && out.dir.join("tmp").is_dir());
}

#[test]
fn every_mismatch_is_reported_at_once_with_the_output() {
    let failure = std::panic::catch_unwind(|| {
        Test::new()
            .args(["config"])
            .stdout_contains("no such line")
            .stderr_lacks("")
            .status(2);
    })
    .expect_err("three mismatches");
    let text = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    for line in [
        "expected exit 2, got 0\n",
        "stdout lacks \"no such line\"\n",
        "stderr contains \"\"\n",
        "command: sglang-bot config\n",
        "--- stdout ---\n# Effective configuration",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}
