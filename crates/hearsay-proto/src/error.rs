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
}
