//! The key a failure is matched by across jobs, workflows and days, short enough for a marker.
//!
//! The log engine's signatures are long texts (`v1:test_failure:test/x.py::C::m:AssertionError`).
//! What the bot saves in a job's hidden marker is their version and a stable 64-bit hash, so a
//! marker stays one short line whatever the test names hold, and a `daily-summary` or
//! `ci-status` can match failures without reading logs again. Keys of different versions never
//! compare equal: the version is part of the key.

use std::fmt;
use std::str::FromStr;

/// A saved failure signature: `<version>-<16 hex digits>`, e.g. `v1-3fa9c1e2b4d5a6f7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignatureKey(String);

impl SignatureKey {
    /// The key of a log-engine signature (`<version>:<rest>`); `None` for a text without a
    /// version prefix.
    pub fn of(signature: &str) -> Option<SignatureKey> {
        let (version, rest) = signature.split_once(':')?;
        let versioned = version.len() >= 2
            && version.starts_with('v')
            && version[1..].bytes().all(|b| b.is_ascii_digit());
        versioned.then(|| SignatureKey(format!("{version}-{:016x}", fnv1a(rest.as_bytes()))))
    }

    /// The version the signature was computed with (`v1`, `v2`, …).
    pub fn version(&self) -> &str {
        self.0.split_once('-').map_or("", |(v, _)| v)
    }

    /// The key as written in the marker.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// FNV-1a, 64 bits. Hand-written (five lines) because the key must never change between
/// releases or platforms, which std's hasher does not promise, and it is not a security hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A text that is not a saved key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a signature key: {0:?}")]
pub struct SignatureKeyError(pub String);

impl FromStr for SignatureKey {
    type Err = SignatureKeyError;

    /// Reads a key back from a marker: `v<digits>-<16 hex digits>`.
    fn from_str(s: &str) -> Result<Self, SignatureKeyError> {
        let ok = s.split_once('-').is_some_and(|(v, hex)| {
            v.len() >= 2
                && v.starts_with('v')
                && v[1..].bytes().all(|b| b.is_ascii_digit())
                && hex.len() == 16
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if ok {
            Ok(SignatureKey(s.to_ascii_lowercase()))
        } else {
            Err(SignatureKeyError(s.to_string()))
        }
    }
}

impl fmt::Display for SignatureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for SignatureKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SignatureKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_stable_short_and_keeps_its_version() {
        let a =
            SignatureKey::of("v1:test_failure:test/srt/test_a.py::C::m:AssertionError").unwrap();
        let b =
            SignatureKey::of("v1:test_failure:test/srt/test_a.py::C::m:AssertionError").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.version(), "v1");
        assert_eq!(a.as_str().len(), "v1-".len() + 16);
        // The value is fixed forever (FNV-1a of "x"): a saved marker must keep matching.
        assert_eq!(
            SignatureKey::of("v1:x").unwrap().as_str(),
            "v1-af63f54c86021707"
        );
        let v2 =
            SignatureKey::of("v2:test_failure:test/srt/test_a.py::C::m:AssertionError").unwrap();
        assert_ne!(a, v2, "keys of different versions never match");
        assert_eq!(a.as_str().parse::<SignatureKey>().unwrap(), a);
    }

    #[test]
    fn texts_without_a_version_are_not_keys() {
        assert!(SignatureKey::of("test_failure:x").is_none());
        assert!(SignatureKey::of("vx:x").is_none());
        for bad in [
            "",
            "v1",
            "v1-xyz",
            "v1-0123456789abcde",
            "1-0123456789abcdef",
        ] {
            assert!(bad.parse::<SignatureKey>().is_err(), "{bad:?}");
        }
    }
}
