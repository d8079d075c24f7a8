//! The errors of the engine's commands.

/// Errors of the engine's commands. Each variant says whether state changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Metadata larger than `max_meta_bytes`; nothing changed.
    #[error("metadata is {len} bytes; the limit is {max} (max_meta_bytes)")]
    MetaTooLarge {
        /// Size given.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// The node has left the cluster; nothing changed. Start a new engine to rejoin.
    #[error("this node has left the cluster; start a new node to rejoin")]
    Left,
    /// A store key that is empty or too long; nothing changed.
    #[error("key is {len} bytes; keys must be 1 to {max} bytes of UTF-8")]
    BadKey {
        /// Length given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `kv_copy` of a key this node holds no entry for; nothing was sent.
    #[error("this node holds no entry for the key; write it first")]
    NotHeld,
    /// `kv_copy` asked for more copies than there are live members; nothing was sent.
    #[error("{wanted} copies asked for but only {alive} members are alive; ask for fewer")]
    NotEnoughMembers {
        /// Copies asked for.
        wanted: u32,
        /// Members alive, this one included.
        alive: u32,
    },
    /// A store value over `max_value_bytes`; nothing changed.
    #[error("value is {len} bytes; the limit is {max} (max_value_bytes)")]
    ValueTooLarge {
        /// Size given.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// A user event or query payload (or a query response) over `max_event_bytes`; nothing
    /// was sent.
    #[error("payload is {len} bytes; the limit is {max} (max_event_bytes)")]
    EventTooLarge {
        /// Size given.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// In flood mode, a payload that does not fit one datagram; nothing was sent.
    #[error(
        "payload is {len} bytes; flood mode carries at most {max} (one datagram); use event_mode tree for larger ones"
    )]
    TooLargeToFlood {
        /// Size given.
        len: usize,
        /// What fits.
        max: usize,
    },
    /// An event or query name that is empty, too long or has control characters.
    #[error("event name must be 1 to {max} bytes without control characters; got {len} bytes")]
    BadEventName {
        /// Length given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A query filter that cannot be used; nothing was sent.
    #[error("{0}")]
    BadFilter(#[from] crate::user::FilterError),
    /// `max_pending_queries` queries are running; nothing was sent.
    #[error("{0} queries are running already (max_pending_queries); wait for one to finish")]
    TooManyQueries(usize),
    /// A query timeout of zero or over an hour.
    #[error("query timeout must be between 1 ms and 1 hour")]
    BadTimeout,
    /// `respond` to a query this node never received, or forgot.
    #[error("no such query to answer (it was never received here, or is long over)")]
    UnknownQuery,
    /// `respond` after the query's deadline.
    #[error("the query is over: its origin stopped listening")]
    QueryExpired,
    /// `respond` a second time to one query.
    #[error("this query was answered already")]
    AlreadyAnswered,
}
