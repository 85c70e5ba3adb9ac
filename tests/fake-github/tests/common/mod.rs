//! One HTTP/1.1 exchange with the fake over a plain socket, so the fake's own tests need no
//! HTTP client (the fake answers every request with a `Content-Length` and closes).

use std::io::{Read, Write};

/// What came back: status, headers (names lower-cased) and body.
#[allow(dead_code)] // each test crate including this module reads its own part of it
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Sends `method path` with a token and `body` (empty when `""`) to `addr` (`host:port`).
pub(crate) fn send(addr: &str, method: &str, path: &str, body: &str) -> Answer {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the fake");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token t-123\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read the answer");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}
