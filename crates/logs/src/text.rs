//! Small, allocation-free helpers over log lines.

/// Strips GitHub's timestamp prefix (`YYYY-MM-DDTHH:MM:SS.fffffffZ` and following
/// whitespace) the way the original's `^\d{4}-\d{2}-\d{2}T[\d:.]+Z\s*` does, without a regex.
pub fn strip_timestamp(line: &[u8]) -> &[u8] {
    timestamp_len(line).map_or(line, |n| &line[n..])
}

/// Length of the timestamp prefix including trailing whitespace, if the line has one.
pub fn timestamp_len(line: &[u8]) -> Option<usize> {
    let digits = |r: std::ops::Range<usize>| {
        line.get(r)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4)
        && line.get(4) == Some(&b'-')
        && digits(5..7)
        && line.get(7) == Some(&b'-')
        && digits(8..10)
        && line.get(10) == Some(&b'T'))
    {
        return None;
    }
    let mut i = 11;
    let start = i;
    while i < line.len() && (line[i].is_ascii_digit() || line[i] == b':' || line[i] == b'.') {
        i += 1;
    }
    if i == start || line.get(i) != Some(&b'Z') {
        return None;
    }
    i += 1;
    while i < line.len() && line[i].is_ascii_whitespace() {
        i += 1;
    }
    Some(i)
}

/// Seconds since the epoch of a line's timestamp (for step durations), if it has one.
pub fn timestamp_secs(line: &[u8]) -> Option<f64> {
    timestamp_len(line)?;
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(line.get(r)?).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let end = line.iter().position(|&b| b == b'Z')?;
    let secs: f64 = std::str::from_utf8(line.get(17..end)?).ok()?.parse().ok()?;
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60) as f64 + secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Trims ASCII whitespace (and `\r`) on both sides.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// The first `max` characters of a string.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_stripped_like_the_original() {
        assert_eq!(
            strip_timestamp(b"2026-04-21T03:15:42.1234567Z ##[group]Run x"),
            b"##[group]Run x"
        );
        assert_eq!(strip_timestamp(b"2026-04-21T03:15:42Z   hi"), b"hi");
        assert_eq!(strip_timestamp(b"no timestamp"), b"no timestamp");
        assert_eq!(
            strip_timestamp(b"2026-04-21T03:15:42.1 missing zone"),
            b"2026-04-21T03:15:42.1 missing zone"
        );
        assert_eq!(
            strip_timestamp("\u{feff}2026-04-21T03:15:42Z x".as_bytes()),
            "\u{feff}2026-04-21T03:15:42Z x".as_bytes()
        );
    }

    #[test]
    fn timestamp_seconds_allow_durations() {
        let a = timestamp_secs(b"2026-11-24T01:00:00.0000000Z x").unwrap();
        let b = timestamp_secs(b"2026-11-24T03:10:30.5000000Z x").unwrap();
        assert!((b - a - 7830.5).abs() < 1e-6);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }
}
