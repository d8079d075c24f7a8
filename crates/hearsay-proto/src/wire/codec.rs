//! The native binary codec: how [`Message`]s become bytes and back.
//!
//! # Building blocks
//!
//! * **Varints.** Every `u32`/`u64` field, every length and every count is an unsigned LEB128
//!   varint: seven payload bits per byte, least significant group first, the high bit set on
//!   every byte but the last. A `u32` takes at most 5 bytes and a `u64` at most 10; a varint
//!   that would need more, or whose last allowed byte carries bits beyond the type, is refused
//!   ([`DecodeError::VarintOverflow`]). Lengths and counts are read as `u32`. Padded (non-minimal)
//!   varints that still fit are accepted; the encoder always writes the shortest form.
//! * **Names.** One length byte (1 to [`MAX_NAME_BYTES`](crate::MAX_NAME_BYTES)), then that many
//!   bytes of UTF-8. Anything else is [`DecodeError::BadName`].
//! * **Socket addresses.** A tag byte, `4` or `6`, then the 4 or 16 address bytes and the port
//!   as a big-endian `u16`. IPv6 flow info and scope id are not carried (they decode as zero).
//!   Another tag is [`DecodeError::BadAddress`].
//! * **Metadata.** A varint length (at most [`MAX_META_WIRE_BYTES`], else
//!   [`DecodeError::Oversized`]) and the bytes.
//! * **Member state.** One byte: 0 alive, 1 suspect, 2 dead, 3 left; else
//!   [`DecodeError::BadState`].
//! * **Flags.** The booleans of a message share one byte, written where the first of them is
//!   declared; a set bit with no meaning is [`DecodeError::Malformed`].
//! * **Lists.** A varint count, then the entries. Bucket hashes (`SyncBuckets`) are 8-byte
//!   little-endian words and bucket numbers (`SyncEntries`) varints below
//!   [`BUCKETS`](crate::digest::BUCKETS); both lists hold at most `BUCKETS` entries.
//!
//! # Messages
//!
//! A message is its kind byte and its body, the body being the struct's fields in declaration
//! order with the booleans folded into the flags byte:
//!
//! | kind | message        | body                                                          |
//! |------|----------------|---------------------------------------------------------------|
//! | 1    | `Ping`         | seq, target                                                   |
//! | 2    | `IndirectPing` | seq, target, target_addr, flags (bit 0 want_nack)             |
//! | 3    | `Ack`          | seq                                                           |
//! | 4    | `Nack`         | seq                                                           |
//! | 5    | `Alive`        | name, addr, generation, incarnation, meta                     |
//! | 6    | `Suspect`      | name, generation, incarnation, from                           |
//! | 7    | `Dead`         | name, generation, incarnation, from                           |
//! | 8    | `PushPull`     | flags (bit 0 join, bit 1 complete, bit 2 reply), members      |
//! | 9    | `SyncDigest`   | root, live, state_root and kv_root (8-byte LE words each)     |
//! | 10   | `SyncBuckets`  | hashes                                                        |
//! | 11   | `SyncEntries`  | buckets, flags (bit 0 reply), members                         |
//! | 12-18| store messages | see `codec/store.rs`                                          |
//! | 19-25| user messages  | see `codec/user.rs`                                           |
//!
//! A member record is name, addr, generation, incarnation, state, meta.
//!
//! # Datagrams and stream frames
//!
//! A **datagram** is [`VERSION`] followed by any number of messages, each framed as
//! `kind, body length (varint), body`. The length prefix lets a receiver skip kinds it does not
//! know (they are counted, not refused). Kinds 8 to 11, 14 to 18 and 24 are stream-only and are
//! refused there ([`DecodeError::StreamOnly`]). A datagram is at most
//! [`MAX_DATAGRAM_BYTES`] long. Inside a framed body, a field that runs past the body is
//! [`DecodeError::Malformed`], while a frame that runs past the datagram is
//! [`DecodeError::Truncated`].
//!
//! A **stream frame** is [`VERSION`], the kind byte and the body, with no length: the stream
//! transport delimits frames. It holds exactly one message of any kind; bytes left after the
//! body are [`DecodeError::TrailingBytes`].
//!
//! Decoding never panics and allocates in proportion to the input only: a list's capacity is
//! reserved only once the remaining input is known to be long enough to hold that many entries.

mod body;
mod name;
mod reader;
mod store;
mod user;
mod varint;

use body::{addr_len, body_len, decode_body, kind_of, put_addr, put_body};
use reader::Reader;
use varint::{put_varint, varint_len};

mod error;

pub use error::DecodeError;
pub use reader::MAX_META_WIRE_BYTES;

use super::message::Message;

/// Wire format version written in the first byte of every datagram and stream frame.
pub const VERSION: u8 = 1;
/// Bytes every datagram spends before its first message.
pub const DATAGRAM_HEADER_BYTES: usize = 1;
/// Largest datagram the decoder accepts: the largest UDP payload over IPv4.
pub const MAX_DATAGRAM_BYTES: usize = 65_507;

/// Writes the datagram header into an empty buffer.
pub fn start_datagram(out: &mut Vec<u8>) {
    out.push(VERSION);
}

/// Appends one framed message (kind, body length, body) to a datagram under construction.
///
/// Exactly [`encoded_len`] bytes are appended. Metadata longer than [`MAX_META_WIRE_BYTES`]
/// is encoded all the same, but no decoder will accept it.
pub fn encode_message(msg: &Message, out: &mut Vec<u8>) {
    let body = body_len(msg);
    out.reserve(1 + varint_len(body as u64) + body);
    out.push(kind_of(msg));
    put_varint(out, body as u64);
    put_body(msg, out);
}

/// Exactly the number of bytes [`encode_message`] appends for `msg`.
pub fn encoded_len(msg: &Message) -> usize {
    let body = body_len(msg);
    1 + varint_len(body as u64) + body
}

/// The bytes one `(id, hops)` entry adds to an `IHave`.
pub fn ihave_entry_len(id: &crate::user::MsgId, hops: u32) -> usize {
    user::ihave_entry_len(id, hops)
}

/// Decodes a whole datagram into `out`; returns how many messages of unknown kind were skipped.
///
/// `out` is cleared first. On error it is left empty: one bad message drops the datagram.
pub fn decode_datagram(bytes: &[u8], out: &mut Vec<Message>) -> Result<usize, DecodeError> {
    decode_datagram_with(bytes, out, |_| true)
}

/// As [`decode_datagram`], but each piece of news (alive, suspect, dead, store updates) is first shown to
/// `keep` as its raw framed bytes, and skipped undecoded when `keep` returns false. The engine
/// uses it to drop news it has already seen without paying for decoding it again.
pub fn decode_datagram_with(
    bytes: &[u8],
    out: &mut Vec<Message>,
    keep: impl FnMut(&[u8]) -> bool,
) -> Result<usize, DecodeError> {
    out.clear();
    let result = decode_datagram_into(bytes, out, keep);
    if result.is_err() {
        out.clear();
    }
    result
}

fn decode_datagram_into(
    bytes: &[u8],
    out: &mut Vec<Message>,
    mut keep: impl FnMut(&[u8]) -> bool,
) -> Result<usize, DecodeError> {
    if bytes.len() > MAX_DATAGRAM_BYTES {
        return Err(DecodeError::Oversized);
    }
    let mut r = Reader::new(bytes);
    check_version(&mut r)?;
    let mut skipped = 0;
    while !r.is_empty() {
        let frame_start = bytes.len() - r.remaining();
        let kind = r.u8()?;
        let len = r.len()?;
        let body = r.bytes(len)?;
        let frame_end = bytes.len() - r.remaining();
        if body::is_stream_only(kind) {
            return Err(DecodeError::StreamOnly);
        }
        if !body::is_known(kind) {
            skipped += 1;
            continue;
        }
        if body::is_news(kind) && !keep(&bytes[frame_start..frame_end]) {
            continue;
        }
        let mut br = Reader::new(body);
        // The frame's length was checked against the datagram; running out of body bytes
        // means the message disagrees with its own length, not that the datagram was cut.
        let msg = decode_body(kind, &mut br).map_err(|e| match e {
            DecodeError::Truncated => DecodeError::Malformed,
            other => other,
        })?;
        if !br.is_empty() {
            return Err(DecodeError::Malformed);
        }
        out.push(msg);
    }
    Ok(skipped)
}

/// Encodes one stream frame (header and one message), appending it to `out`.
pub fn encode_stream(msg: &Message, out: &mut Vec<u8>) {
    out.reserve(2 + body_len(msg));
    out.push(VERSION);
    out.push(kind_of(msg));
    put_body(msg, out);
}

/// Decodes one stream frame.
pub fn decode_stream(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader::new(bytes);
    check_version(&mut r)?;
    let kind = r.u8()?;
    if !body::is_known(kind) {
        return Err(DecodeError::UnknownKind(kind));
    }
    let msg = decode_body(kind, &mut r)?;
    if !r.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(msg)
}

fn check_version(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    match r.u8()? {
        VERSION => Ok(()),
        other => Err(DecodeError::BadVersion(other)),
    }
}

#[cfg(test)]
mod tests;
