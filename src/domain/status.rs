//! GitHub's closed vocabularies (run status, conclusion, issue state, reaction content).
//!
//! Each has an `Unknown` variant holding the text as sent: GitHub adds values over time
//! (`startup_failure`, `stale`, …) and a value we have never seen must not fail a tick.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version does not know, kept as GitHub sent it.
            Unknown(String),
        }

        impl $name {
            /// GitHub's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(s) => s,
                }
            }

            /// Reads GitHub's spelling; never fails.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&String::deserialize(d)?))
            }
        }
    };
}

open_enum!(
    /// Where a run or job is in its life.
    RunStatus {
        /// Waiting for a runner.
        Queued => "queued",
        /// Running now.
        InProgress => "in_progress",
        /// Finished: the conclusion says how.
        Completed => "completed",
        /// Waiting for a deployment protection rule.
        Waiting => "waiting",
        /// Created, not yet queued.
        Requested => "requested",
        /// Waiting behind a concurrency group.
        Pending => "pending",
    }
);

open_enum!(
    /// How a finished run, job or step ended.
    Conclusion {
        /// Passed.
        Success => "success",
        /// Failed.
        Failure => "failure",
        /// Stopped by a person or a newer run.
        Cancelled => "cancelled",
        /// Hit its time limit.
        TimedOut => "timed_out",
        /// Not run (a condition was false).
        Skipped => "skipped",
        /// Neither passed nor failed.
        Neutral => "neutral",
        /// Needs someone to act (checks).
        ActionRequired => "action_required",
        /// Superseded (checks).
        Stale => "stale",
        /// Failed before any job started (bad workflow file, missing runner).
        StartupFailure => "startup_failure",
    }
);

open_enum!(
    /// Whether an issue is open.
    IssueState {
        /// Open.
        Open => "open",
        /// Closed (completed or not planned).
        Closed => "closed",
    }
);

open_enum!(
    /// The content of a reaction; the bot uses them as acknowledgements.
    ReactionContent {
        /// 👍
        PlusOne => "+1",
        /// 👎
        MinusOne => "-1",
        /// 😄
        Laugh => "laugh",
        /// 😕
        Confused => "confused",
        /// ❤️
        Heart => "heart",
        /// 🎉
        Hooray => "hooray",
        /// 🚀
        Rocket => "rocket",
        /// 👀
        Eyes => "eyes",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_new_ones_are_kept_not_refused() {
        for text in [
            "queued",
            "in_progress",
            "completed",
            "waiting",
            "requested",
            "pending",
        ] {
            assert_eq!(RunStatus::parse(text).as_str(), text);
            assert!(!matches!(RunStatus::parse(text), RunStatus::Unknown(_)));
        }
        let c: Conclusion = serde_json::from_str("\"startup_failure\"").unwrap();
        assert_eq!(c, Conclusion::StartupFailure);
        let new: Conclusion = serde_json::from_str("\"quantum_flake\"").unwrap();
        assert_eq!(new, Conclusion::Unknown("quantum_flake".into()));
        assert_eq!(serde_json::to_string(&new).unwrap(), "\"quantum_flake\"");
        assert_eq!(ReactionContent::parse("+1"), ReactionContent::PlusOne);
        assert_eq!(IssueState::parse("closed").to_string(), "closed");
    }
}
