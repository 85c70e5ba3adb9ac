//! A stateful fake of the GitHub REST endpoints sglang-bot uses (and of the LLM gateway's
//! Messages endpoint), served on 127.0.0.1. Tests start it in-process with
//! [`FakeGithub::start`]; the `fake-github` binary serves a scenario file for manual runs and
//! benchmarks. The scenario format is documented in this crate's README.

pub mod logs;
pub mod model;
pub mod scenario;
pub mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use model::RequestRecord;
pub use scenario::Scenario;

/// A running fake. Dropping it stops the server.
pub struct FakeGithub {
    addr: SocketAddr,
    world: Arc<Mutex<model::World>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeGithub {
    /// Serves `scenario` on 127.0.0.1 (a free port) from a thread of its own, so synchronous
    /// tests can use it.
    pub fn start(scenario: Scenario) -> FakeGithub {
        Self::start_on(scenario, 0).expect("fake GitHub starts")
    }

    /// Like [`FakeGithub::start`], on a given port (0 = any free one).
    pub fn start_on(scenario: Scenario, port: u16) -> std::io::Result<FakeGithub> {
        let world = Arc::new(Mutex::new(model::World::new(scenario)));
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread_world = world.clone();
        let thread = std::thread::Builder::new()
            .name("fake-github".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("fake runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    serve(listener, thread_world, rx).await;
                });
            })?;
        Ok(FakeGithub {
            addr,
            world,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the API base URL to give the bot.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Everything the fake holds, as `/_fake/state` shows it.
    pub fn state(&self) -> serde_json::Value {
        self.world.lock().expect("world lock").snapshot(&self.url())
    }

    /// Every request so far, in order (admin requests excluded).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.world.lock().expect("world lock").requests.clone()
    }

    /// Requests that changed something (POST, PATCH, PUT, DELETE) on the API.
    pub fn writes(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE"))
            .filter(|r| r.path != "/v1/messages")
            .collect()
    }

    /// Forgets the request log (e.g. between two ticks of a test).
    pub fn reset_requests(&self) {
        self.world.lock().expect("world lock").requests.clear();
    }

    /// Adds runs, issues, faults … to the running fake.
    pub fn add(&self, scenario: Scenario) {
        self.world.lock().expect("world lock").merge(scenario);
    }

    /// The bodies posted to `/v1/messages`.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.world.lock().expect("world lock").messages.clone()
    }

    /// The comments of one issue, oldest first: (id, author, body).
    pub fn comments(&self, repo: &str, number: u64) -> Vec<(u64, String, String)> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .and_then(|r| r.issues.iter().find(|i| i.number == number))
            .map(|i| {
                i.comments
                    .iter()
                    .map(|c| (c.id, c.user.clone(), c.body.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The issues of a repository: (number, title, state, labels).
    pub fn issues(&self, repo: &str) -> Vec<(u64, String, String, Vec<String>)> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .map(|r| {
                r.issues
                    .iter()
                    .map(|i| (i.number, i.title.clone(), i.state.clone(), i.labels.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    world: Arc<Mutex<model::World>>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let base = Arc::new(format!(
        "http://{}",
        listener.local_addr().expect("bound address")
    ));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let world = world.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| server::handle(req, world.clone(), base.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}
