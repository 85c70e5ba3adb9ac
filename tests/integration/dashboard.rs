//! `dashboard` against the fake GitHub, on days made the deployed way: each day's scheduled
//! runs appear, `ensure-daily-issue`, `monitor` and `failure-tracker` run, then the page is
//! built from what they wrote. Also the page in a real browser when one is installed.

use std::path::{Path, PathBuf};

use fake_github::{FakeGithub, Scenario};
use serde_json::{json, Value};
use sglang_bot::report::dashboard::data::{CellState, Dashboard};

use crate::harness::Test;
use crate::monitor::{pytest_log, BOT_REPO, NIGHTLY, PR_TEST, UPSTREAM};

const CONFIG: &str = "[monitor]\nworkflows = [\n  { name = \"Nightly Test (AMD)\", file = \"nightly-test-amd.yml\" },\n  { name = \"PR Test (AMD)\", file = \"pr-test-amd.yml\" },\n]\n";

fn date(d: u32) -> String {
    format!("2026-11-{d:02}")
}

/// A scheduled run on day `d`; `failing` tests of `registered/test_dash.py` fail in one job.
fn run(id: u64, d: u32, failing: &[&str]) -> Value {
    let jobs: Vec<Value> = failing
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let test = format!("test/registered/test_dash.py::TestDash::{t}");
            json!({
                "id": id * 10 + i as u64, "name": format!("stage-a-test-{i} (linux-mi325-gpu-1)"),
                "conclusion": "failure", "started_at": format!("{}T01:05:00Z", date(d)),
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": {"text": pytest_log(&test, "AssertionError: 3 != 2")}
            })
        })
        .collect();
    json!({
        "id": id, "event": "schedule",
        "conclusion": if failing.is_empty() { "success" } else { "failure" },
        "head_sha": "3333333333333333333333333333333333333333",
        "created_at": format!("{}T01:00:00Z", date(d)), "jobs": jobs
    })
}

fn bot(fake: &FakeGithub, now: &str) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", now)
        .file("sglang-bot.toml", CONFIG)
        .args(["--backend", "builtin"])
}

/// Days 20–24: the PR workflow fails `test_stuck` every day it runs and `test_wobbly` on
/// 20, 22 and 24, and does not run on 21; the nightly passes on 22 and fails on 24.
fn five_days() -> FakeGithub {
    let fake = FakeGithub::start(
        serde_json::from_value::<Scenario>(json!({
            "bot_login": "amd-bot", "repos": {BOT_REPO: {}, UPSTREAM: {}}
        }))
        .unwrap(),
    );
    fake.expect_writes([
        "POST /repos/amd-ci/sglang-ci-bot/issues",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/{number}",
        "POST /repos/amd-ci/sglang-ci-bot/issues/{number}/comments",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/comments/{id}",
        "POST /repos/sgl-project/sglang/issues",
        "PATCH /repos/sgl-project/sglang/issues/{number}",
        "POST /repos/sgl-project/sglang/issues/{number}/comments",
        "PATCH /repos/sgl-project/sglang/issues/comments/{id}",
        "DELETE /repos/sgl-project/sglang/issues/comments/{id}",
    ]);
    let days: [(u32, Option<Value>, Option<Value>); 5] = [
        (20, Some(run(201, 20, &["test_stuck", "test_wobbly"])), None),
        (21, None, None),
        (
            22,
            Some(run(221, 22, &["test_stuck", "test_wobbly"])),
            Some(run(222, 22, &[])),
        ),
        (23, Some(run(231, 23, &["test_stuck"])), None),
        (
            24,
            Some(run(241, 24, &["test_stuck", "test_wobbly"])),
            Some(run(242, 24, &["test_night"])),
        ),
    ];
    for (d, pr, nightly) in days {
        let mut workflows = serde_json::Map::new();
        if let Some(r) = pr {
            workflows.insert(PR_TEST.into(), json!([r]));
        }
        if let Some(r) = nightly {
            workflows.insert(NIGHTLY.into(), json!([r]));
        }
        fake.add(
            serde_json::from_value(json!({"repos": {UPSTREAM: {"workflows": workflows}}})).unwrap(),
        );
        let now = format!("{}T06:00:00Z", date(d));
        bot(&fake, &now).args(["ensure-daily-issue"]).success();
        bot(&fake, &now)
            .env("BUILD_DAILY_SUMMARY", "false")
            .args(["monitor", "--output", "daily-issue"])
            .success();
        bot(&fake, &now)
            .args(["failure-tracker", "--date", &date(d)])
            .success();
    }
    fake.add(
        serde_json::from_value(json!({"repos": {UPSTREAM: {"issues": [{
            "number": 900, "title": "[Failure Tracker] Nightly Test (AMD)", "user": "amd-bot",
            "labels": ["ci-failure-tracker"], "body": ORIGINAL_TRACKER
        }]}}}))
        .unwrap(),
    );
    fake
}

/// The dashboard's configuration: the trackers also include the nightly one, which the
/// original bot wrote (seeded by [`five_days`]; no run of ours touched it).
const DASHBOARD_TRACKERS: &str = "[[tracker.workflows]]\nfile = \"pr-test-amd.yml\"\ntitle = \"[Failure Tracker] PR Test (AMD)\"\ndisplay = \"PR Test (AMD)\"\n\n[[tracker.workflows]]\nfile = \"nightly-test-amd.yml\"\ntitle = \"[Failure Tracker] Nightly Test (AMD)\"\ndisplay = \"Nightly Test (AMD)\"\n";

/// A nightly tracker in the original bot's format: no scan log, no fail days.
const ORIGINAL_TRACKER: &str = "<!-- ci-failure-tracker:start -->\n<!-- ci-failure-tracker-state:\n{\n\"test/registered/test_night.py::TestNight.test_old\": {\n\"test_file\": \"test/registered/test_night.py\",\n\"test_function\": \"TestNight.test_old\",\n\"cluster\": \"HIP OOM\",\n\"error\": \"RuntimeError: HIP out of memory\",\n\"status\": \"recurring\",\n\"job_url\": \"https://github.com/sgl-project/sglang/actions/runs/1/job/123\",\n\"job_id\": \"123\",\n\"last_seen\": \"2026-11-24\",\n\"first_seen\": \"2026-11-02\"\n},\n\"test/registered/test_night.py::TestNight.test_gone\": {\n\"test_file\": \"test/registered/test_night.py\",\n\"test_function\": \"TestNight.test_gone\",\n\"last_seen\": \"2026-11-12\",\n\"first_seen\": \"2026-11-10\"\n}\n}\n-->\n# Nightly Test (AMD) — Failure Tracker\n<!-- ci-failure-tracker:end -->";

fn dashboard(fake: &FakeGithub) -> (PathBuf, Dashboard, String) {
    // `.0` is gone once this returns (the harness's directory): read what you need here.
    let out = bot(fake, "2026-11-24T07:00:00Z")
        .file(
            "sglang-bot.toml",
            &format!("{CONFIG}\n{DASHBOARD_TRACKERS}"),
        )
        .args(["dashboard", "--out", "site", "--days", "5"])
        .success();
    let dir = out.dir.join("site");
    let data: Dashboard =
        serde_json::from_str(&std::fs::read_to_string(dir.join("data.json")).unwrap())
            .expect("the documented schema");
    assert!(out.stderr.contains("GitHub requests"), "{out}");
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    (dir, data, page)
}

#[test]
fn the_grid_streaks_and_todays_changes_come_from_what_the_bot_wrote() {
    let fake = five_days();
    let (_, data, page) = dashboard(&fake);
    let days: Vec<String> = data.days.iter().map(|d| d.to_string()).collect();
    assert_eq!(days, (20..=24).map(date).collect::<Vec<_>>());
    let row = |file: &str| {
        data.workflows
            .iter()
            .find(|w| w.file == file)
            .unwrap_or_else(|| panic!("{file}"))
            .cells
            .iter()
            .map(|c| (c.state, c.failing_jobs))
            .collect::<Vec<_>>()
    };
    use CellState::*;
    assert_eq!(
        row(PR_TEST),
        [
            (Failed, 2),
            (NoRun, 0),
            (Failed, 2),
            (Failed, 1),
            (Failed, 2)
        ]
    );
    assert_eq!(
        row(NIGHTLY),
        [(NoRun, 0), (NoRun, 0), (Passed, 0), (NoRun, 0), (Failed, 1)]
    );
    let red = &data
        .workflows
        .iter()
        .find(|w| w.file == PR_TEST)
        .unwrap()
        .cells[0];
    assert!(
        red.link.as_deref().unwrap().contains("#issuecomment-"),
        "{red:?}"
    );

    let open: Vec<(&str, usize, usize)> = data
        .clusters
        .iter()
        .flat_map(|c| {
            c.failures
                .iter()
                .map(|f| (f.test.as_str(), f.streak, f.flakiness))
        })
        .collect();
    let stuck = open
        .iter()
        .find(|(t, ..)| t.ends_with("test_stuck"))
        .expect("stuck is open");
    let stuck_since = data
        .clusters
        .iter()
        .flat_map(|c| c.failures.iter())
        .find(|f| f.test.ends_with("test_stuck"))
        .and_then(|f| f.since.clone())
        .expect("the range the monitor saved with the job");
    assert_eq!(
        (
            stuck_since.since.as_str(),
            stuck_since.compare_url.as_deref()
        ),
        ("2026-11-20", None),
        "no green run in the history: {stuck_since:?}"
    );
    assert!(page.contains("failing in all "), "the page says since when");
    assert_eq!(stuck.1, 4, "every scan day 20, 22, 23, 24 failed: {open:?}");
    let wobbly = open
        .iter()
        .find(|(t, ..)| t.ends_with("test_wobbly"))
        .expect("wobbly is open");
    assert_eq!(
        (wobbly.1, wobbly.2),
        (1, 1),
        "fails 20, 22, passes 23, fails 24: {open:?}"
    );
    assert!(data.new_today.is_empty(), "{:?}", data.new_today);
    // The original bot's tracker: its latest failure is open (one day known), the old one not.
    let night: Vec<&str> = data
        .clusters
        .iter()
        .flat_map(|c| c.failures.iter())
        .filter(|f| f.workflow == NIGHTLY)
        .map(|f| f.test.as_str())
        .collect();
    assert_eq!(
        night,
        ["test/registered/test_night.py::TestNight.test_old"],
        "{:?}",
        data.clusters
    );

    assert!(page.len() < 300 * 1024);
    assert_eq!(page.matches("<tr class=\"row\" data-text=").count(), 2);
    for external in ["<script src", "<link", "src=\"http", "@import"] {
        assert!(!page.contains(external), "{external}");
    }
}

#[test]
fn a_second_build_is_answered_mostly_from_the_cache_and_writes_nothing() {
    let fake = five_days();
    let state = tempfile::tempdir().unwrap();
    let config = format!(
        "{CONFIG}state_file = \"{}\"\n",
        state.path().join("ci_monitor.json").display()
    );
    let build = || {
        bot(&fake, "2026-11-24T07:00:00Z")
            .file("sglang-bot.toml", &config)
            .args(["dashboard", "--out", "site", "--days", "5"])
            .success()
    };
    let first = build();
    assert!(first.stderr.contains("(0 answered from cache)"), "{first}");
    fake.reset_requests();
    let second = build();
    let cached: u64 = second
        .stderr
        .split(" answered from cache")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("the request line");
    let requests = fake.requests().len() as u64;
    assert!(
        cached * 2 > requests,
        "{cached} of {requests} from the cache: {second}"
    );
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
}

#[test]
fn bad_days_and_a_missing_bot_repo_are_usage_errors() {
    let fake = five_days();
    bot(&fake, "2026-11-24T07:00:00Z")
        .args(["dashboard", "--out", "site", "--days", "0"])
        .status(2);
    bot(&fake, "2026-11-24T07:00:00Z")
        .env("BOT_REPO", "")
        .args(["dashboard", "--out", "site"])
        .status(2);
}

/// Chromium when installed (`.ci/run` installs it and sets SGLANG_BOT_BROWSER_TEST=1, which
/// turns a missing browser into a failure).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() && std::env::var("SGLANG_BOT_BROWSER_TEST").as_deref() == Ok("1") {
        panic!("SGLANG_BOT_BROWSER_TEST=1 but no chromium on PATH");
    }
    found
}

fn headless(browser: &Path, profile: &Path, extra: &[String]) -> std::process::Output {
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .output()
        .expect("run chromium")
}

#[test]
fn the_page_renders_in_a_real_browser_and_the_url_filter_hides_other_rows() {
    let Some(browser) = chromium() else {
        eprintln!("no chromium on PATH: the browser check runs in .ci/run");
        return;
    };
    let fake = five_days();
    // The command ran in a directory the harness removes: the page is copied out first.
    let (_, _, page) = dashboard(&fake);
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), page).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", site.path().join("index.html").display());
    let dom = headless(
        &browser,
        profile.path(),
        &["--dump-dom".into(), url.clone()],
    );
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert_eq!(
        dom.matches("<tr class=\"row\" data-text=").count(),
        2,
        "{dom}"
    );
    let grid_row = dom
        .lines()
        .find(|l| l.contains("data-text=\"pr-test-amd.yml"))
        .unwrap();
    assert_eq!(
        grid_row.matches("class=\"cell ").count(),
        5,
        "one cell per day"
    );
    assert!(dom.contains("test_stuck</code>") && dom.contains("<td class=\"streak\">4</td>"));

    let filtered = headless(
        &browser,
        profile.path(),
        &["--dump-dom".into(), format!("{url}#q=test_wobbly")],
    );
    let filtered = String::from_utf8_lossy(&filtered.stdout).into_owned();
    let stuck_row = filtered
        .lines()
        .find(|l| l.contains("test_stuck</code>"))
        .expect("row");
    assert!(stuck_row.contains(" hidden"), "{stuck_row}");
    let wobbly_row = filtered
        .lines()
        .find(|l| l.contains("test_wobbly</code>"))
        .expect("row");
    assert!(!wobbly_row.contains(" hidden"), "{wobbly_row}");
    assert!(filtered.contains("value=\"test_wobbly\"") || filtered.contains("id=\"q\""));

    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/dashboard-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        profile.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,900".into(),
            url,
        ],
    );
    assert!(
        shot.metadata().map(|m| m.len() > 1000).unwrap_or(false),
        "no screenshot"
    );
    println!("dashboard screenshot: {}", shot.display());
}
