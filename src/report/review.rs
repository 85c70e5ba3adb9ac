//! The `review-pr` comment: one per pull request, found again by its hidden marker (which
//! also records the commit reviewed), rewritten in place on a re-run with the previous review
//! folded below it, and always within GitHub's 65,536-character limit (a review too long is
//! cut with a note, never refused by GitHub). The visible parts keep the original's wording:
//! the requester line, `## Claude Code Review`, the header line of the agent or the API, and
//! the footer naming who wrote it. Pure: the caller passes the time and the requester.

/// Start of the hidden first line of every review comment.
pub const REVIEW_MARKER_PREFIX: &str = "<!-- sglang-bot-review-pr";
/// The hidden line before the folded previous review.
pub const PREVIOUS_MARKER: &str = "<!-- sglang-bot-review-previous -->";
/// GitHub's limit on a comment body, in characters.
pub const BODY_LIMIT: usize = crate::limits::MAX_BODY_CHARS;
/// Room kept below the limit for the cut notes and the fold's tags.
const SLACK: usize = 600;

/// The marker line of a review of `sha`.
pub fn marker(sha: &str) -> String {
    format!("{REVIEW_MARKER_PREFIX} sha={sha} -->")
}

/// Which header line the review gets: the agent's has no title (as in the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `> PR #N — Reviewed at …`.
    Agent,
    /// `> PR #N: title` then `> Reviewed at …` (the API's, and the builtin checks').
    Other,
}

/// Everything the comment shows.
#[derive(Debug, Clone, Copy)]
pub struct Review<'a> {
    pub pr: u64,
    pub title: &'a str,
    pub head_sha: &'a str,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub reviewed_at: &'a str,
    /// The `COMMENT_AUTHOR` of the request, when set.
    pub requester: Option<&'a str>,
    pub style: Style,
    /// Who wrote the review (`Claude Code CLI`, `Claude API`, the builtin analyser).
    pub producer: &'a str,
    /// Why a preferred backend did not write it, when one failed.
    pub note: Option<&'a str>,
    /// The review (Markdown).
    pub text: &'a str,
    /// Appended after the review (e.g. which files the model did not see).
    pub appendix: &'a str,
}

/// A review already posted: the commit it reviewed and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub sha: String,
    /// The visible body, without the marker and without its own folded predecessor.
    pub text: String,
}

/// Whether `body` is a review comment (its first line is our marker).
pub fn is_review(body: &str) -> bool {
    body.starts_with(REVIEW_MARKER_PREFIX)
}

/// The review a comment holds, when it is one of ours.
pub fn previous_of(body: &str) -> Option<Previous> {
    if !is_review(body) {
        return None;
    }
    let (first, rest) = body.split_once('\n').unwrap_or((body, ""));
    let sha = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("sha="))
        .unwrap_or("")
        .to_string();
    let text = match rest.find(PREVIOUS_MARKER) {
        Some(at) => &rest[..at],
        None => rest,
    };
    Some(Previous {
        sha,
        text: text.trim().to_string(),
    })
}

/// The requester line, only for a plausible GitHub login (the variable is not trusted to hold
/// Markdown or a mention of someone else's choosing).
fn requester_line(requester: Option<&str>) -> String {
    match requester.map(str::trim) {
        Some(login)
            if !login.is_empty()
                && login.len() <= 39
                && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            format!("> @{login} requested a review\n\n")
        }
        _ => String::new(),
    }
}

/// The review's text with our markers made inert, so no answer can forge or end a comment.
fn inert(text: &str) -> String {
    text.replace(REVIEW_MARKER_PREFIX, "&lt;!-- sglang-bot-review-pr")
        .replace(PREVIOUS_MARKER, "&lt;!-- sglang-bot-review-previous --&gt;")
}

/// The first `max` characters of `text`, with a note saying how much was cut.
fn cut(text: &str, max: usize, what: &str) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!(
        "{kept}\n\n*… {what} cut here to fit GitHub's comment limit: {} characters left out.*",
        total - max
    )
}

/// The whole comment; `previous` is folded below the new review.
pub fn render(r: &Review<'_>, previous: Option<&Previous>) -> String {
    let head = match r.style {
        Style::Agent => format!("> PR #{} — Reviewed at {}", r.pr, r.reviewed_at),
        Style::Other => format!(
            "> PR #{}: {}\n> Reviewed at {}",
            r.pr,
            r.title.replace(['\n', '\r'], " "),
            r.reviewed_at
        ),
    };
    let top = format!(
        "{}\n{}## Claude Code Review\n\n{head}\n\n",
        marker(r.head_sha),
        requester_line(r.requester)
    );
    let note = r
        .note
        .map(|n| format!("\n\n*Note: {}*", n.replace(['\n', '\r'], " ")))
        .unwrap_or_default();
    let footer = format!(
        "{note}\n\n---\n*Generated by amd-bot using {}*\n",
        r.producer
    );
    let appendix = if r.appendix.trim().is_empty() {
        String::new()
    } else {
        format!("\n\n{}", r.appendix.trim_end())
    };
    let fixed = top.chars().count() + footer.chars().count() + SLACK;
    let room = BODY_LIMIT.saturating_sub(fixed);
    let review = cut(
        &format!("{}{appendix}", inert(r.text.trim())),
        room,
        "review",
    );
    let mut body = format!("{top}{review}{footer}");
    if let Some(p) = previous {
        let left = BODY_LIMIT.saturating_sub(body.chars().count() + SLACK);
        body.push_str(&fold(p, left));
    }
    body
}

/// The previous review in a `<details>` block naming its commit, within `room` characters.
fn fold(p: &Previous, room: usize) -> String {
    let sha = p
        .sha
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>();
    let short: String = sha.chars().take(7).collect();
    let commit = if short.is_empty() {
        "an unknown commit".to_string()
    } else {
        format!("commit <code>{short}</code>")
    };
    // Its own tags would close our fold early.
    let text = inert(&p.text)
        .replace("<details", "&lt;details")
        .replace("</details>", "&lt;/details&gt;");
    format!(
        "\n{PREVIOUS_MARKER}\n<details>\n<summary>Previous review, of {commit}</summary>\n\n{}\n\n</details>\n",
        cut(&text, room, "previous review")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review<'a>(text: &'a str, requester: Option<&'a str>) -> Review<'a> {
        Review {
            pr: 42,
            title: "Fix the radix cache",
            head_sha: "0123456789abcdef0123456789abcdef01234567",
            reviewed_at: "2026-11-24 06:00 UTC",
            requester,
            style: Style::Agent,
            producer: "Claude Code CLI",
            note: None,
            text,
            appendix: "",
        }
    }

    #[test]
    fn the_agent_body_keeps_the_originals_format_behind_the_marker() {
        let body = render(&review("## Summary\nGood.", Some("alice")), None);
        assert_eq!(
            body,
            "<!-- sglang-bot-review-pr sha=0123456789abcdef0123456789abcdef01234567 -->\n> @alice requested a review\n\n## Claude Code Review\n\n> PR #42 — Reviewed at 2026-11-24 06:00 UTC\n\n## Summary\nGood.\n\n---\n*Generated by amd-bot using Claude Code CLI*\n"
        );
        let api = render(
            &Review {
                style: Style::Other,
                producer: "Claude API",
                note: Some(
                    "Claude Code CLI failed (see the run log); this analysis is by the Claude API.",
                ),
                ..review("r", None)
            },
            None,
        );
        assert!(
            api.contains("## Claude Code Review\n\n> PR #42: Fix the radix cache\n> Reviewed at 2026-11-24 06:00 UTC\n\nr\n\n*Note: Claude Code CLI failed"),
            "{api}"
        );
        assert!(
            api.ends_with("\n\n---\n*Generated by amd-bot using Claude API*\n"),
            "{api}"
        );
    }

    #[test]
    fn g51_the_requester_line_is_there_only_for_a_non_empty_plausible_login() {
        for absent in [None, Some(""), Some("  "), Some("x <b>y</b>"), Some("a\nb")] {
            let body = render(&review("r", absent), None);
            assert!(!body.contains("requested a review"), "{absent:?}: {body}");
        }
        assert!(render(&review("r", Some("bob-2")), None).contains("> @bob-2 requested a review\n"));
    }

    #[test]
    fn a_rerun_folds_the_previous_review_naming_its_commit_and_only_the_latest_one() {
        let first = render(&review("first review", None), None);
        let prev = previous_of(&first).unwrap();
        assert_eq!(prev.sha, "0123456789abcdef0123456789abcdef01234567");
        let second = render(
            &Review {
                head_sha: "fedcba9876543210fedcba9876543210fedcba98",
                ..review("second review", None)
            },
            Some(&prev),
        );
        assert!(
            second.starts_with("<!-- sglang-bot-review-pr sha=fedcba98"),
            "{second}"
        );
        assert!(
            second.contains("<details>\n<summary>Previous review, of commit <code>0123456</code></summary>\n\n## Claude Code Review"),
            "{second}"
        );
        assert!(second.contains("first review"), "{second}");
        // A third run keeps only the second review, not the first one folded inside it.
        let third = render(&review("third", None), previous_of(&second).as_ref());
        assert!(
            third.contains("second review") && !third.contains("first review"),
            "{third}"
        );
        assert_eq!(third.matches("<details>").count(), 1, "{third}");
    }

    #[test]
    fn markers_and_details_tags_in_a_review_are_made_inert() {
        let hostile = format!("{}\n</details>\n{PREVIOUS_MARKER}", marker("deadbeef"));
        let body = render(&review(&hostile, None), None);
        assert_eq!(body.matches(REVIEW_MARKER_PREFIX).count(), 1, "{body}");
        assert!(!body.contains(PREVIOUS_MARKER), "{body}");
        let folded = render(&review("new", None), previous_of(&body).as_ref());
        assert_eq!(folded.matches("</details>").count(), 1, "{folded}");
    }

    #[test]
    fn a_huge_review_and_a_huge_previous_one_still_fit_with_notes() {
        let huge = "x".repeat(200_000);
        let prev = Previous {
            sha: "abc".into(),
            text: "y".repeat(100_000),
        };
        let body = render(&review(&huge, None), Some(&prev));
        assert!(
            body.chars().count() <= BODY_LIMIT,
            "{}",
            body.chars().count()
        );
        assert!(body.contains("review cut here to fit GitHub's comment limit"));
        assert!(
            body.ends_with("*Generated by amd-bot using Claude Code CLI*\n")
                || body.contains("</details>")
        );
        let small = render(&review("short", None), Some(&prev));
        assert!(small.chars().count() <= BODY_LIMIT);
        assert!(
            small.contains("previous review cut here"),
            "the fold is cut, not the new review"
        );
        assert!(small.contains("\nshort\n"));
    }
}
