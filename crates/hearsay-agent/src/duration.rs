//! Durations as people write them, in every flag, file setting and query of the agent and the
//! CLI: `300s`, `1.5s`, `250ms`, `2m`, `1h`, `2d`, also combined (`1h 30m`).
//!
//! The syntax is [`humantime`]'s, which the simulator's flags read too, so a duration that
//! works in one place works in all. humantime reads the number as an exact decimal (no
//! floating point) and refuses a fraction it cannot hold exactly (`0.001h` is 3.6 s, but
//! fractions of hours and days must come to whole seconds) rather than round it. One
//! addition: a leading dot (`.5s`) is read as `0.5s`, as the agent's own parser always
//! accepted.

use std::time::Duration;

/// Parses a duration such as `30s`, `1.5m` or `250ms`.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let with_zero;
    let readable = if trimmed.starts_with('.') {
        with_zero = format!("0{trimmed}");
        &with_zero
    } else {
        trimmed
    };
    humantime::parse_duration(readable).map_err(|e| match e {
        // humantime refuses a fraction it cannot hold exactly rather than round it.
        humantime::DurationError::NumberOverflow if trimmed.contains('.') => {
            DurationError::Inexact(trimmed.to_owned())
        }
        humantime::DurationError::NumberOverflow => DurationError::TooLarge(trimmed.to_owned()),
        _ => DurationError::Malformed(trimmed.to_owned()),
    })
}

/// Why a piece of text is not a duration; each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a number followed by a unit.
    #[error(
        "'{0}' is not a duration; write a number and a unit: ms, s, m, h or d (for example 30s)"
    )]
    Malformed(String),
    /// Too large to hold (over about 584 billion years).
    #[error("'{0}' is too long; write a shorter duration (for example 30s)")]
    TooLarge(String),
    /// A decimal that is not a whole number of nanoseconds (of seconds, for `h` and `d`).
    #[error(
        "'{0}' cannot be held exactly; write it in a smaller unit (for example 3600ms, not 0.001h)"
    )]
    Inexact(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_exact_decimals_are_read() {
        assert_eq!(parse("300s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse(" .5h "), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn text_that_is_not_a_duration_says_what_to_write() {
        for bad in ["", "30", "s", "3x", "1.2.3s", "-1s"] {
            let e = parse(bad).unwrap_err();
            assert!(
                matches!(e, DurationError::Malformed(_)),
                "{bad:?} gave {e:?}"
            );
            assert!(e.to_string().contains("for example 30s"), "{e}");
        }
        assert!(matches!(
            parse("99999999999999999999s"),
            Err(DurationError::TooLarge(_))
        ));
        assert!(matches!(parse("0.001h"), Err(DurationError::Inexact(_))));
    }
}
