//! The Anthropic Messages API through the LLM gateway (`POST {gateway}/v1/messages`).
//!
//! Unlike the original, TLS verification stays on (an extra CA bundle can be trusted instead),
//! every request has a timeout, and overload/rate-limit answers are retried with backoff.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::http::{Failed, Idempotency, Outcome, RetryPolicy, Retrying};

/// The gateway's own `anthropic-version` value (a Vertex-style deployment).
pub const GATEWAY_ANTHROPIC_VERSION: &str = "vertex-2023-10-16";

/// How to reach the gateway; built from `Config`.
#[derive(Clone)]
pub struct GatewayOptions {
    /// Base URL; `/v1/messages` is appended.
    pub url: String,
    /// Sent as `Ocp-Apim-Subscription-Key`.
    pub key: String,
    /// Sent as the `user` header (the gateway attributes usage by it).
    pub user: String,
    pub model: String,
    pub timeout: Duration,
    /// Extra PEM bundle to trust (a corporate CA), instead of disabling verification.
    pub ca_bundle: Option<PathBuf>,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for GatewayOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayOptions")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// One request: a system prompt (our instructions) and one user message (the task, with
/// untrusted material delimited inside it).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRequest {
    pub system: Option<String>,
    pub user: String,
    pub max_tokens: u32,
    /// Ask for adaptive thinking; thinking blocks never reach the answer text.
    pub thinking: bool,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageAnswer {
    pub text: String,
    pub stop_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the API backend is not configured: {0}")]
    NotConfigured(String),
    #[error("cannot read the CA bundle {path}: {message}")]
    CaBundle { path: PathBuf, message: String },
    #[error("the LLM gateway answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the LLM gateway could not be reached: {0}")]
    Transport(String),
    #[error("the LLM gateway's answer could not be read: {0}")]
    Decode(String),
}

/// A client of the gateway; cheap to clone.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    options: GatewayOptions,
}

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    content: Vec<WireBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

impl ApiClient {
    /// Builds the client; a missing URL or key is a clear error, not a crash later.
    pub fn new(options: GatewayOptions) -> Result<Self, ApiError> {
        if options.url.trim().is_empty() {
            return Err(ApiError::NotConfigured(
                "LLM_GATEWAY_URL (backend.gateway_url) is not set".into(),
            ));
        }
        if options.key.trim().is_empty() {
            return Err(ApiError::NotConfigured("LLM_GATEWAY_KEY is not set".into()));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(20));
        if let Some(path) = &options.ca_bundle {
            let pem = std::fs::read(path).map_err(|e| ApiError::CaBundle {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ApiError::CaBundle {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ApiError::CaBundle {
                    path: path.clone(),
                    message: "no certificate in the file".into(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        Ok(ApiClient { http, options })
    }

    /// The JSON body of a request, as sent.
    pub fn body(&self, request: &MessageRequest) -> serde_json::Value {
        let mut body = json!({
            "model": self.options.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.user}],
        });
        if let Some(system) = &request.system {
            body["system"] = json!(system);
        }
        if request.thinking {
            body["thinking"] = json!({"type": "adaptive"});
        }
        body
    }

    /// Sends one request, retrying overload, rate limits, server errors and lost connections.
    pub async fn complete(&self, request: &MessageRequest) -> Result<MessageAnswer, ApiError> {
        let url = format!("{}/v1/messages", self.options.url.trim_end_matches('/'));
        let body = self.body(request);
        Retrying::new(&self.options.retry, Idempotency::Safe, "POST /v1/messages")
            .run(
                || self.send_once(&url, &body),
                |result| {
                    let refused = result.as_ref().err()?;
                    Some(Failed::new(
                        refused.retry.clone()?,
                        refused.error.to_string(),
                    ))
                },
            )
            .await
            .map_err(|refused| refused.error)
    }

    /// One attempt: the answer, or the error with what the retry policy should make of it.
    async fn send_once(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<MessageAnswer, Refused> {
        let sent = self
            .http
            .post(url)
            .header("x-api-key", "unused")
            .header("Ocp-Apim-Subscription-Key", &self.options.key)
            .header("user", &self.options.user)
            .header("anthropic-version", GATEWAY_ANTHROPIC_VERSION)
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Err(Refused {
                    error: ApiError::Transport(e.to_string()),
                    retry: Some(Outcome::Transport),
                })
            }
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            // A failure to read or decode a success is final: the gateway did answer.
            let bytes = response.bytes().await.map_err(|e| Refused {
                error: ApiError::Transport(e.to_string()),
                retry: None,
            })?;
            return parse_answer(&bytes).map_err(|error| Refused { error, retry: None });
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| text.chars().take(300).collect());
        // 529 is Anthropic's "overloaded": treated like a 503.
        let status_for_policy = if status == 529 { 503 } else { status };
        Err(Refused {
            error: ApiError::Http { status, message },
            retry: Some(Outcome::answer(status_for_policy, retry_after)),
        })
    }

    /// The per-job call pattern: a rich first call (adaptive thinking, large budget); if it
    /// fails, exactly one plain call with a small budget.
    pub async fn complete_with_fallback(
        &self,
        system: Option<String>,
        user: String,
        max_tokens: u32,
    ) -> Result<MessageAnswer, ApiError> {
        let first = MessageRequest {
            system: system.clone(),
            user: user.clone(),
            max_tokens,
            thinking: true,
        };
        match self.complete(&first).await {
            Ok(answer) => Ok(answer),
            Err(e) => {
                tracing::warn!("API analysis failed ({e}); retrying once without thinking");
                self.complete(&MessageRequest {
                    system,
                    user,
                    max_tokens: 4096,
                    thinking: false,
                })
                .await
            }
        }
    }
}

/// A failed attempt: the error the caller sees, and what the retry policy decides on (`None`:
/// never retried).
struct Refused {
    error: ApiError,
    retry: Option<Outcome>,
}

fn parse_answer(bytes: &[u8]) -> Result<MessageAnswer, ApiError> {
    let wire: WireAnswer =
        serde_json::from_slice(bytes).map_err(|e| ApiError::Decode(e.to_string()))?;
    let text: Vec<&str> = wire
        .content
        .iter()
        .filter(|b| b.kind == "text")
        .filter_map(|b| b.text.as_deref())
        .collect();
    Ok(MessageAnswer {
        text: text.join("\n"),
        stop_reason: wire.stop_reason,
        input_tokens: wire.usage.as_ref().and_then(|u| u.input_tokens),
        output_tokens: wire.usage.as_ref().and_then(|u| u.output_tokens),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> GatewayOptions {
        GatewayOptions {
            url: "https://gateway.example/Anthropic".into(),
            key: "gateway-key-123".into(),
            user: "bot".into(),
            model: "claude-opus-4-8".into(),
            timeout: Duration::from_secs(5),
            ca_bundle: None,
            retry: RetryPolicy::default(),
        }
    }

    #[test]
    fn missing_url_or_key_is_a_clear_error() {
        let mut o = options();
        o.url = String::new();
        assert!(ApiClient::new(o)
            .unwrap_err()
            .to_string()
            .contains("LLM_GATEWAY_URL"));
        let mut o = options();
        o.key = String::new();
        assert!(ApiClient::new(o)
            .unwrap_err()
            .to_string()
            .contains("LLM_GATEWAY_KEY"));
    }

    #[test]
    fn request_body_has_model_tokens_system_and_one_user_message() {
        let client = ApiClient::new(options()).unwrap();
        let body = client.body(&MessageRequest {
            system: Some("rules".into()),
            user: "task".into(),
            max_tokens: 16_000,
            thinking: true,
        });
        assert_eq!(body["model"], "claude-opus-4-8");
        assert_eq!(body["max_tokens"], 16_000);
        assert_eq!(body["system"], "rules");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["messages"][0]["content"], "task");
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
        assert_eq!(body["thinking"]["type"], "adaptive");
        let plain = client.body(&MessageRequest {
            system: None,
            user: "task".into(),
            max_tokens: 4096,
            thinking: false,
        });
        assert!(plain.get("thinking").is_none() && plain.get("system").is_none());
    }

    #[test]
    fn thinking_blocks_never_reach_the_answer() {
        let answer = parse_answer(
            br#"{"content":[{"type":"thinking","thinking":"secret reasoning"},{"type":"text","text":"a"},{"type":"text","text":"b"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":4}}"#,
        )
        .unwrap();
        assert_eq!(answer.text, "a\nb");
        assert_eq!(answer.output_tokens, Some(4));
    }

    #[test]
    fn a_bad_ca_bundle_is_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let mut o = options();
        o.ca_bundle = Some(path);
        assert!(matches!(ApiClient::new(o), Err(ApiError::CaBundle { .. })));
        let mut o = options();
        o.ca_bundle = Some(dir.path().join("missing.pem"));
        assert!(matches!(ApiClient::new(o), Err(ApiError::CaBundle { .. })));
    }

    #[test]
    fn a_ca_bundle_with_a_certificate_is_accepted() {
        let mut o = options();
        o.ca_bundle = Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/test-ca.pem"),
        );
        assert!(ApiClient::new(o).is_ok());
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert!(!format!("{:?}", options()).contains("gateway-key-123"));
    }
}
