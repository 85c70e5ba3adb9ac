//! The deployment (`.github/`, `runner/`, `sglang-bot.toml`) checked without deploying: every
//! `sglang-bot` call parses with the real CLI, no `run:` body interpolates an expression or
//! evals, the image is multi-stage, pinned and not root, the entrypoint supervises its
//! children, and the deployment's configuration file loads.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use regex::Regex;

use crate::harness::Test;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every workflow and action file of `.github/`.
fn yaml_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join(".github")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read .github") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml")
                && path.file_name().is_some_and(|n| n != "actionlint.yaml")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 6,
        "five workflows and the setup action: {out:?}"
    );
    out
}

/// The shell scripts of `runner/`.
fn shell_files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("runner"))
        .expect("runner/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    out.sort();
    out
}

/// The `run:` bodies of a workflow or action file: an inline value, or the block scalar's lines
/// indented deeper than the key. Hand-rolled rather than a YAML crate: the files are ours,
/// actionlint (run by .ci/run) checks their structure, and this is all the test needs.
fn run_bodies(yaml: &str) -> Vec<String> {
    let key = Regex::new(r"^(\s*(?:-\s+)?)run:\s*(.*)$").expect("regex");
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(c) = key.captures(lines[i]) else {
            i += 1;
            continue;
        };
        let column = c[1].len();
        let rest = c[2].trim();
        i += 1;
        if !rest.starts_with('|') && !rest.starts_with('>') {
            out.push(rest.to_string());
            continue;
        }
        let mut body = Vec::new();
        while i < lines.len() {
            let line = lines[i];
            let indent = line.len() - line.trim_start().len();
            if !line.trim().is_empty() && indent <= column {
                break;
            }
            body.push(line.trim_start());
            i += 1;
        }
        out.push(body.join("\n"));
    }
    out
}

/// Shell text with `\` line continuations joined and comment lines dropped.
fn logical_lines(shell: &str) -> Vec<String> {
    shell
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// What each variable of an `sglang-bot` call stands for, as shell text of the right shape.
const VALUES: &[(&str, &str)] = &[
    ("\"$HOURS_BACK\"", "24"),
    ("\"$OUTPUT_MODE\"", "daily-issue"),
    ("\"$BOT_REPO\"", "amd-ci/sglang-ci-bot"),
    ("\"$WORKFLOW\"", "pr-test-amd.yml"),
    ("\"$AGENT_SWITCH\"", "--no-use-agent"),
    ("\"$TICK_DATE\"", "2026-12-01"),
    (
        "\"$URL\"",
        "https://github.com/sgl-project/sglang/actions/runs/24384910439",
    ),
    ("\"$PR_NUMBER\"", "24512"),
    (
        "\"${args[@]}\"",
        "24512 --focus 'kernels; $(rm -rf /) and tests' --no-post",
    ),
    ("\"$SINCE_HOURS\"", "1"),
    ("\"$POLL_INTERVAL\"", "15"),
    ("\"$repo_path\"", "amd-ci/sglang-ci-bot"),
];

/// The bot's invocations in `text`: the words after the program, up to the end of the command.
fn invocations(text: &str) -> Vec<String> {
    let program = Regex::new(
        r#"(?:^|\$\(|[;|&]\s*)(?:exec\s+)?(?:sglang-bot|"\$SGLANG_BOT"|"\$GITHUB_WORKSPACE/\.bin/sglang-bot")(\s.*|$)"#,
    )
    .expect("regex");
    let end = Regex::new(r"\s(?:\||&&|\|\|)\s|;|\)").expect("regex");
    let mut out = Vec::new();
    for line in logical_lines(text) {
        if let Some(c) = program.captures(&line) {
            let args = c[1].trim();
            let args = end.find(args).map_or(args, |m| &args[..m.start()]);
            out.push(args.trim().to_string());
        }
    }
    out
}

/// `args` with every variable replaced from [`VALUES`]; an unknown one fails the test.
fn substituted(args: &str, source: &Path) -> String {
    let mut out = args.to_string();
    let mut unknown = args.to_string();
    for (var, value) in VALUES {
        out = out.replace(var, value);
        unknown = unknown.replace(var, "");
    }
    assert!(
        !unknown.contains('$'),
        "{}: no value for a variable in `sglang-bot {args}` (add it to VALUES)",
        source.display()
    );
    out
}

#[test]
fn every_sglang_bot_call_in_the_workflows_and_runner_scripts_parses_with_the_real_cli() {
    let mut calls: Vec<(PathBuf, String)> = Vec::new();
    for path in yaml_files() {
        for body in run_bodies(&read(&path)) {
            calls.extend(invocations(&body).into_iter().map(|a| (path.clone(), a)));
        }
    }
    for path in shell_files() {
        calls.extend(
            invocations(&read(&path))
                .into_iter()
                .map(|a| (path.clone(), a)),
        );
    }
    let mut commands = std::collections::BTreeSet::new();
    for (path, args) in &calls {
        let text = substituted(args, path);
        let words = shlex::split(&text)
            .unwrap_or_else(|| panic!("{}: cannot split {text}", path.display()));
        let argv = std::iter::once("sglang-bot".to_string()).chain(words.iter().cloned());
        match sglang_bot::cli::Cli::try_parse_from(argv) {
            Ok(cli) => {
                commands.insert(
                    format!("{:?}", cli.command)
                        .split('(')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
            }
            Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {}
            Err(e) => panic!(
                "{}: `sglang-bot {text}` does not parse:\n{e}",
                path.display()
            ),
        }
    }
    println!("checked {} sglang-bot invocations", calls.len());
    for command in [
        "EnsureDailyIssue",
        "Monitor",
        "DailySummary",
        "FailureTracker",
        "AnalyzeUrl",
        "CiStatus",
        "ReviewPr",
        "Watch",
        "Config",
    ] {
        assert!(
            commands.contains(command),
            "no {command} call in {commands:?}"
        );
    }
}

#[test]
fn the_invocation_check_fails_on_a_renamed_flag_and_an_unknown_variable() {
    let renamed = "sglang-bot monitor --hours \"$HOURS_BACK\"";
    let text = substituted(&invocations(renamed)[0], Path::new("x"));
    let words = shlex::split(&text).unwrap();
    let argv = std::iter::once("sglang-bot".to_string()).chain(words);
    assert!(sglang_bot::cli::Cli::try_parse_from(argv).is_err());
    let unknown =
        std::panic::catch_unwind(|| substituted("ci-status \"$NEW_VAR\"", Path::new("x")));
    assert!(unknown.is_err(), "a variable without a value fails");
    assert_eq!(
        invocations("list=$(sglang-bot --format json config | jq -r '.x')"),
        ["--format json config"]
    );
}

#[test]
fn no_run_body_interpolates_an_expression_or_evals() {
    let eval = Regex::new(r"\beval\b").expect("regex");
    let mut bodies = 0;
    for path in yaml_files() {
        for body in run_bodies(&read(&path)) {
            bodies += 1;
            assert!(
                !body.contains("${{"),
                "{}: a run: body interpolates an expression (pass it through env:):\n{body}",
                path.display()
            );
            assert!(!eval.is_match(&body), "{}: eval in\n{body}", path.display());
        }
    }
    assert!(bodies >= 10, "{bodies}");
    let bad = "steps:\n  - name: x\n    run: |\n      echo \"${{ github.event.comment.body }}\"\n  - run: eval \"$X\"\n";
    let found = run_bodies(bad);
    assert!(
        found[0].contains("${{") && eval.is_match(&found[1]),
        "{found:?}"
    );
}

#[test]
fn every_job_has_a_timeout_and_every_workflow_least_privilege_permissions() {
    let jobs = Regex::new(r"(?m)^    runs-on: ").expect("regex");
    for path in yaml_files()
        .iter()
        .filter(|p| p.starts_with(root().join(".github/workflows")))
    {
        let text = read(path);
        assert!(text.contains("\npermissions:\n"), "{}", path.display());
        assert!(!text.contains("write-all"), "{}", path.display());
        let n = jobs.find_iter(&text).count();
        assert!(n >= 1, "{}", path.display());
        assert_eq!(
            text.matches("    timeout-minutes: ").count(),
            n,
            "{}",
            path.display()
        );
    }
}

#[test]
fn the_runner_image_is_multi_stage_pinned_and_not_root() {
    let dockerfile = read(&root().join("runner/Dockerfile"));
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(lines
        .iter()
        .any(|l| Regex::new(r"^FROM \S+ AS build$").unwrap().is_match(l)));
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "{froms:?}");
    assert!(!dockerfile.contains(":latest") && !dockerfile.contains("@latest"));
    let last_user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert!(!["root", "0"].contains(&last_user.trim()), "{last_user}");
    let npm = Regex::new(r"npm install -g (\S+)").unwrap();
    for c in npm.captures_iter(&dockerfile) {
        let package = c[1].trim_matches('"');
        assert!(
            package
                .rsplit_once('@')
                .is_some_and(|(name, v)| !name.is_empty() && !v.is_empty()),
            "unpinned npm package {package}"
        );
    }
    // No Python, also not through Debian's npm (node-gyp depends on it).
    let instructions = lines.join("\n").to_lowercase();
    assert!(!instructions.contains("python") && !instructions.contains("pip install"));
    for line in lines.iter().filter(|l| l.contains("apt-get install")) {
        for package in line.split_whitespace() {
            assert!(!["nodejs", "npm", "node-gyp"].contains(&package), "{line}");
        }
    }
}

#[test]
fn the_deployments_configuration_file_loads_and_keeps_the_originals_lists() {
    let file = root().join("sglang-bot.toml");
    let deployed = Test::new()
        .args([
            "--config",
            file.to_str().unwrap(),
            "--format",
            "json",
            "config",
        ])
        .success();
    let defaults = Test::new().args(["--format", "json", "config"]).success();
    let deployed: serde_json::Value = serde_json::from_str(&deployed.stdout).unwrap();
    let defaults: serde_json::Value = serde_json::from_str(&defaults.stdout).unwrap();
    for key in ["monitor", "tracker", "watch", "ci_status"] {
        assert_eq!(deployed[key], defaults[key], "{key}");
    }
}

/// A scratch fleet host: stub `config.sh`/`run.sh` in a runner directory, stub `curl` and
/// `sglang-bot` on PATH, a bot repository to sync, and a log every stub appends to.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Host {
        let dir = tempfile::tempdir().expect("tempdir");
        let host = Host { dir };
        host.script(
            "runner/config.sh",
            "#!/bin/sh\necho \"config $*\" >> \"$LOG\"\n",
        );
        host.script(
            "runner/run.sh",
            "#!/bin/bash\necho \"listener started\" >> \"$LOG\"\ntrap 'echo \"listener stopped\" >> \"$LOG\"; exit 0' TERM\nwhile true; do sleep 0.1; done\n",
        );
        host.script(
            "bin/curl",
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in\n  */registration-token) echo '{\"token\": \"REGTOKEN\", \"expires_at\": \"x\"}'; exit 0 ;;\n  */ci-monitor.yml/dispatches) echo \"dispatch\" >> \"$LOG\"; exit 0 ;;\nesac; done\nexit 22\n",
        );
        // The watcher crashes on its first start, then runs until it is stopped.
        host.script(
            "bin/sglang-bot",
            "#!/bin/bash\nn=$(grep -c '^watch start' \"$LOG\" || true)\necho \"watch start $* pid=$$ cwd=$PWD\" >> \"$LOG\"\nif [ \"$n\" = 0 ]; then exit 3; fi\ntrap 'echo \"watch stopped\" >> \"$LOG\"; exit 0' TERM\nwhile true; do sleep 0.1; done\n",
        );
        let bot = host.path("bot-src");
        std::fs::create_dir_all(&bot).unwrap();
        std::fs::write(bot.join("sglang-bot.toml"), "[watch]\n").unwrap();
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "."],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "commit",
                "-qm",
                "c",
            ],
        ] {
            let ok = Command::new("git")
                .args(args)
                .current_dir(&bot)
                .status()
                .unwrap();
            assert!(ok.success(), "git {args:?}");
        }
        std::fs::write(host.path("log"), "").unwrap();
        host
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn script(&self, rel: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("log")).unwrap()
    }

    fn start(&self) -> Child {
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg(root().join("runner/entrypoint.sh"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("LOG", self.path("log"))
            .env("REPO_URL", "https://github.com/amd-ci/sglang-ci-bot")
            .env("GH_PAT", "registration-pat")
            .env("RUNNER_NAME", "amd-ci-bot-runner-1")
            .env("RUNNER_DIR", self.path("runner"))
            .env("ENABLE_WATCHER", "true")
            .env("DISPATCH_INTERVAL", "1")
            .env("RESTART_MAX_DELAY", "1")
            .env("SGLANG_BOT", self.path("bin/sglang-bot"))
            .env("BOT_CHECKOUT", self.path("checkout"))
            .env("BOT_CLONE_URL", self.path("bot-src"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the entrypoint")
    }

    /// Waits until the log satisfies `done`, or fails with the log.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if done(&self.log()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}; log:\n{}", self.log());
    }
}

#[test]
fn the_entrypoint_restarts_a_crashed_watcher_dispatches_on_schedule_and_stops_everything_on_sigterm(
) {
    let host = Host::new();
    let mut entrypoint = host.start();
    host.wait_for(
        "the registration, the listener, a restart and two dispatches",
        |log| {
            log.contains("listener started")
                && log.matches("watch start").count() >= 2
                && log.matches("dispatch").count() >= 2
        },
    );
    let log = host.log();
    assert!(
        log.contains("config --url https://github.com/amd-ci/sglang-ci-bot --token REGTOKEN --name amd-ci-bot-runner-1 --labels self-hosted,amd-internal --unattended --replace"),
        "{log}"
    );
    let checkout = host.path("checkout");
    assert!(
        checkout.join("sglang-bot.toml").exists(),
        "the bot repository is synced"
    );
    assert!(
        log.contains(
            "watch start watch --daemon --poll-interval 15 --bot-repo amd-ci/sglang-ci-bot pid="
        ) && log.contains(&format!("cwd={}", checkout.display())),
        "{log}"
    );

    // bash's own `kill`: no procps needed.
    let status = Command::new("bash")
        .args(["-c", &format!("kill -TERM {}", entrypoint.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = entrypoint.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the entrypoint did not stop; log:\n{}",
            host.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let log = host.log();
    assert!(log.contains("watch stopped"), "{log}");
    assert!(log.contains("listener stopped"), "{log}");
    assert!(
        log.contains("config remove --token REGTOKEN"),
        "deregistered: {log}"
    );
    let last_watcher = log
        .lines()
        .filter_map(|l| l.split("pid=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .next_back()
        .expect("a watcher pid");
    let alive = Command::new("bash")
        .args(["-c", &format!("kill -0 {last_watcher}")])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !alive.success(),
        "the watcher {last_watcher} outlived the entrypoint"
    );
}

#[test]
fn setup_explains_itself_refuses_bad_options_and_never_prints_a_secret() {
    let setup = root().join("runner/setup.sh");
    let run = |args: &[&str]| {
        Command::new("bash")
            .arg(&setup)
            .args(args)
            .output()
            .expect("run setup.sh")
    };
    let help = run(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--bot-pat PAT"));
    for (args, says) in [
        (&[][..], "--pat is required"),
        (
            &["--pat", "x", "--count", "0"],
            "--count must be a positive integer",
        ),
        (
            &["--pat", "x", "--frobnicate"],
            "unknown option: --frobnicate",
        ),
        (
            &["--pat", "x", "--repo", "a b"],
            "--repo must be OWNER/NAME",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}"
        );
    }
    let dry = run(&[
        "--pat",
        "ghp_registration_secret",
        "--bot-pat",
        "ghp_bot_secret",
        "--count",
        "2",
        "--use-agent",
        "--llm-gateway-key",
        "gateway_secret",
        "--dry-run",
    ]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let text = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(text.matches("docker run").count(), 2, "{text}");
    assert_eq!(
        text.matches("ENABLE_WATCHER=true").count(),
        1,
        "runner-1 only: {text}"
    );
    assert!(
        text.contains("USE_AGENT=true"),
        "--use-agent is forwarded: {text}"
    );
    for secret in [
        "ghp_registration_secret",
        "ghp_bot_secret",
        "gateway_secret",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}
