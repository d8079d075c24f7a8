//! Counters of the runtime's own work (sockets and streams), next to the engine's [`Stats`].
//!
//! Connection tasks run concurrently with the driver, so these are atomics shared by all.
//!
//! [`Stats`]: hearsay_proto::Stats

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals of the runtime, since the node started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// Inbound TCP connections accepted.
    pub streams_accepted: u64,
    /// Outbound TCP connections opened.
    pub streams_dialed: u64,
    /// Inbound streams refused because `max_inbound_streams` were in use.
    pub stream_limit: u64,
    /// Outbound stream messages not sent because `max_outbound_streams` were in flight (the
    /// protocol retries later).
    pub outbound_limit: u64,
    /// Streams that did not deliver a whole frame within the stream timeout (slow or
    /// half-open peers).
    pub stream_timeouts: u64,
    /// Streams whose frame announced more than `max_stream_bytes`.
    pub stream_oversized: u64,
    /// Streams closed in the middle of a frame, or with no frame at all.
    pub stream_truncated: u64,
    /// Streams whose header (the sender's address) was not an address.
    pub stream_malformed: u64,
    /// Outbound connections that could not be opened or written.
    pub dial_failures: u64,
    /// Datagrams the operating system refused to send.
    pub send_errors: u64,
    /// Datagrams dropped by fault injection.
    pub fault_dropped: u64,
    /// Datagrams delayed by fault injection.
    pub fault_delayed: u64,
    /// Answers to a query of this node dropped because its asker did not read them.
    pub query_replies_shed: u64,
    /// User events and query outputs the engine dropped because this task fell behind.
    pub user_outputs_missed: u64,
}

impl TransportStats {
    /// Input dropped by the runtime before it reached the engine, by reason, for metrics.
    pub fn dropped(&self) -> [(&'static str, u64); 5] {
        [
            ("stream_limit", self.stream_limit),
            ("stream_timeout", self.stream_timeouts),
            ("stream_oversized", self.stream_oversized),
            ("stream_truncated", self.stream_truncated),
            ("stream_malformed", self.stream_malformed),
        ]
    }
}

/// The shared, atomic form of [`TransportStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub streams_accepted: AtomicU64,
    pub streams_dialed: AtomicU64,
    pub stream_limit: AtomicU64,
    pub outbound_limit: AtomicU64,
    pub stream_malformed: AtomicU64,
    pub stream_timeouts: AtomicU64,
    pub stream_oversized: AtomicU64,
    pub stream_truncated: AtomicU64,
    pub dial_failures: AtomicU64,
    pub send_errors: AtomicU64,
    pub fault_dropped: AtomicU64,
    pub fault_delayed: AtomicU64,
    pub query_replies_shed: AtomicU64,
    pub user_outputs_missed: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> TransportStats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TransportStats {
            streams_accepted: r(&self.streams_accepted),
            streams_dialed: r(&self.streams_dialed),
            stream_limit: r(&self.stream_limit),
            outbound_limit: r(&self.outbound_limit),
            stream_malformed: r(&self.stream_malformed),
            stream_timeouts: r(&self.stream_timeouts),
            stream_oversized: r(&self.stream_oversized),
            stream_truncated: r(&self.stream_truncated),
            dial_failures: r(&self.dial_failures),
            send_errors: r(&self.send_errors),
            fault_dropped: r(&self.fault_dropped),
            fault_delayed: r(&self.fault_delayed),
            query_replies_shed: r(&self.query_replies_shed),
            user_outputs_missed: r(&self.user_outputs_missed),
        }
    }
}
