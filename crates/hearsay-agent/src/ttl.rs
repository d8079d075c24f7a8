//! Times to live as people write them: `?ttl=30s` on `PUT /v1/state/{key}`, and the CLI's
//! `--ttl`, which checks its flag with the same function so that a typo is a usage error
//! before anything is sent.
//!
//! The syntax is every duration's ([`crate::duration`]): a number (whole or decimal, read
//! exactly) and a unit such as `ms`, `s`, `m`, `h` or `d`. Kept to whole microseconds, as
//! it always was. Bounded above by [`MAX_TTL`] because the node adds it to a clock reading,
//! and a key meant to live for years needs no time to live at all.

use std::fmt;
use std::time::Duration;

use crate::duration::{self, DurationError};

/// The longest time to live accepted: a year.
pub const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a time to live such as `30s`, `1.5m` or `250ms`.
pub fn parse(text: &str) -> Result<Duration, TtlError> {
    let text = text.trim();
    let ttl = duration::parse(text).map_err(|e| match e {
        DurationError::TooLarge(_) => TtlError::TooLong(text.to_owned()),
        DurationError::Malformed(_) => TtlError::Malformed(text.to_owned()),
        other => TtlError::Duration(other),
    })?;
    // Finer than a microsecond is cut off.
    let ttl = Duration::from_micros(u64::try_from(ttl.as_micros()).unwrap_or(u64::MAX));
    if ttl.is_zero() {
        return Err(TtlError::Zero);
    }
    if ttl > MAX_TTL {
        return Err(TtlError::TooLong(text.to_owned()));
    }
    Ok(ttl)
}

/// Why a time to live was refused; each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TtlError {
    /// Not a number followed by a unit.
    Malformed(String),
    /// Zero: the key would be gone at once.
    Zero,
    /// Over [`MAX_TTL`].
    TooLong(String),
    /// A duration refused for another reason than its form (a fraction that cannot be held
    /// exactly); the message is the duration's.
    Duration(DurationError),
}

impl fmt::Display for TtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TtlError::Malformed(t) => write!(
                f,
                "'{t}' is not a time to live; write a number and a unit: ms, s, m, h or d (for example 30s)"
            ),
            TtlError::Zero => f.write_str(
                "a time to live of zero would delete the key at once; leave ttl out for a key that does not expire",
            ),
            TtlError::TooLong(t) => write!(
                f,
                "'{t}' is longer than a year; leave ttl out for a key that does not expire"
            ),
            TtlError::Duration(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TtlError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_decimals_are_read_exactly() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse(".5h"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse("1.5ms"), Ok(Duration::from_micros(1500)));
    }

    #[test]
    fn nonsense_zero_and_huge_values_are_refused_with_what_to_write() {
        for bad in ["", "30", "s", "3x", "1.2.3s", "-1s", "1 x"] {
            let e = parse(bad).unwrap_err();
            assert!(matches!(e, TtlError::Malformed(_)), "{bad:?} gave {e:?}");
            assert!(e.to_string().contains("for example 30s"), "{e}");
        }
        assert_eq!(parse("0s"), Err(TtlError::Zero));
        assert_eq!(parse("0.0000001s"), Err(TtlError::Zero));
        assert_eq!(parse("366d"), Err(TtlError::TooLong("366d".into())));
        assert_eq!(parse("365d"), Ok(MAX_TTL));
        assert!(matches!(
            parse("99999999999999s"),
            Err(TtlError::TooLong(_))
        ));
    }
}
