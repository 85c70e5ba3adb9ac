//! The LLM gateway's Anthropic Messages endpoint, so the API backend runs offline: each
//! request is kept for the test to read, and answered with one text block.

use hyper::StatusCode;
use serde_json::json;

use super::{Answer, Call};

/// `POST /v1/messages`: the first `messages_replies` rule whose text occurs in the request
/// answers, else `messages_reply`, else "canned analysis".
pub(crate) fn messages(call: &Call<'_>) -> Answer {
    let mut w = call.world.lock().expect("world lock");
    let text = call.body.to_string();
    let chosen = w
        .messages_replies
        .iter()
        .find(|r| text.contains(&r.contains))
        .map(|r| r.reply.clone());
    w.messages.push(call.body.clone());
    let reply = if let Some(reply) = chosen {
        reply
    } else if w.messages_reply.is_empty() {
        "canned analysis".to_string()
    } else {
        w.messages_reply.clone()
    };
    Answer::Json(
        StatusCode::OK,
        json!({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": "fake",
            "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 20}
        }),
    )
}
