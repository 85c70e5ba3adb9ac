//! Reading stored formats leniently: what the original bot (or an older version of ours)
//! wrote is read without error and written back exactly as it was.
//!
//! A field typed [`Kept<T>`] remembers the JSON it was read from and offers the typed value
//! when the JSON fits `T`: `"123"`, `123`, `""` and `null` all read, the first two as an id,
//! and each is written back in its own spelling.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A stored value: its JSON as read, and the typed value when the JSON fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept<T> {
    raw: Value,
    typed: Option<T>,
}

impl<T: Serialize> Kept<T> {
    /// A value we set ourselves: written in its canonical form.
    pub fn new(value: T) -> Self {
        let raw = serde_json::to_value(&value).unwrap_or(Value::Null);
        Kept {
            raw,
            typed: Some(value),
        }
    }
}

impl<T> Kept<T> {
    /// Nothing stored (`null`).
    pub fn null() -> Self {
        Kept {
            raw: Value::Null,
            typed: None,
        }
    }

    /// The typed value, when the stored JSON fits the type.
    pub fn get(&self) -> Option<&T> {
        self.typed.as_ref()
    }

    /// The JSON exactly as stored.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept::null()
    }
}

impl<T> Serialize for Kept<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Kept<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let typed = T::deserialize(&raw).ok();
        Ok(Kept { raw, typed })
    }
}

/// For `#[serde(deserialize_with)]` on an optional typed field of a stored format: a value
/// that does not fit (`""`, `null`, garbage) reads as `None` instead of failing the whole file.
pub fn opt_or_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = Value::deserialize(d)?;
    Ok(T::deserialize(&raw).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobId;

    #[test]
    fn every_spelling_of_a_stored_id_reads_and_writes_back_as_it_was() {
        for (text, typed) in [
            ("123", Some(123)),
            ("\"123\"", Some(123)),
            ("\"\"", None),
            ("null", None),
            ("\"n/a\"", None),
            ("[1]", None),
        ] {
            let kept: Kept<JobId> = serde_json::from_str(text).unwrap();
            assert_eq!(kept.get().map(|j| j.get()), typed, "{text}");
            assert_eq!(serde_json::to_string(&kept).unwrap(), text);
        }
        assert_eq!(
            serde_json::to_string(&Kept::new(JobId::new(9))).unwrap(),
            "9"
        );
    }

    #[test]
    fn an_optional_field_that_does_not_fit_reads_as_none() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(default, deserialize_with = "opt_or_none")]
            job: Option<JobId>,
        }
        for (text, want) in [
            (r#"{"job": 5}"#, Some(5)),
            (r#"{"job": "5"}"#, Some(5)),
            (r#"{"job": ""}"#, None),
            (r#"{"job": null}"#, None),
            (r#"{}"#, None),
        ] {
            let row: Row = serde_json::from_str(text).unwrap();
            assert_eq!(row.job.map(JobId::get), want, "{text}");
        }
    }
}
