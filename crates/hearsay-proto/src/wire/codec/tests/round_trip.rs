//! Round trips: every message kind, and random messages, through datagrams and streams.

use super::*;

#[test]
fn every_datagram_kind_round_trips_through_one_datagram() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    assert_eq!(decode_dgram(&bytes), Ok((msgs, 0)));
}

#[test]
fn each_datagram_kind_round_trips_alone_in_a_datagram() {
    for msg in datagram_samples() {
        let bytes = datagram_of(std::slice::from_ref(&msg));
        assert_eq!(decode_dgram(&bytes), Ok((vec![msg], 0)));
    }
}

#[test]
fn every_kind_round_trips_through_a_stream_frame() {
    for msg in all_samples() {
        let bytes = stream_of(&msg);
        assert_eq!(decode_stream(&bytes), Ok(msg));
    }
}

#[test]
fn encode_stream_appends_to_what_the_buffer_holds() {
    let msg = Message::Ack(Ack { seq: 1 });
    let mut out = vec![0x42];
    encode_stream(&msg, &mut out);
    assert_eq!(out, [0x42, VERSION, 3, 1]);
}

#[test]
fn random_messages_round_trip_through_datagrams_and_streams() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x4ea5a7);
    for _ in 0..500 {
        let msg = random_message(&mut rng);
        assert_encoded_len_exact(&msg);
        assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
        if !is_stream_only(body::kind_of(&msg)) {
            let bytes = datagram_of(std::slice::from_ref(&msg));
            assert_eq!(decode_dgram(&bytes), Ok((vec![msg], 0)));
        }
    }
}

fn random_name(rng: &mut ChaCha8Rng) -> Name {
    let len = rng.random_range(1..=MAX_NAME_BYTES);
    name(
        &(0..len)
            .map(|_| char::from(rng.random_range(b'a'..=b'z')))
            .collect::<String>(),
    )
}

fn random_addr(rng: &mut ChaCha8Rng) -> SocketAddr {
    if rng.random_bool(0.5) {
        SocketAddr::from((Ipv4Addr::from(rng.random::<u32>()), rng.random::<u16>()))
    } else {
        SocketAddr::from((Ipv6Addr::from(rng.random::<u128>()), rng.random::<u16>()))
    }
}

/// A u64 of random width, so every varint length shows up.
fn random_u64(rng: &mut ChaCha8Rng) -> u64 {
    rng.random::<u64>() >> rng.random_range(0..64)
}

fn random_u32(rng: &mut ChaCha8Rng) -> u32 {
    rng.random::<u32>() >> rng.random_range(0..32)
}

fn random_meta(rng: &mut ChaCha8Rng) -> Meta {
    let len = [0, 1, 127, 128, 300][rng.random_range(0..5)];
    (0..len).map(|_| rng.random::<u8>()).collect()
}

fn random_member(rng: &mut ChaCha8Rng) -> MemberState {
    MemberState {
        name: random_name(rng),
        addr: random_addr(rng),
        generation: random_u64(rng),
        incarnation: random_u32(rng),
        state: [State::Alive, State::Suspect, State::Dead, State::Left][rng.random_range(0..4)],
        meta: random_meta(rng),
    }
}

fn random_message(rng: &mut ChaCha8Rng) -> Message {
    match rng.random_range(1..=13) {
        1 => Message::Ping(Ping {
            seq: random_u32(rng),
            target: random_name(rng),
        }),
        2 => Message::IndirectPing(IndirectPing {
            seq: random_u32(rng),
            target: random_name(rng),
            target_addr: random_addr(rng),
            want_nack: rng.random_bool(0.5),
        }),
        3 => Message::Ack(Ack {
            seq: random_u32(rng),
        }),
        4 => Message::Nack(Nack {
            seq: random_u32(rng),
        }),
        5 => Message::Alive(Alive {
            name: random_name(rng),
            addr: random_addr(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            meta: random_meta(rng),
        }),
        6 => Message::Suspect(Suspect {
            name: random_name(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            from: random_name(rng),
        }),
        7 => Message::Dead(Dead {
            name: random_name(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            from: random_name(rng),
        }),
        8 => Message::PushPull(PushPull {
            join: rng.random_bool(0.5),
            complete: rng.random_bool(0.5),
            reply: rng.random_bool(0.5),
            members: (0..rng.random_range(0..20))
                .map(|_| random_member(rng))
                .collect(),
        }),
        9 => Message::SyncDigest(SyncDigest {
            root: random_u64(rng),
            live: random_u32(rng),
            state_root: random_u64(rng),
            kv_root: random_u64(rng),
        }),
        12 => Message::StateUpdate(StateUpdate {
            owner: random_name(rng),
            generation: random_u64(rng),
            version: random_u64(rng),
            key: Key::from(random_name(rng).as_str()),
            value: rng.random_bool(0.5).then(|| random_meta(rng)),
        }),
        13 => Message::KvUpdate(KvUpdate {
            key: Key::from(random_name(rng).as_str()),
            stamp: random_u64(rng),
            writer: random_name(rng),
            value: rng.random_bool(0.5).then(|| random_meta(rng)),
        }),
        10 => Message::SyncBuckets(SyncBuckets {
            hashes: (0..rng.random_range(0..=BUCKETS))
                .map(|_| rng.random())
                .collect(),
        }),
        _ => Message::SyncEntries(SyncEntries {
            buckets: (0..rng.random_range(0..=BUCKETS))
                .map(|_| rng.random_range(0..BUCKETS as u16))
                .collect(),
            reply: rng.random_bool(0.5),
            members: (0..rng.random_range(0..5))
                .map(|_| random_member(rng))
                .collect(),
        }),
    }
}

#[test]
fn ipv6_flow_info_and_scope_id_are_not_carried() {
    let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 7, 3));
    let msg = Message::IndirectPing(IndirectPing {
        seq: 1,
        target: name("t"),
        target_addr: addr,
        want_nack: false,
    });
    let Ok(Message::IndirectPing(back)) = decode_stream(&stream_of(&msg)) else {
        panic!("indirect ping did not round-trip");
    };
    assert_eq!(
        back.target_addr,
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 0, 0))
    );
}
