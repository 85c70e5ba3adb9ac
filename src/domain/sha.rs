//! Commit hashes: hex only, so a hash can be put in a URL, a git command or a marker as is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A git commit hash (full or abbreviated, lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitSha(String);

/// A value that is not a commit hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a commit hash: {0:?}")]
pub struct CommitShaError(pub String);

/// Length of the abbreviated hash shown to people, as GitHub shows it.
const SHORT_LEN: usize = 7;

impl CommitSha {
    /// The whole hash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first seven characters, as GitHub abbreviates; the whole of a shorter hash.
    pub fn short(&self) -> &str {
        // Hex only (checked in `from_str`), so every index is a character boundary.
        &self.0[..self.0.len().min(SHORT_LEN)]
    }
}

impl FromStr for CommitSha {
    type Err = CommitShaError;

    /// 4 to 64 hex digits (SHA-1 and SHA-256 repositories, abbreviated or not), any case.
    fn from_str(s: &str) -> Result<Self, CommitShaError> {
        let t = s.trim();
        if (4..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(CommitSha(t.to_ascii_lowercase()))
        } else {
            Err(CommitShaError(s.to_string()))
        }
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CommitSha {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CommitSha {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_is_seven_hex_digits_and_never_slices_inside_a_character() {
        let sha: CommitSha = "0123456789ABCDEF0123456789abcdef01234567".parse().unwrap();
        assert_eq!(sha.short(), "0123456");
        assert_eq!(sha.as_str(), "0123456789abcdef0123456789abcdef01234567");
        assert_eq!("abcd".parse::<CommitSha>().unwrap().short(), "abcd");
        for bad in ["", "abc", "é123456789", "HEAD", "0123456 ", "g123456"] {
            if bad == "0123456 " {
                assert!(
                    bad.parse::<CommitSha>().is_ok(),
                    "surrounding space is trimmed"
                );
                continue;
            }
            assert!(bad.parse::<CommitSha>().is_err(), "{bad:?} was accepted");
        }
    }
}
