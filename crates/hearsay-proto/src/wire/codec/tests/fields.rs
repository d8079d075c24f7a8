//! What decoding refuses inside a body: bad fields, and counts the input cannot hold.

use super::*;

#[test]
fn empty_overlong_and_non_utf8_names_are_refused() {
    assert_eq!(
        decode_stream(&frame(1, &hex("01 00"))),
        Err(DecodeError::BadName)
    );
    let mut too_long = vec![0x01, 129];
    too_long.extend_from_slice(&[b'x'; 129]);
    assert_eq!(
        decode_stream(&frame(1, &too_long)),
        Err(DecodeError::BadName)
    );
    assert_eq!(
        decode_stream(&frame(1, &hex("01 02 c3 28"))),
        Err(DecodeError::BadName)
    );
}

#[test]
fn an_address_tag_other_than_four_or_six_is_refused() {
    for tag in [0u8, 5, 7, 46, 255] {
        let mut body = hex("01 01 74");
        body.push(tag);
        body.extend_from_slice(&[0; 18]);
        body.push(0);
        assert_eq!(
            decode_stream(&frame(2, &body)),
            Err(DecodeError::BadAddress),
            "tag {tag}"
        );
    }
}

#[test]
fn a_member_state_above_three_is_refused() {
    let msg = Message::PushPull(PushPull {
        join: false,
        complete: false,
        reply: false,
        members: vec![member(name("a"), v4(1, 1, 1, 1, 1), State::Left, b"")],
    });
    let mut bytes = stream_of(&msg);
    let state_at = bytes.len() - 2; // state, then the empty meta's length
    assert_eq!(bytes[state_at], 3);
    bytes[state_at] = 4;
    assert_eq!(decode_stream(&bytes), Err(DecodeError::BadState));
}

#[test]
fn unknown_flag_bits_are_malformed() {
    let mut body = hex("01 01 74 04 7f 00 00 01 00 50");
    body.push(0b10);
    assert_eq!(decode_stream(&frame(2, &body)), Err(DecodeError::Malformed));
    assert_eq!(
        decode_stream(&frame(8, &hex("08 00"))),
        Err(DecodeError::Malformed)
    );
    assert_eq!(
        decode_stream(&frame(11, &hex("00 02 00"))),
        Err(DecodeError::Malformed)
    );
    assert_eq!(
        decode_dgram(&datagram_with(2, &body)),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn metadata_over_the_wire_limit_is_oversized() {
    let mut body = hex("01 61 04 7f 00 00 01 00 50 00 00");
    put_varint(&mut body, MAX_META_WIRE_BYTES as u64 + 1);
    body.extend_from_slice(&vec![0; MAX_META_WIRE_BYTES + 1]);
    assert_eq!(decode_stream(&frame(5, &body)), Err(DecodeError::Oversized));
    // At the limit it is fine.
    let msg = Message::Alive(Alive {
        name: name("a"),
        addr: v4(127, 0, 0, 1, 80),
        generation: 0,
        incarnation: 0,
        meta: vec![9; MAX_META_WIRE_BYTES].into(),
    });
    assert_eq!(decode_stream(&stream_of(&msg)), Ok(msg));
}

#[test]
fn more_bucket_hashes_than_buckets_are_malformed() {
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64 + 1);
    body.extend_from_slice(&vec![0; 8 * (BUCKETS + 1)]);
    assert_eq!(
        decode_stream(&frame(10, &body)),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn bucket_numbers_out_of_range_are_malformed() {
    let mut body = hex("02 05");
    put_varint(&mut body, BUCKETS as u64);
    body.extend_from_slice(&hex("00 00"));
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
    let mut body = hex("01");
    put_varint(&mut body, 70_000);
    body.extend_from_slice(&hex("00 00"));
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64 + 1);
    body.extend_from_slice(&vec![0; BUCKETS + 3]);
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn a_member_count_of_four_billion_with_three_bytes_left_errors_before_allocating() {
    let mut body = vec![0]; // push-pull flags
    put_varint(&mut body, 4_000_000_000);
    body.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode_stream(&frame(8, &body)), Err(DecodeError::Truncated));
    // The same in sync entries, after an empty bucket list and the flags.
    let mut body = vec![0, 0];
    put_varint(&mut body, 4_000_000_000);
    body.extend_from_slice(&[1, 2, 3]);
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn the_capacity_guard_refuses_counts_the_remaining_input_cannot_hold() {
    assert_eq!(
        check_fits(4_000_000_000, MIN_MEMBER_BYTES, 3),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(usize::MAX, 2, usize::MAX),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(2, MIN_MEMBER_BYTES, 2 * MIN_MEMBER_BYTES - 1),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(2, MIN_MEMBER_BYTES, 2 * MIN_MEMBER_BYTES),
        Ok(())
    );
    assert_eq!(check_fits(0, MIN_MEMBER_BYTES, 0), Ok(()));
}

#[test]
fn the_smallest_member_record_takes_the_minimum_the_guard_assumes() {
    let msg = Message::PushPull(PushPull {
        join: false,
        complete: false,
        reply: false,
        members: vec![MemberState {
            name: name("a"),
            addr: v4(0, 0, 0, 0, 0),
            generation: 0,
            incarnation: 0,
            state: State::Alive,
            meta: meta(b""),
        }],
    });
    // Version, kind, flags, count, then the record.
    assert_eq!(stream_of(&msg).len(), 4 + MIN_MEMBER_BYTES);
}

#[test]
fn a_hash_count_the_input_cannot_hold_is_truncated() {
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64);
    body.extend_from_slice(&[0; 8 * BUCKETS - 1]);
    assert_eq!(
        decode_stream(&frame(10, &body)),
        Err(DecodeError::Truncated)
    );
}
