//! What the engine asks its driver to send.

use std::net::SocketAddr;

/// How a [`Transmit`] must be carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitKind {
    /// Best effort, one UDP datagram; never larger than `max_datagram_bytes`.
    Datagram,
    /// Reliable and whole (a TCP stream frame); may be large.
    Stream,
}

/// Bytes the engine wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// Datagram or stream.
    pub kind: TransmitKind,
    /// The encoded payload.
    pub bytes: Vec<u8>,
}
