//! Durations as people write them on a command line: `300s`, `1.5s`, `5ms`, `2m`, `1h`.
//!
//! The syntax is [`humantime`]'s, the same as the agent's flags and queries, so a duration
//! that works in one place works in all. The number is read as an exact decimal (no floating
//! point), so `0.1s` is exactly 100 ms and the same text always gives the same simulation.
//! Two rules on top, kept from the simulator's own parser: a number needs a unit (`30` could
//! mean seconds or milliseconds), and a leading dot (`.5s`) reads as `0.5s`.

use std::time::Duration;

/// Why a piece of text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing was given.
    #[error("is empty; write a duration like 300s, 1.5s, 5ms or 2m")]
    Empty,
    /// A number without a unit (`30`): seconds or milliseconds would both be plausible.
    #[error("has no unit; add one of us, ms, s, m, h, d (for example 30s)")]
    MissingUnit,
    /// A unit we do not know.
    #[error("has unknown unit `{0}`; use us, ms, s, m, h or d")]
    UnknownUnit(String),
    /// The number part is not a plain decimal like `12` or `1.5`.
    #[error("is not a number followed by a unit; write it like 300s, 1.5s, 5ms or 2m")]
    BadNumber,
    /// More than about 584 years.
    #[error("is too long to simulate")]
    TooLarge,
    /// A decimal that is not a whole number of nanoseconds (of seconds, for `h` and `d`).
    #[error("cannot be held exactly; write it in a smaller unit (for example 3600ms, not 0.001h)")]
    Inexact,
}

/// Parses `text` as a duration with a unit, such as `300s`, `1.5s`, `250us` or `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(DurationError::MissingUnit);
    }
    let with_zero;
    let readable = if text.starts_with('.') {
        with_zero = format!("0{text}");
        &with_zero
    } else {
        text
    };
    let d = humantime::parse_duration(readable).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
            DurationError::MissingUnit
        }
        humantime::DurationError::UnknownUnit { unit, .. } => DurationError::UnknownUnit(unit),
        // humantime refuses a fraction it cannot hold exactly rather than round it.
        humantime::DurationError::NumberOverflow if text.contains('.') => DurationError::Inexact,
        humantime::DurationError::NumberOverflow => DurationError::TooLarge,
        _ => DurationError::BadNumber,
    })?;
    // The virtual clock counts nanoseconds in a u64.
    if u64::try_from(d.as_nanos()).is_err() {
        return Err(DurationError::TooLarge);
    }
    Ok(d)
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
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(3 * 86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
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
        assert_eq!(parse_duration("0"), Err(DurationError::MissingUnit));
        assert_eq!(
            parse_duration("3x"),
            Err(DurationError::UnknownUnit("x".into()))
        );
        assert_eq!(parse_duration("s"), Err(DurationError::BadNumber));
        assert_eq!(parse_duration("1.2.3s"), Err(DurationError::BadNumber));
        assert_eq!(parse_duration("-1s"), Err(DurationError::BadNumber));
        assert_eq!(
            parse_duration("99999999999999999999h"),
            Err(DurationError::TooLarge)
        );
        assert_eq!(
            parse_duration("12345678901234s"),
            Err(DurationError::TooLarge)
        );
        assert_eq!(parse_duration("0.001h"), Err(DurationError::Inexact));
        assert!(
            parse_duration("0.001h")
                .unwrap_err()
                .to_string()
                .contains("3600ms")
        );
        assert!(
            parse_duration("30")
                .unwrap_err()
                .to_string()
                .contains("add one of")
        );
    }
}
