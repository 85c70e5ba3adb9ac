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

/// `/repos/{repo}/issues/comments/{id}/reactions`.
pub(crate) fn route(call: &Call<'_>, repo: &str, seg: &[&str]) -> Answer {
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
