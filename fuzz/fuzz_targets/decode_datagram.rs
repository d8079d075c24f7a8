//! Arbitrary bytes as a datagram: decoding must never panic, and whatever decodes must survive
//! re-encoding (into a datagram and into stream frames) unchanged.

#![no_main]

use hearsay_proto::wire::{self, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut msgs: Vec<Message> = Vec::new();
    if wire::decode_datagram(data, &mut msgs).is_err() {
        assert!(
            msgs.is_empty(),
            "a refused datagram must leave no messages behind"
        );
        return;
    }

    // Re-encode: the sizes the engine packs by must be exact.
    let mut again = Vec::with_capacity(data.len());
    wire::start_datagram(&mut again);
    let mut expected_len = wire::DATAGRAM_HEADER_BYTES;
    for msg in &msgs {
        let before = again.len();
        wire::encode_message(msg, &mut again);
        assert_eq!(
            again.len() - before,
            wire::encoded_len(msg),
            "encoded_len of {msg:?}"
        );
        expected_len += wire::encoded_len(msg);
    }
    assert_eq!(again.len(), expected_len);
    // The encoder writes shortest varints and unknown kinds are gone: it can only shrink.
    assert!(again.len() <= data.len());

    let mut decoded = Vec::new();
    assert_eq!(wire::decode_datagram(&again, &mut decoded), Ok(0));
    assert_eq!(decoded, msgs);

    // Every datagram message is also a valid stream frame.
    for msg in msgs {
        let mut frame = Vec::new();
        wire::encode_stream(&msg, &mut frame);
        assert_eq!(wire::decode_stream(&frame), Ok(msg));
    }
});
