//! What others depend on: the exact bytes of known messages, and the reason names counters use.

use super::*;

#[test]
fn a_ping_and_an_ack_encode_to_known_bytes() {
    let msgs = [
        Message::Ping(Ping {
            seq: 300,
            target: name("b"),
        }),
        Message::Ack(Ack { seq: 7 }),
    ];
    let expected = hex("01  01 04 ac02 0162  03 01 07");
    assert_eq!(datagram_of(&msgs), expected);
    assert_eq!(decode_dgram(&expected), Ok((msgs.to_vec(), 0)));
}

#[test]
fn an_alive_and_an_indirect_ping_encode_to_known_bytes() {
    let msgs = [
        Message::Alive(Alive {
            name: name("n1"),
            addr: v4(10, 0, 0, 1, 7946),
            generation: 1,
            incarnation: 2,
            meta: meta(&[0xaa, 0xbb]),
        }),
        Message::IndirectPing(IndirectPing {
            seq: 1,
            target: name("t"),
            target_addr: v4(192, 168, 1, 2, 443),
            want_nack: true,
        }),
    ];
    let expected = hex("01
         05 0f  02 6e31  04 0a000001 1f0a  01  02  02 aabb
         02 0b  01  01 74  04 c0a80102 01bb  01");
    assert_eq!(datagram_of(&msgs), expected);
    assert_eq!(decode_dgram(&expected), Ok((msgs.to_vec(), 0)));
}

#[test]
fn a_push_pull_stream_frame_encodes_to_known_bytes() {
    let msg = Message::PushPull(PushPull {
        join: true,
        complete: false,
        reply: true,
        members: vec![MemberState {
            name: name("a"),
            addr: SocketAddr::from((Ipv6Addr::LOCALHOST, 80)),
            generation: 128,
            incarnation: 0,
            state: State::Suspect,
            meta: meta(b""),
        }],
    });
    let expected = hex("01 08  05  01
         01 61  06 00000000000000000000000000000001 0050  8001  00  01  00");
    assert_eq!(stream_of(&msg), expected);
    assert_eq!(decode_stream(&expected), Ok(msg));
}

#[test]
fn every_error_has_a_distinct_snake_case_reason() {
    let all = [
        DecodeError::Truncated,
        DecodeError::Oversized,
        DecodeError::BadVersion(9),
        DecodeError::UnknownKind(99),
        DecodeError::BadName,
        DecodeError::BadAddress,
        DecodeError::BadState,
        DecodeError::VarintOverflow,
        DecodeError::Malformed,
        DecodeError::StreamOnly,
        DecodeError::TrailingBytes,
    ];
    let reasons: std::collections::BTreeSet<&str> =
        all.iter().map(|e| e.reason().as_str()).collect();
    assert_eq!(reasons.len(), all.len());
    for r in reasons {
        assert!(
            r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{r}"
        );
    }
    assert_eq!(DecodeError::BadVersion(3).reason().as_str(), "bad_version");
    assert_eq!(DecodeError::StreamOnly.reason().as_str(), "stream_only");
}
