//! A stateful fake of the GitHub REST endpoints sglang-bot uses (and of the LLM gateway's
//! Messages endpoint), served on 127.0.0.1. Tests start it in-process with
//! [`FakeGithub::start`]; the `fake-github` binary serves a scenario file for manual runs and
//! benchmarks. The scenario format is documented in this crate's README.
//!
//! A test declares the writes it expects ([`FakeGithub::expect_writes`]); any other write
//! fails it when the fake is dropped, so a bot that starts writing where it should not is
//! caught by every test, not only by those that count writes.

pub mod logs;
pub mod model;
pub mod objects;
mod routes;
pub mod scenario;
pub mod server;
mod writes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use model::RequestRecord;
pub use routes::MAX_BODY_CHARS;
pub use scenario::Scenario;
pub use writes::ExpectedWrite;

/// A running fake. Dropping it stops the server, then fails the test (unless it is already
/// failing) if a write came that no [`FakeGithub::expect_writes`] declared.
pub struct FakeGithub {
    addr: SocketAddr,
    world: Arc<Mutex<model::World>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    check_writes: bool,
}

/// An issue as the fake holds it, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// Label names.
    pub labels: Vec<String>,
    /// The author's login.
    pub author: String,
}

/// A comment as the fake holds it, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeComment {
    pub id: u64,
    /// The author's login.
    pub author: String,
    pub body: String,
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
            check_writes: true,
        })
    }

    /// Delays every API answer by `latency` from now on, as a real GitHub does.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.world.lock().expect("world lock").latency = latency;
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

    /// Requests that changed something (POST, PATCH, PUT, DELETE) on the API, since the last
    /// [`FakeGithub::reset_requests`].
    pub fn writes(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(RequestRecord::is_write)
            .collect()
    }

    /// Declares writes the test expects, each `"METHOD /path"` where a `{…}` segment stands
    /// for any one segment (see [`ExpectedWrite`]). Declaring says "may happen", not "must":
    /// tests that need a write to happen still assert it.
    #[track_caller]
    pub fn expect_writes<I, S>(&self, writes: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let parsed: Vec<ExpectedWrite> = writes
            .into_iter()
            .map(|w| ExpectedWrite::parse(w.as_ref()))
            .collect();
        self.world
            .lock()
            .expect("world lock")
            .expected_writes
            .extend(parsed);
    }

    /// Writes since start (resets included) that no declaration covers.
    pub fn unexpected_writes(&self) -> Vec<RequestRecord> {
        self.world.lock().expect("world lock").unexpected_writes()
    }

    /// Fails now if a write came that the test did not declare (dropping the fake checks the
    /// same; this is for a test that wants the failure at a given point).
    #[track_caller]
    pub fn assert_no_unexpected_writes(&self) {
        if let Some(report) = self.unexpected_report() {
            panic!("{report}");
        }
    }

    /// Turns the write check off: for the `fake-github` program, where a person or a
    /// benchmark drives the bot and there is no test to fail.
    pub fn allow_any_write(&mut self) {
        self.check_writes = false;
    }

    fn unexpected_report(&self) -> Option<String> {
        let w = self.world.lock().expect("world lock");
        let unexpected = w.unexpected_writes();
        if unexpected.is_empty() {
            return None;
        }
        let list = |items: Vec<String>| {
            if items.is_empty() {
                "  (none)".to_string()
            } else {
                items.iter().map(|i| format!("  {i}\n")).collect::<String>()
            }
        };
        Some(format!(
            "the fake GitHub received writes the test did not declare with expect_writes:\n{}declared:\n{}",
            list(unexpected.iter().map(ToString::to_string).collect()),
            list(w.expected_writes.iter().map(ToString::to_string).collect()),
        ))
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

    /// The comments of one issue, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<FakeComment> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .and_then(|r| r.issues.iter().find(|i| i.number == number))
            .map(|i| {
                i.comments
                    .iter()
                    .map(|c| FakeComment {
                        id: c.id,
                        author: c.user.clone(),
                        body: c.body.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `repository_dispatch` events a repository received, in order, each
    /// `{"event_type": …, "client_payload": …}` as sent.
    pub fn dispatches(&self, repo: &str) -> Vec<serde_json::Value> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .map(|r| r.dispatches.clone())
            .unwrap_or_default()
    }

    /// The reactions on a comment, oldest first, each `(login, content)`.
    pub fn reactions(&self, repo: &str, comment_id: u64) -> Vec<(String, String)> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .and_then(|r| {
                r.issues
                    .iter()
                    .flat_map(|i| i.comments.iter())
                    .find(|c| c.id == comment_id)
            })
            .map(|c| {
                c.reactions
                    .iter()
                    .map(|r| (r.user.clone(), r.content.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Changes a comment's body as its author would, moving its `updated_at` to now.
    pub fn edit_comment(&self, repo: &str, comment_id: u64, body: &str) {
        let mut w = self.world.lock().expect("world lock");
        if let Some(c) = w.repos.get_mut(repo).and_then(|r| {
            r.issues
                .iter_mut()
                .flat_map(|i| i.comments.iter_mut())
                .find(|c| c.id == comment_id)
        }) {
            c.body = body.to_string();
            c.updated_at = model::now_iso();
        }
    }

    /// The issues of a repository, in the order they were made.
    pub fn issues(&self, repo: &str) -> Vec<FakeIssue> {
        let w = self.world.lock().expect("world lock");
        w.repos
            .get(repo)
            .map(|r| {
                r.issues
                    .iter()
                    .map(|i| FakeIssue {
                        number: i.number,
                        title: i.title.clone(),
                        body: i.body.clone(),
                        state: i.state.clone(),
                        labels: i.labels.clone(),
                        author: i.user.clone(),
                    })
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
        // A second panic while unwinding would abort the whole test binary.
        if self.check_writes && !std::thread::panicking() {
            if let Some(report) = self.unexpected_report() {
                panic!("{report}");
            }
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
