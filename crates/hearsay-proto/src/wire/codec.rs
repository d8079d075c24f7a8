//! The native binary codec (placeholder signatures; implementation in progress).

use super::Message;

/// Wire format version written in the first byte of every datagram and stream frame.
pub const VERSION: u8 = 1;
/// Bytes every datagram spends before its first message.
pub const DATAGRAM_HEADER_BYTES: usize = 1;
/// Largest metadata the decoder accepts, whatever the configuration.
pub const MAX_META_WIRE_BYTES: usize = 64 * 1024;

/// Why bytes from the network could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of something.
    #[error("truncated")]
    Truncated,
}

impl DecodeError {
    /// A short stable label for counting drops by reason.
    pub fn reason(&self) -> &'static str {
        "truncated"
    }
}

/// Writes the datagram header into an empty buffer.
pub fn start_datagram(out: &mut Vec<u8>) {
    out.push(VERSION);
}

/// Appends one framed message to a datagram under construction.
pub fn encode_message(_msg: &Message, _out: &mut Vec<u8>) {
    todo!()
}

/// Exactly the number of bytes [`encode_message`] appends for `msg`.
pub fn encoded_len(_msg: &Message) -> usize {
    todo!()
}

/// Decodes a whole datagram into `out`; returns how many messages of unknown kind were skipped.
pub fn decode_datagram(_bytes: &[u8], _out: &mut Vec<Message>) -> Result<usize, DecodeError> {
    todo!()
}

/// Encodes one stream frame (header and one message).
pub fn encode_stream(_msg: &Message, _out: &mut Vec<u8>) {
    todo!()
}

/// Decodes one stream frame.
pub fn decode_stream(_bytes: &[u8]) -> Result<Message, DecodeError> {
    todo!()
}
