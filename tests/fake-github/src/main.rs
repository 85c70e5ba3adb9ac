//! `fake-github --scenario FILE [--port 0] [--port-file PATH] [--latency-ms N]`: serves a
//! scenario on 127.0.0.1 until interrupted, logging one line per request to stderr; every
//! API answer waits N ms first (0 by default), as a real GitHub's round trip does.

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!("usage: fake-github --scenario FILE [--port N] [--port-file PATH] [--latency-ms N]");
    std::process::exit(2);
}

fn main() {
    let mut scenario = None;
    let mut port = 0u16;
    let mut port_file: Option<PathBuf> = None;
    let mut latency_ms = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scenario" => scenario = args.next().map(PathBuf::from),
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--port-file" => port_file = args.next().map(PathBuf::from),
            "--latency-ms" => {
                latency_ms = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let Some(path) = scenario else { usage() };
    let scenario = match fake_github::Scenario::from_file(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-github: {e:#}");
            std::process::exit(2);
        }
    };
    let mut fake = match fake_github::FakeGithub::start_on(scenario, port) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-github: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    // A person or a benchmark drives the bot here: there is no test whose writes to check.
    fake.allow_any_write();
    fake.set_latency(std::time::Duration::from_millis(latency_ms));
    if let Some(file) = port_file {
        if let Err(e) = std::fs::write(&file, fake.port().to_string()) {
            eprintln!("fake-github: cannot write {}: {e}", file.display());
            std::process::exit(1);
        }
    }
    eprintln!("fake-github: serving {} on {}", path.display(), fake.url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut seen = 0;
    runtime.block_on(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate() => break,
                _ = tick.tick() => {
                    let requests = fake.requests();
                    for r in requests.iter().skip(seen) {
                        eprintln!("{} {} -> {}", r.method, r.path, r.status);
                    }
                    seen = requests.len();
                }
            }
        }
    });
    eprintln!("fake-github: stopped");
}

async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
