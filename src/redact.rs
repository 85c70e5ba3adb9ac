//! Secret redaction: every body the bot posts, every report it prints and every log line it
//! writes passes through [`Redactor::redact`].
//!
//! Logs and PR text are untrusted and may echo a token (a misconfigured step, a malicious PR);
//! the bot's own configuration holds tokens too. Patterns catch the well-known token shapes;
//! the configured secrets are also removed literally, whatever their shape.
//!
//! Hand-written, not a crate: it must know our configured secrets and GitHub's token shapes.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Regex, RegexSet};

/// What a removed secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Shorter literal secrets are not redacted literally: replacing e.g. "1234" everywhere would
/// garble reports, and such values are not real credentials.
const MIN_LITERAL_SECRET_LEN: usize = 8;

/// Token shapes, each with what to keep (a `prefix` group stays, so a reader sees which kind
/// of secret was removed).
const PATTERNS: &[&str] = &[
    // GitHub: classic PATs, OAuth, user-to-server, server-to-server, refresh tokens.
    r"\b(?P<prefix>gh[pousr]_)[A-Za-z0-9]{20,255}\b",
    // GitHub fine-grained PATs.
    r"\b(?P<prefix>github_pat_)[A-Za-z0-9_]{20,255}",
    // Anthropic keys (before the generic sk- rule so the prefix says which).
    r"(?P<prefix>sk-ant-)[A-Za-z0-9_\-]{16,}",
    // OpenAI keys, project keys included.
    r"\b(?P<prefix>sk-(?:proj-|svcacct-)?)[A-Za-z0-9_\-]{20,}",
    // AWS access key ids.
    r"\b(?P<prefix>(?:AKIA|ASIA))[0-9A-Z]{16}\b",
    // AWS secret keys as they appear in env dumps.
    r"(?i)(?P<prefix>aws_secret_access_key\s*[=:]\s*)[A-Za-z0-9/+=]{40}",
    // Authorization headers, whatever the scheme word.
    r"(?i)(?P<prefix>authorization\s*[:=]\s*(?:token|bearer|basic)?\s*)[^\s'\x22,;]{6,}",
    // Bare bearer credentials.
    r"(?i)(?P<prefix>\bbearer\s+)[A-Za-z0-9_\-\.=+/]{12,}",
    // API-key headers: Anthropic's, Azure APIM's (the LLM gateway's key header).
    r"(?i)(?P<prefix>(?:x-api-key|ocp-apim-subscription-key)\s*[:=]\s*)[^\s'\x22,;]{6,}",
];

fn compiled() -> &'static (RegexSet, Vec<Regex>) {
    static COMPILED: OnceLock<(RegexSet, Vec<Regex>)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let set = RegexSet::new(PATTERNS).expect("redaction patterns compile");
        let each = PATTERNS
            .iter()
            .map(|p| Regex::new(p).expect("redaction pattern compiles"))
            .collect();
        (set, each)
    })
}

/// Removes secrets from text. Cheap to clone; holds the literal values of configured secrets.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    literals: Vec<String>,
}

impl Redactor {
    /// A redactor that also removes each of `secrets` literally (empty and short ones ignored).
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut literals: Vec<String> = secrets
            .into_iter()
            .map(Into::into)
            .filter(|s| s.trim().len() >= MIN_LITERAL_SECRET_LEN)
            .collect();
        // Longest first, so a secret containing another is removed whole.
        literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        literals.dedup();
        Redactor { literals }
    }

    /// Adds one more literal secret (e.g. a token resolved after start-up).
    pub fn add_secret(&mut self, secret: &str) {
        if secret.trim().len() >= MIN_LITERAL_SECRET_LEN
            && !self.literals.iter().any(|s| s == secret)
        {
            self.literals.push(secret.to_string());
            self.literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// The text without secrets; borrowed unchanged when there was nothing to remove.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = Cow::Owned(out.replace(literal.as_str(), REDACTED));
            }
        }
        let (set, each) = compiled();
        let hits = set.matches(&out);
        if !hits.matched_any() {
            return out;
        }
        let mut owned = out.into_owned();
        for index in hits.iter() {
            owned = each[index]
                .replace_all(&owned, |caps: &regex::Captures<'_>| {
                    format!(
                        "{}{REDACTED}",
                        caps.name("prefix").map_or("", |m| m.as_str())
                    )
                })
                .into_owned();
        }
        Cow::Owned(owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_tokens_of_every_kind_are_removed() {
        let r = Redactor::default();
        for token in [
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "gho_abcdefghijklmnopqrstuvwxyz0123456789",
            "ghs_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
        ] {
            let text = format!("token was {token} here");
            let out = r.redact(&text);
            assert!(!out.contains(token), "{out}");
            assert!(out.contains(REDACTED));
        }
    }

    #[test]
    fn authorization_headers_and_api_keys_are_removed() {
        let r = Redactor::default();
        let text = "Authorization: token abcdef123456\nx-api-key: sk-ant-api03-aaaaaaaaaaaaaaaaaaaa\nOcp-Apim-Subscription-Key: 0123456789abcdef";
        let out = r.redact(text);
        assert!(!out.contains("abcdef123456"));
        assert!(!out.contains("aaaaaaaaaaaaaaaaaaaa"));
        assert!(!out.contains("0123456789abcdef"));
    }

    #[test]
    fn configured_secrets_are_removed_literally() {
        let r = Redactor::new(["s3cr3t-gateway-value"]);
        assert_eq!(r.redact("key=s3cr3t-gateway-value;"), "key=[REDACTED];");
    }

    #[test]
    fn text_without_secrets_is_borrowed_unchanged() {
        let r = Redactor::new(["s3cr3t-gateway-value"]);
        let text = "FAILED test/srt/test_x.py::TestX::test_y - AssertionError: 0.61 < 0.62";
        assert!(matches!(r.redact(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn short_configured_values_are_not_treated_as_secrets() {
        let r = Redactor::new(["abc", ""]);
        assert_eq!(r.redact("abc"), "abc");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn alnum(len: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![b'a'..=b'z', b'A'..=b'Z', b'0'..=b'9'].prop_map(char::from),
            len,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// One generated secret of every kind the redactor knows.
    fn secret() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                prop_oneof![
                    Just("ghp_"),
                    Just("gho_"),
                    Just("ghs_"),
                    Just("ghu_"),
                    Just("ghr_")
                ],
                alnum(36)
            )
                .prop_map(|(p, s)| format!("{p}{s}")),
            alnum(60).prop_map(|s| format!("github_pat_{s}")),
            alnum(40).prop_map(|s| format!("sk-ant-api03-{s}")),
            alnum(48).prop_map(|s| format!("sk-proj-{s}")),
            proptest::collection::vec(
                prop_oneof![b'A'..=b'Z', b'0'..=b'9'].prop_map(char::from),
                16
            )
            .prop_map(|c| format!("AKIA{}", c.into_iter().collect::<String>())),
            alnum(40).prop_map(|s| format!("Bearer {s}")),
        ]
    }

    /// Surrounding text: printable ASCII without characters a token could continue with.
    fn filler() -> impl Strategy<Value = String> {
        "[ \\n\\t.,;:!?()\\[\\]{}<>=\"'a-z]{0,40}".prop_map(|s| s)
    }

    proptest! {
        #[test]
        fn generated_secrets_never_survive(before in filler(), secret in secret(), after in filler()) {
            let text = format!("{before} {secret} {after}");
            let out = Redactor::default().redact(&text);
            let body = secret.trim_start_matches("Bearer ");
            prop_assert!(!out.contains(body), "{secret} survived in {out}");
        }

        #[test]
        fn configured_secrets_never_survive(before in filler(), secret in "[!-~]{8,40}", after in filler()) {
            let text = format!("{before}{secret}{after}");
            let out = Redactor::new([secret.clone()]).redact(&text);
            prop_assert!(!out.contains(&secret));
        }

        #[test]
        fn text_without_secrets_passes_unchanged(text in "[a-zA-Z0-9 .,:/_()\\n-]{0,200}") {
            // Plain prose and log text: no token prefixes are generated at these lengths.
            prop_assume!(!text.contains("sk-") && !text.to_lowercase().contains("bearer"));
            prop_assume!(!text.to_lowercase().contains("authorization"));
            let out = Redactor::new(["a-configured-secret-value"]).redact(&text);
            prop_assert_eq!(out.as_ref(), text.as_str());
        }
    }
}
