//! The error of starting a run, shared by every entry point (flags, sweep, benchmarks).

use hearsay_proto::ConfigError;

use crate::scenario::ScenarioError;

/// Why a simulation cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The scenario makes no sense; nothing ran.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The engine refused the configuration derived from the scenario; nothing ran.
    #[error("engine configuration: {0}")]
    Config(#[from] ConfigError),
    /// The scenario drives replicated stores (`--kv-*`, `--state-*`) and the protocol has
    /// none; nothing ran.
    #[error("{protocol} has no replicated stores; KV and per-node state scenarios need hearsay")]
    NoStores {
        /// The protocol's short name.
        protocol: &'static str,
    },
    /// The scenario sends user events or queries (`--events`, `--queries`) and the
    /// protocol has none of them; nothing ran.
    #[error("{protocol} has no {what}; drop --{flag} or run hearsay")]
    NoMessages {
        /// The protocol's short name.
        protocol: &'static str,
        /// What is missing: "user events" or "queries".
        what: &'static str,
        /// The flag asking for them, without dashes.
        flag: &'static str,
    },
}
