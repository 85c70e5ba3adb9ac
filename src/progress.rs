//! Progress bars for long work: drawn on stderr only when it is a terminal and logs are
//! human-readable text; otherwise hidden, so CI logs keep their plain lines.

use std::io::IsTerminal;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// Turns bars on for this process when stderr is a terminal; call once at start.
pub fn init(enabled: bool) {
    if enabled && std::io::stderr().is_terminal() {
        let _ = BARS.set(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
    }
}

/// A bar of `len` steps labelled `label`; hidden when bars are off.
pub fn bar(len: u64, label: &str) -> ProgressBar {
    let Some(multi) = BARS.get() else {
        return ProgressBar::hidden();
    };
    let bar = multi.add(ProgressBar::new(len));
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar
}

/// Runs `write` with the bars lifted off the screen, so a log line never tears a bar.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    match BARS.get() {
        Some(multi) => multi.suspend(write),
        None => write(),
    }
}
