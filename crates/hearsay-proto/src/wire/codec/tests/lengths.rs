//! Byte counts: `encoded_len` matches what encoding appends, and varints decode at every width.

use super::*;

#[test]
fn encoded_len_matches_the_bytes_appended_for_every_kind() {
    for msg in all_samples() {
        assert_encoded_len_exact(&msg);
    }
}

#[test]
fn encoded_len_stays_exact_for_every_name_length() {
    for len in 1..=MAX_NAME_BYTES {
        let n = name_of_len(len);
        assert_encoded_len_exact(&Message::Ping(Ping {
            seq: 1,
            target: n.clone(),
        }));
        assert_encoded_len_exact(&Message::Suspect(Suspect {
            name: n.clone(),
            generation: 1,
            incarnation: 1,
            from: n.clone(),
        }));
        assert_encoded_len_exact(&Message::Alive(Alive {
            name: n,
            addr: v6(1, 1),
            generation: u64::MAX,
            incarnation: u32::MAX,
            meta: meta(b"abc"),
        }));
    }
}

#[test]
fn encoded_len_stays_exact_when_meta_crosses_varint_boundaries() {
    let lengths = (0..300).chain(16_200..16_500).chain([
        2_097_151,
        2_097_152,
        MAX_META_WIRE_BYTES,
        MAX_META_WIRE_BYTES + 1,
    ]);
    let big = vec![7u8; 2_097_152];
    for len in lengths {
        let m = meta(&big[..len]);
        let alive = Message::Alive(Alive {
            name: longest_name(),
            addr: v4(1, 2, 3, 4, 5),
            generation: 1 << 35,
            incarnation: 1 << 14,
            meta: m.clone(),
        });
        assert_encoded_len_exact(&alive);
        assert_encoded_len_exact(&Message::PushPull(PushPull {
            join: true,
            complete: false,
            reply: true,
            members: vec![member(name("m"), v6(1, 1), State::Dead, &m)],
        }));
    }
}

#[test]
fn encoded_len_stays_exact_for_integers_at_every_varint_width() {
    for bits in 0..64 {
        for value in [(1u64 << bits) - 1, 1u64 << bits, (1u64 << bits) + 1] {
            let small = value as u32;
            for msg in [
                Message::Ack(Ack { seq: small }),
                Message::Nack(Nack { seq: small }),
                Message::SyncDigest(SyncDigest {
                    root: value,
                    live: small,
                    state_root: value,
                    kv_root: value,
                }),
                Message::Dead(Dead {
                    name: name("n"),
                    generation: value,
                    incarnation: small,
                    from: name("f"),
                }),
            ] {
                assert_encoded_len_exact(&msg);
                assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
            }
        }
    }
}

#[test]
fn encoded_len_stays_exact_for_long_member_lists() {
    for count in [0, 1, 127, 128, 1000] {
        let members: Vec<MemberState> = (0..count)
            .map(|i| {
                member(
                    name(&format!("node-{i}")),
                    v4(10, 0, 0, 1, 1),
                    State::Alive,
                    b"",
                )
            })
            .collect();
        let msg = Message::PushPull(PushPull {
            join: false,
            complete: true,
            reply: false,
            members,
        });
        assert_encoded_len_exact(&msg);
        assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
    }
}

#[test]
fn varint_len_matches_what_put_varint_writes() {
    for bits in 0..64 {
        for value in [(1u64 << bits) - 1, 1u64 << bits, u64::MAX >> bits] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(varint_len(value), out.len(), "value {value}");
        }
    }
}

#[test]
fn varints_that_overflow_their_type_are_refused() {
    // u32 with a fifth byte carrying bit 32.
    assert_eq!(
        Reader::new(&hex("ff ff ff ff 1f")).u32(),
        Err(DecodeError::VarintOverflow)
    );
    // u32 spelled over six bytes.
    assert_eq!(
        Reader::new(&hex("80 80 80 80 80 00")).u32(),
        Err(DecodeError::VarintOverflow)
    );
    // u64 with a tenth byte carrying bit 64.
    assert_eq!(
        Reader::new(&hex("ff ff ff ff ff ff ff ff ff 02")).u64(),
        Err(DecodeError::VarintOverflow)
    );
    // u64 spelled over eleven bytes.
    assert_eq!(
        Reader::new(&hex("80 80 80 80 80 80 80 80 80 80 00")).u64(),
        Err(DecodeError::VarintOverflow)
    );
    // In a message: an Ack whose seq does not fit a u32.
    assert_eq!(
        decode_stream(&frame(3, &hex("80 80 80 80 10"))),
        Err(DecodeError::VarintOverflow)
    );
}

#[test]
fn varints_at_the_edge_of_their_type_are_accepted() {
    assert_eq!(Reader::new(&hex("ff ff ff ff 0f")).u32(), Ok(u32::MAX));
    assert_eq!(
        Reader::new(&hex("ff ff ff ff ff ff ff ff ff 01")).u64(),
        Ok(u64::MAX)
    );
}

#[test]
fn padded_varints_that_fit_their_type_are_accepted() {
    assert_eq!(Reader::new(&hex("80 80 80 80 00")).u32(), Ok(0));
    assert_eq!(Reader::new(&hex("81 00")).u32(), Ok(1));
}

#[test]
fn a_varint_cut_short_is_truncated() {
    assert_eq!(
        Reader::new(&hex("ff ff")).u32(),
        Err(DecodeError::Truncated)
    );
    assert_eq!(Reader::new(&[]).u64(), Err(DecodeError::Truncated));
}
