//! Errors of the runtime's API.

use std::io;
use std::net::SocketAddr;

use hearsay_proto::{CommandError, ConfigError};

/// Why a node could not start. Nothing is left running when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The protocol configuration is invalid.
    #[error("invalid protocol configuration: {0}")]
    Config(#[from] ConfigError),
    /// The data directory's store could not be opened (corrupt, unreadable, locked).
    #[error("{0}")]
    Store(crate::durable::DurableError),
    /// A socket could not be bound.
    #[error(
        "cannot bind {proto} on {addr}: {source} (is another node using this port? pick another or use port 0)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// `UDP` or `TCP`.
        proto: &'static str,
        /// What the operating system said.
        source: io::Error,
    },
}

/// Why a command to a running node failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The node has shut down (or its task ended); nothing changed.
    #[error("the node has shut down")]
    Closed,
    /// The engine refused the command; see the inner error for whether state changed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The write is applied (and durable) here and spreads, but fewer members than asked for
    /// confirmed holding it within the stream timeout.
    #[error(
        "only {held} of {wanted} members confirmed holding the write in time; it is applied here and still spreads (retry, or ask for fewer copies)"
    )]
    Replication {
        /// Members asked for, this one included.
        wanted: u32,
        /// Members that confirmed, this one included.
        held: u32,
    },
    /// The write was applied in memory (and may spread) but could not be made durable here,
    /// so it was not acknowledged.
    #[error(transparent)]
    Durable(#[from] crate::durable::DurableError),
}
