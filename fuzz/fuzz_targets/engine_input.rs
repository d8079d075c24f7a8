//! Hostile input into a live engine: the fuzz input is split into datagrams and stream frames
//! (and a few timer jumps) fed to an engine that already knows some members. The engine must
//! never panic, never send a datagram over its limit, and keep answering probes.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hearsay_proto::wire::{self, MemberState, Message, Ping, State};
use hearsay_proto::{Config, Engine, LocalNode, Meta, Name, TransmitKind};
use libfuzzer_sys::fuzz_target;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, i], 7946))
}

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let config = Config { rng_seed: 7, ..Config::lan(8) };
    let max = config.max_datagram_bytes;
    let local = LocalNode {
        name: Name::new("me").unwrap(),
        addr: addr(1),
        generation: 1,
        meta: Meta::from(&[][..]),
    };
    let mut engine = Engine::new(config, local, start).unwrap();
    let known: Vec<MemberState> = (2..6u8)
        .map(|i| MemberState {
            name: Name::new(&format!("n{i}")).unwrap(),
            addr: addr(i),
            generation: 1,
            incarnation: 0,
            state: State::Alive,
            meta: Meta::from(&[][..]),
        })
        .collect();
    engine.restore(start, &known);

    // Input: chunks of [tag][len u8][bytes]: tag 0 datagram, 1 stream, 2 advance the clock.
    let mut now = start;
    let mut rest = data;
    while let [tag, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        let from = addr(2 + tag % 4);
        match tag % 3 {
            0 => engine.handle_datagram(now, from, chunk),
            1 => engine.handle_stream(now, from, chunk),
            _ => {
                now += Duration::from_millis(u64::from(*len) * 20);
                engine.handle_timeout(now);
            }
        }
        while let Some(t) = engine.poll_transmit() {
            if t.kind == TransmitKind::Datagram {
                assert!(t.bytes.len() <= max, "datagram of {} bytes", t.bytes.len());
            }
        }
        while engine.poll_event().is_some() {}
    }

    // Whatever happened, a ping for us is still answered.
    let mut ping = Vec::new();
    wire::start_datagram(&mut ping);
    wire::encode_message(&Message::Ping(Ping { seq: 1, target: Name::new("me").unwrap() }), &mut ping);
    engine.handle_datagram(now, addr(2), &ping);
    let answered = std::iter::from_fn(|| engine.poll_transmit()).any(|t| t.to == addr(2));
    assert!(answered || engine.local().state != State::Alive);
});
