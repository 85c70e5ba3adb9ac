//! `owner/name`, parsed once where it enters (flags, config, URLs) and never split again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GitHub repository, e.g. `sgl-project/sglang`. GitHub compares names ignoring case, and
/// so does equality here; the spelling given is kept for display and URLs.
#[derive(Debug, Clone, Eq)]
pub struct RepoName {
    owner: String,
    name: String,
}

/// A value that is not `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?}: expected OWNER/NAME")]
pub struct RepoNameError(pub String);

impl RepoName {
    /// The account or organisation.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository inside the account.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The repository's page, `https://github.com/OWNER/NAME`.
    pub fn html_url(&self) -> String {
        format!("https://github.com/{self}")
    }
}

impl PartialEq for RepoName {
    fn eq(&self, other: &Self) -> bool {
        self.owner.eq_ignore_ascii_case(&other.owner) && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl std::hash::Hash for RepoName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.owner.to_ascii_lowercase().hash(state);
        self.name.to_ascii_lowercase().hash(state);
    }
}

/// GitHub's own rule for account and repository names: ASCII letters, digits, `-`, `_`, `.`.
fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl FromStr for RepoName {
    type Err = RepoNameError;

    fn from_str(s: &str) -> Result<Self, RepoNameError> {
        let trimmed = s.trim();
        match trimmed.split_once('/') {
            Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok(RepoName {
                owner: owner.to_string(),
                name: name.to_string(),
            }),
            _ => Err(RepoNameError(s.to_string())),
        }
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl Serialize for RepoName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RepoName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_and_name_are_parsed_once_and_compared_ignoring_case() {
        let r: RepoName = "sgl-project/sglang".parse().unwrap();
        assert_eq!((r.owner(), r.name()), ("sgl-project", "sglang"));
        assert_eq!(r, "SGL-Project/SGLang".parse().unwrap());
        assert_eq!(r.to_string(), "sgl-project/sglang");
        assert_eq!(r.html_url(), "https://github.com/sgl-project/sglang");
    }

    #[test]
    fn anything_but_owner_slash_name_is_refused() {
        for bad in [
            "", "sglang", "a/", "/b", "a/b/c", "a b/c", "a/..", "ö/x", "a/b?x=1",
        ] {
            assert!(bad.parse::<RepoName>().is_err(), "{bad:?} was accepted");
        }
    }
}
