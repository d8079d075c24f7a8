//! What is wrong with a scenario, in words that name the flag at fault.

use std::fmt;

use super::MAX_PARTITIONS;

/// What is wrong with a scenario or with the flags it came from. Every message names the
/// flag and says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The text of a flag could not be read.
    #[error("{flag} {value} {hint}")]
    Malformed {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// What is wrong and how to write it.
        hint: String,
    },
    /// A number outside its range.
    #[error("{flag} {value} is out of range; use {range}")]
    OutOfRange {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// The accepted range, in words.
        range: String,
    },
    /// Something scheduled at or after the end of the run.
    #[error(
        "{flag} {value} happens after the run ends (--duration {duration}); move it earlier or run longer"
    )]
    AfterEnd {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// The run's duration.
        duration: String,
    },
    /// More kills than members that could be killed at that time.
    #[error(
        "--kill {value} needs {count} running members besides node 0, but only {available} are left then"
    )]
    TooManyKills {
        /// What was given.
        value: String,
        /// Members asked for.
        count: u32,
        /// Members available.
        available: u32,
    },
    /// More restarts than members killed (and not yet restarted) by then.
    #[error(
        "--restart {value} needs {count} killed members, but only {available} are down then; add --kill earlier"
    )]
    TooManyRestarts {
        /// What was given.
        value: String,
        /// Members asked for.
        count: u32,
        /// Members available.
        available: u32,
    },
    /// The flag picks members other than node 0, and there are none.
    #[error("{flag} needs at least 2 nodes (node 0, the join seed, is never picked)")]
    NeedsTwoNodes {
        /// The flag, with its dashes.
        flag: &'static str,
    },
    /// Too many partitions.
    #[error("--partition is given {0} times; at most {MAX_PARTITIONS} are supported")]
    TooManyPartitions(usize),
    /// A flag that only refines another one, given without it.
    #[error("{flag} only applies with {needs}; add that or drop {flag}")]
    Needs {
        /// The flag given, with its dashes.
        flag: &'static str,
        /// The flag it refines.
        needs: &'static str,
    },
}

/// An [`ScenarioError::OutOfRange`] for `flag`: `value` as given, `range` in words.
pub(crate) fn out_of_range(
    flag: &'static str,
    value: impl fmt::Display,
    range: impl Into<String>,
) -> ScenarioError {
    ScenarioError::OutOfRange {
        flag,
        value: value.to_string(),
        range: range.into(),
    }
}
