//! What a command comment's reactions say about its claim (PR-G4 to PR-G8, as changed by
//! issue #15). Only the bot's own reactions count: 🚀 is the claim (GitHub keeps one per account
//! and content, so the POST that creates it wins), 👀 means the command was answered, 😕 that
//! the bot gave up on it. A 🚀 without either, older than the claim timeout, belongs to a
//! watcher that died between claim and answer.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{ReactionContent, ReactionId};

/// A reaction as the claim rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenReaction {
    /// What a takeover deletes.
    pub id: ReactionId,
    /// 🚀, 👀, 😕 or another.
    pub content: ReactionContent,
    /// Who reacted ("" when GitHub names nobody).
    pub login: String,
    /// A claim's age decides whether it was abandoned.
    pub created_at: Option<DateTime<Utc>>,
}

/// Where a command stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimState {
    /// Nobody has claimed it: claim it now.
    Unclaimed,
    /// The bot answered it (👀): nothing to do, ever.
    Answered,
    /// The bot gave up on it after its attempts and said so (😕): nothing to do, ever.
    GivenUp,
    /// A watcher claimed it recently and is working on it: look again later.
    InFlight,
    /// A claim older than the timeout with no answer: delete this 🚀 and claim again.
    Abandoned(ReactionId),
}

/// The claim state from a comment's reactions; `bot_login` is compared ignoring case, as
/// GitHub compares logins.
pub fn claim_state(
    reactions: &[SeenReaction],
    bot_login: &str,
    now: DateTime<Utc>,
    timeout: Duration,
) -> ClaimState {
    let bots = |content: ReactionContent| {
        reactions
            .iter()
            .filter(move |r| r.content == content && r.login.eq_ignore_ascii_case(bot_login))
    };
    if bots(ReactionContent::Eyes).next().is_some() {
        return ClaimState::Answered;
    }
    if bots(ReactionContent::Confused).next().is_some() {
        return ClaimState::GivenUp;
    }
    let Some(rocket) = bots(ReactionContent::Rocket).next() else {
        return ClaimState::Unclaimed;
    };
    // A claim of unknown age cannot be waited out: it is taken over (a repeated dispatch is
    // harmless downstream, a command stuck forever is not).
    match rocket.created_at {
        Some(at) if now - at < timeout => ClaimState::InFlight,
        _ => ClaimState::Abandoned(rocket.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn reaction(id: u64, content: ReactionContent, login: &str, secs: i64) -> SeenReaction {
        SeenReaction {
            id: ReactionId::new(id),
            content,
            login: login.into(),
            created_at: Some(at(secs)),
        }
    }

    fn state(reactions: &[SeenReaction], now: i64) -> ClaimState {
        claim_state(reactions, "amd-bot", at(now), Duration::seconds(600))
    }

    use ReactionContent::*;

    #[test]
    fn only_the_bots_own_rocket_is_a_claim() {
        assert_eq!(state(&[], 0), ClaimState::Unclaimed);
        let human = [
            reaction(1, Rocket, "HaiShaw", 0),
            reaction(2, Eyes, "bingxche", 0),
            reaction(3, Confused, "someone", 0),
        ];
        assert_eq!(state(&human, 10), ClaimState::Unclaimed);
        let lookalike = [reaction(1, Rocket, "amd-bot2", 0)];
        assert_eq!(state(&lookalike, 10), ClaimState::Unclaimed);
        let ours = [reaction(4, Rocket, "AMD-Bot", 0)];
        assert_eq!(state(&ours, 10), ClaimState::InFlight);
    }

    #[test]
    fn eyes_mean_answered_and_confused_given_up_whatever_the_rocket() {
        let answered = [
            reaction(1, Rocket, "amd-bot", 0),
            reaction(2, Eyes, "amd-bot", 1),
        ];
        assert_eq!(state(&answered, 10_000), ClaimState::Answered);
        let eyes_only = [reaction(2, Eyes, "amd-bot", 1)];
        assert_eq!(state(&eyes_only, 10), ClaimState::Answered);
        let given_up = [reaction(3, Confused, "amd-bot", 1)];
        assert_eq!(state(&given_up, 10), ClaimState::GivenUp);
    }

    #[test]
    fn a_rocket_without_an_answer_is_abandoned_once_the_timeout_passed() {
        let claim = [reaction(7, Rocket, "amd-bot", 0)];
        assert_eq!(state(&claim, 599), ClaimState::InFlight);
        assert_eq!(
            state(&claim, 600),
            ClaimState::Abandoned(ReactionId::new(7))
        );
        let undated = [SeenReaction {
            created_at: None,
            ..reaction(8, Rocket, "amd-bot", 0)
        }];
        assert_eq!(
            state(&undated, 0),
            ClaimState::Abandoned(ReactionId::new(8))
        );
    }
}
