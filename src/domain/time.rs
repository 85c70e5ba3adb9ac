//! Days and the short time text shown in tables, computed without slicing strings.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day in UTC: the daily issue's date, `--date`, the tracker's first/last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

impl Day {
    /// The date itself, for arithmetic.
    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl From<NaiveDate> for Day {
    fn from(date: NaiveDate) -> Self {
        Day(date)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Day {
    type Err = chrono::ParseError;

    /// `YYYY-MM-DD`, the only spelling the bot writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map(Day)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD HH:MM` (with `sep` between date and time) of a timestamp as GitHub or a stored
/// comment gave it, or `None` when it is not one. RFC 3339 text is parsed and shown in UTC;
/// anything else keeps its first 16 characters only if those are ASCII digits and separators
/// in the right places, so text read back from GitHub never panics and never shows garbage.
pub fn minute_text(ts: &str, sep: char) -> Option<String> {
    let ts = ts.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(ts) {
        return Some(format!(
            "{}{sep}{}",
            t.with_timezone(&Utc).format("%Y-%m-%d"),
            t.with_timezone(&Utc).format("%H:%M")
        ));
    }
    let head: Vec<char> = ts.chars().take(16).collect();
    let shaped = head.len() == 16
        && head.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == '-',
            10 => matches!(c, 'T' | ' '),
            13 => *c == ':',
            _ => c.is_ascii_digit(),
        });
    shaped.then(|| {
        let text: String = head.into_iter().collect();
        format!("{}{sep}{}", &text[..10], &text[11..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_text_reads_github_times_and_refuses_anything_else() {
        assert_eq!(
            minute_text("2026-11-24T03:15:42Z", ' ').as_deref(),
            Some("2026-11-24 03:15")
        );
        assert_eq!(
            minute_text("2026-11-24T03:15:42Z", 'T').as_deref(),
            Some("2026-11-24T03:15")
        );
        assert_eq!(
            minute_text("2026-11-24 03:15", ' ').as_deref(),
            Some("2026-11-24 03:15")
        );
        assert_eq!(minute_text("2026-11-24", ' '), None);
        assert_eq!(minute_text("ünïcödé-ünïcödé-ü", ' '), None);
    }

    #[test]
    fn days_are_written_as_the_original_wrote_them() {
        let d: Day = "2026-11-30".parse().unwrap();
        assert_eq!(d.to_string(), "2026-11-30");
        assert_eq!(d.date().pred_opt().unwrap().to_string(), "2026-11-29");
        assert!("30/11/2026".parse::<Day>().is_err());
    }
}
