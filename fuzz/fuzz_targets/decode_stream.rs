//! Arbitrary bytes as a stream frame: decoding must never panic, and whatever decodes must
//! survive re-encoding unchanged (as a stream frame, and as a datagram when the kind allows).

#![no_main]

use hearsay_proto::wire::{self, DecodeError, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = wire::decode_stream(data) else {
        return;
    };

    let mut frame = Vec::with_capacity(data.len());
    wire::encode_stream(&msg, &mut frame);
    // The encoder writes shortest varints: re-encoding can only shrink.
    assert!(frame.len() <= data.len());
    assert_eq!(wire::decode_stream(&frame).as_ref(), Ok(&msg));

    let stream_only = matches!(
        msg,
        Message::PushPull(_)
            | Message::SyncDigest(_)
            | Message::SyncBuckets(_)
            | Message::SyncEntries(_)
    );
    let mut dgram = Vec::new();
    wire::start_datagram(&mut dgram);
    wire::encode_message(&msg, &mut dgram);
    assert_eq!(
        dgram.len(),
        wire::DATAGRAM_HEADER_BYTES + wire::encoded_len(&msg)
    );
    let mut out = Vec::new();
    match wire::decode_datagram(&dgram, &mut out) {
        Ok(skipped) => {
            assert!(!stream_only);
            assert_eq!(skipped, 0);
            assert_eq!(out, [msg]);
        }
        Err(DecodeError::StreamOnly) => assert!(stream_only),
        Err(DecodeError::Oversized) => assert!(dgram.len() > 65_507),
        Err(other) => panic!("{msg:?} re-encoded into a datagram fails with {other}"),
    }
});
