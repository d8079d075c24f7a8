//! Datagram and stream framing: truncation, size limits, versions, unknown and misplaced kinds.

use super::*;

#[test]
fn truncating_a_datagram_at_any_offset_errors_or_keeps_whole_messages() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    // Offsets where a message ends: cutting there leaves a valid, shorter datagram.
    let mut boundaries = vec![DATAGRAM_HEADER_BYTES];
    for m in &msgs {
        boundaries.push(boundaries.last().unwrap() + encoded_len(m));
    }
    assert_eq!(*boundaries.last().unwrap(), bytes.len());
    for cut in 0..bytes.len() {
        let result = decode_dgram(&bytes[..cut]);
        match boundaries.iter().position(|&b| b == cut) {
            Some(whole) => assert_eq!(result, Ok((msgs[..whole].to_vec(), 0)), "cut at {cut}"),
            None => assert_eq!(result, Err(DecodeError::Truncated), "cut at {cut}"),
        }
    }
}

#[test]
fn truncating_a_stream_frame_at_any_offset_is_truncated() {
    for msg in all_samples() {
        let bytes = stream_of(&msg);
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_stream(&bytes[..cut]),
                Err(DecodeError::Truncated),
                "{msg:?} cut at {cut}"
            );
        }
    }
}

#[test]
fn an_empty_datagram_is_truncated() {
    assert_eq!(decode_dgram(&[]), Err(DecodeError::Truncated));
    assert_eq!(decode_stream(&[]), Err(DecodeError::Truncated));
}

#[test]
fn a_header_without_messages_is_an_empty_datagram() {
    let mut out = vec![Message::Ack(Ack { seq: 1 })];
    assert_eq!(decode_datagram(&[VERSION], &mut out), Ok(0));
    assert!(out.is_empty());
}

#[test]
fn a_datagram_larger_than_udp_allows_is_oversized() {
    let mut bytes = vec![VERSION];
    while bytes.len() <= MAX_DATAGRAM_BYTES {
        encode_message(&Message::Ack(Ack { seq: 1 }), &mut bytes);
    }
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::Oversized));
    let fits = &bytes[..MAX_DATAGRAM_BYTES - (MAX_DATAGRAM_BYTES - 1) % 3];
    assert!(decode_dgram(fits).is_ok());
}

#[test]
fn another_version_is_refused_with_the_version_found() {
    let mut bytes = datagram_of(&datagram_samples());
    bytes[0] = 2;
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::BadVersion(2)));
    let mut frame = stream_of(&Message::Ack(Ack { seq: 1 }));
    frame[0] = 0;
    assert_eq!(decode_stream(&frame), Err(DecodeError::BadVersion(0)));
}

#[test]
fn unknown_kinds_in_a_datagram_are_skipped_and_counted() {
    let ping = Message::Ping(Ping {
        seq: 9,
        target: name("x"),
    });
    let mut bytes = vec![VERSION];
    bytes.extend_from_slice(&hex("7f 03 ff ff ff")); // kind 127, 3 bytes nobody knows
    encode_message(&ping, &mut bytes);
    bytes.extend_from_slice(&hex("00 00")); // kind 0, empty body
    bytes.extend_from_slice(&hex("ff 80 01")); // kind 255, 128 bytes of body
    bytes.extend_from_slice(&[0xee; 128]);
    encode_message(&Message::Ack(Ack { seq: 9 }), &mut bytes);
    assert_eq!(
        decode_dgram(&bytes),
        Ok((vec![ping, Message::Ack(Ack { seq: 9 })], 3))
    );
}

#[test]
fn an_unknown_kind_whose_length_runs_past_the_end_is_truncated() {
    assert_eq!(
        decode_dgram(&hex("01 7f 05 00 00")),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn stream_only_kinds_are_refused_in_a_datagram() {
    for msg in stream_samples() {
        let mut bytes = datagram_of(&[Message::Ack(Ack { seq: 1 })]);
        encode_message(&msg, &mut bytes);
        let mut out = Vec::new();
        assert_eq!(
            decode_datagram(&bytes, &mut out),
            Err(DecodeError::StreamOnly),
            "{msg:?}"
        );
        assert!(out.is_empty(), "a refused datagram leaves no messages");
    }
}

#[test]
fn a_failed_datagram_leaves_the_output_empty() {
    let mut bytes = datagram_of(&datagram_samples());
    bytes.extend_from_slice(&hex("03 01 80")); // an Ack whose seq is cut short
    let mut out = vec![Message::Ack(Ack { seq: 1 })];
    assert_eq!(
        decode_datagram(&bytes, &mut out),
        Err(DecodeError::Malformed)
    );
    assert!(out.is_empty());
}

#[test]
fn a_body_longer_than_its_fields_is_malformed() {
    assert_eq!(
        decode_dgram(&datagram_with(3, &hex("05 00"))),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn a_body_shorter_than_its_fields_is_malformed() {
    // A ping whose body ends before its target name.
    assert_eq!(
        decode_dgram(&datagram_with(1, &hex("05"))),
        Err(DecodeError::Malformed)
    );
    // An empty ack.
    assert_eq!(
        decode_dgram(&datagram_with(3, &[])),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn field_errors_inside_a_datagram_keep_their_reason() {
    // Ping whose target name is empty.
    assert_eq!(
        decode_dgram(&datagram_with(1, &hex("05 00"))),
        Err(DecodeError::BadName)
    );
}

#[test]
fn a_datagram_body_length_of_four_billion_is_truncated() {
    let mut bytes = vec![VERSION, 5];
    put_varint(&mut bytes, 4_000_000_000);
    bytes.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::Truncated));
}

#[test]
fn decode_datagram_with_shows_keep_each_update_frame_as_encoded_and_skips_refused_ones() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    let updates: Vec<Vec<u8>> = msgs
        .iter()
        .filter(|m| {
            matches!(
                m,
                Message::Alive(_)
                    | Message::Suspect(_)
                    | Message::Dead(_)
                    | Message::StateUpdate(_)
                    | Message::KvUpdate(_)
            )
        })
        .map(|m| {
            let mut frame = Vec::new();
            encode_message(m, &mut frame);
            frame
        })
        .collect();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let skipped = decode_datagram_with(&bytes, &mut out, |frame| {
        seen.push(frame.to_vec());
        false
    });
    assert_eq!(
        skipped,
        Ok(0),
        "refused updates are not counted as unknown kinds"
    );
    assert_eq!(seen, updates);
    let rest: Vec<Message> = msgs
        .into_iter()
        .filter(|m| {
            !matches!(
                m,
                Message::Alive(_)
                    | Message::Suspect(_)
                    | Message::Dead(_)
                    | Message::StateUpdate(_)
                    | Message::KvUpdate(_)
            )
        })
        .collect();
    assert_eq!(out, rest);
}

#[test]
fn decode_datagram_with_errors_or_keeps_whole_messages_at_any_truncation() {
    let bytes = datagram_of(&datagram_samples());
    for cut in 0..bytes.len() {
        for keep in [true, false] {
            let mut out = Vec::new();
            if decode_datagram_with(&bytes[..cut], &mut out, |_| keep).is_err() {
                assert!(out.is_empty(), "cut at {cut}");
            }
        }
    }
}

#[test]
fn an_unknown_kind_in_a_stream_frame_is_refused_with_the_kind_found() {
    assert_eq!(
        decode_stream(&frame(0, &[])),
        Err(DecodeError::UnknownKind(0))
    );
    assert_eq!(
        decode_stream(&frame(127, &[1, 2])),
        Err(DecodeError::UnknownKind(127))
    );
}

#[test]
fn bytes_after_a_stream_message_are_refused() {
    for msg in all_samples() {
        let mut bytes = stream_of(&msg);
        bytes.push(0);
        assert_eq!(
            decode_stream(&bytes),
            Err(DecodeError::TrailingBytes),
            "{msg:?}"
        );
    }
}
