//! Numeric GitHub ids, one type each so a job id is never used as a run id.
//!
//! Decoding is lenient because the same ids come back from our own stored formats (markers,
//! `.state/` files, the original bot's state blobs), where they were sometimes written as
//! strings: a number or a string of digits is accepted. Encoding is always a JSON number,
//! as GitHub and the original wrote them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A value that is not a GitHub id (empty, signed, not digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a GitHub id: {0:?}")]
pub struct IdError(pub String);

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a number read from GitHub or from one of our markers.
            pub const fn new(n: u64) -> Self {
                $name(n)
            }

            /// The number, for URLs and markers.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(n: u64) -> Self {
                $name(n)
            }
        }

        /// Comparing with a plain number reads naturally in tests and in checks against
        /// GitHub's "no id" value 0; two different id types still never compare.
        impl PartialEq<u64> for $name {
            fn eq(&self, other: &u64) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                parse_digits(s).map($name).ok_or_else(|| IdError(s.to_string()))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                NumberOrString::deserialize(d)?
                    .to_u64()
                    .map($name)
                    .ok_or_else(|| serde::de::Error::custom(concat!("not a ", stringify!($name))))
            }
        }
    };
}

numeric_id!(
    /// A workflow run: the unit GitHub lists per workflow and per commit.
    RunId
);
numeric_id!(
    /// A job of a run: the unit the monitor analyses and reports.
    JobId
);
numeric_id!(
    /// An issue or pull request number inside one repository.
    IssueNumber
);
numeric_id!(
    /// An issue comment: where the bot's durable state lives.
    CommentId
);
numeric_id!(
    /// A reaction, removed by id when an acknowledgement is withdrawn.
    ReactionId
);

/// Digits only (surrounding whitespace allowed): `"123"` is an id, `"-1"`, `"1e3"`, `""` are not.
fn parse_digits(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The two spellings an id has in stored JSON.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    Text(String),
}

impl NumberOrString {
    fn to_u64(&self) -> Option<u64> {
        match self {
            NumberOrString::Number(n) => Some(*n),
            NumberOrString::Text(s) => parse_digits(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_decode_from_numbers_and_digit_strings_and_encode_as_numbers() {
        let a: JobId = serde_json::from_str("123").unwrap();
        let b: JobId = serde_json::from_str("\" 123 \"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "123");
        assert!(serde_json::from_str::<JobId>("\"\"").is_err());
        assert!(serde_json::from_str::<JobId>("\"12a\"").is_err());
        assert!(serde_json::from_str::<JobId>("-4").is_err());
    }

    #[test]
    fn ids_parse_from_marker_text_only_when_all_digits() {
        assert_eq!("42".parse::<RunId>(), Ok(RunId::new(42)));
        assert!(
            "４２".parse::<RunId>().is_err(),
            "non-ASCII digits are not an id"
        );
        assert!("+42".parse::<RunId>().is_err());
        assert!("99999999999999999999999".parse::<RunId>().is_err());
    }
}
