//! The hearsay agent: a [`hearsay::Node`] run as a daemon, with an optional TOML config file,
//! a data directory that survives restarts (membership and the cluster-wide key/value map), an
//! HTTP API over membership and the replicated stores, Prometheus metrics, and logs.
//!
//! The `hearsay` binary's `agent` subcommand is a thin wrapper around [`run`]; the CLI's other
//! commands talk to a running agent through the HTTP API ([`http`]), whose JSON shapes are in
//! [`schema`].

pub mod duration;
pub mod handler;
pub mod http;
pub mod logging;
pub mod options;
pub mod persist;
mod run;
pub mod schema;
pub mod ttl;

pub use options::{AgentOptions, LogFormat, OptionsError, Preset, Settings};
pub use run::{AgentError, run};
