//! Durations as people write them on a command line: `300s`, `1.5s`, `5ms`, `2m`.
//!
//! The number is read as an exact decimal (no floating point), so `0.1s` is exactly
//! 100 ms and the same text always gives the same simulation.

use std::time::Duration;

/// Why a piece of text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing was given.
    #[error("is empty; write a duration like 300s, 1.5s, 5ms or 2m")]
    Empty,
    /// A number without a unit (`30`): seconds or milliseconds would both be plausible.
    #[error("has no unit; add one of us, ms, s, m, h (for example 30s)")]
    MissingUnit,
    /// A unit we do not know.
    #[error("has unknown unit `{0}`; use us, ms, s, m or h")]
    UnknownUnit(String),
    /// The number part is not a plain decimal like `12` or `1.5`.
    #[error("is not a number followed by a unit; write it like 300s, 1.5s, 5ms or 2m")]
    BadNumber,
    /// More than about 584 years.
    #[error("is too long to simulate")]
    TooLarge,
}

/// Parses `text` as a duration with a unit: `us`, `ms`, `s`, `m` or `h`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(DurationError::BadNumber);
    }
    let unit_nanos: u128 = match unit {
        "" => return Err(DurationError::MissingUnit),
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        other => return Err(DurationError::UnknownUnit(other.to_string())),
    };
    let nanos = decimal_times(number, unit_nanos)?;
    let nanos = u64::try_from(nanos).map_err(|_| DurationError::TooLarge)?;
    Ok(Duration::from_nanos(nanos))
}

/// `number * unit` for a decimal `number`, truncated to whole nanoseconds.
fn decimal_times(number: &str, unit: u128) -> Result<u128, DurationError> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(DurationError::BadNumber);
    }
    if whole.len() > 20 || fraction.len() > 18 {
        return Err(DurationError::TooLarge);
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| DurationError::BadNumber)?
    };
    let mut total = whole.checked_mul(unit).ok_or(DurationError::TooLarge)?;
    if !fraction.is_empty() {
        let digits: u128 = fraction.parse().map_err(|_| DurationError::BadNumber)?;
        total += digits * unit / 10u128.pow(fraction.len() as u32);
    }
    Ok(total)
}

/// Writes `d` back in the notation [`parse_duration`] reads, in the largest exact unit.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    for (unit, per) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
    ] {
        if nanos.is_multiple_of(per) {
            return format!("{}{unit}", nanos / per);
        }
    }
    if nanos.is_multiple_of(1_000_000) {
        return format!("{}ms", nanos / 1_000_000);
    }
    if nanos.is_multiple_of(1_000) {
        return format!("{}us", nanos / 1_000);
    }
    format!("{}us", nanos as f64 / 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("300s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn formatted_durations_read_back_the_same() {
        for text in ["0s", "2m", "90s", "1500ms", "250us", "1h"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(format_duration(d), text);
        }
    }

    #[test]
    fn malformed_durations_say_what_is_wrong() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("30"), Err(DurationError::MissingUnit));
        assert_eq!(
            parse_duration("3d"),
            Err(DurationError::UnknownUnit("d".into()))
        );
        assert_eq!(parse_duration("s"), Err(DurationError::BadNumber));
        assert_eq!(parse_duration("1.2.3s"), Err(DurationError::BadNumber));
        assert_eq!(parse_duration("-1s"), Err(DurationError::BadNumber));
        assert_eq!(
            parse_duration("99999999999999999999h"),
            Err(DurationError::TooLarge)
        );
        assert!(
            parse_duration("30")
                .unwrap_err()
                .to_string()
                .contains("add one of")
        );
    }
}
