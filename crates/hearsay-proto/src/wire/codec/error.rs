//! Why a datagram or stream frame could not be decoded.

use crate::stats::DropReason;

/// Why bytes from the network could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of something (including an empty input, and a list whose
    /// count could not possibly fit in what is left).
    #[error("truncated")]
    Truncated,
    /// A datagram longer than 65,507 bytes (the largest UDP payload), or metadata longer than
    /// [`super::MAX_META_WIRE_BYTES`].
    #[error("oversized")]
    Oversized,
    /// The first byte is not this codec's [`super::VERSION`]; carries the version found.
    #[error("unsupported wire version {0}")]
    BadVersion(u8),
    /// A stream frame of a message kind this codec does not know; carries the kind byte.
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    /// A member name that is empty, longer than [`crate::MAX_NAME_BYTES`], or not UTF-8.
    #[error("bad member name")]
    BadName,
    /// A store key that is empty, longer than [`crate::wire::MAX_KEY_BYTES`], or not UTF-8.
    #[error("bad store key")]
    BadKey,
    /// A socket address whose tag byte is neither 4 nor 6.
    #[error("bad socket address")]
    BadAddress,
    /// A member state byte outside 0..=3.
    #[error("bad member state")]
    BadState,
    /// A varint longer than its type allows, or carrying bits beyond it.
    #[error("varint overflows its type")]
    VarintOverflow,
    /// Structurally wrong: unknown flag bits, a body longer or shorter than its fields, a
    /// bucket list or bucket number out of range.
    #[error("malformed message")]
    Malformed,
    /// A stream-only message kind (push-pull or anti-entropy) found inside a datagram.
    #[error("stream-only message in a datagram")]
    StreamOnly,
    /// Bytes left over after the one message of a stream frame.
    #[error("trailing bytes after the message")]
    TrailingBytes,
}

impl DecodeError {
    /// A short stable label for counting drops by reason.
    pub fn reason(&self) -> DropReason {
        match self {
            DecodeError::Truncated => DropReason::Truncated,
            DecodeError::Oversized => DropReason::Oversized,
            DecodeError::BadVersion(_) => DropReason::BadVersion,
            DecodeError::UnknownKind(_) => DropReason::UnknownKind,
            DecodeError::BadName => DropReason::BadName,
            DecodeError::BadKey => DropReason::BadKey,
            DecodeError::BadAddress => DropReason::BadAddress,
            DecodeError::BadState => DropReason::BadState,
            DecodeError::VarintOverflow => DropReason::VarintOverflow,
            DecodeError::Malformed => DropReason::Malformed,
            DecodeError::StreamOnly => DropReason::StreamOnly,
            DecodeError::TrailingBytes => DropReason::TrailingBytes,
        }
    }
}
