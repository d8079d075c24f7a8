//! Fixtures shared by the benchmark targets: a synthetic cluster (names, addresses, records),
//! engines that already know it, news about its members, and datagrams packed with that news
//! up to the size limit.
//!
//! Every bench target compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::hint::black_box;
use std::iter::Peekable;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use hearsay_proto::wire::{self, Alive, MemberState, Message, Ping, State};
use hearsay_proto::{Config, Engine, LocalNode, Meta, Name};

/// Incarnation every synthetic member starts at. Above 2^14, so its varint is 3 bytes long and
/// stays so for the two million refreshes a long run may apply: datagrams of news hold the same
/// number of updates from the first iteration to the last.
pub const START_INCARNATION: u32 = 1 << 14;

/// Generation of every synthetic member (and of the local node).
pub const GENERATION: u64 = 1;

/// Seed of every engine's random number generator: same inputs, same run.
pub const SEED: u64 = 0x5eed;

/// The engine's instant zero. The engine never reads the clock (time is an input); a benchmark
/// needs one real `Instant` to count from, and everything after it is derived by addition.
#[allow(clippy::disallowed_methods)] // the one clock read: the base every `now` is derived from
pub fn epoch() -> Instant {
    Instant::now()
}

/// Name of member `i`; member 0 is the engine under test.
pub fn name(i: usize) -> Name {
    Name::new(&format!("node-{i:05}")).expect("a valid name")
}

/// Address of member `i`: distinct for every `i` below 2^24.
pub fn addr(i: usize) -> SocketAddr {
    let [_, a, b, c] = (i as u32).to_be_bytes();
    SocketAddr::from((Ipv4Addr::new(10, a, b, c), 7946))
}

/// The metadata every member publishes: small, like a role tag.
pub fn meta() -> Meta {
    Meta::from(&b"role=web"[..])
}

/// The node whose engine is measured (member 0).
pub fn local_node() -> LocalNode {
    LocalNode {
        name: name(0),
        addr: addr(0),
        generation: GENERATION,
        meta: meta(),
    }
}

/// The full record of member `i`, alive at `incarnation`.
pub fn record(i: usize, incarnation: u32) -> MemberState {
    MemberState {
        name: name(i),
        addr: addr(i),
        generation: GENERATION,
        incarnation,
        state: State::Alive,
        meta: meta(),
    }
}

/// "Member `i` is alive at `incarnation`": a join, a refutation or an update as gossiped.
pub fn alive(i: usize, incarnation: u32) -> Message {
    Message::Alive(Alive {
        name: name(i),
        addr: addr(i),
        generation: GENERATION,
        incarnation,
        meta: meta(),
    })
}

/// A direct probe of the engine under test.
pub fn ping(seq: u32) -> Message {
    Message::Ping(Ping {
        seq,
        target: name(0),
    })
}

/// The LAN preset for a cluster of `members`, with a fixed seed.
pub fn config(members: usize) -> Config {
    Config {
        rng_seed: SEED,
        ..Config::lan(members as u32)
    }
}

/// An engine for member 0 that knows members `1..members`, all alive at
/// [`START_INCARNATION`], loaded through [`Engine::restore`] the way the simulator gives its
/// engines a converged view. Whatever the setup produced has been drained.
pub fn engine_knowing(config: Config, members: usize, now: Instant) -> Engine {
    let table: Vec<MemberState> = (1..members).map(|i| record(i, START_INCARNATION)).collect();
    let mut engine = Engine::new(config, local_node(), now).expect("a valid config");
    engine.restore(now, &table);
    drain(&mut engine);
    assert_eq!(engine.member_count(), members);
    engine
}

/// Takes everything the engine wants sent and every event, as a driver must after each call.
pub fn drain(engine: &mut Engine) {
    while let Some(t) = engine.poll_transmit() {
        black_box(t);
    }
    while let Some(e) = engine.poll_event() {
        black_box(e);
    }
}

/// A datagram carrying exactly `messages`, whatever its size.
pub fn encode(messages: &[Message]) -> Vec<u8> {
    let mut buf = Vec::new();
    wire::start_datagram(&mut buf);
    for m in messages {
        wire::encode_message(m, &mut buf);
    }
    buf
}

/// One datagram: `first` (a probe, say), then as much of `news` as fits in `max` bytes.
/// News that does not fit stays in the iterator for the next datagram.
pub fn datagram(
    first: &[Message],
    news: &mut Peekable<impl Iterator<Item = Message>>,
    max: usize,
) -> Vec<u8> {
    let mut buf = encode(first);
    while let Some(m) = news.next_if(|m| buf.len() + wire::encoded_len(m) <= max) {
        wire::encode_message(&m, &mut buf);
    }
    assert!(buf.len() <= max);
    buf
}

/// Endless fresh news about members `1..members`: each in turn is alive one incarnation above
/// what the previous pass said (the first pass says [`START_INCARNATION`] + 1), so every item
/// supersedes what an engine loaded by [`engine_knowing`] holds, when applied in order.
pub fn refreshes(members: usize) -> impl Iterator<Item = Message> {
    (START_INCARNATION + 1..)
        .flat_map(move |incarnation| (1..members).map(move |i| alive(i, incarnation)))
}

/// Endless datagrams each carrying a ping to the engine under test and as many [`refreshes`]
/// as fit in `max` bytes.
pub fn pings_full_of_news(members: usize, max: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut news = refreshes(members).peekable();
    (1u32..).map(move |seq| datagram(&[ping(seq)], &mut news, max))
}
