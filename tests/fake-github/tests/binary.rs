//! The `fake-github` binary: starts from the sample scenario, serves the API, and its admin
//! endpoints show what was written.

mod common;

use std::time::{Duration, Instant};

fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let answer = common::send(addr, method, path, body);
    (answer.status, answer.body)
}

#[test]
fn serves_the_sample_scenario_and_reports_writes_on_its_admin_endpoints() {
    let dir = std::env::temp_dir().join(format!("fake-github-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port_file = dir.join("port");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/sample.json"
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fake-github"))
        .args(["--scenario", scenario, "--port", "0", "--port-file"])
        .arg(&port_file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start fake-github");
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file) {
            if !p.is_empty() {
                break p;
            }
        }
        assert!(Instant::now() < deadline, "fake-github did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let addr = format!("127.0.0.1:{}", port.trim());

    let (status, runs) = request(
        &addr,
        "GET",
        "/repos/sgl-project/sglang/actions/workflows/nightly-test-amd.yml/runs?event=schedule",
        "",
    );
    assert_eq!(status, 200);
    assert!(runs.contains("19000001001"), "{runs}");
    let log = common::send(
        &addr,
        "GET",
        "/repos/sgl-project/sglang/actions/jobs/54000001001/logs",
        "",
    );
    assert_eq!(log.status, 302);
    let location = log.headers.iter().find(|(k, _)| k == "location");
    assert!(
        location.is_some_and(|(_, v)| v.contains("/_blobs/logs/sgl-project/sglang/54000001001")),
        "{:?}",
        log.headers
    );
    let (status, _) = request(
        &addr,
        "POST",
        "/repos/amd-ci/sglang-ci-bot/issues",
        r#"{"title":"[CI Monitor] Daily Report - 2026-11-24","body":"b","labels":["ci-monitor"]}"#,
    );
    assert_eq!(status, 201);

    let (_, state) = request(&addr, "GET", "/_fake/state", "");
    assert!(
        state.contains("[CI Monitor] Daily Report - 2026-11-24"),
        "{state}"
    );
    let (_, requests) = request(&addr, "GET", "/_fake/requests", "");
    let requests: serde_json::Value = serde_json::from_str(&requests).unwrap();
    let methods: Vec<&str> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["GET", "GET", "POST"]);
    assert_eq!(requests[2]["status"], 201);
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn latency_delays_api_answers_but_not_the_admin_endpoints() {
    let fake = fake_github::FakeGithub::start(
        serde_json::from_str(r#"{"repos": {"o/r": {}}}"#).expect("scenario"),
    );
    let addr = fake.url().trim_start_matches("http://").to_string();
    fake.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    let (status, _) = request(&addr, "GET", "/user", "");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the answer came after {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let (status, _) = request(&addr, "GET", "/_fake/state", "");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the admin endpoint waited {:?}",
        started.elapsed()
    );
}
