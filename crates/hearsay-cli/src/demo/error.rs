//! Why the demo stopped early. Each message says what went wrong and what to try.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hearsay::StartError;

use super::preset::secs;

/// Why the demo did not finish.
#[derive(Debug)]
pub enum DemoError {
    /// A node could not start (usually: no free port).
    Start {
        /// The node's name.
        name: String,
        /// What the runtime said.
        source: StartError,
    },
    /// A node's task ended while the demo still needed it.
    NodeStopped {
        /// The node's name.
        name: String,
    },
    /// A phase did not reach its goal before its deadline.
    Missed {
        /// The phase, as its heading names it.
        phase: &'static str,
        /// How long it was given.
        deadline: Duration,
        /// How far it got, in words.
        progress: String,
    },
    /// `--keep-running` could not bind the HTTP API's address.
    HttpBind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Start { name, source } => write!(
                f,
                "{name} could not start: {source} (too many nodes for this machine's open-file \
                 limit? try fewer --nodes)"
            ),
            DemoError::NodeStopped { name } => write!(
                f,
                "{name} stopped on its own while the demo needed it; this is a bug in the \
                 runtime, please report it with the output above"
            ),
            DemoError::Missed {
                phase,
                deadline,
                progress,
            } => write!(
                f,
                "the {phase} phase missed its {} deadline: {progress}. The machine may be too \
                 busy or the loss too high; try fewer --nodes, a lower --loss, or run again",
                secs(*deadline)
            ),
            DemoError::HttpBind { addr, source } => write!(
                f,
                "cannot serve the HTTP API on {addr}: {source} (is an agent or another demo \
                 using it? pick another --http-addr, or use port 0 for any free port)"
            ),
        }
    }
}

impl std::error::Error for DemoError {}
