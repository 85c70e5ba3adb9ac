//! The daily issue: its title, label and seeded body.

use super::markers::{SUMMARY_END, SUMMARY_START};

/// What the summary block holds until `daily-summary` first fills it.
pub const SUMMARY_PLACEHOLDER: &str =
    "_The cross-workflow summary appears here after the first scan (about 30 minutes)._";

/// The body a new daily issue starts with: the summary placeholder (filled by
/// `daily-summary`), then the day's header and the watched workflows.
pub fn seeded_body(date: &str, upstream: &str, workflows: &[String]) -> String {
    let mut body = format!(
        "{SUMMARY_START}\n{SUMMARY_PLACEHOLDER}\n{SUMMARY_END}\n\n---\n\n## CI Monitor — {date}\n\n**Repo**: [{upstream}](https://github.com/{upstream})\n\n**Monitored Workflows**:\n"
    );
    for wf in workflows {
        body.push_str(&format!("- `{wf}`\n"));
    }
    body.push_str("\n_Each workflow's failures are reported in the comments below; the summary above is rebuilt as they arrive._\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_body_has_the_summary_markers_and_the_workflow_list() {
        let body = seeded_body(
            "2026-11-24",
            "sgl-project/sglang",
            &["nightly-test-amd.yml".into(), "pr-test-amd.yml".into()],
        );
        assert!(body.starts_with("<!-- daily-cross-workflow-summary:start -->\n_"));
        assert!(body.contains("_\n<!-- daily-cross-workflow-summary:end -->\n\n---\n\n## CI Monitor — 2026-11-24\n\n**Repo**: [sgl-project/sglang](https://github.com/sgl-project/sglang)\n\n**Monitored Workflows**:\n- `nightly-test-amd.yml`\n- `pr-test-amd.yml`\n\n_"));
        assert!(body.ends_with("_\n"));
    }
}
