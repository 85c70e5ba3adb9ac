//! The one comment a command keeps per PR (`ci-status`, `review-pr`): found among the bot's
//! own comments by what its body starts with, never by text anyone could write.

use crate::github::models::Comment;

/// The first comment written by `login` (the bot's own, never a look-alike by someone else)
/// whose body `is_ours` recognises; shared by the commands that keep one comment per PR.
pub(super) fn own_comment<'c>(
    comments: &'c [Comment],
    login: &str,
    is_ours: impl Fn(&str) -> bool,
) -> Option<&'c Comment> {
    comments
        .iter()
        .find(|c| c.author().eq_ignore_ascii_case(login) && is_ours(&c.body))
}
