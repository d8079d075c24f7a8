//! What goes on the wire: the message model and the native codec.
//!
//! A datagram is a one-byte version header followed by length-prefixed messages (a probe plus
//! piggybacked updates); a stream frame is the version header and exactly one message. Unknown
//! message kinds in a datagram are skipped (newer peers may add some); anything malformed drops
//! the whole datagram or frame and is counted by reason.

mod codec;
mod message;
mod store_message;
mod user_message;

pub use codec::{
    DATAGRAM_HEADER_BYTES, DecodeError, MAX_META_WIRE_BYTES, VERSION, decode_datagram,
    decode_datagram_with, decode_stream, encode_message, encode_stream, encoded_len,
    ihave_entry_len, start_datagram,
};
pub use message::{
    Ack, Alive, Dead, IndirectPing, MemberState, Message, Meta, Nack, Ping, PushPull, State,
    Suspect, SyncBuckets, SyncDigest, SyncEntries,
};
pub use store_message::{
    Key, KvCopy, KvEntries, KvHeld, KvUpdate, MAX_KEY_BYTES, MAX_VALUE_WIRE_BYTES, OwnerState,
    StateEntries, StateRecord, StateUpdate, StoreHashes, StoreKind, Value,
};
pub use user_message::{
    EventSummary, Graft, IHave, MAX_EVENT_NAME_BYTES, MAX_GAPS, MAX_IDS, MAX_PAYLOAD_WIRE_BYTES,
    OriginSummary, Prune, QueryAnswer, QueryHeader, QueryNudge, UserMsg,
};
