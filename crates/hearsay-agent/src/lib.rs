//! The hearsay agent: a [`hearsay::Node`] run as a daemon, with an optional TOML config file,
//! a data directory that survives restarts (membership and the cluster-wide key/value map), an
//! HTTP API over membership and the replicated stores, Prometheus metrics, and logs.
//!
//! The `hearsay` binary's `agent` subcommand is a thin wrapper around [`run`]; the CLI's other
//! commands talk to a running agent through the HTTP API, whose JSON shapes are in [`api`].

pub mod api;
mod convert;
mod error;
pub mod http;
mod kv_api;
pub mod logging;
pub mod metrics;
pub mod options;
pub mod persist;
mod run;
mod sse;
mod state_api;
mod store_http;
mod store_metrics;
pub mod ttl;
mod watch;

pub use options::{AgentOptions, LogFormat, OptionsError, Preset, Settings};
pub use run::{AgentError, run};
