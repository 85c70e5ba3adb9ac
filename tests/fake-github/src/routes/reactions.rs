//! Reactions on issue comments: one per user and content, as on GitHub (a repeated POST
//! answers 200 with the existing reaction instead of 201).

use hyper::{Method, StatusCode};

use super::{not_found, Answer, Call};
use crate::model::{now_iso, ReactionState};
use crate::objects;

/// The contents GitHub accepts; anything else is a 422.
const CONTENTS: &[&str] = &[
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

/// `/repos/{repo}/issues/comments/{id}/reactions[/{reaction_id}]`.
pub(crate) fn route(call: &Call<'_>, repo: &str, seg: &[&str]) -> Answer {
    if let ["issues", "comments", id, "reactions", reaction] = seg {
        return delete(call, repo, id, reaction);
    }
    let ["issues", "comments", id, "reactions"] = seg else {
        return not_found();
    };
    let mut w = call.world.lock().expect("world lock");
    let login = w.login_of(call.token);
    let reaction_id = w.fresh_id();
    let Some(c) = w.repos.get_mut(repo).and_then(|s| {
        s.issues
            .iter_mut()
            .flat_map(|i| i.comments.iter_mut())
            .find(|c| c.id.to_string() == *id)
    }) else {
        return not_found();
    };
    match call.method.clone() {
        Method::GET => Answer::Page(
            c.reactions
                .iter()
                .map(|r| objects::reaction(call.base, r))
                .collect(),
            None,
        ),
        Method::POST => {
            let Some(content) = call.body_str("content").filter(|k| CONTENTS.contains(k)) else {
                return Answer::Status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed: content",
                );
            };
            if let Some(existing) = c
                .reactions
                .iter()
                .find(|r| r.user == login && r.content == content)
            {
                return Answer::Json(StatusCode::OK, objects::reaction(call.base, existing));
            }
            let reaction = ReactionState {
                id: reaction_id,
                user: login,
                content: content.to_string(),
                created_at: now_iso(),
            };
            let value = objects::reaction(call.base, &reaction);
            c.reactions.push(reaction);
            Answer::Json(StatusCode::CREATED, value)
        }
        _ => Answer::Status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    }
}

/// `DELETE …/reactions/{reaction_id}`: 204, or 404 when it is not there (any account may
/// ask; GitHub lets only its author delete one, which the tests do not need).
fn delete(call: &Call<'_>, repo: &str, id: &str, reaction: &str) -> Answer {
    if *call.method != Method::DELETE {
        return Answer::Status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let mut w = call.world.lock().expect("world lock");
    let Some(c) = w.repos.get_mut(repo).and_then(|s| {
        s.issues
            .iter_mut()
            .flat_map(|i| i.comments.iter_mut())
            .find(|c| c.id.to_string() == id)
    }) else {
        return not_found();
    };
    let before = c.reactions.len();
    c.reactions.retain(|r| r.id.to_string() != reaction);
    if c.reactions.len() == before {
        return not_found();
    }
    Answer::Empty(StatusCode::NO_CONTENT)
}
