//! `sglang-bot analyze-log FILE|-`: the builtin analysis of a local job log, offline.

use std::io::Read;

use anyhow::Result;

use super::{UsageError, EXIT_OK};
use crate::cli::{AnalyzeLogArgs, Format};
use crate::logs::{render_markdown, Analyzer, ReportContext};
use crate::redact::Redactor;

/// Streams the log through the analyser and prints the report (Markdown or JSON).
pub(crate) fn run(args: &AnalyzeLogArgs, format: Format, redactor: &Redactor) -> Result<i32> {
    let raw: Box<dyn Read> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&args.file) {
            Ok(f) => Box::new(f),
            Err(e) => {
                return Err(UsageError(format!("cannot read {}: {e}", args.file.display())).into())
            }
        }
    };
    let mut reader = super::log_input::open(raw, &args.file.display().to_string())?;
    let mut analyzer = Analyzer::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => analyzer.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(UsageError(format!("cannot read {}: {e}", args.file.display())).into())
            }
        }
    }
    let analysis = analyzer.finish();
    if analysis.bytes == 0 {
        tracing::warn!("{} is empty: nothing to analyse", args.file.display());
    }
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&analysis)?,
        Format::Text => render_markdown(&analysis, &ReportContext::default()),
    };
    crate::output::println(&redactor.redact(&text))?;
    Ok(EXIT_OK)
}
