//! The application-message workload: user events (`--events`) and queries (`--queries`)
//! sent by a few members or by all, and their limits (checked with the rest of the scenario
//! in [`Scenario::validate`](crate::Scenario::validate)). Off unless asked for.

use std::time::Duration;

use hearsay_proto::user::EventMode;

/// Default bytes of an event's payload (`--event-bytes`).
pub const DEFAULT_EVENT_BYTES: u32 = 1024;
/// Default length of the sending window (`--event-for`).
pub const DEFAULT_EVENT_FOR: Duration = Duration::from_secs(10);
/// Default time a query's origin listens for answers (`--query-timeout`).
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Smallest event payload: a tag byte and the event's number, which make every payload
/// distinct and tell the simulator which event a delivery is.
pub const MIN_EVENT_BYTES: u32 = 8;
/// Largest event payload: the engine's default `max_event_bytes`.
pub(crate) const MAX_EVENT_BYTES: u32 = 1 << 20;
/// Most events, and most queries, per second across the cluster.
pub(crate) const MAX_MESSAGES_PER_S: f64 = 100_000.0;

/// The workload: who sends, how often, how big, and for how long.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventLoad {
    /// User events per second across the cluster, evenly spaced (`--events`). Defaults to 0.
    pub events_per_s: f64,
    /// Bytes of each event's payload (`--event-bytes`). Defaults to 1024.
    pub event_bytes: u32,
    /// How many members send (`--event-senders`). `None` (the default): all of them, each
    /// message from a random running member. `Some(k)`: the first `k` running members take
    /// turns; one that stops running is replaced by the lowest-numbered running member that
    /// is not a sender yet.
    pub senders: Option<u32>,
    /// When sending starts (`--event-at`). `None` (the default): at the first 100 ms check
    /// after every node has started and, on a cold join, views have converged; at 0 when
    /// preconverged.
    pub at: Option<Duration>,
    /// How long sending goes on (`--event-for`). Defaults to 10 s.
    pub send_for: Duration,
    /// How events and queries spread (`--event-mode`). Defaults to the broadcast tree.
    pub mode: EventMode,
    /// Queries per second across the cluster, from the same senders (`--queries`); every
    /// member answers each query it receives at once, with a small response. Defaults to 0.
    pub queries_per_s: f64,
    /// How long a query's origin waits for answers (`--query-timeout`). Defaults to 5 s.
    pub query_timeout: Duration,
}

impl EventLoad {
    /// `events_per_s` events of default size from every member, no queries, default window.
    pub fn new(events_per_s: f64) -> EventLoad {
        EventLoad {
            events_per_s,
            event_bytes: DEFAULT_EVENT_BYTES,
            senders: None,
            at: None,
            send_for: DEFAULT_EVENT_FOR,
            mode: EventMode::Tree,
            queries_per_s: 0.0,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        }
    }

    /// Whether any event is planned.
    pub fn events(&self) -> bool {
        self.events_per_s > 0.0
    }

    /// Whether any query is planned.
    pub fn queries(&self) -> bool {
        self.queries_per_s > 0.0
    }
}
