//! What goes between the summary markers: a backend's text checked and cleaned, then wrapped
//! with the content marker, the hidden inputs digest and cluster list, and a footer naming the
//! producer.

use std::sync::OnceLock;

use regex::Regex;

use super::extract::extract_report;
use super::markers::{
    footer, DAILY_SUMMARY_ANCHOR, SUMMARY_CLUSTERS_PREFIX, SUMMARY_CONTENT, SUMMARY_HEADING,
    SUMMARY_INPUTS_PREFIX,
};

fn anchor() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(DAILY_SUMMARY_ANCHOR).expect("summary anchor"))
}

/// Marker families a published summary must not contain: any of them inside the block would
/// end it early or be taken for bot state on the next read.
const FORBIDDEN: &[&str] = &[
    "<!-- daily-cross-workflow-summary",
    "<!-- ci-monitor-daily-status-board",
    "<!-- daily-summary-",
    "<!-- legacy issue body",
];

/// A backend's text as published: trimmed, a leading content marker dropped (so it is never
/// written twice), and only the report from the **last** summary heading on (earlier drafts
/// and any preamble go); without that heading, prose before the first heading is dropped.
pub fn clean(text: &str) -> String {
    let t = text.trim();
    let t = t.strip_prefix(SUMMARY_CONTENT).unwrap_or(t).trim_start();
    extract_report(t, anchor()).trim().to_string()
}

/// The cleaned text of an agent or API answer, or why it cannot be published: it must start
/// with the `# Daily Cross-Workflow Summary` heading and hold none of our markers (an echoed
/// end marker would cut the block short on the next replacement).
pub fn accept(text: &str) -> Result<String, String> {
    let cleaned = clean(text);
    if anchor().find(&cleaned).is_none_or(|m| m.start() != 0) {
        let first: String = cleaned
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(80)
            .collect();
        return Err(format!(
            "the answer has no `{SUMMARY_HEADING}` heading (it starts with {first:?})"
        ));
    }
    if let Some(marker) = FORBIDDEN.iter().find(|m| cleaned.contains(*m)) {
        return Err(format!(
            "the answer contains the bot's marker `{marker}…`, which would corrupt the block"
        ));
    }
    Ok(cleaned)
}

/// The block's content: the content marker, the hidden digest and cluster list, the summary,
/// an optional note (a preferred backend failed), and the footer naming who wrote it.
pub fn wrap(
    summary: &str,
    producer: &str,
    snapshot: &str,
    note: Option<&str>,
    digest: &str,
    clusters_json: &str,
) -> String {
    let note = note
        .map(|n| format!("\n_Note: {}_\n", n.replace('_', "\\_")))
        .unwrap_or_default();
    format!(
        "{SUMMARY_CONTENT}\n{SUMMARY_INPUTS_PREFIX}{digest} -->\n{SUMMARY_CLUSTERS_PREFIX}{} -->\n{}\n{note}\n---\n{}\n",
        hide(clusters_json),
        summary.trim(),
        footer(producer, snapshot)
    )
}

/// JSON made safe inside an HTML comment: every `>` written `\u003e` (still the same JSON), so
/// no text in it can close the comment.
pub fn hide(json: &str) -> String {
    json.replace('>', "\\u003e")
}

/// The hidden cluster list's JSON in a block's text, if any.
pub fn clusters_json(inner: &str) -> Option<&str> {
    let start = inner.find(SUMMARY_CLUSTERS_PREFIX)? + SUMMARY_CLUSTERS_PREFIX.len();
    let len = inner[start..].find(" -->")?;
    Some(&inner[start..start + len])
}

/// A stable 128-bit digest as 32 hex digits (two FNV-1a passes with different bases): not a
/// security hash, only "did the inputs change", and the same on every platform and release.
pub fn digest(bytes: &[u8]) -> String {
    let pass = |basis: u64| {
        bytes.iter().fold(basis, |hash, b| {
            (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        pass(0xcbf2_9ce4_8422_2325),
        pass(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "# Daily Cross-Workflow Summary — 2026-11-24\nbody";

    #[test]
    fn g13_a_leading_content_marker_is_not_kept_twice() {
        let text = format!("  {SUMMARY_CONTENT}\n\n{REPORT}");
        assert_eq!(clean(&text), REPORT);
        let wrapped = wrap(
            &clean(&text),
            "Claude API",
            "2026-11-24 06:00 UTC",
            None,
            "d",
            "[]",
        );
        assert_eq!(wrapped.matches(SUMMARY_CONTENT).count(), 1);
    }

    #[test]
    fn g14_only_the_text_from_the_last_heading_is_kept() {
        let text = format!(
            "draft\n{}\n# Daily Cross-Workflow Summary — final\nok",
            REPORT.repeat(12)
        );
        assert_eq!(clean(&text), "# Daily Cross-Workflow Summary — final\nok");
    }

    #[test]
    fn g15_without_the_heading_prose_before_the_first_heading_goes() {
        assert_eq!(clean("Sure!\n## Status\nx"), "## Status\nx");
        assert_eq!(clean("\n  just words"), "just words");
    }

    #[test]
    fn weakness_10_answers_without_the_heading_or_with_our_markers_are_rejected() {
        assert_eq!(accept(&format!("Here it is:\n{REPORT}")).unwrap(), REPORT);
        assert!(accept("Error: rate limited")
            .unwrap_err()
            .contains("no `# Daily"));
        assert!(accept("## Daily Cross-Workflow Summary\nx").is_err());
        for marker in [
            "<!-- daily-cross-workflow-summary:end -->",
            "<!-- ci-monitor-daily-status-board:start -->",
            "<!-- ci-monitor-daily-status-board -->",
            "<!-- daily-summary-inputs: 1 -->",
        ] {
            let err = accept(&format!("{REPORT}\n{marker}\ntail")).unwrap_err();
            assert!(err.contains("marker"), "{err}");
        }
    }

    #[test]
    fn g17_a_recovered_answer_keeps_its_timeout_note() {
        let text = format!(
            "{REPORT}\n\n---\n*Note: the agent timed out after 1200s; this is the last answer.*\n"
        );
        let kept = accept(&text).unwrap();
        assert!(kept.ends_with("*Note: the agent timed out after 1200s; this is the last answer.*"));
    }

    #[test]
    fn the_wrapper_hides_the_digest_and_clusters_and_names_the_producer() {
        let w = wrap(
            REPORT,
            "Claude Code CLI",
            "2026-11-24 06:00 UTC",
            Some("agent_x failed"),
            "abc",
            r#"[{"n":"a-->b"}]"#,
        );
        assert!(w.starts_with(&format!("{SUMMARY_CONTENT}\n<!-- daily-summary-inputs: abc -->\n<!-- daily-summary-clusters: [{{\"n\":\"a--\\u003eb\"}}] -->\n# Daily")));
        assert!(w.contains("\n_Note: agent\\_x failed_\n"));
        assert!(w.ends_with("---\n*Generated by amd-bot using Claude Code CLI (last updated: 2026-11-24 06:00 UTC)*\n"));
        assert_eq!(clusters_json(&w), Some(r#"[{"n":"a--\u003eb"}]"#));
        assert_eq!(super::super::summary_block::digest(&w), Some("abc"));
    }

    #[test]
    fn the_digest_is_stable_and_sensitive() {
        assert_eq!(digest(b"abc"), digest(b"abc"));
        assert_ne!(digest(b"abc"), digest(b"abd"));
        assert_eq!(digest(b"").len(), 32);
    }
}
