//! Logging to stderr through `tracing`, with every line passed through the redactor.

use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::redact::Redactor;

/// Writes one formatted event to stderr after removing secrets from it.
pub struct RedactingWriter {
    redactor: Redactor,
    buffer: Vec<u8>,
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let clean = self.redactor.redact(&text);
        let result =
            crate::progress::suspend(|| std::io::stderr().lock().write_all(clean.as_bytes()));
        self.buffer.clear();
        result
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Hands `tracing` a fresh redacting writer per event.
#[derive(Clone)]
pub struct RedactingMakeWriter {
    redactor: Redactor,
}

impl<'a> MakeWriter<'a> for RedactingMakeWriter {
    type Writer = RedactingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            redactor: self.redactor.clone(),
            buffer: Vec::with_capacity(256),
        }
    }
}

/// How log lines are written: for people (plain text) or for log collectors (one JSON
/// object a line). The command line's `--log-format` maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// Plain text lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Installs the global subscriber. `RUST_LOG` wins over `-v`/`-q`.
pub fn init(verbose: u8, quiet: u8, format: LineFormat, redactor: Redactor) {
    let level = match (verbose, quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,sglang_bot={level},sglang_logs={level}")));
    let writer = RedactingMakeWriter { redactor };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match format {
        LineFormat::Text => builder.with_ansi(false).try_init(),
        LineFormat::Json => builder.json().try_init(),
    };
}
